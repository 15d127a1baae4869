//! Pure transition tests: inputs in, changes and snapshots out, no network.

use super::*;
use crate::engine::compare::Verdict;
use crate::engine::health;
use crate::model::Object;
use serde_json::json;

fn at() -> jiff::Timestamp {
    jiff::Timestamp::from_second(1_767_000_000).expect("timestamp")
}

fn deployment_kind() -> GroupKind {
    GroupKind::new("apps", "Deployment")
}

fn desired_deployment(name: &str, image: &str, replicas: i64) -> Object {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": "shop", "labels": {"app": name, "kubedrift.io/app": name}},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}},
                              "spec": {"containers": [{"name": name, "image": image}]}}}
    })
}

/// The Deployment as the API server returns it after a server-side apply by kubedrift.
fn live_deployment(name: &str, image: &str, replicas: i64, rv: u64) -> Object {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {
            "name": name, "namespace": "shop", "uid": format!("0b7f3c2e-{rv:04}-4d1a-9e55-2c8f1a6b9d10"),
            "resourceVersion": rv.to_string(), "generation": 1,
            "creationTimestamp": "2025-12-29T09:20:00Z",
            "labels": {"app": name, "kubedrift.io/app": name},
            "annotations": {"deployment.kubernetes.io/revision": "1"},
            "managedFields": [
                {"manager": "kubedrift", "operation": "Apply", "apiVersion": "apps/v1",
                 "time": "2025-12-29T09:20:00Z", "fieldsType": "FieldsV1",
                 "fieldsV1": {"f:metadata": {"f:labels": {"f:app": {}, "f:kubedrift.io/app": {}}},
                              "f:spec": {"f:replicas": {}, "f:selector": {},
                                         "f:template": {"f:metadata": {"f:labels": {"f:app": {}}},
                                                        "f:spec": {"f:containers": {format!("k:{{\"name\":\"{name}\"}}"): {".": {}, "f:image": {}, "f:name": {}}}}}}}},
                {"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "apps/v1",
                 "time": "2025-12-29T09:20:03Z", "fieldsType": "FieldsV1", "subresource": "status",
                 "fieldsV1": {"f:status": {"f:availableReplicas": {}, "f:readyReplicas": {}, "f:replicas": {}}}}
            ]
        },
        "spec": {"replicas": replicas, "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
                 "selector": {"matchLabels": {"app": name}},
                 "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
                 "template": {"metadata": {"labels": {"app": name}},
                              "spec": {"containers": [{"name": name, "image": image, "imagePullPolicy": "IfNotPresent",
                                                       "terminationMessagePath": "/dev/termination-log",
                                                       "terminationMessagePolicy": "File", "resources": {}}],
                                       "restartPolicy": "Always", "dnsPolicy": "ClusterFirst",
                                       "schedulerName": "default-scheduler", "securityContext": {},
                                       "terminationGracePeriodSeconds": 30}}},
        "status": {"observedGeneration": 1, "replicas": replicas, "updatedReplicas": replicas,
                   "readyReplicas": replicas, "availableReplicas": replicas,
                   "conditions": [{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
                                   "message": "Deployment has minimum availability.",
                                   "lastUpdateTime": "2025-12-29T09:20:03Z", "lastTransitionTime": "2025-12-29T09:20:03Z"},
                                  {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable",
                                   "message": format!("ReplicaSet \"{name}-7d4b9c\" has successfully progressed."),
                                   "lastUpdateTime": "2025-12-29T09:20:03Z", "lastTransitionTime": "2025-12-29T09:20:00Z"}]}
    })
}

fn desired_app(app: &str, context: &str, seq: u64, objects: Vec<Object>) -> Input {
    let objects = objects
        .into_iter()
        .map(|object| DesiredResource {
            key: ResourceKey::from_object(
                &object,
                Some("shop"),
                &crate::model::builtin_cluster_scoped,
            )
            .expect("identity"),
            object: Arc::new(crate::model::StoredObject::new(object)),
            origin: Some(format!("apps/{app}/deployment.yaml:1")),
        })
        .collect();
    Input::Desired(DesiredApp {
        id: AppId::new(app, context),
        context: context.to_string(),
        namespace: Some("shop".into()),
        revision: format!("main@{seq:07}"),
        seq,
        rendered: Ok(RenderedApp {
            objects,
            complete: true,
            problems: Vec::new(),
        }),
        ignore: Vec::new(),
    })
}

