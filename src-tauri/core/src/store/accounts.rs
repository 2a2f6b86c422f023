//! Accounts: one per connected number. Holds the provider's non-secret config
//! (ids, base URL, API version) as JSON; secrets live in the secret store.

use super::Store;
use crate::error::{Error, Result};
use crate::model::{AccountStatus, Provider};
use crate::time::now_ms;
use rusqlite::{params, OptionalExtension, Row};

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Account {
    pub id: i64,
    pub provider: Provider,
    pub name: String,
    pub phone: Option<String>,
    pub status: AccountStatus,
    pub status_reason: Option<String>,
    pub status_since: Option<i64>,
    pub enabled: bool,
    pub config: serde_json::Value,
    pub created_at: i64,
    pub updated_at: i64,
    /// When the last contact sync finished, and its summary.
    pub last_sync_at: Option<i64>,
    pub last_sync_result: Option<serde_json::Value>,
}

impl Account {
    /// A string field of the provider config.
    pub fn config_str(&self, key: &str) -> Option<&str> {
        self.config.get(key).and_then(|v| v.as_str())
    }
}

#[derive(Debug, Clone)]
pub struct NewAccount {
    pub provider: Provider,
    pub name: String,
    pub phone: Option<String>,
    pub config: serde_json::Value,
}

const COLUMNS: &str = "id, provider, name, phone, status, status_reason, status_since, enabled, config, created_at, updated_at, last_sync_at, last_sync_result";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Account> {
    let provider: String = r.get(1)?;
    let status: String = r.get(4)?;
    let config: String = r.get(8)?;
    Ok(Account {
        id: r.get(0)?,
        provider: Provider::parse(&provider).unwrap_or(Provider::Meta),
        name: r.get(2)?,
        phone: r.get(3)?,
        status: AccountStatus::parse(&status).unwrap_or(AccountStatus::Unverified),
        status_reason: r.get(5)?,
        status_since: r.get(6)?,
        enabled: r.get(7)?,
        config: serde_json::from_str(&config).unwrap_or(serde_json::Value::Null),
        created_at: r.get(9)?,
        updated_at: r.get(10)?,
        last_sync_at: r.get(11)?,
        last_sync_result: super::parse_json_col(r.get(12)?),
    })
}

impl Store {
    pub fn add_account(&mut self, new: &NewAccount) -> Result<Account> {
        if new.name.trim().is_empty() {
            return Err(Error::Invalid("an account needs a name".into()));
        }
        let now = now_ms();
        let id = self.write(|tx| {
            tx.execute(
                "INSERT INTO accounts (provider, name, phone, status, config, created_at, updated_at)
                 VALUES (?1, ?2, ?3, 'unverified', ?4, ?5, ?5)",
                params![new.provider.as_str(), new.name.trim(), new.phone, new.config.to_string(), now],
            )?;
            Ok(tx.last_insert_rowid())
        })?;
        self.account(id)
    }

    pub fn account(&self, id: i64) -> Result<Account> {
        self.conn
            .query_row(&format!("SELECT {COLUMNS} FROM accounts WHERE id = ?1"), [id], from_row)
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("no account with id {id}: see `wicket account list`")))
    }

    pub fn accounts(&self) -> Result<Vec<Account>> {
        let mut stmt = self.conn.prepare(&format!("SELECT {COLUMNS} FROM accounts ORDER BY id"))?;
        let rows = stmt.query_map([], from_row)?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Finds the account whose config has `key` = `value` (e.g. the Meta
    /// account for a `phone_number_id`).
    pub fn account_by_config(&self, provider: Provider, key: &str, value: &str) -> Result<Option<Account>> {
        let sql = format!("SELECT {COLUMNS} FROM accounts WHERE provider = ?1 AND json_extract(config, '$.' || ?2) = ?3 ORDER BY id LIMIT 1");
        Ok(self.conn.query_row(&sql, params![provider.as_str(), key, value], from_row).optional()?)
    }

    /// Every account whose config has `key` = `value`, in id order (a
    /// business account's numbers share its `business_account_id`).
    pub fn accounts_by_config(&self, provider: Provider, key: &str, value: &str) -> Result<Vec<Account>> {
        let sql = format!("SELECT {COLUMNS} FROM accounts WHERE provider = ?1 AND json_extract(config, '$.' || ?2) = ?3 ORDER BY id");
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(params![provider.as_str(), key, value], from_row)?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Sets the status; `status_since` changes only when the status does.
    pub fn set_account_status(&mut self, id: i64, status: AccountStatus, reason: Option<&str>) -> Result<()> {
        let now = now_ms();
        let n = self.write(|tx| {
            Ok(tx.execute(
                "UPDATE accounts SET status_since = CASE WHEN status = ?2 THEN status_since ELSE ?4 END,
                        status = ?2, status_reason = ?3, updated_at = ?4
                 WHERE id = ?1",
                params![id, status.as_str(), reason, now],
            )?)
        })?;
        if n == 0 {
            return Err(Error::NotFound(format!("no account with id {id}")));
        }
        Ok(())
    }

    pub fn update_account_config(&mut self, id: i64, config: &serde_json::Value) -> Result<()> {
        let now = now_ms();
        self.write(|tx| {
            tx.execute("UPDATE accounts SET config = ?2, updated_at = ?3 WHERE id = ?1", params![id, config.to_string(), now])?;
            Ok(())
        })
    }

    pub fn set_account_phone(&mut self, id: i64, phone: Option<&str>) -> Result<()> {
        let now = now_ms();
        self.write(|tx| {
            tx.execute("UPDATE accounts SET phone = ?2, updated_at = ?3 WHERE id = ?1", params![id, phone, now])?;
            Ok(())
        })
    }

    pub fn set_account_enabled(&mut self, id: i64, enabled: bool) -> Result<()> {
        let now = now_ms();
        self.write(|tx| {
            tx.execute("UPDATE accounts SET enabled = ?2, updated_at = ?3 WHERE id = ?1", params![id, enabled, now])?;
            Ok(())
        })
    }

    /// Keeps the outcome of a sync on the account, for the owner to see.
    pub fn record_sync(&mut self, id: i64, result: &serde_json::Value) -> Result<()> {
        let now = now_ms();
        self.write(|tx| {
            tx.execute("UPDATE accounts SET last_sync_at = ?2, last_sync_result = ?3 WHERE id = ?1", params![id, now, result.to_string()])?;
            Ok(())
        })
    }

    /// The files on disk the account's rows name (media and contact
    /// pictures), relative to the data dir as stored.
    pub fn account_files(&self, id: i64) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare(
            "SELECT path FROM media_files WHERE account_id = ?1 AND path IS NOT NULL
             UNION SELECT profile_picture_path FROM contacts WHERE account_id = ?1 AND profile_picture_path IS NOT NULL",
        )?;
        let rows = stmt.query_map([id], |r| r.get(0))?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Removes the account and everything stored for it, its raw webhook
    /// bodies included, in one transaction (its secrets are the caller's to
    /// remove from the secret store, its files on disk too:
    /// [`crate::accounts::remove`] does both).
    pub fn remove_account(&mut self, id: i64) -> Result<()> {
        let n = self.write(|tx| {
            super::webhook_events::remove_for_account(tx, id)?;
            Ok(tx.execute("DELETE FROM accounts WHERE id = ?1", [id])?)
        })?;
        if n == 0 {
            return Err(Error::NotFound(format!("no account with id {id}")));
        }
        Ok(())
    }
}
