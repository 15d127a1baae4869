//! Child processes measured from outside: wall time, peak RSS and CPU from `wait4`'s rusage
//! (the child's own, not this harness's), line streams with arrival times, the sandbox
//! process, and the PATH shim that counts renderer tool runs.

use serde::Serialize;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    #[error("could not start {program}: {source}")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },
    #[error("waiting for {program} failed: {source}")]
    Wait {
        program: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Other(String),
}

/// The 1-minute load average (the machine is shared: every number is reported with it).
pub fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|n| n.parse().ok()))
        .unwrap_or(-1.0)
}

/// How a finished child ran.
#[derive(Debug, Clone, Serialize)]
pub struct Finished {
    pub wall_ms: f64,
    pub max_rss_mib: f64,
    pub cpu_ms: f64,
    /// `cpu_ms` split: user and system time.
    pub user_ms: f64,
    pub sys_ms: f64,
    /// Exit code; None when killed by a signal.
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    /// 1-minute load average when the child ended.
    pub load: f64,
    #[serde(skip)]
    pub stdout: String,
    #[serde(skip)]
    pub stderr: String,
}

pub(super) fn tv_ms(tv: libc::timeval) -> f64 {
    tv.tv_sec as f64 * 1e3 + tv.tv_usec as f64 / 1e3
}

/// How a reaped child ended: (exit code, signal, rusage).
pub(super) type Reaped = (Option<i32>, Option<i32>, libc::rusage);

/// Reap `pid` with wait4: (exit code, signal, rusage).
pub(super) fn wait4(pid: u32, program: &str) -> Result<Reaped, ProcessError> {
    wait4_with(pid, program, 0)?
        .ok_or_else(|| ProcessError::Other(format!("wait4 returned without reaping {program}")))
}

/// wait4 with `flags`; None when WNOHANG found the child still running.
fn wait4_with(pid: u32, program: &str, flags: libc::c_int) -> Result<Option<Reaped>, ProcessError> {
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain data; wait4 fills it and `status` for our own child `pid`.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: see above; pointers are to live locals.
        let rc = unsafe { libc::wait4(pid as libc::pid_t, &mut status, flags, &mut usage) };
        if rc == pid as libc::pid_t {
            break;
        }
        if rc == 0 && flags & libc::WNOHANG != 0 {
            return Ok(None);
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(ProcessError::Wait {
                program: program.to_string(),
                source: err,
            });
        }
    }
    let exit = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    let signal = libc::WIFSIGNALED(status).then(|| libc::WTERMSIG(status));
    Ok(Some((exit, signal, usage)))
}

fn finished(
    started: Instant,
    (exit_code, signal, usage): Reaped,
    stdout: String,
    stderr: String,
) -> Finished {
    Finished {
        wall_ms: started.elapsed().as_secs_f64() * 1e3,
        // Linux reports ru_maxrss in KiB.
        max_rss_mib: usage.ru_maxrss as f64 / 1024.0,
        cpu_ms: tv_ms(usage.ru_utime) + tv_ms(usage.ru_stime),
        user_ms: tv_ms(usage.ru_utime),
        sys_ms: tv_ms(usage.ru_stime),
        exit_code,
        signal,
        load: load_average(),
        stdout,
        stderr,
    }
}

fn program_name(command: &Command) -> String {
    let mut name = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args().take(2) {
        name.push(' ');
        name.push_str(&arg.to_string_lossy());
    }
    name
}

fn drain<R: Read + Send + 'static>(pipe: Option<R>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_string(&mut text);
        }
        text
    })
}

/// Run `command` to the end, stdin closed, output captured.
pub fn run(command: &mut Command) -> Result<Finished, ProcessError> {
    let program = program_name(command);
    let started = Instant::now();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| ProcessError::Spawn {
            program: program.clone(),
            source,
        })?;
    let out = drain(child.stdout.take());
    let err = drain(child.stderr.take());
    let status = wait4(child.id(), &program)?;
    // Reaped by wait4: the Child is only dropped, never waited on again.
    drop(child);
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    Ok(finished(started, status, stdout, stderr))
}

