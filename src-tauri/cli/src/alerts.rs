//! `wicket alerts`: what needs the owner now (the same list as the window's
//! banners); exit 0 either way, so scripts read the JSON.

use crate::context::Context;
use crate::output::print_json;
use serde_json::{json, Value};
use wicket_core::alerts::Alert;
use wicket_core::error::Result;
use wicket_core::time::{now_ms, opt_rfc3339};

pub fn alert_json(a: &Alert) -> Value {
    json!({
        "kind": a.kind,
        "severity": a.severity,
        "account_id": a.account_id.map(crate::output::id),
        "account_name": a.account_name,
        "subject": a.subject,
        "message": a.message,
        "action": a.action,
        "since": opt_rfc3339(a.since),
    })
}

pub fn list(ctx: &Context) -> Result<()> {
    let alerts = wicket_core::alerts::current(&ctx.store, now_ms())?;
    if ctx.json {
        print_json(&Value::Array(alerts.iter().map(alert_json).collect()));
        return Ok(());
    }
    if alerts.is_empty() {
        println!("nothing needs you");
        return Ok(());
    }
    // Whole sentences, not a table: a message and its action are too long for a cell.
    for a in &alerts {
        let on = a.account_name.as_deref().map(|n| format!(" · {n}")).unwrap_or_default();
        println!("[{}] {}{on}\n  {}\n  → {}", a.severity, a.kind, a.message, a.action);
    }
    Ok(())
}
