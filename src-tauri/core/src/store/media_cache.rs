//! The media cache's rows: the running total of the files on disk (kept by
//! the triggers of migration 21), when each file was last used, and the
//! eviction of the least recently used ones. The files themselves are
//! removed by `crate::media_cache` once the rows say so.

use super::Store;
use crate::error::{Error, Result};
use crate::model::MediaState;
use crate::time::now_ms;
use rusqlite::{params, OptionalExtension};

/// Files recorded as on disk, and what they weigh (the triggers' running total).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct CacheTotals {
    pub bytes: i64,
    pub files: i64,
}

/// A file whose row now says "evicted": its file is to be removed.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct EvictedFile {
    pub media_id: i64,
    /// Relative to the data dir.
    pub path: String,
    pub size: i64,
    /// Whether the provider can still give it back ("Download again").
    pub can_download_again: bool,
}

/// On disk, and safe to remove: a file some message shows whose outgoing
/// message is not still waiting to go (pending, sending, failed or unknown:
/// it may be sent again, and the attachment is the only copy).
const EVICTABLE: &str = "f.state = 'downloaded' AND f.evicted_at IS NULL AND f.path IS NOT NULL
    AND EXISTS (SELECT 1 FROM messages m WHERE m.media_id = f.id)
    AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.media_id = f.id AND m.direction = 'out'
                    AND m.status IN ('pending', 'sending', 'failed', 'unknown'))";

/// How long Meta keeps a media id retrievable (providers.md A.6: about 30 days).
pub const META_MEDIA_DAYS: i64 = 30;
const DAY_MS: i64 = 86_400_000;

/// Why an evicted file cannot come back, or None when the provider may
/// still have it. The gateways have no published window: their answer decides.
pub(crate) fn unavailable_reason(provider: &str, has_id: bool, created_at: i64, now: i64) -> Option<String> {
    if !has_id {
        return Some("Removed to save space; no longer available from WhatsApp (the provider gave no id to fetch it again)".into());
    }
    if provider == "meta" && now - created_at > META_MEDIA_DAYS * DAY_MS {
        return Some(format!("Removed to save space; no longer available from WhatsApp (Meta keeps media for about {META_MEDIA_DAYS} days)"));
    }
    None
}

impl Store {
    /// The running total of the media files on disk.
    pub fn media_cache_totals(&self) -> Result<CacheTotals> {
        Ok(self
            .conn
            .query_row("SELECT bytes, files FROM media_cache_totals WHERE id = 1", [], |r| Ok(CacheTotals { bytes: r.get(0)?, files: r.get(1)? }))
            .optional()?
            .unwrap_or_default())
    }

    /// What eviction could free (everything on disk but unsent attachments).
    pub fn media_cache_evictable(&self) -> Result<CacheTotals> {
        Ok(self.conn.query_row(&format!("SELECT coalesce(sum(coalesce(f.size, 0)), 0), count(*) FROM media_files f WHERE {EVICTABLE}"), [], |r| {
            Ok(CacheTotals { bytes: r.get(0)?, files: r.get(1)? })
        })?)
    }

    /// Records that media `id` was served or opened: eviction takes the least
    /// recently used first. At most one write an hour per file, so a chat
    /// full of pictures does not write on every scroll.
    pub fn touch_media(&self, id: i64) -> Result<()> {
        let now = now_ms();
        self.conn.execute(
            "UPDATE media_files SET last_used_at = ?2 WHERE id = ?1 AND evicted_at IS NULL AND coalesce(last_used_at, 0) < ?3",
            params![id, now, now - 3_600_000],
        )?;
        Ok(())
    }

