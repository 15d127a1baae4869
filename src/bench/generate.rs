//! The scale generator: N clusters × M apps × K resources, a Git repo holding the desired
//! state (plain YAML and Kustomize apps), the live objects to preload into `kubedrift
//! sandbox` (with a controlled fraction of drift), and the kubedrift config. Everything is a
//! function of the seed, so two runs with the same spec compare the same thing.

use super::rng::SplitMix64;
use base64::Engine as _;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Field manager of the preloaded objects: they look applied by `kubectl apply --server-side`.
pub const APPLY_MANAGER: &str = "kubectl";
/// Field manager of the drift edits (what `kubectl edit` records).
pub const EDIT_MANAGER: &str = "kubectl-edit";
/// The value every `cm-000` has in Git and live at the start (edit and commit targets flip it).
pub const TARGET_KEY: &str = "LOG_LEVEL";
pub const TARGET_VALUE: &str = "info";

/// What to generate.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ScaleSpec {
    pub clusters: usize,
    pub apps_per_cluster: usize,
    pub resources_per_app: usize,
    pub seed: u64,
    /// Fraction of resources that drift (modified live, or missing for Services).
    pub drift: f64,
    /// Fraction of apps rendered by Kustomize, evenly spread (the rest are plain YAML).
    pub kustomize: f64,
    /// `settings.git_poll_seconds` of the generated config.
    pub git_poll_seconds: u64,
}

impl ScaleSpec {
    pub fn live_objects(&self) -> usize {
        self.clusters * self.apps_per_cluster * self.resources_per_app
    }
}

/// One app in one environment.
#[derive(Debug, Clone)]
pub struct AppInstance {
    pub app: String,
    pub env: String,
    /// The app's directory in the repo's working tree (what `kubectl diff -f|-k` is given).
    pub dir: PathBuf,
    pub kustomize: bool,
    /// Resource keys (`group/Kind/namespace/name`, as kubedrift prints them) that differ.
    pub differing: BTreeSet<String>,
}

