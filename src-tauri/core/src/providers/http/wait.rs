//! How long a provider asks Wicket to wait before trying again: the
//! `Retry-After` header (seconds or an HTTP date), WASender's
//! `X-RateLimit-Reset` (seconds, or a Unix time), and a gateway's
//! `retry_after` field in a JSON error body.
//!
//! The rule kept here: every wait is capped at [`MAX_RETRY_AFTER`] where it
//! is parsed, whatever its source, so no provider can stall an account for
//! days or overflow `Instant + Duration` later on. Which sources a provider
//! has is its [`RetryAfterRule`]; what the engine does with the wait is the
//! engine's business (`engine/wait.rs`).

use serde_json::Value;

/// The longest wait a provider may ask for (`Retry-After`, a gateway's
/// `retry_after`): one hour. Anything longer is a provider bug or hostile,
/// and taken literally it would stall an account for days or overflow
/// `Instant + Duration`; a capped wait is simply tried again.
pub const MAX_RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(3600);

/// A provider's wait in seconds, capped at [`MAX_RETRY_AFTER`].
pub fn cap_retry_after(secs: u64) -> u64 {
    secs.min(MAX_RETRY_AFTER.as_secs())
}

fn header<'a>(headers: &'a reqwest::header::HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty())
}

/// `Retry-After` in seconds (delta-seconds or an HTTP date), capped at
/// [`MAX_RETRY_AFTER`].
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<u64> {
    let v = header(headers, reqwest::header::RETRY_AFTER.as_str())?;
    if let Ok(secs) = v.parse::<u64>() {
        return Some(cap_retry_after(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    Some(cap_retry_after((at.timestamp() - chrono::Utc::now().timestamp()).max(0) as u64))
}

/// `X-RateLimit-Reset` in seconds, capped: WASender documents it both as
/// seconds until the reset and as the Unix time of the reset, so a value
/// more than a few seconds ahead of now is read as a time.
pub fn rate_limit_reset(headers: &reqwest::header::HeaderMap) -> Option<u64> {
    let reset = header(headers, "x-ratelimit-reset")?.parse::<i64>().ok()?;
    let now = chrono::Utc::now().timestamp();
    let secs = if reset > now + 5 { (reset - now) as u64 } else { reset.max(0) as u64 };
    Some(cap_retry_after(secs))
}

/// The first of `fields` in a JSON body that holds a wait in seconds (a
/// number, or a number in a string; fractions round up), capped.
pub fn retry_after_field(body: &Value, fields: &[&str]) -> Option<u64> {
    let secs = fields.iter().find_map(|k| match body.get(*k)? {
        Value::Number(n) => n.as_u64().or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f.ceil() as u64)),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|f| *f >= 0.0).map(|f| f.ceil() as u64),
        _ => None,
    })?;
    // Capped like `Retry-After`: an absurd body value never stalls an account.
    Some(cap_retry_after(secs))
}

/// Where one provider says how long to wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfterRule {
    /// JSON fields of an error body holding the wait; a body value wins over
    /// the headers (it is the more specific answer).
    pub body_fields: &'static [&'static str],
    /// Whether `X-RateLimit-Reset` counts when `Retry-After` is absent.
    pub rate_limit_reset: bool,
}

impl RetryAfterRule {
    /// `Retry-After` only (Meta, UniPile).
    pub const HEADER: RetryAfterRule = RetryAfterRule { body_fields: &[], rate_limit_reset: false };

    /// The wait the headers give, capped.
    pub fn from_headers(&self, headers: &reqwest::header::HeaderMap) -> Option<u64> {
        retry_after(headers).or_else(|| if self.rate_limit_reset { rate_limit_reset(headers) } else { None })
    }

    /// The wait a JSON error body gives, capped; `None` for any other body.
    pub fn from_body(&self, body: &[u8]) -> Option<u64> {
        if self.body_fields.is_empty() {
            return None;
        }
        let v: Value = serde_json::from_slice(body).ok()?;
        retry_after_field(&v, self.body_fields)
    }

    /// The wait of a refused request: the body's, else the headers'.
    pub fn wait(&self, headers: &reqwest::header::HeaderMap, body: &[u8]) -> Option<u64> {
        self.from_body(body).or_else(|| self.from_headers(headers))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};
    use serde_json::json;

