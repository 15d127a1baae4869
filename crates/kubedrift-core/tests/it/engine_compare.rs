//! Compare engine: verdicts on realistic objects (as `kubectl get -o yaml` returns them), the
//! consistency of `comparable_pair` with the verdict, ignore rules, and properties.

use crate::shared::{arb_deployment, assert_pair_matches_verdict};
use kubedrift_core::engine::compare::{comparable_pair, compare, CompareOptions, Verdict};
use kubedrift_core::engine::ignore::IgnoreRule;
use kubedrift_core::engine::normalize::normalize;
use kubedrift_core::engine::quantity;
use proptest::prelude::*;
use serde_json::{json, Map, Value};

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/engine/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn paths_of(verdict: &Verdict) -> Vec<String> {
    match verdict {
        Verdict::OutOfSync { paths } => paths.iter().map(ToString::to_string).collect(),
        _ => Vec::new(),
    }
}

fn check(desired: &Value, live: &Value, opts: &CompareOptions) -> Vec<String> {
    assert_pair_matches_verdict(desired, live, opts);
    let mut paths = paths_of(&compare(Some(desired), Some(live), opts));
    paths.sort();
    paths
}

fn check_default(desired: &Value, live: &Value) -> Vec<String> {
    check(desired, live, &CompareOptions::default())
}

fn sorted(paths: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = paths.iter().map(|p| (*p).to_string()).collect();
    out.sort();
    out
}

fn without_last_applied(mut live: Value) -> Value {
    if let Some(Value::Object(annotations)) = live.pointer_mut("/metadata/annotations") {
        annotations.shift_remove("kubectl.kubernetes.io/last-applied-configuration");
    }
    live
}

fn web_container(obj: &mut Value) -> &mut Value {
    match obj.pointer_mut("/spec/template/spec/containers/0") {
        Some(c) => c,
        None => panic!("fixture has a first container"),
    }
}

// ---------------------------------------------------------------- presence

#[test]
fn presence_verdicts() {
    let desired = fixture("deployment-desired.yaml");
    let opts = CompareOptions::default();
    assert_eq!(compare(Some(&desired), None, &opts), Verdict::Missing);
    assert_eq!(compare(None, Some(&desired), &opts), Verdict::Extraneous);
    assert!(matches!(
        compare(None, None, &opts),
        Verdict::Unknown { .. }
    ));
    assert!(matches!(
        compare(Some(&json!([1])), Some(&desired), &opts),
        Verdict::Unknown { .. }
    ));
    let mut service = fixture("service-live.yaml");
    service["kind"] = json!("Deployment");
    let verdict = compare(
        Some(&fixture("service-desired.yaml")),
        Some(&service),
        &opts,
    );
    assert!(matches!(verdict, Verdict::Unknown { .. }), "{verdict:?}");
}

#[test]
fn verdict_serializes_paths_as_strings() {
    let desired = fixture("deployment-desired.yaml");
    let mut live = fixture("deployment-live.yaml");
    live["spec"]["replicas"] = json!(5);
    let verdict = compare(Some(&desired), Some(&live), &CompareOptions::default());
    assert_eq!(
        serde_json::to_value(&verdict).ok(),
        Some(json!({"status": "OutOfSync", "paths": ["spec.replicas"]}))
    );
    assert_eq!(verdict.label(), "OutOfSync");
    assert!(verdict.is_drift());
}

// ---------------------------------------------------------------- no false drift

#[test]
fn applied_deployment_with_defaults_status_and_managed_fields_is_synced() {
    let desired = fixture("deployment-desired.yaml");
    let live = fixture("deployment-live.yaml");
    assert_eq!(check_default(&desired, &live), Vec::<String>::new());
    // Same without the three-way record (two-way: desired ⊆ live).
    assert_eq!(
        check_default(&desired, &without_last_applied(live)),
        Vec::<String>::new()
    );
}

#[test]
fn quantities_compare_by_value() {
    let mut desired = fixture("deployment-desired.yaml");
    let live = fixture("deployment-live.yaml");
    // desired: requests cpu 0.5 / memory 1Gi, limits cpu "1" / memory 1024Mi;
    // live: 500m / 1Gi, "1" / 1Gi.
    assert_eq!(check_default(&desired, &live), Vec::<String>::new());
    web_container(&mut desired)["resources"]["limits"]["cpu"] = json!("1000m");
    web_container(&mut desired)["resources"]["requests"]["cpu"] = json!("500m");
    assert_eq!(check_default(&desired, &live), Vec::<String>::new());
    web_container(&mut desired)["resources"]["limits"]["memory"] = json!("1G");
    assert_eq!(
        check_default(&desired, &live),
        sorted(&["spec.template.spec.containers[name=web].resources.limits.memory"])
    );
}

#[test]
fn int_or_string_ports_compare_by_value() {
    let desired = fixture("service-desired.yaml"); // targetPort: "8080"
    let live = fixture("service-live.yaml"); // targetPort: 8080
    let paths = check_default(&desired, &live);
    assert!(!paths.iter().any(|p| p.contains("targetPort")), "{paths:?}");
}

#[test]
fn null_empty_and_absent_are_the_same() {
    let mut desired = fixture("deployment-desired.yaml");
    let live = fixture("deployment-live.yaml");
    desired["metadata"]["creationTimestamp"] = Value::Null;
    desired["spec"]["template"]["metadata"]["creationTimestamp"] = Value::Null;
    desired["spec"]["template"]["metadata"]["annotations"] = json!({});
    desired["spec"]["template"]["spec"]["nodeSelector"] = json!({});
    desired["spec"]["template"]["spec"]["tolerations"] = json!([]);
    desired["spec"]["template"]["spec"]["hostname"] = json!("");
    desired["spec"]["template"]["spec"]["securityContext"] = Value::Null;
    desired["status"] = json!({});
    web_container(&mut desired)["resources"]["claims"] = json!([]);
    assert_eq!(check_default(&desired, &live), Vec::<String>::new());
    // And the other way round: live nulls where desired is absent.
    let mut live = live;
    live["spec"]["template"]["spec"]["affinity"] = Value::Null;
    assert_eq!(
        check_default(&fixture("deployment-desired.yaml"), &live),
        Vec::<String>::new()
    );
}

#[test]
fn keyed_lists_ignore_order_and_default_protocol() {
    let desired = fixture("deployment-desired.yaml");
    let mut live = fixture("deployment-live.yaml");
    // The server may return keyed lists in another order.
    let Some(Value::Array(containers)) = live.pointer_mut("/spec/template/spec/containers") else {
        panic!("containers");
    };
    containers.reverse();
    let Some(Value::Array(env)) = live.pointer_mut("/spec/template/spec/containers/1/env") else {
        panic!("env");
    };
    env.reverse();
    assert_eq!(check_default(&desired, &live), Vec::<String>::new());
}

#[test]
fn service_ports_match_by_port_and_protocol() {
    let mut desired = fixture("service-desired.yaml");
    let live = without_ssa(fixture("service-live.yaml"));
    // Live has an extra `metrics` port Git does not list: an item in a keyed list Git sets.
    assert_eq!(
        check_default(&desired, &live),
        sorted(&["spec.ports[port=9090,protocol=TCP]"])
    );
    desired["spec"]["ports"]
        .as_array_mut()
        .into_iter()
        .for_each(|p| p.push(json!({"name": "metrics", "port": 9090, "targetPort": "9090"})));
    assert_eq!(check_default(&desired, &live), Vec::<String>::new());
    // A UDP port is not the TCP port with the same number.
    desired["spec"]["ports"][1]["protocol"] = json!("TCP");
    assert_eq!(
        check_default(&desired, &live),
        sorted(&[
            "spec.ports[port=53,protocol=TCP]",
            "spec.ports[port=53,protocol=UDP]"
        ])
    );
}

