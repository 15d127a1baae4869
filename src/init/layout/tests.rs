use super::detect::env_values_file;
use super::*;

fn ctx(name: &str, cluster: &str) -> KubeContext {
    KubeContext {
        name: name.into(),
        cluster: cluster.into(),
    }
}

fn kind(envs: &[&str]) -> Vec<KubeContext> {
    envs.iter()
        .map(|e| ctx(&format!("kind-{e}"), &format!("kind-{e}")))
        .collect()
}

fn listing(files: &[&str]) -> RepoListing {
    let files: Vec<String> = files.iter().map(|f| f.to_string()).collect();
    RepoListing {
        name: "platform".into(),
        default_branch: "main".into(),
        files: files.clone(),
        branches: vec![BranchTree {
            branch: "main".into(),
            files,
            remote_only: false,
        }],
    }
}

/// (shape, layout, apps with their environments) of every rule found.
fn shapes(guess: &Guess) -> Vec<(String, Layout, String)> {
    guess
        .found
        .iter()
        .map(|f| (f.shape(), f.layout, crate::init::write::apps_summary(f)))
        .collect()
}

fn env_names(guess: &Guess) -> Vec<(String, Option<String>, Option<String>)> {
    guess
        .environments
        .iter()
        .map(|e| {
            (
                e.name.clone(),
                e.context.context().map(str::to_string),
                e.git_ref.clone(),
            )
        })
        .collect()
}

fn env(name: &str, context: &str) -> (String, Option<String>, Option<String>) {
    (name.into(), Some(context.into()), None)
}

#[test]
fn overlays_per_app_and_environment() {
    let guess = guess(
        &listing(&[
            "README.md",
            ".github/workflows/ci.yaml",
            "apps/web/base/kustomization.yaml",
            "apps/web/base/deployment.yaml",
            "apps/web/envs/dev/kustomization.yaml",
            "apps/web/envs/prod/kustomization.yaml",
            "apps/web/envs/prod/patches/replicas.yaml",
            "apps/api/envs/prod/kustomization.yaml",
        ]),
        &kind(&["dev", "prod"]),
    );
    assert_eq!(
        shapes(&guess),
        vec![(
            "apps/{app}/envs/{env}".into(),
            Layout::OverlayPerEnv,
            "api (prod), web (dev, prod)".into()
        )]
    );
    assert_eq!(
        env_names(&guess),
        vec![env("dev", "kind-dev"), env("prod", "kind-prod")]
    );
    assert!(guess.unused_contexts.is_empty());
}

#[test]
fn kustomize_overlays_directory_is_an_environment_container_too() {
    let guess = guess(
        &listing(&[
            "services/shop/base/kustomization.yaml",
            "services/shop/overlays/staging/kustomization.yaml",
        ]),
        &kind(&["staging"]),
    );
    assert_eq!(guess.found[0].shape(), "services/{app}/overlays/{env}");
}

#[test]
fn envs_with_a_shared_base_is_one_app_named_after_the_repo() {
    let guess = guess(
        &listing(&[
            "base/kustomization.yaml",
            "base/deployment.yaml",
            "envs/dev/kustomization.yaml",
            "envs/staging/kustomization.yaml",
            "envs/prod/kustomization.yaml",
        ]),
        &kind(&["dev", "staging", "prod"]),
    );
    assert_eq!(guess.found.len(), 1, "{:?}", shapes(&guess));
    let found = &guess.found[0];
    assert_eq!(found.layout, Layout::SharedBase);
    assert_eq!(
        found.rule,
        Rule::App {
            name: "platform".into(),
            path: "envs/{env}".into(),
            helm_values: None,
            environments: vec!["dev".into(), "prod".into(), "staging".into()],
        }
    );
    assert_eq!(found.detail.as_deref(), Some("shared base base"));
    // Promotion order, not name order.
    let names: Vec<String> = env_names(&guess).into_iter().map(|e| e.0).collect();
    assert_eq!(names, vec!["dev", "staging", "prod"]);
}

