//! One resource of one app: its verdict, health and attribution from the desired object and
//! the live cache (what `State` recomputes on every watch event that touches it).

use super::{AppState, ClusterState, KindState, ObjectRef, ResourceView};
use crate::engine::app::{compare_app, resource_status, Tracking};
use crate::engine::attribution;
use crate::engine::compare::{CompareOptions, Verdict};
use crate::engine::rollout;
use crate::model::{GroupKind, Object, ResourceKey, FIELD_MANAGER};
use std::collections::HashMap;
use std::sync::Arc;

/// The verdict, health and attribution of `key` in `app`; None when the resource is not part
/// of the app (not desired, and not a tracked live object).
pub(super) fn evaluate(
    app: &AppState,
    cluster: Option<&ClusterState>,
    key: &ResourceKey,
    field_managers: &[String],
) -> Option<ResourceView> {
    let desired = app.desired.get(key);
    let live = cluster.and_then(|c| c.live.get(key));
    let kind = GroupKind::of_key(key);
    let kind_state = cluster
        .map(|c| c.kind_state(&kind))
        .unwrap_or(KindState::Pending);
    let opts = CompareOptions {
        ignore: &app.ignore,
        field_manager: FIELD_MANAGER,
        field_managers,
    };
    let Some(desired) = desired else {
        // Extraneous only when tracked to the app and the render is complete.
        let live = live?;
        if !app.complete || kind_state != KindState::Listed {
            return None;
        }
        // The workload a desired Rollout takes its template from is rolled out by the app.
        let desired_objects = app
            .desired
            .iter()
            .filter(|(k, _)| rollout::is_rollout_key(k))
            .map(|(k, d)| (k, d.value()));
        if rollout::is_referenced_workload(key, desired_objects) {
            return None;
        }
        // Read back from its stored text once, for this evaluation only.
        let live_object = live.value();
        let live_map: HashMap<ResourceKey, &Object> =
            HashMap::from([(key.clone(), live_object.as_ref())]);
        let result = compare_app(
            &[],
            &live_map,
            Tracking::App {
                name: &app.id.app,
                env: Some(&app.id.env),
            },
            &opts,
        );
        let status = result.resources.into_iter().next()?;
        // A metadata-only object has no status to judge health by.
        let metadata_only = cluster.is_some_and(|c| c.metadata_only.contains(&kind));
        return Some(ResourceView {
            key: key.clone(),
            verdict: status.verdict,
            health: if metadata_only { None } else { status.health },
            origin: None,
            attribution: None,
            awaiting_list: false,
            desired: None,
            live: Some(ObjectRef::Live(Arc::clone(live))),
        });
    };
    let unknown = |reason: String, awaiting_list: bool| ResourceView {
        key: key.clone(),
        verdict: Verdict::Unknown { reason },
        health: None,
        origin: desired.origin.clone(),
        attribution: None,
        awaiting_list,
        desired: Some(ObjectRef::Desired(Arc::clone(&desired.object))),
        live: None,
    };
    match kind_state {
        KindState::Pending => {
            return Some(unknown(
                format!("waiting for the first list of {kind}"),
                true,
            ));
        }
        KindState::Failed { reason, forbidden } => {
            let reason = if forbidden {
                format!("may not list {kind}: {reason}")
            } else {
                reason
            };
            return Some(unknown(reason, false));
        }
        KindState::Listed => {}
    }
    // Read back from its stored text once, for this evaluation only.
    let live_object = live.map(|l| l.value());
    // The desired object too, read once for the compare and the attribution.
    let desired_object = desired.value();
    let status = resource_status(desired, &desired_object, live_object.as_deref(), &opts);
    let attribution = match (&status.verdict, live_object.as_deref()) {
        (Verdict::OutOfSync { paths }, Some(live)) => Some(attribution::attribute(
            &desired_object,
            live,
            paths,
            FIELD_MANAGER,
        )),
        _ => None,
    };
    Some(ResourceView {
        key: key.clone(),
        verdict: status.verdict,
        health: status.health,
        origin: status.origin,
        attribution,
        awaiting_list: false,
        desired: Some(ObjectRef::Desired(Arc::clone(&desired.object))),
        live: live.map(|l| ObjectRef::Live(Arc::clone(l))),
    })
}
