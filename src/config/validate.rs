//! From the raw file to a validated [`Config`]: TOML errors made precise, names unique,
//! references resolved, paths normalized.

use super::error::{suggest, ConfigError, Location};
use super::raw::{self, RawChart, RawChartVersion, RawConfig, RawPath, RawPromotion};
use super::redact_url;
use super::{
    AppConfig, AppPath, ChartConfig, ChartVersion, Config, DiscoverRule, Environment, HelmConfig,
    PathPattern, Promotion, PromotionModel, RendererKind, RepoConfig, Settings, ValueCopy,
    DEFAULT_BRANCH,
};
use crate::engine::ignore::IgnoreRule;
use crate::git::{join_path, normalize_path};
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// Turns a `toml` error into one naming file, line, column and key.
pub(super) fn toml_error(err: &toml::de::Error, text: &str, file: &Path) -> ConfigError {
    let offset = err.span().map(|s| s.start).unwrap_or(0);
    let location = match err.span() {
        Some(_) => Location::at(file, text, offset),
        None => Location::file(file),
    };
    let message = err.message().trim().to_string();

    if let Some(rest) = message.strip_prefix("unknown field ") {
        let key = first_quoted(rest).unwrap_or_default();
        let expected = quoted_after_expected(rest);
        let section = raw::sections()
            .into_iter()
            .find(|(_, fields)| !expected.is_empty() && fields.iter().eq(expected.iter()))
            .map(|(label, _)| label.to_string())
            .unwrap_or_else(|| header_before(text, offset));
        return ConfigError::UnknownKey {
            suggestion: suggest(&key, expected.iter().map(String::as_str)),
            key,
            section,
            location,
        };
    }
    if let Some(rest) = message.strip_prefix("missing field ") {
        let key = first_quoted(rest).unwrap_or_default();
        return ConfigError::Invalid {
            message: format!(
                "required key `{key}` is missing in {}",
                header_before(text, offset)
            ),
            key,
            location,
        };
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        let value = first_quoted(rest).unwrap_or_default();
        let expected = quoted_after_expected(rest);
        let hint = match suggest(&value, expected.iter().map(String::as_str)) {
            Some(s) => format!(", did you mean `{s}`?"),
            None => String::new(),
        };
        return ConfigError::Invalid {
            key: key_on_line(text, offset).unwrap_or_default(),
            location,
            message: format!(
                "unknown value `{value}` (expected one of {}){hint}",
                expected.join(", ")
            ),
        };
    }
    // serde data errors ("invalid type: string \"x\", expected i64") are about a key's
    // value; everything else is TOML syntax.
    let is_data_error = ["invalid type", "invalid value", "invalid length"]
        .iter()
        .any(|p| message.starts_with(p));
    match key_on_line(text, offset) {
        Some(key) if is_data_error && err.span().is_some() => ConfigError::Invalid {
            key,
            location,
            message,
        },
        _ => ConfigError::Syntax { location, message },
    }
}

/// The text between the first pair of backticks.
fn first_quoted(text: &str) -> Option<String> {
    let start = text.find('`')? + 1;
    let len = text[start..].find('`')?;
    Some(text[start..start + len].to_string())
}

/// Every backtick-quoted word after ", expected" (serde's "expected one of `a`, `b`").
fn quoted_after_expected(text: &str) -> Vec<String> {
    let Some(pos) = text.find("expected") else {
        return Vec::new();
    };
    text[pos..]
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// The last `[table]` / `[[array]]` header on or before the line of `offset`, for context.
fn header_before(text: &str, offset: usize) -> String {
    let mut at = offset.min(text.len());
    while at > 0 && !text.is_char_boundary(at) {
        at -= 1;
    }
    let end = text[at..].find('\n').map(|i| at + i).unwrap_or(text.len());
    text[..end]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|l| match l.find('#') {
            Some(i) => l[..i].trim().to_string(),
            None => l.to_string(),
        })
        .unwrap_or_else(|| "the top level".to_string())
}

