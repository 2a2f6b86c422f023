//! The accounts and their verification secrets as the listener sees them:
//! held in memory, so that checking a request never reads SQLite, the
//! keychain or the vault on the request's path.
//!
//! The rules kept here: every blocking read (SQLite, secret store) runs in
//! one refresher task on the blocking pool, one at a time, never on the
//! reactor threads. The refresher looks at `PRAGMA data_version` every
//! `refresh_interval` and re-reads the account rows only when another
//! connection committed; an account whose provider or config changed, or
//! that is new, has its secrets read again. Requests that find no account,
//! or a secret that is missing or does not match, may ask for one more look
//! (`Credentials::look_again`), at most once per `secret_reload_interval`
//! per account: secrets are stored just after their account's row, and a
//! gateway's webhook secret can be added later, without the row changing.

use super::routes::Target;
use super::server::stopped;
use crate::model::Provider;
use crate::secrets::{Secret, SecretName, SecretStore};
use crate::store::{Account, Store};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;
use tokio::sync::{watch, Notify};

/// One account and the secrets that authenticate its webhooks.
pub(crate) struct Entry {
    pub account: Account,
    /// Meta: the app secret (POST signatures) and the verify token (GET handshake).
    pub app_secret: Option<Secret>,
    pub verify_token: Option<Secret>,
    /// WASender and UniPile: the shared secret in a header.
    pub webhook_secret: Option<Secret>,
    /// Why the secret store could not be read, when it could not.
    pub unavailable: Option<String>,
    /// When the secrets were read.
    loaded: Instant,
}

impl Entry {
    fn load(account: Account, secrets: &SecretStore) -> Entry {
        let mut entry = Entry { account, app_secret: None, verify_token: None, webhook_secret: None, unavailable: None, loaded: Instant::now() };
        let names: &[SecretName] = match entry.account.provider {
            Provider::Meta => &[SecretName::AppSecret, SecretName::VerifyToken],
            Provider::Wasender | Provider::Unipile => &[SecretName::WebhookSecret],
            _ => &[],
        };
        for name in names {
            match secrets.get_opt(entry.account.id, *name) {
                Ok(value) => match name {
                    SecretName::AppSecret => entry.app_secret = value,
                    SecretName::VerifyToken => entry.verify_token = value,
                    _ => entry.webhook_secret = value,
                },
                Err(e) => entry.unavailable = Some(e.to_string()),
            }
        }
        entry
    }

    /// What, when changed, means the secrets must be read again.
    fn fingerprint(account: &Account) -> (Provider, &serde_json::Value) {
        (account.provider, &account.config)
    }

    /// Whether this Meta account's app secret is `secret` (constant time).
    pub fn shares_app_secret(&self, secret: &Secret) -> bool {
        self.app_secret.as_ref().is_some_and(|mine| bool::from(mine.expose().as_bytes().ct_eq(secret.expose().as_bytes())))
    }
}

/// The listener's in-memory accounts, kept fresh by [`Credentials::refresher`].
pub(crate) struct Credentials {
    accounts: RwLock<HashMap<i64, Arc<Entry>>>,
    /// The read connection and the last `data_version` seen; used only by the refresher.
    store: Mutex<(Store, Option<i64>)>,
    secrets: Arc<SecretStore>,
    secret_reload_interval: Duration,
    /// Accounts whose secrets a request asked to read again.
    wanted: Mutex<HashSet<i64>>,
    nudge: Notify,
    /// Refreshes begun, and the last one finished (the waiters' signal).
    started: AtomicU64,
    finished: watch::Sender<u64>,
}

impl Credentials {
    /// Reads every account and its secrets (blocking: at start only).
    pub fn load(store: Store, secrets: Arc<SecretStore>, secret_reload_interval: Duration) -> crate::Result<Credentials> {
        let (finished, _) = watch::channel(0);
        let me = Credentials {
            accounts: RwLock::new(HashMap::new()),
            store: Mutex::new((store, None)),
            secrets,
            secret_reload_interval,
            wanted: Mutex::new(HashSet::new()),
            nudge: Notify::new(),
            started: AtomicU64::new(0),
            finished,
        };
        me.refresh()?;
        Ok(me)
    }

    pub fn get(&self, id: i64) -> Option<Arc<Entry>> {
        self.accounts.read().unwrap_or_else(|p| p.into_inner()).get(&id).cloned()
    }

    /// The Meta account (lowest id) whose config has `key` = `value` and
    /// whose app secret is `secret`; [`Target::OtherApp`] when accounts have
    /// that number but none shares the secret (another app's number).
    pub fn meta_account_by_config(&self, key: &str, value: &str, secret: &Secret) -> Target {
        let accounts = self.accounts.read().unwrap_or_else(|p| p.into_inner());
        let mut with_number: Vec<&Arc<Entry>> =
            accounts.values().filter(|e| e.account.provider == Provider::Meta && e.account.config_str(key) == Some(value)).collect();
        with_number.sort_by_key(|e| e.account.id);
        match with_number.iter().find(|e| e.shares_app_secret(secret)) {
            Some(e) => Target::Account(e.account.id),
            None if with_number.is_empty() => Target::Unknown,
            None => Target::OtherApp,
        }
    }

