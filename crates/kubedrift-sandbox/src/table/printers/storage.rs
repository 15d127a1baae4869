//! Printers of `storage.k8s.io/v1`: StorageClass.

use crate::table::columns::{age_column, name_column, text_column};
use crate::table::duration::age;
use crate::table::fields::{get, name_of, s, text};
use crate::table::printers::{Cells, Printer};
use jiff::Timestamp;
use serde_json::Value;

/// The printer of `kind` in `storage.k8s.io`; `None` for kinds the API server
/// prints with its default Table.
pub(super) fn printer(kind: &str) -> Option<Printer> {
    Some(match kind {
        "StorageClass" => Printer::new(
            vec![
                name_column(),
                text_column("Provisioner", "provisioner indicates the type of the provisioner."),
                text_column("ReclaimPolicy", "reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class."),
                text_column("VolumeBindingMode", "volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound."),
                text_column("AllowVolumeExpansion", "allowVolumeExpansion shows whether the storage class allow volume expand."),
                age_column(),
            ],
            storage_class_cells,
        ),
        _ => return None,
    })
}

fn storage_class_cells(obj: &Value, now: Timestamp) -> Cells {
    let annotations = get(obj, &["metadata", "annotations"]);
    let is_default = [
        "storageclass.kubernetes.io/is-default-class",
        "storageclass.beta.kubernetes.io/is-default-class",
    ]
    .iter()
    .any(|key| {
        annotations
            .and_then(|a| a.get(*key))
            .and_then(Value::as_str)
            == Some("true")
    });
    let name = if is_default {
        format!("{} (default)", name_of(obj))
    } else {
        name_of(obj).to_string()
    };
    let cells = vec![
        s(name),
        s(text(obj, &["provisioner"])),
        s(get(obj, &["reclaimPolicy"])
            .and_then(Value::as_str)
            .unwrap_or("Delete")),
        s(get(obj, &["volumeBindingMode"])
            .and_then(Value::as_str)
            .unwrap_or("Immediate")),
        Value::Bool(
            get(obj, &["allowVolumeExpansion"])
                .and_then(Value::as_bool)
                .unwrap_or(false),
        ),
        age(obj, now),
    ];
    (cells, None)
}
