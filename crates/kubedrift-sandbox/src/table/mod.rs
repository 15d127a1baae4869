//! Server-side printing: `meta.k8s.io/v1` Tables, as kube-apiserver v1.32 returns them when a
//! client asks for `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` (what `kubectl get`
//! does).
//!
//! kubectl prints whatever columns and cells the server sends, so for `kubectl get` against the
//! sandbox to look like a real cluster, the columns (names, types, priorities) and the cell
//! formatting (ages, `80:30080/TCP`, `<none>`, `1/1`, ...) must match the real printers. Like the
//! real server, rows always carry the wide (priority 1) cells; kubectl hides those columns unless
//! `-o wide`.
//!
//! Pure: objects and the current time in, a Table out. Never panics on malformed objects: a
//! missing field prints the way the real printer prints a zero value.

mod columns;
mod custom;
mod duration;
mod envelope;
mod fields;
mod format;
mod jsonpath;
mod plain;
mod printers;
#[cfg(test)]
mod tests;

pub use custom::to_table_with_printer_columns;
pub use duration::human_duration;
pub use envelope::{IncludeObject, InvalidIncludeObject};
pub use plain::render_plain;

use crate::catalog::ResourceInfo;
use envelope::{default_table, row, table};
use jiff::Timestamp;
use printers::builtin_printer;
use serde_json::Value;

/// The Table for `objects` (all of kind `resource`), as kube-apiserver v1.32 prints them.
///
/// Built-in kinds with a printer get their columns; other built-in kinds get the API server's
/// default `NAME  CREATED AT`; custom resources get `NAME` plus the CRD's
/// `additionalPrinterColumns` (`NAME  AGE` when it declares none).
/// `metadata` is left empty: the caller adds the list's `resourceVersion` / `continue`.
pub fn to_table(
    resource: &ResourceInfo,
    objects: &[Value],
    now: Timestamp,
    include_object: IncludeObject,
) -> Value {
    if let Some(printer) = builtin_printer(&resource.group, &resource.kind) {
        let rows = objects
            .iter()
            .map(|obj| {
                let (cells, conditions) = (printer.cells)(obj, now);
                row(cells, conditions, obj, include_object)
            })
            .collect();
        return table(printer.columns, rows);
    }
    if resource.custom || !is_builtin_group(&resource.group) {
        to_table_with_printer_columns(&resource.printer_columns, objects, now, include_object)
    } else {
        default_table(objects, include_object)
    }
}

/// Whether `group` is served by kube-apiserver itself (core, `apps`, `*.k8s.io`, ...), as
/// opposed to a CRD; CRD groups must contain a dot and may not end in `.k8s.io` unapproved.
pub fn is_builtin_group(group: &str) -> bool {
    !group.contains('.') || group.ends_with(".k8s.io")
}
