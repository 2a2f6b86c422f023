//! Settings → Background jobs: the same list as `wicket jobs` (what the
//! engine does by itself, its last run and the next).

use crate::dto::CommandError;
use crate::state::AppState;
use serde::Serialize;
use tauri::State;
use ts_rs::TS;

type Res<T> = Result<T, CommandError>;

/// One background job (`wicket_core::jobs::JobStatus`).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct JobDto {
    /// Stable name: `maintenance`, `retry_failed`, `template_sync`, `contact_sync`, `media_downloads`.
    pub name: String,
    pub title: String,
    pub account_id: Option<i64>,
    pub account_name: Option<String>,
    /// How often it runs; null when it runs whenever work is due.
    pub every_seconds: Option<u64>,
    pub enabled: bool,
    /// `ok`, `failed` or `never`.
    pub result: String,
    /// RFC 3339.
    pub last_run_at: Option<String>,
    pub duration_ms: Option<i64>,
    pub summary: Option<String>,
    pub error: Option<String>,
    /// RFC 3339.
    pub next_run_at: Option<String>,
    pub runs: i64,
    pub failures: i64,
}

impl From<wicket_core::jobs::JobStatus> for JobDto {
    fn from(j: wicket_core::jobs::JobStatus) -> JobDto {
        JobDto {
            name: j.name.into(),
            title: j.title.into(),
            account_id: j.account_id,
            account_name: j.account_name,
            every_seconds: j.every_seconds,
            enabled: j.enabled,
            result: j.result.into(),
            last_run_at: j.last_run_at,
            duration_ms: j.duration_ms,
            summary: j.summary,
            error: j.error,
            next_run_at: j.next_run_at,
            runs: j.runs,
            failures: j.failures,
        }
    }
}

#[tauri::command]
pub fn list_jobs(state: State<'_, AppState>) -> Res<Vec<JobDto>> {
    let store = state.store()?;
    Ok(wicket_core::jobs::status(&store)?.into_iter().map(JobDto::from).collect())
}
