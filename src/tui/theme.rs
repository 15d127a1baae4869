//! Themes: colours, modifiers and status glyphs, from TOML.
//!
//! Every theme is layered onto `themes/dark.toml` (or the built-in named by `extends`): a file
//! overrides only the keys it sets. Built-ins are embedded; user themes come from
//! `<XDG config dir>/kubedrift/themes/NAME.toml` or a path. A broken theme file is an error
//! naming file:line; callers then keep a fallback and show the message.

use ratatui::style::{Color, Modifier, Style};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use toml::de::DeValue;

/// The built-in themes, by name: (name, file name, contents).
pub const BUILT_IN: &[(&str, &str, &str)] = &[
    ("dark", "dark.toml", include_str!("../../themes/dark.toml")),
    (
        "light",
        "light.toml",
        include_str!("../../themes/light.toml"),
    ),
    (
        "high-contrast",
        "high-contrast.toml",
        include_str!("../../themes/high-contrast.toml"),
    ),
    (
        "colorblind",
        "colorblind.toml",
        include_str!("../../themes/colorblind.toml"),
    ),
];

/// The theme used when none is named (`default` is an alias of it).
pub const DEFAULT_THEME: &str = "dark";

/// A colour slot of the theme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    SyncSynced,
    SyncOutOfSync,
    SyncMissing,
    SyncExtraneous,
    SyncUnknown,
    SyncUnreachable,
    SyncLoading,
    SyncError,
    HealthHealthy,
    HealthProgressing,
    HealthSuspended,
    HealthDegraded,
    HealthMissing,
    HealthUnknown,
    DiffAdded,
    DiffRemoved,
    DiffContext,
    DiffHeader,
    DiffFold,
    DiffMatch,
    DiffMatchBg,
    Text,
    Muted,
    Accent,
    Title,
    SelectionFg,
    SelectionBg,
    Border,
    BadgeFg,
    BadgeBg,
    Error,
    Warning,
    Sparkline,
}

/// Colour keys in `Slot` order: (section, key).
const COLOR_KEYS: &[(&str, &str)] = &[
    ("sync", "synced"),
    ("sync", "out_of_sync"),
    ("sync", "missing"),
    ("sync", "extraneous"),
    ("sync", "unknown"),
    ("sync", "unreachable"),
    ("sync", "loading"),
    ("sync", "error"),
    ("health", "healthy"),
    ("health", "progressing"),
    ("health", "suspended"),
    ("health", "degraded"),
    ("health", "missing"),
    ("health", "unknown"),
    ("diff", "added"),
    ("diff", "removed"),
    ("diff", "context"),
    ("diff", "header"),
    ("diff", "fold"),
    ("diff", "match"),
    ("diff", "match_bg"),
    ("ui", "text"),
    ("ui", "muted"),
    ("ui", "accent"),
    ("ui", "title"),
    ("ui", "selection_fg"),
    ("ui", "selection_bg"),
    ("ui", "border"),
    ("ui", "badge_fg"),
    ("ui", "badge_bg"),
    ("ui", "error"),
    ("ui", "warning"),
    ("ui", "sparkline"),
];

/// Modifier keys.
const MODIFIER_KEYS: &[(&str, &str)] = &[("diff", "emphasis")];

/// A status glyph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Glyph {
    Synced,
    OutOfSync,
    Missing,
    Extraneous,
    Unknown,
    Unreachable,
    Loading,
    Error,
    Healthy,
    Progressing,
    Suspended,
    Degraded,
    HealthMissing,
    HealthUnknown,
}

const GLYPH_KEYS: &[(&str, &str)] = &[
    ("sync_glyphs", "synced"),
    ("sync_glyphs", "out_of_sync"),
    ("sync_glyphs", "missing"),
    ("sync_glyphs", "extraneous"),
    ("sync_glyphs", "unknown"),
    ("sync_glyphs", "unreachable"),
    ("sync_glyphs", "loading"),
    ("sync_glyphs", "error"),
    ("health_glyphs", "healthy"),
    ("health_glyphs", "progressing"),
    ("health_glyphs", "suspended"),
    ("health_glyphs", "degraded"),
    ("health_glyphs", "missing"),
    ("health_glyphs", "unknown"),
];

/// A key of a theme file, the offset of its value, and the value.
type KeyAt = (String, usize, String);

/// A complete theme.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    colors: Vec<Color>,
    emphasis: Modifier,
    glyphs: Vec<String>,
    /// `NO_COLOR`: every colour is dropped, modifiers stay (selection is reversed).
    monochrome: bool,
}

/// Why a theme could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ThemeError {
    #[error("{file}:{line}: {message}")]
    Invalid {
        file: String,
        line: usize,
        message: String,
    },
    #[error("cannot read theme file {file}: {message}")]
    Unreadable { file: String, message: String },
    #[error("unknown theme {name:?} (built-in: dark, light, high-contrast, colorblind; or a file in {dir})")]
    Unknown { name: String, dir: String },
}

