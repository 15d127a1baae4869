//! Helm: `helm template` on a temp-dir copy of the chart, its `file://` dependencies and the
//! values files; or on a chart from a chart repository, pulled into the chart cache
//! ([`super::chart`]). `--set`-style overrides go to helm as a private values file, never on
//! its command line (where any user of the machine can read them in the process list).

use super::tool::{self, Tools};
use super::workspace::{resolve, Entry, Workspace};
use super::{HelmOptions, RenderError};
use crate::manifest::tree::join_root;
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The message shown for an app whose chart cannot be rendered because helm is missing.
pub const HELM_NOT_INSTALLED: &str = "helm not installed";

/// The release name: as configured, else the app directory's name.
pub(crate) fn release_name(options: &HelmOptions, app: &str) -> String {
    if !options.release_name.trim().is_empty() {
        return options.release_name.clone();
    }
    match app.rsplit('/').next() {
        Some(name) if !name.is_empty() => name.to_string(),
        _ => "release".to_string(),
    }
}

/// What a Helm render reads beside the chart itself.
#[derive(Debug, Default)]
pub(crate) struct HelmInputs {
    /// The values files as repo paths, in order.
    pub values: Vec<String>,
    /// Charts (repo paths) that declare dependencies, with the dependency names; a chart's
    /// local dependencies come before it, so they are built first.
    pub with_dependencies: Vec<(String, Vec<String>)>,
}

/// Read the chart's local (`file://`) dependencies and the values files into the workspace.
pub(crate) fn collect(
    ws: &mut Workspace<'_>,
    app: &str,
    options: &HelmOptions,
) -> Result<HelmInputs, RenderError> {
    let source_err = |error| RenderError::Source {
        app: app.to_string(),
        error,
    };
    let chart_file = join_root(app, "Chart.yaml");
    // Every chart reachable through `file://` dependencies: its dependency names and the
    // local charts it depends on.
    let mut graph: BTreeMap<String, (Vec<String>, Vec<String>)> = BTreeMap::new();
    // A chart from a chart repository brings its dependencies packaged: nothing to read.
    let mut queue = match options.chart {
        Some(_) => Vec::new(),
        None => vec![app.to_string()],
    };
    while let Some(chart) = queue.pop() {
        if graph.contains_key(&chart) {
            continue;
        }
        let mut names = Vec::new();
        let mut locals = Vec::new();
        let chart_yaml = ws
            .file(&join_root(&chart, "Chart.yaml"))
            // helm reports a broken Chart.yaml itself
            .and_then(|bytes| serde_yaml::from_slice::<Json>(bytes).ok());
        if let Some(Json::Array(dependencies)) =
            chart_yaml.as_ref().and_then(|c| c.get("dependencies"))
        {
            for dependency in dependencies {
                if let Some(name) = dependency.get("name").and_then(Json::as_str) {
                    names.push(name.to_string());
                }
                let Some(repository) = dependency.get("repository").and_then(Json::as_str) else {
                    continue;
                };
                let Some(path) = repository.strip_prefix("file://") else {
                    continue;
                };
                let target = resolve(&chart, path).map_err(|why| RenderError::Reference {
                    app: app.to_string(),
                    file: join_root(&chart, "Chart.yaml"),
                    message: format!("dependency {repository:?}: {why}"),
                })?;
                if ws.classify(&target).map_err(source_err)? == Entry::Dir {
                    locals.push(target);
                }
            }
        }
        queue.extend(locals.iter().cloned());
        graph.insert(chart, (names, locals));
    }
    let with_dependencies = dependencies_first(app, &graph)
        .into_iter()
        .filter_map(|chart| {
            let (names, _) = graph.get(&chart)?;
            (!names.is_empty()).then(|| (chart, names.clone()))
        })
        .collect();
    let mut values = Vec::new();
    let chart_file = match &options.chart {
        Some(chart) => chart.to_string(),
        None => chart_file,
    };
    for file in &options.values_files {
        let target = resolve("", file).map_err(|why| RenderError::Reference {
            app: app.to_string(),
            file: chart_file.clone(),
            message: format!("values file {file:?}: {why}"),
        })?;
        if ws.classify(&target).map_err(source_err)? != Entry::File {
            return Err(RenderError::Reference {
                app: app.to_string(),
                file: chart_file.clone(),
                message: format!("values file {file:?} not found at {}", ws.revision()),
            });
        }
        values.push(target);
    }
    Ok(HelmInputs {
        values,
        with_dependencies,
    })
}