fn without_ssa(mut live: Value) -> Value {
    if let Some(Value::Object(metadata)) = live.get_mut("metadata") {
        metadata.shift_remove("managedFields");
    }
    live
}

#[test]
fn secret_string_data_matches_base64_data() {
    let desired = fixture("secret-desired.yaml");
    let live = fixture("secret-live.yaml");
    assert_eq!(check_default(&desired, &live), Vec::<String>::new());
    let mut changed = desired.clone();
    changed["stringData"]["password"] = json!("n3w-Pa55");
    let verdict = compare(Some(&changed), Some(&live), &CompareOptions::default());
    assert_eq!(paths_of(&verdict), vec!["data.password"]);
    assert_pair_matches_verdict(&changed, &live, &CompareOptions::default());
    // No value, plain or base64, ever appears in a verdict.
    let shown = format!(
        "{verdict:?} {}",
        serde_json::to_string(&verdict).unwrap_or_default()
    );
    for secret in ["n3w-Pa55", "s3cr3t-Pa55", "czNjcjN0LVBhNTU=", "c2hvcA=="] {
        assert!(!shown.contains(secret), "{shown}");
    }
}

#[test]
fn null_secret_data_equals_empty_string() {
    let desired = json!({"apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "db-credentials", "namespace": "shop"},
        "type": "Opaque", "data": {"optional": null}});
    let live = fixture("secret-live.yaml");
    assert_eq!(check_default(&desired, &live), Vec::<String>::new());
    let desired = json!({"apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "empty", "namespace": "shop"}, "data": null});
    let live = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "empty",
        "namespace": "shop", "uid": "1b2c", "resourceVersion": "10",
        "creationTimestamp": "2026-01-01T00:00:00Z"}, "type": "Opaque"});
    assert_eq!(check_default(&desired, &live), Vec::<String>::new());
}

#[test]
fn aggregated_cluster_role_rules_are_the_controllers() {
    let desired = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": {"name": "shop-viewer", "labels": {"app.kubernetes.io/part-of": "shop"}},
        "aggregationRule": {"clusterRoleSelectors": [
            {"matchLabels": {"rbac.shop.example.com/aggregate-to-viewer": "true"}}]},
        "rules": []});
    let live = fixture("clusterrole-aggregated-live.yaml");
    assert_eq!(check_default(&desired, &live), Vec::<String>::new());
    let (_, Some(projected)) =
        comparable_pair(Some(&desired), Some(&live), &CompareOptions::default())
    else {
        panic!("pair");
    };
    assert!(projected.get("rules").is_none());
}

#[test]
fn aggregation_added_only_live_brings_rules_that_are_drift() {
    let live = fixture("clusterrole-aggregated-live.yaml");
    // Git's role does not aggregate and has one rule; someone made it aggregate live.
    let desired = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": {"name": "shop-viewer", "labels": {"app.kubernetes.io/part-of": "shop"}},
        "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}]});
    assert!(check_default(&desired, &live).contains(&"rules".to_string()));
}

#[test]
fn a_namespace_on_a_cluster_scoped_object_in_git_is_not_drift() {
    // Helm charts often template `namespace:` onto every object; the API server drops it
    // from cluster-scoped ones, so it never appears live.
    let live = fixture("clusterrole-aggregated-live.yaml");
    let desired = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": {"name": "shop-viewer", "namespace": "shop",
                     "labels": {"app.kubernetes.io/part-of": "shop"}},
        "aggregationRule": {"clusterRoleSelectors": [
            {"matchLabels": {"rbac.shop.example.com/aggregate-to-viewer": "true"}}]}});
    assert_eq!(check_default(&desired, &live), Vec::<String>::new());
    // Namespaced objects still compare their namespace (as matched by identity).
    let mut desired = fixture("deployment-desired.yaml");
    let mut live = fixture("deployment-live.yaml");
    desired["metadata"]["namespace"] = json!("shop");
    assert_eq!(check_default(&desired, &live), Vec::<String>::new());
    live["metadata"]["namespace"] = json!("shop-canary");
    assert_eq!(
        check_default(&desired, &without_last_applied(live)),
        sorted(&["metadata.namespace"])
    );
}

/// A Service whose manifest leaves allocation to the server: `clusterIP: ""`, `nodePort: 0`.
fn service_pair_with_allocations() -> (Value, Value) {
    let desired = json!({"apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "edge", "namespace": "shop"},
        "spec": {"type": "NodePort", "clusterIP": "", "healthCheckNodePort": 0,
                 "selector": {"app.kubernetes.io/name": "edge"},
                 "ports": [{"name": "http", "port": 80, "targetPort": 8080, "nodePort": 0}]}});
    let applied = serde_json::to_string(&desired).unwrap_or_default();
    let live = json!({"apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "edge", "namespace": "shop", "uid": "6f1d2c3b-4a5e-4f60-8172-93a4b5c6d7e8",
                     "resourceVersion": "511203", "creationTimestamp": "2026-03-02T10:00:00Z",
                     "annotations": {"kubectl.kubernetes.io/last-applied-configuration": applied}},
        "spec": {"type": "NodePort", "clusterIP": "10.96.44.17", "clusterIPs": ["10.96.44.17"],
                 "externalTrafficPolicy": "Cluster", "internalTrafficPolicy": "Cluster",
                 "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack", "sessionAffinity": "None",
                 "selector": {"app.kubernetes.io/name": "edge"},
                 "ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080,
                            "nodePort": 31480}]},
        "status": {"loadBalancer": {}}});
    (desired, live)
}

#[test]
fn fields_the_server_allocates_are_not_drift_when_git_leaves_them_unset() {
    let (desired, live) = service_pair_with_allocations();
    assert_eq!(check_default(&desired, &live), Vec::<String>::new());
    assert_eq!(
        check_default(&desired, &without_last_applied(live.clone())),
        Vec::<String>::new()
    );
    // Git drops the lines it had applied as "": the server still owns what it allocated.
    let mut dropped = desired.clone();
    if let Some(spec) = dropped["spec"].as_object_mut() {
        spec.shift_remove("clusterIP");
        spec.shift_remove("healthCheckNodePort");
    }
    assert_eq!(check_default(&dropped, &live), Vec::<String>::new());
    // A fixed value in Git is still compared.
    let mut pinned = desired;
    pinned["spec"]["clusterIP"] = json!("10.96.0.10");
    pinned["spec"]["ports"][0]["nodePort"] = json!(30080);
    assert_eq!(
        check_default(&pinned, &without_last_applied(live)),
        sorted(&[
            "spec.clusterIP",
            "spec.ports[port=80,protocol=TCP].nodePort"
        ])
    );
}

#[test]
fn items_added_live_to_a_list_applied_empty_are_drift() {
    // Applied with `tolerations: []`, then `kubectl edit` added a toleration.
    let mut desired = fixture("deployment-desired.yaml");
    desired["spec"]["template"]["spec"]["tolerations"] = json!([]);
    let mut live = fixture("deployment-live.yaml");
    live["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] =
        json!(serde_json::to_string(&desired).unwrap_or_default());
    assert_eq!(check_default(&desired, &live), Vec::<String>::new());
    live["spec"]["template"]["spec"]["tolerations"] =
        json!([{"operator": "Exists", "effect": "NoSchedule"}]);
    assert_eq!(
        check_default(&desired, &live),
        sorted(&["spec.template.spec.tolerations"])
    );
    // Git removed the `tolerations: []` line since: still ours, still drift.
    let mut removed = desired.clone();
    if let Some(pod) = removed["spec"]["template"]["spec"].as_object_mut() {
        pod.shift_remove("tolerations");
    }
    assert_eq!(
        check_default(&removed, &live),
        sorted(&["spec.template.spec.tolerations"])
    );
    // Without a record of what was applied, an empty list in Git stays "don't care".
    assert_eq!(
        check_default(&desired, &without_last_applied(live)),
        Vec::<String>::new()
    );
}

#[test]
fn rbac_rules_added_live_to_a_role_applied_without_rules_are_drift() {
    let desired = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": {"name": "nothing-yet"}, "rules": []});
    let applied = serde_json::to_string(&desired).unwrap_or_default();
    let live = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": {"name": "nothing-yet", "uid": "0e1f2a3b-4c5d-4e6f-8a7b-9c0d1e2f3a4b",
                     "resourceVersion": "88120", "creationTimestamp": "2026-04-01T07:00:00Z",
                     "annotations": {"kubectl.kubernetes.io/last-applied-configuration": applied}},
        "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]});
    assert_eq!(check_default(&desired, &live), sorted(&["rules"]));
}

