//! Configuration loading, validation, error positions, discovery and the resolved app view.

use kubedrift::config::{
    AppOrigin, AppPath, Config, ConfigError, PathPattern, RendererKind, DEFAULT_MAX_MANIFEST_BYTES,
};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/config")
        .join(name)
}

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::from_str(text, Path::new("config.toml"))
}

const MINIMAL: &str = r#"
[[repo]]
name = "gitops"
path = "/srv/git/gitops"

[[environment]]
name = "prod"
context = "prod-eu"
"#;

/// The error's Display, for asserting on exactly what the user sees.
fn err(text: &str) -> String {
    match parse(text) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => e.to_string(),
    }
}

// ------------------------------------------------------------------------------ loading

#[test]
fn example_config_loads_and_documents_every_key() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
    let loaded = Config::load_file(&path).unwrap();
    let config = loaded.config;
    assert_eq!(loaded.path, path);
    assert_eq!(config.repos.len(), 2);
    assert_eq!(
        config
            .environments
            .iter()
            .map(|e| e.name.as_str())
            .collect::<Vec<_>>(),
        ["dev", "staging", "prod"]
    );
    assert_eq!(config.apps.len(), 3);
    assert_eq!(config.discover.len(), 1);
    assert_eq!(config.sources.len(), 1);
    assert_eq!(
        config.settings.max_manifest_bytes,
        DEFAULT_MAX_MANIFEST_BYTES
    );
    assert_eq!(config.settings.field_managers, ["ci-deploy"]);
    // `charts` is relative to the example file's directory.
    assert_eq!(
        config.repo("charts").unwrap().path,
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../charts")
    );

    let text = std::fs::read_to_string(&path).unwrap();
    for (section, keys) in Config::key_reference() {
        for key in keys {
            let assigned = text.lines().any(|l| {
                let l = l.trim_start();
                l.starts_with(&format!("{key} ="))
                    || l.starts_with(&format!("[{key}]"))
                    || l.starts_with(&format!("[[{key}]]"))
                    || l.contains(&format!(".{key}]"))
            });
            assert!(
                assigned,
                "config.example.toml does not show `{key}` of {section}"
            );
        }
    }
}

#[test]
fn realistic_fixture_resolves_references_defaults_and_order() {
    let loaded = Config::load_file(&fixture("platform.toml")).unwrap();
    let config = loaded.config;
    // Promotion order by `order`, not file order.
    let order: Vec<&str> = config
        .environments
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(order, ["dev", "staging", "prod"]);
    let prod = config.environment("prod").unwrap();
    assert!(prod.read_only);
    assert_eq!(prod.git_ref.as_deref(), Some("release"));
    assert_eq!(prod.namespace.as_deref(), Some("apps"));
    assert!(!config.environment("dev").unwrap().read_only);

    let gitops = config.repo("gitops").unwrap();
    assert_eq!(gitops.default_branch, "main");
    assert_eq!(gitops.path, fixture("repos/gitops"));
    assert_eq!(config.repo("charts").unwrap().default_branch, "trunk");
    assert_eq!(config.settings.git_poll_seconds, 10);
    assert_eq!(config.settings.fetch_interval_seconds, 60);

    let redis = config.apps.iter().find(|a| a.name == "redis").unwrap();
    assert_eq!(
        redis.path,
        AppPath::PerEnvironment(BTreeMap::from([
            ("dev".into(), "redis".into()),
            ("prod".into(), "redis".into())
        ]))
    );
    assert_eq!(redis.renderer, RendererKind::Helm);
    assert_eq!(redis.helm.set["replica.replicaCount"], serde_json::json!(3));
    assert_eq!(redis.helm.set["auth.enabled"], serde_json::json!(false));
    let checkout = config.apps.iter().find(|a| a.name == "checkout").unwrap();
    assert_eq!(checkout.ignore[0].json_pointers, vec!["/spec/replicas"]);
    assert_eq!(checkout.ignore[0].kind.as_deref(), Some("Deployment"));
}