fn cluster(context: &str, event: ClusterEvent) -> Input {
    Input::Cluster {
        context: context.to_string(),
        event,
    }
}

/// A cluster that discovered Deployments and listed `objects`.
fn connect(state: &mut State, context: &str, objects: Vec<Object>) {
    state.apply(Input::Plan {
        context: context.into(),
        kinds: BTreeSet::from([deployment_kind()]),
        namespaces: Some(BTreeSet::from(["shop".to_string()])),
        metadata_only: BTreeSet::new(),
    });
    state.apply(cluster(
        context,
        ClusterEvent::Discovered {
            served: vec![deployment_kind()],
            cluster_scoped: Vec::new(),
            missing: Vec::new(),
            at: at(),
        },
    ));
    state.apply(cluster(
        context,
        ClusterEvent::Listed {
            metadata_only: false,
            kind: deployment_kind(),
            namespace: Some("shop".into()),
            objects: objects.into_iter().map(LiveObject::new).collect(),
            at: at(),
        },
    ));
}

#[test]
fn loading_until_first_list_then_synced() {
    let mut state = State::new();
    state.apply(desired_app(
        "web",
        "dev",
        1,
        vec![desired_deployment("web", "web:1.4.2", 2)],
    ));
    let app = state.snapshot().app("web", "dev").cloned().expect("row");
    assert_eq!(app.sync, SyncState::Loading, "{}", app.message());
    // The cluster is planned and discovered, nothing is listed yet: not settled.
    state.apply(Input::Plan {
        context: "dev".into(),
        kinds: BTreeSet::from([deployment_kind()]),
        namespaces: Some(BTreeSet::from(["shop".to_string()])),
        metadata_only: BTreeSet::new(),
    });
    state.apply(cluster(
        "dev",
        ClusterEvent::Discovered {
            served: vec![deployment_kind()],
            cluster_scoped: Vec::new(),
            missing: Vec::new(),
            at: at(),
        },
    ));
    let snapshot = state.snapshot();
    assert!(
        snapshot.clusters.contains_key("dev"),
        "{:?}",
        snapshot.clusters.keys()
    );
    assert!(!snapshot.settled(), "settled before the first list");
    assert_eq!(
        snapshot.app("web", "dev").map(|a| a.sync),
        Some(SyncState::Loading)
    );

    connect(
        &mut state,
        "dev",
        vec![live_deployment("web", "web:1.4.2", 2, 100)],
    );
    let snapshot = state.snapshot();
    let app = snapshot.app("web", "dev").expect("row");
    assert_eq!(app.sync, SyncState::Synced, "{}", app.message());
    assert_eq!(app.health, Some(health::HealthStatus::Healthy));
    assert!(snapshot.clusters["dev"].settled);
}

#[test]
fn watch_event_recomputes_one_resource_and_shares_untouched_apps() {
    let mut state = State::new();
    state.apply(desired_app(
        "web",
        "dev",
        1,
        vec![desired_deployment("web", "web:1.4.2", 2)],
    ));
    state.apply(desired_app(
        "api",
        "dev",
        2,
        vec![desired_deployment("api", "api:2.0.0", 1)],
    ));
    connect(
        &mut state,
        "dev",
        vec![
            live_deployment("web", "web:1.4.2", 2, 100),
            live_deployment("api", "api:2.0.0", 1, 101),
        ],
    );
    let before = state.snapshot();
    let generation = before.generation;

    let changes = state.apply(cluster(
        "dev",
        ClusterEvent::Upserted {
            metadata_only: false,
            kind: deployment_kind(),
            object: live_deployment("web", "web:1.4.2", 5, 102).into(),
            at: at(),
        },
    ));
    let web = AppId::new("web", "dev");
    let key = ResourceKey::new("apps", "Deployment", Some("shop"), "web");
    assert!(changes.contains(&ChangeKind::Resource {
        app: web.clone(),
        key
    }));
    assert!(changes.contains(&ChangeKind::App(web)));
    assert!(!changes
        .iter()
        .any(|c| matches!(c, ChangeKind::App(id) if id.app == "api")));
    let after = state.snapshot();
    assert_eq!(after.generation, generation + 1);
    assert_eq!(
        after.app("web", "dev").map(|a| a.sync),
        Some(SyncState::OutOfSync)
    );
    // The untouched app is the very same Arc: snapshots share what did not change.
    assert!(Arc::ptr_eq(
        before.app("api", "dev").expect("api"),
        after.app("api", "dev").expect("api")
    ));
    // The old snapshot is immutable.
    assert_eq!(
        before.app("web", "dev").map(|a| a.sync),
        Some(SyncState::Synced)
    );

    // Same object again: no change, no new generation.
    let changes = state.apply(cluster(
        "dev",
        ClusterEvent::Upserted {
            metadata_only: false,
            kind: deployment_kind(),
            object: live_deployment("web", "web:1.4.2", 5, 102).into(),
            at: at(),
        },
    ));
    assert!(changes.is_empty(), "{changes:?}");
    assert_eq!(state.generation(), generation + 1);
}

