//! Git source against real repositories built with git2 in temp dirs.

use git2::{FileMode, Oid, Repository, Signature, Time};
use kubedrift::git::{CommitSource, GitError, GitRepo, RevKind};
use kubedrift::source::{SourceError, TreeSource};
use std::collections::BTreeMap;
use std::path::Path;

const DEPLOYMENT: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels:
    app.kubernetes.io/name: web
spec:
  replicas: 2
  selector:
    matchLabels:
      app.kubernetes.io/name: web
  template:
    metadata:
      labels:
        app.kubernetes.io/name: web
    spec:
      containers:
        - name: web
          image: ghcr.io/acme/web:1.4.2
          ports:
            - containerPort: 8080
              protocol: TCP
          resources:
            requests:
              cpu: 100m
              memory: 128Mi
"#;

const SERVICE: &str = r#"apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  selector:
    app.kubernetes.io/name: web
  ports:
    - port: 80
      targetPort: 8080
"#;

const KUSTOMIZATION: &str = r#"apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../base
patches:
  - path: replicas.yaml
"#;

/// What a file entry in a test commit is.
enum Entry {
    File(&'static str),
    Symlink(&'static str),
    Submodule(Oid),
}

fn sig(name: &str, seconds: i64) -> Signature<'static> {
    Signature::new(
        name,
        &format!("{}@acme.example", name.to_lowercase()),
        &Time::new(seconds, 0),
    )
    .unwrap()
}

/// Builds (recursively) a tree holding `files` (repo-relative path → entry) from git objects
/// only, so it works on bare repositories too.
fn build_tree(repo: &Repository, files: &BTreeMap<String, Entry>) -> Oid {
    let mut direct: BTreeMap<String, &Entry> = BTreeMap::new();
    let mut nested: BTreeMap<String, BTreeMap<String, Entry>> = BTreeMap::new();
    for (path, entry) in files {
        match path.split_once('/') {
            None => {
                direct.insert(path.clone(), entry);
            }
            Some((dir, rest)) => {
                let copy = match entry {
                    Entry::File(s) => Entry::File(s),
                    Entry::Symlink(s) => Entry::Symlink(s),
                    Entry::Submodule(o) => Entry::Submodule(*o),
                };
                nested
                    .entry(dir.to_string())
                    .or_default()
                    .insert(rest.to_string(), copy);
            }
        }
    }
    let mut builder = repo.treebuilder(None).unwrap();
    for (name, entry) in direct {
        match entry {
            Entry::File(content) => {
                let blob = repo.blob(content.as_bytes()).unwrap();
                builder.insert(&name, blob, FileMode::Blob.into()).unwrap();
            }
            Entry::Symlink(target) => {
                let blob = repo.blob(target.as_bytes()).unwrap();
                builder.insert(&name, blob, FileMode::Link.into()).unwrap();
            }
            Entry::Submodule(commit) => {
                builder
                    .insert(&name, *commit, FileMode::Commit.into())
                    .unwrap();
            }
        }
    }
    for (dir, sub) in nested {
        let oid = build_tree(repo, &sub);
        builder.insert(&dir, oid, FileMode::Tree.into()).unwrap();
    }
    builder.write().unwrap()
}

/// Commits `files` with `parents` and moves `refname` (if any) to it.
fn commit(
    repo: &Repository,
    refname: Option<&str>,
    parents: &[Oid],
    files: Vec<(&str, Entry)>,
    message: &str,
    seconds: i64,
) -> Oid {
    let files: BTreeMap<String, Entry> =
        files.into_iter().map(|(p, e)| (p.to_string(), e)).collect();
    let tree = repo.find_tree(build_tree(repo, &files)).unwrap();
    let parents: Vec<git2::Commit<'_>> = parents
        .iter()
        .map(|p| repo.find_commit(*p).unwrap())
        .collect();
    let parent_refs: Vec<&git2::Commit<'_>> = parents.iter().collect();
    let author = sig("Dana", seconds);
    let oid = repo
        .commit(None, &author, &author, message, &tree, &parent_refs)
        .unwrap();
    if let Some(name) = refname {
        repo.reference(name, oid, true, message).unwrap();
    }
    oid
}

/// A bare repository whose `main` has one commit of the web app with 3 replicas.
fn initial_repo() -> (tempfile::TempDir, Repository, Oid) {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repository::init_bare(dir.path()).unwrap();
    let init = commit(
        &repo,
        Some("refs/heads/main"),
        &[],
        app_files(REPLICAS_3),
        "init",
        1_700_000_000,
    );
    (dir, repo, init)
}

fn app_files(replicas: &'static str) -> Vec<(&'static str, Entry)> {
    vec![
        ("apps/web/base/deployment.yaml", Entry::File(DEPLOYMENT)),
        ("apps/web/base/service.yaml", Entry::File(SERVICE)),
        (
            "apps/web/base/kustomization.yaml",
            Entry::File("resources:\n  - deployment.yaml\n  - service.yaml\n"),
        ),
        (
            "apps/web/envs/prod/kustomization.yaml",
            Entry::File(KUSTOMIZATION),
        ),
        ("apps/web/envs/prod/replicas.yaml", Entry::File(replicas)),
        (
            "apps/api/envs/prod/deployment.yaml",
            Entry::File(DEPLOYMENT),
        ),
        ("README.md", Entry::File("# platform\n")),
    ]
}

const REPLICAS_3: &str =
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3\n";
const REPLICAS_5: &str =
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 5\n";

fn full(rev: &kubedrift::git::ResolvedRev) -> String {
    rev.commit.clone()
}

#[test]
fn bare_repo_resolves_branches_tags_and_hashes() {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repository::init_bare(dir.path()).unwrap();
    let c1 = commit(
        &repo,
        Some("refs/heads/main"),
        &[],
        app_files(REPLICAS_3),
        "Add web and api",
        1_700_000_000,
    );
    let c2 = commit(
        &repo,
        Some("refs/heads/main"),
        &[c1],
        app_files(REPLICAS_5),
        "Scale web to 5\n\nIncident 42",
        1_700_000_100,
    );
    repo.set_head("refs/heads/main").unwrap();
    // Remote-tracking branch only (no local `release` branch).
    repo.reference("refs/remotes/origin/release", c1, true, "fetch")
        .unwrap();
    // Annotated and lightweight tags on the first commit.
    let c1_obj = repo.find_object(c1, None).unwrap();
    repo.tag(
        "v1.0.0",
        &c1_obj,
        &sig("Release Bot", 1_700_000_050),
        "Release 1.0.0",
        false,
    )
    .unwrap();
    repo.tag_lightweight("deployed-prod", &c1_obj, false)
        .unwrap();

    let git = GitRepo::open(dir.path()).unwrap();

    let main = git.resolve("main").unwrap();
    assert_eq!(main.commit, c2.to_string());
    assert_eq!(main.kind, RevKind::Branch);
    assert_eq!(main.short, c2.to_string()[..7]);
    assert_eq!(main.summary, "Scale web to 5");
    assert_eq!(main.author, "Dana");
    assert_eq!(main.time.as_second(), 1_700_000_100);
    assert_eq!(main.label(), format!("main@{}", &c2.to_string()[..7]));

    let head = git.resolve("HEAD").unwrap();
    assert_eq!(
        (head.commit.as_str(), head.kind),
        (c2.to_string().as_str(), RevKind::Head)
    );

    let release = git.resolve("release").unwrap();
    assert_eq!(release.commit, c1.to_string());
    assert_eq!(release.kind, RevKind::RemoteBranch);
    assert_eq!(
        release.reference.as_deref(),
        Some("refs/remotes/origin/release")
    );
    assert_eq!(
        git.resolve("origin/release").unwrap().commit,
        c1.to_string()
    );

    let annotated = git.resolve("v1.0.0").unwrap();
    assert_eq!(
        (annotated.commit.clone(), annotated.kind),
        (c1.to_string(), RevKind::Tag)
    );
    let light = git.resolve("deployed-prod").unwrap();
    assert_eq!(
        (light.commit.clone(), light.kind),
        (c1.to_string(), RevKind::Tag)
    );

    let by_full = git.resolve(&c1.to_string()).unwrap();
    assert_eq!(
        (by_full.commit.clone(), by_full.kind),
        (c1.to_string(), RevKind::Commit)
    );
    let by_short = git.resolve(&c1.to_string()[..8]).unwrap();
    assert_eq!(by_short.commit, c1.to_string());

    let parent = git.resolve("main~1").unwrap();
    assert_eq!(
        (parent.commit.clone(), parent.kind),
        (c1.to_string(), RevKind::Expression)
    );

    // Reading works on a bare repo (there is no working tree at all).
    let source = CommitSource::new(git.clone(), &main);
    let tree = source.subtree("apps/web/envs/prod").unwrap();
    assert_eq!(tree.root, "apps/web/envs/prod");
    assert_eq!(tree.files["replicas.yaml"], REPLICAS_5.as_bytes());
    assert_eq!(tree.files.len(), 2);
    assert_eq!(source.revision(), main.label());
}

#[test]
fn unknown_ref_error_names_ref_and_repo() {
    let (dir, _repo, _) = initial_repo();
    let git = GitRepo::open(dir.path()).unwrap();
    for rev in ["mian", "deadbeef", "", "bad..name", "refs/heads/nope"] {
        let err = git.resolve(rev).unwrap_err();
        assert!(matches!(err, GitError::UnknownRev { .. }), "{rev}: {err:?}");
        let msg = err.to_string();
        assert!(msg.contains(&format!("`{rev}`")), "{msg}");
        assert!(msg.contains(&dir.path().display().to_string()), "{msg}");
    }
}

#[test]
fn opening_a_non_repository_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = GitRepo::open(dir.path().join("nope")).unwrap_err();
    assert!(matches!(err, GitError::Open { .. }));
    assert!(err.to_string().contains("nope"), "{err}");
    // A plain directory inside no repo is not searched upwards either.
    let plain = tempfile::tempdir().unwrap();
    assert!(GitRepo::open(plain.path()).is_err());
}

