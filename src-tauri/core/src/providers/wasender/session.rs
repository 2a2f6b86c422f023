//! The WASender session: its state (`GET /status`, `GET /user`), what a
//! session status means for the account, and the session's webhook
//! settings (`/whatsapp-sessions/{id}`, with the personal access token).

use super::client::WasenderClient;
use super::errors::Credential;
use super::mapping::{parse_address, string, Address};
use super::WEBHOOK_EVENTS;
use crate::error::{Error, ErrorKind, Result};
use crate::model::AccountStatus;
use crate::providers::http::provider_error;
use crate::providers::ConnectionInfo;
use crate::secrets::Secret;
use serde_json::{json, Value};

/// The reason stored with a disconnected session.
pub const DISCONNECTED_REASON: &str = "the WhatsApp session is disconnected: scan the QR code again in WASender";

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

impl WasenderClient {
    /// `GET /status`: the session's status string.
    async fn status(&self) -> Result<(String, Value)> {
        let raw = self.call(self.api.get(self.url("status")), "reading the session status", Credential::ApiKey).await?;
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
        let user = match self.call(self.api.get(self.url("user")), "reading the session's user", Credential::ApiKey).await {
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

    /// The account state from `GET /status`.
    pub async fn session_state(&self) -> Result<(AccountStatus, Option<String>)> {
        let (status, _) = self.status().await?;
        Ok(session_status(&status).unwrap_or_else(|| (AccountStatus::Retrying, Some(format!("WASender reports an unknown session status {status:?}")))))
    }

    fn session_path(&self) -> Result<String> {
        let id = self.session_id().ok_or_else(|| {
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
        self.http_for(Credential::PersonalAccessToken)?;
        let body = json!({"webhook_url": url.trim(), "webhook_enabled": true, "webhook_events": WEBHOOK_EVENTS});
        self.call(self.api.put(target).json(&body), "registering the webhook", Credential::PersonalAccessToken).await?;
        Ok(())
    }

    /// The session's webhook secret (`GET /whatsapp-sessions/{id}` with the
    /// personal access token), `None` when the session has none.
    pub async fn fetch_webhook_secret(&self) -> Result<Option<Secret>> {
        let target = self.session_path()?;
        self.http_for(Credential::PersonalAccessToken)?;
        let answer = self.call(self.api.get(target), "reading the webhook secret", Credential::PersonalAccessToken).await?;
        let data = answer.get("data").unwrap_or(&answer);
        Ok(data.get("webhook_secret").and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(|s| Secret::new(s.to_string())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_statuses_are_case_insensitive() {
        assert_eq!(session_status("CONNECTED").map(|s| s.0), Some(AccountStatus::Ok));
        assert_eq!(session_status("NEED_SCAN").map(|s| s.0), Some(AccountStatus::Disconnected));
        assert_eq!(session_status("connecting").map(|s| s.0), Some(AccountStatus::Retrying));
        assert_eq!(session_status("whatever"), None);
    }
}
