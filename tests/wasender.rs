//! The WASender client against a fake WASender API (wiremock) over real HTTP
//! on loopback: exact send bodies and the Bearer header for every message
//! kind, upload-then-send, msgId → WhatsApp id correlation, the error
//! mapping (missing key, rate limits, invalid numbers, disconnected session,
//! server errors, a hung server), contact sync across pages, contact and
//! picture lookups, session states, message statuses, decrypt-media
//! downloads, webhook management with the personal access token; and the
//! webhook parser on every fixture plus edge cases.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use wicket_core::model::{AccountStatus, Direction, MediaState, MessageKind, MessageStatus, Origin, Provider};
use wicket_core::providers::wasender::webhook::{parse_payload, ParseError};
use wicket_core::providers::wasender::{is_placeholder_id, WasenderClient, DISCONNECTED_REASON, WEBHOOK_EVENTS};
use wicket_core::providers::{InboundMessage, MediaSource, OutgoingContent, OutgoingMessage, ProviderClient, ProviderEvent, StatusReport, SyncedContact};
use wicket_core::secrets::{Secret, SecretName, SecretStore};
use wicket_core::store::contacts::ContactKey;
use wicket_core::store::media::MediaFile;
use wicket_core::store::Account;
use wicket_core::{Error, ErrorKind};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const API_KEY: &str = "8c1f0e2d3b4a59687766554433221100aabbccddeeff00112233445566778899";
const PAT: &str = "wspat_0123456789abcdefghijklmnop";
const SESSION: &str = "41";
const KEY_ID: &str = "3EB0C0FFEE1234567890";
const MSG_ID: &str = "100482";

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/wasender/");

fn fixture(name: &str) -> String {
    let p = PathBuf::from(FIXTURES).join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("fixture {}: {e}", p.display()))
}

fn fixture_json(name: &str) -> Value {
    serde_json::from_str(&fixture(name)).unwrap()
}

fn bearer() -> String {
    format!("Bearer {API_KEY}")
}

fn pat_bearer() -> String {
    format!("Bearer {PAT}")
}

fn json_response(status: u16, body: String) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body, "application/json")
}

async fn setup() -> (MockServer, WasenderClient) {
    let server = MockServer::start().await;
    let client = WasenderClient::new(server.uri(), Secret::new(API_KEY.into()), Some(Secret::new(PAT.into())), Some(SESSION.into())).unwrap();
    (server, client)
}

async fn requests_to(server: &MockServer, p: &str) -> Vec<Request> {
    server.received_requests().await.unwrap_or_default().into_iter().filter(|r| r.url.path() == p).collect()
}

fn auth_of(r: &Request) -> Option<String> {
    r.headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_string)
}

/// The send endpoint (answering only the right Bearer key) and the
/// message-info lookup that correlates its msgId.
async fn mount_send_ok(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/send-message"))
        .and(header("authorization", bearer().as_str()))
        .and(header("content-type", "application/json"))
        .respond_with(json_response(200, fixture("send_message_response.json")))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/messages/{MSG_ID}/info")))
        .and(header("authorization", bearer().as_str()))
        .respond_with(json_response(200, fixture("message_info.json")))
        .mount(server)
        .await;
}

fn message(content: OutgoingContent) -> OutgoingMessage {
    OutgoingMessage { to: "+447700900123".into(), content, reply_to_provider_id: None, wicket_id: 42, chat_id: None, to_group: false }
}

fn media(kind: MessageKind, source: MediaSource, caption: Option<&str>, filename: Option<&str>) -> OutgoingContent {
    OutgoingContent::Media { kind, source, caption: caption.map(str::to_string), filename: filename.map(str::to_string), mime: None }
}

/// Sends `msg` to a fresh fake, checks the receipt and the correlation,
/// and returns the one JSON body sent.
async fn send_and_capture(msg: &OutgoingMessage) -> Value {
    let (server, client) = setup().await;
    mount_send_ok(&server).await;
    let receipt = client.send(msg).await.unwrap();
    assert_eq!(receipt.provider_message_id, KEY_ID, "the WhatsApp id from the message info, not the msgId");
    assert_eq!(receipt.provider_send_id.as_deref(), Some(MSG_ID), "WASender's msgId kept for status polling");
    assert_eq!(receipt.recipient_id.as_deref(), Some("447700900123"), "data.jid as digits");
    let sent = requests_to(&server, "/send-message").await;
    assert_eq!(sent.len(), 1, "exactly one send request");
    assert_eq!(auth_of(&sent[0]), Some(bearer()), "the send carries the session API key");
    let info = requests_to(&server, &format!("/messages/{MSG_ID}/info")).await;
    assert_eq!(info.len(), 1, "one info lookup when it answers at once");
    assert_eq!(auth_of(&info[0]), Some(bearer()));
    sent[0].body_json().unwrap()
}

fn provider_error(err: &Error) -> &wicket_core::error::ProviderError {
    err.provider_error().unwrap_or_else(|| panic!("expected a provider error, got {err:?}"))
}

// ---------------------------------------------------------------- sends

#[tokio::test]
async fn text_is_sent_with_the_exact_body() {
    let body = send_and_capture(&message(OutgoingContent::Text { body: "Hello".into(), preview_url: true })).await;
    assert_eq!(body, json!({"to": "+447700900123", "text": "Hello"}));
}

#[tokio::test]
async fn every_media_kind_by_link() {
    let link = |u: &str| MediaSource::Link(u.to_string());
    let cases = [
        (
            media(MessageKind::Image, link("https://cdn.example.com/a.jpg"), Some("the box"), None),
            json!({"to": "+447700900123", "text": "the box", "imageUrl": "https://cdn.example.com/a.jpg"}),
        ),
        (
            media(MessageKind::Video, link("https://cdn.example.com/a.mp4"), Some("a clip"), None),
            json!({"to": "+447700900123", "text": "a clip", "videoUrl": "https://cdn.example.com/a.mp4"}),
        ),
        (
            media(MessageKind::Document, link("https://cdn.example.com/a.pdf"), Some("invoice"), Some("invoice-4521.pdf")),
            json!({"to": "+447700900123", "text": "invoice", "documentUrl": "https://cdn.example.com/a.pdf", "fileName": "invoice-4521.pdf"}),
        ),
        (
            media(MessageKind::Document, link("https://cdn.example.com/b.pdf"), None, None),
            json!({"to": "+447700900123", "documentUrl": "https://cdn.example.com/b.pdf"}),
        ),
        (
            media(MessageKind::Audio, link("https://cdn.example.com/a.mp3"), Some("dropped"), None),
            json!({"to": "+447700900123", "audioUrl": "https://cdn.example.com/a.mp3"}),
        ),
        (
            media(MessageKind::Voice, link("https://cdn.example.com/v.ogg"), None, None),
            json!({"to": "+447700900123", "audioUrl": "https://cdn.example.com/v.ogg"}),
        ),
        (
            media(MessageKind::Sticker, link("https://cdn.example.com/s.webp"), None, None),
            json!({"to": "+447700900123", "stickerUrl": "https://cdn.example.com/s.webp"}),
        ),
    ];
    for (content, expected) in cases {
        let body = send_and_capture(&message(content.clone())).await;
        assert_eq!(body, expected, "body for {content:?}");
    }
}

