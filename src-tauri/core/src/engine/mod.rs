//! The background engine: one per data dir (it holds `engine.lock`). It runs
//! the webhook listener when enabled and supervises one set of workers per
//! enabled account (`worker`): a quick and an upload send lane, a media
//! downloader and the periodic work (polls, state checks, status re-checks,
//! profile pictures, contact syncs). Each worker has its own store connection,
//! so one account's hung provider, slow upload or throttling never delays
//! another account, and a long transfer never delays sending.
//!
//! The supervisor (`Engine::run`) only starts, rebuilds and stops workers as
//! accounts change (noticed through SQLite's `data_version`, also for changes
//! made by another process), runs the data dir's periodic jobs (`jobs`) and
//! shuts everything down. Every wait a provider can ask for is bounded (`wait`).

mod client;
mod jobs;
mod media;
mod periodic;
mod schedule;
mod secrets_wait;
mod send;
pub mod wait;
mod worker;

pub use jobs::{JobFn, PeriodicJob};

use crate::datadir::DataDir;
use crate::engine_lock::EngineLock;
use crate::error::{Error, ErrorKind, ProviderError, Result};
use crate::model::{MessageStatus, Provider};
use crate::secrets::SecretStore;
use crate::store::Store;
use crate::time::now_ms;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// How often the supervisor and each worker look for work.
const TICK: Duration = Duration::from_millis(250);
/// How long shutdown waits for sends in flight before cutting them off (a
/// send cut off keeps its claim: the outbox settles it after a restart).
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// What the engine tells its host (the desktop shell turns these into UI
/// events and notifications; `wicket serve` logs them).
#[derive(Debug, Clone)]
pub enum EngineEvent {
    /// Webhooks committed new messages or statuses.
    Webhook(crate::webhook::WebhookOutcome),
    /// The outbox settled a message (sent or failed).
    MessageSettled { message_id: i64, status: MessageStatus },
    /// A media file finished downloading (or failed for now).
    MediaFetched { media_id: i64, ok: bool },
    /// A poll (UniPile) or a status check stored new messages or statuses.
    Polled { account_id: i64, applied: crate::ingest::Applied },
    /// An account's connection state changed.
    AccountState { account_id: i64, status: crate::model::AccountStatus, reason: Option<String> },
    /// A periodic contact sync finished.
    ContactsSynced { account_id: i64, summary: crate::sync::ContactSyncSummary },
    /// A scheduled message's time came: it went to the outbox as
    /// `message_id`, or failed (too late, or refused then).
    ScheduledReleased { account_id: i64, released: crate::scheduled::Released },
}

/// Default seconds between polls of a polling account while the app is in
/// use (account config `poll_interval`).
pub const DEFAULT_POLL_SECONDS: u64 = 5;
/// Default hours between background contact syncs (setting `contact_sync_hours`, 0 = off).
pub const DEFAULT_CONTACT_SYNC_HOURS: f64 = 6.0;
/// How long one sign of use ([`Activity::touch`], [`mark_in_use`]) counts as
/// "the app is in use".
pub const ACTIVE_FOR: Duration = Duration::from_secs(120);
/// The setting another process (the desktop app while `wicket serve` holds
/// the engine) writes to say the app is in use until then (Unix ms).
pub const IN_USE_UNTIL: &str = "in_use_until";
const STATE_CHECK: Duration = Duration::from_secs(60);
const STATUS_RECHECK: Duration = Duration::from_secs(30);
/// How soon a contact sync that could not start is tried again.
const SYNC_RETRY: Duration = Duration::from_secs(60);
/// How long background profile pictures pause after a retryable failure
/// the provider gave no Retry-After for.
const PICTURE_PAUSE: Duration = Duration::from_secs(60);

/// Whether the owner is using the app: polling accounts are polled at their
/// `poll_interval` while in use, at their (slower) `idle_poll_interval`
/// otherwise. A headless engine (`wicket serve`) is idle until told.
///
/// The host calls [`Activity::touch`] on user input and window focus (each
/// call counts for [`ACTIVE_FOR`]), or [`Activity::set_active`] to pin the
/// state (focus gained: `true`; window hidden: `false`). Clones share state.
#[derive(Debug, Clone, Default)]
pub struct Activity {
    /// Unix ms until which the app counts as in use; `i64::MAX` when pinned.
    until: Arc<std::sync::atomic::AtomicI64>,
}

impl Activity {
    /// The owner did something: in use for the next [`ACTIVE_FOR`].
    pub fn touch(&self) {
        let until = now_ms() + ACTIVE_FOR.as_millis() as i64;
        // Never shortens a pinned state.
        self.until.fetch_max(until, std::sync::atomic::Ordering::Relaxed);
    }

