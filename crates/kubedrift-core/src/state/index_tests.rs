//! The indexed, incremental state against a naive reference: random sequences of inputs
//! (renders across contexts, lists, watch events with and without tracking marks, discovery,
//! failed kinds, plan changes), applied one by one or in batches, must leave every app with
//! exactly the results a from-scratch evaluation of every desired and live key gives, a
//! snapshot built from them, and a change list naming everything that changed.

use super::*;
use crate::model::Object;
use proptest::prelude::*;
use serde_json::json;

const CONTEXTS: [&str; 2] = ["c1", "c2"];
const APPS: [&str; 3] = ["web", "api", "argocd/web"];
const ENVS: [&str; 3] = ["dev", "dev2", "prod"];
const NAMES: [&str; 3] = ["a", "b", "c"];
const NAMESPACES: [&str; 2] = ["shop", "ops"];

fn at() -> jiff::Timestamp {
    jiff::Timestamp::from_second(1_767_000_000).expect("timestamp")
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    ConfigMap,
    Deployment,
    /// A custom kind discovery may call cluster-scoped (desired copies carry a namespace
    /// until then).
    Widget,
}

impl Kind {
    fn group_kind(self) -> GroupKind {
        match self {
            Kind::ConfigMap => GroupKind::new("", "ConfigMap"),
            Kind::Deployment => GroupKind::new("apps", "Deployment"),
            Kind::Widget => GroupKind::new("example.com", "Widget"),
        }
    }

    fn api_version(self) -> &'static str {
        match self {
            Kind::ConfigMap => "v1",
            Kind::Deployment => "apps/v1",
            Kind::Widget => "example.com/v1",
        }
    }

    fn namespaced_live(self) -> bool {
        self != Kind::Widget
    }
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        Just(Kind::ConfigMap),
        Just(Kind::Deployment),
        Just(Kind::Widget)
    ]
}

