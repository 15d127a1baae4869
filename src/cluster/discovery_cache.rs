//! Discovery answers kept on disk between runs, one file per API server (as kubectl keeps
//! `~/.kube/cache/discovery`), so a one-shot command (`kubedrift diff`) does not spend two
//! rounds of discovery requests on every start.
//!
//! Only ever a shortcut, never a verdict: an entry answers a lookup only when it is younger
//! than [`TTL`] and knows every wanted kind. A kind it does not know (a CRD installed since,
//! or a kind the server does not serve) sends the caller to the server, whose answer — served
//! or missing — decides, and is written back. Unreadable, corrupt or foreign files are
//! ignored. The directory is 0700 and files 0600, like the render cache.

use crate::model::GroupKind;
use kube::api::ApiResource;
use kube::core::GroupVersionKind;
use kube::discovery::Scope;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long an entry answers without asking the server. Short: a cluster upgrade that moves
/// a kind's preferred version is seen within minutes even without a failed request.
pub const TTL: Duration = Duration::from_secs(10 * 60);

/// Bumped when the file layout changes; other versions are ignored.
const FORMAT: u32 = 1;
const SUFFIX: &str = ".discovery.json";

/// What discovery resolved: each kind at its preferred version, with its scope.
pub type Resolved = BTreeMap<GroupKind, (ApiResource, Scope)>;

/// The on-disk discovery cache. Every method is best effort: an I/O problem makes a lookup
/// miss or a store a no-op.
#[derive(Debug, Clone)]
pub struct DiscoveryCache {
    dir: PathBuf,
    ttl: Duration,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    format: u32,
    /// The API server URL the file is for (file names are hashes; a collision never answers).
    server: String,
    /// Seconds since the Unix epoch when the server gave these answers.
    written: u64,
    kinds: Vec<CachedKind>,
}

#[derive(Serialize, Deserialize)]
struct CachedKind {
    group: String,
    version: String,
    kind: String,
    plural: String,
    namespaced: bool,
}

impl DiscoveryCache {
    pub fn new(dir: PathBuf, ttl: Duration) -> DiscoveryCache {
        DiscoveryCache { dir, ttl }
    }

    /// `discovery/` under the cache root (`KUBEDRIFT_CACHE_DIR`, else the XDG cache dir).
    pub fn from_env() -> Option<DiscoveryCache> {
        crate::render::cache_root().map(|root| DiscoveryCache::new(root.join("discovery"), TTL))
    }

    fn path_of(&self, server: &str) -> PathBuf {
        self.dir
            .join(format!("{:016x}{SUFFIX}", fnv1a(server.as_bytes())))
    }

    /// Every kind the fresh entry of `server` knows; `None` when there is no usable entry.
    pub fn load(&self, server: &str) -> Option<Resolved> {
        let bytes = fs::read(self.path_of(server)).ok()?;
        let entry: Entry = match serde_json::from_slice(&bytes) {
            Ok(entry) => entry,
            Err(err) => {
                tracing::debug!(%err, "ignoring a corrupt discovery cache entry");
                return None;
            }
        };
        if entry.format != FORMAT || entry.server != server {
            return None;
        }
        let age = now_secs().checked_sub(entry.written)?;
        if Duration::from_secs(age) >= self.ttl {
            return None;
        }
        Some(
            entry
                .kinds
                .into_iter()
                .map(|k| {
                    let gvk = GroupVersionKind::gvk(&k.group, &k.version, &k.kind);
                    let scope = if k.namespaced {
                        Scope::Namespaced
                    } else {
                        Scope::Cluster
                    };
                    (
                        GroupKind::new(&k.group, &k.kind),
                        (ApiResource::from_gvk_with_plural(&gvk, &k.plural), scope),
                    )
                })
                .collect(),
        )
    }

    /// The cached answers for `wanted` when the fresh entry knows every one of them; `None`
    /// as soon as one is unknown (the server must be asked).
    pub fn lookup(&self, server: &str, wanted: &BTreeSet<GroupKind>) -> Option<Resolved> {
        let known = self.load(server)?;
        wanted
            .iter()
            .map(|kind| known.get(kind).map(|found| (kind.clone(), found.clone())))
            .collect()
    }

