//! The demo's sample apps and the files that describe them in Git: one base per app and one
//! folder per environment (`envs/<env>/<app>`), either a Kustomize overlay or, when no
//! kustomize is installed, the same objects as plain YAML.

use crate::model::TRACKING_LABEL;
use serde_json::{json, Value};

/// The environments, in promotion order.
pub const ENVIRONMENTS: [&str; 3] = ["dev", "stage", "prod"];

/// What kind of workload an app is; decides its objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// A Deployment behind a Service, with a ConfigMap.
    Web,
    /// A Deployment with a ConfigMap and no Service.
    Worker,
    /// A StatefulSet behind a headless Service.
    Redis,
}

/// One sample app.
#[derive(Debug, Clone, Copy)]
pub struct SampleApp {
    pub name: &'static str,
    pub namespace: &'static str,
    pub workload: Workload,
    /// Image repository, without tag.
    pub image: &'static str,
    /// Image tag per environment (dev, stage, prod).
    pub tags: [&'static str; 3],
    /// Replicas per environment (dev, stage, prod).
    pub replicas: [u32; 3],
    pub port: u16,
}

/// An image repository whose registry never resolves: what a typo in a registry name looks
/// like. The sandbox keeps such pods in `ImagePullBackOff`.
pub const BAD_IMAGE: &str = "registry.invalid/acme/search-api";

/// About eight apps a small shop runs.
pub const APPS: [SampleApp; 8] = [
    SampleApp {
        name: "storefront",
        namespace: "shop",
        workload: Workload::Web,
        image: "ghcr.io/acme/storefront",
        tags: ["2.4.1", "2.4.0", "2.4.0"],
        replicas: [1, 2, 3],
        port: 8080,
    },
    SampleApp {
        name: "admin-web",
        namespace: "shop",
        workload: Workload::Web,
        image: "ghcr.io/acme/admin-web",
        tags: ["1.12.0", "1.12.0", "1.11.3"],
        replicas: [1, 1, 2],
        port: 3000,
    },
    SampleApp {
        name: "catalog-api",
        namespace: "shop",
        workload: Workload::Web,
        image: "ghcr.io/acme/catalog-api",
        tags: ["1.8.0", "1.8.0", "1.8.0"],
        replicas: [1, 2, 3],
        port: 8080,
    },
    SampleApp {
        name: "checkout-api",
        namespace: "shop",
        workload: Workload::Web,
        image: "ghcr.io/acme/checkout-api",
        tags: ["3.2.0", "3.1.2", "3.1.2"],
        replicas: [1, 2, 3],
        port: 8080,
    },
    SampleApp {
        name: "search-api",
        namespace: "shop",
        workload: Workload::Web,
        image: "ghcr.io/acme/search-api",
        tags: ["2.1.0-rc.1", "2.0.3", "2.0.3"],
        replicas: [1, 2, 2],
        port: 9200,
    },
    SampleApp {
        name: "orders-worker",
        namespace: "jobs",
        workload: Workload::Worker,
        image: "ghcr.io/acme/orders-worker",
        tags: ["5.0.0", "4.9.1", "4.9.1"],
        replicas: [1, 2, 4],
        port: 9090,
    },
    SampleApp {
        name: "notifications",
        namespace: "jobs",
        workload: Workload::Worker,
        image: "ghcr.io/acme/notifications",
        tags: ["0.9.4", "0.9.4", "0.9.2"],
        replicas: [1, 1, 2],
        port: 9090,
    },
    SampleApp {
        name: "redis",
        namespace: "data",
        workload: Workload::Redis,
        image: "redis",
        tags: ["7.4.1", "7.4.1", "7.2.6"],
        replicas: [1, 1, 3],
        port: 6379,
    },
];

/// The app kept on a branch per environment (`env/<env>`, promoted by moving the branch):
/// the same manifests everywhere but the image, prod one release behind stage, stage one
/// behind dev.
pub const BRANCH_APP: SampleApp = SampleApp {
    name: "payments-api",
    namespace: "shop",
    workload: Workload::Web,
    image: "ghcr.io/acme/payments-api",
    tags: ["1.4.0", "1.3.2", "1.3.1"],
    replicas: [2, 2, 2],
    port: 8080,
};

/// Where [`BRANCH_APP`] lives on its branches.
pub const BRANCH_APP_PATH: &str = "apps/payments-api";

/// Every namespace the sample apps use.
pub fn namespaces() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = APPS.iter().map(|a| a.namespace).collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Index of `env` in [`ENVIRONMENTS`] (unknown names count as dev).
pub fn env_index(env: &str) -> usize {
    ENVIRONMENTS.iter().position(|e| *e == env).unwrap_or(0)
}

/// The log level an environment's config carries.
fn log_level(env: &str) -> &'static str {
    match env {
        "dev" => "debug",
        "stage" => "info",
        _ => "warn",
    }
}