#[tokio::test]
async fn contact_card_location_group_and_lid_bodies() {
    let contacts = json!([
        {"name": {"formatted_name": "Max Mustermann", "first_name": "Max"}, "phones": [{"phone": "+4915198765432", "type": "CELL"}]},
        {"name": {"formatted_name": "Not sent"}, "phones": [{"phone": "+15550100000"}]}
    ]);
    let body = send_and_capture(&message(OutgoingContent::Contacts { contacts })).await;
    assert_eq!(body, json!({"to": "+447700900123", "contact": {"name": "Max Mustermann", "phone": "+4915198765432"}}), "the first contact");

    let loc = OutgoingContent::Location { latitude: 52.52, longitude: 13.40, name: Some("Office".into()), address: Some("Berlin".into()) };
    let body = send_and_capture(&message(loc)).await;
    assert_eq!(
        body,
        json!({"to": "+447700900123", "messageType": "location", "location": {"latitude": 52.52, "longitude": 13.40, "name": "Office", "address": "Berlin"}})
    );

    let mut group = message(OutgoingContent::Text { body: "hi all".into(), preview_url: false });
    group.to = "120363041234567890@g.us".into();
    group.to_group = true;
    assert_eq!(send_and_capture(&group).await, json!({"to": "120363041234567890@g.us", "text": "hi all"}), "a group JID as given");

    let mut lid = message(OutgoingContent::Text { body: "hi".into(), preview_url: false });
    lid.to = "118237465019283@lid".into();
    assert_eq!(send_and_capture(&lid).await["to"], json!("118237465019283@lid"), "an opaque id as given");
}

#[tokio::test]
async fn reply_to_is_sent_only_as_a_wasender_msg_id() {
    let mut m = message(OutgoingContent::Text { body: "yes".into(), preview_url: false });
    m.reply_to_provider_id = Some("100400".into());
    assert_eq!(send_and_capture(&m).await, json!({"to": "+447700900123", "text": "yes", "replyTo": 100400}));
    m.reply_to_provider_id = Some("3EB0A1B2C3D4E5F60718".into());
    assert_eq!(send_and_capture(&m).await, json!({"to": "+447700900123", "text": "yes"}), "a WhatsApp id can't be quoted: omitted");
}

#[tokio::test]
async fn unsupported_kinds_are_refused_before_any_request() {
    let (server, client) = setup().await;
    let contents = [
        OutgoingContent::Reaction { target_provider_id: KEY_ID.into(), emoji: "👍".into() },
        OutgoingContent::Interactive { interactive: json!({"type": "button"}) },
        OutgoingContent::Template { name: "t".into(), language: "en".into(), header_params: vec![], body_params: vec![], button_params: vec![] },
    ];
    for c in contents {
        let err = client.send(&message(c)).await.unwrap_err();
        assert!(matches!(&err, Error::Invalid(m) if m.starts_with("WASender does not support")), "{err:?}");
    }
    let mut bad = message(OutgoingContent::Text { body: "hi".into(), preview_url: false });
    bad.to = "not a number".into();
    assert!(matches!(client.send(&bad).await, Err(Error::Invalid(_))));
    assert!(server.received_requests().await.unwrap_or_default().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn a_local_file_is_uploaded_then_sent_by_its_public_url() {
    let (server, client) = setup().await;
    mount_send_ok(&server).await;
    Mock::given(method("POST"))
        .and(path("/upload"))
        .and(header("authorization", bearer().as_str()))
        .respond_with(json_response(200, fixture("upload_response.json")))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("receipt.pdf");
    std::fs::write(&file, b"%PDF-1.4 a tiny receipt").unwrap();

    let receipt = client.send(&message(media(MessageKind::Document, MediaSource::Path(file), Some("your receipt"), None))).await.unwrap();
    assert_eq!(receipt.provider_message_id, KEY_ID);

    let uploads = requests_to(&server, "/upload").await;
    assert_eq!(uploads.len(), 1, "one upload");
    let ct = uploads[0].headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(ct.starts_with("multipart/form-data"), "{ct}");
    let raw = String::from_utf8_lossy(&uploads[0].body);
    assert!(raw.contains("name=\"file\"") && raw.contains("filename=\"receipt.pdf\""), "multipart `file` part: {raw}");
    assert!(raw.contains("application/pdf") && raw.contains("%PDF-1.4 a tiny receipt"), "the file's type and bytes");

    let sent = requests_to(&server, "/send-message").await;
    assert_eq!(
        sent[0].body_json::<Value>().unwrap(),
        json!({"to": "+447700900123", "text": "your receipt",
               "documentUrl": "https://wasenderapi.com/uploads/tmp/3f9a2b7c/receipt.pdf", "fileName": "receipt.pdf"}),
        "the uploaded URL and the file's name"
    );
}

#[tokio::test]
async fn without_the_whatsapp_id_the_send_keeps_a_placeholder_that_status_polling_resolves() {
    let (server, client) = setup().await;
    Mock::given(method("POST")).and(path("/send-message")).respond_with(json_response(200, fixture("send_message_response.json"))).mount(&server).await;
    // Right after the send WASender does not know the key yet (queued).
    Mock::given(method("GET"))
        .and(path(format!("/messages/{MSG_ID}/info")))
        .respond_with(json_response(200, fixture("message_info_pending.json")))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    let receipt = client.send(&message(OutgoingContent::Text { body: "Hello".into(), preview_url: false })).await.unwrap();
    assert_eq!(receipt.provider_message_id, "wasender-msg-100482", "never fails a send that went out");
    assert!(is_placeholder_id(&receipt.provider_message_id));
    assert_eq!(receipt.provider_send_id.as_deref(), Some(MSG_ID));
    assert_eq!(requests_to(&server, &format!("/messages/{MSG_ID}/info")).await.len(), 2, "asked twice");

    // Later, polling by msgId gives the WhatsApp id the engine adopts.
    Mock::given(method("GET"))
        .and(path(format!("/messages/{MSG_ID}/info")))
        .respond_with(json_response(200, fixture("message_info.json")))
        .mount(&server)
        .await;
    let report = client.message_status(MSG_ID).await.unwrap().expect("a status");
    assert_eq!(report.provider_message_id, KEY_ID);
    assert_eq!(report.status, MessageStatus::Delivered);
    assert_eq!(report.recipient, Some(ContactKey::phone("+447700900123")));
}

#[tokio::test]
async fn an_info_error_after_the_send_still_returns_the_receipt() {
    let (server, client) = setup().await;
    Mock::given(method("POST")).and(path("/send-message")).respond_with(json_response(200, fixture("send_message_response.json"))).mount(&server).await;
    Mock::given(method("GET")).and(path(format!("/messages/{MSG_ID}/info"))).respond_with(ResponseTemplate::new(500)).mount(&server).await;
    let receipt = client.send(&message(OutgoingContent::Text { body: "Hello".into(), preview_url: false })).await.unwrap();
    assert_eq!(receipt.provider_message_id, "wasender-msg-100482");
}

// ---------------------------------------------------------------- errors

async fn send_error(status: u16, body: &str, retry_after_header: Option<&str>) -> wicket_core::error::ProviderError {
    let (server, client) = setup().await;
    let mut resp = json_response(status, body.to_string());
    if let Some(h) = retry_after_header {
        resp = resp.insert_header("Retry-After", h);
    }
    Mock::given(method("POST")).and(path("/send-message")).respond_with(resp).mount(&server).await;
    let err = client.send(&message(OutgoingContent::Text { body: "Hello".into(), preview_url: false })).await.unwrap_err();
    assert!(!err.to_string().contains(API_KEY) && !err.to_string().contains(PAT), "no secret in errors: {err}");
    assert!(requests_to(&server, &format!("/messages/{MSG_ID}/info")).await.is_empty(), "no correlation after a refused send");
    provider_error(&err).clone()
}

#[tokio::test]
async fn a_missing_key_is_an_auth_error() {
    let pe = send_error(401, &fixture("error_missing_key.json"), None).await;
    assert_eq!(pe.kind, ErrorKind::Auth);
    assert!(pe.message.starts_with("the WASender API key is missing or wrong: WASender says \"API key is required\""), "{}", pe.message);
    assert!(!pe.kind.is_retryable());
}

#[tokio::test]
async fn rate_limits_carry_retry_after_from_body_or_header() {
    let pe = send_error(429, &fixture("error_rate_limit.json"), None).await;
    assert_eq!((pe.kind, pe.retry_after), (ErrorKind::RateLimited, Some(60)), "retry_after from the body");
    assert!(pe.message.contains("You can only send 1 message every 1 minute"), "{}", pe.message);
    let pe = send_error(429, r#"{"success":false,"message":"Too many requests"}"#, Some("30")).await;
    assert_eq!((pe.kind, pe.retry_after), (ErrorKind::RateLimited, Some(30)), "retry_after from the Retry-After header");
    let pe = send_error(429, &fixture("error_rate_limit.json"), Some("5")).await;
    assert_eq!(pe.retry_after, Some(60), "the body's value wins");
}

#[tokio::test]
async fn invalid_numbers_disconnected_sessions_and_server_errors() {
    let pe = send_error(400, &fixture("error_invalid_number.json"), None).await;
    assert_eq!(pe.kind, ErrorKind::InvalidRecipient, "{}", pe.message);
    let pe = send_error(400, &fixture("error_session_disconnected.json"), None).await;
    assert_eq!(pe.kind, ErrorKind::SessionDisconnected, "{}", pe.message);
    assert!(pe.message.contains("scan the QR code again in WASender"), "{}", pe.message);
    let pe = send_error(500, "<html>Server Error</html>", None).await;
    assert_eq!((pe.kind, pe.code.as_deref()), (ErrorKind::Unavailable, Some("500")));
    assert!(pe.kind.is_retryable());
    let pe = send_error(422, &fixture("error_validation.json"), None).await;
    assert_eq!(pe.kind, ErrorKind::Unknown);
    assert!(pe.message.contains("text: The text field is required"), "{}", pe.message);
    let pe = send_error(200, r#"{"success":false,"message":"Session is not connected"}"#, None).await;
    assert_eq!(pe.kind, ErrorKind::SessionDisconnected, "success:false in a 200 is still an error");
}

#[tokio::test]
async fn a_hung_server_times_out_and_a_send_may_have_gone_out() {
    let (server, client) = setup().await;
    let client = client.with_timeouts(Duration::from_secs(1), Duration::from_millis(300)).unwrap();
    Mock::given(method("POST")).and(path("/send-message")).respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(10))).mount(&server).await;
    Mock::given(method("GET")).and(path("/status")).respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(10))).mount(&server).await;
    let started = Instant::now();
    let err = client.send(&message(OutgoingContent::Text { body: "hi".into(), preview_url: false })).await.unwrap_err();
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(3), "gave up after {elapsed:?}");
    let pe = provider_error(&err);
    // The request was written: WASender may have sent it. Never retried blindly.
    assert_eq!(pe.kind, ErrorKind::OutcomeUnknown, "{}", pe.message);
    assert!(pe.message.contains("did not answer the send within 300 ms") && pe.message.contains("may have been sent"), "{}", pe.message);
    // Any other request that times out is simply tried again later.
    let pe = provider_error(&client.session_state().await.unwrap_err()).clone();
    assert_eq!(pe.kind, ErrorKind::Unavailable, "{}", pe.message);
    assert!(pe.message.contains("did not answer within 300 ms"), "{}", pe.message);
}

