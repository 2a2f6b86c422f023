//! Downloads inbound media promptly (provider media ids and URLs expire),
//! size-limited and verified against the SHA-256 the provider gives: a
//! mismatch is a failed download, never a stored file. Files get generated
//! names under `media/`; a sender's file name never becomes a path.

use crate::datadir::DataDir;
use crate::error::{Error, Result};
use crate::providers::ProviderClient;
use crate::store::media::MediaFile;
use crate::store::Store;
use crate::time::now_ms;
use sha2::{Digest, Sha256};

/// Largest inbound file we store (Meta's documents go up to 100 MB).
pub const MAX_MEDIA_BYTES: u64 = 100 * 1024 * 1024;

fn extension_for(mime: Option<&str>) -> &'static str {
    match mime.map(|m| m.split(';').next().unwrap_or(m).trim()) {
        Some("image/jpeg") => "jpg",
        Some("image/png") => "png",
        Some("image/webp") => "webp",
        Some("video/mp4") => "mp4",
        Some("video/3gpp") => "3gp",
        Some("audio/ogg") => "ogg",
        Some("audio/mpeg") => "mp3",
        Some("audio/mp4") | Some("audio/aac") => "m4a",
        Some("audio/amr") => "amr",
        Some("application/pdf") => "pdf",
        Some("text/plain") => "txt",
        _ => "bin",
    }
}

/// Whether `bytes` hash to `expected` (hex, or base64 as some providers send).
/// False when `expected` is neither.
pub fn sha256_matches(bytes: &[u8], expected: &str) -> bool {
    use base64::Engine;
    let expected = expected.trim();
    let want = if expected.len() == 64 { hex::decode(expected).ok() } else { base64::engine::general_purpose::STANDARD.decode(expected).ok() };
    match want {
        Some(want) if want.len() == 32 => Sha256::digest(bytes).as_slice() == want.as_slice(),
        _ => false,
    }
}

/// Downloads one media file and records the outcome. Returns the relative path.
pub async fn fetch_one(store: &mut Store, dir: &DataDir, client: &ProviderClient, media: &MediaFile) -> Result<String> {
    let result = client.download_media(media, MAX_MEDIA_BYTES).await;
    let retry_at = now_ms() + 60_000 * (1i64 << media.attempts.clamp(0, 6));
    let bytes = match result {
        Ok(b) => b,
        Err(e) => {
            // A removed file the provider no longer has stays removed, with
            // why, instead of being retried ten times.
            if crate::media_cache::is_gone(&e) && store.media_was_evicted(media.id)? {
                store.media_gone(media.id, &format!("Removed to save space; no longer available from WhatsApp ({e})"))?;
            } else {
                store.media_failed(media.id, &e.to_string(), Some(retry_at))?;
            }
            return Err(e);
        }
    };
    let expected = bytes.expected_sha256.clone().or_else(|| media.sha256.clone());
    if let Some(expected) = &expected {
        if !sha256_matches(&bytes.bytes, expected) {
            let msg = "the downloaded file does not match the SHA-256 the provider gave: not stored".to_string();
            store.media_failed(media.id, &msg, Some(retry_at))?;
            return Err(Error::Invalid(msg));
        }
    }
    let mime = bytes.mime.clone().or_else(|| media.mime.clone());
    let rel = format!("media/{}/{}-{:016x}.{}", media.account_id, media.id, rand::random::<u64>(), extension_for(mime.as_deref()));
    let path = dir.root().join(&rel);
    crate::datadir::write_private(&path, &bytes.bytes).map_err(|e| Error::io(format!("cannot store {}", path.display()), e))?;
    let sha = hex::encode(Sha256::digest(&bytes.bytes));
    store.media_downloaded(media.id, &rel, mime.as_deref(), bytes.bytes.len() as i64, &sha)?;
    // The cache's limit, checked against the store's running total (cheap).
    if let Err(e) = crate::media_cache::enforce(store, dir, Some(media.id)) {
        tracing::warn!(media = media.id, "media cache limit not applied: {e}");
    }
    Ok(rel)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_accepts_hex_or_base64_and_rejects_mismatch() {
        let hex_digest = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"; // "hello"
        assert!(sha256_matches(b"hello", hex_digest));
        assert!(sha256_matches(b"hello", "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ="));
        assert!(sha256_matches(b"hello", &hex_digest.to_uppercase()), "hex case does not matter");
        assert!(!sha256_matches(b"hellO", hex_digest), "a changed byte fails");
        assert!(!sha256_matches(b"hello", ""), "no hash is not a match");
        assert!(!sha256_matches(b"hello", "not-a-hash"));
    }
}
