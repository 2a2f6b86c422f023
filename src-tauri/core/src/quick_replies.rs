//! Quick replies: saved answers under a shortcut, typed as `/shortcut` in the
//! composer. Placeholders (`{name}`, `{first_name}`, `{phone}`) are filled
//! from the contact; a value the contact lacks leaves a gap (the placeholder
//! and the space before it go), never a word such as "undefined". A quick
//! reply may carry a file, copied into the data dir (`quick_replies/`) so it
//! survives the original being moved.
//!
//! Import and export: JSON (`{"format": "wicket-quick-replies", "version":
//! 1, "quick_replies": [{"shortcut", "text", "file", "file_name"}]}`) or CSV
//! (header `shortcut,text,file,file_name`), chosen by the file's extension. A
//! `file` is a path, relative to the imported file's folder when not
//! absolute; `file_name` (optional) is the name the customer sees. Import checks
//! every row first and reports each bad one (its row number and why); the
//! good rows are added in one transaction.

use crate::datadir::DataDir;
use crate::error::{Error, Result};
use crate::store::contacts::Contact;
use crate::store::quick_replies::{self, QuickReply, StoredFile};
use crate::store::Store;
use std::path::{Path, PathBuf};

pub const FORMAT: &str = "wicket-quick-replies";
pub const FORMAT_VERSION: i64 = 1;
/// The folder of the data dir holding quick replies' files.
pub const FILES_DIR: &str = "quick_replies";
const MAX_SHORTCUT: usize = 32;

/// A shortcut as stored: without the leading `/`, letters, digits, `-` and
/// `_` only (it ends at the first space typed in the composer).
pub fn check_shortcut(input: &str) -> Result<String> {
    let s = input.trim().trim_start_matches('/');
    if s.is_empty() {
        return Err(Error::Invalid("a quick reply needs a shortcut, e.g. --shortcut thanks".into()));
    }
    if s.chars().count() > MAX_SHORTCUT {
        return Err(Error::Invalid(format!("the shortcut {s:?} is longer than {MAX_SHORTCUT} characters")));
    }
    if let Some(c) = s.chars().find(|c| !(c.is_alphanumeric() || *c == '-' || *c == '_')) {
        return Err(Error::Invalid(format!("the shortcut {s:?} contains {c:?}: use letters, digits, - and _ only")));
    }
    Ok(s.to_string())
}

