//! [`HttpClient`]: the one way Meta, WASender and UniPile requests leave
//! Wicket and their answers come back.
//!
//! What it owns, the same for every provider: the connect and total
//! timeouts, the credential header ([`Auth`]), keeping the account's secrets
//! out of every message ([`Scrubber`], one rule), the wording of transport
//! failures (a timeout, a refused connection, a broken one), size limits on
//! every body it reads, the provider's wait ([`RetryAfterRule`]: header,
//! reset header, JSON body field, capped), and the send rule: once a send's
//! request may have left, a failure is [`ErrorKind::OutcomeUnknown`], never
//! a plain error that invites a second send.
//!
//! What it leaves to each provider: building URLs and bodies, and what a
//! refusal means ([`ErrorHooks`]: the provider's error table turns a status
//! and body into a [`ProviderError`]; the client then scrubs and logs it).
//!
//! Every request goes out through `dispatch`: the single place where a
//! per-account rate limiter can wait for its slot before the credential is
//! attached (none is applied yet).

use super::scrub::Scrubber;
use super::wait::RetryAfterRule;
use super::{open_send_outcome, outcome_unknown, provider_error, seconds};
use crate::error::{Error, ErrorKind, ProviderError, Result};
use crate::secrets::Secret;
use serde_json::Value;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// How a provider's messages name it and what they tell the owner to check.
#[derive(Debug)]
pub struct Wording {
    /// The API as transport errors name it: "Meta's Graph API", "UniPile".
    pub service: &'static str,
    /// The provider as answers name it: "Meta" (→ "Meta's answer").
    pub short: &'static str,
    /// What to check when the provider cannot be reached.
    pub connect_hint: &'static str,
    /// What to check when an answer is larger than any real one.
    pub too_large_hint: &'static str,
    /// What to check when an answer is not JSON.
    pub not_json_hint: &'static str,
    /// The reason a send answered HTTP 504 (a gateway gave up waiting: the
    /// message may have gone out).
    pub gateway_timeout: fn(u16) -> String,
}

/// One provider's fixed settings.
#[derive(Debug)]
pub struct Profile {
    pub wording: Wording,
    /// The largest JSON answer read.
    pub max_json_body: u64,
    /// How much of an error body is read to map it.
    pub max_error_body: u64,
    /// Where the provider says how long to wait.
    pub retry_after: RetryAfterRule,
    /// Whether an empty 2xx answer reads as JSON `null` (WASender answers
    /// some calls with nothing) rather than as "not JSON".
    pub empty_answer_is_null: bool,
}

/// The credential a request carries.
#[derive(Clone)]
pub enum Auth {
    /// `Authorization: Bearer <secret>` (Meta, WASender).
    Bearer(Secret),
    /// `<name>: <secret>` (UniPile's `X-API-KEY`).
    Header(&'static str, Secret),
}

/// What a provider makes of a refusal. The client scrubs the message of the
/// result and logs it; the hook only maps.
pub trait ErrorHooks: Send + Sync {
    /// A non-2xx answer: `body` is its first `max_error_body` bytes, `wait`
    /// the provider's wait by its [`RetryAfterRule`] (already capped),
    /// `what` what Wicket was doing ("sending the message").
    fn refused(&self, status: u16, body: &[u8], wait: Option<u64>, what: &str) -> ProviderError;

    /// An error carried inside a 2xx JSON answer (Meta's `error` object,
    /// WASender's `success: false`), if the answer holds one.
    fn refused_in_answer(&self, _answer: &Value, _raw: &[u8], _what: &str) -> Option<ProviderError> {
        None
    }
}

/// A provider API client: cheap to clone (clones share the connection pool).
#[derive(Clone)]
pub struct HttpClient {
    http: reqwest::Client,
    profile: &'static Profile,
    /// Where the provider is, as connect errors name it.
    address: String,
    auth: Auth,
    scrubber: Scrubber,
    hooks: Arc<dyn ErrorHooks>,
    total_timeout: Duration,
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient").field("service", &self.profile.wording.service).field("address", &self.address).field("auth", &"<redacted>").finish()
    }
}

