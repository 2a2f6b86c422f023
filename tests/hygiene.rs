//! Data hygiene on real files: owner-only modes on disk, log pruning, the
//! daily maintenance job (raw webhook bodies past their retention, orphan
//! media folders, once a day across processes), per-account deduplication of
//! raw bodies, and removing an account with its bodies and files.

use serde_json::json;
use std::path::Path;
use std::sync::Arc;
use wicket_core::maintenance::{self, MaintenanceReport};
use wicket_core::media::{self, Attachment};
use wicket_core::model::{MediaState, Provider};
use wicket_core::secrets::{Secret, SecretBackend, SecretName, SecretStore};
use wicket_core::store::contacts::{ContactKey, ContactUpdate};
use wicket_core::store::media::NewMedia;
use wicket_core::store::webhook_events::{self, EventState};
use wicket_core::store::{NewAccount, Store};
use wicket_core::{DataDir, Error, Result};

const DAY_MS: i64 = 86_400_000;

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).permissions().mode() & 0o777
}

#[cfg(unix)]
fn set_mode(path: &Path, m: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(m)).unwrap();
}

fn account(store: &mut Store, provider: Provider, name: &str) -> i64 {
    store.add_account(&NewAccount { provider, name: name.into(), phone: None, config: json!({}) }).unwrap().id
}

fn conversation(store: &mut Store, account: i64, phone: &str) -> i64 {
    let c = store.upsert_contact(account, &ContactKey::phone(phone), &ContactUpdate::default()).unwrap();
    store.get_or_create_conversation(account, c.id).unwrap()
}

fn count(store: &Store, sql: &str) -> i64 {
    store.conn().query_row(sql, [], |r| r.get(0)).unwrap()
}

#[cfg(unix)]
#[test]
fn the_data_dir_database_vault_export_and_media_are_owner_only() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("data");
    // An existing data dir made by an older build with the umask's modes.
    std::fs::create_dir_all(root.join("media")).unwrap();
    for d in [&root, &root.join("media")] {
        set_mode(d, 0o755);
    }
    std::fs::write(root.join("secrets.vault"), b"{}").unwrap();
    set_mode(&root.join("secrets.vault"), 0o644);

    let dir = DataDir::open(&root).unwrap();
    for d in [dir.root().to_path_buf(), dir.media_dir(), dir.logs_dir()] {
        assert_eq!(mode(&d), 0o700, "{} is the owner's only", d.display());
    }
    assert_eq!(mode(&dir.vault_path()), 0o600, "a looser vault is tightened at open");

    let mut store = Store::open(&dir.db_path()).unwrap();
    let demo = account(&mut store, Provider::Demo, "Demo");
    let conv = conversation(&mut store, demo, "+447911123456");
    let queued = media::queue_attachment(
        &mut store,
        &dir,
        conv,
        Attachment { file_name: "invoice.pdf", mime: "application/pdf", bytes: b"%PDF-1.4 invoice", caption: None },
        None,
    )
    .unwrap();
    for suffix in ["", "-wal", "-shm"] {
        let p = Path::new(&format!("{}{suffix}", dir.db_path().display())).to_path_buf();
        assert_eq!(mode(&p), 0o600, "{} is the owner's only", p.display());
    }
    let media_file = media::local_file(&store, &dir, queued.media.as_ref().map(|m| m.id).unwrap()).unwrap();
    assert_eq!(mode(&media_file.path), 0o600, "an attachment is stored owner-only");
    assert_eq!(mode(media_file.path.parent().unwrap()), 0o700, "and its folder too");

    let export = tmp.path().join("export.json");
    store.export_to(wicket_core::export::Format::Json, &export, None).unwrap();
    assert_eq!(mode(&export), 0o600, "an export holds every message: owner-only");

    let vault = SecretStore::vault(dir.vault_path().with_file_name("other.vault"), Secret::new("pw".to_string()), "id").unwrap();
    vault.set(1, SecretName::AccessToken, &Secret::new("t".to_string())).unwrap();
    assert_eq!(mode(&dir.vault_path().with_file_name("other.vault")), 0o600);

    // A database left looser (copied in by hand) is tightened at the next open.
    drop(store);
    set_mode(&dir.db_path(), 0o644);
    let _store = Store::open(&dir.db_path()).unwrap();
    assert_eq!(mode(&dir.db_path()), 0o600);
}

