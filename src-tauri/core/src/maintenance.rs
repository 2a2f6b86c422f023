//! The daily maintenance job: raw webhook bodies past their retention
//! period, old and oversized logs, media folders of removed accounts, and
//! owner-only modes on everything in the data dir.
//!
//! [`run_due`] is meant to be called every few seconds by whoever runs the
//! engine: it costs one settings read until a day has passed since the last
//! run (kept in the setting `maintenance_last_run`, shared by every process
//! on the data dir), then one process claims the run in a single statement
//! and does the work. Every step is idempotent, so a run cut short by a crash
//! is simply done again.

use crate::datadir::{tighten_or_warn, DataDir, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE};
use crate::error::Result;
use crate::logs::{self, LogPrune};
use crate::store::{settings, webhook_events, Store};
use std::path::Path;
use std::time::Duration;

/// Unix ms of the last run's start.
pub const LAST_RUN: &str = "maintenance_last_run";
/// How many days applied raw webhook bodies are kept (a whole number ≥ 1).
pub const WEBHOOK_RETENTION_DAYS: &str = "webhook_retention_days";
pub const DEFAULT_WEBHOOK_RETENTION_DAYS: i64 = 30;

const DAY_MS: i64 = 86_400_000;
/// After a failed run, the next try comes this much later (not a day).
const RETRY_AFTER_FAILURE_MS: i64 = 3_600_000;
/// Bodies deleted per write transaction: short, so webhooks never wait long.
const PRUNE_BATCH: usize = 500;
/// A media folder without an account is removed only once it has not
/// changed for this long (an account created meanwhile may reuse its id).
const ORPHAN_GRACE: Duration = Duration::from_secs(3600);

/// What a run did; `ran` is false when no run was due.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MaintenanceReport {
    pub ran: bool,
    pub retention_days: i64,
    pub webhook_bodies_pruned: usize,
    pub logs: LogPrune,
    pub media_folders_removed: usize,
    pub files_tightened: usize,
    /// What could not be done (the run goes on without it).
    pub warnings: Vec<String>,
}

impl MaintenanceReport {
    /// One line for `wicket jobs`.
    pub fn describe(&self) -> String {
        let mut line = format!(
            "{} raw webhook bod{} past {} days pruned, {} old log file(s) removed, {} media folder(s) of removed accounts removed",
            self.webhook_bodies_pruned,
            if self.webhook_bodies_pruned == 1 { "y" } else { "ies" },
            self.retention_days,
            self.logs.removed,
            self.media_folders_removed
        );
        if !self.warnings.is_empty() {
            line.push_str(&format!("; {} warning(s): {}", self.warnings.len(), self.warnings.join("; ")));
        }
        line
    }
}

/// Runs the daily maintenance when it is due (see the module comment).
pub fn run_due(store: &mut Store, dir: &DataDir, now_ms: i64) -> Result<MaintenanceReport> {
    let last = store.setting(LAST_RUN)?.and_then(|v| v.as_i64());
    if last.is_some_and(|last| last <= now_ms && now_ms - last < DAY_MS) {
        return Ok(MaintenanceReport::default());
    }
    if !store.write(|tx| settings::claim_period(tx, LAST_RUN, now_ms, DAY_MS))? {
        return Ok(MaintenanceReport::default());
    }
    match run(store, dir, now_ms) {
        Ok(report) => {
            tracing::info!(
                bodies = report.webhook_bodies_pruned,
                logs = report.logs.removed,
                media_folders = report.media_folders_removed,
                tightened = report.files_tightened,
                warnings = report.warnings.len(),
                "daily maintenance done"
            );
            Ok(report)
        }
        Err(e) => {
            // Try again in an hour rather than tomorrow.
            let retry = serde_json::json!(now_ms - DAY_MS + RETRY_AFTER_FAILURE_MS);
            if let Err(e2) = store.set_setting(LAST_RUN, &retry) {
                tracing::warn!(error = %e2, "cannot schedule the maintenance retry");
            }
            tracing::warn!(error = %e, "daily maintenance failed");
            Err(e)
        }
    }
}

