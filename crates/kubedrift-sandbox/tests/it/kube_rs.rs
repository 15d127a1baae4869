//! kube-rs (the client kubedrift's live layer uses) against sandbox clusters: typed Api calls,
//! server-side apply, discovery, and `kube::runtime::watcher` through 410 Gone and an outage.

use futures::StreamExt;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::runtime::{watcher, WatchStreamExt};
use kube::{Client, Config, Discovery};
use kubedrift_sandbox::{Sandbox, SandboxOptions};
use serde_json::json;
use std::time::Duration;

/// Bound on waiting for an expected event (a hang guard, not a timing assertion).
const WAIT: Duration = Duration::from_secs(30);

fn sandbox(tls: bool) -> Sandbox {
    Sandbox::start(SandboxOptions {
        clusters: vec!["dev".into(), "prod".into()],
        tls,
        ready_after: Duration::ZERO,
        ..SandboxOptions::default()
    })
    .expect("sandbox starts")
}

async fn client(sandbox: &Sandbox, context: &str) -> Client {
    let kubeconfig = Kubeconfig::from_yaml(&sandbox.kubeconfig_yaml()).expect("kubeconfig parses");
    let options = KubeConfigOptions {
        context: Some(context.to_string()),
        ..KubeConfigOptions::default()
    };
    let config = Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .expect("config");
    Client::try_from(config).expect("client")
}

fn configmap(name: &str, value: &str) -> ConfigMap {
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "default", "labels": {"app": "web", "tier": "frontend"}},
        "data": {"LOG_LEVEL": value}
    }))
    .expect("configmap")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_api_crud_server_side_apply_and_discovery() {
    let sandbox = sandbox(true);
    let client = client(&sandbox, "dev").await;
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "default");

    let created = cms
        .create(&PostParams::default(), &configmap("settings", "info"))
        .await
        .expect("create");
    let uid = created.metadata.uid.clone().expect("uid set by the server");
    assert!(
        created.metadata.resource_version.is_some()
            && created.metadata.creation_timestamp.is_some()
    );
    let err = cms
        .create(&PostParams::default(), &configmap("settings", "info"))
        .await
        .expect_err("duplicate");
    assert!(
        matches!(&err, kube::Error::Api(s) if s.code == 409 && s.reason == "AlreadyExists"),
        "{err:?}"
    );

    let fetched = cms.get("settings").await.expect("get");
    assert_eq!(fetched.metadata.uid.as_deref(), Some(uid.as_str()));
    let listed = cms
        .list(&ListParams::default().labels("app=web,tier in (frontend,backend)"))
        .await
        .expect("list");
    assert_eq!(listed.items.len(), 1);
    assert!(listed.metadata.resource_version.is_some());
    assert!(cms
        .list(&ListParams::default().labels("app,app!=web"))
        .await
        .expect("list")
        .items
        .is_empty());

    let deployments: Api<Deployment> = Api::namespaced(client.clone(), "default");
    let manifest = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}
    });
    let params = PatchParams::apply("kubedrift");
    let applied = deployments
        .patch("web", &params, &Patch::Apply(&manifest))
        .await
        .expect("server-side apply");
    let managers: Vec<String> = applied
        .metadata
        .managed_fields
        .unwrap_or_default()
        .into_iter()
        .filter_map(|m| Some(format!("{}/{}", m.manager?, m.operation?)))
        .collect();
    assert!(
        managers.contains(&"kubedrift/Apply".to_string()),
        "{managers:?}"
    );
    assert_eq!(applied.metadata.generation, Some(1));

    // Another manager changes replicas; a non-forced apply of a different value conflicts.
    deployments
        .patch(
            "web",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": 4}})),
        )
        .await
        .expect("merge patch");
    let mut changed = manifest.clone();
    changed["spec"]["replicas"] = json!(3);
    let conflict = deployments
        .patch("web", &params, &Patch::Apply(&changed))
        .await
        .expect_err("conflict");
    assert!(
        matches!(&conflict, kube::Error::Api(s) if s.code == 409 && s.message.contains(".spec.replicas")),
        "{conflict:?}"
    );
    let forced = deployments
        .patch("web", &params.clone().force(), &Patch::Apply(&changed))
        .await
        .expect("forced apply");
    assert_eq!(forced.spec.and_then(|s| s.replicas), Some(3));

    cms.delete("settings", &DeleteParams::default())
        .await
        .expect("delete");
    let missing = cms.get("settings").await.expect_err("deleted");
    assert!(
        matches!(&missing, kube::Error::Api(s) if s.code == 404 && s.reason == "NotFound"),
        "{missing:?}"
    );

    let discovery = Discovery::new(client.clone())
        .run()
        .await
        .expect("discovery");
    let apps = discovery
        .groups()
        .find(|g| g.name() == "apps")
        .expect("apps group");
    assert!(apps
        .recommended_resources()
        .iter()
        .any(|(r, _)| r.plural == "deployments"));
    assert!(discovery.groups().any(|g| g.name() == "autoscaling"));

    // The viewer may read but not write.
    let viewer: Api<ConfigMap> =
        Api::namespaced(super_client(&sandbox, "dev-viewer").await, "default");
    assert!(viewer.list(&ListParams::default()).await.is_ok());
    let forbidden = viewer
        .create(&PostParams::default(), &configmap("nope", "x"))
        .await
        .expect_err("forbidden");
    assert!(
        matches!(&forbidden, kube::Error::Api(s) if s.code == 403 && s.reason == "Forbidden"),
        "{forbidden:?}"
    );
}