#[test]
fn single_repo_needs_no_repo_references() {
    let text = format!("{MINIMAL}\n[[app]]\nname = \"web\"\npath = \"web\"\n\n[[discover]]\npattern = \"apps/{{app}}\"\n");
    let config = parse(&text).unwrap();
    assert_eq!(config.apps[0].repo, "gitops");
    assert_eq!(config.discover[0].repo, "gitops");
    assert_eq!(config.settings.theme, "default");
}

#[test]
fn an_app_ref_overrides_the_environment_ref_per_environment() {
    let text = format!(
        "{MINIMAL}\n[[environment]]\nname = \"dev\"\ncontext = \"dev\"\nref = \"trunk\"\n\n\
         [[app]]\nname = \"payments\"\npath = \"apps/{{app}}\"\nref = \"env/{{env}}-{{app}}\"\n\n\
         [[app]]\nname = \"web\"\npath = \"web\"\n"
    );
    let config = parse(&text).unwrap();
    let dirs = BTreeMap::new();
    let dev = config.apps_for("dev", &dirs).unwrap();
    let refs: Vec<(&str, &str)> = dev
        .iter()
        .map(|a| (a.name.as_str(), a.git_ref.as_str()))
        .collect();
    assert_eq!(refs, [("payments", "env/dev-payments"), ("web", "trunk")]);
    let prod = config.apps_for("prod", &dirs).unwrap();
    assert_eq!(prod[0].git_ref, "env/prod-payments");
    assert_eq!(
        prod[1].git_ref, "main",
        "no refs anywhere: the repo's default branch"
    );

    let empty = format!("{MINIMAL}\n[[app]]\nname = \"web\"\npath = \"web\"\nref = \" \"\n");
    let message = err(&empty);
    assert!(
        message.contains("ref") && message.contains("must not be empty"),
        "{message}"
    );
}

#[test]
fn locate_prefers_flag_then_env_then_default() {
    let dir = tempfile::tempdir().unwrap();
    let default = dir.path().join("config.toml");
    let flag = Path::new("/etc/kubedrift/flag.toml");
    assert_eq!(
        Config::locate(
            Some(flag),
            Some("/x/env.toml".into()),
            Some(default.clone())
        )
        .unwrap(),
        flag
    );
    assert_eq!(
        Config::locate(None, Some("/x/env.toml".into()), Some(default.clone())).unwrap(),
        Path::new("/x/env.toml")
    );
    // An empty variable is treated as unset.
    match Config::locate(None, Some("".into()), Some(default.clone())) {
        Err(ConfigError::NotFound { searched }) => assert_eq!(searched, vec![default.clone()]),
        other => panic!("{other:?}"),
    }
    std::fs::write(&default, MINIMAL).unwrap();
    assert_eq!(
        Config::locate(None, None, Some(default.clone())).unwrap(),
        default
    );
    let msg = Config::locate(None, None, None).unwrap_err().to_string();
    assert!(msg.contains("--config"), "{msg}");
}

#[test]
fn explicit_missing_file_is_a_read_error_naming_it() {
    let missing = Path::new("/nonexistent/kubedrift/config.toml");
    let located = Config::locate(Some(missing), None, None).unwrap();
    let e = Config::load_file(&located).unwrap_err();
    assert!(matches!(e, ConfigError::Read { .. }));
    assert!(
        e.to_string().contains("/nonexistent/kubedrift/config.toml"),
        "{e}"
    );
}

#[test]
fn non_utf8_file_is_a_read_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, b"[[repo]]\nname = \"\xff\"\n").unwrap();
    assert!(matches!(
        Config::load_file(&path),
        Err(ConfigError::Read { .. })
    ));
}

// ------------------------------------------------------------------------------ errors

#[test]
fn unknown_key_names_file_line_column_section_and_suggestion() {
    let path = fixture("unknown_key.toml");
    let e = Config::load_file(&path).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "unknown key `contxt` in [[environment]] at {}:7:1, did you mean `context`?",
            path.display()
        )
    );
}