#[test]
fn stale_render_reply_is_dropped() {
    let mut state = State::new();
    connect(
        &mut state,
        "dev",
        vec![live_deployment("web", "web:1.5.0", 2, 100)],
    );
    state.apply(desired_app(
        "web",
        "dev",
        7,
        vec![desired_deployment("web", "web:1.5.0", 2)],
    ));
    let changes = state.apply(desired_app(
        "web",
        "dev",
        3,
        vec![desired_deployment("web", "web:1.4.2", 2)],
    ));
    assert!(changes.is_empty());
    let snapshot = state.snapshot();
    let app = snapshot.app("web", "dev").expect("row");
    assert_eq!(app.revision, "main@0000007");
    assert_eq!(app.sync, SyncState::Synced);
}

#[test]
fn unreachable_cluster_keeps_last_verdicts_and_leaves_others_alone() {
    let mut state = State::new();
    state.apply(desired_app(
        "web",
        "dev",
        1,
        vec![desired_deployment("web", "web:1.4.2", 2)],
    ));
    state.apply(desired_app(
        "web",
        "prod",
        2,
        vec![desired_deployment("web", "web:1.4.2", 2)],
    ));
    connect(
        &mut state,
        "dev",
        vec![live_deployment("web", "web:1.4.2", 2, 100)],
    );
    connect(
        &mut state,
        "prod",
        vec![live_deployment("web", "web:1.4.2", 2, 200)],
    );
    state.apply(cluster("dev", ClusterEvent::Seen { at: at() }));
    let changes = state.apply(cluster(
        "dev",
        ClusterEvent::Unreachable {
            error: "connection refused".into(),
            at: at(),
        },
    ));
    assert!(changes.contains(&ChangeKind::Cluster("dev".into())));
    let snapshot = state.snapshot();
    let dev = snapshot.app("web", "dev").expect("dev");
    assert_eq!(dev.sync, SyncState::Unreachable);
    assert!(
        dev.message().contains("last seen 2025-12-29T")
            && dev.message().contains("connection refused"),
        "{}",
        dev.message()
    );
    assert_eq!(dev.resources.len(), 1, "last known verdicts stay visible");
    assert_eq!(
        snapshot.app("web", "prod").map(|a| a.sync),
        Some(SyncState::Synced)
    );
    assert!(
        snapshot.settled(),
        "an unreachable cluster does not block headless status"
    );

    state.apply(cluster("dev", ClusterEvent::Seen { at: at() }));
    assert_eq!(
        state.snapshot().app("web", "dev").map(|a| a.sync),
        Some(SyncState::Synced)
    );
}

#[test]
fn forbidden_kind_is_unknown_with_reason_and_recovers_when_listed() {
    let mut state = State::new();
    state.apply(desired_app(
        "web",
        "dev",
        1,
        vec![desired_deployment("web", "web:1.4.2", 2)],
    ));
    connect(
        &mut state,
        "dev",
        vec![live_deployment("web", "web:1.4.2", 2, 100)],
    );
    state.apply(cluster(
        "dev",
        ClusterEvent::KindFailed {
            kind: deployment_kind(),
            reason: "deployments.apps is forbidden: User \"viewer\" cannot list resource \"deployments\" (403)".into(),
            forbidden: true,
            at: at(),
        },
    ));
    let snapshot = state.snapshot();
    let app = snapshot.app("web", "dev").expect("row");
    assert_eq!(app.sync, SyncState::Unknown);
    match &app.resources[0].verdict {
        Verdict::Unknown { reason } => assert!(
            reason.starts_with("may not list Deployment.apps: "),
            "{reason}"
        ),
        other => panic!("{other:?}"),
    }
    assert!(snapshot.clusters["dev"].settled);

    state.apply(cluster(
        "dev",
        ClusterEvent::Listed {
            metadata_only: false,
            kind: deployment_kind(),
            namespace: Some("shop".into()),
            objects: vec![live_deployment("web", "web:1.4.2", 2, 100).into()],
            at: at(),
        },
    ));
    assert_eq!(
        state.snapshot().app("web", "dev").map(|a| a.sync),
        Some(SyncState::Synced)
    );
}

