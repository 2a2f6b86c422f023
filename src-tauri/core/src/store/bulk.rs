//! Bulk jobs: one message to many recipients, released into the outbox a
//! few at a time by the engine.
//!
//! Rules kept here: a job and all its rows are stored in one transaction
//! (validated before, by `crate::bulk`); a row is released once: the
//! message is inserted in the transaction that moves the row from `waiting`
//! to `released` (guarded by the state), so two engines or a restart never
//! queue it twice; a paused job releases nothing; cancelling skips what was
//! not released (released messages finish); a job is `done` (and a
//! cancelled one finished) once nothing waits and none of its messages is
//! still in the outbox. What to send, and the checks, are `crate::bulk`'s.

use super::Store;
use crate::error::{Error, Result};
use crate::time::now_ms;
use rusqlite::{params, Connection, OptionalExtension, Row};

/// Where a bulk job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Its rows are being released into the outbox.
    Running,
    /// The owner paused it: nothing more is released until resumed.
    Paused,
    /// The owner cancelled it: what was not released is skipped.
    Cancelled,
    /// Every row was released or skipped, and every message left the outbox.
    Done,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Running => "running",
            JobState::Paused => "paused",
            JobState::Cancelled => "cancelled",
            JobState::Done => "done",
        }
    }

    fn parse(s: &str) -> JobState {
        match s {
            "paused" => JobState::Paused,
            "cancelled" => JobState::Cancelled,
            "done" => JobState::Done,
            _ => JobState::Running,
        }
    }
}

/// One bulk job as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: i64,
    pub account_id: i64,
    /// What it sends (`crate::bulk::JobRequest` as JSON).
    pub request: serde_json::Value,
    /// A one-line description of the message, for lists.
    pub summary: String,
    /// Where the recipients came from ("file recipients.csv", "label VIP").
    pub source: String,
    pub state: JobState,
    pub created_at: i64,
    /// When the last message left the outbox (or the job was cancelled and settled).
    pub finished_at: Option<i64>,
}

/// A row to store with a new job: a recipient and what it gets, or why it is skipped.
#[derive(Debug, Clone)]
pub struct NewRow {
    /// The row's number in the report (the CSV's line, 1 for the first recipient).
    pub row_no: i64,
    pub phone: Option<String>,
    /// For recipients taken from a label: their conversation.
    pub conversation_id: Option<i64>,
    /// The message for this row (`OutgoingContent` as JSON); none when skipped.
    pub content: Option<serde_json::Value>,
    /// Why it is skipped; `None`: it waits to be released.
    pub skipped: Option<String>,
}

/// A row waiting to be released.
#[derive(Debug, Clone, PartialEq)]
pub struct WaitingRow {
    pub job_id: i64,
    pub row_no: i64,
    pub phone: Option<String>,
    pub conversation_id: Option<i64>,
    pub content: serde_json::Value,
}

/// A job's figures: its rows and what became of their messages.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Counts {
    /// Recipients in the job (skipped ones included).
    pub total: i64,
    /// Not yet released into the outbox.
    pub waiting: i64,
    /// Released and still in the outbox (pending or being sent).
    pub in_outbox: i64,
    /// Accepted by the provider (delivered and read ones included).
    pub sent: i64,
    /// Delivered (read ones included).
    pub delivered: i64,
    pub read: i64,
    pub failed: i64,
    /// May have been sent: the send was cut off (see `wicket resend`).
    pub unknown: i64,
    pub skipped: i64,
    /// Why messages failed: (reason, count), most frequent first.
    pub failed_reasons: Vec<(String, i64)>,
    /// Why rows were skipped: (reason, count), most frequent first.
    pub skipped_reasons: Vec<(String, i64)>,
}

const COLUMNS: &str = "id, account_id, request, summary, source, state, created_at, finished_at";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Job> {
    let request: String = r.get(2)?;
    let state: String = r.get(5)?;
    Ok(Job {
        id: r.get(0)?,
        account_id: r.get(1)?,
        request: serde_json::from_str(&request).unwrap_or(serde_json::Value::Null),
        summary: r.get(3)?,
        source: r.get(4)?,
        state: JobState::parse(&state),
        created_at: r.get(6)?,
        finished_at: r.get(7)?,
    })
}

pub fn get(conn: &Connection, id: i64) -> Result<Job> {
    conn.query_row(&format!("SELECT {COLUMNS} FROM bulk_jobs WHERE id = ?1"), [id], from_row)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("no bulk job with id {id} (see `wicket bulk list`)")))
}

/// Marks a waiting row released with the message it became. False when it
/// no longer waits (released by another engine, or cancelled): the caller
/// rolls back the message it inserted.
pub fn release(conn: &Connection, job_id: i64, row_no: i64, message_id: i64) -> Result<bool> {
    let n = conn.execute(
        "UPDATE bulk_rows SET state = 'released', message_id = ?3 WHERE job_id = ?1 AND row_no = ?2 AND state = 'waiting'
         AND (SELECT state FROM bulk_jobs WHERE id = ?1) = 'running'",
        params![job_id, row_no, message_id],
    )?;
    Ok(n == 1)
}

