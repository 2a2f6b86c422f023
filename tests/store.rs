//! Integration tests of the store on a real SQLite file in a temp folder:
//! migrations, status rules, dedup, search, display names, query plans and
//! the export round trip.

use serde_json::json;
use wicket_core::error::{Error, ErrorKind, ProviderError};
use wicket_core::model::{Direction, MediaState, MessageKind, MessageStatus, Origin, Provider};
use wicket_core::store::contacts::{display_name, ContactKey, ContactUpdate};
use wicket_core::store::media::NewMedia;
use wicket_core::store::messages::{InsertOutcome, NewMessage, StatusOutcome, StatusUpdate};
use wicket_core::store::migrations::{latest_version, MIGRATIONS};
use wicket_core::store::{ConversationFilter, NewAccount, Store};

struct Fixture {
    _dir: tempfile::TempDir,
    store: Store,
    account: i64,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("wicket.db")).unwrap();
    store.set_setting("default_country", &json!("GB")).unwrap();
    let account = store
        .add_account(&NewAccount {
            provider: Provider::Meta,
            name: "Shop".into(),
            phone: Some("+15550102030".into()),
            config: json!({"phone_number_id": "318273645501234"}),
        })
        .unwrap()
        .id;
    Fixture { _dir: dir, store, account }
}

fn conversation_with(f: &mut Fixture, phone: &str, name: Option<&str>) -> i64 {
    let c =
        f.store.upsert_contact(f.account, &ContactKey::phone(phone), &ContactUpdate { profile_name: name.map(str::to_string), ..Default::default() }).unwrap();
    f.store.get_or_create_conversation(f.account, c.id).unwrap()
}

fn inbound(f: &Fixture, conv: i64, pid: &str, text: &str, ts: i64) -> NewMessage {
    NewMessage {
        account_id: f.account,
        conversation_id: conv,
        provider_message_id: Some(pid.into()),
        direction: Some(Direction::In),
        kind: Some(MessageKind::Text),
        text: Some(text.into()),
        timestamp: Some(ts),
        ..Default::default()
    }
}

#[test]
fn an_older_schema_is_copied_aside_then_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wicket.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute("INSERT INTO accounts (provider, name, created_at, updated_at) VALUES ('meta', 'Old shop', 1, 1)", []).unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), latest_version(), "opening migrates to the latest schema");
    assert_eq!(store.accounts().unwrap()[0].name, "Old shop", "data survives the migration");
    let backup = dir.path().join("wicket.db.v1.bak");
    let old = rusqlite::Connection::open(&backup).expect("the old file is copied aside before migrating");
    let v: i64 = old.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
    assert_eq!(v, 1, "the copy keeps the old schema version");
}

#[test]
fn a_newer_schema_is_refused_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wicket.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 999).unwrap();
    }
    match Store::open(&path).unwrap_err() {
        Error::SchemaTooNew { found, .. } => assert_eq!(found, 999),
        other => panic!("expected SchemaTooNew, got {other:?}"),
    }
    let msg = Store::open(&path).unwrap_err().to_string();
    assert!(msg.contains("newer Wicket"), "the error says what to do: {msg}");
}

