//! Filling a store: the seeder (the store's own bulk path) beside raw
//! rusqlite inserts of the same rows, in the same run:
//! `cargo bench -p wicket-core --bench seed` (`-- --messages N`; default one
//! million; `--dir D` for where the stores go, default the temp dir).
//!
//! The raw path is the floor: the same account, contacts, conversations,
//! media rows, messages (with their final statuses) and reactions, by plain
//! prepared statements in one transaction, the search index filled by one
//! INSERT … SELECT at the end, and none of the store's rules (no duplicate
//! check, no conversation updates, no waiting statuses or changes). Each
//! store is deleted before the next is made (disk space). Prints both rates
//! and their ratio (the target: the seeder at least half the raw rate).

use rusqlite::{params, Connection};
use std::path::{Path, PathBuf};
use std::time::Instant;
use wicket_core::devseed::{self, Item, Plan, SeedOptions};
use wicket_core::model::{Direction, MessageKind, MessageStatus};
use wicket_core::store::Store;

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

fn remove_store(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_os_string();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}

fn file_size(path: &Path) -> u64 {
    ["", "-wal"]
        .iter()
        .map(|s| {
            let mut p = path.as_os_str().to_os_string();
            p.push(s);
            std::fs::metadata(PathBuf::from(p)).map(|m| m.len()).unwrap_or(0)
        })
        .sum()
}

