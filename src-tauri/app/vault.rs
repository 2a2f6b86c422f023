//! The window's secret store, opened once and kept for the app's life: the OS
//! keychain, or the encrypted vault where no keychain answers.
//!
//! `wicket` asks for the vault passphrase in a terminal; the window has none,
//! so when the core says a passphrase is needed ([`Error::PassphraseNeeded`])
//! the UI shows a dialog: "create" (the first time: a strength hint and a
//! warning that a lost passphrase cannot be recovered) or "unlock". The
//! passphrase is kept in memory (as a `Secret`) for this run only, and the
//! engine is started again with the opened store. An account without secrets
//! (the demo) never needs either.

use crate::dto::{CommandError, PassphraseArgs, PassphraseStrengthDto, UnlockVaultArgs, VaultStatusDto};
use crate::state::AppState;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tauri::{AppHandle, Runtime, State};
use wicket_core::secrets::{self, Secret, SecretStore};
use wicket_core::{DataDir, Error, Result};

type Res<T> = std::result::Result<T, CommandError>;

/// The opened store, shared by the engine and every command.
#[derive(Clone)]
pub struct WindowSecrets {
    dir: DataDir,
    opened: Arc<Mutex<Option<SecretStore>>>,
    /// Set when a probe found no store: best-effort work (opening a chat,
    /// typing) then goes on without one instead of probing the keychain (or
    /// deriving the vault key) again on every click. Cleared by an unlock.
    unavailable: Arc<AtomicBool>,
    /// How many times the real store was probed (tests: once per app life).
    probes: Arc<AtomicUsize>,
    /// Read `WICKET_SECRET_STORE` and `WICKET_VAULT_PASSPHRASE` (always, but
    /// in tests of a computer without a keychain, whose process shares them).
    from_env: bool,
}

impl WindowSecrets {
    pub fn new(dir: DataDir) -> WindowSecrets {
        WindowSecrets { dir, opened: Default::default(), unavailable: Default::default(), probes: Default::default(), from_env: true }
    }

    /// A computer with no keychain where only the owner knows the passphrase.
    #[cfg(test)]
    pub fn without_keychain(dir: DataDir) -> WindowSecrets {
        WindowSecrets { dir, opened: Default::default(), unavailable: Default::default(), probes: Default::default(), from_env: false }
    }

    fn cached(&self) -> Option<SecretStore> {
        self.opened.lock().ok().and_then(|o| o.clone())
    }

    fn keep(&self, store: &SecretStore) {
        if let Ok(mut o) = self.opened.lock() {
            *o = Some(store.clone());
        }
        self.unavailable.store(false, Ordering::Relaxed);
    }

    /// How many times the keychain or vault was actually probed in this run.
    #[cfg(test)]
    pub fn probes(&self) -> usize {
        self.probes.load(Ordering::Relaxed)
    }

    /// The store: the one opened earlier in this run, else the keychain, else
    /// the vault with `WICKET_VAULT_PASSPHRASE`. [`Error::PassphraseNeeded`]
    /// when only the owner can open it (the UI asks, then [`unlock_vault`]).
    pub fn open(&self, data_dir_id: &str) -> Result<SecretStore> {
        if let Some(store) = self.cached() {
            return Ok(store);
        }
        self.probes.fetch_add(1, Ordering::Relaxed);
        let opened = if self.from_env {
            SecretStore::open(&self.dir, data_dir_id, None)
        } else {
            SecretStore::open_with(&self.dir, data_dir_id, secrets::StoreMode::Vault, &|| None)
        };
        match opened {
            Ok(store) => {
                self.keep(&store);
                Ok(store)
            }
            Err(e) => {
                self.unavailable.store(true, Ordering::Relaxed);
                Err(e)
            }
        }
    }

    /// For work that goes on without secrets when none can be opened (the
    /// demo; telling a provider a chat was read): an empty in-memory store.
    /// Probes at most once per run for this: work that needs secrets
    /// ([`WindowSecrets::open`]) probes again, as does an unlock.
    pub fn open_or_memory(&self, data_dir_id: &str) -> SecretStore {
        if self.cached().is_none() && self.unavailable.load(Ordering::Relaxed) {
            return SecretStore::in_memory(data_dir_id);
        }
        self.open(data_dir_id).unwrap_or_else(|e| {
            tracing::debug!("no secret store ({e}); going on without one");
            SecretStore::in_memory(data_dir_id)
        })
    }

    /// Creates the vault with a new passphrase, or unlocks the existing one,
    /// and keeps the store for the rest of this run.
    fn unlock(&self, data_dir_id: &str, passphrase: Secret, create: bool) -> Result<SecretStore> {
        let store = if create {
            SecretStore::create_vault(&self.dir, data_dir_id, passphrase)?
        } else {
            SecretStore::unlock_vault(&self.dir, data_dir_id, passphrase)?
        };
        self.keep(&store);
        tracing::info!(backend = store.kind(), "the vault was opened in the window");
        Ok(store)
    }

    /// Whether a passphrase is needed now, and which dialog to show.
    fn status(&self, data_dir_id: &str) -> VaultStatusDto {
        let vault_exists = self.dir.vault_path().exists();
        match self.open(data_dir_id) {
            Ok(store) => VaultStatusDto { needs_passphrase: false, vault_exists, backend: Some(store.kind().to_string()), problem: None },
            Err(Error::PassphraseNeeded { vault_exists, .. }) => VaultStatusDto { needs_passphrase: true, vault_exists, backend: None, problem: None },
            Err(e) => VaultStatusDto { needs_passphrase: false, vault_exists, backend: None, problem: Some(e.to_string()) },
        }
    }
}

/// Where secrets are kept, and whether the window must ask for the passphrase.
#[tauri::command]
pub async fn vault_status(state: State<'_, AppState>) -> Res<VaultStatusDto> {
    let (id, secrets) = (state.store_while_locked()?.data_dir_id()?, state.secrets.clone());
    run(move || Ok(secrets.status(&id))).await
}

/// How hard a new passphrase is to guess, as the owner types it.
#[tauri::command]
pub fn passphrase_strength(args: PassphraseArgs) -> PassphraseStrengthDto {
    PassphraseStrengthDto::from(secrets::passphrase_strength(&args.passphrase))
}

/// Creates or unlocks the vault, then starts the engine again with it (it
/// stopped for want of a passphrase, or ran on an empty store because no
/// account needed one yet). A wrong passphrase changes nothing.
#[tauri::command]
pub async fn unlock_vault<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>, args: UnlockVaultArgs) -> Res<VaultStatusDto> {
    let (id, secrets) = (state.store_while_locked()?.data_dir_id()?, state.secrets.clone());
    let passphrase = Secret::new(args.passphrase);
    let create = args.create;
    let status = run(move || {
        secrets.unlock(&id, passphrase, create)?;
        Ok(secrets.status(&id))
    })
    .await?;
    let handle = app.clone();
    let restarted = tauri::async_runtime::spawn_blocking(move || crate::engine::restart(&handle)).await;
    if let Err(e) = restarted {
        tracing::error!("restarting the engine after the vault was opened: {e}");
    }
    Ok(status)
}

async fn run<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Res<T> {
    match tauri::async_runtime::spawn_blocking(f).await {
        Ok(r) => r.map_err(CommandError::from),
        Err(e) => Err(Error::Internal(format!("the secret store's worker stopped: {e}")).into()),
    }
}
