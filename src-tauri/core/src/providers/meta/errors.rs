//! Graph API errors, mapped to Wicket's [`ErrorKind`]s.
//!
//! Owns one rule: the decision is made on the Graph body's `error.code` (and
//! `error_subcode` for auth), never on the HTTP status or the message text.
//! The status only matters when the body carries no recognisable Graph error
//! (or an unknown code): then any 429 is [`ErrorKind::RateLimited`] and any
//! 5xx [`ErrorKind::Unavailable`], both retryable. The same table serves
//! synchronous errors ([`map_graph_error`]) and the `errors[]` of failed
//! status webhooks ([`map_status_error`]). Every message says what to do;
//! `code` keeps Meta's own code as a string. `Retry-After` is read by the
//! client, which owns the headers.

use crate::error::{ErrorKind, ProviderError};
use crate::secrets::REENTER_HINT;
use serde_json::Value;

/// Maps a failed Graph response (any non-2xx) to a [`ProviderError`].
pub fn map_graph_error(http_status: u16, body: &[u8]) -> ProviderError {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let graph = parsed.as_ref().and_then(|v| v.get("error")).and_then(GraphError::from_value);
    match graph {
        Some(g) => {
            let mut pe = map_code(&g);
            if pe.kind == ErrorKind::Unknown {
                // An unknown code still follows the retry policy of its status.
                if http_status == 429 {
                    pe.kind = ErrorKind::RateLimited;
                    pe.message = format!("{}: Meta is rate limiting (HTTP 429), Wicket retries later", pe.message);
                } else if (500..600).contains(&http_status) {
                    pe.kind = ErrorKind::Unavailable;
                    pe.message = format!("{}: Meta had a server error (HTTP {http_status}), Wicket retries later", pe.message);
                }
            }
            pe
        }
        None => status_only(http_status),
    }
}

/// Maps the `errors` array of a failed status webhook (or a single error
/// object) with the same table. `None` when there is no error in it.
pub fn map_status_error(errors: &Value) -> Option<ProviderError> {
    let first = match errors {
        Value::Array(items) => items.first()?,
        Value::Object(_) => errors,
        _ => return None,
    };
    GraphError::from_value(first).map(|g| map_code(&g))
}

/// The fields of a Graph error object that the mapping uses.
#[derive(Debug, Clone, PartialEq)]
struct GraphError {
    code: i64,
    subcode: Option<i64>,
    /// Meta's message (or title), with a leading "(#code) " removed.
    message: Option<String>,
    details: Option<String>,
}

impl GraphError {
    fn from_value(v: &Value) -> Option<GraphError> {
        let code = as_i64(v.get("code")?)?;
        let subcode = v.get("error_subcode").and_then(as_i64);
        let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty());
        let message = text("message").or_else(|| text("title")).map(|m| strip_code_prefix(m).to_string());
        let details = v.get("error_data").and_then(|d| d.get("details")).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        Some(GraphError { code, subcode, message, details })
    }
}

