//! Opening hours and holidays, and the closed periods they make.
//!
//! The owner writes opening hours as `mon-fri 09:00-17:30; sat 10:00-14:00`:
//! groups separated by `;`, each a day, a range of days (`mon-fri`, `sat-mon`
//! wraps) or a list (`mon,wed`), then one or more `HH:MM-HH:MM` ranges
//! separated by commas, or `closed`. A range ends by midnight (`24:00`); a day
//! not named is closed. No opening hours at all means open around the clock
//! (only holidays close). Holidays are whole days, `YYYY-MM-DD` separated by
//! commas.
//!
//! A closed period runs from a closing time (or the start of a holiday) to
//! the next opening time. Local times are turned into instants in the owner's
//! time zone day by day, so a clock change moves them the way the owner's
//! wall clock does (a time the change skips moves on by the gap).

use crate::error::{Error, Result};
use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// Short day names, Monday first (the index of [`Week::days`]).
pub const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// How far a closed period is looked for on either side of an instant: a
/// longer one (holidays for more than a year) is reported without that end.
const SCAN_DAYS: i32 = 400;

/// One opening range, in minutes after local midnight (`to` up to 1440).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub from: u32,
    pub to: u32,
}

/// Opening ranges per weekday, Monday first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Week {
    pub days: [Vec<Range>; 7],
}

impl Week {
    /// Reads opening hours; `None` for none at all (blank).
    pub fn parse(text: &str) -> Result<Option<Week>> {
        let mut week = Week::default();
        let mut any = false;
        for group in text.split([';', '\n']).map(str::trim).filter(|g| !g.is_empty()) {
            any = true;
            let bad_group = || {
                Error::Invalid(format!(
                    "cannot read the opening hours {group:?}: write days then times, for example \"mon-fri 09:00-17:30; sat 10:00-14:00\" (or \"sun closed\")"
                ))
            };
            let (days, times) = group.split_once(char::is_whitespace).ok_or_else(bad_group)?;
            // Every error shows the form the hours take.
            let with_example = |e: Error| {
                Error::Invalid(match e {
                    Error::Invalid(m) => format!("{m}; opening hours look like \"mon-fri 09:00-17:30; sat 10:00-14:00\""),
                    other => other.to_string(),
                })
            };
            let days = parse_days(days.trim()).map_err(with_example)?;
            let times = times.trim();
            let ranges = if times.eq_ignore_ascii_case("closed") {
                vec![]
            } else {
                times.split(',').map(|r| parse_range(r.trim())).collect::<Result<Vec<_>>>().map_err(with_example)?
            };
            for d in days {
                week.days[d].extend(ranges.iter().copied());
                week.days[d].sort_by_key(|r| (r.from, r.to));
            }
        }
        if !any {
            return Ok(None);
        }
        if week.days.iter().all(Vec::is_empty) {
            return Err(Error::Invalid(
                "the opening hours open on no day: name at least one day with its times, or leave them empty to stay open around the clock".into(),
            ));
        }
        Ok(Some(week))
    }

    /// The canonical text of these hours: days with the same times grouped
    /// (`mon-fri 09:00-17:30; sat 10:00-14:00`); closed days left out.
    pub fn to_text(&self) -> String {
        let mut groups: Vec<(usize, usize)> = vec![];
        for d in 0..7 {
            if self.days[d].is_empty() {
                continue;
            }
            match groups.last_mut() {
                Some((_, end)) if *end + 1 == d && self.days[*end] == self.days[d] => *end = d,
                _ => groups.push((d, d)),
            }
        }
        let mut out = String::new();
        for (start, end) in groups {
            if !out.is_empty() {
                out.push_str("; ");
            }
            out.push_str(DAYS[start]);
            if end > start {
                let _ = write!(out, "{}{}", if end == start + 1 { "," } else { "-" }, DAYS[end]);
            }
            let ranges: Vec<String> = self.days[start].iter().map(|r| format!("{}-{}", hhmm(r.from), hhmm(r.to))).collect();
            let _ = write!(out, " {}", ranges.join(","));
        }
        out
    }
}

/// `HH:MM` for minutes after midnight (1440 is `24:00`).
pub fn hhmm(minutes: u32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

fn day_index(name: &str) -> Result<usize> {
    let n = name.trim().to_ascii_lowercase();
    const FULL: [&str; 7] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
    DAYS.iter()
        .zip(FULL)
        .position(|(short, full)| n == *short || n == full)
        .ok_or_else(|| Error::Invalid(format!("{name:?} is not a day: use mon, tue, wed, thu, fri, sat or sun")))
}

fn parse_days(text: &str) -> Result<Vec<usize>> {
    let mut days = vec![];
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (day_index(a)?, day_index(b)?);
                // sat-mon wraps round the week's end.
                let mut d = a;
                loop {
                    days.push(d);
                    if d == b {
                        break;
                    }
                    d = (d + 1) % 7;
                }
            }
            None => days.push(day_index(part)?),
        }
    }
    Ok(days)
}

fn parse_time(text: &str) -> Option<u32> {
    let (h, m) = text.split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    match (h, m) {
        (24, 0) => Some(1440),
        (0..=23, 0..=59) => Some(h * 60 + m),
        _ => None,
    }
}

