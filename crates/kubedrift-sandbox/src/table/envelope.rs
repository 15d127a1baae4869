//! The Table envelope: the `meta.k8s.io/v1` Table object, its rows, what each row's `object`
//! holds (`includeObject`), and the API server's default Table for kinds without a printer.

use crate::table::columns::{column, name_column, AGE_DESCRIPTION};
use crate::table::fields::{get, name_of};
use serde_json::{json, Map, Value};

/// The `includeObject` query parameter: what each row's `object` holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IncludeObject {
    /// No `object` in rows.
    None,
    /// A `PartialObjectMetadata` (the API server's default; kubectl needs it for `-A`, labels).
    #[default]
    Metadata,
    /// The full object.
    Object,
}

/// An `includeObject` value the API server does not accept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid includeObject {0:?}: must be one of None, Metadata, Object")]
pub struct InvalidIncludeObject(pub String);

impl IncludeObject {
    /// Parse the query parameter (absent or empty means the default, `Metadata`).
    pub fn from_query(value: Option<&str>) -> Result<Self, InvalidIncludeObject> {
        match value {
            None | Some("") | Some("Metadata") => Ok(IncludeObject::Metadata),
            Some("None") => Ok(IncludeObject::None),
            Some("Object") => Ok(IncludeObject::Object),
            Some(other) => Err(InvalidIncludeObject(other.to_string())),
        }
    }
}

pub(super) fn table(columns: Vec<Value>, rows: Vec<Value>) -> Value {
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {},
        "columnDefinitions": columns,
        "rows": rows,
    })
}

pub(super) fn row(
    cells: Vec<Value>,
    conditions: Option<Value>,
    obj: &Value,
    include: IncludeObject,
) -> Value {
    let mut row = Map::new();
    row.insert("cells".into(), Value::Array(cells));
    if let Some(conditions) = conditions {
        row.insert("conditions".into(), conditions);
    }
    match include {
        IncludeObject::None => {}
        IncludeObject::Metadata => {
            let metadata = obj.get("metadata").cloned().unwrap_or_else(|| json!({}));
            row.insert(
                "object".into(),
                json!({
                    "kind": "PartialObjectMetadata",
                    "apiVersion": "meta.k8s.io/v1",
                    "metadata": metadata,
                }),
            );
        }
        IncludeObject::Object => {
            row.insert("object".into(), obj.clone());
        }
    }
    Value::Object(row)
}

/// The API server's default convertor for kinds without a printer (Role, ClusterRole, CRD...):
/// the name and the raw creation timestamp.
pub(super) fn default_table(objects: &[Value], include: IncludeObject) -> Value {
    let columns = vec![
        name_column(),
        column("Created At", "date", "", AGE_DESCRIPTION, 0),
    ];
    let rows = objects
        .iter()
        .map(|obj| {
            let created = get(obj, &["metadata", "creationTimestamp"])
                .cloned()
                .unwrap_or(Value::Null);
            row(
                vec![Value::String(name_of(obj).to_string()), created],
                None,
                obj,
                include,
            )
        })
        .collect();
    table(columns, rows)
}
