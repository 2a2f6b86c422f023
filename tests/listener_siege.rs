//! The webhook listener of a real `wicket serve` process under hostile
//! traffic, loopback only, bounded in count and time.
//!
//! While 48 clients hold connections (12 trickling a head, 12 trickling a
//! body, 12 sending heads over the size cap, 12 idle on kept-alive
//! connections, each reconnecting when the listener closes it), `/health`
//! answers and a correctly signed webhook is accepted and in the store
//! within a few seconds, and the process stays within its budget:
//! VmRSS under [`RSS_BUDGET_KIB`] and at most [`THREAD_BUDGET`] threads.
//! Also: 8 senders on kept-alive connections all get every answer (the
//! stall that `tiny_http` 0.12 had).

#[path = "support/cli.rs"]
mod support;

use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{last_line, sign, Wicket};

const APP_SECRET: &str = "siege-app-secret-0123456789";
const PNID: &str = "318273645507777";
/// The whole `wicket serve` process (engine and listener), resident: about 31 MiB measured.
const RSS_BUDGET_KIB: u64 = 96 * 1024;
/// The whole process: main, engine runtime, listener runtime and writer: 9 measured.
const THREAD_BUDGET: u64 = 16;

const WICKET: Wicket = Wicket::vault("siege passphrase").vars(&[("T_TOKEN", "EAAG-siege-token"), ("T_SECRET", APP_SECRET), ("T_VERIFY", "siege-verify")]);

/// A data dir with one Meta account (its Graph API is a closed port: the
/// connection test fails, the account is kept).
fn data_dir_with_account() -> (tempfile::TempDir, String) {
    let tmp = tempfile::tempdir().unwrap();
    let out = WICKET.add_meta(tmp.path(), "Siege", PNID, "WABA1", "http://127.0.0.1:9");
    assert!(out.status.success(), "account add failed: {}", String::from_utf8_lossy(&out.stderr));
    let account = last_line(&out);
    assert!(account.parse::<i64>().is_ok(), "the last line is the account id: {account:?}");
    (tmp, account)
}

fn inbound(wamid: &str) -> Vec<u8> {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA1", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550102030", "phone_number_id": PNID},
        "contacts": [{"profile": {"name": "Priya Raman"}, "wa_id": "447911123456"}],
        "messages": [{"from": "447911123456", "id": wamid, "timestamp": "1767268800", "type": "text", "text": {"body": "under siege"}}]}}]}]})
    .to_string()
    .into_bytes()
}

fn signed_request(account: &str, body: &[u8], keep_alive: bool) -> Vec<u8> {
    let connection = if keep_alive { "keep-alive" } else { "close" };
    let mut rq = format!(
        "POST /webhooks/meta/{account} HTTP/1.1\r\nHost: x\r\nConnection: {connection}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nX-Hub-Signature-256: {}\r\n\r\n",
        body.len(),
        sign(APP_SECRET, body)
    )
    .into_bytes();
    rq.extend_from_slice(body);
    rq
}

/// Reads one response (head and Content-Length body) from `s`; its status.
fn read_response(s: &mut TcpStream) -> Option<u16> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        match s.read(&mut byte) {
            Ok(1) => buf.push(byte[0]),
            _ => return None,
        }
    }
    let head = String::from_utf8_lossy(&buf).to_string();
    let status = head.split(' ').nth(1)?.parse().ok()?;
    let length: usize = head
        .lines()
        .find_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case("content-length")).map(|(_, v)| v.trim().parse().unwrap_or(0)))
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    s.read_exact(&mut body).ok()?;
    Some(status)
}

/// One request on a new connection; its status, or None without an answer within 10 s.
fn one_request(addr: SocketAddr, request: &[u8]) -> Option<u16> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(10)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request).ok()?;
    read_response(&mut s)
}

/// What one hostile client does on each connection.
#[derive(Clone, Copy)]
enum Hostile {
    SlowHead,
    SlowBody,
    OversizedHead,
    IdleKeepAlive,
}

