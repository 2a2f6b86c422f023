//! Data hygiene and storage faults with `wicket` as real processes: a whole
//! Meta round trip (a customer's message in, a reply out, against a fake
//! Graph API on loopback) leaves logs without a secret or a message's text
//! and every file owner-only; a data dir that is a file, a truncated vault
//! and a damaged database each stop `wicket` with what to do, and lose
//! nothing that was acknowledged.

#[path = "support/cli.rs"]
mod support;

use serde_json::{json, Value};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;
use support::{files_under, last_line, now_s, ok_json, sign, stderr, Wicket};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "EAAG-hygiene-token-4c1d9e8f7a6b5c4d";
const APP_SECRET: &str = "app-secret-hygiene-0f9e8d7c6b5a";
const VERIFY: &str = "verify-hygiene-token-77aa";
const PASSPHRASE: &str = "hygiene passphrase 3141";
const PNID: &str = "318273645501234";
const INBOUND_TEXT: &str = "Parcel for Flat 4B, the code is 8841-Zephyr";
const OUTBOUND_TEXT: &str = "Left with your neighbour Mrs Okonkwo-Bramble";

// RUST_LOG removed: the default level, what an owner's logs hold.
const WICKET: Wicket = Wicket::vault(PASSPHRASE).vars(&[("T_TOKEN", TOKEN), ("T_SECRET", APP_SECRET), ("T_VERIFY", VERIFY)]).unset(&["RUST_LOG"]);

fn post(addr: &str, target: &str, body: &[u8]) -> u16 {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let head = format!(
        "POST {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nX-Hub-Signature-256: {}\r\nContent-Length: {}\r\n\r\n",
        sign(APP_SECRET, body),
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut resp = Vec::new();
    let _ = s.read_to_end(&mut resp);
    String::from_utf8_lossy(&resp).split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0)
}

fn inbound(wamid: &str, text: &str) -> Value {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550102030", "phone_number_id": PNID},
        "contacts": [{"profile": {"name": "Priya Raman"}, "wa_id": "447911123456"}],
        "messages": [{"from": "447911123456", "id": wamid, "timestamp": (now_s() - 30).to_string(), "type": "text", "text": {"body": text}}]}}]}]})
}

fn add_meta(dir: &Path, graph: &str) -> String {
    let out = WICKET.add_meta(dir, "Camden", PNID, "WABA1", graph);
    assert!(out.status.success(), "account add failed: {}", stderr(&out));
    last_line(&out)
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

async fn fake_graph() -> MockServer {
    let graph = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/v23.0/{PNID}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "display_phone_number": "+1 555-010-2030", "verified_name": "Camden Parcel Co", "quality_rating": "GREEN", "id": PNID})))
        .mount(&graph)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v23.0/{PNID}/messages")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "messaging_product": "whatsapp", "contacts": [{"input": "+447911123456", "wa_id": "447911123456"}], "messages": [{"id": "wamid.OUT1"}]})))
        .mount(&graph)
        .await;
    graph
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_run_logs_no_secret_and_no_message_text_and_keeps_every_file_private() {
    let graph = fake_graph().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let uri = graph.uri();
    let d = dir.clone();
    tokio::task::spawn_blocking(move || {
        let account = add_meta(&d, &uri);
        let mut serve = WICKET.serve(&d, &[], Stdio::null());
        assert_eq!(post(&serve.addr, &format!("/webhooks/meta/{account}"), inbound("wamid.IN1", INBOUND_TEXT).to_string().as_bytes()), 200);
        let sent = ok_json(&WICKET.run(&d, &["send", "--json", "--account", &account, "--to", "+44 7911 123456", "--text", OUTBOUND_TEXT]));
        assert_eq!(sent["status"], json!("sent"));
        let msgs = ok_json(&WICKET.run(&d, &["messages", "--account", &account, "--with", "+447911123456", "--json"]));
        let texts: Vec<&str> = msgs.as_array().unwrap().iter().filter_map(|m| m["text"].as_str()).collect();
        assert_eq!(texts, vec![INBOUND_TEXT, OUTBOUND_TEXT], "the message went both ways");
        let export = d.join("export.json");
        assert!(WICKET.run(&d, &["export", "--format", "json", "--out", export.to_str().unwrap()]).status.success());
        serve.terminate(Duration::from_secs(20));
    })
    .await
    .unwrap();

    let logs = files_under(&dir.join("logs"));
    assert!(logs.iter().any(|f| f.file_name().unwrap().to_string_lossy().starts_with("wicket.log.")), "{logs:?}");
    let all: Vec<u8> = logs.iter().flat_map(|f| std::fs::read(f).unwrap()).collect();
    assert!(all.len() > 100, "the run logged something: {}", String::from_utf8_lossy(&all));
    for needle in [TOKEN, APP_SECRET, VERIFY, PASSPHRASE, INBOUND_TEXT, OUTBOUND_TEXT, "8841-Zephyr", "Okonkwo-Bramble"] {
        assert!(!all.windows(needle.len()).any(|w| w == needle.as_bytes()), "the logs contain {needle:?}:\n{}", String::from_utf8_lossy(&all));
    }

    #[cfg(unix)]
    {
        for d in [dir.clone(), dir.join("logs"), dir.join("media")] {
            assert_eq!(mode(&d), 0o700, "{}", d.display());
        }
        let files = files_under(&dir);
        let names: Vec<String> = files.iter().map(|f| f.file_name().unwrap().to_string_lossy().into_owned()).collect();
        for want in ["wicket.db", "secrets.vault", "export.json", "engine.lock"] {
            assert!(names.iter().any(|n| n == want), "{want} in {names:?}");
        }
        assert!(names.iter().any(|n| n.starts_with("wicket.log.")), "{names:?}");
        for f in &files {
            assert_eq!(mode(f), 0o600, "{} is the owner's only", f.display());
        }
    }
}

