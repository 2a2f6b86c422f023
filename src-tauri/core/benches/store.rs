//! The store at a busy shop's size: `cargo bench -p wicket-core --bench store`
//! (`-- --messages N` for another size; default one million).
//!
//! Seeds a real SQLite file (WAL, FTS kept in sync by the store's own insert
//! path, batched in transactions) with N messages over 2,000 conversations,
//! then times what the inbox does all day: the conversation list (first page
//! and a cursor page), a message page by cursor deep in a long conversation,
//! a lookup by provider id (every webhook status does one), and full-text
//! search for a rare and a common word. Each figure is the median of many
//! runs; results go to stdout, to be copied into BENCHMARKS.md.
//! Timings are for a benchmark, never a test: machines here are noisy.

use std::time::{Duration, Instant};
use wicket_core::model::{Direction, MessageKind, Provider};
use wicket_core::store::contacts::{ContactKey, ContactUpdate};
use wicket_core::store::messages::{self, NewMessage};
use wicket_core::store::{ConversationFilter, NewAccount, Store};

const CONVERSATIONS: i64 = 2_000;
const WORDS: &[&str] = &["order", "ready", "pickup", "delivery", "invoice", "thanks", "tomorrow", "price", "size", "colour", "parcel", "shop"];

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

fn time(label: &str, runs: usize, mut f: impl FnMut()) {
    f(); // warm the page cache and the statement cache
    let samples: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    println!("{label:<48} median {:>9.3} ms   (p90 {:>8.3} ms)", median(samples.clone()).as_secs_f64() * 1e3, {
        let mut s = samples;
        s.sort();
        s[s.len() * 9 / 10].as_secs_f64() * 1e3
    });
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: i64 = args.iter().position(|a| a == "--messages").and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut store = Store::open(&dir.path().join("wicket.db")).expect("the store opens");
    let account = store
        .add_account(&NewAccount { provider: Provider::Meta, name: "Bench".into(), phone: None, config: serde_json::json!({"phone_number_id": "1"}) })
        .expect("an account")
        .id;
    let mut conversations = Vec::with_capacity(CONVERSATIONS as usize);
    for c in 0..CONVERSATIONS {
        let phone = format!("+4479111{c:05}");
        let contact = store
            .upsert_contact(account, &ContactKey::phone(&phone), &ContactUpdate { profile_name: Some(format!("Customer {c}")), ..Default::default() })
            .expect("a contact");
        conversations.push(store.get_or_create_conversation(account, contact.id).expect("a conversation"));
    }
    let seeding = Instant::now();
    let start_ts: i64 = 1_700_000_000_000;
    // One conversation in five is long: the message page is timed in the longest.
    let mut i = 0;
    while i < n {
        let batch_end = (i + 10_000).min(n);
        store
            .write(|tx| {
                for k in i..batch_end {
                    let conv = conversations[((k * 7919) % CONVERSATIONS) as usize % if k % 5 == 0 { 1 } else { conversations.len() }];
                    let w = |j: i64| WORDS[((k + j) % WORDS.len() as i64) as usize];
                    let text = format!("{} {} {} number {k}{}", w(0), w(3), w(7), if k % 50_000 == 0 { " zebra" } else { "" });
                    messages::insert(
                        tx,
                        &NewMessage {
                            account_id: account,
                            conversation_id: conv,
                            provider_message_id: Some(format!("wamid.B{k}")),
                            direction: Some(if k % 2 == 0 { Direction::In } else { Direction::Out }),
                            kind: Some(MessageKind::Text),
                            text: Some(text),
                            timestamp: Some(start_ts + k * 1_000),
                            ..Default::default()
                        },
                    )?;
                }
                Ok(())
            })
            .expect("a batch of messages");
        i = batch_end;
    }
    println!("seeded {n} messages in {CONVERSATIONS} conversations in {:.1} s", seeding.elapsed().as_secs_f64());

    let list = ConversationFilter { limit: 50, ..Default::default() };
    time("conversation list, first page (50)", 200, || {
        store.conversations(&list).expect("a list");
    });
    let page = store.conversations(&list).expect("a list");
    let last = page.last().expect("a full page");
    let next = ConversationFilter { limit: 50, before: Some((last.pinned, last.last_activity_at.unwrap_or(0), last.id)), ..Default::default() };
    time("conversation list, next page by cursor (50)", 200, || {
        store.conversations(&next).expect("a page");
    });
    let long = conversations[0];
    let newest = store.messages_page(long, None, 50).expect("a page");
    time("message page, newest (50)", 200, || {
        store.messages_page(long, None, 50).expect("a page");
    });
    let deep = store.messages_page(long, Some(newest[0].id), 50_000).expect("older pages");
    let cursor = deep[deep.len() / 2].id;
    time("message page, older by cursor mid-conversation (50)", 200, || {
        store.messages_page(long, Some(cursor), 50).expect("a page");
    });
    time("lookup by provider message id", 500, || {
        store.message_by_provider_id(account, &format!("wamid.B{}", n / 2)).expect("a lookup");
    });
    time("search, rare word (\"zebra\", 50 hits max)", 50, || {
        store.search("zebra", 50).expect("a search");
    });
    time("search, common word (\"order\", newest 50)", 20, || {
        store.search("order", 50).expect("a search");
    });
    time("search, prefix of a contact name (\"Custom\")", 20, || {
        store.search("Custom", 50).expect("a search");
    });
}
