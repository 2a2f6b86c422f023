//! Applies normalized provider events to the store, inside a transaction
//! the caller owns (the webhook listener commits a raw event and its effects
//! together; pollers commit a page at a time). Shared by every provider.

use crate::error::Result;
use crate::model::{Direction, MediaState, MessageKind, Origin};
use crate::providers::{InboundMessage, ProviderEvent};
use crate::store::contacts::{self, ContactUpdate};
use crate::store::message_changes::{self, ChangeOutcome};
use crate::store::messages::{self, InsertOutcome, NewMessage, StatusUpdate};
use crate::store::{account_health, conversations, history, media, receipts, settings};
use rusqlite::Connection;

/// The cursor that says an account's templates changed at Meta since they
/// were fetched (a template webhook's time): the engine fetches them again.
pub const TEMPLATES_STALE: &str = "templates_stale";

/// What applying a batch changed, for notifications and UI events.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Applied {
    /// New customer messages (not the owner's own phone messages).
    pub new_inbound: Vec<i64>,
    /// New messages of any direction.
    pub new_messages: Vec<i64>,
    /// Messages whose status changed.
    pub status_changed: Vec<i64>,
    /// Messages edited or deleted by their sender.
    pub edited: Vec<i64>,
    pub conversations_touched: Vec<i64>,
    pub duplicates: usize,
    pub account_state: Option<(crate::model::AccountStatus, Option<String>)>,
    /// Meta said something new about the account or its templates
    /// (`Store::account_health`): the account's details and banner change.
    pub health_changed: bool,
}

impl Applied {
    pub fn merge(&mut self, other: Applied) {
        self.new_inbound.extend(other.new_inbound);
        self.new_messages.extend(other.new_messages);
        self.status_changed.extend(other.status_changed);
        self.edited.extend(other.edited);
        for c in other.conversations_touched {
            if !self.conversations_touched.contains(&c) {
                self.conversations_touched.push(c);
            }
        }
        self.duplicates += other.duplicates;
        if other.account_state.is_some() {
            self.account_state = other.account_state;
        }
        self.health_changed |= other.health_changed;
    }
}

/// History messages in one batch from which the search index is built in
/// bulk (Meta's import of the app's chats comes in chunks of many).
const BULK_HISTORY: usize = 16;

pub fn apply(conn: &Connection, account_id: i64, events: &[ProviderEvent]) -> Result<Applied> {
    let history = events.iter().filter(|e| matches!(e, ProviderEvent::Message(m) if m.history)).count();
    if history < BULK_HISTORY {
        return apply_events(conn, account_id, events, None);
    }
    // The store's bulk path: new history messages are indexed together at
    // the end; anything else indexes what came before it first.
    let mut fts = crate::store::FtsDeferral::begin(conn)?;
    let applied = apply_events(conn, account_id, events, Some(&mut fts));
    // Whatever happened, the index trigger comes back (a caller may commit
    // the rest of its transaction after an error).
    let finished = fts.finish(conn);
    let applied = applied?;
    finished?;
    Ok(applied)
}

