//! Scheduled messages: what the owner asked to send later, kept apart from
//! the outbox until its time.
//!
//! Rules kept here: a scheduled message is never `pending` (nothing claims
//! it) until it is released; releasing it (`queued`, with the message it
//! became) and inserting that message happen in one transaction guarded by
//! `state = 'scheduled'`, so it is queued once however many engines look; a
//! cancelled, queued or failed one never moves again. What to send, and the
//! checks, are `crate::scheduled`'s.

use super::Store;
use crate::error::{Error, Result};
use crate::time::now_ms;
use rusqlite::{params, Connection, OptionalExtension, Row};

/// Where a scheduled message is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScheduledState {
    /// Waiting for its time.
    Scheduled,
    /// Its time came: it is now an ordinary message in the outbox (`message_id`).
    Queued,
    /// Not sent, with the reason (`error`): too late, or refused at its time.
    Failed,
    /// The owner cancelled it.
    Cancelled,
}

impl ScheduledState {
    pub fn as_str(self) -> &'static str {
        match self {
            ScheduledState::Scheduled => "scheduled",
            ScheduledState::Queued => "queued",
            ScheduledState::Failed => "failed",
            ScheduledState::Cancelled => "cancelled",
        }
    }

    fn parse(s: &str) -> ScheduledState {
        match s {
            "queued" => ScheduledState::Queued,
            "failed" => ScheduledState::Failed,
            "cancelled" => ScheduledState::Cancelled,
            _ => ScheduledState::Scheduled,
        }
    }
}

/// One scheduled message as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Scheduled {
    pub id: i64,
    pub account_id: i64,
    pub conversation_id: i64,
    /// What to send (`crate::scheduled::Request` as JSON).
    pub request: serde_json::Value,
    /// A one-line description of the content, for lists.
    pub summary: String,
    pub send_at: i64,
    pub created_at: i64,
    pub state: ScheduledState,
    /// The outbox message it became (queued, or failed when too late).
    pub message_id: Option<i64>,
    pub error: Option<String>,
    /// When it was queued, failed or cancelled.
    pub settled_at: Option<i64>,
}

/// A scheduled message to store.
#[derive(Debug, Clone)]
pub struct NewScheduled<'a> {
    pub account_id: i64,
    pub conversation_id: i64,
    pub request: &'a serde_json::Value,
    pub summary: &'a str,
    pub send_at: i64,
}

/// Which scheduled messages to list.
#[derive(Debug, Clone, Default)]
pub struct ScheduledFilter {
    pub account_id: Option<i64>,
    pub conversation_id: Option<i64>,
    /// Also the queued and cancelled ones (default: waiting and failed).
    pub all: bool,
    /// Only those still waiting (the chat's list above the composer).
    pub waiting_only: bool,
    pub limit: usize,
}

const COLUMNS: &str = "id, account_id, conversation_id, request, summary, send_at, created_at, state, message_id, error, settled_at";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Scheduled> {
    let request: String = r.get(3)?;
    let state: String = r.get(7)?;
    Ok(Scheduled {
        id: r.get(0)?,
        account_id: r.get(1)?,
        conversation_id: r.get(2)?,
        request: serde_json::from_str(&request).unwrap_or(serde_json::Value::Null),
        summary: r.get(4)?,
        send_at: r.get(5)?,
        created_at: r.get(6)?,
        state: ScheduledState::parse(&state),
        message_id: r.get(8)?,
        error: r.get(9)?,
        settled_at: r.get(10)?,
    })
}

pub fn get(conn: &Connection, id: i64) -> Result<Scheduled> {
    conn.query_row(&format!("SELECT {COLUMNS} FROM scheduled_messages WHERE id = ?1"), [id], from_row)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("no scheduled message with id {id} (see `wicket scheduled`)")))
}

