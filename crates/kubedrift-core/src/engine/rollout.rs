//! Argo Rollouts progress in words: where a live `Rollout` is in its update (canary step and
//! weight, blue/green active vs preview revision), why it is paused, what its analysis says,
//! and which workload its template comes from (`spec.workloadRef`).
//!
//! Read from the Rollout's own spec and status, as `kubectl argo rollouts get rollout` shows
//! it; no controller logic is re-run. Missing fields read as absent, never as a panic.

use crate::engine::ignore::IgnoreRule;
use crate::model::{group_of, ResourceKey};
use serde::Serialize;
use serde_json::Value;
use std::borrow::Borrow;

/// The API group of Argo Rollouts.
pub const GROUP: &str = "argoproj.io";

/// True for `argoproj.io/*` `Rollout` objects.
pub fn is_rollout(obj: &Value) -> bool {
    let api_version = obj.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    group_of(api_version) == GROUP && obj.get("kind").and_then(Value::as_str) == Some("Rollout")
}

/// The workload a Rollout takes its pod template from (`spec.workloadRef`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkloadRef {
    pub group: String,
    pub kind: String,
    pub name: String,
}

/// `spec.workloadRef` of a Rollout; None for other objects or a Rollout with its own template.
pub fn workload_ref(obj: &Value) -> Option<WorkloadRef> {
    if !is_rollout(obj) {
        return None;
    }
    let reference = obj.get("spec")?.get("workloadRef")?;
    let text = |key: &str| reference.get(key).and_then(Value::as_str).unwrap_or("");
    let (kind, name) = (text("kind"), text("name"));
    if kind.is_empty() || name.is_empty() {
        return None;
    }
    Some(WorkloadRef {
        group: group_of(text("apiVersion")).to_string(),
        kind: kind.to_string(),
        name: name.to_string(),
    })
}

/// The identity of the workload the Rollout at `rollout` takes its template from (in the
/// Rollout's namespace).
pub fn referenced_key(rollout: &ResourceKey, obj: &Value) -> Option<ResourceKey> {
    let reference = workload_ref(obj)?;
    Some(ResourceKey {
        group: reference.group.into(),
        kind: reference.kind.into(),
        namespace: rollout.namespace.clone(),
        name: reference.name.into(),
    })
}

/// True if `key` is the `workloadRef` of one of the `desired` Rollouts: the app rolls that
/// workload's template out, so the workload is part of the app and never Extraneous to it.
///
/// `desired` may read objects back lazily (stored desired objects are text): only those whose
/// key [`is_rollout_key`] are looked at, so callers filter by key before reading.
pub fn is_referenced_workload<'a, V: Borrow<Value>>(
    key: &ResourceKey,
    desired: impl IntoIterator<Item = (&'a ResourceKey, V)>,
) -> bool {
    desired
        .into_iter()
        .filter(|(k, _)| is_rollout_key(k))
        .any(|(k, obj)| referenced_key(k, obj.borrow()).as_ref() == Some(key))
}

/// True for the key of an `argoproj.io` `Rollout`: the only desired objects the functions
/// here read (so a caller holding objects as text reads back only these).
pub fn is_rollout_key(key: &ResourceKey) -> bool {
    &*key.group == GROUP && &*key.kind == "Rollout"
}

/// `workloadRef.scaleDown` values with which the Rollouts controller scales the referenced
/// Deployment down itself (`never`, the default, leaves it alone).
const SCALE_DOWN_BY_CONTROLLER: &[&str] = &["onsuccess", "progressively"];

/// Fields of desired objects that the Rollouts controller owns once it runs, as ignore rules
/// for the app: `spec.replicas` of a Deployment a desired Rollout references with a
/// `scaleDown` that makes the controller scale it (to zero). Without them, every such app
/// would show drift by design. The Deployment's template is still compared.
pub fn controller_owned_fields<'a, V: Borrow<Value>>(
    desired: impl IntoIterator<Item = (&'a ResourceKey, V)>,
) -> Vec<IgnoreRule> {
    desired
        .into_iter()
        .filter(|(k, _)| is_rollout_key(k))
        .filter(|(_, obj)| {
            let scale_down = obj
                .borrow()
                .pointer("/spec/workloadRef/scaleDown")
                .and_then(Value::as_str)
                .unwrap_or("never");
            SCALE_DOWN_BY_CONTROLLER.contains(&scale_down)
        })
        .filter_map(|(k, obj)| referenced_key(k, obj.borrow()))
        .map(|workload| IgnoreRule {
            group: Some(workload.group.to_string()),
            kind: Some(workload.kind.to_string()),
            name: Some(workload.name.to_string()),
            namespace: workload.namespace.as_deref().map(str::to_string),
            json_pointers: vec!["/spec/replicas".to_string()],
        })
        .collect()
}