fn apply_events(conn: &Connection, account_id: i64, events: &[ProviderEvent], mut fts: Option<&mut crate::store::FtsDeferral>) -> Result<Applied> {
    let mut out = Applied::default();
    for event in events {
        if let Some(fts) = fts.as_deref_mut() {
            if !matches!(event, ProviderEvent::Message(m) if m.history) {
                fts.flush(conn)?;
            }
        }
        match event {
            ProviderEvent::Message(m) => apply_message(conn, account_id, m, &mut out, fts.as_deref_mut())?,
            ProviderEvent::Status(s) => {
                let outcome = messages::update_status(
                    conn,
                    &StatusUpdate {
                        account_id,
                        provider_message_id: s.provider_message_id.clone(),
                        wicket_id: s.wicket_id,
                        status: s.status,
                        timestamp: s.timestamp,
                        error: s.error.clone(),
                    },
                )?;
                if let messages::StatusOutcome::Applied(id) = outcome {
                    out.status_changed.push(id);
                }
            }
            ProviderEvent::Contact { key, update } => {
                contacts::upsert(conn, account_id, key, update)?;
            }
            ProviderEvent::MessageEdited { provider_message_id, text, timestamp } => {
                // Never a new message: the original shows the new text, marked
                // edited (or waits for its original). A poll sees an edited
                // message again and again: only a new text counts.
                let outcome = message_changes::edit(conn, account_id, provider_message_id, text.as_deref(), *timestamp)?;
                if let ChangeOutcome::Applied(id) = outcome {
                    out.edited.push(id);
                }
            }
            ProviderEvent::MessageDeleted { provider_message_id, timestamp } => {
                // The row stays, marked deleted, its content gone.
                if let ChangeOutcome::Applied(id) = message_changes::delete(conn, account_id, provider_message_id, *timestamp)? {
                    out.edited.push(id);
                }
            }
            ProviderEvent::NumberChanged { old, new } => {
                // Before the notice that announces it (same batch), so the
                // notice and every later message find the one contact.
                let contact_id = contacts::change_number(conn, account_id, old, new)?;
                if let Some(c) = conversations::find_for_contact(conn, account_id, contact_id)? {
                    push_unique(&mut out.conversations_touched, c);
                }
            }
            ProviderEvent::GroupSubject { group, subject, timestamp } => {
                let contact_id = contacts::set_group_subject(conn, account_id, group, subject, *timestamp)?;
                if let Some(c) = conversations::find_for_contact(conn, account_id, contact_id)? {
                    push_unique(&mut out.conversations_touched, c);
                }
            }
            ProviderEvent::TemplateChanged(change) => {
                if account_health::apply_template_change(conn, account_id, change)? {
                    out.health_changed = true;
                    // The engine fetches the templates again (a new template's
                    // body, a category the picker needs): see `engine::templates`.
                    settings::set_cursor(conn, account_id, TEMPLATES_STALE, &format!("{}@{}", change.at, crate::time::now_ms()))?;
                }
            }
            ProviderEvent::HistoryProgress(chunk) => {
                out.health_changed |= history::record_chunk(conn, account_id, chunk)?;
            }
            ProviderEvent::SavedName { key, name, timestamp } => {
                let contact_id = contacts::set_app_saved_name(conn, account_id, key, name.as_deref(), *timestamp)?;
                if let Some(c) = conversations::find_for_contact(conn, account_id, contact_id)? {
                    push_unique(&mut out.conversations_touched, c);
                }
            }
            ProviderEvent::Receipt(r) => {
                if receipts::record(conn, account_id, &r.provider_message_id, &r.participant, r.status, r.timestamp)? {
                    if let Some(id) = messages::id_by_provider_id(conn, account_id, &r.provider_message_id)? {
                        out.status_changed.push(id);
                    }
                }
            }
            ProviderEvent::Conversation { key, update } => {
                let contact_id = contacts::upsert(conn, account_id, key, update)?;
                let conversation_id = conversations::get_or_create(conn, account_id, contact_id)?;
                push_unique(&mut out.conversations_touched, conversation_id);
            }
            ProviderEvent::AccountChanged(change) => {
                out.health_changed |= account_health::apply_account_change(conn, account_id, change)?;
            }
            ProviderEvent::AccountState { status, reason } => {
                conn.execute(
                    "UPDATE accounts SET status_since = CASE WHEN status = ?2 THEN status_since ELSE ?4 END, status = ?2, status_reason = ?3, updated_at = ?4 WHERE id = ?1",
                    rusqlite::params![account_id, status.as_str(), reason, crate::time::now_ms()],
                )?;
                out.account_state = Some((*status, reason.clone()));
            }
        }
    }
    Ok(out)
}