#[test]
fn a_data_dir_that_is_a_file_stops_wicket_with_what_to_do() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("data");
    std::fs::write(&file, b"owner's notes").unwrap();
    let out = WICKET.run(&file, &["conversations", "--json"]);
    assert!(!out.status.success());
    let said = stderr(&out);
    assert!(said.contains("is a file, not a folder") && said.contains("--data-dir"), "{said}");
    assert_eq!(std::fs::read(&file).unwrap(), b"owner's notes", "the file is left alone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_vault_stops_what_needs_secrets_with_what_to_do_and_nothing_else() {
    let graph = fake_graph().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let uri = graph.uri();
    tokio::task::spawn_blocking(move || {
        let account = add_meta(&dir, &uri);
        let mut serve = WICKET.serve(&dir, &[], Stdio::null());
        assert_eq!(post(&serve.addr, &format!("/webhooks/meta/{account}"), inbound("wamid.IN1", "before the fault").to_string().as_bytes()), 200);
        serve.terminate(Duration::from_secs(20));

        let vault = dir.join("secrets.vault");
        let full = std::fs::read(&vault).unwrap();
        std::fs::write(&vault, &full[..full.len() / 3]).unwrap();
        let out = WICKET.run(&dir, &["account", "test", &account, "--json"]);
        assert_eq!(out.status.code(), Some(6), "a secrets error: {}", stderr(&out));
        assert!(stderr(&out).contains("not a readable Wicket vault") && stderr(&out).contains("restore it from a backup"), "{}", stderr(&out));
        assert_eq!(std::fs::read(&vault).unwrap(), &full[..full.len() / 3], "never written over");

        // Everything that needs no secret still works, and nothing was lost.
        let msgs = ok_json(&WICKET.run(&dir, &["messages", "--account", &account, "--with", "+447911123456", "--json"]));
        assert_eq!(msgs[0]["text"], json!("before the fault"));
        let conn = rusqlite::Connection::open(dir.join("wicket.db")).unwrap();
        assert_eq!(conn.query_row("PRAGMA integrity_check", [], |r| r.get::<_, String>(0)).unwrap(), "ok");
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_database_stops_wicket_with_what_to_do_and_an_export_brings_everything_back() {
    let graph = fake_graph().await;
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    let uri = graph.uri();
    tokio::task::spawn_blocking(move || {
        let dir = root.join("data");
        let account = add_meta(&dir, &uri);
        let mut serve = WICKET.serve(&dir, &[], Stdio::null());
        for i in 0..3 {
            let body = inbound(&format!("wamid.IN{i}"), &format!("acknowledged {i}")).to_string();
            assert_eq!(post(&serve.addr, &format!("/webhooks/meta/{account}"), body.as_bytes()), 200);
        }
        serve.terminate(Duration::from_secs(20));
        let before = ok_json(&WICKET.run(&dir, &["messages", "--account", &account, "--with", "+447911123456", "--json"]));
        assert_eq!(before.as_array().unwrap().len(), 3);
        let export = root.join("backup.json");
        assert!(WICKET.run(&dir, &["export", "--format", "json", "--out", export.to_str().unwrap()]).status.success());

        let db = dir.join("wicket.db");
        let mut bytes = std::fs::read(&db).unwrap();
        bytes[..100].fill(0xA5);
        std::fs::write(&db, &bytes).unwrap();
        let out = WICKET.run(&dir, &["conversations", "--json"]);
        assert!(!out.status.success());
        let said = stderr(&out);
        assert!(said.contains("damaged") && said.contains("restore wicket.db from a backup") && said.contains("wicket import"), "{said}");
        assert_eq!(std::fs::read(&db).unwrap(), bytes, "the damaged file is left as it was");

        // The owner's way back, as the message says: move it away, import the export.
        std::fs::rename(&db, dir.join("wicket.db.damaged")).unwrap();
        for side in ["wicket.db-wal", "wicket.db-shm"] {
            let _ = std::fs::remove_file(dir.join(side));
        }
        let out = WICKET.run(&dir, &["import", export.to_str().unwrap()]);
        assert!(out.status.success(), "{}", stderr(&out));
        let after = ok_json(&WICKET.run(&dir, &["messages", "--account", &account, "--with", "+447911123456", "--json"]));
        let texts = |v: &Value| v.as_array().unwrap().iter().map(|m| m["text"].clone()).collect::<Vec<_>>();
        assert_eq!(texts(&after), texts(&before), "every message acknowledged before the damage is back");
        let conn = rusqlite::Connection::open(&db).unwrap();
        assert_eq!(conn.query_row("PRAGMA integrity_check", [], |r| r.get::<_, String>(0)).unwrap(), "ok");
    })
    .await
    .unwrap();
}

/// `chattr +i` on paths, undone on drop; `None` where it is not allowed.
struct Immutable(Vec<PathBuf>);

impl Immutable {
    fn set(paths: Vec<PathBuf>) -> Option<Immutable> {
        let mut guard = Immutable(vec![]);
        for p in paths {
            if !Command::new("chattr").arg("+i").arg(&p).status().map(|s| s.success()).unwrap_or(false) {
                return None;
            }
            guard.0.push(p);
        }
        Some(guard)
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        for p in &self.0 {
            let _ = Command::new("chattr").arg("-i").arg(p).status();
        }
    }
}

#[test]
fn a_frozen_data_dir_stops_wicket_with_what_to_do_and_loses_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    assert!(WICKET.run(&dir, &["account", "add", "demo"]).status.success());
    let before = ok_json(&WICKET.run(&dir, &["conversations", "--json"]));
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_file()).collect();
    paths.push(dir.clone());
    let Some(frozen) = Immutable::set(paths) else {
        eprintln!("chattr +i is not available here: the file-in-place test covers a data dir that cannot be written");
        return;
    };
    let out = WICKET.run(&dir, &["send", "--account", "1", "--to", "+447911123456", "--text", "while frozen"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(said.contains("cannot be written") && said.contains("read-write"), "{said}");
    drop(frozen);
    assert_eq!(ok_json(&WICKET.run(&dir, &["conversations", "--json"])), before, "nothing lost, nothing half-written");
    let conn = rusqlite::Connection::open(dir.join("wicket.db")).unwrap();
    assert_eq!(conn.query_row("PRAGMA integrity_check", [], |r| r.get::<_, String>(0)).unwrap(), "ok");
    let sent: i64 = conn.query_row("SELECT count(*) FROM messages WHERE text = 'while frozen'", [], |r| r.get(0)).unwrap();
    assert_eq!(sent, 0);
}
