//! The encrypted vault file (`secrets.vault`): where secrets live when no OS
//! keychain answers. There is no plain-text fallback.
//!
//! The file is JSON: format version, Argon2id parameters, a random 16-byte
//! salt, a key-check value, and the whole map of secrets sealed with
//! AES-256-GCM under a fresh random nonce on every write. The key is derived
//! from the owner's passphrase. The key check (HMAC-SHA256 of a fixed label
//! under the derived key) lets a wrong passphrase be told apart from a vault
//! changed outside Wicket (check passes but the cipher's authentication
//! fails). Writes are atomic (temporary file in the same folder, fsync,
//! rename) and made with mode 0600; a read that fails never writes.
//! Read-modify-write cycles take a lock file beside the vault so the desktop
//! app and `wicket` running at once do not lose each other's updates.

use super::{Secret, SecretBackend};
use crate::error::{Error, Result};
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use zeroize::Zeroizing;

/// The format this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;
const CIPHER: &str = "aes-256-gcm";
const KDF: &str = "argon2id";
/// HMAC'd under the derived key to make the key-check value.
const CHECK_LABEL: &[u8] = b"wicket-vault-check";
/// Bound into the GCM tag so a ciphertext cannot be replayed under another format.
const AAD: &[u8] = b"wicket-vault/1";
pub(crate) const SALT_LEN: usize = 16;
const NONCE_LEN: usize = 12;
pub(crate) const KEY_LEN: usize = 32;

/// Argon2id parameters as stored in the file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KdfParams {
    pub algorithm: String,
    /// Argon2 version: 19 (0x13).
    pub version: u32,
    /// Memory in KiB.
    pub m_cost: u32,
    pub t_cost: u32,
    pub p_cost: u32,
}

impl Default for KdfParams {
    /// OWASP's recommended Argon2id setting: 19 MiB, two passes, one lane.
    fn default() -> KdfParams {
        KdfParams { algorithm: KDF.into(), version: 0x13, m_cost: 19_456, t_cost: 2, p_cost: 1 }
    }
}

impl KdfParams {
    /// Bounds for parameters read from a file: a damaged or hostile file must
    /// not make us allocate gigabytes or spin for minutes before failing.
    pub(crate) fn is_sane(&self) -> bool {
        self.algorithm == KDF
            && self.version == 0x13
            && (1..=16).contains(&self.p_cost)
            && (1..=16).contains(&self.t_cost)
            && (8 * self.p_cost..=1_048_576).contains(&self.m_cost)
    }
}

/// The file on disk. Binary fields are base64.
#[derive(serde::Serialize, serde::Deserialize)]
struct VaultFile {
    version: u32,
    kdf: KdfParams,
    salt: String,
    check: String,
    cipher: String,
    nonce: String,
    ciphertext: String,
}

/// Read first, alone, so a newer format is reported as such rather than as damage.
#[derive(serde::Deserialize)]
struct VersionOnly {
    version: u32,
}

/// A key derived from the passphrase for one salt and parameter set.
pub(crate) struct DerivedKey {
    pub(crate) salt: Vec<u8>,
    pub(crate) kdf: KdfParams,
    pub(crate) key: Zeroizing<[u8; KEY_LEN]>,
}

type Entries = BTreeMap<String, Secret>;

pub struct VaultBackend {
    path: PathBuf,
    passphrase: Secret,
    /// Serialises this process's reads and writes, and caches the derived key:
    /// Argon2id is slow on purpose, so it runs once per salt, not per call.
    key: Mutex<Option<DerivedKey>>,
}

impl std::fmt::Debug for VaultBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VaultBackend").field("path", &self.path).finish_non_exhaustive()
    }
}

impl VaultBackend {
    /// Opens the vault at `path`. When the file exists, the passphrase and the
    /// file's integrity are checked now, so a wrong passphrase is reported at
    /// open rather than at the first read. A missing file is created at the
    /// first `set`, with a new random salt.
    pub fn open(path: impl Into<PathBuf>, passphrase: Secret) -> Result<VaultBackend> {
        if passphrase.is_empty() {
            return Err(Error::Secrets("the vault passphrase is empty: set WICKET_VAULT_PASSPHRASE to a non-empty passphrase".into()));
        }
        let vault = VaultBackend { path: path.into(), passphrase, key: Mutex::new(None) };
        {
            let mut key = vault.lock()?;
            vault.read(&mut key)?;
        }
        tracing::debug!(path = %vault.path.display(), "secret vault opened");
        Ok(vault)
    }

