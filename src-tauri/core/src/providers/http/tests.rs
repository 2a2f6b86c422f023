//! The shared HTTP client against a real server on loopback (wiremock):
//! credentials, scrubbing, error-mapping hooks, waits and the send rule,
//! and one scrubbing rule across the three providers' clients.

use super::*;
use crate::error::{ErrorKind, ProviderError};
use crate::secrets::Secret;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wiremock::matchers::{header, header_exists, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Ten characters: over the shared threshold, under Meta's former one.
const KEY: &str = "k3y-012345";

fn gateway_timeout(status: u16) -> String {
    format!("the test gateway gave up (HTTP {status})")
}

static TEST: Profile = Profile {
    wording: Wording {
        service: "the Test API",
        short: "Test",
        connect_hint: "check the test address",
        too_large_hint: "check the test size",
        not_json_hint: "check the test format",
        gateway_timeout,
    },
    max_json_body: 1024,
    max_error_body: 256,
    retry_after: RetryAfterRule { body_fields: &["retry_after"], rate_limit_reset: true },
    empty_answer_is_null: true,
};

/// Records what each hook was given; maps every refusal to `RateLimited`
/// quoting the body (so scrubbing shows), and `{"ok": false}` in a 2xx.
#[derive(Default)]
struct Recorder {
    seen: Mutex<Vec<(u16, Option<u64>, String)>>,
}

impl ErrorHooks for Recorder {
    fn refused(&self, status: u16, body: &[u8], wait: Option<u64>, what: &str) -> ProviderError {
        self.seen.lock().unwrap().push((status, wait, what.to_string()));
        ProviderError {
            code: Some(status.to_string()),
            kind: ErrorKind::RateLimited,
            message: format!("refused: {}", String::from_utf8_lossy(body)),
            retry_after: wait,
        }
    }

    fn refused_in_answer(&self, answer: &Value, _raw: &[u8], what: &str) -> Option<ProviderError> {
        (answer.get("ok") == Some(&json!(false))).then(|| ProviderError {
            code: Some("in-answer".into()),
            kind: ErrorKind::Unknown,
            message: format!("said no while {what}: {answer}"),
            retry_after: None,
        })
    }
}

fn client(server: &MockServer, hooks: Arc<Recorder>) -> HttpClient {
    let auth = Auth::Header("X-Test-Key", Secret::new(KEY.into()));
    HttpClient::new(&TEST, server.uri(), auth, [Secret::new("other-secret-42".into())], hooks)
        .unwrap()
        .with_timeouts(Duration::from_millis(500), Duration::from_millis(300))
        .unwrap()
}

fn provider_error_of(e: crate::error::Error) -> ProviderError {
    e.provider_error().cloned().unwrap_or_else(|| panic!("not a provider error: {e}"))
}

#[tokio::test]
async fn refusals_go_through_the_hook_with_the_wait_and_come_back_scrubbed() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/limited"))
        .and(header("X-Test-Key", KEY))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "7").set_body_string(format!("slow down {KEY} and other-secret-42")))
        .mount(&server)
        .await;
    let hooks = Arc::new(Recorder::default());
    let c = client(&server, hooks.clone());
    let pe = provider_error_of(c.call(c.get(format!("{}/limited", server.uri())), "testing limits").await.unwrap_err());
    assert_eq!(hooks.seen.lock().unwrap().as_slice(), &[(429, Some(7), "testing limits".to_string())], "the hook gets status, wait and what");
    assert_eq!((pe.kind, pe.retry_after), (ErrorKind::RateLimited, Some(7)));
    assert_eq!(pe.message, "refused: slow down <redacted> and <redacted>", "both secrets scrubbed from the hook's message");
}

