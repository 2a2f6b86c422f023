//! The Meta Cloud API client: sends every message kind (uploading local media
//! first), marks messages read, syncs templates, downloads media and tests the
//! connection, all over the Graph API at `{base_url}/{api_version}/...`.
//!
//! Rules it keeps: the access token stays a [`Secret`] that only reaches the
//! `Authorization` header (never a log line, an error message or `Debug`),
//! and is only sent to the configured Graph host and to the media URLs Meta
//! hands out; every send body carries `biz_opaque_callback_data` = the
//! Wicket message id, so status webhooks can be matched even before the send
//! returns; every failure becomes an [`Error::Provider`] whose kind comes from
//! [`super::errors`], and transport failures (timeouts, refused connections)
//! are [`ErrorKind::Unavailable`], except on the send itself: there only a
//! failure to connect is; a broken connection or an unreadable answer after
//! the request went out is [`ErrorKind::OutcomeUnknown`] (it may have been
//! sent). Every request has a connect and a total
//! timeout. The HTTP rules themselves (credential, timeouts, scrubbing,
//! limits, the send rule) are [`crate::providers::http::HttpClient`]'s; this
//! module gives it Meta's wording and error table. What to do with a
//! failure (retry, mark the account) is the engine's business.

use super::errors::map_graph_error;
use super::templates::{button_type, buttons, check_params, parse_templates_page};
use super::{DEFAULT_API_VERSION, DEFAULT_BASE_URL};
use crate::error::{Error, ErrorKind, ProviderError, Result};
use crate::model::MessageKind;
#[cfg(test)]
use crate::providers::http::retry_after;
use crate::providers::http::{provider_error, same_origin, Auth, ErrorHooks, HttpClient, Profile, RetryAfterRule, Wording};
use crate::providers::{http, ConnectionInfo, MediaBytes, MediaSource, OutgoingContent, OutgoingMessage, SendReceipt, TemplateParam};
use crate::secrets::{Secret, SecretName, SecretStore};
use crate::store::templates::{NewTemplate, Template};
use crate::store::Account;
use serde_json::{json, Map, Value};
use std::collections::HashSet;
use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

const PHONE_FIELDS: &str = "display_phone_number,verified_name,quality_rating,code_verification_status,platform_type,throughput,name_status";
const TEMPLATE_FIELDS: &str = "name,status,category,language,components,parameter_format";
const TEMPLATE_PAGE_SIZE: u32 = 50;
/// A guard against a provider that never stops paging.
const MAX_TEMPLATE_PAGES: usize = 200;
const MB: u64 = http::upload::MB;

fn gateway_timeout(status: u16) -> String {
    format!("a gateway in front of Meta's Graph API timed out (HTTP {status})")
}

/// Meta's settings for the shared HTTP client.
static PROFILE: Profile = Profile {
    wording: Wording {
        service: "Meta's Graph API",
        short: "Meta",
        connect_hint: "check the internet connection",
        too_large_hint: "check the base URL",
        not_json_hint: "check the base URL and API version",
        gateway_timeout,
    },
    // The largest JSON answer Wicket reads from the Graph API.
    max_json_body: 8 * MB,
    // How much of an error body is read to find the Graph error in it.
    max_error_body: 64 * 1024,
    retry_after: RetryAfterRule::HEADER,
    empty_answer_is_null: false,
};

/// Meta's error table for the shared client: the decision is made on the
/// Graph `error.code`, which a 200 can carry too.
struct GraphHooks;

impl ErrorHooks for GraphHooks {
    fn refused(&self, status: u16, body: &[u8], wait: Option<u64>, _what: &str) -> ProviderError {
        let mut pe = map_graph_error(status, body);
        pe.retry_after = wait;
        pe
    }

    fn refused_in_answer(&self, answer: &Value, raw: &[u8], _what: &str) -> Option<ProviderError> {
        answer.get("error").is_some_and(Value::is_object).then(|| map_graph_error(200, raw))
    }
}

/// A client for one Meta business phone number.
#[derive(Clone)]
pub struct MetaClient {
    /// Carries the access token (the only place it goes) and scrubs it.
    http: HttpClient,
    base_url: String,
    api_version: String,
    phone_number_id: String,
    business_account_id: Option<String>,
}

impl fmt::Debug for MetaClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetaClient")
            .field("base_url", &self.base_url)
            .field("api_version", &self.api_version)
            .field("phone_number_id", &self.phone_number_id)
            .field("business_account_id", &self.business_account_id)
            .field("token", &"<redacted>")
            .finish()
    }
}

