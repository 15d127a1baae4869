//! One read of a cluster for one-shot commands (`kubedrift diff`): discovery, from the disk
//! cache when it knows every wanted kind, then one paged LIST per planned kind, all kinds
//! at once. No watches, no probe loop, no CRD watcher: the process exits after one answer.
//!
//! It sends the [`ClusterEvent`]s a cluster task sends for its first lists (`Seen`,
//! `Discovered`, `Listed` per scope, `KindFailed`, `Unreachable`), so the state decides every
//! verdict exactly as for `status`. A cached kind the server no longer serves (its LIST
//! answers 404), or whose objects show another scope than cached, drops the cache entry and
//! the read starts again from a fresh discovery.

use super::discovery::{bounded, describe_error, discover};
use super::discovery_cache::{DiscoveryCache, Resolved};
use super::kubeconfig::client_for;
use super::tasks::{discovered, listed_by_scope, status_message, WatchScope};
use super::wire::WireObject;
use crate::model::GroupKind;
use crate::state::watch_plan::ClusterPlan;
use crate::state::ClusterEvent;
use crate::state::LiveObject;
use kube::api::{Api, ApiResource, ListParams, ObjectList};
use kube::config::Kubeconfig;
use kube::discovery::Scope;
use std::future::Future;

/// A connected cluster, ready to be read once its plan is known.
pub struct OneShotCluster {
    context: String,
    client: Option<kube::Client>,
    server: Option<String>,
    /// Events so far (a failed connection, the first answer).
    events: Vec<ClusterEvent>,
}

/// How one kind's read ended.
enum KindRead {
    Events(Vec<ClusterEvent>),
    /// The kind is not where discovery said (404, or namespaced objects of a kind said to
    /// be cluster-scoped): the cache is stale. The `KindFailed` to report when discovery
    /// was fresh.
    StaleDiscovery(Box<ClusterEvent>),
    /// No answer at all: the cluster is unreachable.
    Unreachable(String),
}

impl OneShotCluster {
    /// Build the client of `context` and make one request (`GET /version`, as the probe of
    /// a cluster task): the connection and its TLS handshake are ready before the plan is,
    /// and the answer says the cluster is reachable.
    pub async fn connect(kubeconfig: &Kubeconfig, context: &str) -> OneShotCluster {
        let mut cluster = OneShotCluster {
            context: context.to_string(),
            client: None,
            server: server_of(kubeconfig, context),
            events: Vec::new(),
        };
        let client = match client_for(kubeconfig, context).await {
            Ok(client) => client,
            Err(err) => {
                cluster.unreachable(err.to_string());
                return cluster;
            }
        };
        let mut slow = Vec::new();
        let answered = bounded(
            "GET /version",
            || client.apiserver_version(),
            |detail| slow.push(detail),
        )
        .await;
        cluster
            .events
            .extend(slow.into_iter().map(|detail| ClusterEvent::Slow {
                detail,
                at: jiff::Timestamp::now(),
            }));
        match answered {
            Ok(_) => {
                cluster.events.push(ClusterEvent::Seen {
                    at: jiff::Timestamp::now(),
                });
                cluster.client = Some(client);
            }
            Err(failure) => cluster.unreachable(failure.message().to_string()),
        }
        cluster
    }

    pub fn context(&self) -> &str {
        &self.context
    }

    fn unreachable(&mut self, error: String) {
        self.events.push(ClusterEvent::Unreachable {
            error,
            at: jiff::Timestamp::now(),
        });
    }

    /// Read `plan` once; every event, in the order a cluster task would send them.
    pub async fn read(
        mut self,
        plan: &ClusterPlan,
        cache: Option<&DiscoveryCache>,
    ) -> Vec<ClusterEvent> {
        let Some(client) = self.client.take() else {
            return self.events;
        };
        let server = self.server.clone();
        let cache = cache.filter(|_| server.is_some());
        let cached = match (cache, &server) {
            (Some(cache), Some(server)) => cache.lookup(server, &plan.kinds),
            _ => None,
        };
        let from_cache = cached.is_some();
        let resolved = match cached {
            Some(resolved) => resolved,
            None => match self.discover_fresh(&client, plan, cache).await {
                Some(resolved) => resolved,
                None => return self.events,
            },
        };
        match self.list_plan(&client, plan, &resolved, from_cache).await {
            Some(events) => {
                self.events.extend(events);
                self.events
            }
            // A cached kind is gone: forget the entry and read again from the server's word.
            None => {
                if let (Some(cache), Some(server)) = (cache, &server) {
                    cache.forget(server);
                }
                let Some(resolved) = self.discover_fresh(&client, plan, cache).await else {
                    return self.events;
                };
                if let Some(events) = self.list_plan(&client, plan, &resolved, false).await {
                    self.events.extend(events);
                }
                self.events
            }
        }
    }

