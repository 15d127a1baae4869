//! `kubedrift render APP --env ENV`: print the rendered desired manifests.

use super::{Exit, GlobalArgs, OutputFormat};
use crate::config::Config;
use crate::desired::{self, Repos};
use crate::engine::{diff, mask};
use crate::manifest::ManifestLimits;
use crate::model::{builtin_cluster_scoped, ResourceKey};
use crate::render::RenderCache;
use color_eyre::eyre::eyre;
use serde_json::Value;
use std::io::Write;

/// Print the desired manifests of one app in one environment, as rendered from Git.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  kubedrift render web --env prod\n  \
kubedrift render web --env dev --ref feature/x\n  \
kubedrift render web --env prod --output json | jq '.items[].kind'\n\n\
Secret values are masked. Exit codes: 0 rendered, 2 error (the app could not be rendered\n\
completely; what could be rendered is still printed).")]
pub struct RenderArgs {
    /// App name (as configured or discovered).
    pub app: String,
    /// Environment name.
    #[arg(long)]
    pub env: String,
    /// Git ref to render instead of the environment's (branch, tag or commit).
    #[arg(long = "ref", value_name = "REF")]
    pub git_ref: Option<String>,
    /// Output format: YAML documents (table) or a JSON List.
    #[arg(long, short, value_enum, default_value_t)]
    pub output: OutputFormat,
}

pub fn run(global: &GlobalArgs, args: RenderArgs) -> color_eyre::Result<Exit> {
    let loaded = Config::load(global.config.as_deref()).map_err(|e| eyre!("{e}"))?;
    let config = &loaded.config;
    let repos = Repos::open(config);
    let app = desired::find_app(config, &repos, &args.env, &args.app).map_err(|e| eyre!("{e}"))?;
    let limits = ManifestLimits {
        max_file_bytes: config.settings.max_manifest_bytes,
    };
    let mut cache = RenderCache::new(1);
    let rendered = desired::render_app(&app, &repos, args.git_ref.as_deref(), &limits, &mut cache)
        .map_err(|e| match &app.chart {
            // The error names the chart and its repository; the path may be the repo root.
            Some(_) => eyre!("{}: {e}", app.name),
            None => eyre!("{}: {e}", app.path),
        })?;

    let mut out = std::io::stdout().lock();
    let mut objects: Vec<serde_json::Value> = rendered
        .rendered
        .objects
        .iter()
        .map(|o| o.object.clone())
        .collect();
    // The namespace compare and status give objects that name none: the app's, else the
    // environment's, else `default` (as `ResourceKey::from_object` keys them).
    let default_namespace = app.namespace.as_deref().unwrap_or("default");
    for object in &mut objects {
        set_default_namespace(object, default_namespace);
        mask::mask_secret(object);
    }
    match args.output {
        OutputFormat::Json => {
            let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": objects});
            serde_json::to_writer_pretty(&mut out, &list)?;
            writeln!(out)?;
        }
        OutputFormat::Table => {
            writeln!(
                out,
                "# {} in {} at {} ({} renderer{}, default namespace {default_namespace})",
                app.name,
                app.env,
                rendered.revision.label(),
                rendered.rendered.renderer_used,
                app.chart
                    .as_ref()
                    .map(|chart| format!(", {chart}"))
                    .unwrap_or_default()
            )?;
            for object in &objects {
                writeln!(out, "---")?;
                write!(out, "{}", diff::display_yaml(object))?;
            }
        }
    }
    let mut err = std::io::stderr().lock();
    for warning in &rendered.rendered.warnings {
        writeln!(err, "warning: {warning}")?;
    }
    let mut exit = Exit::InSync;
    for error in &rendered.rendered.errors {
        writeln!(err, "error: {error}")?;
        exit = Exit::Error;
    }
    for duplicate in &rendered.rendered.duplicates {
        writeln!(err, "error: {duplicate}")?;
        exit = Exit::Error;
    }
    Ok(exit)
}

/// Gives `object` the namespace it is compared in: `namespace` when it names none (or an empty
/// one) and its kind is not cluster-scoped per [`builtin_cluster_scoped`], the rule the live
/// state uses before discovery. The field goes right after `metadata.name`, where kubectl puts
/// it. Objects without a kind or metadata are left as they are (the renderer reports them).
fn set_default_namespace(object: &mut Value, namespace: &str) {
    // The namespace this object is keyed (and so compared) in: the one rule, in ResourceKey.
    let Ok(key) = ResourceKey::from_object(object, Some(namespace), &builtin_cluster_scoped) else {
        return;
    };
    let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut) else {
        return;
    };
    let (Some(keyed), None | Some("")) = (
        key.namespace,
        metadata.get("namespace").and_then(Value::as_str),
    ) else {
        return;
    };
    let value = Value::String(keyed.to_string());
    match metadata.keys().position(|key| key == "name") {
        Some(at) if !metadata.contains_key("namespace") => {
            metadata.shift_insert(at + 1, "namespace".to_string(), value);
        }
        _ => {
            metadata.insert("namespace".to_string(), value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn namespaced_objects_without_one_get_the_default_after_their_name() {
        let mut deploy = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "ledger", "labels": {"app": "ledger"}}, "spec": {"replicas": 2}});
        set_default_namespace(&mut deploy, "payments");
        assert_eq!(deploy["metadata"]["namespace"], "payments");
        let keys: Vec<&String> = deploy["metadata"].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["name", "namespace", "labels"]);

        let mut empty = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "ledger", "namespace": ""}});
        set_default_namespace(&mut empty, "payments");
        assert_eq!(empty["metadata"]["namespace"], "payments");
    }

    #[test]
    fn named_namespaces_cluster_scoped_kinds_and_broken_objects_are_untouched() {
        let named = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "ledger", "namespace": "shop"}});
        let cluster = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": "ledger-reader"}, "rules": []});
        let no_metadata = json!({"apiVersion": "v1", "kind": "ConfigMap"});
        let no_kind = json!({"apiVersion": "v1", "metadata": {"name": "x"}});
        for original in [
            named,
            cluster,
            no_metadata,
            no_kind,
            json!("text"),
            json!(null),
        ] {
            let mut object = original.clone();
            set_default_namespace(&mut object, "payments");
            assert_eq!(object, original);
        }
    }
}
