//! Git facts the overview and app view show, read in a background task (never while
//! drawing): the commit behind each app's revision, and the commits the previous environment
//! runs that this one does not ("behind by N").

use super::model::{GitFacts, GitRequest};
use super::views::overview::short_commit;
use crate::config::{AppSpec, Config};
use crate::desired::{apps_for, Repos};
use crate::state::AppId;
use std::collections::HashMap;

/// Most commits listed between two neighbouring environments.
const MAX_LISTED: usize = 50;

pub fn read(config: &Config, request: &GitRequest) -> GitFacts {
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
    for (app, envs) in by_app {
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
                facts.behind.insert(this, commits);
            }
        }
    }
    facts
}
