//! The WASender client: sends every message kind WASender has (uploading
//! local media first), correlates its integer `msgId` with the WhatsApp
//! message id, decrypts and downloads inbound media, syncs contacts and
//! profile pictures, reads the session state and, with the personal access
//! token, registers the webhook and reads its secret.
//!
//! Rules it keeps: the API key and the personal access token stay
//! [`Secret`]s that only reach the `Authorization` header of requests to the
//! configured base URL (never a log line, an error message or `Debug`; media
//! and picture URLs WASender hands out are fetched without them); every
//! failure is an [`Error::Provider`] whose kind comes from [`super::errors`],
//! transport failures (timeouts, refused connections) are
//! [`ErrorKind::Unavailable`] (on the send itself only a failure to connect
//! is: after the request went out it is [`ErrorKind::OutcomeUnknown`]); every request has a connect and a total
//! timeout and every body read has a size limit. Retrying, and marking the
//! account, are the engine's business.
//!
//! Send correlation: WASender answers a send with its own integer `msgId`,
//! while webhooks name the WhatsApp id (`key.id`). The send asks
//! `GET /messages/{msgId}/info` for the key id (twice, a second apart) and
//! returns it as `provider_message_id`. When WASender does not know it yet
//! (a queued send, account protection) the receipt carries the placeholder
//! `wasender-msg-{msgId}` (see [`placeholder_id`]) and `provider_send_id =
//! msgId`; [`WasenderClient::message_status`] later returns the real key id
//! in its [`StatusReport`], so the engine can adopt it for the message whose
//! `provider_send_id` it polled. The send is never failed for a missing key
//! id: the message went out, and a retry would send it twice.

use super::errors::{map_error, Credential};
use super::mapping::{contact_from_item, integer, parse_address, phone_digits, string, Address};
use super::{DEFAULT_BASE_URL, PLACEHOLDER_PREFIX, WEBHOOK_EVENTS};
use crate::error::{Error, ErrorKind, ProviderError, Result};
use crate::model::{AccountStatus, MessageKind, MessageStatus};
use crate::providers::http::{provider_error, same_origin, seconds};
use crate::providers::{http, ConnectionInfo, MediaBytes, MediaSource, OutgoingContent, OutgoingMessage, SendReceipt, StatusReport, SyncedContact};
use crate::secrets::{Secret, SecretName, SecretStore, REENTER_HINT};
use crate::store::media::MediaFile;
use crate::store::Account;
use crate::time::now_ms;
use serde_json::{json, Map, Value};
use std::fmt;
use std::path::Path;
use std::time::Duration;

/// Contacts asked for per page.
const CONTACTS_PAGE_SIZE: u32 = 100;
/// A guard against a provider that never stops paging.
const MAX_CONTACT_PAGES: u32 = 1000;
/// The largest JSON answer read from WASender.
const MAX_JSON_BODY: u64 = 16 * 1024 * 1024;
/// How much of an error body is read to find WASender's message in it.
const MAX_ERROR_BODY: u64 = 64 * 1024;
/// The largest local file uploaded for a send.
const MAX_UPLOAD: u64 = 100 * MB;
const MB: u64 = 1024 * 1024;
/// How long one message-info lookup right after a send may take.
const CORRELATE_TIMEOUT: Duration = Duration::from_secs(10);
/// The pause before the second message-info lookup after a send.
const CORRELATE_RETRY_AFTER: Duration = Duration::from_secs(1);

/// The reason stored with a disconnected session.
pub const DISCONNECTED_REASON: &str = "the WhatsApp session is disconnected: scan the QR code again in WASender";

/// The provider message id a send gets while WhatsApp's own id is unknown.
pub fn placeholder_id(msg_id: &str) -> String {
    format!("{PLACEHOLDER_PREFIX}{msg_id}")
}

/// Whether `provider_message_id` is a [`placeholder_id`], to be replaced by
/// the key id that [`WasenderClient::message_status`] reports.
pub fn is_placeholder_id(provider_message_id: &str) -> bool {
    provider_message_id.starts_with(PLACEHOLDER_PREFIX)
}

/// What a WASender session status means for the account (case-insensitive).
/// `None` for a status Wicket does not know.
pub fn session_status(status: &str) -> Option<(AccountStatus, Option<String>)> {
    let s = status.trim().to_ascii_lowercase().replace(['-', ' '], "_");
    Some(match s.as_str() {
        "connected" | "open" | "online" | "authenticated" | "ready" => (AccountStatus::Ok, None),
        "connecting" | "initializing" | "starting" | "restarting" | "reconnecting" => {
            (AccountStatus::Retrying, Some("the WhatsApp session is connecting in WASender".to_string()))
        }
        "need_scan" | "needs_scan" | "qr" | "qrcode" | "logged_out" | "logout" | "disconnected" | "expired" | "closed" => {
            (AccountStatus::Disconnected, Some(DISCONNECTED_REASON.to_string()))
        }
        "error" | "failed" => (AccountStatus::Retrying, Some("WASender reports an error with the WhatsApp session".to_string())),
        _ => return None,
    })
}

/// A WASender message status (numeric or string) as Wicket's. `None` for
/// one Wicket does not track. 1 / PENDING is [`MessageStatus::Sending`].
pub fn message_status_of(v: &Value) -> Option<MessageStatus> {
    if let Some(n) = integer(Some(v)) {
        return match n {
            0 => Some(MessageStatus::Failed),
            1 => Some(MessageStatus::Sending),
            2 => Some(MessageStatus::Sent),
            3 => Some(MessageStatus::Delivered),
            4 => Some(MessageStatus::Read),
            5 => Some(MessageStatus::Played),
            _ => None,
        };
    }
    match v.as_str()?.trim().to_ascii_lowercase().as_str() {
        "error" | "failed" => Some(MessageStatus::Failed),
        "pending" | "in_progress" | "queued" | "sending" => Some(MessageStatus::Sending),
        "server_ack" | "sent" => Some(MessageStatus::Sent),
        "delivery_ack" | "delivered" => Some(MessageStatus::Delivered),
        "read" => Some(MessageStatus::Read),
        "played" => Some(MessageStatus::Played),
        _ => None,
    }
}

