//! The UniPile client against a fake UniPile API (wiremock) over real HTTP on
//! loopback: DSN forms, account import and hosted authentication, polling
//! with cursor pages, a high-water mark and its overlap, sends (multipart,
//! into a chat or starting one, with attachments), mark-read, attachment
//! downloads, contacts, webhook registration, the mapping of problem-details
//! errors and a hung provider; then the webhook parser on fixtures, and the
//! rule that a message seen by polling and by webhook has one id.

use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use wicket_core::model::{AccountStatus, Direction, MediaState, MessageKind, MessageStatus, Origin};
use wicket_core::providers::unipile::webhook::parse_payload;
use wicket_core::providers::unipile::{normalize_dsn, UnipileClient};
use wicket_core::providers::{InboundMessage, MediaSource, OutgoingContent, OutgoingMessage, ProviderClient, ProviderEvent, StatusReport};
use wicket_core::secrets::{Secret, SecretName, SecretStore};
use wicket_core::store::contacts::ContactKey;
use wicket_core::store::media::MediaFile;
use wicket_core::store::Account;
use wicket_core::{Error, ErrorKind};
use wiremock::matchers::{body_json, header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const KEY: &str = "uNiPiLe-test-key-0123456789";
const ACCT: &str = "kX3pQ9vTRmW2aB7cD1eF0g";
const SINGLE_CHAT: &str = "Hc7RtY2uIo9pAs4dFg6hJk";
const GROUP_CHAT: &str = "Qw3eRt5yUi7oPa9sDf1gHj";
const GROUP_JID: &str = "120363041234567890@g.us";
/// 2026-01-01T12:00:00Z in Unix ms.
const NOON: i64 = 1_767_268_800_000;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/unipile/");

fn fixture(name: &str) -> String {
    let p = PathBuf::from(FIXTURES).join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("fixture {}: {e}", p.display()))
}

fn json_fixture(name: &str) -> Value {
    serde_json::from_str(&fixture(name)).unwrap()
}

fn ok_json(status: u16, name: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(fixture(name), "application/json")
}

fn ok_value(status: u16, v: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(v.to_string(), "application/json")
}

fn api(p: &str) -> String {
    format!("/api/v1{p}")
}

async fn setup() -> (MockServer, UnipileClient) {
    let server = MockServer::start().await;
    let client = UnipileClient::new(&server.uri(), Secret::new(KEY.into()), Some(ACCT.into())).unwrap();
    (server, client)
}

/// A GET answered only with the API key and `accept: application/json`.
fn get(p: &str) -> wiremock::MockBuilder {
    Mock::given(method("GET")).and(path(api(p))).and(header("x-api-key", KEY)).and(header("accept", "application/json"))
}

async fn requests_to(server: &MockServer, p: &str) -> Vec<Request> {
    server.received_requests().await.unwrap_or_default().into_iter().filter(|r| r.url.path() == p).collect()
}

fn query(r: &Request, key: &str) -> Option<String> {
    r.url.query_pairs().find(|(k, _)| k == key).map(|(_, v)| v.into_owned())
}

fn message(content: OutgoingContent, chat_id: Option<&str>) -> OutgoingMessage {
    OutgoingMessage { to: "+447700900123".into(), content, reply_to_provider_id: None, wicket_id: 42, chat_id: chat_id.map(str::to_string), to_group: false }
}

fn text(body: &str) -> OutgoingContent {
    OutgoingContent::Text { body: body.into(), preview_url: false }
}

fn provider_error(e: Error) -> wicket_core::error::ProviderError {
    match e {
        Error::Provider(pe) => pe,
        other => panic!("expected a provider error, got {other:?}"),
    }
}

/// One part of a multipart body.
#[derive(Debug)]
struct Part {
    name: String,
    file_name: Option<String>,
    content_type: Option<String>,
    data: Vec<u8>,
}

impl Part {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Splits a `multipart/form-data` request body into its parts.
fn multipart(r: &Request) -> Vec<Part> {
    let ct = r.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    assert!(ct.starts_with("multipart/form-data"), "a multipart request, got {ct:?}");
    let boundary = ct.split("boundary=").nth(1).unwrap().trim_matches('"').to_string();
    let delim = format!("--{boundary}").into_bytes();
    let mut parts = vec![];
    let mut rest: &[u8] = &r.body;
    while let Some(start) = find(rest, &delim) {
        rest = &rest[start + delim.len()..];
        if rest.starts_with(b"--") {
            break;
        }
        let rest_body = rest.strip_prefix(b"\r\n").unwrap_or(rest);
        let end = find(rest_body, &delim).unwrap_or(rest_body.len());
        let chunk = &rest_body[..end];
        let head_end = find(chunk, b"\r\n\r\n").unwrap();
        let head = String::from_utf8_lossy(&chunk[..head_end]).into_owned();
        let mut data = chunk[head_end + 4..].to_vec();
        if data.ends_with(b"\r\n") {
            data.truncate(data.len() - 2);
        }
        let attr = |k: &str| {
            let marker = format!("{k}=\"");
            head.find(&marker).map(|i| head[i + marker.len()..].split('"').next().unwrap_or_default().to_string())
        };
        let content_type = head.lines().find(|l| l.to_ascii_lowercase().starts_with("content-type:")).map(|l| l.split_once(':').unwrap().1.trim().to_string());
        parts.push(Part { name: attr("name").unwrap_or_default(), file_name: attr("filename"), content_type, data });
        rest = &rest_body[end..];
    }
    parts
}

fn field(parts: &[Part], name: &str) -> Option<String> {
    parts.iter().find(|p| p.name == name).map(Part::text)
}

fn messages(events: &[ProviderEvent]) -> Vec<&InboundMessage> {
    events
        .iter()
        .filter_map(|e| match e {
            ProviderEvent::Message(m) if m.kind != MessageKind::Reaction => Some(m),
            _ => None,
        })
        .collect()
}

fn reactions(events: &[ProviderEvent]) -> Vec<&InboundMessage> {
    events
        .iter()
        .filter_map(|e| match e {
            ProviderEvent::Message(m) if m.kind == MessageKind::Reaction => Some(m),
            _ => None,
        })
        .collect()
}

fn statuses(events: &[ProviderEvent]) -> Vec<&StatusReport> {
    events
        .iter()
        .filter_map(|e| match e {
            ProviderEvent::Status(s) => Some(s),
            _ => None,
        })
        .collect()
}

fn by_id<'a>(events: &'a [ProviderEvent], id: &str) -> &'a InboundMessage {
    messages(events).into_iter().find(|m| m.provider_message_id == id).unwrap_or_else(|| panic!("no message {id}"))
}

// ---------------------------------------------------------------- setup

