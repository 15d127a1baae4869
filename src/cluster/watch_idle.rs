//! A client layer that fails a watch response whose connection went silent.
//!
//! A watch whose TCP connection goes half-open (a proxy or NAT that stops forwarding without
//! FIN or RST) delivers nothing: no event, no error, no end. kube-runtime's watcher notices
//! only after its own idle timeout (the watch's `timeoutSeconds` + 5 s) and then re-watches
//! *silently* (its stream yields nothing), so nothing told the state or the diff server's
//! trouble tracker that the cluster's live state had been stale meanwhile. This layer gives
//! every watch response body an idle timer a little shorter than kube-runtime's: a body that
//! yields no frame (event, bookmark or end) for `timeoutSeconds` + [`SILENCE_MARGIN`] fails
//! with [`WatchSilent`]. kube-runtime reports that as `WatchFailed(ReadEvents)` — a transport
//! failure the watcher reports as the cluster unreachable (the trouble the diff server
//! waits out) — and then resumes the watch from its last resourceVersion, without a list.
//! A healthy watch never trips it: the server ends it after `timeoutSeconds`.
//!
//! The same silence can hit a request before its response headers arrive (a re-watch or a
//! list sent on a pooled connection that is already half-open): kube sets no read timeout, so
//! it would wait for TCP to give up (~15 minutes) while the kind still shows as watching —
//! and a first list waiting so holds one of its cluster's first-list turns. So the headers of
//! a watch must arrive within the same limit, and every other request (lists, gets, applies)
//! must get its headers and then some bytes at least every [`REQUEST_SILENCE_LIMIT`]: longer
//! than kube-apiserver's own 60 s limit for requests that are not long-running, so only a
//! dead connection trips it. Watches without a timeout are left alone (nothing bounds how
//! long they may be quiet).

use bytes::Bytes;
use http::{Request, Response};
use http_body::{Body, Frame, SizeHint};
use kube::client::DynBody;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tower::{Layer, Service};

/// How long after its `timeoutSeconds` a silent watch counts as dead. Shorter than
/// kube-runtime's own margin (5 s), so the failure is seen before its silent re-watch.
pub const SILENCE_MARGIN: Duration = Duration::from_secs(2);

/// How long a request that is not a watch may wait for its headers, or for the next bytes of
/// its body: past kube-apiserver's 60 s timeout for requests that are not long-running.
pub const REQUEST_SILENCE_LIMIT: Duration = Duration::from_secs(70);

/// A watch response body stayed silent past its timeout.
#[derive(Debug, thiserror::Error)]
#[error("watch connection silent for {}s (no event, bookmark or end)", .0.as_secs())]
pub struct WatchSilent(pub Duration);

/// A request got no response headers within its limit.
#[derive(Debug, thiserror::Error)]
#[error("no response from the API server within {}s (connection silent)", .0.as_secs())]
pub struct ResponseSilent(pub Duration);

/// Wraps the client's service with [`WatchIdle`].
#[derive(Debug, Clone, Copy, Default)]
pub struct WatchIdleLayer;

impl<S> Layer<S> for WatchIdleLayer {
    type Service = WatchIdle<S>;

    fn layer(&self, inner: S) -> WatchIdle<S> {
        WatchIdle { inner }
    }
}

/// See the module documentation.
#[derive(Debug, Clone)]
pub struct WatchIdle<S> {
    inner: S,
}

/// How long a request's response may stay silent: a watch's `timeoutSeconds` +
/// [`SILENCE_MARGIN`], [`REQUEST_SILENCE_LIMIT`] for requests that are not watches, `None` for
/// watches without a timeout (nothing bounds how long they may be quiet).
fn silence_limit<B>(request: &Request<B>) -> Option<Duration> {
    let mut watch = false;
    let mut timeout = None;
    for pair in request.uri().query().unwrap_or("").split('&') {
        match pair.split_once('=') {
            Some(("watch", "true" | "1")) => watch = true,
            Some(("timeoutSeconds", secs)) => timeout = secs.parse::<u64>().ok(),
            _ => {}
        }
    }
    if !watch {
        return Some(REQUEST_SILENCE_LIMIT);
    }
    let secs = timeout.filter(|secs| *secs > 0)?;
    Some(Duration::from_secs(secs) + SILENCE_MARGIN)
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl<S, B> Service<Request<B>> for WatchIdle<S>
where
    S: Service<Request<B>, Response = Response<Box<DynBody>>>,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    type Response = Response<IdleBody>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let limit = silence_limit(&request);
        if limit.is_some_and(|limit| limit != REQUEST_SILENCE_LIMIT) {
            // Each (re)started watch: how often watches are re-requested shows here.
            tracing::debug!(
                path = request.uri().path(),
                limit_secs = limit.map(|limit| limit.as_secs()),
                "watch request"
            );
        }
        let response = self.inner.call(request);
        Box::pin(async move {
            let response = match limit {
                Some(limit) => match tokio::time::timeout(limit, response).await {
                    Ok(response) => response.map_err(Into::into)?,
                    Err(_) => {
                        tracing::debug!(limit_secs = limit.as_secs(), "response headers silent");
                        return Err(Box::new(ResponseSilent(limit)) as BoxError);
                    }
                },
                None => response.await.map_err(Into::into)?,
            };
            Ok(response.map(|inner| IdleBody::new(inner, limit)))
        })
    }
}

