//! The app lock: an optional passphrase that hides content on screen (the
//! window's lock screen, the CLI's content commands, notification previews)
//! until it is given again. It is not disk encryption: the store stays a
//! plain SQLite file, readable by anyone who can read the data dir.
//!
//! Everything lives in the store's settings table, so every process sees the
//! same lock (the window, `wicket`, `wicket serve`'s notifications) and a
//! restart or a kill never unlocks:
//!
//! | key | value |
//! |---|---|
//! | `app_lock_hash` | the passphrase's Argon2id PHC string (never the passphrase) |
//! | `app_lock_locked` | true while locked |
//! | `app_lock_failures` | wrong passphrases in a row |
//! | `app_lock_retry_at` | Unix ms before which no passphrase is checked |
//! | `lock_after_minutes` | the owner's idle time (0: only on demand; in the settings catalog) |
//!
//! The `app_lock_` keys are the app's own state: never exported, not settable,
//! left out of `wicket settings list`.

use crate::error::{Error, Result};
use crate::secrets::Secret;
use crate::store::Store;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::RngCore;
use serde::Serialize;
use serde_json::{json, Value};

pub const HASH: &str = "app_lock_hash";
pub const LOCKED: &str = "app_lock_locked";
pub const FAILURES: &str = "app_lock_failures";
pub const RETRY_AT: &str = "app_lock_retry_at";
/// The owner's idle time in minutes; 0 locks only on demand.
pub const LOCK_AFTER_MINUTES: &str = "lock_after_minutes";
/// The longest idle time accepted: a day.
pub const MAX_LOCK_AFTER_MINUTES: i64 = 1440;
/// Every key of the lock's own state (kept out of exports and listings).
pub const STATE_PREFIX: &str = "app_lock_";
/// Wrong passphrases allowed before each further try has to wait.
pub const FREE_TRIES: i64 = 5;
/// The first wait, doubled at each further wrong try, up to [`MAX_WAIT_SECONDS`].
pub const FIRST_WAIT_SECONDS: i64 = 30;
pub const MAX_WAIT_SECONDS: i64 = 15 * 60;
/// The shortest passphrase accepted (a PIN of 4 is the least a screen lock takes).
pub const MIN_LENGTH: usize = 4;
/// The sentence the window shows on the lock screen and in Settings.
pub const NOT_ENCRYPTION: &str =
    "The lock hides your messages on this screen; it does not encrypt them on disk. Anyone who can read your files can still read Wicket's data.";

/// The lock as the window and `wicket lock status` show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LockStatus {
    /// A passphrase is set.
    pub enabled: bool,
    pub locked: bool,
    /// 0: only on demand.
    pub lock_after_minutes: i64,
    /// Wrong passphrases in a row.
    pub failures: i64,
    /// Seconds before the next passphrase is checked (0: now).
    pub wait_seconds: i64,
}

fn flag(store: &Store, key: &str) -> Result<bool> {
    Ok(store.setting(key)?.and_then(|v| v.as_bool()).unwrap_or(false))
}

fn number(store: &Store, key: &str) -> Result<i64> {
    Ok(store.setting(key)?.and_then(|v| v.as_i64()).unwrap_or(0))
}

/// Whether a passphrase is set.
pub fn enabled(store: &Store) -> Result<bool> {
    Ok(store.setting_str(HASH)?.is_some_and(|h| !h.is_empty()))
}

/// Whether content is hidden now. A lock without a passphrase (a hand-edited
/// store) counts as unlocked: nothing could ever open it.
pub fn is_locked(store: &Store) -> Result<bool> {
    Ok(flag(store, LOCKED)? && enabled(store)?)
}

/// The one check before content: `Error::Locked` while locked.
pub fn ensure_unlocked(store: &Store) -> Result<()> {
    if is_locked(store)? {
        return Err(Error::Locked);
    }
    Ok(())
}

pub fn lock_after_minutes(store: &Store) -> Result<i64> {
    Ok(number(store, LOCK_AFTER_MINUTES)?.clamp(0, MAX_LOCK_AFTER_MINUTES))
}

pub fn status(store: &Store, now: i64) -> Result<LockStatus> {
    let retry_at = number(store, RETRY_AT)?;
    Ok(LockStatus {
        enabled: enabled(store)?,
        locked: is_locked(store)?,
        lock_after_minutes: lock_after_minutes(store)?,
        failures: number(store, FAILURES)?,
        wait_seconds: wait_seconds(retry_at, now),
    })
}

fn wait_seconds(retry_at: i64, now: i64) -> i64 {
    if retry_at > now {
        (retry_at - now + 999) / 1000
    } else {
        0
    }
}

/// The wait after `failures` wrong passphrases in a row: none for the first
/// [`FREE_TRIES`] - 1, then 30 s doubling up to 15 minutes.
pub fn wait_after(failures: i64) -> i64 {
    if failures < FREE_TRIES {
        return 0;
    }
    let doublings = (failures - FREE_TRIES).min(10) as u32;
    (FIRST_WAIT_SECONDS << doublings).min(MAX_WAIT_SECONDS)
}

