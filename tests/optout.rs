//! Opt-out keywords as inbound messages are applied (`ingest`), on a real
//! SQLite file: languages and cases, never a substring, START opts back in,
//! a replay never flips it twice, an older keyword never undoes a newer one,
//! groups never opt out, and the owner's settings change the keywords.

use serde_json::json;
use wicket_core::model::{Direction, MessageKind, Provider};
use wicket_core::providers::{InboundMessage, ProviderEvent};
use wicket_core::store::accounts::NewAccount;
use wicket_core::store::contacts::{self, ContactKey, ContactUpdate};
use wicket_core::store::Store;

struct Shop {
    _dir: tempfile::TempDir,
    store: Store,
    account: i64,
}

fn shop() -> Shop {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("wicket.db")).unwrap();
    let account = store
        .add_account(&NewAccount { provider: Provider::Meta, name: "Shop".into(), phone: None, config: json!({"phone_number_id": "318273645501234"}) })
        .unwrap()
        .id;
    Shop { _dir: dir, store, account }
}

fn message(from: &str, id: &str, text: &str, ts: i64) -> InboundMessage {
    InboundMessage { text: Some(text.into()), ..InboundMessage::new(id.into(), ContactKey::phone(from), Direction::In, MessageKind::Text, ts, json!({})) }
}

/// Applies one customer message as the webhook and pollers do; returns the
/// contact's `opted_out_at` afterwards.
fn wrote(s: &mut Shop, from: &str, id: &str, text: &str, ts: i64) -> Option<i64> {
    let m = message(from, id, text, ts);
    s.store.write(|tx| wicket_core::ingest::apply(tx, s.account, &[ProviderEvent::Message(m)])).unwrap();
    let c = s.store.find_contact(s.account, &ContactKey::phone(from)).unwrap().unwrap();
    assert_eq!(contacts::is_opted_out(s.store.conn(), c.id).unwrap(), c.opted_out_at.is_some());
    c.opted_out_at
}

#[test]
fn stop_in_several_languages_and_cases_opts_out_and_start_opts_back_in() {
    let mut s = shop();
    let mut ts = 1_767_000_000_000;
    for (i, stop) in ["STOP", "stop", " Stop! ", "ARRÊT", "arret", "Baja", "PARAR", "stopp", "Alt"].iter().enumerate() {
        let from = format!("+4479111234{i:02}");
        ts += 1000;
        assert_eq!(wrote(&mut s, &from, &format!("wamid.stop{i}"), stop, ts), Some(ts), "{stop:?} opts out");
        ts += 1000;
        let start = ["START", "start", "Alta", "COMMENCER", "iniciar"][i % 5];
        assert_eq!(wrote(&mut s, &from, &format!("wamid.start{i}"), start, ts), None, "{start:?} opts back in");
    }
}

#[test]
fn a_keyword_inside_a_sentence_is_an_ordinary_message() {
    let mut s = shop();
    for (i, text) in ["Please stop by the shop tomorrow", "stop it", "STOPPED", "when do you start?", "baja california"].iter().enumerate() {
        assert_eq!(wrote(&mut s, "+447911123456", &format!("wamid.{i}"), text, 1_767_000_000_000 + i as i64), None, "{text:?}");
    }
}

#[test]
fn a_replay_or_a_late_older_keyword_never_flips_it() {
    let mut s = shop();
    assert_eq!(wrote(&mut s, "+447911123456", "wamid.stop", "STOP", 1_000_000), Some(1_000_000));
    // Still opted out since the first STOP: a second one keeps the date.
    assert_eq!(wrote(&mut s, "+447911123456", "wamid.stop2", "stop", 2_000_000), Some(1_000_000));
    assert_eq!(wrote(&mut s, "+447911123456", "wamid.start", "START", 3_000_000), None);
    // The first STOP delivered again (a webhook retry, a replay, a poll): a duplicate.
    assert_eq!(wrote(&mut s, "+447911123456", "wamid.stop", "STOP", 1_000_000), None, "a replayed STOP does not opt out again");
    // A STOP written before the START but arriving after it.
    assert_eq!(wrote(&mut s, "+447911123456", "wamid.late", "STOP", 2_500_000), None, "an older keyword never undoes a newer one");
    let c = s.store.find_contact(s.account, &ContactKey::phone("+447911123456")).unwrap().unwrap();
    assert_eq!(s.store.messages_page(s.store.conversation_for_contact(s.account, c.id).unwrap().unwrap(), None, 50).unwrap().len(), 4);
}

#[test]
fn a_group_never_opts_out() {
    let mut s = shop();
    let mut m = message("+447911123456", "wamid.g", "STOP", 1_000);
    m.chat = ContactKey::user_id("120363040000000000@g.us");
    m.chat_update = ContactUpdate { is_group: Some(true), ..Default::default() };
    m.sender_id = Some("+447911123456".into());
    s.store.write(|tx| wicket_core::ingest::apply(tx, s.account, &[ProviderEvent::Message(m)])).unwrap();
    let g = s.store.find_contact(s.account, &ContactKey::user_id("120363040000000000@g.us")).unwrap().unwrap();
    assert_eq!(g.opted_out_at, None);
}

#[test]
fn the_owner_s_settings_change_the_keywords() {
    let mut s = shop();
    s.store.set_setting(wicket_core::optout::OPT_OUT_KEYWORDS, &json!(["Désabonner", "NO MORE"])).unwrap();
    s.store.set_setting(wicket_core::optout::OPT_IN_KEYWORDS, &json!(["Abonner"])).unwrap();
    assert_eq!(wrote(&mut s, "+447911123456", "wamid.1", "STOP", 1_000), None, "STOP is no longer a keyword");
    assert_eq!(wrote(&mut s, "+447911123456", "wamid.2", "desabonner", 2_000), Some(2_000));
    assert_eq!(wrote(&mut s, "+447911123456", "wamid.3", "START", 3_000), Some(2_000), "START is no longer a keyword");
    assert_eq!(wrote(&mut s, "+447911123456", "wamid.4", "ABONNER", 4_000), None);
    assert_eq!(wrote(&mut s, "+447911123456", "wamid.5", "no  more", 5_000), Some(5_000), "inner spaces collapse");
    // A value of the wrong shape is refused by the CLI and reads as the defaults here.
    assert!(wicket_core::optout::parse_list(&json!("STOP")).is_err());
    s.store.set_setting(wicket_core::optout::OPT_IN_KEYWORDS, &json!("START")).unwrap();
    assert_eq!(wrote(&mut s, "+447911123456", "wamid.6", "start", 6_000), None);
}
