//! One-file encrypted backups of a data dir, and their restore.
//!
//! A backup holds a consistent snapshot of the store (SQLite's online backup
//! API, so it is safe while the engine writes), every file under `media/` (and the quick replies' files),
//! and, only when the owner asks, the accounts' secrets. It is sealed in the
//! vault's scheme ([`crypt`]). Inside the encrypted stream is a sequence of
//! records (kind, name, size, bytes) ending with an end record, so files are
//! streamed in and out without being held in memory.
//!
//! A restore checks the passphrase and the whole file before it touches the
//! target: everything is decrypted into a staging folder inside the data dir
//! first. It refuses a store that has messages unless forced, and a data dir
//! whose engine runs.

pub mod crypt;
pub mod schedule;

use crate::datadir::{create_private_dir, DataDir};
use crate::engine_lock::EngineLock;
use crate::error::{Error, Result};
use crate::secrets::{Secret, SecretName, SecretStore};
use crate::store::Store;
use crate::time::{now_ms, to_rfc3339};
use crypt::{damaged, DecryptReader, EncryptWriter};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::time::Duration;
use zeroize::Zeroizing;

const DB_NAME: &str = "wicket.db";
const MANIFEST: &str = "manifest.json";
const SECRETS: &str = "secrets.json";
const RECORD_FILE: u8 = b'F';
const RECORD_END: u8 = b'E';

/// What a backup holds, or what a restore brought back.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Counts {
    pub accounts: i64,
    pub conversations: i64,
    pub messages: i64,
    pub media_files: i64,
    pub secrets: i64,
}

/// The backup's own description, the first record inside.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Manifest {
    pub created_at: String,
    pub wicket_version: String,
    pub schema_version: i64,
    pub with_secrets: bool,
    pub counts: Counts,
}

/// The outcome of `create`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Created {
    pub path: String,
    pub size: u64,
    pub manifest: Manifest,
}

/// The outcome of `restore`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Restored {
    pub backup_created_at: String,
    pub replaced_messages: i64,
    pub restored: Counts,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct SecretEntry {
    account_id: i64,
    name: String,
    value: String,
}

/// Counts in one store connection.
pub fn counts(conn: &rusqlite::Connection) -> Result<Counts> {
    let n = |table: &str| -> Result<i64> { Ok(conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?) };
    Ok(Counts { accounts: n("accounts")?, conversations: n("conversations")?, messages: n("messages")?, media_files: 0, secrets: 0 })
}

fn io(what: String) -> impl FnOnce(std::io::Error) -> Error {
    move |e| Error::io(what, e)
}

/// A file under `dir` that the data dir's owner alone can read, removed when dropped.
struct TempPath(PathBuf);

impl Drop for TempPath {
    fn drop(&mut self) {
        let _ = if self.0.is_dir() { std::fs::remove_dir_all(&self.0) } else { std::fs::remove_file(&self.0) };
    }
}

fn temp_in(dir: &Path, what: &str) -> TempPath {
    TempPath(dir.join(format!(".{what}-{}-{:08x}", std::process::id(), rand::random::<u32>())))
}

