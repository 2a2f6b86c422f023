//! The setup wizard's commands: thin calls into the core's account setup
//! (`wicket_core::accounts`, `env_import`, the provider clients, `sync`),
//! exactly what `wicket account add|import` and `wicket sync` do.
//!
//! The secret store (the OS keychain can block on D-Bus) and the provider
//! calls run on a blocking thread, each with a store connection of its own,
//! so the window's connection is never held across the network. Typed
//! secrets go straight into the secret store: they are never logged and no
//! answer carries one, except a verify token Wicket generated (shown once).

use crate::dto::*;
use crate::state::AppState;
use serde_json::json;
use tauri::{AppHandle, Emitter, Runtime, State};
use wicket_core::accounts::{self, MetaSetup, WasenderSetup};
use wicket_core::model::Provider;
use wicket_core::providers::meta::{MetaClient, DEFAULT_API_VERSION, DEFAULT_BASE_URL};
use wicket_core::providers::unipile::{normalize_dsn, UnipileAccount, UnipileClient};
use wicket_core::providers::{ConnectionInfo, ProviderClient};
use wicket_core::secrets::{Secret, SecretName, SecretStore};
use wicket_core::store::{Account, NewAccount};
use wicket_core::sync::{self, ContactSyncMode};
use wicket_core::{DataDir, Error, Result, Store};

type Res<T> = std::result::Result<T, CommandError>;

pub const WIZARD_PROGRESS: &str = "wizard-progress";

/// Runs `f` on a blocking thread with its own store connection and the
/// secret store (in memory when it cannot open and `needs_secrets` is false:
/// the demo); `f` awaits the network with `block_on`.
async fn blocking<T: Send + 'static>(dir: DataDir, needs_secrets: bool, f: impl FnOnce(&mut Store, &SecretStore) -> Result<T> + Send + 'static) -> Res<T> {
    let joined = tauri::async_runtime::spawn_blocking(move || {
        let mut store = Store::open(&dir.db_path())?;
        let id = store.data_dir_id()?;
        // The demo needs no secret: an unavailable keychain is no reason to stop it.
        let secrets = match SecretStore::open(&dir, &id, None) {
            Ok(s) => s,
            Err(e) if !needs_secrets => {
                tracing::debug!("no secret store ({e}); the demo goes on without one");
                SecretStore::in_memory(&id)
            }
            Err(e) => return Err(e),
        };
        f(&mut store, &secrets)
    })
    .await;
    match joined {
        Ok(r) => r.map_err(CommandError::from),
        Err(e) => Err(Error::Internal(format!("the wizard's worker stopped: {e}")).into()),
    }
}

/// Awaits `fut` from a blocking thread of the async runtime.
fn wait<F: std::future::Future>(fut: F) -> F::Output {
    tokio::runtime::Handle::current().block_on(fut)
}

