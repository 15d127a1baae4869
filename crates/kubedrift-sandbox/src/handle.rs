//! Starting and stopping sandbox clusters: one server per cluster on 127.0.0.1, all on the
//! sandbox's own multi-thread tokio runtime, so sync tests (spawning kubectl) and async tests
//! (kube-rs on their own runtime) use it the same way. Dropping the [`Sandbox`] stops it.

use super::api_server::{ApiServer, PatchKind, Subresource, WriteOptions};
use super::auth::Tokens;
use super::control;
use super::errors::ApiError;
use super::faults::FaultControl;
use super::kubeconfig::{kubeconfig_yaml, KubeconfigCluster};
use super::server::router;
use super::store::DEFAULT_HISTORY;
use super::tls::{generate_ca_and_server_cert, SandboxCa, TlsError};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

/// How to start a sandbox.
#[derive(Debug, Clone)]
pub struct SandboxOptions {
    /// Cluster names; one server (and kubeconfig context) each.
    pub clusters: Vec<String>,
    /// Serve HTTPS with a generated CA (written into the kubeconfig).
    pub tls: bool,
    /// How long after a spec change workloads become available (the controller's delay).
    pub ready_after: Duration,
    /// Watch events kept per cluster for resumption; older resourceVersions get 410 Gone.
    pub event_history: usize,
    /// Seed what a fresh cluster has (system namespaces, default ServiceAccounts, the
    /// `kubernetes` Service, a Node).
    pub seed: bool,
    /// Run the controller loop (ReplicaSets, Pods, status). Off only for measurements of a
    /// client that should not share the machine with thousands of simulated rollouts.
    pub controller: bool,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        SandboxOptions {
            clusters: vec!["dev".into()],
            tls: false,
            ready_after: Duration::from_secs(2),
            event_history: DEFAULT_HISTORY,
            seed: true,
            controller: true,
        }
    }
}

/// Why a sandbox could not start or write.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("could not start the sandbox runtime: {0}")]
    Runtime(std::io::Error),
    #[error("could not listen on 127.0.0.1: {0}")]
    Bind(std::io::Error),
    #[error("TLS setup failed: {0}")]
    Tls(#[from] TlsError),
    #[error("no sandbox cluster is named {0:?}")]
    UnknownCluster(String),
    #[error("duplicate or empty cluster name {0:?}")]
    BadClusterName(String),
    #[error("could not write the kubeconfig to {path}: {source}")]
    WriteKubeconfig {
        path: String,
        source: std::io::Error,
    },
    #[error("the object was rejected: {0}")]
    Rejected(#[from] ApiError),
}

/// One running sandbox cluster.
pub struct ClusterHandle {
    api_server: Arc<ApiServer>,
    url: String,
    addr: SocketAddr,
}

impl std::fmt::Debug for ClusterHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterHandle")
            .field("name", &self.api_server.name)
            .field("url", &self.url)
            .finish()
    }
}

impl ClusterHandle {
    pub fn name(&self) -> &str {
        &self.api_server.name
    }

    /// `http://127.0.0.1:PORT` (or https).
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The fault switches of this cluster.
    pub fn faults(&self) -> &FaultControl {
        &self.api_server.faults
    }

    /// The cluster's API server, for direct (non-HTTP) access in tests and tools.
    pub fn api_server(&self) -> &Arc<ApiServer> {
        &self.api_server
    }

    /// Store an object directly (no HTTP), through the same create path as a POST:
    /// defaulting, server-set metadata, managedFields (manager `kubedrift-sandbox`).
    /// Namespaced objects without a namespace go to `default`.
    pub fn insert(&self, obj: Value) -> Result<Value, SandboxError> {
        self.create(obj, "kubedrift-sandbox")
    }

    /// Create an object (no HTTP) as `field_manager` would with a POST (`kubectl create`,
    /// `kubectl expose`): operation `Update` in managedFields. Namespaced objects without a
    /// namespace go to `default`.
    pub fn create(&self, obj: Value, field_manager: &str) -> Result<Value, SandboxError> {
        let (info, namespace, _) = self.address(&obj)?;
        let opts = WriteOptions {
            field_manager: field_manager.into(),
            dry_run: false,
        };
        let written = self.api_server.create(
            &info,
            namespace.as_deref(),
            obj,
            &opts,
            jiff::Timestamp::now(),
        )?;
        Ok((*written.object).clone())
    }

