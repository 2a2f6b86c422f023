//! "Send later" through the real handlers (`tests.rs`' harness) on the
//! sample inbox: scheduled, refused past Meta's window, listed, cancelled,
//! and gone from the list once the engine's release queues it. What they
//! answer is recorded as the browser tests' fixtures
//! (`tests/ui/fixtures/scheduled.json`), its times moved to the sample's "now".

use crate::tests::{golden, Harness, SAMPLE_NOW};
use serde_json::{json, Value};

/// The commands this file records fixtures for.
pub const SCHEDULED_COMMANDS: &[&str] = &["schedule_text", "schedule_template", "list_scheduled", "cancel_scheduled"];

const HOUR: i64 = 3_600_000;

/// Moves a recorded answer's times by `shift` (from the run's clock to the sample's).
fn rebase(v: &mut Value, shift: i64) {
    match v {
        Value::Object(map) => {
            for (k, field) in map.iter_mut() {
                match field.as_i64() {
                    Some(t) if k == "send_at" || k == "created_at" => *field = json!(t + shift),
                    _ => rebase(field, shift),
                }
            }
        }
        Value::Array(list) => list.iter_mut().for_each(|x| rebase(x, shift)),
        _ => {}
    }
}

#[test]
fn send_later_schedules_lists_cancels_and_records_the_ui_fixtures() {
    let h = Harness::new();
    let mut fx = serde_json::Map::new();
    // The owner's zone, so local times and the errors naming it are the same on every machine.
    wicket_core::Store::open(&h.data_dir().join("wicket.db")).unwrap().set_setting("time_zone", &json!("Europe/London")).unwrap();
    let now = wicket_core::time::now_ms();
    let rfc = |t: i64| wicket_core::time::to_rfc3339(t);
    let all = h.ok("list_conversations", json!({ "filter": "all" }));
    let priya = all[0]["id"].as_i64().unwrap();
    let market = h.ok("list_conversations", json!({ "filter": "all", "account_id": 2 }))[0]["id"].as_i64().unwrap();

    // The sample's Meta windows closed long ago (its clock is fixed in the past): free text is refused.
    let mut refused = h.call("schedule_text", json!({ "conversation_id": priya, "text": "Your cake is ready", "send_at": rfc(now + HOUR) })).unwrap_err();
    assert_eq!((refused["code"].as_str(), refused["kind"].as_str()), (Some("provider_refused"), Some("outside_window")), "{refused}");
    assert!(refused["message"].as_str().unwrap().contains("schedule an approved template instead"), "{refused}");
    refused["message"] = json!(refused["message"].as_str().unwrap().replace(&rfc(now + HOUR), &rfc(SAMPLE_NOW + HOUR)));
    fx.insert("schedule_text_outside_window".into(), refused);

    // A template may go whatever the window: checked now against the synced one.
    let p = |v: &str| json!({ "value": v });
    let template = |body: Value| json!({ "template": { "conversation_id": priya, "name": "order_ready", "language": "en_GB", "header_params": [p("4521")], "body_params": body, "button_params": [] }, "send_at": rfc(now + 21 * HOUR) });
    let wrong = h.call("schedule_template", template(json!([p("Priya")]))).unwrap_err();
    assert!(wrong["message"].as_str().unwrap().contains("body needs 2 parameters, 1 given"), "{wrong}");
    fx.insert("schedule_template_wrong_params".into(), wrong);
    let mut later = h.ok("schedule_template", template(json!([p("Priya"), p("5 pm")])));
    assert_eq!((later["state"].as_str(), later["summary"].as_str()), (Some("scheduled"), Some("[template order_ready (en_GB)]")));
    assert_eq!(h.ok("list_scheduled", json!({ "conversation_id": priya }))[0]["id"], later["id"]);
    h.ok("cancel_scheduled", json!({ "id": later["id"] }));
    (later["send_at"], later["created_at"]) = (json!(SAMPLE_NOW + 21 * HOUR), json!(SAMPLE_NOW));
    fx.insert("schedule_template".into(), later);

    // A gateway account has no window: an hour from now, and tomorrow at 09:00 typed in the date-time input.
    let in_an_hour = h.ok("schedule_text", json!({ "conversation_id": market, "text": "Your six loaves are ready 🍞", "send_at": rfc(now + HOUR) }));
    assert_eq!((in_an_hour["state"].as_str(), in_an_hour["send_at"].as_i64()), (Some("scheduled"), Some(now + HOUR)));
    assert_eq!(in_an_hour["summary"], "Your six loaves are ready 🍞");
    let tz = wicket_core::scheduled::owner_time_zone(&wicket_core::Store::open(&h.data_dir().join("wicket.db")).unwrap()).unwrap();
    let tomorrow = format!("{}T09:00", &rfc(now + 24 * HOUR)[..10]);
    let local = h.ok("schedule_text", json!({ "conversation_id": market, "text": "Stall opens at 10 on Saturday", "send_at": tomorrow }));
    assert_eq!(local["send_at"].as_i64(), Some(wicket_core::scheduled::parse_time_in(&tomorrow, &tz).unwrap()), "read in the owner's time zone");
    let empty = h.call("schedule_text", json!({ "conversation_id": market, "text": "  ", "send_at": rfc(now + HOUR) })).unwrap_err();
    assert_eq!(empty["code"], "invalid");
    let past = h.call("schedule_text", json!({ "conversation_id": market, "text": "hi", "send_at": rfc(now - HOUR) })).unwrap_err();
    assert!(past["message"].as_str().unwrap().contains("in the past"), "{past}");
    let unreadable = h.call("schedule_text", json!({ "conversation_id": market, "text": "hi", "send_at": "next week" })).unwrap_err();
    assert_eq!(unreadable["code"], "invalid");
    fx.insert("schedule_text_bad_time".into(), unreadable);

    let listed = h.ok("list_scheduled", json!({ "conversation_id": market }));
    let ids: Vec<&Value> = listed.as_array().unwrap().iter().map(|s| &s["id"]).collect();
    let soonest_first =
        if in_an_hour["send_at"].as_i64() < local["send_at"].as_i64() { [&in_an_hour["id"], &local["id"]] } else { [&local["id"], &in_an_hour["id"]] };
    assert_eq!(ids, soonest_first, "soonest first");
    assert_eq!(h.ok("list_scheduled", json!({ "conversation_id": priya })), json!([]), "per conversation");
    let mut recorded = listed.clone();

    let cancelled = h.ok("cancel_scheduled", json!({ "id": local["id"] }));
    assert_eq!(cancelled["state"], "cancelled");
    let twice = h.call("cancel_scheduled", json!({ "id": local["id"] })).unwrap_err();
    assert!(twice["message"].as_str().unwrap().contains("already cancelled"), "{twice}");
    assert_eq!(h.call("cancel_scheduled", json!({ "id": 9999 })).unwrap_err()["code"], "not_found");
    assert_eq!(h.ok("list_scheduled", json!({ "conversation_id": market })).as_array().unwrap().len(), 1, "a cancelled one leaves the list");

    // Its time comes: the engine's release queues it in the outbox, and it leaves the list.
    let mut store = wicket_core::Store::open(&h.data_dir().join("wicket.db")).unwrap();
    let released = wicket_core::scheduled::release_due(&mut store, 2, now + 2 * HOUR).unwrap();
    assert_eq!(released.len(), 1);
    assert_eq!(h.ok("list_scheduled", json!({ "conversation_id": market })), json!([]));
    let page = h.ok("list_messages", json!({ "conversation_id": market, "limit": 5 }));
    let queued = page.as_array().unwrap().iter().find(|m| Some(m["id"].as_i64().unwrap()) == released[0].message_id).expect("the queued message");
    assert_eq!((queued["status"].as_str(), queued["text"].as_str()), (Some("pending"), Some("Your six loaves are ready 🍞")));

    // The fixtures at the sample's time: the first in an hour, the other tomorrow at 09:00.
    let shift = SAMPLE_NOW - now;
    let mut scheduled = in_an_hour.clone();
    rebase(&mut scheduled, shift);
    scheduled["created_at"] = json!(SAMPLE_NOW);
    fx.insert("schedule_text".into(), scheduled);
    rebase(&mut recorded, shift);
    for s in recorded.as_array_mut().unwrap() {
        if s["id"] == local["id"] {
            s["send_at"] = json!(SAMPLE_NOW + 21 * HOUR); // 09:00 the next day, at the sample's noon
        } else {
            s["send_at"] = json!(SAMPLE_NOW + HOUR);
        }
        s["created_at"] = json!(SAMPLE_NOW - HOUR);
    }
    recorded.as_array_mut().unwrap().sort_by_key(|s| s["send_at"].as_i64());
    fx.insert("list_scheduled".into(), json!({ market.to_string(): recorded }));
    let mut cancelled = cancelled;
    cancelled["send_at"] = json!(SAMPLE_NOW + 21 * HOUR);
    cancelled["created_at"] = json!(SAMPLE_NOW - HOUR);
    fx.insert("cancel_scheduled".into(), cancelled);
    fx.insert("cancel_scheduled_twice".into(), twice);
    golden("tests/ui/fixtures/scheduled.json", &(serde_json::to_string_pretty(&Value::Object(fx)).unwrap() + "\n"));
}
