//! Service and Endpoints cells: types, cluster and external IPs, `80:30080/TCP` ports,
//! endpoint addresses.

use crate::table::duration::age;
use crate::table::fields::{get, int, list, name_of, or_none, s, text};
use crate::table::format::{format_labels, load_balancer_addresses};
use crate::table::printers::Cells;
use jiff::Timestamp;
use serde_json::Value;

pub(super) fn service_cells(obj: &Value, now: Timestamp) -> Cells {
    let svc_type = match text(obj, &["spec", "type"]) {
        "" => "ClusterIP",
        other => other,
    };
    let cluster_ip = list(obj, &["spec", "clusterIPs"])
        .first()
        .and_then(Value::as_str)
        .unwrap_or_else(|| text(obj, &["spec", "clusterIP"]));
    let ports: Vec<String> = list(obj, &["spec", "ports"])
        .iter()
        .map(|p| {
            let port = int(p, &["port"]);
            let protocol = match text(p, &["protocol"]) {
                "" => "TCP",
                other => other,
            };
            match int(p, &["nodePort"]) {
                node_port if node_port > 0 => format!("{port}:{node_port}/{protocol}"),
                _ => format!("{port}/{protocol}"),
            }
        })
        .collect();
    let cells = vec![
        s(name_of(obj)),
        s(svc_type),
        s(or_none(cluster_ip)),
        s(service_external_ip(obj, svc_type)),
        s(or_none(&ports.join(","))),
        age(obj, now),
        s(format_labels(get(obj, &["spec", "selector"]))),
    ];
    (cells, None)
}

fn service_external_ip(obj: &Value, svc_type: &str) -> String {
    let external_ips: Vec<&str> = list(obj, &["spec", "externalIPs"])
        .iter()
        .filter_map(Value::as_str)
        .collect();
    match svc_type {
        "ClusterIP" | "NodePort" => or_none(&external_ips.join(",")),
        "LoadBalancer" => {
            let mut all: Vec<String> = load_balancer_addresses(obj);
            all.extend(external_ips.iter().map(|ip| ip.to_string()));
            if all.is_empty() {
                "<pending>".to_string()
            } else {
                all.join(",")
            }
        }
        "ExternalName" => text(obj, &["spec", "externalName"]).to_string(),
        _ => "<unknown>".to_string(),
    }
}

fn join_host_port(host: &str, port: i64) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

pub(super) fn endpoints_cells(obj: &Value, now: Timestamp) -> Cells {
    const MAX: usize = 3;
    let subsets = list(obj, &["subsets"]);
    let formatted = if subsets.is_empty() {
        "<none>".to_string()
    } else {
        let mut shown: Vec<String> = Vec::new();
        let mut count = 0usize;
        for subset in subsets {
            let addresses = list(subset, &["addresses"]);
            let ports = list(subset, &["ports"]);
            if ports.is_empty() {
                count += addresses.len();
                for addr in addresses {
                    if shown.len() == MAX {
                        break;
                    }
                    shown.push(text(addr, &["ip"]).to_string());
                }
                continue;
            }
            for port in ports {
                count += addresses.len();
                for addr in addresses {
                    if shown.len() == MAX {
                        break;
                    }
                    shown.push(join_host_port(text(addr, &["ip"]), int(port, &["port"])));
                }
            }
        }
        let joined = shown.join(",");
        if count > MAX {
            format!("{joined} + {} more...", count - MAX)
        } else {
            joined
        }
    };
    (vec![s(name_of(obj)), s(formatted), age(obj, now)], None)
}
