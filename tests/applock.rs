//! The app lock in the core, on a real SQLite file: the passphrase kept only
//! as an Argon2id PHC hash, the locked state surviving a new connection (a
//! restart or a kill), wrong passphrases slowed down after five in a row
//! (also across connections), change and turn-off needing the passphrase,
//! notifications without content while locked, and the lock's state kept
//! out of exports.

#[path = "support/core.rs"]
mod support;

use support::{customer_wrote, data_dir};
use wicket_core::applock::{self, LockStatus};
use wicket_core::model::Provider;
use wicket_core::prefs::Preferences;
use wicket_core::secrets::Secret;
use wicket_core::store::{NewAccount, Store};
use wicket_core::Error;

fn secret(s: &str) -> Secret {
    Secret::new(s.into())
}

const PASS: &str = "copper lantern";
const T0: i64 = 1_800_000_000_000;

#[test]
fn the_passphrase_is_kept_only_as_an_argon2id_hash_and_the_lock_survives_a_restart() {
    let (_tmp, dir, mut store) = data_dir();
    assert!(!applock::is_locked(&store).unwrap());
    let e = applock::lock(&mut store).unwrap_err();
    assert!(e.to_string().contains("app lock is off"), "locking without a passphrase says what to do: {e}");
    assert!(matches!(applock::set_passphrase(&mut store, &secret("abc"), None, T0), Err(Error::Invalid(_))), "too short");

    applock::set_passphrase(&mut store, &secret(PASS), None, T0).unwrap();
    let phc = store.setting_str(applock::HASH).unwrap().unwrap();
    assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
    assert!(!phc.contains(PASS) && !phc.contains("copper"), "never the passphrase itself");
    let raw = std::fs::read(dir.db_path()).unwrap();
    assert!(!raw.windows(PASS.len()).any(|w| w == PASS.as_bytes()), "not in the database file either");
    // A second hash of the same passphrase has its own salt.
    let mut other = Store::open(&dir.db_path()).unwrap();
    applock::set_passphrase(&mut other, &secret("another one"), Some(&secret(PASS)), T0).unwrap();
    applock::set_passphrase(&mut other, &secret(PASS), Some(&secret("another one")), T0).unwrap();
    assert_ne!(store.setting_str(applock::HASH).unwrap().unwrap(), phc, "a random salt each time");

    assert_eq!(applock::status(&store, T0).unwrap(), LockStatus { enabled: true, locked: false, lock_after_minutes: 0, failures: 0, wait_seconds: 0 });
    applock::ensure_unlocked(&store).unwrap();
    applock::lock(&mut store).unwrap();
    let e = applock::ensure_unlocked(&store).unwrap_err();
    assert!(matches!(e, Error::Locked) && e.code() == "locked" && e.exit_code() == 9, "{e:?}");
    assert_eq!(e.to_string(), "Wicket is locked: unlock to see messages (in the window, or `wicket unlock --passphrase-env VAR`)");
    drop(store);
    drop(other);

    // A new process (a restart, or after a kill) finds it locked.
    let mut store = Store::open(&dir.db_path()).unwrap();
    assert!(applock::is_locked(&store).unwrap(), "a restart does not unlock");
    let e = applock::unlock(&mut store, &secret("copper lanterns"), T0).unwrap_err();
    assert!(matches!(e, Error::LockPassphraseWrong { wait_seconds: None }), "{e:?}");
    assert!(e.to_string().contains("does not unlock"), "{e}");
    assert!(applock::is_locked(&store).unwrap());
    applock::unlock(&mut store, &secret(PASS), T0).unwrap();
    assert!(!applock::is_locked(&store).unwrap());
    assert_eq!(applock::status(&store, T0).unwrap().failures, 0, "a right passphrase clears the count");
}

