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
use std::sync::atomic::{AtomicU64, Ordering};
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
    replies: Vec<(oneshot::Sender<std::result::Result<Done, String>>, Done)>,
    outcome: WebhookOutcome,
}

fn run(mut store: Store, mut rx: mpsc::Receiver<Job>, max_batch: usize, sink: Option<EventSink>, stats: Arc<Stats>) {
    // Many small statements run for every event: keep them all prepared.
    store.conn().set_prepared_statement_cache_capacity(256);
    let flush = Flush::prepare(&store);
    let at_commit = matches!(flush, Flush::AtCommit);
    let (to_flusher, committed) = std::sync::mpsc::channel::<Committed>();
    let flusher = {
        let stats = stats.clone();
        std::thread::Builder::new().name("wicket-webhook-flush".into()).spawn(move || flush_loop(committed, flush, sink, stats))
    };
    let flusher = match flusher {
        Ok(h) => h,
        Err(e) => {
            tracing::error!("cannot start the webhook flusher thread: {e}");
            // Nothing can be acknowledged: every job is answered 500 until the listener stops.
            while let Some(job) = rx.blocking_recv() {
                let _ = job.reply.send(Err("the webhook flusher is not running".into()));
            }
            return;
        }
    };
    while let Some(first) = rx.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < max_batch {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        stats.jobs.fetch_add(batch.len() as u64, Ordering::Relaxed);
        if let Some(done) = commit_batch(&mut store, batch) {
            stats.commits.fetch_add(1, Ordering::Relaxed);
            if at_commit {
                stats.syncs.fetch_add(1, Ordering::Relaxed);
            }
            if to_flusher.send(done).is_err() {
                tracing::error!("the webhook flusher stopped: committed requests are not answered");
            }
        }
    }
    drop(to_flusher);
    if flusher.join().is_err() {
        tracing::error!("the webhook flusher thread panicked");
    }
    tracing::debug!("webhook writer stopped");
}

/// Flushes whatever was committed since the last flush, in one go, then
/// answers those requests and tells the sink.
fn flush_loop(committed: std::sync::mpsc::Receiver<Committed>, flush: Flush, sink: Option<EventSink>, stats: Arc<Stats>) {
    while let Ok(first) = committed.recv() {
        let mut ready = vec![first];
        ready.extend(committed.try_iter());
        let flushed = flush.flush().map_err(|e| format!("not flushed to disk: {e}"));
        if matches!(flush, Flush::Wal(_)) {
            stats.syncs.fetch_add(1, Ordering::Relaxed);
        }
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
    /// Hourly counter bumps, added once per batch.
    hourly: Option<(&'static str, Option<i64>)>,
}

/// Applies `batch` in one transaction, each job in its own savepoint. A job
/// that fails is answered at once (nothing of it is kept); if the commit
/// fails every job is. Returns what the flusher must answer.
pub(crate) fn commit_batch(store: &mut Store, batch: Vec<Job>) -> Option<Committed> {
    let size = batch.len();
    let now = crate::time::now_ms();
    let result = store.write(|tx| {
        let mut results = Vec::with_capacity(batch.len());
        let mut hourly: Vec<(&'static str, Option<i64>, i64)> = vec![];
        for job in &batch {
            tx.prepare_cached("SAVEPOINT webhook_job")?.execute([])?;
            match apply_job(tx, &job.work, now) {
                Ok(ok) => {
                    tx.prepare_cached("RELEASE webhook_job")?.execute([])?;
                    if let Some((metric, account)) = ok.1.hourly {
                        match hourly.iter_mut().find(|(m, a, _)| *m == metric && *a == account) {
                            Some(entry) => entry.2 += 1,
                            None => hourly.push((metric, account, 1)),
                        }
                    }
                    results.push(Ok(ok));
                }
                Err(e) => {
                    tx.execute_batch("ROLLBACK TO webhook_job; RELEASE webhook_job")?;
                    results.push(Err(e.to_string()));
                }
            }
        }
        // One bump per counter and batch rather than one per request.
        for (metric, account, n) in hourly {
            hourly::bump(tx, metric, account, n, now)?;
        }
        Ok(results)
    });
    let results = match result {
        Ok(results) => results,
        Err(e) => {
            tracing::error!(jobs = size, "webhook batch not committed: {e}");
            for job in batch {
                let _ = job.reply.send(Err(format!("not stored: {e}")));
            }
            return None;
        }
    };
    let mut committed = Committed { replies: Vec::with_capacity(size), outcome: WebhookOutcome::default() };
    for (job, result) in batch.into_iter().zip(results) {
        match result {
            Ok((done, effects)) => {
                committed.outcome.event_ids.extend(effects.event_id);
                for (account, applied) in effects.applied {
                    committed.outcome.add(account, applied);
                }
                committed.replies.push((job.reply, done));
            }
            Err(e) => {
                tracing::warn!("a webhook job failed and was rolled back: {e}");
                let _ = job.reply.send(Err(e));
            }
        }
    }
    tracing::debug!(jobs = size, events = committed.outcome.event_ids.len(), "webhook batch committed");
    Some(committed)
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
