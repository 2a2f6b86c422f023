//! Periodic jobs of the whole data dir (maintenance), beside the accounts'
//! workers. Each run is blocking work on the blocking pool with its own store
//! connection, so a slow job (pruning a large table) delays neither the
//! supervisor nor any account. A job still running is not started again.

use crate::datadir::DataDir;
use crate::error::Result;
use crate::store::Store;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// What a job does, given its own connection and the data dir. It returns
/// a summary when it did work (the run is recorded in `job_runs`), None
/// when nothing was due.
pub type JobFn = Arc<dyn Fn(&mut Store, &DataDir) -> Result<Option<String>> + Send + Sync>;

/// A job the engine runs soon after it starts, then every `every`.
#[derive(Clone)]
pub struct PeriodicJob {
    pub name: &'static str,
    pub every: Duration,
    pub run: JobFn,
}

impl PeriodicJob {
    /// A job whose runs are not recorded.
    pub fn new(name: &'static str, every: Duration, run: impl Fn(&mut Store, &DataDir) -> Result<()> + Send + Sync + 'static) -> PeriodicJob {
        PeriodicJob { name, every, run: Arc::new(move |store, dir| run(store, dir).map(|_| None)) }
    }

    /// A job that says what it did (see [`JobFn`]); its runs, and every
    /// failure, are recorded under `name`.
    pub fn reporting(name: &'static str, every: Duration, run: impl Fn(&mut Store, &DataDir) -> Result<Option<String>> + Send + Sync + 'static) -> PeriodicJob {
        PeriodicJob { name, every, run: Arc::new(run) }
    }
}

impl std::fmt::Debug for PeriodicJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PeriodicJob").field("name", &self.name).field("every", &self.every).finish_non_exhaustive()
    }
}

/// [`builtin`] plus the jobs that need the secret store (scheduled backups).
pub(super) fn builtin_with(secrets: Arc<crate::secrets::SecretStore>) -> Vec<PeriodicJob> {
    let mut all = builtin();
    // Asked often (a few settings reads) so the schedule's own interval is what counts.
    all.push(PeriodicJob::reporting(crate::jobs::BACKUP, Duration::from_secs(5), move |store, dir| {
        crate::backup::schedule::run_due(store, dir, &secrets, crate::time::now_ms())
    }));
    all
}

/// The jobs every engine runs, one line each. A job decides itself whether
/// its work is due (maintenance: once a day, claimed by one process); `every`
/// is how often it is asked.
pub(super) fn builtin() -> Vec<PeriodicJob> {
    use crate::jobs::{self, retry_failed};
    vec![
        PeriodicJob::reporting(jobs::MAINTENANCE, Duration::from_secs(60), |store, dir| {
            let report = crate::maintenance::run_due(store, dir, crate::time::now_ms())?;
            Ok(report.ran.then(|| report.describe()))
        }),
        PeriodicJob::reporting(jobs::RETRY_FAILED, Duration::from_secs(60), |store, _dir| {
            let now = crate::time::now_ms();
            if !jobs::due(store, jobs::RETRY_FAILED, None, retry_failed::EVERY, now)? {
                return Ok(None);
            }
            retry_failed::run(store, now).map(|s| Some(s.describe()))
        }),
    ]
}

/// The jobs, when each is next due, and the run in flight.
pub(super) struct Jobs {
    dir: DataDir,
    jobs: Vec<(PeriodicJob, Instant, Option<tokio::task::JoinHandle<()>>)>,
}

impl Jobs {
    pub fn new(dir: DataDir, jobs: Vec<PeriodicJob>) -> Jobs {
        let now = Instant::now();
        Jobs { dir, jobs: jobs.into_iter().map(|j| (j, now, None)).collect() }
    }

    /// Starts every job that is due and not running.
    pub fn tick(&mut self) {
        let now = Instant::now();
        for (job, next, running) in &mut self.jobs {
            if running.as_ref().is_some_and(|h| !h.is_finished()) || now < *next {
                continue;
            }
            // Not `wait::after`: a daily job may wait longer than a provider may make us.
            *next = now.checked_add(job.every.max(super::wait::MIN_WAIT)).unwrap_or(now + super::wait::MAX_WAIT);
            let (run, dir, name) = (job.run.clone(), self.dir.clone(), job.name);
            *running = Some(tokio::task::spawn_blocking(move || {
                let (started_at, clock) = (crate::time::now_ms(), std::time::Instant::now());
                let mut store = match Store::open(&dir.db_path()) {
                    Ok(store) => store,
                    Err(e) => return tracing::warn!(job = name, "periodic job failed: {e}"),
                };
                let outcome = run(&mut store, &dir);
                let took = clock.elapsed().as_millis() as i64;
                let recorded = match &outcome {
                    Ok(None) => Ok(()),
                    Ok(Some(summary)) => store.record_job_run(name, None, started_at, took, Ok(summary)),
                    Err(e) => {
                        tracing::warn!(job = name, "periodic job failed: {e}");
                        store.record_job_run(name, None, started_at, took, Err(&e.to_string()))
                    }
                };
                if let Err(e) = recorded {
                    tracing::warn!(job = name, "the job's run was not recorded: {e}");
                }
            }));
        }
    }
}
