//! Three-way compare for GitOps controllers that apply server-side: Flux's
//! kustomize-controller and Argo CD's server-side sync leave no last-applied annotation, only
//! their `Apply` managedFields entry. A field their manager applied and Git has since dropped
//! is drift for them, so for kubedrift too — when the object carries the tool's tracking
//! marks, or the manager is configured in `field_managers`.

use crate::engine_compare::fields_v1;
use crate::shared::assert_pair_matches_verdict;
use kubedrift_core::engine::compare::{compare, CompareOptions, Verdict};
use serde_json::{json, Value};

fn paths_of(desired: &Value, live: &Value, opts: &CompareOptions) -> Vec<String> {
    assert_pair_matches_verdict(desired, live, opts);
    match compare(Some(desired), Some(live), opts) {
        Verdict::OutOfSync { paths } => {
            let mut out: Vec<String> = paths.iter().map(ToString::to_string).collect();
            out.sort();
            out
        }
        other => {
            assert_eq!(other, Verdict::Synced);
            Vec::new()
        }
    }
}

/// `applied` as the API server returns it after a server-side apply by `manager`, with the
/// server's defaults, status and the controllers' own entries; `marks` are the labels and
/// annotations the tool adds to what it applies.
fn applied_server_side(applied: &Value, manager: &str, marks: &Value) -> Value {
    let mut applied = applied.clone();
    for (section, values) in marks.as_object().into_iter().flatten() {
        for (key, value) in values.as_object().into_iter().flatten() {
            applied["metadata"][section][key] = value.clone();
        }
    }
    let kind = applied["kind"].as_str().unwrap_or("").to_string();
    let mut live = applied.clone();
    live["metadata"]["uid"] = json!("d2a7e4c1-0b3f-4e59-8c61-7f2a9b0e3d55");
    live["metadata"]["resourceVersion"] = json!("73310452");
    live["metadata"]["generation"] = json!(5);
    live["metadata"]["creationTimestamp"] = json!("2026-10-02T07:41:19Z");
    live["metadata"]["managedFields"] = json!([
        {"manager": manager, "operation": "Apply", "apiVersion": applied["apiVersion"],
         "time": "2026-11-30T12:00:04Z", "fieldsType": "FieldsV1",
         "fieldsV1": fields_v1(&kind, "", &applied)},
        {"manager": "kube-controller-manager", "operation": "Update", "subresource": "status",
         "apiVersion": applied["apiVersion"], "time": "2026-11-30T12:00:09Z",
         "fieldsType": "FieldsV1", "fieldsV1": {"f:status": {"f:replicas": {}}}}
    ]);
    if kind == "Deployment" {
        let spec = &mut live["spec"];
        spec["progressDeadlineSeconds"] = json!(600);
        spec["revisionHistoryLimit"] = json!(10);
        spec["strategy"] = json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}});
        let pod = &mut spec["template"]["spec"];
        pod["dnsPolicy"] = json!("ClusterFirst");
        pod["restartPolicy"] = json!("Always");
        pod["schedulerName"] = json!("default-scheduler");
        pod["terminationGracePeriodSeconds"] = json!(30);
        let container = &mut pod["containers"][0];
        container["imagePullPolicy"] = json!("IfNotPresent");
        container["terminationMessagePath"] = json!("/dev/termination-log");
        container["terminationMessagePolicy"] = json!("File");
        live["status"] = json!({"replicas": 2, "readyReplicas": 2, "observedGeneration": 5});
    } else {
        live["spec"]["clusterIP"] = json!("10.96.7.201");
        live["spec"]["clusterIPs"] = json!(["10.96.7.201"]);
        if let Some(spec) = live["spec"].as_object_mut() {
            spec.entry("type").or_insert(json!("ClusterIP"));
            spec.entry("sessionAffinity").or_insert(json!("None"));
        }
        live["spec"]["ports"][0]["protocol"] = json!("TCP");
        live["status"] = json!({"loadBalancer": {}});
    }
    live
}

/// What Flux's kustomize-controller applied: a label and an env var Git has since dropped.
fn flux_applied() -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "podinfo", "namespace": "apps",
                     "labels": {"app": "podinfo", "tier": "legacy"}},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "podinfo"}},
            "template": {"metadata": {"labels": {"app": "podinfo"}},
                "spec": {"containers": [{"name": "podinfo",
                    "image": "ghcr.io/stefanprodan/podinfo:6.7.1",
                    "env": [{"name": "PODINFO_UI_COLOR", "value": "#34577c"},
                            {"name": "PODINFO_CACHE_SERVER", "value": "tcp://redis:6379"}]}]}}}})
}

