//! The renderer options of a controller object, applied without touching the renderers:
//! [`GeneratedSource`] serves a generated directory next to the repository's own (a
//! kustomization over the app directory, as Argo CD edits one and Flux generates one; inline
//! Helm values as a values file), and [`substitute`] is Flux's `postBuild.substitute` over the
//! rendered objects. Pure: the repository is read through the wrapped [`TreeSource`].

use super::{RenderExtras, GENERATED_DIR};
use crate::manifest::tree::is_manifest_file;
use crate::source::{SourceError, SourceTree, TreeSource};
use serde_json::{json, Value as Json};
use std::collections::BTreeMap;

/// The generated kustomization's file name.
const KUSTOMIZATION: &str = "kustomization.yaml";
/// The inline Helm values' file name.
pub const VALUES: &str = "values.yaml";

/// Repo path of the generated values file.
pub fn values_path() -> String {
    format!("{GENERATED_DIR}/{VALUES}")
}

/// A [`TreeSource`] that also serves the files an app's controller options generate.
pub struct GeneratedSource<'a> {
    inner: &'a dyn TreeSource,
    app_path: &'a str,
    extras: &'a RenderExtras,
}

impl<'a> GeneratedSource<'a> {
    pub fn new(inner: &'a dyn TreeSource, app_path: &'a str, extras: &'a RenderExtras) -> Self {
        GeneratedSource {
            inner,
            app_path,
            extras,
        }
    }

    fn generated(&self) -> Result<SourceTree, SourceError> {
        let mut files = BTreeMap::new();
        if let Some(options) = &self.extras.kustomization {
            let mut kustomization = json!({
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
            });
            if let (Json::Object(out), Json::Object(options)) = (&mut kustomization, options) {
                for (key, value) in options {
                    out.insert(key.clone(), value.clone());
                }
            }
            kustomization["resources"] = Json::Array(self.resources()?);
            let text = serde_yaml::to_string(&kustomization).map_err(|e| SourceError::Read {
                path: GENERATED_DIR.to_string(),
                message: e.to_string(),
            })?;
            files.insert(KUSTOMIZATION.to_string(), text.into_bytes());
        }
        if let Some(values) = &self.extras.helm_values {
            files.insert(VALUES.to_string(), values.clone().into_bytes());
        }
        let mut canonical = Vec::new();
        for (name, bytes) in &files {
            canonical.extend_from_slice(name.as_bytes());
            canonical.push(0);
            canonical.extend_from_slice(bytes);
            canonical.push(0);
        }
        Ok(SourceTree {
            root: GENERATED_DIR.to_string(),
            id: format!("generated:{}", crate::local_source::digest(&canonical)),
            files,
        })
    }

    /// What the generated kustomization builds on: the app directory when it is a
    /// kustomization, else its manifest files (as Flux generates a kustomization for a plain
    /// directory).
    fn resources(&self) -> Result<Vec<Json>, SourceError> {
        let up = |path: &str| {
            if path.is_empty() {
                "..".to_string()
            } else {
                format!("../{path}")
            }
        };
        let tree = self.inner.subtree(self.app_path)?;
        let is_kustomization =
            crate::render::detect(&tree) == crate::render::RendererKind::Kustomize;
        if is_kustomization {
            return Ok(vec![json!(up(self.app_path))]);
        }
        Ok(tree
            .files
            .keys()
            .filter(|file| is_manifest_file(file))
            .map(|file| json!(up(&crate::manifest::tree::join_root(self.app_path, file))))
            .collect())
    }
}

impl TreeSource for GeneratedSource<'_> {
    fn subtree(&self, path: &str) -> Result<SourceTree, SourceError> {
        if path == GENERATED_DIR {
            return self.generated();
        }
        let mut tree = self.inner.subtree(path)?;
        // Only a plain directory: a kustomization or chart reads its subdirectories.
        if self.extras.top_level_only
            && path == self.app_path
            && crate::render::detect(&tree) == crate::render::RendererKind::Plain
        {
            tree.files.retain(|name, _| !name.contains('/'));
            tree.id = format!("top-level:{}", tree.id);
        }
        Ok(tree)
    }

    fn revision(&self) -> String {
        self.inner.revision()
    }
}

/// Flux's `postBuild.substitute` on one rendered object: `${name}`, `${name:=default}`,
/// `${name:-default}` replaced in its YAML text (so `replicas: ${n}` becomes a number, as in
/// Flux), `$${name}` kept as `${name}`, undefined names without a default replaced by
/// nothing. Objects annotated `kustomize.toolkit.fluxcd.io/substitute: disabled` are left
/// alone. Errors name the object, never a value.
pub fn substitute(object: &mut Json, vars: &BTreeMap<String, String>) -> Result<(), String> {
    if object
        .pointer("/metadata/annotations/kustomize.toolkit.fluxcd.io~1substitute")
        .and_then(Json::as_str)
        == Some("disabled")
    {
        return Ok(());
    }
    let text = serde_yaml::to_string(&*object).map_err(|e| e.to_string())?;
    if !text.contains("${") {
        return Ok(());
    }
    let replaced = substitute_text(&text, vars);
    *object = serde_yaml::from_str(&replaced)
        .map_err(|_| "the object is not valid YAML after variable substitution".to_string())?;
    Ok(())
}