#[test]
fn unknown_keys_in_every_section_are_rejected() {
    let cases = [
        ("[settings]\ntheme = \"dark\"\ngit_pol_seconds = 3\n", "`git_pol_seconds` in [settings] at config.toml:3:1, did you mean `git_poll_seconds`?"),
        ("[[repo]]\nname = \"a\"\npath = \"/a\"\nbranch = \"main\"\n", "`branch` in [[repo]] at config.toml:4:1"),
        ("[[app]]\nname = \"web\"\npath = \"web\"\nrendrer = \"helm\"\n", "`rendrer` in [[app]] at config.toml:4:1, did you mean `renderer`?"),
        ("[[app]]\nname = \"web\"\npath = \"web\"\nhelm = { valuse = [] }\n", "`valuse` in [app.helm] at config.toml:4:10, did you mean `values`?"),
        ("[[app]]\nname = \"web\"\npath = \"web\"\n[[app.ignore]]\njsonPointers = []\n", "`jsonPointers` in an ignore rule ([[app.ignore]]) at config.toml:5:1, did you mean `json_pointers`?"),
        ("[[discover]]\npatern = \"x/{app}\"\n", "`patern` in [[discover]] at config.toml:2:1, did you mean `pattern`?"),
        ("[[environments]]\nname = \"prod\"\n", "`environments` in the top level at config.toml:1:3, did you mean `environment`?"),
    ];
    for (text, expected) in cases {
        let msg = err(text);
        assert_eq!(msg, format!("unknown key {expected}"), "for:\n{text}");
    }
}

#[test]
fn syntax_errors_give_line_and_column() {
    let path = fixture("bad_syntax.toml");
    let e = Config::load_file(&path).unwrap_err();
    match &e {
        ConfigError::Syntax { location, .. } => {
            assert_eq!(location.file, path);
            assert_eq!(location.line, 3);
        }
        other => panic!("expected a syntax error, got {other:?}"),
    }
    assert!(
        e.to_string()
            .starts_with(&format!("invalid TOML at {}:3:", path.display())),
        "{e}"
    );
}

#[test]
fn wrong_types_and_missing_keys_name_the_key() {
    let text = format!("{MINIMAL}order = \"first\"\n");
    let msg = err(&text);
    assert!(
        msg.starts_with("invalid `order` at config.toml:9:9:"),
        "{msg}"
    );
    assert!(msg.contains("expected i64"), "{msg}");

    let msg =
        err("[[repo]]\nname = \"gitops\"\n\n[[environment]]\nname = \"prod\"\ncontext = \"x\"\n");
    assert!(msg.starts_with("invalid `path` at config.toml:"), "{msg}");
    assert!(
        msg.contains("required key `path` is missing in [[repo]]"),
        "{msg}"
    );

    let msg = err(&format!(
        "{MINIMAL}\n[[app]]\nname = \"web\"\npath = \"web\"\nrenderer = \"kustomise\"\n"
    ));
    assert!(
        msg.starts_with("invalid `renderer` at config.toml:13:12"),
        "{msg}"
    );
    assert!(msg.contains("did you mean `kustomize`?"), "{msg}");

    let msg = err(&format!("{MINIMAL}\n[[app]]\nname = \"web\"\npath = 3\n"));
    assert!(
        msg.starts_with("invalid `path` at config.toml:12:8"),
        "{msg}"
    );
}

#[test]
fn duplicate_names_point_at_both_definitions() {
    let e = Config::load_file(&fixture("duplicate_env.toml")).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("invalid `name` at "), "{msg}");
    assert!(msg.contains("duplicate_env.toml:10:8"), "{msg}");
    assert!(
        msg.contains("duplicate name `prod` (first defined at line 6)"),
        "{msg}"
    );

    let text = format!("{MINIMAL}\n[[app]]\nname = \"web\"\npath = \"a\"\n\n[[app]]\nname = \"web\"\npath = \"b\"\n");
    assert!(err(&text).contains("duplicate name `web`"));
}

