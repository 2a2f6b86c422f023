//! The media cache end to end with real processes: `wicket serve` downloads
//! three pictures from signed webhooks against a fake Graph API on loopback,
//! then `wicket media usage`, a lower `media_cache_limit_mb` (applied at
//! once), `wicket media prune`, the evicted state in `wicket messages`,
//! `wicket media redownload` (hash checked) and a file Meta no longer has.

#[path = "support/cli.rs"]
mod support;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use support::{last_line, now_s, ok_json, post, sign, stderr, wait_until, Wicket};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "EAAG-media-cache-token-0123456789abcdef";
const APP_SECRET: &str = "app-secret-media-cache-5f1e2d3c4b5a6978";
const VERIFY: &str = "verify-token-media-cache";
const PNID: &str = "318273645509876";
const WICKET: Wicket = Wicket::vault("media cache passphrase").vars(&[("T_TOKEN", TOKEN), ("T_SECRET", APP_SECRET), ("T_VERIFY", VERIFY)]);
const SIZE: usize = 600 * 1024;

fn picture(n: u8) -> Vec<u8> {
    vec![n; SIZE]
}

async fn mount_media(graph: &MockServer, id: &str, bytes: &[u8]) {
    Mock::given(method("GET"))
        .and(path(format!("/v23.0/{id}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "url": format!("{}/lookaside/?mid={id}", graph.uri()), "mime_type": "image/jpeg",
            "sha256": hex::encode(Sha256::digest(bytes)), "file_size": bytes.len(), "id": id, "messaging_product": "whatsapp"})))
        .mount(graph)
        .await;
    Mock::given(method("GET"))
        .and(path("/lookaside/"))
        .and(query_param("mid", id))
        .respond_with(ResponseTemplate::new(200).set_body_raw(bytes.to_vec(), "image/jpeg"))
        .mount(graph)
        .await;
}

fn image_webhook(media_id: &str, ts: i64) -> Vec<u8> {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA1", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550102030", "phone_number_id": PNID},
        "contacts": [{"profile": {"name": "Priya Raman"}, "wa_id": "447911123456"}],
        "messages": [{"from": "447911123456", "id": format!("wamid.{media_id}"), "timestamp": ts.to_string(), "type": "image",
                      "image": {"id": media_id, "mime_type": "image/jpeg"}}]}}]}]})
    .to_string()
    .into_bytes()
}

fn messages(dir: &Path, account: &str) -> Vec<Value> {
    ok_json(&WICKET.run(dir, &["messages", "--account", account, "--with", "+447911123456", "--json"])).as_array().unwrap().clone()
}

fn media_of<'a>(msgs: &'a [Value], wamid: &str) -> &'a Value {
    &msgs.iter().find(|m| m["provider_message_id"] == json!(wamid)).unwrap_or_else(|| panic!("{wamid} in {msgs:?}"))["media"]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_usage_prune_and_redownload_end_to_end() {
    let graph = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/v23.0/{PNID}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"display_phone_number": "+1 555-010-2030", "verified_name": "Camden", "id": PNID})))
        .mount(&graph)
        .await;
    for (i, id) in ["IMG1", "IMG2", "IMG3"].iter().enumerate() {
        mount_media(&graph, id, &picture(i as u8 + 1)).await;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let uri = graph.uri();
    let account = tokio::task::spawn_blocking({
        let dir = dir.clone();
        move || downloads_then_cache(&dir, &uri)
    })
    .await
    .unwrap();

    // Meta no longer has IMG2: "Download again" says so and leaves it removed.
    graph.reset().await;
    Mock::given(method("GET"))
        .and(path("/v23.0/IMG2"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": {
            "message": "Unsupported get request. Object with ID 'IMG2' does not exist", "type": "GraphMethodException", "code": 100, "error_subcode": 33}})))
        .mount(&graph)
        .await;
    tokio::task::spawn_blocking(move || no_longer_available(&dir, &account)).await.unwrap();
}

