//! Discovery of the wanted kinds, and the per-request bound every short request of a cluster
//! task shares.
//!
//! Why not `kube::Discovery::run`: it issues its requests one after another (`/apis`, every
//! version of every wanted group, `/api`, `/api/v1`: about seven for our kinds), so a single
//! timeout around it scaled with the server's latency and the machine's load, and a healthy
//! but slow cluster was declared unreachable. Here each request has its own bound and is
//! retried, and the requests that do not depend on each other run concurrently (two rounds).

use super::Backoff;
use crate::model::GroupKind;
use futures::future::{try_join, try_join_all};
use kube::api::ApiResource;
use kube::core::GroupVersionKind;
use kube::discovery::Scope;
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::time::Duration;

/// How long one short request (discovery, probe) may take before it is retried. It bounds
/// one request, never a sequence of them.
pub(super) const REQUEST_TIMEOUT: Duration = Duration::from_secs(8);
/// How many times a request that got no answer in time is tried in all. With the backoff in
/// between, a server that accepts connections but never answers is declared unreachable after
/// about 25 s: within `status`'s default 30 s wait, so it is reported as unreachable there.
pub(super) const REQUEST_ATTEMPTS: u32 = 3;

/// Why a request failed, as the cluster's reachability sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum RequestFailure {
    /// No connection or no answer at all (refused, reset, TLS, DNS; or every attempt timed
    /// out): the cluster is unreachable.
    Unreachable(String),
    /// The server answered with an error status.
    Answered(String),
}

impl RequestFailure {
    pub(super) fn message(&self) -> &str {
        match self {
            RequestFailure::Unreachable(m) | RequestFailure::Answered(m) => m,
        }
    }
}

/// Run the request `make` builds, bounded by [`REQUEST_TIMEOUT`] per attempt. A timed-out
/// attempt is retried with backoff (the server may only be slow), up to [`REQUEST_ATTEMPTS`];
/// a refused connection or an error answer is returned at once (retrying would only delay the
/// verdict, and the caller retries the whole step with its own backoff).
/// `on_slow` is called after each attempt that timed out, before the next one.
pub(super) async fn bounded<T, F, Fut>(
    what: &str,
    make: F,
    mut on_slow: impl FnMut(String),
) -> Result<T, RequestFailure>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, kube::Error>>,
{
    let mut backoff = Backoff::new(Duration::from_millis(250), Duration::from_secs(2));
    for attempt in 1..=REQUEST_ATTEMPTS {
        match tokio::time::timeout(REQUEST_TIMEOUT, make()).await {
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(kube::Error::Api(status))) => {
                return Err(RequestFailure::Answered(super::tasks::status_message(
                    status.code,
                    &status.message,
                )))
            }
            Ok(Err(err)) => return Err(RequestFailure::Unreachable(describe_error(&err))),
            Err(_) if attempt < REQUEST_ATTEMPTS => {
                on_slow(format!(
                    "{what}: no answer within {} s (attempt {attempt} of {REQUEST_ATTEMPTS}); retrying",
                    REQUEST_TIMEOUT.as_secs()
                ));
                tokio::time::sleep(backoff.next_delay()).await;
            }
            Err(_) => break,
        }
    }
    Err(RequestFailure::Unreachable(format!(
        "{what}: no answer within {} s, {REQUEST_ATTEMPTS} attempts",
        REQUEST_TIMEOUT.as_secs()
    )))
}

/// A short, user-facing description of a client error, with its cause chain.
pub(super) fn describe_error(err: &kube::Error) -> String {
    if let kube::Error::Api(status) = err {
        return super::tasks::status_message(status.code, &status.message);
    }
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// Resolve `wanted` kinds at their group's preferred version (as `kubectl` and kube's
/// `recommended_kind` do). Round one: `/api` and `/apis`, concurrently; round two: the
/// preferred version of each wanted group, concurrently. Kinds the server does not serve are
/// absent from the answer.
pub(super) async fn discover(
    client: &kube::Client,
    wanted: &BTreeSet<GroupKind>,
    on_slow: impl Fn(String) + Clone,
) -> Result<BTreeMap<GroupKind, (ApiResource, Scope)>, RequestFailure> {
    let groups: BTreeSet<&str> = wanted.iter().map(|k| k.group.as_str()).collect();
    let (core_versions, api_groups) = try_join(
        bounded(
            "GET /api",
            || client.list_core_api_versions(),
            on_slow.clone(),
        ),
        bounded("GET /apis", || client.list_api_groups(), on_slow.clone()),
    )
    .await?;
    // (group, preferred version) of each wanted group the server has.
    let mut versions: Vec<(String, String)> = Vec::new();
    if groups.contains("") {
        if let Some(v) = core_versions.versions.first() {
            versions.push((String::new(), v.clone()));
        }
    }
    for group in &api_groups.groups {
        if !groups.contains(group.name.as_str()) {
            continue;
        }
        let preferred = group
            .preferred_version
            .as_ref()
            .or_else(|| group.versions.first())
            .map(|v| v.version.clone());
        if let Some(version) = preferred {
            versions.push((group.name.clone(), version));
        }
    }
    let lists = try_join_all(versions.iter().map(|(group, version)| {
        let on_slow = on_slow.clone();
        async move {
            let list = if group.is_empty() {
                let what = format!("GET /api/{version}");
                bounded(&what, || client.list_core_api_resources(version), on_slow).await?
            } else {
                let group_version = format!("{group}/{version}");
                let what = format!("GET /apis/{group_version}");
                bounded(
                    &what,
                    || client.list_api_group_resources(&group_version),
                    on_slow,
                )
                .await?
            };
            Ok::<_, RequestFailure>((group, version, list))
        }
    }))
    .await?;
    let mut found = BTreeMap::new();
    for (group, version, list) in lists {
        for resource in &list.resources {
            // Subresources (`deployments/scale`) share their parent's kind.
            if resource.name.contains('/') {
                continue;
            }
            let kind = GroupKind::new(group, &resource.kind);
            if !wanted.contains(&kind) || found.contains_key(&kind) {
                continue;
            }
            let gvk = GroupVersionKind::gvk(group, version, &resource.kind);
            let scope = if resource.namespaced {
                Scope::Namespaced
            } else {
                Scope::Cluster
            };
            found.insert(
                kind,
                (
                    ApiResource::from_gvk_with_plural(&gvk, &resource.name),
                    scope,
                ),
            );
        }
    }
    Ok(found)
}
