//! Cell formatting several printers share, each named after the kube-apiserver function whose
//! output it matches: labels, label selectors, container names and images, replicas, load
//! balancer addresses, quantities.

use crate::table::fields::{get, list, or_none, text};
use serde_json::Value;
use std::collections::BTreeSet;

/// `labels.FormatLabels`: `k=v,k2=v2` sorted by key, `<none>` when empty.
pub(super) fn format_labels(map: Option<&Value>) -> String {
    let Some(map) = map.and_then(Value::as_object) else {
        return "<none>".to_string();
    };
    let mut pairs: Vec<(&String, &str)> = map
        .iter()
        .map(|(k, v)| (k, v.as_str().unwrap_or("")))
        .collect();
    pairs.sort();
    let joined = pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",");
    or_none(&joined)
}

/// A `LabelSelector` as `labels.Selector.String()`: requirements sorted by key.
/// `None` when the selector is malformed (unknown operator).
pub(super) fn selector_string(selector: Option<&Value>) -> Option<String> {
    let Some(selector) = selector else {
        return Some(String::new());
    };
    let mut requirements: Vec<(String, String)> = Vec::new();
    if let Some(labels) = selector.get("matchLabels").and_then(Value::as_object) {
        for (k, v) in labels {
            requirements.push((k.clone(), format!("{k}={}", v.as_str().unwrap_or(""))));
        }
    }
    for expr in list(selector, &["matchExpressions"]) {
        let key = text(expr, &["key"]);
        let mut values: Vec<&str> = list(expr, &["values"])
            .iter()
            .filter_map(Value::as_str)
            .collect();
        values.sort_unstable();
        let rendered = match text(expr, &["operator"]) {
            "In" => format!("{key} in ({})", values.join(",")),
            "NotIn" => format!("{key} notin ({})", values.join(",")),
            "Exists" => key.to_string(),
            "DoesNotExist" => format!("!{key}"),
            _ => return None,
        };
        requirements.push((key.to_string(), rendered));
    }
    requirements.sort();
    Some(
        requirements
            .into_iter()
            .map(|(_, r)| r)
            .collect::<Vec<_>>()
            .join(","),
    )
}

/// `metav1.FormatLabelSelector`: `<none>` for an empty selector, `<error>` for a bad one.
pub(super) fn format_label_selector(selector: Option<&Value>) -> String {
    match selector_string(selector) {
        Some(s) if s.is_empty() => "<none>".to_string(),
        Some(s) => s,
        None => "<error>".to_string(),
    }
}

/// Container names and images of a pod spec, comma separated (`layoutContainerCells`).
pub(super) fn container_cells(pod_spec: Option<&Value>) -> (Value, Value) {
    let containers = pod_spec.map_or(&[][..], |spec| list(spec, &["containers"]));
    let names: Vec<&str> = containers.iter().map(|c| text(c, &["name"])).collect();
    let images: Vec<&str> = containers.iter().map(|c| text(c, &["image"])).collect();
    (
        Value::String(names.join(",")),
        Value::String(images.join(",")),
    )
}

pub(super) fn replicas_or_default(obj: &Value) -> i64 {
    // The API server defaults `spec.replicas` to 1 for these kinds; an object without it can
    // only come from a store that skipped defaulting, and printing 1 is what a client expects.
    get(obj, &["spec", "replicas"])
        .and_then(Value::as_i64)
        .unwrap_or(1)
}

/// `status.loadBalancer.ingress` IPs (or hostnames), sorted and de-duplicated.
pub(super) fn load_balancer_addresses(obj: &Value) -> Vec<String> {
    let set: BTreeSet<String> = list(obj, &["status", "loadBalancer", "ingress"])
        .iter()
        .filter_map(|ing| {
            let ip = text(ing, &["ip"]);
            let host = text(ing, &["hostname"]);
            if !ip.is_empty() {
                Some(ip.to_string())
            } else if !host.is_empty() {
                Some(host.to_string())
            } else {
                None
            }
        })
        .collect();
    set.into_iter().collect()
}

/// A quantity as the API server prints it; numbers (unusual in JSON) are printed plainly.
pub(super) fn quantity(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(q)) => q.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => "0".to_string(),
    }
}
