//! The public-address keeper across restarts, against the fake tunnel tool
//! (`tests/fixtures/fake-tunnel`), a real `WebhookServer` on a temporary
//! data dir, and a wiremock server playing Meta's Graph API.
//!
//! A crashed earlier run is played by a fake tunnel started by the test and
//! left running with its pid in `tunnel.pid`, as the keeper writes it; the
//! computer's clocks are a `ManualClock`, so sleeping and the 15-minute
//! schedule are driven by hand.

#[path = "support/core.rs"]
mod support;

use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;
use support::{data_dir, fake_tunnel};
use tokio::sync::broadcast;
use wicket_core::datadir::DataDir;
use wicket_core::model::Provider;
use wicket_core::secrets::{Secret, SecretName, SecretStore};
use wicket_core::store::NewAccount;
use wicket_core::tunnel::wake::{Clock, ManualClock};
use wicket_core::tunnel::{
    health, pidfile, provider_registrar, saved, KeeperConfig, KeeperReport, PublicAddress, PublicAddressHealth, PublicAddressKeeper, Reachability, SavedSetup,
    TunnelSpec,
};
use wicket_core::webhook::{ListenerConfig, WebhookDeps, WebhookServer};
use wicket_core::Store;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const APP_SECRET: &str = "keeper_app_secret";
const VERIFY_TOKEN: &str = "vt-keeper-Harbor-42";
const NUMBER: &str = "318273645509999";
/// Generous: a 2-core machine shared with other builds.
const WAIT: Duration = Duration::from_secs(60);

fn fake_spec() -> TunnelSpec {
    TunnelSpec::custom(fake_tunnel(), vec!["--to".into(), "127.0.0.1:{port}".into()], false)
}

struct Harness {
    _tmp: tempfile::TempDir,
    dir: DataDir,
    server: Option<WebhookServer>,
    port: u16,
    account_id: i64,
    secrets: SecretStore,
    graph: MockServer,
    clock: Arc<ManualClock>,
}