#[test]
fn a_key_repeated_in_last_applied_counts_once() {
    // Hand-edited annotations can repeat a key; like kubectl (Go's JSON), the last wins.
    let desired = fixture("deployment-desired.yaml");
    let mut live = fixture("deployment-live.yaml");
    live["metadata"]["labels"]["legacy"] = json!("true");
    let text = serde_json::to_string(&desired).unwrap_or_default();
    let repeated = text.replacen(
        "\"labels\":{",
        "\"labels\":{\"legacy\":\"false\",\"legacy\":\"true\",",
        1,
    );
    assert_ne!(repeated, text);
    live["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] =
        json!(repeated);
    assert_eq!(
        check_default(&desired, &live),
        sorted(&["metadata.labels.legacy"])
    );
}

#[test]
fn lists_others_append_to_stay_theirs_when_git_applied_them_empty() {
    // Finalizers added by a controller to an object applied with `finalizers: []`, and a
    // ServiceAccount's token secrets: not drift.
    let desired = json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "web-config", "namespace": "shop", "finalizers": []},
        "data": {"LOG_LEVEL": "info"}});
    let applied = serde_json::to_string(&desired).unwrap_or_default();
    let live = json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "web-config", "namespace": "shop",
                     "uid": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", "resourceVersion": "9931",
                     "creationTimestamp": "2026-04-01T07:00:00Z",
                     "finalizers": ["backup.example.com/protect"],
                     "annotations": {"kubectl.kubernetes.io/last-applied-configuration": applied}},
        "data": {"LOG_LEVEL": "info"}});
    assert_eq!(check_default(&desired, &live), Vec::<String>::new());
    let desired = json!({"apiVersion": "v1", "kind": "ServiceAccount",
        "metadata": {"name": "web", "namespace": "shop"}, "secrets": []});
    let applied = serde_json::to_string(&desired).unwrap_or_default();
    let live = json!({"apiVersion": "v1", "kind": "ServiceAccount",
        "metadata": {"name": "web", "namespace": "shop",
                     "uid": "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e", "resourceVersion": "9932",
                     "creationTimestamp": "2026-04-01T07:00:00Z",
                     "annotations": {"kubectl.kubernetes.io/last-applied-configuration": applied}},
        "secrets": [{"name": "web-token-x7k2p"}]});
    assert_eq!(check_default(&desired, &live), Vec::<String>::new());
}

#[test]
fn empty_rules_equal_null_rules_and_rules_compare_in_order() {
    let live = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": {"name": "nothing", "uid": "8d7e", "resourceVersion": "77",
                     "creationTimestamp": "2026-01-05T08:00:00Z"},
        "rules": null});
    let desired = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": {"name": "nothing"}, "rules": []});
    assert_eq!(check_default(&desired, &live), Vec::<String>::new());
    let mut live = fixture("clusterrole-aggregated-live.yaml");
    if let Some(map) = live.as_object_mut() {
        map.shift_remove("aggregationRule");
    }
    let mut desired = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": {"name": "shop-viewer"}, "rules": live["rules"].clone()});
    assert_eq!(check_default(&desired, &live), Vec::<String>::new());
    desired["rules"][1]["verbs"] = json!(["get", "list"]);
    assert_eq!(check_default(&desired, &live), sorted(&["rules[1].verbs"]));
}

#[test]
fn injected_ca_bundles_are_not_drift() {
    let webhook = json!({"apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "MutatingWebhookConfiguration",
        "metadata": {"name": "shop-defaulter",
                     "annotations": {"cert-manager.io/inject-ca-from": "shop/webhook-cert"}},
        "webhooks": [{"name": "default.shop.example.com", "admissionReviewVersions": ["v1"],
            "clientConfig": {"service": {"name": "shop-webhook", "namespace": "shop", "path": "/mutate"}},
            "failurePolicy": "Fail", "sideEffects": "None",
            "rules": [{"apiGroups": ["shop.example.com"], "apiVersions": ["v1"],
                       "operations": ["CREATE", "UPDATE"], "resources": ["orders"]}]}]});
    assert_eq!(
        check_default(&webhook, &fixture("webhook-live.yaml")),
        Vec::<String>::new()
    );
    let mut validating = webhook.clone();
    validating["kind"] = json!("ValidatingWebhookConfiguration");
    let mut validating_live = fixture("webhook-live.yaml");
    validating_live["kind"] = json!("ValidatingWebhookConfiguration");
    if let Some(Value::Object(hook)) = validating_live.pointer_mut("/webhooks/0") {
        hook.shift_remove("reinvocationPolicy");
    }
    assert_eq!(
        check_default(&validating, &validating_live),
        Vec::<String>::new()
    );

    let apiservice = json!({"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
        "metadata": {"name": "v1beta1.metrics.k8s.io", "labels": {"k8s-app": "metrics-server"}},
        "spec": {"group": "metrics.k8s.io", "version": "v1beta1", "groupPriorityMinimum": 100,
                 "versionPriority": 100, "insecureSkipTLSVerify": false,
                 "service": {"name": "metrics-server", "namespace": "kube-system"}}});
    assert_eq!(
        check_default(&apiservice, &fixture("apiservice-live.yaml")),
        Vec::<String>::new()
    );

    let crd_live = fixture("crd-conversion-live.yaml");
    let mut crd = crd_live.clone();
    if let Some(Value::Object(client)) = crd.pointer_mut("/spec/conversion/webhook/clientConfig") {
        client.shift_remove("caBundle");
    }
    if let Some(map) = crd.as_object_mut() {
        map.shift_remove("status");
    }
    assert_eq!(check_default(&crd, &crd_live), Vec::<String>::new());
}

#[test]
fn token_controller_secrets_on_service_accounts_are_not_drift() {
    let desired = json!({"apiVersion": "v1", "kind": "ServiceAccount",
        "metadata": {"name": "web", "namespace": "shop"},
        "imagePullSecrets": [{"name": "registry-pull"}]});
    let live = fixture("serviceaccount-live.yaml");
    assert_eq!(check_default(&desired, &live), Vec::<String>::new());
    let mut with_secret = desired.clone();
    with_secret["secrets"] = json!([{"name": "web-extra"}]);
    assert_eq!(
        check_default(&with_secret, &live),
        sorted(&["secrets[name=web-extra]"])
    );
    // Extra imagePullSecrets are not controller-added: drift.
    let mut live_extra = live.clone();
    live_extra["imagePullSecrets"]
        .as_array_mut()
        .into_iter()
        .for_each(|s| s.push(json!({"name": "someone-elses"})));
    assert_eq!(
        check_default(&desired, &live_extra),
        sorted(&["imagePullSecrets[name=someone-elses]"])
    );
}