impl HttpClient {
    /// A client for `profile` at `address` that authenticates with `auth`
    /// and keeps `auth`'s secret and every one of `also_scrub` out of its
    /// messages, with the default timeouts.
    pub fn new(
        profile: &'static Profile,
        address: impl Into<String>,
        auth: Auth,
        also_scrub: impl IntoIterator<Item = Secret>,
        hooks: Arc<dyn ErrorHooks>,
    ) -> Result<HttpClient> {
        let own = match &auth {
            Auth::Bearer(s) | Auth::Header(_, s) => s.clone(),
        };
        Ok(HttpClient {
            http: super::client()?,
            profile,
            address: address.into(),
            auth,
            scrubber: Scrubber::new(std::iter::once(own).chain(also_scrub)),
            hooks,
            total_timeout: super::TOTAL_TIMEOUT,
        })
    }

    /// The same client with other timeouts (tests use short ones).
    pub fn with_timeouts(mut self, connect: Duration, total: Duration) -> Result<HttpClient> {
        self.http = super::client_with(connect, total)?;
        self.total_timeout = total;
        Ok(self)
    }

    /// The same transport, timeouts and secrets to scrub with another
    /// credential and its own hooks (WASender's personal access token).
    pub fn with_auth(&self, auth: Auth, hooks: Arc<dyn ErrorHooks>) -> HttpClient {
        HttpClient { auth, hooks, ..self.clone() }
    }

    pub fn total_timeout(&self) -> Duration {
        self.total_timeout
    }

