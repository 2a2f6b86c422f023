//! Bulk sending: one message (a template with each recipient's values, or
//! free text) to the rows of a CSV or the conversations with a label.
//!
//! Everything is checked before anything is queued ([`validate`]: numbers,
//! the template's parameters per row, Meta's 24-hour window for free text,
//! opt-outs, duplicates), with a report per row; a job is only stored when
//! no row is invalid. A job waits in `store::bulk`, outside the outbox: each
//! account's quick send lane calls [`release_due`] before its pass, which
//! moves a few rows at a time into the outbox (at most [`outbox_cap`] of the
//! account's bulk messages pending at once: a second's worth of its rate, at
//! least [`IN_OUTBOX`]), so the owner's own replies
//! never queue behind a thousand bulk messages. Each released message is an
//! ordinary outbox message: rate limits, claims, `unknown`, never twice. A
//! row is released in the transaction that inserts its message, so a kill
//! at any point loses none and doubles none.

mod validate;

pub use validate::{parameter_columns, Outcome, Report, ReportRow, MAX_ROWS};

use crate::error::{Error, Result};
use crate::outbox;
use crate::providers::OutgoingContent;
use crate::store::bulk::{self as table, Counts, Job, JobState, WaitingRow};
use crate::store::{messages, Store};
use crate::time::{now_ms, to_rfc3339};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The fewest bulk messages of one account allowed in the outbox at once;
/// the cap is one second's worth of the account's rate when that is more
/// ([`outbox_cap`]). The rest wait in their job, so a manual reply waits
/// behind at most about a second of sending.
pub const IN_OUTBOX: i64 = 10;

/// How many of an account's bulk messages may be in the outbox at once:
/// enough to keep its rate busy between two passes of the send lane, few
/// enough that the owner's own messages never queue behind a whole job.
pub fn outbox_cap(account: &crate::store::Account) -> i64 {
    IN_OUTBOX.max(crate::ratelimit::Limits::of(account).max_per_second as i64)
}

/// Where the recipients come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Recipients {
    /// A CSV's text (a `phone` column, one column per template parameter) and its file name, for the job's description.
    Csv { text: String, name: String },
    /// The account's conversations with this label.
    Label(String),
}

/// What every recipient gets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum BulkMessage {
    /// A synced, approved template, filled per row.
    Template { name: String, language: String },
    /// Free text (Meta: only to customers whose 24-hour window is open).
    Text { body: String },
}

/// A bulk send as the owner describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    pub account_id: i64,
    pub recipients: Recipients,
    pub message: BulkMessage,
    /// Values common to every row, by column name (`1`, `first_name`, `header.1`, `button.1`); a row's column wins.
    pub params: HashMap<String, String>,
    /// Parameters filled from a CSV column of another name (parameter → column); by default the column named as the parameter.
    pub columns: HashMap<String, String>,
}

/// What a job stores as its request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRequest {
    pub message: BulkMessage,
    #[serde(default)]
    pub params: HashMap<String, String>,
}

/// Reads `--param` values: `NAME=VALUE` (a column name), or a bare value
/// for the next body parameter by number (`1`, `2`, …).
pub fn parse_params(list: &[String]) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut next = 1;
    for p in list {
        match p.split_once('=') {
            Some((name, value)) if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.') => {
                out.insert(name.to_string(), value.to_string());
            }
            _ => {
                out.insert(next.to_string(), p.clone());
                next += 1;
            }
        }
    }
    out
}

/// Checks a bulk send and reports per row; stores nothing.
pub fn validate(store: &Store, spec: &Spec) -> Result<Report> {
    let account = store.account(spec.account_id)?;
    Ok(validate::check(store, &account, spec)?.0)
}

/// Checks a bulk send and, when no row is invalid and one at least can be
/// sent, stores the job (running: the engine releases it). The report is
/// returned either way; the job only when stored.
pub fn start(store: &mut Store, spec: &Spec) -> Result<(Report, Option<Job>)> {
    let account = store.account(spec.account_id)?;
    let (report, rows) = validate::check(store, &account, spec)?;
    if report.invalid > 0 || report.ok == 0 {
        return Ok((report, None));
    }
    let request =
        serde_json::to_value(JobRequest { message: spec.message.clone(), params: spec.params.clone() }).map_err(|e| Error::Internal(e.to_string()))?;
    let source = match &spec.recipients {
        Recipients::Csv { name, .. } => format!("file {name}"),
        Recipients::Label(l) => format!("label {l}"),
    };
    let job = store.insert_bulk_job(account.id, &request, &summary(&spec.message), &source, &rows)?;
    Ok((report, Some(job)))
}

/// Why a job was not started from this report, in words the owner can act on.
pub fn not_started_reason(report: &Report) -> String {
    if report.invalid > 0 {
        format!("{} of {} rows are invalid (see the report): fix them or remove them, then start again; nothing was queued", report.invalid, report.rows.len())
    } else {
        "no row can be sent (all are skipped, see the report): nothing was queued".to_string()
    }
}

