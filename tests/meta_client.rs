//! The Meta client against a fake Graph API (wiremock) over real HTTP on
//! loopback: exact request bodies and headers for every message kind, media
//! upload and download, template sync and checks, the connection test, the
//! mapping of Graph errors and a hung provider.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use wicket_core::model::{AccountStatus, MessageKind, Provider};
use wicket_core::providers::meta::errors::map_graph_error;
use wicket_core::providers::meta::templates::{check_params, parse_templates_page, render_preview, required_params, ParamSlots};
use wicket_core::providers::meta::MetaClient;
use wicket_core::providers::{MediaSource, OutgoingContent, OutgoingMessage, ProviderClient, TemplateParam};
use wicket_core::secrets::{Secret, SecretName, SecretStore};
use wicket_core::store::templates::{NewTemplate, Template};
use wicket_core::store::Account;
use wicket_core::{Error, ErrorKind};
use wiremock::matchers::{header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TOKEN: &str = "EAAGtest-token-0123456789abcdef";
const PNID: &str = "318273645501234";
const WABA: &str = "214365870912345";
const WAMID: &str = "wamid.HBgMNDQ3NzAwOTAwMTIzFQIAERgSMDFBQkNERUYwMTIzNDU2Nzg5AA==";
const UPLOADED_ID: &str = "6677889900112233";

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/meta/");

fn fixture(name: &str) -> String {
    let p = PathBuf::from(FIXTURES).join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("fixture {}: {e}", p.display()))
}

fn fixture_json(name: &str) -> Value {
    serde_json::from_str(&fixture(name)).unwrap()
}

fn bearer() -> String {
    format!("Bearer {TOKEN}")
}

async fn setup() -> (MockServer, MetaClient) {
    let server = MockServer::start().await;
    let client = MetaClient::new(server.uri(), "v23.0", PNID, Some(WABA.into()), Secret::new(TOKEN.into())).unwrap();
    (server, client)
}

fn messages_path() -> String {
    format!("/v23.0/{PNID}/messages")
}

/// The send endpoint, answering only requests with the right Bearer header.
async fn mount_send_ok(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path(messages_path()))
        .and(header("authorization", bearer().as_str()))
        .and(header("content-type", "application/json"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(fixture("meta_send_text_response.json"), "application/json"))
        .mount(server)
        .await;
}

async fn mount_upload_ok(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path(format!("/v23.0/{PNID}/media")))
        .and(header("authorization", bearer().as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_raw(fixture("meta_upload_media_response.json"), "application/json"))
        .mount(server)
        .await;
}

async fn requests_to(server: &MockServer, p: &str) -> Vec<Request> {
    server.received_requests().await.unwrap_or_default().into_iter().filter(|r| r.url.path() == p).collect()
}

fn assert_bearer(r: &Request) {
    let got = r.headers.get("authorization").and_then(|v| v.to_str().ok());
    assert_eq!(got, Some(bearer().as_str()), "every request carries the Bearer token");
}

fn message(content: OutgoingContent) -> OutgoingMessage {
    OutgoingMessage { to: "+447700900123".into(), content, reply_to_provider_id: None, wicket_id: 42, chat_id: None, to_group: false }
}

/// Sends `msg`, checks the receipt, and returns the one JSON body sent.
async fn send_and_capture(server: &MockServer, client: &MetaClient, msg: &OutgoingMessage) -> Value {
    mount_send_ok(server).await;
    let receipt = client.send(msg).await.unwrap();
    assert_eq!(receipt.provider_message_id, WAMID);
    assert_eq!(receipt.recipient_id.as_deref(), Some("447700900123"));
    let sent = requests_to(server, &messages_path()).await;
    assert_eq!(sent.len(), 1, "exactly one send request");
    assert_bearer(&sent[0]);
    sent[0].body_json().unwrap()
}

/// The envelope every send shares, around `type` and its object.
fn envelope(kind: &str, object: Value) -> Value {
    json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "447700900123",
        "type": kind,
        kind: object,
        "biz_opaque_callback_data": "42"
    })
}

fn media(kind: MessageKind, source: MediaSource, caption: Option<&str>, filename: Option<&str>, mime: Option<&str>) -> OutgoingContent {
    OutgoingContent::Media { kind, source, caption: caption.map(str::to_string), filename: filename.map(str::to_string), mime: mime.map(str::to_string) }
}

// ---------------------------------------------------------------- sends

#[tokio::test]
async fn text_with_preview_flag() {
    let (server, client) = setup().await;
    let body = send_and_capture(&server, &client, &message(OutgoingContent::Text { body: "See https://x.example".into(), preview_url: true })).await;
    assert_eq!(body, envelope("text", json!({"preview_url": true, "body": "See https://x.example"})));

    server.reset().await;
    let body = send_and_capture(&server, &client, &message(OutgoingContent::Text { body: "Your order is ready.".into(), preview_url: false })).await;
    assert_eq!(body, envelope("text", json!({"preview_url": false, "body": "Your order is ready."})));
}