#[test]
fn extraneous_needs_a_tracking_mark_and_a_complete_render_and_relist_drops_deleted() {
    let mut state = State::new();
    state.apply(desired_app(
        "web",
        "dev",
        1,
        vec![desired_deployment("web", "web:1.4.2", 2)],
    ));
    // `web-canary` carries web's tracking label; `debug` has no mark.
    let mut canary = live_deployment("web-canary", "web:1.5.0-rc1", 1, 101);
    canary["metadata"]["labels"]["kubedrift.io/app"] = json!("web");
    let mut debug = live_deployment("debug", "busybox:1.36", 1, 102);
    debug["metadata"]["labels"] = json!({"app": "debug"});
    connect(
        &mut state,
        "dev",
        vec![live_deployment("web", "web:1.4.2", 2, 100), canary, debug],
    );
    let snapshot = state.snapshot();
    let app = snapshot.app("web", "dev").expect("row");
    let verdicts: Vec<(String, &str)> = app
        .resources
        .iter()
        .map(|r| (r.key.name.to_string(), r.verdict.label()))
        .collect();
    assert_eq!(
        verdicts,
        vec![
            ("web".to_string(), "Synced"),
            ("web-canary".to_string(), "Extraneous")
        ]
    );
    assert_eq!(app.sync, SyncState::OutOfSync);

    // A relist (after 410 Gone) without the canary: it is gone from the app.
    let changes = state.apply(cluster(
        "dev",
        ClusterEvent::Listed {
            metadata_only: false,
            kind: deployment_kind(),
            namespace: Some("shop".into()),
            objects: vec![live_deployment("web", "web:1.4.2", 2, 100).into()],
            at: at(),
        },
    ));
    assert!(changes
        .iter()
        .any(|c| matches!(c, ChangeKind::Resource { key, .. } if &*key.name == "web-canary")));
    let snapshot = state.snapshot();
    let app = snapshot.app("web", "dev").expect("row");
    assert_eq!(app.resources.len(), 1);
    assert_eq!(app.sync, SyncState::Synced);

    // An incomplete render never claims extraneous objects.
    if let Input::Desired(mut desired) = desired_app(
        "web",
        "dev",
        2,
        vec![desired_deployment("web", "web:1.4.2", 2)],
    ) {
        if let Ok(rendered) = &mut desired.rendered {
            rendered.complete = false;
        }
        state.apply(Input::Desired(desired));
    }
    let mut canary = live_deployment("web-canary", "web:1.5.0-rc1", 1, 103);
    canary["metadata"]["labels"]["kubedrift.io/app"] = json!("web");
    state.apply(cluster(
        "dev",
        ClusterEvent::Upserted {
            metadata_only: false,
            kind: deployment_kind(),
            object: canary.into(),
            at: at(),
        },
    ));
    assert_eq!(
        state
            .snapshot()
            .app("web", "dev")
            .map(|a| a.resources.len()),
        Some(1)
    );
}

#[test]
fn render_error_is_shown_and_app_removal_is_a_change() {
    let mut state = State::new();
    state.apply(Input::Desired(DesiredApp {
        id: AppId::new("web", "dev"),
        context: "dev".into(),
        namespace: Some("shop".into()),
        revision: "main@abc1234".into(),
        seq: 1,
        rendered: Err("kustomize failed (exit status: 1): accumulating resources".into()),
        ignore: Vec::new(),
    }));
    let snapshot = state.snapshot();
    let app = snapshot.app("web", "dev").expect("row");
    assert_eq!(app.sync, SyncState::Error);
    assert!(app.message().starts_with("render failed: kustomize failed"));
    let changes = state.apply(Input::RemoveApp(AppId::new("web", "dev")));
    assert_eq!(
        changes,
        vec![ChangeKind::AppRemoved(AppId::new("web", "dev"))]
    );
    assert!(state.snapshot().apps.is_empty());
}

