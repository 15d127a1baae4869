//! The GitOps controller's own opinion of an app (Argo CD's Application status, Flux's
//! `Ready` condition), shown next to kubedrift's verdict. When the two disagree the views
//! say so: a controller reporting Synced while kubedrift sees drift is often the incident.

use super::view::SyncState;
use serde::Serialize;

/// Which controller describes the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum ControllerTool {
    #[serde(rename = "argocd")]
    ArgoCd,
    #[serde(rename = "flux")]
    Flux,
}

impl ControllerTool {
    pub fn label(self) -> &'static str {
        match self {
            ControllerTool::ArgoCd => "Argo CD",
            ControllerTool::Flux => "Flux",
        }
    }
}

/// The object the app was read from and what its status says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ControllerView {
    pub tool: ControllerTool,
    /// The kubeconfig context the object lives on (may differ from the app's cluster).
    pub context: String,
    pub api_version: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    /// Argo CD: `status.sync.status` (`Synced`, `OutOfSync`, `Unknown`); Flux: the `Ready`
    /// condition as `Ready` / `NotReady` / `Unknown`.
    pub sync: Option<String>,
    /// Argo CD: `status.health.status`; Flux: the `Ready` condition's reason.
    pub health: Option<String>,
    /// Argo CD: `status.sync.revision`; Flux: `status.lastAppliedRevision`.
    pub revision: Option<String>,
    /// The condition's or operation's message, when the controller gives one.
    pub message: Option<String>,
}

/// In sync or not, whoever says it; `None` when undecided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Opinion {
    InSync,
    Drift,
}

impl ControllerView {
    fn opinion(&self) -> Option<Opinion> {
        match (self.tool, self.sync.as_deref()) {
            (ControllerTool::ArgoCd, Some("Synced")) => Some(Opinion::InSync),
            (ControllerTool::ArgoCd, Some("OutOfSync")) => Some(Opinion::Drift),
            (ControllerTool::Flux, Some("Ready")) => Some(Opinion::InSync),
            (ControllerTool::Flux, Some("NotReady")) => Some(Opinion::Drift),
            _ => None,
        }
    }

    /// `Argo CD: Synced/Healthy`: the short cell the table and the TUI show.
    pub fn label(&self) -> String {
        let mut text = format!(
            "{}: {}",
            self.tool.label(),
            self.sync.as_deref().unwrap_or("-")
        );
        if let Some(health) = &self.health {
            text.push('/');
            text.push_str(health);
        }
        text
    }

    /// Why the controller and kubedrift disagree about the app, when one says it is in sync
    /// and the other does not; `None` when they agree or either is undecided (loading,
    /// unreachable, render error). `our_revision` is kubedrift's (`main@1a2b3c4`), quoted
    /// next to the controller's when the commits differ.
    pub fn disagreement(&self, ours: SyncState, our_revision: &str) -> Option<String> {
        let ours_opinion = match ours {
            SyncState::Synced => Opinion::InSync,
            SyncState::OutOfSync => Opinion::Drift,
            _ => return None,
        };
        let theirs = self.opinion()?;
        if theirs == ours_opinion {
            return None;
        }
        let mut text = format!(
            "{} says {}, kubedrift says {}",
            self.tool.label(),
            self.sync.as_deref().unwrap_or("-"),
            ours.label()
        );
        if let Some(theirs) = self.revision.as_deref().and_then(commit_of) {
            if let Some(our_commit) = commit_of(our_revision) {
                if !theirs.starts_with(our_commit) && !our_commit.starts_with(theirs) {
                    text.push_str(&format!(
                        " ({} at {}, Git at {})",
                        self.tool.label(),
                        short(theirs),
                        short(our_commit)
                    ));
                }
            }
        }
        Some(text)
    }
}

/// The commit id in a revision as the tools write it: `1a2b3c…` (Argo CD),
/// `main@sha1:1a2b3c…` (Flux), `main@1a2b3c4` / `origin/main@1a2b3c4` (kubedrift).
fn commit_of(revision: &str) -> Option<&str> {
    let tail = revision.rsplit('@').next().unwrap_or(revision);
    let tail = tail.rsplit(':').next().unwrap_or(tail);
    (tail.len() >= 7 && tail.chars().all(|c| c.is_ascii_hexdigit())).then_some(tail)
}

fn short(commit: &str) -> &str {
    commit.get(..7).unwrap_or(commit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argo(sync: &str, revision: Option<&str>) -> ControllerView {
        ControllerView {
            tool: ControllerTool::ArgoCd,
            context: "prod".into(),
            api_version: "argoproj.io/v1alpha1".into(),
            kind: "Application".into(),
            namespace: "argocd".into(),
            name: "web".into(),
            sync: Some(sync.into()),
            health: Some("Healthy".into()),
            revision: revision.map(str::to_string),
            message: None,
        }
    }

    #[test]
    fn synced_against_drift_is_a_disagreement_naming_both_commits() {
        let view = argo("Synced", Some("0123456789abcdef0123456789abcdef01234567"));
        assert_eq!(view.label(), "Argo CD: Synced/Healthy");
        assert_eq!(
            view.disagreement(SyncState::OutOfSync, "main@fedcba9"),
            Some("Argo CD says Synced, kubedrift says OutOfSync (Argo CD at 0123456, Git at fedcba9)".into())
        );
        // Same commit: no revision note.
        assert_eq!(
            view.disagreement(SyncState::OutOfSync, "main@0123456"),
            Some("Argo CD says Synced, kubedrift says OutOfSync".into())
        );
        assert_eq!(view.disagreement(SyncState::Synced, "main@fedcba9"), None);
        // kubedrift undecided: nothing to compare.
        assert_eq!(view.disagreement(SyncState::Loading, "main@fedcba9"), None);
        assert_eq!(view.disagreement(SyncState::Error, ""), None);
    }

    #[test]
    fn out_of_sync_against_synced_and_flux_readiness() {
        assert!(argo("OutOfSync", None)
            .disagreement(SyncState::Synced, "main@1234567")
            .is_some());
        assert_eq!(
            argo("Unknown", None).disagreement(SyncState::Synced, "main@1234567"),
            None
        );
        let flux = ControllerView {
            tool: ControllerTool::Flux,
            sync: Some("Ready".into()),
            health: Some("ReconciliationSucceeded".into()),
            revision: Some("main@sha1:1234567890abcdef1234567890abcdef12345678".into()),
            ..argo("Synced", None)
        };
        assert_eq!(
            flux.disagreement(SyncState::OutOfSync, "main@1234567"),
            Some("Flux says Ready, kubedrift says OutOfSync".into())
        );
        assert_eq!(flux.disagreement(SyncState::Synced, "main@1234567"), None);
    }

    #[test]
    fn commits_are_read_from_each_tools_revision_format() {
        assert_eq!(commit_of("main@sha1:abcdef0123"), Some("abcdef0123"));
        assert_eq!(commit_of("origin/main@abcdef0"), Some("abcdef0"));
        assert_eq!(commit_of("abcdef0123456"), Some("abcdef0123456"));
        assert_eq!(commit_of("v1.2.0"), None);
        assert_eq!(commit_of(""), None);
    }
}
