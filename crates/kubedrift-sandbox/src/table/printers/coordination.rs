//! Printers of `coordination.k8s.io/v1`: Lease.

use crate::table::columns::{age_column, name_column, text_column};
use crate::table::duration::age;
use crate::table::fields::{name_of, s, text};
use crate::table::printers::{Cells, Printer};
use jiff::Timestamp;
use serde_json::Value;

/// The printer of `kind` in `coordination.k8s.io`; `None` for kinds the API server
/// prints with its default Table.
pub(super) fn printer(kind: &str) -> Option<Printer> {
    Some(match kind {
        "Lease" => Printer::new(
            vec![
                name_column(),
                text_column(
                    "Holder",
                    "holderIdentity contains the identity of the holder of a current lease.",
                ),
                age_column(),
            ],
            lease_cells,
        ),
        _ => return None,
    })
}

fn lease_cells(obj: &Value, now: Timestamp) -> Cells {
    (
        vec![
            s(name_of(obj)),
            s(text(obj, &["spec", "holderIdentity"])),
            age(obj, now),
        ],
        None,
    )
}
