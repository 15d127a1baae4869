//! Printers of `apps/v1`: Deployment, ReplicaSet, StatefulSet, DaemonSet.

use crate::table::columns::{
    age_column, column, name_column, text_column, wide_column, CONTAINERS_DESCRIPTION,
    IMAGES_DESCRIPTION,
};
use crate::table::duration::age;
use crate::table::fields::{get, int, name_of, s};
use crate::table::format::{
    container_cells, format_label_selector, format_labels, replicas_or_default, selector_string,
};
use crate::table::printers::{Cells, Printer};
use jiff::Timestamp;
use serde_json::{json, Value};

/// The printer of `kind` in `apps`; `None` for kinds the API server
/// prints with its default Table.
pub(super) fn printer(kind: &str) -> Option<Printer> {
    Some(match kind {
        "Deployment" => Printer::new(
            vec![
                name_column(),
                text_column("Ready", "Number of the pod with ready state"),
                text_column("Up-to-date", "Total number of non-terminated pods targeted by this deployment that have the desired template spec."),
                text_column("Available", "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment."),
                age_column(),
                wide_column("Containers", CONTAINERS_DESCRIPTION),
                wide_column("Images", IMAGES_DESCRIPTION),
                wide_column("Selector", "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment."),
            ],
            deployment_cells,
        ),
        "ReplicaSet" => Printer::new(
            vec![
                name_column(),
                column("Desired", "integer", "", "Replicas is the number of desired replicas.", 0),
                column("Current", "integer", "", "Replicas is the most recently observed number of replicas.", 0),
                column("Ready", "integer", "", "readyReplicas is the number of pods targeted by this ReplicaSet with a Ready Condition.", 0),
                age_column(),
                wide_column("Containers", CONTAINERS_DESCRIPTION),
                wide_column("Images", IMAGES_DESCRIPTION),
                wide_column("Selector", "Selector is a label query over pods that should match the replica count."),
            ],
            replica_set_cells,
        ),
        "StatefulSet" => Printer::new(
            vec![
                name_column(),
                text_column("Ready", "Number of the pod with ready state"),
                age_column(),
                wide_column("Containers", CONTAINERS_DESCRIPTION),
                wide_column("Images", IMAGES_DESCRIPTION),
            ],
            stateful_set_cells,
        ),
        "DaemonSet" => Printer::new(
            vec![
                name_column(),
                column("Desired", "integer", "", "The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod).", 0),
                column("Current", "integer", "", "The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.", 0),
                column("Ready", "integer", "", "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.", 0),
                column("Up-to-date", "integer", "", "The total number of nodes that are running updated daemon pod", 0),
                column("Available", "integer", "", "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)", 0),
                text_column("Node Selector", "NodeSelector is a selector which must be true for the pod to fit on a node."),
                age_column(),
                wide_column("Containers", CONTAINERS_DESCRIPTION),
                wide_column("Images", IMAGES_DESCRIPTION),
                wide_column("Selector", "A label query over pods that are managed by the daemon set."),
            ],
            daemon_set_cells,
        ),
        _ => return None,
    })
}

fn deployment_cells(obj: &Value, now: Timestamp) -> Cells {
    let (names, images) = container_cells(get(obj, &["spec", "template", "spec"]));
    let selector =
        selector_string(get(obj, &["spec", "selector"])).unwrap_or_else(|| "<invalid>".into());
    let cells = vec![
        s(name_of(obj)),
        s(format!(
            "{}/{}",
            int(obj, &["status", "readyReplicas"]),
            replicas_or_default(obj)
        )),
        json!(int(obj, &["status", "updatedReplicas"])),
        json!(int(obj, &["status", "availableReplicas"])),
        age(obj, now),
        names,
        images,
        s(selector),
    ];
    (cells, None)
}

fn replica_set_cells(obj: &Value, now: Timestamp) -> Cells {
    let (names, images) = container_cells(get(obj, &["spec", "template", "spec"]));
    let cells = vec![
        s(name_of(obj)),
        json!(replicas_or_default(obj)),
        json!(int(obj, &["status", "replicas"])),
        json!(int(obj, &["status", "readyReplicas"])),
        age(obj, now),
        names,
        images,
        s(format_label_selector(get(obj, &["spec", "selector"]))),
    ];
    (cells, None)
}

fn stateful_set_cells(obj: &Value, now: Timestamp) -> Cells {
    let (names, images) = container_cells(get(obj, &["spec", "template", "spec"]));
    let cells = vec![
        s(name_of(obj)),
        s(format!(
            "{}/{}",
            int(obj, &["status", "readyReplicas"]),
            replicas_or_default(obj)
        )),
        age(obj, now),
        names,
        images,
    ];
    (cells, None)
}

fn daemon_set_cells(obj: &Value, now: Timestamp) -> Cells {
    let (names, images) = container_cells(get(obj, &["spec", "template", "spec"]));
    let cells = vec![
        s(name_of(obj)),
        json!(int(obj, &["status", "desiredNumberScheduled"])),
        json!(int(obj, &["status", "currentNumberScheduled"])),
        json!(int(obj, &["status", "numberReady"])),
        json!(int(obj, &["status", "updatedNumberScheduled"])),
        json!(int(obj, &["status", "numberAvailable"])),
        s(format_labels(get(
            obj,
            &["spec", "template", "spec", "nodeSelector"],
        ))),
        age(obj, now),
        names,
        images,
        s(format_label_selector(get(obj, &["spec", "selector"]))),
    ];
    (cells, None)
}
