//! What the live store costs per object, and the pure hot paths behind a verdict
//! (harness = false; `cargo bench --bench live_store -- [N] [mode]`).
//!
//! Objects are realistic (`sandbox_objects`: server-side applied to a sandbox API server by
//! `kubedrift`, Deployments with a status written by `kube-controller-manager`). They are read
//! back as a list answer and fed to the pure [`State`] as the cluster tasks would: one app
//! desiring all of them, a plan, discovery, one list per kind.
//!
//! Memory is counted by a counting global allocator (bytes requested, not RSS): what the
//! state holds after the lists, per object; and the peak while listing.
//!
//! Modes (for callgrind, `--toggle-collect` on the named functions):
//! - `edits`: 200 live edits (a ConfigMap value flips), each applied as a watch event:
//!   [`apply_edits`].
//! - `commits`: 5 re-renders of the app with one object changed: [`apply_commits`].
//! - `commits-full`: the same, each with different (matching nothing) ignore rules, which
//!   makes the state recompute every resource: the cost of a re-render before it was
//!   incremental.

mod sandbox_objects;

use kubedrift::cluster::compact::{compact, compact_live, pack_managed_fields};
use kubedrift::model::{builtin_cluster_scoped, GroupKind, Object, ResourceKey};
use kubedrift::sandbox::Sandbox;
use kubedrift::state::{
    AppId, ClusterEvent, DesiredApp, DesiredResource, Input, LiveObject, RenderedApp, State,
    SyncState,
};
use sandbox_objects::{manifest, sandbox_with_objects, CONTEXT, KINDS, NAMESPACE};
use serde_json::json;
use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
/// Bytes held by the list answers handed to the state (the objects as stored).
static HELD: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            if new_size >= layout.size() {
                let now = CURRENT.fetch_add(new_size - layout.size(), Ordering::Relaxed)
                    + (new_size - layout.size());
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                CURRENT.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn current() -> usize {
    CURRENT.load(Ordering::Relaxed)
}

/// The live objects as a list answer would give them, by kind.
/// The lists as values (to look at) and as the watchers hand them to the state (counted).
type Lists = Vec<(GroupKind, Vec<Object>, Vec<LiveObject>)>;

fn live_objects(n: usize) -> (Sandbox, Lists) {
    let sandbox = sandbox_with_objects(n);
    let cluster = sandbox.cluster(CONTEXT).expect("cluster");
    let lists = KINDS
        .into_iter()
        .map(|(group, version, kind, _)| {
            let api_version = if group.is_empty() {
                version.to_string()
            } else {
                format!("{group}/{version}")
            };
            // Through the client's path: JSON on the wire parsed once into a serde_json value
            // (what the watchers' `WireObject` does).
            let listed = cluster.list(&api_version, kind, Some(NAMESPACE));
            let objects: Vec<Object> = listed
                .iter()
                .map(|object| {
                    let wire = serde_json::to_vec(object).expect("json");
                    serde_json::from_slice(&wire).expect("object")
                })
                .collect();
            // As the watchers hand objects over: `WireObject::into_live` in src/cluster/wire.rs
            // (KUBEDRIFT_BENCH_RAW=1: managedFields not packed).
            let before = current();
            let stored: Vec<LiveObject> = objects
                .iter()
                .map(|object| {
                    let mut object = object.clone();
                    if !raw_values() {
                        pack_managed_fields(&mut object);
                    }
                    LiveObject::new(object)
                })
                .collect();
            HELD.fetch_add(current() - before, Ordering::Relaxed);
            // What is looked at below: values as the state held them before (compacted).
            let objects = objects.into_iter().map(compact_live).collect();
            (GroupKind::new(group, kind), objects, stored)
        })
        .collect();
    (sandbox, lists)
}

fn desired_app(n: usize, seq: u64, changed: Option<usize>) -> DesiredApp {
    let objects = (0..n)
        .map(|i| {
            let mut object = manifest(i);
            if Some(i) == changed {
                object["data"]["LOG_LEVEL"] = json!(format!("debug-{seq}"));
            }
            DesiredResource {
                key: ResourceKey::from_object(&object, Some(NAMESPACE), &builtin_cluster_scoped)
                    .expect("key"),
                // Desired objects are stored as text either way (`DesiredResource::new`).
                object: Arc::new(kubedrift::model::StoredObject::new(object)),
                origin: Some(format!("apps/bench/{CONTEXT}/all.yaml:{}", i * 20 + 1)),
            }
        })
        .collect();
    DesiredApp {
        id: AppId::new("bench", CONTEXT),
        context: CONTEXT.to_string(),
        namespace: Some(NAMESPACE.to_string()),
        revision: format!("main@{seq:07}"),
        seq,
        rendered: Ok(RenderedApp {
            objects,
            complete: true,
            problems: Vec::new(),
        }),
        ignore: Vec::new(),
    }
}

fn raw_values() -> bool {
    std::env::var_os("KUBEDRIFT_BENCH_RAW").is_some()
}

fn kinds() -> BTreeSet<GroupKind> {
    [
        GroupKind::new("", "ConfigMap"),
        GroupKind::new("", "Service"),
        GroupKind::new("apps", "Deployment"),
    ]
    .into_iter()
    .collect()
}

/// 200 watch events, each flipping one ConfigMap between in sync and drifted.
#[inline(never)]
fn apply_edits(state: &mut State, configmaps: &[Object]) -> Duration {
    let started = Instant::now();
    for n in 0..200 {
        let mut object = configmaps[(n * 7) % configmaps.len()].clone();
        let value = if n % 2 == 0 { "debug" } else { "info" };
        object["data"]["LOG_LEVEL"] = json!(value);
        object["metadata"]["resourceVersion"] = json!(format!("{}", 1_000_000 + n));
        state.apply(Input::Cluster {
            context: CONTEXT.to_string(),
            event: ClusterEvent::Upserted {
                kind: GroupKind::new("", "ConfigMap"),
                object: object.into(),
                metadata_only: false,
                at: jiff::Timestamp::UNIX_EPOCH,
            },
        });
    }
    started.elapsed()
}

/// 5 re-renders of the app, one object changed each time.
#[inline(never)]
fn apply_commits(state: &mut State, renders: Vec<DesiredApp>) -> Duration {
    let started = Instant::now();
    for app in renders {
        state.apply(Input::Desired(app));
    }
    started.elapsed()
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let n: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let mode = args.get(1).cloned().unwrap_or_default();

    let (sandbox, lists) = live_objects(n);
    let live_json_bytes: usize = lists
        .iter()
        .flat_map(|(_, objects, _)| objects.iter())
        .map(|o| serde_json::to_vec(o).map(|v| v.len()).unwrap_or(0))
        .sum();
    let configmaps: Vec<Object> = lists
        .iter()
        .find(|(kind, _, _)| kind.kind == "ConfigMap")
        .map(|(_, objects, _)| objects.iter().take(64).cloned().collect())
        .unwrap_or_default();

    // What the list answers (as the watchers hand them over) occupy,
    // counted while they were built (a deep copy would not do: a clone has no spare
    // capacity).
    let live_value_bytes = HELD.load(Ordering::Relaxed);

    // Where an object's bytes go, per kind (measured on compact copies).
    for (kind, objects, _) in &lists {
        let Some(sample) = objects
            .iter()
            .find(|o| o["metadata"]["name"] != "kube-root-ca.crt")
        else {
            continue;
        };
        let bytes_of = |value: &Object| {
            let before = current();
            let copy = compact(value.clone());
            let bytes = current() - before;
            drop(copy);
            bytes
        };
        let managed = &sample["metadata"]["managedFields"];
        let fields_v1: usize = managed
            .as_array()
            .into_iter()
            .flatten()
            .map(|entry| bytes_of(&entry["fieldsV1"]))
            .sum();
        println!(
            "  {}: {} B (JSON {} B); managedFields {} B, of which fieldsV1 {} B (JSON {} B); status {} B",
            kind.kind,
            bytes_of(sample),
            serde_json::to_vec(sample).map(|v| v.len()).unwrap_or(0),
            bytes_of(managed),
            fields_v1,
            managed
                .as_array()
                .into_iter()
                .flatten()
                .map(|entry| serde_json::to_vec(&entry["fieldsV1"]).map(|v| v.len()).unwrap_or(0))
                .sum::<usize>(),
            bytes_of(&sample["status"]),
        );
    }

    let m0 = current();
    let mut state = State::new();
    state.apply(Input::Plan {
        context: CONTEXT.to_string(),
        kinds: kinds(),
        namespaces: Some([NAMESPACE.to_string()].into_iter().collect()),
        metadata_only: BTreeSet::new(),
    });
    state.apply(Input::Cluster {
        context: CONTEXT.to_string(),
        event: ClusterEvent::Discovered {
            served: kinds().into_iter().collect(),
            cluster_scoped: Vec::new(),
            missing: Vec::new(),
            at: jiff::Timestamp::UNIX_EPOCH,
        },
    });
    state.apply(Input::Desired(desired_app(n, 1, None)));
    let m_desired = current();
    let objects_in_lists: usize = lists.iter().map(|(_, o, _)| o.len()).sum();
    PEAK.store(m_desired, Ordering::Relaxed);
    let stored_text: usize = lists
        .iter()
        .flat_map(|(_, _, stored)| stored.iter())
        .map(LiveObject::text_len)
        .sum();
    // The values were allocated before m0: kept until the end, so the counts stay deltas.
    let mut looked_at = Vec::new();
    for (kind, values, objects) in lists {
        looked_at.push(values);
        state.apply(Input::Cluster {
            context: CONTEXT.to_string(),
            event: ClusterEvent::Listed {
                kind,
                namespace: Some(NAMESPACE.to_string()),
                objects,
                metadata_only: false,
                at: jiff::Timestamp::UNIX_EPOCH,
            },
        });
    }
    let peak_listing = PEAK.load(Ordering::Relaxed);
    let m_live = current();
    let snapshot = state.snapshot();
    let app = snapshot.app("bench", CONTEXT).expect("app");
    assert_eq!(app.sync, SyncState::Synced, "{:?}", app.message());
    assert_eq!(app.resources.len(), n);

    // The lists were moved into the state: m_live - m_desired is what the live side costs,
    // minus the list answers themselves (counted before, in m_lists - m_desired = 0 here
    // since they were built before m0).
    let per = |bytes: usize| bytes as f64 / n as f64;
    println!(
        "live store: {n} objects ({objects_in_lists} listed), JSON as served {:.0} B/object",
        per(live_json_bytes)
    );
    println!(
        "  live objects as stored (text {:.0} B, ownership, key): {:.0} B/object",
        per(stored_text),
        per(live_value_bytes)
    );
    // The lists' values were allocated before m0 and moved into the state.
    let live_side = (m_live + live_value_bytes).saturating_sub(m_desired);
    println!(
        "  state: desired side {:.0} B/object; live side (objects, keys, verdicts, views) {:.0} B/object; total {:.0} B/object",
        per(m_desired - m0),
        per(live_side),
        per(m_live + live_value_bytes - m0),
    );
    println!(
        "  peak while listing (incl. the list answers): {:.1} MiB",
        (peak_listing + live_value_bytes - m0) as f64 / (1024.0 * 1024.0)
    );

    match mode.as_str() {
        "edits" => {
            let took = apply_edits(&mut state, &configmaps);
            println!(
                "  200 live edits applied in {:.1} ms ({:.0} µs each)",
                took.as_secs_f64() * 1e3,
                took.as_secs_f64() * 1e6 / 200.0
            );
        }
        "commits" | "commits-full" => {
            let renders: Vec<DesiredApp> = (0..5)
                .map(|c| {
                    let mut app = desired_app(n, 2 + c as u64, Some(c * 3));
                    if mode == "commits-full" {
                        // An ignore rule matching nothing, different each time: the verdicts
                        // are the same, but changed options make the state recompute every
                        // resource (what every re-render did before it became incremental).
                        app.ignore = vec![kubedrift::engine::ignore::IgnoreRule {
                            kind: Some(format!("NoSuchKind{c}")),
                            json_pointers: vec!["/spec".into()],
                            ..Default::default()
                        }];
                    }
                    app
                })
                .collect();
            let took = apply_commits(&mut state, renders);
            println!(
                "  state after the re-renders: {:.0} B/object (after the lists: {:.0})",
                per(current() + live_value_bytes - m0),
                per(m_live + live_value_bytes - m0),
            );
            println!(
                "  5 re-renders applied in {:.1} ms ({:.1} ms each)",
                took.as_secs_f64() * 1e3,
                took.as_secs_f64() * 1e3 / 5.0
            );
        }
        _ => {}
    }
    drop(state);
    drop(sandbox);
}