#[tokio::test]
async fn a_reply_to_a_group_goes_to_the_group() {
    // Groups API: recipient_type "group" and the opaque group id as `to`;
    // the answer echoes the group id (fixture shaped as Meta documents it).
    let (server, client) = setup().await;
    Mock::given(method("POST"))
        .and(path(messages_path()))
        .and(header("authorization", bearer().as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_raw(fixture("meta_send_group_response.json"), "application/json"))
        .mount(&server)
        .await;
    let group = "Y2FwaV9ncm91cDoxNTU1MDEwMjAzMDoxMjAzNjMwNDEyMzQ1Njc4OTAZD";
    let msg = OutgoingMessage { to: group.into(), to_group: true, ..message(OutgoingContent::Text { body: "15:00 works".into(), preview_url: false }) };
    let receipt = client.send(&msg).await.unwrap();
    assert_eq!(receipt.provider_message_id, "wamid.HBgLR1JPVVBTRU5EMDEVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA");
    let sent = requests_to(&server, &messages_path()).await;
    assert_eq!(sent.len(), 1);
    let mut want = envelope("text", json!({"preview_url": false, "body": "15:00 works"}));
    want["recipient_type"] = json!("group");
    want["to"] = json!(group);
    assert_eq!(sent[0].body_json::<Value>().unwrap(), want, "never sent privately to a participant");
}

#[tokio::test]
async fn image_by_link_with_caption() {
    let (server, client) = setup().await;
    let content = media(MessageKind::Image, MediaSource::Link("https://cdn.example.com/p/42.jpg".into()), Some("Label photo"), None, None);
    let body = send_and_capture(&server, &client, &message(content)).await;
    assert_eq!(body, envelope("image", json!({"link": "https://cdn.example.com/p/42.jpg", "caption": "Label photo"})));
}

/// A multipart part: (name, file name, content type, content).
type Part = (String, Option<String>, Option<String>, String);

fn multipart_parts(r: &Request) -> Vec<Part> {
    let ct = r.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    assert!(ct.starts_with("multipart/form-data"), "upload is multipart, got {ct}");
    let boundary = ct.split("boundary=").nth(1).expect("a boundary").trim_matches('"').to_string();
    let text = String::from_utf8_lossy(&r.body).into_owned();
    let mut parts = Vec::new();
    for chunk in text.split(&format!("--{boundary}")) {
        let chunk = chunk.strip_prefix("\r\n").unwrap_or(chunk);
        let Some((head, content)) = chunk.split_once("\r\n\r\n") else { continue };
        let content = content.strip_suffix("\r\n").unwrap_or(content).to_string();
        let disposition = head.lines().next().unwrap_or_default();
        let attr =
            |key: &str| disposition.split(';').map(str::trim).find_map(|kv| kv.strip_prefix(&format!("{key}=\"")).map(|v| v.trim_end_matches('"').to_string()));
        let name = attr("name").expect("a part name");
        let file_name = attr("filename");
        let part_ct = head.lines().find_map(|l| l.to_ascii_lowercase().strip_prefix("content-type:").map(|v| v.trim().to_string()));
        parts.push((name, file_name, part_ct, content));
    }
    parts
}

fn temp_file(dir: &tempfile::TempDir, name: &str, content: &str) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, content).unwrap();
    p
}

async fn check_upload(server: &MockServer, file_name: &str, mime: &str, content: &str) {
    let uploads = requests_to(server, &format!("/v23.0/{PNID}/media")).await;
    assert_eq!(uploads.len(), 1, "one upload before the send");
    assert_bearer(&uploads[0]);
    let parts = multipart_parts(&uploads[0]);
    let field = |n: &str| parts.iter().find(|p| p.0 == n).unwrap_or_else(|| panic!("no {n} field in {parts:?}"));
    assert_eq!(field("messaging_product").3, "whatsapp");
    assert_eq!(field("type").3, mime);
    let file = field("file");
    assert_eq!(file.1.as_deref(), Some(file_name), "the file part carries the file name");
    assert_eq!(file.2.as_deref(), Some(mime));
    assert_eq!(file.3, content, "the file bytes are uploaded as they are");
}

#[tokio::test]
async fn image_by_upload_sends_the_returned_id() {
    let (server, client) = setup().await;
    mount_upload_ok(&server).await;
    let dir = tempfile::tempdir().unwrap();
    let file = temp_file(&dir, "photo.png", "fake png bytes");
    let content = media(MessageKind::Image, MediaSource::Path(file), Some("Label"), None, None);
    let body = send_and_capture(&server, &client, &message(content)).await;
    check_upload(&server, "photo.png", "image/png", "fake png bytes").await;
    assert_eq!(body, envelope("image", json!({"id": UPLOADED_ID, "caption": "Label"})));
}

#[tokio::test]
async fn document_by_upload_with_filename() {
    let (server, client) = setup().await;
    mount_upload_ok(&server).await;
    let dir = tempfile::tempdir().unwrap();
    let file = temp_file(&dir, "inv.pdf", "%PDF-1.4 fake");
    let content = media(MessageKind::Document, MediaSource::Path(file.clone()), Some("Invoice"), Some("invoice-001.pdf"), None);
    let body = send_and_capture(&server, &client, &message(content)).await;
    check_upload(&server, "inv.pdf", "application/pdf", "%PDF-1.4 fake").await;
    assert_eq!(body, envelope("document", json!({"id": UPLOADED_ID, "filename": "invoice-001.pdf", "caption": "Invoice"})));

    // Without a file name, the document is named after the file.
    server.reset().await;
    mount_upload_ok(&server).await;
    let content = media(MessageKind::Document, MediaSource::Path(file), None, None, Some("application/x-custom"));
    let body = send_and_capture(&server, &client, &message(content)).await;
    check_upload(&server, "inv.pdf", "application/x-custom", "%PDF-1.4 fake").await;
    assert_eq!(body, envelope("document", json!({"id": UPLOADED_ID, "filename": "inv.pdf"})));
}

#[tokio::test]
async fn audio_has_no_caption() {
    let (server, client) = setup().await;
    let content = media(MessageKind::Audio, MediaSource::Link("https://cdn.example.com/a.ogg".into()), Some("dropped"), Some("x.ogg"), None);
    let body = send_and_capture(&server, &client, &message(content)).await;
    assert_eq!(body, envelope("audio", json!({"link": "https://cdn.example.com/a.ogg"})), "no caption or filename on audio");
}

