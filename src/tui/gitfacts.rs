//! Git facts the overview and app view show, read in a background task (never while
//! drawing): the commit behind each app's revision, and the commits the previous environment
//! runs that this one does not ("behind by N").

use super::model::{ChartBehind, GitFacts, GitRequest};
use super::views::overview::short_commit;
use crate::config::{AppSpec, Config};
use crate::desired::{apps_for, Repos};
use crate::render::ChartRef;
use crate::state::AppId;
use std::collections::HashMap;

/// Most commits listed between two neighbouring environments.
pub const MAX_LISTED: usize = 50;

pub fn read(config: &Config, request: &GitRequest) -> GitFacts {
    read_in_two_steps(config, request, |_| {})
}

/// [`read`], handing the facts read from Git to `git_read` before the chart repositories'
/// indexes are fetched (over the network, each up to the tool timeout): a slow or
/// unreachable chart repository never holds back the commit facts of every app.
pub fn read_in_two_steps(
    config: &Config,
    request: &GitRequest,
    git_read: impl FnOnce(&GitFacts),
) -> GitFacts {
    let repos = Repos::open(config);
    let mut specs: HashMap<(String, String), AppSpec> = HashMap::new();
    for env in &request.envs {
        if let Ok((apps, _)) = apps_for(config, &repos, env) {
            for spec in apps {
                specs.insert((spec.name.clone(), env.clone()), spec);
            }
        }
    }
    let revisions: HashMap<&AppId, &str> = request
        .apps
        .iter()
        .map(|(id, r)| (id, r.as_str()))
        .collect();
    let mut facts = GitFacts::default();
    let mut full: HashMap<AppId, String> = HashMap::new();
    for (id, revision) in &request.apps {
        let Some(spec) = specs.get(&(id.app.clone(), id.env.clone())) else {
            continue;
        };
        let resolved = repos
            .get(&spec.repo)
            .map_err(|e| e.to_string())
            .and_then(|repo| {
                repo.resolve(short_commit(revision))
                    .map_err(|e| e.to_string())
            });
        match resolved {
            Ok(rev) => {
                full.insert(id.clone(), rev.commit.clone());
                facts.commits.insert(id.clone(), rev.info());
            }
            Err(error) => {
                facts.errors.insert(id.clone(), error);
            }
        }
    }
    // Behind: for each app, against the nearest earlier environment that has it.
    let mut by_app: HashMap<&str, Vec<&str>> = HashMap::new();
    for env in &request.envs {
        for (id, _) in &request.apps {
            if id.env == *env {
                by_app
                    .entry(id.app.as_str())
                    .or_default()
                    .push(env.as_str());
            }
        }
    }
    for (&app, envs) in &by_app {
        for pair in envs.windows(2) {
            let (prev, this) = (AppId::new(app, pair[0]), AppId::new(app, pair[1]));
            let (Some(prev_commit), Some(this_commit)) = (full.get(&prev), full.get(&this)) else {
                continue;
            };
            if prev_commit == this_commit || !revisions.contains_key(&this) {
                continue;
            }
            let Some(prev_spec) = specs.get(&(app.to_string(), pair[0].to_string())) else {
                continue;
            };
            let Ok(repo) = repos.get(&prev_spec.repo) else {
                continue;
            };
            let count = match repo.count_between(this_commit, prev_commit, &prev_spec.path) {
                Ok(n) => n,
                Err(err) => {
                    facts.errors.insert(this.clone(), err.to_string());
                    continue;
                }
            };
            if count > 0 {
                let commits = repo
                    .history(prev_commit, &prev_spec.path, count.min(MAX_LISTED))
                    .unwrap_or_default();
                facts.behind_count.insert(this.clone(), count);
                facts.behind.insert(this, commits);
            }
        }
    }
    if specs.values().any(|spec| spec.chart.is_some()) {
        git_read(&facts);
        charts_behind(&mut facts, &specs, &by_app, &request.envs);
    }
    facts
}