/// The retention period in days: the setting when it is a whole number of
/// at least 1, else the default (and a warning).
pub fn retention_days(store: &Store) -> Result<(i64, Option<String>)> {
    let Some(value) = store.setting(WEBHOOK_RETENTION_DAYS)? else { return Ok((DEFAULT_WEBHOOK_RETENTION_DAYS, None)) };
    let days = value.as_i64().or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()));
    match days {
        Some(d) if d >= 1 => Ok((d, None)),
        _ => Ok((
            DEFAULT_WEBHOOK_RETENTION_DAYS,
            Some(format!(
                "the setting {WEBHOOK_RETENTION_DAYS} is {value}, not a whole number of days (1 or more): {DEFAULT_WEBHOOK_RETENTION_DAYS} days used. Fix it with `wicket settings set {WEBHOOK_RETENTION_DAYS} 30`"
            )),
        )),
    }
}

fn run(store: &mut Store, dir: &DataDir, now_ms: i64) -> Result<MaintenanceReport> {
    let mut report = MaintenanceReport { ran: true, ..Default::default() };
    let (days, warning) = retention_days(store)?;
    report.retention_days = days;
    report.warnings.extend(warning);
    let cutoff = now_ms.saturating_sub(days.saturating_mul(DAY_MS));
    loop {
        let n = store.write(|tx| webhook_events::prune_applied(tx, cutoff, PRUNE_BATCH))?;
        report.webhook_bodies_pruned += n;
        if n < PRUNE_BATCH {
            break;
        }
    }

    // Hourly counters (statistics, alerts) older than they are kept.
    let before = now_ms.saturating_sub(crate::store::hourly::KEEP_DAYS.saturating_mul(DAY_MS));
    store.write(|tx| crate::store::hourly::prune(tx, before))?;

    let today = chrono::DateTime::from_timestamp_millis(now_ms).map(|t| t.date_naive()).unwrap_or_else(logs::today);
    match logs::prune(&dir.logs_dir(), today) {
        Ok(p) => report.logs = p,
        Err(e) => report.warnings.push(format!("cannot prune the logs folder: {e}")),
    }

    let accounts: Vec<i64> = store.accounts()?.iter().map(|a| a.id).collect();
    for folder in [dir.media_dir(), dir.media_dir().join("avatars")] {
        match remove_orphan_folders(&folder, &accounts) {
            Ok(n) => report.media_folders_removed += n,
            Err(e) => report.warnings.push(format!("cannot sweep {}: {e}", folder.display())),
        }
    }

    for d in [dir.root().to_path_buf(), dir.media_dir(), dir.logs_dir()] {
        report.files_tightened += usize::from(tighten_or_warn(&d, PRIVATE_DIR_MODE));
    }
    for f in data_files(dir) {
        report.files_tightened += usize::from(tighten_or_warn(&f, PRIVATE_FILE_MODE));
    }
    if let Err(e) = tighten_tree(&dir.media_dir(), &mut report.files_tightened) {
        report.warnings.push(format!("cannot check the modes under {}: {e}", dir.media_dir().display()));
    }
    Ok(report)
}

/// The database (with its WAL, shared memory and migration backups) and the vault.
fn data_files(dir: &DataDir) -> Vec<std::path::PathBuf> {
    let mut files = vec![dir.vault_path()];
    let db = dir.db_path();
    let db_name = db.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if let Ok(entries) = std::fs::read_dir(dir.root()) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with(&db_name) {
                files.push(entry.path());
            }
        }
    }
    files
}

/// Removes the numbered folders (`media/{id}`, `media/avatars/{id}`) whose
/// account no longer exists and that have not changed for [`ORPHAN_GRACE`].
fn remove_orphan_folders(parent: &Path, accounts: &[i64]) -> std::io::Result<usize> {
    let mut removed = 0;
    let entries = match std::fs::read_dir(parent) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let Ok(id) = entry.file_name().to_string_lossy().parse::<i64>() else { continue };
        let meta = entry.metadata()?;
        let quiet = meta.modified().ok().and_then(|m| m.elapsed().ok()).is_some_and(|age| age >= ORPHAN_GRACE);
        if meta.is_dir() && !accounts.contains(&id) && quiet {
            std::fs::remove_dir_all(entry.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Makes every folder and file under `root` owner-only (links are not followed).
fn tighten_tree(root: &Path, tightened: &mut usize) -> std::io::Result<()> {
    for entry in std::fs::read_dir(root)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            *tightened += usize::from(tighten_or_warn(&entry.path(), PRIVATE_DIR_MODE));
            tighten_tree(&entry.path(), tightened)?;
        } else if kind.is_file() {
            *tightened += usize::from(tighten_or_warn(&entry.path(), PRIVATE_FILE_MODE));
        }
    }
    Ok(())
}
