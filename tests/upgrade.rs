//! Installing a newer Wicket over an older one: a data dir written by the
//! previous release (tests/fixtures/upgrade/schema5, made once with that
//! release's `wicket` by make.sh beside it) is opened by this build. The
//! store is copied aside first (consistent, SQLite's own copy), migrated, and
//! every account, setting, contact and message is still there, as are the
//! vault's secrets; a store newer than the build is refused, never changed.

use std::path::Path;
use wicket_core::error::Error;
use wicket_core::secrets::{Secret, SecretName, SecretStore};
use wicket_core::store::migrations::latest_version;
use wicket_core::{DataDir, Store};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/upgrade/schema5");
const PASSPHRASE: &str = "upgrade fixture passphrase";

/// The previous release's data dir, copied (the fixture itself is never opened for writing).
fn previous_release() -> (tempfile::TempDir, DataDir) {
    let tmp = tempfile::tempdir().unwrap();
    for name in ["wicket.db", "secrets.vault"] {
        std::fs::copy(Path::new(FIXTURE).join(name), tmp.path().join(name)).unwrap();
    }
    let dir = DataDir::open(tmp.path()).unwrap();
    (tmp, dir)
}

/// What the owner has, read with plain SQL (no migration).
#[derive(Debug, PartialEq)]
struct Contents {
    accounts: Vec<String>,
    settings: Vec<(String, String)>,
    contacts: Vec<String>,
    messages: Vec<(String, String)>,
}

fn contents(path: &Path) -> Contents {
    let c = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let rows = |sql: &str| -> Vec<(String, String)> {
        let mut st = c.prepare(sql).unwrap();
        st.query_map([], |r| Ok((r.get::<_, Option<String>>(0)?.unwrap_or_default(), r.get::<_, Option<String>>(1)?.unwrap_or_default())))
            .unwrap()
            .map(|r| r.unwrap())
            .collect()
    };
    let accounts = rows("SELECT provider, name FROM accounts ORDER BY id").into_iter().map(|(p, n)| format!("{p}:{n}")).collect();
    let settings = rows("SELECT key, value FROM settings WHERE key NOT LIKE 'engine_%' AND key != 'in_use_until' ORDER BY key");
    let contacts = rows("SELECT phone, profile_name FROM contacts ORDER BY id").into_iter().map(|(p, n)| format!("{p} {n}")).collect();
    let messages = rows("SELECT coalesce(provider_message_id, ''), coalesce(text, caption, kind) FROM messages ORDER BY id");
    Contents { accounts, settings, contacts, messages }
}

#[test]
fn the_previous_releases_store_is_backed_up_then_migrated_and_keeps_everything() {
    let (_tmp, dir) = previous_release();
    let before = contents(&dir.db_path());
    assert_eq!(Store::peek_schema_version(&dir.db_path()).unwrap(), 5, "the fixture is the previous release's schema");
    assert!(before.accounts.len() == 2 && before.messages.len() >= 5, "the fixture holds accounts and messages: {before:?}");

    let mut store = Store::open(&dir.db_path()).unwrap();
    assert_eq!(store.schema_version().unwrap(), latest_version(), "opening migrates to this build's schema");
    let backup = dir.root().join("wicket.db.v5.bak");
    assert_eq!(Store::peek_schema_version(&backup).unwrap(), 5, "the old file is copied aside first, as it was");
    assert_eq!(contents(&backup), before, "the copy holds everything the old file held");
    drop(store);
    let after = contents(&dir.db_path());
    assert_eq!(after, before, "every account, setting, contact and message is still there");

    // The new build reads them through its own API too.
    store = Store::open(&dir.db_path()).unwrap();
    let accounts = store.accounts().unwrap();
    assert_eq!(accounts.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(), ["Corner Bakery", "Demo shop (sample data)"]);
    assert_eq!(store.default_country().unwrap(), "GB");
    let hits = store.search("ready", 10).unwrap();
    assert!(!hits.is_empty(), "search finds the old messages after the upgrade");

    // The keychain-less owner's secrets: the vault opens with its passphrase.
    let id = store.data_dir_id().unwrap();
    let vault = SecretStore::unlock_vault(&dir, &id, Secret::new(PASSPHRASE.into())).unwrap();
    let meta = accounts.iter().find(|a| a.name == "Corner Bakery").unwrap();
    assert_eq!(vault.get(meta.id, SecretName::AccessToken).unwrap().expose(), "EAAG-upgrade-token");
    assert_eq!(vault.get(meta.id, SecretName::AppSecret).unwrap().expose(), "upgrade_app_secret");
}

#[test]
fn a_store_newer_than_this_build_is_refused_and_left_as_it_was() {
    let (_tmp, dir) = previous_release();
    drop(Store::open(&dir.db_path()).unwrap());
    // As the next release will leave it: a schema this build does not know.
    {
        let c = rusqlite::Connection::open(dir.db_path()).unwrap();
        c.pragma_update(None, "user_version", latest_version() + 1).unwrap();
    }
    let bytes = std::fs::read(dir.db_path()).unwrap();
    let err = Store::open(&dir.db_path()).unwrap_err();
    assert!(matches!(err, Error::SchemaTooNew { .. }), "{err:?}");
    assert!(err.to_string().contains("install a newer Wicket"), "the message says what to do: {err}");
    assert_eq!(std::fs::read(dir.db_path()).unwrap(), bytes, "a refused store is not changed");
}
