//! Printers of `networking.k8s.io/v1`: Ingress, NetworkPolicy, IngressClass.

use crate::table::columns::{age_column, name_column, text_column};
use crate::table::duration::age;
use crate::table::fields::{get, list, name_of, s, text};
use crate::table::format::{format_label_selector, load_balancer_addresses};
use crate::table::printers::{Cells, Printer};
use jiff::Timestamp;
use serde_json::Value;

/// The printer of `kind` in `networking.k8s.io`; `None` for kinds the API server
/// prints with its default Table.
pub(super) fn printer(kind: &str) -> Option<Printer> {
    Some(match kind {
        "Ingress" => Printer::new(
            vec![
                name_column(),
                text_column("Class", "The name of the IngressClass resource that should be used for additional configuration"),
                text_column("Hosts", "Hosts that incoming requests are matched against before the ingress rule"),
                text_column("Address", "Address is a list containing ingress points for the load-balancer"),
                text_column("Ports", "Ports of TLS configurations that open"),
                age_column(),
            ],
            ingress_cells,
        ),
        "NetworkPolicy" => Printer::new(
            vec![
                name_column(),
                text_column("Pod-Selector", "Selects the pods to which this NetworkPolicy object applies."),
                age_column(),
            ],
            network_policy_cells,
        ),
        "IngressClass" => Printer::new(
            vec![
                name_column(),
                text_column("Controller", "Controller that is responsible for handling this class"),
                text_column("Parameters", "A reference to a resource with additional parameters"),
                age_column(),
            ],
            ingress_class_cells,
        ),
        _ => return None,
    })
}

fn ingress_cells(obj: &Value, now: Timestamp) -> Cells {
    const MAX: usize = 3;
    let rules = list(obj, &["spec", "rules"]);
    let mut hosts: Vec<&str> = Vec::new();
    let mut more = false;
    for rule in rules {
        if hosts.len() == MAX {
            more = true;
        }
        let host = text(rule, &["host"]);
        if !more && !host.is_empty() {
            hosts.push(host);
        }
    }
    let hosts = if hosts.is_empty() {
        "*".to_string()
    } else if more {
        format!(
            "{} + {} more...",
            hosts.join(","),
            rules.len().saturating_sub(MAX)
        )
    } else {
        hosts.join(",")
    };
    let ports = if list(obj, &["spec", "tls"]).is_empty() {
        "80"
    } else {
        "80, 443"
    };
    let class = get(obj, &["spec", "ingressClassName"])
        .and_then(Value::as_str)
        .unwrap_or("<none>");
    let cells = vec![
        s(name_of(obj)),
        s(class),
        s(hosts),
        s(load_balancer_addresses(obj).join(",")),
        s(ports),
        age(obj, now),
    ];
    (cells, None)
}

fn network_policy_cells(obj: &Value, now: Timestamp) -> Cells {
    let selector = format_label_selector(Some(
        get(obj, &["spec", "podSelector"]).unwrap_or(&Value::Null),
    ));
    (vec![s(name_of(obj)), s(selector), age(obj, now)], None)
}

fn ingress_class_cells(obj: &Value, now: Timestamp) -> Cells {
    let parameters = match get(obj, &["spec", "parameters"]).filter(|p| p.is_object()) {
        Some(p) => {
            let mut kind = text(p, &["kind"]).to_string();
            if let Some(group) = get(p, &["apiGroup"]).and_then(Value::as_str) {
                kind = format!("{kind}.{group}");
            }
            format!("{kind}/{}", text(p, &["name"]))
        }
        None => "<none>".to_string(),
    };
    let cells = vec![
        s(name_of(obj)),
        s(text(obj, &["spec", "controller"])),
        s(parameters),
        age(obj, now),
    ];
    (cells, None)
}
