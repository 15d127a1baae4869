//! What a render has running or on disk while it is under way: tool processes and temp dirs.
//! Both are registered here, so that a process that exits without tearing its threads down
//! (`status` without `--watch` skips a teardown of seconds at 50k objects) ends them first:
//! [`end_all`]. Each tool runs as the leader of its own process group, so what it starts
//! itself (a shell shim's commands, helm's plugins) is ended with it. In its own group a tool
//! does not get the terminal's Ctrl-C: one-shot commands end on Ctrl-C, SIGTERM and SIGHUP
//! through [`end_on_signals`], which ends the tools first. (Asking
//! the kernel to kill it with us, `PR_SET_PDEATHSIG`, needs a `fork` per tool instead of
//! `posix_spawn`: about 1 s more CPU on a 50k first start with 100 Kustomize renders.)

use std::collections::BTreeSet;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::{Mutex, MutexGuard};

struct Registry {
    /// Set by [`end_all`]: nothing new is started after it.
    ending: bool,
    /// Process group ids (= the tool's pid) of tools not reaped yet.
    groups: BTreeSet<u32>,
    dirs: BTreeSet<PathBuf>,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    ending: false,
    groups: BTreeSet::new(),
    dirs: BTreeSet::new(),
});

fn registry() -> MutexGuard<'static, Registry> {
    // A panic elsewhere while holding the lock leaves the sets usable.
    REGISTRY
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn exiting() -> io::Error {
    io::Error::new(io::ErrorKind::Interrupted, "kubedrift is exiting")
}

/// Start `command` as the leader of a new process group, registered until [`reaped`].
/// Spawned under the lock, so [`end_all`] never runs between the spawn and the registration.
pub(crate) fn spawn(command: &mut Command) -> io::Result<Child> {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt as _;
        command.process_group(0);
    }
    let mut registry = registry();
    if registry.ending {
        return Err(exiting());
    }
    let child = command.spawn()?;
    registry.groups.insert(child.id());
    Ok(child)
}

/// Whether `child` (started by [`spawn`]) exited; once it has, it is reaped and no longer
/// signalled. Under the registry's lock, so [`end_all`] never signals a group whose id was
/// freed by the reaping (and may be reused).
pub(crate) fn try_reap(child: &mut Child) -> io::Result<Option<std::process::ExitStatus>> {
    let mut registry = registry();
    let status = child.try_wait()?;
    if status.is_some() {
        registry.groups.remove(&child.id());
    }
    Ok(status)
}

