//! Commands for the gateway providers (WASender, UniPile) and syncing:
//! `account add wasender|unipile`, `account sync-details`, `sync`.

use crate::commands::{account_filter, report_connection_test, runtime, secret_from_env};
use crate::context::{parse_id, Context};
use crate::output::{self, print_json};
use crate::{AddUnipileArgs, AddWasenderArgs, SyncArgs};
use serde_json::{json, Value};
use wicket_core::error::{Error, Result};
use wicket_core::model::Provider;
use wicket_core::providers::unipile::{normalize_dsn, UnipileAccount, UnipileClient};
use wicket_core::providers::wasender::WasenderClient;
use wicket_core::providers::ProviderClient;
use wicket_core::ratelimit::{self, LimitChanges, Limits};
use wicket_core::secrets::{Secret, SecretName};
use wicket_core::store::NewAccount;
use wicket_core::sync::{self, ContactSyncMode};

/// The webhook URL of an account, when the owner has set a public address.
fn public_webhook_url(ctx: &Context, provider: &str, account_id: i64) -> Result<Option<String>> {
    Ok(ctx.store.setting_str("public_url")?.map(|base| format!("{}/webhooks/{provider}/{account_id}", base.trim_end_matches('/'))))
}

pub fn add_wasender(ctx: &mut Context, args: AddWasenderArgs) -> Result<()> {
    let setup = wicket_core::accounts::WasenderSetup {
        name: args.name,
        api_key: secret_from_env(&args.api_key_env, "WASender API key")?,
        webhook_secret: args.webhook_secret_env.as_deref().map(|v| secret_from_env(v, "webhook secret")).transpose()?,
        personal_access_token: args.pat_env.as_deref().map(|v| secret_from_env(v, "personal access token")).transpose()?,
        session_id: args.session_id,
        base_url: args.base_url,
    };
    let secrets = ctx.secrets()?;
    let has_pat = setup.personal_access_token.is_some();
    let has_secret = setup.webhook_secret.is_some();
    let account = wicket_core::accounts::create_wasender(&mut ctx.store, &secrets, setup)?.account;
    if has_pat {
        let client = WasenderClient::for_account(&account, &secrets)?;
        let rt = runtime()?;
        if !has_secret {
            match rt.block_on(client.fetch_webhook_secret()) {
                Ok(Some(s)) => secrets.set(account.id, SecretName::WebhookSecret, &s)?,
                Ok(None) => eprintln!("Warning: the session has no webhook secret yet: set one in WASender, or incoming messages get 401"),
                Err(e) => eprintln!("Warning: could not read the session's webhook secret: {e}"),
            }
        }
        if let Some(url) = public_webhook_url(ctx, "wasender", account.id)? {
            match rt.block_on(client.register_webhook(&url)) {
                Ok(()) => eprintln!("Webhook registered: {url}"),
                Err(e) => eprintln!("Warning: could not register the webhook {url}: {e}"),
            }
        }
    } else if !has_secret {
        eprintln!("Warning: no webhook secret given: WASender webhooks for this account are refused (401) until one is set");
    }
    report_connection_test(ctx, &secrets, account.id)?;
    println!("{}", account.id);
    Ok(())
}

/// Opens `url` with the desktop's browser when there is one (best effort:
/// the link is printed either way).
fn open_in_browser(url: &str) {
    if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        return;
    }
    let _ = std::process::Command::new("xdg-open").arg(url).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn();
}

