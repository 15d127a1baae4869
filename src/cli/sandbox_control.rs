//! What `kubedrift sandbox` offers measurement tools besides serving: `--preload DIR` fills
//! the clusters from JSON lines without one HTTP request per object, and `--control-stdin`
//! switches faults and reports request counters while the servers run, so a harness in
//! another process (the scale benchmark's soak) can drive incidents.

use crate::sandbox::api_server::{PatchKind, Subresource};
use crate::sandbox::handle::ClusterHandle;
use crate::sandbox::Sandbox;
use serde_json::{json, Value};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// Why preloading failed: the file and line, so a broken generator output is found at once.
#[derive(Debug, thiserror::Error)]
pub enum PreloadError {
    #[error("could not read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Line {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

/// One preload step. Lines of `DIR/<cluster>.jsonl`, applied in order:
/// `{"apply": OBJ, "manager": M}` (server-side apply, as `kubectl apply --server-side`),
/// `{"create": OBJ, "manager": M}` (a POST, as `kubectl create`),
/// `{"merge": PATCH, "target": {"apiVersion","kind","namespace","name"}, "manager": M}`
/// (a merge patch, as `kubectl edit` / `kubectl patch`).
fn preload_line(cluster: &ClusterHandle, line: &str) -> Result<(), String> {
    let value: Value = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    let manager = value
        .get("manager")
        .and_then(Value::as_str)
        .unwrap_or("kubectl");
    if let Some(obj) = value.get("apply") {
        cluster
            .apply(obj, manager, true)
            .map(drop)
            .map_err(|e| e.to_string())
    } else if let Some(obj) = value.get("create") {
        cluster
            .create(obj.clone(), manager)
            .map(drop)
            .map_err(|e| e.to_string())
    } else if let (Some(patch), Some(target)) = (value.get("merge"), value.get("target")) {
        let field = |name: &str| target.get(name).and_then(Value::as_str).unwrap_or("");
        let namespace = Some(field("namespace")).filter(|n| !n.is_empty());
        cluster
            .patch(
                field("apiVersion"),
                field("kind"),
                namespace,
                field("name"),
                Subresource::Main,
                PatchKind::Merge,
                patch,
                manager,
            )
            .map(drop)
            .map_err(|e| e.to_string())
    } else {
        Err("expected one of \"apply\", \"create\" or \"merge\"+\"target\"".to_string())
    }
}

/// Load `DIR/<cluster>.jsonl` into each cluster that has such a file (clusters side by side,
/// one thread each). Returns the number of lines applied.
pub fn preload(sandbox: &Sandbox, dir: &Path) -> Result<usize, PreloadError> {
    std::thread::scope(|scope| {
        let workers: Vec<_> = sandbox
            .clusters()
            .iter()
            .map(|cluster| {
                let path = dir.join(format!("{}.jsonl", cluster.name()));
                scope.spawn(move || preload_cluster(cluster, &path))
            })
            .collect();
        let mut total = 0;
        for worker in workers {
            match worker.join() {
                Ok(result) => total += result?,
                Err(_) => {
                    return Err(PreloadError::Line {
                        path: dir.to_path_buf(),
                        line: 0,
                        message: "a preload thread panicked".into(),
                    })
                }
            }
        }
        Ok(total)
    })
}

fn preload_cluster(cluster: &ClusterHandle, path: &Path) -> Result<usize, PreloadError> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(source) => {
            return Err(PreloadError::Read {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    let mut applied = 0;
    for (index, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|source| PreloadError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        if line.trim().is_empty() {
            continue;
        }
        preload_line(cluster, &line).map_err(|message| PreloadError::Line {
            path: path.to_path_buf(),
            line: index + 1,
            message,
        })?;
        applied += 1;
    }
    Ok(applied)
}

/// A fault to switch on one cluster (see `FaultControl`).
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    Down,
    Up,
    /// This fraction of requests answers 500.
    Errors(f64),
    /// Every request answers 429 with this Retry-After (seconds).
    Throttle(u32),
    Latency(Duration),
    /// Close every watch after this long (keeps cutting until cleared).
    CutWatches(Duration),
    /// Watches resuming from a resourceVersion get 410 Gone.
    Gone(bool),
    /// The watches open now go silent (half-open: no event, bookmark or end).
    SilenceWatches,
    /// Every fault of the cluster off.
    Clear,
}

/// One line of `--control-stdin`.
#[derive(Debug, Clone, PartialEq)]
pub enum ControlCommand {
    Fault {
        cluster: String,
        fault: Fault,
    },
    /// Every fault of every cluster off.
    ClearAll,
    /// Print one JSON line of per-cluster counters.
    Stats,
}

/// Parse `fault CLUSTER down|up|errors F|throttle S|latency MS|cut-watches MS|gone on|off|
/// silence-watches|clear`, `clear-all` or `stats`.
pub fn parse_command(line: &str) -> Result<ControlCommand, String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let number = |text: Option<&&str>, what: &str| -> Result<f64, String> {
        text.and_then(|t| t.parse::<f64>().ok())
            .filter(|n| n.is_finite() && *n >= 0.0)
            .ok_or_else(|| format!("{what} needs a non-negative number"))
    };
    match words.as_slice() {
        ["stats"] => Ok(ControlCommand::Stats),
        ["clear-all"] => Ok(ControlCommand::ClearAll),
        ["fault", cluster, what, rest @ ..] => {
            let fault = match (*what, rest.first().copied()) {
                ("down", None) => Fault::Down,
                ("up", None) => Fault::Up,
                ("clear", None) => Fault::Clear,
                ("errors", _) => Fault::Errors(number(rest.first(), "errors")?.min(1.0)),
                ("throttle", _) => Fault::Throttle(number(rest.first(), "throttle")? as u32),
                ("latency", _) => Fault::Latency(Duration::from_millis(number(
                    rest.first(),
                    "latency",
                )? as u64)),
                ("cut-watches", _) => Fault::CutWatches(Duration::from_millis(
                    number(rest.first(), "cut-watches")?.max(1.0) as u64,
                )),
                ("gone", Some("on")) => Fault::Gone(true),
                ("gone", Some("off")) => Fault::Gone(false),
                ("silence-watches", None) => Fault::SilenceWatches,
                _ => return Err(format!("unknown fault {:?}", rest_of(what, rest))),
            };
            Ok(ControlCommand::Fault {
                cluster: cluster.to_string(),
                fault,
            })
        }
        _ => Err(format!(
            "unknown command {line:?} (fault CLUSTER ..., clear-all, stats)"
        )),
    }
}

fn rest_of(what: &str, rest: &[&str]) -> String {
    std::iter::once(what)
        .chain(rest.iter().copied())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The clusters a control thread may touch (the servers stay owned by the `Sandbox`).
pub type ControlTargets = Vec<(String, Arc<crate::sandbox::api_server::ApiServer>)>;

pub fn control_targets(sandbox: &Sandbox) -> ControlTargets {
    sandbox
        .clusters()
        .iter()
        .map(|c| (c.name().to_string(), Arc::clone(c.api_server())))
        .collect()
}

/// Run one command; the answer line (`ok`, `error: ...` or the stats JSON).
pub fn execute(targets: &ControlTargets, command: &ControlCommand) -> String {
    match command {
        ControlCommand::Stats => {
            let clusters: serde_json::Map<String, Value> = targets
                .iter()
                .map(|(name, api)| {
                    (
                        name.clone(),
                        json!({
                            "objects": api.store.len(),
                            "watchRequests": api.watch_requests.load(Ordering::Relaxed),
                            "listRequests": api.list_requests.load(Ordering::Relaxed),
                            "writeRequests": api.write_requests.load(Ordering::Relaxed),
                        }),
                    )
                })
                .collect();
            json!({ "clusters": clusters }).to_string()
        }
        ControlCommand::ClearAll => {
            for (_, api) in targets {
                api.faults.clear();
            }
            "ok".to_string()
        }
        ControlCommand::Fault { cluster, fault } => {
            let Some((_, api)) = targets.iter().find(|(name, _)| name == cluster) else {
                return format!("error: no cluster {cluster:?}");
            };
            let faults = &api.faults;
            match fault {
                Fault::Down => faults.set_down(true),
                Fault::Up => faults.set_down(false),
                Fault::Errors(fraction) => faults.set_error_rate(*fraction),
                Fault::Throttle(secs) => faults.set_throttle(Some(*secs)),
                Fault::Latency(latency) => faults.set_latency(*latency),
                Fault::CutWatches(after) => faults.close_watches_after(Some(*after)),
                Fault::Gone(on) => faults.set_gone_on_watch_resume(*on),
                Fault::SilenceWatches => faults.silence_open_watches(),
                Fault::Clear => faults.clear(),
            }
            "ok".to_string()
        }
    }
}

/// Read commands from stdin until it closes, answering each on stdout. Runs on its own
/// thread; the servers keep running after stdin closes.
pub fn spawn_stdin_control(targets: ControlTargets) {
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        for line in stdin.lock().lines() {
            let Ok(line) = line else { return };
            if line.trim().is_empty() {
                continue;
            }
            let answer = match parse_command(&line) {
                Ok(command) => execute(&targets, &command),
                Err(err) => format!("error: {err}"),
            };
            let mut out = std::io::stdout().lock();
            if writeln!(out, "{answer}").and_then(|_| out.flush()).is_err() {
                return;
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse_and_bad_ones_say_why() {
        assert_eq!(parse_command("stats"), Ok(ControlCommand::Stats));
        assert_eq!(parse_command(" clear-all "), Ok(ControlCommand::ClearAll));
        assert_eq!(
            parse_command("fault c01 errors 0.5"),
            Ok(ControlCommand::Fault {
                cluster: "c01".into(),
                fault: Fault::Errors(0.5)
            })
        );
        assert_eq!(
            parse_command("fault c01 cut-watches 200"),
            Ok(ControlCommand::Fault {
                cluster: "c01".into(),
                fault: Fault::CutWatches(Duration::from_millis(200))
            })
        );
        assert_eq!(
            parse_command("fault c02 gone on"),
            Ok(ControlCommand::Fault {
                cluster: "c02".into(),
                fault: Fault::Gone(true)
            })
        );
        assert_eq!(
            parse_command("fault c03 silence-watches"),
            Ok(ControlCommand::Fault {
                cluster: "c03".into(),
                fault: Fault::SilenceWatches
            })
        );
        assert!(parse_command("fault c01 errors lots").is_err());
        assert!(parse_command("fault c01 explode").is_err());
        assert!(parse_command("reboot").is_err());
    }
}
