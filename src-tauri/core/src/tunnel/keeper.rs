//! The public-address keeper: brings the saved setup ([`super::saved`])
//! back at every start and keeps it working for as long as the engine's
//! listener runs, in the desktop app and in `wicket serve` alike.
//!
//! At the start it kills a tunnel a crashed earlier run left behind
//! ([`super::pidfile`]), starts the tool (or takes the fixed URL),
//! registers the address with every provider that allows it, and checks it
//! end to end ([`super::health`]). It checks again every
//! [`CHECK_EVERY`], after the computer wakes from sleep
//! ([`super::wake`]), and after the tunnel reports a new address (which it
//! registers first). A tunnel that exits by itself is said at once, in
//! plain words with the fix (Restart). Every outcome is persisted (the
//! `public_address_health` setting) and announced as a [`KeeperReport`].

use super::health::{self, cannot_reach, AccountReach, PublicAddressHealth, Reachability};
use super::pidfile;
use super::process::{Tunnel, TunnelEvent};
use super::register::{provider_registrar, register_all, AccountRegistration, Registrar};
use super::saved::{self, PublicAddress, SavedSetup};
use super::wake::{Clock, SystemClock, WakeDetector};
use crate::datadir::DataDir;
use crate::error::{Error, Result};
use crate::model::Provider;
use crate::secrets::SecretStore;
use crate::store::{Account, Store};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};

/// How often the address is checked while nothing else happens.
pub const CHECK_EVERY: Duration = Duration::from_secs(15 * 60);
/// How often the clocks are compared to notice a wake-up.
pub const TICK: Duration = Duration::from_secs(30);
/// A wall-clock gain over the monotonic clock beyond this is a wake-up.
pub const WAKE_THRESHOLD: Duration = Duration::from_secs(120);
/// How long a tool has to report its address.
pub const START_TIMEOUT: Duration = Duration::from_secs(60);

/// What the keeper works with.
pub struct KeeperConfig {
    pub dir: DataDir,
    /// The listener's local port, which the tunnel forwards to.
    pub local_port: u16,
    pub secrets: SecretStore,
    pub registrar: Registrar,
    pub clock: Arc<dyn Clock>,
    pub check_every: Duration,
    pub tick: Duration,
    pub wake_threshold: Duration,
    pub start_timeout: Duration,
}

impl KeeperConfig {
    /// The real clocks and intervals, and every provider's registration.
    pub fn new(dir: DataDir, local_port: u16, secrets: SecretStore) -> KeeperConfig {
        KeeperConfig {
            dir,
            local_port,
            registrar: provider_registrar(secrets.clone()),
            secrets,
            clock: Arc::new(SystemClock::new()),
            check_every: CHECK_EVERY,
            tick: TICK,
            wake_threshold: WAKE_THRESHOLD,
            start_timeout: START_TIMEOUT,
        }
    }
}

/// What the keeper did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeeperReport {
    /// The tunnel reported its address (`pid`: the tool's), or the fixed URL was taken.
    Started { public_url: String, stable: bool, pid: Option<u32> },
    /// A tunnel from an earlier run was still running and was stopped.
    StaleKilled { pid: u32 },
    /// The tool could not start: why (the health report says it in plain words).
    StartFailed(String),
    /// The address was registered with the providers (at the start and after each change).
    Registered { public_base: String, results: Vec<AccountRegistration> },
    /// The tool exited by itself (its exit code): a `Health` report follows.
    TunnelExited(Option<i32>),
    /// A check ran, the tunnel stopped, or the owner stopped it: the state now.
    Health(PublicAddressHealth),
}

enum Ask {
    Stop,
    Restart(Option<PublicAddress>),
    Check,
    Shutdown(Option<std::sync::mpsc::Sender<()>>),
}

/// A running keeper. Dropping it stops the tunnel (the setup stays saved).
pub struct PublicAddressKeeper {
    asks: mpsc::UnboundedSender<Ask>,
    reports: broadcast::Sender<KeeperReport>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for PublicAddressKeeper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublicAddressKeeper").finish_non_exhaustive()
    }
}

