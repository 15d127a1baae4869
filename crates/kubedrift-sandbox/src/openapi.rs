//! A minimal OpenAPI v3 surface: enough for kubectl to learn that the server validates fields
//! itself (`fieldValidation` on PATCH), so `kubectl apply/diff/edit/create` validate
//! server-side instead of failing with "failed to download openapi".
//!
//! No schemas are published (a documented gap): kubectl then computes strategic merge patches
//! from its compiled-in types for built-in kinds and uses merge patches for custom resources,
//! exactly as it does against servers whose OpenAPI lacks a kind.

use super::catalog::{Catalog, ResourceInfo};
use serde_json::{json, Map, Value};

fn gv_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

/// `GET /openapi/v3`: the group-versions and where their documents are.
pub fn root(catalog: &Catalog) -> Value {
    let mut paths = Map::new();
    let mut gvs: Vec<(String, String)> = vec![(String::new(), "v1".to_string())];
    for (group, versions) in catalog.groups() {
        for version in versions {
            gvs.push((group.clone(), version));
        }
    }
    for (group, version) in gvs {
        let path = gv_path(&group, &version);
        // The hash only has to change when the document does; the resource list is enough.
        let names: Vec<String> = catalog
            .in_group_version(&group, &version)
            .iter()
            .map(|r| r.plural.clone())
            .collect();
        let hash = fnv(&names.join(","));
        paths.insert(
            path.clone(),
            json!({"serverRelativeURL": format!("/openapi/v3/{path}?hash={hash:016X}")}),
        );
    }
    json!({"paths": paths})
}

fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    })
}

fn patch_operation(info: &ResourceInfo) -> Value {
    let query = |name: &str| json!({"name": name, "in": "query", "schema": {"type": "string", "uniqueItems": true}});
    json!({
        "tags": [info.group.clone()],
        "description": format!("partially update the specified {}", info.kind),
        "operationId": format!("patch{}", info.kind),
        "parameters": [query("dryRun"), query("fieldManager"), query("fieldValidation"), query("force")],
        "responses": {"200": {"description": "OK"}},
        "x-kubernetes-action": "patch",
        "x-kubernetes-group-version-kind": {"group": info.group, "version": info.version, "kind": info.kind},
    })
}

/// `GET /openapi/v3/{api/v1 | apis/group/version}`, or None for an unknown group-version.
pub fn group_version(catalog: &Catalog, group: &str, version: &str) -> Option<Value> {
    let resources = catalog.in_group_version(group, version);
    if resources.is_empty() {
        return None;
    }
    let prefix = format!("/{}", gv_path(group, version));
    let mut paths = Map::new();
    for info in &resources {
        let item = if info.namespaced {
            format!("{prefix}/namespaces/{{namespace}}/{}/{{name}}", info.plural)
        } else {
            format!("{prefix}/{}/{{name}}", info.plural)
        };
        paths.insert(item, json!({"patch": patch_operation(info)}));
    }
    Some(json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": super::server::GIT_VERSION},
        "paths": paths,
        "components": {"schemas": {}},
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_lists_every_group_version_and_documents_patch_params() {
        let catalog = Catalog::builtin();
        let root = root(&catalog);
        assert!(root["paths"]["api/v1"]["serverRelativeURL"]
            .as_str()
            .is_some_and(|u| u.starts_with("/openapi/v3/api/v1?hash=")));
        assert!(root["paths"].get("apis/apps/v1").is_some());
        let apps = group_version(&catalog, "apps", "v1").expect("apps/v1 served");
        let op = &apps["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"];
        assert_eq!(op["x-kubernetes-group-version-kind"]["kind"], "Deployment");
        assert!(op["parameters"]
            .as_array()
            .is_some_and(|p| p.iter().any(|q| q["name"] == "fieldValidation")));
        assert!(group_version(&catalog, "apps", "v9").is_none());
    }
}
