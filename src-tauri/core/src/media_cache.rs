//! The media cache: a size limit on the files in `media/` (setting
//! `media_cache_limit_mb`). Over it, the least recently used files (last
//! served or opened, else downloaded) are removed first until the total is
//! under the limit; their messages stay, each media record `evicted`, and
//! come back with "Download again" through the usual download (hash checked)
//! while the provider still has them. Attachments of messages not yet sent
//! are never removed. Contacts' profile pictures are not counted: they are
//! small, one per contact, and refreshed by the picture sync anyway.
//!
//! Eviction runs after each download (one read of the running total the
//! store keeps, never a walk of the folder), when the limit is lowered, and
//! on demand (`wicket media prune`, Settings → "Free up space now").

use crate::datadir::DataDir;
use crate::error::{Error, Result};
use crate::model::MediaState;
use crate::providers::ProviderClient;
use crate::store::media_cache::{unavailable_reason, CacheTotals, EvictedFile};
use crate::store::Store;
use crate::time::now_ms;
use serde_json::Value;

pub const LIMIT_SETTING: &str = "media_cache_limit_mb";
/// 2 GB: months of a busy shop's pictures and voice notes, a small share of
/// a laptop's disk. 0 turns the limit off.
pub const DEFAULT_LIMIT_MB: i64 = 2048;
const MB: i64 = 1024 * 1024;

/// The limit in bytes (None: no limit). A value the catalog would refuse
/// (hand-edited) falls back to the default rather than to no limit.
pub fn limit_bytes(store: &Store) -> Result<Option<i64>> {
    let mb = match store.setting(LIMIT_SETTING)? {
        Some(v) => parse_mb(&v).unwrap_or(DEFAULT_LIMIT_MB),
        None => DEFAULT_LIMIT_MB,
    };
    Ok((mb > 0).then(|| mb.saturating_mul(MB)))
}

fn parse_mb(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok())).filter(|n| *n >= 0)
}

/// The catalog's check of `media_cache_limit_mb`.
pub fn check_limit(v: &Value) -> Result<()> {
    match v.as_i64() {
        Some(n) if n >= 0 => Ok(()),
        _ => Err(Error::Invalid(format!("the media cache limit is a whole number of megabytes (0: no limit), not {v}"))),
    }
}

/// The space Wicket uses: media against the limit, and the database.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Usage {
    /// Media files on disk (downloads and the owner's attachments).
    pub media_bytes: i64,
    pub media_files: i64,
    /// 0: no limit.
    pub limit_mb: i64,
    /// What "Free up space" could remove (all but unsent attachments).
    pub evictable_bytes: i64,
    pub evictable_files: i64,
    /// The database with its write-ahead log.
    pub database_bytes: i64,
}

pub fn usage(store: &Store, dir: &DataDir) -> Result<Usage> {
    let CacheTotals { bytes, files } = store.media_cache_totals()?;
    let evictable = store.media_cache_evictable()?;
    let db = dir.db_path();
    let database_bytes = ["", "-wal"]
        .iter()
        .filter_map(|suffix| {
            let mut p = db.clone().into_os_string();
            p.push(suffix);
            std::fs::metadata(p).ok().map(|m| m.len() as i64)
        })
        .sum();
    Ok(Usage {
        media_bytes: bytes,
        media_files: files,
        limit_mb: limit_bytes(store)?.map(|b| b / MB).unwrap_or(0),
        evictable_bytes: evictable.bytes,
        evictable_files: evictable.files,
        database_bytes,
    })
}

/// What one eviction pass did.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct PruneReport {
    pub freed_bytes: i64,
    pub evicted: Vec<EvictedFile>,
    /// Still over the limit afterwards (only unsent attachments were left).
    pub still_over: bool,
    pub media_bytes: i64,
    /// 0: no limit.
    pub limit_mb: i64,
}

/// Brings the cache under the limit, if it is over: the running total is
/// one row, so this is cheap enough to call after every download.
pub fn enforce(store: &mut Store, dir: &DataDir, spare: Option<i64>) -> Result<PruneReport> {
    let limit = limit_bytes(store)?;
    let total = store.media_cache_totals()?.bytes;
    let mut report = PruneReport { media_bytes: total, limit_mb: limit.map(|b| b / MB).unwrap_or(0), ..Default::default() };
    let Some(limit) = limit.filter(|l| total > *l) else { return Ok(report) };
    let evicted = store.evict_media(total - limit, now_ms(), spare)?;
    for f in &evicted {
        let path = dir.root().join(&f.path);
        // The row already says "removed": a file that is gone is fine; one
        // that cannot be removed only wastes space until the next prune.
        if let Err(e) = std::fs::remove_file(&path) {
            if e.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!(media = f.media_id, "cannot remove {}: {e}", path.display());
            }
        }
    }
    report.freed_bytes = evicted.iter().map(|f| f.size).sum();
    report.evicted = evicted;
    report.media_bytes = store.media_cache_totals()?.bytes;
    report.still_over = report.media_bytes > limit;
    if !report.evicted.is_empty() {
        tracing::info!(files = report.evicted.len(), bytes = report.freed_bytes, "media cache over its limit: least recently used files removed");
    }
    Ok(report)
}

/// Whether a download error means the provider no longer has the file
/// (Meta's "object does not exist", a gateway's 404 or 410), as opposed to
/// a failure worth retrying.
pub fn is_gone(e: &Error) -> bool {
    match e.provider_error() {
        Some(pe) => matches!(pe.code.as_deref(), Some("100" | "404" | "410")),
        None => false,
    }
}

/// "Download again" on an evicted file: checked against the provider's
/// window, then queued for the engine's media worker (the usual download,
/// hash verified). A file the provider cannot give back any more keeps the
/// evicted state with the reason, and the error says so.
pub fn request_again(store: &mut Store, id: i64) -> Result<()> {
    let m = store.media_file(id)?;
    if m.state != MediaState::Evicted {
        return Err(Error::Invalid(format!("media {id} is {}, not removed to save space: nothing to download again", m.state)));
    }
    if let Some(why) = m.error {
        return Err(Error::Invalid(why));
    }
    let account = store.account(m.account_id)?;
    let created_at: i64 = store.media_created_at(id)?;
    if let Some(why) = unavailable_reason(account.provider.as_str(), m.provider_media_id.is_some() || m.fetch_info.is_some(), created_at, now_ms()) {
        store.media_gone(id, &why)?;
        return Err(Error::Invalid(why));
    }
    store.request_media_again(id)
}

/// [`request_again`], then the download itself, now (`wicket media
/// redownload`, where no engine may run). Returns the file's record.
pub async fn download_again(store: &mut Store, dir: &DataDir, client: &ProviderClient, id: i64) -> Result<crate::store::media::MediaFile> {
    request_again(store, id)?;
    let media = store.media_file(id)?;
    crate::media_fetch::fetch_one(store, dir, client, &media).await?;
    store.media_file(id)
}
