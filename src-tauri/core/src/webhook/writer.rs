//! The listener's single writer: one thread, one SQLite connection, that
//! commits what the request handlers authenticated and parsed, and a flusher
//! thread that puts those commits on disk before anyone is answered.
//!
//! The rule kept here: nothing is answered 200 before it is committed and
//! flushed to disk. The writer takes a job, drains whatever else is queued
//! (up to a cap), applies them all in one IMMEDIATE transaction (each job
//! inside its own savepoint, so one bad job fails alone; a failed job is
//! answered at once) and commits. The flusher takes every batch committed
//! since its last flush, `fdatasync`s the WAL once for all of them (group
//! commit: the writer applies the next batch meanwhile), then tells each
//! request handler how its job ended, and only after that calls the event
//! sink. A commit or a flush that fails fails its jobs: they are answered 500
//! and Meta delivers them again (a duplicate then, if the commit stayed).

use super::{EventSink, WebhookOutcome, BAD_SIGNATURE_COUNTER};
use crate::error::Result;
use crate::ingest::{self, Applied};
use crate::providers::ProviderEvent;
use crate::store::webhook_events::{self, EventState};
use crate::store::{hourly, Store};
use rusqlite::{params, Connection};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use tokio::sync::{mpsc, oneshot};

/// An authenticated, parsed, routed body, ready to store.
#[derive(Debug)]
pub(crate) struct IngestJob {
    /// `webhook_events.provider`: "meta", later "wasender", "unipile".
    pub source: &'static str,
    /// The account in the URL: the one whose secret authenticated the body.
    pub path_account: i64,
    pub body: Vec<u8>,
    /// Events per account, in the order the body gave them.
    pub routed: Vec<(i64, Vec<ProviderEvent>)>,
    /// Routing keys (e.g. phone number ids) no account has.
    pub unrouted: Vec<String>,
}

#[derive(Debug)]
pub(crate) enum Work {
    Ingest(IngestJob),
    /// Signed, but not something the parser understands: kept raw.
    Unparseable {
        source: &'static str,
        account_id: i64,
        body: Vec<u8>,
        error: String,
    },
    /// Failed authentications since the last flush: only counted, nothing of them is stored.
    BadSignatures(u64),
}

/// How a job ended once its transaction committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Done {
    Stored,
    /// The same body was stored before: nothing changed.
    Redelivery,
    Counted,
}

pub(crate) struct Job {
    work: Work,
    reply: oneshot::Sender<std::result::Result<Done, String>>,
}

/// What the writer has done, counted as it goes.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    commits: AtomicU64,
    syncs: AtomicU64,
    jobs: AtomicU64,
}

impl Stats {
    pub(crate) fn snapshot(&self) -> super::ListenerStats {
        super::ListenerStats {
            commits: self.commits.load(Ordering::Relaxed),
            syncs: self.syncs.load(Ordering::Relaxed),
            jobs: self.jobs.load(Ordering::Relaxed),
        }
    }
}

/// The way to the writer.
pub(crate) type Jobs = mpsc::Sender<Job>;

/// Hands `work` to the writer and waits until it is committed (or not).
pub(crate) async fn submit(jobs: &Jobs, work: Work) -> std::result::Result<Done, String> {
    let (reply, answer) = oneshot::channel();
    jobs.send(Job { work, reply }).await.map_err(|_| "the webhook writer has stopped".to_string())?;
    answer.await.map_err(|_| "the webhook writer stopped before answering".to_string())?
}

/// Starts the writer thread on `store`. It runs until every sender is gone,
/// and its flusher with it.
pub(crate) fn spawn(store: Store, max_batch: usize, queue: usize, sink: Option<EventSink>, stats: Arc<Stats>) -> Result<(Jobs, JoinHandle<()>)> {
    let (tx, rx) = mpsc::channel::<Job>(queue.max(1));
    let handle = std::thread::Builder::new()
        .name("wicket-webhook-writer".into())
        .spawn(move || run(store, rx, max_batch.max(1), sink, stats))
        .map_err(|e| crate::error::Error::io("cannot start the webhook writer thread", e))?;
    Ok((tx, handle))
}

