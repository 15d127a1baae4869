//! The HTTP face of a sandbox cluster: routing of Kubernetes REST paths, discovery, request
//! decoding, auth and faults, onto [`ApiServer`] operations.
//!
//! Everything from the network is untrusted: paths, query strings, headers and bodies are
//! decoded defensively and every failure becomes a Kubernetes `Status`, never a panic.

use super::api_server::{ApiServer, DeleteOptions, PatchKind, Subresource, WriteOptions};
use super::auth::{authorize, Attributes};
use super::catalog::ResourceInfo;
use super::errors::{qualified_resource, ApiError};
use super::media::{self, Output};
use super::openapi;
use super::protobuf::{self, ProtobufError};
use super::selectors::{FieldSelector, LabelSelector};
use super::store::WatchStart;
use super::table::{to_table, IncludeObject};
use super::watch::{start_watch, WatchParams};
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use base64::Engine;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

/// Largest request body accepted (a real API server's limit is 3 MiB).
pub const MAX_BODY_BYTES: usize = 3 * 1024 * 1024;

/// The version the sandbox claims to be (kubectl 1.32 expects no skew).
pub const GIT_VERSION: &str = "v1.32.2";

/// The router serving one cluster.
pub fn router(api: Arc<ApiServer>) -> Router {
    Router::new().fallback(handle).with_state(api)
}

fn json_response(code: u16, body: &Value) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    bytes_response(code, bytes)
}

fn bytes_response(code: u16, bytes: Vec<u8>) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, [(header::CONTENT_TYPE, "application/json")], bytes).into_response()
}

