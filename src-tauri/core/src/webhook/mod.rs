//! The embedded webhook listener: a small HTTP/1.1 server (`hyper` 1 on its
//! own thread and tokio runtime) that receives provider webhooks,
//! authenticates them, and stores them with their effects before answering.
//!
//! The rule kept here: a webhook is answered 200 only once its raw body and
//! its effects are committed to the store and flushed to disk; anything not
//! stored is answered 500 so the provider delivers it again. Requests are
//! handled on the listener's runtime, which authenticates (with secrets held
//! in memory, `credentials`) and parses; a single writer thread groups
//! whatever arrived meanwhile into one transaction, and a flusher thread
//! flushes the WAL once for every commit made since its last flush (`writer`). Unauthenticated
//! traffic is bounded (`server`, `connections`): a total deadline for the
//! head, a deadline for the body, a head and a body size cap, an idle timeout
//! and a connection cap that closes the longest-waiting connection first.
//! Routes and the per-provider parts live in `routes`, signatures in
//! `signature`, and the payload formats in each provider's `webhook` module.
//! Nothing here prints to stdout; logs go through `tracing` and never carry a
//! secret or a body.

mod connections;
mod credentials;
pub mod replay;
mod routes;
mod server;
pub mod signature;
mod writer;

pub use signature::{meta_signature, verify_meta_signature, META_SIGNATURE_HEADER};

use crate::datadir::DataDir;
use crate::error::{Error, Result};
use crate::ingest::Applied;
use crate::secrets::SecretStore;
use crate::store::Store;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// Where the listener binds unless told otherwise (loopback: a tunnel or a
/// reverse proxy exposes it).
pub const DEFAULT_ADDR: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 8765);
/// The setting that turns the listener on for the engine (desktop app and
/// `wicket serve` alike): `true` for [`DEFAULT_ADDR`], or `"ADDR:PORT"`;
/// absent, `false` or `null` leaves it off.
pub const LISTEN_SETTING: &str = "webhook_listen";

/// Where the `webhook_listen` setting asks the listener to bind, if anywhere.
pub fn configured_listen(store: &crate::Store) -> crate::Result<Option<SocketAddr>> {
    match store.setting(LISTEN_SETTING)? {
        None | Some(serde_json::Value::Null) | Some(serde_json::Value::Bool(false)) => Ok(None),
        Some(serde_json::Value::Bool(true)) => Ok(Some(DEFAULT_ADDR)),
        Some(serde_json::Value::String(a)) => {
            a.parse().map(Some).map_err(|_| crate::Error::Invalid(format!("the {LISTEN_SETTING} setting is not ADDR:PORT such as 127.0.0.1:8765: {a:?}")))
        }
        Some(other) => Err(crate::Error::Invalid(format!("the {LISTEN_SETTING} setting must be true, false or \"ADDR:PORT\", not {other}"))),
    }
}

/// The largest body accepted; Meta's batches are far smaller.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Counts POSTs refused for a missing or wrong signature (nothing else of them is kept).
pub const BAD_SIGNATURE_COUNTER: &str = "webhook_bad_signature";

/// The largest request head (request line and headers) accepted; larger is answered 431.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;
/// The most connections open at once; see [`ListenerConfig::max_connections`].
pub const MAX_CONNECTIONS: usize = 128;

#[derive(Debug, Clone)]
pub struct ListenerConfig {
    /// Port 0 picks a free port; see [`WebhookServer::local_addr`].
    pub addr: SocketAddr,
    /// Threads of the listener's runtime (authentication and parsing run there).
    pub threads: usize,
    /// Threads for blocking reads (SQLite, the secret store): only the
    /// account refresher uses them, one read at a time.
    pub blocking_threads: usize,
    /// Most requests committed in one transaction.
    pub max_batch: usize,
    /// The largest body; a larger announced `Content-Length` is answered 413
    /// without reading the body, a larger chunked body is cut off with 413.
    pub max_body: usize,
    /// The largest request head, answered 431 past it.
    pub max_head: usize,
    /// The whole head must arrive within this, however it trickles in.
    pub head_timeout: Duration,
    /// The whole body must arrive within this once the head is in (else 408).
    pub body_timeout: Duration,
    /// A kept-alive connection with no new request for this long is closed.
    pub idle_timeout: Duration,
    /// Connections open at once; at the cap, the one that has gone longest
    /// without delivering a request is closed to admit the new one.
    pub max_connections: usize,
    /// How often the accounts are checked for changes (`PRAGMA data_version`).
    pub refresh_interval: Duration,
    /// A request may have an account's secrets read again at most this often.
    pub secret_reload_interval: Duration,
    /// How often refused signatures are added to the stored counter.
    pub counter_flush: Duration,
}