fn opt(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

fn secret(s: String) -> Secret {
    Secret::new(s.trim().to_string())
}

fn meta_client(a: &WizardMetaArgs) -> Result<MetaClient> {
    MetaClient::new(
        opt(a.base_url.clone()).unwrap_or_else(|| DEFAULT_BASE_URL.into()),
        opt(a.api_version.clone()).unwrap_or_else(|| DEFAULT_API_VERSION.into()),
        a.phone_number_id.clone(),
        Some(a.business_account_id.clone()),
        secret(a.token.clone()),
    )
}

/// Tests a connection after saving and records what it said on the account
/// (`ok`, `needs_token`, or "not yet verified" when offline).
fn test_and_record(store: &mut Store, secrets: &SecretStore, account: &Account) -> Result<(Account, std::result::Result<ConnectionInfo, Error>)> {
    let result = ProviderClient::for_account(account, secrets).and_then(|c| wait(c.test_connection()));
    accounts::record_connection_test(store, account.id, &result)?;
    Ok((store.account(account.id)?, result))
}

fn added(store: &Store, account: &Account, tested: std::result::Result<ConnectionInfo, Error>, verify_token: Option<Secret>) -> Result<WizardAddedDto> {
    let webhook_path = matches!(account.provider, Provider::Meta | Provider::Wasender)
        .then(|| format!("/webhooks/{}/{}", account.provider.as_str(), account.id));
    Ok(WizardAddedDto {
        account: AccountDto::new(account, &store.default_country()?),
        verify_token: verify_token.map(|t| t.expose().to_string()),
        webhook_path,
        connection: tested.as_ref().ok().map(ConnectionInfoDto::from),
        warning: tested.err().map(CommandError::from),
    })
}

/// "Test connection" before saving: the provider's answer, or why not.
#[tauri::command]
pub async fn wizard_test_meta(args: WizardMetaArgs) -> Res<ConnectionInfoDto> {
    let client = meta_client(&args)?;
    Ok(ConnectionInfoDto::from(&client.test_connection().await?))
}

#[tauri::command]
pub async fn wizard_add_meta(state: State<'_, AppState>, args: WizardMetaArgs) -> Res<WizardAddedDto> {
    meta_client(&args)?; // the same checks as the test, before anything is stored
    blocking(state.dir.clone(), true, move |store, secrets| {
        let setup = MetaSetup {
            name: opt(args.name).unwrap_or_else(|| "WhatsApp (Meta)".into()),
            phone_number_id: args.phone_number_id,
            business_account_id: args.business_account_id,
            token: secret(args.token),
            app_secret: secret(args.app_secret),
            verify_token: opt(args.verify_token).map(Secret::new),
            base_url: opt(args.base_url),
            api_version: opt(args.api_version),
        };
        let created = accounts::create_meta(store, secrets, setup)?;
        let (account, tested) = test_and_record(store, secrets, &created.account)?;
        added(store, &account, tested, created.generated_verify_token)
    })
    .await
}

#[tauri::command]
pub async fn wizard_add_wasender(state: State<'_, AppState>, args: WizardWasenderArgs) -> Res<WizardAddedDto> {
    blocking(state.dir.clone(), true, move |store, secrets| {
        let setup = WasenderSetup {
            name: opt(args.name).unwrap_or_else(|| "WhatsApp (WASender)".into()),
            api_key: secret(args.api_key),
            webhook_secret: opt(args.webhook_secret).map(Secret::new),
            personal_access_token: opt(args.personal_access_token).map(Secret::new),
            session_id: opt(args.session_id),
            base_url: opt(args.base_url),
        };
        let created = accounts::create_wasender(store, secrets, setup)?;
        let (account, tested) = test_and_record(store, secrets, &created.account)?;
        added(store, &account, tested, None)
    })
    .await
}

fn unipile_accounts(dsn: &str, api_key: &str) -> Result<(String, Vec<UnipileAccount>)> {
    let dsn = normalize_dsn(dsn)?;
    let client = UnipileClient::new(&dsn, Secret::new(api_key.trim().to_string()), None)?;
    let list = wait(client.list_accounts())?.into_iter().filter(UnipileAccount::is_whatsapp).collect();
    Ok((dsn, list))
}

/// The WhatsApp accounts behind a UniPile API key.
#[tauri::command]
pub async fn wizard_unipile_accounts(args: WizardUnipileArgs) -> Res<Vec<UnipileAccountDto>> {
    let joined = tauri::async_runtime::spawn_blocking(move || unipile_accounts(&args.dsn, &args.api_key)).await;
    let (_, list) = joined.map_err(|e| CommandError::from(Error::Internal(format!("the wizard's worker stopped: {e}"))))??;
    Ok(list.into_iter().map(|a| UnipileAccountDto { id: a.id, name: a.name, phone: a.phone, status: a.status }).collect())
}

/// Imports UniPile accounts (their API key and a webhook secret of our own).
fn create_unipile(store: &mut Store, secrets: &SecretStore, dsn: &str, key: &Secret, a: &UnipileAccount) -> Result<Account> {
    let details = json!({ "type": a.account_type, "status": a.status, "sources": a.sources, "created_at": a.created_at, "groups": a.groups, "raw": a.raw });
    let config = json!({ "dsn": dsn, "unipile_account_id": a.id, "details": details });
    let name = if a.name.trim().is_empty() { format!("UniPile {}", a.id) } else { a.name.clone() };
    let new = NewAccount { provider: Provider::Unipile, name, phone: a.phone.clone(), config };
    let hook = Secret::new(accounts::random_token());
    let account = accounts::create_with_secrets(store, secrets, new, &[(SecretName::ApiKey, key), (SecretName::WebhookSecret, &hook)])?;
    let (status, reason) = a.account_status();
    store.set_account_status(account.id, status, reason.as_deref())?;
    store.account(account.id)
}

#[tauri::command]
pub async fn wizard_add_unipile(state: State<'_, AppState>, args: WizardAddUnipileArgs) -> Res<Vec<WizardAddedDto>> {
    blocking(state.dir.clone(), true, move |store, secrets| {
        let (dsn, available) = unipile_accounts(&args.dsn, &args.api_key)?;
        let key = secret(args.api_key);
        let mut out = vec![];
        for id in &args.account_ids {
            let a = available.iter().find(|a| &a.id == id).ok_or_else(|| Error::NotFound(format!("no WhatsApp account {id} behind this UniPile API key")))?;
            let account = create_unipile(store, secrets, &dsn, &key, a)?;
            out.push(WizardAddedDto {
                account: AccountDto::new(&account, &store.default_country()?),
                verify_token: None,
                webhook_path: None,
                connection: None,
                warning: None,
            });
        }
        Ok(out)
    })
    .await
}

/// What a `.env` file describes, before anything is created.
#[tauri::command]
pub async fn wizard_import_env(args: WizardPathArgs) -> Res<EnvImportDto> {
    let found = wicket_core::env_import::read(std::path::Path::new(args.path.trim()))?;
    Ok(EnvImportDto {
        meta_phone_number_id: found.meta.as_ref().map(|m| m.phone_number_id.clone()),
        wasender: found.wasender.is_some(),
        unipile_dsn: found.unipile.as_ref().map(|(dsn, _)| dsn.clone()),
        unknown: found.unknown,
        problems: found.problems,
    })
}

/// Creates the accounts a `.env` file describes. Offline, a connection test
/// that cannot reach the provider is a warning: the account is kept, "not yet
/// verified"; UniPile accounts that cannot be listed are skipped with a warning.
#[tauri::command]
pub async fn wizard_create_from_env(state: State<'_, AppState>, args: WizardPathArgs) -> Res<Vec<WizardAddedDto>> {
    blocking(state.dir.clone(), true, move |store, secrets| {
        let found = wicket_core::env_import::read(std::path::Path::new(args.path.trim()))?;
        let mut out = vec![];
        if let Some(meta) = found.meta {
            let c = accounts::create_meta(store, secrets, meta)?;
            let (account, tested) = test_and_record(store, secrets, &c.account)?;
            out.push(added(store, &account, tested, c.generated_verify_token)?);
        }
        if let Some(w) = found.wasender {
            let c = accounts::create_wasender(store, secrets, w)?;
            let (account, tested) = test_and_record(store, secrets, &c.account)?;
            out.push(added(store, &account, tested, None)?);
        }
        if let Some((dsn, key)) = found.unipile {
            match unipile_accounts(&dsn, key.expose()) {
                Ok((dsn, list)) => {
                    for a in &list {
                        let account = create_unipile(store, secrets, &dsn, &key, a)?;
                        out.push(added(store, &account, Ok(ConnectionInfo { verified_name: Some(a.name.clone()), display_number: a.phone.clone(), quality_rating: None, raw: json!(null) }), None)?);
                    }
                }
                Err(e) => tracing::warn!("the .env import could not list the UniPile accounts: {e}"),
            }
        }
        if out.is_empty() {
            return Err(Error::NotFound(format!("no complete account in {}: {}", args.path.trim(), found.problems.join("; "))));
        }
        Ok(out)
    })
    .await
}

/// The demo account with its sample conversations (no network, no secret).
#[tauri::command]
pub async fn wizard_add_demo(state: State<'_, AppState>) -> Res<AccountDto> {
    let mut store = state.store()?;
    let account = wicket_core::providers::demo::create_demo_account(&mut store)?;
    Ok(AccountDto::new(&account, &store.default_country()?))
}

/// The first sync: templates (Meta), contacts (gateways), recent messages
/// (where the provider can be polled), announcing each step as
/// `wizard-progress`. A failed step is reported; the account works anyway.
#[tauri::command]
pub async fn wizard_first_sync<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>, args: WizardSyncArgs) -> Res<Vec<FirstSyncStepDto>> {
    let demo = state.store()?.account(args.account_id)?.provider == Provider::Demo;
    blocking(state.dir.clone(), !demo, move |store, secrets| {
        let account = store.account(args.account_id)?;
        let client = ProviderClient::for_account(&account, secrets)?;
        let mut steps: Vec<&str> = vec![];
        if account.provider == Provider::Meta {
            steps.push("templates");
        } else {
            steps.push("contacts");
        }
        if client.can_poll() {
            steps.push("messages");
        }
        let total = steps.len() as u32;
        let progress = |step: &str, done: u32| {
            let _ = app.emit(WIZARD_PROGRESS, WizardProgress { step: step.into(), done, total });
        };
        let mut out = vec![];
        for (i, step) in steps.iter().enumerate() {
            progress(step, i as u32);
            let result: Result<usize> = match *step {
                "templates" => wait(client.templates()).and_then(|list| store.replace_templates(account.id, &list)),
                "contacts" => wait(sync::sync_contacts(store, &client, account.id, ContactSyncMode::Full)).map(|s| s.total_fetched),
                _ => wait(sync::poll_messages(store, &client, account.id)).map(|a| a.new_messages.len()),
            };
            out.push(FirstSyncStepDto { step: step.to_string(), count: result.as_ref().ok().map(|n| *n as u32), error: result.err().map(CommandError::from) });
        }
        progress("done", total);
        Ok(out)
    })
    .await
}
