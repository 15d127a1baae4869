//! The real kubectl (v1.32, /usr/bin/kubectl) creating objects through its typed clients:
//! `kubectl create <subcommand>`, `kubectl run` and `kubectl expose` send protobuf bodies
//! (`application/vnd.kubernetes.protobuf`), which the sandbox must decode into exactly the
//! object a JSON client would have sent.
//!
//! Each command runs twice: as typed (protobuf) into namespace `default`, and as its own
//! `--dry-run=client -o json` output through `kubectl create -f` (JSON) into namespace
//! `json-path` (cluster-scoped kinds: a `-json` name). The stored objects must be equal apart
//! from identity and server-assigned fields, and carry the fields the flags asked for.
//!
//! kubectl only sends bearer tokens over HTTPS, so these sandboxes serve TLS. Every kubectl run
//! has `--request-timeout` so a server bug fails a test instead of hanging it.

use kubedrift_testkit::SandboxEnv;
use serde_json::{json, Value};
use std::time::Duration;

/// kubectl's `--request-timeout` in these tests.
const KUBECTL_TIMEOUT: Duration = Duration::from_secs(10);
/// Where the JSON twin of every namespaced object goes.
const JSON_NS: &str = "json-path";

/// A fresh sandbox with cluster `dev`, kubectl on it and namespace [`JSON_NS`].
struct Env(SandboxEnv);

impl std::ops::Deref for Env {
    type Target = SandboxEnv;

    fn deref(&self) -> &SandboxEnv {
        &self.0
    }
}

/// The body kubectl sends for a command: its typed clients send protobuf; `run` and `expose`
/// build the object as JSON.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Sent {
    Protobuf,
    Json,
}

impl Sent {
    fn content_type(self) -> &'static str {
        match self {
            Sent::Protobuf => "Content-Type: application/vnd.kubernetes.protobuf",
            Sent::Json => "Content-Type: application/json",
        }
    }
}

/// Where an object lives: namespaced kinds go to `default` (protobuf) and [`JSON_NS`] (JSON).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    Namespaced,
    Cluster,
}

impl Env {
    fn new() -> Env {
        let env = Env(SandboxEnv::dev(KUBECTL_TIMEOUT));
        env.ok(&["create", "namespace", JSON_NS]);
        env
    }

    fn get(&self, resource: &str, name: &str, namespace: Option<&str>) -> Value {
        let mut args = vec!["get", resource, name, "-o", "json"];
        if let Some(ns) = namespace {
            args.extend(["-n", ns]);
        }
        serde_json::from_str(&self.ok(&args)).expect("kubectl prints JSON")
    }

    /// Run a `kubectl create|run|expose` command (its body as `sent`), run the same command's
    /// `--dry-run=client -o json` output through `kubectl create -f` (JSON body), require both
    /// stored objects to be equal apart from identity and `volatile` JSON pointers, and return
    /// the protobuf-created one.
    fn create_both_ways(
        &self,
        args: &[&str],
        resource: &str,
        name: &str,
        scope: Scope,
        sent: Sent,
        volatile: &[&str],
    ) -> Value {
        let (proto_ns, json_ns) = match scope {
            Scope::Namespaced => (Some("default"), Some(JSON_NS)),
            Scope::Cluster => (None, None),
        };
        let typed = self.kubectl(&with_flags(args, &["-n", "default", "-v=8"]));
        assert_eq!(
            typed.code, 0,
            "kubectl {args:?} failed:\nstdout: {}\nstderr: {}",
            typed.stdout, typed.stderr
        );
        let post = typed
            .stderr
            .split("POST https://")
            .nth(1)
            .unwrap_or_default();
        assert!(
            post.contains(sent.content_type()),
            "kubectl {args:?} did not send {}:\n{}",
            sent.content_type(),
            typed.stderr
        );

        let dry = self.ok(&with_flags(
            args,
            &["-n", JSON_NS, "--dry-run=client", "-o", "json"],
        ));
        let mut twin: Value = serde_json::from_str(&dry).expect("dry-run prints JSON");
        let twin_name = match scope {
            Scope::Namespaced => name.to_string(),
            Scope::Cluster => format!("{name}-json"),
        };
        twin["metadata"]["name"] = json!(twin_name);
        let path = self.dir.path().join(format!("{resource}-{name}.json"));
        std::fs::write(&path, twin.to_string()).expect("write twin");
        self.ok(&["create", "-f", &path.display().to_string()]);

        let from_protobuf = self.get(resource, name, proto_ns);
        let from_json = self.get(resource, &twin_name, json_ns);
        assert_eq!(
            comparable(&from_protobuf, volatile),
            comparable(&from_json, volatile),
            "kubectl {args:?}: the protobuf body stored something else than its JSON twin"
        );
        from_protobuf
    }
}

