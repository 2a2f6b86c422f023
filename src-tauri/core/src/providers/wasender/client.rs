//! The WASender client: sends every message kind WASender has (uploading
//! local media first), correlates its integer `msgId` with the WhatsApp
//! message id, decrypts and downloads inbound media, syncs contacts and
//! profile pictures, reads the session state and, with the personal access
//! token, registers the webhook and reads its secret.
//!
//! Rules it keeps: the API key and the personal access token stay
//! [`Secret`]s that only reach the `Authorization` header of requests to the
//! configured base URL (never a log line, an error message or `Debug`; media
//! and picture URLs WASender hands out are fetched without them); every
//! failure is an [`Error::Provider`] whose kind comes from [`super::errors`],
//! transport failures (timeouts, refused connections) are
//! [`crate::error::ErrorKind::Unavailable`] (on the send itself only a failure to connect
//! is: after the request went out it is [`crate::error::ErrorKind::OutcomeUnknown`]); every
//! request has a connect and a total timeout and every body read has a size
//! limit. Those HTTP rules are [`HttpClient`]'s; this module gives it
//! WASender's wording, waits and error table, and holds what the others
//! share. Retrying, and marking the account, are the engine's business.
//!
//! The client is split by concern: `session` (state, connection test, the
//! session's webhook settings), `sending` (send bodies, sends, correlation,
//! statuses, read receipts), `media` (uploads and downloads) and `contacts`.

use super::errors::{map_error, Credential, RETRY_AFTER_FIELDS};
use super::DEFAULT_BASE_URL;
use crate::error::{Error, ProviderError, Result};
use crate::providers::http::{Auth, ErrorHooks, HttpClient, Profile, RetryAfterRule, Wording};
use crate::secrets::{Secret, SecretName, SecretStore, REENTER_HINT};
use crate::store::Account;
use serde_json::Value;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

// `webhook` reads these through `client` (where they lived before the split).
pub(super) use super::sending::{failed_error, message_status_of};
pub(super) use super::session::session_status;

fn gateway_timeout(status: u16) -> String {
    format!("a gateway in front of WASender timed out (HTTP {status})")
}

/// WASender's settings for the shared HTTP client.
static PROFILE: Profile = Profile {
    wording: Wording {
        service: "WASender",
        short: "WASender",
        connect_hint: "check the internet connection",
        too_large_hint: "check the base URL",
        not_json_hint: "check the base URL of the account",
        gateway_timeout,
    },
    max_json_body: 16 * crate::providers::http::upload::MB,
    max_error_body: 64 * 1024,
    // A 429 body's `retry_after` (fixture `wasender_error_rate_limit.json`),
    // else `Retry-After`, else `X-RateLimit-Reset` (WASender documents it).
    retry_after: RetryAfterRule { body_fields: RETRY_AFTER_FIELDS, rate_limit_reset: true },
    // Some calls (marking read) may answer with an empty body.
    empty_answer_is_null: true,
};

/// WASender's error table for the shared client: the status and wording
/// decide (see [`super::errors`]); `success: false` in a 2xx is a refusal.
/// The messages name the credential that was refused.
struct Hooks(Credential);

impl ErrorHooks for Hooks {
    fn refused(&self, status: u16, body: &[u8], wait: Option<u64>, _what: &str) -> ProviderError {
        map_error(status, body, wait, self.0)
    }

    fn refused_in_answer(&self, answer: &Value, raw: &[u8], _what: &str) -> Option<ProviderError> {
        (answer.get("success").and_then(Value::as_bool) == Some(false)).then(|| map_error(200, raw, None, self.0))
    }
}

/// A client for one WASender session.
#[derive(Clone)]
pub struct WasenderClient {
    /// Authenticates with the API key (messaging, contacts, status, media).
    pub(super) api: HttpClient,
    /// Authenticates with the personal access token (`/whatsapp-sessions`).
    pat: Option<HttpClient>,
    base_url: String,
    session_id: Option<String>,
}

