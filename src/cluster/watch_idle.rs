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

/// A watch response body stayed silent past its timeout.
#[derive(Debug, thiserror::Error)]
#[error("watch connection silent for {}s (no event, bookmark or end)", .0.as_secs())]
pub struct WatchSilent(pub Duration);

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

/// How long a watch request's response may stay silent: `None` for requests that are not
/// watches, or watches without a timeout (nothing bounds how long they may be quiet).
fn silence_limit<B>(request: &Request<B>) -> Option<Duration> {
    let query = request.uri().query()?;
    let mut watch = false;
    let mut timeout = None;
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("watch", "true" | "1")) => watch = true,
            Some(("timeoutSeconds", secs)) => timeout = secs.parse::<u64>().ok(),
            _ => {}
        }
    }
    let secs = timeout.filter(|secs| watch && *secs > 0)?;
    Some(Duration::from_secs(secs) + SILENCE_MARGIN)
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl<S, B> Service<Request<B>> for WatchIdle<S>
where
    S: Service<Request<B>, Response = Response<Box<DynBody>>>,
    S::Future: Send + 'static,
{
    type Response = Response<IdleBody>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let limit = silence_limit(&request);
        if let Some(limit) = limit {
            // Each (re)started watch: how often watches are re-requested shows here.
            tracing::debug!(
                path = request.uri().path(),
                limit_secs = limit.as_secs(),
                "watch request"
            );
        }
        let response = self.inner.call(request);
        Box::pin(async move {
            let response = response.await?;
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
            None
        );
        assert_eq!(silence_limit(&request("/api/v1/pods?watch=true")), None);
        assert_eq!(silence_limit(&request("/api/v1/pods")), None);
    }
}
