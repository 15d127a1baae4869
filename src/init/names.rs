//! Environment names: which names look like an environment, their promotion order, and which
//! kubeconfig context an environment name points at. Pure: names in, guesses out.

/// A kubeconfig context as `init` sees it: its name and the cluster entry it uses (two
/// contexts on one cluster are two users of the same environment, not two environments).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubeContext {
    pub name: String,
    pub cluster: String,
}

/// Words that name an environment, by promotion order; each row is one environment spelled
/// several ways, the first spelling being the canonical one.
const ENV_WORDS: &[&[&str]] = &[
    &["local"],
    &["sandbox"],
    &["dev", "devel", "develop", "development"],
    &["test", "testing", "tst"],
    &["qa"],
    &["int", "integration"],
    &["uat"],
    &["demo"],
    &["perf", "performance", "load"],
    &["staging", "stage", "stg"],
    &["preprod", "preproduction"],
    &["canary"],
    &["prod", "production", "prd", "live"],
];

/// The row of `ENV_WORDS` (promotion rank) and canonical spelling of one word.
fn env_word(word: &str) -> Option<(usize, &'static str)> {
    let lower = word.to_ascii_lowercase();
    ENV_WORDS
        .iter()
        .enumerate()
        .find(|(_, spellings)| spellings.contains(&lower.as_str()))
        .map(|(rank, spellings)| (rank, spellings[0]))
}

/// `gke_acme_europe-west1_prod` → `[gke, acme, europe, west1, prod]`, lower case.
pub fn tokens(name: &str) -> Vec<String> {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_ascii_lowercase)
        .collect()
}

/// A token with environment aliases folded (`production` → `prod`).
fn canonical_token(token: &str) -> String {
    env_word(token)
        .map(|(_, canonical)| canonical.to_string())
        .unwrap_or_else(|| token.to_string())
}

/// Whether `name` (a directory or branch) looks like an environment: an environment word
/// (`prod`, `staging`, ...), one at either end of a compound name (`prod-eu1`, `eu1-prod`), a
/// whole context name, or a token of a context name that not every context shares (`eu1` for
/// contexts `prod-eu1` and `prod-us1`, but not `kind` for `kind-dev` and `kind-prod`).
pub fn is_env_like(name: &str, contexts: &[KubeContext]) -> bool {
    let parts = tokens(name);
    let (Some(first), Some(last)) = (parts.first(), parts.last()) else {
        return false;
    };
    if env_word(first).is_some() || env_word(last).is_some() {
        return true;
    }
    if contexts.iter().any(|c| c.name == name) {
        return true;
    }
    let containing = contexts
        .iter()
        .filter(|c| contains_run(&cluster_tokens(&c.name), &parts))
        .count();
    containing > 0 && (containing < contexts.len() || contexts.len() == 1)
}

/// Whether a branch name (`prod`, `prod-eu1`, after an `env/` prefix) names an environment:
/// stricter than [`is_env_like`], since feature branches start with environment words too
/// (`dev-new-feature`, `prod-hotfix-123`): every word must be an environment word or a word of
/// a context's name, or the name is a whole context name.
pub fn is_env_branch_name(name: &str, contexts: &[KubeContext]) -> bool {
    if contexts.iter().any(|c| c.name == name) {
        return true;
    }
    let known: Vec<String> = contexts
        .iter()
        .flat_map(|c| cluster_tokens(&c.name))
        .collect();
    is_env_like(name, contexts)
        && tokens(name)
            .iter()
            .all(|t| env_word(t).is_some() || known.contains(t))
}

/// Words in context names that name the tool, the cloud or the account, never the cluster
/// (`kind-dev`, `arn:aws:eks:...`): a directory called `aws` or `kind` is no environment.
const PROVIDER_WORDS: &[&str] = &[
    "aks", "arn", "aws", "azure", "cluster", "docker", "desktop", "eks", "gcp", "gke", "k3d",
    "k3s", "kind", "minikube", "rancher",
];

/// The tokens of a context name that can say which cluster it is: a GKE context
/// (`gke_{project}_{location}_{name}`) without its project, an EKS ARN
/// (`arn:aws:eks:{region}:{account}:cluster/{name}`) without its account, and never a
/// provider word.
fn cluster_tokens(context: &str) -> Vec<String> {
    let meaningful = match context.split('_').collect::<Vec<_>>()[..] {
        ["gke", _project, location, name] => format!("{location}-{name}"),
        _ => match context.split(':').collect::<Vec<_>>()[..] {
            ["arn", _, "eks", region, _account, resource] => format!("{region}-{resource}"),
            _ => context.to_string(),
        },
    };
    tokens(&meaningful)
        .into_iter()
        .filter(|t| !PROVIDER_WORDS.contains(&t.as_str()))
        .collect()
}

