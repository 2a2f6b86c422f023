//! The OS keychain backend (Secret Service on Linux, through `keyring`).
//!
//! Every entry lives under the one service name [`SERVICE`] with the full
//! storage key as the keyring "user", so the Secret Service item carries the
//! attributes `service=wicket` and `username=<key>`. Calls are blocking D-Bus
//! round trips: callers run them off the async runtime. Errors and logs name
//! the key and what to do, never the value.

use super::{Secret, SecretBackend};
use crate::error::{Error, Result};
use keyring::Entry;

/// The keyring service name of every Wicket entry.
pub const SERVICE: &str = "wicket";

#[derive(Debug, Default)]
pub struct KeychainBackend;

impl KeychainBackend {
    pub fn new() -> KeychainBackend {
        KeychainBackend
    }

    /// Proves the keychain works with a real round trip: store a probe entry,
    /// read it back through a *new* `Entry`, delete it. `keyring` fails lazily
    /// (creating an `Entry` succeeds with no Secret Service running), and a
    /// store that does not persist across `Entry` objects is no keychain.
    pub fn probe(&self, data_dir_id: &str) -> Result<()> {
        let key = format!("{data_dir_id}/probe/{}-{:016x}", std::process::id(), rand::random::<u64>());
        let value = Secret::new(format!("{:016x}", rand::random::<u64>()));
        self.set(&key, &value)?;
        let read = self.get(&key);
        // Clean up even when the read failed; a probe left behind is harmless but untidy.
        let deleted = self.delete(&key);
        match read? {
            Some(v) if v.expose() == value.expose() => {}
            Some(_) => return Err(Error::Secrets("the OS keychain returned a different value for a test entry".into())),
            None => return Err(Error::Secrets("the OS keychain did not keep a test entry (it may be a non-persistent mock store)".into())),
        }
        deleted.map(|_| ())
    }
}

fn entry(key: &str) -> Result<Entry> {
    Entry::new(SERVICE, key).map_err(|e| failure("open", key, e))
}

/// Turns a keyring error into a message that says what failed and what to do.
fn failure(action: &str, key: &str, e: keyring::Error) -> Error {
    let why = match &e {
        keyring::Error::NoStorageAccess(inner) => format!("the keychain refused access, is it locked? ({inner})"),
        keyring::Error::PlatformFailure(inner) => format!("the keychain failed ({inner})"),
        // Never print the bytes: they are the secret.
        keyring::Error::BadEncoding(_) => "the stored value is not UTF-8 text".to_string(),
        other => other.to_string(),
    };
    Error::Secrets(format!("the OS keychain could not {action} {key}: {why}: make sure a Secret Service (e.g. gnome-keyring) runs and is unlocked"))
}

impl SecretBackend for KeychainBackend {
    fn kind(&self) -> &'static str {
        "keychain"
    }

    fn get(&self, key: &str) -> Result<Option<Secret>> {
        match entry(key)?.get_password() {
            Ok(value) => Ok(Some(Secret::new(value))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(failure("read", key, e)),
        }
    }

    fn set(&self, key: &str, value: &Secret) -> Result<()> {
        entry(key)?.set_password(value.expose()).map_err(|e| failure("store", key, e))
    }

    fn delete(&self, key: &str) -> Result<bool> {
        match entry(key)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(failure("delete", key, e)),
        }
    }
}
