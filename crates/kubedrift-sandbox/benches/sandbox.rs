//! Sandbox load benchmark (harness = false): how the in-process API server holds up at the
//! scale the live layer and the performance harness need.
//!
//! Reports: insert throughput (through defaulting and managedFields), list latency over HTTP
//! for 10,000 objects (kube-rs client, JSON), the same list as a server-side Table, and watch
//! fan-out throughput with 200 concurrent watches. Holds 50,000+ objects across two clusters.
//!
//! Run: `cargo bench --bench sandbox` (prints a small report; no assertions on timings).

use futures::StreamExt;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, ListParams, WatchEvent, WatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use kubedrift_sandbox::{ClusterHandle, Sandbox, SandboxOptions};
use serde_json::json;
use std::time::{Duration, Instant};

const LIST_OBJECTS: usize = 10_000;
const TOTAL_OBJECTS: usize = 50_000;
const WATCHERS: usize = 200;
const WATCH_EVENTS: usize = 500;

fn configmap(namespace: &str, i: usize) -> serde_json::Value {
    json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": format!("app-config-{i:05}"), "namespace": namespace,
                     "labels": {"app.kubernetes.io/name": "shop", "app.kubernetes.io/instance": format!("shop-{}", i % 50), "kubedrift.io/app": "shop"},
                     "annotations": {"kubedrift.io/source": "git@example.com:platform/apps.git#main:apps/shop"}},
        "data": {"LOG_LEVEL": "info", "FEATURE_FLAGS": "checkout-v2,search-ranking", "DB_HOST": format!("db-{}.shop.svc.cluster.local", i % 7), "CACHE_TTL": "300"}
    })
}

fn fill(cluster: &ClusterHandle, namespace: &str, count: usize) -> Duration {
    cluster
        .insert(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}))
        .expect("namespace");
    let start = Instant::now();
    for i in 0..count {
        cluster.insert(configmap(namespace, i)).expect("insert");
    }
    start.elapsed()
}

async fn client(sandbox: &Sandbox, context: &str) -> Client {
    let kubeconfig = Kubeconfig::from_yaml(&sandbox.kubeconfig_yaml()).expect("kubeconfig");
    let options = KubeConfigOptions {
        context: Some(context.into()),
        ..KubeConfigOptions::default()
    };
    Client::try_from(
        Config::from_custom_kubeconfig(kubeconfig, &options)
            .await
            .expect("config"),
    )
    .expect("client")
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples.get(samples.len() / 2).copied().unwrap_or_default()
}

fn main() {
    let sandbox = Sandbox::start(SandboxOptions {
        clusters: vec!["dev".into(), "prod".into()],
        ready_after: Duration::ZERO,
        ..SandboxOptions::default()
    })
    .expect("sandbox");
    let dev = sandbox.cluster("dev").expect("dev");
    let prod = sandbox.cluster("prod").expect("prod");

    let took = fill(dev, "bench", LIST_OBJECTS);
    println!(
        "insert {LIST_OBJECTS} ConfigMaps: {took:?} ({:.0} objects/s)",
        LIST_OBJECTS as f64 / took.as_secs_f64()
    );
    let rest = TOTAL_OBJECTS - LIST_OBJECTS;
    let took = fill(dev, "bulk", rest / 2);
    let took2 = fill(prod, "bulk", rest - rest / 2);
    println!(
        "insert {} more across clusters: {:?}; objects held: dev {} + prod {} = {}",
        rest,
        took + took2,
        dev.object_count(),
        prod.object_count(),
        dev.object_count() + prod.object_count()
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let client = client(&sandbox, "dev").await;
        let api: Api<ConfigMap> = Api::namespaced(client.clone(), "bench");
        let mut samples = Vec::new();
        for _ in 0..7 {
            let start = Instant::now();
            let list = api.list(&ListParams::default()).await.expect("list");
            samples.push(start.elapsed());
            assert_eq!(list.items.len(), LIST_OBJECTS + 1, "plus kube-root-ca.crt");
        }
        println!("list {LIST_OBJECTS} ConfigMaps over HTTP (kube-rs, JSON, typed decode): median {:?}", median(samples));

        let mut samples = Vec::new();
        let selected = ListParams::default().labels("app.kubernetes.io/instance=shop-7");
        for _ in 0..7 {
            let start = Instant::now();
            let list = api.list(&selected).await.expect("list");
            samples.push(start.elapsed());
            assert_eq!(list.items.len(), LIST_OBJECTS / 50);
        }
        println!("list with labelSelector (200 of {LIST_OBJECTS}): median {:?}", median(samples));

        let mut samples = Vec::new();
        for _ in 0..7 {
            let start = Instant::now();
            let req = axum::http::Request::builder()
                .uri("/api/v1/namespaces/bench/configmaps")
                .header("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json")
                .body(Vec::new())
                .expect("request");
            let text = client.request_text(req).await.expect("table");
            samples.push(start.elapsed());
            assert!(text.contains("\"kind\":\"Table\""));
        }
        println!("list {LIST_OBJECTS} as a server-side Table (kubectl get): median {:?}", median(samples));

        // Watch fan-out: 200 concurrent watches, each receiving every event.
        let watch_api: Api<ConfigMap> = Api::namespaced(client.clone(), "fanout");
        dev.insert(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "fanout"}})).expect("ns");
        let from = dev.resource_version().to_string();
        let mut tasks = Vec::new();
        for _ in 0..WATCHERS {
            let api = watch_api.clone();
            let from = from.clone();
            tasks.push(tokio::spawn(async move {
                let mut stream = api.watch(&WatchParams::default().timeout(120), &from).await.expect("watch").boxed();
                let mut seen = 0;
                while let Some(event) = stream.next().await {
                    if let Ok(WatchEvent::Added(_)) = event {
                        seen += 1;
                        if seen == WATCH_EVENTS {
                            break;
                        }
                    }
                }
                seen
            }));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let start = Instant::now();
        for i in 0..WATCH_EVENTS {
            dev.insert(configmap("fanout", i)).expect("insert");
        }
        let mut delivered = 0;
        for task in tasks {
            delivered += task.await.unwrap_or(0);
        }
        let took = start.elapsed();
        println!(
            "watch fan-out: {WATCHERS} watches x {WATCH_EVENTS} events = {delivered} delivered in {took:?} ({:.0} events/s)",
            delivered as f64 / took.as_secs_f64()
        );
    });
}