#[test]
fn resource_view_debug_never_shows_object_content() {
    let secret = json!({"apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "db", "namespace": "shop", "resourceVersion": "9"},
        "data": {"password": "czNjcjN0LWh1bnRlcjI="}});
    let view = ResourceView {
        key: ResourceKey::new("", "Secret", Some("shop"), "db"),
        verdict: Verdict::Synced,
        health: None,
        origin: None,
        attribution: None,
        awaiting_list: false,
        desired: Some(ObjectRef::Desired(Arc::new(
            crate::model::StoredObject::new(secret.clone()),
        ))),
        live: Some(ObjectRef::Live(Arc::new(LiveObject::new(secret)))),
    };
    let debug = format!("{view:?}");
    let json = serde_json::to_string(&view).expect("json");
    assert!(
        !debug.contains("czNjcjN0") && !json.contains("czNjcjN0"),
        "{debug}\n{json}"
    );
}

#[test]
fn metadata_only_kind_switching_to_full_relists_and_drops_late_metadata_events() {
    let mut state = State::new();
    let secret_kind = GroupKind::new("", "Secret");
    let plan = |metadata_only: BTreeSet<GroupKind>| Input::Plan {
        context: "dev".into(),
        kinds: BTreeSet::from([deployment_kind(), secret_kind.clone()]),
        namespaces: Some(BTreeSet::from(["shop".to_string()])),
        metadata_only,
    };
    state.apply(plan(BTreeSet::from([secret_kind.clone()])));
    connect(
        &mut state,
        "dev",
        vec![live_deployment("web", "web:1.4.2", 2, 100)],
    );
    let metadata = json!({"apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "web-db", "namespace": "shop", "resourceVersion": "120",
                     "labels": {"kubedrift.io/app": "web"}}});
    state.apply(plan(BTreeSet::from([secret_kind.clone()])));
    state.apply(cluster(
        "dev",
        ClusterEvent::Listed {
            kind: secret_kind.clone(),
            namespace: Some("shop".into()),
            objects: vec![metadata.clone().into()],
            metadata_only: true,
            at: at(),
        },
    ));
    state.apply(desired_app(
        "web",
        "dev",
        1,
        vec![desired_deployment("web", "web:1.4.2", 2)],
    ));
    let snapshot = state.snapshot();
    let app = snapshot.app("web", "dev").expect("row");
    let secret = app
        .resources
        .iter()
        .find(|r| &*r.key.kind == "Secret")
        .expect("tracked secret");
    assert_eq!(secret.verdict, Verdict::Extraneous);
    assert_eq!(secret.health, None, "metadata-only objects have no health");

    // Git now has the Secret: the kind switches to full objects and must be listed again.
    let secret_desired = json!({"apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "web-db", "namespace": "shop", "labels": {"kubedrift.io/app": "web"}},
        "type": "Opaque", "data": {"password": "czNjcjN0LWh1bnRlcjI="}});
    state.apply(plan(BTreeSet::new()));
    state.apply(desired_app(
        "web",
        "dev",
        2,
        vec![desired_deployment("web", "web:1.4.2", 2), secret_desired],
    ));
    let waiting = |state: &State| {
        let snapshot = state.snapshot();
        let app = snapshot.app("web", "dev").cloned().expect("row");
        let secret = app
            .resources
            .iter()
            .find(|r| &*r.key.kind == "Secret")
            .cloned()
            .expect("secret");
        (secret.verdict.clone(), secret.awaiting_list, app.sync)
    };
    let (verdict, awaiting_list, sync) = waiting(&state);
    assert!(
        matches!(verdict, Verdict::Unknown { ref reason } if reason.starts_with("waiting for")),
        "{verdict:?}"
    );
    assert!(awaiting_list, "undecided only until the first list");
    assert_eq!(sync, SyncState::Loading);
    // A late event of the old metadata-only watcher is ignored.
    let changes = state.apply(cluster(
        "dev",
        ClusterEvent::Upserted {
            kind: secret_kind.clone(),
            object: metadata.into(),
            metadata_only: true,
            at: at(),
        },
    ));
    assert!(changes.is_empty());
    let mut full = json!({"apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "web-db", "namespace": "shop", "resourceVersion": "120",
                     "uid": "2f0c9a51-8d7e-4c1b-b3a6-9e5d4c3b2a10",
                     "labels": {"kubedrift.io/app": "web"}},
        "type": "Opaque", "data": {"password": "czNjcjN0LWh1bnRlcjI="}});
    full["metadata"]["creationTimestamp"] = json!("2025-12-29T09:20:00Z");
    state.apply(cluster(
        "dev",
        ClusterEvent::Listed {
            kind: secret_kind,
            namespace: Some("shop".into()),
            objects: vec![full.into()],
            metadata_only: false,
            at: at(),
        },
    ));
    assert_eq!(waiting(&state).0, Verdict::Synced);
}

