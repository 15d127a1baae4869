//! Column definitions: the `TableColumnDefinition`s printers declare (name, type, format,
//! description, priority), and the descriptions several printers share.

use serde_json::{json, Value};

pub(super) const NAME_DESCRIPTION: &str =
    "Name must be unique within a namespace. Is required when creating \
resources, although some resources may allow a client to request the generation of an appropriate \
name automatically. Name is primarily intended for creation idempotence and configuration \
definition. Cannot be updated. More info: \
https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";

pub(super) const AGE_DESCRIPTION: &str =
    "CreationTimestamp is a timestamp representing the server time when \
this object was created. It is not guaranteed to be set in happens-before order across separate \
operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\n\
Populated by the system. Read-only. Null for lists. More info: \
https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

pub(super) const CONTAINERS_DESCRIPTION: &str = "Names of each container in the template.";

pub(super) const IMAGES_DESCRIPTION: &str = "Images referenced by each container in the template.";

pub(super) fn column(
    name: &str,
    ty: &str,
    format: &str,
    description: &str,
    priority: i64,
) -> Value {
    json!({
        "name": name,
        "type": ty,
        "format": format,
        "description": description,
        "priority": priority,
    })
}

pub(super) fn name_column() -> Value {
    column("Name", "string", "name", NAME_DESCRIPTION, 0)
}

pub(super) fn age_column() -> Value {
    column("Age", "string", "", AGE_DESCRIPTION, 0)
}

pub(super) fn text_column(name: &str, description: &str) -> Value {
    column(name, "string", "", description, 0)
}

pub(super) fn wide_column(name: &str, description: &str) -> Value {
    column(name, "string", "", description, 1)
}
