//! Full-text search over message text, captions, file names, contact
//! names and the owner's private notes (FTS5, `unicode61 remove_diacritics 2`: "Jurgen" finds "Jürgen").
//! Every word of the query is a prefix; results are most recent first (see
//! [`CANDIDATES_PER_HIT`] for how that stays instant in a large store).
//!
//! Limit: FTS5's tokenizer splits on spaces, so scripts written without them
//! (Chinese, Japanese, Thai, Lao, Khmer, Myanmar) cannot be matched by word.
//! Queries containing such characters fall back to a substring scan of
//! message text and captions (`LIKE`), which is not indexed.

use crate::error::Result;
use crate::store::contacts::{self, display_name};
use crate::store::Store;
use rusqlite::params;

/// Matches read per hit shown. Messages are stored in about the order they
/// happen, so the newest-stored matches hold the most recent ones; reading
/// several times more than shown absorbs messages stored out of order (a
/// late webhook, a gateway's backfill), and the hits are then sorted by the
/// provider's timestamp. Limit: a history backfilled after newer messages
/// can rank behind them in a search with many more matches than this.
const CANDIDATES_PER_HIT: usize = 8;

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SearchHit {
    pub message_id: i64,
    pub conversation_id: i64,
    pub account_id: i64,
    pub display_name: String,
    pub snippet: String,
    pub timestamp: i64,
    /// "message", or "note" for one of the owner's private notes (then
    /// `note_id` is set and `message_id` is 0: a note is not a message; the
    /// conversation is the note's own, or its contact's latest, else 0).
    pub kind: &'static str,
    pub note_id: Option<i64>,
}

/// A hit before it is shown: (message or note id, conversation id, account
/// id, contact id, snippet, timestamp).
type Row = (i64, i64, i64, i64, String, i64);

/// Whether `c` belongs to a script written without spaces between words.
fn is_unspaced_script(c: char) -> bool {
    matches!(c as u32,
        0x0E00..=0x0EFF      // Thai, Lao
        | 0x1000..=0x109F    // Myanmar
        | 0x1780..=0x17FF    // Khmer
        | 0x3040..=0x30FF    // Hiragana, Katakana
        | 0x3400..=0x4DBF    // CJK extension A
        | 0x4E00..=0x9FFF    // CJK unified ideographs
        | 0xF900..=0xFAFF    // CJK compatibility
        | 0x20000..=0x2FFFF) // CJK extensions
}