#[test]
fn subtree_reads_git_objects_not_the_working_tree() {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repository::init(dir.path()).unwrap();
    // Commit through the index from real files, as `git add` + `git commit` would.
    let work = dir.path();
    for (path, entry) in app_files(REPLICAS_3) {
        let Entry::File(content) = entry else {
            unreachable!()
        };
        let full = work.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(&full, content).unwrap();
    }
    let mut index = repo.index().unwrap();
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let who = sig("Dana", 1_700_000_000);
    repo.commit(Some("HEAD"), &who, &who, "Add apps", &tree, &[])
        .unwrap();

    let git = GitRepo::open(work).unwrap();
    let source = git.commit_source("HEAD").unwrap();
    let before = source.subtree("apps/web").unwrap();

    // Dirty the working tree and the index: modify, delete, add, and stage one of them.
    std::fs::write(work.join("apps/web/envs/prod/replicas.yaml"), REPLICAS_5).unwrap();
    std::fs::remove_file(work.join("apps/web/base/service.yaml")).unwrap();
    std::fs::write(work.join("apps/web/base/extra.yaml"), SERVICE).unwrap();
    index
        .add_path(Path::new("apps/web/base/extra.yaml"))
        .unwrap();
    index.write().unwrap();

    let after = git
        .commit_source("HEAD")
        .unwrap()
        .subtree("apps/web")
        .unwrap();
    assert_eq!(before, after);
    assert_eq!(
        after.files["envs/prod/replicas.yaml"],
        REPLICAS_3.as_bytes()
    );
    assert!(after.files.contains_key("base/service.yaml"));
    assert!(!after.files.contains_key("base/extra.yaml"));
    assert_eq!(
        after.files.keys().cloned().collect::<Vec<_>>(),
        vec![
            "base/deployment.yaml",
            "base/kustomization.yaml",
            "base/service.yaml",
            "envs/prod/kustomization.yaml",
            "envs/prod/replicas.yaml"
        ]
    );
}