#[test]
fn environment_directories_holding_apps() {
    let guess = guess(
        &listing(&[
            "dev/web/deployment.yaml",
            "dev/api/kustomization.yaml",
            "dev/api/patches/x.yaml",
            "production/web/deployment.yaml",
            "docs/example.yaml",
        ]),
        &[ctx("gke_acme_eu_prod", "a"), ctx("minikube", "m")],
    );
    assert_eq!(
        shapes(&guess),
        vec![(
            "{env}/{app}".into(),
            Layout::EnvThenApp,
            "api (dev), web (dev, production)".into()
        )]
    );
    // `production` finds the context that says `prod`; nothing says `dev`.
    assert_eq!(
        env_names(&guess),
        vec![
            ("dev".into(), None, None),
            env("production", "gke_acme_eu_prod")
        ]
    );
    assert_eq!(guess.unused_contexts, vec!["minikube".to_string()]);
    assert!(guess
        .checks
        .iter()
        .any(|c| c.contains("`dev`") && c.contains("commented out")));
}

#[test]
fn environment_directories_in_a_container_holding_apps() {
    let guess = guess(
        &listing(&[
            "environments/dev/web/kustomization.yaml",
            "environments/prod/web/kustomization.yaml",
            "environments/prod/api/deployment.yaml",
            "base/web/deployment.yaml",
        ]),
        &kind(&["dev", "prod"]),
    );
    assert_eq!(
        shapes(&guess),
        vec![(
            "environments/{env}/{app}".into(),
            Layout::EnvThenApp,
            "api (prod), web (dev, prod)".into()
        )]
    );
}

#[test]
fn app_directories_holding_environments() {
    let guess = guess(
        &listing(&[
            "apps/web/dev/deployment.yaml",
            "apps/web/prod/deployment.yaml",
            "apps/web/base/deployment.yaml",
        ]),
        &kind(&["dev", "prod"]),
    );
    assert_eq!(
        shapes(&guess),
        vec![(
            "apps/{app}/{env}".into(),
            Layout::AppThenEnv,
            "web (dev, prod)".into()
        )]
    );
}

#[test]
fn helm_chart_with_values_per_environment() {
    let guess = guess(
        &listing(&[
            "charts/redis/Chart.yaml",
            "charts/redis/values.yaml",
            "charts/redis/values-dev.yaml",
            "charts/redis/values-prod.yaml",
            "charts/redis/templates/statefulset.yaml",
            "charts/redis/charts/common/Chart.yaml",
        ]),
        &kind(&["dev", "prod"]),
    );
    assert_eq!(guess.found.len(), 1, "{:?}", shapes(&guess));
    assert_eq!(
        guess.found[0].rule,
        Rule::App {
            name: "redis".into(),
            path: "charts/redis".into(),
            helm_values: Some("values-{env}.yaml".into()),
            environments: vec!["dev".into(), "prod".into()],
        }
    );
    assert_eq!(
        env_names(&guess),
        vec![env("dev", "kind-dev"), env("prod", "kind-prod")]
    );
}

#[test]
fn values_files_naming_no_environment_are_variants_not_environments() {
    let guess = guess(
        &listing(&[
            "charts/redis/Chart.yaml",
            "charts/redis/values.yaml",
            "charts/redis/values-ha.yaml",
            "charts/redis/values-minimal.yaml",
            "charts/redis/values-production.yaml",
            "charts/plain/Chart.yaml",
            "charts/plain/values-ha.yaml",
        ]),
        &[ctx("prod-eu1", "eu")],
    );
    assert_eq!(
        shapes(&guess),
        vec![
            (
                "app redis: charts/redis".into(),
                Layout::HelmValuesPerEnv,
                "redis (production)".into()
            ),
            // No values file names an environment: a chart in every environment.
            (
                "charts/{app}".into(),
                Layout::AppsOnly,
                "plain (every environment)".into()
            ),
        ]
    );
    let names: Vec<String> = env_names(&guess).into_iter().map(|e| e.0).collect();
    assert_eq!(names, vec!["production"]);
    assert!(
        guess.checks.iter().any(|c| c.starts_with(
            "Chart `charts/redis`: `values-ha.yaml`, `values-minimal.yaml` name no environment"
        )),
        "{:?}",
        guess.checks
    );
}

