//! Settings → Opening hours and automatic replies through the real handlers
//! (`tests.rs`' harness) on the sample inbox: read, saved (stored in the
//! core's canonical form, kept across a restart), a bad range refused with
//! the core's words and nothing changed; then the engine's pass answers a
//! customer who writes while closed, and the chat lists that reply as
//! automatic. What they answer is recorded as the browser tests' fixtures
//! (`tests/ui/fixtures/away.json`), times pinned to the sample's clock.

use crate::tests::{golden, Harness, SAMPLE_NOW};
use serde_json::{json, Value};
use wicket_core::away::hours::Status;
use wicket_core::model::{Direction, MessageKind};
use wicket_core::store::NewMessage;

/// The status part of an answer depends on when the test runs: recomputed
/// by the core at the sample's "now" (Tuesday 10 March 2026, 12:00 UTC).
fn pinned(mut v: Value, db: &std::path::Path) -> Value {
    let store = wicket_core::Store::open(db).unwrap();
    let (open, since, until) = match wicket_core::away::Settings::load(&store).unwrap().calendar.status_at(SAMPLE_NOW) {
        Status::Open => (true, None, None),
        Status::Closed { since, until } => (false, since, until),
    };
    v["open_now"] = json!(open);
    v["closed_since"] = json!(since);
    v["closed_until"] = json!(until);
    v
}

fn week(sat: bool) -> Value {
    let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    json!(days
        .iter()
        .map(|d| {
            let ranges = match *d {
                "sat" if sat => json!([{ "from": "10:00", "to": "14:00" }]),
                "sat" | "sun" => json!([]),
                _ => json!([{ "from": "09:00", "to": "17:30" }]),
            };
            json!({ "day": d, "ranges": ranges })
        })
        .collect::<Vec<_>>())
}

#[test]
fn auto_replies_answer_through_ipc_and_record_the_ui_fixtures() {
    let mut h = Harness::new();
    let mut fx = serde_json::Map::new();
    let db = h.data_dir().join("wicket.db");
    wicket_core::Store::open(&db).unwrap().set_setting("time_zone", &json!("Europe/London")).unwrap();

    let first = h.ok("get_auto_replies", Value::Null);
    assert_eq!((first["around_the_clock"].as_bool(), first["away_message"].as_str()), (Some(true), Some("")), "{first:#}");
    assert_eq!((first["time_zone"].as_str(), first["time_zone_is_system"].as_bool()), (Some("Europe/London"), Some(false)));
    assert_eq!(first["days"].as_array().map(Vec::len), Some(7));
    fx.insert("get_auto_replies_default".into(), first.clone());

    let args = json!({
        "days": week(true),
        // 10 March 2026 (the sample's today) too, so the recorded status is "closed".
        "holidays": ["2026-12-26", "2026-03-10", "2026-12-25"],
        "away_message": "Thanks {first_name}! We are closed now and answer from 9:00.",
        "greeting_message": "Welcome to Camden Bakery!",
    });
    let saved = h.ok("set_auto_replies", args.clone());
    assert_eq!(saved["opening_hours"], json!("mon-fri 09:00-17:30; sat 10:00-14:00"), "the same text `wicket settings set opening_hours` takes");
    assert_eq!(saved["holidays"], json!(["2026-03-10", "2026-12-25", "2026-12-26"]), "sorted");
    assert_eq!(saved["days"], week(true));
    assert_eq!(saved["around_the_clock"], json!(false));
    fx.insert("set_auto_replies".into(), pinned(saved.clone(), &db));

    // A range past midnight is refused with the core's words; nothing changes.
    let mut bad = args.clone();
    bad["days"][4]["ranges"] = json!([{ "from": "18:00", "to": "02:00" }]);
    bad["away_message"] = json!("changed");
    let refused = h.call("set_auto_replies", bad).unwrap_err();
    assert_eq!(refused["code"], "invalid", "{refused}");
    assert!(refused["message"].as_str().unwrap().contains("24:00"), "{refused}");
    fx.insert("set_auto_replies_bad_range".into(), refused);
    let bad_day =
        h.call("set_auto_replies", json!({ "days": week(true), "holidays": ["25/12/2026"], "away_message": "", "greeting_message": "" })).unwrap_err();
    assert!(bad_day["message"].as_str().unwrap().contains("YYYY-MM-DD"), "{bad_day}");
    fx.insert("set_auto_replies_bad_holiday".into(), bad_day);

    h.restart();
    let back = h.ok("get_auto_replies", Value::Null);
    assert_eq!((&back["opening_hours"], &back["away_message"]), (&saved["opening_hours"], &saved["away_message"]), "kept across a restart");
    let back = pinned(back, &db);
    assert_eq!(
        (back["open_now"].as_bool(), back["closed_until"].as_i64()),
        (Some(false), Some(1_773_219_600_000)),
        "closed on the holiday until Wednesday 09:00 GMT"
    );
    fx.insert("get_auto_replies".into(), back);

    // Priya writes while closed (her holidays: today and around it); the engine's pass answers.
    let all = h.ok("list_conversations", json!({ "filter": "all" }));
    let priya = all[0]["id"].as_i64().unwrap();
    assert_eq!(all[0]["display_name"], "Priya Shah");
    let now = wicket_core::time::now_ms();
    let day = |o: i64| wicket_core::time::to_rfc3339(now + o * 86_400_000)[..10].to_string();
    let around_now = json!([day(-1), day(0), day(1)]);
    let mut closed_now = args.clone();
    closed_now["holidays"] = around_now;
    h.ok("set_auto_replies", closed_now);
    {
        let mut store = wicket_core::Store::open(&db).unwrap();
        let account = store.conversation(priya).unwrap().account_id;
        store
            .insert_message(&NewMessage {
                account_id: account,
                conversation_id: priya,
                provider_message_id: Some("wamid.AWAY-TEST".into()),
                direction: Some(Direction::In),
                kind: Some(MessageKind::Text),
                text: Some("Are you open tomorrow?".into()),
                timestamp: Some(now),
                ..Default::default()
            })
            .unwrap();
        let queued = wicket_core::away::release_due(&mut store, account, now + 1000).unwrap();
        assert_eq!(queued.len(), 1, "the away message only: Priya wrote before, so no greeting");
    }
    let page = h.ok("list_messages", json!({ "conversation_id": priya, "limit": 50 }));
    let list = page.as_array().unwrap();
    let reply = list.last().unwrap();
    assert_eq!((reply["origin"].as_str(), reply["direction"].as_str()), (Some("automatic"), Some("out")), "{reply:#}");
    assert_eq!(reply["text"], json!("Thanks Priya! We are closed now and answer from 9:00."));
    // Recorded at the sample's clock: the customer's question, then the reply a second later.
    let mut tail: Vec<Value> = list[list.len() - 2..].to_vec();
    tail[0]["timestamp"] = json!(SAMPLE_NOW - 120_000);
    tail[1]["timestamp"] = json!(SAMPLE_NOW - 119_000);
    fx.insert("automatic_messages".into(), json!({ priya.to_string(): tail }));
    golden("tests/ui/fixtures/away.json", &(serde_json::to_string_pretty(&Value::Object(fx)).unwrap() + "\n"));
}
