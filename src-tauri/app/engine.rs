//! Runs the core's engine (outbox, webhook listener, media downloads) inside
//! the window, on its own thread with its own small runtime, and forwards
//! what it reports to the UI as events.
//!
//! When `wicket serve` already holds the engine lock, the window says so and
//! works as a client of the same store (sends queue; `wicket serve` sends).
//! The engine stops with the app: the listener finishes what it took and the
//! current send completes (up to [`STOP_WAIT`]). Where no keychain answers it
//! waits for the vault passphrase (`vault.rs`), then starts again.

use crate::dto::EngineState;
use crate::events;
use crate::state::AppState;
use crate::vault::WindowSecrets;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tauri::{AppHandle, Emitter, Manager, Runtime};
use wicket_core::engine::Engine;
use wicket_core::secrets::SecretStore;
use wicket_core::{DataDir, Error, Result, Store};

/// How long quitting waits for the engine to finish the current send.
const STOP_WAIT: Duration = Duration::from_secs(5);

pub struct EngineHandle {
    stop: tokio::sync::oneshot::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

impl EngineHandle {
    /// Asks the engine to stop and waits for it, at most [`STOP_WAIT`].
    pub fn stop(self) {
        let _ = self.stop.send(());
        let (done, waited) = std::sync::mpsc::channel();
        let thread = self.thread;
        std::thread::spawn(move || {
            let _ = thread.join();
            let _ = done.send(());
        });
        if waited.recv_timeout(STOP_WAIT).is_err() {
            tracing::warn!("the engine did not stop within {} s; quitting anyway", STOP_WAIT.as_secs());
        }
    }
}

/// The engine this window runs, kept so it can be stopped at exit or started
/// again once the vault is open.
#[derive(Default)]
pub struct EngineSlot(Mutex<Option<EngineHandle>>);

impl EngineSlot {
    pub fn put(&self, handle: EngineHandle) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(handle);
        }
    }

    pub fn take(&self) -> Option<EngineHandle> {
        self.0.lock().ok().and_then(|mut slot| slot.take())
    }
}

/// Stops the engine this window runs (if any) and starts it again: after the
/// vault was unlocked, so it sends with the secrets the owner just opened.
/// Blocking (waits up to [`STOP_WAIT`]).
pub fn restart<R: Runtime>(app: &AppHandle<R>) {
    restart_because(app, "starting again with the unlocked vault")
}

/// [`restart`], saying `reason` until the new engine reports (a changed
/// webhook listener, say).
pub fn restart_because<R: Runtime>(app: &AppHandle<R>, reason: &str) {
    let slot = app.state::<EngineSlot>();
    if let Some(old) = slot.take() {
        old.stop();
    }
    // Until the new engine reports, say so: never the old "needs passphrase"
    // (the window would ask again for a vault just opened).
    let state = app.state::<AppState>();
    state.set_engine(Some(EngineState::Stopped { reason: reason.into() }));
    let dir = state.dir.clone();
    match start(app.clone(), dir) {
        Ok(handle) => slot.put(handle),
        Err(e) => report(app, EngineState::Stopped { reason: format!("the engine could not start: {e}") }),
    }
}

/// The webhook listener's address (the `webhook_listen` setting, as for
/// `wicket serve`) and the secret store. With no account that keeps secrets
/// (none yet, or only the demo) an unavailable keychain is no reason to stop.
fn prepare(dir: &DataDir, secrets: &WindowSecrets) -> Result<(Option<std::net::SocketAddr>, Arc<SecretStore>)> {
    let mut store = Store::open(&dir.db_path())?;
    let listen = wicket_core::webhook::configured_listen(&store)?;
    let id = store.data_dir_id()?;
    let secrets = SecretStore::open_for(&store.accounts()?, &id, || secrets.open(&id))?;
    Ok((listen, Arc::new(secrets)))
}

/// Starts the engine for `dir` on a thread of its own; the state and the UI
/// learn whether it runs here, elsewhere, or could not start.
pub fn start<R: Runtime>(app: AppHandle<R>, dir: DataDir) -> std::io::Result<EngineHandle> {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::Builder::new().name("engine".into()).spawn(move || {
        // Two workers: one account's blocking store wait never pauses the others.
        let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).thread_name("engine-worker").enable_all().build() {
            Ok(r) => r,
            Err(e) => return report(&app, EngineState::Stopped { reason: format!("the engine could not start: {e}") }),
        };
        runtime.block_on(async move {
            // `wicket serve` may run already: then no secret store is needed here.
            if let crate::dto::EngineState::Elsewhere { holder } = crate::state::engine_state(&dir) {
                return report(&app, EngineState::Elsewhere { holder });
            }
            let secrets = app.state::<AppState>().secrets.clone();
            let engine = match prepare(&dir, &secrets).and_then(|(listen, secrets)| Engine::start(dir, secrets, listen)) {
                Ok(engine) => engine,
                Err(Error::EngineLockHeld { holder }) => return report(&app, EngineState::Elsewhere { holder }),
                // The window asks; `vault::unlock_vault` starts the engine again.
                Err(Error::PassphraseNeeded { vault_exists, .. }) => return report(&app, EngineState::NeedsPassphrase { vault_exists }),
                Err(e) => return report(&app, EngineState::Stopped { reason: format!("the engine could not start: {e}") }),
            };
            report(&app, EngineState::Running { listen: engine.listen_addr().map(|a| a.to_string()) });
            crate::public_address::engine_started(&app, engine.listen_addr());
            let mut rx = engine.subscribe();
            let forward = async {
                loop {
                    match rx.recv().await {
                        Ok(event) => events::forward(&app, event),
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => events::store_changed(&app),
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                    }
                }
            };
            let (result, ()) = tokio::join!(
                engine.run(async {
                    let _ = stopped.await;
                }),
                forward
            );
            if let Err(e) = result {
                tracing::error!("the engine stopped: {e}");
                report(&app, EngineState::Stopped { reason: format!("the engine stopped: {e}") });
            }
        });
    })?;
    Ok(EngineHandle { stop, thread })
}

fn report<R: Runtime>(app: &AppHandle<R>, state: EngineState) {
    tracing::info!(?state, "engine");
    // Another holder is probed afresh on every `app_info` (it may stop).
    let keep = !matches!(state, EngineState::Elsewhere { .. });
    app.state::<AppState>().set_engine(keep.then(|| state.clone()));
    if let Err(e) = app.emit(events::ENGINE_CHANGED, state) {
        tracing::warn!("cannot emit {}: {e}", events::ENGINE_CHANGED);
    }
}