pub fn add_unipile(ctx: &mut Context, args: AddUnipileArgs) -> Result<()> {
    let api_key = secret_from_env(&args.api_key_env, "UniPile API key")?;
    let dsn = normalize_dsn(&args.dsn)?;
    let client = UnipileClient::new(&dsn, api_key.clone(), None)?;
    let rt = runtime()?;
    let mut available: Vec<UnipileAccount> = rt.block_on(client.list_accounts())?.into_iter().filter(|a| a.is_whatsapp()).collect();
    let mut import = args.import.trim().to_string();
    if args.connect_new {
        let known: Vec<String> = rt.block_on(client.list_accounts())?.into_iter().map(|a| a.id).collect();
        let link = rt.block_on(client.hosted_auth_link(None, std::time::Duration::from_secs(args.wait.max(60))))?;
        eprintln!("Open this link to connect WhatsApp (scan the QR code with the phone): {link}");
        open_in_browser(&link);
        eprintln!("Waiting up to {} s for the new account…", args.wait);
        let new = rt.block_on(client.wait_for_new_account(&known, std::time::Duration::from_secs(args.wait), std::time::Duration::from_secs(3)))?;
        import = new.id.clone();
        if !available.iter().any(|a| a.id == new.id) {
            available.push(new);
        }
    }
    let chosen: Vec<&UnipileAccount> = if import == "all" {
        available.iter().collect()
    } else {
        let wanted: Vec<&str> = import.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
        for w in &wanted {
            if !available.iter().any(|a| a.id == *w) {
                let known: Vec<&str> = available.iter().map(|a| a.id.as_str()).collect();
                return Err(Error::NotFound(format!("no WhatsApp account {w} behind this API key (found: {})", known.join(", "))));
            }
        }
        available.iter().filter(|a| wanted.contains(&a.id.as_str())).collect()
    };
    if chosen.is_empty() {
        return Err(Error::NotFound("no WhatsApp account behind this UniPile API key: connect one with hosted authentication first".into()));
    }
    let secrets = ctx.secrets()?;
    let mut ids = vec![];
    for a in chosen {
        let mut config = json!({ "dsn": dsn, "unipile_account_id": a.id, "details": a.details() });
        if let Some(p) = args.poll_interval {
            config["poll_interval"] = json!(p.max(1));
        }
        let name = if a.name.trim().is_empty() { format!("UniPile {}", a.id) } else { a.name.clone() };
        let new = NewAccount { provider: Provider::Unipile, name, phone: a.phone.clone(), config };
        // UniPile signs nothing: its webhooks carry a secret of our own.
        let hook = Secret::new(wicket_core::accounts::random_token());
        let account =
            wicket_core::accounts::create_with_secrets(&mut ctx.store, &secrets, new, &[(SecretName::ApiKey, &api_key), (SecretName::WebhookSecret, &hook)])?;
        if let Some(url) = public_webhook_url(ctx, "unipile", account.id)? {
            let client = UnipileClient::new(&dsn, api_key.clone(), Some(a.id.clone()))?;
            match rt.block_on(client.register_webhooks(&url, &hook)) {
                Ok(_) => eprintln!("Webhooks registered: {url}"),
                Err(e) => eprintln!("Warning: could not register the webhook {url} (polling works without it): {e}"),
            }
        }
        let (status, reason) = a.account_status();
        ctx.store.set_account_status(account.id, status, reason.as_deref())?;
        ids.push(account.id);
    }
    for id in ids {
        println!("{id}");
    }
    Ok(())
}

pub fn sync_details(ctx: &mut Context, id: Option<&str>, dry_run: bool) -> Result<()> {
    let only = id.map(|i| parse_id(i, "account id")).transpose()?;
    let accounts: Vec<_> = match only {
        Some(i) => {
            let a = ctx.store.account(i)?;
            if a.provider != Provider::Unipile {
                return Err(Error::Invalid(format!("account {i} is a {} account: details are synced for UniPile accounts", a.provider)));
            }
            vec![a]
        }
        None => ctx.store.accounts()?.into_iter().filter(|a| a.provider == Provider::Unipile).collect(),
    };
    let secrets = ctx.secrets()?;
    let rt = runtime()?;
    let mut out = vec![];
    for account in accounts {
        let result = (|| -> Result<Value> {
            let client = UnipileClient::for_account(&account, &secrets)?;
            let remote_id = account.config_str("unipile_account_id").unwrap_or_default().to_string();
            let fresh = rt.block_on(client.account(&remote_id))?;
            let details = fresh.details();
            let changed = account.config.get("details") != Some(&details) || account.phone != fresh.phone;
            if changed && !dry_run {
                sync::apply_unipile_details(&mut ctx.store, account.id, &fresh)?;
                let (status, reason) = fresh.account_status();
                ctx.store.set_account_status(account.id, status, reason.as_deref())?;
            }
            Ok(
                json!({ "account_id": output::id(account.id), "changed": changed, "saved": changed && !dry_run, "phone": fresh.phone, "status": fresh.status, "details": details, "error": Value::Null }),
            )
        })();
        out.push(result.unwrap_or_else(|e| {
            json!({ "account_id": output::id(account.id), "changed": Value::Null, "saved": false, "phone": Value::Null, "status": Value::Null, "details": Value::Null, "error": error_json(&e) })
        }));
    }
    print_results(ctx, out)
}

fn error_json(e: &Error) -> Value {
    match e.provider_error() {
        Some(pe) => output::error(&Some(pe.clone())),
        None => json!({ "code": Value::Null, "kind": "unknown", "message": e.to_string() }),
    }
}