/// `args` with `flags` added before any `--` (after it they would be the container's command).
fn with_flags<'a>(args: &[&'a str], flags: &[&'a str]) -> Vec<&'a str> {
    let split = args.iter().position(|a| *a == "--").unwrap_or(args.len());
    let mut out = args[..split].to_vec();
    out.extend_from_slice(flags);
    out.extend_from_slice(&args[split..]);
    out
}

/// The object without identity, server-assigned and time-dependent fields.
fn comparable(object: &Value, volatile: &[&str]) -> Value {
    let mut object = object.clone();
    if let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        for key in [
            "name",
            "namespace",
            "uid",
            "resourceVersion",
            "creationTimestamp",
            "managedFields",
        ] {
            meta.shift_remove(key);
        }
    }
    if let Some(map) = object.as_object_mut() {
        map.shift_remove("status");
    }
    for pointer in volatile {
        let (parent, key) = pointer.rsplit_once('/').unwrap_or(("", pointer));
        if let Some(map) = object.pointer_mut(parent).and_then(Value::as_object_mut) {
            map.shift_remove(key);
        }
    }
    object
}

#[test]
fn create_deployment_with_replicas_ports_and_several_images() {
    let env = Env::new();
    let deploy = env.create_both_ways(
        &[
            "create",
            "deployment",
            "web",
            "--image=nginx:1.27",
            "--image=busybox:1.36",
            "--replicas=3",
            "--port=80",
        ],
        "deployment",
        "web",
        Scope::Namespaced,
        Sent::Protobuf,
        &[],
    );
    assert_eq!(deploy["metadata"]["labels"], json!({"app": "web"}));
    assert_eq!(deploy["spec"]["replicas"], json!(3));
    assert_eq!(
        deploy["spec"]["selector"],
        json!({"matchLabels": {"app": "web"}})
    );
    assert_eq!(
        deploy["spec"]["template"]["metadata"]["labels"],
        json!({"app": "web"})
    );
    let containers = &deploy["spec"]["template"]["spec"]["containers"];
    assert_eq!(containers[0]["name"], json!("nginx"));
    assert_eq!(containers[0]["image"], json!("nginx:1.27"));
    assert_eq!(
        containers[0]["ports"],
        json!([{"containerPort": 80, "protocol": "TCP"}])
    );
    assert_eq!(containers[0]["resources"], json!({}));
    assert_eq!(containers[1]["name"], json!("busybox"));
    assert_eq!(containers[1]["image"], json!("busybox:1.36"));
    assert_eq!(containers.as_array().map(Vec::len), Some(2));

    let sleeper = env.create_both_ways(
        &[
            "create",
            "deployment",
            "sleeper",
            "--image=busybox:1.36",
            "--",
            "sleep",
            "3600",
        ],
        "deployment",
        "sleeper",
        Scope::Namespaced,
        Sent::Protobuf,
        &[],
    );
    assert_eq!(
        sleeper["spec"]["template"]["spec"]["containers"][0]["command"],
        json!(["sleep", "3600"])
    );
    // Without --replicas kubectl sends replicas=1 explicitly.
    assert_eq!(sleeper["spec"]["replicas"], json!(1));

    let table = env.ok(&["get", "deploy", "-n", "default", "--no-headers"]);
    assert!(table.lines().any(|l| l.starts_with("web ")), "{table}");
}

