//! The one keymap: which key does what where. Key dispatch, the help screen and the README key
//! table are all read from [`BINDINGS`].

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Where a binding applies. `Global` bindings apply in every view unless the view binds the
/// same key itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Context {
    Global,
    Overview,
    App,
    Diff,
    Promotion,
    Clusters,
    Events,
    Help,
    Sync,
}

impl Context {
    pub fn label(self) -> &'static str {
        match self {
            Context::Global => "everywhere",
            Context::Overview => "overview",
            Context::App => "app",
            Context::Diff => "diff",
            Context::Promotion => "promotion",
            Context::Clusters => "clusters",
            Context::Events => "events",
            Context::Help => "help",
            Context::Sync => "sync / promote",
        }
    }
}

/// What a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Quit from the overview, back elsewhere.
    Quit,
    /// Quit from anywhere.
    QuitNow,
    Back,
    Open,
    Help,
    Filter,
    NextProblem,
    PrevProblem,
    Diff,
    Refresh,
    Command,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Top,
    Bottom,
    ToggleProblems,
    CycleSort,
    Promotion,
    Clusters,
    Events,
    ToggleSideBySide,
    ToggleFold,
    NextHunk,
    PrevHunk,
    ServerDiff,
    Copy,
    CopyIdentity,
    /// Plan, confirm and run a sync of the selected app.
    Sync,
    /// Promotion of the selected app (disabled with the reason when read-only).
    Promote,
    /// Confirm the shown plan (sync view).
    Confirm,
    /// Re-plan the sync taking over the fields other managers own (sync view).
    ForceConflicts,
    /// Prune on/off: the sync also deletes what Git dropped (sync view).
    TogglePrune,
    /// Apply directly instead of asking Argo CD / Flux to reconcile (sync view).
    DirectApply,
    /// Promote from the next other environment (promote view).
    PromoteSource,
    /// Commit onto the environment's own ref or a new promote/ branch (promote view).
    PromoteMode,
    /// Push the promotion to the repo's remote on/off (promote view).
    PromotePush,
}

/// A key as the table names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Char(char),
    Ctrl(char),
    Enter,
    Esc,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
    Tab,
}

impl Key {
    fn matches(self, event: &KeyEvent) -> bool {
        let ctrl = event.modifiers.contains(KeyModifiers::CONTROL);
        match (self, event.code) {
            (Key::Char(c), KeyCode::Char(got)) => !ctrl && got == c,
            (Key::Ctrl(c), KeyCode::Char(got)) => ctrl && got.eq_ignore_ascii_case(&c),
            (Key::Enter, KeyCode::Enter) => true,
            (Key::Esc, KeyCode::Esc) => true,
            (Key::Up, KeyCode::Up) => true,
            (Key::Down, KeyCode::Down) => true,
            (Key::Left, KeyCode::Left) => true,
            (Key::Right, KeyCode::Right) => true,
            (Key::PageUp, KeyCode::PageUp) => true,
            (Key::PageDown, KeyCode::PageDown) => true,
            (Key::Home, KeyCode::Home) => true,
            (Key::End, KeyCode::End) => true,
            (Key::Tab, KeyCode::Tab) => true,
            _ => false,
        }
    }

    pub fn label(self) -> String {
        match self {
            Key::Char(' ') => "Space".into(),
            Key::Char(c) => c.to_string(),
            Key::Ctrl(c) => format!("Ctrl-{c}"),
            Key::Enter => "Enter".into(),
            Key::Esc => "Esc".into(),
            Key::Up => "↑".into(),
            Key::Down => "↓".into(),
            Key::Left => "←".into(),
            Key::Right => "→".into(),
            Key::PageUp => "PgUp".into(),
            Key::PageDown => "PgDn".into(),
            Key::Home => "Home".into(),
            Key::End => "End".into(),
            Key::Tab => "Tab".into(),
        }
    }
}

/// One row of the keymap.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub keys: &'static [Key],
    pub context: Context,
    pub action: Action,
    pub help: &'static str,
    /// False for reserved keys whose feature is not built yet (shown greyed in help).
    pub enabled: bool,
}

const fn bind(
    keys: &'static [Key],
    context: Context,
    action: Action,
    help: &'static str,
) -> Binding {
    Binding {
        keys,
        context,
        action,
        help,
        enabled: true,
    }
}

use Action as A;
use Context as C;
use Key as K;