fn error_response(err: &ApiError) -> Response {
    let mut response = json_response(err.code, &err.to_status());
    if let Some(secs) = err
        .details
        .as_ref()
        .and_then(|d| d.get("retryAfterSeconds"))
        .and_then(Value::as_u64)
    {
        if let Ok(value) = secs.to_string().parse() {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
    }
    response
}

async fn handle(State(api): State<Arc<ApiServer>>, request: Request) -> Response {
    let faults = Arc::clone(&api.faults);
    let latency = faults.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if let Some(secs) = faults.throttle() {
        return error_response(&ApiError::too_many_requests(secs));
    }
    if faults.should_fail_request() {
        return error_response(&ApiError::internal(
            "sandbox fault injection: simulated internal error",
        ));
    }
    match route(api, request).await {
        Ok(response) => response,
        Err(err) => error_response(&err),
    }
}

/// Decoded query parameters (repeated keys: last wins, except where noted).
#[derive(Debug, Default, Clone)]
pub struct Query {
    pairs: Vec<(String, String)>,
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Query {
    pub fn parse(query: Option<&str>) -> Self {
        let pairs = query
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (percent_decode(k), percent_decode(v)),
                None => (percent_decode(p), String::new()),
            })
            .collect();
        Query { pairs }
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn flag(&self, key: &str) -> bool {
        matches!(self.get(key), Some("true" | "1" | "")) && self.pairs.iter().any(|(k, _)| k == key)
    }

    fn dry_run(&self) -> Result<bool, ApiError> {
        match self.get("dryRun") {
            None | Some("") => Ok(false),
            Some("All") => Ok(true),
            Some(other) => Err(ApiError::bad_request(format!(
                "Invalid dry run value: {other:?}, only \"All\" is supported"
            ))),
        }
    }
}

/// A request aimed at a resource.
#[derive(Debug, Clone)]
pub struct Target {
    pub info: ResourceInfo,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub subresource: Option<String>,
}

/// Map the path segments after `/api/v1` or `/apis/{g}/{v}` to a resource.
pub fn resolve(
    api: &ApiServer,
    group: &str,
    version: &str,
    rest: &[&str],
) -> Result<Target, ApiError> {
    let catalog = api.catalog();
    let find = |plural: &str| catalog.by_plural(group, version, plural);
    let target =
        |info: ResourceInfo, ns: Option<&str>, name: Option<&str>, sub: Option<&str>| Target {
            info,
            namespace: ns.map(str::to_string),
            name: name.map(str::to_string),
            subresource: sub.map(str::to_string),
        };
    match rest {
        ["namespaces", ns, plural, tail @ ..] if find(plural).is_some_and(|i| i.namespaced) => {
            let info = find(plural).ok_or_else(ApiError::unknown_path)?;
            match tail {
                [] => Ok(target(info, Some(ns), None, None)),
                [name] => Ok(target(info, Some(ns), Some(name), None)),
                [name, sub] => Ok(target(info, Some(ns), Some(name), Some(sub))),
                _ => Err(ApiError::unknown_path()),
            }
        }
        [plural, tail @ ..] => {
            let info = find(plural).ok_or_else(ApiError::unknown_path)?;
            match (info.namespaced, tail) {
                (_, []) => Ok(target(info, None, None, None)),
                (false, [name]) => Ok(target(info, None, Some(name), None)),
                (false, [name, sub]) => Ok(target(info, None, Some(name), Some(sub))),
                _ => Err(ApiError::unknown_path()),
            }
        }
        [] => Err(ApiError::unknown_path()),
    }
}

async fn route(api: Arc<ApiServer>, request: Request) -> Result<Response, ApiError> {
    let path = request.uri().path().to_string();
    match path.as_str() {
        "/healthz" | "/readyz" | "/livez" => {
            return Ok((
                StatusCode::OK,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                "ok",
            )
                .into_response())
        }
        "/version" => return Ok(json_response(200, &version_info())),
        _ => {}
    }
    let authorization = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let user = api.tokens.authenticate(authorization)?;
    let segments: Vec<&str> = path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    if matches!(
        segments.as_slice(),
        ["api"] | ["apis"] | ["api", _] | ["apis", _] | ["apis", _, _]
    ) {
        api.discovery_requests
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    let (group, version, rest): (&str, &str, &[&str]) = match segments.as_slice() {
        ["api"] if wants_aggregated(&request) => return Ok(aggregated_response(&api, true)),
        ["apis"] if wants_aggregated(&request) => return Ok(aggregated_response(&api, false)),
        ["api"] => return Ok(json_response(200, &api_versions(&api))),
        ["openapi", "v3"] => return Ok(json_response(200, &openapi::root(&api.catalog()))),
        ["openapi", "v3", "api", version] => {
            return openapi::group_version(&api.catalog(), "", version)
                .map(|doc| json_response(200, &doc))
                .ok_or_else(ApiError::unknown_path)
        }
        ["openapi", "v3", "apis", group, version] => {
            return openapi::group_version(&api.catalog(), group, version)
                .map(|doc| json_response(200, &doc))
                .ok_or_else(ApiError::unknown_path)
        }
        ["apis"] => return Ok(json_response(200, &api_group_list(&api))),
        ["api", "v1"] => return Ok(json_response(200, &resource_list(&api, "", "v1"))),
        ["apis", group] => return api_group(&api, group).map(|v| json_response(200, &v)),
        ["apis", group, version] => {
            let list = resource_list(&api, group, version);
            if list["resources"].as_array().is_none_or(|r| r.is_empty()) {
                return Err(ApiError::unknown_path());
            }
            return Ok(json_response(200, &list));
        }
        ["api", "v1", rest @ ..] => ("", "v1", rest),
        ["apis", group, version, rest @ ..] => (group, version, rest),
        _ => return Err(ApiError::unknown_path()),
    };
    let target = resolve(&api, group, version, rest)?;
    let query = Query::parse(request.uri().query());
    let method = request.method().clone();
    let verb = match (&method, target.name.is_some()) {
        (&Method::GET, true) => "get",
        (&Method::GET, false) if query.flag("watch") => "watch",
        (&Method::GET, false) => "list",
        (&Method::POST, false) => "create",
        (&Method::PUT, true) => "update",
        (&Method::PATCH, true) => "patch",
        (&Method::DELETE, true) => "delete",
        (&Method::DELETE, false) => "deletecollection",
        (m, _) => return Err(ApiError::method_not_allowed(m.as_str())),
    };
    match verb {
        "watch" => api
            .watch_requests
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        "list" => api
            .list_requests
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        _ => 0,
    };
    if super::review::is_review(&target.info) {
        // Questions about the caller: any authenticated user may ask; nothing is stored.
        if verb != "create" {
            return Err(ApiError::method_not_allowed(method.as_str()));
        }
        let headers = request.headers().clone();
        let body = read_body(request.into_body()).await?;
        let question = decode_object(&headers, &body)?;
        let answer = super::review::answer(user, &target.info, &api.catalog(), question)?;
        return Ok(json_response(201, &answer));
    }
    // Counted for tests that prove a client wrote nothing (access reviews, answered above, are
    // questions, not writes); a delete's dry run may be in its body, so deletes are counted
    // once it is read (or, when refused before that, conservatively as writes).
    let write = !super::auth::is_read_verb(verb) && !query.dry_run().unwrap_or(false);
    let deletes = matches!(verb, "delete" | "deletecollection");
    let count_write = || {
        api.write_requests
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    };
    if write && !deletes {
        count_write();
    }
    authorize(
        user,
        &Attributes {
            verb,
            group: &target.info.group,
            plural: &target.info.plural,
            subresource: target.subresource.as_deref(),
            namespace: target.namespace.as_deref(),
            name: target.name.as_deref(),
        },
    )
    .inspect_err(|_| {
        if write && deletes {
            count_write();
        }
    })?;
    if verb == "watch" && api.faults.watch_forbidden() {
        // Fault injection: a role that may list this resource but not watch it.
        let resource = qualified_resource(&target.info.group, &target.info.plural);
        return Err(ApiError::new(
            403,
            "Forbidden",
            format!(
                "{resource} is forbidden: User \"{}\" cannot watch resource \"{}\" in API group \"{}\"",
                user.name(),
                target.info.plural,
                target.info.group
            ),
        ));
    }
    let sub = match target.subresource.as_deref() {
        None => Subresource::Main,
        Some("status") if target.info.status_subresource => Subresource::Status,
        Some("scale") if target.info.scale_subresource => Subresource::Scale,
        Some(_) => return Err(ApiError::unknown_path()),
    };
    let headers = request.headers().clone();
    // A real server negotiates the response before it reads or writes anything.
    let output = media::negotiate(headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()))?;
    let body = read_body(request.into_body()).await?;
    if write && deletes && delete_options(&query, &body).is_ok_and(|o| !o.dry_run) {
        count_write();
    }
    let now = jiff::Timestamp::now();
    let opts = || -> Result<WriteOptions, ApiError> {
        validate_field_validation(&query)?;
        Ok(WriteOptions {
            field_manager: field_manager(&query, &headers),
            dry_run: query.dry_run()?,
        })
    };
    let ns = target.namespace.as_deref();
    let info = &target.info;
    match verb {
        "get" => {
            let name = target.name.as_deref().unwrap_or("");
            let obj = api.get(info, ns.unwrap_or(""), name)?;
            if sub == Subresource::Scale {
                return Ok(json_response(200, &super::api_server::scale_of(&obj)));
            }
            if let Some(include) = wants_table(output, &query)? {
                return Ok(json_response(
                    200,
                    &table_of(info, &[obj], include, None, None),
                ));
            }
            single_response(200, output, info, &obj)
        }
        "list" => list(&api, &target, &query, output),
        "watch" => watch(api, target, &query, output),
        "create" => {
            if sub != Subresource::Main {
                return Err(ApiError::method_not_allowed("POST"));
            }
            let obj = decode_object(&headers, &body)?;
            let written = api.create(info, ns, obj, &opts()?, now)?;
            single_response(
                if written.created { 201 } else { 200 },
                output,
                info,
                &written.object,
            )
        }
        "update" => {
            let obj = decode_object(&headers, &body)?;
            let name = target.name.as_deref().unwrap_or("");
            let written = api.update(info, ns, name, sub, obj, &opts()?, now)?;
            single_response(200, output, info, &present(sub, &written.object))
        }
        "patch" => {
            let content_type = headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let kind = PatchKind::from_content_type(content_type, query.flag("force"))
                .ok_or_else(|| ApiError::unsupported_media_type(content_type))?;
            let patch = decode_patch(kind, &body)?;
            let mut options = opts()?;
            if matches!(kind, PatchKind::Apply { .. }) {
                match query.get("fieldManager").filter(|m| !m.is_empty()) {
                    Some(manager) => options.field_manager = manager.to_string(),
                    None => {
                        return Err(ApiError::bad_request(
                            "PATCH requests with apply content type require fieldManager",
                        ))
                    }
                }
            } else if query.get("force").is_some() {
                return Err(ApiError::bad_request(
                    "force may not be set for non-apply patch",
                ));
            }
            let name = target.name.as_deref().unwrap_or("");
            let written = api.patch(info, ns, name, sub, kind, &patch, &options, now)?;
            single_response(
                if written.created { 201 } else { 200 },
                output,
                info,
                &present(sub, &written.object),
            )
        }
        "delete" => {
            let name = target.name.as_deref().unwrap_or("");
            let options = delete_options(&query, &body)?;
            let deleted = api.delete(info, ns, name, &options, now)?;
            single_response(200, output, info, &deleted)
        }
        "deletecollection" => {
            let options = delete_options(&query, &body)?;
            let labels = LabelSelector::parse(query.get("labelSelector").unwrap_or(""))
                .map_err(|e| ApiError::bad_request(e.to_string()))?;
            let fields = FieldSelector::parse(query.get("fieldSelector").unwrap_or(""))
                .map_err(|e| ApiError::bad_request(e.to_string()))?;
            let (rv, items) = api
                .store
                .list(&(info.group.clone(), info.plural.clone()), ns, None);
            let mut deleted = Vec::new();
            for obj in items
                .iter()
                .filter(|o| labels.matches(o) && fields.matches(o))
            {
                let obj_ns = obj.pointer("/metadata/namespace").and_then(Value::as_str);
                let name = obj
                    .pointer("/metadata/name")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                if let Ok(gone) = api.delete(info, obj_ns, name, &options, now) {
                    deleted.push(gone);
                }
            }
            list_response(info, output, None, rv, None, &deleted)
        }
        _ => Err(ApiError::method_not_allowed(method.as_str())),
    }
}

/// Whether the client asked for a `meta.k8s.io` Table (what `kubectl get` does), and with
/// which `includeObject`.
fn wants_table(output: Output, query: &Query) -> Result<Option<IncludeObject>, ApiError> {
    if output != Output::Table {
        return Ok(None);
    }
    IncludeObject::from_query(query.get("includeObject"))
        .map(Some)
        .map_err(|e| ApiError::bad_request(e.to_string()))
}

/// One object as negotiated: itself, or its PartialObjectMetadata (a list asked for a single
/// object is refused, as a real server does). Writes answer Tables with the object itself.
fn single_response(
    code: u16,
    output: Output,
    info: &ResourceInfo,
    object: &Value,
) -> Result<Response, ApiError> {
    match output {
        Output::Metadata {
            version,
            list: false,
        } => Ok(json_response(
            code,
            &media::partial_object_metadata(object, version),
        )),
        Output::Metadata { list: true, .. } => Err(media::shape_mismatch(
            true,
            &info.api_version(),
            &info.kind,
            info.custom,
        )),
        Output::Objects | Output::Table => Ok(json_response(code, object)),
    }
}

/// A list as negotiated: the objects, a Table, or a PartialObjectMetadataList (a single
/// PartialObjectMetadata asked for a list is refused).
fn list_response(
    info: &ResourceInfo,
    output: Output,
    table: Option<IncludeObject>,
    rv: u64,
    continue_token: Option<&str>,
    items: &[Arc<Value>],
) -> Result<Response, ApiError> {
    match (output, table) {
        (_, Some(include)) => Ok(json_response(
            200,
            &table_of(info, items, include, Some(rv), continue_token),
        )),
        (
            Output::Metadata {
                version,
                list: true,
            },
            _,
        ) => Ok(json_response(
            200,
            &media::partial_object_metadata_list(
                items.iter().map(|o| &**o),
                version,
                rv,
                continue_token,
            ),
        )),
        (Output::Metadata { list: false, .. }, _) => Err(media::shape_mismatch(
            false,
            &info.api_version(),
            &info.kind,
            info.custom,
        )),
        _ => Ok(bytes_response(
            200,
            list_bytes(info, rv, continue_token, items),
        )),
    }
}

/// A Table of `objects`, with list metadata.
pub fn table_of(
    info: &ResourceInfo,
    objects: &[Arc<Value>],
    include: IncludeObject,
    rv: Option<u64>,
    continue_token: Option<&str>,
) -> Value {
    let owned: Vec<Value> = objects.iter().map(|o| (**o).clone()).collect();
    let mut table = to_table(info, &owned, jiff::Timestamp::now(), include);
    let mut metadata = serde_json::Map::new();
    if let Some(rv) = rv {
        metadata.insert("resourceVersion".into(), Value::String(rv.to_string()));
    }
    if let Some(token) = continue_token {
        metadata.insert("continue".into(), Value::String(token.to_string()));
    }
    table["metadata"] = Value::Object(metadata);
    table
}

/// Subresource writes answer with the subresource's view.
fn present(sub: Subresource, obj: &Arc<Value>) -> Value {
    if sub == Subresource::Scale {
        super::api_server::scale_of(obj)
    } else {
        (**obj).clone()
    }
}

fn validate_field_validation(query: &Query) -> Result<(), ApiError> {
    match query.get("fieldValidation") {
        None | Some("" | "Ignore" | "Warn" | "Strict") => Ok(()),
        Some(other) => Err(ApiError::bad_request(format!(
            "fieldValidation parameter unsupported: {other}, valid options are Ignore, Warn and Strict"
        ))),
    }
}

/// `fieldManager`, or what a real server derives from the User-Agent (`kubectl/v1.32 ...` →
/// `kubectl`).
fn field_manager(query: &Query, headers: &HeaderMap) -> String {
    if let Some(manager) = query.get("fieldManager").filter(|m| !m.is_empty()) {
        return manager.to_string();
    }
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .and_then(|ua| ua.split('/').next())
        .filter(|s| !s.is_empty())
        .unwrap_or("unknown")
        .chars()
        .take(128)
        .collect()
}

fn delete_options(query: &Query, body: &Bytes) -> Result<DeleteOptions, ApiError> {
    let mut options = DeleteOptions {
        dry_run: query.dry_run()?,
        orphan: query.get("propagationPolicy") == Some("Orphan"),
        ..DeleteOptions::default()
    };
    if !body.is_empty() {
        let parsed: Value = serde_json::from_slice(body)
            .map_err(|e| ApiError::bad_request(format!("error decoding DeleteOptions: {e}")))?;
        options.merge_body(&parsed);
    }
    Ok(options)
}

/// Most bytes read (and discarded) from an oversized body before answering 413, so the client
/// sees the Status instead of a connection reset mid-upload.
const DRAIN_LIMIT: usize = 64 * 1024 * 1024;

async fn read_body(body: Body) -> Result<Bytes, ApiError> {
    use http_body_util::BodyExt;
    let mut body = body;
    let mut collected: Vec<u8> = Vec::new();
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame
            .map_err(|e| ApiError::bad_request(format!("error reading the request body: {e}")))?;
        if let Ok(data) = frame.into_data() {
            total = total.saturating_add(data.len());
            if total <= MAX_BODY_BYTES {
                collected.extend_from_slice(&data);
            } else if total > DRAIN_LIMIT {
                break;
            }
        }
    }
    if total > MAX_BODY_BYTES {
        return Err(ApiError::too_large());
    }
    Ok(Bytes::from(collected))
}

