//! Resource health, following Argo CD's rules.

use serde::Serialize;
use serde_json::Value;

/// Health of a resource, ordered from best to worst (Argo CD's order), so `max` is "worst".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum HealthStatus {
    Healthy,
    Suspended,
    Progressing,
    Missing,
    Degraded,
    Unknown,
}

/// A health status with the reason behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Health {
    pub status: HealthStatus,
    pub message: Option<String>,
}

/// Health of one live object; `None` for kinds without a health rule.
pub fn assess(obj: &Value) -> Option<Health> {
    let _ = obj;
    None
}

/// App health: the worst of its resources' (None when no resource has health).
pub fn worst<I: IntoIterator<Item = HealthStatus>>(statuses: I) -> Option<HealthStatus> {
    statuses.into_iter().max()
}
