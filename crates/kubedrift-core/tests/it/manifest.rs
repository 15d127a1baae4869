//! Manifest parsing: realistic files in, objects with positions or precise errors out.

use kubedrift_core::manifest::{
    find_duplicates, parse_file, parse_tree, ManifestError, ManifestLimits,
};
use kubedrift_core::model::{builtin_cluster_scoped, ResourceKey};
use kubedrift_core::source::SourceTree;
use proptest::prelude::*;
use serde_json::json;
use std::collections::BTreeMap;

fn limits() -> ManifestLimits {
    ManifestLimits::default()
}

const DEPLOY_AND_SERVICE: &str = r#"# web frontend
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels:
    app.kubernetes.io/name: web
spec:
  replicas: 3
  selector:
    matchLabels:
      app.kubernetes.io/name: web
  template:
    metadata:
      labels:
        app.kubernetes.io/name: web
    spec:
      containers:
        - name: web
          image: ghcr.io/acme/web:1.4.2
          args:
            - |
              --banner
              ---
              end of banner
          resources:
            requests:
              cpu: 250m
              memory: 128Mi
---
---
# just a comment
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  type: ClusterIP
  ports:
    - port: 80
      targetPort: 8080
      protocol: TCP
  selector:
    app.kubernetes.io/name: web
"#;

#[test]
fn multi_document_yaml_with_lines_and_block_scalar_separator() {
    let parsed = parse_file(
        "apps/web/web.yaml",
        DEPLOY_AND_SERVICE.as_bytes(),
        &limits(),
    )
    .unwrap();
    assert_eq!(parsed.objects.len(), 2);
    let deploy = &parsed.objects[0];
    assert_eq!(deploy.source.file, "apps/web/web.yaml");
    assert_eq!(deploy.source.line, 2);
    assert_eq!(deploy.object["spec"]["replicas"], json!(3));
    assert_eq!(
        deploy.object["spec"]["template"]["spec"]["containers"][0]["args"][0],
        json!("--banner\n---\nend of banner\n")
    );
    let service = &parsed.objects[1];
    assert_eq!(service.object["kind"], "Service");
    assert_eq!(service.source.line, 35);
    assert_eq!(service.object["spec"]["ports"][0]["port"], json!(80));
    assert!(parsed.warnings.is_empty());
}

/// What `kubectl get deploy,cm -n shop -o yaml` prints: a List of full server objects.
const KUBECTL_LIST: &str = r#"apiVersion: v1
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    annotations:
      deployment.kubernetes.io/revision: "7"
    creationTimestamp: "2026-11-02T09:14:11Z"
    generation: 7
    managedFields:
    - apiVersion: apps/v1
      fieldsType: FieldsV1
      fieldsV1:
        f:spec:
          f:replicas: {}
      manager: kubectl-client-side-apply
      operation: Update
      time: "2026-11-02T09:14:11Z"
    name: web
    namespace: shop
    resourceVersion: "918273"
    uid: 5b0c1f7e-3f8a-4c1e-9a51-0e3c2d9f7a11
  spec:
    progressDeadlineSeconds: 600
    replicas: 3
    revisionHistoryLimit: 10
    selector:
      matchLabels:
        app.kubernetes.io/name: web
    strategy:
      rollingUpdate:
        maxSurge: 25%
        maxUnavailable: 25%
      type: RollingUpdate
    template:
      metadata:
        labels:
          app.kubernetes.io/name: web
      spec:
        containers:
        - image: ghcr.io/acme/web:1.4.2
          imagePullPolicy: IfNotPresent
          name: web
          terminationMessagePath: /dev/termination-log
          terminationMessagePolicy: File
        dnsPolicy: ClusterFirst
        restartPolicy: Always
        schedulerName: default-scheduler
        terminationGracePeriodSeconds: 30
  status:
    availableReplicas: 3
    observedGeneration: 7
    readyReplicas: 3
    replicas: 3
    updatedReplicas: 3
- apiVersion: v1
  data:
    LOG_LEVEL: info
  kind: ConfigMap
  metadata:
    creationTimestamp: "2026-11-02T09:14:11Z"
    name: web-config
    namespace: shop
    resourceVersion: "918001"
    uid: 0d7a2b9c-51e4-4f7e-8c0a-7f1d2e3c4b5a