#[test]
fn endpoints_subsets_compare_in_any_order() {
    let desired = json!({"apiVersion": "v1", "kind": "Endpoints",
        "metadata": {"name": "external-db", "namespace": "shop"},
        "subsets": [
            {"addresses": [{"ip": "10.20.1.5"}], "ports": [{"name": "metrics", "port": 9187}]},
            {"addresses": [{"ip": "10.20.0.11"}, {"ip": "10.20.0.10"}],
             "ports": [{"name": "postgres", "port": 5432}]}]});
    let live = fixture("endpoints-live.yaml");
    assert_eq!(check_default(&desired, &live), Vec::<String>::new());
    let mut moved = desired.clone();
    moved["subsets"][0]["addresses"][0]["ip"] = json!("10.20.1.6");
    assert_eq!(check_default(&moved, &live), sorted(&["subsets"]));
    let mut extra = live.clone();
    extra["subsets"]
        .as_array_mut()
        .into_iter()
        .for_each(|s| s.push(json!({"addresses": [{"ip": "10.20.2.1"}], "ports": [{"port": 1}]})));
    assert_eq!(check_default(&desired, &extra), sorted(&["subsets"]));
}

#[test]
fn server_owned_metadata_and_annotations_are_not_drift() {
    let mut desired = fixture("deployment-desired.yaml");
    let mut live = fixture("deployment-live.yaml");
    live["metadata"]["ownerReferences"] = json!([{"apiVersion": "shop.example.com/v1",
        "kind": "Storefront", "name": "main", "uid": "aa11", "controller": true}]);
    live["metadata"]["selfLink"] = json!("/apis/apps/v1/namespaces/shop/deployments/web");
    live["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = json!("8");
    live["metadata"]["labels"]["added-by-someone"] = json!("x");
    assert_eq!(check_default(&desired, &live), Vec::<String>::new());
    // Desired exported with server fields (e.g. copied from a cluster) still compares clean.
    desired["metadata"]["uid"] = json!("ffff");
    desired["metadata"]["resourceVersion"] = json!("1");
    desired["status"] = json!({"replicas": 1});
    assert_eq!(check_default(&desired, &live), Vec::<String>::new());
}

// ---------------------------------------------------------------- must detect

#[test]
fn detects_changed_replicas_image_and_env() {
    let desired = fixture("deployment-desired.yaml");
    let mut live = fixture("deployment-live.yaml");
    live["spec"]["replicas"] = json!(1);
    web_container(&mut live)["image"] = json!("registry.example.com/shop/web:1.4.3-hotfix");
    web_container(&mut live)["env"][0]["value"] = json!("text");
    assert_eq!(
        check_default(&desired, &live),
        sorted(&[
            "spec.replicas",
            "spec.template.spec.containers[name=web].image",
            "spec.template.spec.containers[name=web].env[name=LOG_FORMAT].value",
        ])
    );
}

#[test]
fn detects_added_and_removed_containers() {
    let desired = fixture("deployment-desired.yaml");
    // Added live (kubectl edit): an item in a keyed list Git sets.
    let mut live = fixture("deployment-live.yaml");
    live["spec"]["template"]["spec"]["containers"]
        .as_array_mut()
        .into_iter()
        .for_each(|c| {
            c.push(json!({"name": "debug", "image": "busybox:1.36",
            "imagePullPolicy": "IfNotPresent", "terminationMessagePath": "/dev/termination-log",
            "terminationMessagePolicy": "File", "resources": {}}))
        });
    // Without a record of our last apply (two-way), it is drift.
    assert_eq!(
        check_default(&desired, &without_last_applied(live.clone())),
        sorted(&["spec.template.spec.containers[name=debug]"])
    );
    // Three-way (live carries last-applied): `kubectl apply` keeps a container it never
    // applied (containers is a strategic-merge list), so re-applying Git would not remove it.
    assert_eq!(check_default(&desired, &live), sorted(&[]));
    // Removed from Git since the last apply (three-way via last-applied).
    let mut removed = desired.clone();
    removed["spec"]["template"]["spec"]["containers"]
        .as_array_mut()
        .into_iter()
        .for_each(|c| c.retain(|c| c["name"] != "metrics"));
    let live = fixture("deployment-live.yaml");
    assert_eq!(
        check_default(&removed, &live),
        sorted(&["spec.template.spec.containers[name=metrics]"])
    );
    // Missing live.
    let mut live_missing = fixture("deployment-live.yaml");
    live_missing["spec"]["template"]["spec"]["containers"]
        .as_array_mut()
        .into_iter()
        .for_each(|c| c.retain(|c| c["name"] != "metrics"));
    assert_eq!(
        check_default(&desired, &without_last_applied(live_missing)),
        sorted(&["spec.template.spec.containers[name=metrics]"])
    );
}

#[test]
fn detects_managed_label_and_annotation_changes() {
    let live = fixture("deployment-live.yaml");
    // Added in Git, not live.
    let mut desired = fixture("deployment-desired.yaml");
    desired["metadata"]["labels"]["app.kubernetes.io/version"] = json!("1.4.2");
    assert_eq!(
        check_default(&desired, &live),
        sorted(&[r#"metadata.labels["app.kubernetes.io/version"]"#])
    );
    // Changed live.
    let desired = fixture("deployment-desired.yaml");
    let mut changed = live.clone();
    changed["metadata"]["annotations"]["owner"] = json!("someone-else");
    assert_eq!(
        check_default(&desired, &changed),
        sorted(&["metadata.annotations.owner"])
    );
    // Removed from Git, still live (three-way).
    let mut removed = desired.clone();
    if let Some(Value::Object(labels)) = removed.pointer_mut("/metadata/labels") {
        labels.shift_remove("team");
    }
    if let Some(Value::Object(metadata)) = removed.get_mut("metadata") {
        metadata.shift_remove("annotations");
    }
    assert_eq!(
        check_default(&removed, &live),
        sorted(&["metadata.annotations.owner", "metadata.labels.team"])
    );
    // Without a three-way record a label only live has is not ours: no drift.
    assert_eq!(
        check_default(&removed, &without_last_applied(live)),
        Vec::<String>::new()
    );
}

#[test]
fn detects_fields_removed_from_git_since_last_apply() {
    let live = fixture("deployment-live.yaml");
    let mut desired = fixture("deployment-desired.yaml");
    if let Some(Value::Object(web)) = desired.pointer_mut("/spec/template/spec/containers/0") {
        web.shift_remove("args");
        web.shift_remove("readinessProbe");
    }
    if let Some(Value::Object(spec)) = desired.get_mut("spec") {
        spec.shift_remove("replicas");
    }
    assert_eq!(
        check_default(&desired, &live),
        sorted(&[
            "spec.replicas",
            "spec.template.spec.containers[name=web].args",
            "spec.template.spec.containers[name=web].readinessProbe.httpGet.path",
            "spec.template.spec.containers[name=web].readinessProbe.httpGet.port",
        ])
    );
}

#[test]
fn defaulted_fields_are_not_removed_from_git_in_three_way_mode() {
    // Live carries strategy/revisionHistoryLimit/dnsPolicy/imagePullPolicy/... which are not
    // in last-applied: they are the server's, not "removed from Git".
    let desired = fixture("deployment-desired.yaml");
    let live = fixture("deployment-live.yaml");
    let (_, Some(projected)) =
        comparable_pair(Some(&desired), Some(&live), &CompareOptions::default())
    else {
        panic!("pair");
    };
    for absent in [
        "/spec/strategy",
        "/spec/revisionHistoryLimit",
        "/spec/progressDeadlineSeconds",
        "/spec/template/spec/dnsPolicy",
        "/spec/template/spec/schedulerName",
        "/status",
        "/metadata/uid",
        "/metadata/managedFields",
    ] {
        assert!(projected.pointer(absent).is_none(), "{absent} projected");
    }
    assert_eq!(check_default(&desired, &live), Vec::<String>::new());
}

#[test]
fn non_keyed_lists_compare_in_order() {
    let desired = fixture("deployment-desired.yaml");
    let mut live = fixture("deployment-live.yaml");
    web_container(&mut live)["args"] = json!(["--log-level=info", "--port=8080"]);
    assert_eq!(
        check_default(&desired, &live),
        sorted(&[
            "spec.template.spec.containers[name=web].args[0]",
            "spec.template.spec.containers[name=web].args[1]",
        ])
    );
    let mut selector = fixture("deployment-desired.yaml");
    selector["spec"]["selector"] = json!({"matchExpressions": [
        {"key": "tier", "operator": "In", "values": ["web", "api"]}]});
    let mut live = fixture("deployment-live.yaml");
    live["spec"]["selector"] = json!({"matchExpressions": [
        {"key": "tier", "operator": "In", "values": ["api", "web"]}]});
    assert_eq!(
        check_default(&selector, &without_last_applied(live)),
        sorted(&[
            "spec.selector.matchExpressions[0].values[0]",
            "spec.selector.matchExpressions[0].values[1]",
        ])
    );
}

// ---------------------------------------------------------------- server-side apply (managedFields)

#[test]
fn managed_fields_of_our_manager_drive_three_way() {
    let desired = fixture("service-desired.yaml");
    let live = fixture("service-live.yaml");
    // `legacy` label and the 9090 port were applied by kubedrift and are gone from Git.
    assert_eq!(
        check_default(&desired, &live),
        sorted(&[
            "metadata.labels.legacy",
            "spec.ports[port=9090,protocol=TCP]"
        ])
    );
    // Another field manager name: only the two-way rule (extra keyed item) applies.
    let opts = CompareOptions {
        field_manager: "argocd-controller",
        ..CompareOptions::default()
    };
    assert_eq!(
        check(&desired, &live, &opts),
        sorted(&["spec.ports[port=9090,protocol=TCP]"])
    );
}

#[test]
fn ssa_deployment_container_removed_from_git_is_drift() {
    let mut live = fixture("deployment-live.yaml");
    let live = {
        live = without_last_applied(live);
        live["metadata"]["managedFields"] = json!([{
            "apiVersion": "apps/v1", "fieldsType": "FieldsV1", "manager": "kubedrift",
            "operation": "Apply", "time": "2026-03-02T09:14:27Z",
            "fieldsV1": {"f:metadata": {"f:labels": {"f:app.kubernetes.io/name": {}, "f:team": {}}},
                "f:spec": {"f:replicas": {}, "f:template": {"f:spec": {"f:containers": {
                    "k:{\"name\":\"web\"}": {".": {}, "f:name": {}, "f:image": {}},
                    "k:{\"name\":\"metrics\"}": {".": {}, "f:name": {}, "f:image": {}}}}}}}}]);
        live
    };
    let mut desired = fixture("deployment-desired.yaml");
    desired["spec"]["template"]["spec"]["containers"]
        .as_array_mut()
        .into_iter()
        .for_each(|c| c.retain(|c| c["name"] != "metrics"));
    if let Some(Value::Object(labels)) = desired.pointer_mut("/metadata/labels") {
        labels.shift_remove("team");
    }
    assert_eq!(
        check_default(&desired, &live),
        sorted(&[
            "metadata.labels.team",
            "spec.template.spec.containers[name=metrics]"
        ])
    );
}

// ---------------------------------------------------------------- ignore rules

#[test]
fn ignore_rules_remove_paths_from_both_sides() {
    let desired = fixture("deployment-desired.yaml");
    let mut live = fixture("deployment-live.yaml");
    live["spec"]["replicas"] = json!(7); // an HPA scaled it
    web_container(&mut live)["image"] = json!("registry.example.com/shop/web:canary");
    live["metadata"]["labels"]["app.kubernetes.io/name"] = json!("renamed");
    let rules = vec![IgnoreRule {
        group: Some("apps".into()),
        kind: Some("Deployment".into()),
        json_pointers: vec![
            "/spec/replicas".into(),
            "/spec/template/spec/containers/0/image".into(),
            "/metadata/labels/app.kubernetes.io~1name".into(),
        ],
        ..IgnoreRule::default()
    }];
    let opts = CompareOptions {
        ignore: &rules,
        ..CompareOptions::default()
    };
    assert_eq!(check(&desired, &live, &opts), Vec::<String>::new());
    let (Some(d), Some(l)) = comparable_pair(Some(&desired), Some(&live), &opts) else {
        panic!("pair");
    };
    for side in [&d, &l] {
        assert!(side.pointer("/spec/replicas").is_none());
        assert!(side
            .pointer("/metadata/labels/app.kubernetes.io~1name")
            .is_none());
    }
    // A rule for another target does nothing.
    let other = vec![IgnoreRule {
        kind: Some("StatefulSet".into()),
        json_pointers: vec!["/spec/replicas".into()],
        ..IgnoreRule::default()
    }];
    let opts = CompareOptions {
        ignore: &other,
        ..CompareOptions::default()
    };
    let paths = check(&desired, &live, &opts);
    assert!(paths.contains(&"spec.replicas".to_string()), "{paths:?}");
    // Namespace targets.
    let scoped = vec![IgnoreRule {
        namespace: Some("other".into()),
        json_pointers: vec!["/spec/replicas".into()],
        ..IgnoreRule::default()
    }];
    let opts = CompareOptions {
        ignore: &scoped,
        ..CompareOptions::default()
    };
    assert!(check(&desired, &live, &opts).contains(&"spec.replicas".to_string()));
}

#[test]
fn ignore_rules_reach_into_ordered_lists() {
    let desired = fixture("deployment-desired.yaml");
    let mut live = fixture("deployment-live.yaml");
    web_container(&mut live)["args"][1] = json!("--log-level=debug");
    let rules = vec![IgnoreRule {
        name: Some("web".into()),
        json_pointers: vec!["/spec/template/spec/containers/0/args/1".into()],
        ..IgnoreRule::default()
    }];
    let opts = CompareOptions {
        ignore: &rules,
        ..CompareOptions::default()
    };
    assert_eq!(check(&desired, &live, &opts), Vec::<String>::new());
    assert_eq!(
        check_default(&desired, &live),
        sorted(&["spec.template.spec.containers[name=web].args[1]"])
    );
}

#[test]
fn ignore_rules_also_hide_three_way_removals() {
    let live = fixture("service-live.yaml");
    let desired = fixture("service-desired.yaml");
    let rules = vec![IgnoreRule {
        json_pointers: vec!["/metadata/labels/legacy".into(), "/spec/ports/2".into()],
        ..IgnoreRule::default()
    }];
    let opts = CompareOptions {
        ignore: &rules,
        ..CompareOptions::default()
    };
    assert_eq!(check(&desired, &live, &opts), Vec::<String>::new());
}

#[test]
fn invalid_pointers_do_not_panic_compare() {
    let rules = vec![IgnoreRule {
        json_pointers: vec!["spec/replicas".into(), "/a~9".into(), String::new()],
        ..IgnoreRule::default()
    }];
    assert!(rules[0].validate().is_err());
    let opts = CompareOptions {
        ignore: &rules,
        ..CompareOptions::default()
    };
    let desired = fixture("deployment-desired.yaml");
    let live = fixture("deployment-live.yaml");
    assert_eq!(compare(Some(&desired), Some(&live), &opts), Verdict::Synced);
}

// ---------------------------------------------------------------- normalize

#[test]
fn normalize_is_idempotent_on_every_fixture() {
    for name in [
        "deployment-desired.yaml",
        "deployment-live.yaml",
        "service-desired.yaml",
        "service-live.yaml",
        "secret-desired.yaml",
        "secret-live.yaml",
        "clusterrole-aggregated-live.yaml",
        "webhook-live.yaml",
        "serviceaccount-live.yaml",
        "endpoints-live.yaml",
        "apiservice-live.yaml",
        "crd-conversion-live.yaml",
    ] {
        let once = normalize(&fixture(name));
        assert_eq!(normalize(&once), once, "{name}");
    }
}

// ---------------------------------------------------------------- properties

fn arb_key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "containers", "ports", "name", "protocol", "containerPort", "port", "targetPort",
            "limits", "requests", "cpu", "memory", "env", "value", "data", "subsets",
            "addresses", "ip", "rules", "aggregationRule", "secrets", "metadata", "annotations",
            "labels", "spec", "status", "volumeMounts", "mountPath", "args", "maxSurge", "uid",
            "managedFields", "conditions", "type",
            // Fields the server defaults (three-way: applied explicitly, dropped from Git).
            "template", "imagePullPolicy", "image", "dnsPolicy", "sessionAffinity",
            "revisionHistoryLimit", "terminationMessagePolicy", "readinessProbe",
            "periodSeconds",
        ])
        .prop_map(str::to_string),
        1 => "[a-z]{1,6}",
    ]
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        prop::sample::select(vec![1i64, 3, 10, 30, 420, 600]).prop_map(Value::from),
        (-1.0e6f64..1.0e6).prop_map(Value::from),
        "[a-zA-Z0-9 .:/_=-]{0,10}".prop_map(Value::from),
        prop::sample::select(vec![
            "1000m",
            "1",
            "0.5",
            "500m",
            "1Gi",
            "1024Mi",
            "1G",
            "8080",
            "TCP",
            "UDP",
            "",
            "web",
            "Zm9v",
            "1e3",
            "-1",
            "0",
            "25%",
            "1.0",
            "08080",
            "1E",
            "1e400",
            "IfNotPresent",
            "Always",
            "ClusterFirst",
            "None",
            "ClusterIP",
            "File",
        ])
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(5, 96, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((arb_key(), inner), 0..6)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

/// An arbitrary object of a kind the engine has special rules for.
fn arb_object() -> impl Strategy<Value = Value> {
    let kinds = prop::sample::select(vec![
        ("apps/v1", "Deployment"),
        ("v1", "Service"),
        ("v1", "Secret"),
        ("v1", "Endpoints"),
        ("v1", "ServiceAccount"),
        ("rbac.authorization.k8s.io/v1", "ClusterRole"),
        ("v1", "LimitRange"),
        ("v1", "ConfigMap"),
    ]);
    (
        kinds,
        prop::collection::vec((arb_key(), arb_json()), 0..6),
        "[a-z]{1,8}",
    )
        .prop_map(|((api_version, kind), fields, name)| {
            let mut map: Map<String, Value> = fields.into_iter().collect();
            map.insert("apiVersion".into(), json!(api_version));
            map.insert("kind".into(), json!(kind));
            let metadata = map.entry("metadata").or_insert_with(|| json!({}));
            if !metadata.is_object() {
                *metadata = json!({});
            }
            metadata["name"] = json!(name);
            Value::Object(map)
        })
}

/// Every JSON pointer inside `value` (not the root).
fn pointers(value: &Value, prefix: &str, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let pointer = format!("{prefix}/{}", key.replace('~', "~0").replace('/', "~1"));
                out.push(pointer.clone());
                pointers(child, &pointer, out);
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                let pointer = format!("{prefix}/{index}");
                out.push(pointer.clone());
                pointers(child, &pointer, out);
            }
        }
        _ => {}
    }
}

