//! `wicket contact merge KEEP OTHER`, `wicket contact merge-undo` and
//! `wicket contact suggestions [dismiss A B]`: thin over `core::contact_merge`.

use crate::context::Context;
use crate::output::{id, print_json, print_table};
use clap::Subcommand;
use serde_json::{json, Value};
use wicket_core::contact_merge::{self, suggest};
use wicket_core::error::Result;

#[derive(Subcommand, Debug)]
pub enum SuggestionsCommand {
    /// Contacts A and B are not the same person: never suggest them again.
    Dismiss {
        #[arg(value_name = "A")]
        a: String,
        #[arg(value_name = "B")]
        b: String,
    },
}

pub fn merge(ctx: &mut Context, keep: &str, other: &str) -> Result<()> {
    let keep = contact_merge::resolve_one(&ctx.store, keep)?;
    let other = contact_merge::resolve_one(&ctx.store, other)?;
    let done = contact_merge::merge(&mut ctx.store, keep, other)?;
    if ctx.json {
        print_json(&json!({
            "merge_id": id(done.merged.merge_id),
            "kept_id": id(done.merged.kept_id),
            "kept_name": done.kept_name,
            "removed_id": id(done.merged.removed_id),
            "removed_name": done.removed_name,
            "conversation_id": done.merged.conversation_id.map(id),
            "messages_moved": done.merged.messages_moved,
            "notes_moved": done.merged.notes_moved,
        }));
    } else {
        println!(
            "merged {} (contact {}) into {} (contact {}): {} messages and {} notes moved; undo with `wicket contact merge-undo` until the next merge (merge {})",
            done.removed_name, done.merged.removed_id, done.kept_name, done.merged.kept_id, done.merged.messages_moved, done.merged.notes_moved, done.merged.merge_id
        );
    }
    Ok(())
}

pub fn undo(ctx: &mut Context, merge: Option<i64>) -> Result<()> {
    let done = contact_merge::undo(&mut ctx.store, merge)?;
    if ctx.json {
        print_json(&json!({
            "merge_id": id(done.merge_id),
            "kept_id": id(done.kept_id),
            "restored_id": id(done.restored_id),
            "restored_conversation_id": done.restored_conversation_id.map(id),
            "messages_moved_back": done.messages_moved_back,
        }));
    } else {
        println!(
            "undid merge {}: contact {} is back with {} messages; contact {} is as it was",
            done.merge_id, done.restored_id, done.messages_moved_back, done.kept_id
        );
    }
    Ok(())
}

pub fn suggestions(ctx: &mut Context, action: Option<SuggestionsCommand>) -> Result<()> {
    if let Some(SuggestionsCommand::Dismiss { a, b }) = action {
        let a = contact_merge::resolve_one(&ctx.store, &a)?;
        let b = contact_merge::resolve_one(&ctx.store, &b)?;
        contact_merge::dismiss(&mut ctx.store, a, b)?;
        if ctx.json {
            print_json(&json!({ "dismissed": [id(a.min(b)), id(a.max(b))] }));
        } else {
            println!("contacts {a} and {b} will not be suggested as the same person again");
        }
        return Ok(());
    }
    let list = suggest::suggestions(&ctx.store, None)?;
    if ctx.json {
        let items: Vec<Value> = list
            .iter()
            .map(|s| {
                json!({
                    "account_id": id(s.account_id),
                    "contact_id": id(s.contact_id),
                    "contact_name": s.contact_name,
                    "other_id": id(s.other_id),
                    "other_name": s.other_name,
                    "kind": s.kind,
                    "reason": s.reason,
                })
            })
            .collect();
        print_json(&Value::Array(items));
    } else if list.is_empty() {
        println!("no contacts look like the same person");
    } else {
        let rows: Vec<Vec<String>> = list
            .iter()
            .map(|s| {
                vec![s.account_id.to_string(), format!("{} ({})", s.contact_name, s.contact_id), format!("{} ({})", s.other_name, s.other_id), s.reason.clone()]
            })
            .collect();
        print_table(&["ACCOUNT", "CONTACT", "SAME AS", "WHY"], &rows);
    }
    Ok(())
}
