//! The setup wizard's commands: thin calls into the core's account setup
//! (`wicket_core::accounts`, `env_import`, the provider clients, `sync`),
//! exactly what `wicket account add|import` and `wicket sync` do.
//!
//! The secret store (the OS keychain can block on D-Bus) and the provider
//! calls run on a blocking thread, each with a store connection of its own,
//! so the window's connection is never held across the network. Typed
//! secrets go straight into the secret store: they are never logged and no
//! answer carries one, except a verify token Wicket generated (shown once)
//! and, in the public-address step, the account's verify token to paste.
//!
//! Also here: the account settings (`accounts_*`: switch on/off, remove
//! with the secrets) and the public-address step, whose listener and tunnel
//! live in this module until the app quits.

use crate::dto::*;

use crate::state::AppState;
use tauri::{AppHandle, Emitter, Runtime, State};
use wicket_core::accounts::{self, MetaSetup, WasenderSetup};
use wicket_core::model::Provider;
use wicket_core::providers::meta::{MetaClient, DEFAULT_API_VERSION, DEFAULT_BASE_URL};
use wicket_core::providers::unipile::{normalize_dsn, UnipileAccount, UnipileClient};
use wicket_core::providers::wasender::{WasenderClient, DEFAULT_BASE_URL as WASENDER_BASE_URL};
use wicket_core::providers::{ConnectionInfo, ProviderClient};
use wicket_core::secrets::{Secret, SecretStore};
use wicket_core::store::Account;
use wicket_core::sync::{self, ContactSyncMode};
use wicket_core::{Error, Result, Store};

type Res<T> = std::result::Result<T, CommandError>;

pub const WIZARD_PROGRESS: &str = "wizard-progress";