    /// Ask the server; write what it serves to the cache. `None` when it could not answer
    /// (an `Unreachable` event is recorded).
    async fn discover_fresh(
        &mut self,
        client: &kube::Client,
        plan: &ClusterPlan,
        cache: Option<&DiscoveryCache>,
    ) -> Option<Resolved> {
        // The kinds the entry knew are asked again too, so one app's diff does not push out
        // another's kinds.
        let mut wanted = plan.kinds.clone();
        if let (Some(cache), Some(server)) = (cache, &self.server) {
            if let Some(known) = cache.load(server) {
                wanted.extend(known.into_keys());
            }
        }
        let slow = std::sync::Mutex::new(Vec::new());
        let found = discover(client, &wanted, |detail| {
            if let Ok(mut slow) = slow.lock() {
                slow.push(detail);
            }
        })
        .await;
        let slow = slow.into_inner().unwrap_or_default();
        self.events
            .extend(slow.into_iter().map(|detail| ClusterEvent::Slow {
                detail,
                at: jiff::Timestamp::now(),
            }));
        match found {
            Ok(found) => {
                if let (Some(cache), Some(server)) = (cache, &self.server) {
                    cache.store(server, &found);
                }
                Some(found)
            }
            Err(failure) => {
                self.unreachable(failure.message().to_string());
                None
            }
        }
    }

    /// `Discovered`, then every served kind listed at once. `None` when a kind taken from
    /// the cache is not served any more.
    async fn list_plan(
        &self,
        client: &kube::Client,
        plan: &ClusterPlan,
        resolved: &Resolved,
        from_cache: bool,
    ) -> Option<Vec<ClusterEvent>> {
        let mut events = vec![discovered(&plan.kinds, resolved, jiff::Timestamp::now())];
        let reads = plan.kinds.iter().filter_map(|kind| {
            let (resource, scope) = resolved.get(kind)?;
            Some(read_kind(
                client.clone(),
                kind.clone(),
                (resource.clone(), matches!(scope, Scope::Cluster)),
                WatchScope::of(scope, plan.namespaces.as_ref()),
                plan.metadata_only.contains(kind),
            ))
        });
        let results = futures::future::join_all(reads).await;
        for result in results {
            match result {
                KindRead::Events(kind_events) => events.extend(kind_events),
                KindRead::StaleDiscovery(_) if from_cache => return None,
                // Fresh discovery said it is served, the list says otherwise: as a watcher
                // would report it.
                KindRead::StaleDiscovery(failed) => events.push(*failed),
                KindRead::Unreachable(error) => {
                    events.push(ClusterEvent::Unreachable {
                        error,
                        at: jiff::Timestamp::now(),
                    });
                    return Some(events);
                }
            }
        }
        Some(events)
    }
}

/// The API server URL of `context` (the discovery cache's key).
fn server_of(kubeconfig: &Kubeconfig, context: &str) -> Option<String> {
    let named = kubeconfig.contexts.iter().find(|c| c.name == context)?;
    let cluster_name = &named.context.as_ref()?.cluster;
    let cluster = kubeconfig
        .clusters
        .iter()
        .find(|c| c.name == *cluster_name)?
        .cluster
        .as_ref()?;
    let server = cluster.server.clone()?;
    // Two clusters may be reached at one URL (a local port of a tunnel or proxy): the
    // certificate authority tells them apart where there is one.
    let authority = cluster
        .certificate_authority_data
        .as_deref()
        .or(cluster.certificate_authority.as_deref())
        .unwrap_or("");
    Some(format!(
        "{server} ca:{:016x}",
        super::discovery_cache::fnv1a(authority.as_bytes())
    ))
}