/// The error of a message WhatsApp reported as failed (status 0 / ERROR).
pub fn failed_error() -> ProviderError {
    ProviderError {
        code: Some("0".into()),
        kind: ErrorKind::Unknown,
        message: "WhatsApp reported the message as failed (WASender status ERROR): check the number and send it again".into(),
        retry_after: None,
    }
}

/// A client for one WASender session.
#[derive(Clone)]
pub struct WasenderClient {
    http: reqwest::Client,
    base_url: String,
    api_key: Secret,
    pat: Option<Secret>,
    session_id: Option<String>,
    total_timeout: Duration,
}

impl fmt::Debug for WasenderClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WasenderClient")
            .field("base_url", &self.base_url)
            .field("session_id", &self.session_id)
            .field("api_key", &"<redacted>")
            .field("personal_access_token", &self.pat.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// A config value as a string: ids are sometimes stored as numbers.
fn config_string(config: &Value, key: &str) -> Option<String> {
    match config.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// How long to wait, from `Retry-After` (seconds or an HTTP date) or else
/// `X-RateLimit-Reset` (seconds, or a Unix time: WASender documents both),
/// capped at an hour (`http::MAX_RETRY_AFTER`).
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<u64> {
    retry_after_uncapped(headers).map(crate::providers::http::cap_retry_after)
}

fn retry_after_uncapped(headers: &reqwest::header::HeaderMap) -> Option<u64> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty());
    let now = chrono::Utc::now().timestamp();
    if let Some(v) = header("retry-after") {
        if let Ok(secs) = v.parse::<u64>() {
            return Some(secs);
        }
        if let Ok(at) = chrono::DateTime::parse_from_rfc2822(v) {
            return Some((at.timestamp() - now).max(0) as u64);
        }
    }
    let reset = header("x-ratelimit-reset")?.parse::<i64>().ok()?;
    Some(if reset > now + 5 { (reset - now) as u64 } else { reset.max(0) as u64 })
}

/// `to` as WASender wants it: E.164 with `+` for a number, the JID as
/// given for a group or any `…@…` id (LIDs, channels).
fn recipient(msg: &OutgoingMessage) -> Result<String> {
    let to = msg.to.trim();
    let to = if to.is_empty() { msg.chat_id.as_deref().map(str::trim).unwrap_or("") } else { to };
    if to.is_empty() {
        return Err(Error::Invalid("the message has no recipient".into()));
    }
    if msg.to_group || to.contains('@') {
        return Ok(to.to_string());
    }
    match phone_digits(to) {
        Some(d) => Ok(format!("+{d}")),
        None => Err(Error::Invalid(format!("{to:?} is not a phone number WASender can send to: use the number with its country code, e.g. +447700900123"))),
    }
}

/// The `{name, phone}` of the first contact of a Meta-shaped contacts value.
fn contact_card(contacts: &Value) -> Result<Value> {
    let first = match contacts {
        Value::Array(items) => items.first(),
        Value::Object(_) => Some(contacts),
        _ => None,
    }
    .ok_or_else(|| Error::Invalid("a contacts message needs at least one contact object".into()))?;
    if contacts.as_array().is_some_and(|a| a.len() > 1) {
        tracing::debug!("WASender sends one contact card per message: only the first contact is sent");
    }
    let name_obj = first.get("name");
    let name = string(name_obj.and_then(|n| n.get("formatted_name")))
        .or_else(|| {
            let part = |k: &str| string(name_obj.and_then(|n| n.get(k)));
            let joined = [part("first_name"), part("middle_name"), part("last_name")].into_iter().flatten().collect::<Vec<_>>().join(" ");
            Some(joined).filter(|j| !j.is_empty())
        })
        .or_else(|| string(name_obj));
    let phone_obj = first.get("phones").and_then(Value::as_array).and_then(|p| p.first());
    let phone = string(phone_obj.and_then(|p| p.get("phone")))
        .or_else(|| string(phone_obj.and_then(|p| p.get("wa_id"))).map(|w| format!("+{}", w.trim_start_matches('+'))))
        .or_else(|| string(first.get("phone")));
    match (name, phone) {
        (Some(name), Some(phone)) => Ok(json!({"name": name, "phone": phone})),
        (None, _) => Err(Error::Invalid("the contact card has no name (`name.formatted_name`)".into())),
        (_, None) => Err(Error::Invalid("the contact card has no phone number (`phones[0].phone`)".into())),
    }
}

/// The URL field of a send body for a media kind.
fn media_field(kind: MessageKind) -> Result<&'static str> {
    Ok(match kind {
        MessageKind::Image => "imageUrl",
        MessageKind::Video => "videoUrl",
        MessageKind::Document => "documentUrl",
        MessageKind::Audio | MessageKind::Voice => "audioUrl",
        MessageKind::Sticker => "stickerUrl",
        other => return Err(Error::Invalid(format!("a {other} message cannot be sent as media"))),
    })
}

/// `publicUrl` of an upload or decrypt answer, at the top or under `data`.
fn public_url(answer: &Value) -> Option<String> {
    let data = answer.get("data");
    string(answer.get("publicUrl"))
        .or_else(|| string(data.and_then(|d| d.get("publicUrl"))))
        .or_else(|| string(data.and_then(|d| d.get("url"))))
        .or_else(|| string(answer.get("url")))
        .or_else(|| data.and_then(Value::as_str).map(str::to_string).filter(|s| s.starts_with("http")))
}

/// The media object inside a stored decrypt request
/// (`data.messages.message.<type>Message`).
fn media_object(fetch_info: &Value) -> Option<&Value> {
    fetch_info.pointer("/data/messages/message")?.as_object()?.values().find(|v| v.is_object())
}

fn too_big(n: u64, max_bytes: u64, what: &str) -> Error {
    provider_error(ErrorKind::Media, format!("the {what} is {n} bytes, over the limit of {max_bytes} bytes: not downloaded (raise the limit in the settings)"))
}

