//! A public address for the webhook listener: finds an installed tunnel tool
//! (cloudflared, ngrok, Tailscale Funnel), starts it for the listener's
//! local port, reads the public URL it reports, registers the webhook URL
//! with the provider where the provider's API allows it (or says exactly
//! what to paste where), and checks the whole path end to end.
//!
//! Meta and WASender deliver inbound messages only to a public HTTPS
//! address, which a desktop behind a home router does not have. A tunnel
//! tool gives it one: [`detect`] looks the tools up on `PATH` (no network),
//! a [`TunnelSpec`] says how to start one (its executable can be overridden),
//! and [`Tunnel::start`] runs it with its output piped and read on threads,
//! returns once the first public URL appears, and keeps watching: a new URL
//! or the tool's exit is reported as a [`TunnelEvent`]. Stopping (or
//! dropping) a [`Tunnel`] kills the process and waits for it.
//! [`TunnelSupervisor`] registers every account's webhook URL
//! ([`webhook_url`]) through a per-account [`Registrar`] (Meta's is
//! [`meta_registrar`]) and registers again whenever the URL changes.
//! [`self_check_meta`] proves the public URL reaches this listener: `/health`,
//! the verification handshake, and a signed test event that stores nothing
//! but a webhook log row.
//!
//! Rules kept here: no secret and no URL with a query string is logged; the
//! tool's output kept for error messages is scrubbed of query strings and
//! `token=`-like values; a verify token appears only in the text the owner
//! must paste ([`Registration::ManualStepNeeded`], whose `Debug` withholds it).

use crate::error::{Error, ErrorKind, ProviderError, Result};
use crate::model::Provider;
use crate::providers::meta::MetaClient;
use crate::secrets::{Secret, SecretName, SecretStore};
use crate::store::Account;
use crate::webhook::{meta_signature, META_SIGNATURE_HEADER};
use serde::Serialize;
use std::collections::VecDeque;
use std::ffi::OsStr;
use std::fmt;
use std::future::Future;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

/// How often the watcher looks at the process when no output arrives.
const POLL: Duration = Duration::from_millis(100);
/// Output lines kept for error messages.
const TAIL_LINES: usize = 12;
/// Longest output line kept (characters).
const MAX_LINE_CHARS: usize = 400;
/// How long a tool with a known URL and no readiness line must survive.
const FIXED_URL_GRACE: Duration = Duration::from_secs(2);
/// Timeouts of the self check's requests.
const CHECK_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const CHECK_TOTAL_TIMEOUT: Duration = Duration::from_secs(20);

/// What the wizard says about a URL that stays the same.
pub const STABLE_URL_NOTE: &str = "This address stays the same every time the tunnel starts, so the provider keeps \
delivering to it: messages that arrive while this computer is off or offline are delivered once it is back \
(Meta keeps retrying for up to 7 days).";

/// What the wizard says about a URL that changes at every start.
pub const CHANGING_URL_NOTE: &str = "This address changes every time the tunnel starts. Wicket registers the new \
address with the provider where it can, but whatever the provider is still retrying goes to the old address and \
is lost (Meta retries for up to 7 days, always to the address it first tried). Prefer a stable address: a named \
Cloudflare tunnel, an ngrok reserved domain or Tailscale Funnel.";

/// The plain explanation for the UI of what a stable or changing URL means.
pub fn url_explanation(stable: bool) -> &'static str {
    if stable {
        STABLE_URL_NOTE
    } else {
        CHANGING_URL_NOTE
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

// ---------------------------------------------------------------------------
// Kinds, specs and detection
// ---------------------------------------------------------------------------

/// A way to get a public address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TunnelKind {
    /// `cloudflared tunnel --url …`: no account needed, a new
    /// `https://*.trycloudflare.com` address at every start.
    CloudflaredQuick,
    /// `cloudflared tunnel run NAME`: a tunnel created in a Cloudflare
    /// account with a hostname routed to it; the address is stable.
    CloudflaredNamed,
    /// `ngrok http PORT`: random address, or stable with a reserved domain.
    Ngrok,
    /// `tailscale funnel PORT`: `https://<machine>.<tailnet>.ts.net`, stable.
    TailscaleFunnel,
    /// Any other program that prints its public URL (tests, relays).
    Custom,
}

impl TunnelKind {
    /// The executable looked up on `PATH`.
    pub fn program(self) -> &'static str {
        match self {
            TunnelKind::CloudflaredQuick | TunnelKind::CloudflaredNamed => "cloudflared",
            TunnelKind::Ngrok => "ngrok",
            TunnelKind::TailscaleFunnel => "tailscale",
            TunnelKind::Custom => "tunnel",
        }
    }

    /// How the UI names it.
    pub fn label(self) -> &'static str {
        match self {
            TunnelKind::CloudflaredQuick => "Cloudflare quick tunnel",
            TunnelKind::CloudflaredNamed => "Cloudflare named tunnel",
            TunnelKind::Ngrok => "ngrok",
            TunnelKind::TailscaleFunnel => "Tailscale Funnel",
            TunnelKind::Custom => "the tunnel program",
        }
    }

    /// Where to get the tool.
    pub fn install_hint(self) -> &'static str {
        match self {
            TunnelKind::CloudflaredQuick | TunnelKind::CloudflaredNamed => {
                "install cloudflared from https://developers.cloudflare.com/cloudflare-one/connections/connect-networks/downloads/"
            }
            TunnelKind::Ngrok => "install ngrok from https://ngrok.com/download and run `ngrok config add-authtoken …` once",
            TunnelKind::TailscaleFunnel => "install Tailscale from https://tailscale.com/download and enable Funnel for this machine",
            TunnelKind::Custom => "check the program's path",
        }
    }
}

/// How to start one tunnel. `{port}` in `args` becomes the listener's local
/// port and `{local_url}` becomes `http://127.0.0.1:{port}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TunnelSpec {
    pub kind: TunnelKind,
    /// A bare name is looked up on `PATH`; a path is used as is.
    pub program: PathBuf,
    pub args: Vec<String>,
    /// Whether the public URL stays the same across starts.
    pub stable: bool,
    /// The public URL when it is known beforehand (a named tunnel's
    /// hostname): URLs in the output are then not read.
    pub fixed_url: Option<String>,
    /// With `fixed_url`: the output fragment that says the tunnel is up.
    /// Without one, a tool that is still running after two seconds is up.
    pub ready_marker: Option<String>,
}

fn one_word(value: &str, what: &str) -> Result<String> {
    let v = value.trim();
    if v.is_empty() || v.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::Invalid(format!("invalid {what} {value:?}: it is one word, without spaces")));
    }
    Ok(v.to_string())
}

/// `example.com`, `https://example.com/` → `example.com`.
fn bare_host(value: &str, what: &str) -> Result<String> {
    let v = value.trim();
    let v = v.strip_prefix("https://").or_else(|| v.strip_prefix("http://")).unwrap_or(v).trim_end_matches('/');
    let v = one_word(v, what)?;
    if v.contains('/') || v.contains('?') || v.contains('#') {
        return Err(Error::Invalid(format!("invalid {what} {value:?}: give the host name only, e.g. inbox.example.com")));
    }
    Ok(v)
}

