//! Finding and running external tools (kustomize, kubectl, helm) with a time limit.

use super::RenderError;
use std::ffi::{OsStr, OsString};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// Where to look for tools and how long to let them run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tools {
    /// Directories to search, in `PATH` syntax. `None` uses the process's `PATH`.
    pub search_path: Option<OsString>,
    /// A tool still running after this long is killed (default 60 s, like Flux).
    pub timeout: Duration,
    /// Where charts from chart repositories are cached. `None`: `$KUBEDRIFT_CHART_CACHE`,
    /// else the user's cache directory.
    pub chart_cache: Option<PathBuf>,
    /// Where successful tool runs are remembered across starts (None: not at all).
    pub disk_cache: Option<std::sync::Arc<super::DiskCache>>,
}

impl Default for Tools {
    fn default() -> Self {
        Tools {
            search_path: None,
            timeout: Duration::from_secs(60),
            chart_cache: None,
            disk_cache: None,
        }
    }
}

impl Tools {
    /// The full path of executable `name`, if it is installed.
    pub fn find(&self, name: &str) -> Option<PathBuf> {
        let path = match &self.search_path {
            Some(path) => path.clone(),
            None => std::env::var_os("PATH")?,
        };
        std::env::split_paths(&path)
            .filter(|dir| !dir.as_os_str().is_empty())
            .map(|dir| dir.join(name))
            .find(|candidate| is_executable(candidate))
    }
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file() || path.with_extension("exe").is_file()
}

/// What a finished tool produced.
#[derive(Debug)]
pub(crate) struct ToolOutput {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// Why a tool did not produce output.
#[derive(Debug)]
pub(crate) enum RunError {
    Spawn(std::io::Error),
    TimedOut,
}

/// Run `program args` with no stdin, capturing stdout and stderr; kill it after `timeout`.
pub(crate) fn run(
    program: &Path,
    args: &[OsString],
    timeout: Duration,
) -> Result<ToolOutput, RunError> {
    // Its own process group, registered: a process exiting without teardown ends it (and
    // what it started) first, see `leftovers`.
    let mut child = super::leftovers::spawn(
        Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    )
    .map_err(RunError::Spawn)?;
    let end = super::leftovers::end;
    // Read both pipes concurrently so a tool filling one of them never blocks.
    let stdout = child.stdout.take().map(read_in_background);
    let stderr = child.stderr.take().map(read_in_background);
    let started = Instant::now();
    let status = loop {
        match super::leftovers::try_reap(&mut child) {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() >= timeout => {
                end(&mut child);
                return Err(RunError::TimedOut);
            }
            Ok(None) => thread::sleep(Duration::from_millis(20)),
            Err(err) => {
                end(&mut child);
                return Err(RunError::Spawn(err));
            }
        }
    };
    let collect = |handle: Option<thread::JoinHandle<Vec<u8>>>| {
        handle
            .and_then(|handle| handle.join().ok())
            .unwrap_or_default()
    };
    Ok(ToolOutput {
        status,
        stdout: collect(stdout),
        stderr: collect(stderr),
    })
}

fn read_in_background<R: Read + Send + 'static>(mut pipe: R) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut buffer = Vec::new();
        let _ = pipe.read_to_end(&mut buffer);
        buffer
    })
}

/// Run a renderer tool in `workdir` and turn the outcome into the renderer's result: stdout,
/// plus stderr lines as warnings (`<label>: ...`) when it succeeded; a timeout or a failure
/// as the app's [`RenderError`]. stderr is cleaned and, when `secret_inputs` says the inputs
/// may hold Secret values, redacted, before it goes anywhere.
pub(crate) fn run_renderer(
    program: &Path,
    args: &[OsString],
    timeout: Duration,
    app: &str,
    label: &str,
    workdir: &Path,
    secret_inputs: &dyn Fn() -> bool,
) -> Result<(Vec<u8>, Vec<String>), RenderError> {
    let output = run(program, args, timeout).map_err(|err| match err {
        RunError::TimedOut => RenderError::Timeout {
            app: app.to_string(),
            tool: label.to_string(),
            seconds: timeout.as_secs(),
        },
        RunError::Spawn(err) => RenderError::ToolFailed {
            app: app.to_string(),
            tool: label.to_string(),
            status: "could not start".to_string(),
            stderr: err.to_string(),
        },
    })?;
    let stderr = clean_stderr(&output.stderr, workdir);
    let secret_inputs = !stderr.is_empty() && secret_inputs();
    let stderr = redact_stderr(&stderr, workdir, secret_inputs);
    if !output.status.success() {
        return Err(RenderError::ToolFailed {
            app: app.to_string(),
            tool: label.to_string(),
            status: output.status.to_string(),
            stderr,
        });
    }
    let warnings = stderr
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| format!("{label}: {line}"))
        .collect();
    Ok((output.stdout, warnings))
}

