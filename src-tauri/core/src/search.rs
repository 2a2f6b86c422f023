//! Full-text search over message text, captions, file names, contact
//! names and the owner's private notes (FTS5, `unicode61 remove_diacritics 2`: "Jurgen" finds "Jürgen").
//! Results are most recent first (see [`CANDIDATES_PER_HIT`] for how that
//! stays instant in a large store).
//!
//! Which words match ([`Matching`]): in messages, whole words, all of them
//! required; a word typed with a trailing `*` ("deliv*") is a prefix, and
//! when the whole words find no message at all, the last word is tried again
//! as a prefix ("munch" finds "München"). Search as you type (the window)
//! reads the last word as a prefix while it is being typed (no space after
//! it yet, three letters or more). Whole words
//! because a prefix costs FTS5 a merge of every matching word's list (7.5 ms
//! for "order"* in a million messages, 0.3 ms for "order"); prefixes of 3
//! and 4 letters have their own index (migration 17) and cost what a whole
//! word does; longer ones are found through that index and checked
//! (`Store::newest_matches`), paying the merge only behind a common start. Contact names and
//! notes are few: there every word is a prefix ("Custom" finds "Customer").
//!
//! Limit: FTS5's tokenizer splits on spaces, so scripts written without them
//! (Chinese, Japanese, Thai, Lao, Khmer, Myanmar) cannot be matched by word.
//! Queries containing such characters fall back to a substring scan of
//! message text and captions (`LIKE`), which is not indexed.

use crate::error::Result;
use crate::store::contacts::{self, display_name, display_name_of, NameParts};
use crate::store::Store;
use rusqlite::params;

/// Matches read per hit shown. Messages are stored in about the order they
/// happen, so the newest-stored matches hold the most recent ones; reading
/// several times more than shown absorbs messages stored out of order (a
/// late webhook, a gateway's backfill), and the hits are then sorted by the
/// provider's timestamp. Limit: a history backfilled after newer messages
/// can rank behind them in a search with many more matches than this.
const CANDIDATES_PER_HIT: usize = 8;

/// The longest prefix with an index of its own (migration 17: `prefix = '3 4'`).
const PREFIX_INDEX_MAX: usize = 4;

/// A longer prefix is first looked for among this many times the matches
/// wanted of its indexed start (see [`Store::newest_matches`]).
const LONG_PREFIX_WINDOW: usize = 3;

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

/// What a search is narrowed to (the window's filters). Empty: everything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchFilter {
    pub account_id: Option<i64>,
    /// Only conversations with this label.
    pub label: Option<String>,
    /// Provider time, Unix ms: from `since` (inclusive) to `until` (exclusive).
    pub since: Option<i64>,
    pub until: Option<i64>,
    /// Only messages with a photo, video, voice note, document or sticker.
    pub has_media: bool,
}

impl SearchFilter {
    pub fn is_empty(&self) -> bool {
        *self == SearchFilter::default()
    }

    /// SQL conditions on `m` (messages) and `c` (conversations), each with its
    /// parameter, to append after a WHERE clause.
    fn conditions(&self) -> (String, Vec<rusqlite::types::Value>) {
        use rusqlite::types::Value;
        let mut sql = String::new();
        let mut values = vec![];
        if let Some(a) = self.account_id {
            sql.push_str(" AND m.account_id = ?");
            values.push(Value::Integer(a));
        }
        if let Some(l) = &self.label {
            sql.push_str(" AND c.id IN (SELECT conversation_id FROM conversation_labels WHERE label = ?)");
            values.push(Value::Text(l.clone()));
        }
        if let Some(t) = self.since {
            sql.push_str(" AND m.timestamp >= ?");
            values.push(Value::Integer(t));
        }
        if let Some(t) = self.until {
            sql.push_str(" AND m.timestamp < ?");
            values.push(Value::Integer(t));
        }
        if self.has_media {
            sql.push_str(" AND m.media_id IS NOT NULL");
        }
        (sql, values)
    }

    /// Whether a note can be a result: notes have no media or labels; their time is their last edit.
    fn admits_note(&self, account_id: i64, updated_at: i64) -> bool {
        !self.has_media
            && self.label.is_none()
            && self.account_id.is_none_or(|a| a == account_id)
            && self.since.is_none_or(|t| updated_at >= t)
            && self.until.is_none_or(|t| updated_at < t)
    }
}