impl TunnelSpec {
    /// A Cloudflare quick tunnel (no account; the URL changes every start).
    pub fn cloudflared_quick() -> TunnelSpec {
        TunnelSpec {
            kind: TunnelKind::CloudflaredQuick,
            program: PathBuf::from("cloudflared"),
            args: ["tunnel", "--no-autoupdate", "--url", "{local_url}"].map(String::from).to_vec(),
            stable: false,
            fixed_url: None,
            ready_marker: None,
        }
    }

    /// A named Cloudflare tunnel `name` whose DNS route is `hostname`
    /// (`cloudflared tunnel route dns NAME HOSTNAME` done once): stable.
    pub fn cloudflared_named(name: &str, hostname: &str) -> Result<TunnelSpec> {
        let name = one_word(name, "tunnel name")?;
        let host = bare_host(hostname, "tunnel hostname")?;
        Ok(TunnelSpec {
            kind: TunnelKind::CloudflaredNamed,
            program: PathBuf::from("cloudflared"),
            args: vec!["tunnel".into(), "--no-autoupdate".into(), "run".into(), "--url".into(), "{local_url}".into(), name],
            stable: true,
            fixed_url: Some(format!("https://{host}")),
            ready_marker: Some("Registered tunnel connection".into()),
        })
    }

    /// ngrok, with a reserved domain (stable) or without (a random URL).
    pub fn ngrok(reserved_domain: Option<&str>) -> Result<TunnelSpec> {
        let mut args: Vec<String> = ["http", "{port}", "--log", "stdout", "--log-format", "json"].map(String::from).to_vec();
        let domain = reserved_domain.map(str::trim).filter(|d| !d.is_empty()).map(|d| bare_host(d, "ngrok domain")).transpose()?;
        if let Some(d) = &domain {
            args.push("--url".into());
            args.push(format!("https://{d}"));
        }
        Ok(TunnelSpec { kind: TunnelKind::Ngrok, program: PathBuf::from("ngrok"), args, stable: domain.is_some(), fixed_url: None, ready_marker: None })
    }

    /// Tailscale Funnel (stable: the machine's `ts.net` name).
    pub fn tailscale_funnel() -> TunnelSpec {
        TunnelSpec {
            kind: TunnelKind::TailscaleFunnel,
            program: PathBuf::from("tailscale"),
            args: vec!["funnel".into(), "{port}".into()],
            stable: true,
            fixed_url: None,
            ready_marker: None,
        }
    }

    /// Any program that prints its public URL (any `http(s)://` URL other
    /// than the listener's own; `https` preferred).
    pub fn custom(program: impl Into<PathBuf>, args: Vec<String>, stable: bool) -> TunnelSpec {
        TunnelSpec { kind: TunnelKind::Custom, program: program.into(), args, stable, fixed_url: None, ready_marker: None }
    }

    /// The same spec with another executable (a path or a name on `PATH`).
    pub fn with_program(mut self, program: impl Into<PathBuf>) -> TunnelSpec {
        self.program = program.into();
        self
    }

    /// The arguments for a listener on `local_port`.
    pub fn args_for(&self, local_port: u16) -> Vec<String> {
        let local_url = format!("http://127.0.0.1:{local_port}");
        self.args.iter().map(|a| a.replace("{local_url}", &local_url).replace("{port}", &local_port.to_string())).collect()
    }

    fn name(&self) -> String {
        match self.kind {
            TunnelKind::Custom => {
                let n = self.program.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                if n.is_empty() {
                    "the tunnel program".into()
                } else {
                    n
                }
            }
            k => k.program().to_string(),
        }
    }
}

/// A tunnel tool found on `PATH`, and the kinds of tunnel it can run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstalledTool {
    pub program: &'static str,
    pub path: PathBuf,
    pub kinds: Vec<TunnelKind>,
}

/// The tunnel tools installed on this machine (a `PATH` lookup, no network,
/// nothing started).
pub fn detect() -> Vec<InstalledTool> {
    detect_in(std::env::var_os("PATH").as_deref())
}

/// [`detect`] with an explicit `PATH` value.
pub fn detect_in(path_var: Option<&OsStr>) -> Vec<InstalledTool> {
    let tools: [(&'static str, &[TunnelKind]); 3] = [
        ("cloudflared", &[TunnelKind::CloudflaredQuick, TunnelKind::CloudflaredNamed]),
        ("ngrok", &[TunnelKind::Ngrok]),
        ("tailscale", &[TunnelKind::TailscaleFunnel]),
    ];
    tools
        .into_iter()
        .filter_map(|(program, kinds)| find_on_path(OsStr::new(program), path_var).map(|path| InstalledTool { program, path, kinds: kinds.to_vec() }))
        .collect()
}

/// The spec to offer first among the installed tools: stable before
/// changing (Funnel), then the account-free Cloudflare quick tunnel, then ngrok.
pub fn suggested_spec(installed: &[InstalledTool]) -> Option<TunnelSpec> {
    let has = |p: &str| installed.iter().find(|t| t.program == p);
    if let Some(t) = has("tailscale") {
        return Some(TunnelSpec::tailscale_funnel().with_program(&t.path));
    }
    if let Some(t) = has("cloudflared") {
        return Some(TunnelSpec::cloudflared_quick().with_program(&t.path));
    }
    has("ngrok").and_then(|t| TunnelSpec::ngrok(None).ok().map(|s| s.with_program(&t.path)))
}

fn is_executable(p: &Path) -> bool {
    match std::fs::metadata(p) {
        Ok(m) if m.is_file() => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                m.permissions().mode() & 0o111 != 0
            }
            #[cfg(not(unix))]
            {
                true
            }
        }
        _ => false,
    }
}

fn find_on_path(name: &OsStr, path_var: Option<&OsStr>) -> Option<PathBuf> {
    let path_var = path_var?;
    let exts: &[&str] = if cfg!(windows) { &["", ".exe", ".cmd", ".bat"] } else { &[""] };
    for dir in std::env::split_paths(path_var) {
        if dir.as_os_str().is_empty() {
            continue;
        }
        for ext in exts {
            let mut file = name.to_os_string();
            file.push(ext);
            let candidate = dir.join(&file);
            if is_executable(&candidate) {
                return Some(candidate);
            }
        }
    }
    None
}

/// The executable to run: a path as is (if it exists), a bare name from `PATH`.
fn resolve_program(program: &Path) -> Option<PathBuf> {
    if program.components().count() > 1 || program.is_absolute() {
        return is_executable(program).then(|| program.to_path_buf());
    }
    find_on_path(program.as_os_str(), std::env::var_os("PATH").as_deref())
}

fn not_installed(spec: &TunnelSpec) -> Error {
    let program = spec.program.display();
    let where_ = if spec.program.components().count() > 1 {
        format!("{program} does not exist or is not executable")
    } else {
        format!("{program} was not found on PATH")
    };
    Error::NotFound(format!("{} is not installed: {where_}; {}", spec.kind.label(), spec.kind.install_hint()))
}

fn tunnel_error(code: &str, message: String) -> Error {
    Error::Provider(ProviderError { code: Some(code.into()), kind: ErrorKind::Unavailable, message, retry_after: None })
}

// ---------------------------------------------------------------------------
// Reading URLs out of a tool's output
// ---------------------------------------------------------------------------