#[test]
fn untouched_app_keeps_its_tree_id() {
    let (dir, repo, c1) = initial_repo();
    let c2 = commit(
        &repo,
        Some("refs/heads/main"),
        &[c1],
        app_files(REPLICAS_5),
        "Scale web",
        1_700_000_100,
    );
    let git = GitRepo::open(dir.path()).unwrap();
    let (c1s, c2s) = (c1.to_string(), c2.to_string());

    // `api` is untouched by c2; `web` changed.
    let api1 = git.tree_id(&c1s, "apps/api").unwrap().unwrap();
    let api2 = git.tree_id(&c2s, "./apps/api/").unwrap().unwrap();
    assert_eq!(api1, api2);
    let web1 = git.tree_id(&c1s, "apps/web").unwrap().unwrap();
    let web2 = git.tree_id(&c2s, "apps/web").unwrap().unwrap();
    assert_ne!(web1, web2);
    // The base below web did not change either.
    assert_eq!(
        git.tree_id(&c1s, "apps/web/base").unwrap(),
        git.tree_id(&c2s, "apps/web/base").unwrap()
    );

    // The subtree id agrees with tree_id, at both commits.
    let s1 = git
        .commit_source(&c1s)
        .unwrap()
        .subtree("apps/api")
        .unwrap();
    let s2 = git
        .commit_source(&c2s)
        .unwrap()
        .subtree("apps/x/../api")
        .unwrap();
    assert_eq!(s1.id, api1);
    assert_eq!(s1.id, s2.id);
    assert_eq!(s2.root, "apps/api");

    // Absent paths and files have no tree id.
    assert_eq!(git.tree_id(&c2s, "apps/billing").unwrap(), None);
    assert_eq!(git.tree_id(&c2s, "README.md").unwrap(), None);
    assert!(matches!(
        git.tree_id(&c2s, "../outside"),
        Err(GitError::InvalidPath { .. })
    ));
}