#[test]
fn values_files_spelled_with_a_dot() {
    assert_eq!(
        env_values_file("values.prod.yml"),
        Some(("values.{env}.yml".into(), "prod".into()))
    );
    assert_eq!(env_values_file("values.yaml"), None);
    assert_eq!(env_values_file("values-.yaml"), None);
    assert_eq!(env_values_file("values.schema.json"), None);
}

#[test]
fn branch_per_environment_reads_apps_from_the_branches() {
    let apps = vec![
        "apps/web/deployment.yaml".to_string(),
        "apps/api/deployment.yaml".to_string(),
    ];
    let listing = RepoListing {
        name: "platform".into(),
        default_branch: "main".into(),
        files: vec!["README.md".into()],
        branches: vec![
            BranchTree {
                branch: "main".into(),
                files: vec!["README.md".into()],
                remote_only: false,
            },
            BranchTree {
                branch: "feature/dev-tools".into(),
                files: apps.clone(),
                remote_only: false,
            },
            BranchTree {
                branch: "env/staging".into(),
                files: apps.clone(),
                remote_only: false,
            },
            BranchTree {
                branch: "prod".into(),
                files: apps[..1].to_vec(),
                // A fresh clone: only `origin/prod`.
                remote_only: true,
            },
        ],
    };
    let guess = guess(&listing, &kind(&["staging", "prod"]));
    assert_eq!(
        shapes(&guess),
        vec![(
            "apps/{app}".into(),
            Layout::BranchPerEnv,
            "api (staging), web (prod, staging)".into()
        )]
    );
    assert_eq!(
        env_names(&guess),
        vec![
            (
                "staging".into(),
                Some("kind-staging".into()),
                Some("env/staging".into())
            ),
            ("prod".into(), Some("kind-prod".into()), Some("prod".into())),
        ]
    );
    assert!(guess
        .checks
        .iter()
        .any(|c| c.contains("default branch `main`")));
    assert!(
        guess.checks.iter().any(|c| c.starts_with(
            "Environment branches exist here only as remote-tracking branches (`origin/prod`)"
        )),
        "{:?}",
        guess.checks
    );
}

#[test]
fn apps_without_environments_take_environments_from_context_names() {
    let guess = guess(
        &listing(&[
            "apps/web/deployment.yaml",
            "apps/api/kustomization.yaml",
            "apps/api/base/x.yaml",
        ]),
        &[ctx("kind-dev", "d"), ctx("gke_acme_eu_production", "p")],
    );
    assert_eq!(
        shapes(&guess),
        vec![(
            "apps/{app}".into(),
            Layout::AppsOnly,
            "api (every environment), web (every environment)".into()
        )]
    );
    assert_eq!(
        env_names(&guess),
        vec![
            env("dev", "kind-dev"),
            env("prod", "gke_acme_eu_production")
        ]
    );
}

#[test]
fn a_repository_that_is_one_kustomization_is_one_app() {
    let guess = guess(
        &listing(&["kustomization.yaml", "deployment.yaml"]),
        &[ctx("prod", "p")],
    );
    assert_eq!(
        guess.found[0].rule,
        Rule::App {
            name: "platform".into(),
            path: String::new(),
            helm_values: None,
            environments: vec![],
        }
    );
    assert_eq!(env_names(&guess), vec![env("prod", "prod")]);
}