#[test]
fn references_are_checked() {
    let two_repos = r#"
[[repo]]
name = "gitops"
path = "/a"

[[repo]]
name = "charts"
path = "/b"

[[environment]]
name = "prod"
context = "prod-eu"

[[environment]]
name = "dev"
context = "kind-dev"
"#;
    let msg = err(&format!(
        "{two_repos}\n[[app]]\nname = \"web\"\npath = \"web\"\n"
    ));
    assert!(msg.contains("app `web` must name its `repo`"), "{msg}");

    let msg = err(&format!(
        "{two_repos}\n[[app]]\nname = \"web\"\nrepo = \"chart\"\npath = \"web\"\n"
    ));
    assert!(
        msg.starts_with(
            "invalid `repo` at config.toml:20:8: unknown repo `chart`, did you mean `charts`?"
        ),
        "{msg}"
    );

    let msg = err(&format!(
        "{two_repos}\n[[app]]\nname = \"web\"\nrepo = \"gitops\"\npath = {{ prdo = \"web\" }}\n"
    ));
    assert!(msg.contains("invalid `path.prdo`"), "{msg}");
    assert!(
        msg.contains("unknown environment `prdo`, did you mean `prod`?"),
        "{msg}"
    );

    let msg = err(&format!("{two_repos}\n[[app]]\nname = \"web\"\nrepo = \"gitops\"\npath = \"web\"\nenvironments = [\"dev\", \"qa\"]\n"));
    assert!(
        msg.contains("invalid `environments`") && msg.contains("unknown environment `qa`"),
        "{msg}"
    );

    let msg = err(&format!(
        "{two_repos}\n[[discover]]\nrepo = \"gitops\"\npattern = \"apps/{{env}}\"\n"
    ));
    assert!(
        msg.starts_with("invalid `pattern` at config.toml:20:11"),
        "{msg}"
    );
    assert!(msg.contains("no {app} placeholder"), "{msg}");

    let msg = err(&format!(
        "{two_repos}\n[[discover]]\npattern = \"apps/{{app}}\"\n"
    ));
    assert!(msg.contains("must name its `repo`"), "{msg}");
}

#[test]
fn values_are_validated() {
    let cases: [(&str, &str); 9] = [
        (
            "[[repo]]\nname = \"a b\"\npath = \"/a\"\n",
            "invalid `name` at config.toml:2:8",
        ),
        (
            "[[repo]]\nname = \"\"\npath = \"/a\"\n",
            "must not be empty",
        ),
        (
            "[settings]\nmax_manifest_bytes = 0\n",
            "invalid `max_manifest_bytes`",
        ),
        (
            "[settings]\ngit_poll_seconds = 0\n",
            "invalid `git_poll_seconds`",
        ),
        (
            "[settings]\nfetch_interval_seconds = -1\n",
            "invalid `fetch_interval_seconds`",
        ),
        ("", "no [[repo]] configured"),
        (
            "[[repo]]\nname = \"a\"\npath = \"/a\"\n",
            "no [[environment]] configured",
        ),
        (
            "[[app]]\nname = \"web\"\npath = \"../../etc\"\n",
            "escapes the repository root",
        ),
        (
            "[[app]]\nname = \"web\"\npath = \"apps/{name}\"\n",
            "placeholder other than {app} and {env}",
        ),
    ];
    for (extra, expected) in cases {
        let text = if extra.starts_with("[[app]]") {
            format!("{MINIMAL}\n{extra}")
        } else if extra.starts_with("[settings]") {
            format!("{extra}\n{MINIMAL}")
        } else {
            extra.to_string()
        };
        let msg = err(&text);
        assert!(msg.contains(expected), "expected {expected:?} in {msg:?}");
    }

    let msg = err(&format!("{MINIMAL}\n[[app]]\nname = \"web\"\npath = \"web\"\n[[app.ignore]]\njson_pointers = [\"spec.replicas\"]\n"));
    assert!(
        msg.contains("`spec.replicas` is not a JSON pointer"),
        "{msg}"
    );
    // The place named is the pointer itself (line 14 of that text), not the rule's table.
    assert!(msg.contains("config.toml:14:18"), "{msg}");
    let msg = err(&format!("{MINIMAL}\n[[app]]\nname = \"web\"\npath = \"web\"\n[[app.ignore]]\nkind = \"Deployment\"\njson_pointers = []\n"));
    assert!(
        msg.contains("needs at least one JSON pointer") && msg.contains("config.toml:15:17"),
        "{msg}"
    );
    let msg = err(&format!("{MINIMAL}\n[[app]]\nname = \"web\"\npath = {{ prod = \"web\" }}\nenvironments = [\"prod\"]\n"));
    assert!(
        msg.contains("not allowed with a per-environment `path` table"),
        "{msg}"
    );
}