/// A running child whose stdout lines arrive with their arrival time.
pub struct Streaming {
    child: Child,
    program: String,
    started: Instant,
    pub lines: mpsc::Receiver<(Instant, String)>,
    stderr: Option<std::thread::JoinHandle<String>>,
    pub stdin: Option<ChildStdin>,
    reaped: bool,
    /// How the child ended, when `running` found it gone: reaped there with its rusage, so a
    /// crash is still reported (a second wait would fail with ECHILD).
    ended: Option<Reaped>,
}

impl Streaming {
    pub fn spawn(command: &mut Command, keep_stdin: bool) -> Result<Streaming, ProcessError> {
        let program = program_name(command);
        let started = Instant::now();
        let mut child = command
            .stdin(if keep_stdin {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| ProcessError::Spawn {
                program: program.clone(),
                source,
            })?;
        let (tx, rx) = mpsc::channel();
        let stdout = child.stdout.take();
        std::thread::spawn(move || {
            let Some(stdout) = stdout else { return };
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if tx.send((Instant::now(), line)).is_err() {
                    return;
                }
            }
        });
        let stderr = Some(drain(child.stderr.take()));
        let stdin = child.stdin.take();
        Ok(Streaming {
            child,
            program,
            started,
            lines: rx,
            stderr,
            stdin,
            reaped: false,
            ended: None,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn started(&self) -> Instant {
        self.started
    }

    /// The next line, or None after `timeout` or at end of output.
    pub fn next_line(&self, timeout: Duration) -> Option<(Instant, String)> {
        self.lines.recv_timeout(timeout).ok()
    }

    /// Whether the child is still running. A child found gone is reaped here (wait4 with
    /// WNOHANG, not `Child::try_wait`, which would drop its rusage and exit status).
    pub fn running(&mut self) -> bool {
        if self.reaped || self.ended.is_some() {
            return false;
        }
        match wait4_with(self.child.id(), &self.program, libc::WNOHANG) {
            Ok(None) => true,
            Ok(Some(reaped)) => {
                self.ended = Some(reaped);
                false
            }
            Err(_) => false,
        }
    }

    /// How the child ended, once `running` returned false because it had exited.
    pub fn ended(&self) -> Option<(Option<i32>, Option<i32>)> {
        self.ended.map(|(exit, signal, _)| (exit, signal))
    }

    /// Resident memory right now (VmRSS of /proc/PID/status), MiB.
    pub fn rss_mib(&self) -> Option<f64> {
        rss_mib_of(self.pid())
    }

    /// Send SIGINT (Ctrl-C) and reap the child (or report how it already ended).
    pub fn interrupt(mut self) -> Result<Finished, ProcessError> {
        if self.ended.is_none() {
            // SAFETY: signalling our own child by pid (not reaped yet, so the pid is ours).
            unsafe {
                libc::kill(self.child.id() as libc::pid_t, libc::SIGINT);
            }
        }
        drop(self.stdin.take());
        self.reap()
    }

    fn reap(&mut self) -> Result<Finished, ProcessError> {
        let status = match self.ended.take() {
            Some(ended) => ended,
            None => wait4(self.child.id(), &self.program)?,
        };
        self.reaped = true;
        let mut rest = String::new();
        while let Ok((_, line)) = self.lines.recv_timeout(Duration::from_millis(200)) {
            rest.push_str(&line);
            rest.push('\n');
        }
        let stderr = self
            .stderr
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default();
        Ok(finished(self.started, status, rest, stderr))
    }
}

impl Drop for Streaming {
    fn drop(&mut self) {
        if !self.reaped && self.ended.is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

pub fn rss_mib_of(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status_mib(&status, "VmRSS:")
}

/// What VmRSS is made of: anonymous memory (the heap, stacks: what the allocator holds) and
/// file-backed pages (the binary's code and read-only data as far as it was touched, shared
/// libraries), both MiB. A soak's RSS rising while the anonymous part stays flat is code
/// pages touched for the first time (fault and error paths), not memory kept.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RssParts {
    pub anon_mib: f64,
    pub file_mib: f64,
}

pub fn rss_parts_of(pid: u32) -> Option<RssParts> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    rss_parts(&status)
}

/// RssAnon and RssFile (+ RssShmem) of a /proc/PID/status text.
pub fn rss_parts(status: &str) -> Option<RssParts> {
    Some(RssParts {
        anon_mib: status_mib(status, "RssAnon:")?,
        file_mib: status_mib(status, "RssFile:")? + status_mib(status, "RssShmem:").unwrap_or(0.0),
    })
}

/// The `kB` value of the line starting with `field` in a /proc/PID/status text, in MiB.
fn status_mib(status: &str, field: &str) -> Option<f64> {
    let kib: f64 = status
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kib / 1024.0)
}

/// OS threads of `pid` (Threads of /proc/PID/status).
pub fn threads_of(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("Threads:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// CPU time counters read at one moment, to tell what else ran on the machine while a child
/// was measured (the machine is shared; the sandbox runs beside the child).
#[derive(Debug, Clone, Copy)]
pub struct CpuCounters {
    /// Every CPU's non-idle time since boot (user, nice, system, irq, softirq), ms.
    machine_busy_ms: f64,
    /// Time the hypervisor ran something else on our CPUs, ms.
    machine_steal_ms: f64,
    /// This harness process (all its threads), ms.
    harness_ms: f64,
    /// A watched process (the sandbox), ms; 0 when it cannot be read.
    watched_ms: f64,
}

/// CPU spent while a child ran, besides the child's own.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Beside {
    /// The sandbox process (the API servers the child talks to).
    pub sandbox_cpu_ms: f64,
    /// This harness (reading the child's output).
    pub harness_cpu_ms: f64,
    /// Everything else on the machine: busy time of all CPUs minus the child, the sandbox and
    /// the harness (other users, kernel threads, leftovers of earlier phases).
    pub others_cpu_ms: f64,
    /// Stolen by the hypervisor.
    pub steal_ms: f64,
}

fn clock_ticks_ms() -> f64 {
    // SAFETY: sysconf only reads a configuration value.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    1e3 / if hz > 0 { hz as f64 } else { 100.0 }
}

/// utime + stime of `pid` from /proc/PID/stat, ms.
fn process_cpu_ms(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces: the fields start after its closing parenthesis.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) * clock_ticks_ms())
}

impl CpuCounters {
    /// The counters now; `watched` is the sandbox's pid.
    pub fn read(watched: Option<u32>) -> CpuCounters {
        let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
        let numbers: Vec<f64> = stat
            .lines()
            .find(|l| l.starts_with("cpu "))
            .map(|l| {
                l.split_whitespace()
                    .skip(1)
                    .filter_map(|n| n.parse().ok())
                    .collect()
            })
            .unwrap_or_default();
        let field = |i: usize| numbers.get(i).copied().unwrap_or(0.0);
        let tick = clock_ticks_ms();
        // user nice system idle iowait irq softirq steal (guest time is inside user).
        let busy = field(0) + field(1) + field(2) + field(5) + field(6);
        CpuCounters {
            machine_busy_ms: busy * tick,
            machine_steal_ms: field(7) * tick,
            harness_ms: process_cpu_ms(std::process::id()).unwrap_or(0.0),
            watched_ms: watched.and_then(process_cpu_ms).unwrap_or(0.0),
        }
    }

