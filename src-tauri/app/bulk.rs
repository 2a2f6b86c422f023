//! Bulk sending in the window: the bulk screen checks a CSV's text (the
//! window reads the picked file) or a label's conversations against a
//! template or a text, shows the report and a preview, starts the job and
//! follows it (pause, resume, cancel). The rules are the core's
//! (`wicket_core::bulk`); these commands parse, call, map.

use crate::dto::{CommandError, IdArgs};
use crate::state::AppState;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use tauri::State;
use ts_rs::TS;
use wicket_core::bulk::{self, BulkMessage, Outcome, Recipients, Report, Spec};
use wicket_core::store::bulk::{Counts, Job};
use wicket_core::Error;

/// A bulk send as the screen describes it.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct BulkArgs {
    pub account_id: i64,
    /// The CSV's text (a `phone` column, one column per parameter), or…
    #[ts(optional)]
    pub csv: Option<String>,
    /// …its file name, for the job's description.
    #[ts(optional)]
    pub file_name: Option<String>,
    /// …every conversation of the account with this label.
    #[ts(optional)]
    pub label: Option<String>,
    /// An approved template (with `language`), or…
    #[ts(optional)]
    pub template: Option<String>,
    #[ts(optional)]
    pub language: Option<String>,
    /// …free text.
    #[ts(optional)]
    pub text: Option<String>,
    /// Fixed values by parameter (`1`, `first_name`, `header.1`, `button.1`).
    #[serde(default)]
    #[ts(optional)]
    pub values: Option<HashMap<String, String>>,
    /// Parameters filled from a CSV column: parameter → column.
    #[serde(default)]
    #[ts(optional)]
    pub columns: Option<HashMap<String, String>>,
}

/// One row of the check.
#[derive(Debug, Clone, Serialize, TS)]
pub struct BulkRowDto {
    /// The CSV line (the header is line 1), or the label's recipient number.
    pub row: i64,
    pub phone: String,
    #[ts(type = "\"ok\" | \"skipped\" | \"invalid\"")]
    pub outcome: String,
    pub reason: Option<String>,
    /// The message as this recipient sees it (the first rows only).
    pub preview: Option<String>,
}

/// The check of a bulk send, row by row.
#[derive(Debug, Clone, Serialize, TS)]
pub struct BulkReportDto {
    pub rows: Vec<BulkRowDto>,
    pub ok: u32,
    pub skipped: u32,
    pub invalid: u32,
    /// The template's parameters (column names that fill them by default).
    pub parameters: Vec<String>,
    /// The CSV's columns.
    pub columns: Vec<String>,
}

/// A reason and how many rows have it.
#[derive(Debug, Clone, Serialize, TS)]
pub struct BulkReasonDto {
    pub reason: String,
    pub count: i64,
}

/// A bulk job and its figures.
#[derive(Debug, Clone, Serialize, TS)]
pub struct BulkJobDto {
    pub id: i64,
    pub account_id: i64,
    #[ts(type = "\"running\" | \"paused\" | \"cancelled\" | \"done\"")]
    pub state: String,
    /// What it sends, in a line.
    pub message: String,
    /// Where the recipients came from.
    pub source: String,
    pub created_at: i64,
    pub finished_at: Option<i64>,
    pub total: i64,
    /// Not yet sent: waiting in the job or in the outbox.
    pub queued: i64,
    pub sent: i64,
    pub delivered: i64,
    pub read: i64,
    pub failed: i64,
    /// May have been sent (the send was cut off): see the chat.
    pub unknown: i64,
    pub skipped: i64,
    pub failed_reasons: Vec<BulkReasonDto>,
    pub skipped_reasons: Vec<BulkReasonDto>,
}

