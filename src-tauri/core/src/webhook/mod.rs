//! The embedded webhook listener: a small HTTP server (`tiny_http`) that
//! receives provider webhooks, authenticates them, and stores them with
//! their effects before answering.
//!
//! The rule kept here: a webhook is answered 200 only once its raw body and
//! its effects are committed to the store (synchronous=FULL); anything not
//! stored is answered 500 so the provider delivers it again. Requests are
//! served by a few request threads (each with its own read connection),
//! which authenticate and parse; a single writer thread groups whatever
//! arrived meanwhile into one transaction (`writer`). Routes and the
//! per-provider parts live in `routes`, signatures in `signature`, and the
//! payload formats in each provider's `webhook` module. Nothing here prints
//! to stdout; logs go through `tracing` and never carry a secret or a body.

pub mod replay;
mod routes;
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
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::SyncSender;
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

/// How often idle request threads look at the shutdown flag.
const POLL: Duration = Duration::from_millis(100);

#[derive(Debug, Clone)]
pub struct ListenerConfig {
    /// Port 0 picks a free port; see [`WebhookServer::local_addr`].
    pub addr: SocketAddr,
    /// Request threads (authentication and parsing run there).
    pub threads: usize,
    /// Most requests committed in one transaction.
    pub max_batch: usize,
    pub max_body: usize,
}

impl Default for ListenerConfig {
    fn default() -> Self {
        ListenerConfig { addr: DEFAULT_ADDR, threads: 4, max_batch: 64, max_body: MAX_BODY_BYTES }
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

/// A running listener. [`WebhookServer::shutdown`] (or dropping it) stops
/// accepting, lets the requests in hand finish, and joins every thread.
pub struct WebhookServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    server: Option<Arc<tiny_http::Server>>,
    workers: Vec<JoinHandle<()>>,
    jobs: Option<SyncSender<writer::Job>>,
    writer: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for WebhookServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookServer").field("addr", &self.addr).finish()
    }
}

impl WebhookServer {
    /// Opens the store connections, binds `config.addr` and starts the
    /// threads. Returns once the socket is bound.
    pub fn start(config: ListenerConfig, deps: WebhookDeps) -> Result<WebhookServer> {
        let threads = config.threads.max(1);
        // Open (and migrate) the store before binding: a bad data dir fails here.
        let writer_store = Store::open(&deps.db_path)?;
        let mut read_stores = Vec::with_capacity(threads);
        for _ in 0..threads {
            read_stores.push(Store::open(&deps.db_path)?);
        }
        let server = tiny_http::Server::http(config.addr).map_err(|e| bind_error(config.addr, e))?;
        let addr = server.server_addr().to_ip().unwrap_or(config.addr);
        let server = Arc::new(server);
        let (jobs, writer_handle) = writer::spawn(writer_store, config.max_batch, config.max_batch * 4, deps.sink.clone())?;
        let stop = Arc::new(AtomicBool::new(false));
        let mut me =
            WebhookServer { addr, stop: stop.clone(), server: Some(server.clone()), workers: vec![], jobs: Some(jobs.clone()), writer: Some(writer_handle) };
        for (i, store) in read_stores.into_iter().enumerate() {
            let ctx = routes::Ctx { store, secrets: deps.secrets.clone(), jobs: jobs.clone(), max_body: config.max_body };
            let server = server.clone();
            let stop = stop.clone();
            let spawned = std::thread::Builder::new().name(format!("wicket-webhook-{i}")).spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    match server.recv_timeout(POLL) {
                        Ok(Some(rq)) => routes::handle(rq, &ctx),
                        Ok(None) => {}
                        Err(e) => {
                            tracing::error!("the webhook listener could not accept a connection: {e}");
                            std::thread::sleep(POLL);
                        }
                    }
                }
            });
            match spawned {
                Ok(h) => me.workers.push(h),
                Err(e) => {
                    me.stop_threads();
                    return Err(Error::io("cannot start a webhook listener thread", e));
                }
            }
        }
        tracing::info!(%addr, threads, "webhook listener started");
        Ok(me)
    }

    /// The bound address (with the real port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, finishes the requests in hand (their commits
    /// included) and joins every thread.
    pub fn shutdown(mut self) {
        self.stop_threads();
    }

    fn stop_threads(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for h in self.workers.drain(..) {
            if h.join().is_err() {
                tracing::error!("a webhook request thread panicked");
            }
        }
        // The last handle on the server: dropping it closes the socket.
        self.server.take();
        // The request threads' senders are gone with them; this is the last.
        self.jobs.take();
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

fn bind_error(addr: SocketAddr, e: Box<dyn std::error::Error + Send + Sync>) -> Error {
    match e.downcast::<std::io::Error>() {
        Ok(io) => Error::io(format!("cannot listen on {addr}"), *io),
        Err(other) => Error::Internal(format!("cannot listen on {addr}: {other}")),
    }
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
