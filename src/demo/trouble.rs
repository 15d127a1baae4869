//! The trouble the demo makes once everything is applied, and the loop that keeps making a
//! little more.
//!
//! Initial trouble, each written the way it happens on a real cluster:
//! - prod `storefront`: `kubectl scale` to 5 replicas (scale subresource, manager `kubectl`):
//!   live drift attributed to kubectl;
//! - stage `catalog-api`: an image bump committed to Git and not applied (Git ahead; prod is
//!   then one commit behind stage);
//! - stage `checkout-api`: its ConfigMap deleted (Missing);
//! - dev `admin-web`: a debug Service created by `kubectl expose` carrying the app's tracking
//!   label (Extraneous);
//! - dev `search-api`: Git points at an image from a misspelt registry, so the rollout never
//!   finishes (health Progressing);
//! - stage `notifications`: one pod in CrashLoopBackOff (status written as the kubelet
//!   would; the sandbox's kubelet is told to leave that pod alone).
//!
//! The loop then cycles through: a Git commit bumping dev `storefront`'s image, its sync, a
//! `kubectl scale` of dev `orders-worker`, and its sync back to Git.

use super::apps::{SampleApp, APPS};
use super::repo::{DemoRepo, AUTHORS};
use super::{Applier, DemoError};
use crate::sandbox::api_server::{PatchKind, Subresource};
use crate::sandbox::objects::controller::MANUAL_KUBELET_ANNOTATION;
use crate::sandbox::{ClusterHandle, Sandbox};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Manager of `kubectl scale` (the real kubectl's, with subresource `scale`).
const KUBECTL: &str = "kubectl";

fn app(name: &str) -> Result<&'static SampleApp, DemoError> {
    APPS.iter()
        .find(|a| a.name == name)
        .ok_or_else(|| DemoError::Trouble(format!("no sample app {name}")))
}

/// `kubectl scale deploy NAME -n NS --replicas=N` against `cluster`.
fn kubectl_scale(
    cluster: &ClusterHandle,
    namespace: &str,
    name: &str,
    replicas: u32,
) -> Result<(), DemoError> {
    cluster
        .patch(
            "apps/v1",
            "Deployment",
            Some(namespace),
            name,
            Subresource::Scale,
            PatchKind::Merge,
            &json!({"spec": {"replicas": replicas}}),
            KUBECTL,
        )
        .map_err(|e| DemoError::Trouble(format!("scale {namespace}/{name}: {e}")))?;
    Ok(())
}

/// Create the initial trouble (see the module docs).
pub fn make_trouble(sandbox: &Sandbox, repo: &DemoRepo) -> Result<(), DemoError> {
    let fail = |what: &str, e: &dyn std::fmt::Display| DemoError::Trouble(format!("{what}: {e}"));

    // prod: someone scaled the storefront by hand during a traffic spike.
    let prod = sandbox.cluster("prod")?;
    kubectl_scale(prod, "shop", "storefront", 5)?;

    // stage: Git moved on (catalog-api image bump), not synced yet.
    let catalog = app("catalog-api")?;
    repo.commit_image(catalog, "stage", "1.9.0", AUTHORS[1])?;

    // stage: checkout-api's ConfigMap deleted by hand.
    let stage = sandbox.cluster("stage")?;
    stage
        .delete("v1", "ConfigMap", Some("shop"), "checkout-api-config")
        .map_err(|e| fail("delete stage ConfigMap shop/checkout-api-config", &e))?;

    // dev: a debug Service exposed with kubectl, labelled like the app (tracked, not in Git).
    let dev = sandbox.cluster("dev")?;
    let debug_service = json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "admin-web-debug",
            "namespace": "shop",
            "labels": {
                "app.kubernetes.io/name": "admin-web",
                crate::model::TRACKING_LABEL: "admin-web",
            },
        },
        "spec": {
            "type": "NodePort",
            "selector": {"app.kubernetes.io/name": "admin-web"},
            "ports": [{"port": 3000, "targetPort": 3000, "protocol": "TCP"}],
        },
    });
    dev.create(debug_service, "kubectl-expose")
        .map_err(|e| fail("create dev Service shop/admin-web-debug", &e))?;

    // stage: a notifications pod crash-looping.
    crash_loop_one_pod(stage, "jobs", "notifications")?;
    Ok(())
}

/// Wait (bounded) for a pod of `app` and make it crash-loop: the sandbox's kubelet is told to
/// leave it alone, and its status is what the kubelet reports after a few failed starts.
fn crash_loop_one_pod(
    cluster: &ClusterHandle,
    namespace: &str,
    app: &str,
) -> Result<(), DemoError> {
    let deadline = Instant::now() + Duration::from_secs(20);
    let pod = loop {
        let pods = cluster.list("v1", "Pod", Some(namespace));
        let found = pods.into_iter().find(|p| {
            p.pointer("/metadata/labels/app.kubernetes.io~1name")
                .and_then(Value::as_str)
                == Some(app)
        });
        match found {
            Some(pod) => break pod,
            None if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(100)),
            None => {
                return Err(DemoError::Trouble(format!(
                    "no pod of {namespace}/{app} appeared to crash-loop"
                )))
            }
        }
    };
    let name = pod
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let fail = |e: crate::sandbox::SandboxError| {
        DemoError::Trouble(format!("crash-loop pod {namespace}/{name}: {e}"))
    };
    cluster
        .patch(
            "v1",
            "Pod",
            Some(namespace),
            &name,
            Subresource::Main,
            PatchKind::Merge,
            &json!({"metadata": {"annotations": {MANUAL_KUBELET_ANNOTATION: "manual"}}}),
            "kubedrift-demo",
        )
        .map_err(fail)?;
    // Let a controller step that read the pod before the annotation finish writing first.
    std::thread::sleep(Duration::from_millis(300));
    let pod = cluster
        .object("v1", "Pod", Some(namespace), &name)
        .unwrap_or(pod);
    let status = crash_loop_status(&pod, jiff::Timestamp::now());
    cluster
        .patch(
            "v1",
            "Pod",
            Some(namespace),
            &name,
            Subresource::Status,
            PatchKind::Json,
            &json!([{"op": "add", "path": "/status", "value": status}]),
            "kubelet",
        )
        .map_err(fail)?;
    Ok(())
}