/// A hit before it is shown: (message or note id, conversation id, account
/// id, contact id, snippet, timestamp, display name when already known).
type Row = (i64, i64, i64, i64, String, i64, Option<String>);

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

/// How the words of a query match message text (module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Matching {
    /// Whole words; a word followed by `*` is a prefix (the CLI).
    Words,
    /// As `Words`, and the last word is a prefix while it is being typed:
    /// no space after it, at least [`TYPED_PREFIX_MIN`] characters.
    AsYouType,
}

/// Shorter words typed last stay whole words: a one- or two-letter prefix
/// matches most of a large store's vocabulary.
pub const TYPED_PREFIX_MIN: usize = 3;

/// The words of `input` (letters and digits), each with whether it is a prefix.
fn query_words(input: &str, matching: Matching) -> Vec<(String, bool)> {
    let mut words: Vec<(String, bool)> = vec![];
    let mut word = String::new();
    for c in input.chars() {
        if c.is_alphanumeric() {
            word.push(c);
            continue;
        }
        if !word.is_empty() {
            words.push((std::mem::take(&mut word), c == '*'));
        }
    }
    if !word.is_empty() {
        let typing = matching == Matching::AsYouType && word.chars().count() >= TYPED_PREFIX_MIN;
        words.push((word, typing));
    }
    words
}

/// Every word quoted (so operators in user input are inert), all required.
fn to_fts(words: impl Iterator<Item = (String, bool)>) -> Option<String> {
    let terms: Vec<String> = words.map(|(w, prefix)| format!("\"{}\"{}", w.replace('"', "\"\""), if prefix { "*" } else { "" })).collect();
    (!terms.is_empty()).then(|| terms.join(" "))
}

/// The FTS5 query for message text: whole words, and prefixes where asked (see [`Matching`]).
pub fn fts_query_for(input: &str, matching: Matching) -> Option<String> {
    to_fts(query_words(input, matching).into_iter())
}

/// The query with every prefix longer than [`PREFIX_INDEX_MAX`] cut to it
/// ("deliv*" → "deli*": a lookup in the prefix index, matching a superset);
/// `None` when no prefix is that long.
fn indexed_prefix_query(words: &[(String, bool)]) -> Option<String> {
    if !words.iter().any(|(w, prefix)| *prefix && w.chars().count() > PREFIX_INDEX_MAX) {
        return None;
    }
    to_fts(words.iter().map(|(w, prefix)| (if *prefix { w.chars().take(PREFIX_INDEX_MAX).collect() } else { w.clone() }, *prefix)))
}

/// [`fts_query_for`] with [`Matching::Words`].
pub fn fts_query(input: &str) -> Option<String> {
    fts_query_for(input, Matching::Words)
}

