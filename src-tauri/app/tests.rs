//! The real command handlers, through Tauri's IPC on the mock runtime, over
//! a temporary data dir holding the sample inbox (`sample.rs`) at a fixed
//! time. What they answer is recorded as the browser tests' fixtures
//! (`tests/ui/fixtures/inbox.json`), so the UI is tested against exactly what
//! the shell sends. Golden files change only on purpose:
//! `WICKET_UPDATE_GOLDEN=1 cargo test -p wicket-desktop` rewrites them.

use crate::bindings;
use crate::state::AppState;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{Manager, WebviewWindowBuilder};

/// 2026-03-10 12:00:00 UTC, a Tuesday: the sample's "now".
pub const SAMPLE_NOW: i64 = 1_773_144_000_000;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// Compares `actual` with the golden file, or rewrites it on request.
pub(crate) fn golden(path: &str, actual: &str) {
    let file = repo(path);
    if std::env::var_os("WICKET_UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(
        expected == actual,
        "{path} is stale: the Rust types or handlers changed. Regenerate it with WICKET_UPDATE_GOLDEN=1 cargo test -p wicket-desktop, and check the diff"
    );
}

#[test]
fn bindings_are_current() {
    golden("ui/src/bindings/index.ts", &bindings::typescript());
}

pub(crate) struct Harness {
    pub(crate) app: tauri::App<tauri::test::MockRuntime>,
    webview: tauri::WebviewWindow<tauri::test::MockRuntime>,
    _dir: tempfile::TempDir,
    /// The app runs as on a computer without a keychain (`vault_tests.rs`).
    no_keychain: bool,
}

impl Harness {
    /// The app with the real handlers, the real config and capabilities
    /// (`generate_context!`), on the sample inbox.
    pub(crate) fn new() -> Harness {
        Harness::with(true)
    }

    /// `seeded`: the sample inbox, or a fresh data dir (the wizard's first launch).
    pub(crate) fn with(seeded: bool) -> Harness {
        Harness::on(seeded, false)
    }

    /// A fresh data dir on a computer without a keychain: the owner gives the
    /// vault passphrase in the window.
    pub(crate) fn without_keychain() -> Harness {
        Harness::on(false, true)
    }

    fn on(seeded: bool, no_keychain: bool) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let data = wicket_core::DataDir::open(dir.path()).unwrap();
        let mut store = wicket_core::Store::open(&data.db_path()).unwrap();
        if seeded {
            crate::sample::seed(&mut store, &data, SAMPLE_NOW).unwrap();
        }
        drop(store);
        let (app, webview) = Harness::window(data, no_keychain);
        Harness { app, webview, _dir: dir, no_keychain }
    }

    /// The app on `data`, as a launch would open it.
    fn window(data: wicket_core::DataDir, no_keychain: bool) -> (tauri::App<tauri::test::MockRuntime>, tauri::WebviewWindow<tauri::test::MockRuntime>) {
        let mut state = AppState::open_dir(data.clone()).unwrap();
        if no_keychain {
            state.secrets = crate::vault::WindowSecrets::without_keychain(data);
        }
        let app = crate::builder_on(mock_builder()).manage(state).build(tauri::generate_context!()).unwrap();
        let webview = WebviewWindowBuilder::new(&app, "main", Default::default()).build().unwrap();
        (app, webview)
    }

    /// Closes the app and opens it again on the same data dir (a restart).
    pub(crate) fn restart(&mut self) {
        let data = wicket_core::DataDir::open(self._dir.path()).unwrap();
        let (app, webview) = Harness::window(data, self.no_keychain);
        self.app = app;
        self.webview = webview;
    }

    pub(crate) fn data_dir(&self) -> &Path {
        self._dir.path()
    }

    pub(crate) fn call(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        let body = if args.is_null() { json!({}) } else { json!({ "args": args }) };
        get_ipc_response(
            &self.webview,
            InvokeRequest {
                cmd: cmd.into(),
                callback: CallbackFn(0),
                error: CallbackFn(1),
                url: "tauri://localhost".parse().unwrap(),
                body: InvokeBody::Json(body),
                headers: Default::default(),
                invoke_key: INVOKE_KEY.to_string(),
            },
        )
        .map(|b| b.deserialize::<Value>().unwrap())
    }

    /// A command that takes a file: the bytes as the raw body, the arguments
    /// in the header, as `callWithBytes` in ui/src/api.ts sends them.
    pub(crate) fn call_bytes(&self, cmd: &str, args: Value, bytes: Vec<u8>) -> Result<Value, Value> {
        let mut headers = tauri::http::HeaderMap::new();
        let encoded: String = args.to_string().bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect();
        headers.insert(crate::ipc_bytes::ARGS_HEADER, encoded.parse().unwrap());
        get_ipc_response(
            &self.webview,
            InvokeRequest {
                cmd: cmd.into(),
                callback: CallbackFn(0),
                error: CallbackFn(1),
                url: "tauri://localhost".parse().unwrap(),
                body: InvokeBody::Raw(bytes),
                headers,
                invoke_key: INVOKE_KEY.to_string(),
            },
        )
        .map(|b| b.deserialize::<Value>().unwrap())
    }

    pub(crate) fn ok(&self, cmd: &str, args: Value) -> Value {
        self.call(cmd, args.clone()).unwrap_or_else(|e| panic!("{cmd} {args} failed: {e}"))
    }
}

fn names(list: &Value) -> Vec<&str> {
    list.as_array().unwrap().iter().map(|c| c["display_name"].as_str().unwrap()).collect()
}