impl WasenderClient {
    /// The client for a WASender account: `base_url` and `session_id` from
    /// its config, the API key (required) and the personal access token
    /// (optional) from the secret store (blocking calls).
    pub fn for_account(account: &Account, secrets: &SecretStore) -> Result<WasenderClient> {
        let config = &account.config;
        let base_url = config_string(config, "base_url").unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
        let session_id = config_string(config, "session_id");
        let api_key = secrets.get(account.id, SecretName::ApiKey)?;
        let pat = secrets.get_opt(account.id, SecretName::PersonalAccessToken)?;
        WasenderClient::new(base_url, api_key, pat, session_id)
    }

    /// A client from explicit settings (the setup wizard, tests). `base_url`
    /// replaces `https://www.wasenderapi.com/api`; a trailing slash is ignored.
    pub fn new(base_url: impl Into<String>, api_key: Secret, pat: Option<Secret>, session_id: Option<String>) -> Result<WasenderClient> {
        let base_url = base_url.into().trim().trim_end_matches('/').to_string();
        match url::Url::parse(&base_url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {}
            _ => return Err(Error::Invalid(format!("invalid WASender base URL {base_url:?}: use e.g. {DEFAULT_BASE_URL}"))),
        }
        if api_key.is_empty() {
            return Err(Error::Invalid(format!("the WASender API key is empty: {REENTER_HINT}")));
        }
        let pat = pat.filter(|p| !p.is_empty());
        let session_id = session_id.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        if let Some(id) = &session_id {
            if id.chars().any(|c| c.is_whitespace() || c.is_control() || "/?#&%\\".contains(c)) {
                return Err(Error::Invalid(format!("invalid WASender session id {id:?}: it is the number shown for the session in the WASender dashboard")));
            }
        }
        Ok(WasenderClient { http: http::client()?, base_url, api_key, pat, session_id, total_timeout: http::TOTAL_TIMEOUT })
    }