fn url_end(c: char) -> bool {
    c.is_whitespace() || "\"'<>|()[]{},;`\\".contains(c)
}

/// Every `http(s)://` URL in a line, in order.
fn url_tokens(line: &str) -> Vec<url::Url> {
    let mut out = vec![];
    let mut rest = line;
    while let Some(start) = rest.find("http://").into_iter().chain(rest.find("https://")).min() {
        let tail = &rest[start..];
        let end = tail.find(url_end).unwrap_or(tail.len());
        let token = tail[..end].trim_end_matches(['.', ':', '!']);
        if let Ok(u) = url::Url::parse(token) {
            if matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty()) {
                out.push(u);
            }
        }
        rest = &tail[end.max(1)..];
    }
    out
}

/// `scheme://host[:port][/path]` without a trailing slash, query or fragment.
fn normalize(u: &url::Url) -> String {
    let host = u.host_str().unwrap_or_default();
    let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
    let path = u.path().trim_end_matches('/');
    format!("{}://{host}{port}{path}", u.scheme())
}

fn is_loopback(u: &url::Url) -> bool {
    match u.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback() || ip.is_unspecified(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback() || ip.is_unspecified(),
        None => false,
    }
}

fn host_ends_with(u: &url::Url, suffixes: &[&str]) -> bool {
    let host = u.host_str().unwrap_or_default().to_ascii_lowercase();
    suffixes.iter().any(|s| host.ends_with(s))
}

/// The public URL a line of `kind`'s output announces, if any.
pub(crate) fn public_url_in(kind: TunnelKind, line: &str, local_port: u16) -> Option<String> {
    let https_public = |u: &url::Url| u.scheme() == "https" && !is_loopback(u);
    match kind {
        TunnelKind::CloudflaredQuick => url_tokens(line)
            .into_iter()
            .find(|u| {
                https_public(u) && host_ends_with(u, &[".trycloudflare.com"]) && !u.host_str().is_some_and(|h| h.eq_ignore_ascii_case("api.trycloudflare.com"))
            })
            .map(|u| normalize(&u)),
        TunnelKind::CloudflaredNamed => None,
        TunnelKind::Ngrok => {
            if let Ok(serde_json::Value::Object(obj)) = serde_json::from_str::<serde_json::Value>(line.trim()) {
                let url = obj.get("url").and_then(|v| v.as_str()).and_then(|s| url::Url::parse(s).ok());
                return url.filter(https_public).map(|u| normalize(&u));
            }
            let ngrok_hosts = [".ngrok-free.app", ".ngrok-free.dev", ".ngrok.app", ".ngrok.dev", ".ngrok.io"];
            url_tokens(line).into_iter().find(|u| https_public(u) && host_ends_with(u, &ngrok_hosts)).map(|u| normalize(&u))
        }
        TunnelKind::TailscaleFunnel => url_tokens(line).into_iter().find(|u| https_public(u) && host_ends_with(u, &[".ts.net"])).map(|u| normalize(&u)),
        TunnelKind::Custom => {
            let candidates: Vec<url::Url> =
                url_tokens(line).into_iter().filter(|u| !(is_loopback(u) && u.port_or_known_default() == Some(local_port))).collect();
            let best = candidates.iter().find(|u| u.scheme() == "https").or_else(|| candidates.first());
            best.map(normalize)
        }
    }
}

const SENSITIVE: [&str; 9] = ["token", "secret", "password", "passwd", "apikey", "api_key", "api-key", "authorization", "bearer"];

/// A line of tool output made safe to show: URL query strings dropped,
/// `token=…`-like values redacted, long lines cut.
pub(crate) fn scrub_line(line: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    let mut redact_next = false;
    for word in line.split(' ') {
        let mut w = word.to_string();
        if redact_next && !w.is_empty() {
            redact_next = false;
            words.push("<redacted>".into());
            continue;
        }
        // URL queries can carry tokens: keep the address, drop the query.
        if let Some(scheme) = w.find("://") {
            if let Some(q) = w[scheme..].find('?') {
                let cut = scheme + q;
                let end = w[cut..].find(|c: char| "\"'<>|)]},;`".contains(c)).map(|e| cut + e).unwrap_or(w.len());
                w.replace_range(cut..end, "?…");
            }
        }
        let lower = w.to_ascii_lowercase();
        if let Some(pos) = SENSITIVE.iter().filter_map(|k| lower.find(k).map(|p| p + k.len())).min() {
            if let Some(sep) = w[pos..].find(['=', ':']) {
                let keep = pos + sep + 1;
                let keep = keep + w[keep..].chars().take_while(|c| *c == '"' || *c == ' ').map(char::len_utf8).sum::<usize>();
                if keep < w.len() {
                    w.truncate(keep);
                    w.push_str("<redacted>");
                } else {
                    // `password: hunter2`: the value is the next word.
                    redact_next = true;
                }
            }
        }
        words.push(w);
    }
    let joined = words.join(" ");
    if joined.chars().count() > MAX_LINE_CHARS {
        let mut cut: String = joined.chars().take(MAX_LINE_CHARS).collect();
        cut.push('…');
        cut
    } else {
        joined
    }
}

// ---------------------------------------------------------------------------
// The running tunnel
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// Webhook URLs and registration
// ---------------------------------------------------------------------------

/// `{base}/webhooks/{provider}/{account_id}`: the listener's route.
pub fn webhook_url(public_base: &str, provider: &str, account_id: i64) -> String {
    format!("{}/webhooks/{provider}/{account_id}", public_base.trim().trim_end_matches('/'))
}

/// How registering one account's webhook URL ended.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Registration {
    /// The provider now delivers to the URL.
    Registered,
    /// The provider's API did not take it: the owner pastes it by hand.
    /// `what_to_paste_where` may hold a verify token (shown to the owner,
    /// never logged: `Debug` withholds it).
    ManualStepNeeded { why: String, what_to_paste_where: String },
    /// Could not be done now (network, missing settings): the reason.
    Failed(String),
}

impl fmt::Debug for Registration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Registration::Registered => f.write_str("Registered"),
            Registration::ManualStepNeeded { why, .. } => {
                f.debug_struct("ManualStepNeeded").field("why", why).field("what_to_paste_where", &"<withheld>").finish()
            }
            Registration::Failed(reason) => f.debug_tuple("Failed").field(reason).finish(),
        }
    }
}

impl Registration {
    pub fn is_registered(&self) -> bool {
        matches!(self, Registration::Registered)
    }

    fn label(&self) -> &'static str {
        match self {
            Registration::Registered => "registered",
            Registration::ManualStepNeeded { .. } => "manual_step_needed",
            Registration::Failed(_) => "failed",
        }
    }
}

/// One account's registration outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountRegistration {
    pub account_id: i64,
    pub account_name: String,
    pub provider: Provider,
    pub webhook_url: String,
    pub outcome: Registration,
}

/// A registration step's future.
pub type RegisterFuture = Pin<Box<dyn Future<Output = Registration> + Send + 'static>>;

/// Registers one account's webhook URL (the account, the full webhook URL).
/// Compose per provider, e.g.
/// `Arc::new(move |a, url| match a.provider { Provider::Meta => meta(a, url), _ => … })`.
pub type Registrar = Arc<dyn Fn(Account, String) -> RegisterFuture + Send + Sync>;

