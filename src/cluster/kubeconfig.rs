//! Which kubeconfig files to read, which contexts to use, and a kube client per context.
//!
//! Auth (bearer tokens, client certificates, exec plugins) is kube-rs's: we only pick the
//! files and contexts. Selection is pure (`select_contexts`) so it is tested without files.

use kube::config::{KubeConfigOptions, Kubeconfig};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// Why a kubeconfig or context could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KubeconfigError {
    #[error("no kubeconfig found: pass --kubeconfig, set KUBECONFIG, or create ~/.kube/config")]
    NotFound,
    #[error("kubeconfig {path}: {message}")]
    Read { path: PathBuf, message: String },
    #[error("kubeconfig has no context named {name:?}{}; known contexts: {}", suggestion.as_deref().map(|s| format!(" (did you mean {s:?}?)")).unwrap_or_default(), known.join(", "))]
    UnknownContext {
        name: String,
        suggestion: Option<String>,
        known: Vec<String>,
    },
    #[error("context {context:?}: {message}")]
    Client { context: String, message: String },
}

/// The kubeconfig files to read: `--kubeconfig` if given, else every file in `KUBECONFIG`
/// (a path list, merged first-wins as kubectl does), else `~/.kube/config`.
pub fn kubeconfig_paths(
    explicit: Option<&Path>,
    env_value: Option<&OsStr>,
    home: Option<&Path>,
) -> Vec<PathBuf> {
    if let Some(path) = explicit {
        return vec![path.to_path_buf()];
    }
    if let Some(value) = env_value {
        let paths: Vec<PathBuf> = std::env::split_paths(value)
            .filter(|p| !p.as_os_str().is_empty())
            .collect();
        if !paths.is_empty() {
            return paths;
        }
    }
    home.map(|h| vec![h.join(".kube").join("config")])
        .unwrap_or_default()
}

/// Read and merge `paths` (first file to set a value wins). Files named in `KUBECONFIG` that
/// do not exist are skipped, as kubectl does; an explicit single file must exist.
pub fn load_kubeconfig(paths: &[PathBuf]) -> Result<Kubeconfig, KubeconfigError> {
    let mut merged: Option<Kubeconfig> = None;
    for path in paths {
        if paths.len() > 1 && !path.exists() {
            continue;
        }
        let config = Kubeconfig::read_from(path).map_err(|e| KubeconfigError::Read {
            path: path.clone(),
            message: e.to_string(),
        })?;
        merged = Some(match merged {
            None => config,
            Some(previous) => previous.merge(config).map_err(|e| KubeconfigError::Read {
                path: path.clone(),
                message: e.to_string(),
            })?,
        });
    }
    merged.ok_or(KubeconfigError::NotFound)
}

/// Read the kubeconfig the user means (flags and environment).
pub fn load_default(explicit: Option<&Path>) -> Result<Kubeconfig, KubeconfigError> {
    let env_value = std::env::var_os("KUBECONFIG");
    let home = directories::BaseDirs::new().map(|d| d.home_dir().to_path_buf());
    let paths = kubeconfig_paths(explicit, env_value.as_deref(), home.as_deref());
    load_kubeconfig(&paths)
}

/// The contexts to connect to: those `wanted` by the environments (in order, each once),
/// restricted to `filters` (`--context`) when given. Every wanted context must exist in the
/// kubeconfig; every filter must name a context too (a typo must not silently show nothing).
pub fn select_contexts(
    kubeconfig: &Kubeconfig,
    wanted: &[String],
    filters: &[String],
) -> Result<Vec<String>, KubeconfigError> {
    let (selected, mut missing) = partition_contexts(kubeconfig, wanted, filters)?;
    match missing.is_empty() {
        true => Ok(selected),
        false => Err(missing.remove(0)),
    }
}

/// Like [`select_contexts`], but a wanted context missing from the kubeconfig does not fail
/// the others: it is returned with its error (in the order wanted, each once), so its
/// environment can be shown as an error while the rest are followed. A `--context` filter
/// that names no context is still an error (a typo must not silently show nothing).
pub fn partition_contexts(
    kubeconfig: &Kubeconfig,
    wanted: &[String],
    filters: &[String],
) -> Result<(Vec<String>, Vec<KubeconfigError>), KubeconfigError> {
    let known: Vec<String> = kubeconfig.contexts.iter().map(|c| c.name.clone()).collect();
    let check = |name: &String| {
        if known.contains(name) {
            Ok(())
        } else {
            Err(KubeconfigError::UnknownContext {
                name: name.clone(),
                suggestion: crate::config::suggest(name, known.iter().map(String::as_str)),
                known: known.clone(),
            })
        }
    };
    filters.iter().try_for_each(check)?;
    let mut selected: Vec<String> = Vec::new();
    let mut missing: Vec<KubeconfigError> = Vec::new();
    let mut seen: Vec<&String> = Vec::new();
    for name in wanted {
        if (!filters.is_empty() && !filters.contains(name)) || seen.contains(&name) {
            continue;
        }
        seen.push(name);
        match check(name) {
            Ok(()) => selected.push(name.clone()),
            Err(err) => missing.push(err),
        }
    }
    Ok((selected, missing))
}