#[tokio::test]
async fn the_wait_comes_from_a_json_body_field_first_and_is_capped() {
    let server = MockServer::start().await;
    Mock::given(path("/body"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "7").set_body_json(json!({"retry_after": 60})))
        .mount(&server)
        .await;
    Mock::given(path("/absurd")).respond_with(ResponseTemplate::new(429).set_body_json(json!({"retry_after": 1e12}))).mount(&server).await;
    Mock::given(path("/reset")).respond_with(ResponseTemplate::new(503).insert_header("X-RateLimit-Reset", "12")).mount(&server).await;
    let hooks = Arc::new(Recorder::default());
    let c = client(&server, hooks.clone());
    for (p, want) in [("/body", Some(60)), ("/absurd", Some(3600)), ("/reset", Some(12))] {
        let pe = provider_error_of(c.call(c.get(format!("{}{p}", server.uri())), "waiting").await.unwrap_err());
        assert_eq!(pe.retry_after, want, "{p}");
    }
}

#[tokio::test]
async fn an_error_inside_a_2xx_answer_is_a_refusal_and_empty_can_be_null() {
    let server = MockServer::start().await;
    Mock::given(path("/no")).respond_with(ResponseTemplate::new(200).set_body_json(json!({"ok": false, "key": KEY}))).mount(&server).await;
    Mock::given(path("/empty")).respond_with(ResponseTemplate::new(200)).mount(&server).await;
    Mock::given(path("/html")).respond_with(ResponseTemplate::new(200).set_body_string("<html>")).mount(&server).await;
    Mock::given(path("/huge")).respond_with(ResponseTemplate::new(200).set_body_string(" ".repeat(2048))).mount(&server).await;
    let c = client(&server, Arc::new(Recorder::default()));
    let url = |p: &str| format!("{}{p}", server.uri());
    let pe = provider_error_of(c.call(c.get(url("/no")), "asking").await.unwrap_err());
    assert_eq!((pe.code.as_deref(), pe.kind), (Some("in-answer"), ErrorKind::Unknown));
    assert!(pe.message.contains("said no while asking") && pe.message.contains("<redacted>") && !pe.message.contains(KEY), "{}", pe.message);
    assert_eq!(c.call(c.get(url("/empty")), "asking").await.unwrap(), Value::Null, "this profile reads an empty answer as null");
    let pe = provider_error_of(c.call(c.get(url("/html")), "asking").await.unwrap_err());
    assert_eq!(pe.message, "Test's answer (asking) is not JSON: check the test format");
    let pe = provider_error_of(c.call(c.get(url("/huge")), "asking").await.unwrap_err());
    assert!(pe.message.starts_with("Test's answer (asking) is larger than"), "{}", pe.message);
}

#[tokio::test]
async fn the_credential_goes_only_with_authenticated_requests() {
    let server = MockServer::start().await;
    Mock::given(path("/file")).and(header_exists("X-Test-Key")).respond_with(ResponseTemplate::new(403)).mount(&server).await;
    Mock::given(path("/file")).respond_with(ResponseTemplate::new(200).set_body_string("bytes")).mount(&server).await;
    let c = client(&server, Arc::new(Recorder::default()));
    let resp = c.fetch(c.get(format!("{}/file", server.uri())), "downloading").await.unwrap();
    assert_eq!(resp.status().as_u16(), 200, "fetch never sends the key");
    let e = c.execute(c.get(format!("{}/file", server.uri())), "downloading").await.unwrap_err();
    assert_eq!(provider_error_of(e).code.as_deref(), Some("403"), "execute does");
}

#[tokio::test]
async fn transport_failures_are_unavailable_in_the_providers_words() {
    // A port nothing listens on: bind, note the port, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let address = format!("http://127.0.0.1:{port}");
    let c = HttpClient::new(&TEST, address.clone(), Auth::Bearer(Secret::new(KEY.into())), [], Arc::new(Recorder::default())).unwrap();
    let pe = provider_error_of(c.call(c.get(format!("{address}/x")), "checking").await.unwrap_err());
    assert_eq!(pe.kind, ErrorKind::Unavailable);
    assert_eq!(pe.message, format!("cannot reach the Test API at {address} (checking): check the test address; Wicket retries later"));
    let pe = provider_error_of(c.send_once(c.post(format!("{address}/send")), "sending").await.unwrap_err());
    assert_eq!(pe.kind, ErrorKind::Unavailable, "a send that never connected is safe to retry");

    let server = MockServer::start().await;
    Mock::given(path("/slow")).respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(2))).mount(&server).await;
    let c = client(&server, Arc::new(Recorder::default()));
    let pe = provider_error_of(c.call(c.get(format!("{}/slow", server.uri())), "waiting").await.unwrap_err());
    assert_eq!(pe.message, "the Test API did not answer within 300 ms (waiting): Wicket retries later");
}

