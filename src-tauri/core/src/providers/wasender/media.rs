//! WASender media: uploading a local file for a send (`POST /upload`, which
//! answers a public URL), decrypting and downloading inbound media
//! (`POST /decrypt-media`, then the URL it gives), and fetching any URL
//! WASender hands out without the API key.

use super::client::WasenderClient;
use super::errors::Credential;
use super::mapping::{integer, string};
use crate::error::{Error, ErrorKind, ProviderError, Result};
use crate::providers::http::{self, provider_error, same_origin};
use crate::providers::MediaBytes;
use crate::store::media::MediaFile;
use serde_json::Value;
use std::path::Path;

/// The largest local file uploaded for a send.
const MAX_UPLOAD: u64 = 100 * http::upload::MB;

/// `publicUrl` of an upload or decrypt answer, at the top or under `data`.
fn public_url(answer: &Value) -> Option<String> {
    let data = answer.get("data");
    string(answer.get("publicUrl"))
        .or_else(|| string(data.and_then(|d| d.get("publicUrl"))))
        .or_else(|| string(data.and_then(|d| d.get("url"))))
        .or_else(|| string(answer.get("url")))
        .or_else(|| data.and_then(Value::as_str).map(str::to_string).filter(|s| s.starts_with("http")))
}

/// The media object inside a stored decrypt request
/// (`data.messages.message.<type>Message`).
fn media_object(fetch_info: &Value) -> Option<&Value> {
    fetch_info.pointer("/data/messages/message")?.as_object()?.values().find(|v| v.is_object())
}

fn too_big(n: u64, max_bytes: u64, what: &str) -> Error {
    provider_error(ErrorKind::Media, format!("the {what} is {n} bytes, over the limit of {max_bytes} bytes: not downloaded (raise the limit in the settings)"))
}

impl WasenderClient {
    /// Downloads a URL WASender handed out (decrypted media, a profile
    /// picture), without the API key, stopping past `max_bytes`. Only HTTPS
    /// URLs (or URLs on the configured base, for a local fake) are fetched.
    pub(super) async fn download(&self, url: &str, max_bytes: u64, what: &str) -> Result<(Vec<u8>, Option<String>)> {
        let https = url::Url::parse(url).map(|u| u.scheme() == "https").unwrap_or(false);
        if !https && !same_origin(url, self.base_url()) {
            return Err(provider_error(ErrorKind::Media, format!("WASender gave a {what} URL that is not HTTPS: not downloaded")));
        }
        let doing = format!("downloading the {what}");
        let resp = self.api.fetch(self.api.get(url), &doing).await?;
        let status = resp.status().as_u16();
        if !resp.status().is_success() {
            let kind = if status == 429 || status == 408 || status >= 500 { ErrorKind::Unavailable } else { ErrorKind::Media };
            return Err(Error::Provider(ProviderError {
                code: Some(status.to_string()),
                kind,
                message: format!("the {what} could not be downloaded (HTTP {status}); the link may have expired: try again"),
                retry_after: self.api.wait_from_headers(resp.headers()),
            }));
        }
        if let Some(n) = resp.content_length().filter(|n| *n > max_bytes) {
            return Err(too_big(n, max_bytes, what));
        }
        let mime = http::mime_of(&resp);
        let bytes = self
            .api
            .read_limited(resp, max_bytes, false, &doing)
            .await?
            .ok_or_else(|| provider_error(ErrorKind::Media, format!("the {what} is larger than the limit of {max_bytes} bytes: download stopped")))?;
        Ok((bytes, mime))
    }

    /// Uploads a local file (`POST /upload`, multipart `file`) and returns
    /// the public URL WASender gives for it.
    pub(super) async fn upload(&self, path: &Path, mime: Option<&str>) -> Result<String> {
        let too_big = |size: u64| {
            format!(
                "{} is {} MB; Wicket uploads files up to {} MB to WASender: send a smaller file",
                path.display(),
                http::upload::mb(size),
                MAX_UPLOAD / http::upload::MB
            )
        };
        let file = http::upload::read_file(path, MAX_UPLOAD, too_big, None, mime).await?;
        let timeout = http::transfer_timeout(self.api.total_timeout(), file.bytes.len() as u64);
        let form = reqwest::multipart::Form::new().part("file", file.into_part(&path.display().to_string())?);
        let answer = self.call(self.api.post(self.url("upload")).multipart(form).timeout(timeout), "uploading the media", Credential::ApiKey).await?;
        public_url(&answer).ok_or_else(|| provider_error(ErrorKind::Media, "WASender accepted the upload but returned no publicUrl: try again".into()))
    }

    /// Downloads inbound media: asks `POST /decrypt-media` (with the request
    /// body the webhook parser stored in `fetch_info`) for a public URL,
    /// then streams it, stopping past `max_bytes`. The caller checks the
    /// hash against `expected_sha256` (Baileys' `fileSha256`, base64).
    pub async fn download_media(&self, media: &MediaFile, max_bytes: u64) -> Result<MediaBytes> {
        let fetch_info = media
            .fetch_info
            .as_ref()
            .filter(|f| f.is_object())
            .ok_or_else(|| Error::Invalid(format!("media {} has no WASender decrypt request stored: it cannot be downloaded", media.id)))?;
        let described = media_object(fetch_info);
        let declared = media.size.map(|s| s.max(0) as u64).or_else(|| described.and_then(|m| integer(m.get("fileLength"))).map(|n| n.max(0) as u64));
        if let Some(n) = declared.filter(|n| *n > max_bytes) {
            return Err(too_big(n, max_bytes, "media"));
        }
        let answer =
            self.call(self.api.post(self.url("decrypt-media")).json(fetch_info), "decrypting the media", Credential::ApiKey).await.map_err(|e| match e {
                Error::Provider(mut pe) if pe.kind == ErrorKind::Unknown => {
                    pe.kind = ErrorKind::Media;
                    pe.message = format!("{}; WASender could not decrypt the media (it may have expired): ask the sender to send it again", pe.message);
                    Error::Provider(pe)
                }
                other => other,
            })?;
        let url = public_url(&answer)
            .ok_or_else(|| provider_error(ErrorKind::Media, "WASender decrypted the media but returned no publicUrl: try again later".into()))?;
        let (bytes, header_mime) = self.download(&url, max_bytes, "media").await?;
        let mime = media.mime.clone().or_else(|| described.and_then(|m| string(m.get("mimetype")))).or(header_mime);
        let expected_sha256 = described.and_then(|m| string(m.get("fileSha256"))).or_else(|| media.sha256.clone());
        Ok(MediaBytes { bytes, mime, expected_sha256 })
    }
}