/// The keymap. View bindings come before global ones, so a view may rebind a global key.
pub const BINDINGS: &[Binding] = &[
    // Overview.
    bind(
        &[K::Enter],
        C::Overview,
        A::Open,
        "open the app in the selected environment",
    ),
    bind(
        &[K::Char('d')],
        C::Overview,
        A::Diff,
        "diff of the selected cell's drifted resources",
    ),
    bind(
        &[K::Char('o')],
        C::Overview,
        A::ToggleProblems,
        "only problems on/off",
    ),
    bind(
        &[K::Char('S')],
        C::Overview,
        A::CycleSort,
        "sort by name / worst status",
    ),
    bind(
        &[K::Char('P')],
        C::Overview,
        A::Promotion,
        "promotion timeline of the selected app",
    ),
    bind(&[K::Char('c')], C::Overview, A::Clusters, "clusters view"),
    bind(&[K::Char('e')], C::Overview, A::Events, "events view"),
    // App.
    bind(
        &[K::Enter, K::Char('d')],
        C::App,
        A::Diff,
        "diff of the selected resource",
    ),
    bind(
        &[K::Char('D')],
        C::App,
        A::ServerDiff,
        "server-side dry-run diff of the selected resource",
    ),
    bind(
        &[K::Char('P')],
        C::App,
        A::Promotion,
        "promotion timeline of this app",
    ),
    bind(
        &[K::Char('Y')],
        C::App,
        A::CopyIdentity,
        "copy the resource's identity (OSC 52)",
    ),
    // Diff.
    bind(&[K::Char(']')], C::Diff, A::NextHunk, "next change"),
    bind(&[K::Char('[')], C::Diff, A::PrevHunk, "previous change"),
    bind(&[K::Char('/')], C::Diff, A::Filter, "search in the diff"),
    bind(
        &[K::Char('n')],
        C::Diff,
        A::NextProblem,
        "next search match (next change without a search)",
    ),
    bind(
        &[K::Char('N')],
        C::Diff,
        A::PrevProblem,
        "previous search match (previous change without a search)",
    ),
    bind(
        &[K::Char('v')],
        C::Diff,
        A::ToggleSideBySide,
        "unified / side-by-side",
    ),
    bind(
        &[K::Char('z')],
        C::Diff,
        A::ToggleFold,
        "fold / unfold unchanged lines",
    ),
    bind(
        &[K::Char('D')],
        C::Diff,
        A::ServerDiff,
        "server-side dry-run diff (asks the API server)",
    ),
    bind(&[K::Char('y')], C::Diff, A::Copy, "copy the diff (OSC 52)"),
    bind(
        &[K::Char('Y')],
        C::Diff,
        A::CopyIdentity,
        "copy the resource's identity (OSC 52)",
    ),
    // Sync.
    bind(
        &[K::Char('y'), K::Enter],
        C::Sync,
        A::Confirm,
        "run the shown plan or promotion (a protected environment: then type its name and Enter); close when done",
    ),
    bind(
        &[K::Char('F')],
        C::Sync,
        A::ForceConflicts,
        "re-plan taking over the conflicting fields other managers own",
    ),
    bind(
        &[K::Char('x')],
        C::Sync,
        A::TogglePrune,
        "prune on/off (off at first): also delete what Git dropped, only objects tracked to this app and environment, each listed in the plan",
    ),
    bind(
        &[K::Char('d')],
        C::Sync,
        A::DirectApply,
        "an app read from Argo CD / Flux: apply directly instead of asking its controller to reconcile (the default), or back",
    ),
    bind(
        &[K::Char('f')],
        C::Sync,
        A::PromoteSource,
        "promote from another environment (default: the one before)",
    ),
    bind(
        &[K::Char('m')],
        C::Sync,
        A::PromoteMode,
        "commit on a new promote/ branch (default) or onto the environment's own ref",
    ),
    bind(
        &[K::Char('u')],
        C::Sync,
        A::PromotePush,
        "push the promotion to the repo's remote on/off",
    ),
    // Global.
    bind(
        &[K::Char('q')],
        C::Global,
        A::Quit,
        "quit (from the overview), else back",
    ),
    bind(&[K::Esc], C::Global, A::Back, "back"),
    bind(&[K::Char('?')], C::Global, A::Help, "help"),
    bind(&[K::Char('/')], C::Global, A::Filter, "filter rows"),
    bind(&[K::Char('n')], C::Global, A::NextProblem, "next problem"),
    bind(
        &[K::Char('N')],
        C::Global,
        A::PrevProblem,
        "previous problem",
    ),
    bind(
        &[K::Char('r')],
        C::Global,
        A::Refresh,
        "refresh: re-read Git and relist (read-only safe)",
    ),
    bind(
        &[K::Char(':')],
        C::Global,
        A::Command,
        "command: ctx, env, app, theme, q",
    ),
    bind(&[K::Char('k'), K::Up], C::Global, A::Up, "up"),
    bind(&[K::Char('j'), K::Down], C::Global, A::Down, "down"),
    bind(&[K::Char('h'), K::Left], C::Global, A::Left, "left"),
    bind(&[K::Char('l'), K::Right], C::Global, A::Right, "right"),
    bind(&[K::Ctrl('u'), K::PageUp], C::Global, A::PageUp, "page up"),
    bind(
        &[K::Ctrl('d'), K::PageDown],
        C::Global,
        A::PageDown,
        "page down",
    ),
    bind(&[K::Char('g'), K::Home], C::Global, A::Top, "top"),
    bind(&[K::Char('G'), K::End], C::Global, A::Bottom, "bottom"),
    bind(&[K::Ctrl('c')], C::Global, A::QuitNow, "quit"),
    bind(
        &[K::Char('s')],
        C::Global,
        A::Sync,
        "sync the selected app: plan, confirm, apply (disabled with the reason when read-only)",
    ),
    bind(
        &[K::Char('p')],
        C::Global,
        A::Promote,
        "promote the selected app into its environment from the previous one: preview, confirm, commit (disabled with the reason when read-only)",
    ),
];

