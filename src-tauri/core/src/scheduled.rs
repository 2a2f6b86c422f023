//! Scheduled sending: a message the owner asks to send at a later time.
//!
//! It is checked when scheduled as a send would be (template parameters,
//! files), with Meta's 24-hour window judged at its time, not now: free text
//! that could not go then is refused with the advice to schedule a template.
//! It then waits in `store::scheduled`, outside the outbox, so nothing claims
//! it. When its time comes the engine (desktop or `wicket serve`) calls
//! [`release_due`] from each account's send lane: the message is checked again
//! and queued as an ordinary `pending` message in the transaction that marks
//! it `queued`, and the outbox sends it under the usual rules (rate limits,
//! claims, `unknown`, never twice). One whose time passed while nothing ran
//! is sent when the engine starts, unless it is more than [`LATE_LIMIT`] late:
//! then it becomes a failed message with that reason (the chat shows it, and
//! "Send again" is the owner's choice), as does one refused at its time or
//! to a customer who opted out (wrote STOP) after it was scheduled.
//!
//! Times typed by the owner ([`parse_send_at`]) are RFC 3339, or a local
//! `YYYY-MM-DD HH:MM` in the owner's time zone: the `time_zone` setting (an
//! IANA name) if set, else the system's.

use crate::error::{Error, ErrorKind, ProviderError, Result};
use crate::model::{MessageKind, MessageStatus, Provider};
use crate::outbox;
use crate::providers::OutgoingContent;
use crate::store::scheduled::{self as table, NewScheduled, Scheduled, ScheduledFilter, ScheduledState};
use crate::store::{messages, Account, Store};
use crate::time::{now_ms, to_rfc3339};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How late a scheduled message may still be sent (its time passed while
/// the computer was off): later than this it is failed, not sent.
pub const LATE_LIMIT: Duration = Duration::from_secs(24 * 3600);

/// The setting naming the owner's time zone (an IANA name such as
/// `Europe/Paris`); the system's when unset.
pub const TIME_ZONE: &str = "time_zone";

/// Scheduled messages released per account and pass of the engine.
const RELEASE_BATCH: usize = 50;

/// What a scheduled message sends: the content as the owner gave it (checked
/// again at its time, against the templates as they are then).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub content: OutgoingContent,
    /// The quoted message's provider id, resolved when scheduled.
    #[serde(default)]
    pub reply_to_provider_id: Option<String>,
    /// An attachment kept in the media folder (`media::queue_attachment`).
    #[serde(default)]
    pub media_id: Option<i64>,
}

/// Schedules `content` into conversation `conversation_id` at `send_at`
/// (Unix ms, in the future).
pub fn schedule(
    store: &mut Store,
    conversation_id: i64,
    content: OutgoingContent,
    reply_to: Option<i64>,
    media_id: Option<i64>,
    send_at: i64,
) -> Result<Scheduled> {
    let now = now_ms();
    if send_at <= now {
        return Err(Error::Invalid(format!("{} is in the past: send the message now, or choose a later time", to_rfc3339(send_at))));
    }
    let reply_to_provider_id = outbox::quoted_provider_id(store, reply_to)?;
    let summary = summary(&content);
    let request = Request { content: content.clone(), reply_to_provider_id: reply_to_provider_id.clone(), media_id };
    // The same checks as a send now, the window judged at its time.
    let new = outbox::prepare(store, conversation_id, content, reply_to_provider_id, media_id, |account, conversation, kind| {
        window_open_at(account, conversation, kind, send_at)
    })?;
    let request = serde_json::to_value(&request).map_err(|e| Error::Internal(e.to_string()))?;
    let id =
        store.write(|tx| table::insert(tx, &NewScheduled { account_id: new.account_id, conversation_id, request: &request, summary: &summary, send_at }))?;
    store.scheduled(id)
}

/// [`schedule`] to `to` (a phone number in any common format) on `account`.
pub fn schedule_to(store: &mut Store, account: &Account, to: &str, content: OutgoingContent, reply_to: Option<i64>, send_at: i64) -> Result<Scheduled> {
    let conversation_id = outbox::conversation_with(store, account, to)?;
    schedule(store, conversation_id, content, reply_to, None, send_at)
}

/// Cancels scheduled message `id` if it is still waiting.
pub fn cancel(store: &mut Store, id: i64) -> Result<Scheduled> {
    store.cancel_scheduled(id)
}

