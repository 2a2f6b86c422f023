//! `wicket dev seed`: fills a data dir with a busy shop's worth of made-up
//! messages through the store's bulk path, for benchmarks and trying the
//! app at scale.
//!
//! Rules kept here: the data goes under a demo account of its own (never
//! exported, never sent from), and a data dir holding any real account is
//! refused; the same options and seed give the same store (a tiny
//! SplitMix64 generator, so no dependency's algorithm can change it; only
//! the times at which rows were written differ); everything is written
//! through [`crate::store::BulkWriter`], as an import would be. The mix:
//! mostly short texts in several languages and scripts, some media,
//! templates, later statuses and reactions, and a few very long
//! conversations. [`Plan`] yields the same rows for a bench's raw baseline.

mod text;

use crate::error::{Error, Result};
use crate::model::{AccountStatus, Direction, MessageKind, MessageStatus, Provider};
use crate::store::contacts::{ContactKey, ContactUpdate};
use crate::store::messages::{self, NewMessage, StatusUpdate};
use crate::store::{NewAccount, Store};
use std::time::{Duration, Instant};

/// What to seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedOptions {
    pub messages: u64,
    /// Contacts, one conversation each.
    pub conversations: u64,
    /// Conversations holding `long_size` messages each (when there are enough).
    pub long_conversations: u64,
    pub long_size: u64,
    pub seed: u64,
}

impl Default for SeedOptions {
    fn default() -> Self {
        SeedOptions { messages: 1_000_000, conversations: 10_000, long_conversations: 3, long_size: 100_000, seed: 1 }
    }
}

/// What a seeding did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SeedReport {
    pub account_id: i64,
    pub conversations: u64,
    pub messages: u64,
    pub reactions: u64,
    pub elapsed: Duration,
}

/// SplitMix64: small, fast, and fixed here so a seed means the same store forever.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5EED_5EED_5EED_5EED)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0; 0 gives 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            ((self.next_u64() as u128 * n as u128) >> 64) as u64
        }
    }
}

/// One seeded contact: its phone number and profile name.
pub fn contact(rng: &mut Rng, index: u64) -> (String, String) {
    (format!("+447700{index:06}"), text::name(rng))
}

/// A media file to store before its message.
#[derive(Debug, Clone)]
pub struct PlannedMedia {
    pub file_name: String,
    pub mime: &'static str,
    pub size: i64,
}

/// One step of the plan.
#[derive(Debug, Clone)]
pub enum Item {
    /// A message in conversation `conversation` (an index into the plan's
    /// conversations; `account_id` and `conversation_id` are left for the
    /// writer to fill). Later statuses of an outgoing message follow it.
    Message { conversation: usize, message: Box<NewMessage>, media: Option<PlannedMedia>, later: Vec<(MessageStatus, i64)> },
    /// A reaction to an earlier message of the same conversation.
    Reaction { target: String, reactor: String, emoji: &'static str, timestamp: i64 },
}

/// The deterministic sequence of what to write, message by message.
#[derive(Debug)]
pub struct Plan {
    opts: SeedOptions,
    rng: Rng,
    k: u64,
    long_size: u64,
    /// The newest provider id per conversation, for reactions.
    last_pid: Vec<Option<String>>,
    /// Each conversation's contact phone and first name.
    phones: Vec<String>,
    names: Vec<String>,
}

/// 2024-01-01T00:00:00Z: seeded times run over the following year.
const START_MS: i64 = 1_704_067_200_000;
const YEAR_MS: i64 = 365 * 24 * 3_600_000;

impl Plan {
    pub fn new(opts: SeedOptions) -> Plan {
        let mut rng = Rng::new(opts.seed);
        let n = opts.conversations.max(1);
        let (mut phones, mut names) = (Vec::with_capacity(n as usize), Vec::with_capacity(n as usize));
        for i in 0..n {
            let (p, name) = contact(&mut rng, i);
            phones.push(p);
            names.push(name);
        }
        // A long conversation never takes more than half of what is seeded.
        let long = opts.long_conversations.min(n);
        let long_size = if long == 0 { 0 } else { opts.long_size.min(opts.messages / (2 * long)) };
        Plan { opts, rng, k: 0, long_size, last_pid: vec![None; n as usize], phones, names }
    }

