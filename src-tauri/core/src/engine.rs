//! The background engine: one per data dir (it holds `engine.lock`). It runs
//! the webhook listener when enabled, sends what the outbox holds, and
//! downloads inbound media. It notices accounts and settings changed by
//! another process through SQLite's `data_version` and rebuilds its clients.
//!
//! Work is done in short passes on a tick, one message at a time per pass:
//! simple to reason about, and sends to one account never race each other.

use crate::datadir::DataDir;
use crate::engine_lock::EngineLock;
use crate::error::{Error, ErrorKind, ProviderError, Result};
use crate::media_fetch;
use crate::model::{AccountStatus, MessageStatus, Provider};
use crate::outbox::{self, Attempt};
use crate::providers::ProviderClient;
use crate::secrets::SecretStore;
use crate::store::Store;
use crate::time::now_ms;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

const TICK: Duration = Duration::from_millis(250);

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
    let idle_default = if account.provider == Provider::Demo { active } else { (active * 4).min(60) };
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

/// When each account's periodic work is next due, how polling fares, and
/// what the provider last said about the account.
#[derive(Debug)]
struct Schedule {
    last_poll: Option<tokio::time::Instant>,
    /// Set while polls fail: the next try (back-off, Retry-After).
    retry_at: Option<tokio::time::Instant>,
    poll_failures: u32,
    /// What the failing poll means for the account (status, reason).
    poll_problem: Option<(AccountStatus, String)>,
    /// The last poll succeeded.
    polled_ok: bool,
    /// The provider's own report (state check or account-status webhook).
    provider_state: Option<(AccountStatus, Option<String>)>,
    /// The state this engine last wrote; another value in the store means
    /// someone else (a webhook, the CLI) changed it.
    written: Option<(AccountStatus, Option<String>)>,
    next_state_check: tokio::time::Instant,
    next_status_recheck: tokio::time::Instant,
    next_sync_check: tokio::time::Instant,
    pictures_paused_until: Option<tokio::time::Instant>,
    /// The provider's chat list was imported in this run (UniPile).
    chats_imported: bool,
}

impl Schedule {
    fn now() -> Schedule {
        let now = tokio::time::Instant::now();
        Schedule {
            last_poll: None,
            retry_at: None,
            poll_failures: 0,
            poll_problem: None,
            polled_ok: false,
            provider_state: None,
            written: None,
            next_state_check: now,
            next_status_recheck: now,
            next_sync_check: now,
            pictures_paused_until: None,
            chats_imported: false,
        }
    }

    /// The one rule for an account's state: the provider's report wins when
    /// it says something is wrong (it knows the session); otherwise a failing
    /// poll decides (retrying, needs re-authentication); otherwise ok. Both
    /// checks feed this, so the state (and "retrying since T") only changes
    /// when the outcome does, never back and forth between them.
    fn state(&self, current: (AccountStatus, Option<String>)) -> (AccountStatus, Option<String>) {
        match (&self.provider_state, &self.poll_problem) {
            (Some((s, r)), _) if *s != AccountStatus::Ok => (*s, r.clone()),
            (_, Some((s, r))) => (*s, Some(r.clone())),
            (Some(ok), None) => ok.clone(),
            (None, None) if self.polled_ok => (AccountStatus::Ok, None),
            // Nothing learnt yet: keep what the store says.
            (None, None) => current,
        }
    }
}