// ------------------------------------------------------------------------------ apps_for

fn dirs(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn apps_for_merges_listed_and_discovered_apps() {
    let config = Config::load_file(&fixture("platform.toml")).unwrap().config;
    let scans = config.discovery_scans();
    assert_eq!(scans.len(), 2);
    assert_eq!(
        (
            scans[0].repo.as_str(),
            scans[0].prefix.as_str(),
            scans[0].depth
        ),
        ("gitops", "apps", 3)
    );
    assert_eq!((scans[1].prefix.as_str(), scans[1].depth), ("clusters", 4));

    let listing = BTreeMap::from([(
        "gitops".to_string(),
        dirs(&[
            "apps/checkout/envs/prod",
            "apps/checkout/envs/dev",
            "apps/cart/envs/prod",
            "apps/cart/envs/dev",
            "apps/search/envs/dev",
            "clusters/prod/releases/monitoring/grafana",
            "clusters/dev/releases/monitoring/grafana",
        ]),
    )]);

    let prod = config.apps_for("prod", &listing).unwrap();
    let names: Vec<&str> = prod.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["cart", "checkout", "grafana", "redis"]);

    let cart = &prod[0];
    assert_eq!(cart.path, "apps/cart/envs/prod");
    assert_eq!(cart.repo, "gitops");
    assert_eq!(cart.git_ref, "release");
    assert_eq!(cart.namespace.as_deref(), Some("apps"));
    assert_eq!(
        cart.origin,
        AppOrigin::Discovered {
            pattern: "apps/{app}/envs/{env}".into()
        }
    );

    // The listed checkout overrides the discovered one: its renderer, namespace and ignore.
    let checkout = &prod[1];
    assert_eq!(checkout.origin, AppOrigin::Listed);
    assert_eq!(checkout.path, "apps/checkout/envs/prod");
    assert_eq!(checkout.renderer, RendererKind::Kustomize);
    assert_eq!(checkout.namespace.as_deref(), Some("shop"));
    assert_eq!(checkout.ignore.len(), 1);

    let grafana = &prod[2];
    assert_eq!(grafana.namespace.as_deref(), Some("monitoring"));
    assert_eq!(grafana.renderer, RendererKind::Helm);
    assert_eq!(grafana.path, "clusters/prod/releases/monitoring/grafana");

    let redis = &prod[3];
    assert_eq!(redis.repo, "charts");
    assert_eq!(redis.path, "redis");
    assert_eq!(redis.git_ref, "release");
    assert_eq!(redis.helm.values, vec!["values.yaml", "values-prod.yaml"]);

    // staging: no ref → each repo's default branch; redis is not deployed there.
    let staging = config.apps_for("staging", &listing).unwrap();
    assert_eq!(
        staging.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(),
        ["checkout"]
    );
    assert_eq!(staging[0].git_ref, "main");
    assert_eq!(staging[0].path, "apps/checkout/envs/staging");

    let dev = config.apps_for("dev", &listing).unwrap();
    let redis_dev = dev.iter().find(|a| a.name == "redis").unwrap();
    assert_eq!(redis_dev.git_ref, "trunk");
    assert_eq!(redis_dev.helm.values[1], "values-dev.yaml");
    assert!(dev.iter().any(|a| a.name == "search"));
}

