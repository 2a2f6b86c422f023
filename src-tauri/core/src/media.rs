//! The media folder (`media/` in the data dir) as the window uses it: which
//! file a stored media id (or a contact's cached picture) is, never anything
//! outside `media/`; the owner's attachments, stored there before they are
//! queued; and a failed download scheduled again at the owner's request.

use crate::datadir::DataDir;
use crate::error::{Error, Result};
use crate::model::{MediaState, MessageKind};
use crate::providers::{MediaSource, OutgoingContent};
use crate::store::media::{MediaFile, NewMedia};
use crate::store::messages::Message;
use crate::store::Store;
use std::path::{Path, PathBuf};

/// A file inside `media/`, ready to be served or opened.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalFile {
    /// Absolute and canonical: inside the media folder.
    pub path: PathBuf,
    pub mime: Option<String>,
    pub file_name: Option<String>,
}

/// `rel` (relative to the data dir, as the store keeps it) resolved and
/// checked to be a file inside `media/`: links and `..` cannot leave it.
fn inside_media(dir: &DataDir, rel: &str) -> Result<PathBuf> {
    inside(&dir.media_dir(), dir, rel, "the media folder")
}

/// `rel` resolved and checked to be a file inside `folder`.
fn inside(folder: &Path, dir: &DataDir, rel: &str, what: &str) -> Result<PathBuf> {
    let not_there = || Error::NotFound(format!("the file {rel} is no longer in {what}"));
    let folder = folder.canonicalize().map_err(|_| not_there())?;
    let path = dir.root().join(rel).canonicalize().map_err(|_| not_there())?;
    if !path.starts_with(&folder) || !path.is_file() {
        return Err(Error::Invalid(format!("{rel} is not a file inside {what}: refused")));
    }
    Ok(path)
}

/// The downloaded (or attached) file of media `id`.
pub fn local_file(store: &Store, dir: &DataDir, id: i64) -> Result<LocalFile> {
    let m = store.media_file(id)?;
    let rel = match (&m.path, m.state) {
        (Some(p), MediaState::Downloaded) => p,
        _ if m.state == MediaState::Evicted => return Err(Error::NotFound(format!("media {id} was removed to save space: download it again"))),
        _ => return Err(Error::NotFound(format!("media {id} is not downloaded yet"))),
    };
    let file = LocalFile { path: inside_media(dir, rel)?, mime: m.mime, file_name: m.file_name };
    // Last use orders the cache's eviction; serving must not fail for it.
    if let Err(e) = store.touch_media(id) {
        tracing::debug!(media = id, "last use not recorded: {e}");
    }
    Ok(file)
}

/// The cached profile picture of contact `id`.
pub fn contact_picture(store: &Store, dir: &DataDir, id: i64) -> Result<LocalFile> {
    let c = store.contact(id)?;
    let rel = c.profile_picture_path.ok_or_else(|| Error::NotFound(format!("contact {id} has no cached picture")))?;
    Ok(LocalFile { path: inside_media(dir, &rel)?, mime: None, file_name: None })
}

/// The file attached to quick reply `id` (the composer attaches it when the
/// reply is inserted).
pub fn quick_reply_file(store: &Store, dir: &DataDir, id: i64) -> Result<LocalFile> {
    let q = store.quick_reply_by_id(id)?;
    let rel = q.file_path.ok_or_else(|| Error::NotFound(format!("quick reply /{} has no file", q.shortcut)))?;
    let folder = dir.root().join(crate::quick_replies::FILES_DIR);
    Ok(LocalFile { path: inside(&folder, dir, &rel, "the quick replies' folder")?, mime: q.mime_type, file_name: q.file_name })
}

/// Schedules a failed download again, now, with a fresh attempt budget (the
/// engine's media tick picks it up).
pub fn retry_download(store: &mut Store, id: i64) -> Result<MediaFile> {
    let m = store.media_file(id)?;
    if m.state != MediaState::Failed {
        return Err(Error::Invalid(format!("media {id} has not failed: nothing to retry")));
    }
    if m.provider_media_id.is_none() && m.fetch_info.is_none() {
        return Err(Error::Invalid(format!("media {id} cannot be fetched again: the provider gave no id for it")));
    }
    store.write(|tx| {
        tx.execute("UPDATE media_files SET state = 'pending', error = NULL, attempts = 0, next_attempt_at = NULL WHERE id = ?1", [id])?;
        Ok(())
    })?;
    store.media_file(id)
}

/// What an attachment is sent as, by its MIME type.
pub fn kind_for(mime: &str) -> MessageKind {
    match mime.split('/').next().unwrap_or_default() {
        "image" => MessageKind::Image,
        "video" => MessageKind::Video,
        "audio" => MessageKind::Audio,
        _ => MessageKind::Document,
    }
}

