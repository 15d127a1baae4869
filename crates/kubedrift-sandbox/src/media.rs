//! Output negotiation: what shape a response takes, from the request's `Accept` header.
//!
//! A real API server reads `Accept` as a list of media ranges tried by q-value (highest first,
//! a concrete type before a wildcard at equal q). A range carrying `as=`/`g=`/`v=` asks for a
//! transform: `as=Table` (what `kubectl get` sends) or `as=PartialObjectMetadata[List]` (what
//! metadata-only informers and kube-rs `*_metadata` calls send), both only in `meta.k8s.io`
//! `v1` or `v1beta1`. The first range the server can serve wins; when none can, the answer is
//! 406 NotAcceptable before anything is read or written. Responses are always JSON here (see
//! the crate's known gaps), so the media type only decides which ranges are acceptable.

use super::errors::ApiError;
use serde_json::{json, Map, Value};

/// The media types a real server lists in its 406 message.
const SERVED_MEDIA_TYPES: &str =
    "application/json, application/yaml, application/vnd.kubernetes.protobuf";

/// The group of the transform kinds.
const META_GROUP: &str = "meta.k8s.io";

/// What the response should be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// The objects themselves (no transform asked).
    Objects,
    /// A `meta.k8s.io` Table.
    Table,
    /// `meta.k8s.io/<version>` PartialObjectMetadata (`list: false`) or
    /// PartialObjectMetadataList (`list: true`): metadata only, never spec/data/status.
    Metadata { version: &'static str, list: bool },
}

/// One media range of an `Accept` header.
struct MediaRange<'a> {
    main: String,
    sub: String,
    params: Vec<(&'a str, &'a str)>,
    quality: f32,
}

impl MediaRange<'_> {
    fn param(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| *v)
    }

    /// The serializers this range matches, as (type, subtype), in the server's order.
    fn matched_types(&self) -> Vec<(&'static str, &'static str)> {
        const SERVED: [(&str, &str); 3] = [
            ("application", "json"),
            ("application", "yaml"),
            ("application", "vnd.kubernetes.protobuf"),
        ];
        SERVED
            .into_iter()
            .filter(|(main, sub)| {
                (self.main == *main && (self.sub == *sub || self.sub == "*"))
                    || (self.main == "*" && self.sub == "*")
            })
            .collect()
    }
}

fn parse_accept(accept: &str) -> Vec<MediaRange<'_>> {
    let mut ranges: Vec<MediaRange<'_>> = accept
        .split(',')
        .filter_map(|clause| {
            let mut parts = clause.split(';');
            let media = parts.next()?.trim();
            if media.is_empty() {
                return None;
            }
            let (main, sub) = media.split_once('/').unwrap_or((media, ""));
            let mut params = Vec::new();
            let mut quality = 1.0_f32;
            for part in parts {
                let Some((key, value)) = part.split_once('=') else {
                    continue;
                };
                let (key, value) = (key.trim(), value.trim());
                if key.eq_ignore_ascii_case("q") {
                    quality = value.parse().unwrap_or(0.0);
                } else {
                    params.push((key, value));
                }
            }
            Some(MediaRange {
                main: main.trim().to_ascii_lowercase(),
                sub: sub.trim().to_ascii_lowercase(),
                params,
                quality,
            })
        })
        .filter(|range| range.quality > 0.0)
        .collect();
    // Highest q first; at equal q a concrete type before a wildcard (stable otherwise).
    ranges.sort_by(|a, b| {
        b.quality
            .total_cmp(&a.quality)
            .then((a.main == "*").cmp(&(b.main == "*")))
            .then((a.sub == "*").cmp(&(b.sub == "*")))
    });
    ranges
}

/// What a range asks for, if the server can serve it as one of `types`.
fn acceptable(range: &MediaRange<'_>, types: &[(&str, &str)]) -> Option<Output> {
    let (kind, group, version) = (range.param("as"), range.param("g"), range.param("v"));
    if kind.is_none() && group.is_none() && version.is_none() {
        return (!types.is_empty()).then_some(Output::Objects);
    }
    let version = match (group, version) {
        (Some(META_GROUP), Some("v1")) => "v1",
        (Some(META_GROUP), Some("v1beta1")) => "v1beta1",
        _ => return None,
    };
    match kind? {
        // Tables are printed as JSON or YAML only.
        "Table" => types
            .iter()
            .any(|(_, sub)| *sub == "json" || *sub == "yaml")
            .then_some(Output::Table),
        "PartialObjectMetadata" => (!types.is_empty()).then_some(Output::Metadata {
            version,
            list: false,
        }),
        "PartialObjectMetadataList" => (!types.is_empty()).then_some(Output::Metadata {
            version,
            list: true,
        }),
        _ => None,
    }
}

/// Negotiate the response from an `Accept` header (absent or empty: the objects).
pub fn negotiate(accept: Option<&str>) -> Result<Output, ApiError> {
    let accept = accept.unwrap_or("").trim();
    if accept.is_empty() {
        return Ok(Output::Objects);
    }
    parse_accept(accept)
        .iter()
        .find_map(|range| acceptable(range, &range.matched_types()))
        .ok_or_else(|| {
            ApiError::new(
                406,
                "NotAcceptable",
                format!("only the following media types are accepted: {SERVED_MEDIA_TYPES}"),
            )
        })
}

/// How a real server names the Go type it refused to transform (`*v1.Secret`,
/// `*unstructured.UnstructuredList` for custom resources).
fn go_type(api_version: &str, kind: &str, custom: bool, list: bool) -> String {
    let suffix = if list { "List" } else { "" };
    if custom {
        return format!("*unstructured.Unstructured{suffix}");
    }
    let package = api_version.rsplit('/').next().unwrap_or(api_version);
    format!("*{package}.{kind}{suffix}")
}

