//! Export and import of a data dir's contents.
//!
//! JSON is the complete export: settings (but not this data dir's id),
//! accounts (config only: secrets never leave the secret store), contacts,
//! labels, conversations, media records, messages, reactions, waiting
//! statuses, templates and sync cursors, every column of every row, ordered
//! by key. CSV is for spreadsheets: one row per message with its account,
//! contact, conversation and media; importing it restores exactly those.
//! Demo accounts are never exported. Times are RFC 3339 UTC.
//!
//! The rule: export → import into an empty data dir → export is
//! byte-identical. Import refuses a data dir that already has accounts.

use crate::error::{Error, Result};
use crate::store::Store;
use crate::time::{parse_rfc3339, to_rfc3339};
use base64::Engine;
use rusqlite::types::{Value as SqlValue, ValueRef};
use rusqlite::{params_from_iter, Connection};
use serde_json::{Map, Value};
use std::path::Path;

pub const FORMAT: &str = "wicket-export";
pub const FORMAT_VERSION: i64 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
}

impl Format {
    pub fn parse(s: &str) -> Result<Format> {
        match s {
            "json" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            other => Err(Error::Invalid(format!("unknown export format {other:?}: use json or csv"))),
        }
    }
}

/// Accounts included in an export: not demo, optionally one account.
const ACCOUNTS: &str = "SELECT id FROM accounts WHERE provider != 'demo' AND (?1 IS NULL OR id = ?1)";

/// Tables of the JSON export in the order import must insert them, each with
/// the filter that picks the exported rows and its ordering key.
fn json_tables() -> Vec<(&'static str, String, &'static str)> {
    vec![
        // The app lock's state (its passphrase hash) stays with this data dir.
        ("settings", "key != 'data_dir_id' AND key NOT LIKE 'app\\_lock\\_%' ESCAPE '\\'".into(), "key"),
        ("accounts", format!("id IN ({ACCOUNTS})"), "id"),
        ("contacts", format!("account_id IN ({ACCOUNTS})"), "id"),
        ("contact_labels", format!("contact_id IN (SELECT id FROM contacts WHERE account_id IN ({ACCOUNTS}))"), "contact_id, label"),
        ("conversations", format!("account_id IN ({ACCOUNTS})"), "id"),
        ("conversation_labels", format!("conversation_id IN (SELECT id FROM conversations WHERE account_id IN ({ACCOUNTS}))"), "conversation_id, label"),
        ("media_files", format!("account_id IN ({ACCOUNTS})"), "id"),
        ("messages", format!("account_id IN ({ACCOUNTS})"), "id"),
        ("scheduled_messages", format!("account_id IN ({ACCOUNTS})"), "id"),
        ("notes", format!("account_id IN ({ACCOUNTS})"), "id"),
        ("bulk_jobs", format!("account_id IN ({ACCOUNTS})"), "id"),
        ("bulk_rows", format!("job_id IN (SELECT id FROM bulk_jobs WHERE account_id IN ({ACCOUNTS}))"), "job_id, row_no"),
        ("reactions", format!("account_id IN ({ACCOUNTS})"), "account_id, target_provider_id, reactor"),
        ("pending_statuses", format!("account_id IN ({ACCOUNTS})"), "account_id, provider_message_id, status"),
        ("templates", format!("account_id IN ({ACCOUNTS})"), "id"),
        ("sync_cursors", format!("account_id IN ({ACCOUNTS})"), "account_id, name"),
        // Not an account's: every export carries them (their files stay in the data dir).
        ("quick_replies", "1".into(), "id"),
    ]
}

/// Integer columns that hold times: written as RFC 3339.
fn is_time_column(name: &str) -> bool {
    name.ends_with("_at") || name == "timestamp" || name == "status_since"
}

fn columns(conn: &Connection, table: &str) -> Result<Vec<(String, String)>> {
    let mut stmt = conn.prepare(&format!("SELECT name, type FROM pragma_table_info('{table}') ORDER BY cid"))?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

fn to_json(name: &str, v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) if is_time_column(name) => Value::String(to_rfc3339(i)),
        ValueRef::Integer(i) => Value::from(i),
        ValueRef::Real(f) => Value::from(f),
        ValueRef::Text(t) => Value::String(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::String(base64::engine::general_purpose::STANDARD.encode(b)),
    }
}

