//! Hints for the mistakes a new user makes, printed after the results (never instead of
//! them). Pure functions over what the command already computed.

use crate::model::ResourceKey;
use std::collections::{BTreeMap, HashSet};

/// `compare` with manifests that name no namespace: every such desired object came out
/// Missing in the namespace `-n` gave them, while the live side has objects of the same
/// kind and name in other namespaces. One hint per such namespace, e.g. `3 of 3 desired
/// objects without a namespace were compared in namespace "default" and are Missing there;
/// the live objects have them in namespace "shop": try -n shop`.
///
/// `unnamespaced` are the keys of the desired objects whose manifest names no namespace (as
/// keyed, with the default namespace), `missing` the keys found Missing, `live` every live key.
pub fn namespace_hints<'a>(
    unnamespaced: &[ResourceKey],
    missing: &HashSet<&ResourceKey>,
    live: impl IntoIterator<Item = &'a ResourceKey>,
    default_namespace: &str,
) -> Vec<String> {
    let namespaced: Vec<&ResourceKey> = unnamespaced
        .iter()
        .filter(|k| k.namespace.is_some())
        .collect();
    if namespaced.is_empty() || !namespaced.iter().all(|k| missing.contains(*k)) {
        return Vec::new();
    }
    let live: Vec<&ResourceKey> = live.into_iter().collect();
    // For each other namespace: how many of the desired objects it holds.
    let mut found: BTreeMap<&str, usize> = BTreeMap::new();
    for key in &namespaced {
        let namespaces: HashSet<&str> = live
            .iter()
            .filter(|l| l.group == key.group && l.kind == key.kind && l.name == key.name)
            .filter_map(|l| l.namespace.as_deref())
            .filter(|ns| *ns != default_namespace)
            .collect();
        for ns in namespaces {
            *found.entry(ns).or_default() += 1;
        }
    }
    let total = namespaced.len();
    found
        .into_iter()
        .map(|(ns, count)| {
            format!(
                "{total} desired object{s} without a namespace {were} compared in namespace \
                 {default_namespace:?} and {are} Missing there; the live objects have {count} of \
                 {them} in namespace {ns:?}: try -n {ns}",
                s = if total == 1 { "" } else { "s" },
                were = if total == 1 { "was" } else { "were" },
                are = if total == 1 { "is" } else { "are" },
                them = if total == 1 { "it" } else { "them" },
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(kind: &str, ns: &str, name: &str) -> ResourceKey {
        ResourceKey {
            group: "".into(),
            kind: kind.into(),
            namespace: Some(ns.into()),
            name: name.into(),
        }
    }

    #[test]
    fn one_hint_per_namespace_only_when_every_unnamespaced_object_is_missing() {
        let desired = vec![
            key("Service", "default", "web"),
            key("ConfigMap", "default", "web"),
        ];
        let live = [
            key("Service", "shop", "web"),
            key("ConfigMap", "shop", "web"),
            key("ConfigMap", "staging", "web"),
        ];
        let missing: HashSet<&ResourceKey> = desired.iter().collect();
        let hints = namespace_hints(&desired, &missing, live.iter(), "default");
        assert_eq!(hints.len(), 2, "{hints:?}");
        assert!(hints[0]
            .ends_with("the live objects have 2 of them in namespace \"shop\": try -n shop"));
        assert!(hints[1].contains("1 of them in namespace \"staging\""));

        // One of them found: the namespace was right, no hint.
        let some_found: HashSet<&ResourceKey> = desired.iter().take(1).collect();
        assert!(namespace_hints(&desired, &some_found, live.iter(), "default").is_empty());
        // Nothing elsewhere: nothing to suggest.
        assert!(namespace_hints(&desired, &missing, [].iter(), "default").is_empty());
    }
}