#[test]
fn missing_path_and_file_path_are_source_errors() {
    let (dir, _repo, _) = initial_repo();
    let git = GitRepo::open(dir.path()).unwrap();
    let source = git.commit_source("main").unwrap();
    match source.subtree("apps/billing") {
        Err(SourceError::PathNotFound { path, revision }) => {
            assert_eq!(path, "apps/billing");
            assert!(revision.starts_with("main@"), "{revision}");
        }
        other => panic!("expected PathNotFound, got {other:?}"),
    }
    assert!(matches!(
        source.subtree("README.md"),
        Err(SourceError::NotADirectory { .. })
    ));
    assert!(matches!(
        source.subtree("../etc"),
        Err(SourceError::Read { .. })
    ));
    // The root is a directory too.
    let root = source.subtree("").unwrap();
    assert_eq!(root.root, "");
    assert!(root.files.contains_key("README.md"));
    assert_eq!(root.files.len(), 7);
}

#[test]
fn symlinks_and_submodules_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repository::init_bare(dir.path()).unwrap();
    let other = commit(
        &repo,
        None,
        &[],
        vec![("x", Entry::File("x"))],
        "other",
        1_700_000_000,
    );
    let mut files = app_files(REPLICAS_3);
    files.push(("apps/web/base/link.yaml", Entry::Symlink("/etc/passwd")));
    files.push(("apps/web/vendor/chart", Entry::Submodule(other)));
    commit(
        &repo,
        Some("refs/heads/main"),
        &[],
        files,
        "with links",
        1_700_000_100,
    );
    let git = GitRepo::open(dir.path()).unwrap();
    let tree = git
        .commit_source("main")
        .unwrap()
        .subtree("apps/web")
        .unwrap();
    assert!(!tree.files.contains_key("base/link.yaml"));
    assert!(!tree.files.keys().any(|k| k.starts_with("vendor/")));
    assert_eq!(tree.files.len(), 5);
    // A submodule is not a directory for discovery either; `vendor` itself is.
    let c = git.resolve("main").unwrap().commit;
    let dirs = git.list_dirs(&c, "apps/web", 2).unwrap();
    assert!(dirs.contains(&"apps/web/vendor".to_string()));
    assert!(!dirs.contains(&"apps/web/vendor/chart".to_string()));
}

