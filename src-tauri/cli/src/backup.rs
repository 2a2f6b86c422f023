//! `wicket backup create|list|restore|passphrase` and `wicket contact export|erase`
//! (`contact merge|merge-undo|suggestions` are in `contact_merge.rs`).

use crate::context::Context;
use crate::output::{print_json, print_table};
use clap::Subcommand;
use serde_json::{json, Value};
use std::path::PathBuf;
use wicket_core::backup::{self, schedule};
use wicket_core::contact_data;
use wicket_core::error::{Error, Result};
use wicket_core::secrets::Secret;

#[derive(Subcommand, Debug)]
pub enum BackupCommand {
    /// Write an encrypted backup of the store and media (AES-256-GCM under a
    /// key derived from the passphrase). Safe while Wicket runs.
    Create {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// The environment variable that holds the passphrase (never the passphrase itself).
        #[arg(long, value_name = "VAR")]
        passphrase_env: String,
        /// Include the accounts' secrets (tokens, keys) in the backup.
        #[arg(long)]
        with_secrets: bool,
    },
    /// The scheduled backups in the backup folder, newest first.
    List,
    /// Restore a backup into this data dir, with a report of what came back.
    Restore {
        #[arg(value_name = "FILE")]
        file: PathBuf,
        #[arg(long, value_name = "VAR")]
        passphrase_env: String,
        /// Replace a store that already has messages.
        #[arg(long)]
        force: bool,
    },
    /// Store the passphrase of scheduled backups in the secret store.
    Passphrase {
        #[arg(long, value_name = "VAR")]
        passphrase_env: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum ContactCommand {
    /// Everything about one customer as a zip: a JSON index (contact,
    /// conversations, messages both ways, notes) and the media files.
    Export {
        /// A contact id or a phone number.
        #[arg(value_name = "CONTACT")]
        contact: String,
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Erase one customer completely: messages (theirs in groups too), media, notes, raw webhook
    /// bodies and search entries, securely deleted from the database file.
    Erase {
        #[arg(value_name = "CONTACT")]
        contact: String,
        /// Confirm: this cannot be undone.
        #[arg(long)]
        yes: bool,
    },
    /// Merge contact OTHER into KEEP (same account): every message, note,
    /// label, reminder, snooze and opt-out is kept, and KEEP answers to
    /// both contacts' numbers and ids. Undo with `wicket contact merge-undo`
    /// until the next merge.
    Merge {
        /// The contact to keep: a contact id or a phone number.
        #[arg(value_name = "KEEP")]
        keep: String,
        /// The contact merged into it (removed): a contact id or a phone number.
        #[arg(value_name = "OTHER")]
        other: String,
    },
    /// Undo the latest contact merge (only the latest, once).
    MergeUndo {
        /// The merge expected to be undone (as `merge` printed it): refused
        /// when a later merge replaced it.
        #[arg(long, value_name = "ID")]
        merge: Option<i64>,
    },
    /// Contacts that look like the same person, each with why; `dismiss A B`
    /// says two are not.
    Suggestions {
        #[command(subcommand)]
        action: Option<crate::contact_merge::SuggestionsCommand>,
    },
}

fn passphrase(var: &str) -> Result<Secret> {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => Ok(Secret::new(v)),
        Ok(_) => Err(Error::Invalid(format!("the environment variable {var} is empty: put the backup passphrase in it"))),
        Err(_) => Err(Error::Invalid(format!("the environment variable {var} is not set: put the backup passphrase in it (never on the command line)"))),
    }
}

fn counts_row(c: &backup::Counts) -> String {
    format!("{} accounts, {} conversations, {} messages, {} media files, {} secrets", c.accounts, c.conversations, c.messages, c.media_files, c.secrets)
}

pub fn run(ctx: &mut Context, command: BackupCommand) -> Result<()> {
    match command {
        BackupCommand::Create { out, passphrase_env, with_secrets } => {
            let pass = passphrase(&passphrase_env)?;
            let secrets = if with_secrets { Some(ctx.secrets()?) } else { None };
            let created = backup::create(&ctx.store, &ctx.dir, &out, &pass, secrets.as_deref())?;
            if ctx.json {
                print_json(&serde_json::to_value(&created).unwrap_or(Value::Null));
            } else {
                println!("backup written to {} ({} bytes): {}", created.path, created.size, counts_row(&created.manifest.counts));
            }
        }
        BackupCommand::List => {
            let folder = schedule::folder(&ctx.store, &ctx.dir)?;
            let list = schedule::list(&folder)?;
            if ctx.json {
                print_json(&serde_json::to_value(&list).unwrap_or(Value::Null));
            } else {
                let rows: Vec<Vec<String>> = list.iter().map(|b| vec![b.created_at.clone(), b.size.to_string(), b.path.clone()]).collect();
                print_table(&["time", "bytes", "file"], &rows);
            }
        }
        BackupCommand::Restore { file, passphrase_env, force } => {
            let pass = passphrase(&passphrase_env)?;
            let dir = ctx.dir.clone();
            let mut open_secrets = || ctx.secrets().map(|s| (*s).clone());
            let restored = backup::restore(&dir, &file, &pass, force, Some(&mut open_secrets))?;
            if ctx.json {
                print_json(&serde_json::to_value(&restored).unwrap_or(Value::Null));
            } else {
                println!("restored the backup of {}: {}", restored.backup_created_at, counts_row(&restored.restored));
            }
        }
        BackupCommand::Passphrase { passphrase_env } => {
            let pass = passphrase(&passphrase_env)?;
            backup::check_passphrase(&pass)?;
            ctx.secrets()?.set_app(schedule::PASSPHRASE_SECRET, &pass)?;
            if ctx.json {
                print_json(&json!({"stored": true}));
            } else {
                println!("the passphrase of scheduled backups is stored in the secret store");
            }
        }
    }
    Ok(())
}

pub fn contact(ctx: &mut Context, command: ContactCommand) -> Result<()> {
    match command {
        ContactCommand::Merge { keep, other } => crate::contact_merge::merge(ctx, &keep, &other)?,
        ContactCommand::MergeUndo { merge } => crate::contact_merge::undo(ctx, merge)?,
        ContactCommand::Suggestions { action } => crate::contact_merge::suggestions(ctx, action)?,
        ContactCommand::Export { contact, out } => {
            let done = contact_data::export(&ctx.store, &ctx.dir, &contact, &out)?;
            if ctx.json {
                print_json(&serde_json::to_value(&done).unwrap_or(Value::Null));
            } else {
                println!(
                    "exported {} conversations, {} messages, {} media files and {} notes to {}",
                    done.conversations, done.messages, done.media_files, done.notes, done.path
                );
            }
        }
        ContactCommand::Erase { contact, yes } => {
            if !yes {
                return Err(Error::Invalid("erasing a customer cannot be undone: pass --yes to confirm".into()));
            }
            let done = contact_data::erase(&mut ctx.store, &ctx.dir, &contact)?;
            if ctx.json {
                print_json(&serde_json::to_value(&done).unwrap_or(Value::Null));
            } else {
                println!(
                    "erased {} contacts, {} conversations, {} messages, {} media files, {} raw webhook bodies and {} notes",
                    done.contacts, done.conversations, done.messages, done.media_files, done.webhook_events, done.notes
                );
            }
        }
    }
    Ok(())
}
