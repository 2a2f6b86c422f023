//! Account-level actions shared by the CLI, the desktop app and the wizard:
//! creating accounts with their secrets (never one without the other),
//! recording what a connection test said, generating verify tokens.

use crate::error::{Error, ErrorKind, Result};
use crate::model::{AccountStatus, Provider};
use crate::providers::ConnectionInfo;
use crate::secrets::{Secret, SecretName, SecretStore};
use crate::store::{Account, NewAccount, Store};

/// A random token (128 bits, hex) from the OS's CSPRNG, e.g. a webhook
/// verify token generated when the owner gives none.
pub fn random_token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Records the outcome of a connection test on the account: `ok` (and the
/// number the provider reports), `needs_token` for a bad token, or the
/// reason it could not be checked.
pub fn record_connection_test(store: &mut Store, account_id: i64, result: &Result<ConnectionInfo>) -> Result<()> {
    match result {
        Ok(info) => {
            if let Some(display) = &info.display_number {
                // The provider's own number is canonical: keep it even where the
                // metadata is stricter (e.g. fictional 555-01xx test numbers).
                if let Ok(n) = crate::phone::from_wa_id(display) {
                    store.set_account_phone(account_id, Some(n.as_str()))?;
                }
            }
            store.set_account_status(account_id, AccountStatus::Ok, None)
        }
        Err(Error::Provider(pe)) | Err(Error::RetriesExhausted(pe)) => {
            let (status, reason) = match pe.kind {
                ErrorKind::Auth => (AccountStatus::NeedsToken, format!("needs a new token: {}", pe.message)),
                ErrorKind::Unavailable => (AccountStatus::Unverified, format!("not yet verified: could not reach the provider ({})", pe.message)),
                ErrorKind::RateLimited => (AccountStatus::Retrying, pe.message.clone()),
                ErrorKind::SessionDisconnected => (AccountStatus::Disconnected, pe.message.clone()),
                _ => (AccountStatus::Unverified, pe.message.clone()),
            };
            store.set_account_status(account_id, status, Some(&reason))
        }
        Err(other) => store.set_account_status(account_id, AccountStatus::Unverified, Some(&format!("not yet verified: {other}"))),
    }
}

/// What the owner gives to connect a Meta Cloud API number.
#[derive(Debug, Clone)]
pub struct MetaSetup {
    pub name: String,
    pub phone_number_id: String,
    pub business_account_id: String,
    pub token: Secret,
    pub app_secret: Secret,
    /// Generated when absent (and returned once so the owner can paste it).
    pub verify_token: Option<Secret>,
    pub base_url: Option<String>,
    pub api_version: Option<String>,
}

/// What the owner gives to connect a WASender session.
#[derive(Debug, Clone)]
pub struct WasenderSetup {
    pub name: String,
    pub api_key: Secret,
    pub webhook_secret: Option<Secret>,
    pub personal_access_token: Option<Secret>,
    pub session_id: Option<String>,
    pub base_url: Option<String>,
}

/// A newly created account, with the verify token when one was generated.
#[derive(Debug)]
pub struct Created {
    pub account: Account,
    pub generated_verify_token: Option<Secret>,
}

fn check_url(u: &str) -> Result<String> {
    if u.starts_with("http://") || u.starts_with("https://") {
        Ok(u.trim_end_matches('/').to_string())
    } else {
        Err(Error::Invalid(format!("the base URL must start with http:// or https://, got {u:?}")))
    }
}

fn required(value: &str, what: &str) -> Result<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(Error::Invalid(format!("{what} is required")));
    }
    Ok(v.to_string())
}

/// Creates the account and stores its secrets; if the secrets cannot be
/// stored, the account is removed again (never an account without them).
pub fn create_with_secrets(store: &mut Store, secrets: &SecretStore, new: NewAccount, list: &[(SecretName, &Secret)]) -> Result<Account> {
    let account = store.add_account(&new)?;
    for (name, value) in list {
        if let Err(e) = secrets.set(account.id, *name, value) {
            let _ = secrets.delete_account(account.id);
            let _ = store.remove_account(account.id);
            return Err(e);
        }
    }
    Ok(account)
}

pub fn create_meta(store: &mut Store, secrets: &SecretStore, setup: MetaSetup) -> Result<Created> {
    let mut config = serde_json::json!({
        "phone_number_id": required(&setup.phone_number_id, "the phone number id")?,
        "business_account_id": required(&setup.business_account_id, "the business account id")?,
    });
    if let Some(u) = &setup.base_url {
        config["base_url"] = serde_json::json!(check_url(u)?);
    }
    if let Some(v) = &setup.api_version {
        config["api_version"] = serde_json::json!(v.trim());
    }
    let (verify, generated) = match setup.verify_token {
        Some(v) => (v, None),
        None => {
            let v = Secret::new(random_token());
            (v.clone(), Some(v))
        }
    };
    let new = NewAccount { provider: Provider::Meta, name: setup.name, phone: None, config };
    let account = create_with_secrets(
        store,
        secrets,
        new,
        &[(SecretName::AccessToken, &setup.token), (SecretName::AppSecret, &setup.app_secret), (SecretName::VerifyToken, &verify)],
    )?;
    Ok(Created { account, generated_verify_token: generated })
}

pub fn create_wasender(store: &mut Store, secrets: &SecretStore, setup: WasenderSetup) -> Result<Created> {
    let mut config = serde_json::json!({});
    if let Some(u) = &setup.base_url {
        config["base_url"] = serde_json::json!(check_url(u)?);
    }
    if let Some(id) = &setup.session_id {
        config["session_id"] = serde_json::json!(required(id, "the session id")?);
    }
    let mut list: Vec<(SecretName, &Secret)> = vec![(SecretName::ApiKey, &setup.api_key)];
    if let Some(s) = &setup.webhook_secret {
        list.push((SecretName::WebhookSecret, s));
    }
    if let Some(p) = &setup.personal_access_token {
        list.push((SecretName::PersonalAccessToken, p));
    }
    let new = NewAccount { provider: Provider::Wasender, name: setup.name, phone: None, config };
    Ok(Created { account: create_with_secrets(store, secrets, new, &list)?, generated_verify_token: None })
}
