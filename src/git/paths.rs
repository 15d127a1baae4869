//! Repo-relative path normalization shared by every git read.
//!
//! Config files and Kustomize references spell the same directory many ways (`./apps/web/`,
//! `apps//web`, `apps/x/../web`); git trees only know `apps/web`. Normalizing once here keeps
//! "same directory" meaning "same string".

/// Why a path cannot name anything inside the repository.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("path {path:?} escapes the repository root")]
pub struct EscapesRoot {
    pub path: String,
}

/// `./a//b/../c/` → `a/c`; the repository root is the empty string.
///
/// Empty segments and `.` are dropped, `..` removes the previous segment; a `..` that would
/// climb above the root is an error rather than silently clamped, because it almost always
/// means a wrong base directory.
pub fn normalize_path(path: &str) -> Result<String, EscapesRoot> {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                if segments.pop().is_none() {
                    return Err(EscapesRoot {
                        path: path.to_string(),
                    });
                }
            }
            other => segments.push(other),
        }
    }
    Ok(segments.join("/"))
}

/// `base` joined with `child` (relative to `base`), normalized.
pub fn join_path(base: &str, child: &str) -> Result<String, EscapesRoot> {
    if base.is_empty() {
        normalize_path(child)
    } else {
        normalize_path(&format!("{base}/{child}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_common_spellings() {
        assert_eq!(normalize_path("./apps/web/").unwrap(), "apps/web");
        assert_eq!(normalize_path("apps//web").unwrap(), "apps/web");
        assert_eq!(normalize_path("apps/x/../web").unwrap(), "apps/web");
        assert_eq!(normalize_path("/apps/web").unwrap(), "apps/web");
        assert_eq!(normalize_path("").unwrap(), "");
        assert_eq!(normalize_path(".").unwrap(), "");
        assert_eq!(normalize_path("a/..").unwrap(), "");
    }

    #[test]
    fn climbing_above_root_is_an_error() {
        assert_eq!(
            normalize_path("../etc"),
            Err(EscapesRoot {
                path: "../etc".into()
            })
        );
        assert!(normalize_path("a/../../b").is_err());
    }

    #[test]
    fn join_resolves_relative_children() {
        assert_eq!(
            join_path("apps/web/overlays/prod", "../../base").unwrap(),
            "apps/web/base"
        );
        assert_eq!(join_path("", "apps").unwrap(), "apps");
        assert!(join_path("apps", "../../x").is_err());
    }
}
