//! Coexistence imports, group receipts and the gateways' chat and group
//! events as `wicket` shows them: a real `wicket serve` takes the fixture
//! files over HTTP (Meta signed with the app secret, WASender with its
//! shared secret) and `wicket conversations`, `messages`, `contacts` and
//! `account list --json` print the result.
//!
//! Meta's `history` chunks import the chats the owner had in the WhatsApp
//! Business app (direction from the business's own number, statuses from the
//! history, a media placeholder filled when its media comes), marked
//! `history: true`, never unread;
//! the import's progress is on the account, and a declined import says so.
//! `smb_app_state_sync` gives saved names (a name typed in Wicket wins; a
//! removal clears the name). Group receipts are kept per participant.
//! The first pass is out of order on purpose (media before its placeholder,
//! the last chunk first, a removal before its entry, receipts before their
//! message, a newer subject before an older one); then the whole set again,
//! re-encoded and reversed, changes nothing.

#[path = "support/cli.rs"]
mod support;

use serde_json::{json, Value};
use std::path::Path;
use support::{fixture, last_line, ok_json, post, sign, Wicket};

const APP_SECRET: &str = "cli-coexistence-app-secret";
const WS_SECRET: &str = "cli-coexistence-ws-secret";
const PASSPHRASE: &str = "coexistence passphrase";
const PNID: &str = "318273645501234";
const DECLINED_PNID: &str = "318273645508888";
const WABA: &str = "214365870912345";
const GROUP: &str = "Y2FwaV9ncm91cDoxNTU1MDEwMjAzMDoxMjAzNjMwNDEyMzQ1Njc4OTAZD";
const WS_GROUP: &str = "120363041234567890@g.us";

const WICKET: Wicket = Wicket::vault(PASSPHRASE).vars(&[
    ("T_TOKEN", "EAAG-coexistence-token"),
    ("T_SECRET", APP_SECRET),
    ("T_VERIFY", "verify-coexistence"),
    ("WS_KEY", "ws-coexistence-key"),
    ("WS_SECRET", WS_SECRET),
]);

/// (route: `meta`, `declined` (the second Meta number) or `wasender`, folder, file), in the order of the first pass.
const SET: &[(&str, &str, &str)] = &[
    ("meta", "meta_webhooks", "meta_webhook_history_media.json"),
    ("meta", "meta_webhooks", "meta_webhook_history_chunk2.json"),
    ("meta", "meta_webhooks", "meta_webhook_history_chunk1.json"),
    ("declined", "meta_webhooks", "meta_webhook_history_declined.json"),
    ("meta", "meta_webhooks", "meta_webhook_app_state_sync_remove.json"),
    ("meta", "meta_webhooks", "meta_webhook_app_state_sync.json"),
    ("meta", "meta_webhooks", "meta_webhook_group_statuses.json"),
    ("meta", "meta_webhooks", "meta_webhook_group_echo.json"),
    ("wasender", "wasender", "webhook_groups_update.json"),
    ("wasender", "wasender", "webhook_group_participants_leave.json"),
    ("wasender", "wasender", "webhook_message_receipt.json"),
    ("wasender", "wasender", "webhook_chats_upsert.json"),
    ("wasender", "wasender", "webhook_groups_upsert.json"),
    ("wasender", "wasender", "webhook_group_participants_add.json"),
    ("wasender", "wasender", "webhook_group_message_from_me.json"),
    ("wasender", "wasender", "webhook_message_receipt_array.json"),
    ("wasender", "wasender", "webhook_contacts_upsert_named.json"),
];

struct Accounts {
    meta: String,
    declined: String,
    wasender: String,
}

fn post_all(addr: &str, a: &Accounts, list: &[(&str, &str, &str)], compact: bool) {
    for (route, folder, name) in list {
        let mut body = fixture(folder, name);
        if compact {
            // A new body with the same content: not a redelivery the listener would skip.
            body = serde_json::to_vec(&serde_json::from_slice::<Value>(&body).unwrap()).unwrap();
        }
        let (target, header) = match *route {
            "meta" => (format!("/webhooks/meta/{}", a.meta), ("X-Hub-Signature-256", sign(APP_SECRET, &body))),
            "declined" => (format!("/webhooks/meta/{}", a.declined), ("X-Hub-Signature-256", sign(APP_SECRET, &body))),
            _ => (format!("/webhooks/wasender/{}", a.wasender), ("X-Webhook-Signature", WS_SECRET.to_string())),
        };
        assert_eq!(post(addr, &target, header, &body), 200, "{name}");
    }
}