#[test]
fn loose_yaml_and_hidden_directories_are_not_apps() {
    let guess = guess(
        &listing(&["mkdocs.yml", ".github/workflows/ci.yaml", "docs/x/a.yaml"]),
        &kind(&["dev"]),
    );
    assert!(guess.found.is_empty(), "{:?}", shapes(&guess));
    assert!(guess.environments.is_empty());
}

#[test]
fn two_rules_finding_one_app_leave_the_second_commented_out() {
    let guess = guess(
        &listing(&[
            "apps/web/envs/dev/kustomization.yaml",
            "infra/web/deployment.yaml",
        ]),
        &kind(&["dev"]),
    );
    assert_eq!(guess.found.len(), 2);
    assert_eq!(guess.found[0].disabled, None);
    assert!(guess.found[1]
        .disabled
        .as_deref()
        .is_some_and(|why| why.contains("web")));
}

#[test]
fn ambiguous_context_is_reported_and_its_environment_left_out() {
    let guess = guess(
        &listing(&[
            "envs/prod/kustomization.yaml",
            "envs/dev/kustomization.yaml",
        ]),
        &[
            ctx("prod-eu1", "eu"),
            ctx("prod-us1", "us"),
            ctx("kind-dev", "dev"),
        ],
    );
    assert_eq!(
        guess.environments[1].context,
        ContextMatch::Ambiguous {
            candidates: vec!["prod-eu1".into(), "prod-us1".into()]
        }
    );
    assert!(guess
        .checks
        .iter()
        .any(|c| c.contains("prod-eu1, prod-us1")));
}

#[test]
fn one_context_taken_by_two_environments_is_a_check() {
    let guess = guess(
        &listing(&["prod/web/deployment.yaml", "prod-eu1/web/deployment.yaml"]),
        &[ctx("prod-eu1", "eu")],
    );
    assert_eq!(
        env_names(&guess),
        vec![env("prod", "prod-eu1"), env("prod-eu1", "prod-eu1")]
    );
    assert!(
        guess
            .checks
            .iter()
            .any(|c| c.contains("`prod`, `prod-eu1` all use context `prod-eu1`")),
        "{:?}",
        guess.checks
    );
}

#[test]
fn names_the_config_cannot_hold_are_not_guessed() {
    let guess = guess(
        &listing(&[
            "apps/web/envs/dev/kustomization.yaml",
            "apps/web/envs/my prod/kustomization.yaml",
            "apps/{x}/envs/dev/kustomization.yaml",
            "odd{dir}/api/envs/dev/kustomization.yaml",
        ]),
        &kind(&["dev"]),
    );
    // `apps/{app}/envs/{env}` would take `apps/{x}/envs/dev` too: web is listed instead.
    assert_eq!(
        shapes(&guess),
        vec![(
            "app web: apps/web/envs/{env}".into(),
            Layout::OverlayPerEnv,
            "web (dev)".into()
        )]
    );
}

#[test]
fn a_pattern_that_would_take_more_than_the_apps_found_becomes_listed_apps() {
    let root = guess(
        &listing(&[
            ".github/workflows/ci.yaml",
            "docs/index.md",
            "jsonnet-guestbook/guestbook.jsonnet",
            "guestbook/deployment.yaml",
            "kustomize-guestbook/kustomization.yaml",
            "helm-guestbook/Chart.yaml",
            "helm-guestbook/values-production.yaml",
        ]),
        &[ctx("prod-eu1", "eu")],
    );
    assert_eq!(
        shapes(&root),
        vec![
            (
                "app helm-guestbook: helm-guestbook".into(),
                Layout::HelmValuesPerEnv,
                "helm-guestbook (production)".into()
            ),
            (
                "app guestbook: guestbook".into(),
                Layout::AppsOnly,
                "guestbook (every environment)".into()
            ),
            (
                "app kustomize-guestbook: kustomize-guestbook".into(),
                Layout::AppsOnly,
                "kustomize-guestbook (every environment)".into()
            ),
        ]
    );
    assert!(
        root.checks.iter().any(|c| c.starts_with(
            "Pattern `{app}` would also take `.github`, `docs`, `jsonnet-guestbook` as apps"
        )),
        "{:?}",
        root.checks
    );
    // Under a directory of their own, the same apps stay one discover rule.
    let under_apps = guess(
        &listing(&[
            ".github/workflows/ci.yaml",
            "docs/index.md",
            "apps/guestbook/deployment.yaml",
            "apps/kustomize-guestbook/kustomization.yaml",
        ]),
        &[ctx("prod-eu1", "eu")],
    );
    assert_eq!(shapes(&under_apps).len(), 1);
    assert_eq!(under_apps.found[0].shape(), "apps/{app}");
}