    /// The same client with other timeouts (tests use short ones).
    pub fn with_timeouts(mut self, connect: Duration, total: Duration) -> Result<WasenderClient> {
        self.http = http::client_with(connect, total)?;
        self.total_timeout = total;
        Ok(self)
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn session_id(&self) -> Option<&str> {
        self.session_id.as_deref()
    }

    /// Whether webhook management is possible (a token and a session id).
    pub fn can_manage_webhook(&self) -> bool {
        self.pat.is_some() && self.session_id.is_some()
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{}", self.base_url, path)
    }

    /// Keeps both secrets out of a message, whatever put them there.
    fn scrub(&self, message: String) -> String {
        let mut out = message;
        for secret in std::iter::once(&self.api_key).chain(self.pat.iter()) {
            let s = secret.expose();
            if s.len() >= 8 && out.contains(s) {
                out = out.replace(s, "<redacted>");
            }
        }
        out
    }

    fn transport_error(&self, e: reqwest::Error, what: &str) -> Error {
        let message = if e.is_timeout() {
            format!("WASender did not answer within {} ({what}): Wicket retries later", seconds(self.total_timeout))
        } else if e.is_connect() {
            format!("cannot reach WASender at {} ({what}): check the internet connection; Wicket retries later", self.base_url)
        } else {
            format!("the connection to WASender failed ({what}): {}; Wicket retries later", e.without_url())
        };
        provider_error(ErrorKind::Unavailable, self.scrub(message))
    }

    fn secret_for(&self, credential: Credential) -> Result<&Secret> {
        match credential {
            Credential::ApiKey => Ok(&self.api_key),
            Credential::PersonalAccessToken => self.pat.as_ref().ok_or_else(|| {
                Error::Invalid(
                    "no WASender personal access token is stored for this account: add one (with the session id) to let Wicket manage the webhook".into(),
                )
            }),
        }
    }

    /// Sends the request with the Bearer header and returns the JSON answer
    /// (`Null` for an empty one). A non-2xx answer, or `success: false`,
    /// becomes the mapped provider error.
    async fn call(&self, req: reqwest::RequestBuilder, what: &str, credential: Credential) -> Result<Value> {
        let secret = self.secret_for(credential)?;
        let resp = req.bearer_auth(secret.expose()).send().await.map_err(|e| self.transport_error(e, what))?;
        let status = resp.status().as_u16();
        if !resp.status().is_success() {
            let wait = retry_after(resp.headers());
            // A body cut short still maps by status; reading it may not fail the call.
            let body = self.read_limited(resp, MAX_ERROR_BODY, true, what).await.ok().flatten().unwrap_or_default();
            return Err(self.refused(status, &body, wait, credential, what));
        }
        let body = self.read_limited(resp, MAX_JSON_BODY, false, what).await?.ok_or_else(|| {
            provider_error(ErrorKind::Unknown, format!("WASender's answer ({what}) is larger than {} MB: check the base URL", MAX_JSON_BODY / MB))
        })?;
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Null);
        }
        let answer: Value = serde_json::from_slice(&body)
            .map_err(|_| provider_error(ErrorKind::Unknown, format!("WASender's answer ({what}) is not JSON: check the base URL of the account")))?;
        if answer.get("success").and_then(Value::as_bool) == Some(false) {
            return Err(self.refused(200, &body, None, credential, what));
        }
        Ok(answer)
    }

    fn refused(&self, status: u16, body: &[u8], wait: Option<u64>, credential: Credential, what: &str) -> Error {
        let mut pe = map_error(status, body, wait, credential);
        pe.message = self.scrub(pe.message);
        tracing::debug!(status, kind = pe.kind.as_str(), what, "WASender refused a request");
        Error::Provider(pe)
    }

    /// Reads the body up to `max` bytes: `None` when it is longer, unless
    /// `truncate`, which keeps the first `max` bytes.
    async fn read_limited(&self, resp: reqwest::Response, max: u64, truncate: bool, what: &str) -> Result<Option<Vec<u8>>> {
        http::read_limited(resp, max, truncate).await.map_err(|e| self.transport_error(e, what))
    }

    /// Downloads a URL WASender handed out (decrypted media, a profile
    /// picture), without the API key, stopping past `max_bytes`. Only HTTPS
    /// URLs (or URLs on the configured base, for a local fake) are fetched.
    async fn download(&self, url: &str, max_bytes: u64, what: &str) -> Result<(Vec<u8>, Option<String>)> {
        let https = url::Url::parse(url).map(|u| u.scheme() == "https").unwrap_or(false);
        if !https && !same_origin(url, &self.base_url) {
            return Err(provider_error(ErrorKind::Media, format!("WASender gave a {what} URL that is not HTTPS: not downloaded")));
        }
        let doing = format!("downloading the {what}");
        let resp = self.http.get(url).send().await.map_err(|e| self.transport_error(e, &doing))?;
        let status = resp.status().as_u16();
        if !resp.status().is_success() {
            let kind = if status == 429 || status == 408 || status >= 500 { ErrorKind::Unavailable } else { ErrorKind::Media };
            return Err(Error::Provider(ProviderError {
                code: Some(status.to_string()),
                kind,
                message: format!("the {what} could not be downloaded (HTTP {status}); the link may have expired: try again"),
                retry_after: retry_after(resp.headers()),
            }));
        }
        if let Some(n) = resp.content_length().filter(|n| *n > max_bytes) {
            return Err(too_big(n, max_bytes, what));
        }
        let mime = http::mime_of(&resp);
        let bytes = self
            .read_limited(resp, max_bytes, false, &doing)
            .await?
            .ok_or_else(|| provider_error(ErrorKind::Media, format!("the {what} is larger than the limit of {max_bytes} bytes: download stopped")))?;
        Ok((bytes, mime))
    }

    /// `GET /status`: the session's status string.
    async fn status(&self) -> Result<(String, Value)> {
        let raw = self.call(self.http.get(self.url("status")), "reading the session status", Credential::ApiKey).await?;
        let status = string(raw.get("status"))
            .or_else(|| string(raw.pointer("/data/status")))
            .ok_or_else(|| provider_error(ErrorKind::Unknown, "WASender's status answer has no `status`: check the base URL".into()))?;
        Ok((status, raw))
    }

    /// `GET /status` (and `GET /user` for the number and name, if it
    /// answers). A session that is not connected is an error: the key works
    /// but nothing can be sent until the QR code is scanned again.
    pub async fn test_connection(&self) -> Result<ConnectionInfo> {
        let (status, raw_status) = self.status().await?;
        if let Some((AccountStatus::Disconnected, _)) = session_status(&status) {
            return Err(provider_error(
                ErrorKind::SessionDisconnected,
                format!("the WASender API key works, but the WhatsApp session is not connected ({status}): scan the QR code again in WASender"),
            ));
        }
        let user = match self.call(self.http.get(self.url("user")), "reading the session's user", Credential::ApiKey).await {
            Ok(u) => u,
            Err(e) => {
                tracing::debug!("WASender /user did not answer: {e}");
                Value::Null
            }
        };
        let u = user.get("data").filter(|d| d.is_object()).unwrap_or(&user);
        let number = ["phone_number", "phoneNumber", "phone", "id", "jid"]
            .iter()
            .find_map(|k| string(u.get(*k)))
            .or_else(|| string(u.pointer("/me/id")))
            .and_then(|n| parse_address(&n));
        let display_number = match number {
            Some(Address::Phone { e164, .. }) => Some(e164),
            _ => None,
        };
        let verified_name = ["verifiedName", "name", "pushName", "notify"].iter().find_map(|k| string(u.get(*k)));
        Ok(ConnectionInfo { verified_name, display_number, quality_rating: None, raw: json!({"status": raw_status, "user": user}) })
    }

    /// Sends a message (`POST /send-message`), then looks up WhatsApp's id
    /// for it (see the module docs).
    pub async fn send(&self, msg: &OutgoingMessage) -> Result<SendReceipt> {
        let mut receipt = self.send_unconfirmed(msg).await?;
        if let Some(key_id) = self.confirm(&receipt).await {
            receipt.provider_message_id = key_id;
        }
        Ok(receipt)
    }

    /// Sends a message without looking up WhatsApp's id: the receipt carries
    /// the placeholder id and the msgId, so the outbox can record the
    /// accepted send before anything else, then [`WasenderClient::confirm`]
    /// it. A broken connection or an unreadable answer after the request
    /// went out is [`ErrorKind::OutcomeUnknown`]: it may have been sent.
    pub async fn send_unconfirmed(&self, msg: &OutgoingMessage) -> Result<SendReceipt> {
        let body = self.message_body(msg).await?;
        let what = "sending the message";
        let req = self.http.post(self.url("send-message")).json(&body).bearer_auth(self.api_key.expose());
        let resp = match req.send().await {
            Ok(resp) => resp,
            Err(e) => match http::open_send_outcome(e, "WASender", self.total_timeout) {
                Ok(why) => return Err(http::outcome_unknown(self.scrub(why))),
                Err(e) => return Err(self.transport_error(e, what)),
            },
        };
        let status = resp.status().as_u16();
        if http::answer_leaves_outcome_open(status) {
            return Err(http::outcome_unknown(format!("a gateway in front of WASender timed out (HTTP {status})")));
        }
        if !resp.status().is_success() {
            let wait = retry_after(resp.headers());
            let body = self.read_limited(resp, MAX_ERROR_BODY, true, what).await.ok().flatten().unwrap_or_default();
            return Err(self.refused(status, &body, wait, Credential::ApiKey, what));
        }
        let raw = match http::read_limited(resp, MAX_JSON_BODY, false).await {
            Ok(Some(raw)) => raw,
            Ok(None) => return Err(http::outcome_unknown("WASender accepted the send but its answer is too large to read".into())),
            Err(e) => return Err(http::outcome_unknown(self.scrub(format!("the answer to the send was cut off ({})", e.without_url())))),
        };
        let answer: Value =
            serde_json::from_slice(&raw).map_err(|_| http::outcome_unknown("WASender answered the send with HTTP 2xx but not with JSON".into()))?;
        if answer.get("success").and_then(Value::as_bool) == Some(false) {
            return Err(self.refused(200, &raw, None, Credential::ApiKey, what));
        }
        let data = answer.get("data").filter(|d| d.is_object()).unwrap_or(&answer);
        let msg_id = integer(data.get("msgId"))
            .or_else(|| integer(data.get("id")))
            .map(|n| n.to_string())
            .ok_or_else(|| http::outcome_unknown("WASender accepted the send but returned no msgId (check the session's message log in WASender)".into()))?;
        let recipient_id = string(data.get("jid")).and_then(|j| parse_address(&j)).and_then(|a| a.digits().map(str::to_string));
        tracing::debug!(wicket_id = msg.wicket_id, msg_id, "WASender accepted a message");
        Ok(SendReceipt { provider_message_id: placeholder_id(&msg_id), recipient_id, provider_send_id: Some(msg_id), chat_id: None })
    }

    /// WhatsApp's id for a send [`WasenderClient::send_unconfirmed`]
    /// returned, when WASender gives it already (`None`: it keeps the
    /// placeholder, and status polling adopts the real id later).
    pub async fn confirm(&self, receipt: &SendReceipt) -> Option<String> {
        let msg_id = receipt.provider_send_id.as_deref()?;
        let found = self.correlate(msg_id).await;
        if found.is_none() {
            tracing::debug!(msg_id, "WASender did not give the WhatsApp id yet: the message keeps a placeholder id");
        }
        found
    }

    /// WhatsApp's `key.id` for a send, asked twice a second apart.
    async fn correlate(&self, msg_id: &str) -> Option<String> {
        for attempt in 0..2 {
            if attempt > 0 {
                tokio::time::sleep(CORRELATE_RETRY_AFTER).await;
            }
            match self.message_info(msg_id, Some(CORRELATE_TIMEOUT.min(self.total_timeout))).await {
                Ok(Some(info)) => {
                    if let Some(id) = key_id(&info) {
                        return Some(id);
                    }
                }
                Ok(None) => {}
                Err(e) => {
                    let stop = e.provider_error().is_some_and(|pe| pe.kind == ErrorKind::Auth);
                    tracing::debug!("WASender message info for {msg_id} failed: {e}");
                    if stop {
                        return None;
                    }
                }
            }
        }
        None
    }

    /// `GET /messages/{msgId}/info` → its `data` (`None` when WASender
    /// does not know the msgId: 404).
    async fn message_info(&self, msg_id: &str, timeout: Option<Duration>) -> Result<Option<Value>> {
        let mut req = self.http.get(self.url(&format!("messages/{msg_id}/info")));
        if let Some(t) = timeout {
            req = req.timeout(t);
        }
        match self.call(req, "reading the message info", Credential::ApiKey).await {
            Ok(answer) => Ok(Some(answer.get("data").cloned().unwrap_or(answer))),
            Err(Error::Provider(pe)) if pe.code.as_deref() == Some("404") => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The JSON body of a send (uploading local media first).
    async fn message_body(&self, msg: &OutgoingMessage) -> Result<Value> {
        let to = recipient(msg)?;
        let mut body = Map::new();
        body.insert("to".into(), Value::String(to));
        match &msg.content {
            OutgoingContent::Text { body: text, .. } => {
                if text.trim().is_empty() {
                    return Err(Error::Invalid("the message text is empty".into()));
                }
                body.insert("text".into(), Value::String(text.clone()));
            }
            OutgoingContent::Media { kind, source, caption, filename, mime } => {
                let field = media_field(*kind)?;
                let mut filename = filename.clone().filter(|f| !f.trim().is_empty());
                let url = match source {
                    MediaSource::Link(link) => link.clone(),
                    MediaSource::Path(path) => {
                        if filename.is_none() {
                            filename = path.file_name().map(|n| n.to_string_lossy().into_owned());
                        }
                        self.upload(path, mime.as_deref()).await?
                    }
                };
                if let Some(c) = caption.as_deref().filter(|c| !c.is_empty()) {
                    if matches!(field, "imageUrl" | "videoUrl" | "documentUrl") {
                        body.insert("text".into(), Value::String(c.to_string()));
                    } else {
                        tracing::debug!(field, "caption dropped: WASender shows none on this media type");
                    }
                }
                body.insert(field.into(), Value::String(url));
                if field == "documentUrl" {
                    if let Some(f) = filename {
                        body.insert("fileName".into(), Value::String(f));
                    }
                }
            }
            OutgoingContent::Location { latitude, longitude, name, address } => {
                if !(-90.0..=90.0).contains(latitude) || !(-180.0..=180.0).contains(longitude) {
                    return Err(Error::Invalid(format!("invalid location {latitude}, {longitude}: latitude must be within ±90 and longitude within ±180")));
                }
                let mut loc = Map::new();
                loc.insert("latitude".into(), json!(latitude));
                loc.insert("longitude".into(), json!(longitude));
                if let Some(n) = name.as_deref().filter(|n| !n.is_empty()) {
                    loc.insert("name".into(), Value::String(n.to_string()));
                }
                if let Some(a) = address.as_deref().filter(|a| !a.is_empty()) {
                    loc.insert("address".into(), Value::String(a.to_string()));
                }
                body.insert("messageType".into(), json!("location"));
                body.insert("location".into(), Value::Object(loc));
            }
            OutgoingContent::Contacts { contacts } => {
                body.insert("contact".into(), contact_card(contacts)?);
            }
            OutgoingContent::Reaction { .. } => return Err(Error::Invalid("WASender does not support sending reactions".into())),
            OutgoingContent::Interactive { .. } => return Err(Error::Invalid("WASender does not support interactive messages (buttons and lists)".into())),
            OutgoingContent::Template { .. } => return Err(Error::Invalid("WASender does not support message templates".into())),
        }
        // WASender's `replyTo` is its own integer msgId of an earlier send;
        // a WhatsApp id (what Wicket has for inbound messages) can't be used.
        if let Some(reply) = msg.reply_to_provider_id.as_deref() {
            match reply.trim().parse::<u64>() {
                Ok(n) if n > 0 => {
                    body.insert("replyTo".into(), json!(n));
                }
                _ => tracing::debug!("reply context dropped: WASender quotes only by its own msgId"),
            }
        }
        Ok(Value::Object(body))
    }

    /// Uploads a local file (`POST /upload`, multipart `file`) and returns
    /// the public URL WASender gives for it.
    async fn upload(&self, path: &Path, mime: Option<&str>) -> Result<String> {
        let meta = tokio::fs::metadata(path).await.map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
        if meta.len() > MAX_UPLOAD {
            return Err(provider_error(
                ErrorKind::Media,
                format!(
                    "{} is {:.1} MB; Wicket uploads files up to {} MB to WASender: send a smaller file",
                    path.display(),
                    meta.len() as f64 / MB as f64,
                    MAX_UPLOAD / MB
                ),
            ));
        }
        let bytes = tokio::fs::read(path).await.map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
        let mime = match mime.map(str::trim).filter(|m| !m.is_empty()) {
            Some(m) => m.to_string(),
            None => mime_guess::from_path(path).first_or_octet_stream().essence_str().to_string(),
        };
        let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "file".into());
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(file_name)
            .mime_str(&mime)
            .map_err(|_| Error::Invalid(format!("invalid MIME type {mime:?} for {}", path.display())))?;
        let form = reqwest::multipart::Form::new().part("file", part);
        let timeout = http::transfer_timeout(self.total_timeout, meta.len());
        let answer = self.call(self.http.post(self.url("upload")).multipart(form).timeout(timeout), "uploading the media", Credential::ApiKey).await?;
        public_url(&answer).ok_or_else(|| provider_error(ErrorKind::Media, "WASender accepted the upload but returned no publicUrl: try again".into()))
    }

    /// Not possible with an id alone: WASender's `POST /messages/read`
    /// needs the chat's JID with the message id. Always an
    /// [`Error::Invalid`] that says so (never a faked success); use
    /// [`WasenderClient::mark_read_in_chat`].
    pub async fn mark_read(&self, provider_message_id: &str) -> Result<()> {
        Err(Error::Invalid(format!(
            "WASender needs the chat's JID to mark message {provider_message_id} read, and only its id was given: read receipts are not sent for this account"
        )))
    }

    /// Marks an inbound message read (`POST /messages/read`): `remote_jid` is
    /// the chat (the contact's `jid`), `participant` the sender in a group.
    pub async fn mark_read_in_chat(&self, provider_message_id: &str, remote_jid: &str, participant: Option<&str>) -> Result<()> {
        if provider_message_id.trim().is_empty() || remote_jid.trim().is_empty() {
            return Err(Error::Invalid("marking a WASender message read needs its id and its chat's JID".into()));
        }
        let remote_jid = if remote_jid.contains('@') {
            remote_jid.trim().to_string()
        } else {
            match phone_digits(remote_jid) {
                Some(d) => format!("{d}@s.whatsapp.net"),
                None => return Err(Error::Invalid(format!("{remote_jid:?} is not a WhatsApp JID or phone number"))),
            }
        };
        let mut key = json!({"id": provider_message_id.trim(), "remoteJid": remote_jid, "fromMe": false});
        if let Some(p) = participant.map(str::trim).filter(|p| !p.is_empty()) {
            key["participant"] = Value::String(p.to_string());
        }
        let body = json!({ "key": key });
        self.call(self.http.post(self.url("messages/read")).json(&body), "marking the message read", Credential::ApiKey).await?;
        Ok(())
    }

    /// Downloads inbound media: asks `POST /decrypt-media` (with the request
    /// body the webhook parser stored in `fetch_info`) for a public URL,
    /// then streams it, stopping past `max_bytes`. The caller checks the
    /// hash against `expected_sha256` (Baileys' `fileSha256`, base64).
    pub async fn download_media(&self, media: &MediaFile, max_bytes: u64) -> Result<MediaBytes> {
        let fetch_info = media
            .fetch_info
            .as_ref()
            .filter(|f| f.is_object())
            .ok_or_else(|| Error::Invalid(format!("media {} has no WASender decrypt request stored: it cannot be downloaded", media.id)))?;
        let described = media_object(fetch_info);
        let declared = media.size.map(|s| s.max(0) as u64).or_else(|| described.and_then(|m| integer(m.get("fileLength"))).map(|n| n.max(0) as u64));
        if let Some(n) = declared.filter(|n| *n > max_bytes) {
            return Err(too_big(n, max_bytes, "media"));
        }
        let answer =
            self.call(self.http.post(self.url("decrypt-media")).json(fetch_info), "decrypting the media", Credential::ApiKey).await.map_err(|e| match e {
                Error::Provider(mut pe) if pe.kind == ErrorKind::Unknown => {
                    pe.kind = ErrorKind::Media;
                    pe.message = format!("{}; WASender could not decrypt the media (it may have expired): ask the sender to send it again", pe.message);
                    Error::Provider(pe)
                }
                other => other,
            })?;
        let url = public_url(&answer)
            .ok_or_else(|| provider_error(ErrorKind::Media, "WASender decrypted the media but returned no publicUrl: try again later".into()))?;
        let (bytes, header_mime) = self.download(&url, max_bytes, "media").await?;
        let mime = media.mime.clone().or_else(|| described.and_then(|m| string(m.get("mimetype")))).or(header_mime);
        let expected_sha256 = described.and_then(|m| string(m.get("fileSha256"))).or_else(|| media.sha256.clone());
        Ok(MediaBytes { bytes, mime, expected_sha256 })
    }

    /// Every contact (`GET /contacts?paginated=true`, all pages; the plain
    /// array answer is accepted too). Entries without a usable JID are skipped.
    pub async fn contacts(&self) -> Result<Vec<SyncedContact>> {
        Ok(self.contact_list().await?.contacts)
    }

    /// Every contact (all pages), and the entries without a usable JID (by
    /// their id as WASender gave it, or their position).
    pub async fn contact_list(&self) -> Result<crate::providers::ContactList> {
        let mut out = Vec::new();
        let mut unusable = Vec::new();
        let mut page: u32 = 1;
        loop {
            let url = format!("{}?paginated=true&page={page}&limit={CONTACTS_PAGE_SIZE}", self.url("contacts"));
            let answer = self.call(self.http.get(url), "listing the contacts", Credential::ApiKey).await?;
            let (items, total_pages) = contacts_page(&answer);
            let before = out.len();
            for item in &items {
                match contact_from_item(item, None, true) {
                    Some(c) => out.push(c),
                    None => {
                        tracing::debug!("skipped a WASender contact without a usable JID");
                        let named = ["id", "jid", "lid", "phoneNumber"].iter().find_map(|k| string(item.get(*k)));
                        unusable.push(named.unwrap_or_else(|| format!("contact #{} on page {page}", unusable.len() + 1)));
                    }
                }
            }
            tracing::debug!(page, fetched = items.len(), mapped = out.len() - before, "WASender contacts page");
            match total_pages {
                Some(total) if u64::from(page) < total && !items.is_empty() => page += 1,
                _ => break,
            }
            if page > MAX_CONTACT_PAGES {
                return Err(provider_error(ErrorKind::Unknown, format!("WASender returned more than {MAX_CONTACT_PAGES} pages of contacts: stopped")));
            }
        }
        Ok(crate::providers::ContactList { contacts: out, unusable })
    }

    /// One contact by number (`GET /contacts/{digits}`); `None` when
    /// WASender does not know it.
    pub async fn contact(&self, phone: &str) -> Result<Option<SyncedContact>> {
        let digits = phone_digits(phone).ok_or_else(|| Error::Invalid(format!("{phone:?} is not a phone number")))?;
        let answer = match self.call(self.http.get(self.url(&format!("contacts/{digits}"))), "looking up the contact", Credential::ApiKey).await {
            Ok(a) => a,
            Err(Error::Provider(pe)) if pe.code.as_deref() == Some("404") => return Ok(None),
            Err(e) => return Err(e),
        };
        let item = match answer.get("data") {
            Some(d @ Value::Object(_)) => d,
            Some(_) => return Ok(None),
            None if answer.get("jid").is_some() || answer.get("id").is_some() => &answer,
            None => return Ok(None),
        };
        Ok(contact_from_item(item, Some(&digits), true))
    }

    /// A contact's profile picture (`GET /contacts/{digits}/picture`, then
    /// the image itself, size-limited); `None` when there is none.
    pub async fn profile_picture(&self, phone: &str, max_bytes: u64) -> Result<Option<MediaBytes>> {
        let digits = phone_digits(phone).ok_or_else(|| Error::Invalid(format!("{phone:?} is not a phone number")))?;
        let what = "looking up the profile picture";
        let answer = match self.call(self.http.get(self.url(&format!("contacts/{digits}/picture"))), what, Credential::ApiKey).await {
            Ok(a) => a,
            Err(Error::Provider(pe)) if pe.code.as_deref() == Some("404") => return Ok(None),
            Err(e) => return Err(e),
        };
        let data = answer.get("data");
        let url = ["imgUrl", "url", "profilePictureUrl", "pictureUrl"]
            .iter()
            .find_map(|k| string(data.and_then(|d| d.get(*k))).or_else(|| string(answer.get(*k))))
            .or_else(|| data.and_then(Value::as_str).map(str::to_string))
            .filter(|u| u.starts_with("http"));
        let Some(url) = url else {
            return Ok(None);
        };
        let (bytes, mime) = self.download(&url, max_bytes, "profile picture").await?;
        Ok(Some(MediaBytes { bytes, mime, expected_sha256: None }))
    }

    /// The account state from `GET /status`.
    pub async fn session_state(&self) -> Result<(AccountStatus, Option<String>)> {
        let (status, _) = self.status().await?;
        Ok(session_status(&status).unwrap_or_else(|| (AccountStatus::Retrying, Some(format!("WASender reports an unknown session status {status:?}")))))
    }

    /// The status of one of our sends by its WASender msgId
    /// (`GET /messages/{msgId}/info`), with WhatsApp's id for it as
    /// `provider_message_id`. `None` when WASender does not know the msgId
    /// or has no WhatsApp id or known status for it yet. PENDING (1) is
    /// reported as [`MessageStatus::Sending`] so the key id still arrives.
    pub async fn message_status(&self, provider_send_id: &str) -> Result<Option<StatusReport>> {
        let msg_id = provider_send_id.trim();
        if msg_id.is_empty() || !msg_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::Invalid(format!("{provider_send_id:?} is not a WASender msgId (a positive integer)")));
        }
        let Some(info) = self.message_info(msg_id, None).await? else {
            return Ok(None);
        };
        let Some(id) = key_id(&info) else {
            return Ok(None);
        };
        let Some(status) = info.get("status").and_then(message_status_of) else {
            return Ok(None);
        };
        let remote = string(info.pointer("/key/remoteJid")).or_else(|| string(info.get("remoteJid")));
        Ok(Some(StatusReport {
            provider_message_id: id,
            wicket_id: None,
            status,
            timestamp: now_ms(),
            error: (status == MessageStatus::Failed).then(failed_error),
            recipient: remote.and_then(|r| parse_address(&r)).map(|a| a.key()),
        }))
    }

    fn session_path(&self) -> Result<String> {
        let id = self.session_id.as_deref().ok_or_else(|| {
            Error::Invalid("set the WASender session id of this account (shown in the WASender dashboard) to let Wicket manage the webhook".into())
        })?;
        Ok(self.url(&format!("whatsapp-sessions/{id}")))
    }

    /// Points the session's webhook at `url` (`PUT /whatsapp-sessions/{id}`
    /// with the personal access token), with every event Wicket handles.
    pub async fn register_webhook(&self, url: &str) -> Result<()> {
        match url::Url::parse(url.trim()) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {}
            _ => return Err(Error::Invalid(format!("invalid webhook URL {url:?}: use the public HTTPS address of Wicket's listener"))),
        }
        let target = self.session_path()?;
        self.secret_for(Credential::PersonalAccessToken)?;
        let body = json!({"webhook_url": url.trim(), "webhook_enabled": true, "webhook_events": WEBHOOK_EVENTS});
        self.call(self.http.put(target).json(&body), "registering the webhook", Credential::PersonalAccessToken).await?;
        Ok(())
    }

    /// The session's webhook secret (`GET /whatsapp-sessions/{id}` with the
    /// personal access token), `None` when the session has none.
    pub async fn fetch_webhook_secret(&self) -> Result<Option<Secret>> {
        let target = self.session_path()?;
        self.secret_for(Credential::PersonalAccessToken)?;
        let answer = self.call(self.http.get(target), "reading the webhook secret", Credential::PersonalAccessToken).await?;
        let data = answer.get("data").unwrap_or(&answer);
        Ok(data.get("webhook_secret").and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(|s| Secret::new(s.to_string())))
    }
}

