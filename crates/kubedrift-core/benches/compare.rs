//! Per-pair cost of `compare` on 10,000 realistic Deployment-sized (desired, live) pairs: live
//! carries managedFields, status, server defaults and a last-applied annotation, so the
//! three-way path is exercised. One pair in ten has drift (a changed image or replica count).

use criterion::{criterion_group, criterion_main, Criterion};
use kubedrift_core::engine::compare::{compare, CompareOptions};
use serde_json::{json, Value};
use std::hint::black_box;

const PAIRS: usize = 10_000;

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/engine/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Pair `i`: its own name, image tag, replica count and env values, with live derived from
/// the applied fixture exactly as the server would return it.
fn pair(i: usize, desired_base: &Value, live_base: &Value) -> (Value, Value) {
    let name = format!("web-{i}");
    let tag = format!("registry.example.com/shop/web:1.{}.{}", i % 17, i % 5);
    let replicas = 1 + (i % 7) as u64;
    let mut desired = desired_base.clone();
    desired["metadata"]["name"] = json!(name);
    desired["spec"]["replicas"] = json!(replicas);
    desired["spec"]["template"]["spec"]["containers"][0]["image"] = json!(tag);
    desired["spec"]["template"]["spec"]["containers"][0]["env"][1]["value"] =
        json!(format!("db-{}.shop.svc.cluster.local", i % 11));

    let mut live = live_base.clone();
    live["metadata"]["name"] = json!(name);
    live["metadata"]["uid"] = json!(format!("5c3f9a1e-7a0d-4c1b-9f7e-{i:012}"));
    live["metadata"]["resourceVersion"] = json!(format!("{}", 48_000_000 + i));
    live["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] =
        json!(serde_json::to_string(&desired).unwrap_or_default());
    live["spec"]["replicas"] = json!(replicas);
    live["status"]["replicas"] = json!(replicas);
    let web = &mut live["spec"]["template"]["spec"]["containers"][0];
    web["image"] = json!(tag);
    web["env"][1]["value"] =
        desired["spec"]["template"]["spec"]["containers"][0]["env"][1]["value"].clone();
    if i % 10 == 3 {
        web["image"] = json!("registry.example.com/shop/web:hotfix");
    }
    if i % 10 == 7 {
        live["spec"]["replicas"] = json!(replicas + 2);
    }
    (desired, live)
}

fn bench_compare(c: &mut Criterion) {
    let desired_base = fixture("deployment-desired.yaml");
    let live_base = fixture("deployment-live.yaml");
    let pairs: Vec<(Value, Value)> = (0..PAIRS)
        .map(|i| pair(i, &desired_base, &live_base))
        .collect();
    let opts = CompareOptions::default();
    let drifted = pairs
        .iter()
        .filter(|(d, l)| compare(Some(d), Some(l), &opts).is_drift())
        .count();
    assert_eq!(drifted, PAIRS / 5, "one pair in ten per drift kind");

    let mut next = 0usize;
    c.bench_function("compare/deployment_pair", |b| {
        b.iter(|| {
            let (desired, live) = &pairs[next % PAIRS];
            next += 1;
            black_box(compare(
                Some(black_box(desired)),
                Some(black_box(live)),
                &opts,
            ))
        })
    });

    // The same pairs without the last-applied record (two-way: desired ⊆ live).
    let two_way: Vec<(Value, Value)> = pairs
        .into_iter()
        .map(|(desired, mut live)| {
            if let Some(Value::Object(annotations)) = live.pointer_mut("/metadata/annotations") {
                annotations.shift_remove("kubectl.kubernetes.io/last-applied-configuration");
            }
            (desired, live)
        })
        .collect();
    let mut next = 0usize;
    c.bench_function("compare/deployment_pair_two_way", |b| {
        b.iter(|| {
            let (desired, live) = &two_way[next % PAIRS];
            next += 1;
            black_box(compare(
                Some(black_box(desired)),
                Some(black_box(live)),
                &opts,
            ))
        })
    });
}

criterion_group!(benches, bench_compare);
criterion_main!(benches);
