//! Settings → Opening hours and automatic replies: the weekly hours, the
//! holidays and the away and greeting messages, applied at once. Thin: the
//! core reads, checks and stores them (`wicket_core::away`), the same
//! settings `wicket settings set opening_hours ...` writes; the engine sends.

use crate::dto::CommandError;
use crate::state::AppState;
use serde::{Deserialize, Serialize};
use tauri::State;
use ts_rs::TS;
use wicket_core::away::hours::{hhmm, Status, DAYS};
use wicket_core::away::{self, Settings, Texts};

type Res<T> = Result<T, CommandError>;

/// The commands of this file (their fixtures are recorded by `away_tests.rs`).
#[cfg(test)]
pub const AWAY_COMMANDS: &[&str] = &["get_auto_replies", "set_auto_replies"];

/// One opening range, "HH:MM" local times (`to` may be "24:00").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct HoursRangeDto {
    pub from: String,
    pub to: String,
}

/// One weekday's opening ranges; none: closed that day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct DayHoursDto {
    /// `mon` … `sun`.
    pub day: String,
    pub ranges: Vec<HoursRangeDto>,
}

/// The automatic replies' settings and whether the business is open now.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct AutoRepliesDto {
    /// Seven days, Monday first.
    pub days: Vec<DayHoursDto>,
    /// No opening hours set: open around the clock (only holidays close).
    pub around_the_clock: bool,
    /// The hours as `wicket settings set opening_hours` takes them.
    pub opening_hours: String,
    /// `YYYY-MM-DD`, sorted.
    pub holidays: Vec<String>,
    /// Empty: off.
    pub away_message: String,
    /// Empty: off.
    pub greeting_message: String,
    /// The time zone the hours are in (IANA name).
    pub time_zone: String,
    /// It is the system's (no `time_zone` setting).
    pub time_zone_is_system: bool,
    pub open_now: bool,
    /// Closed now: since and until when (Unix ms), where known.
    pub closed_since: Option<i64>,
    pub closed_until: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct SetAutoRepliesArgs {
    pub days: Vec<DayHoursDto>,
    pub holidays: Vec<String>,
    pub away_message: String,
    pub greeting_message: String,
}

impl AutoRepliesDto {
    fn new(s: &Settings, now: i64) -> AutoRepliesDto {
        let days = DAYS
            .iter()
            .enumerate()
            .map(|(i, day)| DayHoursDto {
                day: day.to_string(),
                ranges: s.calendar.week.as_ref().map_or(vec![], |w| w.days[i].iter().map(|r| HoursRangeDto { from: hhmm(r.from), to: hhmm(r.to) }).collect()),
            })
            .collect();
        let (open_now, closed_since, closed_until) = match s.calendar.status_at(now) {
            Status::Open => (true, None, None),
            Status::Closed { since, until } => (false, since, until),
        };
        AutoRepliesDto {
            days,
            around_the_clock: s.calendar.week.is_none(),
            opening_hours: s.opening_hours_text(),
            holidays: s.calendar.holidays.iter().map(|d| d.to_string()).collect(),
            away_message: s.away_message.clone(),
            greeting_message: s.greeting_message.clone(),
            time_zone: s.time_zone.clone().or_else(|| s.calendar.tz.iana_name().map(str::to_string)).unwrap_or_else(|| "the system's".into()),
            time_zone_is_system: s.time_zone.is_none(),
            open_now,
            closed_since,
            closed_until,
        }
    }
}

/// The settings as they are.
#[tauri::command]
pub async fn get_auto_replies(state: State<'_, AppState>) -> Res<AutoRepliesDto> {
    let store = state.store()?;
    Ok(AutoRepliesDto::new(&Settings::load(&store)?, wicket_core::time::now_ms()))
}

/// Checks and stores them all (nothing when one is wrong); the engine's next pass uses them.
#[tauri::command]
pub async fn set_auto_replies(state: State<'_, AppState>, args: SetAutoRepliesArgs) -> Res<AutoRepliesDto> {
    // The rows as the core reads opening hours: "mon 09:00-17:30; sat 10:00-14:00".
    let opening_hours = args
        .days
        .iter()
        .filter(|d| !d.ranges.is_empty())
        .map(|d| format!("{} {}", d.day, d.ranges.iter().map(|r| format!("{}-{}", r.from, r.to)).collect::<Vec<_>>().join(",")))
        .collect::<Vec<_>>()
        .join("; ");
    let texts = Texts { opening_hours, holidays: args.holidays.join(","), away_message: args.away_message, greeting_message: args.greeting_message };
    let mut store = state.store()?;
    let saved = away::save(&mut store, &texts)?;
    Ok(AutoRepliesDto::new(&saved, wicket_core::time::now_ms()))
}