impl PublicAddressKeeper {
    /// Starts keeping `setup` on the current Tokio runtime; the receiver
    /// gets every report from the first one. An inactive setup (Stop was
    /// pressed) stays stopped until [`PublicAddressKeeper::restart`].
    pub fn start(config: KeeperConfig, setup: SavedSetup) -> Result<(PublicAddressKeeper, broadcast::Receiver<KeeperReport>)> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| Error::Internal("the public-address keeper needs a Tokio runtime".into()))?;
        let (asks, asked) = mpsc::unbounded_channel();
        let (reports, first) = broadcast::channel(256);
        let wake = WakeDetector::new(config.clock.as_ref(), config.wake_threshold);
        let keeper = Keeper { cfg: config, address: setup.address, tunnel: None, events: None, url: None, reports: reports.clone(), last_check: None, wake };
        let task = runtime.spawn(keeper.run(setup.active, asked));
        Ok((PublicAddressKeeper { asks, reports, task: Some(task) }, first))
    }

    /// Another receiver of the reports from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<KeeperReport> {
        self.reports.subscribe()
    }

    /// The owner's Stop: the tunnel stops and stays stopped at the next starts.
    pub fn stop(&self) {
        let _ = self.asks.send(Ask::Stop);
    }

    /// The owner's Restart (with another setup, to change it; else the saved
    /// one): stops what runs, saves the setup as active and starts it again.
    pub fn restart(&self, address: Option<PublicAddress>) {
        let _ = self.asks.send(Ask::Restart(address));
    }

    /// Checks the address now.
    pub fn check_now(&self) {
        let _ = self.asks.send(Ask::Check);
    }

    /// The app quits: stops the tunnel (the setup stays active, so the next
    /// start brings it back) and waits for it.
    pub async fn shutdown(mut self) {
        let _ = self.asks.send(Ask::Shutdown(None));
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// [`PublicAddressKeeper::shutdown`] from a thread that is not the
    /// runtime's, waiting at most `wait`.
    pub fn shutdown_blocking(mut self, wait: Duration) {
        let (done, finished) = std::sync::mpsc::channel();
        if self.asks.send(Ask::Shutdown(Some(done))).is_ok() && finished.recv_timeout(wait).is_err() {
            tracing::warn!("the tunnel did not stop within {} s", wait.as_secs());
        }
        self.task.take();
    }
}

impl Drop for PublicAddressKeeper {
    fn drop(&mut self) {
        if self.task.is_some() {
            let _ = self.asks.send(Ask::Shutdown(None));
        }
    }
}

enum Woken {
    Ask(Option<Ask>),
    Event(Option<TunnelEvent>),
    Tick,
}

