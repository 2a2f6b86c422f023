//! UniPile attachments: reading a local file or downloading a linked one
//! (without the API key) to attach to a send, and downloading an inbound
//! attachment.

use super::client::UnipileClient;
use super::mapping::string;
use crate::error::{Error, ErrorKind, Result};
use crate::providers::http::{self, provider_error, upload::Upload, upload::MB};
use crate::providers::MediaBytes;
use crate::store::media::MediaFile;
use std::path::Path;

/// The largest attachment Wicket sends (WhatsApp's document limit).
const MAX_UPLOAD: u64 = 100 * MB;

impl UnipileClient {
    /// Downloads linked media to attach it (no API key goes to that host).
    pub(super) async fn download_link(&self, link: &str, filename: Option<&str>, mime: Option<&str>) -> Result<Upload> {
        let parsed = url::Url::parse(link.trim())
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .ok_or_else(|| Error::Invalid(format!("{link:?} is not an http(s) link: attach the file instead")))?;
        let what = "downloading the linked media";
        let media_error = |m: String| provider_error(ErrorKind::Media, m);
        let resp = self.http.fetch(self.http.get(parsed.clone()), what).await?;
        if !resp.status().is_success() {
            return Err(media_error(format!("the media link answered HTTP {}: check the link or attach the file", resp.status().as_u16())));
        }
        if resp.content_length().is_some_and(|n| n > MAX_UPLOAD) {
            return Err(media_error(format!("the linked media is over {} MB: send a smaller file", MAX_UPLOAD / MB)));
        }
        let header_mime = http::mime_of(&resp);
        let bytes = self
            .http
            .read_limited(resp, MAX_UPLOAD, false, what)
            .await?
            .ok_or_else(|| media_error(format!("the linked media is over {} MB: send a smaller file", MAX_UPLOAD / MB)))?;
        let file_name = filename
            .map(str::to_string)
            .filter(|f| !f.trim().is_empty())
            .or_else(|| parsed.path_segments().and_then(|mut s| s.next_back().map(str::to_string)).filter(|s| !s.is_empty()))
            .unwrap_or_else(|| "file".into());
        let mime = mime
            .map(str::to_string)
            .filter(|m| !m.trim().is_empty())
            .or(header_mime)
            .unwrap_or_else(|| mime_guess::from_path(&file_name).first_or_octet_stream().essence_str().to_string());
        Ok(Upload { bytes, file_name, mime })
    }

    /// Downloads an attachment (`fetch_info` = message and attachment ids),
    /// streamed and stopped once more than `max_bytes` arrive. UniPile
    /// gives no hash.
    pub async fn download_media(&self, media: &MediaFile, max_bytes: u64) -> Result<MediaBytes> {
        let info = media.fetch_info.as_ref();
        let message_id = info.and_then(|i| string(i.get("message_id")));
        let attachment_id = info.and_then(|i| string(i.get("attachment_id"))).or_else(|| media.provider_media_id.clone());
        let (Some(message_id), Some(attachment_id)) = (message_id, attachment_id) else {
            return Err(Error::Invalid(format!("media {} has no UniPile message and attachment id: it can't be downloaded", media.id)));
        };
        let too_big = |n: u64| {
            provider_error(
                ErrorKind::Media,
                format!("the attachment is {n} bytes, over the limit of {max_bytes} bytes: not downloaded (raise the limit in the settings)"),
            )
        };
        if let Some(n) = media.size.and_then(|s| u64::try_from(s).ok()).filter(|n| *n > max_bytes) {
            return Err(too_big(n));
        }
        let what = "downloading the attachment";
        let url = self.url(&["messages", &message_id, "attachments", &attachment_id]);
        let resp = self.execute(self.http.get(url), false, what).await.map_err(|e| match e {
            Error::Provider(mut pe) if pe.kind == ErrorKind::Unknown => {
                pe.kind = ErrorKind::Media;
                pe.message = format!("{}; the attachment may no longer be available on the phone", pe.message);
                Error::Provider(pe)
            }
            other => other,
        })?;
        if let Some(n) = resp.content_length().filter(|n| *n > max_bytes) {
            return Err(too_big(n));
        }
        let header_mime = http::mime_of(&resp).filter(|m| m != "application/octet-stream");
        let bytes = self
            .http
            .read_limited(resp, max_bytes, false, what)
            .await?
            .ok_or_else(|| provider_error(ErrorKind::Media, format!("the attachment is larger than the limit of {max_bytes} bytes: download stopped")))?;
        Ok(MediaBytes { bytes, mime: media.mime.clone().or(header_mime), expected_sha256: None })
    }
}

/// Reads a local file to attach, refusing files over the upload limit.
pub(super) async fn read_upload(path: &Path, filename: Option<&str>, mime: Option<&str>) -> Result<Upload> {
    let too_big =
        |size: u64| format!("{} is {} MB; WhatsApp accepts files up to {} MB: send a smaller file", path.display(), http::upload::mb(size), MAX_UPLOAD / MB);
    http::upload::read_file(path, MAX_UPLOAD, too_big, filename, mime).await
}