#[test]
fn dsn_forms_become_the_api_base() {
    for form in ["api8.unipile.com:13851", "https://api8.unipile.com:13851", "https://api8.unipile.com:13851/", "api8.unipile.com:13851/api/v1/"] {
        assert_eq!(normalize_dsn(form).unwrap(), "https://api8.unipile.com:13851/api/v1", "{form:?}");
    }
    assert_eq!(normalize_dsn("http://127.0.0.1:9/api/v1").unwrap(), "http://127.0.0.1:9/api/v1", "http is kept for loopback fakes");
    let err = normalize_dsn("api8.unipile.com:13851/somewhere").unwrap_err();
    assert!(matches!(err, Error::Invalid(_)), "{err:?}");
}

#[test]
fn for_account_reads_the_config_and_the_api_key() {
    let secrets = SecretStore::in_memory("test");
    // Built from JSON so that fields added to Account later keep their defaults.
    let mut account: Account = serde_json::from_value(json!({
        "id": 7, "provider": "unipile", "name": "Camden", "phone": null, "status": "ok", "status_reason": null,
        "status_since": null, "enabled": true, "created_at": 0, "updated_at": 0,
        "config": {"dsn": "api8.unipile.com:13851", "unipile_account_id": ACCT}
    }))
    .unwrap();
    assert!(UnipileClient::for_account(&account, &secrets).is_err(), "no API key stored yet");
    secrets.set(7, SecretName::ApiKey, &Secret::new(KEY.into())).unwrap();
    let c = UnipileClient::for_account(&account, &secrets).unwrap();
    assert_eq!(c.base_url(), "https://api8.unipile.com:13851/api/v1");
    assert_eq!(c.account_id(), Some(ACCT));
    assert!(!format!("{c:?}").contains(KEY), "Debug never shows the key");
    assert!(matches!(ProviderClient::for_account(&account, &secrets), Ok(ProviderClient::Unipile(_))));
    account.config = json!({"dsn": "api8.unipile.com:13851"});
    let err = UnipileClient::for_account(&account, &secrets).unwrap_err();
    assert!(err.to_string().contains("unipile_account_id"), "{err}");
    account.config = json!({"unipile_account_id": ACCT});
    assert!(UnipileClient::for_account(&account, &secrets).unwrap_err().to_string().contains("DSN"));
}

#[tokio::test]
async fn accounts_are_listed_across_cursor_pages() {
    let (server, client) = setup().await;
    get("/accounts").and(query_param_is_missing("cursor")).respond_with(ok_json(200, "unipile_accounts_page1.json")).mount(&server).await;
    get("/accounts").and(query_param("cursor", "YWNjb3VudHMtcGFnZS0y")).respond_with(ok_json(200, "unipile_accounts_page2.json")).mount(&server).await;
    let all = client.list_accounts().await.unwrap();
    assert_eq!(all.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), ["kX3pQ9vTRmW2aB7cD1eF0g", "Li9nKeDiNaCcOuNt000001", "Zz9yX8wV7uT6sR5qP4oN3m"]);
    let wa: Vec<_> = all.iter().filter(|a| a.is_whatsapp()).collect();
    assert_eq!(wa.len(), 2, "the LinkedIn account is not a WhatsApp account");
    assert_eq!(wa[0].phone.as_deref(), Some("+15550102030"), "phone from connection_params.im.phone_number");
    assert_eq!(wa[0].status.as_deref(), Some("OK"), "status from sources[0].status");
    assert_eq!(wa[0].created_at.as_deref(), Some("2026-01-01T09:30:00.000Z"));
    assert_eq!(wa[0].raw, json_fixture("unipile_accounts_page1.json")["items"][0], "the raw object is kept");
    assert_eq!(wa[1].phone.as_deref(), Some("+15550104050"), "phone falls back to the digits of the name");
    assert_eq!(wa[1].status.as_deref(), Some("CREDENTIALS"));
    assert_eq!(wa[1].account_status().0, AccountStatus::NeedsToken, "CREDENTIALS: re-authenticate");
    assert!(wa[1].account_status().1.unwrap().contains("needs re-authentication"));
    assert_eq!(wa[1].groups, json!(["team-returns"]));
    let reqs = requests_to(&server, &api("/accounts")).await;
    assert_eq!(reqs.len(), 2, "two pages");
    assert_eq!(query(&reqs[1], "cursor").as_deref(), Some("YWNjb3VudHMtcGFnZS0y"));
}

#[tokio::test]
async fn hosted_auth_link_request() {
    let (server, client) = setup().await;
    Mock::given(method("POST"))
        .and(path(api("/hosted/accounts/link")))
        .and(header("x-api-key", KEY))
        .and(header("content-type", "application/json"))
        .respond_with(ok_json(201, "unipile_hosted_link_response.json"))
        .mount(&server)
        .await;
    let before = chrono::Utc::now();
    let url = client.hosted_auth_link(None, Duration::from_secs(3600)).await.unwrap();
    assert_eq!(url, "https://account.unipile.com/pqRsTuVwXyZ0123456789abcd");
    let url2 = client.hosted_auth_link(Some("Zz9yX8wV7uT6sR5qP4oN3m"), Duration::from_secs(600)).await.unwrap();
    assert_eq!(url, url2);
    let reqs = requests_to(&server, &api("/hosted/accounts/link")).await;
    let body: Value = reqs[0].body_json().unwrap();
    assert_eq!(body["type"], "create");
    assert_eq!(body["providers"], json!(["WHATSAPP"]));
    assert_eq!(body["api_url"], json!(server.uri()), "api_url is the DSN without /api/v1");
    assert_eq!(body["name"], "wicket");
    assert!(body.get("reconnect_account").is_none());
    let expires = body["expiresOn"].as_str().unwrap();
    assert_eq!(expires.len(), 24, "YYYY-MM-DDTHH:MM:SS.sssZ: {expires}");
    assert!(expires.ends_with('Z') && expires.as_bytes()[19] == b'.', "{expires}");
    let at = chrono::DateTime::parse_from_rfc3339(expires).unwrap();
    let delta = (at.with_timezone(&chrono::Utc) - before).num_seconds();
    assert!((3595..=3605).contains(&delta), "expires in about an hour: {delta}");
    let body2: Value = reqs[1].body_json().unwrap();
    assert_eq!(body2["type"], "reconnect");
    assert_eq!(body2["reconnect_account"], "Zz9yX8wV7uT6sR5qP4oN3m");
}

fn account_list(items: Vec<Value>) -> Value {
    json!({"object": "AccountList", "items": items, "cursor": null})
}

fn wa_account(id: &str, status: &str) -> Value {
    json!({"object": "Account", "type": "WHATSAPP", "id": id, "name": "New shop", "created_at": "2026-01-05T10:00:00.000Z",
           "connection_params": {"im": {"phone_number": "+447700900999"}}, "sources": [{"id": format!("{id}_MESSAGING"), "status": status}], "groups": []})
}