/// Sort key putting environments in promotion order: known words by their rank (compound
/// names by their environment word), unknown names between the pre-production ones and
/// `canary`/`prod`, then by name.
pub fn promotion_key(name: &str) -> (usize, String) {
    let unknown = ENV_WORDS
        .iter()
        .position(|row| row[0] == "canary")
        .unwrap_or(ENV_WORDS.len());
    let rank = tokens(name)
        .iter()
        .filter_map(|t| env_word(t).map(|(rank, _)| rank))
        .min()
        .unwrap_or(unknown);
    (rank, name.to_string())
}

/// Whether the name says production (`prod`, `production`, `prod-eu1`, `live`).
pub fn says_production(name: &str) -> bool {
    tokens(name)
        .iter()
        .any(|t| env_word(t).is_some_and(|(_, canonical)| canonical == "prod"))
}

/// Environment words in a context's name (`kind-prod` → `prod`), canonical spellings; used
/// when the repo itself does not name environments.
pub fn env_words_in(context: &str) -> Vec<String> {
    let mut out: Vec<String> = tokens(context)
        .iter()
        .filter_map(|t| env_word(t).map(|(_, c)| c.to_string()))
        .collect();
    out.dedup();
    out
}

/// `text` as a name the config can hold (no whitespace or `/`: each becomes `-`).
pub fn config_name(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c == '/' || c.is_whitespace() {
                '-'
            } else {
                c
            }
        })
        .collect()
}

/// A repository directory's name as a config name (`platform.git` → `platform`); `None` when
/// nothing is left.
pub fn repo_dir_name(dir: &str) -> Option<String> {
    let name = config_name(dir.strip_suffix(".git").unwrap_or(dir));
    (!name.is_empty()).then_some(name)
}

/// Which context an environment name points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContextMatch {
    /// A context of this very name.
    Exact { context: String },
    /// The context's name contains the environment's name as whole words (`kind-prod`,
    /// `prod-eu1`, `gke_acme_x_production` for `prod`). `same_cluster` lists the other
    /// matching contexts that use the same cluster (another user, e.g. a viewer).
    Named {
        context: String,
        same_cluster: Vec<String>,
    },
    /// Contexts on several clusters fit: the user has to choose (one context per cluster,
    /// the shortest name).
    Ambiguous { candidates: Vec<String> },
    /// No context's name says this environment.
    Unmatched,
}

impl ContextMatch {
    /// The chosen context, if there is one.
    pub fn context(&self) -> Option<&str> {
        match self {
            ContextMatch::Exact { context } | ContextMatch::Named { context, .. } => Some(context),
            ContextMatch::Ambiguous { .. } | ContextMatch::Unmatched => None,
        }
    }
}

/// The context environment `env` points at. A context of the same name wins; otherwise every
/// context whose name contains the environment's words (aliases folded) is a candidate, and
/// candidates on one cluster are one choice (the shortest name, e.g. the admin context rather
/// than `...-viewer`); candidates on several clusters are ambiguous — never a silent pick
/// between, say, two production clusters.
pub fn match_context(env: &str, contexts: &[KubeContext]) -> ContextMatch {
    if let Some(exact) = contexts.iter().find(|c| c.name == env) {
        return ContextMatch::Exact {
            context: exact.name.clone(),
        };
    }
    let wanted: Vec<String> = tokens(env).iter().map(|t| canonical_token(t)).collect();
    if wanted.is_empty() {
        return ContextMatch::Unmatched;
    }
    let mut candidates: Vec<&KubeContext> = contexts
        .iter()
        .filter(|c| {
            let have: Vec<String> = tokens(&c.name).iter().map(|t| canonical_token(t)).collect();
            contains_run(&have, &wanted)
        })
        .collect();
    candidates
        .sort_by(|a, b| (tokens(&a.name).len(), &a.name).cmp(&(tokens(&b.name).len(), &b.name)));
    let Some(first) = candidates.first() else {
        return ContextMatch::Unmatched;
    };
    if candidates.iter().all(|c| c.cluster == first.cluster) {
        return ContextMatch::Named {
            context: first.name.clone(),
            same_cluster: candidates[1..].iter().map(|c| c.name.clone()).collect(),
        };
    }
    // One choice per cluster (its shortest context name: candidates are sorted that way).
    let mut clusters: Vec<&str> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for candidate in candidates {
        if !clusters.contains(&candidate.cluster.as_str()) {
            clusters.push(&candidate.cluster);
            names.push(candidate.name.clone());
        }
    }
    names.sort();
    ContextMatch::Ambiguous { candidates: names }
}

