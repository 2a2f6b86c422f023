//! Storage faults on real files, without relying on file permissions (the
//! tests run as root): a full disk (`PRAGMA max_page_count`), a data dir
//! that cannot be written (`chattr +i` where the file system allows it, and a
//! file in place of the folder everywhere), a truncated vault and a damaged
//! database. Each gives an error that says what to do, loses nothing that
//! was acknowledged before the fault, and leaves a store that passes
//! `PRAGMA integrity_check`.

use serde_json::json;
use std::path::{Path, PathBuf};
use wicket_core::model::{Direction, MessageKind, Provider};
use wicket_core::providers::meta::webhook::parse_payload;
use wicket_core::secrets::{Secret, SecretName, SecretStore};
use wicket_core::store::contacts::{ContactKey, ContactUpdate};
use wicket_core::store::messages::{InsertOutcome, NewMessage};
use wicket_core::store::webhook_events::{self, EventState};
use wicket_core::store::{NewAccount, Store};
use wicket_core::{ingest, DataDir};

struct Shop {
    store: Store,
    account: i64,
    conversation: i64,
}

fn shop(path: &Path) -> Shop {
    let mut store = Store::open(path).unwrap();
    let account = store.add_account(&NewAccount { provider: Provider::Meta, name: "Shop".into(), phone: None, config: json!({}) }).unwrap().id;
    let contact = store.upsert_contact(account, &ContactKey::phone("+447911123456"), &ContactUpdate::default()).unwrap();
    let conversation = store.get_or_create_conversation(account, contact.id).unwrap();
    Shop { store, account, conversation }
}

fn inbound(shop: &Shop, i: usize) -> NewMessage {
    inbound_to(shop.account, shop.conversation, i)
}

fn inbound_to(account_id: i64, conversation_id: i64, i: usize) -> NewMessage {
    NewMessage {
        account_id,
        conversation_id,
        provider_message_id: Some(format!("wamid.{i}")),
        direction: Some(Direction::In),
        kind: Some(MessageKind::Text),
        // Big enough to need new pages quickly.
        text: Some(format!("message {i} {}", "lorem ipsum ".repeat(60))),
        ..Default::default()
    }
}

fn integrity(path: &Path) -> String {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap()
}

fn message_count(store: &Store) -> i64 {
    store.conn().query_row("SELECT count(*) FROM messages", [], |r| r.get(0)).unwrap()
}

/// A Meta webhook body with one customer message, `wamid.W{i}`.
fn meta_inbound(i: usize) -> Vec<u8> {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550102030", "phone_number_id": "318273645501234"},
        "contacts": [{"profile": {"name": "Priya Raman"}, "wa_id": "447911123456"}],
        "messages": [{"from": "447911123456", "id": format!("wamid.W{i}"), "timestamp": "1765000000", "type": "text",
                      "text": {"body": format!("webhook {i} {}", "dolor sit amet ".repeat(40))}}]}}]}]})
    .to_string()
    .into_bytes()
}

/// Fills the store (capped with `max_page_count`) until a write fails; returns
/// what was acknowledged and the error.
fn fill_until_full(shop: &mut Shop) -> (Vec<usize>, Vec<usize>, wicket_core::Error) {
    let pages: i64 = shop.store.conn().query_row("PRAGMA page_count", [], |r| r.get(0)).unwrap();
    let _: i64 = shop.store.conn().query_row(&format!("PRAGMA max_page_count = {}", pages + 40), [], |r| r.get(0)).unwrap();
    let (mut messages, mut bodies) = (vec![], vec![]);
    for i in 0..100_000 {
        // The two writers of an inbox: the store taking a message, the
        // webhook writer keeping a raw body.
        let new = inbound(shop, i);
        let message = shop.store.insert_message(&new);
        match message {
            Ok(InsertOutcome::Inserted(_)) => messages.push(i),
            Ok(other) => panic!("{other:?}"),
            Err(e) => return (messages, bodies, e),
        }
        // As the webhook writer does: the raw body and what it says, in one commit.
        let body = meta_inbound(i);
        let events: Vec<_> = parse_payload(&body).unwrap().into_iter().flat_map(|c| c.events).collect();
        let account = shop.account;
        let stored = shop.store.write(|tx| {
            let id = webhook_events::record(tx, "meta", Some(account), &body, EventState::Applied, None)?;
            ingest::apply(tx, account, &events)?;
            Ok(id)
        });
        match stored {
            Ok(Some(_)) => bodies.push(i),
            Ok(None) => panic!("a new body is never a redelivery"),
            Err(e) => return (messages, bodies, e),
        }
    }
    panic!("max_page_count never stopped the writes");
}