fn media_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap_or("application/json")
        .trim()
        .to_ascii_lowercase()
}

/// Decode a create/update body (JSON or YAML).
pub fn decode_object(headers: &HeaderMap, body: &[u8]) -> Result<Value, ApiError> {
    let media = media_type(headers);
    let value: Value = match media.as_str() {
        "application/json" | "" | "*/*" => serde_json::from_slice(body).map_err(|e| {
            ApiError::bad_request(format!(
                "the body of the request could not be decoded as JSON: {e}"
            ))
        })?,
        "application/yaml" | "application/x-yaml" | "text/yaml" => serde_yaml::from_slice(body)
            .map_err(|e| {
                ApiError::bad_request(format!(
                    "the body of the request could not be decoded as YAML: {e}"
                ))
            })?,
        "application/vnd.kubernetes.protobuf" => protobuf::decode(body).map_err(|e| match e {
            ProtobufError::UnsupportedKind(_) => {
                ApiError::new(415, "UnsupportedMediaType", e.to_string())
            }
            ProtobufError::Malformed(_) => ApiError::bad_request(e.to_string()),
        })?,
        other => return Err(ApiError::unsupported_media_type(other)),
    };
    if !value.is_object() {
        return Err(ApiError::bad_request(
            "the body of the request must be an object",
        ));
    }
    Ok(value)
}

