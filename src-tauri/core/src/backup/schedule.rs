//! Scheduled backups: settings, the `backup` job and the backup folder.
//!
//! Settings: `backup_enabled` (off by default), `backup_folder` (default
//! `backups/` in the data dir), `backup_keep` (the last N, 7 by default),
//! `backup_every_hours` (24: daily). The passphrase lives in the secret
//! store (never in SQLite), under the data dir's `app/backup_passphrase`.

use super::Created;
use crate::datadir::DataDir;
use crate::error::{Error, Result};
use crate::jobs;
use crate::secrets::{Secret, SecretStore};
use crate::store::Store;
use crate::time::to_rfc3339;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub const ENABLED: &str = "backup_enabled";
pub const FOLDER: &str = "backup_folder";
pub const KEEP: &str = "backup_keep";
pub const EVERY_HOURS: &str = "backup_every_hours";
pub const WITH_SECRETS: &str = "backup_with_secrets";
/// The secret-store name of the scheduled backups' passphrase.
pub const PASSPHRASE_SECRET: &str = "backup_passphrase";
pub const DEFAULT_KEEP: i64 = 7;
pub const DEFAULT_EVERY_HOURS: f64 = 24.0;
/// Scheduled backups are named `wicket-backup-YYYYMMDD-HHMMSS.wbk`.
const PREFIX: &str = "wicket-backup-";
pub const EXTENSION: &str = "wbk";

/// The schedule as Settings shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Schedule {
    pub enabled: bool,
    pub folder: String,
    pub keep: i64,
    pub every_hours: f64,
    pub with_secrets: bool,
    /// Whether a passphrase for scheduled backups is in the secret store.
    pub passphrase_set: Option<bool>,
}

/// One backup file in the folder.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BackupFile {
    pub name: String,
    pub path: String,
    pub size: u64,
    pub created_at: String,
}

/// Whether scheduled backups are on, and every how many hours.
pub fn timing(store: &Store) -> Result<(bool, f64)> {
    Ok((
        store.setting(ENABLED)?.and_then(|v| v.as_bool()).unwrap_or(false),
        store.setting(EVERY_HOURS)?.and_then(|v| v.as_f64()).filter(|h| *h > 0.0).unwrap_or(DEFAULT_EVERY_HOURS),
    ))
}

pub fn schedule(store: &Store, dir: &DataDir) -> Result<Schedule> {
    let (enabled, every_hours) = timing(store)?;
    Ok(Schedule {
        enabled,
        folder: folder(store, dir)?.display().to_string(),
        keep: store.setting(KEEP)?.and_then(|v| v.as_i64()).filter(|n| *n > 0).unwrap_or(DEFAULT_KEEP),
        every_hours,
        with_secrets: store.setting(WITH_SECRETS)?.and_then(|v| v.as_bool()).unwrap_or(false),
        passphrase_set: None,
    })
}

/// The backup folder: the setting, else `backups/` in the data dir.
pub fn folder(store: &Store, dir: &DataDir) -> Result<PathBuf> {
    Ok(match store.setting_str(FOLDER)?.filter(|s| !s.trim().is_empty()) {
        Some(f) => PathBuf::from(f),
        None => dir.root().join("backups"),
    })
}

/// The scheduled backups in `folder`, newest first.
pub fn list(folder: &Path) -> Result<Vec<BackupFile>> {
    let entries = match std::fs::read_dir(folder) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
        Err(e) => return Err(Error::io(format!("cannot list the backup folder {}", folder.display()), e)),
    };
    let mut out = vec![];
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(format!("cannot list the backup folder {}", folder.display()), e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with(PREFIX) || !name.ends_with(&format!(".{EXTENSION}")) {
            continue;
        }
        let meta = entry.metadata().map_err(|e| Error::io(format!("cannot read {}", entry.path().display()), e))?;
        let modified = meta.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()).map_or(0, |d| d.as_millis() as i64);
        out.push(BackupFile { name, path: entry.path().display().to_string(), size: meta.len(), created_at: to_rfc3339(modified) });
    }
    // The name carries the time, so sorting by it is sorting by age.
    out.sort_by(|a, b| b.name.cmp(&a.name));
    Ok(out)
}

/// The `backup` job: when turned on and due, writes a new backup into the
/// folder and keeps the last N. `Ok(None)` when nothing was due.
pub fn run_due(store: &mut Store, dir: &DataDir, secrets: &SecretStore, now: i64) -> Result<Option<String>> {
    let s = schedule(store, dir)?;
    if !s.enabled {
        return Ok(None);
    }
    let every = Duration::from_secs_f64(s.every_hours * 3600.0);
    if !jobs::due(store, jobs::BACKUP, None, every, now)? {
        return Ok(None);
    }
    let passphrase = secrets
        .get_app(PASSPHRASE_SECRET)?
        .ok_or_else(|| Error::Secrets("scheduled backups are on but no backup passphrase is stored: set one in Settings → Backups".into()))?;
    let created = run_now(store, dir, &passphrase, s.with_secrets.then_some(secrets), now)?;
    let removed = prune(Path::new(&s.folder), s.keep)?;
    Ok(Some(format!("wrote {} ({} bytes, {} messages); removed {removed} older", created.path, created.size, created.manifest.counts.messages)))
}

/// Writes one backup into the folder under a dated name.
pub fn run_now(store: &Store, dir: &DataDir, passphrase: &Secret, secrets: Option<&SecretStore>, now: i64) -> Result<Created> {
    let folder = folder(store, dir)?;
    crate::datadir::create_private_dir(&folder).map_err(|e| Error::io(format!("cannot create the backup folder {}", folder.display()), e))?;
    let stamp = chrono::DateTime::from_timestamp_millis(now).unwrap_or_default().format("%Y%m%d-%H%M%S");
    let mut path = folder.join(format!("{PREFIX}{stamp}.{EXTENSION}"));
    let mut n = 1;
    while path.exists() {
        n += 1;
        path = folder.join(format!("{PREFIX}{stamp}-{n}.{EXTENSION}"));
    }
    super::create(store, dir, &path, passphrase, secrets)
}

/// Removes all but the newest `keep` scheduled backups; returns how many went.
pub fn prune(folder: &Path, keep: i64) -> Result<usize> {
    let mut removed = 0;
    for old in list(folder)?.into_iter().skip(keep.max(1) as usize) {
        std::fs::remove_file(&old.path).map_err(|e| Error::io(format!("cannot remove the old backup {}", old.path), e))?;
        removed += 1;
    }
    Ok(removed)
}