/// Registers every account's webhook URL under `public_base`, one after the
/// other, and says how each went. Filter out disabled accounts first.
pub async fn register_all(accounts: &[Account], public_base: &str, register: &Registrar) -> Vec<AccountRegistration> {
    let mut out = Vec::with_capacity(accounts.len());
    for account in accounts {
        let url = webhook_url(public_base, account.provider.as_str(), account.id);
        let outcome = register(account.clone(), url.clone()).await;
        tracing::info!(account = account.id, provider = %account.provider, outcome = outcome.label(), "webhook URL registration");
        out.push(AccountRegistration { account_id: account.id, account_name: account.name.clone(), provider: account.provider, webhook_url: url, outcome });
    }
    out
}

/// Where a Meta callback URL is set by hand, word for word.
pub fn meta_manual_step(callback_url: &str, verify_token: &Secret) -> String {
    format!(
        "In Meta's App Dashboard → WhatsApp → Configuration, set Callback URL to {callback_url} and Verify token to {}, \
press \"Verify and save\", then subscribe to the \"messages\" webhook field.",
        verify_token.expose()
    )
}

/// Registers `{public_base}/webhooks/meta/{id}` as the account's phone
/// number callback override (see [`MetaClient::register_callback_override`]).
pub async fn register_meta(secrets: &SecretStore, account: &Account, public_base: &str) -> Registration {
    let url = webhook_url(public_base, Provider::Meta.as_str(), account.id);
    register_meta_at(secrets.clone(), account.clone(), url).await
}

/// The [`Registrar`] for Meta accounts (any other provider: `Failed`).
pub fn meta_registrar(secrets: SecretStore) -> Registrar {
    Arc::new(move |account: Account, url: String| -> RegisterFuture { Box::pin(register_meta_at(secrets.clone(), account, url)) })
}

async fn register_meta_at(secrets: SecretStore, account: Account, callback_url: String) -> Registration {
    if account.provider != Provider::Meta {
        return Registration::Failed(format!("account {} is a {} account, not a Meta one", account.id, account.provider));
    }
    let id = account.id;
    // The secret store blocks (keychain, vault): off the runtime.
    let loaded = tokio::task::spawn_blocking(move || {
        let token = secrets.get_opt(account.id, SecretName::VerifyToken);
        let client = MetaClient::for_account(&account, &secrets);
        (token, client)
    })
    .await;
    let (token, client) = match loaded {
        Ok(x) => x,
        Err(e) => return Registration::Failed(format!("could not read account {id}'s secrets: {e}")),
    };
    let token = match token {
        Ok(Some(t)) if !t.is_empty() => t,
        Ok(_) => {
            return Registration::Failed(format!(
                "no verify token is stored for account {id}: set one in the account's settings (any long random text), then register again"
            ))
        }
        Err(e) => return Registration::Failed(format!("could not read account {id}'s verify token: {e}")),
    };
    let manual = |why: String| Registration::ManualStepNeeded { why, what_to_paste_where: meta_manual_step(&callback_url, &token) };
    let client = match client {
        Ok(c) => c,
        Err(e) => return manual(format!("Wicket cannot call Meta's API for account {id}: {e}")),
    };
    match client.register_callback_override(&callback_url, &token).await {
        Ok(()) => Registration::Registered,
        Err(e) => match e.provider_error() {
            Some(pe) if pe.kind.is_retryable() => Registration::Failed(format!("Meta could not be reached: {}", pe.message)),
            _ => manual(format!("Meta did not accept the callback URL through its API: {e}")),
        },
    }
}

/// What a [`TunnelSupervisor`] tells its owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SupervisorReport {
    /// The accounts were registered (at the start, then after each URL change).
    Registered { public_base: String, results: Vec<AccountRegistration> },
    /// The tool exited by itself: the address is gone until it is started again.
    TunnelExited(Option<i32>),
}

/// Keeps a tunnel's URL registered: registers every account at the start
/// and again whenever the tunnel reports a new URL. Stops the tunnel when
/// stopped or dropped.
pub struct TunnelSupervisor {
    tunnel: Tunnel,
    task: Option<tokio::task::JoinHandle<()>>,
    reports: UnboundedReceiver<SupervisorReport>,
}

impl fmt::Debug for TunnelSupervisor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TunnelSupervisor").field("tunnel", &self.tunnel).finish()
    }
}

impl TunnelSupervisor {
    /// Takes over `tunnel` (and its events) and starts registering on the
    /// current Tokio runtime.
    pub fn start(mut tunnel: Tunnel, accounts: Vec<Account>, register: Registrar) -> Result<TunnelSupervisor> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| Error::Internal("the tunnel supervisor needs a Tokio runtime".into()))?;
        let events = tunnel.take_events();
        let first = tunnel.public_url();
        let (tx, reports) = unbounded_channel();
        let task = runtime.spawn(async move {
            let mut current = first;
            let results = register_all(&accounts, &current, &register).await;
            if tx.send(SupervisorReport::Registered { public_base: current.clone(), results }).is_err() {
                return;
            }
            let Some(mut events) = events else { return };
            while let Some(event) = events.recv().await {
                let mut latest = None;
                let mut exited = None;
                let mut handle = |e: TunnelEvent| match e {
                    TunnelEvent::UrlChanged(u) => latest = Some(u),
                    TunnelEvent::Exited(code) => exited = Some(code),
                };
                handle(event);
                // Several changes in a row: register only the last URL.
                while let Ok(more) = events.try_recv() {
                    handle(more);
                }
                if let Some(u) = latest.filter(|u| *u != current) {
                    current = u;
                    let results = register_all(&accounts, &current, &register).await;
                    if tx.send(SupervisorReport::Registered { public_base: current.clone(), results }).is_err() {
                        return;
                    }
                }
                if let Some(code) = exited {
                    let _ = tx.send(SupervisorReport::TunnelExited(code));
                    return;
                }
            }
        });
        Ok(TunnelSupervisor { tunnel, task: Some(task), reports })
    }

    /// The next report; `None` once the supervisor has nothing more to say.
    pub async fn next_report(&mut self) -> Option<SupervisorReport> {
        self.reports.recv().await
    }

    /// Hands the reports still to come to someone else (the window forwards
    /// them as they arrive) while this value keeps owning the tunnel;
    /// `next_report` answers `None` afterwards.
    pub fn take_reports(&mut self) -> UnboundedReceiver<SupervisorReport> {
        let (_, empty) = unbounded_channel();
        std::mem::replace(&mut self.reports, empty)
    }

    pub fn tunnel(&self) -> &Tunnel {
        &self.tunnel
    }

    pub fn public_url(&self) -> String {
        self.tunnel.public_url()
    }

    /// Stops registering and stops the tunnel.
    pub fn stop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
        self.tunnel.stop();
    }
}

impl Drop for TunnelSupervisor {
    fn drop(&mut self) {
        self.stop();
    }
}

// ---------------------------------------------------------------------------
// End-to-end self check
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Passed,
    Failed,
    /// Not tried: an earlier step showed it could not work.
    Skipped,
}

/// One step of a self check and a readable reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckStep {
    /// [`STEP_HEALTH`], [`STEP_HANDSHAKE`] or [`STEP_SIGNED_EVENT`].
    pub name: &'static str,
    pub status: StepStatus,
    pub detail: String,
}

