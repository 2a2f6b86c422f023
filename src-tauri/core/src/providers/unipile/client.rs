//! The UniPile (v1) client: lists and imports accounts, creates hosted-auth
//! links and waits for the account they create, polls messages, sends into a
//! chat or starts one, marks chats read, downloads attachments, lists
//! attendees as contacts and registers webhooks, all at
//! `https://{dsn}/api/v1/...` with the `X-API-KEY` header.
//!
//! Rules it keeps: the API key stays a [`Secret`] that only reaches the
//! `X-API-KEY` header of requests to the DSN (never a log line, an error
//! message or `Debug`; linked media is fetched without it); every failure
//! becomes an [`Error::Provider`] whose kind comes from [`super::errors`],
//! and transport failures are [`ErrorKind::Unavailable`] (on a send only a
//! failure to connect is: after the request went out they are
//! [`ErrorKind::OutcomeUnknown`]); every request has
//! a connect and a total timeout. Polling keeps nothing durable: the caller
//! persists the high-water mark, each poll re-reads the last
//! [`POLL_OVERLAP_MS`] and the store drops what it already has by message id.

use super::accounts::UnipileAccount;
use super::errors::map_problem;
use super::mapping::{self, contact_for, iso_ms, phone_from_digits, string, timestamp, truthy, ChatInfo, Jid};
use super::webhook::MESSAGING_EVENTS;
use crate::error::{Error, ErrorKind, Result};
use crate::model::{AccountStatus, MessageKind};
use crate::providers::http::{provider_error, retry_after, seconds};
use crate::providers::{http, ConnectionInfo, MediaBytes, MediaSource, OutgoingContent, OutgoingMessage, PollPage, SendReceipt, SyncedContact};
use crate::secrets::{Secret, SecretName, SecretStore};
use crate::store::media::MediaFile;
use crate::store::Account;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How far back each poll re-reads before the high-water mark.
pub const POLL_OVERLAP_MS: i64 = 60_000;
const POLL_PAGE_SIZE: u32 = 100;
/// Pages per poll; a longer backlog continues on the next poll.
const MAX_POLL_PAGES: usize = 20;
const LIST_PAGE_SIZE: u32 = 100;
/// A guard against a provider that never stops paging.
const MAX_LIST_PAGES: usize = 500;
/// How long a chat's name and members are trusted before a new lookup.
const CHAT_TTL: Duration = Duration::from_secs(30 * 60);
/// WhatsApp id → UniPile id entries kept for resolving quoted replies.
const MAX_WA_IDS: usize = 20_000;
const MB: u64 = 1024 * 1024;
/// The largest JSON answer Wicket reads from UniPile.
const MAX_JSON_BODY: u64 = 16 * MB;
/// How much of an error body is read to find the problem details in it.
const MAX_ERROR_BODY: u64 = 64 * 1024;
/// The largest attachment Wicket sends (WhatsApp's document limit).
const MAX_UPLOAD: u64 = 100 * MB;
/// The `name` of hosted-auth links and webhooks Wicket creates.
const NAME: &str = "wicket";

/// Normalizes a UniPile DSN as the dashboard shows it (`api8.unipile.com:13851`)
/// or as a URL (`https://…`, `http://…` for local fakes), with or without a
/// trailing `/` or `/api/v1`, to the API base `https://host:port/api/v1`.
pub fn normalize_dsn(dsn: &str) -> Result<String> {
    let t = dsn.trim();
    let bad = |why: &str| Error::Invalid(format!("invalid UniPile DSN {t:?} ({why}): use the DSN from the UniPile dashboard, e.g. api8.unipile.com:13851"));
    if t.is_empty() {
        return Err(bad("it is empty"));
    }
    let with_scheme = if t.contains("://") { t.to_string() } else { format!("https://{t}") };
    let u = url::Url::parse(&with_scheme).map_err(|_| bad("not a host and port"))?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(bad("only https (or http) is supported"));
    }
    let Some(host) = u.host_str().filter(|h| !h.is_empty()) else { return Err(bad("no host")) };
    if !u.username().is_empty() || u.password().is_some() {
        return Err(bad("it must not contain credentials"));
    }
    if u.query().is_some() || u.fragment().is_some() {
        return Err(bad("no query or fragment"));
    }
    let path = u.path().trim_end_matches('/');
    let path = path.strip_suffix("/api/v1").unwrap_or(path);
    if !path.is_empty() {
        return Err(bad("unexpected path"));
    }
    let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
    Ok(format!("{}://{host}{port}/api/v1", u.scheme()))
}

/// The two webhooks [`UnipileClient::register_webhooks`] creates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredWebhooks {
    pub messaging: String,
    pub account_status: String,
}

/// A poll that hit the page limit with older messages left (UniPile lists
/// newest first): the next poll from the same high-water mark goes on here.
#[derive(Debug, Clone)]
struct Backlog {
    input: Option<i64>,
    after: Option<String>,
    cursor: String,
    max_seen: Option<i64>,
}

#[derive(Default)]
struct State {
    chats: HashMap<String, (ChatInfo, Instant)>,
    /// WhatsApp message id (`provider_id`) → UniPile message id.
    wa_ids: HashMap<String, String>,
    backlog: Option<Backlog>,
}

/// A client for one UniPile DSN and API key, and (for messaging) one
/// UniPile account id. Cheap to clone; clones share the chat cache.
#[derive(Clone)]
pub struct UnipileClient {
    http: reqwest::Client,
    base: url::Url,
    api_key: Secret,
    account_id: Option<String>,
    total_timeout: Duration,
    poll_page_size: u32,
    max_poll_pages: usize,
    state: Arc<Mutex<State>>,
}

impl fmt::Debug for UnipileClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnipileClient").field("base", &self.base.as_str()).field("account_id", &self.account_id).field("api_key", &"<redacted>").finish()
    }
}