/// How a committed batch reaches the disk before its requests are answered.
pub(crate) enum Flush {
    /// The writer's connection commits with synchronous=NORMAL (WAL frames
    /// written, not flushed) and the flusher `fdatasync`s the WAL file
    /// itself: one flush covers every commit made before it began, and the
    /// writer applies the next batch meanwhile. A checkpoint still flushes
    /// the WAL before copying it (SQLite does that under NORMAL too), so a
    /// WAL restart never overwrites frames not yet on disk.
    Wal(std::fs::File),
    /// SQLite flushed at COMMIT (synchronous=FULL): the fallback when the
    /// WAL file cannot be opened here.
    AtCommit,
}

impl Flush {
    /// Opens the store's WAL file and switches the writer's connection to
    /// NORMAL; on any failure keeps FULL, which is as safe, only slower.
    fn prepare(store: &Store) -> Flush {
        let mut wal = store.path().as_os_str().to_owned();
        wal.push("-wal");
        let wal = std::path::PathBuf::from(wal);
        let opened = std::fs::OpenOptions::new().read(true).write(true).open(&wal);
        let file = match opened {
            Ok(f) => f,
            Err(e) => {
                tracing::warn!("webhook writer flushes at each commit: cannot open {}: {e}", wal.display());
                return Flush::AtCommit;
            }
        };
        // The WAL's directory entry is on disk too (it is created once, when the store first opens).
        #[cfg(unix)]
        if let Some(dir) = wal.parent() {
            if let Err(e) = std::fs::File::open(dir).and_then(|d| d.sync_all()) {
                tracing::warn!("webhook writer flushes at each commit: cannot flush {}: {e}", dir.display());
                return Flush::AtCommit;
            }
        }
        if let Err(e) = store.conn().pragma_update(None, "synchronous", "NORMAL") {
            tracing::warn!("webhook writer flushes at each commit: {e}");
            return Flush::AtCommit;
        }
        Flush::Wal(file)
    }

    fn flush(&self) -> std::io::Result<()> {
        match self {
            Flush::Wal(file) => file.sync_data(),
            Flush::AtCommit => Ok(()),
        }
    }
}

/// A committed batch waiting for its flush: the answers to give and what to tell the sink.
pub(crate) struct Committed {
    replies: Vec<(Reply, Done)>,
    outcome: WebhookOutcome,
}

/// WAL pages between the writer's checkpoints.
const WAL_CHECKPOINT_PAGES: i64 = 4_000;

/// What the writer and the flusher share: how many committed batches wait
/// for a flush, and a wake-up for the writer when that drops.
#[derive(Default)]
struct Pipeline {
    unflushed: AtomicUsize,
    flushed: tokio::sync::Notify,
}

