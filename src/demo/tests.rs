//! The sample repo writer and the demo config, without clusters.

use super::apps::{SampleApp, APPS, BRANCH_APP, BRANCH_APP_PATH, ENVIRONMENTS};
use super::repo::{env_branch, DemoRepo, Layout, BRANCH};
use super::rollout;
use super::{config_text, write_file};
use crate::config::Config;
use crate::desired::{self, Repos};
use crate::manifest::ManifestLimits;
use crate::render::{RenderCache, RendererKind, Tools};
use serde_json::Value;
use std::path::Path;

const KUSTOMIZE: Layout = Layout {
    kustomize: true,
    helm: false,
};
const PLAIN: Layout = Layout {
    kustomize: false,
    helm: false,
};

/// A repo with `layout` and the demo config next to it, loaded.
fn repo_and_config(dir: &Path, layout: Layout) -> (DemoRepo, Config) {
    let repo = DemoRepo::create(&dir.join("repo"), layout).expect("repo written");
    let path = dir.join("kubedrift.toml");
    write_file(&path, &config_text(false, layout.helm)).expect("config written");
    let config = Config::load_file(&path).expect("config loads").config;
    (repo, config)
}

/// Every object of every app in `env`, rendered through `desired`, by app name, each app's
/// objects sorted by kind and name; with the renderer used.
fn render_env(config: &Config, env: &str) -> Vec<(String, RendererKind, Vec<Value>)> {
    let repos = Repos::open(config);
    let (apps, errors) = desired::apps_for(config, &repos, env).expect("apps");
    assert!(errors.is_empty(), "{errors:?}");
    let mut cache = RenderCache::default();
    apps.iter()
        .map(|app| {
            let rendered =
                desired::render_app(app, &repos, None, &ManifestLimits::default(), &mut cache)
                    .unwrap_or_else(|e| panic!("{env}/{}: {e}", app.name));
            assert!(rendered.rendered.is_complete(), "{env}/{}", app.name);
            (
                app.name.clone(),
                rendered.rendered.renderer_used,
                sorted(
                    rendered
                        .rendered
                        .objects
                        .iter()
                        .map(|o| o.object.clone())
                        .collect(),
                ),
            )
        })
        .collect()
}

fn sorted(mut objects: Vec<Value>) -> Vec<Value> {
    objects.sort_by_key(|o| format!("{}/{}", o["kind"], o["metadata"]["name"]));
    objects
}

fn sample(name: &str) -> &'static SampleApp {
    APPS.iter()
        .chain([&BRANCH_APP])
        .find(|a| a.name == name)
        .expect("sample app")
}

#[test]
fn the_kustomize_repo_has_bases_one_folder_per_environment_and_a_history() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (repo, _) = repo_and_config(dir.path(), KUSTOMIZE);
    // README, then one commit per app.
    // The README, one commit per app, the Argo Rollouts app.
    assert_eq!(repo.commit_count(), 1 + APPS.len() + 1);
    let git = git2::Repository::open(repo.path()).expect("open");
    assert_eq!(
        git.head().expect("head").shorthand().ok(),
        Some(BRANCH),
        "HEAD is on {BRANCH}"
    );
    for app in APPS {
        assert!(repo
            .file_at_head(&format!("bases/{}/kustomization.yaml", app.name))
            .is_some());
        for env in ENVIRONMENTS {
            let overlay = repo
                .file_at_head(&format!("envs/{env}/{}/kustomization.yaml", app.name))
                .unwrap_or_else(|| panic!("{env}/{} overlay", app.name));
            assert!(overlay.contains(&format!("../../../bases/{}", app.name)));
        }
    }
    let dev_search = repo
        .file_at_head("envs/dev/search-api/kustomization.yaml")
        .expect("overlay");
    assert!(dev_search.contains("newName: registry.invalid/acme/search-api"));

    // The branch-per-environment app: each environment's branch at its release, prod's
    // release an ancestor of stage's, stage's of dev's.
    let file = format!("{BRANCH_APP_PATH}/{}.yaml", BRANCH_APP.name);
    for (e, env) in ENVIRONMENTS.iter().enumerate() {
        let manifest = repo
            .file_on_branch(&env_branch(env), &file)
            .unwrap_or_else(|| panic!("{file} on {}", env_branch(env)));
        assert!(
            manifest.contains(&format!("ghcr.io/acme/payments-api:{}", BRANCH_APP.tags[e])),
            "{env}: {manifest}"
        );
    }
    let tip = |branch: &str| {
        git.find_reference(&format!("refs/heads/{branch}"))
            .and_then(|r| r.peel_to_commit())
            .map(|c| c.id())
            .expect("branch")
    };
    let (dev, stage, prod) = (tip("env/dev"), tip("env/stage"), tip("env/prod"));
    assert!(git.graph_descendant_of(dev, stage).expect("graph"));
    assert!(git.graph_descendant_of(stage, prod).expect("graph"));
    assert_eq!(git.graph_ahead_behind(dev, prod).expect("graph"), (2, 0));

    let before = repo.commit_count();
    repo.commit_image(
        sample("catalog-api"),
        "stage",
        "1.9.0",
        ("T", "t@example.com"),
    )
    .expect("commit");
    assert_eq!(repo.commit_count(), before + 1);
    assert!(repo
        .file_at_head("envs/stage/catalog-api/kustomization.yaml")
        .expect("overlay")
        .contains("newTag: 1.9.0"));
}

