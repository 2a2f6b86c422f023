//! Raw webhook bodies: kept for audit, deduplication and replay. A body
//! delivered twice to the same account's address (providers retry for days)
//! is recognised by its hash; the same body posted to two accounts' addresses
//! is stored for each. Applied bodies are pruned after the retention period
//! ([`crate::maintenance`]); unparseable and unrouted ones wait for a replay.

use super::Store;
use crate::error::Result;
use crate::time::now_ms;
use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventState {
    Applied,
    Unparseable,
    Unrouted,
}

impl EventState {
    pub fn as_str(self) -> &'static str {
        match self {
            EventState::Applied => "applied",
            EventState::Unparseable => "unparseable",
            EventState::Unrouted => "unrouted",
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct WebhookEvent {
    pub id: i64,
    pub provider: String,
    pub account_id: Option<i64>,
    pub received_at: i64,
    pub body: Vec<u8>,
    pub state: String,
    pub error: Option<String>,
}

pub fn body_hash(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

/// Stores a raw body. Returns `None` when the same body was stored before
/// (a redelivery), so the caller applies nothing.
pub fn record(conn: &Connection, provider: &str, account_id: Option<i64>, body: &[u8], state: EventState, error: Option<&str>) -> Result<Option<i64>> {
    // Cached: the webhook writer runs this for every request.
    let n = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO webhook_events (provider, account_id, received_at, body, body_sha256, state, error)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![provider, account_id, now_ms(), body, body_hash(body), state.as_str(), error])?;
    Ok((n == 1).then(|| conn.last_insert_rowid()))
}

/// Deletes up to `limit` applied bodies received before `received_before`
/// (Unix ms), oldest first; returns how many. Unparseable and unrouted
/// bodies are never pruned: they are not applied yet. Small batches keep
/// each write transaction short, so the webhook writer never waits long.
pub fn prune_applied(conn: &Connection, received_before: i64, limit: usize) -> Result<usize> {
    Ok(conn.execute(
        "DELETE FROM webhook_events WHERE id IN (
             SELECT id FROM webhook_events INDEXED BY webhook_events_applied_by_age
             WHERE state = 'applied' AND received_at < ?1 ORDER BY received_at LIMIT ?2)",
        params![received_before, limit as i64],
    )?)
}

/// Deletes every body stored for `account_id` (the account is being removed).
pub fn remove_for_account(conn: &Connection, account_id: i64) -> Result<usize> {
    Ok(conn.execute("DELETE FROM webhook_events WHERE account_id = ?1", [account_id])?)
}

/// Records what a replay made of a stored event.
pub fn set_state(conn: &Connection, id: i64, state: EventState, error: Option<&str>) -> Result<()> {
    conn.execute("UPDATE webhook_events SET state = ?2, error = ?3 WHERE id = ?1", params![id, state.as_str(), error])?;
    Ok(())
}

fn event_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<WebhookEvent> {
    Ok(WebhookEvent { id: r.get(0)?, provider: r.get(1)?, account_id: r.get(2)?, received_at: r.get(3)?, body: r.get(4)?, state: r.get(5)?, error: r.get(6)? })
}

impl Store {
    pub fn webhook_event(&self, id: i64) -> Result<WebhookEvent> {
        self.conn
            .query_row("SELECT id, provider, account_id, received_at, body, state, error FROM webhook_events WHERE id = ?1", [id], event_from_row)
            .optional()?
            .ok_or_else(|| crate::Error::NotFound(format!("no stored webhook event {id}: see `wicket webhook events`")))
    }

    /// Stored events in `state` (all when `None`), newest first. A
    /// maintenance listing: it reads the table without an index on state.
    pub fn webhook_events_in(&self, state: Option<&str>, limit: usize) -> Result<Vec<WebhookEvent>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, provider, account_id, received_at, body, state, error FROM webhook_events
             WHERE ?1 IS NULL OR state = ?1 ORDER BY id DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![state, limit as i64], event_from_row)?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// The newest stored events, whatever their state.
    pub fn webhook_events(&self, limit: usize) -> Result<Vec<WebhookEvent>> {
        self.webhook_events_in(None, limit)
    }

    pub fn webhook_event_seen(&self, provider: &str, body: &[u8]) -> Result<bool> {
        Ok(self
            .conn
            .query_row("SELECT 1 FROM webhook_events WHERE provider = ?1 AND body_sha256 = ?2", params![provider, body_hash(body)], |_| Ok(()))
            .optional()?
            .is_some())
    }
}