fn from_json(name: &str, decl_type: &str, v: &Value) -> Result<SqlValue> {
    let bad = || Error::Invalid(format!("import: column {name} has an unexpected value {v}"));
    Ok(match (decl_type, v) {
        (_, Value::Null) => SqlValue::Null,
        ("INTEGER", Value::String(s)) if is_time_column(name) => SqlValue::Integer(parse_rfc3339(s).ok_or_else(bad)?),
        ("INTEGER", Value::String(s)) => SqlValue::Integer(s.parse().map_err(|_| bad())?),
        ("INTEGER", Value::Number(n)) => SqlValue::Integer(n.as_i64().ok_or_else(bad)?),
        ("INTEGER", Value::Bool(b)) => SqlValue::Integer(*b as i64),
        ("REAL", Value::Number(n)) => SqlValue::Real(n.as_f64().ok_or_else(bad)?),
        ("BLOB", Value::String(s)) => SqlValue::Blob(base64::engine::general_purpose::STANDARD.decode(s).map_err(|_| bad())?),
        (_, Value::String(s)) => SqlValue::Text(s.clone()),
        (_, other) => SqlValue::Text(other.to_string()),
    })
}

fn dump_table(conn: &Connection, table: &str, filter: &str, order: &str, account: Option<i64>) -> Result<Vec<Value>> {
    let cols = columns(conn, table)?;
    let list = cols.iter().map(|(n, _)| format!("\"{n}\"")).collect::<Vec<_>>().join(", ");
    let uses_account = filter.contains("?1");
    let sql = format!("SELECT {list} FROM {table} WHERE {filter} ORDER BY {order}");
    let mut stmt = conn.prepare(&sql)?;
    let params: Vec<SqlValue> = if uses_account { vec![account.map(SqlValue::Integer).unwrap_or(SqlValue::Null)] } else { vec![] };
    let mut rows = stmt.query(params_from_iter(params))?;
    let mut out = vec![];
    while let Some(r) = rows.next()? {
        let mut obj = Map::new();
        for (i, (name, _)) in cols.iter().enumerate() {
            obj.insert(name.clone(), to_json(name, r.get_ref(i)?));
        }
        out.push(Value::Object(obj));
    }
    Ok(out)
}

fn insert_row(conn: &Connection, table: &str, cols: &[(String, String)], row: &Map<String, Value>) -> Result<()> {
    let mut names = vec![];
    let mut values = vec![];
    for (name, decl) in cols {
        if let Some(v) = row.get(name) {
            names.push(format!("\"{name}\""));
            values.push(from_json(name, decl, v)?);
        }
    }
    let marks = vec!["?"; names.len()].join(", ");
    // Cached: an import inserts every row of a table with the same columns.
    conn.prepare_cached(&format!("INSERT OR IGNORE INTO {table} ({}) VALUES ({marks})", names.join(", ")))?.execute(params_from_iter(values))?;
    Ok(())
}

impl Store {
    fn ensure_empty_for_import(&self) -> Result<()> {
        let n: i64 = self.conn().query_row("SELECT count(*) FROM accounts", [], |r| r.get(0))?;
        if n > 0 {
            return Err(Error::Invalid("import needs an empty data dir: this one already has accounts (use --data-dir with a new folder)".into()));
        }
        Ok(())
    }

    /// The JSON export as a value.
    pub fn export_json(&self, account: Option<i64>) -> Result<Value> {
        let mut doc = Map::new();
        doc.insert("format".into(), Value::from(FORMAT));
        doc.insert("format_version".into(), Value::from(FORMAT_VERSION));
        doc.insert("schema_version".into(), Value::from(self.schema_version()?));
        let mut tables = Map::new();
        for (table, filter, order) in json_tables() {
            tables.insert(table.into(), Value::Array(dump_table(self.conn(), table, &filter, order, account)?));
        }
        doc.insert("tables".into(), Value::Object(tables));
        Ok(Value::Object(doc))
    }

