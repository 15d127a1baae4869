//! What the sandbox API server adds to an object on every kind of write, seen through the real
//! kubectl (v1.32) as a user sees it on a real cluster: `kubectl get -o json` after `create`,
//! `run`, `apply` (client- and server-side), `replace`, `patch` (merge, strategic, JSON) and
//! `scale`. Service cluster IPs, IP families and node ports; Secret `stringData` folded into
//! `data`; the Pod admission fields (service account and its token mount, priority,
//! not-ready/unreachable tolerations, QoS class); a Job's generated selector and labels.
//!
//! kubectl only sends bearer tokens over HTTPS, so these sandboxes serve TLS. Every kubectl run
//! has `--request-timeout` so a server bug fails a test instead of hanging it.

use kubedrift_testkit::{Run, SandboxEnv};
use serde_json::{json, Value};
use std::time::Duration;

/// kubectl's `--request-timeout` in these tests.
const KUBECTL_TIMEOUT: Duration = Duration::from_secs(20);

/// A fresh sandbox with cluster `dev`, kubectl on it and namespace `shop`.
fn start() -> SandboxEnv {
    let env = SandboxEnv::dev(KUBECTL_TIMEOUT);
    env.ok(&["create", "namespace", "shop"]);
    env
}

/// `kubectl get <kind> <name> -n shop -o json`.
fn get(env: &SandboxEnv, kind: &str, name: &str) -> Value {
    let out = env.ok(&["get", kind, name, "-n", "shop", "-o", "json"]);
    serde_json::from_str(&out).expect("kubectl prints JSON")
}

/// `kubectl <verb> -f <manifest>` (written to a file named `file`), plus `flags`; its stdout.
fn with_file(env: &SandboxEnv, verb: &str, file: &str, manifest: &str, flags: &[&str]) -> String {
    let path = env.file(file, manifest);
    let mut args = vec![verb, "-f", path.as_str()];
    args.extend_from_slice(flags);
    env.ok(&args)
}

fn text<'a>(obj: &'a Value, pointer: &str) -> &'a str {
    obj.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// Like [`get`], with `metadata.managedFields` (kubectl hides them by default).
fn get_managed(env: &SandboxEnv, kind: &str, name: &str) -> Value {
    let out = env.ok(&[
        "get",
        kind,
        name,
        "-n",
        "shop",
        "-o",
        "json",
        "--show-managed-fields",
    ]);
    serde_json::from_str(&out).expect("kubectl prints JSON")
}

fn rv(obj: &Value) -> String {
    text(obj, "/metadata/resourceVersion").to_string()
}

/// A cluster IP the sandbox allocated: in 10.96.0.0/12, and `clusterIPs` says the same.
fn assert_allocated_ip(svc: &Value) -> String {
    let ip = text(svc, "/spec/clusterIP").to_string();
    let octets: Vec<u8> = ip.split('.').filter_map(|o| o.parse().ok()).collect();
    assert!(
        octets.len() == 4 && octets[0] == 10 && (96..112).contains(&octets[1]),
        "not an address of 10.96.0.0/12: {ip:?} in {svc:#}"
    );
    assert_eq!(svc["spec"]["clusterIPs"], json!([ip]), "{svc:#}");
    assert_eq!(svc["spec"]["ipFamilies"], json!(["IPv4"]), "{svc:#}");
    assert_eq!(
        svc["spec"]["ipFamilyPolicy"],
        json!("SingleStack"),
        "{svc:#}"
    );
    ip
}

/// The node port of `spec.ports[index]`, which must be in the default node port range.
fn node_port(svc: &Value, index: usize) -> i64 {
    let port = svc["spec"]["ports"][index]["nodePort"]
        .as_i64()
        .unwrap_or_default();
    assert!(
        (30000..=32767).contains(&port),
        "no node port on port {index}: {svc:#}"
    );
    port
}

const NODE_PORT_SERVICE: &str = "apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  type: NodePort
  selector:
    app: web
  ports:
  - name: http
    port: 80
    targetPort: 8080
";

