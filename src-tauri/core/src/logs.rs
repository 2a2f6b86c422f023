//! The log files in `logs/`: `wicket.log.YYYY-MM-DD` for the CLI and
//! `desktop.log.YYYY-MM-DD` for the window, one file per UTC day
//! (tracing-appender's daily rotation, which also keeps at most
//! [`KEEP_DAYS`] files of each program).
//!
//! [`prune`] adds what the appender does not do: files older than
//! [`KEEP_DAYS`] days go whatever their count, the oldest go while all logs
//! together exceed [`MAX_TOTAL_BYTES`] (each program's newest file, the one
//! it writes to, stays), and every file is made owner-only. It runs at each
//! start of a long-running program ([`init`]: the window, `wicket serve`),
//! when a short command first logs ([`init_lazy`]: a read that logs nothing
//! opens no file and starts no thread), and in the daily [`crate::maintenance`].
//! A file the appender opens at midnight in a long run gets the umask's mode
//! until then; the `0700` folder already keeps it from other users.
//!
//! At the default level (`info`; `RUST_LOG` changes it) nothing logged names
//! a secret or a message's text: events carry ids, counts and error kinds.

use crate::datadir::{tighten_or_warn, DataDir, PRIVATE_FILE_MODE};
use chrono::NaiveDate;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use tracing_appender::rolling::{RollingFileAppender, Rotation};

pub use tracing_appender::non_blocking::WorkerGuard;

/// Days of logs kept.
pub const KEEP_DAYS: usize = 14;
/// All log files together stay under this.
pub const MAX_TOTAL_BYTES: u64 = 50 * 1024 * 1024;

/// What [`prune`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LogPrune {
    pub removed: usize,
    pub bytes_removed: u64,
    pub tightened: usize,
}

/// Sends this process's logs to `logs/{program}.log.YYYY-MM-DD` and prunes
/// the folder first. Returns the guard that flushes the log on drop (keep it
/// alive in `main`), or `None` when a subscriber was already set or the
/// file cannot be opened: logging never stops a program.
pub fn init(dir: &DataDir, program: &str) -> Option<WorkerGuard> {
    let pruned = prune(&dir.logs_dir(), today());
    let appender = RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix(format!("{program}.log"))
        .max_log_files(KEEP_DAYS)
        .build(dir.logs_dir())
        .ok()?;
    // The appender created today's file with the umask's mode.
    tighten_or_warn(&dir.logs_dir().join(format!("{program}.log.{}", today().format("%Y-%m-%d"))), PRIVATE_FILE_MODE);
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let ok = tracing_subscriber::fmt().with_env_filter(filter).with_writer(writer).with_ansi(false).try_init().is_ok();
    match pruned {
        Ok(p) if p.removed > 0 => tracing::info!(files = p.removed, bytes = p.bytes_removed, "old logs removed"),
        Err(e) => tracing::warn!(error = %e, "cannot prune the logs folder"),
        _ => {}
    }
    ok.then_some(guard)
}

/// Logging for a short command: the same files and filter as [`init`], but
/// the folder is pruned and today's file opened only when the first line is
/// logged, and lines are written in place (no writer thread, no channel:
/// [`init`]'s 128,000-slot queue was a fifth of a read command's start-up).
/// False when a subscriber was already set.
pub fn init_lazy(dir: &DataDir, program: &str) -> bool {
    let writer = LazyLog(Arc::new(LazyFile { logs: dir.logs_dir(), program: program.to_string(), file: OnceLock::new() }));
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(writer).with_ansi(false).try_init().is_ok()
}

struct LazyFile {
    logs: PathBuf,
    program: String,
    /// Opened at the first line; `None` when it cannot be (logging never stops a program).
    file: OnceLock<Option<Mutex<RollingFileAppender>>>,
}

