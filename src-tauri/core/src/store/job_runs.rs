//! `job_runs`: the last run of each background job, per account for the jobs
//! that work per account (account 0 is the whole data dir), and
//! `auto_retries`: how many times the retry job gave a failed message
//! another go. What the jobs do lives in `crate::jobs`.

use super::Store;
use crate::error::Result;
use rusqlite::{params, OptionalExtension};

/// The row key of a job that works on the whole data dir.
pub const WHOLE_DATA_DIR: i64 = 0;

/// One job's latest run and its counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRun {
    pub job: String,
    /// None for a job of the whole data dir.
    pub account_id: Option<i64>,
    pub started_at: i64,
    pub duration_ms: i64,
    pub ok: bool,
    pub summary: Option<String>,
    pub error: Option<String>,
    pub runs: i64,
    pub failures: i64,
    /// Asked to run again before its time.
    pub due_now: bool,
}

/// What one run came to: `Ok(summary)` or `Err(reason)`.
pub type RunOutcome<'a> = std::result::Result<&'a str, &'a str>;

impl Store {
    /// Records a run of `job` (for `account_id`, or the whole data dir when None).
    pub fn record_job_run(&mut self, job: &str, account_id: Option<i64>, started_at: i64, duration_ms: i64, outcome: RunOutcome<'_>) -> Result<()> {
        let (ok, summary, error) = match outcome {
            Ok(summary) => (true, Some(summary), None),
            Err(error) => (false, None, Some(error)),
        };
        self.write(|tx| {
            tx.execute(
                "INSERT INTO job_runs (job, account_id, started_at, duration_ms, ok, summary, error, runs, failures)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, ?8)
                 ON CONFLICT (job, account_id) DO UPDATE SET started_at = excluded.started_at, duration_ms = excluded.duration_ms,
                    ok = excluded.ok, summary = coalesce(excluded.summary, summary), error = excluded.error,
                    runs = runs + 1, failures = failures + excluded.failures, due_now = 0",
                params![job, account_id.unwrap_or(WHOLE_DATA_DIR), started_at, duration_ms.max(0), ok, summary, error, i64::from(!ok)],
            )?;
            Ok(())
        })
    }

    /// Every recorded run, of accounts that still exist, by job then account.
    pub fn job_runs(&self) -> Result<Vec<JobRun>> {
        let mut stmt = self.conn().prepare(
            "SELECT job, account_id, started_at, duration_ms, ok, summary, error, runs, failures, due_now FROM job_runs
             WHERE account_id = 0 OR account_id IN (SELECT id FROM accounts)
             ORDER BY job, account_id",
        )?;
        let rows = stmt.query_map([], |r| {
            let account: i64 = r.get(1)?;
            Ok(JobRun {
                job: r.get(0)?,
                account_id: (account != WHOLE_DATA_DIR).then_some(account),
                started_at: r.get(2)?,
                duration_ms: r.get(3)?,
                ok: r.get(4)?,
                summary: r.get(5)?,
                error: r.get(6)?,
                runs: r.get(7)?,
                failures: r.get(8)?,
                due_now: r.get(9)?,
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// When `job` last started for `account_id`, and whether it was asked
    /// to run again before its time (None: never ran).
    pub fn job_last_started(&self, job: &str, account_id: Option<i64>) -> Result<Option<(i64, bool)>> {
        Ok(self
            .conn()
            .query_row("SELECT started_at, due_now FROM job_runs WHERE job = ?1 AND account_id = ?2", params![job, account_id.unwrap_or(WHOLE_DATA_DIR)], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?)
    }

    /// Makes `job` due at once for `account_id` (a template webhook asks for
    /// a fresh template list this way); a job that never ran is due anyway.
    pub fn make_job_due(&mut self, job: &str, account_id: Option<i64>) -> Result<()> {
        self.write(|tx| {
            tx.execute("UPDATE job_runs SET due_now = 1 WHERE job = ?1 AND account_id = ?2", params![job, account_id.unwrap_or(WHOLE_DATA_DIR)])?;
            Ok(())
        })
    }

    /// Failed outgoing messages created at or after `since` whose error may
    /// pass by itself (`kinds`) and that were retried automatically fewer than
    /// `max_retries` times, oldest first.
    pub fn failed_sends_to_retry(&self, since: i64, kinds: &[&str], max_retries: i64, limit: usize) -> Result<Vec<i64>> {
        let kinds = serde_json::to_string(kinds).unwrap_or_else(|_| "[]".into());
        let mut stmt = self.conn().prepare(
            "SELECT m.id FROM messages m LEFT JOIN auto_retries r ON r.message_id = m.id
             WHERE m.status = 'failed' AND m.direction = 'out' AND m.created_at >= ?1
               AND m.send_request IS NOT NULL AND m.error_kind IN (SELECT value FROM json_each(?2))
               AND coalesce(r.count, 0) < ?3
             ORDER BY m.created_at, m.id LIMIT ?4",
        )?;
        let rows = stmt.query_map(params![since, kinds, max_retries, limit as i64], |r| r.get(0))?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Counts one automatic retry of `message_id` (also one that was refused,
    /// so a message that cannot go is not looked at for ever).
    pub fn count_auto_retry(&mut self, message_id: i64, at: i64) -> Result<i64> {
        self.write(|tx| {
            Ok(tx.query_row(
                "INSERT INTO auto_retries (message_id, count, last_at) VALUES (?1, 1, ?2)
                 ON CONFLICT (message_id) DO UPDATE SET count = count + 1, last_at = excluded.last_at
                 RETURNING count",
                params![message_id, at],
                |r| r.get(0),
            )?)
        })
    }

    /// How often `message_id` was retried automatically.
    pub fn auto_retries(&self, message_id: i64) -> Result<i64> {
        Ok(self.conn().query_row("SELECT count FROM auto_retries WHERE message_id = ?1", [message_id], |r| r.get(0)).optional()?.unwrap_or(0))
    }

    /// When the account's next media download is due (None: nothing waits).
    pub fn next_media_attempt(&self, account_id: i64, max_attempts: i64) -> Result<Option<i64>> {
        Ok(self.conn().query_row(
            "SELECT min(coalesce(next_attempt_at, 0)) FROM media_files WHERE account_id = ?1 AND state != 'downloaded'
               AND (provider_media_id IS NOT NULL OR fetch_info IS NOT NULL) AND attempts < ?2",
            params![account_id, max_attempts],
            |r| r.get(0),
        )?)
    }
}
