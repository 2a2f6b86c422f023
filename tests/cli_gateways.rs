//! `wicket` with the gateway providers, as processes against fake WASender
//! and UniPile servers on loopback: adding accounts, contact sync with its
//! summary, contacts output, UniPile import and details, `.env` import.

#[path = "support/cli.rs"]
mod support;

use serde_json::{json, Value};
use std::path::Path;
use std::process::{Command, Output};
use support::{ok_json, Wicket};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn fixture(dir: &str, name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/../../tests/fixtures/{dir}/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

const WICKET: Wicket = Wicket::vault("gateway tests").vars(&[("WS_KEY", "ws-api-key-123"), ("WS_SECRET", "ws-webhook-secret"), ("UP_KEY", "unipile-key-456")]);

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
        let id = last_id(&WICKET.run(
            &dir,
            &["account", "add", "wasender", "--name", "Shop phone", "--api-key-env", "WS_KEY", "--webhook-secret-env", "WS_SECRET", "--base-url", &uri],
        ));
        let accounts = ok_json(&WICKET.run(&dir, &["account", "list", "--json"]));
        assert_eq!(accounts[0]["provider"], json!("wasender"));
        assert_eq!(accounts[0]["status"], json!("ok"), "the session is connected");

        let summary = ok_json(&WICKET.run(&dir, &["sync", "--account", &id, "--contacts", "--json"]));
        let s = &summary[0];
        assert_eq!(s["account_id"], json!(id));
        let total = s["total_fetched"].as_u64().unwrap();
        assert!(total > 0, "contacts fetched across pages: {s}");
        assert_eq!(s["successful_updates"].as_u64().unwrap() + s["failed_updates"].as_u64().unwrap(), total);
        assert_eq!(s["contacts_with_names"].as_u64().unwrap() + s["contacts_without_names"].as_u64().unwrap(), s["successful_updates"].as_u64().unwrap());

        let contacts = ok_json(&WICKET.run(&dir, &["contacts", "--account", &id, "--json"]));
        let list = contacts.as_array().unwrap();
        assert_eq!(list.len() as u64, s["successful_updates"].as_u64().unwrap());
        for field in [
            "phone",
            "provider_user_id",
            "wa_id",
            "jid",
            "name",
            "profile_name",
            "verified_name",
            "display_name",
            "company",
            "is_business",
            "profile_picture",
            "status_text",
            "labels",
            "last_synced_at",
        ] {
            assert!(list[0].get(field).is_some(), "contact field {field} is always present");
        }
        assert!(list.iter().all(|c| c["last_synced_at"].is_string()), "synced contacts carry the sync time");
        let shown = ok_json(&WICKET.run(&dir, &["account", "list", "--json"]));
        assert!(shown[0]["id"].is_string());
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unipile_import_details_and_env_import() {
    let fake = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/accounts"))
        .and(header("x-api-key", "unipile-key-456"))
        .respond_with(ok(fixture("unipile", "unipile_accounts_list.json")))
        .mount(&fake)
        .await;
    let list: Value = serde_json::from_slice(&fixture("unipile", "unipile_accounts_list.json")).unwrap();
    let whatsapp: Vec<Value> = list["items"].as_array().unwrap().iter().filter(|a| a["type"] == json!("WHATSAPP")).cloned().collect();
    let first = whatsapp[0]["id"].as_str().unwrap().to_string();
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/accounts/{first}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(&whatsapp[0]))
        .mount(&fake)
        .await;
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
        let out = WICKET.run(&dir, &["account", "add", "unipile", "--dsn", &dsn, "--api-key-env", "UP_KEY", "--poll-interval", "7"]);
        let ids: Vec<String> = String::from_utf8_lossy(&out.stdout).lines().map(|l| l.trim().to_string()).collect();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(ids.len(), count, "one Wicket account per WhatsApp account, one id per line");
        let accounts = ok_json(&WICKET.run(&dir, &["account", "list", "--json"]));
        assert!(accounts.as_array().unwrap().iter().all(|a| a["provider"] == json!("unipile")));

        let details = ok_json(&WICKET.run(&dir, &["account", "sync-details", &ids[0], "--dry-run", "--json"]));
        assert_eq!(details[0]["saved"], json!(false), "a dry run saves nothing");
        assert!(details[0]["details"]["sources"].is_array());

        // A .env file: Meta (not tested: offline) and UniPile (listed from the fake); unknowns listed.
        let fresh = tempfile::tempdir().unwrap();
        let out = WICKET.run(fresh.path(), &["account", "import", env_file.to_str().unwrap(), "--no-test"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let created: Vec<&str> = std::str::from_utf8(&out.stdout).unwrap().lines().collect();
        assert_eq!(created.len(), 1 + count, "Meta plus the UniPile accounts");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("STRIPE_KEY") && !err.contains("sk_live_x"), "unknown variables are listed by name, never by value: {err}");
        let accounts = ok_json(&WICKET.run(fresh.path(), &["account", "list", "--json"]));
        assert_eq!(accounts[0]["provider"], json!("meta"));
        assert_eq!(accounts[0]["status"], json!("unverified"), "kept as not yet verified");
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unipile_hosted_authentication_connects_a_new_account() {
    let fake = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/hosted/accounts/link"))
        .respond_with(ok(fixture("unipile", "unipile_hosted_link_response.json")))
        .mount(&fake)
        .await;
    // Before the owner scans the QR code there is no account; then there is.
    let empty = json!({"object": "AccountList", "items": [], "cursor": null});
    Mock::given(method("GET"))
        .and(path("/api/v1/accounts"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&empty))
        .up_to_n_times(3)
        .with_priority(1)
        .mount(&fake)
        .await;
    Mock::given(method("GET")).and(path("/api/v1/accounts")).respond_with(ok(fixture("unipile", "unipile_accounts_list.json"))).mount(&fake).await;
    let dsn = fake.uri();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    tokio::task::spawn_blocking(move || {
        let out = WICKET.run(&dir, &["account", "add", "unipile", "--dsn", &dsn, "--api-key-env", "UP_KEY", "--connect-new", "--wait", "60"]);
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

/// The secrets the vault of `dir` holds for `account` (the vault mode and
/// passphrase of `run`), read with the core as the engine would.
fn stored_secrets(dir: &Path, passphrase: &str, account: i64) -> Vec<(&'static str, String)> {
    use wicket_core::secrets::{SecretName, SecretStore};
    let id = wicket_core::Store::open(&dir.join("wicket.db")).unwrap().data_dir_id().unwrap();
    let vault = dir.join("secrets.vault");
    if !vault.exists() {
        return vec![];
    }
    let store = SecretStore::vault(vault, wicket_core::secrets::Secret::new(passphrase.into()), &id).unwrap();
    SecretName::ALL.iter().filter_map(|n| store.get_opt(account, *n).unwrap().map(|s| (n.as_str(), s.expose().to_string()))).collect()
}

async fn fake_wasender() -> MockServer {
    let fake = MockServer::start().await;
    Mock::given(method("GET")).and(path("/status")).respond_with(ok(fixture("wasender", "status_connected.json"))).mount(&fake).await;
    Mock::given(method("GET")).and(path("/user")).respond_with(ok(fixture("wasender", "user.json"))).mount(&fake).await;
    fake
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_switch_off_and_on_and_removal_takes_the_secrets() {
    let fake = fake_wasender().await;
    let uri = fake.uri();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    tokio::task::spawn_blocking(move || {
        let id = last_id(&WICKET.run(
            &dir,
            &["account", "add", "wasender", "--name", "Shop phone", "--api-key-env", "WS_KEY", "--webhook-secret-env", "WS_SECRET", "--base-url", &uri],
        ));
        let demo = last_id(&WICKET.run(&dir, &["account", "add", "demo"]));
        let n: i64 = id.parse().unwrap();
        assert_eq!(stored_secrets(&dir, "gateway tests", n).len(), 2, "the API key and the webhook secret are stored");

        let off = ok_json(&WICKET.run(&dir, &["account", "disable", &id, "--json"]));
        assert_eq!(off["enabled"], json!(false));
        assert_eq!(off["status"], json!("disabled"), "a switched-off account says so: {off}");
        let listed = ok_json(&WICKET.run(&dir, &["account", "list", "--json"]));
        assert_eq!(listed.as_array().unwrap().iter().find(|a| a["id"] == json!(id)).unwrap()["enabled"], json!(false));
        assert_eq!(stored_secrets(&dir, "gateway tests", n).len(), 2, "switching off keeps the secrets");
        let on = ok_json(&WICKET.run(&dir, &["account", "enable", &id, "--json"]));
        assert_eq!(on["enabled"], json!(true));
        assert_eq!(on["status"], json!("unverified"), "switched on: not yet verified until tested: {on}");
        assert_eq!(ok_json(&WICKET.run(&dir, &["account", "test", &id, "--json"]))["status"], json!("ok"));

        let missing = WICKET.run(&dir, &["account", "disable", "999"]);
        assert_eq!(missing.status.code(), Some(3), "an unknown account is not found");

        let removed = ok_json(&WICKET.run(&dir, &["account", "remove", &id, "--json"]));
        assert_eq!(removed["secrets_deleted"], json!(2), "{removed}");
        assert!(stored_secrets(&dir, "gateway tests", n).is_empty(), "no secret of a removed account stays in the vault");
        // The demo goes without the secret store (no passphrase needed).
        let out = Command::new(env!("CARGO_BIN_EXE_wicket"))
            .args(["--data-dir", dir.to_str().unwrap(), "account", "remove", &demo])
            .env_remove("WICKET_DATA_DIR")
            .env("WICKET_SECRET_STORE", "vault")
            .env_remove("WICKET_VAULT_PASSPHRASE")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(ok_json(&WICKET.run(&dir, &["account", "list", "--json"])), json!([]));
    })
    .await
    .unwrap();
}

#[test]
fn an_offline_env_import_keeps_the_accounts_not_yet_verified() {
    // A port nothing listens on: the provider cannot be reached.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let env = tmp.path().join("shop.env");
    std::fs::write(
        &env,
        format!("WASENDER_API_KEY=ws-offline-key\nWASENDER_WEBHOOK_SECRET=ws-offline-secret\nWASENDER_BASE_URL=http://{closed}/api\nLEGACY_FLAG=1\n"),
    )
    .unwrap();
    let dir = tmp.path().join("data");
    let out = WICKET.run(&dir, &["account", "import", env.to_str().unwrap(), "--json"]);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let list = ok_json(&out);
    assert_eq!(list.as_array().unwrap().len(), 1, "the account is kept: {stderr}");
    assert_eq!(list[0]["provider"], json!("wasender"));
    assert_eq!(list[0]["status"], json!("unverified"), "{list}");
    assert!(list[0]["status_reason"].as_str().unwrap().contains("not yet verified"), "{list}");
    assert!(stderr.contains("Warning: account") && stderr.contains("connection test failed"), "the failed test is a warning: {stderr}");
    assert!(stderr.contains("LEGACY_FLAG"), "unknown variables are listed: {stderr}");
    let id = list[0]["id"].as_str().unwrap().parse().unwrap();
    assert_eq!(stored_secrets(&dir, "gateway tests", id).len(), 2, "and its secrets are stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_move_to_another_machine_with_or_without_their_secrets() {
    let fake = fake_wasender().await;
    let uri = fake.uri();
    let tmp = tempfile::tempdir().unwrap();
    let (a, b, c) = (tmp.path().join("a"), tmp.path().join("b"), tmp.path().join("c"));
    let export = tmp.path().join("export.json");
    let vault = tmp.path().join("moving.vault");
    let (export2, vault2) = (export.clone(), vault.clone());
    tokio::task::spawn_blocking(move || {
        let (export, vault) = (export2, vault2);
        let id = last_id(&WICKET.run(
            &a,
            &["account", "add", "wasender", "--name", "Shop phone", "--api-key-env", "WS_KEY", "--webhook-secret-env", "WS_SECRET", "--base-url", &uri],
        ));
        last_id(&WICKET.run(&a, &["account", "add", "demo"]));
        assert!(WICKET.run(&a, &["settings", "set", "default_country", "GB"]).status.success());

        // Machine A: the export, and the secrets in a vault under a passphrase from the environment.
        let out = Wicket::vault("gateway tests").vars(&[("MOVE_PASS", "a long moving passphrase")]).run(
            &a,
            &["export", "--format", "json", "--out", export.to_str().unwrap(), "--vault", vault.to_str().unwrap(), "--passphrase-env", "MOVE_PASS", "--json"],
        );
        let answer = ok_json(&out);
        assert_eq!(answer["secrets"], json!(2), "{answer}");
        let doc: Value = serde_json::from_slice(&std::fs::read(&export).unwrap()).unwrap();
        let exported = doc["tables"]["accounts"].as_array().unwrap();
        assert_eq!(exported.len(), 1, "the demo account is never exported");
        assert_eq!(exported[0]["provider"], json!("wasender"));
        let text = String::from_utf8(std::fs::read(&export).unwrap()).unwrap() + &String::from_utf8_lossy(&std::fs::read(&vault).unwrap());
        assert!(!text.contains("ws-api-key-123") && !text.contains("ws-webhook-secret"), "no secret in plain text in either file");
        let again = WICKET
            .run(&a, &["export", "--format", "json", "--out", export.to_str().unwrap(), "--vault", vault.to_str().unwrap(), "--passphrase-env", "WS_KEY"]);
        assert_eq!(again.status.code(), Some(2), "an existing vault is never overwritten");

        // Machine B: accounts, settings and secrets back; tested against the fake.
        let wrong = Wicket::vault("machine b")
            .vars(&[("MOVE_PASS", "not the passphrase")])
            .run(&b, &["account", "import", export.to_str().unwrap(), "--vault", vault.to_str().unwrap(), "--passphrase-env", "MOVE_PASS"]);
        assert_eq!(wrong.status.code(), Some(6), "a wrong passphrase: {}", String::from_utf8_lossy(&wrong.stderr));
        assert_eq!(ok_json(&WICKET.run(&b, &["account", "list", "--json"])), json!([]), "nothing half-imported");
        let out = Wicket::vault("machine b")
            .vars(&[("MOVE_PASS", "a long moving passphrase")])
            .run(&b, &["account", "import", export.to_str().unwrap(), "--vault", vault.to_str().unwrap(), "--passphrase-env", "MOVE_PASS", "--json"]);
        let imported = ok_json(&out);
        assert_eq!(imported.as_array().unwrap().len(), 1);
        let new_id: i64 = imported[0]["id"].as_str().unwrap().parse().unwrap();
        let listed = ok_json(
            &Command::new(env!("CARGO_BIN_EXE_wicket"))
                .args(["--data-dir", b.to_str().unwrap(), "account", "list", "--json"])
                .env_remove("WICKET_DATA_DIR")
                .output()
                .unwrap(),
        );
        assert_eq!(listed[0]["name"], json!("Shop phone"));
        assert_eq!(listed[0]["status"], json!("ok"), "with its secrets it works at once: {listed}");
        let mut secrets = stored_secrets(&b, "machine b", new_id);
        secrets.sort();
        assert_eq!(secrets, [("api_key", "ws-api-key-123".to_string()), ("webhook_secret", "ws-webhook-secret".to_string())]);
        let settings = String::from_utf8_lossy(&WICKET.run(&b, &["settings", "list", "--json"]).stdout).to_string();
        assert!(settings.contains("GB"), "settings travel too: {settings}");
        let _ = id;

        // Machine C: without the vault, the account waits for its secrets.
        let plain = ok_json(&WICKET.run(&c, &["account", "import", export.to_str().unwrap(), "--json"]));
        assert_eq!(plain[0]["status"], json!("needs_token"), "{plain}");
        assert!(plain[0]["status_reason"].as_str().unwrap().contains("re-enter"), "{plain}");
    })
    .await
    .unwrap();
}

fn store_of(dir: &Path) -> wicket_core::store::Store {
    wicket_core::store::Store::open(&dir.join("wicket.db")).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wasender_pat_registers_the_webhook_and_sync_modes_pick_their_accounts() {
    let fake = MockServer::start().await;
    Mock::given(method("GET")).and(path("/status")).respond_with(ok(fixture("wasender", "status_connected.json"))).mount(&fake).await;
    Mock::given(method("GET")).and(path("/user")).respond_with(ok(fixture("wasender", "user.json"))).mount(&fake).await;
    Mock::given(method("GET"))
        .and(path("/whatsapp-sessions/41"))
        .and(header("authorization", "Bearer ws-pat-789"))
        .respond_with(ok(fixture("wasender", "whatsapp_session.json")))
        .mount(&fake)
        .await;
    Mock::given(method("PUT"))
        .and(path("/whatsapp-sessions/41"))
        .and(header("authorization", "Bearer ws-pat-789"))
        .respond_with(ok(fixture("wasender", "whatsapp_session.json")))
        .mount(&fake)
        .await;
    let info = String::from_utf8(fixture("wasender", "contact_info.json")).unwrap().replace("447700900123", "447911123456");
    Mock::given(method("GET")).and(path("/contacts/447911123456")).respond_with(ok(info.into_bytes())).mount(&fake).await;
    let uri = fake.uri();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let d = dir.clone();
    tokio::task::spawn_blocking(move || {
        let dir = d;
        assert!(WICKET.run(&dir, &["settings", "set", "public_url", "https://shop.example.net"]).status.success());
        // A Meta account exists too: `sync --contact` must not fail because of it.
        let meta = Wicket::vault("gateway tests").vars(&[("T", "tok"), ("S", "sec")]).run(
            &dir,
            &[
                "account",
                "add",
                "meta",
                "--name",
                "M",
                "--phone-number-id",
                "1",
                "--business-account-id",
                "2",
                "--token-env",
                "T",
                "--app-secret-env",
                "S",
                "--base-url",
                "http://127.0.0.1:9",
            ],
        );
        assert!(meta.status.success(), "{}", String::from_utf8_lossy(&meta.stderr));
        let out = Wicket::vault("gateway tests").vars(&[("WS_KEY", "ws-api-key-123"), ("WS_PAT", "ws-pat-789")]).run(
            &dir,
            &["account", "add", "wasender", "--name", "Shop", "--api-key-env", "WS_KEY", "--pat-env", "WS_PAT", "--session-id", "41", "--base-url", &uri],
        );
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        let id = last_id(&out);
        assert!(err.contains("Webhook registered: https://shop.example.net/webhooks/wasender/"), "{err}");

        let summary = ok_json(&WICKET.run(&dir, &["sync", "--contact", "+447911123456", "--json"]));
        let rows = summary.as_array().unwrap();
        assert_eq!(rows.len(), 1, "only the account that can look a number up: {summary}");
        assert_eq!(rows[0]["account_id"], json!(id));
        assert_eq!((rows[0]["total_fetched"].as_u64(), rows[0]["successful_updates"].as_u64()), (Some(1), Some(1)));
        let contacts = ok_json(&WICKET.run(&dir, &["contacts", "--account", &id, "--json"]));
        assert_eq!(contacts[0]["name"], json!("Priya Raman"));
        // `--conversation ID`: the contacts of that conversation.
        let mut store = store_of(&dir);
        let contact_id: i64 = contacts[0]["id"].as_str().unwrap().parse().unwrap();
        let conv = store.get_or_create_conversation(id.parse().unwrap(), contact_id).unwrap();
        let summary = ok_json(&WICKET.run(&dir, &["sync", "--conversation", &conv.to_string(), "--json"]));
        assert_eq!(summary.as_array().unwrap().len(), 1);
        assert_eq!(summary[0]["account_id"], json!(id));
        assert_eq!(summary[0]["successful_updates"], json!(1));
        // `profile_picture` is the cached file's absolute path.
        store.set_contact_picture_path(contact_id, Some("media/avatars/2/1.img")).unwrap();
        let contacts = ok_json(&WICKET.run(&dir, &["contacts", "--account", &id, "--json"]));
        let pic = contacts[0]["profile_picture"].as_str().unwrap();
        assert!(Path::new(pic).is_absolute() && pic.ends_with("media/avatars/2/1.img"), "{pic}");
        assert!(pic.starts_with(std::path::absolute(&dir).unwrap().to_str().unwrap()), "{pic}");
        // The table shows the state's since-time and the last sync columns.
        let table = WICKET.run(&dir, &["account", "list"]);
        let text = String::from_utf8_lossy(&table.stdout);
        assert!(text.lines().next().unwrap().contains("SINCE") && text.contains("LAST SYNC"), "{text}");
    })
    .await
    .unwrap();
    let requests = fake.received_requests().await.unwrap();
    let put = requests.iter().find(|r| r.method.as_str() == "PUT").expect("the webhook was registered");
    let body: Value = serde_json::from_slice(&put.body).unwrap();
    assert!(body["webhook_url"].as_str().unwrap().starts_with("https://shop.example.net/webhooks/wasender/"));
    // The session's webhook secret was read with the PAT and stored (the route accepts it).
    let store = store_of(&dir);
    let account = store.accounts().unwrap().into_iter().find(|a| a.provider == wicket_core::model::Provider::Wasender).unwrap();
    let secrets = wicket_core::secrets::SecretStore::vault(
        dir.join("secrets.vault"),
        wicket_core::secrets::Secret::new("gateway tests".into()),
        &store_of(&dir).data_dir_id().unwrap(),
    )
    .unwrap();
    let s = secrets.get(account.id, wicket_core::secrets::SecretName::WebhookSecret).unwrap();
    assert_eq!(s.expose(), "whsec_5f4dcc3b5aa765d61d8327deb882cf99");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unipile_intervals_messages_details_and_reconnect() {
    let fake = MockServer::start().await;
    let acc = "kX3pQ9vTRmW2aB7cD1eF0g";
    let account_json = |status: &str, phone: &str| {
        json!({"object": "Account", "type": "WHATSAPP", "id": acc, "name": "Camden Parcel Co", "created_at": "2026-01-01T09:30:00.000Z",
            "connection_params": {"im": {"phone_number": phone}}, "sources": [{"id": format!("{acc}_MESSAGING"), "status": status}], "groups": []})
    };
    let list = json!({"object": "AccountList", "items": [account_json("CREDENTIALS", "+15550102030")], "cursor": null});
    Mock::given(method("GET")).and(path("/api/v1/accounts")).respond_with(ResponseTemplate::new(200).set_body_json(&list)).mount(&fake).await;
    // Lost first; after the owner scanned the reconnect link (two checks later), OK with a new number.
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/accounts/{acc}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(account_json("CREDENTIALS", "+15550102030")))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&fake)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/accounts/{acc}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(account_json("OK", "+15550104444")))
        .mount(&fake)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/hosted/accounts/link"))
        .respond_with(ok(fixture("unipile", "unipile_hosted_link_response.json")))
        .mount(&fake)
        .await;
    Mock::given(method("GET")).and(path("/api/v1/messages")).respond_with(ok(fixture("unipile", "unipile_messages.json"))).mount(&fake).await;
    Mock::given(method("GET"))
        .and(path("/api/v1/chats/Hc7RtY2uIo9pAs4dFg6hJk"))
        .respond_with(ok(fixture("unipile", "unipile_chat_single.json")))
        .mount(&fake)
        .await;
    // Two chats on the first page (one, a group, without new messages), none on the second.
    Mock::given(method("GET"))
        .and(path("/api/v1/chats"))
        .and(query_param("cursor", "eyJvZmZzZXQiOjIsImJlZm9yZSI6IjIwMjYtMDEtMDFUMTE6NDI6MTAuMDAwWiJ9"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"object": "ChatList", "items": [], "cursor": null})))
        .with_priority(1)
        .mount(&fake)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/chats"))
        .and(query_param("account_id", acc))
        .respond_with(ok(fixture("unipile", "unipile_chats.json")))
        .mount(&fake)
        .await;
    let dsn = fake.uri();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let d = dir.clone();
    tokio::task::spawn_blocking(move || {
        let dir = d;
        let id = last_id(&WICKET.run(&dir, &["account", "add", "unipile", "--dsn", &dsn, "--api-key-env", "UP_KEY"]));
        let a = &ok_json(&WICKET.run(&dir, &["account", "list", "--json"]))[0];
        assert_eq!(a["status"], json!("needs_token"), "CREDENTIALS means re-authentication: {a}");
        assert!(a["status_reason"].as_str().unwrap().contains("wicket account reconnect"));

        // Poll intervals after creation.
        let set = ok_json(&WICKET.run(&dir, &["account", "set", &id, "--poll-interval", "3", "--idle-poll-interval", "45", "--json"]));
        assert_eq!((set["poll_interval"].as_u64(), set["idle_poll_interval"].as_u64()), (Some(3), Some(45)));
        let stored = store_of(&dir).account(id.parse().unwrap()).unwrap();
        assert_eq!((stored.config["poll_interval"].as_u64(), stored.config["idle_poll_interval"].as_u64()), (Some(3), Some(45)));
        let bad = WICKET.run(&dir, &["account", "set", &id, "--idle-poll-interval", "1"]);
        assert_eq!(bad.status.code(), Some(2), "idle faster than in use is refused: {}", String::from_utf8_lossy(&bad.stderr));

        // `sync --messages` polls once; again, nothing doubles.
        let first = ok_json(&WICKET.run(&dir, &["sync", "--account", &id, "--messages", "--json"]));
        assert_eq!(first[0]["messages"], json!(3));
        assert_eq!(first[0]["chats"], json!(2), "the chat list is imported (both pages)");
        let convs = ok_json(&WICKET.run(&dir, &["conversations", "--account", &id, "--json"]));
        assert_eq!(convs.as_array().unwrap().len(), 2, "the group without new messages is a conversation too: {convs}");
        assert!(convs.as_array().unwrap().iter().any(|c| c["contact"]["display_name"] == json!("Pickup drivers")), "{convs}");
        let again = ok_json(&WICKET.run(&dir, &["sync", "--account", &id, "--messages", "--json"]));
        assert_eq!(again[0]["messages"], json!(0));

        // Reconnect through a hosted link; then the details are current.
        let out = WICKET.run(&dir, &["account", "reconnect", &id, "--wait", "30", "--json"]);
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(out.status.success(), "{err}");
        assert!(err.contains("https://account.unipile.com/pqRsTuVwXyZ0123456789abcd"), "{err}");
        let shown = ok_json(&out);
        assert_eq!(shown["status"], json!("ok"));
        assert_eq!(shown["phone"], json!("+15550104444"));

        // sync-details without --dry-run: unchanged now, so nothing saved.
        let details = ok_json(&WICKET.run(&dir, &["account", "sync-details", &id, "--json"]));
        assert_eq!((details[0]["changed"].clone(), details[0]["saved"].clone()), (json!(false), json!(false)));
    })
    .await
    .unwrap();
    let link: Value = fake
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/api/v1/hosted/accounts/link")
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .next()
        .unwrap();
    assert_eq!(link["type"], json!("reconnect"));
    assert_eq!(link["reconnect_account"], json!(acc));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_details_saves_changed_details() {
    let fake = MockServer::start().await;
    let acc = "kX3pQ9vTRmW2aB7cD1eF0g";
    let list: Value = serde_json::from_slice(&fixture("unipile", "unipile_account.json")).unwrap();
    Mock::given(method("GET"))
        .and(path("/api/v1/accounts"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"object": "AccountList", "items": [list.clone()], "cursor": null})))
        .mount(&fake)
        .await;
    let mut changed = list.clone();
    changed["connection_params"]["im"]["phone_number"] = json!("+15550107777");
    changed["groups"] = json!(["sales"]);
    Mock::given(method("GET")).and(path(format!("/api/v1/accounts/{acc}"))).respond_with(ResponseTemplate::new(200).set_body_json(&changed)).mount(&fake).await;
    let dsn = fake.uri();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    tokio::task::spawn_blocking(move || {
        let id = last_id(&WICKET.run(&dir, &["account", "add", "unipile", "--dsn", &dsn, "--api-key-env", "UP_KEY"]));
        let dry = ok_json(&WICKET.run(&dir, &["account", "sync-details", &id, "--dry-run", "--json"]));
        assert_eq!((dry[0]["changed"].clone(), dry[0]["saved"].clone()), (json!(true), json!(false)));
        assert_eq!(store_of(&dir).account(id.parse().unwrap()).unwrap().phone.as_deref(), Some("+15550102030"), "a dry run saves nothing");
        let real = ok_json(&WICKET.run(&dir, &["account", "sync-details", &id, "--json"]));
        assert_eq!((real[0]["changed"].clone(), real[0]["saved"].clone()), (json!(true), json!(true)));
        let a = store_of(&dir).account(id.parse().unwrap()).unwrap();
        assert_eq!(a.phone.as_deref(), Some("+15550107777"));
        assert_eq!(a.config["details"]["groups"], json!(["sales"]));
        assert_eq!(a.status, wicket_core::model::AccountStatus::Ok);
    })
    .await
    .unwrap();
}

/// A fake WASender that takes the first send in and then drops the
/// connection without answering; later sends are answered. Counts sends.
async fn wasender_dropping_first_send() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let sends = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = sends.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else { return };
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                // The head, then the body by its Content-Length.
                let (head_end, len) = loop {
                    let Ok(n) = socket.read(&mut chunk).await else { return };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&buf[..i]).to_ascii_lowercase();
                        let len = head.lines().find_map(|l| l.strip_prefix("content-length:").map(|v| v.trim().parse().unwrap_or(0))).unwrap_or(0);
                        break (i + 4, len);
                    }
                };
                while buf.len() < head_end + len {
                    let Ok(n) = socket.read(&mut chunk).await else { return };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                }
                let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
                let (status, body) = if head.starts_with("POST /send-message") {
                    if counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
                        // Taken in, but the answer never comes back.
                        let _ = socket.set_zero_linger();
                        return;
                    }
                    (200, json!({"success": true, "data": {"msgId": 100482, "jid": "+447911123456", "status": "in_progress"}}).to_string())
                } else if head.starts_with("GET /status") {
                    (200, json!({"status": "connected"}).to_string())
                } else if head.starts_with("GET /messages/100482/info") {
                    (200, json!({"success": true, "data": {"key": {"id": "3EB0RESENT", "fromMe": true}, "status": 2}}).to_string())
                } else {
                    (404, json!({"success": false, "message": "not found"}).to_string())
                };
                let out = format!("HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
                let _ = socket.write_all(out.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    (format!("http://{addr}"), sends)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_whose_answer_never_came_is_unknown_until_the_owner_resends_it() {
    let (uri, sends) = wasender_dropping_first_send().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    tokio::task::spawn_blocking(move || {
        let id = last_id(&WICKET.run(
            &dir,
            &["account", "add", "wasender", "--name", "Shop phone", "--api-key-env", "WS_KEY", "--webhook-secret-env", "WS_SECRET", "--base-url", &uri],
        ));
        let out = WICKET.run(&dir, &["send", "--account", &id, "--to", "+447911123456", "--text", "Your parcel is ready", "--json"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(8), "the outcome is unknown, not success nor a plain failure: {stderr}");
        assert!(stderr.contains("may have been sent"), "{stderr}");
        assert_eq!(sends.load(std::sync::atomic::Ordering::SeqCst), 1, "never sent a second time by itself");

        let listed = ok_json(&WICKET.run(&dir, &["messages", "--account", &id, "--with", "+447911123456", "--json"]));
        let m = listed.as_array().unwrap().iter().find(|m| m["direction"] == json!("out")).expect("the send is stored").clone();
        assert_eq!(m["status"], json!("unknown"), "{m}");
        assert_eq!(m["error"]["kind"], json!("outcome_unknown"), "{m}");
        let message_id = m["id"].as_str().unwrap().to_string();

        // The owner checked the phone and sends it again on purpose.
        let resent = ok_json(&WICKET.run(&dir, &["resend", &message_id, "--json"]));
        assert_eq!(resent["status"], json!("sent"), "{resent}");
        assert_eq!(resent["provider_message_id"], json!("3EB0RESENT"), "{resent}");
        assert_eq!(sends.load(std::sync::atomic::Ordering::SeqCst), 2);
        let again = WICKET.run(&dir, &["resend", &message_id]);
        assert_eq!(again.status.code(), Some(2), "a sent message is not resent: {}", String::from_utf8_lossy(&again.stderr));
        assert_eq!(sends.load(std::sync::atomic::Ordering::SeqCst), 2);
    })
    .await
    .unwrap();
}