#[test]
fn a_listed_chart_hiding_a_discovered_app_of_its_name_is_a_check() {
    let guess = guess(
        &listing(&[
            "apps/redis/envs/dev/kustomization.yaml",
            "charts/redis/Chart.yaml",
            "charts/redis/values-dev.yaml",
            "vendor/redis/Chart.yaml",
            "vendor/redis/values-dev.yaml",
        ]),
        &kind(&["dev"]),
    );
    assert_eq!(guess.found.len(), 3, "{:?}", shapes(&guess));
    assert!(guess.found[..2].iter().all(|f| f.disabled.is_none()));
    // Two listed apps may not share a name, even in different environments.
    assert!(guess.found[2]
        .disabled
        .as_deref()
        .is_some_and(|why| why.contains("already listed")));
    assert!(
        guess
            .checks
            .iter()
            .any(|c| c.contains("listed app `redis` (app redis: charts/redis) replaces")),
        "{:?}",
        guess.checks
    );
}

/// flux2-kustomize-helm-example's layout: `clusters/{env}` holds Flux's bootstrap
/// (`flux-system`) and the Flux Kustomizations; Flux applies it whole.
fn flux_example(cluster_dirs: &[&str]) -> RepoListing {
    let mut files = vec![
        "apps/base/podinfo/kustomization.yaml".to_string(),
        "apps/base/podinfo/release.yaml".to_string(),
        "apps/production/kustomization.yaml".to_string(),
        "apps/staging/kustomization.yaml".to_string(),
        "infrastructure/configs/kustomization.yaml".to_string(),
        "infrastructure/controllers/kustomization.yaml".to_string(),
        "scripts/validate.sh".to_string(),
        ".github/workflows/e2e.yaml".to_string(),
    ];
    for cluster in cluster_dirs {
        files.push(format!("clusters/{cluster}/apps.yaml"));
        files.push(format!("clusters/{cluster}/infrastructure.yaml"));
        files.push(format!(
            "clusters/{cluster}/flux-system/gotk-components.yaml"
        ));
        files.push(format!("clusters/{cluster}/flux-system/kustomization.yaml"));
    }
    let names: Vec<&str> = files.iter().map(String::as_str).collect();
    listing(&names)
}

#[test]
fn flux_cluster_directories_are_one_app_per_environment_not_flux_system_apps() {
    let guess = guess(
        &flux_example(&["production", "staging"]),
        &[
            ctx("prod-eu1", "eu"),
            ctx("gke_proj_europe-west1_staging", "gke"),
        ],
    );
    assert_eq!(
        shapes(&guess),
        vec![
            (
                "{app}/{env}".into(),
                Layout::AppThenEnv,
                "apps (production, staging), clusters (production, staging)".into()
            ),
            (
                "infrastructure/{app}".into(),
                Layout::AppsOnly,
                "configs (every environment), controllers (every environment)".into()
            ),
        ]
    );
    assert_eq!(
        env_names(&guess),
        vec![
            env("staging", "gke_proj_europe-west1_staging"),
            env("production", "prod-eu1")
        ]
    );
}

