//! Kustomize: find every in-repo directory and file a kustomization needs (following
//! kustomization files recursively), then run `kustomize build` / `kubectl kustomize` on a
//! temp-dir copy, never on a git checkout.

use super::tool::{self, Tools};
use super::workspace::{resolve, Entry, Workspace};
use super::RenderError;
use crate::manifest::tree::join_root;
use serde_json::Value as Json;
use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::Path;

/// File names kustomize recognizes as a kustomization, in its order of preference.
pub(crate) const KUSTOMIZATION_FILES: [&str; 3] =
    ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// How a kustomization field refers to things.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RefKind {
    /// A file or a directory (a kustomization); remote URLs are possible, and rejected.
    Resource,
    /// A file that must exist.
    File,
    /// A file path or inline content (patchesStrategicMerge, generators, transformers):
    /// followed when it exists, otherwise left to kustomize.
    FileOrInline,
}

/// One reference found in a kustomization file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Reference {
    field: String,
    value: String,
    kind: RefKind,
}

/// Does this `resources` entry point outside the repository?
fn is_remote(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    lower.contains("://")
        || lower.starts_with("git@")
        || lower.starts_with("git::")
        || lower.contains("?ref=")
        || lower.contains("?version=")
        || ["github.com/", "gitlab.com/", "bitbucket.org/"]
            .iter()
            .any(|host| lower.starts_with(host))
}