/// A config value as a string: Meta ids are sometimes stored as numbers.
fn config_string(config: &Value, key: &str) -> Option<String> {
    match config.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// An id that goes into a URL path must be one path segment.
fn check_id(value: &str, what: &str) -> Result<()> {
    let bad = value.is_empty() || value.chars().any(|c| c.is_whitespace() || c.is_control() || "/?#&%\\".contains(c));
    if bad {
        return Err(Error::Invalid(format!("invalid {what} {value:?}: it is the numeric id shown in the Meta app dashboard")));
    }
    Ok(())
}

/// `to` as Meta wants it: the digits of the number, without `+`.
fn recipient(to: &str) -> Result<String> {
    let t = to.trim();
    let t = t.strip_prefix('+').or_else(|| t.strip_prefix("00")).unwrap_or(t);
    let digits: String = t.chars().filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')')).collect();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::Invalid(format!("{to:?} is not a phone number Meta can send to: use the number with its country code, e.g. +447700900123")));
    }
    Ok(digits)
}

/// A text parameter's object (media parameters are built by
/// `MetaClient::header_param`, which may upload first).
fn template_param(p: &TemplateParam) -> Value {
    match p {
        TemplateParam::Positional(v) => json!({"type": "text", "text": v}),
        TemplateParam::Named { name, value } => json!({"type": "text", "parameter_name": name, "text": value}),
        TemplateParam::Media { format, .. } => json!({"type": format}),
    }
}

/// Meta's size limits for uploads, by wire type.
fn upload_limit(wire: &str) -> u64 {
    match wire {
        "image" => 5 * MB,
        "sticker" => 500 * 1024,
        "document" => 100 * MB,
        _ => 16 * MB,
    }
}

fn media_wire_type(kind: MessageKind) -> Result<&'static str> {
    Ok(match kind {
        MessageKind::Image => "image",
        MessageKind::Audio | MessageKind::Voice => "audio",
        MessageKind::Video => "video",
        MessageKind::Document => "document",
        MessageKind::Sticker => "sticker",
        other => return Err(Error::Invalid(format!("a {other} message cannot be sent as media"))),
    })
}

