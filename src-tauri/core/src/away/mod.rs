//! Away and greeting messages: automatic replies to customers who write.
//!
//! Outside opening hours (`hours`: per weekday, holidays, in the owner's time
//! zone) the away message goes to a customer who writes, at most once per
//! customer (conversation) per closed period; the greeting goes to a
//! first-time customer (no earlier message in the conversation, history
//! imports included). Neither goes into a group, to an opted-out customer,
//! or where free text is not allowed (outside Meta's 24-hour window).
//!
//! Where it runs: not in the webhook writer (kept fast, and a poller stores
//! messages too) but in the engine's send lane, as a pass over the inbound
//! messages after a cursor stored per account ([`release_due`]). A reply is
//! queued in the outbox (so its rate limits apply) in the transaction that
//! moves the cursor past the message and records the closed period, so a
//! crash or restart never answers twice, and a message stored while nothing
//! ran is still looked at. A reply that would come late is left out: the away
//! message only while the closed period the customer wrote in still lasts,
//! the greeting only within [`GREETING_MAX_AGE`] of the message.
//!
//! Settings (checked by [`check`], empty turns each off):
//!
//! | key | value | default |
//! |---|---|---|
//! | `opening_hours` | `"mon-fri 09:00-17:30; sat 10:00-14:00"` | none: open around the clock |
//! | `holidays` | `"2026-12-25,2026-12-26"` | none |
//! | `away_message` | text | empty: off |
//! | `greeting_message` | text | empty: off |
//! | `time_zone` | IANA name (`crate::scheduled::TIME_ZONE`) | the system's |
//!
//! The messages may use the quick replies' placeholders (`{name}`,
//! `{first_name}`, `{phone}`).

pub mod hours;

use crate::error::{Error, ErrorKind, Result};
use crate::model::{MessageKind, Origin};
use crate::providers::OutgoingContent;
use crate::store::auto_replies::{self as table, Inbound};
use crate::store::{contacts, messages, Store};
use hours::{Calendar, Status, Week};
use serde_json::Value;
use std::time::Duration;

pub const OPENING_HOURS: &str = "opening_hours";
pub const HOLIDAYS: &str = "holidays";
pub const AWAY_MESSAGE: &str = "away_message";
pub const GREETING_MESSAGE: &str = "greeting_message";

/// This module's settings: (key, default, one-line description).
pub const SETTINGS: &[(&str, &str, &str)] = &[
    (OPENING_HOURS, "", "opening hours per weekday, e.g. \"mon-fri 09:00-17:30; sat 10:00-14:00\"; empty: open around the clock"),
    (HOLIDAYS, "", "whole days closed, YYYY-MM-DD separated by commas, e.g. 2026-12-25,2026-12-26"),
    (AWAY_MESSAGE, "", "sent automatically to a customer who writes while closed (once per closed period); empty: off"),
    (GREETING_MESSAGE, "", "sent automatically to a customer who writes for the first time; empty: off"),
];

/// WhatsApp's limit on a text message.
pub const MAX_MESSAGE_CHARS: usize = 4096;

/// How old a first message may be and still get the greeting (one stored
/// while Wicket was off is not greeted hours later).
pub const GREETING_MAX_AGE: Duration = Duration::from_secs(3600);

/// Inbound messages looked at per account and pass.
const BATCH: usize = 200;

/// Checks a value for one of this module's keys (or `time_zone`): `None`
/// for any other key. Text settings take a string, or null (off).
pub fn check(key: &str, value: &Value) -> Option<Result<()>> {
    let text = |v: &Value| -> Result<String> {
        match v {
            Value::Null => Ok(String::new()),
            Value::String(s) => Ok(s.clone()),
            other => Err(Error::Invalid(format!("{key} is text, not {other}"))),
        }
    };
    let outcome = match key {
        OPENING_HOURS => text(value).and_then(|t| Week::parse(&t).map(|_| ())),
        HOLIDAYS => text(value).and_then(|t| hours::parse_holidays(&t).map(|_| ())),
        AWAY_MESSAGE | GREETING_MESSAGE => text(value).and_then(|t| message_ok(key, &t)),
        crate::scheduled::TIME_ZONE => text(value).and_then(|t| match t.trim() {
            "" => Ok(()),
            zone => crate::scheduled::time_zone(zone).map(|_| ()),
        }),
        _ => return None,
    };
    Some(outcome)
}

