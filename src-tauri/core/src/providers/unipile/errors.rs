//! UniPile's problem-details errors (`{"type":"errors/<slug>","title",
//! "detail","status"}`), mapped to Wicket's [`ErrorKind`]s.
//!
//! The rule kept here: the decision is made on the `type` slug; the HTTP
//! status decides only when the slug is missing or unknown (401/403 → the
//! API key, 429 → rate limit, 5xx → unavailable). An account whose WhatsApp
//! session UniPile lost (`disconnected_account`, `invalid_credentials`,
//! `expired_credentials`) is [`ErrorKind::SessionDisconnected`]: the owner
//! reconnects it through hosted authentication, the API key is fine. The
//! slug is kept as the error's `code`; `Retry-After` is read by the client.

use crate::error::{ErrorKind, ProviderError};
use crate::secrets::REENTER_HINT;
use serde_json::Value;

/// What the owner does when UniPile lost the account's WhatsApp session.
pub const RECONNECT_HINT: &str = "reconnect the account (hosted authentication) from its settings or with `wicket account reconnect ID`";

/// Maps a failed UniPile response (any non-2xx) to a [`ProviderError`].
pub fn map_problem(http_status: u16, body: &[u8]) -> ProviderError {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let text = |k: &str| parsed.as_ref().and_then(|v| v.get(k)).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    let slug = text("type").map(|t| t.rsplit('/').next().unwrap_or(&t).to_string()).filter(|s| !s.is_empty());
    let detail = text("detail").or_else(|| text("title")).or_else(|| text("message"));
    let says = |fallback: &str| detail.clone().unwrap_or_else(|| fallback.to_string());
    use ErrorKind::*;
    let by_slug: Option<(ErrorKind, String)> = slug.as_deref().and_then(|s| {
        Some(match s {
            "disconnected_account" | "invalid_credentials" | "expired_credentials" | "disconnected_feature" | "invalid_authorization" => {
                (SessionDisconnected, format!("UniPile lost the connection to this WhatsApp account ({s}): {RECONNECT_HINT}"))
            }
            "missing_credentials" | "invalid_api_key" | "unauthorized" => {
                (Auth, format!("UniPile refused the API key ({s}): check the DSN and enter the API key again ({REENTER_HINT})"))
            }
            "insufficient_privileges" | "insufficient_permissions" | "forbidden" => {
                (Auth, format!("the UniPile API key may not do this ({s}: {}): use a key with access to this account", says("insufficient privileges")))
            }
            "expired_link" => (Unknown, "the hosted authentication link expired: create a new one".to_string()),
            "request_timeout" | "service_unavailable" | "provider_unavailable" | "unexpected_error" | "network_down" => {
                (Unavailable, format!("UniPile or WhatsApp did not answer in time ({s}): Wicket retries later"))
            }
            "too_many_requests" | "rate_limit" | "rate_limited" | "limit_exceeded" => (RateLimited, format!("UniPile rate limit ({s}): Wicket retries later")),
            "too_many_characters" => (Unknown, format!("the message is too long for WhatsApp ({s}): shorten it")),
            s if s.contains("recipient") || s.contains("unreachable") || s == "invalid_attendee" => {
                (InvalidRecipient, format!("WhatsApp can't deliver to this recipient ({s}: {}): check the number", says("invalid recipient")))
            }
            s if s.contains("file") || s.contains("attachment") || s.contains("media") => {
                (Media, format!("UniPile refused the attachment ({s}: {}): check the file", says("invalid attachment")))
            }
            _ => return None,
        })
    });
    let (kind, message) = by_slug.unwrap_or_else(|| {
        let what = match (&slug, &detail) {
            (Some(s), Some(d)) => format!("{s}: {d}"),
            (Some(s), None) => s.clone(),
            (None, Some(d)) => d.clone(),
            (None, None) => "no details".to_string(),
        };
        match http_status {
            401 | 403 => {
                (Auth, format!("UniPile refused the API key (HTTP {http_status}, {what}): check the DSN and enter the API key again ({REENTER_HINT})"))
            }
            429 => (RateLimited, format!("UniPile rate limit (HTTP 429, {what}): Wicket retries later")),
            500..=599 => (Unavailable, format!("UniPile is unavailable (HTTP {http_status}, {what}): Wicket retries later")),
            404 => (Unknown, format!("UniPile can't find it (HTTP 404, {what}): check the DSN and the account id")),
            _ => (Unknown, format!("UniPile refused the request (HTTP {http_status}, {what})")),
        }
    });
    ProviderError { code: slug, kind, message, retry_after: None }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn problem(slug: &str, status: u16) -> Vec<u8> {
        json!({"title": "T", "detail": "Some detail.", "instance": "/api/v1/x", "type": format!("errors/{slug}"), "status": status}).to_string().into_bytes()
    }

    #[test]
    fn slugs_decide() {
        for (slug, status, kind) in [
            ("disconnected_account", 401, ErrorKind::SessionDisconnected),
            ("invalid_credentials", 401, ErrorKind::SessionDisconnected),
            ("expired_credentials", 401, ErrorKind::SessionDisconnected),
            ("missing_credentials", 401, ErrorKind::Auth),
            ("insufficient_privileges", 403, ErrorKind::Auth),
            ("request_timeout", 504, ErrorKind::Unavailable),
            ("too_many_characters", 400, ErrorKind::Unknown),
            ("invalid_recipient", 422, ErrorKind::InvalidRecipient),
            ("file_too_large", 400, ErrorKind::Media),
            ("something_new", 429, ErrorKind::RateLimited),
            ("something_new", 502, ErrorKind::Unavailable),
            ("something_new", 401, ErrorKind::Auth),
            ("something_new", 400, ErrorKind::Unknown),
        ] {
            let pe = map_problem(status, &problem(slug, status));
            assert_eq!(pe.kind, kind, "{slug} at {status}");
            assert_eq!(pe.code.as_deref(), Some(slug), "the slug is kept as the code");
        }
    }

    #[test]
    fn disconnected_says_reconnect() {
        let pe = map_problem(401, &problem("disconnected_account", 401));
        assert!(pe.message.contains("reconnect the account (hosted authentication)"), "{}", pe.message);
    }

    #[test]
    fn unknown_slugs_quote_the_detail() {
        let pe = map_problem(400, &problem("something_new", 400));
        assert!(pe.message.contains("something_new: Some detail."), "{}", pe.message);
    }

    #[test]
    fn no_body_maps_by_status() {
        assert_eq!(map_problem(401, b"").kind, ErrorKind::Auth);
        assert_eq!(map_problem(403, b"<html>").kind, ErrorKind::Auth);
        assert_eq!(map_problem(429, b"").kind, ErrorKind::RateLimited);
        assert_eq!(map_problem(500, b"").kind, ErrorKind::Unavailable);
        let pe = map_problem(404, b"");
        assert_eq!(pe.kind, ErrorKind::Unknown);
        assert!(pe.code.is_none());
    }
}