fn run(store: Store, mut rx: mpsc::Receiver<Job>, max_batch: usize, sink: Option<EventSink>, stats: Arc<Stats>) {
    // Many small statements run for every event: keep them all prepared.
    store.conn().set_prepared_statement_cache_capacity(256);
    // Checkpoint every 4,000 WAL pages (16 MiB at most) rather than 1,000: the
    // pages every webhook touches (indexes, the search index's structure, the
    // conversation) are copied once per checkpoint, not four times. Measured:
    // writer CPU 0.133 -> 0.110 ms per event, p95 8 -> 2.6 ms (BENCHMARKS.md).
    if let Err(e) = store.conn().pragma_update(None, "wal_autocheckpoint", WAL_CHECKPOINT_PAGES) {
        tracing::warn!("webhook writer keeps SQLite's checkpoint interval: {e}");
    }
    let flush = Flush::prepare(&store);
    let at_commit = matches!(flush, Flush::AtCommit);
    let pipeline = Arc::new(Pipeline::default());
    let (to_flusher, committed) = std::sync::mpsc::channel::<Committed>();
    let flusher = {
        let (stats, pipeline) = (stats.clone(), pipeline.clone());
        std::thread::Builder::new().name("wicket-wh-flush".into()).spawn(move || flush_loop(committed, flush, sink, stats, pipeline))
    };
    // The writer waits for a job or for the flusher, whichever comes first:
    // a small runtime of its own lets it wait on both.
    let runtime = tokio::runtime::Builder::new_current_thread().build();
    let (flusher, runtime) = match (flusher, runtime) {
        (Ok(f), Ok(r)) => (f, r),
        (f, r) => {
            let why = match (f.err(), r.err()) {
                (Some(e), _) | (None, Some(e)) => e.to_string(),
                (None, None) => String::new(),
            };
            tracing::error!("cannot start the webhook writer: {why}");
            // Nothing can be acknowledged: every job is answered 500 until the listener stops.
            while let Some(job) = rx.blocking_recv() {
                let _ = job.reply.send(Err(format!("the webhook writer is not running: {why}")));
            }
            return;
        }
    };
    let conn = store.conn();
    let hand_over = |batch: Batch| {
        if let Some(done) = batch.commit(conn) {
            stats.commits.fetch_add(1, Ordering::Relaxed);
            if at_commit {
                stats.syncs.fetch_add(1, Ordering::Relaxed);
            }
            pipeline.unflushed.fetch_add(1, Ordering::SeqCst);
            if to_flusher.send(done).is_err() {
                tracing::error!("the webhook flusher stopped: committed requests are not answered");
            }
        }
    };
    runtime.block_on(async {
        // Group commit: while the flusher flushes the last commit, the jobs
        // that arrive meanwhile go into one open transaction, committed the
        // moment the flusher is free (or the batch is full).
        let mut open: Option<Batch> = None;
        loop {
            let job = match open.take() {
                None => match rx.recv().await {
                    Some(job) => job,
                    None => break,
                },
                Some(batch) if batch.jobs >= max_batch => {
                    hand_over(batch);
                    continue;
                }
                Some(batch) => match rx.try_recv() {
                    Ok(job) => {
                        open = Some(batch);
                        job
                    }
                    Err(_) if pipeline.unflushed.load(Ordering::SeqCst) == 0 => {
                        hand_over(batch);
                        continue;
                    }
                    Err(_) => {
                        open = Some(batch);
                        tokio::select! {
                            job = rx.recv() => match job {
                                Some(job) => job,
                                None => break,
                            },
                            _ = pipeline.flushed.notified() => continue,
                        }
                    }
                },
            };
            stats.jobs.fetch_add(1, Ordering::Relaxed);
            let mut batch = match open.take() {
                Some(b) => b,
                None => match Batch::begin(conn) {
                    Ok(b) => b,
                    Err(e) => {
                        tracing::error!("webhook batch not started: {e}");
                        let _ = job.reply.send(Err(format!("not stored: {e}")));
                        continue;
                    }
                },
            };
            match batch.add(conn, job) {
                Ok(()) => open = Some(batch),
                Err(e) => batch.abort(conn, &e),
            }
        }
        if let Some(batch) = open.take() {
            hand_over(batch);
        }
    });
    drop(to_flusher);
    if flusher.join().is_err() {
        tracing::error!("the webhook flusher thread panicked");
    }
    tracing::debug!("webhook writer stopped");
}

/// Flushes whatever was committed since the last flush, in one go, then
/// answers those requests and tells the sink.
fn flush_loop(committed: std::sync::mpsc::Receiver<Committed>, flush: Flush, sink: Option<EventSink>, stats: Arc<Stats>, pipeline: Arc<Pipeline>) {
    while let Ok(first) = committed.recv() {
        let mut ready = vec![first];
        ready.extend(committed.try_iter());
        let flushed = flush.flush().map_err(|e| format!("not flushed to disk: {e}"));
        if matches!(flush, Flush::Wal(_)) {
            stats.syncs.fetch_add(1, Ordering::Relaxed);
        }
        // The writer may commit its next batch while these are answered.
        pipeline.unflushed.fetch_sub(ready.len(), Ordering::SeqCst);
        pipeline.flushed.notify_one();
        if let Err(e) = &flushed {
            // Answered 500: the provider delivers again, and the body's hash makes that a duplicate.
            tracing::error!(batches = ready.len(), "webhook batch not flushed to disk: {e}");
        }
        answer(ready, flushed, sink.as_ref());
    }
}