/// A response body, failed with [`WatchSilent`] when it stays silent for its limit.
pub struct IdleBody {
    inner: Box<DynBody>,
    idle: Option<(Duration, Pin<Box<tokio::time::Sleep>>)>,
    /// The idle timer fired: the body has failed and ends.
    failed: bool,
}

impl IdleBody {
    fn new(inner: Box<DynBody>, limit: Option<Duration>) -> IdleBody {
        IdleBody {
            inner,
            idle: limit.map(|limit| (limit, Box::pin(tokio::time::sleep(limit)))),
            failed: false,
        }
    }
}

impl Body for IdleBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        if this.failed {
            return Poll::Ready(None);
        }
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                if let Some((limit, sleep)) = &mut this.idle {
                    sleep.as_mut().reset(tokio::time::Instant::now() + *limit);
                }
                Poll::Ready(frame)
            }
            Poll::Pending => {
                let Some((limit, sleep)) = &mut this.idle else {
                    return Poll::Pending;
                };
                if sleep.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                this.failed = true;
                tracing::debug!(limit_secs = limit.as_secs(), "watch connection silent");
                Poll::Ready(Some(Err(Box::new(WatchSilent(*limit)))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.failed || self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(uri: &str) -> Request<()> {
        Request::get(uri).body(()).expect("request")
    }

    #[test]
    fn only_watches_with_a_timeout_get_a_silence_limit() {
        assert_eq!(
            silence_limit(&request(
                "/api/v1/pods?&watch=true&timeoutSeconds=55&allowWatchBookmarks=true"
            )),
            Some(Duration::from_secs(57))
        );
        assert_eq!(
            silence_limit(&request("/api/v1/pods?timeoutSeconds=55")),
            Some(REQUEST_SILENCE_LIMIT)
        );
        assert_eq!(silence_limit(&request("/api/v1/pods?watch=true")), None);
        assert_eq!(
            silence_limit(&request("/api/v1/pods")),
            Some(REQUEST_SILENCE_LIMIT)
        );
        assert_eq!(
            silence_limit(&request("/apis/apps/v1/namespaces/dev/deployments/web")),
            Some(REQUEST_SILENCE_LIMIT)
        );
    }

    /// A re-watch sent on a connection that is already half-open gets no headers: it fails
    /// after its limit instead of waiting for TCP to give up.
    #[tokio::test]
    async fn a_watch_whose_headers_never_arrive_fails_after_its_limit() {
        let never_answers = tower::service_fn(|_request: Request<()>| {
            std::future::pending::<Result<Response<Box<DynBody>>, BoxError>>()
        });
        let mut service = WatchIdleLayer.layer(never_answers);
        let started = std::time::Instant::now();
        let call = service.call(request("/api/v1/pods?watch=true&timeoutSeconds=1"));
        let failed = tokio::time::timeout(Duration::from_secs(30), call)
            .await
            .expect("the request ends, not waits for TCP")
            .err()
            .expect("a silent watch request fails");
        assert!(failed.is::<ResponseSilent>(), "{failed}");
        assert!(started.elapsed() >= Duration::from_secs(3), "{failed}");
    }

    /// A healthy answer passes through with its body.
    #[tokio::test]
    async fn an_answered_request_passes_its_body_through() {
        use http_body_util::BodyExt;
        let answers = tower::service_fn(|_request: Request<()>| async {
            let body: Box<DynBody> = Box::new(
                http_body_util::Full::new(Bytes::from_static(b"{}"))
                    .map_err(|never| match never {}),
            );
            Ok::<_, BoxError>(Response::new(body))
        });
        let mut service = WatchIdleLayer.layer(answers);
        let response = service
            .call(request("/api/v1/pods"))
            .await
            .expect("answered");
        let body = response.into_body().collect().await.expect("body");
        assert_eq!(body.to_bytes(), Bytes::from_static(b"{}"));
    }
}
