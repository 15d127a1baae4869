//! The value promotion model through `kubedrift promote`: values at YAML paths copied from
//! the source environment's files into the target's, on comment-rich files whose every other
//! byte must survive; git objects and the target ref only.

use git2::{Oid, Repository, Signature};
use kubedrift_testkit::show;
use kubedrift_testkit::Run;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// An Argo CD Application as people write them: comments, blank lines, odd spacing, quotes.
const APPLICATION: &str = r#"# Argo CD Application for web in {env}.
# Owned by the shop team; promotions edit targetRevision only.

apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web-{env}          # one per environment
  namespace: argocd

spec:
  project: shop
  source:
    repoURL: https://charts.example.com/{env}   # the {env} chart repository
    chart: web

    # The chart version. Bumped by `kubedrift promote`.
    targetRevision: "{version}"   # keep quoted
    helm:
      releaseName: web
  destination: {server: "https://kubernetes.default.svc", namespace: shop}


  syncPolicy:
    automated: {prune: true}    # trailing comment
"#;

const VALUES: &str = "# Values for {env}\n\nimage:\n  repository: ghcr.io/acme/web\n\n  # the tag CI writes\n  tag: {tag}    # release\nreplicas: 2\n";

const KUSTOMIZATION: &str = "resources:\n  - ../base # shared\n\nimages:\n  - name: api\n    newTag: 9.9.9\n  # the web image\n  - name: web\n    newName: ghcr.io/acme/web\n    newTag: '{tag}'\n";

fn file(template: &str, env: &str, version: &str, tag: &str) -> String {
    template
        .replace("{env}", env)
        .replace("{version}", version)
        .replace("{tag}", tag)
}

struct Fixture {
    dir: tempfile::TempDir,
    config: PathBuf,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().expect("tempdir");
        let repo = Repository::init(dir.path().join("gitops")).expect("init");
        // The user's checkout is elsewhere: main, which promotion moves, is not checked out.
        repo.set_head("refs/heads/work").expect("head");
        let mut cfg = repo.config().expect("config");
        cfg.set_str("user.name", "Dana SRE").expect("name");
        cfg.set_str("user.email", "dana@example.com")
            .expect("email");
        let mut files = Vec::new();
        for (env, version, tag) in [("dev", "1.3.0", "2.1.0"), ("prod", "1.2.0", "2.0.4")] {
            files.push((
                format!("argocd/web-{env}.yaml"),
                file(APPLICATION, env, version, tag),
            ));
            files.push((
                format!("envs/{env}/values.yaml"),
                file(VALUES, env, version, tag),
            ));
            files.push((
                format!("envs/{env}/kustomization.yaml"),
                file(KUSTOMIZATION, env, version, tag),
            ));
        }
        let fx = Fixture {
            config: dir.path().join("kubedrift.toml"),
            dir,
        };
        fx.commit_on("main", &files);
        std::fs::write(
            &fx.config,
            r#"[[repo]]
name = "gitops"
path = "gitops"

[[environment]]
name = "dev"
context = "dev"
ref = "main"

[[environment]]
name = "prod"
context = "prod"
ref = "main"

[[app]]
name = "web"
path = "envs/{env}"

[app.promotion]
model = "value"
copy = [
  { file = "argocd/web-{env}.yaml", path = "spec.source.targetRevision" },
  { file = "envs/{env}/values.yaml", path = "image.tag" },
  { file = "envs/{env}/values.yaml", path = "image.tag", target_file = "envs/{env}/kustomization.yaml", target_path = "images[name=web].newTag" },
]
"#,
        )
        .expect("config");
        fx
    }

    fn repo(&self) -> Repository {
        Repository::open(self.dir.path().join("gitops")).expect("open")
    }

    /// Commit `files` onto `branch` with git objects only.
    fn commit_on(&self, branch: &str, files: &[(String, String)]) -> Oid {
        let repo = self.repo();
        let reference = format!("refs/heads/{branch}");
        let parent = repo
            .find_reference(&reference)
            .ok()
            .and_then(|r| r.peel_to_commit().ok());
        let mut index = git2::Index::new().expect("index");
        if let Some(parent) = &parent {
            index
                .read_tree(&parent.tree().expect("tree"))
                .expect("read");
        }
        for (path, content) in files {
            let blob = repo.blob(content.as_bytes()).expect("blob");
            index
                .add(&git2::IndexEntry {
                    ctime: git2::IndexTime::new(0, 0),
                    mtime: git2::IndexTime::new(0, 0),
                    dev: 0,
                    ino: 0,
                    mode: 0o100644,
                    uid: 0,
                    gid: 0,
                    file_size: content.len() as u32,
                    id: blob,
                    flags: 0,
                    flags_extended: 0,
                    path: path.as_bytes().to_vec(),
                })
                .expect("add");
        }
        let tree = repo
            .find_tree(index.write_tree_to(&repo).expect("tree"))
            .expect("tree");
        let sig = Signature::now("Dana SRE", "dana@example.com").expect("sig");
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        repo.commit(Some(&reference), &sig, &sig, "web", &tree, &parents)
            .expect("commit")
    }

    fn tip(&self) -> Oid {
        self.repo().refname_to_id("refs/heads/main").expect("main")
    }

    fn file_at(&self, path: &str) -> String {
        let repo = self.repo();
        let tree = repo
            .revparse_single("main")
            .and_then(|o| o.peel_to_tree())
            .expect("tree");
        let blob = tree
            .get_path(Path::new(path))
            .and_then(|e| e.to_object(&repo))
            .and_then(|o| o.peel_to_blob())
            .expect("blob");
        String::from_utf8(blob.content().to_vec()).expect("utf8")
    }

    fn kubedrift(&self, args: &[&str]) -> Run {
        Command::new(env!("CARGO_BIN_EXE_kubedrift"))
            .args(args)
            .env("KUBEDRIFT_CONFIG", &self.config)
            .env("KUBEDRIFT_DATA_DIR", self.dir.path().join("data"))
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .output()
            .expect("kubedrift runs")
            .into()
    }
}