#[test]
fn apps_for_rejects_unknown_env_and_discovery_conflicts() {
    let config = Config::load_file(&fixture("platform.toml")).unwrap().config;
    let e = config.apps_for("prd", &BTreeMap::new()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "unknown environment `prd`, did you mean `prod`?; configured: dev, staging, prod"
    );

    let listing = BTreeMap::from([(
        "gitops".to_string(),
        dirs(&[
            "apps/grafana/envs/prod",
            "clusters/prod/releases/monitoring/grafana",
        ]),
    )]);
    match config.apps_for("prod", &listing) {
        Err(ConfigError::DiscoveryConflict { app, env, .. }) => {
            assert_eq!((app.as_str(), env.as_str()), ("grafana", "prod"))
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    // No listing at all: only listed apps.
    let listed = config.apps_for("prod", &BTreeMap::new()).unwrap();
    assert_eq!(
        listed.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(),
        ["checkout", "redis"]
    );
}

#[test]
fn discovery_from_a_real_git_listing() {
    use git2::{Repository, Signature, Time};
    let dir = tempfile::tempdir().unwrap();
    let repo = Repository::init_bare(dir.path()).unwrap();
    // apps/web/envs/{dev,prod}/kustomization.yaml and apps/api/envs/prod/deploy.yaml
    let blob = repo
        .blob(b"apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n")
        .unwrap();
    let leaf = |name: &str| {
        let mut b = repo.treebuilder(None).unwrap();
        b.insert(name, blob, 0o100644).unwrap();
        b.write().unwrap()
    };
    let envs_of = |names: &[&str]| {
        let mut b = repo.treebuilder(None).unwrap();
        for n in names {
            b.insert(n, leaf("kustomization.yaml"), 0o040000).unwrap();
        }
        let envs = b.write().unwrap();
        let mut app = repo.treebuilder(None).unwrap();
        app.insert("envs", envs, 0o040000).unwrap();
        app.write().unwrap()
    };
    let mut apps = repo.treebuilder(None).unwrap();
    apps.insert("web", envs_of(&["dev", "prod"]), 0o040000)
        .unwrap();
    apps.insert("api", envs_of(&["prod"]), 0o040000).unwrap();
    let apps = apps.write().unwrap();
    let mut root = repo.treebuilder(None).unwrap();
    root.insert("apps", apps, 0o040000).unwrap();
    let tree = repo.find_tree(root.write().unwrap()).unwrap();
    let who = Signature::new("Dana", "dana@acme.example", &Time::new(1_700_000_000, 0)).unwrap();
    repo.commit(Some("refs/heads/main"), &who, &who, "layout", &tree, &[])
        .unwrap();

    let config = parse(&format!(
        "[[repo]]\nname = \"gitops\"\npath = \"{}\"\n\n[[environment]]\nname = \"dev\"\ncontext = \"kind-dev\"\n\n[[environment]]\nname = \"prod\"\ncontext = \"prod\"\n\n[[discover]]\npattern = \"apps/{{app}}/envs/{{env}}\"\n",
        dir.path().display()
    ))
    .unwrap();
    let git = kubedrift::git::GitRepo::open(&config.repos[0].path).unwrap();
    let commit = git.resolve("main").unwrap().commit;
    let mut listing = BTreeMap::new();
    for scan in config.discovery_scans() {
        listing
            .entry(scan.repo.clone())
            .or_insert_with(Vec::new)
            .extend(git.list_dirs(&commit, &scan.prefix, scan.depth).unwrap());
    }
    let prod: Vec<(String, String)> = config
        .apps_for("prod", &listing)
        .unwrap()
        .into_iter()
        .map(|a| (a.name, a.path))
        .collect();
    assert_eq!(
        prod,
        vec![
            ("api".into(), "apps/api/envs/prod".into()),
            ("web".into(), "apps/web/envs/prod".into())
        ]
    );
    let dev: Vec<String> = config
        .apps_for("dev", &listing)
        .unwrap()
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(dev, vec!["web"]);
}

#[test]
fn pattern_parse_is_public_for_callers() {
    let p = PathPattern::parse("{env}/releases/{namespace}/{app}").unwrap();
    assert_eq!(p.to_string(), "{env}/releases/{namespace}/{app}");
    assert!(p.has_env());
}

// ------------------------------------------------------------------------------ robustness

#[test]
fn helm_set_values_never_show_in_debug_or_json() {
    let text = format!(
        "{MINIMAL}\n[[app]]\nname = \"db\"\npath = \"charts/db\"\nrenderer = \"helm\"\n\
         helm = {{ values = [\"values-{{env}}.yaml\"], set = {{ \"auth.password\" = \"hunter2-s3cr3t\", \"auth.port\" = 54329 }} }}\n"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, text).unwrap();
    let config = Config::load_file(&path).unwrap().config;
    let apps = config.apps_for("prod", &BTreeMap::new()).unwrap();
    assert_eq!(
        apps[0].helm.set.get("auth.password"),
        Some(&serde_json::json!("hunter2-s3cr3t")),
        "the value is kept for rendering"
    );
    let shown = [
        format!("{config:?}"),
        format!("{config:#?}"),
        format!("{apps:?}"),
        serde_json::to_string(&config).unwrap(),
    ];
    for text in &shown {
        assert!(
            text.contains("auth.password"),
            "the key stays visible: {text}"
        );
        assert!(
            !text.contains("hunter2-s3cr3t"),
            "a --set value leaked: {text}"
        );
        assert!(!text.contains("54329"), "a --set value leaked: {text}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
        let _ = parse(&text);
    }

    #[test]
    fn toml_shaped_text_never_panics(
        lines in proptest::collection::vec(
            prop_oneof![
                Just("[[repo]]".to_string()),
                Just("[[environment]]".to_string()),
                Just("[[app]]".to_string()),
                Just("[[app.ignore]]".to_string()),
                Just("[[discover]]".to_string()),
                Just("[settings]".to_string()),
                Just("[app.helm]".to_string()),
                "(name|path|context|ref|order|pattern|repo|renderer|contxt|json_pointers|environments) = (\"[a-z{}/.]{0,12}\"|[0-9]{1,3}|true|\\[\\]|\\{ [a-z]{1,4} = \"x\" \\})",
            ],
            0..25,
        )
    ) {
        let text = lines.join("\n");
        match parse(&text) {
            Ok(config) => {
                // A config that loads must also resolve for each of its environments.
                for env in &config.environments {
                    let _ = config.apps_for(&env.name, &BTreeMap::new());
                }
            }
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }

    #[test]
    fn corrupted_example_never_panics(cut in 0usize..8000, insert in "[\\[\\]{}=\"\\n#a-z ]{0,4}") {
        let text = include_str!("../../config.example.toml");
        let mut at = cut.min(text.len());
        while !text.is_char_boundary(at) { at -= 1; }
        let corrupted = format!("{}{}{}", &text[..at], insert, &text[at..]);
        let _ = parse(&corrupted);
    }
}

#[test]
fn repo_url_credentials_never_shown() {
    use kubedrift::config::redact_url;
    assert_eq!(
        redact_url("https://ci-bot:ghp_s3cr3t@github.com/acme/gitops.git"),
        "https://***@github.com/acme/gitops.git"
    );
    assert_eq!(
        redact_url("https://github.com/acme/gitops.git"),
        "https://github.com/acme/gitops.git"
    );
    assert_eq!(
        redact_url("git@github.com:acme/gitops.git"),
        "git@github.com:acme/gitops.git"
    );
    assert_eq!(redact_url("https://host/path@v1"), "https://host/path@v1");

    let text = MINIMAL.replace("path = \"/srv/git/gitops\"", "path = \"/srv/git/gitops\"\nurl = \"https://ci-bot:ghp_s3cr3t@github.com/acme/gitops.git\"");
    let config = parse(&text).unwrap();
    // The value is kept for fetching, but no rendering of the config shows the token.
    assert!(config.repos[0]
        .url
        .as_deref()
        .unwrap()
        .contains("ghp_s3cr3t"));
    assert!(!format!("{config:?}").contains("ghp_s3cr3t"));
    assert!(!serde_json::to_string(&config)
        .unwrap()
        .contains("ghp_s3cr3t"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever the listing, every discovered app really matches the pattern, names a
    /// configured environment, and sits at the path its captures describe.
    #[test]
    fn discovery_results_always_match_the_pattern(
        listing in proptest::collection::vec("(apps|\\.|\\.\\.|x)(/(web|api|envs|prod|dev|qa|\\.\\.|)){0,4}", 0..40)
    ) {
        use kubedrift::config::discover_apps;
        let pattern = PathPattern::parse("apps/{app}/envs/{env}").unwrap();
        let envs = vec!["dev".to_string(), "prod".to_string()];
        for app in discover_apps(&pattern, &listing, &envs) {
            let env = app.env.clone().unwrap();
            prop_assert!(envs.contains(&env));
            prop_assert_eq!(app.path, format!("apps/{}/envs/{}", app.name, env));
        }
    }
}

#[test]
fn absolute_or_escaping_app_paths_are_errors_naming_file_line_column_and_key() {
    // MINIMAL ends on line 9; the [[app]] table starts on line 10, its `path` is on line 12.
    let app = |path_line: &str| format!("{MINIMAL}\n[[app]]\nname = \"web\"\n{path_line}\n");
    let relative = "app paths are relative to the repository root";
    let cases = [
        (
            app("path = \"/srv/gitops/apps/web\""),
            format!(
                "invalid `path` at config.toml:12:8: `/srv/gitops/apps/web` is an absolute path; {relative}"
            ),
        ),
        (
            app("path = \"/apps/{app}/envs/{env}\""),
            format!(
                "invalid `path` at config.toml:12:8: `/apps/{{app}}/envs/{{env}}` is an absolute path; {relative}"
            ),
        ),
        (
            app("path = { prod = \"/srv/web\" }"),
            format!(
                "invalid `path.prod` at config.toml:12:17: `/srv/web` is an absolute path; {relative}"
            ),
        ),
        (
            app("path = { prod = \"apps/../../etc\" }"),
            format!(
                "invalid `path.prod` at config.toml:12:17: `apps/../../etc` escapes the repository root; {relative}"
            ),
        ),
        (
            app("path = \"apps/{env}/../../..\""),
            format!(
                "invalid `path` at config.toml:12:8: `apps/{{env}}/../../..` escapes the repository root; {relative}"
            ),
        ),
        (
            format!("{MINIMAL}\n[[discover]]\npattern = \"/apps/{{app}}\"\n"),
            format!(
                "invalid `pattern` at config.toml:11:11: `/apps/{{app}}` is an absolute path; {relative}"
            ),
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(err(&text), expected, "for:\n{text}");
    }

    // Helm values files are relative to the app directory and stay inside the repository.
    let helm = |values: &str| {
        format!("{MINIMAL}\n[[app]]\nname = \"web\"\npath = \"apps/web\"\nrenderer = \"helm\"\nhelm = {{ values = [{values}] }}\n")
    };
    let msg = err(&helm("\"/etc/kubedrift/values.yaml\""));
    assert!(
        msg.starts_with("invalid `values` at config.toml:14:")
            && msg.contains("`/etc/kubedrift/values.yaml` is an absolute path"),
        "{msg}"
    );
    let msg = err(&helm("\"values.yaml\", \"../../../shared/{env}.yaml\""));
    assert!(
        msg.starts_with("invalid `values` at config.toml:14:")
            && msg.contains("`../../../shared/{env}.yaml` escapes the repository root"),
        "{msg}"
    );

    // Relative spellings that stay inside the repository still load, normalized.
    let config = parse(&format!(
        "{}{}",
        app("path = { prod = \"./apps/x/../web/\" }"),
        "helm = { values = [\"../shared/{env}.yaml\"] }\n"
    ))
    .unwrap();
    assert_eq!(
        config.apps[0].path,
        AppPath::PerEnvironment(BTreeMap::from([("prod".into(), "apps/web".into())]))
    );
    assert_eq!(config.apps[0].helm.values, ["../shared/{env}.yaml"]);
}