#[test]
fn commands_answer_through_ipc_and_record_the_ui_fixtures() {
    // A vault with a passphrase (the wizard's test sets the same): no OS keychain in tests.
    std::env::set_var("WICKET_SECRET_STORE", "vault");
    std::env::set_var("WICKET_VAULT_PASSPHRASE", "wizard-test-passphrase");
    let mut h = Harness::new();
    let mut fx = serde_json::Map::new();

    let mut info = h.ok("app_info", Value::Null);
    assert_eq!(info["engine"]["state"], "stopped", "no engine runs on a fresh data dir: the UI must say messages wait");
    info["data_dir"] = json!("/home/owner/.local/share/app.wicket.inbox");
    fx.insert("app_info".into(), info);

    let mut accounts = h.ok("list_accounts", Value::Null);
    assert_eq!(accounts[0]["name"], "Corner Bakery");
    assert_eq!(accounts[0]["has_service_window"], true, "Meta accounts have the 24-hour window");
    assert_eq!(accounts[1]["status"], "disconnected");
    assert!(accounts[1]["status_since"].is_i64(), "the rail says since when: {}", accounts[1]);
    assert_eq!(accounts[0]["last_sync_result"], "7 of 7 contacts updated");
    assert!(accounts[0]["last_sync_at"].is_i64());
    for a in accounts.as_array_mut().unwrap() {
        // Set at the real time of the test run: pinned so the fixture is stable.
        a["status_since"] = json!(SAMPLE_NOW - 2 * 3_600_000);
        a["last_sync_at"] = json!(SAMPLE_NOW - 3_600_000);
    }
    let accounts = accounts;
    fx.insert("list_accounts".into(), accounts);

    let all = h.ok("list_conversations", json!({ "filter": "all" }));
    assert_eq!(
        names(&all),
        [
            "Priya Shah",
            "Flour & Co Supplies",
            "Jürgen Müller",
            "Nora Lindqvist",
            "Priya Raman",
            "Sam Patel",
            "Pickup crew Camden",
            "أحمد منصور",
            "Mrs Patel (market)",
            "07911 123401",
            "Tom <b>Baker</b>"
        ],
        "most recent first; names by the priority rules (a group by its subject); a nameless contact shows its number in national format"
    );
    let unread = h.ok("list_conversations", json!({ "filter": "unread" }));
    assert_eq!(names(&unread), ["Priya Shah", "Mrs Patel (market)", "07911 123401", "Tom <b>Baker</b>"]);
    assert_eq!(unread[0]["unread_count"], 2);
    let archived = h.ok("list_conversations", json!({ "filter": "archived" }));
    assert_eq!(names(&archived), ["Lena Fischer"]);
    let market = h.ok("list_conversations", json!({ "filter": "all", "account_id": 2 }));
    assert_eq!(names(&market), ["Mrs Patel (market)"], "one account's conversations only");
    let page2 = h.ok(
        "list_conversations",
        json!({ "filter": "all", "limit": 2, "before": { "last_activity_at": all[1]["last_activity_at"], "id": all[1]["id"], "pinned": false } }),
    );
    assert_eq!(names(&page2), ["Jürgen Müller", "Nora Lindqvist"], "the cursor continues after the last row");
    let after_pinned = h.ok(
        "list_conversations",
        json!({ "filter": "all", "limit": 1, "before": { "last_activity_at": all[0]["last_activity_at"], "id": all[0]["id"], "pinned": true } }),
    );
    assert_eq!(names(&after_pinned), ["Flour & Co Supplies"], "after the pinned rows come the others");
    let labels = h.ok("list_labels", Value::Null);
    assert_eq!(labels, json!(["market", "order", "supplier"]));
    fx.insert("list_labels".into(), labels);
    let order = h.ok("list_conversations", json!({ "filter": "all", "label": "order" }));
    assert_eq!(names(&order), ["Priya Shah"]);
    let supplier = h.ok("list_conversations", json!({ "filter": "all", "label": "supplier" }));
    let priya_row = &all[0];
    assert_eq!(priya_row["status_text"], "Baking is love made edible 🧁", "the contact panel's details: {priya_row}");
    assert_eq!(priya_row["company"], "Maya's Party Planning");
    assert_eq!(priya_row["has_picture"], true);
    assert_eq!(priya_row["contact_labels"], json!(["Regular"]));
    fx.insert(
        "list_conversations".into(),
        json!({ "all": all, "unread": unread, "archived": archived, "account:2": market, "label:order": order, "label:supplier": supplier }),
    );

    let mut messages = serde_json::Map::new();
    for c in all.as_array().unwrap().iter().chain(archived.as_array().unwrap()) {
        let id = c["id"].as_i64().unwrap();
        messages.insert(id.to_string(), h.ok("list_messages", json!({ "conversation_id": id, "limit": 50 })));
    }
    let priya = all[0]["id"].as_i64().unwrap();
    let page = &messages[&priya.to_string()];
    let times: Vec<i64> = page.as_array().unwrap().iter().map(|m| m["timestamp"].as_i64().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "a page is oldest first");
    let reply = page.as_array().unwrap().iter().find(|m| m["text"] == "I can come at 5").unwrap();
    assert_eq!(reply["reply_to"]["text"], "Also, is the sourdough ready for pickup today?", "a reply carries the message it quotes");
    let in_page = |text: &str| {
        page.as_array().unwrap().iter().find(|m| m["text"] == text || m["caption"] == text).cloned().unwrap_or_else(|| panic!("no message {text:?} in {page}"))
    };
    let edited = in_page("That one is easy. We'll match the colours.");
    assert!(edited["edited_at"].is_i64(), "an edit from the gateway is marked: {edited}");
    let deleted = page.as_array().unwrap().iter().find(|m| m["deleted_at"].is_i64()).cloned().unwrap_or_else(|| panic!("a deleted message in {page}"));
    assert!(deleted["text"].is_null() && deleted["caption"].is_null(), "a deletion keeps none of the text: {deleted}");
    assert!(!page.to_string().contains("vanilla"), "the deleted text is nowhere in the page");
    let image = in_page("This is the design she likes");
    assert_eq!(image["media"]["state"], "downloaded");
    assert_eq!(image["media"]["mime"], "image/jpeg");
    let kinds: Vec<&str> = page.as_array().unwrap().iter().map(|m| m["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"sticker") && kinds.contains(&"voice"), "{kinds:?}");
    let older = h.ok("list_messages", json!({ "conversation_id": priya, "limit": 3, "before": page[3]["id"] }));
    assert_eq!(older.as_array().unwrap().len(), 3);
    assert_eq!(older[2]["id"], page[2]["id"], "the page before a message ends just before it");
    // The replayed Meta webhooks: a group by its subject, an order card's data, the ad.
    let row = |name: &str| all.as_array().unwrap().iter().find(|c| c["display_name"] == name).cloned().unwrap_or_else(|| panic!("{name}"));
    assert_eq!(row("Pickup crew Camden")["is_group"], true);
    let raman = &messages[&row("Priya Raman")["id"].as_i64().unwrap().to_string()];
    let order = raman.as_array().unwrap().iter().find(|m| m["kind"] == "order").cloned().unwrap_or_else(|| panic!("an order in {raman}"));
    assert_eq!(order["order"]["total"], "GBP 28.48");
    assert_eq!(order["order"]["items"][1], json!({ "product_retailer_id": "SKU-LEMON-7", "quantity": 1, "price": "GBP 12.50" }));
    let nora = &messages[&row("Nora Lindqvist")["id"].as_i64().unwrap().to_string()];
    assert_eq!(nora[0]["referral"]["headline"], "Summer cakes, 20% off");
    fx.insert("list_messages".into(), Value::Object(messages));

    let opened = h.ok("open_conversation", json!({ "id": priya }));
    assert_eq!(opened["unread_count"], 0, "opening a conversation reads it (through inbox::open_conversation)");
    assert_eq!(h.ok("list_conversations", json!({ "filter": "unread" })).as_array().unwrap().len(), 3);
    fx.insert("open_conversation".into(), opened);

    // The sample's windows are relative to its fixed time, long past: Meta refuses.
    let refused = h.call("send_text", json!({ "conversation_id": priya, "text": "See you at 5!" })).unwrap_err();
    assert_eq!(refused["code"], "provider_refused", "{refused}");
    assert_eq!(refused["kind"], "outside_window", "the UI switches on the kind to offer templates");
    fx.insert("send_text_outside_window".into(), refused);
    let market_conv = market[0]["id"].as_i64().unwrap();
    let mut sent = h.ok("send_text", json!({ "conversation_id": market_conv, "text": "Yes, six of them 🍞" }));
    assert_eq!(sent["status"], "pending", "a send is queued; the engine sends it");
    assert_eq!(sent["direction"], "out");
    sent["timestamp"] = json!(SAMPLE_NOW); // the queue time; pinned so the fixture is stable
    fx.insert("send_text".into(), sent);
    let empty = h.call("send_text", json!({ "conversation_id": market_conv, "text": "  " })).unwrap_err();
    assert_eq!(empty["code"], "invalid");
    let missing = h.call("list_messages", json!({ "conversation_id": 999, "limit": 5, "before": 1 })).unwrap_err();
    assert_eq!(missing["code"], "invalid", "a cursor from another conversation is refused: {missing}");

    let hits = h.ok("search", json!({ "query": "sourdough" }));
    assert_eq!(hits[0]["display_name"], "Priya Shah");
    // Filters narrow the search: media only, one account, a time range; grouped and paged by the window.
    let bread = h.ok("search", json!({ "query": "bread" }));
    let bread_media = h.ok("search", json!({ "query": "bread", "has_media": true }));
    let (all_n, media_n) = (bread.as_array().unwrap().len(), bread_media.as_array().unwrap().len());
    assert!(media_n >= 1 && media_n < all_n, "has_media keeps the photo, not the texts: {all_n} vs {media_n}");
    let corner = bread[0]["account_id"].as_i64().unwrap();
    let elsewhere = h.ok("search", json!({ "query": "bread", "account_id": corner + 1000 }));
    assert_eq!(elsewhere, json!([]), "an account without such messages finds nothing");
    let later = h.ok("search", json!({ "query": "bread", "since": SAMPLE_NOW + 86_400_000 }));
    assert_eq!(later, json!([]), "nothing from tomorrow on");
    let one = h.ok("search", json!({ "query": "bread", "limit": 1 }));
    assert_eq!(one.as_array().unwrap().len(), 1, "the window asks for more as it scrolls");
    fx.insert("search".into(), json!({ "sourdough": hits, "bread": bread, "bread|has_media=true": bread_media }));
    // A result opens at its message: the page around it, and newer ones after it.
    let hit = hits[0]["message_id"].as_i64().unwrap();
    let around = h.ok("list_messages", json!({ "conversation_id": priya, "limit": 6, "around": hit }));
    assert!(around.as_array().unwrap().iter().any(|m| m["id"] == hit), "the result's message is in its page: {around}");
    let newest_shown = around.as_array().unwrap().last().unwrap()["id"].clone();
    let after = h.ok("list_messages", json!({ "conversation_id": priya, "limit": 50, "after": newest_shown }));
    assert!(after.as_array().unwrap().iter().all(|m| m["id"] != newest_shown), "only newer ones");
    let within = h.ok("search_conversation", json!({ "conversation_id": priya, "query": "sourdough" }));
    assert!(within.as_array().unwrap().iter().any(|id| *id == json!(hit)), "{within}");
    fx.insert("search_conversation".into(), json!({ "sourdough": within }));

    let draft_of = |id: i64| draft_of_list(&h, id);
    h.ok("save_draft", json!({ "conversation_id": priya, "text": "See you" }));
    assert_eq!(draft_of(priya), "See you", "drafts are kept per conversation");
    h.ok("save_draft", json!({ "conversation_id": priya, "text": "" }));
    assert_eq!(draft_of(priya), Value::Null, "an empty draft clears it");
    fx.insert("save_draft".into(), Value::Null);

    // Media: served by id from media/ only, retried, opened, attached.
    media_commands(&h, &mut fx, &all, &market);
    templates_and_retries(&h, &mut fx, &all, &market);

    // Drafts survive a restart: saved, the app closed and opened again.
    h.ok("save_draft", json!({ "conversation_id": market_conv, "text": "Rye loaves: 6" }));
    h.restart();
    assert_eq!(draft_of_list(&h, market_conv), "Rye loaves: 6", "the draft is back after a restart");
    h.ok("save_draft", json!({ "conversation_id": market_conv, "text": null }));

    let cfg = ts_rs::Config::new();
    let typed: Vec<&str> = bindings::commands(&cfg).iter().map(|c| c.0).collect();
    assert_eq!(typed, crate::command_names::COMMANDS, "every permitted command has its TypeScript, and no other");
    // The wizard's, account settings', the public address's, the vault's and the Settings panel's commands have fixtures of their own.
    for name in typed.into_iter().filter(|n| {
        !n.starts_with("wizard_")
            && !n.starts_with("accounts_")
            && !n.starts_with("public_address_")
            && !crate::vault_tests::VAULT_COMMANDS.contains(n)
            && !crate::scheduled_tests::SCHEDULED_COMMANDS.contains(n)
            && !crate::stats_tests::STATS_COMMANDS.contains(n)
            && !crate::limits::LIMITS_COMMANDS.contains(n)
            && !crate::conversation_actions::ACTION_COMMANDS.contains(n)
            && !crate::bulk_tests::BULK_COMMANDS.contains(n)
            && !crate::craft_tests::CRAFT_COMMANDS.contains(n)
            && !crate::snooze::SNOOZE_COMMANDS.contains(n)
            && !crate::contact_merge::MERGE_COMMANDS.contains(n)
            && !crate::backups_tests::BACKUP_COMMANDS.contains(n)
            && !crate::owner_settings::OWNER_SETTINGS_COMMANDS.contains(n)
            && !crate::away::AWAY_COMMANDS.contains(n)
            && !crate::applock::APPLOCK_COMMANDS.contains(n)
            && !crate::media_cache_tests::MEDIA_CACHE_COMMANDS.contains(n)
            && !SETTINGS_COMMANDS.contains(n)
    }) {
        assert!(fx.keys().any(|k| k == name), "command {name} has no recorded fixture: it must answer through the IPC");
    }
    golden("tests/ui/fixtures/inbox.json", &(serde_json::to_string_pretty(&Value::Object(fx)).unwrap() + "\n"));
}

fn draft_of_list(h: &Harness, id: i64) -> Value {
    let list = h.ok("list_conversations", json!({ "filter": "all" }));
    list.as_array().unwrap().iter().find(|c| c["id"] == id).unwrap()["draft"].clone()
}

fn fixture_file(name: &str) -> Vec<u8> {
    std::fs::read(repo(&format!("tests/fixtures/media/{name}"))).unwrap()
}

/// One request to the `wicket-media:` protocol handler.
pub(crate) fn media_get(h: &Harness, path: &str, range: Option<&str>) -> tauri::http::Response<Vec<u8>> {
    use tauri::Manager;
    let mut req = tauri::http::Request::builder().uri(format!("wicket-media://localhost{path}"));
    if let Some(r) = range {
        req = req.header("Range", r);
    }
    crate::media_protocol::respond(&h.app.state::<AppState>(), &req.body(Vec::new()).unwrap())
}

fn media_commands(h: &Harness, fx: &mut serde_json::Map<String, Value>, all: &Value, market: &Value) {
    let msgs = |id: &Value| h.ok("list_messages", json!({ "conversation_id": id, "limit": 50 }));
    let priya = msgs(&all[0]["id"]);
    let image = priya.as_array().unwrap().iter().find(|m| m["kind"] == "image").unwrap().clone();
    let id = image["media"]["id"].as_i64().unwrap();
    let r = media_get(h, &format!("/{id}"), None);
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert_eq!(r.body(), &fixture_file("cake-design.jpg"), "the downloaded file itself");
    let voice = priya.as_array().unwrap().iter().find(|m| m["kind"] == "voice").unwrap();
    let r = media_get(h, &format!("/{}", voice["media"]["id"]), Some("bytes=0-99"));
    assert_eq!(r.status(), 206, "audio is served in ranges (WebKit seeks)");
    assert_eq!(r.body().len(), 100);
    assert_eq!(r.headers()["content-range"], format!("bytes 0-99/{}", fixture_file("voice.wav").len()));
    let picture = media_get(h, &format!("/contact/{}", all[0]["contact_id"]), None);
    assert_eq!((picture.status().as_u16(), picture.headers()["content-type"].to_str().unwrap()), (200, "image/webp"), "a cached profile picture");
    for bad in ["/../wicket.db", "/contact/../../wicket.db", "/abc", "/999999"] {
        assert!(media_get(h, bad, None).status().is_client_error(), "{bad} is refused");
    }
    // A file outside media/ is never served, even when the store names it.
    let outside = h.data_dir().join("wicket.db").canonicalize().unwrap();
    assert!(outside.is_file());

    // A failed download: not served; retried on request.
    let jurgen = msgs(&all[2]["id"]);
    let failed = jurgen.as_array().unwrap().iter().find(|m| m["media"]["state"] == "failed").unwrap().clone();
    let failed_id = failed["media"]["id"].as_i64().unwrap();
    assert_eq!(media_get(h, &format!("/{failed_id}"), None).status(), 404);
    let retried = h.ok("retry_media", json!({ "id": failed_id }));
    assert_eq!(retried["state"], "pending", "{retried}");
    assert_eq!(h.call("retry_media", json!({ "id": failed_id })).unwrap_err()["code"], "invalid", "only a failed download is retried");
    fx.insert("retry_media".into(), retried);

    // A document opens with the desktop's app: a stand-in `xdg-open` records what it was given.
    let bin = h.data_dir().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let log = h.data_dir().join("opened.txt");
    let script = bin.join("xdg-open");
    std::fs::write(&script, format!("#!/bin/sh\necho \"$1\" >> '{}'\n", log.display())).unwrap();
    #[cfg(unix)]
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    std::env::set_var("PATH", format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default()));
    let flour = msgs(&all[1]["id"]);
    let doc = flour.as_array().unwrap().iter().find(|m| m["kind"] == "document").unwrap();
    assert_eq!(h.ok("open_media", json!({ "id": doc["media"]["id"] })), Value::Null);
    let opened = (0..50)
        .find_map(|_| {
            std::thread::sleep(std::time::Duration::from_millis(100));
            std::fs::read_to_string(&log).ok().filter(|s| !s.is_empty())
        })
        .expect("the desktop's opener was started");
    let media_dir = h.data_dir().join("media").canonicalize().unwrap();
    assert!(std::path::Path::new(opened.trim()).starts_with(&media_dir), "the stored file is opened: {opened}");
    assert_eq!(std::fs::read(opened.trim()).unwrap(), fixture_file("invoice-4521.pdf"));
    assert_eq!(h.call("open_media", json!({ "id": failed_id })).unwrap_err()["code"], "not_found", "nothing to open before it is downloaded");
    fx.insert("open_media".into(), Value::Null);

    // Attaching: bytes in (the raw IPC body), a file under media/, a queued send showing its media.
    let cake = fixture_file("cake-design.jpg");
    let stall = market[0]["id"].as_i64().unwrap();
    let mut sent = h
        .call_bytes(
            "send_media",
            json!({ "conversation_id": stall, "file_name": "../../cake.jpg", "mime": "image/jpeg", "caption": "Saturday's cake" }),
            cake.clone(),
        )
        .unwrap();
    assert_eq!((sent["kind"].as_str(), sent["status"].as_str(), sent["caption"].as_str()), (Some("image"), Some("pending"), Some("Saturday's cake")));
    assert_eq!(sent["media"]["file_name"], "cake.jpg", "a file name never carries folders");
    assert_eq!(sent["media"]["state"], "downloaded");
    let served = media_get(h, &format!("/{}", sent["media"]["id"]), None);
    assert_eq!(served.body(), &cake, "the attachment is kept under media/ and shown from there");
    sent["timestamp"] = json!(SAMPLE_NOW);
    fx.insert("send_media".into(), sent);
    let files = || walk(&h.data_dir().join("media")).len();
    let before = files();
    let refused =
        h.call_bytes("send_media", json!({ "conversation_id": all[1]["id"], "file_name": "x.pdf", "mime": "application/pdf" }), cake.clone()).unwrap_err();
    assert_eq!(refused["kind"], "outside_window", "Meta's window applies to attachments: {refused}");
    assert_eq!(files(), before, "a refused attachment leaves no file behind");
    let too_big = h
        .call_bytes("send_media", json!({ "conversation_id": stall, "file_name": "huge.png", "mime": "image/png" }), vec![0u8; 5 * 1024 * 1024 + 1])
        .unwrap_err();
    // The old form (base64 in JSON) and a missing header are refused, naming what to do.
    let json_body = h.call("send_media", json!({ "conversation_id": stall, "file_name": "x.png", "mime": "image/png" })).unwrap_err();
    assert!(json_body["message"].as_str().unwrap().contains("x-wicket-args"), "{json_body}");
    assert!(too_big["message"].as_str().unwrap().contains("5 MB"), "{too_big}");
}

/// Account states and syncs happen at the real time of the run: every
/// `status_since` and `last_sync_at`
/// is pinned to the fixtures' "now" so the recorded fixtures are stable.
fn pin_status_times(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, field) in map.iter_mut() {
                if (k == "status_since" || k == "last_sync_at" || k == "since") && field.is_i64() {
                    *field = json!(SAMPLE_NOW);
                } else {
                    pin_status_times(field);
                }
            }
        }
        Value::Array(list) => list.iter_mut().for_each(pin_status_times),
        _ => {}
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![];
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn templates_and_retries(h: &Harness, fx: &mut serde_json::Map<String, Value>, all: &Value, market: &Value) {
    let templates = h.ok("list_templates", json!({ "account_id": all[0]["account_id"] }));
    let names: Vec<&str> = templates.as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["follow_up", "order_ready", "parcel_photo", "weekly_offers"], "approved templates, then the rejected one (never the pending)");
    assert_eq!(
        (templates[3]["status"].as_str(), templates[3]["sendable"].as_bool(), templates[3]["status_reason"].as_str()),
        (Some("REJECTED"), Some(false), Some("INCORRECT_CATEGORY — Submit it again as a MARKETING template without the discount code.")),
        "Meta's reason comes with it"
    );
    let mut health = h.ok("account_health", json!({ "account_id": all[0]["account_id"] }));
    let kinds: Vec<&str> = health["attention"].as_array().unwrap().iter().map(|a| a["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["quality", "template_rejected"], "{health}");
    assert_eq!((health["quality_rating"].as_str(), health["messaging_limit"].as_str()), (Some("RED"), Some("TIER_1K")));
    pin_status_times(&mut health);
    fx.insert("account_health".into(), json!({ all[0]["account_id"].to_string(): health }));
    // The sample's Meta account has no access token: the keystroke says so (the composer ignores it).
    let refused = h.call("owner_typing", json!({ "conversation_id": all[0]["id"] })).unwrap_err();
    assert_eq!(refused["code"], "secrets_unavailable", "{refused}");
    // With the setting off, nothing is attempted.
    let mut store = wicket_core::Store::open(&h.data_dir().join("wicket.db")).unwrap();
    store.set_setting(wicket_core::typing::SETTING, &json!(false)).unwrap();
    let typing = h.ok("owner_typing", json!({ "conversation_id": all[0]["id"] }));
    assert_eq!(typing, json!("off"));
    store.set_setting(wicket_core::typing::SETTING, &json!(true)).unwrap();
    fx.insert("owner_typing".into(), typing);
    assert_eq!(templates[2]["header_media"], json!("IMAGE"));
    assert_eq!(templates[1]["body_params"], json!(["1", "2"]));
    assert_eq!(templates[1]["header_params"], json!(["1"]));
    assert_eq!(templates[0]["body_params"], json!(["first_name", "topic"]));
    assert_eq!(templates[0]["buttons"], json!(["Yes please"]));
    fx.insert("list_templates".into(), json!({ all[0]["account_id"].to_string(): templates }));

    let flour = all[1]["id"].as_i64().unwrap();
    let p = |v: &str| json!({ "value": v });
    let wrong = h.call("send_template", json!({ "conversation_id": flour, "name": "order_ready", "language": "en_GB", "header_params": [p("4521")], "body_params": [p("Sam")], "button_params": [] })).unwrap_err();
    assert_eq!(wrong["code"], "invalid", "the core checks the parameters: {wrong}");
    assert!(wrong["message"].as_str().unwrap().contains("body needs 2 parameters, 1 given"), "{wrong}");
    fx.insert("send_template_wrong_params".into(), wrong);
    let mut sent = h.ok(
        "send_template",
        json!({ "conversation_id": flour, "name": "order_ready", "language": "en_GB", "header_params": [p("4521")], "body_params": [p("Sam"), p("07:00")], "button_params": [] }),
    );
    assert_eq!((sent["kind"].as_str(), sent["status"].as_str()), (Some("template"), Some("pending")), "a template opens a closed window: {sent}");
    sent["timestamp"] = json!(SAMPLE_NOW);
    fx.insert("send_template".into(), sent);
    // An image header from the window: an https:// link, never a local path.
    let photo = |header: &str| json!({ "conversation_id": flour, "name": "parcel_photo", "language": "en_GB", "header_params": [p(header)], "body_params": [p("4521")], "button_params": [] });
    let local = h.call("send_template", photo("/etc/passwd")).unwrap_err();
    assert_eq!(local["code"], "invalid", "{local}");
    assert!(local["message"].as_str().unwrap().contains("https:// link"), "{local}");
    let with_image = h.ok("send_template", photo("https://cdn.example.com/parcel-4521.jpg"));
    assert_eq!((with_image["kind"].as_str(), with_image["status"].as_str()), (Some("template"), Some("pending")), "{with_image}");

    // Retrying failed sends: a closed Meta window still refuses free text;
    // a gateway's failed send goes back to the queue.
    let flour_msgs = h.ok("list_messages", json!({ "conversation_id": flour, "limit": 50 }));
    let failed = flour_msgs.as_array().unwrap().iter().find(|m| m["status"] == "failed").unwrap();
    assert_eq!(failed["can_retry"], true);
    let refused = h.call("retry_message", json!({ "id": failed["id"] })).unwrap_err();
    assert_eq!(refused["kind"], "outside_window", "{refused}");
    fx.insert("retry_message_outside_window".into(), refused);
    let stall_msgs = h.ok("list_messages", json!({ "conversation_id": market[0]["id"], "limit": 50 }));
    let failed = stall_msgs.as_array().unwrap().iter().find(|m| m["status"] == "failed").unwrap().clone();
    assert_eq!(failed["error"]["kind"], "session_disconnected");
    let retried = h.ok("retry_message", json!({ "id": failed["id"] }));
    assert_eq!((retried["status"].as_str(), retried["error"].is_null()), (Some("pending"), true), "queued again, the old error gone: {retried}");
    assert_eq!(h.call("retry_message", json!({ "id": failed["id"] })).unwrap_err()["code"], "invalid", "only a failed message is retried");
    fx.insert("retry_message".into(), retried);
}

/// A fake Graph API on a loopback port: the phone number (a token "bad" is
/// refused as Meta refuses an expired token) and an empty template list.
/// Returns its base URL and the request lines it saw.
fn fake_meta() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut reader = BufReader::new(conn.try_clone().unwrap());
            let mut first = String::new();
            let _ = reader.read_line(&mut first);
            let mut bad = false;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                    break;
                }
                if line.to_ascii_lowercase().starts_with("authorization:") && line.trim_end().ends_with("Bearer bad") {
                    bad = true;
                }
            }
            log.lock().unwrap().push(first.trim().to_string());
            let (status, body) = if bad {
                (
                    "401 Unauthorized",
                    json!({"error": {"message": "Error validating access token: Session has expired on Tuesday, 10-Mar-26 11:00:00 PDT.", "type": "OAuthException", "code": 190, "error_subcode": 463, "fbtrace_id": "AbC"}}),
                )
            } else if first.contains("message_templates") {
                ("200 OK", json!({"data": [], "paging": {}}))
            } else {
                (
                    "200 OK",
                    json!({"verified_name": "Corner Bakery", "display_phone_number": "+44 7700 900123", "quality_rating": "GREEN", "id": "123456789012345"}),
                )
            };
            let body = body.to_string();
            let _ = write!(conn, "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
        }
    });
    (base, seen)
}