#[test]
fn services_get_cluster_ips_families_and_node_ports_on_every_write() {
    let env = start();

    // kubectl create (protobuf body).
    env.ok(&[
        "create",
        "service",
        "clusterip",
        "api",
        "--tcp=80:8080",
        "-n",
        "shop",
    ]);
    let api = get(&env, "service", "api");
    let api_ip = assert_allocated_ip(&api);
    let table = env.ok(&["get", "service", "api", "-n", "shop"]);
    assert!(table.contains(&api_ip), "the CLUSTER-IP column: {table}");

    // A server-side dry run shows an address too, and stores nothing.
    let dry = env.ok(&[
        "create",
        "service",
        "clusterip",
        "probe",
        "--tcp=80",
        "-n",
        "shop",
        "--dry-run=server",
        "-o",
        "json",
    ]);
    let dry: Value = serde_json::from_str(&dry).expect("json");
    assert_allocated_ip(&dry);
    let gone = env.kubectl(&["get", "service", "probe", "-n", "shop"]);
    assert_eq!(gone.code, 1, "{}", gone.stdout);

    // Headless: `None` stays, with its family fields.
    env.ok(&[
        "create",
        "service",
        "clusterip",
        "db",
        "--clusterip=None",
        "--tcp=5432",
        "-n",
        "shop",
    ]);
    let db = get(&env, "service", "db");
    assert_eq!(db["spec"]["clusterIPs"], json!(["None"]), "{db:#}");
    assert_eq!(db["spec"]["ipFamilyPolicy"], json!("SingleStack"));

    // ExternalName: no address, no families.
    env.ok(&[
        "create",
        "service",
        "externalname",
        "ext",
        "--external-name=db.example.com",
        "-n",
        "shop",
    ]);
    let ext = get(&env, "service", "ext");
    for key in ["clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"] {
        assert!(ext["spec"].get(key).is_none(), "{key}: {ext:#}");
    }

    // Client-side apply of a NodePort Service; a second apply changes nothing.
    let out = with_file(&env, "apply", "web.yaml", NODE_PORT_SERVICE, &[]);
    assert!(out.contains("service/web created"), "{out}");
    let web = get(&env, "service", "web");
    let web_ip = assert_allocated_ip(&web);
    assert_ne!(web_ip, api_ip, "two Services got the same address");
    let web_port = node_port(&web, 0);
    let out = with_file(&env, "apply", "web.yaml", NODE_PORT_SERVICE, &[]);
    assert!(out.contains("service/web unchanged"), "{out}");
    assert_eq!(rv(&get(&env, "service", "web")), rv(&web));

    // Replace with a manifest that names neither: the allocated values are kept.
    let out = with_file(&env, "replace", "web.yaml", NODE_PORT_SERVICE, &[]);
    assert!(out.contains("service/web replaced"), "{out}");
    let replaced = get(&env, "service", "web");
    assert_eq!(text(&replaced, "/spec/clusterIP"), web_ip);
    assert_eq!(node_port(&replaced, 0), web_port);

    // Strategic merge patch adding a port: the new port gets its own node port.
    env.ok(&[
        "patch",
        "service",
        "web",
        "-n",
        "shop",
        "-p",
        r#"{"spec":{"ports":[{"name":"metrics","port":9090}]}}"#,
    ]);
    let two = get(&env, "service", "web");
    let (http, metrics) = match text(&two, "/spec/ports/0/name") {
        "http" => (0, 1),
        _ => (1, 0),
    };
    assert_eq!(node_port(&two, http), web_port, "{two:#}");
    let metrics_port = node_port(&two, metrics);
    assert_ne!(metrics_port, web_port);
    assert_eq!(two["spec"]["ports"][metrics]["targetPort"], json!(9090));

    // Merge patch to ClusterIP: the node ports go, the cluster IP stays.
    env.ok(&[
        "patch",
        "service",
        "web",
        "-n",
        "shop",
        "--type=merge",
        "-p",
        r#"{"spec":{"type":"ClusterIP"}}"#,
    ]);
    let cluster_ip = get(&env, "service", "web");
    assert_eq!(text(&cluster_ip, "/spec/clusterIP"), web_ip);
    for port in cluster_ip["spec"]["ports"].as_array().into_iter().flatten() {
        assert!(port.get("nodePort").is_none(), "{cluster_ip:#}");
    }
    assert!(cluster_ip["spec"].get("externalTrafficPolicy").is_none());

    // JSON patch back to NodePort: node ports are allocated again.
    env.ok(&[
        "patch",
        "service",
        "web",
        "-n",
        "shop",
        "--type=json",
        "-p",
        r#"[{"op":"replace","path":"/spec/type","value":"NodePort"}]"#,
    ]);
    let again = get(&env, "service", "web");
    node_port(&again, 0);
    node_port(&again, 1);

    // Server-side apply creating a LoadBalancer with local traffic: a health check port too;
    // the same apply again is a no-op.
    let lb = "apiVersion: v1
kind: Service
metadata:
  name: edge
  namespace: shop
spec:
  type: LoadBalancer
  externalTrafficPolicy: Local
  selector:
    app: edge
  ports:
  - name: https
    port: 443
    targetPort: 8443
";
    let out = with_file(&env, "apply", "edge.yaml", lb, &["--server-side"]);
    assert!(out.contains("serverside-applied"), "{out}");
    let edge = get(&env, "service", "edge");
    assert_allocated_ip(&edge);
    let edge_port = node_port(&edge, 0);
    let health = edge["spec"]["healthCheckNodePort"]
        .as_i64()
        .unwrap_or_default();
    assert!(
        (30000..=32767).contains(&health) && health != edge_port,
        "{edge:#}"
    );
    // (The controller gives the load balancer an address meanwhile: compare the spec only.)
    with_file(&env, "apply", "edge.yaml", lb, &["--server-side"]);
    assert_eq!(get(&env, "service", "edge")["spec"], edge["spec"]);

    // A node port another Service holds is refused, as a real server does.
    let taken = env.kubectl(&[
        "create",
        "service",
        "nodeport",
        "copy",
        "--tcp=80",
        &format!("--node-port={edge_port}"),
        "-n",
        "shop",
    ]);
    assert_eq!(taken.code, 1, "{}", taken.stdout);
    assert!(
        taken.stderr.contains(&format!(
            "spec.ports[0].nodePort: Invalid value: {edge_port}: provided port is already allocated"
        )),
        "{}",
        taken.stderr
    );
    let clash = env.kubectl(&[
        "create",
        "service",
        "clusterip",
        "clash",
        "--tcp=80",
        &format!("--clusterip={api_ip}"),
        "-n",
        "shop",
    ]);
    assert_eq!(clash.code, 1, "{}", clash.stdout);
    assert!(
        clash.stderr.contains("provided IP is already allocated"),
        "{}",
        clash.stderr
    );
}