#[tokio::test]
async fn wait_for_new_account_detects_it_after_a_few_polls() {
    let (server, client) = setup().await;
    let known = json_fixture("unipile_account.json");
    get("/accounts").respond_with(ok_value(200, account_list(vec![known.clone()]))).up_to_n_times(2).with_priority(1).mount(&server).await;
    get("/accounts")
        .respond_with(ok_value(200, account_list(vec![known.clone(), wa_account("NeWaCcOuNt", "CONNECTING")])))
        .up_to_n_times(1)
        .with_priority(2)
        .mount(&server)
        .await;
    get("/accounts").respond_with(ok_value(200, account_list(vec![known, wa_account("NeWaCcOuNt", "OK")]))).with_priority(3).mount(&server).await;
    let a = client.wait_for_new_account(&[ACCT.to_string()], Duration::from_secs(5), Duration::from_millis(20)).await.unwrap();
    assert_eq!(a.id, "NeWaCcOuNt");
    assert_eq!(a.phone.as_deref(), Some("+447700900999"));
    assert_eq!(requests_to(&server, &api("/accounts")).await.len(), 4, "polled until the account was OK");
}

#[tokio::test]
async fn wait_for_new_account_reports_credentials_and_timeouts() {
    let (server, client) = setup().await;
    get("/accounts")
        .respond_with(ok_value(200, account_list(vec![json_fixture("unipile_account.json"), wa_account("BaDaCcOuNt", "CREDENTIALS")])))
        .mount(&server)
        .await;
    let err = client.wait_for_new_account(&[ACCT.to_string()], Duration::from_secs(5), Duration::from_millis(20)).await.unwrap_err();
    let pe = provider_error(err);
    assert_eq!(pe.kind, ErrorKind::SessionDisconnected);
    assert!(pe.message.contains("CREDENTIALS") && pe.message.contains("BaDaCcOuNt"), "{}", pe.message);

    let (server, client) = setup().await;
    get("/accounts").respond_with(ok_value(200, account_list(vec![wa_account("SlOwAcCoUnT", "CONNECTING")]))).mount(&server).await;
    let started = Instant::now();
    let err = client.wait_for_new_account(&[], Duration::from_millis(150), Duration::from_millis(30)).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(matches!(&err, Error::NotFound(m) if m.contains("still connecting") && m.contains("Linked devices")), "{err:?}");
}

#[tokio::test]
async fn test_connection_and_account_state() {
    let (server, client) = setup().await;
    get(&format!("/accounts/{ACCT}")).respond_with(ok_json(200, "unipile_account.json")).mount(&server).await;
    let info = client.test_connection().await.unwrap();
    assert_eq!(info.verified_name.as_deref(), Some("Camden Parcel Co"));
    assert_eq!(info.display_number.as_deref(), Some("+15550102030"));
    assert_eq!(info.quality_rating, None);
    assert_eq!(client.account_state().await.unwrap(), (AccountStatus::Ok, None));

    let (server, client) = setup().await;
    let mut connecting = json_fixture("unipile_account.json");
    connecting["sources"][0]["status"] = json!("CONNECTING");
    get(&format!("/accounts/{ACCT}")).respond_with(ok_value(200, connecting)).mount(&server).await;
    assert_eq!(client.account_state().await.unwrap().0, AccountStatus::Retrying);
}

// ---------------------------------------------------------------- polling

async fn mount_chats(server: &MockServer) {
    get(&format!("/chats/{SINGLE_CHAT}")).respond_with(ok_json(200, "unipile_chat_single.json")).mount(server).await;
    get(&format!("/chats/{GROUP_CHAT}")).respond_with(ok_json(200, "unipile_chat_group.json")).mount(server).await;
    get(&format!("/chats/{GROUP_CHAT}/attendees")).respond_with(ok_json(200, "unipile_chat_group_attendees.json")).mount(server).await;
}