#[tokio::test]
async fn an_unreachable_server_is_unavailable() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let client = WasenderClient::new(format!("http://127.0.0.1:{port}"), Secret::new(API_KEY.into()), None, None).unwrap();
    let err = client.session_state().await.unwrap_err();
    assert_eq!(provider_error(&err).kind, ErrorKind::Unavailable, "{err}");
}

// ---------------------------------------------------------------- contacts

/// With and without a name, as the sync summary counts them (a saved, push or verified name).
fn names_summary(contacts: &[SyncedContact]) -> (usize, usize) {
    let with = contacts.iter().filter(|c| c.update.saved_name.is_some() || c.update.profile_name.is_some() || c.update.verified_name.is_some()).count();
    (with, contacts.len() - with)
}

#[tokio::test]
async fn contacts_are_synced_across_pages() {
    let (server, client) = setup().await;
    for (page, name) in [("1", "contacts_paginated.json"), ("2", "contacts_paginated_page2.json"), ("3", "contacts_paginated_page3.json")] {
        Mock::given(method("GET"))
            .and(path("/contacts"))
            .and(query_param("paginated", "true"))
            .and(query_param("page", page))
            .and(query_param("limit", "100"))
            .and(header("authorization", bearer().as_str()))
            .respond_with(json_response(200, fixture(name)))
            .mount(&server)
            .await;
    }
    let contacts = client.contacts().await.unwrap();
    assert_eq!(requests_to(&server, "/contacts").await.len(), 3, "follows totalPages");
    let keys: Vec<_> = contacts.iter().map(|c| c.key.clone()).collect();
    assert_eq!(
        keys,
        vec![ContactKey::phone("+447700900123"), ContactKey::phone("+5511987654321"), ContactKey::phone("+15550199887")],
        "digits, full JIDs and device suffixes all become E.164"
    );
    let priya = &contacts[0].update;
    assert_eq!(priya.saved_name.as_deref(), Some("Priya Raman"));
    assert_eq!(priya.profile_name.as_deref(), Some("Priya"));
    assert_eq!(priya.status_text.as_deref(), Some("Available"));
    assert_eq!(priya.is_business, Some(false));
    assert_eq!(priya.jid.as_deref(), Some("447700900123"), "the original JID is kept");
    assert!(priya.synced && priya.raw.is_some(), "a sync, with the raw item");
    let joao = &contacts[1].update;
    assert_eq!((joao.saved_name.as_deref(), joao.profile_name.as_deref()), (None, None), "no name at all");
    assert_eq!(joao.jid.as_deref(), Some("5511987654321@s.whatsapp.net"));
    let acme = &contacts[2].update;
    assert_eq!(acme.verified_name.as_deref(), Some("Acme Supplies Ltd"));
    assert_eq!(acme.is_business, Some(true));
    assert_eq!(acme.wa_id.as_deref(), Some("15550199887"));
    assert_eq!(names_summary(&contacts), (2, 1), "two with names, one without");
}

