//! The typing indicator against a fake Graph API on loopback: the composer
//! calls `owner_typing` on every keystroke, and Meta gets the read receipt
//! with `typing_indicator` at most once per 20 s per conversation, only
//! while the customer's last message is unanswered, never with the setting
//! (or read receipts) off, and never for a gateway's chat.

#[path = "support/core.rs"]
mod support;

use serde_json::json;
use support::{data_dir, requests_matching};
use wicket_core::model::{Direction, MessageKind, Provider};
use wicket_core::secrets::{Secret, SecretName, SecretStore};
use wicket_core::store::messages::NewMessage;
use wicket_core::store::NewAccount;
use wicket_core::typing::{owner_typing, owner_typing_at, Typing, INTERVAL_MS};
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn is_typing(r: &wiremock::Request) -> bool {
    serde_json::from_slice::<serde_json::Value>(&r.body).is_ok_and(|b| b["typing_indicator"] == json!({"type": "text"}))
}

#[tokio::test]
async fn typing_sends_metas_indicator_at_most_every_20_seconds_while_a_customer_waits() {
    let graph = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v23.0/PN1/messages"))
        .and(body_partial_json(json!({"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.IN", "typing_indicator": {"type": "text"}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true})))
        .mount(&graph)
        .await;
    let (_tmp, _dir, mut store) = data_dir();
    let account = store
        .add_account(&NewAccount {
            provider: Provider::Meta,
            name: "Shop".into(),
            phone: None,
            config: json!({"phone_number_id": "PN1", "business_account_id": "WABA1", "base_url": graph.uri()}),
        })
        .unwrap();
    let secrets = SecretStore::in_memory("typing");
    secrets.set(account.id, SecretName::AccessToken, &Secret::new("tok-typing".into())).unwrap();
    support::customer_wrote(&mut store, account.id, "wamid.IN");
    let conv = store.message_by_provider_id(account.id, "wamid.IN").unwrap().unwrap().conversation_id;

    // A burst of keystrokes: one request.
    let t0 = 1_800_000_000_000;
    assert_eq!(owner_typing_at(&mut store, &secrets, conv, t0).await.unwrap(), Typing::Sent);
    for dt in [100, 5_000, INTERVAL_MS - 1] {
        assert_eq!(owner_typing_at(&mut store, &secrets, conv, t0 + dt).await.unwrap(), Typing::TooSoon, "+{dt} ms");
    }
    assert_eq!(requests_matching(&graph, is_typing).await, 1);
    // Still typing 20 s later: once more, to keep "typing…" up.
    assert_eq!(owner_typing_at(&mut store, &secrets, conv, t0 + INTERVAL_MS).await.unwrap(), Typing::Sent);
    assert_eq!(requests_matching(&graph, is_typing).await, 2);

    // A second store (another window or process) shares the throttle.
    let mut other = wicket_core::Store::open(store.path()).unwrap();
    assert_eq!(owner_typing_at(&mut other, &secrets, conv, t0 + INTERVAL_MS + 10).await.unwrap(), Typing::TooSoon);

    // The setting off: nothing is sent; read receipts off: nothing either (it marks read).
    for key in ["typing_indicator", "mark_read_on_provider"] {
        store.set_setting(key, &json!(false)).unwrap();
        assert_eq!(owner_typing_at(&mut store, &secrets, conv, t0 + 10 * INTERVAL_MS).await.unwrap(), Typing::Off, "{key}");
        store.set_setting(key, &json!(true)).unwrap();
    }
    assert_eq!(requests_matching(&graph, is_typing).await, 2);

    // A failed request gives the claim back: the next keystroke tries again.
    let down = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(500)).mount(&down).await;
    store.update_account_config(account.id, &json!({"phone_number_id": "PN1", "business_account_id": "WABA1", "base_url": down.uri()})).unwrap();
    let later = t0 + 5 * INTERVAL_MS;
    assert!(owner_typing_at(&mut store, &secrets, conv, later).await.is_err(), "the failure is reported");
    store.update_account_config(account.id, &json!({"phone_number_id": "PN1", "business_account_id": "WABA1", "base_url": graph.uri()})).unwrap();
    assert_eq!(owner_typing_at(&mut store, &secrets, conv, later + 1).await.unwrap(), Typing::Sent, "not throttled by the failed one");
    assert_eq!(requests_matching(&graph, is_typing).await, 3);

    // Once the owner answered, there is nothing to show typing for.
    store
        .insert_message(&NewMessage {
            account_id: account.id,
            conversation_id: conv,
            provider_message_id: Some("wamid.OUT".into()),
            direction: Some(Direction::Out),
            kind: Some(MessageKind::Text),
            text: Some("On its way".into()),
            timestamp: Some(wicket_core::time::now_ms() + 60_000),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(owner_typing(&mut store, &secrets, conv).await.unwrap(), Typing::NothingToAnswer);
    assert_eq!(requests_matching(&graph, is_typing).await, 3, "only the three due ones ever left");
}

#[tokio::test]
async fn a_gateway_chat_never_sends_it() {
    let (_tmp, _dir, mut store) = data_dir();
    let account = store
        .add_account(&NewAccount { provider: Provider::Wasender, name: "Phone".into(), phone: None, config: json!({"base_url": "http://127.0.0.1:9"}) })
        .unwrap();
    support::customer_wrote(&mut store, account.id, "WS-IN-1");
    let conv = store.message_by_provider_id(account.id, "WS-IN-1").unwrap().unwrap().conversation_id;
    assert_eq!(owner_typing(&mut store, &SecretStore::in_memory("gw"), conv).await.unwrap(), Typing::NotSupported);
}