fn id_string(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl MetaClient {
    /// The client for a Meta account: `phone_number_id` (required),
    /// `business_account_id`, `base_url` and `api_version` from its config,
    /// the access token from the secret store (a blocking call).
    pub fn for_account(account: &Account, secrets: &SecretStore) -> Result<MetaClient> {
        let config = &account.config;
        let phone_number_id = config_string(config, "phone_number_id").ok_or_else(|| {
            Error::Invalid(format!("account {} has no phone_number_id in its config: set the phone number id from the Meta app dashboard", account.id))
        })?;
        let base_url = config_string(config, "base_url").unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
        let api_version = config_string(config, "api_version").unwrap_or_else(|| DEFAULT_API_VERSION.to_string());
        let business_account_id = config_string(config, "business_account_id");
        let token = secrets.get(account.id, SecretName::AccessToken)?;
        MetaClient::new(base_url, api_version, phone_number_id, business_account_id, token)
    }

    /// A client from explicit settings (the setup wizard, tests). `base_url`
    /// replaces `https://graph.facebook.com`; a trailing slash is ignored.
    pub fn new(
        base_url: impl Into<String>,
        api_version: impl Into<String>,
        phone_number_id: impl Into<String>,
        business_account_id: Option<String>,
        token: Secret,
    ) -> Result<MetaClient> {
        let base_url = base_url.into().trim().trim_end_matches('/').to_string();
        match url::Url::parse(&base_url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {}
            _ => return Err(Error::Invalid(format!("invalid Graph API base URL {base_url:?}: use e.g. {DEFAULT_BASE_URL}"))),
        }
        let api_version = api_version.into().trim().to_string();
        check_id(&api_version, "Graph API version")
            .map_err(|_| Error::Invalid(format!("invalid Graph API version {api_version:?}: use e.g. {DEFAULT_API_VERSION}")))?;
        let phone_number_id = phone_number_id.into().trim().to_string();
        check_id(&phone_number_id, "phone number id")?;
        let business_account_id = business_account_id.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        if let Some(waba) = &business_account_id {
            check_id(waba, "business account id")?;
        }
        if token.is_empty() {
            return Err(Error::Invalid(format!("the access token is empty: {}", crate::secrets::REENTER_HINT)));
        }
        let http = HttpClient::new(&PROFILE, base_url.clone(), Auth::Bearer(token), [], Arc::new(GraphHooks))?;
        Ok(MetaClient { http, base_url, api_version, phone_number_id, business_account_id })
    }

    /// The same client with other timeouts (tests use short ones).
    pub fn with_timeouts(mut self, connect: Duration, total: Duration) -> Result<MetaClient> {
        self.http = self.http.with_timeouts(connect, total)?;
        Ok(self)
    }

    pub fn phone_number_id(&self) -> &str {
        &self.phone_number_id
    }

    pub fn business_account_id(&self) -> Option<&str> {
        self.business_account_id.as_deref()
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn api_version(&self) -> &str {
        &self.api_version
    }

    /// Whether `bytes` match the SHA-256 Meta gave (hex or base64).
    pub fn verify_sha256(bytes: &[u8], expected: &str) -> bool {
        crate::media_fetch::sha256_matches(bytes, expected)
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{}/{}", self.base_url, self.api_version, path)
    }

    async fn execute(&self, req: reqwest::RequestBuilder, what: &str) -> Result<reqwest::Response> {
        self.http.execute(req, what).await
    }

    async fn json(&self, resp: reqwest::Response, what: &str) -> Result<Value> {
        self.http.json(resp, what).await
    }

    /// `GET /{phone-number-id}`: proves the token and the id work together.
    pub async fn test_connection(&self) -> Result<ConnectionInfo> {
        let what = "testing the connection";
        let url = format!("{}?fields={PHONE_FIELDS}", self.url(&self.phone_number_id));
        let resp = self.execute(self.http.get(url), what).await?;
        let raw = self.json(resp, what).await?;
        let s = |k: &str| raw.get(k).and_then(Value::as_str).map(str::to_string);
        let display_number = s("display_phone_number").map(|d| match crate::phone::from_wa_id(&d) {
            Ok(e164) => e164.to_string(),
            Err(_) => d,
        });
        Ok(ConnectionInfo { verified_name: s("verified_name"), display_number, quality_rating: s("quality_rating"), raw })
    }

    /// Points this phone number's webhooks at `callback_url` (Meta's
    /// "webhook overrides"): `POST /{phone-number-id}` with
    /// `{"webhook_configuration":{"override_callback_uri","verify_token"}}`.
    /// Meta first checks the URL with the GET handshake, so the listener
    /// must already answer there. The request shape is inferred from Meta's
    /// docs, so the answer is read tolerantly: any 2xx is accepted unless
    /// it says `"success": false`. The verify token only goes in the body.
    pub async fn register_callback_override(&self, callback_url: &str, verify_token: &Secret) -> Result<()> {
        let what = "registering the webhook callback URL";
        match url::Url::parse(callback_url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {}
            _ => return Err(Error::Invalid("the webhook callback URL must be an http(s) URL with a host".into())),
        }
        if verify_token.is_empty() {
            return Err(Error::Invalid(format!("the verify token is empty: {}", crate::secrets::REENTER_HINT)));
        }
        let body = json!({"webhook_configuration": {
            "override_callback_uri": callback_url,
            "verify_token": verify_token.expose(),
        }});
        let url = self.url(&self.phone_number_id);
        let resp = self.execute(self.http.post(url).json(&body), what).await?;
        let answer = self.http.read_limited(resp, PROFILE.max_error_body, true, what).await?.unwrap_or_default();
        let parsed: Option<Value> = serde_json::from_slice(&answer).ok();
        if parsed.as_ref().and_then(|v| v.get("success")).and_then(Value::as_bool) == Some(false) {
            return Err(provider_error(
                ErrorKind::Unknown,
                "Meta answered that the callback URL was not set (success: false): set it in the App Dashboard instead".into(),
            ));
        }
        tracing::debug!(phone_number_id = %self.phone_number_id, "Meta accepted the webhook callback override");
        Ok(())
    }

    /// Sends a message. Template button values go out as URL-button text
    /// (use [`MetaClient::send_with_template`] to send quick replies right).
    pub async fn send(&self, msg: &OutgoingMessage) -> Result<SendReceipt> {
        self.send_with_template(msg, None).await
    }

    /// Sends a message; for a template message, `template` (the synced
    /// template) is checked first (approved, parameters) and decides each
    /// button's sub-type (quick reply payload, copy code or URL text).
    pub async fn send_with_template(&self, msg: &OutgoingMessage, template: Option<&Template>) -> Result<SendReceipt> {
        let body = self.message_body(msg, template).await?;
        let what = "sending the message";
        let url = self.url(&format!("{}/messages", self.phone_number_id));
        // From here on a broken connection or an unreadable answer leaves
        // the outcome open: the message may have been sent (never retried).
        let answer = self.http.send_once(self.http.post(url).json(&body), what).await?;
        let provider_message_id = id_string(answer.pointer("/messages/0/id"))
            .ok_or_else(|| http::outcome_unknown("Meta accepted the send but returned no message id (check its status in the WhatsApp Manager)".into()))?;
        let recipient_id = id_string(answer.pointer("/contacts/0/wa_id"));
        tracing::debug!(wicket_id = msg.wicket_id, provider_message_id, "Meta accepted a message");
        Ok(SendReceipt { provider_message_id, recipient_id, provider_send_id: None, chat_id: None })
    }

    /// One header parameter's object: a media header's file is uploaded
    /// first (`{"type":"image","image":{"id":...}}`) or passed as a link.
    async fn header_param(&self, p: &TemplateParam) -> Result<Value> {
        let TemplateParam::Media { format, source, filename } = p else {
            return Ok(template_param(p));
        };
        let wire = match format.as_str() {
            "image" | "video" | "document" => format.as_str(),
            other => return Err(Error::Invalid(format!("a template header cannot carry {other:?} media"))),
        };
        let mut obj = Map::new();
        match source {
            MediaSource::Path(path) => {
                obj.insert("id".into(), Value::String(self.upload(path, None, wire).await?));
            }
            MediaSource::Link(link) => {
                obj.insert("link".into(), Value::String(link.clone()));
            }
        }
        if let (Some(f), "document") = (filename.as_deref().filter(|f| !f.trim().is_empty()), wire) {
            obj.insert("filename".into(), Value::String(f.to_string()));
        }
        Ok(json!({"type": wire, wire: Value::Object(obj)}))
    }

    /// The JSON body of a send (uploading local media first).
    async fn message_body(&self, msg: &OutgoingMessage, template: Option<&Template>) -> Result<Value> {
        // A group is addressed by its opaque group id (Groups API), a person by number.
        let (recipient_type, to) = if msg.to_group { ("group", msg.to.trim().to_string()) } else { ("individual", recipient(&msg.to)?) };
        let (wire, object) = match &msg.content {
            OutgoingContent::Text { body, preview_url } => ("text", json!({"preview_url": preview_url, "body": body})),
            OutgoingContent::Media { kind, source, caption, filename, mime } => {
                let wire = media_wire_type(*kind)?;
                let mut obj = Map::new();
                let mut filename = filename.clone().filter(|f| !f.trim().is_empty());
                match source {
                    MediaSource::Path(path) => {
                        let id = self.upload(path, mime.as_deref(), wire).await?;
                        obj.insert("id".into(), Value::String(id));
                        if filename.is_none() {
                            filename = path.file_name().map(|n| n.to_string_lossy().into_owned());
                        }
                    }
                    MediaSource::Link(link) => {
                        obj.insert("link".into(), Value::String(link.clone()));
                    }
                }
                if let Some(c) = caption.as_deref().filter(|c| !c.is_empty()) {
                    if matches!(wire, "image" | "video" | "document") {
                        obj.insert("caption".into(), Value::String(c.to_string()));
                    } else {
                        tracing::debug!(wire, "caption dropped: Meta allows none on this media type");
                    }
                }
                if wire == "document" {
                    if let Some(f) = filename {
                        obj.insert("filename".into(), Value::String(f));
                    }
                }
                (wire, Value::Object(obj))
            }
            OutgoingContent::Location { latitude, longitude, name, address } => {
                if !(-90.0..=90.0).contains(latitude) || !(-180.0..=180.0).contains(longitude) {
                    return Err(Error::Invalid(format!("invalid location {latitude}, {longitude}: latitude must be within ±90 and longitude within ±180")));
                }
                let mut obj = Map::new();
                obj.insert("latitude".into(), json!(latitude));
                obj.insert("longitude".into(), json!(longitude));
                if let Some(n) = name {
                    obj.insert("name".into(), Value::String(n.clone()));
                }
                if let Some(a) = address {
                    obj.insert("address".into(), Value::String(a.clone()));
                }
                ("location", Value::Object(obj))
            }
            OutgoingContent::Contacts { contacts } => match contacts {
                Value::Array(items) if !items.is_empty() => ("contacts", contacts.clone()),
                Value::Object(_) => ("contacts", Value::Array(vec![contacts.clone()])),
                _ => return Err(Error::Invalid("a contacts message needs at least one contact object".into())),
            },
            OutgoingContent::Reaction { target_provider_id, emoji } => ("reaction", json!({"message_id": target_provider_id, "emoji": emoji})),
            OutgoingContent::Interactive { interactive } => {
                if !interactive.is_object() {
                    return Err(Error::Invalid("an interactive message needs Meta's `interactive` object".into()));
                }
                ("interactive", interactive.clone())
            }
            OutgoingContent::Template { name, language, header_params, body_params, button_params } => {
                if let Some(t) = template {
                    if &t.name != name || &t.language != language {
                        return Err(Error::Invalid(format!(
                            "the message names template {name:?} ({language}) but the synced template is {:?} ({})",
                            t.name, t.language
                        )));
                    }
                    check_params(t, header_params, body_params, button_params)?;
                }
                let mut header = Vec::with_capacity(header_params.len());
                for p in header_params {
                    header.push(self.header_param(p).await?);
                }
                ("template", template_object(name, language, header, body_params, button_params, template))
            }
        };
        let mut body = Map::new();
        body.insert("messaging_product".into(), json!("whatsapp"));
        body.insert("recipient_type".into(), json!(recipient_type));
        body.insert("to".into(), Value::String(to));
        body.insert("type".into(), json!(wire));
        body.insert(wire.into(), object);
        if let Some(reply) = msg.reply_to_provider_id.as_deref().filter(|r| !r.is_empty()) {
            if wire != "reaction" {
                body.insert("context".into(), json!({"message_id": reply}));
            }
        }
        body.insert("biz_opaque_callback_data".into(), Value::String(msg.wicket_id.to_string()));
        Ok(Value::Object(body))
    }

    /// Uploads a local file (`POST /{phone-number-id}/media`) and returns
    /// the media id. Files over Meta's size limit are refused before upload.
    async fn upload(&self, path: &Path, mime: Option<&str>, wire: &str) -> Result<String> {
        let limit = upload_limit(wire);
        let too_big = |size: u64| {
            format!("{} is {} MB; Meta accepts {wire} files up to {} MB: send a smaller file", path.display(), http::upload::mb(size), http::upload::mb(limit))
        };
        let file = http::upload::read_file(path, limit, too_big, None, mime).await?;
        let (size, mime) = (file.bytes.len() as u64, file.mime.clone());
        let part = file.into_part(&path.display().to_string())?;
        let form = reqwest::multipart::Form::new().text("messaging_product", "whatsapp").text("type", mime).part("file", part);
        let what = "uploading the media";
        let url = self.url(&format!("{}/media", self.phone_number_id));
        let timeout = http::transfer_timeout(self.http.total_timeout(), size);
        let resp = self.execute(self.http.post(url).multipart(form).timeout(timeout), what).await?;
        let answer = self.json(resp, what).await?;
        id_string(answer.get("id")).ok_or_else(|| provider_error(ErrorKind::Media, "Meta accepted the upload but returned no media id: try again".into()))
    }

    /// Marks an inbound message read (blue ticks).
    pub async fn mark_read(&self, provider_message_id: &str) -> Result<()> {
        let body = json!({"messaging_product": "whatsapp", "status": "read", "message_id": provider_message_id});
        let url = self.url(&format!("{}/messages", self.phone_number_id));
        self.execute(self.http.post(url).json(&body), "marking the message read").await?;
        Ok(())
    }

    /// The typing indicator: Meta's read receipt of the customer's message
    /// with `typing_indicator`, shown until the reply or for 25 s.
    pub async fn typing_indicator(&self, provider_message_id: &str) -> Result<()> {
        let body = json!({"messaging_product": "whatsapp", "status": "read", "message_id": provider_message_id, "typing_indicator": {"type": "text"}});
        let url = self.url(&format!("{}/messages", self.phone_number_id));
        self.execute(self.http.post(url).json(&body), "showing the customer that you are typing").await?;
        Ok(())
    }

    /// Every template of the business account, following `paging.next`.
    pub async fn templates(&self) -> Result<Vec<NewTemplate>> {
        let waba = self
            .business_account_id
            .as_deref()
            .ok_or_else(|| Error::Invalid("set the business account id (WABA id, in the WhatsApp Manager) of this account to sync its templates".into()))?;
        let first = format!("{}?fields={TEMPLATE_FIELDS}&limit={TEMPLATE_PAGE_SIZE}", self.url(&format!("{waba}/message_templates")));
        let what = "listing the templates";
        let mut all = Vec::new();
        let mut seen = HashSet::new();
        let mut next = Some(first);
        while let Some(url) = next.take() {
            if !seen.insert(url.clone()) {
                break;
            }
            if seen.len() > MAX_TEMPLATE_PAGES {
                return Err(provider_error(ErrorKind::Unknown, format!("Meta returned more than {MAX_TEMPLATE_PAGES} pages of templates: stopped")));
            }
            let resp = self.execute(self.http.get(&url), what).await?;
            let page = self.json(resp, what).await?;
            let (list, page_next) = parse_templates_page(&page);
            all.extend(list);
            next = match page_next {
                Some(n) if same_origin(&n, &self.base_url) => Some(n),
                // Never send the token elsewhere: page on with the cursor instead.
                Some(n) => match page.pointer("/paging/cursors/after").and_then(Value::as_str) {
                    Some(after) => {
                        let mut u = url::Url::parse(&url).map_err(|_| Error::Internal(format!("cannot parse the template list URL for {waba}")))?;
                        let keep: Vec<(String, String)> =
                            u.query_pairs().filter(|(k, _)| k != "after").map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
                        u.query_pairs_mut().clear().extend_pairs(keep).append_pair("after", after);
                        Some(u.to_string())
                    }
                    None => {
                        let host = url::Url::parse(&n).ok().and_then(|u| u.host_str().map(str::to_string)).unwrap_or_default();
                        return Err(provider_error(
                            ErrorKind::Unknown,
                            format!("Meta's next page of templates is on another host ({host}): Wicket does not send the token there"),
                        ));
                    }
                },
                None => None,
            };
        }
        Ok(all)
    }

    /// Downloads inbound media: looks up its URL, refuses it if Meta says it
    /// is over `max_bytes`, then streams it (with the Bearer header) and
    /// stops once more than `max_bytes` arrive. The caller checks the hash.
    pub async fn download_media(&self, media_id: &str, max_bytes: u64) -> Result<MediaBytes> {
        check_id(media_id, "media id")?;
        let what = "looking up the media";
        let resp = self.execute(self.http.get(self.url(media_id)), what).await.map_err(|e| match e {
            Error::Provider(mut pe) if pe.code.as_deref() == Some("100") => {
                pe.kind = ErrorKind::Media;
                pe.message = "Meta no longer has this media (it expired or the id is unknown): ask the sender to send it again".into();
                Error::Provider(pe)
            }
            other => other,
        })?;
        let info = self.json(resp, what).await?;
        let url = info
            .get("url")
            .and_then(Value::as_str)
            .filter(|u| !u.is_empty())
            .ok_or_else(|| provider_error(ErrorKind::Media, "Meta gave no download URL for this media: try again later".into()))?;
        let size = match info.get("file_size") {
            Some(Value::Number(n)) => n.as_u64(),
            Some(Value::String(s)) => s.trim().parse::<u64>().ok(),
            _ => None,
        };
        let too_big = |n: u64| {
            provider_error(
                ErrorKind::Media,
                format!("the media is {n} bytes, over the limit of {max_bytes} bytes: not downloaded (raise the limit in the settings)"),
            )
        };
        if let Some(n) = size.filter(|n| *n > max_bytes) {
            return Err(too_big(n));
        }
        let https = url::Url::parse(url).map(|u| u.scheme() == "https").unwrap_or(false);
        if !https && !same_origin(url, &self.base_url) {
            return Err(provider_error(ErrorKind::Media, "Meta gave a media URL that is not HTTPS: not downloaded".into()));
        }
        let what = "downloading the media";
        let timeout = http::transfer_timeout(self.http.total_timeout(), size.unwrap_or(max_bytes).min(max_bytes));
        let resp = self.execute(self.http.get(url).timeout(timeout), what).await.map_err(|e| match e {
            Error::Provider(mut pe) if pe.code.is_none() && pe.kind == ErrorKind::Unknown => {
                pe.kind = ErrorKind::Media;
                pe.message = format!("{}; the download link may have expired: try again", pe.message);
                Error::Provider(pe)
            }
            other => other,
        })?;
        if let Some(n) = resp.content_length().filter(|n| *n > max_bytes) {
            return Err(too_big(n));
        }
        let header_mime = http::mime_of(&resp);
        let bytes = self
            .http
            .read_limited(resp, max_bytes, false, what)
            .await?
            .ok_or_else(|| provider_error(ErrorKind::Media, format!("the media is larger than the limit of {max_bytes} bytes: download stopped")))?;
        let s = |k: &str| info.get(k).and_then(Value::as_str).filter(|v| !v.is_empty()).map(str::to_string);
        Ok(MediaBytes { bytes, mime: s("mime_type").or(header_mime), expected_sha256: s("sha256") })
    }
}

/// The `template` object of a send; `header` holds the header's parameter
/// objects (media already uploaded).
fn template_object(
    name: &str,
    language: &str,
    header: Vec<Value>,
    body: &[TemplateParam],
    button_params: &[(u32, String)],
    template: Option<&Template>,
) -> Value {
    let mut components = Vec::new();
    if !header.is_empty() {
        components.push(json!({"type": "header", "parameters": header}));
    }
    if !body.is_empty() {
        components.push(json!({"type": "body", "parameters": body.iter().map(template_param).collect::<Vec<_>>()}));
    }
    let synced = template.map(buttons).unwrap_or_default();
    for (index, value) in button_params {
        let kind = synced.get(*index as usize).map(|b| button_type(b)).unwrap_or_default();
        let component = match kind.as_str() {
            "QUICK_REPLY" => json!({"type": "button", "sub_type": "quick_reply", "index": index.to_string(),
                                     "parameters": [{"type": "payload", "payload": value}]}),
            "COPY_CODE" => json!({"type": "button", "sub_type": "copy_code", "index": index.to_string(),
                                   "parameters": [{"type": "coupon_code", "coupon_code": value}]}),
            _ => json!({"type": "button", "sub_type": "url", "index": index.to_string(),
                        "parameters": [{"type": "text", "text": value}]}),
        };
        components.push(component);
    }
    let mut obj = Map::new();
    obj.insert("name".into(), json!(name));
    obj.insert("language".into(), json!({"code": language}));
    if !components.is_empty() {
        obj.insert("components".into(), Value::Array(components));
    }
    Value::Object(obj)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipient_is_digits_without_plus() {
        assert_eq!(recipient("+44 7700 900123").unwrap(), "447700900123");
        assert_eq!(recipient("447700900123").unwrap(), "447700900123");
        assert_eq!(recipient("+1 (555) 010-2030").unwrap(), "15550102030");
        assert!(recipient("alice").is_err());
        assert!(recipient("+").is_err());
    }

    #[test]
    fn debug_never_shows_the_token() {
        let c = MetaClient::new("https://graph.facebook.com/", "v23.0", "123", None, Secret::new("EAAGsupersecrettoken".into())).unwrap();
        let d = format!("{c:?}");
        assert!(!d.contains("supersecret"), "{d}");
        assert_eq!(c.base_url(), "https://graph.facebook.com", "trailing slash stripped");
    }

    #[test]
    fn config_ids_may_be_numbers() {
        let cfg = json!({"phone_number_id": 318273645501234_u64, "business_account_id": " 99 ", "base_url": ""});
        assert_eq!(config_string(&cfg, "phone_number_id").as_deref(), Some("318273645501234"));
        assert_eq!(config_string(&cfg, "business_account_id").as_deref(), Some("99"));
        assert_eq!(config_string(&cfg, "base_url"), None, "empty means default");
    }

    #[test]
    fn bad_settings_are_refused() {
        let tok = || Secret::new("t".into());
        assert!(MetaClient::new("ftp://x", "v23.0", "1", None, tok()).is_err());
        assert!(MetaClient::new("https://x", "v23.0", "1/../2", None, tok()).is_err());
        assert!(MetaClient::new("https://x", "", "1", None, tok()).is_err());
        assert!(MetaClient::new("https://x", "v23.0", "1", None, Secret::new(String::new())).is_err());
    }

    #[test]
    fn retry_after_seconds() {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert(reqwest::header::RETRY_AFTER, reqwest::header::HeaderValue::from_static("7"));
        assert_eq!(retry_after(&h), Some(7));
    }
}
