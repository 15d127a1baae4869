//! The sandbox CA and server certificate work for a real TLS client: a rustls client that
//! trusts only `ca_pem` completes a handshake with a tokio-rustls acceptor on 127.0.0.1,
//! for both names a kubeconfig may use, and a client trusting another CA is refused.

use kubedrift_sandbox::tls::generate_ca_and_server_cert;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::{TlsAcceptor, TlsConnector};

fn client_trusting(ca_pem: &str) -> TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots
            .add(cert.expect("CA PEM parses"))
            .expect("CA accepted as root");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    TlsConnector::from(Arc::new(config))
}

/// Accept one TLS connection, read a line, answer it; returns what the server saw.
async fn serve_once(listener: TcpListener, acceptor: TlsAcceptor) -> std::io::Result<String> {
    let (tcp, _) = listener.accept().await?;
    let mut tls = acceptor.accept(tcp).await?;
    let mut buf = [0u8; 5];
    tls.read_exact(&mut buf).await?;
    tls.write_all(b"pong\n").await?;
    tls.shutdown().await?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

async fn handshake_with(server_name: &'static str) {
    let (ca, server_config) = generate_ca_and_server_cert().expect("tls setup");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(serve_once(listener, TlsAcceptor::from(server_config)));

    let tcp = TcpStream::connect(addr).await.expect("connect");
    let name = ServerName::try_from(server_name).expect("server name");
    let mut tls = client_trusting(&ca.ca_pem)
        .connect(name, tcp)
        .await
        .expect("handshake succeeds with the sandbox CA");
    let (_, session) = tls.get_ref();
    assert_eq!(session.alpn_protocol(), Some(&b"http/1.1"[..]));
    tls.write_all(b"ping\n").await.expect("write");
    let mut reply = String::new();
    tls.read_to_string(&mut reply).await.expect("read");
    assert_eq!(reply, "pong\n");
    assert_eq!(server.await.expect("join").expect("server side"), "ping\n");
}

#[tokio::test]
async fn client_trusting_ca_pem_handshakes_on_127_0_0_1() {
    handshake_with("127.0.0.1").await;
}

#[tokio::test]
async fn client_trusting_ca_pem_handshakes_as_localhost() {
    handshake_with("localhost").await;
}

#[tokio::test]
async fn client_trusting_another_ca_is_refused() {
    let (_, server_config) = generate_ca_and_server_cert().expect("tls setup");
    let (other_ca, _) = generate_ca_and_server_cert().expect("tls setup");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(serve_once(listener, TlsAcceptor::from(server_config)));

    let tcp = TcpStream::connect(addr).await.expect("connect");
    let name = ServerName::try_from("127.0.0.1").expect("server name");
    let result = client_trusting(&other_ca.ca_pem).connect(name, tcp).await;
    let Err(err) = result else {
        panic!("a foreign CA must not be trusted");
    };
    assert!(
        err.to_string().to_lowercase().contains("certificate"),
        "unexpected error: {err}"
    );
    assert!(server.await.expect("join").is_err());
}

#[tokio::test]
async fn certificate_is_not_valid_for_other_names() {
    let (ca, server_config) = generate_ca_and_server_cert().expect("tls setup");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(serve_once(listener, TlsAcceptor::from(server_config)));

    let tcp = TcpStream::connect(addr).await.expect("connect");
    let name = ServerName::try_from("kubernetes.default.svc").expect("server name");
    let result = client_trusting(&ca.ca_pem).connect(name, tcp).await;
    assert!(
        result.is_err(),
        "certificate must be valid only for loopback names"
    );
    assert!(server.await.expect("join").is_err());
}

// ---------------------------------------------------------------------------------------------
// kubectl as the judge: a minimal HTTPS API server built from the sandbox pieces (TLS config,
// kubeconfig, server-side Table printing) answering discovery and `get deployments`, driven by
// the real kubectl binary.

mod kubectl_judge {
    use axum::extract::{Path, Request};
    use axum::http::{header, HeaderMap, StatusCode};
    use axum::response::{IntoResponse, Response};
    use axum::routing::get;
    use axum::Router;
    use hyper_util::rt::TokioIo;
    use hyper_util::service::TowerToHyperService;
    use kubedrift_sandbox::catalog::{Catalog, ResourceInfo};
    use kubedrift_sandbox::kubeconfig::{kubeconfig_yaml, KubeconfigCluster};
    use kubedrift_sandbox::table::{render_plain, to_table, IncludeObject};
    use kubedrift_sandbox::tls::generate_ca_and_server_cert;
    use serde_json::{json, Value};
    use tokio::net::TcpListener;
    use tokio_rustls::TlsAcceptor;

    const ADMIN_TOKEN: &str = "admin-token-3f9d2c";
    const VIEWER_TOKEN: &str = "viewer-token-81ab4e";

    /// The server prints ages against a fixed clock, so expected output is exact.
    fn fixed_now() -> jiff::Timestamp {
        "2024-06-01T12:00:00Z".parse().expect("timestamp")
    }

    /// The sandbox catalog's own entry, so the judge prints what the sandbox would.
    fn deployments_resource() -> ResourceInfo {
        Catalog::builtin()
            .by_kind("apps", "Deployment")
            .cloned()
            .expect("the catalog serves apps/v1 Deployments")
    }

    fn deployment(namespace: &str, name: &str, ready: i64, replicas: i64) -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {
                "name": name, "namespace": namespace,
                "uid": format!("4d7e0a4c-1b2f-4c55-8e0e-{:012x}", name.len() * 7919 + ready as usize),
                "resourceVersion": "5120", "generation": 1,
                "creationTimestamp": "2024-05-30T09:00:00Z",
                "labels": {"app": name},
                "managedFields": [{"manager": "kubedrift", "operation": "Apply", "apiVersion": "apps/v1",
                                   "time": "2024-05-30T09:00:00Z", "fieldsType": "FieldsV1",
                                   "fieldsV1": {"f:spec": {"f:replicas": {}}}}]
            },
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": {"app": name}},
                "template": {"metadata": {"labels": {"app": name}},
                             "spec": {"containers": [{"name": name, "image": format!("ghcr.io/acme/{name}:1.4.2")}]}},
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
                "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600
            },
            "status": {"observedGeneration": 1, "replicas": replicas, "updatedReplicas": replicas,
                       "readyReplicas": ready, "availableReplicas": ready}
        })
    }

    fn all_deployments() -> Vec<Value> {
        vec![
            deployment("shop", "web", 3, 3),
            deployment("shop", "checkout", 1, 2),
            deployment("payments", "ledger", 1, 1),
        ]
    }

    fn json_response(status: StatusCode, body: Value) -> Response {
        (
            status,
            [(header::CONTENT_TYPE, "application/json")],
            body.to_string(),
        )
            .into_response()
    }

    fn authorized(headers: &HeaderMap) -> bool {
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        bearer == format!("Bearer {ADMIN_TOKEN}") || bearer == format!("Bearer {VIEWER_TOKEN}")
    }

    fn list_or_table(headers: &HeaderMap, items: Vec<Value>) -> Response {
        if !authorized(headers) {
            return json_response(
                StatusCode::UNAUTHORIZED,
                json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                       "message": "Unauthorized", "reason": "Unauthorized", "code": 401}),
            );
        }
        let accept = headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if accept.contains("as=Table") {
            let now = fixed_now();
            let mut table = to_table(
                &deployments_resource(),
                &items,
                now,
                IncludeObject::Metadata,
            );
            table["metadata"] = json!({"resourceVersion": "5120"});
            return json_response(StatusCode::OK, table);
        }
        json_response(
            StatusCode::OK,
            json!({"kind": "DeploymentList", "apiVersion": "apps/v1",
                   "metadata": {"resourceVersion": "5120"}, "items": items}),
        )
    }

    fn app() -> Router {
        Router::new()
            .route(
                "/api",
                get(|| async {
                    json_response(
                        StatusCode::OK,
                        json!({"kind": "APIVersions", "versions": ["v1"],
                               "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]}),
                    )
                }),
            )
            .route(
                "/apis",
                get(|| async {
                    json_response(
                        StatusCode::OK,
                        json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": [{
                            "name": "apps",
                            "versions": [{"groupVersion": "apps/v1", "version": "v1"}],
                            "preferredVersion": {"groupVersion": "apps/v1", "version": "v1"}}]}),
                    )
                }),
            )
            .route(
                "/api/v1",
                get(|| async {
                    json_response(
                        StatusCode::OK,
                        json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "v1", "resources": [
                            {"name": "namespaces", "singularName": "namespace", "namespaced": false,
                             "kind": "Namespace", "verbs": ["get", "list"], "shortNames": ["ns"]}]}),
                    )
                }),
            )
            .route(
                "/apis/apps/v1",
                get(|| async {
                    json_response(
                        StatusCode::OK,
                        json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "apps/v1", "resources": [
                            {"name": "deployments", "singularName": "deployment", "namespaced": true,
                             "kind": "Deployment", "verbs": ["get", "list", "watch"], "shortNames": ["deploy"],
                             "categories": ["all"]}]}),
                    )
                }),
            )
            .route(
                "/apis/apps/v1/deployments",
                get(|headers: HeaderMap| async move { list_or_table(&headers, all_deployments()) }),
            )
            .route(
                "/apis/apps/v1/namespaces/{namespace}/deployments",
                get(|Path(namespace): Path<String>, headers: HeaderMap| async move {
                    let items = all_deployments()
                        .into_iter()
                        .filter(|d| d["metadata"]["namespace"] == namespace.as_str())
                        .collect();
                    list_or_table(&headers, items)
                }),
            )
            .fallback(|request: Request| async move {
                json_response(
                    StatusCode::NOT_FOUND,
                    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                           "message": format!("the server could not find the requested resource ({})", request.uri()),
                           "reason": "NotFound", "code": 404}),
                )
            })
    }

    /// Serve `app()` over TLS on 127.0.0.1; returns the `https://` URL and the CA PEM.
    async fn start_server() -> (String, String) {
        let (ca, server_config) = generate_ca_and_server_cert().expect("tls setup");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let acceptor = TlsAcceptor::from(server_config);
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let service = TowerToHyperService::new(app());
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tls), service)
                        .await;
                });
            }
        });
        (format!("https://{addr}"), ca.ca_pem)
    }

    async fn kubectl(
        kubeconfig: &std::path::Path,
        scratch: &std::path::Path,
        args: &[&str],
    ) -> (bool, String, String) {
        let mut command = kubedrift_testkit::kubectl_command(kubeconfig, scratch);
        command.args(args);
        let out = tokio::task::spawn_blocking(move || command.output())
            .await
            .expect("join")
            .expect("run kubectl");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// A kubeconfig (in `dir`) for the judge server at `url`, cluster `dev`, trusting `ca_pem`.
    fn write_kubeconfig(dir: &std::path::Path, url: String, ca_pem: String) -> std::path::PathBuf {
        let kubeconfig = dir.join("kubeconfig.yaml");
        let clusters = [KubeconfigCluster {
            name: "dev".into(),
            server_url: url,
            ca_pem: Some(ca_pem),
        }];
        std::fs::write(
            &kubeconfig,
            kubeconfig_yaml(&clusters, ADMIN_TOKEN, VIEWER_TOKEN),
        )
        .expect("write");
        kubeconfig
    }

    fn expected(namespace: Option<&str>, wide: bool) -> String {
        let items: Vec<Value> = all_deployments()
            .into_iter()
            .filter(|d| namespace.is_none_or(|ns| d["metadata"]["namespace"] == ns))
            .collect();
        let table = to_table(
            &deployments_resource(),
            &items,
            fixed_now(),
            IncludeObject::Metadata,
        );
        render_plain(&table, wide)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn kubectl_trusts_the_ca_reads_the_kubeconfig_and_prints_the_table() {
        if kubedrift_testkit::kubectl_missing() {
            return;
        }
        let (url, ca_pem) = start_server().await;
        let dir = tempfile::tempdir().expect("tempdir");
        let kubeconfig = write_kubeconfig(dir.path(), url, ca_pem);

        let (ok, stdout, stderr) = kubectl(
            &kubeconfig,
            dir.path(),
            &["--context", "dev", "get", "deploy", "-n", "shop"],
        )
        .await;
        assert!(ok, "kubectl failed: {stderr}");
        assert_eq!(stdout, expected(Some("shop"), false));
        assert!(
            stdout.starts_with("NAME       READY   UP-TO-DATE   AVAILABLE   AGE\n"),
            "{stdout}"
        );
        assert!(
            stdout.contains("checkout   1/2     2            1           2d3h"),
            "{stdout}"
        );

        let (ok, stdout, stderr) = kubectl(
            &kubeconfig,
            dir.path(),
            &[
                "--context",
                "dev-viewer",
                "get",
                "deployments",
                "-n",
                "shop",
                "-o",
                "wide",
            ],
        )
        .await;
        assert!(ok, "kubectl failed: {stderr}");
        assert_eq!(stdout, expected(Some("shop"), true));
        assert!(stdout.contains("ghcr.io/acme/web:1.4.2"), "{stdout}");

        let (ok, stdout, stderr) = kubectl(&kubeconfig, dir.path(), &["get", "deploy", "-A"]).await;
        assert!(ok, "kubectl failed: {stderr}");
        let mut lines = stdout.lines();
        assert!(
            lines
                .next()
                .is_some_and(|h| h.starts_with("NAMESPACE   NAME")),
            "{stdout}"
        );
        assert!(
            stdout.contains("payments    ledger     1/1"),
            "namespace from row metadata: {stdout}"
        );
        assert_eq!(stdout.lines().count(), 4, "{stdout}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn kubectl_refuses_a_server_whose_ca_is_not_in_the_kubeconfig() {
        if kubedrift_testkit::kubectl_missing() {
            return;
        }
        let (url, _) = start_server().await;
        let (other_ca, _) = generate_ca_and_server_cert().expect("tls setup");
        let dir = tempfile::tempdir().expect("tempdir");
        let kubeconfig = write_kubeconfig(dir.path(), url, other_ca.ca_pem);
        let (ok, _, stderr) = kubectl(
            &kubeconfig,
            dir.path(),
            &["get", "deploy", "-n", "shop", "--request-timeout", "10s"],
        )
        .await;
        assert!(!ok);
        assert!(stderr.contains("certificate"), "{stderr}");
    }
}
