//! The questions a client asks about itself: `SelfSubjectAccessReview` ("may I do this?",
//! `kubectl auth can-i`), `SelfSubjectRulesReview` ("what may I do here?", `kubectl auth can-i
//! --list`) and `SelfSubjectReview` ("who am I?", `kubectl auth whoami`). Every authenticated
//! user may ask them (Kubernetes' `system:basic-user` role); the answer is the request with its
//! `status` filled in, and nothing is stored.
//!
//! Answers come from the same rules that guard real requests ([`super::auth::authorize`]), so
//! `can-i` never says yes to what the server then forbids.

use super::auth::{authorize, is_read_verb, Attributes, User};
use super::catalog::{Catalog, ResourceInfo, REVIEWS};
use super::errors::ApiError;
use serde_json::{json, Map, Value};

/// Whether `info` is one of the review kinds.
pub fn is_review(info: &ResourceInfo) -> bool {
    REVIEWS
        .iter()
        .any(|&(group, kind, _)| info.group == group && info.kind == kind)
}

/// Answer a review `body` (already decoded) from `user`: the body with its `status`.
pub fn answer(
    user: User,
    info: &ResourceInfo,
    catalog: &Catalog,
    body: Value,
) -> Result<Value, ApiError> {
    let kind = body.get("kind").and_then(Value::as_str).unwrap_or("");
    if kind != info.kind {
        return Err(ApiError::bad_request(format!(
            "the kind in the data ({kind}) does not match the expected kind ({})",
            info.kind
        )));
    }
    let status = match info.kind.as_str() {
        "SelfSubjectAccessReview" => access_status(user, body.get("spec")),
        "SelfSubjectRulesReview" => rules_status(user, catalog),
        _ => json!({"userInfo": {"username": user.name(), "groups": user.groups()}}),
    };
    let mut answer = body;
    if let Some(map) = answer.as_object_mut() {
        map.insert("apiVersion".into(), json!(info.api_version()));
        let metadata = map
            .entry("metadata")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(metadata) = metadata.as_object_mut() {
            metadata.entry("creationTimestamp").or_insert(Value::Null);
        }
        map.insert("status".into(), status);
    }
    Ok(answer)
}

fn text<'a>(value: Option<&'a Value>, key: &str) -> &'a str {
    value
        .and_then(|v| v.get(key))
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// `status` of a SelfSubjectAccessReview: `{"allowed": …}`.
fn access_status(user: User, spec: Option<&Value>) -> Value {
    let resource = spec.and_then(|s| s.get("resourceAttributes"));
    let non_resource = spec.and_then(|s| s.get("nonResourceAttributes"));
    let allowed = match (resource, non_resource) {
        (Some(attrs), _) => may_access(user, Some(attrs)),
        (None, Some(attrs)) => {
            may_get_path(user, text(Some(attrs), "verb"), text(Some(attrs), "path"))
        }
        (None, None) => false,
    };
    json!({"allowed": allowed})
}

fn may_access(user: User, attrs: Option<&Value>) -> bool {
    let verb = text(attrs, "verb");
    let group = text(attrs, "group");
    let mut resource = text(attrs, "resource");
    if review_group_resource(group, resource) && verb == "create" {
        return true;
    }
    // A wildcard resource in the core group covers Secrets, which viewers may not read.
    if resource == "*" && matches!(group, "" | "*") {
        resource = "secrets";
    }
    if user == User::Viewer && (verb == "*" || group == "*" && resource == "*") {
        return false;
    }
    let subresource = Some(text(attrs, "subresource")).filter(|s| !s.is_empty());
    let namespace = Some(text(attrs, "namespace")).filter(|s| !s.is_empty());
    let name = Some(text(attrs, "name")).filter(|s| !s.is_empty());
    authorize(
        user,
        &Attributes {
            verb,
            group,
            plural: resource,
            subresource,
            namespace,
            name,
        },
    )
    .is_ok()
}

