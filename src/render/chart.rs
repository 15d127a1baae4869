//! Helm charts from chart repositories: `helm pull` into kubedrift's chart cache, keyed by
//! repository, chart and version, so a version already fetched is never fetched again (a
//! published chart version is immutable, as Argo CD and Flux assume too).
//!
//! Layout: `<cache>/<digest of the repo URL without credentials>/<chart>/<version>.tgz`, with
//! the archive's digest in `<version>.tgz.digest`. A pull goes to a temp dir next to its final
//! place and is renamed in, so two kubedrift processes pulling the same chart never see a
//! half-written archive; an archive that does not match its digest is pulled again; within
//! one process pulls of one archive are serialized. helm always works on a throw-away repository config
//! ([`PrivateRepo`]), so the user's `helm repo list` is never touched and the credentials in
//! the URL travel in that private file.

use super::tool::{self, Tools};
use super::RenderError;
use crate::config::redact_url;
use serde::Serialize;
use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// Environment variable naming the chart cache directory (default: the user's cache dir,
/// `~/.cache/kubedrift/charts` on Linux).
pub const CHART_CACHE_ENV: &str = "KUBEDRIFT_CHART_CACHE";

/// A chart in a Helm chart repository at one version: what an app renders when it names a
/// chart instead of a chart directory in Git. Built from the config (`chart = { repo, name,
/// version }`) or from an Argo CD Application whose source has `chart:` / a Flux HelmRelease.
#[derive(Clone, PartialEq, Eq, Hash, Serialize)]
pub struct ChartRef {
    /// Repository URL (`https://charts.example.com/stable`). May embed credentials, so Debug,
    /// Display and Serialize show it through [`redact_url`].
    #[serde(serialize_with = "serialize_redacted")]
    pub repo: String,
    /// Chart name in the repository's index.
    pub name: String,
    /// Exact chart version (SemVer).
    pub version: String,
}

fn serialize_redacted<S: serde::Serializer>(url: &str, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&redact_url(url))
}

impl std::fmt::Debug for ChartRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChartRef")
            .field("repo", &redact_url(&self.repo))
            .field("name", &self.name)
            .field("version", &self.version)
            .finish()
    }
}

impl std::fmt::Display for ChartRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "chart {} {} from {}",
            self.name,
            self.version,
            redact_url(&self.repo)
        )
    }
}

/// A chart name or version usable as one path component of the cache (and as helm's
/// argument): non-empty, no `/`, `\`, NUL, not `.` or `..`, no leading `-`.
pub fn is_safe_component(text: &str) -> bool {
    !text.is_empty()
        && text != "."
        && text != ".."
        && !text.starts_with('-')
        && !text.contains(['/', '\\', '\0'])
        && !text.chars().any(char::is_whitespace)
}

/// The chart cache directory: `$KUBEDRIFT_CHART_CACHE`, else the user's cache directory.
pub fn cache_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(CHART_CACHE_ENV).filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("", "", "kubedrift").map(|d| d.cache_dir().join("charts"))
}

/// Where `chart` is (or will be) cached below `cache`.
pub fn cached_path(cache: &Path, chart: &ChartRef) -> PathBuf {
    // Keyed without the URL's credentials: no hash of a password on disk, and a rotated
    // password keeps the cache.
    let (url, _) = split_credentials(&chart.repo);
    let repo = crate::local_source::digest(url.trim_end_matches('/').as_bytes());
    let repo: String = repo.chars().take(16).collect();
    cache
        .join(repo)
        .join(&chart.name)
        .join(format!("{}.tgz", chart.version))
}

/// The lock serializing pulls of the archive at `target` within this process.
fn pull_lock(target: &Path) -> Arc<Mutex<()>> {
    static LOCKS: OnceLock<Mutex<HashMap<PathBuf, Arc<Mutex<()>>>>> = OnceLock::new();
    let mut locks = LOCKS
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    locks.entry(target.to_path_buf()).or_default().clone()
}