impl Default for ListenerConfig {
    fn default() -> Self {
        ListenerConfig {
            addr: DEFAULT_ADDR,
            threads: 2,
            blocking_threads: 2,
            max_batch: 64,
            max_body: MAX_BODY_BYTES,
            max_head: MAX_HEAD_BYTES,
            head_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(20),
            idle_timeout: Duration::from_secs(5),
            max_connections: MAX_CONNECTIONS,
            refresh_interval: Duration::from_secs(1),
            secret_reload_interval: Duration::from_secs(2),
            counter_flush: Duration::from_secs(5),
        }
    }
}

impl ListenerConfig {
    pub fn with_addr(addr: SocketAddr) -> ListenerConfig {
        ListenerConfig { addr, ..Default::default() }
    }
}

/// Told after each commit that stored something, from the writer thread.
/// Keep it short (hand the outcome to a channel); a panic in it is caught.
pub type EventSink = Arc<dyn Fn(WebhookOutcome) + Send + Sync>;

/// What one commit stored and changed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WebhookOutcome {
    /// The `webhook_events` rows added (redeliveries add none).
    pub event_ids: Vec<i64>,
    /// What the events changed, per account, merged over the batch, by account id.
    pub accounts: Vec<(i64, Applied)>,
}

impl WebhookOutcome {
    fn add(&mut self, account: i64, applied: Applied) {
        match self.accounts.binary_search_by_key(&account, |(id, _)| *id) {
            Ok(i) => self.accounts[i].1.merge(applied),
            Err(i) => self.accounts.insert(i, (account, applied)),
        }
    }

    /// Every new customer message id of this commit.
    pub fn new_inbound(&self) -> Vec<i64> {
        self.accounts.iter().flat_map(|(_, a)| a.new_inbound.iter().copied()).collect()
    }
}

/// What the listener needs from the rest of the core.
#[derive(Clone)]
pub struct WebhookDeps {
    /// The store file (`DataDir::db_path`); the listener opens its own connections.
    pub db_path: PathBuf,
    pub secrets: Arc<SecretStore>,
    pub sink: Option<EventSink>,
}

impl std::fmt::Debug for WebhookDeps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookDeps").field("db_path", &self.db_path).field("sink", &self.sink.is_some()).finish()
    }
}

/// What the writer has done since the listener started (for the ingest bench and diagnostics).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListenerStats {
    /// Transactions committed.
    pub commits: u64,
    /// Flushes of the store to disk that acknowledged requests waited for.
    pub syncs: u64,
    /// Jobs (requests and counter flushes) answered.
    pub jobs: u64,
}

/// A running listener. [`WebhookServer::shutdown`] (or dropping it) stops
/// accepting, lets the requests in hand finish, and joins every thread.
pub struct WebhookServer {
    addr: SocketAddr,
    stop: tokio::sync::watch::Sender<bool>,
    listener: Option<JoinHandle<()>>,
    writer: Option<JoinHandle<()>>,
    stats: Arc<writer::Stats>,
}

impl std::fmt::Debug for WebhookServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookServer").field("addr", &self.addr).finish()
    }
}

