//! Flux objects that report reconciliation through kstatus conditions: Kustomization,
//! HelmRelease, GitRepository and HelmRepository share one rule, as in Argo CD's bundled
//! checks for the `*.toolkit.fluxcd.io` kinds:
//!
//! - `spec.suspend: true` → Suspended ("<Kind> is suspended");
//! - `Ready=True` → Healthy;
//! - `Ready=Unknown` while `Reconciling=True` → Progressing;
//! - anything else with conditions → Degraded (a failed reconcile leaves `Ready=False`);
//! - no conditions yet → Progressing ("Status unknown").
//!
//! Deliberate deviations from Argo CD, each for a live view:
//! - `Stalled=True` is Degraded whatever `Ready` says: the controller has given up retrying,
//!   and that is the news.
//! - `Reconciling=True` without a `Ready` condition (the first reconcile of a new object) is
//!   Progressing, not Degraded; an empty condition list reads like a missing one.
//! - The message is the condition's reason followed by its message (Argo CD shows the reason
//!   only, which hides *what* failed, e.g. the kustomize build error).

use super::{array_at, bool_at, str_at, Health, HealthStatus};
use serde_json::Value;

pub(super) fn reconciled_object(obj: &Value) -> Health {
    if bool_at(obj, &["spec", "suspend"]) {
        return Health::new(
            HealthStatus::Suspended,
            format!("{} is suspended", str_at(obj, &["kind"])),
        );
    }
    let conditions = array_at(obj, &["status", "conditions"]);
    if conditions.is_empty() {
        return Health::new(HealthStatus::Progressing, "Status unknown");
    }
    let find = |kind: &str| conditions.iter().find(|c| str_at(c, &["type"]) == kind);
    let ready = find("Ready");
    let reconciling = find("Reconciling").map(condition_status) == Some("True");
    if let Some(stalled) = find("Stalled").filter(|c| str_at(c, &["status"]) == "True") {
        return Health::new(HealthStatus::Degraded, reason_and_message(stalled));
    }
    let message = ready.map(reason_and_message).unwrap_or_default();
    match ready.map(condition_status) {
        Some("True") => Health::new(HealthStatus::Healthy, message),
        Some("Unknown") if reconciling => Health::new(HealthStatus::Progressing, message),
        None if reconciling => Health::new(
            HealthStatus::Progressing,
            find("Reconciling")
                .map(reason_and_message)
                .unwrap_or_default(),
        ),
        None => Health::new(HealthStatus::Degraded, "no Ready condition"),
        _ => Health::new(HealthStatus::Degraded, message),
    }
}

fn condition_status(condition: &Value) -> &str {
    str_at(condition, &["status"])
}

/// `Reason: message`, or whichever of the two is set.
fn reason_and_message(condition: &Value) -> String {
    let reason = str_at(condition, &["reason"]);
    let message = str_at(condition, &["message"]);
    match (reason.is_empty(), message.is_empty()) {
        (false, false) => format!("{reason}: {message}"),
        (false, true) => reason.to_string(),
        (true, _) => message.to_string(),
    }
}
