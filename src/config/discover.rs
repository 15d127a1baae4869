//! App discovery from directory layouts such as `apps/{app}/envs/{env}` or
//! `{env}/releases/{namespace}/{app}`: pure matching over a list of repo directories, so the
//! rules are tested without git and the git layer only has to list directories.

use crate::git::normalize_path;
use std::fmt;

/// A placeholder a pattern segment can capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placeholder {
    App,
    Env,
    Namespace,
}

impl Placeholder {
    fn name(self) -> &'static str {
        match self {
            Placeholder::App => "app",
            Placeholder::Env => "env",
            Placeholder::Namespace => "namespace",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Capture(Placeholder),
}

/// A validated discovery pattern: `/`-separated segments, each either literal text or exactly
/// one whole-segment placeholder (`{app}` required, `{env}` and `{namespace}` optional, each
/// at most once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathPattern {
    text: String,
    segments: Vec<Segment>,
}

/// Why a discovery pattern is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    #[error("the pattern has no {{app}} placeholder, so apps cannot be named")]
    MissingApp,
    #[error("unknown placeholder `{{{0}}}` (use {{app}}, {{env}} or {{namespace}})")]
    UnknownPlaceholder(String),
    #[error("placeholder `{{{0}}}` appears more than once")]
    Repeated(String),
    #[error("segment `{0}` mixes a placeholder with other text; a placeholder must be a whole path segment")]
    PartialSegment(String),
    #[error("the pattern escapes the repository root")]
    EscapesRoot,
}

impl PathPattern {
    pub fn parse(text: &str) -> Result<PathPattern, PatternError> {
        let normalized = normalize_path(text).map_err(|_| PatternError::EscapesRoot)?;
        let mut segments = Vec::new();
        let mut seen: Vec<Placeholder> = Vec::new();
        for raw in normalized.split('/').filter(|s| !s.is_empty()) {
            let segment =
                if let Some(inner) = raw.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
                    let placeholder = match inner {
                        "app" => Placeholder::App,
                        "env" => Placeholder::Env,
                        "namespace" => Placeholder::Namespace,
                        other if other.contains(['{', '}']) => {
                            return Err(PatternError::PartialSegment(raw.to_string()))
                        }
                        other => return Err(PatternError::UnknownPlaceholder(other.to_string())),
                    };
                    if seen.contains(&placeholder) {
                        return Err(PatternError::Repeated(placeholder.name().to_string()));
                    }
                    seen.push(placeholder);
                    Segment::Capture(placeholder)
                } else if raw.contains(['{', '}']) {
                    return Err(PatternError::PartialSegment(raw.to_string()));
                } else {
                    Segment::Literal(raw.to_string())
                };
            segments.push(segment);
        }
        if !seen.contains(&Placeholder::App) {
            return Err(PatternError::MissingApp);
        }
        Ok(PathPattern {
            text: normalized,
            segments,
        })
    }

    /// Whether the pattern names the environment (otherwise a match applies to all).
    pub fn has_env(&self) -> bool {
        self.segments.contains(&Segment::Capture(Placeholder::Env))
    }

    /// Where to list directories and how deep, so that every possible match is included:
    /// the literal prefix before the first placeholder, and the number of segments after it.
    pub fn scan_root(&self) -> (String, usize) {
        let literal = self
            .segments
            .iter()
            .take_while(|s| matches!(s, Segment::Literal(_)))
            .filter_map(|s| match s {
                Segment::Literal(l) => Some(l.as_str()),
                Segment::Capture(_) => None,
            })
            .collect::<Vec<_>>();
        let depth = self.segments.len() - literal.len();
        (literal.join("/"), depth)
    }

    /// The captures if `dir` matches the whole pattern.
    fn captures<'d>(&self, dir: &'d str) -> Option<Vec<(Placeholder, &'d str)>> {
        let parts: Vec<&str> = dir.split('/').filter(|s| !s.is_empty()).collect();
        if parts.len() != self.segments.len() {
            return None;
        }
        let mut out = Vec::new();
        for (segment, part) in self.segments.iter().zip(parts) {
            match segment {
                Segment::Literal(l) if l == part => {}
                Segment::Literal(_) => return None,
                Segment::Capture(p) => out.push((*p, part)),
            }
        }
        Some(out)
    }
}

impl fmt::Display for PathPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// One app found in one directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveredApp {
    pub name: String,
    /// The environment the directory is for; `None` when the pattern has no `{env}` and the
    /// directory applies to every environment.
    pub env: Option<String>,
    /// Captured by `{namespace}`, if the pattern has it.
    pub namespace: Option<String>,
    /// The directory (repo-relative, normalized).
    pub path: String,
}