pub struct Engine {
    dir: DataDir,
    secrets: Arc<SecretStore>,
    store: Store,
    listener: Option<crate::webhook::WebhookServer>,
    events: tokio::sync::broadcast::Sender<EngineEvent>,
    activity: Activity,
    schedules: HashMap<i64, Schedule>,
    /// Background contact syncs in flight, per account (off the outbox path).
    syncing: HashMap<i64, tokio::task::JoinHandle<()>>,
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
        Ok(Engine { dir, secrets, store, listener, events, activity: Activity::default(), schedules: HashMap::new(), syncing: HashMap::new(), _lock: lock })
    }

    /// The "in use" signal: the host calls [`Activity::touch`] on user input
    /// and window focus; without it the engine counts as idle (headless).
    pub fn activity(&self) -> Activity {
        self.activity.clone()
    }

    /// Whether the owner is using the app: this process's [`Activity`], or
    /// another process's [`mark_in_use`].
    fn in_use(&self) -> Result<bool> {
        if self.activity.is_active() {
            return Ok(true);
        }
        Ok(self.store.setting(IN_USE_UNTIL)?.and_then(|v| v.as_i64()).is_some_and(|until| until > now_ms()))
    }

    /// Subscribes to what the engine does (new messages, settled sends).
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<EngineEvent> {
        self.events.subscribe()
    }

    pub fn listen_addr(&self) -> Option<SocketAddr> {
        self.listener.as_ref().map(|l| l.local_addr())
    }

    /// Runs until `shutdown` completes, then stops cleanly: the listener
    /// stops accepting and finishes what it took, the current send finishes.
    pub async fn run(mut self, shutdown: impl std::future::Future<Output = ()>) -> Result<()> {
        tokio::pin!(shutdown);
        let mut clients: HashMap<i64, ProviderClient> = HashMap::new();
        let mut seen_version = self.store.data_version()?;
        let mut seen_accounts = self.account_versions()?;
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                _ = tokio::time::sleep(TICK) => {}
            }
            let version = self.store.data_version()?;
            if version != seen_version {
                // Another connection committed: rebuild the clients of the
                // accounts it changed (a client may hold state, e.g. the demo).
                seen_version = version;
                let accounts = self.account_versions()?;
                clients.retain(|id, _| accounts.iter().find(|(a, _)| a == id) == seen_accounts.iter().find(|(a, _)| a == id));
                seen_accounts = accounts;
            }
            if let Err(e) = self.pass(&mut clients).await {
                tracing::warn!("engine pass failed: {e}");
            }
        }
        if let Some(l) = self.listener.take() {
            l.shutdown();
        }
        // A contact sync in flight is cut off; it is not recorded and runs again.
        for (_, task) in self.syncing.drain() {
            task.abort();
        }
        Ok(())
    }

    async fn pass(&mut self, clients: &mut HashMap<i64, ProviderClient>) -> Result<()> {
        let now = now_ms();
        for m in self.store.outbox_due(now, 20)? {
            let client = match client_for(&self.store, &self.secrets, clients, m.account_id) {
                Ok(c) => c,
                Err(e) => {
                    let pe = ProviderError { code: None, kind: ErrorKind::Auth, message: e.to_string(), retry_after: None };
                    self.store.set_message_status(m.id, MessageStatus::Failed, Some(&pe))?;
                    continue;
                }
            };
            let status = match outbox::attempt(&mut self.store, client, m.id).await? {
                Attempt::Retry(pe, _) if now - m.created_at > outbox::RETRY_BUDGET.as_millis() as i64 => {
                    let pe = ProviderError { message: format!("{} (gave up after {} s)", pe.message, outbox::RETRY_BUDGET.as_secs()), ..pe };
                    self.store.set_message_status(m.id, MessageStatus::Failed, Some(&pe))?;
                    Some(MessageStatus::Failed)
                }
                Attempt::Retry(..) | Attempt::Claimed(_) => None,
                Attempt::Sent(m) | Attempt::Failed(m, _) | Attempt::Unknown(m, _) => Some(m.status),
            };
            if let Some(status) = status {
                let _ = self.events.send(EngineEvent::MessageSettled { message_id: m.id, status });
            }
        }
        self.periodic(clients).await?;
        for media in self.store.media_to_fetch(now, 5)? {
            let Ok(client) = client_for(&self.store, &self.secrets, clients, media.account_id) else { continue };
            let ok = match media_fetch::fetch_one(&mut self.store, &self.dir, client, &media).await {
                Ok(_) => true,
                Err(e) => {
                    tracing::warn!(media = media.id, "media download failed: {e}");
                    false
                }
            };
            let _ = self.events.send(EngineEvent::MediaFetched { media_id: media.id, ok });
        }
        Ok(())
    }
}

impl Engine {
    /// (account id, what its client is built from) of every account. A state
    /// or sync time the engine itself writes does not rebuild a client (a
    /// client may hold state, e.g. the demo's scheduled answers).
    fn account_versions(&self) -> Result<Vec<(i64, String)>> {
        Ok(self.store.accounts()?.into_iter().map(|a| (a.id, format!("{}|{}|{}", a.enabled, a.phone.unwrap_or_default(), a.config))).collect())
    }

