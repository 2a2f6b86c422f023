//! Signed webhook ingest over loopback HTTP: `cargo bench -p wicket-core --bench ingest`
//! (`-- --events N --senders N --contacts N` to change the run; defaults 40,000 events,
//! 8 senders, 1,000 contacts).
//!
//! The real listener (`WebhookServer`) on a real SQLite file, one Meta account.
//! The events are distinct and signed as Meta signs them; the mix is the one a
//! shop sees: each customer message brings three statuses (sent, delivered,
//! read) of one of our messages, seeded beforehand. N keep-alive senders post
//! them one at a time each (a request waits for its answer, as Meta does), and
//! every answer is a 200 only once the event is committed and flushed to disk.
//! A notifier (the event sink) timestamps each new customer message, so the
//! time from "the request left" to "the notification was handed over" is
//! measured too. Then the same senders post the same bodies to a null server:
//! the same HTTP stack (hyper 1, same builder, same thread count) answering
//! 200 at once, for the machine's ceiling in the same run.
//!
//! Printed: events/s, p50/p95/p99 latency, events per fsync (the listener
//! counts its own flushes), server CPU per event (the listener's threads, from
//! /proc), notification latency, and the null server's figures. Afterwards
//! every acknowledged event is checked in the store. Timings are for a
//! benchmark, never a test: machines here are noisy (see BENCHMARKS.md).

use serde_json::json;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wicket_core::model::{Direction, MessageKind, MessageStatus, Provider};
use wicket_core::secrets::{Secret, SecretName, SecretStore};
use wicket_core::store::contacts::{ContactKey, ContactUpdate};
use wicket_core::store::messages::{self, NewMessage};
use wicket_core::store::{NewAccount, Store};
use wicket_core::webhook::{meta_signature, ListenerConfig, WebhookDeps, WebhookOutcome, WebhookServer};

const APP_SECRET: &str = "bench_app_secret";
const NUMBER: &str = "318273645501234";
const STATUSES: [&str; 3] = ["sent", "delivered", "read"];

fn arg(args: &[String], name: &str, default: usize) -> usize {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn phone(c: usize) -> String {
    format!("4479111{c:05}")
}

/// Event `i`: in each group of four, a customer message, then three statuses of one of our messages.
fn body(i: usize, contacts: usize) -> Vec<u8> {
    let group = i / 4;
    let ts = 1_767_268_800 + group as i64;
    let value = match i % 4 {
        0 => json!({
            "messaging_product": "whatsapp",
            "metadata": { "display_phone_number": "15550102030", "phone_number_id": NUMBER },
            "contacts": [{ "profile": { "name": format!("Customer {}", group % contacts) }, "wa_id": phone(group % contacts) }],
            "messages": [{ "from": phone(group % contacts), "id": format!("wamid.in.{group}"), "timestamp": ts.to_string(), "type": "text",
                           "text": { "body": format!("Hi! Is my order #{group} ready for pickup tomorrow?") } }]
        }),
        k => json!({
            "messaging_product": "whatsapp",
            "metadata": { "display_phone_number": "15550102030", "phone_number_id": NUMBER },
            "statuses": [{ "id": format!("wamid.out.{group}"), "status": STATUSES[k - 1], "timestamp": (ts + k as i64).to_string(),
                           "recipient_id": phone(group % contacts),
                           "conversation": { "id": "8f2a6c1d9e0b4a7f3c5d2e1f0a9b8c7d", "origin": { "type": "service" } },
                           "pricing": { "billable": false, "pricing_model": "PMP", "category": "service", "type": "free_customer_service" } }]
        }),
    };
    serde_json::to_vec(
        &json!({ "object": "whatsapp_business_account", "entry": [{ "id": "214365870912345", "changes": [{ "value": value, "field": "messages" }] }] }),
    )
    .expect("a JSON body")
}

/// One request on a kept-alive connection; returns the status code.
fn post(conn: &mut TcpStream, buf: &mut Vec<u8>, request: &[u8]) -> std::io::Result<u16> {
    conn.write_all(request)?;
    buf.clear();
    let mut chunk = [0u8; 4096];
    loop {
        let n = conn.read(&mut chunk)?;
        if n == 0 {
            return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "the server closed the connection"));
        }
        buf.extend_from_slice(&chunk[..n]);
        let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else { continue };
        let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
        let length: usize = head.lines().find_map(|l| l.strip_prefix("content-length:")).and_then(|v| v.trim().parse().ok()).unwrap_or(0);
        if buf.len() >= end + 4 + length {
            let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
            return Ok(status);
        }
    }
}

