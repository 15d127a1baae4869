//! The diff server: a process running the live layer (`kubedrift status --watch`) answers
//! `kubedrift diff` from its current snapshot, with the same output code as the one-shot
//! read (`cli::diff::write_local_report`), so stdout and the exit code are those of a
//! one-shot diff of the same state.
//!
//! It answers only when its answer is as good as a one-shot read's, and declines otherwise
//! (the client then reads the clusters itself):
//! - the request is in its scope (same identity; its environment and app selection covers
//!   the request's);
//! - every cluster the request's apps live on is reachable, settled, and every kind is being
//!   watched (so live edits reach the snapshot by watch, as in Argo CD's cache);
//! - Git is current: no followed ref moved since the poll the snapshot shows
//!   ([`GitMark::is_current`]); if one did, it waits up to [`GIT_WAIT`] for the follower to
//!   render it;
//! - the answer has no error (an unknown app, a render error, an undecidable kind: the
//!   one-shot read says those itself);
//! - the config neither fetches from remotes (a one-shot read fetches first) nor reads apps
//!   from Argo CD / Flux objects.
//!
//! Access: the socket is in a 0700 directory of the user, the socket itself 0600, and the
//! peer's uid (SO_PEERCRED) must be the server's. Only read requests exist in the protocol.

use super::identity::{socket_dir, Identity};
use super::protocol::{self, Command, Reply, Request};
use crate::cli::diff::{write_local_report, Scope};
use crate::live::{GitMark, Live};
use crate::state::{KindStatus, Reach, Snapshot};
use std::io::BufReader;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{watch, Semaphore};

/// How long a request waits for the Git follower to render refs that moved.
pub const GIT_WAIT: Duration = Duration::from_millis(1500);
/// A client must send its request within this.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(1);
/// Requests answered at once; more are declined (the clients read the clusters).
const MAX_CONCURRENT: usize = 4;

/// What a server covers: its identity and the selection its live layer follows.
#[derive(Debug, Clone)]
pub struct ServeScope {
    pub identity: Identity,
    /// `--env` of the serving process (None: every environment).
    pub env: Option<String>,
    /// `--app` of the serving process (None: every app).
    pub app: Option<String>,
    /// Why nothing can be served at all (a config that fetches, Argo CD / Flux sources).
    pub never: Option<String>,
}

impl ServeScope {
    /// The scope of a process started with these flags and config.
    pub fn of(
        identity: Identity,
        config: &crate::config::Config,
        env: Option<&str>,
        app: Option<&str>,
    ) -> ServeScope {
        let never = if !config.sources.is_empty() {
            Some("apps are read from Argo CD / Flux objects".to_string())
        } else if config.settings.fetch_interval_seconds > 0
            && config.repos.iter().any(|r| r.url.is_some())
        {
            Some("the config fetches from remotes, and a one-shot diff fetches first".to_string())
        } else {
            None
        };
        ServeScope {
            identity,
            env: env.map(str::to_string),
            app: app.map(str::to_string),
            never,
        }
    }

    /// Why this server cannot answer `request` (None: it may).
    fn declines(&self, request: &Request) -> Option<String> {
        if request.version != protocol::VERSION {
            return Some(format!(
                "protocol version {} (this kubedrift speaks {})",
                request.version,
                protocol::VERSION
            ));
        }
        if request.identity != self.identity.as_str() {
            return Some("another config, kubeconfig or context selection".to_string());
        }
        if let Some(never) = &self.never {
            return Some(never.clone());
        }
        let Command::Diff { app, env, .. } = &request.command;
        if let Some(only) = &self.env {
            if env.as_ref() != Some(only) {
                return Some(format!("it follows environment {only} only"));
            }
        }
        if let Some(only) = &self.app {
            if app != only {
                return Some(format!("it follows app {only} only"));
            }
        }
        None
    }
}