/// How far a Rollout is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RolloutProgress {
    pub strategy: Strategy,
    /// Why it is paused (pause condition reasons, or "paused by user" for `spec.paused`).
    pub paused: Vec<String>,
    /// The update was aborted (`status.abort`): traffic went back to the stable revision.
    pub aborted: bool,
    /// An update is under way: the current pod template is not the stable one yet.
    pub updating: bool,
    pub analyses: Vec<AnalysisState>,
    pub workload_ref: Option<WorkloadRef>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Strategy {
    Canary {
        /// Index of the step being executed (0-based); `steps` when all are done.
        step: usize,
        steps: usize,
        /// What the current step does, e.g. `pause until promoted`, `setWeight 40`.
        current_step: Option<String>,
        /// Percent of traffic (or pods) on the new revision.
        weight: u8,
    },
    BlueGreen {
        /// Pod template hash the active Service selects.
        active: Option<String>,
        /// Pod template hash the preview Service selects.
        preview: Option<String>,
        /// Hash of the newest pod template.
        current: Option<String>,
    },
    /// Neither strategy is set (invalid spec).
    None,
}

/// One AnalysisRun the Rollout reports on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnalysisState {
    /// Which analysis: `step`, `background`, `pre-promotion` or `post-promotion`.
    pub role: &'static str,
    pub name: String,
    /// Phase: Pending, Running, Successful, Failed, Error, Inconclusive.
    pub phase: String,
    pub message: Option<String>,
}

impl AnalysisState {
    pub fn failed(&self) -> bool {
        matches!(self.phase.as_str(), "Failed" | "Error" | "Inconclusive")
    }
}

/// The progress of a live Rollout; None for other objects.
pub fn progress(obj: &Value) -> Option<RolloutProgress> {
    if !is_rollout(obj) {
        return None;
    }
    let status = obj.get("status").unwrap_or(&Value::Null);
    let spec = obj.get("spec").unwrap_or(&Value::Null);
    let text = |v: &Value, key: &str| {
        v.get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let current = text(status, "currentPodHash");
    let stable =
        text(status, "stableRS").or_else(|| status.get("canary").and_then(|c| text(c, "stableRS")));
    let updating = current.is_some() && current != stable;
    let aborted = status.get("abort").and_then(Value::as_bool) == Some(true);
    let strategy_spec = spec.get("strategy").unwrap_or(&Value::Null);

    let mut analyses = Vec::new();
    let mut analysis = |role: &'static str, value: Option<&Value>| {
        let Some(value) = value.filter(|v| v.is_object()) else {
            return;
        };
        analyses.push(AnalysisState {
            role,
            name: text(value, "name").unwrap_or_default(),
            phase: text(value, "status").unwrap_or_else(|| "Pending".to_string()),
            message: text(value, "message"),
        });
    };

    let strategy = if let Some(canary) = strategy_spec.get("canary").filter(|c| c.is_object()) {
        let steps = canary
            .get("steps")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let step = status
            .get("currentStepIndex")
            .and_then(Value::as_u64)
            .map(|i| usize::try_from(i).unwrap_or(usize::MAX).min(steps.len()))
            .unwrap_or(if updating { 0 } else { steps.len() });
        let canary_status = status.get("canary").unwrap_or(&Value::Null);
        analysis("step", canary_status.get("currentStepAnalysisRunStatus"));
        analysis(
            "background",
            canary_status.get("currentBackgroundAnalysisRunStatus"),
        );
        Strategy::Canary {
            step,
            steps: steps.len(),
            current_step: steps.get(step).map(describe_step),
            weight: canary_weight(status, steps, step, updating, aborted),
        }
    } else if strategy_spec.get("blueGreen").is_some_and(Value::is_object) {
        let blue_green = status.get("blueGreen").unwrap_or(&Value::Null);
        analysis(
            "pre-promotion",
            blue_green.get("prePromotionAnalysisRunStatus"),
        );
        analysis(
            "post-promotion",
            blue_green.get("postPromotionAnalysisRunStatus"),
        );
        Strategy::BlueGreen {
            active: text(blue_green, "activeSelector"),
            preview: text(blue_green, "previewSelector"),
            current: current.clone(),
        }
    } else {
        Strategy::None
    };

    let mut paused: Vec<String> = status
        .get("pauseConditions")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
        .iter()
        .filter_map(|c| text(c, "reason"))
        .collect();
    if spec.get("paused").and_then(Value::as_bool) == Some(true) {
        paused.push("paused by user".to_string());
    }

    Some(RolloutProgress {
        strategy,
        paused,
        aborted,
        updating,
        analyses,
        workload_ref: workload_ref(obj),
    })
}

