//! The encrypted stream of a backup file, in the vault's scheme: a key from
//! the passphrase through Argon2id (the vault's parameters and key check),
//! then AES-256-GCM. The plaintext is cut into chunks of [`CHUNK`] bytes so
//! a backup with gigabytes of media never sits in memory whole.
//!
//! File layout: `WICKETBK`, a little-endian u32 header length, the JSON
//! header (KDF parameters, salt, key check, nonce prefix), then frames of
//! a u32 (ciphertext length, top bit set on the last frame) and the
//! ciphertext. Each chunk's nonce is the random 7-byte prefix, the chunk's
//! counter and the last-frame flag; the header is the associated data, so
//! frames cannot be reordered, dropped, cut off or moved to another backup.

use crate::error::{Error, Result};
use crate::secrets::{derive_key, key_check, DerivedKey, KdfParams, Secret, KEY_LEN, SALT_LEN};
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use hmac::Mac;
use rand::RngCore;
use std::io::{Read, Write};
use zeroize::Zeroizing;

pub const MAGIC: &[u8; 8] = b"WICKETBK";
pub const FORMAT_VERSION: u32 = 1;
/// Plaintext bytes per chunk.
pub const CHUNK: usize = 1 << 20;
const LAST: u32 = 1 << 31;
const PREFIX_LEN: usize = 7;
/// Refuse absurd header lengths from a damaged file before allocating.
const MAX_HEADER: u32 = 64 * 1024;

#[derive(serde::Serialize, serde::Deserialize)]
struct Header {
    format: String,
    version: u32,
    kdf: KdfParams,
    salt: String,
    check: String,
    cipher: String,
    nonce_prefix: String,
}

fn nonce(prefix: &[u8; PREFIX_LEN], counter: u32, last: bool) -> [u8; 12] {
    let mut n = [0u8; 12];
    n[..PREFIX_LEN].copy_from_slice(prefix);
    n[PREFIX_LEN..11].copy_from_slice(&counter.to_be_bytes());
    n[11] = u8::from(last);
    n
}

fn cipher(key: &DerivedKey) -> Result<Aes256Gcm> {
    Aes256Gcm::new_from_slice(&key.key[..]).map_err(|_| Error::Internal("backup key length".into()))
}

/// Writes the header, then encrypts everything written through it.
pub struct EncryptWriter<W: Write> {
    out: W,
    cipher: Aes256Gcm,
    header: Vec<u8>,
    prefix: [u8; PREFIX_LEN],
    counter: u32,
    buf: Zeroizing<Vec<u8>>,
}

impl<W: Write> EncryptWriter<W> {
    pub fn new(mut out: W, passphrase: &Secret) -> Result<EncryptWriter<W>> {
        let mut salt = vec![0u8; SALT_LEN];
        rand::rngs::OsRng.fill_bytes(&mut salt);
        let key = derive_key(passphrase, salt, KdfParams::default())?;
        let mut prefix = [0u8; PREFIX_LEN];
        rand::rngs::OsRng.fill_bytes(&mut prefix);
        let header = Header {
            format: "wicket-backup".into(),
            version: FORMAT_VERSION,
            kdf: key.kdf.clone(),
            salt: B64.encode(&key.salt),
            check: B64.encode(key_check(&key.key)?.finalize().into_bytes()),
            cipher: "aes-256-gcm".into(),
            nonce_prefix: B64.encode(prefix),
        };
        let header = serde_json::to_vec(&header).map_err(|e| Error::Internal(format!("cannot encode the backup header: {e}")))?;
        out.write_all(MAGIC).map_err(write_err)?;
        out.write_all(&(header.len() as u32).to_le_bytes()).map_err(write_err)?;
        out.write_all(&header).map_err(write_err)?;
        Ok(EncryptWriter { out, cipher: cipher(&key)?, header, prefix, counter: 0, buf: Zeroizing::new(Vec::with_capacity(CHUNK)) })
    }