/// A listening server; dropping it stops it and removes its socket.
pub struct DiffServer {
    path: PathBuf,
    inode: u64,
    task: tokio::task::JoinHandle<()>,
    tracker: tokio::task::JoinHandle<()>,
}

impl DiffServer {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for DiffServer {
    fn drop(&mut self) {
        self.task.abort();
        self.tracker.abort();
        // Only our own socket: another server may have replaced a file it found dead.
        if std::fs::symlink_metadata(&self.path).is_ok_and(|m| m.ino() == self.inode) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("no runtime or cache directory for the socket")]
    NoDirectory,
    #[error("socket directory {0}: {1}")]
    Directory(PathBuf, String),
    #[error("socket path {0} is too long for a Unix socket")]
    PathTooLong(PathBuf),
    #[error("another kubedrift already serves this scope and selection at {0}")]
    AlreadyServed(PathBuf),
    #[error("socket {0}: {1}")]
    Bind(PathBuf, std::io::Error),
}

/// Start serving `live`'s snapshots. Call inside the live layer's runtime.
pub fn start(live: &Live, scope: ServeScope) -> Result<DiffServer, ServeError> {
    let dir = socket_dir().ok_or(ServeError::NoDirectory)?;
    private_dir(&dir)?;
    // Its own socket per selection: a narrow server never holds the socket a broader one
    // of the same identity would answer on.
    let path = dir.join(
        scope
            .identity
            .socket_name(scope.env.as_deref(), scope.app.as_deref()),
    );
    // sun_path holds 108 bytes on Linux, 104 on macOS, with its terminating NUL.
    if path.as_os_str().len() > 100 {
        return Err(ServeError::PathTooLong(path));
    }
    if std::fs::symlink_metadata(&path).is_ok() {
        // A server that answers keeps its socket; a dead one's file is removed.
        if std::os::unix::net::UnixStream::connect(&path).is_ok() {
            return Err(ServeError::AlreadyServed(path));
        }
        tracing::info!(path = %path.display(), "removing a stale diff socket");
        let _ = std::fs::remove_file(&path);
    }
    let listener = std::os::unix::net::UnixListener::bind(&path)
        .map_err(|e| ServeError::Bind(path.clone(), e))?;
    let bind_err = |e| ServeError::Bind(path.clone(), e);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).map_err(bind_err)?;
    let inode = std::fs::symlink_metadata(&path).map_err(bind_err)?.ino();
    listener.set_nonblocking(true).map_err(bind_err)?;
    let listener = tokio::net::UnixListener::from_std(listener).map_err(bind_err)?;
    let served = Arc::new(Served {
        scope,
        pid: std::process::id(),
        since: format!("{:.0}", jiff::Timestamp::now()),
        uid: effective_uid(),
        snapshots: live.snapshots(),
        marks: live.git_marks(),
        handle: tokio::runtime::Handle::current(),
        slots: Arc::new(Semaphore::new(MAX_CONCURRENT)),
        troubled: Troubled::default(),
        answers: Answers::default(),
    });
    let task = tokio::spawn(accept(listener, Arc::clone(&served)));
    let tracker = tokio::spawn(track_trouble(live.snapshots(), Arc::clone(&served)));
    Ok(DiffServer {
        path,
        inode,
        task,
        tracker,
    })
}

/// `dir` made (0700) and checked: ours, and nobody else's to read or write.
fn private_dir(dir: &Path) -> Result<(), ServeError> {
    let fail = |e: String| ServeError::Directory(dir.to_path_buf(), e);
    // Never through a symlink: another user able to create it in a shared runtime dir could
    // point it at a directory of theirs (or have us chmod one of ours).
    let symlink =
        |dir: &Path| std::fs::symlink_metadata(dir).is_ok_and(|m| m.file_type().is_symlink());
    if symlink(dir) {
        return Err(fail("a symlink, not a directory".to_string()));
    }
    crate::render::disk_cache::create_private_dir(dir).map_err(|e| fail(e.to_string()))?;
    let meta = std::fs::symlink_metadata(dir).map_err(|e| fail(e.to_string()))?;
    if !meta.is_dir() || meta.uid() != effective_uid() || meta.mode() & 0o077 != 0 {
        return Err(fail("not a private directory of this user".to_string()));
    }
    Ok(())
}