/// The same rows as the seeder, by plain SQL. Returns the messages written.
fn raw_fill(path: &Path, opts: SeedOptions) -> u64 {
    // The schema comes from the store itself; then a bare connection.
    drop(Store::open(path).expect("the store opens"));
    let mut conn = Connection::open(path).expect("a raw connection");
    conn.pragma_update(None, "journal_mode", "WAL").expect("WAL");
    conn.pragma_update(None, "synchronous", "FULL").expect("FULL");
    let tx = conn.transaction().expect("a transaction");
    tx.execute_batch("DROP TRIGGER messages_fts_insert").expect("the index trigger off");
    tx.execute("INSERT INTO accounts (provider, name, phone, status, config, created_at, updated_at) VALUES ('demo', 'Raw', NULL, 'ok', '{}', 0, 0)", [])
        .expect("an account");
    let account = tx.last_insert_rowid();
    let plan = Plan::new(opts);
    let mut conversations = Vec::with_capacity(plan.conversations());
    {
        let mut contact = tx
            .prepare("INSERT INTO contacts (account_id, phone, wa_id, profile_name, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, 0, 0)")
            .expect("contacts");
        let mut conversation = tx.prepare("INSERT INTO conversations (account_id, contact_id, created_at) VALUES (?1, ?2, 0)").expect("conversations");
        for i in 0..plan.conversations() {
            let (phone, name) = plan.contact(i);
            contact.execute(params![account, phone, phone.trim_start_matches('+'), name]).expect("a contact");
            let id = tx.last_insert_rowid();
            conversation.execute(params![account, id]).expect("a conversation");
            conversations.push(tx.last_insert_rowid());
        }
    }
    let mut written = 0;
    {
        let mut media = tx.prepare("INSERT INTO media_files (account_id, file_name, mime, size, created_at) VALUES (?1, ?2, ?3, ?4, 0)").expect("media");
        let mut message = tx
            .prepare(
                "INSERT INTO messages (account_id, conversation_id, provider_message_id, direction, kind, text, caption, media_id, location, template,
                    status, status_times, timestamp, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13)",
            )
            .expect("messages");
        let mut reaction = tx
            .prepare(
                "INSERT INTO reactions (account_id, target_provider_id, reactor, emoji, timestamp) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (account_id, target_provider_id, reactor) DO UPDATE SET emoji = excluded.emoji, timestamp = excluded.timestamp",
            )
            .expect("reactions");
        for item in plan {
            match item {
                Item::Message { conversation, message: m, media: file, later } => {
                    let media_id = file.map(|f| {
                        media.execute(params![account, f.file_name, f.mime, f.size]).expect("a media row");
                        tx.last_insert_rowid()
                    });
                    let direction = m.direction.unwrap_or(Direction::In);
                    let ts = m.timestamp.unwrap_or(0);
                    let mut status = m.status.unwrap_or(if direction == Direction::In { MessageStatus::Received } else { MessageStatus::Pending });
                    let mut times = serde_json::Map::new();
                    if !matches!(status, MessageStatus::Received | MessageStatus::Pending) {
                        times.insert(status.as_str().into(), ts.into());
                    }
                    for (s, t) in later {
                        times.insert(s.as_str().into(), t.into());
                        status = s;
                    }
                    message
                        .execute(params![
                            account,
                            conversations[conversation],
                            m.provider_message_id,
                            direction.as_str(),
                            m.kind.unwrap_or(MessageKind::Text).as_str(),
                            m.text,
                            m.caption,
                            media_id,
                            m.location.map(|v| v.to_string()),
                            m.template.map(|v| v.to_string()),
                            status.as_str(),
                            serde_json::Value::Object(times).to_string(),
                            ts,
                        ])
                        .expect("a message");
                    written += 1;
                }
                Item::Reaction { target, reactor, emoji, timestamp } => {
                    reaction.execute(params![account, target, reactor, emoji, timestamp]).expect("a reaction");
                }
            }
        }
    }
    // The index in one statement, as the schema's trigger would fill it.
    tx.execute_batch(
        "INSERT INTO messages_fts (rowid, body, file_name)
         SELECT id, trim(coalesce(text, '') || ' ' || coalesce(caption, '')), coalesce((SELECT file_name FROM media_files WHERE id = media_id), '')
         FROM messages ORDER BY id",
    )
    .expect("the index");
    tx.commit().expect("the commit");
    written
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let d = SeedOptions::default();
    let opts = SeedOptions {
        messages: arg(&args, "--messages").and_then(|v| v.parse().ok()).unwrap_or(d.messages),
        conversations: arg(&args, "--conversations").and_then(|v| v.parse().ok()).unwrap_or(d.conversations),
        long_conversations: arg(&args, "--long-conversations").and_then(|v| v.parse().ok()).unwrap_or(d.long_conversations),
        seed: arg(&args, "--seed").and_then(|v| v.parse().ok()).unwrap_or(d.seed),
        ..d
    };
    let dir = tempfile::Builder::new()
        .prefix("wicket-seed-bench")
        .tempdir_in(arg(&args, "--dir").map(PathBuf::from).unwrap_or_else(std::env::temp_dir))
        .expect("a temp dir");
    let loadavg = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "seeding {} messages, {} conversations, {} long ones; load average {}",
        opts.messages,
        opts.conversations,
        opts.long_conversations,
        loadavg.trim()
    );

    let path = dir.path().join("seeded.db");
    let mut store = Store::open(&path).expect("the store opens");
    let t = Instant::now();
    let report = devseed::seed(&mut store, &opts).expect("the seeder");
    let seeded = t.elapsed().as_secs_f64();
    drop(store);
    let seeded_size = file_size(&path);
    remove_store(&path);
    let seeder_rate = report.messages as f64 / seeded;
    println!(
        "seeder (store's bulk path)  {:>9} messages in {seeded:>7.2} s = {seeder_rate:>9.0} messages/s  ({} bytes/message)",
        report.messages,
        seeded_size / report.messages.max(1)
    );

    let path = dir.path().join("raw.db");
    let t = Instant::now();
    let written = raw_fill(&path, opts);
    let raw = t.elapsed().as_secs_f64();
    let raw_size = file_size(&path);
    remove_store(&path);
    let raw_rate = written as f64 / raw;
    println!(
        "raw rusqlite, one transaction {:>7} messages in {raw:>7.2} s = {raw_rate:>9.0} messages/s  ({} bytes/message)",
        written,
        raw_size / written.max(1)
    );
    println!("ratio seeder / raw: {:.2} (target >= 0.5)", seeder_rate / raw_rate);
    println!("load average after: {}", std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim());
}
