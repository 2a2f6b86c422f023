//! Scheduled sending from the terminal: `wicket send ... --at TIME` stores
//! the message for later, `wicket scheduled` lists what waits (and what
//! failed), `wicket scheduled cancel ID` cancels one. The engine (`wicket
//! serve` or the desktop app) sends each at its time.

use crate::commands::refuse_opted_out;
use crate::context::{parse_id, Context};
use crate::output::{self, one_line, print_json, print_table};
use crate::{ScheduledArgs, ScheduledCommand, SendArgs};
use serde_json::{json, Value};
use wicket_core::error::{Error, Result};
use wicket_core::providers::OutgoingContent;
use wicket_core::store::contacts::{display_name, ContactKey};
use wicket_core::store::scheduled::{Scheduled, ScheduledFilter};
use wicket_core::time::{opt_rfc3339, to_rfc3339};

pub fn run(ctx: &mut Context, args: ScheduledArgs) -> Result<()> {
    match args.command {
        Some(ScheduledCommand::Cancel { id }) => cancel(ctx, &id),
        None => list(ctx, &args),
    }
}

/// `wicket send ... --at TIME`: checked as a send would be (the window at
/// its time), stored, printed.
pub fn send_later(ctx: &mut Context, args: &SendArgs, content: OutgoingContent, reply_to: Option<i64>, send_at: i64) -> Result<()> {
    let scheduled = match (&args.conversation, &args.to, &args.account) {
        (Some(c), _, account) => {
            let conversation_id = parse_id(c, "--conversation")?;
            let conv = ctx.store.conversation(conversation_id)?;
            if let Some(a) = account {
                if parse_id(a, "--account")? != conv.account_id {
                    return Err(Error::Invalid(format!("conversation {conversation_id} is on account {}, not {a}", conv.account_id)));
                }
            }
            if !args.to_opted_out {
                refuse_opted_out(ctx, Some(conv.contact.clone()))?;
            }
            wicket_core::scheduled::schedule(&mut ctx.store, conversation_id, content, reply_to, None, send_at)?
        }
        (None, Some(to), Some(a)) => {
            let account = ctx.store.account(parse_id(a, "--account")?)?;
            if !args.to_opted_out {
                if let Ok(number) = wicket_core::phone::parse(to, &ctx.country()?) {
                    refuse_opted_out(ctx, ctx.store.find_contact(account.id, &ContactKey::phone(number.as_str()))?)?;
                }
            }
            wicket_core::scheduled::schedule_to(&mut ctx.store, &account, to, content, reply_to, send_at)?
        }
        _ => return Err(Error::Invalid("give --account ID with --to PHONE, or --conversation ID".into())),
    };
    if !wicket_core::engine_lock::EngineLock::is_held(&ctx.dir) {
        eprintln!(
            "Note: no engine runs now; start `wicket serve` or the app before {}, else it goes when one starts (failed if more than 24 hours late)",
            to_rfc3339(scheduled.send_at)
        );
    }
    let out = scheduled_json(ctx, &scheduled)?;
    if ctx.json {
        print_json(&out);
    } else {
        println!(
            "scheduled {} for {} ({}): the engine (`wicket serve` or the app) sends it then",
            scheduled.id,
            to_rfc3339(scheduled.send_at),
            out["to"].as_str().unwrap_or_default()
        );
    }
    Ok(())
}

fn list(ctx: &mut Context, args: &ScheduledArgs) -> Result<()> {
    let account_id = crate::commands::account_filter(ctx, args.account.as_deref())?;
    let conversation_id = args.conversation.as_deref().map(|c| parse_id(c, "--conversation")).transpose()?;
    let list = wicket_core::scheduled::list(&ctx.store, &ScheduledFilter { account_id, conversation_id, all: args.all, waiting_only: false, limit: 500 })?;
    let rows = list.iter().map(|s| scheduled_json(ctx, s)).collect::<Result<Vec<_>>>()?;
    if ctx.json {
        print_json(&Value::Array(rows));
    } else {
        let table: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                let text = |k: &str| r[k].as_str().unwrap_or_default().to_string();
                vec![
                    text("id"),
                    text("send_at"),
                    text("state"),
                    text("account_id"),
                    text("to"),
                    one_line(Some(&text("content"))),
                    one_line(r["error"].as_str()),
                ]
            })
            .collect();
        print_table(&["id", "send at", "state", "account", "to", "content", "error"], &table);
    }
    Ok(())
}

fn cancel(ctx: &mut Context, id: &str) -> Result<()> {
    let id = parse_id(id, "ID")?;
    let cancelled = wicket_core::scheduled::cancel(&mut ctx.store, id)?;
    if ctx.json {
        print_json(&scheduled_json(ctx, &cancelled)?);
    } else {
        println!("cancelled scheduled message {id} (it was due at {})", to_rfc3339(cancelled.send_at));
    }
    Ok(())
}

/// One scheduled message as `wicket scheduled --json` prints it.
fn scheduled_json(ctx: &Context, s: &Scheduled) -> Result<Value> {
    let conversation = ctx.store.conversation(s.conversation_id)?;
    let contact = &conversation.contact;
    Ok(json!({
        "id": output::id(s.id),
        "account_id": output::id(s.account_id),
        "conversation_id": output::id(s.conversation_id),
        "to": contact.phone.clone().or_else(|| contact.jid.clone()).or_else(|| contact.provider_user_id.clone()),
        "to_name": display_name(contact, &ctx.country()?),
        "content": s.summary,
        "send_at": to_rfc3339(s.send_at),
        "created_at": to_rfc3339(s.created_at),
        "state": s.state.as_str(),
        "message_id": s.message_id.map(output::id),
        "error": s.error,
        "settled_at": opt_rfc3339(s.settled_at),
    }))
}