/// Make a tool's stderr readable: temp-dir paths become repo paths, and klog's
/// `E1122 ... run.go:72] "command failed" err="..."` wrapper is reduced to the message.
pub(crate) fn clean_stderr(stderr: &[u8], workdir: &Path) -> String {
    let text = String::from_utf8_lossy(stderr);
    let mut prefix = workdir.as_os_str().to_os_string();
    prefix.push("/");
    let text = text
        .replace(prefix.to_string_lossy().as_ref(), "")
        .replace(OsStr::new(workdir).to_string_lossy().as_ref(), ".");
    let lines: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(|line| match line.find("err=\"") {
            Some(start) => {
                let inner = &line[start + 5..];
                let inner = inner.strip_suffix('"').unwrap_or(inner);
                inner.replace("\\\"", "\"").replace("\\n", "\n")
            }
            None => line.to_string(),
        })
        .collect();
    lines.join("\n")
}

/// What a value that may be Secret data is replaced with in tool messages.
const REDACTED: &str = "<redacted>";

/// Mask what may be Secret data in a tool's cleaned stderr, before it leaves the renderer
/// (it ends up in `status -o json`, `render` stderr, the UI and logs). Shared by every tool.
///
/// - Always: kustomize's `literal sources [...]: invalid literal source X, expected key=value`
///   quotes every literal of a generator, valid ones too, and cannot say whether it was a
///   secretGenerator; all are masked, keeping only the key of the bad literal as a hint.
/// - When `secret_inputs` (the render's inputs hold Secrets or a secretGenerator, or may
///   hold them, like Helm values): every quoted run ('…', "…", `…`) is masked unless it
///   names a file: a path that exists in `workdir`, or one ending in a manifest extension.
pub(crate) fn redact_stderr(text: &str, workdir: &Path, secret_inputs: bool) -> String {
    text.lines()
        .map(redact_literal_sources)
        .map(|line| {
            if secret_inputs {
                redact_quoted(&line, workdir)
            } else {
                line
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// True if any file under `dir` (the materialized render inputs) declares a Secret or a
/// secretGenerator. Unreadable files count as holding one: masking is the safe side.
pub(crate) fn inputs_mention_secrets(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return true;
    };
    entries.flatten().any(|entry| {
        let path = entry.path();
        match entry.file_type() {
            Ok(kind) if kind.is_dir() => inputs_mention_secrets(&path),
            Ok(kind) if kind.is_file() => match std::fs::read(&path) {
                Ok(bytes) => {
                    let text = String::from_utf8_lossy(&bytes);
                    text.contains("secretGenerator")
                        || text.lines().any(|line| {
                            let line = line.trim().trim_start_matches("- ");
                            line.strip_prefix("kind:").is_some_and(|kind| {
                                kind.trim().trim_matches(['"', '\'']) == "Secret"
                            })
                        })
                }
                Err(_) => true,
            },
            _ => false,
        }
    })
}

/// `... literal sources [a=1 password:s3cr3t]: invalid literal source password:s3cr3t,
/// expected key=value` → `... literal sources [<redacted>]: invalid literal source
/// password:<redacted>, expected key=value`. Everything after `literal source` is rebuilt
/// from known text, so no part of any literal survives.
fn redact_literal_sources(line: &str) -> String {
    const SOURCES: &str = "literal sources [";
    const INVALID: &str = "invalid literal source ";
    const EXPECTED: &str = ", expected key=value";
    let Some(start) = line.find("literal source") else {
        return line.to_string();
    };
    let mut out = line[..start].to_string();
    let rest = &line[start..];
    if rest.starts_with(SOURCES) {
        out.push_str("literal sources [");
        out.push_str(REDACTED);
        out.push_str("]: ");
    }
    match (rest.rfind(INVALID), rest.rfind(EXPECTED)) {
        (Some(invalid), Some(expected)) if invalid + INVALID.len() <= expected => {
            out.push_str(INVALID);
            out.push_str(&key_hint(&rest[invalid + INVALID.len()..expected]));
            out.push_str(&rest[expected..]);
        }
        _ if rest.starts_with(SOURCES) => out.push_str(REDACTED),
        _ => {
            out.push_str("literal source ");
            out.push_str(REDACTED);
        }
    }
    out
}

/// The key of a malformed `key<sep>value` literal followed by the mask; only the mask when no
/// key can be told apart from the value.
fn key_hint(literal: &str) -> String {
    let key_len = literal
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
        .unwrap_or(literal.len());
    match literal[key_len..].chars().next() {
        Some(separator @ (':' | ' ' | '\t')) if key_len > 0 => {
            format!("{}{separator}{REDACTED}", &literal[..key_len])
        }
        _ => REDACTED.to_string(),
    }
}

/// Mask the innermost quoted runs that are not file names. Kustomize nests quotes
/// (`err='accumulating resources from '../base': ...'`): only runs without a quoted run
/// inside are values, the outer ones are the tool's prose and stay readable. A quote opens a
/// run at the start of a word and closes one at the end of a word, so the apostrophe in
/// "can't" does neither.
fn redact_quoted(line: &str, workdir: &Path) -> String {
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    // Open runs: (quote, byte offset of the quote, has a quoted run inside).
    let mut open: Vec<(char, usize, bool)> = Vec::new();
    // Byte ranges of run contents to mask; leaves never overlap.
    let mut masked: Vec<(usize, usize)> = Vec::new();
    for (i, &(at, c)) in chars.iter().enumerate() {
        if !matches!(c, '\'' | '"' | '`') {
            continue;
        }
        let before = i.checked_sub(1).and_then(|j| chars.get(j)).map(|&(_, c)| c);
        let after = chars.get(i + 1).map(|&(_, c)| c);
        let can_close =
            before.is_some_and(|b| !b.is_whitespace()) && !after.is_some_and(char::is_alphanumeric);
        let can_open =
            !before.is_some_and(char::is_alphanumeric) && after.is_some_and(|a| !a.is_whitespace());
        if can_close {
            if let Some(pos) = open.iter().rposition(|&(quote, _, _)| quote == c) {
                let (_, opened_at, has_inner) = open[pos];
                open.truncate(pos);
                if let Some(parent) = open.last_mut() {
                    parent.2 = true;
                }
                let inner = (opened_at + c.len_utf8(), at);
                if !has_inner && !names_a_file(&line[inner.0..inner.1], workdir) {
                    masked.push(inner);
                }
                continue;
            }
        }
        if can_open {
            open.push((c, at, false));
        }
    }
    masked.sort_unstable();
    let mut out = String::with_capacity(line.len());
    let mut copied = 0;
    for (from, to) in masked {
        out.push_str(&line[copied..from]);
        out.push_str(REDACTED);
        copied = to;
    }
    out.push_str(&line[copied..]);
    out
}

/// Kustomization field names and commands kustomize quotes in its deprecation warnings.
const KUSTOMIZE_WORDS: [&str; 14] = [
    "bases",
    "commonLabels",
    "imageTags",
    "images",
    "labels",
    "patches",
    "patchesJson6902",
    "patchesStrategicMerge",
    "replacements",
    "resources",
    "vars",
    "kustomize edit fix",
    "kustomize edit fix --vars",
    "kustomization.yaml",
];

/// Quoted text kept by [`redact_quoted`]: a file name or a kustomize field name.
fn names_a_file(text: &str, workdir: &Path) -> bool {
    const EXTENSIONS: [&str; 5] = [".yaml", ".yml", ".json", ".tpl", ".txt"];
    if text.is_empty() || KUSTOMIZE_WORDS.contains(&text) {
        return true;
    }
    if text.chars().any(char::is_whitespace) {
        return false;
    }
    EXTENSIONS.iter().any(|ext| text.ends_with(ext))
        || text.starts_with("./")
        || text.starts_with("../")
        || (!text.starts_with('/') && !text.contains("..") && workdir.join(text).exists())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kustomize_literal_sources_are_masked_keeping_the_bad_key() {
        let line = "loading KV pairs: literal sources [password:s3cr3t-hunter2-value user=admin-7f3k]: invalid literal source password:s3cr3t-hunter2-value, expected key=value";
        let redacted = redact_stderr(line, Path::new("/nonexistent"), false);
        assert_eq!(
            redacted,
            "loading KV pairs: literal sources [<redacted>]: invalid literal source password:<redacted>, expected key=value"
        );
        let no_key =
            "literal sources [s3cr3tvalue]: invalid literal source s3cr3tvalue, expected key=value";
        let redacted = redact_stderr(no_key, Path::new("/nonexistent"), false);
        assert!(!redacted.contains("s3cr3tvalue"), "{redacted}");
        let odd = "literal sources [a]: b]: invalid literal source x y, expected key=value, expected key=value";
        let redacted = redact_stderr(odd, Path::new("/nonexistent"), false);
        assert_eq!(
            redacted,
            "literal sources [<redacted>]: invalid literal source x <redacted>, expected key=value"
        );
    }

    #[test]
    fn quoted_values_are_masked_when_inputs_hold_secrets_but_file_names_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("apps/base")).unwrap();
        let line = "accumulating resources from 'apps/base': failed to decode \"s3cr3t value\" in secret.yaml: can't use `hunter2` here, see 'values.yaml'";
        let redacted = redact_stderr(line, dir.path(), true);
        assert_eq!(
            redacted,
            "accumulating resources from 'apps/base': failed to decode \"<redacted>\" in secret.yaml: can't use `<redacted>` here, see 'values.yaml'"
        );
        assert_eq!(redact_stderr(line, dir.path(), false), line);
        let nested = "accumulating resources: accumulation err='accumulating resources from '../base': unknown field 'hunter2'': must build at directory";
        assert_eq!(
            redact_stderr(nested, dir.path(), true),
            "accumulating resources: accumulation err='accumulating resources from '../base': unknown field '<redacted>'': must build at directory"
        );
        let warning = "# Warning: 'patchesStrategicMerge' is deprecated. Please use 'patches' instead. Run 'kustomize edit fix' to update your Kustomization automatically.";
        assert_eq!(redact_stderr(warning, dir.path(), true), warning);
    }

    #[test]
    fn inputs_with_secrets_are_detected() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("apps/web")).unwrap();
        let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
        write("apps/web/kustomization.yaml", "resources: [deploy.yaml]\n");
        write(
            "apps/web/deploy.yaml",
            "apiVersion: apps/v1\nkind: Deployment\n",
        );
        assert!(!inputs_mention_secrets(dir.path()));
        write("apps/web/db.yaml", "apiVersion: v1\nkind: \"Secret\"\n");
        assert!(inputs_mention_secrets(dir.path()));
        std::fs::remove_file(dir.path().join("apps/web/db.yaml")).unwrap();
        write(
            "apps/web/kustomization.yaml",
            "secretGenerator:\n- name: db\n  envs: [db.env]\n",
        );
        assert!(inputs_mention_secrets(dir.path()));
    }

    #[test]
    fn klog_wrapper_and_temp_paths_are_cleaned() {
        let stderr = b"E1122 22:45:56.308215   14209 run.go:72] \"command failed\" err=\"accumulating resources: accumulation err='accumulating resources from '../base': '/tmp/.tmpAbC/apps/base' must resolve to a file'\"\n";
        let cleaned = clean_stderr(stderr, Path::new("/tmp/.tmpAbC"));
        assert_eq!(
            cleaned,
            "accumulating resources: accumulation err='accumulating resources from '../base': 'apps/base' must resolve to a file'"
        );
    }

    #[test]
    fn find_uses_the_given_search_path_only() {
        let tools = Tools {
            search_path: Some(OsString::new()),
            ..Tools::default()
        };
        assert_eq!(tools.find("sh"), None);
        let tools = Tools {
            search_path: Some(OsString::from("/bin:/usr/bin")),
            ..Tools::default()
        };
        assert!(tools.find("sh").is_some());
    }
}