#[test]
fn plan_watches_desired_kinds_fully_and_tracked_kinds_by_metadata() {
    use super::watch_plan::{plan_for, AppNeeds};
    let Input::Desired(app) = desired_app(
        "web",
        "dev",
        1,
        vec![desired_deployment("web", "web:1.4.2", 2)],
    ) else {
        unreachable!()
    };
    let apps = BTreeMap::from([(app.id.clone(), AppNeeds::of(&app))]);
    let plan = plan_for("dev", &apps);
    assert!(plan.kinds.contains(&deployment_kind()));
    assert!(!plan.metadata_only.contains(&deployment_kind()));
    assert!(plan.metadata_only.contains(&GroupKind::new("", "Secret")));
    assert_eq!(plan.namespaces, Some(BTreeSet::from(["shop".to_string()])));
    // Another context knows no app: all namespaces, everything metadata-only.
    let other = plan_for("prod", &apps);
    assert_eq!(other.namespaces, None);
    assert_eq!(other.kinds, other.metadata_only);
}

#[test]
fn a_file_that_failed_to_parse_makes_the_app_an_error_even_when_the_rest_is_synced() {
    let mut state = State::new();
    let Input::Desired(mut desired) = desired_app(
        "web",
        "dev",
        1,
        vec![desired_deployment(
            "web",
            "registry.example.com/shop/web:1.4.2",
            2,
        )],
    ) else {
        unreachable!("desired_app builds a Desired input")
    };
    if let Ok(rendered) = &mut desired.rendered {
        rendered.complete = false;
        rendered.problems = vec!["apps/web/broken.yaml:5: did not find expected ',' or ']'".into()];
    }
    state.apply(Input::Desired(desired));
    connect(
        &mut state,
        "dev",
        vec![live_deployment(
            "web",
            "registry.example.com/shop/web:1.4.2",
            2,
            7,
        )],
    );
    let snapshot = state.snapshot();
    let app = snapshot.app("web", "dev").expect("row");
    assert_eq!(app.sync, SyncState::Error, "{}", app.message());
    assert!(
        app.message()
            .starts_with("incomplete render: apps/web/broken.yaml:5"),
        "{}",
        app.message()
    );
    // The resource that was read is still judged (and Synced).
    assert_eq!(app.resources.len(), 1);
    assert_eq!(app.resources[0].verdict, Verdict::Synced);
}

#[test]
fn configured_field_managers_count_as_git_in_three_way_verdicts() {
    // Applied server-side by a CI job as `ci-deploy` with a `tier` label Git has since dropped.
    let mut live = live_deployment("web", "web:1.4.2", 2, 100);
    live["metadata"]["labels"]["tier"] = json!("legacy");
    live["metadata"]["managedFields"][0]["manager"] = json!("ci-deploy");
    live["metadata"]["managedFields"][0]["fieldsV1"]["f:metadata"]["f:labels"]["f:tier"] =
        json!({});
    let verdict_with = |mut state: State| {
        state.apply(desired_app(
            "web",
            "dev",
            1,
            vec![desired_deployment("web", "web:1.4.2", 2)],
        ));
        connect(&mut state, "dev", vec![live.clone()]);
        let snapshot = state.snapshot();
        let app = snapshot.app("web", "dev").expect("web@dev");
        (app.sync, snapshot.field_managers.to_vec())
    };
    // Not configured: another writer's label, live only: not drift.
    assert_eq!(verdict_with(State::new()), (SyncState::Synced, Vec::new()));
    // Configured: apply as ci-deploy would remove it.
    let managers = vec!["ci-deploy".to_string()];
    assert_eq!(
        verdict_with(State::with_field_managers(managers.clone())),
        (SyncState::OutOfSync, managers)
    );
}