#[test]
fn the_store_uses_wal_and_foreign_keys() {
    let f = fixture();
    let mode: String = f.store.conn().pragma_query_value(None, "journal_mode", |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
    let fk: i64 = f.store.conn().pragma_query_value(None, "foreign_keys", |r| r.get(0)).unwrap();
    assert_eq!(fk, 1);
}

#[test]
fn the_same_provider_id_never_makes_two_rows() {
    let mut f = fixture();
    let conv = conversation_with(&mut f, "+447700900123", Some("Priya"));
    let first = f.store.insert_message(&inbound(&f, conv, "wamid.A", "hello", 1_000)).unwrap();
    let again = f.store.insert_message(&inbound(&f, conv, "wamid.A", "hello", 1_000)).unwrap();
    assert!(matches!(first, InsertOutcome::Inserted(_)));
    assert_eq!(again, InsertOutcome::Duplicate(first.id()));
    assert_eq!(f.store.messages_page(conv, None, 10).unwrap().len(), 1);
    assert_eq!(f.store.conversation(conv).unwrap().unread_count, 1, "a duplicate does not count as unread twice");
}

fn outbound(f: &mut Fixture, conv: i64, pid: &str) -> i64 {
    let m = NewMessage {
        account_id: f.account,
        conversation_id: conv,
        provider_message_id: Some(pid.into()),
        direction: Some(Direction::Out),
        origin: Some(Origin::App),
        kind: Some(MessageKind::Text),
        text: Some("hi".into()),
        status: Some(MessageStatus::Sent),
        timestamp: Some(5_000),
        ..Default::default()
    };
    f.store.insert_message(&m).unwrap().id()
}

fn status(f: &Fixture, pid: &str, s: MessageStatus, ts: i64) -> StatusUpdate {
    StatusUpdate { account_id: f.account, provider_message_id: pid.into(), wicket_id: None, status: s, timestamp: ts, error: None }
}

#[test]
fn statuses_only_move_forward() {
    let mut f = fixture();
    let conv = conversation_with(&mut f, "+447700900123", None);
    let id = outbound(&mut f, conv, "wamid.OUT");
    assert_eq!(f.store.update_status(&status(&f, "wamid.OUT", MessageStatus::Read, 7_000)).unwrap(), StatusOutcome::Applied(id));
    assert_eq!(f.store.update_status(&status(&f, "wamid.OUT", MessageStatus::Delivered, 6_000)).unwrap(), StatusOutcome::Ignored(id));
    let m = f.store.message(id).unwrap();
    assert_eq!(m.status, MessageStatus::Read, "read is never downgraded to delivered");
    assert_eq!(m.status_times["delivered"], 6_000, "the late delivered time is still recorded");
    let failed = StatusUpdate {
        error: Some(ProviderError { code: Some("131026".into()), kind: ErrorKind::InvalidRecipient, message: "x".into(), retry_after: None }),
        ..status(&f, "wamid.OUT", MessageStatus::Failed, 8_000)
    };
    assert_eq!(f.store.update_status(&failed).unwrap(), StatusOutcome::Ignored(id), "failed does not replace read");
}

#[test]
fn failed_replaces_sent_and_keeps_the_error() {
    let mut f = fixture();
    let conv = conversation_with(&mut f, "+447700900123", None);
    let id = outbound(&mut f, conv, "wamid.F");
    let err = ProviderError { code: Some("131047".into()), kind: ErrorKind::OutsideWindow, message: "outside the window".into(), retry_after: None };
    let u = StatusUpdate { error: Some(err.clone()), ..status(&f, "wamid.F", MessageStatus::Failed, 6_000) };
    f.store.update_status(&u).unwrap();
    let m = f.store.message(id).unwrap();
    assert_eq!(m.status, MessageStatus::Failed);
    assert_eq!(m.error, Some(err));
}

#[test]
fn a_status_before_its_message_is_applied_when_it_appears() {
    let mut f = fixture();
    let conv = conversation_with(&mut f, "+447700900123", None);
    assert_eq!(f.store.update_status(&status(&f, "wamid.EARLY", MessageStatus::Delivered, 6_000)).unwrap(), StatusOutcome::Deferred);
    let id = outbound(&mut f, conv, "wamid.EARLY");
    assert_eq!(f.store.message(id).unwrap().status, MessageStatus::Delivered, "the waiting status was applied on insert");
}

#[test]
fn a_status_can_find_its_message_by_our_own_id() {
    let mut f = fixture();
    let conv = conversation_with(&mut f, "+447700900123", None);
    let id = f
        .store
        .insert_message(&NewMessage {
            account_id: f.account,
            conversation_id: conv,
            direction: Some(Direction::Out),
            kind: Some(MessageKind::Text),
            text: Some("x".into()),
            ..Default::default()
        })
        .unwrap()
        .id();
    let u = StatusUpdate { wicket_id: Some(id), ..status(&f, "wamid.LOST", MessageStatus::Sent, 6_000) };
    assert_eq!(f.store.update_status(&u).unwrap(), StatusOutcome::Applied(id));
    assert_eq!(f.store.message(id).unwrap().provider_message_id.as_deref(), Some("wamid.LOST"));
}

#[test]
fn reactions_attach_even_when_they_arrive_first() {
    let mut f = fixture();
    let conv = conversation_with(&mut f, "+447700900123", None);
    f.store.set_reaction(f.account, "wamid.R", "+447700900123", "👍", 2_000).unwrap();
    f.store.insert_message(&inbound(&f, conv, "wamid.R", "nice", 1_000)).unwrap();
    let m = &f.store.messages_page(conv, None, 10).unwrap()[0];
    assert_eq!(m.reactions.len(), 1);
    assert_eq!(m.reactions[0].emoji, "👍");
    f.store.set_reaction(f.account, "wamid.R", "+447700900123", "", 3_000).unwrap();
    assert!(f.store.messages_page(conv, None, 10).unwrap()[0].reactions.is_empty(), "an empty emoji removes the reaction");
}

#[test]
fn messages_are_ordered_by_provider_time_and_paged_by_cursor() {
    let mut f = fixture();
    let conv = conversation_with(&mut f, "+447700900123", None);
    for i in 0..10 {
        f.store.insert_message(&inbound(&f, conv, &format!("wamid.{i}"), &format!("m{i}"), 10_000 - i * 100)).unwrap();
    }
    let newest = f.store.messages_page(conv, None, 4).unwrap();
    let texts: Vec<_> = newest.iter().map(|m| m.text.clone().unwrap()).collect();
    assert_eq!(texts, ["m3", "m2", "m1", "m0"], "oldest first, by provider timestamp not arrival");
    let older = f.store.messages_page(conv, Some(newest[0].id), 4).unwrap();
    let texts: Vec<_> = older.iter().map(|m| m.text.clone().unwrap()).collect();
    assert_eq!(texts, ["m7", "m6", "m5", "m4"]);
    assert_eq!(f.store.conversation(conv).unwrap().last_text.as_deref(), Some("m0"), "the last message is the newest by provider time");
}

#[test]
fn search_folds_diacritics_matches_prefixes_and_orders_by_recency() {
    let mut f = fixture();
    let conv = conversation_with(&mut f, "+4915112345678", Some("Jürgen Müller"));
    f.store.insert_message(&inbound(&f, conv, "a", "Grüße aus München", 1_000)).unwrap();
    f.store.insert_message(&inbound(&f, conv, "b", "Die Bestellung ist unterwegs", 2_000)).unwrap();
    f.store.insert_message(&inbound(&f, conv, "c", "Noch eine Bestellung bitte", 3_000)).unwrap();
    let hits = f.store.search("Munchen", 10).unwrap();
    assert_eq!(hits.len(), 1, "diacritics are folded: Munchen finds München");
    let hits = f.store.search("bestell*", 10).unwrap();
    assert_eq!(
        hits.iter().map(|h| h.snippet.as_str()).collect::<Vec<_>>(),
        ["Noch eine Bestellung bitte", "Die Bestellung ist unterwegs"],
        "prefix match (asked for with *), newest first"
    );
    assert_eq!(f.store.search("bestell", 10).unwrap().len(), 2, "no whole word 'bestell': tried again as a prefix");
    assert_eq!(f.store.search_as_you_type("bestell", 10).unwrap().len(), 2, "as you type, the last word is a prefix");
    let hits = f.store.search("Jurgen", 10).unwrap();
    assert_eq!(hits.len(), 1, "contact names are searched: Jurgen finds Jürgen");
    assert_eq!(hits[0].display_name, "Jürgen Müller");
    assert!(f.store.search("\" OR *", 10).unwrap().is_empty(), "FTS syntax in the query is inert");
}

#[test]
fn search_matches_whole_words_and_prefixes_only_where_asked() {
    let mut f = fixture();
    let conv = conversation_with(&mut f, "+447700900123", Some("Priya Raman"));
    f.store.insert_message(&inbound(&f, conv, "a", "Your order is ready", 1_000)).unwrap();
    f.store.insert_message(&inbound(&f, conv, "b", "Two orders shipped, delivery tomorrow", 2_000)).unwrap();
    f.store.insert_message(&inbound(&f, conv, "c", "Order 4411: delivered", 3_000)).unwrap();
    let ids = |q: &str| f.store.search(q, 10).unwrap().iter().map(|h| h.snippet.clone()).collect::<Vec<_>>();
    assert_eq!(ids("order"), ["Order 4411: delivered", "Your order is ready"], "a whole word, any case, newest first");
    assert_eq!(ids("order*").len(), 3, "a trailing * is a prefix: orders too");
    assert_eq!(ids("deliver*"), ["Order 4411: delivered", "Two orders shipped, delivery tomorrow"]);
    assert_eq!(ids("deliver"), ["Order 4411: delivered", "Two orders shipped, delivery tomorrow"], "no whole word: the last word as a prefix");
    assert!(ids("deliv tomorrow").is_empty(), "only the last word is retried as a prefix");
    assert!(ids("de").is_empty(), "too short to be retried as a prefix");
    assert_eq!(ids("order ready"), ["Your order is ready"], "two words: both required, in any order");
    assert_eq!(ids("ready order"), ["Your order is ready"]);
    assert_eq!(ids("shipped order"), ["Two orders shipped, delivery tomorrow"], "no whole-word match: 'order' as a prefix finds 'orders'");
    assert_eq!(ids("order* shipped"), ["Two orders shipped, delivery tomorrow"]);
    let typed = |q: &str| f.store.search_as_you_type(q, 10).unwrap().len();
    assert_eq!(typed("order deli"), 1, "as you type: whole words, the last one a prefix");
    assert_eq!(typed("order deli "), 0, "a space after the last word makes it whole");
    assert_eq!(typed("Pri"), 1, "contact names match by prefix: Priya's conversation");
    assert_eq!(f.store.search("Pri", 10).unwrap()[0].display_name, "Priya Raman", "names are prefixes in every mode");
}

/// A prefix longer than its index is answered from the indexed start's newest
/// matches checked in a small index, or by the direct query when those are too
/// few: either way exactly what FTS5 answers directly.
#[test]
fn long_prefixes_answer_exactly_what_fts5_does() {
    use wicket_core::search::{Matching, SearchFilter};
    let mut f = fixture();
    let conv = conversation_with(&mut f, "+447700900140", Some("Tom"));
    let other = conversation_with(&mut f, "+447700900141", Some("Ada"));
    let mut ts = 0;
    let mut say = |f: &mut Fixture, conv: i64, text: &str| {
        ts += 1_000;
        f.store.insert_message(&inbound(f, conv, &format!("m{ts}"), text, ts)).unwrap().id()
    };
    // Old, rare words behind a common start: "deli" is mostly "delivery".
    let deliberate = [say(&mut f, conv, "a deliberate choice"), say(&mut f, other, "deliberately late")];
    say(&mut f, conv, "Im Laden in München");
    for i in 0..60 {
        say(&mut f, if i % 2 == 0 { conv } else { other }, &format!("delivery {i} booked"));
    }
    let newest_munchen = say(&mut f, conv, "MÜNCHEN again, delivered");
    // FTS5's own answer: the newest stored matches of the query as written.
    let direct = |f: &Fixture, q: &str, n: i64| -> Vec<i64> {
        let mut stmt = f.store.conn().prepare("SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?1 ORDER BY rowid DESC LIMIT ?2").unwrap();
        stmt.query_map(rusqlite::params![q, n], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    };
    let ids = |f: &Fixture, q: &str, n: usize| -> Vec<i64> { f.store.search(q, n).unwrap().iter().map(|h| h.message_id).collect() };
    for (query, fts, n) in [
        ("deliv*", "\"deliv\"*", 2), // the window holds enough real matches
        ("delivery*", "\"delivery\"*", 3),
        ("delib*", "\"delib\"*", 2), // too few in the window: the direct query
        ("deliberat*", "\"deliberat\"*", 5),
        ("münch*", "\"münch\"*", 2), // diacritics fold the same in the small index
        ("munche*", "\"munche\"*", 5),
        ("booked deliv*", "\"booked\" \"deliv\"*", 4),
        ("zzzzz*", "\"zzzzz\"*", 2),
    ] {
        assert_eq!(ids(&f, query, n), direct(&f, fts, n as i64), "{query}");
    }
    assert_eq!(ids(&f, "delib*", 5), [deliberate[1], deliberate[0]], "the rare word behind a common start is found");
    assert_eq!(ids(&f, "münch*", 5)[0], newest_munchen);
    assert_eq!(ids(&f, "deliberat", 5).len(), 2, "no whole word: the last word as a long prefix");
    let typed = f.store.search_as_you_type("booked deliver", 2).unwrap().iter().map(|h| h.message_id).collect::<Vec<_>>();
    assert_eq!(typed, direct(&f, "\"booked\" \"deliver\"*", 2), "as you type");
    let filtered = |f: &Fixture, q: &str| -> Vec<i64> {
        let filter = SearchFilter { since: Some(3_000), ..Default::default() };
        f.store.search_filtered(q, 3, Matching::Words, &filter).unwrap().iter().map(|h| h.message_id).collect()
    };
    assert!(filtered(&f, "delib*").is_empty(), "the filter applies to long prefixes: the rare words are older");
    assert_eq!(filtered(&f, "deliv*"), direct(&f, "\"deliv\"*", 3));
    assert_eq!(ids(&f, "delib*", 1), [deliberate[1]], "the small index is emptied between searches");
}

#[test]
fn search_folds_diacritics_both_ways_and_orders_by_provider_time() {
    let mut f = fixture();
    let conv = conversation_with(&mut f, "+33612345678", Some("Zoë"));
    // Stored out of order: the provider's time decides, not arrival.
    f.store.insert_message(&inbound(&f, conv, "late", "Le café est prêt", 5_000)).unwrap();
    f.store.insert_message(&inbound(&f, conv, "early", "Un cafe au lait", 1_000)).unwrap();
    f.store.insert_message(&inbound(&f, conv, "mid", "CAFÉ fermé", 3_000)).unwrap();
    for q in ["café", "cafe", "CAFE", "Café"] {
        let hits = f.store.search(q, 10).unwrap();
        assert_eq!(hits.iter().map(|h| h.timestamp).collect::<Vec<_>>(), [5_000, 3_000, 1_000], "{q}: every spelling, newest by provider time");
        assert!(hits.iter().all(|h| h.display_name == "Zoë"));
    }
    assert_eq!(f.store.search("pret", 10).unwrap().len(), 1);
    assert_eq!(f.store.search("ferme cafe", 10).unwrap().len(), 1, "two words with diacritics folded");
    assert_eq!(f.store.search("cafe", 2).unwrap().iter().map(|h| h.timestamp).collect::<Vec<_>>(), [5_000, 3_000], "the limit keeps the newest");
}

#[test]
fn search_follows_edits_and_deletes_in_the_contentless_index() {
    let mut f = fixture();
    let conv = conversation_with(&mut f, "+447700900124", None);
    let id = f.store.insert_message(&inbound(&f, conv, "e", "parcel 4411 crushed", 1_000)).unwrap().id();
    f.store.conn().execute("UPDATE messages SET text = 'parcel 4522 fine' WHERE id = ?1", [id]).unwrap();
    assert!(f.store.search("4411", 10).unwrap().is_empty(), "an edit takes the old words out");
    assert_eq!(f.store.search("4522", 10).unwrap()[0].snippet, "parcel 4522 fine", "the snippet is the message's text now");
    f.store.conn().execute("DELETE FROM messages WHERE id = ?1", [id]).unwrap();
    assert!(f.store.search("parcel", 10).unwrap().is_empty(), "a deleted message leaves search");
    let copies: i64 = f.store.conn().query_row("SELECT count(*) FROM sqlite_master WHERE name = 'messages_fts_content'", [], |r| r.get(0)).unwrap();
    assert_eq!(copies, 0, "the index keeps no copy of the text");
}

#[test]
fn a_store_before_the_contentless_index_is_converted_and_still_searchable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wicket.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        for (i, sql) in MIGRATIONS.iter().take(16).enumerate() {
            conn.execute_batch(sql).unwrap();
            conn.pragma_update(None, "user_version", i as i64 + 1).unwrap();
        }
        conn.execute_batch(
            "INSERT INTO accounts (id, provider, name, created_at, updated_at) VALUES (1, 'meta', 'Old shop', 1, 1);
             INSERT INTO contacts (id, account_id, phone, profile_name, created_at, updated_at) VALUES (1, 1, '+447700900125', 'Jürgen', 1, 1);
             INSERT INTO conversations (id, account_id, contact_id, created_at) VALUES (1, 1, 1, 1);
             INSERT INTO media_files (id, account_id, file_name, created_at) VALUES (1, 1, 'rechnung-77.pdf', 1);
             INSERT INTO messages (account_id, conversation_id, provider_message_id, direction, kind, text, status, timestamp, created_at)
                 VALUES (1, 1, 'w1', 'in', 'text', 'Grüße aus München', 'received', 1000, 1);
             INSERT INTO messages (account_id, conversation_id, provider_message_id, direction, kind, caption, media_id, status, timestamp, created_at)
                 VALUES (1, 1, 'w2', 'in', 'document', 'Ihre Rechnung', 1, 'received', 2000, 1);
             UPDATE conversations SET last_message_id = 2, last_activity_at = 2000;",
        )
        .unwrap();
        let copies: i64 = conn.query_row("SELECT count(*) FROM messages_fts_content", [], |r| r.get(0)).unwrap();
        assert_eq!(copies, 2, "before: the index kept a copy of each text");
    }
    let f = Store::open(&path).unwrap();
    assert_eq!(f.schema_version().unwrap(), latest_version());
    assert_eq!(f.search("munchen", 10).unwrap()[0].snippet, "Grüße aus München", "text indexed before the upgrade is found");
    assert_eq!(f.search("rechnung", 10).unwrap().len(), 1, "captions too");
    assert_eq!(f.search("77", 10).unwrap()[0].snippet, "Ihre Rechnung", "and file names");
    assert_eq!(f.search("Jurgen", 10).unwrap()[0].display_name, "Jürgen");
    let check: rusqlite::Result<usize> = f.conn().execute("INSERT INTO messages_fts(messages_fts, rank) VALUES ('integrity-check', 0)", []);
    assert!(check.is_ok(), "the converted index is consistent: {check:?}");
}

