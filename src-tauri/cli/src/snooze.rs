//! `wicket snooze|unsnooze` and `wicket remind|reminders`: put a chat away
//! until a time, and ask to be reminded about a message. Times are read as
//! `wicket send --at` reads them (`scheduled::parse_send_at`). Reminders go
//! off as desktop notifications in the window; the CLI only stores them.

use crate::context::{parse_id, Context};
use crate::output::{self, one_line, print_json, print_table};
use crate::{RemindArgs, RemindersArgs, RemindersCommand, SnoozeArgs};
use serde_json::{json, Value};
use wicket_core::error::Result;
use wicket_core::scheduled::parse_send_at;
use wicket_core::store::contacts::display_name;
use wicket_core::store::reminders::Reminder;
use wicket_core::time::{opt_rfc3339, to_rfc3339};

pub fn snooze(ctx: &mut Context, args: SnoozeArgs) -> Result<()> {
    let id = parse_id(&args.conversation, "CONVERSATION")?;
    let until = parse_send_at(&ctx.store, &args.until)?;
    ctx.store.snooze_conversation(id, until)?;
    if ctx.json {
        print_json(&output::conversation(&ctx.store.conversation(id)?, &ctx.country()?));
    } else {
        println!("conversation {id} snoozed until {} (it comes back sooner if the customer writes)", to_rfc3339(until));
    }
    Ok(())
}

pub fn unsnooze(ctx: &mut Context, conversation: &str) -> Result<()> {
    let id = parse_id(conversation, "CONVERSATION")?;
    let was = ctx.store.unsnooze_conversation(id)?;
    if ctx.json {
        print_json(&output::conversation(&ctx.store.conversation(id)?, &ctx.country()?));
    } else if was {
        println!("conversation {id} is back in the list");
    } else {
        println!("conversation {id} was not snoozed");
    }
    Ok(())
}

pub fn remind(ctx: &mut Context, args: RemindArgs) -> Result<()> {
    let message = parse_id(&args.message, "MESSAGE")?;
    let at = parse_send_at(&ctx.store, &args.at)?;
    let r = ctx.store.add_reminder(message, at, &args.note)?;
    if ctx.json {
        print_json(&reminder_json(ctx, &r)?);
    } else {
        println!("reminder {} set for {} on message {message}", r.id, to_rfc3339(at));
    }
    Ok(())
}

pub fn reminders(ctx: &mut Context, args: RemindersArgs) -> Result<()> {
    if let Some(RemindersCommand::Cancel { id }) = args.command {
        let r = ctx.store.cancel_reminder(parse_id(&id, "ID")?)?;
        if ctx.json {
            print_json(&reminder_json(ctx, &r)?);
        } else {
            println!("reminder {} cancelled", r.id);
        }
        return Ok(());
    }
    let list = ctx.store.pending_reminders(None)?;
    if ctx.json {
        print_json(&Value::Array(list.iter().map(|r| reminder_json(ctx, r)).collect::<Result<_>>()?));
    } else {
        let country = ctx.country()?;
        let rows = list
            .iter()
            .map(|r| {
                let who = display_name(&ctx.store.conversation(r.conversation_id)?.contact, &country);
                Ok(vec![r.id.to_string(), to_rfc3339(r.remind_at), who, r.message_id.to_string(), one_line(r.preview.as_deref()), r.note.clone()])
            })
            .collect::<Result<Vec<_>>>()?;
        print_table(&["id", "at", "contact", "message", "text", "note"], &rows);
    }
    Ok(())
}

/// One reminder as `wicket reminders --json` prints it.
fn reminder_json(ctx: &Context, r: &Reminder) -> Result<Value> {
    let contact = ctx.store.conversation(r.conversation_id)?.contact;
    Ok(json!({
        "id": output::id(r.id),
        "message_id": output::id(r.message_id),
        "conversation_id": output::id(r.conversation_id),
        "account_id": output::id(r.account_id),
        "contact": display_name(&contact, &ctx.country()?),
        "remind_at": to_rfc3339(r.remind_at),
        "due": r.remind_at <= wicket_core::time::now_ms(),
        "note": r.note,
        "text": r.preview,
        "created_at": to_rfc3339(r.created_at),
        "fired_at": opt_rfc3339(r.fired_at),
    }))
}