/// Answers flushed batches, then gives the sink their merged outcome (once
/// per flush: a panicking sink is caught, it must not stop the answers).
pub(crate) fn answer(ready: Vec<Committed>, flushed: std::result::Result<(), String>, sink: Option<&EventSink>) {
    let mut outcome = WebhookOutcome::default();
    for c in ready {
        for (reply, done) in c.replies {
            let _ = reply.send(flushed.clone().map(|()| done));
        }
        outcome.event_ids.extend(c.outcome.event_ids);
        for (account, applied) in c.outcome.accounts {
            outcome.add(account, applied);
        }
    }
    if outcome.event_ids.is_empty() {
        return;
    }
    // Committed rows are visible to every connection even when the flush
    // failed, so the sink hears of them either way.
    if let Some(sink) = sink {
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| sink(outcome))).is_err() {
            tracing::error!("the webhook event sink panicked");
        }
    }
}

/// What one job added to the batch's outcome; merged only if the job succeeded.
#[derive(Default)]
struct JobEffects {
    event_id: Option<i64>,
    applied: Vec<(i64, Applied)>,
    /// The hourly counter to bump, added once per batch.
    hourly: Option<(&'static str, Option<i64>)>,
}

type Reply = oneshot::Sender<std::result::Result<Done, String>>;

/// An open IMMEDIATE transaction and the jobs applied in it so far.
struct Batch {
    now: i64,
    jobs: usize,
    replies: Vec<(Reply, Done)>,
    outcome: WebhookOutcome,
    hourly: Vec<(&'static str, Option<i64>, i64)>,
}

impl Batch {
    fn begin(conn: &Connection) -> Result<Batch> {
        conn.prepare_cached("BEGIN IMMEDIATE")?.execute([])?;
        Ok(Batch { now: crate::time::now_ms(), jobs: 0, replies: vec![], outcome: WebhookOutcome::default(), hourly: vec![] })
    }

    /// Applies `job` in its own savepoint. A job that fails is rolled back
    /// and answered at once; an error returned means the transaction itself
    /// is broken (the job is answered already) and the batch must be aborted.
    fn add(&mut self, conn: &Connection, job: Job) -> Result<()> {
        self.jobs += 1;
        let savepoint = conn.prepare_cached("SAVEPOINT webhook_job").and_then(|mut s| s.execute([]));
        if let Err(e) = savepoint {
            let _ = job.reply.send(Err(format!("not stored: {e}")));
            return Err(e.into());
        }
        let result = apply_job(conn, &job.work, self.now);
        let closed = match &result {
            Ok(_) => conn.prepare_cached("RELEASE webhook_job").and_then(|mut s| s.execute([])).map(|_| ()),
            Err(_) => conn.execute_batch("ROLLBACK TO webhook_job; RELEASE webhook_job"),
        };
        // Some errors (a full disk, I/O) roll the whole transaction back:
        // nothing applied before may then be acknowledged.
        if let Err(e) = closed.map_err(crate::error::Error::from).and_then(|()| self.still_open(conn)) {
            let _ = job.reply.send(Err(format!("not stored: {e}")));
            return Err(e);
        }
        match result {
            Ok((done, effects)) => {
                self.outcome.event_ids.extend(effects.event_id);
                for (account, applied) in effects.applied {
                    self.outcome.add(account, applied);
                }
                if let Some((metric, account)) = effects.hourly {
                    match self.hourly.iter_mut().find(|(m, a, _)| *m == metric && *a == account) {
                        Some(entry) => entry.2 += 1,
                        None => self.hourly.push((metric, account, 1)),
                    }
                }
                self.replies.push((job.reply, done));
            }
            Err(e) => {
                tracing::warn!("a webhook job failed and was rolled back: {e}");
                let _ = job.reply.send(Err(e.to_string()));
            }
        }
        Ok(())
    }

