//! Resource health, following Argo CD's built-in rules (gitops-engine `pkg/health`).
//!
//! Rules exist for Deployment, StatefulSet, DaemonSet, ReplicaSet (`apps`), Service, Pod,
//! PersistentVolumeClaim (core), Ingress (`networking.k8s.io`, `extensions`), Job (`batch`),
//! HorizontalPodAutoscaler (`autoscaling`) and APIService (`apiregistration.k8s.io`), as
//! built into Argo CD; and, as Argo CD's bundled resource customizations judge them, Argo
//! Rollouts' Rollout and AnalysisRun (`argo_rollouts`) and Flux's Kustomization, HelmRelease,
//! GitRepository and HelmRepository (`flux`). Other kinds have no health (`None`), except that any object with a `deletionTimestamp` is
//! Progressing ("Pending deletion"), as in Argo CD: a deletion stuck on a finalizer is worth
//! seeing during an incident.
//!
//! Missing fields read as Go's zero values, exactly as Argo CD's typed conversion does, so a
//! half-written status never panics and is judged the same way Argo CD judges it. Messages
//! use Argo CD's wording where it has one; where Argo CD gives none (Service, Ingress, PVC,
//! running Job) kubedrift adds a short reason.
//!
//! Deliberate deviations from Argo CD, each because Argo CD's reading is wrong for a live view:
//! - Pod: a missing `restartPolicy` counts as `Always` (the API server's default).
//! - Job: `Complete`, `Failed` and `Suspended` count only with status `True` (a resumed Job
//!   keeps `Suspended=False`, which Argo CD reads as finished and Healthy).
//! - HPA: a degraded condition wins wherever it appears in the list (Argo CD's first-match
//!   loop reported Healthy when `AbleToScale=True` came before `ScalingActive=False`).

mod argo_rollouts;
mod flux;

use crate::model::group_of;
use serde::Serialize;
use serde_json::Value;

/// Health of a resource, ordered from best to worst, so `max` is "worst".
///
/// The order is Argo CD's `healthOrder`: Healthy < Suspended < Progressing < Missing <
/// Degraded < Unknown. Unknown is worst because "cannot tell" must never hide behind a better
/// status when aggregating an app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum HealthStatus {
    Healthy,
    Suspended,
    Progressing,
    Missing,
    Degraded,
    Unknown,
}

impl HealthStatus {
    /// The name shown to users (Argo CD's spelling).
    pub fn label(self) -> &'static str {
        match self {
            HealthStatus::Healthy => "Healthy",
            HealthStatus::Suspended => "Suspended",
            HealthStatus::Progressing => "Progressing",
            HealthStatus::Missing => "Missing",
            HealthStatus::Degraded => "Degraded",
            HealthStatus::Unknown => "Unknown",
        }
    }
}

/// A health status with the reason behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Health {
    pub status: HealthStatus,
    pub message: Option<String>,
}

impl Health {
    fn new(status: HealthStatus, message: impl Into<String>) -> Self {
        let message = message.into();
        Health {
            status,
            message: (!message.is_empty()).then_some(message),
        }
    }

    fn bare(status: HealthStatus) -> Self {
        Health {
            status,
            message: None,
        }
    }
}

/// Finalizer Argo CD puts on hook resources; objects carrying it are not "pending deletion".
const HOOK_FINALIZER: &str = "argocd.argoproj.io/hook-finalizer";
/// Pod annotation that makes Argo CD judge a Running pod by readiness whatever its
/// restartPolicy (pods managed by operators with `restartPolicy: Never`).
const IGNORE_RESTART_POLICY_ANNOTATION: &str = "argocd.argoproj.io/ignore-restart-policy";
/// Where autoscaling/v1 HPAs carry their conditions.
const HPA_V1_CONDITIONS_ANNOTATION: &str = "autoscaling.alpha.kubernetes.io/conditions";

/// A health rule: the health of one live object of the rule's kind.
type Rule = fn(&Value) -> Health;

