//! Decoding of the Kubernetes protobuf request bodies kubectl sends.
//!
//! kubectl's typed clients (every `kubectl create <subcommand>`, `kubectl run`) send
//! `application/vnd.kubernetes.protobuf` and never fall back to JSON, so the sandbox decodes
//! those bodies into the JSON object a JSON client would have sent and hands that to the same
//! create path. Responses are always JSON, which these clients accept.
//!
//! The decoder is schema-driven: `Msg` names each message type of k8s.io/api's
//! `generated.proto` that kubectl's creates can carry, and its table maps wire field numbers
//! (exactly those of `generated.proto`, stable across releases) to JSON names and types.
//! Unknown fields are skipped, as a protobuf decoder of an older schema would; malformed input
//! is an error, never a panic. Kinds without a table answer 415 (a documented gap).
//!
//! Zero values: Go's protobuf encoder writes every non-pointer field, even when empty, while
//! Go's JSON encoder drops `omitempty` zeros. Fields declared `Presence::OmitEmpty` therefore
//! drop `""`, `0` and `false`; pointer fields and fields without `omitempty` are kept whenever
//! they are on the wire (`Presence::Always`). Embedded messages are kept even when empty
//! (`"resources": {}`), as Go's JSON encoder keeps struct fields.

use base64::Engine;
use serde_json::{Map, Value};

/// Why a protobuf body could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtobufError {
    #[error("protobuf body is malformed: {0}")]
    Malformed(&'static str),
    #[error("the sandbox does not decode protobuf bodies of kind {0:?}; send JSON")]
    UnsupportedKind(String),
}

/// The magic prefix of Kubernetes protobuf envelopes.
const MAGIC: &[u8] = b"k8s\x00";

/// Deeper nesting than any table reaches means the input is hostile, not a Kubernetes object.
const MAX_DEPTH: usize = 32;

/// `metav1.Time{}` (0001-01-01T00:00:00Z) in Unix seconds: the zero time, JSON `null`.
const ZERO_TIME_SECONDS: i64 = -62_135_596_800;

enum Field<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed,
}

struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    fn varint(&mut self) -> Result<u64, ProtobufError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let (&byte, rest) = self
                .data
                .split_first()
                .ok_or(ProtobufError::Malformed("truncated varint"))?;
            self.data = rest;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(ProtobufError::Malformed("varint too long"))
    }

    fn skip(&mut self, n: usize) -> Result<&'a [u8], ProtobufError> {
        if n > self.data.len() {
            return Err(ProtobufError::Malformed("field runs past the end"));
        }
        let (head, rest) = self.data.split_at(n);
        self.data = rest;
        Ok(head)
    }

    fn next(&mut self) -> Result<Option<(u64, Field<'a>)>, ProtobufError> {
        if self.data.is_empty() {
            return Ok(None);
        }
        let key = self.varint()?;
        let field = match key & 7 {
            0 => Field::Varint(self.varint()?),
            1 => {
                self.skip(8)?;
                Field::Fixed
            }
            2 => {
                let len = usize::try_from(self.varint()?)
                    .map_err(|_| ProtobufError::Malformed("length overflow"))?;
                Field::Bytes(self.skip(len)?)
            }
            5 => {
                self.skip(4)?;
                Field::Fixed
            }
            _ => return Err(ProtobufError::Malformed("unsupported wire type")),
        };
        Ok(Some((key >> 3, field)))
    }
}

fn text(bytes: &[u8]) -> Result<String, ProtobufError> {
    String::from_utf8(bytes.to_vec()).map_err(|_| ProtobufError::Malformed("string is not UTF-8"))
}

/// The JSON type a wire field decodes to.
#[derive(Debug, Clone, Copy)]
enum Ty {
    Str,
    I32,
    I64,
    Bool,
    /// `bytes` → base64, as Go's JSON encoder writes `[]byte`.
    Bytes,
    Msg(Msg),
    /// `intstr.IntOrString{type=1, intVal=2, strVal=3}` → number or string.
    IntOrString,
    /// `resource.Quantity{string=1}` → its canonical string.
    Quantity,
    /// `metav1.Time{seconds=1, nanos=2}` → RFC 3339 seconds; the zero time is omitted.
    Time,
}

/// Whether a zero scalar on the wire reaches the JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Presence {
    /// A Go value field tagged `omitempty`: `""`, `0`, `false` are dropped.
    OmitEmpty,
    /// A Go pointer field, or a field without `omitempty`: kept whenever it is on the wire.
    Always,
}

#[derive(Debug, Clone, Copy)]
enum Shape {
    One(Presence),
    Repeated,
    /// A Go slice without `omitempty`: JSON `null` when the wire has no element.
    RepeatedOrNull,
    /// `map<string, T>`: entries `{key = 1, value = 2}`.
    Map,
    /// A Go embedded struct tagged `json:",inline"`: its fields land in the parent object.
    Inline,
}

/// One field of a message table.
#[derive(Debug, Clone, Copy)]
struct Def {
    number: u64,
    json: &'static str,
    ty: Ty,
    shape: Shape,
}

/// An `omitempty` value field (or any message field).
const fn opt(number: u64, json: &'static str, ty: Ty) -> Def {
    Def {
        number,
        json,
        ty,
        shape: Shape::One(Presence::OmitEmpty),
    }
}

/// A pointer field, or a field without `omitempty`.
const fn req(number: u64, json: &'static str, ty: Ty) -> Def {
    Def {
        number,
        json,
        ty,
        shape: Shape::One(Presence::Always),
    }
}

const fn rep(number: u64, json: &'static str, ty: Ty) -> Def {
    Def {
        number,
        json,
        ty,
        shape: Shape::Repeated,
    }
}

/// A repeated field whose Go slice has no `omitempty` (`"rules": null` when empty).
const fn list(number: u64, json: &'static str, ty: Ty) -> Def {
    Def {
        number,
        json,
        ty,
        shape: Shape::RepeatedOrNull,
    }
}

const fn map(number: u64, json: &'static str, value: Ty) -> Def {
    Def {
        number,
        json,
        ty: value,
        shape: Shape::Map,
    }
}

const fn inline(number: u64, msg: Msg) -> Def {
    Def {
        number,
        json: "",
        ty: Ty::Msg(msg),
        shape: Shape::Inline,
    }
}

const fn msg(number: u64, json: &'static str, msg: Msg) -> Def {
    opt(number, json, Ty::Msg(msg))
}

const fn msgs(number: u64, json: &'static str, msg: Msg) -> Def {
    rep(number, json, Ty::Msg(msg))
}

use Ty::{Bool, Bytes, IntOrString, Quantity, Str, Time, I32, I64};

