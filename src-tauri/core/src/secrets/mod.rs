//! The secret store: access tokens, app secrets, verify tokens, API keys and
//! webhook secrets, kept out of SQLite, logs, exports, error messages and
//! crash output.
//!
//! Secrets live in the OS keychain (service `wicket`, keyring user
//! `{data_dir_id}/account/{account_id}/{secret_name}`, so two data dirs never
//! collide) or, where no keychain answers, in the encrypted `secrets.vault`
//! of the data dir. There is no plain-text fallback. `WICKET_SECRET_STORE`
//! picks the backend (`auto`, `keychain`, `vault`); the vault passphrase comes
//! from `WICKET_VAULT_PASSPHRASE` or from a prompt the caller supplies: the
//! core never prompts. Every call is blocking (D-Bus, Argon2id, file I/O);
//! async callers run it off the runtime. Logs may name a key, never a value.

mod keychain;
mod memory;
mod passphrase;
mod secret;
mod vault;

pub use keychain::{KeychainBackend, SERVICE};
pub use memory::MemoryBackend;
pub use passphrase::{strength as passphrase_strength, PassphraseStrength, MIN_SCORE as MIN_PASSPHRASE_SCORE};
pub use secret::{Secret, SecretName};
// The backup file reuses the vault's key derivation and key check.
pub(crate) use vault::{derive as derive_key, key_check, DerivedKey, KEY_LEN, SALT_LEN};
pub use vault::{KdfParams, VaultBackend, FORMAT_VERSION as VAULT_FORMAT_VERSION};

use crate::datadir::DataDir;
use crate::error::{Error, Result};
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

/// Selects the backend: `auto` (default), `keychain` or `vault`.
pub const STORE_ENV: &str = "WICKET_SECRET_STORE";
/// The vault passphrase, for scripts and headless machines.
pub const PASSPHRASE_ENV: &str = "WICKET_VAULT_PASSPHRASE";
/// What a "no secret stored" error tells the owner to do.
pub const REENTER_HINT: &str = "add it again in the account's settings or with `wicket account`";

/// One place where secrets are kept, addressed by full key. Implementations
/// are blocking and must never put a value in an error or a log line.
pub trait SecretBackend: Send + Sync {
    /// "keychain", "vault" or "memory".
    fn kind(&self) -> &'static str;
    fn get(&self, key: &str) -> Result<Option<Secret>>;
    fn set(&self, key: &str, value: &Secret) -> Result<()>;
    /// Whether an entry was there to remove; a missing entry is not an error.
    fn delete(&self, key: &str) -> Result<bool>;
}

/// The value of `WICKET_SECRET_STORE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreMode {
    /// The keychain if a real round trip works, else the vault if a passphrase is available.
    Auto,
    Keychain,
    Vault,
}

impl StoreMode {
    /// Parses the variable's value; unset or empty means `auto`.
    pub fn parse(value: Option<&str>) -> Result<StoreMode> {
        match value.map(str::trim) {
            None | Some("") => Ok(StoreMode::Auto),
            Some(v) if v.eq_ignore_ascii_case("auto") => Ok(StoreMode::Auto),
            Some(v) if v.eq_ignore_ascii_case("keychain") => Ok(StoreMode::Keychain),
            Some(v) if v.eq_ignore_ascii_case("vault") => Ok(StoreMode::Vault),
            Some(v) => Err(Error::Secrets(format!("unknown {STORE_ENV} value {v:?}: use auto, keychain or vault"))),
        }
    }