/// Decode a patch body according to its kind.
pub fn decode_patch(kind: PatchKind, body: &[u8]) -> Result<Value, ApiError> {
    let value: Value = match kind {
        PatchKind::Apply { .. } => serde_yaml::from_slice(body)
            .map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")))?,
        _ => serde_json::from_slice(body)
            .map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))?,
    };
    match (kind, &value) {
        (PatchKind::Json, Value::Array(_)) => Ok(value),
        (PatchKind::Json, _) => Err(ApiError::bad_request(
            "json patch must be an array of operations",
        )),
        (_, Value::Object(_)) => Ok(value),
        _ => Err(ApiError::bad_request("patch must be an object")),
    }
}

/// A list response, serialized item by item (no copy of the items).
pub fn list_bytes(
    info: &ResourceInfo,
    rv: u64,
    continue_token: Option<&str>,
    items: &[Arc<Value>],
) -> Vec<u8> {
    let mut metadata = json!({"resourceVersion": rv.to_string()});
    if let Some(token) = continue_token {
        metadata["continue"] = Value::String(token.to_string());
    }
    let mut buf = Vec::with_capacity(64 + items.len() * 1024);
    buf.extend_from_slice(b"{\"kind\":");
    let _ = serde_json::to_writer(&mut buf, &format!("{}List", info.kind));
    buf.extend_from_slice(b",\"apiVersion\":");
    let _ = serde_json::to_writer(&mut buf, &info.api_version());
    buf.extend_from_slice(b",\"metadata\":");
    let _ = serde_json::to_writer(&mut buf, &metadata);
    buf.extend_from_slice(b",\"items\":[");
    let api_version = info.api_version();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        if item.get("apiVersion").and_then(Value::as_str) == Some(api_version.as_str()) {
            let _ = serde_json::to_writer(&mut buf, &**item);
        } else {
            let mut copy = (**item).clone();
            copy["apiVersion"] = Value::String(api_version.clone());
            let _ = serde_json::to_writer(&mut buf, &copy);
        }
    }
    buf.extend_from_slice(b"]}");
    buf
}

