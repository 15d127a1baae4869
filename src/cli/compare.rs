//! `kubedrift compare DESIRED LIVE`: offline compare of two sets of manifests.
//!
//! Both sides are read from disk (a file or a directory, YAML or JSON, multi-document, Lists
//! expanded). A file that cannot be read or parsed is reported and skipped; the rest is still
//! compared, and the exit code says 2 because the answer is incomplete.

use super::{Exit, GlobalArgs, OutputFormat};
use crate::config::{Config, ConfigError};
use crate::engine::app::{compare_app, AppComparison, DesiredResource, Tracking};
use crate::engine::compare::{display_pair, CompareOptions, Verdict};
use crate::engine::diff;
use crate::engine::ignore::IgnoreRule;
use crate::manifest::{self, ManifestLimits, ManifestObject};
use crate::model::{ResourceKey, Scopes};
use color_eyre::eyre::eyre;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Compare manifests on disk: a Git folder against a `kubectl get -o yaml` dump.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  kubedrift compare apps/web/envs/prod live.yaml\n  \
kubectl get deploy,svc -n shop -o yaml > live.yaml && kubedrift compare desired/ live.yaml --diff\n  \
kubedrift compare desired/ live/ --output json\n  \
kubedrift compare desired/ live.yaml --app web   # live objects tracked to app `web` but not in Git are Extraneous\n\n\
With --app, the ignore rules ([[app.ignore]]) of the app of that name listed in the config \
(--config, $KUBEDRIFT_CONFIG, else the default config file if it exists) apply, as in \
`status` and `diff`; a config given explicitly that cannot be loaded is an error.\n\n\
Exit codes: 0 in sync, 1 drift, 2 error (a file could not be read or parsed)."
)]
pub struct CompareArgs {
    /// Desired manifests: a file or a directory (searched recursively).
    pub desired: PathBuf,
    /// Live objects: a file or directory (a List, multi-document YAML or JSON).
    pub live: PathBuf,
    /// Show the masked unified diff of each differing resource.
    #[arg(long)]
    pub diff: bool,
    /// App name: live objects carrying this app's tracking mark (Argo CD, Flux or kubedrift)
    /// that are not desired are reported as Extraneous, and the ignore rules of the app
    /// listed under this name in the config apply.
    #[arg(long)]
    pub app: Option<String>,
    /// Environment of the app: live objects labelled `kubedrift.io/env` with another
    /// environment are not claimed (two environments of one app on one cluster).
    #[arg(long, requires = "app")]
    pub env: Option<String>,
    /// Namespace given to desired objects that do not name one.
    #[arg(long, short = 'n', default_value = "default")]
    pub namespace: String,
    /// Files larger than this many bytes are rejected.
    #[arg(long, default_value_t = ManifestLimits::default().max_file_bytes)]
    pub max_file_bytes: u64,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t)]
    pub output: OutputFormat,
}

/// Objects of one side, with the problems met while reading them.
struct Side {
    objects: Vec<ManifestObject>,
    errors: Vec<String>,
    warnings: Vec<String>,
}

fn read_side(path: &Path, limits: &ManifestLimits) -> Side {
    match crate::local_source::load_path(path, limits) {
        Ok(loaded) => {
            let parsed = loaded.parse(limits);
            Side {
                objects: parsed.objects,
                errors: parsed.errors.iter().map(ToString::to_string).collect(),
                warnings: parsed.warnings,
            }
        }
        Err(err) => Side {
            objects: Vec::new(),
            errors: vec![err.to_string()],
            warnings: Vec::new(),
        },
    }
}

fn origin(obj: &ManifestObject) -> String {
    format!("{}:{}", obj.source.file, obj.source.line)
}