    /// What ran beside a child that used `child_cpu_ms` between `self` and `later`.
    pub fn beside(&self, later: &CpuCounters, child_cpu_ms: f64) -> Beside {
        let sandbox = (later.watched_ms - self.watched_ms).max(0.0);
        let harness = (later.harness_ms - self.harness_ms).max(0.0);
        let busy = later.machine_busy_ms - self.machine_busy_ms;
        Beside {
            sandbox_cpu_ms: sandbox,
            harness_cpu_ms: harness,
            others_cpu_ms: (busy - child_cpu_ms - sandbox - harness).max(0.0),
            steal_ms: (later.machine_steal_ms - self.machine_steal_ms).max(0.0),
        }
    }
}

/// Open file descriptors of `pid` (entries of /proc/PID/fd).
pub fn open_fds_of(pid: u32) -> Option<usize> {
    Some(std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count())
}

/// `kubedrift sandbox` in its own process, answering control commands on stdin.
pub struct SandboxProcess {
    process: Streaming,
    pub kubeconfig: PathBuf,
    /// From spawn until the servers were up and preloaded.
    pub ready_after: Duration,
}

impl SandboxProcess {
    pub fn start(
        kubedrift: &Path,
        clusters: &[String],
        kubeconfig: &Path,
        preload: &Path,
    ) -> Result<SandboxProcess, ProcessError> {
        let mut command = Command::new(kubedrift);
        command
            .arg("sandbox")
            .arg("--clusters")
            .arg(clusters.join(","))
            .arg("--kubeconfig-out")
            .arg(kubeconfig)
            .arg("--preload")
            .arg(preload)
            .arg("--no-controller")
            .arg("--control-stdin")
            .env_remove("KUBEDRIFT_LOG");
        let process = Streaming::spawn(&mut command, true)?;
        let deadline = Instant::now() + Duration::from_secs(900);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match process.next_line(left) {
                Some((at, line)) if line.starts_with("Press Ctrl-C") => {
                    let ready_after = at.duration_since(process.started());
                    return Ok(SandboxProcess {
                        process,
                        kubeconfig: kubeconfig.to_path_buf(),
                        ready_after,
                    });
                }
                Some(_) => continue,
                None => {
                    let finished = process.interrupt()?;
                    return Err(ProcessError::Other(format!(
                        "the sandbox did not start: {}",
                        finished.stderr.trim()
                    )));
                }
            }
        }
    }