/// A one-line description of what a job sends.
pub fn summary(message: &BulkMessage) -> String {
    match message {
        BulkMessage::Template { name, language } => format!("[template {name} ({language})]"),
        BulkMessage::Text { body } => crate::scheduled::summary(&OutgoingContent::Text { body: body.clone(), preview_url: false }),
    }
}

pub fn pause(store: &mut Store, id: i64) -> Result<Job> {
    store.set_bulk_state(id, JobState::Paused)
}

pub fn resume(store: &mut Store, id: i64) -> Result<Job> {
    store.set_bulk_state(id, JobState::Running)
}

/// Cancels a job: rows not yet released are skipped as cancelled; released ones finish.
pub fn cancel(store: &mut Store, id: i64) -> Result<Job> {
    let job = store.set_bulk_state(id, JobState::Cancelled)?;
    store.bulk_finish_if_settled(id)?;
    store.bulk_job(job.id)
}

/// A job with its figures.
pub fn show(store: &Store, id: i64) -> Result<(Job, Counts)> {
    Ok((store.bulk_job(id)?, store.bulk_counts(id)?))
}

/// Releases `account_id`'s running jobs into the outbox, up to [`outbox_cap`]
/// of its bulk messages pending at once, and marks finished jobs done.
/// Returns how many rows were released (or skipped at their turn).
pub fn release_due(store: &mut Store, account_id: i64, now: i64) -> Result<usize> {
    let jobs = store.bulk_jobs_open(account_id)?;
    if jobs.is_empty() {
        return Ok(0);
    }
    let cap = outbox_cap(&store.account(account_id)?);
    let mut moved = 0;
    for (job_id, state) in jobs {
        if state == JobState::Running {
            let room = cap - store.bulk_in_outbox(account_id)?;
            if room > 0 {
                for row in store.bulk_waiting_rows(job_id, room as usize)? {
                    match release_row(store, account_id, &row, now) {
                        Ok(true) => moved += 1,
                        Ok(false) => {}
                        Err(e) => {
                            tracing::warn!(job = job_id, row = row.row_no, "a bulk message was not released (tried again shortly): {e}");
                            break;
                        }
                    }
                }
            }
        }
        if store.bulk_finish_if_settled(job_id)? {
            tracing::info!(account = account_id, job = job_id, "bulk job finished");
        }
    }
    Ok(moved)
}

/// Releases one row: checked again as a send now (a customer who opted out
/// since, a window that closed, a template paused since: skipped with why),
/// then queued in the transaction that marks it released.
fn release_row(store: &mut Store, account_id: i64, row: &WaitingRow, now: i64) -> Result<bool> {
    let skip = |store: &mut Store, why: String| store.write(|tx| table::skip(tx, row.job_id, row.row_no, &why));
    let content: OutgoingContent = match serde_json::from_value(row.content.clone()) {
        Ok(c) => c,
        Err(e) => return skip(store, format!("its stored message is unreadable ({e})")),
    };
    let conversation_id = match (row.conversation_id, &row.phone) {
        (Some(id), _) => id,
        (None, Some(phone)) => {
            let account = store.account(account_id)?;
            outbox::conversation_with(store, &account, phone)?
        }
        (None, None) => return skip(store, "no number to send to".into()),
    };
    let conversation = match store.conversation(conversation_id) {
        Ok(c) => c,
        Err(Error::NotFound(_)) => return skip(store, "its conversation was deleted".into()),
        Err(e) => return Err(e),
    };
    if let Some(at) = conversation.contact.opted_out_at {
        return skip(store, format!("opted out on {} (they wrote an opt-out keyword such as STOP)", to_rfc3339(at)));
    }
    let new = match outbox::prepare(store, conversation_id, content, None, None, |a, c, k| outbox::check_window(a, c, k, now)) {
        Ok(new) => new,
        Err(e) if e.is_busy() || matches!(e, Error::Sqlite(_) | Error::Io { .. }) => return Err(e),
        Err(e) => return skip(store, format!("refused when its turn came: {e}")),
    };
    store.write(|tx| {
        // Guarded by the row's state and the job's: released once, never after a pause or cancel.
        // (IMMEDIATE: nothing else writes between the check and the insert.)
        if !table::can_release(tx, row.job_id, row.row_no)? {
            return Ok(false);
        }
        let message_id = messages::insert(tx, &new)?.id();
        table::release(tx, row.job_id, row.row_no, message_id)
    })
}

/// A job as `wicket bulk show --json` and the window print it.
pub fn job_json(job: &Job, counts: &Counts) -> serde_json::Value {
    let reasons = |list: &[(String, i64)]| list.iter().map(|(reason, count)| serde_json::json!({"reason": reason, "count": count})).collect::<Vec<_>>();
    serde_json::json!({
        "id": job.id.to_string(),
        "account_id": job.account_id.to_string(),
        "state": job.state.as_str(),
        "message": job.summary,
        "source": job.source,
        "created": to_rfc3339(job.created_at),
        "finished": job.finished_at.map(to_rfc3339),
        "total": counts.total,
        // Not yet sent: still in the job, or in the outbox.
        "queued": counts.waiting + counts.in_outbox,
        "waiting": counts.waiting,
        "in_outbox": counts.in_outbox,
        "sent": counts.sent,
        "delivered": counts.delivered,
        "read": counts.read,
        "failed": counts.failed,
        "unknown": counts.unknown,
        "skipped": counts.skipped,
        "failed_reasons": reasons(&counts.failed_reasons),
        "skipped_reasons": reasons(&counts.skipped_reasons),
    })
}

