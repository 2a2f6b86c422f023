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

/// Switches an account on or off. A switched-off account keeps its data and
/// secrets, but the engine neither sends, polls nor checks it, and its
/// status says so; switching it on again leaves it "not yet verified" until
/// the next connection test or state check.
pub fn set_enabled(store: &mut Store, id: i64, enabled: bool) -> Result<Account> {
    let account = store.account(id)?;
    store.set_account_enabled(id, enabled)?;
    if !enabled {
        store.set_account_status(id, AccountStatus::Disabled, Some("Wicket neither sends nor receives for it until it is switched on again"))?;
    } else if account.status == AccountStatus::Disabled {
        let status = if account.provider == Provider::Demo { AccountStatus::Ok } else { AccountStatus::Unverified };
        let reason = (status != AccountStatus::Ok).then_some("switched on: not yet verified");
        store.set_account_status(id, status, reason)?;
    }
    store.account(id)
}

/// Removes an account with everything stored for it: first every one of its
/// secrets from the secret store, then its rows (raw webhook bodies
/// included), then its media files and contact pictures on disk. When the
/// secrets cannot be deleted (a locked keychain), nothing is removed, so the
/// owner can try again and no secret is left behind without an account to
/// name it. The demo keeps no secret and needs no secret store. Returns how
/// many secrets were deleted.
///
/// The files go last, after the rows are committed: a file that cannot be
/// deleted then (or a crash right before) leaves an orphan folder that the
/// daily [`crate::maintenance`] removes, never a row naming a missing file.
/// The data dir is the database's folder ([`crate::DataDir::db_path`]).
pub fn remove(store: &mut Store, secrets: Option<&SecretStore>, id: i64) -> Result<usize> {
    let account = store.account(id)?;
    let deleted = match (account.provider, secrets) {
        (Provider::Demo, None) => 0,
        (_, Some(s)) => s.delete_account(id)?,
        (_, None) => {
            return Err(Error::Secrets(format!(
                "cannot remove account {id} without the secret store: its secrets would stay behind. Unlock the keychain (or set WICKET_VAULT_PASSPHRASE) and try again"
            )))
        }
    };
    let files = store.account_files(id)?;
    store.remove_account(id)?;
    if let Some(root) = store.path().parent() {
        remove_account_files(&crate::DataDir::open(root)?, id, &files);
    }
    Ok(deleted)
}

/// Deletes the account's media folders (`media/{id}`, `media/avatars/{id}`)
/// and any other file its rows named inside `media/`. Failures are logged:
/// the rows are gone already and the daily maintenance sweeps what is left.
fn remove_account_files(dir: &crate::DataDir, id: i64, files: &[String]) {
    let media = dir.media_dir();
    for rel in files {
        let path = dir.root().join(rel);
        // Only inside media/, and never through a link that leads out.
        let inside = path.canonicalize().ok().zip(media.canonicalize().ok()).is_some_and(|(p, m)| p.starts_with(&m) && p.is_file());
        if inside {
            if let Err(e) = std::fs::remove_file(&path) {
                tracing::warn!(account = id, error = %e, "cannot delete a media file of a removed account");
            }
        }
    }
    for folder in [media.join(id.to_string()), media.join("avatars").join(id.to_string())] {
        match std::fs::remove_dir_all(&folder) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                tracing::warn!(account = id, folder = %folder.display(), error = %e, "cannot delete the media folder of a removed account")
            }
            _ => {}
        }
    }
}

/// Creates a Wicket account for one UniPile account: its API key and a
/// webhook secret of our own (for UniPile webhooks, which carry it back).
pub fn create_unipile(store: &mut Store, secrets: &SecretStore, dsn: &str, key: &Secret, a: &crate::providers::unipile::UnipileAccount) -> Result<Account> {
    let details =
        serde_json::json!({ "type": a.account_type, "status": a.status, "sources": a.sources, "created_at": a.created_at, "groups": a.groups, "raw": a.raw });
    let config = serde_json::json!({ "dsn": dsn, "unipile_account_id": a.id, "details": details });
    let name = if a.name.trim().is_empty() { format!("UniPile {}", a.id) } else { a.name.clone() };
    let new = NewAccount { provider: Provider::Unipile, name, phone: a.phone.clone(), config };
    let hook = Secret::new(random_token());
    let account = create_with_secrets(store, secrets, new, &[(SecretName::ApiKey, key), (SecretName::WebhookSecret, &hook)])?;
    let (status, reason) = a.account_status();
    store.set_account_status(account.id, status, reason.as_deref())?;
    store.account(account.id)
}

/// One account created by an import, with what its connection test said
/// (`None` when not tested) and the verify token Wicket generated, if any.
#[derive(Debug)]
pub struct Imported {
    pub account: Account,
    pub generated_verify_token: Option<Secret>,
    pub tested: Option<Result<ConnectionInfo>>,
}

/// Creates the accounts a `.env` file describes ([`crate::env_import`]).
/// With `test`, each new account's connection is tested and the outcome
/// recorded; a provider that cannot be reached is not a failure: the account
/// is kept, "not yet verified". UniPile's accounts are listed online; when
/// they cannot be, that is returned as a warning and nothing is created for
/// UniPile. Returns the accounts and the warnings.
pub async fn create_from_env(
    store: &mut Store,
    secrets: &SecretStore,
    found: crate::env_import::EnvImport,
    test: bool,
) -> Result<(Vec<Imported>, Vec<String>)> {
    use crate::providers::unipile::{normalize_dsn, UnipileClient};
    use crate::providers::ProviderClient;
    let mut out = vec![];
    let mut warnings = found.problems.clone();
    let mut created = vec![];
    if let Some(meta) = found.meta {
        created.push(create_meta(store, secrets, meta)?);
    }
    if let Some(w) = found.wasender {
        created.push(create_wasender(store, secrets, w)?);
    }
    for c in created {
        let tested = if test {
            let result = match ProviderClient::for_account(&c.account, secrets) {
                Ok(client) => client.test_connection().await,
                Err(e) => Err(e),
            };
            record_connection_test(store, c.account.id, &result)?;
            Some(result)
        } else {
            None
        };
        out.push(Imported { account: store.account(c.account.id)?, generated_verify_token: c.generated_verify_token, tested });
    }
    if let Some((dsn, key)) = found.unipile {
        let listed = match normalize_dsn(&dsn).and_then(|dsn| UnipileClient::new(&dsn, key.clone(), None).map(|c| (dsn, c))) {
            Ok((dsn, client)) => client.list_accounts().await.map(|l| (dsn, l)),
            Err(e) => Err(e),
        };
        match listed {
            Ok((dsn, list)) => {
                for a in list.iter().filter(|a| a.is_whatsapp()) {
                    let account = create_unipile(store, secrets, &dsn, &key, a)?;
                    let info = ConnectionInfo {
                        verified_name: Some(a.name.clone()).filter(|n| !n.is_empty()),
                        display_number: a.phone.clone(),
                        quality_rating: None,
                        raw: serde_json::Value::Null,
                    };
                    out.push(Imported { account, generated_verify_token: None, tested: Some(Ok(info)) });
                }
            }
            Err(e) => warnings
                .push(format!("UniPile accounts could not be listed ({e}): add them from the UniPile step (or `wicket account add unipile`) when online")),
        }
    }
    Ok((out, warnings))
}