impl fmt::Debug for WasenderClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WasenderClient")
            .field("base_url", &self.base_url)
            .field("session_id", &self.session_id)
            .field("api_key", &"<redacted>")
            .field("personal_access_token", &self.pat.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// A config value as a string: ids are sometimes stored as numbers.
fn config_string(config: &Value, key: &str) -> Option<String> {
    match config.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl WasenderClient {
    /// The client for a WASender account: `base_url` and `session_id` from
    /// its config, the API key (required) and the personal access token
    /// (optional) from the secret store (blocking calls).
    pub fn for_account(account: &Account, secrets: &SecretStore) -> Result<WasenderClient> {
        let config = &account.config;
        let base_url = config_string(config, "base_url").unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
        let session_id = config_string(config, "session_id");
        let api_key = secrets.get(account.id, SecretName::ApiKey)?;
        let pat = secrets.get_opt(account.id, SecretName::PersonalAccessToken)?;
        WasenderClient::new(base_url, api_key, pat, session_id)
    }

    /// A client from explicit settings (the setup wizard, tests). `base_url`
    /// replaces `https://www.wasenderapi.com/api`; a trailing slash is ignored.
    pub fn new(base_url: impl Into<String>, api_key: Secret, pat: Option<Secret>, session_id: Option<String>) -> Result<WasenderClient> {
        let base_url = base_url.into().trim().trim_end_matches('/').to_string();
        match url::Url::parse(&base_url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {}
            _ => return Err(Error::Invalid(format!("invalid WASender base URL {base_url:?}: use e.g. {DEFAULT_BASE_URL}"))),
        }
        if api_key.is_empty() {
            return Err(Error::Invalid(format!("the WASender API key is empty: {REENTER_HINT}")));
        }
        let pat = pat.filter(|p| !p.is_empty());
        let session_id = session_id.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        if let Some(id) = &session_id {
            if id.chars().any(|c| c.is_whitespace() || c.is_control() || "/?#&%\\".contains(c)) {
                return Err(Error::Invalid(format!("invalid WASender session id {id:?}: it is the number shown for the session in the WASender dashboard")));
            }
        }
        // Both clients scrub both secrets, whichever one a message came from.
        let api = HttpClient::new(&PROFILE, base_url.clone(), Auth::Bearer(api_key), pat.clone(), Arc::new(Hooks(Credential::ApiKey)))?;
        let pat = pat.map(|p| api.with_auth(Auth::Bearer(p), Arc::new(Hooks(Credential::PersonalAccessToken))));
        Ok(WasenderClient { api, pat, base_url, session_id })
    }

    /// The same client with other timeouts (tests use short ones).
    pub fn with_timeouts(mut self, connect: Duration, total: Duration) -> Result<WasenderClient> {
        self.api = self.api.with_timeouts(connect, total)?;
        self.pat = self.pat.map(|p| p.with_timeouts(connect, total)).transpose()?;
        Ok(self)
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn session_id(&self) -> Option<&str> {
        self.session_id.as_deref()
    }

    /// Whether webhook management is possible (a token and a session id).
    pub fn can_manage_webhook(&self) -> bool {
        self.pat.is_some() && self.session_id.is_some()
    }

    pub(super) fn url(&self, path: &str) -> String {
        format!("{}/{}", self.base_url, path)
    }

    /// Keeps both secrets out of a message, whatever put them there.
    #[cfg(test)]
    fn scrub(&self, message: String) -> String {
        self.api.scrub(message)
    }

    /// The client that authenticates with `credential`.
    pub(super) fn http_for(&self, credential: Credential) -> Result<&HttpClient> {
        match credential {
            Credential::ApiKey => Ok(&self.api),
            Credential::PersonalAccessToken => self.pat.as_ref().ok_or_else(|| {
                Error::Invalid(
                    "no WASender personal access token is stored for this account: add one (with the session id) to let Wicket manage the webhook".into(),
                )
            }),
        }
    }

    /// Sends the request with `credential` as the Bearer header and returns
    /// the JSON answer (`Null` for an empty one). A non-2xx answer, or
    /// `success: false`, becomes the mapped provider error.
    pub(super) async fn call(&self, req: reqwest::RequestBuilder, what: &str, credential: Credential) -> Result<Value> {
        self.http_for(credential)?.call(req, what).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_secrets() {
        let c = WasenderClient::new(
            "https://www.wasenderapi.com/api/",
            Secret::new("supersecretapikey".into()),
            Some(Secret::new("patsecret123".into())),
            Some("41".into()),
        )
        .unwrap();
        let d = format!("{c:?}");
        assert!(!d.contains("supersecret") && !d.contains("patsecret"), "{d}");
        assert_eq!(c.base_url(), "https://www.wasenderapi.com/api");
        assert_eq!(c.scrub("key supersecretapikey and patsecret123".into()), "key <redacted> and <redacted>");
    }

    #[test]
    fn bad_settings_are_refused() {
        let key = || Secret::new("k".into());
        assert!(WasenderClient::new("ftp://x", key(), None, None).is_err());
        assert!(WasenderClient::new("https://x", Secret::new(String::new()), None, None).is_err());
        assert!(WasenderClient::new("https://x", key(), None, Some("4/../1".into())).is_err());
    }
}