/// One rule per (API group, kind): the whole dispatch is this table, so adding a kind is one
/// line here plus its rule and fixtures.
const RULES: &[(&str, &str, Rule)] = &[
    ("apps", "Deployment", deployment),
    ("apps", "StatefulSet", stateful_set),
    ("apps", "DaemonSet", daemon_set),
    ("apps", "ReplicaSet", replica_set),
    ("", "Service", service),
    ("", "Pod", pod),
    ("", "PersistentVolumeClaim", persistent_volume_claim),
    ("networking.k8s.io", "Ingress", ingress),
    ("extensions", "Ingress", ingress),
    ("batch", "Job", job),
    (
        "autoscaling",
        "HorizontalPodAutoscaler",
        horizontal_pod_autoscaler,
    ),
    ("apiregistration.k8s.io", "APIService", api_service),
    ("argoproj.io", "Rollout", argo_rollouts::rollout),
    ("argoproj.io", "AnalysisRun", argo_rollouts::analysis_run),
    (
        "kustomize.toolkit.fluxcd.io",
        "Kustomization",
        flux::kustomization,
    ),
    ("helm.toolkit.fluxcd.io", "HelmRelease", flux::helm_release),
    (
        "source.toolkit.fluxcd.io",
        "GitRepository",
        flux::git_repository,
    ),
    (
        "source.toolkit.fluxcd.io",
        "HelmRepository",
        flux::helm_repository,
    ),
];

/// Health of one live object; `None` for kinds without a health rule.
pub fn assess(obj: &Value) -> Option<Health> {
    if is_pending_deletion(obj) {
        return Some(Health::new(HealthStatus::Progressing, "Pending deletion"));
    }
    let group = group_of(str_at(obj, &["apiVersion"]));
    let kind = str_at(obj, &["kind"]);
    let (_, _, rule) = RULES
        .iter()
        .find(|(rule_group, rule_kind, _)| *rule_group == group && *rule_kind == kind)?;
    Some(rule(obj))
}

/// App health: the worst of its resources' (None when no resource has health).
pub fn worst<I: IntoIterator<Item = HealthStatus>>(statuses: I) -> Option<HealthStatus> {
    statuses.into_iter().max()
}

fn is_pending_deletion(obj: &Value) -> bool {
    let deleting = !at(obj, &["metadata", "deletionTimestamp"]).is_null();
    let hook = at(obj, &["metadata", "finalizers"])
        .as_array()
        .is_some_and(|f| f.iter().any(|f| f.as_str() == Some(HOOK_FINALIZER)));
    deleting && !hook
}

// --- apps ---------------------------------------------------------------------------------

fn deployment(obj: &Value) -> Health {
    if bool_at(obj, &["spec", "paused"]) {
        return Health::new(HealthStatus::Suspended, "Deployment is paused");
    }
    let generation = int_at(obj, &["metadata", "generation"]);
    let observed = int_at(obj, &["status", "observedGeneration"]);
    if generation > observed {
        return Health::new(
            HealthStatus::Progressing,
            "Waiting for rollout to finish: observed deployment generation less than desired generation",
        );
    }
    let progressing = condition(obj, "Progressing");
    if progressing.is_some_and(|c| str_at(c, &["reason"]) == "ProgressDeadlineExceeded") {
        return Health::new(
            HealthStatus::Degraded,
            format!("Deployment {:?} exceeded its progress deadline", name(obj)),
        );
    }
    let replicas = opt_int_at(obj, &["spec", "replicas"]);
    let updated = int_at(obj, &["status", "updatedReplicas"]);
    let current = int_at(obj, &["status", "replicas"]);
    let available = int_at(obj, &["status", "availableReplicas"]);
    if let Some(replicas) = replicas.filter(|r| updated < *r) {
        return Health::new(
            HealthStatus::Progressing,
            format!("Waiting for rollout to finish: {updated} out of {replicas} new replicas have been updated..."),
        );
    }
    if current > updated {
        return Health::new(
            HealthStatus::Progressing,
            format!(
                "Waiting for rollout to finish: {} old replicas are pending termination...",
                current - updated
            ),
        );
    }
    if available < updated {
        return Health::new(
            HealthStatus::Progressing,
            format!("Waiting for rollout to finish: {available} of {updated} updated replicas are available..."),
        );
    }
    Health::bare(HealthStatus::Healthy)
}