    /// Contact `i`'s (phone, profile name).
    pub fn contact(&self, i: usize) -> (&str, &str) {
        (&self.phones[i], &self.names[i])
    }

    pub fn conversations(&self) -> usize {
        self.phones.len()
    }

    /// How many messages each long conversation gets (about).
    pub fn long_size(&self) -> u64 {
        self.long_size
    }

    fn pick_conversation(&mut self) -> usize {
        let n = self.phones.len() as u64;
        let long = self.opts.long_conversations.min(n);
        let long_total = long * self.long_size;
        if long > 0 && self.rng.below(self.opts.messages.max(1)) < long_total {
            return self.rng.below(long) as usize;
        }
        let others = n - long;
        if others == 0 {
            return self.rng.below(n) as usize;
        }
        // Busier customers first: the square skews towards low indexes.
        let u = self.rng.below(1 << 20);
        (long + ((u * u) >> 20) * others / (1 << 20)) as usize
    }

    fn message(&mut self, conversation: usize, ts: i64) -> Item {
        let pid = format!("wamid.seed{}.{}", self.opts.seed, self.k);
        let inbound = self.rng.below(100) < 55;
        let mut m = NewMessage {
            provider_message_id: Some(pid.clone()),
            direction: Some(if inbound { Direction::In } else { Direction::Out }),
            timestamp: Some(ts),
            ..Default::default()
        };
        let mut media = None;
        let mut later = vec![];
        match self.rng.below(100) {
            0..=5 => {
                let (kind, mime, file_name, caption) = text::media(&mut self.rng);
                m.kind = Some(kind);
                m.caption = caption;
                media = Some(PlannedMedia { file_name, mime, size: 10_000 + self.rng.below(2_000_000) as i64 });
            }
            6..=8 if !inbound => {
                let first = self.names[conversation].split(' ').next().unwrap_or_default().to_string();
                let (template, body) = text::template(&mut self.rng, &first);
                m.kind = Some(MessageKind::Template);
                m.template = Some(template);
                m.text = Some(body);
            }
            9 => {
                m.kind = Some(MessageKind::Location);
                let (lat, lon) = (self.rng.below(180_000) as f64 / 1000.0 - 90.0, self.rng.below(360_000) as f64 / 1000.0 - 180.0);
                m.location = Some(serde_json::json!({"latitude": lat, "longitude": lon, "name": "Pickup point"}));
            }
            _ => {
                m.kind = Some(MessageKind::Text);
                m.text = Some(text::message(&mut self.rng));
            }
        }
        if !inbound {
            // Most of ours were read; some only delivered or sent; a few failed.
            // One in ten reports its statuses later, as webhooks would.
            let r = self.rng.below(100);
            if r < 10 {
                m.status = Some(MessageStatus::Sent);
                later.push((MessageStatus::Delivered, ts + 2_000));
                later.push((MessageStatus::Read, ts + 60_000 + self.rng.below(3_600_000) as i64));
            } else {
                m.status = Some(match r {
                    10..=64 => MessageStatus::Read,
                    65..=89 => MessageStatus::Delivered,
                    90..=97 => MessageStatus::Sent,
                    _ => MessageStatus::Failed,
                });
            }
        }
        self.last_pid[conversation] = Some(pid);
        Item::Message { conversation, message: Box::new(m), media, later }
    }
}

impl Iterator for Plan {
    type Item = Item;