/// Runs `f` on a blocking thread with its own store connection and the
/// secret store (in memory when it cannot open and `needs_secrets` is false:
/// the demo); `f` awaits the network with `block_on`.
/// Without a keychain, `needs_secrets` work fails with `passphrase_needed`
/// until the owner has given the vault passphrase (the UI asks, then retries).
async fn blocking<T: Send + 'static>(state: &AppState, needs_secrets: bool, f: impl FnOnce(&mut Store, &SecretStore) -> Result<T> + Send + 'static) -> Res<T> {
    let (dir, window_secrets) = (state.dir.clone(), state.secrets.clone());
    let joined = tauri::async_runtime::spawn_blocking(move || {
        let mut store = Store::open(&dir.db_path())?;
        // The wizard's own connection: the app lock's door all the same.
        wicket_core::applock::ensure_unlocked(&store)?;
        let id = store.data_dir_id()?;
        // The demo needs no secret: an unavailable keychain is no reason to stop it.
        let secrets = if needs_secrets { window_secrets.open(&id)? } else { window_secrets.open_or_memory(&id) };
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
    let webhook_path =
        matches!(account.provider, Provider::Meta | Provider::Wasender).then(|| format!("/webhooks/{}/{}", account.provider.as_str(), account.id));
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
    blocking(&state, true, move |store, secrets| {
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

fn wasender_client(a: &WizardWasenderArgs) -> Result<WasenderClient> {
    WasenderClient::new(
        opt(a.base_url.clone()).unwrap_or_else(|| WASENDER_BASE_URL.into()),
        secret(a.api_key.clone()),
        opt(a.personal_access_token.clone()).map(Secret::new),
        opt(a.session_id.clone()),
    )
}

/// "Test connection" for WASender before saving: the API key and the
/// session's state (`GET /status`, then the number and name), nothing stored.
#[tauri::command]
pub async fn wizard_test_wasender(args: WizardWasenderArgs) -> Res<ConnectionInfoDto> {
    if args.api_key.trim().is_empty() {
        return Err(Error::Invalid("the API key is required".into()).into());
    }
    let client = wasender_client(&args)?;
    Ok(ConnectionInfoDto::from(&client.test_connection().await?))
}

#[tauri::command]
pub async fn wizard_add_wasender(state: State<'_, AppState>, args: WizardWasenderArgs) -> Res<WizardAddedDto> {
    blocking(&state, true, move |store, secrets| {
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
    accounts::create_unipile(store, secrets, dsn, key, a)
}

#[tauri::command]
pub async fn wizard_add_unipile(state: State<'_, AppState>, args: WizardAddUnipileArgs) -> Res<Vec<WizardAddedDto>> {
    blocking(&state, true, move |store, secrets| {
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
    Ok(env_preview(&wicket_core::env_import::read(std::path::Path::new(args.path.trim()))?))
}

fn env_preview(found: &wicket_core::env_import::EnvImport) -> EnvImportDto {
    EnvImportDto {
        meta_phone_number_id: found.meta.as_ref().map(|m| m.phone_number_id.clone()),
        wasender: found.wasender.is_some(),
        unipile_dsn: found.unipile.as_ref().map(|(dsn, _)| dsn.clone()),
        unknown: found.unknown.clone(),
        problems: found.problems.clone(),
    }
}

/// Creates what a `.env` file described, testing each account: offline, a
/// test that cannot reach the provider is a warning on that account (kept,
/// "not yet verified"); UniPile accounts that cannot be listed are skipped.
fn create_from_env(store: &mut Store, secrets: &SecretStore, found: wicket_core::env_import::EnvImport, source: &str) -> Result<Vec<WizardAddedDto>> {
    let problems = found.problems.join("; ");
    let (created, warnings) = wait(accounts::create_from_env(store, secrets, found, true))?;
    for w in &warnings {
        tracing::warn!("the .env import: {w}");
    }
    if created.is_empty() {
        return Err(Error::NotFound(format!("no complete account in {source}: {}", if problems.is_empty() { warnings.join("; ") } else { problems })));
    }
    created
        .into_iter()
        .map(|c| {
            let tested = c.tested.unwrap_or_else(|| Err(Error::Internal("not tested".into())));
            added(store, &c.account, tested, c.generated_verify_token)
        })
        .collect()
}

/// Creates the accounts a `.env` file describes (see [`create_from_env`]).
#[tauri::command]
pub async fn wizard_create_from_env(state: State<'_, AppState>, args: WizardPathArgs) -> Res<Vec<WizardAddedDto>> {
    blocking(&state, true, move |store, secrets| {
        let path = args.path.trim().to_string();
        let found = wicket_core::env_import::read(std::path::Path::new(&path))?;
        create_from_env(store, secrets, found, &path)
    })
    .await
}

/// What the text of a picked `.env` file describes, before anything is created.
#[tauri::command]
pub async fn wizard_import_env_text(args: WizardTextArgs) -> Res<EnvImportDto> {
    Ok(env_preview(&wicket_core::env_import::parse(&args.text, &args.name)?))
}

/// Creates the accounts the text of a picked `.env` file describes.
#[tauri::command]
pub async fn wizard_create_from_env_text(state: State<'_, AppState>, args: WizardTextArgs) -> Res<Vec<WizardAddedDto>> {
    blocking(&state, true, move |store, secrets| {
        let found = wicket_core::env_import::parse(&args.text, &args.name)?;
        create_from_env(store, secrets, found, &args.name)
    })
    .await
}

/// The demo account with its sample conversations (no network, no secret).
#[tauri::command]
pub async fn wizard_add_demo(state: State<'_, AppState>) -> Res<AccountDto> {
    let mut store = state.store()?;
    // One demo is enough: a second would list every sample chat twice.
    let existing = store.accounts()?.into_iter().find(|a| a.provider == Provider::Demo);
    let account = match existing {
        Some(account) => account,
        None => wicket_core::providers::demo::create_demo_account(&mut store)?,
    };
    Ok(AccountDto::new(&account, &store.default_country()?))
}

/// The first sync: templates (Meta), contacts (gateways), recent messages
/// (where the provider can be polled), announcing each step as
/// `wizard-progress`. A failed step is reported; the account works anyway.
#[tauri::command]
pub async fn wizard_first_sync<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>, args: WizardSyncArgs) -> Res<Vec<FirstSyncStepDto>> {
    let demo = state.store()?.account(args.account_id)?.provider == Provider::Demo;
    blocking(&state, !demo, move |store, secrets| {
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

fn unipile_dto(a: UnipileAccount) -> UnipileAccountDto {
    UnipileAccountDto { id: a.id, name: a.name, phone: a.phone, status: a.status }
}

/// UniPile's hosted authentication for a new WhatsApp account: a link to
/// open in a browser (where the owner scans a QR code), and the accounts
/// that exist now, so the new one can be told apart.
#[tauri::command]
pub async fn wizard_unipile_connect(args: WizardUnipileArgs) -> Res<UnipileLinkDto> {
    let dsn = normalize_dsn(&args.dsn)?;
    let client = UnipileClient::new(&dsn, secret(args.api_key), None)?;
    let known = client.list_accounts().await?.into_iter().map(|a| a.id).collect();
    let url = client.hosted_auth_link(None, std::time::Duration::from_secs(3600)).await?;
    Ok(UnipileLinkDto { url, known })
}

/// Polls UniPile's account list (every 3 s, up to `seconds`) until a new
/// WhatsApp account is connected; the UI calls it again to keep waiting.
#[tauri::command]
pub async fn wizard_unipile_wait(args: WizardUnipileWaitArgs) -> Res<UnipileAccountDto> {
    let dsn = normalize_dsn(&args.dsn)?;
    let client = UnipileClient::new(&dsn, secret(args.api_key), None)?;
    let seconds = u64::from(args.seconds.clamp(1, 120));
    let found = client.wait_for_new_account(&args.known, std::time::Duration::from_secs(seconds), std::time::Duration::from_secs(3)).await?;
    Ok(unipile_dto(found))
}

/// Another machine's export: its accounts and settings (never its
/// conversations), with their secrets when the owner brought the vault
/// written with it and its passphrase, else marked "re-enter secrets".
#[tauri::command]
pub async fn wizard_import_export(state: State<'_, AppState>, args: WizardExportArgs) -> Res<Vec<WizardAddedDto>> {
    blocking(&state, true, move |store, secrets| {
        let doc: serde_json::Value = serde_json::from_str(&args.text).map_err(|e| Error::Invalid(format!("{} is not a Wicket export: {e}", args.name)))?;
        // The vault format is read from a file: a private temporary one.
        let vault_file = match &args.vault_text {
            Some(text) if !text.trim().is_empty() => {
                let path = std::env::temp_dir().join(format!("wicket-import-{}.vault", accounts::random_token()));
                std::fs::write(&path, text).map_err(|e| Error::io("cannot read the secrets vault", e))?;
                Some(path)
            }
            _ => None,
        };
        let vault = match (&vault_file, opt(args.passphrase.clone())) {
            (Some(p), Some(pass)) => Some((p.as_path(), Secret::new(pass))),
            (Some(_), None) => {
                if let Some(p) = &vault_file {
                    let _ = std::fs::remove_file(p);
                }
                return Err(Error::Invalid("the secrets vault needs its passphrase".into()));
            }
            (None, _) => None,
        };
        let result = wicket_core::export::import_accounts(store, Some(secrets), &doc, vault);
        if let Some(p) = &vault_file {
            let _ = std::fs::remove_file(p);
        }
        let imported = result?;
        let mut out = vec![];
        for a in imported {
            let tested = if a.secrets_restored > 0 {
                test_and_record(store, secrets, &a.account)?.1
            } else {
                Err(Error::Secrets(format!("imported without its secrets: re-enter them for {}", a.account.name)))
            };
            let account = store.account(a.account.id)?;
            out.push(added(store, &account, tested, None)?);
        }
        Ok(out)
    })
    .await
}

/// Switches an account on or off (its data and secrets stay).
#[tauri::command]
pub async fn accounts_set_enabled(state: State<'_, AppState>, args: AccountEnabledArgs) -> Res<AccountDto> {
    let mut store = state.store()?;
    let account = accounts::set_enabled(&mut store, args.account_id, args.enabled)?;
    Ok(AccountDto::new(&account, &store.default_country()?))
}

/// Removes an account, its conversations and every one of its secrets.
#[tauri::command]
pub async fn accounts_remove(state: State<'_, AppState>, args: WizardSyncArgs) -> Res<()> {
    let demo = state.store()?.account(args.account_id)?.provider == Provider::Demo;
    blocking(&state, !demo, move |store, secrets| accounts::remove(store, if demo { None } else { Some(secrets) }, args.account_id).map(|_| ())).await
}

// ---------------------------------------------------------------------------
// The public address (Meta and WASender deliver only to public HTTPS)
// ---------------------------------------------------------------------------

/// The listener the public-address step started. It lives until the app
/// quits ([`stop_public_address`]); the engine binds the listener itself
/// from the `webhook_listen` setting at the next start. The tunnel is kept
/// by `public_address.rs`, which also brings it back at every start.
struct PublicSession {
    listener: Option<wicket_core::webhook::WebhookServer>,
}

static PUBLIC: std::sync::Mutex<PublicSession> = std::sync::Mutex::new(PublicSession { listener: None });

fn public() -> std::sync::MutexGuard<'static, PublicSession> {
    PUBLIC.lock().unwrap_or_else(|p| p.into_inner())
}

/// Stops the tunnel and the listener the step started (at exit).
pub fn stop_public_address() {
    crate::public_address::shutdown();
    if let Some(l) = public().listener.take() {
        l.shutdown();
    }
}

/// Where the public-address step's own listener answers (none while the engine listens).
pub(crate) fn step_listener() -> Option<String> {
    public().listener.as_ref().map(|l| l.local_addr().to_string())
}

/// Where a listener of this window answers: the engine's, or the step's.
fn listening(state: &AppState) -> Option<String> {
    if let EngineState::Running { listen: Some(a) } = state.info().engine {
        return Some(a);
    }
    step_listener()
}

fn tool_list() -> Vec<TunnelToolDto> {
    use wicket_core::tunnel::{self, TunnelKind};
    let installed = tunnel::detect();
    [("cloudflared", TunnelKind::CloudflaredQuick, false), ("funnel", TunnelKind::TailscaleFunnel, true), ("ngrok", TunnelKind::Ngrok, false)]
        .into_iter()
        .map(|(kind, k, stable)| TunnelToolDto {
            kind: kind.into(),
            label: k.label().into(),
            installed: installed.iter().any(|t| t.kinds.contains(&k)),
            stable,
            hint: k.install_hint().into(),
        })
        .collect()
}

/// What the public-address step shows for a Meta or WASender account.
#[tauri::command]
pub async fn wizard_public_address(state: State<'_, AppState>, args: WizardSyncArgs) -> Res<PublicAddressDto> {
    let listening = listening(&state);
    let (account, listen, public_url) = {
        let store = state.store()?;
        let account = store.account(args.account_id)?;
        let listen = store.setting_str("webhook_listen")?.unwrap_or_else(|| wicket_core::tunnel::DEFAULT_LISTEN.into());
        (account, listen, store.setting_str("public_url")?)
    };
    let provider = account.provider;
    let verify_token = if provider == Provider::Meta {
        let id = account.id;
        blocking(&state, true, move |_, secrets| Ok(secrets.get_opt(id, wicket_core::secrets::SecretName::VerifyToken)?.map(|t| t.expose().to_string())))
            .await?
    } else {
        None
    };
    let listen_warning = wicket_core::tunnel::parse_listen(&listen).ok().and_then(|(_, w)| w);
    let callback = format!("{}/webhooks/{}/{}", public_url.as_deref().unwrap_or("https://<your public address>"), provider.as_str(), account.id);
    let manual_step = wicket_core::tunnel::manual_step(provider, &callback, verify_token.clone().map(Secret::new).as_ref());
    Ok(PublicAddressDto {
        manual_step,
        account_id: account.id,
        provider,
        listen,
        listening,
        listen_warning,
        callback_path: format!("/webhooks/{}/{}", provider.as_str(), account.id),
        public_url,
        verify_token,
        tools: tool_list(),
        stable_note: wicket_core::tunnel::STABLE_URL_NOTE.into(),
        changing_note: wicket_core::tunnel::CHANGING_URL_NOTE.into(),
    })
}

/// Starts the embedded webhook listener on `listen` and keeps it as the
/// `webhook_listen` setting (the engine binds it at every start).
#[tauri::command]
pub async fn wizard_start_listener(state: State<'_, AppState>, args: WizardListenArgs) -> Res<ListenerDto> {
    let (addr, warning) = wicket_core::tunnel::parse_listen(&args.listen)?;
    state.store()?.set_setting("webhook_listen", &serde_json::json!(addr.to_string()))?;
    if let Some(now) = listening(&state) {
        if now == addr.to_string() || (addr.port() == 0 && now.starts_with(&addr.ip().to_string())) {
            return Ok(ListenerDto { listening: now, warning });
        }
    }
    let dir = state.dir.clone();
    let started = blocking(&state, true, move |_, secrets| {
        let deps = wicket_core::webhook::WebhookDeps { db_path: dir.db_path(), secrets: std::sync::Arc::new(secrets.clone()), sink: None };
        wicket_core::webhook::WebhookServer::start(wicket_core::webhook::ListenerConfig::with_addr(addr), deps)
    })
    .await?;
    let listening = started.local_addr().to_string();
    let mut p = public();
    if let Some(old) = p.listener.replace(started) {
        old.shutdown();
    }
    Ok(ListenerDto { listening, warning })
}

pub(crate) fn registration_dto(r: wicket_core::tunnel::AccountRegistration) -> RegistrationDto {
    use wicket_core::tunnel::Registration;
    let (outcome, detail, paste) = match r.outcome {
        Registration::Registered => ("registered", None, None),
        Registration::ManualStepNeeded { why, what_to_paste_where } => ("manual_step_needed", Some(why), Some(what_to_paste_where)),
        Registration::Failed(why) => ("failed", Some(why), None),
    };
    RegistrationDto {
        account_id: r.account_id,
        account_name: r.account_name,
        provider: r.provider,
        webhook_url: r.webhook_url,
        outcome: outcome.into(),
        detail,
        what_to_paste_where: paste,
    }
}

/// Starts a tunnel tool for the listener, registers the public address with
/// every switched-on account's provider (again whenever it changes), and
/// says what each registration did. The choice is saved: the app starts it
/// again at every start (`public_address.rs`), and checks it.
#[tauri::command]
pub async fn wizard_start_tunnel<R: tauri::Runtime>(app: tauri::AppHandle<R>, state: State<'_, AppState>, args: WizardTunnelArgs) -> Res<TunnelStartedDto> {
    use wicket_core::tunnel::{self, PublicAddress};
    state.ensure_unlocked()?;
    let port = listening(&state)
        .and_then(|a| a.parse::<std::net::SocketAddr>().ok())
        .map(|a| a.port())
        .ok_or_else(|| CommandError::from(Error::Invalid("start the webhook listener first: the tunnel forwards to it".into())))?;
    state.store()?.account(args.account_id)?;
    let spec = tunnel::spec_for(&args.kind, &tunnel::detect(), None)?;
    let (url, stable, results) = crate::public_address::start_from_wizard(&app, state.dir.clone(), port, PublicAddress::Tunnel(spec)).await?;
    let registrations = results.into_iter().map(registration_dto).collect();
    Ok(TunnelStartedDto { public_url: url, stable, note: tunnel::url_explanation(stable).into(), registrations })
}

/// `public-address-changed`: a quick tunnel's address changed and was
/// registered again (`public_url` and what each registration did), or the
/// tunnel stopped (`public_url` null): the open public-address step shows it.
pub const PUBLIC_ADDRESS_CHANGED: &str = "public-address-changed";

/// "Check": proves the public address reaches this listener for the
/// account by posting a signed test event to it over real HTTP (Meta: the
/// verification handshake too). The event creates no message. A passed
/// address becomes the saved setup when none was chosen (a fixed URL).
#[tauri::command]
pub async fn wizard_check_public<R: tauri::Runtime>(app: tauri::AppHandle<R>, state: State<'_, AppState>, args: WizardCheckArgs) -> Res<SelfCheckDto> {
    use wicket_core::secrets::SecretName;
    use wicket_core::tunnel::{self, StepStatus};
    let account = state.store()?.account(args.account_id)?;
    let url = args.public_url.trim().trim_end_matches('/').to_string();
    let check = blocking(&state, true, move |store, secrets| {
        let check = match account.provider {
            Provider::Meta => {
                let app_secret = secrets.get(account.id, SecretName::AppSecret)?;
                let verify = secrets.get(account.id, SecretName::VerifyToken)?;
                wait(tunnel::self_check_meta(&url, account.id, &app_secret, &verify))?
            }
            Provider::Wasender => {
                let hook = secrets.get(account.id, SecretName::WebhookSecret)?;
                wait(tunnel::self_check_wasender(&url, account.id, &hook))?
            }
            other => return Err(Error::Invalid(format!("{other} accounts are polled: they need no public address"))),
        };
        if check.passed() {
            store.set_setting("public_url", &serde_json::json!(check.public_base))?;
        }
        Ok(check)
    })
    .await?;
    if check.passed() {
        // An address of the owner's own (no tunnel set up): kept and checked from now on.
        let port = listening(&state).and_then(|a| a.parse::<std::net::SocketAddr>().ok()).map(|a| a.port()).unwrap_or(0);
        crate::public_address::adopt_fixed_url(&app, state.dir.clone(), port, check.public_base.clone());
    }
    let status = |s: StepStatus| match s {
        StepStatus::Passed => "passed",
        StepStatus::Failed => "failed",
        StepStatus::Skipped => "skipped",
    };
    Ok(SelfCheckDto {
        passed: check.passed(),
        steps: check.steps.iter().map(|s| CheckStepDto { name: s.name.into(), status: status(s.status).into(), detail: s.detail.clone() }).collect(),
        public_base: check.public_base,
    })
}
