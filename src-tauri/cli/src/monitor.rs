//! `wicket monitor`: one health check per account, for owners' scripts and
//! cron jobs. Each round tests every enabled account's connection with its
//! provider (recording the result as `account test` does) and reports it
//! with the account's activity: unread, queued sends, last activity, and
//! which engine runs on the data dir. A failed check is reported in the
//! account's `error` and in the exit code (4 when a provider refused).
//!
//! Each row carries `alerts`: the account's (and the data dir's) current
//! alerts, as `wicket alerts --json` lists them.
//!
//! Accounts delivered to by webhook (Meta, WASender) also carry
//! `public_address`: whether customers' messages can reach this computer,
//! as the public-address keeper (desktop app or `wicket serve`) last checked
//! it (`tunnel::health`), with its reason in plain words.

use crate::commands::runtime;
use crate::context::{parse_id, Context};
use crate::output::{self, print_json, print_table};
use crate::MonitorArgs;
use serde_json::{json, Value};
use wicket_core::engine_lock::EngineLock;
use wicket_core::error::{Error, ErrorKind, ProviderError, Result};
use wicket_core::model::Provider;
use wicket_core::providers::ProviderClient;
use wicket_core::time::{now_ms, opt_rfc3339, to_rfc3339};
use wicket_core::tunnel::PublicAddressHealth;

pub fn monitor(ctx: &mut Context, args: MonitorArgs) -> Result<()> {
    if let Some(format) = args.format.as_deref() {
        ctx.json = format == "json";
    }
    let only = args.account.as_deref().map(|a| parse_id(a, "--account")).transpose()?;
    if let Some(id) = only {
        ctx.store.account(id)?;
    }
    loop {
        let mut rows = round(ctx, only)?;
        if let Some(hours) = args.hours {
            add_stats(ctx, &mut rows, hours)?;
        }
        print_rows(ctx, &rows);
        match args.watch {
            Some(seconds) => std::thread::sleep(std::time::Duration::from_secs(seconds.max(1))),
            None => return exit_status(&rows),
        }
    }
}

/// Checks every enabled account (or `only`) once.
fn round(ctx: &mut Context, only: Option<i64>) -> Result<Vec<Value>> {
    let accounts: Vec<_> = ctx.store.accounts()?.into_iter().filter(|a| only.is_none_or(|o| o == a.id)).collect();
    let engine = EngineLock::holder(&ctx.dir);
    // The secret store is opened only when some account needs a check.
    let needs_secrets = accounts.iter().any(|a| a.enabled && a.provider != Provider::Demo);
    let secrets = if needs_secrets { Some(ctx.secrets()) } else { None };
    let rt = runtime()?;
    let reach = wicket_core::tunnel::health::load(&ctx.store)?;
    let alerts = wicket_core::alerts::current(&ctx.store, now_ms())?;
    let mut rows = Vec::with_capacity(accounts.len());
    for account in accounts {
        let checked = if !account.enabled {
            None
        } else {
            let result = match &secrets {
                Some(Err(e)) => Err(Error::Secrets(e.to_string())),
                Some(Ok(s)) => ProviderClient::for_account(&account, s).and_then(|c| rt.block_on(c.test_connection())),
                None => ProviderClient::for_account(&account, &wicket_core::secrets::SecretStore::in_memory("monitor"))
                    .and_then(|c| rt.block_on(c.test_connection())),
            };
            wicket_core::accounts::record_connection_test(&mut ctx.store, account.id, &result)?;
            Some(result)
        };
        let account = ctx.store.account(account.id)?;
        let activity = ctx.store.account_activity(account.id)?;
        let (info, error) = match checked {
            Some(Ok(info)) => (Some(info), Value::Null),
            Some(Err(e)) => (None, error_json(&e)),
            None => (None, Value::Null),
        };
        rows.push(json!({
            "account_id": output::id(account.id),
            "provider": account.provider.as_str(),
            "name": account.name,
            "phone": account.phone,
            "enabled": account.enabled,
            "status": account.status.as_str(),
            "status_reason": account.status_reason,
            "status_since": opt_rfc3339(account.status_since),
            "checked_at": if account.enabled { Value::String(to_rfc3339(now_ms())) } else { Value::Null },
            "verified_name": info.as_ref().and_then(|i| i.verified_name.clone()),
            "display_number": info.as_ref().and_then(|i| i.display_number.clone()),
            "quality_rating": info.as_ref().and_then(|i| i.quality_rating.clone()),
            "unread_conversations": activity.unread_conversations,
            "unread_messages": activity.unread_messages,
            "queued_messages": activity.queued_messages,
            "last_activity_at": opt_rfc3339(activity.last_activity_at),
            "last_sync_at": opt_rfc3339(account.last_sync_at),
            "engine": engine,
            "error": error,
            "public_address": public_address(reach.as_ref(), &account),
            // The account's own alerts and the data dir's (signature failures).
            "alerts": alerts.iter().filter(|a| a.account_id.is_none_or(|id| id == account.id)).map(crate::alerts::alert_json).collect::<Vec<_>>(),
        }));
    }
    Ok(rows)
}