#[test]
fn value_promotion_edits_only_the_values_and_keeps_every_comment_and_blank_line() {
    let fx = Fixture::new();
    let before = fx.tip();
    let args = ["promote", "web", "--from", "dev", "--to", "prod"];

    // Without --yes and no terminal: the preview only, nothing written.
    let preview = fx.kubedrift(&args);
    assert!(
        preview
            .stdout
            .contains("-    targetRevision: \"1.2.0\"   # keep quoted"),
        "{}",
        show(&preview)
    );
    assert!(
        preview
            .stdout
            .contains("+    targetRevision: \"1.3.0\"   # keep quoted"),
        "{}",
        show(&preview)
    );
    assert_eq!(fx.tip(), before, "a preview wrote the ref");

    let mut yes = args.to_vec();
    yes.push("--yes");
    let run = fx.kubedrift(&yes);
    assert_eq!(run.code, 0, "{}", show(&run));

    // Byte for byte: the prod files with only the values replaced.
    assert_eq!(
        fx.file_at("argocd/web-prod.yaml"),
        file(APPLICATION, "prod", "1.3.0", "2.0.4")
    );
    assert_eq!(
        fx.file_at("envs/prod/values.yaml"),
        file(VALUES, "prod", "1.2.0", "2.1.0")
    );
    assert_eq!(
        fx.file_at("envs/prod/kustomization.yaml"),
        file(KUSTOMIZATION, "prod", "1.2.0", "2.1.0")
    );
    // dev is untouched.
    assert_eq!(
        fx.file_at("argocd/web-dev.yaml"),
        file(APPLICATION, "dev", "1.3.0", "2.1.0")
    );

    // One commit on top of the old tip, with the structured message.
    let repo = fx.repo();
    let commit = repo.find_commit(fx.tip()).expect("commit");
    assert_eq!(commit.parent_ids().collect::<Vec<_>>(), vec![before]);
    let message = commit.message().expect("utf8").to_string();
    for line in [
        "promote web: dev → prod",
        "App: web",
        "Model: value",
        "Value: argocd/web-prod.yaml spec.source.targetRevision",
        "Value: envs/prod/values.yaml image.tag",
        "Value: envs/prod/kustomization.yaml images[name=web].newTag",
        &format!("Source-Commit: {before}"),
    ] {
        assert!(message.contains(line), "{line:?} missing in:\n{message}");
    }
    let changed: Vec<String> = {
        let old = repo.find_commit(before).expect("old").tree().expect("tree");
        let new = commit.tree().expect("tree");
        let diff = repo
            .diff_tree_to_tree(Some(&old), Some(&new), None)
            .expect("diff");
        diff.deltas()
            .filter_map(|d| d.new_file().path().map(|p| p.display().to_string()))
            .collect()
    };
    assert_eq!(
        changed,
        [
            "argocd/web-prod.yaml",
            "envs/prod/kustomization.yaml",
            "envs/prod/values.yaml"
        ]
    );

    // Promoting again: every value already agrees, nothing is written.
    let tip = fx.tip();
    let again = fx.kubedrift(&yes);
    assert_eq!(again.code, 0, "{}", show(&again));
    assert_eq!(fx.tip(), tip, "a no-op promotion wrote a commit");
}