/// The canary's weight: the traffic router's when it reports one, else the last `setWeight`
/// reached (100 once all steps are done or nothing is being updated, 0 after an abort).
fn canary_weight(
    status: &Value,
    steps: &[Value],
    step: usize,
    updating: bool,
    aborted: bool,
) -> u8 {
    let routed = status
        .pointer("/canary/weights/canary/weight")
        .and_then(Value::as_u64);
    let weight = if let Some(routed) = routed {
        routed
    } else if aborted {
        0
    } else if !updating || step >= steps.len() {
        100
    } else {
        steps[..=step]
            .iter()
            .rev()
            .find_map(|s| s.get("setWeight").and_then(Value::as_u64))
            .unwrap_or(0)
    };
    u8::try_from(weight.min(100)).unwrap_or(100)
}

/// A canary step in words.
fn describe_step(step: &Value) -> String {
    if let Some(weight) = step.get("setWeight").and_then(Value::as_u64) {
        return format!("setWeight {weight}");
    }
    if let Some(pause) = step.get("pause") {
        return match pause.get("duration") {
            Some(Value::String(d)) => format!("pause {d}"),
            Some(Value::Number(n)) => format!("pause {n}s"),
            _ => "pause until promoted".to_string(),
        };
    }
    for (key, words) in [
        ("analysis", "analysis"),
        ("experiment", "experiment"),
        ("setCanaryScale", "setCanaryScale"),
        ("setHeaderRoute", "setHeaderRoute"),
        ("setMirrorRoute", "setMirrorRoute"),
        ("plugin", "plugin"),
    ] {
        if step.get(key).is_some() {
            return words.to_string();
        }
    }
    "step".to_string()
}

/// A pause reason in words.
fn pause_words(reason: &str) -> String {
    match reason {
        "CanaryPauseStep" => "at a pause step".to_string(),
        "BlueGreenPause" => "before promotion (blue/green)".to_string(),
        "InconclusiveAnalysisRun" | "InconclusiveExperiment" => {
            format!("{reason}: a person must decide")
        }
        other => other.to_string(),
    }
}

/// First 10 characters of a pod template hash, as `kubectl argo rollouts` shows revisions.
fn short(hash: &Option<String>) -> &str {
    hash.as_deref()
        .map(|h| h.get(..10).unwrap_or(h))
        .unwrap_or("-")
}

impl RolloutProgress {
    /// A few words for a crowded cell: `canary 40%`, `canary 20% paused`, `preview ready`,
    /// `aborted`; None when the Rollout is not in the middle of an update.
    pub fn headline(&self) -> Option<String> {
        if self.aborted {
            return Some("rollout aborted".to_string());
        }
        if !self.updating {
            return None;
        }
        let paused = if self.paused.is_empty() {
            ""
        } else {
            " paused"
        };
        match &self.strategy {
            Strategy::Canary { weight, .. } => Some(format!("canary {weight}%{paused}")),
            Strategy::BlueGreen {
                active, preview, ..
            } => {
                let state = if preview.is_some() && preview != active {
                    "preview"
                } else {
                    "switching"
                };
                Some(format!("blue/green {state}{paused}"))
            }
            Strategy::None => None,
        }
    }

