//! `kubedrift history [--app A]`: the audit log of actions (sync, prune, promotion).

use super::{Exit, GlobalArgs, OutputFormat};
use crate::actions::audit;
use std::io::Write;

/// Print the recorded actions, oldest first.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  kubedrift history\n  kubedrift history --app web --output json\n\n\
The log is $KUBEDRIFT_DATA_DIR/audit.jsonl, else the XDG data dir's kubedrift/audit.jsonl.\n\
Exit codes: 0 printed, 2 the log could not be read."
)]
pub struct HistoryArgs {
    /// Only this app.
    #[arg(long)]
    pub app: Option<String>,
    /// Output format (json: one entry per line, as stored).
    #[arg(long, short, value_enum, default_value_t)]
    pub output: OutputFormat,
}

pub fn run(_global: &GlobalArgs, args: HistoryArgs) -> color_eyre::Result<Exit> {
    let path = audit::log_path()?;
    let (entries, bad) = audit::read(&path, args.app.as_deref())?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for entry in &entries {
        match args.output {
            OutputFormat::Json => writeln!(out, "{}", serde_json::to_string(entry)?)?,
            OutputFormat::Table => writeln!(out, "{}", line(entry))?,
        }
    }
    for (number, error) in &bad {
        eprintln!(
            "warning: {}:{number}: not an audit entry: {error}",
            path.display()
        );
    }
    Ok(Exit::InSync)
}

/// `2026-12-06T03:00:00Z  sync  web@dev  dana (kube admin)  ok  create ConfigMap/shop/c: created; ...`
fn line(entry: &audit::Entry) -> String {
    let who = match &entry.kube_user {
        Some(user) => format!("{} (kube {user})", entry.os_user),
        None => entry.os_user.clone(),
    };
    let results = match &entry.result {
        serde_json::Value::Array(items) => items
            .iter()
            .map(|item| {
                format!(
                    "{} {}: {}",
                    item.get("action").and_then(|v| v.as_str()).unwrap_or("-"),
                    item.get("resource").and_then(|v| v.as_str()).unwrap_or("-"),
                    item.get("result").and_then(|v| v.as_str()).unwrap_or("-")
                )
            })
            .collect::<Vec<_>>()
            .join("; "),
        other => describe_result(other),
    };
    format!(
        "{}  {}  {}@{}  {}  {}  {}",
        entry.time.strftime("%Y-%m-%dT%H:%M:%SZ"),
        entry.action,
        entry.app,
        entry.env,
        who,
        if entry.ok { "ok" } else { "FAILED" },
        results
    )
}

/// A promotion's or reconcile request's result in words: the commit and ref written, the
/// push, or the error.
fn describe_result(result: &serde_json::Value) -> String {
    let text = |pointer: &str| result.pointer(pointer).and_then(|v| v.as_str());
    if let Some(error) = text("/error") {
        return format!("error: {error}");
    }
    let mut parts = Vec::new();
    if let (Some(commit), Some(reference)) = (text("/written/commit"), text("/written/reference")) {
        parts.push(format!(
            "committed {} on {}",
            crate::actions::promote::short(commit),
            reference.trim_start_matches("refs/heads/")
        ));
    }
    match (
        text("/push/push"),
        text("/push/remote"),
        text("/push/message"),
    ) {
        (Some("pushed"), Some(remote), _) => parts.push(format!("pushed to {remote}")),
        (Some("rejected"), Some(remote), message) => parts.push(format!(
            "push rejected by {remote}: {}",
            message.unwrap_or("")
        )),
        _ => {}
    }
    if parts.is_empty() {
        "done".into()
    } else {
        parts.join("; ")
    }
}