/// The message types the decoder knows, named as in k8s.io/api.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Msg {
    /// A message whose fields are all dropped (a create body's `status`, which the server
    /// replaces anyway): decodes to `{}`.
    Empty,
    // meta/v1
    ObjectMeta,
    OwnerReference,
    LabelSelector,
    LabelSelectorRequirement,
    // core/v1
    Namespace,
    NamespaceSpec,
    ConfigMap,
    Secret,
    ServiceAccount,
    ObjectReference,
    LocalObjectReference,
    Pod,
    PodTemplateSpec,
    PodSpec,
    PodSecurityContext,
    Container,
    ContainerPort,
    EnvVar,
    EnvVarSource,
    ObjectFieldSelector,
    ResourceFieldSelector,
    ConfigMapKeySelector,
    SecretKeySelector,
    EnvFromSource,
    ConfigMapEnvSource,
    SecretEnvSource,
    ResourceRequirements,
    VolumeMount,
    Probe,
    ProbeHandler,
    ExecAction,
    HttpGetAction,
    HttpHeader,
    TcpSocketAction,
    SecurityContext,
    Capabilities,
    SeccompProfile,
    Toleration,
    Service,
    ServiceSpec,
    ServicePort,
    ResourceQuota,
    ResourceQuotaSpec,
    ScopeSelector,
    ScopedResourceSelectorRequirement,
    // apps/v1
    Deployment,
    DeploymentSpec,
    DeploymentStrategy,
    RollingUpdateDeployment,
    // batch/v1
    Job,
    JobSpec,
    CronJob,
    CronJobSpec,
    JobTemplateSpec,
    // networking/v1
    Ingress,
    IngressSpec,
    IngressBackend,
    IngressServiceBackend,
    ServiceBackendPort,
    TypedLocalObjectReference,
    IngressTls,
    IngressRule,
    IngressRuleValue,
    HttpIngressRuleValue,
    HttpIngressPath,
    // rbac/v1
    Role,
    ClusterRole,
    PolicyRule,
    AggregationRule,
    RoleBinding,
    Subject,
    RoleRef,
    // policy/v1
    PodDisruptionBudget,
    PodDisruptionBudgetSpec,
    // scheduling/v1
    PriorityClass,
    // authorization/v1 and authentication/v1 (`kubectl auth can-i`, `kubectl auth whoami`)
    SelfSubjectAccessReview,
    SelfSubjectAccessReviewSpec,
    ResourceAttributes,
    NonResourceAttributes,
    SelfSubjectRulesReview,
    SelfSubjectRulesReviewSpec,
    SelfSubjectReview,
}

/// `metadata = 1, spec = 2, status = 3`: the shape of most top-level kinds.
const fn object(spec: Msg) -> [Def; 3] {
    [
        msg(1, "metadata", Msg::ObjectMeta),
        msg(2, "spec", spec),
        msg(3, "status", Msg::Empty),
    ]
}

const OBJECT_META: &[Def] = &[
    opt(1, "name", Str),
    opt(2, "generateName", Str),
    opt(3, "namespace", Str),
    opt(4, "selfLink", Str),
    opt(5, "uid", Str),
    opt(6, "resourceVersion", Str),
    opt(7, "generation", I64),
    opt(8, "creationTimestamp", Time),
    opt(9, "deletionTimestamp", Time),
    req(10, "deletionGracePeriodSeconds", I64),
    map(11, "labels", Str),
    map(12, "annotations", Str),
    msgs(13, "ownerReferences", Msg::OwnerReference),
    rep(14, "finalizers", Str),
];
const OWNER_REFERENCE: &[Def] = &[
    req(5, "apiVersion", Str),
    req(1, "kind", Str),
    req(3, "name", Str),
    req(4, "uid", Str),
    req(6, "controller", Bool),
    req(7, "blockOwnerDeletion", Bool),
];
const LABEL_SELECTOR: &[Def] = &[
    map(1, "matchLabels", Str),
    msgs(2, "matchExpressions", Msg::LabelSelectorRequirement),
];
const LABEL_SELECTOR_REQUIREMENT: &[Def] = &[
    req(1, "key", Str),
    req(2, "operator", Str),
    rep(3, "values", Str),
];

const NAMESPACE: &[Def] = &object(Msg::NamespaceSpec);
const NAMESPACE_SPEC: &[Def] = &[rep(1, "finalizers", Str)];
const CONFIG_MAP: &[Def] = &[
    msg(1, "metadata", Msg::ObjectMeta),
    req(4, "immutable", Bool),
    map(2, "data", Str),
    map(3, "binaryData", Bytes),
];
const SECRET: &[Def] = &[
    msg(1, "metadata", Msg::ObjectMeta),
    req(5, "immutable", Bool),
    map(2, "data", Bytes),
    map(4, "stringData", Str),
    opt(3, "type", Str),
];
const SERVICE_ACCOUNT: &[Def] = &[
    msg(1, "metadata", Msg::ObjectMeta),
    msgs(2, "secrets", Msg::ObjectReference),
    msgs(3, "imagePullSecrets", Msg::LocalObjectReference),
    req(4, "automountServiceAccountToken", Bool),
];
const OBJECT_REFERENCE: &[Def] = &[
    opt(1, "kind", Str),
    opt(2, "namespace", Str),
    opt(3, "name", Str),
    opt(4, "uid", Str),
    opt(5, "apiVersion", Str),
    opt(6, "resourceVersion", Str),
    opt(7, "fieldPath", Str),
];
const LOCAL_OBJECT_REFERENCE: &[Def] = &[opt(1, "name", Str)];