#[tokio::test]
async fn a_send_that_may_have_left_is_never_a_plain_failure() {
    let server = MockServer::start().await;
    Mock::given(path("/504")).respond_with(ResponseTemplate::new(504)).mount(&server).await;
    Mock::given(path("/html")).respond_with(ResponseTemplate::new(200).set_body_string("<html>")).mount(&server).await;
    Mock::given(path("/slow")).respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(2))).mount(&server).await;
    Mock::given(path("/refused")).respond_with(ResponseTemplate::new(400).set_body_string("bad number")).mount(&server).await;
    Mock::given(path("/no")).respond_with(ResponseTemplate::new(200).set_body_json(json!({"ok": false}))).mount(&server).await;
    Mock::given(path("/ok")).respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "m1"}))).mount(&server).await;
    let c = client(&server, Arc::new(Recorder::default()));
    let send = |p: &str| c.send_once(c.post(format!("{}{p}", server.uri())), "sending");
    let unknown = |e: crate::error::Error| {
        let pe = provider_error_of(e);
        assert_eq!(pe.kind, ErrorKind::OutcomeUnknown, "{}", pe.message);
        pe.message
    };
    assert!(unknown(send("/504").await.unwrap_err()).starts_with("the test gateway gave up (HTTP 504): the message may have been sent"));
    assert!(unknown(send("/html").await.unwrap_err()).starts_with("Test answered the send with HTTP 2xx but not with JSON"));
    assert!(unknown(send("/slow").await.unwrap_err()).starts_with("the Test API did not answer the send within 300 ms"));
    assert_eq!(provider_error_of(send("/refused").await.unwrap_err()).kind, ErrorKind::RateLimited, "a refusal is the hook's");
    assert_eq!(provider_error_of(send("/no").await.unwrap_err()).code.as_deref(), Some("in-answer"));
    assert_eq!(send("/ok").await.unwrap(), json!({"id": "m1"}));
}

/// The same secret (10 characters) echoed in a refusal is scrubbed by each
/// provider's client: one rule and one threshold for all three.
#[tokio::test]
async fn every_provider_scrubs_the_same_way() {
    let server = MockServer::start().await;
    let echo = format!("the key {KEY} is not valid");
    Mock::given(path("/v23.0/123"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": {"code": 999, "message": echo}})))
        .mount(&server)
        .await;
    Mock::given(path("/status")).respond_with(ResponseTemplate::new(400).set_body_json(json!({"success": false, "message": echo}))).mount(&server).await;
    Mock::given(path("/api/v1/accounts/acc"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"type": "errors/something_new", "detail": echo, "status": 400})))
        .mount(&server)
        .await;
    let key = || Secret::new(KEY.into());
    let meta = crate::providers::meta::MetaClient::new(server.uri(), "v23.0", "123", None, key()).unwrap();
    let wasender = crate::providers::wasender::WasenderClient::new(server.uri(), key(), None, None).unwrap();
    let unipile = crate::providers::unipile::UnipileClient::new(&server.uri(), key(), Some("acc".into())).unwrap();
    let messages = [
        provider_error_of(meta.test_connection().await.unwrap_err()).message,
        provider_error_of(wasender.test_connection().await.unwrap_err()).message,
        provider_error_of(unipile.test_connection().await.unwrap_err()).message,
    ];
    for m in messages {
        assert!(m.contains("the key <redacted> is not valid") && !m.contains(KEY), "{m}");
    }
}
