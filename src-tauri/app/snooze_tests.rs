//! Snooze and reminders through the real handlers (`tests.rs`' harness) on
//! the sample inbox: a chat snoozed leaves "all" and "unread" for the
//! "snoozed" filter, comes back when unsnoozed or when its time passes (the
//! thread's step names it once: "Snoozed chat is back: NAME"); a reminder on
//! a message is listed, cancelled, and fires once with what the notification
//! shows. What they answer is recorded as the browser tests' fixtures
//! (`tests/ui/fixtures/snooze.json`), times moved to the sample's clock.

use crate::tests::{golden, Harness, SAMPLE_NOW};
use serde_json::{json, Value};
use wicket_core::time::now_ms;

const HOUR: i64 = 3_600_000;

fn rfc(ms: i64) -> String {
    wicket_core::time::to_rfc3339(ms)
}

fn ids(list: &Value) -> Vec<i64> {
    list.as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect()
}

/// `field` moved from the real clock (`real`) to the sample's, keeping its distance.
fn at_sample(v: &mut Value, field: &str, real: i64) {
    if let Some(t) = v[field].as_i64() {
        v[field] = json!(SAMPLE_NOW + (t - real));
    }
}

#[test]
fn snooze_and_reminders_answer_through_the_ipc_and_record_the_ui_fixtures() {
    let h = Harness::new();
    let mut fx = serde_json::Map::new();
    let all = h.ok("list_conversations", json!({ "filter": "all" }));
    let priya = all[0]["id"].as_i64().unwrap();
    assert_eq!(all[0]["display_name"], "Priya Shah");
    assert!(all[0]["snoozed_until"].is_null());

    // Snoozed for three hours: gone from "all" and "unread", in "snoozed".
    // Whole seconds: RFC 3339 as the window sends it.
    let now = now_ms() / 1000 * 1000;
    let mut snoozed = h.ok("snooze_conversation", json!({ "conversation_id": priya, "until": rfc(now + 3 * HOUR) }));
    assert_eq!(snoozed["snoozed_until"], json!(now + 3 * HOUR));
    assert!(!ids(&h.ok("list_conversations", json!({ "filter": "all" }))).contains(&priya));
    assert!(!ids(&h.ok("list_conversations", json!({ "filter": "unread" }))).contains(&priya));
    let mut in_view = h.ok("list_conversations", json!({ "filter": "snoozed" }));
    assert_eq!(ids(&in_view), vec![priya]);
    let past = h.call("snooze_conversation", json!({ "conversation_id": priya, "until": rfc(now - 1000) })).unwrap_err();
    assert_eq!(past["code"], "invalid", "{past}");
    at_sample(&mut snoozed, "snoozed_until", now);
    at_sample(&mut in_view[0], "snoozed_until", now);
    fx.insert("snooze_conversation".into(), snoozed);
    fx.insert("list_snoozed".into(), in_view);

    let back = h.ok("unsnooze_conversation", json!({ "id": priya }));
    assert!(back["snoozed_until"].is_null());
    assert_eq!(ids(&h.ok("list_conversations", json!({ "filter": "all" }))), ids(&all), "back in its place");
    fx.insert("unsnooze_conversation".into(), back);

    // By time: the thread's step wakes it, once.
    h.ok("snooze_conversation", json!({ "conversation_id": priya, "until": rfc(now + HOUR) }));
    let db = h.data_dir().join("wicket.db");
    let mut store = wicket_core::Store::open(&db).unwrap();
    let due = crate::snooze::check(&mut store, now + 2 * HOUR).unwrap();
    assert_eq!(due.back, vec![(priya, "Snoozed chat is back: Priya Shah".to_string())]);
    assert!(crate::snooze::check(&mut store, now + 2 * HOUR).unwrap().back.is_empty(), "named once");
    assert!(h.ok("list_conversations", json!({ "filter": "snoozed" })).as_array().unwrap().is_empty());

    // Reminders on Priya's messages: the soonest first; one cancelled, one fires once.
    let messages = h.ok("list_messages", json!({ "conversation_id": priya, "limit": 50 }));
    let msgs: Vec<i64> = messages.as_array().unwrap().iter().map(|m| m["id"].as_i64().unwrap()).collect();
    let (first, last) = (msgs[0], *msgs.last().unwrap());
    let later = h.ok("add_reminder", json!({ "message_id": first, "at": rfc(now + 24 * HOUR) }));
    let soon = h.ok("add_reminder", json!({ "message_id": last, "at": rfc(now + HOUR), "note": "Check the sourdough order" }));
    assert_eq!((soon["display_name"].as_str(), soon["conversation_id"].as_i64()), (Some("Priya Shah"), Some(priya)));
    let list = h.ok("list_reminders", json!({}));
    assert_eq!(ids(&list), vec![soon["id"].as_i64().unwrap(), later["id"].as_i64().unwrap()], "the soonest first");
    assert_eq!(ids(&h.ok("list_reminders", json!({ "conversation_id": priya }))).len(), 2);
    let past = h.call("add_reminder", json!({ "message_id": last, "at": rfc(now - 1000) })).unwrap_err();
    assert_eq!(past["code"], "invalid", "{past}");
    let cancelled = h.ok("cancel_reminder", json!({ "id": later["id"] }));
    assert_eq!(h.call("cancel_reminder", json!({ "id": later["id"] })).unwrap_err()["code"], "not_found");
    let due = crate::snooze::check(&mut store, now + 2 * HOUR).unwrap();
    assert_eq!(due.reminders.len(), 1);
    let (fired, title, body) = &due.reminders[0];
    assert_eq!(
        (fired.id, fired.message_id, title.as_str(), body.as_str()),
        (soon["id"].as_i64().unwrap(), last, "Reminder: Priya Shah", "Check the sourdough order")
    );
    assert!(crate::snooze::check(&mut store, now + 3 * HOUR).unwrap().reminders.is_empty(), "a reminder fires once");
    assert!(h.ok("list_reminders", json!({})).as_array().unwrap().is_empty());

    let mut recorded = list;
    for r in recorded.as_array_mut().unwrap() {
        at_sample(r, "remind_at", now);
    }
    let mut added = soon;
    at_sample(&mut added, "remind_at", now);
    let mut cancelled = cancelled;
    at_sample(&mut cancelled, "remind_at", now);
    fx.insert("list_reminders".into(), recorded);
    fx.insert("add_reminder".into(), added);
    fx.insert("cancel_reminder".into(), cancelled);
    golden("tests/ui/fixtures/snooze.json", &(serde_json::to_string_pretty(&Value::Object(fx)).unwrap() + "\n"));
}