#[test]
fn search_falls_back_to_substring_for_unspaced_scripts() {
    let mut f = fixture();
    let conv = conversation_with(&mut f, "+8613812345678", None);
    f.store.insert_message(&inbound(&f, conv, "z", "我想查询我的订单状态", 1_000)).unwrap();
    f.store.insert_message(&inbound(&f, conv, "t", "ขอบคุณมากครับ", 2_000)).unwrap();
    assert_eq!(f.store.search("订单", 10).unwrap().len(), 1, "a Chinese word inside a sentence is found");
    assert_eq!(f.store.search("คุณ", 10).unwrap().len(), 1, "Thai substring is found");
}

#[test]
fn search_covers_captions_and_file_names() {
    let mut f = fixture();
    let conv = conversation_with(&mut f, "+447700900123", None);
    let media = f
        .store
        .insert_media(&NewMedia { account_id: f.account, file_name: Some("invoice-2041.pdf".into()), state: Some(MediaState::Pending), ..Default::default() })
        .unwrap();
    let m = NewMessage {
        kind: Some(MessageKind::Document),
        text: None,
        caption: Some("Rechnung".into()),
        media_id: Some(media),
        ..inbound(&f, conv, "d", "", 1_000)
    };
    f.store.insert_message(&m).unwrap();
    assert_eq!(f.store.search("invoice", 10).unwrap().len(), 1, "file names are searched");
    assert_eq!(f.store.search("rechnung", 10).unwrap().len(), 1, "captions are searched");
}

