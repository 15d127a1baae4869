//! Which kubeconfig context an Argo CD destination names. Argo CD names clusters by API
//! server URL or by the name in its cluster Secret (which kubedrift never reads); the
//! kubeconfig knows each context's server URL, and the config's `clusters` table overrides
//! both. Pure: built from the kubeconfig's data, no I/O.

use kube::config::Kubeconfig;
use std::collections::BTreeMap;

/// The in-cluster address: the cluster the Application itself lives on.
pub const IN_CLUSTER_SERVER: &str = "https://kubernetes.default.svc";
/// Argo CD's name for that cluster.
pub const IN_CLUSTER_NAME: &str = "in-cluster";

/// Server URLs and names of the kubeconfig's contexts, plus overrides.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterMap {
    /// Normalized server URL → contexts using it, in kubeconfig order.
    by_server: BTreeMap<String, Vec<String>>,
    /// Context names, and the cluster entry name → contexts using it.
    by_name: BTreeMap<String, Vec<String>>,
    /// Destination (server URL or name) → context, from the config.
    overrides: BTreeMap<String, String>,
}

fn normalize_server(url: &str) -> String {
    url.trim().trim_end_matches('/').to_ascii_lowercase()
}

impl ClusterMap {
    /// From every context of the kubeconfig (a destination outside `--context` is still
    /// named correctly) and the overrides.
    pub fn new(kubeconfig: &Kubeconfig, overrides: &BTreeMap<String, String>) -> Self {
        let mut map = ClusterMap {
            overrides: overrides
                .iter()
                .map(|(k, v)| (normalize_server(k), v.clone()))
                .collect(),
            ..ClusterMap::default()
        };
        for named in &kubeconfig.contexts {
            let Some(context) = &named.context else {
                continue;
            };
            map.by_name
                .entry(named.name.clone())
                .or_default()
                .push(named.name.clone());
            if context.cluster != named.name {
                map.by_name
                    .entry(context.cluster.clone())
                    .or_default()
                    .push(named.name.clone());
            }
            let server = kubeconfig
                .clusters
                .iter()
                .find(|c| c.name == context.cluster)
                .and_then(|c| c.cluster.as_ref())
                .and_then(|c| c.server.as_deref());
            if let Some(server) = server {
                map.by_server
                    .entry(normalize_server(server))
                    .or_default()
                    .push(named.name.clone());
            }
        }
        map
    }

    /// The context of a destination (`server` or `name`, as the Application writes them)
    /// of an Application living on `home`.
    pub fn resolve(
        &self,
        server: Option<&str>,
        name: Option<&str>,
        home: &str,
    ) -> Result<String, String> {
        let server = server.map(str::trim).filter(|s| !s.is_empty());
        let name = name.map(str::trim).filter(|s| !s.is_empty());
        for key in server.iter().chain(name.iter()) {
            if let Some(context) = self.overrides.get(&normalize_server(key)) {
                return Ok(context.clone());
            }
        }
        if let Some(server) = server {
            if normalize_server(server) == IN_CLUSTER_SERVER {
                return Ok(home.to_string());
            }
            // Several contexts on one server (admin and viewer users): the Application's own
            // context if it is one of them, else the first.
            return match self.by_server.get(&normalize_server(server)) {
                Some(contexts) if contexts.iter().any(|c| c == home) => Ok(home.to_string()),
                Some(contexts) if !contexts.is_empty() => Ok(contexts[0].clone()),
                _ => Err(format!(
                    "destination server {server} is not in the kubeconfig (map it in the source's clusters table)"
                )),
            };
        }
        match name {
            Some(IN_CLUSTER_NAME) => Ok(home.to_string()),
            Some(name) => match self.by_name.get(name) {
                Some(contexts) if !contexts.is_empty() => Ok(contexts[0].clone()),
                _ => Err(format!(
                    "destination cluster {name:?} is not a kubeconfig context (map it in the source's clusters table)"
                )),
            },
            None => Err("the Application names no destination cluster".to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kubeconfig() -> Kubeconfig {
        serde_yaml::from_str(
            r#"
apiVersion: v1
kind: Config
clusters:
  - name: prod-eu
    cluster: { server: "https://10.0.0.1:6443/" }
  - name: staging
    cluster: { server: "https://10.0.0.2:6443" }
contexts:
  - name: prod
    context: { cluster: prod-eu, user: admin }
  - name: prod-viewer
    context: { cluster: prod-eu, user: viewer }
  - name: staging
    context: { cluster: staging, user: admin }
users: []
"#,
        )
        .expect("kubeconfig")
    }

    #[test]
    fn destinations_map_by_server_url_name_in_cluster_and_overrides() {
        let overrides = BTreeMap::from([("edge-1".to_string(), "staging".to_string())]);
        let map = ClusterMap::new(&kubeconfig(), &overrides);
        assert_eq!(
            map.resolve(Some("https://10.0.0.1:6443"), None, "staging"),
            Ok("prod".into())
        );
        // The Application's own context is preferred among contexts on the same server.
        assert_eq!(
            map.resolve(Some("https://10.0.0.1:6443"), None, "prod-viewer"),
            Ok("prod-viewer".into())
        );
        assert_eq!(
            map.resolve(Some(IN_CLUSTER_SERVER), None, "staging"),
            Ok("staging".into())
        );
        assert_eq!(
            map.resolve(None, Some("in-cluster"), "prod"),
            Ok("prod".into())
        );
        assert_eq!(map.resolve(None, Some("prod-eu"), "x"), Ok("prod".into()));
        assert_eq!(
            map.resolve(None, Some("edge-1"), "prod"),
            Ok("staging".into())
        );
        let unknown = map
            .resolve(Some("https://10.9.9.9"), None, "prod")
            .expect_err("unknown");
        assert!(unknown.contains("10.9.9.9"), "{unknown}");
        assert!(map.resolve(None, None, "prod").is_err());
    }
}
