//! The end-to-end self check: proves a public address reaches this
//! listener with `/health`, Meta's verification handshake and a signed test
//! event that stores nothing but a webhook log row.

use super::register::webhook_url;
use crate::error::{Error, Result};
use crate::model::Provider;
use crate::secrets::Secret;
use crate::webhook::{meta_signature, META_SIGNATURE_HEADER};
use serde::Serialize;
use std::time::Duration;

/// Timeouts of the self check's requests.
const CHECK_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const CHECK_TOTAL_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Passed,
    Failed,
    /// Not tried: an earlier step showed it could not work.
    Skipped,
}

/// One step of a self check and a readable reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckStep {
    /// [`STEP_HEALTH`], [`STEP_HANDSHAKE`] or [`STEP_SIGNED_EVENT`].
    pub name: &'static str,
    pub status: StepStatus,
    pub detail: String,
}

pub const STEP_HEALTH: &str = "health";
pub const STEP_HANDSHAKE: &str = "handshake";
pub const STEP_SIGNED_EVENT: &str = "signed_event";

/// The result of [`self_check_meta`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SelfCheck {
    pub public_base: String,
    pub steps: Vec<CheckStep>,
}

impl SelfCheck {
    /// Whether every step passed.
    pub fn passed(&self) -> bool {
        !self.steps.is_empty() && self.steps.iter().all(|s| s.status == StepStatus::Passed)
    }

    pub fn step(&self, name: &str) -> Option<&CheckStep> {
        self.steps.iter().find(|s| s.name == name)
    }

