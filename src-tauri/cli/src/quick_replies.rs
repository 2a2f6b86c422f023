//! `wicket quick-replies add|list|remove|export|import`: saved answers the
//! composer inserts on `/SHORTCUT` (see `wicket_core::quick_replies`).

use crate::context::Context;
use crate::output::{self, one_line, print_json, print_table};
use crate::QuickRepliesCommand;
use serde_json::{json, Value};
use wicket_core::error::{Error, Result};
use wicket_core::store::quick_replies::QuickReply;
use wicket_core::time::to_rfc3339;

pub fn run(ctx: &mut Context, command: QuickRepliesCommand) -> Result<()> {
    use wicket_core::quick_replies as qr;
    match command {
        QuickRepliesCommand::Add { shortcut, text, file } => {
            let q = qr::add(&mut ctx.store, &ctx.dir, &shortcut, &text, file.as_deref().map(qr::FileSource::Path))?;
            if ctx.json {
                print_json(&quick_reply_json(ctx, &q));
            } else {
                println!("saved /{}: type it in the composer to insert it", q.shortcut);
            }
        }
        QuickRepliesCommand::List => {
            let list = ctx.store.quick_replies()?;
            if ctx.json {
                print_json(&Value::Array(list.iter().map(|q| quick_reply_json(ctx, q)).collect()));
            } else {
                let rows: Vec<Vec<String>> =
                    list.iter().map(|q| vec![format!("/{}", q.shortcut), one_line(Some(&q.text)), q.file_name.clone().unwrap_or_default()]).collect();
                print_table(&["shortcut", "text", "file"], &rows);
            }
        }
        QuickRepliesCommand::Remove { shortcut } => {
            let q = qr::remove(&mut ctx.store, &ctx.dir, &shortcut)?;
            if ctx.json {
                print_json(&quick_reply_json(ctx, &q));
            } else {
                println!("removed /{}", q.shortcut);
            }
        }
        QuickRepliesCommand::Export { out } => {
            let n = qr::export(&ctx.store, &ctx.dir, &out)?;
            if ctx.json {
                print_json(&json!({"path": out, "quick_replies": n}));
            } else {
                println!("wrote {n} quick replies to {}", out.display());
            }
        }
        QuickRepliesCommand::Import { path } => {
            let report = qr::import(&mut ctx.store, &ctx.dir, &path)?;
            if ctx.json {
                print_json(&json!(report));
            } else {
                for r in &report.rows {
                    match &r.error {
                        None => println!("row {}: added /{}", r.row, r.shortcut),
                        Some(e) => println!("row {}: not imported: {e}", r.row),
                    }
                }
                println!("{} imported, {} not imported", report.imported, report.rejected);
            }
            if report.rejected > 0 {
                return Err(Error::Invalid(format!(
                    "{} of {} rows were not imported (each is reported above with its reason); fix them and import those rows again",
                    report.rejected,
                    report.rows.len()
                )));
            }
        }
    }
    Ok(())
}

/// One quick reply as `wicket quick-replies list --json` prints it.
fn quick_reply_json(ctx: &Context, q: &QuickReply) -> Value {
    json!({
        "id": output::id(q.id),
        "shortcut": q.shortcut,
        "text": q.text,
        "file": wicket_core::quick_replies::file_path(&ctx.dir, q),
        "file_name": q.file_name,
        "mime_type": q.mime_type,
        "created_at": to_rfc3339(q.created_at),
        "updated_at": to_rfc3339(q.updated_at),
    })
}
