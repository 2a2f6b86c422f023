//! The listener's routes, run on the request threads: `/health`, and per
//! provider `GET` (subscription handshake) and `POST` (events) on
//! `/webhooks/{provider}/{account-id}`.
//!
//! The rule kept here: a POST is authenticated on its raw bytes before
//! anything parses it, and is answered 200 only once the writer says it is
//! committed. A provider is one [`Source`] variant: its URL segment, its
//! handshake, its authentication and its parser (Meta: HMAC of the body
//! with the app secret; WASender and UniPile: a shared secret in a header).

use super::signature::{tokens_match, verify_meta_signature, META_SIGNATURE_HEADER};
use super::writer::{self, Done, IngestJob, Job, Work};
use crate::model::Provider;
use crate::providers::{meta, unipile, wasender, ProviderEvent};
use crate::secrets::{SecretName, SecretStore, REENTER_HINT};
use crate::store::{Account, Store};
use serde_json::json;
use std::io::Read;
use std::sync::mpsc::SyncSender;
use std::sync::Arc;
use tiny_http::{Header, Method, Request, Response};

/// What a request thread holds: its own read connection, the secrets and
/// the way to the writer.
pub(crate) struct Ctx {
    pub store: Store,
    pub secrets: Arc<SecretStore>,
    pub jobs: SyncSender<Job>,
    pub max_body: usize,
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
    fn name(self) -> &'static str {
        match self {
            Source::Meta => "meta",
            Source::Wasender => "wasender",
            Source::Unipile => "unipile",
        }
    }

    fn provider(self) -> Provider {
        match self {
            Source::Meta => Provider::Meta,
            Source::Wasender => Provider::Wasender,
            Source::Unipile => Provider::Unipile,
        }
    }

    fn handshake(self, ctx: &Ctx, account: &Account, query: &str) -> Reply {
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
                let expected = match ctx.secrets.get_opt(account.id, SecretName::VerifyToken) {
                    Ok(Some(s)) => s,
                    Ok(None) => {
                        tracing::warn!(account = account.id, "webhook handshake refused: no verify token stored");
                        return Reply::error(403, "verification refused");
                    }
                    Err(e) => {
                        tracing::warn!(account = account.id, "webhook handshake: secret store unavailable: {e}");
                        return Reply::error(503, "the secret store is unavailable");
                    }
                };
                match (mode.as_deref(), token, challenge) {
                    (Some("subscribe"), Some(token), Some(challenge)) if tokens_match(&token, expected.expose()) => {
                        tracing::info!(account = account.id, "Meta webhook subscription verified");
                        Reply::text(200, challenge)
                    }
                    _ => {
                        tracing::warn!(account = account.id, "webhook handshake refused: wrong mode or verify token");
                        Reply::error(403, "verification refused")
                    }
                }
            }
            // The gateways have no subscription handshake: they only POST.
            Source::Wasender | Source::Unipile => Reply::error(405, "method not allowed").with("Allow", "POST"),
        }
    }

    fn authenticate(self, ctx: &Ctx, account: &Account, rq: &Request, body: &[u8]) -> Auth {
        match self {
            Source::Meta => {
                let secret = match ctx.secrets.get_opt(account.id, SecretName::AppSecret) {
                    Ok(Some(s)) => s,
                    Ok(None) => return Auth::Unavailable(format!("no app secret stored for account {}: {REENTER_HINT}", account.id)),
                    Err(e) => return Auth::Unavailable(format!("the secret store is unavailable: {e}")),
                };
                let header = header(rq, META_SIGNATURE_HEADER);
                if verify_meta_signature(secret.expose().as_bytes(), body, header) {
                    Auth::Ok
                } else {
                    Auth::Refused
                }
            }
            // Both gateways send a shared secret in a header. An account with
            // no secret stored refuses everything: whoever finds the tunnel
            // must not be able to inject messages.
            Source::Wasender | Source::Unipile => {
                let name = if self == Source::Wasender { wasender::SIGNATURE_HEADER } else { UNIPILE_SECRET_HEADER };
                match ctx.secrets.get_opt(account.id, SecretName::WebhookSecret) {
                    Ok(Some(secret)) if header(rq, name).is_some_and(|given| tokens_match(given, secret.expose())) => Auth::Ok,
                    Ok(_) => Auth::Refused,
                    Err(e) => Auth::Unavailable(format!("the secret store is unavailable: {e}")),
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
                    route: match c.phone_number_id {
                        Some(value) => RouteKey::Config { key: "phone_number_id", value },
                        None => RouteKey::Missing,
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

    fn into_response(self) -> Response<std::io::Cursor<Vec<u8>>> {
        let mut r = Response::from_data(self.body).with_status_code(self.status);
        let headers = std::iter::once(("Content-Type", self.content_type.to_string())).chain(self.extra);
        for (name, value) in headers {
            if let Ok(h) = Header::from_bytes(name.as_bytes(), value.as_bytes()) {
                r.add_header(h);
            }
        }
        r
    }
}

fn header<'a>(rq: &'a Request, name: &str) -> Option<&'a str> {
    rq.headers().iter().find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name)).map(|h| h.value.as_str())
}