/// The charts of `graph` reachable from `root`, each after every chart it depends on
/// (post-order; a dependency cycle is cut where it closes, and helm reports it).
fn dependencies_first(
    root: &str,
    graph: &BTreeMap<String, (Vec<String>, Vec<String>)>,
) -> Vec<String> {
    let mut order = Vec::new();
    let mut entered = BTreeSet::new();
    let mut stack = vec![(root.to_string(), false)];
    while let Some((chart, children_done)) = stack.pop() {
        if children_done {
            order.push(chart);
            continue;
        }
        if !entered.insert(chart.clone()) {
            continue;
        }
        stack.push((chart.clone(), true));
        if let Some((_, locals)) = graph.get(&chart) {
            for local in locals.iter().rev() {
                if !entered.contains(local) {
                    stack.push((local.clone(), false));
                }
            }
        }
    }
    order
}

/// True when `chart_dir/charts/` lacks one of `names` (as an unpacked chart directory or a
/// `<name>-<version>.tgz` archive): `helm template` refuses such a chart until
/// `helm dependency build` has filled it in. Vendored charts are left as committed.
fn misses_dependencies(chart_dir: &Path, names: &[String]) -> bool {
    let present: Vec<String> = std::fs::read_dir(chart_dir.join("charts"))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.iter().any(|name| {
        !present.iter().any(|entry| {
            entry == name
                || entry
                    .strip_prefix(name.as_str())
                    .and_then(|rest| rest.strip_prefix('-'))
                    .and_then(|rest| rest.strip_suffix(".tgz"))
                    .is_some_and(is_chart_version)
        })
    })
}

/// A chart version as helm names archives: SemVer, optionally with a leading `v`
/// (`1.2.3`, `v0.1.0-rc.1`), so `web-config-1.0.0.tgz` is not a version of chart `web`.
fn is_chart_version(text: &str) -> bool {
    let text = text.strip_prefix('v').unwrap_or(text);
    let core = text.split(['-', '+']).next().unwrap_or("");
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// The arguments of `helm template` (without the program itself). `--set` overrides are
/// one of the values files (the last), see [`set_values_document`].
pub(crate) fn template_args(
    release: &str,
    chart_dir: &Path,
    namespace: &str,
    values_files: &[PathBuf],
) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec![
        "template".into(),
        release.into(),
        chart_dir.as_os_str().to_os_string(),
        "--namespace".into(),
        namespace.into(),
        "--include-crds".into(),
    ];
    for file in values_files {
        args.push("-f".into());
        args.push(file.as_os_str().to_os_string());
    }
    args
}

/// One step of a `--set` key: `a.b[0].c` is `a`, `b`, `0`, `c`.
#[derive(Debug, PartialEq)]
enum KeyStep {
    Field(String),
    Index(usize),
}

/// Helm's `--set` key syntax: `.` separates fields (`\.` is a literal dot), `[N]` indexes a
/// list.
fn key_steps(key: &str) -> Result<Vec<KeyStep>, String> {
    let mut steps = Vec::new();
    let mut field = String::new();
    let mut chars = key.chars().peekable();
    let mut after_index = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(escaped) => field.push(escaped),
                None => return Err(format!("`--set` key {key:?} ends in a backslash")),
            },
            '.' => {
                if !field.is_empty() {
                    steps.push(KeyStep::Field(std::mem::take(&mut field)));
                } else if !after_index {
                    return Err(format!("`--set` key {key:?} has an empty part"));
                }
                after_index = false;
            }
            '[' => {
                if !field.is_empty() {
                    steps.push(KeyStep::Field(std::mem::take(&mut field)));
                }
                let digits: String = chars.by_ref().take_while(|c| *c != ']').collect();
                let index = digits
                    .parse::<usize>()
                    .ok()
                    .filter(|i| *i <= 65_535)
                    .ok_or_else(|| {
                        format!("`--set` key {key:?}: [{digits}] is not a list index")
                    })?;
                steps.push(KeyStep::Index(index));
                after_index = true;
            }
            other => {
                field.push(other);
                after_index = false;
            }
        }
    }
    if !field.is_empty() {
        steps.push(KeyStep::Field(field));
    }
    if steps.is_empty() {
        return Err("an empty `--set` key".to_string());
    }
    Ok(steps)
}