    /// Creates a new, empty vault at `path` sealed with `passphrase`. Refuses
    /// when a vault is already there: it holds secrets under its own passphrase.
    pub fn create(path: impl Into<PathBuf>, passphrase: Secret) -> Result<VaultBackend> {
        if passphrase.is_empty() {
            return Err(Error::Invalid("the vault passphrase is empty: choose a passphrase".into()));
        }
        let vault = VaultBackend { path: path.into(), passphrase, key: Mutex::new(None) };
        let mut cache = vault.lock()?;
        let _file_lock = vault.lock_file()?;
        if vault.path.exists() {
            return Err(Error::Invalid(format!("a vault already exists at {}: unlock it with its passphrase", vault.path.display())));
        }
        vault.write(&mut cache, &Entries::new())?;
        drop(cache);
        tracing::info!(path = %vault.path.display(), "secret vault created");
        Ok(vault)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock(&self) -> Result<MutexGuard<'_, Option<DerivedKey>>> {
        self.key.lock().map_err(|_| Error::Secrets("the secret vault is poisoned by an earlier panic".into()))
    }

    /// Decrypts the whole map. A missing file is an empty vault.
    fn read(&self, cache: &mut Option<DerivedKey>) -> Result<Entries> {
        let bytes = match fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Entries::new()),
            Err(e) => return Err(Error::io(format!("cannot read the vault {}", self.path.display()), e)),
        };
        let version: VersionOnly = serde_json::from_slice(&bytes).map_err(|e| self.damaged(&e.to_string()))?;
        if version.version != FORMAT_VERSION {
            return Err(Error::Secrets(format!(
                "the vault {} has format version {}, which this Wicket does not understand ({FORMAT_VERSION}): install a newer Wicket",
                self.path.display(),
                version.version
            )));
        }
        let file: VaultFile = serde_json::from_slice(&bytes).map_err(|e| self.damaged(&e.to_string()))?;
        if file.cipher != CIPHER || !file.kdf.is_sane() {
            return Err(self.damaged("unsupported cipher or key-derivation parameters"));
        }
        let salt = self.decode("salt", &file.salt, Some(SALT_LEN))?;
        let check = self.decode("check", &file.check, None)?;
        let nonce = self.decode("nonce", &file.nonce, Some(NONCE_LEN))?;
        let ciphertext = self.decode("ciphertext", &file.ciphertext, None)?;

        let key = match cache.take() {
            Some(k) if k.salt == salt && k.kdf == file.kdf => k,
            _ => derive(&self.passphrase, salt, file.kdf)?,
        };
        let key = cache.insert(key);
        // Constant-time comparison: this is the passphrase check.
        if key_check(&key.key)?.verify_slice(&check).is_err() {
            *cache = None;
            return Err(Error::PassphraseWrong);
        }
        let cipher = Aes256Gcm::new_from_slice(&key.key[..]).map_err(|_| Error::Internal("vault key length".into()))?;
        // The passphrase is right, so an authentication failure means the file was changed.
        let plain = Zeroizing::new(cipher.decrypt(Nonce::from_slice(&nonce), Payload { msg: &ciphertext, aad: AAD }).map_err(|_| self.tampered())?);
        let map: BTreeMap<String, String> = serde_json::from_slice(&plain).map_err(|_| self.tampered())?;
        // Move each String into a Secret: no copy of the value is left behind.
        Ok(map.into_iter().map(|(k, v)| (k, Secret::new(v))).collect())
    }

    /// Seals the whole map under a fresh nonce and replaces the file atomically.
    /// Runs right after `read` under the same lock, so `cache` holds the key of
    /// the file on disk (or none when there is no file yet).
    fn write(&self, cache: &mut Option<DerivedKey>, entries: &Entries) -> Result<()> {
        let key = match cache.take() {
            Some(k) => k,
            None => {
                let mut salt = vec![0u8; SALT_LEN];
                rand::rngs::OsRng.fill_bytes(&mut salt);
                derive(&self.passphrase, salt, KdfParams::default())?
            }
        };
        let key = cache.insert(key);

        // Size the buffer for the worst case (every byte escaped as \u00XX) so
        // serde_json never reallocates and leaves stray copies of the plaintext.
        let capacity = 16 + entries.iter().map(|(k, v)| 6 * (k.len() + v.expose().len()) + 8).sum::<usize>();
        let mut plain = Zeroizing::new(Vec::with_capacity(capacity));
        let view: BTreeMap<&str, &str> = entries.iter().map(|(k, v)| (k.as_str(), v.expose())).collect();
        serde_json::to_writer(&mut *plain, &view).map_err(|e| Error::Internal(format!("cannot encode the vault: {e}")))?;

        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let cipher = Aes256Gcm::new_from_slice(&key.key[..]).map_err(|_| Error::Internal("vault key length".into()))?;
        let ciphertext = cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: &plain, aad: AAD })
            .map_err(|_| Error::Internal("the vault cipher refused to encrypt".into()))?;
        let file = VaultFile {
            version: FORMAT_VERSION,
            kdf: key.kdf.clone(),
            salt: B64.encode(&key.salt),
            check: B64.encode(key_check(&key.key)?.finalize().into_bytes()),
            cipher: CIPHER.into(),
            nonce: B64.encode(nonce),
            ciphertext: B64.encode(ciphertext),
        };
        let json = serde_json::to_vec_pretty(&file).map_err(|e| Error::Internal(format!("cannot encode the vault: {e}")))?;
        write_atomically(&self.path, &json)
    }

    /// Runs one read-modify-write cycle under both the in-process lock and the
    /// cross-process lock file. `change` returns whether anything changed;
    /// nothing is written when it did not, or when the read failed.
    fn modify(&self, change: impl FnOnce(&mut Entries) -> bool) -> Result<bool> {
        let mut cache = self.lock()?;
        let _file_lock = self.lock_file()?;
        let mut entries = self.read(&mut cache)?;
        if !change(&mut entries) {
            return Ok(false);
        }
        self.write(&mut cache, &entries)?;
        Ok(true)
    }

    /// An exclusive OS lock on `<vault>.lock`, released when the file closes.
    fn lock_file(&self) -> Result<File> {
        let mut name = self.path.file_name().map(|n| n.to_os_string()).unwrap_or_else(|| "secrets.vault".into());
        name.push(".lock");
        let path = self.path.with_file_name(name);
        let mut opts = OpenOptions::new();
        opts.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let file = opts.open(&path).map_err(|e| Error::io(format!("cannot open the vault lock {}", path.display()), e))?;
        file.lock().map_err(|e| Error::io(format!("cannot lock {}", path.display()), e))?;
        Ok(file)
    }

    fn decode(&self, field: &str, value: &str, len: Option<usize>) -> Result<Vec<u8>> {
        let bytes = B64.decode(value).map_err(|_| self.damaged(&format!("field {field} is not base64")))?;
        match len {
            Some(n) if bytes.len() != n => Err(self.damaged(&format!("field {field} has the wrong length"))),
            _ => Ok(bytes),
        }
    }

    fn damaged(&self, why: &str) -> Error {
        Error::Secrets(format!(
            "the vault {} is not a readable Wicket vault ({why}): restore it from a backup, or move it away and add the account secrets again",
            self.path.display()
        ))
    }

    fn tampered(&self) -> Error {
        Error::Secrets(format!(
            "the vault {} was changed or damaged outside Wicket (the passphrase is right but its contents fail authentication): restore it from a backup, or move it away and add the account secrets again",
            self.path.display()
        ))
    }
}