kind: List
metadata:
  resourceVersion: ""
"#;

#[test]
fn kubectl_list_is_expanded_at_the_list_line() {
    let parsed = parse_file("live.yaml", KUBECTL_LIST.as_bytes(), &limits()).unwrap();
    let kinds: Vec<_> = parsed
        .objects
        .iter()
        .map(|o| o.object["kind"].clone())
        .collect();
    assert_eq!(kinds, vec![json!("Deployment"), json!("ConfigMap")]);
    assert!(parsed.objects.iter().all(|o| o.source.line == 1));
    assert_eq!(
        parsed.objects[0].object["metadata"]["uid"],
        "5b0c1f7e-3f8a-4c1e-9a51-0e3c2d9f7a11"
    );
    assert_eq!(
        parsed.objects[0].object["status"]["readyReplicas"],
        json!(3)
    );
}

#[test]
fn typed_list_kind_and_empty_list() {
    let text = "apiVersion: v1\nkind: ConfigMapList\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a, namespace: shop}\n---\napiVersion: v1\nkind: List\nitems: []\n";
    let parsed = parse_file("cms.yaml", text.as_bytes(), &limits()).unwrap();
    assert_eq!(parsed.objects.len(), 1);
    assert_eq!(parsed.objects[0].object["metadata"]["name"], "a");
}

#[test]
fn json_list_as_kubectl_prints_it() {
    let text = r#"{
    "apiVersion": "v1",
    "items": [
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {
                "name": "web",
                "namespace": "shop",
                "uid": "b2c9d1e0-1111-4a2b-8c3d-4e5f6a7b8c9d",
                "resourceVersion": "1200"
            },
            "spec": {"clusterIP": "10.96.12.7", "ports": [{"port": 80, "protocol": "TCP", "targetPort": 8080}]}
        }
    ],
    "kind": "List",
    "metadata": {"resourceVersion": ""}
}
{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}
"#;
    let parsed = parse_file("live.json", text.as_bytes(), &limits()).unwrap();
    assert_eq!(parsed.objects.len(), 2);
    assert_eq!(parsed.objects[0].object["spec"]["clusterIP"], "10.96.12.7");
    assert_eq!(parsed.objects[1].source.line, 19);
    // Key order is preserved as written.
    let keys: Vec<_> = parsed.objects[0]
        .object
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(keys, vec!["apiVersion", "kind", "metadata", "spec"]);
}

