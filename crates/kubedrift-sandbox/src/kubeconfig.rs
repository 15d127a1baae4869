//! A kubeconfig for the sandbox clusters, so kubectl and kubedrift reach them unchanged.
//!
//! Each cluster gets two contexts: `<name>` (user `<name>-admin`, full access) and
//! `<name>-viewer` (user `<name>-viewer`, read-only), so RBAC-denied paths can be tried too.
//! The document is built as data and serialised, never by string pasting, so names and tokens
//! with YAML-special characters cannot break it.

use base64::Engine as _;
use serde_json::{json, Value};

/// One sandbox cluster as the kubeconfig names and reaches it.
#[derive(Clone, PartialEq, Eq)]
pub struct KubeconfigCluster {
    /// Cluster name; also the admin context's name.
    pub name: String,
    /// `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT`.
    pub server_url: String,
    /// The CA certificate (PEM) when the server speaks TLS.
    pub ca_pem: Option<String>,
}

impl std::fmt::Debug for KubeconfigCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KubeconfigCluster")
            .field("name", &self.name)
            .field("server_url", &self.server_url)
            .field("tls", &self.ca_pem.is_some())
            .finish()
    }
}

/// The admin context's name for a cluster (the cluster's own name, as on kind/minikube).
pub fn admin_context(cluster: &str) -> String {
    cluster.to_string()
}

/// The read-only context's name for a cluster.
pub fn viewer_context(cluster: &str) -> String {
    format!("{cluster}-viewer")
}