#[test]
fn run_a_pod_with_env_ports_labels_and_command() {
    let env = Env::new();
    // The service account token volume's name ends in a random suffix per Pod, and the
    // controller binds each Pod to the node on its own schedule (one may be bound, the other
    // not yet, when they are read).
    let per_pod = [
        "/spec/volumes/0/name",
        "/spec/containers/0/volumeMounts/0/name",
        "/spec/nodeName",
    ];
    let pod = env.create_both_ways(
        &[
            "run",
            "shell",
            "--image=busybox:1.36",
            "--env=MODE=prod",
            "--env=LEVEL=2",
            "--port=8080",
            "--labels=app=shell,tier=debug",
            "--restart=Never",
            "--image-pull-policy=Always",
            "--command",
            "--",
            "sleep",
            "3600",
        ],
        "pod",
        "shell",
        Scope::Namespaced,
        Sent::Json,
        &per_pod,
    );
    assert_eq!(
        pod["metadata"]["labels"],
        json!({"app": "shell", "tier": "debug"})
    );
    assert_eq!(pod["spec"]["restartPolicy"], json!("Never"));
    let container = &pod["spec"]["containers"][0];
    assert_eq!(container["name"], json!("shell"));
    assert_eq!(container["image"], json!("busybox:1.36"));
    assert_eq!(container["imagePullPolicy"], json!("Always"));
    assert_eq!(container["command"], json!(["sleep", "3600"]));
    assert_eq!(
        container["env"],
        json!([{"name": "MODE", "value": "prod"}, {"name": "LEVEL", "value": "2"}])
    );
    assert_eq!(
        container["ports"],
        json!([{"containerPort": 8080, "protocol": "TCP"}])
    );

    // Plain `kubectl run` with args and the default run=NAME label.
    let plain = env.create_both_ways(
        &["run", "echo", "--image=busybox:1.36", "--", "echo", "hello"],
        "pod",
        "echo",
        Scope::Namespaced,
        Sent::Json,
        &per_pod,
    );
    assert_eq!(plain["metadata"]["labels"], json!({"run": "echo"}));
    assert_eq!(
        plain["spec"]["containers"][0]["args"],
        json!(["echo", "hello"])
    );
    assert_eq!(plain["spec"]["restartPolicy"], json!("Always"));
}

#[test]
fn create_services_of_every_type_and_expose() {
    let env = Env::new();
    // Cluster IPs and node ports are allocated per object, so they differ between the twins.
    let allocated = [
        "/spec/clusterIP",
        "/spec/clusterIPs",
        "/spec/ports/0/nodePort",
    ];
    let api = env.create_both_ways(
        &["create", "service", "clusterip", "api", "--tcp=80:8080"],
        "service",
        "api",
        Scope::Namespaced,
        Sent::Protobuf,
        &allocated,
    );
    assert_eq!(api["spec"]["type"], json!("ClusterIP"));
    assert_eq!(api["spec"]["selector"], json!({"app": "api"}));
    assert_eq!(api["spec"]["ports"][0]["name"], json!("80-8080"));
    assert_eq!(api["spec"]["ports"][0]["port"], json!(80));
    assert_eq!(api["spec"]["ports"][0]["targetPort"], json!(8080));

    let headless = env.create_both_ways(
        &[
            "create",
            "service",
            "clusterip",
            "headless",
            "--clusterip=None",
            "--tcp=5432",
        ],
        "service",
        "headless",
        Scope::Namespaced,
        Sent::Protobuf,
        &[],
    );
    assert_eq!(headless["spec"]["clusterIP"], json!("None"));

    // A named target port travels as IntOrString{type: String}.
    let np = env.create_both_ways(
        &["create", "service", "nodeport", "np", "--tcp=80:http"],
        "service",
        "np",
        Scope::Namespaced,
        Sent::Protobuf,
        &allocated,
    );
    assert_eq!(np["spec"]["type"], json!("NodePort"));
    assert_eq!(np["spec"]["ports"][0]["targetPort"], json!("http"));
    env.ok(&[
        "create",
        "service",
        "nodeport",
        "fixed",
        "--tcp=443:8443",
        "--node-port=30443",
    ]);
    let fixed = env.get("service", "fixed", Some("default"));
    assert_eq!(fixed["spec"]["ports"][0]["nodePort"], json!(30443));

    let lb = env.create_both_ways(
        &["create", "service", "loadbalancer", "lb", "--tcp=443:8443"],
        "service",
        "lb",
        Scope::Namespaced,
        Sent::Protobuf,
        &allocated,
    );
    assert_eq!(lb["spec"]["type"], json!("LoadBalancer"));
    assert_eq!(lb["spec"]["ports"][0]["port"], json!(443));
    assert_eq!(lb["spec"]["ports"][0]["targetPort"], json!(8443));

    let ext = env.create_both_ways(
        &[
            "create",
            "service",
            "externalname",
            "db",
            "--external-name=db.example.com",
        ],
        "service",
        "db",
        Scope::Namespaced,
        Sent::Protobuf,
        &[],
    );
    assert_eq!(ext["spec"]["type"], json!("ExternalName"));
    assert_eq!(ext["spec"]["externalName"], json!("db.example.com"));

    // `kubectl expose` reads the deployment, then creates the Service.
    for ns in ["default", JSON_NS] {
        env.ok(&[
            "create",
            "deployment",
            "web",
            "--image=nginx:1.27",
            "-n",
            ns,
        ]);
    }
    let exposed = env.create_both_ways(
        &[
            "expose",
            "deployment",
            "web",
            "--port=80",
            "--target-port=8080",
            "--name=web-svc",
        ],
        "service",
        "web-svc",
        Scope::Namespaced,
        Sent::Json,
        &allocated,
    );
    assert_eq!(exposed["spec"]["selector"], json!({"app": "web"}));
    assert_eq!(exposed["spec"]["ports"][0]["port"], json!(80));
    assert_eq!(exposed["spec"]["ports"][0]["targetPort"], json!(8080));
    assert_eq!(exposed["spec"]["ports"][0]["protocol"], json!("TCP"));
}