/// The chart archive of `chart`, from the cache, else pulled with `helm pull` into it.
pub(crate) fn fetch(
    helm: &Path,
    chart: &ChartRef,
    app: &str,
    tools: &Tools,
) -> Result<PathBuf, RenderError> {
    let pull_error = |message: String| RenderError::ChartPull {
        app: app.to_string(),
        chart: chart.name.clone(),
        version: chart.version.clone(),
        repo: redact_url(&chart.repo),
        message,
    };
    if !is_safe_component(&chart.name) || !is_safe_component(&chart.version) {
        return Err(pull_error(
            "the chart name and version must be plain names (no `/`, spaces or leading `-`)"
                .to_string(),
        ));
    }
    let cache = tools
        .chart_cache
        .clone()
        .or_else(cache_dir)
        .ok_or_else(|| pull_error(format!("no cache directory (set {CHART_CACHE_ENV})")))?;
    let target = cached_path(&cache, chart);
    if is_intact(&target) {
        return Ok(target);
    }
    // Apps render in parallel (several environments at one version): one pull per archive
    // in this process, the others wait for it and find it cached.
    let lock = pull_lock(&target);
    let _pulling = lock
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if is_intact(&target) {
        return Ok(target);
    }
    let dir = target
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| cache.clone());
    std::fs::create_dir_all(&dir)
        .map_err(|e| pull_error(format!("creating the chart cache {}: {e}", dir.display())))?;
    let staging = tempfile::Builder::new()
        .prefix(".pull-")
        .tempdir_in(&dir)
        .map_err(|e| pull_error(format!("creating a temp dir in {}: {e}", dir.display())))?;
    let repo = PrivateRepo::add(helm, &chart.repo, tools, staging.path()).map_err(&pull_error)?;
    let out = staging.path().join("out");
    std::fs::create_dir_all(&out).map_err(|e| pull_error(e.to_string()))?;
    let mut args: Vec<OsString> = vec![
        "pull".into(),
        format!("{REPO_ALIAS}/{}", chart.name).into(),
        "--version".into(),
        chart.version.clone().into(),
        "--destination".into(),
        out.clone().into_os_string(),
    ];
    args.extend(repo.flags());
    // The pull reads no values: nothing in its messages is secret but the URL's userinfo.
    let no_secrets = || false;
    tool::run_renderer(
        helm,
        &args,
        tools.timeout,
        app,
        "helm pull",
        staging.path(),
        &no_secrets,
    )
    .map_err(|err| match err {
        RenderError::ToolFailed { stderr, .. } => {
            let message = redact_credentials(&stderr, &chart.repo);
            let message = message.strip_prefix("Error: ").unwrap_or(&message);
            pull_error(message.replace(&format!("in {REPO_ALIAS} repository"), "in the repository"))
        }
        other => other,
    })?;
    let archive = std::fs::read_dir(&out)
        .map_err(|e| pull_error(e.to_string()))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .find(|path| path.extension().is_some_and(|ext| ext == "tgz"))
        .ok_or_else(|| pull_error("helm pull wrote no chart archive".to_string()))?;
    let bytes = std::fs::read(&archive).map_err(|e| pull_error(e.to_string()))?;
    // The digest first: an archive is trusted only under a digest that matches it, so a
    // crash between the two renames leaves an entry that is pulled again.
    let digest = staging.path().join("digest");
    std::fs::write(&digest, crate::local_source::digest(&bytes))
        .and_then(|()| std::fs::rename(&digest, digest_path(&target)))
        .and_then(|()| std::fs::rename(&archive, &target))
        .map_err(|e| pull_error(format!("storing the chart in the cache: {e}")))?;
    Ok(target)
}

/// Where the digest of the cached archive at `archive` is kept.
fn digest_path(archive: &Path) -> PathBuf {
    let mut path = archive.as_os_str().to_os_string();
    path.push(".digest");
    PathBuf::from(path)
}

