//! Argo Rollouts in the TUI: a canary paused mid-way and a blue/green awaiting promotion, built
//! through the state reducer like the other view snapshots (TestBackend + insta).

use super::tests::{key, keys, render};
use crate::tui::fixture::{self, AppCase};
use crate::tui::model::Model;
use crate::tui::theme::Theme;
use crossterm::event::KeyCode;
use serde_json::{json, Value};
use std::sync::Arc;

const ENVS: [&str; 3] = ["dev", "stage", "prod"];

/// The canary of the Argo Rollouts getting-started guide, as kubedrift renders it from Git.
fn canary_rollout(tag: &str) -> Value {
    json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
        "metadata": {"name": "web", "namespace": "web",
                     "labels": {"app": "web", "kubedrift.io/app": "web"}},
        "spec": {
            "replicas": 5,
            "selector": {"matchLabels": {"app": "web"}},
            "strategy": {"canary": {
                "analysis": {"templates": [{"templateName": "success-rate"}], "startingStep": 2},
                "steps": [{"setWeight": 20}, {"pause": {}}, {"setWeight": 40},
                          {"pause": {"duration": "10m"}}, {"setWeight": 60},
                          {"pause": {"duration": "10m"}}, {"setWeight": 80},
                          {"pause": {"duration": "10m"}}]}},
            "template": {"metadata": {"labels": {"app": "web"}},
                         "spec": {"containers": [{"name": "web",
                                                  "image": format!("registry.example.com/shop/web:{tag}")}]}}
        }
    })
}

fn blue_green_rollout(tag: &str) -> Value {
    json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
        "metadata": {"name": "admin", "namespace": "admin",
                     "labels": {"app": "admin", "kubedrift.io/app": "admin"}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "admin"}},
            "strategy": {"blueGreen": {"activeService": "admin", "previewService": "admin-preview",
                                       "autoPromotionEnabled": false}},
            "template": {"metadata": {"labels": {"app": "admin"}},
                         "spec": {"containers": [{"name": "admin",
                                                  "image": format!("registry.example.com/shop/admin:{tag}")}]}}
        }
    })
}

/// Live: applied by kubedrift, with the status the Rollouts controller would write.
fn live(desired: &Value, status: Value) -> Value {
    let mut live = fixture::applied(desired, fixture::now(), 300);
    live["metadata"]["generation"] = json!(2);
    let mut status = status;
    status["observedGeneration"] = json!("2");
    live["status"] = status;
    live
}

fn case(app: &str, env: &str, desired: Vec<Value>, live: Vec<Value>) -> AppCase {
    AppCase {
        app: app.into(),
        env: env.into(),
        context: env.into(),
        revision: "main@5e6f7a8".into(),
        desired,
        live,
        render_error: None,
    }
}

fn rollout_snapshot() -> crate::state::Snapshot {
    let healthy_canary = json!({"phase": "Healthy", "currentPodHash": "6d4b8c9f7", "stableRS": "6d4b8c9f7",
                                "currentStepIndex": 8, "replicas": 5, "updatedReplicas": 5,
                                "availableReplicas": 5});
    let paused_canary = json!({
        "phase": "Paused", "message": "CanaryPauseStep",
        "currentPodHash": "7f9c6d5b8", "stableRS": "6d4b8c9f7", "currentStepIndex": 3,
        "replicas": 5, "updatedReplicas": 2, "availableReplicas": 5,
        "pauseConditions": [{"reason": "CanaryPauseStep", "startTime": "2026-01-05T11:50:00Z"}],
        "canary": {"currentBackgroundAnalysisRunStatus":
                       {"name": "web-7f9c6d5b8-4", "status": "Running"}}
    });
    let healthy_bg = json!({"phase": "Healthy", "currentPodHash": "58c7d9f6b", "stableRS": "58c7d9f6b",
                            "replicas": 2, "updatedReplicas": 2, "availableReplicas": 2,
                            "blueGreen": {"activeSelector": "58c7d9f6b"}});
    let preview_bg = json!({
        "phase": "Paused", "message": "BlueGreenPause",
        "currentPodHash": "74d8c6f7b9", "stableRS": "58c7d9f6b",
        "replicas": 4, "updatedReplicas": 2, "availableReplicas": 4,
        "pauseConditions": [{"reason": "BlueGreenPause", "startTime": "2026-01-05T11:40:00Z"}],
        "blueGreen": {"activeSelector": "58c7d9f6b", "previewSelector": "74d8c6f7b9",
                      "prePromotionAnalysisRunStatus": {"name": "admin-74d8c6f7b9-1",
                                                        "status": "Successful"}}
    });
    let mut cases = Vec::new();
    for env in ENVS {
        let (web_tag, web_status) = match env {
            "stage" => ("1.5.0", paused_canary.clone()),
            _ => ("1.4.2", healthy_canary.clone()),
        };
        let web = canary_rollout(web_tag);
        let web_service = fixture::service("web", "web");
        cases.push(case(
            "web",
            env,
            vec![web.clone(), web_service.clone()],
            vec![
                live(&web, web_status),
                fixture::applied(&web_service, fixture::now(), 301),
            ],
        ));
        let (admin_tag, admin_status) = match env {
            "stage" => ("2.1.0", preview_bg.clone()),
            _ => ("2.0.0", healthy_bg.clone()),
        };
        let admin = blue_green_rollout(admin_tag);
        cases.push(case(
            "admin",
            env,
            vec![admin.clone()],
            vec![live(&admin, admin_status)],
        ));
    }
    // api: a Rollout taking its template from Deployment `api` (in Git with 3 replicas), which
    // the controller scaled down to 0 once the Rollout was healthy (`scaleDown: onsuccess`).
    let api_template = fixture::deployment("api", "api", "registry.example.com/shop/api:1.4.2", 3);
    let mut scaled_down = fixture::applied(&api_template, fixture::now(), 310);
    scaled_down["spec"]["replicas"] = json!(0);
    fixture::set_status(&mut scaled_down, "available");
    let api = json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
        "metadata": {"name": "api", "namespace": "api",
                     "labels": {"app": "api", "kubedrift.io/app": "api"}},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "api"}},
                 "workloadRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "api",
                                 "scaleDown": "onsuccess"},
                 "strategy": {"canary": {"steps": [{"setWeight": 50}, {"pause": {}}]}}}
    });
    let api_status = json!({"phase": "Healthy", "currentPodHash": "5d8f9c7b6", "stableRS": "5d8f9c7b6",
                            "currentStepIndex": 2, "replicas": 3, "updatedReplicas": 3,
                            "availableReplicas": 3});
    cases.push(case(
        "api",
        "dev",
        vec![api.clone(), api_template],
        vec![live(&api, api_status), scaled_down],
    ));
    fixture::build(&cases, &[], &[])
}

