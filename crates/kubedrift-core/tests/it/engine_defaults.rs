//! Fields the last apply set explicitly to their server default (`protocol: TCP`,
//! `imagePullPolicy: IfNotPresent`, `dnsPolicy: ClusterFirst`, ...) and Git now omits: applying
//! Git again changes nothing (the server defaults them straight back), so they are not drift;
//! a live value other than the default is. And whatever the verdict, the display diff shows
//! exactly it: OutOfSync never comes with an empty diff.
//!
//! Objects are as an API server returns them after `kubectl apply` (last-applied annotation,
//! `kubectl-client-side-apply` managedFields) or `kubectl apply --server-side` as kubedrift
//! (its `Apply` managedFields entry): uid, resourceVersion, generation, status, defaults.

use crate::engine_compare::fields_v1;
use crate::shared::assert_pair_matches_verdict;
use kubedrift_core::engine::compare::{comparable_pair, compare, CompareOptions, Verdict};
use kubedrift_core::engine::diff::diff;
use proptest::prelude::*;
use serde_json::{json, Value};

/// How the live object records the last apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Record {
    /// `kubectl apply`: the last-applied annotation.
    ClientSide,
    /// `kubectl apply --server-side --field-manager kubedrift`: managedFields.
    ServerSide,
}

/// `obj` at JSON pointer `pointer` set to `value` (the parent must exist).
fn set(obj: &mut Value, pointer: &str, value: Value) {
    let (parent, key) = pointer.rsplit_once('/').unwrap_or(("", pointer));
    match obj.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            map.insert(key.to_string(), value);
        }
        other => panic!("no map at {parent}: {other:?}"),
    }
}

fn unset(obj: &mut Value, pointer: &str) {
    let (parent, key) = pointer.rsplit_once('/').unwrap_or(("", pointer));
    if let Some(Value::Object(map)) = obj.pointer_mut(parent) {
        map.shift_remove(key);
    }
}

/// What the API server returns after applying `applied`, with `live_edits` made since by
/// another writer (a controller, `kubectl edit`).
fn served(applied: &Value, record: Record, live_edits: &[(&str, Value)]) -> Value {
    let mut live = applied.clone();
    let kind = applied["kind"].as_str().unwrap_or("");
    let metadata = &mut live["metadata"];
    metadata["uid"] = json!("8e0c3f6a-52d1-4b7e-9a0f-3c6d2e1b7a94");
    metadata["resourceVersion"] = json!("1048213");
    metadata["generation"] = json!(3);
    metadata["creationTimestamp"] = json!("2026-11-20T09:14:03Z");
    let (manager, operation) = match record {
        Record::ClientSide => {
            metadata["annotations"] = json!({
                "kubectl.kubernetes.io/last-applied-configuration":
                    serde_json::to_string(applied).unwrap_or_default() + "\n"
            });
            ("kubectl-client-side-apply", "Update")
        }
        Record::ServerSide => ("kubedrift", "Apply"),
    };
    metadata["managedFields"] = json!([
        {"manager": manager, "operation": operation, "apiVersion": applied["apiVersion"],
         "time": "2026-11-20T09:14:03Z", "fieldsType": "FieldsV1",
         "fieldsV1": fields_v1(kind, "", applied)},
        {"manager": "kube-controller-manager", "operation": "Update", "subresource": "status",
         "apiVersion": applied["apiVersion"], "time": "2026-11-20T09:15:41Z",
         "fieldsType": "FieldsV1", "fieldsV1": {"f:status": {"f:observedGeneration": {}}}}
    ]);
    live["status"] = json!({"observedGeneration": 3});
    if kind == "Service" {
        live["spec"]["clusterIP"] = json!("10.96.118.40");
        live["spec"]["clusterIPs"] = json!(["10.96.118.40"]);
        live["spec"]["ipFamilies"] = json!(["IPv4"]);
        live["spec"]["ipFamilyPolicy"] = json!("SingleStack");
        live["status"] = json!({"loadBalancer": {}});
    }
    for (pointer, value) in live_edits {
        set(&mut live, pointer, value.clone());
    }
    live
}