/// The ignore rules of the listed `[[app]]` called `app`, when a config is loaded: the one
/// named by `--config` or `$KUBEDRIFT_CONFIG` (which must load), else the default file if it
/// exists. Without a config, or when the config does not list the app, there are none:
/// `compare` works on plain files and needs no config.
fn configured_ignore_rules(global: &GlobalArgs, app: &str) -> color_eyre::Result<Vec<IgnoreRule>> {
    let loaded = match Config::load(global.config.as_deref()) {
        Ok(loaded) => loaded,
        // No config anywhere: an offline compare needs none.
        Err(ConfigError::NotFound { .. }) => return Ok(Vec::new()),
        Err(err) => return Err(eyre!("{err}")),
    };
    Ok(loaded
        .config
        .apps
        .into_iter()
        .find(|listed| listed.name == app)
        .map(|listed| listed.ignore)
        .unwrap_or_default())
}

pub fn run(global: &GlobalArgs, args: CompareArgs) -> color_eyre::Result<Exit> {
    // Read first: a config named explicitly that does not load is an error before any work.
    let ignore = match &args.app {
        Some(app) => configured_ignore_rules(global, app)?,
        None => Vec::new(),
    };
    let limits = ManifestLimits {
        max_file_bytes: args.max_file_bytes,
    };
    let desired_side = read_side(&args.desired, &limits);
    let live_side = read_side(&args.live, &limits);
    let mut errors: Vec<String> = desired_side.errors.clone();
    errors.extend(live_side.errors.iter().cloned());
    let mut warnings = desired_side.warnings.clone();
    warnings.extend(live_side.warnings.iter().cloned());

    // Offline there is no discovery: the live dump tells which custom kinds are
    // cluster-scoped, and both sides are keyed alike so `-n` never splits one object in two.
    let mut scopes = Scopes::new();
    scopes.learn_from_live(live_side.objects.iter().map(|obj| &obj.object));
    let scope = &|group: &str, kind: &str| scopes.is_cluster_scoped(group, kind);
    let namespace = Some(args.namespace.as_str());
    for dup in manifest::find_duplicates(&desired_side.objects, namespace, scope) {
        errors.push(dup.to_string());
    }

    // Any desired object lost to a read, parse or identity error may be one a live object
    // is tracked to: claiming live objects as Extraneous would then be a false alarm.
    let mut desired_incomplete = !desired_side.errors.is_empty();
    let mut desired = Vec::new();
    // Keys of desired objects whose manifest names no namespace (for the `-n` hint).
    let mut unnamespaced = Vec::new();
    for obj in &desired_side.objects {
        match scopes.key_of(&obj.object, namespace) {
            Ok(key) => {
                let names_namespace = obj
                    .object
                    .pointer("/metadata/namespace")
                    .and_then(Value::as_str)
                    .is_some_and(|ns| !ns.is_empty());
                if !names_namespace {
                    unnamespaced.push(key.clone());
                }
                desired.push(DesiredResource::new(
                    key,
                    obj.object.clone(),
                    Some(origin(obj)),
                ));
            }
            Err(err) => {
                desired_incomplete = true;
                errors.push(format!("{}: {err}", origin(obj)));
            }
        }
    }
    // Live objects carry their namespace; a live dump never relies on a default.
    let mut live: HashMap<ResourceKey, &Value> = HashMap::new();
    for obj in &live_side.objects {
        match scopes.key_of(&obj.object, None) {
            Ok(key) => {
                if live.insert(key.clone(), &obj.object).is_some() {
                    errors.push(format!(
                        "{}: {key} appears more than once in the live objects",
                        origin(obj)
                    ));
                }
            }
            Err(err) => errors.push(format!("{}: {err}", origin(obj))),
        }
    }

    let tracking = match &args.app {
        Some(app) if desired_incomplete => {
            warnings.push(format!(
                "Extraneous objects of app {app:?} are not reported: some desired manifests \
                 could not be read (see errors), so a live object may still be in Git"
            ));
            Tracking::None
        }
        Some(app) => Tracking::App {
            name: app,
            env: args.env.as_deref(),
        },
        None => Tracking::None,
    };
    let mut ignore = ignore;
    ignore.extend(crate::engine::rollout::controller_owned_fields(
        desired
            .iter()
            .filter(|d| crate::engine::rollout::is_rollout_key(&d.key))
            .map(|d| (&d.key, d.value())),
    ));
    let opts = CompareOptions {
        ignore: &ignore,
        ..CompareOptions::default()
    };
    let result = compare_app(&desired, &live, tracking, &opts);
    let desired_by_key: HashMap<&ResourceKey, std::borrow::Cow<'_, Value>> =
        desired.iter().map(|d| (&d.key, d.value())).collect();
    let diff_of = |key: &ResourceKey| {
        let pair = display_pair(
            desired_by_key.get(key).map(|d| d.as_ref()),
            live.get(key).copied(),
            &opts,
        );
        diff::diff_with_kept(pair.desired.as_ref(), pair.live.as_ref(), &pair.kept, 3)
    };

    let missing: HashSet<&ResourceKey> = result
        .resources
        .iter()
        .filter(|r| r.verdict == Verdict::Missing)
        .map(|r| &r.key)
        .collect();
    let hints =
        super::hints::namespace_hints(&unnamespaced, &missing, live.keys(), &args.namespace);
    let exit = if !errors.is_empty() {
        Exit::Error
    } else if result.has_drift() {
        Exit::Drift
    } else {
        Exit::InSync
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match args.output {
        OutputFormat::Json => {
            let mut doc = json_report(
                &result,
                &errors,
                &warnings,
                exit,
                args.diff.then_some(&diff_of),
            );
            doc["hints"] = json!(hints);
            serde_json::to_writer_pretty(&mut out, &doc)?;
            writeln!(out)?;
        }
        OutputFormat::Table => {
            write_table(&mut out, &result)?;
            if args.diff {
                for resource in result.resources.iter().filter(|r| r.verdict.is_drift()) {
                    let shown = diff_of(&resource.key);
                    writeln!(out, "\n# {} ({})", resource.key, resource.verdict.label())?;
                    if super::color_enabled() {
                        write!(out, "{}", diff::to_ansi(&shown))?;
                    } else {
                        write!(out, "{}", shown.unified)?;
                    }
                }
            }
            let mut err = std::io::stderr().lock();
            for warning in &warnings {
                writeln!(err, "warning: {warning}")?;
            }
            for hint in &hints {
                writeln!(err, "hint: {hint}")?;
            }
            for error in &errors {
                writeln!(err, "error: {error}")?;
            }
        }
    }
    Ok(exit)
}

fn paths_of(verdict: &Verdict) -> String {
    match verdict {
        Verdict::OutOfSync { paths } => paths
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        Verdict::Unknown { reason } => reason.clone(),
        _ => String::new(),
    }
}

fn write_table(out: &mut impl Write, result: &AppComparison) -> std::io::Result<()> {
    let rows: Vec<[String; 4]> = result
        .resources
        .iter()
        .map(|r| {
            [
                r.verdict.label().to_string(),
                r.health
                    .as_ref()
                    .map(|h| h.status.label().to_string())
                    .unwrap_or_else(|| "-".into()),
                r.key.to_string(),
                paths_of(&r.verdict),
            ]
        })
        .collect();
    let header = ["SYNC", "HEALTH", "RESOURCE", "DIFFERENCES"];
    out.write_all(super::table::render(header, &rows, 2).as_bytes())
}

fn json_report(
    result: &AppComparison,
    errors: &[String],
    warnings: &[String],
    exit: Exit,
    diff_of: Option<&dyn Fn(&ResourceKey) -> diff::DisplayDiff>,
) -> Value {
    let resources: Vec<Value> = result
        .resources
        .iter()
        .map(|r| {
            let mut entry = super::resource_json(&r.key, &r.verdict, r.health.as_ref());
            if let Some(origin) = &r.origin {
                entry["source"] = json!(origin);
            }
            if let (Some(diff_of), true) = (diff_of, r.verdict.is_drift()) {
                entry["diff"] = json!(diff_of(&r.key).unified);
            }
            entry
        })
        .collect();
    json!({
        "sync": result.sync,
        "health": result.health.map(|h| h.label()),
        "resources": resources,
        "errors": errors,
        "warnings": warnings,
        "exitCode": exit.code(),
    })
}
