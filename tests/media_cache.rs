//! The media cache against a fake Graph API on loopback, with real files in
//! a real data dir and a real SQLite file: least recently used files go
//! first, unsent attachments never go, the running total survives a restart
//! and matches the disk, a removed file comes back (hash checked) while Meta
//! has it, and one Meta no longer has keeps a clear state.

#[path = "support/core.rs"]
mod support;

use serde_json::json;
use sha2::{Digest, Sha256};
use std::path::Path;
use std::time::Duration;
use support::data_dir;
use wicket_core::media::{queue_attachment, Attachment};
use wicket_core::media_cache::{self, LIMIT_SETTING};
use wicket_core::model::{Direction, MediaState, MessageKind, Provider};
use wicket_core::providers::ProviderClient;
use wicket_core::secrets::{Secret, SecretName, SecretStore};
use wicket_core::store::contacts::ContactKey;
use wicket_core::store::media::NewMedia;
use wicket_core::store::messages::NewMessage;
use wicket_core::store::{Account, NewAccount, Store};
use wicket_core::{media_fetch, DataDir};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KIB: usize = 1024;

struct Setup {
    _tmp: tempfile::TempDir,
    dir: DataDir,
    store: Store,
    client: ProviderClient,
    account: Account,
    conversation: i64,
}

async fn setup(server: &MockServer) -> Setup {
    let (_tmp, dir, mut store) = data_dir();
    store.set_setting("default_country", &json!("GB")).unwrap();
    let account = store
        .add_account(&NewAccount {
            provider: Provider::Meta,
            name: "Shop".into(),
            phone: None,
            config: json!({"phone_number_id": "PN1", "business_account_id": "WABA1", "base_url": server.uri()}),
        })
        .unwrap();
    let secrets = SecretStore::in_memory("media-cache-test");
    secrets.set(account.id, SecretName::AccessToken, &Secret::new("tok-123".into())).unwrap();
    let client = ProviderClient::for_account(&account, &secrets).unwrap();
    support::customer_wrote(&mut store, account.id, "wamid.IN");
    let contact = store.upsert_contact(account.id, &ContactKey::phone("+447911123456"), &Default::default()).unwrap();
    let conversation = store.get_or_create_conversation(account.id, contact.id).unwrap();
    Setup { _tmp, dir, store, client, account, conversation }
}

/// Meta's two steps for media `id`: the lookup (with the promised hash), then the bytes.
async fn mount_media(server: &MockServer, id: &str, bytes: &[u8]) {
    Mock::given(method("GET"))
        .and(path(format!("/v23.0/{id}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "url": format!("{}/lookaside/?mid={id}", server.uri()), "mime_type": "image/jpeg",
            "sha256": hex::encode(Sha256::digest(bytes)), "file_size": bytes.len(), "id": id, "messaging_product": "whatsapp"})))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/lookaside/"))
        .and(query_param("mid", id))
        .respond_with(ResponseTemplate::new(200).set_body_raw(bytes.to_vec(), "image/jpeg"))
        .mount(server)
        .await;
}

/// An inbound image message whose media (Meta id `id`) waits to be downloaded.
fn inbound_image(s: &mut Setup, id: &str) -> i64 {
    let media_id = s
        .store
        .insert_media(&NewMedia { account_id: s.account.id, provider_media_id: Some(id.into()), mime: Some("image/jpeg".into()), ..Default::default() })
        .unwrap();
    s.store
        .insert_message(&NewMessage {
            account_id: s.account.id,
            conversation_id: s.conversation,
            provider_message_id: Some(format!("wamid.{id}")),
            direction: Some(Direction::In),
            kind: Some(MessageKind::Image),
            media_id: Some(media_id),
            ..Default::default()
        })
        .unwrap();
    media_id
}

async fn download(s: &mut Setup, media_id: i64) {
    let media = s.store.media_file(media_id).unwrap();
    media_fetch::fetch_one(&mut s.store, &s.dir, &s.client, &media).await.unwrap();
    // Distinct times for "downloaded" and "last used", which order eviction.
    tokio::time::sleep(Duration::from_millis(5)).await;
}

