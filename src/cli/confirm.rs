//! Confirmation of a write in the headless commands: `--yes`, else a question on the
//! terminal, else nothing is done (scripts must say `--yes`).

use std::io::{BufRead, IsTerminal, Write};

/// What the user answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Confirmed,
    /// Declined, or no terminal to ask on; the message says which.
    Declined(String),
}

/// Ask before writing to `env`. `--yes` confirms, except for a protected environment, which
/// also needs `--confirm-env <name>` headless (or the name typed on the terminal).
pub fn confirm(
    question: &str,
    env: &str,
    protected: bool,
    yes: bool,
    confirm_env: Option<&str>,
) -> Answer {
    if yes {
        if !protected || confirm_env == Some(env) {
            return Answer::Confirmed;
        }
        if !std::io::stdin().is_terminal() {
            return Answer::Declined(format!(
                "nothing done: {env} is protected (use --yes --confirm-env {env})"
            ));
        }
    } else if !std::io::stdin().is_terminal() {
        return Answer::Declined("nothing done (use --yes)".into());
    }
    let prompt = if protected {
        format!("{question}\n{env} is protected: type its name to confirm: ")
    } else {
        format!("{question} [y/N] ")
    };
    eprint!("{prompt}");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    if std::io::stdin().lock().read_line(&mut line).is_err() {
        return Answer::Declined("nothing done (no answer)".into());
    }
    let answer = line.trim();
    let ok = if protected {
        answer == env
    } else {
        matches!(answer, "y" | "Y" | "yes" | "YES" | "Yes")
    };
    if ok {
        Answer::Confirmed
    } else {
        Answer::Declined("nothing done (not confirmed)".into())
    }
}