const SECRET: &str = "apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: shop
type: Opaque
stringData:
  user: shop
  password: hunter2
";

/// `data` of Secret `shop/<name>` decoded, and that it has no `stringData`.
fn secret_data(env: &SandboxEnv, name: &str) -> Vec<(String, String)> {
    use base64::Engine as _;
    let secret = get(env, "secret", name);
    assert!(
        secret.get("stringData").is_none(),
        "stringData stored: {secret:#}"
    );
    secret["data"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(key, value)| {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(value.as_str().unwrap_or(""))
                .expect("base64");
            (key.clone(), String::from_utf8_lossy(&bytes).into_owned())
        })
        .collect()
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = items
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    out.sort();
    out
}

fn sorted(mut items: Vec<(String, String)>) -> Vec<(String, String)> {
    items.sort();
    items
}

#[test]
fn secret_string_data_becomes_data_on_every_write() {
    let env = start();

    // Client-side apply creates it: data only.
    with_file(&env, "apply", "db.yaml", SECRET, &[]);
    assert_eq!(
        sorted(secret_data(&env, "db")),
        pairs(&[("password", "hunter2"), ("user", "shop")])
    );
    // The creating write owns the data keys (the server folds before it records).
    let created = get_managed(&env, "secret", "db");
    let fields = created["metadata"]["managedFields"][0]["fieldsV1"].to_string();
    assert!(fields.contains("f:password"), "{fields}");

    // Apply a new password: data follows.
    let rotated = SECRET.replace("hunter2", "correct-horse");
    with_file(&env, "apply", "db.yaml", &rotated, &[]);
    assert_eq!(
        sorted(secret_data(&env, "db")),
        pairs(&[("password", "correct-horse"), ("user", "shop")])
    );

    // Merge patch, strategic patch and JSON patch of stringData.
    env.ok(&[
        "patch",
        "secret",
        "db",
        "-n",
        "shop",
        "--type=merge",
        "-p",
        r#"{"stringData":{"token":"t1"}}"#,
    ]);
    env.ok(&[
        "patch",
        "secret",
        "db",
        "-n",
        "shop",
        "-p",
        r#"{"stringData":{"user":"admin"}}"#,
    ]);
    env.ok(&[
        "patch",
        "secret",
        "db",
        "-n",
        "shop",
        "--type=json",
        "-p",
        r#"[{"op":"add","path":"/stringData","value":{"extra":"e"}}]"#,
    ]);
    assert_eq!(
        sorted(secret_data(&env, "db")),
        pairs(&[
            ("extra", "e"),
            ("password", "correct-horse"),
            ("token", "t1"),
            ("user", "admin")
        ])
    );

    // Replace: stringData wins over data of the same key, as on a real server.
    let replacement = "apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: shop
type: Opaque
data:
  user: b2xk
  keep: a2VlcA==
stringData:
  user: replaced
";
    with_file(&env, "replace", "db-replace.yaml", replacement, &[]);
    assert_eq!(
        sorted(secret_data(&env, "db")),
        pairs(&[("keep", "keep"), ("user", "replaced")])
    );

    // Server-side apply, creating and then updating.
    let applied = SECRET.replace("name: db", "name: api");
    with_file(&env, "apply", "api.yaml", &applied, &["--server-side"]);
    assert_eq!(
        sorted(secret_data(&env, "api")),
        pairs(&[("password", "hunter2"), ("user", "shop")])
    );
    // The same apply again: the data stays (its managedFields time moves: the applied
    // stringData is never stored, so every apply of it is a change to the applier).
    with_file(&env, "apply", "api.yaml", &applied, &["--server-side"]);
    assert_eq!(
        sorted(secret_data(&env, "api")),
        pairs(&[("password", "hunter2"), ("user", "shop")])
    );
    let applied_again = applied.replace("hunter2", "swordfish");
    with_file(
        &env,
        "apply",
        "api.yaml",
        &applied_again,
        &["--server-side"],
    );
    assert_eq!(
        sorted(secret_data(&env, "api")),
        pairs(&[("password", "swordfish"), ("user", "shop")])
    );

    // kubectl create secret (protobuf body) keeps what it sent.
    env.ok(&[
        "create",
        "secret",
        "generic",
        "cli",
        "--from-literal=key=value",
        "-n",
        "shop",
    ]);
    assert_eq!(secret_data(&env, "cli"), pairs(&[("key", "value")]));
}