#[test]
fn display_names_follow_the_priority() {
    let mut f = fixture();
    let key = ContactKey::phone("+447911123456");
    let c = f.store.upsert_contact(f.account, &key, &ContactUpdate::default()).unwrap();
    assert_eq!(display_name(&c, "GB"), "07911 123456", "number in national format at home");
    assert_eq!(display_name(&c, "US"), "+44 7911 123456", "international abroad");
    let c = f.store.upsert_contact(f.account, &key, &ContactUpdate { company: Some("Acme".into()), ..Default::default() }).unwrap();
    assert_eq!(display_name(&c, "GB"), "Contact from Acme");
    let c = f.store.upsert_contact(f.account, &key, &ContactUpdate { profile_name: Some("priya_r".into()), ..Default::default() }).unwrap();
    assert_eq!(display_name(&c, "GB"), "priya_r");
    let c = f.store.upsert_contact(f.account, &key, &ContactUpdate { saved_name: Some("Priya".into()), ..Default::default() }).unwrap();
    assert_eq!(display_name(&c, "GB"), "Priya");
    let c = f.store.upsert_contact(f.account, &key, &ContactUpdate { verified_name: Some("Priya Ltd".into()), ..Default::default() }).unwrap();
    assert_eq!(display_name(&c, "GB"), "Priya Ltd");
    let opaque = f.store.upsert_contact(f.account, &ContactKey::user_id("GB.1502576394655843"), &ContactUpdate::default()).unwrap();
    assert_eq!(opaque.phone, None, "an opaque id never becomes a fake number");
    assert_eq!(display_name(&opaque, "GB"), "GB.1502576394655843");
}

