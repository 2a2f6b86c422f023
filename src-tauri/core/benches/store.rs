//! The store at a busy shop's size (issue 12):
//!
//! ```sh
//! cargo bench -p wicket-core --bench store                              # 100,000 then 1,000,000 messages
//! cargo bench -p wicket-core --bench store -- --messages 100000         # one size (a comma list for several)
//! cargo bench -p wicket-core --bench store -- --fts-options "content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2'"
//! ```
//!
//! For each size, seeds a real SQLite file (WAL, the schema of this build, the
//! search index kept by the store's own triggers) in a temp dir (`TMPDIR`),
//! deleted afterwards: 10,000 conversations with names, labels, drafts and
//! unread counts, and N messages (a tenth of them in one long conversation,
//! 100,000 at a million), a twentieth with a photo and one with a reaction,
//! outbound ones with their statuses, texts in several languages.
//! Then times, through the core's own API, what the inbox does all day,
//! each beside a baseline measured in the same run (bare SQL for the list
//! and pages, bare FTS5 for search, a `LIKE` scan for the rare word), and
//! where the store's bytes go (`dbstat`). Medians and p95s over many runs;
//! results go to stdout, to be copied into BENCHMARKS.md. Timings are for a
//! benchmark, never a test: machines here are noisy.
//!
//! Seeding writes rows with plain SQL in large transactions (the same rows
//! the store's insert path would write for these messages; FTS by its own
//! triggers): this bench measures reading, `wicket dev seed` measures writing.

use rusqlite::params;
use std::time::{Duration, Instant};
use wicket_core::model::Provider;
use wicket_core::store::contacts::{ContactKey, ContactUpdate};
use wicket_core::store::{ConversationFilter, NewAccount, Store};

const CONVERSATIONS: i64 = 10_000;
/// Each message has three of these: each word is in a quarter of all messages.
const WORDS: &[&str] = &["order", "ready", "pickup", "delivery", "invoice", "thanks", "tomorrow", "price", "size", "colour", "parcel", "shop"];
/// And one of these: other languages, some with diacritics.
const OTHER: &[&str] = &["mañana", "pedido", "obrigado", "crème", "Grüße", "merci", "entrega", "señora", "Straße", "café", "grazie", "día", "préparée"];
const START_TS: i64 = 1_700_000_000_000;

struct Stats {
    median: f64,
    p95: f64,
}

fn time(runs: usize, mut f: impl FnMut()) -> Stats {
    f(); // warm the page cache and the statement cache
    let mut samples: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    Stats { median: ms(samples[samples.len() / 2]), p95: ms(samples[(samples.len() * 95 / 100).min(samples.len() - 1)]) }
}

fn row(label: &str, ours: &Stats, base_label: &str, base: &Stats) {
    println!(
        "| {label} | {:.3} | {:.3} | {base_label}: {:.3} / {:.3} | {:.1}x |",
        ours.median,
        ours.p95,
        base.median,
        base.p95,
        ours.median / base.median.max(1e-6)
    );
}

/// One message's text: three common words, one other-language word, a number.
fn text(k: i64) -> String {
    let w = |j: i64| WORDS[((k + j) % WORDS.len() as i64) as usize];
    let o = OTHER[(k * 7 % OTHER.len() as i64) as usize];
    format!("{} {} {} {o} number {k}{}", w(0), w(3), w(7), if k % 50_000 == 777 { " zebra" } else { "" })
}

fn conversation_of(k: i64) -> i64 {
    // One message in ten goes to the long conversation (id 1).
    if k % 10 == 0 {
        1
    } else {
        1 + (k * 7919) % CONVERSATIONS
    }
}

