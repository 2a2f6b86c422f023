//! The store's bulk path and the dev seeder, on real SQLite files: the bulk
//! path leaves exactly the store the one-by-one path would (every table, the
//! search index, search results), a seed always gives the same store, and a
//! data dir with real accounts is refused.

use rusqlite::types::Value as Sql;
use std::collections::BTreeMap;
use wicket_core::devseed::{self, Item, Plan, SeedOptions};
use wicket_core::model::{MessageStatus, Provider};
use wicket_core::store::contacts::{self, ContactKey, ContactUpdate};
use wicket_core::store::messages::{self, NewMessage, StatusUpdate};
use wicket_core::store::{media, message_changes, NewAccount, Store};

/// Columns that say when a row was written, which two runs never share.
fn is_write_time(column: &str) -> bool {
    matches!(column, "created_at" | "updated_at" | "status_since")
}

/// Every table's rows (sorted), write times masked; FTS segment tables are
/// left out (their layout depends on how the index was built, not on what
/// it holds): the FTS tables themselves are compared by content.
fn dump(store: &Store) -> BTreeMap<String, Vec<String>> {
    let conn = store.conn();
    let mut stmt = conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").unwrap();
    let tables: Vec<String> = stmt.query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap();
    let mut out = BTreeMap::new();
    for table in tables {
        if table.ends_with("_data") || table.ends_with("_idx") {
            continue;
        }
        let is_fts = conn.query_row("SELECT sql LIKE 'CREATE VIRTUAL TABLE%' FROM sqlite_master WHERE name = ?1", [&table], |r| r.get::<_, bool>(0)).unwrap();
        let sql = if is_fts { format!("SELECT rowid, * FROM \"{table}\"") } else { format!("SELECT * FROM \"{table}\"") };
        let mut stmt = conn.prepare(&sql).unwrap();
        let names: Vec<String> = stmt.column_names().map(str::to_string).collect();
        let mut rows: Vec<String> = stmt
            .query_map([], |r| {
                Ok(names
                    .iter()
                    .enumerate()
                    .map(|(i, n)| {
                        if is_write_time(n) {
                            format!("{n}=<time>")
                        } else if n == "origin" && table.ends_with("_docsize") {
                            // FTS5's own counter for contentless deletes (like the _data and _idx
                            // structures): it counts index writes, not what was indexed.
                            format!("{n}=<fts5 counter>")
                        } else {
                            format!("{n}={:?}", r.get::<_, Sql>(i).unwrap())
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(" | "))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        rows.sort();
        out.insert(table, rows);
    }
    let mut stmt = conn.prepare("SELECT type || ' ' || name || ': ' || coalesce(sql, '') FROM sqlite_master ORDER BY type, name").unwrap();
    out.insert("(schema)".into(), stmt.query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap());
    out
}

fn assert_same(a: &BTreeMap<String, Vec<String>>, b: &BTreeMap<String, Vec<String>>, why: &str) {
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>(), "{why}: the same tables");
    for (table, rows) in a {
        let other = &b[table];
        assert_eq!(rows.len(), other.len(), "{why}: {table} has as many rows");
        for (x, y) in rows.iter().zip(other) {
            assert_eq!(x, y, "{why}: {table} has the same rows");
        }
    }
}

fn searches(store: &Store) -> Vec<String> {
    ["order", "pedido", "Jurgen", "invoice", "mañana", "IMG", "спасибо", "edited"]
        .iter()
        .map(|q| format!("{q}: {:?}", store.search(q, 50).unwrap().iter().map(|h| (h.message_id, h.snippet.clone())).collect::<Vec<_>>()))
        .collect()
}

/// A store with the seeder's account and contacts, plus changes and a status
/// that arrived before their messages (they must apply on insert).
fn prepared(path: &std::path::Path, plan: &Plan) -> (Store, i64, Vec<i64>) {
    let mut store = Store::open(path).unwrap();
    // Meta: its customer-service window is one of the conversation updates compared.
    let account = store.add_account(&NewAccount { provider: Provider::Meta, name: "Seeded".into(), phone: None, config: serde_json::json!({}) }).unwrap().id;
    let conversations = store
        .write(|tx| {
            let mut ids = vec![];
            for i in 0..plan.conversations() {
                let (phone, name) = plan.contact(i);
                let contact =
                    contacts::upsert(tx, account, &ContactKey::phone(phone), &ContactUpdate { profile_name: Some(name.into()), ..Default::default() })?;
                ids.push(wicket_core::store::conversations::get_or_create(tx, account, contact)?);
            }
            message_changes::edit(tx, account, "wamid.seed3.40", Some("edited before it arrived"), 1_800_000_000_000)?;
            message_changes::delete(tx, account, "wamid.seed3.41", 1_800_000_000_000)?;
            messages::update_status(
                tx,
                &StatusUpdate {
                    account_id: account,
                    provider_message_id: "wamid.seed3.42".into(),
                    wicket_id: None,
                    status: MessageStatus::Failed,
                    timestamp: 1,
                    error: None,
                },
            )?;
            Ok(ids)
        })
        .unwrap();
    (store, account, conversations)
}

/// Feeds the plan to `write_one` (message) and `write_other` (media, statuses, reactions).
fn feed(
    plan: Plan,
    account: i64,
    conversations: &[i64],
    mut insert: impl FnMut(&NewMessage),
    mut other: impl FnMut(&dyn Fn(&rusqlite::Connection) -> i64) -> i64,
) {
    for item in plan {
        match item {
            Item::Message { conversation, mut message, media: file, later } => {
                message.account_id = account;
                message.conversation_id = conversations[conversation];
                if let Some(f) = file {
                    let new = media::NewMedia {
                        account_id: account,
                        file_name: Some(f.file_name),
                        mime: Some(f.mime.into()),
                        size: Some(f.size),
                        ..Default::default()
                    };
                    message.media_id = Some(other(&|c| media::insert(c, &new).unwrap()));
                }
                insert(&message);
                for (status, timestamp) in later {
                    let u = StatusUpdate {
                        account_id: account,
                        provider_message_id: message.provider_message_id.clone().unwrap(),
                        wicket_id: None,
                        status,
                        timestamp,
                        error: None,
                    };
                    other(&|c| {
                        messages::update_status(c, &u).unwrap();
                        0
                    });
                }
            }
            Item::Reaction { target, reactor, emoji, timestamp } => {
                other(&|c| {
                    messages::set_reaction(c, account, &target, &reactor, emoji, timestamp).unwrap();
                    0
                });
            }
        }
    }
}

#[test]
fn the_bulk_path_leaves_exactly_the_store_the_ordinary_path_would() {
    let tmp = tempfile::tempdir().unwrap();
    let opts = SeedOptions { messages: 3_000, conversations: 40, long_conversations: 2, long_size: 600, seed: 3 };

    // One by one, each message in its own transaction, as webhooks store them.
    let (mut one, account, conversations) = prepared(&tmp.path().join("one.db"), &Plan::new(opts));
    let one_cell = std::cell::RefCell::new(&mut one);
    feed(
        Plan::new(opts),
        account,
        &conversations,
        |m| {
            one_cell.borrow_mut().insert_message(m).unwrap();
        },
        |f| one_cell.borrow_mut().write(|tx| Ok(f(tx))).unwrap(),
    );
    // A duplicate changes nothing on either path.
    let dup = NewMessage {
        account_id: account,
        conversation_id: conversations[0],
        provider_message_id: Some("wamid.seed3.7".into()),
        text: Some("again".into()),
        ..Default::default()
    };
    assert!(matches!(one.insert_message(&dup).unwrap(), messages::InsertOutcome::Duplicate(_)));

    // In bulk, small batches so several transactions (and index flushes) happen.
    let (mut bulk, account_b, conversations_b) = prepared(&tmp.path().join("bulk.db"), &Plan::new(opts));
    assert_eq!((account, &conversations), (account_b, &conversations_b));
    {
        let writer = std::cell::RefCell::new(bulk.bulk_writer(700));
        feed(
            Plan::new(opts),
            account,
            &conversations,
            |m| {
                writer.borrow_mut().insert_message(m).unwrap();
            },
            |f| writer.borrow_mut().with_conn_unindexed(|c| Ok(f(c))).unwrap(),
        );
        assert!(matches!(writer.borrow_mut().insert_message(&dup).unwrap(), messages::InsertOutcome::Duplicate(_)), "a duplicate in bulk is one too");
        writer.into_inner().finish().unwrap();
    }

    let (a, b) = (dump(&one), dump(&bulk));
    assert!(a["messages"].len() >= 2_900, "the plan wrote its messages");
    assert!(a["messages"].iter().any(|r| r.contains("edited before it arrived")), "the waiting edit applied");
    assert!(a["pending_statuses"].is_empty() && a["pending_changes"].is_empty(), "nothing waits any more");
    assert!(!a["reactions"].is_empty(), "reactions were written");
    assert!(a["conversations"].iter().all(|r| !r.contains("window_expires_at=Null")), "every conversation has an inbound message and its window");
    assert_same(&a, &b, "bulk vs one by one");
    assert_eq!(searches(&one), searches(&bulk), "search finds the same, in the same order, with the same snippets");
    bulk.conn().execute_batch("INSERT INTO messages_fts(messages_fts) VALUES ('integrity-check')").expect("the bulk-built index is sound");

    // After the bulk path, the ordinary one still indexes (the trigger is back).
    bulk.insert_message(&NewMessage { account_id: account, conversation_id: conversations[1], text: Some("zanzibar afterwards".into()), ..Default::default() })
        .unwrap();
    assert_eq!(bulk.search("zanzibar", 10).unwrap().len(), 1, "the insert trigger was put back");
}

#[test]
fn a_dropped_bulk_writer_rolls_back_and_keeps_the_index_trigger() {
    let tmp = tempfile::tempdir().unwrap();
    let opts = SeedOptions { messages: 50, conversations: 3, long_conversations: 0, long_size: 0, seed: 5 };
    let (mut store, account, conversations) = prepared(&tmp.path().join("w.db"), &Plan::new(opts));
    store
        .write(|tx| {
            let deferral = wicket_core::store::FtsDeferral::begin(tx)?;
            assert!(deferral.is_deferring(), "the schema's index trigger has the shape the bulk path defers (else bulk fills are slow again)");
            deferral.finish(tx)
        })
        .unwrap();
    {
        let mut writer = store.bulk_writer(1_000);
        writer
            .insert_message(&NewMessage { account_id: account, conversation_id: conversations[0], text: Some("never committed".into()), ..Default::default() })
            .unwrap();
    }
    assert!(store.search("committed", 10).unwrap().is_empty(), "the unfinished batch is gone");
    store
        .insert_message(&NewMessage { account_id: account, conversation_id: conversations[0], text: Some("committed later".into()), ..Default::default() })
        .unwrap();
    assert_eq!(store.search("committed", 10).unwrap().len(), 1, "indexing works as before");
}

fn seeded(path: &std::path::Path, opts: &SeedOptions) -> Store {
    let mut store = Store::open(path).unwrap();
    let report = devseed::seed(&mut store, opts).unwrap();
    assert_eq!(report.messages, opts.messages, "every message was written");
    store
}

#[test]
fn one_seed_always_gives_the_same_store_with_a_realistic_mix() {
    let tmp = tempfile::tempdir().unwrap();
    let opts = SeedOptions { messages: 6_000, conversations: 60, long_conversations: 2, long_size: 1_000, seed: 42 };
    let a = seeded(&tmp.path().join("a.db"), &opts);
    let b = seeded(&tmp.path().join("b.db"), &opts);
    assert_same(&dump(&a), &dump(&b), "two runs of seed 42");
    let c = seeded(&tmp.path().join("c.db"), &SeedOptions { seed: 43, ..opts });
    assert_ne!(dump(&a)["messages"], dump(&c)["messages"], "another seed, other messages");

    let conn = a.conn();
    let count = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
    assert_eq!(count("SELECT count(*) FROM conversations"), 60);
    assert_eq!(count("SELECT count(*) FROM accounts WHERE provider = 'demo'"), 1, "under a demo account");
    let longest = count("SELECT max(n) FROM (SELECT count(*) AS n FROM messages GROUP BY conversation_id)");
    assert!((800..=1_200).contains(&longest), "long conversations hold about long_size messages, got {longest}");
    for kind in ["text", "image", "document", "template", "location"] {
        assert!(count(&format!("SELECT count(*) FROM messages WHERE kind = '{kind}'")) > 0, "some {kind} messages");
    }
    let texts = count("SELECT count(*) FROM messages WHERE kind = 'text'");
    assert!(texts * 100 / 6_000 > 80, "mostly texts");
    assert!(count("SELECT count(*) FROM reactions") > 0, "some reactions");
    assert!(
        count("SELECT count(*) FROM messages WHERE json_extract(status_times, '$.delivered') IS NOT NULL AND json_extract(status_times, '$.read') IS NOT NULL")
            > 0,
        "statuses reported later"
    );
    for script in ["ñ", "ü", "заказ", "ا", "你", "こ", "👍"] {
        assert!(count(&format!("SELECT count(*) FROM messages WHERE text LIKE '%{script}%'")) > 0, "some texts in {script}'s script");
    }
    let order = a.search("order", 5_000).unwrap().len();
    assert!(order > 0, "the common word is found");
}

#[test]
fn seeding_refuses_a_data_dir_with_real_accounts() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(&tmp.path().join("real.db")).unwrap();
    store
        .add_account(&NewAccount { provider: Provider::Meta, name: "My shop".into(), phone: None, config: serde_json::json!({"phone_number_id": "1"}) })
        .unwrap();
    let err = devseed::seed(&mut store, &SeedOptions { messages: 10, conversations: 2, ..Default::default() }).unwrap_err();
    assert!(err.to_string().contains("real accounts (My shop (meta))"), "the error names the account: {err}");
    assert_eq!(store.conn().query_row("SELECT count(*) FROM messages", [], |r| r.get::<_, i64>(0)).unwrap(), 0, "nothing was written");
}

/// Meta's import of the app's chats: a chunk of history messages (a media
/// placeholder, its media later in the chunk, an edit between) applied in one
/// go takes the bulk path; event by event it does not. Same store.
#[test]
fn a_history_chunk_in_bulk_leaves_the_store_event_by_event_would() {
    use wicket_core::model::{Direction, MessageKind};
    use wicket_core::providers::{InboundMedia, InboundMessage, ProviderEvent};
    let history = |i: i64, kind: MessageKind, text: Option<&str>, raw: serde_json::Value| {
        let mut m = InboundMessage::new(
            format!("wamid.H{i}"),
            ContactKey::phone(format!("+4477009{:05}", i % 7)),
            if i % 3 == 0 { Direction::Out } else { Direction::In },
            kind,
            1_700_000_000_000 + i * 1_000,
            raw,
        );
        m.text = text.map(str::to_string);
        m.history = true;
        m.status = (i % 3 == 0).then_some(MessageStatus::Read);
        ProviderEvent::Message(m)
    };
    let mut events = vec![];
    for i in 0..40 {
        if i == 5 {
            events.push(history(i, MessageKind::Text, Some(wicket_core::store::history::PLACEHOLDER_TEXT), serde_json::json!({"type": "media_placeholder"})));
        } else {
            events.push(history(i, MessageKind::Text, Some(&format!("history message {i} about the pedido número {i}")), serde_json::json!({"type": "text"})));
        }
        if i == 20 {
            events.push(ProviderEvent::MessageEdited {
                provider_message_id: "wamid.H7".into(),
                text: Some("edited in the chunk".into()),
                timestamp: 1_800_000_000_000,
            });
            let ProviderEvent::Message(mut media) = history(5, MessageKind::Image, None, serde_json::json!({"type": "image"})) else { unreachable!() };
            media.caption = Some("the photo of the receipt".into());
            media.media = Some(InboundMedia {
                provider_media_id: Some("M5".into()),
                file_name: Some("receipt.jpg".into()),
                mime: Some("image/jpeg".into()),
                ..Default::default()
            });
            events.push(ProviderEvent::Message(media));
        }
    }
    let tmp = tempfile::tempdir().unwrap();
    let open = |name: &str| {
        let mut store = Store::open(&tmp.path().join(name)).unwrap();
        let account = store.add_account(&NewAccount { provider: Provider::Meta, name: "Shop".into(), phone: None, config: serde_json::json!({}) }).unwrap().id;
        (store, account)
    };
    let (mut one, account) = open("one.db");
    for e in &events {
        one.write(|tx| wicket_core::ingest::apply(tx, account, std::slice::from_ref(e))).unwrap();
    }
    let (mut bulk, account) = open("bulk.db");
    bulk.write(|tx| wicket_core::ingest::apply(tx, account, &events)).unwrap();
    let (a, b) = (dump(&one), dump(&bulk));
    assert!(a["messages"].iter().any(|r| r.contains("the photo of the receipt")), "the placeholder took its media");
    assert!(a["messages"].iter().any(|r| r.contains("edited in the chunk")), "the edit applied");
    assert_same(&a, &b, "a history chunk in bulk vs event by event");
    assert_eq!(searches(&one), searches(&bulk), "the same search results");
    assert_eq!(bulk.search("receipt", 10).unwrap().len(), 1, "the filled placeholder is found by its new caption");
    bulk.conn().execute_batch("INSERT INTO messages_fts(messages_fts) VALUES ('integrity-check')").expect("the index is sound");
}
