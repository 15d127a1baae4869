//! Watch streams: newline-delimited JSON watch events over a chunked HTTP response.
//!
//! A watch replays what the client missed (a snapshot, or history after its resourceVersion),
//! then follows the cluster's broadcast. It ends on `timeoutSeconds`, when the client goes
//! away, when it falls too far behind (the client resumes from its last resourceVersion), or
//! when a fault says so. Expired resourceVersions get a 410 ERROR event, as real servers send.

use super::api_server::ApiServer;
use super::catalog::ResourceInfo;
use super::errors::ApiError;
use super::media::partial_object_metadata;
use super::selectors::{FieldSelector, LabelSelector};
use super::server::table_of;
use super::store::{StoreError, StoreEvent, WatchStart};
use super::table::IncludeObject;
use axum::body::Bytes;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};

/// How often an idle watch that asked for bookmarks gets one.
const BOOKMARK_INTERVAL: Duration = Duration::from_secs(5);

/// How often a running watch re-reads the fault switches.
const FAULT_CHECK_INTERVAL: Duration = Duration::from_millis(50);

/// Server-side cap when the client gives no timeoutSeconds (real servers: 30–60 min).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1800);

/// Parsed watch parameters.
#[derive(Debug, Clone)]
pub struct WatchParams {
    pub start: WatchStart,
    pub labels: LabelSelector,
    pub fields: FieldSelector,
    pub bookmarks: bool,
    pub timeout: Option<Duration>,
    /// `sendInitialEvents=true`: snapshot, then a bookmark marking the end of initial events.
    pub send_initial_events: bool,
    /// Send each object as a one-row Table (`kubectl get -w`).
    pub table: Option<IncludeObject>,
    /// Send each object (and bookmark) as a `meta.k8s.io/<version>` PartialObjectMetadata.
    pub metadata: Option<&'static str>,
}

fn event_line(event_type: &str, object: &Value) -> Bytes {
    let mut buf = Vec::with_capacity(256);
    buf.extend_from_slice(b"{\"type\":\"");
    buf.extend_from_slice(event_type.as_bytes());
    buf.extend_from_slice(b"\",\"object\":");
    // Serializing a Value into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut buf, object);
    buf.extend_from_slice(b"}\n");
    Bytes::from(buf)
}

fn bookmark(info: &ResourceInfo, params: &WatchParams, rv: u64, initial_events_end: bool) -> Bytes {
    let mut metadata = json!({"resourceVersion": rv.to_string(), "creationTimestamp": null});
    if initial_events_end {
        metadata["annotations"] = json!({"k8s.io/initial-events-end": "true"});
    }
    let object = json!({"kind": info.kind, "apiVersion": info.api_version(), "metadata": metadata});
    match params.metadata {
        Some(version) => event_line("BOOKMARK", &partial_object_metadata(&object, version)),
        None => event_line("BOOKMARK", &object),
    }
}

fn error_line(err: &ApiError) -> Bytes {
    event_line("ERROR", &err.to_status())
}

/// Start a watch; the returned receiver yields the response body chunks.
pub fn start_watch(
    api: Arc<ApiServer>,
    info: ResourceInfo,
    namespace: Option<String>,
    params: WatchParams,
) -> mpsc::Receiver<Bytes> {
    let (tx, rx) = mpsc::channel::<Bytes>(256);
    tokio::spawn(async move {
        run_watch(api, info, namespace, params, tx).await;
    });
    rx
}

struct Emitter<'a> {
    api: &'a ApiServer,
    info: &'a ResourceInfo,
    params: &'a WatchParams,
    tx: mpsc::Sender<Bytes>,
    sent: u64,
}