/// The action `event` asks for in `context`: the view's own binding first, then global.
pub fn lookup(context: Context, event: &KeyEvent) -> Option<Action> {
    let find = |ctx: Context| {
        BINDINGS
            .iter()
            .filter(|b| b.context == ctx && b.enabled)
            .find(|b| b.keys.iter().any(|k| k.matches(event)))
            .map(|b| b.action)
    };
    if context != Context::Global {
        if let Some(action) = find(context) {
            return Some(action);
        }
    }
    find(Context::Global)
}

/// The bindings shown in help for `context`: its own, then the global ones it does not shadow.
pub fn for_context(context: Context) -> Vec<&'static Binding> {
    let own: Vec<&Binding> = BINDINGS.iter().filter(|b| b.context == context).collect();
    let shadowed = |b: &Binding| {
        own.iter()
            .any(|o| o.keys.iter().any(|k| b.keys.contains(k)))
    };
    let mut out = own.clone();
    if context != Context::Global {
        out.extend(
            BINDINGS
                .iter()
                .filter(|b| b.context == Context::Global && !shadowed(b)),
        );
    }
    out
}

/// The keys of a binding as one label: `j / ↓`.
pub fn keys_label(binding: &Binding) -> String {
    binding
        .keys
        .iter()
        .map(|k| k.label())
        .collect::<Vec<_>>()
        .join(" / ")
}

/// The README key table (Markdown), generated from [`BINDINGS`].
pub fn markdown_table() -> String {
    let mut out = String::from("| key | where | action |\n|---|---|---|\n");
    for binding in BINDINGS {
        let keys = binding
            .keys
            .iter()
            .map(|k| format!("`{}`", k.label().replace('|', "\\|")))
            .collect::<Vec<_>>()
            .join(" ");
        out.push_str(&format!(
            "| {keys} | {} | {} |\n",
            binding.context.label(),
            binding.help
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn views_override_global_keys_and_fall_back_to_them() {
        assert_eq!(
            lookup(Context::Diff, &key(KeyCode::Char('/'))),
            Some(Action::Filter)
        );
        assert_eq!(
            lookup(Context::Diff, &key(KeyCode::Char('n'))),
            Some(Action::NextProblem)
        );
        assert_eq!(
            lookup(Context::App, &key(KeyCode::Enter)),
            Some(Action::Diff)
        );
        assert_eq!(
            lookup(Context::Overview, &key(KeyCode::Enter)),
            Some(Action::Open)
        );
        assert_eq!(
            lookup(Context::Events, &key(KeyCode::Char('j'))),
            Some(Action::Down)
        );
        assert_eq!(
            lookup(
                Context::Overview,
                &KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)
            ),
            Some(Action::QuitNow)
        );
    }

    #[test]
    fn sync_and_promote_keys_are_dispatched_everywhere() {
        for context in [
            Context::Overview,
            Context::App,
            Context::Diff,
            Context::Promotion,
        ] {
            assert_eq!(
                lookup(context, &key(KeyCode::Char('s'))),
                Some(Action::Sync)
            );
            assert_eq!(
                lookup(context, &key(KeyCode::Char('p'))),
                Some(Action::Promote)
            );
        }
        assert_eq!(
            lookup(Context::Sync, &key(KeyCode::Char('y'))),
            Some(Action::Confirm)
        );
        assert_eq!(
            lookup(Context::Sync, &key(KeyCode::Enter)),
            Some(Action::Confirm)
        );
    }

    #[test]
    fn the_fixed_keys_are_bound() {
        let fixed = [
            (KeyCode::Enter, Action::Open),
            (KeyCode::Esc, Action::Back),
            (KeyCode::Char('q'), Action::Quit),
            (KeyCode::Char('?'), Action::Help),
            (KeyCode::Char('/'), Action::Filter),
            (KeyCode::Char('n'), Action::NextProblem),
            (KeyCode::Char('N'), Action::PrevProblem),
            (KeyCode::Char('d'), Action::Diff),
            (KeyCode::Char('r'), Action::Refresh),
            (KeyCode::Char(':'), Action::Command),
        ];
        for (code, action) in fixed {
            assert_eq!(
                lookup(Context::Overview, &key(code)),
                Some(action),
                "{code:?}"
            );
        }
    }

    #[test]
    fn no_key_is_bound_twice_in_one_context() {
        for a in BINDINGS {
            for b in BINDINGS {
                if std::ptr::eq(a, b) || a.context != b.context {
                    continue;
                }
                for k in a.keys {
                    assert!(
                        !b.keys.contains(k) || a.action == b.action,
                        "{k:?} twice in {:?}",
                        a.context
                    );
                }
            }
        }
    }

    #[test]
    fn the_readme_key_table_is_the_keymap() {
        let readme = include_str!("../../README.md");
        assert!(
            readme.contains(&markdown_table()),
            "README.md's key table differs from the keymap; paste this:\n{}",
            markdown_table()
        );
    }
}