/// A generated setup on disk.
#[derive(Debug)]
pub struct Generated {
    pub spec: ScaleSpec,
    pub repo: PathBuf,
    pub config: PathBuf,
    pub preload: PathBuf,
    pub contexts: Vec<String>,
    pub instances: Vec<AppInstance>,
}

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("could not write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("git: {0}")]
    Git(#[from] git2::Error),
    #[error("yaml: {0}")]
    Yaml(#[from] serde_yaml::Error),
}

fn write(path: &Path, text: &str) -> Result<(), GenerateError> {
    let fail = |source| GenerateError::Write {
        path: path.to_path_buf(),
        source,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(fail)?;
    }
    std::fs::write(path, text).map_err(fail)
}

pub fn cluster_name(index: usize) -> String {
    format!("c{index:02}")
}

pub fn app_name(index: usize) -> String {
    format!("app-{index:03}")
}

/// The kubedrift key of a namespaced object.
pub fn key_of(group: &str, kind: &str, namespace: &str, name: &str) -> String {
    if group.is_empty() {
        format!("{kind}/{namespace}/{name}")
    } else {
        format!("{group}/{kind}/{namespace}/{name}")
    }
}

/// How a resource differs live.
enum Drift {
    /// Changed in place by a merge patch (as `kubectl edit` / `scale` / `set image`).
    Edited(Value),
    /// Not in the cluster.
    Missing,
}

/// One resource: the manifest Git has, and what happens to it live.
struct Resource {
    manifest: Value,
    drift: Option<Drift>,
}

fn labels(app: &str, env: &str, name: &str) -> Value {
    json!({
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/part-of": app,
        "app.kubernetes.io/managed-by": "kubedrift-bench",
        "env": env,
    })
}

fn random_text(rng: &mut SplitMix64, len: usize) -> String {
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    (0..len)
        .map(|_| CHARS[rng.below(CHARS.len() as u64) as usize] as char)
        .collect()
}

/// The resources of `app` in `env`, index order; `cm-000` (index 0) never drifts (edits and
/// commits flip it).
fn resources(spec: &ScaleSpec, app: &str, env: &str, rng: &mut SplitMix64) -> Vec<Resource> {
    let b64 = base64::engine::general_purpose::STANDARD;
    (0..spec.resources_per_app)
        .map(|i| {
            let drifts = i > 0 && rng.chance(spec.drift);
            match i % 4 {
                0 => {
                    let name = format!("cm-{i:03}");
                    let blob = format!(
                        "server:\n  port: 8080\n  shard: {i}\n  timeoutSeconds: {}\nfeatures:\n  - {}\n  - {}\n",
                        10 + rng.below(50),
                        random_text(rng, 12),
                        random_text(rng, 12)
                    );
                    let manifest = json!({
                        "apiVersion": "v1", "kind": "ConfigMap",
                        "metadata": {"name": name, "namespace": app, "labels": labels(app, env, &name)},
                        "data": {TARGET_KEY: TARGET_VALUE, "SHARD": i.to_string(),
                                 "FEATURE_FLAGS": random_text(rng, 24), "config.yaml": blob},
                    });
                    let drift = drifts.then(|| Drift::Edited(json!({"data": {TARGET_KEY: "debug"}})));
                    Resource { manifest, drift }
                }
                1 => {
                    let name = format!("web-{i:03}");
                    let image = format!("registry.example.com/{app}/web:1.{}.{}", rng.below(20), rng.below(10));
                    let replicas = 1 + rng.below(3);
                    let manifest = json!({
                        "apiVersion": "apps/v1", "kind": "Deployment",
                        "metadata": {"name": name, "namespace": app, "labels": labels(app, env, &name)},
                        "spec": {
                            "replicas": replicas,
                            "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
                            "template": {
                                "metadata": {"labels": {"app.kubernetes.io/name": name, "env": env}},
                                "spec": {"containers": [{
                                    "name": "web", "image": image,
                                    "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
                                    "env": [{"name": "ENV", "value": env}, {"name": "SHARD", "value": i.to_string()}],
                                    "resources": {"requests": {"cpu": "100m", "memory": "128Mi"},
                                                  "limits": {"memory": "256Mi"}},
                                    "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http"}},
                                }]},
                            },
                        },
                    });
                    let drift = drifts.then(|| {
                        if rng.chance(0.5) {
                            Drift::Edited(json!({"spec": {"replicas": replicas + 2}}))
                        } else {
                            Drift::Edited(json!({"metadata": {"labels": {"env": "hotfix"}}}))
                        }
                    });
                    Resource { manifest, drift }
                }
                2 => {
                    let name = format!("svc-{i:03}");
                    let manifest = json!({
                        "apiVersion": "v1", "kind": "Service",
                        "metadata": {"name": name, "namespace": app, "labels": labels(app, env, &name)},
                        "spec": {"selector": {"app.kubernetes.io/name": format!("web-{:03}", i - 1)},
                                 "ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}]},
                    });
                    let drift = drifts.then_some(Drift::Missing);
                    Resource { manifest, drift }
                }
                _ => {
                    let name = format!("sec-{i:03}");
                    let manifest = json!({
                        "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                        "metadata": {"name": name, "namespace": app, "labels": labels(app, env, &name)},
                        "data": {"password": b64.encode(random_text(rng, 24)),
                                 "api-key": b64.encode(random_text(rng, 32))},
                    });
                    let drift = drifts.then(|| Drift::Edited(json!({"data": {"password": b64.encode("rotated-by-hand")}})));
                    Resource { manifest, drift }
                }
            }
        })
        .collect()
}

fn text_of<'a>(obj: &'a Value, pointer: &str) -> &'a str {
    obj.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

fn key_of_manifest(obj: &Value) -> String {
    let api_version = text_of(obj, "/apiVersion");
    key_of(
        crate::model::group_of(api_version),
        text_of(obj, "/kind"),
        text_of(obj, "/metadata/namespace"),
        text_of(obj, "/metadata/name"),
    )
}

fn yaml_docs(objects: &[&Value]) -> Result<String, GenerateError> {
    let mut out = String::new();
    for (n, obj) in objects.iter().enumerate() {
        if n > 0 {
            out.push_str("---\n");
        }
        out.push_str(&serde_yaml::to_string(obj)?);
    }
    Ok(out)
}

