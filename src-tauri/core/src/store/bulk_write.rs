//! The store's bulk path: many messages at once (the dev seeder, history
//! imports, `wicket import`), leaving exactly the store that inserting them
//! one by one would.
//!
//! Three costs dominate a one-by-one fill, and this removes them:
//! - a commit per message: [`BulkWriter`] groups inserts into large
//!   transactions (statements are cached per connection on every path);
//! - the search index: each insert fires the schema's FTS trigger in its
//!   own statement, and FTS5 flushes its in-memory index at every statement
//!   savepoint, so each message became a tiny segment to merge later.
//!   [`FtsDeferral`] drops that trigger for the batch and, at the end, runs
//!   the trigger's own body once over all the new rows in one statement
//!   (through a temporary view), so the index is the same, built in bulk;
//! - the conversation's indexed columns (last activity, unread) rewritten
//!   once or twice per message: gathered and written once per conversation
//!   per batch (`Touches`), with the same end.
//!
//! Rule kept: nothing reads or rewrites the indexed columns of the new rows
//! while indexing is deferred. A change waiting for a new message (an edit
//! or deletion that arrived first) indexes the rows first
//! (`messages::insert_with`); [`BulkWriter::with_conn`] does too. If the
//! schema's trigger is not the simple shape this understands, nothing is
//! deferred (correct, only slower).

use super::messages::{self, InsertOutcome, NewMessage};
use super::Store;
use crate::error::{Error, Result};
use crate::model::Direction;
use rusqlite::Connection;

/// The schema's trigger that indexes a new message (migrations.rs).
const FTS_TRIGGER: &str = "messages_fts_insert";

/// Indexing of new messages held back until [`FtsDeferral::finish`], inside
/// one transaction the caller owns (the trigger is dropped and created again
/// in it, so no other connection ever sees the store without it).
#[derive(Debug)]
pub struct FtsDeferral {
    /// The trigger's SQL and body, when it was dropped.
    trigger: Option<(String, String)>,
    /// Rows with this id or more are not indexed yet.
    first_unindexed: i64,
}

impl FtsDeferral {
    /// Drops the insert trigger of the search index, if it has the shape
    /// this understands (`AFTER INSERT ON messages BEGIN … END`, no `WHEN`).
    pub fn begin(conn: &Connection) -> Result<FtsDeferral> {
        let sql: Option<String> = conn
            .query_row("SELECT sql FROM main.sqlite_master WHERE type = 'trigger' AND name = ?1 AND tbl_name = 'messages'", [FTS_TRIGGER], |r| r.get(0))
            .map(Some)
            .or_else(|e| if e == rusqlite::Error::QueryReturnedNoRows { Ok(None) } else { Err(e) })?;
        let Some((sql, body)) = sql.and_then(|sql| trigger_body(&sql).map(|b| (sql.clone(), b))) else {
            return Ok(FtsDeferral { trigger: None, first_unindexed: 0 });
        };
        let first_unindexed = next_id(conn)?;
        conn.execute_batch(&format!("DROP TRIGGER main.{FTS_TRIGGER}"))?;
        Ok(FtsDeferral { trigger: Some((sql, body)), first_unindexed })
    }

    /// Whether indexing is actually deferred (false: the trigger kept firing).
    pub fn is_deferring(&self) -> bool {
        self.trigger.is_some()
    }

    /// Indexes every message inserted since the last flush, in one statement
    /// that runs the trigger's own body for each row, oldest id first.
    pub fn flush(&mut self, conn: &Connection) -> Result<()> {
        let Some((_, body)) = &self.trigger else { return Ok(()) };
        let next = next_id(conn)?;
        if next <= self.first_unindexed {
            return Ok(());
        }
        conn.execute_batch(&format!(
            "CREATE TEMP VIEW wicket_bulk_new AS SELECT * FROM main.messages WHERE 0;
             CREATE TEMP TRIGGER wicket_bulk_index INSTEAD OF INSERT ON wicket_bulk_new BEGIN {body} END;"
        ))?;
        let indexed = conn.execute("INSERT INTO temp.wicket_bulk_new SELECT * FROM main.messages WHERE id >= ?1 ORDER BY id", [self.first_unindexed]);
        // The temporary objects go whatever happened, so a retry starts clean.
        let dropped = conn.execute_batch("DROP TRIGGER temp.wicket_bulk_index; DROP VIEW temp.wicket_bulk_new;");
        indexed?;
        dropped?;
        self.first_unindexed = next;
        Ok(())
    }