/// Whether the cached archive at `archive` is the one that was pulled: it matches the digest
/// stored next to it. A truncated, emptied or overwritten archive (a full disk, a crash, a
/// hand edit) is pulled again rather than handed to helm for ever.
fn is_intact(archive: &Path) -> bool {
    match (
        std::fs::read(archive),
        std::fs::read_to_string(digest_path(archive)),
    ) {
        (Ok(bytes), Ok(digest)) => crate::local_source::digest(&bytes) == digest.trim(),
        _ => false,
    }
}

/// A chart version as SemVer (`v1.2.3` too), else None.
pub fn parse_version(text: &str) -> Option<semver::Version> {
    semver::Version::parse(text.strip_prefix('v').unwrap_or(text)).ok()
}

/// The versions of `chart.name` the repository publishes, read from its index with helm
/// (`helm repo add` into a private, throw-away repository config: the user's helm repository
/// list is never touched; helm's TLS and authentication settings apply as for `helm pull`).
pub fn published_versions(chart: &ChartRef, tools: &Tools) -> Result<Vec<String>, String> {
    let helm = tools.find("helm").ok_or(super::HELM_NOT_INSTALLED)?;
    let scratch = tempfile::Builder::new()
        .prefix("kubedrift-helm-index-")
        .tempdir()
        .map_err(|e| format!("creating a temp dir: {e}"))?;
    let repo = PrivateRepo::add(&helm, &chart.repo, tools, scratch.path())?;
    let index =
        std::fs::read(repo.index()).map_err(|e| format!("reading the repository index: {e}"))?;
    index_versions(&index, &chart.name)
}

/// The name of the one repository in a [`PrivateRepo`].
const REPO_ALIAS: &str = "kubedrift";

/// A throw-away helm repository configuration holding one repository ([`REPO_ALIAS`]), with
/// its index downloaded (`helm repo update`): the user's own helm repository list is never
/// touched, and the URL's user name and password reach helm in that 0600 file, never on its
/// command line (which any user of the machine can read in the process list). Lives in a
/// 0700 temp dir.
struct PrivateRepo {
    dir: tempfile::TempDir,
}

impl PrivateRepo {
    fn add(helm: &Path, url: &str, tools: &Tools, parent: &Path) -> Result<PrivateRepo, String> {
        let dir = tempfile::Builder::new()
            .prefix(".repo-")
            .tempdir_in(parent)
            .map_err(|e| format!("creating a temp dir: {e}"))?;
        let repo = PrivateRepo { dir };
        // The credentials go into the repository config file (what `helm repo add` would
        // write), never onto a command line: a token is often the URL's user name alone.
        let (plain_url, credentials) = split_credentials(url);
        let (username, password) = credentials.unwrap_or_default();
        let config = serde_json::json!({
            "apiVersion": "",
            "generated": "0001-01-01T00:00:00Z",
            "repositories": [{
                "name": REPO_ALIAS, "url": plain_url,
                "username": username, "password": password,
            }],
        });
        write_private(&repo.config(), config.to_string().as_bytes())
            .map_err(|e| format!("writing the repository config: {e}"))?;
        let mut args: Vec<OsString> = vec![
            "repo".into(),
            "update".into(),
            REPO_ALIAS.into(),
            "--fail-on-repo-update-fail".into(),
        ];
        args.extend(repo.flags());
        let output = tool::run(helm, &args, tools.timeout).map_err(|e| match e {
            tool::RunError::TimedOut => format!(
                "helm repo update: no answer within {} s",
                tools.timeout.as_secs()
            ),
            tool::RunError::Spawn(e) => format!("helm: {e}"),
        })?;
        if !output.status.success() {
            // helm says why on stdout, below "Unable to get an update from ..."; its stderr
            // only lists the repositories that failed.
            let stdout = tool::clean_stderr(&output.stdout, repo.dir.path());
            let why: Vec<&str> = stdout
                .lines()
                .skip_while(|line| !line.contains("Unable to get an update"))
                .skip(1)
                .collect();
            let message = match why.is_empty() {
                false => why.join(" "),
                true => tool::clean_stderr(&output.stderr, repo.dir.path()),
            };
            let message = redact_credentials(&message, url);
            return Err(message
                .strip_prefix("Error: ")
                .unwrap_or(&message)
                .to_string());
        }
        Ok(repo)
    }

