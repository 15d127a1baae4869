//! Read-only by construction: every write (apply, delete, patch, git commit, push) takes a
//! capability value, and the only way to get one is through the checks here.
//!
//! [`WriteCapability`] (one cluster environment) and [`GitWriteCapability`] (one repo) have
//! private fields and no public constructor, so code that never passed the checks cannot
//! name one: with `--read-only`, `settings.read_only`, an environment's `read_only` or
//! credentials that may not write, there is no code path from a command or a key to a write.

use crate::actions::promote::Proposal;
use crate::config::Config;
use kube::api::{Api, PostParams};
use kube::config::Kubeconfig;
use serde::Serialize;
use serde_json::{json, Value};
use std::fmt;

/// How the session was started: `--read-only` is decided once, at start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Session {
    read_only: bool,
}

impl Session {
    /// A session; `read_only` is the `--read-only` flag.
    pub fn new(read_only: bool) -> Session {
        Session { read_only }
    }

    pub fn is_read_only(&self) -> bool {
        self.read_only
    }
}

/// Why writing is not allowed, as the user should read it ("prod is read-only: viewer
/// credentials").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum ReadOnly {
    #[error("{target} is read-only: the session was started with --read-only")]
    SessionFlag { target: String },
    #[error("{target} is read-only: settings.read_only = true in the config")]
    ConfigGlobal { target: String },
    #[error("{target} is read-only: read_only = true for environment {env} in the config")]
    ConfigEnvironment { target: String, env: String },
    #[error(
        "{target} is read-only: the credentials of context {context} may not write ({detail})"
    )]
    Credentials {
        target: String,
        context: String,
        detail: String,
    },
    #[error("{target} is not writable: no environment {target} in the config")]
    UnknownEnvironment { target: String },
    #[error("{target} is not writable: no client for context {context} ({detail})")]
    NoClient {
        target: String,
        context: String,
        detail: String,
    },
}

/// Permission to write to one environment's cluster. Only [`cluster_access`] makes one; it
/// carries the client built there from the environment's own context, so a write cannot be
/// sent to another cluster than the one that was checked.
pub struct WriteCapability {
    env: String,
    context: String,
    client: kube::Client,
}

impl WriteCapability {
    pub fn env(&self) -> &str {
        &self.env
    }

    pub fn context(&self) -> &str {
        &self.context
    }

    /// The client of the environment's context: the only one writes go through.
    pub fn client(&self) -> &kube::Client {
        &self.client
    }
}

impl fmt::Debug for WriteCapability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WriteCapability({} on {})", self.env, self.context)
    }
}

/// Permission to write one promotion's git objects and its one ref (commit, ref update,
/// push) in one repo, for one target environment. Only [`git_access`] makes one.
pub struct GitWriteCapability {
    repo: std::path::PathBuf,
    env: String,
    write_ref: String,
}

impl GitWriteCapability {
    pub fn repo(&self) -> &std::path::Path {
        &self.repo
    }

    /// The environment promoted to.
    pub fn env(&self) -> &str {
        &self.env
    }

    /// The only ref this capability may move or push.
    pub fn write_ref(&self) -> &str {
        &self.write_ref
    }
}

impl fmt::Debug for GitWriteCapability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "GitWriteCapability({} for {} in {})",
            self.write_ref,
            self.env,
            self.repo.display()
        )
    }
}

/// One question for the API server: may these credentials `verb` this resource?
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessProbe {
    pub verb: String,
    pub group: String,
    /// Plural resource name (`deployments`).
    pub resource: String,
    pub namespace: Option<String>,
}

/// What the server said to a dry run of the same write, for servers that do not serve
/// SelfSubjectAccessReview: `Some(message)` when it answered 403.
pub type DryRunForbidden = Option<String>;

/// The checks that need no network: the session flag and the config. An environment the
/// config does not name is refused (never "not read-only, then").
pub fn static_checks(session: &Session, config: &Config, env: &str) -> Result<(), ReadOnly> {
    checks_for(session, config, env, env.to_string(), true)
}

/// [`static_checks`] with the name the reasons use (`target`); `env_switch`: whether the
/// environment's own `read_only` applies to this write.
fn checks_for(
    session: &Session,
    config: &Config,
    env: &str,
    target: String,
    env_switch: bool,
) -> Result<(), ReadOnly> {
    let Ok(environment) = config.environment(env) else {
        return Err(ReadOnly::UnknownEnvironment {
            target: env.to_string(),
        });
    };
    if session.read_only {
        return Err(ReadOnly::SessionFlag { target });
    }
    if config.settings.read_only {
        return Err(ReadOnly::ConfigGlobal { target });
    }
    if env_switch && environment.read_only {
        return Err(ReadOnly::ConfigEnvironment {
            target,
            env: env.to_string(),
        });
    }
    Ok(())
}