#[test]
fn a_name_the_owner_typed_survives_provider_syncs() {
    let mut f = fixture();
    let key = ContactKey::phone("+447700900123");
    let c = f.store.upsert_contact(f.account, &key, &ContactUpdate { saved_name: Some("From phone".into()), ..Default::default() }).unwrap();
    f.store.set_contact_name_by_owner(c.id, Some("Priya (bakery)")).unwrap();
    let c = f.store.upsert_contact(f.account, &key, &ContactUpdate { saved_name: Some("Sync name".into()), synced: true, ..Default::default() }).unwrap();
    assert_eq!(c.saved_name.as_deref(), Some("Priya (bakery)"));
    assert!(c.last_synced_at.is_some());
}

#[test]
fn every_list_and_lookup_is_served_by_an_index() {
    let f = fixture();
    let bad =
        |plan: &[String]| plan.iter().any(|l| (l.starts_with("SCAN") && !l.contains("USING") && !l.starts_with("SCAN (subquery")) || l.contains("TEMP B-TREE"));
    let filters = [
        ConversationFilter::default(),
        ConversationFilter { account_id: Some(1), ..Default::default() },
        ConversationFilter { unread_only: true, ..Default::default() },
        ConversationFilter { archived: true, before: Some((false, 5, 5)), ..Default::default() },
        ConversationFilter { account_id: Some(1), before: Some((true, 5, 5)), ..Default::default() },
        ConversationFilter { unread_only: true, before: Some((true, 5, 5)), ..Default::default() },
        ConversationFilter { label: Some("order".into()), ..Default::default() },
        ConversationFilter { snoozed: true, ..Default::default() },
        ConversationFilter { snoozed: true, before: Some((false, 5, 5)), ..Default::default() },
    ];
    for filter in filters {
        let (sql, args) = Store::conversations_query(&filter);
        let plan = f.store.explain(&sql, rusqlite::params_from_iter(args)).unwrap();
        assert!(!bad(&plan), "conversation list {filter:?} must use an index without sorting: {plan:?}");
        assert!(plan.iter().any(|l| l.contains("conversations_recent") || l.contains("conversations_unread")), "the list walks its index in order: {plan:?}");
    }
    for before in [false, true] {
        let plan = f.store.explain(&wicket_core::store::messages::page_query(before), rusqlite::params![1, 1, 1, 50]).unwrap();
        assert!(!bad(&plan), "message page (cursor {before}) must use an index: {plan:?}");
        assert!(plan.iter().any(|l| l.contains("messages_in_conversation")), "message page uses messages_in_conversation: {plan:?}");
    }
    let plan = f.store.explain("SELECT id FROM messages WHERE account_id = ?1 AND provider_message_id = ?2", rusqlite::params![1, "x"]).unwrap();
    assert!(plan.iter().any(|l| l.contains("messages_by_provider_id")), "lookup by provider id: {plan:?}");
    let plan = f.store.explain("SELECT id FROM contacts WHERE account_id = ?1 AND phone = ?2", rusqlite::params![1, "x"]).unwrap();
    assert!(plan.iter().any(|l| l.contains("contacts_by_phone")), "lookup by phone: {plan:?}");
}

