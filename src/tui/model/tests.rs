//! `update` without a terminal: messages in, model and effects out.

use super::*;
use crate::tui::fixture;
use crate::tui::views::tests::{key, keys, sample_model};

fn model() -> Model {
    let mut m = sample_model(Theme::dark());
    m.update(Msg::Resize(160, 48));
    m
}

#[test]
fn n_walks_problem_cells_in_reading_order_and_wraps() {
    let mut m = model();
    let mut visited = Vec::new();
    for _ in 0..7 {
        keys(&mut m, "n");
        visited.push(m.selected_id().expect("cell").to_string());
    }
    assert_eq!(
        visited,
        [
            "api@stage",
            "billing@dev",
            "billing@prod",
            "checkout@stage",
            "frontend@dev",
            "search@dev",
            "web@prod"
        ]
    );
    keys(&mut m, "n");
    assert_eq!(m.selected_id().expect("cell").to_string(), "api@stage");
    keys(&mut m, "N");
    assert_eq!(m.selected_id().expect("cell").to_string(), "web@prod");
}

#[test]
fn enter_opens_the_app_on_its_first_problem_and_d_shows_the_drift() {
    let mut m = model();
    keys(&mut m, "NN"); // wraps back to web@prod... then one before it
    keys(&mut m, "n");
    assert_eq!(m.selected_id().expect("cell").to_string(), "web@prod");
    key(&mut m, KeyCode::Enter);
    assert_eq!(m.view(), View::App);
    let resource = m.selected_resource().expect("resource");
    assert_eq!(&*resource.key.kind, "Deployment");
    keys(&mut m, "d");
    assert_eq!(m.view(), View::Diff);
    let diff = m.diff.as_ref().expect("diff");
    let text: Vec<String> = diff.layout.rows.iter().map(|r| r.text()).collect();
    assert!(text.iter().any(|t| t.contains("replicas: 5")), "{text:?}");
    assert!(text.iter().any(|t| t.contains("replicas: 2")), "{text:?}");
    // q goes back, step by step, then quits from the overview.
    assert!(keys_effects(&mut m, "q").is_empty());
    assert_eq!(m.view(), View::App);
    keys(&mut m, "q");
    assert_eq!(m.view(), View::Overview);
    assert_eq!(keys_effects(&mut m, "q"), vec![Effect::Quit]);
}

fn keys_effects(m: &mut Model, text: &str) -> Vec<Effect> {
    let mut out = Vec::new();
    for c in text.chars() {
        out.extend(m.update(Msg::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::NONE,
        ))));
    }
    out
}

#[test]
fn filter_only_problems_and_sort() {
    let mut m = model();
    keys(&mut m, "/che");
    assert_eq!(m.rows, ["checkout"]);
    key(&mut m, KeyCode::Esc);
    assert_eq!(m.rows.len(), 6);
    // Enter keeps the filter; Esc in the overview clears it.
    keys(&mut m, "/se");
    key(&mut m, KeyCode::Enter);
    assert_eq!(m.rows, ["search"]);
    assert_eq!(m.prompt, Prompt::None);
    key(&mut m, KeyCode::Esc);
    assert_eq!(m.rows.len(), 6);
    keys(&mut m, "o");
    assert_eq!(
        m.rows,
        ["api", "billing", "checkout", "frontend", "search", "web"]
    );
    keys(&mut m, "oS");
    assert_eq!(m.rows.first().map(String::as_str), Some("billing"));
    assert_eq!(m.rows.last().map(String::as_str), Some("search"));
}