    /// One line per step, for a terminal or a log.
    pub fn summary(&self) -> String {
        self.steps
            .iter()
            .map(|s| {
                let mark = match s.status {
                    StepStatus::Passed => "ok",
                    StepStatus::Failed => "FAILED",
                    StepStatus::Skipped => "skipped",
                };
                format!("{}: {mark}: {}", s.name, s.detail)
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

fn step(name: &'static str, status: StepStatus, detail: impl Into<String>) -> CheckStep {
    CheckStep { name, status, detail: detail.into() }
}

fn random_hex(bytes: usize) -> String {
    use rand::RngCore;
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

fn transport_reason(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "no answer in time".into()
    } else if e.is_connect() {
        "the connection failed (is the tunnel running?)".into()
    } else {
        // Without the URL: it may carry the verify token.
        let mut msg = e.to_string();
        if let Some(u) = e.url() {
            msg = msg.replace(u.as_str(), "<url>");
        }
        msg
    }
}

fn listener_gone(status: u16) -> Option<String> {
    matches!(status, 502..=504 | 530).then(|| {
        format!("the tunnel answered HTTP {status}: it is up but cannot reach Wicket's listener (is the listener running on the port the tunnel forwards to?)")
    })
}

/// A Meta webhook body that Wicket stores in its webhook log and otherwise
/// ignores: one change with a field Wicket does not handle, and a nonce so
/// that it is never taken for a redelivery.
fn self_check_body() -> Vec<u8> {
    let body = serde_json::json!({
        "object": "whatsapp_business_account",
        "entry": [{
            "id": "wicket-self-check",
            "time": chrono::Utc::now().timestamp(),
            "changes": [{ "field": "wicket_self_check", "value": { "nonce": random_hex(12) } }]
        }]
    });
    body.to_string().into_bytes()
}

/// `GET {base}/health` answers Wicket's `{"status":"ok"}`.
async fn health_step(http: &reqwest::Client, base: &str) -> CheckStep {
    let health = match http.get(format!("{base}/health")).send().await {
        Err(e) => step(STEP_HEALTH, StepStatus::Failed, format!("cannot reach {base}: {}", transport_reason(&e))),
        Ok(resp) => {
            let status = resp.status().as_u16();
            let body: Option<serde_json::Value> = resp.json().await.ok();
            let ok = body.as_ref().and_then(|b| b.get("status")).and_then(|s| s.as_str()) == Some("ok");
            if status == 200 && ok {
                let version = body.as_ref().and_then(|b| b.get("version")).and_then(|v| v.as_str()).unwrap_or("?");
                let mut detail = format!("Wicket's listener (version {version}) answers at {base}");
                if base.starts_with("http://") {
                    detail.push_str("; note: this address is plain http, and Meta and WASender deliver only to https addresses");
                }
                step(STEP_HEALTH, StepStatus::Passed, detail)
            } else if let Some(reason) = listener_gone(status) {
                step(STEP_HEALTH, StepStatus::Failed, reason)
            } else {
                step(
                    STEP_HEALTH,
                    StepStatus::Failed,
                    format!("{base}/health answered HTTP {status}, not Wicket's listener: check that the tunnel forwards to Wicket's port"),
                )
            }
        }
    };
    health
}

/// `public_base` without a trailing slash, or why it is unusable.
fn check_base(public_base: &str) -> Result<String> {
    let base = public_base.trim().trim_end_matches('/').to_string();
    match url::Url::parse(&base) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty()) && u.query().is_none() => Ok(base),
        _ => Err(Error::Invalid(format!("{base:?} is not a public address: use the https://… address the tunnel reported"))),
    }
}

/// Only the first step of the self checks: `GET {base}/health` through the
/// public address answers Wicket's `{"status":"ok"}` (for a data dir with no
/// account that receives webhooks yet).
pub async fn self_check_health(public_base: &str) -> Result<SelfCheck> {
    let base = check_base(public_base)?;
    let http = crate::providers::http::client_with(CHECK_CONNECT_TIMEOUT, CHECK_TOTAL_TIMEOUT)?;
    let health = health_step(&http, &base).await;
    Ok(SelfCheck { public_base: base, steps: vec![health] })
}

/// A WASender webhook body that Wicket stores in its webhook log and
/// otherwise ignores (an event it does not handle, with a nonce).
fn wasender_self_check_body() -> Vec<u8> {
    let body = serde_json::json!({
        "event": "wicket.self_check",
        "timestamp": chrono::Utc::now().timestamp(),
        "data": { "nonce": random_hex(12) }
    });
    body.to_string().into_bytes()
}

/// The WASender twin of [`self_check_meta`]: 1) `GET /health` answers
/// Wicket's `{"status":"ok"}`; 2) a test event carrying `webhook_secret` in
/// WASender's signature header, posted to `/webhooks/wasender/{account_id}`
/// over the public address, is accepted (it creates no message). WASender
/// has no verification handshake. Each step says why it failed.
pub async fn self_check_wasender(public_base: &str, account_id: i64, webhook_secret: &Secret) -> Result<SelfCheck> {
    let base = check_base(public_base)?;
    let http = crate::providers::http::client_with(CHECK_CONNECT_TIMEOUT, CHECK_TOTAL_TIMEOUT)?;
    let health = health_step(&http, &base).await;
    let reachable = health.status == StepStatus::Passed;
    let mut steps = vec![health];
    if !reachable {
        steps.push(step(STEP_SIGNED_EVENT, StepStatus::Skipped, "not tried: the public address does not reach Wicket's listener"));
        return Ok(SelfCheck { public_base: base, steps });
    }
    let hook = webhook_url(&base, Provider::Wasender.as_str(), account_id);
    let sent = http
        .post(&hook)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(crate::providers::wasender::SIGNATURE_HEADER, webhook_secret.expose())
        .body(wasender_self_check_body())
        .send()
        .await;
    let signed = match sent {
        Err(e) => step(STEP_SIGNED_EVENT, StepStatus::Failed, format!("the test event could not be sent: {}", transport_reason(&e))),
        Ok(resp) => match resp.status().as_u16() {
            200 => step(STEP_SIGNED_EVENT, StepStatus::Passed, "a signed test event was accepted and stored (in the webhook log only: it creates no message)"),
            401 | 403 => step(
                STEP_SIGNED_EVENT,
                StepStatus::Failed,
                format!("the listener refused the webhook secret: it is not the one stored for account {account_id}. Copy the secret from WASender → your session → Webhook into Wicket"),
            ),
            404 => step(STEP_SIGNED_EVENT, StepStatus::Failed, format!("this listener has no WASender account {account_id}")),
            503 => step(STEP_SIGNED_EVENT, StepStatus::Failed, "the listener cannot read the webhook secret: the secret store is locked or unavailable"),
            500 => step(STEP_SIGNED_EVENT, StepStatus::Failed, "the listener could not store the event: see Wicket's log"),
            s => step(STEP_SIGNED_EVENT, StepStatus::Failed, listener_gone(s).unwrap_or_else(|| format!("the test event was answered HTTP {s} instead of 200"))),
        },
    };
    steps.push(signed);
    let check = SelfCheck { public_base: base, steps };
    tracing::info!(passed = check.passed(), "WASender webhook self check finished");
    Ok(check)
}

/// Checks that `public_base` reaches this Wicket's listener for Meta
/// account `account_id`, over real HTTP: 1) `GET /health` answers Wicket's
/// `{"status":"ok"}`; 2) the verification handshake with `verify_token`
/// echoes a random challenge; 3) a test event signed with `app_secret` is
/// accepted (it creates no message). Each step says why it failed; `Err`
/// only for an unusable `public_base`. A quick tunnel can take a few
/// seconds to become reachable: run it again before giving up.
pub async fn self_check_meta(public_base: &str, account_id: i64, app_secret: &Secret, verify_token: &Secret) -> Result<SelfCheck> {
    let base = public_base.trim().trim_end_matches('/').to_string();
    match url::Url::parse(&base) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty()) && u.query().is_none() => {}
        _ => return Err(Error::Invalid(format!("{base:?} is not a public address: use the https://… address the tunnel reported"))),
    }
    let http = crate::providers::http::client_with(CHECK_CONNECT_TIMEOUT, CHECK_TOTAL_TIMEOUT)?;
    let mut steps = Vec::with_capacity(3);