fn stateful_set(obj: &Value) -> Health {
    let generation = int_at(obj, &["metadata", "generation"]);
    let observed = int_at(obj, &["status", "observedGeneration"]);
    if observed == 0 || generation > observed {
        return Health::new(
            HealthStatus::Progressing,
            "Waiting for statefulset spec update to be observed...",
        );
    }
    let replicas = opt_int_at(obj, &["spec", "replicas"]);
    let ready = int_at(obj, &["status", "readyReplicas"]);
    let updated = int_at(obj, &["status", "updatedReplicas"]);
    if let Some(replicas) = replicas.filter(|r| ready < *r) {
        return Health::new(
            HealthStatus::Progressing,
            format!("Waiting for {} pods to be ready...", replicas - ready),
        );
    }
    let strategy = str_at(obj, &["spec", "updateStrategy", "type"]);
    let rolling_update = at(obj, &["spec", "updateStrategy", "rollingUpdate"]);
    if strategy == "RollingUpdate" && rolling_update.is_object() {
        let partition = opt_int_at(rolling_update, &["partition"]);
        if let (Some(replicas), Some(partition)) = (replicas, partition) {
            let expected = replicas - partition;
            if updated < expected {
                return Health::new(
                    HealthStatus::Progressing,
                    format!("Waiting for partitioned roll out to finish: {updated} out of {expected} new pods have been updated..."),
                );
            }
        }
        return Health::new(
            HealthStatus::Healthy,
            format!("partitioned roll out complete: {updated} new pods have been updated..."),
        );
    }
    if strategy == "OnDelete" {
        return Health::new(
            HealthStatus::Healthy,
            format!("statefulset has {ready} ready pods"),
        );
    }
    let update_revision = str_at(obj, &["status", "updateRevision"]);
    let current_revision = str_at(obj, &["status", "currentRevision"]);
    if update_revision != current_revision {
        return Health::new(
            HealthStatus::Progressing,
            format!("waiting for statefulset rolling update to complete {updated} pods at revision {update_revision}..."),
        );
    }
    let current = int_at(obj, &["status", "currentReplicas"]);
    Health::new(
        HealthStatus::Healthy,
        format!(
            "statefulset rolling update complete {current} pods at revision {current_revision}..."
        ),
    )
}

fn daemon_set(obj: &Value) -> Health {
    let generation = int_at(obj, &["metadata", "generation"]);
    let observed = int_at(obj, &["status", "observedGeneration"]);
    if generation > observed {
        return Health::new(
            HealthStatus::Progressing,
            "Waiting for rollout to finish: observed daemon set generation less than desired generation",
        );
    }
    let updated = int_at(obj, &["status", "updatedNumberScheduled"]);
    let desired = int_at(obj, &["status", "desiredNumberScheduled"]);
    let available = int_at(obj, &["status", "numberAvailable"]);
    if str_at(obj, &["spec", "updateStrategy", "type"]) == "OnDelete" {
        return Health::new(
            HealthStatus::Healthy,
            format!("daemon set {updated} out of {desired} new pods have been updated"),
        );
    }
    if updated < desired {
        return Health::new(
            HealthStatus::Progressing,
            format!(
                "Waiting for daemon set {:?} rollout to finish: {updated} out of {desired} new pods have been updated...",
                name(obj)
            ),
        );
    }
    if available < desired {
        return Health::new(
            HealthStatus::Progressing,
            format!(
                "Waiting for daemon set {:?} rollout to finish: {available} of {desired} updated pods are available...",
                name(obj)
            ),
        );
    }
    Health::bare(HealthStatus::Healthy)
}

