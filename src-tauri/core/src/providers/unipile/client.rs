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
//! and transport failures are [`crate::error::ErrorKind::Unavailable`] (on
//! a send only a failure to connect is: after the request went out they are
//! [`crate::error::ErrorKind::OutcomeUnknown`]); every request has a connect
//! and a total timeout. Those HTTP rules are [`HttpClient`]'s; this module
//! gives it UniPile's wording and error table and holds what the others
//! share: the DSN, the account id, URLs, cursor paging and the cache.
//!
//! The client is split by concern: `session` (accounts, hosted-auth links,
//! the connection test and state), `polling` (messages and chats), `sending`,
//! `media` (attachments), `contacts` and `webhooks`.

use super::errors::map_problem;
use super::mapping::{string, ChatInfo};
use super::polling::{Backlog, MAX_POLL_PAGES, POLL_PAGE_SIZE};
use crate::error::{Error, ErrorKind, ProviderError, Result};
use crate::providers::http::{provider_error, Auth, ErrorHooks, HttpClient, Profile, RetryAfterRule, Wording};
use crate::secrets::{Secret, SecretName, SecretStore};
use crate::store::Account;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

const LIST_PAGE_SIZE: u32 = 100;
/// A guard against a provider that never stops paging.
pub(super) const MAX_LIST_PAGES: usize = 500;
/// The `name` of hosted-auth links and webhooks Wicket creates.
pub(super) const NAME: &str = "wicket";

fn gateway_timeout(status: u16) -> String {
    format!("UniPile timed out waiting for WhatsApp (HTTP {status})")
}

/// UniPile's settings for the shared HTTP client.
static PROFILE: Profile = Profile {
    wording: Wording {
        service: "UniPile",
        short: "UniPile",
        connect_hint: "check the DSN and the internet connection",
        too_large_hint: "check the DSN",
        not_json_hint: "check the DSN",
        gateway_timeout,
    },
    // The largest JSON answer Wicket reads from UniPile.
    max_json_body: 16 * crate::providers::http::upload::MB,
    // How much of an error body is read to find the problem details in it.
    max_error_body: 64 * 1024,
    retry_after: RetryAfterRule::HEADER,
    empty_answer_is_null: false,
};

/// UniPile's error table for the shared client: problem details, decided
/// on the `type` slug (see [`super::errors`]); the message says what
/// Wicket was doing.
struct Hooks;

impl ErrorHooks for Hooks {
    fn refused(&self, status: u16, body: &[u8], wait: Option<u64>, what: &str) -> ProviderError {
        let mut pe = map_problem(status, body);
        pe.retry_after = wait;
        pe.message = format!("{} ({what})", pe.message);
        pe
    }
}

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

/// What clones of a client share: caches, never anything durable.
#[derive(Default)]
pub(super) struct State {
    pub(super) chats: HashMap<String, (ChatInfo, Instant)>,
    /// WhatsApp message id (`provider_id`) → UniPile message id.
    pub(super) wa_ids: HashMap<String, String>,
    pub(super) backlog: Option<Backlog>,
}

/// A client for one UniPile DSN and API key, and (for messaging) one
/// UniPile account id. Cheap to clone; clones share the chat cache.
#[derive(Clone)]
pub struct UnipileClient {
    /// Carries the API key (the only place it goes) and scrubs it.
    pub(super) http: HttpClient,
    base: url::Url,
    account_id: Option<String>,
    pub(super) poll_page_size: u32,
    pub(super) max_poll_pages: usize,
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
pub(super) fn items(page: &Value) -> Vec<Value> {
    page.get("items").and_then(Value::as_array).cloned().unwrap_or_default()
}

/// The next page's cursor; `null`, absent or empty means the last page.
pub(super) fn next_cursor(page: &Value) -> Option<String> {
    string(page.get("cursor"))
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
        let address = api_url(&base);
        Ok(UnipileClient {
            http: HttpClient::new(&PROFILE, address, Auth::Header("X-API-KEY", api_key), [], Arc::new(Hooks))?,
            base,
            account_id,
            poll_page_size: POLL_PAGE_SIZE,
            max_poll_pages: MAX_POLL_PAGES,
            state: Arc::new(Mutex::new(State::default())),
        })
    }

    /// The same client with other timeouts (tests use short ones).
    pub fn with_timeouts(mut self, connect: Duration, total: Duration) -> Result<UnipileClient> {
        self.http = self.http.with_timeouts(connect, total)?;
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
        api_url(&self.base)
    }

    pub fn account_id(&self) -> Option<&str> {
        self.account_id.as_deref()
    }

    pub(super) fn require_account(&self) -> Result<&str> {
        self.account_id
            .as_deref()
            .ok_or_else(|| Error::Invalid("this UniPile client has no account id: import a WhatsApp account first (`wicket account add unipile`)".into()))
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        // The state is a cache: a panic elsewhere leaves nothing half-done that matters.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `{base}/seg/seg…`, each segment percent-encoded.
    pub(super) fn url(&self, segments: &[&str]) -> url::Url {
        let mut u = self.base.clone();
        if let Ok(mut path) = u.path_segments_mut() {
            path.pop_if_empty();
            path.extend(segments);
        }
        u
    }

    /// Sends the request with the API key; a non-2xx answer becomes the
    /// mapped provider error. `json` sets `accept: application/json`.
    pub(super) async fn execute(&self, req: reqwest::RequestBuilder, json: bool, what: &str) -> Result<reqwest::Response> {
        let accept = if json { "application/json" } else { "*/*" };
        self.http.execute(req.header(reqwest::header::ACCEPT, accept), what).await
    }

    pub(super) async fn json(&self, resp: reqwest::Response, what: &str) -> Result<Value> {
        self.http.json(resp, what).await
    }

    pub(super) async fn get_json(&self, url: url::Url, what: &str) -> Result<Value> {
        let resp = self.execute(self.http.get(url), true, what).await?;
        self.json(resp, what).await
    }

    /// Every item of a cursor-paged list, `limit` per page.
    pub(super) async fn list_all(&self, segments: &[&str], query: &[(&str, &str)], what: &str, max_pages: usize) -> Result<Vec<Value>> {
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
}

/// The DSN base without `/api/v1` (the hosted-auth `api_url`).
fn api_url(base: &url::Url) -> String {
    let s = base.as_str().trim_end_matches('/');
    s.strip_suffix("/api/v1").unwrap_or(s).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::{OutgoingContent, OutgoingMessage};

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
}
