//! One sandbox cluster's API semantics, without HTTP: what create, update, patch, apply and
//! delete do to stored objects (server-set metadata, defaulting, managedFields, generation,
//! preconditions, namespace and CRD side effects, garbage collection).
//!
//! The HTTP layer (`server`) decodes requests into these calls; the controller loop and
//! `ClusterHandle::insert` call them directly, so every write takes the same path.

use super::auth::Tokens;
use super::catalog::{Catalog, ResourceInfo};
use super::errors::{ApiError, FieldCause};
use super::faults::FaultControl;
use super::objects::{apply, defaults, managed, merge};
use super::store::{resource_version_of, Collection, Store, StoreError};
use serde_json::{json, Map, Value};
use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

/// The four patch flavours a real API server accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchKind {
    Merge,
    Strategic,
    Json,
    Apply { force: bool },
}

impl PatchKind {
    /// From a request Content-Type (parameters ignored).
    pub fn from_content_type(content_type: &str, force: bool) -> Option<Self> {
        let media = content_type.split(';').next().unwrap_or("").trim();
        match media {
            "application/merge-patch+json" => Some(PatchKind::Merge),
            "application/strategic-merge-patch+json" => Some(PatchKind::Strategic),
            "application/json-patch+json" => Some(PatchKind::Json),
            "application/apply-patch+yaml" | "application/apply-patch+cbor" => {
                Some(PatchKind::Apply { force })
            }
            _ => None,
        }
    }
}

/// Options every write carries.
#[derive(Debug, Clone, Default)]
pub struct WriteOptions {
    /// `fieldManager` (already defaulted from the User-Agent when absent).
    pub field_manager: String,
    /// `dryRun=All`: run everything, store nothing.
    pub dry_run: bool,
}

/// Which part of an object a write addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subresource {
    Main,
    Status,
    Scale,
}

/// A write's result: the object and whether it was created (201) or not (200).
#[derive(Clone)]
pub struct Written {
    pub object: Arc<Value>,
    pub created: bool,
}

impl std::fmt::Debug for Written {
    /// Identity only: the object may be a Secret, whose values are never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = meta_str(&self.object, "name").unwrap_or("");
        f.debug_struct("Written")
            .field("name", &name)
            .field("created", &self.created)
            .finish()
    }
}

/// One sandbox cluster's API server without HTTP: its store, catalog, tokens and faults, and
/// the write semantics every request, the controller loop and `ClusterHandle::insert` share.
pub struct ApiServer {
    pub name: String,
    pub store: Store,
    pub catalog: RwLock<Catalog>,
    pub faults: Arc<FaultControl>,
    pub tokens: Tokens,
    /// Base URL clients reach the server on (for discovery's serverAddressByClientCIDRs).
    pub server_url: RwLock<String>,
    /// Held by a Service write from picking its cluster IP and node ports until it is stored,
    /// so two writes never get the same address.
    service_allocation: Mutex<()>,
    /// Write requests received over HTTP (create, update, patch, delete; dry runs excluded,
    /// counted before authorization), so tests can prove a client wrote nothing.
    pub write_requests: std::sync::atomic::AtomicU64,
    /// Watch requests routed (faults answered before routing are not counted): how often
    /// clients (re)open watches, which the scale harness reports as reconnects.
    pub watch_requests: std::sync::atomic::AtomicU64,
    /// List requests routed (a client's relists after a 410 or a reconnect show here).
    pub list_requests: std::sync::atomic::AtomicU64,
    /// Discovery requests (`/api`, `/apis`, a group, a group version), so tests can prove a
    /// client used its discovery cache.
    pub discovery_requests: std::sync::atomic::AtomicU64,
}

/// RFC 3339 at second precision, as Kubernetes writes timestamps.
pub fn timestamp(now: jiff::Timestamp) -> String {
    now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A random RFC 4122 version-4 UID.
pub fn new_uid() -> String {
    let bytes: [u8; 16] = rand::random();
    let hex: String = bytes
        .iter()
        .enumerate()
        .map(|(i, b)| match i {
            6 => format!("{:02x}", (b & 0x0f) | 0x40),
            8 => format!("{:02x}", (b & 0x3f) | 0x80),
            _ => format!("{b:02x}"),
        })
        .collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

fn generate_name_suffix() -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    (0..5)
        .map(|_| {
            let i = rand::random_range(0..ALPHABET.len());
            char::from(ALPHABET.get(i).copied().unwrap_or(b'x'))
        })
        .collect()
}

/// A DNS-1123 subdomain check (what most kinds require of metadata.name).
fn valid_name(name: &str) -> bool {
    name.len() <= 253
        && name.split('.').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !part.starts_with('-')
                && !part.ends_with('-')
        })
}

fn meta_str<'a>(obj: &'a Value, field: &str) -> Option<&'a str> {
    obj.get("metadata")
        .and_then(|m| m.get(field))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

fn metadata_mut(obj: &mut Value) -> Option<&mut Map<String, Value>> {
    let map = obj.as_object_mut()?;
    map.entry("metadata")
        .or_insert_with(|| json!({}))
        .as_object_mut()
}

/// Everything but metadata and status (what a generation bump is about).
fn spec_part(obj: &Value) -> Vec<(&String, &Value)> {
    obj.as_object()
        .map(|m| {
            m.iter()
                .filter(|(k, _)| {
                    !matches!(k.as_str(), "metadata" | "status" | "apiVersion" | "kind")
                })
                .collect()
        })
        .unwrap_or_default()
}

fn store_error(info: &ResourceInfo, name: &str, err: StoreError) -> ApiError {
    match err {
        StoreError::NotFound => ApiError::not_found(&info.group, &info.plural, name),
        StoreError::AlreadyExists => ApiError::already_exists(&info.group, &info.plural, name),
        StoreError::Conflict => ApiError::conflict(&info.group, &info.plural, name),
        StoreError::Gone { requested, oldest } => ApiError::expired(requested, oldest),
    }
}

