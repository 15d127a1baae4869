//! `kubedrift status --watch -o json` as a child process: the harness's view of the live
//! layer. Its first document is the full status; every later line is one app that changed.
//! Line arrival times give edit → verdict and commit → verdict latencies as a user of the
//! CLI sees them, and the child's own peak RSS comes from wait4.

use super::process::{Finished, ProcessError, Streaming};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::ffi::OsString;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// What the watcher last printed for one app.
#[derive(Debug, Clone, Default)]
pub struct AppLine {
    pub revision: String,
    pub sync: String,
    /// Resource key → sync label.
    pub resources: HashMap<String, String>,
}

/// Diagnostics, not a flag: `KEY=VALUE` pairs separated by `;` set on the watcher child only
/// (not on the sandbox or the fresh `status` runs), e.g. heaptrack's
/// `LD_PRELOAD=/usr/lib/heaptrack/libheaptrack_preload.so;DUMP_HEAPTRACK_OUTPUT=/tmp/fifo` or
/// `MALLOC_ARENA_MAX=2`, to find what grows in a soak.
pub const WATCHER_ENV: &str = "KUBEDRIFT_BENCH_WATCHER_ENV";

/// The pairs of [`WATCHER_ENV`]; malformed entries (no `=`) are skipped.
fn extra_env(spec: &str) -> Vec<(&str, &str)> {
    spec.split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(key, _)| !key.is_empty())
        .collect()
}

pub struct Watcher {
    process: Streaming,
    /// (app, env) → last line.
    pub apps: BTreeMap<(String, String), AppLine>,
    /// From spawn to the full first status.
    pub first_status: Duration,
    /// Lines seen after the first status.
    pub lines_seen: usize,
}

fn app_line(app: &Value) -> Option<((String, String), AppLine)> {
    let text = |name: &str| {
        app.get(name)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    if app.get("removed").is_some() {
        return None;
    }
    let resources = app
        .get("resources")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|r| {
            (
                super::names::resource_key(r),
                r.get("sync")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
            )
        })
        .collect();
    Some((
        (text("app"), text("env")),
        AppLine {
            revision: text("revision"),
            sync: text("sync"),
            resources,
        },
    ))
}

impl Watcher {
    /// Start the watcher and wait (up to `timeout`) for its first full status.
    pub fn start(
        kubedrift: &Path,
        config: &Path,
        kubeconfig: &Path,
        path_env: &OsString,
        cache_home: &Path,
        timeout: Duration,
    ) -> Result<Watcher, ProcessError> {
        let mut command = Command::new(kubedrift);
        command
            .arg("--config")
            .arg(config)
            .arg("--kubeconfig")
            .arg(kubeconfig)
            .args(["status", "--watch", "--output", "json", "--timeout"])
            .arg(format!("{}s", timeout.as_secs().max(1)))
            .env("PATH", path_env)
            .env_remove("KUBEDRIFT_LOG")
            .env_remove(WATCHER_ENV);
        super::process::own_caches(&mut command, cache_home);
        let spec = std::env::var(WATCHER_ENV).unwrap_or_default();
        for (key, value) in extra_env(&spec) {
            command.env(key, value);
        }
        let process = Streaming::spawn(&mut command, false)?;
        let mut document = String::new();
        let deadline = Instant::now() + timeout + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let Some((at, line)) = process.next_line(left) else {
                let finished = process.interrupt()?;
                return Err(ProcessError::Other(format!(
                    "status --watch printed no full status: {}",
                    finished.stderr.trim()
                )));
            };
            let done = line == "}";
            document.push_str(&line);
            document.push('\n');
            if done {
                let report: Value = serde_json::from_str(&document)
                    .map_err(|e| ProcessError::Other(format!("status --watch JSON: {e}")))?;
                let apps = report
                    .get("apps")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(app_line)
                    .collect();
                return Ok(Watcher {
                    first_status: at.duration_since(process.started()),
                    process,
                    apps,
                    lines_seen: 0,
                });
            }
        }
    }

    /// Take one line into the state; the app it was about, when it parsed.
    fn absorb(&mut self, line: &str) -> Option<(String, String)> {
        let value: Value = serde_json::from_str(line).ok()?;
        self.lines_seen += 1;
        let (id, app) = app_line(&value)?;
        self.apps.insert(id.clone(), app);
        Some(id)
    }

    /// Take every line already printed, without waiting.
    pub fn drain(&mut self) {
        while let Some((_, line)) = self.process.next_line(Duration::ZERO) {
            self.absorb(&line);
        }
    }

    /// Read lines until `done(app line)` holds for (app, env), or `timeout`; the arrival time
    /// of the line that made it hold.
    pub fn wait_for(
        &mut self,
        app: &str,
        env: &str,
        timeout: Duration,
        mut done: impl FnMut(&AppLine) -> bool,
    ) -> Option<Instant> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let (at, line) = self.process.next_line(left)?;
            if let Some((a, e)) = self.absorb(&line) {
                if a == app && e == env && self.apps.get(&(a, e)).is_some_and(&mut done) {
                    return Some(at);
                }
            }
        }
    }

    /// Collect lines for `window`; calls `seen` for every app line.
    pub fn collect_for(
        &mut self,
        window: Duration,
        mut seen: impl FnMut(&(String, String), &AppLine),
    ) {
        let deadline = Instant::now() + window;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            let Some((_, line)) = self.process.next_line(left) else {
                return;
            };
            if let Some(id) = self.absorb(&line) {
                if let Some(app) = self.apps.get(&id) {
                    seen(&id, app);
                }
            }
        }
    }

    pub fn rss_mib(&self) -> Option<f64> {
        self.process.rss_mib()
    }

    pub fn running(&mut self) -> bool {
        self.process.running()
    }

    /// (exit code, signal) once `running` found the child gone.
    pub fn ended(&self) -> Option<(Option<i32>, Option<i32>)> {
        self.process.ended()
    }

    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// Ctrl-C and reap: the child's wall time, peak RSS and CPU.
    pub fn stop(self) -> Result<Finished, ProcessError> {
        self.process.interrupt()
    }

    /// Differing resources as `ENV KEY` in the watcher's latest state.
    pub fn differing(&self) -> std::collections::BTreeSet<String> {
        self.apps
            .iter()
            .flat_map(|((_, env), app)| {
                app.resources
                    .iter()
                    .filter(|(_, sync)| {
                        matches!(sync.as_str(), "OutOfSync" | "Missing" | "Extraneous")
                    })
                    .map(move |(key, _)| format!("{env} {key}"))
            })
            .collect()
    }

    /// (app, env, key) → sync in the latest state.
    pub fn verdicts(&self) -> BTreeMap<String, String> {
        self.apps
            .iter()
            .flat_map(|((app, env), line)| {
                line.resources
                    .iter()
                    .map(move |(key, sync)| (format!("{app}@{env} {key}"), sync.clone()))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watcher_env_pairs_split_on_semicolons_and_keep_equals_in_values() {
        assert_eq!(
            extra_env("MALLOC_ARENA_MAX=2; LD_PRELOAD=/a.so;bad;=x;OPTS=a=b"),
            vec![
                ("MALLOC_ARENA_MAX", "2"),
                ("LD_PRELOAD", "/a.so"),
                ("OPTS", "a=b")
            ]
        );
        assert!(extra_env("").is_empty());
    }
}