    pub fn import_json(&mut self, doc: &Value) -> Result<ImportSummary> {
        self.ensure_empty_for_import()?;
        if doc.get("format").and_then(Value::as_str) != Some(FORMAT) {
            return Err(Error::Invalid("not a Wicket export (no \"format\": \"wicket-export\")".into()));
        }
        let tables = doc.get("tables").and_then(Value::as_object).ok_or_else(|| Error::Invalid("export has no tables".into()))?;
        self.write(|tx| {
            // The store's bulk path: the search index is built once at the end.
            let fts = crate::store::FtsDeferral::begin(tx)?;
            let mut summary = ImportSummary::default();
            for (table, _, _) in json_tables() {
                let cols = columns(tx, table)?;
                let rows = tables.get(table).and_then(Value::as_array).cloned().unwrap_or_default();
                for row in &rows {
                    let obj = row.as_object().ok_or_else(|| Error::Invalid(format!("import: a row of {table} is not an object")))?;
                    insert_row(tx, table, &cols, obj)?;
                }
                summary.count(table, rows.len());
            }
            fts.finish(tx)?;
            Ok(summary)
        })
    }

    /// One row per message, with its account, contact, conversation and media.
    pub fn export_csv(&self, account: Option<i64>, out: impl std::io::Write) -> Result<()> {
        let conn = self.conn();
        let parts = csv_parts();
        let mut header = vec![];
        let mut select = vec![];
        for (prefix, table, alias) in &parts {
            for (name, _) in columns(conn, table)? {
                header.push(format!("{prefix}{name}"));
                select.push(format!("{alias}.\"{name}\""));
            }
        }
        header.push("reactions".into());
        select.push(
            "(SELECT json_group_array(json_object('reactor', reactor, 'emoji', emoji, 'timestamp', timestamp)) FROM
               (SELECT reactor, emoji, timestamp FROM reactions x WHERE x.account_id = m.account_id AND x.target_provider_id = m.provider_message_id ORDER BY reactor))"
                .into(),
        );
        let sql = format!(
            "SELECT {} FROM messages m JOIN conversations c ON c.id = m.conversation_id JOIN contacts ct ON ct.id = c.contact_id
             JOIN accounts a ON a.id = m.account_id LEFT JOIN media_files f ON f.id = m.media_id
             WHERE m.account_id IN ({ACCOUNTS}) ORDER BY m.id",
            select.join(", ")
        );
        let mut w = csv::Writer::from_writer(out);
        w.write_record(&header).map_err(csv_err)?;
        let mut stmt = conn.prepare(&sql)?;
        let mut rows = stmt.query([account])?;
        while let Some(r) = rows.next()? {
            let mut record = vec![];
            for (i, name) in header.iter().enumerate() {
                let col = name.rsplit_once('.').map(|(_, c)| c).unwrap_or(name);
                record.push(match to_json(col, r.get_ref(i)?) {
                    Value::Null => String::new(),
                    Value::String(s) => s,
                    other => other.to_string(),
                });
            }
            w.write_record(&record).map_err(csv_err)?;
        }
        w.flush().map_err(|e| Error::io("cannot write the CSV export", e))?;
        Ok(())
    }

    pub fn import_csv(&mut self, input: impl std::io::Read) -> Result<ImportSummary> {
        self.ensure_empty_for_import()?;
        let mut reader = csv::Reader::from_reader(input);
        let header: Vec<String> = reader.headers().map_err(csv_err)?.iter().map(str::to_string).collect();
        if !header.iter().any(|h| h == "message.id") {
            return Err(Error::Invalid("not a Wicket CSV export (no message.id column)".into()));
        }
        let records = reader.records().collect::<std::result::Result<Vec<_>, _>>().map_err(csv_err)?;
        self.write(|tx| {
            let fts = crate::store::FtsDeferral::begin(tx)?;
            let mut summary = ImportSummary::default();
            // Parents before children: accounts, contacts, conversations, media, messages.
            for (prefix, table, _) in csv_insert_order() {
                let cols = columns(tx, table)?;
                let mut n = 0;
                for rec in &records {
                    let mut obj = Map::new();
                    for (i, h) in header.iter().enumerate() {
                        let Some(col) = h.strip_prefix(prefix) else { continue };
                        let raw = rec.get(i).unwrap_or("");
                        let decl = cols.iter().find(|(c, _)| c == col).map(|(_, d)| d.as_str()).unwrap_or("TEXT");
                        let v = if raw.is_empty() {
                            Value::Null
                        } else if decl == "INTEGER" && !is_time_column(col) {
                            Value::from(raw.parse::<i64>().map_err(|_| Error::Invalid(format!("import: {h} is not a number: {raw:?}")))?)
                        } else {
                            Value::String(raw.to_string())
                        };
                        obj.insert(col.to_string(), v);
                    }
                    if obj.get("id").is_some_and(|v| !v.is_null()) {
                        insert_row(tx, table, &cols, &obj)?;
                        n += 1;
                    }
                }
                summary.count(table, n);
            }
            let ri = header.iter().position(|h| h == "reactions");
            let (ai, pi) = (header.iter().position(|h| h == "message.account_id"), header.iter().position(|h| h == "message.provider_message_id"));
            if let (Some(ri), Some(ai), Some(pi)) = (ri, ai, pi) {
                for rec in &records {
                    let (Some(list), Some(acct), Some(pid)) = (rec.get(ri), rec.get(ai), rec.get(pi)) else { continue };
                    if pid.is_empty() {
                        continue;
                    }
                    let list: Vec<Value> = serde_json::from_str(list).unwrap_or_default();
                    for r in list {
                        let acct: i64 = acct.parse().map_err(|_| Error::Invalid("import: bad message.account_id".into()))?;
                        crate::store::messages::set_reaction(
                            tx,
                            acct,
                            pid,
                            r.get("reactor").and_then(Value::as_str).unwrap_or_default(),
                            r.get("emoji").and_then(Value::as_str).unwrap_or_default(),
                            r.get("timestamp").and_then(Value::as_i64).unwrap_or_default(),
                        )?;
                    }
                }
            }
            fts.finish(tx)?;
            Ok(summary)
        })
    }

    /// Exports to `path` in `format`.
    pub fn export_to(&self, format: Format, path: &Path, account: Option<i64>) -> Result<()> {
        let tmp = path.with_extension("partial");
        // Owner-only: an export holds every message.
        let file = crate::datadir::private_file_options()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)
            .map_err(|e| Error::io(format!("cannot create {}", tmp.display()), e))?;
        crate::datadir::tighten_or_warn(&tmp, crate::datadir::PRIVATE_FILE_MODE);
        let mut w = std::io::BufWriter::new(file);
        match format {
            Format::Json => {
                let doc = self.export_json(account)?;
                serde_json::to_writer_pretty(&mut w, &doc).map_err(|e| Error::Internal(format!("cannot encode the export: {e}")))?;
                std::io::Write::write_all(&mut w, b"\n").map_err(|e| Error::io("cannot write the export", e))?;
            }
            Format::Csv => self.export_csv(account, &mut w)?,
        }
        let file = w.into_inner().map_err(|e| Error::io("cannot write the export", e.into_error()))?;
        file.sync_all().map_err(|e| Error::io("cannot write the export", e))?;
        std::fs::rename(&tmp, path).map_err(|e| Error::io(format!("cannot move the export to {}", path.display()), e))
    }

    /// Imports a JSON or CSV export (told apart by its first byte).
    pub fn import_from(&mut self, path: &Path) -> Result<ImportSummary> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
        self.import_bytes(&bytes, &path.display().to_string())
    }

    /// [`Store::import_from`] on a file's contents (`name` for the messages):
    /// the window reads the picked file itself.
    pub fn import_bytes(&mut self, bytes: &[u8], name: &str) -> Result<ImportSummary> {
        let first = bytes.iter().find(|b| !b.is_ascii_whitespace()).copied();
        if first == Some(b'{') {
            let doc: Value = serde_json::from_slice(bytes).map_err(|e| Error::Invalid(format!("{name} is not valid JSON: {e}")))?;
            self.import_json(&doc)
        } else {
            self.import_csv(bytes)
        }
    }
}

