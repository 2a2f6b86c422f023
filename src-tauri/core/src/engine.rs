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
}

pub struct Engine {
    dir: DataDir,
    secrets: Arc<SecretStore>,
    store: Store,
    listener: Option<crate::webhook::WebhookServer>,
    events: tokio::sync::broadcast::Sender<EngineEvent>,
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
        Ok(Engine { dir, secrets, store, listener, events, _lock: lock })
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
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                _ = tokio::time::sleep(TICK) => {}
            }
            let version = self.store.data_version()?;
            if version != seen_version {
                // Another process changed something (maybe accounts): rebuild clients lazily.
                clients.clear();
                seen_version = version;
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
                Attempt::Retry(..) => None,
                Attempt::Sent(m) | Attempt::Failed(m, _) => Some(m.status),
            };
            if let Some(status) = status {
                let _ = self.events.send(EngineEvent::MessageSettled { message_id: m.id, status });
            }
        }
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