#[test]
fn oversized_files_are_refused_by_header_size() {
    let (dir, _repo, _) = initial_repo();
    let git = GitRepo::open(dir.path()).unwrap();
    let source = git.commit_source("main").unwrap().with_max_file_bytes(200);
    // The prod overlay files are small; the base Deployment is larger than 200 bytes.
    assert!(source.subtree("apps/web/envs/prod").is_ok());
    match source.subtree("apps/web/base") {
        Err(SourceError::Read { message, .. }) => {
            assert!(
                message.contains("apps/web/base/deployment.yaml"),
                "{message}"
            );
            assert!(message.contains("200"), "{message}");
        }
        other => panic!("expected a size error, got {other:?}"),
    }
}

#[test]
fn list_dirs_lists_directories_to_depth() {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repository::init_bare(dir.path()).unwrap();
    let c = commit(
        &repo,
        Some("refs/heads/main"),
        &[],
        app_files(REPLICAS_3),
        "init",
        1_700_000_000,
    )
    .to_string();
    let git = GitRepo::open(dir.path()).unwrap();
    assert_eq!(
        git.list_dirs(&c, "apps", 1).unwrap(),
        vec!["apps/api", "apps/web"]
    );
    assert_eq!(
        git.list_dirs(&c, "./apps/", 3).unwrap(),
        vec![
            "apps/api",
            "apps/api/envs",
            "apps/api/envs/prod",
            "apps/web",
            "apps/web/base",
            "apps/web/envs",
            "apps/web/envs/prod"
        ]
    );
    assert_eq!(git.list_dirs(&c, "", 1).unwrap(), vec!["apps"]);
    assert!(git.list_dirs(&c, "clusters", 3).unwrap().is_empty());
    assert!(git.list_dirs(&c, "apps", 0).unwrap().is_empty());
}

