//! What the watchers pay to turn a list answer into live objects, per object, before and
//! after they parsed each object once (harness = false;
//! `cargo bench --bench wire_decode -- [N] [ROUNDS]`).
//!
//! Objects are realistic (`sandbox_objects`: server-side applied to a sandbox API server,
//! Deployments with a controller-written status). Each kind's list answer is the JSON the
//! server sends.
//! - before: the answer parsed into kube's `DynamicObject`s (typed `ObjectMeta`, flattened
//!   rest), each serialized back into a `serde_json::Value`, apiVersion and kind filled in,
//!   managedFields packed, stored (`LiveObject::new`): what the watchers did until now.
//! - after: the answer parsed into `WireObject`s (one parse straight into a `Value`), then
//!   `WireObject::into_live`: what the watchers and the one-shot read do now.
//!
//! Both must store the same objects (compared as values; key order aside, the typed path
//! drops a `null` metadata field and sorts labels): the bench checks it before timing.

mod sandbox_objects;

use kube::api::{ApiResource, DynamicObject, GroupVersionKind, ObjectList};
use kubedrift::cluster::compact::pack_managed_fields;
use kubedrift::cluster::wire::WireObject;
use kubedrift::state::LiveObject;
use sandbox_objects::{sandbox_with_objects, CONTEXT, KINDS, NAMESPACE};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Each kind's list answer as the server sends it, with the kind's resource.
fn list_answers(n: usize) -> Vec<(ApiResource, Vec<u8>, usize)> {
    let sandbox = sandbox_with_objects(n);
    let cluster = sandbox.cluster(CONTEXT).expect("cluster");
    KINDS
        .into_iter()
        .map(|(group, version, kind, plural)| {
            let resource = ApiResource::from_gvk_with_plural(
                &GroupVersionKind::gvk(group, version, kind),
                plural,
            );
            let items = cluster.list(&resource.api_version, kind, Some(NAMESPACE));
            let count = items.len();
            let answer = json!({"kind": format!("{kind}List"), "apiVersion": resource.api_version,
                                "metadata": {"resourceVersion": "1"}, "items": items});
            let bytes = serde_json::to_vec(&answer).expect("json");
            (resource, bytes, count)
        })
        .collect()
}

/// The watchers' path before: typed `DynamicObject`, serialized back into a value.
fn before(answer: &[u8], resource: &ApiResource) -> Vec<LiveObject> {
    let list: ObjectList<DynamicObject> = serde_json::from_slice(answer).expect("list");
    list.items
        .iter()
        .map(|obj| {
            let mut value = serde_json::to_value(obj).unwrap_or(Value::Null);
            if let Some(map) = value.as_object_mut() {
                map.entry("apiVersion")
                    .or_insert_with(|| resource.api_version.clone().into());
                map.entry("kind")
                    .or_insert_with(|| resource.kind.clone().into());
            }
            pack_managed_fields(&mut value);
            LiveObject::new(value)
        })
        .collect()
}

/// The watchers' path now.
fn after(answer: &[u8], resource: &ApiResource) -> Vec<LiveObject> {
    let list: ObjectList<WireObject<false>> = serde_json::from_slice(answer).expect("list");
    list.items
        .into_iter()
        .map(|obj| obj.into_live(resource))
        .collect()
}

/// The fields the typed path normalizes away: a `null` creationTimestamp is dropped.
fn without_nulls_in_metadata(mut value: Value) -> Value {
    if let Some(meta) = value.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.retain(|_, v| !v.is_null());
    }
    value
}

fn best_of(rounds: usize, mut run: impl FnMut()) -> Duration {
    (0..rounds)
        .map(|_| {
            let start = Instant::now();
            run();
            start.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let n: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(3_000);
    let rounds: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(5);
    let answers = list_answers(n);

    // Same objects either way (as values: the typed path reorders metadata keys).
    for (resource, answer, count) in &answers {
        let old = before(answer, resource);
        let new = after(answer, resource);
        assert_eq!(old.len(), *count);
        assert_eq!(new.len(), *count);
        for (old, new) in old.iter().zip(&new) {
            assert_eq!(old.key(), new.key());
            assert_eq!(old.resource_version(), new.resource_version());
            assert_eq!(old.ownership(), new.ownership());
            assert_eq!(
                without_nulls_in_metadata(old.value().into_owned()),
                without_nulls_in_metadata(new.value().into_owned()),
                "{:?}",
                new
            );
        }
    }

    let objects: usize = answers.iter().map(|(_, _, count)| count).sum();
    let bytes: usize = answers.iter().map(|(_, answer, _)| answer.len()).sum();
    println!(
        "wire decode: {objects} objects in {} list answers ({:.0} B/object), best of {rounds}",
        answers.len(),
        bytes as f64 / objects as f64
    );
    for (name, path) in [
        (
            "before (DynamicObject, to_value)",
            before as fn(&[u8], &ApiResource) -> _,
        ),
        ("after (WireObject, into_live)", after),
    ] {
        let took = best_of(rounds, || {
            for (resource, answer, _) in &answers {
                std::hint::black_box(path(answer, resource));
            }
        });
        println!(
            "  {name}: {:.1} ms, {:.2} µs/object",
            took.as_secs_f64() * 1e3,
            took.as_secs_f64() * 1e6 / objects as f64
        );
    }
}