async fn next_event(events: &mut Option<mpsc::UnboundedReceiver<TunnelEvent>>) -> Option<TunnelEvent> {
    match events {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// Runs `f` on a store connection of its own, off the runtime.
async fn with_store<T: Send + 'static>(dir: &DataDir, f: impl FnOnce(&mut Store) -> Result<T> + Send + 'static) -> Result<T> {
    let db = dir.db_path();
    tokio::task::spawn_blocking(move || f(&mut Store::open(&db)?)).await.map_err(|e| Error::Internal(format!("a store task stopped: {e}")))?
}

struct Keeper {
    cfg: KeeperConfig,
    address: PublicAddress,
    tunnel: Option<Tunnel>,
    events: Option<mpsc::UnboundedReceiver<TunnelEvent>>,
    /// The address in use, once known.
    url: Option<String>,
    reports: broadcast::Sender<KeeperReport>,
    /// When the last check ran (monotonic).
    last_check: Option<Duration>,
    wake: WakeDetector,
}

impl Keeper {
    async fn run(mut self, active: bool, mut asks: mpsc::UnboundedReceiver<Ask>) {
        let dir = self.cfg.dir.clone();
        let killed = tokio::task::spawn_blocking(move || pidfile::kill_stale(&dir)).await.ok().flatten();
        if let Some(pid) = killed {
            self.report(KeeperReport::StaleKilled { pid });
        }
        if active {
            self.bring_up("start").await;
        } else {
            self.stopped("start").await;
        }
        loop {
            let woken = tokio::select! {
                ask = asks.recv() => Woken::Ask(ask),
                event = next_event(&mut self.events) => Woken::Event(event),
                _ = tokio::time::sleep(self.cfg.tick) => Woken::Tick,
            };
            match woken {
                Woken::Ask(None) => return self.take_down().await,
                Woken::Ask(Some(Ask::Shutdown(done))) => {
                    self.take_down().await;
                    if let Some(done) = done {
                        let _ = done.send(());
                    }
                    return;
                }
                Woken::Ask(Some(Ask::Stop)) => {
                    self.take_down().await;
                    self.persist_setup(false).await;
                    self.stopped("owner").await;
                }
                Woken::Ask(Some(Ask::Restart(address))) => {
                    self.take_down().await;
                    // Without a new setup, the saved one (it may have changed elsewhere).
                    let address = match address {
                        Some(a) => Some(a),
                        None => with_store(&self.cfg.dir, |s| saved::load(s)).await.ok().flatten().map(|s| s.address),
                    };
                    if let Some(a) = address {
                        self.address = a;
                    }
                    self.persist_setup(true).await;
                    self.bring_up("owner").await;
                }
                Woken::Ask(Some(Ask::Check)) => self.check("owner").await,
                Woken::Event(Some(TunnelEvent::UrlChanged(url))) => {
                    self.use_url(url).await;
                    self.register().await;
                    self.check("url_changed").await;
                }
                Woken::Event(Some(TunnelEvent::Exited(code))) => self.exited(code).await,
                Woken::Event(None) => self.events = None,
                Woken::Tick => {
                    let clock = self.cfg.clock.clone();
                    if self.wake.woke(clock.as_ref()) {
                        tracing::info!("the computer woke up: checking the public address");
                        self.check("wake").await;
                    } else if self.last_check.is_some_and(|at| clock.mono().saturating_sub(at) >= self.cfg.check_every) {
                        self.check("schedule").await;
                    }
                }
            }
        }
    }

    fn report(&self, report: KeeperReport) {
        // Nobody listening is fine: the state is persisted anyway.
        let _ = self.reports.send(report);
    }

    async fn persist_setup(&self, active: bool) {
        let setup = SavedSetup { address: self.address.clone(), active };
        if let Err(e) = with_store(&self.cfg.dir, move |s| saved::save(s, &setup)).await {
            tracing::warn!("cannot save the public-address setup: {e}");
        }
    }

    async fn publish(&self, health: PublicAddressHealth) {
        tracing::info!(state = health.state.as_str(), trigger = %health.trigger, "public address");
        let saved = health.clone();
        if let Err(e) = with_store(&self.cfg.dir, move |s| health::save(s, &saved)).await {
            tracing::warn!("cannot save the public address's state: {e}");
        }
        self.report(KeeperReport::Health(health));
    }

    fn health(&self, state: Reachability, trigger: &str) -> PublicAddressHealth {
        PublicAddressHealth {
            state,
            public_url: self.url.clone(),
            via: self.address.describe(),
            tool: self.address.tool(),
            checked_at: None,
            reason: None,
            detail: None,
            fix: None,
            trigger: trigger.into(),
            accounts: vec![],
        }
    }

    async fn stopped(&mut self, trigger: &str) {
        let mut h = self.health(Reachability::Stopped, trigger);
        let what = match &self.address {
            PublicAddress::Tunnel(_) => format!("{} is stopped", self.address.describe()),
            PublicAddress::FixedUrl(url) => format!("the public address {url} is switched off"),
        };
        h.reason = Some(cannot_reach(&what, "Restart it to receive them"));
        h.fix = Some("restart".into());
        self.publish(h).await;
    }

    async fn use_url(&mut self, url: String) {
        let saved = url.clone();
        if let Err(e) = with_store(&self.cfg.dir, move |s| s.set_setting("public_url", &serde_json::json!(saved))).await {
            tracing::warn!("cannot save the public URL: {e}");
        }
        self.url = Some(url);
    }

    async fn bring_up(&mut self, trigger: &str) {
        match self.address.clone() {
            PublicAddress::FixedUrl(url) => {
                let url = url.trim().trim_end_matches('/').to_string();
                self.use_url(url.clone()).await;
                self.report(KeeperReport::Started { public_url: url, stable: true, pid: None });
            }
            PublicAddress::Tunnel(spec) => {
                self.url = None;
                self.publish(self.health(Reachability::Starting, trigger)).await;
                match Tunnel::start_async(spec.clone(), self.cfg.local_port, self.cfg.start_timeout).await {
                    Ok(mut tunnel) => {
                        let pid = tunnel.pid();
                        let dir = self.cfg.dir.clone();
                        let program = spec.program.clone();
                        let remembered = tokio::task::spawn_blocking(move || pidfile::remember(&dir, pid, &program)).await;
                        if let Ok(Err(e)) | Err(e) = remembered.map_err(|e| Error::Internal(e.to_string())) {
                            tracing::warn!("cannot remember the tunnel's pid: {e}");
                        }
                        self.events = tunnel.take_events();
                        let url = tunnel.public_url();
                        let stable = tunnel.is_stable();
                        self.tunnel = Some(tunnel);
                        self.use_url(url.clone()).await;
                        self.report(KeeperReport::Started { public_url: url, stable, pid: Some(pid) });
                    }
                    Err(e) => {
                        let mut h = self.health(Reachability::Unreachable, trigger);
                        h.checked_at = Some(self.cfg.clock.wall_ms());
                        h.reason = Some(cannot_reach(&format!("{} could not start", self.address.describe()), "Restart it"));
                        h.detail = Some(e.to_string());
                        h.fix = Some("restart".into());
                        self.report(KeeperReport::StartFailed(e.to_string()));
                        self.publish(h).await;
                        return;
                    }
                }
            }
        }
        self.register().await;
        self.check(trigger).await;
    }

    async fn take_down(&mut self) {
        self.events = None;
        if let Some(tunnel) = self.tunnel.take() {
            // Stopping waits for the process and the reader threads.
            let _ = tokio::task::spawn_blocking(move || drop(tunnel)).await;
            let dir = self.cfg.dir.clone();
            let _ = tokio::task::spawn_blocking(move || pidfile::forget(&dir)).await;
        }
        self.url = None;
    }

    async fn exited(&mut self, code: Option<i32>) {
        self.events = None;
        let output = self.tunnel.as_ref().map(|t| t.recent_output()).unwrap_or_default();
        self.take_down().await;
        self.report(KeeperReport::TunnelExited(code));
        let mut h = self.health(Reachability::Unreachable, "tunnel_exited");
        h.checked_at = Some(self.cfg.clock.wall_ms());
        h.reason = Some(cannot_reach(&format!("{} stopped", self.address.describe()), "Restart it"));
        let code = code.map(|c| format!("exit code {c}")).unwrap_or_else(|| "ended by a signal".into());
        h.detail = Some(match output.last() {
            Some(last) => format!("{code}; its last output: {last}"),
            None => code,
        });
        h.fix = Some("restart".into());
        self.publish(h).await;
    }

    async fn accounts(&self) -> Vec<Account> {
        match with_store(&self.cfg.dir, |s| s.accounts()).await {
            Ok(list) => list.into_iter().filter(|a| a.enabled && a.provider != Provider::Demo).collect(),
            Err(e) => {
                tracing::warn!("cannot read the accounts: {e}");
                vec![]
            }
        }
    }

    async fn register(&mut self) {
        let Some(url) = self.url.clone() else { return };
        let accounts = self.accounts().await;
        let results = register_all(&accounts, &url, &self.cfg.registrar).await;
        self.report(KeeperReport::Registered { public_base: url, results });
    }

    async fn check(&mut self, trigger: &str) {
        let Some(url) = self.url.clone() else { return };
        self.last_check = Some(self.cfg.clock.mono());
        let accounts = self.accounts().await;
        let (reaches, failure): (Vec<AccountReach>, Option<String>) = health::check_accounts(&url, &accounts, &self.cfg.secrets).await;
        let state = if failure.is_some() { Reachability::Unreachable } else { Reachability::Reachable };
        let mut h = self.health(state, trigger);
        h.checked_at = Some(self.cfg.clock.wall_ms());
        h.accounts = reaches;
        if let Some(why) = failure {
            let (what, fix) = match &self.address {
                PublicAddress::Tunnel(_) => (format!("the address of {} does not reach Wicket", self.address.describe()), "Restart the tunnel"),
                PublicAddress::FixedUrl(u) => (format!("{u} does not reach Wicket"), "Check that it still forwards to this computer, then restart"),
            };
            h.reason = Some(cannot_reach(&what, fix));
            h.detail = Some(why);
            h.fix = Some("restart".into());
        }
        self.publish(h).await;
    }
}