    fn seal(&mut self, last: bool) -> Result<()> {
        let n = nonce(&self.prefix, self.counter, last);
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&n), Payload { msg: &self.buf, aad: &self.header })
            .map_err(|_| Error::Internal("the backup cipher refused to encrypt".into()))?;
        let len = sealed.len() as u32 | if last { LAST } else { 0 };
        self.out.write_all(&len.to_le_bytes()).map_err(write_err)?;
        self.out.write_all(&sealed).map_err(write_err)?;
        self.buf.clear();
        self.counter = self.counter.checked_add(1).ok_or_else(|| Error::Invalid("the backup is too large (over 2 PiB)".into()))?;
        Ok(())
    }

    pub fn write_all(&mut self, mut data: &[u8]) -> Result<()> {
        while !data.is_empty() {
            let room = CHUNK - self.buf.len();
            let take = room.min(data.len());
            self.buf.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.buf.len() == CHUNK {
                self.seal(false)?;
            }
        }
        Ok(())
    }

    /// Seals the last chunk (possibly empty) and returns the sink.
    pub fn finish(mut self) -> Result<W> {
        self.seal(true)?;
        self.out.flush().map_err(write_err)?;
        Ok(self.out)
    }
}

fn write_err(e: std::io::Error) -> Error {
    Error::io("cannot write the backup file (check the disk has room)", e)
}

/// Reads the header, checks the passphrase, then decrypts chunk by chunk.
pub struct DecryptReader<R: Read> {
    input: R,
    cipher: Aes256Gcm,
    header: Vec<u8>,
    prefix: [u8; PREFIX_LEN],
    counter: u32,
    plain: Zeroizing<Vec<u8>>,
    pos: usize,
    done: bool,
}

pub fn damaged(why: &str) -> Error {
    Error::Invalid(format!("this backup file is damaged or not a Wicket backup ({why}): nothing was restored"))
}

impl<R: Read> DecryptReader<R> {
    /// Fails with a clear error on a wrong passphrase, before anything is decrypted.
    pub fn new(mut input: R, passphrase: &Secret) -> Result<DecryptReader<R>> {
        let mut magic = [0u8; 8];
        input.read_exact(&mut magic).map_err(|_| damaged("too short"))?;
        if &magic != MAGIC {
            return Err(damaged("it does not start with WICKETBK"));
        }
        let mut len = [0u8; 4];
        input.read_exact(&mut len).map_err(|_| damaged("no header"))?;
        let len = u32::from_le_bytes(len);
        if len > MAX_HEADER {
            return Err(damaged("header too long"));
        }
        let mut header = vec![0u8; len as usize];
        input.read_exact(&mut header).map_err(|_| damaged("header cut off"))?;
        let h: Header = serde_json::from_slice(&header).map_err(|e| damaged(&e.to_string()))?;
        if h.format != "wicket-backup" {
            return Err(damaged("wrong format name"));
        }
        if h.version != FORMAT_VERSION {
            return Err(Error::Invalid(format!(
                "this backup has format version {}, which this Wicket does not understand ({FORMAT_VERSION}): install a newer Wicket",
                h.version
            )));
        }
        if h.cipher != "aes-256-gcm" || !h.kdf.is_sane() {
            return Err(damaged("unsupported cipher or key-derivation parameters"));
        }
        let salt = B64.decode(&h.salt).map_err(|_| damaged("salt"))?;
        let check = B64.decode(&h.check).map_err(|_| damaged("check"))?;
        let prefix: [u8; PREFIX_LEN] = B64.decode(&h.nonce_prefix).ok().and_then(|p| p.try_into().ok()).ok_or_else(|| damaged("nonce"))?;
        if salt.len() != SALT_LEN {
            return Err(damaged("salt length"));
        }
        let key = derive_key(passphrase, salt, h.kdf)?;
        let key_ok: &[u8; KEY_LEN] = &key.key;
        if key_check(key_ok)?.verify_slice(&check).is_err() {
            return Err(Error::Secrets("the passphrase does not open this backup: use the passphrase it was created with (nothing was restored)".into()));
        }
        Ok(DecryptReader { input, cipher: cipher(&key)?, header, prefix, counter: 0, plain: Zeroizing::new(vec![]), pos: 0, done: false })
    }

