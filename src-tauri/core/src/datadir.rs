//! The data directory shared by the desktop app and `wicket`.
//!
//! Precedence: `--data-dir DIR`, then `WICKET_DATA_DIR`, then the platform
//! data dir for [`crate::APP_IDENTIFIER`] (what Tauri's `app_data_dir` gives).
//! The names inside are fixed so both programs find the same files.

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    /// Resolves the data dir by the precedence rules and creates it.
    pub fn resolve(flag: Option<&Path>) -> Result<DataDir> {
        let root = match (flag, std::env::var_os("WICKET_DATA_DIR")) {
            (Some(p), _) => p.to_path_buf(),
            (None, Some(env)) if !env.is_empty() => PathBuf::from(env),
            _ => dirs::data_dir()
                .ok_or_else(|| Error::Invalid("no platform data folder is known here: pass --data-dir or set WICKET_DATA_DIR".into()))?
                .join(crate::APP_IDENTIFIER),
        };
        DataDir::open(root)
    }

    /// Uses `root` as the data dir, creating it and its fixed sub-folders.
    pub fn open(root: impl Into<PathBuf>) -> Result<DataDir> {
        let dir = DataDir { root: root.into() };
        for d in [dir.root.clone(), dir.media_dir(), dir.logs_dir()] {
            std::fs::create_dir_all(&d).map_err(|e| Error::io(format!("cannot create {}", d.display()), e))?;
        }
        Ok(dir)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
    pub fn db_path(&self) -> PathBuf {
        self.root.join("wicket.db")
    }
    pub fn media_dir(&self) -> PathBuf {
        self.root.join("media")
    }
    pub fn logs_dir(&self) -> PathBuf {
        self.root.join("logs")
    }
    pub fn vault_path(&self) -> PathBuf {
        self.root.join("secrets.vault")
    }
    pub fn engine_lock_path(&self) -> PathBuf {
        self.root.join("engine.lock")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_wins_and_fixed_names_live_inside() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::resolve(Some(tmp.path())).unwrap();
        assert_eq!(dir.db_path(), tmp.path().join("wicket.db"));
        assert!(dir.media_dir().is_dir() && dir.logs_dir().is_dir());
        assert_eq!(dir.vault_path().file_name().unwrap(), "secrets.vault");
        assert_eq!(dir.engine_lock_path().file_name().unwrap(), "engine.lock");
    }
}
