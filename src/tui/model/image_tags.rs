//! The running image tag of each app's main workload, worked out when a snapshot arrives and
//! kept until the workload changes: drawing only looks it up. A live workload is kept as JSON
//! text (`LiveObject`), so reading its image is a parse of the whole object; at 50k objects
//! that must not happen per cell per frame, nor again for an app whose other resources moved.

use crate::model::Object;
use crate::state::{AppId, AppView, LiveObject, ObjectRef, ResourceView, Snapshot};
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Debug, Default)]
pub struct ImageTags {
    by_app: HashMap<AppId, Entry>,
    /// Live workloads read back from their text so far (what the cache saves; for tests).
    reads: usize,
}

#[derive(Debug)]
struct Entry {
    /// The app view the tag is for: a lookup with another view of the app misses.
    view: Arc<AppView>,
    /// The live workload the tag was read from, if it came from a live object.
    live: Option<Arc<LiveObject>>,
    tag: Option<String>,
}

impl ImageTags {
    /// Bring the tags in line with `snapshot`: apps whose view is the same `Arc` as before
    /// (the state shares unchanged views between snapshots) are skipped; a changed app whose
    /// live workload is the same object (same key and resourceVersion) keeps its tag.
    pub fn update(&mut self, snapshot: &Snapshot) {
        self.by_app.retain(|id, _| snapshot.apps.contains_key(id));
        for (id, app) in &snapshot.apps {
            let previous = self.by_app.get(id);
            if previous.is_some_and(|e| Arc::ptr_eq(&e.view, app)) {
                continue;
            }
            let workload = main_workload(app);
            let live = workload.and_then(|r| match &r.live {
                Some(ObjectRef::Live(object)) => Some(Arc::clone(object)),
                _ => None,
            });
            let tag = match (&live, previous) {
                (
                    Some(object),
                    Some(Entry {
                        live: Some(seen),
                        tag,
                        ..
                    }),
                ) if same_object(seen, object) => tag.clone(),
                (Some(object), _) => {
                    self.reads += 1;
                    image_tag_of(&object.value())
                }
                // A desired object is a tree already: nothing to parse.
                (None, _) => workload
                    .and_then(|r| r.live.as_ref().or(r.desired.as_ref()))
                    .and_then(|object| image_tag_of(&object.get())),
            };
            self.by_app.insert(
                id.clone(),
                Entry {
                    view: Arc::clone(app),
                    live,
                    tag,
                },
            );
        }
    }

    /// The tag of `app`'s main workload, when worked out for this very view.
    pub fn get(&self, app: &Arc<AppView>) -> Option<&str> {
        self.by_app
            .get(&app.id)
            .filter(|e| Arc::ptr_eq(&e.view, app))
            .and_then(|e| e.tag.as_deref())
    }

    /// How many live workloads were read back from their text.
    #[cfg(test)]
    pub fn reads(&self) -> usize {
        self.reads
    }
}

/// The same stored object: the same `Arc`, or the same key at the same resourceVersion (the
/// API server gives every change a new one).
fn same_object(a: &Arc<LiveObject>, b: &Arc<LiveObject>) -> bool {
    Arc::ptr_eq(a, b)
        || (a.key().is_some()
            && a.key() == b.key()
            && a.resource_version().is_some()
            && a.resource_version() == b.resource_version())
}

/// The app's main workload: its first Deployment, StatefulSet or DaemonSet, or Argo Rollout.
fn main_workload(app: &AppView) -> Option<&ResourceView> {
    app.resources
        .iter()
        .find(|r| {
            let apps_workload = &*r.key.group == "apps"
                && matches!(&*r.key.kind, "Deployment" | "StatefulSet" | "DaemonSet");
            let rollout =
                &*r.key.group == crate::engine::rollout::GROUP && &*r.key.kind == "Rollout";
            apps_workload || rollout
        })
        .map(|r| r.as_ref())
}

