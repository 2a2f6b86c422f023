//! Time in the store is Unix milliseconds (cheap to index and compare); time
//! at the edges (JSON, CSV, the UI) is RFC 3339 UTC with a `Z`.

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// RFC 3339 UTC with `Z`, millisecond precision when there is a fraction.
pub fn to_rfc3339(ms: i64) -> String {
    match Utc.timestamp_millis_opt(ms).single() {
        Some(t) => t.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        None => Utc.timestamp_millis_opt(0).unwrap().to_rfc3339_opts(SecondsFormat::Secs, true),
    }
}

pub fn opt_rfc3339(ms: Option<i64>) -> Option<String> {
    ms.map(to_rfc3339)
}

/// Parses RFC 3339 (any offset) back to milliseconds.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.timestamp_millis())
}

/// Provider timestamps in Unix seconds, given as a number or a string. One
/// too large to be a time in milliseconds is no timestamp (found by
/// tests/fuzz_webhooks.rs: it overflowed).
pub fn unix_seconds_to_ms(v: &serde_json::Value) -> Option<i64> {
    let seconds = match v {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    };
    seconds?.checked_mul(1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trip_uses_z() {
        let s = to_rfc3339(1_700_000_000_123);
        assert_eq!(s, "2023-11-14T22:13:20.123Z");
        assert_eq!(parse_rfc3339(&s), Some(1_700_000_000_123));
        assert_eq!(to_rfc3339(1_700_000_000_000), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn unix_seconds_accept_string_or_number() {
        assert_eq!(unix_seconds_to_ms(&serde_json::json!("1700000000")), Some(1_700_000_000_000));
        assert_eq!(unix_seconds_to_ms(&serde_json::json!(1700000000)), Some(1_700_000_000_000));
        assert_eq!(unix_seconds_to_ms(&serde_json::json!("x")), None);
        assert_eq!(unix_seconds_to_ms(&serde_json::json!(i64::MAX)), None, "no overflow");
        assert_eq!(unix_seconds_to_ms(&serde_json::json!(i64::MIN.to_string())), None);
    }
}