impl SecretBackend for VaultBackend {
    fn kind(&self) -> &'static str {
        "vault"
    }

    fn get(&self, key: &str) -> Result<Option<Secret>> {
        let mut cache = self.lock()?;
        Ok(self.read(&mut cache)?.remove(key))
    }

    fn set(&self, key: &str, value: &Secret) -> Result<()> {
        self.modify(|entries| {
            entries.insert(key.to_string(), value.clone());
            true
        })
        .map(|_| ())
    }

    fn delete(&self, key: &str) -> Result<bool> {
        self.modify(|entries| entries.remove(key).is_some())
    }
}

pub(crate) fn derive(passphrase: &Secret, salt: Vec<u8>, kdf: KdfParams) -> Result<DerivedKey> {
    let params =
        Params::new(kdf.m_cost, kdf.t_cost, kdf.p_cost, Some(KEY_LEN)).map_err(|e| Error::Secrets(format!("invalid vault key-derivation parameters: {e}")))?;
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.expose().as_bytes(), &salt, &mut key[..])
        .map_err(|e| Error::Secrets(format!("cannot derive the vault key: {e}")))?;
    Ok(DerivedKey { salt, kdf, key })
}

/// HMAC-SHA256 keyed with the derived key over [`CHECK_LABEL`], ready to finalize or verify.
pub(crate) fn key_check(key: &[u8; KEY_LEN]) -> Result<Hmac<Sha256>> {
    let mut mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(key).map_err(|_| Error::Internal("vault key-check key length".into()))?;
    mac.update(CHECK_LABEL);
    Ok(mac)
}