/// Whether `run` appears in `haystack` as consecutive items.
fn contains_run(haystack: &[String], run: &[String]) -> bool {
    !run.is_empty() && haystack.windows(run.len()).any(|window| window == run)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(name: &str, cluster: &str) -> KubeContext {
        KubeContext {
            name: name.into(),
            cluster: cluster.into(),
        }
    }

    #[test]
    fn context_names_from_kind_gke_and_regions_match_their_environment() {
        let contexts = vec![
            ctx("kind-dev", "kind-dev"),
            ctx("gke_acme_europe-west1_staging", "gke-staging"),
            ctx("prod-eu1", "prod-eu1"),
        ];
        assert_eq!(match_context("dev", &contexts).context(), Some("kind-dev"));
        assert_eq!(
            match_context("staging", &contexts).context(),
            Some("gke_acme_europe-west1_staging")
        );
        assert_eq!(match_context("prod", &contexts).context(), Some("prod-eu1"));
        // Aliases fold: the repo says production, the context says prod.
        assert_eq!(
            match_context("production", &contexts).context(),
            Some("prod-eu1")
        );
        assert_eq!(match_context("qa", &contexts), ContextMatch::Unmatched);
    }

    #[test]
    fn an_exact_context_name_wins_over_name_parts() {
        let contexts = vec![ctx("prod", "a"), ctx("prod-eu1", "b")];
        assert_eq!(
            match_context("prod", &contexts),
            ContextMatch::Exact {
                context: "prod".into()
            }
        );
    }

    #[test]
    fn two_clusters_named_like_one_environment_are_ambiguous() {
        let contexts = vec![
            ctx("prod-us1", "us"),
            ctx("prod-eu1-viewer", "eu"),
            ctx("prod-eu1", "eu"),
            ctx("kind-dev", "dev"),
        ];
        assert_eq!(
            match_context("prod", &contexts),
            ContextMatch::Ambiguous {
                candidates: vec!["prod-eu1".into(), "prod-us1".into()]
            }
        );
    }

    #[test]
    fn contexts_of_one_cluster_are_one_choice_the_shortest_name() {
        let contexts = vec![
            ctx("kind-dev-viewer", "kind-dev"),
            ctx("kind-dev", "kind-dev"),
        ];
        assert_eq!(
            match_context("dev", &contexts),
            ContextMatch::Named {
                context: "kind-dev".into(),
                same_cluster: vec!["kind-dev-viewer".into()]
            }
        );
    }

    #[test]
    fn a_word_inside_another_word_is_not_a_match() {
        let contexts = vec![ctx("devops-tools", "a"), ctx("product-catalog", "b")];
        assert_eq!(match_context("dev", &contexts), ContextMatch::Unmatched);
        assert_eq!(match_context("prod", &contexts), ContextMatch::Unmatched);
    }

    #[test]
    fn environment_like_names() {
        let contexts = vec![ctx("kind-eu1", "a"), ctx("kind-us1", "b")];
        for name in [
            "prod",
            "Production",
            "staging",
            "prod-eu1",
            "eu1-prod",
            "eu1",
        ] {
            assert!(is_env_like(name, &contexts), "{name}");
        }
        for name in ["apps", "base", "charts", "kind", "infrastructure"] {
            assert!(!is_env_like(name, &contexts), "{name}");
        }
    }

    #[test]
    fn provider_project_and_account_words_of_context_names_are_not_environments() {
        let contexts = vec![
            ctx("arn:aws:eks:eu-west-1:123456789012:cluster/prod", "eks"),
            ctx("gke_acme-platform_europe-west1_staging", "gke"),
            ctx("kind-dev", "kind"),
        ];
        for name in [
            "aws",
            "eks",
            "gke",
            "acme-platform",
            "123456789012",
            "kind",
            "cluster",
        ] {
            assert!(!is_env_like(name, &contexts), "{name}");
        }
        // The location and the cluster's own name still are.
        for name in ["europe-west1", "eu-west-1", "staging", "prod"] {
            assert!(is_env_like(name, &contexts), "{name}");
        }
    }

    #[test]
    fn feature_branches_starting_with_an_environment_word_are_no_environment() {
        let contexts = vec![ctx("prod-eu1", "eu"), ctx("kind-dev", "dev")];
        for name in [
            "prod",
            "production",
            "dev",
            "prod-eu1",
            "eu1",
            "staging",
            "kind-dev",
        ] {
            assert!(is_env_branch_name(name, &contexts), "{name}");
        }
        for name in [
            "dev-new-feature",
            "prod-hotfix-123",
            "fix-prod",
            "main",
            "release",
        ] {
            assert!(!is_env_branch_name(name, &contexts), "{name}");
        }
    }

    #[test]
    fn promotion_order_puts_dev_first_and_prod_last() {
        let mut names = vec!["prod", "eu1", "dev", "staging", "qa", "prod-eu1"];
        names.sort_by_key(|n| promotion_key(n));
        assert_eq!(
            names,
            vec!["dev", "qa", "staging", "eu1", "prod", "prod-eu1"]
        );
    }

    #[test]
    fn production_names() {
        for name in ["prod", "Production", "prod-eu1", "live", "eu1_prd"] {
            assert!(says_production(name), "{name}");
        }
        for name in ["preprod", "staging", "product", "eu1"] {
            assert!(!says_production(name), "{name}");
        }
    }

    #[test]
    fn environment_words_of_a_context() {
        assert_eq!(
            env_words_in("gke_acme_europe-west1_production"),
            vec!["prod"]
        );
        assert!(env_words_in("minikube").is_empty());
    }
}
