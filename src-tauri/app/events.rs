//! Events to the UI, so it never polls. Names are constants here and are
//! exported to TypeScript with the payload types (`bindings.rs`).
//!
//! - `message-changed` (`MessageDto`): a message this window queued or changed;
//! - `conversation-changed` (`ConversationDto`): a row of the list changed;
//! - `engine-changed` (`EngineState`): the engine started here, runs
//!   elsewhere, or stopped;
//! - from the engine, with payloads (`forward`): `message-received`
//!   (`MessageReceivedEvent`), `status-changed` (`MessageDto`: its ticks),
//!   `conversation-updated` (`ConversationDto`), `sync-progress`
//!   (`SyncProgressEvent`), `account-state` (`AccountDto`);
//! - `open-conversation` (`notifications.rs`): a notification was clicked;
//! - `store-changed` (no payload): another process (the engine in `wicket
//!   serve`, or the CLI) committed to the store; the UI reloads what it
//!   shows. The engine's own events say less than that (and `wicket serve`'s
//!   do not reach this process), so [`watch_store`] notices every such
//!   commit through SQLite's `data_version`, as the engine itself does.

use crate::dto::{AccountDto, ConversationDto, MessageDto};
use crate::state::AppState;
use serde::Serialize;
use std::time::Duration;
use tauri::{AppHandle, Emitter, Manager, Runtime};
use ts_rs::TS;
use wicket_core::engine::EngineEvent;
use wicket_core::ingest::Applied;
use wicket_core::Store;

pub const MESSAGE_CHANGED: &str = "message-changed";
pub const CONVERSATION_CHANGED: &str = "conversation-changed";
pub const STORE_CHANGED: &str = "store-changed";
pub const ENGINE_CHANGED: &str = "engine-changed";
pub const MESSAGE_RECEIVED: &str = "message-received";
pub const STATUS_CHANGED: &str = "status-changed";
pub const CONVERSATION_UPDATED: &str = "conversation-updated";
pub const SYNC_PROGRESS: &str = "sync-progress";
pub const ACCOUNT_STATE: &str = "account-state";

/// Payload of `message-received`: a new message (any direction: a gateway
/// reports the owner's phone messages too) and its conversation's row.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct MessageReceivedEvent {
    pub message: MessageDto,
    pub conversation: ConversationDto,
}

/// Payload of `sync-progress`: a background sync of one account finished a step.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct SyncProgressEvent {
    pub account_id: i64,
    /// `contacts` (a contact sync) or `messages` (a poll or status check).
    pub kind: String,
    /// Contacts fetched, or messages stored.
    pub fetched: u32,
    /// Contacts updated, or message statuses changed.
    pub updated: u32,
    pub failed: u32,
}

fn emit<R: Runtime, P: Serialize + Clone>(app: &AppHandle<R>, name: &str, payload: P) {
    if let Err(e) = app.emit(name, payload) {
        tracing::warn!("cannot emit {name}: {e}");
    }
}

/// Turns what the engine did into typed events (and notifications of new
/// customer messages). What cannot be loaded becomes `store-changed`.
pub fn forward<R: Runtime>(app: &AppHandle<R>, event: EngineEvent) {
    let state = app.state::<AppState>();
    // The store guard lives in this block only: the tray below locks it again.
    let done = {
        let Ok(store) = state.store() else { return store_changed(app) };
        match event {
            EngineEvent::MessageSettled { message_id, .. } => (|| {
                let m = message_dto(&store, message_id)?;
                let c = conversation_dto(&store, m.conversation_id)?;
                drop(store);
                message_changed(app, &m);
                emit(app, STATUS_CHANGED, m);
                conversation_changed(app, &c);
                emit(app, CONVERSATION_UPDATED, c);
                Some(())
            })(),
            EngineEvent::Webhook(outcome) => {
                let applied = outcome.accounts.into_iter().map(|(_, a)| a).collect::<Vec<_>>();
                applied_events(app, store, applied)
            }
            EngineEvent::Polled { account_id, applied } => {
                let progress = SyncProgressEvent {
                    account_id,
                    kind: "messages".into(),
                    fetched: applied.new_messages.len() as u32,
                    updated: applied.status_changed.len() as u32,
                    failed: 0,
                };
                let done = applied_events(app, store, vec![applied]);
                emit(app, SYNC_PROGRESS, progress);
                done
            }
            EngineEvent::AccountState { account_id, .. } => (|| {
                let a = store.account(account_id).ok()?;
                let dto = AccountDto::new(&a, &store.default_country().ok()?);
                drop(store);
                emit(app, ACCOUNT_STATE, dto);
                Some(())
            })(),
            EngineEvent::ContactsSynced { account_id, summary } => {
                drop(store);
                emit(
                    app,
                    SYNC_PROGRESS,
                    SyncProgressEvent {
                        account_id,
                        kind: "contacts".into(),
                        fetched: summary.total_fetched as u32,
                        updated: summary.successful_updates as u32,
                        failed: summary.failed_updates as u32,
                    },
                );
                Some(())
            }
            _ => None,
        }
    };
    if done.is_none() {
        store_changed(app);
    }
    crate::tray::update_unread(app);
}