fn rollout_model() -> Model {
    Model::new(
        Arc::new(rollout_snapshot()),
        ENVS.iter().map(|e| e.to_string()).collect(),
        Theme::dark(),
        true,
        None,
        fixture::now(),
    )
}

fn open_app(model: &mut Model, app: &str, env: &str) {
    keys(model, &format!(":app {app}"));
    key(model, KeyCode::Enter);
    keys(model, &format!(":env {env}"));
    key(model, KeyCode::Enter);
    key(model, KeyCode::Enter);
}

#[test]
fn the_overview_cell_says_canary_40_percent_instead_of_a_bare_health() {
    let mut model = rollout_model();
    let screen = render(&mut model, 160, 48);
    insta::assert_snapshot!("rollouts_overview_160x48", screen);
    assert!(screen.contains("canary 40% paused"), "{screen}");
    assert!(screen.contains("blue/green preview paused"), "{screen}");
    // Fully promoted Rollouts show their image tag only.
    assert_eq!(screen.matches("canary").count(), 1, "{screen}");
}

#[test]
fn the_app_view_shows_canary_step_weight_pause_reason_and_analysis() {
    let mut model = rollout_model();
    open_app(&mut model, "web", "stage");
    for (w, h) in [(80, 24), (160, 48)] {
        let screen = render(&mut model, w, h);
        insta::assert_snapshot!(format!("rollouts_app_canary_{w}x{h}"), screen);
        assert!(screen.contains("web@stage"), "{screen}");
        assert!(screen.contains("████░░░░░░  40%"), "{screen}");
        assert!(
            screen.contains("canary step 4 of 8 (pause 10m), weight 40%"),
            "{screen}"
        );
        assert!(screen.contains("paused at a pause step"), "{screen}");
        assert!(
            screen.contains("background analysis web-7f9c6d5b8-4 running"),
            "{screen}"
        );
    }
}

#[test]
fn the_app_view_shows_blue_green_active_and_preview_revisions() {
    let mut model = rollout_model();
    open_app(&mut model, "admin", "stage");
    let screen = render(&mut model, 160, 48);
    insta::assert_snapshot!("rollouts_app_blue_green_160x48", screen);
    assert!(
        screen.contains("blue/green: active 58c7d9f6b, preview 74d8c6f7b9"),
        "{screen}"
    );
    assert!(
        screen.contains("paused before promotion (blue/green)"),
        "{screen}"
    );
    assert!(
        screen.contains("pre-promotion analysis admin-74d8c6f7b9-1 successful"),
        "{screen}"
    );
}

#[test]
fn a_workload_ref_rollout_names_its_deployment_whose_replicas_the_controller_owns() {
    let mut model = rollout_model();
    open_app(&mut model, "api", "dev");
    // The Deployment sorts first; the Rollout is the second resource.
    key(&mut model, KeyCode::Down);
    let screen = render(&mut model, 160, 48);
    insta::assert_snapshot!("rollouts_app_workload_ref_160x48", screen);
    // The Deployment in Git says 3 replicas, the controller scaled it to 0: not drift.
    assert!(screen.contains("api@dev ✓ Synced"), "{screen}");
    assert!(
        screen.contains("template from Deployment api (in Git, Synced)"),
        "{screen}"
    );
}
