//! A minimal zip writer: stored entries (no compression: media is already
//! compressed, and the JSON index is small), streamed file by file, with
//! ZIP64 left out (an entry or archive over 4 GiB is refused with a message).

use crate::error::{Error, Result};
use std::io::{Read, Write};

struct Entry {
    name: String,
    crc: u32,
    size: u32,
    offset: u32,
}

pub struct ZipWriter<W: Write> {
    out: W,
    offset: u64,
    entries: Vec<Entry>,
}

fn too_big() -> Error {
    Error::Invalid("this customer's data is over 4 GiB, more than a plain zip can hold: export fewer media files".into())
}

impl<W: Write> ZipWriter<W> {
    pub fn new(out: W) -> ZipWriter<W> {
        ZipWriter { out, offset: 0, entries: vec![] }
    }

    fn put(&mut self, bytes: &[u8]) -> Result<()> {
        self.out.write_all(bytes).map_err(|e| Error::io("cannot write the export (is the disk full?)", e))?;
        self.offset += bytes.len() as u64;
        Ok(())
    }

    /// Adds one entry; `data` is read twice over (CRC first), so it is given as a re-openable source.
    pub fn add(&mut self, name: &str, size: u64, mut open: impl FnMut() -> Result<Box<dyn Read>>) -> Result<()> {
        let size32 = u32::try_from(size).map_err(|_| too_big())?;
        let offset = u32::try_from(self.offset).map_err(|_| too_big())?;
        let mut crc = crc32fast::Hasher::new();
        let mut buf = vec![0u8; 64 * 1024];
        let mut src = open()?;
        loop {
            let n = src.read(&mut buf).map_err(|e| Error::io(format!("cannot read {name} for the export"), e))?;
            if n == 0 {
                break;
            }
            crc.update(&buf[..n]);
        }
        let crc = crc.finalize();
        let mut h = Vec::with_capacity(30 + name.len());
        h.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        h.extend_from_slice(&20u16.to_le_bytes()); // version needed
        h.extend_from_slice(&0x0800u16.to_le_bytes()); // UTF-8 names
        h.extend_from_slice(&0u16.to_le_bytes()); // stored
        h.extend_from_slice(&[0, 0, 0x21, 0]); // time 00:00, date 1980-01-01
        h.extend_from_slice(&crc.to_le_bytes());
        h.extend_from_slice(&size32.to_le_bytes());
        h.extend_from_slice(&size32.to_le_bytes());
        h.extend_from_slice(&(name.len() as u16).to_le_bytes());
        h.extend_from_slice(&0u16.to_le_bytes());
        h.extend_from_slice(name.as_bytes());
        self.put(&h)?;
        let mut src = open()?;
        let mut left = size;
        while left > 0 {
            let want = buf.len().min(left as usize);
            src.read_exact(&mut buf[..want]).map_err(|e| Error::io(format!("{name} changed while it was exported"), e))?;
            let chunk = buf[..want].to_vec();
            self.put(&chunk)?;
            left -= want as u64;
        }
        self.entries.push(Entry { name: name.to_string(), crc, size: size32, offset });
        Ok(())
    }

    pub fn add_bytes(&mut self, name: &str, data: &[u8]) -> Result<()> {
        let owned = data.to_vec();
        self.add(name, data.len() as u64, || Ok(Box::new(std::io::Cursor::new(owned.clone()))))
    }

    /// Writes the central directory and returns the sink.
    pub fn finish(mut self) -> Result<W> {
        let start = u32::try_from(self.offset).map_err(|_| too_big())?;
        let entries = std::mem::take(&mut self.entries);
        for e in &entries {
            let mut c = Vec::with_capacity(46 + e.name.len());
            c.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
            c.extend_from_slice(&20u16.to_le_bytes()); // made by
            c.extend_from_slice(&20u16.to_le_bytes()); // needed
            c.extend_from_slice(&0x0800u16.to_le_bytes());
            c.extend_from_slice(&0u16.to_le_bytes());
            c.extend_from_slice(&[0, 0, 0x21, 0]);
            c.extend_from_slice(&e.crc.to_le_bytes());
            c.extend_from_slice(&e.size.to_le_bytes());
            c.extend_from_slice(&e.size.to_le_bytes());
            c.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
            c.extend_from_slice(&[0; 12]); // extra, comment, disk, internal attributes
            c.extend_from_slice(&0u32.to_le_bytes()); // external attributes
            c.extend_from_slice(&e.offset.to_le_bytes());
            c.extend_from_slice(e.name.as_bytes());
            self.put(&c)?;
        }
        let size = u32::try_from(self.offset - start as u64).map_err(|_| too_big())?;
        let count = u16::try_from(entries.len()).map_err(|_| too_big())?;
        let mut end = Vec::with_capacity(22);
        end.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        end.extend_from_slice(&[0; 4]);
        end.extend_from_slice(&count.to_le_bytes());
        end.extend_from_slice(&count.to_le_bytes());
        end.extend_from_slice(&size.to_le_bytes());
        end.extend_from_slice(&start.to_le_bytes());
        end.extend_from_slice(&0u16.to_le_bytes());
        self.put(&end)?;
        self.out.flush().map_err(|e| Error::io("cannot write the export", e))?;
        Ok(self.out)
    }
}