    fn still_open(&self, conn: &Connection) -> Result<()> {
        if conn.is_autocommit() {
            return Err(crate::error::Error::Internal("SQLite rolled the webhook batch back".into()));
        }
        Ok(())
    }

    /// Adds the hourly counters (one bump per counter and batch rather than
    /// one per request) and commits. Returns what the flusher must answer;
    /// if the commit fails every job is answered with the error.
    fn commit(self, conn: &Connection) -> Option<Committed> {
        let committed = self
            .still_open(conn)
            .and_then(|()| self.hourly.iter().try_for_each(|(metric, account, n)| hourly::bump(conn, metric, *account, *n, self.now)))
            .and_then(|()| Ok(conn.prepare_cached("COMMIT")?.execute([]).map(|_| ())?));
        if let Err(e) = committed {
            self.abort(conn, &e);
            return None;
        }
        tracing::debug!(jobs = self.jobs, events = self.outcome.event_ids.len(), "webhook batch committed");
        Some(Committed { replies: self.replies, outcome: self.outcome })
    }

    /// Rolls the transaction back and answers every job applied in it.
    fn abort(self, conn: &Connection, e: &crate::error::Error) {
        tracing::error!(jobs = self.jobs, "webhook batch not committed: {e}");
        if !conn.is_autocommit() {
            if let Err(e) = conn.execute_batch("ROLLBACK") {
                tracing::error!("webhook batch not rolled back: {e}");
            }
        }
        for (reply, _) in self.replies {
            let _ = reply.send(Err(format!("not stored: {e}")));
        }
    }
}

/// One batch of `jobs`, committed: what the writer's loop does, at once.
#[cfg(test)]
fn commit_batch(store: &mut Store, jobs: Vec<Job>) -> Option<Committed> {
    let conn = store.conn();
    let mut batch = Batch::begin(conn).ok()?;
    for job in jobs {
        if let Err(e) = batch.add(conn, job) {
            batch.abort(conn, &e);
            return None;
        }
    }
    batch.commit(conn)
}

fn apply_job(conn: &Connection, work: &Work, now: i64) -> Result<(Done, JobEffects)> {
    let mut effects = JobEffects::default();
    match work {
        Work::BadSignatures(n) => {
            conn.execute(
                "INSERT INTO counters (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET value = value + ?2",
                params![BAD_SIGNATURE_COUNTER, *n as i64],
            )?;
            // And per hour, for the alert on failures piling up and the statistics.
            hourly::bump(conn, hourly::WEBHOOK_REJECTED, None, *n as i64, now)?;
            Ok((Done::Counted, effects))
        }
        Work::Unparseable { source, account_id, body, error } => {
            effects.event_id = webhook_events::record(conn, source, Some(*account_id), body, EventState::Unparseable, Some(error))?;
            effects.hourly = Some((hourly::WEBHOOK_FAILED, Some(*account_id)));
            Ok((Done::Stored, effects))
        }
        Work::Ingest(job) => {
            let (state, error) = if job.unrouted.is_empty() {
                (EventState::Applied, None)
            } else {
                (EventState::Unrouted, Some(format!("no account for {}", job.unrouted.join(", "))))
            };
            let Some(id) = webhook_events::record(conn, job.source, Some(job.path_account), &job.body, state, error.as_deref())? else {
                effects.hourly = Some((hourly::WEBHOOK_DUPLICATE, Some(job.path_account)));
                return Ok((Done::Redelivery, effects));
            };
            effects.hourly = Some((hourly::WEBHOOK_ACCEPTED, Some(job.path_account)));
            effects.event_id = Some(id);
            for (account, events) in &job.routed {
                let applied = ingest::apply(conn, *account, events)?;
                effects.applied.push((*account, applied));
            }
            Ok((Done::Stored, effects))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{MessageKind, Provider};
    use crate::providers::InboundMessage;
    use crate::store::contacts::ContactKey;
    use crate::store::NewAccount;
    use std::sync::{Arc, Mutex};

    fn text(id: &str, ts: i64) -> ProviderEvent {
        ProviderEvent::Message(InboundMessage {
            text: Some(id.into()),
            ..InboundMessage::new(id.into(), ContactKey::phone("+447700900123"), crate::model::Direction::In, MessageKind::Text, ts, serde_json::json!({}))
        })
    }

    fn ingest(account: i64, body: &str, events: Vec<ProviderEvent>) -> Work {
        Work::Ingest(IngestJob { source: "meta", path_account: account, body: body.as_bytes().to_vec(), routed: vec![(account, events)], unrouted: vec![] })
    }

    #[test]
    fn a_batch_commits_together_and_a_failing_job_fails_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wicket.db");
        let mut store = Store::open(&path).unwrap();
        let account = store.add_account(&NewAccount { provider: Provider::Meta, name: "A".into(), phone: None, config: serde_json::json!({}) }).unwrap().id;
        let seen = Arc::new(Mutex::new(vec![]));
        let seen2 = seen.clone();
        let sink: EventSink = Arc::new(move |o: WebhookOutcome| seen2.lock().unwrap().push(o));

        let mut replies = vec![];
        let mut jobs = vec![];
        for work in [
            ingest(account, "b1", vec![text("wamid.1", 1000)]),
            ingest(9999, "b2", vec![text("wamid.2", 1000)]),    // no such account: foreign key fails
            ingest(account, "b1", vec![text("wamid.1", 1000)]), // same body: a redelivery
            Work::BadSignatures(2),
            Work::Unparseable { source: "meta", account_id: account, body: b"{".to_vec(), error: "eof".into() },
        ] {
            let (reply, answer) = oneshot::channel();
            jobs.push(Job { work, reply });
            replies.push(answer);
        }
        let committed = commit_batch(&mut store, jobs);
        answer(committed.into_iter().collect(), Ok(()), Some(&sink));
        let answers: Vec<_> = replies.into_iter().map(|r| r.blocking_recv().unwrap()).collect();
        assert_eq!(answers[0], Ok(Done::Stored));
        assert!(answers[1].is_err(), "the job for an unknown account fails");
        assert_eq!(answers[2], Ok(Done::Redelivery), "the same body within one batch is a redelivery");
        assert_eq!(answers[3], Ok(Done::Counted));
        assert_eq!(answers[4], Ok(Done::Stored));

        let fresh = Store::open(&path).unwrap();
        assert!(fresh.message_by_provider_id(account, "wamid.1").unwrap().is_some(), "the good job committed");
        let events = fresh.webhook_events(10).unwrap();
        assert_eq!(events.len(), 2, "b1 once and the unparseable body; the failed job left nothing");
        assert!(!events.iter().any(|e| e.body == b"b2"), "the failed job's raw body was rolled back too");
        assert_eq!(fresh.counter(BAD_SIGNATURE_COUNTER).unwrap(), 2, "a flush adds its whole count");

        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1, "one sink call per commit");
        assert_eq!(seen[0].event_ids.len(), 2);
        assert_eq!(seen[0].accounts.len(), 1);
        assert_eq!(seen[0].accounts[0].1.new_inbound.len(), 1);
    }

    #[test]
    fn a_panicking_sink_does_not_stop_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wicket.db");
        let mut store = Store::open(&path).unwrap();
        let account = store.add_account(&NewAccount { provider: Provider::Meta, name: "A".into(), phone: None, config: serde_json::json!({}) }).unwrap().id;
        let sink: EventSink = Arc::new(|_| panic!("sink bug"));
        let (jobs, handle) = spawn(store, 8, 8, Some(sink), Default::default()).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        assert_eq!(rt.block_on(submit(&jobs, ingest(account, "x1", vec![text("wamid.x1", 1)]))), Ok(Done::Stored));
        assert_eq!(rt.block_on(submit(&jobs, ingest(account, "x2", vec![text("wamid.x2", 2)]))), Ok(Done::Stored), "still running");
        drop(jobs);
        handle.join().unwrap();
    }
}