#[cfg(unix)]
#[test]
fn maintenance_tightens_media_files_and_logs_left_looser() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::open(tmp.path()).unwrap();
    let mut store = Store::open(&dir.db_path()).unwrap();
    let a = account(&mut store, Provider::Demo, "Demo");
    let file = dir.media_dir().join(format!("{a}/in-1.jpg"));
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, b"jpeg").unwrap();
    set_mode(&file, 0o644);
    set_mode(file.parent().unwrap(), 0o755);
    let log = dir.logs_dir().join("wicket.log.2026-12-01");
    std::fs::write(&log, b"line\n").unwrap();
    set_mode(&log, 0o644);

    let report = maintenance::run_due(&mut store, &dir, now()).unwrap();
    assert!(report.ran);
    assert_eq!((mode(&file), mode(file.parent().unwrap()), mode(&log)), (0o600, 0o700, 0o600));
    assert!(report.files_tightened + report.logs.tightened >= 3, "the media file, its folder and the log: {report:?}");
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

#[test]
fn logs_older_than_fourteen_days_or_beyond_fifty_mb_are_pruned() {
    use chrono::NaiveDate;
    let tmp = tempfile::tempdir().unwrap();
    let logs = tmp.path();
    let today = NaiveDate::from_ymd_opt(2026, 12, 20).unwrap();
    let name = |program: &str, days_ago: u64| format!("{program}.log.{}", (today - chrono::Days::new(days_ago)).format("%Y-%m-%d"));
    for days_ago in [0, 1, 13, 14, 30] {
        std::fs::write(logs.join(name("wicket", days_ago)), b"x\n").unwrap();
    }
    std::fs::write(logs.join(name("desktop", 20)), b"x\n").unwrap();
    std::fs::write(logs.join("notes.txt"), b"kept: not a log of ours").unwrap();

    let report = wicket_core::logs::prune(logs, today).unwrap();
    let mut left: Vec<String> = std::fs::read_dir(logs).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    left.sort();
    let mut want = vec![name("wicket", 0), name("wicket", 1), name("wicket", 13), name("desktop", 20), "notes.txt".to_string()];
    want.sort();
    assert_eq!(left, want, "older than 14 days: gone, except each program's newest file (it may be open)");
    assert_eq!(report.removed, 2);

    // Size: sparse files (no disk used) of 20 MB each; the oldest go until
    // all logs together are under 50 MB, the newest stays even when big.
    for (days_ago, program) in [(3, "wicket"), (2, "wicket"), (1, "wicket"), (0, "wicket")] {
        let f = std::fs::OpenOptions::new().create(true).append(true).open(logs.join(name(program, days_ago))).unwrap();
        f.set_len(20 * 1024 * 1024).unwrap();
    }
    wicket_core::logs::prune(logs, today).unwrap();
    let total: u64 = std::fs::read_dir(logs).unwrap().map(|e| e.unwrap().metadata().unwrap().len()).sum();
    assert!(total <= wicket_core::logs::MAX_TOTAL_BYTES, "{total} bytes left");
    assert!(logs.join(name("wicket", 0)).exists() && logs.join(name("wicket", 1)).exists(), "the newest files stay");
    assert!(!logs.join(name("wicket", 3)).exists() && !logs.join(name("wicket", 2)).exists(), "the oldest go first");
}

/// A webhook body stored as the webhook writer stores it, then dated `age_days` ago.
fn body(store: &mut Store, account: Option<i64>, text: &str, state: EventState, age_days: i64, now: i64) -> i64 {
    let id = store.write(|tx| webhook_events::record(tx, "meta", account, text.as_bytes(), state, None)).unwrap().expect("a new body is stored");
    store.conn().execute("UPDATE webhook_events SET received_at = ?2 WHERE id = ?1", [id, now - age_days * DAY_MS]).unwrap();
    id
}

