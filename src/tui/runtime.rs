//! The TUI's edge: terminal setup and restore, the event loop, and the effects (tasks,
//! clipboard, refresh). Redraws only after a message that may change the screen; a one-second
//! tick keeps ages ("drift 12m", "last seen 3s") current; idle, nothing else runs.

use super::model::{Effect, Model, Msg};
use super::tasks::TaskContext;
use super::theme::{no_color_requested, user_theme_dir, Theme};
use super::TuiOptions;
use crate::actions::capability::Session;
use crate::live::{Live, LiveOptions};
#[cfg(unix)]
use crate::serve::server::{DiffServer, ServeScope};
use color_eyre::eyre::WrapErr;
use crossterm::event::{self, DisableMouseCapture, EnableMouseCapture, Event, KeyEventKind};
use crossterm::execute;
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};

/// Put the terminal back: main screen, cooked mode, cursor, no mouse capture. Safe to call
/// more than once.
fn restore_terminal() {
    let _ = disable_raw_mode();
    let _ = execute!(
        std::io::stdout(),
        DisableMouseCapture,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

/// Restores the terminal when dropped (normal return and `?` errors).
struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

/// A panic restores the terminal first, then reports (color-eyre's hook, when installed).
fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        previous(info);
    }));
}

/// Input events from a thread (crossterm's reader blocks); it stops when `stop` is set.
fn spawn_input(tx: mpsc::UnboundedSender<Event>, stop: Arc<AtomicBool>) {
    std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            match event::poll(Duration::from_millis(250)) {
                Ok(true) => match event::read() {
                    Ok(ev) => {
                        if tx.send(ev).is_err() {
                            return;
                        }
                    }
                    Err(_) => return,
                },
                Ok(false) => {}
                Err(_) => return,
            }
        }
    });
}

/// OSC 52: the terminal puts `text` on the system clipboard (works over SSH and in tmux with
/// `set-clipboard on`).
fn copy_osc52(text: &str) {
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
    let mut out = std::io::stdout();
    let _ = write!(out, "\x1b]52;c;{encoded}\x07");
    let _ = out.flush();
}

pub fn run(options: TuiOptions) -> color_eyre::Result<crate::cli::Exit> {
    let TuiOptions {
        live: live_options,
        read_only,
        theme,
        notice,
        #[cfg(unix)]
        serve,
    } = options;
    #[cfg(not(unix))]
    let serve: Option<ServeScope> = None;
    let theme_name = theme.unwrap_or_else(|| live_options.config.settings.theme.clone());
    let (theme, theme_error) = Theme::resolve_or_default(&theme_name, user_theme_dir().as_deref());
    let theme = if no_color_requested() {
        theme.monochrome()
    } else {
        theme
    };
    let config_envs: Vec<String> = live_options
        .config
        .environments
        .iter()
        .filter(|e| live_options.env.as_ref().is_none_or(|only| *only == e.name))
        .map(|e| e.name.clone())
        .collect();
    let config = live_options.config.clone();
    let kubeconfig = live_options.kubeconfig.clone();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .wrap_err("could not start the async runtime")?;
    // Configuration errors end here, before the terminal is touched.
    let (live, server) = {
        let _guard = runtime.enter();
        let live = Live::start(live_options.clone())?;
        let server = serve_diff(&live, &serve);
        (live, server)
    };

    install_panic_hook();
    enable_raw_mode().wrap_err("could not put the terminal in raw mode")?;
    let guard = TerminalGuard;
    execute!(std::io::stdout(), EnterAlternateScreen, EnableMouseCapture)
        .wrap_err("could not enter the alternate screen")?;
    let mut terminal = Terminal::new(CrosstermBackend::new(std::io::stdout()))
        .wrap_err("could not open the terminal")?;
    terminal.clear()?;

    let mut model = Model::new(
        live.snapshot(),
        config_envs,
        theme,
        read_only,
        notice,
        jiff::Timestamp::now(),
    );
    model.status = theme_error;
    model.protected_envs = config
        .environments
        .iter()
        .filter(|e| e.protected)
        .map(|e| e.name.clone())
        .collect();
    let size = terminal.size()?;
    model.update(Msg::Resize(size.width, size.height));

    let stop = Arc::new(AtomicBool::new(false));
    let (input_tx, input_rx) = mpsc::unbounded_channel();
    spawn_input(input_tx, Arc::clone(&stop));
    let result = runtime.block_on(event_loop(
        &mut terminal,
        &mut model,
        (live, server, serve),
        live_options,
        input_rx,
        TaskContext {
            config,
            kubeconfig,
            session: Session::new(read_only),
            audit_log: crate::actions::audit::log_path().ok(),
        },
    ));
    stop.store(true, Ordering::Relaxed);
    drop(guard);
    // Do not wait for tasks stuck on an unreachable cluster.
    runtime.shutdown_timeout(Duration::from_millis(200));
    result.map(|()| crate::cli::Exit::InSync)
}