impl WebhookServer {
    /// Opens the store connections, reads the accounts and their secrets,
    /// binds `config.addr` and starts the threads. Returns once the socket
    /// is bound. Works from plain threads and from inside a tokio runtime
    /// alike: the listener runs its own runtime on its own thread.
    pub fn start(config: ListenerConfig, deps: WebhookDeps) -> Result<WebhookServer> {
        // Open (and migrate) the store before binding: a bad data dir fails here.
        let writer_store = Store::open(&deps.db_path)?;
        let credentials = credentials::Credentials::load(Store::open(&deps.db_path)?, deps.secrets.clone(), config.secret_reload_interval)?;
        let socket = std::net::TcpListener::bind(config.addr).map_err(|e| Error::io(format!("cannot listen on {}", config.addr), e))?;
        socket.set_nonblocking(true).map_err(|e| Error::io(format!("cannot listen on {}", config.addr), e))?;
        let addr = socket.local_addr().unwrap_or(config.addr);
        let stats = Arc::new(writer::Stats::default());
        let (jobs, writer_handle) = writer::spawn(writer_store, config.max_batch, config.max_batch * 4, deps.sink.clone(), stats.clone())?;
        let ctx = Arc::new(server::context(credentials, jobs, &config));
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let threads = config.threads.max(1);
        let (ready, started) = std::sync::mpsc::sync_channel::<std::io::Result<()>>(1);
        // The runtime is built, run and dropped on the listener's own thread:
        // a runtime may not be dropped inside another one's async context.
        let spawned = std::thread::Builder::new().name("wicket-webhook-listener".into()).spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(threads)
                .max_blocking_threads(config.blocking_threads.max(1))
                .thread_name("wicket-webhook")
                .enable_all()
                .build();
            match runtime {
                Ok(runtime) => {
                    let _ = ready.send(Ok(()));
                    runtime.block_on(server::serve(socket, config, ctx, stopped));
                    // Every task's handle on the writer goes with the runtime.
                    runtime.shutdown_timeout(Duration::from_secs(2));
                }
                Err(e) => {
                    let _ = ready.send(Err(e));
                }
            }
        });
        let failed = match spawned {
            Ok(h) => match started.recv() {
                Ok(Ok(())) => Ok(h),
                Ok(Err(e)) => Err(e),
                Err(_) => Err(std::io::Error::other("the listener thread ended before starting")),
            },
            Err(e) => Err(e),
        };
        let listener = match failed {
            Ok(h) => h,
            Err(e) => {
                // The writer's last sender went with the listener's closure: it ends.
                let _ = writer_handle.join();
                return Err(Error::io("cannot start the webhook listener", e));
            }
        };
        tracing::info!(%addr, threads, "webhook listener started");
        Ok(WebhookServer { addr, stop, listener: Some(listener), writer: Some(writer_handle), stats })
    }

    /// The bound address (with the real port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// What the writer has done so far.
    pub fn stats(&self) -> ListenerStats {
        self.stats.snapshot()
    }

    /// Stops accepting, finishes the requests in hand (their commits
    /// included), stores the bad-signature count and joins every thread.
    pub fn shutdown(mut self) {
        self.stop_threads();
    }

    fn stop_threads(&mut self) {
        self.stop.send_replace(true);
        if let Some(h) = self.listener.take() {
            if h.join().is_err() {
                tracing::error!("the webhook listener thread panicked");
            }
        }
        // The listener's senders are gone with its runtime; the writer ends.
        if let Some(h) = self.writer.take() {
            if h.join().is_err() {
                tracing::error!("the webhook writer thread panicked");
            }
        }
        tracing::info!(addr = %self.addr, "webhook listener stopped");
    }
}

impl Drop for WebhookServer {
    fn drop(&mut self) {
        if self.writer.is_some() {
            self.stop_threads();
        }
    }
}

/// Starts the listener of a data dir, without an event sink: for the
/// engine and the CLI.
pub fn start_for_engine(dir: &DataDir, secrets: Arc<SecretStore>, addr: SocketAddr) -> Result<WebhookServer> {
    WebhookServer::start(ListenerConfig::with_addr(addr), WebhookDeps { db_path: dir.db_path(), secrets, sink: None })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_merge_per_account_in_id_order() {
        let mut o = WebhookOutcome::default();
        o.add(5, Applied { new_inbound: vec![1], ..Default::default() });
        o.add(2, Applied { new_inbound: vec![2], ..Default::default() });
        o.add(5, Applied { new_inbound: vec![3], ..Default::default() });
        assert_eq!(o.accounts.iter().map(|(id, _)| *id).collect::<Vec<_>>(), [2, 5]);
        assert_eq!(o.new_inbound(), [2, 1, 3]);
    }
}