/// Decide whether environment `env` may be written, and if so hand out its capability with
/// a client for the environment's context (from the config, read from `kubeconfig`).
/// `dry_run_forbidden` is what the dry run of the planned writes met: a 403 there means the
/// credentials cannot write. Otherwise the server is asked with SelfSubjectAccessReview for
/// each probe (none given: the typical write of [`read_only_reason`]); a server that does
/// not serve it (404) leaves the dry run as the check.
pub async fn cluster_access(
    session: &Session,
    config: &Config,
    kubeconfig: &Kubeconfig,
    env: &str,
    probes: &[AccessProbe],
    dry_run_forbidden: DryRunForbidden,
) -> Result<WriteCapability, ReadOnly> {
    static_checks(session, config, env)?;
    let context = config
        .environment(env)
        .map(|e| e.context.clone())
        .map_err(|_| ReadOnly::UnknownEnvironment {
            target: env.to_string(),
        })?;
    let client = crate::cluster::kubeconfig::client_for(kubeconfig, &context)
        .await
        .map_err(|e| ReadOnly::NoClient {
            target: env.to_string(),
            context: context.clone(),
            detail: e.to_string(),
        })?;
    let denied = |detail: String| ReadOnly::Credentials {
        target: env.to_string(),
        context: context.clone(),
        detail,
    };
    // A 403 on the dry run of the very writes planned settles it, whatever else is served.
    if let Some(message) = dry_run_forbidden {
        return Err(denied(message));
    }
    if probes.is_empty() {
        // Nothing planned was asked about (every dry run failed otherwise): the server is
        // still asked, about the typical write.
        if let Some(reason) = server_reason(config, env, &context, &client).await {
            return Err(reason);
        }
    }
    for probe in probes {
        match self_subject_access_review(&client, probe).await {
            Review::Allowed => {}
            Review::Denied(reason) => return Err(denied(reason)),
            // Not served (404): the dry run above was the check.
            Review::NotServed => break,
            Review::Failed(message) => {
                return Err(denied(format!(
                    "could not ask the server whether writing is allowed: {message}"
                )))
            }
        }
    }
    Ok(WriteCapability {
        env: env.to_string(),
        context,
        client,
    })
}

/// Why environment `env` is read-only, before anything is planned (for showing action keys
/// disabled with the reason): the session and config switches, then the server's answer for
/// a typical write — SelfSubjectAccessReview for patching Deployments in the environment's
/// namespace, else a dry-run empty patch of that Namespace (403: may not write). A plan's own
/// check ([`cluster_access`]) is still what decides a write.
pub async fn read_only_reason(
    session: &Session,
    config: &Config,
    env: &str,
    context: &str,
    client: &kube::Client,
) -> Option<ReadOnly> {
    if let Err(reason) = static_checks(session, config, env) {
        return Some(reason);
    }
    server_reason(config, env, context, client).await
}

/// The server's answer for a typical write in `env` (see [`read_only_reason`]).
async fn server_reason(
    config: &Config,
    env: &str,
    context: &str,
    client: &kube::Client,
) -> Option<ReadOnly> {
    let namespace = config
        .environment(env)
        .ok()
        .and_then(|e| e.namespace.clone())
        .unwrap_or_else(|| "default".into());
    let denied = |detail: String| ReadOnly::Credentials {
        target: env.to_string(),
        context: context.to_string(),
        detail,
    };
    let probe = AccessProbe {
        verb: "patch".into(),
        group: "apps".into(),
        resource: "deployments".into(),
        namespace: Some(namespace.clone()),
    };
    match self_subject_access_review(client, &probe).await {
        Review::Allowed => None,
        Review::Denied(reason) => Some(denied(reason)),
        Review::Failed(message) => Some(denied(format!(
            "could not ask the server whether writing is allowed: {message}"
        ))),
        Review::NotServed => {
            let api: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(client.clone());
            let params = kube::api::PatchParams::default().dry_run();
            let patch = kube::api::Patch::Merge(json!({}));
            match api.patch(&namespace, &params, &patch).await {
                Err(kube::Error::Api(status)) if status.code == 403 => {
                    Some(denied(status.message.clone()))
                }
                _ => None,
            }
        }
    }
}

/// Decide whether `proposal` may be written: its git objects and its one ref, for its
/// target environment. Moving the ref the environment reads (not a new `promote/...`
/// branch) is refused by the environment's `read_only` too. The capability records the
/// repo, the environment and the ref; `commit::execute` and `commit::push` check all three.
pub fn git_access(
    session: &Session,
    config: &Config,
    proposal: &Proposal,
) -> Result<GitWriteCapability, ReadOnly> {
    let env = proposal.to();
    checks_for(
        session,
        config,
        env,
        format!("git for {env}"),
        proposal.onto_env_ref(),
    )?;
    Ok(GitWriteCapability {
        repo: proposal.repo().to_path_buf(),
        env: env.to_string(),
        write_ref: proposal.write_ref().to_string(),
    })
}

enum Review {
    Allowed,
    Denied(String),
    NotServed,
    Failed(String),
}