const POD: &[Def] = &object(Msg::PodSpec);
const POD_TEMPLATE_SPEC: &[Def] = &[
    msg(1, "metadata", Msg::ObjectMeta),
    msg(2, "spec", Msg::PodSpec),
];
const POD_SPEC: &[Def] = &[
    msgs(20, "initContainers", Msg::Container),
    list(2, "containers", Ty::Msg(Msg::Container)),
    opt(3, "restartPolicy", Str),
    req(4, "terminationGracePeriodSeconds", I64),
    req(5, "activeDeadlineSeconds", I64),
    opt(6, "dnsPolicy", Str),
    map(7, "nodeSelector", Str),
    opt(8, "serviceAccountName", Str),
    opt(9, "serviceAccount", Str),
    req(21, "automountServiceAccountToken", Bool),
    opt(10, "nodeName", Str),
    opt(11, "hostNetwork", Bool),
    opt(12, "hostPID", Bool),
    opt(13, "hostIPC", Bool),
    req(27, "shareProcessNamespace", Bool),
    msg(14, "securityContext", Msg::PodSecurityContext),
    msgs(15, "imagePullSecrets", Msg::LocalObjectReference),
    opt(16, "hostname", Str),
    opt(17, "subdomain", Str),
    opt(19, "schedulerName", Str),
    msgs(22, "tolerations", Msg::Toleration),
    opt(24, "priorityClassName", Str),
    req(25, "priority", I32),
    req(29, "runtimeClassName", Str),
    req(30, "enableServiceLinks", Bool),
    req(31, "preemptionPolicy", Str),
    map(32, "overhead", Quantity),
    req(35, "setHostnameAsFQDN", Bool),
    req(37, "hostUsers", Bool),
];
const POD_SECURITY_CONTEXT: &[Def] = &[
    req(2, "runAsUser", I64),
    req(6, "runAsGroup", I64),
    req(3, "runAsNonRoot", Bool),
    rep(4, "supplementalGroups", I64),
    req(5, "fsGroup", I64),
    req(9, "fsGroupChangePolicy", Str),
    msg(10, "seccompProfile", Msg::SeccompProfile),
];
const CONTAINER: &[Def] = &[
    req(1, "name", Str),
    opt(2, "image", Str),
    rep(3, "command", Str),
    rep(4, "args", Str),
    opt(5, "workingDir", Str),
    msgs(6, "ports", Msg::ContainerPort),
    msgs(19, "envFrom", Msg::EnvFromSource),
    msgs(7, "env", Msg::EnvVar),
    msg(8, "resources", Msg::ResourceRequirements),
    req(24, "restartPolicy", Str),
    msgs(9, "volumeMounts", Msg::VolumeMount),
    msg(10, "livenessProbe", Msg::Probe),
    msg(11, "readinessProbe", Msg::Probe),
    msg(22, "startupProbe", Msg::Probe),
    opt(13, "terminationMessagePath", Str),
    opt(20, "terminationMessagePolicy", Str),
    opt(14, "imagePullPolicy", Str),
    msg(15, "securityContext", Msg::SecurityContext),
    opt(16, "stdin", Bool),
    opt(17, "stdinOnce", Bool),
    opt(18, "tty", Bool),
];
const CONTAINER_PORT: &[Def] = &[
    opt(1, "name", Str),
    opt(2, "hostPort", I32),
    req(3, "containerPort", I32),
    opt(4, "protocol", Str),
    opt(5, "hostIP", Str),
];
const ENV_VAR: &[Def] = &[
    req(1, "name", Str),
    opt(2, "value", Str),
    msg(3, "valueFrom", Msg::EnvVarSource),
];
const ENV_VAR_SOURCE: &[Def] = &[
    msg(1, "fieldRef", Msg::ObjectFieldSelector),
    msg(2, "resourceFieldRef", Msg::ResourceFieldSelector),
    msg(3, "configMapKeyRef", Msg::ConfigMapKeySelector),
    msg(4, "secretKeyRef", Msg::SecretKeySelector),
];
const OBJECT_FIELD_SELECTOR: &[Def] = &[opt(1, "apiVersion", Str), req(2, "fieldPath", Str)];
const RESOURCE_FIELD_SELECTOR: &[Def] = &[
    opt(1, "containerName", Str),
    req(2, "resource", Str),
    opt(3, "divisor", Quantity),
];
/// `ConfigMapKeySelector` and `SecretKeySelector` share one layout.
const KEY_SELECTOR: &[Def] = &[
    inline(1, Msg::LocalObjectReference),
    req(2, "key", Str),
    req(3, "optional", Bool),
];
const ENV_FROM_SOURCE: &[Def] = &[
    opt(1, "prefix", Str),
    msg(2, "configMapRef", Msg::ConfigMapEnvSource),
    msg(3, "secretRef", Msg::SecretEnvSource),
];
/// `ConfigMapEnvSource` and `SecretEnvSource` share one layout.
const ENV_SOURCE: &[Def] = &[
    inline(1, Msg::LocalObjectReference),
    req(2, "optional", Bool),
];
const RESOURCE_REQUIREMENTS: &[Def] = &[map(1, "limits", Quantity), map(2, "requests", Quantity)];
const VOLUME_MOUNT: &[Def] = &[
    req(1, "name", Str),
    opt(2, "readOnly", Bool),
    req(3, "mountPath", Str),
    opt(4, "subPath", Str),
    req(5, "mountPropagation", Str),
    opt(6, "subPathExpr", Str),
];
const PROBE: &[Def] = &[
    inline(1, Msg::ProbeHandler),
    opt(2, "initialDelaySeconds", I32),
    opt(3, "timeoutSeconds", I32),
    opt(4, "periodSeconds", I32),
    opt(5, "successThreshold", I32),
    opt(6, "failureThreshold", I32),
    req(7, "terminationGracePeriodSeconds", I64),
];
const PROBE_HANDLER: &[Def] = &[
    msg(1, "exec", Msg::ExecAction),
    msg(2, "httpGet", Msg::HttpGetAction),
    msg(3, "tcpSocket", Msg::TcpSocketAction),
];
const EXEC_ACTION: &[Def] = &[rep(1, "command", Str)];
const HTTP_GET_ACTION: &[Def] = &[
    opt(1, "path", Str),
    req(2, "port", IntOrString),
    opt(3, "host", Str),
    opt(4, "scheme", Str),
    msgs(5, "httpHeaders", Msg::HttpHeader),
];
const HTTP_HEADER: &[Def] = &[req(1, "name", Str), req(2, "value", Str)];
const TCP_SOCKET_ACTION: &[Def] = &[req(1, "port", IntOrString), opt(2, "host", Str)];
const SECURITY_CONTEXT: &[Def] = &[
    msg(1, "capabilities", Msg::Capabilities),
    req(2, "privileged", Bool),
    req(4, "runAsUser", I64),
    req(8, "runAsGroup", I64),
    req(5, "runAsNonRoot", Bool),
    req(6, "readOnlyRootFilesystem", Bool),
    req(7, "allowPrivilegeEscalation", Bool),
    req(9, "procMount", Str),
    msg(11, "seccompProfile", Msg::SeccompProfile),
];
const SECCOMP_PROFILE: &[Def] = &[req(1, "type", Str), req(2, "localhostProfile", Str)];
const CAPABILITIES: &[Def] = &[rep(1, "add", Str), rep(2, "drop", Str)];
const TOLERATION: &[Def] = &[
    opt(1, "key", Str),
    opt(2, "operator", Str),
    opt(3, "value", Str),
    opt(4, "effect", Str),
    req(5, "tolerationSeconds", I64),
];

const SERVICE: &[Def] = &object(Msg::ServiceSpec);
const SERVICE_SPEC: &[Def] = &[
    msgs(1, "ports", Msg::ServicePort),
    map(2, "selector", Str),
    opt(3, "clusterIP", Str),
    rep(18, "clusterIPs", Str),
    opt(4, "type", Str),
    rep(5, "externalIPs", Str),
    opt(7, "sessionAffinity", Str),
    opt(8, "loadBalancerIP", Str),
    rep(9, "loadBalancerSourceRanges", Str),
    opt(10, "externalName", Str),
    opt(11, "externalTrafficPolicy", Str),
    opt(12, "healthCheckNodePort", I32),
    opt(13, "publishNotReadyAddresses", Bool),
    rep(19, "ipFamilies", Str),
    req(17, "ipFamilyPolicy", Str),
    req(20, "allocateLoadBalancerNodePorts", Bool),
    req(21, "loadBalancerClass", Str),
    req(22, "internalTrafficPolicy", Str),
    req(23, "trafficDistribution", Str),
];
const SERVICE_PORT: &[Def] = &[
    opt(1, "name", Str),
    opt(2, "protocol", Str),
    req(6, "appProtocol", Str),
    req(3, "port", I32),
    opt(4, "targetPort", IntOrString),
    opt(5, "nodePort", I32),
];
const RESOURCE_QUOTA: &[Def] = &object(Msg::ResourceQuotaSpec);
const RESOURCE_QUOTA_SPEC: &[Def] = &[
    map(1, "hard", Quantity),
    rep(2, "scopes", Str),
    msg(3, "scopeSelector", Msg::ScopeSelector),
];
const SCOPE_SELECTOR: &[Def] = &[msgs(
    1,
    "matchExpressions",
    Msg::ScopedResourceSelectorRequirement,
)];
const SCOPED_RESOURCE_SELECTOR_REQUIREMENT: &[Def] = &[
    req(1, "scopeName", Str),
    req(2, "operator", Str),
    rep(3, "values", Str),
];

