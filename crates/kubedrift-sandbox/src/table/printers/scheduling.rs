//! Printers of `scheduling.k8s.io/v1`: PriorityClass.

use crate::table::columns::{age_column, column, name_column, text_column};
use crate::table::duration::age;
use crate::table::fields::{get, int, name_of, s, text};
use crate::table::printers::{Cells, Printer};
use jiff::Timestamp;
use serde_json::{json, Value};

/// The printer of `kind` in `scheduling.k8s.io`; `None` for kinds the API server
/// prints with its default Table.
pub(super) fn printer(kind: &str) -> Option<Printer> {
    Some(match kind {
        "PriorityClass" => Printer::new(
            vec![
                name_column(),
                column("Value", "integer", "", "value represents the integer value of this priority class.", 0),
                column("Global-Default", "boolean", "", "globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class.", 0),
                age_column(),
                text_column("PreemptionPolicy", "preemptionPolicy is the Policy for preempting pods with lower priority."),
            ],
            priority_class_cells,
        ),
        _ => return None,
    })
}

fn priority_class_cells(obj: &Value, now: Timestamp) -> Cells {
    let cells = vec![
        s(name_of(obj)),
        json!(int(obj, &["value"])),
        Value::Bool(
            get(obj, &["globalDefault"])
                .and_then(Value::as_bool)
                .unwrap_or(false),
        ),
        age(obj, now),
        s(text(obj, &["preemptionPolicy"])),
    ];
    (cells, None)
}
