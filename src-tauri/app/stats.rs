//! The statistics view: the same figures as `wicket stats` (`wicket_core::stats`)
//! for the last N days, all accounts or one.

use crate::dto::CommandError;
use crate::state::AppState;
use serde::{Deserialize, Serialize};
use tauri::State;
use ts_rs::TS;
use wicket_core::stats::{Stats, StatsQuery};
use wicket_core::Error;

#[derive(Debug, Clone, Deserialize, TS)]
pub struct StatsArgs {
    /// null: every account.
    pub account_id: Option<i64>,
    /// The last N days (1–400).
    pub days: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct FailureCountDto {
    pub code: Option<String>,
    pub kind: Option<String>,
    pub message: Option<String>,
    pub count: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct DayCountDto {
    /// `YYYY-MM-DD`, the owner's time zone.
    pub day: String,
    pub received: i64,
    pub sent: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct WebhookCountsDto {
    pub accepted: i64,
    pub duplicate: i64,
    pub rejected: i64,
    pub failed: i64,
}

/// `wicket_core::stats::Stats`.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct StatsDto {
    pub account_id: Option<i64>,
    pub since: String,
    pub until: String,
    pub time_zone: String,
    pub received: i64,
    pub sent: i64,
    pub delivered: i64,
    pub read: i64,
    pub failed: i64,
    pub pending: i64,
    pub delivery_rate: Option<f64>,
    pub read_rate: Option<f64>,
    pub failures: Vec<FailureCountDto>,
    pub median_first_reply_seconds: Option<i64>,
    pub replies_measured: i64,
    pub webhooks: WebhookCountsDto,
    pub rate_limit_waits: i64,
    pub queue_depth: i64,
    pub per_day: Vec<DayCountDto>,
    pub received_by_hour: Vec<i64>,
}

impl From<Stats> for StatsDto {
    fn from(s: Stats) -> StatsDto {
        StatsDto {
            account_id: s.account_id,
            since: s.since,
            until: s.until,
            time_zone: s.time_zone,
            received: s.received,
            sent: s.sent,
            delivered: s.delivered,
            read: s.read,
            failed: s.failed,
            pending: s.pending,
            delivery_rate: s.delivery_rate,
            read_rate: s.read_rate,
            failures: s.failures.into_iter().map(|f| FailureCountDto { code: f.code, kind: f.kind, message: f.message, count: f.count }).collect(),
            median_first_reply_seconds: s.median_first_reply_seconds,
            replies_measured: s.replies_measured,
            webhooks: WebhookCountsDto {
                accepted: s.webhooks.accepted,
                duplicate: s.webhooks.duplicate,
                rejected: s.webhooks.rejected,
                failed: s.webhooks.failed,
            },
            rate_limit_waits: s.rate_limit_waits,
            queue_depth: s.queue_depth,
            per_day: s.per_day.into_iter().map(|d| DayCountDto { day: d.day, received: d.received, sent: d.sent }).collect(),
            received_by_hour: s.received_by_hour,
        }
    }
}

#[tauri::command]
pub fn get_stats(state: State<'_, AppState>, args: StatsArgs) -> Result<StatsDto, CommandError> {
    if !(1..=400).contains(&args.days) {
        return Err(Error::Invalid(format!("{} days: choose from 1 to 400", args.days)).into());
    }
    let until = wicket_core::time::now_ms() + 1;
    let since = until - i64::from(args.days) * 86_400_000;
    let store = state.store()?;
    Ok(wicket_core::stats::compute(&store, StatsQuery { account_id: args.account_id, since, until })?.into())
}