/// What Start answers: the report, and the job when it started (none when a row is invalid).
#[derive(Debug, Clone, Serialize, TS)]
pub struct BulkStartDto {
    pub report: BulkReportDto,
    pub job: Option<BulkJobDto>,
    /// Why it did not start.
    pub refused: Option<String>,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct BulkListArgs {
    #[ts(optional)]
    pub account_id: Option<i64>,
}

fn spec(args: BulkArgs) -> Result<Spec, CommandError> {
    let recipients = match (args.csv, args.label) {
        (Some(text), _) => Recipients::Csv { text, name: args.file_name.unwrap_or_else(|| "recipients.csv".into()) },
        (None, Some(label)) => Recipients::Label(label),
        (None, None) => return Err(Error::Invalid("choose the recipients: a CSV file or a label".into()).into()),
    };
    let message = match (args.template, args.language, args.text) {
        (Some(name), Some(language), _) => BulkMessage::Template { name, language },
        (None, _, Some(text)) => BulkMessage::Text { body: text },
        _ => return Err(Error::Invalid("choose what to send: a template or a text".into()).into()),
    };
    Ok(Spec { account_id: args.account_id, recipients, message, params: args.values.unwrap_or_default(), columns: args.columns.unwrap_or_default() })
}

fn report_dto(r: Report) -> BulkReportDto {
    let outcome = |o: Outcome| match o {
        Outcome::Ok => "ok",
        Outcome::Skipped => "skipped",
        Outcome::Invalid => "invalid",
    };
    BulkReportDto {
        rows: r
            .rows
            .into_iter()
            .map(|x| BulkRowDto { row: x.row, phone: x.phone, outcome: outcome(x.outcome).into(), reason: x.reason, preview: x.preview })
            .collect(),
        ok: r.ok as u32,
        skipped: r.skipped as u32,
        invalid: r.invalid as u32,
        parameters: r.parameters,
        columns: r.columns,
    }
}

fn job_dto(job: &Job, c: &Counts) -> BulkJobDto {
    let reasons = |list: &[(String, i64)]| list.iter().map(|(reason, count)| BulkReasonDto { reason: reason.clone(), count: *count }).collect();
    BulkJobDto {
        id: job.id,
        account_id: job.account_id,
        state: job.state.as_str().into(),
        message: job.summary.clone(),
        source: job.source.clone(),
        created_at: job.created_at,
        finished_at: job.finished_at,
        total: c.total,
        queued: c.waiting + c.in_outbox,
        sent: c.sent,
        delivered: c.delivered,
        read: c.read,
        failed: c.failed,
        unknown: c.unknown,
        skipped: c.skipped,
        failed_reasons: reasons(&c.failed_reasons),
        skipped_reasons: reasons(&c.skipped_reasons),
    }
}

/// Checks a bulk send row by row; queues nothing.
#[tauri::command]
pub async fn bulk_check(state: State<'_, AppState>, args: BulkArgs) -> Result<BulkReportDto, CommandError> {
    let store = state.store()?;
    let spec = spec(args)?;
    Ok(report_dto(bulk::validate(&store, &spec)?))
}

/// Checks again and starts the job when no row is invalid.
#[tauri::command]
pub async fn bulk_start(state: State<'_, AppState>, args: BulkArgs) -> Result<BulkStartDto, CommandError> {
    let mut store = state.store()?;
    let spec = spec(args)?;
    let (report, job) = bulk::start(&mut store, &spec)?;
    let refused = job.is_none().then(|| bulk::not_started_reason(&report));
    let job = match job {
        Some(j) => Some(job_dto(&j, &store.bulk_counts(j.id)?)),
        None => None,
    };
    Ok(BulkStartDto { report: report_dto(report), job, refused })
}

/// Bulk jobs, newest first.
#[tauri::command]
pub async fn bulk_jobs(state: State<'_, AppState>, args: BulkListArgs) -> Result<Vec<BulkJobDto>, CommandError> {
    let store = state.store()?;
    let jobs = store.bulk_jobs(args.account_id, 50)?;
    jobs.iter().map(|j| Ok(job_dto(j, &store.bulk_counts(j.id)?))).collect()
}

/// One job with its figures (the progress bar polls it).
#[tauri::command]
pub async fn bulk_job(state: State<'_, AppState>, args: IdArgs) -> Result<BulkJobDto, CommandError> {
    let store = state.store()?;
    let (job, counts) = bulk::show(&store, args.id)?;
    Ok(job_dto(&job, &counts))
}

fn steer(state: &State<'_, AppState>, id: i64, f: fn(&mut wicket_core::Store, i64) -> wicket_core::Result<Job>) -> Result<BulkJobDto, CommandError> {
    let mut store = state.store()?;
    let job = f(&mut store, id)?;
    Ok(job_dto(&job, &store.bulk_counts(job.id)?))
}

#[tauri::command]
pub async fn bulk_pause(state: State<'_, AppState>, args: IdArgs) -> Result<BulkJobDto, CommandError> {
    steer(&state, args.id, bulk::pause)
}

#[tauri::command]
pub async fn bulk_resume(state: State<'_, AppState>, args: IdArgs) -> Result<BulkJobDto, CommandError> {
    steer(&state, args.id, bulk::resume)
}

/// Cancels a job: recipients not yet reached are skipped; messages in the outbox still go.
#[tauri::command]
pub async fn bulk_cancel(state: State<'_, AppState>, args: IdArgs) -> Result<BulkJobDto, CommandError> {
    steer(&state, args.id, bulk::cancel)
}