pub const STEP_HEALTH: &str = "health";
pub const STEP_HANDSHAKE: &str = "handshake";
pub const STEP_SIGNED_EVENT: &str = "signed_event";

/// The result of [`self_check_meta`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SelfCheck {
    pub public_base: String,
    pub steps: Vec<CheckStep>,
}

impl SelfCheck {
    /// Whether every step passed.
    pub fn passed(&self) -> bool {
        !self.steps.is_empty() && self.steps.iter().all(|s| s.status == StepStatus::Passed)
    }

    pub fn step(&self, name: &str) -> Option<&CheckStep> {
        self.steps.iter().find(|s| s.name == name)
    }

    /// One line per step, for a terminal or a log.
    pub fn summary(&self) -> String {
        self.steps
            .iter()
            .map(|s| {
                let mark = match s.status {
                    StepStatus::Passed => "ok",
                    StepStatus::Failed => "FAILED",
                    StepStatus::Skipped => "skipped",
                };
                format!("{}: {mark}: {}", s.name, s.detail)
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

fn step(name: &'static str, status: StepStatus, detail: impl Into<String>) -> CheckStep {
    CheckStep { name, status, detail: detail.into() }
}

fn random_hex(bytes: usize) -> String {
    use rand::RngCore;
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

fn transport_reason(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "no answer in time".into()
    } else if e.is_connect() {
        "the connection failed (is the tunnel running?)".into()
    } else {
        // Without the URL: it may carry the verify token.
        let mut msg = e.to_string();
        if let Some(u) = e.url() {
            msg = msg.replace(u.as_str(), "<url>");
        }
        msg
    }
}

fn listener_gone(status: u16) -> Option<String> {
    matches!(status, 502..=504 | 530).then(|| {
        format!("the tunnel answered HTTP {status}: it is up but cannot reach Wicket's listener (is the listener running on the port the tunnel forwards to?)")
    })
}

/// A Meta webhook body that Wicket stores in its webhook log and otherwise
/// ignores: one change with a field Wicket does not handle, and a nonce so
/// that it is never taken for a redelivery.
fn self_check_body() -> Vec<u8> {
    let body = serde_json::json!({
        "object": "whatsapp_business_account",
        "entry": [{
            "id": "wicket-self-check",
            "time": chrono::Utc::now().timestamp(),
            "changes": [{ "field": "wicket_self_check", "value": { "nonce": random_hex(12) } }]
        }]
    });
    body.to_string().into_bytes()
}

/// `GET {base}/health` answers Wicket's `{"status":"ok"}`.
async fn health_step(http: &reqwest::Client, base: &str) -> CheckStep {
    let health = match http.get(format!("{base}/health")).send().await {
        Err(e) => step(STEP_HEALTH, StepStatus::Failed, format!("cannot reach {base}: {}", transport_reason(&e))),
        Ok(resp) => {
            let status = resp.status().as_u16();
            let body: Option<serde_json::Value> = resp.json().await.ok();
            let ok = body.as_ref().and_then(|b| b.get("status")).and_then(|s| s.as_str()) == Some("ok");
            if status == 200 && ok {
                let version = body.as_ref().and_then(|b| b.get("version")).and_then(|v| v.as_str()).unwrap_or("?");
                let mut detail = format!("Wicket's listener (version {version}) answers at {base}");
                if base.starts_with("http://") {
                    detail.push_str("; note: this address is plain http, and Meta and WASender deliver only to https addresses");
                }
                step(STEP_HEALTH, StepStatus::Passed, detail)
            } else if let Some(reason) = listener_gone(status) {
                step(STEP_HEALTH, StepStatus::Failed, reason)
            } else {
                step(
                    STEP_HEALTH,
                    StepStatus::Failed,
                    format!("{base}/health answered HTTP {status}, not Wicket's listener: check that the tunnel forwards to Wicket's port"),
                )
            }
        }
    };
    health
}

/// `public_base` without a trailing slash, or why it is unusable.
fn check_base(public_base: &str) -> Result<String> {
    let base = public_base.trim().trim_end_matches('/').to_string();
    match url::Url::parse(&base) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty()) && u.query().is_none() => Ok(base),
        _ => Err(Error::Invalid(format!("{base:?} is not a public address: use the https://… address the tunnel reported"))),
    }
}

/// A WASender webhook body that Wicket stores in its webhook log and
/// otherwise ignores (an event it does not handle, with a nonce).
fn wasender_self_check_body() -> Vec<u8> {
    let body = serde_json::json!({
        "event": "wicket.self_check",
        "timestamp": chrono::Utc::now().timestamp(),
        "data": { "nonce": random_hex(12) }
    });
    body.to_string().into_bytes()
}

/// The WASender twin of [`self_check_meta`]: 1) `GET /health` answers
/// Wicket's `{"status":"ok"}`; 2) a test event carrying `webhook_secret` in
/// WASender's signature header, posted to `/webhooks/wasender/{account_id}`
/// over the public address, is accepted (it creates no message). WASender
/// has no verification handshake. Each step says why it failed.
pub async fn self_check_wasender(public_base: &str, account_id: i64, webhook_secret: &Secret) -> Result<SelfCheck> {
    let base = check_base(public_base)?;
    let http = crate::providers::http::client_with(CHECK_CONNECT_TIMEOUT, CHECK_TOTAL_TIMEOUT)?;
    let health = health_step(&http, &base).await;
    let reachable = health.status == StepStatus::Passed;
    let mut steps = vec![health];
    if !reachable {
        steps.push(step(STEP_SIGNED_EVENT, StepStatus::Skipped, "not tried: the public address does not reach Wicket's listener"));
        return Ok(SelfCheck { public_base: base, steps });
    }
    let hook = webhook_url(&base, Provider::Wasender.as_str(), account_id);
    let sent = http
        .post(&hook)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(crate::providers::wasender::SIGNATURE_HEADER, webhook_secret.expose())
        .body(wasender_self_check_body())
        .send()
        .await;
    let signed = match sent {
        Err(e) => step(STEP_SIGNED_EVENT, StepStatus::Failed, format!("the test event could not be sent: {}", transport_reason(&e))),
        Ok(resp) => match resp.status().as_u16() {
            200 => step(STEP_SIGNED_EVENT, StepStatus::Passed, "a signed test event was accepted and stored (in the webhook log only: it creates no message)"),
            401 | 403 => step(
                STEP_SIGNED_EVENT,
                StepStatus::Failed,
                format!("the listener refused the webhook secret: it is not the one stored for account {account_id}. Copy the secret from WASender → your session → Webhook into Wicket"),
            ),
            404 => step(STEP_SIGNED_EVENT, StepStatus::Failed, format!("this listener has no WASender account {account_id}")),
            503 => step(STEP_SIGNED_EVENT, StepStatus::Failed, "the listener cannot read the webhook secret: the secret store is locked or unavailable"),
            500 => step(STEP_SIGNED_EVENT, StepStatus::Failed, "the listener could not store the event: see Wicket's log"),
            s => step(STEP_SIGNED_EVENT, StepStatus::Failed, listener_gone(s).unwrap_or_else(|| format!("the test event was answered HTTP {s} instead of 200"))),
        },
    };
    steps.push(signed);
    let check = SelfCheck { public_base: base, steps };
    tracing::info!(passed = check.passed(), "WASender webhook self check finished");
    Ok(check)
}

/// Checks that `public_base` reaches this Wicket's listener for Meta
/// account `account_id`, over real HTTP: 1) `GET /health` answers Wicket's
/// `{"status":"ok"}`; 2) the verification handshake with `verify_token`
/// echoes a random challenge; 3) a test event signed with `app_secret` is
/// accepted (it creates no message). Each step says why it failed; `Err`
/// only for an unusable `public_base`. A quick tunnel can take a few
/// seconds to become reachable: run it again before giving up.
pub async fn self_check_meta(public_base: &str, account_id: i64, app_secret: &Secret, verify_token: &Secret) -> Result<SelfCheck> {
    let base = public_base.trim().trim_end_matches('/').to_string();
    match url::Url::parse(&base) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty()) && u.query().is_none() => {}
        _ => return Err(Error::Invalid(format!("{base:?} is not a public address: use the https://… address the tunnel reported"))),
    }
    let http = crate::providers::http::client_with(CHECK_CONNECT_TIMEOUT, CHECK_TOTAL_TIMEOUT)?;
    let mut steps = Vec::with_capacity(3);