/// Whether a row still waits in a running job (checked in the write
/// transaction that then releases it).
pub fn can_release(conn: &Connection, job_id: i64, row_no: i64) -> Result<bool> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM bulk_rows r JOIN bulk_jobs j ON j.id = r.job_id WHERE r.job_id = ?1 AND r.row_no = ?2 AND r.state = 'waiting' AND j.state = 'running'",
            params![job_id, row_no],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// Skips a waiting row with `reason` (refused when its turn came).
pub fn skip(conn: &Connection, job_id: i64, row_no: i64, reason: &str) -> Result<bool> {
    let n = conn.execute(
        "UPDATE bulk_rows SET state = 'skipped', reason = ?3 WHERE job_id = ?1 AND row_no = ?2 AND state = 'waiting'",
        params![job_id, row_no, reason],
    )?;
    Ok(n == 1)
}

impl Store {
    /// Stores a job and its rows in one transaction; returns it.
    pub fn insert_bulk_job(&mut self, account_id: i64, request: &serde_json::Value, summary: &str, source: &str, rows: &[NewRow]) -> Result<Job> {
        let id = self.write(|tx| {
            tx.execute(
                "INSERT INTO bulk_jobs (account_id, request, summary, source, state, created_at) VALUES (?1, ?2, ?3, ?4, 'running', ?5)",
                params![account_id, request.to_string(), summary, source, now_ms()],
            )?;
            let id = tx.last_insert_rowid();
            let mut stmt =
                tx.prepare("INSERT INTO bulk_rows (job_id, row_no, phone, conversation_id, content, state, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")?;
            for r in rows {
                let state = if r.skipped.is_some() { "skipped" } else { "waiting" };
                stmt.execute(params![id, r.row_no, r.phone, r.conversation_id, r.content.as_ref().map(|c| c.to_string()), state, r.skipped])?;
            }
            Ok(id)
        })?;
        self.bulk_job(id)
    }

    pub fn bulk_job(&self, id: i64) -> Result<Job> {
        get(self.conn(), id)
    }

