use super::*;
use crate::model::{Direction, MessageStatus, Provider};
use crate::store::contacts::{ContactKey, ContactUpdate};
use crate::store::{NewAccount, NewMessage};
use crate::time::parse_rfc3339;

fn ms(s: &str) -> i64 {
    parse_rfc3339(s).unwrap()
}

fn setup(provider: Provider) -> (tempfile::TempDir, Store, i64) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("wicket.db")).unwrap();
    let account = store.add_account(&NewAccount { provider, name: "Camden Bakery".into(), phone: None, config: serde_json::json!({}) }).unwrap();
    store.set_setting(crate::scheduled::TIME_ZONE, &"Europe/London".into()).unwrap();
    // Added on New Year's day 2026: the tests' customers write after that.
    store.conn().execute("UPDATE accounts SET created_at = ?1", [ms("2026-01-01T00:00:00Z")]).unwrap();
    (dir, store, account.id)
}

fn configure(store: &mut Store, away: &str, greeting: &str) {
    let t = Texts {
        opening_hours: "mon-fri 09:00-17:30; sat 10:00-14:00".into(),
        holidays: "2026-12-25".into(),
        away_message: away.into(),
        greeting_message: greeting.into(),
    };
    save(store, &t).unwrap();
}

/// Customer `phone` (named `name`) writes `text` at `at`; the message id.
fn writes(store: &mut Store, account: i64, phone: &str, name: &str, text: &str, at: &str) -> i64 {
    let update = ContactUpdate { profile_name: Some(name.into()), ..Default::default() };
    let c = store.upsert_contact(account, &ContactKey::phone(phone), &update).unwrap();
    let conv = store.get_or_create_conversation(account, c.id).unwrap();
    let n = store.conn().query_row("SELECT count(*) FROM messages", [], |r| r.get::<_, i64>(0)).unwrap();
    store
        .insert_message(&NewMessage {
            account_id: account,
            conversation_id: conv,
            provider_message_id: Some(format!("wamid.IN{n}")),
            direction: Some(Direction::In),
            kind: Some(crate::model::MessageKind::Text),
            text: Some(text.into()),
            timestamp: Some(ms(at)),
            ..Default::default()
        })
        .unwrap()
        .id()
}

#[test]
fn settings_are_checked_by_key_and_stored_canonically() {
    assert!(check("opening_hours", &"mon-fri 09:00-17:30; sat 10:00-14:00".into()).unwrap().is_ok());
    assert!(check("opening_hours", &"".into()).unwrap().is_ok(), "empty: none");
    assert!(check("opening_hours", &Value::Null).unwrap().is_ok());
    let e = check("opening_hours", &"weekdays 9 to 5".into()).unwrap().unwrap_err().to_string();
    assert!(e.contains("mon-fri 09:00-17:30"), "the message shows the form: {e}");
    assert!(check("holidays", &"2026-12-25,2026-12-26".into()).unwrap().is_ok());
    assert!(check("holidays", &"25/12".into()).unwrap().is_err());
    assert!(check("away_message", &"We are closed".into()).unwrap().is_ok());
    assert!(check("away_message", &serde_json::json!(42)).unwrap().is_err(), "text only");
    assert!(check("greeting_message", &"x".repeat(5000).into()).unwrap().is_err(), "WhatsApp's length limit");
    assert!(check("time_zone", &"Mars/Olympus".into()).unwrap().is_err());
    assert!(check("time_zone", &"Europe/London".into()).unwrap().is_ok());
    assert!(check("theme", &"dark".into()).is_none(), "not one of these keys");

    let (_d, mut store, _) = setup(Provider::Demo);
    let t = Texts {
        opening_hours: "sat 10:00-14:00; mon-fri 09:00-17:30".into(),
        holidays: "2026-12-26, 2026-12-25".into(),
        away_message: " Closed now ".into(),
        greeting_message: String::new(),
    };
    let s = save(&mut store, &t).unwrap();
    assert_eq!(s.opening_hours_text(), "mon-fri 09:00-17:30; sat 10:00-14:00");
    assert_eq!(store.setting_str(HOLIDAYS).unwrap().as_deref(), Some("2026-12-25,2026-12-26"));
    assert_eq!((s.away_message.as_str(), s.time_zone.as_deref()), ("Closed now", Some("Europe/London")));
    let bad = Texts { opening_hours: "fri 18:00-02:00".into(), away_message: "changed".into(), ..t };
    assert!(matches!(save(&mut store, &bad), Err(Error::Invalid(_))));
    assert_eq!(store.setting_str(AWAY_MESSAGE).unwrap().as_deref(), Some("Closed now"), "nothing stored when one value is wrong");
}