#[tokio::test]
async fn the_plain_contact_list_shape_is_accepted() {
    let (server, client) = setup().await;
    Mock::given(method("GET")).and(path("/contacts")).respond_with(json_response(200, fixture("contacts.json"))).mount(&server).await;
    let contacts = client.contacts().await.unwrap();
    assert_eq!(contacts.len(), 3);
    assert_eq!(requests_to(&server, "/contacts").await.len(), 1, "no pagination: one request");
    assert_eq!(contacts[0].update.profile_picture_url.as_deref(), Some("https://pps.whatsapp.net/v/t61.24694-24/example1.jpg"));
    assert_eq!(contacts[1].update.profile_name.as_deref(), Some("Joao"));
    assert_eq!(names_summary(&contacts), (3, 0), "a push name is a name");
}

#[tokio::test]
async fn one_contact_by_number() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .and(path("/contacts/447700900123"))
        .and(header("authorization", bearer().as_str()))
        .respond_with(json_response(200, fixture("contact_info.json")))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/contacts/447700900999"))
        .respond_with(json_response(404, r#"{"success":false,"message":"Contact not found"}"#.into()))
        .mount(&server)
        .await;
    let c = client.contact("+447700900123").await.unwrap().expect("known contact");
    assert_eq!(c.key, ContactKey::phone("+447700900123"));
    assert_eq!(c.update.saved_name.as_deref(), Some("Priya Raman"));
    assert_eq!(c.update.jid.as_deref(), Some("447700900123@s.whatsapp.net"));
    assert!(client.contact("+44 7700 900999").await.unwrap().is_none(), "404 is no contact");
}

#[tokio::test]
async fn profile_pictures_are_downloaded_without_the_key() {
    let (server, client) = setup().await;
    let image = vec![0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 4];
    Mock::given(method("GET"))
        .and(path("/contacts/447700900123/picture"))
        .and(header("authorization", bearer().as_str()))
        .respond_with(json_response(200, json!({"success": true, "data": {"imgUrl": format!("{}/pps/example1.jpg", server.uri())}}).to_string()))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/pps/example1.jpg"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(image.clone(), "image/jpeg"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/contacts/5511987654321/picture"))
        .respond_with(json_response(200, fixture("contact_picture_none.json")))
        .mount(&server)
        .await;

    let pic = client.profile_picture("+447700900123", 1024).await.unwrap().expect("a picture");
    assert_eq!(pic.bytes, image);
    assert_eq!(pic.mime.as_deref(), Some("image/jpeg"));
    let downloads = requests_to(&server, "/pps/example1.jpg").await;
    assert_eq!(auth_of(&downloads[0]), None, "the API key never goes to a picture URL");

    assert!(client.profile_picture("+5511987654321", 1024).await.unwrap().is_none(), "no picture");
    let err = client.profile_picture("+447700900123", 4).await.unwrap_err();
    assert_eq!(provider_error(&err).kind, ErrorKind::Media, "over the size limit: {err}");
}

// ---------------------------------------------------------------- session and statuses

#[tokio::test]
async fn session_states() {
    for (answer, status, reason) in [
        (json!({"status": "connected"}), AccountStatus::Ok, None),
        (json!({"status": "NEED_SCAN"}), AccountStatus::Disconnected, Some(DISCONNECTED_REASON)),
        (json!({"success": true, "data": {"status": "logged_out"}}), AccountStatus::Disconnected, Some(DISCONNECTED_REASON)),
        (json!({"status": "Disconnected"}), AccountStatus::Disconnected, Some(DISCONNECTED_REASON)),
        (json!({"status": "expired"}), AccountStatus::Disconnected, Some(DISCONNECTED_REASON)),
        (json!({"status": "connecting"}), AccountStatus::Retrying, Some("the WhatsApp session is connecting in WASender")),
    ] {
        let (server, client) = setup().await;
        Mock::given(method("GET"))
            .and(path("/status"))
            .and(header("authorization", bearer().as_str()))
            .respond_with(json_response(200, answer.to_string()))
            .mount(&server)
            .await;
        let (got, why) = ProviderClient::Wasender(client).account_state().await.unwrap();
        assert_eq!((got, why.as_deref()), (status, reason), "for {answer}");
    }
}