/// Runs one hostile client until `stop`, reconnecting whenever the listener closes it.
fn hostile(addr: SocketAddr, kind: Hostile, account: String, stop: Arc<AtomicBool>) {
    while !stop.load(Ordering::Relaxed) {
        let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_secs(5)) else {
            std::thread::sleep(Duration::from_millis(100));
            continue;
        };
        s.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
        s.set_write_timeout(Some(Duration::from_secs(1))).unwrap();
        let opening = match kind {
            Hostile::SlowHead => format!("POST /webhooks/meta/{account} HTTP/1.1\r\nX-Slow: "),
            Hostile::SlowBody => format!("POST /webhooks/meta/{account} HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n{{"),
            Hostile::OversizedHead => "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ".to_string(),
            Hostile::IdleKeepAlive => "GET /health HTTP/1.1\r\nHost: x\r\n\r\n".to_string(),
        };
        if s.write_all(opening.as_bytes()).is_err() {
            continue;
        }
        let mut chunk = [0u8; 4096];
        // Hold the connection, feeding it slowly, until the listener closes it.
        while !stop.load(Ordering::Relaxed) {
            match s.read(&mut chunk) {
                Ok(0) => break,
                // An answer (431, 408, or /health for the idle client): keep holding; EOF ends it.
                Ok(_) => {}
                Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
                Err(_) => break,
            }
            let feed: &[u8] = match kind {
                Hostile::SlowHead => b"a",
                Hostile::SlowBody => b" ",
                Hostile::OversizedHead => &[b'b'; 4096],
                Hostile::IdleKeepAlive => b"",
            };
            if !feed.is_empty() && s.write_all(feed).is_err() {
                break;
            }
        }
    }
}

#[test]
fn health_and_a_signed_webhook_get_through_a_siege_within_budget() {
    let (tmp, account) = data_dir_with_account();
    let serve = WICKET.serve(tmp.path(), &[], Stdio::null());
    let addr = serve.socket_addr();
    assert_eq!(one_request(addr, b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), Some(200));

    let stop = Arc::new(AtomicBool::new(false));
    let kinds = [Hostile::SlowHead, Hostile::SlowBody, Hostile::OversizedHead, Hostile::IdleKeepAlive];
    let clients: Vec<_> = (0..48)
        .map(|i| {
            let (kind, account, stop) = (kinds[i % 4], account.clone(), stop.clone());
            std::thread::spawn(move || hostile(addr, kind, account, stop))
        })
        .collect();
    // Let the siege settle in: every client connected and holding on.
    std::thread::sleep(Duration::from_secs(2));

    let deadline = Instant::now() + Duration::from_secs(5);
    let mut health = None;
    while health != Some(200) && Instant::now() < deadline {
        health = one_request(addr, b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    }
    assert_eq!(health, Some(200), "/health answers under siege");

    let body = inbound("wamid.SIEGE1");
    assert_eq!(one_request(addr, &signed_request(&account, &body, false)), Some(200), "a signed webhook is accepted under siege");
    let messages: Value =
        serde_json::from_slice(&WICKET.run(tmp.path(), &["messages", "--account", &account, "--with", "+447911123456", "--json"]).stdout).unwrap();
    assert!(messages.as_array().unwrap().iter().any(|m| m["text"] == json!("under siege")), "stored before the 200: {messages}");

    let rss = serve.proc_status("VmRSS");
    let threads = serve.proc_status("Threads");
    eprintln!("under siege: VmRSS {rss} kB, {threads} threads");
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.join().unwrap();
    }
    assert!(rss <= RSS_BUDGET_KIB, "VmRSS {rss} kB over the budget of {RSS_BUDGET_KIB} kB");
    assert!(threads <= THREAD_BUDGET, "{threads} threads, over the budget of {THREAD_BUDGET}");
}

#[test]
fn eight_kept_alive_senders_all_get_every_answer() {
    let (tmp, account) = data_dir_with_account();
    let serve = WICKET.serve(tmp.path(), &[], Stdio::null());
    let addr = serve.socket_addr();
    let senders: Vec<_> = (0..8)
        .map(|i| {
            let account = account.clone();
            std::thread::spawn(move || {
                let mut s = TcpStream::connect(addr).unwrap();
                s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
                (0..20)
                    .map(|j| {
                        s.write_all(&signed_request(&account, &inbound(&format!("wamid.KA{i}-{j}")), true)).unwrap();
                        read_response(&mut s)
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for (i, sender) in senders.into_iter().enumerate() {
        let answers = sender.join().unwrap();
        assert!(answers.iter().all(|a| *a == Some(200)), "sender {i} on one kept-alive connection: {answers:?}");
    }
    let messages: Value =
        serde_json::from_slice(&WICKET.run(tmp.path(), &["messages", "--account", &account, "--with", "+447911123456", "--limit", "500", "--json"]).stdout)
            .unwrap();
    assert_eq!(messages.as_array().unwrap().len(), 160, "every message stored once");
}