#[test]
fn value_promotion_settings_are_checked_at_load() {
    let fx = Fixture::new();
    let config = std::fs::read_to_string(&fx.config).expect("config");
    for (bad, expect) in [
        ("path = \"image.tag\" }", "path = \"image..tag\" }"),
        (
            "file = \"argocd/web-{env}.yaml\"",
            "file = \"../web-{env}.yaml\"",
        ),
    ] {
        std::fs::write(&fx.config, config.replacen(bad, expect, 1)).expect("write");
        let run = fx.kubedrift(&["promote", "web", "--from", "dev", "--to", "prod", "--yes"]);
        assert_eq!(run.code, 2, "{}", show(&run));
        assert!(run.stderr.contains("kubedrift.toml:"), "{}", show(&run));
    }
}

#[test]
fn a_value_promotion_never_loses_a_concurrent_commit_and_needs_the_write_capability() {
    use kubedrift::actions::capability::{git_access, Session};
    use kubedrift::actions::promote::{self, commit, PromoteError, Request};
    let fx = Fixture::new();
    let config = kubedrift::config::Config::load_file(&fx.config)
        .expect("config")
        .config;
    let repos = kubedrift::desired::Repos::open(&config);
    let from = kubedrift::desired::find_app(&config, &repos, "dev", "web").expect("dev");
    let to = kubedrift::desired::find_app(&config, &repos, "prod", "web").expect("prod");
    let request = Request {
        app: "web".into(),
        from: "dev".into(),
        to: "prod".into(),
        merge: false,
        new_branch: false,
    };

    // Read-only: no capability, so nothing can be written.
    let proposal = promote::prepare(&config, &from, &to, &request).expect("prepare");
    assert!(git_access(&Session::new(true), &config, &proposal).is_err());

    // Someone commits another file meanwhile: the promotion is rebuilt on top of it.
    let writable = Session::new(false);
    let capability = git_access(&writable, &config, &proposal).expect("writable");
    let theirs = fx.commit_on("main", &[("NOTES.md".into(), "hello\n".into())]);
    let written = commit::execute(&proposal, &capability).expect("execute");
    assert_eq!(
        written.rebuilt_on.as_deref(),
        Some(theirs.to_string().as_str())
    );
    let repo = fx.repo();
    let tip = repo.find_commit(fx.tip()).expect("tip");
    assert_eq!(
        tip.parent_id(0).expect("parent"),
        theirs,
        "their commit was lost"
    );
    assert_eq!(fx.file_at("NOTES.md"), "hello\n");
    assert_eq!(
        fx.file_at("argocd/web-prod.yaml"),
        file(APPLICATION, "prod", "1.3.0", "2.0.4")
    );

    // Someone edits a promoted file meanwhile: stop, nothing written.
    fx.commit_on(
        "main",
        &[(
            "argocd/web-dev.yaml".into(),
            file(APPLICATION, "dev", "1.4.0", "2.1.0"),
        )],
    );
    let proposal = promote::prepare(&config, &from, &to, &request).expect("prepare");
    let theirs = fx.commit_on(
        "main",
        &[(
            "argocd/web-prod.yaml".into(),
            file(APPLICATION, "prod", "1.3.1", "2.0.4"),
        )],
    );
    let capability = git_access(&writable, &config, &proposal).expect("writable");
    let err = commit::execute(&proposal, &capability).expect_err("moved");
    assert!(matches!(err, PromoteError::TargetMoved { .. }), "{err}");
    assert_eq!(fx.tip(), theirs);
}

