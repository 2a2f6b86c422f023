//! The HTTP layer every provider uses.
//!
//! [`HttpClient`] (`client`) is the one client Meta, WASender and UniPile
//! talk through: timeouts, the credential, scrubbing secrets (`scrub`, one
//! rule), transport error wording, body size limits, the provider's wait
//! (`wait`, capped at [`MAX_RETRY_AFTER`]) and the send rule (a send whose
//! request may have left is never a plain failure). Each provider gives it
//! a [`Profile`] and its [`ErrorHooks`]. `upload` reads local files for
//! upload. The free functions here are the pieces it is built of, also used
//! where no provider account is involved (the tunnel's self-check).

mod client;
pub mod scrub;
#[cfg(test)]
mod tests;
pub mod upload;
pub mod wait;

pub use client::{Auth, ErrorHooks, HttpClient, Profile, Wording};
pub use wait::{cap_retry_after, retry_after, RetryAfterRule, MAX_RETRY_AFTER};

use crate::error::{Error, Result};
use std::time::Duration;

pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
pub const TOTAL_TIMEOUT: Duration = Duration::from_secs(60);

pub fn client() -> Result<reqwest::Client> {
    client_with(CONNECT_TIMEOUT, TOTAL_TIMEOUT)
}

/// A client with other timeouts (tests use short ones).
pub fn client_with(connect: Duration, total: Duration) -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .connect_timeout(connect)
        .timeout(total)
        .user_agent(concat!("Wicket/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| Error::Internal(format!("cannot build the HTTP client: {e}")))
}

/// The slowest link a media transfer is given time for: 128 KiB/s.
const SLOWEST_BYTES_PER_SECOND: u64 = 128 * 1024;

/// The total timeout of a media upload or download of `bytes`: the usual
/// one plus the time the slowest link we support needs for the file, so a
/// large video on a slow line is not cut off, while a hung provider still is.
pub fn transfer_timeout(total: Duration, bytes: u64) -> Duration {
    total + Duration::from_secs(bytes / SLOWEST_BYTES_PER_SECOND)
}

/// A duration as people read it in an error: "300 ms", "60 s".
pub fn seconds(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{} s", d.as_secs())
    }
}

/// Reads a response body up to `max` bytes, streaming, so a provider can
/// never make Wicket hold more: `None` when it is longer, unless
/// `truncate`, which keeps the first `max` bytes.
pub async fn read_limited(mut resp: reqwest::Response, max: u64, truncate: bool) -> std::result::Result<Option<Vec<u8>>, reqwest::Error> {
    let mut buf: Vec<u8> = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        if buf.len() as u64 + chunk.len() as u64 > max {
            if truncate {
                let room = (max as usize).saturating_sub(buf.len());
                buf.extend_from_slice(&chunk[..room.min(chunk.len())]);
                return Ok(Some(buf));
            }
            return Ok(None);
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(Some(buf))
}

/// Whether a send that failed with `e` may still have reached the provider.
/// Only a failure to connect (or to build the request) proves it did not:
/// a reset, a timeout or a cut-off answer after the request was written
/// may come after the provider acted on it.
pub fn may_have_reached(e: &reqwest::Error) -> bool {
    !(e.is_connect() || e.is_builder())
}

/// What a transport error during a send means for the message: `Ok(why)`
/// when the request may have reached `service` (its outcome is open),
/// `Err(e)` back when it never left (a connect or build error: safe to retry).
pub fn open_send_outcome(e: reqwest::Error, service: &str, total_timeout: Duration) -> std::result::Result<String, reqwest::Error> {
    if !may_have_reached(&e) {
        return Err(e);
    }
    Ok(if e.is_timeout() {
        format!("{service} did not answer the send within {}", seconds(total_timeout))
    } else {
        format!("the connection to {service} broke during the send ({})", e.without_url())
    })
}

/// Whether an HTTP answer to a send leaves its outcome open: a gateway that
/// timed out waiting for the server behind it (504) may have passed it on.
pub fn answer_leaves_outcome_open(status: u16) -> bool {
    status == 504
}

/// The error of a send whose outcome cannot be known (`why` says what
/// happened): the message may have been sent and must not be sent again
/// without checking.
pub fn outcome_unknown(why: String) -> Error {
    Error::Provider(crate::error::ProviderError {
        code: None,
        kind: crate::error::ErrorKind::OutcomeUnknown,
        message: format!("{why}: the message may have been sent. Check the chat on the phone before sending it again"),
        retry_after: None,
    })
}

/// A provider error without a provider code (ours: size, format, ...).
pub fn provider_error(kind: crate::error::ErrorKind, message: String) -> Error {
    Error::Provider(crate::error::ProviderError { code: None, kind, message, retry_after: None })
}

/// Whether two URLs share scheme, host and port (a local fake's own URLs
/// may be fetched over plain HTTP; anything else must be HTTPS).
pub fn same_origin(a: &str, b: &str) -> bool {
    match (url::Url::parse(a), url::Url::parse(b)) {
        (Ok(a), Ok(b)) => a.scheme() == b.scheme() && a.host_str() == b.host_str() && a.port_or_known_default() == b.port_or_known_default(),
        _ => false,
    }
}

/// The response's media type without parameters (`image/jpeg`), if any.
pub fn mime_of(resp: &reqwest::Response) -> Option<String> {
    resp.headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or(v).trim().to_string())
        .filter(|m| !m.is_empty())
}

#[cfg(test)]
mod helper_tests {
    use super::*;

    #[test]
    fn durations_and_origins() {
        assert_eq!(seconds(Duration::from_millis(300)), "300 ms");
        assert_eq!(seconds(Duration::from_secs(60)), "60 s");
        assert!(same_origin("http://127.0.0.1:9/a", "http://127.0.0.1:9/b"));
        assert!(!same_origin("http://127.0.0.1:9/a", "http://127.0.0.1:10/a"));
    }
}

#[cfg(test)]
mod transfer_tests {
    use super::*;

    #[test]
    fn large_transfers_get_time_for_a_slow_link() {
        assert_eq!(transfer_timeout(TOTAL_TIMEOUT, 0), TOTAL_TIMEOUT);
        assert_eq!(transfer_timeout(TOTAL_TIMEOUT, 100 * 1024 * 1024), TOTAL_TIMEOUT + Duration::from_secs(800));
    }
}
