//! The listener's routes: `/health`, and per provider `GET` (subscription
//! handshake) and `POST` (events) on `/webhooks/{provider}/{account-id}`.
//!
//! The rules kept here: a POST is authenticated on its raw bytes, with the
//! secrets held in memory, before anything parses it, and is answered 200
//! only once the writer says it is committed. A Meta change is applied only
//! to an account whose app secret signed it; a signed body that does not
//! parse is kept for a replay and answered 200. A provider is one [`Source`] variant: its URL segment, its
//! handshake, its authentication and its parser (Meta: HMAC of the body
//! with the app secret; WASender and UniPile: a shared secret in a header).

use super::connections::{Phase, Slot};
use super::credentials::{Credentials, Entry};
use super::signature::{tokens_match, verify_meta_signature, META_SIGNATURE_HEADER};
use super::writer::{self, Done, IngestJob, Jobs, Work};
use crate::model::Provider;
use crate::providers::{meta, unipile, wasender, ProviderEvent};
use crate::secrets::{Secret, SecretName, REENTER_HINT};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_LENGTH};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::json;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

/// What every request handler shares: the accounts and their secrets in
/// memory, the way to the writer, the body limits and the bad-signature count.
pub(crate) struct Ctx {
    pub credentials: Arc<Credentials>,
    pub jobs: Jobs,
    pub max_body: usize,
    pub body_timeout: Duration,
    /// Refused signatures not yet added to the stored counter.
    pub bad_signatures: AtomicU64,
    /// How long a request waits for the accounts to be read again.
    pub look_again_wait: Duration,
}

/// A provider that posts to `/webhooks/{segment}/{account-id}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    Meta,
    Wasender,
    Unipile,
}

/// The header carrying UniPile's secret: one Wicket chooses and sets when it
/// registers the webhook (UniPile signs nothing itself).
pub(crate) const UNIPILE_SECRET_HEADER: &str = "X-Wicket-Secret";