impl Emitter<'_> {
    /// Send one store event if it matches; false when the stream must end.
    async fn event(&mut self, event: &StoreEvent) -> bool {
        let obj = &event.object;
        if !self.params.labels.matches(obj) || !self.params.fields.matches(obj) {
            return true;
        }
        let shown = self.api.at_version(self.info, Arc::clone(obj));
        let line = match (self.params.table, self.params.metadata) {
            (Some(include), _) => event_line(
                event.event_type.as_str(),
                &table_of(self.info, &[shown], include, None, None),
            ),
            (None, Some(version)) => event_line(
                event.event_type.as_str(),
                &partial_object_metadata(&shown, version),
            ),
            // As stored: serialize once for all watchers of this event.
            (None, None) if Arc::ptr_eq(&shown, obj) => event
                .line
                .get_or_init(|| event_line(event.event_type.as_str(), obj))
                .clone(),
            (None, None) => event_line(event.event_type.as_str(), &shown),
        };
        if self.tx.send(line).await.is_err() {
            return false;
        }
        self.sent += 1;
        self.api
            .faults
            .watch_event_limit()
            .is_none_or(|limit| self.sent < limit)
    }

    async fn raw(&mut self, line: Bytes) -> bool {
        self.tx.send(line).await.is_ok()
    }
}

async fn run_watch(
    api: Arc<ApiServer>,
    info: ResourceInfo,
    namespace: Option<String>,
    params: WatchParams,
    tx: mpsc::Sender<Bytes>,
) {
    let collection = (info.group.clone(), info.plural.clone());
    let silence_epoch = api.faults.silence_epoch();
    let start = if params.send_initial_events {
        WatchStart::Snapshot
    } else {
        params.start
    };
    let mut out = Emitter {
        api: &api,
        info: &info,
        params: &params,
        tx,
        sent: 0,
    };
    if let (WatchStart::After(requested), true) = (start, api.faults.gone_on_watch_resume()) {
        let oldest = api.store.current_rv();
        out.raw(error_line(&ApiError::expired(requested, oldest)))
            .await;
        return;
    }
    let subscription = match api
        .store
        .subscribe(&collection, namespace.as_deref(), start)
    {
        Ok(s) => s,
        Err(StoreError::Gone { requested, oldest }) => {
            out.raw(error_line(&ApiError::expired(requested, oldest)))
                .await;
            return;
        }
        Err(other) => {
            out.raw(error_line(&ApiError::internal(other.to_string())))
                .await;
            return;
        }
    };
    let mut last_rv = subscription.start_rv;
    for event in &subscription.replay {
        if !out.event(event).await {
            return;
        }
    }
    if params.send_initial_events && !out.raw(bookmark(&info, &params, last_rv, true)).await {
        return;
    }
    let mut live = subscription.live;
    let timeout = params.timeout.unwrap_or(DEFAULT_TIMEOUT);
    let started = tokio::time::Instant::now();
    let deadline = tokio::time::sleep(timeout);
    tokio::pin!(deadline);
    let mut bookmarks = tokio::time::interval(BOOKMARK_INTERVAL);
    bookmarks.tick().await;
    // Faults can be switched on while a watch runs: check the time limit regularly.
    let mut fault_check = tokio::time::interval(FAULT_CHECK_INTERVAL);
    loop {
        tokio::select! {
            _ = &mut deadline => return,
            _ = fault_check.tick() => {
                if api.faults.watch_time_limit().is_some_and(|limit| started.elapsed() >= limit) {
                    return;
                }
                if api.faults.silence_epoch() != silence_epoch {
                    // Half-open: the connection stays open until the client drops it, and
                    // nothing more is sent (no event, no bookmark, no end at the timeout).
                    out.tx.closed().await;
                    return;
                }
            }
            _ = bookmarks.tick(), if params.bookmarks => {
                if !out.raw(bookmark(&info, &params, last_rv, false)).await {
                    return;
                }
            }
            received = live.recv() => match received {
                Ok(event) => {
                    if event.rv <= last_rv {
                        continue;
                    }
                    last_rv = event.rv;
                    let in_scope = event.group == collection.0
                        && event.plural == collection.1
                        && namespace.as_deref().is_none_or(|ns| ns == event.namespace);
                    if in_scope && !out.event(&event).await {
                        return;
                    }
                }
                // Too slow to keep up, or the cluster is gone: end the stream; the client
                // resumes from the last resourceVersion it saw.
                Err(broadcast::error::RecvError::Lagged(_)) | Err(broadcast::error::RecvError::Closed) => return,
            },
            _ = out.tx.closed() => return,
        }
    }
}