impl SampleApp {
    /// The image repository environment `env` pulls from (dev's search-api points at a
    /// misspelt registry: the rollout never finishes).
    pub fn image_repository(&self, env: &str) -> &'static str {
        if self.name == "search-api" && env == "dev" {
            BAD_IMAGE
        } else {
            self.image
        }
    }

    fn labels(&self) -> Value {
        json!({
            "app.kubernetes.io/name": self.name,
            "app.kubernetes.io/part-of": "acme-shop",
            TRACKING_LABEL: self.name,
        })
    }

    fn config_name(&self) -> String {
        format!("{}-config", self.name)
    }

    /// The objects of the base, before any environment's changes (prod's image tag, one
    /// replica, info logging); overlays set tag, replicas and log level.
    fn base_objects(&self) -> Vec<Value> {
        self.objects_with(self.image, self.tags[2], 1, "info")
    }

    /// The objects as environment `env` should run them (what the overlay renders to).
    pub fn objects_for(&self, env: &str, tag: &str) -> Vec<Value> {
        let i = env_index(env);
        self.objects_with(
            self.image_repository(env),
            tag,
            self.replicas[i],
            log_level(env),
        )
    }

    fn objects_with(&self, image: &str, tag: &str, replicas: u32, level: &str) -> Vec<Value> {
        let name = self.name;
        let metadata = json!({"name": name, "namespace": self.namespace, "labels": self.labels()});
        let selector = json!({"app.kubernetes.io/name": name});
        let mut container = json!({
            "name": name,
            "image": format!("{image}:{tag}"),
            "ports": [{"name": "http", "containerPort": self.port}],
            "resources": {
                "requests": {"cpu": "100m", "memory": "128Mi"},
                "limits": {"memory": "256Mi"},
            },
        });
        let mut out = Vec::new();
        match self.workload {
            Workload::Web | Workload::Worker => {
                container["envFrom"] = json!([{"configMapRef": {"name": self.config_name()}}]);
                if self.workload == Workload::Web {
                    container["readinessProbe"] = json!({
                        "httpGet": {"path": "/healthz", "port": "http"},
                        "periodSeconds": 10,
                    });
                }
                out.push(json!({
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {"name": self.config_name(), "namespace": self.namespace,
                                 "labels": self.labels()},
                    "data": {"LOG_LEVEL": level, "LISTEN_PORT": self.port.to_string()},
                }));
                out.push(json!({
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "metadata": metadata,
                    "spec": {
                        "replicas": replicas,
                        "selector": {"matchLabels": selector},
                        "template": {
                            "metadata": {"labels": self.labels()},
                            "spec": {"containers": [container]},
                        },
                    },
                }));
                if self.workload == Workload::Web {
                    out.push(json!({
                        "apiVersion": "v1",
                        "kind": "Service",
                        "metadata": metadata,
                        "spec": {
                            "selector": selector,
                            "ports": [{"name": "http", "port": 80, "targetPort": "http"}],
                        },
                    }));
                }
            }
            Workload::Redis => {
                container["ports"] = json!([{"name": "redis", "containerPort": self.port}]);
                container["args"] = json!(["--appendonly", "yes"]);
                out.push(json!({
                    "apiVersion": "v1",
                    "kind": "Service",
                    "metadata": metadata,
                    "spec": {
                        "clusterIP": "None",
                        "selector": selector,
                        "ports": [{"name": "redis", "port": self.port, "targetPort": "redis"}],
                    },
                }));
                out.push(json!({
                    "apiVersion": "apps/v1",
                    "kind": "StatefulSet",
                    "metadata": metadata,
                    "spec": {
                        "serviceName": name,
                        "replicas": replicas,
                        "selector": {"matchLabels": selector},
                        "template": {
                            "metadata": {"labels": self.labels()},
                            "spec": {"containers": [container]},
                        },
                    },
                }));
            }
        }
        out
    }

    /// The objects of the branch-per-environment app at image tag `tag` (one manifest for
    /// every environment: promotion moves a branch, nothing is rewritten).
    pub fn branch_objects(&self, tag: &str) -> Vec<Value> {
        self.objects_with(self.image, tag, self.replicas[0], "info")
    }

    /// Files of the shared base: `bases/<app>/...` (Kustomize layout only).
    pub fn base_files(&self) -> Vec<(String, String)> {
        let mut files = Vec::new();
        let mut resources = Vec::new();
        for obj in self.base_objects() {
            let file = format!("{}.yaml", kind_file(&obj));
            files.push((format!("bases/{}/{file}", self.name), to_yaml(&obj)));
            resources.push(file);
        }
        let kustomization = json!({
            "apiVersion": "kustomize.config.k8s.io/v1beta1",
            "kind": "Kustomization",
            "resources": resources,
        });
        files.push((
            format!("bases/{}/kustomization.yaml", self.name),
            to_yaml(&kustomization),
        ));
        files
    }

    /// The files of `envs/<env>/<app>` running image tag `tag`: a Kustomize overlay of the
    /// base, or the rendered objects as plain YAML.
    pub fn env_files(&self, env: &str, tag: &str, kustomize: bool) -> Vec<(String, String)> {
        let dir = format!("envs/{env}/{}", self.name);
        if !kustomize {
            return vec![(
                format!("{dir}/{}.yaml", self.name),
                self.objects_for(env, tag)
                    .iter()
                    .map(to_yaml)
                    .collect::<Vec<_>>()
                    .join("---\n"),
            )];
        }
        let i = env_index(env);
        let mut image = json!({"name": self.image, "newTag": tag});
        if self.image_repository(env) != self.image {
            image["newName"] = json!(self.image_repository(env));
        }
        let mut kustomization = json!({
            "apiVersion": "kustomize.config.k8s.io/v1beta1",
            "kind": "Kustomization",
            "resources": [format!("../../../bases/{}", self.name)],
            "images": [image],
            "replicas": [{"name": self.name, "count": self.replicas[i]}],
        });
        let mut files = Vec::new();
        if self.workload != Workload::Redis {
            kustomization["patches"] = json!([{"path": "config.yaml"}]);
            let patch = json!({
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": self.config_name(), "namespace": self.namespace},
                "data": {"LOG_LEVEL": log_level(env)},
            });
            files.push((format!("{dir}/config.yaml"), to_yaml(&patch)));
        }
        files.push((format!("{dir}/kustomization.yaml"), to_yaml(&kustomization)));
        files
    }
}

