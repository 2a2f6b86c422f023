//! WASender errors, mapped to Wicket's [`ErrorKind`]s.
//!
//! WASender has no error codes: a failure is an HTTP status plus
//! `{"success":false,"message":"…"}` (Laravel-style 422s add
//! `errors: {field: [..]}`, 429s add `retry_after`). So the decision is made
//! on the status first and on WASender's wording second, in this order: 429
//! is [`ErrorKind::RateLimited`]; a message about a disconnected session
//! (whatever the status) is [`ErrorKind::SessionDisconnected`]; 401/403 or
//! an API-key message is [`ErrorKind::Auth`]; a message or a `to` field
//! error about the number is [`ErrorKind::InvalidRecipient`]; 408 and 5xx are
//! [`ErrorKind::Unavailable`]; the rest is [`ErrorKind::Unknown`] quoting
//! WASender. `code` keeps the HTTP status as a string (WASender's only code).
//! Every message says what to do. The client scrubs secrets from the result
//! and reads the wait (`providers::http::wait`), which it passes in.

use crate::error::{ErrorKind, ProviderError};
use crate::secrets::REENTER_HINT;
use serde_json::Value;

/// Which secret authenticated the refused request: the messages differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    /// The session's API key (messaging, contacts, status, media).
    ApiKey,
    /// The account-level personal access token (`/whatsapp-sessions`).
    PersonalAccessToken,
}

/// The fields of an error body that say how long to wait.
pub const RETRY_AFTER_FIELDS: &[&str] = &["retry_after", "retryAfter"];

/// The longest quote of WASender's own message put into an error.
const MAX_QUOTE: usize = 300;

/// What a WASender error body says.
#[derive(Debug, Default)]
struct ErrorBody {
    message: Option<String>,
    /// `field: message` lines of a validation error.
    fields: Vec<(String, String)>,
    retry_after: Option<u64>,
}

fn parse_body(body: &[u8]) -> ErrorBody {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return ErrorBody::default();
    };
    let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    let message = text("message").or_else(|| text("error")).or_else(|| text("msg")).or_else(|| {
        // `{"error": {"message": …}}`
        v.get("error").and_then(|e| e.get("message")).and_then(Value::as_str).map(str::to_string)
    });
    let mut fields = Vec::new();
    match v.get("errors") {
        Some(Value::Object(map)) => {
            for (field, msgs) in map {
                match msgs {
                    Value::Array(list) => {
                        for m in list.iter().filter_map(Value::as_str) {
                            fields.push((field.clone(), m.to_string()));
                        }
                    }
                    Value::String(m) => fields.push((field.clone(), m.clone())),
                    _ => {}
                }
            }
        }
        Some(Value::Array(list)) => {
            for m in list.iter().filter_map(Value::as_str) {
                fields.push((String::new(), m.to_string()));
            }
        }
        _ => {}
    }
    // The shared rule: a number or numeric string, capped like `Retry-After`.
    let retry_after = crate::providers::http::wait::retry_after_field(&v, RETRY_AFTER_FIELDS);
    ErrorBody { message, fields, retry_after }
}

fn quote(s: &str) -> String {
    let s = s.trim();
    if s.chars().count() <= MAX_QUOTE {
        return s.to_string();
    }
    let cut: String = s.chars().take(MAX_QUOTE).collect();
    format!("{cut}…")
}

fn contains_any(haystack: &str, needles: &[&str]) -> bool {
    needles.iter().any(|n| haystack.contains(n))
}

/// Whether WASender's wording says the WhatsApp session is not connected.
fn says_disconnected(text: &str) -> bool {
    contains_any(
        text,
        &[
            "not connected",
            "disconnected",
            "need_scan",
            "need scan",
            "needs to be scanned",
            "scan the qr",
            "logged out",
            "logged_out",
            "session expired",
            "session has expired",
            "session is not active",
            "no active session",
            "session is not ready",
        ],
    )
}

