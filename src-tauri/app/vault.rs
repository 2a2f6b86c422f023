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
use std::sync::{Arc, Mutex};
use tauri::{AppHandle, Runtime, State};
use wicket_core::secrets::{self, Secret, SecretStore};
use wicket_core::{DataDir, Error, Result, Store};

type Res<T> = std::result::Result<T, CommandError>;

/// The opened store, shared by the engine and every command.
#[derive(Clone)]
pub struct WindowSecrets {
    dir: DataDir,
    opened: Arc<Mutex<Option<SecretStore>>>,
    /// Read `WICKET_SECRET_STORE` and `WICKET_VAULT_PASSPHRASE` (always, but
    /// in tests of a computer without a keychain, whose process shares them).
    from_env: bool,
}

impl WindowSecrets {
    pub fn new(dir: DataDir) -> WindowSecrets {
        WindowSecrets { dir, opened: Arc::new(Mutex::new(None)), from_env: true }
    }

    /// A computer with no keychain where only the owner knows the passphrase.
    #[cfg(test)]
    pub fn without_keychain(dir: DataDir) -> WindowSecrets {
        WindowSecrets { dir, opened: Arc::new(Mutex::new(None)), from_env: false }
    }

    fn cached(&self) -> Option<SecretStore> {
        self.opened.lock().ok().and_then(|o| o.clone())
    }

    fn keep(&self, store: &SecretStore) {
        if let Ok(mut o) = self.opened.lock() {
            *o = Some(store.clone());
        }
    }

    /// The store: the one opened earlier in this run, else the keychain, else
    /// the vault with `WICKET_VAULT_PASSPHRASE`. [`Error::PassphraseNeeded`]
    /// when only the owner can open it (the UI asks, then [`unlock_vault`]).
    pub fn open(&self, data_dir_id: &str) -> Result<SecretStore> {
        if let Some(store) = self.cached() {
            return Ok(store);
        }
        let store = if self.from_env {
            SecretStore::open(&self.dir, data_dir_id, None)?
        } else {
            SecretStore::open_with(&self.dir, data_dir_id, secrets::StoreMode::Vault, &|| None)?
        };
        self.keep(&store);
        Ok(store)
    }

    /// For work that goes on without secrets when none can be opened (the
    /// demo; telling a provider a chat was read): an empty in-memory store.
    pub fn open_or_memory(&self, data_dir_id: &str) -> SecretStore {
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

fn data_dir_id(dir: &DataDir) -> Result<String> {
    Store::open(&dir.db_path())?.data_dir_id()
}

/// Where secrets are kept, and whether the window must ask for the passphrase.
#[tauri::command]
pub async fn vault_status(state: State<'_, AppState>) -> Res<VaultStatusDto> {
    let (dir, secrets) = (state.dir.clone(), state.secrets.clone());
    run(move || Ok(secrets.status(&data_dir_id(&dir)?))).await
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
    let (dir, secrets) = (state.dir.clone(), state.secrets.clone());
    let passphrase = Secret::new(args.passphrase);
    let create = args.create;
    let status = run(move || {
        let id = data_dir_id(&dir)?;
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
