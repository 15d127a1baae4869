//! The choices of the sync and promote views, without a terminal: `x` (prune), `f` (source
//! environment), `m` (where the commit goes), `u` (push), each shown before the confirmation,
//! and a protected environment's typed name only after the first confirmation.

use super::*;
use crate::actions::promote::{Change, Proposal};
use crate::actions::sync::plan::{build, PlanOptions};
use crate::tui::views::tests::{key, keys, render, sample_model};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn web_prod() -> Model {
    let mut m = sample_model(Theme::dark());
    m.read_only = false;
    m.update(Msg::Resize(160, 48));
    keys(&mut m, ":app web");
    key(&mut m, KeyCode::Enter);
    keys(&mut m, ":env prod");
    key(&mut m, KeyCode::Enter);
    assert_eq!(m.selected_id().expect("cell").to_string(), "web@prod");
    m
}

fn press(m: &mut Model, code: KeyCode) -> Vec<Effect> {
    m.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn proposal(from: &str, onto_env_ref: bool) -> Proposal {
    let target_ref = "refs/heads/prod".to_string();
    Proposal {
        app: "web".into(),
        from: from.into(),
        to: "prod".into(),
        model: crate::config::PromotionModel::Branch,
        repo: "/tmp/gitops".into(),
        source_ref: from.into(),
        source_commit: git2::Oid::ZERO_SHA1,
        target_ref: target_ref.clone(),
        target_tip: git2::Oid::ZERO_SHA1,
        write_ref: if onto_env_ref {
            target_ref
        } else {
            "refs/heads/promote/web/prod/0000000".into()
        },
        change: Change::Files {
            edits: vec![crate::actions::promote::FileEdit {
                path: "apps/web/prod/version.yml".into(),
                old: Some(b"version: 1\n".to_vec()),
                new: b"version: 2\n".to_vec(),
            }],
        },
        diff: "+version: 2\n".into(),
        message: "promote".into(),
    }
}

#[test]
fn x_turns_prune_on_and_off_and_plans_again_and_the_plan_says_which() {
    let mut m = web_prod();
    let effects = press(&mut m, KeyCode::Char('s'));
    let [Effect::PlanSync {
        generation,
        app,
        prune: false,
        ..
    }] = effects.as_slice()
    else {
        panic!("{effects:?}");
    };
    let view = m.snapshot.apps.get(app).expect("app").clone();
    m.update(Msg::SyncPlanned {
        generation: *generation,
        result: Ok(PlannedSync {
            plan: Arc::new(build(&view, &PlanOptions::default())),
            probes: Arc::new(Vec::new()),
            reconcile: None,
        }),
    });
    let screen = render(&mut m, 160, 48);
    assert!(screen.contains("prune off (x)"), "{screen}");

    let effects = press(&mut m, KeyCode::Char('x'));
    let [Effect::PlanSync {
        generation: next,
        prune: true,
        force_conflicts: false,
        ..
    }] = effects.as_slice()
    else {
        panic!("{effects:?}");
    };
    assert!(next > generation);
    // The answer to the plan without prune is stale now.
    m.update(Msg::SyncPlanned {
        generation: *generation,
        result: Err("stale".into()),
    });
    assert!(matches!(
        m.sync.as_ref().map(|s| &s.stage),
        Some(SyncStage::Planning)
    ));
    let pruning = PlanOptions {
        prune: true,
        ..PlanOptions::default()
    };
    m.update(Msg::SyncPlanned {
        generation: *next,
        result: Ok(PlannedSync {
            plan: Arc::new(build(&view, &pruning)),
            probes: Arc::new(Vec::new()),
            reconcile: None,
        }),
    });
    let screen = render(&mut m, 160, 48);
    assert!(screen.contains("prune ON (x)"), "{screen}");
    // Off again: a third plan, without prune.
    let effects = press(&mut m, KeyCode::Char('x'));
    assert!(
        matches!(effects.as_slice(), [Effect::PlanSync { prune: false, .. }]),
        "{effects:?}"
    );
}

#[test]
fn a_protected_environment_takes_choices_first_and_its_name_after_the_first_confirmation() {
    let mut m = web_prod();
    m.protected_envs.insert("prod".into());
    let effects = press(&mut m, KeyCode::Char('s'));
    let [Effect::PlanSync {
        generation, app, ..
    }] = effects.as_slice()
    else {
        panic!("{effects:?}");
    };
    let view = m.snapshot.apps.get(app).expect("app").clone();
    m.update(Msg::SyncPlanned {
        generation: *generation,
        result: Ok(PlannedSync {
            plan: Arc::new(build(&view, &PlanOptions::default())),
            probes: Arc::new(Vec::new()),
            reconcile: None,
        }),
    });
    // Before confirming, x is the prune key, not a letter of the name.
    assert!(matches!(
        press(&mut m, KeyCode::Char('x')).as_slice(),
        [Effect::PlanSync { prune: true, .. }]
    ));
    let generation = m.sync_generation;
    m.update(Msg::SyncPlanned {
        generation,
        result: Ok(PlannedSync {
            plan: Arc::new(build(&view, &PlanOptions::default())),
            probes: Arc::new(Vec::new()),
            reconcile: None,
        }),
    });
    assert!(press(&mut m, KeyCode::Enter).is_empty());
    // Now letters are the name: x is typed, not a toggle.
    assert!(press(&mut m, KeyCode::Char('x')).is_empty());
    assert_eq!(m.sync.as_ref().map(|s| s.typed.as_str()), Some("x"));
    press(&mut m, KeyCode::Backspace);
    keys(&mut m, "prod");
    assert!(matches!(
        press(&mut m, KeyCode::Enter).as_slice(),
        [Effect::ExecuteSync { .. }]
    ));
}

#[test]
fn f_m_and_u_choose_the_source_the_ref_and_the_push_before_the_commit() {
    let mut m = web_prod();
    m.protected_envs.insert("prod".into());
    let effects = press(&mut m, KeyCode::Char('p'));
    let [Effect::PlanPromote {
        generation,
        from,
        new_branch: true,
        ..
    }] = effects.as_slice()
    else {
        panic!("{effects:?}");
    };
    assert_eq!(from, "stage", "the previous environment by default");
    m.update(Msg::PromotePlanned {
        generation: *generation,
        result: Ok(PreparedPromotion(Arc::new(proposal("stage", false)), None)),
    });
    let screen = render(&mut m, 160, 48);
    assert!(screen.contains("from   stage"), "{screen}");
    assert!(
        screen.contains("onto   new branch refs/heads/promote/web/prod/0000000"),
        "{screen}"
    );
    assert!(
        screen.contains("push   no (the repo has no remote)"),
        "{screen}"
    );
    // No remote: u cannot turn the push on.
    assert!(press(&mut m, KeyCode::Char('u')).is_empty());
    assert_eq!(m.promote.as_ref().map(|p| p.push), Some(false));

    // f: the next source (dev), prepared again; once more wraps to stage.
    let effects = press(&mut m, KeyCode::Char('f'));
    let [Effect::PlanPromote { from, .. }] = effects.as_slice() else {
        panic!("{effects:?}");
    };
    assert_eq!(from, "dev");
    let effects = press(&mut m, KeyCode::Char('f'));
    let [Effect::PlanPromote { from, .. }] = effects.as_slice() else {
        panic!("{effects:?}");
    };
    assert_eq!(from, "stage");

    // m: onto prod's own ref; prod is protected, so its name is asked after y.
    let effects = press(&mut m, KeyCode::Char('m'));
    let [Effect::PlanPromote {
        generation,
        from,
        new_branch: false,
        ..
    }] = effects.as_slice()
    else {
        panic!("{effects:?}");
    };
    assert_eq!(from, "stage");
    m.update(Msg::PromotePlanned {
        generation: *generation,
        result: Ok(PreparedPromotion(
            Arc::new(proposal("stage", true)),
            Some("origin (https://git.example.com/gitops.git)".into()),
        )),
    });
    assert!(press(&mut m, KeyCode::Char('u')).is_empty());
    let screen = render(&mut m, 160, 48);
    assert!(
        screen.contains("onto   refs/heads/prod itself (compare-and-swap)"),
        "{screen}"
    );
    assert!(
        screen.contains("push   yes, to origin (https://git.example.com/gitops.git)"),
        "{screen}"
    );
    assert!(
        screen.contains("prod is protected: y / Enter, then type its name"),
        "{screen}"
    );
    assert!(press(&mut m, KeyCode::Char('y')).is_empty());
    keys(&mut m, "prod");
    let effects = press(&mut m, KeyCode::Enter);
    let [Effect::ExecutePromote { prepared, push, .. }] = effects.as_slice() else {
        panic!("{effects:?}");
    };
    assert!(*push);
    assert_eq!(prepared.0.write_ref(), "refs/heads/prod");
    // While writing, the choices are fixed.
    assert!(press(&mut m, KeyCode::Char('m')).is_empty());
    assert!(press(&mut m, KeyCode::Char('f')).is_empty());
}

#[test]
fn a_new_promote_branch_needs_no_typed_name_even_in_a_protected_environment() {
    let mut m = web_prod();
    m.protected_envs.insert("prod".into());
    let effects = press(&mut m, KeyCode::Char('p'));
    let [Effect::PlanPromote { generation, .. }] = effects.as_slice() else {
        panic!("{effects:?}");
    };
    m.update(Msg::PromotePlanned {
        generation: *generation,
        result: Ok(PreparedPromotion(Arc::new(proposal("stage", false)), None)),
    });
    let effects = press(&mut m, KeyCode::Char('y'));
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::ExecutePromote { push: false, .. }]
        ),
        "{effects:?}"
    );
}