impl Theme {
    /// The default theme (embedded, always valid).
    pub fn dark() -> Theme {
        // The embedded files are checked by a test; an error here cannot happen at run time,
        // but must not panic either: fall back to a plain theme.
        Theme::built_in(DEFAULT_THEME).unwrap_or_else(|_| Theme::plain())
    }

    /// A theme without colours (the last resort, and the base of `NO_COLOR`).
    fn plain() -> Theme {
        Theme {
            name: "plain".into(),
            colors: vec![Color::Reset; COLOR_KEYS.len()],
            emphasis: Modifier::BOLD | Modifier::REVERSED,
            glyphs: vec!["?".to_string(); GLYPH_KEYS.len()],
            monochrome: false,
        }
    }

    /// A built-in theme by name (`default` = dark).
    pub fn built_in(name: &str) -> Result<Theme, ThemeError> {
        let name = if name == "default" {
            DEFAULT_THEME
        } else {
            name
        };
        let (_, file, text) = BUILT_IN
            .iter()
            .find(|(n, _, _)| *n == name)
            .ok_or_else(|| ThemeError::Unknown {
                name: name.to_string(),
                dir: "the themes directory".into(),
            })?;
        let mut theme = if name == DEFAULT_THEME {
            Theme::plain()
        } else {
            Theme::built_in(DEFAULT_THEME)?
        };
        theme.overlay(&format!("themes/{file}"), text, false)?;
        theme.name = name.to_string();
        Ok(theme)
    }

    /// Parse `text` (from `file`, for messages) onto this theme: only the keys it sets change.
    fn overlay(&mut self, file: &str, text: &str, allow_extends: bool) -> Result<(), ThemeError> {
        let invalid = |offset: usize, message: String| ThemeError::Invalid {
            file: file.to_string(),
            line: crate::config::line_column(text, offset).0,
            message,
        };
        let document = toml::de::DeTable::parse(text).map_err(|err| {
            let offset = err.span().map(|s| s.start).unwrap_or(0);
            invalid(offset, err.message().to_string())
        })?;
        let mut sections: Vec<(String, usize, Vec<KeyAt>)> = Vec::new();
        for (name, value) in document.get_ref() {
            let at = name.span().start;
            match (name.get_ref().as_ref(), value.get_ref()) {
                ("extends", DeValue::String(base)) => {
                    if !allow_extends {
                        return Err(invalid(
                            at,
                            "`extends` is only allowed in user theme files".into(),
                        ));
                    }
                    *self = Theme::built_in(base).map_err(|err| invalid(at, err.to_string()))?;
                }
                (section, DeValue::Table(table)) => {
                    let mut keys = Vec::new();
                    for (key, value) in table {
                        let DeValue::String(text) = value.get_ref() else {
                            return Err(invalid(
                                value.span().start,
                                format!("{section}.{}: expected a string", key.get_ref()),
                            ));
                        };
                        keys.push((
                            key.get_ref().to_string(),
                            value.span().start,
                            text.to_string(),
                        ));
                    }
                    sections.push((section.to_string(), at, keys));
                }
                (other, _) => {
                    return Err(invalid(
                        at,
                        format!(
                            "unexpected top-level key `{other}` (expected sections and `extends`)"
                        ),
                    ))
                }
            }
        }
        // `extends` is applied first (above), whatever its position in the file.
        for (section, section_at, keys) in &sections {
            let section = section.as_str();
            let known = COLOR_KEYS
                .iter()
                .chain(MODIFIER_KEYS)
                .chain(GLYPH_KEYS)
                .any(|(s, _)| *s == section);
            if !known {
                return Err(invalid(
                    *section_at,
                    format!(
                        "unknown section [{section}] (known: sync, health, diff, ui, sync_glyphs, health_glyphs)"
                    ),
                ));
            }
            for (key, at, value) in keys {
                let (key, at) = (key.as_str(), *at);
                if let Some(i) = COLOR_KEYS.iter().position(|k| *k == (section, key)) {
                    self.colors[i] = Color::from_str(value).map_err(|_| {
                        invalid(
                            at,
                            format!("{section}.{key}: {value:?} is not a colour (a name like \"green\", an index like \"208\", or \"#rrggbb\")"),
                        )
                    })?;
                } else if MODIFIER_KEYS.contains(&(section, key)) {
                    self.emphasis = parse_modifiers(value).ok_or_else(|| {
                        invalid(
                            at,
                            format!("{section}.{key}: {value:?} is not a modifier list (bold, dim, italic, underlined, reversed joined with \"+\")"),
                        )
                    })?;
                } else if let Some(i) = GLYPH_KEYS.iter().position(|k| *k == (section, key)) {
                    if value.chars().count() != 1 {
                        return Err(invalid(
                            at,
                            format!(
                                "{section}.{key}: a glyph is exactly one character, not {value:?}"
                            ),
                        ));
                    }
                    self.glyphs[i] = value.clone();
                } else {
                    let keys: Vec<&str> = COLOR_KEYS
                        .iter()
                        .chain(MODIFIER_KEYS)
                        .chain(GLYPH_KEYS)
                        .filter(|(s, _)| *s == section)
                        .map(|(_, k)| *k)
                        .collect();
                    let hint = crate::config::suggest(key, keys.iter().copied())
                        .map(|s| format!(", did you mean `{s}`?"))
                        .unwrap_or_default();
                    return Err(invalid(
                        at,
                        format!("unknown key `{key}` in [{section}]{hint}"),
                    ));
                }
            }
        }
        Ok(())
    }

