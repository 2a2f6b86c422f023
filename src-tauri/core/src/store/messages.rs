//! Messages, their statuses and reactions.
//!
//! Rules kept here:
//! - the same provider message id never makes two rows (per account);
//! - a status only moves forward, and `failed` replaces only pending,
//!   sending or sent ([`MessageStatus::can_move_to`]);
//! - a send is claimed (`sending`, with a lease the sender renews) before
//!   its request; a claim whose lease ran out is never taken over: the send
//!   becomes `unknown` (it may have gone out), and a provider id attached
//!   to an `unknown` send settles it as `sent`;
//! - a status or reaction that arrives before its message waits and is
//!   applied when the message appears;
//! - inserting a message updates its conversation (unread, last activity,
//!   the Meta customer-service window) in the same transaction.

use super::conversations::{self, SERVICE_WINDOW_MS};
use super::Store;
use crate::error::{Error, ErrorKind, ProviderError, Result};
use crate::model::{Direction, MediaState, MessageKind, MessageStatus, Origin};
use crate::time::now_ms;
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde_json::Value;

#[derive(Debug, Clone, Default)]
pub struct NewMessage {
    pub account_id: i64,
    pub conversation_id: i64,
    pub provider_message_id: Option<String>,
    pub direction: Option<Direction>,
    pub origin: Option<Origin>,
    pub kind: Option<MessageKind>,
    pub text: Option<String>,
    pub caption: Option<String>,
    pub media_id: Option<i64>,
    pub location: Option<Value>,
    pub contacts: Option<Value>,
    pub template: Option<Value>,
    pub interactive: Option<Value>,
    pub reply_to_provider_id: Option<String>,
    pub sender_id: Option<String>,
    pub sender_name: Option<String>,
    pub status: Option<MessageStatus>,
    /// Provider timestamp (ms); defaults to now.
    pub timestamp: Option<i64>,
    pub send_request: Option<Value>,
    pub raw: Option<Value>,
    /// Why an inbound message has no usable content (the provider's
    /// error): stored with it, shown instead of an empty bubble.
    pub error: Option<ProviderError>,
    /// The error's longer explanation, when the provider gave one.
    pub error_details: Option<String>,
    /// A catalog order's structure (kind `order`).
    pub order: Option<Value>,
    /// The ad the customer came from (a click-to-WhatsApp referral).
    pub referral: Option<Value>,
    /// Imported from the chats the owner had in the WhatsApp Business app
    /// (Meta's `history`): never unread, never opens Meta's window.
    pub history: bool,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Media {
    pub id: i64,
    pub path: Option<String>,
    pub file_name: Option<String>,
    pub mime: Option<String>,
    pub size: Option<i64>,
    pub sha256: Option<String>,
    pub state: MediaState,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Reaction {
    pub reactor: String,
    pub emoji: String,
    pub timestamp: i64,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Message {
    pub id: i64,
    pub account_id: i64,
    pub conversation_id: i64,
    pub provider_message_id: Option<String>,
    pub direction: Direction,
    pub origin: Option<Origin>,
    pub kind: MessageKind,
    pub text: Option<String>,
    pub caption: Option<String>,
    pub media: Option<Media>,
    pub location: Option<Value>,
    pub contacts: Option<Value>,
    pub template: Option<Value>,
    pub interactive: Option<Value>,
    pub reply_to_provider_id: Option<String>,
    /// The Wicket id of the quoted message, when we have it.
    pub reply_to_id: Option<i64>,
    pub sender_id: Option<String>,
    pub sender_name: Option<String>,
    pub reactions: Vec<Reaction>,
    pub status: MessageStatus,
    pub status_times: Value,
    pub error: Option<ProviderError>,
    /// The error's longer explanation (Meta's `error_data.details`).
    pub error_details: Option<String>,
    pub timestamp: i64,
    pub created_at: i64,
    pub edited_at: Option<i64>,
    pub deleted_at: Option<i64>,
    pub send_request: Option<Value>,
    pub attempts: i64,
    pub raw: Option<Value>,
    /// A catalog order: `{catalog_id, text, product_items[{product_retailer_id, quantity, item_price, currency}]}`.
    pub order: Option<Value>,
    /// The ad the customer came from: Meta's `referral` object (headline, body, source_type, source_url, ctwa_clid…).
    pub referral: Option<Value>,
    /// In groups: each participant's receipt of our message (`store::receipts`).
    pub receipts: Vec<super::receipts::Receipt>,
    /// Imported from the WhatsApp Business app's chats (Meta's `history`).
    pub history: bool,
}

/// A status report from a provider, for a message we may or may not have.
#[derive(Debug, Clone)]
pub struct StatusUpdate {
    pub account_id: i64,
    pub provider_message_id: String,
    /// Our own message id echoed back (Meta `biz_opaque_callback_data`).
    pub wicket_id: Option<i64>,
    pub status: MessageStatus,
    pub timestamp: i64,
    pub error: Option<ProviderError>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertOutcome {
    Inserted(i64),
    /// Already stored under this provider id: nothing changed.
    Duplicate(i64),
}

impl InsertOutcome {
    pub fn id(self) -> i64 {
        match self {
            InsertOutcome::Inserted(id) | InsertOutcome::Duplicate(id) => id,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusOutcome {
    Applied(i64),
    /// The message exists but the status would move it backwards.
    Ignored(i64),
    /// No such message yet: kept until it appears.
    Deferred,
}

pub(super) const COLUMNS: &str = "m.id, m.account_id, m.conversation_id, m.provider_message_id, m.direction, m.origin, m.kind, m.text, m.caption,
    m.location, m.contacts, m.template, m.interactive, m.reply_to_provider_id, m.sender_id, m.sender_name, m.status, m.status_times,
    m.error_code, m.error_kind, m.error_message, m.timestamp, m.created_at, m.edited_at, m.deleted_at, m.send_request, m.attempts, m.raw,
    f.id, f.path, f.file_name, f.mime, f.size, f.sha256, CASE WHEN f.evicted_at IS NOT NULL AND f.state = 'downloaded' THEN 'evicted' ELSE f.state END, f.error,
    (SELECT r.id FROM messages r WHERE r.account_id = m.account_id AND r.provider_message_id = m.reply_to_provider_id),
    (SELECT json_group_array(json_object('reactor', reactor, 'emoji', emoji, 'timestamp', timestamp))
       FROM (SELECT reactor, emoji, timestamp FROM reactions x
             WHERE x.account_id = m.account_id AND x.target_provider_id = m.provider_message_id ORDER BY reactor)),
    m.error_details, m.order_details, m.referral,
    (SELECT json_group_array(json_object('participant', participant, 'delivered_at', delivered_at, 'read_at', read_at, 'played_at', played_at))
       FROM (SELECT participant, delivered_at, read_at, played_at FROM message_receipts q
             WHERE q.account_id = m.account_id AND q.provider_message_id = m.provider_message_id ORDER BY participant)),
    m.history";

pub(super) const FROM: &str = "messages m LEFT JOIN media_files f ON f.id = m.media_id";

pub(super) fn from_row(r: &Row<'_>) -> rusqlite::Result<Message> {
    let direction: String = r.get(4)?;
    let origin: Option<String> = r.get(5)?;
    let kind: String = r.get(6)?;
    let status: String = r.get(16)?;
    let status_times: String = r.get(17)?;
    let error_code: Option<String> = r.get(18)?;
    let error_kind: Option<String> = r.get(19)?;
    let error_message: Option<String> = r.get(20)?;
    let media_id: Option<i64> = r.get(28)?;
    let media = match media_id {
        Some(id) => {
            let state: String = r.get(34)?;
            Some(Media {
                id,
                path: r.get(29)?,
                file_name: r.get(30)?,
                mime: r.get(31)?,
                size: r.get(32)?,
                sha256: r.get(33)?,
                state: MediaState::parse(&state).unwrap_or(MediaState::Pending),
                error: r.get(35)?,
            })
        }
        None => None,
    };
    let reactions: Option<String> = r.get(37)?;
    let reactions = reactions
        .and_then(|s| serde_json::from_str::<Vec<Value>>(&s).ok())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|v| {
            Some(Reaction {
                reactor: v.get("reactor")?.as_str()?.to_string(),
                emoji: v.get("emoji")?.as_str()?.to_string(),
                timestamp: v.get("timestamp")?.as_i64()?,
            })
        })
        .collect();
    let error = match (error_kind, error_message) {
        (Some(k), Some(m)) => Some(ProviderError { code: error_code, kind: ErrorKind::parse(&k), message: m, retry_after: None }),
        _ => None,
    };
    Ok(Message {
        id: r.get(0)?,
        account_id: r.get(1)?,
        conversation_id: r.get(2)?,
        provider_message_id: r.get(3)?,
        direction: Direction::parse(&direction).unwrap_or(Direction::In),
        origin: origin.as_deref().and_then(Origin::parse),
        kind: MessageKind::parse(&kind).unwrap_or(MessageKind::Unsupported),
        text: r.get(7)?,
        caption: r.get(8)?,
        media,
        location: super::parse_json_col(r.get(9)?),
        contacts: super::parse_json_col(r.get(10)?),
        template: super::parse_json_col(r.get(11)?),
        interactive: super::parse_json_col(r.get(12)?),
        reply_to_provider_id: r.get(13)?,
        reply_to_id: r.get(36)?,
        sender_id: r.get(14)?,
        sender_name: r.get(15)?,
        reactions,
        status: MessageStatus::parse(&status).unwrap_or(MessageStatus::Pending),
        status_times: serde_json::from_str(&status_times).unwrap_or(Value::Object(Default::default())),
        error,
        error_details: r.get(38)?,
        timestamp: r.get(21)?,
        created_at: r.get(22)?,
        edited_at: r.get(23)?,
        deleted_at: r.get(24)?,
        send_request: super::parse_json_col(r.get(25)?),
        attempts: r.get(26)?,
        raw: super::parse_json_col(r.get(27)?),
        order: super::parse_json_col(r.get(39)?),
        referral: super::parse_json_col(r.get(40)?),
        receipts: super::receipts::parse(r.get(41)?),
        history: r.get(42)?,
    })
}

pub fn get(conn: &Connection, id: i64) -> Result<Message> {
    conn.query_row(&format!("SELECT {COLUMNS} FROM {FROM} WHERE m.id = ?1"), [id], from_row)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("no message with id {id}")))
}

pub fn id_by_provider_id(conn: &Connection, account_id: i64, provider_message_id: &str) -> Result<Option<i64>> {
    // Cached: every insert and every status report asks this.
    let mut stmt = conn.prepare_cached("SELECT id FROM messages WHERE account_id = ?1 AND provider_message_id = ?2")?;
    Ok(stmt.query_row(params![account_id, provider_message_id], |r| r.get(0)).optional()?)
}

/// Stores a message once; a second delivery of the same provider id changes
/// nothing. Updates the conversation in the same transaction.
pub fn insert(conn: &Connection, m: &NewMessage) -> Result<InsertOutcome> {
    insert_with(conn, m, None, None)
}

/// [`insert`], with the search index of new rows possibly deferred (the
/// store's bulk path): a change waiting for this message is applied only
/// after the rows so far are indexed, so the end is the same.
/// `touches`: the conversation updates are gathered there and applied once
/// per conversation (`bulk_write::Touches`), with the same end.
pub(crate) fn insert_with(
    conn: &Connection,
    m: &NewMessage,
    fts: Option<&mut super::bulk_write::FtsDeferral>,
    touches: Option<&mut super::bulk_write::Touches>,
) -> Result<InsertOutcome> {
    if let Some(pid) = &m.provider_message_id {
        if let Some(id) = id_by_provider_id(conn, m.account_id, pid)? {
            return Ok(InsertOutcome::Duplicate(id));
        }
    }
    let direction = m.direction.unwrap_or(Direction::In);
    let status = m.status.unwrap_or(match direction {
        Direction::In => MessageStatus::Received,
        Direction::Out => MessageStatus::Pending,
    });
    let now = now_ms();
    let ts = m.timestamp.unwrap_or(now);
    let status_times = match status {
        MessageStatus::Pending | MessageStatus::Received => "{}".to_string(),
        s => serde_json::json!({ s.as_str(): ts }).to_string(),
    };
    // Prepared once per connection: preparing this statement again for every
    // message was 45 % of the time spent filling a store.
    let mut stmt = conn.prepare_cached(
        "INSERT INTO messages (account_id, conversation_id, provider_message_id, direction, origin, kind, text, caption,
            media_id, location, contacts, template, interactive, reply_to_provider_id, sender_id, sender_name,
            status, status_times, timestamp, created_at, send_request, raw, error_code, error_kind, error_message, error_details,
            order_details, referral, history)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29)",
    )?;
    stmt.execute(params![
        m.account_id,
        m.conversation_id,
        m.provider_message_id,
        direction.as_str(),
        m.origin.map(Origin::as_str),
        m.kind.unwrap_or(MessageKind::Text).as_str(),
        m.text,
        m.caption,
        m.media_id,
        super::json_col(&m.location),
        super::json_col(&m.contacts),
        super::json_col(&m.template),
        super::json_col(&m.interactive),
        m.reply_to_provider_id,
        m.sender_id,
        m.sender_name,
        status.as_str(),
        status_times,
        ts,
        now,
        super::json_col(&m.send_request),
        super::json_col(&m.raw),
        m.error.as_ref().and_then(|e| e.code.clone()),
        m.error.as_ref().map(|e| e.kind.as_str()),
        m.error.as_ref().map(|e| e.message.clone()),
        m.error_details,
        super::json_col(&m.order),
        super::json_col(&m.referral),
        m.history,
    ])?;
    drop(stmt);
    let id = conn.last_insert_rowid();
    // A notice is nobody's message, and a message imported from the app's
    // history was read there: neither counts as unread nor opens Meta's window.
    let counts_as = if m.kind == Some(MessageKind::Notice) || m.history { Direction::Out } else { direction };
    match touches {
        Some(t) => t.add(m.conversation_id, id, counts_as, ts),
        None => touch_conversation(conn, m.conversation_id, id, counts_as, ts)?,
    }
    if let Some(pid) = &m.provider_message_id {
        apply_deferred_statuses(conn, m.account_id, pid, id)?;
        if let Some(fts) = fts {
            // An edit or deletion rewrites the indexed text: index first.
            if super::message_changes::any_waiting(conn, m.account_id, pid)? {
                fts.flush(conn)?;
            }
        }
        super::message_changes::apply_waiting(conn, m.account_id, pid, id)?;
    }
    Ok(InsertOutcome::Inserted(id))
}

fn touch_conversation(conn: &Connection, conversation_id: i64, message_id: i64, direction: Direction, ts: i64) -> Result<()> {
    touch_last(conn, conversation_id, message_id, ts)?;
    if direction == Direction::In {
        touch_inbound(conn, conversation_id, 1, ts)?;
    }
    Ok(())
}

pub(super) fn touch_last(conn: &Connection, conversation_id: i64, message_id: i64, ts: i64) -> Result<()> {
    conn.prepare_cached(
        "UPDATE conversations SET
            last_message_id = CASE WHEN ?3 >= last_activity_at THEN ?2 ELSE last_message_id END,
            last_activity_at = max(last_activity_at, ?3)
         WHERE id = ?1",
    )?
    .execute(params![conversation_id, message_id, ts])?;
    Ok(())
}

/// `count` inbound messages, the newest at `ts`. The customer wrote, so a
/// snooze ends at once (issue 15).
pub(super) fn touch_inbound(conn: &Connection, conversation_id: i64, count: i64, ts: i64) -> Result<()> {
    // The window is Meta's rule; other providers leave it null.
    conn.prepare_cached(
        "UPDATE conversations SET
            unread_count = unread_count + ?4,
            snoozed_until = NULL,
            last_inbound_at = max(coalesce(last_inbound_at, 0), ?2),
            window_expires_at = CASE WHEN (SELECT provider FROM accounts WHERE id = conversations.account_id) = 'meta'
                                     THEN max(coalesce(window_expires_at, 0), ?2 + ?3) ELSE NULL END
         WHERE id = ?1",
    )?
    .execute(params![conversation_id, ts, SERVICE_WINDOW_MS, count])?;
    Ok(())
}

fn apply_deferred_statuses(conn: &Connection, account_id: i64, pid: &str, id: i64) -> Result<()> {
    // Sorted here, not by ORDER BY: SQLite marks that statement for a new
    // plan whenever its parameters are rebound, so a cached copy was
    // prepared again at every insert (seen in a profile of the seeder).
    let mut stmt = conn.prepare_cached(
        "SELECT status, timestamp, error_code, error_kind, error_message FROM pending_statuses
         WHERE account_id = ?1 AND provider_message_id = ?2",
    )?;
    let mut waiting = stmt
        .query_map(params![account_id, pid], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, Option<String>>(2)?, r.get::<_, Option<String>>(3)?, r.get::<_, Option<String>>(4)?))
        })?
        .collect::<std::result::Result<Vec<_>, _>>()?;
    drop(stmt);
    if waiting.is_empty() {
        return Ok(());
    }
    waiting.sort_by_key(|w| w.1);
    for (status, ts, code, kind, message) in waiting {
        let Some(status) = MessageStatus::parse(&status) else { continue };
        let error = match (kind, message) {
            (Some(k), Some(m)) => Some(ProviderError { code, kind: ErrorKind::parse(&k), message: m, retry_after: None }),
            _ => None,
        };
        apply_status(conn, id, status, ts, error.as_ref())?;
    }
    conn.execute("DELETE FROM pending_statuses WHERE account_id = ?1 AND provider_message_id = ?2", params![account_id, pid])?;
    Ok(())
}

