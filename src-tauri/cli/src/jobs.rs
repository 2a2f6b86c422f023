//! `wicket jobs`: the background jobs the engine runs, with their last run.

use crate::context::Context;
use crate::output::{print_json, print_table};
use wicket_core::error::Result;

pub fn list(ctx: &Context) -> Result<()> {
    let jobs = wicket_core::jobs::status(&ctx.store)?;
    if ctx.json {
        print_json(&serde_json::to_value(&jobs).unwrap_or_default());
        return Ok(());
    }
    let rows: Vec<Vec<String>> = jobs
        .iter()
        .map(|j| {
            let account = match (j.account_id, &j.account_name) {
                (Some(id), Some(name)) => format!("{id} {name}"),
                _ => "-".into(),
            };
            let every = match j.every_seconds {
                _ if !j.enabled => "off".into(),
                Some(s) if s % 3600 == 0 => format!("{} h", s / 3600),
                Some(s) => format!("{} min", s / 60),
                None => "when due".into(),
            };
            let outcome = match (j.result, &j.summary, &j.error) {
                ("failed", _, Some(e)) => format!("failed: {e}"),
                ("ok", Some(s), _) => format!("ok: {s}"),
                (r, _, _) => r.to_string(),
            };
            vec![
                j.name.to_string(),
                account,
                every,
                j.last_run_at.clone().unwrap_or_else(|| "-".into()),
                j.duration_ms.map(|ms| format!("{ms} ms")).unwrap_or_else(|| "-".into()),
                j.next_run_at.clone().unwrap_or_else(|| "-".into()),
                outcome,
            ]
        })
        .collect();
    print_table(&["job", "account", "every", "last run", "took", "next", "result"], &rows);
    Ok(())
}