/// The refusal when a single object was asked for as a list or a list as a single object.
pub fn shape_mismatch(list_asked: bool, api_version: &str, kind: &str, custom: bool) -> ApiError {
    let message = if list_asked {
        format!(
            "you requested PartialObjectMetadataList, but the requested object is not a list ({})",
            go_type(api_version, kind, custom, false)
        )
    } else {
        format!(
            "you requested PartialObjectMetadata, but the requested object is a list ({})",
            go_type(api_version, kind, custom, true)
        )
    };
    ApiError::new(406, "NotAcceptable", message)
}

/// `object` as a `meta.k8s.io/<version>` PartialObjectMetadata: its whole `metadata`, nothing
/// else. A Status (what some deletes answer) is passed through, as a real server does.
pub fn partial_object_metadata(object: &Value, version: &str) -> Value {
    if object.get("kind").and_then(Value::as_str) == Some("Status") {
        return object.clone();
    }
    let metadata = object
        .get("metadata")
        .cloned()
        .unwrap_or_else(|| Value::Object(Map::new()));
    json!({
        "kind": "PartialObjectMetadata",
        "apiVersion": format!("{META_GROUP}/{version}"),
        "metadata": metadata,
    })
}

/// A `meta.k8s.io/<version>` PartialObjectMetadataList of `objects`, with the list metadata
/// (resourceVersion, continue) of the list it stands for.
pub fn partial_object_metadata_list<'a>(
    objects: impl IntoIterator<Item = &'a Value>,
    version: &str,
    rv: u64,
    continue_token: Option<&str>,
) -> Value {
    let items: Vec<Value> = objects
        .into_iter()
        .map(|o| partial_object_metadata(o, version))
        .collect();
    let mut metadata = json!({"resourceVersion": rv.to_string()});
    if let Some(token) = continue_token {
        metadata["continue"] = Value::String(token.to_string());
    }
    json!({
        "kind": "PartialObjectMetadataList",
        "apiVersion": format!("{META_GROUP}/{version}"),
        "metadata": metadata,
        "items": items,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_accept_or_plain_json_means_the_objects() {
        assert_eq!(negotiate(None).ok(), Some(Output::Objects));
        assert_eq!(negotiate(Some("")).ok(), Some(Output::Objects));
        assert_eq!(
            negotiate(Some("application/json, */*")).ok(),
            Some(Output::Objects)
        );
        assert_eq!(
            negotiate(Some("application/vnd.kubernetes.protobuf, */*")).ok(),
            Some(Output::Objects)
        );
    }

    #[test]
    fn metadata_transforms_in_v1_and_v1beta1() {
        assert_eq!(
            negotiate(Some(
                "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
            ))
            .ok(),
            Some(Output::Metadata {
                version: "v1",
                list: true
            })
        );
        assert_eq!(
            negotiate(Some(
                "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1beta1"
            ))
            .ok(),
            Some(Output::Metadata {
                version: "v1beta1",
                list: false
            })
        );
    }

    #[test]
    fn kubectl_table_request_is_a_table() {
        let kubectl = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
        assert_eq!(negotiate(Some(kubectl)).ok(), Some(Output::Table));
        // Tables are not served as protobuf: the next range wins.
        assert_eq!(
            negotiate(Some(
                "application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io, application/json"
            ))
            .ok(),
            Some(Output::Objects)
        );
    }

    #[test]
    fn q_values_order_the_ranges() {
        let accept =
            "application/json;q=0.5, application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1";
        assert_eq!(
            negotiate(Some(accept)).ok(),
            Some(Output::Metadata {
                version: "v1",
                list: false
            })
        );
        let accept = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1;q=0.2, application/json;q=0.9";
        assert_eq!(negotiate(Some(accept)).ok(), Some(Output::Objects));
        // q=0 means "not acceptable".
        let accept = "application/json;as=Table;g=meta.k8s.io;v=v1;q=0, application/json";
        assert_eq!(negotiate(Some(accept)).ok(), Some(Output::Objects));
    }

    #[test]
    fn unsupported_transforms_and_types_are_406_unless_something_else_fits() {
        for accept in [
            "application/json;as=Pod;g=meta.k8s.io;v=v1",
            "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v2",
            "application/json;as=PartialObjectMetadata",
            "text/html",
            "text/plain;q=1, image/png",
        ] {
            let err = negotiate(Some(accept)).err();
            assert_eq!(
                err.as_ref().map(|e| (e.code, e.reason)),
                Some((406, "NotAcceptable")),
                "{accept}"
            );
            assert_eq!(
                err.map(|e| e.message),
                Some("only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf".to_string())
            );
        }
        assert_eq!(
            negotiate(Some(
                "application/json;as=Pod;g=meta.k8s.io;v=v1, application/json"
            ))
            .ok(),
            Some(Output::Objects)
        );
    }

    #[test]
    fn partial_metadata_keeps_metadata_only_and_passes_status_through() {
        let secret = json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "db", "labels": {"a": "b"}}, "data": {"password": "c2VjcmV0"}});
        assert_eq!(
            partial_object_metadata(&secret, "v1"),
            json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                "metadata": {"name": "db", "labels": {"a": "b"}}})
        );
        let status = json!({"kind": "Status", "apiVersion": "v1", "status": "Success"});
        assert_eq!(partial_object_metadata(&status, "v1"), status);
        assert_eq!(
            shape_mismatch(false, "apps/v1", "Deployment", false).message,
            "you requested PartialObjectMetadata, but the requested object is a list (*v1.DeploymentList)"
        );
    }
}