/// main: c1 (init) → c2 (web) → c3 (api only) → m (merge of feature: f1 web, f2 README)
#[test]
fn history_and_count_between_follow_the_path() {
    let (dir, repo, c1) = initial_repo();
    let c2 = commit(
        &repo,
        Some("refs/heads/main"),
        &[c1],
        app_files(REPLICAS_5),
        "Scale web to 5",
        1_700_000_100,
    );
    let mut api_changed = app_files(REPLICAS_5);
    api_changed.push(("apps/api/envs/prod/service.yaml", Entry::File(SERVICE)));
    let c3 = commit(
        &repo,
        Some("refs/heads/main"),
        &[c2],
        api_changed,
        "Expose api",
        1_700_000_200,
    );
    // Feature branch from c2: changes web, then only README.
    let mut web_feature = app_files(REPLICAS_5);
    web_feature.push((
        "apps/web/envs/prod/hpa.yaml",
        Entry::File("kind: HorizontalPodAutoscaler\n"),
    ));
    let f1 = commit(
        &repo,
        Some("refs/heads/feature"),
        &[c2],
        web_feature,
        "Add HPA to web",
        1_700_000_150,
    );
    let mut readme = app_files(REPLICAS_5);
    readme.push((
        "apps/web/envs/prod/hpa.yaml",
        Entry::File("kind: HorizontalPodAutoscaler\n"),
    ));
    readme[6] = ("README.md", Entry::File("# platform\n\nDocs.\n"));
    let f2 = commit(
        &repo,
        Some("refs/heads/feature"),
        &[f1],
        readme,
        "Docs",
        1_700_000_160,
    );
    // Merge: union of both sides, no conflict resolution.
    let mut merged = app_files(REPLICAS_5);
    merged.push(("apps/api/envs/prod/service.yaml", Entry::File(SERVICE)));
    merged.push((
        "apps/web/envs/prod/hpa.yaml",
        Entry::File("kind: HorizontalPodAutoscaler\n"),
    ));
    merged[6] = ("README.md", Entry::File("# platform\n\nDocs.\n"));
    let m = commit(
        &repo,
        Some("refs/heads/main"),
        &[c3, f2],
        merged,
        "Merge feature",
        1_700_000_300,
    );

    let git = GitRepo::open(dir.path()).unwrap();
    let head = full(&git.resolve("main").unwrap());
    assert_eq!(head, m.to_string());

    let web: Vec<String> = git
        .history(&head, "apps/web", 10)
        .unwrap()
        .into_iter()
        .map(|c| c.summary)
        .collect();
    assert_eq!(web, vec!["Add HPA to web", "Scale web to 5", "init"]);
    let api: Vec<String> = git
        .history(&head, "apps/api", 10)
        .unwrap()
        .into_iter()
        .map(|c| c.summary)
        .collect();
    assert_eq!(api, vec!["Expose api", "init"]);
    let limited = git.history(&head, "apps/web", 1).unwrap();
    assert_eq!(limited.len(), 1);
    assert_eq!(limited[0].commit, f1.to_string());
    assert!(git.history(&head, "apps/billing", 10).unwrap().is_empty());
    // A single file has a history too.
    let readme: Vec<String> = git
        .history(&head, "README.md", 10)
        .unwrap()
        .into_iter()
        .map(|c| c.summary)
        .collect();
    assert_eq!(readme, vec!["Docs", "init"]);
    assert_eq!(git.history(&head, "apps/web", 0).unwrap(), vec![]);

    // Behind by N: prod deployed at c1.
    let c1s = c1.to_string();
    assert_eq!(git.count_between(&c1s, &head, "apps/web").unwrap(), 2);
    assert_eq!(git.count_between(&c1s, &head, "apps/api").unwrap(), 1);
    assert_eq!(
        git.count_between(&c2.to_string(), &c3.to_string(), "apps/web")
            .unwrap(),
        0
    );
    assert_eq!(git.count_between(&head, &head, "apps/web").unwrap(), 0);
    // `from` ahead of `to`: nothing to catch up on.
    assert_eq!(git.count_between(&head, &c1s, "apps/web").unwrap(), 0);
    assert!(matches!(
        git.count_between("not-a-commit", &head, "apps/web"),
        Err(GitError::UnknownRev { .. })
    ));
}

#[test]
fn merge_with_its_own_change_counts() {
    let (dir, repo, base) = initial_repo();
    let side = commit(
        &repo,
        None,
        &[base],
        app_files(REPLICAS_5),
        "Scale to 5",
        1_700_000_100,
    );
    let other = commit(
        &repo,
        None,
        &[base],
        app_files(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 4\n",
        ),
        "Scale to 4",
        1_700_000_150,
    );
    // Conflict resolved to a third value: the merge itself changed web.
    let resolved = commit(
        &repo,
        Some("refs/heads/main"),
        &[other, side],
        app_files(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 6\n",
        ),
        "Merge, take 6",
        1_700_000_200,
    );
    let git = GitRepo::open(dir.path()).unwrap();
    let hist = git.history(&resolved.to_string(), "apps/web", 10).unwrap();
    assert_eq!(
        hist.first().map(|c| c.summary.as_str()),
        Some("Merge, take 6")
    );
    assert_eq!(hist.len(), 4);
    assert_eq!(
        git.count_between(&base.to_string(), &resolved.to_string(), "apps/web")
            .unwrap(),
        3
    );
}

#[test]
fn git_repo_is_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<GitRepo>();
    assert_send_sync::<CommitSource>();
}