pub fn insert(conn: &Connection, s: &NewScheduled<'_>) -> Result<i64> {
    conn.execute(
        "INSERT INTO scheduled_messages (account_id, conversation_id, request, summary, send_at, created_at, state)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'scheduled')",
        params![s.account_id, s.conversation_id, s.request.to_string(), s.summary, s.send_at, now_ms()],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Moves a waiting message to `queued` (with the message it became) or
/// `failed` (with why). False when it was no longer waiting: the caller
/// rolls back what it did for it.
pub fn settle(conn: &Connection, id: i64, state: ScheduledState, message_id: Option<i64>, error: Option<&str>) -> Result<bool> {
    let changed = conn.execute(
        "UPDATE scheduled_messages SET state = ?2, message_id = ?3, error = ?4, settled_at = ?5 WHERE id = ?1 AND state = 'scheduled'",
        params![id, state.as_str(), message_id, error, now_ms()],
    )?;
    Ok(changed == 1)
}

impl Store {
    pub fn scheduled(&self, id: i64) -> Result<Scheduled> {
        get(self.conn(), id)
    }

    /// Scheduled messages by time to send (soonest first), then id.
    pub fn scheduled_list(&self, f: &ScheduledFilter) -> Result<Vec<Scheduled>> {
        let states = match (f.waiting_only, f.all) {
            (true, _) => "'scheduled'",
            (false, true) => "'scheduled', 'queued', 'failed', 'cancelled'",
            (false, false) => "'scheduled', 'failed'",
        };
        let mut stmt = self.conn().prepare(&format!(
            "SELECT {COLUMNS} FROM scheduled_messages
             WHERE state IN ({states}) AND (?1 IS NULL OR account_id = ?1) AND (?2 IS NULL OR conversation_id = ?2)
             ORDER BY send_at, id LIMIT ?3"
        ))?;
        let limit = if f.limit == 0 { 500 } else { f.limit } as i64;
        let rows = stmt.query_map(params![f.account_id, f.conversation_id, limit], from_row)?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Ids of `account_id`'s scheduled messages whose time has come at `now`, soonest first.
    pub fn scheduled_due_ids(&self, account_id: i64, now: i64, limit: usize) -> Result<Vec<i64>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT id FROM scheduled_messages WHERE state = 'scheduled' AND account_id = ?1 AND send_at <= ?2 ORDER BY send_at, id LIMIT ?3")?;
        let rows = stmt.query_map(params![account_id, now, limit as i64], |r| r.get(0))?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Cancels a waiting message. One already queued, failed or cancelled
    /// says so (it cannot be taken back from here).
    pub fn cancel_scheduled(&mut self, id: i64) -> Result<Scheduled> {
        self.write(|tx| {
            let s = get(tx, id)?;
            let why = match s.state {
                ScheduledState::Scheduled => {
                    settle(tx, id, ScheduledState::Cancelled, None, None)?;
                    return get(tx, id);
                }
                ScheduledState::Queued => {
                    format!("its time came and it went to the outbox as message {}: it cannot be cancelled", s.message_id.unwrap_or_default())
                }
                ScheduledState::Failed => format!("it was not sent ({})", s.error.as_deref().unwrap_or("failed")),
                ScheduledState::Cancelled => "it was already cancelled".to_string(),
            };
            Err(Error::Invalid(format!("scheduled message {id} is not waiting: {why}")))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::NewAccount;

    #[test]
    fn due_and_cancel_follow_the_state() {
        let tmp = tempfile::tempdir().unwrap();
        let mut store = Store::open(&tmp.path().join("wicket.db")).unwrap();
        let account =
            store.add_account(&NewAccount { provider: crate::model::Provider::Demo, name: "Demo".into(), phone: None, config: serde_json::json!({}) }).unwrap();
        let conversation = store
            .write(|tx| {
                let contact = crate::store::contacts::upsert(tx, account.id, &crate::store::contacts::ContactKey::phone("+447911123456"), &Default::default())?;
                crate::store::conversations::get_or_create(tx, account.id, contact)
            })
            .unwrap();
        let request = serde_json::json!({"content": {"type": "text", "body": "hi"}});
        let new = |send_at| NewScheduled { account_id: account.id, conversation_id: conversation, request: &request, summary: "hi", send_at };
        let a = store.write(|tx| insert(tx, &new(1_000))).unwrap();
        let b = store.write(|tx| insert(tx, &new(5_000))).unwrap();
        assert_eq!(store.scheduled_due_ids(account.id, 2_000, 10).unwrap(), vec![a], "only what is due");
        store.cancel_scheduled(a).unwrap();
        assert!(store.scheduled_due_ids(account.id, 9_000, 10).unwrap() == vec![b], "a cancelled message is never due");
        let again = store.cancel_scheduled(a).unwrap_err().to_string();
        assert!(again.contains("already cancelled"), "{again}");
        assert!(store.write(|tx| settle(tx, b, ScheduledState::Failed, None, Some("late"))).unwrap());
        assert!(!store.write(|tx| settle(tx, b, ScheduledState::Queued, Some(1), None)).unwrap(), "settled once");
        assert!(matches!(store.cancel_scheduled(99), Err(Error::NotFound(_))));
        let listed = store.scheduled_list(&ScheduledFilter::default()).unwrap();
        assert_eq!(listed.iter().map(|s| s.id).collect::<Vec<_>>(), vec![b], "the default list: waiting and failed");
        assert_eq!(store.scheduled_list(&ScheduledFilter { all: true, ..Default::default() }).unwrap().len(), 2);
    }

    #[test]
    fn a_merged_conversation_keeps_what_was_scheduled_in_it() {
        use crate::store::contacts::{self, ContactKey};
        let tmp = tempfile::tempdir().unwrap();
        let mut store = Store::open(&tmp.path().join("wicket.db")).unwrap();
        let account =
            store.add_account(&NewAccount { provider: crate::model::Provider::Demo, name: "Demo".into(), phone: None, config: serde_json::json!({}) }).unwrap();
        let (old, new) = (ContactKey::phone("+447911123456"), ContactKey::phone("+447911654321"));
        let request = serde_json::json!({"content": {"type": "text", "body": "hi"}});
        let (kept, moved) = store
            .write(|tx| {
                let a = contacts::upsert(tx, account.id, &old, &Default::default())?;
                let kept = crate::store::conversations::get_or_create(tx, account.id, a)?;
                // The new number wrote first: a contact and conversation of its own, with a message and a scheduled answer.
                let b = contacts::upsert(tx, account.id, &new, &Default::default())?;
                let other = crate::store::conversations::get_or_create(tx, account.id, b)?;
                crate::store::messages::insert(
                    tx,
                    &crate::store::NewMessage { account_id: account.id, conversation_id: other, text: Some("new phone".into()), ..Default::default() },
                )?;
                let s = insert(tx, &NewScheduled { account_id: account.id, conversation_id: other, request: &request, summary: "hi", send_at: 9_000 })?;
                contacts::change_number(tx, account.id, &old, &new)?;
                Ok((kept, s))
            })
            .unwrap();
        assert_eq!(store.scheduled(moved).unwrap().conversation_id, kept, "the scheduled message followed the merge, not deleted with its conversation");
    }
}
