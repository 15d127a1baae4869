//! A persistent cache of renderer tool runs (kustomize, helm), so that starting kubedrift
//! again with unchanged Git runs no tool at all.
//!
//! Keyed by the render's cache key (content ids of every input directory and file, the
//! renderer options; see [`super::Prepared::cache_key`]) plus the identity of the tool
//! binary (its path, size and modification time: a stat, never a run, so an upgraded tool
//! invalidates its entries without costing a `--version` call per start).
//!
//! What is stored is the tool's stdout and warnings, only after they parsed as manifests:
//! errors (a failing tool, a timeout, unparseable output) are never cached. Next to the
//! stdout an entry may hold the parsed objects as JSON ([`super::parsed`]), which reads
//! several times faster than parsing the YAML again; plain-manifest apps store only that
//! (their stdout is empty), keyed by the app directory's content id. Entries are
//! checked on read (magic, key, length, digest); a corrupt or unreadable entry is ignored and
//! rewritten by the next successful render. The directory is bounded in size: beyond the cap
//! the least recently used entries (by modification time, refreshed on every hit) are
//! removed.
//!
//! Rendered output may contain Secret data: the directory is created 0700 and every entry is
//! written 0600 (through a temp file renamed into place, so readers never see half an entry).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

/// The cache root (tests use a temp dir): renders go to `renders/` below it, the Argo CD /
/// Flux clones to `repos/`. Default: the XDG cache dir (`$XDG_CACHE_HOME/kubedrift`,
/// usually `~/.cache/kubedrift`).
pub const CACHE_DIR_ENV: &str = "KUBEDRIFT_CACHE_DIR";

/// kubedrift's cache root: [`CACHE_DIR_ENV`], else the XDG cache dir (`None` without a home
/// directory). One root for every on-disk cache that shares the variable.
pub fn cache_root() -> Option<PathBuf> {
    match std::env::var_os(CACHE_DIR_ENV).filter(|d| !d.is_empty()) {
        Some(dir) => Some(PathBuf::from(dir)),
        None => directories::ProjectDirs::from("", "", "kubedrift")
            .map(|dirs| dirs.cache_dir().to_path_buf()),
    }
}
/// Size cap in MiB (default [`DEFAULT_MAX_MIB`]); `0` turns the persistent cache off.
pub const CACHE_MAX_MIB_ENV: &str = "KUBEDRIFT_RENDER_CACHE_MB";
pub const DEFAULT_MAX_MIB: u64 = 256;

// v2: the parsed objects were added. A v1 entry reads as corrupt: rendered and written again.
const MAGIC: &[u8] = b"kubedrift-render-cache v2\n";
const SUFFIX: &str = ".render";
/// A temp file older than this belongs to no running store.
const ABANDONED_TEMP_AGE: std::time::Duration = std::time::Duration::from_secs(3600);

/// One cached tool run (or, with an empty stdout, one parse of plain manifests). Rendered
/// manifests may hold Secrets: `Debug` shows sizes only.
#[derive(Clone, PartialEq, Eq)]
pub struct CachedRun {
    pub stdout: Vec<u8>,
    pub warnings: Vec<String>,
    /// The objects parsed from the output, when stored.
    pub parsed: Option<ParsedObjects>,
}

/// Parsed objects as JSON, with the identity of the kubedrift binary that parsed them: a
/// different binary (another parser) does not trust them. `Debug` shows sizes only.
#[derive(Clone, PartialEq, Eq)]
pub struct ParsedObjects {
    pub parser: String,
    pub json: Vec<u8>,
}

impl std::fmt::Debug for CachedRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedRun")
            .field("stdout_bytes", &self.stdout.len())
            .field("warnings", &self.warnings.len())
            .field("parsed", &self.parsed)
            .finish()
    }
}

impl std::fmt::Debug for ParsedObjects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParsedObjects")
            .field("parser", &self.parser)
            .field("json_bytes", &self.json.len())
            .finish()
    }
}

/// The on-disk cache. Cheap to share (`Arc`); every method is best effort: an I/O problem
/// makes a lookup miss or a store a no-op, never a render error.
#[derive(Debug)]
pub struct DiskCache {
    dir: PathBuf,
    max_bytes: u64,
    /// At most how many bytes the directory holds, as this process knows it (`u64::MAX`:
    /// not scanned yet): a store scans the directory only when this may pass the cap, not
    /// on every store (hundreds of stores on a first start made that quadratic).
    size_bound: AtomicU64,
}

impl PartialEq for DiskCache {
    fn eq(&self, other: &Self) -> bool {
        self.dir == other.dir && self.max_bytes == other.max_bytes
    }
}

impl Eq for DiskCache {}

impl Clone for DiskCache {
    fn clone(&self) -> Self {
        DiskCache::new(self.dir.clone(), self.max_bytes)
    }
}