/// The key whose value is at `offset`: the nearest `key =` before it on the same line
/// (`helm = { values = 3 }` → `values`), else the line's first key.
fn key_on_line(text: &str, offset: usize) -> Option<String> {
    let mut at = offset.min(text.len());
    while at > 0 && !text.is_char_boundary(at) {
        at -= 1;
    }
    let start = text[..at].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let end = text[at..].find('\n').map(|i| at + i).unwrap_or(text.len());
    let before = &text[start..at];
    let eq = before.rfind('=').or_else(|| text[start..end].find('='))?;
    let key_part = &text[start..start + eq];
    let key = key_part
        .rsplit(['{', ',', '['])
        .next()
        .unwrap_or(key_part)
        .trim()
        .trim_matches(['"', '\'']);
    (!key.is_empty() && !key.starts_with('#')).then(|| key.to_string())
}

/// Collects validation context: the file, its text (for spans) and the base directory.
struct Validator<'a> {
    text: &'a str,
    file: &'a Path,
}

impl Validator<'_> {
    fn at(&self, span: Range<usize>) -> Location {
        Location::at(self.file, self.text, span.start)
    }

    fn invalid(&self, key: &str, span: Range<usize>, message: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            key: key.to_string(),
            location: self.at(span),
            message: message.into(),
        }
    }

    /// Names are used on the command line and in paths: non-empty, no whitespace or `/`.
    fn name(&self, key: &str, name: &Spanned<String>) -> Result<String, ConfigError> {
        let value = name.get_ref();
        if value.is_empty() {
            return Err(self.invalid(key, name.span(), "must not be empty"));
        }
        if value == "."
            || value == ".."
            || value
                .chars()
                .any(|c| c.is_whitespace() || c == '/' || c == '{' || c == '}')
        {
            return Err(self.invalid(
                key,
                name.span(),
                format!("`{value}` is not a valid name (no whitespace, `/`, braces, `.` or `..`)"),
            ));
        }
        Ok(value.clone())
    }

    fn non_empty(&self, key: &str, value: &Spanned<String>) -> Result<String, ConfigError> {
        if value.get_ref().trim().is_empty() {
            return Err(self.invalid(key, value.span(), "must not be empty"));
        }
        Ok(value.get_ref().clone())
    }

    /// A namespace, which may name `{app}` and `{env}` (replaced per app and environment, as
    /// Argo CD ApplicationSets do); any other `{…}` is an error.
    fn namespace(&self, key: &str, value: &Spanned<String>) -> Result<String, ConfigError> {
        let namespace = self.non_empty(key, value)?;
        let mut rest = namespace.as_str();
        while let Some(start) = rest.find('{') {
            let after = &rest[start + 1..];
            let Some(end) = after.find('}') else {
                return Err(self.invalid(
                    key,
                    value.span(),
                    "an unclosed `{` (placeholders: {app}, {env})",
                ));
            };
            let name = &after[..end];
            if name != "app" && name != "env" {
                return Err(self.invalid(
                    key,
                    value.span(),
                    format!("unknown placeholder `{{{name}}}` (use {{app}} or {{env}})"),
                ));
            }
            rest = &after[end + 1..];
        }
        Ok(namespace)
    }

    /// Checks `name` against `known` (first definitions), reporting both places on a repeat.
    fn unique(
        &self,
        key: &str,
        name: &Spanned<String>,
        known: &mut BTreeMap<String, Range<usize>>,
    ) -> Result<(), ConfigError> {
        if let Some(first) = known.get(name.get_ref()) {
            let first = self.at(first.clone());
            return Err(self.invalid(
                key,
                name.span(),
                format!(
                    "duplicate name `{}` (first defined at line {})",
                    name.get_ref(),
                    first.line
                ),
            ));
        }
        known.insert(name.get_ref().clone(), name.span());
        Ok(())
    }

    /// A repo reference, defaulted when exactly one repo exists.
    fn repo_ref(
        &self,
        key: &str,
        reference: &Option<Spanned<String>>,
        repos: &[RepoConfig],
        owner_span: Range<usize>,
        owner: &str,
    ) -> Result<String, ConfigError> {
        match reference {
            Some(name) => {
                if repos.iter().any(|r| &r.name == name.get_ref()) {
                    Ok(name.get_ref().clone())
                } else {
                    let hint = suggest(name.get_ref(), repos.iter().map(|r| r.name.as_str()))
                        .map(|s| format!(", did you mean `{s}`?"))
                        .unwrap_or_default();
                    Err(self.invalid(
                        key,
                        name.span(),
                        format!("unknown repo `{}`{hint}", name.get_ref()),
                    ))
                }
            }
            None => match repos {
                [only] => Ok(only.name.clone()),
                _ => Err(self.invalid(
                    key,
                    owner_span,
                    format!(
                        "{owner} must name its `repo` when more than one [[repo]] is configured"
                    ),
                )),
            },
        }
    }

    fn env_ref(
        &self,
        key: &str,
        name: &Spanned<String>,
        envs: &[Environment],
    ) -> Result<String, ConfigError> {
        if envs.iter().any(|e| &e.name == name.get_ref()) {
            return Ok(name.get_ref().clone());
        }
        let hint = suggest(name.get_ref(), envs.iter().map(|e| e.name.as_str()))
            .map(|s| format!(", did you mean `{s}`?"))
            .unwrap_or_default();
        Err(self.invalid(
            key,
            name.span(),
            format!("unknown environment `{}`{hint}", name.get_ref()),
        ))
    }

    fn ignore_rules(
        &self,
        rules: Vec<Spanned<raw::RawIgnoreRule>>,
    ) -> Result<Vec<IgnoreRule>, ConfigError> {
        let mut out = Vec::new();
        for rule in rules {
            let rule_span = rule.span();
            let rule = rule.into_inner();
            // Errors point at the pointer, else at the key, else at the rule's table.
            let (list_span, pointers) = match rule.json_pointers {
                Some(list) => (list.span(), list.into_inner()),
                None => (rule_span, Vec::new()),
            };
            if pointers.is_empty() {
                return Err(self.invalid(
                    "json_pointers",
                    list_span,
                    "an ignore rule needs at least one JSON pointer",
                ));
            }
            if let Some(bad) = pointers.iter().find(|p| !p.get_ref().starts_with('/')) {
                return Err(self.invalid(
                    "json_pointers",
                    bad.span(),
                    format!("`{}` is not a JSON pointer (RFC 6901 pointers start with `/`, e.g. `/spec/replicas`)", bad.get_ref()),
                ));
            }
            out.push(IgnoreRule {
                group: rule.group,
                kind: rule.kind,
                name: rule.name,
                namespace: rule.namespace,
                json_pointers: pointers.into_iter().map(Spanned::into_inner).collect(),
            });
        }
        Ok(out)
    }

    /// A repo-relative app path, normalized. An absolute path is refused rather than read as
    /// repo-relative (`/srv/apps/web` silently meaning `srv/apps/web` inside the repo), and so
    /// is one whose `..` climbs above the root. `shown` is the value as written in the file.
    fn repo_path(
        &self,
        key: &str,
        shown: &str,
        value: &str,
        span: Range<usize>,
    ) -> Result<String, ConfigError> {
        if value.starts_with('/') {
            return Err(self.not_relative(key, span, shown, ABSOLUTE, APP_PATHS));
        }
        normalize_path(value).map_err(|_| self.not_relative(key, span, shown, ESCAPES, APP_PATHS))
    }

    /// A path that is not the relative path it must be: `` `shown` why; rule ``.
    fn not_relative(
        &self,
        key: &str,
        span: Range<usize>,
        shown: &str,
        why: &str,
        rule: &str,
    ) -> ConfigError {
        self.invalid(key, span, format!("`{shown}` {why}; {rule}"))
    }

    /// Helm values files of an app in `app_dirs` (its normalized directory per environment):
    /// relative to the app directory and inside the repository.
    fn helm_values(
        &self,
        values: &[Spanned<String>],
        app_dirs: &[String],
    ) -> Result<Vec<String>, ConfigError> {
        let mut out = Vec::new();
        for file in values {
            let value = self.non_empty("values", file)?;
            if value.starts_with('/') {
                return Err(self.not_relative(
                    "values",
                    file.span(),
                    &value,
                    ABSOLUTE,
                    VALUES_FILES,
                ));
            }
            let probe = with_stand_ins(&value);
            if app_dirs.iter().any(|dir| join_path(dir, &probe).is_err()) {
                return Err(self.not_relative(
                    "values",
                    file.span(),
                    &value,
                    ESCAPES,
                    VALUES_FILES,
                ));
            }
            out.push(value);
        }
        Ok(out)
    }

    /// `~/x` → home/x; relative → next to the config file.
    fn local_path(&self, value: &str) -> PathBuf {
        if let Some(rest) = value.strip_prefix("~/") {
            if let Some(base) = directories::BaseDirs::new() {
                return base.home_dir().join(rest);
            }
        }
        let path = PathBuf::from(value);
        if path.is_absolute() {
            return path;
        }
        match self.file.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.join(path),
            _ => path,
        }
    }
}

