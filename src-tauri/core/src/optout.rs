//! Opt-out: a customer who writes STOP (or an opt-out keyword in another
//! language) is marked opted out on their contact; START (or an opt-in
//! keyword) opts them back in. Only a whole message counts, trimmed and
//! compared without case or accents, so "stop sending me the old price" is
//! an ordinary message.
//!
//! The keywords are two settings the owner can change (`wicket settings set
//! opt_out_keywords '["STOP","BAJA"]'`): [`OPT_OUT_KEYWORDS`] and
//! [`OPT_IN_KEYWORDS`], JSON lists of strings. `ingest` calls [`detect`] once
//! per newly stored inbound message (a replay is a duplicate, never applied
//! twice). Bulk and automatic messages skip opted-out customers through
//! [`crate::store::contacts::is_opted_out`].

use crate::error::{Error, Result};
use rusqlite::{Connection, OptionalExtension};

pub const OPT_OUT_KEYWORDS: &str = "opt_out_keywords";
pub const OPT_IN_KEYWORDS: &str = "opt_in_keywords";

/// English, French, Spanish, Portuguese, German and Italian.
pub const DEFAULT_OPT_OUT: &[&str] = &["STOP", "UNSUBSCRIBE", "ARRÊT", "ARRET", "BAJA", "PARAR", "STOPP", "ALT"];
pub const DEFAULT_OPT_IN: &[&str] = &["START", "SUBSCRIBE", "COMMENCER", "ALTA", "INICIAR"];

/// What a message asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyword {
    OptOut,
    OptIn,
}

/// The keyword `text` is, if the whole message (trimmed, without case,
/// accents or trailing punctuation such as "Stop!") is one of the lists.
pub fn classify(text: &str, opt_out: &[String], opt_in: &[String]) -> Option<Keyword> {
    let msg = fold(text.trim().trim_end_matches(['.', '!', '?']).trim());
    // A keyword is one or two words: anything longer is a sentence.
    if msg.is_empty() || msg.chars().count() > 40 {
        return None;
    }
    if opt_out.iter().any(|k| fold(k) == msg) {
        Some(Keyword::OptOut)
    } else if opt_in.iter().any(|k| fold(k) == msg) {
        Some(Keyword::OptIn)
    } else {
        None
    }
}

/// Upper case without accents, inner spaces collapsed: "Arrêt" → "ARRET".
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        for c in word.chars() {
            match strip_accent(c) {
                Some(base) => out.push_str(base),
                None => out.extend(c.to_uppercase()),
            }
        }
    }
    out
}

/// The Latin-1 and Latin Extended-A letters the keyword languages use.
fn strip_accent(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => "A",
        'ç' | 'Ç' => "C",
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => "E",
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => "I",
        'ñ' | 'Ñ' => "N",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' => "O",
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => "U",
        'ý' | 'ÿ' | 'Ý' => "Y",
        'ß' => "SS",
        _ => return None,
    })
}

/// The keyword lists in effect (the settings, else the defaults), read on
/// `conn` (inside the caller's transaction).
pub fn keywords(conn: &Connection) -> Result<(Vec<String>, Vec<String>)> {
    Ok((list(conn, OPT_OUT_KEYWORDS, DEFAULT_OPT_OUT)?, list(conn, OPT_IN_KEYWORDS, DEFAULT_OPT_IN)?))
}

fn list(conn: &Connection, key: &str, default: &[&str]) -> Result<Vec<String>> {
    let v: Option<String> = conn.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| r.get(0)).optional()?;
    // A hand-edited value of the wrong shape reads as the default: messages
    // must still be stored.
    Ok(v.and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
        .and_then(|v| parse_list(&v).ok())
        .unwrap_or_else(|| default.iter().map(|s| s.to_string()).collect()))
}

/// Checks a value the owner gives for a keyword setting: a list of words.
pub fn parse_list(value: &serde_json::Value) -> Result<Vec<String>> {
    let bad = || Error::Invalid(format!("keywords are a JSON list of words, for example [\"STOP\",\"BAJA\"], not {value}"));
    let items = value.as_array().ok_or_else(bad)?;
    items.iter().map(|i| i.as_str().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).ok_or_else(bad)).collect()
}

/// Applies the keyword a customer's message `text` (sent at `ts`, Unix ms)
/// may be to contact `contact_id`. Returns what changed, if anything.
pub fn detect(conn: &Connection, contact_id: i64, text: &str, ts: i64) -> Result<Option<Keyword>> {
    // Cheap first: most messages are longer than any keyword.
    if text.trim().chars().count() > 40 {
        return Ok(None);
    }
    let (opt_out, opt_in) = keywords(conn)?;
    let Some(k) = classify(text, &opt_out, &opt_in) else { return Ok(None) };
    let applied = crate::store::contacts::set_opted_out(conn, contact_id, k == Keyword::OptOut, ts)?;
    Ok(applied.then_some(k))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> (Vec<String>, Vec<String>) {
        (DEFAULT_OPT_OUT.iter().map(|s| s.to_string()).collect(), DEFAULT_OPT_IN.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn whole_message_without_case_or_accents() {
        let (out, inn) = defaults();
        for t in ["STOP", " stop ", "Stop!", "arrêt", "ARRET", "Arret.", "baja", "Parar", "stopp", "alt"] {
            assert_eq!(classify(t, &out, &inn), Some(Keyword::OptOut), "{t}");
        }
        for t in ["START", "start", "Alta", "commencer", "INICIAR"] {
            assert_eq!(classify(t, &out, &inn), Some(Keyword::OptIn), "{t}");
        }
        for t in ["please stop", "stop sending me offers", "STOPPED", "", "restart", "altar"] {
            assert_eq!(classify(t, &out, &inn), None, "{t}");
        }
    }
}