    /// Polls, state checks, status re-checks, profile pictures and contact
    /// syncs that are due.
    async fn periodic(&mut self, clients: &mut HashMap<i64, ProviderClient>) -> Result<()> {
        let accounts = self.store.accounts()?;
        self.schedules.retain(|id, _| accounts.iter().any(|a| a.id == *id));
        self.syncing.retain(|_, task| !task.is_finished());
        let sync_hours = self.store.setting("contact_sync_hours")?.and_then(|v| v.as_f64()).unwrap_or(DEFAULT_CONTACT_SYNC_HOURS);
        let in_use = self.in_use()?;
        for account in accounts.iter().filter(|a| a.enabled && a.provider != Provider::Meta) {
            let Ok(client) = client_for(&self.store, &self.secrets, clients, account.id) else { continue };
            let now = tokio::time::Instant::now();
            let schedule = self.schedules.entry(account.id).or_insert_with(Schedule::now);
            let current = (account.status, account.status_reason.clone());
            if schedule.written.as_ref().is_some_and(|w| *w != current) {
                // A webhook (or the owner) changed the state: ask the provider now.
                schedule.provider_state = Some(current.clone());
                schedule.next_state_check = now;
            }
            if now >= schedule.next_state_check {
                schedule.next_state_check = now + STATE_CHECK;
                match state_check(&mut self.store, client, account).await {
                    Ok(state) => schedule.provider_state = Some(state),
                    Err(e) => tracing::debug!(account = account.id, "state check failed: {e}"),
                }
            }
            let (active_every, idle_every) = poll_intervals(account);
            let interval = if in_use { active_every } else { idle_every };
            let poll_due = match schedule.retry_at {
                Some(at) => now >= at,
                None => schedule.last_poll.is_none_or(|t| now >= t + interval),
            };
            if client.can_poll() && poll_due {
                schedule.last_poll = Some(now);
                if account.provider == Provider::Unipile && !schedule.chats_imported {
                    // Chats without new messages appear too (once per run).
                    match crate::sync::import_chats(&mut self.store, client, account.id).await {
                        Ok(_) => schedule.chats_imported = true,
                        Err(e) => tracing::debug!(account = account.id, "chat list not imported: {e}"),
                    }
                }
                match crate::sync::poll_messages(&mut self.store, client, account.id).await {
                    Ok(applied) => {
                        schedule.poll_failures = 0;
                        schedule.retry_at = None;
                        schedule.poll_problem = None;
                        schedule.polled_ok = true;
                        if applied != crate::ingest::Applied::default() {
                            let _ = self.events.send(EngineEvent::Polled { account_id: account.id, applied });
                        }
                    }
                    Err(e) => {
                        schedule.poll_failures += 1;
                        schedule.polled_ok = false;
                        let backoff = (active_every * 2u32.saturating_pow(schedule.poll_failures.min(6))).min(Duration::from_secs(300));
                        let retry_after = e.provider_error().and_then(|p| p.retry_after).map(Duration::from_secs).unwrap_or_default();
                        let wait = backoff.max(retry_after);
                        schedule.retry_at = Some(now + wait);
                        schedule.poll_problem = Some(match e.provider_error().map(|p| p.kind) {
                            Some(ErrorKind::Auth) => (AccountStatus::NeedsToken, format!("needs re-authentication: {e}")),
                            Some(ErrorKind::SessionDisconnected) => (AccountStatus::Disconnected, e.to_string()),
                            _ => (AccountStatus::Retrying, format!("{e}; retrying in {} s", wait.as_secs())),
                        });
                        tracing::warn!(account = account.id, "poll failed: {e}");
                    }
                }
            }
            let state = schedule.state(current.clone());
            if state != current {
                self.store.set_account_status(account.id, state.0, state.1.as_deref())?;
                let _ = self.events.send(EngineEvent::AccountState { account_id: account.id, status: state.0, reason: state.1.clone() });
            }
            schedule.written = Some(state);
            if now >= schedule.next_status_recheck {
                schedule.next_status_recheck = now + STATUS_RECHECK;
                for (message_id, send_id) in self.store.sends_to_recheck(account.id, now_ms() - 24 * 3600 * 1000, 10)? {
                    let Ok(Some(report)) = client.message_status(&send_id).await else { continue };
                    let report = crate::providers::StatusReport { wicket_id: Some(message_id), ..report };
                    let applied = self.store.write(|tx| crate::ingest::apply(tx, account.id, &[crate::providers::ProviderEvent::Status(report.clone())]))?;
                    if !applied.status_changed.is_empty() {
                        let _ = self.events.send(EngineEvent::Polled { account_id: account.id, applied });
                    }
                }
            }
            if account.provider == Provider::Wasender && schedule.pictures_paused_until.is_none_or(|t| now >= t) {
                schedule.pictures_paused_until = background_pictures(&mut self.store, &self.dir, client, account.id).await?.map(|d| now + d);
            }
            let sync_due = sync_hours > 0.0
                && now >= schedule.next_sync_check
                && !self.syncing.contains_key(&account.id)
                && account.last_sync_at.is_none_or(|t| now_ms() - t > (sync_hours * 3_600_000.0) as i64);
            if sync_due {
                schedule.next_sync_check = now + SYNC_RETRY;
                let task = spawn_contact_sync(self.dir.clone(), self.secrets.clone(), self.events.clone(), account.id);
                self.syncing.insert(account.id, task);
            }
        }
        Ok(())
    }
}