/// `value` with each edit applied: replace (or delete) the value at a chosen pointer.
/// Identity (apiVersion, kind, metadata.name) is kept.
fn edited(value: &Value, edits: &[(prop::sample::Index, Value, bool)]) -> Value {
    let mut out = value.clone();
    for (index, replacement, delete) in edits {
        let mut all = Vec::new();
        pointers(&out, "", &mut all);
        all.retain(|p| {
            !matches!(
                p.as_str(),
                "/apiVersion" | "/kind" | "/metadata" | "/metadata/name"
            )
        });
        if all.is_empty() {
            continue;
        }
        let pointer = index.get(&all).clone();
        if *delete {
            let (parent, last) = pointer.rsplit_once('/').unwrap_or(("", ""));
            match out.pointer_mut(parent) {
                Some(Value::Object(map)) => {
                    map.shift_remove(&last.replace("~1", "/").replace("~0", "~"));
                }
                Some(Value::Array(items)) => {
                    if let Ok(i) = last.parse::<usize>() {
                        if i < items.len() {
                            items.remove(i);
                        }
                    }
                }
                _ => {}
            }
        } else if let Some(slot) = out.pointer_mut(&pointer) {
            *slot = replacement.clone();
        }
    }
    out
}

/// The managedFields `fieldsV1` set server-side apply records for an applied object.
pub(crate) fn fields_v1(kind: &str, field: &str, value: &Value) -> Value {
    use kubedrift_core::engine::schema::{list_kind, ItemKey, ListKind};
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (format!("f:{k}"), fields_v1(kind, k, v)))
                .collect(),
        ),
        Value::Array(items) => match list_kind(kind, field, items) {
            ListKind::Keyed(spec) => {
                let mut out = Map::new();
                for item in items {
                    if let Some(key) = ItemKey::of(spec, item) {
                        let fields: Map<String, Value> = key.to_fields().into_iter().collect();
                        let mut entry = fields_v1(kind, field, item);
                        if let Value::Object(entry) = &mut entry {
                            entry.insert(".".into(), json!({}));
                        }
                        out.insert(format!("k:{}", Value::Object(fields)), entry);
                    }
                }
                Value::Object(out)
            }
            _ => json!({}),
        },
        _ => json!({}),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn prop_quantity_canonical_form_is_exact(
        text in "[+-]?[0-9]{0,6}(\\.[0-9]{0,4})?(n|u|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|e[0-9]|E-[0-9])?",
        junk in "\\PC{0,12}",
        n in 0u64..1_000_000,
    ) {
        let _ = quantity::parse(&junk);
        if let Ok(q) = quantity::parse(&text) {
            let canonical = q.to_string();
            prop_assert_eq!(quantity::parse(&canonical).ok(), Some(q), "{} -> {}", text, canonical);
        }
        // Exact binary and decimal scaling, no float rounding.
        let binary = quantity::same_quantity(&format!("{n}Ki"), &(n * 1024).to_string());
        let milli = quantity::same_quantity(&format!("{n}m"), &format!("{}.{:03}", n / 1000, n % 1000));
        let kilo = quantity::same_quantity(&format!("{n}k"), &format!("{n}e3"));
        let mebi_is_not_mega = quantity::same_quantity(&format!("{n}Mi"), &format!("{n}M"));
        prop_assert!(binary && milli && kilo);
        prop_assert_eq!(mebi_is_not_mega, n == 0);
    }

    #[test]
    fn prop_normalize_is_idempotent(value in arb_json(), object in arb_object()) {
        let once = normalize(&value);
        prop_assert_eq!(normalize(&once), once);
        let once = normalize(&object);
        prop_assert_eq!(normalize(&once), once);
    }

    #[test]
    fn prop_no_panic_on_arbitrary_input(
        a in arb_json(),
        b in arb_json(),
        o in arb_object(),
        pointers in prop::collection::vec(
            prop::collection::vec(prop_oneof![arb_key(), "[0-9]{1,2}", "~[0-9]?"], 0..5)
                .prop_map(|tokens| format!("/{}", tokens.join("/"))),
            0..3,
        ),
    ) {
        let rules = vec![IgnoreRule { json_pointers: pointers, ..IgnoreRule::default() }];
        let _ = rules[0].validate();
        let opts = CompareOptions { ignore: &rules, ..CompareOptions::default() };
        let _ = normalize(&a);
        let _ = compare(Some(&a), Some(&b), &opts);
        let _ = compare(Some(&o), Some(&a), &opts);
        let _ = compare(Some(&a), Some(&o), &opts);
        let _ = comparable_pair(Some(&a), Some(&b), &opts);
        let _ = comparable_pair(Some(&o), Some(&a), &opts);
    }

    /// On any pair of objects of one kind, the display pair shows exactly the verdict's paths.
    #[test]
    fn prop_pair_matches_verdict_on_arbitrary_objects(desired in arb_object(), live in arb_object()) {
        let mut live = live;
        if let Some(map) = live.as_object_mut() {
            map.shift_remove("stringData");
            map.insert("kind".into(), desired["kind"].clone());
            map.insert("apiVersion".into(), desired["apiVersion"].clone());
        }
        assert_pair_matches_verdict(&desired, &live, &CompareOptions::default());
    }

    /// Same, on live objects made from desired by random edits (and a last-applied record
    /// or our managedFields entry made from desired by other random edits).
    #[test]
    fn prop_pair_matches_verdict_after_random_edits(
        desired in arb_object(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), arb_json(), any::<bool>()), 1..4),
        applied_edits in prop::collection::vec((any::<prop::sample::Index>(), arb_json(), any::<bool>()), 0..3),
        three_way in 0u8..3,
        applied_from_live in any::<bool>(),
    ) {
        let mut desired = desired;
        if let Some(map) = desired.as_object_mut() {
            map.shift_remove("stringData");
        }
        let mut live = edited(&desired, &edits);
        if three_way != 0 {
            let applied = edited(if applied_from_live { &live } else { &desired }, &applied_edits);
            if !live["metadata"].is_object() {
                live["metadata"] = json!({"name": desired["metadata"]["name"].clone()});
            }
            if three_way == 1 {
                let text = serde_json::to_string(&applied).unwrap_or_default();
                live["metadata"]["annotations"] =
                    json!({"kubectl.kubernetes.io/last-applied-configuration": text});
            } else {
                let kind = applied["kind"].as_str().unwrap_or("");
                live["metadata"]["managedFields"] = json!([{
                    "manager": "kubedrift", "operation": "Apply", "apiVersion": "v1",
                    "fieldsType": "FieldsV1", "time": "2026-03-02T09:14:27Z",
                    "fieldsV1": fields_v1(kind, "", &applied)}]);
            }
        }
        assert_pair_matches_verdict(&desired, &live, &CompareOptions::default());
    }

    /// Objects as the server returns them (the server never returns write-only `stringData`).
    #[test]
    fn prop_object_compared_with_itself_is_synced(object in arb_object()) {
        let mut object = object;
        if let Some(map) = object.as_object_mut() {
            map.shift_remove("stringData");
        }
        let verdict = compare(Some(&object), Some(&object), &CompareOptions::default());
        prop_assert_eq!(verdict, Verdict::Synced);
    }

    /// Hand-written defaulted fixtures: the same edit made in Git and applied to the
    /// cluster (live keeps its defaults, status and managedFields) stays Synced, with the
    /// last-applied record kept in step or dropped.
    #[test]
    fn prop_same_edit_on_both_sides_is_synced(
        replicas in 0u64..50,
        image in "[a-z0-9.:/-]{1,30}",
        log_format in "[a-z]{0,8}",
        cpu in prop::sample::select(vec![("0.25", "250m"), ("2", "2000m"), ("1.5", "1500m")]),
        memory in prop::sample::select(vec![("512Mi", "0.5Gi"), ("2Gi", "2048Mi"), ("1G", "1000M")]),
        three_way in any::<bool>(),
    ) {
        let mut desired = fixture("deployment-desired.yaml");
        let mut live = fixture("deployment-live.yaml");
        desired["spec"]["replicas"] = json!(replicas);
        live["spec"]["replicas"] = json!(replicas);
        for (obj, cpu, memory) in [(&mut desired, cpu.0, memory.0), (&mut live, cpu.1, memory.1)] {
            let web = web_container(obj);
            web["image"] = json!(image);
            web["env"][0]["value"] = json!(log_format);
            web["resources"]["requests"]["cpu"] = json!(cpu);
            web["resources"]["limits"]["memory"] = json!(memory);
        }
        if three_way {
            live["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] =
                json!(serde_json::to_string(&desired).unwrap_or_default());
        } else {
            live = without_last_applied(live);
        }
        prop_assert_eq!(check_default(&desired, &live), Vec::<String>::new());
    }

    #[test]
    fn prop_changed_image_is_exactly_that_path(
        which in 0usize..2,
        image in "[a-z0-9.:/-]{1,30}",
    ) {
        let desired = fixture("deployment-desired.yaml");
        let mut live = fixture("deployment-live.yaml");
        let name = if which == 0 { "web" } else { "metrics" };
        let Some(Value::Array(containers)) = live.pointer_mut("/spec/template/spec/containers")
        else { panic!("containers") };
        let Some(container) = containers.iter_mut().find(|c| c["name"] == name) else {
            panic!("container");
        };
        prop_assume!(container["image"] != json!(image));
        container["image"] = json!(image);
        let want = vec![format!("spec.template.spec.containers[name={name}].image")];
        prop_assert_eq!(check_default(&desired, &live), want);
    }

    #[test]
    fn prop_changed_replicas_is_exactly_that_path(replicas in 0u64..1000, three_way in any::<bool>()) {
        prop_assume!(replicas != 3);
        let desired = fixture("deployment-desired.yaml");
        let mut live = fixture("deployment-live.yaml");
        if !three_way {
            live = without_last_applied(live);
        }
        live["spec"]["replicas"] = json!(replicas);
        prop_assert_eq!(check_default(&desired, &live), vec!["spec.replicas".to_string()]);
    }

    #[test]
    fn prop_generated_deployments_detect_changed_replicas(
        desired in arb_deployment(), delta in 1u64..5
    ) {
        let mut live = desired.clone();
        let replicas = desired["spec"]["replicas"].as_u64().unwrap_or(0);
        live["spec"]["replicas"] = json!(replicas + delta);
        prop_assert_eq!(check_default(&desired, &live), vec!["spec.replicas".to_string()]);
    }
}

