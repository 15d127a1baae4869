//! Discovery refresh: a desired custom resource whose CRD is not installed is Unknown ("not
//! served"); installing the CRD (real kubectl) refreshes discovery, the kind gets watched,
//! and the resource's verdict follows.

use crate::live_support::{resource, wait_app, Fixture};
use kubedrift::engine::compare::Verdict;
use kubedrift::state::SyncState;

pub(crate) const CRD: &str = r#"apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names:
    kind: Widget
    listKind: WidgetList
    plural: widgets
    singular: widget
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          x-kubernetes-preserve-unknown-fields: true
"#;

pub(crate) const WIDGET: &str = r#"apiVersion: example.com/v1
kind: Widget
metadata:
  name: checkout-banner
  namespace: shop
  labels:
    kubedrift.io/app: web
spec:
  color: teal
  size: 3
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn installing_a_crd_refreshes_discovery_and_the_custom_resource_is_compared() {
    let fx = Fixture::dev_with_undeployed_file("widget.yaml", WIDGET, "web: banner widget");
    let live = fx.live(None);
    let snapshot = wait_app(&live, "web", "dev", "Unknown (no CRD)", |a| {
        a.sync == SyncState::Unknown
    })
    .await;
    let app = snapshot.app("web", "dev").expect("row");
    let widget = resource(app, "Widget");
    match &widget.verdict {
        Verdict::Unknown { reason } => assert!(reason.contains("not served"), "{reason}"),
        other => panic!("{other:?}"),
    }

    let crd_path = fx.dir.path().join("crd.yaml");
    std::fs::write(&crd_path, CRD).expect("crd file");
    fx.ok(&[
        "--context",
        "dev",
        "apply",
        "-f",
        crd_path.to_str().expect("utf-8"),
    ]);
    let snapshot = wait_app(&live, "web", "dev", "Widget Missing", |a| {
        a.resources
            .iter()
            .any(|r| &*r.key.kind == "Widget" && r.verdict == Verdict::Missing)
    })
    .await;
    assert_eq!(
        snapshot.app("web", "dev").map(|a| a.sync),
        Some(SyncState::OutOfSync)
    );

    fx.deploy_files("dev", &["widget.yaml"], "dev");
    wait_app(&live, "web", "dev", "Synced", |a| {
        a.sync == SyncState::Synced
    })
    .await;
}