/// Fills a store with every kind, every status, reactions and non-ASCII text.
fn rich_store(f: &mut Fixture) {
    let conv = conversation_with(f, "+447700900123", Some("Zoë «Ünïcødé» 王"));
    let kinds = MessageKind::ALL;
    for (i, kind) in kinds.iter().enumerate() {
        let media = f
            .store
            .insert_media(&NewMedia {
                account_id: f.account,
                provider_media_id: Some(format!("m{i}")),
                file_name: Some(format!("fïle-{i}.pdf")),
                mime: Some("application/pdf".into()),
                size: Some(10 + i as i64),
                sha256: Some("ab".repeat(32)),
                state: Some(MediaState::Downloaded),
                path: Some(format!("media/1/{i}.pdf")),
                url: None,
                fetch_info: None,
            })
            .unwrap();
        f.store
            .insert_message(&NewMessage {
                kind: Some(*kind),
                text: Some(format!("نص عربي {i} — emoji 🎉 \"quoted\", comma\nnewline")),
                caption: Some("légende".into()),
                media_id: Some(media),
                location: Some(json!({"latitude": -33.86, "longitude": 151.2, "name": "Sydney"})),
                reply_to_provider_id: (i > 0).then(|| "wamid.0".to_string()),
                ..inbound(f, conv, &format!("wamid.{i}"), "", 1_700_000_000_000 + i as i64 * 1_001)
            })
            .unwrap();
    }
    for (i, st) in MessageStatus::ALL.iter().enumerate() {
        let id = f
            .store
            .insert_message(&NewMessage {
                account_id: f.account,
                conversation_id: conv,
                direction: Some(Direction::Out),
                origin: Some(Origin::App),
                kind: Some(MessageKind::Text),
                text: Some(format!("out {i}")),
                timestamp: Some(1_700_000_100_000 + i as i64),
                provider_message_id: Some(format!("out.{i}")),
                ..Default::default()
            })
            .unwrap()
            .id();
        let err = (*st == MessageStatus::Failed).then(|| ProviderError {
            code: Some("131026".into()),
            kind: ErrorKind::InvalidRecipient,
            message: "not on WhatsApp".into(),
            retry_after: None,
        });
        if *st != MessageStatus::Pending && *st != MessageStatus::Received {
            f.store.set_message_status(id, *st, err.as_ref()).unwrap();
        }
    }
    f.store.set_reaction(f.account, "wamid.1", "+447700900123", "❤️", 1_700_000_200_000).unwrap();
    f.store.set_reaction(f.account, "out.2", "me", "👍", 1_700_000_200_500).unwrap();
    f.store.set_conversation_labels(conv, &["vip".into(), "größe".into()]).unwrap();
    f.store.set_conversation_flags(conv, Some(true), None, None).unwrap();
    // A bulk job: a row still waiting, one skipped with its reason.
    let rows = [
        wicket_core::store::bulk::NewRow {
            row_no: 2,
            phone: Some("+447700900123".into()),
            conversation_id: None,
            content: Some(serde_json::json!({"type": "text", "body": "hi"})),
            skipped: None,
        },
        wicket_core::store::bulk::NewRow {
            row_no: 3,
            phone: Some("+447700900124".into()),
            conversation_id: None,
            content: None,
            skipped: Some("opted out".into()),
        },
    ];
    f.store.insert_bulk_job(f.account, &serde_json::json!({"message": {"type": "text", "body": "hi"}}), "hi", "file list.csv", &rows).unwrap();
}

