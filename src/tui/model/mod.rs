//! The TUI's model and `update(msg) -> effects`. No I/O here: anything slow is an [`Effect`]
//! the runtime performs, whose reply comes back as a [`Msg`] carrying the generation it was
//! asked with; replies of an older generation are dropped.

use super::diffdoc::{self, Entry, Layout};
use super::keymap::{self, Action, Context};
use super::theme::Theme;
use super::track::Tracker;
use crate::engine::compare::{display_pair, CompareOptions, Verdict};
use crate::engine::health::HealthStatus;
use crate::git::CommitInfo;
use crate::model::ResourceKey;
use crate::state::{AppId, AppView, ResourceView, Snapshot, SyncState};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use jiff::Timestamp;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

mod image_tags;
mod promote;
mod sync;
pub use promote::{PreparedPromotion, PromoteFlow, PromoteMode, PromoteStage};
pub use sync::{PlannedSync, ReconcileRequest, SyncFlow, SyncStage};

/// Smallest usable terminal.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Overview,
    App,
    Diff,
    Promotion,
    Clusters,
    Events,
    Help,
    Sync,
    Promote,
}

impl View {
    pub fn context(self) -> Context {
        match self {
            View::Overview => Context::Overview,
            View::App => Context::App,
            View::Diff => Context::Diff,
            View::Promotion => Context::Promotion,
            View::Clusters => Context::Clusters,
            View::Events => Context::Events,
            View::Help => Context::Help,
            View::Sync | View::Promote => Context::Sync,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            View::Overview => "overview",
            View::App => "app",
            View::Diff => "diff",
            View::Promotion => "promotion",
            View::Clusters => "clusters",
            View::Events => "events",
            View::Help => "help",
            View::Sync => "sync",
            View::Promote => "promote",
        }
    }
}

/// A line being typed at the bottom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prompt {
    None,
    Filter(String),
    Command(String),
    Search(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Name,
    Worst,
}

/// Git facts per app and environment, read in a background task.
#[derive(Debug, Clone, Default)]
pub struct GitFacts {
    /// The commit each app's revision names.
    pub commits: HashMap<AppId, CommitInfo>,
    /// Commits the previous environment runs that this one does not (for this app), newest
    /// first, at most `gitfacts::MAX_LISTED`.
    pub behind: HashMap<AppId, Vec<CommitInfo>>,
    /// How many such commits there are (may exceed the list).
    pub behind_count: HashMap<AppId, usize>,
    /// Errors reading Git, per app.
    pub errors: HashMap<AppId, String>,
    /// For apps rendering a chart from a chart repository: the newer chart versions the
    /// previous environment runs.
    pub charts_behind: HashMap<AppId, ChartBehind>,
}

/// An app's chart is older than the previous environment's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartBehind {
    pub chart: String,
    /// This environment's version.
    pub from: String,
    /// The previous environment's version.
    pub to: String,
    /// Published versions after `from` up to `to`, newest first (SemVer order).
    pub versions: Vec<String>,
    /// Why the repository's version list could not be read (then `versions` is `to` only).
    pub index_error: Option<String>,
}

impl GitFacts {
    /// Commits `id` is behind the previous environment (0 when not known).
    pub fn behind_commits(&self, id: &AppId) -> usize {
        self.behind_count
            .get(id)
            .copied()
            .unwrap_or_else(|| self.behind.get(id).map_or(0, Vec::len))
    }

    /// Chart versions `id` is behind the previous environment (0 when not known or when the
    /// app renders no chart from a chart repository).
    pub fn behind_versions(&self, id: &AppId) -> usize {
        self.charts_behind.get(id).map_or(0, |c| c.versions.len())
    }

    /// Commits plus chart versions `id` is behind the previous environment: the overview's
    /// ↓N.
    pub fn behind_by(&self, id: &AppId) -> usize {
        self.behind_commits(id) + self.behind_versions(id)
    }
}

/// What the background Git task is asked for: every app with its revision, environments in
/// promotion order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitRequest {
    pub envs: Vec<String>,
    pub apps: Vec<(AppId, String)>,
}

/// What a probe of one API server found: version and how long `/version` took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub at: Timestamp,
    pub result: Result<(String, u64), String>,
}

/// Seconds between API server probes (version, latency).
pub const PROBE_EVERY_SECONDS: i64 = 30;

/// Where a server-side dry-run diff stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerDiff {
    Off,
    Pending,
    Shown,
    Failed(String),
}

/// The diff pane's state.
pub struct DiffState {
    pub app: AppId,
    pub key: Option<ResourceKey>,
    pub entries: Vec<Entry>,
    pub layout: Layout,
    pub side_by_side: bool,
    pub folded: bool,
    pub scroll: usize,
    pub search: String,
    pub matches: Vec<usize>,
    pub server: ServerDiff,
}

impl DiffState {
    fn relayout(&mut self) {
        self.layout = diffdoc::layout(&self.entries, self.side_by_side, self.folded);
        self.matches = diffdoc::search(&self.layout, &self.search);
        self.scroll = self.scroll.min(self.layout.rows.len().saturating_sub(1));
    }
}