    fn next_chunk(&mut self) -> Result<bool> {
        if self.done {
            return Ok(false);
        }
        let mut len = [0u8; 4];
        self.input.read_exact(&mut len).map_err(|_| damaged("cut off: the last part is missing"))?;
        let len = u32::from_le_bytes(len);
        let last = len & LAST != 0;
        let len = (len & !LAST) as usize;
        if len > CHUNK + 16 {
            return Err(damaged("chunk too long"));
        }
        let mut sealed = vec![0u8; len];
        self.input.read_exact(&mut sealed).map_err(|_| damaged("cut off inside a part"))?;
        let n = nonce(&self.prefix, self.counter, last);
        let plain =
            self.cipher.decrypt(Nonce::from_slice(&n), Payload { msg: &sealed, aad: &self.header }).map_err(|_| damaged("a part fails authentication"))?;
        self.plain = Zeroizing::new(plain);
        self.pos = 0;
        self.counter = self.counter.wrapping_add(1);
        self.done = last;
        Ok(true)
    }

    /// Reads exactly `out.len()` bytes; a short stream is damage.
    pub fn read_exact(&mut self, out: &mut [u8]) -> Result<()> {
        let mut filled = 0;
        while filled < out.len() {
            if self.pos == self.plain.len() && !self.next_chunk()? {
                return Err(damaged("the content ends early"));
            }
            let take = (self.plain.len() - self.pos).min(out.len() - filled);
            out[filled..filled + take].copy_from_slice(&self.plain[self.pos..self.pos + take]);
            self.pos += take;
            filled += take;
        }
        Ok(())
    }

    /// After the end record: the last chunk must have been read and nothing may follow.
    pub fn finish(mut self) -> Result<()> {
        while self.pos == self.plain.len() && !self.done {
            self.next_chunk()?;
        }
        if self.pos != self.plain.len() || !self.done {
            return Err(damaged("data after the end"));
        }
        let mut extra = [0u8; 1];
        match self.input.read(&mut extra) {
            Ok(0) => Ok(()),
            _ => Err(damaged("bytes after the last part")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seal(data: &[u8], pass: &str) -> Vec<u8> {
        let mut w = EncryptWriter::new(Vec::new(), &Secret::new(pass.into())).unwrap();
        // Odd-sized writes, so chunk boundaries fall inside them.
        for part in data.chunks(100_003) {
            w.write_all(part).unwrap();
        }
        w.finish().unwrap()
    }

    fn open(file: &[u8], pass: &str, len: usize) -> Result<Vec<u8>> {
        let mut r = DecryptReader::new(file, &Secret::new(pass.into()))?;
        let mut out = vec![0u8; len];
        r.read_exact(&mut out)?;
        r.finish()?;
        Ok(out)
    }

    #[test]
    fn several_chunks_round_trip_and_any_cut_or_change_is_refused() {
        let data: Vec<u8> = (0..(2 * CHUNK + 12_345)).map(|i| (i * 31 % 251) as u8).collect();
        let file = seal(&data, "right passphrase");
        assert_eq!(open(&file, "right passphrase", data.len()).unwrap(), data);
        assert!(matches!(open(&file, "wrong passphrase", data.len()), Err(Error::Secrets(_))));
        // Cut after the first full frame: the last-frame flag is missing.
        let header_len = 12 + u32::from_le_bytes(file[8..12].try_into().unwrap()) as usize;
        let first = u32::from_le_bytes(file[header_len..header_len + 4].try_into().unwrap()) as usize;
        let cut = &file[..header_len + 4 + first];
        assert!(matches!(open(cut, "right passphrase", CHUNK), Err(Error::Invalid(m)) if m.contains("damaged")));
        // One bit changed anywhere in the ciphertext.
        let mut changed = file.clone();
        changed[header_len + 4 + CHUNK] ^= 1;
        assert!(matches!(open(&changed, "right passphrase", data.len()), Err(Error::Invalid(m)) if m.contains("damaged")));
        // Bytes appended after the last frame.
        let mut longer = file.clone();
        longer.extend_from_slice(b"x");
        assert!(open(&longer, "right passphrase", data.len()).is_err());
    }
}
