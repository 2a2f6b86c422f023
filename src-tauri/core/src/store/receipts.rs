//! Per-participant receipts of our messages in groups (WASender's
//! `message-receipt.update`, Meta's group statuses naming a participant).
//!
//! Rules kept here: receipts are keyed by the provider message id, so one
//! that arrives before its message waits for it by itself; each time
//! (delivered, read, played) is kept once, the earliest reported, so any
//! order of delivery ends the same. A participant's status is the furthest
//! of their times. The message's own status is `messages`' business (it only
//! moves forward there); nothing here moves it.

use crate::error::Result;
use crate::model::MessageStatus;
use rusqlite::{params, Connection};
use serde::Serialize;
use serde_json::Value;

/// One participant's receipt, as `wicket messages --json` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Receipt {
    pub participant: String,
    /// The furthest of the times below: `delivered`, `read` or `played`.
    pub status: String,
    pub delivered_at: Option<i64>,
    pub read_at: Option<i64>,
    pub played_at: Option<i64>,
}

/// Records a receipt; true when it added a time. Statuses other than
/// delivered, read and played say nothing about a participant: ignored.
pub fn record(conn: &Connection, account_id: i64, provider_message_id: &str, participant: &str, status: MessageStatus, at: i64) -> Result<bool> {
    let column = match status {
        MessageStatus::Delivered => "delivered_at",
        MessageStatus::Read => "read_at",
        MessageStatus::Played => "played_at",
        _ => return Ok(false),
    };
    let n = conn.execute(
        &format!(
            "INSERT INTO message_receipts (account_id, provider_message_id, participant, {column}) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (account_id, provider_message_id, participant) DO UPDATE SET {column} = excluded.{column}
             WHERE {column} IS NULL OR {column} > excluded.{column}"
        ),
        params![account_id, provider_message_id, participant, at],
    )?;
    Ok(n > 0)
}

/// Reads the message query's receipts column (a JSON array).
pub(crate) fn parse(json: Option<String>) -> Vec<Receipt> {
    let list: Vec<Value> = json.and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default();
    list.into_iter()
        .filter_map(|v| {
            let at = |k: &str| v.get(k).and_then(Value::as_i64);
            let (delivered_at, read_at, played_at) = (at("delivered_at"), at("read_at"), at("played_at"));
            let status = if played_at.is_some() {
                "played"
            } else if read_at.is_some() {
                "read"
            } else {
                "delivered"
            };
            Some(Receipt { participant: v.get("participant")?.as_str()?.to_string(), status: status.into(), delivered_at, read_at, played_at })
        })
        .collect()
}