    /// Send one control command; its answer line.
    pub fn command(&mut self, line: &str) -> Result<String, ProcessError> {
        let stdin = self
            .process
            .stdin
            .as_mut()
            .ok_or_else(|| ProcessError::Other("sandbox stdin closed".into()))?;
        writeln!(stdin, "{line}")
            .and_then(|_| stdin.flush())
            .map_err(|e| ProcessError::Other(format!("sandbox control: {e}")))?;
        self.process
            .next_line(Duration::from_secs(30))
            .map(|(_, line)| line)
            .ok_or_else(|| ProcessError::Other(format!("no answer from the sandbox to {line:?}")))
    }

    pub fn running(&mut self) -> bool {
        self.process.running()
    }

    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    pub fn stop(self) -> Result<Finished, ProcessError> {
        self.process.interrupt()
    }
}

/// Give a measured kubedrift child caches of its own under `cache_home`, whatever the
/// harness's environment says: an exported `KUBEDRIFT_CACHE_DIR` (the team's by-hand setup
/// asks for one) would otherwise win over `XDG_CACHE_HOME`, and the child would share a render
/// cache with other runs of the same generated repo (same seed, same keys) by other binaries,
/// whose parsed objects it does not trust: it parses everything again, which a user's second
/// start does not do. The cache size cap is kubedrift's default.
pub fn own_caches<'c>(command: &'c mut Command, cache_home: &Path) -> &'c mut Command {
    command
        .env("XDG_CACHE_HOME", cache_home)
        .env("KUBEDRIFT_CACHE_DIR", cache_home.join("kubedrift"))
        .env("KUBEDRIFT_CHART_CACHE", cache_home.join("kubedrift-charts"))
        .env_remove("KUBEDRIFT_RENDER_CACHE_MB")
}