/// Kill a tool started by [`spawn`] and its process group, and reap it (under the lock, as
/// in [`try_reap`]).
pub(crate) fn end(child: &mut Child) {
    let mut registry = registry();
    let pid = child.id();
    if registry.groups.remove(&pid) {
        signal_group(pid);
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn signal_group(pid: u32) {
    #[cfg(unix)]
    if let Ok(group) = libc::pid_t::try_from(pid) {
        // SAFETY: kill(2) with a negative id signals the process group `group`, which is
        // one of our unreaped children's (its pid is not reused until we wait for it).
        unsafe {
            libc::kill(-group, libc::SIGKILL);
        }
    }
}

/// A render's temp dir: removed when dropped, and by [`end_all`] if still there at exit.
#[derive(Debug)]
pub(crate) struct RenderDir {
    dir: tempfile::TempDir,
}

impl RenderDir {
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for RenderDir {
    fn drop(&mut self) {
        registry().dirs.remove(self.dir.path());
        // The TempDir removes the directory itself.
    }
}

/// A new private temp dir named `<prefix>XXXX`, registered until dropped.
pub(crate) fn temp_dir(prefix: &str) -> io::Result<RenderDir> {
    let mut registry = registry();
    if registry.ending {
        return Err(exiting());
    }
    let dir = tempfile::Builder::new().prefix(prefix).tempdir()?;
    registry.dirs.insert(dir.path().to_path_buf());
    Ok(RenderDir { dir })
}

/// End every running tool (its whole process group) and remove every render temp dir;
/// nothing new is started afterwards. Called once the process is about to exit.
pub fn end_all() {
    let mut registry = registry();
    registry.ending = true;
    for pid in std::mem::take(&mut registry.groups) {
        signal_group(pid);
    }
    for dir in std::mem::take(&mut registry.dirs) {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// Until [`QuickSignals`] is dropped, Ctrl-C (SIGINT), SIGTERM and SIGHUP end the process as
/// [`end_on_signals`] would (the same stderr line, exit code 2) straight from the signal
/// handler, without a thread: for a command that started no render tool yet and may be done
/// in a millisecond (a `diff` a watching kubedrift answers), where a signal thread's start
/// and its end at exit (it must be scheduled to die before the parent sees the exit) are a
/// measurable part of the run on a loaded machine. A signal the process was started with
/// ignored (`nohup` ignores SIGHUP) stays ignored. Dropping it restores the actions found at
/// install; call [`end_on_signals`] after it before starting tools.
#[cfg(unix)]
pub struct QuickSignals {
    /// The signals it took over, with the action each had before.
    replaced: Vec<(libc::c_int, libc::sigaction)>,
}

#[cfg(unix)]
impl QuickSignals {
    pub fn install() -> QuickSignals {
        let mut replaced = Vec::new();
        for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            let Some(previous) = current_action(signal) else {
                continue;
            };
            if previous.sa_sigaction == libc::SIG_IGN {
                continue;
            }
            // SAFETY: a zeroed sigaction is valid (empty mask, no flags); `quick_exit` only
            // makes async-signal-safe calls.
            let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
            action.sa_sigaction = quick_exit as extern "C" fn(libc::c_int) as libc::sighandler_t;
            set_action(signal, &action);
            replaced.push((signal, previous));
        }
        QuickSignals { replaced }
    }
}

#[cfg(unix)]
impl Drop for QuickSignals {
    fn drop(&mut self) {
        for (signal, previous) in &self.replaced {
            set_action(*signal, previous);
        }
    }
}

/// The action `signal` has now, or `None` if it cannot be read.
#[cfg(unix)]
fn current_action(signal: libc::c_int) -> Option<libc::sigaction> {
    // SAFETY: a null new action only reads the current one into `action`, a valid sigaction.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        (libc::sigaction(signal, std::ptr::null(), &mut action) == 0).then_some(action)
    }
}

#[cfg(unix)]
fn set_action(signal: libc::c_int, action: &libc::sigaction) {
    // SAFETY: `action` is a valid sigaction (read from the kernel, or zeroed with a handler
    // that only makes async-signal-safe calls).
    unsafe {
        libc::sigaction(signal, action, std::ptr::null_mut());
    }
}

/// The line a one-shot command prints when `signal` (SIGINT, SIGTERM or SIGHUP) ends it:
/// static, so the signal handler may write it.
#[cfg(unix)]
fn ended_by(signal: libc::c_int) -> &'static str {
    match signal {
        libc::SIGINT => "kubedrift: interrupted\n",
        libc::SIGTERM => "kubedrift: terminated\n",
        _ => "kubedrift: hung up\n",
    }
}

#[cfg(unix)]
extern "C" fn quick_exit(signal: libc::c_int) {
    let line = ended_by(signal);
    // SAFETY: write(2) and _exit(2) are async-signal-safe; the buffer is static.
    unsafe {
        libc::write(2, line.as_ptr().cast(), line.len());
        libc::_exit(2);
    }
}

/// From now on Ctrl-C (SIGINT), SIGTERM and SIGHUP end the process with exit code 2 after
/// [`end_all`]: the render tools, in process groups of their own, never get the terminal's
/// signal, so without this they would outlive an interrupted command. For one-shot commands
/// only: the TUI, `status --watch`, `sandbox`, `demo` and `bench` handle signals themselves.
#[cfg(unix)]
pub fn end_on_signals() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
        // Without the handler a signal kills the process as before; only its tools may
        // finish their render on their own.
        return;
    };
    let spawned = std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                end_all();
                eprint!("{}", ended_by(signal));
                std::process::exit(2);
            }
        });
    if let Err(err) = spawned {
        tracing::debug!(%err, "no signal thread; render tools may outlive a Ctrl-C");
    }
}
