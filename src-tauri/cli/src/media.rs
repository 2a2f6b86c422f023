//! `wicket media usage|prune|redownload`: the media cache (its limit is the
//! setting `media_cache_limit_mb`; `wicket settings set` applies a lower one at once).

use crate::commands::runtime;
use crate::context::{parse_id, Context};
use crate::output::print_json;
use clap::Subcommand;
use serde_json::json;
use wicket_core::error::Result;
use wicket_core::media_cache::{self, PruneReport};
use wicket_core::providers::ProviderClient;

#[derive(Subcommand, Debug)]
pub enum MediaCommand {
    /// Space used by media files against the limit, how many, and how much could be freed.
    Usage,
    /// Remove the least recently used media files until under the limit (messages stay).
    Prune,
    /// Download a removed file again (while WhatsApp still has it), hash checked.
    Redownload {
        /// The media id (the `media.id` of `wicket messages --json`).
        #[arg(value_name = "MEDIA_ID")]
        id: String,
    },
}

pub fn run(ctx: &mut Context, command: MediaCommand) -> Result<()> {
    match command {
        MediaCommand::Usage => usage(ctx),
        MediaCommand::Prune => {
            let report = media_cache::enforce(&mut ctx.store, &ctx.dir, None)?;
            print_prune(ctx, &report);
            Ok(())
        }
        MediaCommand::Redownload { id } => {
            let id = parse_id(&id, "MEDIA_ID")?;
            let account = ctx.store.account(ctx.store.media_file(id)?.account_id)?;
            let secrets = ctx.secrets()?;
            let client = ProviderClient::for_account(&account, &secrets)?;
            let media = runtime()?.block_on(media_cache::download_again(&mut ctx.store, &ctx.dir, &client, id))?;
            if ctx.json {
                print_json(&json!({ "id": media.id, "state": media.state.as_str(), "path": media.path, "size": media.size, "sha256": media.sha256 }));
            } else {
                println!("media {id} downloaded again ({}, SHA-256 checked)", human(media.size.unwrap_or(0)));
            }
            Ok(())
        }
    }
}

/// After `settings set media_cache_limit_mb`: a lower limit applies now.
pub fn limit_changed(ctx: &mut Context) -> Result<()> {
    let report = media_cache::enforce(&mut ctx.store, &ctx.dir, None)?;
    if !report.evicted.is_empty() && !ctx.json {
        println!("{} removed to fit the new limit ({} freed)", files(report.evicted.len() as i64), human(report.freed_bytes));
    }
    Ok(())
}

fn usage(ctx: &Context) -> Result<()> {
    let u = media_cache::usage(&ctx.store, &ctx.dir)?;
    if ctx.json {
        print_json(&json!({
            "media_bytes": u.media_bytes,
            "media_files": u.media_files,
            "limit_mb": u.limit_mb,
            "evictable_bytes": u.evictable_bytes,
            "evictable_files": u.evictable_files,
            "database_bytes": u.database_bytes,
        }));
    } else {
        let limit = if u.limit_mb == 0 { "no limit".to_string() } else { format!("limit {}", human(u.limit_mb * 1024 * 1024)) };
        println!("media: {} in {} ({limit})", human(u.media_bytes), files(u.media_files));
        println!("could be freed: {} in {} (attachments not sent yet are kept)", human(u.evictable_bytes), files(u.evictable_files));
        println!("database: {}", human(u.database_bytes));
    }
    Ok(())
}

fn print_prune(ctx: &Context, r: &PruneReport) {
    if ctx.json {
        print_json(&json!({
            "freed_bytes": r.freed_bytes,
            "evicted": r.evicted.iter().map(|f| json!({"media_id": f.media_id, "size": f.size, "can_download_again": f.can_download_again})).collect::<Vec<_>>(),
            "media_bytes": r.media_bytes,
            "limit_mb": r.limit_mb,
            "still_over": r.still_over,
        }));
    } else if r.limit_mb == 0 {
        println!("no media limit is set (media_cache_limit_mb is 0): nothing removed");
    } else if r.evicted.is_empty() {
        println!("media use {} is within the limit of {}: nothing removed", human(r.media_bytes), human(r.limit_mb * 1024 * 1024));
    } else {
        println!("removed {} ({} freed); media now {}", files(r.evicted.len() as i64), human(r.freed_bytes), human(r.media_bytes));
        if r.still_over {
            println!("still over the limit: what is left are attachments not sent yet, which are never removed");
        }
    }
}

fn files(n: i64) -> String {
    if n == 1 {
        "1 file".into()
    } else {
        format!("{n} files")
    }
}

fn human(bytes: i64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut v = bytes as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}