/// Answers one request. Logs the method, the path (never the query: it can
/// hold the verify token) and the status; never a body or a secret.
pub(crate) fn handle(mut rq: Request, ctx: &Ctx) {
    let started = std::time::Instant::now();
    let url = rq.url().to_string();
    let (path, query) = url.split_once('?').unwrap_or((url.as_str(), ""));
    let method = rq.method().clone();
    let reply = dispatch(&mut rq, ctx, path, query);
    let status = reply.status;
    tracing::debug!(%method, path, status, ms = started.elapsed().as_millis() as u64, "webhook request");
    if let Err(e) = rq.respond(reply.into_response()) {
        tracing::debug!(path, "could not send the webhook response: {e}");
    }
}

fn dispatch(rq: &mut Request, ctx: &Ctx, path: &str, query: &str) -> Reply {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segments.as_slice() {
        ["health"] => match rq.method() {
            Method::Get | Method::Head => Reply::json(200, json!({ "status": "ok", "version": crate::VERSION })),
            _ => Reply::error(405, "method not allowed").with("Allow", "GET, HEAD"),
        },
        ["webhooks", segment, id] => {
            let Some(source) = Source::from_segment(segment) else {
                return Reply::error(404, "not found");
            };
            match rq.method() {
                Method::Get => match account(ctx, source, id) {
                    Ok(a) => source.handshake(ctx, &a, query),
                    Err(r) => r,
                },
                Method::Post => receive(rq, ctx, source, id),
                _ => Reply::error(405, "method not allowed").with("Allow", "GET, POST"),
            }
        }
        _ => Reply::error(404, "not found"),
    }
}

/// The account named in the URL, if it exists and belongs to `source`.
fn account(ctx: &Ctx, source: Source, id: &str) -> Result<Account, Reply> {
    let Ok(id) = id.parse::<i64>() else { return Err(Reply::error(404, "no such account")) };
    match ctx.store.account(id) {
        Ok(a) if a.provider == source.provider() => Ok(a),
        Ok(_) | Err(crate::Error::NotFound(_)) => Err(Reply::error(404, "no such account")),
        Err(e) => {
            tracing::error!(account = id, "webhook: cannot read the account: {e}");
            Err(Reply::error(500, "store unavailable"))
        }
    }
}

/// Events per account, plus the routing keys no account has (kept raw):
/// gateways post one session's events to its own URL; Meta's changes name
/// their number (`metadata.phone_number_id`).
/// Events per account, in the order the body gave them, and the routing keys
/// no account has.
pub(crate) type Routed = (Vec<(i64, Vec<ProviderEvent>)>, Vec<String>);