    // 1) /health
    let health = health_step(&http, &base).await;
    let reachable = health.status == StepStatus::Passed;
    steps.push(health);
    if !reachable {
        let why = "not tried: the public address does not reach Wicket's listener";
        steps.push(step(STEP_HANDSHAKE, StepStatus::Skipped, why));
        steps.push(step(STEP_SIGNED_EVENT, StepStatus::Skipped, why));
        tracing::info!(passed = false, "webhook self check: the public address does not reach the listener");
        return Ok(SelfCheck { public_base: base, steps });
    }

    // 2) the verification handshake
    let hook = webhook_url(&base, Provider::Meta.as_str(), account_id);
    let challenge = random_hex(16);
    let handshake = match url::Url::parse(&hook) {
        Err(_) => step(STEP_HANDSHAKE, StepStatus::Failed, format!("cannot build the callback URL {hook}")),
        Ok(mut u) => {
            u.query_pairs_mut()
                .append_pair("hub.mode", "subscribe")
                .append_pair("hub.verify_token", verify_token.expose())
                .append_pair("hub.challenge", &challenge);
            match http.get(u).send().await {
                Err(e) => step(STEP_HANDSHAKE, StepStatus::Failed, format!("the handshake request failed: {}", transport_reason(&e))),
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let text = resp.text().await.unwrap_or_default();
                    match status {
                        200 if text == challenge => step(
                            STEP_HANDSHAKE,
                            StepStatus::Passed,
                            format!("the verification handshake at {hook} echoed the challenge: Meta can verify this callback URL"),
                        ),
                        200 => step(
                            STEP_HANDSHAKE,
                            StepStatus::Failed,
                            format!("{hook} answered 200 but not with the challenge: something other than Wicket answers there"),
                        ),
                        403 => step(
                            STEP_HANDSHAKE,
                            StepStatus::Failed,
                            format!(
                                "the listener refused the verify token: it is not the one stored for account {account_id}, so Meta would be refused the same way. Use the same verify token in Meta's dashboard and in Wicket"
                            ),
                        ),
                        404 => step(
                            STEP_HANDSHAKE,
                            StepStatus::Failed,
                            format!("this listener has no Meta account {account_id}: check the account id at the end of the callback URL"),
                        ),
                        503 => step(
                            STEP_HANDSHAKE,
                            StepStatus::Failed,
                            "the listener cannot read the verify token: the secret store is locked or unavailable",
                        ),
                        s => step(
                            STEP_HANDSHAKE,
                            StepStatus::Failed,
                            listener_gone(s).unwrap_or_else(|| format!("the handshake answered HTTP {s} instead of echoing the challenge")),
                        ),
                    }
                }
            }
        }
    };
    steps.push(handshake);

    // 3) a signed test event
    let body = self_check_body();
    let signature = meta_signature(app_secret.expose().as_bytes(), &body);
    let signed = match http
        .post(&hook)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(META_SIGNATURE_HEADER, signature)
        .body(body)
        .send()
        .await
    {
        Err(e) => step(STEP_SIGNED_EVENT, StepStatus::Failed, format!("the test event could not be sent: {}", transport_reason(&e))),
        Ok(resp) => match resp.status().as_u16() {
            200 => step(
                STEP_SIGNED_EVENT,
                StepStatus::Passed,
                "a signed test event was accepted and stored (in the webhook log only: it creates no message)",
            ),
            401 | 403 => step(
                STEP_SIGNED_EVENT,
                StepStatus::Failed,
                format!(
                    "the listener refused the signature: the app secret used here is not the one stored for account {account_id}. Meta signs with the App Secret from App Dashboard → App settings → Basic"
                ),
            ),
            404 => step(STEP_SIGNED_EVENT, StepStatus::Failed, format!("this listener has no Meta account {account_id}")),
            503 => step(
                STEP_SIGNED_EVENT,
                StepStatus::Failed,
                "the listener cannot read the app secret: the secret store is locked or unavailable",
            ),
            500 => step(STEP_SIGNED_EVENT, StepStatus::Failed, "the listener could not store the event: see Wicket's log"),
            s => step(
                STEP_SIGNED_EVENT,
                StepStatus::Failed,
                listener_gone(s).unwrap_or_else(|| format!("the test event was answered HTTP {s} instead of 200")),
            ),
        },
    };
    steps.push(signed);
    let check = SelfCheck { public_base: base, steps };
    tracing::info!(passed = check.passed(), "webhook self check finished");
    Ok(check)
}

/// The [`Registrar`] for every provider: Meta through its callback
/// override, WASender through its session webhook settings (needs the
/// personal access token and session id), UniPile by creating webhooks with
/// the account's own secret header. Where that is impossible, the exact
/// manual step.
pub fn provider_registrar(secrets: SecretStore) -> Registrar {
    Arc::new(move |account: Account, url: String| -> RegisterFuture {
        let secrets = secrets.clone();
        Box::pin(async move {
            match account.provider {
                Provider::Meta => register_meta_at(secrets, account, url).await,
                Provider::Wasender => register_wasender_at(secrets, account, url).await,
                Provider::Unipile => register_unipile_at(secrets, account, url).await,
                Provider::Demo => Registration::Registered,
            }
        })
    })
}

async fn register_wasender_at(secrets: SecretStore, account: Account, url: String) -> Registration {
    let manual = |why: String| Registration::ManualStepNeeded {
        why,
        what_to_paste_where: format!(
            "In WASender's dashboard → your session → Webhook, set the URL to {url}, enable it with the message events, \
then copy the session's webhook secret into Wicket (account settings)."
        ),
    };
    let id = account.id;
    let client = tokio::task::spawn_blocking(move || crate::providers::wasender::WasenderClient::for_account(&account, &secrets)).await;
    let client = match client {
        Ok(Ok(c)) => c,
        Ok(Err(e)) => return manual(format!("Wicket cannot call WASender for account {id}: {e}")),
        Err(e) => return Registration::Failed(format!("could not read account {id}'s secrets: {e}")),
    };
    if !client.can_manage_webhook() {
        return manual("Wicket has no personal access token and session id for this account".into());
    }
    match client.register_webhook(&url).await {
        Ok(()) => Registration::Registered,
        Err(e) if e.provider_error().is_some_and(|p| p.kind.is_retryable()) => Registration::Failed(format!("WASender could not be reached: {e}")),
        Err(e) => manual(format!("WASender did not accept the webhook URL: {e}")),
    }
}

