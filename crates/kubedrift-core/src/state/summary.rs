//! What an app's row says, as data: the reducer records why the app is in its sync state
//! ([`AppSummary`]); [`AppSummary::message`] is the one place that turns it into the text the
//! CLI (table and JSON) and the TUI show.

use crate::engine::attribution::Attribution;
use crate::model::ResourceKey;

/// Why an app is in its sync state, plus the render's manifest problems.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AppSummary {
    pub cause: SyncCause,
    /// Some manifest failed to parse (and the render itself did not fail, and the cluster
    /// answers): the app is an error whatever `cause` says.
    pub incomplete: bool,
    /// The render's problems (files that could not be read or parsed).
    pub problems: Vec<String>,
}

/// What decided the app's sync state, first match wins (as the reducer checks them).
#[derive(Debug, Clone, PartialEq, Default)]
pub enum SyncCause {
    RenderFailed {
        error: String,
    },
    Unreachable {
        error: String,
        last_seen: Option<jiff::Timestamp>,
    },
    /// Counts per drift verdict and the first resource with an attribution.
    Drift {
        out_of_sync: usize,
        missing: usize,
        extraneous: usize,
        first_attribution: Option<(ResourceKey, Attribution)>,
    },
    /// A resource's kind has not finished its first list: that resource's reason.
    AwaitingList {
        reason: String,
    },
    /// The first undecided resource and why (none when no resource says).
    Undecided {
        first: Option<(ResourceKey, String)>,
    },
    Connecting,
    #[default]
    Synced,
}

impl AppSummary {
    /// The row's message: the cause, then the render's problems.
    pub fn message(&self) -> String {
        let message = self.cause.message();
        if self.incomplete {
            let problems = if self.problems.is_empty() {
                "some manifests could not be read".to_string()
            } else {
                self.problems.join("; ")
            };
            return if message.is_empty() {
                format!("incomplete render: {problems}")
            } else {
                format!("incomplete render: {problems}; {message}")
            };
        }
        let render_failed = matches!(self.cause, SyncCause::RenderFailed { .. });
        if self.problems.is_empty() || render_failed {
            message
        } else if message.is_empty() {
            self.problems.join("; ")
        } else {
            format!("{message}; {}", self.problems.join("; "))
        }
    }
}

impl SyncCause {
    fn message(&self) -> String {
        match self {
            SyncCause::RenderFailed { error } => format!("render failed: {error}"),
            SyncCause::Unreachable { error, last_seen } => {
                let since = last_seen
                    .map(|t| format!("last seen {}", t.strftime("%Y-%m-%dT%H:%M:%SZ")))
                    .unwrap_or_else(|| "never reached".to_string());
                format!("cluster unreachable ({since}): {error}")
            }
            SyncCause::Drift {
                out_of_sync,
                missing,
                extraneous,
                first_attribution,
            } => {
                let counts = [
                    (*out_of_sync, "OutOfSync"),
                    (*missing, "Missing"),
                    (*extraneous, "Extraneous"),
                ];
                let parts: Vec<String> = counts
                    .iter()
                    .filter(|(n, _)| *n > 0)
                    .map(|(n, label)| format!("{n} {label}"))
                    .collect();
                let mut message = parts.join(", ");
                if let Some((key, attribution)) = first_attribution {
                    message.push_str(&format!("; {key} {}", attribution.summary()));
                }
                message
            }
            SyncCause::AwaitingList { reason } => reason.clone(),
            SyncCause::Undecided { first } => first
                .as_ref()
                .map(|(key, reason)| format!("{key}: {reason}"))
                .unwrap_or_default(),
            SyncCause::Connecting => "connecting".to_string(),
            SyncCause::Synced => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::attribution::Direction;

    fn drift(first_attribution: Option<(ResourceKey, Attribution)>) -> SyncCause {
        SyncCause::Drift {
            out_of_sync: 2,
            missing: 0,
            extraneous: 1,
            first_attribution,
        }
    }

    fn message(cause: SyncCause, incomplete: bool, problems: &[&str]) -> String {
        AppSummary {
            cause,
            incomplete,
            problems: problems.iter().map(|p| p.to_string()).collect(),
        }
        .message()
    }

    #[test]
    fn each_cause_has_its_text() {
        let key = ResourceKey::new("apps", "Deployment", Some("shop"), "web");
        let attribution = Attribution {
            fields: Vec::new(),
            direction: Direction::LiveDrift,
        };
        let seen: jiff::Timestamp = "2025-12-29T10:11:12Z".parse().expect("timestamp");
        let cases = [
            (
                SyncCause::RenderFailed {
                    error: "kustomize failed".into(),
                },
                "render failed: kustomize failed".to_string(),
            ),
            (
                SyncCause::Unreachable {
                    error: "connection refused".into(),
                    last_seen: Some(seen),
                },
                "cluster unreachable (last seen 2025-12-29T10:11:12Z): connection refused".into(),
            ),
            (
                SyncCause::Unreachable {
                    error: "connection refused".into(),
                    last_seen: None,
                },
                "cluster unreachable (never reached): connection refused".into(),
            ),
            (drift(None), "2 OutOfSync, 1 Extraneous".into()),
            (
                drift(Some((key.clone(), attribution.clone()))),
                format!(
                    "2 OutOfSync, 1 Extraneous; apps/Deployment/shop/web {}",
                    attribution.summary()
                ),
            ),
            (
                SyncCause::AwaitingList {
                    reason: "listing apps/Deployment".into(),
                },
                "listing apps/Deployment".into(),
            ),
            (
                SyncCause::Undecided {
                    first: Some((key, "forbidden".into())),
                },
                "apps/Deployment/shop/web: forbidden".into(),
            ),
            (SyncCause::Undecided { first: None }, String::new()),
            (SyncCause::Connecting, "connecting".into()),
            (SyncCause::Synced, String::new()),
        ];
        for (cause, want) in cases {
            assert_eq!(message(cause.clone(), false, &[]), want, "{cause:?}");
        }
    }

    #[test]
    fn problems_follow_the_cause_or_make_the_render_incomplete() {
        let problems = ["a.yaml:3: bad", "b.yaml:1: bad"];
        assert_eq!(
            message(SyncCause::Synced, false, &problems),
            "a.yaml:3: bad; b.yaml:1: bad"
        );
        assert_eq!(
            message(drift(None), false, &problems[..1]),
            "2 OutOfSync, 1 Extraneous; a.yaml:3: bad"
        );
        // A failed render says why; its problems are not repeated.
        let failed = SyncCause::RenderFailed {
            error: "boom".into(),
        };
        assert_eq!(message(failed, false, &problems), "render failed: boom");
        assert_eq!(
            message(SyncCause::Synced, true, &problems),
            "incomplete render: a.yaml:3: bad; b.yaml:1: bad"
        );
        assert_eq!(
            message(drift(None), true, &[]),
            "incomplete render: some manifests could not be read; 2 OutOfSync, 1 Extraneous"
        );
    }
}