    /// Reads `WICKET_SECRET_STORE`.
    pub fn from_env() -> Result<StoreMode> {
        match std::env::var(STORE_ENV) {
            Ok(v) => StoreMode::parse(Some(&v)),
            Err(std::env::VarError::NotPresent) => Ok(StoreMode::Auto),
            Err(std::env::VarError::NotUnicode(_)) => Err(Error::Secrets(format!("{STORE_ENV} is not valid text: use auto, keychain or vault"))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            StoreMode::Auto => "auto",
            StoreMode::Keychain => "keychain",
            StoreMode::Vault => "vault",
        }
    }
}

/// `WICKET_VAULT_PASSPHRASE`, when set and not empty.
pub fn passphrase_from_env() -> Option<Secret> {
    std::env::var(PASSPHRASE_ENV).ok().filter(|p| !p.is_empty()).map(Secret::new)
}

/// The secret store of one data dir: a backend plus the data dir's id that
/// namespaces every key. Cheap to clone (the backend is shared), so it can be
/// moved into `spawn_blocking`.
#[derive(Clone)]
pub struct SecretStore {
    backend: Arc<dyn SecretBackend>,
    data_dir_id: String,
}

impl fmt::Debug for SecretStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretStore").field("kind", &self.kind()).field("data_dir_id", &self.data_dir_id).finish()
    }
}

impl SecretStore {
    /// Opens the store the environment asks for (`WICKET_SECRET_STORE`,
    /// `WICKET_VAULT_PASSPHRASE`). `prompt` asks the owner for the vault
    /// passphrase (the CLI passes a terminal prompt); it is called only when
    /// the vault is needed and the variable is not set.
    pub fn open(dir: &DataDir, data_dir_id: &str, prompt: Option<&dyn Fn() -> Option<Secret>>) -> Result<SecretStore> {
        let mode = StoreMode::from_env()?;
        let passphrase = || passphrase_from_env().or_else(|| prompt.and_then(|p| p()));
        SecretStore::open_with(dir, data_dir_id, mode, &passphrase)
    }

    /// [`SecretStore::open`] with the mode and passphrase source given
    /// explicitly, reading no environment variable.
    pub fn open_with(dir: &DataDir, data_dir_id: &str, mode: StoreMode, passphrase: &dyn Fn() -> Option<Secret>) -> Result<SecretStore> {
        check_id(data_dir_id)?;
        let keychain = KeychainBackend::new();
        let vault_exists = dir.vault_path().exists();
        let backend: Arc<dyn SecretBackend> = match choose(mode, || keychain.probe(data_dir_id), passphrase, vault_exists)? {
            Choice::Keychain => {
                if mode == StoreMode::Auto && dir.vault_path().exists() {
                    tracing::warn!(
                        vault = %dir.vault_path().display(),
                        "the OS keychain answers, so it is used; secrets in the existing vault are not read (set {STORE_ENV}=vault to use them)"
                    );
                }
                Arc::new(keychain)
            }
            Choice::Vault(pass) => Arc::new(VaultBackend::open(dir.vault_path(), pass)?),
        };
        tracing::debug!(backend = backend.kind(), mode = mode.as_str(), data_dir_id, "secret store opened");
        Ok(SecretStore { backend, data_dir_id: data_dir_id.to_string() })
    }

    /// The OS keychain, without probing it first (each call reports its own failure).
    pub fn keychain(data_dir_id: &str) -> Result<SecretStore> {
        SecretStore::from_backend(Arc::new(KeychainBackend::new()), data_dir_id)
    }

    /// The vault file at `path`; checks the passphrase now if the file exists.
    pub fn vault(path: impl Into<PathBuf>, passphrase: Secret, data_dir_id: &str) -> Result<SecretStore> {
        check_id(data_dir_id)?;
        SecretStore::from_backend(Arc::new(VaultBackend::open(path, passphrase)?), data_dir_id)
    }

