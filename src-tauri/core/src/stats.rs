//! Statistics over a time window, for `wicket stats`, `wicket monitor
//! --hours N` and the window's statistics view: messages received and sent
//! (and how far the sent ones got), delivery and read rates, failures by
//! error, the median time to the owner's first reply, webhook requests
//! (accepted, duplicate, rejected, failed: hourly counters), rate-limit
//! waits, the queue, and messages per day and per hour of the day in the
//! owner's time zone.
//!
//! Counted: customer messages and the owner's (from Wicket, automatic or
//! from the phone), never notices or the app's imported history. Outgoing
//! figures count the messages sent from Wicket (origin `app` or
//! `automatic`); a reply from the phone still ends a customer's wait.

use crate::error::Result;
use crate::model::{Direction, MessageStatus};
use crate::store::hourly;
use crate::store::Store;
use crate::time::to_rfc3339;
use serde::Serialize;
use std::collections::BTreeMap;

/// The window and the account the figures are about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatsQuery {
    /// None: every account.
    pub account_id: Option<i64>,
    /// Unix ms, inclusive.
    pub since: i64,
    /// Unix ms, exclusive.
    pub until: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct WebhookCounts {
    pub accepted: i64,
    /// The same body again (providers retry): answered, changed nothing.
    pub duplicate: i64,
    /// Refused for a bad signature (never stored).
    pub rejected: i64,
    /// Signed but unreadable (kept raw for a later replay).
    pub failed: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailureCount {
    pub code: Option<String>,
    pub kind: Option<String>,
    /// The latest message of this error.
    pub message: Option<String>,
    pub count: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DayCount {
    /// `YYYY-MM-DD` in the owner's time zone.
    pub day: String,
    pub received: i64,
    /// Messages out from Wicket that day (also those that failed or wait).
    pub sent: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stats {
    pub account_id: Option<i64>,
    pub since: String,
    pub until: String,
    pub time_zone: String,
    /// Customer messages.
    pub received: i64,
    /// Messages sent from Wicket that the provider accepted (then perhaps
    /// delivered and read); `failed` did not go, `pending` are still on their way.
    pub sent: i64,
    pub delivered: i64,
    pub read: i64,
    pub failed: i64,
    pub pending: i64,
    /// delivered / sent, read / sent (None when nothing was sent).
    pub delivery_rate: Option<f64>,
    pub read_rate: Option<f64>,
    pub failures: Vec<FailureCount>,
    /// From a customer's first unanswered message to the owner's next message.
    pub median_first_reply_seconds: Option<i64>,
    pub replies_measured: i64,
    pub webhooks: WebhookCounts,
    /// Messages our own rate limits held back for a while.
    pub rate_limit_waits: i64,
    /// Waiting to be sent now (whatever the window).
    pub queue_depth: i64,
    /// Every day of the window, oldest first.
    pub per_day: Vec<DayCount>,
    /// Customer messages per hour of the day (0–23, owner's time).
    pub received_by_hour: Vec<i64>,
}

/// Figures for `q`, read from the store.
pub fn compute(store: &Store, q: StatsQuery) -> Result<Stats> {
    let tz = crate::scheduled::owner_time_zone(store)?;
    let local = |ms: i64| jiff::Timestamp::from_millisecond(ms).map(|t| t.to_zoned(tz.clone())).ok();
    let mut days: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    // Every day of the window appears, also the quiet ones (a chart's gaps).
    if let (Some(first), Some(last)) = (local(q.since), local(q.until.saturating_sub(1))) {
        let mut d = first.date();
        while d <= last.date() && days.len() < 3660 {
            days.insert(d.to_string(), (0, 0));
            match d.tomorrow() {
                Ok(next) => d = next,
                Err(_) => break,
            }
        }
    }
    let mut s = Stats {
        account_id: q.account_id,
        since: to_rfc3339(q.since),
        until: to_rfc3339(q.until),
        time_zone: tz.iana_name().unwrap_or("system").to_string(),
        received: 0,
        sent: 0,
        delivered: 0,
        read: 0,
        failed: 0,
        pending: 0,
        delivery_rate: None,
        read_rate: None,
        failures: store.failures_between(q.account_id, q.since, q.until)?,
        median_first_reply_seconds: None,
        replies_measured: 0,
        webhooks: WebhookCounts::default(),
        rate_limit_waits: 0,
        queue_depth: store.queue_depth(q.account_id)?,
        per_day: vec![],
        received_by_hour: vec![0; 24],
    };
    let mut waits_ms = vec![];
    // (conversation, since when the customer waits)
    let mut waiting: Option<(i64, i64)> = None;
    for row in store.messages_for_stats(q.account_id, q.since, q.until)? {
        if waiting.is_some_and(|(c, _)| c != row.conversation_id) {
            waiting = None;
        }
        let zoned = local(row.timestamp);
        let day = zoned.as_ref().map(|z| z.date().to_string());
        match row.direction {
            Direction::In => {
                s.received += 1;
                if let Some(z) = &zoned {
                    s.received_by_hour[z.hour().clamp(0, 23) as usize] += 1;
                }
                if let Some(d) = day.and_then(|d| days.get_mut(&d)) {
                    d.0 += 1;
                }
                if waiting.is_none() {
                    waiting = Some((row.conversation_id, row.timestamp));
                }
            }
            Direction::Out => {
                if let Some((_, since)) = waiting.take() {
                    if row.origin.as_deref() != Some("automatic") {
                        waits_ms.push(row.timestamp - since);
                    } else {
                        waiting = Some((row.conversation_id, since));
                    }
                }
                if row.origin.as_deref() == Some("phone") {
                    continue;
                }
                match row.status {
                    MessageStatus::Sent => s.sent += 1,
                    MessageStatus::Delivered => (s.sent, s.delivered) = (s.sent + 1, s.delivered + 1),
                    MessageStatus::Read | MessageStatus::Played => (s.sent, s.delivered, s.read) = (s.sent + 1, s.delivered + 1, s.read + 1),
                    MessageStatus::Failed => s.failed += 1,
                    _ => s.pending += 1,
                }
                if let Some(d) = day.and_then(|d| days.get_mut(&d)) {
                    d.1 += 1;
                }
            }
        }
    }
    if s.sent > 0 {
        s.delivery_rate = Some(round3(s.delivered as f64 / s.sent as f64));
        s.read_rate = Some(round3(s.read as f64 / s.sent as f64));
    }
    s.replies_measured = waits_ms.len() as i64;
    s.median_first_reply_seconds = median(&mut waits_ms).map(|ms| ms / 1000);
    s.per_day = days.into_iter().map(|(day, (received, sent))| DayCount { day, received, sent }).collect();
    s.webhooks = WebhookCounts {
        accepted: store.hourly_sum(hourly::WEBHOOK_ACCEPTED, q.account_id, q.since)?,
        duplicate: store.hourly_sum(hourly::WEBHOOK_DUPLICATE, q.account_id, q.since)?,
        // A refused request names no account it could be trusted for: counted for all.
        rejected: store.hourly_sum(hourly::WEBHOOK_REJECTED, None, q.since)?,
        failed: store.hourly_sum(hourly::WEBHOOK_FAILED, q.account_id, q.since)?,
    };
    s.rate_limit_waits = store.hourly_sum(hourly::RATELIMIT_WAITS, q.account_id, q.since)?;
    Ok(s)
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// The median (the lower middle for an even count).
fn median(v: &mut [i64]) -> Option<i64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    Some(v[(v.len() - 1) / 2])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_is_the_lower_middle() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [5]), Some(5));
        assert_eq!(median(&mut [9, 1, 5]), Some(5));
        assert_eq!(median(&mut [4, 1, 3, 2]), Some(2));
    }
}