#[test]
fn json_export_import_export_is_byte_identical() {
    let mut f = fixture();
    rich_store(&mut f);
    let out = tempfile::tempdir().unwrap();
    let first = out.path().join("first.json");
    f.store.export_to(wicket_core::export::Format::Json, &first, None).unwrap();
    let mut fresh = Store::open(&out.path().join("fresh.db")).unwrap();
    fresh.import_from(&first).unwrap();
    let second = out.path().join("second.json");
    fresh.export_to(wicket_core::export::Format::Json, &second, None).unwrap();
    let (a, b) = (std::fs::read(&first).unwrap(), std::fs::read(&second).unwrap());
    assert!(a.len() > 1000, "the export holds the data");
    assert!(a == b, "export → import → export must be byte-identical");
    let s = String::from_utf8(a).unwrap();
    assert!(s.contains("Zoë «Ünïcødé» 王") && s.contains("❤️"), "non-ASCII text and reactions are exported");
    assert!(!s.contains("data_dir_id"), "the data dir id is never exported");
    assert!(s.contains("\"bulk_rows\"") && s.contains("file list.csv"), "bulk jobs are exported with their rows");
    let imported = fresh.search("légende", 100).unwrap();
    assert!(!imported.is_empty(), "imported messages are searchable");
    assert_eq!(fresh.conversations(&ConversationFilter::default()).unwrap()[0].labels, ["größe", "vip"]);
}

#[test]
fn csv_export_import_export_is_byte_identical() {
    let mut f = fixture();
    rich_store(&mut f);
    let out = tempfile::tempdir().unwrap();
    let first = out.path().join("first.csv");
    f.store.export_to(wicket_core::export::Format::Csv, &first, None).unwrap();
    let mut fresh = Store::open(&out.path().join("fresh.db")).unwrap();
    fresh.import_from(&first).unwrap();
    let second = out.path().join("second.csv");
    fresh.export_to(wicket_core::export::Format::Csv, &second, None).unwrap();
    let (a, b) = (std::fs::read(&first).unwrap(), std::fs::read(&second).unwrap());
    assert!(a == b, "CSV export → import → export must be byte-identical");
    let conv = fresh.conversations(&ConversationFilter::default()).unwrap();
    let msgs = fresh.messages_page(conv[0].id, None, 100).unwrap();
    assert_eq!(msgs.len(), MessageKind::ALL.len() + MessageStatus::ALL.len());
    assert!(msgs.iter().any(|m| m.status == MessageStatus::Failed && m.error.as_ref().is_some_and(|e| e.kind == ErrorKind::InvalidRecipient)));
    assert!(msgs.iter().any(|m| !m.reactions.is_empty()), "reactions survive the CSV round trip");
}

#[test]
fn import_refuses_a_data_dir_with_accounts() {
    let mut f = fixture();
    let out = tempfile::tempdir().unwrap();
    let path = out.path().join("e.json");
    f.store.export_to(wicket_core::export::Format::Json, &path, None).unwrap();
    assert!(matches!(f.store.import_from(&path), Err(Error::Invalid(_))));
}

#[test]
fn a_canonical_wa_id_finds_the_contact_the_owner_typed() {
    let mut f = fixture();
    // The owner typed a Brazilian mobile without the ninth digit; Meta reports the canonical id.
    let typed = f
        .store
        .upsert_contact(f.account, &ContactKey::phone("+551187654321"), &ContactUpdate { wa_id: Some("5511987654321".into()), ..Default::default() })
        .unwrap();
    let found = f.store.find_contact(f.account, &ContactKey::phone("+5511987654321")).unwrap().expect("found by wa_id");
    assert_eq!(found.id, typed.id, "inbound messages from the canonical wa_id land in the same conversation");
}

