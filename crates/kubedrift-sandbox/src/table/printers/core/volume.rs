//! PersistentVolume and PersistentVolumeClaim cells: capacity, access modes, storage class,
//! claim and phase.

use crate::table::duration::age;
use crate::table::fields::{get, list, name_of, s, text};
use crate::table::format::quantity;
use crate::table::printers::Cells;
use jiff::Timestamp;
use serde_json::Value;

/// `GetAccessModesAsString`: RWO, ROX, RWX, RWOP in that order.
fn access_modes(modes: &[Value]) -> String {
    let has = |mode: &str| modes.iter().any(|m| m.as_str() == Some(mode));
    [
        ("ReadWriteOnce", "RWO"),
        ("ReadOnlyMany", "ROX"),
        ("ReadWriteMany", "RWX"),
        ("ReadWriteOncePod", "RWOP"),
    ]
    .iter()
    .filter(|(mode, _)| has(mode))
    .map(|(_, short)| *short)
    .collect::<Vec<_>>()
    .join(",")
}

pub(super) fn pvc_cells(obj: &Value, now: Timestamp) -> Cells {
    let deleting = get(obj, &["metadata", "deletionTimestamp"]).is_some_and(|v| !v.is_null());
    let phase = if deleting {
        "Terminating"
    } else {
        text(obj, &["status", "phase"])
    };
    let volume = text(obj, &["spec", "volumeName"]);
    let (capacity, modes) = if volume.is_empty() {
        (String::new(), String::new())
    } else {
        (
            text(obj, &["status", "capacity", "storage"]).to_string(),
            access_modes(list(obj, &["status", "accessModes"])),
        )
    };
    let class = get(
        obj,
        &[
            "metadata",
            "annotations",
            "volume.beta.kubernetes.io/storage-class",
        ],
    )
    .and_then(Value::as_str)
    .unwrap_or_else(|| text(obj, &["spec", "storageClassName"]));
    let attributes_class = get(obj, &["spec", "volumeAttributesClassName"])
        .and_then(Value::as_str)
        .unwrap_or("<unset>");
    let volume_mode = get(obj, &["spec", "volumeMode"])
        .and_then(Value::as_str)
        .unwrap_or("<unset>");
    let cells = vec![
        s(name_of(obj)),
        s(phase),
        s(volume),
        s(capacity),
        s(modes),
        s(class),
        s(attributes_class),
        age(obj, now),
        s(volume_mode),
    ];
    (cells, None)
}

/// `GetPersistentVolumeClass` / `GetPersistentVolumeClaimClass`: the beta annotation wins.
fn storage_class_of(obj: &Value) -> &str {
    get(
        obj,
        &[
            "metadata",
            "annotations",
            "volume.beta.kubernetes.io/storage-class",
        ],
    )
    .and_then(Value::as_str)
    .unwrap_or_else(|| text(obj, &["spec", "storageClassName"]))
}

pub(super) fn pv_cells(obj: &Value, now: Timestamp) -> Cells {
    let claim = match get(obj, &["spec", "claimRef"]).filter(|c| c.is_object()) {
        Some(claim) => format!("{}/{}", text(claim, &["namespace"]), text(claim, &["name"])),
        None => String::new(),
    };
    let deleting = get(obj, &["metadata", "deletionTimestamp"]).is_some_and(|v| !v.is_null());
    let phase = if deleting {
        "Terminating"
    } else {
        text(obj, &["status", "phase"])
    };
    let cells = vec![
        s(name_of(obj)),
        s(quantity(get(obj, &["spec", "capacity", "storage"]))),
        s(access_modes(list(obj, &["spec", "accessModes"]))),
        s(text(obj, &["spec", "persistentVolumeReclaimPolicy"])),
        s(phase),
        s(claim),
        s(storage_class_of(obj)),
        s(get(obj, &["spec", "volumeAttributesClassName"])
            .and_then(Value::as_str)
            .unwrap_or("<unset>")),
        s(text(obj, &["status", "reason"])),
        age(obj, now),
        s(get(obj, &["spec", "volumeMode"])
            .and_then(Value::as_str)
            .unwrap_or("<unset>")),
    ];
    (cells, None)
}