/// A Deployment as Git has it, every defaulted field left out.
fn deployment() -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"}},
        "spec": {"selector": {"matchLabels": {"app": "web"}},
            "strategy": {"rollingUpdate": {}},
            "template": {"metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web",
                    "image": "registry.example.com/shop/web:1.4.2",
                    "ports": [{"name": "http", "containerPort": 8080}],
                    "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080}},
                    "volumeMounts": [{"name": "config", "mountPath": "/etc/web"}]}],
                  "volumes": [{"name": "config", "configMap": {"name": "web-config"}}]}}}})
}

/// A Service as Git has it, every defaulted field left out.
fn service() -> Value {
    json!({"apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"selector": {"app": "web"},
                 "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}})
}

/// A defaulted field: where, its server default, another value someone may set live, and the
/// path kubedrift reports when live holds the other value.
struct Defaulted {
    pointer: &'static str,
    default: Value,
    other: Value,
    path: &'static str,
}

fn deployment_defaults() -> Vec<Defaulted> {
    let field =
        |pointer: &'static str, default: Value, other: Value, path: &'static str| Defaulted {
            pointer,
            default,
            other,
            path,
        };
    vec![
        field("/spec/replicas", json!(1), json!(4), "spec.replicas"),
        field(
            "/spec/revisionHistoryLimit",
            json!(10),
            json!(3),
            "spec.revisionHistoryLimit",
        ),
        field(
            "/spec/progressDeadlineSeconds",
            json!(600),
            json!(120),
            "spec.progressDeadlineSeconds",
        ),
        field(
            "/spec/strategy/type",
            json!("RollingUpdate"),
            json!("Recreate"),
            "spec.strategy.type",
        ),
        field(
            "/spec/strategy/rollingUpdate/maxSurge",
            json!("25%"),
            json!("50%"),
            "spec.strategy.rollingUpdate.maxSurge",
        ),
        field(
            "/spec/template/spec/dnsPolicy",
            json!("ClusterFirst"),
            json!("Default"),
            "spec.template.spec.dnsPolicy",
        ),
        field(
            "/spec/template/spec/schedulerName",
            json!("default-scheduler"),
            json!("volcano"),
            "spec.template.spec.schedulerName",
        ),
        field(
            "/spec/template/spec/terminationGracePeriodSeconds",
            json!(30),
            json!(90),
            "spec.template.spec.terminationGracePeriodSeconds",
        ),
        field(
            "/spec/template/spec/restartPolicy",
            json!("Always"),
            json!("OnFailure"),
            "spec.template.spec.restartPolicy",
        ),
        field(
            "/spec/template/spec/containers/0/imagePullPolicy",
            json!("IfNotPresent"),
            json!("Always"),
            "spec.template.spec.containers[name=web].imagePullPolicy",
        ),
        field(
            "/spec/template/spec/containers/0/terminationMessagePolicy",
            json!("File"),
            json!("FallbackToLogsOnError"),
            "spec.template.spec.containers[name=web].terminationMessagePolicy",
        ),
        field(
            "/spec/template/spec/containers/0/terminationMessagePath",
            json!("/dev/termination-log"),
            json!("/tmp/termination"),
            "spec.template.spec.containers[name=web].terminationMessagePath",
        ),
        field(
            "/spec/template/spec/containers/0/readinessProbe/periodSeconds",
            json!(10),
            json!(5),
            "spec.template.spec.containers[name=web].readinessProbe.periodSeconds",
        ),
        field(
            "/spec/template/spec/containers/0/readinessProbe/failureThreshold",
            json!(3),
            json!(6),
            "spec.template.spec.containers[name=web].readinessProbe.failureThreshold",
        ),
        field(
            "/spec/template/spec/containers/0/readinessProbe/httpGet/scheme",
            json!("HTTP"),
            json!("HTTPS"),
            "spec.template.spec.containers[name=web].readinessProbe.httpGet.scheme",
        ),
        field(
            "/spec/template/spec/volumes/0/configMap/defaultMode",
            json!(420),
            json!(256),
            "spec.template.spec.volumes[name=config].configMap.defaultMode",
        ),
    ]
}

fn service_defaults() -> Vec<Defaulted> {
    vec![
        Defaulted {
            pointer: "/spec/type",
            default: json!("ClusterIP"),
            other: json!("LoadBalancer"),
            path: "spec.type",
        },
        Defaulted {
            pointer: "/spec/sessionAffinity",
            default: json!("None"),
            other: json!("ClientIP"),
            path: "spec.sessionAffinity",
        },
        Defaulted {
            pointer: "/spec/internalTrafficPolicy",
            default: json!("Cluster"),
            other: json!("Local"),
            path: "spec.internalTrafficPolicy",
        },
    ]
}

fn paths_of(verdict: &Verdict) -> Vec<String> {
    match verdict {
        Verdict::OutOfSync { paths } => {
            let mut out: Vec<String> = paths.iter().map(ToString::to_string).collect();
            out.sort();
            out
        }
        _ => Vec::new(),
    }
}

/// The verdict, checked against the display: the pair shows exactly the reported paths and
/// the rendered diff is empty exactly when the verdict is Synced.
fn verdict_and_diff(desired: &Value, live: &Value) -> Vec<String> {
    let opts = CompareOptions::default();
    assert_pair_matches_verdict(desired, live, &opts);
    let verdict = compare(Some(desired), Some(live), &opts);
    let (want, have) = comparable_pair(Some(desired), Some(live), &opts);
    let shown = diff(want.as_ref(), have.as_ref(), 3);
    assert_eq!(
        shown.is_empty(),
        verdict == Verdict::Synced,
        "verdict {verdict:?} with diff:\n{}",
        shown.unified
    );
    paths_of(&verdict)
}

#[test]
fn port_protocol_applied_as_tcp_and_dropped_from_git_is_not_drift() {
    for record in [Record::ClientSide, Record::ServerSide] {
        let mut applied = service();
        set(&mut applied, "/spec/ports/0/protocol", json!("TCP"));
        let live = served(&applied, record, &[]);
        assert_eq!(
            verdict_and_diff(&service(), &live),
            Vec::<String>::new(),
            "{record:?}"
        );

        let mut applied = deployment();
        set(
            &mut applied,
            "/spec/template/spec/containers/0/ports/0/protocol",
            json!("TCP"),
        );
        let live = served(&applied, record, &[]);
        assert_eq!(
            verdict_and_diff(&deployment(), &live),
            Vec::<String>::new(),
            "{record:?}"
        );
    }
}

#[test]
fn a_port_applied_as_udp_is_another_port() {
    // Git now says TCP (by omission) where UDP was applied: apply adds the TCP port and
    // removes the UDP one.
    for record in [Record::ClientSide, Record::ServerSide] {
        let mut applied = service();
        set(&mut applied, "/spec/ports/0/protocol", json!("UDP"));
        let live = served(&applied, record, &[]);
        assert_eq!(
            verdict_and_diff(&service(), &live),
            vec![
                "spec.ports[port=80,protocol=TCP]".to_string(),
                "spec.ports[port=80,protocol=UDP]".to_string()
            ],
            "{record:?}"
        );
    }
}

#[test]
fn every_defaulted_field_applied_explicitly_then_dropped_from_git_is_not_drift() {
    for record in [Record::ClientSide, Record::ServerSide] {
        for (git, fields) in [
            (deployment(), deployment_defaults()),
            (service(), service_defaults()),
        ] {
            let mut applied = git.clone();
            for field in &fields {
                set(&mut applied, field.pointer, field.default.clone());
            }
            let live = served(&applied, record, &[]);
            assert_eq!(
                verdict_and_diff(&git, &live),
                Vec::<String>::new(),
                "{record:?}"
            );
        }
    }
}

#[test]
fn a_defaulted_field_git_dropped_with_another_value_live_is_drift() {
    // Applying Git resets it to the default: drift, shown in the diff.
    for record in [Record::ClientSide, Record::ServerSide] {
        for (git, fields) in [
            (deployment(), deployment_defaults()),
            (service(), service_defaults()),
        ] {
            for field in &fields {
                let mut applied = git.clone();
                set(&mut applied, field.pointer, field.other.clone());
                let live = served(&applied, record, &[]);
                assert_eq!(
                    verdict_and_diff(&git, &live),
                    vec![field.path.to_string()],
                    "{record:?}"
                );
            }
        }
    }
}

#[test]
fn pull_policy_is_the_default_only_for_the_image_git_has() {
    // Applied `Always` for a `:latest` image; Git pins a tag and drops the policy: the server
    // would default IfNotPresent, so live's Always is drift (next to the image).
    for record in [Record::ClientSide, Record::ServerSide] {
        let mut applied = deployment();
        let container = "/spec/template/spec/containers/0";
        set(
            &mut applied,
            &format!("{container}/image"),
            json!("registry.example.com/shop/web:latest"),
        );
        set(
            &mut applied,
            &format!("{container}/imagePullPolicy"),
            json!("Always"),
        );
        let live = served(&applied, record, &[]);
        let found = verdict_and_diff(&deployment(), &live);
        assert!(
            found.contains(&"spec.template.spec.containers[name=web].image".to_string()),
            "{found:?}"
        );

        // The same `Always` applied for an untagged image Git still has: the default.
        let mut git = deployment();
        set(
            &mut git,
            &format!("{container}/image"),
            json!("registry.example.com/shop/web"),
        );
        let mut applied = git.clone();
        set(
            &mut applied,
            &format!("{container}/imagePullPolicy"),
            json!("Always"),
        );
        let live = served(&applied, record, &[]);
        assert_eq!(verdict_and_diff(&git, &live), Vec::<String>::new());
    }
}

#[test]
fn a_whole_defaulted_block_dropped_from_git_is_not_drift() {
    // `strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 25%, maxUnavailable: 25%}}`
    // applied, then dropped from Git: the server defaults the same block back.
    for record in [Record::ClientSide, Record::ServerSide] {
        let mut applied = deployment();
        set(
            &mut applied,
            "/spec/strategy",
            json!({"type": "RollingUpdate",
                   "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}),
        );
        let mut git = deployment();
        unset(&mut git, "/spec/strategy");
        let live = served(&applied, record, &[]);
        assert_eq!(
            verdict_and_diff(&git, &live),
            Vec::<String>::new(),
            "{record:?}"
        );
    }
}

/// For each defaulted field: not applied, applied as its default, or applied as another
/// value; and live kept as applied or changed since to the default or the other value.
fn arb_choices(count: usize) -> impl Strategy<Value = Vec<(u8, u8)>> {
    prop::collection::vec((0u8..3, 0u8..3), count)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// Over every combination of defaulted fields applied explicitly (as their default or
    /// not), dropped from Git, and changed live since: drift is exactly the fields whose live
    /// value is not their default, and the diff is empty exactly when Synced.
    #[test]
    fn prop_defaulted_fields_dropped_from_git_are_drift_exactly_when_live_is_not_the_default(
        service_kind in any::<bool>(),
        server_side in any::<bool>(),
        choices in arb_choices(16),
        protocol_applied in any::<bool>(),
    ) {
        let (git, fields) = if service_kind {
            (service(), service_defaults())
        } else {
            (deployment(), deployment_defaults())
        };
        let record = if server_side { Record::ServerSide } else { Record::ClientSide };
        let mut applied = git.clone();
        if protocol_applied {
            let port = if service_kind {
                "/spec/ports/0/protocol"
            } else {
                "/spec/template/spec/containers/0/ports/0/protocol"
            };
            set(&mut applied, port, json!("TCP"));
        }
        let mut live_edits = Vec::new();
        let mut want = Vec::new();
        for (field, (applied_as, live_as)) in fields.iter().zip(&choices) {
            let applied_value = match applied_as {
                0 => None,
                1 => Some(&field.default),
                _ => Some(&field.other),
            };
            if let Some(value) = applied_value {
                set(&mut applied, field.pointer, value.clone());
            }
            // Live: as applied (or defaulted when not applied), or changed since.
            let live_value = match live_as {
                0 => applied_value.unwrap_or(&field.default),
                1 => &field.default,
                _ => &field.other,
            };
            live_edits.push((field.pointer, live_value.clone()));
            // Only what we applied is ours to reset; others' fields Git never set are theirs.
            if applied_value.is_some() && live_value != &field.default {
                want.push(field.path.to_string());
            }
        }
        let live = served(&applied, record, &live_edits);
        want.sort();
        prop_assert_eq!(verdict_and_diff(&git, &live), want);
    }
}
