//! `wicket` with the gateway providers, as processes against fake WASender
//! and UniPile servers on loopback: adding accounts, contact sync with its
//! summary, contacts output, UniPile import and details, `.env` import.

use serde_json::{json, Value};
use std::path::Path;
use std::process::{Command, Output};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn fixture(dir: &str, name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/../../tests/fixtures/{dir}/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wicket"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("WICKET_DATA_DIR")
        .env("WICKET_SECRET_STORE", "vault")
        .env("WICKET_VAULT_PASSPHRASE", "gateway tests")
        .env("WS_KEY", "ws-api-key-123")
        .env("WS_SECRET", "ws-webhook-secret")
        .env("UP_KEY", "unipile-key-456")
        .output()
        .expect("wicket runs")
}

fn ok_json(out: &Output) -> Value {
    assert!(out.status.success(), "wicket failed ({:?}): {}", out.status.code(), String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

fn last_id(out: &Output) -> String {
    assert!(out.status.success(), "wicket failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().last().unwrap().trim().to_string()
}

fn ok(body: Vec<u8>) -> ResponseTemplate {
    ResponseTemplate::new(200).insert_header("content-type", "application/json").set_body_bytes(body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wasender_account_contact_sync_and_contacts() {
    let fake = MockServer::start().await;
    Mock::given(method("GET")).and(path("/status")).respond_with(ok(fixture("wasender", "status_connected.json"))).mount(&fake).await;
    Mock::given(method("GET")).and(path("/user")).respond_with(ok(fixture("wasender", "user.json"))).mount(&fake).await;
    for (page, file) in [("1", "contacts_paginated.json"), ("2", "contacts_paginated_page2.json"), ("3", "contacts_paginated_page3.json")] {
        Mock::given(method("GET"))
            .and(path("/contacts"))
            .and(query_param("page", page))
            .and(header("authorization", "Bearer ws-api-key-123"))
            .respond_with(ok(fixture("wasender", file)))
            .mount(&fake)
            .await;
    }
    let uri = fake.uri();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    tokio::task::spawn_blocking(move || {
        let id = last_id(&run(&dir, &["account", "add", "wasender", "--name", "Shop phone", "--api-key-env", "WS_KEY", "--webhook-secret-env", "WS_SECRET", "--base-url", &uri]));
        let accounts = ok_json(&run(&dir, &["account", "list", "--json"]));
        assert_eq!(accounts[0]["provider"], json!("wasender"));
        assert_eq!(accounts[0]["status"], json!("ok"), "the session is connected");

        let summary = ok_json(&run(&dir, &["sync", "--account", &id, "--contacts", "--json"]));
        let s = &summary[0];
        assert_eq!(s["account_id"], json!(id));
        let total = s["total_fetched"].as_u64().unwrap();
        assert!(total > 0, "contacts fetched across pages: {s}");
        assert_eq!(s["successful_updates"].as_u64().unwrap() + s["failed_updates"].as_u64().unwrap(), total);
        assert_eq!(s["contacts_with_names"].as_u64().unwrap() + s["contacts_without_names"].as_u64().unwrap(), s["successful_updates"].as_u64().unwrap());

        let contacts = ok_json(&run(&dir, &["contacts", "--account", &id, "--json"]));
        let list = contacts.as_array().unwrap();
        assert_eq!(list.len() as u64, s["successful_updates"].as_u64().unwrap());
        for field in ["phone", "provider_user_id", "wa_id", "jid", "name", "profile_name", "verified_name", "display_name", "company", "is_business", "profile_picture", "status_text", "labels", "last_synced_at"] {
            assert!(list[0].get(field).is_some(), "contact field {field} is always present");
        }
        assert!(list.iter().all(|c| c["last_synced_at"].is_string()), "synced contacts carry the sync time");
        let shown = ok_json(&run(&dir, &["account", "list", "--json"]));
        assert!(shown[0]["id"].is_string());
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unipile_import_details_and_env_import() {
    let fake = MockServer::start().await;
    Mock::given(method("GET")).and(path("/api/v1/accounts")).and(header("x-api-key", "unipile-key-456")).respond_with(ok(fixture("unipile", "unipile_accounts_list.json"))).mount(&fake).await;
    let list: Value = serde_json::from_slice(&fixture("unipile", "unipile_accounts_list.json")).unwrap();
    let whatsapp: Vec<Value> = list["items"].as_array().unwrap().iter().filter(|a| a["type"] == json!("WHATSAPP")).cloned().collect();
    let first = whatsapp[0]["id"].as_str().unwrap().to_string();
    Mock::given(method("GET")).and(path(format!("/api/v1/accounts/{first}"))).respond_with(ResponseTemplate::new(200).set_body_json(&whatsapp[0])).mount(&fake).await;
    let dsn = fake.uri();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let env_dir = tempfile::tempdir().unwrap();
    let env_file = env_dir.path().join("shop.env");
    std::fs::write(
        &env_file,
        format!(
            "# exported from the old integration\nWHATSAPP_PHONE_NUMBER_ID=318273645501234\nWHATSAPP_BUSINESS_ACCOUNT_ID=214365870912345\nexport WHATSAPP_ACCESS_TOKEN=\"EAAG-env-token\"\nWHATSAPP_APP_SECRET=env-app-secret\nUNIPILE_DSN={dsn}\nUNIPILE_API_KEY=unipile-key-456\nSTRIPE_KEY=sk_live_x\n"
        ),
    )
    .unwrap();
    let count = whatsapp.len();
    tokio::task::spawn_blocking(move || {
        let out = run(&dir, &["account", "add", "unipile", "--dsn", &dsn, "--api-key-env", "UP_KEY", "--poll-interval", "7"]);
        let ids: Vec<String> = String::from_utf8_lossy(&out.stdout).lines().map(|l| l.trim().to_string()).collect();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(ids.len(), count, "one Wicket account per WhatsApp account, one id per line");
        let accounts = ok_json(&run(&dir, &["account", "list", "--json"]));
        assert!(accounts.as_array().unwrap().iter().all(|a| a["provider"] == json!("unipile")));

        let details = ok_json(&run(&dir, &["account", "sync-details", &ids[0], "--dry-run", "--json"]));
        assert_eq!(details[0]["saved"], json!(false), "a dry run saves nothing");
        assert!(details[0]["details"]["sources"].is_array());

        // A .env file: Meta (not tested: offline) and UniPile (listed from the fake); unknowns listed.
        let fresh = tempfile::tempdir().unwrap();
        let out = run(fresh.path(), &["account", "import", env_file.to_str().unwrap(), "--no-test"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let created: Vec<&str> = std::str::from_utf8(&out.stdout).unwrap().lines().collect();
        assert_eq!(created.len(), 1 + count, "Meta plus the UniPile accounts");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("STRIPE_KEY") && !err.contains("sk_live_x"), "unknown variables are listed by name, never by value: {err}");
        let accounts = ok_json(&run(fresh.path(), &["account", "list", "--json"]));
        assert_eq!(accounts[0]["provider"], json!("meta"));
        assert_eq!(accounts[0]["status"], json!("unverified"), "kept as not yet verified");
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unipile_hosted_authentication_connects_a_new_account() {
    let fake = MockServer::start().await;
    Mock::given(method("POST")).and(path("/api/v1/hosted/accounts/link")).respond_with(ok(fixture("unipile", "unipile_hosted_link_response.json"))).mount(&fake).await;
    // Before the owner scans the QR code there is no account; then there is.
    let empty = json!({"object": "AccountList", "items": [], "cursor": null});
    Mock::given(method("GET")).and(path("/api/v1/accounts")).respond_with(ResponseTemplate::new(200).set_body_json(&empty)).up_to_n_times(3).with_priority(1).mount(&fake).await;
    Mock::given(method("GET")).and(path("/api/v1/accounts")).respond_with(ok(fixture("unipile", "unipile_accounts_list.json"))).mount(&fake).await;
    let dsn = fake.uri();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    tokio::task::spawn_blocking(move || {
        let out = run(&dir, &["account", "add", "unipile", "--dsn", &dsn, "--api-key-env", "UP_KEY", "--connect-new", "--wait", "60"]);
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(out.status.success(), "{err}");
        assert!(err.contains("https://account.unipile.com/pqRsTuVwXyZ0123456789abcd"), "the hosted link is shown: {err}");
        let ids: Vec<&str> = std::str::from_utf8(&out.stdout).unwrap().lines().collect();
        assert_eq!(ids.len(), 1, "only the newly connected account is imported");
    })
    .await
    .unwrap();
    let link_requests: Vec<Value> = fake
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/api/v1/hosted/accounts/link")
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    assert_eq!(link_requests[0]["type"], json!("create"));
    assert_eq!(link_requests[0]["providers"], json!(["WHATSAPP"]));
}
