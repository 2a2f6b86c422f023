//! Running a tunnel tool: its output piped and read on threads, the start
//! that waits for the first public URL, and the watcher that reports a new
//! URL or the tool's exit as a [`TunnelEvent`]. Stopping (or dropping) a
//! [`Tunnel`] kills the process and waits for it.

use super::detect::{not_installed, resolve_program};
use super::lock;
use super::output::{public_url_in, scrub_line};
use super::spec::{TunnelKind, TunnelSpec};
use crate::error::{Error, ErrorKind, ProviderError, Result};
use serde::Serialize;
use std::collections::VecDeque;
use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

/// How often the watcher looks at the process when no output arrives.
const POLL: Duration = Duration::from_millis(100);
/// Output lines kept for error messages.
const TAIL_LINES: usize = 12;
/// How long a tool with a known URL and no readiness line must survive.
const FIXED_URL_GRACE: Duration = Duration::from_secs(2);

fn tunnel_error(code: &str, message: String) -> Error {
    Error::Provider(ProviderError { code: Some(code.into()), kind: ErrorKind::Unavailable, message, retry_after: None })
}

/// What a running tunnel reports after it started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TunnelEvent {
    /// The tool announced another public URL (a quick tunnel reconnected).
    UrlChanged(String),
    /// The tool exited by itself, with its exit code when it had one.
    Exited(Option<i32>),
}

struct Shared {
    child: Mutex<Child>,
    /// Set once the process is reaped.
    exit: Mutex<Option<Option<i32>>>,
    tail: Mutex<VecDeque<String>>,
    url: Mutex<String>,
    stopping: AtomicBool,
}

impl Shared {
    fn push_tail(&self, line: &str) {
        let mut tail = lock(&self.tail);
        if tail.len() == TAIL_LINES {
            tail.pop_front();
        }
        tail.push_back(scrub_line(line));
    }

    fn tail_text(&self) -> String {
        let tail = lock(&self.tail);
        if tail.is_empty() {
            return "(it printed nothing)".into();
        }
        tail.iter().map(|l| format!("  {l}")).collect::<Vec<_>>().join("\n")
    }

    /// The exit code once the process has exited (reaping it), else `None`.
    fn poll_exit(&self) -> Option<Option<i32>> {
        let mut exit = lock(&self.exit);
        if exit.is_none() {
            if let Ok(Some(status)) = lock(&self.child).try_wait() {
                *exit = Some(status.code());
            }
        }
        *exit
    }

    fn kill(&self) {
        let mut exit = lock(&self.exit);
        if exit.is_some() {
            return;
        }
        let mut child = lock(&self.child);
        // Already gone is fine: wait() below reaps it either way.
        let _ = child.kill();
        match child.wait() {
            Ok(status) => *exit = Some(status.code()),
            Err(e) => tracing::warn!("could not wait for the tunnel process: {e}"),
        }
    }
}

enum Seen {
    Url(String),
    Exited(Option<i32>),
    Nothing,
}

/// Reads the output lines the reader threads pass on.
struct Watch {
    lines: mpsc::Receiver<String>,
    disconnected: bool,
    shared: Arc<Shared>,
    kind: TunnelKind,
    local_port: u16,
    fixed_url: Option<String>,
    ready_marker: Option<String>,
}

impl Watch {
    fn url_in(&self, line: &str) -> Option<String> {
        match (&self.fixed_url, &self.ready_marker) {
            (Some(url), Some(marker)) => line.contains(marker.as_str()).then(|| url.clone()),
            (Some(_), None) => None,
            (None, _) => public_url_in(self.kind, line, self.local_port),
        }
    }