fn seed(store: &mut Store, n: i64) -> i64 {
    let account = store
        .add_account(&NewAccount { provider: Provider::Meta, name: "Bench".into(), phone: None, config: serde_json::json!({"phone_number_id": "1"}) })
        .expect("an account")
        .id;
    for c in 0..CONVERSATIONS {
        let phone = format!("+4479111{c:05}");
        // Every tenth contact has no name: its number is formatted for display.
        let name = (c % 10 != 3).then(|| format!("Customer {c}"));
        let contact =
            store.upsert_contact(account, &ContactKey::phone(&phone), &ContactUpdate { profile_name: name, ..Default::default() }).expect("a contact");
        let conv = store.get_or_create_conversation(account, contact.id).expect("a conversation");
        assert_eq!(conv, c + 1, "conversation ids are 1..=N");
    }
    let seeding = Instant::now();
    let mut k = 0;
    while k < n {
        let end = (k + 50_000).min(n);
        store
            .write(|tx| {
                let mut media = tx.prepare_cached(
                    "INSERT INTO media_files (account_id, provider_media_id, path, file_name, mime, size, state, created_at)
                     VALUES (?1, ?2, ?3, NULL, 'image/jpeg', 84211, 'downloaded', ?4)",
                )?;
                let mut msg = tx.prepare_cached(
                    "INSERT INTO messages (account_id, conversation_id, provider_message_id, direction, origin, kind, text, caption, media_id,
                                           status, status_times, timestamp, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12)",
                )?;
                let mut reaction =
                    tx.prepare_cached("INSERT INTO reactions (account_id, target_provider_id, reactor, emoji, timestamp) VALUES (?1, ?2, ?3, ?4, ?5)")?;
                for k in k..end {
                    let ts = START_TS + k * 1_000;
                    let pid = format!("wamid.B{k}");
                    let inbound = k % 2 == 0;
                    let photo = k % 20 == 7;
                    let media_id = if photo {
                        media.execute(params![account, format!("m{k}"), format!("media/{k}.jpg"), ts])?;
                        Some(tx.last_insert_rowid())
                    } else {
                        None
                    };
                    let (kind, body, caption) = if photo { ("image", None, Some(text(k))) } else { ("text", Some(text(k)), None) };
                    let (status, times) = if inbound {
                        ("received", "{}".to_string())
                    } else {
                        ("read", format!(r#"{{"sent":{},"delivered":{},"read":{}}}"#, ts + 400, ts + 1_900, ts + 60_000))
                    };
                    msg.execute(params![
                        account,
                        conversation_of(k),
                        pid,
                        if inbound { "in" } else { "out" },
                        (!inbound).then_some("app"),
                        kind,
                        body,
                        caption,
                        media_id,
                        status,
                        times,
                        ts
                    ])?;
                    if k % 20 == 3 {
                        reaction.execute(params![account, pid, "+447911100000", "👍", ts + 5_000])?;
                    }
                }
                Ok(())
            })
            .expect("a batch of messages");
        k = end;
    }
    // What the insert path keeps per conversation, set once at the end.
    store
        .write(|tx| {
            tx.execute_batch(
                "UPDATE conversations SET
                    last_message_id = (SELECT id FROM messages WHERE conversation_id = conversations.id ORDER BY timestamp DESC, id DESC LIMIT 1),
                    last_activity_at = coalesce((SELECT max(timestamp) FROM messages WHERE conversation_id = conversations.id), 0),
                    unread_count = id % 4,
                    draft = CASE WHEN id % 9 = 0 THEN 'see you tomorrow' END;
                 INSERT INTO conversation_labels (conversation_id, label) SELECT id, 'vip' FROM conversations WHERE id % 5 = 0;
                 INSERT INTO conversation_labels (conversation_id, label) SELECT id, 'wholesale' FROM conversations WHERE id % 7 = 0;
                 UPDATE conversations SET pinned = 1 WHERE id IN (3, 4);",
            )?;
            Ok(())
        })
        .expect("conversation summaries");
    println!(
        "\nseeded {n} messages in {CONVERSATIONS} conversations in {:.1} s ({:.0} messages/s, plain SQL with the store's triggers)",
        seeding.elapsed().as_secs_f64(),
        n as f64 / seeding.elapsed().as_secs_f64()
    );
    account
}

fn sizes(store: &Store, n: i64) {
    let conn = store.conn();
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)").expect("a checkpoint");
    let file = std::fs::metadata(store.path()).map(|m| m.len()).unwrap_or(0);
    println!("\nstore size: {file} bytes, {:.0} bytes per message (file after a checkpoint)", file as f64 / n as f64);
    // Shadow tables and indexes grouped under what they serve.
    let mut stmt = conn
        .prepare(
            "SELECT CASE WHEN s.name LIKE 'messages_fts%' THEN 'messages_fts (search index)'
                         WHEN m.type = 'index' THEN 'index ' || s.name
                         WHEN s.name LIKE 'sqlite_autoindex_%' THEN 'index ' || s.name
                         ELSE s.name END AS what, sum(s.pgsize)
             FROM dbstat s LEFT JOIN sqlite_master m ON m.name = s.name GROUP BY what ORDER BY 2 DESC LIMIT 12",
        )
        .expect("dbstat is compiled in");
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))).expect("dbstat");
    println!("| where | bytes per message |\n|---|---:|");
    for r in rows {
        let (what, bytes) = r.expect("a dbstat row");
        println!("| {what} | {:.1} |", bytes as f64 / n as f64);
    }
}