#[tokio::test]
async fn test_connection_reads_status_and_user() {
    let (server, client) = setup().await;
    Mock::given(method("GET")).and(path("/status")).respond_with(json_response(200, fixture("status_connected.json"))).mount(&server).await;
    Mock::given(method("GET")).and(path("/user")).respond_with(json_response(200, fixture("user.json"))).mount(&server).await;
    let info = client.test_connection().await.unwrap();
    assert_eq!(info.display_number.as_deref(), Some("+15550102030"), "E.164 from the session's JID");
    assert_eq!(info.verified_name.as_deref(), Some("Camden Parcel Co"));
    assert_eq!(info.raw["status"]["status"], "connected");

    let (server, client) = setup().await;
    Mock::given(method("GET")).and(path("/status")).respond_with(json_response(200, r#"{"status":"connected"}"#.into())).mount(&server).await;
    Mock::given(method("GET")).and(path("/user")).respond_with(ResponseTemplate::new(500)).mount(&server).await;
    let info = client.test_connection().await.unwrap();
    assert_eq!(info.display_number, None, "the number is optional");

    let (server, client) = setup().await;
    Mock::given(method("GET")).and(path("/status")).respond_with(json_response(200, r#"{"status":"need_scan"}"#.into())).mount(&server).await;
    let err = client.test_connection().await.unwrap_err();
    assert_eq!(provider_error(&err).kind, ErrorKind::SessionDisconnected);
}

#[tokio::test]
async fn message_status_mapping() {
    let info = |status: Value| {
        let mut v = fixture_json("message_info.json");
        v["data"]["status"] = status;
        v.to_string()
    };
    for (status, expected) in [
        (json!(0), Some(MessageStatus::Failed)),
        (json!(1), Some(MessageStatus::Sending)),
        (json!(2), Some(MessageStatus::Sent)),
        (json!(3), Some(MessageStatus::Delivered)),
        (json!(4), Some(MessageStatus::Read)),
        (json!(5), Some(MessageStatus::Played)),
        (json!("READ"), Some(MessageStatus::Read)),
        (json!("delivered"), Some(MessageStatus::Delivered)),
        (json!("ERROR"), Some(MessageStatus::Failed)),
        (json!("mystery"), None),
    ] {
        let (server, client) = setup().await;
        Mock::given(method("GET"))
            .and(path(format!("/messages/{MSG_ID}/info")))
            .and(header("authorization", bearer().as_str()))
            .respond_with(json_response(200, info(status.clone())))
            .mount(&server)
            .await;
        let report = ProviderClient::Wasender(client).message_status(MSG_ID).await.unwrap();
        assert_eq!(report.as_ref().map(|r| r.status), expected, "status {status}");
        if let Some(r) = report {
            assert_eq!(r.provider_message_id, KEY_ID, "the WhatsApp id, for correlation");
            assert_eq!(r.error.is_some(), r.status == MessageStatus::Failed, "an error only for a failed message");
        }
    }
    let (server, client) = setup().await;
    Mock::given(method("GET")).and(path("/messages/999/info")).respond_with(ResponseTemplate::new(404)).mount(&server).await;
    assert!(client.message_status("999").await.unwrap().is_none(), "unknown msgId");
    assert!(matches!(client.message_status("wasender-msg-1").await, Err(Error::Invalid(_))));
}

// ---------------------------------------------------------------- media

/// The media row the ingest would store for the image webhook fixture.
fn stored_image(server_media_sha: Option<String>) -> MediaFile {
    let events = parse_payload(fixture("webhook_message_image_upsert.json").as_bytes()).unwrap();
    let ProviderEvent::Message(m) = &events[0] else { panic!("a message") };
    let media = m.media.clone().expect("media");
    let mut fetch_info = media.fetch_info.clone().expect("the decrypt request");
    if let Some(sha) = server_media_sha {
        fetch_info["data"]["messages"]["message"]["imageMessage"]["fileSha256"] = Value::String(sha);
    }
    MediaFile {
        id: 9,
        account_id: 3,
        provider_media_id: media.provider_media_id,
        url: media.url,
        path: None,
        file_name: media.file_name,
        mime: media.mime,
        size: Some(8),
        sha256: media.sha256,
        state: MediaState::Pending,
        error: None,
        attempts: 0,
        fetch_info: Some(fetch_info),
    }
}

#[tokio::test]
async fn inbound_media_is_decrypted_then_downloaded_and_verifiable() {
    let (server, client) = setup().await;
    let bytes = b"\xFF\xD8\xFFjpeg!".to_vec();
    let sha_b64 = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&bytes))
    };
    let media = stored_image(Some(sha_b64.clone()));
    Mock::given(method("POST"))
        .and(path("/decrypt-media"))
        .and(header("authorization", bearer().as_str()))
        .and(body_json(media.fetch_info.clone().unwrap()))
        .respond_with(json_response(200, json!({"success": true, "publicUrl": format!("{}/decrypted/3EB0F9E8D7C6B5A49382.jpg", server.uri())}).to_string()))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/decrypted/3EB0F9E8D7C6B5A49382.jpg"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(bytes.clone(), "image/jpeg"))
        .mount(&server)
        .await;

    let got = ProviderClient::Wasender(client.clone()).download_media(&media, 1024).await.unwrap();
    assert_eq!(got.bytes, bytes);
    assert_eq!(got.mime.as_deref(), Some("image/jpeg"));
    assert_eq!(got.expected_sha256.as_deref(), Some(sha_b64.as_str()), "Baileys' fileSha256, base64");
    assert!(wicket_core::media_fetch::sha256_matches(&got.bytes, got.expected_sha256.as_deref().unwrap()), "the verifier takes base64");
    let download = requests_to(&server, "/decrypted/3EB0F9E8D7C6B5A49382.jpg").await;
    assert_eq!(auth_of(&download[0]), None, "the API key never goes to the media URL");

    let err = client.download_media(&media, 4).await.unwrap_err();
    assert_eq!(provider_error(&err).kind, ErrorKind::Media, "declared size over the limit: {err}");
    let mut unknown_size = media.clone();
    unknown_size.size = None;
    unknown_size.fetch_info.as_mut().unwrap()["data"]["messages"]["message"]["imageMessage"]["fileLength"] = Value::Null;
    Mock::given(method("POST"))
        .and(path("/decrypt-media"))
        .and(body_json(unknown_size.fetch_info.clone().unwrap()))
        .respond_with(json_response(200, json!({"success": true, "publicUrl": format!("{}/decrypted/3EB0F9E8D7C6B5A49382.jpg", server.uri())}).to_string()))
        .mount(&server)
        .await;
    let before = requests_to(&server, "/decrypted/3EB0F9E8D7C6B5A49382.jpg").await.len();
    let err = client.download_media(&unknown_size, 4).await.unwrap_err();
    assert_eq!(provider_error(&err).kind, ErrorKind::Media);
    assert!(err.to_string().contains("limit of 4 bytes"), "no size declared: stopped at the download: {err}");
    assert_eq!(requests_to(&server, "/decrypted/3EB0F9E8D7C6B5A49382.jpg").await.len(), before + 1);

    let mut no_info = media.clone();
    no_info.fetch_info = None;
    assert!(matches!(client.download_media(&no_info, 1024).await, Err(Error::Invalid(_))));
}

/// A bare HTTP/1.1 server: `POST` answers `{"publicUrl": <itself>/stream.bin}`,
/// `GET` streams `size` bytes chunked, with no Content-Length to check first.
async fn chunked_server(size: usize) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let public = format!("{base}/stream.bin");
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let public = public.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut tmp = [0u8; 4096];
                let head_end = loop {
                    let n = sock.read(&mut tmp).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&tmp[..n]);
                    if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break pos + 4;
                    }
                };
                let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
                let length = head.lines().find_map(|l| l.strip_prefix("content-length:")).and_then(|v| v.trim().parse::<usize>().ok()).unwrap_or(0);
                while buf.len() < head_end + length {
                    let n = sock.read(&mut tmp).await.unwrap_or(0);
                    if n == 0 {
                        break;
                    }
                    buf.extend_from_slice(&tmp[..n]);
                }
                if head.starts_with("post") {
                    let body = json!({"success": true, "publicUrl": public}).to_string();
                    let resp =
                        format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
                    let _ = sock.write_all(resp.as_bytes()).await;
                    return;
                }
                if sock.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n").await.is_err() {
                    return;
                }
                let chunk = vec![b'x'; 1024];
                let mut sent = 0;
                while sent < size {
                    let n = chunk.len().min(size - sent);
                    let mut piece = format!("{n:x}\r\n").into_bytes();
                    piece.extend_from_slice(&chunk[..n]);
                    piece.extend_from_slice(b"\r\n");
                    if sock.write_all(&piece).await.is_err() {
                        return;
                    }
                    sent += n;
                }
                let _ = sock.write_all(b"0\r\n\r\n").await;
            });
        }
    });
    base
}

#[tokio::test]
async fn a_download_without_a_declared_size_stops_past_the_limit() {
    let base = chunked_server(1_000_000).await;
    let client = WasenderClient::new(base.clone(), Secret::new(API_KEY.into()), None, None).unwrap();
    let mut media = stored_image(None);
    media.size = None;
    media.fetch_info.as_mut().unwrap()["data"]["messages"]["message"]["imageMessage"]["fileLength"] = Value::Null;
    let err = client.download_media(&media, 10_000).await.unwrap_err();
    assert_eq!(provider_error(&err).kind, ErrorKind::Media);
    assert!(err.to_string().contains("larger than the limit of 10000 bytes: download stopped"), "{err}");
    let small = chunked_server(3_000).await;
    let client = WasenderClient::new(small, Secret::new(API_KEY.into()), None, None).unwrap();
    let got = client.download_media(&media, 10_000).await.unwrap();
    assert_eq!(got.bytes.len(), 3_000, "under the limit: all of it");
}

#[tokio::test]
async fn the_fixture_decrypt_answer_shape_is_read() {
    // `{"success":true,"publicUrl":"https://…"}`: an HTTPS URL elsewhere is fetched (here: unreachable).
    let (server, client) = setup().await;
    Mock::given(method("POST")).and(path("/decrypt-media")).respond_with(json_response(200, fixture("decrypt_media_response.json"))).mount(&server).await;
    let client = client.with_timeouts(Duration::from_millis(300), Duration::from_millis(500)).unwrap();
    let err = client.download_media(&stored_image(None), 1024).await.unwrap_err();
    assert!(!err.to_string().contains("no publicUrl"), "the publicUrl was found: {err}");
}

// ---------------------------------------------------------------- webhook management and read receipts