#[tokio::test]
async fn poll_follows_cursor_pages_and_maps_every_message() {
    let (server, client) = setup().await;
    mount_chats(&server).await;
    get("/messages")
        .and(query_param("account_id", ACCT))
        .and(query_param("limit", "100"))
        .and(query_param_is_missing("after"))
        .and(query_param_is_missing("cursor"))
        .respond_with(ok_json(200, "unipile_messages_group_page.json"))
        .mount(&server)
        .await;
    get("/messages")
        .and(query_param("account_id", ACCT))
        .and(query_param_is_missing("after"))
        .and(query_param("cursor", "bWVzc2FnZXMtcGFnZS0y"))
        .respond_with(ok_json(200, "unipile_messages.json"))
        .mount(&server)
        .await;
    let page = ProviderClient::Unipile(client.clone()).poll(None).await.unwrap();
    assert_eq!(page.high_water, Some(NOON + 4 * 60_000), "the newest timestamp seen (12:04:00)");
    let ev = &page.events;

    let ids: Vec<&str> = messages(ev).iter().map(|m| m.provider_message_id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "mSgZ9Y8X7W6V5U4T3S2R1Q",
            "mSg0ZyXwVuTsRqPoNmLkJi",
            "mSg1AbCdEfGhIjKlMnOpQr",
            "mSgG1TeXtAbCdEfGhIjKlM",
            "mSgG2EdItEdAbCdEfGhIjK",
            "mSgG3VoIcEaBcDeFgHiJkL",
            "mSgG4DeLeTeDaBcDeFgHiJ"
        ],
        "sorted by time across both pages, group events skipped"
    );

    // A customer message in a 1:1 chat, keyed by the phone of the chat's JID.
    let first = by_id(ev, "mSgZ9Y8X7W6V5U4T3S2R1Q");
    assert_eq!((first.direction, first.origin), (Direction::In, None));
    assert_eq!(first.chat, ContactKey::phone("+447700900123"));
    assert_eq!(first.chat_update.profile_name.as_deref(), Some("Priya Raman"), "the chat's name");
    assert_eq!(first.chat_update.wa_id.as_deref(), Some("447700900123"));
    assert_eq!(first.chat_update.jid.as_deref(), Some("447700900123@s.whatsapp.net"));
    assert_eq!(first.provider_chat_id.as_deref(), Some(SINGLE_CHAT));
    assert_eq!(first.text.as_deref(), Some("Hi! Is my order #4521 ready for pickup?"));
    assert_eq!(first.timestamp, NOON - 6 * 60_000 - 41_000);
    assert!(first.sender_id.is_none(), "no sender on 1:1 messages");

    // An image with what the attachment endpoint needs.
    let image = by_id(ev, "mSg0ZyXwVuTsRqPoNmLkJi");
    assert_eq!(image.kind, MessageKind::Image);
    assert_eq!(image.caption.as_deref(), Some("This is the damaged box"));
    assert!(image.text.is_none());
    let media = image.media.as_ref().unwrap();
    assert_eq!(media.fetch_info, Some(json!({"message_id": "mSg0ZyXwVuTsRqPoNmLkJi", "attachment_id": "att_3EB0F9E8D7C6B5A49382_0"})));
    assert_eq!((media.mime.as_deref(), media.size), (Some("image/jpeg"), Some(284512)));

    // The owner's reply from the phone: outgoing, origin phone, quoting the customer.
    let reply = by_id(ev, "mSg1AbCdEfGhIjKlMnOpQr");
    assert_eq!((reply.direction, reply.origin), (Direction::Out, Some(Origin::Phone)), "is_sender = 1 is never a customer message");
    assert_eq!(reply.chat, ContactKey::phone("+447700900123"));
    assert_eq!(reply.reply_to_provider_id.as_deref(), Some("mSgZ9Y8X7W6V5U4T3S2R1Q"), "quoted.provider_id resolved to UniPile's id of the quoted message");
    let st = statuses(ev);
    let read = st.iter().find(|s| s.provider_message_id == "mSg1AbCdEfGhIjKlMnOpQr").unwrap();
    assert_eq!(read.status, MessageStatus::Read, "seen = 1 on our message");
    assert_eq!(read.timestamp, NOON + 60_000, "read at the time of seen_by");
    let delivered = st.iter().find(|s| s.provider_message_id == "mSgG1TeXtAbCdEfGhIjKlM").unwrap();
    assert_eq!(delivered.status, MessageStatus::Delivered);
    assert_eq!(st.len(), 2, "statuses only for our own messages");

    // Group messages: the group is the conversation, senders are named.
    let own_group = by_id(ev, "mSgG1TeXtAbCdEfGhIjKlM");
    assert_eq!(own_group.chat, ContactKey::user_id(GROUP_JID));
    assert_eq!(own_group.chat_update.is_group, Some(true));
    assert_eq!(own_group.chat_update.profile_name.as_deref(), Some("Pickup drivers"));
    assert_eq!((own_group.direction, own_group.origin), (Direction::Out, Some(Origin::Phone)));
    let edited = by_id(ev, "mSgG2EdItEdAbCdEfGhIjK");
    assert_eq!(edited.sender_id.as_deref(), Some("+447700900456"));
    assert_eq!(edited.sender_name.as_deref(), Some("Dev (driver)"), "names from the group's attendees");
    assert!(ev.contains(&ProviderEvent::MessageEdited {
        provider_message_id: "mSgG2EdItEdAbCdEfGhIjK".into(),
        text: Some("I can do 15:30 instead".into()),
        timestamp: NOON + 2 * 60_000
    }));
    let voice = by_id(ev, "mSgG3VoIcEaBcDeFgHiJkL");
    assert_eq!(voice.kind, MessageKind::Voice);
    assert_eq!(voice.sender_id.as_deref(), Some("+447700900456"), "the device suffix is dropped");
    assert_eq!(voice.reply_to_provider_id.as_deref(), Some("mSgG1TeXtAbCdEfGhIjKlM"), "quoted.id");
    assert_eq!(voice.media.as_ref().unwrap().fetch_info.as_ref().unwrap()["attachment_id"], "att_3EB0A0D10000000000003_0");
    let deleted = by_id(ev, "mSgG4DeLeTeDaBcDeFgHiJ");
    assert_eq!(deleted.sender_id.as_deref(), Some("98765432101234@lid"), "a LID stays opaque");
    assert_eq!(deleted.sender_name.as_deref(), Some("Sam"));
    assert!(ev.contains(&ProviderEvent::MessageDeleted { provider_message_id: "mSgG4DeLeTeDaBcDeFgHiJ".into(), timestamp: NOON + 4 * 60_000 }));

    // Reactions: the owner's thumbs-up and a group member's.
    let r = reactions(ev);
    assert_eq!(r.len(), 2);
    let mine = r.iter().find(|m| m.direction == Direction::Out).unwrap();
    assert_eq!(mine.reaction, Some(("mSgZ9Y8X7W6V5U4T3S2R1Q".into(), "👍".into())));
    assert_eq!(mine.origin, Some(Origin::Phone));
    let theirs = r.iter().find(|m| m.direction == Direction::In).unwrap();
    assert_eq!(theirs.reaction, Some(("mSgG2EdItEdAbCdEfGhIjK".into(), "🙏".into())));
    assert_eq!(theirs.sender_id.as_deref(), Some("98765432101234@lid"));
}

#[tokio::test]
async fn second_poll_sends_after_with_overlap_and_yields_the_same_ids() {
    let (server, client) = setup().await;
    mount_chats(&server).await;
    get("/messages")
        .and(query_param_is_missing("after"))
        .and(query_param_is_missing("cursor"))
        .respond_with(ok_json(200, "unipile_messages_group_page.json"))
        .mount(&server)
        .await;
    get("/messages")
        .and(query_param_is_missing("after"))
        .and(query_param("cursor", "bWVzc2FnZXMtcGFnZS0y"))
        .respond_with(ok_json(200, "unipile_messages.json"))
        .mount(&server)
        .await;
    // After the overlap: the two newest group messages again (UniPile's bound is exclusive, ours is 60 s early).
    let mut overlap = json_fixture("unipile_messages_group_page.json");
    overlap["items"] = json!([overlap["items"][0].clone(), overlap["items"][1].clone()]);
    overlap["cursor"] = Value::Null;
    get("/messages")
        .and(query_param("after", "2026-01-01T12:03:00.000Z"))
        .and(query_param_is_missing("cursor"))
        .respond_with(ok_value(200, overlap))
        .mount(&server)
        .await;

    let first = client.poll(None).await.unwrap();
    let hw = first.high_water.unwrap();
    let second = client.poll(Some(hw)).await.unwrap();
    assert_eq!(second.high_water, Some(hw), "nothing newer: the mark stays");
    let again: Vec<&InboundMessage> = messages(&second.events);
    assert_eq!(again.len(), 2, "the overlap is fetched again");
    for m in again {
        let before = by_id(&first.events, &m.provider_message_id);
        assert_eq!(m, before, "the same message, with the same id, so the store keeps it once");
    }
    let reqs = requests_to(&server, &api("/messages")).await;
    assert_eq!(reqs.len(), 3);
    assert_eq!(query(&reqs[2], "after").as_deref(), Some("2026-01-01T12:03:00.000Z"), "high-water minus 60 s, ISO with ms");
    assert_eq!(requests_to(&server, &api(&format!("/chats/{GROUP_CHAT}"))).await.len(), 1, "chat lookups are cached");
    assert_eq!(requests_to(&server, &api(&format!("/chats/{SINGLE_CHAT}"))).await.len(), 1);

    // A third poll with nothing new keeps the mark.
    let (server, client) = setup().await;
    get("/messages").respond_with(ok_value(200, json!({"object": "MessageList", "items": [], "cursor": null}))).mount(&server).await;
    assert_eq!(client.poll(Some(hw)).await.unwrap().high_water, Some(hw));
    assert_eq!(client.poll(None).await.unwrap().high_water, None);
}