#[test]
fn away_once_per_closed_period_and_greeting_to_first_timers_only() {
    let (_d, mut store, account) = setup(Provider::Demo);
    // Before the feature is on: an old message is never answered.
    writes(&mut store, account, "+447911000001", "Old Customer", "hello", "2026-03-27T20:00:00Z");
    assert!(release_due(&mut store, account, ms("2026-03-27T20:01:00Z")).unwrap().is_empty());
    configure(&mut store, "Thanks {first_name}, we open again soon.", "Welcome to Camden Bakery!");

    // Friday 27 March 2026, 20:00 GMT: closed since 17:30. Ana is new.
    let first = writes(&mut store, account, "+447911123456", "Ana Souza", "Do you have rye?", "2026-03-27T20:05:00Z");
    let q = release_due(&mut store, account, ms("2026-03-27T20:05:30Z")).unwrap();
    assert_eq!(q.iter().map(|q| (q.kind, q.answers)).collect::<Vec<_>>(), vec![(Kind::Greeting, first), (Kind::Away, first)]);
    let away = store.message(q[1].message_id).unwrap();
    assert_eq!(away.text.as_deref(), Some("Thanks Ana, we open again soon."), "placeholders filled");
    assert_eq!((away.origin, away.status, away.direction), (Some(Origin::Automatic), MessageStatus::Pending, Direction::Out), "queued in the outbox");
    assert_eq!(store.message(q[0].message_id).unwrap().origin, Some(Origin::Automatic));

    // She writes again that night: the same closed period, nothing more.
    writes(&mut store, account, "+447911123456", "Ana Souza", "And spelt?", "2026-03-27T21:00:00Z");
    assert!(release_due(&mut store, account, ms("2026-03-27T21:00:10Z")).unwrap().is_empty(), "once per closed period, greeted once");
    // Sunday, after the clocks went forward: closed since Saturday 14:00, a new period.
    writes(&mut store, account, "+447911123456", "Ana Souza", "Hello?", "2026-03-29T12:00:00Z");
    let q = release_due(&mut store, account, ms("2026-03-29T12:00:10Z")).unwrap();
    assert_eq!(q.iter().map(|q| q.kind).collect::<Vec<_>>(), vec![Kind::Away]);
    // Monday 08:30 GMT is 09:30 BST: open, nothing automatic.
    writes(&mut store, account, "+447911123456", "Ana Souza", "Are you open?", "2026-03-30T08:30:00Z");
    assert!(release_due(&mut store, account, ms("2026-03-30T08:30:10Z")).unwrap().is_empty());
    // Monday evening: a new closed period, a new away message (no greeting: she is known).
    writes(&mut store, account, "+447911123456", "Ana Souza", "Tomorrow?", "2026-03-30T19:00:00Z");
    let q = release_due(&mut store, account, ms("2026-03-30T19:00:10Z")).unwrap();
    assert_eq!(q.iter().map(|q| q.kind).collect::<Vec<_>>(), vec![Kind::Away]);
    let periods: Vec<i64> =
        store.conn().prepare("SELECT closed_since FROM away_replies ORDER BY 1").unwrap().query_map([], |r| r.get(0)).unwrap().map(|r| r.unwrap()).collect();
    assert_eq!(periods, vec![ms("2026-03-27T17:30:00Z"), ms("2026-03-28T14:00:00Z"), ms("2026-03-30T16:30:00Z")], "each period by its start, in local time");
}

