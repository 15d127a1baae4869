//! A smart-HTTP git server on 127.0.0.1 for transport tests: every request must carry HTTP
//! Basic credentials (else 401 with a `WWW-Authenticate` challenge, as a real forge answers),
//! and an authenticated request is handed to the real `git http-backend` as CGI over the bare
//! repos under one directory. Plain HTTP on loopback: TLS is not what these tests test.

use axum::body::Body;
use axum::http::{HeaderMap, Request, Response, StatusCode};
use base64::Engine as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::io::AsyncWriteExt;

/// The server, running on its own thread until dropped.
pub struct GitHttpServer {
    addr: SocketAddr,
    counts: Arc<Counts>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

#[derive(Default)]
struct Counts {
    unauthorized: AtomicUsize,
    served: AtomicUsize,
}

struct Settings {
    root: PathBuf,
    user: String,
    password: String,
    counts: Arc<Counts>,
}

impl GitHttpServer {
    /// Serve the bare repos under `root` (`http://127.0.0.1:PORT/<name>.git`) to `user` with
    /// `password`.
    pub fn start(root: &Path, user: &str, password: &str) -> GitHttpServer {
        let counts = Arc::new(Counts::default());
        let settings = Arc::new(Settings {
            root: root.to_path_buf(),
            user: user.to_string(),
            password: password.to_string(),
            counts: counts.clone(),
        });
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("addr");
        let (shutdown, stop) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                let app = axum::Router::new().fallback(move |request: Request<Body>| {
                    let settings = settings.clone();
                    async move { serve(&settings, request).await }
                });
                axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stop.await;
                    })
                    .await
                    .expect("git http server");
            });
        });
        GitHttpServer {
            addr,
            counts,
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }

    /// The URL of the bare repo `name` (`remote.git`) under the root.
    pub fn url(&self, name: &str) -> String {
        format!("http://{}/{name}", self.addr)
    }

    /// `http://127.0.0.1:PORT`, as a credential store line starts.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Requests answered 401 (no or wrong credentials) so far.
    pub fn unauthorized(&self) -> usize {
        self.counts.unauthorized.load(Ordering::SeqCst)
    }

    /// Requests handed to `git http-backend` so far.
    pub fn served(&self) -> usize {
        self.counts.served.load(Ordering::SeqCst)
    }
}

impl Drop for GitHttpServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn authorized(settings: &Settings, headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
    else {
        return false;
    };
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(value.trim()) else {
        return false;
    };
    decoded == format!("{}:{}", settings.user, settings.password).as_bytes()
}

async fn serve(settings: &Settings, request: Request<Body>) -> Response<Body> {
    if !authorized(settings, request.headers()) {
        settings.counts.unauthorized.fetch_add(1, Ordering::SeqCst);
        return Response::builder()
            .status(StatusCode::UNAUTHORIZED)
            .header("WWW-Authenticate", "Basic realm=\"git\"")
            .body(Body::from("authentication required\n"))
            .expect("response");
    }
    settings.counts.served.fetch_add(1, Ordering::SeqCst);
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, 64 << 20).await {
        Ok(body) => body,
        Err(err) => return error(format!("reading the request body: {err}")),
    };
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let mut command = tokio::process::Command::new("git");
    command
        .arg("http-backend")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("GIT_PROJECT_ROOT", &settings.root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("REMOTE_USER", &settings.user)
        .env("REMOTE_ADDR", "127.0.0.1")
        .env("REQUEST_METHOD", parts.method.as_str())
        .env("PATH_INFO", parts.uri.path())
        .env("QUERY_STRING", parts.uri.query().unwrap_or_default())
        .env("CONTENT_TYPE", header("content-type"))
        .env("CONTENT_LENGTH", body.len().to_string())
        .env("HTTP_CONTENT_ENCODING", header("content-encoding"))
        .env("GIT_PROTOCOL", header("git-protocol"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(err) => return error(format!("git http-backend: {err}")),
    };
    if let Some(mut stdin) = child.stdin.take() {
        if let Err(err) = stdin.write_all(&body).await {
            return error(format!("git http-backend stdin: {err}"));
        }
    }
    let output = match child.wait_with_output().await {
        Ok(output) => output,
        Err(err) => return error(format!("git http-backend: {err}")),
    };
    cgi_response(&output.stdout)
        .unwrap_or_else(|| error(String::from_utf8_lossy(&output.stderr).into_owned()))
}

/// The CGI output (headers, a blank line, the body) as an HTTP response.
fn cgi_response(output: &[u8]) -> Option<Response<Body>> {
    let split = output
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, 4));
    let split = split.or_else(|| output.windows(2).position(|w| w == b"\n\n").map(|i| (i, 2)));
    let (end, gap) = split?;
    let head = std::str::from_utf8(&output[..end]).ok()?;
    let mut response = Response::builder().status(StatusCode::OK);
    for line in head.lines() {
        let (name, value) = line.split_once(':')?;
        let value = value.trim();
        if name.eq_ignore_ascii_case("status") {
            let code: u16 = value.split_whitespace().next()?.parse().ok()?;
            response = response.status(code);
        } else {
            response = response.header(name.trim(), value);
        }
    }
    response.body(Body::from(output[end + gap..].to_vec())).ok()
}

fn error(message: String) -> Response<Body> {
    Response::builder()
        .status(StatusCode::INTERNAL_SERVER_ERROR)
        .body(Body::from(message))
        .expect("response")
}
