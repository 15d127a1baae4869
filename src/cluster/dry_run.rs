//! Server-side apply in dry-run mode: what the API server would store if kubedrift applied
//! the desired object now (defaulting, admission webhooks), without storing anything.

use crate::model::{group_of, Object, FIELD_MANAGER};
use kube::api::{Api, DynamicObject, Patch, PatchParams};
use kube::core::GroupVersionKind;

/// Send `desired` as a server-side apply with `dryRun=All` and field manager `kubedrift`
/// (forced, as a sync would be) and return the object the server would store.
///
/// `namespace` is the namespace the app puts the object in (its key's namespace: the
/// manifest's, else the app's); it is also written into the body, so a manifest without
/// `metadata.namespace` is never applied to the kubeconfig's default namespace.
pub async fn server_side_dry_run(
    client: &kube::Client,
    desired: &Object,
    namespace: Option<&str>,
) -> Result<Object, String> {
    let api_version = desired
        .get("apiVersion")
        .and_then(|v| v.as_str())
        .ok_or("desired object has no apiVersion")?;
    let kind = desired
        .get("kind")
        .and_then(|v| v.as_str())
        .ok_or("desired object has no kind")?;
    let name = desired
        .pointer("/metadata/name")
        .and_then(|v| v.as_str())
        .ok_or("desired object has no metadata.name")?;
    let version = api_version.rsplit('/').next().unwrap_or(api_version);
    let gvk = GroupVersionKind::gvk(group_of(api_version), version, kind);
    let (resource, caps) = kube::discovery::pinned_kind(client, &gvk)
        .await
        .map_err(|e| format!("{kind} {name}: discovery: {e}"))?;
    let namespace = namespace.or_else(|| {
        desired
            .pointer("/metadata/namespace")
            .and_then(|v| v.as_str())
            .filter(|ns| !ns.is_empty())
    });
    let mut body = desired.clone();
    let api: Api<DynamicObject> = match (caps.scope, namespace) {
        (kube::discovery::Scope::Namespaced, Some(ns)) => {
            if let Some(metadata) = body.get_mut("metadata").and_then(|m| m.as_object_mut()) {
                metadata.insert("namespace".to_string(), ns.into());
            }
            Api::namespaced_with(client.clone(), ns, &resource)
        }
        (kube::discovery::Scope::Namespaced, None) => {
            Api::default_namespaced_with(client.clone(), &resource)
        }
        (kube::discovery::Scope::Cluster, _) => Api::all_with(client.clone(), &resource),
    };
    let params = PatchParams::apply(FIELD_MANAGER).force().dry_run();
    let result = api
        .patch(name, &params, &Patch::Apply(&body))
        .await
        .map_err(|e| match e {
            kube::Error::Api(status) => {
                format!("{kind} {name}: {} ({})", status.message, status.code)
            }
            other => format!("{kind} {name}: {other}"),
        })?;
    let mut value = serde_json::to_value(&result).map_err(|e| e.to_string())?;
    if let Some(map) = value.as_object_mut() {
        map.entry("apiVersion")
            .or_insert_with(|| api_version.into());
        map.entry("kind").or_insert_with(|| kind.into());
    }
    Ok(value)
}