    fn next(&mut self, wait: Duration) -> Seen {
        if self.disconnected {
            std::thread::sleep(wait);
        } else {
            match self.lines.recv_timeout(wait) {
                Ok(line) => {
                    self.shared.push_tail(&line);
                    return match self.url_in(&line) {
                        Some(u) => Seen::Url(u),
                        None => Seen::Nothing,
                    };
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => self.disconnected = true,
            }
        }
        match self.shared.poll_exit() {
            Some(code) => Seen::Exited(code),
            None => Seen::Nothing,
        }
    }

    /// Keeps the last lines a process printed as it exited.
    fn drain(&mut self, within: Duration) {
        let deadline = Instant::now() + within;
        while !self.disconnected {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            match self.lines.recv_timeout(left) {
                Ok(line) => self.shared.push_tail(&line),
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => self.disconnected = true,
            }
        }
    }
}

fn spawn_reader(stream: impl Read + Send + 'static, tx: mpsc::Sender<String>, name: &str) -> Result<()> {
    std::thread::Builder::new()
        .name(format!("wicket-tunnel-{name}"))
        .spawn(move || {
            let mut reader = BufReader::new(stream);
            let mut buf = Vec::new();
            loop {
                buf.clear();
                match reader.read_until(b'\n', &mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        let text = String::from_utf8_lossy(&buf);
                        for part in text.split('\r') {
                            let part = part.trim_end_matches('\n');
                            if !part.trim().is_empty() && tx.send(part.to_string()).is_err() {
                                return;
                            }
                        }
                    }
                }
            }
        })
        .map(|_| ())
        .map_err(|e| Error::io("cannot start a thread to read the tunnel's output", e))
}

/// A running tunnel tool. [`Tunnel::stop`], or dropping it, kills the
/// process and waits for it.
pub struct Tunnel {
    kind: TunnelKind,
    name: String,
    stable: bool,
    pid: u32,
    shared: Arc<Shared>,
    events: Option<UnboundedReceiver<TunnelEvent>>,
    monitor: Option<JoinHandle<()>>,
}

impl fmt::Debug for Tunnel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tunnel")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("pid", &self.pid)
            .field("public_url", &self.public_url())
            .field("stable", &self.stable)
            .finish()
    }
}

