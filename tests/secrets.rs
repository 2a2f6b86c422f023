//! The secret store against real backends: the encrypted vault in a real
//! data dir, and the real OS keychain (Secret Service).
//!
//! The keychain tests run only when `WICKET_TEST_KEYCHAIN=1` says a Secret
//! Service is there; then a keychain that does not work fails them. CI runs:
//! `dbus-run-session -- sh -c 'echo -n ci | gnome-keyring-daemon --unlock --components=secrets >/dev/null;
//! WICKET_TEST_KEYCHAIN=1 cargo test -p wicket-core --test secrets keychain'`.
//! Tests that touch environment variables hold `ENV_LOCK`: the environment is
//! process-wide and tests run on parallel threads.

use std::path::Path;
use std::process::Command;
use std::sync::Mutex;
use wicket_core::secrets::{Secret, SecretName, SecretStore, StoreMode, SERVICE};
use wicket_core::{DataDir, Error};

static ENV_LOCK: Mutex<()> = Mutex::new(());

fn secret(s: &str) -> Secret {
    Secret::new(s.to_string())
}

/// A data dir id no other run shares, so the real keychain never mixes runs.
fn unique_id(tag: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("test-{tag}-{}-{nanos}", std::process::id())
}

fn all_file_bytes(dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            all_file_bytes(&path, out);
        } else {
            out.push((path.display().to_string(), std::fs::read(&path).unwrap()));
        }
    }
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn vault_in_a_real_data_dir_round_trips_and_keeps_values_out_of_every_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::open(tmp.path()).unwrap();
    let id = "vault-it";
    let passphrase = "integration passphrase";
    let values = [
        (1, SecretName::AccessToken, "EAAGaccess1-distinctive-value"),
        (1, SecretName::AppSecret, "appsecret1-distinctive-value"),
        (1, SecretName::VerifyToken, "verify1-distinctive-value"),
        (2, SecretName::ApiKey, "apikey2-distinctive-value"),
        (2, SecretName::WebhookSecret, "whsec2-distinctive-value"),
    ];

    {
        let store = SecretStore::open_with(&dir, id, StoreMode::Vault, &|| Some(secret(passphrase))).unwrap();
        assert_eq!(store.kind(), "vault");
        for (account, name, value) in values {
            store.set(account, name, &secret(value)).unwrap();
        }
    }

    let reopened = SecretStore::open_with(&dir, id, StoreMode::Vault, &|| Some(secret(passphrase))).unwrap();
    for (account, name, value) in values {
        assert_eq!(reopened.get(account, name).unwrap().expose(), value, "account {account} {}", name.as_str());
    }
    assert!(reopened.get_opt(2, SecretName::AccessToken).unwrap().is_none());

    let err = SecretStore::vault(dir.vault_path(), secret("not the passphrase"), id).unwrap_err();
    assert!(err.to_string().contains("passphrase is wrong"), "{err}");

    let mut files = Vec::new();
    all_file_bytes(dir.root(), &mut files);
    assert!(files.iter().any(|(p, _)| p.ends_with("secrets.vault")), "the vault is in the data dir: {files:?}");
    for (path, bytes) in &files {
        for (_, _, value) in values {
            assert!(!contains(bytes, value), "{path} holds a secret value in clear");
        }
        assert!(!contains(bytes, passphrase), "{path} holds the passphrase");
    }
}

