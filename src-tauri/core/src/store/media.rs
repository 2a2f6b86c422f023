//! Media files: what a message's attachment is, where it is on disk
//! (relative to the data dir, always a generated name) and whether it has
//! been downloaded. A failed download is retried later with backoff.

use super::Store;
use crate::error::{Error, Result};
use crate::model::MediaState;
use crate::time::now_ms;
use rusqlite::{params, Connection, OptionalExtension};

#[derive(Debug, Clone, Default)]
pub struct NewMedia {
    pub account_id: i64,
    pub provider_media_id: Option<String>,
    pub url: Option<String>,
    pub path: Option<String>,
    pub file_name: Option<String>,
    pub mime: Option<String>,
    pub size: Option<i64>,
    pub sha256: Option<String>,
    pub state: Option<MediaState>,
    /// What the provider needs to fetch the bytes beyond an id (JSON).
    pub fetch_info: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MediaFile {
    pub id: i64,
    pub account_id: i64,
    pub provider_media_id: Option<String>,
    pub url: Option<String>,
    pub path: Option<String>,
    pub file_name: Option<String>,
    pub mime: Option<String>,
    pub size: Option<i64>,
    pub sha256: Option<String>,
    pub state: MediaState,
    pub error: Option<String>,
    pub attempts: i64,
    pub fetch_info: Option<serde_json::Value>,
}

pub fn insert(conn: &Connection, m: &NewMedia) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO media_files (account_id, provider_media_id, url, path, file_name, mime, size, sha256, state, created_at, fetch_info)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        m.account_id,
        m.provider_media_id,
        m.url,
        m.path,
        m.file_name,
        m.mime,
        m.size,
        m.sha256,
        m.state.unwrap_or(MediaState::Pending).as_str(),
        now_ms(),
        super::json_col(&m.fetch_info),
    ])?;
    Ok(conn.last_insert_rowid())
}

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<MediaFile> {
    let state: String = r.get(9)?;
    Ok(MediaFile {
        id: r.get(0)?,
        account_id: r.get(1)?,
        provider_media_id: r.get(2)?,
        url: r.get(3)?,
        path: r.get(4)?,
        file_name: r.get(5)?,
        mime: r.get(6)?,
        size: r.get(7)?,
        sha256: r.get(8)?,
        state: MediaState::parse(&state).unwrap_or(MediaState::Pending),
        error: r.get(10)?,
        attempts: r.get(11)?,
        fetch_info: super::parse_json_col(r.get(12)?),
    })
}

/// Downloads tried per file before it is left failed (the owner may retry it).
pub const MAX_FETCH_ATTEMPTS: i64 = 10;

/// The state is read as Wicket uses it: an evicted file keeps its stored
/// `downloaded` (see migration 21) and reads as `evicted`.
const COLUMNS: &str = "id, account_id, provider_media_id, url, path, file_name, mime, size, sha256,
    CASE WHEN evicted_at IS NOT NULL AND state = 'downloaded' THEN 'evicted' ELSE state END, error, attempts, fetch_info";

impl Store {
    pub fn media_file(&self, id: i64) -> Result<MediaFile> {
        self.conn
            .query_row(&format!("SELECT {COLUMNS} FROM media_files WHERE id = ?1"), [id], from_row)
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("no media file with id {id}")))
    }

    pub fn insert_media(&mut self, m: &NewMedia) -> Result<i64> {
        self.write(|tx| insert(tx, m))
    }

    /// Media still to download whose next attempt is due.
    pub fn media_to_fetch(&self, now: i64, limit: usize) -> Result<Vec<MediaFile>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM media_files WHERE state != 'downloaded' AND coalesce(next_attempt_at, 0) <= ?1
             AND (provider_media_id IS NOT NULL OR fetch_info IS NOT NULL) AND attempts < {MAX_FETCH_ATTEMPTS} ORDER BY next_attempt_at, id LIMIT ?2"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(params![now, limit as i64], from_row)?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// [`Store::media_to_fetch`] for one account: each account's media
    /// worker downloads its own, so one account's slow files never delay another's.
    pub fn media_to_fetch_for_account(&self, account_id: i64, now: i64, limit: usize) -> Result<Vec<MediaFile>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM media_files WHERE account_id = ?1 AND state != 'downloaded' AND coalesce(next_attempt_at, 0) <= ?2
             AND (provider_media_id IS NOT NULL OR fetch_info IS NOT NULL) AND attempts < {MAX_FETCH_ATTEMPTS} ORDER BY next_attempt_at, id LIMIT ?3"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(params![account_id, now, limit as i64], from_row)?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    pub fn media_downloaded(&mut self, id: i64, path: &str, mime: Option<&str>, size: i64, sha256: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE media_files SET path = ?2, mime = coalesce(?3, mime), size = ?4, sha256 = ?5, state = 'downloaded',
                    error = NULL, next_attempt_at = NULL, downloaded_at = ?6, evicted_at = NULL WHERE id = ?1",
                params![id, path, mime, size, sha256, now_ms()],
            )?;
            Ok(())
        })
    }

    /// A failed download: kept as failed with the reason, retried at `retry_at`.
    pub fn media_failed(&mut self, id: i64, error: &str, retry_at: Option<i64>) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE media_files SET state = 'failed', error = ?2, attempts = attempts + 1, next_attempt_at = ?3 WHERE id = ?1",
                params![id, error, retry_at],
            )?;
            Ok(())
        })
    }
}