impl Tunnel {
    /// Starts `spec` for a listener on `local_port` and waits (blocking, up
    /// to `timeout`) for the public URL it reports. Errors: the tool is not
    /// installed ([`Error::NotFound`]); it exited first (code
    /// `tunnel_exited`) or printed no URL in time (`tunnel_timeout`), both
    /// [`Error::Provider`] with its last lines of output. From async code,
    /// use [`Tunnel::start_async`].
    pub fn start(spec: &TunnelSpec, local_port: u16, timeout: Duration) -> Result<Tunnel> {
        let name = spec.name();
        let program = resolve_program(&spec.program).ok_or_else(|| not_installed(spec))?;
        let mut cmd = Command::new(&program);
        cmd.args(spec.args_for(local_port)).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => not_installed(spec),
            _ => Error::io(format!("cannot start {name}"), e),
        })?;
        let pid = child.id();
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();
        let shared = Arc::new(Shared {
            child: Mutex::new(child),
            exit: Mutex::new(None),
            tail: Mutex::new(VecDeque::with_capacity(TAIL_LINES)),
            url: Mutex::new(String::new()),
            stopping: AtomicBool::new(false),
        });
        let (events_tx, events_rx) = unbounded_channel();
        // From here on, dropping `tunnel` (any early return) kills the process.
        let mut tunnel =
            Tunnel { kind: spec.kind, name: name.clone(), stable: spec.stable, pid, shared: shared.clone(), events: Some(events_rx), monitor: None };
        let (tx, rx) = mpsc::channel();
        if let Some(out) = stdout {
            spawn_reader(out, tx.clone(), "stdout")?;
        }
        if let Some(err) = stderr {
            spawn_reader(err, tx, "stderr")?;
        }
        let mut watch = Watch {
            lines: rx,
            disconnected: false,
            shared: shared.clone(),
            kind: spec.kind,
            local_port,
            fixed_url: spec.fixed_url.clone(),
            ready_marker: spec.ready_marker.clone(),
        };
        let started = Instant::now();
        let deadline = started + timeout;
        let url = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                tunnel.stop();
                return Err(tunnel_error(
                    "tunnel_timeout",
                    format!("{name} did not report a public address within {} s. Its last output:\n{}", timeout.as_secs_f32(), shared.tail_text()),
                ));
            }
            match watch.next(left.min(POLL)) {
                Seen::Url(u) => break u,
                Seen::Exited(code) => {
                    watch.drain(Duration::from_millis(500));
                    let code = code.map(|c| format!("code {c}")).unwrap_or_else(|| "a signal".into());
                    return Err(tunnel_error(
                        "tunnel_exited",
                        format!("{name} stopped ({code}) before reporting a public address. Its last output:\n{}", shared.tail_text()),
                    ));
                }
                Seen::Nothing => {}
            }
            if let (Some(url), None) = (&spec.fixed_url, &spec.ready_marker) {
                if started.elapsed() >= FIXED_URL_GRACE.min(timeout) {
                    break url.clone();
                }
            }
        };
        *lock(&shared.url) = url.clone();
        let host = url::Url::parse(&url).ok().and_then(|u| u.host_str().map(str::to_string)).unwrap_or_default();
        tracing::info!(kind = ?spec.kind, pid, host, stable = spec.stable, "tunnel started");
        let monitor = std::thread::Builder::new()
            .name("wicket-tunnel-watch".into())
            .spawn(move || monitor(watch, events_tx))
            .map_err(|e| Error::io("cannot start the tunnel watcher thread", e))?;
        tunnel.monitor = Some(monitor);
        Ok(tunnel)
    }

    /// [`Tunnel::start`] on a blocking thread.
    pub async fn start_async(spec: TunnelSpec, local_port: u16, timeout: Duration) -> Result<Tunnel> {
        tokio::task::spawn_blocking(move || Tunnel::start(&spec, local_port, timeout))
            .await
            .map_err(|e| Error::Internal(format!("the tunnel start was interrupted: {e}")))?
    }

    /// The current public base URL (no trailing slash).
    pub fn public_url(&self) -> String {
        lock(&self.shared.url).clone()
    }

    /// Whether the URL stays the same across starts.
    pub fn is_stable(&self) -> bool {
        self.stable
    }

    pub fn kind(&self) -> TunnelKind {
        self.kind
    }

    /// The process id of the tool.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The events channel ([`TunnelEvent`]); `None` once taken.
    pub fn take_events(&mut self) -> Option<UnboundedReceiver<TunnelEvent>> {
        self.events.take()
    }

    /// The tool's last lines of output, scrubbed.
    pub fn recent_output(&self) -> Vec<String> {
        lock(&self.shared.tail).iter().cloned().collect()
    }

    /// `Some(code)` once the tool has exited.
    pub fn exit_status(&self) -> Option<Option<i32>> {
        self.shared.poll_exit()
    }

    /// Kills the tool and waits for it and for the watcher. Idempotent; no
    /// [`TunnelEvent::Exited`] is sent for a stop asked for.
    pub fn stop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        self.shared.kill();
        if let Some(h) = self.monitor.take() {
            if h.join().is_err() {
                tracing::error!("the tunnel watcher thread panicked");
            }
            tracing::info!(tool = %self.name, pid = self.pid, "tunnel stopped");
        }
    }
}

impl Drop for Tunnel {
    fn drop(&mut self) {
        self.stop();
    }
}

/// After the start: reports new URLs and an exit nobody asked for.
fn monitor(mut watch: Watch, events: UnboundedSender<TunnelEvent>) {
    let shared = watch.shared.clone();
    while !shared.stopping.load(Ordering::SeqCst) {
        match watch.next(POLL) {
            Seen::Url(u) => {
                let changed = {
                    let mut current = lock(&shared.url);
                    if *current != u {
                        *current = u.clone();
                        true
                    } else {
                        false
                    }
                };
                if changed {
                    tracing::info!("the tunnel reported a new public address");
                    let _ = events.send(TunnelEvent::UrlChanged(u));
                }
            }
            Seen::Exited(code) => {
                watch.drain(Duration::from_millis(300));
                if !shared.stopping.load(Ordering::SeqCst) {
                    tracing::warn!(?code, "the tunnel exited");
                    let _ = events.send(TunnelEvent::Exited(code));
                }
                return;
            }
            Seen::Nothing => {}
        }
    }
}