fn downloads_then_cache(dir: &Path, graph: &str) -> String {
    let out = WICKET.add_meta(dir, "Camden", PNID, "WABA1", graph);
    assert!(out.status.success(), "account add failed: {}", stderr(&out));
    let account = last_line(&out);

    // The engine downloads three pictures the customer sent.
    let mut serve = WICKET.serve(dir, &[], Stdio::piped());
    let addr = serve.addr.clone();
    for (i, id) in ["IMG1", "IMG2", "IMG3"].iter().enumerate() {
        let body = image_webhook(id, now_s() - 60 + i as i64);
        assert_eq!(post(&addr, &format!("/webhooks/meta/{account}"), ("X-Hub-Signature-256", sign(APP_SECRET, &body)), &body), 200);
        // One after the other, so "downloaded" orders them.
        wait_until(&format!("{id} downloaded"), Duration::from_secs(30), || {
            media_of(&messages(dir, &account), &format!("wamid.{id}"))["state"] == json!("downloaded")
        });
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(serve.terminate(Duration::from_secs(15)), Some(0));

    let usage = ok_json(&WICKET.run(dir, &["media", "usage", "--json"]));
    assert_eq!(usage["media_files"], json!(3));
    assert_eq!(usage["media_bytes"], json!(3 * SIZE));
    assert_eq!(usage["limit_mb"], json!(2048), "the default limit");
    assert_eq!(usage["evictable_files"], json!(3));
    assert!(usage["database_bytes"].as_i64().unwrap() > 0);
    let text = WICKET.run(dir, &["media", "usage"]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("1.8 MB in 3 files (limit 2.0 GB)"), "{}", String::from_utf8_lossy(&text.stdout));

    // A lower limit applies at once: the two least recently used go.
    let set = WICKET.run(dir, &["settings", "set", "media_cache_limit_mb", "1"]);
    assert!(set.status.success(), "{}", stderr(&set));
    assert!(String::from_utf8_lossy(&set.stdout).contains("2 files removed"), "{}", String::from_utf8_lossy(&set.stdout));
    let refused = WICKET.run(dir, &["settings", "set", "media_cache_limit_mb", "lots"]);
    assert!(!refused.status.success() && stderr(&refused).contains("megabytes"), "{}", stderr(&refused));

    let msgs = messages(dir, &account);
    let (one, two, three) = (media_of(&msgs, "wamid.IMG1"), media_of(&msgs, "wamid.IMG2"), media_of(&msgs, "wamid.IMG3"));
    assert_eq!((one["state"].as_str(), two["state"].as_str(), three["state"].as_str()), (Some("evicted"), Some("evicted"), Some("downloaded")));
    assert_eq!(one["can_download_again"], json!(true));
    assert_eq!(one["path"], Value::Null);
    assert_eq!(msgs.len(), 3, "the messages stay");
    let on_disk = support::files_under(&dir.join("media"));
    assert_eq!(on_disk.len(), 1, "{on_disk:?}");

    // Within the limit: prune frees nothing, and says so.
    let pruned = ok_json(&WICKET.run(dir, &["media", "prune", "--json"]));
    assert_eq!((pruned["freed_bytes"].as_i64(), pruned["evicted"].as_array().map(Vec::len)), (Some(0), Some(0)));
    let text = WICKET.run(dir, &["media", "prune"]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("within the limit"));

    // Download again: through the usual download, hash checked; the limit then removes the other file.
    let id = one["id"].as_i64().unwrap().to_string();
    let again = ok_json(&WICKET.run(dir, &["media", "redownload", &id, "--json"]));
    assert_eq!(again["state"], json!("downloaded"));
    assert_eq!(again["sha256"], json!(hex::encode(Sha256::digest(picture(1)))));
    assert_eq!(std::fs::read(dir.join(again["path"].as_str().unwrap())).unwrap(), picture(1));
    let msgs = messages(dir, &account);
    assert_eq!(media_of(&msgs, "wamid.IMG3")["state"], json!("evicted"), "the least recently used made room");
    let usage = ok_json(&WICKET.run(dir, &["media", "usage", "--json"]));
    assert_eq!((usage["media_files"].as_i64(), usage["media_bytes"].as_i64()), (Some(1), Some(SIZE as i64)));

    let bad = WICKET.run(dir, &["media", "redownload", "abc"]);
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
    let not_removed = WICKET.run(dir, &["media", "redownload", &id]);
    assert!(!not_removed.status.success() && stderr(&not_removed).contains("not removed to save space"), "{}", stderr(&not_removed));
    account
}

fn no_longer_available(dir: &Path, account: &str) {
    let id = media_of(&messages(dir, account), "wamid.IMG2")["id"].as_i64().unwrap().to_string();
    let out = WICKET.run(dir, &["media", "redownload", &id]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("no longer has this media"), "{}", stderr(&out));
    let two = media_of(&messages(dir, account), "wamid.IMG2").clone();
    assert_eq!(two["state"], json!("evicted"));
    assert_eq!(two["can_download_again"], json!(false));
    assert!(two["reason"].as_str().unwrap().contains("no longer available from WhatsApp"), "{two}");
    let again = WICKET.run(dir, &["media", "redownload", &id]);
    assert!(stderr(&again).contains("no longer available from WhatsApp"), "asked again, the answer is the same: {}", stderr(&again));
}