impl DiskCache {
    /// A cache in `dir` holding at most `max_bytes` (the directory is created on first
    /// store).
    pub fn new(dir: PathBuf, max_bytes: u64) -> DiskCache {
        DiskCache {
            dir,
            max_bytes,
            size_bound: AtomicU64::new(u64::MAX),
        }
    }

    /// The cache as configured by the environment: [`CACHE_DIR_ENV`], else the XDG cache
    /// dir; `None` when turned off ([`CACHE_MAX_MIB_ENV`] = 0) or no home directory exists.
    pub fn from_env() -> Option<DiskCache> {
        let max_mib = match std::env::var(CACHE_MAX_MIB_ENV) {
            Ok(text) => text.trim().parse::<u64>().unwrap_or(DEFAULT_MAX_MIB),
            Err(_) => DEFAULT_MAX_MIB,
        };
        if max_mib == 0 {
            return None;
        }
        let dir = cache_root()?.join("renders");
        Some(DiskCache::new(dir, max_mib.saturating_mul(1024 * 1024)))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path_of(&self, key: &str) -> PathBuf {
        // The key is hashed again so the file name is short and safe whatever the key holds.
        self.dir.join(format!(
            "{}{SUFFIX}",
            crate::local_source::digest(key.as_bytes())
        ))
    }

    /// The cached run for `key`; `None` when absent, unreadable or corrupt (a corrupt entry
    /// is removed, the next successful render writes it again).
    pub fn get(&self, key: &str) -> Option<CachedRun> {
        let path = self.path_of(key);
        let bytes = fs::read(&path).ok()?;
        match decode(&bytes, key) {
            Some(run) => {
                // Refresh the entry's age for the size-cap eviction (least recently used).
                if let Ok(file) = fs::File::options().write(true).open(&path) {
                    let _ = file.set_modified(SystemTime::now());
                }
                Some(run)
            }
            None => {
                tracing::debug!(path = %path.display(), "ignoring a corrupt render cache entry");
                let _ = fs::remove_file(&path);
                None
            }
        }
    }

    /// Store a successful run; then evict the oldest entries beyond the size cap.
    pub fn put(&self, key: &str, run: &CachedRun) {
        let encoded = encode(key, run);
        if encoded.len() as u64 > self.max_bytes {
            return;
        }
        if let Err(err) = self.write_entry(key, &encoded) {
            tracing::debug!(dir = %self.dir.display(), %err, "render cache entry not written");
            return;
        }
        let written = encoded.len() as u64;
        let bound = self
            .size_bound
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |bound| {
                Some(bound.saturating_add(written))
            })
            .unwrap_or(u64::MAX)
            .saturating_add(written);
        // Other processes may store too: the bound is only this process's view, so the
        // directory can pass the cap by what they wrote until this process scans again.
        if bound > self.max_bytes {
            self.evict();
        }
    }

    fn write_entry(&self, key: &str, encoded: &[u8]) -> std::io::Result<()> {
        create_private_dir(&self.dir)?;
        let mut temp = tempfile::Builder::new()
            .prefix(".tmp-")
            .tempfile_in(&self.dir)?;
        // tempfile creates files 0600 already; set it anyway so it never depends on that.
        set_mode(temp.path(), 0o600)?;
        // Not synced to disk: an entry torn by a crash fails its digest and is rendered again,
        // and a sync per entry made a first start wait on the disk hundreds of times.
        temp.write_all(encoded)?;
        temp.persist(self.path_of(key)).map_err(|err| err.error)?;
        Ok(())
    }

    /// Remove least recently used entries until the total size is within the cap.
    fn evict(&self) {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return;
        };
        let entries: Vec<fs::DirEntry> = entries.flatten().collect();
        // A store cut short (a `status` exits without waiting for it, or Ctrl-C) leaves its
        // temp file: removed once it is clearly abandoned.
        for entry in &entries {
            let abandoned = entry.file_name().to_string_lossy().starts_with(".tmp-")
                && entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.elapsed().ok())
                    .is_some_and(|age| age > ABANDONED_TEMP_AGE);
            if abandoned {
                let _ = fs::remove_file(entry.path());
            }
        }
        let mut files: Vec<(SystemTime, u64, PathBuf)> = entries
            .into_iter()
            .filter(|e| e.file_name().to_string_lossy().ends_with(SUFFIX))
            .filter_map(|e| {
                let meta = e.metadata().ok()?;
                Some((meta.modified().ok()?, meta.len(), e.path()))
            })
            .collect();
        let mut total: u64 = files.iter().map(|(_, len, _)| len).sum();
        if total <= self.max_bytes {
            self.size_bound.store(total, Ordering::Relaxed);
            return;
        }
        files.sort();
        for (_, len, path) in files {
            if total <= self.max_bytes {
                break;
            }
            if fs::remove_file(&path).is_ok() {
                total = total.saturating_sub(len);
            }
        }
        self.size_bound.store(total, Ordering::Relaxed);
    }
}