    /// Replace the entry of `server` with what the server just answered.
    pub fn store(&self, server: &str, resolved: &Resolved) {
        let entry = Entry {
            format: FORMAT,
            server: server.to_string(),
            written: now_secs(),
            kinds: resolved
                .iter()
                .map(|(kind, (resource, scope))| CachedKind {
                    group: resource.group.clone(),
                    version: resource.version.clone(),
                    kind: kind.kind.clone(),
                    plural: resource.plural.clone(),
                    namespaced: matches!(scope, Scope::Namespaced),
                })
                .collect(),
        };
        if let Err(err) = self.write(server, &entry) {
            tracing::debug!(dir = %self.dir.display(), %err, "discovery cache entry not written");
        }
    }

    /// Drop the entry of `server` (a cached kind the server no longer serves).
    pub fn forget(&self, server: &str) {
        let _ = fs::remove_file(self.path_of(server));
    }

    fn write(&self, server: &str, entry: &Entry) -> std::io::Result<()> {
        crate::render::disk_cache::create_private_dir(&self.dir)?;
        let bytes = serde_json::to_vec(entry).map_err(std::io::Error::other)?;
        let mut temp = tempfile::Builder::new()
            .prefix(".tmp-")
            .tempfile_in(&self.dir)?;
        temp.write_all(&bytes)?;
        temp.persist(self.path_of(server))
            .map_err(|err| err.error)?;
        Ok(())
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A file name for a server URL (the URL itself is checked inside the file); also the digest
/// of a certificate authority in the key (`one_shot`).
pub(super) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolved(kinds: &[(&str, &str, &str, &str)]) -> Resolved {
        kinds
            .iter()
            .map(|(group, version, kind, plural)| {
                let gvk = GroupVersionKind::gvk(group, version, kind);
                (
                    GroupKind::new(group, kind),
                    (
                        ApiResource::from_gvk_with_plural(&gvk, plural),
                        Scope::Namespaced,
                    ),
                )
            })
            .collect()
    }

    fn wanted(kinds: &[(&str, &str)]) -> BTreeSet<GroupKind> {
        kinds.iter().map(|(g, k)| GroupKind::new(g, k)).collect()
    }

    #[test]
    fn answers_only_when_every_wanted_kind_is_known_and_fresh() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = DiscoveryCache::new(dir.path().join("discovery"), TTL);
        let server = "https://127.0.0.1:6443";
        cache.store(
            server,
            &resolved(&[
                ("apps", "v1", "Deployment", "deployments"),
                ("", "v1", "ConfigMap", "configmaps"),
            ]),
        );
        let found = cache
            .lookup(server, &wanted(&[("apps", "Deployment")]))
            .expect("known kind answered");
        let (resource, _) = &found[&GroupKind::new("apps", "Deployment")];
        assert_eq!(
            (resource.api_version.as_str(), resource.plural.as_str()),
            ("apps/v1", "deployments")
        );
        // One unknown kind (a CRD installed since): the server must be asked.
        assert!(cache
            .lookup(
                server,
                &wanted(&[("apps", "Deployment"), ("example.com", "Widget")])
            )
            .is_none());
        // Another server shares nothing.
        assert!(cache
            .lookup("https://10.0.0.1", &wanted(&[("apps", "Deployment")]))
            .is_none());
        // Too old: not used.
        let expired = DiscoveryCache::new(dir.path().join("discovery"), Duration::ZERO);
        assert!(expired
            .lookup(server, &wanted(&[("apps", "Deployment")]))
            .is_none());
        cache.forget(server);
        assert!(cache.load(server).is_none());
    }

    #[test]
    fn corrupt_entries_are_ignored_and_files_are_private() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = DiscoveryCache::new(dir.path().join("discovery"), TTL);
        let server = "https://127.0.0.1:6443";
        cache.store(server, &resolved(&[("", "v1", "Secret", "secrets")]));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode =
                |p: &std::path::Path| fs::metadata(p).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode(&dir.path().join("discovery")), 0o700);
            assert_eq!(mode(&cache.path_of(server)), 0o600);
        }
        fs::write(cache.path_of(server), b"{not json").expect("corrupt");
        assert!(cache.load(server).is_none());
    }
}
