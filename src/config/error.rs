//! Config errors that say where: file, line, column and key, with a suggestion when a key or
//! value is misspelled.

use std::fmt;
use std::path::{Path, PathBuf};

/// A place in a config file. `line`/`column` are 1-based; 0 means "unknown" (the error is
/// about the file as a whole).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
}

impl Location {
    /// The location of byte `offset` in `text` (clamped, so any offset is safe).
    pub fn at(file: &Path, text: &str, offset: usize) -> Location {
        let (line, column) = line_column(text, offset);
        Location {
            file: file.to_path_buf(),
            line,
            column,
        }
    }

    /// The file as a whole.
    pub fn file(file: &Path) -> Location {
        Location {
            file: file.to_path_buf(),
            line: 0,
            column: 0,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.file.display())
        } else {
            write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
        }
    }
}

/// 1-based line and column (in characters) of byte `offset` in `text`. Offsets past the end
/// or inside a multi-byte character are clamped to the previous character boundary.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// Why configuration could not be loaded or used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("no configuration file found (looked at {}); pass --config FILE, set $KUBEDRIFT_CONFIG, or create one (see config.example.toml)", list_paths(searched))]
    NotFound { searched: Vec<PathBuf> },
    #[error("cannot read config file {}: {message}", path.display())]
    Read { path: PathBuf, message: String },
    #[error("invalid TOML at {location}: {message}")]
    Syntax { location: Location, message: String },
    #[error(
        "unknown key `{key}` in {section} at {location}{}",
        did_you_mean(suggestion)
    )]
    UnknownKey {
        key: String,
        section: String,
        location: Location,
        suggestion: Option<String>,
    },
    #[error("invalid `{key}` at {location}: {message}")]
    Invalid {
        key: String,
        location: Location,
        message: String,
    },
    #[error("unknown environment `{name}`{}; configured: {}", did_you_mean(suggestion), known.join(", "))]
    UnknownEnvironment {
        name: String,
        known: Vec<String>,
        suggestion: Option<String>,
    },
    #[error("app `{app}` found twice in environment `{env}` (at {first:?} and {second:?}); list it under [[app]] to choose, or narrow the [[discover]] pattern")]
    DiscoveryConflict {
        app: String,
        env: String,
        first: String,
        second: String,
    },
}

fn list_paths(paths: &[PathBuf]) -> String {
    if paths.is_empty() {
        return "nowhere: no --config, no $KUBEDRIFT_CONFIG and no home directory".to_string();
    }
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn did_you_mean(suggestion: &Option<String>) -> String {
    match suggestion {
        Some(s) => format!(", did you mean `{s}`?"),
        None => String::new(),
    }
}

/// The candidate closest to `word`, if it is close enough to be a plausible typo.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let lower = word.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(&lower, &c.to_lowercase()), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_column_counts_from_one_in_characters() {
        let text = "a = 1\n[[repo]]\nnäme = \"x\"\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 6), (2, 1));
        let e = text.find("= \"x\"").unwrap();
        assert_eq!(line_column(text, e), (3, 6));
        // Past the end and mid-character offsets are clamped, never a panic.
        assert_eq!(line_column(text, 10_000).0, 4);
        let mid = text.find('ä').unwrap() + 1;
        assert_eq!(line_column(text, mid), (3, 2));
    }

    #[test]
    fn suggestions_only_for_plausible_typos() {
        let keys = ["name", "context", "namespace", "ref", "read_only", "order"];
        assert_eq!(suggest("contxt", keys), Some("context".into()));
        assert_eq!(suggest("namespce", keys), Some("namespace".into()));
        assert_eq!(suggest("Context", keys), Some("context".into()));
        assert_eq!(suggest("replicas", keys), None);
    }

    #[test]
    fn unknown_key_message_reads_naturally() {
        let err = ConfigError::UnknownKey {
            key: "contxt".into(),
            section: "[[environment]]".into(),
            location: Location {
                file: "config.toml".into(),
                line: 7,
                column: 1,
            },
            suggestion: Some("context".into()),
        };
        assert_eq!(
            err.to_string(),
            "unknown key `contxt` in [[environment]] at config.toml:7:1, did you mean `context`?"
        );
    }
}
