//! `kubedrift promote APP --from dev --to stage`: move an app to the next environment in Git
//! (branch, folder or image model), on git objects and refs only. Thin over
//! `actions::promote`.

use super::confirm::{confirm, Answer};
use super::{Exit, GlobalArgs, OutputFormat};
use crate::actions::audit;
use crate::actions::capability::{git_access, Session};
use crate::actions::promote::{self, commit, Request};
use crate::config::Config;
use color_eyre::eyre::eyre;
use serde_json::json;
use std::io::Write;

/// Promote an app from one environment to another in Git.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  kubedrift promote web --from dev --to staging\n  \
kubedrift promote web --from dev --to staging --yes --push\n  \
kubedrift promote web --from staging --to prod --branch --push --yes\n\n\
The model (branch, folder, image, value) comes from the app's [app.promotion] table. Shows the git \
diff first; writes commits and refs only (never the work tree or index). A ref that moved \
meanwhile is never overwritten.\n\n\
Exit codes: 0 done (or nothing to promote), 1 nothing done (not confirmed, read-only), 2 errors \
(diverged branches, merge conflict, rejected push — the local commit is kept)."
)]
pub struct PromoteArgs {
    /// App name.
    pub app: String,
    /// Source environment.
    #[arg(long)]
    pub from: String,
    /// Target environment.
    #[arg(long)]
    pub to: String,
    /// Commit on a new branch `promote/<app>/<to>/<short-sha>` (for a pull request).
    #[arg(long)]
    pub branch: bool,
    /// Branch model: merge when the target cannot be fast-forwarded.
    #[arg(long)]
    pub merge: bool,
    /// Push the result to the repo's remote.
    #[arg(long)]
    pub push: bool,
    /// Do it without asking.
    #[arg(long, short)]
    pub yes: bool,
    /// With --yes onto a protected environment's ref: its name, as the typed confirmation.
    #[arg(long, value_name = "ENV")]
    pub confirm_env: Option<String>,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t)]
    pub output: OutputFormat,
}

pub fn run(global: &GlobalArgs, args: PromoteArgs) -> color_eyre::Result<Exit> {
    let config = Config::load(global.config.as_deref())?.config;
    let target_env = config.environment(&args.to)?.clone();
    config.environment(&args.from)?;
    let request = Request {
        app: args.app.clone(),
        from: args.from.clone(),
        to: args.to.clone(),
        merge: args.merge,
        new_branch: args.branch,
    };
    let proposal = promote::prepare_request(&config, &request).map_err(|e| eyre!("{e}"))?;
    let repo_url = config
        .repos
        .iter()
        .find(|r| r.path == proposal.repo())
        .and_then(|r| r.url.clone());
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let report = |out: &mut std::io::StdoutLock<'_>,
                  note: &str,
                  written: Option<&commit::Written>,
                  pushed: Option<&commit::PushResult>,
                  exit: Exit|
     -> color_eyre::Result<Exit> {
        match args.output {
            OutputFormat::Table => {
                if !note.is_empty() {
                    writeln!(out, "{note}")?;
                }
            }
            OutputFormat::Json => {
                let doc = json!({"proposal": &proposal, "written": written, "push": pushed,
                                 "note": note, "exitCode": exit.code()});
                serde_json::to_writer_pretty(&mut *out, &doc)?;
                writeln!(out)?;
            }
        }
        Ok(exit)
    };
    if args.output == OutputFormat::Table {
        writeln!(
            out,
            "Promote {} from {} ({}@{}) to {} ({}) — model {}, onto {}",
            args.app,
            args.from,
            proposal.source_ref(),
            promote::short(proposal.source_commit()),
            args.to,
            proposal.target_ref().trim_start_matches("refs/heads/"),
            promote::model_name(proposal.model()),
            proposal.write_ref().trim_start_matches("refs/heads/"),
        )?;
        write!(out, "{}", proposal.diff())?;
    }
    if proposal.is_noop() {
        return report(
            &mut out,
            "Nothing to promote: the target already has it.",
            None,
            None,
            Exit::InSync,
        );
    }
    let session = Session::new(global.read_only);
    let capability = match git_access(&session, &config, &proposal) {
        Ok(capability) => capability,
        Err(read_only) => {
            return report(
                &mut out,
                &format!("nothing done: {read_only}"),
                None,
                None,
                Exit::Drift,
            )
        }
    };
    drop(out);
    if let Answer::Declined(why) = confirm(
        &format!(
            "Commit this promotion onto {}?",
            proposal.write_ref().trim_start_matches("refs/heads/")
        ),
        &args.to,
        target_env.protected && proposal.onto_env_ref(),
        args.yes,
        args.confirm_env.as_deref(),
    ) {
        return report(&mut stdout.lock(), &why, None, None, Exit::Drift);
    }
    let mut out = stdout.lock();
    let written = commit::execute(&proposal, &capability);
    let record = |result: serde_json::Value, ok: bool| {
        audit::record(&audit::Entry {
            time: jiff::Timestamp::now(),
            os_user: audit::os_user(),
            kube_user: None,
            action: "promote".into(),
            app: args.app.clone(),
            env: args.to.clone(),
            plan: json!({
                "from": args.from, "to": args.to, "model": promote::model_name(proposal.model()),
                "sourceCommit": proposal.source_commit().to_string(),
                "targetRef": proposal.target_ref(), "writeRef": proposal.write_ref(),
            }),
            result,
            ok,
        })
    };
    let written = match written {
        Ok(written) => written,
        Err(err) => {
            record(json!({"error": err.to_string()}), false);
            return Err(eyre!("{err}"));
        }
    };
    let mut note = format!(
        "Committed {} on {}{}",
        promote::short(&written.commit),
        written.reference.trim_start_matches("refs/heads/"),
        written
            .previous
            .as_deref()
            .map(|p| format!(" (was {})", promote::short(p)))
            .unwrap_or_else(|| " (new branch)".into()),
    );
    if let Some(base) = &written.rebuilt_on {
        note.push_str(&format!(
            "\nThe target moved while promoting; rebuilt on its new tip {}.",
            promote::short(base)
        ));
    }
    let mut exit = Exit::InSync;
    let mut pushed = None;
    if args.push {
        match commit::push(&capability, &written.reference, repo_url.as_deref()) {
            Ok(result @ commit::PushResult::Pushed { .. }) => {
                if let commit::PushResult::Pushed { remote } = &result {
                    note.push_str(&format!("\nPushed to {remote}."));
                }
                pushed = Some(result);
            }
            Ok(result @ commit::PushResult::Rejected { .. }) => {
                if let commit::PushResult::Rejected { remote, message } = &result {
                    note.push_str(&format!(
                        "\nPush rejected by {remote}: {message}. The local commit {} on {} is kept.",
                        promote::short(&written.commit),
                        written.reference.trim_start_matches("refs/heads/")
                    ));
                }
                exit = Exit::Error;
                pushed = Some(result);
            }
            Err(err) => {
                note.push_str(&format!(
                    "\nNot pushed: {}. The local commit {} is kept.",
                    commit::redact_urls(&err.to_string()),
                    promote::short(&written.commit)
                ));
                exit = Exit::Error;
            }
        }
    }
    record(
        json!({"written": &written, "push": &pushed}),
        exit == Exit::InSync,
    );
    report(&mut out, &note, Some(&written), pushed.as_ref(), exit)
}
