//! Realistic snapshots for the TUI's tests and benchmark, built through the real state
//! reducer (`State::apply`) from desired manifests and live objects as an API server returns
//! them (managedFields, status), so verdicts, health and attribution are the engine's own.

use crate::model::GroupKind;
use crate::model::{Object, ResourceKey};
use crate::state::{
    AppId, ClusterEvent, DesiredApp, DesiredResource, Input, LiveObject, RenderedApp, Snapshot,
    State,
};
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;
use std::sync::Arc;

/// The fixed "now" of the fixtures: 2026-01-05 12:00:00 UTC.
pub fn now() -> jiff::Timestamp {
    jiff::Timestamp::from_second(1_767_614_400).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

fn ago(minutes: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_second(now().as_second() - minutes * 60).unwrap_or(now())
}

fn rfc3339(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

const KINDS: &[(&str, &str)] = &[
    ("apps", "Deployment"),
    ("", "Service"),
    ("", "ConfigMap"),
    ("", "Secret"),
];

pub fn deployment(app: &str, ns: &str, image: &str, replicas: i64) -> Object {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": app, "namespace": ns, "labels": {"app": app, "kubedrift.io/app": app}},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": app}},
                 "template": {"metadata": {"labels": {"app": app}},
                              "spec": {"containers": [{"name": app, "image": image,
                                                       "ports": [{"containerPort": 8080}],
                                                       "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}]}}}
    })
}

pub fn service(app: &str, ns: &str) -> Object {
    json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": app, "namespace": ns, "labels": {"app": app, "kubedrift.io/app": app}},
        "spec": {"selector": {"app": app}, "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}
    })
}

pub fn configmap(app: &str, ns: &str, level: &str) -> Object {
    json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": format!("{app}-config"), "namespace": ns, "labels": {"kubedrift.io/app": app}},
        "data": {"LOG_LEVEL": level, "FEATURE_CHECKOUT_V2": "true"}
    })
}

pub fn secret(app: &str, ns: &str, token: &str) -> Object {
    json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": format!("{app}-credentials"), "namespace": ns, "labels": {"kubedrift.io/app": app}},
        "type": "Opaque",
        "data": {"token": token}
    })
}

/// The managedFields set of `value` (every map key, list items keyed by `name`).
fn fields_of(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut out = Map::new();
            for (key, child) in map {
                out.insert(format!("f:{key}"), fields_of(child));
            }
            Value::Object(out)
        }
        Value::Array(items) => {
            let mut out = Map::new();
            for item in items {
                if let Some(name) = item.get("name").and_then(Value::as_str) {
                    let mut entry = fields_of(item);
                    if let Some(map) = entry.as_object_mut() {
                        map.insert(".".into(), json!({}));
                    }
                    out.insert(format!("k:{{\"name\":\"{name}\"}}"), entry);
                }
            }
            Value::Object(out)
        }
        _ => json!({}),
    }
}

/// `desired` as the API server stores it after kubedrift's server-side apply at `at`.
pub fn applied(desired: &Object, at: jiff::Timestamp, rv: u64) -> Object {
    let mut live = desired.clone();
    let mut owned = desired.clone();
    if let Some(map) = owned.as_object_mut() {
        map.remove("apiVersion");
        map.remove("kind");
        if let Some(meta) = map.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.remove("name");
            meta.remove("namespace");
        }
    }
    let time = rfc3339(at);
    let name = desired
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("x");
    if let Some(meta) = live.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.insert(
            "uid".into(),
            json!(format!("6f1c2a3b-{rv:04}-4e5f-8a9b-{name:0>12}")),
        );
        meta.insert("resourceVersion".into(), json!(rv.to_string()));
        meta.insert("creationTimestamp".into(), json!(time));
        meta.insert(
            "managedFields".into(),
            json!([{"manager": "kubedrift", "operation": "Apply", "apiVersion": "v1",
                    "time": time, "fieldsType": "FieldsV1", "fieldsV1": fields_of(&owned)}]),
        );
    }
    if live.get("kind").and_then(Value::as_str) == Some("Deployment") {
        set_status(&mut live, "available");
    }
    live
}