/// Every conversation with its messages, the contacts and the accounts' imports, as `wicket` prints them.
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
    let contacts = ok_json(&WICKET.run(dir, &["contacts", "--json"]));
    let imports: Vec<Value> =
        ok_json(&WICKET.run(dir, &["account", "list", "--json"])).as_array().unwrap().iter().map(|a| json!([a["id"], a["history_import"]])).collect();
    json!({"conversations": out, "contacts": contacts, "imports": imports})
}

fn conversation<'a>(p: &'a Value, account: &str, key: &str) -> &'a Value {
    p["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            c["conversation"]["account_id"] == json!(account)
                && (c["conversation"]["contact"]["phone"] == json!(key) || c["conversation"]["contact"]["provider_user_id"] == json!(key))
        })
        .unwrap_or_else(|| panic!("{key}: {p:#}"))
}

fn contact<'a>(p: &'a Value, account: &str, phone: &str) -> &'a Value {
    p["contacts"].as_array().unwrap().iter().find(|c| c["account_id"] == json!(account) && c["phone"] == json!(phone)).unwrap_or_else(|| panic!("{phone}"))
}

fn import<'a>(p: &'a Value, account: &str) -> &'a Value {
    &p["imports"].as_array().unwrap().iter().find(|i| i[0] == json!(account)).unwrap()[1]
}