    /// A user theme file layered on the default (or on the built-in of the same name, or on
    /// its `extends`).
    pub fn from_file(path: &Path) -> Result<Theme, ThemeError> {
        let text = std::fs::read_to_string(path).map_err(|err| ThemeError::Unreadable {
            file: path.display().to_string(),
            message: err.to_string(),
        })?;
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut theme = Theme::built_in(&stem).unwrap_or_else(|_| Theme::dark());
        theme.overlay(&path.display().to_string(), &text, true)?;
        theme.name = stem;
        Ok(theme)
    }

    /// Resolve a theme name: a path (contains `/` or ends in `.toml`), a user theme in
    /// `user_dir`, or a built-in.
    pub fn resolve(name: &str, user_dir: Option<&Path>) -> Result<Theme, ThemeError> {
        if name.contains('/') || name.ends_with(".toml") {
            return Theme::from_file(Path::new(name));
        }
        if let Some(dir) = user_dir {
            let candidate = dir.join(format!("{name}.toml"));
            if candidate.is_file() {
                return Theme::from_file(&candidate);
            }
        }
        Theme::built_in(name).map_err(|_| ThemeError::Unknown {
            name: name.to_string(),
            dir: user_dir
                .map(|d| d.display().to_string())
                .unwrap_or_else(|| "~/.config/kubedrift/themes".into()),
        })
    }

    /// Resolve `name`; on error the default theme and a message naming the error and the
    /// fallback, for the footer.
    pub fn resolve_or_default(name: &str, user_dir: Option<&Path>) -> (Theme, Option<String>) {
        match Theme::resolve(name, user_dir) {
            Ok(theme) => (theme, None),
            Err(err) => (
                Theme::dark(),
                Some(format!(
                    "theme: {err}; using the built-in {DEFAULT_THEME} theme"
                )),
            ),
        }
    }

    /// Drop every colour (NO_COLOR), keep glyphs and modifiers.
    pub fn monochrome(mut self) -> Theme {
        self.monochrome = true;
        self
    }

    pub fn is_monochrome(&self) -> bool {
        self.monochrome
    }

    pub fn color(&self, slot: Slot) -> Color {
        if self.monochrome {
            return Color::Reset;
        }
        self.colors
            .get(slot as usize)
            .copied()
            .unwrap_or(Color::Reset)
    }

    /// Foreground style of a slot.
    pub fn fg(&self, slot: Slot) -> Style {
        Style::new().fg(self.color(slot))
    }

    /// The selected row or cell.
    pub fn selection(&self) -> Style {
        if self.monochrome {
            Style::new().add_modifier(Modifier::REVERSED)
        } else {
            Style::new()
                .fg(self.color(Slot::SelectionFg))
                .bg(self.color(Slot::SelectionBg))
        }
    }

    /// Only the background of the selection (glyphs keep their status colour on it).
    pub fn selection_background(&self) -> Style {
        if self.monochrome {
            Style::new().add_modifier(Modifier::REVERSED)
        } else {
            Style::new().bg(self.color(Slot::SelectionBg))
        }
    }

    /// The READ-ONLY badge and similar.
    pub fn badge(&self) -> Style {
        if self.monochrome {
            Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        } else {
            Style::new()
                .fg(self.color(Slot::BadgeFg))
                .bg(self.color(Slot::BadgeBg))
                .add_modifier(Modifier::BOLD)
        }
    }

    /// Changed words inside a diff line.
    pub fn emphasis(&self) -> Modifier {
        self.emphasis
    }

    /// A search match in the diff.
    pub fn search_match(&self) -> Style {
        if self.monochrome {
            Style::new().add_modifier(Modifier::UNDERLINED | Modifier::BOLD)
        } else {
            Style::new()
                .fg(self.color(Slot::DiffMatch))
                .bg(self.color(Slot::DiffMatchBg))
        }
    }

    pub fn glyph(&self, glyph: Glyph) -> &str {
        self.glyphs
            .get(glyph as usize)
            .map(String::as_str)
            .unwrap_or("?")
    }
}

