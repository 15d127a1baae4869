//! The audit log: one JSON line per action (sync, prune, promotion, reconcile request), in
//! the XDG data dir (`~/.local/share/kubedrift/audit.jsonl`; `$KUBEDRIFT_DATA_DIR` overrides
//! the directory). Entries name resources, actions and results — never object contents, so
//! no Secret value can reach it.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

/// Environment variable overriding the data directory (tests, CI).
pub const DATA_DIR_ENV_VAR: &str = "KUBEDRIFT_DATA_DIR";
const FILE_NAME: &str = "audit.jsonl";

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("no data directory (set {DATA_DIR_ENV_VAR})")]
    NoDataDir,
    #[error("audit log {path}: {message}")]
    Io { path: PathBuf, message: String },
}

/// One recorded action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub time: jiff::Timestamp,
    /// The OS user who ran kubedrift.
    pub os_user: String,
    /// The kubeconfig user of the context written to (cluster actions), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kube_user: Option<String>,
    /// `sync`, `promote`, `reconcile`.
    pub action: String,
    pub app: String,
    pub env: String,
    /// What was planned (resource keys and actions, commits; never object contents).
    pub plan: Value,
    /// What happened (per resource, or the commit and push result).
    pub result: Value,
    /// True when everything planned was done.
    pub ok: bool,
}

/// Where the log lives: `$KUBEDRIFT_DATA_DIR/audit.jsonl`, else the XDG data dir's.
pub fn log_path() -> Result<PathBuf, AuditError> {
    if let Some(dir) = std::env::var_os(DATA_DIR_ENV_VAR).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir).join(FILE_NAME));
    }
    directories::ProjectDirs::from("", "", "kubedrift")
        .map(|dirs| dirs.data_dir().join(FILE_NAME))
        .ok_or(AuditError::NoDataDir)
}

/// The OS user name (`$USER`, else `$LOGNAME`, else `unknown`).
pub fn os_user() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(|| "unknown".into())
}

/// Append `entry` to the log at `path` (directories created as needed).
/// Append `entry` to the audit log ([`log_path`]); a log that cannot be written is a
/// warning on stderr, never a reason to hide what was done.
pub fn record(entry: &Entry) {
    if let Err(err) = log_path().and_then(|path| append(&path, entry)) {
        eprintln!("warning: not recorded in the audit log: {err}");
    }
}

pub fn append(path: &Path, entry: &Entry) -> Result<(), AuditError> {
    let io = |e: std::io::Error| AuditError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let mut line = serde_json::to_string(entry).map_err(|e| AuditError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    line.push('\n');
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(io)?;
    // One write call per line: concurrent kubedrift processes append whole lines.
    file.write_all(line.as_bytes()).map_err(io)
}

/// A line of the log that is not an entry: its number (from 1) and why.
pub type BadLine = (usize, String);

/// Every entry of the log (oldest first), `app` only when given. A missing log is empty; a
/// line that does not parse is reported in the second list, not fatal.
pub fn read(path: &Path, app: Option<&str>) -> Result<(Vec<Entry>, Vec<BadLine>), AuditError> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), Vec::new())),
        Err(e) => {
            return Err(AuditError::Io {
                path: path.to_path_buf(),
                message: e.to_string(),
            })
        }
    };
    let mut entries = Vec::new();
    let mut bad = Vec::new();
    for (number, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| AuditError::Io {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Entry>(&line) {
            Ok(entry) if app.is_none_or(|a| a == entry.app) => entries.push(entry),
            Ok(_) => {}
            Err(err) => bad.push((number + 1, err.to_string())),
        }
    }
    Ok((entries, bad))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_filter_by_app_and_bad_lines_are_reported() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("nested").join(FILE_NAME);
        let entry = |app: &str| Entry {
            time: jiff::Timestamp::UNIX_EPOCH,
            os_user: "dana".into(),
            kube_user: Some("admin".into()),
            action: "sync".into(),
            app: app.into(),
            env: "dev".into(),
            plan: serde_json::json!([]),
            result: serde_json::json!([]),
            ok: true,
        };
        append(&path, &entry("web")).expect("append");
        append(&path, &entry("api")).expect("append");
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(b"{not json\n"))
            .expect("garbage");
        let (all, bad) = read(&path, None).expect("read");
        assert_eq!(all.len(), 2);
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].0, 3);
        let (web, _) = read(&path, Some("web")).expect("read");
        assert_eq!(web, vec![entry("web")]);
        let (none, _) = read(&dir.path().join("missing.jsonl"), None).expect("missing");
        assert!(none.is_empty());
    }
}