fn message_ok(key: &str, text: &str) -> Result<()> {
    let n = text.trim().chars().count();
    if n > MAX_MESSAGE_CHARS {
        return Err(Error::Invalid(format!("the {} is {n} characters; WhatsApp takes at most {MAX_MESSAGE_CHARS}", key.replace('_', " "))));
    }
    Ok(())
}

/// The automatic replies' settings, read and checked.
#[derive(Debug, Clone)]
pub struct Settings {
    pub calendar: Calendar,
    /// The `time_zone` setting; `None`: the system's.
    pub time_zone: Option<String>,
    pub away_message: String,
    pub greeting_message: String,
}

impl Settings {
    /// Reads them; a bad stored value (hand-edited) is an error naming it.
    pub fn load(store: &Store) -> Result<Settings> {
        let text = |key: &str| -> Result<String> { Ok(store.setting_str(key)?.unwrap_or_default()) };
        let week = Week::parse(&text(OPENING_HOURS)?).map_err(|e| Error::Invalid(format!("the {OPENING_HOURS} setting: {e}")))?;
        let holidays = hours::parse_holidays(&text(HOLIDAYS)?).map_err(|e| Error::Invalid(format!("the {HOLIDAYS} setting: {e}")))?;
        let time_zone = store.setting_str(crate::scheduled::TIME_ZONE)?.map(|z| z.trim().to_string()).filter(|z| !z.is_empty());
        Ok(Settings {
            calendar: Calendar { week, holidays, tz: crate::scheduled::owner_time_zone(store)? },
            time_zone,
            away_message: text(AWAY_MESSAGE)?.trim().to_string(),
            greeting_message: text(GREETING_MESSAGE)?.trim().to_string(),
        })
    }

    /// The opening hours as the owner would write them (empty: none).
    pub fn opening_hours_text(&self) -> String {
        self.calendar.week.as_ref().map(Week::to_text).unwrap_or_default()
    }
}

/// The settings as text, as the window edits them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Texts {
    pub opening_hours: String,
    pub holidays: String,
    pub away_message: String,
    pub greeting_message: String,
}

/// Checks every value, then stores them all in their canonical form (hours
/// grouped by day, holidays sorted): nothing is stored when one is wrong.
pub fn save(store: &mut Store, t: &Texts) -> Result<Settings> {
    let week = Week::parse(&t.opening_hours)?;
    let holidays = hours::parse_holidays(&t.holidays)?;
    message_ok(AWAY_MESSAGE, &t.away_message)?;
    message_ok(GREETING_MESSAGE, &t.greeting_message)?;
    let hours_text = week.as_ref().map(Week::to_text).unwrap_or_default();
    let values = [
        (OPENING_HOURS, hours_text),
        (HOLIDAYS, hours::holidays_text(&holidays)),
        (AWAY_MESSAGE, t.away_message.trim().to_string()),
        (GREETING_MESSAGE, t.greeting_message.trim().to_string()),
    ];
    store.write(|tx| {
        for (key, value) in &values {
            tx.execute(
                "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                rusqlite::params![key, Value::String(value.clone()).to_string()],
            )?;
        }
        Ok(())
    })?;
    Settings::load(store)
}

/// Which automatic reply a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Greeting,
    Away,
}

/// One automatic reply queued in the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Queued {
    pub kind: Kind,
    pub conversation_id: i64,
    pub message_id: i64,
    /// The inbound message it answers.
    pub answers: i64,
}

