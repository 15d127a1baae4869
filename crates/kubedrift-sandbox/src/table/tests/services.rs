//! Services of every type and Endpoints.

use super::{cells, column_names, info, meta, print};
use serde_json::{json, Value};

fn service(name: &str, spec: Value, status: Value) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": meta(name, Some("shop"), "2024-06-01T11:55:00Z", "v1"),
        "spec": spec, "status": status
    })
}

#[test]
fn services_of_every_type() {
    let cluster_ip = service(
        "web",
        json!({"type": "ClusterIP", "clusterIP": "10.96.12.7", "clusterIPs": ["10.96.12.7"],
               "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack", "sessionAffinity": "None",
               "internalTrafficPolicy": "Cluster", "selector": {"tier": "frontend", "app": "web"},
               "ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"},
                         {"name": "grpc", "port": 9090, "targetPort": 9090, "protocol": "TCP"}]}),
        json!({"loadBalancer": {}}),
    );
    let node_port = service(
        "web-np",
        json!({"type": "NodePort", "clusterIP": "10.96.40.2", "clusterIPs": ["10.96.40.2"],
               "externalTrafficPolicy": "Cluster",
               "ports": [{"port": 80, "targetPort": 80, "nodePort": 30080, "protocol": "TCP"},
                         {"port": 53, "targetPort": 53, "nodePort": 30053, "protocol": "UDP"}],
               "selector": {"app": "web"}}),
        json!({"loadBalancer": {}}),
    );
    let pending_lb = service(
        "edge",
        json!({"type": "LoadBalancer", "clusterIP": "10.96.0.50", "clusterIPs": ["10.96.0.50"],
               "allocateLoadBalancerNodePorts": true,
               "ports": [{"port": 443, "targetPort": 8443, "nodePort": 31443, "protocol": "TCP"}]}),
        json!({"loadBalancer": {}}),
    );
    let ready_lb = service(
        "edge-ready",
        json!({"type": "LoadBalancer", "clusterIP": "10.96.0.51", "clusterIPs": ["10.96.0.51"],
               "externalIPs": ["198.51.100.9"],
               "ports": [{"port": 443, "targetPort": 8443, "nodePort": 31444, "protocol": "TCP"}]}),
        json!({"loadBalancer": {"ingress": [{"ip": "203.0.113.10", "ipMode": "VIP"},
                                            {"hostname": "lb.example.com"}]}}),
    );
    let external = service(
        "db",
        json!({"type": "ExternalName", "externalName": "db.internal.example.com",
               "sessionAffinity": "None"}),
        json!({"loadBalancer": {}}),
    );
    let headless = service(
        "db-headless",
        json!({"type": "ClusterIP", "clusterIP": "None", "clusterIPs": ["None"],
               "ports": [{"port": 5432, "targetPort": 5432, "protocol": "TCP"}],
               "selector": {"app": "db"}}),
        json!({"loadBalancer": {}}),
    );
    let table = print(
        &info("", "v1", "Service", "services", true),
        &[
            cluster_ip, node_port, pending_lb, ready_lb, external, headless,
        ],
    );
    assert_eq!(
        column_names(&table, true),
        [
            "Name",
            "Type",
            "Cluster-IP",
            "External-IP",
            "Port(s)",
            "Age",
            "Selector"
        ]
    );
    let rows = cells(&table);
    assert_eq!(
        rows[0],
        vec![
            json!("web"),
            json!("ClusterIP"),
            json!("10.96.12.7"),
            json!("<none>"),
            json!("80/TCP,9090/TCP"),
            json!("5m"),
            json!("app=web,tier=frontend"),
        ]
    );
    assert_eq!(rows[1][4], json!("80:30080/TCP,53:30053/UDP"));
    assert_eq!(rows[1][3], json!("<none>"));
    assert_eq!(rows[2][3], json!("<pending>"));
    assert_eq!(rows[2][6], json!("<none>"));
    assert_eq!(
        rows[3][3],
        json!("203.0.113.10,lb.example.com,198.51.100.9")
    );
    assert_eq!(
        rows[4][1..5],
        [
            json!("ExternalName"),
            json!("<none>"),
            json!("db.internal.example.com"),
            json!("<none>")
        ]
    );
    assert_eq!(rows[5][2], json!("None"));
}

#[test]
fn endpoints_list_addresses_and_truncate_after_three() {
    let many = json!({
        "apiVersion": "v1", "kind": "Endpoints",
        "metadata": meta("web", Some("shop"), "2024-06-01T11:00:00Z", "v1"),
        "subsets": [{
            "addresses": [
                {"ip": "10.244.1.17", "nodeName": "worker-1", "targetRef": {"kind": "Pod", "name": "web-1", "namespace": "shop"}},
                {"ip": "10.244.2.4", "nodeName": "worker-2", "targetRef": {"kind": "Pod", "name": "web-2", "namespace": "shop"}}
            ],
            "notReadyAddresses": [{"ip": "10.244.3.9"}],
            "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}, {"name": "grpc", "port": 9090, "protocol": "TCP"}]
        }]
    });
    let empty = json!({"apiVersion": "v1", "kind": "Endpoints",
                       "metadata": meta("pending", Some("shop"), "2024-06-01T11:00:00Z", "v1")});
    let ipv6 = json!({"apiVersion": "v1", "kind": "Endpoints",
                      "metadata": meta("v6", Some("shop"), "2024-06-01T11:00:00Z", "v1"),
                      "subsets": [{"addresses": [{"ip": "fd00::12"}], "ports": [{"port": 80, "protocol": "TCP"}]}]});
    let table = print(
        &info("", "v1", "Endpoints", "endpoints", true),
        &[many, empty, ipv6],
    );
    assert_eq!(column_names(&table, true), ["Name", "Endpoints", "Age"]);
    let rows = cells(&table);
    assert_eq!(
        rows[0][1],
        json!("10.244.1.17:8080,10.244.2.4:8080,10.244.1.17:9090 + 1 more...")
    );
    assert_eq!(rows[1][1], json!("<none>"));
    assert_eq!(rows[2][1], json!("[fd00::12]:80"));
}
