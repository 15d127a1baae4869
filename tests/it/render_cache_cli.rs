//! The persistent render cache through the binary: a second `kubedrift status` with unchanged
//! Git runs no renderer tool and prints the same; a change of an input renders again; a
//! corrupt entry is ignored and rewritten; entries are private (0600 in a 0700 dir). Plain
//! manifests: a second start parses no YAML (counted in the render module's debug log); a
//! changed file is parsed again; a file that does not parse is reported on every start.

use crate::live_support::{Fixture, INITIAL_FILES};
use kubedrift_testkit::Run;
use std::path::{Path, PathBuf};
use std::process::Command;

const KUSTOMIZATION: &str = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - deployment.yaml\n  - service.yaml\n  - configmap.yaml\n";

/// A `kustomize` on PATH that counts its runs (one line each in `count`) and renders with the
/// real `kubectl kustomize`.
#[cfg(unix)]
fn counting_kustomize(bin: &Path, count: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let kubectl = kubedrift::render::Tools::default()
        .find("kubectl")
        .expect("kubectl on PATH");
    let script = format!(
        "#!/bin/sh\necho run >> '{}'\n[ \"$1\" = build ] && shift\nexec '{}' kustomize \"$@\"\n",
        count.display(),
        kubectl.display()
    );
    let path = bin.join("kustomize");
    std::fs::write(&path, script).expect("fake kustomize");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

fn runs(count: &Path) -> usize {
    std::fs::read_to_string(count)
        .map(|text| text.lines().count())
        .unwrap_or(0)
}

fn status(fx: &Fixture, bin: &Path, cache: &Path) -> Run {
    let path = std::env::join_paths(std::iter::once(bin.to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .expect("PATH");
    Command::new(env!("CARGO_BIN_EXE_kubedrift"))
        .args(["status", "--output", "json", "--kubeconfig"])
        .arg(fx.kubeconfig_path())
        .env("KUBEDRIFT_CONFIG", fx.config_path())
        .env("KUBEDRIFT_CACHE_DIR", cache.parent().expect("cache root"))
        .env_remove("KUBEDRIFT_RENDER_CACHE_MB")
        .env("PATH", path)
        .env("NO_COLOR", "1")
        // Says when plain manifests are parsed and when they come from the cache.
        .env("KUBEDRIFT_LOG", "kubedrift::render=debug")
        .env_remove("KUBECONFIG")
        .output()
        .expect("kubedrift runs")
        .into()
}

/// The rows without health: the sandbox's controller moves rollouts on between runs, and
/// health comes from live objects, not from the render.
fn rows(run: &Run) -> serde_json::Value {
    let doc: serde_json::Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", run.stdout, run.stderr));
    let mut apps = doc["apps"].clone();
    for app in apps.as_array_mut().into_iter().flatten() {
        if let Some(app) = app.as_object_mut() {
            app.remove("health");
            for resource in app
                .get_mut("resources")
                .and_then(|r| r.as_array_mut())
                .into_iter()
                .flatten()
            {
                if let Some(resource) = resource.as_object_mut() {
                    resource.remove("health");
                }
            }
        }
    }
    apps
}

/// How often the run parsed plain manifests / took them from the cache.
fn plain_parses(run: &Run) -> (usize, usize) {
    let count = |what: &str| run.stderr.lines().filter(|l| l.contains(what)).count();
    (
        count("parsed plain manifests"),
        count("plain manifests from the render cache"),
    )
}

fn entries(cache: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(cache)
        .map(|dir| {
            dir.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "render"))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(unix)]
#[test]
fn second_status_with_unchanged_git_runs_no_renderer() {
    use std::os::unix::fs::PermissionsExt;
    if kubedrift_testkit::kubectl_missing() {
        return;
    }
    let fx = Fixture::start(&["dev"], &[("dev", "dev")]);
    fx.commit(
        &[(
            "apps/web/dev/kustomization.yaml".to_string(),
            KUSTOMIZATION.to_string(),
        )],
        "web: kustomize",
    );
    fx.deploy_files("dev", &INITIAL_FILES, "dev");
    let bin = fx.dir.path().join("bin");
    std::fs::create_dir_all(&bin).expect("bin");
    let count = fx.dir.path().join("kustomize-runs");
    counting_kustomize(&bin, &count);
    let cache = fx.dir.path().join("cache/renders");

    let first = status(&fx, &bin, &cache);
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    assert_eq!(runs(&count), 1, "the first start renders once");
    let rows_first = rows(&first);
    assert_eq!(rows_first[0]["sync"], "Synced", "{}", first.stdout);

    // Private: the output may hold Secret data.
    let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode(&cache), 0o700);
    let stored = entries(&cache);
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(mode(&stored[0]), 0o600);

    // Unchanged Git: no tool run, the same rows.
    let second = status(&fx, &bin, &cache);
    assert_eq!(second.code, 0, "{}\n{}", second.stdout, second.stderr);
    assert_eq!(runs(&count), 1, "the second start runs no renderer");
    assert_eq!(rows(&second), rows_first);

    // A corrupt entry is ignored (rendered again, same answer) and rewritten.
    std::fs::write(&stored[0], b"kubedrift-render-cache v1\ntruncated").expect("corrupt");
    let third = status(&fx, &bin, &cache);
    assert_eq!(runs(&count), 2, "a corrupt entry is not used");
    assert_eq!(rows(&third), rows_first);
    let fourth = status(&fx, &bin, &cache);
    assert_eq!(runs(&count), 2, "the rewritten entry is used");
    assert_eq!(rows(&fourth), rows_first);

    // A commit that changes an input of the app renders again, and shows the drift.
    fx.commit(
        &[(
            "apps/web/dev/configmap.yaml".to_string(),
            crate::live_support::CONFIGMAP.replace("info", "debug"),
        )],
        "web: debug logging",
    );
    let changed = status(&fx, &bin, &cache);
    assert_eq!(runs(&count), 3, "a changed input renders again");
    assert_eq!(changed.code, 1, "{}\n{}", changed.stdout, changed.stderr);
    assert_eq!(rows(&changed)[0]["sync"], "OutOfSync");
}

/// A failing render is never cached: the next start runs the tool again.
#[cfg(unix)]
#[test]
fn failed_renders_are_not_cached() {
    use std::os::unix::fs::PermissionsExt;
    let fx = Fixture::start(&["dev"], &[("dev", "dev")]);
    fx.commit(
        &[(
            "apps/web/dev/kustomization.yaml".to_string(),
            KUSTOMIZATION.to_string(),
        )],
        "web: kustomize",
    );
    let bin = fx.dir.path().join("bin");
    std::fs::create_dir_all(&bin).expect("bin");
    let count = fx.dir.path().join("kustomize-runs");
    let script = format!(
        "#!/bin/sh\necho run >> '{}'\necho 'accumulating resources: boom' >&2\nexit 1\n",
        count.display()
    );
    std::fs::write(bin.join("kustomize"), script).expect("failing kustomize");
    std::fs::set_permissions(
        bin.join("kustomize"),
        std::fs::Permissions::from_mode(0o755),
    )
    .expect("chmod");
    let cache = fx.dir.path().join("cache");
    for expected in 1..=2 {
        let run = status(&fx, &bin, &cache);
        assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
        assert!(run.stdout.contains("boom"), "{}", run.stdout);
        assert_eq!(runs(&count), expected);
    }
    assert!(entries(&cache).is_empty());
}

/// A file with what YAML makes subtle (several documents, a comment-only one, an anchor with
/// a merge key, strings that YAML 1.1 would read as booleans or octal numbers): the cached
/// objects must compare exactly as freshly parsed ones.
const WEB_FLAGS: &str = r#"# web's feature flags
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-flags
  namespace: shop
  labels:
    kubedrift.io/app: web
data:
  CHECKOUT: "on"
  MODE: "0644"
---
# nothing in this document
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-limits
  namespace: shop
  annotations: &owner
    team: shop
  labels:
    <<: *owner
    kubedrift.io/app: web
data:
  MAX_CARTS: "10"
"#;

#[test]
fn second_status_with_unchanged_git_parses_no_yaml() {
    if kubedrift_testkit::kubectl_missing() {
        return;
    }
    let fx = Fixture::start(&["dev"], &[("dev", "dev")]);
    fx.commit(
        &[("apps/web/dev/flags.yaml".to_string(), WEB_FLAGS.to_string())],
        "web: feature flags",
    );
    let mut files = INITIAL_FILES.to_vec();
    files.push("flags.yaml");
    fx.deploy_files("dev", &files, "dev");
    let bin = fx.dir.path().join("bin");
    std::fs::create_dir_all(&bin).expect("bin");
    let cache = fx.dir.path().join("cache/renders");

    let first = status(&fx, &bin, &cache);
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    assert_eq!(plain_parses(&first), (1, 0), "{}", first.stderr);
    let rows_first = rows(&first);
    assert_eq!(rows_first[0]["sync"], "Synced", "{}", first.stdout);
    assert_eq!(
        rows_first[0]["resources"].as_array().map(Vec::len),
        Some(5),
        "{}",
        first.stdout
    );
    assert_eq!(entries(&cache).len(), 1);

    // Unchanged Git: nothing parsed, the same verdicts.
    let second = status(&fx, &bin, &cache);
    assert_eq!(second.code, 0, "{}\n{}", second.stdout, second.stderr);
    assert_eq!(plain_parses(&second), (0, 1), "{}", second.stderr);
    assert_eq!(rows(&second), rows_first);

    // A changed file: parsed again, and its change shows.
    fx.commit(
        &[(
            "apps/web/dev/flags.yaml".to_string(),
            WEB_FLAGS.replace("\"10\"", "\"12\""),
        )],
        "web: more carts",
    );
    let changed = status(&fx, &bin, &cache);
    assert_eq!(plain_parses(&changed), (1, 0), "{}", changed.stderr);
    assert_eq!(changed.code, 1, "{}\n{}", changed.stdout, changed.stderr);
    let rows_changed = rows(&changed);
    assert_eq!(rows_changed[0]["sync"], "OutOfSync");
    let again = status(&fx, &bin, &cache);
    assert_eq!(plain_parses(&again), (0, 1), "{}", again.stderr);
    assert_eq!(rows(&again), rows_changed);
}

#[test]
fn a_file_that_does_not_parse_is_reported_on_every_start() {
    if kubedrift_testkit::kubectl_missing() {
        return;
    }
    let broken = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [web-extra\n";
    let fx = Fixture::dev_with_undeployed_file("extra.yaml", broken, "web: a typo");
    let bin = fx.dir.path().join("bin");
    std::fs::create_dir_all(&bin).expect("bin");
    let cache = fx.dir.path().join("cache/renders");
    for _ in 0..2 {
        let run = status(&fx, &bin, &cache);
        assert_eq!(plain_parses(&run), (1, 0), "{}", run.stderr);
        assert_ne!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
        let message = rows(&run)[0]["message"].as_str().unwrap_or("").to_string();
        assert!(message.contains("apps/web/dev/extra.yaml"), "{message}");
        assert!(entries(&cache).is_empty(), "a failed parse is not stored");
    }
    // Fixed: parsed once, then answered from the cache.
    fx.commit(
        &[(
            "apps/web/dev/extra.yaml".to_string(),
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-extra\n  namespace: shop\ndata:\n  A: b\n".to_string(),
        )],
        "web: fix the typo",
    );
    fx.deploy_files("dev", &["extra.yaml"], "dev");
    let fixed = status(&fx, &bin, &cache);
    assert_eq!(plain_parses(&fixed), (1, 0), "{}", fixed.stderr);
    assert_eq!(fixed.code, 0, "{}\n{}", fixed.stdout, fixed.stderr);
    let cached = status(&fx, &bin, &cache);
    assert_eq!(plain_parses(&cached), (0, 1), "{}", cached.stderr);
    assert_eq!(rows(&cached), rows(&fixed));
}