#[test]
fn value_promotion_picks_each_environments_document_in_one_file() {
    let fx = Fixture::new();
    // App of apps: both environments' Applications in one file.
    let apps = format!(
        "{}---\n{}",
        file(APPLICATION, "dev", "1.3.0", ""),
        file(APPLICATION, "prod", "1.2.0", "")
    );
    fx.commit_on("main", &[("argocd/apps.yaml".into(), apps.clone())]);
    let config = std::fs::read_to_string(&fx.config).expect("config");
    let start = config.find("copy = [").expect("copy");
    std::fs::write(
        &fx.config,
        format!(
            "{}copy = [{{ file = \"argocd/apps.yaml\", path = \"[metadata.name=web-{{env}}].spec.source.targetRevision\" }}]\n",
            &config[..start]
        ),
    )
    .expect("config");
    let run = fx.kubedrift(&["promote", "web", "--from", "dev", "--to", "prod", "--yes"]);
    assert_eq!(run.code, 0, "{}", show(&run));
    let expected = format!(
        "{}---\n{}",
        file(APPLICATION, "dev", "1.3.0", ""),
        file(APPLICATION, "prod", "1.3.0", "")
    );
    assert_ne!(apps, expected);
    assert_eq!(fx.file_at("argocd/apps.yaml"), expected);
}

/// Point the app's copies at `copy` (a TOML array body).
fn set_copies(fx: &Fixture, copy: &str) {
    let config = std::fs::read_to_string(&fx.config).expect("config");
    let start = config.find("copy = [").expect("copy");
    std::fs::write(&fx.config, format!("{}copy = [{copy}]\n", &config[..start])).expect("config");
}

#[test]
fn a_string_copied_into_a_plain_value_stays_a_string_for_kubernetes_yaml() {
    let fx = Fixture::new();
    // `on`, `off`, `0755` are strings to YAML 1.2 but a bool and a number to the YAML 1.1
    // reader of Kubernetes and Helm: written plain, the promoted value would change type.
    fx.commit_on(
        "main",
        &[
            (
                "envs/dev/flags.yaml".into(),
                "mode: 'on' # dev\nmask: \"0755\"\n".into(),
            ),
            (
                "envs/prod/flags.yaml".into(),
                "mode: off # plain\nmask: 0644\n".into(),
            ),
        ],
    );
    set_copies(
        &fx,
        r#"{ file = "envs/{env}/flags.yaml", path = "mode" }, { file = "envs/{env}/flags.yaml", path = "mask" }"#,
    );
    let run = fx.kubedrift(&["promote", "web", "--from", "dev", "--to", "prod", "--yes"]);
    assert_eq!(run.code, 0, "{}", show(&run));
    assert_eq!(
        fx.file_at("envs/prod/flags.yaml"),
        "mode: \"on\" # plain\nmask: \"0755\"\n"
    );
}

#[test]
fn a_document_selector_also_picks_a_files_only_document() {
    let fx = Fixture::new();
    // One Application per file, with the selector an app-of-apps file needs.
    set_copies(
        &fx,
        r#"{ file = "argocd/web-{env}.yaml", path = "[metadata.name=web-{env}].spec.source.targetRevision" }"#,
    );
    let run = fx.kubedrift(&["promote", "web", "--from", "dev", "--to", "prod", "--yes"]);
    assert_eq!(run.code, 0, "{}", show(&run));
    assert_eq!(
        fx.file_at("argocd/web-prod.yaml"),
        file(APPLICATION, "prod", "1.3.0", "2.0.4")
    );
    // A selector matching no document is still an error, naming it.
    set_copies(
        &fx,
        r#"{ file = "argocd/web-{env}.yaml", path = "[metadata.name=web-qa].spec.source.targetRevision" }"#,
    );
    let run = fx.kubedrift(&["promote", "web", "--from", "dev", "--to", "prod", "--yes"]);
    assert_eq!(run.code, 2, "{}", show(&run));
    assert!(
        run.stderr.contains("metadata.name=web-qa"),
        "{}",
        show(&run)
    );
}
