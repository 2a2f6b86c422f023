//! `wicket notes add|list|edit|remove`: the owner's private notes on a
//! contact or a conversation. Notes are never messages: nothing here sends.

use crate::context::{parse_id, Context};
use crate::output::{self, one_line, print_json, print_table};
use crate::NotesCommand;
use serde_json::{json, Value};
use wicket_core::error::{Error, Result};
use wicket_core::store::contacts::ContactKey;
use wicket_core::store::notes::{Note, NoteTarget};
use wicket_core::time::to_rfc3339;

pub fn run(ctx: &mut Context, command: NotesCommand) -> Result<()> {
    match command {
        NotesCommand::Add { contact, conversation, text } => {
            let target = target(ctx, contact.as_deref(), conversation.as_deref())?
                .ok_or_else(|| Error::Invalid("give --contact ID|PHONE or --conversation ID".into()))?;
            let note = ctx.store.add_note(target, &text)?;
            print_one(ctx, &note, "added")
        }
        NotesCommand::List { contact, conversation } => {
            let notes = ctx.store.notes(target(ctx, contact.as_deref(), conversation.as_deref())?)?;
            if ctx.json {
                print_json(&Value::Array(notes.iter().map(note_json).collect()));
            } else {
                let rows: Vec<Vec<String>> = notes
                    .iter()
                    .map(|n| {
                        let on = match (n.contact_id, n.conversation_id) {
                            (Some(c), _) => format!("contact {c}"),
                            (_, Some(c)) => format!("conversation {c}"),
                            _ => String::new(),
                        };
                        vec![n.id.to_string(), on, to_rfc3339(n.updated_at), one_line(Some(&n.text))]
                    })
                    .collect();
                print_table(&["id", "on", "time", "note (only you see it)"], &rows);
            }
            Ok(())
        }
        NotesCommand::Edit { id, text } => {
            let note = ctx.store.edit_note(parse_id(&id, "ID")?, &text)?;
            print_one(ctx, &note, "edited")
        }
        NotesCommand::Remove { id } => {
            let note = ctx.store.delete_note(parse_id(&id, "ID")?)?;
            print_one(ctx, &note, "removed")
        }
    }
}

fn print_one(ctx: &Context, note: &Note, done: &str) -> Result<()> {
    if ctx.json {
        print_json(&note_json(note));
    } else {
        println!("{done} note {} (private: only you see it, it is never sent)", note.id);
    }
    Ok(())
}

/// `--contact ID|PHONE` or `--conversation ID`. A phone number must name one
/// contact: the same number on two accounts asks for the contact's id.
fn target(ctx: &Context, contact: Option<&str>, conversation: Option<&str>) -> Result<Option<NoteTarget>> {
    if let Some(c) = conversation {
        let id = parse_id(c, "--conversation")?;
        ctx.store.conversation(id)?;
        return Ok(Some(NoteTarget::Conversation(id)));
    }
    let Some(arg) = contact else { return Ok(None) };
    if let Ok(id) = arg.trim().parse::<i64>() {
        if let Ok(c) = ctx.store.contact(id) {
            return Ok(Some(NoteTarget::Contact(c.id)));
        }
    }
    let number = wicket_core::phone::parse(arg, &ctx.country()?)
        .map_err(|_| Error::NotFound(format!("no contact {arg:?}: give a contact id (see `wicket contacts`) or a phone number")))?;
    let mut found = vec![];
    for account in ctx.store.accounts()? {
        if let Some(c) = ctx.store.find_contact(account.id, &ContactKey::phone(number.as_str()))? {
            found.push(c.id);
        }
    }
    match found.as_slice() {
        [one] => Ok(Some(NoteTarget::Contact(*one))),
        [] => Err(Error::NotFound(format!("no contact has the number {} (see `wicket contacts`)", number.as_str()))),
        many => Err(Error::Invalid(format!(
            "{} is a contact on several accounts (contacts {}): give the contact id",
            number.as_str(),
            many.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
        ))),
    }
}

/// One note as `wicket notes list --json` prints it.
fn note_json(n: &Note) -> Value {
    json!({
        "id": output::id(n.id),
        "account_id": output::id(n.account_id),
        "contact_id": n.contact_id.map(output::id),
        "conversation_id": n.conversation_id.map(output::id),
        "text": n.text,
        "private": true,
        "created_at": to_rfc3339(n.created_at),
        "updated_at": to_rfc3339(n.updated_at),
    })
}