/// Writes the encrypted backup of `dir` to `out` (atomically: a temporary
/// file beside it, then a rename). `secrets` is read only when given.
pub fn create(store: &Store, dir: &DataDir, out: &Path, passphrase: &Secret, secrets: Option<&SecretStore>) -> Result<Created> {
    check_passphrase(passphrase)?;
    // The plaintext snapshot stays inside the owner-only data dir, never beside the output.
    let snapshot = temp_in(dir.root(), "backup-snapshot");
    {
        let mut copy = rusqlite::Connection::open(&snapshot.0)?;
        // All pages in one step, under one read transaction: a copy made in
        // several steps starts over whenever another connection (the engine)
        // commits, and might never finish on a busy inbox. In WAL mode the
        // read transaction does not hold writers back.
        copy_all(store.conn(), &mut copy)?;
    }
    let (schema_version, mut counts) = {
        let conn = rusqlite::Connection::open(&snapshot.0)?;
        let v: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        (v, counts(&conn)?)
    };
    let media = media_files(&dir.media_dir())?;
    counts.media_files = media.len() as i64;
    // The files quick replies carry (`quick_replies/`), which the store names.
    let quick_files = media_files(&dir.root().join(crate::quick_replies::FILES_DIR))?;
    let secret_entries = match secrets {
        Some(s) => collect_secrets(store, s)?,
        None => vec![],
    };
    counts.secrets = secret_entries.len() as i64;
    let manifest =
        Manifest { created_at: to_rfc3339(now_ms()), wicket_version: crate::VERSION.to_string(), schema_version, with_secrets: secrets.is_some(), counts };

    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(io(format!("cannot create the folder {}", parent.display())))?;
    let partial = temp_in(&parent, "wicket-backup-partial");
    let file = private_file(&partial.0)?;
    let mut w = EncryptWriter::new(BufWriter::new(file), passphrase)?;
    let manifest_json = serde_json::to_vec_pretty(&manifest).map_err(|e| Error::Internal(format!("cannot encode the manifest: {e}")))?;
    put_bytes(&mut w, MANIFEST, &manifest_json)?;
    put_file(&mut w, DB_NAME, &snapshot.0)?;
    for (rel, path) in &media {
        put_file(&mut w, &format!("media/{rel}"), path)?;
    }
    for (rel, path) in &quick_files {
        put_file(&mut w, &format!("{}/{rel}", crate::quick_replies::FILES_DIR), path)?;
    }
    if !secret_entries.is_empty() {
        let json = Zeroizing::new(serde_json::to_vec(&secret_entries).map_err(|e| Error::Internal(format!("cannot encode the secrets: {e}")))?);
        put_bytes(&mut w, SECRETS, &json)?;
    }
    w.write_all(&[RECORD_END])?;
    let file = w.finish()?.into_inner().map_err(|e| Error::io("cannot write the backup file", e.into_error()))?;
    file.sync_all().map_err(io("cannot write the backup file to disk".into()))?;
    drop(file);
    std::fs::rename(&partial.0, out).map_err(io(format!("cannot move the backup into place at {}", out.display())))?;
    let size = std::fs::metadata(out).map(|m| m.len()).unwrap_or(0);
    tracing::info!(path = %out.display(), size, "backup written");
    Ok(Created { path: out.display().to_string(), size, manifest })
}

/// SQLite's online backup of every page in one step (`-1`); busy or locked
/// (another connection writing its own commit) is tried again for a while.
fn copy_all(from: &rusqlite::Connection, to: &mut rusqlite::Connection) -> Result<()> {
    use rusqlite::backup::StepResult;
    let backup = rusqlite::backup::Backup::new(from, to)?;
    for _ in 0..200 {
        match backup.step(-1)? {
            StepResult::Done => return Ok(()),
            StepResult::More | StepResult::Busy | StepResult::Locked => std::thread::sleep(Duration::from_millis(50)),
            _ => std::thread::sleep(Duration::from_millis(50)),
        }
    }
    Err(Error::Invalid("the store stayed busy for 10 s during the copy: try again in a moment".into()))
}

/// A backup file can be copied and attacked offline, so its passphrase must
/// be as hard to guess as the vault's (zxcvbn score 3 or more).
pub fn check_passphrase(passphrase: &Secret) -> Result<()> {
    if passphrase.is_empty() {
        return Err(Error::Invalid("the backup passphrase is empty: choose a passphrase".into()));
    }
    let strength = crate::secrets::passphrase_strength(passphrase.expose());
    if !strength.acceptable {
        return Err(Error::Invalid(format!("this backup passphrase is too easy to guess (a backup can be copied and attacked offline): {}", strength.hint)));
    }
    Ok(())
}

fn private_file(path: &Path) -> Result<File> {
    crate::datadir::private_file_options()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(io(format!("cannot create {} (check the folder is writable)", path.display())))
}

fn collect_secrets(store: &Store, secrets: &SecretStore) -> Result<Vec<SecretEntry>> {
    let mut out = vec![];
    for account in store.accounts()? {
        for name in SecretName::ALL {
            if let Some(v) = secrets.get_opt(account.id, name)? {
                out.push(SecretEntry { account_id: account.id, name: name.as_str().to_string(), value: v.expose().to_string() });
            }
        }
    }
    Ok(out)
}

/// Every regular file under `media/`, as (path relative to it with `/`, full path), sorted.
fn media_files(root: &Path) -> Result<Vec<(String, PathBuf)>> {
    let mut out = vec![];
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = match std::fs::read_dir(&d) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(Error::io(format!("cannot list {}", d.display()), e)),
        };
        for entry in entries {
            let entry = entry.map_err(io(format!("cannot list {}", d.display())))?;
            let kind = entry.file_type().map_err(io(format!("cannot read {}", entry.path().display())))?;
            let path = entry.path();
            if kind.is_dir() {
                stack.push(path);
            } else if kind.is_file() {
                let rel = path.strip_prefix(root).map_err(|_| Error::Internal("media path outside media".into()))?;
                let rel = rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect::<Vec<_>>().join("/");
                out.push((rel, path));
            }
        }
    }
    out.sort();
    Ok(out)
}

