//! What the core's integration tests share: fixtures, a fresh data dir with
//! its store, an engine run until told to stop, counting a fake's requests,
//! and an open customer-service window.
//!
//! Included from each test file with `#[path = "support/core.rs"] mod support;`;
//! each test binary uses a part of it.
#![allow(dead_code)]

use std::path::PathBuf;
use wicket_core::engine::Engine;
use wicket_core::model::{Direction, MessageKind};
use wicket_core::providers::OutgoingContent;
use wicket_core::store::contacts::{ContactKey, ContactUpdate};
use wicket_core::store::messages::NewMessage;
use wicket_core::store::Store;
use wicket_core::DataDir;
use wiremock::MockServer;

/// tests/fixtures/<provider>/<name>.
pub fn fixture(provider: &str, name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/../../tests/fixtures/{provider}/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// A fresh data dir (gone when the `TempDir` is dropped) and its store.
pub fn data_dir() -> (tempfile::TempDir, DataDir, Store) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::open(tmp.path()).unwrap();
    let store = Store::open(&dir.db_path()).unwrap();
    (tmp, dir, store)
}

/// Runs `engine` on a task until the sender is used or dropped.
pub fn run_engine(engine: Engine) -> (tokio::sync::oneshot::Sender<()>, tokio::task::JoinHandle<wicket_core::error::Result<()>>) {
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    (
        stop_tx,
        tokio::spawn(engine.run(async {
            let _ = stop_rx.await;
        })),
    )
}

pub async fn requests_matching(fake: &MockServer, what: impl Fn(&wiremock::Request) -> bool) -> usize {
    fake.received_requests().await.unwrap().iter().filter(|r| what(r)).count()
}

pub async fn requests_to(fake: &MockServer, p: &str) -> usize {
    requests_matching(fake, |r| r.url.path() == p).await
}

pub fn text(body: &str) -> OutgoingContent {
    OutgoingContent::Text { body: body.into(), preview_url: false }
}

/// Opens the 24-hour window of `account` with an inbound "hi" (`wamid`) from +447911123456.
pub fn customer_wrote(store: &mut Store, account: i64, wamid: &str) {
    let c = store.upsert_contact(account, &ContactKey::phone("+447911123456"), &ContactUpdate::default()).unwrap();
    let conv = store.get_or_create_conversation(account, c.id).unwrap();
    store
        .insert_message(&NewMessage {
            account_id: account,
            conversation_id: conv,
            provider_message_id: Some(wamid.into()),
            direction: Some(Direction::In),
            kind: Some(MessageKind::Text),
            text: Some("hi".into()),
            ..Default::default()
        })
        .unwrap();
}

/// tests/fixtures/fake-tunnel/fake_tunnel.py, executable.
pub fn fake_tunnel() -> PathBuf {
    let p = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/fake-tunnel/fake_tunnel.py"));
    #[cfg(unix)]
    {
        // A checkout may lose the executable bit; the test needs it, like a real tool.
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&p).expect("the fake tunnel script").permissions().mode();
        if mode & 0o111 == 0 {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode | 0o755)).unwrap();
        }
    }
    p
}