/// List one kind where its scope says (several namespaces: one cluster-wide list, one per
/// namespace where that is forbidden), as the first list of its watcher.
async fn read_kind(
    client: kube::Client,
    kind: GroupKind,
    (resource, cluster_scoped): (ApiResource, bool),
    scope: WatchScope,
    metadata_only: bool,
) -> KindRead {
    let listed = list_objects(&client, &resource, &scope, metadata_only).await;
    let at = jiff::Timestamp::now();
    let failed = |reason: String, forbidden: bool| ClusterEvent::KindFailed {
        kind: kind.clone(),
        reason,
        forbidden,
        at,
    };
    let listed_events = |scope: &WatchScope, objects: Vec<LiveObject>| {
        listed_by_scope(scope, objects)
            .into_iter()
            .map(|(namespace, objects)| ClusterEvent::Listed {
                kind: kind.clone(),
                namespace,
                objects,
                metadata_only,
                at,
            })
            .collect::<Vec<_>>()
    };
    match listed {
        // A kind discovery called cluster-scoped whose objects have namespaces: the scope
        // changed (a CRD replaced); its objects must not be keyed without them.
        Ok(objects) if cluster_scoped && objects.iter().any(has_namespace) => {
            KindRead::StaleDiscovery(Box::new(failed(
                format!("{kind} is namespaced, not cluster-scoped as discovery said"),
                false,
            )))
        }
        // And the reverse: objects without a namespace from a kind said to be namespaced.
        Ok(objects) if !cluster_scoped && objects.iter().any(|o| !has_namespace(o)) => {
            KindRead::StaleDiscovery(Box::new(failed(
                format!("{kind} is cluster-scoped, not namespaced as discovery said"),
                false,
            )))
        }
        Ok(objects) => KindRead::Events(listed_events(&scope, objects)),
        Err(kube::Error::Api(status)) if status.code == 404 => KindRead::StaleDiscovery(Box::new(
            failed(status_message(status.code, &status.message), false),
        )),
        Err(kube::Error::Api(status)) if status.code == 403 => match &scope {
            WatchScope::Namespaces(namespaces) => {
                tracing::debug!(%kind, "listing all namespaces forbidden; one list per namespace");
                let mut events = Vec::new();
                for namespace in namespaces {
                    let one = WatchScope::Namespace(namespace.clone());
                    match list_objects(&client, &resource, &one, metadata_only).await {
                        Ok(objects) => events.extend(listed_events(&one, objects)),
                        Err(kube::Error::Api(status)) => events.push(failed(
                            status_message(status.code, &status.message),
                            status.code == 403,
                        )),
                        Err(err) => return KindRead::Unreachable(describe_error(&err)),
                    }
                }
                KindRead::Events(events)
            }
            _ => KindRead::Events(vec![failed(
                status_message(status.code, &status.message),
                true,
            )]),
        },
        Err(kube::Error::Api(status)) => KindRead::Events(vec![failed(
            status_message(status.code, &status.message),
            false,
        )]),
        Err(err) => KindRead::Unreachable(describe_error(&err)),
    }
}

fn has_namespace(object: &LiveObject) -> bool {
    // The key's namespace is None when the object has none (an empty one counts as none).
    object.key().is_some_and(|key| key.namespace.is_some())
}

/// Every object of one kind in `scope`, page by page, as the state stores them.
async fn list_objects(
    client: &kube::Client,
    resource: &ApiResource,
    scope: &WatchScope,
    metadata_only: bool,
) -> Result<Vec<LiveObject>, kube::Error> {
    if metadata_only {
        list_wire::<true>(client, resource, scope).await
    } else {
        list_wire::<false>(client, resource, scope).await
    }
}

/// [`list_objects`] for full objects or metadata only, each parsed once.
async fn list_wire<const METADATA_ONLY: bool>(
    client: &kube::Client,
    resource: &ApiResource,
    scope: &WatchScope,
) -> Result<Vec<LiveObject>, kube::Error> {
    let api: Api<WireObject<METADATA_ONLY>> = match scope {
        WatchScope::Namespace(ns) => Api::namespaced_with(client.clone(), ns, resource),
        WatchScope::All | WatchScope::Namespaces(_) => Api::all_with(client.clone(), resource),
    };
    let items = all_pages(|lp| {
        let api = api.clone();
        async move { api.list(&lp).await }
    })
    .await?;
    Ok(items
        .into_iter()
        .map(|obj| obj.into_live(resource))
        .collect())
}

/// Pages of 500, as the watchers list.
async fn all_pages<T, F, Fut>(page: F) -> Result<Vec<T>, kube::Error>
where
    T: Clone,
    F: Fn(ListParams) -> Fut,
    Fut: Future<Output = Result<ObjectList<T>, kube::Error>>,
{
    let mut items = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut params = ListParams::default().limit(500);
        if let Some(token) = &token {
            params = params.continue_token(token);
        }
        let list = page(params).await?;
        items.extend(list.items);
        match list.metadata.continue_ {
            Some(next) if !next.is_empty() => token = Some(next),
            _ => return Ok(items),
        }
    }
}
