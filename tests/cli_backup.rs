//! `wicket backup` and `wicket contact` as processes over real data dirs:
//! customers' messages arrive over the real listener (signed Meta webhooks)
//! while a backup is taken, the owner's reply goes out through a fake Graph
//! API, and a photo is on disk. The backup is restored into a fresh data dir
//! (counts equal, media and secrets back), a wrong passphrase and a damaged
//! file restore nothing, a store with messages is replaced only with
//! --force; a customer's export is a zip with the JSON index and the photo,
//! and their erase leaves no trace of their words in the database's bytes.

#[path = "support/cli.rs"]
mod support;

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use support::{last_line, now_s, ok_json, post, sign, stderr, Serve, Wicket};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const APP_SECRET: &str = "backup-app-secret-5e6f7a8b9c";
const PNID: &str = "318273645501111";
const BACKUP_PASS: &str = "plum orchard lantern 4471 backup";
const WICKET: Wicket = Wicket::vault("backup vault passphrase").vars(&[
    ("T_TOKEN", "EAAG-backup-token-0123456789"),
    ("T_SECRET", APP_SECRET),
    ("T_VERIFY", "verify-backup"),
    ("BK", BACKUP_PASS),
    ("BAD", "not the passphrase"),
]);
/// Another machine: its own vault passphrase.
const OTHER: Wicket = Wicket::vault("the other machine's vault").vars(&[("BK", BACKUP_PASS), ("BAD", "not the passphrase")]);
const PRIYA: &str = "447911123456";
const OMAR: &str = "447700900123";
/// A word only Priya ever wrote.
const SECRET_WORD: &str = "zanzibarquokka";
const PHOTO: &[u8] = b"\x89PNG\r\n\x1a\n priya's photo of the cake, bytes that must come back exactly";

fn inbound(from: &str, name: &str, id: &str, text: &str, ts: i64) -> Vec<u8> {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA1", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp", "metadata": {"display_phone_number": "15550102030", "phone_number_id": PNID},
        "contacts": [{"profile": {"name": name}, "wa_id": from}],
        "messages": [{"from": from, "id": id, "timestamp": ts.to_string(), "type": "text", "text": {"body": text}}]}}]}]})
    .to_string()
    .into_bytes()
}

async fn graph() -> MockServer {
    let graph = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/v23.0/{PNID}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"display_phone_number": "+1 555-010-2030", "verified_name": "Camden", "id": PNID})))
        .mount(&graph)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v23.0/{PNID}/messages")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"messaging_product": "whatsapp", "messages": [{"id": "wamid.BACKUP_OUT"}]})))
        .mount(&graph)
        .await;
    graph
}

/// A data dir with a Meta account, a running engine, Priya's and Omar's
/// messages, the owner's reply to Priya and Priya's photo on disk.
fn shop(dir: &Path, graph: &str) -> (Serve, String) {
    let out = WICKET.add_meta(dir, "Camden", PNID, "WABA1", graph);
    assert!(out.status.success(), "{}", stderr(&out));
    let account = last_line(&out);
    let serve = WICKET.serve(dir, &[], Stdio::null()).drained();
    let target = format!("/webhooks/meta/{account}");
    let now = now_s();
    for (from, name, id, text) in [
        (PRIYA, "Priya Raman", "wamid.P1", format!("Is my {SECRET_WORD} cake ready?")),
        (OMAR, "Omar Haddad", "wamid.O1", "Do you deliver on Sundays?".to_string()),
    ] {
        let body = inbound(from, name, id, &text, now - 60);
        assert_eq!(post(&serve.addr, &target, ("X-Hub-Signature-256", sign(APP_SECRET, &body)), &body), 200);
    }
    let sent = ok_json(&WICKET.run(dir, &["send", "--json", "--account", &account, "--to", "+44 7911 123456", "--text", "Yes, ready at 4"]));
    assert_eq!(sent["status"], json!("sent"), "{sent}");
    // Priya's photo: a downloaded media file on one of her messages.
    let db = rusqlite::Connection::open(dir.join("wicket.db")).unwrap();
    db.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
    std::fs::create_dir_all(dir.join("media/photos")).unwrap();
    std::fs::write(dir.join("media/photos/cake.png"), PHOTO).unwrap();
    db.execute(
        "INSERT INTO media_files (account_id, path, file_name, mime, size, state, created_at) VALUES (?1, 'media/photos/cake.png', 'cake.png', 'image/png', ?2, 'downloaded', 0)",
        rusqlite::params![account.parse::<i64>().unwrap(), PHOTO.len() as i64],
    )
    .unwrap();
    let media_id = db.last_insert_rowid();
    db.execute("UPDATE messages SET media_id = ?1 WHERE provider_message_id = 'wamid.P1'", [media_id]).unwrap();
    (serve, account)
}