const DEPLOYMENT: &[Def] = &object(Msg::DeploymentSpec);
const DEPLOYMENT_SPEC: &[Def] = &[
    req(1, "replicas", I32),
    msg(2, "selector", Msg::LabelSelector),
    msg(3, "template", Msg::PodTemplateSpec),
    msg(4, "strategy", Msg::DeploymentStrategy),
    opt(5, "minReadySeconds", I32),
    req(6, "revisionHistoryLimit", I32),
    opt(7, "paused", Bool),
    req(9, "progressDeadlineSeconds", I32),
];
const DEPLOYMENT_STRATEGY: &[Def] = &[
    opt(1, "type", Str),
    msg(2, "rollingUpdate", Msg::RollingUpdateDeployment),
];
const ROLLING_UPDATE_DEPLOYMENT: &[Def] = &[
    opt(1, "maxUnavailable", IntOrString),
    opt(2, "maxSurge", IntOrString),
];

const JOB: &[Def] = &object(Msg::JobSpec);
const JOB_SPEC: &[Def] = &[
    req(1, "parallelism", I32),
    req(2, "completions", I32),
    req(3, "activeDeadlineSeconds", I64),
    req(7, "backoffLimit", I32),
    msg(4, "selector", Msg::LabelSelector),
    req(5, "manualSelector", Bool),
    msg(6, "template", Msg::PodTemplateSpec),
    req(8, "ttlSecondsAfterFinished", I32),
    req(9, "completionMode", Str),
    req(10, "suspend", Bool),
];
const CRON_JOB: &[Def] = &object(Msg::CronJobSpec);
const CRON_JOB_SPEC: &[Def] = &[
    req(1, "schedule", Str),
    req(8, "timeZone", Str),
    req(2, "startingDeadlineSeconds", I64),
    opt(3, "concurrencyPolicy", Str),
    req(4, "suspend", Bool),
    msg(5, "jobTemplate", Msg::JobTemplateSpec),
    req(6, "successfulJobsHistoryLimit", I32),
    req(7, "failedJobsHistoryLimit", I32),
];
const JOB_TEMPLATE_SPEC: &[Def] = &[
    msg(1, "metadata", Msg::ObjectMeta),
    msg(2, "spec", Msg::JobSpec),
];

const INGRESS: &[Def] = &object(Msg::IngressSpec);
const INGRESS_SPEC: &[Def] = &[
    req(4, "ingressClassName", Str),
    msg(1, "defaultBackend", Msg::IngressBackend),
    msgs(2, "tls", Msg::IngressTls),
    msgs(3, "rules", Msg::IngressRule),
];
const INGRESS_BACKEND: &[Def] = &[
    msg(4, "service", Msg::IngressServiceBackend),
    msg(3, "resource", Msg::TypedLocalObjectReference),
];
const INGRESS_SERVICE_BACKEND: &[Def] =
    &[req(1, "name", Str), msg(2, "port", Msg::ServiceBackendPort)];
const SERVICE_BACKEND_PORT: &[Def] = &[opt(1, "name", Str), opt(2, "number", I32)];
const TYPED_LOCAL_OBJECT_REFERENCE: &[Def] = &[
    req(1, "apiGroup", Str),
    req(2, "kind", Str),
    req(3, "name", Str),
];
const INGRESS_TLS: &[Def] = &[rep(1, "hosts", Str), opt(2, "secretName", Str)];
const INGRESS_RULE: &[Def] = &[opt(1, "host", Str), inline(2, Msg::IngressRuleValue)];
const INGRESS_RULE_VALUE: &[Def] = &[msg(1, "http", Msg::HttpIngressRuleValue)];
const HTTP_INGRESS_RULE_VALUE: &[Def] = &[list(1, "paths", Ty::Msg(Msg::HttpIngressPath))];
const HTTP_INGRESS_PATH: &[Def] = &[
    opt(1, "path", Str),
    req(3, "pathType", Str),
    msg(2, "backend", Msg::IngressBackend),
];

const ROLE: &[Def] = &[
    msg(1, "metadata", Msg::ObjectMeta),
    list(2, "rules", Ty::Msg(Msg::PolicyRule)),
];
const CLUSTER_ROLE: &[Def] = &[
    msg(1, "metadata", Msg::ObjectMeta),
    list(2, "rules", Ty::Msg(Msg::PolicyRule)),
    msg(3, "aggregationRule", Msg::AggregationRule),
];
const POLICY_RULE: &[Def] = &[
    list(1, "verbs", Str),
    rep(2, "apiGroups", Str),
    rep(3, "resources", Str),
    rep(4, "resourceNames", Str),
    rep(5, "nonResourceURLs", Str),
];
const AGGREGATION_RULE: &[Def] = &[msgs(1, "clusterRoleSelectors", Msg::LabelSelector)];
/// `RoleBinding` and `ClusterRoleBinding` share one layout.
const ROLE_BINDING: &[Def] = &[
    msg(1, "metadata", Msg::ObjectMeta),
    msgs(2, "subjects", Msg::Subject),
    msg(3, "roleRef", Msg::RoleRef),
];
const SUBJECT: &[Def] = &[
    req(1, "kind", Str),
    opt(2, "apiGroup", Str),
    req(3, "name", Str),
    opt(4, "namespace", Str),
];
const ROLE_REF: &[Def] = &[
    req(1, "apiGroup", Str),
    req(2, "kind", Str),
    req(3, "name", Str),
];

const POD_DISRUPTION_BUDGET: &[Def] = &object(Msg::PodDisruptionBudgetSpec);
const POD_DISRUPTION_BUDGET_SPEC: &[Def] = &[
    opt(1, "minAvailable", IntOrString),
    msg(2, "selector", Msg::LabelSelector),
    opt(3, "maxUnavailable", IntOrString),
    req(4, "unhealthyPodEvictionPolicy", Str),
];
const PRIORITY_CLASS: &[Def] = &[
    msg(1, "metadata", Msg::ObjectMeta),
    req(2, "value", I32),
    opt(3, "globalDefault", Bool),
    opt(4, "description", Str),
    req(5, "preemptionPolicy", Str),
];

const SELF_SUBJECT_ACCESS_REVIEW: &[Def] = &object(Msg::SelfSubjectAccessReviewSpec);
const SELF_SUBJECT_ACCESS_REVIEW_SPEC: &[Def] = &[
    msg(1, "resourceAttributes", Msg::ResourceAttributes),
    msg(2, "nonResourceAttributes", Msg::NonResourceAttributes),
];
/// Field and label selector attributes (8, 9) are skipped: the sandbox does not evaluate them.
const RESOURCE_ATTRIBUTES: &[Def] = &[
    opt(1, "namespace", Str),
    opt(2, "verb", Str),
    opt(3, "group", Str),
    opt(4, "version", Str),
    opt(5, "resource", Str),
    opt(6, "subresource", Str),
    opt(7, "name", Str),
];
const NON_RESOURCE_ATTRIBUTES: &[Def] = &[opt(1, "path", Str), opt(2, "verb", Str)];
const SELF_SUBJECT_RULES_REVIEW: &[Def] = &object(Msg::SelfSubjectRulesReviewSpec);
const SELF_SUBJECT_RULES_REVIEW_SPEC: &[Def] = &[opt(1, "namespace", Str)];
const SELF_SUBJECT_REVIEW: &[Def] = &[
    msg(1, "metadata", Msg::ObjectMeta),
    msg(2, "status", Msg::Empty),
];

