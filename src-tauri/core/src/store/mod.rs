//! The local store: one SQLite file (`wicket.db`) in WAL mode.
//!
//! It owns the schema and every rule about stored data: statuses only move
//! forward, a provider message id never makes two rows, owner-typed names are
//! never overwritten, lists are paged by cursor over an index. Other modules
//! never write SQL against these tables themselves.
//!
//! One `Store` is one connection. Processes and threads each open their own;
//! WAL lets readers run beside the single writer, and the busy timeout makes
//! concurrent writers wait instead of failing.

pub mod account_health;
pub mod accounts;
pub mod alerts;
pub mod auto_replies;
pub mod bulk;
pub mod bulk_write;
pub mod contact_merge;
pub mod contacts;
pub mod conversations;
pub mod health;
pub mod history;
pub mod hourly;
pub mod job_runs;
pub mod media;
pub mod media_cache;
pub mod message_changes;
pub mod message_pages;
pub mod messages;
pub mod migrations;
pub mod notes;
pub mod outbox_queue;
pub mod quick_replies;
pub mod receipts;
pub mod reminders;
pub mod scheduled;
pub mod send_log;
pub mod settings;
pub mod snooze;
pub mod stats;
pub mod templates;
pub mod typing;
pub mod webhook_events;

use crate::error::{Error, Result};
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use accounts::{Account, NewAccount};
pub use bulk_write::{BulkWriter, FtsDeferral};
pub use contacts::{Contact, ContactUpdate};
pub use conversations::{Conversation, ConversationFilter};
pub use messages::{Message, NewMessage, StatusUpdate};

pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens (creating if needed) the store at `path` and migrates it. An older
    /// file is copied aside first (`wicket.db.v{N}.bak`); a newer one is refused.
    /// The file is owner-only (`0600` on Unix), and so are its `-wal` and
    /// `-shm`, which SQLite creates with the database file's mode.
    pub fn open(path: &Path) -> Result<Store> {
        make_private(path)?;
        let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        conn.busy_timeout(Duration::from_secs(10))?;
        // Hot statements (inserts, lookups by provider id) are prepared once
        // per connection; the default 16 slots are too few for the engine.
        conn.set_prepared_statement_cache_capacity(64);
        conn.pragma_update(None, "foreign_keys", true)?;
        // Switching a file to WAL takes an exclusive lock that the busy
        // timeout does not wait for: another process opening the same file
        // at that instant gets SQLITE_BUSY, so wait a little and retry.
        let mut tries = 0;
        let mode: String = loop {
            match conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0)) {
                Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::DatabaseBusy && tries < 100 => {
                    tries += 1;
                    std::thread::sleep(Duration::from_millis(20));
                }
                other => break other?,
            }
        };
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::Internal(format!("SQLite refused WAL mode (got {mode})")));
        }
        // FULL: a commit is on disk before we answer a webhook with 200.
        conn.pragma_update(None, "synchronous", "FULL")?;
        let mut store = Store { conn, path: path.to_path_buf() };
        store.migrate()?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version of the file at `path`, read without opening it as
    /// a store (no migration, no write: `wicket --version` only looks).
    pub fn peek_schema_version(path: &Path) -> Result<i64> {
        let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        Ok(conn.pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    pub fn schema_version(&self) -> Result<i64> {
        Ok(self.conn.pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    fn migrate(&mut self) -> Result<()> {
        let found = self.schema_version()?;
        let latest = migrations::latest_version();
        if found > latest {
            return Err(Error::SchemaTooNew { path: self.path.clone(), found, supported: latest });
        }
        if found == latest {
            return Ok(());
        }
        // Two processes opening an older file at once: the first migrates
        // (backup included) under an OS file lock, the second waits, then
        // reads the version again and finds the work done.
        let lock_path = self.path.with_extension("db-migrate.lock");
        let lock = crate::datadir::private_file_options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| Error::io(format!("cannot open {}", lock_path.display()), e))?;
        lock.lock().map_err(|e| Error::io(format!("cannot lock {}", lock_path.display()), e))?;
        let found = self.schema_version()?;
        if found == latest {
            return Ok(());
        }
        if found > 0 {
            self.backup_before_migration(found)?;
        }
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        for (i, sql) in migrations::MIGRATIONS.iter().enumerate().skip(found as usize) {
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Copies the file aside with SQLite's backup API, so the copy is
    /// consistent even with a WAL that has not been checkpointed.
    fn backup_before_migration(&self, version: i64) -> Result<()> {
        let mut name = self.path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
        name.push(format!(".v{version}.bak"));
        let dest = self.path.with_file_name(name);
        if dest.exists() {
            std::fs::remove_file(&dest).map_err(|e| Error::io(format!("cannot replace {}", dest.display()), e))?;
        }
        // SQLite's online backup: a consistent copy of the database as this
        // connection sees it, WAL included (a file copy could tear it). The
        // copy is created owner-only before SQLite writes a page into it.
        make_private(&dest)?;
        let mut copy = Connection::open(&dest)?;
        rusqlite::backup::Backup::new(&self.conn, &mut copy)?.run_to_completion(256, Duration::ZERO, None)?;
        drop(copy);
        crate::datadir::tighten_or_warn(&dest, crate::datadir::PRIVATE_FILE_MODE);
        Ok(())
    }

    /// Runs `f` in one transaction (IMMEDIATE: takes the write lock up front,
    /// so concurrent writers queue on the busy timeout instead of deadlocking).
    pub fn write<T>(&mut self, f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T>) -> Result<T> {
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// How long a write waits for another writer before SQLITE_BUSY (10 s
    /// from [`Store::open`]; tests shorten it to provoke a busy store).
    pub fn set_busy_timeout(&self, timeout: Duration) -> Result<()> {
        Ok(self.conn.busy_timeout(timeout)?)
    }

    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Changes whenever another connection commits: lets the engine notice
    /// accounts and settings changed by another process.
    pub fn data_version(&self) -> Result<i64> {
        Ok(self.conn.pragma_query_value(None, "data_version", |r| r.get(0))?)
    }

    /// The query plan of `sql`, one line per step, for index tests.
    pub fn explain(&self, sql: &str, params: impl rusqlite::Params) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
        let rows = stmt.query_map(params, |r| r.get::<_, String>(3))?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }
}

/// Creates the database file owner-only before SQLite does (it would use the
/// umask), and tightens an existing one and its `-wal`/`-shm`.
fn make_private(path: &Path) -> Result<()> {
    use crate::datadir::{private_file_options, tighten_or_warn, PRIVATE_FILE_MODE};
    if !path.exists() {
        match private_file_options().write(true).create_new(true).open(path) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => {
                return Err(Error::io(
                    format!("cannot create the database {} (check that its folder exists and is writable, and that the disk is not full)", path.display()),
                    e,
                ))
            }
        }
    }
    tighten_or_warn(path, PRIVATE_FILE_MODE);
    for suffix in ["-wal", "-shm"] {
        let mut name = path.as_os_str().to_os_string();
        name.push(suffix);
        tighten_or_warn(Path::new(&name), PRIVATE_FILE_MODE);
    }
    Ok(())
}

/// Helpers for optional JSON columns.
pub(crate) fn json_col(v: &Option<serde_json::Value>) -> Option<String> {
    v.as_ref().map(|v| v.to_string())
}

pub(crate) fn parse_json_col(s: Option<String>) -> Option<serde_json::Value> {
    s.and_then(|s| serde_json::from_str(&s).ok())
}