#[test]
fn late_stale_group_opted_out_history_and_closed_windows_get_nothing() {
    let (_d, mut store, account) = setup(Provider::Meta);
    configure(&mut store, "We are closed.", "Welcome!");
    // Written on Friday night but looked at on Monday while open: the away message would be late.
    writes(&mut store, account, "+447911000002", "Bea", "hi", "2026-03-27T20:00:00Z");
    assert!(release_due(&mut store, account, ms("2026-03-30T09:30:00Z")).unwrap().is_empty(), "no late away message, no stale greeting");

    // An opted-out customer.
    writes(&mut store, account, "+447911000003", "Cal", "STOP", "2026-03-30T20:00:00Z");
    let cal = store.conn().query_row("SELECT id FROM contacts WHERE phone = '+447911000003'", [], |r| r.get::<_, i64>(0)).unwrap();
    store.write(|tx| contacts::set_opted_out(tx, cal, true, ms("2026-03-30T20:00:00Z"))).unwrap();
    // A history import from the WhatsApp Business app.
    let h = writes(&mut store, account, "+447911000004", "Dee", "old chat", "2026-03-30T20:00:00Z");
    store.conn().execute("UPDATE messages SET history = 1 WHERE id = ?1", [h]).unwrap();
    // A group.
    let g = store.upsert_contact(account, &ContactKey::user_id("120363000000000001"), &ContactUpdate { is_group: Some(true), ..Default::default() }).unwrap();
    let gc = store.get_or_create_conversation(account, g.id).unwrap();
    store
        .insert_message(&NewMessage {
            account_id: account,
            conversation_id: gc,
            provider_message_id: Some("wamid.G1".into()),
            direction: Some(Direction::In),
            kind: Some(crate::model::MessageKind::Text),
            text: Some("group hello".into()),
            timestamp: Some(ms("2026-03-30T20:00:00Z")),
            ..Default::default()
        })
        .unwrap();
    assert!(release_due(&mut store, account, ms("2026-03-30T20:00:30Z")).unwrap().is_empty());

    // Meta: a message whose 24-hour window has closed by the time it is looked at (the engine was off for a day).
    writes(&mut store, account, "+447911000005", "Eve", "hello", "2026-12-24T19:00:00Z");
    assert!(release_due(&mut store, account, ms("2026-12-25T19:30:00Z")).unwrap().is_empty(), "free text is not allowed there");
    // Inside the window, a customer who wrote on Christmas day (a holiday) gets the away message.
    writes(&mut store, account, "+447911000006", "Fay", "open today?", "2026-12-25T11:00:00Z");
    let q = release_due(&mut store, account, ms("2026-12-25T11:00:05Z")).unwrap();
    assert_eq!(q.iter().map(|q| q.kind).collect::<Vec<_>>(), vec![Kind::Greeting, Kind::Away]);
    assert_eq!(table::cursor(store.conn(), account).unwrap(), table::newest(store.conn(), account).unwrap(), "the cursor is past everything, replies included");
}

#[test]
fn turned_off_it_answers_nothing_and_skips_ahead() {
    let (_d, mut store, account) = setup(Provider::Demo);
    configure(&mut store, "", "");
    let m = writes(&mut store, account, "+447911123456", "Ana", "hi", "2026-03-27T20:00:00Z");
    assert!(release_due(&mut store, account, ms("2026-03-27T20:00:10Z")).unwrap().is_empty());
    assert!(table::cursor(store.conn(), account).unwrap() >= m);
    configure(&mut store, "Closed", "");
    assert!(release_due(&mut store, account, ms("2026-03-27T20:00:20Z")).unwrap().is_empty(), "the message before it was turned on stays unanswered");
    // A gateway's first poll brings in what customers wrote before the account was added: never answered.
    writes(&mut store, account, "+447911123457", "Ben", "merry christmas", "2025-12-31T23:00:00Z");
    assert!(release_due(&mut store, account, ms("2025-12-31T23:00:05Z")).unwrap().is_empty());
    writes(&mut store, account, "+447911123458", "Cy", "hello", "2026-03-28T20:00:00Z");
    assert_eq!(release_due(&mut store, account, ms("2026-03-28T20:00:05Z")).unwrap().len(), 1, "a new message is answered");
}
