//! Sandbox clusters: in-process Kubernetes API servers speaking the real REST API.
//!
//! `objects` holds the pure object logic (defaulting, patches, server-side apply and
//! managedFields, the status controller); the rest is the HTTP server around it.
//!
//! # Layout
//! - [`handle`]: [`Sandbox::start`] runs one server per cluster on 127.0.0.1 on its own tokio
//!   runtime; [`ClusterHandle`] gives the URL, [`faults::FaultControl`] and direct `insert`.
//! - [`server`]: REST routing, discovery, request decoding, auth, faults →
//!   [`api_server::ApiServer`].
//! - [`api_server`]: create/update/patch/apply/delete semantics over the [`store::Store`].
//! - [`store`]: per-cluster objects, one resourceVersion counter, bounded event history,
//!   broadcast fan-out; [`watch`] streams it.
//! - [`catalog`]: built-in kinds plus CRD-defined kinds registered at runtime.
//! - [`media`]: `Accept` negotiation as a real server does it (q-values, 406 NotAcceptable):
//!   the objects, a Table (`kubectl get`), or `meta.k8s.io` PartialObjectMetadata(List) for
//!   metadata-only get/list/watch (kube-rs `*_metadata`, metadata informers): no data/spec/status.
//! - [`table`]: server-side printing (`kubectl get` columns), one printer file per API group.
//! - [`auth`] (users `admin` / `viewer`, bearer tokens), [`review`] (`kubectl auth can-i` /
//!   `whoami`: SelfSubjectAccessReview, SelfSubjectRulesReview, SelfSubjectReview, answered
//!   from the rules that guard requests, never stored), [`errors`] (Status objects),
//!   [`openapi`] (minimal v3 so kubectl validates server-side), [`protobuf`] (kubectl's typed
//!   creates, schema-driven), `control` (status controller loop).
//!
//! # Known gaps against a real API server
//! - Discovery: aggregated (apidiscovery.k8s.io/v2, what kubectl 1.32 asks for) and legacy
//!   (what kube-rs `Discovery` uses) are served; v2beta1 aggregated is not (clients fall back).
//! - OpenAPI v3 documents only PATCH operations (no schemas): `fieldValidation=Strict` is
//!   accepted but unknown fields are not rejected; kubectl computes strategic patches from its
//!   compiled-in types. `/openapi/v2` is 404.
//! - Protobuf request bodies are decoded for the kinds kubectl's typed clients create
//!   (`kubectl create deployment|job|cronjob|ingress|service|role|clusterrole|rolebinding|
//!   clusterrolebinding|poddisruptionbudget|priorityclass|quota|namespace|configmap|secret|
//!   serviceaccount`; `kubectl run` and `expose` send JSON): Namespace, ConfigMap, Secret,
//!   ServiceAccount, Pod, Service, ResourceQuota, Deployment, Job, CronJob, Ingress, Role,
//!   ClusterRole, RoleBinding, ClusterRoleBinding, PodDisruptionBudget, PriorityClass, and the
//!   three review kinds `kubectl auth` sends. Other kinds answer 415. Within those, fields kubectl create never sets are decoded only in part
//!   (no volumes, affinity, topology spread, dnsConfig, lifecycle hooks, gRPC probes, status;
//!   unknown fields are dropped, as an older protobuf schema would). Protobuf list/watch
//!   responses are not served (responses are always JSON). `kubectl create token` fails: the
//!   `serviceaccounts/token` subresource (TokenRequest) is not served. kubectl only sends
//!   bearer tokens over HTTPS, so kubectl needs `tls: true`.
//! - Lists are served from the current state: `resourceVersion`/`resourceVersionMatch` on list
//!   and the snapshot of a `continue` token are not honoured (a continue token older than the
//!   event history answers 410).
//! - `Accept` decides the shape, never the encoding: YAML and protobuf ranges are accepted but
//!   answered in JSON. Lists carry no `remainingItemCount`. A watch asking for
//!   `as=PartialObjectMetadataList` gets whole objects (a real server's per-event transform
//!   fails the same way and sends the object; its encoder's reaction is not reproduced).
//! - List items keep their `apiVersion`/`kind` (a real server omits them for built-in kinds;
//!   clients accept both).
//! - Watches filter by selector on the new object only (an object leaving a selector produces
//!   no synthetic DELETED); bookmarks are sent every 5 s to watches that allow them.
//! - What admission and the storage add on a write is done for the kinds kubectl users meet
//!   (`objects::defaults::apply_server_fields` and the Service allocator): Pod service account,
//!   its `kube-api-access-*` token volume and mounts (skipped only for the Pod's own
//!   `automountServiceAccountToken: false`; the ServiceAccount's flag is not read, a missing
//!   ServiceAccount is not refused), priority 0 (PriorityClasses are not resolved), the
//!   not-ready/unreachable tolerations, QoS class; Job selectors and labels; Service cluster IPs
//!   (random in 10.96.0.0/12, IPv4 single-stack only), node ports and health check node ports
//!   (30000-32767), kept on update and refused when another Service holds them. No other
//!   admission plugin (LimitRanger, ResourceQuota, PodSecurity, webhooks) runs.
//! - No schema validation beyond names, kinds, namespaces and Service addresses (immutable
//!   fields such as a Pod's spec or a Job's selector can be changed); no finalizers:
//!   deletes are immediate (namespaces go Terminating and vanish at once; ownerReference
//!   children are garbage-collected in the background unless `propagationPolicy=Orphan`).
//! - The controller loop (`objects::controller` steps) creates one ReplicaSet per Deployment
//!   template and Pods on a single node, makes workloads available after `ready_after`, gives
//!   LoadBalancer Services an IP, binds PVCs and completes Jobs. Rollouts are simplified (the
//!   new ReplicaSet scales up at once), CronJobs are not scheduled, HPAs get no status.
//!   No container runs: an image is "missing" only when its registry is under the reserved
//!   `.invalid` domain (the pod stays in `ImagePullBackOff`), and a Pod annotated
//!   `sandbox.kubedrift.io/kubelet: manual` gets no kubelet at all (its writer owns its
//!   status; the demo's CrashLoopBackOff pod).
//! - Objects are stored as JSON, not round-tripped through typed structs: fields Go would drop
//!   as `omitempty` zero values (`readOnly: false`, `hostNetwork: false`,
//!   `initialDelaySeconds: 0`) are kept, quantities sent as numbers (`cpu: 0.1`) are not
//!   canonicalized to strings (`100m`), and wrongly typed fields are not rejected.
//! - Authorization is two fixed roles (admin: everything, groups `system:masters`,
//!   `system:authenticated`; viewer: get/list/watch of everything but Secrets), no RBAC
//!   evaluation of Role/ClusterRole objects, no impersonation (`--as`); the reviews answer from
//!   the same two roles and ignore field and label selector attributes; `/version`, `/healthz`, `/readyz`, `/livez` are
//!   public, everything else needs a token (missing token → 401, not `system:anonymous`).
//! - HTTP/1.1 only (ALPN `http/1.1`); no `exec`, `logs`, `port-forward`, `proxy`.

// Never panic on input: no unwrap/expect/panic outside tests (`cargo clippy` enforces it).
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

// The README example runs as a doctest, so it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExample;

pub mod api_server;
pub mod auth;
pub mod catalog;
mod control;
pub mod errors;
pub mod faults;
pub mod handle;
pub mod kubeconfig;
pub mod media;
pub mod objects;
pub mod openapi;
pub mod protobuf;
pub mod review;
pub mod selectors;
pub mod server;
pub mod store;
pub mod table;
pub mod tls;
pub mod watch;

pub use handle::{ClusterHandle, Sandbox, SandboxError, SandboxOptions};