/// The contact's values for the placeholders: its name (owner-saved,
/// profile or verified; never the number standing in for one), the first
/// word of it, and its number as written in the owner's country.
pub fn placeholder_values(contact: &Contact, default_country: &str) -> [(&'static str, String); 3] {
    let non_empty = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    let name = non_empty(&contact.saved_name).or_else(|| non_empty(&contact.profile_name)).or_else(|| non_empty(&contact.verified_name)).unwrap_or_default();
    let first = name.split_whitespace().next().unwrap_or_default().to_string();
    let phone = contact.phone.as_deref().map(|p| crate::phone::format_for_display(p, default_country)).unwrap_or_default();
    [("name", name), ("first_name", first), ("phone", phone)]
}

/// `text` with `{name}`, `{first_name}` and `{phone}` replaced. An empty
/// value removes the placeholder and the space before it when punctuation or
/// the end follows ("Thanks {first_name}!" → "Thanks!"). Other braces stay.
pub fn fill(text: &str, values: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let key = after.find('}').map(|close| &after[..close]);
        match key.and_then(|k| values.iter().find(|(name, _)| *name == k)) {
            Some((k, value)) => {
                rest = &after[k.len() + 1..];
                if value.is_empty() {
                    let next = rest.chars().next();
                    if out.ends_with(' ') && next.is_none_or(|c| c.is_whitespace() || ",.!?;:)".contains(c)) {
                        out.pop();
                    }
                } else {
                    out.push_str(value);
                }
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// A quick reply's text filled for `contact`.
pub fn fill_for(q: &QuickReply, contact: &Contact, default_country: &str) -> String {
    fill(&q.text, &placeholder_values(contact, default_country))
}

/// The absolute path of a quick reply's file.
pub fn file_path(dir: &DataDir, q: &QuickReply) -> Option<PathBuf> {
    q.file_path.as_ref().map(|p| dir.root().join(p))
}

/// Where a quick reply's new file comes from: a path (the CLI, an import)
/// or bytes with their name (the window's file picker).
#[derive(Debug, Clone, Copy)]
pub enum FileSource<'a> {
    Path(&'a Path),
    Bytes { name: &'a str, bytes: &'a [u8] },
}

fn keep(dir: &DataDir, source: FileSource<'_>) -> Result<StoredFile> {
    match source {
        FileSource::Path(p) => keep_file(dir, p, None),
        FileSource::Bytes { name, bytes } => keep_bytes(dir, name, bytes),
    }
}

/// Copies `source` into the data dir under a fresh name; the caller stores it.
fn keep_file(dir: &DataDir, source: &Path, shown_name: Option<&str>) -> Result<StoredFile> {
    let meta = std::fs::metadata(source).map_err(|e| Error::io(format!("cannot read the file {}", source.display()), e))?;
    if !meta.is_file() {
        return Err(Error::Invalid(format!("{} is not a file", source.display())));
    }
    let name = shown_name
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .or_else(|| source.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "file".into());
    let bytes = std::fs::read(source).map_err(|e| Error::io(format!("cannot read the file {}", source.display()), e))?;
    keep_bytes(dir, &name, &bytes)
}

/// Writes `bytes` into the data dir under a fresh name, shown as `name`.
fn keep_bytes(dir: &DataDir, name: &str, bytes: &[u8]) -> Result<StoredFile> {
    let name = Path::new(name.trim()).file_name().map(|n| n.to_string_lossy().into_owned()).filter(|n| !n.is_empty()).unwrap_or_else(|| "file".into());
    let folder = dir.root().join(FILES_DIR);
    crate::datadir::create_private_dir(&folder).map_err(|e| Error::io(format!("cannot create {}", folder.display()), e))?;
    // A random prefix: two replies may attach files of the same name.
    let safe: String = name.chars().map(|c| if c.is_alphanumeric() || ".-_".contains(c) { c } else { '_' }).collect();
    let stored = format!("{:016x}-{safe}", rand::random::<u64>());
    crate::datadir::write_private(&folder.join(&stored), bytes).map_err(|e| Error::io(format!("cannot copy the file into {}", folder.display()), e))?;
    let mime_type = mime_guess::from_path(&name).first_or_octet_stream().essence_str().to_string();
    Ok(StoredFile { path: format!("{FILES_DIR}/{stored}"), name, mime_type })
}

fn forget_file(dir: &DataDir, path: Option<&str>) {
    if let Some(p) = path {
        let full = dir.root().join(p);
        if let Err(e) = std::fs::remove_file(&full) {
            tracing::warn!(path = %full.display(), error = %e, "cannot remove a quick reply's file");
        }
    }
}

fn check_text(text: &str, has_file: bool) -> Result<()> {
    if text.trim().is_empty() && !has_file {
        return Err(Error::Invalid("a quick reply needs a text or a file (--text or --file)".into()));
    }
    Ok(())
}

/// Adds a quick reply, copying `file` into the data dir.
pub fn add(store: &mut Store, dir: &DataDir, shortcut: &str, text: &str, file: Option<FileSource<'_>>) -> Result<QuickReply> {
    let shortcut = check_shortcut(shortcut)?;
    check_text(text, file.is_some())?;
    if let Some(existing) = quick_replies::find(store.conn(), &shortcut)? {
        return Err(Error::Invalid(format!("the shortcut /{} is already taken: choose another or remove that one first", existing.shortcut)));
    }
    let stored = file.map(|f| keep(dir, f)).transpose()?;
    let out = store.write(|tx| quick_replies::insert(tx, &shortcut, text, stored.as_ref()));
    if out.is_err() {
        forget_file(dir, stored.as_ref().map(|s| s.path.as_str()));
    }
    out
}

/// What an edit does to the file.
#[derive(Debug, Clone)]
pub enum FileChange<'a> {
    Keep,
    Remove,
    Replace(FileSource<'a>),
}

/// Edits a quick reply: shortcut, text, and the file kept, removed or replaced.
pub fn edit(store: &mut Store, dir: &DataDir, id: i64, shortcut: &str, text: &str, file: FileChange<'_>) -> Result<QuickReply> {
    let shortcut = check_shortcut(shortcut)?;
    let old = quick_replies::get(store.conn(), id)?;
    let kept = old.file_path.clone().map(|path| StoredFile {
        path,
        name: old.file_name.clone().unwrap_or_default(),
        mime_type: old.mime_type.clone().unwrap_or_default(),
    });
    let new_file = match &file {
        FileChange::Keep => kept,
        FileChange::Remove => None,
        FileChange::Replace(source) => Some(keep(dir, *source)?),
    };
    check_text(text, new_file.is_some())?;
    match store.write(|tx| quick_replies::update(tx, id, &shortcut, text, new_file.as_ref())) {
        Ok(q) => {
            if !matches!(file, FileChange::Keep) {
                forget_file(dir, old.file_path.as_deref());
            }
            Ok(q)
        }
        Err(e) => {
            if matches!(file, FileChange::Replace(_)) {
                forget_file(dir, new_file.as_ref().map(|s| s.path.as_str()));
            }
            Err(e)
        }
    }
}

/// Removes a quick reply (by shortcut, with or without `/`) and its file.
pub fn remove(store: &mut Store, dir: &DataDir, shortcut: &str) -> Result<QuickReply> {
    let shortcut = shortcut.trim().trim_start_matches('/');
    let q = store.quick_reply(shortcut)?;
    store.write(|tx| Ok(tx.execute("DELETE FROM quick_replies WHERE id = ?1", [q.id])?))?;
    forget_file(dir, q.file_path.as_deref());
    Ok(q)
}

/// Writes every quick reply to `out` (JSON or CSV by its extension); a
/// file is named by its absolute path in this data dir.
pub fn export(store: &Store, dir: &DataDir, out: &Path) -> Result<usize> {
    let list = store.quick_replies()?;
    let rows: Vec<[String; 4]> = list
        .iter()
        .map(|q| {
            let file = file_path(dir, q).map(|p| p.display().to_string()).unwrap_or_default();
            [q.shortcut.clone(), q.text.clone(), file, q.file_name.clone().unwrap_or_default()]
        })
        .collect();
    let bytes = match extension(out)? {
        Kind::Json => {
            let items: Vec<serde_json::Value> =
                rows.iter().map(|[s, t, f, n]| serde_json::json!({"shortcut": s, "text": t, "file": (!f.is_empty()).then_some(f), "file_name": (!n.is_empty()).then_some(n)})).collect();
            let doc = serde_json::json!({"format": FORMAT, "version": FORMAT_VERSION, "quick_replies": items});
            let mut b = serde_json::to_vec_pretty(&doc).map_err(|e| Error::Internal(format!("cannot write JSON: {e}")))?;
            b.push(b'\n');
            b
        }
        Kind::Csv => {
            let mut w = csv::Writer::from_writer(vec![]);
            let csv_err = |e: csv::Error| Error::Internal(format!("cannot write CSV: {e}"));
            w.write_record(["shortcut", "text", "file", "file_name"]).map_err(csv_err)?;
            for row in &rows {
                w.write_record(row).map_err(csv_err)?;
            }
            w.into_inner().map_err(|e| Error::Internal(format!("cannot write CSV: {e}")))?
        }
    };
    std::fs::write(out, bytes).map_err(|e| Error::io(format!("cannot write {}", out.display()), e))?;
    Ok(list.len())
}

enum Kind {
    Json,
    Csv,
}

fn extension(path: &Path) -> Result<Kind> {
    match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("json") => Ok(Kind::Json),
        Some("csv") => Ok(Kind::Csv),
        _ => Err(Error::Invalid(format!("{}: name the file .json or .csv (that is how the format is chosen)", path.display()))),
    }
}

/// One row of an import and what became of it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ImportRow {
    /// 1-based: the entry's position in JSON, the line's data row in CSV (after the header).
    pub row: usize,
    pub shortcut: String,
    /// Why it was not imported; `None` when it was.
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ImportReport {
    pub imported: usize,
    pub rejected: usize,
    pub rows: Vec<ImportRow>,
}

/// Reads `[shortcut, text, file, file_name]` rows; an unreadable file is an
/// error, an unreadable row is a row error.
fn read_rows(path: &Path) -> Result<Vec<std::result::Result<[String; 4], String>>> {
    let kind = extension(path)?;
    let bytes = std::fs::read(path).map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
    match kind {
        Kind::Json => {
            let doc: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| Error::Invalid(format!("{} is not valid JSON: {e}", path.display())))?;
            let items = doc
                .get("quick_replies")
                .or(Some(&doc))
                .and_then(|v| v.as_array())
                .ok_or_else(|| Error::Invalid(format!("{}: expected {{\"quick_replies\": [...]}} or a list of quick replies", path.display())))?;
            Ok(items
                .iter()
                .map(|item| {
                    let field = |k: &str| item.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_string();
                    if !item.is_object() {
                        return Err("not an object with shortcut and text".to_string());
                    }
                    Ok([field("shortcut"), field("text"), field("file"), field("file_name")])
                })
                .collect())
        }
        Kind::Csv => {
            let mut r = csv::ReaderBuilder::new().flexible(true).from_reader(bytes.as_slice());
            let headers = r.headers().map_err(|e| Error::Invalid(format!("{}: cannot read the CSV header: {e}", path.display())))?.clone();
            let col = |name: &str| headers.iter().position(|h| h.trim().eq_ignore_ascii_case(name));
            let (s, t) = match (col("shortcut"), col("text")) {
                (Some(s), Some(t)) => (s, t),
                _ => return Err(Error::Invalid(format!("{}: the CSV needs a header row with shortcut and text (and optionally file)", path.display()))),
            };
            let (f, n) = (col("file"), col("file_name"));
            Ok(r.records()
                .map(|rec| {
                    let rec = rec.map_err(|e| format!("unreadable CSV row: {e}"))?;
                    let get = |i: Option<usize>| i.and_then(|i| rec.get(i)).unwrap_or_default().to_string();
                    Ok([get(Some(s)), get(Some(t)), get(f), get(n)])
                })
                .collect())
        }
    }
}

/// Imports quick replies from `path` (see the module's doc). Shortcuts must
/// be new and unique within the file; each bad row is reported, not fatal.
pub fn import(store: &mut Store, dir: &DataDir, path: &Path) -> Result<ImportReport> {
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut rows = vec![];
    let mut good: Vec<(String, String, Option<StoredFile>)> = vec![];
    for (i, row) in read_rows(path)?.into_iter().enumerate() {
        let checked = row.and_then(|[shortcut, text, file, file_name]| {
            let shortcut = check_shortcut(&shortcut).map_err(|e| e.to_string())?;
            let file = (!file.trim().is_empty()).then(|| base.join(file.trim()));
            check_text(&text, file.is_some()).map_err(|e| e.to_string())?;
            if let Some(q) = quick_replies::find(store.conn(), &shortcut).map_err(|e| e.to_string())? {
                return Err(format!("the shortcut /{} already exists", q.shortcut));
            }
            if good.iter().any(|(s, _, _)| s.eq_ignore_ascii_case(&shortcut)) {
                return Err(format!("the shortcut /{shortcut} appears earlier in this file"));
            }
            let stored = file.map(|f| keep_file(dir, &f, Some(&file_name))).transpose().map_err(|e| e.to_string())?;
            Ok((shortcut, text, stored))
        });
        match checked {
            Ok((shortcut, text, stored)) => {
                rows.push(ImportRow { row: i + 1, shortcut: shortcut.clone(), error: None });
                good.push((shortcut, text, stored));
            }
            Err(error) => rows.push(ImportRow { row: i + 1, shortcut: String::new(), error: Some(error) }),
        }
    }
    let inserted = store.write(|tx| {
        for (shortcut, text, file) in &good {
            quick_replies::insert(tx, shortcut, text, file.as_ref())?;
        }
        Ok(())
    });
    if let Err(e) = inserted {
        for (_, _, f) in &good {
            forget_file(dir, f.as_ref().map(|s| s.path.as_str()));
        }
        return Err(e);
    }
    let rejected = rows.iter().filter(|r| r.error.is_some()).count();
    Ok(ImportReport { imported: good.len(), rejected, rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(name: &str, phone: &str) -> Vec<(&'static str, String)> {
        vec![("name", name.into()), ("first_name", name.split_whitespace().next().unwrap_or_default().into()), ("phone", phone.into())]
    }

    #[test]
    fn placeholders_fill_and_missing_ones_leave_a_gap() {
        let v = values("Ana María Pérez", "07911 123456");
        assert_eq!(fill("Thanks {first_name}!", &v), "Thanks Ana!");
        assert_eq!(fill("{name} / {phone} {unknown} {", &v), "Ana María Pérez / 07911 123456 {unknown} {");
        let none = values("", "");
        assert_eq!(fill("Thanks {first_name}!", &none), "Thanks!");
        assert_eq!(fill("Hi {name}, we call {phone} soon", &none), "Hi, we call soon");
        assert!(!fill("Hi {name}", &none).contains("undefined"));
    }

    #[test]
    fn shortcuts_are_single_words() {
        assert_eq!(check_shortcut("/thanks").unwrap(), "thanks");
        assert!(check_shortcut("two words").is_err());
        assert!(check_shortcut(" ").is_err());
        assert!(check_shortcut(&"x".repeat(40)).is_err());
    }
}