fn put_header<W: Write>(w: &mut EncryptWriter<W>, name: &str, size: u64) -> Result<()> {
    let name_len = u16::try_from(name.len()).map_err(|_| Error::Invalid(format!("a file name is too long for a backup: {name}")))?;
    w.write_all(&[RECORD_FILE])?;
    w.write_all(&name_len.to_le_bytes())?;
    w.write_all(name.as_bytes())?;
    w.write_all(&size.to_le_bytes())
}

fn put_bytes<W: Write>(w: &mut EncryptWriter<W>, name: &str, data: &[u8]) -> Result<()> {
    put_header(w, name, data.len() as u64)?;
    w.write_all(data)
}

fn put_file<W: Write>(w: &mut EncryptWriter<W>, name: &str, path: &Path) -> Result<()> {
    let mut f = File::open(path).map_err(io(format!("cannot read {}", path.display())))?;
    let size = f.metadata().map_err(io(format!("cannot read {}", path.display())))?.len();
    put_header(w, name, size)?;
    let mut buf = Zeroizing::new(vec![0u8; 64 * 1024]);
    let mut left = size;
    while left > 0 {
        let want = buf.len().min(left as usize);
        f.read_exact(&mut buf[..want]).map_err(io(format!("{} changed while it was backed up", path.display())))?;
        w.write_all(&buf[..want])?;
        left -= want as u64;
    }
    Ok(())
}

/// A relative name from the backup, refused if it could escape the staging folder.
fn safe_relative(name: &str) -> Result<PathBuf> {
    let p = Path::new(name);
    if name.is_empty() || !p.components().all(|c| matches!(c, Component::Normal(_))) {
        return Err(damaged(&format!("unsafe name {name:?}")));
    }
    Ok(p.to_path_buf())
}

/// Reads the manifest of a backup without restoring it (checks the passphrase).
pub fn inspect(file: &Path, passphrase: &Secret) -> Result<Manifest> {
    let f = File::open(file).map_err(io(format!("cannot open the backup {}", file.display())))?;
    let mut r = DecryptReader::new(BufReader::new(f), passphrase)?;
    let (name, size) = next_record(&mut r)?.ok_or_else(|| damaged("empty"))?;
    if name != MANIFEST {
        return Err(damaged("no manifest first"));
    }
    read_manifest(&mut r, size)
}

fn read_manifest<R: Read>(r: &mut DecryptReader<R>, size: u64) -> Result<Manifest> {
    if size > 1 << 20 {
        return Err(damaged("manifest too long"));
    }
    let mut buf = vec![0u8; size as usize];
    r.read_exact(&mut buf)?;
    serde_json::from_slice(&buf).map_err(|e| damaged(&format!("manifest: {e}")))
}

fn next_record<R: Read>(r: &mut DecryptReader<R>) -> Result<Option<(String, u64)>> {
    let mut kind = [0u8; 1];
    r.read_exact(&mut kind)?;
    match kind[0] {
        RECORD_END => Ok(None),
        RECORD_FILE => {
            let mut len = [0u8; 2];
            r.read_exact(&mut len)?;
            let mut name = vec![0u8; u16::from_le_bytes(len) as usize];
            r.read_exact(&mut name)?;
            let mut size = [0u8; 8];
            r.read_exact(&mut size)?;
            let name = String::from_utf8(name).map_err(|_| damaged("a name is not UTF-8"))?;
            Ok(Some((name, u64::from_le_bytes(size))))
        }
        _ => Err(damaged("unknown record")),
    }
}