/// Scheduled messages, soonest first.
pub fn list(store: &Store, filter: &ScheduledFilter) -> Result<Vec<Scheduled>> {
    store.scheduled_list(filter)
}

/// Meta's window must still be open at `at` for anything but a template.
fn window_open_at(account: &Account, conversation: &crate::store::Conversation, kind: MessageKind, at: i64) -> Result<()> {
    if account.provider != Provider::Meta || kind == MessageKind::Template {
        return Ok(());
    }
    match conversation.window_expires_at {
        Some(closes) if closes > at => Ok(()),
        closes => {
            let why = match closes {
                Some(c) if c > now_ms() => format!("closes at {}, before {}: free text cannot be sent then", to_rfc3339(c), to_rfc3339(at)),
                _ => format!("is closed (it opens again when the customer writes): free text cannot be sent at {}", to_rfc3339(at)),
            };
            Err(Error::Provider(ProviderError {
                code: Some("131047".into()),
                kind: ErrorKind::OutsideWindow,
                message: format!("the customer's 24-hour customer-service window {why}; schedule an approved template instead"),
                retry_after: None,
            }))
        }
    }
}

/// A one-line description of what a scheduled message sends.
pub fn summary(content: &OutgoingContent) -> String {
    let line = match content {
        OutgoingContent::Text { body, .. } => body.clone(),
        OutgoingContent::Media { kind, caption, filename, .. } => {
            let what = caption.clone().or_else(|| filename.clone()).unwrap_or_default();
            format!("[{kind}] {what}").trim_end().to_string()
        }
        OutgoingContent::Template { name, language, .. } => format!("[template {name} ({language})]"),
        OutgoingContent::Location { name, .. } => format!("[location] {}", name.clone().unwrap_or_default()).trim_end().to_string(),
        OutgoingContent::Contacts { .. } => "[contacts]".into(),
        OutgoingContent::Reaction { emoji, .. } => format!("[reaction {emoji}]"),
        OutgoingContent::Interactive { .. } => "[interactive]".into(),
    };
    let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() > 120 {
        format!("{}…", line.chars().take(119).collect::<String>())
    } else {
        line
    }
}

/// What became of one scheduled message whose time came.
#[derive(Debug, Clone, PartialEq)]
pub struct Released {
    pub scheduled_id: i64,
    /// The outbox message it became (`pending`, or `failed` with the reason).
    pub message_id: Option<i64>,
    pub state: ScheduledState,
}

/// Queues `account_id`'s scheduled messages whose time has come at `now`,
/// or fails those more than [`LATE_LIMIT`] late or refused now. Each is
/// moved on in the transaction that inserts its message, once.
pub fn release_due(store: &mut Store, account_id: i64, now: i64) -> Result<Vec<Released>> {
    let mut released = vec![];
    for id in store.scheduled_due_ids(account_id, now, RELEASE_BATCH)? {
        let s = store.scheduled(id)?;
        let outcome = match serde_json::from_value::<Request>(s.request.clone()) {
            Err(e) => fail(store, &s, None, &format!("its stored request is unreadable ({e}): schedule it again")),
            Ok(request) if now - s.send_at > LATE_LIMIT.as_millis() as i64 => {
                let why = format!(
                    "not sent: it was scheduled for {} and Wicket was not running then; it is more than {} hours late. Send it again if it still makes sense",
                    to_rfc3339(s.send_at),
                    LATE_LIMIT.as_secs() / 3600
                );
                fail(store, &s, Some(request), &why)
            }
            Ok(request) => match opted_out_since_scheduled(store, &s)? {
                Some(at) => {
                    let why = format!(
                        "not sent: the customer opted out of messages on {} (they wrote an opt-out keyword such as STOP), after it was scheduled. Send it again only if they agreed",
                        to_rfc3339(at)
                    );
                    fail(store, &s, Some(request), &why)
                }
                None => queue(store, &s, request, now),
            },
        };
        match outcome {
            Ok(Some(r)) => released.push(r),
            Ok(None) => {}
            Err(e) => tracing::warn!(scheduled = id, "a scheduled message whose time came was not released (tried again shortly): {e}"),
        }
    }
    Ok(released)
}