fn on_disk(s: &Setup, media_id: i64) -> bool {
    s.store.media_file(media_id).unwrap().path.is_some_and(|p| s.dir.root().join(p).is_file())
}

/// Every file under `media/` and what they weigh, walked for real.
fn disk_total(root: &Path) -> (i64, i64) {
    let (mut bytes, mut files) = (0, 0);
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let m = e.metadata().unwrap();
            if m.is_dir() {
                stack.push(e.path());
            } else {
                bytes += m.len() as i64;
                files += 1;
            }
        }
    }
    (bytes, files)
}

#[tokio::test]
async fn eviction_takes_the_least_recently_used_first_and_runs_after_each_download() {
    let server = MockServer::start().await;
    let mut s = setup(&server).await;
    s.store.set_setting(LIMIT_SETTING, &json!(0)).unwrap();
    let mut ids = vec![];
    for (i, name) in ["M1", "M2", "M3"].into_iter().enumerate() {
        mount_media(&server, name, &vec![i as u8 + 1; 400 * KIB]).await;
        let id = inbound_image(&mut s, name);
        download(&mut s, id).await;
        ids.push(id);
    }
    assert_eq!(s.store.media_cache_totals().unwrap().bytes, 3 * 400 * KIB as i64, "no limit: all three kept");

    // The oldest download was opened since: it is the most recently used now.
    wicket_core::media::local_file(&s.store, &s.dir, ids[0]).unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;

    // A lower limit (1 MB) takes the least recently used until under it: the second file only.
    s.store.set_setting(LIMIT_SETTING, &json!(1)).unwrap();
    let report = media_cache::enforce(&mut s.store, &s.dir, None).unwrap();
    assert_eq!(report.evicted.iter().map(|f| f.media_id).collect::<Vec<_>>(), vec![ids[1]], "{report:?}");
    assert_eq!(report.freed_bytes, 400 * KIB as i64);
    assert!(!report.still_over && report.media_bytes <= 1024 * 1024);
    assert!(on_disk(&s, ids[0]) && !on_disk(&s, ids[1]) && on_disk(&s, ids[2]));
    let evicted = s.store.media_file(ids[1]).unwrap();
    assert_eq!(evicted.state, MediaState::Evicted);
    assert_eq!(evicted.error, None, "Meta still has it: it can be downloaded again");
    assert!(report.evicted[0].can_download_again);
    assert!(s.store.media_to_fetch(i64::MAX, 10).unwrap().is_empty(), "an evicted file is not downloaded again by itself");

    // The message stays, showing the evicted media.
    let msgs = s.store.messages_page(s.conversation, None, 50).unwrap();
    let shown = msgs.iter().find(|m| m.media.as_ref().is_some_and(|f| f.id == ids[1])).expect("the message stays");
    assert_eq!(shown.media.as_ref().unwrap().state, MediaState::Evicted);
    let err = wicket_core::media::local_file(&s.store, &s.dir, ids[1]).unwrap_err().to_string();
    assert!(err.contains("removed to save space"), "{err}");

    // A fourth download goes over: the check after it removes the least recently used (the third), never itself.
    mount_media(&server, "M4", &vec![9; 400 * KIB]).await;
    let fourth = inbound_image(&mut s, "M4");
    download(&mut s, fourth).await;
    assert!(on_disk(&s, fourth) && on_disk(&s, ids[0]));
    assert!(!on_disk(&s, ids[2]), "the least recently used went");
    assert!(s.store.media_cache_totals().unwrap().bytes <= 1024 * 1024);
}