/// The uid of the process at the other end of `stream` (None: not known on this system).
pub(crate) fn peer_uid(stream: &std::os::unix::net::UnixStream) -> Option<u32> {
    use std::os::fd::AsRawFd;
    let fd = stream.as_raw_fd();
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let mut cred = libc::ucred {
            pid: 0,
            uid: 0,
            gid: 0,
        };
        let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
        // SAFETY: `cred` and `len` are valid for writes of a `ucred`, the size passed.
        let rc = unsafe {
            libc::getsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_PEERCRED,
                std::ptr::addr_of_mut!(cred).cast(),
                &mut len,
            )
        };
        (rc == 0).then_some(cred.uid)
    }
    #[cfg(any(target_os = "macos", target_os = "ios", target_os = "freebsd"))]
    {
        let (mut uid, mut gid) = (0, 0);
        // SAFETY: both out-pointers are valid for writes.
        let rc = unsafe { libc::getpeereid(fd, &mut uid, &mut gid) };
        (rc == 0).then_some(uid)
    }
    #[cfg(not(any(
        target_os = "linux",
        target_os = "android",
        target_os = "macos",
        target_os = "ios",
        target_os = "freebsd"
    )))]
    {
        let _ = fd;
        None
    }
}

pub(crate) fn effective_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// Everything a request handler reads.
struct Served {
    scope: ServeScope,
    pid: u32,
    since: String,
    uid: u32,
    snapshots: watch::Receiver<Arc<Snapshot>>,
    marks: watch::Receiver<Option<GitMark>>,
    handle: tokio::runtime::Handle,
    slots: Arc<Semaphore>,
    troubled: Troubled,
    answers: Answers,
}

/// How long after a cluster was last seen unreachable, unsettled or with a kind not watched
/// it is not served: a watcher whose connection failed waits up to its backoff
/// ([`crate::cluster::MAX_BACKOFF`]) before it watches again, while the cluster's probe may
/// already show it reachable — edits made meanwhile reach the snapshot only when it does.
const TROUBLE_QUIET: Duration = Duration::from_secs(65);

/// When each cluster was last seen in trouble (see [`TROUBLE_QUIET`]).
#[derive(Default)]
struct Troubled(std::sync::Mutex<std::collections::HashMap<String, Instant>>);

impl Troubled {
    fn mark(&self, context: &str, at: Instant) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.insert(context.to_string(), at);
    }

    /// Why one of `contexts` is not served yet, if it was in trouble within the quiet time.
    fn recently(&self, contexts: &[String]) -> Option<String> {
        let map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        contexts.iter().find_map(|context| {
            let ago = map.get(context)?.elapsed();
            (ago < TROUBLE_QUIET).then(|| {
                format!(
                    "cluster {context} was unreachable or relisting {}s ago; its watches may \
                     still be resuming",
                    ago.as_secs()
                )
            })
        })
    }
}

/// Marks every cluster a published snapshot shows in trouble: slow or unreachable (a watch's
/// connection failed), or a kind failed. Connecting and listing at start are not trouble: a
/// watch starts right after its list.
async fn track_trouble(mut snapshots: watch::Receiver<Arc<Snapshot>>, served: Arc<Served>) {
    loop {
        {
            let snapshot = Arc::clone(&snapshots.borrow_and_update());
            let now = Instant::now();
            for (context, cluster) in &snapshot.clusters {
                let failed = cluster.kinds.iter().any(|(_, status)| {
                    matches!(
                        status,
                        KindStatus::Failed { .. } | KindStatus::Forbidden { .. }
                    )
                });
                let down = matches!(
                    cluster.reach,
                    Reach::Slow { .. } | Reach::Unreachable { .. }
                );
                if down || failed {
                    served.troubled.mark(context, now);
                }
            }
        }
        if snapshots.changed().await.is_err() {
            return;
        }
    }
}