/// Moves message `id` to `status` if the rule allows; records the time.
/// A status that may not apply yet (e.g. `read` before `delivered`) still
/// records its time when it is a later one.
pub fn apply_status(conn: &Connection, id: i64, status: MessageStatus, ts: i64, error: Option<&ProviderError>) -> Result<StatusOutcome> {
    // Cached: every status webhook runs these.
    let current: String = conn.prepare_cached("SELECT status FROM messages WHERE id = ?1")?.query_row([id], |r| r.get(0))?;
    let current = MessageStatus::parse(&current).unwrap_or(MessageStatus::Pending);
    if !current.can_move_to(status) {
        // Still keep the time of an intermediate status that arrived late.
        conn.prepare_cached(
            "UPDATE messages SET status_times = json_set(status_times, '$.' || ?2, ?3)
             WHERE id = ?1 AND json_extract(status_times, '$.' || ?2) IS NULL AND ?2 NOT IN ('failed', 'pending', 'sending', 'unknown')
               AND status NOT IN ('failed', 'received')",
        )?
        .execute(params![id, status.as_str(), ts])?;
        return Ok(StatusOutcome::Ignored(id));
    }
    conn.prepare_cached(
        "UPDATE messages SET status = ?2, status_times = json_set(status_times, '$.' || ?2, ?3),
            error_code = ?4, error_kind = ?5, error_message = ?6,
            next_attempt_at = CASE WHEN ?2 IN ('pending', 'sending') THEN next_attempt_at ELSE NULL END
         WHERE id = ?1",
    )?
    .execute(params![id, status.as_str(), ts, error.and_then(|e| e.code.clone()), error.map(|e| e.kind.as_str()), error.map(|e| e.message.clone())])?;
    Ok(StatusOutcome::Applied(id))
}