impl Msg {
    fn defs(self) -> &'static [Def] {
        match self {
            Msg::Empty => &[],
            Msg::ObjectMeta => OBJECT_META,
            Msg::OwnerReference => OWNER_REFERENCE,
            Msg::LabelSelector => LABEL_SELECTOR,
            Msg::LabelSelectorRequirement => LABEL_SELECTOR_REQUIREMENT,
            Msg::Namespace => NAMESPACE,
            Msg::NamespaceSpec => NAMESPACE_SPEC,
            Msg::ConfigMap => CONFIG_MAP,
            Msg::Secret => SECRET,
            Msg::ServiceAccount => SERVICE_ACCOUNT,
            Msg::ObjectReference => OBJECT_REFERENCE,
            Msg::LocalObjectReference => LOCAL_OBJECT_REFERENCE,
            Msg::Pod => POD,
            Msg::PodTemplateSpec => POD_TEMPLATE_SPEC,
            Msg::PodSpec => POD_SPEC,
            Msg::PodSecurityContext => POD_SECURITY_CONTEXT,
            Msg::Container => CONTAINER,
            Msg::ContainerPort => CONTAINER_PORT,
            Msg::EnvVar => ENV_VAR,
            Msg::EnvVarSource => ENV_VAR_SOURCE,
            Msg::ObjectFieldSelector => OBJECT_FIELD_SELECTOR,
            Msg::ResourceFieldSelector => RESOURCE_FIELD_SELECTOR,
            Msg::ConfigMapKeySelector | Msg::SecretKeySelector => KEY_SELECTOR,
            Msg::EnvFromSource => ENV_FROM_SOURCE,
            Msg::ConfigMapEnvSource | Msg::SecretEnvSource => ENV_SOURCE,
            Msg::ResourceRequirements => RESOURCE_REQUIREMENTS,
            Msg::VolumeMount => VOLUME_MOUNT,
            Msg::Probe => PROBE,
            Msg::ProbeHandler => PROBE_HANDLER,
            Msg::ExecAction => EXEC_ACTION,
            Msg::HttpGetAction => HTTP_GET_ACTION,
            Msg::HttpHeader => HTTP_HEADER,
            Msg::TcpSocketAction => TCP_SOCKET_ACTION,
            Msg::SecurityContext => SECURITY_CONTEXT,
            Msg::Capabilities => CAPABILITIES,
            Msg::SeccompProfile => SECCOMP_PROFILE,
            Msg::Toleration => TOLERATION,
            Msg::Service => SERVICE,
            Msg::ServiceSpec => SERVICE_SPEC,
            Msg::ServicePort => SERVICE_PORT,
            Msg::ResourceQuota => RESOURCE_QUOTA,
            Msg::ResourceQuotaSpec => RESOURCE_QUOTA_SPEC,
            Msg::ScopeSelector => SCOPE_SELECTOR,
            Msg::ScopedResourceSelectorRequirement => SCOPED_RESOURCE_SELECTOR_REQUIREMENT,
            Msg::Deployment => DEPLOYMENT,
            Msg::DeploymentSpec => DEPLOYMENT_SPEC,
            Msg::DeploymentStrategy => DEPLOYMENT_STRATEGY,
            Msg::RollingUpdateDeployment => ROLLING_UPDATE_DEPLOYMENT,
            Msg::Job => JOB,
            Msg::JobSpec => JOB_SPEC,
            Msg::CronJob => CRON_JOB,
            Msg::CronJobSpec => CRON_JOB_SPEC,
            Msg::JobTemplateSpec => JOB_TEMPLATE_SPEC,
            Msg::Ingress => INGRESS,
            Msg::IngressSpec => INGRESS_SPEC,
            Msg::IngressBackend => INGRESS_BACKEND,
            Msg::IngressServiceBackend => INGRESS_SERVICE_BACKEND,
            Msg::ServiceBackendPort => SERVICE_BACKEND_PORT,
            Msg::TypedLocalObjectReference => TYPED_LOCAL_OBJECT_REFERENCE,
            Msg::IngressTls => INGRESS_TLS,
            Msg::IngressRule => INGRESS_RULE,
            Msg::IngressRuleValue => INGRESS_RULE_VALUE,
            Msg::HttpIngressRuleValue => HTTP_INGRESS_RULE_VALUE,
            Msg::HttpIngressPath => HTTP_INGRESS_PATH,
            Msg::Role => ROLE,
            Msg::ClusterRole => CLUSTER_ROLE,
            Msg::PolicyRule => POLICY_RULE,
            Msg::AggregationRule => AGGREGATION_RULE,
            Msg::RoleBinding => ROLE_BINDING,
            Msg::Subject => SUBJECT,
            Msg::RoleRef => ROLE_REF,
            Msg::PodDisruptionBudget => POD_DISRUPTION_BUDGET,
            Msg::PodDisruptionBudgetSpec => POD_DISRUPTION_BUDGET_SPEC,
            Msg::PriorityClass => PRIORITY_CLASS,
            Msg::SelfSubjectAccessReview => SELF_SUBJECT_ACCESS_REVIEW,
            Msg::SelfSubjectAccessReviewSpec => SELF_SUBJECT_ACCESS_REVIEW_SPEC,
            Msg::ResourceAttributes => RESOURCE_ATTRIBUTES,
            Msg::NonResourceAttributes => NON_RESOURCE_ATTRIBUTES,
            Msg::SelfSubjectRulesReview => SELF_SUBJECT_RULES_REVIEW,
            Msg::SelfSubjectRulesReviewSpec => SELF_SUBJECT_RULES_REVIEW_SPEC,
            Msg::SelfSubjectReview => SELF_SUBJECT_REVIEW,
        }
    }
}

/// The top-level message of each kind the sandbox decodes, by `apiVersion` and `kind`.
fn root(api_version: &str, kind: &str) -> Option<Msg> {
    Some(match (api_version, kind) {
        ("v1", "Namespace") => Msg::Namespace,
        ("v1", "ConfigMap") => Msg::ConfigMap,
        ("v1", "Secret") => Msg::Secret,
        ("v1", "ServiceAccount") => Msg::ServiceAccount,
        ("v1", "Pod") => Msg::Pod,
        ("v1", "Service") => Msg::Service,
        ("v1", "ResourceQuota") => Msg::ResourceQuota,
        ("apps/v1", "Deployment") => Msg::Deployment,
        ("batch/v1", "Job") => Msg::Job,
        ("batch/v1", "CronJob") => Msg::CronJob,
        ("networking.k8s.io/v1", "Ingress") => Msg::Ingress,
        ("rbac.authorization.k8s.io/v1", "Role") => Msg::Role,
        ("rbac.authorization.k8s.io/v1", "ClusterRole") => Msg::ClusterRole,
        ("rbac.authorization.k8s.io/v1", "RoleBinding" | "ClusterRoleBinding") => Msg::RoleBinding,
        ("policy/v1", "PodDisruptionBudget") => Msg::PodDisruptionBudget,
        ("scheduling.k8s.io/v1", "PriorityClass") => Msg::PriorityClass,
        ("authorization.k8s.io/v1", "SelfSubjectAccessReview") => Msg::SelfSubjectAccessReview,
        ("authorization.k8s.io/v1", "SelfSubjectRulesReview") => Msg::SelfSubjectRulesReview,
        ("authentication.k8s.io/v1", "SelfSubjectReview") => Msg::SelfSubjectReview,
        _ => return None,
    })
}

