//! Pod cells: `READY`, `STATUS` (the kubelet's reason, init containers, sidecars, terminating),
//! `RESTARTS` with the last restart's age, and the wide `IP`, `NODE`, `NOMINATED NODE`,
//! `READINESS GATES`.

use crate::table::duration::{age, human_duration, parse_time};
use crate::table::fields::{condition_status, get, int, list, name_of, or_none, s, text};
use crate::table::printers::Cells;
use jiff::Timestamp;
use serde_json::{json, Value};

/// `printPod`: the READY/STATUS/RESTARTS logic kubectl users know, including init containers,
/// sidecars (restartable init containers), waiting/terminated reasons and Terminating.
pub(super) fn pod_cells(pod: &Value, now: Timestamp) -> Cells {
    let phase = text(pod, &["status", "phase"]);
    let mut reason = match text(pod, &["status", "reason"]) {
        "" => phase.to_string(),
        r => r.to_string(),
    };
    for cond in list(pod, &["status", "conditions"]) {
        if text(cond, &["type"]) == "PodScheduled" && text(cond, &["reason"]) == "SchedulingGated" {
            reason = "SchedulingGated".to_string();
        }
    }
    let conditions = match phase {
        "Succeeded" => Some(
            json!([{"type": "Completed", "status": "True", "reason": "Succeeded",
                                     "message": "The pod has completed successfully."}]),
        ),
        "Failed" => Some(
            json!([{"type": "Completed", "status": "True", "reason": "Failed",
                                  "message": "The pod failed."}]),
        ),
        _ => None,
    };

    let init_specs = list(pod, &["spec", "initContainers"]);
    let is_sidecar = |name: &str| {
        init_specs
            .iter()
            .any(|c| text(c, &["name"]) == name && text(c, &["restartPolicy"]) == "Always")
    };
    let total = list(pod, &["spec", "containers"]).len()
        + init_specs
            .iter()
            .filter(|c| text(c, &["restartPolicy"]) == "Always")
            .count();
    let mut ready = 0usize;
    let mut restarts = 0i64;
    let mut sidecar_restarts = 0i64;
    let mut last_restart: Option<Timestamp> = None;
    let mut last_sidecar_restart: Option<Timestamp> = None;
    let later =
        |current: Option<Timestamp>, candidate: Option<Timestamp>| match (current, candidate) {
            (Some(a), Some(b)) if b > a => Some(b),
            (None, b) => b,
            (a, _) => a,
        };

    let mut initializing = false;
    let init_statuses = list(pod, &["status", "initContainerStatuses"]);
    for (i, status) in init_statuses.iter().enumerate() {
        let count = int(status, &["restartCount"]);
        let finished = parse_time(get(status, &["lastState", "terminated", "finishedAt"]));
        restarts += count;
        last_restart = later(last_restart, finished);
        let sidecar = is_sidecar(text(status, &["name"]));
        if sidecar {
            sidecar_restarts += count;
            last_sidecar_restart = later(last_sidecar_restart, finished);
        }
        let terminated = get(status, &["state", "terminated"]);
        let waiting_reason = text(status, &["state", "waiting", "reason"]);
        let started = get(status, &["started"]).and_then(Value::as_bool) == Some(true);
        if terminated.is_some_and(|t| int(t, &["exitCode"]) == 0) {
            continue;
        }
        if sidecar && started {
            if get(status, &["ready"]).and_then(Value::as_bool) == Some(true) {
                ready += 1;
            }
            continue;
        }
        if let Some(t) = terminated {
            reason = match text(t, &["reason"]) {
                "" if int(t, &["signal"]) != 0 => format!("Init:Signal:{}", int(t, &["signal"])),
                "" => format!("Init:ExitCode:{}", int(t, &["exitCode"])),
                r => format!("Init:{r}"),
            };
        } else if !waiting_reason.is_empty() && waiting_reason != "PodInitializing" {
            reason = format!("Init:{waiting_reason}");
        } else {
            reason = format!("Init:{i}/{}", init_specs.len());
        }
        initializing = true;
        break;
    }

    let initialized =
        condition_status(pod, &["status", "conditions"], "Initialized") == Some("True");
    if !initializing || initialized {
        restarts = sidecar_restarts;
        last_restart = last_sidecar_restart;
        let mut has_running = false;
        for status in list(pod, &["status", "containerStatuses"]).iter().rev() {
            restarts += int(status, &["restartCount"]);
            last_restart = later(
                last_restart,
                parse_time(get(status, &["lastState", "terminated", "finishedAt"])),
            );
            let waiting_reason = text(status, &["state", "waiting", "reason"]);
            let terminated = get(status, &["state", "terminated"]);
            if !waiting_reason.is_empty() {
                reason = waiting_reason.to_string();
            } else if let Some(t) = terminated {
                reason = match text(t, &["reason"]) {
                    "" if int(t, &["signal"]) != 0 => format!("Signal:{}", int(t, &["signal"])),
                    "" => format!("ExitCode:{}", int(t, &["exitCode"])),
                    r => r.to_string(),
                };
            } else if get(status, &["ready"]).and_then(Value::as_bool) == Some(true)
                && get(status, &["state", "running"]).is_some()
            {
                has_running = true;
                ready += 1;
            }
        }
        if reason == "Completed" && has_running {
            reason = if condition_status(pod, &["status", "conditions"], "Ready") == Some("True") {
                "Running".to_string()
            } else {
                "NotReady".to_string()
            };
        }
    }

    let deleting = get(pod, &["metadata", "deletionTimestamp"]).is_some_and(|v| !v.is_null());
    if deleting && text(pod, &["status", "reason"]) == "NodeLost" {
        reason = "Unknown".to_string();
    } else if deleting && phase != "Succeeded" && phase != "Failed" {
        reason = "Terminating".to_string();
    }

    let restarts_text = match last_restart {
        Some(t) if restarts != 0 => {
            format!("{restarts} ({} ago)", human_duration(now.duration_since(t)))
        }
        _ => restarts.to_string(),
    };

    let pod_ip = list(pod, &["status", "podIPs"])
        .first()
        .map(|ip| text(ip, &["ip"]))
        .unwrap_or("");
    let gates = list(pod, &["spec", "readinessGates"]);
    let readiness_gates = if gates.is_empty() {
        "<none>".to_string()
    } else {
        let passing = gates
            .iter()
            .filter(|g| {
                condition_status(pod, &["status", "conditions"], text(g, &["conditionType"]))
                    == Some("True")
            })
            .count();
        format!("{passing}/{}", gates.len())
    };
    let cells = vec![
        s(name_of(pod)),
        s(format!("{ready}/{total}")),
        s(reason),
        s(restarts_text),
        age(pod, now),
        s(or_none(pod_ip)),
        s(or_none(text(pod, &["spec", "nodeName"]))),
        s(or_none(text(pod, &["status", "nominatedNodeName"]))),
        s(readiness_gates),
    ];
    (cells, conditions)
}