/// Without Unix sockets nothing is served.
#[cfg(not(unix))]
#[derive(Clone)]
struct ServeScope;
#[cfg(not(unix))]
struct DiffServer;

/// The diff server of this live layer (None when it cannot serve: logged).
#[cfg(unix)]
fn serve_diff(live: &Live, scope: &Option<ServeScope>) -> Option<DiffServer> {
    let scope = scope.clone()?;
    crate::serve::server::start(live, scope)
        .map_err(|err| tracing::info!(%err, "not serving diff"))
        .ok()
}

#[cfg(not(unix))]
fn serve_diff(_live: &Live, _scope: &Option<ServeScope>) -> Option<DiffServer> {
    None
}

async fn event_loop(
    terminal: &mut Terminal<CrosstermBackend<std::io::Stdout>>,
    model: &mut Model,
    (mut live, mut server, serve): (Live, Option<DiffServer>, Option<ServeScope>),
    live_options: LiveOptions,
    mut input: mpsc::UnboundedReceiver<Event>,
    context: TaskContext,
) -> color_eyre::Result<()> {
    let mut changes = live.subscribe();
    let (task_tx, mut task_rx) = mpsc::unbounded_channel::<Msg>();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut dirty = true;
    // The snapshot may have moved between `Model::new` and `subscribe`.
    let mut effects: std::collections::VecDeque<Effect> =
        model.update(Msg::Snapshot(live.snapshot())).into();
    loop {
        while let Some(effect) = effects.pop_front() {
            match effect {
                Effect::Quit => return Ok(()),
                Effect::Refresh => {
                    // Re-read Git and relist everything: a new live layer.
                    drop(server.take());
                    drop(live);
                    live = Live::start(live_options.clone())?;
                    server = serve_diff(&live, &serve);
                    changes = live.subscribe();
                    effects.extend(model.update(Msg::Snapshot(live.snapshot())));
                }
                Effect::LoadTheme(name) => {
                    let (theme, error) =
                        Theme::resolve_or_default(&name, user_theme_dir().as_deref());
                    let _ = task_tx.send(Msg::ThemeLoaded {
                        theme: Box::new(theme),
                        error,
                    });
                }
                Effect::Copy(text) => copy_osc52(&text),
                task => {
                    // Every other effect is a background task.
                    let _ = super::tasks::spawn(task, &context, live.snapshot(), &task_tx);
                }
            }
        }
        if model.quit {
            return Ok(());
        }
        if dirty {
            terminal.draw(|frame| super::views::draw(model, frame))?;
            dirty = false;
        }
        let msg = tokio::select! {
            Some(ev) = input.recv() => match ev {
                Event::Key(key) if key.kind != KeyEventKind::Release => Msg::Key(key),
                Event::Mouse(mouse) => Msg::Mouse(mouse),
                Event::Resize(w, h) => {
                    terminal.autoresize()?;
                    Msg::Resize(w, h)
                }
                _ => continue,
            },
            received = changes.recv() => {
                match received {
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {
                        // Coalesce a burst of changes into one snapshot read.
                        while changes.try_recv().is_ok() {}
                        Msg::Snapshot(live.snapshot())
                    }
                    Err(broadcast::error::RecvError::Closed) => {
                        // Only while a refresh swaps the live layer; resubscribe.
                        changes = live.subscribe();
                        continue;
                    }
                }
            },
            Some(reply) = task_rx.recv() => reply,
            _ = tick.tick() => Msg::Tick(jiff::Timestamp::now()),
        };
        effects.extend(model.update(msg));
        dirty = true;
    }
}
