//! Scheduled sending end to end with real processes and a fake Graph API
//! over HTTP: `wicket send --at` stores a message that `wicket serve` sends
//! at its time, across a kill -9 and a restart of `wicket serve`; cancel;
//! free text whose 24-hour window will be closed by then is refused (a
//! template is fine); one more than 24 hours late is failed with the reason;
//! local times are read in the owner's time zone.

#[path = "support/cli.rs"]
mod support;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use support::{last_line, now_s, ok_json, stderr, wait_until, Wicket};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const PNID: &str = "318273645501234";
const WICKET: Wicket = Wicket::vault("scheduled sends passphrase").vars(&[
    ("T_TOKEN", "EAAG-test-access-token-0123456789abcdef"),
    ("T_SECRET", "app-secret-5f1e2d3c4b5a69788796a5b4"),
    ("T_VERIFY", "verify-token-abc123xyz"),
]);

/// A Graph API that accepts every send (numbered wamids) and lists the templates of the fixture.
async fn graph() -> MockServer {
    let graph = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/v23.0/{PNID}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"display_phone_number": "+1 555-010-2030", "verified_name": "Camden", "id": PNID})))
        .mount(&graph)
        .await;
    let counter = std::sync::atomic::AtomicUsize::new(0);
    Mock::given(method("POST"))
        .and(path(format!("/v23.0/{PNID}/messages")))
        .respond_with(move |_: &Request| {
            let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            ResponseTemplate::new(200).set_body_json(json!({"messaging_product": "whatsapp", "messages": [{"id": format!("wamid.OUT{n}")}]}))
        })
        .mount(&graph)
        .await;
    let templates = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/meta/meta_templates_page1.json"))
        .unwrap()
        .replace("\"next\"", "\"ignored_next\"");
    Mock::given(method("GET"))
        .and(path("/v23.0/WABA1/message_templates"))
        .respond_with(ResponseTemplate::new(200).set_body_string(templates))
        .mount(&graph)
        .await;
    graph
}

/// Bodies of the sends that reached the fake.
async fn sends(graph: &MockServer) -> Vec<Value> {
    graph
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == "POST" && r.url.path().ends_with("/messages"))
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect()
}

/// A Meta account at `graph` whose customer +44 7911 123456 wrote `ago_s` seconds ago; (account, conversation).
fn account_with_customer(dir: &Path, graph: &str, ago_s: i64) -> (String, String) {
    let out = WICKET.add_meta(dir, "Camden", PNID, "WABA1", graph);
    assert!(out.status.success(), "account add failed: {}", stderr(&out));
    let account = last_line(&out);
    use wicket_core::store::contacts::{ContactKey, ContactUpdate};
    let mut store = wicket_core::Store::open(&dir.join("wicket.db")).unwrap();
    let id: i64 = account.parse().unwrap();
    let c = store.upsert_contact(id, &ContactKey::phone("+447911123456"), &ContactUpdate::default()).unwrap();
    let conv = store.get_or_create_conversation(id, c.id).unwrap();
    store
        .insert_message(&wicket_core::store::NewMessage {
            account_id: id,
            conversation_id: conv,
            provider_message_id: Some("wamid.CUSTOMER".into()),
            direction: Some(wicket_core::model::Direction::In),
            kind: Some(wicket_core::model::MessageKind::Text),
            text: Some("hello, is my parcel ready?".into()),
            timestamp: Some((now_s() - ago_s) * 1000),
            ..Default::default()
        })
        .unwrap();
    (account, conv.to_string())
}

