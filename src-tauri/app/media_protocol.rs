//! The `wicket-media:` URI scheme: how the window shows downloaded images,
//! stickers, audio and video under its strict CSP (`img-src`/`media-src`
//! allow this scheme and nothing remote). It serves three kinds of
//! address, all by id, never by path:
//!
//! - `wicket-media://localhost/{media_id}`: a message's file;
//! - `wicket-media://localhost/contact/{contact_id}`: a cached profile picture;
//! - `wicket-media://localhost/quick-reply/{quick_reply_id}`: a quick reply's
//!   file, fetched by the composer to attach it (bytes as bytes, not base64).
//!
//! The core resolves an id to a file and refuses anything outside `media/`
//! (`wicket_core::media`). Responses carry `nosniff` and a CSP of their own,
//! so a file is only ever displayed, never run. Ranges are answered; audio
//! and video are fetched by the window and played from a blob (WebKitGTK's
//! media player does not take a custom scheme as a source).

use crate::state::AppState;
use tauri::http::{header, Request, Response, StatusCode};
use tauri::{Manager, Runtime};
use wicket_core::media::{self, LocalFile};

pub const SCHEME: &str = "wicket-media";

pub fn register<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder.register_asynchronous_uri_scheme_protocol(SCHEME, |ctx, request, responder| {
        let app = ctx.app_handle().clone();
        // Reading a file may take a moment: off the main thread.
        std::thread::spawn(move || {
            let response = match app.try_state::<AppState>() {
                Some(state) => respond(&state, &request),
                None => plain(StatusCode::SERVICE_UNAVAILABLE, "Wicket is starting"),
            };
            responder.respond(response);
        });
    })
}

fn plain(status: StatusCode, text: &str) -> Response<Vec<u8>> {
    Response::builder().status(status).header(header::CONTENT_TYPE, "text/plain").body(text.as_bytes().to_vec()).unwrap_or_default()
}

/// What the path names: a media id or a contact's picture.
fn resolve(state: &AppState, path: &str) -> wicket_core::Result<LocalFile> {
    let bad = || wicket_core::Error::Invalid(format!("{path} is not a media address"));
    // The window builds addresses with `convertFileSrc`, which escapes the slash.
    let path = path.trim_start_matches('/').replace("%2F", "/").replace("%2f", "/");
    let store = state.store().map_err(|e| wicket_core::Error::Internal(e.message))?;
    match path.as_str().split_once('/') {
        Some(("contact", id)) => media::contact_picture(&store, &state.dir, id.parse().map_err(|_| bad())?),
        Some(("quick-reply", id)) => media::quick_reply_file(&store, &state.dir, id.parse().map_err(|_| bad())?),
        None => media::local_file(&store, &state.dir, path.parse().map_err(|_| bad())?),
        Some(_) => Err(bad()),
    }
}

/// Only display types are served with their own type; everything else is an
/// opaque download the window never renders (documents open in their app).
fn content_type(file: &LocalFile, bytes: &[u8]) -> String {
    let mime = file.mime.clone().unwrap_or_default().to_ascii_lowercase();
    let shown = ["image/jpeg", "image/png", "image/webp", "image/gif", "video/mp4", "video/webm", "video/3gpp", "audio/"];
    if shown.iter().any(|t| mime.starts_with(t)) {
        return mime;
    }
    // Cached profile pictures carry no type: sniff the common image formats.
    match bytes {
        [0xFF, 0xD8, 0xFF, ..] => "image/jpeg".into(),
        [0x89, b'P', b'N', b'G', ..] => "image/png".into(),
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => "image/webp".into(),
        _ => "application/octet-stream".into(),
    }
}

/// `Range: bytes=a-b` (one range), clamped to `len`.
fn range(request: &Request<Vec<u8>>, len: u64) -> Option<(u64, u64)> {
    let spec = request.headers().get(header::RANGE)?.to_str().ok()?.strip_prefix("bytes=")?;
    let (a, b) = spec.split_once('-')?;
    let (start, end) = match (a.trim(), b.trim()) {
        ("", n) => (len.saturating_sub(n.parse().ok()?), len.checked_sub(1)?),
        (a, "") => (a.parse().ok()?, len.checked_sub(1)?),
        (a, b) => (a.parse().ok()?, b.parse::<u64>().ok()?.min(len.checked_sub(1)?)),
    };
    (start <= end && end < len).then_some((start, end))
}

pub fn respond(state: &AppState, request: &Request<Vec<u8>>) -> Response<Vec<u8>> {
    let file = match resolve(state, request.uri().path()) {
        Ok(f) => f,
        Err(e @ wicket_core::Error::NotFound(_)) => return plain(StatusCode::NOT_FOUND, &e.to_string()),
        Err(e) => return plain(StatusCode::FORBIDDEN, &e.to_string()),
    };
    let bytes = match std::fs::read(&file.path) {
        Ok(b) => b,
        Err(e) => return plain(StatusCode::NOT_FOUND, &format!("cannot read the file: {e}")),
    };
    let len = bytes.len() as u64;
    let builder = Response::builder()
        .header(header::CONTENT_TYPE, content_type(&file, &bytes))
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(header::CONTENT_SECURITY_POLICY, "default-src 'none'; sandbox")
        .header(header::ACCEPT_RANGES, "bytes")
        // The window (another origin) reads audio and video bytes with fetch
        // to play them from a blob: only the window can reach this scheme.
        .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")
        .header(header::CACHE_CONTROL, "private, max-age=3600");
    let response = match range(request, len) {
        Some((start, end)) => builder
            .status(StatusCode::PARTIAL_CONTENT)
            .header(header::CONTENT_RANGE, format!("bytes {start}-{end}/{len}"))
            .body(bytes[start as usize..=end as usize].to_vec()),
        None => builder.status(StatusCode::OK).body(bytes),
    };
    response.unwrap_or_else(|_| plain(StatusCode::INTERNAL_SERVER_ERROR, "could not answer"))
}