async fn super_client(sandbox: &Sandbox, context: &str) -> Client {
    client(sandbox, context).await
}

/// Wait for the first event `pick` maps to Some.
async fn next_matching<S, T>(
    stream: &mut S,
    mut pick: impl FnMut(&watcher::Event<ConfigMap>) -> Option<T>,
) -> Option<T>
where
    S: futures::Stream<Item = Result<watcher::Event<ConfigMap>, watcher::Error>> + Unpin,
{
    let found = tokio::time::timeout(WAIT, async {
        while let Some(item) = stream.next().await {
            if let Ok(event) = item {
                if let Some(found) = pick(&event) {
                    return Some(found);
                }
            }
        }
        None
    })
    .await;
    found.ok().flatten()
}

fn applied_name(event: &watcher::Event<ConfigMap>) -> Option<String> {
    match event {
        watcher::Event::Apply(cm) | watcher::Event::InitApply(cm) => cm.metadata.name.clone(),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watcher_relists_after_410_and_recovers_after_outage() {
    let sandbox = sandbox(false);
    let prod = sandbox.cluster("prod").expect("prod");
    let client = client(&sandbox, "prod").await;
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    cms.create(&PostParams::default(), &configmap("first", "info"))
        .await
        .expect("create");

    let mut stream = watcher(cms.clone(), watcher::Config::default())
        .default_backoff()
        .boxed();
    let initial = next_matching(&mut stream, |e| applied_name(e).filter(|n| n == "first")).await;
    assert_eq!(initial.as_deref(), Some("first"));
    assert!(
        next_matching(&mut stream, |e| matches!(e, watcher::Event::InitDone)
            .then_some(()))
        .await
        .is_some()
    );

    cms.create(&PostParams::default(), &configmap("second", "info"))
        .await
        .expect("create");
    assert_eq!(
        next_matching(&mut stream, |e| applied_name(e).filter(|n| n == "second"))
            .await
            .as_deref(),
        Some("second")
    );

    // Force 410 Gone on resume: close watch streams, and answer every resumed watch with 410.
    prod.faults().set_gone_on_watch_resume(true);
    prod.faults()
        .close_watches_after(Some(Duration::from_millis(200)));
    let relisted = next_matching(&mut stream, |e| {
        matches!(e, watcher::Event::Init).then_some(())
    })
    .await;
    assert!(relisted.is_some(), "watcher did not relist after 410");
    prod.faults().clear();
    assert!(
        next_matching(&mut stream, |e| matches!(e, watcher::Event::InitDone)
            .then_some(()))
        .await
        .is_some()
    );

    // Outage: connections refused, then back on the same port; the watcher recovers.
    assert!(prod.faults().set_down_and_wait(true));
    let refused = tokio::net::TcpStream::connect(prod.addr()).await;
    assert!(refused.is_err(), "port should be closed while down");
    assert!(prod.faults().set_down_and_wait(false));
    prod.insert(serde_json::to_value(configmap("after-outage", "debug")).expect("json"))
        .expect("insert");
    let recovered = next_matching(&mut stream, |e| {
        applied_name(e).filter(|n| n == "after-outage")
    })
    .await;
    assert_eq!(recovered.as_deref(), Some("after-outage"));

    // Ordinary list through the recovered server still works.
    let names: Vec<String> = cms
        .list(&ListParams::default())
        .await
        .expect("list")
        .items
        .into_iter()
        .filter_map(|c| c.metadata.name)
        .collect();
    assert!(
        names.contains(&"after-outage".to_string())
            && names.contains(&"kube-root-ca.crt".to_string()),
        "{names:?}"
    );
}

/// One raw HTTP/1.1 exchange (for headers and unauthenticated requests kube-rs would not send).
async fn raw_http(addr: std::net::SocketAddr, request: String) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = Vec::new();
    let read = tokio::time::timeout(WAIT, stream.read_to_end(&mut response)).await;
    assert!(read.is_ok(), "server did not answer");
    String::from_utf8_lossy(&response).into_owned()
}

fn api_status(result: Result<String, kube::Error>) -> (u16, String) {
    match result {
        Ok(_) => (200, String::new()),
        Err(kube::Error::Api(status)) => (status.code, status.reason),
        Err(other) => (0, other.to_string()),
    }
}

fn request(
    method: &str,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
) -> axum::http::Request<Vec<u8>> {
    axum::http::Request::builder()
        .method(method)
        .uri(path)
        .header("Content-Type", content_type)
        .body(body)
        .expect("request")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_statuses_and_runtime_faults() {
    let sandbox = sandbox(false);
    let dev = sandbox.cluster("dev").expect("dev");
    let kc = client(&sandbox, "dev").await;
    let send = |req| {
        let client = kc.clone();
        async move { api_status(client.request_text(req).await) }
    };
    let cms = "/api/v1/namespaces/default/configmaps";
    assert_eq!(
        send(request(
            "GET",
            "/apis/apps/v1/namespaces/default/gizmos",
            "application/json",
            vec![]
        ))
        .await,
        (404, "NotFound".into())
    );
    assert_eq!(
        send(request(
            "POST",
            cms,
            "application/json",
            b"{not json".to_vec()
        ))
        .await,
        (400, "BadRequest".into())
    );
    assert_eq!(
        send(request(
            "POST",
            cms,
            "application/yaml",
            b"kind: [".to_vec()
        ))
        .await,
        (400, "BadRequest".into())
    );
    let nameless =
        br#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{},"data":{"a":"b"}}"#.to_vec();
    assert_eq!(
        send(request("POST", cms, "application/json", nameless)).await,
        (422, "Invalid".into())
    );
    let huge = format!(
        r#"{{"apiVersion":"v1","kind":"ConfigMap","metadata":{{"name":"huge"}},"data":{{"blob":"{}"}}}}"#,
        "x".repeat(3 * 1024 * 1024 + 10)
    );
    assert_eq!(
        send(request("POST", cms, "application/json", huge.into_bytes())).await,
        (413, "RequestEntityTooLarge".into())
    );
    let cm =
        br#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"one"},"data":{"a":"b"}}"#
            .to_vec();
    assert_eq!(
        send(request("POST", cms, "application/json", cm.clone()))
            .await
            .0,
        200
    );
    assert_eq!(
        send(request(
            "PATCH",
            &format!("{cms}/one"),
            "text/plain",
            b"{}".to_vec()
        ))
        .await,
        (415, "UnsupportedMediaType".into())
    );
    assert_eq!(
        send(request(
            "POST",
            &format!("{cms}?dryRun=All"),
            "application/json",
            br#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dry"}}"#.to_vec()
        ))
        .await
        .0,
        200
    );
    assert_eq!(
        send(request(
            "GET",
            &format!("{cms}/dry"),
            "application/json",
            vec![]
        ))
        .await,
        (404, "NotFound".into())
    );
    let stale = br#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"one","resourceVersion":"1"},"data":{"a":"c"}}"#.to_vec();
    assert_eq!(
        send(request(
            "PUT",
            &format!("{cms}/one"),
            "application/json",
            stale
        ))
        .await,
        (409, "Conflict".into())
    );

    // No or unknown token: 401.
    let unauthenticated = raw_http(
        dev.addr(),
        format!("GET {cms} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    )
    .await;
    assert!(
        unauthenticated.starts_with("HTTP/1.1 401"),
        "{unauthenticated}"
    );
    let wrong = raw_http(dev.addr(), format!("GET {cms} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer nope\r\nConnection: close\r\n\r\n")).await;
    assert!(
        wrong.starts_with("HTTP/1.1 401") && wrong.contains("\"reason\":\"Unauthorized\""),
        "{wrong}"
    );

    // Throttling answers 429 with Retry-After.
    dev.faults().set_throttle(Some(7));
    let throttled = raw_http(
        dev.addr(),
        "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_string(),
    )
    .await;
    assert!(
        throttled.starts_with("HTTP/1.1 429")
            && throttled.to_ascii_lowercase().contains("retry-after: 7"),
        "{throttled}"
    );
    dev.faults().clear();

    dev.faults().set_error_rate(1.0);
    assert_eq!(
        send(request("GET", cms, "application/json", vec![])).await,
        (500, "InternalError".into())
    );
    dev.faults().clear();

    dev.faults().set_latency(Duration::from_millis(20));
    assert_eq!(
        send(request("GET", cms, "application/json", vec![]))
            .await
            .0,
        200
    );
    dev.faults().clear();

    // Watches closed early after N events.
    for i in 0..5 {
        dev.insert(serde_json::to_value(configmap(&format!("w{i}"), "x")).expect("json"))
            .expect("insert");
    }
    dev.faults().close_watches_after_events(Some(2));
    let api: Api<ConfigMap> = Api::namespaced(kc.clone(), "default");
    let stream = api
        .watch(&kube::api::WatchParams::default(), "0")
        .await
        .expect("watch");
    let events: Vec<_> = tokio::time::timeout(WAIT, stream.collect::<Vec<_>>())
        .await
        .expect("stream ends");
    assert_eq!(events.len(), 2);
    dev.faults().clear();

    // A compacted resourceVersion answers an ERROR event with 410 Expired.
    let sandbox_small = Sandbox::start(SandboxOptions {
        clusters: vec!["tiny".into()],
        event_history: 3,
        ready_after: Duration::ZERO,
        ..SandboxOptions::default()
    })
    .expect("tiny");
    let tiny = sandbox_small.cluster("tiny").expect("tiny");
    for i in 0..10 {
        tiny.insert(serde_json::to_value(configmap(&format!("c{i}"), "x")).expect("json"))
            .expect("insert");
    }
    let tiny_client = client(&sandbox_small, "tiny").await;
    let tiny_api: Api<ConfigMap> = Api::namespaced(tiny_client, "default");
    let stream = tiny_api
        .watch(&kube::api::WatchParams::default().timeout(5), "2")
        .await
        .expect("watch");
    let events: Vec<_> = tokio::time::timeout(WAIT, stream.collect::<Vec<_>>())
        .await
        .expect("stream ends");
    let expired = events.iter().any(|e| {
        matches!(e, Ok(kube::api::WatchEvent::Error(s)) if s.code == 410)
            || matches!(e, Err(kube::Error::Api(s)) if s.code == 410)
    });
    assert!(expired, "{events:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pagination_field_selectors_and_generate_name() {
    let sandbox = sandbox(false);
    let dev = sandbox.cluster("dev").expect("dev");
    for i in 0..5 {
        dev.insert(serde_json::to_value(configmap(&format!("page-{i}"), "x")).expect("json"))
            .expect("insert");
    }
    let cms: Api<ConfigMap> = Api::namespaced(client(&sandbox, "dev").await, "default");
    let mut names = Vec::new();
    let mut params = ListParams::default().limit(2);
    let mut pages = 0;
    loop {
        let page = cms.list(&params).await.expect("page");
        pages += 1;
        assert!(page.items.len() <= 2);
        names.extend(page.items.into_iter().filter_map(|c| c.metadata.name));
        match page.metadata.continue_.filter(|c| !c.is_empty()) {
            Some(token) => params = params.continue_token(&token),
            None => break,
        }
        assert!(pages < 10, "pagination does not end");
    }
    // Five ConfigMaps plus kube-root-ca.crt, each exactly once, in name order.
    assert_eq!(pages, 3);
    let mut sorted = names.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!((names.len(), sorted), (6, names.clone()));

    let by_name = cms
        .list(&ListParams::default().fields("metadata.name=page-3"))
        .await
        .expect("fieldSelector");
    assert_eq!(by_name.items.len(), 1);

    let mut generated = configmap("ignored", "x");
    generated.metadata.name = None;
    generated.metadata.generate_name = Some("job-config-".into());
    let created = cms
        .create(&PostParams::default(), &generated)
        .await
        .expect("generateName");
    let name = created.metadata.name.expect("name generated");
    assert!(
        name.starts_with("job-config-") && name.len() == "job-config-".len() + 5,
        "{name}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watcher_with_streaming_lists_gets_initial_events() {
    let sandbox = sandbox(false);
    let dev = sandbox.cluster("dev").expect("dev");
    dev.insert(serde_json::to_value(configmap("streamed", "x")).expect("json"))
        .expect("insert");
    let cms: Api<ConfigMap> = Api::namespaced(client(&sandbox, "dev").await, "default");
    let config = watcher::Config::default().streaming_lists();
    let mut stream = watcher(cms.clone(), config).default_backoff().boxed();
    let initial = next_matching(&mut stream, |e| applied_name(e).filter(|n| n == "streamed")).await;
    assert_eq!(initial.as_deref(), Some("streamed"));
    let done = next_matching(&mut stream, |e| {
        matches!(e, watcher::Event::InitDone).then_some(())
    })
    .await;
    assert!(done.is_some(), "no initial-events-end bookmark");
    cms.create(&PostParams::default(), &configmap("later", "x"))
        .await
        .expect("create");
    let later = next_matching(&mut stream, |e| applied_name(e).filter(|n| n == "later")).await;
    assert_eq!(later.as_deref(), Some("later"));
}

/// `silence_open_watches`: the watches open at that moment go half-open — they stay open but
/// deliver nothing more (no event, no bookmark, no end at their `timeoutSeconds`), while new
/// watches and other requests work normally.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silenced_watches_stay_open_and_deliver_nothing_while_new_watches_work() {
    use kube::api::{WatchEvent, WatchParams};
    let sandbox = sandbox(false);
    let dev = sandbox.cluster("dev").expect("dev");
    let client = client(&sandbox, "dev").await;
    let cms: Api<ConfigMap> = Api::namespaced(client, "default");
    let version = cms
        .list(&ListParams::default())
        .await
        .expect("list")
        .metadata
        .resource_version
        .expect("list version");
    // Bookmarks every few seconds and a 2 s timeout: a working watch is never quiet for long.
    let params = WatchParams::default().timeout(2);
    let mut silenced = cms.watch(&params, &version).await.expect("watch").boxed();
    cms.create(&PostParams::default(), &configmap("before", "info"))
        .await
        .expect("create");
    let first = tokio::time::timeout(WAIT, silenced.next())
        .await
        .expect("the open watch delivers");
    assert!(
        matches!(first, Some(Ok(WatchEvent::Added(ref cm))) if cm.metadata.name.as_deref() == Some("before")),
        "{first:?}"
    );

    dev.faults().silence_open_watches();
    // The sandbox applies the switch within its fault check interval (50 ms).
    tokio::time::sleep(Duration::from_millis(200)).await;
    cms.create(&PostParams::default(), &configmap("during", "info"))
        .await
        .expect("other requests work");
    let mut fresh = cms.watch(&params, &version).await.expect("watch").boxed();
    let seen = tokio::time::timeout(WAIT, async {
        while let Some(event) = fresh.next().await {
            if matches!(event, Ok(WatchEvent::Added(ref cm)) if cm.metadata.name.as_deref() == Some("during"))
            {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(seen, Ok(true), "a watch started after the fault works");

    // Past the silenced watch's timeout and the sandbox's bookmark interval (5 s): still
    // nothing, and no end either.
    let silent = tokio::time::timeout(Duration::from_secs(7), silenced.next()).await;
    assert!(silent.is_err(), "the silenced watch delivered {silent:?}");
}
