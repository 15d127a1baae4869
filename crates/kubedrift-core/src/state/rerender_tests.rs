//! A re-render recomputes only the resources whose desired object changed: the results must
//! be exactly those of a state that computed everything from scratch.

use super::*;
use crate::model::Object;
use serde_json::json;

const CONTEXT: &str = "dev";

fn at() -> jiff::Timestamp {
    jiff::Timestamp::from_second(1_767_000_000).expect("timestamp")
}

fn config_map(name: &str, level: &str) -> Object {
    json!({"apiVersion": "v1", "kind": "ConfigMap",
           "metadata": {"name": name, "namespace": "shop", "labels": {"kubedrift.io/app": "web"}},
           "data": {"LOG_LEVEL": level}})
}

fn live_config_map(name: &str, level: &str, rv: u64) -> Object {
    let mut object = config_map(name, level);
    object["metadata"]["resourceVersion"] = json!(rv.to_string());
    object["metadata"]["managedFields"] = json!([
        {"manager": "kubedrift", "operation": "Apply", "time": "2025-12-29T09:20:00Z",
         "fieldsV1": {"f:metadata": {"f:labels": {"f:kubedrift.io/app": {}}}, "f:data": {"f:LOG_LEVEL": {}}}}]);
    object
}

fn render(seq: u64, objects: &[(&str, &str)], ignore: Vec<IgnoreRule>) -> Input {
    let objects = objects
        .iter()
        .enumerate()
        .map(|(line, (name, level))| {
            let object = config_map(name, level);
            DesiredResource {
                key: ResourceKey::from_object(
                    &object,
                    Some("shop"),
                    &crate::model::builtin_cluster_scoped,
                )
                .expect("identity"),
                object: Arc::new(crate::model::StoredObject::new(object)),
                origin: Some(format!("apps/web/all.yaml:{}", line * 10 + 1)),
            }
        })
        .collect();
    Input::Desired(DesiredApp {
        id: AppId::new("web", CONTEXT),
        context: CONTEXT.to_string(),
        namespace: Some("shop".into()),
        revision: format!("main@{seq:07}"),
        seq,
        rendered: Ok(RenderedApp {
            objects,
            complete: true,
            problems: Vec::new(),
        }),
        ignore,
    })
}

fn listed(state: &mut State) {
    let kind = GroupKind::new("", "ConfigMap");
    state.apply(Input::Plan {
        context: CONTEXT.into(),
        kinds: BTreeSet::from([kind.clone()]),
        namespaces: Some(BTreeSet::from(["shop".to_string()])),
        metadata_only: BTreeSet::new(),
    });
    state.apply(Input::Cluster {
        context: CONTEXT.into(),
        event: ClusterEvent::Discovered {
            served: vec![kind.clone()],
            cluster_scoped: Vec::new(),
            missing: Vec::new(),
            at: at(),
        },
    });
    state.apply(Input::Cluster {
        context: CONTEXT.into(),
        event: ClusterEvent::Listed {
            kind,
            namespace: Some("shop".into()),
            objects: vec![
                live_config_map("a", "info", 1).into(),
                live_config_map("b", "debug", 2).into(),
                live_config_map("c", "info", 3).into(),
                // Tracked to the app, never desired: Extraneous.
                live_config_map("d", "info", 4).into(),
            ],
            metadata_only: false,
            at: at(),
        },
    });
}

/// Everything a resource row shows, by name.
fn rows(state: &State) -> Vec<String> {
    let snapshot = state.snapshot();
    let app = snapshot.app("web", CONTEXT).expect("app");
    app.resources
        .iter()
        .map(|r| {
            format!(
                "{} {:?} {:?} {:?} {:?}",
                r.key.name, r.verdict, r.health, r.origin, r.attribution
            )
        })
        .collect()
}

#[test]
fn a_rerender_gives_the_results_of_a_full_recompute() {
    let renders = [
        render(
            1,
            &[("a", "info"), ("b", "info"), ("c", "info")],
            Vec::new(),
        ),
        // b now matches live, c leaves Git, e is new (Missing), a moves down a line.
        render(
            2,
            &[("e", "info"), ("a", "info"), ("b", "debug")],
            Vec::new(),
        ),
        // c comes back drifted; d becomes desired.
        render(
            3,
            &[
                ("e", "info"),
                ("a", "info"),
                ("b", "debug"),
                ("c", "warn"),
                ("d", "info"),
            ],
            Vec::new(),
        ),
        // Ignore rules change: everything is recomputed.
        render(
            4,
            &[("a", "info"), ("c", "warn")],
            vec![IgnoreRule {
                json_pointers: vec!["/data/LOG_LEVEL".into()],
                ..IgnoreRule::default()
            }],
        ),
    ];
    let mut rerendered = State::new();
    listed(&mut rerendered);
    let mut seen = Vec::new();
    for (n, next) in renders.into_iter().enumerate() {
        let again = match &next {
            Input::Desired(app) => Input::Desired(app.clone()),
            _ => unreachable!(),
        };
        rerendered.apply(next);
        let mut fresh = State::new();
        listed(&mut fresh);
        fresh.apply(again);
        assert_eq!(rows(&rerendered), rows(&fresh), "render {}", n + 1);
        seen.push(rows(&rerendered));
    }
    // The cases cover what can change: drift, in sync, missing, extraneous, ignored.
    let all = seen.concat().join("\n");
    for verdict in ["OutOfSync", "Synced", "Missing", "Extraneous"] {
        assert!(all.contains(verdict), "{verdict} never shown:\n{all}");
    }
}