#[test]
fn wrong_passphrases_wait_longer_and_longer_after_five_even_across_connections() {
    let (_tmp, dir, mut store) = data_dir();
    applock::set_passphrase(&mut store, &secret(PASS), None, T0).unwrap();
    applock::lock(&mut store).unwrap();
    for n in 1..=4 {
        let e = applock::unlock(&mut store, &secret("nope"), T0).unwrap_err();
        assert!(matches!(e, Error::LockPassphraseWrong { wait_seconds: None }), "try {n}: {e:?}");
    }
    let e = applock::unlock(&mut store, &secret("nope"), T0).unwrap_err();
    assert!(matches!(e, Error::LockPassphraseWrong { wait_seconds: Some(30) }), "the fifth: {e:?}");
    assert!(e.to_string().contains("wait 30 s"), "{e}");

    // Another process is held back as well, even with the right passphrase.
    let mut other = Store::open(&dir.db_path()).unwrap();
    let e = applock::unlock(&mut other, &secret(PASS), T0 + 10_000).unwrap_err();
    assert!(matches!(e, Error::LockWait { seconds: 20 }), "{e:?}");
    assert_eq!(e.exit_code(), 10);
    assert!(applock::is_locked(&other).unwrap());
    assert_eq!(applock::status(&other, T0 + 10_000).unwrap().wait_seconds, 20);
    // Changing or turning off goes through the same wait.
    assert!(matches!(applock::turn_off(&mut other, &secret(PASS), T0 + 10_000), Err(Error::LockWait { .. })));
    assert!(matches!(applock::set_passphrase(&mut other, &secret("new one"), Some(&secret(PASS)), T0 + 10_000), Err(Error::LockWait { .. })));

    // After the wait, the sixth wrong one doubles it.
    let e = applock::unlock(&mut other, &secret("nope"), T0 + 30_000).unwrap_err();
    assert!(matches!(e, Error::LockPassphraseWrong { wait_seconds: Some(60) }), "{e:?}");
    assert_eq!(applock::wait_after(7), 120);
    assert_eq!(applock::wait_after(40), applock::MAX_WAIT_SECONDS, "capped at 15 minutes");
    assert_eq!(applock::status(&store, T0 + 30_000).unwrap().failures, 6);

    applock::unlock(&mut store, &secret(PASS), T0 + 90_000).unwrap();
    let s = applock::status(&store, T0 + 90_000).unwrap();
    assert_eq!((s.locked, s.failures, s.wait_seconds), (false, 0, 0));
}

#[test]
fn changing_needs_the_current_passphrase_and_turning_off_forgets_everything() {
    let (_tmp, _dir, mut store) = data_dir();
    applock::set_passphrase(&mut store, &secret(PASS), None, T0).unwrap();
    applock::set_lock_after_minutes(&mut store, 10).unwrap();
    assert!(matches!(applock::set_lock_after_minutes(&mut store, -5), Err(Error::Invalid(_))));
    let e = applock::set_passphrase(&mut store, &secret("meadow orbit"), None, T0).unwrap_err();
    assert!(e.to_string().contains("current passphrase"), "{e}");
    assert!(matches!(applock::set_passphrase(&mut store, &secret("meadow orbit"), Some(&secret("wrong")), T0), Err(Error::LockPassphraseWrong { .. })));
    applock::set_passphrase(&mut store, &secret("meadow orbit"), Some(&secret(PASS)), T0).unwrap();
    applock::lock(&mut store).unwrap();
    assert!(matches!(applock::unlock(&mut store, &secret(PASS), T0), Err(Error::LockPassphraseWrong { .. })), "the old one no longer opens it");

    assert!(matches!(applock::turn_off(&mut store, &secret(PASS), T0), Err(Error::LockPassphraseWrong { .. })));
    assert!(applock::is_locked(&store).unwrap());
    applock::turn_off(&mut store, &secret("meadow orbit"), T0).unwrap();
    assert_eq!(
        applock::status(&store, T0).unwrap(),
        LockStatus { enabled: false, locked: false, lock_after_minutes: 10, failures: 0, wait_seconds: 0 },
        "off: unlocked, the hash and the count gone; the idle time is the owner's setting and stays"
    );
    assert!(store.settings().unwrap().iter().all(|(k, _)| !k.starts_with("app_lock_")), "{:?}", store.settings().unwrap());
}

#[test]
fn notifications_carry_no_content_while_locked_and_exports_leave_the_lock_out() {
    let (_tmp, _dir, mut store) = data_dir();
    let account = store
        .add_account(&NewAccount { provider: Provider::Meta, name: "Shop".into(), phone: Some("+447700900001".into()), config: serde_json::json!({}) })
        .unwrap();
    customer_wrote(&mut store, account.id, "wamid.lock1");
    let id = store.message_by_provider_id(account.id, "wamid.lock1").unwrap().unwrap().id;
    applock::set_passphrase(&mut store, &secret(PASS), None, T0).unwrap();

    // What the shell's notifier does: the attention from the preferences and the lock in the store.
    let decide = |store: &Store| {
        let a = Preferences::load(store).unwrap().attention(None, 12 * 60, applock::is_locked(store).unwrap()).unwrap();
        wicket_core::notify::decide(store, &[id], &a).unwrap()
    };
    let open = decide(&store);
    assert_eq!(open.len(), 1);
    assert!(open[0].body.contains("hi"), "unlocked: the preview shows: {open:?}");
    applock::lock(&mut store).unwrap();
    let locked = decide(&store);
    assert_eq!(locked.len(), 1, "still notified");
    assert_eq!((locked[0].title.as_str(), locked[0].body.as_str()), ("New message", ""), "no name, no text while locked");

    applock::unlock(&mut store, &secret(PASS), T0).unwrap();
    let text = store.export_json(None).unwrap().to_string();
    assert!(!text.contains("app_lock_hash") && !text.contains("argon2id"), "the lock's hash is never exported");
    assert!(text.contains("wamid.lock1"), "the rest is");
}