/// The controller's opinion arrives on its own (before or after the render), changes the row
/// only when it changes, is dropped with `None`, and disagrees when kubedrift sees drift.
#[test]
fn a_controllers_opinion_joins_the_app_row_and_says_when_it_disagrees() {
    let mut state = State::new();
    let id = AppId::new("web", "dev");
    let view = ControllerView {
        tool: ControllerTool::ArgoCd,
        context: "dev".into(),
        api_version: "argoproj.io/v1alpha1".into(),
        kind: "Application".into(),
        namespace: "argocd".into(),
        name: "web".into(),
        sync: Some("Synced".into()),
        health: Some("Healthy".into()),
        revision: None,
        message: None,
    };
    // Before the app is rendered: kept, no row yet.
    let changes = state.apply(Input::Controller {
        id: id.clone(),
        view: Some(view.clone()),
    });
    assert!(changes.is_empty());
    state.apply(desired_app(
        "web",
        "dev",
        1,
        vec![desired_deployment(
            "web",
            "registry.example.com/web:1.4.2",
            3,
        )],
    ));
    connect(
        &mut state,
        "dev",
        vec![live_deployment(
            "web",
            "registry.example.com/web:1.4.2",
            2,
            7,
        )],
    );
    let snapshot = state.snapshot();
    let row = snapshot.app("web", "dev").expect("row");
    assert_eq!(row.sync, SyncState::OutOfSync);
    assert_eq!(row.controller.as_ref(), Some(&view));
    assert_eq!(
        row.controller_disagreement().as_deref(),
        Some("Argo CD says Synced, kubedrift says OutOfSync")
    );
    // The same opinion again: nothing changes.
    let generation = state.generation();
    state.apply(Input::Controller {
        id: id.clone(),
        view: Some(view.clone()),
    });
    assert_eq!(state.generation(), generation);
    // Argo CD now says OutOfSync too: they agree.
    let changes = state.apply(Input::Controller {
        id: id.clone(),
        view: Some(ControllerView {
            sync: Some("OutOfSync".into()),
            ..view
        }),
    });
    assert_eq!(changes, vec![ChangeKind::App(id.clone())]);
    assert_eq!(
        state
            .snapshot()
            .app("web", "dev")
            .and_then(|a| a.controller_disagreement()),
        None
    );
    state.apply(Input::Controller { id, view: None });
    assert!(state
        .snapshot()
        .app("web", "dev")
        .expect("row")
        .controller
        .is_none());
}

#[test]
fn a_tracked_object_listed_before_its_kind_is_listed_everywhere_is_decided_when_it_is() {
    let mut state = State::new();
    state.apply(desired_app(
        "web",
        "dev",
        1,
        vec![desired_deployment("web", "web:1.4.2", 2)],
    ));
    let mut canary = live_deployment("web-canary", "web:1.5.0-rc1", 1, 101);
    canary["metadata"]["labels"]["kubedrift.io/app"] = json!("web");
    // `shop` alone is planned and listed: the kind is listed, the cluster settled.
    connect(
        &mut state,
        "dev",
        vec![live_deployment("web", "web:1.4.2", 2, 100)],
    );
    assert!(state.snapshot().settled());
    // A second app namespace joins the plan: the kind is not listed there yet.
    let both = BTreeSet::from(["shop".to_string(), "shop-canary".to_string()]);
    state.apply(Input::Plan {
        context: "dev".into(),
        kinds: BTreeSet::from([deployment_kind()]),
        namespaces: Some(both),
        metadata_only: BTreeSet::new(),
    });
    assert!(!state.snapshot().settled());
    // Lists arrive namespace by namespace: the tracked canary first, the kind completes after.
    canary["metadata"]["namespace"] = json!("shop-canary");
    for (namespace, objects) in [
        ("shop-canary", vec![canary]),
        ("shop", vec![live_deployment("web", "web:1.4.2", 2, 100)]),
    ] {
        state.apply(cluster(
            "dev",
            ClusterEvent::Listed {
                metadata_only: false,
                kind: deployment_kind(),
                namespace: Some(namespace.into()),
                objects: objects.into_iter().map(LiveObject::new).collect(),
                at: at(),
            },
        ));
    }
    let snapshot = state.snapshot();
    assert!(snapshot.settled());
    let app = snapshot.app("web", "dev").expect("row");
    assert!(
        app.resources
            .iter()
            .any(|r| &*r.key.name == "web-canary" && r.verdict == Verdict::Extraneous),
        "{:?}",
        app.resources
            .iter()
            .map(|r| (&r.key.name, r.verdict.label()))
            .collect::<Vec<_>>()
    );
    assert_eq!(app.sync, SyncState::OutOfSync);
}