#[test]
fn both_layouts_render_to_the_same_objects_through_the_normal_pipeline() {
    let kustomize_available = {
        let tools = Tools::default();
        tools.find("kustomize").is_some() || tools.find("kubectl").is_some()
    };
    let plain_dir = tempfile::tempdir().expect("tempdir");
    let (_, plain_config) = repo_and_config(plain_dir.path(), PLAIN);
    let kustomize_dir = tempfile::tempdir().expect("tempdir");
    let (_, kustomize_config) = repo_and_config(kustomize_dir.path(), KUSTOMIZE);
    for (e, env) in ENVIRONMENTS.iter().enumerate() {
        let plain = render_env(&plain_config, env);
        assert_eq!(
            plain.len(),
            APPS.len() + 2,
            "{env}: every app discovered (the Argo Rollouts app too), plus the listed \
             branch-per-environment app"
        );
        for (name, renderer, objects) in &plain {
            if name == rollout::APP {
                assert_eq!(*renderer, RendererKind::Plain);
                assert_eq!(*objects, sorted(rollout::objects_for(env)), "{env}/{name}");
                continue;
            }
            let app = sample(name);
            assert_eq!(*renderer, RendererKind::Plain);
            let expected = if app.name == BRANCH_APP.name {
                app.branch_objects(app.tags[e])
            } else {
                app.objects_for(env, app.tags[e])
            };
            assert_eq!(*objects, sorted(expected), "{env}/{name}");
            let tracked = objects
                .iter()
                .all(|o| o["metadata"]["labels"][crate::model::TRACKING_LABEL] == name.as_str());
            assert!(
                tracked,
                "{env}/{name}: every object carries the tracking label"
            );
        }
        if !kustomize_available {
            assert!(
                std::env::var_os("KUBEDRIFT_REQUIRE_TOOLS").is_none(),
                "KUBEDRIFT_REQUIRE_TOOLS is set but neither kustomize nor kubectl is installed"
            );
            eprintln!("skipping the Kustomize half: neither kustomize nor kubectl installed");
            continue;
        }
        let kustomized = render_env(&kustomize_config, env);
        assert_eq!(kustomized.len(), plain.len());
        for ((name, renderer, objects), (_, _, plain_objects)) in kustomized.iter().zip(&plain) {
            if name != BRANCH_APP.name && name != rollout::APP {
                assert_eq!(*renderer, RendererKind::Kustomize, "{env}/{name}");
            }
            assert_eq!(
                objects, plain_objects,
                "{env}/{name}: overlay renders as plain"
            );
        }
    }
}

#[test]
fn the_helm_chart_renders_with_values_per_environment() {
    if Tools::default().find("helm").is_none() {
        assert!(
            std::env::var_os("KUBEDRIFT_REQUIRE_HELM").is_none()
                && std::env::var_os("KUBEDRIFT_REQUIRE_TOOLS").is_none(),
            "KUBEDRIFT_REQUIRE_HELM/TOOLS is set but helm is not on PATH"
        );
        eprintln!("skipping: helm not installed");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, config) = repo_and_config(
        dir.path(),
        Layout {
            kustomize: false,
            helm: true,
        },
    );
    for (env, replicas) in [("dev", 1), ("stage", 1), ("prod", 2)] {
        let rendered = render_env(&config, env);
        let (_, renderer, objects) = rendered
            .iter()
            .find(|(name, _, _)| name == "metrics-exporter")
            .expect("listed Helm app");
        assert_eq!(*renderer, RendererKind::Helm);
        let deployment = objects
            .iter()
            .find(|o| o["kind"] == "Deployment")
            .expect("deployment");
        assert_eq!(deployment["spec"]["replicas"], replicas, "{env}");
        assert_eq!(
            deployment["metadata"]["labels"][crate::model::TRACKING_LABEL],
            "metrics-exporter"
        );
    }
}

#[test]
fn the_config_orders_environments_and_honours_read_only_and_helm() {
    let path = Path::new("/demo/kubedrift.toml");
    let config = Config::from_str(&config_text(true, true), path).expect("valid");
    let names: Vec<&str> = config
        .environments
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(names, ENVIRONMENTS);
    assert!(config.environments.iter().all(|e| e.read_only));
    assert!(config.environments.iter().all(|e| e.context == e.name));
    let listed: Vec<&str> = config.apps.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(listed, ["payments-api", "metrics-exporter"]);
    assert_eq!(config.apps[1].renderer, RendererKind::Helm);
    let dirs = std::collections::BTreeMap::new();
    for env in ENVIRONMENTS {
        let apps = config.apps_for(env, &dirs).expect("apps");
        let payments = apps
            .iter()
            .find(|a| a.name == "payments-api")
            .expect("listed");
        assert_eq!(payments.git_ref, env_branch(env));
        let exporter = apps
            .iter()
            .find(|a| a.name == "metrics-exporter")
            .expect("listed");
        assert_eq!(exporter.git_ref, BRANCH);
    }

    let config = Config::from_str(&config_text(false, false), path).expect("valid");
    assert!(config.environments.iter().all(|e| !e.read_only));
    let listed: Vec<&str> = config.apps.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(listed, ["payments-api"]);
}