async fn accept(listener: tokio::net::UnixListener, served: Arc<Served>) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(err) => {
                tracing::warn!(%err, "diff socket: accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        // Another user's process is refused before it can send anything.
        match stream.peer_cred() {
            Ok(cred) if cred.uid() == served.uid => {}
            Ok(cred) => {
                tracing::warn!(
                    uid = cred.uid(),
                    "diff socket: refused a peer of another user"
                );
                continue;
            }
            Err(err) => {
                tracing::warn!(%err, "diff socket: no peer credentials; refused");
                continue;
            }
        }
        let Ok(stream) = stream.into_std() else {
            continue;
        };
        // No free slot: the connection is closed unread and the client reads the clusters
        // itself. Taken before a thread is: a flood of connections never holds more than
        // `MAX_CONCURRENT` of the blocking threads the Git poll and renders also use.
        let Ok(slot) = Arc::clone(&served.slots).try_acquire_owned() else {
            tracing::debug!("diff socket: busy; a request was closed unread");
            continue;
        };
        let served = Arc::clone(&served);
        tokio::task::spawn_blocking(move || {
            if let Err(err) = answer(&served, stream) {
                tracing::debug!(%err, "diff socket: request failed");
            }
            drop(slot);
        });
    }
}

/// Read one request and write its reply (on a blocking thread: the diff is CPU work).
fn answer(
    served: &Served,
    stream: std::os::unix::net::UnixStream,
) -> Result<(), protocol::ProtocolError> {
    stream.set_nonblocking(false)?;
    stream.set_write_timeout(Some(Duration::from_secs(5)))?;
    // The whole request within REQUEST_TIMEOUT, not each read: a client sending a byte at a
    // time cannot hold a slot.
    let mut reader = BufReader::new(DeadlineReader {
        stream: &stream,
        until: Instant::now() + REQUEST_TIMEOUT,
    });
    let request = protocol::read_request(&mut reader)?;
    let mut out = &stream;
    let decline = |out: &mut &std::os::unix::net::UnixStream, reason: String| {
        protocol::write_line(
            out,
            &Reply::Declined {
                pid: served.pid,
                reason,
            },
        )
    };
    if let Some(reason) = served.scope.declines(&request) {
        return decline(&mut out, reason);
    }
    let Command::Diff { app, env, color } = &request.command;
    // Clusters first: no reason to wait for Git when a cluster is down anyway.
    let now = Arc::clone(&served.snapshots.borrow());
    if let Err(reason) = ready(&now, app, env.as_deref()) {
        return decline(&mut out, reason);
    }
    let snapshot = match current_snapshot(served) {
        Ok(snapshot) => snapshot,
        Err(reason) => return decline(&mut out, reason),
    };
    let contexts = match ready(&snapshot, app, env.as_deref()) {
        Ok(contexts) => contexts,
        Err(reason) => return decline(&mut out, reason),
    };
    if let Some(reason) = served.troubled.recently(&contexts) {
        return decline(&mut out, reason);
    }
    let key = AnswerKey {
        app: app.clone(),
        env: env.clone(),
        color: *color,
    };
    if let Some((exit, stdout)) = served.answers.get(&snapshot, &key) {
        return protocol::write_served(&mut out, exit, served.pid, &served.since, &stdout);
    }
    let mut stdout = Vec::new();
    let scope = Scope {
        app,
        env: env.as_deref(),
        settled: true,
        timeout: Duration::ZERO,
        color: *color,
    };
    let (exit, errors) = write_local_report(&snapshot, &scope, &mut stdout)?;
    if let Some(first) = errors.first() {
        // Errors are the one-shot read's to say (it may know more: a cluster back, a fix).
        return decline(&mut out, format!("its answer has an error: {first}"));
    }
    let stdout = Arc::new(stdout);
    served
        .answers
        .put(&snapshot, key, exit.code(), Arc::clone(&stdout));
    protocol::write_served(&mut out, exit.code(), served.pid, &served.since, &stdout)
}

