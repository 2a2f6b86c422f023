//! Bulk sending from the terminal: `wicket bulk send` checks every row
//! (printing the report) and starts a job the engine sends; `wicket bulk
//! list|show|pause|resume|cancel` follow and steer it.
//!
//! Exit codes: a report with invalid rows exits 2 (after printing it), with
//! `--dry-run` too, so a script can tell a file that needs fixing.

use crate::context::{parse_id, Context};
use crate::output::{one_line, print_json, print_table};
use crate::{BulkCommand, BulkSendArgs};
use serde_json::{json, Value};
use wicket_core::bulk::{self, BulkMessage, Recipients, Report, Spec};
use wicket_core::error::{Error, Result};

pub fn run(ctx: &mut Context, command: BulkCommand) -> Result<()> {
    match command {
        BulkCommand::Send(args) => send(ctx, *args),
        BulkCommand::List { account } => list(ctx, account.as_deref()),
        BulkCommand::Show { id } => show(ctx, &id),
        BulkCommand::Pause { id } => steer(ctx, &id, "paused", bulk::pause),
        BulkCommand::Resume { id } => steer(ctx, &id, "resumed", bulk::resume),
        BulkCommand::Cancel { id } => steer(ctx, &id, "cancelled", bulk::cancel),
    }
}

fn send(ctx: &mut Context, args: BulkSendArgs) -> Result<()> {
    let account_id = parse_id(&args.account, "--account")?;
    let recipients = match (&args.to_file, &args.label) {
        (Some(path), _) => {
            let text = std::fs::read_to_string(path).map_err(|e| Error::Invalid(format!("cannot read {}: {e}", path.display())))?;
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string());
            Recipients::Csv { text, name }
        }
        (None, Some(label)) => Recipients::Label(label.clone()),
        (None, None) => return Err(Error::Invalid("give the recipients: --to-file recipients.csv or --label NAME".into())),
    };
    let message = match (&args.template, &args.lang, &args.text) {
        (Some(name), Some(language), _) => BulkMessage::Template { name: name.clone(), language: language.clone() },
        (None, _, Some(text)) => BulkMessage::Text { body: text.clone() },
        _ => return Err(Error::Invalid("say what to send: --template NAME --lang CODE, or --text TEXT".into())),
    };
    let spec = Spec { account_id, recipients, message, params: bulk::parse_params(&args.params), columns: Default::default() };
    let (report, job) = if args.dry_run { (bulk::validate(&ctx.store, &spec)?, None) } else { bulk::start(&mut ctx.store, &spec)? };
    let job_json = match &job {
        Some(j) => Some(bulk::job_json(j, &ctx.store.bulk_counts(j.id)?)),
        None => None,
    };
    if ctx.json {
        let mut out = serde_json::to_value(&report).map_err(|e| Error::Internal(e.to_string()))?;
        out["dry_run"] = json!(args.dry_run);
        out["job"] = job_json.clone().unwrap_or(Value::Null);
        print_json(&out);
    } else {
        print_report(&report);
    }
    if report.invalid > 0 || (!args.dry_run && job.is_none()) {
        return Err(Error::Invalid(bulk::not_started_reason(&report)));
    }
    if let Some(job) = &job {
        if !ctx.json {
            println!("bulk job {} started: {} to send, {} skipped; follow it with `wicket bulk show {}`", job.id, report.ok, report.skipped, job.id);
        }
        if !wicket_core::engine_lock::EngineLock::is_held(&ctx.dir) {
            eprintln!("Note: no engine runs now; start `wicket serve` or the app to send the job");
        }
    } else if !ctx.json {
        println!("dry run: {} to send, {} skipped, nothing queued", report.ok, report.skipped);
    }
    Ok(())
}

fn print_report(report: &Report) {
    let rows: Vec<Vec<String>> = report
        .rows
        .iter()
        .map(|r| {
            let outcome = serde_json::to_value(r.outcome).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
            vec![r.row.to_string(), r.phone.clone(), outcome, one_line(r.reason.as_deref())]
        })
        .collect();
    print_table(&["row", "phone", "result", "reason"], &rows);
    if let Some(preview) = report.rows.iter().find_map(|r| r.preview.as_deref()) {
        println!("\nthe first recipient will see:\n{preview}\n");
    }
    println!("{} ok, {} skipped, {} invalid", report.ok, report.skipped, report.invalid);
}

fn list(ctx: &Context, account: Option<&str>) -> Result<()> {
    let account_id = crate::commands::account_filter(ctx, account)?;
    let jobs = ctx.store.bulk_jobs(account_id, 200)?;
    let rows = jobs.iter().map(|j| Ok(bulk::job_json(j, &ctx.store.bulk_counts(j.id)?))).collect::<Result<Vec<_>>>()?;
    if ctx.json {
        print_json(&Value::Array(rows));
    } else {
        let text = |r: &Value, k: &str| match &r[k] {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            v => v.to_string(),
        };
        let table: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                vec![
                    text(r, "id"),
                    text(r, "state"),
                    text(r, "account_id"),
                    one_line(Some(&text(r, "message"))),
                    format!("{}/{}", text(r, "sent"), text(r, "total")),
                    text(r, "failed"),
                    text(r, "skipped"),
                    text(r, "created"),
                ]
            })
            .collect();
        print_table(&["id", "state", "account", "message", "sent", "failed", "skipped", "created"], &table);
    }
    Ok(())
}

fn show(ctx: &Context, id: &str) -> Result<()> {
    let (job, counts) = bulk::show(&ctx.store, parse_id(id, "ID")?)?;
    let out = bulk::job_json(&job, &counts);
    if ctx.json {
        print_json(&out);
    } else {
        println!("bulk job {} ({}): {} from {}", job.id, job.state.as_str(), job.summary, job.source);
        println!(
            "{} recipients: {} queued, {} sent, {} delivered, {} read, {} failed, {} unknown, {} skipped",
            counts.total,
            counts.waiting + counts.in_outbox,
            counts.sent,
            counts.delivered,
            counts.read,
            counts.failed,
            counts.unknown,
            counts.skipped
        );
        for (why, n) in &counts.failed_reasons {
            println!("  failed {n}: {why}");
        }
        for (why, n) in &counts.skipped_reasons {
            println!("  skipped {n}: {why}");
        }
    }
    Ok(())
}

fn steer(ctx: &mut Context, id: &str, done: &str, f: fn(&mut wicket_core::Store, i64) -> Result<wicket_core::store::bulk::Job>) -> Result<()> {
    let job = f(&mut ctx.store, parse_id(id, "ID")?)?;
    if ctx.json {
        print_json(&bulk::job_json(&job, &ctx.store.bulk_counts(job.id)?));
    } else {
        println!("bulk job {} {done} (now {})", job.id, job.state.as_str());
    }
    Ok(())
}