    const GATEWAY: RetryAfterRule = RetryAfterRule { body_fields: &["retry_after", "retryAfter"], rate_limit_reset: true };

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn retry_after_takes_seconds_or_a_date_capped() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&h), Some(7));
        h.insert(RETRY_AFTER, HeaderValue::from_static("Thu, 01 Jan 1970 00:00:00 GMT"));
        assert_eq!(retry_after(&h), Some(0), "a date in the past means now");
        h.insert(RETRY_AFTER, HeaderValue::from_static("18446744073709551615"));
        assert_eq!(retry_after(&h), Some(3600), "an absurd wait is capped at an hour");
        h.insert(RETRY_AFTER, HeaderValue::from_static("Fri, 31 Dec 9999 23:59:59 GMT"));
        assert_eq!(retry_after(&h), Some(3600), "so is a date far ahead");
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h), None, "an unreadable header is no wait");
    }

    #[test]
    fn rate_limit_reset_is_seconds_or_a_unix_time_capped() {
        assert_eq!(rate_limit_reset(&headers(&[("x-ratelimit-reset", "30")])), Some(30));
        let soon = (chrono::Utc::now().timestamp() + 40).to_string();
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-reset", HeaderValue::from_str(&soon).unwrap());
        let secs = rate_limit_reset(&h).unwrap();
        assert!((38..=40).contains(&secs), "a Unix time is read as the time left: {secs}");
        let far = (chrono::Utc::now().timestamp() + 86_400 * 30).to_string();
        h.insert("x-ratelimit-reset", HeaderValue::from_str(&far).unwrap());
        assert_eq!(rate_limit_reset(&h), Some(3600), "capped");
        assert_eq!(rate_limit_reset(&headers(&[("x-ratelimit-reset", "-5")])), Some(0));
    }

    #[test]
    fn body_fields_take_numbers_and_strings_capped() {
        let f = &["retry_after", "retryAfter"];
        assert_eq!(retry_after_field(&json!({"retry_after": 60}), f), Some(60));
        assert_eq!(retry_after_field(&json!({"retryAfter": "2.5"}), f), Some(3), "fractions round up");
        assert_eq!(retry_after_field(&json!({"retry_after": 1.2}), f), Some(2));
        assert_eq!(retry_after_field(&json!({"retry_after": 1e300}), f), Some(3600), "an absurd body value is capped");
        assert_eq!(retry_after_field(&json!({"retry_after": -1}), f), None, "a negative wait is no wait");
        assert_eq!(retry_after_field(&json!({"retry_after": "NaN"}), f), None);
        assert_eq!(retry_after_field(&json!({"wait": 5}), f), None, "only the named fields count");
    }

    #[test]
    fn gateway_rule_prefers_the_body_then_retry_after_then_the_reset() {
        let both = headers(&[("retry-after", "7"), ("x-ratelimit-reset", "30")]);
        assert_eq!(GATEWAY.wait(&both, br#"{"message":"slow down","retry_after":60}"#), Some(60), "the body wins");
        assert_eq!(GATEWAY.wait(&both, b"Too Many Requests"), Some(7), "then Retry-After");
        assert_eq!(GATEWAY.wait(&headers(&[("x-ratelimit-reset", "30")]), b""), Some(30), "then the reset header");
        assert_eq!(GATEWAY.wait(&headers(&[("retry-after", "later"), ("x-ratelimit-reset", "30")]), b""), Some(30), "an unreadable Retry-After falls through");
        assert_eq!(GATEWAY.wait(&HeaderMap::new(), br#"{"retry_after": 99999999}"#), Some(3600), "capped from the body too");
    }

    #[test]
    fn header_rule_ignores_bodies_and_the_reset() {
        let h = headers(&[("x-ratelimit-reset", "30")]);
        assert_eq!(RetryAfterRule::HEADER.wait(&h, br#"{"retry_after": 60}"#), None);
        assert_eq!(RetryAfterRule::HEADER.wait(&headers(&[("retry-after", "9")]), br#"{"retry_after": 60}"#), Some(9));
    }
}