/// (direction, origin, kind, status, text or caption) of each message. The
/// app's outgoing history is from the owner's phone (origin `phone`).
fn lines(c: &Value) -> Vec<(String, String, String, String, String)> {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    c["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (s(&m["direction"]), s(&m["origin"]), s(&m["kind"]), s(&m["status"]), if m["text"].is_null() { s(&m["caption"]) } else { s(&m["text"]) }))
        .collect()
}

fn line(d: &str, o: &str, k: &str, st: &str, t: &str) -> (String, String, String, String, String) {
    (d.into(), o.into(), k.into(), st.into(), t.into())
}

#[test]
fn history_address_book_receipts_and_gateway_groups_as_the_cli_prints_them() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let add = |name: &str, pnid: &str| {
        let out = WICKET.add_meta(dir, name, pnid, WABA, &format!("http://{closed}"));
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        last_line(&out)
    };
    let meta = add("Camden", PNID);
    let declined = add("Soho", DECLINED_PNID);
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
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let wasender = last_line(&out);
    {
        // The owner named one customer in Wicket before the app's address book came.
        use wicket_core::store::contacts::{ContactKey, ContactUpdate};
        let mut store = wicket_core::Store::open(&dir.join("wicket.db")).unwrap();
        let omar = store.upsert_contact(meta.parse().unwrap(), &ContactKey::phone("+447700900777"), &ContactUpdate::default()).unwrap();
        store.set_contact_name_by_owner(omar.id, Some("Omar from the market")).unwrap();
    }
    let accounts = Accounts { meta: meta.clone(), declined: declined.clone(), wasender: wasender.clone() };

    let serve = WICKET.serve(dir, &[], std::process::Stdio::null()).drained();
    post_all(&serve.addr, &accounts, SET, false);
    let first = printed(dir);

    // The app's chats: both directions, statuses from the history, never unread.
    let priya = conversation(&first, &meta, "+447700900123");
    assert_eq!(
        lines(priya),
        [
            line("out", "phone", "text", "read", "Your cake is ready for pickup"),
            line("in", "", "text", "received", "Wonderful, I'll come at five"),
            line("in", "", "image", "received", "The colour I'd like"),
        ],
        "the placeholder took its media, whichever came first: {priya:#}"
    );
    assert_eq!(priya["messages"][2]["media"]["mime"], json!("image/jpeg"));
    for m in priya["messages"].as_array().unwrap() {
        assert_eq!(m["history"], json!(true), "marked as imported from the app: {m}");
    }
    assert_eq!(priya["conversation"]["unread"], json!(0), "history is never unread");
    assert_eq!(priya["conversation"]["contact"]["display_name"], json!("Priya Raman (wedding cake)"), "the app's saved name");
    let omar = conversation(&first, &meta, "+447700900777");
    assert_eq!(
        lines(omar),
        [
            line("out", "phone", "text", "failed", "We open at nine tomorrow"),
            line("in", "", "text", "received", "Is the shop open on Sunday?"),
            line("out", "phone", "text", "delivered", "Yes, ten to four"),
        ]
    );
    assert!(omar["messages"][0]["error"]["message"].as_str().unwrap().contains("could not send"), "{omar:#}");
    assert_eq!(omar["conversation"]["unread"], json!(0));
    assert_eq!(omar["conversation"]["contact"]["display_name"], json!("Omar from the market"), "a name typed in Wicket wins");
    let lena = contact(&first, &meta, "+447700900555");
    assert_eq!(lena["name"], Value::Null, "the later removal cleared the name, whatever the order: {lena}");

    // The import's progress, and the declined one.
    let done = import(&first, &meta);
    assert_eq!(
        (done["state"].as_str(), done["progress"].as_i64(), done["phase"].as_i64(), done["chunk_order"].as_i64()),
        (Some("done"), Some(100), Some(1), Some(2))
    );
    assert_eq!(done["messages"], json!(6), "each history message counted once: {done}");
    let no = import(&first, &declined);
    assert_eq!((no["state"].as_str(), no["error_code"].as_str()), (Some("declined"), Some("2593109")), "{no}");
    assert!(no["error_message"].as_str().unwrap().contains("declined to share"), "{no}");
    assert_eq!(import(&first, &wasender), &Value::Null);
    let text = String::from_utf8_lossy(&WICKET.run(dir, &["account", "list"]).stdout).to_string();
    assert!(text.contains(&format!("account {declined}: The owner declined to share")), "{text}");

    // Meta group: the message's status moved forward; each participant's receipt kept.
    let group = conversation(&first, &meta, GROUP);
    let sent = &group["messages"][0];
    assert_eq!((sent["origin"].as_str(), sent["status"].as_str()), (Some("phone"), Some("read")), "{sent:#}");
    let receipts: Vec<(Value, Value)> = sent["receipts"].as_array().unwrap().iter().map(|r| (r["participant"].clone(), r["status"].clone())).collect();
    assert_eq!(receipts, [(json!("+447700900456"), json!("read")), (json!("+447700900789"), json!("delivered"))], "{sent:#}");
    assert_eq!(sent["receipts"][0]["delivered_at"], json!("2025-12-29T09:37:40Z"), "the delivered time stays with the read one");

    // WASender: the group named by its newer subject, membership as notices, receipts per member.
    let ws = conversation(&first, &wasender, WS_GROUP);
    assert_eq!(ws["conversation"]["kind"], json!("group"));
    assert_eq!(ws["conversation"]["contact"]["display_name"], json!("Camden bakers & friends"), "the newer subject wins whatever the order");
    assert_eq!(
        lines(ws),
        [
            line("in", "", "notice", "received", "+447700900789 was added by +447700900123"),
            line("in", "", "notice", "received", "+447700900456 left"),
            line("out", "phone", "text", "sent", "Trays are ready"),
        ]
    );
    assert_eq!(ws["conversation"]["unread"], json!(0), "notices are never unread");
    let mine = &ws["messages"][2];
    let receipts: Vec<(Value, Value)> = mine["receipts"].as_array().unwrap().iter().map(|r| (r["participant"].clone(), r["status"].clone())).collect();
    assert_eq!(receipts, [(json!("+447700900123"), json!("delivered")), (json!("+447700900789"), json!("read"))], "{mine:#}");
    let grace = conversation(&first, &wasender, "+447700900246");
    assert_eq!(grace["messages"], json!([]), "chats.upsert lists a chat before any message");
    assert_eq!(
        (grace["conversation"]["contact"]["display_name"].as_str(), contact(&first, &wasender, "+447700900246")["profile_name"].as_str()),
        (Some("Grace Liu"), Some("Gracie"))
    );

    // The whole set again, re-encoded and in reverse order: nothing changes.
    let mut again = SET.to_vec();
    again.reverse();
    post_all(&serve.addr, &accounts, &again, true);
    assert_eq!(printed(dir), first, "posting the set again changes nothing");
}