/// Builds an FTS5 query: every word quoted (so operators in user input are
/// inert) and made a prefix, all words required.
pub fn fts_query(input: &str) -> Option<String> {
    let words: Vec<String> =
        input.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(|w| format!("\"{}\"*", w.replace('"', "\"\""))).collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// About twelve words of `text` starting a little before the first of
/// `words` (lower-case) found in it, with "…" where text was cut.
fn snippet_around(text: &str, words: &[String]) -> String {
    let tokens: Vec<&str> = text.split_whitespace().collect();
    let hit = tokens.iter().position(|t| {
        let t = t.to_lowercase();
        words.iter().any(|w| t.trim_start_matches(|c: char| !c.is_alphanumeric()).starts_with(w.as_str()))
    });
    let start = hit.map_or(0, |h| h.saturating_sub(3));
    let end = (start + 12).min(tokens.len());
    let mut out = tokens[start..end].join(" ");
    if start > 0 {
        out.insert(0, '…');
    }
    if end < tokens.len() {
        out.push('…');
    }
    out
}

fn snippet_of(text: &str, max_chars: usize) -> String {
    let t: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if t.chars().count() <= max_chars {
        t
    } else {
        format!("{}…", t.chars().take(max_chars).collect::<String>())
    }
}

impl Store {
    /// Messages matching `query`, most recent first (50 when `limit` is 0).
    pub fn search(&self, query: &str, limit: usize) -> Result<Vec<SearchHit>> {
        let limit = if limit == 0 { 50 } else { limit };
        let country = self.default_country()?;
        let mut rows: Vec<Row> = vec![];
        let mut notes: Vec<Row> = vec![];
        let map = |r: &rusqlite::Row<'_>| -> rusqlite::Result<Row> {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get::<_, Option<String>>(4)?.unwrap_or_default(), r.get(5)?))
        };
        if query.chars().any(is_unspaced_script) {
            let pattern = format!("%{}%", query.trim().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
            let mut stmt = self.conn().prepare(
                "SELECT m.id, m.conversation_id, m.account_id, c.contact_id, coalesce(m.text, m.caption), m.timestamp
                 FROM messages m JOIN conversations c ON c.id = m.conversation_id
                 WHERE m.text LIKE ?1 ESCAPE '\\' OR m.caption LIKE ?1 ESCAPE '\\'
                 ORDER BY m.timestamp DESC, m.id DESC LIMIT ?2",
            )?;
            rows.extend(stmt.query_map(params![pattern, limit as i64], map)?.collect::<std::result::Result<Vec<_>, _>>()?);
        } else if let Some(q) = fts_query(query) {
            // 1. The newest-stored matches (FTS5 walks its index backwards and
            //    stops, so a common word stays instant in a million messages),
            //    ordered by the provider's time. See CANDIDATES_PER_HIT.
            let mut stmt = self.conn().prepare(
                "SELECT messages_fts.rowid, m.timestamp FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid
                 WHERE messages_fts MATCH ?1 ORDER BY messages_fts.rowid DESC LIMIT ?2",
            )?;
            let mut candidates: Vec<(i64, i64)> =
                stmt.query_map(params![q, (limit * CANDIDATES_PER_HIT) as i64], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<std::result::Result<_, _>>()?;
            candidates.sort_by(|a, b| b.1.cmp(&a.1).then(b.0.cmp(&a.0)));
            candidates.truncate(limit);
            // 2. Only for the hits shown: their conversation and a snippet of
            //    the indexed text around the first query word.
            let mut stmt = self.conn().prepare(
                "SELECT m.id, m.conversation_id, m.account_id, c.contact_id,
                        (SELECT coalesce(nullif(body, ''), file_name) FROM messages_fts WHERE rowid = m.id), m.timestamp
                 FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE m.id = ?1",
            )?;
            let words: Vec<String> = query.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect();
            for (id, _) in candidates {
                for row in stmt.query_map(params![id], map)? {
                    let (id, conv, acct, contact, text, ts) = row?;
                    rows.push((id, conv, acct, contact, snippet_around(&text, &words), ts));
                }
            }
            // A contact whose name matches: its conversation's latest message.
            let mut stmt = self.conn().prepare(
                "SELECT m.id, m.conversation_id, m.account_id, c.contact_id, coalesce(m.text, m.caption, m.kind), m.timestamp
                 FROM contacts_fts JOIN conversations c ON c.contact_id = contacts_fts.rowid JOIN messages m ON m.id = c.last_message_id
                 WHERE contacts_fts MATCH ?1 LIMIT ?2",
            )?;
            for row in stmt.query_map(params![q, limit as i64], map)? {
                let (id, conv, acct, contact, text, ts) = row?;
                if !rows.iter().any(|r| r.0 == id) {
                    rows.push((id, conv, acct, contact, snippet_of(&text, 60), ts));
                }
            }
        }
        // The owner's notes (newest first), on a contact or a conversation.
        if let Some(q) = fts_query(query) {
            let mut stmt = self.conn().prepare(
                "SELECT n.id, coalesce(n.conversation_id, (SELECT id FROM conversations WHERE contact_id = n.contact_id ORDER BY last_activity_at DESC LIMIT 1), 0),
                        n.account_id, coalesce(n.contact_id, (SELECT contact_id FROM conversations WHERE id = n.conversation_id)), n.text, n.updated_at
                 FROM notes_fts JOIN notes n ON n.id = notes_fts.rowid WHERE notes_fts MATCH ?1 ORDER BY n.updated_at DESC, n.id DESC LIMIT ?2",
            )?;
            let words: Vec<String> = query.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect();
            for row in stmt.query_map(params![q, limit as i64], map)? {
                let (id, conv, acct, contact, text, ts) = row?;
                notes.push((id, conv, acct, contact, snippet_around(&text, &words), ts));
            }
        }
        let mut all: Vec<(bool, Row)> = rows.into_iter().map(|r| (false, r)).chain(notes.into_iter().map(|r| (true, r))).collect();
        all.sort_by(|(_, a), (_, b)| b.5.cmp(&a.5).then(b.0.cmp(&a.0)));
        all.truncate(limit);
        all.into_iter()
            .map(|(is_note, (id, conv, acct, contact_id, snippet, ts))| {
                let contact = contacts::get(self.conn(), contact_id)?;
                Ok(SearchHit {
                    message_id: if is_note { 0 } else { id },
                    conversation_id: conv,
                    account_id: acct,
                    display_name: display_name(&contact, &country),
                    snippet: snippet_of(&snippet, 120),
                    timestamp: ts,
                    kind: if is_note { "note" } else { "message" },
                    note_id: is_note.then_some(id),
                })
            })
            .collect()
    }
}

impl Store {
    /// The messages of one conversation matching `query`, newest first (ids;
    /// at most `limit`): the in-conversation search's matches.
    pub fn search_in_conversation(&self, conversation_id: i64, query: &str, limit: usize) -> Result<Vec<i64>> {
        let limit = limit.clamp(1, 1000) as i64;
        let ids = if query.chars().any(is_unspaced_script) {
            let pattern = format!("%{}%", query.trim().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
            let mut stmt = self.conn().prepare(
                "SELECT id FROM messages WHERE conversation_id = ?1 AND (text LIKE ?2 ESCAPE '\\' OR caption LIKE ?2 ESCAPE '\\')
                 ORDER BY timestamp DESC, id DESC LIMIT ?3",
            )?;
            let ids = stmt.query_map(params![conversation_id, pattern, limit], |r| r.get(0))?.collect::<std::result::Result<Vec<i64>, _>>()?;
            ids
        } else if let Some(q) = fts_query(query) {
            let mut stmt = self.conn().prepare(
                "SELECT m.id FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid
                 WHERE messages_fts MATCH ?1 AND m.conversation_id = ?2 ORDER BY m.timestamp DESC, m.id DESC LIMIT ?3",
            )?;
            let ids = stmt.query_map(params![q, conversation_id, limit], |r| r.get(0))?.collect::<std::result::Result<Vec<i64>, _>>()?;
            ids
        } else {
            vec![]
        };
        Ok(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_words_become_quoted_prefixes() {
        assert_eq!(fts_query("Jur ord").as_deref(), Some("\"Jur\"* \"ord\"*"));
        assert_eq!(fts_query("a\"b OR c").as_deref(), Some("\"a\"* \"b\"* \"OR\"* \"c\"*"));
        assert_eq!(fts_query("  -- "), None);
    }

    #[test]
    fn snippets_start_near_the_first_match() {
        let words = vec!["invoice".to_string()];
        let text = "one two three four five six seven eight nine ten eleven twelve thirteen the invoice is attached here";
        assert_eq!(snippet_around(text, &words), "…twelve thirteen the invoice is attached here");
        assert_eq!(snippet_around("Invoice 12", &words), "Invoice 12", "short texts are whole; case does not matter");
        assert_eq!(snippet_around("no match", &words), "no match");
    }

    #[test]
    fn cjk_and_thai_are_unspaced() {
        assert!("訂單".chars().all(is_unspaced_script));
        assert!("ขอบคุณ".chars().any(is_unspaced_script));
        assert!(!"Jürgen".chars().any(is_unspaced_script));
    }
}