#[tokio::test]
async fn voice_is_sent_as_audio() {
    let (server, client) = setup().await;
    mount_upload_ok(&server).await;
    let dir = tempfile::tempdir().unwrap();
    let file = temp_file(&dir, "note.ogg", "OggS fake opus");
    let body = send_and_capture(&server, &client, &message(media(MessageKind::Voice, MediaSource::Path(file), None, None, None))).await;
    check_upload(&server, "note.ogg", "audio/ogg", "OggS fake opus").await;
    assert_eq!(body, envelope("audio", json!({"id": UPLOADED_ID})));
}

#[tokio::test]
async fn video_by_link_with_caption() {
    let (server, client) = setup().await;
    let content = media(MessageKind::Video, MediaSource::Link("https://cdn.example.com/v.mp4".into()), Some("How to"), None, None);
    let body = send_and_capture(&server, &client, &message(content)).await;
    assert_eq!(body, envelope("video", json!({"link": "https://cdn.example.com/v.mp4", "caption": "How to"})));
}

#[tokio::test]
async fn sticker_by_upload_has_no_caption() {
    let (server, client) = setup().await;
    mount_upload_ok(&server).await;
    let dir = tempfile::tempdir().unwrap();
    let file = temp_file(&dir, "s.webp", "RIFF fake webp");
    let body = send_and_capture(&server, &client, &message(media(MessageKind::Sticker, MediaSource::Path(file), Some("x"), None, None))).await;
    check_upload(&server, "s.webp", "image/webp", "RIFF fake webp").await;
    assert_eq!(body, envelope("sticker", json!({"id": UPLOADED_ID})));
}

#[tokio::test]
async fn oversized_upload_is_refused_before_any_request() {
    let (server, client) = setup().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.webp");
    std::fs::write(&file, vec![0u8; 600 * 1024]).unwrap();
    let err = client.send(&message(media(MessageKind::Sticker, MediaSource::Path(file), None, None, None))).await.unwrap_err();
    assert_eq!(err.provider_error().map(|e| e.kind), Some(ErrorKind::Media), "{err}");
    assert!(server.received_requests().await.unwrap_or_default().is_empty(), "nothing is uploaded");
}

#[tokio::test]
async fn location_with_negative_coordinates() {
    let (server, client) = setup().await;
    let content = OutgoingContent::Location { latitude: -33.8688, longitude: -70.6693, name: Some("Depot".into()), address: Some("1 Calle Falsa".into()) };
    let body = send_and_capture(&server, &client, &message(content)).await;
    assert_eq!(body, envelope("location", json!({"latitude": -33.8688, "longitude": -70.6693, "name": "Depot", "address": "1 Calle Falsa"})));
}

#[tokio::test]
async fn contacts_are_passed_through() {
    let (server, client) = setup().await;
    let contacts = json!([{"name": {"formatted_name": "Ada Lovelace", "first_name": "Ada"},
                           "phones": [{"phone": "+447700900456", "type": "CELL", "wa_id": "447700900456"}]}]);
    let body = send_and_capture(&server, &client, &message(OutgoingContent::Contacts { contacts: contacts.clone() })).await;
    assert_eq!(body, envelope("contacts", contacts));
}

#[tokio::test]
async fn reply_carries_the_context() {
    let (server, client) = setup().await;
    let mut msg = message(OutgoingContent::Text { body: "Yes".into(), preview_url: false });
    msg.reply_to_provider_id = Some("wamid.QUOTED".into());
    msg.wicket_id = 7;
    msg.to = "447700900123".into();
    let body = send_and_capture(&server, &client, &msg).await;
    let mut expected = envelope("text", json!({"preview_url": false, "body": "Yes"}));
    expected["context"] = json!({"message_id": "wamid.QUOTED"});
    expected["biz_opaque_callback_data"] = json!("7");
    assert_eq!(body, expected);
}

#[tokio::test]
async fn reaction_targets_the_message() {
    let (server, client) = setup().await;
    let content = OutgoingContent::Reaction { target_provider_id: "wamid.TARGET".into(), emoji: "👍".into() };
    let body = send_and_capture(&server, &client, &message(content)).await;
    assert_eq!(body, envelope("reaction", json!({"message_id": "wamid.TARGET", "emoji": "👍"})));
}

#[tokio::test]
async fn interactive_button_and_list() {
    let (server, client) = setup().await;
    let buttons = json!({"type": "button", "header": {"type": "text", "text": "Pickup"},
        "body": {"text": "Can you collect today?"}, "footer": {"text": "Camden Parcel Co"},
        "action": {"buttons": [{"type": "reply", "reply": {"id": "pickup_confirm", "title": "Yes, today"}},
                               {"type": "reply", "reply": {"id": "pickup_later", "title": "Later"}}]}});
    let body = send_and_capture(&server, &client, &message(OutgoingContent::Interactive { interactive: buttons.clone() })).await;
    assert_eq!(body, envelope("interactive", buttons));

    server.reset().await;
    let list = json!({"type": "list", "body": {"text": "Pick a slot"},
        "action": {"button": "Choose slot", "sections": [{"title": "Today",
            "rows": [{"id": "slot_1500", "title": "15:00 - 16:00", "description": "Afternoon pickup"}]}]}});
    let body = send_and_capture(&server, &client, &message(OutgoingContent::Interactive { interactive: list.clone() })).await;
    assert_eq!(body, envelope("interactive", list));
}

fn to_template(t: NewTemplate) -> Template {
    Template {
        id: 1,
        account_id: 1,
        provider_template_id: t.provider_template_id,
        name: t.name,
        language: t.language,
        status: t.status,
        category: t.category,
        parameter_format: t.parameter_format,
        components: t.components,
        synced_at: 0,
        status_reason: None,
        status_at: None,
        quality: None,
        quality_at: None,
    }
}

