//! Printers of `policy/v1`: PodDisruptionBudget.

use crate::table::columns::{age_column, column, name_column, text_column};
use crate::table::duration::age;
use crate::table::fields::{get, int, name_of, s};
use crate::table::printers::{Cells, Printer};
use jiff::Timestamp;
use serde_json::{json, Value};

/// The printer of `kind` in `policy`; `None` for kinds the API server
/// prints with its default Table.
pub(super) fn printer(kind: &str) -> Option<Printer> {
    Some(match kind {
        "PodDisruptionBudget" => Printer::new(
            vec![
                name_column(),
                text_column(
                    "Min Available",
                    "The minimum number of pods that must be available.",
                ),
                text_column(
                    "Max Unavailable",
                    "The maximum number of pods that may be unavailable.",
                ),
                column(
                    "Allowed Disruptions",
                    "integer",
                    "",
                    "Calculated number of pods that may be disrupted at this time.",
                    0,
                ),
                age_column(),
            ],
            pdb_cells,
        ),
        _ => return None,
    })
}

/// An IntOrString as Go's `IntOrString.String()` prints it.
fn int_or_string(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => "N/A".to_string(),
    }
}

fn pdb_cells(obj: &Value, now: Timestamp) -> Cells {
    let cells = vec![
        s(name_of(obj)),
        s(int_or_string(get(obj, &["spec", "minAvailable"]))),
        s(int_or_string(get(obj, &["spec", "maxUnavailable"]))),
        json!(int(obj, &["status", "disruptionsAllowed"])),
        age(obj, now),
    ];
    (cells, None)
}
