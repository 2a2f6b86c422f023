//! `wicket dev`: developer tools. `seed` fills the data dir with a busy
//! shop's made-up messages through the store's bulk path
//! (`wicket_core::devseed`), under a demo account of its own.

use crate::context::Context;
use crate::output::print_json;
use clap::{Args, Subcommand};
use serde_json::json;
use wicket_core::devseed::{self, SeedOptions};
use wicket_core::Result;

#[derive(Subcommand, Debug)]
pub enum DevCommand {
    /// Fill the data dir with made-up customers and messages (a demo account;
    /// refused when the data dir holds real accounts). The same --seed gives
    /// the same store.
    Seed(SeedArgs),
}

#[derive(Args, Debug)]
pub struct SeedArgs {
    /// How many messages (mostly short texts in several languages, some media,
    /// templates, statuses and reactions).
    #[arg(long, default_value_t = 1_000_000)]
    pub messages: u64,
    /// How many contacts, one conversation each.
    #[arg(long, default_value_t = 10_000)]
    pub conversations: u64,
    /// Conversations of 100,000 messages each (fewer when --messages is small:
    /// they never take more than half of the messages).
    #[arg(long, default_value_t = 3)]
    pub long_conversations: u64,
    /// The random seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

pub fn seed(ctx: &mut Context, args: SeedArgs) -> Result<()> {
    let opts = SeedOptions {
        messages: args.messages,
        conversations: args.conversations.max(1),
        long_conversations: args.long_conversations,
        seed: args.seed,
        ..SeedOptions::default()
    };
    let report = devseed::seed(&mut ctx.store, &opts)?;
    let seconds = report.elapsed.as_secs_f64();
    let rate = report.messages as f64 / seconds.max(1e-9);
    if ctx.json {
        print_json(&json!({
            "account_id": report.account_id,
            "messages": report.messages,
            "conversations": report.conversations,
            "reactions": report.reactions,
            "seconds": (seconds * 1000.0).round() / 1000.0,
            "messages_per_second": rate.round(),
        }));
    } else {
        println!(
            "Seeded {} messages ({} reactions) in {} conversations under account {} in {seconds:.1} s ({rate:.0} messages/s).",
            report.messages, report.reactions, report.conversations, report.account_id
        );
    }
    Ok(())
}
