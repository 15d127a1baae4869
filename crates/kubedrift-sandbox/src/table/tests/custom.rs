//! Custom resources: `additionalPrinterColumns`, typed cells, the JSONPath subset.

use super::{cells, column_names, info, meta, now, print};
use crate::table::custom::to_table_with_printer_columns;
use crate::table::envelope::IncludeObject;
use crate::table::jsonpath::JsonPath;
use crate::table::plain::render_plain;
use serde_json::{json, Value};

fn certificate(name: &str, ready: &str, created: &str) -> Value {
    json!({"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
        "metadata": meta(name, Some("shop"), created, "cert-manager.io/v1"),
        "spec": {"secretName": format!("{name}-tls"), "dnsNames": ["shop.example.com"],
                 "issuerRef": {"name": "letsencrypt", "kind": "ClusterIssuer"}, "duration": "2160h"},
        "status": {"conditions": [
            {"type": "Issuing", "status": "False", "lastTransitionTime": created},
            {"type": "Ready", "status": ready, "reason": "Ready", "message": "Certificate is up to date and has not expired",
             "lastTransitionTime": created, "observedGeneration": 1}],
            "notAfter": "2024-08-30T11:00:00Z", "revision": 4}})
}

#[test]
fn custom_resources_use_additional_printer_columns() {
    let columns = [
        json!({"name": "Ready", "type": "string", "jsonPath": ".status.conditions[?(@.type==\"Ready\")].status"}),
        json!({"name": "Secret", "type": "string", "jsonPath": ".spec.secretName"}),
        json!({"name": "Issuer", "type": "string", "priority": 1, "jsonPath": ".spec.issuerRef.name"}),
        json!({"name": "Revision", "type": "integer", "jsonPath": ".status.revision"}),
        json!({"name": "First DNS", "type": "string", "jsonPath": ".spec.dnsNames[0]"}),
        json!({"name": "Status", "type": "string", "priority": 1,
               "jsonPath": ".status.conditions[?(@.type=='Ready')].message"}),
        json!({"name": "Missing", "type": "string", "jsonPath": ".status.nothing.here"}),
        json!({"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}),
    ];
    let objects = [
        certificate("web", "True", "2024-05-31T12:00:00Z"),
        certificate("api", "False", "2024-06-01T11:59:30Z"),
    ];
    let table = to_table_with_printer_columns(&columns, &objects, now(), IncludeObject::Metadata);
    assert_eq!(
        column_names(&table, false),
        [
            "Name",
            "Ready",
            "Secret",
            "Revision",
            "First DNS",
            "Missing",
            "Age"
        ]
    );
    assert_eq!(table["columnDefinitions"][4]["type"], "integer");
    assert_eq!(table["columnDefinitions"][3]["priority"], 1);
    let rows = cells(&table);
    assert_eq!(
        rows[0],
        vec![
            json!("web"),
            json!("True"),
            json!("web-tls"),
            json!("letsencrypt"),
            json!(4),
            json!("shop.example.com"),
            json!("Certificate is up to date and has not expired"),
            Value::Null,
            json!("24h")
        ]
    );
    assert_eq!(rows[1][1], json!("False"));
    assert_eq!(rows[1][8], json!("30s"));
    assert_eq!(table["rows"][1]["object"]["kind"], "PartialObjectMetadata");
}

#[test]
fn custom_resources_without_columns_print_name_and_age() {
    let resource = info("cert-manager.io", "v1", "Certificate", "certificates", true);
    let table = print(
        &resource,
        &[certificate("web", "True", "2024-05-31T12:00:00Z")],
    );
    assert_eq!(column_names(&table, true), ["Name", "Age"]);
    assert_eq!(cells(&table)[0], vec![json!("web"), json!("24h")]);
    assert_eq!(render_plain(&table, false), "NAME   AGE\nweb    24h\n");
}

#[test]
fn to_table_uses_the_catalogs_printer_columns_for_custom_kinds() {
    let mut resource = info("cert-manager.io", "v1", "Certificate", "certificates", true);
    resource.printer_columns = vec![
        json!({"name": "Ready", "type": "string", "jsonPath": ".status.conditions[?(@.type==\"Ready\")].status"}),
        json!({"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}),
    ];
    let table = print(
        &resource,
        &[certificate("web", "True", "2024-05-31T12:00:00Z")],
    );
    assert_eq!(
        render_plain(&table, false),
        "NAME   READY   AGE\nweb    True    24h\n"
    );
}

#[test]
fn custom_cells_are_typed_like_the_apiextensions_server() {
    let obj = json!({"metadata": {"name": "x", "creationTimestamp": "2024-06-01T11:00:00Z"},
                     "spec": {"replicas": 3.0, "ratio": 1, "paused": true, "labels": {"a": "b"},
                              "when": "not a date"}});
    let columns = [
        json!({"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"}),
        json!({"name": "Ratio", "type": "number", "jsonPath": ".spec.ratio"}),
        json!({"name": "Paused", "type": "boolean", "jsonPath": ".spec.paused"}),
        json!({"name": "Labels", "type": "string", "jsonPath": ".spec.labels"}),
        json!({"name": "When", "type": "date", "jsonPath": ".spec.when"}),
        json!({"name": "Wrong", "type": "integer", "jsonPath": ".spec.paused"}),
        json!({"name": "Broken", "type": "string", "jsonPath": "spec[?(@.x"}),
        json!({"name": "Dotted", "type": "string", "jsonPath": ".metadata.creationTimestamp"}),
    ];
    let table = to_table_with_printer_columns(&columns, &[obj], now(), IncludeObject::None);
    assert_eq!(
        cells(&table)[0],
        vec![
            json!("x"),
            json!(3),
            json!(1.0),
            json!(true),
            json!("{\"a\":\"b\"}"),
            Value::Null,
            Value::Null,
            Value::Null,
            json!("2024-06-01T11:00:00Z")
        ]
    );
}

#[test]
fn json_path_subset() {
    let obj = json!({"metadata": {"labels": {"app.kubernetes.io/name": "web"}},
                     "status": {"conditions": [{"type": "Progressing", "status": "True"},
                                               {"type": "Ready", "status": "False"}],
                                "replicas": [{"n": 1}, {"n": 2}]}});
    let eval = |p: &str| {
        JsonPath::parse(p)
            .expect("parses")
            .first_match(&obj)
            .cloned()
    };
    assert_eq!(
        eval(".status.conditions[?(@.type==\"Ready\")].status"),
        Some(json!("False"))
    );
    assert_eq!(eval("{.status.replicas[1].n}"), Some(json!(2)));
    assert_eq!(
        eval(".metadata.labels.app\\.kubernetes\\.io/name"),
        Some(json!("web"))
    );
    assert_eq!(
        eval(".metadata.labels['app.kubernetes.io/name']"),
        Some(json!("web"))
    );
    assert_eq!(eval(".status.replicas[7].n"), None);
    assert_eq!(eval(".status.conditions[?(@.type==\"Gone\")].status"), None);
    assert!(JsonPath::parse(".a[").is_err());
    assert!(JsonPath::parse("a.b").is_err());
    assert!(JsonPath::parse(".a..b").is_err());
}