/// Where a parsed change goes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RouteKey {
    /// The account in the URL (gateways: one webhook per session).
    PathAccount,
    /// The account whose config has `key` = `value` (Meta: one callback URL
    /// per app, several numbers behind it).
    Config { key: &'static str, value: String },
    /// Every account whose config has `key` = `value` (Meta's account-level
    /// changes name the business account, which several numbers share).
    EveryConfig { key: &'static str, value: String },
    /// The body did not say; stored raw, not applied.
    Missing,
}

#[derive(Debug)]
pub(crate) struct Change {
    pub route: RouteKey,
    pub events: Vec<ProviderEvent>,
}

enum Auth {
    Ok,
    Refused,
    /// The secret to check with is missing or unreadable: the owner must act.
    Unavailable(String),
}

impl Source {
    pub(crate) fn from_segment(segment: &str) -> Option<Source> {
        match segment {
            "meta" => Some(Source::Meta),
            "wasender" => Some(Source::Wasender),
            "unipile" => Some(Source::Unipile),
            _ => None,
        }
    }

    /// The name in `webhook_events.provider`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Source::Meta => "meta",
            Source::Wasender => "wasender",
            Source::Unipile => "unipile",
        }
    }

    pub(crate) fn provider(self) -> Provider {
        match self {
            Source::Meta => Provider::Meta,
            Source::Wasender => Provider::Wasender,
            Source::Unipile => Provider::Unipile,
        }
    }

    fn handshake(self, entry: &Entry, query: &str) -> Reply {
        match self {
            Source::Meta => {
                let mut mode = None;
                let mut token = None;
                let mut challenge = None;
                for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
                    match k.as_ref() {
                        "hub.mode" => mode = Some(v.into_owned()),
                        "hub.verify_token" => token = Some(v.into_owned()),
                        "hub.challenge" => challenge = Some(v.into_owned()),
                        _ => {}
                    }
                }
                let account = entry.account.id;
                let Some(expected) = entry.verify_token.as_ref() else {
                    if let Some(e) = &entry.unavailable {
                        tracing::warn!(account, "webhook handshake: secret store unavailable: {e}");
                        return Reply::error(503, "the secret store is unavailable");
                    }
                    tracing::warn!(account, "webhook handshake refused: no verify token stored");
                    return Reply::error(403, "verification refused");
                };
                match (mode.as_deref(), token, challenge) {
                    (Some("subscribe"), Some(token), Some(challenge)) if tokens_match(&token, expected.expose()) => {
                        tracing::info!(account, "Meta webhook subscription verified");
                        Reply::text(200, challenge)
                    }
                    _ => {
                        tracing::warn!(account, "webhook handshake refused: wrong mode or verify token");
                        Reply::error(403, "verification refused")
                    }
                }
            }
            // The gateways have no subscription handshake: they only POST.
            Source::Wasender | Source::Unipile => Reply::error(405, "method not allowed").with("Allow", "POST"),
        }
    }

    /// Checks `body` against the secrets held in memory for the account.
    fn authenticate(self, entry: &Entry, headers: &HeaderMap, body: &[u8]) -> Auth {
        let account = entry.account.id;
        match self {
            Source::Meta => match &entry.app_secret {
                Some(secret) if verify_meta_signature(secret.expose().as_bytes(), body, header(headers, META_SIGNATURE_HEADER)) => Auth::Ok,
                Some(_) => Auth::Refused,
                None => match &entry.unavailable {
                    Some(e) => Auth::Unavailable(format!("the secret store is unavailable: {e}")),
                    None => Auth::Unavailable(format!("no app secret stored for account {account}: {REENTER_HINT}")),
                },
            },
            // Both gateways send a shared secret in a header. An account with
            // no secret stored refuses everything: whoever finds the tunnel
            // must not be able to inject messages.
            Source::Wasender | Source::Unipile => {
                let name = if self == Source::Wasender { wasender::SIGNATURE_HEADER } else { UNIPILE_SECRET_HEADER };
                match (&entry.webhook_secret, &entry.unavailable) {
                    (Some(secret), _) if header(headers, name).is_some_and(|given| tokens_match(given, secret.expose())) => Auth::Ok,
                    (None, Some(e)) => Auth::Unavailable(format!("the secret store is unavailable: {e}")),
                    _ => Auth::Refused,
                }
            }
        }
    }

    pub(crate) fn parse(self, body: &[u8]) -> Result<Vec<Change>, String> {
        match self {
            Source::Meta => Ok(meta::webhook::parse_payload(body)
                .map_err(|e| e.to_string())?
                .into_iter()
                .map(|c| Change {
                    route: match (c.phone_number_id, c.business_account_id) {
                        (Some(value), _) => RouteKey::Config { key: "phone_number_id", value },
                        (None, Some(value)) => RouteKey::EveryConfig { key: "business_account_id", value },
                        (None, None) => RouteKey::Missing,
                    },
                    events: c.events,
                })
                .collect()),
            Source::Wasender => Ok(vec![Change { route: RouteKey::PathAccount, events: wasender::webhook::parse_payload(body).map_err(|e| e.0)? }]),
            Source::Unipile => Ok(vec![Change { route: RouteKey::PathAccount, events: unipile::webhook::parse_payload(body).map_err(|e| e.0)? }]),
        }
    }

    /// The body as it may be stored: WASender's envelope can carry the
    /// session's API key in `sessionId`, which never lands on disk.
    fn storable(self, body: Vec<u8>) -> Vec<u8> {
        if self != Source::Wasender {
            return body;
        }
        match serde_json::from_slice::<serde_json::Value>(&body) {
            Ok(mut v) if v.get("sessionId").is_some_and(|s| !s.is_null()) => {
                v["sessionId"] = json!("<redacted>");
                v.to_string().into_bytes()
            }
            _ => body,
        }
    }
}

/// A response, built before it is sent.
pub(crate) struct Reply {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
    extra: Vec<(&'static str, String)>,
}

impl Reply {
    fn json(status: u16, v: serde_json::Value) -> Reply {
        Reply { status, content_type: "application/json", body: v.to_string().into_bytes(), extra: vec![] }
    }
    fn text(status: u16, s: String) -> Reply {
        Reply { status, content_type: "text/plain; charset=utf-8", body: s.into_bytes(), extra: vec![] }
    }
    fn error(status: u16, message: &str) -> Reply {
        Reply::json(status, json!({ "error": message }))
    }
    fn with(mut self, name: &'static str, value: impl Into<String>) -> Reply {
        self.extra.push((name, value.into()));
        self
    }
    /// Closes the connection after answering: the rest of the body is never read.
    fn closing(self) -> Reply {
        self.with("Connection", "close")
    }