/// Messages: input, new state, replies of tasks.
pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize(u16, u16),
    Snapshot(Arc<Snapshot>),
    Tick(Timestamp),
    DryRunDone {
        generation: u64,
        result: Result<Vec<Entry>, String>,
    },
    GitDone {
        generation: u64,
        facts: GitFacts,
    },
    ThemeLoaded {
        theme: Box<Theme>,
        error: Option<String>,
    },
    ProbeDone {
        generation: u64,
        probes: Vec<(String, Probe)>,
    },
    /// A sync plan (with the server's dry run), or why none could be made.
    SyncPlanned {
        generation: u64,
        result: Result<PlannedSync, String>,
    },
    /// A sync's results per resource, or why no write capability was given.
    SyncDone {
        generation: u64,
        result: Result<crate::actions::sync::Outcome, String>,
    },
    /// A promotion prepared (with its git diff), or why none could be.
    PromotePlanned {
        generation: u64,
        result: Result<PreparedPromotion, String>,
    },
    /// The promotion's commit and ref, or why nothing was written.
    PromoteDone {
        generation: u64,
        result: Result<String, String>,
    },
    /// Environments that may not be written, with the reason.
    WriteChecked {
        generation: u64,
        blocked: Vec<(String, String)>,
    },
}

/// Work for the runtime.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Quit,
    /// Re-read Git and relist every cluster.
    Refresh,
    LoadTheme(String),
    /// Put text on the clipboard (OSC 52).
    Copy(String),
    /// Server-side dry-run diff of `app` (`key`: one resource, else all).
    DryRun {
        generation: u64,
        app: AppId,
        key: Option<ResourceKey>,
    },
    Git {
        generation: u64,
        request: GitRequest,
    },
    /// Ask each context's API server for its version, timing the answer.
    Probe {
        generation: u64,
        contexts: Vec<String>,
    },
    /// Plan a sync of `app` and dry-run it on the server (`prune`: delete what Git dropped,
    /// only objects tracked to this app and environment).
    PlanSync {
        generation: u64,
        app: AppId,
        force_conflicts: bool,
        prune: bool,
        /// Plan asking the app's Argo CD / Flux controller to reconcile (not a direct apply).
        reconcile: bool,
    },
    /// Ask for the write capability and execute the plan.
    ExecuteSync {
        generation: u64,
        planned: PlannedSync,
    },
    /// Prepare the promotion of `app` from `from` to `to` (git objects only read), on a new
    /// promote/ branch or onto the target's own ref.
    PlanPromote {
        generation: u64,
        app: String,
        from: String,
        to: String,
        new_branch: bool,
    },
    /// Ask for the git write capability and write the promotion (then push it).
    ExecutePromote {
        generation: u64,
        prepared: PreparedPromotion,
        push: bool,
    },
    /// Which of `envs` may not be written (session, config, credentials).
    CheckWrite {
        generation: u64,
        envs: Vec<String>,
    },
}

/// Everything the views show.
pub struct Model {
    pub snapshot: Arc<Snapshot>,
    /// Environments in promotion order (from the config).
    pub config_envs: Vec<String>,
    pub theme: Theme,
    pub read_only: bool,
    pub notice: Option<String>,
    /// A transient message (an error, "copied").
    pub status: Option<String>,
    pub now: Timestamp,
    pub spinner: usize,
    pub stack: Vec<View>,
    pub prompt: Prompt,
    pub size: (u16, u16),
    // Overview.
    pub filter: String,
    pub only_problems: bool,
    pub sort: Sort,
    pub context_filter: Option<String>,
    pub rows: Vec<String>,
    pub columns: Vec<String>,
    /// Derived from the snapshot in `refresh_rows`, so drawing never walks every app:
    /// environments (promotion order), their contexts, and cells per sync state.
    envs: Vec<String>,
    contexts: HashMap<String, String>,
    counts: BTreeMap<&'static str, usize>,
    /// Main image tag per app, worked out when a snapshot arrives (see `image_tags`).
    image_tags: image_tags::ImageTags,
    pub row: usize,
    pub col: usize,
    // App view.
    pub app: Option<AppId>,
    pub resource: usize,
    // Diff pane.
    pub diff: Option<DiffState>,
    // Scroll of the list views.
    pub scroll: HashMap<&'static str, usize>,
    pub tracker: Tracker,
    pub git: GitFacts,
    git_generation: u64,
    git_asked: Option<GitRequest>,
    dry_run_generation: u64,
    /// Version and latency per context, from the last probe.
    pub probes: HashMap<String, Probe>,
    probe_generation: u64,
    probe_pending: bool,
    last_probe: Option<Timestamp>,
    pub quit: bool,
    // Actions.
    /// Environments with `protected = true` (the runtime fills it from the config).
    pub protected_envs: BTreeSet<String>,
    pub sync: Option<SyncFlow>,
    sync_generation: u64,
    pub promote: Option<PromoteFlow>,
    promote_generation: u64,
    write_blocked: HashMap<String, String>,
    access_generation: u64,
    access_asked: bool,
}