struct Run {
    elapsed: Duration,
    latencies: Vec<Duration>,
    /// When each event's request left, from the run's start (for the notification latency).
    sent_at: Vec<Duration>,
    acknowledged: Vec<bool>,
}

/// `senders` threads, each on one keep-alive connection, take the next event until all are posted.
fn drive(addr: SocketAddr, requests: &Arc<Vec<Vec<u8>>>, senders: usize, start: Instant) -> Run {
    let next = Arc::new(AtomicUsize::new(0));
    let results = Arc::new(Mutex::new((vec![Duration::ZERO; requests.len()], vec![Duration::ZERO; requests.len()], vec![false; requests.len()])));
    let threads: Vec<_> = (0..senders)
        .map(|_| {
            let (next, requests, results) = (next.clone(), requests.clone(), results.clone());
            std::thread::spawn(move || {
                let mut conn = TcpStream::connect(addr).expect("connect to the server");
                conn.set_nodelay(true).expect("nodelay");
                let mut buf = Vec::with_capacity(4096);
                let mut mine = vec![];
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= requests.len() {
                        break;
                    }
                    let t = Instant::now();
                    let status = match post(&mut conn, &mut buf, &requests[i]) {
                        Ok(s) => s,
                        Err(e) => {
                            eprintln!("event {i}: {e}; reconnecting");
                            conn = TcpStream::connect(addr).expect("reconnect to the server");
                            conn.set_nodelay(true).expect("nodelay");
                            0
                        }
                    };
                    mine.push((i, t.duration_since(start), t.elapsed(), status == 200));
                }
                let mut r = results.lock().expect("results");
                for (i, at, took, ok) in mine {
                    r.1[i] = at;
                    r.0[i] = took;
                    r.2[i] = ok;
                }
            })
        })
        .collect();
    let began = Instant::now();
    for t in threads {
        t.join().expect("a sender thread");
    }
    let elapsed = began.elapsed();
    let (latencies, sent_at, acknowledged) = std::mem::take(&mut *results.lock().expect("results"));
    Run { elapsed, latencies, sent_at, acknowledged }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)].as_secs_f64() * 1e3
}

fn report(label: &str, run: &Run) {
    let mut l: Vec<Duration> = run.latencies.iter().zip(&run.acknowledged).filter(|(_, ok)| **ok).map(|(d, _)| *d).collect();
    l.sort();
    let acked = l.len();
    println!(
        "{label:<12} {acked:>7} acknowledged of {:>7}  {:>9.0} events/s   latency p50 {:>6.2} ms  p95 {:>6.2} ms  p99 {:>6.2} ms  max {:>7.2} ms",
        run.latencies.len(),
        acked as f64 / run.elapsed.as_secs_f64(),
        percentile(&l, 0.50),
        percentile(&l, 0.95),
        percentile(&l, 0.99),
        percentile(&l, 1.0),
    );
}

/// CPU time (user + system) of this process's threads whose name starts with `prefix`.
fn thread_cpu(prefix: &str) -> Duration {
    threads_cpu(prefix).into_values().sum()
}

/// CPU time per thread name (names as the kernel keeps them: 15 bytes) of the threads whose name starts with `prefix`.
fn threads_cpu(prefix: &str) -> std::collections::BTreeMap<String, Duration> {
    let ticks = 100.0; // USER_HZ on Linux
    let mut out = std::collections::BTreeMap::new();
    if let Ok(tasks) = std::fs::read_dir("/proc/self/task") {
        for task in tasks.flatten() {
            let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else { continue };
            let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else { continue };
            let name = &stat[open + 1..close];
            if !name.starts_with(prefix) {
                continue;
            }
            let fields: Vec<&str> = stat[close + 2..].split(' ').collect();
            let t = fields.get(11).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0) + fields.get(12).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
            *out.entry(name.to_string()).or_insert(Duration::ZERO) += Duration::from_secs_f64(t as f64 / ticks);
        }
    }
    out
}

