//! Meta's account-level webhooks as `wicket` shows them: a real `wicket
//! serve` takes the fixture files (signed with the app secret, over HTTP)
//! and `wicket templates --json` and `wicket account list` print what they
//! said. The changes name the business account (WABA id), not a number:
//! they reach every number of that business account whose app secret
//! signed the body, never a number of another app; a number's quality
//! reaches only that number. The owner is asked to act (`attention`) while a
//! template is paused, the number flagged or a ban scheduled, and no longer
//! once a later webhook says all is well. Posting the whole set again,
//! re-encoded and in reverse order, changes nothing.

#[path = "support/cli.rs"]
mod support;

use serde_json::{json, Value};
use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;
use support::{last_line, now_s, ok_json, sign, Wicket};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const APP_SECRET: &str = "cli-account-webhooks-app-secret";
const PASSPHRASE: &str = "account webhooks passphrase";
const WABA: &str = "214365870912345";
/// The fixtures' first time: they are moved to just after the test's template sync.
const FIXTURE_T0: i64 = 1767270800;

const WICKET: Wicket = Wicket::vault(PASSPHRASE).vars(&[("T_TOKEN", "EAAG-account-webhooks-token"), ("T_SECRET", APP_SECRET), ("T_VERIFY", "verify-aw")]);
/// A number of the same business account, in another Meta app.
const OTHER_APP: Wicket =
    Wicket::vault(PASSPHRASE).vars(&[("T_TOKEN", "EAAG-other-app-token"), ("T_SECRET", "another-apps-secret-0000"), ("T_VERIFY", "verify-other")]);

/// The raise-then-clear order of the first pass: first what needs the owner…
const FIRST: &[&str] = &[
    "meta_webhook_business_capability.json",
    "meta_webhook_template_paused.json",
    "meta_webhook_account_ban_scheduled.json",
    "meta_webhook_phone_quality_flagged.json",
    "meta_webhook_template_rejected.json",
    "meta_webhook_template_quality.json",
];
/// …then what says it is fine again (and a restriction that stays).
const THEN: &[&str] = &[
    "meta_webhook_template_category.json",
    "meta_webhook_account_restriction.json",
    "meta_webhook_template_unpaused.json",
    "meta_webhook_account_reinstated.json",
    "meta_webhook_phone_quality_unflagged.json",
];

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/../../tests/fixtures/meta_webhooks/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// The fixture with its `entry[].time` moved by `shift` seconds: Meta stamps
/// a change when it happens, after the templates were synced.
fn shifted(name: &str, shift: i64) -> Vec<u8> {
    let mut v: Value = serde_json::from_slice(&fixture(name)).unwrap();
    for e in v["entry"].as_array_mut().unwrap() {
        e["time"] = json!(e["time"].as_i64().unwrap() + shift);
    }
    serde_json::to_vec(&v).unwrap()
}

fn post(addr: &str, account: &str, body: &[u8]) -> u16 {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let head = format!(
        "POST /webhooks/meta/{account} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\nX-Hub-Signature-256: {}\r\n\r\n",
        body.len(),
        sign(APP_SECRET, body)
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut resp = Vec::new();
    let _ = s.read_to_end(&mut resp);
    String::from_utf8_lossy(&resp).split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0)
}

fn accounts(dir: &Path) -> Vec<Value> {
    ok_json(&WICKET.run(dir, &["account", "list", "--json"])).as_array().unwrap().clone()
}

fn account<'a>(list: &'a [Value], id: &str) -> &'a Value {
    list.iter().find(|a| a["id"] == json!(id)).unwrap_or_else(|| panic!("account {id} in {list:?}"))
}

fn kinds(a: &Value) -> Vec<String> {
    a["attention"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| format!("{}{}", x["kind"].as_str().unwrap(), x["subject"].as_str().map(|s| format!(" {s}")).unwrap_or_default()))
        .collect()
}

fn templates(dir: &Path, account: &str) -> Vec<Value> {
    ok_json(&WICKET.run(dir, &["templates", "--account", account, "--json"])).as_array().unwrap().clone()
}