fn encode_continue(rv: u64, ns: &str, name: &str) -> String {
    let raw = json!({"rv": rv, "start": [ns, name]}).to_string();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

fn decode_continue(token: &str) -> Result<(u64, (String, String)), ApiError> {
    let invalid = || {
        ApiError::bad_request("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)")
    };
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token.trim_end_matches('='))
        .map_err(|_| invalid())?;
    let parsed: Value = serde_json::from_slice(&raw).map_err(|_| invalid())?;
    let rv = parsed
        .get("rv")
        .and_then(Value::as_u64)
        .ok_or_else(invalid)?;
    let ns = parsed
        .pointer("/start/0")
        .and_then(Value::as_str)
        .ok_or_else(invalid)?;
    let name = parsed
        .pointer("/start/1")
        .and_then(Value::as_str)
        .ok_or_else(invalid)?;
    Ok((rv, (ns.to_string(), name.to_string())))
}

fn list(
    api: &ApiServer,
    target: &Target,
    query: &Query,
    output: Output,
) -> Result<Response, ApiError> {
    let info = &target.info;
    let table = wants_table(output, query)?;
    let labels = LabelSelector::parse(query.get("labelSelector").unwrap_or(""))
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let fields = FieldSelector::parse(query.get("fieldSelector").unwrap_or(""))
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let limit = match query.get("limit") {
        None | Some("") => None,
        Some(text) => Some(
            text.parse::<usize>()
                .map_err(|_| ApiError::bad_request(format!("invalid limit: {text:?}")))?,
        )
        .filter(|l| *l > 0),
    };
    let after = match query.get("continue").filter(|c| !c.is_empty()) {
        Some(token) => {
            let (rv, start) = decode_continue(token)?;
            if rv < api.store.oldest_resumable() {
                return Err(ApiError::new(410, "Expired", "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter."));
            }
            Some(start)
        }
        None => None,
    };
    let collection = (info.group.clone(), info.plural.clone());
    let (rv, items) = api
        .store
        .list(&collection, target.namespace.as_deref(), after.as_ref());
    let mut selected: Vec<Arc<Value>> = Vec::new();
    let mut token = None;
    for item in items {
        if !labels.matches(&item) || !fields.matches(&item) {
            continue;
        }
        if limit.is_some_and(|l| selected.len() >= l) {
            if let Some(last) = selected.last() {
                let text = |p: &str| {
                    last.pointer(p)
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string()
                };
                token = Some(encode_continue(
                    rv,
                    &text("/metadata/namespace"),
                    &text("/metadata/name"),
                ));
            }
            break;
        }
        selected.push(item);
    }
    list_response(info, output, table, rv, token.as_deref(), &selected)
}

