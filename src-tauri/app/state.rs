//! The window's state: the data dir (resolved exactly like `wicket` does),
//! one store connection behind a mutex for the commands, and what became of
//! the engine this window tried to start.
//!
//! One connection is enough: every command is a short query, and SQLite in
//! WAL mode lets the engine (here or in `wicket serve`) write beside it.

use crate::dto::{AppInfo, CommandError, EngineState};
use std::sync::{Mutex, MutexGuard};
use wicket_core::engine_lock::EngineLock;
use wicket_core::{DataDir, Error, Result, Store};

pub struct AppState {
    pub dir: DataDir,
    /// The secret store, opened once for the app's life (`vault.rs`).
    pub secrets: crate::vault::WindowSecrets,
    store: Mutex<Store>,
    /// Set by `engine.rs` once it knows; until then (and in tests) the lock says.
    engine: Mutex<Option<EngineState>>,
    /// When this window last told the engine the owner is using the app.
    in_use_marked: std::sync::atomic::AtomicI64,
}

impl AppState {
    /// Opens the data dir (`WICKET_DATA_DIR`, else the platform data dir for
    /// `app.wicket.inbox`) and its store.
    pub fn open() -> Result<AppState> {
        AppState::open_dir(DataDir::resolve(None)?)
    }

    pub fn open_dir(dir: DataDir) -> Result<AppState> {
        let store = Store::open(&dir.db_path())?;
        let secrets = crate::vault::WindowSecrets::new(dir.clone());
        Ok(AppState { dir, secrets, store: Mutex::new(store), engine: Mutex::new(None), in_use_marked: Default::default() })
    }

    /// The one door the commands use to the store: while the app lock is on
    /// it refuses with `Error::Locked` ("Wicket is locked: unlock to see
    /// messages"), so no content command can reach a message, a name or a
    /// file. The lock is read from the store each time (one settings row):
    /// `wicket lock` in a terminal locks this window too.
    pub fn store(&self) -> Result<MutexGuard<'_, Store>, CommandError> {
        let store = self.store_while_locked()?;
        wicket_core::applock::ensure_unlocked(&store)?;
        Ok(store)
    }

    /// Refuses while locked: for the commands that reach the data dir by
    /// another way than this connection (a restore, opening the data folder,
    /// the wizard's own connection).
    pub fn ensure_unlocked(&self) -> Result<(), CommandError> {
        self.store().map(drop)
    }

    /// The separate door for the few callers that must work while locked and
    /// reach no content: the lock's own commands, `app_info`'s schema, the
    /// preferences (theme, zoom, close to tray), the vault's dialog, the
    /// store watcher's `data_version` and the tray's unread count.
    pub fn store_while_locked(&self) -> Result<MutexGuard<'_, Store>, CommandError> {
        self.store.lock().map_err(|_| Error::Internal("the store connection was poisoned by an earlier panic: restart Wicket".into()).into())
    }

    /// The owner is using the window (it got focus, a chat was opened): the
    /// engine, here or in `wicket serve`, polls at its in-use interval for a
    /// while (`engine::mark_in_use`, a setting both read). Written at most
    /// every 30 s: the mark lasts longer than that.
    pub fn mark_in_use(&self) {
        let now = wicket_core::time::now_ms();
        let last = self.in_use_marked.load(std::sync::atomic::Ordering::Relaxed);
        if now - last < 30_000 {
            return;
        }
        self.in_use_marked.store(now, std::sync::atomic::Ordering::Relaxed);
        match self.store.lock() {
            Ok(mut store) => {
                if let Err(e) = wicket_core::engine::mark_in_use(&mut store) {
                    tracing::warn!("cannot mark the app in use: {e}");
                }
            }
            Err(_) => tracing::warn!("cannot mark the app in use: the store connection is poisoned"),
        }
    }

    pub fn set_engine(&self, state: Option<EngineState>) {
        if let Ok(mut e) = self.engine.lock() {
            *e = state;
        }
    }

    pub fn info(&self) -> AppInfo {
        let known = self.engine.lock().ok().and_then(|e| e.clone());
        AppInfo {
            version: wicket_core::VERSION.to_string(),
            data_dir: self.dir.root().display().to_string(),
            engine: known.unwrap_or_else(|| engine_state(&self.dir)),
        }
    }
}

/// Who runs the engine when this window does not: `wicket serve` holding the
/// lock (this window is its client), or nobody (queued messages wait). A lock
/// probe, cheap enough to answer every `app_info`.
pub fn engine_state(dir: &DataDir) -> EngineState {
    if EngineLock::is_held(dir) {
        EngineState::Elsewhere { holder: lock_holder(dir) }
    } else {
        EngineState::Stopped { reason: "no engine runs on this data dir: queued messages wait until Wicket is restarted or `wicket serve` runs".into() }
    }
}

/// The holder the lock file names ("pid 123, command wicket serve"). The core
/// reads the same file when it refuses a second engine.
fn lock_holder(dir: &DataDir) -> String {
    let text = std::fs::read_to_string(dir.engine_lock_path()).unwrap_or_default();
    let text = text.trim().replace('\n', ", ");
    if text.is_empty() {
        "another process".into()
    } else {
        text
    }
}
