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
use crate::model::MessageStatus;
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
/// use; four times that when idle.
pub const DEFAULT_POLL_SECONDS: u64 = 5;
/// Default hours between background contact syncs (setting `contact_sync_hours`, 0 = off).
pub const DEFAULT_CONTACT_SYNC_HOURS: f64 = 6.0;
const STATE_CHECK: Duration = Duration::from_secs(60);
const STATUS_RECHECK: Duration = Duration::from_secs(30);

/// When each account's periodic work is next due, and how polling fares.
#[derive(Debug)]
struct Schedule {
    next_poll: tokio::time::Instant,
    poll_failures: u32,
    next_state_check: tokio::time::Instant,
    next_status_recheck: tokio::time::Instant,
}

impl Schedule {
    fn now() -> Schedule {
        let now = tokio::time::Instant::now();
        Schedule { next_poll: now, poll_failures: 0, next_state_check: now, next_status_recheck: now }
    }
}

pub struct Engine {
    dir: DataDir,
    secrets: Arc<SecretStore>,
    store: Store,
    listener: Option<crate::webhook::WebhookServer>,
    events: tokio::sync::broadcast::Sender<EngineEvent>,
    active: Arc<std::sync::atomic::AtomicBool>,
    schedules: HashMap<i64, Schedule>,
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
        let active = Arc::new(std::sync::atomic::AtomicBool::new(true));
        Ok(Engine { dir, secrets, store, listener, events, active, schedules: HashMap::new(), _lock: lock })
    }

    /// A switch the host flips when the owner is (not) using the app:
    /// polling slows down fourfold while idle.
    pub fn activity(&self) -> Arc<std::sync::atomic::AtomicBool> {
        self.active.clone()
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
                Attempt::Sent(m) | Attempt::Failed(m, _) => Some(m.status),
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
    /// (account id, last change) of every account.
    fn account_versions(&self) -> Result<Vec<(i64, i64)>> {
        Ok(self.store.accounts()?.into_iter().map(|a| (a.id, a.updated_at)).collect())
    }

    /// Polls, state checks, status re-checks and contact syncs that are due.
    async fn periodic(&mut self, clients: &mut HashMap<i64, ProviderClient>) -> Result<()> {
        let accounts = self.store.accounts()?;
        self.schedules.retain(|id, _| accounts.iter().any(|a| a.id == *id));
        let sync_hours = self.store.setting("contact_sync_hours")?.and_then(|v| v.as_f64()).unwrap_or(DEFAULT_CONTACT_SYNC_HOURS);
        for account in accounts.iter().filter(|a| a.enabled && a.provider != crate::model::Provider::Meta) {
            let Ok(client) = client_for(&self.store, &self.secrets, clients, account.id) else { continue };
            let now = tokio::time::Instant::now();
            let schedule = self.schedules.entry(account.id).or_insert_with(Schedule::now);
            if client.can_poll() && now >= schedule.next_poll {
                let base = account.config.get("poll_interval").and_then(|v| v.as_u64()).unwrap_or(DEFAULT_POLL_SECONDS).max(1);
                let idle = !self.active.load(std::sync::atomic::Ordering::Relaxed);
                let interval = Duration::from_secs(if idle { (base * 4).min(60) } else { base });
                match crate::sync::poll_messages(&mut self.store, client, account.id).await {
                    Ok(applied) => {
                        if schedule.poll_failures > 0 || account.status != crate::model::AccountStatus::Ok {
                            self.store.set_account_status(account.id, crate::model::AccountStatus::Ok, None)?;
                            let _ = self.events.send(EngineEvent::AccountState { account_id: account.id, status: crate::model::AccountStatus::Ok, reason: None });
                        }
                        schedule.poll_failures = 0;
                        schedule.next_poll = now + interval;
                        if applied != crate::ingest::Applied::default() {
                            let _ = self.events.send(EngineEvent::Polled { account_id: account.id, applied });
                        }
                    }
                    Err(e) => {
                        schedule.poll_failures += 1;
                        let backoff = (interval * 2u32.saturating_pow(schedule.poll_failures.min(6))).min(Duration::from_secs(300));
                        let retry_after = e.provider_error().and_then(|p| p.retry_after).map(Duration::from_secs).unwrap_or_default();
                        schedule.next_poll = now + backoff.max(retry_after);
                        let (status, reason) = match e.provider_error().map(|p| p.kind) {
                            Some(ErrorKind::Auth) => (crate::model::AccountStatus::NeedsToken, format!("needs re-authentication: {e}")),
                            Some(ErrorKind::SessionDisconnected) => (crate::model::AccountStatus::Disconnected, e.to_string()),
                            _ => (crate::model::AccountStatus::Retrying, format!("{e}; retrying in {} s", backoff.max(retry_after).as_secs())),
                        };
                        tracing::warn!(account = account.id, "poll failed: {e}");
                        self.store.set_account_status(account.id, status, Some(&reason))?;
                        let _ = self.events.send(EngineEvent::AccountState { account_id: account.id, status, reason: Some(reason) });
                    }
                }
            }
            if now >= schedule.next_state_check {
                schedule.next_state_check = now + STATE_CHECK;
                if let Ok((status, reason)) = client.account_state().await {
                    if status != account.status || reason != account.status_reason {
                        self.store.set_account_status(account.id, status, reason.as_deref())?;
                        let _ = self.events.send(EngineEvent::AccountState { account_id: account.id, status, reason });
                        // A reconnected or changed UniPile account: refresh its details.
                        if let (ProviderClient::Unipile(c), Some(remote)) = (client, account.config_str("unipile_account_id")) {
                            if let Ok(fresh) = c.account(remote).await {
                                let mut config = account.config.clone();
                                config["details"] = serde_json::json!({
                                    "type": fresh.account_type, "status": fresh.status, "sources": fresh.sources,
                                    "created_at": fresh.created_at, "groups": fresh.groups, "raw": fresh.raw,
                                });
                                self.store.update_account_config(account.id, &config)?;
                                self.store.set_account_phone(account.id, fresh.phone.as_deref())?;
                            }
                        }
                    }
                }
            }
            if now >= schedule.next_status_recheck {
                schedule.next_status_recheck = now + STATUS_RECHECK;
                for (message_id, send_id) in self.store.sends_to_recheck(account.id, crate::time::now_ms() - 24 * 3600 * 1000, 10)? {
                    let Ok(Some(report)) = client.message_status(&send_id).await else { continue };
                    let report = crate::providers::StatusReport { wicket_id: Some(message_id), ..report };
                    let applied = self.store.write(|tx| crate::ingest::apply(tx, account.id, &[crate::providers::ProviderEvent::Status(report.clone())]))?;
                    if !applied.status_changed.is_empty() {
                        let _ = self.events.send(EngineEvent::Polled { account_id: account.id, applied });
                    }
                }
            }
            // Profile pictures, lazily in the background: a couple per pass,
            // within the provider's picture rate limit (see `sync`).
            if account.provider == crate::model::Provider::Wasender {
                let after: i64 = self.store.cursor(account.id, "pictures")?.and_then(|c| c.parse().ok()).unwrap_or(0);
                for contact_id in self.store.contacts_without_picture(account.id, after, 2)? {
                    match crate::sync::fetch_profile_picture(&mut self.store, &self.dir, client, contact_id, false).await {
                        Ok(crate::sync::Picture::Later) => break,
                        Ok(_) => {}
                        Err(e) => tracing::debug!(contact = contact_id, "profile picture not fetched: {e}"),
                    }
                    self.store.set_cursor(account.id, "pictures", &contact_id.to_string())?;
                }
            }
            let sync_due = sync_hours > 0.0
                && account.last_sync_at.is_none_or(|t| crate::time::now_ms() - t > (sync_hours * 3_600_000.0) as i64);
            if sync_due {
                match crate::sync::sync_contacts(&mut self.store, client, account.id, crate::sync::ContactSyncMode::Full).await {
                    Ok(summary) => {
                        let _ = self.events.send(EngineEvent::ContactsSynced { account_id: account.id, summary });
                    }
                    Err(e) => {
                        tracing::warn!(account = account.id, "contact sync failed: {e}");
                        // Kept on the account for the owner to see; tried again next interval.
                        let later = serde_json::json!({ "error": e.to_string() });
                        self.store.record_sync(account.id, &later)?;
                    }
                }
            }
        }
        Ok(())
    }
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