/// A cell's badness, for sorting by worst and finding problems.
pub fn cell_rank(app: &AppView) -> u8 {
    let health = match app.health {
        Some(HealthStatus::Degraded) | Some(HealthStatus::Missing) => 3,
        Some(HealthStatus::Unknown) => 2,
        _ => 0,
    };
    let sync = match app.sync {
        SyncState::Error => 6,
        SyncState::Unreachable => 5,
        SyncState::OutOfSync => 4,
        SyncState::Unknown => 2,
        SyncState::Loading | SyncState::Synced => 0,
    };
    sync.max(health)
}

pub fn is_problem(app: &AppView) -> bool {
    cell_rank(app) > 0
}

/// Resources of an app in display order: by kind, then namespace and name.
pub fn sorted_resources(app: &AppView) -> Vec<&Arc<ResourceView>> {
    let mut list: Vec<&Arc<ResourceView>> = app.resources.iter().collect();
    list.sort_by(|a, b| {
        (&a.key.kind, &a.key.namespace, &a.key.name).cmp(&(
            &b.key.kind,
            &b.key.namespace,
            &b.key.name,
        ))
    });
    list
}

/// The diff entries of `resources` of `app` as the comparison sees them (masked), with the
/// live-only items apply keeps shown as Kept lines (dimmed), so nothing is hidden.
pub fn local_entries(
    app: &AppView,
    field_managers: &[String],
    only: Option<&ResourceKey>,
) -> Vec<Entry> {
    let opts = CompareOptions {
        ignore: &app.ignore,
        field_managers,
        ..CompareOptions::default()
    };
    let mut entries = Vec::new();
    for resource in sorted_resources(app) {
        match only {
            Some(key) if *key != resource.key => continue,
            None if !resource.verdict.is_drift() => continue,
            _ => {}
        }
        let mut title = format!("{} — {}", resource.key, resource.verdict.label());
        if let Some(attribution) = &resource.attribution {
            title.push_str(&format!(" — {}", attribution.summary()));
        }
        if let Verdict::Unknown { reason } = &resource.verdict {
            title.push_str(&format!(": {reason}"));
        }
        let desired_object = resource.desired.as_ref().map(|o| o.get());
        let desired = desired_object.as_deref();
        let live_object = resource.live.as_ref().map(|o| o.get());
        let live = live_object.as_deref();
        let pair = display_pair(desired, live, &opts);
        entries.push(Entry {
            title,
            diff: crate::engine::diff::diff_with_kept(
                pair.desired.as_ref(),
                pair.live.as_ref(),
                &pair.kept,
                diffdoc::FULL_CONTEXT,
            ),
        });
    }
    entries
}

impl Model {
    pub fn new(
        snapshot: Arc<Snapshot>,
        config_envs: Vec<String>,
        theme: Theme,
        read_only: bool,
        notice: Option<String>,
        now: Timestamp,
    ) -> Model {
        let mut model = Model {
            snapshot,
            config_envs,
            theme,
            read_only,
            notice,
            status: None,
            now,
            spinner: 0,
            stack: vec![View::Overview],
            prompt: Prompt::None,
            size: (MIN_WIDTH, MIN_HEIGHT),
            filter: String::new(),
            only_problems: false,
            sort: Sort::Name,
            context_filter: None,
            rows: Vec::new(),
            columns: Vec::new(),
            envs: Vec::new(),
            contexts: HashMap::new(),
            counts: BTreeMap::new(),
            image_tags: image_tags::ImageTags::default(),
            row: 0,
            col: 0,
            app: None,
            resource: 0,
            diff: None,
            scroll: HashMap::new(),
            tracker: Tracker::new(),
            git: GitFacts::default(),
            git_generation: 0,
            git_asked: None,
            dry_run_generation: 0,
            probes: HashMap::new(),
            probe_generation: 0,
            probe_pending: false,
            last_probe: None,
            quit: false,
            protected_envs: BTreeSet::new(),
            sync: None,
            sync_generation: 0,
            promote: None,
            promote_generation: 0,
            write_blocked: HashMap::new(),
            access_generation: 0,
            access_asked: false,
        };
        let snapshot = Arc::clone(&model.snapshot);
        model.tracker.observe(&snapshot, now);
        model.refresh_rows();
        model
    }

    pub fn view(&self) -> View {
        self.stack.last().copied().unwrap_or(View::Overview)
    }

    /// The view under the help screen (help shows its keys).
    pub fn view_below_help(&self) -> View {
        self.stack
            .iter()
            .rev()
            .find(|v| **v != View::Help)
            .copied()
            .unwrap_or(View::Overview)
    }

    /// Environments as columns: config order, then any others the snapshot has.
    pub fn all_envs(&self) -> Vec<String> {
        self.envs.clone()
    }

    fn compute_envs(&self) -> Vec<String> {
        let mut envs = self.config_envs.clone();
        let extra: BTreeSet<&str> = self
            .snapshot
            .apps
            .keys()
            .map(|id| id.env.as_str())
            .filter(|e| !self.config_envs.iter().any(|c| c == e))
            .collect();
        envs.extend(extra.into_iter().map(str::to_string));
        envs
    }