impl LazyFile {
    fn file(&self) -> Option<&Mutex<RollingFileAppender>> {
        self.file
            .get_or_init(|| {
                // No tracing in here: this runs inside the subscriber.
                let pruned = prune(&self.logs, today());
                let mut appender = RollingFileAppender::builder()
                    .rotation(Rotation::DAILY)
                    .filename_prefix(format!("{}.log", self.program))
                    .max_log_files(KEEP_DAYS)
                    .build(&self.logs)
                    .ok()?;
                let _ = crate::datadir::tighten(&self.logs.join(format!("{}.log.{}", self.program, today().format("%Y-%m-%d"))), PRIVATE_FILE_MODE);
                let note = match pruned {
                    Ok(p) if p.removed > 0 => Some(format!("old logs removed files={} bytes={}", p.removed, p.bytes_removed)),
                    Err(e) => Some(format!("cannot prune the logs folder error={e}")),
                    _ => None,
                };
                if let Some(note) = note {
                    use std::io::Write;
                    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
                    let _ = writeln!(appender, "{now}  INFO wicket_core::logs: {note}");
                }
                Some(Mutex::new(appender))
            })
            .as_ref()
    }
}

#[derive(Clone)]
struct LazyLog(Arc<LazyFile>);

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LazyLog {
    type Writer = LazyLine<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        LazyLine(&self.0)
    }
}

struct LazyLine<'a>(&'a LazyFile);

impl std::io::Write for LazyLine<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.0.file() {
            Some(file) => file.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).write(buf),
            None => Ok(buf.len()),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self.0.file.get() {
            Some(Some(file)) => file.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).flush(),
            _ => Ok(()),
        }
    }
}

/// Today as the appender names files (UTC).
pub fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

/// A log file's program and day, from a name like `wicket.log.2026-12-07`.
fn parse_name(name: &str) -> Option<(&str, NaiveDate)> {
    let (program, date) = name.split_once(".log.")?;
    let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
    Some((program, date))
}

/// Prunes `logs` as of `today` (see the module comment). Only files named
/// like a log of this scheme are touched.
pub fn prune(logs: &Path, today: NaiveDate) -> std::io::Result<LogPrune> {
    let mut report = LogPrune::default();
    let mut files = vec![];
    for entry in std::fs::read_dir(logs)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some((program, day)) = parse_name(&name) else { continue };
        let meta = entry.metadata()?;
        if meta.is_file() {
            files.push((day, program.to_string(), entry.path(), meta.len()));
        }
    }
    files.sort();
    // Each program's newest file may be open for writing: never removed.
    let newest: Vec<(String, NaiveDate)> = {
        let mut by_program = std::collections::BTreeMap::new();
        for (day, program, ..) in &files {
            by_program.insert(program.clone(), *day);
        }
        by_program.into_iter().collect()
    };
    let is_newest = |program: &str, day: NaiveDate| newest.iter().any(|(p, d)| p == program && *d == day);
    let oldest_kept = today - chrono::Days::new(KEEP_DAYS as u64 - 1);
    let mut total: u64 = files.iter().map(|f| f.3).sum();
    let mut kept = vec![];
    for (day, program, path, len) in files {
        let too_old = day < oldest_kept;
        let too_big = total > MAX_TOTAL_BYTES;
        if (too_old || too_big) && !is_newest(&program, day) {
            std::fs::remove_file(&path)?;
            report.removed += 1;
            report.bytes_removed += len;
            total -= len;
        } else {
            kept.push(path);
        }
    }
    for path in kept {
        report.tightened += usize::from(tighten_or_warn(&path, PRIVATE_FILE_MODE));
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_read_only_when_they_follow_the_scheme() {
        assert_eq!(parse_name("wicket.log.2026-12-07"), Some(("wicket", NaiveDate::from_ymd_opt(2026, 12, 7).unwrap())));
        assert_eq!(parse_name("desktop.log.2026-01-31").map(|p| p.0), Some("desktop"));
        for other in ["wicket.log", "notes.txt", "wicket.log.yesterday", "wicket.log.2026-12-07.bak"] {
            assert_eq!(parse_name(other), None, "{other}");
        }
    }
}