    /// The stored object, if any (namespace None for cluster-scoped kinds).
    pub fn object(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<Value> {
        let catalog = self.api_server.catalog();
        let info = catalog.by_kind(kubedrift_core::model::group_of(api_version), kind)?;
        self.api_server
            .get(info, namespace.unwrap_or(""), name)
            .ok()
            .map(|o| (*o).clone())
    }

    /// Server-side apply `obj` as `field_manager` (what `kubectl apply --server-side
    /// --field-manager=…` sends), creating it when absent. `force` takes conflicting fields
    /// over from other managers. Namespaced objects without a namespace go to `default`.
    pub fn apply(
        &self,
        obj: &Value,
        field_manager: &str,
        force: bool,
    ) -> Result<Value, SandboxError> {
        let (info, namespace, name) = self.address(obj)?;
        let written = self.api_server.patch(
            &info,
            namespace.as_deref(),
            &name,
            Subresource::Main,
            PatchKind::Apply { force },
            obj,
            &WriteOptions {
                field_manager: field_manager.into(),
                dry_run: false,
            },
            jiff::Timestamp::now(),
        )?;
        Ok((*written.object).clone())
    }

    /// PATCH an existing object (or its status / scale) as `field_manager`, as a client's
    /// `kubectl patch` / `kubectl scale` / kubelet status write would.
    #[allow(clippy::too_many_arguments)]
    pub fn patch(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
        subresource: Subresource,
        patch_kind: PatchKind,
        patch: &Value,
        field_manager: &str,
    ) -> Result<Value, SandboxError> {
        let info = self.kind_info(api_version, kind)?;
        let written = self.api_server.patch(
            &info,
            namespace,
            name,
            subresource,
            patch_kind,
            patch,
            &WriteOptions {
                field_manager: field_manager.into(),
                dry_run: false,
            },
            jiff::Timestamp::now(),
        )?;
        Ok((*written.object).clone())
    }

    /// DELETE an object (children are garbage-collected as on a real cluster).
    pub fn delete(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<(), SandboxError> {
        let info = self.kind_info(api_version, kind)?;
        self.api_server.delete(
            &info,
            namespace,
            name,
            &super::api_server::DeleteOptions::default(),
            jiff::Timestamp::now(),
        )?;
        Ok(())
    }

    /// Every stored object of a kind (in `namespace`, or all namespaces), sorted by
    /// namespace and name.
    pub fn list(&self, api_version: &str, kind: &str, namespace: Option<&str>) -> Vec<Value> {
        let Ok(info) = self.kind_info(api_version, kind) else {
            return Vec::new();
        };
        let collection = (info.group.clone(), info.plural.clone());
        let (_, objects) = self.api_server.store.list(&collection, namespace, None);
        objects.iter().map(|o| (**o).clone()).collect()
    }

    fn kind_info(
        &self,
        api_version: &str,
        kind: &str,
    ) -> Result<super::catalog::ResourceInfo, SandboxError> {
        self.api_server
            .catalog()
            .by_kind(kubedrift_core::model::group_of(api_version), kind)
            .cloned()
            .ok_or_else(|| {
                SandboxError::Rejected(ApiError::bad_request(format!(
                    "no kind {kind:?} is registered for version {api_version:?}"
                )))
            })
    }

    /// Kind, namespace (defaulted to `default` for namespaced kinds) and name of `obj`.
    fn address(
        &self,
        obj: &Value,
    ) -> Result<(super::catalog::ResourceInfo, Option<String>, String), SandboxError> {
        let api_version = obj.get("apiVersion").and_then(Value::as_str).unwrap_or("");
        let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
        let info = self.kind_info(api_version, kind)?;
        let namespace = info.namespaced.then(|| {
            obj.pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .unwrap_or("default")
                .to_string()
        });
        let name = obj
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        Ok((info, namespace, name))
    }

    /// Number of stored objects (all kinds); the sandbox benchmarks report it.
    pub fn object_count(&self) -> usize {
        self.api_server.store.len()
    }

    /// Write requests (create, update, patch, delete; not dry runs) received over HTTP so
    /// far, allowed or not.
    pub fn write_requests(&self) -> u64 {
        self.api_server
            .write_requests
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The latest resourceVersion.
    pub fn resource_version(&self) -> u64 {
        self.api_server.store.current_rv()
    }
}

/// Running sandbox clusters. Dropping it stops every server and task.
pub struct Sandbox {
    runtime: Option<tokio::runtime::Runtime>,
    clusters: Vec<ClusterHandle>,
    shutdown: watch::Sender<bool>,
    tokens: Tokens,
    ca: Option<SandboxCa>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("clusters", &self.clusters)
            .field("tls", &self.ca.is_some())
            .finish()
    }
}

impl Sandbox {
    /// Start one API server per cluster on free 127.0.0.1 ports.
    pub fn start(options: SandboxOptions) -> Result<Sandbox, SandboxError> {
        let mut seen = std::collections::HashSet::new();
        for name in &options.clusters {
            if name.is_empty() || !seen.insert(name.clone()) {
                return Err(SandboxError::BadClusterName(name.clone()));
            }
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("kubedrift-sandbox")
            .enable_all()
            .build()
            .map_err(SandboxError::Runtime)?;
        let (ca, tls_config) = if options.tls {
            let (ca, config) = generate_ca_and_server_cert()?;
            (Some(ca), Some(config))
        } else {
            (None, None)
        };
        let tokens = Tokens::generate();
        let (shutdown, _) = watch::channel(false);
        let mut clusters = Vec::new();
        for name in &options.clusters {
            let listener =
                std::net::TcpListener::bind("127.0.0.1:0").map_err(SandboxError::Bind)?;
            listener.set_nonblocking(true).map_err(SandboxError::Bind)?;
            let addr = listener.local_addr().map_err(SandboxError::Bind)?;
            let scheme = if options.tls { "https" } else { "http" };
            let url = format!("{scheme}://{addr}");
            let faults = Arc::new(FaultControl::default());
            // The socket listens from `bind` on, before the server task first runs.
            faults.mark_listening(true);
            let api_server = Arc::new(ApiServer::new(
                name,
                tokens.clone(),
                faults,
                options.event_history,
            ));
            if let Ok(mut server_url) = api_server.server_url.write() {
                *server_url = url.clone();
            }
            if options.seed {
                seed_cluster(&api_server);
            }
            runtime.spawn(serve(
                Arc::clone(&api_server),
                listener,
                tls_config.clone(),
                shutdown.subscribe(),
            ));
            if options.controller {
                runtime.spawn(control::run(
                    Arc::clone(&api_server),
                    options.ready_after,
                    shutdown.subscribe(),
                ));
            }
            clusters.push(ClusterHandle {
                api_server,
                url,
                addr,
            });
        }
        Ok(Sandbox {
            runtime: Some(runtime),
            clusters,
            shutdown,
            tokens,
            ca,
        })
    }

    pub fn clusters(&self) -> &[ClusterHandle] {
        &self.clusters
    }

    pub fn cluster(&self, name: &str) -> Result<&ClusterHandle, SandboxError> {
        self.clusters
            .iter()
            .find(|c| c.name() == name)
            .ok_or_else(|| SandboxError::UnknownCluster(name.to_string()))
    }

    /// Bearer token of user `admin` (all clusters).
    pub fn admin_token(&self) -> &str {
        &self.tokens.admin
    }

    /// Bearer token of user `viewer` (read-only; all clusters).
    pub fn viewer_token(&self) -> &str {
        &self.tokens.viewer
    }

    /// The CA certificate (PEM) when serving TLS.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca.as_ref().map(|c| c.ca_pem.as_str())
    }

    /// A kubeconfig with contexts `<cluster>` (admin) and `<cluster>-viewer`.
    pub fn kubeconfig_yaml(&self) -> String {
        let clusters: Vec<KubeconfigCluster> = self
            .clusters
            .iter()
            .map(|c| KubeconfigCluster {
                name: c.name().to_string(),
                server_url: c.url().to_string(),
                ca_pem: self.ca.as_ref().map(|ca| ca.ca_pem.clone()),
            })
            .collect();
        kubeconfig_yaml(&clusters, &self.tokens.admin, &self.tokens.viewer)
    }

    pub fn write_kubeconfig(&self, path: &Path) -> Result<(), SandboxError> {
        std::fs::write(path, self.kubeconfig_yaml()).map_err(|source| {
            SandboxError::WriteKubeconfig {
                path: path.display().to_string(),
                source,
            }
        })
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.shutdown.send_replace(true);
        if let Some(runtime) = self.runtime.take() {
            // Non-blocking, so dropping a Sandbox inside an async test is fine.
            runtime.shutdown_background();
        }
    }
}

/// Accept connections until shutdown; while the cluster is "down" the port is closed and
/// reopened (same port) when it comes back up.
async fn serve(
    api: Arc<ApiServer>,
    listener: std::net::TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    mut shutdown: watch::Receiver<bool>,
) {
    let Ok(addr) = listener.local_addr() else {
        return;
    };
    let mut first = Some(listener);
    let mut down = api.faults.down_changes();
    let app = router(Arc::clone(&api));
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    loop {
        // Down: close the port (also the one bound at start) and wait to come back up.
        if *down.borrow_and_update() {
            first = None;
            api.faults.mark_listening(false);
        }
        while *down.borrow_and_update() {
            tokio::select! {
                changed = down.changed() => if changed.is_err() { return },
                _ = shutdown.changed() => return,
            }
        }
        let listener = match first.take() {
            Some(std_listener) => TcpListener::from_std(std_listener),
            None => rebind(addr).await,
        };
        let Ok(listener) = listener else {
            tracing::error!(cluster = %api.name, %addr, "sandbox could not reopen its port");
            return;
        };
        api.faults.mark_listening(true);
        let mut connections = JoinSet::new();
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    let Ok((stream, _)) = accepted else { continue };
                    let service = TowerToHyperService::new(app.clone());
                    let acceptor = acceptor.clone();
                    connections.spawn(async move {
                        let builder = hyper::server::conn::http1::Builder::new();
                        match acceptor {
                            Some(acceptor) => {
                                if let Ok(tls_stream) = acceptor.accept(stream).await {
                                    let _ = builder.serve_connection(TokioIo::new(tls_stream), service).await;
                                }
                            }
                            None => {
                                let _ = builder.serve_connection(TokioIo::new(stream), service).await;
                            }
                        }
                    });
                    while connections.try_join_next().is_some() {}
                }
                changed = down.changed() => {
                    if changed.is_err() || *down.borrow() {
                        break;
                    }
                }
                _ = shutdown.changed() => {
                    connections.abort_all();
                    api.faults.mark_listening(false);
                    return;
                }
            }
        }
        drop(listener);
        connections.abort_all();
        api.faults.mark_listening(false);
    }
}