fn synced(name: &str) -> Template {
    let (mut list, _) = parse_templates_page(&fixture_json("meta_templates_page1.json"));
    let (more, _) = parse_templates_page(&fixture_json("meta_templates_page2.json"));
    list.extend(more);
    to_template(list.into_iter().find(|t| t.name == name).unwrap())
}

fn pos(v: &str) -> TemplateParam {
    TemplateParam::Positional(v.into())
}

fn named(n: &str, v: &str) -> TemplateParam {
    TemplateParam::Named { name: n.into(), value: v.into() }
}

fn order_ready_content() -> OutgoingContent {
    OutgoingContent::Template {
        name: "order_ready".into(),
        language: "en_US".into(),
        header_params: vec![pos("#4521")],
        body_params: vec![pos("Priya"), pos("#4521"), pos("our Camden store")],
        button_params: vec![(0, "TRACK_4521".into()), (1, "4521".into())],
    }
}

#[tokio::test]
async fn template_positional_with_header_body_and_buttons() {
    let (server, client) = setup().await;
    mount_send_ok(&server).await;
    let t = synced("order_ready");
    let receipt = client.send_with_template(&message(order_ready_content()), Some(&t)).await.unwrap();
    assert_eq!(receipt.provider_message_id, WAMID);
    let sent = requests_to(&server, &messages_path()).await;
    assert_bearer(&sent[0]);
    let body: Value = sent[0].body_json().unwrap();
    assert_eq!(
        body,
        envelope(
            "template",
            json!({"name": "order_ready", "language": {"code": "en_US"}, "components": [
                {"type": "header", "parameters": [{"type": "text", "text": "#4521"}]},
                {"type": "body", "parameters": [{"type": "text", "text": "Priya"}, {"type": "text", "text": "#4521"},
                                                 {"type": "text", "text": "our Camden store"}]},
                {"type": "button", "sub_type": "quick_reply", "index": "0", "parameters": [{"type": "payload", "payload": "TRACK_4521"}]},
                {"type": "button", "sub_type": "url", "index": "1", "parameters": [{"type": "text", "text": "4521"}]}
            ]})
        )
    );
}

#[tokio::test]
async fn template_without_the_synced_template_sends_buttons_as_url_text() {
    let (server, client) = setup().await;
    let content = OutgoingContent::Template {
        name: "login_code".into(),
        language: "en_US".into(),
        header_params: vec![],
        body_params: vec![pos("123456")],
        button_params: vec![(0, "123456".into())],
    };
    let body = send_and_capture(&server, &client, &message(content)).await;
    assert_eq!(
        body,
        envelope(
            "template",
            json!({"name": "login_code", "language": {"code": "en_US"}, "components": [
                {"type": "body", "parameters": [{"type": "text", "text": "123456"}]},
                {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "123456"}]}
            ]})
        )
    );
}

fn approved_named() -> Template {
    let mut t = synced("reservation_update");
    t.status = "APPROVED".into();
    t.components = json!([
        {"type": "HEADER", "format": "TEXT", "text": "Reserva {{code}}"},
        {"type": "BODY", "text": "Olá {{first_name}}, sua reserva para {{date}} foi alterada."},
        {"type": "FOOTER", "text": "Obrigado"},
        {"type": "BUTTONS", "buttons": [{"type": "URL", "text": "Ver", "url": "https://x.example/r/{{1}}"},
                                        {"type": "PHONE_NUMBER", "text": "Ligar", "phone_number": "+5511999999999"}]}
    ]);
    t
}

#[tokio::test]
async fn template_named_parameters() {
    let (server, client) = setup().await;
    mount_send_ok(&server).await;
    let t = approved_named();
    let content = OutgoingContent::Template {
        name: "reservation_update".into(),
        language: "pt_BR".into(),
        header_params: vec![named("code", "R-77")],
        body_params: vec![named("first_name", "João"), named("date", "12/03")],
        button_params: vec![(0, "R-77".into())],
    };
    client.send_with_template(&message(content), Some(&t)).await.unwrap();
    let body: Value = requests_to(&server, &messages_path()).await[0].body_json().unwrap();
    assert_eq!(
        body,
        envelope(
            "template",
            json!({"name": "reservation_update", "language": {"code": "pt_BR"}, "components": [
                {"type": "header", "parameters": [{"type": "text", "parameter_name": "code", "text": "R-77"}]},
                {"type": "body", "parameters": [{"type": "text", "parameter_name": "first_name", "text": "João"},
                                                 {"type": "text", "parameter_name": "date", "text": "12/03"}]},
                {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "R-77"}]}
            ]})
        )
    );
}

#[tokio::test]
async fn unapproved_or_wrong_templates_are_refused_before_sending() {
    let (server, client) = setup().await;
    mount_send_ok(&server).await;
    let rejected = synced("reservation_update");
    let content = OutgoingContent::Template {
        name: "reservation_update".into(),
        language: "pt_BR".into(),
        header_params: vec![],
        body_params: vec![named("first_name", "João"), named("date", "12/03")],
        button_params: vec![],
    };
    let err = client.send_with_template(&message(content), Some(&rejected)).await.unwrap_err();
    let pe = err.provider_error().expect("a provider error");
    assert_eq!(pe.kind, ErrorKind::Template);
    assert!(pe.message.contains("REJECTED") && pe.message.contains("only approved templates"), "{}", pe.message);

    let mut short = order_ready_content();
    if let OutgoingContent::Template { body_params, .. } = &mut short {
        body_params.pop();
    }
    let err = client.send_with_template(&message(short), Some(&synced("order_ready"))).await.unwrap_err();
    assert!(matches!(err, Error::Invalid(_)), "{err}");
    assert!(requests_to(&server, &messages_path()).await.is_empty(), "nothing was sent");
}

