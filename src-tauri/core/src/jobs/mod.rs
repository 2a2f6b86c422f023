//! Background jobs: the work the engine (the desktop app or `wicket serve`)
//! does by itself on a clock, and what `wicket jobs` and Settings show of it.
//!
//! | job              | scope              | how often                                  |
//! |------------------|--------------------|--------------------------------------------|
//! | `maintenance`    | the data dir       | daily: raw webhook bodies past retention, logs, media folders |
//! | `retry_failed`   | the data dir       | every 30 min: failed sends whose error may pass by itself |
//! | `template_sync`  | each Meta account  | every 6 h, and soon after a template webhook |
//! | `contact_sync`   | each gateway account | every `contact_sync_hours` (6 by default)  |
//! | `media_downloads`| each account       | whenever a download is due (retries back off) |
//! | `backup`         | the data dir       | daily by default, when turned on in Settings |
//!
//! Each run is recorded in `job_runs` (when, how long, what came of it). The
//! jobs themselves live where their work is (`maintenance`, `sync`, the
//! engine's workers); [`retry_failed`] and [`templates`] are here.

pub mod retry_failed;
pub mod templates;

use crate::error::Result;
use crate::model::Provider;
use crate::store::Store;
use crate::time::{now_ms, opt_rfc3339};
use std::time::{Duration, Instant};

/// The daily maintenance (`crate::maintenance`).
pub const MAINTENANCE: &str = "maintenance";
pub const RETRY_FAILED: &str = "retry_failed";
pub const TEMPLATE_SYNC: &str = "template_sync";
pub const CONTACT_SYNC: &str = "contact_sync";
pub const MEDIA_DOWNLOADS: &str = "media_downloads";
/// Scheduled encrypted backups (`crate::backup::schedule`).
pub const BACKUP: &str = "backup";

/// How often the template list of a Meta account is fetched again.
pub const TEMPLATE_SYNC_EVERY: Duration = Duration::from_secs(6 * 3600);
const DAY: Duration = Duration::from_secs(86_400);

/// One job as `wicket jobs --json` and Settings show it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct JobStatus {
    /// The job's name (`template_sync`, …): stable, for scripts.
    pub name: &'static str,
    /// What it does, for people.
    pub title: &'static str,
    pub account_id: Option<i64>,
    pub account_name: Option<String>,
    /// How often it runs; None when it runs whenever work is due.
    pub every_seconds: Option<u64>,
    /// False when a setting turned it off (`contact_sync_hours` 0).
    pub enabled: bool,
    /// `ok`, `failed`, or `never` (not run yet).
    pub result: &'static str,
    pub last_run_at: Option<String>,
    pub duration_ms: Option<i64>,
    /// What the last successful run did.
    pub summary: Option<String>,
    /// Why the last run failed.
    pub error: Option<String>,
    /// When it is next due (None: as soon as the engine runs, or not planned).
    pub next_run_at: Option<String>,
    pub runs: i64,
    pub failures: i64,
}