fn config_string(config: &Value, key: &str) -> Option<String> {
    match config.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The `items` of a list answer.
fn items(page: &Value) -> Vec<Value> {
    page.get("items").and_then(Value::as_array).cloned().unwrap_or_default()
}

/// The next page's cursor; `null`, absent or empty means the last page.
fn next_cursor(page: &Value) -> Option<String> {
    string(page.get("cursor"))
}

/// The attendee id of a new chat: a JID as given, or `<digits>@s.whatsapp.net`.
fn attendee_id(to: &str) -> Result<String> {
    let t = to.trim();
    if t.contains('@') {
        return Ok(t.to_string());
    }
    match phone_from_digits(t) {
        Some(e164) => Ok(format!("{}@s.whatsapp.net", e164.trim_start_matches('+'))),
        None => {
            Err(Error::Invalid(format!("{to:?} is not a phone number UniPile can start a chat with: use the number with its country code, e.g. +447700900123")))
        }
    }
}

/// A location sent as text: its name, address and a map link.
fn location_text(latitude: f64, longitude: f64, name: Option<&str>, address: Option<&str>) -> Result<String> {
    if !(-90.0..=90.0).contains(&latitude) || !(-180.0..=180.0).contains(&longitude) {
        return Err(Error::Invalid(format!("invalid location {latitude}, {longitude}: latitude must be within ±90 and longitude within ±180")));
    }
    let mut lines: Vec<String> = vec![];
    for part in [name, address].into_iter().flatten().map(str::trim).filter(|s| !s.is_empty()) {
        lines.push(part.to_string());
    }
    lines.push(format!("https://maps.google.com/?q={latitude},{longitude}"));
    Ok(lines.join("\n"))
}

/// Contact cards (Meta's `contacts` shape) sent as text: name, phones, emails.
fn contacts_text(contacts: &Value) -> Result<String> {
    let list: Vec<&Value> = match contacts {
        Value::Array(items) => items.iter().collect(),
        o @ Value::Object(_) => vec![o],
        _ => vec![],
    };
    let mut cards = vec![];
    for c in list {
        let name = string(c.pointer("/name/formatted_name")).or_else(|| {
            let parts: Vec<String> = ["first_name", "last_name"].iter().filter_map(|k| string(c.get("name").and_then(|n| n.get(*k)))).collect();
            (!parts.is_empty()).then(|| parts.join(" "))
        });
        let mut lines: Vec<String> = name.into_iter().collect();
        for p in c.get("phones").and_then(Value::as_array).into_iter().flatten() {
            if let Some(phone) = string(p.get("phone")).or_else(|| string(p.get("wa_id"))) {
                lines.push(format!("Tel: {phone}"));
            }
        }
        for e in c.get("emails").and_then(Value::as_array).into_iter().flatten() {
            if let Some(email) = string(e.get("email")) {
                lines.push(format!("Email: {email}"));
            }
        }
        if !lines.is_empty() {
            cards.push(lines.join("\n"));
        }
    }
    if cards.is_empty() {
        return Err(Error::Invalid("a contacts message needs at least one contact with a name or a phone number".into()));
    }
    Ok(cards.join("\n\n"))
}

/// A file to attach: bytes, file name and MIME type.
struct Upload {
    bytes: Vec<u8>,
    file_name: String,
    mime: String,
}

impl UnipileClient {
    /// The client for a UniPile account: `dsn` and `unipile_account_id`
    /// from its config, the API key from the secret store (a blocking call).
    pub fn for_account(account: &Account, secrets: &SecretStore) -> Result<UnipileClient> {
        let config = &account.config;
        let dsn = config_string(config, "dsn").ok_or_else(|| {
            Error::Invalid(format!(
                "account {} has no UniPile DSN in its config: set the DSN from the UniPile dashboard (e.g. api8.unipile.com:13851)",
                account.id
            ))
        })?;
        let account_id = config_string(config, "unipile_account_id").ok_or_else(|| {
            Error::Invalid(format!(
                "account {} has no unipile_account_id in its config: import the WhatsApp account with `wicket account add unipile --import`",
                account.id
            ))
        })?;
        let api_key = secrets.get(account.id, SecretName::ApiKey)?;
        UnipileClient::new(&dsn, api_key, Some(account_id))
    }

    /// A client from explicit settings (the setup wizard, tests). Without an
    /// account id it can list accounts and create hosted-auth links only.
    pub fn new(dsn: &str, api_key: Secret, account_id: Option<String>) -> Result<UnipileClient> {
        let base = normalize_dsn(dsn)?;
        let base = url::Url::parse(&base).map_err(|_| Error::Invalid(format!("invalid UniPile DSN {dsn:?}")))?;
        if api_key.expose().trim().is_empty() {
            return Err(Error::Invalid(format!("the UniPile API key is empty: {}", crate::secrets::REENTER_HINT)));
        }
        let account_id = account_id.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        Ok(UnipileClient {
            http: http::client()?,
            base,
            api_key,
            account_id,
            total_timeout: http::TOTAL_TIMEOUT,
            poll_page_size: POLL_PAGE_SIZE,
            max_poll_pages: MAX_POLL_PAGES,
            state: Arc::new(Mutex::new(State::default())),
        })
    }

    /// The same client with other timeouts (tests use short ones).
    pub fn with_timeouts(mut self, connect: Duration, total: Duration) -> Result<UnipileClient> {
        self.http = http::client_with(connect, total)?;
        self.total_timeout = total;
        Ok(self)
    }

    /// The same client with another poll page size (1–250) and page limit
    /// per poll (tests use small ones).
    pub fn with_poll_limits(mut self, page_size: u32, max_pages: usize) -> UnipileClient {
        self.poll_page_size = page_size.clamp(1, 250);
        self.max_poll_pages = max_pages.max(1);
        self
    }

    /// The same client for another UniPile account id.
    pub fn with_account_id(mut self, account_id: impl Into<String>) -> UnipileClient {
        self.account_id = Some(account_id.into()).map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        self
    }

    /// The API base, `https://host:port/api/v1`.
    pub fn base_url(&self) -> &str {
        self.base.as_str()
    }

    /// The DSN base without `/api/v1` (the hosted-auth `api_url`).
    pub fn api_url(&self) -> String {
        let s = self.base.as_str().trim_end_matches('/');
        s.strip_suffix("/api/v1").unwrap_or(s).to_string()
    }

    pub fn account_id(&self) -> Option<&str> {
        self.account_id.as_deref()
    }

    fn require_account(&self) -> Result<&str> {
        self.account_id
            .as_deref()
            .ok_or_else(|| Error::Invalid("this UniPile client has no account id: import a WhatsApp account first (`wicket account add unipile`)".into()))
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is a cache: a panic elsewhere leaves nothing half-done that matters.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `{base}/seg/seg…`, each segment percent-encoded.
    fn url(&self, segments: &[&str]) -> url::Url {
        let mut u = self.base.clone();
        if let Ok(mut path) = u.path_segments_mut() {
            path.pop_if_empty();
            path.extend(segments);
        }
        u
    }

    /// Keeps the API key out of a message, whatever put it there.
    fn scrub(&self, message: String) -> String {
        let key = self.api_key.expose();
        if key.len() >= 8 && message.contains(key) {
            message.replace(key, "<redacted>")
        } else {
            message
        }
    }

    fn transport_error(&self, e: reqwest::Error, what: &str) -> Error {
        let host = self.api_url();
        let message = if e.is_timeout() {
            format!("UniPile did not answer within {} ({what}): Wicket retries later", seconds(self.total_timeout))
        } else if e.is_connect() {
            format!("cannot reach UniPile at {host} ({what}): check the DSN and the internet connection; Wicket retries later")
        } else {
            format!("the connection to UniPile failed ({what}): {}; Wicket retries later", e.without_url())
        };
        provider_error(ErrorKind::Unavailable, self.scrub(message))
    }

    /// Sends the request with the API key; a non-2xx answer becomes the
    /// mapped provider error. `json` sets `accept: application/json`.
    async fn execute(&self, req: reqwest::RequestBuilder, json: bool, what: &str) -> Result<reqwest::Response> {
        let accept = if json { "application/json" } else { "*/*" };
        let resp =
            req.header("X-API-KEY", self.api_key.expose()).header(reqwest::header::ACCEPT, accept).send().await.map_err(|e| self.transport_error(e, what))?;
        if resp.status().is_success() {
            return Ok(resp);
        }
        let status = resp.status().as_u16();
        let wait = retry_after(resp.headers());
        let body = self.read_limited(resp, MAX_ERROR_BODY, true, what).await.ok().flatten().unwrap_or_default();
        let mut pe = map_problem(status, &body);
        pe.retry_after = wait;
        pe.message = self.scrub(format!("{} ({what})", pe.message));
        tracing::debug!(status, code = pe.code.as_deref(), kind = pe.kind.as_str(), what, "UniPile refused a request");
        Err(Error::Provider(pe))
    }

    /// Reads the body up to `max` bytes: `None` when it is longer, unless
    /// `truncate`, which keeps the first `max` bytes.
    async fn read_limited(&self, resp: reqwest::Response, max: u64, truncate: bool, what: &str) -> Result<Option<Vec<u8>>> {
        http::read_limited(resp, max, truncate).await.map_err(|e| self.transport_error(e, what))
    }

    async fn json(&self, resp: reqwest::Response, what: &str) -> Result<Value> {
        let body = self
            .read_limited(resp, MAX_JSON_BODY, false, what)
            .await?
            .ok_or_else(|| provider_error(ErrorKind::Unknown, format!("UniPile's answer ({what}) is larger than {} MB: check the DSN", MAX_JSON_BODY / MB)))?;
        serde_json::from_slice(&body).map_err(|_| provider_error(ErrorKind::Unknown, format!("UniPile's answer ({what}) is not JSON: check the DSN")))
    }

    async fn get_json(&self, url: url::Url, what: &str) -> Result<Value> {
        let resp = self.execute(self.http.get(url), true, what).await?;
        self.json(resp, what).await
    }

    /// Every item of a cursor-paged list, `limit` per page.
    async fn list_all(&self, segments: &[&str], query: &[(&str, &str)], what: &str, max_pages: usize) -> Result<Vec<Value>> {
        let mut all = vec![];
        let mut cursor: Option<String> = None;
        let mut seen = HashSet::new();
        for _ in 0..max_pages {
            let mut url = self.url(segments);
            {
                let mut q = url.query_pairs_mut();
                for (k, v) in query {
                    q.append_pair(k, v);
                }
                q.append_pair("limit", &LIST_PAGE_SIZE.to_string());
                if let Some(c) = &cursor {
                    q.append_pair("cursor", c);
                }
            }
            let page = self.get_json(url, what).await?;
            all.extend(items(&page));
            match next_cursor(&page) {
                Some(c) if seen.insert(c.clone()) => cursor = Some(c),
                Some(_) => {
                    tracing::warn!(what, "UniPile repeated a page cursor: stopped paging");
                    return Ok(all);
                }
                None => return Ok(all),
            }
        }
        Err(provider_error(ErrorKind::Unknown, format!("UniPile returned more than {max_pages} pages ({what}): stopped")))
    }

    // ------------------------------------------------------------ accounts

    /// Every account behind the API key (all pages), WhatsApp or not.
    pub async fn list_accounts(&self) -> Result<Vec<UnipileAccount>> {
        let all = self.list_all(&["accounts"], &[], "listing the accounts", MAX_LIST_PAGES).await?;
        Ok(all.iter().filter_map(UnipileAccount::from_value).collect())
    }

    /// One account by its UniPile id.
    pub async fn account(&self, id: &str) -> Result<UnipileAccount> {
        let raw = self.get_json(self.url(&["accounts", id]), "reading the account").await?;
        UnipileAccount::from_value(&raw)
            .ok_or_else(|| provider_error(ErrorKind::Unknown, format!("UniPile's answer for account {id} has no account id: check the DSN")))
    }

    /// A hosted-auth link to connect a new WhatsApp account (or reconnect
    /// `reconnect_account`), valid for `expires_in`. Links also expire at
    /// UniPile's daily restart: create one per click.
    pub async fn hosted_auth_link(&self, reconnect_account: Option<&str>, expires_in: Duration) -> Result<String> {
        let expires_in = chrono::Duration::from_std(expires_in).unwrap_or_else(|_| chrono::Duration::hours(1));
        let expires = (chrono::Utc::now() + expires_in).format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
        let mut body = json!({
            "type": if reconnect_account.is_some() { "reconnect" } else { "create" },
            "providers": ["WHATSAPP"],
            "api_url": self.api_url(),
            "expiresOn": expires,
            "name": NAME,
        });
        if let Some(id) = reconnect_account {
            body["reconnect_account"] = Value::String(id.to_string());
        }
        let what = "creating a hosted authentication link";
        let resp = self.execute(self.http.post(self.url(&["hosted", "accounts", "link"])).json(&body), true, what).await?;
        let answer = self.json(resp, what).await?;
        string(answer.get("url")).ok_or_else(|| provider_error(ErrorKind::Unknown, "UniPile created no hosted authentication link (no url): try again".into()))
    }

    /// Polls `GET /accounts` until a WhatsApp account that is not in `known`
    /// appears with status OK. A new account that needs re-authentication
    /// (CREDENTIALS) fails at once; other states are waited out and named if
    /// time runs out. Transient errors are retried until `timeout`.
    pub async fn wait_for_new_account(&self, known: &[String], timeout: Duration, poll_every: Duration) -> Result<UnipileAccount> {
        let deadline = Instant::now() + timeout;
        let mut last_state: Option<String> = None;
        loop {
            match self.list_accounts().await {
                Ok(all) => {
                    let new: Vec<UnipileAccount> = all.into_iter().filter(|a| a.is_whatsapp() && !known.contains(&a.id)).collect();
                    if let Some(ok) = new.iter().find(|a| a.is_ok()) {
                        return Ok(ok.clone());
                    }
                    if let Some(a) = new.iter().find(|a| a.status.as_deref() == Some("CREDENTIALS")) {
                        return Err(provider_error(
                            ErrorKind::SessionDisconnected,
                            format!(
                                "the new WhatsApp account {} ({}) needs re-authentication (CREDENTIALS): the QR code or pairing code was not completed; create a new link and scan it again (WhatsApp > Linked devices)",
                                a.name, a.id
                            ),
                        ));
                    }
                    if let Some(a) = new.first() {
                        let state = match a.status.as_deref() {
                            Some("CONNECTING") | None => format!("the new account {} is still connecting", a.id),
                            Some(s) => {
                                let (_, reason) = a.account_status();
                                format!("the new account {} is {s}: {}", a.id, reason.unwrap_or_default())
                            }
                        };
                        if last_state.as_deref() != Some(state.as_str()) {
                            tracing::info!(account = a.id, status = a.status.as_deref(), "waiting for the new UniPile account");
                        }
                        last_state = Some(state);
                    }
                }
                Err(e) if e.provider_error().is_some_and(|pe| pe.kind.is_retryable()) => {
                    last_state = Some(format!("UniPile did not answer: {e}"));
                }
                Err(e) => return Err(e),
            }
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            tokio::time::sleep(poll_every.min(deadline - now)).await;
        }
        let last = last_state.map(|s| format!(" (last seen: {s})")).unwrap_or_default();
        Err(Error::NotFound(format!(
            "no new WhatsApp account was connected in UniPile within {}{last}: finish the hosted authentication in the browser (scan the QR code with WhatsApp > Linked devices) and try again",
            seconds(timeout)
        )))
    }

    /// After a reconnect link was opened: polls `GET /accounts/{id}` until
    /// UniPile reports the account `OK` again. Other states are waited out
    /// (the owner may still be scanning) and the last one is named, with
    /// what to do, if time runs out. Transient errors are retried.
    pub async fn wait_for_reconnect(&self, id: &str, timeout: Duration, poll_every: Duration) -> Result<UnipileAccount> {
        let deadline = Instant::now() + timeout;
        let last_state = loop {
            let state = match self.account(id).await {
                Ok(a) if a.is_ok() => return Ok(a),
                Ok(a) => match a.status.as_deref() {
                    Some("CREDENTIALS") => "UniPile still waits for the QR code to be scanned (CREDENTIALS)".to_string(),
                    Some("CONNECTING") | None => "UniPile is connecting the account (CONNECTING)".to_string(),
                    Some(s) => format!("{s}: {}", a.account_status().1.unwrap_or_default()),
                },
                Err(e) if e.provider_error().is_some_and(|pe| pe.kind.is_retryable() || pe.kind == ErrorKind::SessionDisconnected) => {
                    format!("UniPile answered: {e}")
                }
                Err(e) => return Err(e),
            };
            let now = Instant::now();
            if now >= deadline {
                break state;
            }
            tokio::time::sleep(poll_every.min(deadline - now)).await;
        };
        Err(Error::NotFound(format!(
            "account {id} was not reconnected within {} (last seen: {last_state}): open the link again and scan the QR code with WhatsApp > Linked devices, then run `wicket account reconnect` again",
            seconds(timeout)
        )))
    }

    /// `GET /accounts/{id}`: proves the key, the DSN and the account id.
    pub async fn test_connection(&self) -> Result<ConnectionInfo> {
        let id = self.require_account()?;
        let a = self.account(id).await?;
        Ok(ConnectionInfo { verified_name: Some(a.name.clone()).filter(|n| !n.is_empty()), display_number: a.phone.clone(), quality_rating: None, raw: a.raw })
    }

    /// The account's state from `sources[0].status`. A disconnected-account
    /// answer is a state, not a failure.
    pub async fn account_state(&self) -> Result<(AccountStatus, Option<String>)> {
        let id = self.require_account()?;
        match self.account(id).await {
            Ok(a) => Ok(a.account_status()),
            Err(Error::Provider(pe)) if pe.kind == ErrorKind::SessionDisconnected => Ok((AccountStatus::Disconnected, Some(pe.message))),
            Err(e) => Err(e),
        }
    }

    // ------------------------------------------------------------ polling

    /// New messages since `high_water` (Unix ms; `None` on the first poll,
    /// which imports the newest pages only). Asks for everything after
    /// `high_water - POLL_OVERLAP_MS`, follows the cursor (at most
    /// `max_pages` pages per call; a longer backlog continues on the next
    /// call from the same mark), sorts by timestamp and returns the events
    /// and the new mark: the newest timestamp seen, or the input when
    /// nothing newer came (or while a backlog is still being read).
    pub async fn poll(&self, high_water: Option<i64>) -> Result<PollPage> {
        let account_id = self.require_account()?.to_string();
        let resume = {
            let mut st = self.lock();
            match st.backlog.take() {
                Some(b) if b.input == high_water => Some(b),
                _ => None,
            }
        };
        let resuming = resume.is_some();
        let (after, mut cursor, mut max_seen) = match resume {
            Some(b) => (b.after, Some(b.cursor), b.max_seen),
            None => (high_water.map(|hw| iso_ms(hw - POLL_OVERLAP_MS)), None, None),
        };
        let what = "polling messages";
        let mut fetched: Vec<Value> = vec![];
        let (mut first_ts, mut last_ts) = (None, None);
        let mut seen_cursors = HashSet::new();
        let mut pages = 0;
        let leftover = loop {
            let mut url = self.url(&["messages"]);
            {
                let mut q = url.query_pairs_mut();
                q.append_pair("account_id", &account_id);
                q.append_pair("limit", &self.poll_page_size.to_string());
                if let Some(a) = &after {
                    q.append_pair("after", a);
                }
                if let Some(c) = &cursor {
                    q.append_pair("cursor", c);
                }
            }
            let page = self.get_json(url, what).await?;
            for item in items(&page) {
                if let Some(ts) = timestamp(item.get("timestamp")) {
                    first_ts.get_or_insert(ts);
                    last_ts = Some(ts);
                    max_seen = max_seen.max(Some(ts));
                }
                fetched.push(item);
            }
            pages += 1;
            match next_cursor(&page) {
                None => break None,
                Some(c) if !seen_cursors.insert(c.clone()) => {
                    tracing::warn!("UniPile repeated a message page cursor: stopped paging");
                    break None;
                }
                Some(c) if pages >= self.max_poll_pages => break Some(c),
                Some(c) => cursor = Some(c),
            }
        };
        let newest = high_water.max(max_seen);
        let new_mark = match leftover {
            None => newest,
            Some(c) => {
                let oldest_first = !resuming && first_ts <= last_ts;
                if oldest_first || high_water.is_none() {
                    // Oldest first: the rest is newer and the next `after` reaches it.
                    // First poll: only the newest pages are imported.
                    newest
                } else {
                    // Newest first: older messages are left; keep the mark and go on next time.
                    tracing::info!(pages, "UniPile message backlog continues on the next poll");
                    self.lock().backlog = Some(Backlog { input: high_water, after, cursor: c, max_seen });
                    high_water
                }
            }
        };
        let events = self.map_messages(fetched).await;
        Ok(PollPage { events, high_water: new_mark })
    }

    /// Maps polled Message objects (sorted by time, each id once) to events,
    /// looking up each chat once.
    async fn map_messages(&self, mut fetched: Vec<Value>) -> Vec<crate::providers::ProviderEvent> {
        let mut ids = HashSet::new();
        fetched.retain(|m| string(m.get("id")).is_some_and(|id| ids.insert(id)));
        fetched.sort_by(|a, b| {
            let key = |m: &Value| (timestamp(m.get("timestamp")).unwrap_or(i64::MAX), string(m.get("id")).unwrap_or_default());
            key(a).cmp(&key(b))
        });
        {
            let mut st = self.lock();
            if st.wa_ids.len() + fetched.len() > MAX_WA_IDS {
                st.wa_ids.clear();
            }
            for m in &fetched {
                if let (Some(wa), Some(id)) = (string(m.get("provider_id")), string(m.get("id"))) {
                    st.wa_ids.insert(wa, id);
                }
            }
        }
        let mut chats: HashMap<String, ChatInfo> = HashMap::new();
        for m in &fetched {
            let Some(chat_id) = string(m.get("chat_id")) else { continue };
            if chats.contains_key(&chat_id) {
                continue;
            }
            let info = match self.chat_info(&chat_id).await {
                Ok(info) => info,
                Err(e) => {
                    tracing::debug!(chat_id, "UniPile chat lookup failed, using the message's chat id: {e}");
                    ChatInfo::default()
                }
            };
            chats.insert(chat_id, info);
        }
        let empty = ChatInfo::default();
        let resolve = |wa: &str| self.lock().wa_ids.get(wa).cloned();
        let mut events = vec![];
        for m in &fetched {
            let chat = string(m.get("chat_id")).and_then(|c| chats.get(&c)).unwrap_or(&empty);
            match mapping::message_events(m, chat, &resolve) {
                Some(ev) => events.extend(ev),
                None => tracing::warn!("skipped a UniPile message without an id"),
            }
        }
        events
    }

    /// Every chat of the account (`GET /chats?account_id=`, following the
    /// cursor), as the contact or group each is with and its chat id. Chats
    /// without new messages are listed too, so polling alone would miss them.
    pub async fn chats(&self) -> Result<Vec<crate::providers::ChatListing>> {
        let account_id = self.require_account()?.to_string();
        let all = self.list_all(&["chats"], &[("account_id", &account_id)], "listing the chats", MAX_LIST_PAGES).await?;
        let mut out = vec![];
        for chat in all {
            let Some(chat_id) = string(chat.get("id")) else { continue };
            let info = ChatInfo::from_chat(&chat);
            let Some(jid) = info.jid.as_ref() else {
                tracing::debug!(chat_id, "skipped a UniPile chat without a provider id");
                continue;
            };
            let (key, mut update) = contact_for(jid, info.name.clone(), info.is_group);
            update.raw = Some(chat.clone());
            out.push(crate::providers::ChatListing { chat_id, key, update, last_activity: timestamp(chat.get("timestamp")) });
        }
        Ok(out)
    }

    /// A chat's JID, type, name and (groups) members, cached for a while.
    async fn chat_info(&self, chat_id: &str) -> Result<ChatInfo> {
        if let Some((info, at)) = self.lock().chats.get(chat_id) {
            if at.elapsed() < CHAT_TTL {
                return Ok(info.clone());
            }
        }
        let chat = self.get_json(self.url(&["chats", chat_id]), "looking up a chat").await?;
        let mut info = ChatInfo::from_chat(&chat);
        if info.is_group {
            match self.list_all(&["chats", chat_id, "attendees"], &[], "listing a group's members", 20).await {
                Ok(members) => {
                    for a in members {
                        let jid = string(a.get("provider_id")).and_then(|p| Jid::parse(&p));
                        if let (Some(j), Some(name)) = (jid, string(a.get("name"))) {
                            info.members.insert(j.id, name);
                        }
                    }
                }
                Err(e) => tracing::debug!(chat_id, "cannot list a UniPile group's members: {e}"),
            }
        }
        self.lock().chats.insert(chat_id.to_string(), (info.clone(), Instant::now()));
        Ok(info)
    }

    // ------------------------------------------------------------ sending

    /// Sends a message: into `chat_id` when the conversation has one
    /// (`POST /chats/{id}/messages`), else starts a chat with `to`
    /// (`POST /chats`, attendee `<digits>@s.whatsapp.net` or the JID given).
    ///
    /// Media from a local path is attached; media from a link is downloaded
    /// first (without the API key, up to 100 MB) and attached. Locations and
    /// contact cards go out as text (a map link; name, phones and emails).
    /// Templates, interactive messages and reactions are refused: UniPile
    /// has no such sends for WhatsApp.
    pub async fn send(&self, msg: &OutgoingMessage) -> Result<SendReceipt> {
        let (text, upload) = self.content(msg).await?;
        // An attachment goes in the same request: give a slow link time for it.
        let timeout = http::transfer_timeout(self.total_timeout, upload.as_ref().map_or(0, |u| u.bytes.len() as u64));
        let attach = |form: reqwest::multipart::Form, upload: Option<Upload>| -> Result<reqwest::multipart::Form> {
            let form = form.text("text", text.clone());
            match upload {
                Some(u) => {
                    let part = reqwest::multipart::Part::bytes(u.bytes)
                        .file_name(u.file_name)
                        .mime_str(&u.mime)
                        .map_err(|_| Error::Invalid(format!("invalid MIME type {:?} for the attachment", u.mime)))?;
                    Ok(form.part("attachments", part))
                }
                None => Ok(form),
            }
        };
        let what = "sending the message";
        if let Some(chat_id) = msg.chat_id.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            let mut form = attach(reqwest::multipart::Form::new(), upload)?;
            if let Some(q) = msg.reply_to_provider_id.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
                form = form.text("quote_id", q.to_string());
            }
            let url = self.url(&["chats", chat_id, "messages"]);
            let answer = self.post_send(self.http.post(url).multipart(form).timeout(timeout), what).await?;
            let id = string(answer.get("message_id")).ok_or_else(|| http::outcome_unknown("UniPile accepted the send but returned no message id".into()))?;
            tracing::debug!(wicket_id = msg.wicket_id, provider_message_id = id, "UniPile accepted a message");
            return Ok(SendReceipt { provider_message_id: id, recipient_id: None, provider_send_id: None, chat_id: None });
        }
        if msg.to_group && !msg.to.contains('@') {
            return Err(Error::Invalid(format!(
                "{:?} is a group without a UniPile chat id: answer it in its conversation once a message from it arrived",
                msg.to
            )));
        }
        let attendee = attendee_id(&msg.to)?;
        let form = reqwest::multipart::Form::new().text("account_id", self.require_account()?.to_string()).text("attendees_ids", attendee);
        let form = attach(form, upload)?;
        let answer = self.post_send(self.http.post(self.url(&["chats"])).multipart(form).timeout(timeout), what).await?;
        let chat_id = string(answer.get("chat_id")).ok_or_else(|| http::outcome_unknown("UniPile started the chat but returned no chat id".into()))?;
        let id = match string(answer.get("message_id")) {
            Some(id) => id,
            None => self.newest_own_message(&chat_id).await.unwrap_or_else(|| format!("{chat_id}:wicket:{}", msg.wicket_id)),
        };
        tracing::debug!(wicket_id = msg.wicket_id, provider_message_id = id, chat_id, "UniPile started a chat");
        let recipient_id = phone_from_digits(&msg.to).map(|p| p.trim_start_matches('+').to_string());
        Ok(SendReceipt { provider_message_id: id, recipient_id, provider_send_id: None, chat_id: Some(chat_id) })
    }

    /// Finds our message for a send whose outcome was unknown: one the
    /// owner sent (`is_sender`) since `since` (Unix ms, less the poll
    /// overlap) with the send's text, in its chat (or, for a new chat, the
    /// chat with its recipient). Returns (message id, chat id).
    pub async fn find_sent(&self, msg: &OutgoingMessage, since: i64) -> Result<Option<(String, String)>> {
        let account_id = self.require_account()?.to_string();
        let Some(text) = sent_text(msg) else { return Ok(None) };
        let after = iso_ms(since - POLL_OVERLAP_MS);
        let listed = self.list_all(&["messages"], &[("account_id", &account_id), ("after", &after)], "looking for a sent message", MAX_POLL_PAGES).await?;
        let chat_id = msg.chat_id.as_deref().map(str::trim).filter(|c| !c.is_empty());
        let attendee = attendee_id(&msg.to).ok();
        let mut mine: Vec<&Value> = listed
            .iter()
            .filter(|m| truthy(m.get("is_sender")))
            .filter(|m| string(m.get("text")).unwrap_or_default().trim() == text.trim())
            .filter(|m| match chat_id {
                Some(c) => string(m.get("chat_id")).as_deref() == Some(c),
                None => attendee.is_some() && string(m.get("chat_provider_id")) == attendee,
            })
            .collect();
        mine.sort_by_key(|m| timestamp(m.get("timestamp")).unwrap_or(i64::MAX));
        Ok(mine.first().and_then(|m| Some((string(m.get("id"))?, string(m.get("chat_id"))?))))
    }

    /// Posts a send and returns its JSON answer. Only a failure to connect
    /// or a refusal says the message did not go out; a broken connection or
    /// an unreadable answer after the request was written is
    /// [`ErrorKind::OutcomeUnknown`] (it may have been sent).
    async fn post_send(&self, req: reqwest::RequestBuilder, what: &str) -> Result<Value> {
        let req = req.header("X-API-KEY", self.api_key.expose()).header(reqwest::header::ACCEPT, "application/json");
        let resp = match req.send().await {
            Ok(resp) => resp,
            Err(e) => match http::open_send_outcome(e, "UniPile", self.total_timeout) {
                Ok(why) => return Err(http::outcome_unknown(self.scrub(why))),
                Err(e) => return Err(self.transport_error(e, what)),
            },
        };
        let status = resp.status().as_u16();
        if http::answer_leaves_outcome_open(status) {
            return Err(http::outcome_unknown(format!("UniPile timed out waiting for WhatsApp (HTTP {status})")));
        }
        if !resp.status().is_success() {
            let wait = retry_after(resp.headers());
            let body = self.read_limited(resp, MAX_ERROR_BODY, true, what).await.ok().flatten().unwrap_or_default();
            let mut pe = map_problem(status, &body);
            pe.retry_after = wait;
            pe.message = self.scrub(format!("{} ({what})", pe.message));
            return Err(Error::Provider(pe));
        }
        let raw = match http::read_limited(resp, MAX_JSON_BODY, false).await {
            Ok(Some(raw)) => raw,
            Ok(None) => return Err(http::outcome_unknown("UniPile accepted the send but its answer is too large to read".into())),
            Err(e) => return Err(http::outcome_unknown(self.scrub(format!("the answer to the send was cut off ({})", e.without_url())))),
        };
        serde_json::from_slice(&raw).map_err(|_| http::outcome_unknown("UniPile answered the send with HTTP 2xx but not with JSON".into()))
    }

    /// The id of the newest message the owner sent in `chat_id`, for a
    /// `ChatStarted` answer without a message id.
    async fn newest_own_message(&self, chat_id: &str) -> Option<String> {
        let mut url = self.url(&["chats", chat_id, "messages"]);
        url.query_pairs_mut().append_pair("limit", "5");
        let page = self.get_json(url, "finding the sent message").await.ok()?;
        let mut mine: Vec<Value> = items(&page).into_iter().filter(|m| truthy(m.get("is_sender"))).collect();
        mine.sort_by_key(|m| timestamp(m.get("timestamp")).unwrap_or(0));
        mine.last().and_then(|m| string(m.get("id")))
    }

    /// The text and the attachment of a send.
    async fn content(&self, msg: &OutgoingMessage) -> Result<(String, Option<Upload>)> {
        Ok(match &msg.content {
            OutgoingContent::Text { body, .. } => {
                if body.trim().is_empty() {
                    return Err(Error::Invalid("the message is empty: type some text".into()));
                }
                (body.clone(), None)
            }
            OutgoingContent::Media { kind, source, caption, filename, mime } => {
                if !matches!(
                    kind,
                    MessageKind::Image | MessageKind::Video | MessageKind::Audio | MessageKind::Voice | MessageKind::Document | MessageKind::Sticker
                ) {
                    return Err(Error::Invalid(format!("a {kind} message cannot be sent as media")));
                }
                let upload = match source {
                    MediaSource::Path(path) => read_upload(path, filename.as_deref(), mime.as_deref()).await?,
                    MediaSource::Link(link) => self.download_link(link, filename.as_deref(), mime.as_deref()).await?,
                };
                (caption.clone().unwrap_or_default(), Some(upload))
            }
            OutgoingContent::Location { latitude, longitude, name, address } => {
                (location_text(*latitude, *longitude, name.as_deref(), address.as_deref())?, None)
            }
            OutgoingContent::Contacts { contacts } => (contacts_text(contacts)?, None),
            OutgoingContent::Reaction { .. } => return Err(Error::Invalid("UniPile can't send reactions to WhatsApp messages: react from the phone".into())),
            OutgoingContent::Interactive { .. } => {
                return Err(Error::Invalid("UniPile can't send interactive messages (buttons, lists): send text instead".into()))
            }
            OutgoingContent::Template { .. } => {
                return Err(Error::Invalid("UniPile can't send message templates: they belong to Meta's Cloud API; send text instead".into()))
            }
        })
    }

    /// Downloads linked media to attach it (no API key goes to that host).
    async fn download_link(&self, link: &str, filename: Option<&str>, mime: Option<&str>) -> Result<Upload> {
        let parsed = url::Url::parse(link.trim())
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .ok_or_else(|| Error::Invalid(format!("{link:?} is not an http(s) link: attach the file instead")))?;
        let what = "downloading the linked media";
        let media_error = |m: String| provider_error(ErrorKind::Media, m);
        let resp = self.http.get(parsed.clone()).send().await.map_err(|e| self.transport_error(e, what))?;
        if !resp.status().is_success() {
            return Err(media_error(format!("the media link answered HTTP {}: check the link or attach the file", resp.status().as_u16())));
        }
        if resp.content_length().is_some_and(|n| n > MAX_UPLOAD) {
            return Err(media_error(format!("the linked media is over {} MB: send a smaller file", MAX_UPLOAD / MB)));
        }
        let header_mime = http::mime_of(&resp);
        let bytes = self
            .read_limited(resp, MAX_UPLOAD, false, what)
            .await?
            .ok_or_else(|| media_error(format!("the linked media is over {} MB: send a smaller file", MAX_UPLOAD / MB)))?;
        let file_name = filename
            .map(str::to_string)
            .filter(|f| !f.trim().is_empty())
            .or_else(|| parsed.path_segments().and_then(|mut s| s.next_back().map(str::to_string)).filter(|s| !s.is_empty()))
            .unwrap_or_else(|| "file".into());
        let mime = mime
            .map(str::to_string)
            .filter(|m| !m.trim().is_empty())
            .or(header_mime)
            .unwrap_or_else(|| mime_guess::from_path(&file_name).first_or_octet_stream().essence_str().to_string());
        Ok(Upload { bytes, file_name, mime })
    }

    /// Marks the chat of a message read: UniPile reads chats, not messages,
    /// so the message is looked up for its chat first.
    pub async fn mark_read(&self, provider_message_id: &str) -> Result<()> {
        let message = self.get_json(self.url(&["messages", provider_message_id]), "looking up the message to mark read").await?;
        let chat_id = string(message.get("chat_id"))
            .ok_or_else(|| provider_error(ErrorKind::Unknown, format!("UniPile's message {provider_message_id} has no chat id: can't mark it read")))?;
        let body = json!({"action": "setReadStatus", "value": true});
        self.execute(self.http.patch(self.url(&["chats", &chat_id])).json(&body), true, "marking the chat read").await?;
        Ok(())
    }

    /// Downloads an attachment (`fetch_info` = message and attachment ids),
    /// streamed and stopped once more than `max_bytes` arrive. UniPile
    /// gives no hash.
    pub async fn download_media(&self, media: &MediaFile, max_bytes: u64) -> Result<MediaBytes> {
        let info = media.fetch_info.as_ref();
        let message_id = info.and_then(|i| string(i.get("message_id")));
        let attachment_id = info.and_then(|i| string(i.get("attachment_id"))).or_else(|| media.provider_media_id.clone());
        let (Some(message_id), Some(attachment_id)) = (message_id, attachment_id) else {
            return Err(Error::Invalid(format!("media {} has no UniPile message and attachment id: it can't be downloaded", media.id)));
        };
        let too_big = |n: u64| {
            provider_error(
                ErrorKind::Media,
                format!("the attachment is {n} bytes, over the limit of {max_bytes} bytes: not downloaded (raise the limit in the settings)"),
            )
        };
        if let Some(n) = media.size.and_then(|s| u64::try_from(s).ok()).filter(|n| *n > max_bytes) {
            return Err(too_big(n));
        }
        let what = "downloading the attachment";
        let url = self.url(&["messages", &message_id, "attachments", &attachment_id]);
        let resp = self.execute(self.http.get(url), false, what).await.map_err(|e| match e {
            Error::Provider(mut pe) if pe.kind == ErrorKind::Unknown => {
                pe.kind = ErrorKind::Media;
                pe.message = format!("{}; the attachment may no longer be available on the phone", pe.message);
                Error::Provider(pe)
            }
            other => other,
        })?;
        if let Some(n) = resp.content_length().filter(|n| *n > max_bytes) {
            return Err(too_big(n));
        }
        let header_mime = http::mime_of(&resp).filter(|m| m != "application/octet-stream");
        let bytes = self
            .read_limited(resp, max_bytes, false, what)
            .await?
            .ok_or_else(|| provider_error(ErrorKind::Media, format!("the attachment is larger than the limit of {max_bytes} bytes: download stopped")))?;
        Ok(MediaBytes { bytes, mime: media.mime.clone().or(header_mime), expected_sha256: None })
    }

    /// Every attendee of the account's chats (all pages) as contacts; the
    /// owner's own entry is skipped. Names are the WhatsApp display names
    /// UniPile reports (profile names, never the owner's saved names).
    pub async fn contacts(&self) -> Result<Vec<SyncedContact>> {
        let account_id = self.require_account()?.to_string();
        let all = self.list_all(&["chat_attendees"], &[("account_id", &account_id)], "listing the contacts", MAX_LIST_PAGES).await?;
        let mut out = vec![];
        for a in all {
            if truthy(a.get("is_self")) {
                continue;
            }
            let Some(jid) = string(a.get("provider_id")).and_then(|p| Jid::parse(&p)) else {
                tracing::debug!("skipped a UniPile attendee without a provider id");
                continue;
            };
            let (key, mut update) = contact_for(&jid, string(a.get("name")), false);
            update.profile_picture_url = string(a.get("picture_url"));
            update.raw = Some(a.clone());
            update.synced = true;
            out.push(SyncedContact { key, update });
        }
        Ok(out)
    }

    // ------------------------------------------------------------ webhooks

    /// Registers the messaging webhook (and the account-status one) at `url`
    /// and returns the messaging webhook's id. See [`Self::register_webhooks`].
    pub async fn register_webhook(&self, url: &str, secret: &Secret) -> Result<String> {
        Ok(self.register_webhooks(url, secret).await?.messaging)
    }

    /// Registers two webhooks to `url` for this account: `messaging` (the
    /// six message events) and `account_status`. Both send
    /// `Content-Type: application/json` and `X-Wicket-Secret: <secret>`.
    pub async fn register_webhooks(&self, url: &str, secret: &Secret) -> Result<RegisteredWebhooks> {
        let account_id = self.require_account()?.to_string();
        match url::Url::parse(url.trim()) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => {}
            _ => return Err(Error::Invalid(format!("invalid webhook URL {url:?}: use the public https URL of Wicket's listener"))),
        }
        if secret.expose().is_empty() {
            return Err(Error::Invalid("the webhook secret is empty: generate one first".into()));
        }
        let headers = json!([
            {"key": "Content-Type", "value": "application/json"},
            {"key": "X-Wicket-Secret", "value": secret.expose()},
        ]);
        let messaging = json!({
            "request_url": url.trim(), "source": "messaging", "name": NAME, "format": "json",
            "account_ids": [account_id], "enabled": true, "events": MESSAGING_EVENTS, "headers": headers,
        });
        let status = json!({
            "request_url": url.trim(), "source": "account_status", "name": format!("{NAME}-status"), "format": "json",
            "account_ids": [account_id], "enabled": true, "headers": headers,
        });
        let messaging = self.create_webhook(&messaging).await?;
        let account_status = self.create_webhook(&status).await?;
        Ok(RegisteredWebhooks { messaging, account_status })
    }

    async fn create_webhook(&self, body: &Value) -> Result<String> {
        let what = "registering the webhook";
        let resp = self.execute(self.http.post(self.url(&["webhooks"])).json(body), true, what).await?;
        let answer = self.json(resp, what).await?;
        string(answer.get("webhook_id"))
            .or_else(|| string(answer.get("id")))
            .ok_or_else(|| provider_error(ErrorKind::Unknown, "UniPile created the webhook but returned no id".into()))
    }

    /// Deletes a webhook Wicket registered.
    pub async fn delete_webhook(&self, webhook_id: &str) -> Result<()> {
        self.execute(self.http.delete(self.url(&["webhooks", webhook_id])), true, "deleting the webhook").await?;
        Ok(())
    }
}