/// `Always` fields and messages are kept as they are; `OmitEmpty` scalars drop Go's zeros.
fn is_go_zero(value: &Value) -> bool {
    match value {
        Value::String(s) => s.is_empty(),
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_i64() == Some(0),
        _ => false,
    }
}

fn wrong_wire_type() -> ProtobufError {
    ProtobufError::Malformed("a field has the wrong wire type for its schema")
}

fn as_i32(value: u64) -> Value {
    // int32 travels as a sign-extended varint: its low 32 bits are the value.
    Value::from(value as u32 as i32)
}

fn as_i64(value: u64) -> Value {
    Value::from(value as i64)
}

fn int_or_string(bytes: &[u8]) -> Result<Value, ProtobufError> {
    let (mut is_string, mut int_val, mut str_val) = (false, 0u64, String::new());
    let mut reader = Reader { data: bytes };
    while let Some((number, field)) = reader.next()? {
        match (number, field) {
            (1, Field::Varint(v)) => is_string = v == 1,
            (2, Field::Varint(v)) => int_val = v,
            (3, Field::Bytes(b)) => str_val = text(b)?,
            (1..=3, _) => return Err(wrong_wire_type()),
            _ => {}
        }
    }
    Ok(if is_string {
        Value::String(str_val)
    } else {
        as_i32(int_val)
    })
}

fn quantity(bytes: &[u8]) -> Result<Value, ProtobufError> {
    let mut value = String::new();
    let mut reader = Reader { data: bytes };
    while let Some((number, field)) = reader.next()? {
        match (number, field) {
            (1, Field::Bytes(b)) => value = text(b)?,
            (1, _) => return Err(wrong_wire_type()),
            _ => {}
        }
    }
    Ok(Value::String(value))
}

/// `None` for the zero time, which Go's JSON encoder writes as `null` and clients omit.
fn time(bytes: &[u8]) -> Result<Option<Value>, ProtobufError> {
    let (mut seconds, mut nanos) = (0i64, 0i32);
    let mut reader = Reader { data: bytes };
    while let Some((number, field)) = reader.next()? {
        match (number, field) {
            (1, Field::Varint(v)) => seconds = v as i64,
            (2, Field::Varint(v)) => nanos = v as u32 as i32,
            (1 | 2, _) => return Err(wrong_wire_type()),
            _ => {}
        }
    }
    if (seconds == 0 || seconds == ZERO_TIME_SECONDS) && nanos == 0 {
        return Ok(None);
    }
    // metav1.Time marshals to JSON with second precision.
    let at = jiff::Timestamp::from_second(seconds)
        .map_err(|_| ProtobufError::Malformed("time is out of range"))?;
    Ok(Some(Value::String(at.to_string())))
}

/// One value of type `ty`; `None` when it has no JSON form (the zero time).
fn value(ty: Ty, field: Field<'_>, depth: usize) -> Result<Option<Value>, ProtobufError> {
    Ok(Some(match (ty, field) {
        (Ty::Str, Field::Bytes(b)) => Value::String(text(b)?),
        (Ty::Bytes, Field::Bytes(b)) => {
            Value::String(base64::engine::general_purpose::STANDARD.encode(b))
        }
        (Ty::I32, Field::Varint(v)) => as_i32(v),
        (Ty::I64, Field::Varint(v)) => as_i64(v),
        (Ty::Bool, Field::Varint(v)) => Value::Bool(v != 0),
        (Ty::Msg(m), Field::Bytes(b)) => Value::Object(message(m, b, depth + 1)?),
        (Ty::IntOrString, Field::Bytes(b)) => int_or_string(b)?,
        (Ty::Quantity, Field::Bytes(b)) => quantity(b)?,
        (Ty::Time, Field::Bytes(b)) => return time(b),
        _ => return Err(wrong_wire_type()),
    }))
}

/// The value a map entry without a value field stands for (protobuf's default).
fn default_value(ty: Ty) -> Value {
    match ty {
        Ty::Str | Ty::Bytes | Ty::Quantity => Value::String(String::new()),
        Ty::I32 | Ty::I64 | Ty::IntOrString => Value::from(0),
        Ty::Bool => Value::Bool(false),
        Ty::Msg(_) => Value::Object(Map::new()),
        Ty::Time => Value::Null,
    }
}

fn map_entry(ty: Ty, bytes: &[u8], depth: usize) -> Result<(String, Value), ProtobufError> {
    let mut key = String::new();
    let mut entry = None;
    let mut reader = Reader { data: bytes };
    while let Some((number, field)) = reader.next()? {
        match (number, field) {
            (1, Field::Bytes(b)) => key = text(b)?,
            (1, _) => return Err(wrong_wire_type()),
            (2, field) => entry = value(ty, field, depth)?,
            _ => {}
        }
    }
    Ok((key, entry.unwrap_or_else(|| default_value(ty))))
}

/// Append a repeated field's occurrence; varint fields may also arrive packed.
fn push(
    items: &mut Vec<Value>,
    ty: Ty,
    field: Field<'_>,
    depth: usize,
) -> Result<(), ProtobufError> {
    match (ty, field) {
        (Ty::I32 | Ty::I64 | Ty::Bool, Field::Bytes(packed)) => {
            let mut reader = Reader { data: packed };
            while !reader.data.is_empty() {
                let v = reader.varint()?;
                items.extend(value(ty, Field::Varint(v), depth)?);
            }
        }
        (ty, field) => items.extend(value(ty, field, depth)?),
    }
    Ok(())
}

/// Decode one message by its table into `out` (inline fields share their parent's object).
fn decode_into(
    msg: Msg,
    bytes: &[u8],
    depth: usize,
    out: &mut Map<String, Value>,
) -> Result<(), ProtobufError> {
    if depth > MAX_DEPTH {
        return Err(ProtobufError::Malformed("messages nest too deeply"));
    }
    let defs = msg.defs();
    let mut reader = Reader { data: bytes };
    while let Some((number, field)) = reader.next()? {
        let Some(def) = defs.iter().find(|d| d.number == number) else {
            continue;
        };
        match def.shape {
            Shape::One(presence) => {
                if let Some(v) = value(def.ty, field, depth)? {
                    if presence == Presence::Always || !is_go_zero(&v) {
                        out.insert(def.json.to_string(), v);
                    }
                }
            }
            Shape::Repeated | Shape::RepeatedOrNull => {
                let slot = out
                    .entry(def.json)
                    .or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(items) = slot {
                    push(items, def.ty, field, depth)?;
                }
            }
            Shape::Map => {
                let Field::Bytes(b) = field else {
                    return Err(wrong_wire_type());
                };
                let (key, v) = map_entry(def.ty, b, depth)?;
                let slot = out
                    .entry(def.json)
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(entries) = slot {
                    entries.insert(key, v);
                }
            }
            Shape::Inline => match (def.ty, field) {
                (Ty::Msg(inner), Field::Bytes(b)) => decode_into(inner, b, depth + 1, out)?,
                _ => return Err(wrong_wire_type()),
            },
        }
    }
    // A repeated field whose occurrences all lacked a JSON form (zero times) says nothing.
    out.retain(|_, v| !matches!(v, Value::Array(items) if items.is_empty()));
    for def in defs {
        if matches!(def.shape, Shape::RepeatedOrNull) && !out.contains_key(def.json) {
            out.insert(def.json.to_string(), Value::Null);
        }
    }
    Ok(())
}