impl Harness {
    async fn new() -> Harness {
        let graph = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(format!("/v23.0/{NUMBER}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true})))
            .mount(&graph)
            .await;
        let (_tmp, dir, mut store) = data_dir();
        let account = store
            .add_account(&NewAccount {
                provider: Provider::Meta,
                name: "Corner Shop".into(),
                phone: None,
                config: json!({"phone_number_id": NUMBER, "business_account_id": "214365870912345", "base_url": graph.uri(), "api_version": "v23.0"}),
            })
            .unwrap();
        let secrets = SecretStore::in_memory("keeper-test");
        for (name, value) in [(SecretName::AppSecret, APP_SECRET), (SecretName::VerifyToken, VERIFY_TOKEN), (SecretName::AccessToken, "EAAG-keeper-token")] {
            secrets.set(account.id, name, &Secret::new(value.into())).unwrap();
        }
        let deps = WebhookDeps { db_path: dir.db_path(), secrets: Arc::new(secrets.clone()), sink: None };
        let server = WebhookServer::start(ListenerConfig::with_addr("127.0.0.1:0".parse().unwrap()), deps).unwrap();
        let port = server.local_addr().port();
        Harness { _tmp, dir, server: Some(server), port, account_id: account.id, secrets, graph, clock: Arc::new(ManualClock::new(1_800_000_000_000)) }
    }

    fn config(&self) -> KeeperConfig {
        let mut c = KeeperConfig::new(self.dir.clone(), self.port, self.secrets.clone());
        c.registrar = provider_registrar(self.secrets.clone());
        c.clock = self.clock.clone();
        c.tick = Duration::from_millis(20);
        c.start_timeout = Duration::from_secs(30);
        c
    }

    fn store(&self) -> Store {
        Store::open(&self.dir.db_path()).unwrap()
    }

    /// The callback URLs registered with the fake Graph API, in order.
    async fn registered(&self) -> Vec<String> {
        let calls = self.graph.received_requests().await.unwrap_or_default();
        calls
            .iter()
            .filter(|r| r.method.as_str() == "POST" && r.url.path() == format!("/v23.0/{NUMBER}"))
            .map(|r| serde_json::from_slice::<Value>(&r.body).unwrap()["webhook_configuration"]["override_callback_uri"].as_str().unwrap().to_string())
            .collect()
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        if let Some(s) = self.server.take() {
            s.shutdown();
        }
    }
}

/// The next report that `pick` accepts, skipping others.
async fn next<T>(rx: &mut broadcast::Receiver<KeeperReport>, mut pick: impl FnMut(&KeeperReport) -> Option<T>) -> T {
    let last = std::sync::Mutex::new(None);
    let wait = async {
        loop {
            match rx.recv().await {
                Ok(r) => {
                    *last.lock().unwrap() = Some(r.clone());
                    if let Some(t) = pick(&r) {
                        return t;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => panic!("the keeper stopped reporting"),
            }
        }
    };
    tokio::time::timeout(WAIT, wait).await.unwrap_or_else(|_| panic!("no report in time; the last one: {:?}", last.lock().unwrap()))
}

/// The next health report other than `starting`.
async fn next_health(rx: &mut broadcast::Receiver<KeeperReport>) -> PublicAddressHealth {
    next(rx, |r| match r {
        KeeperReport::Health(h) if h.state != Reachability::Starting => Some(h.clone()),
        _ => None,
    })
    .await
}

/// Waits (bounded) for a child to end; its status.
fn ended(child: &mut Child) -> Option<std::process::ExitStatus> {
    let deadline = std::time::Instant::now() + WAIT;
    while std::time::Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

/// A tunnel an earlier run started and, crashing, left running: its pid in
/// `tunnel.pid` exactly as the keeper records one.
fn leftover_tunnel(h: &Harness) -> Child {
    let child = Command::new(fake_tunnel())
        .args(["--to", &format!("127.0.0.1:{}", h.port), "--outlive-parent"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    pidfile::remember(&h.dir, child.id(), &fake_tunnel()).unwrap();
    // Long running, as a leftover is: past the launchers (env, a version
    // manager's shims) that run before the interpreter runs the script.
    let deadline = std::time::Instant::now() + WAIT;
    let python_runs_it = |pid: u32| {
        let raw = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let args: Vec<String> = raw.split(|b| *b == 0).map(|a| String::from_utf8_lossy(a).into_owned()).collect();
        args.first().is_some_and(|a| a.rsplit('/').next().unwrap_or_default().starts_with("python"))
            && args.get(1).is_some_and(|a| a.ends_with("fake_tunnel.py"))
    };
    while !python_runs_it(child.id()) {
        assert!(std::time::Instant::now() < deadline, "the leftover tunnel runs");
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_kills_the_stale_tunnel_registers_the_new_address_and_keeps_the_state() {
    let h = Harness::new().await;
    let mut old = leftover_tunnel(&h);
    let old_pid = old.id();

    let setup = SavedSetup { address: PublicAddress::Tunnel(fake_spec()), active: true };
    saved::save(&mut h.store(), &setup).unwrap();

    // The next start, from the saved setup.
    let setup = saved::load(&h.store()).unwrap().expect("the setup survives the restart");
    let (keeper, mut rx) = PublicAddressKeeper::start(h.config(), setup).unwrap();
    let killed = next(&mut rx, |r| if let KeeperReport::StaleKilled { pid } = r { Some(*pid) } else { None }).await;
    assert_eq!(killed, old_pid);
    // It would otherwise run on for two minutes.
    tokio::task::spawn_blocking(move || ended(&mut old)).await.unwrap().expect("the stale tunnel was stopped");
    let (url, pid) = next(&mut rx, |r| match r {
        KeeperReport::Started { public_url, pid, .. } => Some((public_url.clone(), pid.unwrap())),
        _ => None,
    })
    .await;
    assert_ne!(pid, old_pid);
    assert_eq!(pidfile::recorded(&h.dir).map(|r| r.pid), Some(pid), "the new tool's pid is remembered");
    assert!(pidfile::is_that_tool(pid, &fake_tunnel()));
    let results = next(&mut rx, |r| if let KeeperReport::Registered { results, .. } = r { Some(results.clone()) } else { None }).await;
    assert!(results.iter().all(|r| r.outcome.is_registered()), "{results:?}");
    assert_eq!(h.registered().await, [format!("{url}/webhooks/meta/{}", h.account_id)], "the new address was registered with the provider");
    assert_eq!(h.store().setting_str("public_url").unwrap().as_deref(), Some(url.as_str()));

    // The check at the start went through the tunnel, and is kept.
    let first = next_health(&mut rx).await;
    assert_eq!((first.state, first.trigger.as_str()), (Reachability::Reachable, "start"), "{first:?}");
    assert_eq!(first.accounts.len(), 1);
    assert_eq!(first.accounts[0].state, "reachable");
    let kept = health::load(&h.store()).unwrap().unwrap();
    assert_eq!(kept.state, Reachability::Reachable);
    assert_eq!(kept.checked_at, Some(h.clock.wall_ms()));
    assert_eq!(kept.public_url.as_deref(), Some(url.as_str()));

    // The tool dies: said at once, in plain words, with the fix; kept.
    assert!(Command::new("kill").args(["-KILL", &pid.to_string()]).status().unwrap().success());
    let down = next_health(&mut rx).await;
    assert_eq!((down.state, down.trigger.as_str()), (Reachability::Unreachable, "tunnel_exited"));
    assert_eq!(down.reason.as_deref(), Some("Customers' messages cannot reach this computer: the fake_tunnel.py tunnel stopped. Restart it"));
    assert_eq!(down.fix.as_deref(), Some("restart"));
    assert_eq!(health::load(&h.store()).unwrap().unwrap().state, Reachability::Unreachable);
    assert!(pidfile::recorded(&h.dir).is_none(), "nothing left to clean up");

    // Restart: a new tool, a new address registered, reachable again.
    keeper.restart(None);
    let again = next(&mut rx, |r| if let KeeperReport::Started { public_url, pid, .. } = r { Some((public_url.clone(), pid.unwrap())) } else { None }).await;
    let back = next_health(&mut rx).await;
    assert_eq!((back.state, back.trigger.as_str()), (Reachability::Reachable, "owner"));
    assert_eq!(h.registered().await.last().cloned(), Some(format!("{}/webhooks/meta/{}", again.0, h.account_id)));

    // Stop: the tool ends, and the setup stays stopped for the next start.
    keeper.stop();
    let stopped = next_health(&mut rx).await;
    assert_eq!(stopped.state, Reachability::Stopped);
    assert!(stopped.reason.unwrap().contains("is stopped. Restart it"));
    assert!(!pidfile::is_running(again.1), "the tunnel process is gone");
    assert!(!saved::load(&h.store()).unwrap().unwrap().active);
    keeper.shutdown().await;

    let (keeper, mut rx) = PublicAddressKeeper::start(h.config(), saved::load(&h.store()).unwrap().unwrap()).unwrap();
    let still = next_health(&mut rx).await;
    assert_eq!((still.state, still.trigger.as_str()), (Reachability::Stopped, "start"), "a stopped setup is not started again");
    keeper.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checks_run_after_a_wake_up_and_every_fifteen_minutes_and_a_failure_is_kept() {
    let mut h = Harness::new().await;
    let url = format!("http://127.0.0.1:{}", h.port);
    let setup = SavedSetup { address: PublicAddress::FixedUrl(url.clone()), active: true };
    let (keeper, mut rx) = PublicAddressKeeper::start(h.config(), setup).unwrap();
    let first = next_health(&mut rx).await;
    assert_eq!((first.state, first.trigger.as_str()), (Reachability::Reachable, "start"), "{first:?}");
    assert_eq!(h.registered().await, [format!("{url}/webhooks/meta/{}", h.account_id)], "a fixed address is registered too");

    // Awake for 14 minutes: nothing is due yet. Then the lid closes for an hour.
    h.clock.advance(Duration::from_secs(14 * 60));
    h.clock.sleep_for(Duration::from_secs(3600));
    let woke = next_health(&mut rx).await;
    assert_eq!((woke.state, woke.trigger.as_str()), (Reachability::Reachable, "wake"), "the first check after the wake-up is the wake's");
    assert_eq!(woke.checked_at, Some(h.clock.wall_ms()));

    h.clock.advance(Duration::from_secs(15 * 60));
    let scheduled = next_health(&mut rx).await;
    assert_eq!(scheduled.trigger, "schedule");

    // The listener goes away: the next scheduled check says so, and it is kept.
    if let Some(s) = h.server.take() {
        s.shutdown();
    }
    h.clock.advance(Duration::from_secs(15 * 60));
    let failed = next_health(&mut rx).await;
    assert_eq!((failed.state, failed.trigger.as_str()), (Reachability::Unreachable, "schedule"));
    let reason = failed.reason.clone().unwrap();
    assert!(reason.starts_with(&format!("Customers' messages cannot reach this computer: {url} does not reach Wicket")), "{reason}");
    assert!(failed.detail.as_deref().unwrap_or_default().contains("cannot reach"), "{failed:?}");
    assert_eq!(failed.accounts[0].state, "unreachable");
    assert_eq!(health::load(&h.store()).unwrap(), Some(failed));
    keeper.shutdown().await;
}