/// Argon2id with OWASP's parameters (19 MiB, 2 passes, 1 lane): about a
/// tenth of a second here, slow enough to make guessing a stolen hash dear.
fn hasher() -> Result<Argon2<'static>> {
    let params = Params::new(19_456, 2, 1, None).map_err(|e| Error::Internal(format!("the app lock's hash parameters were refused: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

fn hash(passphrase: &Secret) -> Result<String> {
    let mut salt = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| Error::Internal(format!("cannot encode the app lock's salt: {e}")))?;
    let phc =
        hasher()?.hash_password(passphrase.expose().as_bytes(), &salt).map_err(|e| Error::Internal(format!("cannot hash the app lock's passphrase: {e}")))?;
    Ok(phc.to_string())
}

/// Checks `passphrase` against the stored hash, counting wrong ones: after
/// [`FREE_TRIES`] in a row each further try waits (kept in the store, so a
/// restart does not reset it). Every path that takes the lock's passphrase
/// (unlock, change, turn off) comes through here.
fn verify(store: &mut Store, passphrase: &Secret, now: i64) -> Result<()> {
    let Some(stored) = store.setting_str(HASH)?.filter(|h| !h.is_empty()) else {
        return Err(not_enabled());
    };
    let wait = wait_seconds(number(store, RETRY_AT)?, now);
    if wait > 0 {
        return Err(Error::LockWait { seconds: wait as u64 });
    }
    let parsed = PasswordHash::new(&stored).map_err(|e| {
        Error::Internal(format!("the stored app lock hash is unreadable ({e}): turn the lock off by editing the settings table, then set it again"))
    })?;
    if hasher()?.verify_password(passphrase.expose().as_bytes(), &parsed).is_ok() {
        store.write(|tx| {
            tx.execute("DELETE FROM settings WHERE key IN (?1, ?2)", [FAILURES, RETRY_AT])?;
            Ok(())
        })?;
        return Ok(());
    }
    // Counted in one transaction: two processes guessing at once both count.
    let failures = store.write(|tx| {
        let before: i64 =
            tx.query_row("SELECT value FROM settings WHERE key = ?1", [FAILURES], |r| r.get::<_, String>(0)).ok().and_then(|v| v.parse().ok()).unwrap_or(0);
        let failures = before + 1;
        let wait = wait_after(failures);
        let set = "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value";
        tx.execute(set, rusqlite::params![FAILURES, failures.to_string()])?;
        tx.execute(set, rusqlite::params![RETRY_AT, (if wait > 0 { now + wait * 1000 } else { 0 }).to_string()])?;
        Ok(failures)
    })?;
    let wait = wait_after(failures);
    Err(Error::LockPassphraseWrong { wait_seconds: (wait > 0).then_some(wait as u64) })
}

fn not_enabled() -> Error {
    Error::Invalid("the app lock is off: set a passphrase first (`wicket lock set --passphrase-env VAR`, or Settings → App lock)".into())
}

/// Turns the lock on, or changes its passphrase (`current` must then be the
/// passphrase in use). The lock stays as it was (on or off screen).
pub fn set_passphrase(store: &mut Store, new: &Secret, current: Option<&Secret>, now: i64) -> Result<()> {
    if new.expose().chars().count() < MIN_LENGTH {
        return Err(Error::Invalid(format!("the app lock's passphrase needs at least {MIN_LENGTH} characters")));
    }
    if enabled(store)? {
        let current = current.ok_or_else(|| Error::Invalid("the app lock is already on: give the current passphrase to change it".into()))?;
        verify(store, current, now)?;
    }
    let phc = hash(new)?;
    store.set_setting(HASH, &Value::String(phc))
}

/// Turns the lock off (needs the passphrase) and forgets its hash.
pub fn turn_off(store: &mut Store, passphrase: &Secret, now: i64) -> Result<()> {
    verify(store, passphrase, now)?;
    store.write(|tx| {
        tx.execute("DELETE FROM settings WHERE key LIKE 'app\\_lock\\_%' ESCAPE '\\'", [])?;
        Ok(())
    })
}

/// Locks now (on demand, or the window's idle time ran out).
pub fn lock(store: &mut Store) -> Result<()> {
    if !enabled(store)? {
        return Err(not_enabled());
    }
    store.set_setting(LOCKED, &json!(true))
}

/// Unlocks with the passphrase (see [`verify`] for wrong ones).
pub fn unlock(store: &mut Store, passphrase: &Secret, now: i64) -> Result<()> {
    verify(store, passphrase, now)?;
    store.set_setting(LOCKED, &json!(false))
}

/// Sets the idle time (0: only on demand).
pub fn set_lock_after_minutes(store: &mut Store, minutes: i64) -> Result<()> {
    check_minutes(&json!(minutes))?;
    store.set_setting(LOCK_AFTER_MINUTES, &json!(minutes))
}

/// The settings catalog's check of `lock_after_minutes`.
pub fn check_minutes(v: &Value) -> Result<()> {
    match v.as_i64() {
        Some(m) if (0..=MAX_LOCK_AFTER_MINUTES).contains(&m) => Ok(()),
        _ => Err(Error::Invalid(format!("the idle time is a whole number of minutes from 0 (lock only on demand) to {MAX_LOCK_AFTER_MINUTES}, not {v}"))),
    }
}