/// The `--set` overrides as one values document (later keys win, as on helm's command line):
/// values keep the type they have in the config (a TOML string stays a string, a number a
/// number), where `--set` would have guessed it from text.
pub(crate) fn set_values_document(set: &[(String, Json)]) -> Result<Json, String> {
    let mut root = Json::Object(serde_json::Map::new());
    for (key, value) in set {
        let steps = key_steps(key)?;
        let mut at = &mut root;
        for step in &steps {
            at = match step {
                KeyStep::Field(name) => {
                    if !at.is_object() {
                        *at = Json::Object(serde_json::Map::new());
                    }
                    match at {
                        Json::Object(map) => map.entry(name.clone()).or_insert(Json::Null),
                        _ => return Err(format!("`--set` key {key:?}")),
                    }
                }
                KeyStep::Index(index) => {
                    if !at.is_array() {
                        *at = Json::Array(Vec::new());
                    }
                    match at {
                        Json::Array(list) => {
                            if list.len() <= *index {
                                list.resize(index + 1, Json::Null);
                            }
                            &mut list[*index]
                        }
                        _ => return Err(format!("`--set` key {key:?}")),
                    }
                }
            };
        }
        *at = value.clone();
    }
    Ok(root)
}

/// Write the `--set` overrides to `dir/set-values.json`, readable by this user only.
fn write_set_values(dir: &Path, set: &[(String, Json)], app: &str) -> Result<PathBuf, RenderError> {
    let io = |message: String| RenderError::Io {
        app: app.to_string(),
        message,
    };
    let document = set_values_document(set).map_err(&io)?;
    let bytes = serde_json::to_vec(&document).map_err(|e| io(e.to_string()))?;
    let path = dir.join("set-values.json");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(&path)
        .map_err(|e| io(format!("writing the `set` values: {e}")))?;
    std::io::Write::write_all(&mut file, &bytes)
        .map_err(|e| io(format!("writing the `set` values: {e}")))?;
    Ok(path)
}