    /// Creates the vault of `dir` with a new passphrase, for an owner whose
    /// computer has no keychain. Refuses a passphrase that is easy to guess
    /// (the vault file can be copied and attacked offline) and an existing
    /// vault (that one is unlocked, never replaced). The file is written now,
    /// so the passphrase is fixed from this moment.
    pub fn create_vault(dir: &DataDir, data_dir_id: &str, passphrase: Secret) -> Result<SecretStore> {
        check_id(data_dir_id)?;
        let strength = passphrase_strength(passphrase.expose());
        if !strength.acceptable {
            return Err(Error::Invalid(format!("this passphrase is too easy to guess: {}", strength.hint)));
        }
        let vault = VaultBackend::create(dir.vault_path(), passphrase)?;
        SecretStore::from_backend(Arc::new(vault), data_dir_id)
    }

    /// Opens the existing vault of `dir` with `passphrase`, checking it now.
    pub fn unlock_vault(dir: &DataDir, data_dir_id: &str, passphrase: Secret) -> Result<SecretStore> {
        if !dir.vault_path().exists() {
            return Err(Error::PassphraseNeeded {
                vault_exists: false,
                message: format!("there is no vault at {} yet: create one with a new passphrase", dir.vault_path().display()),
            });
        }
        SecretStore::vault(dir.vault_path(), passphrase, data_dir_id)
    }

    /// A store that lives only in this process: for tests of other modules.
    pub fn in_memory(data_dir_id: &str) -> SecretStore {
        SecretStore { backend: Arc::new(MemoryBackend::new()), data_dir_id: data_dir_id.to_string() }
    }

    /// The secret store an engine over `accounts` needs. When none of them
    /// keeps secrets (no account yet, or only the demo), a store that cannot
    /// be opened (no keychain answers, no vault passphrase) is no reason to
    /// stop sending: an empty in-memory store stands in. Otherwise `open`'s
    /// error is returned, for the owner to act on.
    pub fn open_for(accounts: &[crate::store::Account], data_dir_id: &str, open: impl FnOnce() -> Result<SecretStore>) -> Result<SecretStore> {
        match open() {
            Ok(s) => Ok(s),
            Err(e) if accounts.iter().any(|a| a.provider != crate::model::Provider::Demo) => Err(e),
            Err(e) => {
                tracing::debug!("no secret store ({e}); no account needs one");
                Ok(SecretStore::in_memory(data_dir_id))
            }
        }
    }

    /// Any backend, e.g. a failing fake in a test.
    pub fn from_backend(backend: Arc<dyn SecretBackend>, data_dir_id: &str) -> Result<SecretStore> {
        check_id(data_dir_id)?;
        Ok(SecretStore { backend, data_dir_id: data_dir_id.to_string() })
    }