fn watch(
    api: Arc<ApiServer>,
    target: Target,
    query: &Query,
    output: Output,
) -> Result<Response, ApiError> {
    let table = wants_table(output, query)?;
    // Watch events carry single objects: a real server transforms each into a
    // PartialObjectMetadata; asked for the List kind, its transform fails per event and the
    // object goes out as it is.
    let metadata = match output {
        Output::Metadata {
            version,
            list: false,
        } => Some(version),
        _ => None,
    };
    let labels = LabelSelector::parse(query.get("labelSelector").unwrap_or(""))
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let fields = FieldSelector::parse(query.get("fieldSelector").unwrap_or(""))
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let start =
        match query.get("resourceVersion") {
            None | Some("" | "0") => WatchStart::Snapshot,
            Some(text) => WatchStart::After(text.parse().map_err(|_| {
                ApiError::bad_request(format!("invalid resource version: {text:?}"))
            })?),
        };
    let timeout = match query.get("timeoutSeconds") {
        None | Some("") => None,
        Some(text) => Some(Duration::from_secs(text.parse().map_err(|_| {
            ApiError::bad_request(format!("invalid timeoutSeconds: {text:?}"))
        })?)),
    };
    let send_initial_events = query.get("sendInitialEvents") == Some("true");
    let params = WatchParams {
        start,
        labels,
        fields,
        bookmarks: query.flag("allowWatchBookmarks") || send_initial_events,
        timeout,
        send_initial_events,
        table,
        metadata,
    };
    let rx = start_watch(api, target.info, target.namespace, params);
    let stream = tokio_stream::wrappers::ReceiverStream::new(rx);
    let body = Body::from_stream(futures::StreamExt::map(
        stream,
        Ok::<Bytes, std::convert::Infallible>,
    ));
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response())
}