/// Whether WASender's wording says the number can't get WhatsApp messages.
fn says_invalid_recipient(text: &str) -> bool {
    contains_any(
        text,
        &[
            "not on whatsapp",
            "not registered",
            "not a whatsapp",
            "not exist on whatsapp",
            "number does not exist",
            "number doesn't exist",
            "invalid phone",
            "invalid number",
            "invalid recipient",
            "invalid jid",
            "invalid whatsapp",
            "valid phone number",
            "recipient is invalid",
        ],
    )
}

fn says_bad_key(text: &str) -> bool {
    contains_any(text, &["api key", "api_key", "unauthenticated", "unauthorized", "invalid token", "access token"])
}

/// Maps a refused WASender request (non-2xx, or `success: false`) to a
/// [`ProviderError`]. `header_retry_after` is what `Retry-After` (or the
/// rate-limit reset header) said; a `retry_after` in the body wins.
pub fn map_error(http_status: u16, body: &[u8], header_retry_after: Option<u64>, credential: Credential) -> ProviderError {
    let parsed = parse_body(body);
    let header_retry_after = header_retry_after.map(crate::providers::http::cap_retry_after);
    let said = parsed.message.as_deref().map(quote);
    let field_text: Vec<String> = parsed.fields.iter().map(|(f, m)| if f.is_empty() { m.clone() } else { format!("{f}: {m}") }).collect();
    let all_text = format!("{} {}", said.as_deref().unwrap_or(""), field_text.join(" ")).to_lowercase();
    let says = |fallback: &str| match &said {
        Some(m) => format!("WASender says \"{m}\""),
        None => fallback.to_string(),
    };
    let status_label = if http_status == 200 { "in a successful answer".to_string() } else { format!("HTTP {http_status}") };
    let recipient_field = parsed.fields.iter().any(|(f, _)| matches!(f.as_str(), "to" | "phone" | "jid" | "number"));

    let (kind, message) = if http_status == 429 || (http_status != 200 && contains_any(&all_text, &["rate limit", "too many requests"])) {
        let wait = match parsed.retry_after.or(header_retry_after) {
            Some(s) => format!("Wicket retries in {s} s"),
            None => "Wicket retries later".to_string(),
        };
        (ErrorKind::RateLimited, format!("WASender rate limit ({}): {wait}", says("too many requests")))
    } else if says_disconnected(&all_text) {
        (ErrorKind::SessionDisconnected, format!("the WhatsApp session is disconnected: scan the QR code again in WASender ({})", says(&status_label)))
    } else if matches!(http_status, 401 | 403) || (http_status != 422 && !says_invalid_recipient(&all_text) && says_bad_key(&all_text)) {
        let what = match credential {
            Credential::ApiKey => format!(
                "the WASender API key is missing or wrong: {}; copy the session's API key from the WASender dashboard and {REENTER_HINT}",
                says(&status_label)
            ),
            Credential::PersonalAccessToken => format!(
                "the WASender personal access token is missing or wrong: {}; create one in the WASender dashboard and {REENTER_HINT}",
                says(&status_label)
            ),
        };
        (ErrorKind::Auth, what)
    } else if says_invalid_recipient(&all_text) || (http_status == 422 && recipient_field) {
        let detail = if field_text.is_empty() { says("invalid number") } else { quote(&field_text.join("; ")) };
        (ErrorKind::InvalidRecipient, format!("the recipient can't receive WhatsApp messages ({detail}): check the number and its country code"))
    } else if http_status == 408 || (500..600).contains(&http_status) {
        (ErrorKind::Unavailable, format!("WASender is unavailable (HTTP {http_status}; {}): Wicket retries later", says("no details")))
    } else if http_status == 422 {
        let detail = if field_text.is_empty() { says("no details") } else { quote(&field_text.join("; ")) };
        (ErrorKind::Unknown, format!("WASender refused the request as invalid (HTTP 422): {detail}"))
    } else {
        (ErrorKind::Unknown, format!("WASender refused the request ({status_label}): {}", says("no details")))
    };
    let retry_after = match kind {
        ErrorKind::RateLimited | ErrorKind::Unavailable => parsed.retry_after.or(header_retry_after),
        _ => None,
    };
    let code = (http_status != 200).then(|| http_status.to_string());
    ProviderError { code, kind, message, retry_after }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(v: Value) -> Vec<u8> {
        v.to_string().into_bytes()
    }

    #[test]
    fn missing_key_is_auth_and_says_what_to_do() {
        let pe = map_error(401, &body(json!({"success": false, "message": "API key is required"})), None, Credential::ApiKey);
        assert_eq!(pe.kind, ErrorKind::Auth);
        assert_eq!(pe.code.as_deref(), Some("401"));
        assert!(pe.message.starts_with("the WASender API key is missing or wrong: WASender says \"API key is required\""), "{}", pe.message);
        let pat = map_error(401, b"", None, Credential::PersonalAccessToken);
        assert!(pat.message.starts_with("the WASender personal access token is missing or wrong"), "{}", pat.message);
    }

    #[test]
    fn rate_limit_keeps_retry_after_from_body_or_header() {
        let fixture = json!({"message": "You are on a free trial. You can only send 1 message every 1 minute.", "retry_after": 60});
        let pe = map_error(429, &body(fixture), Some(5), Credential::ApiKey);
        assert_eq!((pe.kind, pe.retry_after), (ErrorKind::RateLimited, Some(60)), "the body wins over the header");
        assert!(pe.message.contains("Wicket retries in 60 s"), "{}", pe.message);
        let header_only = map_error(429, b"Too Many Requests", Some(7), Credential::ApiKey);
        assert_eq!((header_only.kind, header_only.retry_after), (ErrorKind::RateLimited, Some(7)));
        assert!(header_only.kind.is_retryable());
        let absurd = map_error(429, &body(json!({"message": "slow down", "retry_after": 1e300})), None, Credential::ApiKey);
        assert_eq!(absurd.retry_after, Some(3600), "an absurd body value is capped at an hour");
        assert!(absurd.message.contains("Wicket retries in 3600 s"), "{}", absurd.message);
    }

    #[test]
    fn wording_decides_recipient_and_session_errors() {
        for (status, msg, kind) in [
            (400, "The number is not on WhatsApp", ErrorKind::InvalidRecipient),
            (400, "Invalid phone number", ErrorKind::InvalidRecipient),
            (400, "Session is not connected. Please scan the QR code.", ErrorKind::SessionDisconnected),
            (503, "WhatsApp session disconnected", ErrorKind::SessionDisconnected),
            (200, "Session status: NEED_SCAN", ErrorKind::SessionDisconnected),
            (400, "Something odd", ErrorKind::Unknown),
            (403, "Forbidden", ErrorKind::Auth),
        ] {
            let pe = map_error(status, &body(json!({"success": false, "message": msg})), None, Credential::ApiKey);
            assert_eq!(pe.kind, kind, "{status} {msg:?}: {}", pe.message);
        }
    }

    #[test]
    fn status_only_errors_follow_the_retry_policy() {
        assert_eq!(map_error(500, b"<html>", None, Credential::ApiKey).kind, ErrorKind::Unavailable);
        assert_eq!(map_error(502, b"", None, Credential::ApiKey).kind, ErrorKind::Unavailable);
        assert_eq!(map_error(408, b"", None, Credential::ApiKey).kind, ErrorKind::Unavailable);
        let nf = map_error(404, b"", None, Credential::ApiKey);
        assert_eq!((nf.kind, nf.code.as_deref()), (ErrorKind::Unknown, Some("404")));
    }

    #[test]
    fn validation_errors_list_the_fields() {
        let v = json!({"message": "The given data was invalid.", "errors": {"text": ["The text field is required."]}});
        let pe = map_error(422, &body(v), None, Credential::ApiKey);
        assert_eq!(pe.kind, ErrorKind::Unknown);
        assert_eq!(pe.message, "WASender refused the request as invalid (HTTP 422): text: The text field is required.");
        let to = json!({"message": "The given data was invalid.", "errors": {"to": ["The to format is invalid."]}});
        assert_eq!(map_error(422, &body(to), None, Credential::ApiKey).kind, ErrorKind::InvalidRecipient, "a bad `to` is the recipient");
    }

    #[test]
    fn long_messages_are_cut() {
        let long = "x".repeat(1000);
        let pe = map_error(400, &body(json!({"message": long})), None, Credential::ApiKey);
        assert!(pe.message.len() < 400, "{}", pe.message.len());
    }
}