#[test]
fn a_secret_manifest_with_string_data_compared_with_itself_is_synced() {
    // Found through `kubedrift compare DIR DIR`: the live side may itself be a manifest (or
    // come from a server that kept `stringData`); it folds like desired.
    let secret = json!({"apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "db", "namespace": "shop"}, "type": "Opaque",
        "stringData": {"DB_PASSWORD": "correct-horse-battery-staple"}});
    assert_eq!(check_default(&secret, &secret), Vec::<String>::new());
    let mut rotated = secret.clone();
    rotated["stringData"]["DB_PASSWORD"] = json!("rotated");
    assert_eq!(
        check_default(&secret, &rotated),
        vec!["data.DB_PASSWORD".to_string()]
    );
}

// ---------------------------------------------------------------- review fixes

/// A ConfigMap as the API server returns it after Argo CD applied it with client-side apply
/// (label tracking plus the tracking-id annotation, both added to the applied manifest).
fn argocd_applied_config_map(extra_applied_label: Option<(&str, &str)>) -> Value {
    let mut applied_labels = json!({
        "app.kubernetes.io/instance": "web",
        "app.kubernetes.io/name": "web",
        "kubedrift.io/env": "prod"
    });
    if let Some((key, value)) = extra_applied_label {
        applied_labels[key] = json!(value);
    }
    let applied = json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "annotations": {
                "argocd.argoproj.io/tracking-id": "web:/ConfigMap:shop/web-config"
            },
            "labels": applied_labels,
            "name": "web-config",
            "namespace": "shop"
        },
        "data": {"LOG_LEVEL": "info"}
    });
    json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "annotations": {
                "argocd.argoproj.io/tracking-id": "web:/ConfigMap:shop/web-config",
                "kubectl.kubernetes.io/last-applied-configuration": applied.to_string()
            },
            "creationTimestamp": "2026-03-02T09:14:27Z",
            "labels": applied_labels,
            "managedFields": [{
                "apiVersion": "v1",
                "fieldsType": "FieldsV1",
                "fieldsV1": {
                    "f:data": {".": {}, "f:LOG_LEVEL": {}},
                    "f:metadata": {
                        "f:annotations": {".": {},
                            "f:argocd.argoproj.io/tracking-id": {},
                            "f:kubectl.kubernetes.io/last-applied-configuration": {}},
                        "f:labels": {".": {}, "f:app.kubernetes.io/instance": {},
                            "f:app.kubernetes.io/name": {}, "f:kubedrift.io/env": {}}
                    }
                },
                "manager": "argocd-controller",
                "operation": "Update",
                "time": "2026-03-02T09:14:27Z"
            }],
            "name": "web-config",
            "namespace": "shop",
            "resourceVersion": "48211",
            "uid": "6f1c2a8e-3b7d-4c55-9a1e-0d2f4b6a8c11"
        },
        "data": {"LOG_LEVEL": "info"}
    })
}