#[test]
fn json_syntax_error_has_position() {
    let err = parse_file(
        "live.json",
        b"{\n  \"apiVersion\": \"v1\",\n  \"kind\": \n}\n",
        &limits(),
    )
    .unwrap_err();
    match err {
        ManifestError::Syntax { file, line, .. } => {
            assert_eq!(file, "live.json");
            assert_eq!(line, 4);
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn anchors_aliases_and_merge_keys() {
    let text = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: worker
  labels: &labels
    app.kubernetes.io/name: worker
    app.kubernetes.io/part-of: shop
spec:
  selector:
    matchLabels: *labels
  template:
    metadata:
      labels:
        <<: *labels
        tier: backend
    spec:
      containers:
        - &container
          name: worker
          image: ghcr.io/acme/worker:2.0.0
          env: [{name: MODE, value: queue}]
        - <<: *container
          name: sidecar
"#;
    let parsed = parse_file("worker.yaml", text.as_bytes(), &limits()).unwrap();
    let object = &parsed.objects[0].object;
    assert_eq!(
        object["spec"]["selector"]["matchLabels"]["app.kubernetes.io/part-of"],
        "shop"
    );
    assert_eq!(
        object["spec"]["template"]["metadata"]["labels"]["tier"],
        "backend"
    );
    assert_eq!(
        object["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"],
        "worker"
    );
    let sidecar = &object["spec"]["template"]["spec"]["containers"][1];
    assert_eq!(sidecar["name"], "sidecar");
    assert_eq!(sidecar["image"], "ghcr.io/acme/worker:2.0.0");
}

#[test]
fn non_kubernetes_yaml_is_skipped_with_warning() {
    let text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n# renovate config\nextends: [config:base]\n";
    let parsed = parse_file("apps/web/extra.yaml", text.as_bytes(), &limits()).unwrap();
    assert_eq!(parsed.objects.len(), 1);
    assert_eq!(parsed.warnings.len(), 1);
    assert!(
        parsed.warnings[0].starts_with("apps/web/extra.yaml:6:"),
        "{}",
        parsed.warnings[0]
    );
}

#[test]
fn missing_kind_is_invalid_with_line() {
    let text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nmetadata:\n  name: b\n";
    let err = parse_file("apps/web/cm.yaml", text.as_bytes(), &limits()).unwrap_err();
    assert_eq!(
        err,
        ManifestError::Invalid {
            file: "apps/web/cm.yaml".into(),
            line: 5,
            message: "missing kind".into()
        }
    );
    assert_eq!(err.to_string(), "apps/web/cm.yaml:5: missing kind");
}

#[test]
fn missing_api_version_and_missing_name_are_invalid() {
    let err = parse_file(
        "a.yaml",
        b"kind: ConfigMap\nmetadata: {name: a}\n",
        &limits(),
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "a.yaml:1: missing apiVersion");
    let err = parse_file(
        "a.yaml",
        b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  generateName: a-\n",
        &limits(),
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "a.yaml:1: missing metadata.name");
}

#[test]
fn sequence_where_object_belongs_is_invalid() {
    let text = "- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n";
    let err = parse_file("list.yaml", text.as_bytes(), &limits()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "list.yaml:1: expected a Kubernetes object (a mapping), found a sequence"
    );
    let err = parse_file(
        "s.yaml",
        b"apiVersion: v1\nkind: A\nmetadata: {name: a}\n---\njust text\n",
        &limits(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "s.yaml:5: expected a Kubernetes object (a mapping), found a string"
    );
}

#[test]
fn list_item_problems_name_the_item() {
    let text =
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {}\n";
    let err = parse_file("l.yaml", text.as_bytes(), &limits()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "l.yaml:1: List items[0]: missing metadata.name"
    );
}

#[test]
fn malformed_yaml_reports_absolute_line_and_column() {
    let text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n   bad: indent\n";
    let err = parse_file("apps/web/bad.yaml", text.as_bytes(), &limits()).unwrap_err();
    match &err {
        ManifestError::Syntax {
            file,
            line,
            column,
            message,
        } => {
            assert_eq!(file, "apps/web/bad.yaml");
            assert_eq!(*line, 9);
            assert_eq!(*column, 7);
            assert!(
                !message.contains("line 5 column"),
                "relative position leaked: {message}"
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(
        err.to_string().starts_with("apps/web/bad.yaml:9:7: "),
        "{err}"
    );
}

#[test]
fn non_string_keys_are_invalid() {
    let text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  8080: http\n";
    let err = parse_file("k.yaml", text.as_bytes(), &limits()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "k.yaml:1: data: mapping keys must be strings, found a number"
    );
}

#[test]
fn over_size_binary_and_non_utf8() {
    let small = ManifestLimits { max_file_bytes: 16 };
    let err = parse_file("big.yaml", DEPLOY_AND_SERVICE.as_bytes(), &small).unwrap_err();
    assert_eq!(
        err,
        ManifestError::TooLarge {
            file: "big.yaml".into(),
            size: DEPLOY_AND_SERVICE.len() as u64,
            limit: 16
        }
    );
    let err = parse_file("logo.yaml", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", &limits()).unwrap_err();
    assert_eq!(
        err,
        ManifestError::NotText {
            file: "logo.yaml".into()
        }
    );
    let err = parse_file(
        "latin1.yaml",
        b"apiVersion: v1\nkind: ConfigMap\ndata: {a: caf\xe9}\n",
        &limits(),
    )
    .unwrap_err();
    assert_eq!(
        err,
        ManifestError::NotText {
            file: "latin1.yaml".into()
        }
    );
}

#[test]
fn empty_files_and_bom() {
    assert!(parse_file("e.yaml", b"", &limits())
        .unwrap()
        .objects
        .is_empty());
    assert!(parse_file("e.yaml", b"---\n# nothing\n...\n", &limits())
        .unwrap()
        .objects
        .is_empty());
    assert!(parse_file("e.json", b"  \n", &limits())
        .unwrap()
        .objects
        .is_empty());
    let parsed = parse_file(
        "b.yaml",
        "\u{feff}apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n".as_bytes(),
        &limits(),
    )
    .unwrap();
    assert_eq!(parsed.objects.len(), 1);
}

#[test]
fn secret_values_never_appear_in_errors() {
    let text = "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\ndata:\n  password: c3VwZXJzZWNyZXQ=\n  1234: aHVudGVyMg==\n";
    let err = parse_file("s.yaml", text.as_bytes(), &limits()).unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(
        !shown.contains("c3VwZXJzZWNyZXQ=") && !shown.contains("aHVudGVyMg=="),
        "{shown}"
    );
}

fn tree(root: &str, files: &[(&str, &str)]) -> SourceTree {
    let files: BTreeMap<String, Vec<u8>> = files
        .iter()
        .map(|(p, c)| (p.to_string(), c.as_bytes().to_vec()))
        .collect();
    SourceTree {
        root: root.into(),
        id: format!("test:{root}"),
        files,
    }
}

#[test]
fn parse_tree_collects_per_file_errors_and_keeps_going() {
    let tree = tree(
        "apps/web",
        &[
            ("a-deploy.yaml", DEPLOY_AND_SERVICE),
            ("b-broken.yaml", "apiVersion: v1\nkind: [\n"),
            ("c/cm.yml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web-config, namespace: shop}\ndata: {LOG_LEVEL: info}\n"),
            ("d.json", "{\"apiVersion\": \"v1\", \"kind\": \"ServiceAccount\", \"metadata\": {\"name\": \"web\"}}"),
            ("README.md", "# not a manifest: ["),
        ],
    );
    let parsed = parse_tree(&tree, &limits());
    let names: Vec<_> = parsed
        .objects
        .iter()
        .map(|o| o.source.file.as_str())
        .collect();
    assert_eq!(
        names,
        vec![
            "apps/web/a-deploy.yaml",
            "apps/web/a-deploy.yaml",
            "apps/web/c/cm.yml",
            "apps/web/d.json"
        ]
    );
    assert_eq!(parsed.errors.len(), 1);
    assert!(
        parsed.errors[0]
            .to_string()
            .starts_with("apps/web/b-broken.yaml:"),
        "{}",
        parsed.errors[0]
    );
    assert!(!parsed.is_complete());
}

#[test]
fn duplicates_name_both_files() {
    let tree = tree(
        "apps/web",
        &[
            ("deploy.yaml", DEPLOY_AND_SERVICE),
            ("extra/svc.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec: {}\n"),
            ("ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, namespace: ignored}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n"),
        ],
    );
    let parsed = parse_tree(&tree, &limits());
    let duplicates = find_duplicates(&parsed.objects, Some("shop"), &builtin_cluster_scoped);
    assert_eq!(duplicates.len(), 2, "{duplicates:?}");
    assert_eq!(
        duplicates[0].key,
        ResourceKey::new("", "Service", Some("shop"), "web")
    );
    assert_eq!(
        duplicates[0].to_string(),
        "Service/shop/web is defined twice: apps/web/deploy.yaml:35 and apps/web/extra/svc.yaml:1"
    );
    assert_eq!(
        duplicates[1].key,
        ResourceKey::new("", "Namespace", None, "shop")
    );
    // In another default namespace the Service is not a duplicate.
    let duplicates = find_duplicates(&parsed.objects, Some("other"), &builtin_cluster_scoped);
    assert_eq!(duplicates.len(), 1);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parse_file_never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_file("fuzz.yaml", &bytes, &ManifestLimits::default());
        let _ = parse_file("fuzz.json", &bytes, &ManifestLimits::default());
    }

    #[test]
    fn parse_file_never_panics_on_yamlish_text(
        text in "([-a-z:{}\\[\\]&*<!|>'\"#%.~0-9 \\n\\t]|---\\n|apiVersion: v1\\n|kind: List\\n|items:\\n|metadata:\\n  name: x\\n){0,40}"
    ) {
        let parsed = parse_file("fuzz.yaml", text.as_bytes(), &ManifestLimits::default());
        if let Err(ManifestError::Syntax { line, .. }) = parsed {
            prop_assert!(line >= 1 && line <= text.lines().count() + 1);
        }
    }
}

#[test]
fn alias_bombs_and_deep_nesting_are_errors_not_hangs() {
    let mut bomb = String::from("a: &a [x,x,x,x,x,x,x,x,x,x]\n");
    let mut previous = 'a';
    for next in 'b'..='l' {
        bomb.push_str(&format!(
            "{next}: &{next} [{}]\n",
            vec![format!("*{previous}"); 10].join(",")
        ));
        previous = next;
    }
    bomb.push_str("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n");
    let err = parse_file("bomb.yaml", bomb.as_bytes(), &limits()).unwrap_err();
    assert!(matches!(err, ManifestError::Syntax { .. }), "{err}");

    let deep = format!("a: {}{}\n", "[".repeat(5000), "]".repeat(5000));
    let err = parse_file("deep.yaml", deep.as_bytes(), &limits()).unwrap_err();
    assert!(
        err.to_string().contains("recursion limit exceeded"),
        "{err}"
    );
    let deep_json = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    assert!(parse_file("deep.json", deep_json.as_bytes(), &limits()).is_err());
}

#[test]
fn debug_output_masks_secret_values() {
    let text = r#"apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: shop
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"data":{"password":"c3VwZXJzZWNyZXQ="}}'
type: Opaque
data:
  password: c3VwZXJzZWNyZXQ=
stringData:
  user: admin-7f3a
"#;
    let parsed = parse_file("secret.yaml", text.as_bytes(), &limits()).unwrap();
    let debug = format!("{parsed:?}");
    assert!(
        !debug.contains("c3VwZXJzZWNyZXQ=") && !debug.contains("admin-7f3a"),
        "{debug}"
    );
    assert!(
        debug.contains("password") && debug.contains("\"db\""),
        "{debug}"
    );
    // The object itself is untouched.
    assert_eq!(
        parsed.objects[0].object["data"]["password"],
        "c3VwZXJzZWNyZXQ="
    );
}

/// kubectl reads manifests as YAML 1.1: a plain `0644` is the octal int 420, `0x1A4` hex.
/// serde_yaml (YAML 1.2) keeps `0644` a string, which used to show as drift against 420.
#[test]
fn yaml_1_1_octal_file_modes_are_integers() {
    let text = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  annotations:
    permissions: "0644"
spec:
  selector:
    matchLabels:
      app.kubernetes.io/name: web
  template:
    metadata:
      labels:
        app.kubernetes.io/name: web
    spec:
      containers:
        - name: web
          image: ghcr.io/acme/web:1.4.2
      volumes:
        - name: config
          configMap:
            name: web-config
            defaultMode: 0644
        - name: tls
          secret:
            secretName: web-tls
            defaultMode: 0x1A4
            items:
              - key: tls.key
                path: tls.key
                mode: 0400
        - name: token
          projected:
            defaultMode: 0440
            sources:
              - serviceAccountToken: {path: token, expirationSeconds: 3600}
              - downwardAPI:
                  items:
                    - path: labels
                      fieldRef: {fieldPath: metadata.labels}
                      mode: 0644
"#;
    let parsed = parse_file("web.yaml", text.as_bytes(), &limits()).unwrap();
    let object = &parsed.objects[0].object;
    let volumes = &object["spec"]["template"]["spec"]["volumes"];
    assert_eq!(volumes[0]["configMap"]["defaultMode"], json!(420));
    assert_eq!(volumes[1]["secret"]["defaultMode"], json!(420));
    assert_eq!(volumes[1]["secret"]["items"][0]["mode"], json!(256));
    assert_eq!(volumes[2]["projected"]["defaultMode"], json!(288));
    assert_eq!(
        volumes[2]["projected"]["sources"][1]["downwardAPI"]["items"][0]["mode"],
        json!(420)
    );
    // A string field keeps its text.
    assert_eq!(
        object["metadata"]["annotations"]["permissions"],
        json!("0644")
    );
}