fn replica_set(obj: &Value) -> Health {
    let generation = int_at(obj, &["metadata", "generation"]);
    let observed = int_at(obj, &["status", "observedGeneration"]);
    if generation > observed {
        return Health::new(
            HealthStatus::Progressing,
            "Waiting for rollout to finish: observed replica set generation less than desired generation",
        );
    }
    if let Some(failure) = condition(obj, "ReplicaFailure").filter(|c| is_true(c)) {
        return Health::new(HealthStatus::Degraded, str_at(failure, &["message"]));
    }
    let available = int_at(obj, &["status", "availableReplicas"]);
    if let Some(replicas) = opt_int_at(obj, &["spec", "replicas"]).filter(|r| available < *r) {
        return Health::new(
            HealthStatus::Progressing,
            format!("Waiting for rollout to finish: {available} out of {replicas} new replicas are available..."),
        );
    }
    Health::bare(HealthStatus::Healthy)
}

// --- core -----------------------------------------------------------------------------------

fn service(obj: &Value) -> Health {
    if str_at(obj, &["spec", "type"]) == "LoadBalancer" && !has_load_balancer_ingress(obj) {
        return Health::new(
            HealthStatus::Progressing,
            "Waiting for the load balancer to be assigned an IP or hostname",
        );
    }
    Health::bare(HealthStatus::Healthy)
}

fn ingress(obj: &Value) -> Health {
    if has_load_balancer_ingress(obj) {
        Health::bare(HealthStatus::Healthy)
    } else {
        Health::new(
            HealthStatus::Progressing,
            "Waiting for the ingress controller to assign an IP or hostname",
        )
    }
}

fn has_load_balancer_ingress(obj: &Value) -> bool {
    at(obj, &["status", "loadBalancer", "ingress"])
        .as_array()
        .is_some_and(|entries| !entries.is_empty())
}

fn persistent_volume_claim(obj: &Value) -> Health {
    match str_at(obj, &["status", "phase"]) {
        "Bound" => Health::bare(HealthStatus::Healthy),
        "Pending" => Health::new(
            HealthStatus::Progressing,
            "Waiting for the claim to be bound",
        ),
        "Lost" => Health::new(
            HealthStatus::Degraded,
            "The claim has lost its underlying volume",
        ),
        "" => Health::new(HealthStatus::Unknown, "The claim has no phase yet"),
        other => Health::new(
            HealthStatus::Unknown,
            format!("Unknown claim phase {other:?}"),
        ),
    }
}

fn pod(obj: &Value) -> Health {
    let restart_policy = match str_at(obj, &["spec", "restartPolicy"]) {
        "" => "Always",
        policy => policy,
    };
    let status_message = str_at(obj, &["status", "message"]);
    let container_statuses = array_at(obj, &["status", "containerStatuses"]);

    // Only for long-running pods: a hook pod (restartPolicy Never/OnFailure) in
    // ImagePullBackOff may still recover and must not fail the sync early.
    if restart_policy == "Always" {
        let failures: Vec<String> = container_statuses
            .iter()
            .filter_map(|c| {
                let waiting = at(c, &["state", "waiting"]);
                let reason = str_at(waiting, &["reason"]);
                let failing = reason.starts_with("Err")
                    || reason.ends_with("Error")
                    || reason.ends_with("BackOff");
                failing.then(|| match str_at(waiting, &["message"]) {
                    "" => reason.to_string(),
                    message => message.to_string(),
                })
            })
            .collect();
        if !failures.is_empty() {
            return Health::new(HealthStatus::Degraded, failures.join(", "));
        }
    }

    match str_at(obj, &["status", "phase"]) {
        "Pending" => Health::new(HealthStatus::Progressing, status_message),
        "Succeeded" => Health::new(HealthStatus::Healthy, status_message),
        "Failed" => {
            if !status_message.is_empty() {
                return Health::new(HealthStatus::Degraded, status_message);
            }
            let init_statuses = array_at(obj, &["status", "initContainerStatuses"]);
            let message = init_statuses
                .iter()
                .chain(container_statuses)
                .find_map(container_failure_message)
                .unwrap_or_default();
            Health::new(HealthStatus::Degraded, message)
        }
        "Running" => {
            let ignore_policy = !at(
                obj,
                &["metadata", "annotations", IGNORE_RESTART_POLICY_ANNOTATION],
            )
            .is_null();
            if restart_policy == "Always" || ignore_policy {
                if condition(obj, "Ready").is_some_and(is_true) {
                    return Health::new(HealthStatus::Healthy, status_message);
                }
                let restarted = container_statuses
                    .iter()
                    .any(|c| !at(c, &["lastState", "terminated"]).is_null());
                let status = if restarted {
                    HealthStatus::Degraded
                } else {
                    HealthStatus::Progressing
                };
                Health::new(status, status_message)
            } else {
                // Finite pods (typically hooks) are Progressing until they end.
                Health::new(HealthStatus::Progressing, status_message)
            }
        }
        _ => Health::new(HealthStatus::Unknown, status_message),
    }
}