fn print_results(ctx: &Context, out: Vec<Value>) -> Result<()> {
    if ctx.json {
        print_json(&Value::Array(out.clone()));
    } else {
        for r in &out {
            println!("{r}");
        }
    }
    // A script sees a failure in the exit code too.
    match out.iter().find(|r| !r["error"].is_null()) {
        Some(r) => Err(Error::Provider(wicket_core::error::ProviderError {
            code: r["error"]["code"].as_str().map(str::to_string),
            kind: wicket_core::error::ErrorKind::parse(r["error"]["kind"].as_str().unwrap_or("unknown")),
            message: format!("account {}: {}", r["account_id"].as_str().unwrap_or("?"), r["error"]["message"].as_str().unwrap_or("failed")),
            retry_after: None,
        })),
        None => Ok(()),
    }
}

pub fn sync(ctx: &mut Context, args: SyncArgs) -> Result<()> {
    let only = account_filter(ctx, args.account.as_deref())?;
    let everything = !args.contacts && args.contact.is_none() && args.conversations.is_empty() && !args.templates && !args.messages;
    // `--conversation ID...`: the contacts of those conversations, per account.
    let mut by_account: std::collections::BTreeMap<i64, Vec<i64>> = Default::default();
    for c in &args.conversations {
        let id = parse_id(c, "--conversation")?;
        let conv = ctx.store.conversation(id)?;
        if only.is_some_and(|o| o != conv.account_id) {
            return Err(Error::Invalid(format!("conversation {id} is on account {}, not {}", conv.account_id, only.unwrap_or_default())));
        }
        by_account.entry(conv.account_id).or_default().push(id);
    }
    let accounts: Vec<_> = ctx
        .store
        .accounts()?
        .into_iter()
        .filter(|a| a.enabled && only.is_none_or(|o| o == a.id))
        .filter(|a| args.conversations.is_empty() || by_account.contains_key(&a.id))
        .collect();
    let country = ctx.country()?;
    let contact = args.contact.as_deref().map(|p| wicket_core::phone::parse(p, &country)).transpose()?;
    let secrets = ctx.secrets()?;
    let rt = runtime()?;
    let mut out = vec![];
    for account in accounts {
        let client = ProviderClient::for_account(&account, &secrets);
        // `--contact` without `--account` asks the accounts that can look a
        // number up; the others (Meta, UniPile) are left out, not failed.
        if contact.is_some() && only.is_none() && client.as_ref().is_ok_and(|c| !c.can_lookup_contact()) {
            continue;
        }
        let gateway = account.provider != Provider::Meta;
        let mut row = json!({
            "account_id": output::id(account.id),
            "provider": account.provider.as_str(),
            "total_fetched": Value::Null,
            "successful_updates": Value::Null,
            "failed_updates": Value::Null,
            "contacts_with_names": Value::Null,
            "contacts_without_names": Value::Null,
            "failures": [],
            "templates": Value::Null,
            "messages": Value::Null,
            "chats": Value::Null,
            "error": Value::Null,
        });
        let result = (|| -> Result<()> {
            let client = client?;
            let mode = match (&contact, by_account.get(&account.id)) {
                (Some(n), _) => Some(ContactSyncMode::One(n.as_str().to_string())),
                (None, Some(convs)) => Some(ContactSyncMode::Conversations(convs.clone())),
                (None, None) if args.contacts || (everything && gateway) => Some(ContactSyncMode::Full),
                (None, None) => None,
            };
            if let Some(mode) = mode {
                let s = rt.block_on(sync::sync_contacts(&mut ctx.store, &client, account.id, mode))?;
                row["total_fetched"] = json!(s.total_fetched);
                row["successful_updates"] = json!(s.successful_updates);
                row["failed_updates"] = json!(s.failed_updates);
                row["contacts_with_names"] = json!(s.contacts_with_names);
                row["contacts_without_names"] = json!(s.contacts_without_names);
                row["failures"] = json!(s.failures);
            }
            if args.templates || (everything && account.provider == Provider::Meta) {
                let timer = wicket_core::jobs::RunTimer::start(wicket_core::jobs::TEMPLATE_SYNC, Some(account.id));
                let outcome = rt.block_on(wicket_core::jobs::templates::sync(&mut ctx.store, &client, account.id));
                timer.finish(&mut ctx.store, &outcome, |n| format!("{n} template(s)"));
                row["templates"] = json!(outcome?);
            }
            if args.messages || (everything && client.can_poll()) {
                if account.provider == Provider::Unipile {
                    row["chats"] = json!(rt.block_on(sync::import_chats(&mut ctx.store, &client, account.id))?);
                }
                let applied = rt.block_on(sync::poll_messages(&mut ctx.store, &client, account.id))?;
                row["messages"] = json!(applied.new_messages.len());
            }
            Ok(())
        })();
        if let Err(e) = result {
            row["error"] = error_json(&e);
        }
        out.push(row);
    }
    if out.is_empty() && contact.is_some() {
        return Err(Error::NotFound("no enabled account can look a contact up by number (WASender can): add one, or pass --account".into()));
    }
    print_results(ctx, out)
}