/// Every word a prefix: for contact names and notes (small tables).
pub fn prefix_query(input: &str) -> Option<String> {
    to_fts(query_words(input, Matching::Words).into_iter().map(|(w, _)| (w, true)))
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
    /// Messages matching `query` (whole words, see [`Matching::Words`] and
    /// the module docs), most recent first (50 when `limit` is 0).
    pub fn search(&self, query: &str, limit: usize) -> Result<Vec<SearchHit>> {
        self.search_with(query, limit, Matching::Words)
    }

    /// [`Store::search`] for a query still being typed ([`Matching::AsYouType`]).
    pub fn search_as_you_type(&self, query: &str, limit: usize) -> Result<Vec<SearchHit>> {
        self.search_with(query, limit, Matching::AsYouType)
    }

    pub fn search_with(&self, query: &str, limit: usize, matching: Matching) -> Result<Vec<SearchHit>> {
        self.search_filtered(query, limit, matching, &SearchFilter::default())
    }

    /// [`Store::search_with`] narrowed by `filter`. Unfiltered, the newest
    /// matches are read from the index's end (instant at any size); filtered,
    /// the index's matches are checked against the filter newest-stored first,
    /// which for a rare filter over a common word reads more of them.
    pub fn search_filtered(&self, query: &str, limit: usize, matching: Matching, filter: &SearchFilter) -> Result<Vec<SearchHit>> {
        let limit = if limit == 0 { 50 } else { limit };
        let (cond, cond_values) = filter.conditions();
        let with = |first: Vec<rusqlite::types::Value>, last: i64| {
            first.into_iter().chain(cond_values.iter().cloned()).chain(std::iter::once(rusqlite::types::Value::Integer(last))).collect::<Vec<_>>()
        };
        let country = self.default_country()?;
        let mut rows: Vec<Row> = vec![];
        let mut notes: Vec<Row> = vec![];
        let map = |r: &rusqlite::Row<'_>| -> rusqlite::Result<Row> {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get::<_, Option<String>>(4)?.unwrap_or_default(), r.get(5)?, None))
        };
        let q_words = query_words(query, matching);
        let words: Vec<String> = q_words.iter().map(|(w, _)| w.to_lowercase()).collect();
        if query.chars().any(is_unspaced_script) {
            let pattern = format!("%{}%", query.trim().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
            let mut stmt = self.conn().prepare_cached(&format!(
                "SELECT m.id, m.conversation_id, m.account_id, c.contact_id, coalesce(m.text, m.caption), m.timestamp
                 FROM messages m JOIN conversations c ON c.id = m.conversation_id
                 WHERE (m.text LIKE ? ESCAPE '\\' OR m.caption LIKE ? ESCAPE '\\'){cond}
                 ORDER BY m.timestamp DESC, m.id DESC LIMIT ?"
            ))?;
            let values = with(vec![pattern.clone().into(), pattern.into()], limit as i64);
            rows.extend(stmt.query_map(rusqlite::params_from_iter(values), map)?.collect::<std::result::Result<Vec<_>, _>>()?);
        } else if !q_words.is_empty() {
            // 1. The newest-stored matches (FTS5 walks its index backwards and
            //    stops, so a common word stays instant in a million messages),
            //    ordered by the provider's time. See CANDIDATES_PER_HIT.
            let sql = if filter.is_empty() {
                "SELECT messages_fts.rowid, m.timestamp FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid
                 WHERE messages_fts MATCH ? ORDER BY messages_fts.rowid DESC LIMIT ?"
                    .to_string()
            } else {
                format!(
                    "SELECT messages_fts.rowid, m.timestamp FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid
                     JOIN conversations c ON c.id = m.conversation_id
                     WHERE messages_fts MATCH ?{cond} ORDER BY messages_fts.rowid DESC LIMIT ?"
                )
            };
            let wanted = limit * CANDIDATES_PER_HIT;
            let params_for = |q: String, n: usize| with(vec![q.into()], n as i64);
            let mut candidates = self.newest_matches(&sql, &params_for, &q_words, wanted)?;
            // Whole words found nothing: the last word again as a prefix (three
            // letters or more), so `wicket search munch` finds "München" as it
            // always did, while "order" stays a whole word.
            if candidates.is_empty() && matching == Matching::Words {
                let mut words = q_words.clone();
                if let Some((_, prefix)) = words.last_mut().filter(|(w, prefix)| !*prefix && w.chars().count() >= TYPED_PREFIX_MIN) {
                    *prefix = true;
                    candidates = self.newest_matches(&sql, &params_for, &words, wanted)?;
                }
            }
            candidates.sort_by(|a, b| b.1.cmp(&a.1).then(b.0.cmp(&a.0)));
            candidates.truncate(limit);
            // 2. Only for the hits shown: their conversation, contact name and
            //    a snippet around the first query word (the index keeps no
            //    copy of the text: it is read from the message).
            let mut stmt = self.conn().prepare_cached(
                "SELECT m.id, m.conversation_id, m.account_id, c.contact_id,
                        coalesce(nullif(trim(coalesce(m.text, '') || ' ' || coalesce(m.caption, '')), ''), f.file_name), m.timestamp,
                        k.verified_name, k.saved_name, k.profile_name, k.company, k.phone, k.provider_user_id
                 FROM messages m JOIN conversations c ON c.id = m.conversation_id JOIN contacts k ON k.id = c.contact_id
                 LEFT JOIN media_files f ON f.id = m.media_id WHERE m.id = ?1",
            )?;
            for (id, _) in candidates {
                let mut found = stmt.query([id])?;
                if let Some(r) = found.next()? {
                    let text: Option<String> = r.get(4)?;
                    let names: [Option<String>; 6] = [r.get(6)?, r.get(7)?, r.get(8)?, r.get(9)?, r.get(10)?, r.get(11)?];
                    let parts = NameParts {
                        verified_name: names[0].as_deref(),
                        saved_name: names[1].as_deref(),
                        profile_name: names[2].as_deref(),
                        company: names[3].as_deref(),
                        phone: names[4].as_deref(),
                        provider_user_id: names[5].as_deref(),
                    };
                    let name = display_name_of(&parts, &country);
                    rows.push((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, snippet_around(&text.unwrap_or_default(), &words), r.get(5)?, Some(name)));
                }
            }
        }
        if let Some(q) = prefix_query(query).filter(|_| !query.chars().any(is_unspaced_script)) {
            // A contact whose name matches: its conversation's latest message (when it passes the filter).
            let mut stmt = self.conn().prepare_cached(&format!(
                "SELECT m.id, m.conversation_id, m.account_id, c.contact_id, coalesce(m.text, m.caption, m.kind), m.timestamp
                 FROM contacts_fts JOIN conversations c ON c.contact_id = contacts_fts.rowid JOIN messages m ON m.id = c.last_message_id
                 WHERE contacts_fts MATCH ?{cond} LIMIT ?"
            ))?;
            for row in stmt.query_map(rusqlite::params_from_iter(with(vec![q.into()], limit as i64)), map)? {
                let (id, conv, acct, contact, text, ts, name) = row?;
                if !rows.iter().any(|r| r.0 == id) {
                    rows.push((id, conv, acct, contact, snippet_of(&text, 60), ts, name));
                }
            }
        }
        // The owner's notes (newest first), on a contact or a conversation.
        if let Some(q) = prefix_query(query) {
            let mut stmt = self.conn().prepare_cached(
                "SELECT n.id, coalesce(n.conversation_id, (SELECT id FROM conversations WHERE contact_id = n.contact_id ORDER BY last_activity_at DESC LIMIT 1), 0),
                        n.account_id, coalesce(n.contact_id, (SELECT contact_id FROM conversations WHERE id = n.conversation_id)), n.text, n.updated_at
                 FROM notes_fts JOIN notes n ON n.id = notes_fts.rowid WHERE notes_fts MATCH ?1 ORDER BY n.updated_at DESC, n.id DESC LIMIT ?2",
            )?;
            for row in stmt.query_map(params![q, limit as i64], map)? {
                let (id, conv, acct, contact, text, ts, name) = row?;
                if !filter.admits_note(acct, ts) {
                    continue;
                }
                notes.push((id, conv, acct, contact, snippet_around(&text, &words), ts, name));
            }
        }
        let mut all: Vec<(bool, Row)> = rows.into_iter().map(|r| (false, r)).chain(notes.into_iter().map(|r| (true, r))).collect();
        all.sort_by(|(_, a), (_, b)| b.5.cmp(&a.5).then(b.0.cmp(&a.0)));
        all.truncate(limit);
        all.into_iter()
            .map(|(is_note, (id, conv, acct, contact_id, snippet, ts, name))| {
                let display_name = match name {
                    Some(n) => n,
                    None => display_name(&contacts::get(self.conn(), contact_id)?, &country),
                };
                Ok(SearchHit {
                    message_id: if is_note { 0 } else { id },
                    conversation_id: conv,
                    account_id: acct,
                    display_name,
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
    /// The newest `wanted` matches (id, timestamp) of `words` by `sql` (its
    /// parameters from `params_for(query, limit)`), newest-stored first.
    ///
    /// A prefix longer than its index ("deliv*") costs FTS5 a merge of every
    /// matching word's whole list (6 ms for a common one in a million
    /// messages). So the newest matches of the indexed start ("deli*", a
    /// lookup) come first, and the real query is run over just those in a
    /// small temporary index with the same tokenizer: the answer is exactly
    /// FTS5's. Only when that window holds too few real matches to be sure
    /// of the newest (a rare word behind a common start) is the direct query run.
    fn newest_matches(
        &self,
        sql: &str,
        params_for: &dyn Fn(String, usize) -> Vec<rusqlite::types::Value>,
        words: &[(String, bool)],
        wanted: usize,
    ) -> Result<Vec<(i64, i64)>> {
        let run = |q: String, n: usize| -> Result<Vec<(i64, i64)>> {
            let mut stmt = self.conn().prepare_cached(sql)?;
            let rows = stmt.query_map(rusqlite::params_from_iter(params_for(q, n)), |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<std::result::Result<_, _>>()?)
        };
        let Some(q) = to_fts(words.iter().cloned()) else { return Ok(vec![]) };
        let Some(indexed) = indexed_prefix_query(words) else { return run(q, wanted) };
        // Most often the newest matches of the start are the word's own: look
        // at as many as wanted first, at a few times that if they were not.
        for window_size in [wanted, wanted * LONG_PREFIX_WINDOW] {
            let window = run(indexed.clone(), window_size)?;
            let real = self.matching_among(&q, &window)?;
            let found: Vec<(i64, i64)> = window.iter().filter(|(id, _)| real.contains(id)).copied().take(wanted).collect();
            // Every match of the real query is a match of the indexed one: if
            // the window held all of those, or `wanted` real ones, no newer
            // real match lies outside it.
            if window.len() < window_size || found.len() == wanted {
                return Ok(found);
            }
        }
        run(q, wanted)
    }

    /// Which of `candidates` (message ids) match the FTS5 query `q`, checked in
    /// a temporary index built like `messages_fts` (migration 17's columns and
    /// tokenizer) over only their text. Contentless, so emptying it afterwards
    /// is one command rather than a second pass over every word.
    fn matching_among(&self, q: &str, candidates: &[(i64, i64)]) -> Result<std::collections::HashSet<i64>> {
        let conn = self.conn();
        conn.execute_batch(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_check USING fts5(body, file_name, content = '', tokenize = 'unicode61 remove_diacritics 2');",
        )?;
        let ids = serde_json::Value::from(candidates.iter().map(|(id, _)| *id).collect::<Vec<_>>()).to_string();
        conn.prepare_cached(
            "INSERT INTO temp.search_check (rowid, body, file_name)
             SELECT m.id, trim(coalesce(m.text, '') || ' ' || coalesce(m.caption, '')), coalesce(f.file_name, '')
             FROM messages m LEFT JOIN media_files f ON f.id = m.media_id WHERE m.id IN (SELECT value FROM json_each(?1))",
        )?
        .execute([ids])?;
        let matched = conn
            .prepare_cached("SELECT rowid FROM temp.search_check WHERE search_check MATCH ?1")?
            .query_map([q], |r| r.get(0))?
            .collect::<std::result::Result<_, _>>();
        conn.prepare_cached("INSERT INTO temp.search_check (search_check) VALUES ('delete-all')")?.execute([])?;
        Ok(matched?)
    }

    /// The messages of one conversation matching `query`, newest first (ids;
    /// at most `limit`): the in-conversation search's matches, read as typed
    /// ([`Matching::AsYouType`]: the window's Find bar searches as you type).
    pub fn search_in_conversation(&self, conversation_id: i64, query: &str, limit: usize) -> Result<Vec<i64>> {
        let limit = limit.clamp(1, 1000) as i64;
        let ids = if query.chars().any(is_unspaced_script) {
            let pattern = format!("%{}%", query.trim().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
            let mut stmt = self.conn().prepare_cached(
                "SELECT id FROM messages WHERE conversation_id = ?1 AND (text LIKE ?2 ESCAPE '\\' OR caption LIKE ?2 ESCAPE '\\')
                 ORDER BY timestamp DESC, id DESC LIMIT ?3",
            )?;
            let ids = stmt.query_map(params![conversation_id, pattern, limit], |r| r.get(0))?.collect::<std::result::Result<Vec<i64>, _>>()?;
            ids
        } else if let Some(q) = fts_query_for(query, Matching::AsYouType) {
            let mut stmt = self.conn().prepare_cached(
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
    fn query_words_are_whole_words_unless_a_prefix_is_asked_for() {
        assert_eq!(fts_query("Jur ord").as_deref(), Some("\"Jur\" \"ord\""));
        assert_eq!(fts_query("deliv* order").as_deref(), Some("\"deliv\"* \"order\""), "a trailing * makes a prefix");
        assert_eq!(fts_query("a\"b OR c").as_deref(), Some("\"a\" \"b\" \"OR\" \"c\""));
        assert_eq!(fts_query("  -- "), None);
        assert_eq!(fts_query("*"), None);
        assert_eq!(prefix_query("Jur ord").as_deref(), Some("\"Jur\"* \"ord\"*"), "names and notes: every word a prefix");
    }

    #[test]
    fn as_you_type_the_last_word_is_a_prefix_until_a_space() {
        let typed = |q: &str| fts_query_for(q, Matching::AsYouType);
        assert_eq!(typed("order deliv").as_deref(), Some("\"order\" \"deliv\"*"));
        assert_eq!(typed("order deliv ").as_deref(), Some("\"order\" \"deliv\""), "a space ends the word");
        assert_eq!(typed("order de").as_deref(), Some("\"order\" \"de\""), "too short to be a prefix");
        assert_eq!(typed("Jür").as_deref(), Some("\"Jür\"*"), "three letters, not bytes");
        assert_eq!(typed("ord* x").as_deref(), Some("\"ord\"* \"x\""));
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
