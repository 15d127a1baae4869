//! Flux objects that report reconciliation through kstatus conditions — Kustomization,
//! HelmRelease, GitRepository, HelmRepository — judged as Argo CD's bundled checks for the
//! `*.toolkit.fluxcd.io` kinds judge them. One rule, parameterized per kind by [`FluxKind`]:
//!
//! - `spec.suspend: true` → Suspended ("<Kind> is suspended");
//! - `Ready=True`, plus for some kinds a companion condition `True` (HelmRelease: `Released`
//!   or `TestSuccess`; GitRepository, HelmRepository: `ArtifactInStorage`) → Healthy;
//! - `Ready=Unknown` while `Reconciling=True` → Progressing;
//! - anything else with conditions → Degraded (a failed reconcile leaves `Ready=False`);
//! - no conditions yet → Progressing ("Status unknown");
//! - a HelmRepository of `type: oci` writes no status at all: Healthy.
//!
//! Deliberate deviations from Argo CD, each for a live view:
//! - `Stalled=True` is Degraded whatever `Ready` says: the controller has given up retrying,
//!   and that is the news.
//! - `Reconciling=True` without a `Ready` condition (the first reconcile of a new object) is
//!   Progressing, not Degraded; an empty condition list reads like a missing one.
//! - Healthy needs *a* companion condition True; Argo CD counts exactly two successes, so a
//!   HelmRelease whose tests passed too (`Ready`, `Released`, `TestSuccess` all True) reads
//!   Degraded there.
//! - The message is the condition's reason followed by its message (Argo CD shows the reason
//!   only, which hides *what* failed, e.g. the kustomize build error).

use super::{array_at, bool_at, str_at, Health, HealthStatus};
use serde_json::Value;

/// What differs between the Flux kinds.
pub(super) struct FluxKind {
    /// Conditions of which one must be True, besides `Ready`, for Healthy.
    companions: &'static [&'static str],
    /// `spec.type: oci` means the controller writes no status (HelmRepository).
    oci_without_status: bool,
}

const KUSTOMIZATION: FluxKind = FluxKind {
    companions: &[],
    oci_without_status: false,
};
const HELM_RELEASE: FluxKind = FluxKind {
    companions: &["Released", "TestSuccess"],
    oci_without_status: false,
};
const GIT_REPOSITORY: FluxKind = FluxKind {
    companions: &["ArtifactInStorage"],
    oci_without_status: false,
};
const HELM_REPOSITORY: FluxKind = FluxKind {
    companions: &["ArtifactInStorage"],
    oci_without_status: true,
};

pub(super) fn kustomization(obj: &Value) -> Health {
    reconciled(obj, &KUSTOMIZATION)
}

pub(super) fn helm_release(obj: &Value) -> Health {
    reconciled(obj, &HELM_RELEASE)
}

pub(super) fn git_repository(obj: &Value) -> Health {
    reconciled(obj, &GIT_REPOSITORY)
}

pub(super) fn helm_repository(obj: &Value) -> Health {
    reconciled(obj, &HELM_REPOSITORY)
}

fn reconciled(obj: &Value, flux_kind: &FluxKind) -> Health {
    if bool_at(obj, &["spec", "suspend"]) {
        return Health::new(
            HealthStatus::Suspended,
            format!("{} is suspended", str_at(obj, &["kind"])),
        );
    }
    if flux_kind.oci_without_status && str_at(obj, &["spec", "type"]) == "oci" {
        return Health::new(
            HealthStatus::Healthy,
            "Helm repositories of type 'oci' do not report a status",
        );
    }
    let conditions = array_at(obj, &["status", "conditions"]);
    if conditions.is_empty() {
        return Health::new(HealthStatus::Progressing, "Status unknown");
    }
    let find = |kind: &str| conditions.iter().find(|c| str_at(c, &["type"]) == kind);
    let is_true = |kind: &str| find(kind).map(condition_status) == Some("True");
    if let Some(stalled) = find("Stalled").filter(|c| condition_status(c) == "True") {
        return Health::new(HealthStatus::Degraded, reason_and_message(stalled));
    }
    let ready = find("Ready");
    let reconciling = is_true("Reconciling");
    let mut message = ready.map(reason_and_message).unwrap_or_default();
    if let Some(outdated) = find("ArtifactOutdated").filter(|c| condition_status(c) == "True") {
        message = format!("{message}; {}", reason_and_message(outdated));
    }
    match ready.map(condition_status) {
        Some("True") => {
            let companion =
                flux_kind.companions.is_empty() || flux_kind.companions.iter().any(|c| is_true(c));
            if companion {
                Health::new(HealthStatus::Healthy, message)
            } else {
                Health::new(
                    HealthStatus::Degraded,
                    format!(
                        "{message}; no {} condition is True",
                        flux_kind.companions.join(" or ")
                    ),
                )
            }
        }
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