/// `stats` on each row: the account's figures of the last `hours` (as `wicket stats --hours`).
fn add_stats(ctx: &Context, rows: &mut [Value], hours: u32) -> Result<()> {
    let (since, until) = crate::stats::window(Some(hours), None)?;
    for row in rows.iter_mut() {
        let id = row["account_id"].as_str().and_then(|s| s.parse().ok());
        let s = wicket_core::stats::compute(&ctx.store, wicket_core::stats::StatsQuery { account_id: id, since, until })?;
        row["stats"] = serde_json::to_value(&s).unwrap_or_default();
    }
    Ok(())
}

/// The last public-address check as it concerns `account` (null for an
/// account that is polled, or when no check ever ran).
fn public_address(reach: Option<&PublicAddressHealth>, account: &wicket_core::store::Account) -> Value {
    let Some(h) = reach else { return Value::Null };
    if !matches!(account.provider, Provider::Meta | Provider::Wasender) {
        return Value::Null;
    }
    let mine = h.accounts.iter().find(|a| a.account_id == account.id);
    json!({
        "state": h.state.as_str(),
        "public_url": h.public_url,
        "via": h.via,
        "checked_at": opt_rfc3339(h.checked_at),
        "reason": h.reason,
        "detail": h.detail,
        "fix": h.fix,
        "trigger": h.trigger,
        "account_state": mine.map(|a| a.state.clone()),
        "account_reason": mine.and_then(|a| a.reason.clone()),
    })
}

fn error_json(e: &Error) -> Value {
    match e.provider_error() {
        Some(pe) => output::error(&Some(pe.clone())),
        None => json!({ "code": Value::Null, "kind": "unknown", "message": e.to_string() }),
    }
}

fn print_rows(ctx: &Context, rows: &[Value]) {
    if ctx.json {
        print_json(&Value::Array(rows.to_vec()));
        return;
    }
    let s = |v: &Value| match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let state = match (&r["error"], &r["status_reason"]) {
                (Value::Null, Value::Null) => s(&r["status"]),
                (Value::Null, reason) => format!("{} ({})", s(&r["status"]), s(reason)),
                (e, _) => format!("{}: {}", s(&r["status"]), s(&e["message"])),
            };
            vec![s(&r["account_id"]), s(&r["provider"]), s(&r["name"]), state, s(&r["unread_messages"]), s(&r["queued_messages"]), s(&r["last_activity_at"])]
        })
        .collect();
    print_table(&["id", "provider", "name", "state", "unread", "queued", "last activity"], &table);
    // Said once under the table: it concerns every webhook account alike.
    if let Some(p) = rows.iter().map(|r| &r["public_address"]).find(|p| !p.is_null()) {
        let checked = s(&p["checked_at"]);
        let when = if checked.is_empty() { String::new() } else { format!(", checked {checked}") };
        match &p["reason"] {
            Value::Null => println!("public address {}: {}{when}", s(&p["state"]), s(&p["public_url"])),
            reason => println!("public address {}{when}: {}", s(&p["state"]), s(reason)),
        }
    }
    for r in rows.iter().filter(|r| r["stats"].is_object()) {
        let st = &r["stats"];
        let rate = |v: &Value| v.as_f64().map(|x| format!("{:.1} %", x * 100.0)).unwrap_or_else(|| "-".into());
        let reply = st["median_first_reply_seconds"].as_i64().map(crate::stats::duration).unwrap_or_else(|| "-".into());
        println!(
            "{} since {}: {} received, {} sent, delivered {}, read {}, {} failed, first reply {reply}, queue {}",
            s(&r["name"]),
            s(&st["since"]),
            st["received"],
            st["sent"],
            rate(&st["delivery_rate"]),
            rate(&st["read_rate"]),
            st["failed"],
            st["queue_depth"]
        );
    }
    // Each alert once, though the data dir's appear on every row.
    let mut said = std::collections::HashSet::new();
    for a in rows.iter().flat_map(|r| r["alerts"].as_array().cloned().unwrap_or_default()) {
        if said.insert((s(&a["kind"]), s(&a["account_id"]), s(&a["subject"]))) {
            println!("alert ({}): {} → {}", s(&a["severity"]), s(&a["message"]), s(&a["action"]));
        }
    }
}

/// One failed check fails the run, as `sync` does, so a cron job notices.
fn exit_status(rows: &[Value]) -> Result<()> {
    match rows.iter().find(|r| !r["error"].is_null()) {
        Some(r) => Err(Error::Provider(ProviderError {
            code: r["error"]["code"].as_str().map(str::to_string),
            kind: ErrorKind::parse(r["error"]["kind"].as_str().unwrap_or("unknown")),
            message: format!("account {}: {}", r["account_id"].as_str().unwrap_or("?"), r["error"]["message"].as_str().unwrap_or("the check failed")),
            retry_after: None,
        })),
        None => Ok(()),
    }
}