#[test]
fn a_flux_cluster_directory_is_an_environment_whatever_its_name() {
    let guess = guess(&flux_example(&["eu-central"]), &kind(&["dev"]));
    // Not `clusters/{app}` with an app `eu-central` compared on every cluster.
    assert_eq!(
        shapes(&guess)[0],
        (
            "{app}/{env}".into(),
            Layout::AppThenEnv,
            "apps (production, staging), clusters (eu-central)".into()
        ),
        "{:?}",
        shapes(&guess)
    );
    assert!(guess
        .environments
        .iter()
        .any(|e| e.name == "eu-central" && e.context == ContextMatch::Unmatched));
}

#[test]
fn environment_directories_at_the_root_are_never_apps_of_every_environment() {
    // Only manifests in each environment's directory: the repository is one app. (`test/`
    // with fixtures is no environment.)
    let whole = guess(
        &listing(&[
            "dev/configmap.yaml",
            "prod/configmap.yaml",
            "README.md",
            "test/fixture.yaml",
        ]),
        &kind(&["dev", "prod"]),
    );
    assert_eq!(
        whole.found[0].rule,
        Rule::App {
            name: "platform".into(),
            path: "{env}".into(),
            helm_values: None,
            environments: vec!["dev".into(), "prod".into()],
        }
    );
    assert_eq!(whole.found.len(), 1, "{:?}", shapes(&whole));

    // Manifests next to app directories: the apps, and a check for what no app includes.
    let mixed = guess(
        &listing(&[
            "dev/namespaces.yaml",
            "dev/web/deployment.yaml",
            "prod/namespaces.yaml",
            "prod/web/deployment.yaml",
        ]),
        &kind(&["dev", "prod"]),
    );
    assert_eq!(
        shapes(&mixed),
        vec![(
            "{env}/{app}".into(),
            Layout::EnvThenApp,
            "web (dev, prod)".into()
        )]
    );
    assert!(
        mixed.checks.iter().any(|c| c.starts_with(
            "Manifests next to the app directories in `dev`, `prod`: no app includes them"
        )),
        "{:?}",
        mixed.checks
    );
}

#[test]
fn contexts_naming_environments_the_repository_does_not_are_a_check() {
    // One `values-production.yaml` makes the only environment; dev and staging clusters exist.
    let guess = guess(
        &listing(&[
            "guestbook/deployment.yaml",
            "helm-guestbook/Chart.yaml",
            "helm-guestbook/values-production.yaml",
        ]),
        &[
            ctx("kind-dev", "dev"),
            ctx("kind-dev-viewer", "dev"),
            ctx("prod-eu1", "eu"),
            ctx("gke_proj_europe-west1_staging", "gke"),
            ctx("minikube", "m"),
        ],
    );
    let names: Vec<String> = env_names(&guess).into_iter().map(|e| e.0).collect();
    assert_eq!(names, vec!["production"]);
    // One context per cluster; `minikube` names no environment.
    assert!(
        guess.checks.iter().any(|c| c.starts_with(
            "Contexts naming environments the repository does not: \
             `kind-dev`, `gke_proj_europe-west1_staging`;"
        )),
        "{:?}",
        guess.checks
    );
}

#[test]
fn helm_values_without_a_chart_are_no_app() {
    let guess = guess(
        &listing(&[
            "apps/cert-manager/values.yaml",
            "apps/cert-manager/values-prod.yaml",
            "apps/web/deployment.yaml",
            "apps/web/values.yaml",
        ]),
        &kind(&["prod"]),
    );
    assert_eq!(
        shapes(&guess),
        vec![(
            "app web: apps/web".into(),
            Layout::AppsOnly,
            "web (every environment)".into()
        )]
    );
    assert!(
        guess.checks.iter().any(|c| c
            .starts_with("Helm values files without a chart in `apps/cert-manager` (the chart")),
        "{:?}",
        guess.checks
    );
}