/// A server with the listener's HTTP stack that answers 200 at once (after reading the body).
fn null_server(threads: usize) -> (SocketAddr, tokio::sync::oneshot::Sender<()>, std::thread::JoinHandle<()>) {
    use http_body_util::{BodyExt, Full};
    use hyper::body::Bytes;
    let socket = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    socket.set_nonblocking(true).expect("nonblocking");
    let addr = socket.local_addr().expect("an address");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let handle = std::thread::Builder::new()
        .name("null-http".into())
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(threads).thread_name("null-http").enable_all().build().expect("a runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(socket).expect("a listener");
                let mut builder = hyper::server::conn::http1::Builder::new();
                builder.timer(hyper_util::rt::TokioTimer::new()).header_read_timeout(Duration::from_secs(10)).max_header_size(64 * 1024).keep_alive(true);
                let builder = Arc::new(builder);
                tokio::pin!(stopped);
                loop {
                    let (stream, _) = tokio::select! {
                        _ = &mut stopped => break,
                        a = listener.accept() => match a { Ok(a) => a, Err(_) => continue },
                    };
                    let _ = stream.set_nodelay(true);
                    let builder = builder.clone();
                    tokio::spawn(async move {
                        let service = hyper::service::service_fn(|rq: hyper::Request<hyper::body::Incoming>| async move {
                            let _ = rq.into_body().collect().await;
                            Ok::<_, std::convert::Infallible>(
                                hyper::Response::builder()
                                    .header("Content-Type", "application/json")
                                    .body(Full::new(Bytes::from_static(br#"{"status":"stored"}"#)))
                                    .expect("a response"),
                            )
                        });
                        let _ = builder.serve_connection(hyper_util::rt::TokioIo::new(stream), service).await;
                    });
                }
            });
        })
        .expect("the null server thread");
    (addr, stop, handle)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let events = arg(&args, "--events", 40_000) / 4 * 4;
    let senders = arg(&args, "--senders", 8);
    let contacts = arg(&args, "--contacts", 1_000).max(1);
    let groups = events / 4;
    let base = std::env::var_os("WICKET_BENCH_DIR").map(std::path::PathBuf::from).unwrap_or_else(std::env::temp_dir);
    std::fs::create_dir_all(&base).expect("the bench dir");
    let dir = tempfile::tempdir_in(&base).expect("a temp dir");
    let db = dir.path().join("wicket.db");
    println!("ingest bench: {events} events ({groups} customer messages, {} statuses), {senders} keep-alive senders, {contacts} contacts", groups * 3);
    println!("store: {}   load average: {}", db.display(), std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim());

    // One Meta account, its contacts, and one message of ours per group for the statuses.
    let mut store = Store::open(&db).expect("the store opens");
    let account = store
        .add_account(&NewAccount { provider: Provider::Meta, name: "Bench".into(), phone: None, config: json!({ "phone_number_id": NUMBER }) })
        .expect("an account")
        .id;
    let mut conversations = Vec::with_capacity(contacts);
    for c in 0..contacts {
        let contact = store
            .upsert_contact(
                account,
                &ContactKey::phone(format!("+{}", phone(c))),
                &ContactUpdate { profile_name: Some(format!("Customer {c}")), ..Default::default() },
            )
            .expect("a contact");
        conversations.push(store.get_or_create_conversation(account, contact.id).expect("a conversation"));
    }
    store
        .write(|tx| {
            for g in 0..groups {
                messages::insert(
                    tx,
                    &NewMessage {
                        account_id: account,
                        conversation_id: conversations[g % contacts],
                        provider_message_id: Some(format!("wamid.out.{g}")),
                        direction: Some(Direction::Out),
                        kind: Some(MessageKind::Text),
                        text: Some(format!("Your order #{g} is ready")),
                        status: Some(MessageStatus::Sending),
                        timestamp: Some(1_767_268_800_000 + g as i64 * 1000 - 500),
                        ..Default::default()
                    },
                )?;
            }
            Ok(())
        })
        .expect("our messages seeded");

    let requests: Arc<Vec<Vec<u8>>> = Arc::new(
        (0..events)
            .map(|i| {
                let b = body(i, contacts);
                let mut r = format!(
                    "POST /webhooks/meta/{account} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nX-Hub-Signature-256: {}\r\n\r\n",
                    b.len(),
                    meta_signature(APP_SECRET.as_bytes(), &b)
                )
                .into_bytes();
                r.extend_from_slice(&b);
                r
            })
            .collect(),
    );

    let secrets = SecretStore::in_memory("ingest-bench");
    secrets.set(account, SecretName::AppSecret, &Secret::new(APP_SECRET.into())).expect("the app secret");
    let start = Instant::now();
    // The notifier: timestamps each new customer message as it is handed over.
    let notified: Arc<Mutex<Vec<(i64, Duration)>>> = Arc::new(Mutex::new(Vec::with_capacity(groups)));
    let seen = notified.clone();
    let sink = Arc::new(move |o: WebhookOutcome| {
        let at = start.elapsed();
        seen.lock().expect("notified").extend(o.new_inbound().into_iter().map(|id| (id, at)));
    });
    let config = ListenerConfig::with_addr("127.0.0.1:0".parse().expect("an address"));
    let threads = config.threads;
    let server = WebhookServer::start(config, WebhookDeps { db_path: db.clone(), secrets: Arc::new(secrets), sink: Some(sink) }).expect("the listener starts");

    // The listener's threads: its runtime's workers ("wicket-webhook"), the writer and the
    // accepting thread ("wicket-webhook-", names are cut at 15 bytes) and the flusher ("wicket-wh-flush").
    let per_thread_before = threads_cpu("wicket-");
    let stats_before = server.stats();
    let run = drive(server.local_addr(), &requests, senders, start);
    let per_thread = threads_cpu("wicket-");
    let cpu = per_thread.values().sum::<Duration>().saturating_sub(per_thread_before.values().sum());
    let stats = server.stats();
    server.shutdown();

    let (null_addr, stop_null, null_thread) = null_server(threads);
    let null_cpu_before = thread_cpu("null-http");
    let null_run = drive(null_addr, &requests, senders, Instant::now());
    let null_cpu = thread_cpu("null-http").saturating_sub(null_cpu_before);
    let _ = stop_null.send(());
    let _ = null_thread.join();

    println!();
    report("wicket", &run);
    report("null server", &null_run);
    let acked = run.acknowledged.iter().filter(|ok| **ok).count();
    let syncs = stats.syncs - stats_before.syncs;
    let commits = stats.commits - stats_before.commits;
    println!(
        "wicket       {commits} commits, {syncs} fsyncs of the WAL: {:.1} events per fsync; server CPU {:.3} ms per event (null server {:.3} ms)",
        acked as f64 / syncs.max(1) as f64,
        cpu.as_secs_f64() * 1e3 / acked.max(1) as f64,
        null_cpu.as_secs_f64() * 1e3 / null_run.latencies.len().max(1) as f64,
    );
    let split: Vec<String> = per_thread
        .iter()
        .map(|(name, d)| {
            let spent = d.saturating_sub(per_thread_before.get(name).copied().unwrap_or_default());
            format!("{name} {:.3}", spent.as_secs_f64() * 1e3 / acked.max(1) as f64)
        })
        .collect();
    println!("             CPU per event by thread (ms): {}", split.join(", "));

    // Every acknowledged event, checked on a fresh connection.
    let store = Store::open(&db).expect("the store opens again");
    let conn = store.conn();
    let mut missing = 0usize;
    let mut message_ids = std::collections::HashMap::new();
    let mut find = conn.prepare("SELECT id, status FROM messages WHERE account_id = ?1 AND provider_message_id = ?2").expect("a query");
    for g in 0..groups {
        if run.acknowledged[4 * g] {
            match find.query_row(rusqlite::params![account, format!("wamid.in.{g}")], |r| r.get::<_, i64>(0)) {
                Ok(id) => {
                    message_ids.insert(id, g);
                }
                Err(_) => missing += 1,
            }
        }
        let want = (1..4).rev().find(|k| run.acknowledged[4 * g + k]);
        if let Some(k) = want {
            let status: String = find.query_row(rusqlite::params![account, format!("wamid.out.{g}")], |r| r.get(1)).expect("our message");
            let rank = |s: &str| STATUSES.iter().position(|x| *x == s);
            if rank(&status) < rank(STATUSES[k - 1]) {
                missing += 1;
            }
        }
    }
    let stored_bodies: i64 = conn.query_row("SELECT count(*) FROM webhook_events WHERE state = 'applied'", [], |r| r.get(0)).expect("a count");
    println!(
        "verified     {acked} acknowledged events: {missing} missing from the store; {stored_bodies} raw bodies stored{}",
        if missing == 0 && stored_bodies as usize >= acked { " (all present)" } else { "  <-- LOST EVENTS" }
    );

    // Request sent -> notification handed over, for each new customer message.
    let mut notify: Vec<Duration> =
        notified.lock().expect("notified").iter().filter_map(|(id, at)| message_ids.get(id).map(|g| at.saturating_sub(run.sent_at[4 * g]))).collect();
    notify.sort();
    println!(
        "notified     {} of {} new customer messages: request sent -> notifier p50 {:.2} ms  p95 {:.2} ms  p99 {:.2} ms",
        notify.len(),
        message_ids.len(),
        percentile(&notify, 0.50),
        percentile(&notify, 0.95),
        percentile(&notify, 0.99)
    );
    println!("load average after: {}", std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim());
    if missing > 0 {
        std::process::exit(1);
    }
}