fn csv_parts() -> Vec<(&'static str, &'static str, &'static str)> {
    vec![
        ("message.", "messages", "m"),
        ("account.", "accounts", "a"),
        ("contact.", "contacts", "ct"),
        ("conversation.", "conversations", "c"),
        ("media.", "media_files", "f"),
    ]
}

fn csv_insert_order() -> Vec<(&'static str, &'static str, &'static str)> {
    vec![
        ("account.", "accounts", "a"),
        ("contact.", "contacts", "ct"),
        ("conversation.", "conversations", "c"),
        ("media.", "media_files", "f"),
        ("message.", "messages", "m"),
    ]
}

fn csv_err(e: csv::Error) -> Error {
    Error::Invalid(format!("CSV: {e}"))
}

#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct ImportSummary {
    pub tables: Vec<(String, usize)>,
}

impl ImportSummary {
    fn count(&mut self, table: &str, n: usize) {
        self.tables.push((table.to_string(), n));
    }
    pub fn get(&self, table: &str) -> usize {
        self.tables.iter().find(|(t, _)| t == table).map(|(_, n)| *n).unwrap_or(0)
    }
}

// ---------------------------------------------------------------------------
// Moving accounts to another machine
// ---------------------------------------------------------------------------

/// The namespace of the secrets inside an export's vault file (an export
/// vault is not a data dir's vault: its keys name the exported account ids).
const VAULT_SCOPE: &str = "wicket-export";