/// `deployment`, `service`, `configmap`, ... for file names.
fn kind_file(obj: &Value) -> String {
    obj.get("kind")
        .and_then(Value::as_str)
        .unwrap_or("object")
        .to_ascii_lowercase()
}

/// YAML text of a JSON value (serde_yaml cannot fail on a `serde_json::Value`; an empty
/// document would surface as a render error, never a crash).
pub fn to_yaml(value: &Value) -> String {
    serde_yaml::to_string(value).unwrap_or_default()
}

/// The Helm chart app (written only when `helm` is installed): a metrics exporter with values
/// per environment.
pub fn helm_chart_files() -> Vec<(String, String)> {
    let chart = "apiVersion: v2\nname: metrics-exporter\ndescription: Exports shop metrics to Prometheus\ntype: application\nversion: 0.3.0\nappVersion: \"0.14.2\"\n";
    let values = "replicas: 1\nimage:\n  repository: quay.io/prometheus/node-exporter\n  tag: v1.8.2\nport: 9100\n";
    let deployment = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
  namespace: monitoring
  labels:
    app.kubernetes.io/name: {{ .Chart.Name }}
    app.kubernetes.io/instance: {{ .Release.Name }}
    kubedrift.io/app: metrics-exporter
spec:
  replicas: {{ .Values.replicas }}
  selector:
    matchLabels:
      app.kubernetes.io/instance: {{ .Release.Name }}
  template:
    metadata:
      labels:
        app.kubernetes.io/instance: {{ .Release.Name }}
    spec:
      containers:
        - name: exporter
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
          ports:
            - name: metrics
              containerPort: {{ .Values.port }}
"#;
    let service = r#"apiVersion: v1
kind: Service
metadata:
  name: {{ .Release.Name }}
  namespace: monitoring
  labels:
    kubedrift.io/app: metrics-exporter
spec:
  selector:
    app.kubernetes.io/instance: {{ .Release.Name }}
  ports:
    - name: metrics
      port: {{ .Values.port }}
      targetPort: metrics
"#;
    let mut files = vec![
        (
            "charts/metrics-exporter/Chart.yaml".to_string(),
            chart.to_string(),
        ),
        (
            "charts/metrics-exporter/values.yaml".to_string(),
            values.to_string(),
        ),
        (
            "charts/metrics-exporter/templates/deployment.yaml".to_string(),
            deployment.to_string(),
        ),
        (
            "charts/metrics-exporter/templates/service.yaml".to_string(),
            service.to_string(),
        ),
    ];
    for (env, replicas) in [("dev", 1), ("stage", 1), ("prod", 2)] {
        files.push((
            format!("charts/metrics-exporter/values-{env}.yaml"),
            format!("replicas: {replicas}\n"),
        ));
    }
    files
}