/// Why a terminated container failed, as Argo CD words it.
fn container_failure_message(status: &Value) -> Option<String> {
    let terminated = at(status, &["state", "terminated"]);
    if terminated.is_null() {
        return None;
    }
    let message = str_at(terminated, &["message"]);
    if !message.is_empty() {
        return Some(message.to_string());
    }
    if str_at(terminated, &["reason"]) == "OOMKilled" {
        return Some("OOMKilled".to_string());
    }
    let exit_code = int_at(terminated, &["exitCode"]);
    (exit_code != 0).then(|| {
        format!(
            "container {:?} failed with exit code {exit_code}",
            str_at(status, &["name"])
        )
    })
}

// --- batch, autoscaling, apiregistration ----------------------------------------------------

fn job(obj: &Value) -> Health {
    let true_condition = |kind: &str| condition(obj, kind).filter(|c| is_true(c));
    if let Some(failed) = true_condition("Failed") {
        return Health::new(HealthStatus::Degraded, str_at(failed, &["message"]));
    }
    if let Some(suspended) = true_condition("Suspended") {
        return Health::new(HealthStatus::Suspended, str_at(suspended, &["message"]));
    }
    if let Some(complete) = true_condition("Complete") {
        return Health::new(HealthStatus::Healthy, str_at(complete, &["message"]));
    }
    Health::new(
        HealthStatus::Progressing,
        format!(
            "Job is running: {} active, {} succeeded, {} failed",
            int_at(obj, &["status", "active"]),
            int_at(obj, &["status", "succeeded"]),
            int_at(obj, &["status", "failed"])
        ),
    )
}

/// (type, reason) pairs of HPA conditions that mean the autoscaler is broken (Argo CD's list).
const HPA_DEGRADED: &[(&str, &str)] = &[
    ("AbleToScale", "FailedGetScale"),
    ("AbleToScale", "FailedUpdateScale"),
    ("ScalingActive", "FailedGetResourceMetric"),
    ("ScalingActive", "InvalidSelector"),
];
/// Condition types that, when True, mean the autoscaler works (Argo CD's list).
const HPA_HEALTHY_TYPES: &[&str] = &["AbleToScale", "ScalingLimited"];
const HPA_WAITING: &str = "Waiting to Autoscale";