/// Writes the secrets of the accounts an export holds (never the demo's;
/// only `account`'s when given) into a new vault file at `path`: the same
/// format as `secrets.vault` (AES-256-GCM under an Argon2id key), sealed
/// with `passphrase`, which the owner chooses and carries separately.
/// Refuses an existing file. Returns how many secrets were written.
pub fn export_secrets_vault(
    store: &Store,
    secrets: &crate::secrets::SecretStore,
    path: &Path,
    passphrase: crate::secrets::Secret,
    account: Option<i64>,
) -> Result<usize> {
    use crate::secrets::{SecretName, SecretStore};
    if path.exists() {
        return Err(Error::Invalid(format!("{} already exists: choose a new file name for the secrets vault", path.display())));
    }
    let vault = SecretStore::vault(path, passphrase, VAULT_SCOPE)?;
    let mut written = 0;
    for a in store.accounts()? {
        if a.provider == crate::model::Provider::Demo || account.is_some_and(|id| id != a.id) {
            continue;
        }
        for name in SecretName::ALL {
            if let Some(value) = secrets.get_opt(a.id, name)? {
                vault.set(a.id, name, &value)?;
                written += 1;
            }
        }
    }
    if written == 0 {
        return Err(Error::NotFound("the exported accounts have no secrets to put in a vault: the export alone is enough".into()));
    }
    tracing::info!(secrets = written, "secrets vault written for an export");
    Ok(written)
}

/// An account created from another machine's export.
#[derive(Debug, Clone)]
pub struct ImportedAccount {
    pub account: crate::store::Account,
    /// The account's id on the machine that exported it.
    pub exported_id: i64,
    /// How many of its secrets came from the vault (0: they must be re-entered).
    pub secrets_restored: usize,
}

