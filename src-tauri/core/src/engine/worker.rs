//! The workers of one account: a quick send lane, an upload send lane, a
//! media downloader and (for accounts with periodic work) the periodic task.
//! Each has its own store connection; all share the account's client. Nothing
//! one account does waits on another account's workers.
//!
//! Stopping: every worker is told through one `watch` flag. The periodic task
//! and the media downloader stop at once (what they were waiting for is a read
//! the next worker repeats); a send lane finishes the send it started, then
//! stops.

use super::client::AccountClient;
use super::schedule::Schedule;
use super::send::{Lane, Uploading};
use super::{periodic, send, wait, Activity, EngineEvent, TICK};
use crate::datadir::DataDir;
use crate::model::Provider;
use crate::secrets::SecretStore;
use crate::store::{Account, Store};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::{AbortHandle, JoinHandle};

/// What every worker of the engine shares.
#[derive(Clone)]
pub(super) struct Shared {
    pub dir: DataDir,
    pub secrets: Arc<SecretStore>,
    pub events: tokio::sync::broadcast::Sender<EngineEvent>,
    pub activity: Activity,
}

/// What one account's workers share.
pub(super) struct Ctx {
    /// The account as it was when its workers started (a change rebuilds them).
    pub account: Account,
    pub client: Arc<AccountClient>,
    pub dir: DataDir,
    pub events: tokio::sync::broadcast::Sender<EngineEvent>,
    pub activity: Activity,
    /// While the secret store does not answer: the account's state before,
    /// put back once it answers (`secrets_wait`).
    pub secrets_wait: std::sync::Mutex<Option<super::schedule::State>>,
    /// Messages whose wait for the rate limits was counted (`send::count_wait`).
    pub counted_waits: std::sync::Mutex<std::collections::HashSet<i64>>,
}

/// The running workers of one account.
pub(super) struct AccountWorkers {
    /// What the workers were built from: a different value rebuilds them.
    pub version: String,
    stop: watch::Sender<bool>,
    senders: Vec<JoinHandle<()>>,
    periodic: Option<JoinHandle<Schedule>>,
    media: JoinHandle<()>,
    uploading: Uploading,
}

impl AccountWorkers {
    /// Starts the workers of `account`. A `previous` generation (the account
    /// changed) is told to stop; its periodic task hands its schedule over and
    /// its media downloader finishes before the new ones start, its senders
    /// finish their current send beside the new ones (the outbox's claim keeps
    /// them off each other's messages). Returns the previous senders, to be
    /// waited for at shutdown.
    pub fn start(shared: &Shared, account: Account, version: String, previous: Option<AccountWorkers>) -> (AccountWorkers, Vec<AbortHandle>) {
        let (stop, stop_rx) = watch::channel(false);
        let client = Arc::new(AccountClient::new(account.clone(), shared.secrets.clone()));
        let ctx = Arc::new(Ctx {
            account: account.clone(),
            client,
            dir: shared.dir.clone(),
            events: shared.events.clone(),
            activity: shared.activity.clone(),
            secrets_wait: Default::default(),
            counted_waits: Default::default(),
        });
        let (uploading, old_periodic, old_media, old_senders) = match previous {
            Some(p) => {
                let _ = p.stop.send(true);
                (p.uploading, p.periodic, Some(p.media), p.senders.iter().map(|h| h.abort_handle()).collect())
            }
            None => (Uploading::default(), None, None, vec![]),
        };
        let senders =
            [Lane::Quick, Lane::Upload].into_iter().map(|lane| tokio::spawn(sender_task(ctx.clone(), lane, uploading.clone(), stop_rx.clone()))).collect();
        // Meta delivers by webhook and has no state to check: its periodic task only syncs templates.
        let periodic = Some(tokio::spawn(periodic_task(ctx.clone(), stop_rx.clone(), old_periodic)));
        let media = tokio::spawn(media_task(ctx, stop_rx, old_media));
        (AccountWorkers { version, stop, senders, periodic, media, uploading }, old_senders)
    }

