//! Message templates synced from the provider (Meta). Stored whole; only
//! APPROVED ones may be sent. Parameter rules live in `providers::templates`.

use super::Store;
use crate::error::{Error, Result};
use crate::time::now_ms;
use rusqlite::{params, OptionalExtension};

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Template {
    pub id: i64,
    pub account_id: i64,
    pub provider_template_id: Option<String>,
    pub name: String,
    pub language: String,
    pub status: String,
    pub category: Option<String>,
    pub parameter_format: String,
    pub components: serde_json::Value,
    pub synced_at: i64,
    /// Why Meta gave the status (a rejection's reason, a pause's
    /// explanation), from its webhook.
    #[serde(default)]
    pub status_reason: Option<String>,
    /// When a webhook last set the status (newer than the sync), Unix ms.
    #[serde(default)]
    pub status_at: Option<i64>,
    /// Meta's quality score: `GREEN`, `YELLOW`, `RED`, `UNKNOWN`.
    #[serde(default)]
    pub quality: Option<String>,
    /// When Meta last gave the quality score, Unix ms.
    #[serde(default)]
    pub quality_at: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct NewTemplate {
    pub provider_template_id: Option<String>,
    pub name: String,
    pub language: String,
    pub status: String,
    pub category: Option<String>,
    pub parameter_format: String,
    pub components: serde_json::Value,
}

const COLUMNS: &str = "id, account_id, provider_template_id, name, language, status, category, parameter_format, components, synced_at";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Template> {
    let components: String = r.get(8)?;
    Ok(Template {
        id: r.get(0)?,
        account_id: r.get(1)?,
        provider_template_id: r.get(2)?,
        name: r.get(3)?,
        language: r.get(4)?,
        status: r.get(5)?,
        category: r.get(6)?,
        parameter_format: r.get(7)?,
        components: serde_json::from_str(&components).unwrap_or(serde_json::Value::Array(vec![])),
        synced_at: r.get(9)?,
        status_reason: None,
        status_at: None,
        quality: None,
        quality_at: None,
    })
}

/// Puts on each template what Meta's webhooks said since it was synced:
/// a status or category newer than the sync replaces the synced one (a
/// sync newer than the webhook wins); the quality score has no other source.
fn overlay(conn: &rusqlite::Connection, account_id: i64, list: &mut [Template]) -> Result<()> {
    let states = super::account_health::template_states(conn, account_id)?;
    for t in list.iter_mut() {
        let key = (t.name.clone(), super::account_health::normalize_language(&t.language));
        let Some((_, state)) = states.iter().find(|(k, _)| *k == key) else { continue };
        let str_of = |v: &serde_json::Value, k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
        if let Some((v, at)) = &state.status {
            if *at > t.synced_at {
                if let Some(status) = str_of(v, "status") {
                    t.status = status;
                    t.status_at = Some(*at);
                }
            }
            // The reason explains the status it came with, whoever set it last.
            if str_of(v, "status").is_some_and(|s| s.eq_ignore_ascii_case(&t.status)) {
                let parts: Vec<String> = ["reason", "recommendation", "description"]
                    .iter()
                    .filter_map(|k| str_of(v, k))
                    .filter(|p| !p.eq_ignore_ascii_case("NONE") && !p.is_empty())
                    .collect();
                t.status_reason = (!parts.is_empty()).then(|| parts.join(" — "));
            }
        }
        if let Some((v, at)) = &state.category {
            if *at > t.synced_at {
                if let Some(c) = str_of(v, "category") {
                    t.category = Some(c);
                }
            }
        }
        t.quality = state.quality.as_ref().and_then(|(v, _)| str_of(v, "quality"));
        t.quality_at = state.quality.as_ref().map(|(_, at)| *at);
    }
    Ok(())
}

impl Store {
    /// Replaces the account's templates with a complete fresh list.
    pub fn replace_templates(&mut self, account_id: i64, list: &[NewTemplate]) -> Result<usize> {
        let now = now_ms();
        self.write(|tx| {
            tx.execute("DELETE FROM templates WHERE account_id = ?1", [account_id])?;
            for t in list {
                tx.execute(
                    "INSERT INTO templates (account_id, provider_template_id, name, language, status, category, parameter_format, components, synced_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                     ON CONFLICT (account_id, name, language) DO UPDATE SET status = excluded.status, components = excluded.components",
                    params![account_id, t.provider_template_id, t.name, t.language, t.status, t.category, t.parameter_format, t.components.to_string(), now],
                )?;
            }
            Ok(list.len())
        })
    }

    pub fn templates(&self, account_id: i64) -> Result<Vec<Template>> {
        let mut stmt = self.conn.prepare(&format!("SELECT {COLUMNS} FROM templates WHERE account_id = ?1 ORDER BY name, language"))?;
        let rows = stmt.query_map([account_id], from_row)?;
        let mut list: Vec<Template> = rows.collect::<std::result::Result<_, _>>()?;
        overlay(&self.conn, account_id, &mut list)?;
        Ok(list)
    }

    pub fn template(&self, account_id: i64, name: &str, language: &str) -> Result<Template> {
        let mut t = self
            .conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM templates WHERE account_id = ?1 AND name = ?2 AND language = ?3"),
                params![account_id, name, language],
                from_row,
            )
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("no template {name:?} in language {language:?}: run `wicket templates --account {account_id} --sync`")))?;
        overlay(&self.conn, account_id, std::slice::from_mut(&mut t))?;
        Ok(t)
    }
}
