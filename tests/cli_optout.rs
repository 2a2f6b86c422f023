//! Opt-out end to end with real processes: a signed Meta webhook saying
//! "STOP" over HTTP to `wicket serve` marks the customer opted out
//! (`wicket contacts`), `wicket send` then refuses (exit 2) unless
//! `--to-opted-out` is given, "START" opts them back in, and the keyword
//! settings are checked when the owner changes them.

#[path = "support/cli.rs"]
mod support;

use serde_json::{json, Value};
use std::io::{Read, Write};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use support::{last_line, now_s, ok_json, sign, stderr, Wicket};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const APP_SECRET: &str = "app-secret-5f1e2d3c4b5a69788796a5b4";
const PNID: &str = "318273645501234";
const WICKET: Wicket = Wicket::vault("opt out passphrase").vars(&[
    ("T_TOKEN", "EAAG-test-access-token-0123456789abcdef"),
    ("T_SECRET", APP_SECRET),
    ("T_VERIFY", "verify-token-abc123xyz"),
]);

fn post_webhook(addr: &str, account: &str, payload: &Value) -> u16 {
    let body = payload.to_string().into_bytes();
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let head = format!(
        "POST /webhooks/meta/{account} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nX-Hub-Signature-256: {}\r\nContent-Length: {}\r\n\r\n",
        sign(APP_SECRET, &body),
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(&body).unwrap();
    let mut resp = String::new();
    let _ = s.read_to_string(&mut resp);
    resp.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0)
}

fn inbound(wamid: &str, text: &str, ts: i64) -> Value {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550102030", "phone_number_id": PNID},
        "contacts": [{"profile": {"name": "Priya Raman"}, "wa_id": "447911123456"}],
        "messages": [{"from": "447911123456", "id": wamid, "timestamp": ts.to_string(), "type": "text", "text": {"body": text}}]}}]}]})
}

fn contact(dir: &Path) -> Value {
    let list = ok_json(&WICKET.run(dir, &["contacts", "--json"]));
    assert_eq!(list.as_array().unwrap().len(), 1, "one contact: {list}");
    list[0].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_over_the_listener_opts_out_and_send_asks_first() {
    let graph = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/v23.0/{PNID}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"display_phone_number": "+1 555-010-2030", "verified_name": "Camden", "id": PNID})))
        .mount(&graph)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v23.0/{PNID}/messages")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"messaging_product": "whatsapp", "messages": [{"id": "wamid.OUT"}]})))
        .mount(&graph)
        .await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let uri = graph.uri();
    tokio::task::spawn_blocking(move || opt_out_round_trip(&dir, &uri)).await.unwrap();
    let sends = graph.received_requests().await.unwrap().iter().filter(|r| r.method.as_str() == "POST" && r.url.path().ends_with("/messages")).count();
    assert_eq!(sends, 2, "only the sends the owner confirmed, and the one after START, reached Meta");
}

fn opt_out_round_trip(dir: &Path, graph: &str) {
    let out = WICKET.add_meta(dir, "Camden", PNID, "WABA1", graph);
    assert!(out.status.success(), "account add failed: {}", stderr(&out));
    let account = last_line(&out);
    let serve = WICKET.serve(dir, &[], Stdio::null()).drained();
    let now = now_s();

    assert_eq!(post_webhook(&serve.addr, &account, &inbound("wamid.HI", "Hello, is my parcel ready?", now - 120)), 200);
    assert_eq!(contact(dir)["opted_out_at"], Value::Null, "an ordinary message does not opt out");

    assert_eq!(post_webhook(&serve.addr, &account, &inbound("wamid.STOP", "STOP", now - 60)), 200);
    let c = contact(dir);
    let since = c["opted_out_at"].as_str().unwrap_or_else(|| panic!("opted out: {c}")).to_string();
    assert!(chrono_like(&since), "RFC 3339: {since}");
    let table = String::from_utf8_lossy(&WICKET.run(dir, &["contacts"]).stdout).to_string();
    assert!(table.contains("OPTED OUT") && table.contains(&format!("since {since}")), "the text output says so: {table}");

    // Meta retries the same webhook: a duplicate, nothing changes.
    assert_eq!(post_webhook(&serve.addr, &account, &inbound("wamid.STOP", "STOP", now - 60)), 200);
    assert_eq!(contact(dir)["opted_out_at"], json!(since));

    // A manual message asks first: refused with exit 2, by number and by conversation.
    let refused = WICKET.run(dir, &["send", "--account", &account, "--to", "+44 7911 123456", "--text", "Your parcel is ready"]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    let why = stderr(&refused);
    assert!(why.contains("opted out") && why.contains("--to-opted-out"), "the error says how to send anyway: {why}");
    let conv = ok_json(&WICKET.run(dir, &["conversations", "--json"]))[0]["id"].as_str().unwrap().to_string();
    let refused = WICKET.run(dir, &["send", "--conversation", &conv, "--text", "Your parcel is ready"]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));

    // The owner confirms.
    let sent =
        ok_json(&WICKET.run(dir, &["send", "--json", "--account", &account, "--to", "+44 7911 123456", "--text", "Your parcel is ready", "--to-opted-out"]));
    assert_eq!(sent["status"], json!("sent"));
    // Sending a message again is a manual message too: it asks first.
    let id = sent["id"].as_str().unwrap().to_string();
    let refused = WICKET.run(dir, &["resend", &id]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("--to-opted-out"), "{}", stderr(&refused));
    let confirmed = WICKET.run(dir, &["resend", &id, "--to-opted-out", "--no-wait"]);
    assert!(!stderr(&confirmed).contains("opted out"), "confirmed, only the outbox's own rules apply: {}", stderr(&confirmed));

    // START opts back in; sending needs no confirmation again.
    assert_eq!(post_webhook(&serve.addr, &account, &inbound("wamid.START", "start", now - 30)), 200);
    assert_eq!(contact(dir)["opted_out_at"], Value::Null);
    let sent = ok_json(&WICKET.run(dir, &["send", "--json", "--conversation", &conv, "--text", "Welcome back"]));
    assert_eq!(sent["status"], json!("sent"));
}

fn chrono_like(s: &str) -> bool {
    s.len() >= 20 && s.as_bytes()[4] == b'-' && s.as_bytes()[10] == b'T'
}

#[test]
fn keyword_settings_are_lists_of_words() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let listed = ok_json(&WICKET.run(dir, &["settings", "list", "--json"]));
    assert!(listed["opt_out_keywords"].as_array().unwrap().contains(&json!("BAJA")), "the defaults are listed: {listed}");
    assert!(listed["opt_in_keywords"].as_array().unwrap().contains(&json!("START")));
    for bad in ["STOP", "[]x", "[1]", "[\"\"]"] {
        let out = WICKET.run(dir, &["settings", "set", "opt_out_keywords", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", stderr(&out));
    }
    let out = WICKET.run(dir, &["settings", "set", "opt_out_keywords", r#"["STOP","Désabonner"]"#]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(ok_json(&WICKET.run(dir, &["settings", "list", "--json"]))["opt_out_keywords"], json!(["STOP", "Désabonner"]));
}