/// Applies a provider status report, matching by provider id, else by our
/// own id echoed back; defers it when the message is not there yet.
pub fn update_status(conn: &Connection, u: &StatusUpdate) -> Result<StatusOutcome> {
    let mut id = id_by_provider_id(conn, u.account_id, &u.provider_message_id)?;
    if id.is_none() {
        if let Some(wid) = u.wicket_id {
            // We never saw the send response: adopt the provider id now.
            let n = conn.execute(
                &format!(
                    "UPDATE messages SET provider_message_id = ?3 WHERE id = ?1 AND account_id = ?2 AND direction = 'out'
                       AND (provider_message_id IS NULL OR provider_message_id LIKE '{PLACEHOLDER_LIKE}')"
                ),
                params![wid, u.account_id, u.provider_message_id],
            )?;
            if n == 1 {
                apply_deferred_statuses(conn, u.account_id, &u.provider_message_id, wid)?;
                id = Some(wid);
            }
        }
    }
    match id {
        Some(id) => apply_status(conn, id, u.status, u.timestamp, u.error.as_ref()),
        None => {
            conn.execute(
                "INSERT OR IGNORE INTO pending_statuses (account_id, provider_message_id, status, timestamp, error_code, error_kind, error_message)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    u.account_id,
                    u.provider_message_id,
                    u.status.as_str(),
                    u.timestamp,
                    u.error.as_ref().and_then(|e| e.code.clone()),
                    u.error.as_ref().map(|e| e.kind.as_str()),
                    u.error.as_ref().map(|e| e.message.clone()),
                ],
            )?;
            Ok(StatusOutcome::Deferred)
        }
    }
}