fn simple_message(id: &str, minute: i64) -> Value {
    json!({"object": "Message", "id": id, "account_id": ACCT, "chat_id": SINGLE_CHAT, "chat_provider_id": "447700900123@s.whatsapp.net",
           "provider_id": format!("WA{id}"), "sender_id": "447700900123@s.whatsapp.net", "text": format!("message {id}"),
           "attachments": [], "timestamp": wicket_core::time::to_rfc3339(NOON + minute * 60_000), "is_sender": 0,
           "reactions": [], "seen": 0, "hidden": 0, "deleted": 0, "edited": 0, "is_event": 0, "delivered": 1})
}

#[tokio::test]
async fn a_long_backlog_continues_on_the_next_poll_without_gaps() {
    let (server, client) = setup().await;
    let client = client.with_poll_limits(2, 2);
    mount_chats(&server).await;
    let page = |items: Vec<Value>, cursor: Option<&str>| ok_value(200, json!({"object": "MessageList", "items": items, "cursor": cursor}));
    let after = wicket_core::time::to_rfc3339(NOON - 60_000);
    let after = format!("{}.000Z", after.trim_end_matches('Z'));
    // Newest first, three pages of two.
    get("/messages")
        .and(query_param("after", after.as_str()))
        .and(query_param_is_missing("cursor"))
        .respond_with(page(vec![simple_message("m6", 6), simple_message("m5", 5)], Some("p2")))
        .mount(&server)
        .await;
    get("/messages")
        .and(query_param("after", after.as_str()))
        .and(query_param("cursor", "p2"))
        .respond_with(page(vec![simple_message("m4", 4), simple_message("m3", 3)], Some("p3")))
        .mount(&server)
        .await;
    get("/messages")
        .and(query_param("after", after.as_str()))
        .and(query_param("cursor", "p3"))
        .respond_with(page(vec![simple_message("m2", 2), simple_message("m1", 1)], None))
        .mount(&server)
        .await;

    let first = client.poll(Some(NOON)).await.unwrap();
    let ids = |p: &wicket_core::providers::PollPage| messages(&p.events).iter().map(|m| m.provider_message_id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&first), ["m3", "m4", "m5", "m6"]);
    assert_eq!(first.high_water, Some(NOON), "older messages are left: the mark does not move yet");
    let second = client.poll(first.high_water).await.unwrap();
    assert_eq!(ids(&second), ["m1", "m2"], "the next poll goes on where the first stopped");
    assert_eq!(second.high_water, Some(NOON + 6 * 60_000), "then the mark moves to the newest seen");
}

// ---------------------------------------------------------------- sending

async fn mount_send_in_chat(server: &MockServer, chat: &str) {
    Mock::given(method("POST"))
        .and(path(api(&format!("/chats/{chat}/messages"))))
        .and(header("x-api-key", KEY))
        .respond_with(ok_json(201, "unipile_message_sent_response.json"))
        .mount(server)
        .await;
}

#[tokio::test]
async fn send_into_a_chat_is_multipart_with_a_quote() {
    let (server, client) = setup().await;
    mount_send_in_chat(&server, SINGLE_CHAT).await;
    let mut msg = message(text("Your order is ready."), Some(SINGLE_CHAT));
    msg.reply_to_provider_id = Some("mSgZ9Y8X7W6V5U4T3S2R1Q".into());
    let receipt = client.send(&msg).await.unwrap();
    assert_eq!(receipt.provider_message_id, "mSg2NeWmEsSaGeIdAbCdEf", "the UniPile message id, the same id polling reports");
    assert_eq!(receipt.chat_id, None, "no new chat");
    let reqs = requests_to(&server, &api(&format!("/chats/{SINGLE_CHAT}/messages"))).await;
    assert_eq!(reqs.len(), 1);
    let parts = multipart(&reqs[0]);
    assert_eq!(field(&parts, "text").as_deref(), Some("Your order is ready."));
    assert_eq!(field(&parts, "quote_id").as_deref(), Some("mSgZ9Y8X7W6V5U4T3S2R1Q"));
    assert!(field(&parts, "attendees_ids").is_none());
    assert!(parts.iter().all(|p| p.file_name.is_none()), "no attachment");
}

#[tokio::test]
async fn send_without_a_chat_starts_one() {
    let (server, client) = setup().await;
    Mock::given(method("POST"))
        .and(path(api("/chats")))
        .and(header("x-api-key", KEY))
        .respond_with(ok_json(201, "unipile_chat_started_response.json"))
        .mount(&server)
        .await;
    let receipt = client.send(&message(text("Hello from Camden Parcel Co"), None)).await.unwrap();
    assert_eq!(receipt.provider_message_id, "mSg3FiRsTmEsSaGeAbCdEf");
    assert_eq!(receipt.chat_id.as_deref(), Some("Nw8ChAtIdXyZ1234567890"), "the new chat id for the conversation");
    let reqs = requests_to(&server, &api("/chats")).await;
    let parts = multipart(&reqs[0]);
    assert_eq!(field(&parts, "account_id").as_deref(), Some(ACCT));
    assert_eq!(field(&parts, "attendees_ids").as_deref(), Some("447700900123@s.whatsapp.net"), "digits@s.whatsapp.net");
    assert_eq!(field(&parts, "text").as_deref(), Some("Hello from Camden Parcel Co"));

    // A JID is passed as given.
    let mut to_lid = message(text("hi"), None);
    to_lid.to = "98765432101234@lid".into();
    client.send(&to_lid).await.unwrap();
    let reqs = requests_to(&server, &api("/chats")).await;
    assert_eq!(field(&multipart(&reqs[1]), "attendees_ids").as_deref(), Some("98765432101234@lid"));
}