/// A kube client for `context` (tokens, client certs and exec plugins handled by kube-rs).
pub async fn client_for(
    kubeconfig: &Kubeconfig,
    context: &str,
) -> Result<kube::Client, KubeconfigError> {
    let options = KubeConfigOptions {
        context: Some(context.to_string()),
        ..KubeConfigOptions::default()
    };
    let client_error = |message: String| KubeconfigError::Client {
        context: context.to_string(),
        message,
    };
    let config = kube::Config::from_custom_kubeconfig(kubeconfig.clone(), &options)
        .await
        .map_err(|e| client_error(e.to_string()))?;
    // Watches whose connection goes silent fail instead of hanging (see `watch_idle`).
    let builder =
        kube::client::ClientBuilder::try_from(config).map_err(|e| client_error(e.to_string()))?;
    Ok(builder
        .with_layer(&super::watch_idle::WatchIdleLayer)
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kubeconfig(contexts: &[&str]) -> Kubeconfig {
        let yaml = format!(
            "apiVersion: v1\nkind: Config\nclusters: []\nusers: []\ncontexts:\n{}",
            contexts
                .iter()
                .map(|c| format!("- name: {c}\n  context: {{cluster: {c}, user: {c}}}\n"))
                .collect::<String>()
        );
        Kubeconfig::from_yaml(&yaml).expect("kubeconfig")
    }

    #[test]
    fn explicit_path_wins_then_env_list_then_home() {
        let home = Path::new("/home/sre");
        let env = std::env::join_paths(["/a/one.yaml", "", "/b/two.yaml"]).expect("join");
        assert_eq!(
            kubeconfig_paths(Some(Path::new("/x.yaml")), Some(&env), Some(home)),
            vec![PathBuf::from("/x.yaml")]
        );
        assert_eq!(
            kubeconfig_paths(None, Some(&env), Some(home)),
            vec![PathBuf::from("/a/one.yaml"), PathBuf::from("/b/two.yaml")]
        );
        assert_eq!(
            kubeconfig_paths(None, Some(OsStr::new("")), Some(home)),
            vec![PathBuf::from("/home/sre/.kube/config")]
        );
        assert!(kubeconfig_paths(None, None, None).is_empty());
    }

    #[test]
    fn environments_contexts_filtered_and_deduplicated() {
        let kc = kubeconfig(&["dev", "stage", "prod", "prod-viewer"]);
        let wanted = vec!["dev".to_string(), "prod".into(), "dev".into()];
        assert_eq!(
            select_contexts(&kc, &wanted, &[]).expect("ok"),
            vec!["dev", "prod"]
        );
        assert_eq!(
            select_contexts(&kc, &wanted, &["prod".into()]).expect("ok"),
            vec!["prod"]
        );
    }

    #[test]
    fn unknown_context_suggests_a_near_name() {
        let kc = kubeconfig(&["dev", "prod"]);
        let err = select_contexts(&kc, &["prdo".into()], &[]).expect_err("unknown");
        let text = err.to_string();
        assert!(
            text.contains("\"prdo\"") && text.contains("did you mean \"prod\""),
            "{text}"
        );
        let err = select_contexts(&kc, &["dev".into()], &["stagee".into()]).expect_err("filter");
        assert!(matches!(err, KubeconfigError::UnknownContext { .. }));
    }

    #[test]
    fn a_missing_context_is_set_apart_without_failing_the_others() {
        let kc = kubeconfig(&["dev", "prod"]);
        let wanted = vec![
            "dev".to_string(),
            "stage".into(),
            "prod".into(),
            "stage".into(),
        ];
        let (selected, missing) = partition_contexts(&kc, &wanted, &[]).expect("ok");
        assert_eq!(selected, vec!["dev", "prod"]);
        assert_eq!(missing.len(), 1);
        assert!(
            matches!(&missing[0], KubeconfigError::UnknownContext { name, .. } if name == "stage")
        );
        // A filter typo is still an error.
        assert!(partition_contexts(&kc, &wanted, &["stagee".into()]).is_err());
    }

    #[test]
    fn merging_keeps_first_files_values_and_missing_env_files_are_skipped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let one = dir.path().join("one.yaml");
        let two = dir.path().join("two.yaml");
        std::fs::write(&one, "apiVersion: v1\nkind: Config\ncurrent-context: dev\ncontexts:\n- name: dev\n  context: {cluster: dev, user: a}\n").expect("write");
        std::fs::write(&two, "apiVersion: v1\nkind: Config\ncurrent-context: prod\ncontexts:\n- name: prod\n  context: {cluster: prod, user: b}\n- name: dev\n  context: {cluster: other, user: b}\n").expect("write");
        let missing = dir.path().join("missing.yaml");
        let merged = load_kubeconfig(&[one.clone(), missing, two]).expect("merge");
        assert_eq!(merged.current_context.as_deref(), Some("dev"));
        let dev = merged
            .contexts
            .iter()
            .find(|c| c.name == "dev")
            .expect("dev");
        assert_eq!(
            dev.context.as_ref().map(|c| c.cluster.as_str()),
            Some("dev")
        );
        assert!(merged.contexts.iter().any(|c| c.name == "prod"));
        assert!(matches!(
            load_kubeconfig(&[dir.path().join("nope.yaml")]),
            Err(KubeconfigError::Read { .. })
        ));
    }
}