#[test]
fn a_full_disk_refuses_the_change_says_so_and_keeps_everything_acknowledged() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("wicket.db");
    let mut shop = shop(&path);
    let (messages, bodies, e) = fill_until_full(&mut shop);
    assert!(messages.len() > 3 && !bodies.is_empty(), "some writes went through first: {} messages", messages.len());
    let said = e.to_string();
    assert!(said.contains("disk is full") && said.contains("Free some space"), "{said}");
    assert!(said.contains("everything saved before is safe"), "{said}");

    // Still full: reads work, and the failed write left no half of itself.
    assert_eq!(message_count(&shop.store), (messages.len() + bodies.len()) as i64);
    drop(shop);

    // Space freed (a new connection has no cap): everything acknowledged is there.
    assert_eq!(integrity(&path), "ok");
    let mut store = Store::open(&path).unwrap();
    assert_eq!(message_count(&store), (messages.len() + bodies.len()) as i64, "every acknowledged message, and no other");
    for i in &messages {
        let m = store.message_by_provider_id(1, &format!("wamid.{i}")).unwrap().expect("acknowledged message kept");
        assert!(m.text.unwrap().starts_with(&format!("message {i} ")));
    }
    for i in &bodies {
        let m = store.message_by_provider_id(1, &format!("wamid.W{i}")).unwrap().expect("an acknowledged webhook's message kept");
        assert!(m.text.unwrap().starts_with(&format!("webhook {i} ")));
    }
    assert_eq!(store.webhook_events(100_000).unwrap().len(), bodies.len(), "each acknowledged raw body, and no other");
    // And the store takes writes again.
    let again = store.write(|tx| webhook_events::record(tx, "meta", Some(1), b"{\"after\":true}", EventState::Applied, None)).unwrap();
    assert!(again.is_some());
}

/// `chattr +i` on the folder and its files, undone on drop (else the temp
/// folder could not be deleted). `None` where the file system or the
/// process's capabilities do not allow it.
struct Immutable(Vec<PathBuf>);

impl Immutable {
    fn set(paths: Vec<PathBuf>) -> Option<Immutable> {
        let mut guard = Immutable(vec![]);
        for p in paths {
            let ok = std::process::Command::new("chattr").arg("+i").arg(&p).status().map(|s| s.success()).unwrap_or(false);
            if !ok {
                return None;
            }
            guard.0.push(p);
        }
        Some(guard)
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        for p in &self.0 {
            let _ = std::process::Command::new("chattr").arg("-i").arg(p).status();
        }
    }
}

#[test]
fn a_data_dir_that_cannot_be_written_is_said_plainly_and_loses_nothing() {
    // Everywhere: a file where the data dir should be.
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("wicket-data");
    std::fs::write(&file, b"not a folder").unwrap();
    let said = DataDir::open(&file).unwrap_err().to_string();
    assert!(said.contains("is a file, not a folder") && said.contains("--data-dir"), "{said}");
    assert_eq!(std::fs::read(&file).unwrap(), b"not a folder");

    // Where chattr works: a data dir frozen under a running store.
    let dir = DataDir::open(tmp.path().join("data")).unwrap();
    let mut shop = shop(&dir.db_path());
    for i in 0..5 {
        let new = inbound(&shop, i);
        shop.store.insert_message(&new).unwrap();
    }
    shop.store.conn().query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())).unwrap();
    drop(shop);
    let files = |dir: &DataDir| -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = std::fs::read_dir(dir.root()).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_file()).collect();
        out.push(dir.root().to_path_buf());
        out
    };
    let Some(frozen) = Immutable::set(files(&dir)) else {
        eprintln!("chattr +i is not available here: only the file-in-place case ran");
        return;
    };
    let said = match Store::open(&dir.db_path()) {
        Err(e) => e.to_string(),
        Ok(mut store) => store.insert_message(&inbound_to(1, 1, 99)).unwrap_err().to_string(),
    };
    assert!(said.contains("cannot be written") && said.contains("read-write"), "{said}");
    drop(frozen);
    assert_eq!(integrity(&dir.db_path()), "ok");
    let store = Store::open(&dir.db_path()).unwrap();
    assert_eq!(message_count(&store), 5, "everything written before the fault is there, nothing after");
}