/// Now, for callers without a clock of their own.
pub fn now() -> i64 {
    now_ms()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{MessageStatus, Provider};
    use crate::store::NewAccount;

    fn released_ids(store: &Store, job: i64) -> Vec<i64> {
        let mut stmt = store.conn().prepare("SELECT message_id FROM bulk_rows WHERE job_id = ?1 AND state = 'released' ORDER BY row_no").unwrap();
        stmt.query_map([job], |r| r.get(0)).unwrap().map(|r| r.unwrap()).collect()
    }

    #[test]
    fn a_text_job_is_released_a_few_at_a_time_and_steered() {
        let tmp = tempfile::tempdir().unwrap();
        let mut store = Store::open(&tmp.path().join("wicket.db")).unwrap();
        let account = store.add_account(&NewAccount { provider: Provider::Demo, name: "Demo".into(), phone: None, config: serde_json::json!({}) }).unwrap();
        let csv: String = std::iter::once("phone".to_string()).chain((0..15).map(|i| format!("+4479111234{i:02}"))).collect::<Vec<_>>().join("\n");
        let spec = Spec {
            account_id: account.id,
            recipients: Recipients::Csv { text: csv, name: "list.csv".into() },
            message: BulkMessage::Text { body: "Fresh bread at 8".into() },
            params: HashMap::new(),
            columns: HashMap::new(),
        };
        let (report, job) = start(&mut store, &spec).unwrap();
        assert_eq!((report.ok, report.skipped, report.invalid), (15, 0, 0));
        let job = job.unwrap();
        assert_eq!(job.request["message"], serde_json::json!({"type": "text", "body": "Fresh bread at 8"}));

        assert_eq!(release_due(&mut store, account.id, now_ms()).unwrap(), IN_OUTBOX as usize, "a few at a time");
        assert_eq!(release_due(&mut store, account.id, now_ms()).unwrap(), 0, "nothing more while they wait in the outbox");
        let ids = released_ids(&store, job.id);
        for id in &ids[..3] {
            store.set_message_status(*id, MessageStatus::Sent, None).unwrap();
        }
        // A customer who opts out after the job started is skipped when their turn comes.
        let contact = store.upsert_contact(account.id, &crate::store::contacts::ContactKey::phone("+447911123410"), &Default::default()).unwrap();
        store.conn().execute("UPDATE contacts SET opted_out_at = ?1 WHERE id = ?2", [now_ms(), contact.id]).unwrap();
        assert_eq!(release_due(&mut store, account.id, now_ms()).unwrap(), 3);
        let counts = store.bulk_counts(job.id).unwrap();
        assert_eq!((counts.sent, counts.in_outbox, counts.skipped, counts.waiting), (3, 9, 1, 2), "{counts:?}");
        assert!(counts.skipped_reasons[0].0.contains("opted out"), "{counts:?}");

        pause(&mut store, job.id).unwrap();
        for id in released_ids(&store, job.id) {
            store.set_message_status(id, MessageStatus::Sent, None).unwrap();
        }
        assert_eq!(release_due(&mut store, account.id, now_ms()).unwrap(), 0, "paused: nothing released");
        assert!(resume(&mut store, job.id).is_ok());
        let cancelled = cancel(&mut store, job.id).unwrap();
        assert_eq!(cancelled.state, JobState::Cancelled);
        assert!(cancelled.finished_at.is_some(), "nothing left in the outbox: finished at once");
        let counts = store.bulk_counts(job.id).unwrap();
        assert_eq!((counts.sent, counts.skipped, counts.waiting, counts.total), (12, 3, 0, 15), "{counts:?}");
        assert!(counts.skipped_reasons.contains(&("cancelled".to_string(), 2)), "{counts:?}");
        assert!(pause(&mut store, job.id).is_err() && resume(&mut store, job.id).is_err(), "a cancelled job stays cancelled");
        let messages: i64 = store.conn().query_row("SELECT count(*) FROM messages WHERE direction = 'out'", [], |r| r.get(0)).unwrap();
        assert_eq!(messages, 12, "one message per released row, none twice");
    }

    #[test]
    fn the_outbox_cap_is_a_second_of_the_accounts_rate_and_at_least_ten() {
        let tmp = tempfile::tempdir().unwrap();
        let mut store = Store::open(&tmp.path().join("wicket.db")).unwrap();
        let mut account = |config| store.add_account(&NewAccount { provider: Provider::Meta, name: "Shop".into(), phone: None, config }).unwrap();
        assert_eq!(outbox_cap(&account(serde_json::json!({}))), IN_OUTBOX, "Meta's default 10 per second");
        assert_eq!(outbox_cap(&account(serde_json::json!({"max_per_second": 80}))), 80);
        assert_eq!(outbox_cap(&account(serde_json::json!({"max_per_second": 2}))), IN_OUTBOX);
    }
}
