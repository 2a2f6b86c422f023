//! `wicket stats`: the figures of a time window (`wicket_core::stats`).

use crate::context::{parse_id, Context};
use crate::output::print_json;
use crate::StatsArgs;
use wicket_core::error::{Error, Result};
use wicket_core::stats::{Stats, StatsQuery};
use wicket_core::time::now_ms;

const HOUR_MS: i64 = 3_600_000;

/// The window ending now: `hours`, else `days` (default 7).
pub fn window(hours: Option<u32>, days: Option<u32>) -> Result<(i64, i64)> {
    let hours = match (hours, days) {
        (Some(0), _) | (_, Some(0)) => return Err(Error::Invalid("give at least 1 hour (--hours N) or 1 day (--days N)".into())),
        (Some(h), _) => i64::from(h),
        (None, d) => i64::from(d.unwrap_or(7)) * 24,
    };
    let until = now_ms();
    Ok((until - hours * HOUR_MS, until + 1))
}

pub fn stats(ctx: &Context, args: StatsArgs) -> Result<()> {
    let account_id = args.account.as_deref().map(|a| parse_id(a, "--account")).transpose()?;
    if let Some(id) = account_id {
        ctx.store.account(id)?;
    }
    let (since, until) = window(args.hours, args.days)?;
    let s = wicket_core::stats::compute(&ctx.store, StatsQuery { account_id, since, until })?;
    if ctx.json {
        print_json(&serde_json::to_value(&s).unwrap_or_default());
    } else {
        print_text(&s);
    }
    Ok(())
}

fn percent(rate: Option<f64>) -> String {
    rate.map(|r| format!("{:.1} %", r * 100.0)).unwrap_or_else(|| "-".into())
}

/// "1 h 05 min", "3 min 20 s".
pub fn duration(seconds: i64) -> String {
    match seconds {
        s if s >= 3600 => format!("{} h {:02} min", s / 3600, (s % 3600) / 60),
        s if s >= 60 => format!("{} min {:02} s", s / 60, s % 60),
        s => format!("{s} s"),
    }
}

pub fn print_text(s: &Stats) {
    println!("from {} to {} ({})", s.since, s.until, s.time_zone);
    println!("received        {}", s.received);
    println!("sent            {} (delivered {}, read {}; failed {}, on their way {})", s.sent, s.delivered, s.read, s.failed, s.pending);
    println!("delivery rate   {}", percent(s.delivery_rate));
    println!("read rate       {}", percent(s.read_rate));
    match s.median_first_reply_seconds {
        Some(m) => println!("first reply     {} (median of {})", duration(m), s.replies_measured),
        None => println!("first reply     - (no customer was answered in this window)"),
    }
    println!(
        "webhooks        {} accepted, {} duplicate, {} rejected (bad signature), {} unreadable",
        s.webhooks.accepted, s.webhooks.duplicate, s.webhooks.rejected, s.webhooks.failed
    );
    println!("rate-limit waits {}", s.rate_limit_waits);
    println!("queue           {}", s.queue_depth);
    for f in &s.failures {
        println!("failed {} × {} ({}): {}", f.count, f.code.as_deref().unwrap_or("-"), f.kind.as_deref().unwrap_or("-"), f.message.as_deref().unwrap_or(""));
    }
}
