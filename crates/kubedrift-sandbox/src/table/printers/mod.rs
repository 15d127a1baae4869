//! Built-in printers: for each kind kube-apiserver prints, the columns it declares and the cells
//! of one object. One file per API group (`core` is split by concern); the dispatch on group is
//! here.

mod apps;
mod autoscaling;
mod batch;
mod coordination;
mod core;
mod discovery;
mod networking;
mod policy;
mod rbac;
mod scheduling;
mod storage;

use jiff::Timestamp;
use serde_json::Value;

/// The cells of one row, and its `conditions` (Pods say whether they completed).
pub(super) type Cells = (Vec<Value>, Option<Value>);

/// The columns a kind is printed with, and how to fill them for one object.
pub(super) struct Printer {
    pub(super) columns: Vec<Value>,
    pub(super) cells: fn(&Value, Timestamp) -> Cells,
}

impl Printer {
    fn new(columns: Vec<Value>, cells: fn(&Value, Timestamp) -> Cells) -> Printer {
        Printer { columns, cells }
    }
}

/// The printer of a built-in kind, `None` for kinds the API server prints with its default
/// Table (Role, ClusterRole, CustomResourceDefinition, ...).
pub(super) fn builtin_printer(group: &str, kind: &str) -> Option<Printer> {
    match group {
        "" => core::printer(kind),
        "apps" => apps::printer(kind),
        "batch" => batch::printer(kind),
        "networking.k8s.io" => networking::printer(kind),
        "autoscaling" => autoscaling::printer(kind),
        "rbac.authorization.k8s.io" => rbac::printer(kind),
        "policy" => policy::printer(kind),
        "storage.k8s.io" => storage::printer(kind),
        "discovery.k8s.io" => discovery::printer(kind),
        "scheduling.k8s.io" => scheduling::printer(kind),
        "coordination.k8s.io" => coordination::printer(kind),
        _ => None,
    }
}
