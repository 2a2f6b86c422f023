//! Registering Wicket's webhooks with UniPile (messaging and account
//! status, each carrying the shared secret header) and deleting them.

use super::client::{UnipileClient, NAME};
use super::mapping::string;
use super::webhook::MESSAGING_EVENTS;
use crate::error::{Error, ErrorKind, Result};
use crate::providers::http::provider_error;
use crate::secrets::Secret;
use serde_json::{json, Value};

/// The two webhooks [`UnipileClient::register_webhooks`] creates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredWebhooks {
    pub messaging: String,
    pub account_status: String,
}

impl UnipileClient {
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
