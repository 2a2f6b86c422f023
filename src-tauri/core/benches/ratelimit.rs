//! Sending throughput against the account's limit:
//! `cargo bench -p wicket-core --bench ratelimit` (`-- --rate N --messages M`;
//! default 50 per second and 600 messages to distinct recipients).
//!
//! A fake Graph API on loopback (wiremock) timestamps every send as it
//! arrives; the real engine sends a queued burst through a Meta account
//! limited to N per second. Printed: the steady rate (sends after the first
//! over the time from the first to the last) as a share of N, the whole
//! run's rate (engine start included), and the busiest one-second window.
//! The "never over" rule is checked by tests/ratelimit.rs; this measures.

use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wicket_core::engine::Engine;
use wicket_core::model::{Direction, MessageKind, Provider};
use wicket_core::providers::OutgoingContent;
use wicket_core::secrets::{Secret, SecretName, SecretStore};
use wicket_core::store::contacts::{self, ContactKey, ContactUpdate};
use wicket_core::store::messages::{self, NewMessage};
use wicket_core::store::{conversations, NewAccount, Store};
use wicket_core::{outbox, DataDir};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

#[derive(Clone, Default)]
struct Fake(Arc<Mutex<Vec<Instant>>>);

impl Respond for Fake {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let mut log = self.0.lock().unwrap_or_else(|p| p.into_inner());
        log.push(Instant::now());
        ResponseTemplate::new(200).set_body_json(json!({"messages": [{"id": format!("wamid.B{}", log.len())}]}))
    }
}

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn busiest_second(at: &[Instant]) -> usize {
    let (mut most, mut start) = (0, 0);
    for end in 0..at.len() {
        while at[end].duration_since(at[start]) >= Duration::from_secs(1) {
            start += 1;
        }
        most = most.max(end - start + 1);
    }
    most
}

fn main() {
    let rate = arg("--rate", 50);
    let count = arg("--messages", 600);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("a tokio runtime");
    rt.block_on(async {
        let server = MockServer::start().await;
        let fake = Fake::default();
        Mock::given(method("POST")).respond_with(fake.clone()).mount(&server).await;
        let tmp = tempfile::tempdir().expect("a temporary dir");
        let dir = DataDir::open(tmp.path()).expect("the data dir");
        let mut store = Store::open(&dir.db_path()).expect("the store");
        store.set_setting("default_country", &json!("GB")).expect("a setting");
        store.set_setting("contact_sync_hours", &json!(0)).expect("a setting");
        let config =
            json!({"phone_number_id": "PN1", "business_account_id": "WABA1", "base_url": server.uri(), "max_per_second": rate, "max_per_hour": 3_600_000});
        let account = store.add_account(&NewAccount { provider: Provider::Meta, name: "Bench".into(), phone: None, config }).expect("an account");
        let secrets = Arc::new(SecretStore::in_memory("bench-ratelimit"));
        secrets.set(account.id, SecretName::AccessToken, &Secret::new("tok-123".into())).expect("a secret");
        let numbers: Vec<String> = (0..count).map(|i| format!("+447911{:06}", 100_000 + i)).collect();
        store
            .write(|tx| {
                for (i, n) in numbers.iter().enumerate() {
                    let contact = contacts::upsert(tx, account.id, &ContactKey::phone(n), &ContactUpdate::default())?;
                    let conversation_id = conversations::get_or_create(tx, account.id, contact)?;
                    let hi = NewMessage {
                        account_id: account.id,
                        conversation_id,
                        provider_message_id: Some(format!("wamid.IN{i}")),
                        direction: Some(Direction::In),
                        kind: Some(MessageKind::Text),
                        text: Some("hi".into()),
                        ..Default::default()
                    };
                    messages::insert(tx, &hi)?;
                }
                Ok(())
            })
            .expect("open windows");
        for n in &numbers {
            outbox::queue(&mut store, &account, n, OutgoingContent::Text { body: "your order is ready".into(), preview_url: false }, None).expect("queued");
        }
        let started = Instant::now();
        let engine = Engine::start(dir.clone(), secrets, None).expect("the engine");
        let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let running = tokio::spawn(engine.run(async {
            let _ = stop_rx.await;
        }));
        while fake.0.lock().unwrap_or_else(|p| p.into_inner()).len() < count && started.elapsed() < Duration::from_secs(600) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let total = started.elapsed();
        let _ = stop.send(());
        let _ = running.await;
        let mut at = fake.0.lock().unwrap_or_else(|p| p.into_inner()).clone();
        at.sort();
        let (Some(first), Some(last)) = (at.first(), at.last()) else {
            println!("nothing was sent");
            return;
        };
        let steady = (at.len() - 1) as f64 / last.duration_since(*first).as_secs_f64();
        println!("limit {rate}/s, {} of {count} messages to distinct recipients", at.len());
        println!("steady rate      {steady:>7.2}/s  ({:.1} % of the limit)", steady / rate as f64 * 100.0);
        println!(
            "whole run        {:>7.2}/s  ({:.1} % of the limit, engine start included: {total:.2?})",
            at.len() as f64 / total.as_secs_f64(),
            at.len() as f64 / total.as_secs_f64() / rate as f64 * 100.0
        );
        println!("busiest second   {:>7}    (never over {rate})", busiest_second(&at));
    });
}