/// Git now: the `tier` label and the cache server env var are gone.
fn flux_git() -> Value {
    let mut git = flux_applied();
    if let Some(labels) = git["metadata"]["labels"].as_object_mut() {
        labels.shift_remove("tier");
    }
    if let Some(env) = git["spec"]["template"]["spec"]["containers"][0]["env"].as_array_mut() {
        env.retain(|e| e["name"] != "PODINFO_CACHE_SERVER");
    }
    git
}

fn flux_marks() -> Value {
    json!({"labels": {"kustomize.toolkit.fluxcd.io/name": "apps",
                      "kustomize.toolkit.fluxcd.io/namespace": "flux-system"}})
}

#[test]
fn fields_flux_applied_and_git_dropped_are_drift() {
    let live = applied_server_side(&flux_applied(), "kustomize-controller", &flux_marks());
    assert_eq!(
        paths_of(&flux_git(), &live, &CompareOptions::default()),
        vec![
            "metadata.labels.tier".to_string(),
            "spec.template.spec.containers[name=podinfo].env[name=PODINFO_CACHE_SERVER]"
                .to_string()
        ]
    );
    // What Flux applied and Git still has is Synced, server defaults and all.
    assert_eq!(
        paths_of(&flux_applied(), &live, &CompareOptions::default()),
        Vec::<String>::new()
    );
}

#[test]
fn a_manager_is_ours_only_with_its_tools_marks_or_when_configured() {
    // Without Flux's marks, kustomize-controller is just another writer: two-way, and a
    // label only live has is not drift (the env var is, as an extra item Git does not name
    // while no apply record says apply would keep it).
    let live = applied_server_side(&flux_applied(), "kustomize-controller", &json!({}));
    assert_eq!(
        paths_of(&flux_git(), &live, &CompareOptions::default()),
        vec![
            "spec.template.spec.containers[name=podinfo].env[name=PODINFO_CACHE_SERVER]"
                .to_string()
        ]
    );
    // A CI job's `kubectl apply --server-side --field-manager=ci-deploy`, configured.
    let live = applied_server_side(&flux_applied(), "ci-deploy", &json!({}));
    let managers = vec!["ci-deploy".to_string()];
    let opts = CompareOptions {
        field_managers: &managers,
        ..CompareOptions::default()
    };
    assert_eq!(
        paths_of(&flux_git(), &live, &opts),
        vec![
            "metadata.labels.tier".to_string(),
            "spec.template.spec.containers[name=podinfo].env[name=PODINFO_CACHE_SERVER]"
                .to_string()
        ]
    );
}

#[test]
fn items_another_writer_added_next_to_flux_are_kept_by_apply() {
    // A sidecar injected after Flux applied: not in kustomize-controller's entry, so its
    // apply keeps it.
    let mut live = applied_server_side(&flux_applied(), "kustomize-controller", &flux_marks());
    if let Some(containers) = live["spec"]["template"]["spec"]["containers"].as_array_mut() {
        containers.push(
            json!({"name": "linkerd-proxy", "image": "cr.l5d.io/linkerd/proxy:edge-24.11.8",
            "imagePullPolicy": "IfNotPresent", "terminationMessagePath": "/dev/termination-log",
            "terminationMessagePolicy": "FallbackToLogsOnError"}),
        );
    }
    assert_eq!(
        paths_of(&flux_applied(), &live, &CompareOptions::default()),
        Vec::<String>::new()
    );
}

#[test]
fn fields_argocd_synced_server_side_and_git_dropped_are_drift() {
    let applied = json!({"apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "checkout", "namespace": "shop",
                     "annotations": {"prometheus.io/scrape": "true"}},
        "spec": {"selector": {"app": "checkout"}, "sessionAffinity": "ClientIP",
                 "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}});
    let marks = json!({"annotations": {
        "argocd.argoproj.io/tracking-id": "shop-checkout:/Service:shop/checkout"}});
    let live = applied_server_side(&applied, "argocd-controller", &marks);
    let mut git = applied.clone();
    if let Some(meta) = git["metadata"].as_object_mut() {
        meta.shift_remove("annotations");
    }
    if let Some(spec) = git["spec"].as_object_mut() {
        spec.shift_remove("sessionAffinity");
    }
    // sessionAffinity goes back to None when Argo CD applies Git: drift; so is the annotation.
    assert_eq!(
        paths_of(&git, &live, &CompareOptions::default()),
        vec![
            "metadata.annotations[\"prometheus.io/scrape\"]".to_string(),
            "spec.sessionAffinity".to_string()
        ]
    );
    // A copied object whose tracking id names another object is not Argo CD's.
    let copied = json!({"annotations": {
        "argocd.argoproj.io/tracking-id": "shop-checkout:/Service:shop/cart"}});
    let live = applied_server_side(&applied, "argocd-controller", &copied);
    assert_eq!(
        paths_of(&git, &live, &CompareOptions::default()),
        Vec::<String>::new()
    );
}