#[test]
fn processes_opening_an_older_file_at_once_migrate_it_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wicket.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
    }
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(4));
    let opened: Vec<_> = (0..4)
        .map(|_| {
            let (path, barrier) = (path.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                Store::open(&path).map(|s| s.schema_version().unwrap())
            })
        })
        .collect();
    for handle in opened {
        let version = handle.join().unwrap().expect("every opener succeeds: one migrates, the others find it done");
        assert_eq!(version, latest_version());
    }
}

#[test]
fn pinned_conversations_come_first_across_pages() {
    let mut f = fixture();
    // Six conversations, activity 1..6 minutes; the two oldest are pinned.
    let ids: Vec<i64> = (1..=6)
        .map(|i| {
            let c = conversation_with(&mut f, &format!("+4477009001{i:02}"), None);
            f.store.insert_message(&inbound(&f, c, &format!("p{i}"), "hi", i * 60_000)).unwrap();
            c
        })
        .collect();
    f.store.set_conversation_flags(ids[0], Some(true), None, None).unwrap();
    f.store.set_conversation_flags(ids[1], Some(true), None, None).unwrap();
    f.store.set_conversation_labels(ids[0], &["order".into()]).unwrap();
    f.store.set_conversation_labels(ids[4], &["order".into(), "vip".into()]).unwrap();
    let mut seen = Vec::new();
    let mut before = None;
    loop {
        let page = f.store.conversations(&ConversationFilter { limit: 4, before, ..Default::default() }).unwrap();
        seen.extend(page.iter().map(|c| c.id));
        match page.last() {
            Some(last) if page.len() == 4 => before = Some((last.pinned, last.last_activity_at.unwrap_or(0), last.id)),
            _ => break,
        }
    }
    assert_eq!(
        seen,
        [ids[1], ids[0], ids[5], ids[4], ids[3], ids[2]],
        "pinned first (most recent first among them), then by activity, one row per conversation across pages"
    );
    let labelled = f.store.conversations(&ConversationFilter { label: Some("order".into()), ..Default::default() }).unwrap();
    assert_eq!(labelled.iter().map(|c| c.id).collect::<Vec<_>>(), [ids[0], ids[4]], "the label filter keeps the pinned order");
    assert_eq!(f.store.conversation_labels().unwrap(), ["order", "vip"]);
}

#[test]
fn search_filters_narrow_by_account_label_time_and_media() {
    use wicket_core::search::{Matching, SearchFilter};
    let mut f = fixture();
    let priya = conversation_with(&mut f, "+447700900131", Some("Priya"));
    let tom = conversation_with(&mut f, "+447700900132", Some("Tom"));
    f.store.set_conversation_labels(tom, &["VIP".to_string()]).unwrap();
    f.store.insert_message(&inbound(&f, priya, "p1", "parcel left at the door", 1_000)).unwrap();
    f.store.insert_message(&inbound(&f, tom, "t1", "parcel arrived", 2_000)).unwrap();
    let media = f
        .store
        .insert_media(&NewMedia { account_id: f.account, file_name: Some("photo.jpg".into()), state: Some(MediaState::Pending), ..Default::default() })
        .unwrap();
    f.store
        .insert_message(&NewMessage {
            kind: Some(MessageKind::Image),
            text: None,
            caption: Some("the parcel, crushed".into()),
            media_id: Some(media),
            ..inbound(&f, priya, "p2", "", 3_000)
        })
        .unwrap();
    let other = f
        .store
        .add_account(&NewAccount {
            provider: Provider::Meta,
            name: "Second".into(),
            phone: Some("+15550102031".into()),
            config: json!({"phone_number_id": "2"}),
        })
        .unwrap()
        .id;
    let c = f.store.upsert_contact(other, &ContactKey::phone("+447700900133"), &ContactUpdate::default()).unwrap();
    let third = f.store.get_or_create_conversation(other, c.id).unwrap();
    f.store.insert_message(&NewMessage { account_id: other, ..inbound(&f, third, "o1", "parcel elsewhere", 4_000) }).unwrap();

    let find =
        |filter: SearchFilter| -> Vec<i64> { f.store.search_filtered("parcel", 50, Matching::Words, &filter).unwrap().iter().map(|h| h.timestamp).collect() };
    assert_eq!(find(SearchFilter::default()), [4_000, 3_000, 2_000, 1_000]);
    assert_eq!(find(SearchFilter { account_id: Some(f.account), ..Default::default() }), [3_000, 2_000, 1_000], "one account");
    assert_eq!(find(SearchFilter { account_id: Some(other), ..Default::default() }), [4_000]);
    assert_eq!(find(SearchFilter { label: Some("VIP".into()), ..Default::default() }), [2_000], "one label");
    assert_eq!(find(SearchFilter { since: Some(2_000), until: Some(4_000), ..Default::default() }), [3_000, 2_000], "from inclusive, until exclusive");
    assert_eq!(find(SearchFilter { has_media: true, ..Default::default() }), [3_000], "media only");
    assert!(find(SearchFilter { has_media: true, label: Some("VIP".into()), ..Default::default() }).is_empty(), "filters combine");
    // A contact's name matches too, filtered like its latest message.
    let by_name = f.store.search_filtered("Tom", 50, Matching::Words, &SearchFilter { account_id: Some(other), ..Default::default() }).unwrap();
    assert!(by_name.is_empty(), "Tom's conversation is on the first account");
}