/// A complete kubeconfig (YAML) for `clusters`: per cluster an admin and a viewer context
/// authenticating with bearer tokens; the current context is the first cluster's admin context.
pub fn kubeconfig_yaml(
    clusters: &[KubeconfigCluster],
    admin_token: &str,
    viewer_token: &str,
) -> String {
    let mut cluster_entries = Vec::new();
    let mut contexts = Vec::new();
    let mut users = Vec::new();
    for cluster in clusters {
        let mut entry = json!({ "server": cluster.server_url });
        if let Some(pem) = &cluster.ca_pem {
            entry["certificate-authority-data"] =
                Value::String(base64::engine::general_purpose::STANDARD.encode(pem.as_bytes()));
        }
        cluster_entries.push(json!({ "name": cluster.name, "cluster": entry }));

        let admin_user = format!("{}-admin", cluster.name);
        let viewer_user = format!("{}-viewer", cluster.name);
        contexts.push(json!({
            "name": admin_context(&cluster.name),
            "context": { "cluster": cluster.name, "user": admin_user },
        }));
        contexts.push(json!({
            "name": viewer_context(&cluster.name),
            "context": { "cluster": cluster.name, "user": viewer_user },
        }));
        users.push(json!({ "name": admin_user, "user": { "token": admin_token } }));
        users.push(json!({ "name": viewer_user, "user": { "token": viewer_token } }));
    }
    let current = clusters
        .first()
        .map(|c| admin_context(&c.name))
        .unwrap_or_default();
    let doc = json!({
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": cluster_entries,
        "contexts": contexts,
        "users": users,
        "current-context": current,
    });
    // Serialising a tree of strings, arrays and maps cannot fail; fall back to JSON (which is
    // valid YAML) rather than panic if it ever did.
    serde_yaml::to_string(&doc).unwrap_or_else(|_| doc.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::config::Kubeconfig;

    const CA_PEM: &str = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n";

    fn three_clusters() -> Vec<KubeconfigCluster> {
        vec![
            KubeconfigCluster {
                name: "dev".into(),
                server_url: "https://127.0.0.1:40123".into(),
                ca_pem: Some(CA_PEM.into()),
            },
            KubeconfigCluster {
                name: "stage".into(),
                server_url: "https://127.0.0.1:40124".into(),
                ca_pem: Some(CA_PEM.into()),
            },
            KubeconfigCluster {
                name: "prod".into(),
                server_url: "http://127.0.0.1:40125".into(),
                ca_pem: None,
            },
        ]
    }

    #[test]
    fn kube_rs_parses_clusters_contexts_and_users() {
        let yaml = kubeconfig_yaml(&three_clusters(), "admin-tok", "viewer-tok");
        let config = Kubeconfig::from_yaml(&yaml).expect("kube-rs parses the kubeconfig");
        assert_eq!(config.current_context.as_deref(), Some("dev"));
        let context_names: Vec<&str> = config.contexts.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            context_names,
            [
                "dev",
                "dev-viewer",
                "stage",
                "stage-viewer",
                "prod",
                "prod-viewer"
            ]
        );
        let dev_viewer = config
            .contexts
            .iter()
            .find(|c| c.name == "dev-viewer")
            .and_then(|c| c.context.as_ref())
            .expect("dev-viewer context");
        assert_eq!(dev_viewer.cluster, "dev");
        assert_eq!(dev_viewer.user.as_deref(), Some("dev-viewer"));

        let dev = config
            .clusters
            .iter()
            .find(|c| c.name == "dev")
            .and_then(|c| c.cluster.as_ref());
        let dev = dev.expect("dev cluster");
        assert_eq!(dev.server.as_deref(), Some("https://127.0.0.1:40123"));
        let ca = dev.certificate_authority_data.as_deref().expect("CA data");
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(ca)
            .expect("base64");
        assert_eq!(decoded, CA_PEM.as_bytes());

        let prod = config
            .clusters
            .iter()
            .find(|c| c.name == "prod")
            .and_then(|c| c.cluster.as_ref());
        assert_eq!(
            prod.and_then(|c| c.certificate_authority_data.as_deref()),
            None
        );

        let user_names: Vec<&str> = config.auth_infos.iter().map(|u| u.name.as_str()).collect();
        assert!(user_names.contains(&"prod-admin") && user_names.contains(&"prod-viewer"));
    }

    #[test]
    fn empty_cluster_list_is_still_a_valid_kubeconfig() {
        let yaml = kubeconfig_yaml(&[], "a", "v");
        let config = Kubeconfig::from_yaml(&yaml).expect("parses");
        assert!(config.contexts.is_empty());
    }

    #[test]
    fn yaml_special_characters_in_tokens_survive() {
        let token = "a: b # c\n- 'd\"";
        let yaml = kubeconfig_yaml(&three_clusters()[..1], token, "v");
        let doc: Value = serde_yaml::from_str(&yaml).expect("yaml");
        assert_eq!(doc["users"][0]["user"]["token"], token);
    }

    #[test]
    fn kubectl_lists_every_context() {
        let kubectl = std::path::Path::new("/usr/bin/kubectl");
        if !kubectl.exists() {
            assert!(
                std::env::var_os("KUBEDRIFT_REQUIRE_TOOLS").is_none(),
                "KUBEDRIFT_REQUIRE_TOOLS is set but /usr/bin/kubectl is not installed"
            );
            eprintln!("skipping: /usr/bin/kubectl not installed");
            return;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("kubeconfig.yaml");
        std::fs::write(
            &path,
            kubeconfig_yaml(&three_clusters(), "admin-tok", "viewer-tok"),
        )
        .expect("write kubeconfig");
        let out = std::process::Command::new(kubectl)
            .args(["config", "get-contexts", "-o", "name", "--kubeconfig"])
            .arg(&path)
            .output()
            .expect("run kubectl");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let listed = String::from_utf8_lossy(&out.stdout);
        let mut names: Vec<&str> = listed.lines().collect();
        names.sort_unstable();
        assert_eq!(
            names,
            [
                "dev",
                "dev-viewer",
                "prod",
                "prod-viewer",
                "stage",
                "stage-viewer"
            ]
        );
        let current = std::process::Command::new(kubectl)
            .args(["config", "current-context", "--kubeconfig"])
            .arg(&path)
            .output()
            .expect("run kubectl");
        assert_eq!(String::from_utf8_lossy(&current.stdout).trim(), "dev");
    }
}