fn rfc3339_in(seconds: i64) -> String {
    (Utc::now() + chrono::Duration::seconds(seconds)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn ms(rfc3339: &str) -> i64 {
    DateTime::parse_from_rfc3339(rfc3339).unwrap_or_else(|e| panic!("{rfc3339}: {e}")).timestamp_millis()
}

fn scheduled(dir: &Path, all: bool) -> Vec<Value> {
    let args: &[&str] = if all { &["scheduled", "--all", "--json"] } else { &["scheduled", "--json"] };
    ok_json(&WICKET.run(dir, args)).as_array().unwrap().clone()
}

fn messages(dir: &Path, conversation: &str) -> Vec<Value> {
    ok_json(&WICKET.run(dir, &["messages", "--conversation", conversation, "--json"])).as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduled_message_is_sent_at_its_time_across_a_restart_of_serve() {
    let graph = graph().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let uri = graph.uri();
    let (conversation, send_at) = tokio::task::spawn_blocking({
        let dir = dir.clone();
        move || {
            let (account, conversation) = account_with_customer(&dir, &uri, 60);
            let serve = WICKET.serve(&dir, &[], Stdio::null()).drained();
            let at = rfc3339_in(10);
            let s = ok_json(
                &WICKET.run(&dir, &["send", "--account", &account, "--to", "+44 7911 123456", "--text", "Your parcel is ready", "--at", &at, "--json"]),
            );
            assert_eq!(
                (s["state"].as_str(), s["send_at"].as_str(), s["content"].as_str()),
                (Some("scheduled"), Some(at.as_str()), Some("Your parcel is ready"))
            );
            assert_eq!(s["conversation_id"].as_str(), Some(conversation.as_str()));
            assert_eq!(s["to"].as_str(), Some("+447911123456"));
            assert!(s["created_at"].as_str().is_some() && s["message_id"].is_null(), "{s}");
            // Media goes the same way (a link: nothing to upload first).
            let image = ok_json(&WICKET.run(
                &dir,
                &["send", "--conversation", &conversation, "--image", "https://cdn.example.com/parcel.jpg", "--caption", "Your parcel", "--at", &at, "--json"],
            ));
            assert_eq!(image["content"], json!("[image] Your parcel"));
            // A second one, cancelled: never sent.
            let other = ok_json(&WICKET.run(&dir, &["send", "--conversation", &conversation, "--text", "Never mind", "--at", &at, "--json"]));
            let other_id = other["id"].as_str().unwrap().to_string();
            let cancelled = ok_json(&WICKET.run(&dir, &["scheduled", "cancel", &other_id, "--json"]));
            assert_eq!(cancelled["state"], json!("cancelled"));
            let again = WICKET.run(&dir, &["scheduled", "cancel", &other_id]);
            assert_eq!(again.status.code(), Some(2), "cancelling twice is refused: {}", stderr(&again));
            assert!(stderr(&again).contains("already cancelled"), "{}", stderr(&again));
            assert_eq!(WICKET.run(&dir, &["scheduled", "cancel", "9999"]).status.code(), Some(3), "an unknown id is not found");

            let listed = scheduled(&dir, false);
            assert_eq!(listed.len(), 2, "the list shows what waits, not what was cancelled: {listed:?}");
            assert_eq!((&listed[0]["id"], &listed[1]["id"]), (&s["id"], &image["id"]));
            assert!(messages(&dir, &conversation).iter().all(|m| m["direction"] == json!("in")), "nothing is in the outbox before its time");

            // The engine dies and comes back before the time.
            serve.kill_9();
            let serve = WICKET.serve(&dir, &[], Stdio::null()).drained();
            assert!(Utc::now().timestamp_millis() < ms(&at), "the restart came before its time");
            wait_until("the scheduled message is sent", Duration::from_secs(30), || {
                messages(&dir, &conversation).iter().filter(|m| m["direction"] == json!("out") && m["status"] == json!("sent")).count() == 2
            });
            let all = scheduled(&dir, true);
            let queued = all.iter().find(|x| x["id"] == s["id"]).unwrap();
            assert_eq!(queued["state"], json!("queued"), "{queued}");
            let sent = messages(&dir, &conversation).into_iter().find(|m| m["direction"] == json!("out") && m["kind"] == json!("text")).unwrap();
            assert_eq!(queued["message_id"], sent["id"], "the scheduled message became this outbox message");
            let sent_at = ms(sent["status_times"]["sent"].as_str().unwrap());
            assert!(sent_at >= ms(&at), "not before its time: sent {sent_at}, due {at}");
            // The engine looks every 250 ms; a loaded machine may add a few seconds.
            assert!(sent_at < ms(&at) + 10_000, "at its time, not much later: sent {sent_at}, due {at}");
            assert!(all.iter().any(|x| x["id"].as_str() == Some(other_id.as_str()) && x["state"] == json!("cancelled")));
            // A queued one cannot be cancelled any more.
            let late = WICKET.run(&dir, &["scheduled", "cancel", s["id"].as_str().unwrap()]);
            assert_eq!(late.status.code(), Some(2));
            assert!(stderr(&late).contains("outbox"), "{}", stderr(&late));
            // Another restart sends nothing twice.
            drop(serve);
            let serve = WICKET.serve(&dir, &[], Stdio::null()).drained();
            std::thread::sleep(Duration::from_secs(2));
            drop(serve);
            (conversation, at)
        }
    })
    .await
    .unwrap();
    let bodies = sends(&graph).await;
    assert_eq!(bodies.len(), 2, "each sent once, the cancelled one never: {bodies:?}");
    let text = bodies.iter().find(|b| b["type"] == json!("text")).expect("the text");
    assert_eq!((&text["text"]["body"], &text["to"]), (&json!("Your parcel is ready"), &json!("447911123456")));
    let image = bodies.iter().find(|b| b["type"] == json!("image")).expect("the image");
    assert_eq!((&image["image"]["link"], &image["image"]["caption"]), (&json!("https://cdn.example.com/parcel.jpg"), &json!("Your parcel")));
    let _ = (conversation, send_at);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn free_text_is_refused_when_the_window_will_be_closed_at_its_time() {
    let graph = graph().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let uri = graph.uri();
    tokio::task::spawn_blocking(move || {
        // The customer wrote 23 h 30 min ago: the window closes in 30 minutes.
        let (account, conversation) = account_with_customer(&dir, &uri, 23 * 3600 + 1800);
        let soon = ok_json(&WICKET.run(&dir, &["send", "--conversation", &conversation, "--text", "Your parcel is ready", "--at", &rfc3339_in(600), "--json"]));
        assert_eq!(soon["state"], json!("scheduled"), "ten minutes ahead the window is still open");
        let refused = WICKET.run(&dir, &["send", "--conversation", &conversation, "--text", "Your parcel is ready", "--at", &rfc3339_in(3600)]);
        assert_eq!(refused.status.code(), Some(4), "refused as Meta would refuse it: {}", stderr(&refused));
        let why = stderr(&refused);
        assert!(why.contains("24-hour") && why.contains("template"), "the error says to send a template instead: {why}");
        // An image is free-form too.
        let files = tempfile::tempdir().unwrap();
        let photo = files.path().join("photo.jpg");
        std::fs::write(&photo, b"jpeg bytes").unwrap();
        let refused = WICKET.run(&dir, &["send", "--conversation", &conversation, "--image", photo.to_str().unwrap(), "--at", &rfc3339_in(7200)]);
        assert_eq!(refused.status.code(), Some(4), "{}", stderr(&refused));
        // A template is what may open a conversation: scheduled fine.
        ok_json(&WICKET.run(&dir, &["templates", "--account", &account, "--sync", "--json"]));
        let template = ok_json(&WICKET.run(
            &dir,
            &[
                "send",
                "--account",
                &account,
                "--to",
                "+447911123456",
                "--template",
                "order_ready",
                "--lang",
                "en_US",
                "--header-param",
                "#4521",
                "--param",
                "Priya",
                "--param",
                "#4521",
                "--param",
                "our Camden store",
                "--button-param",
                "1=4521",
                "--at",
                &rfc3339_in(7200),
                "--json",
            ],
        ));
        assert_eq!((template["state"].as_str(), template["content"].as_str()), (Some("scheduled"), Some("[template order_ready (en_US)]")));
        // A template with a parameter missing is refused now, not at its time.
        let bad = WICKET.run(
            &dir,
            &["send", "--conversation", &conversation, "--template", "order_ready", "--lang", "en_US", "--param", "Priya", "--at", &rfc3339_in(7200)],
        );
        assert!(!bad.status.success(), "a template short of parameters is refused when scheduled");
        // A time in the past is refused.
        let past = WICKET.run(&dir, &["send", "--conversation", &conversation, "--text", "hi", "--at", &rfc3339_in(-60)]);
        assert_eq!(past.status.code(), Some(2), "{}", stderr(&past));
        assert!(stderr(&past).contains("in the past"), "{}", stderr(&past));
        assert_eq!(scheduled(&dir, false).len(), 2, "only the accepted ones are stored");
    })
    .await
    .unwrap();
    assert!(sends(&graph).await.is_empty(), "scheduling sends nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_more_than_a_day_late_is_failed_with_the_reason_and_a_later_one_is_sent() {
    let graph = graph().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let uri = graph.uri();
    tokio::task::spawn_blocking(move || {
        let (_, conversation) = account_with_customer(&dir, &uri, 60);
        let stale = ok_json(&WICKET.run(&dir, &["send", "--conversation", &conversation, "--text", "Happy birthday!", "--at", &rfc3339_in(3600), "--json"]));
        let late =
            ok_json(&WICKET.run(&dir, &["send", "--conversation", &conversation, "--text", "Your parcel is ready", "--at", &rfc3339_in(1800), "--json"]));
        // The computer was off: one's time passed 25 hours ago, the other's 2 hours ago.
        {
            let conn = rusqlite::Connection::open(dir.join("wicket.db")).unwrap();
            let now = now_s() * 1000;
            for (id, at) in [(&stale["id"], now - 25 * 3600 * 1000), (&late["id"], now - 2 * 3600 * 1000)] {
                conn.execute("UPDATE scheduled_messages SET send_at = ?2 WHERE id = ?1", rusqlite::params![id.as_str().unwrap().parse::<i64>().unwrap(), at])
                    .unwrap();
            }
        }
        let serve = WICKET.serve(&dir, &[], Stdio::null()).drained();
        wait_until("both are settled", Duration::from_secs(30), || {
            let out = messages(&dir, &conversation);
            out.iter().filter(|m| m["direction"] == json!("out") && (m["status"] == json!("sent") || m["status"] == json!("failed"))).count() == 2
        });
        drop(serve);
        let listed = scheduled(&dir, false);
        assert_eq!(listed.len(), 1, "the failed one stays in the list, the sent one leaves it: {listed:?}");
        let failed = &listed[0];
        assert_eq!((&failed["id"], failed["state"].as_str()), (&stale["id"], Some("failed")));
        let why = failed["error"].as_str().unwrap();
        assert!(why.contains("more than 24 hours late"), "the reason: {why}");
        let out = messages(&dir, &conversation);
        let failed_message = out.iter().find(|m| Some(&m["id"]) == Some(&failed["message_id"])).expect("the failed message is in the chat");
        assert_eq!(failed_message["status"], json!("failed"));
        assert_eq!(failed_message["text"], json!("Happy birthday!"));
        assert!(failed_message["error"]["message"].as_str().unwrap().contains("more than 24 hours late"), "{failed_message}");
        assert!(out.iter().any(|m| m["text"] == json!("Your parcel is ready") && m["status"] == json!("sent")), "two hours late is still sent");
    })
    .await
    .unwrap();
    let bodies = sends(&graph).await;
    assert_eq!(bodies.len(), 1, "only the one within a day went out: {bodies:?}");
    assert_eq!(bodies[0]["text"]["body"], json!("Your parcel is ready"));
}

#[test]
fn local_times_are_read_in_the_owners_time_zone() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let out = WICKET.run(dir, &["account", "add", "demo"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let account = last_line(&out);
    let bad = WICKET.run(dir, &["settings", "set", "time_zone", "Mars/Olympus"]);
    assert_eq!(bad.status.code(), Some(2), "an unknown zone is refused: {}", stderr(&bad));
    assert!(WICKET.run(dir, &["settings", "set", "time_zone", "Asia/Kolkata"]).status.success());
    let send_at = |at: &str| WICKET.run(dir, &["send", "--account", &account, "--to", "+447911123456", "--text", "Namaste", "--at", at, "--json"]);
    let out = send_at("2030-01-15 09:00");
    assert!(stderr(&out).contains("no engine runs now"), "the owner is told it needs an engine: {}", stderr(&out));
    let s = ok_json(&out);
    assert_eq!(s["send_at"], json!("2030-01-15T03:30:00Z"), "09:00 in Kolkata is 03:30 UTC");
    assert!(WICKET.run(dir, &["settings", "set", "time_zone", "America/New_York"]).status.success());
    let s = ok_json(&send_at("2030-07-04T09:00"));
    assert_eq!(s["send_at"], json!("2030-07-04T13:00:00Z"), "09:00 EDT is 13:00 UTC");
    let s = ok_json(&send_at("2030-07-04T09:00:00+02:00"));
    assert_eq!(s["send_at"], json!("2030-07-04T07:00:00Z"), "RFC 3339 keeps its own offset");
    for bad in ["tomorrow at nine", "2030-02-30 09:00", "09:00"] {
        let out = send_at(bad);
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", stderr(&out));
        assert!(stderr(&out).contains("YYYY-MM-DD HH:MM"), "the error shows the forms: {}", stderr(&out));
    }
    let table = String::from_utf8_lossy(&WICKET.run(dir, &["scheduled"]).stdout).to_string();
    assert!(table.contains("2030-01-15T03:30:00Z") && table.contains("Namaste"), "{table}");
}