pub(crate) fn route(store: &Store, source: Source, path_account: i64, changes: Vec<Change>) -> crate::Result<Routed> {
    let mut routed: Vec<(i64, Vec<ProviderEvent>)> = vec![];
    let mut unrouted: Vec<String> = vec![];
    for change in changes.into_iter().filter(|c| !c.events.is_empty()) {
        let target = match &change.route {
            RouteKey::PathAccount => Some(path_account),
            RouteKey::Config { key, value } => store.account_by_config(source.provider(), key, value)?.map(|a| a.id),
            RouteKey::Missing => None,
        };
        match target {
            Some(a) => match routed.iter_mut().find(|(id, _)| *id == a) {
                Some((_, events)) => events.extend(change.events),
                None => routed.push((a, change.events)),
            },
            None => {
                let what = match &change.route {
                    RouteKey::Config { key, value } => format!("{key} {value}"),
                    _ => "a change without a routing key".to_string(),
                };
                tracing::warn!(account = path_account, "webhook change for an unknown account kept raw: {what}");
                if !unrouted.contains(&what) {
                    unrouted.push(what);
                }
            }
        }
    }
    Ok((routed, unrouted))
}

fn too_large(max: usize) -> Reply {
    Reply::error(413, &format!("the body is larger than {max} bytes"))
}

fn receive(rq: &mut Request, ctx: &Ctx, source: Source, id: &str) -> Reply {
    let account = match account(ctx, source, id) {
        Ok(a) => a,
        Err(r) => return r,
    };
    // Refuse by the announced length first, then cap the read itself, so a
    // chunked or lying body can't grow past the limit either.
    if rq.body_length().is_some_and(|n| n > ctx.max_body) {
        tracing::warn!(account = account.id, "webhook body refused: announced length over the limit");
        return too_large(ctx.max_body);
    }
    let mut body = Vec::new();
    if let Err(e) = rq.as_reader().take(ctx.max_body as u64 + 1).read_to_end(&mut body) {
        tracing::debug!(account = account.id, "could not read a webhook body: {e}");
        return Reply::error(400, "could not read the body");
    }
    if body.len() > ctx.max_body {
        tracing::warn!(account = account.id, "webhook body refused: over the limit");
        return too_large(ctx.max_body);
    }

    match source.authenticate(ctx, &account, rq, &body) {
        Auth::Ok => {}
        Auth::Refused => {
            tracing::warn!(account = account.id, bytes = body.len(), "webhook signature missing or wrong: body dropped");
            if let Err(e) = writer::submit(&ctx.jobs, Work::BadSignature) {
                tracing::warn!("could not count a bad webhook signature: {e}");
            }
            return Reply::error(401, "bad signature");
        }
        Auth::Unavailable(why) => {
            // Not the sender's fault: answer so that it retries later.
            tracing::warn!(account = account.id, "webhook not verifiable: {why}");
            return Reply::error(503, "the webhook secret is not available");
        }
    }

    let changes = match source.parse(&body) {
        Ok(c) => c,
        Err(error) => {
            tracing::warn!(account = account.id, bytes = body.len(), "signed webhook body is unparseable: kept raw");
            let work = Work::Unparseable { source: source.name(), account_id: account.id, body: source.storable(body), error };
            return match writer::submit(&ctx.jobs, work) {
                Ok(_) => Reply::error(400, "unparseable body"),
                Err(e) => {
                    tracing::error!(account = account.id, "could not keep an unparseable webhook body: {e}");
                    Reply::error(500, "not stored")
                }
            };
        }
    };

    let (routed, unrouted) = match route(&ctx.store, source, account.id, changes) {
        Ok(r) => r,
        Err(e) => {
            tracing::error!("webhook routing failed: {e}");
            return Reply::error(500, "store unavailable");
        }
    };

    let job = IngestJob { source: source.name(), path_account: account.id, body: source.storable(body), routed, unrouted };
    match writer::submit(&ctx.jobs, Work::Ingest(job)) {
        Ok(Done::Redelivery) => Reply::json(200, json!({ "status": "duplicate" })),
        Ok(_) => Reply::json(200, json!({ "status": "stored" })),
        Err(e) => {
            tracing::error!(account = account.id, "webhook not stored, asking for a redelivery: {e}");
            Reply::error(500, "not stored")
        }
    }
}
