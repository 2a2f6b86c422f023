//! Events to the UI, so it never polls. Names are constants here and are
//! exported to TypeScript with the payload types (`bindings.rs`).
//!
//! - `message-changed` (`MessageDto`): a message this window queued or changed;
//! - `conversation-changed` (`ConversationDto`): a row of the list changed;
//! - `engine-changed` (`EngineState`): the engine started here, runs
//!   elsewhere, or stopped;
//! - `store-changed` (no payload): another process (the engine in `wicket
//!   serve`, or the CLI) committed to the store; the UI reloads what it
//!   shows. The engine's own events say less than that (and `wicket serve`'s
//!   do not reach this process), so [`watch_store`] notices every such
//!   commit through SQLite's `data_version`, as the engine itself does.

use crate::dto::{ConversationDto, MessageDto};
use std::time::Duration;
use crate::state::AppState;
use tauri::{AppHandle, Emitter, Manager, Runtime};

pub const MESSAGE_CHANGED: &str = "message-changed";
pub const CONVERSATION_CHANGED: &str = "conversation-changed";
pub const STORE_CHANGED: &str = "store-changed";
pub const ENGINE_CHANGED: &str = "engine-changed";

pub fn message_changed<R: Runtime>(app: &AppHandle<R>, m: &MessageDto) {
    if let Err(e) = app.emit(MESSAGE_CHANGED, m) {
        tracing::warn!("cannot emit {MESSAGE_CHANGED}: {e}");
    }
}

pub fn conversation_changed<R: Runtime>(app: &AppHandle<R>, c: &ConversationDto) {
    if let Err(e) = app.emit(CONVERSATION_CHANGED, c) {
        tracing::warn!("cannot emit {CONVERSATION_CHANGED}: {e}");
    }
}

pub fn store_changed<R: Runtime>(app: &AppHandle<R>) {
    if let Err(e) = app.emit(STORE_CHANGED, ()) {
        tracing::warn!("cannot emit {STORE_CHANGED}: {e}");
    }
}

/// How often the watcher reads `PRAGMA data_version` (an in-memory read of
/// the WAL index: no disk I/O while nothing changes).
const WATCH_EVERY: Duration = Duration::from_millis(500);

/// Emits `store-changed` whenever another connection commits: the engine
/// (in this window or in `wicket serve`), the CLI. It reads the commands'
/// own connection, whose commits do not count: what the window changes
/// itself, it announces with the events above.
pub fn watch_store<R: Runtime>(app: AppHandle<R>) {
    let version = |app: &AppHandle<R>| app.state::<AppState>().store().ok().and_then(|s| s.data_version().ok());
    let spawned = std::thread::Builder::new().name("store-watch".into()).spawn(move || {
        let mut seen = version(&app);
        loop {
            std::thread::sleep(WATCH_EVERY);
            let now = version(&app);
            if now.is_some() && now != seen {
                seen = now;
                store_changed(&app);
            }
        }
    });
    if let Err(e) = spawned {
        tracing::warn!("cannot start the store watcher: {e}");
    }
}