fn strings(value: Option<&Json>) -> Vec<String> {
    match value {
        Some(Json::Array(items)) => items
            .iter()
            .filter_map(Json::as_str)
            .map(str::to_string)
            .collect(),
        Some(Json::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// Every path a kustomization refers to, with how to treat it.
fn references(kustomization: &Json) -> Vec<Reference> {
    let mut out = Vec::new();
    let mut push = |field: &str, value: String, kind: RefKind| {
        out.push(Reference {
            field: field.to_string(),
            value,
            kind,
        })
    };
    for field in ["resources", "bases", "components"] {
        for value in strings(kustomization.get(field)) {
            push(field, value, RefKind::Resource);
        }
    }
    for field in ["crds", "configurations"] {
        for value in strings(kustomization.get(field)) {
            push(field, value, RefKind::File);
        }
    }
    for field in [
        "patchesStrategicMerge",
        "generators",
        "transformers",
        "validators",
    ] {
        for value in strings(kustomization.get(field)) {
            if !value.contains('\n') {
                push(field, value, RefKind::FileOrInline);
            }
        }
    }
    for field in ["patches", "patchesJson6902", "replacements"] {
        if let Some(Json::Array(items)) = kustomization.get(field) {
            for item in items {
                if let Some(path) = item.get("path").and_then(Json::as_str) {
                    push(&format!("{field}[].path"), path.to_string(), RefKind::File);
                }
            }
        }
    }
    for field in ["configMapGenerator", "secretGenerator"] {
        if let Some(Json::Array(generators)) = kustomization.get(field) {
            for generator in generators {
                for entry in strings(generator.get("files")) {
                    // `key=path` or `path`
                    let path = entry.split_once('=').map_or(entry.as_str(), |(_, p)| p);
                    push(&format!("{field}[].files"), path.to_string(), RefKind::File);
                }
                for entry in strings(generator.get("envs"))
                    .into_iter()
                    .chain(strings(generator.get("env")))
                {
                    push(&format!("{field}[].envs"), entry, RefKind::File);
                }
            }
        }
    }
    if let Some(path) = kustomization
        .get("openapi")
        .and_then(|o| o.get("path"))
        .and_then(Json::as_str)
    {
        push("openapi.path", path.to_string(), RefKind::File);
    }
    out
}

/// Read the app's kustomization and, recursively, everything it refers to inside the repo.
/// A kustomization that does not parse is left for kustomize to report (its message is
/// what the user needs).
pub(crate) fn collect(ws: &mut Workspace<'_>, app: &str) -> Result<(), RenderError> {
    let source_err = |error| RenderError::Source {
        app: app.to_string(),
        error,
    };
    let mut queue = vec![app.to_string()];
    let mut visited = BTreeSet::new();
    while let Some(dir) = queue.pop() {
        if !visited.insert(dir.clone()) {
            continue;
        }
        let Some((file, bytes)) = KUSTOMIZATION_FILES.iter().find_map(|name| {
            let path = join_root(&dir, name);
            ws.file(&path).map(|bytes| (path, bytes.to_vec()))
        }) else {
            continue;
        };
        let Ok(kustomization) = serde_yaml::from_slice::<Json>(&bytes) else {
            continue;
        };
        for reference in references(&kustomization) {
            if reference.kind == RefKind::Resource && is_remote(&reference.value) {
                return Err(RenderError::RemoteBase {
                    app: app.to_string(),
                    file,
                    reference: reference.value,
                });
            }
            let target = match resolve(&dir, &reference.value) {
                Ok(target) => target,
                // Not a usable path: inline content, left to kustomize.
                Err(_) if reference.kind == RefKind::FileOrInline => continue,
                Err(why) => {
                    return Err(RenderError::Reference {
                        app: app.to_string(),
                        file,
                        message: format!("{} entry {:?}: {why}", reference.field, reference.value),
                    })
                }
            };
            match ws.classify(&target).map_err(source_err)? {
                Entry::Dir => {
                    if reference.kind != RefKind::File {
                        queue.push(target);
                    }
                }
                Entry::File => {}
                Entry::Missing if reference.kind == RefKind::FileOrInline => {}
                Entry::Missing => {
                    return Err(RenderError::Reference {
                        app: app.to_string(),
                        file,
                        message: format!(
                            "{} entry {:?} ({}) not found at {}",
                            reference.field,
                            reference.value,
                            if target.is_empty() { "." } else { &target },
                            ws.revision()
                        ),
                    })
                }
            }
        }
    }
    Ok(())
}

/// The command to build `dir`: `kustomize build` if installed, else `kubectl kustomize`.
/// Both with `--load-restrictor LoadRestrictionsNone`, as Flux runs it, so that files
/// outside a kustomization's own directory (shared patches) can be used.
pub(crate) fn command(
    tools: &Tools,
    dir: &Path,
) -> Option<(std::path::PathBuf, Vec<OsString>, &'static str)> {
    let restrictor = [
        OsString::from("--load-restrictor"),
        OsString::from("LoadRestrictionsNone"),
        dir.as_os_str().to_os_string(),
    ];
    if let Some(kustomize) = tools.find("kustomize") {
        let mut args = vec![OsString::from("build")];
        args.extend(restrictor);
        return Some((kustomize, args, "kustomize build"));
    }
    let kubectl = tools.find("kubectl")?;
    let mut args = vec![OsString::from("kustomize")];
    args.extend(restrictor);
    Some((kubectl, args, "kubectl kustomize"))
}

/// The program [`command`] would run (for the cache key), without building any arguments.
pub(crate) fn program(tools: &Tools) -> Option<std::path::PathBuf> {
    tools.find("kustomize").or_else(|| tools.find("kubectl"))
}

/// Materialize the workspace and run kustomize on the app directory; returns its stdout
/// and any warnings it printed.
pub(crate) fn build(
    ws: &Workspace<'_>,
    app: &str,
    tools: &Tools,
) -> Result<(Vec<u8>, Vec<String>), RenderError> {
    let workdir =
        super::leftovers::temp_dir("kubedrift-kustomize-").map_err(|err| RenderError::Io {
            app: app.to_string(),
            message: format!("creating a temp dir: {err}"),
        })?;
    // Canonical path, so that tool messages mentioning it can be turned back into repo paths.
    let root = workdir
        .path()
        .canonicalize()
        .unwrap_or_else(|_| workdir.path().to_path_buf());
    let app_dir = if app.is_empty() {
        root.clone()
    } else {
        root.join(app)
    };
    let Some((program, args, tool_name)) = command(tools, &app_dir) else {
        return Err(RenderError::ToolMissing {
            app: app.to_string(),
            tool: "kustomize".to_string(),
            message: "kustomize not installed (neither kustomize nor kubectl found on PATH)"
                .to_string(),
        });
    };
    ws.materialize(&root).map_err(|message| RenderError::Io {
        app: app.to_string(),
        message,
    })?;
    tool::run_renderer(
        &program,
        &args,
        tools.timeout,
        app,
        tool_name,
        &root,
        &|| tool::inputs_mention_secrets(&root),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn references_cover_the_path_fields() {
        let kustomization = json!({
            "resources": ["../base", "deploy.yaml"],
            "components": ["../../components/tls"],
            "patchesStrategicMerge": ["replicas.yaml", "apiVersion: v1\nkind: X\n"],
            "patches": [{"path": "patch.yaml", "target": {"kind": "Deployment"}}, {"patch": "inline"}],
            "configMapGenerator": [{"name": "cfg", "files": ["app.properties", "key=conf/x.ini"], "envs": ["env.txt"]}],
            "secretGenerator": [{"name": "s", "env": "secret.env"}],
            "crds": ["crds/widget.yaml"],
            "openapi": {"path": "schema.json"}
        });
        let values: Vec<_> = references(&kustomization)
            .into_iter()
            .map(|r| r.value)
            .collect();
        assert_eq!(
            values,
            vec![
                "../base",
                "deploy.yaml",
                "../../components/tls",
                "crds/widget.yaml",
                "replicas.yaml",
                "patch.yaml",
                "app.properties",
                "conf/x.ini",
                "env.txt",
                "secret.env",
                "schema.json"
            ]
        );
    }

    #[test]
    fn remote_references_are_recognized() {
        assert!(is_remote("https://github.com/acme/deploy//base?ref=v1"));
        assert!(is_remote("github.com/acme/deploy/base?ref=v1"));
        assert!(is_remote("git@github.com:acme/deploy.git"));
        assert!(!is_remote("../base"));
        assert!(!is_remote("deploy.yaml"));
    }
}