/// What an answer depends on besides the snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
struct AnswerKey {
    app: String,
    env: Option<String>,
    color: bool,
}

/// Answers kept per snapshot.
const CACHED_ANSWERS: usize = 8;
/// Larger answers are computed each time (the cache stays small).
const CACHED_ANSWER_MAX: usize = 1024 * 1024;

/// The last answers, by snapshot and request: the output is a function of the two, so a diff
/// asked again of an unchanged snapshot (a script polling, an app checked twice) is written
/// from here instead of diffing every resource again. Any live event or Git render publishes
/// a new snapshot, which misses. The snapshot is held weakly: a cached answer never keeps an
/// old snapshot's objects alive, and while the weak reference lives its address is not
/// reused, so comparing addresses names the same snapshot.
#[derive(Default)]
struct Answers(std::sync::Mutex<std::collections::VecDeque<Answer>>);

struct Answer {
    snapshot: std::sync::Weak<Snapshot>,
    key: AnswerKey,
    exit: u8,
    stdout: Arc<Vec<u8>>,
}

impl Answers {
    fn get(&self, snapshot: &Arc<Snapshot>, key: &AnswerKey) -> Option<(u8, Arc<Vec<u8>>)> {
        let answers = self.0.lock().unwrap_or_else(|p| p.into_inner());
        answers
            .iter()
            .find(|a| a.snapshot.as_ptr() == Arc::as_ptr(snapshot) && a.key == *key)
            .map(|a| (a.exit, Arc::clone(&a.stdout)))
    }

    fn put(&self, snapshot: &Arc<Snapshot>, key: AnswerKey, exit: u8, stdout: Arc<Vec<u8>>) {
        if stdout.len() > CACHED_ANSWER_MAX {
            return;
        }
        let mut answers = self.0.lock().unwrap_or_else(|p| p.into_inner());
        // Answers of older snapshots are never asked for again.
        answers.retain(|a| a.snapshot.as_ptr() == Arc::as_ptr(snapshot));
        if answers.len() >= CACHED_ANSWERS {
            answers.pop_front();
        }
        answers.push_back(Answer {
            snapshot: Arc::downgrade(snapshot),
            key,
            exit,
            stdout,
        });
    }
}

/// Reads from a socket until a deadline, then fails with `TimedOut`.
struct DeadlineReader<'a> {
    stream: &'a std::os::unix::net::UnixStream,
    until: Instant,
}

impl std::io::Read for DeadlineReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = self.until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(std::io::ErrorKind::TimedOut.into());
        }
        self.stream.set_read_timeout(Some(left))?;
        let mut stream = self.stream;
        stream.read(buf)
    }
}

/// The snapshot once Git is current: now, or after the follower rendered refs that moved
/// (waiting at most [`GIT_WAIT`]).
fn current_snapshot(served: &Served) -> Result<Arc<Snapshot>, String> {
    let deadline = Instant::now() + GIT_WAIT;
    let mut marks = served.marks.clone();
    loop {
        let current = marks.borrow_and_update().as_ref().map(GitMark::is_current);
        match current {
            // The mark is published after its poll's inputs are in the snapshot.
            Some(true) => return Ok(Arc::clone(&served.snapshots.borrow())),
            // The first read of Git takes longer than a client waits.
            None => return Err("Git is not read yet".to_string()),
            Some(false) => {}
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(format!(
                "Git moved and is not rendered yet (waited {GIT_WAIT:?})"
            ));
        }
        // A ref moved: the follower notices within its ref check and polls; wait for its
        // mark (or re-check at a short interval: a ref may also move back).
        let changed = served.handle.block_on(async {
            tokio::time::timeout(left.min(Duration::from_millis(100)), marks.changed()).await
        });
        if let Ok(Err(_)) = changed {
            return Err("the live layer stopped".to_string());
        }
    }
}

