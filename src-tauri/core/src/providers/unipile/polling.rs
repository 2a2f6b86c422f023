//! Polling UniPile: new messages since a high-water mark (with overlap,
//! cursor paging and a backlog carried to the next poll), the chats they
//! belong to (cached for a while) and the list of every chat.
//!
//! Polling keeps nothing durable: the caller persists the high-water mark,
//! each poll re-reads the last [`POLL_OVERLAP_MS`] and the store drops what
//! it already has by message id.

use super::client::{items, next_cursor, UnipileClient, MAX_LIST_PAGES};
use super::mapping::{self, contact_for, iso_ms, string, timestamp, ChatInfo, Jid};
use crate::error::Result;
use crate::providers::PollPage;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

/// How far back each poll re-reads before the high-water mark.
pub const POLL_OVERLAP_MS: i64 = 60_000;
pub(super) const POLL_PAGE_SIZE: u32 = 100;
/// Pages per poll; a longer backlog continues on the next poll.
pub(super) const MAX_POLL_PAGES: usize = 20;
/// How long a chat's name and members are trusted before a new lookup.
const CHAT_TTL: Duration = Duration::from_secs(30 * 60);
/// WhatsApp id → UniPile id entries kept for resolving quoted replies.
const MAX_WA_IDS: usize = 20_000;

/// A poll that hit the page limit with older messages left (UniPile lists
/// newest first): the next poll from the same high-water mark goes on here.
#[derive(Debug, Clone)]
pub(super) struct Backlog {
    input: Option<i64>,
    after: Option<String>,
    cursor: String,
    max_seen: Option<i64>,
}

impl UnipileClient {
    /// New messages since `high_water` (Unix ms; `None` on the first poll,
    /// which imports the newest pages only). Asks for everything after
    /// `high_water - POLL_OVERLAP_MS`, follows the cursor (at most
    /// `max_pages` pages per call; a longer backlog continues on the next
    /// call from the same mark), sorts by timestamp and returns the events
    /// and the new mark: the newest timestamp seen, or the input when
    /// nothing newer came (or while a backlog is still being read).
    pub async fn poll(&self, high_water: Option<i64>) -> Result<PollPage> {
        let account_id = self.require_account()?.to_string();
        let resume = {
            let mut st = self.lock();
            match st.backlog.take() {
                Some(b) if b.input == high_water => Some(b),
                _ => None,
            }
        };
        let resuming = resume.is_some();
        let (after, mut cursor, mut max_seen) = match resume {
            Some(b) => (b.after, Some(b.cursor), b.max_seen),
            None => (high_water.map(|hw| iso_ms(hw - POLL_OVERLAP_MS)), None, None),
        };
        let what = "polling messages";
        let mut fetched: Vec<Value> = vec![];
        let (mut first_ts, mut last_ts) = (None, None);
        let mut seen_cursors = HashSet::new();
        let mut pages = 0;
        let leftover = loop {
            let mut url = self.url(&["messages"]);
            {
                let mut q = url.query_pairs_mut();
                q.append_pair("account_id", &account_id);
                q.append_pair("limit", &self.poll_page_size.to_string());
                if let Some(a) = &after {
                    q.append_pair("after", a);
                }
                if let Some(c) = &cursor {
                    q.append_pair("cursor", c);
                }
            }
            let page = self.get_json(url, what).await?;
            for item in items(&page) {
                if let Some(ts) = timestamp(item.get("timestamp")) {
                    first_ts.get_or_insert(ts);
                    last_ts = Some(ts);
                    max_seen = max_seen.max(Some(ts));
                }
                fetched.push(item);
            }
            pages += 1;
            match next_cursor(&page) {
                None => break None,
                Some(c) if !seen_cursors.insert(c.clone()) => {
                    tracing::warn!("UniPile repeated a message page cursor: stopped paging");
                    break None;
                }
                Some(c) if pages >= self.max_poll_pages => break Some(c),
                Some(c) => cursor = Some(c),
            }
        };
        let newest = high_water.max(max_seen);
        let new_mark = match leftover {
            None => newest,
            Some(c) => {
                let oldest_first = !resuming && first_ts <= last_ts;
                if oldest_first || high_water.is_none() {
                    // Oldest first: the rest is newer and the next `after` reaches it.
                    // First poll: only the newest pages are imported.
                    newest
                } else {
                    // Newest first: older messages are left; keep the mark and go on next time.
                    tracing::info!(pages, "UniPile message backlog continues on the next poll");
                    self.lock().backlog = Some(Backlog { input: high_water, after, cursor: c, max_seen });
                    high_water
                }
            }
        };
        let events = self.map_messages(fetched).await;
        Ok(PollPage { events, high_water: new_mark })
    }