/// The largest file WhatsApp accepts of each kind (Meta's limits, which the
/// gateways share or exceed).
pub fn max_bytes(kind: MessageKind) -> usize {
    match kind {
        MessageKind::Image => 5 * 1024 * 1024,
        MessageKind::Video | MessageKind::Audio => 16 * 1024 * 1024,
        _ => 100 * 1024 * 1024,
    }
}

/// A file name safe to keep as a display name: no folders, no control characters.
fn display_name(name: &str) -> Option<String> {
    let base = Path::new(name).file_name()?.to_string_lossy().chars().filter(|c| !c.is_control()).collect::<String>();
    let base = base.trim().to_string();
    (!base.is_empty()).then_some(base)
}

/// A file the owner attached: its name (never a path), type, contents and
/// the caption typed with it.
#[derive(Debug, Clone)]
pub struct Attachment<'a> {
    pub file_name: &'a str,
    pub mime: &'a str,
    pub bytes: &'a [u8],
    pub caption: Option<String>,
}

/// An attachment the owner chose (its bytes: the window gives contents, not
/// paths): stored under `media/{account}/` with a generated name, recorded as
/// downloaded media, then queued like every send (window rules included).
/// A refused queue removes the file again.
pub fn queue_attachment(store: &mut Store, dir: &DataDir, conversation_id: i64, attachment: Attachment<'_>, reply_to: Option<i64>) -> Result<Message> {
    let Attachment { file_name, mime, bytes, caption } = attachment;
    let kind = kind_for(mime);
    if bytes.is_empty() {
        return Err(Error::Invalid(format!("{file_name} is empty: choose another file")));
    }
    let limit = max_bytes(kind);
    if bytes.len() > limit {
        return Err(Error::Invalid(format!(
            "{file_name} is {} MB; WhatsApp accepts {} MB at most for this kind of file",
            bytes.len().div_ceil(1024 * 1024),
            limit / (1024 * 1024)
        )));
    }
    let account_id = store.conversation(conversation_id)?.account_id;
    let name = display_name(file_name);
    let ext = name
        .as_deref()
        .and_then(|n| Path::new(n).extension())
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .filter(|e| e.len() <= 8 && e.chars().all(|c| c.is_ascii_alphanumeric()));
    let rel = format!("media/{account_id}/out-{:016x}.{}", rand::random::<u64>(), ext.as_deref().unwrap_or("bin"));
    let path = dir.root().join(&rel);
    crate::datadir::write_private(&path, bytes).map_err(|e| Error::io(format!("cannot store the attachment in {}", path.display()), e))?;
    let sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(bytes))
    };
    let queued = (|| {
        let media_id = store.insert_media(&NewMedia {
            account_id,
            path: Some(rel.clone()),
            file_name: name.clone(),
            mime: Some(mime.to_string()),
            size: Some(bytes.len() as i64),
            sha256: Some(sha),
            state: Some(MediaState::Downloaded),
            ..Default::default()
        })?;
        let content = OutgoingContent::Media {
            kind,
            source: MediaSource::Path(path.clone()),
            caption: caption.filter(|c| !c.trim().is_empty()),
            filename: name,
            mime: Some(mime.to_string()),
        };
        crate::outbox::queue_with_media(store, conversation_id, content, reply_to, Some(media_id))
    })();
    if queued.is_err() {
        let _ = std::fs::remove_file(&path);
    }
    queued
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_follow_the_mime_type() {
        assert_eq!(kind_for("image/png"), MessageKind::Image);
        assert_eq!(kind_for("video/mp4"), MessageKind::Video);
        assert_eq!(kind_for("audio/ogg; codecs=opus"), MessageKind::Audio);
        assert_eq!(kind_for("application/pdf"), MessageKind::Document);
        assert_eq!(kind_for(""), MessageKind::Document);
    }

    #[test]
    fn display_names_lose_their_folders() {
        assert_eq!(display_name("../../etc/passwd").as_deref(), Some("passwd"));
        assert_eq!(display_name("C:/x/report.pdf").as_deref(), Some("report.pdf"));
        assert_eq!(display_name("a\u{7}b.txt").as_deref(), Some("ab.txt"));
        assert_eq!(display_name(".."), None);
    }

    #[test]
    fn only_files_inside_media_are_served() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::open(tmp.path()).unwrap();
        std::fs::create_dir_all(dir.media_dir().join("1")).unwrap();
        std::fs::write(dir.media_dir().join("1/a.jpg"), b"x").unwrap();
        std::fs::write(tmp.path().join("secret.txt"), b"x").unwrap();
        assert!(inside_media(&dir, "media/1/a.jpg").is_ok());
        assert!(inside_media(&dir, "media/../secret.txt").is_err(), "no way out with ..");
        assert!(inside_media(&dir, "secret.txt").is_err());
        assert!(inside_media(&dir, "media/1").is_err(), "a folder is not a file");
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(tmp.path().join("secret.txt"), dir.media_dir().join("1/link.jpg")).unwrap();
            assert!(inside_media(&dir, "media/1/link.jpg").is_err(), "a link out of media/ is refused");
        }
    }
}