#[test]
fn argocd_tracking_marks_in_last_applied_are_not_removed_from_git() {
    let desired = json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "web-config", "namespace": "shop",
                     "labels": {"app.kubernetes.io/name": "web"}},
        "data": {"LOG_LEVEL": "info"}
    });
    assert_eq!(
        check_default(&desired, &argocd_applied_config_map(None)),
        Vec::<String>::new()
    );
    // Git without any labels: the whole labels map was "removed" except the marks.
    let mut bare = desired.clone();
    if let Some(Value::Object(metadata)) = bare.get_mut("metadata") {
        metadata.shift_remove("labels");
    }
    assert_eq!(
        check_default(&bare, &argocd_applied_config_map(None)),
        sorted(&["metadata.labels[\"app.kubernetes.io/name\"]"])
    );
    // A real label removed from Git is still drift.
    assert_eq!(
        check_default(
            &desired,
            &argocd_applied_config_map(Some(("team", "storefront")))
        ),
        sorted(&["metadata.labels.team"])
    );
}

#[test]
fn false_and_zero_the_server_omits_are_not_drift() {
    // Git spells out Go zero values; the API server drops them (omitempty) and returns none.
    let mut desired = fixture("deployment-desired.yaml");
    let live = without_last_applied(fixture("deployment-live.yaml"));
    if let Some(Value::Object(pod)) = desired.pointer_mut("/spec/template/spec") {
        pod.insert("hostNetwork".into(), json!(false));
    }
    let web = web_container(&mut desired);
    web["volumeMounts"][0]["readOnly"] = json!(false);
    web["readinessProbe"]["initialDelaySeconds"] = json!(0);
    assert_eq!(check_default(&desired, &live), Vec::<String>::new());
    // A non-zero value the server does not have is still drift.
    let web = web_container(&mut desired);
    web["readinessProbe"]["initialDelaySeconds"] = json!(5);
    web["volumeMounts"][0]["readOnly"] = json!(true);
    assert_eq!(
        check_default(&desired, &live),
        sorted(&[
            "spec.template.spec.containers[name=web].readinessProbe.initialDelaySeconds",
            "spec.template.spec.containers[name=web].volumeMounts[mountPath=/etc/web].readOnly",
        ])
    );
}

