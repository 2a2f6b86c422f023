//! An in-memory secret backend for tests of other modules.
//!
//! It keeps the same contract as the real backends (get/set/delete by full
//! key, values held as [`Secret`]) and nothing survives the process. It is
//! never chosen by `SecretStore::open`; only code that asks for it gets it.

use super::{Secret, SecretBackend};
use crate::error::{Error, Result};
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

#[derive(Default)]
pub struct MemoryBackend {
    entries: Mutex<HashMap<String, Secret>>,
}

impl std::fmt::Debug for MemoryBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryBackend").finish_non_exhaustive()
    }
}

impl MemoryBackend {
    pub fn new() -> MemoryBackend {
        MemoryBackend::default()
    }

    fn entries(&self) -> Result<MutexGuard<'_, HashMap<String, Secret>>> {
        // A panic elsewhere while holding the lock poisons it; report it instead of panicking again.
        self.entries.lock().map_err(|_| Error::Secrets("the in-memory secret store is poisoned by an earlier panic".into()))
    }
}

impl SecretBackend for MemoryBackend {
    fn kind(&self) -> &'static str {
        "memory"
    }

    fn get(&self, key: &str) -> Result<Option<Secret>> {
        Ok(self.entries()?.get(key).cloned())
    }

    fn set(&self, key: &str, value: &Secret) -> Result<()> {
        self.entries()?.insert(key.to_string(), value.clone());
        Ok(())
    }

    fn delete(&self, key: &str) -> Result<bool> {
        Ok(self.entries()?.remove(key).is_some())
    }
}
