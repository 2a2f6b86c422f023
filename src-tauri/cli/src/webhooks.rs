//! `wicket webhook events` and `wicket webhook replay`: the raw webhook
//! bodies the listener kept (audit, dedup, replay), and applying again the
//! ones that could not be applied when they arrived.

use crate::context::{parse_id, Context};
use crate::output::{self, print_json, print_table};
use serde_json::{json, Value};
use wicket_core::error::Result;
use wicket_core::time::to_rfc3339;
use wicket_core::webhook::replay;

pub fn events(ctx: &Context, state: Option<&str>, limit: usize) -> Result<()> {
    let list = ctx.store.webhook_events_in(state, limit)?;
    if ctx.json {
        let rows: Vec<Value> = list
            .iter()
            .map(|e| {
                json!({
                    "id": output::id(e.id),
                    "provider": e.provider,
                    "account_id": e.account_id.map(output::id),
                    "received_at": to_rfc3339(e.received_at),
                    "state": e.state,
                    "error": e.error,
                    "bytes": e.body.len(),
                    "body": String::from_utf8_lossy(&e.body),
                })
            })
            .collect();
        print_json(&Value::Array(rows));
    } else {
        let rows: Vec<Vec<String>> = list
            .iter()
            .map(|e| {
                vec![
                    e.id.to_string(),
                    e.provider.clone(),
                    e.account_id.map(|a| a.to_string()).unwrap_or_default(),
                    to_rfc3339(e.received_at),
                    e.state.clone(),
                    e.error.clone().unwrap_or_default(),
                ]
            })
            .collect();
        print_table(&["id", "provider", "account", "received", "state", "error"], &rows);
    }
    Ok(())
}

pub fn replay(ctx: &mut Context, ids: &[String]) -> Result<()> {
    let ids: Vec<i64> = ids.iter().map(|i| parse_id(i, "event id")).collect::<Result<_>>()?;
    // The secret store lets a Meta change reach another account of the app
    // that signed it; without one it goes only to the account it was posted for.
    let secrets = match ctx.secrets() {
        Ok(s) => Some(s),
        Err(e) => {
            eprintln!("note: no secret store ({e}): Meta events are applied only to the account they were posted for");
            None
        }
    };
    let done = replay::replay_with(&mut ctx.store, secrets.as_deref(), &ids)?;
    if ctx.json {
        let rows: Vec<Value> = done
            .iter()
            .map(|r| {
                json!({
                    "event_id": output::id(r.event_id),
                    "provider": r.provider,
                    "state": r.state,
                    "new_messages": r.new_messages,
                    "status_changes": r.status_changes,
                    "error": r.error,
                })
            })
            .collect();
        print_json(&Value::Array(rows));
    } else if done.is_empty() {
        println!("nothing to replay: every stored event is applied");
    } else {
        let rows: Vec<Vec<String>> = done
            .iter()
            .map(|r| {
                vec![
                    r.event_id.to_string(),
                    r.provider.clone(),
                    r.state.to_string(),
                    r.new_messages.to_string(),
                    r.status_changes.to_string(),
                    r.error.clone().unwrap_or_default(),
                ]
            })
            .collect();
        print_table(&["event", "provider", "state", "new messages", "status changes", "error"], &rows);
    }
    Ok(())
}