/// Creates the accounts (and the settings this data dir does not have yet)
/// of another machine's JSON export, without its conversations: the
/// wizard's and `wicket account import EXPORT`'s way to move a setup.
/// Secrets never travel in an export: with `vault` (the file
/// [`export_secrets_vault`] wrote and its passphrase) each account gets its
/// secrets back and waits for a connection test ("not yet verified");
/// without it, each account says its secrets must be re-entered. Demo
/// accounts are never imported. All or nothing for the accounts: a failure
/// removes the ones already created.
pub fn import_accounts(
    store: &mut Store,
    secrets: Option<&crate::secrets::SecretStore>,
    doc: &Value,
    vault: Option<(&Path, crate::secrets::Secret)>,
) -> Result<Vec<ImportedAccount>> {
    use crate::model::{AccountStatus, Provider};
    use crate::secrets::{SecretName, SecretStore};
    if doc.get("format").and_then(Value::as_str) != Some(FORMAT) {
        return Err(Error::Invalid("not a Wicket export (no \"format\": \"wicket-export\"): export it with `wicket export --format json`".into()));
    }
    let vault = match vault {
        Some((path, pass)) => {
            if !path.exists() {
                return Err(Error::NotFound(format!("no secrets vault at {}", path.display())));
            }
            Some(SecretStore::vault(path, pass, VAULT_SCOPE)?)
        }
        None => None,
    };
    if vault.is_some() && secrets.is_none() {
        return Err(Error::Secrets("the secret store is needed to restore the vault's secrets".into()));
    }
    let tables = doc.get("tables").cloned().unwrap_or(Value::Null);
    let mut created: Vec<ImportedAccount> = vec![];
    let result = (|| -> Result<()> {
        for a in tables.get("accounts").and_then(Value::as_array).into_iter().flatten() {
            let provider = a
                .get("provider")
                .and_then(Value::as_str)
                .and_then(Provider::parse)
                .ok_or_else(|| Error::Invalid("an exported account has no provider".into()))?;
            if provider == Provider::Demo {
                continue;
            }
            let exported_id = a
                .get("id")
                .and_then(|v| v.as_i64().or_else(|| v.as_str().and_then(|s| s.parse().ok())))
                .ok_or_else(|| Error::Invalid("an exported account has no id".into()))?;
            let config = a.get("config").and_then(Value::as_str).and_then(|c| serde_json::from_str(c).ok()).unwrap_or(serde_json::json!({}));
            let new = crate::store::NewAccount {
                provider,
                name: a.get("name").and_then(Value::as_str).unwrap_or("Imported account").to_string(),
                phone: a.get("phone").and_then(Value::as_str).map(str::to_string),
                config,
            };
            let mut list = vec![];
            if let Some(v) = &vault {
                for name in SecretName::ALL {
                    if let Some(value) = v.get_opt(exported_id, name)? {
                        list.push((name, value));
                    }
                }
            }
            let account = match secrets {
                Some(s) if !list.is_empty() => {
                    let refs: Vec<(SecretName, &crate::secrets::Secret)> = list.iter().map(|(n, v)| (*n, v)).collect();
                    crate::accounts::create_with_secrets(store, s, new, &refs)?
                }
                _ => store.add_account(&new)?,
            };
            created.push(ImportedAccount { account: account.clone(), exported_id, secrets_restored: list.len() });
            if list.is_empty() {
                store.set_account_status(account.id, AccountStatus::NeedsToken, Some("imported from another machine: re-enter its secrets"))?;
            } else {
                store.set_account_status(account.id, AccountStatus::Unverified, Some("imported from another machine with its secrets: not yet verified"))?;
            }
        }
        Ok(())
    })();
    if let Err(e) = result {
        for c in &created {
            if let Some(s) = secrets {
                let _ = s.delete_account(c.account.id);
            }
            let _ = store.remove_account(c.account.id);
        }
        return Err(e);
    }
    for s in tables.get("settings").and_then(Value::as_array).into_iter().flatten() {
        if let (Some(k), Some(v)) = (s.get("key").and_then(Value::as_str), s.get("value").and_then(Value::as_str)) {
            if k != "data_dir_id" && !k.starts_with(crate::applock::STATE_PREFIX) && store.setting(k)?.is_none() {
                store.set_setting(k, &serde_json::from_str(v).unwrap_or(Value::String(v.to_string())))?;
            }
        }
    }
    for c in &mut created {
        c.account = store.account(c.account.id)?;
    }
    Ok(created)
}