    /// The context an environment runs on (from the snapshot).
    pub fn context_of(&self, env: &str) -> Option<&str> {
        self.contexts.get(env).map(String::as_str)
    }

    pub fn cell(&self, app: &str, env: &str) -> Option<&Arc<AppView>> {
        self.snapshot.app(app, env)
    }

    /// Recompute the overview's rows and columns (after a snapshot, filter or sort change),
    /// keeping the selected app and environment when they are still shown.
    pub fn refresh_rows(&mut self) {
        let selected_row = self.rows.get(self.row).cloned();
        let selected_col = self.columns.get(self.col).cloned();
        self.envs = self.compute_envs();
        self.contexts.clear();
        for app in self.snapshot.apps.values() {
            if !self.contexts.contains_key(&app.id.env) {
                self.contexts
                    .insert(app.id.env.clone(), app.context.clone());
            }
        }
        self.columns = self
            .all_envs()
            .into_iter()
            .filter(|env| match &self.context_filter {
                Some(ctx) => self.context_of(env) == Some(ctx.as_str()),
                None => true,
            })
            .collect();
        let names: BTreeSet<&str> = self
            .snapshot
            .apps
            .keys()
            .map(|id| id.app.as_str())
            .collect();
        let filter = self.filter.to_lowercase();
        let mut rows: Vec<(u8, String)> = names
            .into_iter()
            .filter(|name| filter.is_empty() || name.to_lowercase().contains(&filter))
            .map(|name| {
                let worst = self
                    .columns
                    .iter()
                    .filter_map(|env| self.snapshot.app(name, env))
                    .map(|a| cell_rank(a))
                    .max()
                    .unwrap_or(0);
                (worst, name.to_string())
            })
            .filter(|(worst, _)| !self.only_problems || *worst > 0)
            .collect();
        if self.sort == Sort::Worst {
            rows.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        }
        self.rows = rows.into_iter().map(|(_, name)| name).collect();
        self.image_tags.update(&self.snapshot);
        self.counts.clear();
        for app in self.snapshot.apps.values() {
            if self.columns.contains(&app.id.env) {
                *self.counts.entry(app.sync.label()).or_insert(0) += 1;
            }
        }
        self.row = selected_row
            .and_then(|name| self.rows.iter().position(|r| *r == name))
            .unwrap_or(self.row)
            .min(self.rows.len().saturating_sub(1));
        self.col = selected_col
            .and_then(|env| self.columns.iter().position(|c| *c == env))
            .unwrap_or(self.col)
            .min(self.columns.len().saturating_sub(1));
    }

    /// The selected overview cell's id.
    pub fn selected_id(&self) -> Option<AppId> {
        Some(AppId::new(
            self.rows.get(self.row)?,
            self.columns.get(self.col)?,
        ))
    }

    /// The app shown in the app view (live from the current snapshot).
    pub fn current_app(&self) -> Option<&Arc<AppView>> {
        let id = self.app.as_ref()?;
        self.snapshot.apps.get(id)
    }

    pub fn selected_resource(&self) -> Option<&Arc<ResourceView>> {
        let app = self.current_app()?;
        sorted_resources(app).get(self.resource).copied()
    }

    fn body_height(&self) -> usize {
        // Header (2) and footer (2) lines.
        usize::from(self.size.1.saturating_sub(4)).max(1)
    }

    fn push(&mut self, view: View) {
        if self.view() != view {
            self.stack.push(view);
        }
    }