/// Whether `snapshot` answers for `app` (in `env`) as well as a one-shot read would: Git read,
/// the app known, and every cluster it lives on reachable with every kind watched.
fn ready(snapshot: &Snapshot, app: &str, env: Option<&str>) -> Result<Vec<String>, String> {
    if !snapshot.sources_loaded {
        return Err("Git is not read yet".to_string());
    }
    // A ref that no longer resolves keeps the last render in the snapshot; a one-shot read
    // reports the error instead (exit 2).
    if let Some(repo) = snapshot.repos.values().find(|r| r.error.is_some()) {
        return Err(format!("repo {} has an error", repo.name));
    }
    let mut contexts: Vec<&str> = snapshot
        .apps
        .values()
        .filter(|a| a.id.app == app && env.is_none_or(|e| a.id.env == e))
        .map(|a| a.context.as_str())
        .collect();
    if contexts.is_empty() {
        return Err(format!("it follows no app {app:?}"));
    }
    contexts.sort_unstable();
    contexts.dedup();
    for &context in &contexts {
        let Some(cluster) = snapshot.clusters.get(context) else {
            return Err(format!("it does not watch cluster {context}"));
        };
        if cluster.reach != Reach::Reachable {
            return Err(format!("cluster {context} is not reachable now"));
        }
        if !cluster.settled {
            return Err(format!("cluster {context} is still listing"));
        }
        if let Some((kind, status)) = cluster
            .kinds
            .iter()
            .find(|(_, status)| *status != KindStatus::Watching)
        {
            return Err(format!(
                "cluster {context}: {kind} is not being watched ({status:?})"
            ));
        }
    }
    Ok(contexts.into_iter().map(str::to_string).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(env: Option<&str>, app: Option<&str>) -> ServeScope {
        ServeScope {
            identity: crate::serve::identity::ScopeInputs::default().identity(),
            env: env.map(str::to_string),
            app: app.map(str::to_string),
            never: None,
        }
    }

    fn request(identity: &str, app: &str, env: Option<&str>) -> Request {
        Request {
            version: protocol::VERSION,
            identity: identity.to_string(),
            command: Command::Diff {
                app: app.to_string(),
                env: env.map(str::to_string),
                color: false,
            },
        }
    }

    #[test]
    fn a_server_declines_what_its_selection_does_not_cover() {
        let all = scope(None, None);
        let id = all.identity.as_str().to_string();
        assert_eq!(all.declines(&request(&id, "web", None)), None);
        assert_eq!(all.declines(&request(&id, "web", Some("prod"))), None);
        assert!(all.declines(&request("0000", "web", None)).is_some());
        let mut old = request(&id, "web", None);
        old.version += 1;
        assert!(all.declines(&old).is_some());

        let prod = scope(Some("prod"), None);
        assert_eq!(prod.declines(&request(&id, "web", Some("prod"))), None);
        assert!(prod.declines(&request(&id, "web", Some("dev"))).is_some());
        // Without --env the one-shot diff shows every environment: more than prod.
        assert!(prod.declines(&request(&id, "web", None)).is_some());

        let web = scope(None, Some("web"));
        assert_eq!(web.declines(&request(&id, "web", None)), None);
        assert!(web.declines(&request(&id, "api", None)).is_some());

        let mut never = scope(None, None);
        never.never = Some("fetches".to_string());
        assert!(never.declines(&request(&id, "web", None)).is_some());
    }

    #[test]
    fn a_repo_with_an_error_is_not_served_from_its_last_render() {
        let mut snapshot = Snapshot {
            sources_loaded: true,
            ..Snapshot::default()
        };
        snapshot.repos.insert(
            "gitops".to_string(),
            crate::state::RepoView {
                name: "gitops".to_string(),
                error: Some("ref release-9 not found".to_string()),
                checked_at: None,
            },
        );
        let reason = ready(&snapshot, "web", None).unwrap_err();
        assert!(reason.contains("gitops"), "{reason}");
    }

    #[test]
    fn a_cluster_in_trouble_is_not_served_for_the_quiet_time() {
        let troubled = Troubled::default();
        let contexts = vec!["prod".to_string()];
        assert_eq!(troubled.recently(&contexts), None);
        troubled.mark("dev", Instant::now());
        assert_eq!(troubled.recently(&contexts), None);
        troubled.mark("prod", Instant::now());
        let reason = troubled.recently(&contexts).expect("declined");
        assert!(reason.contains("prod"), "{reason}");
        if let Some(long_ago) = Instant::now().checked_sub(TROUBLE_QUIET + Duration::from_secs(1)) {
            troubled.mark("prod", long_ago);
            assert_eq!(troubled.recently(&contexts), None);
        }
    }

    #[test]
    fn a_cached_answer_is_only_for_the_same_snapshot_and_request() {
        let answers = Answers::default();
        let key = |app: &str, env: Option<&str>, color| AnswerKey {
            app: app.to_string(),
            env: env.map(str::to_string),
            color,
        };
        let first = Arc::new(Snapshot::default());
        answers.put(
            &first,
            key("web", Some("dev"), false),
            1,
            Arc::new(b"-a\n+b\n".to_vec()),
        );
        let (exit, stdout) = answers
            .get(&first, &key("web", Some("dev"), false))
            .expect("cached");
        assert_eq!((exit, stdout.as_slice()), (1, &b"-a\n+b\n"[..]));
        for other in [
            key("api", Some("dev"), false),
            key("web", Some("prod"), false),
            key("web", None, false),
            key("web", Some("dev"), true),
        ] {
            assert!(answers.get(&first, &other).is_none(), "{other:?}");
        }
        // A new snapshot (a live event, a Git render) misses, even with equal contents.
        let second = Arc::new(Snapshot::default());
        assert!(answers
            .get(&second, &key("web", Some("dev"), false))
            .is_none());
        answers.put(
            &second,
            key("web", Some("dev"), false),
            0,
            Arc::new(Vec::new()),
        );
        assert!(answers
            .get(&first, &key("web", Some("dev"), false))
            .is_none());
        // Held weakly: the old snapshot is freed with its last owner.
        let weak = Arc::downgrade(&first);
        drop(first);
        assert!(weak.upgrade().is_none());
        // Bounded, and large answers are not kept.
        for i in 0..(CACHED_ANSWERS + 3) {
            answers.put(
                &second,
                key(&format!("app{i}"), None, false),
                0,
                Arc::new(Vec::new()),
            );
        }
        assert_eq!(answers.0.lock().unwrap().len(), CACHED_ANSWERS);
        answers.put(
            &second,
            key("big", None, false),
            1,
            Arc::new(vec![b'x'; CACHED_ANSWER_MAX + 1]),
        );
        assert!(answers.get(&second, &key("big", None, false)).is_none());
    }

    #[test]
    fn the_peer_of_a_socket_of_ours_is_this_user() {
        let (ours, theirs) = std::os::unix::net::UnixStream::pair().expect("socket pair");
        assert_eq!(peer_uid(&ours), Some(effective_uid()));
        assert_eq!(peer_uid(&theirs), Some(effective_uid()));
    }

    #[test]
    fn an_empty_snapshot_is_not_ready() {
        let snapshot = Snapshot::default();
        assert!(ready(&snapshot, "web", None).is_err());
        let loaded = Snapshot {
            sources_loaded: true,
            ..Snapshot::default()
        };
        let reason = ready(&loaded, "web", None).unwrap_err();
        assert!(reason.contains("web"), "{reason}");
    }
}