#[test]
fn blank_in_git_is_drift_when_live_has_a_value() {
    let live_config_map = |feature: &str| {
        json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "annotations": {"rollout": feature},
                "creationTimestamp": "2026-03-02T09:14:27Z",
                "name": "flags",
                "namespace": "shop",
                "resourceVersion": "48212",
                "uid": "0b7e2f1c-9d3a-4e6b-8c5f-2a1d3e4f5a6b"
            },
            "data": {"FEATURE": feature, "MODE": "fast"}
        })
    };
    let desired = json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "flags", "namespace": "shop", "annotations": {"rollout": ""}},
        "data": {"FEATURE": "", "MODE": "fast"}
    });
    assert_eq!(
        check_default(&desired, &live_config_map("")),
        Vec::<String>::new()
    );
    assert_eq!(
        check_default(&desired, &live_config_map("on")),
        sorted(&["data.FEATURE", "metadata.annotations.rollout"])
    );

    // env value "" in Git, "true" live.
    let mut desired = fixture("deployment-desired.yaml");
    let mut live = without_last_applied(fixture("deployment-live.yaml"));
    web_container(&mut desired)["env"][0]["value"] = json!("");
    assert_eq!(
        check_default(&desired, &live),
        sorted(&["spec.template.spec.containers[name=web].env[name=LOG_FORMAT].value"])
    );
    // The server drops an empty env value: absent live is the same as "".
    if let Some(Value::Object(env)) = web_container(&mut live).pointer_mut("/env/0") {
        env.shift_remove("value");
    }
    assert_eq!(check_default(&desired, &live), Vec::<String>::new());
}

#[test]
fn hpa_metric_targets_compare_as_quantities() {
    let desired = json!({
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
            "minReplicas": 2,
            "maxReplicas": 10,
            "metrics": [
                {"type": "Resource", "resource": {"name": "memory",
                    "target": {"type": "AverageValue", "averageValue": "1Gi"}}},
                {"type": "External", "external": {
                    "metric": {"name": "queue_depth"},
                    "target": {"type": "Value", "value": "0.5"}}}
            ]
        }
    });
    let live = |memory: &str| {
        json!({
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {
                "creationTimestamp": "2026-03-02T09:14:27Z",
                "name": "web",
                "namespace": "shop",
                "resourceVersion": "48300",
                "uid": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
            },
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                "minReplicas": 2,
                "maxReplicas": 10,
                "metrics": [
                    {"type": "Resource", "resource": {"name": "memory",
                        "target": {"type": "AverageValue", "averageValue": memory}}},
                    {"type": "External", "external": {
                        "metric": {"name": "queue_depth"},
                        "target": {"type": "Value", "value": "500m"}}}
                ]
            },
            "status": {
                "currentReplicas": 2,
                "desiredReplicas": 2,
                "currentMetrics": null,
                "conditions": [{"type": "AbleToScale", "status": "True",
                    "lastTransitionTime": "2026-03-02T09:15:00Z", "reason": "SucceededGetScale",
                    "message": "the HPA controller was able to get the target's current scale"}]
            }
        })
    };
    assert_eq!(
        check_default(&desired, &live("1024Mi")),
        Vec::<String>::new()
    );
    assert_eq!(
        check_default(&desired, &live("2Gi")),
        sorted(&["spec.metrics[0].resource.target.averageValue"])
    );
}

#[test]
fn blank_applied_value_removed_from_git_is_drift_when_live_has_a_value() {
    // `kubectl apply` of FEATURE: "", then Git drops FEATURE while someone set it live.
    let applied = json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "flags", "namespace": "shop"},
        "data": {"FEATURE": "", "MODE": "fast"}
    });
    let live = |feature: &str| {
        json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "annotations": {
                    "kubectl.kubernetes.io/last-applied-configuration": applied.to_string()
                },
                "creationTimestamp": "2026-03-02T09:14:27Z",
                "name": "flags",
                "namespace": "shop",
                "resourceVersion": "48213",
                "uid": "3c2b1a09-8f7e-4d6c-b5a4-9382716f5e4d"
            },
            "data": {"FEATURE": feature, "MODE": "fast"}
        })
    };
    let desired = json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "flags", "namespace": "shop"},
        "data": {"MODE": "fast"}
    });
    assert_eq!(check_default(&desired, &live("")), Vec::<String>::new());
    assert_eq!(
        check_default(&desired, &live("on")),
        sorted(&["data.FEATURE"])
    );
    // Git still says "": reported once, not also as "removed".
    assert_eq!(
        check_default(&applied, &live("on")),
        sorted(&["data.FEATURE"])
    );
}