fn event_ids(store: &Store) -> Vec<i64> {
    let mut ids: Vec<i64> = store.webhook_events(1000).unwrap().iter().map(|e| e.id).collect();
    ids.sort();
    ids
}

#[test]
fn maintenance_prunes_applied_bodies_past_retention_once_a_day() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::open(tmp.path()).unwrap();
    let mut store = Store::open(&dir.db_path()).unwrap();
    let a = account(&mut store, Provider::Meta, "Shop");
    let now = now();
    let old_applied = body(&mut store, Some(a), "old applied", EventState::Applied, 31, now);
    let recent_applied = body(&mut store, Some(a), "recent applied", EventState::Applied, 29, now);
    let old_unparseable = body(&mut store, Some(a), "old unparseable", EventState::Unparseable, 90, now);
    let old_unrouted = body(&mut store, Some(a), "old unrouted", EventState::Unrouted, 90, now);
    let eight_days = body(&mut store, Some(a), "eight days", EventState::Applied, 8, now);

    let report = maintenance::run_due(&mut store, &dir, now).unwrap();
    assert!(report.ran);
    assert_eq!((report.retention_days, report.webhook_bodies_pruned), (30, 1));
    let _ = old_applied;
    assert_eq!(event_ids(&store), vec![recent_applied, old_unparseable, old_unrouted, eight_days], "what is not applied yet is kept");

    // Cheap and idle until a day has passed, whatever the setting says meanwhile.
    store.set_setting(maintenance::WEBHOOK_RETENTION_DAYS, &json!(7)).unwrap();
    for later in [now + 1, now + DAY_MS / 2, now + DAY_MS - 1] {
        assert_eq!(maintenance::run_due(&mut store, &dir, later).unwrap(), MaintenanceReport::default());
    }
    assert_eq!(event_ids(&store).len(), 4);
    let report = maintenance::run_due(&mut store, &dir, now + DAY_MS).unwrap();
    assert!(report.ran);
    assert_eq!((report.retention_days, report.webhook_bodies_pruned), (7, 2), "the setting is read at each run");
    assert_eq!(event_ids(&store), vec![old_unparseable, old_unrouted]);

    // A replayed body that is now applied is pruned like any other.
    webhook_events::set_state(store.conn(), old_unrouted, EventState::Applied, None).unwrap();
    let report = maintenance::run_due(&mut store, &dir, now + 2 * DAY_MS).unwrap();
    assert_eq!(report.webhook_bodies_pruned, 1);
    assert_eq!(event_ids(&store), vec![old_unparseable]);

    // A setting that is not a number of days: the default, and a warning.
    store.set_setting(maintenance::WEBHOOK_RETENTION_DAYS, &json!("soon")).unwrap();
    let report = maintenance::run_due(&mut store, &dir, now + 3 * DAY_MS).unwrap();
    assert_eq!(report.retention_days, 30);
    assert!(report.warnings.iter().any(|w| w.contains("webhook_retention_days")), "{report:?}");
}

#[test]
fn pruning_many_bodies_goes_in_short_batches_and_keeps_the_rest() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::open(tmp.path()).unwrap();
    let mut store = Store::open(&dir.db_path()).unwrap();
    let a = account(&mut store, Provider::Meta, "Shop");
    let now = now();
    store
        .write(|tx| {
            for i in 0..1234 {
                webhook_events::record(tx, "meta", Some(a), format!("body {i}").as_bytes(), EventState::Applied, None)?;
            }
            Ok(())
        })
        .unwrap();
    store.conn().execute("UPDATE webhook_events SET received_at = ?1", [now - 40 * DAY_MS]).unwrap();
    let kept = body(&mut store, Some(a), "fresh", EventState::Applied, 0, now);
    let report = maintenance::run_due(&mut store, &dir, now).unwrap();
    assert_eq!(report.webhook_bodies_pruned, 1234);
    assert_eq!(event_ids(&store), vec![kept]);
    let plan = store.explain("DELETE FROM webhook_events WHERE id IN (SELECT id FROM webhook_events INDEXED BY webhook_events_applied_by_age WHERE state = 'applied' AND received_at < 1 LIMIT 5)", []).unwrap();
    assert!(plan.iter().any(|l| l.contains("webhook_events_applied_by_age")), "{plan:?}");
}