/// `POST selfsubjectaccessreviews` for one probe.
async fn self_subject_access_review(client: &kube::Client, probe: &AccessProbe) -> Review {
    let resource = kube::discovery::ApiResource {
        group: "authorization.k8s.io".into(),
        version: "v1".into(),
        api_version: "authorization.k8s.io/v1".into(),
        kind: "SelfSubjectAccessReview".into(),
        plural: "selfsubjectaccessreviews".into(),
    };
    let api: Api<kube::api::DynamicObject> = Api::all_with(client.clone(), &resource);
    let mut attributes = json!({
        "verb": probe.verb,
        "group": probe.group,
        "resource": probe.resource,
    });
    if let Some(ns) = &probe.namespace {
        attributes["namespace"] = json!(ns);
    }
    let body: kube::api::DynamicObject = match serde_json::from_value(json!({
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectAccessReview",
        "metadata": {},
        "spec": {"resourceAttributes": attributes},
    })) {
        Ok(body) => body,
        Err(err) => return Review::Failed(err.to_string()),
    };
    match api.create(&PostParams::default(), &body).await {
        Ok(answer) => {
            let status = answer.data.get("status").cloned().unwrap_or(Value::Null);
            if status.get("allowed").and_then(Value::as_bool) == Some(true) {
                Review::Allowed
            } else {
                let reason = status
                    .get("reason")
                    .and_then(Value::as_str)
                    .filter(|r| !r.is_empty())
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default();
                let scope = probe
                    .namespace
                    .as_deref()
                    .map(|ns| format!(" in namespace {ns}"))
                    .unwrap_or_default();
                let qualified = if probe.group.is_empty() {
                    probe.resource.clone()
                } else {
                    format!("{}.{}", probe.resource, probe.group)
                };
                Review::Denied(format!(
                    "not allowed to {} {qualified}{scope}{reason}",
                    probe.verb
                ))
            }
        }
        Err(kube::Error::Api(status)) if status.code == 404 => Review::NotServed,
        Err(kube::Error::Api(status)) => {
            Review::Failed(format!("{} ({})", status.message, status.code))
        }
        Err(err) => Review::Failed(err.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(global: bool, env_read_only: bool) -> Config {
        let text = format!(
            "[settings]\nread_only = {global}\n[[repo]]\nname = \"r\"\npath = \"/tmp/r\"\n\
             [[environment]]\nname = \"prod\"\ncontext = \"prod\"\nread_only = {env_read_only}\n\
             [[environment]]\nname = \"dev\"\ncontext = \"dev\"\n"
        );
        Config::from_str(&text, std::path::Path::new("/tmp/kubedrift.toml")).expect("config")
    }

    #[test]
    fn the_session_flag_and_both_config_switches_each_refuse_writes_with_their_reason() {
        let writable = Session::new(false);
        assert!(static_checks(&writable, &config(false, false), "prod").is_ok());
        let err = static_checks(&Session::new(true), &config(false, false), "prod").unwrap_err();
        assert_eq!(
            err.to_string(),
            "prod is read-only: the session was started with --read-only"
        );
        let err = static_checks(&writable, &config(true, false), "dev").unwrap_err();
        assert!(matches!(err, ReadOnly::ConfigGlobal { .. }));
        let err = static_checks(&writable, &config(false, true), "prod").unwrap_err();
        assert!(err
            .to_string()
            .contains("read_only = true for environment prod"));
        assert!(static_checks(&writable, &config(false, true), "dev").is_ok());
    }

    fn proposal(to: &str, onto_env_ref: bool) -> Proposal {
        let target_ref = format!("refs/heads/{to}");
        Proposal {
            app: "web".into(),
            from: "dev".into(),
            to: to.into(),
            model: crate::config::PromotionModel::Branch,
            repo: "/tmp/r".into(),
            source_ref: "dev".into(),
            source_commit: git2::Oid::ZERO_SHA1,
            target_ref: target_ref.clone(),
            target_tip: git2::Oid::ZERO_SHA1,
            write_ref: if onto_env_ref {
                target_ref
            } else {
                format!("refs/heads/promote/web/{to}/0000000")
            },
            change: crate::actions::promote::Change::Files { edits: Vec::new() },
            diff: String::new(),
            message: String::new(),
        }
    }

    #[test]
    fn git_writes_to_a_new_branch_are_allowed_for_a_read_only_environment_but_not_onto_its_ref() {
        let cfg = config(false, true);
        let writable = Session::new(false);
        let capability = git_access(&writable, &cfg, &proposal("prod", false)).expect("new branch");
        assert_eq!(capability.env(), "prod");
        assert_eq!(
            capability.write_ref(),
            "refs/heads/promote/web/prod/0000000"
        );
        assert!(git_access(&writable, &cfg, &proposal("prod", true)).is_err());
        assert!(git_access(&Session::new(true), &cfg, &proposal("dev", false)).is_err());
        assert!(git_access(&writable, &config(true, false), &proposal("dev", false)).is_err());
    }

    #[test]
    fn an_environment_the_config_does_not_name_is_never_writable() {
        let cfg = config(false, false);
        let err = static_checks(&Session::new(false), &cfg, "prdo").unwrap_err();
        assert!(matches!(err, ReadOnly::UnknownEnvironment { .. }), "{err}");
        let err = git_access(&Session::new(false), &cfg, &proposal("prdo", false)).unwrap_err();
        assert!(matches!(err, ReadOnly::UnknownEnvironment { .. }), "{err}");
    }
}