/// `wicket account set ID [--poll-interval S] [--idle-poll-interval S]
/// [--max-per-second N] [--max-per-hour N] [--recipient-gap S]`.
pub fn account_set(ctx: &mut Context, args: crate::AccountSetArgs) -> Result<()> {
    let id = parse_id(&args.id, "account id")?;
    let limits = LimitChanges { max_per_second: args.max_per_second, max_per_hour: args.max_per_hour, recipient_gap_seconds: args.recipient_gap };
    let polls = args.poll_interval.is_some() || args.idle_poll_interval.is_some();
    if !polls && limits.is_empty() {
        return Err(Error::Invalid(
            "nothing to change: give --poll-interval SECONDS, --idle-poll-interval SECONDS, --max-per-second N, --max-per-hour N and/or --recipient-gap SECONDS"
                .into(),
        ));
    }
    let mut account = ctx.store.account(id)?;
    if polls {
        account = wicket_core::engine::set_poll_intervals(&mut ctx.store, id, args.poll_interval, args.idle_poll_interval)?;
    }
    if !limits.is_empty() {
        account = ratelimit::set_limits(&mut ctx.store, id, limits)?;
    }
    let (active, idle) = wicket_core::engine::poll_intervals(&account);
    let l = Limits::of(&account);
    if ctx.json {
        print_json(&json!({
            "id": output::id(id),
            "poll_interval": active.as_secs(),
            "idle_poll_interval": idle.as_secs(),
            "max_per_second": l.max_per_second,
            "max_per_hour": l.max_per_hour,
            "recipient_gap_seconds": l.recipient_gap_seconds,
        }));
    } else {
        if polls {
            println!("account {id}: polls every {} s in use, every {} s idle", active.as_secs(), idle.as_secs());
        }
        if !limits.is_empty() {
            println!("account {id}: {}", output::limits_text(&l));
        }
    }
    Ok(())
}

/// `wicket account reconnect ID`: a hosted-auth link for an existing
/// UniPile account whose WhatsApp session was lost, then waits for UniPile
/// to report it connected and refreshes its details and state.
pub fn account_reconnect(ctx: &mut Context, id: &str, wait: u64) -> Result<()> {
    let id = parse_id(id, "account id")?;
    let account = ctx.store.account(id)?;
    if account.provider != Provider::Unipile {
        return Err(Error::Invalid(format!(
            "account {id} is a {} account: reconnecting by hosted link is for UniPile accounts (for WASender, scan the QR code in its dashboard)",
            account.provider
        )));
    }
    let remote = account
        .config_str("unipile_account_id")
        .ok_or_else(|| Error::Invalid(format!("account {id} has no UniPile account id: add it again with `wicket account add unipile`")))?
        .to_string();
    let secrets = ctx.secrets()?;
    let client = UnipileClient::for_account(&account, &secrets)?;
    let rt = runtime()?;
    let link = rt.block_on(client.hosted_auth_link(Some(&remote), std::time::Duration::from_secs(wait.max(60))))?;
    eprintln!("Open this link to reconnect WhatsApp (scan the QR code with the phone): {link}");
    open_in_browser(&link);
    eprintln!("Waiting up to {wait} s for UniPile to report the account connected…");
    let fresh = rt.block_on(client.wait_for_reconnect(&remote, std::time::Duration::from_secs(wait), std::time::Duration::from_secs(3)))?;
    sync::apply_unipile_details(&mut ctx.store, id, &fresh)?;
    let (status, reason) = fresh.account_status();
    ctx.store.set_account_status(id, status, reason.as_deref())?;
    let account = ctx.store.account(id)?;
    if ctx.json {
        print_json(&output::account(&account));
    } else {
        println!("account {id}: {}", account.status);
    }
    Ok(())
}