fn apply_message(conn: &Connection, account_id: i64, m: &InboundMessage, out: &mut Applied, mut fts: Option<&mut crate::store::FtsDeferral>) -> Result<()> {
    let contact_id = contacts::upsert(conn, account_id, &m.chat, &m.chat_update)?;
    let conversation_id = conversations::get_or_create(conn, account_id, contact_id)?;
    if let Some(chat_id) = &m.provider_chat_id {
        // A chat already kept by another conversation (the same person first
        // seen by another key) stays there: never a failed webhook over it.
        conn.execute(
            "UPDATE OR IGNORE conversations SET provider_chat_id = ?2 WHERE id = ?1 AND provider_chat_id IS NULL",
            rusqlite::params![conversation_id, chat_id],
        )?;
    }
    if m.kind == MessageKind::Reaction {
        if let Some((target, emoji)) = &m.reaction {
            let reactor = if m.direction == Direction::Out { "me".to_string() } else { m.sender_id.clone().unwrap_or_else(|| contact_key_string(&m.chat)) };
            messages::set_reaction(conn, account_id, target, &reactor, emoji, m.timestamp)?;
            push_unique(&mut out.conversations_touched, conversation_id);
        }
        return Ok(());
    }
    if let Some(id) = messages::id_by_provider_id(conn, account_id, &m.provider_message_id)? {
        if m.history {
            // It may rewrite the row's caption or media: indexed first.
            if let Some(fts) = fts.as_deref_mut() {
                fts.flush(conn)?;
            }
            merge_history(conn, account_id, id, m, out)?;
        }
        out.duplicates += 1;
        return Ok(());
    }
    // The gateway echoed a message we sent before our send call returned:
    // it is that message, not one the owner typed on the phone.
    if m.direction == Direction::Out && !m.history {
        if let Some(id) = messages::unconfirmed_send(conn, conversation_id, m.text.as_deref(), m.timestamp)? {
            messages::set_provider_id(conn, id, &m.provider_message_id)?;
            out.duplicates += 1;
            return Ok(());
        }
    }
    let media_id = insert_media(conn, account_id, m)?;
    let outcome = messages::insert_with(
        conn,
        &NewMessage {
            account_id,
            conversation_id,
            provider_message_id: Some(m.provider_message_id.clone()),
            direction: Some(m.direction),
            origin: m.origin,
            kind: Some(m.kind),
            text: m.text.clone(),
            caption: m.caption.clone(),
            media_id,
            location: m.location.clone(),
            contacts: m.contacts.clone(),
            template: m.template.clone(),
            interactive: m.interactive.clone(),
            reply_to_provider_id: m.reply_to_provider_id.clone(),
            sender_id: m.sender_id.clone(),
            sender_name: m.sender_name.clone(),
            status: m.status.or((m.direction == Direction::Out).then_some(crate::model::MessageStatus::Sent)),
            timestamp: Some(m.timestamp),
            send_request: None,
            raw: Some(m.raw.clone()),
            error: m.error.as_ref().map(|e| crate::error::ProviderError {
                code: e.code.clone(),
                kind: crate::error::ErrorKind::Unknown,
                message: e.title.clone(),
                retry_after: None,
            }),
            error_details: m.error.as_ref().and_then(|e| e.details.clone()),
            order: m.order.clone(),
            referral: m.referral.clone(),
            history: m.history,
        },
        fts,
        None,
    )?;
    match outcome {
        InsertOutcome::Inserted(id) => {
            out.new_messages.push(id);
            // A notice (a number change, a group's new subject) is no one's
            // message, and the app's history was read there: never notified.
            if m.direction == Direction::In && m.kind != MessageKind::Notice && !m.history {
                out.new_inbound.push(id);
            }
            if m.history {
                history::count_message(conn, account_id)?;
            }
            // Once per message: only a newly stored customer text is a keyword
            // (a replay is a duplicate and never flips it again). The app's
            // history counts too: a STOP written there is still a STOP, and
            // the keyword's time keeps an old one from undoing a newer one.
            if m.direction == Direction::In && m.origin.is_none() && m.kind == MessageKind::Text {
                if let Some(text) = &m.text {
                    crate::optout::detect(conn, contact_id, text, m.timestamp)?;
                }
            }
            push_unique(&mut out.conversations_touched, conversation_id);
        }
        InsertOutcome::Duplicate(_) => out.duplicates += 1,
    }
    Ok(())
}

/// The media row of a message's media, if it has any.
fn insert_media(conn: &Connection, account_id: i64, m: &InboundMessage) -> Result<Option<i64>> {
    Ok(match &m.media {
        Some(media) => Some(media::insert(
            conn,
            &media::NewMedia {
                account_id,
                provider_media_id: media.provider_media_id.clone(),
                url: media.url.clone(),
                path: None,
                file_name: media.file_name.clone(),
                mime: media.mime.clone(),
                size: media.size,
                sha256: media.sha256.clone(),
                state: Some(MediaState::Pending),
                fetch_info: media.fetch_info.clone(),
            },
        )?),
        None => None,
    })
}

/// A history message stored before (the same id again): a placeholder takes
/// the media that came for it, and a status the history knew moves the
/// message forward (never back), so either order ends the same.
fn merge_history(conn: &Connection, account_id: i64, id: i64, m: &InboundMessage, out: &mut Applied) -> Result<()> {
    if m.media.is_some() && history::is_placeholder(conn, id)? {
        let media_id = insert_media(conn, account_id, m)?;
        history::fill_placeholder(conn, id, &history::MediaArrival { kind: m.kind, caption: m.caption.as_deref(), media_id, raw: &m.raw })?;
        out.edited.push(id);
    }
    if let Some(status) = m.status.filter(|_| m.direction == Direction::Out) {
        if let messages::StatusOutcome::Applied(id) = messages::apply_status(conn, id, status, m.timestamp, None)? {
            out.status_changed.push(id);
        }
    }
    Ok(())
}

fn contact_key_string(k: &contacts::ContactKey) -> String {
    k.phone.clone().or_else(|| k.provider_user_id.clone()).unwrap_or_default()
}

fn push_unique(v: &mut Vec<i64>, x: i64) {
    if !v.contains(&x) {
        v.push(x);
    }
}

/// Whether an inbound message should notify the owner (the desktop shell
/// adds focus, do-not-disturb and quiet hours on top).
pub fn is_customer_message(direction: Direction, origin: Option<Origin>) -> bool {
    direction == Direction::In && origin.is_none()
}

/// Convenience for tests and tools: a contact update with just names.
pub fn names(profile_name: Option<&str>) -> ContactUpdate {
    ContactUpdate { profile_name: profile_name.map(str::to_string), ..Default::default() }
}