    // 1) /health
    let health = health_step(&http, &base).await;
    let reachable = health.status == StepStatus::Passed;
    steps.push(health);
    if !reachable {
        let why = "not tried: the public address does not reach Wicket's listener";
        steps.push(step(STEP_HANDSHAKE, StepStatus::Skipped, why));
        steps.push(step(STEP_SIGNED_EVENT, StepStatus::Skipped, why));
        tracing::info!(passed = false, "webhook self check: the public address does not reach the listener");
        return Ok(SelfCheck { public_base: base, steps });
    }

    // 2) the verification handshake
    let hook = webhook_url(&base, Provider::Meta.as_str(), account_id);
    let challenge = random_hex(16);
    let handshake = match url::Url::parse(&hook) {
        Err(_) => step(STEP_HANDSHAKE, StepStatus::Failed, format!("cannot build the callback URL {hook}")),
        Ok(mut u) => {
            u.query_pairs_mut()
                .append_pair("hub.mode", "subscribe")
                .append_pair("hub.verify_token", verify_token.expose())
                .append_pair("hub.challenge", &challenge);
            match http.get(u).send().await {
                Err(e) => step(STEP_HANDSHAKE, StepStatus::Failed, format!("the handshake request failed: {}", transport_reason(&e))),
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let text = resp.text().await.unwrap_or_default();
                    match status {
                        200 if text == challenge => step(
                            STEP_HANDSHAKE,
                            StepStatus::Passed,
                            format!("the verification handshake at {hook} echoed the challenge: Meta can verify this callback URL"),
                        ),
                        200 => step(
                            STEP_HANDSHAKE,
                            StepStatus::Failed,
                            format!("{hook} answered 200 but not with the challenge: something other than Wicket answers there"),
                        ),
                        403 => step(
                            STEP_HANDSHAKE,
                            StepStatus::Failed,
                            format!(
                                "the listener refused the verify token: it is not the one stored for account {account_id}, so Meta would be refused the same way. Use the same verify token in Meta's dashboard and in Wicket"
                            ),
                        ),
                        404 => step(
                            STEP_HANDSHAKE,
                            StepStatus::Failed,
                            format!("this listener has no Meta account {account_id}: check the account id at the end of the callback URL"),
                        ),
                        503 => step(
                            STEP_HANDSHAKE,
                            StepStatus::Failed,
                            "the listener cannot read the verify token: the secret store is locked or unavailable",
                        ),
                        s => step(
                            STEP_HANDSHAKE,
                            StepStatus::Failed,
                            listener_gone(s).unwrap_or_else(|| format!("the handshake answered HTTP {s} instead of echoing the challenge")),
                        ),
                    }
                }
            }
        }
    };
    steps.push(handshake);

    // 3) a signed test event
    let body = self_check_body();
    let signature = meta_signature(app_secret.expose().as_bytes(), &body);
    let signed = match http
        .post(&hook)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(META_SIGNATURE_HEADER, signature)
        .body(body)
        .send()
        .await
    {
        Err(e) => step(STEP_SIGNED_EVENT, StepStatus::Failed, format!("the test event could not be sent: {}", transport_reason(&e))),
        Ok(resp) => match resp.status().as_u16() {
            200 => step(
                STEP_SIGNED_EVENT,
                StepStatus::Passed,
                "a signed test event was accepted and stored (in the webhook log only: it creates no message)",
            ),
            401 | 403 => step(
                STEP_SIGNED_EVENT,
                StepStatus::Failed,
                format!(
                    "the listener refused the signature: the app secret used here is not the one stored for account {account_id}. Meta signs with the App Secret from App Dashboard → App settings → Basic"
                ),
            ),
            404 => step(STEP_SIGNED_EVENT, StepStatus::Failed, format!("this listener has no Meta account {account_id}")),
            503 => step(
                STEP_SIGNED_EVENT,
                StepStatus::Failed,
                "the listener cannot read the app secret: the secret store is locked or unavailable",
            ),
            500 => step(STEP_SIGNED_EVENT, StepStatus::Failed, "the listener could not store the event: see Wicket's log"),
            s => step(
                STEP_SIGNED_EVENT,
                StepStatus::Failed,
                listener_gone(s).unwrap_or_else(|| format!("the test event was answered HTTP {s} instead of 200")),
            ),
        },
    };
    steps.push(signed);
    let check = SelfCheck { public_base: base, steps };
    tracing::info!(passed = check.passed(), "webhook self check finished");
    Ok(check)
}