#[test]
fn of_many_processes_calling_at_once_exactly_one_runs_the_day() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::open(tmp.path()).unwrap();
    drop(Store::open(&dir.db_path()).unwrap());
    let now = now();
    let barrier = Arc::new(std::sync::Barrier::new(6));
    let runs: Vec<_> = (0..6)
        .map(|_| {
            let (dir, barrier) = (dir.clone(), barrier.clone());
            std::thread::spawn(move || {
                let mut store = Store::open(&dir.db_path()).unwrap();
                barrier.wait();
                maintenance::run_due(&mut store, &dir, now).unwrap().ran
            })
        })
        .collect();
    let ran = runs.into_iter().map(|h| h.join().unwrap()).filter(|r| *r).count();
    assert_eq!(ran, 1, "one claim wins, the others find the day's run taken");
}

#[test]
fn the_same_body_posted_to_two_accounts_is_stored_for_each_but_once_per_account() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(&tmp.path().join("wicket.db")).unwrap();
    let (a, b) = (account(&mut store, Provider::Meta, "A"), account(&mut store, Provider::Meta, "B"));
    let payload = br#"{"object":"whatsapp_business_account","entry":[]}"#;
    let rec = |store: &mut Store, account| store.write(|tx| webhook_events::record(tx, "meta", Some(account), payload, EventState::Applied, None)).unwrap();
    assert!(rec(&mut store, a).is_some());
    assert!(rec(&mut store, b).is_some(), "another account's address: stored for it too");
    assert_eq!(rec(&mut store, a), None, "a redelivery to the same account is recognised");
    assert_eq!(rec(&mut store, b), None);
    let unrouted = |store: &mut Store| store.write(|tx| webhook_events::record(tx, "meta", None, payload, EventState::Unrouted, None)).unwrap();
    assert!(unrouted(&mut store).is_some());
    assert_eq!(unrouted(&mut store), None, "bodies of no account are deduplicated among themselves");
    assert_eq!(count(&store, "SELECT count(*) FROM webhook_events"), 3);
}

#[test]
fn an_older_store_keeps_its_bodies_when_dedup_becomes_per_account() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("wicket.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        for (i, sql) in wicket_core::store::migrations::MIGRATIONS.iter().take(4).enumerate() {
            conn.execute_batch(sql).unwrap();
            conn.pragma_update(None, "user_version", (i + 1) as i64).unwrap();
        }
        conn.execute("INSERT INTO accounts (provider, name, created_at, updated_at) VALUES ('meta', 'A', 0, 0), ('meta', 'B', 0, 0)", []).unwrap();
        conn.execute(
            "INSERT INTO webhook_events (provider, account_id, received_at, body, body_sha256, state) VALUES ('meta', 1, 0, x'7b7d', 'h', 'applied')",
            [],
        )
        .unwrap();
    }
    let mut store = Store::open(&path).unwrap();
    assert_eq!(count(&store, "SELECT count(*) FROM webhook_events"), 1);
    let id = store.write(|tx| webhook_events::record(tx, "meta", Some(2), b"{}", EventState::Applied, None)).unwrap();
    assert!(id.is_some(), "the body account 1 has is new for account 2");
}

/// A backend whose deletes fail, like a locked keychain.
struct LockedKeychain;
impl SecretBackend for LockedKeychain {
    fn kind(&self) -> &'static str {
        "keychain"
    }
    fn get(&self, _: &str) -> Result<Option<Secret>> {
        Ok(None)
    }
    fn set(&self, _: &str, _: &Secret) -> Result<()> {
        Ok(())
    }
    fn delete(&self, _: &str) -> Result<bool> {
        Err(Error::Secrets("the keychain is locked: unlock it and try again".into()))
    }
}

