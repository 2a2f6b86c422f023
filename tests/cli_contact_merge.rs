//! `wicket contact merge|merge-undo|suggestions` end to end with real
//! processes: signed Meta webhooks over HTTP to `wicket serve` make one
//! customer two contacts (by number, then by business-scoped user id), the
//! suggestion says why, the merge leaves one contact that later webhooks for
//! either key reach, the undo gives both back, a second merge blocks the
//! first undo, and a dismissed suggestion stays dismissed.

#[path = "support/cli.rs"]
mod support;

use serde_json::{json, Value};
use std::path::Path;
use std::process::Stdio;
use support::{last_line, now_s, ok_json, post, sign, stderr, Wicket};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const APP_SECRET: &str = "app-secret-merge-5f1e2d3c4b5a6978";
const PNID: &str = "318273645501234";
const WICKET: Wicket = Wicket::vault("contact merge passphrase").vars(&[
    ("T_TOKEN", "EAAG-test-access-token-0123456789abcdef"),
    ("T_SECRET", APP_SECRET),
    ("T_VERIFY", "verify-token-abc123xyz"),
]);

fn inbound(wamid: &str, from: Option<&str>, user_id: Option<&str>, text: &str) -> Vec<u8> {
    let mut contact = json!({"profile": {"name": "Priya Raman"}});
    let mut msg = json!({"id": wamid, "timestamp": now_s().to_string(), "type": "text", "text": {"body": text}});
    if let Some(f) = from {
        contact["wa_id"] = json!(f);
        msg["from"] = json!(f);
    }
    if let Some(u) = user_id {
        contact["user_id"] = json!(u);
        msg["from_user_id"] = json!(u);
    }
    json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550102030", "phone_number_id": PNID},
        "contacts": [contact], "messages": [msg]}}]}]})
    .to_string()
    .into_bytes()
}

fn webhook(addr: &str, account: &str, body: &[u8]) {
    assert_eq!(post(addr, &format!("/webhooks/meta/{account}"), ("X-Hub-Signature-256", sign(APP_SECRET, body)), body), 200);
}

fn contacts(dir: &Path) -> Vec<Value> {
    ok_json(&WICKET.run(dir, &["contacts", "--json"])).as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merge_undo_and_suggestions_from_the_terminal() {
    let graph = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/v23.0/{PNID}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"display_phone_number": "+1 555-010-2030", "verified_name": "Camden", "id": PNID})))
        .mount(&graph)
        .await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let uri = graph.uri();
    tokio::task::spawn_blocking(move || round_trip(&dir, &uri)).await.unwrap();
}

fn round_trip(dir: &Path, graph: &str) {
    let out = WICKET.add_meta(dir, "Camden", PNID, "WABA1", graph);
    assert!(out.status.success(), "account add failed: {}", stderr(&out));
    let account = last_line(&out);
    let serve = WICKET.serve(dir, &[], Stdio::null()).drained();
    webhook(&serve.addr, &account, &inbound("wamid.P1", Some("447911123456"), None, "Is my parcel ready?"));
    webhook(&serve.addr, &account, &inbound("wamid.U1", None, Some("GB.1502576394655843"), "It is the blue one"));
    webhook(&serve.addr, &account, &inbound("wamid.B1", Some("447911123456"), Some("GB.1502576394655843"), "Thanks"));
    webhook(&serve.addr, &account, &inbound("wamid.BR1", Some("5511987654321"), None, "Oi"));
    webhook(&serve.addr, &account, &inbound("wamid.BR2", Some("551187654321"), None, "Oi de novo"));
    assert_eq!(contacts(dir).len(), 4);
    let user_id = contacts(dir).iter().find(|c| c["provider_user_id"] == json!("GB.1502576394655843")).unwrap()["id"].as_str().unwrap().to_string();

    let s = ok_json(&WICKET.run(dir, &["contact", "suggestions", "--json"]));
    let kinds: Vec<&str> = s.as_array().unwrap().iter().map(|x| x["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.len(), 2, "{s}");
    assert!(kinds.contains(&"meta_user_id") && kinds.contains(&"brazil_ninth_digit"), "{s}");
    let table = String::from_utf8_lossy(&WICKET.run(dir, &["contact", "suggestions"]).stdout).to_string();
    assert!(table.contains("WHY") && table.contains("Brazil's ninth digit") && table.contains("GB.1502576394655843"), "{table}");

    // Merge by number and id; later webhooks for either key land on the kept contact.
    let m1 = ok_json(&WICKET.run(dir, &["contact", "merge", "+44 7911 123456", &user_id, "--json"]));
    assert_eq!((m1["removed_id"].as_str(), m1["messages_moved"].as_u64()), (Some(user_id.as_str()), Some(1)), "{m1}");
    assert_eq!(contacts(dir).len(), 3);
    webhook(&serve.addr, &account, &inbound("wamid.U2", None, Some("GB.1502576394655843"), "by id"));
    webhook(&serve.addr, &account, &inbound("wamid.P2", Some("447911123456"), None, "by number"));
    assert_eq!(contacts(dir).len(), 3, "no contact came back for either key");
    let conv = m1["conversation_id"].as_str().unwrap();
    let msgs = ok_json(&WICKET.run(dir, &["messages", "--conversation", conv, "--json"]));
    assert_eq!(msgs.as_array().unwrap().len(), 5, "every message in the kept conversation: {msgs}");

    // Undo gives both back; a second undo has nothing to do.
    let undone = ok_json(&WICKET.run(dir, &["contact", "merge-undo", "--json"]));
    assert_eq!(undone["restored_id"].as_str(), Some(user_id.as_str()), "{undone}");
    assert_eq!(contacts(dir).len(), 4);
    let again = WICKET.run(dir, &["contact", "merge-undo"]);
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
    assert!(stderr(&again).contains("no merge to undo"), "{}", stderr(&again));

    // A second merge blocks the first one's undo.
    let m1 = ok_json(&WICKET.run(dir, &["contact", "merge", "+447911123456", &user_id, "--json"]));
    let out = WICKET.run(dir, &["contact", "merge", "+5511987654321", "+551187654321"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(last_line(&out).contains("merge-undo"), "the text says how to undo: {}", last_line(&out));
    let blocked = WICKET.run(dir, &["contact", "merge-undo", "--merge", m1["merge_id"].as_str().unwrap()]);
    assert_eq!(blocked.status.code(), Some(2));
    assert!(stderr(&blocked).contains("can no longer be undone"), "{}", stderr(&blocked));
    let refused = WICKET.run(dir, &["contact", "merge", "+447911123456", "+447911123456"]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));

    // Dismissing: the Brazilian pair again after an undo, then dismissed.
    WICKET.run(dir, &["contact", "merge-undo"]);
    assert_eq!(ok_json(&WICKET.run(dir, &["contact", "suggestions", "--json"])).as_array().unwrap().len(), 1);
    let d = ok_json(&WICKET.run(dir, &["contact", "suggestions", "dismiss", "+5511987654321", "+551187654321", "--json"]));
    assert_eq!(d["dismissed"].as_array().unwrap().len(), 2);
    assert_eq!(ok_json(&WICKET.run(dir, &["contact", "suggestions", "--json"])), json!([]), "dismissed stays dismissed");
    drop(serve);
}