/// When the customer opted out, if they did after the message was scheduled:
/// it is then not sent (an owner who scheduled it for a customer already
/// opted out confirmed it, as `--to-opted-out` does).
fn opted_out_since_scheduled(store: &Store, s: &Scheduled) -> Result<Option<i64>> {
    let contact = store.conversation(s.conversation_id)?.contact;
    Ok(contact.opted_out_at.filter(|&at| at > s.created_at))
}

/// Queues it as an ordinary message, checked as a send now; refused now, it fails.
fn queue(store: &mut Store, s: &Scheduled, request: Request, now: i64) -> Result<Option<Released>> {
    let prepared = outbox::prepare(store, s.conversation_id, request.content.clone(), request.reply_to_provider_id.clone(), request.media_id, |a, c, k| {
        outbox::check_window(a, c, k, now)
    });
    let new = match prepared {
        Ok(new) => new,
        Err(e) if e.is_busy() || matches!(e, Error::Sqlite(_) | Error::Io { .. }) => return Err(e),
        Err(e) => return fail(store, s, Some(request), &format!("not sent at its time: {e}")),
    };
    store.write(|tx| {
        if !table::settle(tx, s.id, ScheduledState::Queued, None, None)? {
            return Ok(None);
        }
        let message_id = messages::insert(tx, &new)?.id();
        tx.execute("UPDATE scheduled_messages SET message_id = ?2 WHERE id = ?1", rusqlite::params![s.id, message_id])?;
        Ok(Some(Released { scheduled_id: s.id, message_id: Some(message_id), state: ScheduledState::Queued }))
    })
}

/// Fails it with `why`: a failed message in the chat (with its request, so
/// "Send again" works) when it can be built, and the reason on the row.
fn fail(store: &mut Store, s: &Scheduled, request: Option<Request>, why: &str) -> Result<Option<Released>> {
    let conversation = store.conversation(s.conversation_id)?;
    let message = request.and_then(|r| outbox::build(&conversation, r.content, r.reply_to_provider_id, r.media_id, now_ms()).ok()).map(|mut m| {
        m.status = Some(MessageStatus::Failed);
        m.error = Some(ProviderError { code: None, kind: ErrorKind::Unknown, message: why.to_string(), retry_after: None });
        m
    });
    store.write(|tx| {
        if !table::settle(tx, s.id, ScheduledState::Failed, None, Some(why))? {
            return Ok(None);
        }
        let message_id = match &message {
            Some(m) => Some(messages::insert(tx, m)?.id()),
            None => None,
        };
        tx.execute("UPDATE scheduled_messages SET message_id = ?2 WHERE id = ?1", rusqlite::params![s.id, message_id])?;
        Ok(Some(Released { scheduled_id: s.id, message_id, state: ScheduledState::Failed }))
    })
}

/// The owner's time zone: the `time_zone` setting, else the system's.
pub fn owner_time_zone(store: &Store) -> Result<jiff::tz::TimeZone> {
    match store.setting_str(TIME_ZONE)? {
        Some(name) if !name.trim().is_empty() => time_zone(name.trim()),
        _ => Ok(jiff::tz::TimeZone::system()),
    }
}

/// The time zone named `name` (IANA, such as `Europe/Paris`).
pub fn time_zone(name: &str) -> Result<jiff::tz::TimeZone> {
    jiff::tz::TimeZone::get(name).map_err(|_| Error::Invalid(format!("unknown time zone {name:?}: give an IANA name such as Europe/Paris or America/New_York")))
}

/// Parses a send time typed by the owner into Unix ms: RFC 3339 with an
/// offset, or `YYYY-MM-DD HH:MM` (a `T` also works, seconds optional) in
/// the owner's time zone.
pub fn parse_send_at(store: &Store, s: &str) -> Result<i64> {
    parse_time_in(s, &owner_time_zone(store)?)
}