/// `WICKET_SECRET_STORE=vault` picks the vault even where a keychain answers
/// (named `keychain_*` so the CI keychain run exercises it with one present).
#[test]
fn keychain_is_skipped_when_the_environment_asks_for_the_vault() {
    let _env = ENV_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::open(tmp.path()).unwrap();
    let saved: Vec<_> = ["WICKET_SECRET_STORE", "WICKET_VAULT_PASSPHRASE"].map(|k| (k, std::env::var_os(k))).into();

    std::env::set_var("WICKET_SECRET_STORE", "vault");
    std::env::set_var("WICKET_VAULT_PASSPHRASE", "from-env");
    let store = SecretStore::open(&dir, "env-id", None).unwrap();
    assert_eq!(store.kind(), "vault", "WICKET_SECRET_STORE=vault must choose the vault");
    store.set(1, SecretName::AccessToken, &secret("env-token")).unwrap();

    // Without the variable, the caller's prompt supplies the passphrase.
    std::env::remove_var("WICKET_VAULT_PASSPHRASE");
    let prompt = || Some(secret("from-env"));
    let store = SecretStore::open(&dir, "env-id", Some(&prompt)).unwrap();
    assert_eq!(store.get(1, SecretName::AccessToken).unwrap().expose(), "env-token");
    let err = SecretStore::open(&dir, "env-id", None).unwrap_err();
    assert!(err.to_string().contains("no vault passphrase is set"), "{err}");

    std::env::set_var("WICKET_SECRET_STORE", "plaintext");
    let err = SecretStore::open(&dir, "env-id", Some(&prompt)).unwrap_err();
    assert!(err.to_string().contains("unknown WICKET_SECRET_STORE value"), "{err}");

    for (k, v) in saved {
        match v {
            Some(v) => std::env::set_var(k, v),
            None => std::env::remove_var(k),
        }
    }
}