async fn register_unipile_at(secrets: SecretStore, account: Account, url: String) -> Registration {
    let id = account.id;
    let loaded = tokio::task::spawn_blocking(move || {
        let client = crate::providers::unipile::UnipileClient::for_account(&account, &secrets);
        let secret = secrets.get_opt(account.id, SecretName::WebhookSecret);
        (client, secret)
    })
    .await;
    let (client, secret) = match loaded {
        Ok(x) => x,
        Err(e) => return Registration::Failed(format!("could not read account {id}'s secrets: {e}")),
    };
    let client = match client {
        Ok(c) => c,
        Err(e) => return Registration::Failed(format!("Wicket cannot call UniPile for account {id}: {e}")),
    };
    let secret = match secret {
        Ok(Some(s)) => s,
        _ => return Registration::Failed(format!("account {id} has no webhook secret: add the account again")),
    };
    match client.register_webhooks(&url, &secret).await {
        Ok(_) => Registration::Registered,
        Err(e) => Registration::Failed(format!("UniPile did not create the webhooks (polling keeps working): {e}")),
    }
}

// ---------------------------------------------------------------------------
// The wizard's public-address step
// ---------------------------------------------------------------------------

/// Where the webhook listener binds when the owner has not said.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8765";

/// Parses a listener address, and says plainly when it is reachable from
/// other machines (anything but loopback).
pub fn parse_listen(value: &str) -> Result<(std::net::SocketAddr, Option<String>)> {
    let addr: std::net::SocketAddr =
        value.trim().parse().map_err(|_| Error::Invalid(format!("the listener address must be ADDR:PORT such as {DEFAULT_LISTEN}, got {value:?}")))?;
    let warning = (!addr.ip().is_loopback()).then(|| {
        format!(
            "{addr} is reachable from other machines on your network, not only through the tunnel. Wicket accepts only signed requests, but prefer {DEFAULT_LISTEN} behind a tunnel"
        )
    });
    Ok((addr, warning))
}

/// How to start `kind` (`cloudflared`, `cloudflared_named`, `ngrok`,
/// `funnel`) with the tools installed: the installed executable, or an
/// error naming where to get it. A named tunnel needs its name and hostname.
pub fn spec_for(kind: &str, installed: &[InstalledTool], named: Option<(&str, &str)>) -> Result<TunnelSpec> {
    let spec = match kind {
        "cloudflared" => TunnelSpec::cloudflared_quick(),
        "cloudflared_named" => {
            let (name, host) = named.ok_or_else(|| Error::Invalid("a named Cloudflare tunnel needs its name and hostname".into()))?;
            TunnelSpec::cloudflared_named(name, host)?
        }
        "ngrok" => TunnelSpec::ngrok(named.map(|(_, host)| host))?,
        "funnel" | "tailscale" => TunnelSpec::tailscale_funnel(),
        other => return Err(Error::Invalid(format!("unknown tunnel {other:?}: use cloudflared, cloudflared_named, ngrok or funnel"))),
    };
    match installed.iter().find(|t| t.kinds.contains(&spec.kind)) {
        Some(t) => Ok(spec.with_program(&t.path)),
        None => Err(not_installed(&spec)),
    }
}