/// The wizard's commands through the IPC on a fresh data dir, against the
/// fake Graph API and the demo provider; recorded as the wizard's browser
/// fixtures (`tests/ui/fixtures/wizard.json`).
#[test]
fn wizard_commands_answer_through_ipc_and_record_the_ui_fixtures() {
    // A vault with a passphrase: no OS keychain in tests.
    std::env::set_var("WICKET_SECRET_STORE", "vault");
    std::env::set_var("WICKET_VAULT_PASSPHRASE", "wizard-test-passphrase");
    let (base, seen) = fake_meta();
    let h = Harness::with(false);
    let mut fx = serde_json::Map::new();
    assert_eq!(h.ok("list_accounts", Value::Null), json!([]), "a first launch has no account");
    fx.insert("list_accounts_empty".into(), json!([]));

    let meta = |token: &str, verify: Option<&str>| {
        let mut a = json!({ "phone_number_id": "123456789012345", "business_account_id": "987654321098765", "token": token, "app_secret": "app-secret-typed", "base_url": base });
        if let Some(v) = verify {
            a["verify_token"] = json!(v);
        }
        a
    };
    let refused = h.call("wizard_test_meta", meta("bad", None)).unwrap_err();
    assert_eq!(refused["code"], "provider_refused", "{refused}");
    assert_eq!(refused["kind"], "auth", "{refused}");
    assert!(refused["message"].as_str().unwrap().contains("expired"), "the provider's own reason reaches the UI: {refused}");
    fx.insert("wizard_test_meta_refused".into(), refused);
    let invalid = h.call("wizard_test_meta", json!({ "phone_number_id": "", "business_account_id": "1", "token": "t", "app_secret": "s" })).unwrap_err();
    assert_eq!(invalid["code"], "invalid", "{invalid}");

    let info = h.ok("wizard_test_meta", meta("EAAG-good", None));
    assert_eq!(info, json!({ "verified_name": "Corner Bakery", "display_number": "+447700900123", "quality_rating": "GREEN" }));
    fx.insert("wizard_test_meta".into(), info);
    assert_eq!(h.ok("list_accounts", Value::Null), json!([]), "testing saves nothing");

    let mut added = h.ok("wizard_add_meta", {
        let mut a = meta("EAAG-good", None);
        a["name"] = json!("Corner Bakery");
        a
    });
    assert_eq!(added["account"]["name"], "Corner Bakery");
    assert_eq!(added["account"]["status"], "ok", "the connection test is recorded: {added}");
    assert_eq!(added["webhook_path"], format!("/webhooks/meta/{}", added["account"]["id"]));
    assert_eq!(added["verify_token"].as_str().unwrap().len(), 32, "a verify token is generated when none is typed");
    let text = added.to_string();
    assert!(!text.contains("EAAG-good") && !text.contains("app-secret-typed"), "no secret comes back: {text}");
    let id = added["account"]["id"].as_i64().unwrap();
    let typed = h.ok("wizard_add_meta", meta("EAAG-good", Some("my-verify")));
    assert_eq!(typed["verify_token"], Value::Null, "a typed verify token is not echoed");

    let steps = h.ok("wizard_first_sync", json!({ "account_id": id }));
    assert_eq!(steps, json!([{ "step": "templates", "count": 0, "error": null }]), "Meta: templates; it cannot be polled");
    assert!(seen.lock().unwrap().iter().any(|l| l.contains("987654321098765/message_templates")), "the templates were asked for");
    fx.insert("wizard_first_sync_meta".into(), steps);
    added["verify_token"] = json!("5f2b8c1e9a7d4e3f8b6a0c2d1e4f7a9b"); // random; pinned for a stable fixture
    added["account"]["status_since"] = json!(SAMPLE_NOW); // the real time of the run; pinned too
    fx.insert("wizard_add_meta".into(), added);

    let mut demo = h.ok("wizard_add_demo", Value::Null);
    assert_eq!(demo["provider"], "demo");
    let again = h.ok("wizard_add_demo", Value::Null);
    assert_eq!(again["id"], demo["id"], "a second \"Try the demo\" gives the existing demo, not a second one");
    let demo_steps = h.ok("wizard_first_sync", json!({ "account_id": demo["id"] }));
    assert_eq!(demo_steps.as_array().unwrap().iter().map(|s| s["step"].as_str().unwrap()).collect::<Vec<_>>(), ["contacts", "messages"]);
    assert!(demo_steps.as_array().unwrap().iter().all(|s| s["error"].is_null()), "{demo_steps}");
    demo["status_since"] = json!(SAMPLE_NOW);
    fx.insert("wizard_add_demo".into(), demo);
    fx.insert("wizard_first_sync_demo".into(), demo_steps);

    let env = h._dir.path().join("shop.env");
    std::fs::write(&env, "WHATSAPP_PHONE_NUMBER_ID=1\nWHATSAPP_API_TOKEN=t\nWASENDER_API_KEY=k\nSHOP_NAME=x\n").unwrap();
    let preview = h.ok("wizard_import_env", json!({ "path": env.display().to_string() }));
    assert_eq!(preview["unknown"], json!(["SHOP_NAME"]));
    assert_eq!(preview["wasender"], true);
    assert_eq!(preview["meta_phone_number_id"], Value::Null, "an incomplete Meta setup is a problem, not an account");
    assert!(!preview["problems"].as_array().unwrap().is_empty());

    let names: Vec<&str> = crate::command_names::COMMANDS.iter().copied().filter(|n| n.starts_with("wizard_")).collect();
    for name in ["wizard_test_meta", "wizard_add_meta", "wizard_add_demo"] {
        assert!(names.contains(&name));
    }
    record_more_wizard_fixtures(&h, &mut fx, &base, id);
    let mut fx = Value::Object(fx);
    pin_status_times(&mut fx);
    golden("tests/ui/fixtures/wizard.json", &(serde_json::to_string_pretty(&fx).unwrap() + "\n"));
}