/// A copy of the kubedrift binary in `dir`, run for every measure instead of the original:
/// a rebuild of the original during a bench (cargo replaces the file) would make later runs
/// another binary, one that distrusts the parsed objects the first run cached (they are
/// keyed by the binary's path, size and time) and so parses everything again.
pub fn pinned_binary(original: &Path, dir: &Path) -> Result<PathBuf, ProcessError> {
    let io = |e: std::io::Error| ProcessError::Other(format!("copying the kubedrift binary: {e}"));
    std::fs::create_dir_all(dir).map_err(io)?;
    let copy = dir.join("kubedrift");
    // Written to a temp name first: a copy cut short is never run.
    let partial = dir.join(".kubedrift.partial");
    std::fs::copy(original, &partial).map_err(io)?;
    std::fs::rename(&partial, &copy).map_err(io)?;
    Ok(copy)
}

/// A directory of `kubectl` / `kustomize` wrappers that log every run to a file and run the
/// real tool: renderer tool runs of a kubedrift child are counted from outside.
pub struct ToolShim {
    pub dir: PathBuf,
    log: PathBuf,
}

impl ToolShim {
    pub fn create(dir: &Path) -> Result<ToolShim, ProcessError> {
        let io = |e: std::io::Error| ProcessError::Other(format!("tool shim: {e}"));
        std::fs::create_dir_all(dir).map_err(io)?;
        let log = dir.join("runs.log");
        std::fs::write(&log, "").map_err(io)?;
        for tool in ["kubectl", "kustomize"] {
            let Some(real) = find_on_path(tool) else {
                continue;
            };
            let script = format!(
                "#!/bin/sh\necho \"{tool} $*\" >> '{}'\nexec '{}' \"$@\"\n",
                log.display(),
                real.display()
            );
            let path = dir.join(tool);
            std::fs::write(&path, script).map_err(io)?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt as _;
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
                    .map_err(io)?;
            }
        }
        Ok(ToolShim {
            dir: dir.to_path_buf(),
            log,
        })
    }

    /// PATH with the shim first.
    pub fn path_env(&self) -> std::ffi::OsString {
        let mut paths = vec![self.dir.clone()];
        if let Some(path) = std::env::var_os("PATH") {
            paths.extend(std::env::split_paths(&path));
        }
        std::env::join_paths(paths).unwrap_or_default()
    }

    /// Renderer runs logged so far (`kustomize build`, `kubectl kustomize`).
    pub fn runs(&self) -> usize {
        std::fs::read_to_string(&self.log)
            .map(|text| text.lines().filter(|l| l.contains("kustomize")).count())
            .unwrap_or(0)
    }
}

pub fn find_on_path(tool: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(tool))
        .find(|candidate| candidate.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rss_parts_split_anonymous_from_file_backed_pages() {
        let status = "Name:\tkubedrift\nVmRSS:\t   49152 kB\nRssAnon:\t   26624 kB\n\
                      RssFile:\t   22016 kB\nRssShmem:\t     512 kB\nThreads:\t4\n";
        assert_eq!(status_mib(status, "VmRSS:"), Some(48.0));
        assert_eq!(
            rss_parts(status),
            Some(RssParts {
                anon_mib: 26.0,
                file_mib: 22.0,
            })
        );
        // An old kernel without the split: no parts rather than zeros.
        assert_eq!(rss_parts("VmRSS:\t 100 kB\n"), None);
    }

    #[test]
    fn rss_parts_of_this_process_add_up_to_its_rss() {
        let pid = std::process::id();
        let (Some(rss), Some(parts)) = (rss_mib_of(pid), rss_parts_of(pid)) else {
            return; // not Linux
        };
        assert!(parts.anon_mib > 0.0 && parts.file_mib > 0.0, "{parts:?}");
        // Read a moment apart: allow a little drift.
        let sum = parts.anon_mib + parts.file_mib;
        assert!((sum - rss).abs() < 8.0, "{parts:?} vs {rss}");
    }
}