#[tokio::test]
async fn queued_attachments_are_never_evicted() {
    let server = MockServer::start().await;
    let mut s = setup(&server).await;
    s.store.set_setting(LIMIT_SETTING, &json!(0)).unwrap();
    let bytes = vec![5u8; 1200 * KIB];
    // The owner attaches a picture; nothing sends it (no engine): it stays pending.
    let queued =
        queue_attachment(&mut s.store, &s.dir, s.conversation, Attachment { file_name: "cake.jpg", mime: "image/jpeg", bytes: &bytes, caption: None }, None)
            .unwrap();
    let attachment = queued.media.as_ref().unwrap().id;
    mount_media(&server, "IN1", &vec![1; 300 * KIB]).await;
    let inbound = inbound_image(&mut s, "IN1");
    download(&mut s, inbound).await;

    s.store.set_setting(LIMIT_SETTING, &json!(1)).unwrap();
    let report = media_cache::enforce(&mut s.store, &s.dir, None).unwrap();
    assert_eq!(report.evicted.iter().map(|f| f.media_id).collect::<Vec<_>>(), vec![inbound], "the download goes, the attachment stays");
    assert!(report.still_over, "only the unsent attachment is left, over the limit on its own");
    assert!(on_disk(&s, attachment));
    assert_eq!(s.store.media_file(attachment).unwrap().state, MediaState::Downloaded);
    // Asking again changes nothing.
    assert!(media_cache::enforce(&mut s.store, &s.dir, None).unwrap().evicted.is_empty());
    let usage = media_cache::usage(&s.store, &s.dir).unwrap();
    assert_eq!((usage.media_files, usage.evictable_files), (1, 0), "{usage:?}");
    assert_eq!(usage.limit_mb, 1);
}

#[tokio::test]
async fn the_running_total_survives_a_restart_and_matches_the_disk() {
    let server = MockServer::start().await;
    let mut s = setup(&server).await;
    s.store.set_setting(LIMIT_SETTING, &json!(1)).unwrap();
    for (i, name) in ["A", "B", "C", "D"].into_iter().enumerate() {
        mount_media(&server, name, &vec![i as u8; (300 + 10 * i) * KIB]).await;
        let id = inbound_image(&mut s, name);
        download(&mut s, id).await;
    }
    let before = s.store.media_cache_totals().unwrap();
    assert!(before.bytes <= 1024 * 1024 && before.files == 3, "{before:?}");

    let Setup { _tmp, dir, store, account, .. } = s;
    drop(store);
    let mut store = Store::open(&dir.db_path()).unwrap();
    let after = store.media_cache_totals().unwrap();
    assert_eq!(after, before, "kept in the store");
    assert_eq!(after, store.media_cache_recount().unwrap(), "the running total equals the rows");
    let (bytes, files) = disk_total(&dir.media_dir());
    assert_eq!((after.bytes, after.files), (bytes, files), "and the files on disk");

    // Rows deleted by another path (a removed account's cascade) leave the total exact too.
    store.remove_account(account.id).unwrap();
    assert_eq!(store.media_cache_totals().unwrap(), Default::default());
}

#[tokio::test]
async fn a_removed_file_comes_back_with_its_hash_checked() {
    let server = MockServer::start().await;
    let mut s = setup(&server).await;
    let bytes = vec![7u8; 600 * KIB];
    mount_media(&server, "BACK", &bytes).await;
    let id = inbound_image(&mut s, "BACK");
    download(&mut s, id).await;
    let sha = s.store.media_file(id).unwrap().sha256.unwrap();
    mount_media(&server, "NEWER", &vec![8u8; 600 * KIB]).await;
    let newer = inbound_image(&mut s, "NEWER");
    download(&mut s, newer).await;
    s.store.set_setting(LIMIT_SETTING, &json!(1)).unwrap();
    media_cache::enforce(&mut s.store, &s.dir, None).unwrap();
    assert_eq!(s.store.media_file(id).unwrap().state, MediaState::Evicted);

    // Meta now sends different bytes under the same hash promise: refused, nothing stored.
    server.reset().await;
    Mock::given(method("GET"))
        .and(path("/v23.0/BACK"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "url": format!("{}/lookaside/?mid=BACK", server.uri()), "mime_type": "image/jpeg", "sha256": sha, "file_size": bytes.len(),
            "id": "BACK", "messaging_product": "whatsapp"})))
        .mount(&server)
        .await;
    Mock::given(method("GET")).and(path("/lookaside/")).respond_with(ResponseTemplate::new(200).set_body_raw(vec![0u8; 10], "image/jpeg")).mount(&server).await;
    let err = media_cache::download_again(&mut s.store, &s.dir, &s.client, id).await.unwrap_err().to_string();
    assert!(err.contains("SHA-256"), "{err}");
    let m = s.store.media_file(id).unwrap();
    assert_eq!((m.state, m.path), (MediaState::Failed, None), "a mismatch is never stored");

    // The real bytes: back on disk, same hash, through the ordinary download path.
    server.reset().await;
    mount_media(&server, "BACK", &bytes).await;
    wicket_core::media::retry_download(&mut s.store, id).unwrap();
    let media = s.store.media_file(id).unwrap();
    media_fetch::fetch_one(&mut s.store, &s.dir, &s.client, &media).await.unwrap();
    let m = s.store.media_file(id).unwrap();
    assert_eq!(m.state, MediaState::Downloaded);
    assert_eq!(m.sha256.as_deref(), Some(sha.as_str()));
    assert_eq!(std::fs::read(s.dir.root().join(m.path.unwrap())).unwrap(), bytes);
    let t = s.store.media_cache_totals().unwrap();
    assert_eq!(t, s.store.media_cache_recount().unwrap());
    assert!(t.bytes <= 1024 * 1024, "coming back made room by removing the other one: {t:?}");
    assert_eq!(s.store.media_file(newer).unwrap().state, MediaState::Evicted);

    // And "Download again" itself, in one call, on the other file.
    mount_media(&server, "NEWER", &vec![8u8; 600 * KIB]).await;
    let back = media_cache::download_again(&mut s.store, &s.dir, &s.client, newer).await.unwrap();
    assert_eq!(back.state, MediaState::Downloaded);
    assert!(on_disk(&s, newer));
}