fn message_dto(store: &Store, id: i64) -> Option<MessageDto> {
    let m = store.message(id).ok()?;
    let quote = m.reply_to_id.and_then(|q| store.message(q).ok());
    Some(MessageDto::new(&m, quote.as_ref()))
}

fn conversation_dto(store: &Store, id: i64) -> Option<ConversationDto> {
    Some(ConversationDto::new(&store.conversation(id).ok()?, &store.default_country().ok()?))
}

/// New messages, changed statuses and touched conversations, then the
/// notifications for new customer messages.
fn applied_events<R: Runtime>(app: &AppHandle<R>, store: std::sync::MutexGuard<'_, Store>, applied: Vec<Applied>) -> Option<()> {
    let mut received = vec![];
    let mut statuses = vec![];
    let mut conversations = vec![];
    // Notifications first: they need only the ids, whatever else fails to load.
    let inbound = applied.iter().flat_map(|a| a.new_inbound.iter().copied()).collect();
    app.state::<crate::notifications::Notifier>().inbound(inbound);
    for a in &applied {
        for id in &a.new_messages {
            let message = message_dto(&store, *id)?;
            let conversation = conversation_dto(&store, message.conversation_id)?;
            received.push(MessageReceivedEvent { message, conversation });
        }
        for id in a.status_changed.iter().chain(&a.edited) {
            statuses.push(message_dto(&store, *id)?);
        }
        for id in &a.conversations_touched {
            conversations.push(conversation_dto(&store, *id)?);
        }
    }
    drop(store);
    for r in received {
        emit(app, MESSAGE_RECEIVED, r);
    }
    for m in statuses {
        message_changed(app, &m);
        emit(app, STATUS_CHANGED, m);
    }
    for c in conversations {
        conversation_changed(app, &c);
        emit(app, CONVERSATION_UPDATED, c);
    }
    Some(())
}

pub fn message_changed<R: Runtime>(app: &AppHandle<R>, m: &MessageDto) {
    if let Err(e) = app.emit(MESSAGE_CHANGED, m) {
        tracing::warn!("cannot emit {MESSAGE_CHANGED}: {e}");
    }
}

pub fn conversation_changed<R: Runtime>(app: &AppHandle<R>, c: &ConversationDto) {
    if let Err(e) = app.emit(CONVERSATION_CHANGED, c) {
        tracing::warn!("cannot emit {CONVERSATION_CHANGED}: {e}");
    }
}

pub fn store_changed<R: Runtime>(app: &AppHandle<R>) {
    if let Err(e) = app.emit(STORE_CHANGED, ()) {
        tracing::warn!("cannot emit {STORE_CHANGED}: {e}");
    }
}

/// How often the watcher reads `PRAGMA data_version` (an in-memory read of
/// the WAL index: no disk I/O while nothing changes).
const WATCH_EVERY: Duration = Duration::from_millis(500);

/// Emits `store-changed` whenever another connection commits: the engine
/// (in this window or in `wicket serve`), the CLI. It reads the commands'
/// own connection, whose commits do not count: what the window changes
/// itself, it announces with the events above.
pub fn watch_store<R: Runtime>(app: AppHandle<R>) {
    let version = |app: &AppHandle<R>| app.state::<AppState>().store_while_locked().ok().and_then(|s| s.data_version().ok());
    let spawned = std::thread::Builder::new().name("store-watch".into()).spawn(move || {
        let mut seen = version(&app);
        loop {
            std::thread::sleep(WATCH_EVERY);
            let now = version(&app);
            if now.is_some() && now != seen {
                seen = now;
                store_changed(&app);
                crate::tray::update_unread(&app);
            }
        }
    });
    if let Err(e) = spawned {
        tracing::warn!("cannot start the store watcher: {e}");
    }
}