    fn back(&mut self) {
        if self.stack.len() > 1 {
            let left = self.stack.pop();
            if left == Some(View::Diff) {
                self.diff = None;
            }
        }
    }

    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        match msg {
            Msg::Key(key) => self.on_key(key),
            Msg::Mouse(mouse) => self.on_mouse(mouse),
            Msg::Resize(w, h) => {
                self.size = (w, h);
                Vec::new()
            }
            Msg::Snapshot(snapshot) => self.on_snapshot(snapshot),
            Msg::Tick(now) => {
                self.now = now;
                self.spinner = self.spinner.wrapping_add(1);
                self.tracker.sample(now);
                self.ask_probe()
            }
            Msg::ProbeDone { generation, probes } => {
                if generation == self.probe_generation {
                    self.probe_pending = false;
                    self.probes.extend(probes);
                }
                Vec::new()
            }
            Msg::DryRunDone { generation, result } => {
                if generation != self.dry_run_generation {
                    return Vec::new(); // a stale reply: the user moved on
                }
                if let Some(diff) = &mut self.diff {
                    match result {
                        Ok(entries) => {
                            diff.entries = entries;
                            diff.server = ServerDiff::Shown;
                            diff.scroll = 0;
                            diff.relayout();
                        }
                        Err(error) => diff.server = ServerDiff::Failed(error),
                    }
                }
                Vec::new()
            }
            msg @ (Msg::SyncPlanned { .. } | Msg::SyncDone { .. }) => self.on_sync_reply(msg),
            msg @ (Msg::PromotePlanned { .. } | Msg::PromoteDone { .. }) => {
                self.on_promote_reply(msg)
            }
            Msg::WriteChecked {
                generation,
                blocked,
            } => self.on_write_checked(generation, blocked),
            Msg::GitDone { generation, facts } => {
                if generation == self.git_generation {
                    self.git = facts;
                }
                Vec::new()
            }
            Msg::ThemeLoaded { theme, error } => {
                match error {
                    Some(error) => self.status = Some(error),
                    None => self.status = Some(format!("theme {}", theme.name)),
                }
                let monochrome = self.theme.is_monochrome();
                self.theme = if monochrome {
                    theme.monochrome()
                } else {
                    *theme
                };
                Vec::new()
            }
        }
    }

    fn on_snapshot(&mut self, snapshot: Arc<Snapshot>) -> Vec<Effect> {
        self.tracker.observe(&snapshot, self.now);
        self.snapshot = snapshot;
        self.refresh_rows();
        if let Some(app) = self.current_app() {
            let count = app.resources.len();
            self.resource = self.resource.min(count.saturating_sub(1));
        }
        let mut effects = self.ask_git();
        effects.extend(self.ask_write_access());
        effects
    }

    /// Probe the API servers when due and no probe is out.
    fn ask_probe(&mut self) -> Vec<Effect> {
        let due = self
            .last_probe
            .is_none_or(|last| self.now.as_second() - last.as_second() >= PROBE_EVERY_SECONDS);
        if !due || self.probe_pending || self.snapshot.clusters.is_empty() {
            return Vec::new();
        }
        self.last_probe = Some(self.now);
        self.probe_pending = true;
        self.probe_generation += 1;
        vec![Effect::Probe {
            generation: self.probe_generation,
            contexts: self.snapshot.clusters.keys().cloned().collect(),
        }]
    }

    /// Ask for Git facts when the set of revisions changed since the last ask.
    fn ask_git(&mut self) -> Vec<Effect> {
        if !self.snapshot.sources_loaded {
            return Vec::new();
        }
        // Compare without building the request first: this runs on every snapshot.
        let unchanged = self.git_asked.as_ref().is_some_and(|asked| {
            asked.envs == self.envs
                && asked
                    .apps
                    .iter()
                    .map(|(id, rev)| (id, rev.as_str()))
                    .eq(self
                        .snapshot
                        .apps
                        .values()
                        .filter(|a| !a.revision.is_empty())
                        .map(|a| (&a.id, a.revision.as_str())))
        });
        if unchanged {
            return Vec::new();
        }
        let request = GitRequest {
            envs: self.all_envs(),
            apps: self
                .snapshot
                .apps
                .values()
                .filter(|a| !a.revision.is_empty())
                .map(|a| (a.id.clone(), a.revision.clone()))
                .collect(),
        };
        self.git_generation += 1;
        self.git_asked = Some(request.clone());
        vec![Effect::Git {
            generation: self.git_generation,
            request,
        }]
    }

    fn on_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if self.prompt != Prompt::None {
            return self.on_prompt_key(key);
        }
        self.status = None;
        if self.sync_typing(&key) || self.promote_typing(&key) {
            return Vec::new();
        }
        match keymap::lookup(self.view().context(), &key) {
            Some(action) => self.act(action),
            None => Vec::new(),
        }
    }

    fn on_prompt_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let text = match &mut self.prompt {
            Prompt::Filter(t) | Prompt::Command(t) | Prompt::Search(t) => t,
            Prompt::None => return Vec::new(),
        };
        match key.code {
            KeyCode::Esc => {
                if matches!(self.prompt, Prompt::Filter(_)) {
                    self.filter.clear();
                    self.refresh_rows();
                }
                self.prompt = Prompt::None;
                Vec::new()
            }
            KeyCode::Enter => {
                let prompt = std::mem::replace(&mut self.prompt, Prompt::None);
                match prompt {
                    Prompt::Command(command) => self.run_command(&command),
                    Prompt::Search(query) => {
                        self.search(query);
                        Vec::new()
                    }
                    _ => Vec::new(),
                }
            }
            KeyCode::Backspace => {
                text.pop();
                self.after_prompt_edit();
                Vec::new()
            }
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                text.push(c);
                self.after_prompt_edit();
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    /// The filter applies while typing.
    fn after_prompt_edit(&mut self) {
        if let Prompt::Filter(text) = &self.prompt {
            self.filter = text.clone();
            self.refresh_rows();
        }
    }

    fn search(&mut self, query: String) {
        if let Some(diff) = &mut self.diff {
            diff.search = query;
            diff.matches = diffdoc::search(&diff.layout, &diff.search);
            match diffdoc::step(&diff.matches, diff.scroll.saturating_sub(1), true) {
                Some(at) => diff.scroll = at,
                None => self.status = Some(format!("not found: {}", diff.search)),
            }
        }
    }

    fn run_command(&mut self, command: &str) -> Vec<Effect> {
        let mut words = command.split_whitespace();
        let verb = words.next().unwrap_or("");
        let arg = words.next();
        match (verb, arg) {
            ("q" | "q!" | "quit", _) => {
                self.quit = true;
                vec![Effect::Quit]
            }
            ("theme", Some(name)) => vec![Effect::LoadTheme(name.to_string())],
            ("ctx" | "context", name) => {
                let known: BTreeSet<&str> = self
                    .snapshot
                    .apps
                    .values()
                    .map(|a| a.context.as_str())
                    .collect();
                match name {
                    None => self.context_filter = None,
                    Some(name) if known.contains(name) => {
                        self.context_filter = Some(name.to_string())
                    }
                    Some(name) => {
                        self.status = Some(format!(
                            "no context {name:?} (known: {})",
                            known.into_iter().collect::<Vec<_>>().join(", ")
                        ));
                        return Vec::new();
                    }
                }
                self.stack.truncate(1);
                self.refresh_rows();
                Vec::new()
            }
            ("env", Some(name)) => {
                match self.columns.iter().position(|c| c == name) {
                    Some(col) => {
                        self.col = col;
                        self.stack.truncate(1);
                    }
                    None => {
                        self.status = Some(format!(
                            "no environment {name:?} (shown: {})",
                            self.columns.join(", ")
                        ))
                    }
                }
                Vec::new()
            }
            ("app", Some(name)) => {
                if !self.rows.iter().any(|r| r == name) {
                    self.filter.clear();
                    self.only_problems = false;
                    self.refresh_rows();
                }
                match self.rows.iter().position(|r| r == name) {
                    Some(row) => {
                        self.row = row;
                        self.stack.truncate(1);
                        self.open_selected();
                    }
                    None => {
                        let known = self.rows.iter().map(String::as_str);
                        let hint = crate::cli::status::suggest_app(name, known)
                            .map(|s| format!(" (did you mean {s:?}?)"))
                            .unwrap_or_default();
                        self.status = Some(format!("no app {name:?}{hint}"));
                    }
                }
                Vec::new()
            }
            _ => {
                self.status = Some(format!(
                    "unknown command {command:?}: try :ctx NAME, :env NAME, :app NAME, :theme NAME, :q"
                ));
                Vec::new()
            }
        }
    }

    fn open_selected(&mut self) {
        if let Some(id) = self.selected_id() {
            if self.snapshot.apps.contains_key(&id) {
                self.app = Some(id);
                self.resource = 0;
                // Start on the first problem, if any.
                if let Some(app) = self.current_app() {
                    if let Some(first) = sorted_resources(app)
                        .iter()
                        .position(|r| r.verdict != Verdict::Synced)
                    {
                        self.resource = first;
                    }
                }
                self.push(View::App);
            } else {
                self.status = Some(format!("{id} is not deployed to this environment"));
            }
        }
    }

    fn open_diff(&mut self, app: AppId, key: Option<ResourceKey>) {
        let Some(view) = self.snapshot.apps.get(&app) else {
            return;
        };
        let entries = local_entries(view, &self.snapshot.field_managers, key.as_ref());
        if entries.is_empty() {
            self.status = Some(format!("{app}: nothing differs"));
            return;
        }
        let mut diff = DiffState {
            app,
            key,
            entries,
            layout: Layout::default(),
            side_by_side: self.size.0 >= 140,
            folded: true,
            scroll: 0,
            search: String::new(),
            matches: Vec::new(),
            server: ServerDiff::Off,
        };
        diff.relayout();
        // Start at the first change.
        diff.scroll = diff
            .layout
            .hunks
            .first()
            .map(|h| h.saturating_sub(3))
            .unwrap_or(0);
        self.diff = Some(diff);
        self.push(View::Diff);
    }

    fn act(&mut self, action: Action) -> Vec<Effect> {
        let view = self.view();
        match action {
            Action::QuitNow => {
                self.quit = true;
                return vec![Effect::Quit];
            }
            Action::Quit if view == View::Overview => {
                self.quit = true;
                return vec![Effect::Quit];
            }
            Action::Back if view == View::Overview && !self.filter.is_empty() => {
                self.filter.clear();
                self.refresh_rows();
            }
            Action::Quit | Action::Back => self.back(),
            Action::Help => {
                if view == View::Help {
                    self.back();
                } else {
                    self.push(View::Help);
                }
            }
            Action::Command => self.prompt = Prompt::Command(String::new()),
            Action::Filter => {
                if view == View::Diff {
                    self.prompt = Prompt::Search(String::new());
                } else {
                    self.stack.truncate(1);
                    self.prompt = Prompt::Filter(self.filter.clone());
                }
            }
            Action::Refresh => {
                self.status = Some("refreshing: re-reading Git and relisting".into());
                self.git_asked = None;
                self.last_probe = None;
                self.probe_pending = false;
                self.access_asked = false;
                return vec![Effect::Refresh];
            }
            Action::ToggleProblems => {
                self.only_problems = !self.only_problems;
                self.refresh_rows();
            }
            Action::CycleSort => {
                self.sort = match self.sort {
                    Sort::Name => Sort::Worst,
                    Sort::Worst => Sort::Name,
                };
                self.refresh_rows();
            }
            Action::Promotion => {
                let app = match view {
                    View::Overview => self.rows.get(self.row).cloned(),
                    _ => self.app.as_ref().map(|a| a.app.clone()),
                };
                if let Some(app) = app {
                    let env = self
                        .app
                        .as_ref()
                        .map(|a| a.env.clone())
                        .or_else(|| self.columns.get(self.col).cloned())
                        .unwrap_or_default();
                    self.app = Some(AppId::new(&app, &env));
                    self.push(View::Promotion);
                }
            }
            Action::Clusters => self.push(View::Clusters),
            Action::Events => self.push(View::Events),
            Action::Open => match view {
                View::Overview => self.open_selected(),
                View::App => return self.act(Action::Diff),
                _ => {}
            },
            Action::Diff => match view {
                View::Overview => {
                    if let Some(id) = self.selected_id() {
                        self.open_diff(id, None);
                    }
                }
                View::App => {
                    if let (Some(app), Some(resource)) = (
                        self.app.clone(),
                        self.selected_resource().map(|r| r.key.clone()),
                    ) {
                        self.open_diff(app, Some(resource));
                    }
                }
                _ => {}
            },
            Action::ServerDiff => return self.server_diff(),
            Action::NextProblem | Action::PrevProblem => {
                let forward = action == Action::NextProblem;
                match view {
                    View::Diff => self.diff_step(forward),
                    View::App => self.app_problem(forward),
                    _ => {
                        self.stack.truncate(1);
                        self.overview_problem(forward);
                    }
                }
            }
            Action::NextHunk | Action::PrevHunk => {
                if let Some(diff) = &mut self.diff {
                    let forward = action == Action::NextHunk;
                    if let Some(at) = diffdoc::step(&diff.layout.hunks, diff.scroll, forward) {
                        diff.scroll = at;
                    }
                }
            }
            Action::ToggleSideBySide => {
                if let Some(diff) = &mut self.diff {
                    diff.side_by_side = !diff.side_by_side;
                    diff.relayout();
                }
            }
            Action::ToggleFold => {
                if let Some(diff) = &mut self.diff {
                    diff.folded = !diff.folded;
                    diff.relayout();
                }
            }
            Action::Copy => {
                if let Some(diff) = &self.diff {
                    self.status = Some("diff copied to the clipboard (OSC 52)".into());
                    return vec![Effect::Copy(diffdoc::plain_text(&diff.entries))];
                }
            }
            Action::CopyIdentity => {
                let key = match view {
                    View::Diff => self.diff.as_ref().and_then(|d| d.key.clone()),
                    _ => self.selected_resource().map(|r| r.key.clone()),
                };
                if let Some(key) = key {
                    self.status = Some(format!("copied {key}"));
                    return vec![Effect::Copy(key.to_string())];
                }
            }
            Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::Top
            | Action::Bottom => self.move_vertical(action),
            Action::Left | Action::Right => {
                if view == View::Overview && !self.columns.is_empty() {
                    self.col = if action == Action::Left {
                        self.col.saturating_sub(1)
                    } else {
                        (self.col + 1).min(self.columns.len() - 1)
                    };
                }
            }
            Action::Sync => return self.start_sync(),
            Action::Promote => return self.start_promote(),
            Action::Confirm if view == View::Promote => return self.confirm_promote(),
            Action::Confirm => return self.confirm_sync(),
            Action::ForceConflicts if view == View::Sync => return self.force_sync(),
            Action::ForceConflicts => {}
            Action::TogglePrune if view == View::Sync => return self.toggle_prune(),
            Action::TogglePrune => {}
            Action::DirectApply if view == View::Sync => return self.toggle_direct(),
            Action::DirectApply => {}
            Action::PromoteSource => return self.cycle_promote_source(),
            Action::PromoteMode => return self.toggle_promote_mode(),
            Action::PromotePush => return self.toggle_promote_push(),
        }
        Vec::new()
    }

    fn server_diff(&mut self) -> Vec<Effect> {
        let (app, key) = match self.view() {
            View::Diff => match &self.diff {
                Some(d) => (d.app.clone(), d.key.clone()),
                None => return Vec::new(),
            },
            View::App => match (self.app.clone(), self.selected_resource()) {
                (Some(app), Some(r)) => {
                    let key = r.key.clone();
                    self.open_diff(app.clone(), Some(key.clone()));
                    if self.diff.is_none() {
                        // Nothing differs locally; still show the server's view.
                        self.diff = Some(DiffState {
                            app: app.clone(),
                            key: Some(key.clone()),
                            entries: Vec::new(),
                            layout: Layout::default(),
                            side_by_side: false,
                            folded: true,
                            scroll: 0,
                            search: String::new(),
                            matches: Vec::new(),
                            server: ServerDiff::Off,
                        });
                        self.push(View::Diff);
                    }
                    (app, Some(key))
                }
                _ => return Vec::new(),
            },
            _ => return Vec::new(),
        };
        self.dry_run_generation += 1;
        if let Some(diff) = &mut self.diff {
            diff.server = ServerDiff::Pending;
        }
        self.status = None;
        vec![Effect::DryRun {
            generation: self.dry_run_generation,
            app,
            key,
        }]
    }

    fn diff_step(&mut self, forward: bool) {
        if let Some(diff) = &mut self.diff {
            let positions = if diff.search.is_empty() {
                &diff.layout.hunks
            } else {
                &diff.matches
            };
            if let Some(at) = diffdoc::step(positions, diff.scroll, forward) {
                diff.scroll = at;
            }
        }
    }

    fn app_problem(&mut self, forward: bool) {
        let Some(app) = self.current_app() else {
            return;
        };
        let list = sorted_resources(app);
        let problems: Vec<usize> = list
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                r.verdict != Verdict::Synced
                    || r.health.as_ref().is_some_and(|h| {
                        matches!(h.status, HealthStatus::Degraded | HealthStatus::Missing)
                    })
            })
            .map(|(i, _)| i)
            .collect();
        if let Some(at) = diffdoc::step(&problems, self.resource, forward) {
            self.resource = at;
        }
    }

    /// Jump to the next/previous problem cell in reading order (wrapping).
    fn overview_problem(&mut self, forward: bool) {
        let width = self.columns.len();
        if width == 0 {
            return;
        }
        let mut problems: Vec<usize> = Vec::new();
        for (r, name) in self.rows.iter().enumerate() {
            for (c, env) in self.columns.iter().enumerate() {
                if self
                    .snapshot
                    .app(name, env)
                    .is_some_and(|cell| is_problem(cell))
                {
                    problems.push(r * width + c);
                }
            }
        }
        let here = self.row * width + self.col;
        // The first `n` from the top-left lands on the first problem, even when it is there.
        let from_start = forward && here == 0 && problems.first() == Some(&0);
        let target = if from_start {
            Some(0)
        } else {
            diffdoc::step(&problems, here, forward)
        };
        match target {
            Some(at) => {
                self.row = at / width;
                self.col = at % width;
            }
            None => self.status = Some("no problems".into()),
        }
    }

    fn move_vertical(&mut self, action: Action) {
        let page = self.body_height().saturating_sub(2).max(1);
        let apply = |pos: usize, len: usize| -> usize {
            let last = len.saturating_sub(1);
            match action {
                Action::Up => pos.saturating_sub(1),
                Action::Down => (pos + 1).min(last),
                Action::PageUp => pos.saturating_sub(page),
                Action::PageDown => (pos + page).min(last),
                Action::Top => 0,
                _ => last,
            }
        };
        match self.view() {
            View::Overview => self.row = apply(self.row, self.rows.len()),
            View::App => {
                let len = self.current_app().map(|a| a.resources.len()).unwrap_or(0);
                self.resource = apply(self.resource, len);
            }
            View::Diff => {
                if let Some(diff) = &mut self.diff {
                    diff.scroll = apply(diff.scroll, diff.layout.rows.len());
                }
            }
            other => {
                let key = other.title();
                let pos = self.scroll.get(key).copied().unwrap_or(0);
                // List views clamp while drawing; allow a generous bound here.
                let next = apply(pos, 100_000);
                self.scroll.insert(key, next);
            }
        }
    }

    fn on_mouse(&mut self, mouse: MouseEvent) -> Vec<Effect> {
        match mouse.kind {
            MouseEventKind::ScrollDown => {
                for _ in 0..3 {
                    self.move_vertical(Action::Down);
                }
                Vec::new()
            }
            MouseEventKind::ScrollUp => {
                for _ in 0..3 {
                    self.move_vertical(Action::Up);
                }
                Vec::new()
            }
            MouseEventKind::Down(MouseButton::Left) => self.click(mouse.column, mouse.row),
            _ => Vec::new(),
        }
    }

    /// A click selects the row (and cell) under it; a click on the selection opens it.
    fn click(&mut self, x: u16, y: u16) -> Vec<Effect> {
        match self.view() {
            View::Overview => {
                let geometry = super::views::overview::geometry(self);
                let Some((row, col)) = geometry.hit(x, y) else {
                    return Vec::new();
                };
                let same = row == self.row && col == self.col;
                self.row = row;
                self.col = col;
                if same {
                    self.open_selected();
                }
                Vec::new()
            }
            View::App => {
                if let Some(index) = super::views::app::resource_at(self, y) {
                    if index == self.resource {
                        return self.act(Action::Diff);
                    }
                    self.resource = index;
                }
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    /// The main image tag of an app of the current snapshot (worked out when it arrived).
    pub fn image_tag(&self, app: &Arc<AppView>) -> Option<&str> {
        self.image_tags.get(app)
    }

    /// Facts the footer counts: cells per sync state.
    pub fn counts(&self) -> &BTreeMap<&'static str, usize> {
        &self.counts
    }

    /// Still loading: first lists or renders running.
    pub fn loading(&self) -> bool {
        !(self.snapshot.sources_loaded && self.snapshot.settled())
    }
}

#[cfg(test)]
mod choices_tests;
#[cfg(test)]
mod tests;