    /// In use until told otherwise (`true`), or idle from now (`false`).
    pub fn set_active(&self, active: bool) {
        self.until.store(if active { i64::MAX } else { 0 }, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn is_active(&self) -> bool {
        self.until.load(std::sync::atomic::Ordering::Relaxed) > now_ms()
    }
}

/// Tells an engine in another process that the app is in use (for
/// [`ACTIVE_FOR`]): the desktop app calls it, at most every few seconds, when
/// `wicket serve` holds the engine and [`Activity`] cannot reach it.
pub fn mark_in_use(store: &mut Store) -> Result<()> {
    store.set_setting(IN_USE_UNTIL, &serde_json::json!(now_ms() + ACTIVE_FOR.as_millis() as i64))
}

/// An account's poll intervals: (in use, idle). From its config
/// `poll_interval` and `idle_poll_interval` (seconds); idle defaults to four
/// times the active interval, at most a minute (never faster than active;
/// the demo account is not slowed down).
pub fn poll_intervals(account: &crate::store::Account) -> (Duration, Duration) {
    let secs = |k: &str| account.config.get(k).and_then(|v| v.as_u64()).filter(|s| *s > 0);
    let active = secs("poll_interval").unwrap_or(DEFAULT_POLL_SECONDS);
    // The demo's simulated customers answer through polling: never slowed down.
    let idle_default = if account.provider == Provider::Demo { active } else { active.saturating_mul(4).min(60) };
    let idle = secs("idle_poll_interval").unwrap_or(idle_default).max(active);
    (Duration::from_secs(active), Duration::from_secs(idle))
}

/// Stores an account's poll intervals in its config (the engine picks them
/// up at its next pass). `idle` of `None` keeps the stored one.
pub fn set_poll_intervals(store: &mut Store, account_id: i64, active: Option<u64>, idle: Option<u64>) -> Result<crate::store::Account> {
    let account = store.account(account_id)?;
    if active.is_none() && idle.is_none() {
        return Err(Error::Invalid("nothing to change: give --poll-interval SECONDS and/or --idle-poll-interval SECONDS".into()));
    }
    for (name, v) in [("--poll-interval", active), ("--idle-poll-interval", idle)] {
        if v == Some(0) || v.is_some_and(|v| v > 86_400) {
            return Err(Error::Invalid(format!("{name} takes 1 to 86400 seconds")));
        }
    }
    let mut config = if account.config.is_object() { account.config.clone() } else { serde_json::json!({}) };
    if let Some(a) = active {
        config["poll_interval"] = serde_json::json!(a);
    }
    if let Some(i) = idle {
        config["idle_poll_interval"] = serde_json::json!(i);
    }
    let (a, i) = (config["poll_interval"].as_u64(), config["idle_poll_interval"].as_u64());
    if let (Some(a), Some(i)) = (a, i) {
        if i < a {
            return Err(Error::Invalid(format!("the idle interval ({i} s) cannot be shorter than the in-use interval ({a} s)")));
        }
    }
    store.update_account_config(account_id, &config)?;
    store.account(account_id)
}

pub struct Engine {
    dir: DataDir,
    secrets: Arc<SecretStore>,
    store: Store,
    listener: Option<crate::webhook::WebhookServer>,
    events: tokio::sync::broadcast::Sender<EngineEvent>,
    activity: Activity,
    jobs: Vec<PeriodicJob>,
    _lock: EngineLock,
}

impl Engine {
    /// Takes the engine lock and, when `listen` is given, binds the webhook
    /// listener. Returns once bound, so the caller can say where.
    pub fn start(dir: DataDir, secrets: Arc<SecretStore>, listen: Option<SocketAddr>) -> Result<Engine> {
        let lock = EngineLock::acquire(&dir)?;
        let store = Store::open(&dir.db_path())?;
        let (events, _) = tokio::sync::broadcast::channel(256);
        let listener = match listen {
            Some(addr) => {
                let tx = events.clone();
                let sink: crate::webhook::EventSink = Arc::new(move |outcome| {
                    let _ = tx.send(EngineEvent::Webhook(outcome));
                });
                let deps = crate::webhook::WebhookDeps { db_path: dir.db_path(), secrets: secrets.clone(), sink: Some(sink) };
                Some(crate::webhook::WebhookServer::start(crate::webhook::ListenerConfig::with_addr(addr), deps)?)
            }
            None => None,
        };
        let jobs = jobs::builtin_with(secrets.clone());
        Ok(Engine { dir, secrets, store, listener, events, activity: Activity::default(), jobs, _lock: lock })
    }

    /// The "in use" signal: the host calls [`Activity::touch`] on user input
    /// and window focus; without it the engine counts as idle (headless).
    pub fn activity(&self) -> Activity {
        self.activity.clone()
    }

    /// Adds a periodic job to the built-in ones (before [`Engine::run`]).
    pub fn add_periodic_job(&mut self, job: PeriodicJob) {
        self.jobs.push(job);
    }

    /// Subscribes to what the engine does (new messages, settled sends).
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<EngineEvent> {
        self.events.subscribe()
    }

    pub fn listen_addr(&self) -> Option<SocketAddr> {
        self.listener.as_ref().map(|l| l.local_addr())
    }

    /// Runs until `shutdown` completes, then stops cleanly: the listener
    /// stops accepting and finishes what it took, every worker is told to
    /// stop, and sends in flight get [`SHUTDOWN_GRACE`] to finish.
    pub async fn run(mut self, shutdown: impl std::future::Future<Output = ()>) -> Result<()> {
        tokio::pin!(shutdown);
        let shared = worker::Shared { dir: self.dir.clone(), secrets: self.secrets.clone(), events: self.events.clone(), activity: self.activity.clone() };
        let mut supervisor = Supervisor { shared, workers: HashMap::new(), retiring: vec![], seen_version: None, wanted: vec![] };
        // PERIODIC JOBS (maintenance): see `jobs::builtin`; each run on its own connection.
        let mut periodic_jobs = jobs::Jobs::new(self.dir.clone(), std::mem::take(&mut self.jobs));
        loop {
            if let Err(e) = supervisor.tick(&mut self.store) {
                tracing::warn!("engine supervision failed: {e}");
            }
            periodic_jobs.tick();
            tokio::select! {
                _ = &mut shutdown => break,
                _ = tokio::time::sleep(TICK) => {}
            }
        }
        if let Some(l) = self.listener.take() {
            l.shutdown();
        }
        supervisor.shutdown(SHUTDOWN_GRACE).await;
        Ok(())
    }
}

/// What an account's workers are built from. A state or sync time the
/// engine itself writes does not rebuild them (its client may hold state,
/// e.g. the demo's scheduled answers).
fn account_version(a: &crate::store::Account) -> String {
    format!("{}|{}|{}", a.enabled, a.phone.as_deref().unwrap_or_default(), a.config)
}

/// Starts, rebuilds and stops the accounts' workers.
struct Supervisor {
    shared: worker::Shared,
    workers: HashMap<i64, worker::AccountWorkers>,
    /// Workers told to stop (replaced or switched off) and not finished yet.
    retiring: Vec<tokio::task::AbortHandle>,
    seen_version: Option<i64>,
    /// The enabled accounts as last read, with their versions.
    wanted: Vec<(String, crate::store::Account)>,
}

impl Supervisor {
    fn tick(&mut self, store: &mut Store) -> Result<()> {
        self.retiring.retain(|h| !h.is_finished());
        let version = store.data_version()?;
        if self.seen_version != Some(version) {
            // Another connection committed (a worker, the CLI, the app): look again.
            let accounts = store.accounts()?;
            fail_switched_off(store, &accounts, &self.shared.events)?;
            self.wanted = accounts.into_iter().filter(|a| a.enabled).map(|a| (account_version(&a), a)).collect();
            self.seen_version = Some(version);
        }
        let gone: Vec<i64> = self.workers.keys().copied().filter(|id| !self.wanted.iter().any(|(_, a)| a.id == *id)).collect();
        for id in gone {
            if let Some(w) = self.workers.remove(&id) {
                self.retiring.extend(w.stop());
            }
        }
        for (version, account) in &self.wanted {
            if self.workers.get(&account.id).is_some_and(|w| w.version == *version) {
                continue;
            }
            let previous = self.workers.remove(&account.id);
            let (workers, old_senders) = worker::AccountWorkers::start(&self.shared, account.clone(), version.clone(), previous);
            self.retiring.extend(old_senders);
            self.workers.insert(account.id, workers);
        }
        Ok(())
    }

    /// Tells every worker to stop and waits for them, at most `grace`; what
    /// is still running then (a send that hangs) is cut off.
    async fn shutdown(self, grace: Duration) {
        let mut handles = self.retiring;
        for (_, w) in self.workers {
            handles.extend(w.stop());
        }
        let deadline = tokio::time::Instant::now() + grace;
        while handles.iter().any(|h| !h.is_finished()) && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        for h in handles.iter().filter(|h| !h.is_finished()) {
            tracing::warn!("a worker did not stop within {} s: cut off", grace.as_secs());
            h.abort();
        }
    }
}

/// A switched-off account sends nothing: its queued messages fail with the
/// reason, as they would have when its client was refused.
fn fail_switched_off(store: &mut Store, accounts: &[crate::store::Account], events: &tokio::sync::broadcast::Sender<EngineEvent>) -> Result<()> {
    for account in accounts.iter().filter(|a| !a.enabled) {
        for id in store.outbox_due_ids(account.id, now_ms(), 20)? {
            let pe = ProviderError { code: None, kind: ErrorKind::Auth, message: format!("account {} is switched off", account.id), retry_after: None };
            store.set_message_status(id, MessageStatus::Failed, Some(&pe))?;
            let _ = events.send(EngineEvent::MessageSettled { message_id: id, status: MessageStatus::Failed });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_absurd_poll_interval_in_the_config_never_panics() {
        let account: crate::store::Account = serde_json::from_value(serde_json::json!({
            "id": 1, "provider": "unipile", "name": "U", "phone": null, "status": "ok", "status_reason": null, "status_since": null,
            "enabled": true, "config": {"poll_interval": u64::MAX}, "created_at": 0, "updated_at": 0, "last_sync_at": null, "last_sync_result": null
        }))
        .unwrap();
        let (active, idle) = poll_intervals(&account);
        assert_eq!(active, Duration::from_secs(u64::MAX));
        assert_eq!(idle, active, "idle is never faster than active, and the default does not overflow");
    }
}