    /// Marks the least recently used files evicted until at least
    /// `bytes_to_free` are freed (one transaction), and returns them: the
    /// caller removes the files after the commit (a file left behind by a
    /// crash only wastes space; a row saying "on disk" without its file
    /// would be a broken picture).
    /// `spare`: a file never taken (the one just downloaded, so a limit
    /// smaller than one file does not remove what the owner is about to see).
    pub fn evict_media(&mut self, bytes_to_free: i64, now: i64, spare: Option<i64>) -> Result<Vec<EvictedFile>> {
        if bytes_to_free <= 0 {
            return Ok(vec![]);
        }
        self.write(|tx| {
            let mut stmt = tx.prepare(&format!(
                "SELECT f.id, f.path, coalesce(f.size, 0), a.provider, (f.provider_media_id IS NOT NULL OR f.fetch_info IS NOT NULL), f.created_at
                 FROM media_files f JOIN accounts a ON a.id = f.account_id
                 WHERE {EVICTABLE} AND f.id != ?1 ORDER BY coalesce(f.last_used_at, f.downloaded_at, f.created_at), f.id"
            ))?;
            let mut rows = stmt.query([spare.unwrap_or(0)])?;
            let mut out = vec![];
            let mut freed = 0;
            while freed < bytes_to_free {
                let Some(r) = rows.next()? else { break };
                let (id, path, size, provider, has_id, created_at): (i64, String, i64, String, bool, i64) =
                    (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?);
                let reason = unavailable_reason(&provider, has_id, created_at, now);
                tx.execute("UPDATE media_files SET evicted_at = ?2, path = NULL, error = ?3, next_attempt_at = NULL WHERE id = ?1", params![id, now, reason])?;
                freed += size;
                out.push(EvictedFile { media_id: id, path, size, can_download_again: reason.is_none() });
            }
            Ok(out)
        })
    }

    /// An evicted file asked for again: back in the download queue with a
    /// fresh attempt budget (`evicted_at` stays until it is on disk again).
    pub fn request_media_again(&mut self, id: i64) -> Result<()> {
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE media_files SET state = 'pending', error = NULL, attempts = 0, next_attempt_at = NULL
                 WHERE id = ?1 AND evicted_at IS NOT NULL AND state = 'downloaded' AND error IS NULL",
                [id],
            )?;
            if n == 0 {
                return Err(Error::Invalid(format!("media {id} is not a removed file that can be downloaded again")));
            }
            Ok(())
        })
    }

    /// The provider no longer has an evicted file: it stays evicted, with
    /// the reason, and is not asked for again.
    pub fn media_gone(&mut self, id: i64, reason: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE media_files SET state = 'downloaded', path = NULL, error = ?2, next_attempt_at = NULL
                 WHERE id = ?1 AND evicted_at IS NOT NULL",
                params![id, reason],
            )?;
            Ok(())
        })
    }

    /// When media `id` was first recorded (when the provider announced it).
    pub fn media_created_at(&self, id: i64) -> Result<i64> {
        self.conn
            .query_row("SELECT created_at FROM media_files WHERE id = ?1", [id], |r| r.get(0))
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("no media file with id {id}")))
    }

    /// Whether media `id` was evicted (and not yet back on disk).
    pub fn media_was_evicted(&self, id: i64) -> Result<bool> {
        let at: Option<Option<i64>> = self.conn.query_row("SELECT evicted_at FROM media_files WHERE id = ?1", [id], |r| r.get(0)).optional()?;
        Ok(matches!(at, Some(Some(_))))
    }

    /// The total counted from the rows, which the running total must equal
    /// (the triggers keep it so; the tests compare both with the disk).
    pub fn media_cache_recount(&self) -> Result<CacheTotals> {
        Ok(self.conn.query_row(
            &format!(
                "SELECT coalesce(sum(coalesce(size, 0)), 0), count(*) FROM media_files WHERE state = '{}' AND evicted_at IS NULL AND path IS NOT NULL",
                MediaState::Downloaded.as_str()
            ),
            [],
            |r| Ok(CacheTotals { bytes: r.get(0)?, files: r.get(1)? }),
        )?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_media_expire_after_thirty_days_and_no_id_is_never_available() {
        let now = 100 * DAY_MS;
        assert!(unavailable_reason("meta", true, now - DAY_MS, now).is_none());
        assert!(unavailable_reason("meta", true, now - 31 * DAY_MS, now).unwrap().contains("30 days"));
        assert!(unavailable_reason("wasender", true, now - 90 * DAY_MS, now).is_none(), "the gateway's answer decides");
        assert!(unavailable_reason("unipile", false, now, now).unwrap().contains("no longer available"));
    }
}