const ABSOLUTE: &str = "is an absolute path";
const ESCAPES: &str = "escapes the repository root";
const APP_PATHS: &str = "app paths are relative to the repository root";
const VALUES_FILES: &str = "values files are relative to the app directory";

/// A path template with stand-ins for its `{app}` and `{env}` placeholders, to check the
/// shape of every path it can become.
fn with_stand_ins(template: &str) -> String {
    template.replace("{app}", "app").replace("{env}", "env")
}

impl Validator<'_> {
    /// `[app.promotion]`: each model's keys present, paths relative to the app directory.
    fn promotion(&self, raw: RawPromotion) -> Result<Promotion, ConfigError> {
        let model_span = raw.model.span();
        let model = raw.model.into_inner();
        let mut files = Vec::new();
        for file in &raw.files {
            let text = self.non_empty("files", file)?;
            if text.starts_with('/') || text.split('/').any(|part| part == "..") {
                return Err(self.invalid(
                    "files",
                    file.span(),
                    format!("`{text}` must be relative to the app directory and stay inside it"),
                ));
            }
            files.push(text);
        }
        let optional = |key: &str, value: &Option<toml::Spanned<String>>| match value {
            Some(v) => self.non_empty(key, v).map(Some),
            None => Ok(None),
        };
        let mut copy = Vec::new();
        for entry in &raw.copy {
            let file = self.value_file("file", &entry.file)?;
            let path = self.yaml_path("path", &entry.path)?;
            let target_file = match &entry.target_file {
                Some(f) => self.value_file("target_file", f)?,
                None => file.clone(),
            };
            let target_path = match &entry.target_path {
                Some(p) => self.yaml_path("target_path", p)?,
                None => path.clone(),
            };
            copy.push(ValueCopy {
                file,
                path,
                target_file,
                target_path,
            });
        }
        let image = optional("image", &raw.image)?;
        let values_file = optional("values_file", &raw.values_file)?;
        let values_key = optional("values_key", &raw.values_key)?;
        match model {
            PromotionModel::Folder if files.is_empty() => {
                return Err(self.invalid(
                    "files",
                    model_span,
                    "model \"folder\" needs `files` (the files or globs to copy)",
                ))
            }
            PromotionModel::Image
                if image.is_none() && (values_file.is_none() || values_key.is_none()) =>
            {
                return Err(self.invalid(
                    "image",
                    model_span,
                    "model \"image\" needs `image` (kustomize) or `values_file` and `values_key` (Helm)",
                ))
            }
            PromotionModel::Value if copy.is_empty() => {
                return Err(self.invalid(
                    "copy",
                    model_span,
                    "model \"value\" needs `copy`, a list of { file, path } (the values to copy)",
                ))
            }
            _ => {}
        }
        Ok(Promotion {
            model,
            files,
            image,
            values_file,
            values_key,
            copy,
        })
    }

    /// A value-model file: repo-relative, inside the repository, placeholders {env}, {app}.
    fn value_file(&self, key: &str, value: &Spanned<String>) -> Result<String, ConfigError> {
        let text = self.non_empty(key, value)?;
        let probe = with_stand_ins(&text);
        if probe.contains(['{', '}']) {
            return Err(self.invalid(
                key,
                value.span(),
                format!("`{text}` has a placeholder other than {{app}} and {{env}}"),
            ));
        }
        if text.starts_with('/') || normalize_path(&probe).is_err() {
            return Err(self.invalid(
                key,
                value.span(),
                format!("`{text}` must be relative to the repository root and stay inside it"),
            ));
        }
        Ok(text)
    }

    /// A YAML path of the value model (`image.tag`, `images[name=web].newTag`).
    fn yaml_path(&self, key: &str, value: &Spanned<String>) -> Result<String, ConfigError> {
        let text = self.non_empty(key, value)?;
        crate::actions::promote::yaml_path::YamlPath::parse(&with_stand_ins(&text))
            .map_err(|why| self.invalid(key, value.span(), format!("`{text}`: {why}")))?;
        Ok(text)
    }

    /// `chart = { repo, name, version }`: an http(s) repository, a plain chart name, SemVer
    /// versions for known environments.
    fn chart(&self, raw: RawChart, envs: &[Environment]) -> Result<ChartConfig, ConfigError> {
        let repo = self.non_empty("repo", &raw.repo)?;
        let lower = repo.to_ascii_lowercase();
        if !(lower.starts_with("https://") || lower.starts_with("http://")) {
            return Err(self.invalid(
                "repo",
                raw.repo.span(),
                format!("`{}` is not an http(s) chart repository URL (oci:// registries are not supported yet)", redact_url(&repo)),
            ));
        }
        let name = self.non_empty("name", &raw.name)?;
        if !crate::render::chart_name_is_safe(&name) {
            return Err(self.invalid(
                "name",
                raw.name.span(),
                format!("`{name}` is not a chart name"),
            ));
        }
        let version_span = raw.version.span();
        let check = |version: &str| -> Result<String, ConfigError> {
            if crate::render::chart_version(version).is_none()
                || !crate::render::chart_name_is_safe(version)
            {
                return Err(self.invalid(
                    "version",
                    version_span.clone(),
                    format!("`{version}` is not an exact SemVer chart version (like 1.2.3)"),
                ));
            }
            Ok(version.to_string())
        };
        let version = match raw.version.into_inner() {
            RawChartVersion::One(version) => ChartVersion::All(check(&version)?),
            RawChartVersion::PerEnvironment(versions) => {
                let mut out = BTreeMap::new();
                for (env, version) in versions {
                    if !envs.iter().any(|e| e.name == env) {
                        let hint = suggest(&env, envs.iter().map(|e| e.name.as_str()))
                            .map(|s| format!(", did you mean `{s}`?"))
                            .unwrap_or_default();
                        return Err(self.invalid(
                            &format!("version.{env}"),
                            version_span.clone(),
                            format!("unknown environment `{env}`{hint}"),
                        ));
                    }
                    out.insert(env, check(&version)?);
                }
                ChartVersion::PerEnvironment(out)
            }
        };
        Ok(ChartConfig {
            repo,
            name,
            version,
        })
    }
}

