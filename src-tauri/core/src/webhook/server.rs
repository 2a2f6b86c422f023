//! The listener's HTTP side: `hyper` 1 (HTTP/1.1) on the listener's own
//! tokio runtime. Accepts connections under the cap of [`Registry`], serves
//! each with the head deadline and head size cap, reaps idle ones, flushes
//! the bad-signature count, and on shutdown lets the requests in hand finish.

use super::connections::{Phase, Registry, Slot, Tracked};
use super::credentials::Credentials;
use super::routes::{self, Ctx};
use super::writer::{self, Work};
use super::ListenerConfig;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// How long requests being answered may take to finish at shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Runs the listener until `stop` turns true, then drains and returns.
pub(crate) async fn serve(listener: std::net::TcpListener, config: ListenerConfig, ctx: Arc<Ctx>, mut stop: watch::Receiver<bool>) {
    let listener = match TcpListener::from_std(listener) {
        Ok(l) => l,
        Err(e) => {
            tracing::error!("the webhook listener cannot use its socket: {e}");
            return;
        }
    };
    let registry = Arc::new(Registry::new(config.max_connections));
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(config.head_timeout)
        .max_header_size(config.max_head)
        .max_buf_size(config.max_head.max(8192))
        .keep_alive(true);
    let builder = Arc::new(builder);

    let refresher = tokio::spawn(ctx.credentials.clone().refresher(config.refresh_interval, stop.clone()));
    let reaper = tokio::spawn(reap(registry.clone(), config.idle_timeout, stop.clone()));
    let flusher = tokio::spawn(flush_every(ctx.clone(), config.counter_flush, stop.clone()));

    loop {
        let (stream, _peer) = tokio::select! {
            _ = stopped(&mut stop) => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    tracing::warn!("the webhook listener could not accept a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let Some((id, slot)) = registry.admit() else {
            tracing::warn!("webhook connection refused: every open connection is being answered");
            continue;
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(connection(Tracked { inner: stream, slot: slot.clone() }, slot, id, registry.clone(), builder.clone(), ctx.clone(), stop.clone()));
    }
    // Stop accepting: the socket closes here.
    drop(listener);
    // Connections close at once, but for requests being answered, which finish within a grace period.
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while registry.len() > 0 {
            let removed = registry.removed.notified();
            if registry.len() == 0 {
                break;
            }
            let _ = tokio::time::timeout(Duration::from_millis(100), removed).await;
        }
    })
    .await;
    if drained.is_err() {
        tracing::warn!(open = registry.len(), "webhook connections still open at shutdown are dropped");
    }
    for task in [refresher, reaper] {
        let _ = task.await;
    }
    let _ = flusher.await;
    flush_bad_signatures(&ctx).await;
}

async fn connection(
    io: Tracked<tokio::net::TcpStream>,
    slot: Arc<Slot>,
    id: u64,
    registry: Arc<Registry>,
    builder: Arc<http1::Builder>,
    ctx: Arc<Ctx>,
    mut stop: watch::Receiver<bool>,
) {
    let service = {
        let slot = slot.clone();
        service_fn(move |rq| {
            let ctx = ctx.clone();
            let slot = slot.clone();
            async move {
                let reply = routes::handle(rq, &ctx, &slot).await;
                slot.set(Phase::Idle);
                Ok::<_, std::convert::Infallible>(reply)
            }
        })
    };
    let conn = builder.serve_connection(TokioIo::new(io), service);
    tokio::pin!(conn);
    let mut draining = false;
    loop {
        tokio::select! {
            done = conn.as_mut() => {
                if let Err(e) = done {
                    tracing::debug!("webhook connection ended: {e}");
                }
                break;
            }
            // Evicted at the cap, or idle too long: dropping it closes the socket.
            _ = slot.close.notified() => break,
            // Stopping: a request being answered finishes (its commit
            // included); one still arriving is cut off and sent again later.
            _ = stopped(&mut stop), if !draining => {
                if slot.phase() != Phase::Working {
                    break;
                }
                conn.as_mut().graceful_shutdown();
                draining = true;
            }
        }
    }
    registry.remove(id);
}

async fn reap(registry: Arc<Registry>, idle: Duration, mut stop: watch::Receiver<bool>) {
    let every = (idle / 4).clamp(Duration::from_millis(20), Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => registry.reap_idle(idle),
            _ = stopped(&mut stop) => return,
        }
    }
}

async fn flush_every(ctx: Arc<Ctx>, every: Duration, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => flush_bad_signatures(&ctx).await,
            _ = stopped(&mut stop) => return,
        }
    }
}

/// Resolves once the listener is told to stop (without keeping the
/// channel's read guard, which may not cross an await).
pub(crate) async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

/// Adds the bad signatures counted since the last flush to the stored counter.
async fn flush_bad_signatures(ctx: &Ctx) {
    let n = ctx.bad_signatures.swap(0, Ordering::SeqCst);
    if n == 0 {
        return;
    }
    if let Err(e) = writer::submit(&ctx.jobs, Work::BadSignatures(n)).await {
        tracing::warn!("could not count {n} bad webhook signatures: {e}");
        ctx.bad_signatures.fetch_add(n, Ordering::SeqCst);
    }
}

/// The credentials a listener starts with, for [`Ctx`].
pub(crate) fn context(credentials: Credentials, jobs: writer::Jobs, config: &ListenerConfig) -> Ctx {
    Ctx {
        credentials: Arc::new(credentials),
        jobs,
        max_body: config.max_body,
        body_timeout: config.body_timeout,
        bad_signatures: Default::default(),
        look_again_wait: Duration::from_secs(3),
    }
}