    /// The repository config file.
    fn config(&self) -> PathBuf {
        self.dir.path().join("repositories.yaml")
    }

    /// helm's flags selecting this configuration.
    fn flags(&self) -> Vec<OsString> {
        vec![
            "--repository-config".into(),
            self.config().into_os_string(),
            "--repository-cache".into(),
            self.dir.path().join("cache").into_os_string(),
        ]
    }

    /// The downloaded `index.yaml`.
    fn index(&self) -> PathBuf {
        self.dir
            .path()
            .join("cache")
            .join(format!("{REPO_ALIAS}-index.yaml"))
    }
}

/// Write `bytes` to a new file at `path` that only this user can read.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    std::io::Write::write_all(&mut options.open(path)?, bytes)
}

/// `https://user:pass@host/x` → (`https://host/x`, Some((user, pass))), percent-decoded as a
/// URL's userinfo is; a URL without userinfo is returned as it is.
fn split_credentials(url: &str) -> (String, Option<(String, String)>) {
    let Some(scheme_end) = url.find("://") else {
        return (url.to_string(), None);
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return (url.to_string(), None);
    };
    let userinfo = &rest[..at];
    let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    (
        format!("{}{}", &url[..scheme_end + 3], &rest[at + 1..]),
        Some((percent_decode(user), percent_decode(password))),
    )
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(high), Some(low)) => {
                out.push((high * 16 + low) as u8);
                i += 3;
            }
            (byte, _, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `text` with the URL's credentials (as written, and decoded) masked.
fn redact_credentials(text: &str, url: &str) -> String {
    let mut out = text.replace(url, &redact_url(url));
    if let (_, Some((_, password))) = split_credentials(url) {
        if !password.is_empty() {
            out = out.replace(&password, "***");
        }
    }
    out
}

/// The versions of `chart` in a repository's `index.yaml`.
fn index_versions(index: &[u8], chart: &str) -> Result<Vec<String>, String> {
    let index: serde_yaml::Value =
        serde_yaml::from_slice(index).map_err(|e| format!("the repository index: {e}"))?;
    Ok(index
        .get("entries")
        .and_then(|entries| entries.get(chart))
        .and_then(serde_yaml::Value::as_sequence)
        .map(|list| {
            list.iter()
                .filter_map(|entry| entry.get("version").and_then(serde_yaml::Value::as_str))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default())
}

/// The published versions after `from` up to and including `to`, newest first, in SemVer
/// order: what promoting from `to`'s environment brings to `from`'s ("behind by N chart
/// versions"). `to` itself is always listed, published or not; nothing when `to` is not
/// newer than `from`.
pub fn versions_between(published: &[String], from: &str, to: &str) -> Vec<String> {
    let (Some(low), Some(high)) = (parse_version(from), parse_version(to)) else {
        return Vec::new();
    };
    if high <= low {
        return Vec::new();
    }
    let mut between: Vec<(semver::Version, String)> = published
        .iter()
        .filter_map(|text| parse_version(text).map(|v| (v, text.clone())))
        .filter(|(v, _)| *v > low && *v <= high)
        .collect();
    if !between.iter().any(|(v, _)| *v == high) {
        between.push((high, to.to_string()));
    }
    between.sort_by(|a, b| b.0.cmp(&a.0));
    between.dedup_by(|a, b| a.0 == b.0);
    between.into_iter().map(|(_, text)| text).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_paths_are_keyed_by_repo_chart_and_version() {
        let chart = |repo: &str, version: &str| ChartRef {
            repo: repo.to_string(),
            name: "web".to_string(),
            version: version.to_string(),
        };
        let cache = Path::new("/cache");
        let a = cached_path(cache, &chart("https://charts.example.com/dev", "1.2.0"));
        let b = cached_path(cache, &chart("https://charts.example.com/prod", "1.2.0"));
        let c = cached_path(cache, &chart("https://charts.example.com/dev/", "1.3.0"));
        assert_ne!(a, b, "the same chart in two repos is two entries");
        assert_eq!(a.parent(), c.parent(), "a trailing slash is the same repo");
        assert!(a.ends_with("web/1.2.0.tgz"), "{}", a.display());
        let with_password =
            cached_path(cache, &chart("https://u:p@charts.example.com/dev", "1.2.0"));
        assert_eq!(with_password, a, "credentials are not part of the key");
    }

    #[test]
    fn credentials_in_the_repo_url_never_show() {
        let chart = ChartRef {
            repo: "https://robot:t0ken-s3cr3t@charts.example.com/stable".to_string(),
            name: "web".to_string(),
            version: "1.0.0".to_string(),
        };
        let shown = format!(
            "{chart} {chart:?} {}",
            serde_json::to_string(&chart).unwrap()
        );
        assert!(!shown.contains("t0ken-s3cr3t"), "{shown}");
        assert!(shown.contains("charts.example.com/stable"), "{shown}");
    }

    #[test]
    fn versions_between_follow_semver_not_text_order() {
        let published: Vec<String> = [
            "0.9.0",
            "0.10.0",
            "0.10.1-rc.1",
            "0.10.1",
            "1.0.0",
            "v0.11.0",
        ]
        .iter()
        .map(|v| v.to_string())
        .collect();
        assert_eq!(
            versions_between(&published, "0.9.0", "0.11.0"),
            ["v0.11.0", "0.10.1", "0.10.1-rc.1", "0.10.0"]
        );
        assert!(versions_between(&published, "1.0.0", "0.9.0").is_empty());
        assert!(versions_between(&published, "1.0.0", "1.0.0").is_empty());
        // An unpublished (or unlisted) target still counts as one version.
        assert_eq!(versions_between(&[], "1.0.0", "1.2.0"), ["1.2.0"]);
        assert!(versions_between(&published, "x", "1.0.0").is_empty());
        let index = b"apiVersion: v1\nentries:\n  web:\n  - version: 0.2.0\n  - version: 0.1.0\n  api:\n  - version: 9.0.0\n";
        assert_eq!(index_versions(index, "web").unwrap(), ["0.2.0", "0.1.0"]);
        assert!(index_versions(index, "db").unwrap().is_empty());
    }

    #[test]
    fn credentials_are_split_off_the_url() {
        assert_eq!(
            split_credentials("https://robot:p%40ss%3Aw0rd@charts.example.com/x?y"),
            (
                "https://charts.example.com/x?y".to_string(),
                Some(("robot".to_string(), "p@ss:w0rd".to_string()))
            )
        );
        assert_eq!(
            split_credentials("https://charts.example.com/a@b"),
            ("https://charts.example.com/a@b".to_string(), None)
        );
        assert_eq!(split_credentials("charts"), ("charts".to_string(), None));
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        let message = redact_credentials(
            "Get \"https://robot:p%40ss@h/index.yaml\": p@ss rejected",
            "https://robot:p%40ss@h",
        );
        assert!(
            !message.contains("p%40ss") && !message.contains("p@ss"),
            "{message}"
        );
    }

    #[test]
    fn unsafe_names_are_refused() {
        for bad in ["", ".", "..", "a/b", "-x", "a b", "..\\x"] {
            assert!(!is_safe_component(bad), "{bad:?}");
        }
        for good in ["web", "1.2.3", "v1.0.0-rc.1+build.5"] {
            assert!(is_safe_component(good), "{good:?}");
        }
    }
}