fn template<'a>(list: &'a [Value], name: &str) -> &'a Value {
    list.iter().find(|t| t["name"] == json!(name)).unwrap_or_else(|| panic!("template {name}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_level_webhooks_reach_the_business_accounts_numbers_and_say_what_to_do() {
    let graph = MockServer::start().await;
    let page = |n: u8| {
        std::fs::read_to_string(format!("{}/../../tests/fixtures/meta/meta_templates_page{n}.json", env!("CARGO_MANIFEST_DIR")))
            .unwrap()
            .replace("\"next\"", "\"ignored_next\"")
            .replace("\"previous\"", "\"ignored_previous\"")
    };
    let (page1, page2): (Value, Value) = (serde_json::from_str(&page(1)).unwrap(), serde_json::from_str(&page(2)).unwrap());
    let all: Vec<Value> = page1["data"].as_array().unwrap().iter().chain(page2["data"].as_array().unwrap()).cloned().collect();
    Mock::given(method("GET"))
        .and(path(format!("/v23.0/{WABA}/message_templates")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": all})))
        .mount(&graph)
        .await;

    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let add = |w: &Wicket, name: &str, pnid: &str| {
        let out = w.add_meta(dir, name, pnid, WABA, &graph.uri());
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        last_line(&out)
    };
    let camden = add(&WICKET, "Camden", "318273645501234");
    let soho = add(&WICKET, "Soho", "318273645509999");
    let elsewhere = add(&OTHER_APP, "Other app", "318273645507777");
    {
        // The numbers' display numbers, as `account test` would have stored them.
        let mut store = wicket_core::Store::open(&dir.join("wicket.db")).unwrap();
        for (id, phone) in [(&camden, "+15550102030"), (&soho, "+15550102031"), (&elsewhere, "+15550102032")] {
            store.set_account_phone(id.parse().unwrap(), Some(phone)).unwrap();
        }
    }
    for id in [&camden, &soho, &elsewhere] {
        let synced = templates_synced(dir, id);
        assert_eq!(synced, 4, "account {id}");
    }
    // Ten minutes ahead: the engine fetches the templates again after each
    // template webhook, and a fetch newer than a webhook wins over it; the
    // fake Graph API keeps answering the first list, which Meta never would.
    let shift = now_s() + 600 - FIXTURE_T0;

    let serve = WICKET.serve(dir, &[], std::process::Stdio::null()).drained();
    for name in FIRST {
        assert_eq!(post(&serve.addr, &camden, &shifted(name, shift)), 200, "{name}");
    }

    // What needs the owner is raised, on both numbers of the business account.
    let list = accounts(dir);
    let c = account(&list, &camden);
    assert_eq!(
        kinds(c),
        ["template_paused order_ready (en_US)", "ban_scheduled", "quality", "template_rejected spring_sale (en_US)", "template_quality login_code (en_US)"],
        "{c:#}"
    );
    assert_eq!((c["quality_rating"].as_str(), c["messaging_limit"].as_str()), (Some("RED"), Some("TIER_1K")), "the flagged number: {c:#}");
    let paused = &c["attention"][0];
    assert!(paused["message"].as_str().unwrap().contains("paused for 3 hours"), "the pause says why: {paused}");
    assert!(paused["action"].as_str().unwrap().contains("WhatsApp Manager"), "and what to do: {paused}");
    let s = account(&list, &soho);
    assert_eq!(
        kinds(s),
        ["template_paused order_ready (en_US)", "ban_scheduled", "template_rejected spring_sale (en_US)", "template_quality login_code (en_US)"],
        "the business account's other number: its templates and the ban, not the first number's quality: {s:#}"
    );
    assert_eq!((s["quality_rating"].as_str(), s["messaging_limit"].as_str()), (None, Some("2000")), "the business capability only: {s:#}");
    let e = account(&list, &elsewhere);
    assert_eq!((kinds(e).len(), &e["messaging_limit"]), (0, &Value::Null), "another app's number of the same business account gets nothing: {e:#}");

    let t = templates(dir, &camden);
    let order_ready = template(&t, "order_ready");
    assert_eq!((order_ready["status"].as_str(), order_ready["sendable"].as_bool()), (Some("PAUSED"), Some(false)), "{order_ready:#}");
    let rejected = template(&t, "spring_sale");
    assert_eq!(
        (rejected["status"].as_str(), rejected["status_reason"].as_str(), rejected["sendable"].as_bool()),
        (Some("REJECTED"), Some("INCORRECT_CATEGORY — Submit it again as a MARKETING template: it promotes a sale."), Some(false)),
        "{rejected:#}"
    );
    assert_eq!(template(&t, "login_code")["quality"], json!("YELLOW"));

    // A paused template is not sendable: the send is refused before queueing, with the reason.
    let out = WICKET.run(dir, &["send", "--account", &camden, "--to", "+447911123456", "--template", "order_ready", "--lang", "en_US", "--param", "x"]);
    assert!(!out.status.success(), "a paused template must not be sent");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is PAUSED") && err.contains("paused for 3 hours"), "{err}");

    // The same things are alerts (`wicket alerts`), each with its account and what to do.
    let raised = alert_kinds(dir, &camden);
    assert_eq!(
        raised,
        ["template_paused order_ready (en_US)", "ban_scheduled", "quality", "template_rejected spring_sale (en_US)", "template_quality login_code (en_US)"]
    );
    let table = String::from_utf8_lossy(&WICKET.run(dir, &["alerts"]).stdout).to_string();
    assert!(table.contains("template_paused") && table.contains("WhatsApp Manager"), "{table}");

    // The text listing says it too.
    let text = String::from_utf8_lossy(&WICKET.run(dir, &["account", "list"]).stdout).to_string();
    assert!(text.contains(&format!("account {camden} needs attention: Template order_ready (en_US) is paused")), "{text}");

    for name in THEN {
        assert_eq!(post(&serve.addr, &camden, &shifted(name, shift)), 200, "{name}");
    }
    let settled = (accounts(dir), unsynced(templates(dir, &camden)), unsynced(templates(dir, &soho)));
    let c = account(&settled.0, &camden);
    assert_eq!(
        kinds(c),
        ["template_rejected spring_sale (en_US)", "template_quality login_code (en_US)", "restricted"],
        "unpaused, unflagged and reinstated clear their banners; the restriction in force raises one: {c:#}"
    );
    assert_eq!((c["quality_rating"].as_str(), c["messaging_limit"].as_str()), (Some("GREEN"), Some("TIER_10K")), "{c:#}");
    assert_eq!(
        alert_kinds(dir, &camden),
        ["template_rejected spring_sale (en_US)", "template_quality login_code (en_US)", "restricted"],
        "the alerts cleared with them"
    );
    assert_eq!(c["restriction"][0]["restriction_type"], json!("RESTRICTED_BIZ_INITIATED_MESSAGING"));
    assert_eq!(c["ban"], Value::Null, "reinstated");
    assert_eq!(c["capabilities"]["max_phone_numbers_per_business"], json!(20));
    let order_ready = template(&settled.1, "order_ready");
    assert_eq!(
        (order_ready["status"].as_str(), order_ready["category"].as_str(), order_ready["sendable"].as_bool()),
        (Some("APPROVED"), Some("MARKETING"), Some(true)),
        "{order_ready:#}"
    );
    assert_eq!(template(&settled.2, "order_ready")["status"], json!("APPROVED"), "the other number's copy too");

    // Everything again, re-encoded and in reverse order: nothing changes.
    for name in FIRST.iter().chain(THEN).rev() {
        let body = serde_json::to_vec_pretty(&serde_json::from_slice::<Value>(&shifted(name, shift)).unwrap()).unwrap();
        assert_eq!(post(&serve.addr, &camden, &body), 200, "{name}");
    }
    assert_eq!(
        (health(&accounts(dir)), unsynced(templates(dir, &camden)), unsynced(templates(dir, &soho))),
        (health(&settled.0), settled.1, settled.2),
        "a second delivery, in any order, changes nothing"
    );
    drop(serve);
}

/// `wicket alerts --json` for one account, as "kind subject".
fn alert_kinds(dir: &Path, account: &str) -> Vec<String> {
    ok_json(&WICKET.run(dir, &["alerts", "--json"]))
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["account_id"] == json!(account))
        .map(|x| format!("{}{}", x["kind"].as_str().unwrap(), x["subject"].as_str().map(|s| format!(" {s}")).unwrap_or_default()))
        .collect()
}

/// The templates without their fetch time (the engine fetches them again on its own after a template webhook).
/// Also without their row id: a fetch replaces the rows (a template is its name and language),
/// and it may land between two snapshots.
fn unsynced(mut list: Vec<Value>) -> Vec<Value> {
    for t in &mut list {
        let t = t.as_object_mut().unwrap();
        t.remove("synced_at");
        t.remove("id");
    }
    list.sort_by_key(|t| (t["name"].as_str().unwrap_or_default().to_string(), t["language"].as_str().unwrap_or_default().to_string()));
    list
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_webhook_makes_the_engine_fetch_the_templates_again() {
    let graph = MockServer::start().await;
    let page1: Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{}/../../tests/fixtures/meta/meta_templates_page1.json", env!("CARGO_MANIFEST_DIR")))
            .unwrap()
            .replace("\"next\"", "\"ignored_next\""),
    )
    .unwrap();
    let before: Vec<Value> = page1["data"].as_array().unwrap().clone();
    let new_template = json!({"name": "pickup_reminder", "parameter_format": "POSITIONAL", "language": "en_US", "status": "APPROVED", "category": "UTILITY",
        "id": "1122334455667799", "components": [{"type": "BODY", "text": "Your order {{1}} waits for you until {{2}}.",
        "example": {"body_text": [["#4521", "6 pm"]]}}]});
    let after: Vec<Value> = before.iter().cloned().chain([new_template]).collect();
    let list_path = format!("/v23.0/{WABA}/message_templates");
    // Meta's list before the template was approved (the first sync), then after.
    Mock::given(method("GET"))
        .and(path(list_path.clone()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": before})))
        .up_to_n_times(1)
        .mount(&graph)
        .await;
    Mock::given(method("GET")).and(path(list_path.clone())).respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": after}))).mount(&graph).await;

    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let out = WICKET.add_meta(dir, "Camden", "318273645501234", WABA, &graph.uri());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let camden = last_line(&out);
    assert_eq!(templates_synced(dir, &camden), 2);
    let fetches = || async { graph.received_requests().await.unwrap_or_default().iter().filter(|r| r.url.path() == list_path).count() };
    assert_eq!(fetches().await, 1);

    let serve = WICKET.serve(dir, &[], std::process::Stdio::null()).drained();
    let mut body: Value = serde_json::from_slice(&fixture("meta_webhook_template_approved_new.json")).unwrap();
    body["entry"][0]["time"] = json!(now_s());
    let body = serde_json::to_vec(&body).unwrap();
    assert_eq!(post(&serve.addr, &camden, &body), 200);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let fresh = loop {
        let list = templates(dir, &camden);
        if list.iter().any(|t| t["name"] == json!("pickup_reminder")) {
            break list;
        }
        if std::time::Instant::now() > deadline {
            let logs: String = support::files_under(&dir.join("logs")).iter().map(|f| std::fs::read_to_string(f).unwrap_or_default()).collect();
            panic!("the engine never fetched the templates again: {list:?}\n{logs}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let picked = template(&fresh, "pickup_reminder");
    assert_eq!((picked["status"].as_str(), picked["sendable"].as_bool()), (Some("APPROVED"), Some(true)), "the picker offers it: {picked:#}");
    assert_eq!(picked["components"][0]["text"], json!("Your order {{1}} waits for you until {{2}}."), "with its body, which only Meta's list has");
    assert_eq!(fetches().await, 2, "one fetch for one webhook");

    // The same webhook again (re-encoded) says nothing new: no fetch.
    let again = serde_json::to_vec_pretty(&serde_json::from_slice::<Value>(&body).unwrap()).unwrap();
    assert_eq!(post(&serve.addr, &camden, &again), 200);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(fetches().await, 2, "a webhook that changes nothing fetches nothing");
    drop(serve);
}

fn templates_synced(dir: &Path, account: &str) -> usize {
    ok_json(&WICKET.run(dir, &["templates", "--account", account, "--sync", "--json"])).as_array().unwrap().len()
}

/// What the webhooks set on each account (the engine may change the rest on its own schedule).
fn health(list: &[Value]) -> Vec<Value> {
    const FIELDS: &[&str] = &[
        "id",
        "quality_rating",
        "messaging_limit",
        "restriction",
        "ban",
        "violation",
        "connection",
        "verification",
        "capabilities",
        "attention",
        "health_updated_at",
    ];
    list.iter().map(|a| Value::Object(FIELDS.iter().map(|f| (f.to_string(), a[*f].clone())).collect())).collect()
}

#[test]
fn the_typing_indicator_setting_is_listed_on_by_default_and_takes_only_true_or_false() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    assert_eq!(ok_json(&WICKET.run(dir, &["settings", "list", "--json"]))["typing_indicator"], json!(true));
    let refused = WICKET.run(dir, &["settings", "set", "typing_indicator", "sometimes"]);
    assert!(!refused.status.success() && String::from_utf8_lossy(&refused.stderr).contains("true or false"));
    assert!(WICKET.run(dir, &["settings", "set", "typing_indicator", "false"]).status.success());
    assert_eq!(ok_json(&WICKET.run(dir, &["settings", "list", "--json"]))["typing_indicator"], json!(false));
}