fn version_info() -> Value {
    json!({
        "major": "1",
        "minor": "32",
        "gitVersion": GIT_VERSION,
        "gitCommit": "67a30c0adcf52bd3f56ff0893ce19966be12991f",
        "gitTreeState": "clean",
        "buildDate": "2025-02-12T21:19:47Z",
        "goVersion": "go1.23.6",
        "compiler": "gc",
        "platform": "linux/amd64"
    })
}

/// The media type of aggregated discovery (what kubectl 1.32 asks for first).
const AGGREGATED_DISCOVERY: &str =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

fn wants_aggregated(request: &Request) -> bool {
    let accept = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    accept.split(',').any(|media| {
        let params: Vec<&str> = media.split(';').map(str::trim).collect();
        params.contains(&"as=APIGroupDiscoveryList")
            && params.contains(&"v=v2")
            && params.contains(&"g=apidiscovery.k8s.io")
    })
}

fn aggregated_resource(info: &ResourceInfo) -> Value {
    let mut resource = json!({
        "resource": info.plural,
        "responseKind": {"group": "", "version": "", "kind": info.kind},
        "scope": if info.namespaced { "Namespaced" } else { "Cluster" },
        "singularResource": info.singular,
        "verbs": info.verbs,
    });
    if !info.short_names.is_empty() {
        resource["shortNames"] = json!(info.short_names);
    }
    if !info.categories.is_empty() {
        resource["categories"] = json!(info.categories);
    }
    let mut subresources = Vec::new();
    if info.scale_subresource {
        subresources.push(json!({"subresource": "scale", "responseKind": {"group": "autoscaling", "version": "v1", "kind": "Scale"}, "verbs": ["get", "patch", "update"]}));
    }
    if info.status_subresource {
        subresources.push(json!({"subresource": "status", "responseKind": {"group": "", "version": "", "kind": info.kind}, "verbs": ["get", "patch", "update"]}));
    }
    if !subresources.is_empty() {
        resource["subresources"] = Value::Array(subresources);
    }
    resource
}