#[tokio::test]
async fn mark_read_body() {
    let (server, client) = setup().await;
    Mock::given(method("POST"))
        .and(path(messages_path()))
        .and(header("authorization", bearer().as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_raw(fixture("meta_mark_read_response.json"), "application/json"))
        .mount(&server)
        .await;
    client.mark_read(WAMID).await.unwrap();
    let sent = requests_to(&server, &messages_path()).await;
    assert_eq!(sent.len(), 1);
    let body: Value = sent[0].body_json().unwrap();
    assert_eq!(body, json!({"messaging_product": "whatsapp", "status": "read", "message_id": WAMID}), "no callback data on mark-read");
}

// ---------------------------------------------------------------- connection, accounts

#[tokio::test]
async fn connection_test_parses_the_phone_number() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .and(path(format!("/v23.0/{PNID}")))
        .and(query_param("fields", "display_phone_number,verified_name,quality_rating,code_verification_status,platform_type,throughput,name_status"))
        .and(header("authorization", bearer().as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_raw(fixture("meta_phone_number.json"), "application/json"))
        .mount(&server)
        .await;
    let info = client.test_connection().await.unwrap();
    assert_eq!(info.verified_name.as_deref(), Some("Camden Parcel Co"));
    assert_eq!(info.display_number.as_deref(), Some("+15550102030"), "the formatted number is normalised");
    assert_eq!(info.quality_rating.as_deref(), Some("GREEN"));
    assert_eq!(info.raw, fixture_json("meta_phone_number.json"));
}

fn account(config: Value) -> Account {
    Account {
        id: 7,
        provider: Provider::Meta,
        name: "Shop".into(),
        phone: None,
        status: AccountStatus::Ok,
        status_reason: None,
        status_since: None,
        enabled: true,
        config,
        created_at: 0,
        updated_at: 0,
        last_sync_at: None,
        last_sync_result: None,
    }
}

#[tokio::test]
async fn for_account_reads_config_and_token() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/v23.0/{PNID}")))
        .and(header("authorization", bearer().as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_raw(fixture("meta_phone_number.json"), "application/json"))
        .mount(&server)
        .await;
    let secrets = SecretStore::in_memory("test");
    let acc = account(json!({"phone_number_id": PNID, "business_account_id": WABA, "base_url": format!("{}/", server.uri()), "api_version": "v23.0"}));

    let err = MetaClient::for_account(&acc, &secrets).unwrap_err();
    assert!(matches!(err, Error::Secrets(_)), "no token stored: {err}");

    secrets.set(7, SecretName::AccessToken, &Secret::new(TOKEN.into())).unwrap();
    let client = ProviderClient::for_account(&acc, &secrets).unwrap();
    let info = client.test_connection().await.unwrap();
    assert_eq!(info.verified_name.as_deref(), Some("Camden Parcel Co"));

    let meta = MetaClient::for_account(&acc, &secrets).unwrap();
    assert_eq!(meta.base_url(), server.uri(), "trailing slash stripped");
    assert_eq!(meta.business_account_id(), Some(WABA));
    assert!(!format!("{meta:?}").contains(TOKEN), "Debug never shows the token");

    let defaults = MetaClient::for_account(&account(json!({"phone_number_id": PNID})), &secrets).unwrap();
    assert_eq!((defaults.base_url(), defaults.api_version()), ("https://graph.facebook.com", "v23.0"));
    assert!(matches!(MetaClient::for_account(&account(json!({})), &secrets), Err(Error::Invalid(_))));
}

// ---------------------------------------------------------------- templates

async fn mount_template_pages(server: &MockServer, page1_next_host: Option<&str>) {
    let tpl_path = format!("/v23.0/{WABA}/message_templates");
    let mut page1 = fixture("meta_templates_page1.json");
    if let Some(host) = page1_next_host {
        page1 = page1.replace("https://graph.facebook.com", host);
    }
    Mock::given(method("GET"))
        .and(path(tpl_path.as_str()))
        .and(query_param("after", "QVFIUjJ4X3VKNlRmZAZDZD"))
        .and(header("authorization", bearer().as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_raw(fixture("meta_templates_page2.json"), "application/json"))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(tpl_path.as_str()))
        .and(query_param("fields", "name,status,category,language,components,parameter_format"))
        .and(query_param("limit", "50"))
        .and(query_param_is_missing("after"))
        .and(header("authorization", bearer().as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_raw(page1, "application/json"))
        .mount(server)
        .await;
}

#[tokio::test]
async fn templates_follow_paging_next() {
    let (server, client) = setup().await;
    mount_template_pages(&server, Some(&server.uri())).await;
    let list = client.templates().await.unwrap();
    let names: Vec<&str> = list.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["order_ready", "spring_sale", "login_code", "reservation_update"]);
    let statuses: Vec<&str> = list.iter().map(|t| t.status.as_str()).collect();
    assert_eq!(statuses, ["APPROVED", "PENDING", "APPROVED", "REJECTED"]);
    assert_eq!(list[3].parameter_format, "NAMED");
    assert_eq!(list[0].provider_template_id.as_deref(), Some("1122334455667701"));
    let reqs = requests_to(&server, &format!("/v23.0/{WABA}/message_templates")).await;
    assert_eq!(reqs.len(), 2, "two pages, then stop at the page without next");
    assert_eq!(reqs[1].url.query_pairs().find(|(k, _)| k == "limit").map(|(_, v)| v.into_owned()).as_deref(), Some("2"), "next is followed as given");
    reqs.iter().for_each(assert_bearer);
}

#[tokio::test]
async fn a_next_link_to_another_host_is_replaced_by_the_cursor() {
    let (server, client) = setup().await;
    mount_template_pages(&server, None).await; // next still points at graph.facebook.com
    let list = client.templates().await.unwrap();
    assert_eq!(list.len(), 4, "the second page came from the fake, via the after cursor");
}

#[tokio::test]
async fn templates_need_the_business_account_id() {
    let server = MockServer::start().await;
    let client = MetaClient::new(server.uri(), "v23.0", PNID, None, Secret::new(TOKEN.into())).unwrap();
    let err = client.templates().await.unwrap_err();
    assert!(err.to_string().starts_with("set the business account id"), "{err}");
}

#[test]
fn template_parameter_counts() {
    let t = synced("order_ready");
    let need = required_params(&t);
    assert_eq!(need.header, ParamSlots::Positional(1));
    assert_eq!(need.body, ParamSlots::Positional(3));
    assert_eq!(need.buttons, vec![(1, 1)], "only the URL button takes a parameter");
    let n = required_params(&approved_named());
    assert_eq!(n.body, ParamSlots::Named(vec!["first_name".into(), "date".into()]));
    assert_eq!(n.header, ParamSlots::Named(vec!["code".into()]));
}

#[test]
fn template_parameter_checks() {
    let t = synced("order_ready");
    let body3 = [pos("Priya"), pos("#4521"), pos("our Camden store")];
    let buttons = [(1, "4521".to_string())];
    check_params(&t, &[pos("#4521")], &body3, &buttons).expect("exact parameters pass");
    check_params(&t, &[pos("#4521")], &body3, &[(0, "PAYLOAD".into()), (1, "4521".into())]).expect("a quick-reply payload is optional");

    let too_few = check_params(&t, &[pos("#4521")], &body3[..2], &buttons).unwrap_err();
    assert!(matches!(too_few, Error::Invalid(_)));
    assert!(too_few.to_string().contains("body needs 3 parameters, 2 given"), "{too_few}");
    let mut four = body3.to_vec();
    four.push(pos("extra"));
    let too_many = check_params(&t, &[pos("#4521")], &four, &buttons).unwrap_err();
    assert!(too_many.to_string().contains("body needs 3 parameters, 4 given"), "{too_many}");
    let no_header = check_params(&t, &[], &body3, &buttons).unwrap_err();
    assert!(no_header.to_string().contains("header needs 1 parameter, 0 given"), "{no_header}");
    let no_button = check_params(&t, &[pos("#4521")], &body3, &[]).unwrap_err();
    assert!(no_button.to_string().contains("URL button(s) 1 need a parameter"), "{no_button}");

    let n = approved_named();
    let missing = check_params(&n, &[named("code", "R")], &[named("first_name", "João")], &[(0, "R".into())]).unwrap_err();
    assert!(matches!(missing, Error::Invalid(_)));
    assert!(missing.to_string().contains("is missing date"), "{missing}");
    let unknown = check_params(&n, &[named("code", "R")], &[named("first_name", "J"), named("date", "d"), named("when", "x")], &[(0, "R".into())]).unwrap_err();
    assert!(unknown.to_string().contains("no parameter when"), "{unknown}");
    let phone_button =
        check_params(&n, &[named("code", "R")], &[named("first_name", "J"), named("date", "d")], &[(0, "R".into()), (1, "x".into())]).unwrap_err();
    assert!(phone_button.to_string().contains("button 1 (phone_number) takes no parameter"), "{phone_button}");

    for status in ["PENDING", "REJECTED", "PAUSED", "DISABLED", "IN_APPEAL"] {
        let mut t2 = t.clone();
        t2.status = status.into();
        let err = check_params(&t2, &[pos("#4521")], &body3, &buttons).unwrap_err();
        assert_eq!(err.provider_error().map(|e| e.kind), Some(ErrorKind::Template), "{status} cannot be sent");
        assert!(err.to_string().contains(status), "{err}");
    }
}

#[test]
fn template_preview_fills_values() {
    let t = synced("order_ready");
    let preview = render_preview(&t, &[pos("#4521")], &[pos("Priya"), pos("#4521"), pos("our Camden store")], &[(1, "4521".into())]);
    assert_eq!(
        preview,
        "Order #4521 is ready\nHi Priya, your order #4521 is ready for pickup at our Camden store.\nReply STOP to opt out\n[Track order]\n[View order] https://shop.example.com/orders/4521"
    );
    let n = approved_named();
    let preview = render_preview(&n, &[named("code", "R-77")], &[named("first_name", "João")], &[]);
    assert_eq!(
        preview, "Reserva R-77\nOlá João, sua reserva para {{date}} foi alterada.\nObrigado\n[Ver] https://x.example/r/{{1}}\n[Ligar]",
        "missing values stay visible"
    );
}

// ---------------------------------------------------------------- media download

const MEDIA_ID: &str = "1029384756102938";

async fn mount_media(server: &MockServer, bytes: &[u8], sha256: &str, file_size: Value) {
    let mut meta = fixture_json("meta_media_meta.json");
    meta["url"] = json!(format!("{}/lookaside/whatsapp_business/attachments/?mid={MEDIA_ID}", server.uri()));
    meta["sha256"] = json!(sha256);
    meta["file_size"] = file_size;
    Mock::given(method("GET"))
        .and(path(format!("/v23.0/{MEDIA_ID}")))
        .and(header("authorization", bearer().as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(meta))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/lookaside/whatsapp_business/attachments/"))
        .and(header("authorization", bearer().as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_raw(bytes.to_vec(), "image/jpeg"))
        .mount(server)
        .await;
    // Like Meta: without the Bearer header the download fails.
    Mock::given(method("GET")).and(path("/lookaside/whatsapp_business/attachments/")).respond_with(ResponseTemplate::new(401)).mount(server).await;
}

#[tokio::test]
async fn media_download_with_hash_check() {
    let (server, client) = setup().await;
    let bytes = b"\xff\xd8\xff fake jpeg bytes".to_vec();
    let good = hex::encode(Sha256::digest(&bytes));
    mount_media(&server, &bytes, &good, json!(bytes.len())).await;
    let got = client.download_media(MEDIA_ID, 1_000_000).await.unwrap();
    assert_eq!(got.bytes, bytes);
    assert_eq!(got.mime.as_deref(), Some("image/jpeg"));
    assert_eq!(got.expected_sha256.as_deref(), Some(good.as_str()));
    assert!(MetaClient::verify_sha256(&got.bytes, &good), "the promised hash matches");
    let dl = requests_to(&server, "/lookaside/whatsapp_business/attachments/").await;
    assert_eq!(dl.len(), 1);
    assert_bearer(&dl[0]);

    server.reset().await;
    let wrong = hex::encode(Sha256::digest(b"something else"));
    mount_media(&server, &bytes, &wrong, json!(bytes.len().to_string())).await;
    let got = client.download_media(MEDIA_ID, 1_000_000).await.unwrap();
    assert!(!MetaClient::verify_sha256(&got.bytes, got.expected_sha256.as_deref().unwrap()), "a mismatch is detected");
}

#[tokio::test]
async fn media_over_the_limit_is_refused() {
    let (server, client) = setup().await;
    let bytes = vec![7u8; 5000];
    let hash = hex::encode(Sha256::digest(&bytes));
    mount_media(&server, &bytes, &hash, json!("284512")).await;
    let err = client.download_media(MEDIA_ID, 1000).await.unwrap_err();
    let pe = err.provider_error().expect("provider error");
    assert_eq!(pe.kind, ErrorKind::Media);
    assert!(pe.message.contains("284512") && pe.message.contains("1000"), "{}", pe.message);
    assert!(requests_to(&server, "/lookaside/whatsapp_business/attachments/").await.is_empty(), "refused before downloading");

    // Meta under-reports the size: the download stops at the limit.
    server.reset().await;
    mount_media(&server, &bytes, &hash, json!(10)).await;
    let err = client.download_media(MEDIA_ID, 1000).await.unwrap_err();
    assert_eq!(err.provider_error().map(|e| e.kind), Some(ErrorKind::Media), "{err}");
}

#[tokio::test]
async fn expired_media_id_is_a_media_error() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .and(path(format!("/v23.0/{MEDIA_ID}")))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": {
            "message": "Unsupported get request. Object with ID '1029384756102938' does not exist",
            "type": "GraphMethodException", "code": 100, "error_subcode": 33}})))
        .mount(&server)
        .await;
    let err = client.download_media(MEDIA_ID, 1000).await.unwrap_err();
    assert_eq!(err.provider_error().map(|e| e.kind), Some(ErrorKind::Media), "{err}");
}