#[test]
fn create_job_cronjob_and_job_from_cronjob() {
    let env = Env::new();
    let job = env.create_both_ways(
        &[
            "create",
            "job",
            "once",
            "--image=busybox:1.36",
            "--",
            "echo",
            "hi",
        ],
        "job",
        "once",
        Scope::Namespaced,
        Sent::Protobuf,
        // Generated from each Job's uid (tests/sandbox_writes.rs checks them).
        &[
            "/metadata/labels",
            "/spec/selector",
            "/spec/template/metadata/labels",
        ],
    );
    let pod_spec = &job["spec"]["template"]["spec"];
    assert_eq!(pod_spec["restartPolicy"], json!("Never"));
    assert_eq!(pod_spec["containers"][0]["image"], json!("busybox:1.36"));
    assert_eq!(pod_spec["containers"][0]["command"], json!(["echo", "hi"]));

    let cron = env.create_both_ways(
        &[
            "create",
            "cronjob",
            "nightly",
            "--image=busybox:1.36",
            "--schedule=0 2 * * *",
            "--restart=OnFailure",
            "--",
            "date",
        ],
        "cronjob",
        "nightly",
        Scope::Namespaced,
        Sent::Protobuf,
        &[],
    );
    assert_eq!(cron["spec"]["schedule"], json!("0 2 * * *"));
    let template = &cron["spec"]["jobTemplate"];
    assert_eq!(template["metadata"]["name"], json!("nightly"));
    let pod_spec = &template["spec"]["template"]["spec"];
    assert_eq!(pod_spec["restartPolicy"], json!("OnFailure"));
    assert_eq!(pod_spec["containers"][0]["command"], json!(["date"]));

    // --from copies the template and points back at the CronJob (ownerReferences, annotation).
    env.ok(&[
        "create",
        "job",
        "manual",
        "--from=cronjob/nightly",
        "-n",
        "default",
    ]);
    let manual = env.get("job", "manual", Some("default"));
    assert_eq!(
        manual["metadata"]["annotations"]["cronjob.kubernetes.io/instantiate"],
        json!("manual")
    );
    let owner = &manual["metadata"]["ownerReferences"][0];
    assert_eq!(owner["apiVersion"], json!("batch/v1"));
    assert_eq!(owner["kind"], json!("CronJob"));
    assert_eq!(owner["name"], json!("nightly"));
    assert_eq!(owner["uid"], cron["metadata"]["uid"]);
    assert_eq!(owner["controller"], json!(true));
    assert_eq!(
        manual["spec"]["template"]["spec"]["containers"][0]["command"],
        json!(["date"])
    );
}