    /// Percent of traffic on the new revision, for a small bar: the canary weight. None for
    /// blue/green, which switches all at once (its words say which revision is active).
    pub fn percent(&self) -> Option<u8> {
        match &self.strategy {
            Strategy::Canary { weight, .. } => Some(*weight),
            Strategy::BlueGreen { .. } | Strategy::None => None,
        }
    }

    /// The progress in words, one line each: strategy and position, pause, analysis.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        match &self.strategy {
            Strategy::Canary {
                step,
                steps,
                current_step,
                weight,
            } => {
                let position = if *steps == 0 {
                    "no steps".to_string()
                } else if step >= steps {
                    format!("all {steps} steps done")
                } else {
                    let doing = current_step
                        .as_ref()
                        .map(|s| format!(" ({s})"))
                        .unwrap_or_default();
                    format!("step {} of {steps}{doing}", step + 1)
                };
                lines.push(format!("canary {position}, weight {weight}%"));
            }
            Strategy::BlueGreen {
                active,
                preview,
                current,
            } => {
                let mut line = format!("blue/green: active {}", short(active));
                if preview.is_some() {
                    line.push_str(&format!(", preview {}", short(preview)));
                }
                if current != active && current != preview {
                    line.push_str(&format!(", newest {}", short(current)));
                }
                lines.push(line);
            }
            Strategy::None => lines.push("no canary or blueGreen strategy".to_string()),
        }
        if self.aborted {
            lines.push("aborted: traffic is back on the stable revision".to_string());
        }
        if !self.paused.is_empty() {
            let reasons: Vec<String> = self.paused.iter().map(|r| pause_words(r)).collect();
            lines.push(format!("paused {}", reasons.join(", ")));
        }
        for analysis in &self.analyses {
            let mut line = format!(
                "{} analysis {} {}",
                analysis.role,
                analysis.name,
                analysis.phase.to_lowercase()
            );
            if let Some(message) = analysis.message.as_ref().filter(|_| analysis.failed()) {
                line.push_str(&format!(": {message}"));
            }
            lines.push(line);
        }
        if let Some(reference) = &self.workload_ref {
            lines.push(format!(
                "template from {} {}",
                reference.kind, reference.name
            ));
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn canary(status: Value) -> Value {
        json!({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
            "metadata": {"name": "web", "namespace": "shop", "generation": 2},
            "spec": {"replicas": 5, "strategy": {"canary": {"steps": [
                {"setWeight": 20}, {"pause": {}}, {"setWeight": 40}, {"pause": {"duration": "10m"}},
                {"setWeight": 80}, {"pause": {"duration": 30}}
            ]}}},
            "status": status
        })
    }

    #[test]
    fn canary_paused_at_step_two_reports_step_weight_and_reason() {
        let obj = canary(json!({
            "currentPodHash": "687d76d795", "stableRS": "7bf84f9696", "currentStepIndex": 1,
            "pauseConditions": [{"reason": "CanaryPauseStep", "startTime": "2026-03-02T10:05:00Z"}],
            "canary": {"currentBackgroundAnalysisRunStatus":
                {"name": "web-687d76d795-2", "status": "Running"}}
        }));
        let p = progress(&obj).expect("a rollout");
        assert_eq!(p.headline().as_deref(), Some("canary 20% paused"));
        assert_eq!(p.percent(), Some(20));
        assert_eq!(
            p.lines(),
            [
                "canary step 2 of 6 (pause until promoted), weight 20%",
                "paused at a pause step",
                "background analysis web-687d76d795-2 running",
            ]
        );
    }

    #[test]
    fn canary_weight_follows_the_last_set_weight_or_the_router() {
        let at = |index: u64| {
            progress(&canary(json!({"currentPodHash": "b", "stableRS": "a",
                                    "currentStepIndex": index})))
            .and_then(|p| p.percent())
        };
        assert_eq!(at(0), Some(20));
        assert_eq!(at(3), Some(40));
        assert_eq!(at(4), Some(80));
        assert_eq!(at(6), Some(100));
        let routed = canary(
            json!({"currentPodHash": "b", "stableRS": "a", "currentStepIndex": 1,
                                   "canary": {"weights": {"canary": {"weight": 15}}}}),
        );
        assert_eq!(progress(&routed).and_then(|p| p.percent()), Some(15));
        let done = canary(json!({"currentPodHash": "a", "stableRS": "a", "currentStepIndex": 6}));
        let done = progress(&done).expect("a rollout");
        assert_eq!(done.headline(), None);
        assert_eq!(done.lines(), ["canary all 6 steps done, weight 100%"]);
    }

    #[test]
    fn aborted_canary_with_failed_analysis_says_why() {
        let obj = canary(json!({
            "currentPodHash": "b", "stableRS": "a", "currentStepIndex": 0, "abort": true,
            "canary": {"currentStepAnalysisRunStatus": {"name": "web-b-3", "status": "Failed",
                       "message": "Metric \"success-rate\" assessed Failed"}}
        }));
        let p = progress(&obj).expect("a rollout");
        assert_eq!(p.headline().as_deref(), Some("rollout aborted"));
        assert_eq!(p.percent(), Some(0));
        assert!(p.lines().contains(
            &"step analysis web-b-3 failed: Metric \"success-rate\" assessed Failed".to_string()
        ));
    }

    #[test]
    fn blue_green_shows_active_and_preview_revisions() {
        let obj = json!({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
            "metadata": {"name": "web", "namespace": "shop"},
            "spec": {"strategy": {"blueGreen": {"activeService": "web-active",
                                                "previewService": "web-preview"}}},
            "status": {"currentPodHash": "6c7b8d9f5a", "stableRS": "74d8c6f7b9",
                       "pauseConditions": [{"reason": "BlueGreenPause"}],
                       "blueGreen": {"activeSelector": "74d8c6f7b9", "previewSelector": "6c7b8d9f5a"}}
        });
        let p = progress(&obj).expect("a rollout");
        assert_eq!(p.headline().as_deref(), Some("blue/green preview paused"));
        assert_eq!(p.percent(), None);
        assert_eq!(
            p.lines(),
            [
                "blue/green: active 74d8c6f7b9, preview 6c7b8d9f5a",
                "paused before promotion (blue/green)",
            ]
        );
    }

    #[test]
    fn a_deployment_scaled_down_by_the_controller_has_its_replicas_ignored() {
        let rollout = |scale_down: Option<&str>| {
            let mut reference =
                json!({"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"});
            if let Some(s) = scale_down {
                reference["scaleDown"] = json!(s);
            }
            json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
                   "metadata": {"name": "web-rollout", "namespace": "shop"},
                   "spec": {"workloadRef": reference, "strategy": {"canary": {}}}})
        };
        let key = ResourceKey::new("argoproj.io", "Rollout", Some("shop"), "web-rollout");
        for scale_down in ["onsuccess", "progressively"] {
            let obj = rollout(Some(scale_down));
            assert_eq!(
                controller_owned_fields([(&key, &obj)]),
                [IgnoreRule {
                    group: Some("apps".into()),
                    kind: Some("Deployment".into()),
                    name: Some("web".into()),
                    namespace: Some("shop".into()),
                    json_pointers: vec!["/spec/replicas".into()],
                }]
            );
        }
        for obj in [rollout(None), rollout(Some("never"))] {
            assert_eq!(controller_owned_fields([(&key, &obj)]), []);
        }
    }

    #[test]
    fn workload_ref_names_the_deployment_and_other_objects_have_no_progress() {
        let obj = json!({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
            "metadata": {"name": "web", "namespace": "shop"},
            "spec": {"workloadRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                     "strategy": {"canary": {}}}
        });
        assert_eq!(
            workload_ref(&obj),
            Some(WorkloadRef {
                group: "apps".into(),
                kind: "Deployment".into(),
                name: "web".into()
            })
        );
        let deployment = json!({"apiVersion": "apps/v1", "kind": "Deployment",
                                "spec": {"workloadRef": {"kind": "Deployment", "name": "x"}}});
        assert_eq!(workload_ref(&deployment), None);
        assert_eq!(progress(&deployment), None);
        assert_eq!(progress(&json!(null)), None);
        let odd = json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
                         "spec": "x", "status": [1, 2]});
        assert_eq!(progress(&odd).map(|p| p.strategy), Some(Strategy::None));
    }
}