/// What to paste where for `provider`'s webhook at `callback_url`, when
/// Wicket cannot register it itself (`verify_token`: Meta's).
pub fn manual_step(provider: Provider, callback_url: &str, verify_token: Option<&Secret>) -> Option<String> {
    match provider {
        Provider::Meta => Some(match verify_token {
            Some(t) => meta_manual_step(callback_url, t),
            None => format!("In Meta's App Dashboard → WhatsApp → Configuration, set Callback URL to {callback_url} with this account's verify token, press \"Verify and save\", then subscribe to the \"messages\" webhook field."),
        }),
        Provider::Wasender => Some(format!(
            "In WASender's dashboard → your session → Webhook, set the URL to {callback_url}, enable it with the message events, \
then copy the session's webhook secret into Wicket (account settings)."
        )),
        Provider::Unipile | Provider::Demo => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLOUDFLARED: &str = "\
2026-01-05T10:00:00Z INF Thank you for trying Cloudflare Tunnel. Doing so, without a Cloudflare account, is a quick way to experiment and try it out. However, be aware that these account-less Tunnels have no uptime guarantee, are subject to the Cloudflare Online Services Terms of Use (https://www.cloudflare.com/website-terms/), and Cloudflare reserves the right to investigate your use of Tunnels for violations of such terms. If you intend to use Tunnels in production you should use a pre-created named tunnel by following: https://developers.cloudflare.com/cloudflare-one/connections/connect-apps
2026-01-05T10:00:00Z INF Requesting new quick Tunnel on trycloudflare.com...
2026-01-05T10:00:01Z INF +--------------------------------------------------------------------------------------------+
2026-01-05T10:00:01Z INF |  Your quick Tunnel has been created! Visit it at (it may take some time to be reachable):  |
2026-01-05T10:00:01Z INF |  https://gentle-river-alpha-bravo.trycloudflare.com                                        |
2026-01-05T10:00:01Z INF +--------------------------------------------------------------------------------------------+
2026-01-05T10:00:01Z INF Settings: map[ha-connections:1 no-autoupdate:true protocol:quic url:http://127.0.0.1:8765]";

    fn first_url(kind: TunnelKind, output: &str, port: u16) -> Option<String> {
        output.lines().find_map(|l| public_url_in(kind, l, port))
    }

    #[test]
    fn cloudflared_quick_url_is_read_and_other_links_ignored() {
        assert_eq!(first_url(TunnelKind::CloudflaredQuick, CLOUDFLARED, 8765).as_deref(), Some("https://gentle-river-alpha-bravo.trycloudflare.com"));
        assert_eq!(public_url_in(TunnelKind::CloudflaredQuick, "INF POST https://api.trycloudflare.com/tunnel", 1), None);
        // A custom reader takes the first non-local URL: the terms link here.
        assert_eq!(first_url(TunnelKind::Custom, CLOUDFLARED, 8765).as_deref(), Some("https://www.cloudflare.com/website-terms"));
    }

    #[test]
    fn ngrok_json_lines() {
        let out = r#"{"addr":"127.0.0.1:4040","lvl":"info","msg":"starting web service","obj":"web","t":"2026-01-05T10:00:00Z"}
{"addr":"http://127.0.0.1:8765","lvl":"info","msg":"started tunnel","name":"command_line","obj":"tunnels","t":"2026-01-05T10:00:01Z","url":"https://ab12-203-0-113-7.ngrok-free.app"}"#;
        assert_eq!(first_url(TunnelKind::Ngrok, out, 8765).as_deref(), Some("https://ab12-203-0-113-7.ngrok-free.app"));
        let local = r#"{"lvl":"info","url":"http://127.0.0.1:4040"}"#;
        assert_eq!(public_url_in(TunnelKind::Ngrok, local, 8765), None, "a local URL is never the public one");
        assert_eq!(
            public_url_in(TunnelKind::Ngrok, "Forwarding  https://shop.ngrok.app -> http://localhost:8765", 8765).as_deref(),
            Some("https://shop.ngrok.app")
        );
    }

    #[test]
    fn tailscale_funnel_output() {
        let out = "Available on the internet:\n\nhttps://desk.tail1234.ts.net/\n|-- / proxy http://127.0.0.1:8765\n\nPress Ctrl+C to exit.";
        assert_eq!(first_url(TunnelKind::TailscaleFunnel, out, 8765).as_deref(), Some("https://desk.tail1234.ts.net"));
    }

    #[test]
    fn custom_skips_the_local_target_and_prefers_https() {
        let line = "INF Settings: map[no-autoupdate:true url:http://127.0.0.1:8765]";
        assert_eq!(public_url_in(TunnelKind::Custom, line, 8765), None);
        assert_eq!(public_url_in(TunnelKind::Custom, "|  http://127.0.0.1:40001  |", 8765).as_deref(), Some("http://127.0.0.1:40001"));
        assert_eq!(
            public_url_in(TunnelKind::Custom, "from http://127.0.0.1:40001 to https://relay.example.com/x/?q=1.", 8765).as_deref(),
            Some("https://relay.example.com/x"),
            "https preferred; query and trailing slash dropped"
        );
        assert_eq!(public_url_in(TunnelKind::Custom, "nothing here: http:// or https://", 8765), None);
    }

    #[test]
    fn output_is_scrubbed() {
        let s = scrub_line("ERR GET https://x.example/cb?hub.verify_token=abc&x=1 failed authtoken=2abcDEF password: hunter2");
        assert!(!s.contains("abc&x"), "{s}");
        assert!(!s.contains("2abcDEF") && !s.contains("hunter2"), "{s}");
        assert!(s.contains("https://x.example/cb?…"), "{s}");
        assert!(s.contains("authtoken=<redacted>"), "{s}");
        let j = scrub_line(r#"{"lvl":"eror","authtoken":"2abcDEF","msg":"bad"}"#);
        assert!(!j.contains("2abcDEF"), "{j}");
        let long = "x".repeat(1000);
        assert!(scrub_line(&long).chars().count() <= MAX_LINE_CHARS + 1);
        assert_eq!(scrub_line("INF Registered tunnel connection connIndex=0"), "INF Registered tunnel connection connIndex=0");
    }

    #[test]
    fn webhook_urls() {
        assert_eq!(webhook_url("https://a.trycloudflare.com/", "meta", 3), "https://a.trycloudflare.com/webhooks/meta/3");
        assert_eq!(webhook_url("https://a.example.com", "wasender", 12), "https://a.example.com/webhooks/wasender/12");
    }

    #[test]
    fn specs_fill_in_the_port() {
        assert_eq!(TunnelSpec::cloudflared_quick().args_for(8765), ["tunnel", "--no-autoupdate", "--url", "http://127.0.0.1:8765"]);
        let n = TunnelSpec::ngrok(Some("https://shop.ngrok.app/")).unwrap();
        assert!(n.stable);
        assert_eq!(n.args_for(9), ["http", "9", "--log", "stdout", "--log-format", "json", "--url", "https://shop.ngrok.app"]);
        assert!(!TunnelSpec::ngrok(None).unwrap().stable);
        assert_eq!(TunnelSpec::tailscale_funnel().args_for(8765), ["funnel", "8765"]);
        let named = TunnelSpec::cloudflared_named("wicket", "inbox.example.com").unwrap();
        assert_eq!(named.fixed_url.as_deref(), Some("https://inbox.example.com"));
        assert!(named.stable && named.args_for(1).contains(&"wicket".to_string()));
        assert!(TunnelSpec::cloudflared_named("two words", "x.example.com").is_err());
        assert!(TunnelSpec::cloudflared_named("w", "x.example.com/path").is_err());
        assert!(!url_explanation(false).is_empty() && url_explanation(true) != url_explanation(false));
    }

    #[test]
    fn detection_looks_on_the_path_only() {
        let dir = tempfile::tempdir().unwrap();
        assert!(detect_in(Some(dir.path().as_os_str())).is_empty());
        assert!(detect_in(None).is_empty());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let tool = dir.path().join("ngrok");
            std::fs::write(&tool, "#!/bin/sh\n").unwrap();
            assert!(detect_in(Some(dir.path().as_os_str())).is_empty(), "not executable: not a tool");
            std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();
            let found = detect_in(Some(dir.path().as_os_str()));
            assert_eq!(found.len(), 1);
            assert_eq!(found[0].program, "ngrok");
            assert_eq!(found[0].kinds, [TunnelKind::Ngrok]);
            assert_eq!(suggested_spec(&found).map(|s| s.program), Some(tool));
        }
    }

    #[test]
    fn the_listener_address_is_checked_and_beyond_loopback_is_warned_about() {
        let (addr, warning) = parse_listen(DEFAULT_LISTEN).unwrap();
        assert_eq!(addr.port(), 8765);
        assert!(warning.is_none(), "loopback needs no warning");
        let (_, warning) = parse_listen("0.0.0.0:8765").unwrap();
        assert!(warning.unwrap().contains("reachable from other machines"));
        assert!(parse_listen("[::1]:9").unwrap().1.is_none());
        assert!(matches!(parse_listen("localhost"), Err(Error::Invalid(m)) if m.contains("ADDR:PORT")));
    }

    #[test]
    fn a_tunnel_is_started_only_with_an_installed_tool() {
        let tool = InstalledTool {
            program: "cloudflared",
            path: PathBuf::from("/opt/cf/cloudflared"),
            kinds: vec![TunnelKind::CloudflaredQuick, TunnelKind::CloudflaredNamed],
        };
        let spec = spec_for("cloudflared", &[tool], None).unwrap();
        assert_eq!(spec.program, PathBuf::from("/opt/cf/cloudflared"));
        assert!(!spec.stable);
        assert!(matches!(spec_for("ngrok", &[], None), Err(Error::NotFound(m)) if m.contains("install ngrok")));
        assert!(matches!(spec_for("telnet", &[], None), Err(Error::Invalid(_))));
        let meta = manual_step(Provider::Meta, "https://x.example/webhooks/meta/1", Some(&Secret::new("vt".into()))).unwrap();
        assert!(meta.contains("Callback URL to https://x.example/webhooks/meta/1") && meta.contains("Verify token to vt"));
        assert!(manual_step(Provider::Wasender, "https://x.example/webhooks/wasender/2", None).unwrap().contains("WASender's dashboard"));
        assert!(manual_step(Provider::Unipile, "https://x", None).is_none(), "UniPile is polled");
    }

    #[test]
    fn registration_debug_withholds_the_paste_text() {
        let r = Registration::ManualStepNeeded {
            why: "refused".into(),
            what_to_paste_where: meta_manual_step("https://x/webhooks/meta/1", &Secret::new("vt-secret-123".into())),
        };
        let d = format!("{r:?}");
        assert!(!d.contains("vt-secret-123") && d.contains("refused"), "{d}");
    }
}