/// Provider ids that stand in until the real one is known (WASender sends
/// whose WhatsApp id was not reported yet), as a `LIKE` pattern.
const PLACEHOLDER_LIKE: &str = "wasender-msg-%";

/// Our own send, not yet confirmed by its provider id, that a gateway's echo
/// of an outgoing message (same text, within minutes) must be.
pub fn unconfirmed_send(conn: &Connection, conversation_id: i64, text: Option<&str>, ts: i64) -> Result<Option<i64>> {
    Ok(conn
        .query_row(
            &format!(
                "SELECT id FROM messages
                 WHERE conversation_id = ?1 AND direction = 'out' AND origin = 'app' AND status IN ('pending', 'sending', 'sent', 'unknown')
                   AND (provider_message_id IS NULL OR provider_message_id LIKE '{PLACEHOLDER_LIKE}')
                   AND text IS ?2 AND abs(timestamp - ?3) < 600000
                 ORDER BY id LIMIT 1"
            ),
            params![conversation_id, text, ts],
            |r| r.get(0),
        )
        .optional()?)
}

/// Records the provider's id for a message we sent, then applies any status
/// that arrived before the send response did.
pub fn set_provider_id(conn: &Connection, id: i64, provider_message_id: &str) -> Result<()> {
    let (account_id, current): (i64, Option<String>) =
        conn.query_row("SELECT account_id, provider_message_id FROM messages WHERE id = ?1", [id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let is_placeholder = |p: &str| p.starts_with(&PLACEHOLDER_LIKE[..PLACEHOLDER_LIKE.len() - 1]);
    if is_placeholder(provider_message_id) && current.as_deref().is_some_and(|c| !is_placeholder(c)) {
        // The real id arrived first (through the gateway's echo): keep it.
        return Ok(());
    }
    if let Some(other) = id_by_provider_id(conn, account_id, provider_message_id)? {
        if other != id {
            // A gateway's echo of this very send got stored first as a phone
            // message: ours is the real row, the echo goes.
            let echo: Option<String> = conn.query_row("SELECT origin FROM messages WHERE id = ?1", [other], |r| r.get(0))?;
            if echo.as_deref() != Some("phone") {
                return Err(Error::Internal(format!("provider id {provider_message_id} already belongs to message {other}")));
            }
            let conversation: i64 = conn.query_row("SELECT conversation_id FROM messages WHERE id = ?1", [other], |r| r.get(0))?;
            conn.execute("DELETE FROM messages WHERE id = ?1", [other])?;
            conversations::refresh_last_message(conn, conversation)?;
        }
    }
    conn.execute("UPDATE messages SET provider_message_id = ?2 WHERE id = ?1", params![id, provider_message_id])?;
    if !is_placeholder(provider_message_id) {
        // The provider knows this id: a send that may have gone out did.
        apply_status_if(conn, id, MessageStatus::Unknown, MessageStatus::Sent, now_ms())?;
    }
    apply_deferred_statuses(conn, account_id, provider_message_id, id)?;
    super::message_changes::apply_waiting(conn, account_id, provider_message_id, id)?;
    Ok(())
}

/// Moves message `id` from `from` to `to` (clearing the error), if it is
/// still at `from`.
fn apply_status_if(conn: &Connection, id: i64, from: MessageStatus, to: MessageStatus, ts: i64) -> Result<bool> {
    let n = conn.execute(
        "UPDATE messages SET status = ?3, status_times = json_set(status_times, '$.' || ?3, ?4),
            error_code = NULL, error_kind = NULL, error_message = NULL, next_attempt_at = NULL
         WHERE id = ?1 AND status = ?2",
        params![id, from.as_str(), to.as_str(), ts],
    )?;
    Ok(n == 1)
}

/// What the provider said when it accepted one of our sends.
#[derive(Debug, Clone, Copy)]
pub struct Accepted<'a> {
    pub provider_message_id: &'a str,
    /// The provider's own id for the send (WASender's msgId).
    pub provider_send_id: Option<&'a str>,
    pub at: i64,
}

/// Records that the provider accepted message `id`: `sent` (unless a
/// status report already moved it further), its provider id, the attempt
/// counted, the request dropped. The first thing written after a send, in
/// a transaction of its own, so nothing else can make it fail.
pub fn record_accepted(conn: &Connection, id: i64, a: &Accepted<'_>) -> Result<()> {
    conn.execute(
        "UPDATE messages SET send_request = NULL, attempts = attempts + 1, next_attempt_at = NULL, provider_send_id = coalesce(?2, provider_send_id)
         WHERE id = ?1",
        params![id, a.provider_send_id],
    )?;
    conn.execute(
        "UPDATE messages SET status = 'sent', status_times = json_set(status_times, '$.sent', ?2),
            error_code = NULL, error_kind = NULL, error_message = NULL
         WHERE id = ?1 AND status IN ('pending', 'sending', 'unknown')",
        params![id, a.at],
    )?;
    match set_provider_id(conn, id, a.provider_message_id) {
        // The id clashes with another message we sent: keep the send recorded without it.
        Err(Error::Internal(why)) => {
            tracing::error!(message = id, "the provider's id for a sent message was not stored: {why}");
            Ok(())
        }
        other => other,
    }
}

/// Marks a send whose outcome cannot be known `unknown`, with the reason,
/// unless a status report settled it meanwhile. Returns the status it has.
pub fn mark_outcome_unknown(conn: &Connection, id: i64, reason: &ProviderError, ts: i64) -> Result<MessageStatus> {
    apply_status(conn, id, MessageStatus::Unknown, ts, Some(reason))?;
    let status: String = conn.query_row("SELECT status FROM messages WHERE id = ?1", [id], |r| r.get(0))?;
    Ok(MessageStatus::parse(&status).unwrap_or(MessageStatus::Unknown))
}

/// The reason stored with a send whose sender stopped (its claim ran out).
pub fn lease_expired_error() -> ProviderError {
    ProviderError {
        code: None,
        kind: ErrorKind::OutcomeUnknown,
        message: "Wicket stopped while sending this message (it was closed or crashed), so it may have been sent. Check the chat on the phone before sending it again".into(),
        retry_after: None,
    }
}

/// Sets or removes (empty emoji) one reactor's reaction on a message.
pub fn set_reaction(conn: &Connection, account_id: i64, target_provider_id: &str, reactor: &str, emoji: &str, ts: i64) -> Result<()> {
    if emoji.is_empty() {
        conn.execute(
            "DELETE FROM reactions WHERE account_id = ?1 AND target_provider_id = ?2 AND reactor = ?3 AND timestamp <= ?4",
            params![account_id, target_provider_id, reactor, ts],
        )?;
    } else {
        conn.prepare_cached(
            "INSERT INTO reactions (account_id, target_provider_id, reactor, emoji, timestamp) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (account_id, target_provider_id, reactor) DO UPDATE SET emoji = excluded.emoji, timestamp = excluded.timestamp
             WHERE excluded.timestamp >= reactions.timestamp",
        )?
        .execute(params![account_id, target_provider_id, reactor, emoji, ts])?;
    }
    Ok(())
}

/// The SQL of one page of a conversation, newest first; public for plan tests.
pub fn page_query(before: bool) -> String {
    let cursor = if before { " AND (m.timestamp, m.id) < (?2, ?3)" } else { "" };
    format!("SELECT {COLUMNS} FROM {FROM} WHERE m.conversation_id = ?1{cursor} ORDER BY m.timestamp DESC, m.id DESC LIMIT ?4")
}

impl Store {
    pub fn message(&self, id: i64) -> Result<Message> {
        get(&self.conn, id)
    }

    pub fn message_by_provider_id(&self, account_id: i64, provider_message_id: &str) -> Result<Option<Message>> {
        match id_by_provider_id(&self.conn, account_id, provider_message_id)? {
            Some(id) => Ok(Some(get(&self.conn, id)?)),
            None => Ok(None),
        }
    }

    pub fn insert_message(&mut self, m: &NewMessage) -> Result<InsertOutcome> {
        self.write(|tx| insert(tx, m))
    }

    pub fn update_status(&mut self, u: &StatusUpdate) -> Result<StatusOutcome> {
        self.write(|tx| update_status(tx, u))
    }

    /// One page of a conversation, oldest first: the `limit` messages before
    /// message `before` (or the newest ones). Paged by cursor, never offset.
    pub fn messages_page(&self, conversation_id: i64, before: Option<i64>, limit: usize) -> Result<Vec<Message>> {
        let limit = if limit == 0 { 50 } else { limit } as i64;
        let mut out = match before {
            Some(b) => {
                let (ts, conv): (i64, i64) = self
                    .conn
                    .query_row("SELECT timestamp, conversation_id FROM messages WHERE id = ?1", [b], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()?
                    .ok_or_else(|| Error::NotFound(format!("no message with id {b}")))?;
                if conv != conversation_id {
                    return Err(Error::Invalid(format!("message {b} is not in conversation {conversation_id}")));
                }
                let mut stmt = self.conn.prepare_cached(&page_query(true))?;
                let rows = stmt.query_map(params![conversation_id, ts, b, limit], from_row)?;
                rows.collect::<std::result::Result<Vec<_>, _>>()?
            }
            None => {
                let mut stmt = self.conn.prepare_cached(&page_query(false))?;
                let rows = stmt.query_map(params![conversation_id, rusqlite::types::Null, rusqlite::types::Null, limit], from_row)?;
                rows.collect::<std::result::Result<Vec<_>, _>>()?
            }
        };
        out.reverse();
        Ok(out)
    }

    pub fn set_message_provider_id(&mut self, id: i64, provider_message_id: &str) -> Result<()> {
        self.write(|tx| set_provider_id(tx, id, provider_message_id))
    }

    pub fn set_message_status(&mut self, id: i64, status: MessageStatus, error: Option<&ProviderError>) -> Result<StatusOutcome> {
        let now = now_ms();
        self.write(|tx| apply_status(tx, id, status, now, error))
    }

    /// Claims message `id` for one send attempt: moves it from `pending` to
    /// `sending` with a lease until `now + lease_ms`, in one write. Only one
    /// process wins a claim (the engine and a `wicket send` racing on the
    /// same row). The sender renews the lease while its request runs
    /// ([`Store::renew_send_lease`]); a sender that dies mid-send leaves a
    /// lease that runs out, and the send then becomes `unknown`
    /// ([`Store::expire_send`]), never sent again blindly. Returns false
    /// when someone else holds it, or it is no longer waiting to be sent.
    pub fn claim_for_sending(&mut self, id: i64, now: i64, lease_ms: i64) -> Result<bool> {
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE messages SET status = 'sending', next_attempt_at = ?3,
                    status_times = json_set(status_times, '$.sending', ?2)
                 WHERE id = ?1 AND status = 'pending' AND coalesce(next_attempt_at, 0) <= ?2",
                params![id, now, now + lease_ms],
            )?;
            Ok(n == 1)
        })
    }

    /// Extends a live claim from `held_until` (the lease its holder set) to
    /// `until`. False when the claim is no longer this holder's.
    pub fn renew_send_lease(&mut self, id: i64, held_until: i64, until: i64) -> Result<bool> {
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE messages SET next_attempt_at = ?3 WHERE id = ?1 AND status = 'sending' AND next_attempt_at = ?2",
                params![id, held_until, until],
            )?;
            Ok(n == 1)
        })
    }

    /// A send whose claim ran out at `now` (its sender died mid-request):
    /// it becomes `unknown` with the reason. False when its claim is live.
    pub fn expire_send(&mut self, id: i64, now: i64) -> Result<bool> {
        let reason = lease_expired_error();
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE messages SET status = 'unknown', status_times = json_set(status_times, '$.unknown', ?2), next_attempt_at = NULL,
                    error_code = NULL, error_kind = ?3, error_message = ?4
                 WHERE id = ?1 AND status = 'sending' AND coalesce(next_attempt_at, 0) <= ?2",
                params![id, now, reason.kind.as_str(), reason.message],
            )?;
            Ok(n == 1)
        })
    }

    /// The provider's own id for our send `id` (WASender's msgId), if any.
    pub fn provider_send_id(&self, id: i64) -> Result<Option<String>> {
        Ok(self.conn.query_row("SELECT provider_send_id FROM messages WHERE id = ?1", [id], |r| r.get(0)).optional()?.flatten())
    }

    /// Our sends whose outcome is unknown on `account_id`, oldest first.
    pub fn unknown_sends(&self, account_id: i64, limit: usize) -> Result<Vec<Message>> {
        let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE m.account_id = ?1 AND m.status = 'unknown' AND m.direction = 'out' ORDER BY m.id LIMIT ?2");
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(params![account_id, limit as i64], from_row)?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Marks a send attempt: counts it and sets when the next one may run.
    pub fn schedule_retry(&mut self, id: i64, next_attempt_at: Option<i64>) -> Result<()> {
        self.write(|tx| {
            tx.execute("UPDATE messages SET attempts = attempts + 1, next_attempt_at = ?2 WHERE id = ?1", params![id, next_attempt_at])?;
            Ok(())
        })
    }

    /// Outgoing messages waiting to be sent, oldest first.
    pub fn outbox_due(&self, now: i64, limit: usize) -> Result<Vec<Message>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE m.status IN ('pending', 'sending') AND coalesce(m.next_attempt_at, 0) <= ?1
             ORDER BY m.next_attempt_at, m.id LIMIT ?2"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(params![now, limit as i64], from_row)?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Our sends with a provider send id (WASender) still short of `read`,
    /// sent after `since`: (message id, send id), oldest check first.
    pub fn sends_to_recheck(&self, account_id: i64, since: i64, limit: usize) -> Result<Vec<(i64, String)>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, provider_send_id FROM messages
             WHERE account_id = ?1 AND provider_send_id IS NOT NULL AND status IN ('sent', 'delivered') AND created_at >= ?2
             ORDER BY id DESC LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![account_id, since, limit as i64], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    pub fn set_reaction(&mut self, account_id: i64, target_provider_id: &str, reactor: &str, emoji: &str, ts: i64) -> Result<()> {
        self.write(|tx| set_reaction(tx, account_id, target_provider_id, reactor, emoji, ts))
    }

    pub fn refresh_conversation(&mut self, conversation_id: i64) -> Result<()> {
        self.write(|tx| conversations::refresh_last_message(tx, conversation_id))
    }
}
