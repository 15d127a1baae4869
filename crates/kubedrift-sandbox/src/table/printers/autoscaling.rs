//! Printers of `autoscaling`: HorizontalPodAutoscaler (targets as `formatHPAMetrics` prints
//! them).

use crate::table::columns::{age_column, name_column, text_column};
use crate::table::duration::age;
use crate::table::fields::{get, int, list, name_of, s, text};
use crate::table::format::quantity;
use crate::table::printers::{Cells, Printer};
use jiff::Timestamp;
use serde_json::{json, Value};

/// The printer of `kind` in `autoscaling`; `None` for kinds the API server
/// prints with its default Table.
pub(super) fn printer(kind: &str) -> Option<Printer> {
    Some(match kind {
        "HorizontalPodAutoscaler" => Printer::new(
            vec![
                name_column(),
                text_column("Reference", "scaleTargetRef points to the target resource to scale."),
                text_column("Targets", "metrics contains the specifications for which to use to calculate the desired replica count."),
                text_column("MinPods", "minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down."),
                text_column("MaxPods", "maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up."),
                text_column("Replicas", "currentReplicas is current number of replicas of pods managed by this autoscaler."),
                age_column(),
            ],
            hpa_cells,
        ),
        _ => return None,
    })
}

/// `formatHPAMetrics` for autoscaling/v2 (and v1's `targetCPUUtilizationPercentage`).
fn hpa_targets(obj: &Value) -> String {
    const MAX: usize = 2;
    let specs = list(obj, &["spec", "metrics"]);
    if specs.is_empty() {
        if let Some(target) =
            get(obj, &["spec", "targetCPUUtilizationPercentage"]).and_then(Value::as_i64)
        {
            let current = get(obj, &["status", "currentCPUUtilizationPercentage"])
                .and_then(Value::as_i64)
                .map_or("<unknown>".to_string(), |c| format!("{c}%"));
            return format!("cpu: {current}/{target}%");
        }
        return "<none>".to_string();
    }
    let statuses = list(obj, &["status", "currentMetrics"]);
    let mut shown = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        let status = statuses.get(i);
        let metric_type = text(spec, &["type"]);
        let field = match metric_type {
            "External" => "external",
            "Pods" => "pods",
            "Object" => "object",
            "Resource" => "resource",
            "ContainerResource" => "containerResource",
            _ => {
                shown.push("<unknown type>".to_string());
                continue;
            }
        };
        let target = get(spec, &[field, "target"]);
        let current_of = |key: &str| {
            status
                .and_then(|st| get(st, &[field, "current", key]))
                .filter(|v| !v.is_null())
        };
        let status_present = status
            .and_then(|st| st.get(field))
            .is_some_and(|v| !v.is_null());
        let average_value = target
            .and_then(|t| t.get("averageValue"))
            .filter(|v| !v.is_null());
        let rendered = match metric_type {
            "External" | "Object" => {
                if let Some(avg) = average_value {
                    let current = current_of("averageValue")
                        .map_or("<unknown>".to_string(), |v| quantity(Some(v)));
                    format!("{current}/{} (avg)", quantity(Some(avg)))
                } else {
                    let current = if status_present {
                        quantity(current_of("value"))
                    } else {
                        "<unknown>".to_string()
                    };
                    format!(
                        "{current}/{}",
                        quantity(target.and_then(|t| t.get("value")))
                    )
                }
            }
            "Pods" => {
                let current = if status_present {
                    quantity(current_of("averageValue"))
                } else {
                    "<unknown>".to_string()
                };
                format!("{current}/{}", quantity(average_value))
            }
            _ => {
                let resource = text(spec, &[field, "name"]);
                if let Some(avg) = average_value {
                    let current = if status_present {
                        quantity(current_of("averageValue"))
                    } else {
                        "<unknown>".to_string()
                    };
                    format!("{resource}: {current}/{}", quantity(Some(avg)))
                } else {
                    let current = current_of("averageUtilization")
                        .and_then(Value::as_i64)
                        .map_or("<unknown>".to_string(), |c| format!("{c}%"));
                    let goal = target
                        .and_then(|t| t.get("averageUtilization"))
                        .and_then(Value::as_i64)
                        .map_or("<auto>".to_string(), |g| format!("{g}%"));
                    format!("{resource}: {current}/{goal}")
                }
            }
        };
        shown.push(rendered);
    }
    let count = shown.len();
    if count > MAX {
        shown.truncate(MAX);
        format!("{} + {} more...", shown.join(", "), count - MAX)
    } else {
        shown.join(", ")
    }
}

fn hpa_cells(obj: &Value, now: Timestamp) -> Cells {
    let reference = format!(
        "{}/{}",
        text(obj, &["spec", "scaleTargetRef", "kind"]),
        text(obj, &["spec", "scaleTargetRef", "name"])
    );
    let min_pods = get(obj, &["spec", "minReplicas"])
        .and_then(Value::as_i64)
        .map_or("<unset>".to_string(), |m| m.to_string());
    let cells = vec![
        s(name_of(obj)),
        s(reference),
        s(hpa_targets(obj)),
        s(min_pods),
        json!(int(obj, &["spec", "maxReplicas"])),
        json!(int(obj, &["status", "currentReplicas"])),
        age(obj, now),
    ];
    (cells, None)
}