    /// Every Meta account with `key` = `value` whose app secret is `secret`
    /// (a business account's numbers of the app that signed), in id order.
    pub fn meta_accounts_by_config(&self, key: &str, value: &str, secret: &Secret) -> Target {
        let accounts = self.accounts.read().unwrap_or_else(|p| p.into_inner());
        let with_key: Vec<&Arc<Entry>> =
            accounts.values().filter(|e| e.account.provider == Provider::Meta && e.account.config_str(key) == Some(value)).collect();
        let mut signed: Vec<i64> = with_key.iter().filter(|e| e.shares_app_secret(secret)).map(|e| e.account.id).collect();
        signed.sort_unstable();
        match (signed.is_empty(), with_key.is_empty()) {
            (false, _) => Target::Accounts(signed),
            (true, true) => Target::Unknown,
            (true, false) => Target::OtherApp,
        }
    }

    /// Asks the refresher to read the accounts again (and, with `secrets_of`,
    /// that account's secrets, unless they were read less than
    /// `secret_reload_interval` ago), and waits for it, up to `wait`.
    /// Returns false when there was nothing to ask (read too recently).
    pub async fn look_again(&self, secrets_of: Option<i64>, wait: Duration) -> bool {
        if let Some(id) = secrets_of {
            if self.get(id).is_some_and(|e| e.loaded.elapsed() < self.secret_reload_interval) {
                return false;
            }
            self.wanted.lock().unwrap_or_else(|p| p.into_inner()).insert(id);
        }
        let mut finished = self.finished.subscribe();
        let begun = self.started.load(Ordering::SeqCst);
        self.nudge.notify_one();
        let _ = tokio::time::timeout(wait, async move {
            let _ = finished.wait_for(|done| *done > begun).await;
        })
        .await;
        true
    }

    /// Runs until the listener stops: a refresh every `interval`, or sooner
    /// when a request asks; each on the blocking pool, one at a time.
    pub async fn refresher(self: Arc<Self>, interval: Duration, mut stop: watch::Receiver<bool>) {
        /// Asked-for refreshes are this far apart at least, whatever the traffic.
        const MIN_GAP: Duration = Duration::from_millis(100);
        loop {
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = self.nudge.notified() => {}
                _ = stopped(&mut stop) => return,
            }
            let me = self.clone();
            let id = self.started.fetch_add(1, Ordering::SeqCst) + 1;
            match tokio::task::spawn_blocking(move || me.refresh()).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::warn!("the webhook listener could not read the accounts: {e}"),
                Err(e) => tracing::error!("the webhook listener's account refresh failed: {e}"),
            }
            self.finished.send_replace(id);
            tokio::time::sleep(MIN_GAP).await;
        }
    }

    /// Blocking: reads the rows again if another connection committed, and
    /// the secrets of new, changed or asked-for accounts.
    fn refresh(&self) -> crate::Result<()> {
        let wanted: HashSet<i64> = std::mem::take(&mut *self.wanted.lock().unwrap_or_else(|p| p.into_inner()));
        let mut guard = self.store.lock().unwrap_or_else(|p| p.into_inner());
        let (store, seen) = &mut *guard;
        let version = store.data_version()?;
        let rows_changed = *seen != Some(version);
        let due = |e: &Entry| e.loaded.elapsed() >= self.secret_reload_interval;
        let current = self.accounts.read().unwrap_or_else(|p| p.into_inner()).clone();
        let mut next: HashMap<i64, Arc<Entry>> = if rows_changed { HashMap::new() } else { current.clone() };
        if rows_changed {
            for account in store.accounts()? {
                let keep = current
                    .get(&account.id)
                    .filter(|old| Entry::fingerprint(&old.account) == Entry::fingerprint(&account) && !(wanted.contains(&account.id) && due(old)));
                let entry = match keep {
                    Some(old) => Arc::new(Entry {
                        account,
                        app_secret: old.app_secret.clone(),
                        verify_token: old.verify_token.clone(),
                        webhook_secret: old.webhook_secret.clone(),
                        unavailable: old.unavailable.clone(),
                        loaded: old.loaded,
                    }),
                    None => Arc::new(Entry::load(account, &self.secrets)),
                };
                next.insert(entry.account.id, entry);
            }
            *seen = Some(version);
        } else {
            for id in wanted {
                if let Some(old) = current.get(&id).filter(|e| due(e)) {
                    next.insert(id, Arc::new(Entry::load(old.account.clone(), &self.secrets)));
                }
            }
        }
        *self.accounts.write().unwrap_or_else(|p| p.into_inner()) = next;
        Ok(())
    }
}