/// Asks the provider for the account's state. For UniPile the same answer
/// refreshes the stored account details when they changed.
async fn state_check(store: &mut Store, client: &ProviderClient, account: &crate::store::Account) -> Result<(AccountStatus, Option<String>)> {
    if let (ProviderClient::Unipile(c), Some(remote)) = (client, account.config_str("unipile_account_id")) {
        return match c.account(remote).await {
            Ok(fresh) => {
                crate::sync::apply_unipile_details(store, account.id, &fresh)?;
                Ok(fresh.account_status())
            }
            // A disconnected-account answer is a state, not a failure.
            Err(Error::Provider(pe)) if pe.kind == ErrorKind::SessionDisconnected => Ok((AccountStatus::Disconnected, Some(pe.message))),
            Err(e) => Err(e),
        };
    }
    client.account_state().await
}

/// Fetches a couple of missing profile pictures within the picture rate
/// limit. The cursor moves past a contact only once it is settled (stored,
/// none, or a permanent failure): a rate-limited or unreachable provider
/// leaves it for the next try. Returns how long to pause, if at all.
async fn background_pictures(store: &mut Store, dir: &DataDir, client: &ProviderClient, account_id: i64) -> Result<Option<Duration>> {
    let after: i64 = store.cursor(account_id, crate::sync::PICTURES_CURSOR)?.and_then(|c| c.parse().ok()).unwrap_or(0);
    for contact_id in store.contacts_without_picture(account_id, after, 2)? {
        match crate::sync::fetch_profile_picture(store, dir, client, contact_id, false).await {
            Ok(crate::sync::Picture::Later) => return Ok(None),
            Ok(_) => {}
            Err(e) => match e.provider_error() {
                Some(pe) if pe.kind.is_retryable() => {
                    tracing::debug!(contact = contact_id, "profile picture postponed: {e}");
                    return Ok(Some(pe.retry_after.map(Duration::from_secs).unwrap_or(PICTURE_PAUSE)));
                }
                _ => tracing::debug!(contact = contact_id, "profile picture not fetched: {e}"),
            },
        }
        store.set_cursor(account_id, crate::sync::PICTURES_CURSOR, &contact_id.to_string())?;
    }
    Ok(None)
}

/// Runs a full contact sync on its own connection and client, so a long
/// sync never holds up sends. The summary (or the error) is kept on the
/// account; a failed sync is tried again at the next interval.
fn spawn_contact_sync(
    dir: DataDir,
    secrets: Arc<SecretStore>,
    events: tokio::sync::broadcast::Sender<EngineEvent>,
    account_id: i64,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let run = async {
            let mut store = Store::open(&dir.db_path())?;
            let account = store.account(account_id)?;
            let client = ProviderClient::for_account(&account, &secrets)?;
            match crate::sync::sync_contacts(&mut store, &client, account_id, crate::sync::ContactSyncMode::Full).await {
                Ok(summary) => Ok(summary),
                Err(e) => {
                    store.record_sync(account_id, &serde_json::json!({ "error": e.to_string(), "finished_at": now_ms() }))?;
                    Err(e)
                }
            }
        };
        match run.await {
            Ok(summary) => {
                let _ = events.send(EngineEvent::ContactsSynced { account_id, summary });
            }
            Err(e) => tracing::warn!(account = account_id, "contact sync failed: {e}"),
        }
    })
}

fn client_for<'a>(store: &Store, secrets: &SecretStore, clients: &'a mut HashMap<i64, ProviderClient>, account_id: i64) -> Result<&'a ProviderClient> {
    use std::collections::hash_map::Entry;
    match clients.entry(account_id) {
        Entry::Occupied(e) => Ok(e.into_mut()),
        Entry::Vacant(slot) => {
            let account = store.account(account_id)?;
            if !account.enabled {
                return Err(Error::Invalid(format!("account {account_id} is switched off")));
            }
            Ok(slot.insert(ProviderClient::for_account(&account, secrets)?))
        }
    }
}