#[tokio::test]
async fn a_file_meta_no_longer_has_keeps_a_clear_state() {
    let server = MockServer::start().await;
    let mut s = setup(&server).await;
    let mut ids = vec![];
    for name in ["GONE", "OLD", "KEEP"] {
        mount_media(&server, name, &vec![3u8; 600 * KIB]).await;
        let id = inbound_image(&mut s, name);
        download(&mut s, id).await;
        ids.push(id);
    }
    let (gone, old) = (ids[0], ids[1]);
    // "OLD" came 40 days ago: past Meta's window already when it is removed.
    s.store.conn().execute("UPDATE media_files SET created_at = created_at - 40 * 86400000 WHERE id = ?1", [old]).unwrap();
    s.store.set_setting(LIMIT_SETTING, &json!(1)).unwrap();
    let report = media_cache::enforce(&mut s.store, &s.dir, None).unwrap();
    assert_eq!(report.evicted.iter().map(|f| (f.media_id, f.can_download_again)).collect::<Vec<_>>(), vec![(gone, true), (old, false)]);
    let m = s.store.media_file(old).unwrap();
    assert_eq!(m.state, MediaState::Evicted);
    assert!(m.error.as_deref().unwrap().contains("no longer available from WhatsApp"), "{:?}", m.error);
    server.reset().await;
    let err = media_cache::download_again(&mut s.store, &s.dir, &s.client, old).await.unwrap_err().to_string();
    assert!(err.contains("no longer available from WhatsApp"), "{err}");
    assert!(server.received_requests().await.unwrap().is_empty(), "past the window nothing is asked");

    // Within the window, but Meta says the id does not exist any more.
    Mock::given(method("GET"))
        .and(path("/v23.0/GONE"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": {
            "message": "Unsupported get request. Object with ID 'GONE' does not exist", "type": "GraphMethodException", "code": 100, "error_subcode": 33}})))
        .mount(&server)
        .await;
    media_cache::download_again(&mut s.store, &s.dir, &s.client, gone).await.unwrap_err();
    let m = s.store.media_file(gone).unwrap();
    assert_eq!(m.state, MediaState::Evicted, "still removed, not failed-and-retried");
    assert!(m.error.as_deref().unwrap().contains("no longer available from WhatsApp"), "{:?}", m.error);
    assert!(s.store.media_to_fetch(i64::MAX, 10).unwrap().is_empty(), "never asked for again by itself");
    let again = media_cache::request_again(&mut s.store, gone).unwrap_err().to_string();
    assert!(again.contains("no longer available"), "{again}");
}