#[test]
fn commands_switch_app_env_context_theme_and_quit() {
    let mut m = model();
    keys(&mut m, ":app web");
    key(&mut m, KeyCode::Enter);
    assert_eq!(m.view(), View::App);
    keys(&mut m, ":env stage");
    key(&mut m, KeyCode::Enter);
    assert_eq!(m.view(), View::Overview);
    assert_eq!(m.selected_id().expect("cell").to_string(), "web@stage");
    keys(&mut m, ":ctx prod");
    key(&mut m, KeyCode::Enter);
    assert_eq!(m.columns, ["prod"]);
    keys(&mut m, ":ctx");
    key(&mut m, KeyCode::Enter);
    assert_eq!(m.columns, ["dev", "stage", "prod"]);
    keys(&mut m, ":app wbe");
    key(&mut m, KeyCode::Enter);
    assert!(m
        .status
        .as_deref()
        .unwrap_or("")
        .contains("did you mean \"web\""));
    keys(&mut m, ":theme light");
    let effects = m.update(Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
    assert_eq!(effects, vec![Effect::LoadTheme("light".into())]);
    keys(&mut m, ":q");
    let effects = m.update(Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
    assert_eq!(effects, vec![Effect::Quit]);
}

#[test]
fn stale_task_replies_are_dropped() {
    let mut m = model();
    keys(&mut m, ":app web");
    key(&mut m, KeyCode::Enter);
    keys(&mut m, ":env prod");
    key(&mut m, KeyCode::Enter);
    key(&mut m, KeyCode::Enter);
    let first = keys_effects(&mut m, "D");
    let second = keys_effects(&mut m, "D");
    let generation = |e: &[Effect]| match e.first() {
        Some(Effect::DryRun { generation, .. }) => *generation,
        other => panic!("expected a dry run, got {other:?}"),
    };
    let (old, new) = (generation(&first), generation(&second));
    assert!(new > old);
    m.update(Msg::DryRunDone {
        generation: old,
        result: Err("stale".into()),
    });
    assert_eq!(m.diff.as_ref().expect("diff").server, ServerDiff::Pending);
    m.update(Msg::DryRunDone {
        generation: new,
        result: Ok(Vec::new()),
    });
    assert_eq!(m.diff.as_ref().expect("diff").server, ServerDiff::Shown);

    // Git facts: a new snapshot with the same revisions asks nothing; a reply of an old
    // generation is dropped.
    m.update(Msg::Snapshot(Arc::new(fixture::sample())));
    let effects = m.update(Msg::Snapshot(Arc::new(fixture::sample())));
    assert!(effects.is_empty(), "{effects:?}");
    m.update(Msg::GitDone {
        generation: 0,
        facts: GitFacts::default(),
    });
    assert!(
        !m.git.commits.is_empty(),
        "a stale Git reply replaced the facts"
    );
}

#[test]
fn a_first_snapshot_asks_git_and_write_access_once() {
    let mut m = Model::new(
        Arc::new(Snapshot::default()),
        vec!["dev".into()],
        Theme::dark(),
        false,
        None,
        fixture::now(),
    );
    let effects = m.update(Msg::Snapshot(Arc::new(fixture::sample())));
    assert!(matches!(
        effects.as_slice(),
        [
            Effect::Git { generation: 1, .. },
            Effect::CheckWrite { generation: 1, .. }
        ]
    ));
    let effects = m.update(Msg::Snapshot(Arc::new(fixture::sample())));
    assert!(effects.is_empty());
}

#[test]
fn diff_keys_move_between_changes_search_and_toggle() {
    let mut m = model();
    keys(&mut m, ":app billing");
    key(&mut m, KeyCode::Enter);
    keys(&mut m, ":env prod");
    key(&mut m, KeyCode::Enter);
    keys(&mut m, "d");
    let diff = m.diff.as_ref().expect("diff");
    assert_eq!(
        diff.entries.len(),
        1,
        "the Secret is the only drifted resource"
    );
    // Secret values never reach the pane.
    let text: String = diff.layout.rows.iter().map(|r| r.text() + "\n").collect();
    assert!(!text.contains("c2VjcmV0"), "{text}");
    keys(&mut m, "/token");
    key(&mut m, KeyCode::Enter);
    let diff = m.diff.as_ref().expect("diff");
    assert!(!diff.matches.is_empty());
    assert!(diff.layout.rows[diff.scroll].text().contains("token"));
    let sbs = diff.side_by_side;
    keys(&mut m, "v");
    assert_ne!(m.diff.as_ref().expect("diff").side_by_side, sbs);
    let folded_rows = m.diff.as_ref().expect("diff").layout.rows.len();
    keys(&mut m, "z");
    assert!(m.diff.as_ref().expect("diff").layout.rows.len() >= folded_rows);
    let effects = keys_effects(&mut m, "y");
    match effects.as_slice() {
        [Effect::Copy(text)] => {
            assert!(text.contains("Secret/billing/billing-credentials"));
            assert!(!text.contains("c2VjcmV0"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn mouse_click_selects_and_a_second_click_opens() {
    let mut m = model();
    let g = crate::tui::views::overview::geometry(&m);
    // Row 4 (search), column 0 (dev): y = body top + header row + 4.
    let x = g.area.x + g.app_width + 1;
    let y = g.area.y + 1 + 4;
    let click = MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: x,
        row: y,
        modifiers: KeyModifiers::NONE,
    };
    m.update(Msg::Mouse(click));
    assert_eq!(m.selected_id().expect("cell").to_string(), "search@dev");
    assert_eq!(m.view(), View::Overview);
    m.update(Msg::Mouse(click));
    assert_eq!(m.view(), View::App);
    let scroll = MouseEvent {
        kind: MouseEventKind::ScrollDown,
        ..click
    };
    m.update(Msg::Mouse(scroll));
    assert!(m.resource > 0 || m.current_app().expect("app").resources.len() == 1);
}

#[test]
fn help_toggles_and_reserved_keys_do_nothing() {
    let mut m = model();
    keys(&mut m, "?");
    assert_eq!(m.view(), View::Help);
    assert_eq!(m.view_below_help(), View::Overview);
    keys(&mut m, "?");
    assert_eq!(m.view(), View::Overview);
    assert!(keys_effects(&mut m, "sp").is_empty());
    assert_eq!(m.view(), View::Overview);
    assert_eq!(keys_effects(&mut m, "r"), vec![Effect::Refresh]);
}

#[test]
fn api_servers_are_probed_on_a_slow_tick_one_probe_at_a_time() {
    let mut m = model();
    let tick = |m: &mut Model, seconds: i64| {
        m.update(Msg::Tick(
            Timestamp::from_second(fixture::now().as_second() + seconds).expect("t"),
        ))
    };
    let first = tick(&mut m, 0);
    let generation = match first.as_slice() {
        [Effect::Probe {
            generation,
            contexts,
        }] => {
            assert_eq!(contexts, &["dev", "prod", "stage"]);
            *generation
        }
        other => panic!("{other:?}"),
    };
    // Not again while the probe is out, even when due.
    assert!(tick(&mut m, PROBE_EVERY_SECONDS + 1).is_empty());
    let answer = |result: Result<(String, u64), String>| {
        vec![(
            "prod".to_string(),
            Probe {
                at: fixture::now(),
                result,
            },
        )]
    };
    m.update(Msg::ProbeDone {
        generation: generation + 7,
        probes: answer(Err("stale".into())),
    });
    assert!(
        tick(&mut m, PROBE_EVERY_SECONDS + 2).is_empty(),
        "a stale reply does not end the wait"
    );
    m.update(Msg::ProbeDone {
        generation,
        probes: answer(Ok(("v1.32.3".into(), 9))),
    });
    assert_eq!(
        m.probes.get("prod").map(|p| p.result.clone()),
        Some(Ok(("v1.32.3".to_string(), 9)))
    );
    assert!(
        tick(&mut m, PROBE_EVERY_SECONDS - 1).is_empty(),
        "not due yet"
    );
    assert!(matches!(
        tick(&mut m, 2 * PROBE_EVERY_SECONDS + 1).as_slice(),
        [Effect::Probe { .. }]
    ));
}