    pub fn profile(&self) -> &'static Profile {
        self.profile
    }

    /// A request without the credential yet: [`Self::execute`],
    /// [`Self::call`] and [`Self::send_once`] attach it, [`Self::fetch`]
    /// never does.
    pub fn get(&self, url: impl reqwest::IntoUrl) -> reqwest::RequestBuilder {
        self.http.get(url)
    }

    pub fn post(&self, url: impl reqwest::IntoUrl) -> reqwest::RequestBuilder {
        self.http.post(url)
    }

    pub fn put(&self, url: impl reqwest::IntoUrl) -> reqwest::RequestBuilder {
        self.http.put(url)
    }

    pub fn patch(&self, url: impl reqwest::IntoUrl) -> reqwest::RequestBuilder {
        self.http.patch(url)
    }

    pub fn delete(&self, url: impl reqwest::IntoUrl) -> reqwest::RequestBuilder {
        self.http.delete(url)
    }

    /// Keeps the client's secrets out of `message`.
    pub fn scrub(&self, message: String) -> String {
        self.scrubber.scrub(message)
    }

    /// A transport failure as the provider error the owner sees:
    /// [`ErrorKind::Unavailable`] (Wicket retries later).
    pub fn transport_error(&self, e: reqwest::Error, what: &str) -> Error {
        let w = &self.profile.wording;
        let service = w.service;
        let message = if e.is_timeout() {
            format!("{service} did not answer within {} ({what}): Wicket retries later", seconds(self.total_timeout))
        } else if e.is_connect() {
            format!("cannot reach {service} at {} ({what}): {}; Wicket retries later", self.address, w.connect_hint)
        } else {
            format!("the connection to {service} failed ({what}): {}; Wicket retries later", e.without_url())
        };
        provider_error(ErrorKind::Unavailable, self.scrub(message))
    }

    /// The only way out: every request leaves here, with the credential
    /// when `authenticated`. (A per-account rate limiter waits here.)
    async fn dispatch(&self, req: reqwest::RequestBuilder, authenticated: bool) -> reqwest::Result<reqwest::Response> {
        let req = match (&self.auth, authenticated) {
            (_, false) => req,
            (Auth::Bearer(s), true) => req.bearer_auth(s.expose()),
            (Auth::Header(name, s), true) => req.header(*name, s.expose()),
        };
        req.send().await
    }

    /// Sends with the credential; a non-2xx answer becomes the provider's
    /// error (scrubbed, with its wait).
    pub async fn execute(&self, req: reqwest::RequestBuilder, what: &str) -> Result<reqwest::Response> {
        let resp = self.dispatch(req, true).await.map_err(|e| self.transport_error(e, what))?;
        if resp.status().is_success() {
            return Ok(resp);
        }
        Err(self.refusal(resp, what).await)
    }

    /// Sends without the credential (a URL the provider handed out, on
    /// another host): the answer as is, whatever its status.
    pub async fn fetch(&self, req: reqwest::RequestBuilder, what: &str) -> Result<reqwest::Response> {
        self.dispatch(req, false).await.map_err(|e| self.transport_error(e, what))
    }

    /// [`Self::execute`] and [`Self::json`]: the JSON answer.
    pub async fn call(&self, req: reqwest::RequestBuilder, what: &str) -> Result<Value> {
        let resp = self.execute(req, what).await?;
        self.json(resp, what).await
    }

    /// A refused answer as the provider's error.
    pub async fn refusal(&self, resp: reqwest::Response, what: &str) -> Error {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        // A body cut short still maps by status; reading it may not fail the call.
        let body = self.read_limited(resp, self.profile.max_error_body, true, what).await.ok().flatten().unwrap_or_default();
        let wait = self.profile.retry_after.wait(&headers, &body);
        self.refused(self.hooks.refused(status, &body, wait, what), status, what)
    }

    fn refused(&self, mut pe: ProviderError, status: u16, what: &str) -> Error {
        pe.message = self.scrub(pe.message);
        tracing::debug!(
            provider = self.profile.wording.short,
            status,
            code = pe.code.as_deref(),
            kind = pe.kind.as_str(),
            what,
            "the provider refused a request"
        );
        Error::Provider(pe)
    }

    /// The provider's wait by the headers alone (a download's refusal).
    pub fn wait_from_headers(&self, headers: &reqwest::header::HeaderMap) -> Option<u64> {
        self.profile.retry_after.from_headers(headers)
    }

    /// Reads a body up to `max` bytes: `None` when it is longer, unless
    /// `truncate`, which keeps the first `max` bytes.
    pub async fn read_limited(&self, resp: reqwest::Response, max: u64, truncate: bool, what: &str) -> Result<Option<Vec<u8>>> {
        super::read_limited(resp, max, truncate).await.map_err(|e| self.transport_error(e, what))
    }

    /// A 2xx answer as JSON, up to the profile's limit; an error the answer
    /// carries becomes the provider's error.
    pub async fn json(&self, resp: reqwest::Response, what: &str) -> Result<Value> {
        let p = self.profile;
        let w = &p.wording;
        let body = self.read_limited(resp, p.max_json_body, false, what).await?.ok_or_else(|| {
            provider_error(
                ErrorKind::Unknown,
                format!("{}'s answer ({what}) is larger than {} MB: {}", w.short, p.max_json_body / super::upload::MB, w.too_large_hint),
            )
        })?;
        if p.empty_answer_is_null && body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Null);
        }
        let answer: Value = serde_json::from_slice(&body)
            .map_err(|_| provider_error(ErrorKind::Unknown, format!("{}'s answer ({what}) is not JSON: {}", w.short, w.not_json_hint)))?;
        if let Some(pe) = self.hooks.refused_in_answer(&answer, &body, what) {
            return Err(self.refused(pe, 200, what));
        }
        Ok(answer)
    }

    /// Sends a message and returns the JSON answer. Only a failure to
    /// connect or a refusal says it did not go out; a broken connection, a
    /// timeout, a gateway's 504 or an unreadable answer after the request
    /// may have left is [`ErrorKind::OutcomeUnknown`] (it may have been
    /// sent, and is never sent again without checking).
    pub async fn send_once(&self, req: reqwest::RequestBuilder, what: &str) -> Result<Value> {
        let w = &self.profile.wording;
        let resp = match self.dispatch(req, true).await {
            Ok(resp) => resp,
            Err(e) => match open_send_outcome(e, w.service, self.total_timeout) {
                Ok(why) => return Err(outcome_unknown(self.scrub(why))),
                Err(e) => return Err(self.transport_error(e, what)),
            },
        };
        let status = resp.status().as_u16();
        if super::answer_leaves_outcome_open(status) {
            return Err(outcome_unknown((w.gateway_timeout)(status)));
        }
        if !resp.status().is_success() {
            return Err(self.refusal(resp, what).await);
        }
        let raw = match super::read_limited(resp, self.profile.max_json_body, false).await {
            Ok(Some(raw)) => raw,
            Ok(None) => return Err(outcome_unknown(format!("{} accepted the send but its answer is too large to read", w.short))),
            Err(e) => return Err(outcome_unknown(self.scrub(format!("the answer to the send was cut off ({})", e.without_url())))),
        };
        let answer: Value =
            serde_json::from_slice(&raw).map_err(|_| outcome_unknown(format!("{} answered the send with HTTP 2xx but not with JSON", w.short)))?;
        if let Some(pe) = self.hooks.refused_in_answer(&answer, &raw, what) {
            return Err(self.refused(pe, 200, what));
        }
        Ok(answer)
    }
}
