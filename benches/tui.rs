//! Drawing the overview of 300 apps × 6 environments into a TestBackend (160×48): the cost of
//! one frame (goal: ≤ 2 ms on the team machine).

use criterion::{criterion_group, criterion_main, Criterion};
use kubedrift::tui::fixture;
use kubedrift::tui::model::{Model, Msg};
use kubedrift::tui::theme::Theme;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::sync::Arc;

fn overview_frame(c: &mut Criterion) {
    let snapshot = Arc::new(fixture::large(300, 6));
    let mut model = Model::new(
        snapshot,
        fixture::large_envs(6),
        Theme::dark(),
        true,
        None,
        fixture::now(),
    );
    model.update(Msg::Resize(160, 48));
    let mut terminal = Terminal::new(TestBackend::new(160, 48)).expect("terminal");
    c.bench_function("tui overview 300 apps x 6 envs, 160x48 frame", |b| {
        b.iter(|| {
            terminal
                .draw(|frame| kubedrift::tui::views::draw(&model, frame))
                .expect("draw");
        })
    });
    // The same with a new snapshot each frame (the model's rows recomputed too).
    let again = Arc::clone(&model.snapshot);
    c.bench_function("tui overview 300x6: new snapshot + frame", |b| {
        b.iter(|| {
            model.update(Msg::Snapshot(Arc::clone(&again)));
            terminal
                .draw(|frame| kubedrift::tui::views::draw(&model, frame))
                .expect("draw");
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(3));
    targets = overview_frame
}
criterion_main!(benches);