fn count(dir: &Path, sql: &str) -> i64 {
    let db = rusqlite::Connection::open(dir.join("wicket.db")).unwrap();
    db.query_row(sql, [], |r| r.get(0)).unwrap()
}

fn fresh(root: &Path, name: &str) -> PathBuf {
    let d = root.join(name);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_round_trip_while_receiving_wrong_passphrase_and_force() {
    let graph = graph().await;
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    let uri = graph.uri();
    tokio::task::spawn_blocking(move || round_trip(&root, &uri)).await.unwrap();
}

fn round_trip(root: &Path, graph: &str) {
    let a = fresh(root, "a");
    let (mut serve, account) = shop(&a, graph);

    // Customers keep writing while the backup runs.
    let addr = serve.addr.clone();
    let target = format!("/webhooks/meta/{account}");
    let writer = std::thread::spawn(move || {
        for i in 0..40 {
            let body = inbound(OMAR, "Omar Haddad", &format!("wamid.LIVE{i}"), &format!("live message {i}"), now_s());
            assert_eq!(post(&addr, &target, ("X-Hub-Signature-256", sign(APP_SECRET, &body)), &body), 200);
        }
    });
    // A video of a few MB: the backup is sealed in several chunks.
    let video: Vec<u8> = (0..3_500_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    std::fs::write(a.join("media/photos/unboxing.mp4"), &video).unwrap();
    // A quick reply with its file: both come back.
    let price_list = root.join("price-list.pdf");
    std::fs::write(&price_list, b"%PDF-1.4 price list").unwrap();
    let added = WICKET
        .run(&a, &["quick-replies", "add", "--shortcut", "prices", "--text", "Here are our prices, {first_name}", "--file", price_list.to_str().unwrap()]);
    assert!(added.status.success(), "{}", stderr(&added));
    let file = root.join("out/a.wbk");
    let created = ok_json(&WICKET.run(&a, &["--json", "backup", "create", "--out", file.to_str().unwrap(), "--passphrase-env", "BK", "--with-secrets"]));
    writer.join().unwrap();
    let counts = created["manifest"]["counts"].clone();
    assert_eq!(counts["accounts"], json!(1), "{created:#}");
    assert_eq!(counts["media_files"], json!(2));
    assert_eq!(counts["secrets"], json!(3), "token, app secret, verify token: {created:#}");
    let messages_in_backup = counts["messages"].as_i64().unwrap();
    assert!(messages_in_backup >= 3, "{created:#}");
    let bytes = std::fs::read(&file).unwrap();
    assert!(bytes.starts_with(b"WICKETBK"));
    for clear in [SECRET_WORD.as_bytes(), b"EAAG-backup-token", b"SQLite format 3", b"priya's photo"] {
        assert!(!bytes.windows(clear.len()).any(|w| w == clear), "{:?} in clear in the backup", String::from_utf8_lossy(clear));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    }

    // Another machine: a fresh data dir with its own vault.
    let b = fresh(root, "b");
    let restored = ok_json(&OTHER.run(&b, &["--json", "backup", "restore", file.to_str().unwrap(), "--passphrase-env", "BK"]));
    let back = &restored["restored"];
    assert_eq!(back["messages"].as_i64(), Some(messages_in_backup), "{restored:#}");
    for key in ["accounts", "conversations", "media_files", "secrets"] {
        assert_eq!(back[key], counts[key], "{key}: {restored:#}");
    }
    assert_eq!(std::fs::read(b.join("media/photos/cake.png")).unwrap(), PHOTO);
    assert!(std::fs::read(b.join("media/photos/unboxing.mp4")).unwrap() == video, "the large file came back whole");
    let replies = ok_json(&OTHER.run(&b, &["--json", "quick-replies", "list"]));
    assert_eq!(replies[0]["shortcut"], json!("prices"), "{replies}");
    let kept: Vec<_> = std::fs::read_dir(b.join("quick_replies")).unwrap().map(|e| std::fs::read(e.unwrap().path()).unwrap()).collect();
    assert_eq!(kept, vec![b"%PDF-1.4 price list".to_vec()], "the quick reply's file came back");
    assert_eq!(count(&b, "SELECT count(*) FROM messages"), messages_in_backup);
    assert_eq!(count(&b, &format!("SELECT count(*) FROM messages_fts WHERE messages_fts MATCH '{SECRET_WORD}'")), 1, "search works after restore");
    let listed = ok_json(&OTHER.run(&b, &["--json", "messages", "--account", &account, "--with", "+44 7911 123456"]));
    assert!(listed.to_string().contains(SECRET_WORD), "{listed}");
    // The secrets came back into the other machine's vault: the account works there.
    let accounts = ok_json(&OTHER.run(&b, &["--json", "account", "list"]));
    assert_eq!(accounts[0]["name"], json!("Camden"), "{accounts}");
    let reply = OTHER.run(&b, &["--json", "send", "--account", &account, "--to", "+44 7911 123456", "--text", "From the new machine"]);
    assert!(reply.status.success(), "the restored token sends: {}", stderr(&reply));

    // Never under a running engine, even when forced.
    let busy = WICKET.run(&a, &["backup", "restore", file.to_str().unwrap(), "--passphrase-env", "BK", "--force"]);
    assert_eq!(busy.status.code(), Some(2), "{}", stderr(&busy));
    assert!(stderr(&busy).contains("Wicket is running on this data dir"), "{}", stderr(&busy));

    // The engine kept running: everything it received ends up there.
    serve.terminate(std::time::Duration::from_secs(10));
    drop(serve);
    assert!(count(&a, "SELECT count(*) FROM messages") >= messages_in_backup);

    // A wrong passphrase restores nothing.
    let c = fresh(root, "c");
    let wrong = OTHER.run(&c, &["backup", "restore", file.to_str().unwrap(), "--passphrase-env", "BAD"]);
    assert!(!wrong.status.success());
    assert!(stderr(&wrong).contains("passphrase does not open this backup"), "{}", stderr(&wrong));
    assert_eq!(count(&c, "SELECT count(*) FROM messages"), 0);
    assert!(!c.join("media/photos").exists());

    // A damaged file restores nothing either.
    let mut damaged = bytes.clone();
    let at = damaged.len() - 40;
    damaged[at] ^= 0x55;
    let bad = root.join("damaged.wbk");
    std::fs::write(&bad, &damaged).unwrap();
    let refused = OTHER.run(&c, &["backup", "restore", bad.to_str().unwrap(), "--passphrase-env", "BK"]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("damaged"), "{}", stderr(&refused));
    assert_eq!(count(&c, "SELECT count(*) FROM messages"), 0);
    assert!(std::fs::read_dir(&c).unwrap().flatten().all(|e| !e.file_name().to_string_lossy().starts_with(".restore")), "staging cleaned up");

    // A store with messages is replaced only with --force.
    let again = OTHER.run(&b, &["backup", "restore", file.to_str().unwrap(), "--passphrase-env", "BK"]);
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
    assert!(stderr(&again).contains("--force"), "{}", stderr(&again));
    let forced = ok_json(&OTHER.run(&b, &["--json", "backup", "restore", file.to_str().unwrap(), "--passphrase-env", "BK", "--force"]));
    assert_eq!(forced["replaced_messages"].as_i64(), Some(messages_in_backup + 1), "{forced:#}");
    assert_eq!(count(&b, "SELECT count(*) FROM messages"), messages_in_backup, "the message sent after the restore is gone again");

    // Without --with-secrets, no secret leaves the secret store.
    let plain = root.join("plain.wbk");
    let created = ok_json(&WICKET.run(&a, &["--json", "backup", "create", "--out", plain.to_str().unwrap(), "--passphrase-env", "BK"]));
    assert_eq!(created["manifest"]["counts"]["secrets"], json!(0));
    assert!(!WICKET.run(&a, &["backup", "create", "--out", "x.wbk", "--passphrase-env", "UNSET_VAR_FOR_TEST"]).status.success());
    let weak = WICKET.cmd(&a).args(["backup", "create", "--out", "weak.wbk", "--passphrase-env", "WEAK"]).env("WEAK", "password1").output().unwrap();
    assert_eq!(weak.status.code(), Some(2), "{}", stderr(&weak));
    assert!(stderr(&weak).contains("too easy to guess"), "{}", stderr(&weak));
    assert!(!a.join("weak.wbk").exists() && !root.join("weak.wbk").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_backups_are_a_job_listed_and_pruned() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    tokio::task::spawn_blocking(move || scheduled(&dir)).await.unwrap();
}

fn scheduled(dir: &Path) {
    assert!(WICKET.run(dir, &["account", "add", "demo"]).status.success());
    let folder = dir.join("nightly");
    for (k, v) in [("backup_enabled", "true"), ("backup_folder", folder.to_str().unwrap()), ("backup_keep", "2"), ("backup_every_hours", "0.0003")] {
        let out = WICKET.run(dir, &["settings", "set", k, v]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    // On but no passphrase stored: the job fails and says what to do.
    let serve = WICKET.serve(dir, &[], Stdio::null()).drained();
    support::wait_until("the backup job ran", std::time::Duration::from_secs(90), || {
        let jobs = ok_json(&WICKET.run(dir, &["--json", "jobs"]));
        jobs.as_array().unwrap().iter().any(|j| j["name"] == json!("backup") && j["result"] == json!("failed"))
    });
    drop(serve);
    let jobs = ok_json(&WICKET.run(dir, &["--json", "jobs"]));
    let job = jobs.as_array().unwrap().iter().find(|j| j["name"] == json!("backup")).unwrap().clone();
    assert!(job["error"].as_str().unwrap().contains("no backup passphrase"), "{job:#}");
    assert_eq!(job["enabled"], json!(true));

    assert!(WICKET.run(dir, &["backup", "passphrase", "--passphrase-env", "BK"]).status.success());
    let serve = WICKET.serve(dir, &[], Stdio::null()).drained();
    support::wait_until("three scheduled backups, two kept", std::time::Duration::from_secs(120), || {
        let jobs = ok_json(&WICKET.run(dir, &["--json", "jobs"]));
        let job = jobs.as_array().unwrap().iter().find(|j| j["name"] == json!("backup")).cloned().unwrap_or(Value::Null);
        job["result"] == json!("ok") && job["runs"].as_i64().unwrap_or(0) >= 4 && job["failures"].as_i64() == Some(1)
    });
    drop(serve);
    let list = ok_json(&WICKET.run(dir, &["--json", "backup", "list"]));
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2, "keep the last 2: {list:?}");
    assert!(list[0]["name"].as_str().unwrap() > list[1]["name"].as_str().unwrap(), "newest first");
    assert!(list[0]["size"].as_u64().unwrap() > 1000);
    let text = String::from_utf8_lossy(&WICKET.run(dir, &["backup", "list"]).stdout).to_string();
    assert!(text.contains("wicket-backup-"), "{text}");
    // A scheduled backup restores like any other.
    let other = dir.join("restored");
    std::fs::create_dir_all(&other).unwrap();
    let restored = ok_json(&OTHER.run(&other, &["--json", "backup", "restore", list[0]["path"].as_str().unwrap(), "--passphrase-env", "BK"]));
    assert_eq!(restored["restored"]["messages"].as_i64(), Some(count(dir, "SELECT count(*) FROM messages")));
}

/// Every entry of a stored zip: (name, bytes), read from the local headers.
fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut out = vec![];
    let mut at = 0;
    let u16_at = |i: usize| u16::from_le_bytes([bytes[i], bytes[i + 1]]) as usize;
    let u32_at = |i: usize| u32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]) as usize;
    while u32_at(at) == 0x0403_4b50 {
        assert_eq!(u16_at(at + 8), 0, "stored");
        let size = u32_at(at + 18);
        let (name_len, extra) = (u16_at(at + 26), u16_at(at + 28));
        let name = String::from_utf8(bytes[at + 30..at + 30 + name_len].to_vec()).unwrap();
        let start = at + 30 + name_len + extra;
        let data = bytes[start..start + size].to_vec();
        assert_eq!(crc32(&data) as usize, u32_at(at + 14), "crc of {name}");
        out.push((name, data));
        at = start + size;
    }
    assert_eq!(u32_at(at), 0x0201_4b50, "the central directory follows");
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

fn db_bytes(dir: &Path) -> Vec<u8> {
    let mut all = std::fs::read(dir.join("wicket.db")).unwrap();
    if let Ok(wal) = std::fs::read(dir.join("wicket.db-wal")) {
        all.extend(wal);
    }
    all
}

/// Where `needle` is in the database files, to say what an erase missed.
fn wherever(dir: &Path, needle: &str) -> String {
    let mut found = vec![];
    for name in ["wicket.db", "wicket.db-wal"] {
        let bytes = std::fs::read(dir.join(name)).unwrap_or_default();
        for (i, w) in bytes.windows(needle.len()).enumerate() {
            if w == needle.as_bytes() {
                let ctx = String::from_utf8_lossy(&bytes[i.saturating_sub(80)..(i + 80).min(bytes.len())]).to_string();
                found.push(format!("{name} at {i} (page {}): {ctx:?}", i / 4096 + 1));
            }
        }
    }
    found.join("; ")
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customers_export_and_erase() {
    let graph = graph().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let uri = graph.uri();
    tokio::task::spawn_blocking(move || customer(&dir, &uri)).await.unwrap();
}

fn customer(dir: &Path, graph: &str) {
    let (mut serve, _account) = shop(dir, graph);
    serve.terminate(std::time::Duration::from_secs(10));
    drop(serve);

    // Export, naming her by her number as she would write it.
    let zip = dir.join("priya.zip");
    let done = ok_json(&WICKET.run(dir, &["--json", "contact", "export", "+44 (0)7911 123456", "--out", zip.to_str().unwrap()]));
    assert_eq!((done["messages"].as_i64(), done["media_files"].as_i64()), (Some(2), Some(1)), "{done:#}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&zip).unwrap().permissions().mode() & 0o777, 0o600, "a customer's whole history is owner-only");
    }
    let entries = unzip(&std::fs::read(&zip).unwrap());
    assert_eq!(entries[0].0, "index.json");
    let index: Value = serde_json::from_slice(&entries[0].1).unwrap();
    assert_eq!(index["contacts"][0]["phone"], json!("+447911123456"), "{index:#}");
    let directions: Vec<&str> = index["messages"].as_array().unwrap().iter().map(|m| m["direction"].as_str().unwrap()).collect();
    assert_eq!(directions, ["in", "out"]);
    assert!(index.to_string().contains(SECRET_WORD));
    assert!(!index.to_string().contains("Sundays"), "only Priya's messages");
    let photo = entries.iter().find(|(n, _)| n.starts_with("media/") && n.ends_with("cake.png")).expect("the photo in the zip");
    assert_eq!(photo.1, PHOTO);
    assert_eq!(index["media"][0]["file"].as_str(), Some(photo.0.as_str()));

    // Before the erase her words are in the file.
    assert!(contains(&db_bytes(dir), SECRET_WORD));
    let unconfirmed = WICKET.run(dir, &["contact", "erase", PRIYA]);
    assert_eq!(unconfirmed.status.code(), Some(2));
    assert!(contains(&db_bytes(dir), SECRET_WORD));
    let missing = WICKET.run(dir, &["contact", "erase", "+1 202 555 0199", "--yes"]);
    assert_eq!(missing.status.code(), Some(3), "{}", stderr(&missing));

    let erased = ok_json(&WICKET.run(dir, &["--json", "contact", "erase", PRIYA, "--yes"]));
    assert_eq!(erased["contacts"], json!(1), "{erased:#}");
    assert_eq!(erased["messages"], json!(2));
    assert_eq!(erased["media_files"], json!(1));
    assert_eq!(erased["wal_cleared"], json!(true));
    assert!(erased["webhook_events"].as_i64().unwrap() >= 1, "{erased:#}");
    let bytes = db_bytes(dir);
    assert!(!contains(&bytes, SECRET_WORD), "her words are gone from the database file: {}", wherever(dir, SECRET_WORD));
    assert!(!contains(&bytes, "Priya Raman"), "her name too");
    assert!(!contains(&bytes, PRIYA), "and her number");
    assert!(!dir.join("media/photos/cake.png").exists());
    assert_eq!(count(dir, &format!("SELECT count(*) FROM messages_fts WHERE messages_fts MATCH '{SECRET_WORD}'")), 0);
    // Omar is untouched.
    let convs = ok_json(&WICKET.run(dir, &["--json", "conversations"]));
    assert_eq!(convs.as_array().unwrap().len(), 1, "{convs}");
    assert!(contains(&db_bytes(dir), "Sundays"));
    assert_eq!(WICKET.run(dir, &["contact", "export", PRIYA, "--out", "x.zip"]).status.code(), Some(3));

    // While the engine runs (its connection open, polling the store), an erase is as thorough.
    let serve = WICKET.serve(dir, &[], Stdio::null()).drained();
    let erased = ok_json(&WICKET.run(dir, &["--json", "contact", "erase", "+44 7700 900123", "--yes"]));
    assert_eq!((erased["messages"].as_i64(), erased["wal_cleared"].as_bool()), (Some(1), Some(true)), "{erased:#}");
    assert!(!contains(&db_bytes(dir), "Sundays"), "{}", wherever(dir, "Sundays"));
    assert!(!contains(&db_bytes(dir), OMAR), "{}", wherever(dir, OMAR));
    drop(serve);
}