/// The apps `pattern` finds among `dirs` (repo-relative directories, e.g. from
/// `GitRepo::list_dirs`). Directories whose `{env}` segment is not one of `environments` are
/// not apps of this configuration and are left out; the result is sorted by path.
pub fn discover_apps(
    pattern: &PathPattern,
    dirs: &[String],
    environments: &[String],
) -> Vec<DiscoveredApp> {
    let mut found = Vec::new();
    for dir in dirs {
        let Ok(path) = normalize_path(dir) else {
            continue;
        };
        let Some(captures) = pattern.captures(&path) else {
            continue;
        };
        let get = |want: Placeholder| {
            captures
                .iter()
                .find(|(p, _)| *p == want)
                .map(|(_, v)| v.to_string())
        };
        let env = get(Placeholder::Env);
        if let Some(env) = &env {
            if !environments.iter().any(|e| e == env) {
                continue;
            }
        }
        let Some(name) = get(Placeholder::App) else {
            continue;
        };
        found.push(DiscoveredApp {
            name,
            env,
            namespace: get(Placeholder::Namespace),
            path,
        });
    }
    found.sort_by(|a, b| a.path.cmp(&b.path));
    found.dedup();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dirs(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn envs() -> Vec<String> {
        dirs(&["dev", "staging", "prod"])
    }

    #[test]
    fn app_per_env_layout() {
        let pattern = PathPattern::parse("apps/{app}/envs/{env}").unwrap();
        assert_eq!(pattern.scan_root(), ("apps".to_string(), 3));
        let listing = dirs(&[
            "apps",
            "apps/web",
            "apps/web/base",
            "apps/web/envs",
            "apps/web/envs/dev",
            "apps/web/envs/prod",
            "apps/web/envs/scratch",
            "apps/api/envs/prod",
            "apps/api/envs/prod/patches",
            "docs/envs/prod",
        ]);
        let found = discover_apps(&pattern, &listing, &envs());
        let summary: Vec<(String, Option<String>, String)> =
            found.into_iter().map(|a| (a.name, a.env, a.path)).collect();
        assert_eq!(
            summary,
            vec![
                (
                    "api".into(),
                    Some("prod".into()),
                    "apps/api/envs/prod".into()
                ),
                ("web".into(), Some("dev".into()), "apps/web/envs/dev".into()),
                (
                    "web".into(),
                    Some("prod".into()),
                    "apps/web/envs/prod".into()
                ),
            ]
        );
    }

    #[test]
    fn flux_style_layout_captures_namespace() {
        let pattern = PathPattern::parse("{env}/releases/{namespace}/{app}").unwrap();
        assert_eq!(pattern.scan_root(), (String::new(), 4));
        let listing = dirs(&[
            "prod/releases/shop/web",
            "prod/releases/shop/web/values",
            "staging/releases/monitoring/grafana",
            "prod/infra/shop/web",
        ]);
        let found = discover_apps(&pattern, &listing, &envs());
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].name, "web");
        assert_eq!(found[0].namespace.as_deref(), Some("shop"));
        assert_eq!(found[0].env.as_deref(), Some("prod"));
        assert_eq!(found[1].name, "grafana");
        assert_eq!(found[1].namespace.as_deref(), Some("monitoring"));
    }

    #[test]
    fn pattern_without_env_applies_to_all_environments() {
        let pattern = PathPattern::parse("./charts/{app}/").unwrap();
        assert!(!pattern.has_env());
        let found = discover_apps(&pattern, &dirs(&["charts/redis", "charts"]), &envs());
        assert_eq!(
            found,
            vec![DiscoveredApp {
                name: "redis".into(),
                env: None,
                namespace: None,
                path: "charts/redis".into()
            }]
        );
    }

    #[test]
    fn invalid_patterns_are_rejected() {
        assert_eq!(
            PathPattern::parse("apps/{env}"),
            Err(PatternError::MissingApp)
        );
        assert_eq!(
            PathPattern::parse("apps/{ap}/x"),
            Err(PatternError::UnknownPlaceholder("ap".into()))
        );
        assert_eq!(
            PathPattern::parse("{app}/{app}"),
            Err(PatternError::Repeated("app".into()))
        );
        assert_eq!(
            PathPattern::parse("apps/{app}-config"),
            Err(PatternError::PartialSegment("{app}-config".into()))
        );
        assert_eq!(
            PathPattern::parse("../{app}"),
            Err(PatternError::EscapesRoot)
        );
        assert_eq!(PathPattern::parse(""), Err(PatternError::MissingApp));
    }
}