#[test]
fn a_truncated_vault_is_refused_with_what_to_do_and_never_rewritten() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::open(tmp.path()).unwrap();
    let mut shop = shop(&dir.db_path());
    let vault = SecretStore::vault(dir.vault_path(), Secret::new("correct horse".to_string()), "id").unwrap();
    vault.set(shop.account, SecretName::AccessToken, &Secret::new("EAAG-token".to_string())).unwrap();
    drop(vault);
    let new = inbound(&shop, 1);
    shop.store.insert_message(&new).unwrap();

    let full = std::fs::read(dir.vault_path()).unwrap();
    std::fs::write(dir.vault_path(), &full[..full.len() / 2]).unwrap();
    let truncated = std::fs::read(dir.vault_path()).unwrap();
    let said = SecretStore::vault(dir.vault_path(), Secret::new("correct horse".to_string()), "id").unwrap_err().to_string();
    assert!(said.contains("not a readable Wicket vault") && said.contains("restore it from a backup"), "{said}");
    assert_eq!(std::fs::read(dir.vault_path()).unwrap(), truncated, "a failed open never writes over the vault");

    // The store does not depend on the vault: its data is all there.
    assert_eq!(message_count(&shop.store), 1);
    let new = inbound(&shop, 2);
    shop.store.insert_message(&new).unwrap();
    drop(shop);
    assert_eq!(integrity(&dir.db_path()), "ok");

    // Restoring the vault brings the secret back.
    std::fs::write(dir.vault_path(), &full).unwrap();
    let vault = SecretStore::vault(dir.vault_path(), Secret::new("correct horse".to_string()), "id").unwrap();
    assert_eq!(vault.get(1, SecretName::AccessToken).unwrap().expose(), "EAAG-token");
}

/// Overwrites the bytes of page `page` (1-based) of the file.
fn damage_page(path: &Path, page: u64, page_size: u64) {
    use std::io::{Seek, SeekFrom, Write};
    let mut f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    f.seek(SeekFrom::Start((page - 1) * page_size)).unwrap();
    f.write_all(&vec![0xA5; page_size as usize]).unwrap();
    f.sync_all().unwrap();
}

#[test]
fn a_damaged_database_is_refused_with_what_to_do_left_as_it_is_and_a_backup_restores_it() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("wicket.db");
    let mut shop = shop(&path);
    for i in 0..200 {
        let new = inbound(&shop, i);
        shop.store.insert_message(&new).unwrap();
    }
    // What the owner keeps: an export (the README's backup advice).
    let export = tmp.path().join("backup.json");
    shop.store.export_to(wicket_core::export::Format::Json, &export, None).unwrap();
    let page_size = shop.store.conn().query_row("PRAGMA page_size", [], |r| r.get::<_, i64>(0)).unwrap() as u64;
    // The messages table's root page: every read of a message goes through it.
    let root = shop.store.conn().query_row("SELECT rootpage FROM sqlite_master WHERE name = 'messages'", [], |r| r.get::<_, i64>(0)).unwrap() as u64;
    shop.store.conn().query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())).unwrap();
    drop(shop);

    // A page in the middle of the data, then the header itself.
    damage_page(&path, root, page_size);
    let said = match Store::open(&path) {
        Err(e) => e.to_string(),
        Ok(store) => {
            let read = (|| -> wicket_core::Result<()> {
                for i in 0..200 {
                    store.message_by_provider_id(1, &format!("wamid.{i}"))?;
                }
                store.conn().query_row("SELECT count(*), sum(length(text)) FROM messages", [], |_| Ok(()))?;
                Ok(())
            })();
            read.unwrap_err().to_string()
        }
    };
    assert!(said.contains("damaged") && said.contains("restore wicket.db from a backup"), "{said}");
    damage_page(&path, 1, 100);
    let before = std::fs::read(&path).unwrap();
    let said = Store::open(&path).unwrap_err().to_string();
    assert!(said.contains("damaged") && said.contains("wicket import"), "{said}");
    assert_eq!(std::fs::read(&path).unwrap(), before, "a damaged file is never written over: recovery tools get it as it was");

    // The owner's way back: move it aside, import the export.
    std::fs::rename(&path, tmp.path().join("wicket.db.damaged")).unwrap();
    let mut store = Store::open(&path).unwrap();
    store.import_from(&export).unwrap();
    assert_eq!(message_count(&store), 200, "everything acknowledged before the export is back");
    drop(store);
    assert_eq!(integrity(&path), "ok");
}