/// A fake HTTP server on loopback: `answer(method, path, headers)` gives the
/// status line and JSON body. Returns its base URL.
fn fake_http(answer: impl Fn(&str, &str, &str) -> (&'static str, Value) + Send + 'static) -> String {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut reader = BufReader::new(conn.try_clone().unwrap());
            let mut first = String::new();
            let _ = reader.read_line(&mut first);
            let mut headers = String::new();
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
                headers.push_str(&line);
            }
            let mut body = vec![0u8; length];
            let _ = reader.read_exact(&mut body);
            let mut parts = first.split_whitespace();
            let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            let (status, body) = answer(method, path, &headers);
            let body = body.to_string();
            let _ = write!(conn, "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
        }
    });
    base
}

fn fixture_json(path: &str) -> Value {
    serde_json::from_slice(&std::fs::read(repo(&format!("tests/fixtures/{path}"))).unwrap()).unwrap()
}

/// Account settings, WASender's test before saving, the `.env` text import
/// (offline), another machine's export, UniPile's picker and hosted sign-in,
/// and the public-address step: recorded for the browser tests.
fn record_more_wizard_fixtures(h: &Harness, fx: &mut serde_json::Map<String, Value>, meta_base: &str, meta_id: i64) {
    // WASender: a key "bad" is refused as WASender refuses an unknown key.
    let status = fixture_json("wasender/status_connected.json");
    let user = fixture_json("wasender/user.json");
    let ws = fake_http(move |_, path, headers| {
        if headers.to_ascii_lowercase().contains("bearer bad") {
            ("401 Unauthorized", json!({"success": false, "message": "Unauthenticated."}))
        } else if path.ends_with("/status") {
            ("200 OK", status.clone())
        } else {
            ("200 OK", user.clone())
        }
    });
    let ws_args = |key: &str| json!({ "api_key": key, "webhook_secret": "ws-hook-secret", "base_url": format!("{ws}/api") });
    let refused = h.call("wizard_test_wasender", ws_args("bad")).unwrap_err();
    assert_eq!(refused["kind"], "auth", "{refused}");
    fx.insert("wizard_test_wasender_refused".into(), refused);
    let info = h.ok("wizard_test_wasender", ws_args("ws-good-key"));
    assert!(info["display_number"].is_string(), "the session's number: {info}");
    fx.insert("wizard_test_wasender".into(), info);
    assert_eq!(h.ok("list_accounts", Value::Null).as_array().unwrap().iter().filter(|a| a["provider"] == "wasender").count(), 0, "testing saves nothing");
    let ws_added = h.ok("wizard_add_wasender", {
        let mut a = ws_args("ws-good-key");
        a["name"] = json!("Shop phone");
        a
    });
    assert_eq!(ws_added["account"]["status"], "ok", "{ws_added}");
    assert_eq!(ws_added["webhook_path"], format!("/webhooks/wasender/{}", ws_added["account"]["id"]));
    fx.insert("wizard_add_wasender".into(), ws_added);

    // A .env file's text, offline: the account is kept, "not yet verified".
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let text = format!("# the shop's old bot\nWASENDER_API_KEY=env-key\nWASENDER_WEBHOOK_SECRET=env-secret\nWASENDER_BASE_URL=http://{closed}/api\nSHOP_NAME=\"Corner Bakery\"\n");
    let preview = h.ok("wizard_import_env_text", json!({ "name": "shop.env", "text": text }));
    assert_eq!(preview["wasender"], true);
    assert_eq!(preview["unknown"], json!(["SHOP_NAME"]));
    fx.insert("wizard_import_env_text".into(), preview);
    let mut offline = h.ok("wizard_create_from_env_text", json!({ "name": "shop.env", "text": text }));
    let first = &offline[0];
    assert_eq!(first["account"]["status"], "unverified", "{offline}");
    assert!(first["warning"]["message"].is_string(), "the failed test is a warning: {offline}");
    let text = offline.to_string();
    assert!(!text.contains("env-key") && !text.contains("env-secret"), "no secret comes back");
    // The port is random: pinned for a stable fixture.
    for a in offline.as_array_mut().unwrap() {
        for path in ["/warning/message", "/account/status_reason"] {
            if let Some(field) = a.pointer_mut(path) {
                if let Some(m) = field.as_str() {
                    *field = json!(m.replace(&closed.to_string(), "127.0.0.1:9"));
                }
            }
        }
    }
    fx.insert("wizard_create_from_env_text".into(), offline.clone());
    let bad = h.call("wizard_import_env_text", json!({ "name": "notes.txt", "text": "this is not a .env file\n" })).unwrap_err();
    assert_eq!(bad["code"], "invalid", "{bad}");

    // Account settings: switch off, then on; remove (the demo: one click).
    let env_id = offline[0]["account"]["id"].as_i64().unwrap();
    let off = h.ok("accounts_set_enabled", json!({ "account_id": env_id, "enabled": false }));
    assert_eq!((off["enabled"].clone(), off["status"].clone()), (json!(false), json!("disabled")));
    fx.insert("accounts_set_enabled_off".into(), off);
    let on = h.ok("accounts_set_enabled", json!({ "account_id": env_id, "enabled": true }));
    assert_eq!(on["status"], "unverified");
    fx.insert("accounts_set_enabled_on".into(), on);
    assert_eq!(h.ok("accounts_remove", json!({ "account_id": env_id })), Value::Null);
    let missing = h.call("accounts_remove", json!({ "account_id": env_id })).unwrap_err();
    assert_eq!(missing["code"], "not_found");
    let accounts = h.ok("list_accounts", Value::Null);
    assert!(!accounts.as_array().unwrap().iter().any(|a| a["id"] == env_id), "removed");
    fx.insert("list_accounts_managed".into(), accounts);

    // Another machine's export, without its vault: secrets to re-enter.
    let other = tempfile::tempdir().unwrap();
    let mut store = wicket_core::Store::open(&other.path().join("wicket.db")).unwrap();
    store
        .add_account(&wicket_core::store::NewAccount {
            provider: wicket_core::model::Provider::Meta,
            name: "Market stall".into(),
            phone: None,
            config: json!({ "phone_number_id": "555000111", "business_account_id": "555000222" }),
        })
        .unwrap();
    wicket_core::providers::demo::create_demo_account(&mut store).unwrap();
    let export = store.export_json(None).unwrap();
    let imported = h.ok("wizard_import_export", json!({ "name": "export.json", "text": export.to_string() }));
    assert_eq!(imported.as_array().unwrap().len(), 1, "the demo is never exported: {imported}");
    assert_eq!(imported[0]["account"]["status"], "needs_token", "{imported}");
    fx.insert("wizard_import_export".into(), imported);
    let wrong = h.call("wizard_import_export", json!({ "name": "notes.json", "text": "{\"hello\": 1}" })).unwrap_err();
    assert_eq!(wrong["code"], "invalid");
    fx.insert("wizard_import_export_invalid".into(), wrong);

    // UniPile: the picker, then hosted sign-in for a new account that appears
    // in the list once the link was created.
    let list = fixture_json("unipile/unipile_accounts_list.json");
    let link = fixture_json("unipile/unipile_hosted_link_response.json");
    let linked = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let seen_link = linked.clone();
    let up = fake_http(move |method, path, _| {
        if method == "POST" && path.contains("/hosted/accounts/link") {
            seen_link.store(true, std::sync::atomic::Ordering::SeqCst);
            return ("201 Created", link.clone());
        }
        let mut l = list.clone();
        if seen_link.load(std::sync::atomic::Ordering::SeqCst) {
            l["items"].as_array_mut().unwrap().push(json!({"object": "Account", "type": "WHATSAPP", "id": "NEWacc0000000000000001", "name": "New counter",
                "created_at": "2026-03-10T12:00:00.000Z", "connection_params": {"im": {"phone_number": "+15550106070"}},
                "sources": [{"id": "NEWacc0000000000000001_MESSAGING", "status": "OK"}], "groups": []}));
        }
        ("200 OK", l)
    });
    let up_args = json!({ "dsn": up, "api_key": "up-key" });
    let picker = h.ok("wizard_unipile_accounts", up_args.clone());
    assert_eq!(picker.as_array().unwrap().len(), 2, "{picker}");
    fx.insert("wizard_unipile_accounts".into(), picker.clone());
    let connect = h.ok("wizard_unipile_connect", up_args.clone());
    assert!(connect["url"].as_str().unwrap().starts_with("https://"), "{connect}");
    assert_eq!(connect["known"].as_array().unwrap().len(), 2);
    fx.insert("wizard_unipile_connect".into(), connect.clone());
    let new = h.ok("wizard_unipile_wait", json!({ "dsn": up, "api_key": "up-key", "known": connect["known"], "seconds": 10 }));
    assert_eq!(new["id"], "NEWacc0000000000000001");
    fx.insert("wizard_unipile_wait".into(), new);
    assert!(linked.load(std::sync::atomic::Ordering::SeqCst));
    let ids = json!([picker[0]["id"], "NEWacc0000000000000001"]);
    let up_added = h.ok("wizard_add_unipile", json!({ "dsn": up, "api_key": "up-key", "account_ids": ids }));
    assert_eq!(up_added.as_array().unwrap().iter().map(|a| a["account"]["name"].as_str().unwrap()).collect::<Vec<_>>(), ["Camden Parcel Co", "New counter"]);
    fx.insert("wizard_add_unipile".into(), up_added);

    // The public address for the Meta account: a fake cloudflared on PATH
    // that prints a quick-tunnel URL, the listener on a free port, the
    // registration against the fake Graph API, and the check through the
    // listener's own address.
    let bin = h._dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let tool = bin.join("cloudflared");
    // It reports a second address a moment later, as a restarted quick tunnel does.
    std::fs::write(
        &tool,
        "#!/bin/sh\necho 'INF |  https://gentle-river-alpha-bravo.trycloudflare.com  |' >&2\nsleep 2\necho 'INF |  https://quiet-meadow-charlie-delta.trycloudflare.com  |' >&2\nexec sleep 30\n",
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    std::env::set_var("PATH", format!("{}:/usr/bin:/bin", bin.display()));
    let _ = meta_base;
    let unconfigured = h.ok("public_address_status", Value::Null);
    assert_eq!(unconfigured["state"], "unconfigured", "no public address chosen yet: {unconfigured}");
    let mut info = h.ok("wizard_public_address", json!({ "account_id": meta_id }));
    assert_eq!(info["callback_path"], format!("/webhooks/meta/{meta_id}"));
    assert_eq!(info["listen"], "127.0.0.1:8765", "the default");
    assert_eq!(info["verify_token"].as_str().unwrap().len(), 32, "the stored verify token, to paste");
    let tools = info["tools"].as_array().unwrap();
    assert!(tools.iter().any(|t| t["kind"] == "cloudflared" && t["installed"] == true), "{info}");
    assert!(info["manual_step"].as_str().unwrap().contains("Callback URL"), "{info}");
    let token = info["verify_token"].as_str().unwrap().to_string();
    let pin = |v: &mut Value, from: &str, to: &str| *v = serde_json::from_str(&v.to_string().replace(from, to)).unwrap();
    pin(&mut info, &token, "5f2b8c1e9a7d4e3f8b6a0c2d1e4f7a9b");
    fx.insert("wizard_public_address".into(), info);
    let beyond = h.call("wizard_start_listener", json!({ "listen": "not an address" })).unwrap_err();
    assert_eq!(beyond["code"], "invalid");
    let mut listener = h.ok("wizard_start_listener", json!({ "listen": "127.0.0.1:0" }));
    let listening = listener["listening"].as_str().unwrap().to_string();
    assert!(listening.starts_with("127.0.0.1:") && listener["warning"].is_null(), "{listener}");
    let changed: std::sync::Arc<std::sync::Mutex<Vec<Value>>> = Default::default();
    {
        use tauri::Listener;
        let changed = changed.clone();
        h.app.listen_any(crate::wizard::PUBLIC_ADDRESS_CHANGED, move |e| changed.lock().unwrap().push(serde_json::from_str(e.payload()).unwrap()));
    }
    let mut started = h.ok("wizard_start_tunnel", json!({ "account_id": meta_id, "kind": "cloudflared" }));
    assert_eq!(started["public_url"], "https://gentle-river-alpha-bravo.trycloudflare.com");
    assert_eq!(started["stable"], false);
    assert!(started["note"].as_str().unwrap().contains("changes every time"), "{started}");
    assert!(started["registrations"].as_array().unwrap().iter().any(|r| r["account_id"] == meta_id), "{started}");
    // The address changes: registered again, and the window is told.
    // Generous: the check at the start (through an address that does not resolve here) comes first.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    while changed.lock().unwrap().is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let again = changed.lock().unwrap().first().cloned().expect("public-address-changed after the tunnel's new address");
    assert_eq!(again["public_url"], "https://quiet-meadow-charlie-delta.trycloudflare.com");
    assert!(again["registrations"].as_array().unwrap().iter().any(|r| r["account_id"] == meta_id), "registered again: {again}");
    fx.insert("public_address_changed".into(), again);
    record_public_address_fixtures(h, unconfigured, &listening);
    let mut check = h.ok("wizard_check_public", json!({ "account_id": meta_id, "public_url": format!("http://{listening}") }));
    assert_eq!(check["passed"], true, "{check}");
    let failed = h.ok("wizard_check_public", json!({ "account_id": meta_id, "public_url": format!("http://{closed}") }));
    assert_eq!(failed["passed"], false);
    assert_eq!(failed["steps"][0]["status"], "failed");
    crate::wizard::stop_public_address();
    pin(&mut listener, &listening, "127.0.0.1:8765");
    pin(&mut check, &listening, "127.0.0.1:8765");
    pin(&mut started, &token, "5f2b8c1e9a7d4e3f8b6a0c2d1e4f7a9b");
    fx.insert("wizard_start_listener".into(), listener);
    fx.insert("wizard_start_tunnel".into(), started);
    fx.insert("wizard_check_public".into(), check);
}

/// The public address's answers after the wizard started a tunnel (the
/// keeper of `public_address.rs`): the tunnel dies (the banner's state),
/// Restart on the owner's own address (the listener's: reachable), Stop.
/// Recorded in `tests/ui/fixtures/public_address.json`.
fn record_public_address_fixtures(h: &Harness, unconfigured: Value, listening: &str) {
    use wicket_core::tunnel::{pidfile, saved, PublicAddress, SavedSetup};
    let dir = h.app.state::<AppState>().dir.clone();
    let pid = pidfile::recorded(&dir).expect("the running tunnel's pid is remembered").pid;
    assert!(std::process::Command::new("kill").args(["-KILL", &pid.to_string()]).status().unwrap().success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    let mut unreachable = loop {
        let s = h.ok("public_address_status", Value::Null);
        if s["state"] == "unreachable" && s["reason"].as_str().is_some_and(|r| r.contains("stopped")) {
            break s;
        }
        assert!(std::time::Instant::now() < deadline, "the tunnel's end is said: {s}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert_eq!(unreachable["reason"], "Customers' messages cannot reach this computer: the cloudflared tunnel stopped. Restart it");
    assert_eq!(
        (unreachable["fix"].clone(), unreachable["managed_here"].clone(), unreachable["can_stop"].clone()),
        (json!("restart"), json!(true), json!(true))
    );
    assert!(pidfile::recorded(&dir).is_none(), "nothing left to clean up");
    saved::save(
        &mut wicket_core::Store::open(&dir.db_path()).unwrap(),
        &SavedSetup { address: PublicAddress::FixedUrl(format!("http://{listening}")), active: true },
    )
    .unwrap();
    let mut restarted = h.ok("public_address_restart", Value::Null);
    assert_eq!(restarted["state"], "reachable", "the check through the listener's own address passes: {restarted}");
    assert_eq!(restarted["public_url"], format!("http://{listening}"));
    let mut stopped = h.ok("public_address_stop", Value::Null);
    assert_eq!((stopped["state"].clone(), stopped["can_stop"].clone()), (json!("stopped"), json!(false)), "{stopped}");
    assert!(stopped["reason"].as_str().unwrap().contains("Restart it"), "{stopped}");
    assert!(!saved::load(&wicket_core::Store::open(&dir.db_path()).unwrap()).unwrap().unwrap().active, "it stays stopped at the next start");

    // The app quits and starts again with the setup active: the engine's
    // start brings the address back (registered, checked) with no wizard.
    crate::public_address::shutdown();
    saved::set_active(&mut wicket_core::Store::open(&dir.db_path()).unwrap(), true).unwrap();
    let before = h.ok("public_address_status", Value::Null);
    assert_eq!(before["managed_here"], false, "nothing kept after the quit: {before}");
    crate::public_address::engine_started(h.app.handle(), Some(listening.parse().unwrap()));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    loop {
        let s = h.ok("public_address_status", Value::Null);
        if s["state"] == "reachable" && s["managed_here"] == true {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the saved address comes back at the start: {s}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // Times and ports vary: pinned for stable fixtures.
    for v in [&mut unreachable, &mut restarted, &mut stopped] {
        if v["checked_at"].is_number() {
            v["checked_at"] = json!(SAMPLE_NOW);
        }
        *v = serde_json::from_str(&v.to_string().replace(listening, "127.0.0.1:8765")).unwrap();
    }
    let mut pa = serde_json::Map::new();
    pa.insert("status_unconfigured".into(), unconfigured);
    pa.insert("status_unreachable".into(), unreachable);
    pa.insert("status_reachable".into(), restarted.clone());
    pa.insert("status_stopped".into(), stopped.clone());
    pa.insert("public_address_restart".into(), restarted);
    pa.insert("public_address_stop".into(), stopped);
    golden("tests/ui/fixtures/public_address.json", &(serde_json::to_string_pretty(&Value::Object(pa)).unwrap() + "\n"));
}

/// Recorded in `tests/ui/fixtures/settings.json`.
const SETTINGS_COMMANDS: &[&str] = &["get_preferences", "set_preferences", "set_focused_conversation", "app_about", "open_folder", "list_jobs", "list_alerts"];

/// The Settings panel's commands and the focus report through the IPC;
/// recorded as the settings browser fixtures.
#[test]
fn settings_commands_answer_through_ipc_and_record_the_ui_fixtures() {
    let h = Harness::new();
    let mut fx = serde_json::Map::new();
    let defaults = h.ok("get_preferences", Value::Null);
    // The sample sets its own default country; the preference shows the store's.
    let default_country = h.app.state::<AppState>().store().unwrap().default_country().unwrap();
    assert_eq!(
        defaults,
        json!({ "notifications": true, "do_not_disturb": false, "quiet_hours": null, "close_to_tray": true, "start_at_login": false, "typing_indicator": true,
                "notification_previews": true, "theme": "system", "default_country": default_country, "time_zone": null, "contact_sync_hours": 6.0,
                "tray_available": false }),
        "notifications on, close to the tray, no start at login, the typing indicator on; the test app has no tray"
    );
    fx.insert("get_preferences".into(), defaults.clone());

    let mut quiet = defaults.clone();
    quiet["do_not_disturb"] = json!(true);
    quiet["quiet_hours"] = json!({ "from": "22:00", "to": "07:00" });
    let saved = h.ok("set_preferences", quiet.clone());
    assert_eq!(saved, quiet);
    assert_eq!(h.ok("get_preferences", Value::Null), quiet, "kept in the store");
    fx.insert("set_preferences".into(), saved);

    let mut bad = quiet.clone();
    bad["quiet_hours"] = json!({ "from": "25:00", "to": "07:00" });
    let refused = h.call("set_preferences", bad).unwrap_err();
    assert_eq!(refused["code"], "invalid", "{refused}");
    assert!(refused["message"].as_str().unwrap().contains("HH:MM"), "the message says how to write it: {refused}");
    fx.insert("set_preferences_invalid".into(), refused);
    let mut country = quiet.clone();
    country["default_country"] = json!("X9");
    let refused = h.call("set_preferences", country).unwrap_err();
    assert!(refused["message"].as_str().unwrap().contains("two-letter ISO code"), "{refused}");
    fx.insert("set_preferences_bad_country".into(), refused);
    assert_eq!(h.ok("get_preferences", Value::Null), quiet, "a refused change changes nothing");

    // The typing indicator's switch is the `typing_indicator` setting the composer's core call reads.
    let mut silent = quiet.clone();
    silent["typing_indicator"] = json!(false);
    assert_eq!(h.ok("set_preferences", silent.clone()), silent);
    let stored = h.app.state::<AppState>().store().unwrap().setting(wicket_core::typing::SETTING).unwrap();
    assert_eq!(stored, Some(json!(false)), "the same setting as `wicket settings set typing_indicator false`");
    assert_eq!(h.ok("set_preferences", quiet.clone()), quiet);

    assert_eq!(h.ok("set_focused_conversation", json!({ "conversation_id": 3 })), Value::Null);
    assert_eq!(h.app.state::<crate::notifications::Notifier>().focused(), Some(3));
    let until = h.app.state::<AppState>().store().unwrap().setting(wicket_core::engine::IN_USE_UNTIL).unwrap().and_then(|v| v.as_i64());
    assert!(until.is_some_and(|u| u > wicket_core::time::now_ms()), "an open chat marks the app in use, so the engine polls faster");
    h.ok("set_focused_conversation", json!({ "conversation_id": null }));
    assert_eq!(h.app.state::<crate::notifications::Notifier>().focused(), None, "blur clears it");
    fx.insert("set_focused_conversation".into(), Value::Null);

    // About: the same version and schema as `wicket --version`, and where things are.
    let mut about = h.ok("app_about", Value::Null);
    let latest = wicket_core::store::migrations::latest_version();
    assert_eq!(about["version"], wicket_core::VERSION);
    assert_eq!((about["schema_version"].as_i64(), about["store_schema_version"].as_i64()), (Some(latest), Some(latest)), "the open store is migrated");
    assert_eq!(about["data_dir"], h.data_dir().display().to_string());
    assert_eq!(about["logs_dir"], h.data_dir().join("logs").display().to_string());
    about["data_dir"] = json!("/home/owner/.local/share/app.wicket.inbox");
    about["logs_dir"] = json!("/home/owner/.local/share/app.wicket.inbox/logs");
    about["version"] = json!("0.1.0");
    fx.insert("app_about".into(), about);
    // Only the two folders can be opened (no path comes from the page).
    let refused = h.call("open_folder", json!({ "folder": "/etc" })).unwrap_err();
    assert!(refused.to_string().contains("unknown variant"), "{refused}");

    // Background jobs: the same list as `wicket jobs`, after a good run and a failed one.
    let before = h.ok("list_jobs", Value::Null);
    assert!(before.as_array().unwrap().iter().all(|j| j["result"] == "never"), "{before}");
    let meta = before.as_array().unwrap().iter().find(|j| j["name"] == "template_sync").expect("the sample has a Meta account").clone();
    {
        let state = h.app.state::<AppState>();
        let mut store = state.store().unwrap();
        let at = wicket_core::time::now_ms() - 60_000;
        store
            .record_job_run(
                "maintenance",
                None,
                at,
                41,
                Ok("12 raw webhook bodies past 30 days pruned, 2 old log file(s) removed, 0 media folder(s) of removed accounts removed"),
            )
            .unwrap();
        store
            .record_job_run("template_sync", meta["account_id"].as_i64(), at, 230, Err("Meta could not be reached: connection refused; tried again in 6 h"))
            .unwrap();
    }
    let mut jobs = h.ok("list_jobs", Value::Null);
    let list = jobs.as_array_mut().unwrap();
    let find = |list: &[Value], name: &str| list.iter().find(|j| j["name"] == name).unwrap().clone();
    assert_eq!((find(list, "maintenance")["result"].as_str(), find(list, "maintenance")["duration_ms"].as_i64()), (Some("ok"), Some(41)));
    assert_eq!(find(list, "template_sync")["result"], "failed");
    assert!(find(list, "retry_failed")["next_run_at"].is_null(), "never ran: due when the engine runs");
    // Fixed times in the fixture, so it does not change at every run.
    for j in list.iter_mut() {
        for (key, fixed) in [("last_run_at", "2026-12-07T09:14:00.000Z"), ("next_run_at", "2026-12-08T09:14:00.000Z")] {
            if j[key].is_string() {
                j[key] = json!(fixed);
            }
        }
    }
    fx.insert("list_jobs".into(), jobs);

    // Alerts: the sample's flagged number, rejected template and disconnected gateway,
    // then a token Meta refused; each announced once.
    let alerts = h.ok("list_alerts", Value::Null);
    let kinds = |v: &Value| {
        v.as_array().unwrap().iter().map(|a| format!("{} {}", a["kind"].as_str().unwrap(), a["account_name"].as_str().unwrap_or("-"))).collect::<Vec<_>>()
    };
    assert_eq!(kinds(&alerts), ["quality Corner Bakery", "template_rejected Corner Bakery", "session_logged_out Market stall"], "{alerts}");
    {
        let state = h.app.state::<AppState>();
        let mut store = state.store().unwrap();
        let (keys, fresh) = crate::alerts::check(&mut store).unwrap();
        assert_eq!((keys.len(), fresh.len()), (3, 3), "new: notified");
        assert!(crate::alerts::notifies(&store, &fresh[0]));
        assert_eq!(crate::alerts::check(&mut store).unwrap().1.len(), 0, "not again while it lasts");
        let meta = store.accounts().unwrap().into_iter().find(|a| a.provider == wicket_core::model::Provider::Meta).unwrap();
        store.set_account_status(meta.id, wicket_core::model::AccountStatus::NeedsToken, Some("Meta error 190: the session expired")).unwrap();
        let fresh = crate::alerts::check(&mut store).unwrap().1;
        assert_eq!(fresh.iter().map(|a| a.kind.as_str()).collect::<Vec<_>>(), ["token_expired"]);
        let mut quiet = wicket_core::prefs::Preferences::load(&store).unwrap();
        quiet.notifications = false;
        quiet.save(&mut store).unwrap();
        assert!(!crate::alerts::notifies(&store, &fresh[0]), "notifications off: none");
        quiet.notifications = true;
        quiet.save(&mut store).unwrap();
    }
    let mut alerts = h.ok("list_alerts", Value::Null);
    assert_eq!(kinds(&alerts), ["token_expired Corner Bakery", "quality Corner Bakery", "template_rejected Corner Bakery", "session_logged_out Market stall"]);
    for a in alerts.as_array_mut().unwrap() {
        a["since"] = json!("2026-12-07T09:14:00.000Z");
    }
    fx.insert("list_alerts".into(), alerts);
    golden("tests/ui/fixtures/settings.json", &(serde_json::to_string_pretty(&Value::Object(fx)).unwrap() + "\n"));
}

/// The engine's reports become typed events with payloads, the tray count
/// follows the store, and new customer messages reach the notifier.
#[test]
fn engine_events_are_forwarded_with_payloads() {
    use std::sync::{Arc, Mutex};
    use tauri::Listener;
    use wicket_core::engine::EngineEvent;
    use wicket_core::ingest::Applied;
    let h = Harness::new();
    let seen: Arc<Mutex<Vec<(String, Value)>>> = Arc::default();
    for name in [
        crate::events::MESSAGE_RECEIVED,
        crate::events::STATUS_CHANGED,
        crate::events::CONVERSATION_UPDATED,
        crate::events::SYNC_PROGRESS,
        crate::events::ACCOUNT_STATE,
        crate::events::STORE_CHANGED,
    ] {
        let seen = seen.clone();
        h.app.listen_any(name, move |e| seen.lock().unwrap().push((name.to_string(), serde_json::from_str(e.payload()).unwrap())));
    }
    let handle = h.app.handle().clone();
    let (conv, message, unread) = {
        let store = handle.state::<AppState>();
        let store = store.store().unwrap();
        let conv = store.conversations(&wicket_core::store::ConversationFilter { limit: 1, ..Default::default() }).unwrap().remove(0);
        let m = store.messages_page(conv.id, None, 1).unwrap().remove(0);
        (conv.id, m.id, store.unread_total().unwrap())
    };
    assert_eq!(unread, 6, "the sample's unread messages outside archived or muted chats (the tray's count)");
    assert_eq!(crate::tray::label(unread), "Wicket: 6 unread messages");
    assert_eq!(crate::tray::label(1), "Wicket: 1 unread message");

    let applied = Applied {
        new_inbound: vec![message],
        new_messages: vec![message],
        status_changed: vec![message],
        conversations_touched: vec![conv],
        ..Default::default()
    };
    crate::events::forward(&handle, EngineEvent::Polled { account_id: 1, applied });
    crate::events::forward(&handle, EngineEvent::AccountState { account_id: 2, status: wicket_core::model::AccountStatus::Disconnected, reason: None });
    crate::events::forward(&handle, EngineEvent::MediaFetched { media_id: 1, ok: true });
    let seen = seen.lock().unwrap().clone();
    let find = |name: &str| seen.iter().find(|(n, _)| n == name).map(|(_, p)| p.clone()).unwrap_or_else(|| panic!("no {name} in {seen:?}"));
    let received = find("message-received");
    assert_eq!((received["message"]["id"].as_i64(), received["conversation"]["id"].as_i64()), (Some(message), Some(conv)));
    assert_eq!(find("status-changed")["id"].as_i64(), Some(message));
    assert_eq!(find("conversation-updated")["id"].as_i64(), Some(conv));
    assert_eq!(find("sync-progress"), json!({ "account_id": 1, "kind": "messages", "fetched": 1, "updated": 1, "failed": 0 }));
    assert_eq!(find("account-state")["name"], "Market stall");
    assert_eq!(seen.iter().filter(|(n, _)| n == "store-changed").count(), 1, "only what has no typed event falls back to store-changed");
}