    /// Jobs, newest first.
    pub fn bulk_jobs(&self, account_id: Option<i64>, limit: usize) -> Result<Vec<Job>> {
        let mut stmt = self.conn().prepare(&format!("SELECT {COLUMNS} FROM bulk_jobs WHERE (?1 IS NULL OR account_id = ?1) ORDER BY id DESC LIMIT ?2"))?;
        let limit = if limit == 0 { 200 } else { limit } as i64;
        let rows = stmt.query_map(params![account_id, limit], from_row)?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Ids of `account_id`'s jobs that may still release or finish (running or cancelled, not finished).
    pub fn bulk_jobs_open(&self, account_id: i64) -> Result<Vec<(i64, JobState)>> {
        let mut stmt = self.conn().prepare(
            "SELECT id, state FROM bulk_jobs WHERE account_id = ?1 AND (state = 'running' OR (state = 'cancelled' AND finished_at IS NULL)) ORDER BY id",
        )?;
        let rows = stmt.query_map([account_id], |r| Ok((r.get::<_, i64>(0)?, JobState::parse(&r.get::<_, String>(1)?))))?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// How many of `account_id`'s bulk messages are in the outbox now (pending or being sent).
    pub fn bulk_in_outbox(&self, account_id: i64) -> Result<i64> {
        Ok(self.conn().query_row(
            "SELECT count(*) FROM bulk_rows r JOIN bulk_jobs j ON j.id = r.job_id JOIN messages m ON m.id = r.message_id
             WHERE j.account_id = ?1 AND j.finished_at IS NULL AND r.state = 'released' AND m.status IN ('pending', 'sending')",
            [account_id],
            |r| r.get(0),
        )?)
    }

    /// The next `limit` waiting rows of job `job_id`, in row order.
    pub fn bulk_waiting_rows(&self, job_id: i64, limit: usize) -> Result<Vec<WaitingRow>> {
        let mut stmt = self.conn().prepare(
            "SELECT job_id, row_no, phone, conversation_id, content FROM bulk_rows WHERE job_id = ?1 AND state = 'waiting' ORDER BY row_no LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![job_id, limit as i64], |r| {
            let content: Option<String> = r.get(4)?;
            Ok(WaitingRow {
                job_id: r.get(0)?,
                row_no: r.get(1)?,
                phone: r.get(2)?,
                conversation_id: r.get(3)?,
                content: content.and_then(|c| serde_json::from_str(&c).ok()).unwrap_or(serde_json::Value::Null),
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Marks job `job_id` finished (running → done; a cancelled one keeps its
    /// state) when nothing waits and none of its messages is in the outbox.
    pub fn bulk_finish_if_settled(&mut self, job_id: i64) -> Result<bool> {
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE bulk_jobs SET finished_at = ?2, state = CASE state WHEN 'running' THEN 'done' ELSE state END
                 WHERE id = ?1 AND finished_at IS NULL AND state IN ('running', 'cancelled')
                 AND NOT EXISTS (SELECT 1 FROM bulk_rows WHERE job_id = ?1 AND state = 'waiting')
                 AND NOT EXISTS (SELECT 1 FROM bulk_rows r JOIN messages m ON m.id = r.message_id
                                 WHERE r.job_id = ?1 AND m.status IN ('pending', 'sending'))",
                params![job_id, now_ms()],
            )?;
            Ok(n == 1)
        })
    }

    /// Pauses a running job, resumes a paused one, or cancels one that is
    /// not over (its waiting rows skipped as cancelled). A change that does
    /// not apply says why.
    pub fn set_bulk_state(&mut self, id: i64, to: JobState) -> Result<Job> {
        self.write(|tx| {
            let job = get(tx, id)?;
            let allowed = match to {
                JobState::Paused => job.state == JobState::Running,
                JobState::Running => job.state == JobState::Paused,
                JobState::Cancelled => matches!(job.state, JobState::Running | JobState::Paused),
                JobState::Done => false,
            };
            if !allowed {
                let what = match to {
                    JobState::Paused => "paused",
                    JobState::Running => "resumed",
                    JobState::Cancelled => "cancelled",
                    JobState::Done => "marked done",
                };
                return Err(Error::Invalid(format!("bulk job {id} is {}: it cannot be {what}", job.state.as_str())));
            }
            tx.execute("UPDATE bulk_jobs SET state = ?2 WHERE id = ?1", params![id, to.as_str()])?;
            if to == JobState::Cancelled {
                tx.execute("UPDATE bulk_rows SET state = 'skipped', reason = 'cancelled' WHERE job_id = ?1 AND state = 'waiting'", [id])?;
            }
            get(tx, id)
        })
    }

    /// Job `id`'s figures.
    pub fn bulk_counts(&self, id: i64) -> Result<Counts> {
        let mut c = Counts::default();
        let mut stmt = self.conn().prepare(
            "SELECT r.state, m.status, count(*) FROM bulk_rows r LEFT JOIN messages m ON m.id = r.message_id WHERE r.job_id = ?1 GROUP BY r.state, m.status",
        )?;
        let rows = stmt.query_map([id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?, r.get::<_, i64>(2)?)))?;
        for row in rows {
            let (state, status, n) = row?;
            c.total += n;
            match (state.as_str(), status.as_deref()) {
                ("waiting", _) => c.waiting += n,
                ("skipped", _) => c.skipped += n,
                (_, Some("pending" | "sending")) => c.in_outbox += n,
                (_, Some("sent")) => c.sent += n,
                (_, Some("delivered")) => {
                    c.sent += n;
                    c.delivered += n
                }
                (_, Some("read" | "played")) => {
                    c.sent += n;
                    c.delivered += n;
                    c.read += n
                }
                (_, Some("unknown")) => c.unknown += n,
                // Failed, or a message deleted since: counted as failed.
                _ => c.failed += n,
            }
        }
        let reasons = |sql: &str| -> Result<Vec<(String, i64)>> {
            let mut stmt = self.conn().prepare(sql)?;
            let rows = stmt.query_map([id], |r| Ok((r.get::<_, Option<String>>(0)?.unwrap_or_else(|| "no reason given".into()), r.get::<_, i64>(1)?)))?;
            Ok(rows.collect::<std::result::Result<_, _>>()?)
        };
        c.skipped_reasons =
            reasons("SELECT reason, count(*) FROM bulk_rows WHERE job_id = ?1 AND state = 'skipped' GROUP BY reason ORDER BY count(*) DESC, reason")?;
        c.failed_reasons = reasons(
            "SELECT coalesce(m.error_code || ': ', '') || coalesce(m.error_message, 'failed'), count(*) FROM bulk_rows r JOIN messages m ON m.id = r.message_id
             WHERE r.job_id = ?1 AND m.status = 'failed' GROUP BY 1 ORDER BY count(*) DESC, 1",
        )?;
        Ok(c)
    }

    /// The conversations labelled `label` on `account_id`, with their contact's number (if any), by id.
    pub fn labelled_conversations(&self, account_id: i64, label: &str) -> Result<Vec<(i64, Option<String>)>> {
        let mut stmt = self.conn().prepare(
            "SELECT c.id, k.phone FROM conversation_labels l JOIN conversations c ON c.id = l.conversation_id JOIN contacts k ON k.id = c.contact_id
             WHERE l.label = ?2 AND c.account_id = ?1 ORDER BY c.id",
        )?;
        let rows = stmt.query_map(params![account_id, label.trim()], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }
}