// ---------------------------------------------------------------- errors

async fn send_error(server: &MockServer, client: &MetaClient, resp: ResponseTemplate) -> Error {
    server.reset().await;
    Mock::given(method("POST")).and(path(messages_path())).respond_with(resp).mount(server).await;
    client.send(&message(OutgoingContent::Text { body: "hi".into(), preview_url: false })).await.unwrap_err()
}

fn graph(status: u16, body: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.to_string(), "application/json")
}

fn graph_code(code: i64, message: &str) -> String {
    json!({"error": {"message": format!("(#{code}) {message}"), "type": "OAuthException", "code": code,
                     "error_data": {"messaging_product": "whatsapp", "details": message}, "fbtrace_id": "X"}})
    .to_string()
}

#[tokio::test]
async fn graph_errors_map_to_kinds() {
    let (server, client) = setup().await;
    let cases: Vec<(ResponseTemplate, ErrorKind, Option<&str>)> = vec![
        (graph(400, &fixture("meta_error_rate_limit.json")), ErrorKind::RateLimited, Some("131056")),
        (graph(429, &fixture("meta_error_rate_limit.json")), ErrorKind::RateLimited, Some("131056")),
        (graph(400, &graph_code(130429, "Rate limit hit")), ErrorKind::RateLimited, Some("130429")),
        (graph(429, &graph_code(130429, "Rate limit hit")), ErrorKind::RateLimited, Some("130429")),
        (graph(400, &fixture("meta_error_24h_window.json")), ErrorKind::OutsideWindow, Some("131047")),
        (graph(401, &fixture("meta_error_expired_token.json")), ErrorKind::Auth, Some("190")),
        (graph(400, &graph_code(131026, "Message undeliverable")), ErrorKind::InvalidRecipient, Some("131026")),
        (graph(400, &graph_code(132001, "Template name does not exist in the translation")), ErrorKind::Template, Some("132001")),
        (graph(400, &graph_code(131053, "Media upload error")), ErrorKind::Media, Some("131053")),
        (graph(400, &graph_code(131000, "Something went wrong")), ErrorKind::Unavailable, Some("131000")),
        (ResponseTemplate::new(500).set_body_raw("<html><body>Internal Server Error</body></html>", "text/html"), ErrorKind::Unavailable, None),
        (ResponseTemplate::new(429), ErrorKind::RateLimited, None),
    ];
    for (resp, kind, code) in cases {
        let err = send_error(&server, &client, resp).await;
        assert_eq!(err.exit_code(), 4, "a provider refusal: {err}");
        let pe = err.provider_error().expect("provider error");
        assert_eq!((pe.kind, pe.code.as_deref()), (kind, code), "{}", pe.message);
    }

    let err = send_error(&server, &client, graph(400, &fixture("meta_error_rate_limit.json"))).await;
    assert_eq!(
        err.to_string(),
        "Meta rate limit (131056: pair rate limit hit): Wicket retries later. Details: Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time."
    );
    let err = send_error(&server, &client, graph(400, &fixture("meta_error_24h_window.json"))).await;
    assert!(err.to_string().starts_with("outside the 24-hour customer-service window: send an approved template"), "{err}");
    let err = send_error(&server, &client, graph(401, &fixture("meta_error_expired_token.json"))).await;
    assert!(err.to_string().starts_with("the access token expired or was revoked: enter a new token"), "{err}");
}