/// Restores `file` into `dir`. `secrets` receives the backup's secrets, if
/// it has any. Refuses when the engine runs on `dir`, or when its store has
/// messages and `force` is false; a wrong passphrase or a damaged file
/// restores nothing.
pub fn restore(dir: &DataDir, file: &Path, passphrase: &Secret, force: bool, secrets: Option<&mut dyn FnMut() -> Result<SecretStore>>) -> Result<Restored> {
    let f = File::open(file).map_err(io(format!("cannot open the backup {}", file.display())))?;
    let mut r = DecryptReader::new(BufReader::new(f), passphrase)?;
    if EngineLock::is_held(dir) {
        let holder = EngineLock::holder(dir).unwrap_or_else(|| "another Wicket".into());
        return Err(Error::Invalid(format!("Wicket is running on this data dir ({holder}): close it (or stop `wicket serve`) before restoring")));
    }
    let existing = {
        let store = Store::open(&dir.db_path())?;
        counts(store.conn())?.messages
    };
    if existing > 0 && !force {
        return Err(Error::Invalid(format!(
            "this data dir already has {existing} messages: a restore would replace them all; pass --force to replace them, or restore into an empty data dir"
        )));
    }

    // Stage everything first: a damaged file must leave the data dir as it was.
    let staging = temp_in(dir.root(), "restore-staging");
    create_private_dir(&staging.0).map_err(io(format!("cannot create {}", staging.0.display())))?;
    let mut manifest = None;
    let mut has_db = false;
    let mut secret_entries: Option<Zeroizing<Vec<u8>>> = None;
    let mut media = 0i64;
    while let Some((name, size)) = next_record(&mut r)? {
        if name == MANIFEST {
            manifest = Some(read_manifest(&mut r, size)?);
        } else if name == SECRETS {
            if size > 16 << 20 {
                return Err(damaged("secrets too long"));
            }
            let mut buf = Zeroizing::new(vec![0u8; size as usize]);
            r.read_exact(&mut buf)?;
            secret_entries = Some(buf);
        } else {
            let rel = safe_relative(&name)?;
            if name == DB_NAME {
                has_db = true;
            } else if name.starts_with("media/") {
                media += 1;
            } else if name.starts_with(&format!("{}/", crate::quick_replies::FILES_DIR)) {
                // A quick reply's file: restored beside the store that names it.
            } else {
                return Err(damaged(&format!("unexpected entry {name:?}")));
            }
            let dest = staging.0.join(rel);
            if let Some(p) = dest.parent() {
                create_private_dir(p).map_err(io(format!("cannot create {}", p.display())))?;
            }
            copy_out(&mut r, size, &dest)?;
        }
    }
    r.finish()?;
    let manifest = manifest.ok_or_else(|| damaged("no manifest"))?;
    if !has_db {
        return Err(damaged("no store inside"));
    }
    let entries: Vec<SecretEntry> = match &secret_entries {
        Some(b) => serde_json::from_slice(b).map_err(|_| damaged("secrets"))?,
        None => vec![],
    };
    let staged_db = staging.0.join(DB_NAME);
    // Opening migrates a backup from an older Wicket, and refuses a newer one.
    drop(Store::open(&staged_db)?);

    // Copy the store in through the backup API: it replaces the target's
    // content in one step, WAL included, whatever connections exist.
    {
        let from = rusqlite::Connection::open(&staged_db)?;
        let mut to = rusqlite::Connection::open(dir.db_path())?;
        to.busy_timeout(Duration::from_secs(10))?;
        copy_all(&from, &mut to)?;
        to.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
    }
    replace_media(&dir.media_dir(), &staging.0.join("media"))?;
    let quick = crate::quick_replies::FILES_DIR;
    replace_media(&dir.root().join(quick), &staging.0.join(quick))?;

    let mut restored_secrets = 0;
    if !entries.is_empty() {
        let open = secrets.ok_or_else(|| Error::Internal("no secret store for the backup's secrets".into()))?;
        let store = open()?;
        for e in &entries {
            let name = SecretName::parse(&e.name).ok_or_else(|| damaged(&format!("unknown secret {}", e.name)))?;
            store.set(e.account_id, name, &Secret::new(e.value.clone()))?;
            restored_secrets += 1;
        }
    }
    let store = Store::open(&dir.db_path())?;
    let mut restored = counts(store.conn())?;
    restored.media_files = media;
    restored.secrets = restored_secrets;
    tracing::info!(file = %file.display(), messages = restored.messages, "backup restored");
    Ok(Restored { backup_created_at: manifest.created_at, replaced_messages: existing, restored })
}

fn copy_out<R: Read>(r: &mut DecryptReader<R>, size: u64, dest: &Path) -> Result<()> {
    let mut out = BufWriter::new(private_file(dest)?);
    let mut buf = vec![0u8; 64 * 1024];
    let mut left = size;
    while left > 0 {
        let want = buf.len().min(left as usize);
        r.read_exact(&mut buf[..want])?;
        out.write_all(&buf[..want]).map_err(io(format!("cannot write {} (is the disk full?)", dest.display())))?;
        left -= want as u64;
    }
    out.flush().map_err(io(format!("cannot write {}", dest.display())))
}

/// Puts the staged media folder in place of the data dir's (the old one is
/// removed only once the new one is there).
/// Puts the staged folder (`media/`, `quick_replies/`) in place of the data dir's.
fn replace_media(media: &Path, staged: &Path) -> Result<()> {
    let old = media.with_file_name(format!(".replaced-{:08x}", rand::random::<u32>()));
    if media.exists() {
        std::fs::rename(media, &old).map_err(io(format!("cannot move {} aside", media.display())))?;
    }
    if staged.exists() {
        std::fs::rename(staged, media).map_err(io(format!("cannot move the restored media into {}", media.display())))?;
    } else {
        create_private_dir(media).map_err(io(format!("cannot create {}", media.display())))?;
    }
    if old.exists() {
        std::fs::remove_dir_all(&old).map_err(io(format!("cannot remove the replaced media {}", old.display())))?;
    }
    Ok(())
}