/// Ownership marks a live object may carry.
#[derive(Debug, Clone)]
enum Marks {
    None,
    Kubedrift {
        app: usize,
        env: Option<&'static str>,
    },
    ArgoInstance(&'static str),
    ArgoTrackingId,
    /// Made by a controller (tracked, never claimed).
    ControllerOwned,
}

fn marks() -> impl Strategy<Value = Marks> {
    prop_oneof![
        Just(Marks::None),
        (
            0..APPS.len(),
            prop_oneof![
                Just(None),
                Just(Some("dev")),
                Just(Some("dev2")),
                Just(Some("prod")),
                Just(Some(" "))
            ]
        )
            .prop_map(|(app, env)| Marks::Kubedrift { app, env }),
        prop_oneof![Just("web"), Just("argocd_web"), Just("api")].prop_map(Marks::ArgoInstance),
        Just(Marks::ArgoTrackingId),
        Just(Marks::ControllerOwned),
    ]
}

#[derive(Debug, Clone)]
struct LiveSpec {
    name: usize,
    namespace: usize,
    value: u8,
    marks: Marks,
    rv: u8,
}

fn live_spec() -> impl Strategy<Value = LiveSpec> {
    (0..NAMES.len(), 0..NAMESPACES.len(), 0..2u8, marks(), 0..4u8).prop_map(
        |(name, namespace, value, marks, rv)| LiveSpec {
            name,
            namespace,
            value,
            marks,
            rv,
        },
    )
}

fn body(kind: Kind, value: u8) -> (&'static str, serde_json::Value) {
    match kind {
        Kind::ConfigMap => ("data", json!({"v": value.to_string()})),
        Kind::Deployment => ("spec", json!({"replicas": value})),
        Kind::Widget => ("spec", json!({"v": value})),
    }
}

fn live_object(kind: Kind, spec: &LiveSpec, metadata_only: bool) -> Object {
    let name = NAMES[spec.name];
    let namespace = kind.namespaced_live().then(|| NAMESPACES[spec.namespace]);
    let gk = kind.group_kind();
    let mut metadata = json!({"name": name, "resourceVersion": spec.rv.to_string(), "labels": {}});
    if let Some(ns) = namespace {
        metadata["namespace"] = json!(ns);
    }
    match &spec.marks {
        Marks::None => {}
        Marks::Kubedrift { app, env } => {
            metadata["labels"]["kubedrift.io/app"] = json!(APPS[*app]);
            if let Some(env) = env {
                metadata["labels"]["kubedrift.io/env"] = json!(env);
            }
        }
        Marks::ArgoInstance(value) => {
            metadata["labels"]["app.kubernetes.io/instance"] = json!(value);
        }
        Marks::ArgoTrackingId => {
            metadata["annotations"] = json!({"argocd.argoproj.io/tracking-id":
                format!("web:{}/{}:{}/{name}", gk.group, gk.kind, namespace.unwrap_or(""))});
        }
        Marks::ControllerOwned => {
            metadata["labels"]["kubedrift.io/app"] = json!("web");
            metadata["ownerReferences"] = json!([{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                "name": "owner", "uid": "1", "controller": true}]);
        }
    }
    let mut object =
        json!({"apiVersion": kind.api_version(), "kind": gk.kind, "metadata": metadata});
    if !metadata_only {
        let (field, value) = body(kind, spec.value);
        object[field] = value;
        if kind == Kind::Deployment {
            object["status"] = json!({"replicas": spec.value, "readyReplicas": spec.value,
                "updatedReplicas": spec.value, "availableReplicas": spec.value,
                "observedGeneration": 1});
            object["metadata"]["generation"] = json!(1);
        }
    }
    object
}

#[derive(Debug, Clone)]
struct RenderSpec {
    app: usize,
    env: usize,
    context: usize,
    /// Added to the app's last seq; 0 sometimes repeats it, and a stale one is below it.
    stale: bool,
    objects: Vec<(Kind, usize, u8)>,
    complete: bool,
    error: bool,
    ignore_values: bool,
}

#[derive(Debug, Clone)]
enum Step {
    Render(RenderSpec),
    Remove {
        app: usize,
        env: usize,
    },
    Plan {
        context: usize,
        kinds: Vec<Kind>,
        namespaces: Option<Vec<usize>>,
        deployments_metadata_only: bool,
    },
    Reach {
        context: usize,
        which: u8,
    },
    Discovered {
        context: usize,
        widget_cluster_scoped: bool,
        widget_missing: bool,
    },
    Listed {
        context: usize,
        kind: Kind,
        namespace: Option<usize>,
        objects: Vec<LiveSpec>,
        metadata_only: bool,
    },
    Upserted {
        context: usize,
        kind: Kind,
        object: LiveSpec,
        metadata_only: bool,
    },
    Deleted {
        context: usize,
        kind: Kind,
        object: LiveSpec,
        metadata_only: bool,
    },
    KindFailed {
        context: usize,
        kind: Kind,
        forbidden: bool,
    },
}

fn step() -> impl Strategy<Value = Step> {
    let context = 0..CONTEXTS.len();
    prop_oneof![
        4 => (
            0..APPS.len(),
            0..ENVS.len(),
            prop_oneof![4 => Just(0usize), 1 => Just(1usize)],
            prop::bool::weighted(0.1),
            prop::collection::vec((kind(), 0..NAMES.len(), 0..2u8), 0..5),
            prop::bool::weighted(0.85),
            prop::bool::weighted(0.05),
            prop::bool::weighted(0.15),
        )
            .prop_map(|(app, env, context, stale, objects, complete, error, ignore_values)| {
                Step::Render(RenderSpec { app, env, context, stale, objects, complete, error, ignore_values })
            }),
        1 => (0..APPS.len(), 0..ENVS.len()).prop_map(|(app, env)| Step::Remove { app, env }),
        2 => (
            context.clone(),
            prop::collection::vec(kind(), 1..4),
            prop_oneof![Just(None), prop::collection::vec(0..NAMESPACES.len(), 1..3).prop_map(Some)],
            prop::bool::weighted(0.2),
        )
            .prop_map(|(context, kinds, namespaces, deployments_metadata_only)| Step::Plan {
                context, kinds, namespaces, deployments_metadata_only
            }),
        1 => (context.clone(), 0..3u8).prop_map(|(context, which)| Step::Reach { context, which }),
        1 => (context.clone(), prop::bool::ANY, prop::bool::weighted(0.2)).prop_map(
            |(context, widget_cluster_scoped, widget_missing)| Step::Discovered {
                context, widget_cluster_scoped, widget_missing
            }
        ),
        4 => (
            context.clone(),
            kind(),
            prop_oneof![Just(None), (0..NAMESPACES.len()).prop_map(Some)],
            prop::collection::vec(live_spec(), 0..5),
            prop::bool::weighted(0.2),
        )
            .prop_map(|(context, kind, namespace, objects, metadata_only)| Step::Listed {
                context, kind, namespace, objects, metadata_only
            }),
        4 => (context.clone(), kind(), live_spec(), prop::bool::weighted(0.2)).prop_map(
            |(context, kind, object, metadata_only)| Step::Upserted { context, kind, object, metadata_only }
        ),
        2 => (context.clone(), kind(), live_spec(), prop::bool::weighted(0.2)).prop_map(
            |(context, kind, object, metadata_only)| Step::Deleted { context, kind, object, metadata_only }
        ),
        1 => (context, kind(), prop::bool::ANY).prop_map(|(context, kind, forbidden)| Step::KindFailed {
            context, kind, forbidden
        }),
    ]
}

/// Turns steps into inputs (keeping each app's render sequence numbers).
#[derive(Default)]
struct Inputs {
    seq: BTreeMap<AppId, u64>,
}

impl Inputs {
    fn input(&mut self, step: &Step) -> Input {
        let cluster = |context: usize, event: ClusterEvent| Input::Cluster {
            context: CONTEXTS[context].to_string(),
            event,
        };
        match step {
            Step::Render(spec) => {
                let id = AppId::new(APPS[spec.app], ENVS[spec.env]);
                let last = self.seq.get(&id).copied().unwrap_or(0);
                let seq = if spec.stale && last > 0 {
                    last - 1
                } else {
                    last + 1
                };
                self.seq.insert(id.clone(), seq.max(last));
                let objects: Vec<DesiredResource> = spec
                    .objects
                    .iter()
                    .map(|(kind, name, value)| {
                        let gk = kind.group_kind();
                        let mut object = json!({"apiVersion": kind.api_version(), "kind": gk.kind,
                            "metadata": {"name": NAMES[*name], "namespace": "shop",
                                         "labels": {"kubedrift.io/app": id.app}}});
                        let (field, body) = body(*kind, *value);
                        object[field] = body;
                        DesiredResource {
                            key: ResourceKey::from_object(
                                &object,
                                Some("shop"),
                                &crate::model::builtin_cluster_scoped,
                            )
                            .expect("identity"),
                            object: Arc::new(crate::model::StoredObject::new(object)),
                            origin: Some(format!("apps/{}/{}.yaml", id.app, NAMES[*name])),
                        }
                    })
                    .collect();
                let ignore = if spec.ignore_values {
                    vec![IgnoreRule {
                        json_pointers: vec!["/data/v".into(), "/spec/replicas".into()],
                        ..IgnoreRule::default()
                    }]
                } else {
                    Vec::new()
                };
                Input::Desired(DesiredApp {
                    id: id.clone(),
                    context: CONTEXTS[spec.context].to_string(),
                    namespace: Some("shop".into()),
                    revision: format!("main@{seq:07}"),
                    seq,
                    rendered: if spec.error {
                        Err("broken".into())
                    } else {
                        Ok(RenderedApp {
                            objects,
                            complete: spec.complete,
                            problems: Vec::new(),
                        })
                    },
                    ignore,
                })
            }
            Step::Remove { app, env } => Input::RemoveApp(AppId::new(APPS[*app], ENVS[*env])),
            Step::Plan {
                context,
                kinds,
                namespaces,
                deployments_metadata_only,
            } => Input::Plan {
                context: CONTEXTS[*context].to_string(),
                kinds: kinds.iter().map(|k| k.group_kind()).collect(),
                namespaces: namespaces.as_ref().map(|namespaces| {
                    namespaces
                        .iter()
                        .map(|n| NAMESPACES[*n].to_string())
                        .collect()
                }),
                metadata_only: if *deployments_metadata_only {
                    BTreeSet::from([Kind::Deployment.group_kind()])
                } else {
                    BTreeSet::new()
                },
            },
            Step::Reach { context, which } => cluster(
                *context,
                match which {
                    0 => ClusterEvent::Seen { at: at() },
                    1 => ClusterEvent::Slow {
                        detail: "slow".into(),
                        at: at(),
                    },
                    _ => ClusterEvent::Unreachable {
                        error: "refused".into(),
                        at: at(),
                    },
                },
            ),
            Step::Discovered {
                context,
                widget_cluster_scoped,
                widget_missing,
            } => {
                let widget = Kind::Widget.group_kind();
                cluster(
                    *context,
                    ClusterEvent::Discovered {
                        served: vec![Kind::ConfigMap.group_kind(), Kind::Deployment.group_kind()]
                            .into_iter()
                            .chain((!widget_missing).then(|| widget.clone()))
                            .collect(),
                        cluster_scoped: if *widget_cluster_scoped {
                            vec![widget.clone()]
                        } else {
                            Vec::new()
                        },
                        missing: if *widget_missing {
                            vec![widget]
                        } else {
                            Vec::new()
                        },
                        at: at(),
                    },
                )
            }
            Step::Listed {
                context,
                kind,
                namespace,
                objects,
                metadata_only,
            } => {
                let namespace = namespace.filter(|_| kind.namespaced_live());
                let objects = objects
                    .iter()
                    .map(|spec| {
                        let spec = LiveSpec {
                            namespace: namespace.unwrap_or(spec.namespace),
                            ..spec.clone()
                        };
                        live_object(*kind, &spec, *metadata_only).into()
                    })
                    .collect();
                cluster(
                    *context,
                    ClusterEvent::Listed {
                        kind: kind.group_kind(),
                        namespace: namespace.map(|n| NAMESPACES[n].to_string()),
                        objects,
                        metadata_only: *metadata_only,
                        at: at(),
                    },
                )
            }
            Step::Upserted {
                context,
                kind,
                object,
                metadata_only,
            } => cluster(
                *context,
                ClusterEvent::Upserted {
                    kind: kind.group_kind(),
                    object: live_object(*kind, object, *metadata_only).into(),
                    metadata_only: *metadata_only,
                    at: at(),
                },
            ),
            Step::Deleted {
                context,
                kind,
                object,
                metadata_only,
            } => cluster(
                *context,
                ClusterEvent::Deleted {
                    kind: kind.group_kind(),
                    object: live_object(*kind, object, *metadata_only).into(),
                    metadata_only: *metadata_only,
                    at: at(),
                },
            ),
            Step::KindFailed {
                context,
                kind,
                forbidden,
            } => cluster(
                *context,
                ClusterEvent::KindFailed {
                    kind: kind.group_kind(),
                    reason: "no".into(),
                    forbidden: *forbidden,
                    at: at(),
                },
            ),
        }
    }
}

/// A resource as compared: everything shown, and which objects it was judged from.
fn resource_line(view: &ResourceView) -> String {
    format!(
        "{:?} {:?} {:?} {:?} {:?} {} {:?} {:?}",
        view.key,
        view.verdict,
        view.health,
        view.origin,
        view.attribution,
        view.awaiting_list,
        view.desired.as_ref().map(|o| o.get().to_string()),
        view.live.as_ref().map(|o| o.get().to_string()),
    )
}

/// The reference: every app's results evaluated from scratch over every key it desires and
/// every live key of its cluster, without any index.
fn reference_results(state: &State) -> BTreeMap<AppId, Vec<String>> {
    state
        .apps
        .values()
        .map(|app| {
            let cluster = state.clusters.get(&app.context);
            let mut keys: BTreeSet<ResourceKey> = app.desired.keys().cloned().collect();
            if let Some(cluster) = cluster {
                keys.extend(cluster.live.iter().map(|(k, _)| k.clone()));
            }
            let lines = keys
                .iter()
                .filter_map(|key| evaluate(app, cluster, key, &state.field_managers))
                .map(|view| resource_line(&view))
                .collect();
            (app.id.clone(), lines)
        })
        .collect()
}

/// The row of an app view, as a `--watch` reader or the TUI compares it.
fn row(view: &AppView) -> String {
    format!(
        "{} {} {:?} {:?} {:?} {:?}",
        view.context, view.revision, view.sync, view.health, view.summary, view.namespace
    )
}

fn check(state: &State, before: &Snapshot, changes: &[ChangeKind]) -> Result<(), TestCaseError> {
    // Results: as from scratch.
    let expected = reference_results(state);
    let snapshot = state.snapshot();
    let published: BTreeMap<AppId, Vec<String>> = snapshot
        .apps
        .iter()
        .map(|(id, view)| {
            (
                id.clone(),
                view.resources.iter().map(|r| resource_line(r)).collect(),
            )
        })
        .collect();
    prop_assert_eq!(&published, &expected);
    // The published rows are those of the current results.
    for (id, app) in &state.apps {
        let cluster = state.clusters.get(&app.context);
        let view = app_view(app, cluster);
        let published = snapshot.apps.get(id).expect("published");
        prop_assert_eq!(row(published), row(&view), "row of {}", id);
    }
    // Every app, row and resource that changed since the previous snapshot is reported.
    let reported = |what: &ChangeKind| changes.contains(what);
    for (id, now) in &snapshot.apps {
        let replaced = reported(&ChangeKind::AppRemoved(id.clone()));
        let Some(was) = before.apps.get(id).filter(|_| !replaced) else {
            // New, or removed and added again within the batch: reported as a new app.
            prop_assert!(reported(&ChangeKind::App(id.clone())), "new app {}", id);
            continue;
        };
        if row(was) != row(now) {
            prop_assert!(reported(&ChangeKind::App(id.clone())), "row of {}", id);
        }
        let outcomes = |view: &AppView| -> BTreeMap<ResourceKey, String> {
            view.resources
                .iter()
                .map(|r| {
                    (
                        r.key.clone(),
                        format!("{:?} {:?} {:?}", r.verdict, r.health, r.attribution),
                    )
                })
                .collect()
        };
        let (was, now) = (outcomes(was), outcomes(now));
        for key in was.keys().chain(now.keys()) {
            if was.get(key) != now.get(key) {
                let change = ChangeKind::Resource {
                    app: id.clone(),
                    key: key.clone(),
                };
                prop_assert!(reported(&change), "{} {:?}", id, key);
                prop_assert!(reported(&ChangeKind::App(id.clone())), "{}", id);
            }
        }
    }
    for id in before.apps.keys() {
        if !snapshot.apps.contains_key(id) {
            prop_assert!(reported(&ChangeKind::AppRemoved(id.clone())), "{}", id);
        }
    }
    // Changes name only apps that exist (or are reported removed).
    for change in changes {
        if let ChangeKind::App(id) | ChangeKind::Resource { app: id, .. } = change {
            prop_assert!(snapshot.apps.contains_key(id), "change of gone app {}", id);
        }
    }
    check_indices(state)
}

/// The indices equal ones rebuilt from scratch (points at the index that went wrong).
fn check_indices(state: &State) -> Result<(), TestCaseError> {
    prop_assert_eq!(state.apps_by_context.count(), state.apps.len());
    for (id, app) in &state.apps {
        prop_assert!(state
            .apps_by_context
            .named(&app.context, &id.app)
            .any(|i| i == id));
    }
    for (context, cluster) in &state.clusters {
        let mut reported: HashMap<ResourceKey, BTreeSet<AppId>> = HashMap::new();
        for app in state.apps.values().filter(|a| a.context == *context) {
            for key in app.desired.keys().chain(app.results.keys()) {
                reported
                    .entry(key.clone())
                    .or_default()
                    .insert(app.id.clone());
            }
        }
        // One shared id per app still named by some key; none kept after its last key.
        let named: BTreeSet<&AppId> = reported.values().flatten().collect();
        prop_assert_eq!(cluster.reported.shared_ids(), named.len(), "{}", context);
        prop_assert_eq!(cluster.reported.entries(), reported, "{}", context);
        for app in state.apps.values().filter(|a| a.context == *context) {
            let claimed: BTreeSet<&ResourceKey> =
                cluster.live.claimed_by(&app.id.app, &app.id.env).collect();
            let scanned: BTreeSet<&ResourceKey> = cluster
                .live
                .iter()
                .filter(|(_, obj)| {
                    crate::engine::ownership::claims(&obj.value(), &app.id.app, Some(&app.id.env))
                })
                .map(|(k, _)| k)
                .collect();
            prop_assert_eq!(claimed, scanned, "claims of {}", app.id);
        }
        if let Err(wrong) = cluster.live.scopes_checked() {
            prop_assert!(false, "{}: {}", context, wrong);
        }
        for (key, obj) in cluster.live.iter() {
            for name in APPS {
                prop_assert_eq!(
                    cluster.live.tracked_names(key).iter().any(|n| n == name),
                    crate::engine::ownership::is_tracked_to(&obj.value(), name),
                    "{:?} tracked to {}",
                    key,
                    name
                );
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Applied one by one or in random batches, the indexed state publishes exactly what a
    /// naive full recompute gives, and reports every change.
    #[test]
    fn the_indexed_state_equals_a_full_recompute(
        steps in prop::collection::vec(step(), 1..60),
        batch_sizes in prop::collection::vec(1..6usize, 60),
    ) {
        let mut inputs = Inputs::default();
        let mut state = State::new();
        let mut steps = steps.iter();
        for size in batch_sizes {
            let batch: Vec<Input> = steps.by_ref().take(size).map(|s| inputs.input(s)).collect();
            if batch.is_empty() {
                break;
            }
            let before = state.snapshot();
            let changes = if batch.len() == 1 {
                let input = batch.into_iter().next().expect("one");
                state.apply(input)
            } else {
                state.apply_batch(batch)
            };
            check(&state, &before, &changes)?;
        }
    }
}
