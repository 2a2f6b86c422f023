//! Settings (key → JSON value), sync cursors and counters.
//!
//! `data_dir_id` is generated once per store: it namespaces this data dir's
//! keychain entries so two data dirs never collide. It is never exported.

use super::Store;
use crate::error::Result;
use crate::time::now_ms;
use rusqlite::{params, Connection, OptionalExtension};

pub const DATA_DIR_ID: &str = "data_dir_id";
pub const DEFAULT_COUNTRY: &str = "default_country";
/// The default country until the owner sets one.
pub const DEFAULT_COUNTRY_CODE: &str = "US";

impl Store {
    pub fn setting(&self, key: &str) -> Result<Option<serde_json::Value>> {
        let v: Option<String> = self.conn.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| r.get(0)).optional()?;
        Ok(v.and_then(|s| serde_json::from_str(&s).ok()))
    }

    pub fn setting_str(&self, key: &str) -> Result<Option<String>> {
        Ok(self.setting(key)?.and_then(|v| v.as_str().map(str::to_string)))
    }

    pub fn set_setting(&mut self, key: &str, value: &serde_json::Value) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key, value.to_string()],
            )?;
            Ok(())
        })
    }

    /// All settings, ordered by key.
    pub fn settings(&self) -> Result<Vec<(String, serde_json::Value)>> {
        let mut stmt = self.conn.prepare("SELECT key, value FROM settings ORDER BY key")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let mut out = vec![];
        for row in rows {
            let (k, v) = row?;
            out.push((k, serde_json::from_str(&v).unwrap_or(serde_json::Value::Null)));
        }
        Ok(out)
    }

    /// The owner's default country for phone numbers (ISO code).
    pub fn default_country(&self) -> Result<String> {
        Ok(self.setting_str(DEFAULT_COUNTRY)?.unwrap_or_else(|| DEFAULT_COUNTRY_CODE.into()))
    }

    /// This data dir's id, created on first use.
    pub fn data_dir_id(&mut self) -> Result<String> {
        if let Some(id) = self.setting_str(DATA_DIR_ID)? {
            return Ok(id);
        }
        let id = format!("{:016x}{:016x}", rand::random::<u64>(), rand::random::<u64>());
        self.write(|tx| {
            tx.execute("INSERT OR IGNORE INTO settings (key, value) VALUES (?1, ?2)", params![DATA_DIR_ID, serde_json::Value::String(id).to_string()])?;
            Ok(())
        })?;
        Ok(self.setting_str(DATA_DIR_ID)?.unwrap_or_default())
    }

    pub fn cursor(&self, account_id: i64, name: &str) -> Result<Option<String>> {
        Ok(self.conn.query_row("SELECT cursor FROM sync_cursors WHERE account_id = ?1 AND name = ?2", params![account_id, name], |r| r.get(0)).optional()?)
    }

    pub fn set_cursor(&mut self, account_id: i64, name: &str, cursor: &str) -> Result<()> {
        self.write(|tx| set_cursor(tx, account_id, name, cursor))
    }

    /// Removes a cursor if it still holds `cursor` (a marker taken care of,
    /// unless it was set again meanwhile).
    pub fn clear_cursor_if(&mut self, account_id: i64, name: &str, cursor: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute("DELETE FROM sync_cursors WHERE account_id = ?1 AND name = ?2 AND cursor = ?3", params![account_id, name, cursor])?;
            Ok(())
        })
    }

    pub fn counter(&self, name: &str) -> Result<i64> {
        Ok(self.conn.query_row("SELECT value FROM counters WHERE name = ?1", [name], |r| r.get(0)).optional()?.unwrap_or(0))
    }

    pub fn bump_counter(&mut self, name: &str) -> Result<()> {
        self.write(|tx| bump_counter(tx, name))
    }
}

/// A cursor read on `conn` (e.g. inside a write transaction).
pub fn cursor(conn: &Connection, account_id: i64, name: &str) -> Result<Option<String>> {
    Ok(conn.query_row("SELECT cursor FROM sync_cursors WHERE account_id = ?1 AND name = ?2", params![account_id, name], |r| r.get(0)).optional()?)
}

pub fn set_cursor(conn: &Connection, account_id: i64, name: &str, cursor: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO sync_cursors (account_id, name, cursor, updated_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (account_id, name) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at",
        params![account_id, name, cursor, now_ms()],
    )?;
    Ok(())
}

pub fn bump_counter(conn: &Connection, name: &str) -> Result<()> {
    conn.execute("INSERT INTO counters (name, value) VALUES (?1, 1) ON CONFLICT (name) DO UPDATE SET value = value + 1", [name])?;
    Ok(())
}

/// Claims a periodic job named by the setting `key` (which holds the Unix ms
/// of its last run): when no run started within `period_ms` before `now_ms`
/// (or the clock went back past the last run), records `now_ms` and returns
/// true. One statement, so of several processes claiming at once exactly one
/// wins.
pub fn claim_period(conn: &Connection, key: &str, now_ms: i64, period_ms: i64) -> Result<bool> {
    let n = conn.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value
         WHERE NOT (CAST(settings.value AS INTEGER) <= ?3 AND CAST(settings.value AS INTEGER) > ?3 - ?4)",
        params![key, now_ms.to_string(), now_ms, period_ms],
    )?;
    Ok(n == 1)
}