    fn into_response(self) -> Response<Full<Bytes>> {
        let mut r = Response::new(Full::new(Bytes::from(self.body)));
        *r.status_mut() = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let headers = std::iter::once(("Content-Type", self.content_type.to_string())).chain(self.extra);
        for (name, value) in headers {
            if let (Ok(n), Ok(v)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(&value)) {
                r.headers_mut().insert(n, v);
            }
        }
        r
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Answers one request. Logs the method, the path (never the query: it can
/// hold the verify token) and the status; never a body or a secret.
pub(crate) async fn handle(rq: Request<Incoming>, ctx: &Ctx, slot: &Slot) -> Response<Full<Bytes>> {
    let started = std::time::Instant::now();
    let method = rq.method().clone();
    let path = rq.uri().path().to_string();
    // Until its account is known and its body is in, a request may be closed
    // to make room (see `connections`); then it is `Working`.
    slot.set(Phase::Body);
    let reply = dispatch(rq, ctx, slot, &path).await;
    tracing::debug!(%method, path, status = reply.status, ms = started.elapsed().as_millis() as u64, "webhook request");
    reply.into_response()
}

async fn dispatch(rq: Request<Incoming>, ctx: &Ctx, slot: &Slot, path: &str) -> Reply {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segments.as_slice() {
        ["health"] if rq.method() == Method::GET || rq.method() == Method::HEAD => Reply::json(200, json!({ "status": "ok", "version": crate::VERSION })),
        ["health"] => Reply::error(405, "method not allowed").with("Allow", "GET, HEAD"),
        ["webhooks", segment, id] => {
            let Some(source) = Source::from_segment(segment) else {
                return Reply::error(404, "not found");
            };
            let method = rq.method().clone();
            match method {
                m if m == Method::GET => match account(ctx, source, id).await {
                    Ok(entry) => {
                        slot.set(Phase::Working);
                        let query = rq.uri().query().unwrap_or("");
                        let reply = source.handshake(&entry, query);
                        // A verify token stored just now: look once more before refusing.
                        if reply.status != 200 && source == Source::Meta && ctx.credentials.look_again(Some(entry.account.id), ctx.look_again_wait).await {
                            match ctx.credentials.get(entry.account.id) {
                                Some(fresh) => source.handshake(&fresh, query),
                                None => Reply::error(404, "no such account"),
                            }
                        } else {
                            reply
                        }
                    }
                    Err(r) => r,
                },
                m if m == Method::POST => receive(rq, ctx, slot, source, id).await,
                _ => Reply::error(405, "method not allowed").with("Allow", "GET, POST"),
            }
        }
        _ => Reply::error(404, "not found"),
    }
}

/// The account named in the URL, if it exists and belongs to `source`.
/// An id not known yet makes the accounts be read again once (a new account).
async fn account(ctx: &Ctx, source: Source, id: &str) -> Result<Arc<Entry>, Reply> {
    let Ok(id) = id.parse::<i64>() else { return Err(Reply::error(404, "no such account")) };
    let entry = match ctx.credentials.get(id) {
        Some(e) => Some(e),
        None => {
            ctx.credentials.look_again(None, ctx.look_again_wait).await;
            ctx.credentials.get(id)
        }
    };
    match entry {
        Some(e) if e.account.provider == source.provider() => Ok(e),
        _ => Err(Reply::error(404, "no such account")),
    }
}

/// Where one change goes, as the lookup of its routing key found it.
pub(crate) enum Target {
    Account(i64),
    /// Several accounts (a business account's numbers), in id order.
    Accounts(Vec<i64>),
    /// No account has the key.
    Unknown,
    /// Accounts have the key, but none shares the secret that authenticated the body.
    OtherApp,
    /// Another account has the key, and whether it shares that secret could
    /// not be checked (a replay without the secret store).
    Unverified,
}

/// Events per account, in the order the body gave them, and the routing keys
/// no account (of the authenticating app) has: gateways post one session's
/// events to its own URL; Meta's changes name their number
/// (`metadata.phone_number_id`).
pub(crate) type Routed = (Vec<(i64, Vec<ProviderEvent>)>, Vec<String>);

/// `lookup(key, value, every)`: `every` asks for all the accounts with the key, not the first.
pub(crate) fn route(
    path_account: i64,
    changes: Vec<Change>,
    mut lookup: impl FnMut(&'static str, &str, bool) -> crate::Result<Target>,
) -> crate::Result<Routed> {
    let mut routed: Vec<(i64, Vec<ProviderEvent>)> = vec![];
    let mut unrouted: Vec<String> = vec![];
    for change in changes.into_iter().filter(|c| !c.events.is_empty()) {
        let target = match &change.route {
            RouteKey::PathAccount => Target::Account(path_account),
            RouteKey::Config { key, value } => lookup(key, value, false)?,
            RouteKey::EveryConfig { key, value } => lookup(key, value, true)?,
            RouteKey::Missing => Target::Unknown,
        };
        let what = match (&target, &change.route) {
            (Target::Account(a), _) => {
                add_routed(&mut routed, *a, change.events);
                continue;
            }
            (Target::Accounts(list), _) if !list.is_empty() => {
                for a in list {
                    add_routed(&mut routed, *a, change.events.clone());
                }
                continue;
            }
            (Target::OtherApp, RouteKey::Config { key, value } | RouteKey::EveryConfig { key, value }) => {
                format!("{key} {value} (its account has another app secret)")
            }
            (Target::Unverified, RouteKey::Config { key, value } | RouteKey::EveryConfig { key, value }) => {
                format!("{key} {value} (another account's: replay with the secret store available to check it shares the app secret that signed this)")
            }
            (_, RouteKey::Config { key, value } | RouteKey::EveryConfig { key, value }) => format!("{key} {value}"),
            _ => "a change without a routing key".to_string(),
        };
        tracing::warn!(account = path_account, "webhook change for an unknown account kept raw: {what}");
        if !unrouted.contains(&what) {
            unrouted.push(what);
        }
    }
    Ok((routed, unrouted))
}

fn add_routed(routed: &mut Vec<(i64, Vec<ProviderEvent>)>, account: i64, events: Vec<ProviderEvent>) {
    match routed.iter_mut().find(|(id, _)| *id == account) {
        Some((_, list)) => list.extend(events),
        None => routed.push((account, events)),
    }
}

/// [`route`] by the store's rows, for replays. As the listener does, a Meta
/// change reaches another account than the one whose URL (and app secret)
/// took it only when both accounts have the same app secret; without the
/// secret store that cannot be checked, so it stays unrouted.
pub(crate) fn route_by_store(
    store: &crate::store::Store,
    secrets: Option<&crate::secrets::SecretStore>,
    source: Source,
    path_account: i64,
    changes: Vec<Change>,
) -> crate::Result<Routed> {
    route(path_account, changes, |key, value, every| {
        if every {
            return every_by_store(store, secrets, source, path_account, key, value);
        }
        let Some(found) = store.account_by_config(source.provider(), key, value)? else { return Ok(Target::Unknown) };
        if source != Source::Meta || found.id == path_account {
            return Ok(Target::Account(found.id));
        }
        Ok(match secrets.map(|s| same_app_secret(s, path_account, found.id)) {
            Some(Ok(true)) => Target::Account(found.id),
            Some(Ok(false)) => Target::OtherApp,
            Some(Err(e)) => {
                tracing::warn!(account = found.id, "cannot compare app secrets for a replay: {e}");
                Target::Unverified
            }
            None => Target::Unverified,
        })
    })
}

/// Every account with `key` = `value` that the replay may reach: the one the
/// body was posted for, and those sharing its app secret.
fn every_by_store(
    store: &crate::store::Store,
    secrets: Option<&crate::secrets::SecretStore>,
    source: Source,
    path_account: i64,
    key: &str,
    value: &str,
) -> crate::Result<Target> {
    let found = store.accounts_by_config(source.provider(), key, value)?;
    if found.is_empty() {
        return Ok(Target::Unknown);
    }
    let mut reach = vec![];
    let mut unverified = false;
    for a in &found {
        if source != Source::Meta || a.id == path_account {
            reach.push(a.id);
            continue;
        }
        match secrets.map(|s| same_app_secret(s, path_account, a.id)) {
            Some(Ok(true)) => reach.push(a.id),
            Some(Ok(false)) => {}
            Some(Err(e)) => {
                tracing::warn!(account = a.id, "cannot compare app secrets for a replay: {e}");
                unverified = true;
            }
            None => unverified = true,
        }
    }
    Ok(match (reach.is_empty(), unverified) {
        (false, _) => Target::Accounts(reach),
        (true, true) => Target::Unverified,
        (true, false) => Target::OtherApp,
    })
}

/// Whether two Meta accounts verify webhooks with the same app secret (an
/// account without one, or a removed one, shares nothing).
fn same_app_secret(secrets: &crate::secrets::SecretStore, signer: i64, other: i64) -> crate::Result<bool> {
    if signer < 0 {
        return Ok(false);
    }
    let (a, b) = (secrets.get_opt(signer, SecretName::AppSecret)?, secrets.get_opt(other, SecretName::AppSecret)?);
    Ok(matches!((a, b), (Some(a), Some(b)) if a.expose() == b.expose()))
}

fn too_large(max: usize) -> Reply {
    Reply::error(413, &format!("the body is larger than {max} bytes")).closing()
}

enum BodyError {
    TooLarge,
    Late,
    Broken(String),
}

/// The body, within `max` bytes and `deadline` in total.
async fn read_body(body: Incoming, max: usize, deadline: Duration) -> Result<Bytes, BodyError> {
    match tokio::time::timeout(deadline, Limited::new(body, max).collect()).await {
        Err(_) => Err(BodyError::Late),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => Err(BodyError::TooLarge),
        Ok(Err(e)) => Err(BodyError::Broken(e.to_string())),
    }
}

async fn receive(rq: Request<Incoming>, ctx: &Ctx, slot: &Slot, source: Source, id: &str) -> Reply {
    let mut entry = match account(ctx, source, id).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let account = entry.account.id;
    // Refuse by the announced length without reading (or draining) a byte of
    // the body; the capped read stops a chunked or lying body as well.
    let announced = rq.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok());
    if announced.is_some_and(|n| n > ctx.max_body as u64) {
        tracing::warn!(account, "webhook body refused: announced length over the limit");
        return too_large(ctx.max_body);
    }
    let (parts, body) = rq.into_parts();
    let body = match read_body(body, ctx.max_body, ctx.body_timeout).await {
        Ok(b) => b,
        Err(BodyError::TooLarge) => {
            tracing::warn!(account, "webhook body refused: over the limit");
            return too_large(ctx.max_body);
        }
        Err(BodyError::Late) => {
            tracing::warn!(account, "webhook body refused: not complete within the body deadline");
            return Reply::error(408, "the body did not arrive in time").closing();
        }
        Err(BodyError::Broken(e)) => {
            tracing::debug!(account, "could not read a webhook body: {e}");
            return Reply::error(400, "could not read the body").closing();
        }
    };
    slot.set(Phase::Working);

    let mut auth = source.authenticate(&entry, &parts.headers, &body);
    // A secret stored or changed since it was read: look once more (at most
    // once per account per `secret_reload_interval`, whatever the traffic).
    if !matches!(auth, Auth::Ok) && ctx.credentials.look_again(Some(account), ctx.look_again_wait).await {
        if let Some(fresh) = ctx.credentials.get(account).filter(|e| e.account.provider == source.provider()) {
            auth = source.authenticate(&fresh, &parts.headers, &body);
            entry = fresh;
        }
    }
    match auth {
        Auth::Ok => {}
        Auth::Refused => {
            tracing::warn!(account, bytes = body.len(), "webhook signature missing or wrong: body dropped");
            ctx.bad_signatures.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            return Reply::error(401, "bad signature");
        }
        Auth::Unavailable(why) => {
            // Not the sender's fault: answer so that it retries later.
            tracing::warn!(account, "webhook not verifiable: {why}");
            return Reply::error(503, "the webhook secret is not available");
        }
    }

    let body = body.to_vec();
    let changes = match source.parse(&body) {
        Ok(c) => c,
        Err(error) => {
            // Kept for `wicket webhook replay` and answered 200: a refusal
            // would only make the provider send the same bytes for days.
            tracing::warn!(account, bytes = body.len(), "signed webhook body is unparseable: kept raw");
            let work = Work::Unparseable { source: source.name(), account_id: account, body: source.storable(body), error };
            return match writer::submit(&ctx.jobs, work).await {
                Ok(_) => Reply::json(200, json!({ "status": "unparseable" })),
                Err(e) => {
                    tracing::error!(account, "could not keep an unparseable webhook body: {e}");
                    Reply::error(500, "not stored")
                }
            };
        }
    };

    // A Meta change goes only to an account of the app whose secret signed it.
    let signer: Option<Secret> = entry.app_secret.clone();
    let credentials = &ctx.credentials;
    let routed = route(account, changes, |key, value, every| {
        Ok(match signer.as_ref() {
            Some(s) if every => credentials.meta_accounts_by_config(key, value, s),
            Some(s) => credentials.meta_account_by_config(key, value, s),
            None => Target::Unknown,
        })
    });
    let (routed, unrouted) = match routed {
        Ok(r) => r,
        Err(e) => {
            tracing::error!("webhook routing failed: {e}");
            return Reply::error(500, "routing failed");
        }
    };

    let job = IngestJob { source: source.name(), path_account: account, body: source.storable(body), routed, unrouted };
    match writer::submit(&ctx.jobs, Work::Ingest(job)).await {
        Ok(Done::Redelivery) => Reply::json(200, json!({ "status": "duplicate" })),
        Ok(_) => Reply::json(200, json!({ "status": "stored" })),
        Err(e) => {
            tracing::error!(account, "webhook not stored, asking for a redelivery: {e}");
            Reply::error(500, "not stored")
        }
    }
}
