//! Groups, the owner's own phone, system notices, orders and ads as
//! `wicket` shows them: a real `wicket serve` takes the fixture files over
//! HTTP (Meta signed with the app secret, the gateways with their shared
//! secrets) and `wicket conversations`, `messages` and `search --json`
//! print the result. The first pass is out of order on purpose (a group's
//! later subject before its creation, a new number's message before the
//! notice of the change); then the whole set again, re-encoded and
//! reversed, changes nothing.

#[path = "support/cli.rs"]
mod support;

use serde_json::{json, Value};
use std::path::Path;
use support::{fixture, last_line, ok_json, post, sign, Wicket};

const APP_SECRET: &str = "cli-groups-app-secret";
const WS_SECRET: &str = "cli-groups-ws-secret";
const UP_SECRET: &str = "cli-groups-up-secret";
const PASSPHRASE: &str = "groups and kinds passphrase";
const PNID: &str = "318273645501234";
const GROUP: &str = "Y2FwaV9ncm91cDoxNTU1MDEwMjAzMDoxMjAzNjMwNDEyMzQ1Njc4OTAZD";

const WICKET: Wicket = Wicket::vault(PASSPHRASE).vars(&[
    ("T_TOKEN", "EAAG-groups-kinds-token"),
    ("T_SECRET", APP_SECRET),
    ("T_VERIFY", "verify-groups"),
    ("WS_KEY", "ws-groups-key"),
    ("WS_SECRET", WS_SECRET),
]);

/// (provider route, fixture folder, file), in the order of the first pass.
const SET: &[(&str, &str, &str)] = &[
    ("meta", "meta_webhooks", "meta_webhook_group_settings.json"),
    ("meta", "meta_webhooks", "meta_webhook_group_messages.json"),
    ("meta", "meta_webhooks", "meta_webhook_group_participants.json"),
    ("meta", "meta_webhooks", "meta_webhook_group_lifecycle.json"),
    ("meta", "meta_webhooks", "meta_webhook_text_new_number.json"),
    ("meta", "meta_webhooks", "meta_webhook_system_number_change.json"),
    ("meta", "meta_webhooks", "meta_webhook_text_old_number.json"),
    ("meta", "meta_webhooks", "meta_webhook_text.json"),
    ("meta", "meta_webhooks", "meta_webhook_echoes.json"),
    ("meta", "meta_webhooks", "meta_webhook_system_identity.json"),
    ("meta", "meta_webhooks", "meta_webhook_order.json"),
    ("meta", "meta_webhooks", "meta_webhook_referral.json"),
    ("wasender", "wasender", "webhook_group_message.json"),
    ("unipile", "unipile", "unipile_webhook_group_to_edit.json"),
];

struct Accounts {
    meta: String,
    wasender: String,
    unipile: String,
}

fn post_all(addr: &str, a: &Accounts, list: &[(&str, &str, &str)], compact: bool) {
    for (route, folder, name) in list {
        let mut body = fixture(folder, name);
        if compact {
            // A new body with the same content: not a redelivery the listener would skip.
            body = serde_json::to_vec(&serde_json::from_slice::<Value>(&body).unwrap()).unwrap();
        }
        let (account, header) = match *route {
            "meta" => (&a.meta, ("X-Hub-Signature-256", sign(APP_SECRET, &body))),
            "wasender" => (&a.wasender, ("X-Webhook-Signature", WS_SECRET.to_string())),
            _ => (&a.unipile, ("X-Wicket-Secret", UP_SECRET.to_string())),
        };
        assert_eq!(post(addr, &format!("/webhooks/{route}/{account}"), header, &body), 200, "{name}");
    }
}

/// Every conversation with its messages, and what search finds, as `wicket` prints them.
fn printed(dir: &Path) -> Value {
    let convs = ok_json(&WICKET.run(dir, &["conversations", "--json"]));
    let mut out = vec![];
    for c in convs.as_array().unwrap() {
        let id = c["id"].as_str().unwrap().to_string();
        let mut msgs = ok_json(&WICKET.run(dir, &["messages", "--conversation", &id, "--json"]));
        // The engine's download attempts (the provider is offline) move a
        // file's state on their own schedule: not what this test compares.
        for m in msgs.as_array_mut().unwrap() {
            if let Some(media) = m["media"].as_object_mut() {
                media.remove("state");
            }
        }
        out.push(json!({"conversation": c, "messages": msgs}));
    }
    let search: Vec<Value> = ["447700900321", "447700900654", "4601", "lemon", "SKU-CHOC-42", "Pickup", "summer"]
        .iter()
        .map(|q| {
            let hits = ok_json(&WICKET.run(dir, &["search", q, "--json"]));
            json!([q, hits.as_array().unwrap().iter().map(|h| h["display_name"].clone()).collect::<Vec<_>>()])
        })
        .collect();
    json!({"conversations": out, "search": search})
}