/// An experiment (`--fts-options "..."`): the search index rebuilt with
/// other FTS5 options, to weigh size against speed. The index before issue 12
/// was `--fts-options "tokenize = 'unicode61 remove_diacritics 2'"` (it kept a
/// copy of the text); this build's is in migration 17.
fn with_fts_options(store: &mut Store, options: &str) {
    let t = Instant::now();
    store
        .write(|tx| {
            tx.execute_batch(&format!(
                "DROP TABLE messages_fts;
                 CREATE VIRTUAL TABLE messages_fts USING fts5(body, file_name, {options});
                 INSERT INTO messages_fts(rowid, body, file_name)
                     SELECT m.id, trim(coalesce(m.text, '') || ' ' || coalesce(m.caption, '')), coalesce(f.file_name, '')
                     FROM messages m LEFT JOIN media_files f ON f.id = m.media_id;"
            ))?;
            Ok(())
        })
        .expect("the index rebuilt");
    println!("search index rebuilt with {options} in {:.1} s", t.elapsed().as_secs_f64());
}

fn bench(n: i64, fts_options: Option<&str>) -> Vec<(&'static str, f64)> {
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut store = Store::open(&dir.path().join("wicket.db")).expect("the store opens");
    store.set_setting("default_country", &serde_json::json!("GB")).expect("a setting");
    seed(&mut store, n);
    if let Some(options) = fts_options {
        with_fts_options(&mut store, options);
    }
    sizes(&store, n);
    let conn = store.conn();
    let mut out = vec![];

    println!("\n{n} messages | median ms | p95 ms | baseline median / p95 ms | × baseline |\n|---|---:|---:|---|---:|");
    let list = ConversationFilter { limit: 50, ..Default::default() };
    let bare_list = || {
        let mut s = conn
            .prepare_cached(
                "SELECT id, contact_id, last_message_id FROM conversations WHERE archived = 0 ORDER BY pinned DESC, last_activity_at DESC, id DESC LIMIT 50",
            )
            .expect("sql");
        let _: Vec<i64> = s.query_map([], |r| r.get(0)).expect("rows").map(|r| r.expect("a row")).collect();
    };
    let base = time(300, bare_list);
    let ours = time(300, || assert_eq!(store.conversations(&list).expect("a list").len(), 50));
    row("conversation list, first page (50)", &ours, "bare SQL", &base);
    out.push(("list", ours.p95));
    let page = store.conversations(&list).expect("a list");
    let last = page.last().expect("a full page");
    let next = ConversationFilter { limit: 50, before: Some((last.pinned, last.last_activity_at.unwrap_or(0), last.id)), ..Default::default() };
    let ours = time(300, || assert_eq!(store.conversations(&next).expect("a page").len(), 50));
    row("conversation list, next page by cursor (50)", &ours, "bare SQL", &base);
    out.push(("list next", ours.p95));

    let long = 1;
    let bare_page = |before: i64| {
        let mut s = conn
            .prepare_cached(
                "SELECT id, text, status FROM messages WHERE conversation_id = ?1 AND (timestamp, id) < (?2, ?3) ORDER BY timestamp DESC, id DESC LIMIT 50",
            )
            .expect("sql");
        let _: Vec<i64> = s.query_map(params![long, before, i64::MAX], |r| r.get(0)).expect("rows").map(|r| r.expect("a row")).collect();
    };
    let base = time(300, || bare_page(i64::MAX));
    let ours = time(300, || assert_eq!(store.messages_page(long, None, 50).expect("a page").len(), 50));
    row(&format!("open the long conversation ({} messages), newest 50", n / 10), &ours, "bare SQL", &base);
    out.push(("page newest", ours.p95));
    // Scrolling back: cursors spread over the whole conversation.
    let ids: Vec<i64> = {
        let mut s = conn.prepare("SELECT id FROM messages WHERE conversation_id = ?1 ORDER BY timestamp, id").expect("sql");
        s.query_map([long], |r| r.get(0)).expect("rows").map(|r| r.expect("a row")).collect()
    };
    let cursors: Vec<i64> = (1..=50).map(|i| ids[ids.len() * i / 51].max(ids[60])).collect();
    let mut i = 0;
    let ours = time(300, || {
        i += 1;
        assert_eq!(store.messages_page(long, Some(cursors[i % cursors.len()]), 50).expect("a page").len(), 50);
    });
    let mut j = 0;
    let base = time(300, || {
        j += 1;
        bare_page(START_TS + cursors[j % cursors.len()] * 1_000)
    });
    row("older page by cursor, anywhere in it (50)", &ours, "bare SQL", &base);
    out.push(("page older", ours.p95));
    let pid = format!("wamid.B{}", n / 2);
    let ours = time(500, || {
        store.message_by_provider_id(1, &pid).expect("a lookup");
    });
    row("lookup by provider message id", &ours, "same", &ours);

    let bare_fts = |q: &'static str| {
        move || {
            let mut s = conn.prepare_cached("SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?1 ORDER BY rowid DESC LIMIT 50").expect("sql");
            let _: Vec<i64> = s.query_map([q], |r| r.get(0)).expect("rows").map(|r| r.expect("a row")).collect();
        }
    };
    let searches: [(&str, &str, &'static str, &'static str); 6] = [
        ("search, common word (a quarter match): order", "order", "\"order\"", "common"),
        ("search, rare word: zebra", "zebra", "\"zebra\"", "rare"),
        ("search, two words: order delivery", "order delivery", "\"order\" \"delivery\"", "two words"),
        ("search, diacritics folded: manana (mañana)", "manana", "\"manana\"", "diacritics"),
        ("search, prefix asked for: deliv*", "deliv*", "\"deliv\"*", "prefix"),
        ("search, a contact name's prefix: Custom*", "Custom*", "\"Custom\"*", "name prefix"),
    ];
    for (label, query, fts, key) in searches {
        let base = time(100, bare_fts(fts));
        let ours = time(100, || {
            assert!(!store.search(query, 50).expect("a search").is_empty(), "{query} finds something");
        });
        row(label, &ours, "bare FTS5", &base);
        out.push((key, ours.p95));
    }
    for (label, query, fts) in [("search, prefix of 3 asked for: del*", "del*", "\"del\"*"), ("search, prefix of 4 asked for: deli*", "deli*", "\"deli\"*")] {
        let base = time(50, bare_fts(fts));
        let ours = time(50, || {
            assert!(!store.search(query, 50).expect("a search").is_empty(), "{query} finds something");
        });
        row(label, &ours, "bare FTS5", &base);
    }
    let ours = time(100, || {
        store.search_as_you_type("order deli", 50).expect("a search");
    });
    row("search as you type: order deli", &ours, "bare FTS5 \"order\" \"deli\"*", &time(100, bare_fts("\"order\" \"deli\"*")));
    // What every word as a prefix cost (the search before issue 12).
    let before = time(50, bare_fts("\"order\"*"));
    row("before: every word a prefix, \"order\"* (bare FTS5)", &before, "bare FTS5 \"order\"", &time(50, bare_fts("\"order\"")));
    let like = time(5, || {
        let mut s = conn
            .prepare_cached("SELECT id FROM messages WHERE text LIKE '%zebra%' OR caption LIKE '%zebra%' ORDER BY timestamp DESC, id DESC LIMIT 50")
            .expect("sql");
        let _: Vec<i64> = s.query_map([], |r| r.get(0)).expect("rows").map(|r| r.expect("a row")).collect();
    });
    let rare = time(100, || {
        store.search("zebra", 50).expect("a search");
    });
    row("rare word against a LIKE scan", &rare, "LIKE '%zebra%'", &like);
    println!("rare word: {:.0}x faster than the LIKE scan (median)", like.median / rare.median);
    out
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let sizes: Vec<i64> = args
        .iter()
        .position(|a| a == "--messages")
        .and_then(|i| args.get(i + 1))
        .map(|v| v.split(',').filter_map(|s| s.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![100_000, 1_000_000]);
    let fts_options = args.iter().position(|a| a == "--fts-options").and_then(|i| args.get(i + 1)).map(String::as_str);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("load average at start: {}", load.trim());
    let mut results = vec![];
    for n in &sizes {
        results.push((*n, bench(*n, fts_options)));
    }
    if let (Some((small, a)), Some((large, b))) = (results.first(), results.last()) {
        if small != large {
            println!("\np95 at {large} over p95 at {small} messages:");
            for ((key, pa), (_, pb)) in a.iter().zip(b) {
                println!("  {key:<12} {:.2}x", pb / pa);
            }
        }
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("load average at the end: {}", load.trim());
}