    /// Maps polled Message objects (sorted by time, each id once) to events,
    /// looking up each chat once.
    async fn map_messages(&self, mut fetched: Vec<Value>) -> Vec<crate::providers::ProviderEvent> {
        let mut ids = HashSet::new();
        fetched.retain(|m| string(m.get("id")).is_some_and(|id| ids.insert(id)));
        fetched.sort_by(|a, b| {
            let key = |m: &Value| (timestamp(m.get("timestamp")).unwrap_or(i64::MAX), string(m.get("id")).unwrap_or_default());
            key(a).cmp(&key(b))
        });
        {
            let mut st = self.lock();
            if st.wa_ids.len() + fetched.len() > MAX_WA_IDS {
                st.wa_ids.clear();
            }
            for m in &fetched {
                if let (Some(wa), Some(id)) = (string(m.get("provider_id")), string(m.get("id"))) {
                    st.wa_ids.insert(wa, id);
                }
            }
        }
        let mut chats: HashMap<String, ChatInfo> = HashMap::new();
        for m in &fetched {
            let Some(chat_id) = string(m.get("chat_id")) else { continue };
            if chats.contains_key(&chat_id) {
                continue;
            }
            let info = match self.chat_info(&chat_id).await {
                Ok(info) => info,
                Err(e) => {
                    tracing::debug!(chat_id, "UniPile chat lookup failed, using the message's chat id: {e}");
                    ChatInfo::default()
                }
            };
            chats.insert(chat_id, info);
        }
        let empty = ChatInfo::default();
        let resolve = |wa: &str| self.lock().wa_ids.get(wa).cloned();
        let mut events = vec![];
        for m in &fetched {
            let chat = string(m.get("chat_id")).and_then(|c| chats.get(&c)).unwrap_or(&empty);
            match mapping::message_events(m, chat, &resolve) {
                Some(ev) => events.extend(ev),
                None => tracing::warn!("skipped a UniPile message without an id"),
            }
        }
        events
    }

    /// Every chat of the account (`GET /chats?account_id=`, following the
    /// cursor), as the contact or group each is with and its chat id. Chats
    /// without new messages are listed too, so polling alone would miss them.
    pub async fn chats(&self) -> Result<Vec<crate::providers::ChatListing>> {
        let account_id = self.require_account()?.to_string();
        let all = self.list_all(&["chats"], &[("account_id", &account_id)], "listing the chats", MAX_LIST_PAGES).await?;
        let mut out = vec![];
        for chat in all {
            let Some(chat_id) = string(chat.get("id")) else { continue };
            let info = ChatInfo::from_chat(&chat);
            let Some(jid) = info.jid.as_ref() else {
                tracing::debug!(chat_id, "skipped a UniPile chat without a provider id");
                continue;
            };
            let (key, mut update) = contact_for(jid, info.name.clone(), info.is_group);
            update.raw = Some(chat.clone());
            out.push(crate::providers::ChatListing { chat_id, key, update, last_activity: timestamp(chat.get("timestamp")) });
        }
        Ok(out)
    }

    /// A chat's JID, type, name and (groups) members, cached for a while.
    async fn chat_info(&self, chat_id: &str) -> Result<ChatInfo> {
        if let Some((info, at)) = self.lock().chats.get(chat_id) {
            if at.elapsed() < CHAT_TTL {
                return Ok(info.clone());
            }
        }
        let chat = self.get_json(self.url(&["chats", chat_id]), "looking up a chat").await?;
        let mut info = ChatInfo::from_chat(&chat);
        if info.is_group {
            match self.list_all(&["chats", chat_id, "attendees"], &[], "listing a group's members", 20).await {
                Ok(members) => {
                    for a in members {
                        let jid = string(a.get("provider_id")).and_then(|p| Jid::parse(&p));
                        if let (Some(j), Some(name)) = (jid, string(a.get("name"))) {
                            info.members.insert(j.id, name);
                        }
                    }
                }
                Err(e) => tracing::debug!(chat_id, "cannot list a UniPile group's members: {e}"),
            }
        }
        self.lock().chats.insert(chat_id.to_string(), (info.clone(), Instant::now()));
        Ok(info)
    }
}