    /// Indexes what is left and puts the trigger back.
    pub fn finish(mut self, conn: &Connection) -> Result<()> {
        self.flush(conn)?;
        if let Some((sql, _)) = self.trigger.take() {
            conn.execute_batch(&sql)?;
        }
        Ok(())
    }
}

fn next_id(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT coalesce(max(id), 0) + 1 FROM main.messages", [], |r| r.get(0))?)
}

/// The body of `CREATE TRIGGER … AFTER INSERT ON messages BEGIN body END`,
/// or `None` for any other shape (a `WHEN`, another event).
fn trigger_body(sql: &str) -> Option<String> {
    let upper = sql.to_ascii_uppercase();
    let begin = upper.find(" BEGIN")?;
    let head = upper[..begin].split_whitespace().collect::<Vec<_>>().join(" ");
    if !head.ends_with("AFTER INSERT ON MESSAGES") || head.contains(" WHEN ") {
        return None;
    }
    let rest = sql[begin + " BEGIN".len()..].trim_end();
    let body = rest.strip_suffix("END").or_else(|| rest.strip_suffix("end"))?;
    Some(body.to_string())
}

/// Conversation updates of many inserts, gathered per conversation: the
/// newest message (the last one at the highest time, as one update after
/// another would leave), the inbound count and the newest inbound time.
/// Each conversation's indexed columns then change once per batch instead
/// of once or twice per message.
#[derive(Debug, Default)]
pub(crate) struct Touches(std::collections::BTreeMap<i64, Touch>);

#[derive(Debug, Default)]
struct Touch {
    /// (time, message id) of the newest message.
    last: Option<(i64, i64)>,
    inbound: i64,
    last_inbound: i64,
}

impl Touches {
    pub(super) fn add(&mut self, conversation_id: i64, message_id: i64, direction: Direction, ts: i64) {
        let t = self.0.entry(conversation_id).or_default();
        if t.last.is_none_or(|(at, _)| ts >= at) {
            t.last = Some((ts, message_id));
        }
        if direction == Direction::In {
            t.inbound += 1;
            t.last_inbound = if t.inbound == 1 { ts } else { t.last_inbound.max(ts) };
        }
    }

    /// Writes what was gathered, with the ordinary path's statements.
    pub(crate) fn apply(&mut self, conn: &Connection) -> Result<()> {
        for (conversation_id, t) in std::mem::take(&mut self.0) {
            if let Some((ts, id)) = t.last {
                messages::touch_last(conn, conversation_id, id, ts)?;
            }
            if t.inbound > 0 {
                messages::touch_inbound(conn, conversation_id, t.inbound, t.last_inbound)?;
            }
        }
        Ok(())
    }
}

/// Writes many messages in large transactions, with the search index built
/// in bulk per transaction. Dropped without [`BulkWriter::finish`], the open
/// transaction is rolled back (earlier ones stay committed).
pub struct BulkWriter<'s> {
    store: &'s mut Store,
    batch_size: usize,
    in_batch: usize,
    fts: Option<FtsDeferral>,
    /// Conversation updates, written once per conversation per batch.
    touches: Touches,
}

impl std::fmt::Debug for BulkWriter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BulkWriter").field("batch_size", &self.batch_size).field("in_batch", &self.in_batch).finish()
    }
}

impl Store {
    /// A bulk writer committing every `batch_size` messages (at least 1).
    pub fn bulk_writer(&mut self, batch_size: usize) -> BulkWriter<'_> {
        BulkWriter { store: self, batch_size: batch_size.max(1), in_batch: 0, fts: None, touches: Touches::default() }
    }
}