/// [`parse_send_at`] in time zone `tz`. A local time that a clock change
/// skips moves on by the gap (a skipped 02:30 is 03:30), one it repeats is
/// the earlier of the two (jiff's "compatible" rule).
pub fn parse_time_in(s: &str, tz: &jiff::tz::TimeZone) -> Result<i64> {
    let s = s.trim();
    if let Some(ms) = crate::time::parse_rfc3339(s) {
        return Ok(ms);
    }
    let bad = || {
        Error::Invalid(format!(
            "cannot read the time {s:?}: give RFC 3339 (2026-03-01T09:00:00+01:00) or a local time YYYY-MM-DD HH:MM in your time zone ({})",
            tz.iana_name().unwrap_or("the system's")
        ))
    };
    let local = s.replacen('T', " ", 1);
    let civil = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"].iter().find_map(|f| jiff::civil::DateTime::strptime(f, &local).ok()).ok_or_else(bad)?;
    let zoned = civil.to_zoned(tz.clone()).map_err(|_| bad())?;
    Ok(zoned.timestamp().as_millisecond())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_times_follow_the_zone_and_its_clock_changes() {
        let paris = time_zone("Europe/Paris").unwrap();
        let winter = parse_time_in("2026-01-15 09:00", &paris).unwrap();
        assert_eq!(to_rfc3339(winter), "2026-01-15T08:00:00Z", "CET is UTC+1");
        let summer = parse_time_in("2026-07-15T09:00", &paris).unwrap();
        assert_eq!(to_rfc3339(summer), "2026-07-15T07:00:00Z", "CEST is UTC+2");
        // 02:30 does not exist on 29 March 2026 in Paris: the compatible rule moves it on.
        assert_eq!(to_rfc3339(parse_time_in("2026-03-29 02:30", &paris).unwrap()), "2026-03-29T01:30:00Z");
        assert_eq!(parse_time_in("2026-01-15T09:00:00+05:30", &paris).unwrap(), parse_time_in("2026-01-15 03:30", &time_zone("UTC").unwrap()).unwrap());
        for bad in ["tomorrow", "2026-13-01 09:00", "2026-01-15", "15/01/2026 09:00"] {
            assert!(matches!(parse_time_in(bad, &paris), Err(Error::Invalid(_))), "{bad} is refused");
        }
        assert!(time_zone("Mars/Olympus").is_err());
    }

    #[test]
    fn a_customer_who_opts_out_after_scheduling_is_not_sent_to() {
        let tmp = tempfile::tempdir().unwrap();
        let mut store = Store::open(&tmp.path().join("wicket.db")).unwrap();
        let account =
            store.add_account(&crate::store::NewAccount { provider: Provider::Demo, name: "Demo".into(), phone: None, config: serde_json::json!({}) }).unwrap();
        let text = |body: &str| OutgoingContent::Text { body: body.into(), preview_url: false };
        let soon = now_ms() + 60_000;
        let a = schedule_to(&mut store, &account, "+447911123456", text("Fresh loaves tomorrow"), None, soon).unwrap();
        let b = schedule_to(&mut store, &account, "+447911123457", text("Your order is ready"), None, soon).unwrap();
        // The first customer writes STOP after the message was scheduled.
        store.conn().execute("UPDATE contacts SET opted_out_at = ?1 WHERE phone = '+447911123456'", [now_ms() + 1]).unwrap();
        let released = release_due(&mut store, account.id, soon + 1).unwrap();
        let state = |id| released.iter().find(|r| r.scheduled_id == id).map(|r| r.state);
        assert_eq!((state(a.id), state(b.id)), (Some(ScheduledState::Failed), Some(ScheduledState::Queued)));
        let failed = store.scheduled(a.id).unwrap();
        assert!(failed.error.as_deref().unwrap().contains("opted out"), "{:?}", failed.error);
        let message = store.message(failed.message_id.unwrap()).unwrap();
        assert_eq!(message.status, MessageStatus::Failed, "the chat shows it was not sent, and why");
        assert_eq!(store.message(store.scheduled(b.id).unwrap().message_id.unwrap()).unwrap().status, MessageStatus::Pending, "the other goes to the outbox");
        assert!(release_due(&mut store, account.id, soon + 2).unwrap().is_empty(), "released once");
    }

    #[test]
    fn summaries_are_one_short_line() {
        let text = OutgoingContent::Text { body: "Your order\nis ready".into(), preview_url: false };
        assert_eq!(summary(&text), "Your order is ready");
        let long = OutgoingContent::Text { body: "x".repeat(300), preview_url: false };
        assert_eq!(summary(&long).chars().count(), 120);
        let t = OutgoingContent::Template { name: "order".into(), language: "en".into(), header_params: vec![], body_params: vec![], button_params: vec![] };
        assert_eq!(summary(&t), "[template order (en)]");
    }
}
