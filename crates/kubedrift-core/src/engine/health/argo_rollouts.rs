//! Argo Rollouts: `Rollout` and `AnalysisRun`, judged as Argo CD's bundled health checks for
//! `argoproj.io` judge them.
//!
//! Rollout: since Argo Rollouts v1.0 the controller writes `status.phase` and
//! `status.message` itself, and Argo CD surfaces them (`Paused` read as Suspended) once the
//! controller has observed the current spec — and, for a Rollout whose template comes from a
//! `workloadRef`, the referenced workload's generation. Rollouts written by older controllers
//! (no phase) are judged from their conditions, pause state, replica counts and, per strategy,
//! the active selector (blue/green) or the stable ReplicaSet (canary).
//!
//! Deliberate deviations: a Rollout phase Argo Rollouts does not define reads as Unknown with
//! the phase in the message (Argo CD would pass the unknown word through as a status); an
//! AnalysisRun with a status but an unknown or no phase reads as Unknown or Progressing (Argo
//! CD's script returns no status at all then), and an empty `status.message` as absent (the
//! default message is shown).

use super::{array_at, at, int_at, opt_int_at, str_at, Health, HealthStatus};
use serde_json::Value;

/// Annotation where the Rollouts controller records the generation of the `workloadRef`
/// workload it resolved the template from.
pub const WORKLOAD_GENERATION_ANNOTATION: &str = "rollout.argoproj.io/workload-generation";

const SPEC_NOT_OBSERVED: &str = "Waiting for rollout spec update to be observed";

pub(super) fn rollout(obj: &Value) -> Health {
    if !generation_observed(obj) || !workload_generation_observed(obj) {
        return Health::new(HealthStatus::Progressing, SPEC_NOT_OBSERVED);
    }
    let phase = str_at(obj, &["status", "phase"]);
    if !phase.is_empty() {
        let status = match phase {
            "Healthy" => HealthStatus::Healthy,
            "Progressing" => HealthStatus::Progressing,
            "Paused" => HealthStatus::Suspended,
            "Degraded" => HealthStatus::Degraded,
            other => {
                return Health::new(
                    HealthStatus::Unknown,
                    format!("Rollout phase {other:?} is not one Argo Rollouts defines"),
                )
            }
        };
        return Health::new(status, str_at(obj, &["status", "message"]));
    }
    legacy_rollout(obj)
}

/// `status.observedGeneration` is a number (or a numeric string) since v0.10; before that it
/// was a template hash, which says nothing about generations and counts as observed.
fn generation_observed(obj: &Value) -> bool {
    let status = at(obj, &["status"]);
    if status.is_null() {
        return false;
    }
    let generation = int_at(obj, &["metadata", "generation"]);
    match number_or_numeric_string(at(status, &["observedGeneration"])) {
        Some(observed) => observed >= generation,
        None => true,
    }
}

/// For a Rollout whose template comes from `spec.workloadRef`: the generation of the
/// referenced workload the controller last resolved must be the one it has rolled out.
fn workload_generation_observed(obj: &Value) -> bool {
    if at(obj, &["spec", "workloadRef"]).is_null()
        || at(obj, &["metadata", "annotations"]).is_null()
    {
        return true;
    }
    let resolved = number_or_numeric_string(at(
        obj,
        &["metadata", "annotations", WORKLOAD_GENERATION_ANNOTATION],
    ));
    let observed = number_or_numeric_string(at(obj, &["status", "workloadObservedGeneration"]));
    resolved == observed
}

fn number_or_numeric_string(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Rollouts without `status.phase` (controllers before v1.0).
fn legacy_rollout(obj: &Value) -> Health {
    for condition in array_at(obj, &["status", "conditions"]) {
        let kind = str_at(condition, &["type"]);
        let reason = str_at(condition, &["reason"]);
        let failed = kind == "InvalidSpec"
            || (kind == "Progressing"
                && matches!(reason, "RolloutAborted" | "ProgressDeadlineExceeded"));
        if failed {
            return Health::new(HealthStatus::Degraded, str_at(condition, &["message"]));
        }
    }
    let pause_conditions = !array_at(obj, &["status", "pauseConditions"]).is_empty();
    if pause_conditions || super::bool_at(obj, &["spec", "paused"]) {
        return Health::new(HealthStatus::Suspended, "Rollout is paused");
    }
    let current_hash = at(obj, &["status", "currentPodHash"]);
    let Some(current_hash) = current_hash.as_str() else {
        return Health::new(
            HealthStatus::Progressing,
            "Waiting for rollout to finish: status has not been reconciled.",
        );
    };
    let desired = opt_int_at(obj, &["spec", "replicas"]).unwrap_or(1);
    let replicas = int_at(obj, &["status", "replicas"]);
    let updated = int_at(obj, &["status", "updatedReplicas"]);
    let available = int_at(obj, &["status", "availableReplicas"]);
    if updated < desired {
        return Health::new(
            HealthStatus::Progressing,
            "Waiting for roll out to finish: More replicas need to be updated",
        );
    }
    if available < updated {
        return Health::new(
            HealthStatus::Progressing,
            "Waiting for roll out to finish: updated replicas are still becoming available",
        );
    }
    // v0.8 moved the stable ReplicaSet from status.canary.stableRS to status.stableRS.
    let stable = match str_at(obj, &["status", "stableRS"]) {
        "" => str_at(obj, &["status", "canary", "stableRS"]),
        stable => stable,
    };
    if !at(obj, &["spec", "strategy", "blueGreen"]).is_null() {
        if at(obj, &["status", "blueGreen", "activeSelector"]).as_str() != Some(current_hash) {
            return Health::new(HealthStatus::Progressing, "active service cutover pending");
        }
        if !stable.is_empty() && stable != current_hash {
            return Health::new(
                HealthStatus::Progressing,
                "waiting for analysis to complete",
            );
        }
    } else if !at(obj, &["spec", "strategy", "canary"]).is_null() {
        if replicas > updated {
            return Health::new(
                HealthStatus::Progressing,
                "Waiting for roll out to finish: old replicas are pending termination",
            );
        }
        if stable.is_empty() || stable != current_hash {
            return Health::new(
                HealthStatus::Progressing,
                "Waiting for rollout to finish steps",
            );
        }
    }
    Health::bare(HealthStatus::Healthy)
}

/// An AnalysisRun by its phase; Inconclusive is Unknown (a person must decide), as in Argo CD.
pub(super) fn analysis_run(obj: &Value) -> Health {
    let message = str_at(obj, &["status", "message"]);
    let or_default = |default: &str| {
        if message.is_empty() {
            default.to_string()
        } else {
            message.to_string()
        }
    };
    match str_at(obj, &["status", "phase"]) {
        "Pending" | "Running" => Health::new(HealthStatus::Progressing, "Analysis run is running"),
        "Successful" => Health::new(
            HealthStatus::Healthy,
            or_default("Analysis run completed successfully"),
        ),
        "Failed" => Health::new(HealthStatus::Degraded, or_default("Analysis run failed")),
        "Error" => Health::new(
            HealthStatus::Degraded,
            or_default("Analysis run had an error"),
        ),
        "Inconclusive" => Health::new(
            HealthStatus::Unknown,
            or_default("Analysis run was inconclusive"),
        ),
        "" => Health::new(
            HealthStatus::Progressing,
            "Waiting for analysis run to finish: status has not been reconciled.",
        ),
        other => Health::new(
            HealthStatus::Unknown,
            format!("AnalysisRun phase {other:?} is not one Argo Rollouts defines"),
        ),
    }
}
