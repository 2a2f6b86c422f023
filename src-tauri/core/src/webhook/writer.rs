//! The listener's single writer: one thread, one SQLite connection, that
//! commits what the request handlers authenticated and parsed.
//!
//! The rule kept here: nothing is answered 200 before it is committed. The
//! writer takes a job, drains whatever else is queued (up to a cap), applies
//! them all in one IMMEDIATE transaction (each job inside its own savepoint,
//! so one bad job fails alone), commits (synchronous=FULL), then tells each
//! request handler how its job ended. Only after that does it call the event
//! sink. A commit that fails fails every job of the batch: they are answered
//! 500 and Meta delivers them again.

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

/// Starts the writer thread on `store`. It runs until every sender is gone.
pub(crate) fn spawn(store: Store, max_batch: usize, queue: usize, sink: Option<EventSink>, stats: Arc<Stats>) -> Result<(Jobs, JoinHandle<()>)> {
    let (tx, rx) = mpsc::channel::<Job>(queue.max(1));
    let handle = std::thread::Builder::new()
        .name("wicket-webhook-writer".into())
        .spawn(move || run(store, rx, max_batch.max(1), sink, stats))
        .map_err(|e| crate::error::Error::io("cannot start the webhook writer thread", e))?;
    Ok((tx, handle))
}

fn run(mut store: Store, mut rx: mpsc::Receiver<Job>, max_batch: usize, sink: Option<EventSink>, stats: Arc<Stats>) {
    while let Some(first) = rx.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < max_batch {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        stats.jobs.fetch_add(batch.len() as u64, Ordering::Relaxed);
        if commit_batch(&mut store, batch, sink.as_ref()) {
            // synchronous=FULL: each commit flushes the WAL once.
            stats.commits.fetch_add(1, Ordering::Relaxed);
            stats.syncs.fetch_add(1, Ordering::Relaxed);
        }
    }
    tracing::debug!("webhook writer stopped");
}

/// What one job added to the batch's outcome; merged only if the job succeeded.
#[derive(Default)]
struct JobEffects {
    event_id: Option<i64>,
    applied: Vec<(i64, Applied)>,
}

fn commit_batch(store: &mut Store, batch: Vec<Job>, sink: Option<&EventSink>) -> bool {
    let size = batch.len();
    let result = store.write(|tx| {
        let mut results = Vec::with_capacity(batch.len());
        for job in &batch {
            tx.execute_batch("SAVEPOINT webhook_job")?;
            match apply_job(tx, &job.work) {
                Ok(ok) => {
                    tx.execute_batch("RELEASE webhook_job")?;
                    results.push(Ok(ok));
                }
                Err(e) => {
                    tx.execute_batch("ROLLBACK TO webhook_job; RELEASE webhook_job")?;
                    results.push(Err(e.to_string()));
                }
            }
        }
        Ok(results)
    });
    let mut outcome = WebhookOutcome::default();
    match result {
        Ok(results) => {
            for (job, result) in batch.into_iter().zip(results) {
                let answer = match result {
                    Ok((done, effects)) => {
                        outcome.event_ids.extend(effects.event_id);
                        for (account, applied) in effects.applied {
                            outcome.add(account, applied);
                        }
                        Ok(done)
                    }
                    Err(e) => {
                        tracing::warn!("a webhook job failed and was rolled back: {e}");
                        Err(e)
                    }
                };
                let _ = job.reply.send(answer);
            }
            tracing::debug!(jobs = size, events = outcome.event_ids.len(), "webhook batch committed");
        }
        Err(e) => {
            tracing::error!(jobs = size, "webhook batch not committed: {e}");
            for job in batch {
                let _ = job.reply.send(Err(format!("not stored: {e}")));
            }
            return false;
        }
    }
    if outcome.event_ids.is_empty() {
        return true;
    }
    if let Some(sink) = sink {
        // A panicking sink must not take the writer (and every later request) down.
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| sink(outcome))).is_err() {
            tracing::error!("the webhook event sink panicked");
        }
    }
    true
}

fn apply_job(conn: &Connection, work: &Work) -> Result<(Done, JobEffects)> {
    let mut effects = JobEffects::default();
    match work {
        Work::BadSignatures(n) => {
            conn.execute(
                "INSERT INTO counters (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET value = value + ?2",
                params![BAD_SIGNATURE_COUNTER, *n as i64],
            )?;
            // And per hour, for the alert on failures piling up and the statistics.
            hourly::bump(conn, hourly::WEBHOOK_REJECTED, None, *n as i64, crate::time::now_ms())?;
            Ok((Done::Counted, effects))
        }
        Work::Unparseable { source, account_id, body, error } => {
            effects.event_id = webhook_events::record(conn, source, Some(*account_id), body, EventState::Unparseable, Some(error))?;
            hourly::bump(conn, hourly::WEBHOOK_FAILED, Some(*account_id), 1, crate::time::now_ms())?;
            Ok((Done::Stored, effects))
        }
        Work::Ingest(job) => {
            let (state, error) = if job.unrouted.is_empty() {
                (EventState::Applied, None)
            } else {
                (EventState::Unrouted, Some(format!("no account for {}", job.unrouted.join(", "))))
            };
            let Some(id) = webhook_events::record(conn, job.source, Some(job.path_account), &job.body, state, error.as_deref())? else {
                hourly::bump(conn, hourly::WEBHOOK_DUPLICATE, Some(job.path_account), 1, crate::time::now_ms())?;
                return Ok((Done::Redelivery, effects));
            };
            hourly::bump(conn, hourly::WEBHOOK_ACCEPTED, Some(job.path_account), 1, crate::time::now_ms())?;
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
        commit_batch(&mut store, jobs, Some(&sink));
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
