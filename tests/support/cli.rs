//! What the tests of `wicket` as a process share: running the binary on a
//! data dir with the vault secret store, reading its JSON, adding a Meta
//! account, and a `wicket serve` that is killed when the test lets go of it.
//!
//! Included from each test file with `#[path = "support/cli.rs"] mod support;`;
//! each test binary uses a part of it.
#![allow(dead_code)]

use serde_json::Value;
use std::io::{BufRead, BufReader, Lines};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// How a test runs `wicket`: the vault secret store opened with
/// `passphrase`, the environment variables `vars` set (secrets that
/// arguments such as `--token-env T_TOKEN` name) and `unset` removed.
#[derive(Clone, Copy)]
pub struct Wicket {
    pub passphrase: &'static str,
    pub vars: &'static [(&'static str, &'static str)],
    pub unset: &'static [&'static str],
}

impl Wicket {
    pub const fn vault(passphrase: &'static str) -> Wicket {
        Wicket { passphrase, vars: &[], unset: &[] }
    }

    pub const fn vars(self, vars: &'static [(&'static str, &'static str)]) -> Wicket {
        Wicket { vars, ..self }
    }

    pub const fn unset(self, unset: &'static [&'static str]) -> Wicket {
        Wicket { unset, ..self }
    }

    /// `wicket --data-dir <dir>`, with WICKET_DATA_DIR removed so the flag is what counts.
    pub fn cmd(&self, dir: &Path) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_wicket"));
        c.arg("--data-dir").arg(dir).env_remove("WICKET_DATA_DIR");
        for name in self.unset {
            c.env_remove(name);
        }
        c.env("WICKET_SECRET_STORE", "vault").env("WICKET_VAULT_PASSPHRASE", self.passphrase);
        for (name, value) in self.vars {
            c.env(name, value);
        }
        c
    }

    pub fn run(&self, dir: &Path, args: &[&str]) -> Output {
        self.cmd(dir).args(args).output().expect("wicket runs")
    }

    /// `wicket account add meta` for `phone_number_id`, its secrets read from
    /// T_TOKEN, T_SECRET and T_VERIFY, its Graph API at `base_url`. The
    /// output is the caller's to check; [`last_line`] is the new id.
    pub fn add_meta(&self, dir: &Path, name: &str, phone_number_id: &str, business_account_id: &str, base_url: &str) -> Output {
        self.run(
            dir,
            &[
                "account",
                "add",
                "meta",
                "--name",
                name,
                "--phone-number-id",
                phone_number_id,
                "--business-account-id",
                business_account_id,
                "--token-env",
                "T_TOKEN",
                "--app-secret-env",
                "T_SECRET",
                "--verify-token-env",
                "T_VERIFY",
                "--base-url",
                base_url,
            ],
        )
    }

    /// Starts `wicket serve --listen 127.0.0.1:0 <args>` and waits for its
    /// first line, "listening on http://ADDR". Its stderr goes to `stderr`.
    pub fn serve(&self, dir: &Path, args: &[&str], stderr: impl Into<Stdio>) -> Serve {
        self.start_serve(dir, args, stderr.into(), None)
    }

    /// As [`Wicket::serve`], its stderr appended to `log` (shown when the start fails).
    pub fn serve_logging_to(&self, dir: &Path, args: &[&str], log: &Path) -> Serve {
        let err = std::fs::OpenOptions::new().create(true).append(true).open(log).unwrap();
        self.start_serve(dir, args, err.into(), Some(log))
    }

    fn start_serve(&self, dir: &Path, args: &[&str], stderr: Stdio, log: Option<&Path>) -> Serve {
        let mut child =
            self.cmd(dir).args(["serve", "--listen", "127.0.0.1:0"]).args(args).stdout(Stdio::piped()).stderr(stderr).spawn().expect("wicket serve starts");
        let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = stdout.next().and_then(Result::ok).unwrap_or_default();
        let Some(addr) = first.trim().strip_prefix("listening on http://").map(str::to_string) else {
            let _ = child.kill();
            let _ = child.wait();
            let log = log.map(|l| format!("; its log:\n{}", std::fs::read_to_string(l).unwrap_or_default())).unwrap_or_default();
            panic!("wicket serve said {first:?}{log}");
        };
        Serve { child, addr, stdout: Some(stdout) }
    }
}

/// A running `wicket serve`; killed (SIGKILL) and reaped when dropped. The
/// rest of its stdout stays open, to read with [`Serve::stdout`] or
/// [`Serve::drained`].
pub struct Serve {
    pub child: Child,
    /// Where it listens: "127.0.0.1:PORT".
    pub addr: String,
    stdout: Option<Lines<BufReader<ChildStdout>>>,
}

impl Serve {
    pub fn socket_addr(&self) -> SocketAddr {
        self.addr.parse().unwrap()
    }

    /// Its stdout after the "listening on" line.
    pub fn stdout(&mut self) -> &mut Lines<BufReader<ChildStdout>> {
        self.stdout.as_mut().expect("stdout not drained")
    }

    /// Reads the rest of its stdout on a thread, so a later line never meets a full or closed pipe.
    pub fn drained(mut self) -> Serve {
        if let Some(lines) = self.stdout.take() {
            std::thread::spawn(move || lines.for_each(drop));
        }
        self
    }

    /// SIGKILL, then reap: the process is gone when this returns.
    pub fn kill_9(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }

    /// SIGTERM, then waits at most `within` for it to exit; its exit code.
    pub fn terminate(&mut self, within: Duration) -> Option<i32> {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        let deadline = Instant::now() + within;
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s.code();
            }
            assert!(Instant::now() < deadline, "serve did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// A field of /proc/<pid>/status, as its number (kB for sizes).
    pub fn proc_status(&self, name: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let line = status.lines().find(|l| l.starts_with(&format!("{name}:"))).unwrap_or_else(|| panic!("no {name} in /proc status"));
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Asserts `wicket` succeeded; its stdout as JSON.
pub fn ok_json(out: &Output) -> Value {
    assert!(out.status.success(), "wicket failed ({:?}): {}", out.status.code(), String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

/// The last line of stdout, trimmed: the new id after `account add`.
pub fn last_line(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).lines().last().expect("wicket printed a line").trim().to_string()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

/// The X-Hub-Signature-256 value of `body` under the app secret `secret`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    use hmac::{Hmac, KeyInit, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Seconds since the epoch.
pub fn now_s() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// Every file under `dir`, at any depth.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![];
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Polls `f` until it holds, for at most `within`.
pub fn wait_until(what: &str, within: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !f() {
        assert!(Instant::now() < deadline, "timed out after {within:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A fixture file's bytes: `tests/fixtures/{folder}/{name}`.
pub fn fixture(folder: &str, name: &str) -> Vec<u8> {
    let path = format!("{}/../../tests/fixtures/{folder}/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A raw HTTP/1.1 POST of `body` to `target` on `addr` with one extra header; the status.
pub fn post(addr: &str, target: &str, header: (&str, String), body: &[u8]) -> u16 {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let head = format!("POST {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n{}: {}\r\n\r\n", body.len(), header.0, header.1);
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut resp = Vec::new();
    let _ = s.read_to_end(&mut resp);
    String::from_utf8_lossy(&resp).split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0)
}
