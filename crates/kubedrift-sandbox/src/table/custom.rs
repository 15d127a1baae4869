//! Custom resources: `NAME` plus the CRD's `additionalPrinterColumns`, each cell typed as the
//! column declares, as the apiextensions server prints them.

use crate::table::columns::{column, name_column, AGE_DESCRIPTION};
use crate::table::duration::human_duration;
use crate::table::envelope::{row, table, IncludeObject};
use crate::table::fields::{name_of, s};
use crate::table::jsonpath::JsonPath;
use jiff::Timestamp;
use serde_json::{json, Value};

/// The Table for custom resources: `NAME` plus the CRD version's `additionalPrinterColumns`
/// (each `{name, type, format?, description?, priority?, jsonPath}`), or `NAME  AGE` when the
/// CRD declares none, as the apiextensions server does.
///
/// JSONPath subset: `.a.b`, `.a[0].b`, `.a[?(@.type=="Ready")].status` (and `\.` in keys).
/// A path that matches nothing, or a value of the wrong type, gives an empty (`null`) cell.
pub fn to_table_with_printer_columns(
    additional_printer_columns: &[Value],
    objects: &[Value],
    now: Timestamp,
    include_object: IncludeObject,
) -> Value {
    let mut columns = vec![name_column()];
    let mut paths = Vec::new();
    let declared: Vec<&Value> = additional_printer_columns
        .iter()
        .filter(|c| c.get("name").and_then(Value::as_str).is_some())
        .collect();
    if declared.is_empty() {
        columns.push(column("Age", "date", "", AGE_DESCRIPTION, 0));
        paths.push((
            "date".to_string(),
            JsonPath::parse(".metadata.creationTimestamp"),
        ));
    }
    for col in declared {
        let text = |key: &str| {
            col.get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let ty = text("type");
        columns.push(json!({
            "name": text("name"),
            "type": ty,
            "format": text("format"),
            "description": text("description"),
            "priority": col.get("priority").and_then(Value::as_i64).unwrap_or(0),
        }));
        paths.push((ty, JsonPath::parse(&text("jsonPath"))));
    }
    let rows = objects
        .iter()
        .map(|obj| {
            let mut cells = vec![Value::String(name_of(obj).to_string())];
            for (ty, path) in &paths {
                let value = path.as_ref().ok().and_then(|p| p.first_match(obj));
                cells.push(value.map_or(Value::Null, |v| custom_cell(ty, v, now)));
            }
            row(cells, None, obj, include_object)
        })
        .collect();
    table(columns, rows)
}

/// A cell for an `additionalPrinterColumns` value, typed as the CRD column says.
fn custom_cell(ty: &str, value: &Value, now: Timestamp) -> Value {
    match ty {
        "integer" => match value {
            Value::Number(n) if n.is_i64() => value.clone(),
            Value::Number(n) => n
                .as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                .map_or(Value::Null, |f| json!(f as i64)),
            _ => Value::Null,
        },
        "number" => value.as_f64().map_or(Value::Null, |f| json!(f)),
        "boolean" => value.as_bool().map_or(Value::Null, Value::Bool),
        "date" => match value.as_str().and_then(|t| t.parse::<Timestamp>().ok()) {
            Some(t) => s(human_duration(now.duration_since(t))),
            None => Value::Null,
        },
        _ => match value {
            Value::String(text) => s(text.clone()),
            Value::Null => Value::Null,
            other => s(other.to_string()),
        },
    }
}