fn parse_range(text: &str) -> Result<Range> {
    let bad = || Error::Invalid(format!("{text:?} is not a time range: write it as HH:MM-HH:MM, for example 09:00-17:30"));
    let (a, b) = text.split_once('-').ok_or_else(bad)?;
    let (from, to) = (parse_time(a.trim()).ok_or_else(bad)?, parse_time(b.trim()).ok_or_else(bad)?);
    if from == 1440 {
        return Err(bad());
    }
    if to <= from {
        return Err(Error::Invalid(format!(
            "in {text:?} the closing time is not after the opening time: a range ends by midnight (24:00); put the early hours on the next day, e.g. sat 00:00-02:00"
        )));
    }
    Ok(Range { from, to })
}

/// Reads holidays: `YYYY-MM-DD` dates separated by commas (or spaces).
pub fn parse_holidays(text: &str) -> Result<BTreeSet<Date>> {
    text.split([',', ';', ' ', '\n'])
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| {
            d.parse::<Date>().ok().filter(|_| d.len() == 10).ok_or_else(|| {
                Error::Invalid(format!("{d:?} is not a date: write holidays as YYYY-MM-DD separated by commas, for example 2026-12-25,2026-12-26"))
            })
        })
        .collect()
}

/// Holidays in their canonical text (sorted, comma separated).
pub fn holidays_text(days: &BTreeSet<Date>) -> String {
    days.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(",")
}

/// Whether the business is open at an instant, and the closed period it is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Open,
    /// Closed since the last closing time (or a holiday's start) until the
    /// next opening (Unix ms); `None` where none lies within [`SCAN_DAYS`].
    Closed {
        since: Option<i64>,
        until: Option<i64>,
    },
}

/// The owner's opening hours, holidays and time zone.
#[derive(Debug, Clone)]
pub struct Calendar {
    /// `None`: open around the clock (but on holidays).
    pub week: Option<Week>,
    pub holidays: BTreeSet<Date>,
    pub tz: TimeZone,
}

impl Calendar {
    /// The opening intervals of local day `date`, as Unix ms.
    fn open_on(&self, date: Date) -> Vec<(i64, i64)> {
        if self.holidays.contains(&date) {
            return vec![];
        }
        let at = |minutes: u32| -> Option<i64> {
            let (day, minutes) = if minutes >= 1440 { (date.tomorrow().ok()?, 0) } else { (date, minutes) };
            let dt = day.at((minutes / 60) as i8, (minutes % 60) as i8, 0, 0);
            dt.to_zoned(self.tz.clone()).ok().map(|z| z.timestamp().as_millisecond())
        };
        let ranges: Vec<Range> = match &self.week {
            None => vec![Range { from: 0, to: 1440 }],
            Some(w) => w.days[weekday_index(date.weekday())].clone(),
        };
        ranges.iter().filter_map(|r| Some((at(r.from)?, at(r.to)?))).filter(|(a, b)| a < b).collect()
    }

    /// Open or closed at `t` (Unix ms), and if closed, since and until when.
    pub fn status_at(&self, t: i64) -> Status {
        let Ok(ts) = jiff::Timestamp::from_millisecond(t) else { return Status::Closed { since: None, until: None } };
        let today = ts.to_zoned(self.tz.clone()).date();
        let day = |offset: i32| today.checked_add(jiff::Span::new().days(offset)).ok();
        for d in [-1, 0, 1].into_iter().filter_map(day) {
            if self.open_on(d).iter().any(|&(a, b)| a <= t && t < b) {
                return Status::Open;
            }
        }
        // The latest closing at or before t, the earliest opening after it.
        let since = (0..=SCAN_DAYS).filter_map(|o| day(-o)).find_map(|d| self.open_on(d).iter().map(|&(_, b)| b).filter(|&b| b <= t).max());
        let until = (-1..=SCAN_DAYS).filter_map(day).find_map(|d| self.open_on(d).iter().map(|&(a, _)| a).filter(|&a| a > t).min());
        Status::Closed { since, until }
    }
}