    /// Tells every worker to stop; returns their handles, to be waited for.
    pub fn stop(self) -> Vec<AbortHandle> {
        let _ = self.stop.send(true);
        let mut handles: Vec<AbortHandle> = self.senders.iter().map(|h| h.abort_handle()).collect();
        handles.extend(self.periodic.as_ref().map(|h| h.abort_handle()));
        handles.push(self.media.abort_handle());
        handles
    }
}

/// Sleeps `d`, or less when asked to stop. True when asked to stop.
async fn pause(stop: &mut watch::Receiver<bool>, d: Duration) -> bool {
    if *stop.borrow_and_update() {
        return true;
    }
    tokio::select! {
        changed = stop.changed() => changed.is_err() || *stop.borrow(),
        _ = tokio::time::sleep(d) => *stop.borrow(),
    }
}

/// Resolves once asked to stop (or once the engine is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    while !*stop.borrow_and_update() {
        if stop.changed().await.is_err() {
            return;
        }
    }
}

/// The worker's own connection; tried again with back-off if the store
/// cannot be opened (a full disk). None when asked to stop first.
async fn open_store(ctx: &Ctx, stop: &mut watch::Receiver<bool>) -> Option<Store> {
    let mut failures = 0;
    loop {
        match Store::open(&ctx.dir.db_path()) {
            Ok(store) => return Some(store),
            Err(e) => {
                tracing::warn!(account = ctx.account.id, "a worker cannot open the store: {e}");
                failures += 1;
                if pause(stop, wait::backoff(Duration::from_secs(1), failures, Duration::from_secs(60))).await {
                    return None;
                }
            }
        }
    }
}

async fn sender_task(ctx: Arc<Ctx>, lane: Lane, uploading: Uploading, mut stop: watch::Receiver<bool>) {
    let Some(mut store) = open_store(&ctx, &mut stop).await else { return };
    let mut more = false;
    // A full batch goes on at once: the rate limits, not the tick, pace a backlog.
    while !(if more { *stop.borrow() } else { pause(&mut stop, TICK).await }) {
        // Not cut off when asked to stop: a send in flight finishes.
        more = match send::send_due(&ctx, &mut store, lane, &uploading, &stop).await {
            Ok(more) => more,
            Err(e) => {
                tracing::warn!(account = ctx.account.id, ?lane, "send pass failed: {e}");
                false
            }
        };
    }
}

async fn periodic_task(ctx: Arc<Ctx>, mut stop: watch::Receiver<bool>, previous: Option<JoinHandle<Schedule>>) -> Schedule {
    let mut schedule = match previous {
        Some(handle) => handle.await.unwrap_or_else(|_| Schedule::now()),
        None => Schedule::now(),
    };
    let Some(mut store) = open_store(&ctx, &mut stop).await else { return schedule };
    let mut sync = None;
    while !pause(&mut stop, TICK).await {
        tokio::select! {
            outcome = async {
                if ctx.account.provider == Provider::Meta {
                    periodic::meta_pass(&ctx, &mut store, &mut schedule).await
                } else {
                    periodic::pass(&ctx, &mut store, &mut schedule, &mut sync).await
                }
            } => {
                if let Err(e) = outcome {
                    tracing::warn!(account = ctx.account.id, "periodic pass failed: {e}");
                }
            }
            // A poll or check cut off here is only a read: the next worker repeats it.
            _ = stopped(&mut stop) => break,
        }
    }
    // A contact sync in flight is cut off; it is not recorded and runs again.
    if let Some(task) = sync {
        task.abort();
    }
    schedule
}

async fn media_task(ctx: Arc<Ctx>, mut stop: watch::Receiver<bool>, previous: Option<JoinHandle<()>>) {
    if let Some(handle) = previous {
        let _ = handle.await;
    }
    let Some(mut store) = open_store(&ctx, &mut stop).await else { return };
    while !pause(&mut stop, TICK).await {
        tokio::select! {
            outcome = super::media::fetch_due(&ctx, &mut store) => {
                if let Err(e) = outcome {
                    tracing::warn!(account = ctx.account.id, "media pass failed: {e}");
                }
            }
            // A download cut off here stored nothing: it is tried again.
            _ = stopped(&mut stop) => break,
        }
    }
}