/// The two tolerations the DefaultTolerationSeconds admission plugin adds.
fn default_tolerations() -> Value {
    json!([
        {"effect": "NoExecute", "key": "node.kubernetes.io/not-ready", "operator": "Exists",
         "tolerationSeconds": 300},
        {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable", "operator": "Exists",
         "tolerationSeconds": 300}
    ])
}

/// What admission put on a Pod: service account and its token volume, mounted in every
/// container; priority; tolerations; QoS class `qos`.
fn assert_admitted_pod(pod: &Value, qos: &str) {
    let spec = &pod["spec"];
    assert_eq!(spec["serviceAccountName"], json!("default"), "{pod:#}");
    assert_eq!(spec["serviceAccount"], json!("default"));
    assert_eq!(spec["priority"], json!(0));
    assert_eq!(spec["preemptionPolicy"], json!("PreemptLowerPriority"));
    assert_eq!(spec["enableServiceLinks"], json!(true));
    assert_eq!(spec["tolerations"], default_tolerations());
    assert_eq!(pod["status"]["qosClass"], json!(qos), "{pod:#}");
    let volumes = spec["volumes"].as_array().cloned().unwrap_or_default();
    let token: Vec<&Value> = volumes
        .iter()
        .filter(|v| text(v, "/name").starts_with("kube-api-access-"))
        .collect();
    assert_eq!(token.len(), 1, "{volumes:#?}");
    let token_name = text(token[0], "/name");
    assert_eq!(token_name.len(), "kube-api-access-".len() + 5);
    let sources = &token[0]["projected"]["sources"];
    assert_eq!(sources[0]["serviceAccountToken"]["path"], json!("token"));
    assert_eq!(sources[1]["configMap"]["name"], json!("kube-root-ca.crt"));
    assert_eq!(
        sources[2]["downwardAPI"]["items"][0]["fieldRef"]["fieldPath"],
        json!("metadata.namespace")
    );
    for container in spec["containers"].as_array().into_iter().flatten() {
        assert!(
            container["volumeMounts"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|m| *m
                    == json!({"mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                              "name": token_name, "readOnly": true})),
            "{container:#}"
        );
    }
}

#[test]
fn pods_get_what_admission_adds_and_keep_it_through_later_writes() {
    let env = start();

    // kubectl run (JSON body).
    env.ok(&[
        "run",
        "shell",
        "--image=busybox:1.36",
        "-n",
        "shop",
        "--",
        "sleep",
        "3600",
    ]);
    let shell = get(&env, "pod", "shell");
    assert_admitted_pod(&shell, "BestEffort");

    // Later writes keep one set of each: label (merge patch), annotate (merge patch), a
    // strategic patch of the image, a JSON patch.
    env.ok(&["label", "pod", "shell", "-n", "shop", "tier=debug"]);
    env.ok(&["annotate", "pod", "shell", "-n", "shop", "owner=dana"]);
    env.ok(&[
        "patch",
        "pod",
        "shell",
        "-n",
        "shop",
        "-p",
        r#"{"spec":{"containers":[{"name":"shell","image":"busybox:1.37"}]}}"#,
    ]);
    env.ok(&[
        "patch",
        "pod",
        "shell",
        "-n",
        "shop",
        "--type=json",
        "-p",
        r#"[{"op":"add","path":"/metadata/labels/patched","value":"json"}]"#,
    ]);
    let patched = get(&env, "pod", "shell");
    assert_admitted_pod(&patched, "BestEffort");
    assert_eq!(patched["spec"]["volumes"], shell["spec"]["volumes"]);
    assert_eq!(text(&patched, "/spec/containers/0/image"), "busybox:1.37");

    // Client-side apply with equal limits and requests: Guaranteed; a re-apply is unchanged.
    let guaranteed = "apiVersion: v1
kind: Pod
metadata:
  name: api
  namespace: shop
spec:
  containers:
  - name: api
    image: registry.example.com/shop/api:2.1.0
    resources:
      limits:
        cpu: 500m
        memory: 256Mi
";
    with_file(&env, "apply", "api.yaml", guaranteed, &[]);
    let api = get(&env, "pod", "api");
    assert_admitted_pod(&api, "Guaranteed");
    let out = with_file(&env, "apply", "api.yaml", guaranteed, &[]);
    assert!(out.contains("pod/api unchanged"), "{out}");

    // Server-side apply with requests only: Burstable; an opt-out of the token mount is kept.
    let burstable = "apiVersion: v1
kind: Pod
metadata:
  name: worker
  namespace: shop
spec:
  automountServiceAccountToken: false
  serviceAccountName: worker
  tolerations:
  - key: dedicated
    operator: Equal
    value: batch
    effect: NoSchedule
  containers:
  - name: worker
    image: registry.example.com/shop/worker:2.1.0
    resources:
      requests:
        cpu: 100m
";
    with_file(&env, "apply", "worker.yaml", burstable, &["--server-side"]);
    let worker = get_managed(&env, "pod", "worker");
    assert_eq!(worker["status"]["qosClass"], json!("Burstable"));
    assert_eq!(worker["spec"]["serviceAccountName"], json!("worker"));
    assert_eq!(worker["spec"]["serviceAccount"], json!("worker"));
    assert!(worker["spec"].get("volumes").is_none(), "{worker:#}");
    let tolerations = worker["spec"]["tolerations"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(tolerations.len(), 3, "{tolerations:#?}");
    assert_eq!(tolerations[0]["key"], json!("dedicated"));
    // What the server added is nobody's: the applier owns only what it sent.
    let applier = worker["metadata"]["managedFields"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["operation"] == "Apply")
        .map(|e| e["fieldsV1"].to_string())
        .unwrap_or_default();
    assert!(applier.contains("f:serviceAccountName"), "{applier}");
    assert!(!applier.contains("f:preemptionPolicy"), "{applier}");
    assert!(
        !applier.contains("node.kubernetes.io/not-ready"),
        "{applier}"
    );

    // Pods the controller makes for a Deployment are admitted the same way.
    env.ok(&[
        "create",
        "deployment",
        "web",
        "--image=nginx:1.27",
        "-n",
        "shop",
    ]);
    let mut pod_name = String::new();
    for _ in 0..100 {
        pod_name = env.ok(&[
            "get",
            "pods",
            "-n",
            "shop",
            "-l",
            "app=web",
            "-o",
            "jsonpath={.items[*].metadata.name}",
        ]);
        if !pod_name.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(!pod_name.is_empty(), "the Deployment made no Pod");
    assert_admitted_pod(&get(&env, "pod", &pod_name), "BestEffort");
}

/// A Job's generated selector and labels, all from its uid and name.
fn assert_generated_selector(job: &Value, name: &str) {
    let uid = text(job, "/metadata/uid");
    assert!(!uid.is_empty());
    assert_eq!(
        job["spec"]["selector"],
        json!({"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}),
        "{job:#}"
    );
    let generated = json!({
        "batch.kubernetes.io/controller-uid": uid,
        "batch.kubernetes.io/job-name": name,
        "controller-uid": uid,
        "job-name": name,
    });
    let template_labels = &job["spec"]["template"]["metadata"]["labels"];
    for (key, value) in generated.as_object().into_iter().flatten() {
        assert_eq!(
            template_labels[key], *value,
            "template label {key}: {job:#}"
        );
    }
}

#[test]
fn jobs_get_a_generated_selector_on_every_create() {
    let env = start();

    // kubectl create job (protobuf body): the Job takes the template labels as its own.
    env.ok(&[
        "create",
        "job",
        "once",
        "--image=busybox:1.36",
        "-n",
        "shop",
        "--",
        "true",
    ]);
    let once = get(&env, "job", "once");
    assert_generated_selector(&once, "once");
    assert_eq!(
        once["metadata"]["labels"],
        once["spec"]["template"]["metadata"]["labels"]
    );

    // Client-side apply with labels of its own: they stay, the selector is generated.
    let migrate = "apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  namespace: shop
  labels:
    app: shop
spec:
  template:
    metadata:
      labels:
        app: shop
    spec:
      restartPolicy: Never
      containers:
      - name: migrate
        image: registry.example.com/shop/migrate:2.1.0
";
    with_file(&env, "apply", "migrate.yaml", migrate, &[]);
    let job = get(&env, "job", "migrate");
    assert_generated_selector(&job, "migrate");
    assert_eq!(job["metadata"]["labels"], json!({"app": "shop"}));
    assert_eq!(
        job["spec"]["template"]["metadata"]["labels"]["app"],
        json!("shop")
    );
    // A re-apply is unchanged; a label patch keeps the selector.
    let out = with_file(&env, "apply", "migrate.yaml", migrate, &[]);
    assert!(out.contains("job.batch/migrate unchanged"), "{out}");
    env.ok(&["label", "job", "migrate", "-n", "shop", "run=1"]);
    assert_generated_selector(&get(&env, "job", "migrate"), "migrate");

    // Server-side apply.
    let seed = migrate.replace("name: migrate\n  namespace", "name: seed\n  namespace");
    with_file(&env, "apply", "seed.yaml", &seed, &["--server-side"]);
    let seed_job = get(&env, "job", "seed");
    assert_generated_selector(&seed_job, "seed");
    // Again: the same selector, no new generation (the controller moves status meanwhile, so
    // the resourceVersion says nothing here).
    with_file(&env, "apply", "seed.yaml", &seed, &["--server-side"]);
    let reapplied = get(&env, "job", "seed");
    assert_eq!(reapplied["spec"]["selector"], seed_job["spec"]["selector"]);
    assert_eq!(reapplied["metadata"]["generation"], json!(1));

    // The controller's Pods carry the generated labels, so `kubectl get pods -l` finds them.
    let uid = text(&seed_job, "/metadata/uid").to_string();
    let selector = format!("batch.kubernetes.io/controller-uid={uid}");
    let mut found = String::new();
    for _ in 0..100 {
        found = env.ok(&["get", "pods", "-n", "shop", "-l", &selector, "-o", "name"]);
        if !found.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(found.starts_with("pod/seed-"), "{found:?}");
}

#[test]
fn scale_and_no_op_writes_go_through_the_same_steps() {
    let env = start();
    env.ok(&[
        "create",
        "deployment",
        "web",
        "--image=nginx:1.27",
        "-n",
        "shop",
    ]);
    env.ok(&["scale", "deployment", "web", "-n", "shop", "--replicas=3"]);
    let scaled = get_managed(&env, "deployment", "web");
    assert_eq!(scaled["spec"]["replicas"], json!(3));
    assert_eq!(scaled["metadata"]["generation"], json!(2));
    let scale_entry = scaled["metadata"]["managedFields"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["subresource"] == "scale")
        .cloned();
    assert!(scale_entry.is_some(), "{scaled:#}");

    // A Service scaled? No: but the same replace of a Service twice is a no-op the second time.
    with_file(&env, "apply", "web.yaml", NODE_PORT_SERVICE, &[]);
    let svc = get(&env, "service", "web");
    let run: Run = env.kubectl(&[
        "patch",
        "service",
        "web",
        "-n",
        "shop",
        "--type=merge",
        "-p",
        r#"{"spec":{"selector":{"app":"web"}}}"#,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("(no change)"), "{}", run.stdout);
    assert_eq!(rv(&get(&env, "service", "web")), rv(&svc));
}

/// A Deployment with the server's defaults spelled out (`explicit`) or left to the server.
fn defaulted_deployment(image: &str, explicit: bool) -> String {
    let (policy, pull) = if explicit {
        (
            "      dnsPolicy: ClusterFirst\n      restartPolicy: Always\n",
            "        imagePullPolicy: IfNotPresent\n",
        )
    } else {
        ("", "")
    };
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  replicas: 1
  selector:
    matchLabels:
      app: api
  template:
    metadata:
      labels:
        app: api
    spec:
{policy}      containers:
      - name: api
        image: {image}
{pull}"
    )
}

/// `get` once the Deployment's rollout is done, so the controller's status writes do not
/// move the resourceVersion between two reads.
fn get_rolled_out(env: &SandboxEnv, name: &str) -> Value {
    let deployment = format!("deployment/{name}");
    env.ok(&[
        "rollout",
        "status",
        &deployment,
        "-n",
        "shop",
        "--timeout=20s",
    ]);
    get(env, "deployment", name)
}

#[test]
fn server_side_apply_bumps_generation_only_when_the_defaulted_spec_changes() {
    let env = start();
    let ssa = ["--server-side", "--field-manager=kubedrift"];
    let explicit = defaulted_deployment("nginx:1.27", true);
    with_file(&env, "apply", "api.yaml", &explicit, &ssa);
    let first = get_rolled_out(&env, "api");
    assert_eq!(first["metadata"]["generation"], json!(1));

    // The same manifest again: nothing changes, not even the resourceVersion.
    with_file(&env, "apply", "api.yaml", &explicit, &ssa);
    let again = get_rolled_out(&env, "api");
    assert_eq!(again["metadata"]["generation"], json!(1));
    assert_eq!(rv(&again), rv(&first));

    // Git drops the fields the server defaults: after defaulting the spec is the same, so no
    // new generation (only the managedFields change, which is a new resourceVersion).
    let omitted = defaulted_deployment("nginx:1.27", false);
    with_file(&env, "apply", "api.yaml", &omitted, &ssa);
    let dropped = get_rolled_out(&env, "api");
    assert_eq!(dropped["metadata"]["generation"], json!(1), "{dropped:#}");
    assert_eq!(
        text(&dropped, "/spec/template/spec/dnsPolicy"),
        "ClusterFirst"
    );
    with_file(&env, "apply", "api.yaml", &omitted, &ssa);
    let stable = get_rolled_out(&env, "api");
    assert_eq!(stable["metadata"]["generation"], json!(1));
    assert_eq!(rv(&stable), rv(&dropped));

    // A real spec change is a new generation.
    let bumped = defaulted_deployment("nginx:1.28", false);
    with_file(&env, "apply", "api.yaml", &bumped, &ssa);
    let changed = get_rolled_out(&env, "api");
    assert_eq!(changed["metadata"]["generation"], json!(2));
    assert_ne!(rv(&changed), rv(&stable));
}
