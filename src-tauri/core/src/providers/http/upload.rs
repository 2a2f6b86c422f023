//! Reading a local file to upload: the size is checked against the
//! provider's limit before a byte is read (so a 2 GB video is refused at
//! once, not after filling memory), then the file name and MIME type are
//! settled the same way for every provider.

use crate::error::{Error, ErrorKind, Result};
use std::path::Path;

pub const MB: u64 = 1024 * 1024;

/// A local file read for upload.
#[derive(Debug)]
pub struct Upload {
    pub bytes: Vec<u8>,
    pub file_name: String,
    pub mime: String,
}

impl Upload {
    /// The multipart part of this file; `for_what` names it in the error a
    /// bad MIME type gives ("the attachment", a path).
    pub fn into_part(self, for_what: &str) -> Result<reqwest::multipart::Part> {
        let mime = self.mime;
        reqwest::multipart::Part::bytes(self.bytes)
            .file_name(self.file_name)
            .mime_str(&mime)
            .map_err(|_| Error::Invalid(format!("invalid MIME type {mime:?} for {for_what}")))
    }
}

/// Reads `path` for upload. Over `limit` bytes it is refused with a
/// [`ErrorKind::Media`] error whose message `too_big(size)` words (each
/// provider says whose limit it is). The file name is `filename` when it is
/// not blank, else the path's; the MIME type is `mime` when given, else
/// guessed from the path.
pub async fn read_file(path: &Path, limit: u64, too_big: impl FnOnce(u64) -> String, filename: Option<&str>, mime: Option<&str>) -> Result<Upload> {
    let meta = tokio::fs::metadata(path).await.map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
    if meta.len() > limit {
        return Err(super::provider_error(ErrorKind::Media, too_big(meta.len())));
    }
    let bytes = tokio::fs::read(path).await.map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
    let file_name = filename
        .map(str::to_string)
        .filter(|f| !f.trim().is_empty())
        .or_else(|| path.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "file".into());
    let mime = match mime.map(str::trim).filter(|m| !m.is_empty()) {
        Some(m) => m.to_string(),
        None => mime_guess::from_path(path).first_or_octet_stream().essence_str().to_string(),
    };
    Ok(Upload { bytes, file_name, mime })
}

/// A size in MB with one decimal, as upload errors show it.
pub fn mb(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / MB as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn files_are_checked_before_they_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("photo.jpg");
        std::fs::write(&path, vec![7u8; 2048]).unwrap();
        let up = read_file(&path, 4096, |_| unreachable!(), None, None).await.unwrap();
        assert_eq!((up.bytes.len(), up.file_name.as_str(), up.mime.as_str()), (2048, "photo.jpg", "image/jpeg"));
        let named = read_file(&path, 4096, |_| unreachable!(), Some("  "), Some(" image/png ")).await.unwrap();
        assert_eq!((named.file_name.as_str(), named.mime.as_str()), ("photo.jpg", "image/png"), "a blank name keeps the path's");
        let err = read_file(&path, 1024, |n| format!("{n} bytes is too much"), None, None).await.unwrap_err();
        let pe = err.provider_error().expect("a provider error");
        assert_eq!((pe.kind, pe.message.as_str()), (ErrorKind::Media, "2048 bytes is too much"));
        let missing = read_file(&dir.path().join("gone.jpg"), 1024, |_| unreachable!(), None, None).await.unwrap_err();
        assert!(missing.to_string().contains("gone.jpg"), "{missing}");
        assert!(read_file(&path, 4096, |_| unreachable!(), None, Some("not a mime")).await.unwrap().into_part("the file").is_err());
    }
}