    /// "keychain", "vault" or "memory".
    pub fn kind(&self) -> &'static str {
        self.backend.kind()
    }

    pub fn data_dir_id(&self) -> &str {
        &self.data_dir_id
    }

    /// The full storage key: `{data_dir_id}/account/{account_id}/{secret_name}`.
    pub fn key(&self, account_id: i64, name: SecretName) -> String {
        format!("{}/account/{account_id}/{}", self.data_dir_id, name.as_str())
    }

    pub fn set(&self, account_id: i64, name: SecretName, value: &Secret) -> Result<()> {
        if value.is_empty() {
            return Err(Error::Invalid(format!("the {} for account {account_id} is empty: nothing stored", name.label())));
        }
        let key = self.key(account_id, name);
        self.backend.set(&key, value)?;
        tracing::debug!(key, backend = self.kind(), "secret stored");
        Ok(())
    }

    /// The secret, or an error that says it is missing and how to add it.
    pub fn get(&self, account_id: i64, name: SecretName) -> Result<Secret> {
        self.get_opt(account_id, name)?
            .ok_or_else(|| Error::Secrets(format!("no {} stored for account {account_id} in {}: {REENTER_HINT}", name.label(), self.location())))
    }

    /// The secret, `None` when none is stored. A backend that cannot answer
    /// (locked keychain, no Secret Service, unreadable vault) gives
    /// [`Error::SecretsUnavailable`], so callers can tell "try again later"
    /// from "missing: re-enter it".
    pub fn get_opt(&self, account_id: i64, name: SecretName) -> Result<Option<Secret>> {
        self.backend.get(&self.key(account_id, name)).map_err(|e| match e {
            Error::Secrets(why) => Error::SecretsUnavailable(why),
            // Another process re-created the vault under a new passphrase.
            Error::PassphraseWrong => Error::SecretsUnavailable(Error::PassphraseWrong.to_string()),
            other => other,
        })
    }

    /// A secret of the data dir rather than of an account (the scheduled
    /// backups' passphrase), under `{data_dir_id}/app/{name}`.
    pub fn set_app(&self, name: &str, value: &Secret) -> Result<()> {
        if value.is_empty() {
            return Err(Error::Invalid(format!("the {name} is empty: nothing stored")));
        }
        self.backend.set(&format!("{}/app/{name}", self.data_dir_id), value)
    }

    pub fn get_app(&self, name: &str) -> Result<Option<Secret>> {
        self.backend.get(&format!("{}/app/{name}", self.data_dir_id))
    }

    pub fn delete_app(&self, name: &str) -> Result<bool> {
        self.backend.delete(&format!("{}/app/{name}", self.data_dir_id))
    }

    /// Whether there was an entry to remove.
    pub fn delete(&self, account_id: i64, name: SecretName) -> Result<bool> {
        let key = self.key(account_id, name);
        let removed = self.backend.delete(&key)?;
        tracing::debug!(key, removed, backend = self.kind(), "secret deleted");
        Ok(removed)
    }

    /// Removes every secret of the account (missing ones are fine) and
    /// returns how many were there. Tries them all even if one fails, then
    /// reports the first failure.
    pub fn delete_account(&self, account_id: i64) -> Result<usize> {
        let mut removed = 0;
        let mut first_error = None;
        for name in SecretName::ALL {
            match self.delete(account_id, name) {
                Ok(true) => removed += 1,
                Ok(false) => {}
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        first_error.map_or(Ok(removed), Err)
    }

    fn location(&self) -> String {
        match self.kind() {
            "keychain" => "the keychain".into(),
            "vault" => "the vault".into(),
            other => format!("the {other} secret store"),
        }
    }
}

/// The id goes into every key; a `/` would let one id's keys shadow another's.
fn check_id(data_dir_id: &str) -> Result<()> {
    if data_dir_id.is_empty() || data_dir_id.contains('/') || data_dir_id.chars().any(char::is_control) {
        return Err(Error::Invalid(format!("invalid data dir id {data_dir_id:?}: it must be non-empty, without '/'")));
    }
    Ok(())
}

/// Which backend to open.
#[derive(Debug)]
enum Choice {
    Keychain,
    Vault(Secret),
}

/// The selection rules, apart from the real keychain and files so they can be
/// tested: `probe` is the keychain round trip, `passphrase` is asked lazily.
fn choose(mode: StoreMode, probe: impl FnOnce() -> Result<()>, passphrase: &dyn Fn() -> Option<Secret>, vault_exists: bool) -> Result<Choice> {
    let passphrase = || passphrase().filter(|p| !p.is_empty());
    match mode {
        StoreMode::Keychain => match probe() {
            Ok(()) => Ok(Choice::Keychain),
            Err(e) => Err(Error::Secrets(format!("{e} ({STORE_ENV}=keychain, so the vault is not used)"))),
        },
        StoreMode::Vault => passphrase().map(Choice::Vault).ok_or_else(|| Error::PassphraseNeeded {
            vault_exists,
            message: format!("{STORE_ENV}=vault but no vault passphrase is set: set {PASSPHRASE_ENV} (or run wicket in a terminal to be asked)"),
        }),
        StoreMode::Auto => match probe() {
            Ok(()) => Ok(Choice::Keychain),
            Err(e) => {
                tracing::info!(reason = %e, "no OS keychain answered; trying the vault");
                passphrase().map(Choice::Vault).ok_or_else(|| Error::PassphraseNeeded {
                    vault_exists,
                    message: format!(
                        "no OS keychain answered and no vault passphrase is set: start a Secret Service (e.g. gnome-keyring) or set {PASSPHRASE_ENV}"
                    ),
                })
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn secret(s: &str) -> Secret {
        Secret::new(s.to_string())
    }

    fn no_keychain() -> Result<()> {
        Err(Error::Secrets("the OS keychain could not store x: no bus".into()))
    }

    #[test]
    fn only_accounts_with_secrets_need_a_secret_store() {
        use crate::model::{AccountStatus, Provider};
        let account = |id, provider| crate::store::Account {
            id,
            provider,
            name: "A".into(),
            phone: None,
            status: AccountStatus::Ok,
            status_reason: None,
            status_since: None,
            enabled: true,
            config: serde_json::json!({}),
            created_at: 0,
            updated_at: 0,
            last_sync_at: None,
            last_sync_result: None,
        };
        let unavailable = || Err(Error::Secrets("no OS keychain answered and no vault passphrase is set".into()));
        assert_eq!(SecretStore::open_for(&[], "d", unavailable).unwrap().kind(), "memory", "no account yet");
        let demo = [account(1, Provider::Demo)];
        assert_eq!(SecretStore::open_for(&demo, "d", unavailable).unwrap().kind(), "memory", "the demo never needs one");
        let both = [account(1, Provider::Demo), account(2, Provider::Meta)];
        let e = SecretStore::open_for(&both, "d", unavailable).unwrap_err();
        assert!(e.to_string().contains("no vault passphrase"), "{e}");
        let opened = SecretStore::open_for(&both, "d", || Ok(SecretStore::in_memory("d"))).unwrap();
        assert_eq!(opened.data_dir_id(), "d");
    }

    #[test]
    fn keys_are_namespaced_by_data_dir_id() {
        let backend: Arc<dyn SecretBackend> = Arc::new(MemoryBackend::new());
        let a = SecretStore::from_backend(backend.clone(), "dir-a").unwrap();
        let b = SecretStore::from_backend(backend, "dir-b").unwrap();
        assert_eq!(a.key(3, SecretName::AccessToken), "dir-a/account/3/access_token");
        a.set(3, SecretName::AccessToken, &secret("token-a")).unwrap();
        b.set(3, SecretName::AccessToken, &secret("token-b")).unwrap();
        assert_eq!(a.get(3, SecretName::AccessToken).unwrap().expose(), "token-a", "two data dirs never collide");
        assert_eq!(b.get(3, SecretName::AccessToken).unwrap().expose(), "token-b");
        b.delete_account(3).unwrap();
        assert_eq!(a.get(3, SecretName::AccessToken).unwrap().expose(), "token-a", "deleting in one dir spares the other");
    }

    #[test]
    fn bad_data_dir_ids_are_refused() {
        for id in ["", "a/b", "a\nb"] {
            assert!(matches!(SecretStore::from_backend(Arc::new(MemoryBackend::new()), id), Err(Error::Invalid(_))), "{id:?}");
        }
    }

    #[test]
    fn missing_secret_error_says_what_and_where() {
        let store = SecretStore::in_memory("d");
        assert!(store.get_opt(3, SecretName::AccessToken).unwrap().is_none());
        let err = store.get(3, SecretName::AccessToken).unwrap_err();
        assert!(matches!(err, Error::Secrets(_)) && err.exit_code() == 6);
        assert_eq!(err.to_string(), format!("no access token stored for account 3 in the memory secret store: {REENTER_HINT}"));
    }

    /// A backend that cannot answer, as a locked keychain does.
    struct Locked;

    impl SecretBackend for Locked {
        fn kind(&self) -> &'static str {
            "keychain"
        }
        fn get(&self, key: &str) -> Result<Option<Secret>> {
            Err(Error::Secrets(format!("the OS keychain could not read {key}: the keychain refused access, is it locked?")))
        }
        fn set(&self, _: &str, _: &Secret) -> Result<()> {
            Err(Error::Secrets("locked".into()))
        }
        fn delete(&self, _: &str) -> Result<bool> {
            Err(Error::Secrets("locked".into()))
        }
    }

    #[test]
    fn an_unanswered_read_is_unavailable_not_missing() {
        let store = SecretStore::from_backend(Arc::new(Locked), "d").unwrap();
        let err = store.get(3, SecretName::AccessToken).unwrap_err();
        assert!(matches!(err, Error::SecretsUnavailable(_)), "a locked keychain is worth another try: {err:?}");
        assert!(err.to_string().contains("is it locked?"), "{err}");
        assert_eq!((err.code(), err.exit_code()), ("secrets_unavailable", 6), "the public code and exit code stay");
        let missing = SecretStore::in_memory("d").get(3, SecretName::AccessToken).unwrap_err();
        assert!(matches!(missing, Error::Secrets(_)), "a missing secret stays `Secrets`: {missing:?}");
    }

    #[test]
    fn delete_account_removes_every_name_and_only_that_account() {
        let store = SecretStore::in_memory("d");
        for name in SecretName::ALL {
            store.set(1, name, &secret(&format!("v-{}", name.as_str()))).unwrap();
        }
        store.set(2, SecretName::ApiKey, &secret("keep-me")).unwrap();
        assert_eq!(store.delete_account(1).unwrap(), SecretName::ALL.len());
        for name in SecretName::ALL {
            assert!(store.get_opt(1, name).unwrap().is_none(), "{} must be gone", name.as_str());
        }
        assert_eq!(store.get(2, SecretName::ApiKey).unwrap().expose(), "keep-me");
        assert_eq!(store.delete_account(1).unwrap(), 0, "deleting again is fine");
        assert!(!store.delete(1, SecretName::AppSecret).unwrap());
    }

    #[test]
    fn empty_values_are_not_stored() {
        let store = SecretStore::in_memory("d");
        assert!(matches!(store.set(1, SecretName::ApiKey, &secret("")), Err(Error::Invalid(_))));
    }

    #[test]
    fn store_mode_parsing() {
        assert_eq!(StoreMode::parse(None).unwrap(), StoreMode::Auto);
        assert_eq!(StoreMode::parse(Some("")).unwrap(), StoreMode::Auto);
        assert_eq!(StoreMode::parse(Some("auto")).unwrap(), StoreMode::Auto);
        assert_eq!(StoreMode::parse(Some("keychain")).unwrap(), StoreMode::Keychain);
        assert_eq!(StoreMode::parse(Some(" Vault ")).unwrap(), StoreMode::Vault);
        let err = StoreMode::parse(Some("plaintext")).unwrap_err();
        assert!(matches!(err, Error::Secrets(_)));
        assert!(err.to_string().contains("WICKET_SECRET_STORE") && err.to_string().contains("auto, keychain or vault"), "{err}");
    }

    #[test]
    fn auto_prefers_a_working_keychain_and_does_not_ask_for_a_passphrase() {
        let asked = Cell::new(false);
        let ask = || {
            asked.set(true);
            Some(secret("pw"))
        };
        assert!(matches!(choose(StoreMode::Auto, || Ok(()), &ask, false), Ok(Choice::Keychain)));
        assert!(!asked.get(), "keychain users are never prompted");
    }

    #[test]
    fn auto_falls_back_to_the_vault_only_with_a_passphrase() {
        assert!(matches!(choose(StoreMode::Auto, no_keychain, &|| Some(secret("pw")), false), Ok(Choice::Vault(_))));
        for none in [None, Some(secret(""))] {
            let err = choose(StoreMode::Auto, no_keychain, &|| none.clone(), false).unwrap_err();
            assert!(matches!(err, Error::PassphraseNeeded { vault_exists: false, .. }), "the window asks for one: {err:?}");
            assert_eq!(
                err.to_string(),
                "no OS keychain answered and no vault passphrase is set: start a Secret Service (e.g. gnome-keyring) or set WICKET_VAULT_PASSPHRASE"
            );
        }
    }

    #[test]
    fn forced_modes_do_not_fall_back() {
        let err = choose(StoreMode::Keychain, no_keychain, &|| Some(secret("pw")), false).unwrap_err();
        assert!(err.to_string().contains("no bus") && err.to_string().contains("=keychain"), "{err}");
        let probed = Cell::new(false);
        let probe = || {
            probed.set(true);
            Ok(())
        };
        assert!(matches!(choose(StoreMode::Vault, probe, &|| Some(secret("pw")), false), Ok(Choice::Vault(_))));
        assert!(!probed.get(), "vault mode never touches the keychain");
        let err = choose(StoreMode::Vault, || Ok(()), &|| None, true).unwrap_err();
        assert!(matches!(err, Error::PassphraseNeeded { vault_exists: true, .. }), "{err:?}");
        assert!(err.to_string().contains("WICKET_VAULT_PASSPHRASE"), "{err}");
    }

    #[test]
    fn vault_store_through_the_front() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::open(tmp.path()).unwrap();
        let store = SecretStore::open_with(&dir, "d1", StoreMode::Vault, &|| Some(secret("pw"))).unwrap();
        assert_eq!(store.kind(), "vault");
        store.set(7, SecretName::WebhookSecret, &secret("whsec")).unwrap();
        let again = SecretStore::vault(dir.vault_path(), secret("pw"), "d1").unwrap();
        assert_eq!(again.get(7, SecretName::WebhookSecret).unwrap().expose(), "whsec");
        let err = again.get(7, SecretName::AccessToken).unwrap_err();
        assert!(err.to_string().starts_with("no access token stored for account 7 in the vault"), "{err}");
        assert_eq!(again.delete_account(7).unwrap(), 1);
        assert!(store.get_opt(7, SecretName::WebhookSecret).unwrap().is_none());
    }

    #[test]
    fn a_vault_is_created_once_with_a_strong_passphrase_then_unlocked() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::open(tmp.path()).unwrap();
        let strong = "copper lantern orbit meadow";
        let err = SecretStore::unlock_vault(&dir, "d", secret(strong)).unwrap_err();
        assert!(matches!(err, Error::PassphraseNeeded { vault_exists: false, .. }), "nothing to unlock yet: {err:?}");
        let err = SecretStore::create_vault(&dir, "d", secret("password1")).unwrap_err();
        assert!(matches!(err, Error::Invalid(_)) && err.to_string().starts_with("this passphrase is too easy to guess"), "{err}");
        assert!(!dir.vault_path().exists(), "a refused passphrase creates nothing");

        let created = SecretStore::create_vault(&dir, "d", secret(strong)).unwrap();
        assert!(dir.vault_path().exists(), "the file is written at once, fixing the passphrase");
        created.set(4, SecretName::ApiKey, &secret("key-4")).unwrap();
        let err = SecretStore::create_vault(&dir, "d", secret("another strong meadow lantern")).unwrap_err();
        assert!(err.to_string().contains("a vault already exists"), "an existing vault is never replaced: {err}");

        let err = SecretStore::unlock_vault(&dir, "d", secret("wrong horse battery")).unwrap_err();
        assert!(matches!(err, Error::PassphraseWrong), "{err:?}");
        let unlocked = SecretStore::unlock_vault(&dir, "d", secret(strong)).unwrap();
        assert_eq!(unlocked.get(4, SecretName::ApiKey).unwrap().expose(), "key-4");
        let needed = SecretStore::open_with(&dir, "d", StoreMode::Vault, &|| None).unwrap_err();
        assert!(matches!(needed, Error::PassphraseNeeded { vault_exists: true, .. }), "{needed:?}");
    }
}