#[tokio::test]
async fn attachments_are_uploaded_from_a_path_or_a_link() {
    let (server, client) = setup().await;
    mount_send_in_chat(&server, SINGLE_CHAT).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("label.pdf");
    std::fs::write(&file, b"%PDF-1.4 fake label").unwrap();
    let content =
        OutgoingContent::Media { kind: MessageKind::Document, source: MediaSource::Path(file), caption: Some("Your label".into()), filename: None, mime: None };
    client.send(&message(content, Some(SINGLE_CHAT))).await.unwrap();
    // A link is fetched by Wicket (without the API key) and attached.
    Mock::given(method("GET"))
        .and(path("/files/photo.jpg"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(b"\xFF\xD8\xFFjpeg".to_vec(), "image/jpeg"))
        .mount(&server)
        .await;
    let linked = OutgoingContent::Media {
        kind: MessageKind::Image,
        source: MediaSource::Link(format!("{}/files/photo.jpg", server.uri())),
        caption: None,
        filename: None,
        mime: None,
    };
    client.send(&message(linked, Some(SINGLE_CHAT))).await.unwrap();

    let reqs = requests_to(&server, &api(&format!("/chats/{SINGLE_CHAT}/messages"))).await;
    let parts = multipart(&reqs[0]);
    assert_eq!(field(&parts, "text").as_deref(), Some("Your label"), "the caption is the text");
    let att = parts.iter().find(|p| p.name == "attachments").unwrap();
    assert_eq!(att.file_name.as_deref(), Some("label.pdf"));
    assert_eq!(att.content_type.as_deref(), Some("application/pdf"));
    assert_eq!(att.data, b"%PDF-1.4 fake label");
    let parts = multipart(&reqs[1]);
    let att = parts.iter().find(|p| p.name == "attachments").unwrap();
    assert_eq!((att.file_name.as_deref(), att.content_type.as_deref()), (Some("photo.jpg"), Some("image/jpeg")));
    assert_eq!(att.data, b"\xFF\xD8\xFFjpeg");
    let fetched = requests_to(&server, "/files/photo.jpg").await;
    assert!(fetched[0].headers.get("x-api-key").is_none(), "the API key never goes to a media link");
}

#[tokio::test]
async fn what_unipile_cannot_send_is_refused_or_sent_as_text() {
    let (server, client) = setup().await;
    mount_send_in_chat(&server, SINGLE_CHAT).await;
    for content in [
        OutgoingContent::Template { name: "order_ready".into(), language: "en_US".into(), header_params: vec![], body_params: vec![], button_params: vec![] },
        OutgoingContent::Interactive { interactive: json!({"type": "button"}) },
        OutgoingContent::Reaction { target_provider_id: "mSg1".into(), emoji: "👍".into() },
        text("   "),
    ] {
        let err = client.send(&message(content.clone(), Some(SINGLE_CHAT))).await.unwrap_err();
        assert!(matches!(err, Error::Invalid(_)), "{content:?}: {err:?}");
    }
    assert!(requests_to(&server, &api(&format!("/chats/{SINGLE_CHAT}/messages"))).await.is_empty(), "nothing was sent");
    let loc = OutgoingContent::Location { latitude: 51.5416, longitude: -0.1431, name: Some("Camden store".into()), address: None };
    client.send(&message(loc, Some(SINGLE_CHAT))).await.unwrap();
    let reqs = requests_to(&server, &api(&format!("/chats/{SINGLE_CHAT}/messages"))).await;
    assert_eq!(field(&multipart(&reqs[0]), "text").as_deref(), Some("Camden store\nhttps://maps.google.com/?q=51.5416,-0.1431"));
}

#[tokio::test]
async fn mark_read_patches_the_chat_of_the_message() {
    let (server, client) = setup().await;
    get("/messages/mSg0ZyXwVuTsRqPoNmLkJi").respond_with(ok_json(200, "unipile_message_single.json")).mount(&server).await;
    Mock::given(method("PATCH"))
        .and(path(api(&format!("/chats/{SINGLE_CHAT}"))))
        .and(header("x-api-key", KEY))
        .and(body_json(json!({"action": "setReadStatus", "value": true})))
        .respond_with(ok_value(200, json!({"object": "ChatPatched"})))
        .expect(1)
        .mount(&server)
        .await;
    ProviderClient::Unipile(client).mark_read("mSg0ZyXwVuTsRqPoNmLkJi", None).await.unwrap();
}

fn media_file(size: Option<i64>, fetch_info: Option<Value>) -> MediaFile {
    MediaFile {
        id: 3,
        account_id: 1,
        provider_media_id: None,
        url: None,
        path: None,
        file_name: None,
        mime: None,
        size,
        sha256: None,
        state: MediaState::Pending,
        error: None,
        attempts: 0,
        fetch_info,
    }
}

#[tokio::test]
async fn attachments_download_with_a_size_limit() {
    let (server, client) = setup().await;
    let bytes = vec![7u8; 4096];
    Mock::given(method("GET"))
        .and(path(api("/messages/mSg0ZyXwVuTsRqPoNmLkJi/attachments/att_3EB0F9E8D7C6B5A49382_0")))
        .and(header("x-api-key", KEY))
        .respond_with(ResponseTemplate::new(200).set_body_raw(bytes.clone(), "image/jpeg"))
        .mount(&server)
        .await;
    let info = json!({"message_id": "mSg0ZyXwVuTsRqPoNmLkJi", "attachment_id": "att_3EB0F9E8D7C6B5A49382_0"});
    let got = client.download_media(&media_file(None, Some(info.clone())), 10_000).await.unwrap();
    assert_eq!(got.bytes, bytes);
    assert_eq!(got.mime.as_deref(), Some("image/jpeg"));
    assert_eq!(got.expected_sha256, None, "UniPile gives no hash");
    let pe = provider_error(client.download_media(&media_file(None, Some(info.clone())), 1000).await.unwrap_err());
    assert_eq!(pe.kind, ErrorKind::Media, "over the limit: {}", pe.message);
    let calls = requests_to(&server, &api("/messages/mSg0ZyXwVuTsRqPoNmLkJi/attachments/att_3EB0F9E8D7C6B5A49382_0")).await.len();
    let pe = provider_error(client.download_media(&media_file(Some(50_000), Some(info)), 1000).await.unwrap_err());
    assert_eq!(pe.kind, ErrorKind::Media);
    assert_eq!(
        requests_to(&server, &api("/messages/mSg0ZyXwVuTsRqPoNmLkJi/attachments/att_3EB0F9E8D7C6B5A49382_0")).await.len(),
        calls,
        "a known size over the limit is not even requested"
    );
    assert!(matches!(client.download_media(&media_file(None, None), 1000).await, Err(Error::Invalid(_))));
}

#[tokio::test]
async fn contacts_across_pages() {
    let (server, client) = setup().await;
    get("/chat_attendees")
        .and(query_param("account_id", ACCT))
        .and(query_param_is_missing("cursor"))
        .respond_with(ok_json(200, "unipile_attendees_page1.json"))
        .mount(&server)
        .await;
    get("/chat_attendees")
        .and(query_param("account_id", ACCT))
        .and(query_param("cursor", "YXR0ZW5kZWVzLXBhZ2UtMg"))
        .respond_with(ok_json(200, "unipile_attendees_page2.json"))
        .mount(&server)
        .await;
    let contacts = ProviderClient::Unipile(client).contacts().await.unwrap();
    assert_eq!(contacts.len(), 3, "the owner and an attendee without a provider id are skipped");
    let priya = &contacts[0];
    assert_eq!(priya.key, ContactKey::phone("+447700900123"));
    assert_eq!(priya.update.profile_name.as_deref(), Some("Priya Raman"));
    assert_eq!(priya.update.saved_name, None, "UniPile's names are not the owner's saved names");
    assert_eq!(priya.update.profile_picture_url.as_deref(), Some("https://pps.whatsapp.net/v/t61/priya.jpg"));
    assert_eq!(priya.update.jid.as_deref(), Some("447700900123@s.whatsapp.net"));
    assert!(priya.update.synced);
    assert_eq!(priya.update.raw.as_ref().unwrap()["id"], "aTt1QwErTyUiOpAsDfGhJk");
    assert_eq!(contacts[1].update.profile_name, None, "a name that is just the number is no name");
    assert_eq!(contacts[2].key, ContactKey::user_id("98765432101234@lid"), "a LID stays opaque");
}

#[tokio::test]
async fn webhooks_are_registered_with_the_secret_header() {
    let (server, client) = setup().await;
    Mock::given(method("POST"))
        .and(path(api("/webhooks")))
        .and(header("x-api-key", KEY))
        .respond_with(ok_json(201, "unipile_webhook_created_response.json"))
        .mount(&server)
        .await;
    let id = client.register_webhook("https://tunnel.example/webhooks/unipile/3", &Secret::new("s3cr3t-value".into())).await.unwrap();
    assert_eq!(id, "wHk1MeSsAgInG000000001");
    let reqs = requests_to(&server, &api("/webhooks")).await;
    assert_eq!(reqs.len(), 2, "messaging and account_status");
    let messaging: Value = reqs[0].body_json().unwrap();
    assert_eq!(messaging["source"], "messaging");
    assert_eq!(messaging["request_url"], "https://tunnel.example/webhooks/unipile/3");
    assert_eq!(messaging["account_ids"], json!([ACCT]));
    assert_eq!(messaging["format"], "json");
    assert_eq!(messaging["events"], json!(["message_received", "message_read", "message_reaction", "message_edited", "message_deleted", "message_delivered"]));
    let headers = json!([{"key": "Content-Type", "value": "application/json"}, {"key": "X-Wicket-Secret", "value": "s3cr3t-value"}]);
    assert_eq!(messaging["headers"], headers);
    let status: Value = reqs[1].body_json().unwrap();
    assert_eq!(status["source"], "account_status");
    assert_eq!(status["headers"], headers);
    assert_eq!(status["request_url"], messaging["request_url"]);
}

// ---------------------------------------------------------------- errors

#[tokio::test]
async fn disconnected_account_is_a_session_error_and_a_state() {
    let (server, client) = setup().await;
    get(&format!("/accounts/{ACCT}")).respond_with(ok_json(401, "unipile_error_disconnected.json")).mount(&server).await;
    let pe = provider_error(client.test_connection().await.unwrap_err());
    assert_eq!(pe.kind, ErrorKind::SessionDisconnected);
    assert_eq!(pe.code.as_deref(), Some("disconnected_account"));
    assert!(pe.message.contains("reconnect the account (hosted authentication)"), "{}", pe.message);
    let (status, reason) = client.account_state().await.unwrap();
    assert_eq!(status, AccountStatus::Disconnected);
    assert!(reason.unwrap().contains("hosted authentication"));
}

#[tokio::test]
async fn bad_key_rate_limit_and_server_errors() {
    let (server, client) = setup().await;
    get("/accounts").respond_with(ok_json(401, "unipile_error_missing_credentials.json")).mount(&server).await;
    get("/messages").respond_with(ok_json(429, "unipile_error_rate_limit.json").insert_header("Retry-After", "7")).mount(&server).await;
    get("/chat_attendees").respond_with(ResponseTemplate::new(500).set_body_string("oops")).mount(&server).await;
    get(&format!("/accounts/{ACCT}")).respond_with(ResponseTemplate::new(403)).mount(&server).await;

    let pe = provider_error(client.list_accounts().await.unwrap_err());
    assert_eq!(pe.kind, ErrorKind::Auth);
    assert!(!pe.message.contains(KEY), "the key never appears in an error");
    let pe = provider_error(client.poll(None).await.unwrap_err());
    assert_eq!(pe.kind, ErrorKind::RateLimited);
    assert_eq!(pe.retry_after, Some(7));
    let pe = provider_error(client.contacts().await.unwrap_err());
    assert_eq!(pe.kind, ErrorKind::Unavailable);
    assert!(pe.kind.is_retryable());
    let pe = provider_error(client.test_connection().await.unwrap_err());
    assert_eq!(pe.kind, ErrorKind::Auth, "403 without a body is the key");
    let (_, reason) = (pe.kind, pe.message);
    assert!(!reason.contains(KEY));
}

#[tokio::test]
async fn a_hung_server_is_unavailable_within_the_timeout() {
    let (server, client) = setup().await;
    let client = client.with_timeouts(Duration::from_secs(1), Duration::from_millis(300)).unwrap();
    get("/messages").respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5))).mount(&server).await;
    let started = Instant::now();
    let pe = provider_error(client.poll(None).await.unwrap_err());
    assert!(started.elapsed() < Duration::from_secs(3), "gave up in time: {:?}", started.elapsed());
    assert_eq!(pe.kind, ErrorKind::Unavailable);
    assert!(pe.message.contains("did not answer within 300 ms"), "{}", pe.message);
}