#[tokio::test]
async fn retry_after_is_kept() {
    let (server, client) = setup().await;
    let err = send_error(&server, &client, graph(429, &fixture("meta_error_rate_limit.json")).insert_header("retry-after", "30")).await;
    assert_eq!(err.provider_error().and_then(|e| e.retry_after), Some(30));
}

#[tokio::test]
async fn the_token_never_appears_in_errors() {
    let (server, client) = setup().await;
    let echo = json!({"error": {"message": format!("bad token {TOKEN}"), "code": 12345}}).to_string();
    let err = send_error(&server, &client, graph(400, &echo)).await;
    assert!(!err.to_string().contains(TOKEN), "{err}");
    assert!(!format!("{err:?}").contains(TOKEN), "{err:?}");
}

#[test]
fn map_graph_error_is_public_and_body_driven() {
    let pe = map_graph_error(400, fixture("meta_error_expired_token.json").as_bytes());
    assert_eq!(pe.kind, ErrorKind::Auth);
    assert_eq!(pe.code.as_deref(), Some("190"));
}

#[tokio::test]
async fn a_hung_provider_times_out_and_a_send_may_have_gone_out() {
    let (server, client) = setup().await;
    let client = client.with_timeouts(Duration::from_secs(1), Duration::from_millis(300)).unwrap();
    Mock::given(method("POST")).and(path(messages_path())).respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(10))).mount(&server).await;
    Mock::given(method("GET"))
        .and(path(format!("/v23.0/{PNID}")))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(10)))
        .mount(&server)
        .await;
    let started = Instant::now();
    let err = client.send(&message(OutgoingContent::Text { body: "hi".into(), preview_url: false })).await.unwrap_err();
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(3), "gave up after {elapsed:?}");
    let pe = err.provider_error().expect("provider error");
    // The request was written: Meta may have sent it. Never retried blindly.
    assert_eq!(pe.kind, ErrorKind::OutcomeUnknown, "{}", pe.message);
    assert!(pe.message.contains("did not answer the send within 300 ms") && pe.message.contains("may have been sent"), "{}", pe.message);
    // Any other request that times out is simply tried again later.
    let pe = client.test_connection().await.unwrap_err().provider_error().cloned().expect("provider error");
    assert_eq!(pe.kind, ErrorKind::Unavailable, "{}", pe.message);
    assert!(pe.message.contains("did not answer within 300 ms"), "{}", pe.message);
}