/// A pod's status after its container exited with an error five times: Running, not
/// ready, the container waiting in CrashLoopBackOff with the last termination recorded.
pub fn crash_loop_status(pod: &Value, now: jiff::Timestamp) -> Value {
    let time = |t: jiff::Timestamp| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    let now_s = time(now);
    let earlier = time(now - jiff::SignedDuration::from_secs(1));
    let mut status = pod.get("status").cloned().unwrap_or_else(|| json!({}));
    let containers = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let names: Vec<&str> = containers
        .iter()
        .filter_map(|c| c.get("name").and_then(Value::as_str))
        .collect();
    let message = format!("containers with unready status: [{}]", names.join(" "));
    let statuses: Vec<Value> = containers
        .iter()
        .map(|c| {
            let name = c.get("name").and_then(Value::as_str).unwrap_or_default();
            let image = c.get("image").and_then(Value::as_str).unwrap_or_default();
            json!({
                "name": name,
                "image": image,
                "imageID": "",
                "ready": false,
                "started": false,
                "restartCount": 5,
                "state": {"waiting": {
                    "reason": "CrashLoopBackOff",
                    "message": format!("back-off 2m40s restarting failed container={name} pod={}",
                        pod.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default()),
                }},
                "lastState": {"terminated": {
                    "exitCode": 1,
                    "reason": "Error",
                    "startedAt": earlier,
                    "finishedAt": now_s,
                }},
            })
        })
        .collect();
    status["phase"] = json!("Running");
    status["containerStatuses"] = Value::Array(statuses);
    let conditions = status
        .get("conditions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|mut c| {
            if matches!(
                c.get("type").and_then(Value::as_str),
                Some("Ready" | "ContainersReady")
            ) {
                c["status"] = json!("False");
                c["reason"] = json!("ContainersNotReady");
                c["message"] = json!(message);
                c["lastTransitionTime"] = json!(now_s);
            }
            c
        })
        .collect();
    status["conditions"] = Value::Array(conditions);
    status
}

/// One change of the background loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Commit an image bump of dev `storefront` (Git ahead).
    CommitImageBump,
    /// Sync dev `storefront` to Git.
    SyncStorefront,
    /// `kubectl scale` dev `orders-worker` (live drift).
    ScaleWorker,
    /// Sync dev `orders-worker` back to Git.
    SyncWorker,
}

/// The cycle the loop goes through.
pub const CYCLE: [Step; 4] = [
    Step::CommitImageBump,
    Step::SyncStorefront,
    Step::ScaleWorker,
    Step::SyncWorker,
];

/// The background loop: a thread doing one [`Step`] every interval until stopped.
pub struct TroubleLoop {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    steps: Arc<AtomicU64>,
}

impl TroubleLoop {
    pub fn start(repo: DemoRepo, mut applier: Applier, interval: Duration) -> TroubleLoop {
        let (stop, stopped) = mpsc::channel::<()>();
        let steps = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&steps);
        let thread = std::thread::Builder::new()
            .name("kubedrift-demo-trouble".into())
            .spawn(move || {
                let mut state = LoopState::default();
                // Any message or a dropped sender ends the loop.
                while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(interval) {
                    let step = CYCLE[(state.done % CYCLE.len() as u64) as usize];
                    if let Err(err) = run_step(step, &repo, &mut applier, &mut state) {
                        tracing::warn!(%err, ?step, "demo step failed");
                    }
                    state.done += 1;
                    counter.store(state.done, Ordering::SeqCst);
                }
            });
        match thread {
            Ok(thread) => TroubleLoop {
                stop: Some(stop),
                thread: Some(thread),
                steps,
            },
            Err(err) => {
                tracing::warn!(%err, "could not start the demo's background loop");
                TroubleLoop {
                    stop: None,
                    thread: None,
                    steps,
                }
            }
        }
    }

    /// Steps done so far.
    pub fn steps(&self) -> u64 {
        self.steps.load(Ordering::SeqCst)
    }

    /// Stop the loop and wait for its current step to finish.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for TroubleLoop {
    fn drop(&mut self) {
        self.shutdown();
    }
}

#[derive(Debug, Default)]
struct LoopState {
    done: u64,
    /// Patch releases of dev storefront committed so far.
    storefront_bumps: u32,
}

fn run_step(
    step: Step,
    repo: &DemoRepo,
    applier: &mut Applier,
    state: &mut LoopState,
) -> Result<(), DemoError> {
    match step {
        Step::CommitImageBump => {
            let storefront = app("storefront")?;
            state.storefront_bumps += 1;
            let tag = format!("2.4.{}", 1 + state.storefront_bumps);
            // The bot and a person take turns.
            let author = if state.storefront_bumps % 2 == 1 {
                AUTHORS[3]
            } else {
                AUTHORS[1]
            };
            repo.commit_image(storefront, "dev", &tag, author)?;
        }
        Step::SyncStorefront => {
            applier.apply_app("dev", "storefront")?;
        }
        Step::ScaleWorker => {
            let dev = applier.sandbox().cluster("dev")?;
            kubectl_scale(dev, "jobs", "orders-worker", 3)?;
        }
        Step::SyncWorker => {
            applier.apply_app("dev", "orders-worker")?;
        }
    }
    Ok(())
}