/// The identity of a tool binary for the cache key: path, size and modification time.
/// `None` when it cannot be read (then nothing is cached for it).
pub(crate) fn tool_identity(program: &Path) -> Option<String> {
    let real = fs::canonicalize(program).ok()?;
    let meta = fs::metadata(&real).ok()?;
    let modified = meta
        .modified()
        .ok()?
        .duration_since(SystemTime::UNIX_EPOCH)
        .ok()?;
    Some(format!(
        "{}:{}:{}",
        real.display(),
        meta.len(),
        modified.as_nanos()
    ))
}

/// `dir` (and its parents) made 0700; an existing one narrowed to 0700. Caches of rendered
/// manifests and cluster answers live in such directories.
pub(crate) fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
    }
    #[cfg(not(unix))]
    fs::create_dir_all(dir)?;
    // An existing directory made by someone else (or an older version) is narrowed too.
    set_mode(dir, 0o700)
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> std::io::Result<()> {
    Ok(())
}

/// `MAGIC, key \n, warning count, (len, bytes)*, stdout len, stdout, parsed flag (u8), [parser
/// len, parser, json len, json], digest, digest len (u8), \n`: lengths are little-endian u64;
/// the digest covers everything before it.
fn encode(key: &str, run: &CachedRun) -> Vec<u8> {
    let mut out = Vec::with_capacity(run.stdout.len() + 256);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(key.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(&(run.warnings.len() as u64).to_le_bytes());
    for warning in &run.warnings {
        out.extend_from_slice(&(warning.len() as u64).to_le_bytes());
        out.extend_from_slice(warning.as_bytes());
    }
    out.extend_from_slice(&(run.stdout.len() as u64).to_le_bytes());
    out.extend_from_slice(&run.stdout);
    match &run.parsed {
        None => out.push(0),
        Some(parsed) => {
            out.push(1);
            for part in [parsed.parser.as_bytes(), &parsed.json] {
                out.extend_from_slice(&(part.len() as u64).to_le_bytes());
                out.extend_from_slice(part);
            }
        }
    }
    let digest = crate::local_source::digest(&out);
    out.extend_from_slice(digest.as_bytes());
    out.push(u8::try_from(digest.len()).unwrap_or(0));
    out.push(b'\n');
    out
}

fn decode(bytes: &[u8], key: &str) -> Option<CachedRun> {
    let (&digest_len, body_and_digest) = bytes.strip_suffix(b"\n")?.split_last()?;
    let split = body_and_digest.len().checked_sub(usize::from(digest_len))?;
    let (body, digest) = body_and_digest.split_at(split);
    if digest != crate::local_source::digest(body).as_bytes() {
        return None;
    }
    let mut reader = Reader(body.strip_prefix(MAGIC)?);
    let stored_key = reader.take(key.len())?;
    if stored_key != key.as_bytes() || reader.take(1)? != b"\n" {
        return None;
    }
    let count = reader.length()?;
    let mut warnings = Vec::new();
    for _ in 0..count {
        let len = reader.length()?;
        warnings.push(String::from_utf8(reader.take(len)?.to_vec()).ok()?);
    }
    let len = reader.length()?;
    let stdout = reader.take(len)?.to_vec();
    let parsed = match reader.take(1)? {
        [0] => None,
        [1] => {
            let len = reader.length()?;
            let parser = String::from_utf8(reader.take(len)?.to_vec()).ok()?;
            let len = reader.length()?;
            let json = reader.take(len)?.to_vec();
            Some(ParsedObjects { parser, json })
        }
        _ => return None,
    };
    if !reader.0.is_empty() {
        return None;
    }
    Some(CachedRun {
        stdout,
        warnings,
        parsed,
    })
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, len: usize) -> Option<&'a [u8]> {
        if len > self.0.len() {
            return None;
        }
        let (head, rest) = self.0.split_at(len);
        self.0 = rest;
        Some(head)
    }

    fn length(&mut self) -> Option<usize> {
        let bytes: [u8; 8] = self.take(8)?.try_into().ok()?;
        usize::try_from(u64::from_le_bytes(bytes)).ok()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn debug_of_a_cached_run_shows_sizes_never_the_rendered_content() {
        let run = CachedRun {
            stdout: b"kind: Secret\ndata:\n  password: czNjcjN0LXZhbHVl\n".to_vec(),
            warnings: vec![],
            parsed: Some(ParsedObjects {
                parser: "kubedrift".into(),
                json: br#"[{"kind":"Secret","data":{"password":"czNjcjN0LXZhbHVl"}}]"#.to_vec(),
            }),
        };
        let debug = format!("{run:?} {run:#?}");
        assert!(!debug.contains("czNjcjN0LXZhbHVl"), "{debug}");
        assert!(!debug.contains("password"), "{debug}");
        assert!(debug.contains("stdout_bytes"), "{debug}");
    }

    use super::*;

    fn run(text: &str) -> CachedRun {
        CachedRun {
            stdout: text.as_bytes().to_vec(),
            warnings: vec!["kustomize build: deprecated field".to_string()],
            parsed: None,
        }
    }

    #[test]
    fn parsed_objects_round_trip_and_are_covered_by_the_digest() {
        let dir = tempfile::tempdir().unwrap();
        let cache = DiskCache::new(dir.path().to_path_buf(), 1 << 20);
        let mut with_parsed = run("kind: ConfigMap\n");
        with_parsed.parsed = Some(ParsedObjects {
            parser: "/usr/bin/kubedrift:1:2".to_string(),
            json: br#"{"objects":[],"warnings":[]}"#.to_vec(),
        });
        cache.put("k", &with_parsed);
        assert_eq!(cache.get("k"), Some(with_parsed.clone()));
        // A flipped byte inside the parsed JSON makes the whole entry corrupt.
        let path = cache.path_of("k");
        let mut bytes = fs::read(&path).unwrap();
        let at = bytes
            .windows(b"objects".len())
            .position(|w| w == b"objects")
            .unwrap();
        bytes[at] ^= 0x01;
        fs::write(&path, &bytes).unwrap();
        assert_eq!(cache.get("k"), None);
    }

    #[test]
    fn entries_round_trip_and_other_keys_miss() {
        let dir = tempfile::tempdir().unwrap();
        let cache = DiskCache::new(dir.path().join("renders"), 1 << 20);
        assert_eq!(cache.get("k1"), None);
        cache.put("k1", &run("kind: ConfigMap\n"));
        assert_eq!(cache.get("k1"), Some(run("kind: ConfigMap\n")));
        assert_eq!(cache.get("k2"), None);
    }

    #[cfg(unix)]
    #[test]
    fn directory_is_0700_and_entries_0600() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let renders = dir.path().join("renders");
        fs::create_dir(&renders).unwrap();
        fs::set_permissions(&renders, fs::Permissions::from_mode(0o755)).unwrap();
        let cache = DiskCache::new(renders.clone(), 1 << 20);
        cache.put("k", &run("data: {}\n"));
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&renders), 0o700);
        let entries: Vec<PathBuf> = fs::read_dir(&renders)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(entries.len(), 1, "{entries:?}");
        assert_eq!(mode(&entries[0]), 0o600);
    }

    #[test]
    fn corrupt_or_truncated_entries_are_ignored_and_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let cache = DiskCache::new(dir.path().to_path_buf(), 1 << 20);
        cache.put("k", &run("a: 1\n"));
        let path = cache.path_of("k");
        let good = fs::read(&path).unwrap();
        // A flipped byte in the body.
        let mut flipped = good.clone();
        flipped[MAGIC.len() + 3] ^= 0x20;
        fs::write(&path, &flipped).unwrap();
        assert_eq!(cache.get("k"), None);
        assert!(!path.exists(), "a corrupt entry is removed");
        // Truncated, garbage, empty.
        for bad in [
            &good[..good.len() / 2],
            b"garbage\n".as_slice(),
            b"".as_slice(),
        ] {
            fs::write(&path, bad).unwrap();
            assert_eq!(cache.get("k"), None);
        }
        cache.put("k", &run("a: 1\n"));
        assert_eq!(cache.get("k"), Some(run("a: 1\n")));
    }

    #[test]
    fn size_cap_evicts_the_least_recently_used() {
        let dir = tempfile::tempdir().unwrap();
        let big = "x".repeat(4000);
        let one_entry = encode("k0", &run(&big)).len() as u64;
        let cache = DiskCache::new(dir.path().to_path_buf(), one_entry * 3 + 10);
        let old = SystemTime::now() - std::time::Duration::from_secs(100);
        for (i, key) in ["k0", "k1", "k2"].iter().enumerate() {
            cache.put(key, &run(&big));
            let file = fs::File::options()
                .write(true)
                .open(cache.path_of(key))
                .unwrap();
            file.set_modified(old + std::time::Duration::from_secs(i as u64))
                .unwrap();
        }
        // k0 is used again: k1 is now the least recently used.
        assert!(cache.get("k0").is_some());
        cache.put("k3", &run(&big));
        assert!(
            cache.get("k1").is_none(),
            "the least recently used is evicted"
        );
        for key in ["k0", "k2", "k3"] {
            assert!(cache.get(key).is_some(), "{key} kept");
        }
    }
}
