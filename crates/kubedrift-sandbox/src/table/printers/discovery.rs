//! Printers of `discovery.k8s.io/v1`: EndpointSlice.

use crate::table::columns::{age_column, name_column, text_column};
use crate::table::duration::age;
use crate::table::fields::{get, list, name_of, s, text};
use crate::table::printers::{Cells, Printer};
use jiff::Timestamp;
use serde_json::Value;

/// The printer of `kind` in `discovery.k8s.io`; `None` for kinds the API server
/// prints with its default Table.
pub(super) fn printer(kind: &str) -> Option<Printer> {
    Some(match kind {
        "EndpointSlice" => Printer::new(
            vec![
                name_column(),
                text_column("AddressType", "addressType specifies the type of address carried by this EndpointSlice."),
                text_column("Ports", "ports specifies the list of network ports exposed by each endpoint in this slice."),
                text_column("Endpoints", "endpoints is a list of unique endpoints in this slice."),
                age_column(),
            ],
            endpoint_slice_cells,
        ),
        _ => return None,
    })
}

/// `listWithMoreString`: up to three items, then `+ N more...`; `<unset>` when empty.
fn list_with_more(items: Vec<String>) -> String {
    const MAX: usize = 3;
    let count = items.len();
    if count == 0 {
        return "<unset>".to_string();
    }
    let shown = items.into_iter().take(MAX).collect::<Vec<_>>().join(",");
    if count > MAX {
        format!("{shown} + {} more...", count - MAX)
    } else {
        shown
    }
}

fn endpoint_slice_cells(obj: &Value, now: Timestamp) -> Cells {
    let ports = list(obj, &["ports"])
        .iter()
        .map(|p| {
            match (
                get(p, &["port"]).and_then(Value::as_i64),
                get(p, &["name"]).and_then(Value::as_str),
            ) {
                (Some(port), _) => port.to_string(),
                (None, Some(name)) => name.to_string(),
                (None, None) => "*".to_string(),
            }
        })
        .collect();
    let addresses = list(obj, &["endpoints"])
        .iter()
        .flat_map(|e| {
            list(e, &["addresses"])
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
        })
        .collect();
    let cells = vec![
        s(name_of(obj)),
        s(text(obj, &["addressType"])),
        s(list_with_more(ports)),
        s(list_with_more(addresses)),
        age(obj, now),
    ];
    (cells, None)
}