/// The text with every variable reference replaced.
pub fn substitute_text(text: &str, vars: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        if let Some(escaped) = after.strip_prefix("$${") {
            out.push_str("${");
            rest = escaped;
            continue;
        }
        let Some(body) = after.strip_prefix("${") else {
            out.push('$');
            rest = &after[1..];
            continue;
        };
        let Some(end) = body.find('}') else {
            out.push_str(after);
            rest = "";
            break;
        };
        let expression = &body[..end];
        let (name, default) = match expression.find(":=").or_else(|| expression.find(":-")) {
            Some(op) => (&expression[..op], Some(&expression[op + 2..])),
            None => (expression, None),
        };
        let valid = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            out.push_str("${");
            out.push_str(expression);
            out.push('}');
        } else {
            match vars.get(name).filter(|v| !v.is_empty()) {
                Some(value) => out.push_str(value),
                None => out.push_str(default.unwrap_or("")),
            }
        }
        rest = &body[end + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Files(BTreeMap<String, Vec<u8>>);

    impl TreeSource for Files {
        fn subtree(&self, path: &str) -> Result<SourceTree, SourceError> {
            let prefix = if path.is_empty() {
                String::new()
            } else {
                format!("{path}/")
            };
            let files: BTreeMap<String, Vec<u8>> = self
                .0
                .iter()
                .filter_map(|(k, v)| k.strip_prefix(&prefix).map(|r| (r.to_string(), v.clone())))
                .collect();
            if files.is_empty() {
                return Err(SourceError::PathNotFound {
                    path: path.into(),
                    revision: "test".into(),
                });
            }
            Ok(SourceTree {
                root: path.into(),
                id: format!("id-{path}"),
                files,
            })
        }
        fn revision(&self) -> String {
            "test".into()
        }
    }

    fn repo(files: &[&str]) -> Files {
        Files(
            files
                .iter()
                .map(|f| (f.to_string(), b"kind: ConfigMap\n".to_vec()))
                .collect(),
        )
    }

    #[test]
    fn a_kustomization_is_generated_over_a_kustomize_dir_or_the_files_of_a_plain_one() {
        let extras = RenderExtras {
            kustomization: Some(json!({"namePrefix": "blue-"})),
            helm_values: Some("a: 1\n".into()),
            ..RenderExtras::default()
        };
        let over_kustomize = repo(&["apps/web/kustomization.yaml", "apps/web/cm.yaml"]);
        let source = GeneratedSource::new(&over_kustomize, "apps/web", &extras);
        let tree = source.subtree(GENERATED_DIR).expect("generated");
        let kustomization: Json = serde_yaml::from_slice(&tree.files[KUSTOMIZATION]).expect("yaml");
        assert_eq!(kustomization["resources"], json!(["../apps/web"]));
        assert_eq!(kustomization["namePrefix"], json!("blue-"));
        assert_eq!(tree.files[VALUES], b"a: 1\n");

        let plain = repo(&[
            "apps/web/cm.yaml",
            "apps/web/sub/deploy.yml",
            "apps/web/README.md",
        ]);
        let source = GeneratedSource::new(&plain, "apps/web", &extras);
        let tree = source.subtree(GENERATED_DIR).expect("generated");
        let kustomization: Json = serde_yaml::from_slice(&tree.files[KUSTOMIZATION]).expect("yaml");
        assert_eq!(
            kustomization["resources"],
            json!(["../apps/web/cm.yaml", "../apps/web/sub/deploy.yml"])
        );
        // Other paths are the repository's.
        assert!(source.subtree("apps/web").is_ok());
    }

    #[test]
    fn top_level_only_hides_subdirectories_and_changes_the_id() {
        let extras = RenderExtras {
            top_level_only: true,
            ..RenderExtras::default()
        };
        let files = repo(&["app/a.yaml", "app/nested/b.yaml"]);
        let source = GeneratedSource::new(&files, "app", &extras);
        let tree = source.subtree("app").expect("tree");
        assert_eq!(tree.files.keys().collect::<Vec<_>>(), ["a.yaml"]);
        assert_ne!(tree.id, "id-app");
        // A chart keeps its templates/, a kustomization what it refers to.
        let chart = repo(&["app/Chart.yaml", "app/templates/cm.yaml"]);
        let source = GeneratedSource::new(&chart, "app", &extras);
        assert_eq!(source.subtree("app").expect("tree").files.len(), 2);
    }

    #[test]
    fn variables_are_substituted_as_flux_does() {
        let vars = BTreeMap::from([
            ("cluster_env".to_string(), "prod".to_string()),
            ("replicas".to_string(), "3".to_string()),
        ]);
        assert_eq!(
            substitute_text(
                "env: ${cluster_env} ${region:=eu} ${missing} $${kept} $HOME",
                &vars
            ),
            "env: prod eu  ${kept} $HOME"
        );
        let mut object = json!({
            "kind": "Deployment",
            "metadata": {"name": "web-${cluster_env}"},
            "spec": {"replicas": "${replicas}"}
        });
        substitute(&mut object, &vars).expect("substituted");
        assert_eq!(object["metadata"]["name"], json!("web-prod"));
        assert_eq!(object["spec"]["replicas"], json!(3), "a number, as in Flux");
        let mut disabled = json!({
            "metadata": {"name": "${x}", "annotations": {"kustomize.toolkit.fluxcd.io/substitute": "disabled"}}
        });
        substitute(&mut disabled, &vars).expect("left alone");
        assert_eq!(disabled["metadata"]["name"], json!("${x}"));
    }
}