/// Codes arrive as numbers; tolerate strings.
fn as_i64(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

fn strip_code_prefix(m: &str) -> &str {
    match (m.starts_with("(#"), m.find(") ")) {
        (true, Some(end)) => &m[end + 2..],
        _ => m,
    }
}

fn status_only(http_status: u16) -> ProviderError {
    let (kind, message) = match http_status {
        429 => (ErrorKind::RateLimited, "Meta rate limit (HTTP 429): Wicket retries later".to_string()),
        500..=599 => (ErrorKind::Unavailable, format!("Meta's Graph API is unavailable (HTTP {http_status}): Wicket retries later")),
        _ => (ErrorKind::Unknown, format!("Meta answered HTTP {http_status} without a Graph error body: check the base URL and API version of the account")),
    };
    ProviderError { code: None, kind, message, retry_after: None }
}

/// Meta's own wording, or a fallback, for messages that quote it.
fn meta_says(g: &GraphError, fallback: &str) -> String {
    g.message.clone().unwrap_or_else(|| fallback.to_string())
}

fn map_code(g: &GraphError) -> ProviderError {
    use ErrorKind::*;
    let c = g.code;
    let (kind, headline): (ErrorKind, String) = match c {
        4 | 80007 | 130429 | 131056 => {
            let what = match c {
                4 => "app API call limit reached",
                80007 => "business account rate limit reached",
                130429 => "throughput limit reached",
                _ => "pair rate limit hit",
            };
            (RateLimited, format!("Meta rate limit ({c}: {what}): Wicket retries later"))
        }
        1 | 2 | 131000 | 131016 | 131057 => {
            let what = match c {
                131057 => "business account in maintenance",
                131016 => "service unavailable",
                2 => "service temporarily unavailable",
                _ => "unknown error on Meta's side",
            };
            (Unavailable, format!("Meta is unavailable ({c}: {what}): Wicket retries later"))
        }
        131047 => (OutsideWindow, "outside the 24-hour customer-service window: send an approved template".into()),
        131026 => (InvalidRecipient, "the recipient can't receive WhatsApp messages (not on WhatsApp, old app, or blocked)".into()),
        131030 => (InvalidRecipient, "the recipient is not in the allowed list of this test number: add it in the Meta app dashboard".into()),
        131021 => (InvalidRecipient, "the recipient is this business number itself: send to another number".into()),
        190 => {
            let what = match g.subcode {
                Some(467) => "the access token is invalid",
                _ => "the access token expired or was revoked",
            };
            (Auth, format!("{what}: enter a new token ({REENTER_HINT})"))
        }
        0 => (Auth, format!("Meta refused the access token: enter a new token ({REENTER_HINT})")),
        10 | 200..=299 => (
            Auth,
            format!(
                "the access token lacks a permission ({c}: {}): give it whatsapp_business_messaging and whatsapp_business_management",
                meta_says(g, "permission denied")
            ),
        ),
        100 if g.subcode == Some(33) => {
            (Auth, "Meta can't find this object or the token can't access it (100/33): check the phone number id and business account id of the account".into())
        }
        131031 => (Auth, "the business account is locked by Meta: see the WhatsApp Manager".into()),
        132000 => (Template, "the number of template parameters doesn't match the template (132000): check the parameters".into()),
        132001 => (Template, "the template doesn't exist or isn't approved in this language (132001): sync the templates (`wicket templates --sync`)".into()),
        132005 => (Template, "the template text is too long once filled in (132005): shorten the parameters".into()),
        132007 => (Template, "the filled-in template breaks Meta's policy (132007): change the parameters".into()),
        132012 => (Template, "a template parameter has the wrong format (132012): check the parameters".into()),
        132015 => (Template, "the template is paused for low quality (132015): pick another template".into()),
        132016 => (Template, "the template is disabled (132016): pick another template".into()),
        c if (132000..=132999).contains(&c) => (Template, format!("Meta refused the template ({c}: {})", meta_says(g, "template error"))),
        131053 => (Media, "Meta could not use the media (131053: unreachable link, unsupported type or too big): check the file".into()),
        131052 => (Media, "the media can't be downloaded from Meta (131052): ask the sender to send it again".into()),
        131048 => (Unknown, "Meta stopped the send for spam rate limits (131048): stop bulk sends for now".into()),
        131049 => (Unknown, "Meta did not deliver this marketing message to keep the user's experience (131049): don't resend it right away".into()),
        131042 => (Unknown, "a payment problem blocks sending (131042): fix the payment method in the WhatsApp Manager".into()),
        368 => (Unknown, "the account is temporarily blocked for a policy violation (368): see the WhatsApp Manager".into()),
        131051 => (Unknown, "unsupported message type (131051)".into()),
        _ => (Unknown, format!("Meta refused the request ({c}: {})", meta_says(g, "no message"))),
    };
    let message = match &g.details {
        Some(d) if !headline.contains(d.as_str()) => format!("{headline}. Details: {d}"),
        _ => headline,
    };
    ProviderError { code: Some(c.to_string()), kind, message, retry_after: None }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(code: i64, extra: Value) -> Vec<u8> {
        let mut e = json!({"message": format!("(#{code}) something"), "type": "OAuthException", "code": code});
        if let (Some(obj), Value::Object(more)) = (e.as_object_mut(), extra) {
            obj.extend(more);
        }
        json!({ "error": e }).to_string().into_bytes()
    }

    #[test]
    fn decides_on_the_code_not_the_status() {
        for (code, kind) in [
            (4, ErrorKind::RateLimited),
            (80007, ErrorKind::RateLimited),
            (130429, ErrorKind::RateLimited),
            (131056, ErrorKind::RateLimited),
            (131057, ErrorKind::Unavailable),
            (1, ErrorKind::Unavailable),
            (2, ErrorKind::Unavailable),
            (131000, ErrorKind::Unavailable),
            (131016, ErrorKind::Unavailable),
            (131047, ErrorKind::OutsideWindow),
            (131026, ErrorKind::InvalidRecipient),
            (190, ErrorKind::Auth),
            (0, ErrorKind::Auth),
            (10, ErrorKind::Auth),
            (200, ErrorKind::Auth),
            (299, ErrorKind::Auth),
            (132000, ErrorKind::Template),
            (132001, ErrorKind::Template),
            (132012, ErrorKind::Template),
            (132015, ErrorKind::Template),
            (132016, ErrorKind::Template),
            (131053, ErrorKind::Media),
            (100, ErrorKind::Unknown),
            (999_999, ErrorKind::Unknown),
        ] {
            for status in [400, 403] {
                let pe = map_graph_error(status, &body(code, json!({})));
                assert_eq!(pe.kind, kind, "code {code} at HTTP {status}");
                assert_eq!(pe.code.as_deref(), Some(code.to_string().as_str()), "the provider's code is kept");
            }
        }
    }

    #[test]
    fn rate_limit_message_names_code_and_action() {
        let pe = map_graph_error(400, &body(131056, json!({})));
        assert!(pe.message.starts_with("Meta rate limit (131056: pair rate limit hit): Wicket retries later"), "{}", pe.message);
        assert!(pe.kind.is_retryable());
    }

    #[test]
    fn details_are_included() {
        let pe = map_graph_error(400, &body(131047, json!({"error_data": {"details": "more than 24 hours"}})));
        assert_eq!(pe.message, "outside the 24-hour customer-service window: send an approved template. Details: more than 24 hours");
    }

    #[test]
    fn auth_subcodes_and_wrong_id() {
        let expired = map_graph_error(401, &body(190, json!({"error_subcode": 463})));
        assert!(expired.message.starts_with("the access token expired or was revoked: enter a new token"), "{}", expired.message);
        let invalid = map_graph_error(401, &body(190, json!({"error_subcode": 467})));
        assert!(invalid.message.starts_with("the access token is invalid"), "{}", invalid.message);
        let wrong_id = map_graph_error(400, &body(100, json!({"error_subcode": 33})));
        assert_eq!(wrong_id.kind, ErrorKind::Auth);
        assert!(wrong_id.message.contains("check the phone number id"), "{}", wrong_id.message);
    }

    #[test]
    fn status_only_errors_follow_the_retry_policy() {
        assert_eq!(map_graph_error(500, b"<html>oops</html>").kind, ErrorKind::Unavailable);
        assert_eq!(map_graph_error(503, b"").kind, ErrorKind::Unavailable);
        assert_eq!(map_graph_error(429, b"slow down").kind, ErrorKind::RateLimited);
        let pe = map_graph_error(404, b"not found");
        assert_eq!(pe.kind, ErrorKind::Unknown);
        assert!(pe.code.is_none());
        assert_eq!(map_graph_error(429, &body(999_999, json!({}))).kind, ErrorKind::RateLimited, "unknown code at 429");
        assert_eq!(map_graph_error(502, &body(999_999, json!({}))).kind, ErrorKind::Unavailable, "unknown code at 5xx");
        assert_eq!(map_graph_error(503, &body(131047, json!({}))).kind, ErrorKind::OutsideWindow, "a known code wins");
    }

    #[test]
    fn status_webhook_errors_use_the_same_table() {
        let errors = json!([{"code": 131047, "title": "Re-engagement message", "message": "Re-engagement message",
                              "error_data": {"details": "24 hours passed"}}]);
        let pe = map_status_error(&errors).unwrap();
        assert_eq!(pe.kind, ErrorKind::OutsideWindow);
        assert_eq!(pe.code.as_deref(), Some("131047"));
        assert!(pe.message.ends_with("Details: 24 hours passed"));
        assert_eq!(map_status_error(&json!([{"code": "131026"}])).unwrap().kind, ErrorKind::InvalidRecipient);
        assert!(map_status_error(&json!([])).is_none());
        assert!(map_status_error(&Value::Null).is_none());
        assert_eq!(map_status_error(&json!({"code": 131053})).unwrap().kind, ErrorKind::Media);
    }

    #[test]
    fn unknown_codes_quote_meta_without_the_prefix() {
        let pe = map_graph_error(400, &body(12345, json!({})));
        assert_eq!(pe.message, "Meta refused the request (12345: something)");
    }
}
