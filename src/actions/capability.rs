//! Read-only by construction: every write (apply, delete, patch, git commit, push) takes a
//! capability value, and the only way to get one is through the checks here.
//!
//! [`WriteCapability`] (one cluster environment) and [`GitWriteCapability`] (one repo) have
//! private fields and no public constructor, so code that never passed the checks cannot
//! name one: with `--read-only`, `settings.read_only`, an environment's `read_only` or
//! credentials that may not write, there is no code path from a command or a key to a write.

use crate::config::Config;
use kube::api::{Api, PostParams};
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
}

/// Permission to write to one environment's cluster. Only [`cluster_access`] makes one.
pub struct WriteCapability {
    env: String,
    context: String,
}

impl WriteCapability {
    pub fn env(&self) -> &str {
        &self.env
    }

    pub fn context(&self) -> &str {
        &self.context
    }
}

impl fmt::Debug for WriteCapability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WriteCapability({} on {})", self.env, self.context)
    }
}

/// Permission to write git objects and refs (commit, ref update, push) in one repo. Only
/// [`git_access`] makes one.
pub struct GitWriteCapability {
    repo: std::path::PathBuf,
}

impl GitWriteCapability {
    pub fn repo(&self) -> &std::path::Path {
        &self.repo
    }
}

impl fmt::Debug for GitWriteCapability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GitWriteCapability({})", self.repo.display())
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

/// The checks that need no network: the session flag and the config.
pub fn static_checks(session: &Session, config: &Config, env: &str) -> Result<(), ReadOnly> {
    let target = env.to_string();
    if session.read_only {
        return Err(ReadOnly::SessionFlag { target });
    }
    if config.settings.read_only {
        return Err(ReadOnly::ConfigGlobal { target });
    }
    if config.environment(env).is_ok_and(|e| e.read_only) {
        return Err(ReadOnly::ConfigEnvironment {
            target,
            env: env.to_string(),
        });
    }
    Ok(())
}

/// Decide whether environment `env` (on `context`) may be written, and if so hand out its
/// capability. `dry_run_forbidden` is what the dry run of the planned writes met: a 403
/// there means the credentials cannot write. Otherwise the server is asked with
/// SelfSubjectAccessReview for each probe; a server that does not serve it (404) leaves the
/// dry run as the check.
pub async fn cluster_access(
    session: &Session,
    config: &Config,
    env: &str,
    context: &str,
    client: &kube::Client,
    probes: &[AccessProbe],
    dry_run_forbidden: DryRunForbidden,
) -> Result<WriteCapability, ReadOnly> {
    static_checks(session, config, env)?;
    let denied = |detail: String| ReadOnly::Credentials {
        target: env.to_string(),
        context: context.to_string(),
        detail,
    };
    // A 403 on the dry run of the very writes planned settles it, whatever else is served.
    if let Some(message) = dry_run_forbidden {
        return Err(denied(message));
    }
    for probe in probes {
        match self_subject_access_review(client, probe).await {
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
        context: context.to_string(),
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

/// Decide whether git objects and refs may be written for a promotion into `env`.
/// `onto_env_ref`: the promotion moves the ref the environment reads (not a new
/// `promote/...` branch), which an environment's `read_only` forbids too.
pub fn git_access(
    session: &Session,
    config: &Config,
    env: &str,
    repo: &std::path::Path,
    onto_env_ref: bool,
) -> Result<GitWriteCapability, ReadOnly> {
    let target = format!("git for {env}");
    if session.read_only {
        return Err(ReadOnly::SessionFlag { target });
    }
    if config.settings.read_only {
        return Err(ReadOnly::ConfigGlobal { target });
    }
    if onto_env_ref && config.environment(env).is_ok_and(|e| e.read_only) {
        return Err(ReadOnly::ConfigEnvironment {
            target,
            env: env.to_string(),
        });
    }
    Ok(GitWriteCapability {
        repo: repo.to_path_buf(),
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

    #[test]
    fn git_writes_to_a_new_branch_are_allowed_for_a_read_only_environment_but_not_onto_its_ref() {
        let cfg = config(false, true);
        let repo = std::path::Path::new("/tmp/r");
        let writable = Session::new(false);
        assert!(git_access(&writable, &cfg, "prod", repo, false).is_ok());
        assert!(git_access(&writable, &cfg, "prod", repo, true).is_err());
        assert!(git_access(&Session::new(true), &cfg, "dev", repo, false).is_err());
        assert!(git_access(&writable, &config(true, false), "dev", repo, false).is_err());
    }
}