/// WhatsApp's id in a message-info answer (`key.id`, else `id` when it is
/// not WASender's integer).
fn key_id(info: &Value) -> Option<String> {
    string(info.pointer("/key/id")).or_else(|| match info.get("id") {
        Some(Value::String(s)) if !s.trim().is_empty() && !s.trim().bytes().all(|b| b.is_ascii_digit()) => Some(s.trim().to_string()),
        _ => None,
    })
}

/// The items of a contacts answer and the number of pages, if it says.
fn contacts_page(answer: &Value) -> (Vec<Value>, Option<u64>) {
    let data = answer.get("data").unwrap_or(answer);
    if let Value::Array(items) = data {
        return (items.clone(), None);
    }
    let items = ["items", "data", "contacts"]
        .iter()
        .find_map(|k| data.get(*k).and_then(Value::as_array))
        .map(|a| a.iter().filter(|i| i.is_object()).cloned().collect())
        .unwrap_or_default();
    let total = integer(data.pointer("/pagination/totalPages"))
        .or_else(|| integer(data.pointer("/pagination/total_pages")))
        .or_else(|| integer(data.pointer("/pagination/last_page")))
        .or_else(|| integer(data.get("last_page")))
        .or_else(|| integer(data.pointer("/meta/last_page")))
        .and_then(|n| u64::try_from(n).ok());
    (items, total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(to: &str, to_group: bool) -> OutgoingMessage {
        OutgoingMessage {
            to: to.into(),
            content: OutgoingContent::Text { body: "hi".into(), preview_url: false },
            reply_to_provider_id: None,
            wicket_id: 1,
            chat_id: None,
            to_group,
        }
    }

    #[test]
    fn recipients_are_e164_or_jids_as_given() {
        assert_eq!(recipient(&msg("447700900123", false)).unwrap(), "+447700900123");
        assert_eq!(recipient(&msg("+44 7700 900123", false)).unwrap(), "+447700900123");
        assert_eq!(recipient(&msg("120363041234567890@g.us", true)).unwrap(), "120363041234567890@g.us");
        assert_eq!(recipient(&msg("118237465019283@lid", false)).unwrap(), "118237465019283@lid");
        assert!(recipient(&msg("alice", false)).is_err());
    }

    #[test]
    fn contact_cards_take_the_first_meta_contact() {
        let v = json!([{"name": {"formatted_name": "Max Mustermann", "first_name": "Max"}, "phones": [{"phone": "+49 151 98765432", "type": "CELL"}]},
                       {"name": {"formatted_name": "Other"}, "phones": [{"phone": "+1"}]}]);
        assert_eq!(contact_card(&v).unwrap(), json!({"name": "Max Mustermann", "phone": "+49 151 98765432"}));
        let parts = json!({"name": {"first_name": "Max", "last_name": "M"}, "phones": [{"wa_id": "4915198765432"}]});
        assert_eq!(contact_card(&parts).unwrap(), json!({"name": "Max M", "phone": "+4915198765432"}));
        assert!(contact_card(&json!([])).is_err());
        assert!(contact_card(&json!([{"name": {"formatted_name": "No phone"}}])).is_err());
    }

    #[test]
    fn session_statuses_are_case_insensitive() {
        assert_eq!(session_status("CONNECTED").map(|s| s.0), Some(AccountStatus::Ok));
        assert_eq!(session_status("NEED_SCAN").map(|s| s.0), Some(AccountStatus::Disconnected));
        assert_eq!(session_status("connecting").map(|s| s.0), Some(AccountStatus::Retrying));
        assert_eq!(session_status("whatever"), None);
    }

    #[test]
    fn message_statuses_numeric_and_string() {
        assert_eq!(message_status_of(&json!(3)), Some(MessageStatus::Delivered));
        assert_eq!(message_status_of(&json!("4")), Some(MessageStatus::Read));
        assert_eq!(message_status_of(&json!("DELIVERY_ACK")), Some(MessageStatus::Delivered));
        assert_eq!(message_status_of(&json!("played")), Some(MessageStatus::Played));
        assert_eq!(message_status_of(&json!(0)), Some(MessageStatus::Failed));
        assert_eq!(message_status_of(&json!(9)), None);
    }

    #[test]
    fn placeholders_are_recognisable() {
        assert_eq!(placeholder_id("100482"), "wasender-msg-100482");
        assert!(is_placeholder_id("wasender-msg-100482"));
        assert!(!is_placeholder_id("3EB0C0FFEE1234567890"));
    }

    #[test]
    fn debug_never_shows_secrets() {
        let c = WasenderClient::new(
            "https://www.wasenderapi.com/api/",
            Secret::new("supersecretapikey".into()),
            Some(Secret::new("patsecret123".into())),
            Some("41".into()),
        )
        .unwrap();
        let d = format!("{c:?}");
        assert!(!d.contains("supersecret") && !d.contains("patsecret"), "{d}");
        assert_eq!(c.base_url(), "https://www.wasenderapi.com/api");
        assert_eq!(c.scrub("key supersecretapikey and patsecret123".into()), "key <redacted> and <redacted>");
    }

    #[test]
    fn bad_settings_are_refused() {
        let key = || Secret::new("k".into());
        assert!(WasenderClient::new("ftp://x", key(), None, None).is_err());
        assert!(WasenderClient::new("https://x", Secret::new(String::new()), None, None).is_err());
        assert!(WasenderClient::new("https://x", key(), None, Some("4/../1".into())).is_err());
    }

    #[test]
    fn contact_pages_in_every_shape() {
        let (items, total) = contacts_page(&json!({"success": true, "data": [{"jid": "1"}]}));
        assert_eq!((items.len(), total), (1, None));
        let (items, total) = contacts_page(&json!({"data": {"items": [{"jid": "1"}], "pagination": {"totalPages": "3"}}}));
        assert_eq!((items.len(), total), (1, Some(3)));
        let (items, total) = contacts_page(&json!({"data": {"data": [{"jid": "1"}, {"jid": "2"}], "last_page": 2}}));
        assert_eq!((items.len(), total), (2, Some(2)));
    }
}