/// Reads a local file to attach, refusing files over the upload limit.
/// The text a send puts in the chat (a caption for media), as UniPile
/// lists it; `None` when it has none to match on.
fn sent_text(msg: &OutgoingMessage) -> Option<String> {
    let text = match &msg.content {
        OutgoingContent::Text { body, .. } => body.clone(),
        OutgoingContent::Media { caption, .. } => caption.clone()?,
        OutgoingContent::Location { latitude, longitude, name, address } => location_text(*latitude, *longitude, name.as_deref(), address.as_deref()).ok()?,
        OutgoingContent::Contacts { contacts } => contacts_text(contacts).ok()?,
        _ => return None,
    };
    Some(text).filter(|t| !t.trim().is_empty())
}

async fn read_upload(path: &Path, filename: Option<&str>, mime: Option<&str>) -> Result<Upload> {
    let meta = tokio::fs::metadata(path).await.map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
    if meta.len() > MAX_UPLOAD {
        return Err(provider_error(
            ErrorKind::Media,
            format!("{} is {:.1} MB; WhatsApp accepts files up to {} MB: send a smaller file", path.display(), meta.len() as f64 / MB as f64, MAX_UPLOAD / MB),
        ));
    }
    let bytes = tokio::fs::read(path).await.map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
    let file_name = filename
        .map(str::to_string)
        .filter(|f| !f.trim().is_empty())
        .or_else(|| path.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "file".into());
    let mime = match mime.map(str::trim).filter(|m| !m.is_empty()) {
        Some(m) => m.to_string(),
        None => mime_guess::from_path(path).first_or_octet_stream().essence_str().to_string(),
    };
    Ok(Upload { bytes, file_name, mime })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dsn_forms() {
        for form in [
            "api8.unipile.com:13851",
            " https://api8.unipile.com:13851 ",
            "https://api8.unipile.com:13851/",
            "https://api8.unipile.com:13851/api/v1",
            "https://api8.unipile.com:13851/api/v1/",
            "api8.unipile.com:13851/api/v1",
        ] {
            assert_eq!(normalize_dsn(form).unwrap(), "https://api8.unipile.com:13851/api/v1", "{form:?}");
        }
        assert_eq!(normalize_dsn("http://127.0.0.1:4321").unwrap(), "http://127.0.0.1:4321/api/v1", "http kept");
        assert_eq!(normalize_dsn("api8.unipile.com").unwrap(), "https://api8.unipile.com/api/v1");
        for bad in ["", "ftp://x:1", "https://x:1/other", "https://u:p@x:1", "https://x:1?port=1", "https://"] {
            assert!(normalize_dsn(bad).is_err(), "{bad:?} must be refused");
        }
    }

    #[test]
    fn api_url_drops_the_version() {
        let c = UnipileClient::new("api8.unipile.com:13851", Secret::new("k3y-0123456789".into()), None).unwrap();
        assert_eq!(c.api_url(), "https://api8.unipile.com:13851");
        assert_eq!(c.url(&["chats", "a/b", "messages"]).as_str(), "https://api8.unipile.com:13851/api/v1/chats/a%2Fb/messages");
        let d = format!("{c:?}");
        assert!(!d.contains("k3y"), "{d}");
        assert!(UnipileClient::new("x:1", Secret::new(" ".into()), None).is_err(), "empty key refused");
    }

    /// The engine runs these on a multi-threaded runtime: no lock may be
    /// held across an await.
    #[test]
    fn futures_are_send() {
        fn is_send<T: Send>(_: T) {}
        let c = UnipileClient::new("x.example:1", Secret::new("k3y-0123456789".into()), Some("a".into())).unwrap();
        let msg = OutgoingMessage {
            to: "+447700900123".into(),
            content: OutgoingContent::Text { body: "hi".into(), preview_url: false },
            reply_to_provider_id: None,
            wicket_id: 1,
            chat_id: None,
            to_group: false,
        };
        is_send(c.poll(None));
        is_send(c.send(&msg));
        is_send(c.contacts());
        is_send(c.mark_read("m"));
        is_send(c.account_state());
        is_send(c.wait_for_new_account(&[], Duration::from_secs(1), Duration::from_secs(1)));
        is_send(c.register_webhooks("https://x", &Secret::new("s".into())));
    }

    #[test]
    fn attendees_of_new_chats() {
        assert_eq!(attendee_id("+44 7700 900123").unwrap(), "447700900123@s.whatsapp.net");
        assert_eq!(attendee_id("447700900123").unwrap(), "447700900123@s.whatsapp.net");
        assert_eq!(attendee_id("123@lid").unwrap(), "123@lid");
        assert!(attendee_id("alice").is_err());
    }

    #[test]
    fn locations_and_cards_as_text() {
        let t = location_text(51.5, -0.12, Some("Camden store"), None).unwrap();
        assert_eq!(t, "Camden store\nhttps://maps.google.com/?q=51.5,-0.12");
        assert!(location_text(91.0, 0.0, None, None).is_err());
        let c = contacts_text(&json!([{"name": {"formatted_name": "Priya Raman"}, "phones": [{"phone": "+44 7700 900123"}]}])).unwrap();
        assert_eq!(c, "Priya Raman\nTel: +44 7700 900123");
        assert!(contacts_text(&json!([])).is_err());
    }
}
