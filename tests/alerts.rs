//! Alerts: each cause raised and cleared, from a real store and, for
//! signature failures, the real listener over HTTP; a new alert is
//! announced once (`refresh`), not while it lasts, and again when it comes
//! back after clearing.

#[path = "support/core.rs"]
mod support;

use serde_json::json;
use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;
use support::{customer_wrote, data_dir, text};
use wicket_core::alerts::{self, Alert};
use wicket_core::model::{AccountStatus, Provider};
use wicket_core::secrets::{Secret, SecretName, SecretStore};
use wicket_core::store::{Account, NewAccount, Store};
use wicket_core::time::now_ms;
use wicket_core::tunnel::health::{PublicAddressHealth, Reachability};
use wicket_core::webhook::{ListenerConfig, WebhookDeps, WebhookServer};

fn account(store: &mut Store, provider: Provider, name: &str) -> Account {
    let config = match provider {
        Provider::Meta => json!({"phone_number_id": "PN1", "business_account_id": "W", "base_url": "http://127.0.0.1:9"}),
        _ => json!({"base_url": "http://127.0.0.1:9"}),
    };
    store.add_account(&NewAccount { provider, name: name.into(), phone: None, config }).unwrap()
}

fn kinds(alerts: &[Alert]) -> Vec<String> {
    alerts.iter().map(|a| format!("{} {}", a.kind, a.account_name.as_deref().unwrap_or("-"))).collect()
}

#[test]
fn account_states_raise_alerts_that_are_announced_once_and_clear_themselves() {
    let (_tmp, _dir, mut store) = data_dir();
    let meta = account(&mut store, Provider::Meta, "Camden");
    let gateway = account(&mut store, Provider::Wasender, "Stall");
    assert!(alerts::current(&store, now_ms()).unwrap().is_empty(), "a new data dir needs nothing");

    store.set_account_status(meta.id, AccountStatus::NeedsToken, Some("Meta error 190: the token expired")).unwrap();
    store.set_account_status(gateway.id, AccountStatus::Disconnected, Some("scan the QR code")).unwrap();
    let now = alerts::current(&store, now_ms()).unwrap();
    assert_eq!(kinds(&now), ["token_expired Camden", "session_logged_out Stall"]);
    assert!(now[0].message.contains("token expired") && now[0].action.contains("access token"), "{:?}", now[0]);
    assert!(now[1].action.contains(&format!("wicket account reconnect {}", gateway.id)), "{:?}", now[1]);
    assert!(now.iter().all(|a| a.severity == "critical" && a.since.is_some()));

    // Announced once: the first refresh returns both, the next nothing.
    assert_eq!(kinds(&alerts::refresh(&mut store, now_ms()).unwrap()), ["token_expired Camden", "session_logged_out Stall"]);
    assert!(alerts::refresh(&mut store, now_ms()).unwrap().is_empty(), "not repeated while it lasts");

    // Fixed: gone from the list; if it happens again it is announced again.
    store.set_account_status(meta.id, AccountStatus::Ok, None).unwrap();
    assert_eq!(kinds(&alerts::current(&store, now_ms()).unwrap()), ["session_logged_out Stall"]);
    assert!(alerts::refresh(&mut store, now_ms()).unwrap().is_empty());
    store.set_account_status(meta.id, AccountStatus::NeedsToken, None).unwrap();
    assert_eq!(kinds(&alerts::refresh(&mut store, now_ms()).unwrap()), ["token_expired Camden"]);

    // A disabled account raises nothing; `retrying` is not an alert (it passes by itself).
    store.set_account_status(gateway.id, AccountStatus::Retrying, Some("timeout")).unwrap();
    assert_eq!(kinds(&alerts::current(&store, now_ms()).unwrap()), ["token_expired Camden"]);
}