// ---------------------------------------------------------------- webhooks

fn webhook(name: &str) -> Vec<ProviderEvent> {
    parse_payload(fixture(name).as_bytes()).unwrap()
}

#[test]
fn webhook_inbound_message_fixture() {
    let ev = webhook("unipile_webhook_message.json");
    let m = match &ev[..] {
        [ProviderEvent::Message(m)] => m,
        other => panic!("{other:?}"),
    };
    assert_eq!(m.provider_message_id, "mSgZ9Y8X7W6V5U4T3S2R1Q", "UniPile's message_id, not the WhatsApp provider_message_id");
    assert_eq!((m.direction, m.origin), (Direction::In, None));
    assert_eq!(m.chat, ContactKey::phone("+447700900123"));
    assert_eq!(m.chat_update.profile_name.as_deref(), Some("Priya Raman"));
    assert_eq!(m.provider_chat_id.as_deref(), Some(SINGLE_CHAT));
    assert_eq!(m.text.as_deref(), Some("Hi! Is my order #4521 ready for pickup?"));
    assert_eq!(m.timestamp, NOON - 6 * 60_000 - 41_000);
    assert!(m.reply_to_provider_id.is_none());
}

#[test]
fn webhook_phone_message_is_outgoing_with_a_quote() {
    let ev = webhook("unipile_webhook_message_from_phone.json");
    let [ProviderEvent::Message(m)] = &ev[..] else { panic!("{ev:?}") };
    assert_eq!((m.direction, m.origin), (Direction::Out, Some(Origin::Phone)), "never a customer message");
    assert_eq!(m.chat, ContactKey::phone("+447700900123"), "the chat is the customer's, not the owner's");
    assert_eq!(m.chat_update.profile_name.as_deref(), Some("Priya Raman"), "the customer's name from the attendees, never the owner's");
    assert_eq!(m.reply_to_provider_id.as_deref(), Some("mSgZ9Y8X7W6V5U4T3S2R1Q"));
}

