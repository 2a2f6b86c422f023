//! `engine.lock`: only one process at a time runs the background engine
//! (webhook listener, pollers, outbox, jobs) on a data dir. The lock is an OS
//! file lock, so it is released when the holder dies; the file records the
//! holder's pid and command line so a refusal can name it.

use crate::datadir::DataDir;
use crate::error::{Error, Result};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};

/// Held for as long as this value lives.
#[derive(Debug)]
pub struct EngineLock {
    file: File,
}

impl EngineLock {
    pub fn acquire(dir: &DataDir) -> Result<EngineLock> {
        let path = dir.engine_lock_path();
        let mut file = crate::datadir::private_file_options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| Error::io(format!("cannot open {}", path.display()), e))?;
        // `is_held` in another process takes the lock for an instant: retry
        // briefly before believing that an engine holds it.
        let mut tries = 0;
        let locked = loop {
            match file.try_lock() {
                Err(TryLockError::WouldBlock) if tries < 10 => {
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                other => break other,
            }
        };
        match locked {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim().replace('\n', ", ");
                return Err(Error::EngineLockHeld { holder: if holder.is_empty() { "unknown process".into() } else { holder } });
            }
            Err(TryLockError::Error(e)) => return Err(Error::io(format!("cannot lock {}", path.display()), e)),
        }
        let cmdline: Vec<String> = std::env::args().collect();
        let record = format!("pid {}\ncommand {}\n", std::process::id(), cmdline.join(" "));
        file.set_len(0)
            .and_then(|_| file.seek(SeekFrom::Start(0)))
            .and_then(|_| file.write_all(record.as_bytes()))
            .and_then(|_| file.sync_all())
            .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))?;
        Ok(EngineLock { file })
    }

    /// Who holds the lock ("pid N, command ..."), or `None` when no engine runs.
    pub fn holder(dir: &DataDir) -> Option<String> {
        if !Self::is_held(dir) {
            return None;
        }
        let text = std::fs::read_to_string(dir.engine_lock_path()).unwrap_or_default();
        let text = text.trim().replace('\n', ", ");
        Some(if text.is_empty() { "unknown process".into() } else { text })
    }

    /// Whether some process holds the lock right now (without taking it).
    pub fn is_held(dir: &DataDir) -> bool {
        let Ok(file) = OpenOptions::new().read(true).write(true).open(dir.engine_lock_path()) else {
            return false;
        };
        match file.try_lock() {
            Ok(()) => {
                let _ = file.unlock();
                false
            }
            Err(_) => true,
        }
    }
}

impl Drop for EngineLock {
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_engine_is_refused_naming_the_holder() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::open(tmp.path()).unwrap();
        let first = EngineLock::acquire(&dir).unwrap();
        assert!(EngineLock::is_held(&dir));
        let err = EngineLock::acquire(&dir).unwrap_err();
        match err {
            Error::EngineLockHeld { holder } => assert!(holder.contains(&format!("pid {}", std::process::id())), "holder: {holder}"),
            other => panic!("expected EngineLockHeld, got {other:?}"),
        }
        drop(first);
        assert!(!EngineLock::is_held(&dir));
        EngineLock::acquire(&dir).expect("the lock is free again after the holder drops it");
    }
}
