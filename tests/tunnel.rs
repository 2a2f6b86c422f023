//! The tunnel helper against a fake tunnel tool and a fake Graph API.
//!
//! `tests/fixtures/fake-tunnel/fake_tunnel.py` is started exactly like a
//! real tool: it forwards real TCP traffic to a real `WebhookServer` on a
//! temporary data dir and prints its URL the way cloudflared does (after a
//! settings line naming the local target, which must not be taken for the
//! public URL). A wiremock server plays Meta's Graph API and records the
//! registration calls. Every test checks that no tool process is left.

#[path = "support/core.rs"]
mod support;

use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use support::fake_tunnel;
use wicket_core::model::Provider;
use wicket_core::providers::meta::MetaClient;
use wicket_core::secrets::{Secret, SecretName, SecretStore};
use wicket_core::store::{Account, NewAccount};
use wicket_core::tunnel::{
    self, meta_manual_step, meta_registrar, register_meta, self_check_meta, Registration, StepStatus, SupervisorReport, Tunnel, TunnelEvent, TunnelKind,
    TunnelSpec, TunnelSupervisor, STEP_HANDSHAKE, STEP_HEALTH, STEP_SIGNED_EVENT,
};
use wicket_core::webhook::{ListenerConfig, WebhookDeps, WebhookServer};
use wicket_core::{Error, Store};
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const APP_SECRET: &str = "test_app_secret";
const VERIFY_TOKEN: &str = "vt-Quiet-Harbor-42/+";
const ACCESS_TOKEN: &str = "EAAG-test-access-token-0123456789";
const NUMBER: &str = "318273645501234";
const START: Duration = Duration::from_secs(15);

fn fake_spec(extra: &[&str]) -> TunnelSpec {
    let mut args = vec!["--to".to_string(), "127.0.0.1:{port}".to_string()];
    args.extend(extra.iter().map(|s| s.to_string()));
    TunnelSpec::custom(fake_tunnel(), args, false)
}

/// Whether process `pid` still exists (reaped processes leave no trace).
fn alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        std::path::Path::new(&format!("/proc/{pid}")).exists()
    } else {
        false
    }
}

fn secret(s: &str) -> Secret {
    Secret::new(s.into())
}

struct Harness {
    _dir: tempfile::TempDir,
    db: PathBuf,
    server: Option<WebhookServer>,
    port: u16,
    account: Account,
    secrets: SecretStore,
    graph: MockServer,
}

impl Harness {
    async fn new() -> Harness {
        let graph = MockServer::start().await;
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("wicket.db");
        let mut store = Store::open(&db).unwrap();
        let account = store
            .add_account(&NewAccount {
                provider: Provider::Meta,
                name: "Corner Shop".into(),
                phone: None,
                config: json!({
                    "phone_number_id": NUMBER,
                    "business_account_id": "214365870912345",
                    "base_url": graph.uri(),
                    "api_version": "v23.0",
                }),
            })
            .unwrap();
        let secrets = SecretStore::in_memory("tunnel-test");
        secrets.set(account.id, SecretName::AppSecret, &secret(APP_SECRET)).unwrap();
        secrets.set(account.id, SecretName::VerifyToken, &secret(VERIFY_TOKEN)).unwrap();
        secrets.set(account.id, SecretName::AccessToken, &secret(ACCESS_TOKEN)).unwrap();
        let deps = WebhookDeps { db_path: db.clone(), secrets: Arc::new(secrets.clone()), sink: None };
        let server = WebhookServer::start(ListenerConfig::with_addr("127.0.0.1:0".parse().unwrap()), deps).unwrap();
        let port = server.local_addr().port();
        Harness { _dir: dir, db, server: Some(server), port, account, secrets, graph }
    }

    fn count(&self, table: &str) -> i64 {
        let store = Store::open(&self.db).unwrap();
        store.conn().query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0)).unwrap()
    }

    async fn start_tunnel(&self, extra: &[&str]) -> Tunnel {
        Tunnel::start_async(fake_spec(extra), self.port, START).await.expect("the fake tunnel starts")
    }

    /// The bodies of the registration calls the fake Graph API received.
    async fn registrations(&self) -> Vec<Value> {
        let calls = self.graph.received_requests().await.unwrap_or_default();
        calls
            .iter()
            .filter(|r| r.method.as_str() == "POST" && r.url.path() == format!("/v23.0/{NUMBER}"))
            .map(|r| serde_json::from_slice(&r.body).unwrap())
            .collect()
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        if let Some(s) = self.server.take() {
            s.shutdown();
        }
    }
}