/// Looks at `account_id`'s inbound messages stored since the last pass and
/// queues the replies due at `now` (Unix ms), each in the transaction that
/// moves the cursor past its message.
pub fn release_due(store: &mut Store, account_id: i64, now: i64) -> Result<Vec<Queued>> {
    let after = table::cursor(store.conn(), account_id)?;
    let on = |key: &str| -> Result<bool> { Ok(store.setting_str(key)?.is_some_and(|t| !t.trim().is_empty())) };
    if !on(AWAY_MESSAGE)? && !on(GREETING_MESSAGE)? {
        // Off: skip to the newest message, so turning it on answers only what comes next.
        let newest = table::newest(store.conn(), account_id)?;
        if newest > after {
            store.write(|tx| table::advance(tx, account_id, newest))?;
        }
        return Ok(vec![]);
    }
    let settings = Settings::load(store)?;
    let batch = table::inbound_after(store.conn(), account_id, after, BATCH)?;
    let mut queued = vec![];
    for m in &batch {
        let replies = decide(store, &settings, m, now)?;
        if replies.is_empty() {
            continue;
        }
        let done = store.write(|tx| {
            let mut done = vec![];
            for (kind, closed_since, new) in &replies {
                if let Some(since) = closed_since {
                    // The record is checked here, in the writing transaction, as well as before.
                    if table::away_sent(tx, m.conversation_id, *since)? {
                        continue;
                    }
                }
                let id = messages::insert(tx, new)?.id();
                if let Some(since) = closed_since {
                    table::record_away(tx, m.conversation_id, *since, Some(id), now)?;
                }
                done.push(Queued { kind: *kind, conversation_id: m.conversation_id, message_id: id, answers: m.id });
            }
            table::advance(tx, account_id, m.id)?;
            Ok(done)
        })?;
        queued.extend(done);
    }
    // Past everything looked at (and our own messages), in one write.
    let end = if batch.len() < BATCH { table::newest(store.conn(), account_id)? } else { batch.last().map_or(after, |m| m.id) };
    if end > table::cursor(store.conn(), account_id)? {
        store.write(|tx| table::advance(tx, account_id, end))?;
    }
    Ok(queued)
}

/// The replies message `m` calls for at `now`: (kind, the closed period of
/// an away message, the outbox row).
fn decide(store: &Store, s: &Settings, m: &Inbound, now: i64) -> Result<Vec<(Kind, Option<i64>, crate::store::NewMessage)>> {
    if m.is_group || contacts::is_opted_out(store.conn(), m.contact_id)? {
        return Ok(vec![]);
    }
    let mut out = vec![];
    let fresh = now - m.timestamp <= GREETING_MAX_AGE.as_millis() as i64;
    if !s.greeting_message.is_empty() && fresh && table::is_first(store.conn(), m)? {
        if let Some(new) = prepare(store, m, &s.greeting_message, now)? {
            out.push((Kind::Greeting, None, new));
        }
    }
    if !s.away_message.is_empty() {
        // Closed when the customer wrote, and still in that same closed period now.
        if let (Status::Closed { since, .. }, Status::Closed { since: still, .. }) = (s.calendar.status_at(m.timestamp), s.calendar.status_at(now)) {
            let since = since.unwrap_or(0);
            if still.unwrap_or(0) == since && !table::away_sent(store.conn(), m.conversation_id, since)? {
                if let Some(new) = prepare(store, m, &s.away_message, now)? {
                    out.push((Kind::Away, Some(since), new));
                }
            }
        }
    }
    Ok(out)
}

/// The outbox row of an automatic reply, checked as any send (Meta's
/// window at `now`); `None` when the provider would refuse free text now.
fn prepare(store: &Store, m: &Inbound, template: &str, now: i64) -> Result<Option<crate::store::NewMessage>> {
    let contact = store.conversation(m.conversation_id)?.contact;
    let body = crate::quick_replies::fill(template, &crate::quick_replies::placeholder_values(&contact, &store.default_country()?));
    let content = OutgoingContent::Text { body, preview_url: false };
    let prepared = crate::outbox::prepare(store, m.conversation_id, content, None, None, |account, conversation, kind| {
        crate::outbox::check_window(account, conversation, kind, now)
    });
    match prepared {
        Ok(mut new) => {
            new.origin = Some(Origin::Automatic);
            debug_assert_eq!(new.kind, Some(MessageKind::Text));
            Ok(Some(new))
        }
        Err(Error::Provider(p)) if p.kind == ErrorKind::OutsideWindow => {
            tracing::info!(conversation = m.conversation_id, "no automatic reply: the customer's 24-hour window is closed");
            Ok(None)
        }
        Err(Error::Invalid(why)) => {
            tracing::info!(conversation = m.conversation_id, "no automatic reply: {why}");
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests;
