//! Snapshots of every view (ratatui TestBackend + insta) at 80×24 and 160×48, and with the
//! colour-blind theme, from a realistic snapshot built through the state reducer.

use crate::tui::fixture;
use crate::tui::model::{Model, Msg};
use crate::tui::theme::Theme;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::sync::Arc;

pub(crate) fn sample_model(theme: Theme) -> Model {
    let envs = fixture::ENVS.iter().map(|e| e.to_string()).collect();
    let mut model = Model::new(
        Arc::new(fixture::sample()),
        envs,
        theme,
        true,
        None,
        fixture::now(),
    );
    // Git facts as the background task would report them.
    let commit = |short: &str, summary: &str, minutes: i64| crate::git::CommitInfo {
        commit: format!("{short}0000000000000000000000000000000000"),
        short: short.to_string(),
        summary: summary.to_string(),
        author: "Dana SRE".to_string(),
        time: jiff::Timestamp::from_second(fixture::now().as_second() - minutes * 60)
            .expect("time"),
    };
    let mut facts = crate::tui::model::GitFacts::default();
    for id in model.snapshot.apps.keys() {
        let c = match id.env.as_str() {
            "prod" => commit("3b7a2d1", "prod: promote 1.4.2", 300),
            _ if id.app == "api" && id.env == "stage" => {
                commit("e4d2a91", "api: bump image to 1.5.0", 20)
            }
            _ => commit("9c1e0f4", "shop: raise memory requests", 120),
        };
        facts.commits.insert(id.clone(), c);
    }
    facts.behind.insert(
        crate::state::AppId::new("api", "prod"),
        vec![commit("e4d2a91", "api: bump image to 1.5.0", 20)],
    );
    model.git = facts;
    for (ctx, ms) in [("dev", 4), ("stage", 6), ("prod", 11)] {
        model.probes.insert(
            ctx.to_string(),
            crate::tui::model::Probe {
                at: fixture::now(),
                result: Ok(("v1.32.3".to_string(), ms)),
            },
        );
    }
    model
}