/// Deployment status: `available`, `progressing` (new pods not ready) or `stuck`.
pub fn set_status(live: &mut Object, state: &str) {
    let replicas = live
        .pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    let status = match state {
        "available" => {
            json!({"observedGeneration": 1, "replicas": replicas, "updatedReplicas": replicas,
            "readyReplicas": replicas, "availableReplicas": replicas,
            "conditions": [{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
                           {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}]})
        }
        "progressing" => {
            json!({"observedGeneration": 1, "replicas": replicas, "updatedReplicas": 0,
            "readyReplicas": 0, "availableReplicas": 0, "unavailableReplicas": replicas,
            "conditions": [{"type": "Progressing", "status": "True", "reason": "ReplicaSetUpdated",
                            "message": "ReplicaSet is progressing."}]})
        }
        _ => json!({"observedGeneration": 1, "replicas": replicas, "updatedReplicas": 0,
            "readyReplicas": 0, "availableReplicas": 0, "unavailableReplicas": replicas,
            "conditions": [{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
                            "message": "ReplicaSet has timed out progressing."}]}),
    };
    if let Some(map) = live.as_object_mut() {
        map.insert("status".into(), status);
    }
}

/// A `kubectl scale` of a Deployment at `at`: replicas changed, ownership moved to kubectl.
pub fn scaled(live: &Object, replicas: i64, at: jiff::Timestamp) -> Object {
    let mut out = live.clone();
    if let Some(spec) = out.get_mut("spec").and_then(Value::as_object_mut) {
        spec.insert("replicas".into(), json!(replicas));
    }
    if let Some(fields) = out
        .pointer_mut("/metadata/managedFields/0/fieldsV1/f:spec")
        .and_then(Value::as_object_mut)
    {
        fields.remove("f:replicas");
    }
    if let Some(entries) = out
        .pointer_mut("/metadata/managedFields")
        .and_then(Value::as_array_mut)
    {
        entries.push(
            json!({"manager": "kubectl", "operation": "Update", "apiVersion": "apps/v1",
            "time": rfc3339(at), "fieldsType": "FieldsV1", "subresource": "scale",
            "fieldsV1": {"f:spec": {"f:replicas": {}}}}),
        );
    }
    set_status(&mut out, "available");
    out
}

/// What one app in one environment looks like: desired objects and live objects.
pub struct AppCase {
    pub app: String,
    pub env: String,
    pub context: String,
    pub revision: String,
    pub desired: Vec<Object>,
    pub live: Vec<Object>,
    pub render_error: Option<String>,
}

/// Build a snapshot from cases through the state reducer. `down` lists contexts that are
/// unreachable; `forbidden` (context, kind) pairs that may not be listed.
pub fn build(cases: &[AppCase], down: &[&str], forbidden: &[(&str, &str)]) -> Snapshot {
    let mut state = State::new();
    let contexts: BTreeSet<&str> = cases.iter().map(|c| c.context.as_str()).collect();
    let mut kinds: BTreeSet<GroupKind> = KINDS.iter().map(|(g, k)| GroupKind::new(g, k)).collect();
    // Custom kinds (an Argo Rollout) are watched when a case has them.
    for object in cases.iter().flat_map(|c| c.desired.iter()) {
        let api_version = object
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or("");
        let kind = object.get("kind").and_then(Value::as_str).unwrap_or("");
        kinds.insert(GroupKind::new(crate::model::group_of(api_version), kind));
    }
    for context in &contexts {
        let namespaces: BTreeSet<String> = cases
            .iter()
            .filter(|c| c.context == *context)
            .map(|c| c.app.clone())
            .collect();
        state.apply(Input::Plan {
            context: context.to_string(),
            kinds: kinds.clone(),
            namespaces: Some(namespaces.clone()),
            metadata_only: BTreeSet::new(),
        });
    }
    for (seq, case) in cases.iter().enumerate() {
        let objects = case
            .desired
            .iter()
            .filter_map(|object| {
                let key = ResourceKey::from_object(
                    object,
                    Some(&case.app),
                    &crate::model::builtin_cluster_scoped,
                )
                .ok()?;
                Some(DesiredResource {
                    origin: Some(format!(
                        "apps/{}/{}/{}.yaml:1",
                        case.app,
                        case.env,
                        key.kind.to_lowercase()
                    )),
                    key,
                    object: Arc::new(crate::model::StoredObject::new(object.clone())),
                })
            })
            .collect();
        state.apply(Input::Desired(DesiredApp {
            id: AppId::new(&case.app, &case.env),
            context: case.context.clone(),
            namespace: Some(case.app.clone()),
            revision: case.revision.clone(),
            seq: seq as u64 + 1,
            rendered: match &case.render_error {
                Some(error) => Err(error.clone()),
                None => Ok(RenderedApp {
                    objects,
                    complete: true,
                    problems: Vec::new(),
                }),
            },
            ignore: Vec::new(),
        }));
    }
    for context in &contexts {
        let event = |event| Input::Cluster {
            context: context.to_string(),
            event,
        };
        if down.contains(context) {
            state.apply(event(ClusterEvent::Unreachable {
                error: "dial tcp 10.0.3.7:6443: connect: connection refused".into(),
                at: ago(3),
            }));
            continue;
        }
        state.apply(event(ClusterEvent::Seen { at: ago(0) }));
        state.apply(event(ClusterEvent::Discovered {
            served: kinds.iter().cloned().collect(),
            cluster_scoped: Vec::new(),
            missing: Vec::new(),
            at: ago(0),
        }));
        let namespaces: BTreeSet<String> = cases
            .iter()
            .filter(|c| c.context == *context)
            .map(|c| c.app.clone())
            .collect();
        for kind in &kinds {
            if let Some((_, _)) = forbidden
                .iter()
                .find(|(c, k)| c == context && *k == kind.kind)
            {
                state.apply(event(ClusterEvent::KindFailed {
                    kind: kind.clone(),
                    reason: format!(
                        "{}s is forbidden: User \"viewer\" cannot list resource",
                        kind.kind.to_lowercase()
                    ),
                    forbidden: true,
                    at: ago(0),
                }));
                continue;
            }
            for ns in &namespaces {
                let objects: Vec<Object> = cases
                    .iter()
                    .filter(|c| c.context == *context && c.app == *ns)
                    .flat_map(|c| c.live.iter())
                    .filter(|o| o.get("kind").and_then(Value::as_str) == Some(&kind.kind))
                    .cloned()
                    .collect();
                state.apply(event(ClusterEvent::Listed {
                    kind: kind.clone(),
                    namespace: Some(ns.clone()),
                    objects: objects.into_iter().map(LiveObject::new).collect(),
                    metadata_only: false,
                    at: ago(0),
                }));
            }
        }
    }
    state.apply(Input::SourcesLoaded);
    state.apply(Input::Repo {
        name: "gitops".into(),
        error: None,
        at: ago(0),
    });
    (*state.snapshot()).clone()
}

/// The environments of the sample, in promotion order.
pub const ENVS: [&str; 3] = ["dev", "stage", "prod"];

fn synced_case(app: &str, env: &str, image: &str, replicas: i64, rev: &str) -> AppCase {
    let desired = vec![
        deployment(app, app, image, replicas),
        service(app, app),
        configmap(app, app, "info"),
    ];
    let live = desired
        .iter()
        .enumerate()
        .map(|(i, d)| applied(d, ago(240), 100 + i as u64))
        .collect();
    AppCase {
        app: app.into(),
        env: env.into(),
        context: env.into(),
        revision: format!("main@{rev}"),
        desired,
        live,
        render_error: None,
    }
}

/// The sample: six apps in dev/stage/prod with the demo's kinds of trouble: a scaled
/// Deployment in prod (live drift by kubectl 12 minutes ago), an image bump in Git for stage not
/// applied (Git ahead), a ConfigMap missing in stage, an extraneous tracked Service in dev, a
/// Deployment stuck progressing in dev, a render error, a Secret that differs (masked).
pub fn sample() -> Snapshot {
    build(&sample_cases(), &[], &[])
}

/// The sample after `change` to its cases (a later moment: a live edit, a commit), built
/// through the reducer like the sample.
pub fn sample_with(change: impl FnOnce(&mut Vec<AppCase>)) -> Snapshot {
    let mut cases = sample_cases();
    change(&mut cases);
    build(&cases, &[], &[])
}

/// The sample with prod unreachable and Secrets forbidden in stage.
pub fn sample_in_trouble() -> Snapshot {
    build(&sample_cases(), &["prod"], &[("stage", "Secret")])
}

fn sample_cases() -> Vec<AppCase> {
    let mut cases = Vec::new();
    let apps = ["api", "billing", "checkout", "frontend", "search", "web"];
    for app in apps {
        for env in ENVS {
            let rev = match env {
                "dev" => "9c1e0f4",
                "stage" => "9c1e0f4",
                _ => "3b7a2d1",
            };
            cases.push(synced_case(
                app,
                env,
                &format!("registry.example.com/shop/{app}:1.4.2"),
                2,
                rev,
            ));
        }
    }
    let find = |cases: &mut Vec<AppCase>, app: &str, env: &str| {
        cases
            .iter()
            .position(|c| c.app == app && c.env == env)
            .unwrap_or(0)
    };
    // web@prod: kubectl scale 2 → 5, 12 minutes ago.
    let i = find(&mut cases, "web", "prod");
    cases[i].live[0] = scaled(&cases[i].live[0], 5, ago(12));
    // api@stage: Git has image 1.5.0, the cluster still runs 1.4.2.
    let i = find(&mut cases, "api", "stage");
    cases[i].desired[0] = deployment("api", "api", "registry.example.com/shop/api:1.5.0", 2);
    cases[i].revision = "main@e4d2a91".into();
    // checkout@stage: ConfigMap missing.
    let i = find(&mut cases, "checkout", "stage");
    cases[i].live.remove(2);
    // frontend@dev: an extraneous tracked Service.
    let i = find(&mut cases, "frontend", "dev");
    let mut extra = applied(&service("frontend-canary", "frontend"), ago(30), 300);
    if let Some(labels) = extra
        .pointer_mut("/metadata/labels")
        .and_then(Value::as_object_mut)
    {
        labels.insert("kubedrift.io/app".into(), json!("frontend"));
    }
    cases[i].live.push(extra);
    // search@dev: stuck rollout (bad image).
    let i = find(&mut cases, "search", "dev");
    cases[i].desired[0] = deployment(
        "search",
        "search",
        "registry.example.com/shop/search:9.9.9-typo",
        2,
    );
    cases[i].live[0] = applied(&cases[i].desired[0], ago(20), 400);
    set_status(&mut cases[i].live[0], "stuck");
    // billing: a Secret whose token differs in prod (values masked), a render error in dev.
    let i = find(&mut cases, "billing", "prod");
    cases[i]
        .desired
        .push(secret("billing", "billing", "c2VjcmV0LW5ldw=="));
    let old = applied(
        &secret("billing", "billing", "c2VjcmV0LW9sZA=="),
        ago(90),
        500,
    );
    cases[i].live.push(old);
    let i = find(&mut cases, "billing", "dev");
    cases[i].render_error = Some(
        "kustomize build apps/billing/dev: accumulating resources: 'deployment.yml' not found"
            .into(),
    );
    cases
}

/// `apps` apps × `envs` environments, one in ten drifting: the benchmark's overview.
pub fn large(apps: usize, envs: usize) -> Snapshot {
    let mut cases = Vec::new();
    for a in 0..apps {
        let app = format!("app-{a:03}");
        for e in 0..envs {
            let env = format!("env{e}");
            let mut case = synced_case(
                &app,
                &env,
                &format!("registry.example.com/{app}:1.{e}.0"),
                2,
                "9c1e0f4",
            );
            if (a + e) % 10 == 0 {
                case.live[0] = scaled(&case.live[0], 3, ago(5));
            }
            cases.push(case);
        }
    }
    build(&cases, &[], &[])
}

/// Environment names of [`large`].
pub fn large_envs(envs: usize) -> Vec<String> {
    (0..envs).map(|e| format!("env{e}")).collect()
}