impl BulkWriter<'_> {
    fn open(&mut self) -> Result<&mut FtsDeferral> {
        if self.fts.is_none() {
            // IMMEDIATE: the write lock up front, like `Store::write`.
            self.store.conn.execute_batch("BEGIN IMMEDIATE")?;
            match FtsDeferral::begin(&self.store.conn) {
                Ok(d) => self.fts = Some(d),
                Err(e) => {
                    let _ = self.store.conn.execute_batch("ROLLBACK");
                    return Err(e);
                }
            }
        }
        self.fts.as_mut().ok_or_else(|| Error::Internal("bulk writer without a transaction".into()))
    }

    /// Inserts one message as [`messages::insert`] would (a duplicate
    /// provider id changes nothing), committing when the batch is full.
    pub fn insert_message(&mut self, m: &NewMessage) -> Result<InsertOutcome> {
        self.open()?;
        let outcome = messages::insert_with(&self.store.conn, m, self.fts.as_mut(), Some(&mut self.touches))?;
        self.in_batch += 1;
        if self.in_batch >= self.batch_size {
            self.commit()?;
        }
        Ok(outcome)
    }

    /// Any other write in the current transaction (contacts, statuses,
    /// reactions…). The messages so far are indexed and their conversations
    /// updated first, so `f` may read or change anything freely.
    pub fn with_conn<T>(&mut self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        self.open()?;
        self.touches.apply(&self.store.conn)?;
        if let Some(fts) = self.fts.as_mut() {
            fts.flush(&self.store.conn)?;
        }
        f(&self.store.conn)
    }

    /// Writes that never read or change a message's text, caption or media,
    /// nor a conversation (a status, a reaction, a media row), without
    /// bringing the index and the conversations up to date first.
    pub fn with_conn_unindexed<T>(&mut self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        self.open()?;
        f(&self.store.conn)
    }

    /// Indexes the batch, puts the trigger back and commits.
    pub fn commit(&mut self) -> Result<()> {
        let Some(fts) = self.fts.take() else { return Ok(()) };
        self.in_batch = 0;
        let done =
            self.touches.apply(&self.store.conn).and_then(|()| fts.finish(&self.store.conn)).and_then(|()| Ok(self.store.conn.execute_batch("COMMIT")?));
        if done.is_err() {
            let _ = self.store.conn.execute_batch("ROLLBACK");
        }
        done
    }

    /// Commits what is left.
    pub fn finish(mut self) -> Result<()> {
        self.commit()
    }
}

impl Drop for BulkWriter<'_> {
    fn drop(&mut self) {
        self.touches = Touches::default();
        if self.fts.take().is_some() {
            // Unfinished: the trigger comes back with the rollback.
            let _ = self.store.conn.execute_batch("ROLLBACK");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::trigger_body;

    #[test]
    fn only_a_plain_after_insert_trigger_is_deferred() {
        let sql = "CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN\n INSERT INTO x(rowid) VALUES (new.id);\n END";
        assert_eq!(trigger_body(sql).as_deref().map(str::trim), Some("INSERT INTO x(rowid) VALUES (new.id);"));
        assert_eq!(trigger_body("CREATE TRIGGER t AFTER INSERT ON messages WHEN new.id > 1 BEGIN SELECT 1; END"), None, "a WHEN clause is not understood");
        assert_eq!(trigger_body("CREATE TRIGGER t AFTER UPDATE ON messages BEGIN SELECT 1; END"), None, "only insert triggers");
    }
}

#[cfg(test)]
mod prepared_once {
    /// A cached statement that SQLite marks for re-planning on every new
    /// binding is parsed again at every use: the insert path's lookups were
    /// (their ORDER BY), a third of the seeder's time.
    #[test]
    fn the_insert_path_does_not_prepare_its_lookups_again() {
        let tmp = tempfile::tempdir().unwrap();
        let mut store = crate::store::Store::open(&tmp.path().join("p.db")).unwrap();
        let opts = crate::devseed::SeedOptions { messages: 2_000, conversations: 50, long_conversations: 1, long_size: 500, seed: 1 };
        crate::devseed::seed(&mut store, &opts).unwrap();
        let conn = store.conn();
        for sql in [
            "SELECT status, timestamp, error_code, error_kind, error_message FROM pending_statuses
         WHERE account_id = ?1 AND provider_message_id = ?2",
            "SELECT id FROM messages WHERE account_id = ?1 AND provider_message_id = ?2",
            "SELECT change, text, timestamp FROM pending_changes WHERE account_id = ?1 AND provider_message_id = ?2",
        ] {
            let stmt = conn.prepare_cached(sql).unwrap();
            let (runs, again) = (stmt.get_status(rusqlite::StatementStatus::Run), stmt.get_status(rusqlite::StatementStatus::RePrepare));
            assert!(runs >= 2_000, "the insert path uses this cached statement ({runs} runs): {sql}");
            assert!(again <= 2, "prepared again {again} times in {runs} runs: {sql}");
        }
    }
}