pub(crate) fn key(model: &mut Model, code: KeyCode) {
    model.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

pub(crate) fn keys(model: &mut Model, text: &str) {
    for c in text.chars() {
        key(model, KeyCode::Char(c));
    }
}

pub(crate) fn render(model: &mut Model, width: u16, height: u16) -> String {
    model.update(Msg::Resize(width, height));
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
    terminal
        .draw(|frame| super::draw(model, frame))
        .expect("draw");
    let buffer = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..height {
        let mut line = String::new();
        for x in 0..width {
            line.push_str(buffer[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Open each view the way a user would, from a fresh model.
fn at_view(view: &str, theme: Theme, width: u16, height: u16) -> Model {
    let mut model = sample_model(theme);
    model.update(Msg::Resize(width, height));
    match view {
        "overview" => {}
        "app" | "diff" | "diff-side-by-side" | "promotion" => {
            keys(&mut model, ":app web");
            key(&mut model, KeyCode::Enter);
            keys(&mut model, ":env prod");
            key(&mut model, KeyCode::Enter);
            key(&mut model, KeyCode::Enter);
            match view {
                "diff" | "diff-side-by-side" => {
                    keys(&mut model, "n");
                    key(&mut model, KeyCode::Char('d'));
                    if let Some(diff) = &mut model.diff {
                        diff.side_by_side = view == "diff-side-by-side";
                    }
                    if let Some(diff) = &mut model.diff {
                        let _ = diff;
                    }
                    keys(&mut model, "v");
                    keys(&mut model, "v");
                }
                "promotion" => {
                    keys(&mut model, "P");
                }
                _ => {}
            }
        }
        "clusters" => keys(&mut model, "c"),
        "events" => {
            // A minute later web@prod is back in line and api@stage's Git revision moved.
            let mut next = fixture::sample();
            let web = crate::state::AppId::new("web", "prod");
            let api = crate::state::AppId::new("api", "stage");
            let mut fixed = (**next
                .apps
                .get(&crate::state::AppId::new("web", "stage"))
                .expect("web@stage"))
            .clone();
            fixed.id = web.clone();
            next.apps.insert(web, Arc::new(fixed));
            let mut moved = (**next.apps.get(&api).expect("api@stage")).clone();
            moved.revision = "main@f00ba12".into();
            next.apps.insert(api, Arc::new(moved));
            next.generation += 1;
            for seconds in (0..=60).step_by(5) {
                let at = jiff::Timestamp::from_second(fixture::now().as_second() + seconds)
                    .expect("time");
                model.update(Msg::Tick(at));
                if seconds == 30 {
                    model.update(Msg::Snapshot(Arc::new(next.clone())));
                }
            }
            keys(&mut model, "e");
        }
        "help" => keys(&mut model, "?"),
        "sync" => {
            // Writable, on web@prod (kubectl scaled it), with the plan the task would report.
            model.read_only = false;
            keys(&mut model, ":app web");
            key(&mut model, KeyCode::Enter);
            keys(&mut model, ":env prod");
            key(&mut model, KeyCode::Enter);
            keys(&mut model, "s");
            let id = crate::state::AppId::new("web", "prod");
            let app = model.snapshot.apps.get(&id).expect("web@prod");
            let plan = crate::actions::sync::plan::build(app, &Default::default());
            model.update(Msg::SyncPlanned {
                generation: 1,
                result: Ok(crate::tui::model::PlannedSync {
                    plan: Arc::new(plan),
                    probes: Arc::new(Vec::new()),
                    reconcile: None,
                }),
            });
        }
        _ => panic!("unknown view {view}"),
    }
    model
}

#[test]
fn every_view_at_80x24_and_160x48() {
    for view in [
        "overview",
        "app",
        "diff",
        "diff-side-by-side",
        "promotion",
        "clusters",
        "events",
        "help",
        "sync",
    ] {
        for (w, h) in [(80, 24), (160, 48)] {
            let mut model = at_view(view, Theme::dark(), w, h);
            let screen = render(&mut model, w, h);
            insta::assert_snapshot!(format!("{view}_{w}x{h}"), screen);
        }
    }
}

#[test]
fn colorblind_theme_tells_status_by_glyph() {
    let theme = Theme::built_in("colorblind").expect("theme");
    for view in ["overview", "app"] {
        let mut model = at_view(view, theme.clone(), 80, 24);
        let screen = render(&mut model, 80, 24);
        insta::assert_snapshot!(format!("colorblind_{view}_80x24"), screen);
    }
}

#[test]
fn below_80x24_says_the_terminal_is_too_small() {
    let mut model = sample_model(Theme::dark());
    let screen = render(&mut model, 60, 20);
    assert!(screen.contains("terminal too small"), "{screen}");
    assert!(screen.contains("this is 60×20"), "{screen}");
}

#[test]
fn an_unreachable_cluster_and_a_forbidden_kind_show_where_the_user_looks() {
    let envs = fixture::ENVS.iter().map(|e| e.to_string()).collect();
    let mut model = Model::new(
        Arc::new(fixture::sample_in_trouble()),
        envs,
        Theme::dark(),
        false,
        None,
        fixture::now(),
    );
    let overview = render(&mut model, 160, 48);
    insta::assert_snapshot!("trouble_overview_160x48", overview);
    assert!(overview.contains("✗ prod unreachable"), "{overview}");
    assert!(overview.contains("✗ unreachable"), "{overview}");
    keys(&mut model, "c");
    let clusters = render(&mut model, 160, 48);
    insta::assert_snapshot!("trouble_clusters_160x48", clusters);
    assert!(
        clusters.contains("forbidden: secrets is forbidden"),
        "{clusters}"
    );
    assert!(clusters.contains("connection refused"), "{clusters}");
}

#[test]
fn no_color_draws_without_colours_but_keeps_glyphs_and_the_selection() {
    use ratatui::style::{Color, Modifier};
    let mut model = sample_model(Theme::dark().monochrome());
    model.update(Msg::Resize(80, 24));
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).expect("terminal");
    terminal
        .draw(|frame| super::draw(&model, frame))
        .expect("draw");
    let buffer = terminal.backend().buffer();
    let mut reversed = 0;
    for cell in buffer.content() {
        assert_eq!(cell.fg, Color::Reset, "a coloured cell: {cell:?}");
        assert_eq!(cell.bg, Color::Reset, "a coloured cell: {cell:?}");
        if cell.modifier.contains(Modifier::REVERSED) {
            reversed += 1;
        }
    }
    assert!(reversed > 0, "the selection must still show");
    let screen = render(&mut model, 80, 24);
    assert!(screen.contains("≠ ♥"), "{screen}");
}

/// An app read from Argo CD that Argo CD calls Synced while kubedrift sees drift: the app
/// view shows the controller's opinion and the disagreement, the overview cell marks it.
#[test]
fn a_controller_disagreement_shows_in_the_app_view_and_the_overview() {
    use crate::state::{AppId, ControllerTool, ControllerView, SyncState};
    let mut model = sample_model(Theme::dark());
    let id = AppId::new("web", "prod");
    let mut snapshot = (*model.snapshot).clone();
    let mut view = (**snapshot.apps.get(&id).expect("web@prod")).clone();
    assert_eq!(
        view.sync,
        SyncState::OutOfSync,
        "the sample drifts web@prod"
    );
    view.controller = Some(ControllerView {
        tool: ControllerTool::ArgoCd,
        context: "prod".into(),
        api_version: "argoproj.io/v1alpha1".into(),
        kind: "Application".into(),
        namespace: "argocd".into(),
        name: "web-prod".into(),
        sync: Some("Synced".into()),
        health: Some("Healthy".into()),
        revision: None,
        message: None,
    });
    snapshot.apps.insert(id, Arc::new(view));
    snapshot.generation += 1;
    model.update(Msg::Snapshot(Arc::new(snapshot)));
    let overview = render(&mut model, 160, 48);
    assert!(overview.contains("≠ctl"), "{overview}");
    keys(&mut model, ":app web");
    key(&mut model, KeyCode::Enter);
    keys(&mut model, ":env prod");
    key(&mut model, KeyCode::Enter);
    key(&mut model, KeyCode::Enter);
    let screen = render(&mut model, 160, 48);
    assert!(
        screen.contains("Argo CD: Synced/Healthy (Application argocd/web-prod)"),
        "{screen}"
    );
    assert!(
        screen.contains("≠ Argo CD says Synced, kubedrift says OutOfSync"),
        "{screen}"
    );
}

/// `kubectl set image` on web@prod: once the snapshot with the new live Deployment arrives,
/// the overview cell and the promotion view show the new tag (worked out on arrival, not
/// while drawing).
#[test]
fn the_image_tag_follows_a_live_image_change() {
    let mut model = sample_model(Theme::dark());
    model.update(Msg::Resize(160, 48));
    let row_of = |screen: &str| {
        screen
            .lines()
            .find(|l| l.starts_with(" web "))
            .unwrap_or_default()
            .to_string()
    };
    let before = render(&mut model, 160, 48);
    assert!(row_of(&before).contains("1.4.2"), "{before}");
    assert!(!before.contains("1.4.3-hotfix"), "{before}");
    let mut next = fixture::sample_with(|cases| {
        let Some(web) = cases.iter_mut().find(|c| c.app == "web" && c.env == "prod") else {
            return;
        };
        let live = &mut web.live[0];
        live["spec"]["template"]["spec"]["containers"][0]["image"] =
            "registry.example.com/shop/web:1.4.3-hotfix".into();
        live["metadata"]["resourceVersion"] = "777".into();
    });
    next.generation = model.snapshot.generation + 1;
    model.update(Msg::Snapshot(Arc::new(next)));
    let after = render(&mut model, 160, 48);
    let row = row_of(&after);
    assert!(row.contains("1.4.3-hotfix"), "{after}");
    // Only prod's cell moved: dev and stage still run 1.4.2.
    assert_eq!(row.matches("1.4.2").count(), 2, "{row}");
    insta::assert_snapshot!("overview_after_live_image_change_160x48", after);
    keys(&mut model, ":app web");
    key(&mut model, KeyCode::Enter);
    keys(&mut model, ":env prod");
    key(&mut model, KeyCode::Enter);
    key(&mut model, KeyCode::Enter);
    keys(&mut model, "P");
    let promotion = render(&mut model, 160, 48);
    assert!(promotion.contains("1.4.3-hotfix"), "{promotion}");
}