fn message(msg: Msg, bytes: &[u8], depth: usize) -> Result<Map<String, Value>, ProtobufError> {
    let mut out = Map::new();
    decode_into(msg, bytes, depth, &mut out)?;
    Ok(out)
}

/// Decode a `k8s\0`-prefixed protobuf body (a `runtime.Unknown` envelope) into the JSON object
/// a JSON client would have sent.
pub fn decode(body: &[u8]) -> Result<Value, ProtobufError> {
    let envelope = body
        .strip_prefix(MAGIC)
        .ok_or(ProtobufError::Malformed("missing k8s protobuf prefix"))?;
    let mut api_version = String::new();
    let mut kind = String::new();
    let mut raw: &[u8] = &[];
    let mut reader = Reader { data: envelope };
    while let Some((number, field)) = reader.next()? {
        match (number, field) {
            (1, Field::Bytes(type_meta)) => {
                let mut meta = Reader { data: type_meta };
                while let Some((n, f)) = meta.next()? {
                    match (n, f) {
                        (1, Field::Bytes(b)) => api_version = text(b)?,
                        (2, Field::Bytes(b)) => kind = text(b)?,
                        _ => {}
                    }
                }
            }
            (2, Field::Bytes(b)) => raw = b,
            // contentEncoding (3) and contentType (4) are empty for plain objects.
            _ => {}
        }
    }
    let msg = root(&api_version, &kind).ok_or(ProtobufError::UnsupportedKind(kind.clone()))?;
    let mut object = Map::new();
    object.insert("apiVersion".into(), Value::String(api_version));
    object.insert("kind".into(), Value::String(kind));
    decode_into(msg, raw, 0, &mut object)?;
    Ok(Value::Object(object))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn varint(mut value: u64) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            let byte = (value & 0x7f) as u8;
            value >>= 7;
            if value == 0 {
                out.push(byte);
                return out;
            }
            out.push(byte | 0x80);
        }
    }

    /// A length-delimited field (wire type 2).
    fn field(number: u64, payload: &[u8]) -> Vec<u8> {
        [
            varint(number << 3 | 2),
            varint(payload.len() as u64),
            payload.to_vec(),
        ]
        .concat()
    }

    /// A varint field (wire type 0).
    fn number(number: u64, value: u64) -> Vec<u8> {
        [varint(number << 3), varint(value)].concat()
    }

    fn envelope(api_version: &str, kind: &str, raw: &[u8]) -> Vec<u8> {
        let type_meta = [field(1, api_version.as_bytes()), field(2, kind.as_bytes())].concat();
        [
            MAGIC.to_vec(),
            field(1, &type_meta),
            field(2, raw),
            field(3, b""),
            field(4, b""),
        ]
        .concat()
    }

    /// A container as Go's encoder writes it: every value field, empty or not.
    fn container(name: &str, image: &str, extra: &[Vec<u8>]) -> Vec<u8> {
        [
            field(1, name.as_bytes()),
            field(2, image.as_bytes()),
            field(5, b""),
            field(8, b""),
            field(13, b""),
            field(14, b""),
            number(16, 0),
            number(17, 0),
            number(18, 0),
            field(20, b""),
        ]
        .into_iter()
        .chain(extra.iter().cloned())
        .collect::<Vec<_>>()
        .concat()
    }

    fn labels(key: &str, value: &str) -> Vec<u8> {
        [field(1, key.as_bytes()), field(2, value.as_bytes())].concat()
    }

    /// What kubectl sends for
    /// `kubectl create deployment web --image=nginx:1.27 --replicas=3 --port=80`, including
    /// the empty values, the zero creationTimestamp and the empty status Go writes.
    fn deployment_body() -> Vec<u8> {
        let meta = [
            field(1, b"web"),
            field(2, b""),
            field(3, b""),
            number(7, 0),
            field(8, b""),
            field(11, &labels("app", "web")),
        ]
        .concat();
        let template_meta = [
            field(1, b""),
            field(8, b""),
            field(11, &labels("app", "web")),
        ]
        .concat();
        let port = [
            field(1, b""),
            number(2, 0),
            number(3, 80),
            field(4, b""),
            field(5, b""),
        ]
        .concat();
        let pod_spec = [
            field(2, &container("nginx", "nginx:1.27", &[field(6, &port)])),
            field(3, b""),
            field(6, b""),
            number(11, 0),
        ]
        .concat();
        let spec = [
            number(1, 3),
            field(2, &field(1, &labels("app", "web"))),
            field(3, &[field(1, &template_meta), field(2, &pod_spec)].concat()),
            field(4, &field(1, b"")),
            number(5, 0),
            number(7, 0),
        ]
        .concat();
        let status = [number(1, 0), number(2, 0), number(3, 0)].concat();
        envelope(
            "apps/v1",
            "Deployment",
            &[field(1, &meta), field(2, &spec), field(3, &status)].concat(),
        )
    }

    #[test]
    fn decodes_a_deployment_like_a_json_client_sends_it() {
        let obj = decode(&deployment_body()).expect("decodes");
        assert_eq!(
            obj,
            json!({"apiVersion": "apps/v1", "kind": "Deployment",
                   "metadata": {"name": "web", "labels": {"app": "web"}},
                   "spec": {
                       "replicas": 3,
                       "selector": {"matchLabels": {"app": "web"}},
                       "template": {
                           "metadata": {"labels": {"app": "web"}},
                           "spec": {"containers": [{
                               "name": "nginx", "image": "nginx:1.27",
                               "ports": [{"containerPort": 80}],
                               "resources": {}}]}},
                       "strategy": {}},
                   "status": {}})
        );
    }

    #[test]
    fn well_known_types_decode_to_their_json_forms() {
        // IntOrString: type=0 → number, type=1 → string.
        let int_port = [number(1, 0), number(2, 8080)].concat();
        let named_port = [number(1, 1), field(3, b"http")].concat();
        let ports = [
            field(1, &[number(3, 80), field(4, &int_port)].concat()),
            field(1, &[number(3, 443), field(4, &named_port)].concat()),
        ]
        .concat();
        let svc = decode(&envelope("v1", "Service", &field(2, &ports))).expect("service");
        assert_eq!(
            svc["spec"]["ports"],
            json!([{"port": 80, "targetPort": 8080}, {"port": 443, "targetPort": "http"}])
        );

        // map<string, Quantity>, a set Time, packed int64s, negative int32, bytes → base64.
        let quantity = |q: &str| field(1, q.as_bytes());
        let limits = field(1, &[field(1, b"cpu"), field(2, &quantity("500m"))].concat());
        let resources = field(8, &limits);
        let security = field(14, &field(4, &[varint(1000), varint(2000)].concat()));
        let pod_spec = [field(2, &container("app", "app:1", &[resources])), security].concat();
        let created = [number(1, 1_700_000_000), number(2, 0)].concat();
        let meta = [field(1, b"p"), field(8, &created)].concat();
        let pod = decode(&envelope(
            "v1",
            "Pod",
            &[field(1, &meta), field(2, &pod_spec)].concat(),
        ))
        .expect("pod");
        assert_eq!(
            pod["metadata"]["creationTimestamp"],
            json!("2023-11-14T22:13:20Z")
        );
        assert_eq!(
            pod["spec"]["containers"][0]["resources"],
            json!({"limits": {"cpu": "500m"}})
        );
        assert_eq!(
            pod["spec"]["securityContext"]["supplementalGroups"],
            json!([1000, 2000])
        );

        let priority = decode(&envelope(
            "scheduling.k8s.io/v1",
            "PriorityClass",
            &[field(1, &field(1, b"low")), number(2, u64::MAX - 9)].concat(),
        ))
        .expect("priority class");
        assert_eq!(priority["value"], json!(-10));

        let secret = decode(&envelope(
            "v1",
            "Secret",
            &field(2, &[field(1, b"token"), field(2, &[0, 255, 1])].concat()),
        ))
        .expect("secret");
        assert_eq!(secret["data"], json!({"token": "AP8B"}));

        // An inline struct (IngressRuleValue) lands in its parent; slices without omitempty
        // are null when empty, as Go's JSON encoder writes them.
        let rule = [field(1, b"shop.example.com"), field(2, &field(1, b""))].concat();
        let ingress = decode(&envelope(
            "networking.k8s.io/v1",
            "Ingress",
            &field(2, &field(3, &rule)),
        ))
        .expect("ingress");
        assert_eq!(
            ingress["spec"]["rules"],
            json!([{"host": "shop.example.com", "http": {"paths": null}}])
        );
    }

    #[test]
    fn wrong_wire_types_and_unknown_fields() {
        // Unknown fields of every wire type are skipped.
        let unknown = [
            number(99, 7),
            field(98, b"x"),
            varint(97 << 3 | 1),
            vec![0; 8],
            varint(96 << 3 | 5),
            vec![0; 4],
        ]
        .concat();
        let ns = decode(&envelope(
            "v1",
            "Namespace",
            &[field(1, &field(1, b"a")), unknown].concat(),
        ))
        .expect("namespace");
        assert_eq!(
            ns,
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}})
        );
        // A string field sent as a varint is malformed.
        assert!(matches!(
            decode(&envelope("v1", "Namespace", &field(1, &number(1, 5)))),
            Err(ProtobufError::Malformed(_))
        ));
        // So is a kind that says it is a different version.
        assert_eq!(
            decode(&envelope("apps/v1beta1", "Deployment", b"")),
            Err(ProtobufError::UnsupportedKind("Deployment".into()))
        );
    }

    fn supported_kind() -> impl Strategy<Value = (&'static str, &'static str)> {
        prop::sample::select(vec![
            ("v1", "Namespace"),
            ("v1", "ConfigMap"),
            ("v1", "Secret"),
            ("v1", "ServiceAccount"),
            ("v1", "Pod"),
            ("v1", "Service"),
            ("v1", "ResourceQuota"),
            ("apps/v1", "Deployment"),
            ("batch/v1", "Job"),
            ("batch/v1", "CronJob"),
            ("networking.k8s.io/v1", "Ingress"),
            ("rbac.authorization.k8s.io/v1", "Role"),
            ("rbac.authorization.k8s.io/v1", "ClusterRole"),
            ("rbac.authorization.k8s.io/v1", "RoleBinding"),
            ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
            ("policy/v1", "PodDisruptionBudget"),
            ("scheduling.k8s.io/v1", "PriorityClass"),
        ])
    }

    /// Well-formed protobuf messages with random field numbers and nesting, so the fuzzing
    /// reaches deep into the tables instead of stopping at the first bad byte.
    fn wire_message() -> impl Strategy<Value = Vec<u8>> {
        let leaf = prop::collection::vec(
            (
                1u64..40,
                prop_oneof![
                    any::<u64>().prop_map(Ok),
                    prop::collection::vec(any::<u8>(), 0..12).prop_map(Err),
                ],
            ),
            0..6,
        )
        .prop_map(|fields| {
            fields
                .into_iter()
                .map(|(n, v)| match v {
                    Ok(v) => number(n, v),
                    Err(b) => field(n, &b),
                })
                .collect::<Vec<_>>()
                .concat()
        });
        leaf.prop_recursive(6, 256, 6, |inner| {
            prop::collection::vec((1u64..40, inner), 0..6).prop_map(|fields| {
                fields
                    .into_iter()
                    .map(|(n, m)| field(n, &m))
                    .collect::<Vec<_>>()
                    .concat()
            })
        })
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            let _ = decode(&bytes);
            let _ = decode(&[MAGIC, &bytes].concat());
        }

        #[test]
        fn arbitrary_objects_of_supported_kinds_decode_or_are_malformed(
            (api_version, kind) in supported_kind(),
            raw in wire_message(),
            junk in prop::collection::vec(any::<u8>(), 0..64),
        ) {
            for raw in [raw.clone(), [raw.as_slice(), &junk].concat()] {
                match decode(&envelope(api_version, kind, &raw)) {
                    Ok(obj) => {
                        prop_assert_eq!(&obj["kind"], &json!(kind));
                        prop_assert!(obj.is_object());
                    }
                    Err(e) => prop_assert!(matches!(e, ProtobufError::Malformed(_)), "{e}"),
                }
            }
        }
    }

    /// What kubectl sends for `kubectl create configmap settings -n shop --from-literal=LOG_LEVEL=info`.
    fn configmap_body() -> Vec<u8> {
        let meta = [
            field(1, b"settings"),
            field(3, b"shop"),
            field(11, &[field(1, b"app"), field(2, b"web")].concat()),
        ]
        .concat();
        let raw = [
            field(1, &meta),
            field(2, &[field(1, b"LOG_LEVEL"), field(2, b"info")].concat()),
        ]
        .concat();
        let type_meta = [field(1, b"v1"), field(2, b"ConfigMap")].concat();
        [
            MAGIC.to_vec(),
            field(1, &type_meta),
            field(2, &raw),
            field(3, b""),
            field(4, b""),
        ]
        .concat()
    }

    #[test]
    fn decodes_a_configmap_like_kubectl_sends_it() {
        let obj = decode(&configmap_body()).expect("decodes");
        assert_eq!(
            obj,
            json!({"apiVersion": "v1", "kind": "ConfigMap",
                   "metadata": {"name": "settings", "namespace": "shop", "labels": {"app": "web"}},
                   "data": {"LOG_LEVEL": "info"}})
        );
    }

    #[test]
    fn garbage_and_other_kinds_are_errors_not_panics() {
        let body = configmap_body();
        for cut in 0..body.len() {
            let _ = decode(&body[..cut]);
        }
        assert!(matches!(
            decode(b"k8s\x00\x0a\xff\xff\xff"),
            Err(ProtobufError::Malformed(_))
        ));
        let type_meta = [field(1, b"apps/v1"), field(2, b"StatefulSet")].concat();
        let stateful = [MAGIC.to_vec(), field(1, &type_meta)].concat();
        assert_eq!(
            decode(&stateful),
            Err(ProtobufError::UnsupportedKind("StatefulSet".into()))
        );
    }
}
