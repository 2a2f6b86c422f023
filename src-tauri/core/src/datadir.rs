//! The data directory shared by the desktop app and `wicket`.
//!
//! Precedence: `--data-dir DIR`, then `WICKET_DATA_DIR`, then the platform
//! data dir for [`crate::APP_IDENTIFIER`] (what Tauri's `app_data_dir` gives).
//! The names inside are fixed so both programs find the same files.
//!
//! Everything inside holds customers' messages or what protects them, so on
//! Unix it is the owner's alone: folders `0700`, files `0600`. Folders and
//! the vault are tightened at every open when found looser (a few `stat`s);
//! the database by [`Store::open`](crate::store::Store::open), logs by
//! [`crate::logs`], media files by the daily [`crate::maintenance`].

use crate::error::{Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Owner-only modes (Unix).
pub const PRIVATE_DIR_MODE: u32 = 0o700;
pub const PRIVATE_FILE_MODE: u32 = 0o600;

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

    /// Uses `root` as the data dir, creating it and its fixed sub-folders
    /// owner-only, and tightening them (and the vault) when found looser.
    pub fn open(root: impl Into<PathBuf>) -> Result<DataDir> {
        let dir = DataDir { root: root.into() };
        if dir.root.exists() && !dir.root.is_dir() {
            return Err(Error::Invalid(format!(
                "the data dir {} is a file, not a folder: move that file away, or choose another data dir with --data-dir or WICKET_DATA_DIR",
                dir.root.display()
            )));
        }
        for d in [dir.root.clone(), dir.media_dir(), dir.logs_dir()] {
            create_private_dir(&d).map_err(|e| Error::io(format!("cannot create {} (check that its disk is writable and not full)", d.display()), e))?;
        }
        tighten_or_warn(&dir.vault_path(), PRIVATE_FILE_MODE);
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

/// Creates `path` (and missing parents, with the usual mode) as an
/// owner-only folder; an existing one is tightened.
pub fn create_private_dir(path: &Path) -> std::io::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, PRIVATE_DIR_MODE);
    match builder.create(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && path.is_dir() => {}
        Err(e) => return Err(e),
    }
    tighten_or_warn(path, PRIVATE_DIR_MODE);
    Ok(())
}

/// [`tighten`], where failing to tighten must not stop the work (a file we
/// can read but not change, e.g. on a read-only disk): logged instead.
pub fn tighten_or_warn(path: &Path, mode: u32) -> bool {
    tighten(path, mode).unwrap_or_else(|e| {
        tracing::warn!(path = %path.display(), error = %e, "cannot make it owner-only");
        false
    })
}

/// Takes away what `mode` does not allow (group and other bits) from an
/// existing file or folder. Returns whether anything changed; a missing
/// path is no change. No-op off Unix.
pub fn tighten(path: &Path, mode: u32) -> std::io::Result<bool> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = match std::fs::symlink_metadata(path) {
            Ok(m) if !m.file_type().is_symlink() => m,
            Ok(_) => return Ok(false),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(e),
        };
        let current = meta.permissions().mode() & 0o7777;
        let wanted = current & mode;
        if wanted != current {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(wanted))?;
            return Ok(true);
        }
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(false)
}

/// Options that create a file owner-only (`0600` on Unix).
pub fn private_file_options() -> std::fs::OpenOptions {
    let mut opts = std::fs::OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, PRIVATE_FILE_MODE);
    opts
}

/// Writes `bytes` to `path` as an owner-only file, atomically: a temporary
/// file beside it, fsynced, renamed over it. Missing parent folders are
/// created owner-only. A failure leaves no temporary file behind.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if !parent.is_dir() {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, PRIVATE_DIR_MODE);
        builder.create(parent)?;
    }
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = parent.join(format!(".{name}.partial-{}-{:08x}", std::process::id(), rand::random::<u32>()));
    let written = private_file_options().write(true).create_new(true).open(&tmp).and_then(|mut f| {
        f.write_all(bytes)?;
        f.sync_all()
    });
    if let Err(e) = written.and_then(|_| std::fs::rename(&tmp, path)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    Ok(())
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

    #[test]
    fn a_file_in_place_of_the_folder_says_what_to_do() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("data");
        std::fs::write(&file, b"x").unwrap();
        let e = DataDir::open(&file).unwrap_err().to_string();
        assert!(e.contains("is a file, not a folder") && e.contains("--data-dir"), "{e}");
        assert_eq!(std::fs::read(&file).unwrap(), b"x", "the file is left alone");
    }

    #[test]
    fn write_private_replaces_whole_files_and_leaves_no_temporary() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("media/3/a.bin");
        write_private(&path, b"one").unwrap();
        write_private(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }
}