/// Write the repo, preload files and config under `root` (which must exist).
pub fn generate(spec: &ScaleSpec, root: &Path) -> Result<Generated, GenerateError> {
    let repo_path = root.join("gitops");
    let preload = root.join("preload");
    std::fs::create_dir_all(&preload).map_err(|source| GenerateError::Write {
        path: preload.clone(),
        source,
    })?;
    let contexts: Vec<String> = (0..spec.clusters).map(cluster_name).collect();
    let apps: Vec<String> = (0..spec.apps_per_cluster).map(app_name).collect();
    // Exactly floor(M × fraction) Kustomize apps, evenly spread (a small size still has one).
    let kustomized: Vec<bool> = (0..apps.len())
        .map(|a| ((a + 1) as f64 * spec.kustomize).floor() > (a as f64 * spec.kustomize).floor())
        .collect();
    let mut instances = Vec::new();
    for (c, env) in contexts.iter().enumerate() {
        let preload_path = preload.join(format!("{env}.jsonl"));
        let mut lines: Vec<String> = Vec::new();
        let mut edits: Vec<String> = Vec::new();
        for (a, app) in apps.iter().enumerate() {
            lines.push(
                json!({"create": {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": app}},
                       "manager": "kubectl-create"})
                .to_string(),
            );
            let mut rng = SplitMix64::new(
                spec.seed
                    .wrapping_mul(0x9e37_79b9_7f4a_7c15)
                    .wrapping_add(((c as u64) << 32) | a as u64),
            );
            let resources = resources(spec, app, env, &mut rng);
            let mut differing = BTreeSet::new();
            for resource in &resources {
                let obj = &resource.manifest;
                match &resource.drift {
                    Some(Drift::Missing) => {
                        differing.insert(key_of_manifest(obj));
                        continue;
                    }
                    Some(Drift::Edited(patch)) => {
                        differing.insert(key_of_manifest(obj));
                        edits.push(
                            json!({"merge": patch, "manager": EDIT_MANAGER, "target": {
                                "apiVersion": obj["apiVersion"], "kind": obj["kind"],
                                "namespace": app, "name": obj["metadata"]["name"]}})
                            .to_string(),
                        );
                    }
                    None => {}
                }
                lines.push(json!({"apply": obj, "manager": APPLY_MANAGER}).to_string());
            }
            let dir = repo_path.join("apps").join(app).join(env);
            let mut files = Vec::new();
            for (file, kind) in [
                ("configmaps.yaml", "ConfigMap"),
                ("deployments.yaml", "Deployment"),
                ("services.yaml", "Service"),
                ("secrets.yaml", "Secret"),
            ] {
                let of_kind: Vec<&Value> = resources
                    .iter()
                    .map(|r| &r.manifest)
                    .filter(|m| text_of(m, "/kind") == kind)
                    .collect();
                if of_kind.is_empty() {
                    continue;
                }
                write(&dir.join(file), &yaml_docs(&of_kind)?)?;
                files.push(file);
            }
            if kustomized[a] {
                let list: String = files.iter().map(|f| format!("- {f}\n")).collect();
                write(
                    &dir.join("kustomization.yaml"),
                    &format!(
                        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n{list}"
                    ),
                )?;
            }
            instances.push(AppInstance {
                app: app.clone(),
                env: env.clone(),
                dir,
                kustomize: kustomized[a],
                differing,
            });
        }
        lines.extend(edits);
        let mut file =
            std::fs::File::create(&preload_path).map_err(|source| GenerateError::Write {
                path: preload_path.clone(),
                source,
            })?;
        for line in &lines {
            writeln!(file, "{line}").map_err(|source| GenerateError::Write {
                path: preload_path.clone(),
                source,
            })?;
        }
    }
    write(
        &repo_path.join("README.md"),
        "Generated by `kubedrift bench`.\n",
    )?;
    let repo = git2::Repository::init(&repo_path)?;
    repo.set_head("refs/heads/main")?;
    commit_all(&repo, "generated desired state")?;

    let mut config = format!(
        "[settings]\ngit_poll_seconds = {}\nfetch_interval_seconds = 0\n\n[[repo]]\nname = \"gitops\"\npath = \"{}\"\n\n",
        spec.git_poll_seconds.max(1),
        repo_path.display()
    );
    for env in &contexts {
        config.push_str(&format!(
            "[[environment]]\nname = \"{env}\"\ncontext = \"{env}\"\n\n"
        ));
    }
    for app in &apps {
        config.push_str(&format!(
            "[[app]]\nname = \"{app}\"\nrepo = \"gitops\"\npath = \"apps/{{app}}/{{env}}\"\nnamespace = \"{app}\"\n\n"
        ));
    }
    let config_path = root.join("kubedrift.toml");
    write(&config_path, &config)?;
    Ok(Generated {
        spec: spec.clone(),
        repo: repo_path,
        config: config_path,
        preload,
        contexts,
        instances,
    })
}

/// Stage every file of the working tree and commit it on `main` (HEAD).
pub fn commit_all(repo: &git2::Repository, message: &str) -> Result<git2::Oid, git2::Error> {
    let mut index = repo.index()?;
    index.add_all(["*"].iter(), git2::IndexAddOption::DEFAULT, None)?;
    index.write()?;
    let tree = repo.find_tree(index.write_tree()?)?;
    let sig = git2::Signature::now("kubedrift bench", "bench@example.com")?;
    let parent = repo
        .head()
        .ok()
        .and_then(|h| h.target())
        .and_then(|oid| repo.find_commit(oid).ok());
    let parents: Vec<&git2::Commit> = parent.iter().collect();
    repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
}

/// Commit one file's new content (path relative to the repo root).
pub fn commit_file(
    repo: &git2::Repository,
    relative: &Path,
    text: &str,
    message: &str,
) -> Result<git2::Oid, GenerateError> {
    let root = repo
        .workdir()
        .ok_or_else(|| git2::Error::from_str("the bench repo has no working tree"))?;
    write(&root.join(relative), text)?;
    let mut index = repo.index()?;
    index.add_path(relative)?;
    index.write()?;
    let tree = repo.find_tree(index.write_tree()?)?;
    let sig = git2::Signature::now("kubedrift bench", "bench@example.com")?;
    let head = repo.head()?.peel_to_commit()?;
    Ok(repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &[&head])?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> ScaleSpec {
        ScaleSpec {
            clusters: 2,
            apps_per_cluster: 3,
            resources_per_app: 12,
            seed: 7,
            drift: 0.3,
            kustomize: 0.5,
            git_poll_seconds: 1,
        }
    }

    fn snapshot(root: &Path) -> Vec<(String, String)> {
        let mut files = Vec::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("read dir") {
                let path = entry.expect("entry").path();
                if path.file_name().is_some_and(|n| n == ".git") {
                    continue;
                }
                if path.is_dir() {
                    stack.push(path);
                } else {
                    let rel = path.strip_prefix(root).expect("under root");
                    let text = std::fs::read_to_string(&path).expect("text");
                    // The config names the temp dir; everything else must be identical.
                    if rel != Path::new("kubedrift.toml") {
                        files.push((rel.display().to_string(), text));
                    }
                }
            }
        }
        files.sort();
        files
    }

    #[test]
    fn the_same_seed_generates_the_same_setup_and_drift_is_where_it_says() {
        let (one, two) = (
            tempfile::tempdir().expect("dir"),
            tempfile::tempdir().expect("dir"),
        );
        let a = generate(&spec(), one.path()).expect("generate");
        generate(&spec(), two.path()).expect("generate");
        assert_eq!(snapshot(one.path()), snapshot(two.path()));
        assert_eq!(a.instances.len(), 6);
        let differing: usize = a.instances.iter().map(|i| i.differing.len()).sum();
        assert!(differing > 0, "a 30% drift spec drifts something");
        for instance in &a.instances {
            assert!(
                !instance
                    .differing
                    .contains(&format!("ConfigMap/{}/cm-000", instance.app)),
                "cm-000 is the edit target and never drifts"
            );
            assert_eq!(
                instance.dir.join("kustomization.yaml").exists(),
                instance.kustomize
            );
        }
        // Every generated object is either preloaded or missing on purpose.
        let preloaded: usize = a
            .contexts
            .iter()
            .map(|c| {
                std::fs::read_to_string(a.preload.join(format!("{c}.jsonl")))
                    .expect("preload")
                    .lines()
                    .filter(|l| l.starts_with("{\"apply\""))
                    .count()
            })
            .sum();
        let missing = a
            .instances
            .iter()
            .flat_map(|i| i.differing.iter())
            .filter(|k| k.starts_with("Service/"))
            .count();
        assert_eq!(preloaded + missing, spec().live_objects());
    }
}