/// Temporary file in the same folder (so the rename stays on one file
/// system), written and fsynced, then renamed over the target: a crash leaves
/// either the old vault or the new one, never half of one.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "secrets.vault".into());
    let tmp = dir.join(format!(".{name}.tmp-{}-{:08x}", std::process::id(), rand::random::<u32>()));
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let written = opts.open(&tmp).and_then(|mut f| {
        f.write_all(bytes)?;
        f.sync_all()
    });
    if let Err(e) = written.and_then(|_| fs::rename(&tmp, path)) {
        let _ = fs::remove_file(&tmp);
        return Err(Error::io(format!("cannot write the vault {}", path.display()), e));
    }
    // Make the rename itself durable. The new vault is already in place, so a
    // failure here is only worth a warning.
    #[cfg(unix)]
    if let Err(e) = File::open(&dir).and_then(|d| d.sync_all()) {
        tracing::warn!(dir = %dir.display(), error = %e, "cannot fsync the vault's folder");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(s: &str) -> Secret {
        Secret::new(s.to_string())
    }

    fn edit_file(path: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
        let mut json: serde_json::Value = serde_json::from_slice(&fs::read(path).unwrap()).unwrap();
        edit(&mut json);
        fs::write(path, serde_json::to_vec_pretty(&json).unwrap()).unwrap();
    }

    #[test]
    fn round_trip_and_reopen() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("secrets.vault");
        let vault = VaultBackend::open(&path, secret("correct horse")).unwrap();
        assert!(!path.exists(), "opening must not create the file; the first set does");
        assert!(vault.get("a").unwrap().is_none());
        vault.set("a", &secret("alpha-value")).unwrap();
        vault.set("b", &secret("beta \"quoted\" \u{1F512}")).unwrap();
        assert_eq!(vault.get("a").unwrap().unwrap().expose(), "alpha-value");

        let again = VaultBackend::open(&path, secret("correct horse")).unwrap();
        assert_eq!(again.get("b").unwrap().unwrap().expose(), "beta \"quoted\" \u{1F512}");
        assert!(again.delete("a").unwrap(), "delete reports an existing entry");
        assert!(!again.delete("a").unwrap(), "deleting a missing entry is fine and says so");
        assert!(vault.get("a").unwrap().is_none(), "the other handle sees the change: reads go to the file");

        let raw = fs::read_to_string(&path).unwrap();
        assert!(!raw.contains("beta") && !raw.contains("alpha"), "no value in clear in the file");
        let json: serde_json::Value = serde_json::from_str(&raw).unwrap();
        assert_eq!(json["version"], 1);
        assert_eq!(json["kdf"]["algorithm"], "argon2id");
        assert_eq!(json["kdf"]["m_cost"], 19_456);
        assert_eq!(json["cipher"], "aes-256-gcm");
    }

    #[cfg(unix)]
    #[test]
    fn file_is_private_and_no_temp_file_is_left() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("secrets.vault");
        VaultBackend::open(&path, secret("pw")).unwrap().set("k", &secret("v")).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the vault must be readable by its owner only");
        let names: Vec<String> = fs::read_dir(tmp.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        assert!(names.iter().all(|n| !n.contains(".tmp-")), "temporary files are renamed away: {names:?}");
    }

    #[test]
    fn every_write_uses_a_fresh_nonce() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("secrets.vault");
        let vault = VaultBackend::open(&path, secret("pw")).unwrap();
        vault.set("k", &secret("v")).unwrap();
        let first: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        vault.set("k", &secret("v")).unwrap();
        let second: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        assert_ne!(first["nonce"], second["nonce"], "a GCM nonce must never be reused");
        assert_eq!(first["salt"], second["salt"]);
    }

    #[test]
    fn wrong_passphrase_is_named_as_such() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("secrets.vault");
        VaultBackend::open(&path, secret("right")).unwrap().set("k", &secret("v")).unwrap();
        let before = fs::read(&path).unwrap();
        let err = VaultBackend::open(&path, secret("wrong")).expect_err("a wrong passphrase must not open the vault");
        assert!(matches!(err, Error::PassphraseWrong));
        let msg = err.to_string();
        assert!(msg.contains("passphrase is wrong") && msg.contains("WICKET_VAULT_PASSPHRASE"), "{msg}");
        assert_eq!(fs::read(&path).unwrap(), before, "a failed open never rewrites the vault");
    }

    #[test]
    fn tampered_ciphertext_is_told_apart_and_nothing_is_written() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("secrets.vault");
        let vault = VaultBackend::open(&path, secret("pw")).unwrap();
        vault.set("k", &secret("value")).unwrap();
        edit_file(&path, |json| {
            let mut ct = B64.decode(json["ciphertext"].as_str().unwrap()).unwrap();
            ct[0] ^= 0x01;
            json["ciphertext"] = B64.encode(ct).into();
        });
        let tampered = fs::read(&path).unwrap();

        let err = vault.get("k").expect_err("a changed ciphertext must not decrypt");
        assert!(err.to_string().contains("changed or damaged outside Wicket"), "{err}");
        assert!(!err.to_string().contains("passphrase is wrong"), "the passphrase is right: say so: {err}");
        let err = vault.set("other", &secret("x")).expect_err("a write must not go over a vault it cannot read");
        assert!(err.to_string().contains("changed or damaged"), "{err}");
        assert!(vault.delete("k").is_err());
        let err = VaultBackend::open(&path, secret("pw")).expect_err("open checks integrity too");
        assert!(err.to_string().contains("changed or damaged"), "{err}");
        assert_eq!(fs::read(&path).unwrap(), tampered, "failed reads and writes leave the file as it was");
    }

    #[test]
    fn damaged_and_newer_files_say_what_they_are() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("secrets.vault");
        fs::write(&path, b"not json").unwrap();
        let err = VaultBackend::open(&path, secret("pw")).unwrap_err();
        assert!(err.to_string().contains("not a readable Wicket vault"), "{err}");

        VaultBackend::open(tmp.path().join("v2"), secret("pw")).unwrap().set("k", &secret("v")).unwrap();
        edit_file(&tmp.path().join("v2"), |json| json["version"] = 2.into());
        let err = VaultBackend::open(tmp.path().join("v2"), secret("pw")).unwrap_err();
        assert!(err.to_string().contains("install a newer Wicket"), "{err}");

        VaultBackend::open(tmp.path().join("big"), secret("pw")).unwrap().set("k", &secret("v")).unwrap();
        edit_file(&tmp.path().join("big"), |json| json["kdf"]["m_cost"] = 4_000_000_000u32.into());
        let err = VaultBackend::open(tmp.path().join("big"), secret("pw")).unwrap_err();
        assert!(err.to_string().contains("key-derivation parameters"), "hostile parameters are refused: {err}");
    }

    #[test]
    fn empty_passphrase_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let err = VaultBackend::open(tmp.path().join("secrets.vault"), secret("")).unwrap_err();
        assert!(err.to_string().contains("passphrase is empty"), "{err}");
    }
}
