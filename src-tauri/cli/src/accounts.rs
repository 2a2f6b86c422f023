//! Account management beyond adding one: switching accounts on and off,
//! removing them with their secrets, and `account import` (a `.env` file,
//! or another machine's export with an optional secrets vault). The rules
//! live in `wicket_core::accounts` and `wicket_core::export`.

use crate::commands::{runtime, secret_from_env};
use crate::context::{parse_id, Context};
use crate::output::{self, print_json};
use serde_json::Value;
use std::path::Path;
use wicket_core::error::{Error, Result};
use wicket_core::model::Provider;

/// `wicket account enable|disable ID`.
pub fn set_enabled(ctx: &mut Context, id: &str, enabled: bool) -> Result<()> {
    let id = parse_id(id, "account id")?;
    let account = wicket_core::accounts::set_enabled(&mut ctx.store, id, enabled)?;
    if ctx.json {
        print_json(&output::account(&account));
    } else {
        println!("{} {}", account.id, if enabled { "switched on" } else { "switched off" });
    }
    Ok(())
}

/// `wicket account remove ID`: the account, its data and every secret.
pub fn remove(ctx: &mut Context, id: &str) -> Result<()> {
    let id = parse_id(id, "account id")?;
    let account = ctx.store.account(id)?;
    // The demo keeps no secrets: removing it needs no secret store.
    let secrets = if account.provider == Provider::Demo { None } else { Some(ctx.secrets()?) };
    let deleted = wicket_core::accounts::remove(&mut ctx.store, secrets.as_deref(), id)?;
    if ctx.json {
        print_json(&serde_json::json!({ "id": output::id(id), "removed": true, "secrets_deleted": deleted }));
    }
    Ok(())
}

/// `wicket export … --vault FILE --passphrase-env VAR`: the exported
/// accounts' secrets into an encrypted vault file of their own.
pub fn export_vault(ctx: &mut Context, path: &Path, passphrase_env: &str, account: Option<i64>) -> Result<usize> {
    let passphrase = secret_from_env(passphrase_env, "passphrase of the secrets vault")?;
    let secrets = ctx.secrets()?;
    let n = wicket_core::export::export_secrets_vault(&ctx.store, &secrets, path, passphrase, account)?;
    eprintln!("{n} secrets written to {} (encrypted; carry the passphrase separately)", path.display());
    Ok(n)
}

/// `wicket account import FILE [--vault FILE --passphrase-env VAR]`: a
/// `.env` file, or another machine's export. Prints the new account ids
/// (or the accounts as JSON).
pub fn import(ctx: &mut Context, path: &Path, test: bool, vault: Option<&Path>, passphrase_env: Option<&str>) -> Result<()> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
    let is_export = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    let created = if is_export {
        import_export(ctx, path, &bytes, test, vault, passphrase_env)?
    } else {
        if vault.is_some() {
            return Err(Error::Invalid("--vault goes with a Wicket export, not a .env file".into()));
        }
        import_env(ctx, path, &bytes, test)?
    };
    if ctx.json {
        let list: Vec<Value> = created.iter().map(|id| ctx.store.account(*id).map(|a| output::account(&a))).collect::<Result<_>>()?;
        print_json(&Value::Array(list));
    } else {
        for id in &created {
            println!("{id}");
        }
    }
    if created.is_empty() {
        return Err(Error::NotFound(format!("no account could be imported from {}", path.display())));
    }
    Ok(())
}

fn import_env(ctx: &mut Context, path: &Path, bytes: &[u8], test: bool) -> Result<Vec<i64>> {
    let text = String::from_utf8_lossy(bytes);
    let found = wicket_core::env_import::parse(&text, &path.display().to_string())?;
    if !found.unknown.is_empty() {
        eprintln!("Not imported (unknown variables): {}", found.unknown.join(", "));
    }
    let secrets = ctx.secrets()?;
    let (created, warnings) = runtime()?.block_on(wicket_core::accounts::create_from_env(&mut ctx.store, &secrets, found, test))?;
    for w in &warnings {
        eprintln!("Warning: {w}");
    }
    for c in &created {
        if let Some(token) = &c.generated_verify_token {
            eprintln!("Generated webhook verify token for account {} (shown once): {}", c.account.id, token.expose());
        }
        match &c.tested {
            Some(Ok(info)) => {
                eprintln!("Account {}: connection ok {}", c.account.id, info.verified_name.clone().or(info.display_number.clone()).unwrap_or_default())
            }
            Some(Err(e)) => eprintln!("Warning: account {}: the connection test failed ({e}); the account is kept as {}", c.account.id, c.account.status),
            None => {}
        }
    }
    Ok(created.iter().map(|c| c.account.id).collect())
}

fn import_export(ctx: &mut Context, path: &Path, bytes: &[u8], test: bool, vault: Option<&Path>, passphrase_env: Option<&str>) -> Result<Vec<i64>> {
    let doc: Value = serde_json::from_slice(bytes).map_err(|e| Error::Invalid(format!("{} is not valid JSON: {e}", path.display())))?;
    let vault = match (vault, passphrase_env) {
        (Some(v), Some(var)) => Some((v, secret_from_env(var, "passphrase of the secrets vault")?)),
        (Some(_), None) => return Err(Error::Invalid("--vault needs --passphrase-env VAR naming the variable that holds its passphrase".into())),
        (None, _) => None,
    };
    let secrets = if vault.is_some() { Some(ctx.secrets()?) } else { None };
    let imported = wicket_core::export::import_accounts(&mut ctx.store, secrets.as_deref(), &doc, vault)?;
    let mut ids = vec![];
    for a in &imported {
        if a.secrets_restored == 0 {
            eprintln!("Account {} ({}): imported; re-enter its secrets", a.account.id, a.account.name);
        } else if test {
            if let Some(s) = &secrets {
                crate::commands::report_connection_test(ctx, s, a.account.id)?;
            }
        }
        ids.push(a.account.id);
    }
    Ok(ids)
}