    /// The next message or reaction; `None` once every message is planned.
    fn next(&mut self) -> Option<Item> {
        if self.k >= self.opts.messages {
            return None;
        }
        let k = self.k;
        let gap = (YEAR_MS / self.opts.messages.max(1) as i64).max(1);
        let ts = START_MS + k as i64 * gap + self.rng.below(gap as u64) as i64;
        let conversation = self.pick_conversation();
        // About one in fifty steps is a reaction to the conversation's newest message.
        if self.rng.below(50) == 0 {
            if let Some(target) = self.last_pid[conversation].clone() {
                let reactor = if self.rng.below(2) == 0 { self.phones[conversation].clone() } else { "me".to_string() };
                let emoji = text::emoji(&mut self.rng);
                return Some(Item::Reaction { target, reactor, emoji, timestamp: ts });
            }
        }
        let item = self.message(conversation, ts);
        self.k += 1;
        Some(item)
    }
}

/// Refuses a data dir holding any account that is not a demo one.
pub fn check_data_dir(store: &Store) -> Result<()> {
    let real: Vec<String> = store.accounts()?.into_iter().filter(|a| a.provider != Provider::Demo).map(|a| format!("{} ({})", a.name, a.provider)).collect();
    if !real.is_empty() {
        return Err(Error::Invalid(format!(
            "this data dir holds real accounts ({}): `wicket dev seed` only fills a new data dir or one with demo accounts. Use --data-dir with an empty folder",
            real.join(", ")
        )));
    }
    Ok(())
}

/// Messages per transaction.
const BATCH: usize = 50_000;

/// Seeds `store` as `opts` says, under a new demo account.
pub fn seed(store: &mut Store, opts: &SeedOptions) -> Result<SeedReport> {
    check_data_dir(store)?;
    let started = Instant::now();
    let account = store.add_account(&NewAccount {
        provider: Provider::Demo,
        name: format!("Seeded shop ({} messages, seed {})", opts.messages, opts.seed),
        phone: Some("+15550100000".into()),
        config: serde_json::json!({ "demo": true, "seeded": true }),
    })?;
    store.set_account_status(account.id, AccountStatus::Ok, Some("seeded by `wicket dev seed`: made-up customers, nothing is sent"))?;
    let plan = Plan::new(*opts);
    let mut writer = store.bulk_writer(BATCH);
    let mut conversation_ids = Vec::with_capacity(plan.conversations());
    writer.with_conn(|conn| {
        for i in 0..plan.conversations() {
            let (phone, name) = plan.contact(i);
            let update = ContactUpdate { profile_name: Some(name.to_string()), wa_id: Some(phone.trim_start_matches('+').to_string()), ..Default::default() };
            let contact = crate::store::contacts::upsert(conn, account.id, &ContactKey::phone(phone), &update)?;
            conversation_ids.push(crate::store::conversations::get_or_create(conn, account.id, contact)?);
        }
        Ok(())
    })?;
    let (mut messages_written, mut reactions) = (0, 0);
    for item in plan {
        match item {
            Item::Message { conversation, mut message, media, later } => {
                message.account_id = account.id;
                message.conversation_id = conversation_ids[conversation];
                if let Some(f) = media {
                    let media_id = writer.with_conn_unindexed(|conn| {
                        crate::store::media::insert(
                            conn,
                            &crate::store::media::NewMedia {
                                account_id: account.id,
                                provider_media_id: Some(format!("seed-media-{}", message.provider_message_id.as_deref().unwrap_or_default())),
                                file_name: Some(f.file_name),
                                mime: Some(f.mime.to_string()),
                                size: Some(f.size),
                                ..Default::default()
                            },
                        )
                    })?;
                    message.media_id = Some(media_id);
                }
                let pid = message.provider_message_id.clone().unwrap_or_default();
                writer.insert_message(&message)?;
                for (status, timestamp) in later {
                    let u = StatusUpdate { account_id: account.id, provider_message_id: pid.clone(), wicket_id: None, status, timestamp, error: None };
                    writer.with_conn_unindexed(|conn| messages::update_status(conn, &u).map(|_| ()))?;
                }
                messages_written += 1;
            }
            Item::Reaction { target, reactor, emoji, timestamp } => {
                writer.with_conn_unindexed(|conn| messages::set_reaction(conn, account.id, &target, &reactor, emoji, timestamp))?;
                reactions += 1;
            }
        }
    }
    writer.finish()?;
    Ok(SeedReport { account_id: account.id, conversations: conversation_ids.len() as u64, messages: messages_written, reactions, elapsed: started.elapsed() })
}
