//! Printers of `rbac.authorization.k8s.io/v1`: RoleBinding and ClusterRoleBinding (Role and
//! ClusterRole get the default Table).

use crate::table::columns::{age_column, name_column, text_column, wide_column};
use crate::table::duration::age;
use crate::table::fields::{list, name_of, s, text};
use crate::table::printers::{Cells, Printer};
use jiff::Timestamp;
use serde_json::Value;

/// The printer of `kind` in `rbac.authorization.k8s.io`; `None` for kinds the API server
/// prints with its default Table.
pub(super) fn printer(kind: &str) -> Option<Printer> {
    Some(match kind {
        "RoleBinding" | "ClusterRoleBinding" => Printer::new(
            vec![
                name_column(),
                text_column("Role", "RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace."),
                age_column(),
                wide_column("Users", "Users in the roleBinding"),
                wide_column("Groups", "Groups in the roleBinding"),
                wide_column("ServiceAccounts", "ServiceAccounts in the roleBinding"),
            ],
            role_binding_cells,
        ),
        _ => return None,
    })
}

fn role_binding_cells(obj: &Value, now: Timestamp) -> Cells {
    let role = format!(
        "{}/{}",
        text(obj, &["roleRef", "kind"]),
        text(obj, &["roleRef", "name"])
    );
    let (mut users, mut groups, mut service_accounts) = (Vec::new(), Vec::new(), Vec::new());
    for subject in list(obj, &["subjects"]) {
        let name = text(subject, &["name"]);
        match text(subject, &["kind"]) {
            "User" => users.push(name.to_string()),
            "Group" => groups.push(name.to_string()),
            "ServiceAccount" => {
                service_accounts.push(format!("{}/{name}", text(subject, &["namespace"])))
            }
            _ => {}
        }
    }
    let cells = vec![
        s(name_of(obj)),
        s(role),
        age(obj, now),
        s(users.join(", ")),
        s(groups.join(", ")),
        s(service_accounts.join(", ")),
    ];
    (cells, None)
}
