//! `wicket stats` and `wicket monitor --hours` as processes, on a day's
//! real traffic: a customer's message and its duplicate over the real
//! listener (signed), a request with a bad signature, the owner's reply
//! sent through a fake Graph API, and Meta's "read" status for it.

#[path = "support/cli.rs"]
mod support;

use serde_json::{json, Value};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use support::{last_line, now_s, ok_json, post, sign, stderr, wait_until, Wicket};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const APP_SECRET: &str = "stats-app-secret-0a1b2c3d4e5f";
const PNID: &str = "318273645509999";
const WICKET: Wicket =
    Wicket::vault("stats passphrase").vars(&[("T_TOKEN", "EAAG-stats-token-0123456789"), ("T_SECRET", APP_SECRET), ("T_VERIFY", "verify-stats")]);

fn change(value: Value) -> Vec<u8> {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA1", "changes": [{"field": "messages", "value": value}]}]}).to_string().into_bytes()
}

fn inbound(ts: i64) -> Vec<u8> {
    change(json!({"messaging_product": "whatsapp", "metadata": {"display_phone_number": "15550102030", "phone_number_id": PNID},
        "contacts": [{"profile": {"name": "Priya Raman"}, "wa_id": "447911123456"}],
        "messages": [{"from": "447911123456", "id": "wamid.STATS_IN", "timestamp": ts.to_string(), "type": "text", "text": {"body": "Is my cake ready?"}}]}))
}

fn read_status(ts: i64) -> Vec<u8> {
    change(json!({"messaging_product": "whatsapp", "metadata": {"display_phone_number": "15550102030", "phone_number_id": PNID},
        "statuses": [{"id": "wamid.STATS_OUT", "status": "read", "timestamp": ts.to_string(), "recipient_id": "447911123456"}]}))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_and_monitor_count_a_days_real_traffic() {
    let graph = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/v23.0/{PNID}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"display_phone_number": "+1 555-010-2030", "verified_name": "Camden", "id": PNID})))
        .mount(&graph)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v23.0/{PNID}/messages")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"messaging_product": "whatsapp", "messages": [{"id": "wamid.STATS_OUT"}]})))
        .mount(&graph)
        .await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let uri = graph.uri();
    tokio::task::spawn_blocking(move || round_trip(&dir, &uri)).await.unwrap();
}

fn stats(dir: &Path, args: &[&str]) -> Value {
    let mut all = vec!["stats", "--json"];
    all.extend_from_slice(args);
    ok_json(&WICKET.run(dir, &all))
}

fn round_trip(dir: &Path, graph: &str) {
    let out = WICKET.add_meta(dir, "Camden", PNID, "WABA1", graph);
    assert!(out.status.success(), "{}", stderr(&out));
    let account = last_line(&out);
    assert!(WICKET.run(dir, &["settings", "set", "time_zone", "UTC"]).status.success());
    let serve = WICKET.serve(dir, &[], Stdio::null()).drained();
    let target = format!("/webhooks/meta/{account}");
    let now = now_s();
    let body = inbound(now - 300);
    assert_eq!(post(&serve.addr, &target, ("X-Hub-Signature-256", sign(APP_SECRET, &body)), &body), 200);
    assert_eq!(post(&serve.addr, &target, ("X-Hub-Signature-256", sign(APP_SECRET, &body)), &body), 200, "Meta's retry: a duplicate");
    assert_eq!(post(&serve.addr, &target, ("X-Hub-Signature-256", sign("not-the-secret", &body)), &body), 401);

    let sent = ok_json(&WICKET.run(dir, &["send", "--json", "--account", &account, "--to", "+44 7911 123456", "--text", "Yes, ready at 4"]));
    assert_eq!(sent["status"], json!("sent"), "{sent}");
    let status = read_status(now);
    assert_eq!(post(&serve.addr, &target, ("X-Hub-Signature-256", sign(APP_SECRET, &status)), &status), 200);

    wait_until("the bad signature was counted", Duration::from_secs(20), || stats(dir, &["--hours", "1"])["webhooks"]["rejected"] == json!(1));
    let s = stats(dir, &["--hours", "1"]);
    for (key, want) in [("received", 1), ("sent", 1), ("delivered", 1), ("read", 1), ("failed", 0), ("queue_depth", 0), ("replies_measured", 1)] {
        assert_eq!(s[key], json!(want), "{key}: {s:#}");
    }
    assert_eq!(s["webhooks"], json!({"accepted": 2, "duplicate": 1, "rejected": 1, "failed": 0}), "{s:#}");
    assert_eq!((s["delivery_rate"].as_f64(), s["read_rate"].as_f64()), (Some(1.0), Some(1.0)));
    let reply = s["median_first_reply_seconds"].as_i64().unwrap();
    assert!((290..600).contains(&reply), "about 5 minutes: {reply}");
    assert_eq!(s["time_zone"], json!("UTC"));
    assert_eq!(s["received_by_hour"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).sum::<i64>(), 1);
    assert_eq!(stats(dir, &["--account", &account, "--days", "7"])["per_day"].as_array().unwrap().len(), 8, "7 days back, and today");

    let text = String::from_utf8_lossy(&WICKET.run(dir, &["stats", "--hours", "24"]).stdout).to_string();
    for needle in ["received        1", "delivery rate   100.0 %", "first reply", "2 accepted, 1 duplicate, 1 rejected"] {
        assert!(text.contains(needle), "{needle:?} in\n{text}");
    }
    let refused = WICKET.run(dir, &["stats", "--hours", "0"]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));

    // The monitor gives the same per account, in JSON by --format.
    let rows = ok_json(&WICKET.run(dir, &["monitor", "--hours", "1", "--format", "json"]));
    let row = &rows[0];
    assert_eq!((row["stats"]["received"].as_i64(), row["stats"]["sent"].as_i64()), (Some(1), Some(1)), "{row:#}");
    assert!(row["alerts"].is_array());
    let text = String::from_utf8_lossy(&WICKET.run(dir, &["monitor", "--hours", "1", "--format", "text"]).stdout).to_string();
    assert!(text.contains("1 received, 1 sent, delivered 100.0 %"), "{text}");
    drop(serve);
}
