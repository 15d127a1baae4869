//! Test helpers shared by the engine tests here and by the sandbox crate's tests (which
//! include this file by path): the display pair must show exactly the reported drift, and a
//! generator of realistic Deployments.

use kubedrift_core::engine::compare::{comparable_pair, compare, CompareOptions, Verdict};
use kubedrift_core::engine::diff;
use kubedrift_core::engine::fieldpath::{self, FieldPath, Segment};
use kubedrift_core::engine::normalize::normalize_in_place;
use proptest::prelude::*;
use serde_json::{json, Map, Value};

/// Set `value` at `path`, creating maps and keyed items on the way.
pub fn set_path(target: &mut Value, path: &FieldPath, value: Value) {
    let mut current = target;
    for segment in path.segments() {
        current = match segment {
            Segment::Key(key) => {
                if !current.is_object() {
                    *current = Value::Object(Map::new());
                }
                let Value::Object(map) = current else {
                    unreachable!()
                };
                map.entry(key.clone()).or_insert(Value::Null)
            }
            Segment::Index(index) => {
                if !current.is_array() {
                    *current = Value::Array(Vec::new());
                }
                let Value::Array(items) = current else {
                    unreachable!()
                };
                while items.len() <= *index {
                    items.push(Value::Null);
                }
                &mut items[*index]
            }
            Segment::Item(fields) => {
                if !current.is_array() {
                    *current = Value::Array(Vec::new());
                }
                let Value::Array(items) = current else {
                    unreachable!()
                };
                let position = items
                    .iter()
                    .position(|i| fieldpath::item_matches(i, fields));
                let position = position.unwrap_or_else(|| {
                    items.push(Value::Object(fields.iter().cloned().collect()));
                    items.len() - 1
                });
                &mut items[position]
            }
        };
    }
    *current = value;
}

/// `comparable_pair` must show exactly the drift the verdict reports: every reported path
/// differs between the two sides, and copying desired onto live at the reported paths (and
/// nowhere else) makes the sides equal. The rendered display diff is empty exactly when the
/// verdict is Synced (never "OutOfSync" over an empty diff).
pub fn assert_pair_matches_verdict(desired: &Value, live: &Value, opts: &CompareOptions) {
    let verdict = compare(Some(desired), Some(live), opts);
    let (Some(pair_desired), Some(pair_live)) = comparable_pair(Some(desired), Some(live), opts)
    else {
        panic!("both sides expected");
    };
    let shown = diff::diff(Some(&pair_desired), Some(&pair_live), 3);
    assert_eq!(
        shown.is_empty(),
        verdict == Verdict::Synced,
        "{verdict:?} but the display diff is:\n{}",
        shown.unified
    );
    match &verdict {
        Verdict::Synced => assert_eq!(pair_desired, pair_live, "Synced but the pair differs"),
        Verdict::OutOfSync { paths } => {
            let mut fixed = pair_live.clone();
            for path in paths {
                let want = fieldpath::get(&pair_desired, path);
                assert_ne!(
                    want,
                    fieldpath::get(&pair_live, path),
                    "{path} reported but equal"
                );
                match want {
                    Some(value) => set_path(&mut fixed, path, value.clone()),
                    None => {
                        fieldpath::remove(&mut fixed, path);
                    }
                }
            }
            normalize_in_place(&mut fixed);
            assert_eq!(
                fixed, pair_desired,
                "pair differs outside reported paths {paths:?}"
            );
        }
        other => panic!("unexpected verdict {other:?}"),
    }
}

/// A realistic Deployment with varying content (what `kubectl apply` would send).
pub fn arb_deployment() -> impl Strategy<Value = Value> {
    (
        "[a-z]{3,10}",
        0u32..20,
        prop::collection::vec(("[a-z]{2,8}", "[a-z0-9.:/-]{1,20}", 1u16..65535), 1..4),
        prop::collection::vec(("[A-Z_]{1,8}", "[a-zA-Z0-9 ]{0,10}"), 0..5),
        prop::sample::select(vec!["100m", "0.5", "1", "1500m", "2"]),
        prop::sample::select(vec!["128Mi", "1Gi", "512M", "1024Mi", "2G"]),
    )
        .prop_map(|(name, replicas, containers, env, cpu, memory)| {
            let mut seen = std::collections::HashSet::new();
            let containers: Vec<Value> = containers
                .into_iter()
                .filter(|(n, _, _)| seen.insert(n.clone()))
                .map(|(cname, image, port)| {
                    let mut env_seen = std::collections::HashSet::new();
                    let env: Vec<Value> = env
                        .iter()
                        .filter(|(k, _)| env_seen.insert(k.clone()))
                        .map(|(k, v)| json!({"name": k, "value": v}))
                        .collect();
                    json!({"name": cname, "image": image,
                           "ports": [{"containerPort": port}], "env": env,
                           "resources": {"requests": {"cpu": cpu, "memory": memory}}})
                })
                .collect();
            json!({"apiVersion": "apps/v1", "kind": "Deployment",
                   "metadata": {"name": name, "namespace": "shop", "labels": {"app": name}},
                   "spec": {"replicas": replicas,
                            "selector": {"matchLabels": {"app": name}},
                            "template": {"metadata": {"labels": {"app": name}},
                                         "spec": {"containers": containers}}}})
        })
}