/// The tag of the first container image of a workload (`registry/shop/web:1.4.2@sha256:..`
/// → `1.4.2`).
fn image_tag_of(object: &Object) -> Option<String> {
    let image = object
        .pointer("/spec/template/spec/containers/0/image")?
        .as_str()?;
    // The digest first: `web@sha256:abcd` has no tag, and its `:` is the digest's.
    let without_digest = image.split('@').next().unwrap_or(image);
    let name = without_digest.rsplit('/').next()?;
    let (_, tag) = name.split_once(':')?;
    Some(tag.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::fixture;

    #[test]
    fn the_tag_is_read_before_the_digest_and_a_digest_alone_is_no_tag() {
        let with = |image: &str| serde_json::json!({"spec": {"template": {"spec": {"containers": [{"image": image}]}}}});
        let tag = |image: &str| image_tag_of(&with(image));
        assert_eq!(
            tag("registry:5000/shop/web:1.4.2@sha256:abcd").as_deref(),
            Some("1.4.2")
        );
        assert_eq!(
            tag("registry:5000/shop/web:1.4.2").as_deref(),
            Some("1.4.2")
        );
        assert_eq!(tag("shop/web@sha256:abcd"), None);
        assert_eq!(tag("registry:5000/shop/web"), None);
    }

    /// The sample with `web@prod`'s live Deployment at `image` (resourceVersion `rv`).
    fn sample_with_web_prod_image(image: &str, rv: u64) -> Snapshot {
        let mut snapshot = fixture::sample();
        let id = AppId::new("web", "prod");
        let mut app = (**snapshot.apps.get(&id).expect("web@prod")).clone();
        let mut resources = app.resources.clone();
        let index = resources
            .iter()
            .position(|r| &*r.key.kind == "Deployment")
            .expect("deployment");
        let mut deployment = (*resources[index]).clone();
        let mut live = deployment.live.as_ref().expect("live").get().into_owned();
        live["spec"]["template"]["spec"]["containers"][0]["image"] = image.into();
        live["metadata"]["resourceVersion"] = rv.to_string().into();
        deployment.live = Some(ObjectRef::Live(Arc::new(LiveObject::new(live))));
        resources[index] = Arc::new(deployment);
        app.resources = resources;
        snapshot.apps.insert(id, Arc::new(app));
        snapshot
    }

    #[test]
    fn a_live_workload_is_read_once_per_change_of_it() {
        let first = fixture::sample();
        let mut tags = ImageTags::default();
        tags.update(&first);
        let live_workloads = first
            .apps
            .values()
            .filter(|a| {
                main_workload(a).is_some_and(|r| matches!(r.live, Some(ObjectRef::Live(_))))
            })
            .count();
        assert!(live_workloads > 10, "{live_workloads}");
        assert_eq!(tags.reads(), live_workloads);
        let web_prod = first.app("web", "prod").expect("web@prod");
        assert_eq!(tags.get(web_prod), Some("1.4.2"));

        // The same snapshot again (a redraw, a filter change): nothing is read.
        tags.update(&first);
        assert_eq!(tags.reads(), live_workloads);

        // web@prod's view changes for another reason (its revision), its workload does not.
        let mut moved = first.clone();
        let id = AppId::new("web", "prod");
        let mut app = (**moved.apps.get(&id).expect("web@prod")).clone();
        app.revision = "main@f00ba12".into();
        moved.apps.insert(id.clone(), Arc::new(app));
        tags.update(&moved);
        assert_eq!(tags.reads(), live_workloads);
        assert_eq!(tags.get(moved.apps.get(&id).expect("app")), Some("1.4.2"));
        // A view the tags were not worked out for is not answered from another one.
        assert_eq!(tags.get(web_prod), None);

        // The live image changes (a new resourceVersion): read once, the new tag.
        let changed = sample_with_web_prod_image("registry.example.com/shop/web:1.4.3", 900);
        tags.update(&changed);
        assert_eq!(tags.reads(), live_workloads + 1);
        assert_eq!(tags.get(changed.apps.get(&id).expect("app")), Some("1.4.3"));
    }
}