#[test]
fn webhook_group_attachment_object() {
    let ev = webhook("unipile_webhook_group_attachment.json");
    let [ProviderEvent::Message(m)] = &ev[..] else { panic!("{ev:?}") };
    assert_eq!(m.chat, ContactKey::user_id(GROUP_JID));
    assert_eq!(m.chat_update.is_group, Some(true));
    assert_eq!(m.sender_id.as_deref(), Some("+447700900456"));
    assert_eq!(m.sender_name.as_deref(), Some("Dev (driver)"));
    assert_eq!(m.kind, MessageKind::Voice);
    assert_eq!(m.media.as_ref().unwrap().fetch_info, Some(json!({"message_id": "mSgG3VoIcEaBcDeFgHiJkL", "attachment_id": "att_3EB0A0D10000000000003_0"})));
    assert_eq!(m.reply_to_provider_id.as_deref(), Some("mSgG1TeXtAbCdEfGhIjKlM"));
}

#[test]
fn webhook_reaction_status_edit_delete_and_account_status() {
    let ev = webhook("unipile_webhook_reaction.json");
    let [ProviderEvent::Message(r)] = &ev[..] else { panic!("{ev:?}") };
    assert_eq!(r.kind, MessageKind::Reaction);
    assert_eq!(r.reaction, Some(("mSg1AbCdEfGhIjKlMnOpQr".into(), "❤️".into())));
    assert_eq!((r.direction, r.origin), (Direction::In, None), "the customer reacted, though `sender` is the owner");
    assert_eq!(r.chat, ContactKey::phone("+447700900123"));
    assert_eq!(r.sender_id.as_deref(), Some("+447700900123"));

    let ev = webhook("unipile_webhook_read.json");
    let [ProviderEvent::Status(s)] = &ev[..] else { panic!("{ev:?}") };
    assert_eq!((s.provider_message_id.as_str(), s.status, s.timestamp), ("mSg1AbCdEfGhIjKlMnOpQr", MessageStatus::Read, NOON + 60_000));

    assert_eq!(
        webhook("unipile_webhook_edited.json"),
        vec![ProviderEvent::MessageEdited {
            provider_message_id: "mSgG2EdItEdAbCdEfGhIjK".into(),
            text: Some("I can do 15:30 instead".into()),
            timestamp: NOON + 150_000
        }]
    );
    assert_eq!(
        webhook("unipile_webhook_deleted.json"),
        vec![ProviderEvent::MessageDeleted { provider_message_id: "mSgG4DeLeTeDaBcDeFgHiJ".into(), timestamp: NOON + 270_000 }]
    );
    let ev = webhook("unipile_webhook_account_status.json");
    let [ProviderEvent::AccountState { status, reason }] = &ev[..] else { panic!("{ev:?}") };
    assert_eq!(*status, AccountStatus::NeedsToken);
    assert!(reason.as_deref().unwrap().contains("needs re-authentication"));
    assert!(reason.as_deref().unwrap().contains("wicket account reconnect"), "says how");
}

#[test]
fn webhook_edge_cases() {
    // No Content-Type matters: the body is JSON. Unknown events and shapes yield nothing.
    assert!(parse_payload(br#"{"event": "message_received"}"#).unwrap().is_empty(), "no message_id: skipped");
    assert!(parse_payload(br#"{"event": "something_new", "message_id": "x"}"#).unwrap().is_empty());
    assert!(parse_payload(b"{}").unwrap().is_empty());
    let mut notice = json_fixture("unipile_webhook_message.json");
    notice["is_event"] = json!(true);
    assert!(parse_payload(notice.to_string().as_bytes()).unwrap().is_empty(), "group notices are skipped, as polling does");
    assert!(parse_payload(b"\"text\"").is_err());
    assert!(parse_payload(b"<xml/>").is_err());
    // is_sender as 1, attachments as an array with a file, a LID chat with the person's phone.
    let mut v = json_fixture("unipile_webhook_message.json");
    v["is_sender"] = json!(0);
    v["provider_chat_id"] = json!("98765432101234@lid");
    v["sender"]["attendee_provider_id"] = json!("98765432101234@lid");
    v["attachments"] = json!([{"attachment_id": "a1", "attachment_type": "file", "file_name": "invoice.pdf", "mimetype": "application/pdf"}]);
    let ev = parse_payload(v.to_string().as_bytes()).unwrap();
    let [ProviderEvent::Message(m)] = &ev[..] else { panic!("{ev:?}") };
    assert_eq!(m.chat, ContactKey { phone: Some("+447700900123".into()), provider_user_id: Some("98765432101234@lid".into()) });
    assert_eq!(m.kind, MessageKind::Document);
    assert_eq!(m.media.as_ref().unwrap().file_name.as_deref(), Some("invoice.pdf"));
    v["is_sender"] = json!(1);
    let ev = parse_payload(v.to_string().as_bytes()).unwrap();
    let [ProviderEvent::Message(m)] = &ev[..] else { panic!("{ev:?}") };
    assert_eq!(m.direction, Direction::Out);
}

#[tokio::test]
async fn the_same_message_by_poll_and_by_webhook_has_one_id() {
    let (server, client) = setup().await;
    mount_chats(&server).await;
    get("/messages").respond_with(ok_json(200, "unipile_messages.json")).mount(&server).await;
    let polled = client.poll(None).await.unwrap();
    for (fixture_name, id) in
        [("unipile_webhook_message.json", "mSgZ9Y8X7W6V5U4T3S2R1Q"), ("unipile_webhook_message_from_phone.json", "mSg1AbCdEfGhIjKlMnOpQr")]
    {
        let hooked = webhook(fixture_name);
        let [ProviderEvent::Message(h)] = &hooked[..] else { panic!("{hooked:?}") };
        let p = by_id(&polled.events, id);
        assert_eq!(h.provider_message_id, p.provider_message_id, "{fixture_name}: one dedupe key");
        assert_eq!(h.chat, p.chat, "{fixture_name}: one conversation");
        assert_eq!(h.provider_chat_id, p.provider_chat_id);
        assert_eq!((h.direction, h.origin), (p.direction, p.origin));
        assert_eq!(h.text, p.text);
        assert_eq!(h.timestamp, p.timestamp);
        assert_eq!(h.reply_to_provider_id, p.reply_to_provider_id);
    }
}