#[test]
fn removing_an_account_removes_its_bodies_and_files_after_its_secrets() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::open(tmp.path()).unwrap();
    let mut store = Store::open(&dir.db_path()).unwrap();
    let secrets = SecretStore::in_memory("id");
    let (gone, stays) = (account(&mut store, Provider::Meta, "Gone"), account(&mut store, Provider::Meta, "Stays"));
    secrets.set(gone, SecretName::AccessToken, &Secret::new("token".to_string())).unwrap();
    let now = now();
    let mut files = vec![];
    for a in [gone, stays] {
        body(&mut store, Some(a), "the same body", EventState::Applied, 0, now);
        body(&mut store, Some(a), &format!("unrouted for {a}"), EventState::Unrouted, 0, now);
        // A downloaded file, as the media fetcher leaves it.
        let rel = format!("media/{a}/1-00000000000000ab.jpg");
        wicket_core::datadir::write_private(&dir.root().join(&rel), b"jpeg").unwrap();
        let media_id = store.insert_media(&NewMedia { account_id: a, path: Some(rel), state: Some(MediaState::Downloaded), ..Default::default() }).unwrap();
        let picture = format!("media/avatars/{a}/1.img");
        wicket_core::datadir::write_private(&dir.root().join(&picture), b"img").unwrap();
        let contact = store.upsert_contact(a, &ContactKey::phone("+447911123456"), &ContactUpdate::default()).unwrap();
        store.set_contact_picture_path(contact.id, Some(&picture)).unwrap();
        files.push((media::local_file(&store, &dir, media_id).unwrap().path, dir.root().join(picture)));
    }

    // The secrets cannot be deleted: nothing at all is removed.
    let locked = SecretStore::from_backend(Arc::new(LockedKeychain), "id").unwrap();
    let e = wicket_core::accounts::remove(&mut store, Some(&locked), gone).unwrap_err();
    assert!(e.to_string().contains("unlock"), "{e}");
    assert!(store.account(gone).is_ok());
    assert_eq!(count(&store, &format!("SELECT count(*) FROM webhook_events WHERE account_id = {gone}")), 2);
    assert!(files[0].0.exists() && files[0].1.exists());

    assert_eq!(wicket_core::accounts::remove(&mut store, Some(&secrets), gone).unwrap(), 1);
    assert!(secrets.get_opt(gone, SecretName::AccessToken).unwrap().is_none(), "its secret is gone");
    assert_eq!(count(&store, "SELECT count(*) FROM webhook_events WHERE account_id IS NULL"), 0, "no body is left without its account");
    assert_eq!(count(&store, &format!("SELECT count(*) FROM webhook_events WHERE account_id = {stays}")), 2, "the other account keeps its bodies");
    assert!(!files[0].0.exists() && !files[0].1.exists(), "its media and pictures are deleted");
    assert!(!dir.media_dir().join(gone.to_string()).exists() && !dir.media_dir().join(format!("avatars/{gone}")).exists());
    assert!(files[1].0.exists() && files[1].1.exists(), "the other account's files stay");
}

#[test]
fn maintenance_sweeps_media_folders_of_accounts_that_no_longer_exist() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::open(tmp.path()).unwrap();
    let mut store = Store::open(&dir.db_path()).unwrap();
    let a = account(&mut store, Provider::Demo, "Demo");
    let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(2 * 3600);
    let mk = |rel: &str, old: bool| {
        let f = dir.media_dir().join(rel).join("x.bin");
        wicket_core::datadir::write_private(&f, b"x").unwrap();
        if old {
            std::fs::File::open(f.parent().unwrap()).unwrap().set_modified(hour_ago).unwrap();
        }
        f.parent().unwrap().to_path_buf()
    };
    let (orphan, orphan_avatars) = (mk("99", true), mk("avatars/99", true));
    let (live, fresh_orphan) = (mk(&a.to_string(), true), mk("100", false));
    let report = maintenance::run_due(&mut store, &dir, now()).unwrap();
    assert_eq!(report.media_folders_removed, 2, "{report:?}");
    assert!(!orphan.exists() && !orphan_avatars.exists());
    assert!(live.exists(), "a live account's folder stays");
    assert!(fresh_orphan.exists(), "a folder changed within the hour may belong to an account just created: it waits");
}
