//! The UniPile accounts behind an API key, and this client's own: listing
//! and reading them, hosted-auth links to connect or reconnect one, waiting
//! for the account a link creates, the connection test and the state.

use super::accounts::UnipileAccount;
use super::client::{UnipileClient, MAX_LIST_PAGES, NAME};
use super::mapping::string;
use crate::error::{Error, ErrorKind, Result};
use crate::model::AccountStatus;
use crate::providers::http::{provider_error, seconds};
use crate::providers::ConnectionInfo;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

impl UnipileClient {
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
}