pub(super) fn validate(raw: RawConfig, text: &str, file: &Path) -> Result<Config, ConfigError> {
    let v = Validator { text, file };

    let mut settings = Settings::default();
    if let Some(s) = raw.settings {
        if let Some(max) = s.max_manifest_bytes {
            if *max.get_ref() == 0 {
                return Err(v.invalid("max_manifest_bytes", max.span(), "must be greater than 0"));
            }
            settings.max_manifest_bytes = max.into_inner();
        }
        if let Some(poll) = s.git_poll_seconds {
            if *poll.get_ref() == 0 {
                return Err(v.invalid("git_poll_seconds", poll.span(), "must be at least 1"));
            }
            settings.git_poll_seconds = poll.into_inner();
        }
        if let Some(fetch) = s.fetch_interval_seconds {
            settings.fetch_interval_seconds = fetch.into_inner();
        }
        if let Some(theme) = s.theme {
            settings.theme = v.non_empty("theme", &theme)?;
        }
        settings.read_only = s.read_only.unwrap_or(false);
        if let Some(dir) = &s.cache_dir {
            let dir = v.non_empty("cache_dir", dir)?;
            settings.cache_dir = Some(v.local_path(&dir));
        }
        for manager in s.field_managers.iter().flatten() {
            settings
                .field_managers
                .push(v.non_empty("field_managers", manager)?);
        }
    }

    let mut sources = Vec::new();
    for source in &raw.source {
        let kind = crate::controllers::parse_tool(source.kind.get_ref())
            .map_err(|why| v.invalid("kind", source.kind.span(), why))?;
        let mut config = crate::controllers::SourceConfig::new(kind);
        for context in &source.contexts {
            config.contexts.push(v.non_empty("contexts", context)?);
        }
        for namespace in &source.namespaces {
            config
                .namespaces
                .push(v.namespace("namespaces", namespace)?);
        }
        for (destination, context) in &source.clusters {
            config
                .clusters
                .insert(destination.clone(), v.non_empty("clusters", context)?);
        }
        sources.push(config);
    }

    // Apps read from Argo CD / Flux need no repo or environment of their own.
    if raw.repo.is_empty() && sources.is_empty() {
        return Err(v.invalid(
            "repo",
            0..0,
            "no [[repo]] configured; at least one git repository is needed",
        ));
    }
    let mut names = BTreeMap::new();
    let mut repos = Vec::new();
    for repo in &raw.repo {
        let name = v.name("name", &repo.name)?;
        v.unique("name", &repo.name, &mut names)?;
        let path = v.non_empty("path", &repo.path)?;
        let default_branch = match &repo.default_branch {
            Some(b) => v.non_empty("default_branch", b)?,
            None => DEFAULT_BRANCH.to_string(),
        };
        let url = match &repo.url {
            Some(u) => Some(v.non_empty("url", u)?),
            None => None,
        };
        repos.push(RepoConfig {
            name,
            path: v.local_path(&path),
            url,
            default_branch,
        });
    }

    if raw.environment.is_empty() && sources.is_empty() {
        return Err(v.invalid(
            "environment",
            0..0,
            "no [[environment]] configured; at least one cluster context is needed",
        ));
    }
    let mut names = BTreeMap::new();
    let mut environments = Vec::new();
    for env in &raw.environment {
        let name = v.name("name", &env.name)?;
        v.unique("name", &env.name, &mut names)?;
        let namespace = match &env.namespace {
            Some(ns) => Some(v.namespace("namespace", ns)?),
            None => None,
        };
        let git_ref = match &env.git_ref {
            Some(r) => Some(v.non_empty("ref", r)?),
            None => None,
        };
        environments.push(Environment {
            name,
            context: v.non_empty("context", &env.context)?,
            namespace,
            git_ref,
            read_only: env.read_only,
            protected: env.protected,
            order: env.order.as_ref().map(|o| *o.get_ref()),
        });
    }
    // Stable: equal `order` (or none) keeps file order; unordered ones come last.
    environments.sort_by_key(|e| e.order.map_or((1, 0), |o| (0, o)));

    let mut names = BTreeMap::new();
    let mut apps = Vec::new();
    for app in raw.app {
        let name = v.name("name", &app.name)?;
        v.unique("name", &app.name, &mut names)?;
        let repo = v.repo_ref(
            "repo",
            &app.repo,
            &repos,
            app.name.span(),
            &format!("app `{name}`"),
        )?;
        let Some(raw_path) = app.path.or_else(|| {
            // A chart from a chart repository needs no directory: values files, if any, are
            // then relative to the repository root.
            app.chart
                .is_some()
                .then(|| Spanned::new(app.name.span(), RawPath::Template(String::new())))
        }) else {
            return Err(v.invalid(
                "path",
                app.name.span(),
                format!("app `{name}` needs `path` (its directory in the repo) or `chart`"),
            ));
        };
        let chart = match app.chart {
            Some(raw_chart) => {
                if !matches!(
                    app.renderer,
                    None | Some(RendererKind::Auto) | Some(RendererKind::Helm)
                ) {
                    return Err(v.invalid(
                        "renderer",
                        raw_chart.name.span(),
                        "an app with a `chart` is rendered with helm (renderer \"helm\" or none)",
                    ));
                }
                Some(v.chart(raw_chart, &environments)?)
            }
            None => None,
        };
        let path_span = raw_path.span();
        let path = match raw_path.into_inner() {
            RawPath::Template(template) if template.is_empty() && chart.is_some() => {
                AppPath::Template(template)
            }
            RawPath::Template(template) => {
                if template.trim().is_empty() {
                    return Err(v.invalid("path", path_span, "must not be empty"));
                }
                let probe = with_stand_ins(&template);
                if probe.contains(['{', '}']) {
                    return Err(v.invalid(
                        "path",
                        path_span,
                        format!("`{template}` has a placeholder other than {{app}} and {{env}}"),
                    ));
                }
                v.repo_path("path", &template, &probe, path_span.clone())?;
                AppPath::Template(template)
            }
            RawPath::PerEnvironment(paths) => {
                if paths.is_empty() {
                    return Err(v.invalid(
                        "path",
                        path_span,
                        "the table of environment paths is empty",
                    ));
                }
                let mut out = BTreeMap::new();
                for (env, path) in paths {
                    if !environments.iter().any(|e| e.name == env) {
                        let hint = suggest(&env, environments.iter().map(|e| e.name.as_str()))
                            .map(|s| format!(", did you mean `{s}`?"))
                            .unwrap_or_default();
                        return Err(v.invalid(
                            &format!("path.{env}"),
                            path.span(),
                            format!("unknown environment `{env}`{hint}"),
                        ));
                    }
                    let normalized = v.repo_path(
                        &format!("path.{env}"),
                        path.get_ref(),
                        path.get_ref(),
                        path.span(),
                    )?;
                    out.insert(env, normalized);
                }
                AppPath::PerEnvironment(out)
            }
        };
        let environments_only = match &app.environments {
            Some(list) => {
                if matches!(path, AppPath::PerEnvironment(_)) {
                    let span = list.first().map(|s| s.span()).unwrap_or(path_span.clone());
                    return Err(v.invalid(
                        "environments",
                        span,
                        "not allowed with a per-environment `path` table (the table already lists the environments)",
                    ));
                }
                let mut out = Vec::new();
                for env in list {
                    out.push(v.env_ref("environments", env, &environments)?);
                }
                Some(out)
            }
            None => None,
        };
        let namespace = match &app.namespace {
            Some(ns) => Some(v.namespace("namespace", ns)?),
            None => None,
        };
        let git_ref = match &app.git_ref {
            Some(r) => Some(v.non_empty("ref", r)?),
            None => None,
        };
        let helm = match app.helm {
            Some(h) => {
                let release_name = match &h.release_name {
                    Some(r) => Some(v.non_empty("release_name", r)?),
                    None => None,
                };
                let app_dirs: Vec<String> = match &path {
                    AppPath::Template(template) => normalize_path(&with_stand_ins(template))
                        .into_iter()
                        .collect(),
                    AppPath::PerEnvironment(paths) => paths.values().cloned().collect(),
                };
                HelmConfig {
                    release_name,
                    values: v.helm_values(&h.values, &app_dirs)?,
                    set: h.set,
                }
            }
            None => HelmConfig::default(),
        };
        let promotion = match app.promotion {
            Some(p) => Some(v.promotion(p)?),
            None => None,
        };
        let renderer = match chart {
            Some(_) => RendererKind::Helm,
            None => app.renderer.unwrap_or_default(),
        };
        apps.push(AppConfig {
            promotion,
            name,
            repo,
            path,
            environments: environments_only,
            renderer,
            chart,
            namespace,
            git_ref,
            helm,
            ignore: v.ignore_rules(app.ignore)?,
        });
    }

    let mut discover = Vec::new();
    for rule in raw.discover {
        if rule.pattern.get_ref().starts_with('/') {
            return Err(v.not_relative(
                "pattern",
                rule.pattern.span(),
                rule.pattern.get_ref(),
                ABSOLUTE,
                APP_PATHS,
            ));
        }
        let pattern = PathPattern::parse(rule.pattern.get_ref()).map_err(|e| {
            v.invalid(
                "pattern",
                rule.pattern.span(),
                format!("`{}`: {e}", rule.pattern.get_ref()),
            )
        })?;
        let repo = v.repo_ref(
            "repo",
            &rule.repo,
            &repos,
            rule.pattern.span(),
            &format!("[[discover]] `{}`", rule.pattern.get_ref()),
        )?;
        let namespace = match &rule.namespace {
            Some(ns) => Some(v.namespace("namespace", ns)?),
            None => None,
        };
        discover.push(DiscoverRule {
            repo,
            pattern,
            renderer: rule.renderer.unwrap_or_default(),
            namespace,
            ignore: v.ignore_rules(rule.ignore)?,
        });
    }

    Ok(Config {
        settings,
        repos,
        environments,
        apps,
        discover,
        sources,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_helpers_extract_serde_parts() {
        let msg = "`contxt`, expected one of `name`, `context`, `ref`";
        assert_eq!(first_quoted(msg).as_deref(), Some("contxt"));
        assert_eq!(quoted_after_expected(msg), vec!["name", "context", "ref"]);
        assert!(quoted_after_expected("`x`, there are no fields").is_empty());
    }

    #[test]
    fn key_and_header_from_text() {
        let text = "[[environment]]\nname = \"prod\"\norder = \"first\"\n";
        let at = text.find("\"first\"").unwrap();
        assert_eq!(key_on_line(text, at).as_deref(), Some("order"));
        assert_eq!(header_before(text, at), "[[environment]]");
        assert_eq!(header_before("a = 1", 3), "the top level");
        assert_eq!(key_on_line("[repo]", 2), None);
        let inline = "helm = { set = { a = 1 }, values = \"v.yaml\" }";
        let at = inline.find("\"v.yaml").unwrap();
        assert_eq!(key_on_line(inline, at).as_deref(), Some("values"));
    }
}