/// The conversation whose contact has this phone or opaque id.
fn conversation<'a>(p: &'a Value, key: &str) -> &'a Value {
    p["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["conversation"]["contact"]["phone"] == json!(key) || c["conversation"]["contact"]["provider_user_id"] == json!(key))
        .unwrap_or_else(|| panic!("{key}: {p:#}"))
}

fn texts(c: &Value, kind: &str) -> Vec<String> {
    c["messages"].as_array().unwrap().iter().filter(|m| m["kind"] == json!(kind)).map(|m| m["text"].as_str().unwrap_or_default().to_string()).collect()
}

#[test]
fn groups_echoes_notices_orders_and_ads_as_the_cli_prints_them() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let out = WICKET.add_meta(dir, "Camden", PNID, "214365870912345", &format!("http://{closed}"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let meta = last_line(&out);
    let out = WICKET.run(
        dir,
        &[
            "account",
            "add",
            "wasender",
            "--name",
            "Shop phone",
            "--api-key-env",
            "WS_KEY",
            "--webhook-secret-env",
            "WS_SECRET",
            "--base-url",
            &format!("http://{closed}/api"),
        ],
    );
    assert!(out.status.success(), "an offline WASender account is kept: {}", String::from_utf8_lossy(&out.stderr));
    let wasender = last_line(&out);
    // UniPile accounts come from UniPile's account list; here one is made as that import would.
    let unipile = {
        use wicket_core::secrets::{Secret, SecretName, SecretStore};
        let mut store = wicket_core::Store::open(&dir.join("wicket.db")).unwrap();
        let account = store
            .add_account(&wicket_core::store::NewAccount {
                provider: wicket_core::model::Provider::Unipile,
                name: "Drivers".into(),
                phone: None,
                config: json!({"dsn": format!("http://{closed}"), "unipile_account_id": "kX3pQ9vTRmW2aB7cD1eF0g"}),
            })
            .unwrap();
        let secrets = SecretStore::vault(dir.join("secrets.vault"), Secret::new(PASSPHRASE.into()), &store.data_dir_id().unwrap()).unwrap();
        secrets.set(account.id, SecretName::ApiKey, &Secret::new("up-groups-key".into())).unwrap();
        secrets.set(account.id, SecretName::WebhookSecret, &Secret::new(UP_SECRET.into())).unwrap();
        account.id.to_string()
    };
    let accounts = Accounts { meta, wasender, unipile };

    let serve = WICKET.serve(dir, &[], std::process::Stdio::null()).drained();
    post_all(&serve.addr, &accounts, SET, false);
    let first = printed(dir);

    // Meta group: one group conversation, named by its latest subject.
    let group = conversation(&first, GROUP);
    assert_eq!(group["conversation"]["kind"], json!("group"));
    assert_eq!(group["conversation"]["contact"]["display_name"], json!("Pickup crew Camden"), "the later subject wins whatever the order: {group}");
    assert_eq!(group["conversation"]["unread"], json!(2), "two messages unread; notices are never unread");
    let senders: Vec<(Value, Value)> = group["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["kind"] != json!("notice"))
        .map(|m| (m["sender_name"].clone(), m["sender_id"].clone()))
        .collect();
    assert_eq!(senders, [(json!("Tom Baker"), json!("+447700900456")), (json!("Ada Okafor"), json!("+447700900789"))], "each message keeps its participant");
    assert_eq!(
        texts(group, "notice"),
        [
            "Group “Pickup crew” created",
            "+447700900456 joined with the invite link. +447700900789 joined with the invite link",
            "+447700900789 left",
            "Subject changed to “Pickup crew Camden”. Group description changed"
        ],
        "group webhooks are notices, in time order"
    );
    for m in group["messages"].as_array().unwrap() {
        assert_eq!(m["direction"], json!("in"));
    }
    for phone in ["+447700900456", "+447700900789"] {
        assert!(
            !first["conversations"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["conversation"]["contact"]["phone"] == json!(phone) && c["conversation"]["account_id"] == json!(accounts.meta)),
            "no one-to-one chat for participant {phone}"
        );
    }

    // Gateway groups are group conversations too, with their senders.
    let ws_group = conversation(&first, "120363041234567890@g.us");
    let up_group = first["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["conversation"]["account_id"] == json!(accounts.unipile))
        .unwrap_or_else(|| panic!("the UniPile group: {first:#}"));
    for (g, sender) in [(ws_group, "Tom Baker"), (up_group, "Dev (driver)")] {
        assert_eq!(g["conversation"]["kind"], json!("group"), "{g}");
        assert_eq!(g["messages"][0]["sender_name"], json!(sender), "{g}");
    }

    // The owner's phone (coexistence echoes): outgoing, origin phone, never unread.
    let priya = conversation(&first, "+447700900123");
    assert_eq!(priya["conversation"]["kind"], json!("direct"));
    let echoes: Vec<&Value> = priya["messages"].as_array().unwrap().iter().filter(|m| m["origin"] == json!("phone")).collect();
    assert_eq!(echoes.len(), 2, "each echo once: {priya}");
    for e in &echoes {
        assert_eq!((e["direction"].as_str(), e["status"].as_str()), (Some("out"), Some("sent")), "{e}");
    }
    assert_eq!(echoes[0]["text"], json!("Yes, it's ready: see you at 15:00"));
    assert_eq!(echoes[1]["caption"], json!("Your cake, boxed"));
    assert_eq!(priya["conversation"]["unread"], json!(2), "her text and her order; echoes and the notice add nothing: {priya}");
    assert_eq!(texts(priya, "notice"), ["Priya Raman's security code changed"]);

    // The order: structured, summarised in the list and in search.
    let order = priya["messages"].as_array().unwrap().iter().find(|m| m["kind"] == json!("order")).expect("the order is printed");
    assert_eq!(order["order"]["catalog_id"], json!("194836987003835"));
    assert_eq!(order["order"]["product_items"][1], json!({"product_retailer_id": "SKU-LEMON-7", "quantity": 1, "item_price": 12.5, "currency": "GBP"}));
    assert_eq!(order["order"]["text"], json!("Two please, and one lemon tart"));
    let summary = "Order: 2 × SKU-CHOC-42 (GBP 7.99 each), 1 × SKU-LEMON-7 (GBP 12.50 each) · total GBP 28.48 · “Two please, and one lemon tart”";
    assert_eq!(order["text"], json!(summary));

    // A number change: one contact, one conversation, both numbers found.
    let sam = conversation(&first, "+447700900654");
    let sam_texts: Vec<&str> = sam["messages"].as_array().unwrap().iter().map(|m| m["text"].as_str().unwrap()).collect();
    assert_eq!(
        sam_texts,
        ["Can I collect order #4601 on Friday?", "User Sam Patel changed from 447700900321 to 447700900654", "This is my new number, same order #4601"],
        "the old and the new number's messages in one conversation"
    );
    assert_eq!(sam["conversation"]["contact"]["display_name"], json!("Sam Patel"));
    assert_eq!(sam["conversation"]["unread"], json!(2));
    assert!(
        !first["conversations"].as_array().unwrap().iter().any(|c| c["conversation"]["contact"]["phone"] == json!("+447700900321")),
        "the old number has no conversation of its own"
    );

    // The ad a customer came from.
    let nora = conversation(&first, "+447700900999");
    let referral = &nora["messages"][0]["referral"];
    assert_eq!(
        (referral["headline"].as_str(), referral["body"].as_str(), referral["source_type"].as_str(), referral["source_url"].as_str()),
        (Some("Summer cakes, 20% off"), Some("Order by Friday for weekend pickup"), Some("ad"), Some("https://fb.me/3cr4Wqqkv"))
    );
    assert!(referral["ctwa_clid"].as_str().is_some_and(|c| !c.is_empty()));

    // The list shows the order's summary; search finds by both numbers and by the order.
    let list = ok_json(&WICKET.run(dir, &["conversations", "--json"]));
    let priya_row = list.as_array().unwrap().iter().find(|c| c["contact"]["phone"] == json!("+447700900123")).unwrap();
    assert_eq!(priya_row["last_text"], json!(summary), "the order's summary in the list");
    let found = |q: &str| first["search"].as_array().unwrap().iter().find(|s| s[0] == json!(q)).unwrap()[1].clone();
    // Each number finds the contact (its latest message) and the notice that names it.
    assert_eq!(found("447700900321"), json!(["Sam Patel", "Sam Patel"]), "the old number finds the contact");
    assert_eq!(found("447700900654"), json!(["Sam Patel", "Sam Patel"]), "so does the new one");
    assert_eq!(found("4601"), json!(["Sam Patel", "Sam Patel"]));
    assert_eq!(found("lemon"), json!(["Priya Raman"]));
    assert_eq!(found("SKU-CHOC-42"), json!(["Priya Raman"]));

    // The whole set again, re-encoded and in reverse order: nothing changes.
    let mut again = SET.to_vec();
    again.reverse();
    post_all(&serve.addr, &accounts, &again, true);
    assert_eq!(printed(dir), first, "posting the set again changes nothing");
}
