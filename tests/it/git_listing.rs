//! What `kubedrift init` reads from a repository (`GitRepo::branches`, `head_branch`,
//! `list_files`, `discover_root`, `origin_url`), on repositories built with git2.

use git2::{Repository, Signature};
use kubedrift::git::{BranchName, GitRepo};

fn sig() -> Signature<'static> {
    Signature::now("Lee Lister", "lee@example.com").expect("sig")
}

/// Commits `entries` (path, blob content, file mode) as the whole tree on `refname`; the
/// commit id.
fn commit(repo: &Repository, refname: &str, entries: &[(&str, &str, i32)]) -> git2::Oid {
    fn build(repo: &Repository, entries: &[(String, String, i32)]) -> git2::Oid {
        let mut builder = repo.treebuilder(None).expect("treebuilder");
        let mut dirs: std::collections::BTreeMap<String, Vec<(String, String, i32)>> =
            Default::default();
        for (path, content, mode) in entries {
            match path.split_once('/') {
                Some((dir, rest)) => dirs.entry(dir.to_string()).or_default().push((
                    rest.to_string(),
                    content.clone(),
                    *mode,
                )),
                None => {
                    let blob = repo.blob(content.as_bytes()).expect("blob");
                    builder.insert(path, blob, *mode).expect("insert");
                }
            }
        }
        for (dir, sub) in dirs {
            let oid = build(repo, &sub);
            builder.insert(&dir, oid, 0o040000).expect("insert dir");
        }
        builder.write().expect("tree")
    }
    let owned: Vec<(String, String, i32)> = entries
        .iter()
        .map(|(p, c, m)| (p.to_string(), c.to_string(), *m))
        .collect();
    let tree = repo.find_tree(build(repo, &owned)).expect("tree");
    repo.commit(Some(refname), &sig(), &sig(), "files", &tree, &[])
        .expect("commit")
}

fn branch(name: &str, remote_only: bool) -> BranchName {
    BranchName {
        name: name.into(),
        remote_only,
    }
}

#[test]
fn branches_are_local_then_origin_only_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = Repository::init_bare(dir.path().join("mirror.git")).expect("init");
    repo.set_head("refs/heads/main").expect("head");
    let files = [("a.yaml", "kind: ConfigMap\n", 0o100644)];
    commit(&repo, "refs/heads/main", &files);
    commit(&repo, "refs/heads/prod", &files);
    commit(&repo, "refs/remotes/origin/prod", &files);
    commit(&repo, "refs/remotes/origin/staging", &files);
    commit(&repo, "refs/remotes/upstream/qa", &files);
    repo.reference_symbolic(
        "refs/remotes/origin/HEAD",
        "refs/remotes/origin/staging",
        true,
        "origin HEAD",
    )
    .expect("origin/HEAD");
    let git = GitRepo::open(dir.path().join("mirror.git")).expect("open");
    assert_eq!(
        git.branches().expect("branches"),
        vec![
            branch("main", false),
            branch("prod", false),
            branch("staging", true)
        ]
    );
    assert_eq!(git.head_branch().expect("head"), Some("main".to_string()));
    // A bare repository is its own root.
    let root = GitRepo::discover_root(&dir.path().join("mirror.git")).expect("root");
    assert_eq!(
        root.canonicalize().expect("canonical"),
        dir.path()
            .join("mirror.git")
            .canonicalize()
            .expect("canonical")
    );
}

#[test]
fn head_branch_of_an_unborn_and_a_detached_head() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = Repository::init(dir.path()).expect("init");
    repo.set_head("refs/heads/trunk").expect("head");
    let git = GitRepo::open(dir.path()).expect("open");
    assert_eq!(git.head_branch().expect("head"), Some("trunk".to_string()));
    let id = commit(&repo, "refs/heads/trunk", &[("x.yaml", "x: 1\n", 0o100644)]);
    repo.set_head_detached(id).expect("detach");
    assert_eq!(git.head_branch().expect("head"), None);
}

#[test]
fn list_files_skips_symlinks_and_says_when_limits_cut_it_short() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = Repository::init(dir.path()).expect("init");
    let id = commit(
        &repo,
        "refs/heads/main",
        &[
            (
                "apps/web/envs/prod/kustomization.yaml",
                "resources: []\n",
                0o100644,
            ),
            ("apps/web/base/deploy.yaml", "kind: Deployment\n", 0o100644),
            ("apps/web/link.yaml", "base/deploy.yaml", 0o120000),
            ("run.sh", "#!/bin/sh\n", 0o100755),
        ],
    )
    .to_string();
    let git = GitRepo::open(dir.path()).expect("open");

    let all = git.list_files(&id, 10, 100).expect("list");
    assert_eq!(
        all.files,
        vec![
            "apps/web/base/deploy.yaml",
            "apps/web/envs/prod/kustomization.yaml",
            "run.sh"
        ]
    );
    assert!(!all.truncated);

    let shallow = git.list_files(&id, 2, 100).expect("list");
    assert_eq!(shallow.files, vec!["run.sh"]);
    assert!(shallow.truncated);

    let few = git.list_files(&id, 10, 1).expect("list");
    assert_eq!(few.files.len(), 1);
    assert!(few.truncated);

    // From a directory inside the work tree, the root is found.
    let inside = dir.path().join("apps");
    std::fs::create_dir_all(&inside).expect("mkdir");
    let root = GitRepo::discover_root(&inside).expect("root");
    assert_eq!(
        root.canonicalize().expect("canonical"),
        dir.path().canonicalize().expect("canonical")
    );
}

#[test]
fn origin_url_when_there_is_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = Repository::init(dir.path()).expect("init");
    let git = GitRepo::open(dir.path()).expect("open");
    assert_eq!(git.origin_url().expect("url"), None);
    repo.remote("origin", "https://git.example.com/acme/platform.git")
        .expect("remote");
    assert_eq!(
        git.origin_url().expect("url").as_deref(),
        Some("https://git.example.com/acme/platform.git")
    );
}