/// The Scale (autoscaling/v1) view of a scalable object.
pub fn scale_of(obj: &Value) -> Value {
    let meta = obj.get("metadata").cloned().unwrap_or_else(|| json!({}));
    let pick = |k: &str| meta.get(k).cloned().unwrap_or(Value::Null);
    let selector = obj
        .pointer("/spec/selector/matchLabels")
        .and_then(Value::as_object)
        .map(|labels| {
            labels
                .iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default();
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": pick("name"),
            "namespace": pick("namespace"),
            "uid": pick("uid"),
            "resourceVersion": pick("resourceVersion"),
            "creationTimestamp": pick("creationTimestamp"),
        },
        "spec": {"replicas": obj.pointer("/spec/replicas").cloned().unwrap_or(json!(0))},
        "status": {
            "replicas": obj.pointer("/status/replicas").cloned().unwrap_or(json!(0)),
            "selector": selector,
        },
    })
}

impl ApiServer {
    pub fn new(name: &str, tokens: Tokens, faults: Arc<FaultControl>, history: usize) -> Self {
        ApiServer {
            name: name.to_string(),
            store: Store::new(history),
            catalog: RwLock::new(Catalog::builtin()),
            faults,
            tokens,
            server_url: RwLock::new(String::new()),
            service_allocation: Mutex::new(()),
            write_requests: std::sync::atomic::AtomicU64::new(0),
            watch_requests: std::sync::atomic::AtomicU64::new(0),
            list_requests: std::sync::atomic::AtomicU64::new(0),
            discovery_requests: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// A snapshot of the catalog (cheap enough: a few dozen entries).
    pub fn catalog(&self) -> Catalog {
        self.catalog
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn collection(info: &ResourceInfo) -> Collection {
        (info.group.clone(), info.plural.clone())
    }

    /// The stored object, shown at the requested version.
    pub fn get(
        &self,
        info: &ResourceInfo,
        namespace: &str,
        name: &str,
    ) -> Result<Arc<Value>, ApiError> {
        let obj = self
            .store
            .get(&Self::collection(info), namespace, name)
            .ok_or_else(|| ApiError::not_found(&info.group, &info.plural, name))?;
        Ok(self.at_version(info, obj))
    }

    /// Multi-version CRDs store one version; clients see the version they asked for.
    pub fn at_version(&self, info: &ResourceInfo, obj: Arc<Value>) -> Arc<Value> {
        let api_version = info.api_version();
        if obj.get("apiVersion").and_then(Value::as_str) == Some(api_version.as_str()) {
            return obj;
        }
        let mut copy = (*obj).clone();
        if let Some(map) = copy.as_object_mut() {
            map.insert("apiVersion".into(), Value::String(api_version));
        }
        Arc::new(copy)
    }

    fn check_type(info: &ResourceInfo, body: &Value) -> Result<(), ApiError> {
        if !body.is_object() {
            return Err(ApiError::bad_request(
                "the body of the request must be a JSON or YAML object",
            ));
        }
        let kind = body.get("kind").and_then(Value::as_str).unwrap_or("");
        if kind.is_empty() {
            // A real server echoes the body here; the sandbox does not: it may hold Secret data.
            return Err(ApiError::bad_request(
                "Object 'Kind' is missing in the request body",
            ));
        }
        if kind != info.kind {
            return Err(ApiError::bad_request(format!(
                "the kind in the data ({kind}) does not match the expected kind ({})",
                info.kind
            )));
        }
        let api_version = body.get("apiVersion").and_then(Value::as_str).unwrap_or("");
        let group = kubedrift_core::model::group_of(api_version);
        if api_version.is_empty() || group != info.group {
            return Err(ApiError::bad_request(format!(
                "the API version in the data ({api_version}) does not match the expected API version ({})",
                info.api_version()
            )));
        }
        Ok(())
    }

    /// Put the path's namespace on the object (or reject a mismatch), drop it for
    /// cluster-scoped kinds.
    fn place_namespace(
        info: &ResourceInfo,
        obj: &mut Value,
        namespace: Option<&str>,
    ) -> Result<(), ApiError> {
        let body_ns = meta_str(obj, "namespace").map(str::to_string);
        let meta =
            metadata_mut(obj).ok_or_else(|| ApiError::bad_request("metadata must be an object"))?;
        if info.namespaced {
            let ns = namespace
                .ok_or_else(|| ApiError::bad_request("the namespace of the request is required"))?;
            if body_ns.as_deref().is_some_and(|b| b != ns) {
                return Err(ApiError::bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request",
                ));
            }
            meta.insert("namespace".into(), Value::String(ns.to_string()));
        } else {
            meta.remove("namespace");
        }
        Ok(())
    }

    fn namespace_must_exist(
        &self,
        info: &ResourceInfo,
        namespace: Option<&str>,
    ) -> Result<(), ApiError> {
        if let (true, Some(ns)) = (info.namespaced, namespace) {
            let namespaces = (String::new(), "namespaces".to_string());
            if self.store.get(&namespaces, "", ns).is_none() {
                return Err(ApiError::not_found("", "namespaces", ns));
            }
        }
        Ok(())
    }

    /// POST: create an object (the body is the object, as sent).
    pub fn create(
        &self,
        info: &ResourceInfo,
        namespace: Option<&str>,
        obj: Value,
        opts: &WriteOptions,
        now: jiff::Timestamp,
    ) -> Result<Written, ApiError> {
        self.create_inner(info, namespace, obj, opts, now, true)
    }

    /// `record_update`: false for objects created by server-side apply, whose managedFields
    /// already say who applied what.
    fn create_inner(
        &self,
        info: &ResourceInfo,
        namespace: Option<&str>,
        mut obj: Value,
        opts: &WriteOptions,
        now: jiff::Timestamp,
        record_update: bool,
    ) -> Result<Written, ApiError> {
        Self::check_type(info, &obj)?;
        Self::place_namespace(info, &mut obj, namespace)?;
        let name = match (meta_str(&obj, "name"), meta_str(&obj, "generateName")) {
            (Some(name), _) => name.to_string(),
            (None, Some(prefix)) => format!("{prefix}{}", generate_name_suffix()),
            (None, None) => {
                return Err(ApiError::invalid(
                    &info.group,
                    &info.kind,
                    "",
                    vec![FieldCause::required(
                        "metadata.name",
                        "name or generateName is required",
                    )],
                ))
            }
        };
        if !valid_name(&name) {
            return Err(ApiError::invalid(
                &info.group,
                &info.kind,
                &name,
                vec![FieldCause::invalid(
                    "metadata.name",
                    &name,
                    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
                )],
            ));
        }
        self.namespace_must_exist(info, namespace)?;
        let stamp = timestamp(now);
        if let Some(meta) = metadata_mut(&mut obj) {
            meta.insert("name".into(), Value::String(name.clone()));
            meta.insert("uid".into(), Value::String(new_uid()));
            meta.insert("creationTimestamp".into(), Value::String(stamp.clone()));
            meta.remove("resourceVersion");
            meta.remove("deletionTimestamp");
            meta.remove("selfLink");
            if info.tracks_generation() {
                meta.insert("generation".into(), json!(1));
            } else {
                meta.remove("generation");
            }
        }
        if info.status_subresource {
            if let Some(map) = obj.as_object_mut() {
                if info.custom {
                    map.shift_remove("status");
                } else {
                    map.insert("status".into(), json!({}));
                }
            }
        }
        self.kind_specific_create(info, &mut obj, &stamp)?;
        defaults::apply_defaults(&info.group, &info.kind, &mut obj);
        if record_update {
            defaults::fold_secret_string_data(&info.group, &info.kind, &mut obj);
            managed::record_write(None, &mut obj, &opts.field_manager, "Update", &stamp);
        }
        if (info.group.as_str(), info.kind.as_str()) == ("", "Pod") {
            // ServiceAccount admission, on create only.
            defaults::mount_service_account_token(&mut obj, &generate_name_suffix());
        }
        let _allocation = self.lock_service_allocation(info);
        self.finish_write(info, None, &mut obj)?;
        self.commit_create(info, obj, opts, &name)
    }

    fn commit_create(
        &self,
        info: &ResourceInfo,
        obj: Value,
        opts: &WriteOptions,
        name: &str,
    ) -> Result<Written, ApiError> {
        if info.group == "apiextensions.k8s.io" && info.kind == "CustomResourceDefinition" {
            let mut probe = self.catalog();
            probe.register_crd(&obj).map_err(|e| {
                ApiError::invalid(
                    &info.group,
                    &info.kind,
                    name,
                    vec![FieldCause::invalid("spec", name, &e.to_string())],
                )
            })?;
        }
        if opts.dry_run {
            if self
                .store
                .get(
                    &Self::collection(info),
                    meta_str(&obj, "namespace").unwrap_or(""),
                    name,
                )
                .is_some()
            {
                return Err(ApiError::already_exists(&info.group, &info.plural, name));
            }
            return Ok(Written {
                object: Arc::new(obj),
                created: true,
            });
        }
        let stored = self
            .store
            .create(&Self::collection(info), obj)
            .map_err(|e| store_error(info, name, e))?;
        self.after_write(info, &stored);
        Ok(Written {
            object: self.at_version(info, stored),
            created: true,
        })
    }

    /// The allocation lock, for Service writes only.
    fn lock_service_allocation(&self, info: &ResourceInfo) -> Option<MutexGuard<'_, ()>> {
        is_service(info).then(|| {
            self.service_allocation
                .lock()
                .unwrap_or_else(|p| p.into_inner())
        })
    }

    /// What a real server adds to an object after recording who wrote it, on every write:
    /// admission and strategy fields (`defaults::apply_server_fields`), and for Services the
    /// allocated values kept from `live` and the cluster IP and node ports still missing.
    /// Call with the allocation lock held (see [`Self::lock_service_allocation`]).
    fn finish_write(
        &self,
        info: &ResourceInfo,
        live: Option<&Value>,
        obj: &mut Value,
    ) -> Result<(), ApiError> {
        if is_service(info) {
            if let Some(live) = live {
                defaults::keep_allocated_service_values(live, obj);
            }
        }
        defaults::apply_server_fields(&info.group, &info.kind, obj);
        if is_service(info) {
            self.allocate_service_addresses(info, obj)?;
        }
        Ok(())
    }

    /// Cluster IPs and node ports held by every Service but `namespace/name`.
    fn service_addresses_in_use(
        &self,
        namespace: &str,
        name: &str,
    ) -> (HashSet<String>, HashSet<i64>) {
        let services = (String::new(), "services".to_string());
        let (_, all) = self.store.list(&services, None, None);
        let mut ips = HashSet::new();
        let mut ports = HashSet::new();
        for svc in all {
            if meta_str(&svc, "namespace") == Some(namespace)
                && meta_str(&svc, "name") == Some(name)
            {
                continue;
            }
            let Some(spec) = svc.get("spec") else {
                continue;
            };
            ips.extend(requested_cluster_ips(spec));
            ports.extend(requested_node_ports(spec).into_iter().map(|(_, port)| port));
            if let Some(port) = spec.get("healthCheckNodePort").and_then(Value::as_i64) {
                ports.insert(port);
            }
        }
        (ips, ports)
    }

    /// Reject a cluster IP or node port another Service holds; pick free ones for what the
    /// Service still needs (random, in 10.96.0.0/12 and 30000-32767, as kubeadm clusters do).
    fn allocate_service_addresses(
        &self,
        info: &ResourceInfo,
        obj: &mut Value,
    ) -> Result<(), ApiError> {
        let namespace = meta_str(obj, "namespace").unwrap_or("").to_string();
        let name = meta_str(obj, "name").unwrap_or("").to_string();
        let (used_ips, mut used_ports) = self.service_addresses_in_use(&namespace, &name);
        let spec = obj.get("spec").cloned().unwrap_or(Value::Null);
        let mut causes = Vec::new();
        let requested_ips = requested_cluster_ips(&spec);
        if let Some(ip) = requested_ips.iter().find(|ip| used_ips.contains(*ip)) {
            let listed = requested_ips
                .iter()
                .map(|ip| format!("{ip:?}"))
                .collect::<Vec<_>>()
                .join(", ");
            causes.push(FieldCause {
                reason: "FieldValueInvalid",
                message: format!(
                    "Invalid value: []string{{{listed}}}: failed to allocate IP {ip}: provided IP is already allocated"
                ),
                field: "spec.clusterIPs".into(),
            });
        }
        for (index, port) in requested_node_ports(&spec) {
            if used_ports.contains(&port) {
                causes.push(FieldCause {
                    reason: "FieldValueInvalid",
                    message: format!("Invalid value: {port}: provided port is already allocated"),
                    field: format!("spec.ports[{index}].nodePort"),
                });
            }
        }
        if !causes.is_empty() {
            return Err(ApiError::invalid(&info.group, &info.kind, &name, causes));
        }
        if defaults::needs_cluster_ip(obj) {
            let ip = loop {
                // 10.96.0.0/12 without its network address and the first 16 (kept for static
                // addresses such as 10.96.0.1 and kube-dns's 10.96.0.10).
                let offset = rand::random_range(16u32..(1 << 20) - 1);
                let ip = format!(
                    "10.{}.{}.{}",
                    96 + (offset >> 16),
                    (offset >> 8) & 0xff,
                    offset & 0xff
                );
                if !used_ips.contains(&ip) {
                    break ip;
                }
            };
            defaults::allocate_cluster_ip(obj, &ip);
        }
        let mut pick_port = || loop {
            let port = rand::random_range(30000u16..=32767);
            if used_ports.insert(i64::from(port)) {
                break port;
            }
        };
        let wanted = defaults::needs_node_ports(obj);
        if wanted > 0 {
            let picked: Vec<u16> = (0..wanted).map(|_| pick_port()).collect();
            defaults::allocate_node_ports(obj, &picked);
        }
        if defaults::needs_health_check_node_port(obj) {
            let port = pick_port();
            defaults::allocate_health_check_node_port(obj, port);
        }
        Ok(())
    }

    /// Status and spec a real server sets on create for a few kinds.
    fn kind_specific_create(
        &self,
        info: &ResourceInfo,
        obj: &mut Value,
        _stamp: &str,
    ) -> Result<(), ApiError> {
        match (info.group.as_str(), info.kind.as_str()) {
            ("", "Namespace") => {
                if let Some(map) = obj.as_object_mut() {
                    map.insert("spec".into(), json!({"finalizers": ["kubernetes"]}));
                    map.insert("status".into(), json!({"phase": "Active"}));
                }
                let name = meta_str(obj, "name").unwrap_or("").to_string();
                if let Some(meta) = metadata_mut(obj) {
                    let labels = meta.entry("labels").or_insert_with(|| json!({}));
                    if let Some(labels) = labels.as_object_mut() {
                        labels.insert("kubernetes.io/metadata.name".into(), Value::String(name));
                    }
                }
            }
            ("apiextensions.k8s.io", "CustomResourceDefinition") => {
                let names = obj
                    .pointer("/spec/names")
                    .cloned()
                    .unwrap_or_else(|| json!({}));
                let stored: Vec<Value> = obj
                    .pointer("/spec/versions")
                    .and_then(Value::as_array)
                    .map(|vs| {
                        vs.iter()
                            .filter(|v| v.get("storage").and_then(Value::as_bool).unwrap_or(false))
                            .filter_map(|v| v.get("name").cloned())
                            .collect()
                    })
                    .unwrap_or_default();
                let mut accepted = names;
                if let Some(map) = accepted.as_object_mut() {
                    if !map.contains_key("singular") {
                        let singular = map
                            .get("kind")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_lowercase();
                        map.insert("singular".into(), Value::String(singular));
                    }
                    if !map.contains_key("listKind") {
                        let list = format!(
                            "{}List",
                            map.get("kind").and_then(Value::as_str).unwrap_or("")
                        );
                        map.insert("listKind".into(), Value::String(list));
                    }
                }
                let when = _stamp;
                if let Some(map) = obj.as_object_mut() {
                    map.insert(
                        "status".into(),
                        json!({
                            "acceptedNames": accepted,
                            "conditions": [
                                {"type": "NamesAccepted", "status": "True", "lastTransitionTime": when,
                                 "reason": "NoConflicts", "message": "no conflicts found"},
                                {"type": "Established", "status": "True", "lastTransitionTime": when,
                                 "reason": "InitialNamesAccepted", "message": "the initial names have been accepted"}
                            ],
                            "storedVersions": stored,
                        }),
                    );
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Side effects of a committed create/update: CRD registration, namespace seeding.
    fn after_write(&self, info: &ResourceInfo, stored: &Value) {
        match (info.group.as_str(), info.kind.as_str()) {
            ("apiextensions.k8s.io", "CustomResourceDefinition") => {
                let mut catalog = self.catalog.write().unwrap_or_else(|p| p.into_inner());
                // Validated before commit; a failure here would only mean "not served".
                let _ = catalog.register_crd(stored);
            }
            ("", "Namespace") => {
                if let Some(ns) = meta_str(stored, "name") {
                    self.seed_namespace(ns);
                }
            }
            _ => {}
        }
    }

    /// What controllers create in every namespace of a real cluster: the `default`
    /// ServiceAccount and the `kube-root-ca.crt` ConfigMap.
    pub fn seed_namespace(&self, namespace: &str) {
        let now = jiff::Timestamp::now();
        let catalog = self.catalog();
        let opts = WriteOptions {
            field_manager: "kube-controller-manager".into(),
            dry_run: false,
        };
        if let Some(sa) = catalog.by_kind("", "ServiceAccount") {
            let obj = json!({"apiVersion": "v1", "kind": "ServiceAccount",
                             "metadata": {"name": "default", "namespace": namespace}});
            // Already there (re-seeding) is fine.
            let _ = self.create(sa, Some(namespace), obj, &opts, now);
        }
        if let Some(cm) = catalog.by_kind("", "ConfigMap") {
            let obj = json!({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "kube-root-ca.crt", "namespace": namespace,
                             "annotations": {"kubernetes.io/description": "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters."}},
                "data": {"ca.crt": "-----BEGIN CERTIFICATE-----\nMIIBdzCCAR2gAwIBAgIBADAKBggqhkjOPQQDAjAjMSEwHwYDVQQDDBhrM3Mtc2Fu\nZGJveC1jYUAxNzAwMDAwMDAwMB4XDTI2MDEwMTAwMDAwMFoXDTM2MDEwMTAwMDAw\nMFowIzEhMB8GA1UEAwwYazNzLXNhbmRib3gtY2FAMTcwMDAwMDAwMDBZMBMGByqG\n-----END CERTIFICATE-----\n"}});
            let _ = self.create(cm, Some(namespace), obj, &opts, now);
        }
    }

    /// PUT: replace an object (or its status / scale).
    #[allow(clippy::too_many_arguments)]
    pub fn update(
        &self,
        info: &ResourceInfo,
        namespace: Option<&str>,
        name: &str,
        sub: Subresource,
        body: Value,
        opts: &WriteOptions,
        now: jiff::Timestamp,
    ) -> Result<Written, ApiError> {
        let ns = namespace.unwrap_or("");
        let live = self.store.get(&Self::collection(info), ns, name);
        let Some(live) = live else {
            return Err(ApiError::not_found(&info.group, &info.plural, name));
        };
        let (desired, expected_rv) = match sub {
            Subresource::Scale => {
                let replicas = body.pointer("/spec/replicas").cloned().unwrap_or(json!(0));
                let mut desired = (*live).clone();
                if let Some(spec) = desired.get_mut("spec").and_then(Value::as_object_mut) {
                    spec.insert("replicas".into(), replicas);
                }
                let rv = meta_str(&body, "resourceVersion").and_then(|s| s.parse().ok());
                (desired, rv)
            }
            _ => {
                Self::check_type(info, &body)?;
                let mut body = body;
                Self::place_namespace(info, &mut body, namespace)?;
                if meta_str(&body, "name") != Some(name) {
                    return Err(ApiError::bad_request(format!(
                        "the name of the object ({}) does not match the name on the URL ({name})",
                        meta_str(&body, "name").unwrap_or("")
                    )));
                }
                let expected = match meta_str(&body, "resourceVersion") {
                    Some(rv) => Some(rv.parse::<u64>().map_err(|_| {
                        ApiError::bad_request(format!("invalid resource version: {rv:?}"))
                    })?),
                    None => None,
                };
                (body, expected)
            }
        };
        self.write_over(info, &live, desired, sub, expected_rv, opts, "Update", now)
    }

    /// The common tail of update and patch: keep server-owned fields, honour subresource
    /// boundaries, bump generation, default, record managedFields, commit with precondition.
    #[allow(clippy::too_many_arguments)]
    fn write_over(
        &self,
        info: &ResourceInfo,
        live: &Value,
        mut desired: Value,
        sub: Subresource,
        expected_rv: Option<u64>,
        opts: &WriteOptions,
        operation: &str,
        now: jiff::Timestamp,
    ) -> Result<Written, ApiError> {
        let name = meta_str(live, "name").unwrap_or("").to_string();
        match sub {
            Subresource::Status => {
                let status = desired.get("status").cloned();
                desired = live.clone();
                if let Some(map) = desired.as_object_mut() {
                    match status {
                        Some(s) => map.insert("status".into(), s),
                        None => map.shift_remove("status"),
                    };
                }
            }
            Subresource::Main if info.status_subresource => {
                if let Some(map) = desired.as_object_mut() {
                    match live.get("status") {
                        Some(s) => map.insert("status".into(), s.clone()),
                        None => map.shift_remove("status"),
                    };
                }
            }
            _ => {}
        }
        let live_meta = live.get("metadata").cloned().unwrap_or_else(|| json!({}));
        if let Some(meta) = metadata_mut(&mut desired) {
            for key in [
                "uid",
                "creationTimestamp",
                "deletionTimestamp",
                "namespace",
                "name",
            ] {
                match live_meta.get(key) {
                    Some(v) => meta.insert(key.into(), v.clone()),
                    None => meta.remove(key),
                };
            }
            if !meta.contains_key("managedFields") {
                if let Some(mf) = live_meta.get("managedFields") {
                    meta.insert("managedFields".into(), mf.clone());
                }
            }
            meta.insert(
                "resourceVersion".into(),
                live_meta
                    .get("resourceVersion")
                    .cloned()
                    .unwrap_or(Value::Null),
            );
        }
        if info.group == "apiextensions.k8s.io"
            && info.kind == "CustomResourceDefinition"
            && sub == Subresource::Main
        {
            let mut probe = self.catalog();
            probe.register_crd(&desired).map_err(|e| {
                ApiError::invalid(
                    &info.group,
                    &info.kind,
                    &name,
                    vec![FieldCause::invalid("spec", &name, &e.to_string())],
                )
            })?;
        }
        defaults::apply_defaults(&info.group, &info.kind, &mut desired);
        if operation != "Apply" {
            defaults::fold_secret_string_data(&info.group, &info.kind, &mut desired);
        }
        // Compared after defaulting, as a real server does: a field Git dropped that the
        // server fills in again with the same value is no new generation.
        let spec_changed = sub != Subresource::Status && spec_part(live) != spec_part(&desired);
        if let (Some(generation), Some(meta)) = (
            live_meta.get("generation").and_then(Value::as_i64),
            metadata_mut(&mut desired),
        ) {
            let next = if spec_changed {
                generation + 1
            } else {
                generation
            };
            meta.insert("generation".into(), json!(next));
        }
        if expected_rv.is_some_and(|rv| resource_version_of(live) != Some(rv)) {
            return Err(ApiError::conflict(&info.group, &info.plural, &name));
        }
        let _allocation = self.lock_service_allocation(info);
        let mut finished = desired.clone();
        self.finish_write(info, Some(live), &mut finished)?;
        if finished == *live {
            // A no-op write changes nothing, not even the resourceVersion (as etcd-backed
            // servers do), so re-applies and idle controllers do not spam watches.
            return Ok(Written {
                object: self.at_version(info, Arc::new(finished)),
                created: false,
            });
        }
        if operation != "Apply" {
            let subresource = match sub {
                Subresource::Main => None,
                Subresource::Status => Some("status"),
                Subresource::Scale => Some("scale"),
            };
            managed::record_write_subresource(
                Some(live),
                &mut desired,
                &opts.field_manager,
                operation,
                subresource,
                &timestamp(now),
            );
        }
        // What admission and the storage add is nobody's field: it comes after the record.
        self.finish_write(info, Some(live), &mut desired)?;
        if opts.dry_run {
            return Ok(Written {
                object: self.at_version(info, Arc::new(desired)),
                created: false,
            });
        }
        let stored = self
            .store
            .update(
                &Self::collection(info),
                desired,
                expected_rv.or_else(|| resource_version_of(live)),
            )
            .map_err(|e| store_error(info, &name, e))?;
        self.after_write(info, &stored);
        Ok(Written {
            object: self.at_version(info, stored),
            created: false,
        })
    }

    /// PATCH (incl. server-side apply, which may create).
    #[allow(clippy::too_many_arguments)]
    pub fn patch(
        &self,
        info: &ResourceInfo,
        namespace: Option<&str>,
        name: &str,
        sub: Subresource,
        kind: PatchKind,
        patch: &Value,
        opts: &WriteOptions,
        now: jiff::Timestamp,
    ) -> Result<Written, ApiError> {
        let ns = namespace.unwrap_or("");
        // Retry on internal races with other writers, as a real server's GuaranteedUpdate does.
        let mut attempts = 0;
        loop {
            attempts += 1;
            let result = self.patch_once(info, namespace, ns, name, sub, kind, patch, opts, now);
            match result {
                Err(err)
                    if err.reason == "Conflict"
                        && err
                            .details
                            .as_ref()
                            .is_some_and(|d| d.get("causes").is_none())
                        && attempts < 5
                        && !patch_has_precondition(kind, patch) =>
                {
                    continue
                }
                other => return other,
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn patch_once(
        &self,
        info: &ResourceInfo,
        namespace: Option<&str>,
        ns: &str,
        name: &str,
        sub: Subresource,
        kind: PatchKind,
        patch: &Value,
        opts: &WriteOptions,
        now: jiff::Timestamp,
    ) -> Result<Written, ApiError> {
        let live = self.store.get(&Self::collection(info), ns, name);
        let stamp = timestamp(now);
        let Some(live) = live else {
            if let PatchKind::Apply { force } = kind {
                if sub != Subresource::Main {
                    return Err(ApiError::not_found(&info.group, &info.plural, name));
                }
                Self::check_type(info, patch)?;
                if meta_str(patch, "name").is_some_and(|n| n != name) {
                    return Err(ApiError::bad_request(format!(
                        "the name of the object ({}) does not match the name on the URL ({name})",
                        meta_str(patch, "name").unwrap_or("")
                    )));
                }
                return match apply::server_side_apply(
                    None,
                    patch,
                    &opts.field_manager,
                    force,
                    &stamp,
                ) {
                    apply::ApplyOutcome::Invalid(message) => Err(ApiError::bad_request(message)),
                    apply::ApplyOutcome::Applied(obj) => {
                        let mut obj = obj;
                        if let Some(meta) = metadata_mut(&mut obj) {
                            meta.insert("name".into(), Value::String(name.to_string()));
                        }
                        self.create_applied(info, namespace, obj, opts, now)
                    }
                    apply::ApplyOutcome::Conflicts(conflicts) => Err(apply_conflict(&conflicts)),
                };
            }
            return Err(ApiError::not_found(&info.group, &info.plural, name));
        };
        // The document the patch applies to: the object, or its Scale view.
        let base = if sub == Subresource::Scale {
            scale_of(&live)
        } else {
            (*live).clone()
        };
        let patched = match kind {
            PatchKind::Merge => {
                let mut doc = base;
                merge::json_merge_patch(&mut doc, patch);
                doc
            }
            PatchKind::Strategic => {
                if !patch.is_object() {
                    return Err(ApiError::bad_request(
                        "strategic merge patch must be a JSON object",
                    ));
                }
                if info.custom {
                    return Err(ApiError::unsupported_media_type(
                        "application/strategic-merge-patch+json",
                    ));
                }
                let mut doc = base;
                merge::strategic_merge_patch(&mut doc, patch, &info.group, &info.kind)
                    .map_err(patch_error)?;
                doc
            }
            PatchKind::Json => {
                let mut doc = base;
                merge::json_patch(&mut doc, patch).map_err(patch_error)?;
                doc
            }
            PatchKind::Apply { force } => {
                if sub == Subresource::Main {
                    Self::check_type(info, patch)?;
                }
                let subresource = match sub {
                    Subresource::Main => None,
                    Subresource::Status => Some("status"),
                    Subresource::Scale => Some("scale"),
                };
                match apply::server_side_apply_subresource(
                    Some(&base),
                    patch,
                    &opts.field_manager,
                    force,
                    subresource,
                    &stamp,
                ) {
                    apply::ApplyOutcome::Applied(obj) => obj,
                    apply::ApplyOutcome::Invalid(message) => {
                        return Err(ApiError::bad_request(message))
                    }
                    apply::ApplyOutcome::Conflicts(conflicts) => {
                        return Err(apply_conflict(&conflicts))
                    }
                }
            }
        };
        let operation = if matches!(kind, PatchKind::Apply { .. }) {
            "Apply"
        } else {
            "Update"
        };
        let (desired, expected_rv) = if sub == Subresource::Scale {
            let mut desired = (*live).clone();
            let replicas = patched
                .pointer("/spec/replicas")
                .cloned()
                .unwrap_or(json!(0));
            if let Some(spec) = desired.get_mut("spec").and_then(Value::as_object_mut) {
                spec.insert("replicas".into(), replicas);
            }
            (desired, None)
        } else {
            let expected =
                meta_str(&patched, "resourceVersion").and_then(|s| s.parse::<u64>().ok());
            let mut desired = patched;
            if !desired.is_object() {
                return Err(ApiError::bad_request("the patch must result in an object"));
            }
            Self::place_namespace(info, &mut desired, namespace)?;
            (desired, expected)
        };
        // Main-resource patches may carry the object's identity; they must not change it.
        if meta_str(&desired, "name") != Some(name) {
            return Err(ApiError::bad_request(
                "the patch must not change metadata.name",
            ));
        }
        self.write_over(info, &live, desired, sub, expected_rv, opts, operation, now)
    }

    fn create_applied(
        &self,
        info: &ResourceInfo,
        namespace: Option<&str>,
        obj: Value,
        opts: &WriteOptions,
        now: jiff::Timestamp,
    ) -> Result<Written, ApiError> {
        // Apply-created objects keep the managedFields server-side apply computed.
        self.create_inner(info, namespace, obj, opts, now, false)
    }

    /// DELETE one object (cascading to its namespace contents / owned objects / CR instances).
    pub fn delete(
        &self,
        info: &ResourceInfo,
        namespace: Option<&str>,
        name: &str,
        options: &DeleteOptions,
        now: jiff::Timestamp,
    ) -> Result<Arc<Value>, ApiError> {
        let ns = namespace.unwrap_or("");
        let collection = Self::collection(info);
        let live = self
            .store
            .get(&collection, ns, name)
            .ok_or_else(|| ApiError::not_found(&info.group, &info.plural, name))?;
        if let Some(uid) = &options.precondition_uid {
            if meta_str(&live, "uid") != Some(uid.as_str()) {
                return Err(ApiError::conflict(&info.group, &info.plural, name));
            }
        }
        if let Some(rv) = options.precondition_rv {
            if resource_version_of(&live) != Some(rv) {
                return Err(ApiError::conflict(&info.group, &info.plural, name));
            }
        }
        if options.dry_run {
            return Ok(self.at_version(info, live));
        }
        let deleted = match (info.group.as_str(), info.kind.as_str()) {
            ("", "Namespace") => {
                for (coll, obj) in self.store.objects_in_namespace(name) {
                    let obj_name = meta_str(&obj, "name").unwrap_or("").to_string();
                    let _ = self.store.delete(&coll, name, &obj_name);
                }
                let mut terminating = (*live).clone();
                if let Some(meta) = metadata_mut(&mut terminating) {
                    meta.insert("deletionTimestamp".into(), Value::String(timestamp(now)));
                }
                if let Some(map) = terminating.as_object_mut() {
                    map.insert("status".into(), json!({"phase": "Terminating"}));
                }
                let _ = self.store.update(&collection, terminating, None);
                self.store
                    .delete(&collection, "", name)
                    .map_err(|e| store_error(info, name, e))?
            }
            ("apiextensions.k8s.io", "CustomResourceDefinition") => {
                let removed = self
                    .catalog
                    .write()
                    .unwrap_or_else(|p| p.into_inner())
                    .unregister_crd(name);
                if let Some(defined) = removed {
                    let coll = Self::collection(&defined);
                    let (_, instances) = self.store.list(&coll, None, None);
                    for obj in instances {
                        let _ = self.store.delete(
                            &coll,
                            meta_str(&obj, "namespace").unwrap_or(""),
                            meta_str(&obj, "name").unwrap_or(""),
                        );
                    }
                }
                self.store
                    .delete(&collection, ns, name)
                    .map_err(|e| store_error(info, name, e))?
            }
            _ => self
                .store
                .delete(&collection, ns, name)
                .map_err(|e| store_error(info, name, e))?,
        };
        if !options.orphan {
            if let Some(uid) = meta_str(&deleted, "uid") {
                self.collect_garbage(uid);
            }
        }
        Ok(self.at_version(info, deleted))
    }

    /// Background cascading deletion: remove everything owned by `uid`, recursively.
    fn collect_garbage(&self, uid: &str) {
        let mut pending = vec![uid.to_string()];
        while let Some(owner) = pending.pop() {
            for (coll, obj) in self.store.owned_by(&owner) {
                let ns = meta_str(&obj, "namespace").unwrap_or("");
                let name = meta_str(&obj, "name").unwrap_or("");
                if let Ok(deleted) = self.store.delete(&coll, ns, name) {
                    if let Some(child) = meta_str(&deleted, "uid") {
                        pending.push(child.to_string());
                    }
                }
            }
        }
    }
}

/// Options of a DELETE (query parameters and DeleteOptions body).
#[derive(Debug, Clone, Default)]
pub struct DeleteOptions {
    pub dry_run: bool,
    pub orphan: bool,
    pub precondition_uid: Option<String>,
    pub precondition_rv: Option<u64>,
}

impl DeleteOptions {
    /// Read a DeleteOptions body (may be empty / absent).
    pub fn merge_body(&mut self, body: &Value) {
        if body.get("propagationPolicy").and_then(Value::as_str) == Some("Orphan")
            || body.get("orphanDependents").and_then(Value::as_bool) == Some(true)
        {
            self.orphan = true;
        }
        if let Some(dry) = body.get("dryRun").and_then(Value::as_array) {
            if dry.iter().any(|v| v.as_str() == Some("All")) {
                self.dry_run = true;
            }
        }
        if let Some(uid) = body.pointer("/preconditions/uid").and_then(Value::as_str) {
            self.precondition_uid = Some(uid.to_string());
        }
        if let Some(rv) = body
            .pointer("/preconditions/resourceVersion")
            .and_then(Value::as_str)
        {
            self.precondition_rv = rv.parse().ok();
        }
    }
}

fn is_service(info: &ResourceInfo) -> bool {
    info.group.is_empty() && info.kind == "Service"
}

/// The cluster IPs a Service spec names (`clusterIPs`, else `clusterIP`), headless excluded.
fn requested_cluster_ips(spec: &Value) -> Vec<String> {
    let listed: Vec<String> = spec
        .get("clusterIPs")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect();
    let ips = if listed.is_empty() {
        spec.get("clusterIP")
            .and_then(Value::as_str)
            .map(str::to_string)
            .into_iter()
            .collect()
    } else {
        listed
    };
    ips.into_iter()
        .filter(|ip| !ip.is_empty() && ip != "None")
        .collect()
}

/// `(index in spec.ports, nodePort)` of every port that names one.
fn requested_node_ports(spec: &Value) -> Vec<(usize, i64)> {
    spec.get("ports")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
        .filter_map(|(index, port)| {
            let node_port = port.get("nodePort").and_then(Value::as_i64)?;
            (node_port != 0).then_some((index, node_port))
        })
        .collect()
}

fn patch_error(err: merge::PatchError) -> ApiError {
    ApiError::new(err.code(), err.reason(), err.to_string())
}

fn patch_has_precondition(kind: PatchKind, patch: &Value) -> bool {
    matches!(kind, PatchKind::Merge | PatchKind::Strategic)
        && patch.pointer("/metadata/resourceVersion").is_some()
}

/// The 409 a real server answers for server-side apply conflicts (kubectl prints its message
/// and adds its own advice below it).
pub fn apply_conflict(conflicts: &[apply::Conflict]) -> ApiError {
    let status = apply::conflict_status(conflicts);
    ApiError::new(409, "Conflict", apply::conflict_message(conflicts))
        .with_details(status.get("details").cloned().unwrap_or_else(|| json!({})))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api_server() -> ApiServer {
        let c = ApiServer::new(
            "dev",
            Tokens::generate(),
            Arc::new(FaultControl::default()),
            1000,
        );
        let ns_info = c
            .catalog()
            .by_kind("", "Namespace")
            .cloned()
            .expect("namespaces");
        let opts = WriteOptions {
            field_manager: "test".into(),
            dry_run: false,
        };
        for ns in ["default", "shop"] {
            c.create(
                &ns_info,
                None,
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}),
                &opts,
                jiff::Timestamp::now(),
            )
            .expect("namespace");
        }
        c
    }

    fn deployment(replicas: i64) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": "web", "labels": {"app": "web"}},
               "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                        "template": {"metadata": {"labels": {"app": "web"}},
                                     "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}})
    }

    fn opts() -> WriteOptions {
        WriteOptions {
            field_manager: "kubectl".into(),
            dry_run: false,
        }
    }

    #[test]
    fn namespaces_are_seeded_and_required() {
        let c = api_server();
        let cat = c.catalog();
        let sa = cat.by_kind("", "ServiceAccount").cloned().expect("sa");
        assert!(c.get(&sa, "shop", "default").is_ok());
        let deploy = cat.by_kind("apps", "Deployment").cloned().expect("deploy");
        let err = c
            .create(
                &deploy,
                Some("nope"),
                deployment(1),
                &opts(),
                jiff::Timestamp::now(),
            )
            .expect_err("no ns");
        assert_eq!(
            (err.code, err.message.as_str()),
            (404, "namespaces \"nope\" not found")
        );
    }

    #[test]
    fn generation_bumps_on_spec_only_and_noop_keeps_rv() {
        let c = api_server();
        let deploy = c
            .catalog()
            .by_kind("apps", "Deployment")
            .cloned()
            .expect("deploy");
        let now = jiff::Timestamp::now();
        let created = c
            .create(&deploy, Some("shop"), deployment(2), &opts(), now)
            .expect("create")
            .object;
        assert_eq!(created["metadata"]["generation"], 1);
        assert_eq!(created["status"], json!({}));
        let rv = created["metadata"]["resourceVersion"].clone();
        let same = c
            .patch(
                &deploy,
                Some("shop"),
                "web",
                Subresource::Main,
                PatchKind::Merge,
                &json!({"spec": {"replicas": 2}}),
                &opts(),
                now,
            )
            .expect("noop");
        assert_eq!(same.object["metadata"]["resourceVersion"], rv);
        let labelled = c
            .patch(
                &deploy,
                Some("shop"),
                "web",
                Subresource::Main,
                PatchKind::Merge,
                &json!({"metadata": {"labels": {"tier": "fe"}}}),
                &opts(),
                now,
            )
            .expect("label");
        assert_eq!(labelled.object["metadata"]["generation"], 1);
        let status = c
            .patch(
                &deploy,
                Some("shop"),
                "web",
                Subresource::Status,
                PatchKind::Merge,
                &json!({"status": {"replicas": 2}, "spec": {"replicas": 9}}),
                &opts(),
                now,
            )
            .expect("status");
        assert_eq!(
            (
                status.object["metadata"]["generation"].clone(),
                status.object["spec"]["replicas"].clone()
            ),
            (json!(1), json!(2))
        );
        let scaled = c
            .patch(
                &deploy,
                Some("shop"),
                "web",
                Subresource::Scale,
                PatchKind::Merge,
                &json!({"spec": {"replicas": 5}}),
                &opts(),
                now,
            )
            .expect("scale");
        assert_eq!(
            (
                scaled.object["metadata"]["generation"].clone(),
                scaled.object["spec"]["replicas"].clone()
            ),
            (json!(2), json!(5))
        );
        assert_eq!(scale_of(&scaled.object)["status"]["selector"], "app=web");
    }

    #[test]
    fn stale_update_conflicts_and_dry_run_stores_nothing() {
        let c = api_server();
        let deploy = c
            .catalog()
            .by_kind("apps", "Deployment")
            .cloned()
            .expect("deploy");
        let now = jiff::Timestamp::now();
        let created = c
            .create(&deploy, Some("shop"), deployment(1), &opts(), now)
            .expect("create")
            .object;
        let mut stale = (*created).clone();
        c.patch(
            &deploy,
            Some("shop"),
            "web",
            Subresource::Main,
            PatchKind::Json,
            &json!([{"op": "replace", "path": "/spec/replicas", "value": 3}]),
            &opts(),
            now,
        )
        .expect("json patch");
        stale["spec"]["replicas"] = json!(7);
        let err = c
            .update(
                &deploy,
                Some("shop"),
                "web",
                Subresource::Main,
                stale,
                &opts(),
                now,
            )
            .expect_err("stale");
        assert_eq!(err.reason, "Conflict");
        let dry = WriteOptions {
            dry_run: true,
            ..opts()
        };
        let mut other = deployment(1);
        other["metadata"]["name"] = json!("api");
        c.create(&deploy, Some("shop"), other, &dry, now)
            .expect("dry run create");
        assert!(c.get(&deploy, "shop", "api").is_err());
    }

    #[test]
    fn deleting_a_namespace_removes_its_objects_and_owned_children_go_too() {
        let c = api_server();
        let cat = c.catalog();
        let deploy = cat.by_kind("apps", "Deployment").cloned().expect("deploy");
        let rs = cat.by_kind("apps", "ReplicaSet").cloned().expect("rs");
        let ns = cat.by_kind("", "Namespace").cloned().expect("ns");
        let now = jiff::Timestamp::now();
        let owner = c
            .create(&deploy, Some("shop"), deployment(1), &opts(), now)
            .expect("create")
            .object;
        let child = json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": "web-7d9f8b6c5", "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "uid": owner["metadata"]["uid"], "controller": true}]},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}}, "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}});
        c.create(&rs, Some("shop"), child, &opts(), now)
            .expect("child");
        c.delete(&deploy, Some("shop"), "web", &DeleteOptions::default(), now)
            .expect("delete");
        assert!(c.get(&rs, "shop", "web-7d9f8b6c5").is_err());
        c.delete(&ns, None, "shop", &DeleteOptions::default(), now)
            .expect("delete ns");
        assert!(c.store.objects_in_namespace("shop").is_empty());
    }
}