/// Run `helm template`; returns stdout and warnings.
pub(crate) fn build(
    ws: &Workspace<'_>,
    app: &str,
    inputs: &HelmInputs,
    options: &HelmOptions,
    namespace: &str,
    tools: &Tools,
) -> Result<(Vec<u8>, Vec<String>), RenderError> {
    let Some(helm) = tools.find("helm") else {
        return Err(RenderError::ToolMissing {
            app: app.to_string(),
            tool: "helm".to_string(),
            message: HELM_NOT_INSTALLED.to_string(),
        });
    };
    let workdir = super::leftovers::temp_dir("kubedrift-helm-").map_err(|err| RenderError::Io {
        app: app.to_string(),
        message: format!("creating a temp dir: {err}"),
    })?;
    let root = workdir
        .path()
        .canonicalize()
        .unwrap_or_else(|_| workdir.path().to_path_buf());
    ws.materialize(&root).map_err(|message| RenderError::Io {
        app: app.to_string(),
        message,
    })?;
    let chart_dir = match &options.chart {
        Some(chart) => super::chart::fetch(&helm, chart, app, tools)?,
        None if app.is_empty() => root.clone(),
        None => root.join(app),
    };
    // Values files and `--set` may carry anything: always treat the inputs as secret.
    let secret_inputs = || true;
    for (chart, names) in &inputs.with_dependencies {
        let dir = root.join(chart);
        if misses_dependencies(&dir, names) {
            // As Argo CD and Flux do; `file://` dependencies need no network, others are
            // fetched with the user's helm repository configuration.
            let args: Vec<OsString> = vec![
                "dependency".into(),
                "build".into(),
                dir.into_os_string(),
                "--skip-refresh".into(),
            ];
            tool::run_renderer(
                &helm,
                &args,
                tools.timeout,
                app,
                "helm dependency build",
                &root,
                &secret_inputs,
            )?;
        }
    }
    let mut values: Vec<PathBuf> = inputs.values.iter().map(|v| root.join(v)).collect();
    // Outside the materialized repo (no repo file can collide with it); tempfile makes the
    // directory 0700 and the file is 0600.
    let private =
        super::leftovers::temp_dir("kubedrift-helm-set-").map_err(|err| RenderError::Io {
            app: app.to_string(),
            message: format!("creating a temp dir: {err}"),
        })?;
    if !options.set.is_empty() {
        values.push(write_set_values(private.path(), &options.set, app)?);
    }
    let args = template_args(&release_name(options, app), &chart_dir, namespace, &values);
    tool::run_renderer(
        &helm,
        &args,
        tools.timeout,
        app,
        "helm template",
        &root,
        &secret_inputs,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_command_line() {
        let args = template_args(
            "web",
            Path::new("/tmp/w/charts/web"),
            "shop",
            &[
                PathBuf::from("/tmp/w/envs/prod/values.yaml"),
                PathBuf::from("/tmp/w/charts/web/values-eu.yaml"),
            ],
        );
        let args: Vec<String> = args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            args,
            vec![
                "template",
                "web",
                "/tmp/w/charts/web",
                "--namespace",
                "shop",
                "--include-crds",
                "-f",
                "/tmp/w/envs/prod/values.yaml",
                "-f",
                "/tmp/w/charts/web/values-eu.yaml",
            ]
        );
    }

    #[test]
    fn set_overrides_become_one_typed_values_document() {
        let set = vec![
            ("image.tag".to_string(), Json::from("1.4.2")),
            ("replicas".to_string(), Json::from(3)),
            (
                "ingress.hosts[1].host".to_string(),
                Json::from("b.example.com"),
            ),
            (
                "annotations.example\\.com/team".to_string(),
                Json::from("shop"),
            ),
            ("image.tag".to_string(), Json::from("1.5.0")),
        ];
        let document = set_values_document(&set).expect("valid keys");
        assert_eq!(
            document,
            serde_json::json!({
                "image": {"tag": "1.5.0"},
                "replicas": 3,
                "ingress": {"hosts": [null, {"host": "b.example.com"}]},
                "annotations": {"example.com/team": "shop"},
            })
        );
        for bad in ["", "a..b", "a[x]", "a[", "a\\"] {
            assert!(
                set_values_document(&[(bad.to_string(), Json::Null)]).is_err(),
                "{bad:?}"
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn set_values_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = write_set_values(
            dir.path(),
            &[("auth.password".to_string(), Json::from("hunter2"))],
            "charts/web",
        )
        .expect("written");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    fn graph(edges: &[(&str, &[&str])]) -> BTreeMap<String, (Vec<String>, Vec<String>)> {
        edges
            .iter()
            .map(|(chart, locals)| {
                let locals: Vec<String> = locals.iter().map(|l| (*l).to_string()).collect();
                ((*chart).to_string(), (locals.clone(), locals))
            })
            .collect()
    }

    #[test]
    fn shared_local_dependencies_are_built_before_every_chart_using_them() {
        // app → [a, b], a → c, b → c, c → d: d before c before a and b, app last.
        let g = graph(&[
            ("app", &["a", "b"]),
            ("a", &["c"]),
            ("b", &["c"]),
            ("c", &["d"]),
            ("d", &[]),
        ]);
        let order = dependencies_first("app", &g);
        let at = |c: &str| order.iter().position(|o| o == c).unwrap();
        assert_eq!(order.len(), 5, "{order:?}");
        assert!(
            at("d") < at("c") && at("c") < at("a") && at("c") < at("b"),
            "{order:?}"
        );
        assert_eq!(order.last().map(String::as_str), Some("app"));
        // A cycle ends without looping.
        let cyclic = graph(&[("app", &["a"]), ("a", &["app"])]);
        assert_eq!(dependencies_first("app", &cyclic), vec!["a", "app"]);
    }

    #[test]
    fn vendored_archives_count_only_for_their_own_chart() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("charts")).unwrap();
        std::fs::write(dir.path().join("charts/web-config-1.0.0.tgz"), b"").unwrap();
        assert!(misses_dependencies(dir.path(), &["web".to_string()]));
        assert!(!misses_dependencies(
            dir.path(),
            &["web-config".to_string()]
        ));
        std::fs::write(dir.path().join("charts/web-v2.3.4-rc.1.tgz"), b"").unwrap();
        assert!(!misses_dependencies(dir.path(), &["web".to_string()]));
        assert!(misses_dependencies(dir.path(), &["redis".to_string()]));
    }

    #[test]
    fn release_name_defaults_to_the_directory_name() {
        let mut options = HelmOptions::default();
        assert_eq!(release_name(&options, "charts/web"), "web");
        assert_eq!(release_name(&options, ""), "release");
        options.release_name = "web-prod".into();
        assert_eq!(release_name(&options, "charts/web"), "web-prod");
    }

    #[test]
    fn debug_shows_set_keys_but_never_their_values() {
        let options = HelmOptions {
            set: vec![("auth.password".into(), Json::from("hunter2-s3cr3t"))],
            ..HelmOptions::default()
        };
        let debug = format!("{options:?} {options:#?}");
        assert!(debug.contains("auth.password"), "{debug}");
        assert!(!debug.contains("hunter2-s3cr3t"), "{debug}");
    }
}