fn weekday_index(w: Weekday) -> usize {
    w.to_monday_zero_offset() as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{parse_rfc3339, to_rfc3339};

    fn ms(s: &str) -> i64 {
        parse_rfc3339(s).unwrap()
    }

    fn london(hours: &str, holidays: &str) -> Calendar {
        Calendar { week: Week::parse(hours).unwrap(), holidays: parse_holidays(holidays).unwrap(), tz: TimeZone::get("Europe/London").unwrap() }
    }

    fn closed(c: &Calendar, at: &str) -> (String, String) {
        match c.status_at(ms(at)) {
            Status::Closed { since: Some(s), until: Some(u) } => (to_rfc3339(s), to_rfc3339(u)),
            other => panic!("{at}: {other:?}"),
        }
    }

    #[test]
    fn hours_are_read_written_back_and_bad_ones_refused() {
        let w = Week::parse("mon-fri 09:00-17:30; sat 10:00-14:00").unwrap().unwrap();
        assert_eq!(w.days[0], vec![Range { from: 540, to: 1050 }]);
        assert!(w.days[6].is_empty(), "a day not named is closed");
        assert_eq!(w.to_text(), "mon-fri 09:00-17:30; sat 10:00-14:00");
        let w = Week::parse("Monday,wed 9:00-12:00, 13:00-24:00\nsat-sun 10:00-14:00; sun closed; tue closed").unwrap().unwrap();
        assert_eq!(w.to_text(), "mon 09:00-12:00,13:00-24:00; wed 09:00-12:00,13:00-24:00; sat,sun 10:00-14:00");
        let wrap = Week::parse("fri-mon 10:00-12:00").unwrap().unwrap();
        assert_eq!(wrap.days.iter().filter(|d| !d.is_empty()).count(), 4, "fri-mon wraps round the weekend");
        assert_eq!(Week::parse("  ").unwrap(), None, "blank: no opening hours");
        for bad in ["mon-fri", "mon-fri 9-17", "funday 09:00-17:00", "fri 18:00-02:00", "mon 25:00-26:00", "mon 09:00-09:00", "sun closed", "mon 24:00-24:00"] {
            let e = Week::parse(bad).unwrap_err().to_string();
            assert!(!e.is_empty() && matches!(Week::parse(bad), Err(Error::Invalid(_))), "{bad} must be refused");
        }
        assert!(Week::parse("fri 18:00-02:00").unwrap_err().to_string().contains("24:00"), "the fix is named");
        assert_eq!(holidays_text(&parse_holidays("2026-12-26, 2026-12-25").unwrap()), "2026-12-25,2026-12-26");
        for bad in ["2026-13-01", "25/12/2026", "2026-1-5", "christmas"] {
            assert!(matches!(parse_holidays(bad), Err(Error::Invalid(_))), "{bad} must be refused");
        }
    }

    #[test]
    fn closed_periods_follow_london_clocks_across_both_changes() {
        let c = london("mon-fri 09:00-17:30; sat 10:00-14:00", "");
        assert_eq!(c.status_at(ms("2026-03-27T12:00:00Z")), Status::Open, "Friday noon GMT");
        // Clocks go forward on Sunday 29 March 2026 at 01:00 GMT: Saturday closes at 14:00 GMT, Monday opens at 09:00 BST (08:00Z).
        let spring = ("2026-03-28T14:00:00Z".to_string(), "2026-03-30T08:00:00Z".to_string());
        assert_eq!(closed(&c, "2026-03-28T23:00:00Z"), spring);
        assert_eq!(closed(&c, "2026-03-29T12:00:00Z"), spring, "one closed period across the change");
        assert_eq!(closed(&c, "2026-03-30T07:59:00Z"), spring);
        assert_eq!(c.status_at(ms("2026-03-30T08:00:00Z")), Status::Open, "09:00 BST");
        assert_eq!(c.status_at(ms("2026-03-30T16:29:00Z")), Status::Open, "17:29 BST");
        assert_eq!(closed(&c, "2026-03-30T16:30:00Z").0, "2026-03-30T16:30:00Z", "17:30 BST closes");
        // Clocks go back on Sunday 25 October 2026 at 01:00 GMT: Saturday closes at 14:00 BST (13:00Z), Monday opens at 09:00 GMT.
        let autumn = ("2026-10-24T13:00:00Z".to_string(), "2026-10-26T09:00:00Z".to_string());
        assert_eq!(closed(&c, "2026-10-25T00:30:00Z"), autumn);
        assert_eq!(closed(&c, "2026-10-25T01:30:00Z"), autumn, "the repeated hour is the same period");
        assert_eq!(closed(&c, "2026-10-26T08:30:00Z"), autumn, "08:30 GMT is still before opening");
        // A weekday evening is its own period: closing to the next morning.
        assert_eq!(closed(&c, "2026-10-27T22:00:00Z"), ("2026-10-27T17:30:00Z".into(), "2026-10-28T09:00:00Z".into()));
    }

    #[test]
    fn holidays_close_whole_days_and_join_the_period_around_them() {
        let c = london("mon-fri 09:00-17:30", "2026-12-25,2026-12-28");
        // Thursday 24 closes at 17:30; Friday 25 is a holiday, then the weekend, Monday 28 a holiday: open again Tuesday 29.
        let christmas = ("2026-12-24T17:30:00Z".to_string(), "2026-12-29T09:00:00Z".to_string());
        assert_eq!(closed(&c, "2026-12-25T11:00:00Z"), christmas);
        assert_eq!(closed(&c, "2026-12-28T11:00:00Z"), christmas);
        // Around the clock but for a holiday: closed from its start to its end.
        let always = london("", "2026-12-25");
        assert_eq!(always.status_at(ms("2026-12-24T23:59:00Z")), Status::Open);
        assert_eq!(closed(&always, "2026-12-25T11:00:00Z"), ("2026-12-25T00:00:00Z".into(), "2026-12-26T00:00:00Z".into()));
        assert_eq!(london("", "").status_at(ms("2026-12-25T11:00:00Z")), Status::Open, "no hours, no holidays: always open");
    }
}