async fn next_report(sup: &mut TunnelSupervisor) -> SupervisorReport {
    tokio::time::timeout(Duration::from_secs(15), sup.next_report()).await.expect("a report in time").expect("a report")
}

async fn next_event(events: &mut tokio::sync::mpsc::UnboundedReceiver<TunnelEvent>) -> Option<TunnelEvent> {
    tokio::time::timeout(Duration::from_secs(15), events.recv()).await.expect("an event in time")
}

fn override_body(url: &str) -> Value {
    json!({"webhook_configuration": {"override_callback_uri": url, "verify_token": VERIFY_TOKEN}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_self_check_passes_through_the_fake_tunnel() {
    let h = Harness::new().await;
    let mut tunnel = h.start_tunnel(&[]).await;
    let url = tunnel.public_url();
    let pid = tunnel.pid();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert_ne!(url, format!("http://127.0.0.1:{}", h.port), "the local target printed first is not the public URL");
    assert!(!tunnel.is_stable());
    assert_eq!(tunnel.kind(), TunnelKind::Custom);
    assert!(tunnel.recent_output().iter().any(|l| l.contains("Your quick Tunnel has been created")), "{:?}", tunnel.recent_output());

    let check = self_check_meta(&url, h.account.id, &secret(APP_SECRET), &secret(VERIFY_TOKEN)).await.unwrap();
    assert!(check.passed(), "{}", check.summary());
    assert_eq!(check.steps.iter().map(|s| s.name).collect::<Vec<_>>(), [STEP_HEALTH, STEP_HANDSHAKE, STEP_SIGNED_EVENT]);
    assert!(check.step(STEP_HEALTH).unwrap().detail.contains("plain http"), "the http note: {}", check.summary());
    assert_eq!(h.count("webhook_events"), 1, "the signed test event crossed the tunnel and was stored");
    assert_eq!(h.count("messages"), 0, "the test event creates no message");

    // A second run is a new event, not a redelivery.
    let again = self_check_meta(&format!("{url}/"), h.account.id, &secret(APP_SECRET), &secret(VERIFY_TOKEN)).await.unwrap();
    assert!(again.passed(), "{}", again.summary());
    assert_eq!(h.count("webhook_events"), 2);

    let wrong_token = self_check_meta(&url, h.account.id, &secret(APP_SECRET), &secret("not-the-token")).await.unwrap();
    assert!(!wrong_token.passed());
    let step = wrong_token.step(STEP_HANDSHAKE).unwrap();
    assert_eq!(step.status, StepStatus::Failed);
    assert!(step.detail.contains("refused the verify token"), "{}", step.detail);
    assert!(!wrong_token.summary().contains("not-the-token"), "the token is never echoed: {}", wrong_token.summary());
    assert_eq!(wrong_token.step(STEP_SIGNED_EVENT).unwrap().status, StepStatus::Passed);

    let wrong_secret = self_check_meta(&url, h.account.id, &secret("another_secret"), &secret(VERIFY_TOKEN)).await.unwrap();
    let step = wrong_secret.step(STEP_SIGNED_EVENT).unwrap();
    assert_eq!(step.status, StepStatus::Failed);
    assert!(step.detail.contains("app secret"), "{}", step.detail);

    let wrong_account = self_check_meta(&url, h.account.id + 100, &secret(APP_SECRET), &secret(VERIFY_TOKEN)).await.unwrap();
    assert!(wrong_account.step(STEP_HANDSHAKE).unwrap().detail.contains("no Meta account"), "{}", wrong_account.summary());

    assert!(matches!(self_check_meta("not a url", 1, &secret("a"), &secret("b")).await, Err(Error::Invalid(_))));

    tunnel.stop();
    assert!(!alive(pid), "the tool is gone after stop");
    assert_eq!(tunnel.exit_status().map(|_| ()), Some(()));
    let down = self_check_meta(&url, h.account.id, &secret(APP_SECRET), &secret(VERIFY_TOKEN)).await.unwrap();
    assert_eq!(down.step(STEP_HEALTH).unwrap().status, StepStatus::Failed);
    assert!(down.step(STEP_HEALTH).unwrap().detail.contains("cannot reach"), "{}", down.summary());
    assert_eq!(down.step(STEP_HANDSHAKE).unwrap().status, StepStatus::Skipped);
    assert_eq!(down.step(STEP_SIGNED_EVENT).unwrap().status, StepStatus::Skipped);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn meta_registration_sends_the_override_and_falls_back_to_a_manual_step() {
    let h = Harness::new().await;
    let base = "https://gentle-river.trycloudflare.com";
    let hook = tunnel::webhook_url(base, "meta", h.account.id);
    assert_eq!(hook, format!("{base}/webhooks/meta/{}", h.account.id));

    // Accepted: the exact body, with the access token in the header only.
    Mock::given(method("POST"))
        .and(path(format!("/v23.0/{NUMBER}")))
        .and(header("authorization", format!("Bearer {ACCESS_TOKEN}").as_str()))
        .and(body_json(override_body(&hook)))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true})))
        .expect(1)
        .mount(&h.graph)
        .await;
    assert_eq!(register_meta(&h.secrets, &h.account, &format!("{base}/")).await, Registration::Registered);
    assert_eq!(h.registrations().await, [override_body(&hook)]);
    h.graph.verify().await;
    h.graph.reset().await;

    // An empty 200 is accepted too (the answer's shape is not documented).
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).mount(&h.graph).await;
    let client = MetaClient::new(h.graph.uri(), "v23.0", NUMBER, None, secret(ACCESS_TOKEN)).unwrap();
    client.register_callback_override(&hook, &secret(VERIFY_TOKEN)).await.unwrap();
    assert!(client.register_callback_override("not a url", &secret(VERIFY_TOKEN)).await.is_err());
    h.graph.reset().await;

    // Refused with a Graph error: exactly what to paste where.
    let expected = format!(
        "In Meta's App Dashboard → WhatsApp → Configuration, set Callback URL to {hook} and Verify token to {VERIFY_TOKEN}, \
press \"Verify and save\", then subscribe to the \"messages\" webhook field."
    );
    assert_eq!(meta_manual_step(&hook, &secret(VERIFY_TOKEN)), expected);
    Mock::given(method("POST"))
        .and(path(format!("/v23.0/{NUMBER}")))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": {
            "message": "(#100) Param webhook_configuration is not a valid parameter",
            "type": "OAuthException", "code": 100, "fbtrace_id": "AbCdEf"}})))
        .mount(&h.graph)
        .await;
    match register_meta(&h.secrets, &h.account, base).await {
        Registration::ManualStepNeeded { why, what_to_paste_where } => {
            assert_eq!(what_to_paste_where, expected);
            assert!(why.contains("did not accept"), "{why}");
            assert!(!why.contains(ACCESS_TOKEN) && !why.contains(VERIFY_TOKEN), "{why}");
        }
        other => panic!("expected a manual step, got {other:?}"),
    }
    assert_eq!(h.registrations().await, [override_body(&hook)], "the same body was tried");
    h.graph.reset().await;

    // `{"success": false}` is a refusal too.
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": false}))).mount(&h.graph).await;
    assert!(matches!(register_meta(&h.secrets, &h.account, base).await, Registration::ManualStepNeeded { .. }));
    h.graph.reset().await;

    // Meta down: a failure to retry, not a manual step.
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(503)).mount(&h.graph).await;
    match register_meta(&h.secrets, &h.account, base).await {
        Registration::Failed(reason) => assert!(reason.contains("could not be reached"), "{reason}"),
        other => panic!("expected a failure, got {other:?}"),
    }

    // No access token: the owner can still paste it by hand.
    h.secrets.delete(h.account.id, SecretName::AccessToken).unwrap();
    match register_meta(&h.secrets, &h.account, base).await {
        Registration::ManualStepNeeded { what_to_paste_where, .. } => assert_eq!(what_to_paste_where, expected),
        other => panic!("expected a manual step, got {other:?}"),
    }
    // No verify token: nothing can verify, say so.
    h.secrets.delete(h.account.id, SecretName::VerifyToken).unwrap();
    match register_meta(&h.secrets, &h.account, base).await {
        Registration::Failed(reason) => assert!(reason.contains("no verify token"), "{reason}"),
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_url_is_reported_and_registered_again() {
    let h = Harness::new().await;
    Mock::given(method("POST"))
        .and(path(format!("/v23.0/{NUMBER}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true})))
        .mount(&h.graph)
        .await;
    let tunnel = h.start_tunnel(&["--change-after", "1.5"]).await;
    let first = tunnel.public_url();
    let pid = tunnel.pid();
    let mut sup = TunnelSupervisor::start(tunnel, vec![h.account.clone()], meta_registrar(h.secrets.clone())).unwrap();

    match next_report(&mut sup).await {
        SupervisorReport::Registered { public_base, results } => {
            assert_eq!(public_base, first);
            assert_eq!(results.len(), 1);
            assert_eq!(results[0].account_id, h.account.id);
            assert_eq!(results[0].webhook_url, format!("{first}/webhooks/meta/{}", h.account.id));
            assert_eq!(results[0].outcome, Registration::Registered);
        }
        other => panic!("expected the first registration, got {other:?}"),
    }
    let second = match next_report(&mut sup).await {
        SupervisorReport::Registered { public_base, results } => {
            assert_eq!(results[0].outcome, Registration::Registered);
            public_base
        }
        other => panic!("expected a registration of the new URL, got {other:?}"),
    };
    assert_ne!(second, first);
    assert_eq!(sup.public_url(), second);
    let hook = |base: &str| format!("{base}/webhooks/meta/{}", h.account.id);
    assert_eq!(h.registrations().await, [override_body(&hook(&first)), override_body(&hook(&second))]);

    // The new address forwards real traffic; the old one is gone.
    let check = self_check_meta(&second, h.account.id, &secret(APP_SECRET), &secret(VERIFY_TOKEN)).await.unwrap();
    assert!(check.passed(), "{}", check.summary());
    let old = self_check_meta(&first, h.account.id, &secret(APP_SECRET), &secret(VERIFY_TOKEN)).await.unwrap();
    assert_eq!(old.step(STEP_HEALTH).unwrap().status, StepStatus::Failed);

    drop(sup);
    assert!(!alive(pid), "dropping the supervisor stops the tool");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn url_changes_and_exits_arrive_as_events() {
    let h = Harness::new().await;
    let mut tunnel = h.start_tunnel(&["--change-after", "0.5", "--exit-after", "2"]).await;
    let first = tunnel.public_url();
    let mut events = tunnel.take_events().expect("the events channel");
    assert!(tunnel.take_events().is_none(), "taken once");
    let changed = next_event(&mut events).await;
    match &changed {
        Some(TunnelEvent::UrlChanged(u)) => {
            assert_ne!(*u, first);
            assert_eq!(tunnel.public_url(), *u);
        }
        other => panic!("expected a URL change, got {other:?}"),
    }
    assert_eq!(next_event(&mut events).await, Some(TunnelEvent::Exited(Some(3))), "the fake exits with 3");
    assert_eq!(tunnel.exit_status(), Some(Some(3)));
    assert!(tunnel.recent_output().iter().any(|l| l.contains("the tunnel stopped")), "{:?}", tunnel.recent_output());
    assert!(!alive(tunnel.pid()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_tool_is_reported_as_not_installed() {
    let spec = TunnelSpec::custom("wicket-no-such-tunnel-tool", vec![], false);
    match Tunnel::start_async(spec, 8765, START).await {
        Err(Error::NotFound(m)) => assert!(m.contains("not installed") && m.contains("not found on PATH"), "{m}"),
        other => panic!("expected not installed, got {other:?}"),
    }
    let spec = TunnelSpec::cloudflared_quick().with_program("/nonexistent/dir/cloudflared");
    match Tunnel::start_async(spec, 8765, START).await {
        Err(Error::NotFound(m)) => {
            assert!(m.starts_with("Cloudflare quick tunnel is not installed"), "{m}");
            assert!(m.contains("/nonexistent/dir/cloudflared does not exist") && m.contains("install cloudflared"), "{m}");
        }
        other => panic!("expected not installed, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tool_that_exits_first_reports_its_output() {
    let err = Tunnel::start_async(fake_spec(&["--fail-before-url"]), 8765, START).await.expect_err("no URL, no tunnel");
    assert_eq!(err.provider_error().and_then(|p| p.code.as_deref()), Some("tunnel_exited"));
    let m = err.to_string();
    assert!(m.contains("fake_tunnel.py stopped (code 1) before reporting a public address"), "{m}");
    assert!(m.contains("failed to request quick Tunnel") && m.contains("giving up"), "its last lines: {m}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tool_that_prints_no_url_times_out_and_is_killed() {
    let started = std::time::Instant::now();
    let err = Tunnel::start_async(fake_spec(&["--quiet"]), 8765, Duration::from_millis(1500)).await.expect_err("times out");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(err.provider_error().and_then(|p| p.code.as_deref()), Some("tunnel_timeout"));
    let m = err.to_string();
    assert!(m.contains("did not report a public address within 1.5 s") && m.contains("Starting fake tunnel"), "{m}");
    let pid: u32 = m.split("(pid ").nth(1).and_then(|rest| rest.split(')').next()).and_then(|p| p.parse().ok()).expect("the fake prints its pid");
    assert!(!alive(pid), "a timed-out tool is killed");
}

const WS_KEY: &str = "ws-api-key-tunnel";
const WS_PAT: &str = "ws-pat-tunnel";
const WS_SECRET: &str = "ws-webhook-secret-tunnel";
const UP_KEY: &str = "unipile-key-tunnel";

/// A WASender account (with the personal access token and session id, so
/// Wicket can set its webhook) and a UniPile account, both at `fake`.
fn gateway_accounts(db: &std::path::Path, secrets: &SecretStore, fake: &str) -> (Account, Account) {
    let mut store = Store::open(db).unwrap();
    let ws = store
        .add_account(&NewAccount {
            provider: Provider::Wasender,
            name: "Shop phone".into(),
            phone: None,
            config: json!({ "base_url": format!("{fake}/api"), "session_id": "77" }),
        })
        .unwrap();
    secrets.set(ws.id, SecretName::ApiKey, &secret(WS_KEY)).unwrap();
    secrets.set(ws.id, SecretName::PersonalAccessToken, &secret(WS_PAT)).unwrap();
    secrets.set(ws.id, SecretName::WebhookSecret, &secret(WS_SECRET)).unwrap();
    let up = store
        .add_account(&NewAccount {
            provider: Provider::Unipile,
            name: "UniPile line".into(),
            phone: None,
            config: json!({ "dsn": fake, "unipile_account_id": "acc_up_1" }),
        })
        .unwrap();
    secrets.set(up.id, SecretName::ApiKey, &secret(UP_KEY)).unwrap();
    secrets.set(up.id, SecretName::WebhookSecret, &secret("up-hook-secret")).unwrap();
    (ws, up)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_supervisor_registers_wasender_and_unipile_webhooks_again_when_the_url_changes() {
    let h = Harness::new().await;
    let fake = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/api/whatsapp-sessions/77"))
        .and(header("authorization", format!("Bearer {WS_PAT}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true, "data": {}})))
        .mount(&fake)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/webhooks"))
        .and(header("x-api-key", UP_KEY))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"object": "WebhookCreated", "webhook_id": "wh_1"})))
        .mount(&fake)
        .await;
    let (ws, up) = gateway_accounts(&h.db, &h.secrets, &fake.uri());
    let tunnel = h.start_tunnel(&["--change-after", "1.5"]).await;
    let first = tunnel.public_url();
    let pid = tunnel.pid();
    let mut sup = TunnelSupervisor::start(tunnel, vec![ws.clone(), up.clone()], tunnel::provider_registrar(h.secrets.clone())).unwrap();
    let mut bases = vec![];
    for _ in 0..2 {
        match next_report(&mut sup).await {
            SupervisorReport::Registered { public_base, results } => {
                assert_eq!(results.len(), 2);
                for r in &results {
                    assert_eq!(r.outcome, Registration::Registered, "{r:?}");
                }
                assert_eq!(results[0].webhook_url, format!("{public_base}/webhooks/wasender/{}", ws.id));
                assert_eq!(results[1].webhook_url, format!("{public_base}/webhooks/unipile/{}", up.id));
                bases.push(public_base);
            }
            other => panic!("expected a registration, got {other:?}"),
        }
    }
    assert_eq!(bases[0], first);
    assert_ne!(bases[1], first, "the new URL is registered again");

    // What the fake providers recorded: each URL, in order, with the right body.
    let calls = fake.received_requests().await.unwrap();
    let ws_calls: Vec<Value> = calls.iter().filter(|r| r.method.as_str() == "PUT").map(|r| serde_json::from_slice(&r.body).unwrap()).collect();
    assert_eq!(ws_calls.len(), 2);
    for (call, base) in ws_calls.iter().zip(&bases) {
        assert_eq!(call["webhook_url"], json!(format!("{base}/webhooks/wasender/{}", ws.id)));
        assert_eq!(call["webhook_enabled"], json!(true));
    }
    let up_calls: Vec<Value> = calls.iter().filter(|r| r.method.as_str() == "POST").map(|r| serde_json::from_slice(&r.body).unwrap()).collect();
    assert_eq!(up_calls.len(), 4, "a messaging and an account-status webhook per URL");
    assert_eq!(up_calls[0]["request_url"], json!(format!("{}/webhooks/unipile/{}", bases[0], up.id)));
    assert_eq!(up_calls[2]["request_url"], json!(format!("{}/webhooks/unipile/{}", bases[1], up.id)));
    assert_eq!(up_calls[0]["headers"][1], json!({"key": "X-Wicket-Secret", "value": "up-hook-secret"}));
    drop(sup);
    assert!(!alive(pid));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wasender_without_a_personal_access_token_gets_the_exact_manual_step() {
    let h = Harness::new().await;
    let (ws, _) = gateway_accounts(&h.db, &h.secrets, "http://127.0.0.1:9");
    h.secrets.delete(ws.id, SecretName::PersonalAccessToken).unwrap();
    let registrar = tunnel::provider_registrar(h.secrets.clone());
    let url = tunnel::webhook_url("https://shop.example.com", "wasender", ws.id);
    match registrar(ws.clone(), url.clone()).await {
        Registration::ManualStepNeeded { why, what_to_paste_where } => {
            assert!(why.contains("personal access token"), "{why}");
            assert!(what_to_paste_where.contains(&url) && what_to_paste_where.contains("WASender's dashboard"), "{what_to_paste_where}");
        }
        other => panic!("expected a manual step, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wasender_self_check_posts_a_signed_event_through_the_fake_tunnel() {
    let h = Harness::new().await;
    let (ws, _) = gateway_accounts(&h.db, &h.secrets, "http://127.0.0.1:9");
    let mut tunnel = h.start_tunnel(&[]).await;
    let url = tunnel.public_url();
    let check = tunnel::self_check_wasender(&url, ws.id, &secret(WS_SECRET)).await.unwrap();
    assert!(check.passed(), "{}", check.summary());
    assert_eq!(check.steps.iter().map(|s| s.name).collect::<Vec<_>>(), [STEP_HEALTH, STEP_SIGNED_EVENT]);
    assert_eq!(h.count("webhook_events"), 1, "the test event crossed the tunnel and was stored");
    assert_eq!(h.count("messages"), 0, "it creates no message");

    let wrong = tunnel::self_check_wasender(&url, ws.id, &secret("not-the-secret")).await.unwrap();
    let step = wrong.step(STEP_SIGNED_EVENT).unwrap();
    assert_eq!(step.status, StepStatus::Failed);
    assert!(step.detail.contains("refused the webhook secret"), "{}", step.detail);
    assert!(!wrong.summary().contains("not-the-secret"), "the secret is never echoed");
    let other = tunnel::self_check_wasender(&url, ws.id + 100, &secret(WS_SECRET)).await.unwrap();
    assert!(other.step(STEP_SIGNED_EVENT).unwrap().detail.contains("no WASender account"), "{}", other.summary());

    tunnel.stop();
    let down = tunnel::self_check_wasender(&url, ws.id, &secret(WS_SECRET)).await.unwrap();
    assert_eq!(down.step(STEP_HEALTH).unwrap().status, StepStatus::Failed);
    assert_eq!(down.step(STEP_SIGNED_EVENT).unwrap().status, StepStatus::Skipped);
}