#[test]
fn create_ingress_with_rules_tls_and_default_backend() {
    let env = Env::new();
    let ingress = env.create_both_ways(
        &[
            "create",
            "ingress",
            "shop",
            "--class=nginx",
            "--rule=shop.example.com/api*=api:80,tls=shop-tls",
            "--rule=admin.example.com/=web:http",
            "--default-backend=web:8080",
            "--annotation=team=shop",
        ],
        "ingress",
        "shop",
        Scope::Namespaced,
        Sent::Protobuf,
        &[],
    );
    let spec = &ingress["spec"];
    assert_eq!(ingress["metadata"]["annotations"], json!({"team": "shop"}));
    assert_eq!(spec["ingressClassName"], json!("nginx"));
    assert_eq!(
        spec["defaultBackend"],
        json!({"service": {"name": "web", "port": {"number": 8080}}})
    );
    assert_eq!(
        spec["tls"],
        json!([{"hosts": ["shop.example.com"], "secretName": "shop-tls"}])
    );
    assert_eq!(
        spec["rules"][0],
        json!({"host": "shop.example.com", "http": {"paths": [{
            "path": "/api", "pathType": "Prefix",
            "backend": {"service": {"name": "api", "port": {"number": 80}}}}]}})
    );
    assert_eq!(
        spec["rules"][1]["http"]["paths"][0],
        json!({"path": "/", "pathType": "Exact",
               "backend": {"service": {"name": "web", "port": {"name": "http"}}}})
    );
}

#[test]
fn create_rbac_roles_and_bindings() {
    let env = Env::new();
    let role = env.create_both_ways(
        &[
            "create",
            "role",
            "reader",
            "--verb=get,list",
            "--resource=pods,deployments.apps",
            "--resource-name=web",
        ],
        "role",
        "reader",
        Scope::Namespaced,
        Sent::Protobuf,
        &[],
    );
    assert_eq!(
        role["rules"],
        json!([
            {"verbs": ["get", "list"], "apiGroups": [""], "resources": ["pods"], "resourceNames": ["web"]},
            {"verbs": ["get", "list"], "apiGroups": ["apps"], "resources": ["deployments"], "resourceNames": ["web"]}
        ])
    );

    let health = env.create_both_ways(
        &[
            "create",
            "clusterrole",
            "health",
            "--verb=get",
            "--non-resource-url=/healthz",
        ],
        "clusterrole",
        "health",
        Scope::Cluster,
        Sent::Protobuf,
        &[],
    );
    assert_eq!(
        health["rules"],
        json!([{"verbs": ["get"], "nonResourceURLs": ["/healthz"]}])
    );

    let aggregated = env.create_both_ways(
        &[
            "create",
            "clusterrole",
            "monitoring",
            "--aggregation-rule=rbac.example.com/aggregate-to-monitoring=true",
        ],
        "clusterrole",
        "monitoring",
        Scope::Cluster,
        Sent::Protobuf,
        &[],
    );
    assert_eq!(
        aggregated["aggregationRule"],
        json!({"clusterRoleSelectors": [
            {"matchLabels": {"rbac.example.com/aggregate-to-monitoring": "true"}}]})
    );

    let binding = env.create_both_ways(
        &[
            "create",
            "rolebinding",
            "readers",
            "--role=reader",
            "--user=alice",
            "--group=devs",
            "--serviceaccount=default:robot",
        ],
        "rolebinding",
        "readers",
        Scope::Namespaced,
        Sent::Protobuf,
        &[],
    );
    assert_eq!(
        binding["roleRef"],
        json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"})
    );
    assert_eq!(
        binding["subjects"],
        json!([
            {"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "alice"},
            {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "devs"},
            {"kind": "ServiceAccount", "name": "robot", "namespace": "default"}
        ])
    );

    let cluster_binding = env.create_both_ways(
        &[
            "create",
            "clusterrolebinding",
            "health-checkers",
            "--clusterrole=health",
            "--user=bob",
        ],
        "clusterrolebinding",
        "health-checkers",
        Scope::Cluster,
        Sent::Protobuf,
        &[],
    );
    assert_eq!(
        cluster_binding["roleRef"],
        json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "health"})
    );
    assert_eq!(
        cluster_binding["subjects"],
        json!([{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "bob"}])
    );
}