async fn rebind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let mut last_err = None;
    for _ in 0..50 {
        match TcpListener::bind(addr).await {
            Ok(listener) => return Ok(listener),
            Err(err) => {
                last_err = Some(err);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    Err(last_err.unwrap_or_else(|| std::io::Error::other("rebind failed")))
}

/// What a fresh kubeadm-like cluster contains, so clients meet realistic data.
fn seed_cluster(api: &ApiServer) {
    let now = jiff::Timestamp::now();
    let catalog = api.catalog();
    let opts = WriteOptions {
        field_manager: "kube-apiserver".into(),
        dry_run: false,
    };
    let create = |group: &str, kind: &str, ns: Option<&str>, obj: Value| {
        let Some(info) = catalog.by_kind(group, kind) else {
            return;
        };
        let status = obj.get("status").cloned();
        let name = obj
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if let Err(err) = api.create(info, ns, obj, &opts, now) {
            tracing::warn!(%err, kind, "sandbox seed object rejected");
            return;
        }
        // Status is reset on create (as a real server does); write it the way a kubelet would.
        if let (Some(status), true) = (status, info.status_subresource) {
            let patch = json!({"status": status});
            let kubelet = WriteOptions {
                field_manager: "kubelet".into(),
                dry_run: false,
            };
            let _ = api.patch(
                info,
                ns,
                &name,
                Subresource::Status,
                PatchKind::Merge,
                &patch,
                &kubelet,
                now,
            );
        }
    };
    for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        create(
            "",
            "Namespace",
            None,
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}),
        );
    }
    create(
        "",
        "Service",
        Some("default"),
        json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "kubernetes", "namespace": "default",
                         "labels": {"component": "apiserver", "provider": "kubernetes"}},
            "spec": {"type": "ClusterIP", "clusterIP": "10.96.0.1", "clusterIPs": ["10.96.0.1"],
                     "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack", "sessionAffinity": "None",
                     "internalTrafficPolicy": "Cluster",
                     "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}]},
            "status": {"loadBalancer": {}}
        }),
    );
    create(
        "",
        "Node",
        None,
        json!({
            "apiVersion": "v1", "kind": "Node",
            "metadata": {"name": format!("{}-control-plane", api.name),
                         "labels": {"kubernetes.io/hostname": format!("{}-control-plane", api.name),
                                    "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
                                    "node-role.kubernetes.io/control-plane": ""}},
            "spec": {"podCIDR": "10.244.0.0/24", "podCIDRs": ["10.244.0.0/24"]},
            "status": {
                "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                                "message": "kubelet is posting ready status",
                                "lastHeartbeatTime": super::api_server::timestamp(now),
                                "lastTransitionTime": super::api_server::timestamp(now)}],
                "nodeInfo": {"kubeletVersion": "v1.32.2", "kubeProxyVersion": "v1.32.2",
                             "containerRuntimeVersion": "containerd://1.7.24", "osImage": "Debian GNU/Linux 12 (bookworm)",
                             "kernelVersion": "6.8.0", "operatingSystem": "linux", "architecture": "amd64"},
                "addresses": [{"type": "InternalIP", "address": "172.18.0.2"}, {"type": "Hostname", "address": format!("{}-control-plane", api.name)}],
                "capacity": {"cpu": "8", "memory": "16331028Ki", "pods": "110"},
                "allocatable": {"cpu": "8", "memory": "16331028Ki", "pods": "110"}
            }
        }),
    );
}