#[tokio::test]
async fn an_unreachable_provider_is_unavailable() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let client = MetaClient::new(format!("http://127.0.0.1:{port}"), "v23.0", PNID, None, Secret::new(TOKEN.into())).unwrap();
    let err = client.mark_read(WAMID).await.unwrap_err();
    assert_eq!(err.provider_error().map(|e| e.kind), Some(ErrorKind::Unavailable), "{err}");
}

#[tokio::test]
async fn an_error_inside_a_200_is_mapped_by_its_code() {
    // Decide on error.code, not the HTTP status.
    let (server, client) = setup().await;
    Mock::given(method("POST"))
        .and(path(messages_path()))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"error": {"message": "(#131047) Re-engagement message", "type": "OAuthException", "code": 131047, "fbtrace_id": "x"}})),
        )
        .mount(&server)
        .await;
    let err = client.send(&message(OutgoingContent::Text { body: "hi".into(), preview_url: false })).await.unwrap_err();
    let pe = err.provider_error().expect("a provider error");
    assert_eq!(pe.kind, ErrorKind::OutsideWindow, "{err}");
    assert_eq!(pe.code.as_deref(), Some("131047"));
}

#[tokio::test]
async fn template_with_an_image_header_uploads_the_file_first() {
    let (server, client) = setup().await;
    mount_upload_ok(&server).await;
    mount_send_ok(&server).await;
    let mut t = synced("order_ready");
    t.components = json!([
        {"type": "HEADER", "format": "IMAGE"},
        {"type": "BODY", "text": "Your order {{1}} has shipped"}
    ]);
    let dir = tempfile::tempdir().unwrap();
    let file = temp_file(&dir, "parcel.png", "png bytes");
    let (header, body) = wicket_core::providers::meta::templates::fit_params(&t, vec![pos(file.to_str().unwrap())], vec![pos("A=1")]);
    let content =
        OutgoingContent::Template { name: "order_ready".into(), language: "en_US".into(), header_params: header, body_params: body, button_params: vec![] };
    client.send_with_template(&message(content), Some(&t)).await.unwrap();
    check_upload(&server, "parcel.png", "image/png", "png bytes").await;
    let sent: Value = requests_to(&server, &messages_path()).await[0].body_json().unwrap();
    assert_eq!(
        sent["template"]["components"],
        json!([
            {"type": "header", "parameters": [{"type": "image", "image": {"id": UPLOADED_ID}}]},
            {"type": "body", "parameters": [{"type": "text", "text": "A=1"}]}
        ])
    );
}