#[test]
fn create_pdb_priorityclass_quota_and_core_kinds() {
    let env = Env::new();
    let percent = env.create_both_ways(
        &[
            "create",
            "poddisruptionbudget",
            "web",
            "--selector=app=web",
            "--min-available=50%",
        ],
        "pdb",
        "web",
        Scope::Namespaced,
        Sent::Protobuf,
        &[],
    );
    assert_eq!(percent["spec"]["minAvailable"], json!("50%"));
    assert_eq!(
        percent["spec"]["selector"],
        json!({"matchLabels": {"app": "web"}})
    );
    let count = env.create_both_ways(
        &[
            "create",
            "pdb",
            "api",
            "--selector=app=api",
            "--max-unavailable=1",
        ],
        "pdb",
        "api",
        Scope::Namespaced,
        Sent::Protobuf,
        &[],
    );
    assert_eq!(count["spec"]["maxUnavailable"], json!(1));
    assert!(count["spec"].get("minAvailable").is_none(), "{count}");

    let high = env.create_both_ways(
        &[
            "create",
            "priorityclass",
            "high",
            "--value=1000",
            "--description=high priority",
            "--preemption-policy=Never",
            "--global-default",
        ],
        "priorityclass",
        "high",
        Scope::Cluster,
        Sent::Protobuf,
        &[],
    );
    assert_eq!(high["value"], json!(1000));
    assert_eq!(high["description"], json!("high priority"));
    assert_eq!(high["preemptionPolicy"], json!("Never"));
    assert_eq!(high["globalDefault"], json!(true));
    // `value` has no omitempty: an explicit zero must survive the protobuf path.
    let zero = env.create_both_ways(
        &["create", "priorityclass", "zero"],
        "priorityclass",
        "zero",
        Scope::Cluster,
        Sent::Protobuf,
        &[],
    );
    assert_eq!(zero["value"], json!(0));

    let quota = env.create_both_ways(
        &[
            "create",
            "quota",
            "compute",
            "--hard=cpu=2,memory=4Gi,pods=10",
            "--scopes=NotTerminating",
        ],
        "resourcequota",
        "compute",
        Scope::Namespaced,
        Sent::Protobuf,
        &[],
    );
    assert_eq!(
        quota["spec"]["hard"],
        json!({"cpu": "2", "memory": "4Gi", "pods": "10"})
    );
    assert_eq!(quota["spec"]["scopes"], json!(["NotTerminating"]));

    let registry = env.create_both_ways(
        &[
            "create",
            "secret",
            "docker-registry",
            "regcred",
            "--docker-server=registry.example.com",
            "--docker-username=ci",
            "--docker-password=not-a-real-password",
        ],
        "secret",
        "regcred",
        Scope::Namespaced,
        Sent::Protobuf,
        &[],
    );
    assert_eq!(registry["type"], json!("kubernetes.io/dockerconfigjson"));
    assert!(registry["data"][".dockerconfigjson"].is_string());

    let config = env.create_both_ways(
        &[
            "create",
            "configmap",
            "settings",
            "--from-literal=LOG_LEVEL=info",
        ],
        "configmap",
        "settings",
        Scope::Namespaced,
        Sent::Protobuf,
        &[],
    );
    assert_eq!(config["data"], json!({"LOG_LEVEL": "info"}));
    let account = env.create_both_ways(
        &["create", "serviceaccount", "robot"],
        "serviceaccount",
        "robot",
        Scope::Namespaced,
        Sent::Protobuf,
        &[],
    );
    assert_eq!(account["metadata"]["name"], json!("robot"));
}
