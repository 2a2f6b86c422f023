//! Bulk sending end to end with real processes and a fake Graph API over
//! HTTP: the validation report (a bad number, a missing parameter, a
//! duplicate, an opted-out customer, a closed window for free text) and a
//! dry run that queues nothing; a job of 25 sent by `wicket serve` whose
//! final counts equal what the fake received, with never more than a few
//! bulk messages in the outbox at once; pause, resume and cancel; and a
//! kill -9 of `wicket serve` in the middle of a job, then a restart: no
//! recipient reached twice, none lost.

#[path = "support/cli.rs"]
mod support;

use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;
use support::{last_line, now_s, ok_json, stderr, wait_until, Wicket};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const PNID: &str = "318273645501234";
const WICKET: Wicket = Wicket::vault("bulk sends passphrase").vars(&[
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
            ResponseTemplate::new(200).set_body_json(json!({"messaging_product": "whatsapp", "messages": [{"id": format!("wamid.BULK{n}")}]}))
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

/// How many sends reached the fake, from a blocking test thread.
fn sends_now(graph: &Arc<MockServer>) -> Vec<Value> {
    tokio::runtime::Handle::current().block_on(sends(graph))
}

/// A Meta account at `graph` with its templates synced; its id.
fn account(dir: &Path, graph: &str) -> String {
    let out = WICKET.add_meta(dir, "Camden", PNID, "WABA1", graph);
    assert!(out.status.success(), "account add failed: {}", stderr(&out));
    let account = last_line(&out);
    ok_json(&WICKET.run(dir, &["templates", "--account", &account, "--sync", "--json"]));
    account
}

/// A customer `phone` of `account` who wrote `ago_s` seconds ago; their conversation.
fn customer_wrote(dir: &Path, account: &str, phone: &str, ago_s: i64) -> i64 {
    use wicket_core::store::contacts::{ContactKey, ContactUpdate};
    let mut store = wicket_core::Store::open(&dir.join("wicket.db")).unwrap();
    let id: i64 = account.parse().unwrap();
    let c = store.upsert_contact(id, &ContactKey::phone(phone), &ContactUpdate::default()).unwrap();
    let conv = store.get_or_create_conversation(id, c.id).unwrap();
    store
        .insert_message(&wicket_core::store::NewMessage {
            account_id: id,
            conversation_id: conv,
            provider_message_id: Some(format!("wamid.IN{phone}")),
            direction: Some(wicket_core::model::Direction::In),
            kind: Some(wicket_core::model::MessageKind::Text),
            text: Some("hello".into()),
            timestamp: Some((now_s() - ago_s) * 1000),
            ..Default::default()
        })
        .unwrap();
    conv
}

fn opt_out(dir: &Path, phone: &str) {
    let store = wicket_core::Store::open(&dir.join("wicket.db")).unwrap();
    store.conn().execute("UPDATE contacts SET opted_out_at = ?1 WHERE phone = ?2", rusqlite::params![(now_s() - 60) * 1000, phone]).unwrap();
}

/// Outgoing messages in the store by status.
fn outgoing(dir: &Path) -> BTreeMap<String, i64> {
    let store = wicket_core::Store::open(&dir.join("wicket.db")).unwrap();
    let mut stmt = store.conn().prepare("SELECT status, count(*) FROM messages WHERE direction = 'out' GROUP BY status").unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect()
}

/// A CSV of `n` recipients for the template `order_ready` (header, body 1 and 2, the URL button); body 3 comes from `--param`.
fn recipients_csv(dir: &Path, n: usize) -> String {
    let mut csv = String::from("phone,header.1,1,2,button.1\n");
    for i in 0..n {
        csv.push_str(&format!("+4479111234{i:02},#{i},Customer {i},#{i},{i}\n"));
    }
    let file = dir.join(format!("recipients-{n}.csv"));
    std::fs::write(&file, csv).unwrap();
    file.to_string_lossy().into_owned()
}

fn bulk_send(dir: &Path, account: &str, csv: &str) -> Value {
    ok_json(&WICKET.run(
        dir,
        &["bulk", "send", "--account", account, "--to-file", csv, "--template", "order_ready", "--lang", "en_US", "--param", "3=our Camden store", "--json"],
    ))
}

fn show(dir: &Path, job: &str) -> Value {
    ok_json(&WICKET.run(dir, &["bulk", "show", job, "--json"]))
}

fn set_rate(dir: &Path, account: &str, per_second: &str) {
    let out = WICKET.run(dir, &["account", "set", account, "--max-per-second", per_second]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_checks_every_row_and_a_dry_run_queues_nothing() {
    let graph = graph().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let uri = graph.uri();
    tokio::task::spawn_blocking(move || {
        let account = account(&dir, &uri);
        customer_wrote(&dir, &account, "+447911123405", 3600);
        opt_out(&dir, "+447911123405");
        let csv = dir.join("mixed.csv");
        std::fs::write(
            &csv,
            "phone,header.1,1,2,button.1\n\
             +447911123401,#1,Priya,#1,1\n\
             07911 12ab,#2,Sam,#2,2\n\
             +447911123403,#3,Ann,,3\n\
             +44 7911 123401,#4,Priya again,#4,4\n\
             +447911123405,#5,Stopped,#5,5\n",
        )
        .unwrap();
        let csv = csv.to_string_lossy().into_owned();
        let args = |dry: bool| {
            let mut a = vec!["bulk", "send", "--account", &account, "--to-file", &csv, "--template", "order_ready", "--lang", "en_US"];
            a.extend(["--param", "3=our Camden store", "--json"]);
            if dry {
                a.push("--dry-run");
            }
            a.into_iter().map(str::to_string).collect::<Vec<_>>()
        };
        for dry in [true, false] {
            let out = WICKET.cmd(&dir).args(args(dry)).output().unwrap();
            assert_eq!(out.status.code(), Some(2), "invalid rows: exit 2 (dry run {dry}): {}", stderr(&out));
            assert!(stderr(&out).contains("invalid") && stderr(&out).contains("nothing was queued"), "{}", stderr(&out));
            let report: Value = serde_json::from_slice(&out.stdout).unwrap();
            let rows = report["rows"].as_array().unwrap();
            let outcome = |i: usize| (rows[i]["row"].as_i64().unwrap(), rows[i]["outcome"].as_str().unwrap(), rows[i]["reason"].as_str().unwrap_or_default());
            assert_eq!(outcome(0), (2, "ok", ""), "the spreadsheet's row numbers");
            let preview = rows[0]["preview"].as_str().unwrap();
            assert!(preview.contains("Hi Priya, your order #1 is ready for pickup at our Camden store."), "the common --param fills column 3: {preview}");
            assert!(preview.contains("https://shop.example.com/orders/1"), "{preview}");
            assert_eq!((outcome(1).1, outcome(1).0), ("invalid", 3));
            assert!(outcome(1).2.contains("letters"), "{}", outcome(1).2);
            assert_eq!(outcome(2).1, "invalid");
            assert!(outcome(2).2.contains("missing parameter \"2\""), "{}", outcome(2).2);
            assert_eq!(outcome(3).1, "skipped");
            assert!(outcome(3).2.contains("duplicate") && outcome(3).2.contains("row 2"), "{}", outcome(3).2);
            assert_eq!(outcome(4).1, "skipped");
            assert!(outcome(4).2.contains("opted out"), "{}", outcome(4).2);
            assert_eq!((report["ok"].as_i64(), report["skipped"].as_i64(), report["invalid"].as_i64()), (Some(1), Some(2), Some(2)));
            assert_eq!(report["parameters"], json!(["header.1", "1", "2", "3", "button.1"]));
            assert!(report["job"].is_null(), "no job with invalid rows");
        }
        // Free text: only customers whose window is open; a label picks the conversations.
        let open = customer_wrote(&dir, &account, "+447911123410", 3600);
        let closed = customer_wrote(&dir, &account, "+447911123411", 25 * 3600);
        for (conv, label) in [(open, "VIP"), (closed, "VIP")] {
            let mut store = wicket_core::Store::open(&dir.join("wicket.db")).unwrap();
            store.set_conversation_labels(conv, &[label.to_string()]).unwrap();
        }
        let text_csv = dir.join("text.csv");
        std::fs::write(&text_csv, "phone\n+447911123410\n+447911123411\n+447911123412\n").unwrap();
        let report = ok_json(&WICKET.run(
            &dir,
            &["bulk", "send", "--account", &account, "--to-file", text_csv.to_str().unwrap(), "--text", "We open at 9 tomorrow", "--dry-run", "--json"],
        ));
        let rows = report["rows"].as_array().unwrap();
        assert_eq!(rows.iter().map(|r| r["outcome"].as_str().unwrap()).collect::<Vec<_>>(), ["ok", "skipped", "skipped"]);
        assert!(rows[1]["reason"].as_str().unwrap().contains("window closed"), "{}", rows[1]);
        assert!(rows[2]["reason"].as_str().unwrap().contains("template"), "a number that never wrote: {}", rows[2]);
        assert_eq!(rows[0]["preview"], json!("We open at 9 tomorrow"));
        let by_label = ok_json(&WICKET.run(&dir, &["bulk", "send", "--account", &account, "--label", "VIP", "--text", "We open at 9", "--dry-run", "--json"]));
        let rows = by_label["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 2, "the two labelled conversations: {rows:?}");
        assert_eq!((rows[0]["phone"].as_str(), rows[0]["outcome"].as_str()), (Some("+447911123410"), Some("ok")));
        assert_eq!(rows[1]["outcome"], json!("skipped"));
        assert!(by_label["job"].is_null() && by_label["dry_run"] == json!(true));
        // Nothing was queued or stored by any of it.
        assert!(outgoing(&dir).is_empty(), "no message queued: {:?}", outgoing(&dir));
        assert_eq!(ok_json(&WICKET.run(&dir, &["bulk", "list", "--json"])), json!([]), "no job stored");
        // A template that is not approved is refused as a whole.
        let pending = WICKET.run(&dir, &["bulk", "send", "--account", &account, "--label", "VIP", "--template", "spring_sale", "--lang", "en_US", "--dry-run"]);
        assert_eq!(pending.status.code(), Some(2));
        assert!(stderr(&pending).contains("not APPROVED"), "{}", stderr(&pending));
    })
    .await
    .unwrap();
    assert!(sends(&graph).await.is_empty(), "checking sends nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_of_25_is_sent_and_its_counts_equal_what_the_provider_received() {
    let graph = graph().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let uri = graph.uri();
    let job = tokio::task::spawn_blocking({
        let dir = dir.clone();
        move || {
            let account = account(&dir, &uri);
            set_rate(&dir, &account, "5");
            let csv = recipients_csv(&dir, 25);
            let started = bulk_send(&dir, &account, &csv);
            assert_eq!(started["ok"], json!(25));
            let job = started["job"]["id"].as_str().expect("a job id").to_string();
            assert_eq!(started["job"]["state"], json!("running"));
            assert_eq!(started["job"]["queued"], json!(25), "all queued in the job, none in the outbox yet");
            let serve = WICKET.serve(&dir, &[], Stdio::null()).drained();
            // The owner's own answer, queued while the job runs, does not wait behind all of it.
            customer_wrote(&dir, &account, "+447911123499", 60);
            let reply = WICKET.run(&dir, &["send", "--account", &account, "--to", "+447911123499", "--text", "Yes, it is ready", "--no-wait"]);
            assert!(reply.status.success(), "{}", stderr(&reply));
            let mut max_pending = 0;
            wait_until("the job to finish", Duration::from_secs(60), || {
                let store = wicket_core::Store::open(&dir.join("wicket.db")).unwrap();
                let pending: i64 = store
                    .conn()
                    .query_row("SELECT count(*) FROM messages m JOIN bulk_rows r ON r.message_id = m.id WHERE m.status IN ('pending', 'sending')", [], |r| {
                        r.get(0)
                    })
                    .unwrap();
                max_pending = max_pending.max(pending);
                show(&dir, &job)["state"] == json!("done")
            });
            assert!(max_pending <= wicket_core::bulk::IN_OUTBOX, "never more than a few of the job's messages in the outbox at once: {max_pending}");
            drop(serve);
            job
        }
    })
    .await
    .unwrap();
    let shown = show(&dir, &job);
    let bodies = sends(&graph).await;
    assert_eq!(bodies.len(), 26, "the job and the owner's answer");
    let answer_at = bodies.iter().position(|b| b["type"] == json!("text")).unwrap();
    assert!(answer_at < 20, "the owner's answer went before most of the job (position {answer_at} of 26)");
    let bodies: Vec<Value> = bodies.into_iter().filter(|b| b["type"] == json!("template")).collect();
    assert_eq!(bodies.len(), 25);
    assert_eq!(shown["sent"].as_i64(), Some(bodies.len() as i64), "the final counts equal what the provider received: {shown}");
    assert_eq!((shown["queued"].as_i64(), shown["failed"].as_i64(), shown["skipped"].as_i64(), shown["total"].as_i64()), (Some(0), Some(0), Some(0), Some(25)));
    assert!(shown["finished"].as_str().is_some() && shown["created"].as_str().is_some(), "{shown}");
    let mut to: Vec<&str> = bodies.iter().map(|b| b["to"].as_str().unwrap()).collect();
    to.sort();
    to.dedup();
    assert_eq!(to.len(), 25, "each recipient once");
    let one = bodies.iter().find(|b| b["to"] == json!("447911123407")).unwrap();
    assert_eq!(one["template"]["name"], json!("order_ready"));
    let body = one["template"]["components"].as_array().unwrap().iter().find(|c| c["type"] == json!("body")).unwrap();
    let texts: Vec<&str> = body["parameters"].as_array().unwrap().iter().map(|p| p["text"].as_str().unwrap()).collect();
    assert_eq!(texts, ["Customer 7", "#7", "our Camden store"], "each row's values, the common one from --param");
    let listed = ok_json(&WICKET.run(&dir, &["bulk", "list", "--json"]));
    assert_eq!(listed[0]["id"], json!(job));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_resume_and_cancel_steer_a_running_job() {
    let graph = Arc::new(graph().await);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let uri = graph.uri();
    let g = graph.clone();
    let job = tokio::task::spawn_blocking({
        let dir = dir.clone();
        move || {
            let account = account(&dir, &uri);
            set_rate(&dir, &account, "2");
            let started = bulk_send(&dir, &account, &recipients_csv(&dir, 24));
            let job = started["job"]["id"].as_str().unwrap().to_string();
            let serve = WICKET.serve(&dir, &[], Stdio::null()).drained();
            wait_until("a few sends", Duration::from_secs(30), || show(&dir, &job)["sent"].as_i64().unwrap() >= 3);
            let paused = ok_json(&WICKET.run(&dir, &["bulk", "pause", &job, "--json"]));
            assert_eq!(paused["state"], json!("paused"));
            let again = WICKET.run(&dir, &["bulk", "pause", &job]);
            assert_eq!(again.status.code(), Some(2), "pausing twice is refused: {}", stderr(&again));
            // What was already in the outbox finishes; nothing more is released.
            wait_until("the released messages to go", Duration::from_secs(30), || show(&dir, &job)["in_outbox"] == json!(0));
            let at_pause = show(&dir, &job);
            std::thread::sleep(Duration::from_secs(2));
            let later = show(&dir, &job);
            assert_eq!((later["sent"].clone(), later["waiting"].clone()), (at_pause["sent"].clone(), at_pause["waiting"].clone()), "paused: nothing more sent");
            assert!(later["waiting"].as_i64().unwrap() > 0, "{later}");
            assert_eq!(sends_now(&g).len() as i64, later["sent"].as_i64().unwrap());
            let resumed = ok_json(&WICKET.run(&dir, &["bulk", "resume", &job, "--json"]));
            assert_eq!(resumed["state"], json!("running"));
            let before = later["sent"].as_i64().unwrap();
            wait_until("sends to go on", Duration::from_secs(30), || show(&dir, &job)["sent"].as_i64().unwrap() >= before + 3);
            let cancelled = ok_json(&WICKET.run(&dir, &["bulk", "cancel", &job, "--json"]));
            assert_eq!(cancelled["state"], json!("cancelled"));
            assert_eq!(cancelled["waiting"], json!(0), "what was not released is skipped");
            wait_until("the cancelled job to settle", Duration::from_secs(30), || show(&dir, &job)["finished"].is_string());
            let resume = WICKET.run(&dir, &["bulk", "resume", &job]);
            assert_eq!(resume.status.code(), Some(2), "a cancelled job cannot be resumed");
            assert_eq!(WICKET.run(&dir, &["bulk", "show", "999", "--json"]).status.code(), Some(3));
            drop(serve);
            job
        }
    })
    .await
    .unwrap();
    let shown = show(&dir, &job);
    let received = sends(&graph).await.len() as i64;
    assert_eq!(shown["sent"].as_i64(), Some(received), "{shown}");
    assert_eq!(shown["state"], json!("cancelled"));
    let skipped = shown["skipped"].as_i64().unwrap();
    assert!(skipped > 0 && received + skipped == 24, "sent {received} + skipped {skipped}: {shown}");
    assert_eq!(shown["skipped_reasons"], json!([{"reason": "cancelled", "count": skipped}]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_9_of_serve_mid_job_then_a_restart_sends_each_once_and_loses_none() {
    let graph = Arc::new(graph().await);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let uri = graph.uri();
    let g = graph.clone();
    let job = tokio::task::spawn_blocking({
        let dir = dir.clone();
        move || {
            let account = account(&dir, &uri);
            set_rate(&dir, &account, "4");
            let job = bulk_send(&dir, &account, &recipients_csv(&dir, 30))["job"]["id"].as_str().unwrap().to_string();
            let serve = WICKET.serve(&dir, &[], Stdio::null()).drained();
            wait_until("the job to be under way", Duration::from_secs(30), || sends_now(&g).len() >= 8);
            serve.kill_9();
            let mid = show(&dir, &job);
            assert!(mid["waiting"].as_i64().unwrap() > 0, "killed in the middle: {mid}");
            let serve = WICKET.serve(&dir, &[], Stdio::null()).drained();
            // A send the kill cut off stays claimed until its lease runs out, then is `unknown`: never sent again blindly.
            wait_until("every recipient reached", Duration::from_secs(60), || {
                let s = show(&dir, &job);
                s["waiting"] == json!(0)
                    && s["sent"].as_i64().unwrap() + s["in_outbox"].as_i64().unwrap() + s["unknown"].as_i64().unwrap() == 30
                    && s["in_outbox"].as_i64().unwrap() + s["unknown"].as_i64().unwrap() <= 1
            });
            std::thread::sleep(Duration::from_secs(1));
            drop(serve);
            job
        }
    })
    .await
    .unwrap();
    let shown = show(&dir, &job);
    let bodies = sends(&graph).await;
    let mut to: Vec<&str> = bodies.iter().map(|b| b["to"].as_str().unwrap()).collect();
    to.sort();
    let all = to.len();
    to.dedup();
    assert_eq!(to.len(), all, "no recipient reached twice: {all} sends, {} recipients", to.len());
    let sent = shown["sent"].as_i64().unwrap();
    let cut = shown["in_outbox"].as_i64().unwrap() + shown["unknown"].as_i64().unwrap();
    assert!(sent <= all as i64 && all as i64 <= sent + cut, "what the store says sent ({sent}, {cut} cut off) is what the fake received ({all}): {shown}");
    assert_eq!(sent + cut, 30, "none lost: {shown}");
}