fn horizontal_pod_autoscaler(obj: &Value) -> Health {
    let parsed_annotation;
    let conditions: &[Value] = if str_at(obj, &["apiVersion"]) == "autoscaling/v1" {
        let annotation = str_at(
            obj,
            &["metadata", "annotations", HPA_V1_CONDITIONS_ANNOTATION],
        );
        if annotation.is_empty() {
            return Health::new(HealthStatus::Progressing, HPA_WAITING);
        }
        match serde_json::from_str::<Vec<Value>>(annotation) {
            Ok(parsed) => {
                parsed_annotation = parsed;
                &parsed_annotation
            }
            Err(e) => {
                return Health::new(
                    HealthStatus::Unknown,
                    format!("failed to parse the {HPA_V1_CONDITIONS_ANNOTATION} annotation: {e}"),
                )
            }
        }
    } else {
        array_at(obj, &["status", "conditions"])
    };

    let degraded = conditions.iter().find(|c| {
        let (kind, reason) = (str_at(c, &["type"]), str_at(c, &["reason"]));
        HPA_DEGRADED.iter().any(|(t, r)| *t == kind && *r == reason)
    });
    if let Some(c) = degraded {
        return Health::new(HealthStatus::Degraded, str_at(c, &["message"]));
    }
    let healthy: Vec<&Value> = conditions
        .iter()
        .filter(|c| HPA_HEALTHY_TYPES.contains(&str_at(c, &["type"])) && is_true(c))
        .collect();
    if !healthy.is_empty() {
        let messages: Vec<&str> = healthy
            .iter()
            .map(|c| str_at(c, &["message"]))
            .filter(|m| !m.is_empty())
            .collect();
        return Health::new(HealthStatus::Healthy, messages.join(", "));
    }
    Health::new(HealthStatus::Progressing, HPA_WAITING)
}

fn api_service(obj: &Value) -> Health {
    match condition(obj, "Available") {
        Some(c) => {
            let message = format!("{}: {}", str_at(c, &["reason"]), str_at(c, &["message"]));
            let status = if is_true(c) {
                HealthStatus::Healthy
            } else {
                HealthStatus::Progressing
            };
            Health::new(status, message)
        }
        None => Health::new(HealthStatus::Progressing, "Waiting to be processed"),
    }
}

// --- reading JSON without panicking -----------------------------------------------------------

static NULL: Value = Value::Null;

/// The value at `path`, or `null` when any step is missing or not an object.
fn at<'a>(obj: &'a Value, path: &[&str]) -> &'a Value {
    path.iter()
        .try_fold(obj, |v, key| v.get(*key))
        .unwrap_or(&NULL)
}

/// A string field, `""` when missing or not a string (Go's zero value).
fn str_at<'a>(obj: &'a Value, path: &[&str]) -> &'a str {
    at(obj, path).as_str().unwrap_or("")
}

fn bool_at(obj: &Value, path: &[&str]) -> bool {
    at(obj, path).as_bool().unwrap_or(false)
}

/// An integer field if present and integral.
fn opt_int_at(obj: &Value, path: &[&str]) -> Option<i64> {
    at(obj, path).as_i64()
}

/// An integer field, 0 when missing (Go's zero value).
fn int_at(obj: &Value, path: &[&str]) -> i64 {
    opt_int_at(obj, path).unwrap_or(0)
}

fn array_at<'a>(obj: &'a Value, path: &[&str]) -> &'a [Value] {
    at(obj, path).as_array().map(Vec::as_slice).unwrap_or(&[])
}

fn name(obj: &Value) -> &str {
    str_at(obj, &["metadata", "name"])
}

/// The first `status.conditions` entry of type `kind`.
fn condition<'a>(obj: &'a Value, kind: &str) -> Option<&'a Value> {
    array_at(obj, &["status", "conditions"])
        .iter()
        .find(|c| str_at(c, &["type"]) == kind)
}

fn is_true(condition: &Value) -> bool {
    str_at(condition, &["status"]) == "True"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_is_argo_cd_health_order() {
        use HealthStatus::*;
        let ordered = [Healthy, Suspended, Progressing, Missing, Degraded, Unknown];
        assert!(ordered.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(worst([Healthy, Degraded, Progressing]), Some(Degraded));
        assert_eq!(worst([Healthy, Unknown, Degraded]), Some(Unknown));
        assert_eq!(worst([Suspended, Healthy]), Some(Suspended));
        assert_eq!(worst([]), None);
    }
}
