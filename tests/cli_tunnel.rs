//! `wicket serve --tunnel` as real processes: the public-address setup
//! survives a crash. A first `wicket serve` starts the fake tunnel tool
//! (which, like a real one, outlives a parent killed with SIGKILL); a second
//! one, started with no tunnel flag, brings the saved setup back, stops the
//! tunnel the crashed run left, registers the new address with a fake
//! Graph API on loopback and checks it end to end; `wicket monitor` shows
//! the result.

#[path = "support/cli.rs"]
mod support;

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use support::{last_line, ok_json, wait_until, Wicket};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const PNID: &str = "318273645507777";
/// Generous: a 2-core machine shared with other builds.
const WAIT: Duration = Duration::from_secs(90);

const WICKET: Wicket = Wicket::vault("tunnel test passphrase").vars(&[
    ("T_TOKEN", "EAAG-tunnel-test-token"),
    ("T_SECRET", "tunnel-test-app-secret"),
    ("T_VERIFY", "tunnel-test-verify-token"),
]);

fn fake_tunnel() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/fake-tunnel/fake_tunnel.py").to_string()
}

/// A running `wicket serve` whose output lines arrive on a channel.
struct Serve {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Serve {
    fn start(dir: &Path, args: &[&str]) -> Serve {
        let mut child = WICKET.cmd(dir).arg("serve").args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        let (tx, lines) = mpsc::channel();
        for stream in [Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>, Box::new(child.stderr.take().unwrap())] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let _ = tx.send(line);
                }
            });
        }
        Serve { child, lines, seen: vec![] }
    }

    /// The first line (from now) that `pick` accepts.
    fn until<T>(&mut self, what: &str, mut pick: impl FnMut(&str) -> Option<T>) -> T {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if let Some(t) = pick(&line) {
                        return t;
                    }
                }
                Err(_) => panic!("no {what} from wicket serve; it printed:\n{}", self.seen.join("\n")),
            }
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether `pid` runs (a zombie does not).
fn running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| s.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().next().map(|st| st != "Z" && st != "X")))
        .unwrap_or(false)
}

fn tunnel_pid(dir: &Path) -> Option<u32> {
    let text = std::fs::read_to_string(dir.join("tunnel.pid")).ok()?;
    serde_json::from_str::<Value>(&text).ok()?["pid"].as_u64().map(|p| p as u32)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_with_a_tunnel_comes_back_after_a_crash_and_kills_the_old_tunnel() {
    let graph = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/v23.0/{PNID}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"display_phone_number": "+1 555-010-2030", "verified_name": "Camden", "id": PNID})))
        .mount(&graph)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v23.0/{PNID}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true})))
        .mount(&graph)
        .await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let uri = graph.uri();
    let (first_url, second_url, account) = tokio::task::spawn_blocking(move || {
        let out = WICKET.add_meta(&dir, "Camden", PNID, "W", &uri);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let account = last_line(&out);
        let fake = fake_tunnel();
        let tunnel_args =
            ["--tunnel", "custom", "--tunnel-program", &fake, "--tunnel-arg=--to", "--tunnel-arg=127.0.0.1:{port}", "--tunnel-arg=--outlive-parent"];
        let mut first = Serve::start(&dir, &[&["--listen", "127.0.0.1:0"][..], &tunnel_args[..]].concat());
        let first_url = first.until("a public URL", |l| l.strip_prefix("public URL ").map(str::to_string));
        first.until("a passed check", |l| l.starts_with("public address reachable").then_some(()));
        let old = tunnel_pid(&dir).expect("the running tunnel's pid is in the data dir");
        assert!(running(old));

        // The app crashes: the tunnel it started stays behind.
        first.child.kill().unwrap();
        first.child.wait().unwrap();
        assert!(running(old), "a real tool outlives its crashed parent; the fake does too");

        // The next start, with no tunnel flag: the saved setup comes back.
        let mut second = Serve::start(&dir, &["--listen", "127.0.0.1:0"]);
        let killed = second.until("the old tunnel stopped", |l| {
            l.strip_prefix("stopped the tunnel an earlier run left running (pid ").map(|p| p.trim_end_matches(')').to_string())
        });
        assert_eq!(killed, old.to_string());
        wait_until("the old tunnel ends", WAIT, || !running(old));
        let second_url = second.until("a public URL", |l| l.strip_prefix("public URL ").map(str::to_string));
        assert_ne!(second_url, first_url, "a new quick address");
        second
            .until("the registration", |l| l.starts_with(&format!("account {account} (meta): registered {second_url}/webhooks/meta/{account}")).then_some(()));
        let checked =
            second.until("a check", |l| (l.starts_with("public address reachable") || l.starts_with("public address unreachable")).then(|| l.to_string()));
        assert!(checked.starts_with(&format!("public address reachable: {second_url} (start)")), "{checked}");
        let new = tunnel_pid(&dir).unwrap();
        assert_ne!(new, old);

        // `wicket monitor` shows what the running keeper found.
        let rows = ok_json(&WICKET.run(&dir, &["monitor", "--json"]));
        let p = &rows[0]["public_address"];
        assert_eq!(p["state"], "reachable", "{rows}");
        assert_eq!(p["public_url"], json!(second_url));
        assert_eq!(p["trigger"], "start");
        assert!(p["checked_at"].as_str().is_some_and(|t| t.ends_with('Z')), "{p}");
        assert_eq!(p["account_state"], "reachable");
        let table = WICKET.run(&dir, &["monitor"]);
        assert!(
            String::from_utf8_lossy(&table.stdout).contains(&format!("public address reachable: {second_url}")),
            "{}",
            String::from_utf8_lossy(&table.stdout)
        );

        // A clean stop takes the tunnel down and leaves no pid behind.
        let _ = Command::new("kill").args(["-TERM", &second.child.id().to_string()]).status();
        wait_until("serve stops on SIGTERM", WAIT, || second.child.try_wait().ok().flatten().is_some());
        wait_until("the tunnel stops with serve", WAIT, || !running(new));
        assert!(tunnel_pid(&dir).is_none(), "tunnel.pid is removed on a clean stop");
        (first_url, second_url, account)
    })
    .await
    .unwrap();
    let bodies: Vec<String> = graph
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == "POST" && r.url.path() == format!("/v23.0/{PNID}"))
        .map(|r| serde_json::from_slice::<Value>(&r.body).unwrap()["webhook_configuration"]["override_callback_uri"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        bodies,
        [format!("{first_url}/webhooks/meta/{account}"), format!("{second_url}/webhooks/meta/{account}")],
        "each start's address was registered"
    );
}