/// For apps rendering a chart from a chart repository: each environment against the nearest
/// earlier one, in SemVer order; the versions in between read from the earlier environment's
/// repository index (once per repository and chart, the repositories in parallel).
fn charts_behind(
    facts: &mut GitFacts,
    specs: &HashMap<(String, String), AppSpec>,
    by_app: &HashMap<&str, Vec<&str>>,
    all_envs: &[String],
) {
    // (app, environment behind, the earlier environment's chart, this one's version)
    let mut behind: Vec<(&str, &str, ChartRef, String)> = Vec::new();
    for (&app, envs) in by_app {
        // In promotion order (by_app lists environments as the request does).
        let mut ordered: Vec<&str> = envs.clone();
        ordered.sort_by_key(|env| all_envs.iter().position(|e| e == env));
        for pair in ordered.windows(2) {
            let chart_of = |env: &str| {
                specs
                    .get(&(app.to_string(), env.to_string()))
                    .and_then(|spec| spec.chart.clone())
            };
            let (Some(prev), Some(this)) = (chart_of(pair[0]), chart_of(pair[1])) else {
                continue;
            };
            if prev.name != this.name {
                continue;
            }
            let newer = matches!(
                (
                    crate::render::chart_version(&prev.version),
                    crate::render::chart_version(&this.version)
                ),
                (Some(p), Some(t)) if p > t
            );
            if newer {
                behind.push((app, pair[1], prev, this.version));
            }
        }
    }
    let mut wanted: Vec<&ChartRef> = behind.iter().map(|(_, _, prev, _)| prev).collect();
    wanted.sort_by(|a, b| (&a.repo, &a.name).cmp(&(&b.repo, &b.name)));
    wanted.dedup_by(|a, b| (&a.repo, &a.name) == (&b.repo, &b.name));
    let tools = crate::render::Tools::default();
    let published: HashMap<(&str, &str), Result<Vec<String>, String>> =
        std::thread::scope(|scope| {
            let reads: Vec<_> = wanted
                .iter()
                .map(|chart| {
                    let tools = &tools;
                    let read = scope.spawn(move || crate::render::published_versions(chart, tools));
                    ((chart.repo.as_str(), chart.name.as_str()), read)
                })
                .collect();
            reads
                .into_iter()
                .map(|(key, read)| {
                    let listed = read
                        .join()
                        .unwrap_or_else(|_| Err("reading the repository index failed".into()));
                    (key, listed)
                })
                .collect()
        });
    for (app, env, prev, from) in &behind {
        let listed = published.get(&(prev.repo.as_str(), prev.name.as_str()));
        let (versions, index_error) = match listed {
            Some(Ok(list)) => (
                crate::render::versions_between(list, from, &prev.version),
                None,
            ),
            Some(Err(error)) => (vec![prev.version.clone()], Some(error.clone())),
            None => (vec![prev.version.clone()], None),
        };
        facts.charts_behind.insert(
            AppId::new(app, env),
            ChartBehind {
                chart: prev.name.clone(),
                from: from.clone(),
                to: prev.version.clone(),
                versions,
                index_error,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Commit `files` on top of `parent` (no branch moved); the new commit's id.
    fn commit(
        repo: &git2::Repository,
        parent: Option<git2::Oid>,
        files: &[(&str, &str)],
        message: &str,
    ) -> git2::Oid {
        let mut builder = match parent {
            Some(p) => {
                let tree = repo.find_commit(p).expect("parent").tree().expect("tree");
                let mut index = git2::Index::new().expect("index");
                index.read_tree(&tree).expect("read tree");
                index
            }
            None => git2::Index::new().expect("index"),
        };
        for (path, content) in files {
            let blob = repo.blob(content.as_bytes()).expect("blob");
            let entry = git2::IndexEntry {
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
            };
            builder.add(&entry).expect("add");
        }
        let tree = repo
            .find_tree(builder.write_tree_to(repo).expect("write tree"))
            .expect("tree");
        let sig = git2::Signature::now("Dana SRE", "dana@example.com").expect("sig");
        let parents: Vec<git2::Commit> = parent
            .map(|p| repo.find_commit(p).expect("parent"))
            .into_iter()
            .collect();
        let refs: Vec<&git2::Commit> = parents.iter().collect();
        repo.commit(None, &sig, &sig, message, &tree, &refs)
            .expect("commit")
    }

    #[test]
    fn behind_lists_the_commits_the_previous_environment_runs() {
        let dir = tempfile::tempdir().expect("tempdir");
        let repo = git2::Repository::init_bare(dir.path().join("gitops")).expect("init");
        let deployment = |tag: &str| {
            format!("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: web:{tag}\n")
        };
        let first = commit(
            &repo,
            None,
            &[("apps/web/deployment.yaml", &deployment("1.0"))],
            "web: 1.0",
        );
        let other = commit(
            &repo,
            Some(first),
            &[("apps/api/deployment.yaml", "kind: X\n")],
            "api: unrelated",
        );
        let second = commit(
            &repo,
            Some(other),
            &[("apps/web/deployment.yaml", &deployment("1.1"))],
            "web: 1.1",
        );
        repo.reference("refs/heads/main", second, true, "main")
            .expect("main");
        repo.reference("refs/heads/prod", first, true, "prod")
            .expect("prod");
        let config_path = dir.path().join("kubedrift.toml");
        std::fs::write(
            &config_path,
            "[[repo]]\nname = \"gitops\"\npath = \"gitops\"\n\n\
             [[environment]]\nname = \"stage\"\ncontext = \"stage\"\nref = \"main\"\n\n\
             [[environment]]\nname = \"prod\"\ncontext = \"prod\"\nref = \"prod\"\n\n\
             [[app]]\nname = \"web\"\npath = \"apps/web\"\n",
        )
        .expect("config");
        let config = Config::load_file(&config_path)
            .expect("config loads")
            .config;
        let short = |oid: git2::Oid| oid.to_string()[..7].to_string();
        let stage = AppId::new("web", "stage");
        let prod = AppId::new("web", "prod");
        let request = GitRequest {
            envs: vec!["stage".into(), "prod".into()],
            apps: vec![
                (stage.clone(), format!("main@{}", short(second))),
                (prod.clone(), format!("prod@{}", short(first))),
            ],
        };
        let facts = read(&config, &request);
        assert!(facts.errors.is_empty(), "{:?}", facts.errors);
        assert_eq!(facts.commits[&stage].summary, "web: 1.1");
        assert_eq!(facts.commits[&prod].summary, "web: 1.0");
        let behind: Vec<&str> = facts.behind[&prod]
            .iter()
            .map(|c| c.summary.as_str())
            .collect();
        assert_eq!(
            behind,
            ["web: 1.1"],
            "the unrelated api commit does not count"
        );
        assert!(
            !facts.behind.contains_key(&stage),
            "the first environment is behind nothing"
        );
    }
}