/// Whether this process should run a keychain test itself: yes inside a
/// D-Bus session with an unlocked Secret Service (WICKET_TEST_KEYCHAIN=1).
/// Otherwise the test starts that session: it runs itself again under
/// `dbus-run-session` with gnome-keyring unlocked in a throwaway HOME, and
/// fails if that run fails. Only a machine without those programs skips it,
/// and says so.
fn keychain_wanted(test: &str) -> bool {
    if std::env::var("WICKET_TEST_KEYCHAIN").as_deref() == Ok("1") {
        return true;
    }
    let have = |p: &str| Command::new("sh").args(["-c", &format!("command -v {p}")]).output().is_ok_and(|o| o.status.success());
    if !(have("dbus-run-session") && have("gnome-keyring-daemon") && have("secret-tool")) {
        eprintln!("{test}: NOT RUN: install dbus, gnome-keyring and libsecret-tools (tests/run-all.sh does) to run it");
        return false;
    }
    let home = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    // The daemon forks before it owns its bus name: wait for the name, or the
    // first request D-Bus-activates a second, locked keyring.
    let script = "echo -n test | gnome-keyring-daemon --unlock --components=secrets >/dev/null || exit 1
        for i in $(seq 100); do
          dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
            org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q true && break
          sleep 0.05
        done
        exec \"$0\" \"$@\"";
    let out = Command::new("dbus-run-session")
        .args(["--", "sh", "-c", script])
        .arg(&exe)
        .args(["--exact", test, "--test-threads", "1", "--nocapture"])
        .env("HOME", home.path())
        .env("WICKET_TEST_KEYCHAIN", "1")
        .output()
        .unwrap_or_else(|e| panic!("cannot start dbus-run-session: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "{test} under a fresh D-Bus session with gnome-keyring failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    false
}

/// `secret-tool lookup service wicket username KEY`: what the Secret Service
/// itself holds, bypassing our code. `None` when there is no such item.
fn secret_tool_lookup(key: &str) -> Option<String> {
    let out = Command::new("secret-tool")
        .args(["lookup", "service", SERVICE, "username", key])
        .output()
        .unwrap_or_else(|e| panic!("cannot run secret-tool (install libsecret-tools): {e}"));
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Removes what a keychain test stored, even when the test fails half-way.
struct Cleanup(Vec<SecretStore>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        for store in &self.0 {
            let _ = store.delete_account(3);
        }
    }
}

#[test]
fn keychain_stores_in_the_real_secret_service() {
    if !keychain_wanted("keychain_stores_in_the_real_secret_service") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::open(tmp.path()).unwrap();
    let (id_a, id_b) = (unique_id("a"), unique_id("b"));
    let store = SecretStore::open_with(&dir, &id_a, StoreMode::Keychain, &|| None)
        .unwrap_or_else(|e| panic!("WICKET_TEST_KEYCHAIN=1 but the keychain does not work: {e}"));
    let other = SecretStore::keychain(&id_b).unwrap();
    let _cleanup = Cleanup(vec![store.clone(), other.clone()]);
    assert_eq!(store.kind(), "keychain");

    store.set(3, SecretName::AccessToken, &secret("kc-token-a")).unwrap();

    // A new store makes new keyring Entry objects: only a real keychain persists across them.
    let fresh = SecretStore::keychain(&id_a).unwrap();
    assert_eq!(fresh.get(3, SecretName::AccessToken).unwrap().expose(), "kc-token-a");
    let key = store.key(3, SecretName::AccessToken);
    assert_eq!(key, format!("{id_a}/account/3/access_token"));
    assert_eq!(secret_tool_lookup(&key).as_deref(), Some("kc-token-a"), "the item must be in the Secret Service under service={SERVICE} username={key}");

    // Same account and name under another data dir id: a separate item.
    assert!(other.get_opt(3, SecretName::AccessToken).unwrap().is_none(), "data dir ids must not collide");
    other.set(3, SecretName::AccessToken, &secret("kc-token-b")).unwrap();
    assert_eq!(fresh.get(3, SecretName::AccessToken).unwrap().expose(), "kc-token-a");
    assert_eq!(other.get(3, SecretName::AccessToken).unwrap().expose(), "kc-token-b");

    // Overwrite, then delete.
    store.set(3, SecretName::AccessToken, &secret("kc-token-a2")).unwrap();
    assert_eq!(fresh.get(3, SecretName::AccessToken).unwrap().expose(), "kc-token-a2");
    assert!(store.delete(3, SecretName::AccessToken).unwrap());
    assert!(!store.delete(3, SecretName::AccessToken).unwrap(), "deleting a missing entry is fine");
    assert_eq!(secret_tool_lookup(&key), None, "the item must be gone from the Secret Service");

    let err = fresh.get(3, SecretName::AccessToken).unwrap_err();
    assert!(matches!(err, Error::Secrets(_)));
    assert!(
        err.to_string().starts_with("no access token stored for account 3 in the keychain: "),
        "a missing entry says what is missing and what to do: {err}"
    );

    other.set(3, SecretName::WebhookSecret, &secret("kc-whsec-b")).unwrap();
    assert_eq!(other.delete_account(3).unwrap(), 2);
    assert_eq!(secret_tool_lookup(&other.key(3, SecretName::WebhookSecret)), None);
}

#[test]
fn keychain_is_chosen_by_auto_mode_when_it_answers() {
    if !keychain_wanted("keychain_is_chosen_by_auto_mode_when_it_answers") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::open(tmp.path()).unwrap();
    let id = unique_id("auto");
    let asked = std::cell::Cell::new(false);
    let passphrase = || {
        asked.set(true);
        Some(secret("unused"))
    };
    let store = SecretStore::open_with(&dir, &id, StoreMode::Auto, &passphrase).unwrap_or_else(|e| panic!("WICKET_TEST_KEYCHAIN=1 but auto mode failed: {e}"));
    assert_eq!(store.kind(), "keychain", "auto mode must use a keychain that answers");
    assert!(!asked.get(), "no passphrase is asked for when the keychain works");
    assert!(!dir.vault_path().exists(), "no vault is created beside a working keychain");
    let _cleanup = Cleanup(vec![store.clone()]);
    store.set(3, SecretName::ApiKey, &secret("kc-auto")).unwrap();
    assert_eq!(secret_tool_lookup(&store.key(3, SecretName::ApiKey)).as_deref(), Some("kc-auto"));
    // The probe cleaned up after itself: only the entry we set is under this id.
    let out = Command::new("secret-tool").args(["search", "--all", "service", SERVICE]).output().unwrap();
    // secret-tool prints the secrets on stdout and the attributes on stderr.
    let listing = String::from_utf8_lossy(&out.stderr);
    let ours = listing.lines().filter(|l| l.starts_with("attribute.username = ") && l.contains(&id)).count();
    assert_eq!(ours, 1, "only the stored entry, no probe left behind:\n{listing}");
}