fn parse_modifiers(text: &str) -> Option<Modifier> {
    let mut out = Modifier::empty();
    for part in text.split('+').map(str::trim) {
        out |= match part {
            "bold" => Modifier::BOLD,
            "dim" => Modifier::DIM,
            "italic" => Modifier::ITALIC,
            "underlined" | "underline" => Modifier::UNDERLINED,
            "reversed" | "reverse" => Modifier::REVERSED,
            "none" | "" => Modifier::empty(),
            _ => return None,
        };
    }
    Some(out)
}

/// Where user themes live: `<XDG config dir>/kubedrift/themes`.
pub fn user_theme_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "kubedrift").map(|d| d.config_dir().join("themes"))
}

/// Whether `NO_COLOR` asks for no colours (any non-empty value, per no-color.org).
pub fn no_color_requested() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_theme_loads_and_dark_sets_every_key() {
        for (name, _, _) in BUILT_IN {
            let theme = Theme::built_in(name).expect(name);
            assert_eq!(theme.name, *name);
        }
        // dark.toml is the base of everything: it must set every key itself.
        let mut base = Theme::plain();
        base.overlay("dark.toml", BUILT_IN[0].2, false)
            .expect("dark");
        let text = BUILT_IN[0].2;
        for (section, key) in COLOR_KEYS.iter().chain(MODIFIER_KEYS).chain(GLYPH_KEYS) {
            let section_at = text.find(&format!("[{section}]")).expect(section);
            assert!(
                text[section_at..].contains(&format!("\n{key} = ")),
                "dark.toml lacks {section}.{key}"
            );
        }
    }

    #[test]
    fn a_theme_file_overrides_only_the_keys_it_sets() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("mine.toml");
        std::fs::write(&path, "[sync]\nsynced = \"#010203\"\n").expect("write");
        let theme = Theme::resolve("mine", Some(dir.path())).expect("loads");
        let dark = Theme::dark();
        assert_eq!(theme.color(Slot::SyncSynced), Color::Rgb(1, 2, 3));
        assert_eq!(
            theme.color(Slot::SyncOutOfSync),
            dark.color(Slot::SyncOutOfSync)
        );
        assert_eq!(theme.glyph(Glyph::Synced), dark.glyph(Glyph::Synced));
    }

    #[test]
    fn extends_starts_from_another_built_in() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("cb.toml");
        std::fs::write(&path, "extends = \"colorblind\"\n[ui]\naccent = \"red\"\n").expect("write");
        let theme = Theme::resolve(path.to_str().expect("utf8"), None).expect("loads");
        assert_eq!(theme.glyph(Glyph::OutOfSync), "▲");
        assert_eq!(theme.color(Slot::Accent), Color::Red);
    }

    #[test]
    fn an_invalid_theme_names_file_and_line_and_the_fallback() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("bad.toml");
        std::fs::write(
            &path,
            "[sync]\nsynced = \"green\"\nout_of_sync = \"yelow\"\n",
        )
        .expect("write");
        let err = Theme::resolve("bad", Some(dir.path())).expect_err("invalid");
        let text = err.to_string();
        assert!(text.contains("bad.toml:3:"), "{text}");
        assert!(text.contains("\"yelow\" is not a colour"), "{text}");
        let (theme, message) = Theme::resolve_or_default("bad", Some(dir.path()));
        assert_eq!(theme, Theme::dark());
        let message = message.expect("message");
        assert!(
            message.contains("using the built-in dark theme"),
            "{message}"
        );

        std::fs::write(&path, "[sync]\nsyncd = \"green\"\n").expect("write");
        let text = Theme::resolve("bad", Some(dir.path()))
            .expect_err("unknown key")
            .to_string();
        assert!(text.contains("bad.toml:2:"), "{text}");
        assert!(text.contains("did you mean `synced`"), "{text}");

        std::fs::write(&path, "[sync\n").expect("write");
        let text = Theme::resolve("bad", Some(dir.path()))
            .expect_err("syntax")
            .to_string();
        assert!(text.contains("bad.toml:1:"), "{text}");
    }

    #[test]
    fn unknown_names_are_errors_and_default_is_dark() {
        assert!(matches!(
            Theme::resolve("nope", None),
            Err(ThemeError::Unknown { .. })
        ));
        assert_eq!(Theme::built_in("default").expect("default").name, "dark");
    }

    #[test]
    fn monochrome_drops_colours_but_keeps_glyphs() {
        let theme = Theme::built_in("colorblind").expect("cb").monochrome();
        assert_eq!(theme.color(Slot::SyncSynced), Color::Reset);
        assert_eq!(theme.glyph(Glyph::Synced), "●");
        assert!(theme.selection().add_modifier.contains(Modifier::REVERSED));
    }
}
