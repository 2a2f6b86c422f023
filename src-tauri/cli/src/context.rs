//! What every command needs: the data dir, the store, logging, and (only
//! for commands that use credentials) the secret store.

use std::sync::Arc;
use wicket_core::secrets::{Secret, SecretStore};
use wicket_core::{DataDir, Result, Store};

pub struct Context {
    pub dir: DataDir,
    pub store: Store,
    pub json: bool,
    _log_guard: Option<wicket_core::logs::WorkerGuard>,
}

impl Context {
    /// `long_running`: `wicket serve` (a writer thread for its logs); other
    /// commands open their log file only if they log something.
    pub fn open(data_dir: Option<&std::path::Path>, json: bool, long_running: bool) -> Result<Context> {
        // A mistyped --data-dir would otherwise become a new, empty inbox without a word.
        let new = data_dir.is_some_and(|d| !d.exists());
        let dir = DataDir::resolve(data_dir)?;
        if new {
            eprintln!("created a new data dir at {}", dir.root().display());
        }
        let guard = init_logging(&dir, long_running);
        let store = Store::open(&dir.db_path())?;
        Ok(Context { dir, store, json, _log_guard: guard })
    }

    /// Opens the secret store (keychain, else the vault), prompting for the
    /// vault passphrase on a terminal when the environment does not give it.
    pub fn secrets(&mut self) -> Result<Arc<SecretStore>> {
        let id = self.store.data_dir_id()?;
        let prompt = || -> Option<Secret> {
            use std::io::IsTerminal;
            if !std::io::stdin().is_terminal() {
                return None;
            }
            rpassword::prompt_password("Vault passphrase: ").ok().filter(|p| !p.is_empty()).map(Secret::new)
        };
        Ok(Arc::new(SecretStore::open(&self.dir, &id, Some(&prompt))?))
    }

    /// Content stays hidden while the app lock is on (`Error::Locked`).
    pub fn ensure_unlocked(&self) -> Result<()> {
        wicket_core::applock::ensure_unlocked(&self.store)
    }

    pub fn country(&self) -> Result<String> {
        self.store.default_country()
    }
}

/// Logs go to `logs/wicket.log.YYYY-MM-DD` in the data dir, owner-only,
/// rotated daily and pruned ([`wicket_core::logs`]; RUST_LOG sets the level);
/// stderr stays for the one-line errors of the CLI conventions.
fn init_logging(dir: &DataDir, long_running: bool) -> Option<wicket_core::logs::WorkerGuard> {
    if long_running {
        wicket_core::logs::init(dir, "wicket")
    } else {
        wicket_core::logs::init_lazy(dir, "wicket");
        None
    }
}

/// Parses an id argument ("12"), refusing anything else as a usage error.
pub fn parse_id(s: &str, what: &str) -> Result<i64> {
    s.trim().parse::<i64>().map_err(|_| wicket_core::Error::Invalid(format!("{what} must be a numeric id, got {s:?}")))
}