/// Every job of this data dir, the whole data dir's first, then per account.
pub fn status(store: &Store) -> Result<Vec<JobStatus>> {
    let runs = store.job_runs()?;
    let find = |name: &str, account: Option<i64>| runs.iter().find(|r| r.job == name && r.account_id == account);
    let mut list = vec![];
    let mut push =
        |name: &'static str, title: &'static str, account: Option<&crate::store::Account>, every: Option<Duration>, enabled: bool, next: Option<i64>| {
            let run = find(name, account.map(|a| a.id));
            let next = match run {
                Some(r) if r.due_now => Some(now_ms()),
                _ => next.or_else(|| Some(run?.started_at.saturating_add(every?.as_millis() as i64))),
            };
            list.push(JobStatus {
                name,
                title,
                account_id: account.map(|a| a.id),
                account_name: account.map(|a| a.name.clone()),
                every_seconds: every.map(|d| d.as_secs()),
                enabled,
                result: match run {
                    None => "never",
                    Some(r) if r.ok => "ok",
                    Some(_) => "failed",
                },
                last_run_at: opt_rfc3339(run.map(|r| r.started_at)),
                duration_ms: run.map(|r| r.duration_ms),
                summary: run.and_then(|r| r.summary.clone()),
                error: run.and_then(|r| r.error.clone()),
                next_run_at: if enabled { opt_rfc3339(next) } else { None },
                runs: run.map_or(0, |r| r.runs),
                failures: run.map_or(0, |r| r.failures),
            });
        };
    let maintenance_next = store.setting(crate::maintenance::LAST_RUN)?.and_then(|v| v.as_i64()).map(|t| t + DAY.as_millis() as i64);
    push(
        MAINTENANCE,
        "Daily maintenance: prunes raw webhook bodies past their retention, old logs and removed accounts' media",
        None,
        Some(DAY),
        true,
        maintenance_next,
    );
    push(RETRY_FAILED, "Retries failed sends whose error may pass by itself (provider busy or throttling)", None, Some(retry_failed::EVERY), true, None);
    let (backup_on, backup_hours) = crate::backup::schedule::timing(store)?;
    push(
        BACKUP,
        "Writes an encrypted backup of the store and media into the backup folder, keeping the last few",
        None,
        Some(Duration::from_secs_f64(backup_hours * 3600.0)),
        backup_on,
        None,
    );
    let sync_hours = store.setting("contact_sync_hours")?.and_then(|v| v.as_f64()).unwrap_or(crate::engine::DEFAULT_CONTACT_SYNC_HOURS);
    for account in store.accounts()?.iter().filter(|a| a.enabled) {
        if account.provider == Provider::Meta {
            push(TEMPLATE_SYNC, "Fetches the account's message templates from Meta", Some(account), Some(TEMPLATE_SYNC_EVERY), true, None);
        }
        if account.provider != Provider::Meta {
            // Meta has no contact list to fetch: names come with messages.
            let sync_every = (sync_hours > 0.0).then(|| Duration::from_secs_f64(sync_hours * 3600.0));
            let sync_next = account.last_sync_at.zip(sync_every).map(|(t, every)| t + every.as_millis() as i64);
            push(CONTACT_SYNC, "Fetches the account's contacts and their names", Some(account), sync_every, sync_every.is_some(), sync_next);
        }
        // A download already due shows as due now, not at its (past) time.
        let media_next = store.next_media_attempt(account.id, crate::store::media::MAX_FETCH_ATTEMPTS)?.map(|t| t.max(now_ms()));
        push(MEDIA_DOWNLOADS, "Downloads received photos, videos and files, retrying failed downloads", Some(account), None, true, media_next);
    }
    Ok(list)
}

/// Times a run of `job` and records it. A run that cannot be recorded is
/// logged: the work itself stands.
pub struct RunTimer {
    job: &'static str,
    account_id: Option<i64>,
    started_at: i64,
    clock: Instant,
}

impl RunTimer {
    pub fn start(job: &'static str, account_id: Option<i64>) -> RunTimer {
        RunTimer { job, account_id, started_at: now_ms(), clock: Instant::now() }
    }

    /// Records the run's outcome: `Ok(summary)` or the error.
    pub fn finish<T>(self, store: &mut Store, outcome: &Result<T>, summary: impl FnOnce(&T) -> String) {
        let took = self.clock.elapsed().as_millis() as i64;
        let recorded = match outcome {
            Ok(value) => store.record_job_run(self.job, self.account_id, self.started_at, took, Ok(&summary(value))),
            Err(e) => store.record_job_run(self.job, self.account_id, self.started_at, took, Err(&e.to_string())),
        };
        if let Err(e) = recorded {
            tracing::warn!(job = self.job, account = ?self.account_id, "the job's run was not recorded: {e}");
        }
    }
}

/// Whether `job` is due for `account_id` (never run, or `every` has passed).
pub fn due(store: &Store, job: &str, account_id: Option<i64>, every: Duration, now: i64) -> Result<bool> {
    Ok(store.job_last_started(job, account_id)?.is_none_or(|(t, due_now)| due_now || t > now || now - t >= every.as_millis() as i64))
}