#[tokio::test]
async fn webhook_registration_and_secret_use_the_personal_access_token() {
    let (server, client) = setup().await;
    let url = "https://tunnel.example.net/webhooks/wasender/3";
    Mock::given(method("PUT"))
        .and(path(format!("/whatsapp-sessions/{SESSION}")))
        .and(header("authorization", pat_bearer().as_str()))
        .and(body_json(json!({"webhook_url": url, "webhook_enabled": true, "webhook_events": WEBHOOK_EVENTS})))
        .respond_with(json_response(200, fixture("whatsapp_session.json")))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/whatsapp-sessions/{SESSION}")))
        .and(header("authorization", pat_bearer().as_str()))
        .respond_with(json_response(200, fixture("whatsapp_session.json")))
        .mount(&server)
        .await;
    client.register_webhook(url).await.unwrap();
    assert_eq!(
        WEBHOOK_EVENTS,
        &["messages.received", "messages.upsert", "messages.update", "messages.delete", "messages.reaction", "session.status", "message.sent"]
    );
    let secret = client.fetch_webhook_secret().await.unwrap().expect("a secret");
    assert_eq!(secret.expose(), "whsec_5f4dcc3b5aa765d61d8327deb882cf99");

    let no_pat = WasenderClient::new(server.uri(), Secret::new(API_KEY.into()), None, Some(SESSION.into())).unwrap();
    assert!(matches!(no_pat.register_webhook(url).await, Err(Error::Invalid(_))), "needs the token");
    let no_session = WasenderClient::new(server.uri(), Secret::new(API_KEY.into()), Some(Secret::new(PAT.into())), None).unwrap();
    assert!(matches!(no_session.fetch_webhook_secret().await, Err(Error::Invalid(_))), "needs the session id");

    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .and(path(format!("/whatsapp-sessions/{SESSION}")))
        .respond_with(json_response(401, r#"{"message":"Unauthenticated."}"#.into()))
        .mount(&server)
        .await;
    let err = client.fetch_webhook_secret().await.unwrap_err();
    let pe = provider_error(&err);
    assert_eq!(pe.kind, ErrorKind::Auth);
    assert!(pe.message.starts_with("the WASender personal access token is missing or wrong"), "{}", pe.message);

    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .and(path(format!("/whatsapp-sessions/{SESSION}")))
        .respond_with(json_response(200, json!({"success": true, "data": {"id": 41, "webhook_secret": null}}).to_string()))
        .mount(&server)
        .await;
    assert!(client.fetch_webhook_secret().await.unwrap().is_none());
}

#[tokio::test]
async fn read_receipts_need_the_chat_jid() {
    let (server, client) = setup().await;
    Mock::given(method("POST"))
        .and(path("/messages/read"))
        .and(header("authorization", bearer().as_str()))
        .respond_with(json_response(200, r#"{"success":true}"#.into()))
        .mount(&server)
        .await;
    let err = ProviderClient::Wasender(client.clone()).mark_read("3EB0A1B2C3D4E5F60718", None).await.unwrap_err();
    assert!(matches!(&err, Error::Invalid(m) if m.contains("JID")), "never a faked success: {err:?}");
    assert!(requests_to(&server, "/messages/read").await.is_empty());

    client.mark_read_in_chat("3EB0A1B2C3D4E5F60718", "447700900123@s.whatsapp.net", None).await.unwrap();
    client.mark_read_in_chat("3EB0GROUP00000000001", "120363041234567890@g.us", Some("447700900456@s.whatsapp.net")).await.unwrap();
    let reads = requests_to(&server, "/messages/read").await;
    assert_eq!(
        reads[0].body_json::<Value>().unwrap(),
        json!({"key": {"id": "3EB0A1B2C3D4E5F60718", "remoteJid": "447700900123@s.whatsapp.net", "fromMe": false}})
    );
    assert_eq!(reads[1].body_json::<Value>().unwrap()["key"]["participant"], "447700900456@s.whatsapp.net");
}

/// An account row; built from JSON so optional columns added later default to `None`.
fn account(config: Value) -> Account {
    serde_json::from_value(json!({
        "id": 3, "provider": Provider::Wasender, "name": "Gateway", "phone": null, "status": AccountStatus::Ok,
        "status_reason": null, "status_since": null, "enabled": true, "config": config, "created_at": 0, "updated_at": 0
    }))
    .expect("an account")
}

#[tokio::test]
async fn for_account_reads_config_and_secrets() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/status"))
        .and(header("authorization", bearer().as_str()))
        .respond_with(json_response(200, fixture("status_connected.json")))
        .mount(&server)
        .await;
    let secrets = SecretStore::in_memory("test");
    let acc = account(json!({"base_url": format!("{}/", server.uri()), "session_id": 41}));
    assert!(matches!(WasenderClient::for_account(&acc, &secrets), Err(Error::Secrets(_))), "no API key stored");

    secrets.set(3, SecretName::ApiKey, &Secret::new(API_KEY.into())).unwrap();
    let client = WasenderClient::for_account(&acc, &secrets).unwrap();
    assert_eq!(client.base_url(), server.uri(), "trailing slash stripped");
    assert_eq!(client.session_id(), Some("41"), "a numeric session id is read");
    assert!(!client.can_manage_webhook(), "no token yet");
    assert!(!format!("{client:?}").contains(API_KEY), "Debug never shows the key");
    secrets.set(3, SecretName::PersonalAccessToken, &Secret::new(PAT.into())).unwrap();
    assert!(WasenderClient::for_account(&acc, &secrets).unwrap().can_manage_webhook());

    let dispatch = ProviderClient::for_account(&acc, &secrets).unwrap();
    assert_eq!(dispatch.account_state().await.unwrap().0, AccountStatus::Ok);
    let defaults = WasenderClient::for_account(&account(json!({})), &secrets).unwrap();
    assert_eq!(defaults.base_url(), "https://www.wasenderapi.com/api");
}

// ---------------------------------------------------------------- webhook parsing

fn events(name: &str) -> Vec<ProviderEvent> {
    parse_payload(fixture(name).as_bytes()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn messages_of(evs: &[ProviderEvent]) -> Vec<InboundMessage> {
    evs.iter()
        .filter_map(|e| match e {
            ProviderEvent::Message(m) => Some(m.clone()),
            _ => None,
        })
        .collect()
}

fn statuses_of(evs: &[ProviderEvent]) -> Vec<StatusReport> {
    evs.iter()
        .filter_map(|e| match e {
            ProviderEvent::Status(s) => Some(s.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn inbound_text_fixture() {
    let msgs = messages_of(&events("webhook_message.json"));
    assert_eq!(msgs.len(), 1);
    let m = &msgs[0];
    assert_eq!(m.provider_message_id, "3EB0A1B2C3D4E5F60718");
    assert_eq!((m.direction, m.origin), (Direction::In, None), "a customer message");
    assert_eq!(m.kind, MessageKind::Text);
    assert_eq!(m.text.as_deref(), Some("Hi! Is my order #4521 ready for pickup?"));
    assert_eq!(m.chat, ContactKey::phone("+447700900123"));
    assert_eq!(m.chat_update.wa_id.as_deref(), Some("447700900123"));
    assert_eq!(m.chat_update.jid.as_deref(), Some("447700900123@s.whatsapp.net"));
    assert_eq!(m.chat_update.profile_name.as_deref(), Some("Priya Raman"), "pushName of an inbound 1:1 message");
    assert_eq!(m.timestamp, 1_767_268_799_000, "messageTimestamp in seconds");
    assert_eq!((m.sender_id.as_deref(), m.sender_name.as_deref()), (None, None));
    assert_eq!(m.raw["key"]["id"], json!(m.provider_message_id), "raw keeps the message");
}

#[test]
fn image_upsert_fixture_keeps_the_decrypt_request() {
    let m = messages_of(&events("webhook_message_image_upsert.json")).remove(0);
    assert_eq!(m.kind, MessageKind::Image);
    assert_eq!(m.caption.as_deref(), Some("This is the damaged box"));
    assert_eq!(
        m.chat,
        ContactKey { phone: Some("+447700900123".into()), provider_user_id: Some("118237465019283@lid".into()) },
        "a LID chat with its number: both keys, so the two stay one conversation"
    );
    assert_eq!(m.chat_update.jid.as_deref(), Some("118237465019283@lid"));
    let media = m.media.unwrap();
    assert_eq!(media.mime.as_deref(), Some("image/jpeg"));
    assert_eq!(media.sha256.as_deref(), Some("mV3Jx0examplebase64sha256=="));
    assert_eq!(media.size, Some(284_512), "fileLength as a string");
    let image = fixture_json("webhook_message_image_upsert.json")["data"]["messages"][0]["message"]["imageMessage"].clone();
    assert_eq!(
        media.fetch_info,
        Some(json!({"data": {"messages": {"key": {"id": "3EB0F9E8D7C6B5A49382"}, "message": {"imageMessage": image}}}})),
        "exactly the body POST /decrypt-media needs"
    );
}

#[test]
fn status_update_fixture() {
    let s = statuses_of(&events("webhook_status_update.json"));
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].provider_message_id, KEY_ID);
    assert_eq!(s[0].status, MessageStatus::Delivered, "numeric 3");
    assert_eq!(s[0].timestamp, 1_767_269_010_123, "an envelope timestamp in ms stays ms");
    assert_eq!(s[0].recipient, Some(ContactKey::phone("+447700900123")));
}

#[test]
fn status_updates_as_an_array_with_strings() {
    let s = statuses_of(&events("webhook_status_update_array.json"));
    let got: Vec<_> = s.iter().map(|s| (s.provider_message_id.as_str(), s.status)).collect();
    assert_eq!(
        got,
        vec![(KEY_ID, MessageStatus::Read), ("3EB0DEADBEEF00000001", MessageStatus::Failed)],
        "string READ, numeric ERROR; a customer message's status and PENDING are skipped"
    );
    assert_eq!(s[1].error.as_ref().map(|e| e.kind), Some(ErrorKind::Unknown));
    assert_eq!(s[0].timestamp, 1_767_269_600_000, "seconds become ms");
}

#[test]
fn session_status_fixture() {
    assert_eq!(
        events("webhook_session_status.json"),
        vec![ProviderEvent::AccountState { status: AccountStatus::Disconnected, reason: Some(DISCONNECTED_REASON.into()) }]
    );
    let connected = parse_payload(br#"{"event":"session.status","data":{"status":"CONNECTED"}}"#).unwrap();
    assert_eq!(connected, vec![ProviderEvent::AccountState { status: AccountStatus::Ok, reason: None }]);
}

#[test]
fn the_owners_phone_messages_are_outgoing_in_the_recipients_chat() {
    let m = messages_of(&events("webhook_message_from_me.json")).remove(0);
    assert_eq!((m.direction, m.origin), (Direction::Out, Some(Origin::Phone)), "never a customer message");
    assert_eq!(m.chat, ContactKey::phone("+447700900123"), "the recipient's chat, not the owner's number");
    assert_eq!(m.chat_update.profile_name, None, "the owner's pushName is not the customer's");
    assert_eq!(m.reply_to_provider_id.as_deref(), Some("3EB0A1B2C3D4E5F60718"), "contextInfo.stanzaId");
    assert_eq!(m.text.as_deref(), Some("On my way, 10 minutes"));
}

#[test]
fn a_lid_only_sender_stays_opaque() {
    let m = messages_of(&events("webhook_message_lid_only.json")).remove(0);
    assert_eq!(m.chat, ContactKey::user_id("203040506070809@lid"), "no number is guessed from a LID; the device suffix is dropped");
    assert_eq!(m.chat_update.wa_id, None);
    assert_eq!(m.chat_update.profile_name.as_deref(), Some("Unknown Caller"));
    assert_eq!(m.timestamp, 1_767_269_199_000, "a timestamp string");
    assert_eq!(m.direction, Direction::In);
}

#[test]
fn group_messages_key_the_group_and_name_the_sender() {
    let m = messages_of(&events("webhook_group_message.json")).remove(0);
    assert_eq!(m.chat, ContactKey::user_id("120363041234567890@g.us"));
    assert_eq!(m.chat_update.is_group, Some(true));
    assert_eq!(m.chat_update.jid.as_deref(), Some("120363041234567890@g.us"));
    assert_eq!(m.chat_update.profile_name, None, "the sender's name is not the group's");
    assert_eq!(m.sender_id.as_deref(), Some("447700900456@s.whatsapp.net"), "the participant, without its device");
    assert_eq!(m.sender_name.as_deref(), Some("Tom Baker"));
    assert_eq!(m.timestamp, 1_767_269_300_000);
}

#[test]
fn voice_notes_with_millisecond_timestamps() {
    let m = messages_of(&events("webhook_voice_ms_timestamp.json")).remove(0);
    assert_eq!(m.kind, MessageKind::Voice, "ptt audio");
    assert_eq!(m.timestamp, 1_767_269_399_000, "a messageTimestamp in ms stays ms");
    let media = m.media.unwrap();
    assert_eq!(media.size, Some(10_231));
    assert_eq!(media.mime.as_deref(), Some("audio/ogg; codecs=opus"));
    assert!(media.fetch_info.unwrap()["data"]["messages"]["message"]["audioMessage"]["mediaKey"].is_string());
}

#[test]
fn documents_locations_contacts_and_unknown_kinds() {
    let msgs = messages_of(&events("webhook_document_location_contact.json"));
    assert_eq!(msgs.len(), 4);
    let doc = &msgs[0];
    assert_eq!(doc.kind, MessageKind::Document, "unwrapped from documentWithCaptionMessage");
    assert_eq!(doc.caption.as_deref(), Some("Here is the invoice"));
    assert_eq!(doc.media.as_ref().unwrap().file_name.as_deref(), Some("invoice-4521.pdf"));
    assert!(doc.media.as_ref().unwrap().fetch_info.as_ref().unwrap()["data"]["messages"]["message"]["documentMessage"].is_object());
    let loc = &msgs[1];
    assert_eq!(loc.kind, MessageKind::Location);
    assert_eq!(loc.location, Some(json!({"latitude": 51.5390, "longitude": -0.1426, "name": "Camden Market", "address": "Camden Lock Pl, London"})));
    let card = &msgs[2];
    assert_eq!(card.kind, MessageKind::Contacts);
    let contacts = card.contacts.as_ref().unwrap();
    assert_eq!(contacts[0]["name"]["formatted_name"], "Max Mustermann");
    assert_eq!(contacts[0]["phones"][0], json!({"phone": "+49 151 98765432", "wa_id": "4915198765432"}));
    let poll = &msgs[3];
    assert_eq!(poll.kind, MessageKind::Unsupported, "unknown, no messageBody");
    assert!(poll.raw["message"]["pollCreationMessageV3"].is_object(), "kept raw");
}

#[test]
fn reactions_target_the_reacted_message() {
    let m = messages_of(&events("webhook_reaction.json")).remove(0);
    assert_eq!(m.kind, MessageKind::Reaction);
    assert_eq!(m.reaction, Some((KEY_ID.to_string(), "👍".to_string())));
    assert_eq!((m.direction, m.origin), (Direction::In, None), "the customer reacted");
    assert_eq!(m.chat, ContactKey::phone("+447700900123"));
    assert_eq!(m.timestamp, 1_767_269_699_500, "senderTimestampMs");
    let removed = parse_payload(
        json!({"event": "messages.reaction", "data": {"key": {"id": KEY_ID, "remoteJid": "447700900123@s.whatsapp.net", "fromMe": true},
               "reaction": {"text": "", "key": {"id": "R2", "remoteJid": "447700900123@s.whatsapp.net", "fromMe": false}}}})
        .to_string()
        .as_bytes(),
    )
    .unwrap();
    assert_eq!(messages_of(&removed)[0].reaction, Some((KEY_ID.to_string(), String::new())), "an empty emoji removes");
}

#[test]
fn deletions_and_edits() {
    assert_eq!(
        events("webhook_delete.json"),
        vec![ProviderEvent::MessageDeleted { provider_message_id: "3EB0A1B2C3D4E5F60718".into(), timestamp: 1_767_269_800_000 }]
    );
    assert_eq!(
        events("webhook_edit_and_revoke.json"),
        vec![
            ProviderEvent::MessageEdited {
                provider_message_id: "3EB0A1B2C3D4E5F60718".into(),
                text: Some("Hi! Is my order #4522 ready for pickup?".into()),
                timestamp: 1_767_269_899_321
            },
            ProviderEvent::MessageDeleted { provider_message_id: "3EB0F9E8D7C6B5A49382".into(), timestamp: 1_767_269_900_000 },
        ],
        "edits and revokes name the original message, never a new one"
    );
    let update_edit = json!({"event": "messages.update", "timestamp": 1767270000, "data": [
        {"key": {"id": "E9", "remoteJid": "447700900123@s.whatsapp.net", "fromMe": false},
         "update": {"message": {"editedMessage": {"message": {"conversation": "fixed typo"}}}}},
        {"key": {"id": "D9", "remoteJid": "447700900123@s.whatsapp.net", "fromMe": false},
         "update": {"message": null, "messageStubType": 1}}
    ]});
    assert_eq!(
        parse_payload(update_edit.to_string().as_bytes()).unwrap(),
        vec![
            ProviderEvent::MessageEdited { provider_message_id: "E9".into(), text: Some("fixed typo".into()), timestamp: 1_767_270_000_000 },
            ProviderEvent::MessageDeleted { provider_message_id: "D9".into(), timestamp: 1_767_270_000_000 },
        ]
    );
}

#[test]
fn contact_updates_are_not_a_sync() {
    let evs = events("webhook_contacts_upsert.json");
    assert_eq!(evs.len(), 2);
    let ProviderEvent::Contact { key, update } = &evs[0] else { panic!("a contact") };
    assert_eq!(key, &ContactKey::phone("+447700900123"));
    assert_eq!(update.profile_name.as_deref(), Some("Priya"));
    assert!(!update.synced);
    let ProviderEvent::Contact { key, .. } = &evs[1] else { panic!("a contact") };
    assert_eq!(key, &ContactKey::user_id("203040506070809@lid"));
}

#[test]
fn messages_as_object_or_array_and_both_event_spellings() {
    let one = |event: &str, messages: Value| {
        parse_payload(json!({"event": event, "timestamp": 1767268800, "data": {"messages": messages}}).to_string().as_bytes()).unwrap()
    };
    let msg = json!({"key": {"id": "X1", "fromMe": false, "remoteJid": "447700900123@s.whatsapp.net"}, "message": {"conversation": "hi"}});
    for event in ["messages.received", "message.received", "messages-personal.received", "message.personal.received", "messages.upsert", "message.sent"] {
        assert_eq!(messages_of(&one(event, msg.clone())).len(), 1, "{event} with an object");
        assert_eq!(messages_of(&one(event, json!([msg.clone(), msg.clone()]))).len(), 2, "{event} with an array");
    }
    let fallback = one("messages.received", json!({"key": {"id": "X2", "remoteJid": "447700900123@s.whatsapp.net"}, "messageBody": "only the body"}));
    assert_eq!(messages_of(&fallback)[0].text.as_deref(), Some("only the body"), "messageBody as the fallback text");
    let no_ts = parse_payload(json!({"event": "messages.received", "data": {"messages": {"key": {"id": "X3", "remoteJid": "447700900123@s.whatsapp.net"}, "message": {"conversation": "x"}}}}).to_string().as_bytes()).unwrap();
    assert!(messages_of(&no_ts)[0].timestamp > 1_700_000_000_000, "no timestamp at all: now");
}

#[test]
fn unknown_events_are_ignored_and_malformed_bodies_refused() {
    assert!(events("webhook_unknown_event.json").is_empty());
    assert!(parse_payload(br#"{"hello":"world"}"#).unwrap().is_empty(), "an object of another shape");
    assert!(matches!(parse_payload(b"{not json"), Err(ParseError(_))));
    assert!(matches!(parse_payload(b"42"), Err(ParseError(_))));
    assert!(matches!(parse_payload(b""), Err(ParseError(_))));
}

#[test]
fn every_fixture_parses() {
    for entry in std::fs::read_dir(FIXTURES).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name.starts_with("webhook_") {
            let evs = events(&name);
            assert!(!evs.is_empty() || name == "webhook_unknown_event.json", "{name} yields events");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profile_pictures_keep_to_the_per_minute_limit() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(wiremock::matchers::path_regex(r"^/contacts/\d+/picture$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true, "data": {"imgUrl": null}})))
        .mount(&server)
        .await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = wicket_core::DataDir::open(tmp.path()).unwrap();
    let mut store = wicket_core::Store::open(&dir.db_path()).unwrap();
    let account = store
        .add_account(&wicket_core::store::NewAccount { provider: Provider::Wasender, name: "W".into(), phone: None, config: json!({"base_url": server.uri()}) })
        .unwrap();
    let secrets = SecretStore::in_memory("picture-limit");
    secrets.set(account.id, SecretName::ApiKey, &Secret::new("k".into())).unwrap();
    let client = ProviderClient::for_account(&account, &secrets).unwrap();
    let limit = wicket_core::sync::PICTURES_PER_MINUTE as usize;
    let mut outcomes = vec![];
    for i in 0..limit + 3 {
        let c = store.upsert_contact(account.id, &ContactKey::phone(format!("+4479111234{i:02}")), &Default::default()).unwrap();
        outcomes.push(wicket_core::sync::fetch_profile_picture(&mut store, &dir, &client, c.id, false).await.unwrap());
    }
    assert!(outcomes[..limit].iter().all(|o| *o == wicket_core::sync::Picture::None), "within the limit every contact is asked");
    assert!(outcomes[limit..].iter().all(|o| *o == wicket_core::sync::Picture::Later), "beyond it, background work waits");
    let asked = server.received_requests().await.unwrap().len();
    assert_eq!(asked, limit, "no request beyond {limit} a minute");
}
