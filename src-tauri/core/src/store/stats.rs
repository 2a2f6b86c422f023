//! What `crate::stats` reads: the messages of a time window (one pass,
//! ordered by conversation and time), failures grouped by error, the queue.

use super::Store;
use crate::error::Result;
use crate::model::{Direction, MessageStatus};
use crate::stats::FailureCount;
use rusqlite::params;

/// One message as the statistics see it.
#[derive(Debug, Clone, PartialEq)]
pub struct StatsRow {
    pub conversation_id: i64,
    pub direction: Direction,
    pub status: MessageStatus,
    pub origin: Option<String>,
    pub timestamp: i64,
}

impl Store {
    /// Customer and owner messages (no notices, no imported history) with
    /// `since <= timestamp < until`, of `account` (None: all), ordered by
    /// conversation then time. A scan of the window: statistics are asked
    /// for now and then, and an index on time alone would cost every message.
    pub fn messages_for_stats(&self, account: Option<i64>, since: i64, until: i64) -> Result<Vec<StatsRow>> {
        let mut stmt = self.conn().prepare(
            "SELECT conversation_id, direction, status, origin, timestamp FROM messages
             WHERE timestamp >= ?1 AND timestamp < ?2 AND kind != 'notice' AND history = 0 AND (?3 IS NULL OR account_id = ?3)
             ORDER BY conversation_id, timestamp, id",
        )?;
        let rows = stmt.query_map(params![since, until, account], |r| {
            let direction: String = r.get(1)?;
            let status: String = r.get(2)?;
            Ok(StatsRow {
                conversation_id: r.get(0)?,
                direction: if direction == "in" { Direction::In } else { Direction::Out },
                status: MessageStatus::parse(&status).unwrap_or(MessageStatus::Unknown),
                origin: r.get(3)?,
                timestamp: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Failed messages sent from Wicket in the window, by error code and kind, most first.
    pub fn failures_between(&self, account: Option<i64>, since: i64, until: i64) -> Result<Vec<FailureCount>> {
        let mut stmt = self.conn().prepare(
            "SELECT error_code, error_kind, max(error_message), count(*) AS n FROM messages
             WHERE status = 'failed' AND direction = 'out' AND timestamp >= ?1 AND timestamp < ?2 AND (?3 IS NULL OR account_id = ?3)
             GROUP BY error_code, error_kind ORDER BY n DESC, error_code",
        )?;
        let rows =
            stmt.query_map(params![since, until, account], |r| Ok(FailureCount { code: r.get(0)?, kind: r.get(1)?, message: r.get(2)?, count: r.get(3)? }))?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Messages waiting to be sent now, of `account` (None: all).
    pub fn queue_depth(&self, account: Option<i64>) -> Result<i64> {
        Ok(self.conn().query_row(
            "SELECT count(*) FROM messages INDEXED BY messages_outbox WHERE status IN ('pending', 'sending') AND (?1 IS NULL OR account_id = ?1)",
            [account],
            |r| r.get(0),
        )?)
    }
}