fn review_group_resource(group: &str, resource: &str) -> bool {
    REVIEWS
        .iter()
        .any(|&(g, _, plural)| g == group && plural == resource)
}

/// The paths any authenticated user may GET (Kubernetes' `system:discovery` and
/// `system:public-info-viewer`).
const PUBLIC_PATHS: &[&str] = &[
    "/healthz",
    "/livez",
    "/readyz",
    "/version",
    "/version/",
    "/api",
    "/api/*",
    "/apis",
    "/apis/*",
    "/openapi",
    "/openapi/*",
];

fn may_get_path(user: User, verb: &str, path: &str) -> bool {
    if user == User::Admin {
        return true;
    }
    verb == "get"
        && PUBLIC_PATHS
            .iter()
            .any(|pattern| match pattern.strip_suffix('*') {
                Some(prefix) => path.starts_with(prefix),
                None => path == *pattern,
            })
}

/// `status` of a SelfSubjectRulesReview: what the user may do, as RBAC rules.
fn rules_status(user: User, catalog: &Catalog) -> Value {
    let mut resource_rules = vec![
        json!({"verbs": ["create"], "apiGroups": ["authorization.k8s.io"],
               "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]}),
        json!({"verbs": ["create"], "apiGroups": ["authentication.k8s.io"],
               "resources": ["selfsubjectreviews"]}),
    ];
    let public = json!({"verbs": ["get"], "nonResourceURLs": PUBLIC_PATHS});
    let non_resource_rules = match user {
        User::Admin => {
            resource_rules.insert(
                0,
                json!({"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}),
            );
            vec![json!({"verbs": ["*"], "nonResourceURLs": ["*"]}), public]
        }
        User::Viewer => {
            // One rule per group, listing what the viewer may read (every kind but Secrets).
            let mut groups: Vec<(String, Vec<String>)> = Vec::new();
            for info in catalog.resources() {
                let readable = info.verbs.iter().any(|v| is_read_verb(v))
                    && !(info.group.is_empty() && info.plural == "secrets");
                if !readable {
                    continue;
                }
                match groups.iter_mut().find(|(g, _)| *g == info.group) {
                    Some((_, plurals)) => plurals.push(info.plural.clone()),
                    None => groups.push((info.group.clone(), vec![info.plural.clone()])),
                }
            }
            for (group, plurals) in groups {
                resource_rules.push(json!({"verbs": ["get", "list", "watch"],
                    "apiGroups": [group], "resources": plurals}));
            }
            vec![public]
        }
    };
    json!({"resourceRules": resource_rules, "nonResourceRules": non_resource_rules,
           "incomplete": false})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(verb: &str, group: &str, resource: &str) -> Value {
        json!({"verb": verb, "group": group, "resource": resource, "namespace": "shop"})
    }

    #[test]
    fn access_follows_the_rules_that_guard_requests() {
        for (user, verb, group, resource, allowed) in [
            (User::Admin, "create", "apps", "deployments", true),
            (User::Admin, "*", "*", "*", true),
            (User::Viewer, "create", "apps", "deployments", false),
            (User::Viewer, "list", "apps", "deployments", true),
            (User::Viewer, "get", "", "secrets", false),
            (User::Viewer, "list", "", "*", false),
            (User::Viewer, "*", "apps", "deployments", false),
            (
                User::Viewer,
                "create",
                "authorization.k8s.io",
                "selfsubjectaccessreviews",
                true,
            ),
        ] {
            assert_eq!(
                may_access(user, Some(&attrs(verb, group, resource))),
                allowed,
                "{user:?} {verb} {group}/{resource}"
            );
        }
        assert!(may_get_path(User::Viewer, "get", "/apis/apps/v1"));
        assert!(!may_get_path(User::Viewer, "get", "/metrics"));
        assert!(may_get_path(User::Admin, "get", "/metrics"));
    }
}