/// `APIGroupDiscoveryList` (apidiscovery.k8s.io/v2): the core group for `/api`, every other
/// group for `/apis`.
pub fn aggregated_discovery(api: &ApiServer, core: bool) -> Value {
    let catalog = api.catalog();
    let groups: Vec<(String, Vec<String>)> = if core {
        vec![(String::new(), vec!["v1".to_string()])]
    } else {
        catalog.groups()
    };
    let items: Vec<Value> = groups
        .iter()
        .map(|(group, versions)| {
            let versions: Vec<Value> = versions
                .iter()
                .map(|version| {
                    let resources: Vec<Value> = catalog
                        .in_group_version(group, version)
                        .iter()
                        .map(aggregated_resource)
                        .collect();
                    json!({"version": version, "resources": resources, "freshness": "Current"})
                })
                .collect();
            json!({"metadata": {"name": group, "creationTimestamp": null}, "versions": versions})
        })
        .collect();
    json!({"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": items})
}

fn aggregated_response(api: &ApiServer, core: bool) -> Response {
    let body = serde_json::to_vec(&aggregated_discovery(api, core)).unwrap_or_default();
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, AGGREGATED_DISCOVERY),
            (header::VARY, "Accept"),
        ],
        body,
    )
        .into_response()
}

fn server_address(api: &ApiServer) -> String {
    let url = api.server_url.read().map(|u| u.clone()).unwrap_or_default();
    url.split("://")
        .nth(1)
        .unwrap_or("127.0.0.1:6443")
        .trim_end_matches('/')
        .to_string()
}

fn api_versions(api: &ApiServer) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address(api)}]
    })
}

fn group_json(name: &str, versions: &[String]) -> Value {
    let versions: Vec<Value> = versions
        .iter()
        .map(|v| json!({"groupVersion": format!("{name}/{v}"), "version": v}))
        .collect();
    let preferred = versions.first().cloned().unwrap_or_else(|| json!({}));
    json!({"name": name, "versions": versions, "preferredVersion": preferred})
}

fn api_group_list(api: &ApiServer) -> Value {
    let groups: Vec<Value> = api
        .catalog()
        .groups()
        .iter()
        .map(|(g, v)| group_json(g, v))
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

fn api_group(api: &ApiServer, group: &str) -> Result<Value, ApiError> {
    let groups = api.catalog().groups();
    let (name, versions) = groups
        .iter()
        .find(|(g, _)| g == group)
        .ok_or_else(ApiError::unknown_path)?;
    let mut value = group_json(name, versions);
    if let Some(map) = value.as_object_mut() {
        map.insert("kind".into(), json!("APIGroup"));
        map.insert("apiVersion".into(), json!("v1"));
    }
    Ok(value)
}

fn resource_list(api: &ApiServer, group: &str, version: &str) -> Value {
    let resources: Vec<Value> = api
        .catalog()
        .in_group_version(group, version)
        .iter()
        .flat_map(ResourceInfo::discovery_entries)
        .collect();
    let group_version = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": resources})
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn query_decoding_handles_escapes() {
        let q = Query::parse(Some(
            "labelSelector=app%3Dweb%2Ctier+in+%28fe%29&watch=1&limit=5",
        ));
        assert_eq!(q.get("labelSelector"), Some("app=web,tier in (fe)"));
        assert!(q.flag("watch"));
        assert!(!q.flag("allowWatchBookmarks"));
        assert_eq!(Query::parse(Some("x=%zz%")).get("x"), Some("%zz%"));
    }

    #[test]
    fn continue_tokens_round_trip_and_reject_garbage() {
        let token = encode_continue(42, "shop", "web");
        assert_eq!(
            decode_continue(&token).ok(),
            Some((42, ("shop".to_string(), "web".to_string())))
        );
        assert_eq!(decode_continue("not-a-token").map_err(|e| e.code), Err(400));
    }

    proptest! {
        #[test]
        fn request_decoding_never_panics(body in proptest::collection::vec(any::<u8>(), 0..512), query in ".{0,64}") {
            let mut headers = HeaderMap::new();
            for ct in ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"] {
                if let Ok(v) = ct.parse() {
                    headers.insert(header::CONTENT_TYPE, v);
                }
                let _ = decode_object(&headers, &body);
            }
            for kind in [PatchKind::Merge, PatchKind::Strategic, PatchKind::Json, PatchKind::Apply { force: false }] {
                let _ = decode_patch(kind, &body);
            }
            let q = Query::parse(Some(&query));
            let _ = q.dry_run();
            let _ = LabelSelector::parse(&query);
            let _ = FieldSelector::parse(&query);
            let _ = decode_continue(&query);
        }
    }
}