#[test]
fn a_stuck_outbox_is_raised_only_when_nothing_explains_it() {
    let (_tmp, _dir, mut store) = data_dir();
    let meta = account(&mut store, Provider::Meta, "Camden");
    customer_wrote(&mut store, meta.id, "wamid.IN");
    let m = wicket_core::outbox::queue(&mut store, &meta, "+447911123456", text("Your order is ready"), None).unwrap();
    assert!(alerts::current(&store, now_ms()).unwrap().is_empty(), "just queued");

    let later = now_ms() + alerts::STUCK_AFTER.as_millis() as i64 + 60_000;
    let stuck = alerts::current(&store, later).unwrap();
    assert_eq!(kinds(&stuck), ["outbox_stuck Camden"]);
    assert!(stuck[0].message.starts_with("1 message(s) from Camden"), "{}", stuck[0].message);

    // A send went out recently: the queue is moving, not stuck.
    let conn = rusqlite::Connection::open(store.path()).unwrap();
    conn.execute(
        "INSERT INTO send_log (account_id, conversation_id, sent_at) VALUES (?1, ?2, ?3)",
        rusqlite::params![meta.id, m.conversation_id, later - 60_000],
    )
    .unwrap();
    assert!(alerts::current(&store, later).unwrap().is_empty(), "sends flow");

    // Waiting for a retry the provider asked for is explained too.
    conn.execute("DELETE FROM send_log", []).unwrap();
    conn.execute("UPDATE messages SET next_attempt_at = ?2 WHERE id = ?1", rusqlite::params![m.id, later + 60_000]).unwrap();
    assert!(alerts::current(&store, later).unwrap().is_empty(), "due later");
    conn.execute("UPDATE messages SET next_attempt_at = NULL, status = 'sent' WHERE id = ?1", [m.id]).unwrap();
    assert!(alerts::current(&store, later).unwrap().is_empty(), "sent: cleared");
}

#[test]
fn an_unreachable_public_address_is_an_alert_on_webhook_accounts() {
    let (_tmp, _dir, mut store) = data_dir();
    account(&mut store, Provider::Meta, "Camden");
    account(&mut store, Provider::Unipile, "Polled");
    let mut health = PublicAddressHealth {
        state: Reachability::Unreachable,
        public_url: Some("https://shop.example.com".into()),
        via: "a fixed URL".into(),
        tool: None,
        checked_at: Some(now_ms()),
        reason: Some("https://shop.example.com did not answer".into()),
        detail: None,
        fix: Some("restart".into()),
        trigger: "schedule".into(),
        accounts: vec![],
    };
    wicket_core::tunnel::health::save(&mut store, &health).unwrap();
    let now = alerts::current(&store, now_ms()).unwrap();
    assert_eq!(kinds(&now), ["public_address_unreachable Camden"], "a polled account does not need the address");
    assert!(now[0].message.contains("cannot reach this computer") && now[0].message.contains("did not answer"), "{}", now[0].message);
    health.state = Reachability::Reachable;
    wicket_core::tunnel::health::save(&mut store, &health).unwrap();
    assert!(alerts::current(&store, now_ms()).unwrap().is_empty());
}

fn post_badly_signed(addr: std::net::SocketAddr, account: i64) -> u16 {
    let body = br#"{"object":"whatsapp_business_account","entry":[]}"#;
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let head = format!(
        "POST /webhooks/meta/{account} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nX-Hub-Signature-256: sha256={}\r\nContent-Length: {}\r\n\r\n",
        "0".repeat(64),
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut resp = String::new();
    let _ = s.read_to_string(&mut resp);
    resp.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0)
}

#[test]
fn signature_failures_piling_up_over_the_real_listener_raise_an_alert_that_passes_with_the_hour() {
    let (_tmp, dir, mut store) = data_dir();
    let meta = account(&mut store, Provider::Meta, "Camden");
    let secrets = SecretStore::in_memory("alerts");
    secrets.set(meta.id, SecretName::AppSecret, &Secret::new("the-real-app-secret".into())).unwrap();
    let deps = WebhookDeps { db_path: dir.db_path(), secrets: Arc::new(secrets), sink: None };
    let config = ListenerConfig { counter_flush: Duration::from_millis(50), ..ListenerConfig::with_addr("127.0.0.1:0".parse().unwrap()) };
    let server = WebhookServer::start(config, deps).unwrap();
    let addr = server.local_addr();
    for _ in 0..alerts::BAD_SIGNATURES_PER_HOUR - 1 {
        assert_eq!(post_badly_signed(addr, meta.id), 401);
    }
    let counted = |store: &Store| store.bad_signatures_since(now_ms() - 3_600_000).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while counted(&store) < alerts::BAD_SIGNATURES_PER_HOUR - 1 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(alerts::current(&store, now_ms()).unwrap().is_empty(), "a few failures are not an alert");
    assert_eq!(post_badly_signed(addr, meta.id), 401);
    while counted(&store) < alerts::BAD_SIGNATURES_PER_HOUR && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let now = alerts::current(&store, now_ms()).unwrap();
    assert_eq!(kinds(&now), ["webhook_signatures -"]);
    assert!(now[0].message.starts_with(&format!("{} webhook requests", alerts::BAD_SIGNATURES_PER_HOUR)), "{}", now[0].message);
    assert!(now[0].action.contains("app secret"), "{}", now[0].action);
    let two_hours_on = now_ms() + 2 * 3_600_000;
    assert!(alerts::current(&store, two_hours_on).unwrap().is_empty(), "past the hour, it clears");
    server.shutdown();
}
