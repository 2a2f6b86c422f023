//! What crosses the IPC boundary: the payloads of commands and events, as
//! plain structs the UI can render without rules of its own (display names
//! and formatted numbers are computed here, from the core's functions).
//!
//! The TypeScript types in `ui/src/bindings/` are generated from these
//! structs (`bindings.rs`); never edit them by hand. Ids and times are
//! numbers (times are Unix milliseconds; JavaScript numbers hold them exactly).

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use wicket_core::model::{AccountStatus, Direction, MediaState, MessageKind, MessageStatus, Origin, Provider};
use wicket_core::phone;
use wicket_core::search::SearchHit;
use wicket_core::store::contacts::display_name;
use wicket_core::store::messages::Message;
use wicket_core::store::{Account, Conversation};

/// Every error reaches the UI as a stable code (switch on it) and a message
/// saying what to do (show it).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct CommandError {
    /// `wicket_core::Error::code()`: `not_found`, `invalid`, `provider_refused`, …
    pub code: String,
    pub message: String,
    /// For `provider_refused`: what Wicket makes of the provider's answer
    /// (`outside_window`, `auth`, …).
    #[ts(type = "ErrorKind | null")]
    pub kind: Option<String>,
}

impl From<wicket_core::Error> for CommandError {
    fn from(e: wicket_core::Error) -> CommandError {
        use wicket_core::Error;
        match e {
            // The window asks for the passphrase (its dialog, then the command again).
            Error::PassphraseNeeded { .. } => CommandError {
                code: "passphrase_needed".into(),
                message: "Wicket needs the vault passphrase to reach your accounts' keys (this computer has no keychain).".into(),
                kind: None,
            },
            Error::PassphraseWrong => CommandError {
                code: "passphrase_wrong".into(),
                message: "That passphrase does not open the vault: try again with the one you chose when you created it.".into(),
                kind: None,
            },
            e => CommandError { code: e.code().to_string(), message: e.to_string(), kind: e.provider_error().map(|p| p.kind.as_str().to_string()) },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct AccountDto {
    pub id: i64,
    #[ts(type = "Provider")]
    pub provider: Provider,
    pub name: String,
    /// Formatted for display.
    pub phone: Option<String>,
    #[ts(type = "AccountStatus")]
    pub status: AccountStatus,
    pub status_reason: Option<String>,
    pub enabled: bool,
    /// Meta's 24-hour customer-service window applies to this account.
    pub has_service_window: bool,
    /// Since when the account has had this status (e.g. "retrying since").
    pub status_since: Option<i64>,
    /// When the last contact sync finished, and what came of it in a line.
    pub last_sync_at: Option<i64>,
    pub last_sync_result: Option<String>,
}

/// The account's stored sync summary (`sync::ContactSyncSummary`, or
/// `{"error": …}` when the sync failed) in a line for the owner.
fn sync_line(v: &serde_json::Value) -> Option<String> {
    if let Some(e) = v.get("error").and_then(|e| e.as_str()) {
        return Some(format!("failed: {e}"));
    }
    let n = |k: &str| v.get(k).and_then(|x| x.as_u64()).unwrap_or(0);
    v.get("total_fetched")?;
    let mut line = format!("{} of {} contacts updated", n("successful_updates"), n("total_fetched"));
    if n("failed_updates") > 0 {
        line.push_str(&format!(", {} failed", n("failed_updates")));
    }
    Some(line)
}

impl AccountDto {
    pub fn new(a: &Account, country: &str) -> AccountDto {
        AccountDto {
            id: a.id,
            provider: a.provider,
            name: a.name.clone(),
            phone: a.phone.as_deref().map(|p| phone::format_for_display(p, country)),
            status: a.status,
            status_reason: a.status_reason.clone(),
            enabled: a.enabled,
            has_service_window: a.provider == Provider::Meta,
            status_since: a.status_since,
            last_sync_at: a.last_sync_at,
            last_sync_result: a.last_sync_result.as_ref().and_then(sync_line),
        }
    }
}

/// One row of the conversation list (and the header of the chat view).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ConversationDto {
    pub id: i64,
    pub account_id: i64,
    /// By the priority rules of `contacts::display_name`.
    pub display_name: String,
    /// The number formatted for display, when the contact has one.
    pub phone: Option<String>,
    /// Stable per contact: the UI derives the avatar colour from it.
    pub avatar_key: String,
    pub is_business: bool,
    pub verified: bool,
    pub is_group: bool,
    pub unread_count: i64,
    pub pinned: bool,
    pub archived: bool,
    pub muted: bool,
    pub labels: Vec<String>,
    pub last_activity_at: Option<i64>,
    /// Text (or caption) of the last message, or its kind for media.
    pub last_text: Option<String>,
    pub window_expires_at: Option<i64>,
    pub draft: Option<String>,
    /// For the contact panel: the contact's id (its cached picture is served
    /// at `wicket-media://localhost/contact/{contact_id}` when `has_picture`).
    pub contact_id: i64,
    pub has_picture: bool,
    pub status_text: Option<String>,
    pub company: Option<String>,
    /// The contact's labels on the provider (the conversation's are `labels`).
    pub contact_labels: Vec<String>,
    /// The name WhatsApp verified for a business.
    pub verified_name: Option<String>,
    /// When the customer opted out of messages (wrote STOP or another
    /// opt-out keyword): the composer asks before sending, the contact panel says so.
    pub opted_out_at: Option<i64>,
    /// While the chat is snoozed: when it comes back (Unix ms).
    pub snoozed_until: Option<i64>,
}

impl ConversationDto {
    pub fn new(c: &Conversation, country: &str) -> ConversationDto {
        let k = &c.contact;
        ConversationDto {
            id: c.id,
            account_id: c.account_id,
            display_name: display_name(k, country),
            phone: k.phone.as_deref().map(|p| phone::format_for_display(p, country)),
            avatar_key: k.phone.clone().or_else(|| k.provider_user_id.clone()).unwrap_or_else(|| k.id.to_string()),
            is_business: k.is_business,
            verified: k.verified_name.as_deref().is_some_and(|v| !v.trim().is_empty()),
            is_group: k.is_group,
            unread_count: c.unread_count,
            pinned: c.pinned,
            archived: c.archived,
            muted: c.muted,
            labels: c.labels.clone(),
            last_activity_at: c.last_activity_at,
            last_text: c.last_text.clone(),
            window_expires_at: c.window_expires_at,
            draft: c.draft.clone(),
            contact_id: k.id,
            has_picture: k.profile_picture_path.is_some(),
            status_text: k.status_text.clone(),
            company: k.company.clone(),
            contact_labels: k.labels.clone(),
            verified_name: k.verified_name.clone().filter(|v| !v.trim().is_empty()),
            opted_out_at: k.opted_out_at,
            snoozed_until: c.snoozed_until.filter(|t| *t > wicket_core::time::now_ms()),
        }
    }
}

/// A message's file. When `state` is `downloaded` the file is served to the
/// window at `wicket-media://localhost/{id}` (only files under `media/`).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct MediaDto {
    pub id: i64,
    pub file_name: Option<String>,
    pub mime: Option<String>,
    pub size: Option<i64>,
    #[ts(type = "MediaState")]
    pub state: MediaState,
    pub error: Option<String>,
}

impl From<&wicket_core::store::media::MediaFile> for MediaDto {
    fn from(f: &wicket_core::store::media::MediaFile) -> MediaDto {
        MediaDto { id: f.id, file_name: f.file_name.clone(), mime: f.mime.clone(), size: f.size, state: f.state, error: f.error.clone() }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct LocationDto {
    pub latitude: f64,
    pub longitude: f64,
    pub name: Option<String>,
    pub address: Option<String>,
}

/// A catalog order (Meta's `order` message), for the order card.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct OrderDto {
    pub catalog_id: Option<String>,
    /// The customer's note with the order.
    pub note: Option<String>,
    pub items: Vec<OrderItemDto>,
    /// "GBP 28.48" (one per currency), when the items have prices.
    pub total: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct OrderItemDto {
    /// The catalog's product id (SKU).
    pub product_retailer_id: Option<String>,
    pub quantity: i64,
    /// "GBP 7.99": the unit price with its currency, when given.
    pub price: Option<String>,
}

/// The click-to-WhatsApp ad a customer came from, for the "came from an ad" chip.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ReferralDto {
    pub headline: Option<String>,
    pub body: Option<String>,
    /// "ad" or "post".
    pub source_type: Option<String>,
    pub source_url: Option<String>,
}

/// A shared contact card (Meta's `contacts` message): its name and numbers.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct SharedContactDto {
    pub name: String,
    pub phones: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ReactionDto {
    pub emoji: String,
    pub reactor: String,
}

/// The message a reply quotes, as far as we have it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct QuoteDto {
    pub id: i64,
    #[ts(type = "Direction")]
    pub direction: Direction,
    #[ts(type = "MessageKind")]
    pub kind: MessageKind,
    pub text: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct MessageErrorDto {
    pub code: Option<String>,
    #[ts(type = "ErrorKind")]
    pub kind: String,
    pub message: String,
    /// The provider's longer explanation (why an inbound message has no content).
    pub details: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct MessageDto {
    pub id: i64,
    pub conversation_id: i64,
    pub account_id: i64,
    #[ts(type = "Direction")]
    pub direction: Direction,
    #[ts(type = "Origin | null")]
    pub origin: Option<Origin>,
    #[ts(type = "MessageKind")]
    pub kind: MessageKind,
    pub text: Option<String>,
    pub caption: Option<String>,
    pub media: Option<MediaDto>,
    pub location: Option<LocationDto>,
    pub contacts: Vec<SharedContactDto>,
    pub order: Option<OrderDto>,
    pub referral: Option<ReferralDto>,
    /// The quoted message when this one is a reply; `None` also when the
    /// quoted message is not stored (the UI then says so).
    pub reply_to: Option<QuoteDto>,
    pub is_reply: bool,
    pub sender_name: Option<String>,
    pub reactions: Vec<ReactionDto>,
    #[ts(type = "MessageStatus")]
    pub status: MessageStatus,
    pub error: Option<MessageErrorDto>,
    pub timestamp: i64,
    /// When the sender edited it (the text is the edited one).
    pub edited_at: Option<i64>,
    /// When the sender deleted it for everyone (the UI shows only that).
    pub deleted_at: Option<i64>,
    /// A failed send, or one that may have been sent (`unknown`), the
    /// owner may send again (`retry_message`).
    pub can_retry: bool,
}

impl MessageDto {
    /// `quote` is the message `m` replies to, when it is stored.
    pub fn new(m: &Message, quote: Option<&Message>) -> MessageDto {
        MessageDto {
            id: m.id,
            conversation_id: m.conversation_id,
            account_id: m.account_id,
            direction: m.direction,
            origin: m.origin,
            kind: m.kind,
            text: m.text.clone(),
            caption: m.caption.clone(),
            media: m.media.as_ref().map(|f| MediaDto {
                id: f.id,
                file_name: f.file_name.clone(),
                mime: f.mime.clone(),
                size: f.size,
                state: f.state,
                error: f.error.clone(),
            }),
            location: m.location.as_ref().and_then(location),
            contacts: m.contacts.as_ref().map(shared_contacts).unwrap_or_default(),
            order: m.order.as_ref().map(order),
            referral: m.referral.as_ref().map(|r| {
                let text = |k: &str| r.get(k).and_then(|x| x.as_str()).map(str::to_string);
                ReferralDto { headline: text("headline"), body: text("body"), source_type: text("source_type"), source_url: text("source_url") }
            }),
            reply_to: quote.map(|q| QuoteDto { id: q.id, direction: q.direction, kind: q.kind, text: q.text.clone().or_else(|| q.caption.clone()) }),
            is_reply: m.reply_to_provider_id.is_some(),
            sender_name: m.sender_name.clone(),
            reactions: m.reactions.iter().map(|r| ReactionDto { emoji: r.emoji.clone(), reactor: r.reactor.clone() }).collect(),
            status: m.status,
            error: m.error.as_ref().map(|e| MessageErrorDto {
                code: e.code.clone(),
                kind: e.kind.as_str().to_string(),
                message: e.message.clone(),
                details: m.error_details.clone(),
            }),
            timestamp: m.timestamp,
            edited_at: m.edited_at,
            deleted_at: m.deleted_at,
            can_retry: m.direction == Direction::Out && matches!(m.status, MessageStatus::Failed | MessageStatus::Unknown) && m.send_request.is_some(),
        }
    }
}

/// The stored order (`{catalog_id, text, product_items[]}`) as the card shows it.
fn order(v: &serde_json::Value) -> OrderDto {
    let text = |v: &serde_json::Value, k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
    let mut totals: Vec<(String, f64)> = vec![];
    let items = v
        .get("product_items")
        .and_then(|i| i.as_array())
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|i| {
            let quantity = i.get("quantity").and_then(|q| q.as_i64()).unwrap_or(1);
            let price = match (i.get("item_price").and_then(|p| p.as_f64()), text(i, "currency")) {
                (Some(p), Some(c)) => {
                    match totals.iter_mut().find(|(cur, _)| *cur == c) {
                        Some(t) => t.1 += p * quantity as f64,
                        None => totals.push((c.clone(), p * quantity as f64)),
                    }
                    Some(format!("{c} {p:.2}"))
                }
                _ => None,
            };
            OrderItemDto { product_retailer_id: text(i, "product_retailer_id"), quantity, price }
        })
        .collect();
    let total = (!totals.is_empty()).then(|| totals.iter().map(|(c, t)| format!("{c} {t:.2}")).collect::<Vec<_>>().join(" + "));
    OrderDto { catalog_id: text(v, "catalog_id"), note: text(v, "text"), items, total }
}

fn location(v: &serde_json::Value) -> Option<LocationDto> {
    let text = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
    Some(LocationDto { latitude: v.get("latitude")?.as_f64()?, longitude: v.get("longitude")?.as_f64()?, name: text("name"), address: text("address") })
}

/// Meta's contacts shape: `[{"name": {"formatted_name": …}, "phones": [{"phone": …}]}]`.
fn shared_contacts(v: &serde_json::Value) -> Vec<SharedContactDto> {
    v.as_array()
        .map(|list| {
            list.iter()
                .map(|c| SharedContactDto {
                    name: c.pointer("/name/formatted_name").and_then(|n| n.as_str()).unwrap_or("Contact").to_string(),
                    phones: c
                        .get("phones")
                        .and_then(|p| p.as_array())
                        .map(|ps| ps.iter().filter_map(|p| p.get("phone").and_then(|x| x.as_str()).map(str::to_string)).collect())
                        .unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// An approved template as the composer offers it: its parts for the
/// preview and the parameters it needs (numbers `"1"`, `"2"`… for positional
/// templates, names for named ones).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct TemplateDto {
    pub name: String,
    pub language: String,
    pub category: Option<String>,
    /// `{{name}}` placeholders (send each parameter with its name).
    pub named: bool,
    pub header_text: Option<String>,
    /// `IMAGE`, `VIDEO`, `DOCUMENT`, `LOCATION`: a media header Wicket cannot fill yet.
    pub header_media: Option<String>,
    pub body_text: String,
    pub footer_text: Option<String>,
    /// Button labels, in order.
    pub buttons: Vec<String>,
    pub header_params: Vec<String>,
    pub body_params: Vec<String>,
    /// Indexes of the URL buttons that take a parameter.
    pub url_buttons: Vec<u32>,
    /// `APPROVED`, `PAUSED`, `REJECTED`, … and why (Meta's webhook); only
    /// a sendable (approved) one can be picked.
    pub status: String,
    pub status_reason: Option<String>,
    pub sendable: bool,
}

impl TemplateDto {
    pub fn new(t: &wicket_core::store::templates::Template) -> TemplateDto {
        use wicket_core::providers::meta::templates::{required_params, ParamSlots};
        let part = |kind: &str| {
            t.components.as_array().into_iter().flatten().find(|c| c.get("type").and_then(|x| x.as_str()).is_some_and(|x| x.eq_ignore_ascii_case(kind)))
        };
        let text = |kind: &str| part(kind).and_then(|c| c.get("text")).and_then(|x| x.as_str()).map(str::to_string);
        let slots = |p: &ParamSlots| match p {
            ParamSlots::Positional(n) => (1..=*n).map(|i| i.to_string()).collect(),
            ParamSlots::Named(names) => names.clone(),
        };
        let need = required_params(t);
        TemplateDto {
            name: t.name.clone(),
            language: t.language.clone(),
            category: t.category.clone(),
            named: wicket_core::providers::meta::templates::is_named(t),
            header_text: if need.header_media.is_none() { text("HEADER") } else { None },
            header_media: need.header_media.clone(),
            body_text: text("BODY").unwrap_or_default(),
            footer_text: text("FOOTER"),
            buttons: part("BUTTONS")
                .and_then(|b| b.get("buttons"))
                .and_then(|b| b.as_array())
                .map(|list| list.iter().filter_map(|b| b.get("text").and_then(|x| x.as_str()).map(str::to_string)).collect())
                .unwrap_or_default(),
            header_params: slots(&need.header),
            body_params: slots(&need.body),
            url_buttons: need.buttons.iter().map(|(i, _)| *i).collect(),
            status: t.status.clone(),
            status_reason: t.status_reason.clone(),
            sendable: t.status.eq_ignore_ascii_case("APPROVED"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct SearchHitDto {
    pub message_id: i64,
    pub conversation_id: i64,
    pub account_id: i64,
    pub display_name: String,
    pub snippet: String,
    pub timestamp: i64,
    /// A message, or one of the owner's private notes (then `message_id` is 0).
    #[ts(type = "\"message\" | \"note\"")]
    pub kind: String,
    pub note_id: Option<i64>,
}

impl From<SearchHit> for SearchHitDto {
    fn from(h: SearchHit) -> SearchHitDto {
        SearchHitDto {
            message_id: h.message_id,
            conversation_id: h.conversation_id,
            account_id: h.account_id,
            display_name: h.display_name,
            snippet: h.snippet,
            timestamp: h.timestamp,
            kind: h.kind.to_string(),
            note_id: h.note_id,
        }
    }
}

/// Who runs the engine (outbox, webhook listener) on this data dir.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum EngineState {
    /// This window runs it; `listen` is the webhook listener's address.
    Running { listen: Option<String> },
    /// Another process (`wicket serve`) holds the lock; this window is a client.
    Elsewhere { holder: String },
    /// Nobody: queued messages wait until an engine runs.
    Stopped { reason: String },
    /// No keychain answered: the engine waits for the vault passphrase
    /// (`vault_exists`: unlock it; otherwise create it).
    NeedsPassphrase { vault_exists: bool },
}

/// Where the window keeps secrets, and whether it must ask for the passphrase.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct VaultStatusDto {
    /// No keychain answered and the vault is not open: ask for the passphrase.
    pub needs_passphrase: bool,
    /// The vault file exists (unlock it) or not (create it).
    pub vault_exists: bool,
    /// "keychain", "vault" or "memory" once open.
    pub backend: Option<String>,
    /// Why the store cannot open for another reason (e.g. a damaged vault).
    pub problem: Option<String>,
}

/// How hard a new vault passphrase is to guess.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct PassphraseStrengthDto {
    /// 0 (guessed at once) to 4 (very hard).
    pub score: u8,
    /// Strong enough to create the vault with.
    pub acceptable: bool,
    pub hint: String,
}

impl From<wicket_core::secrets::PassphraseStrength> for PassphraseStrengthDto {
    fn from(s: wicket_core::secrets::PassphraseStrength) -> PassphraseStrengthDto {
        PassphraseStrengthDto { score: s.score, acceptable: s.acceptable, hint: s.hint }
    }
}

/// No `Debug`: a passphrase is never printed.
#[derive(Clone, Deserialize, TS)]
pub struct PassphraseArgs {
    pub passphrase: String,
}

/// `create`: a new vault with this passphrase; otherwise unlock the existing one.
#[derive(Clone, Deserialize, TS)]
pub struct UnlockVaultArgs {
    pub passphrase: String,
    pub create: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct AppInfo {
    pub version: String,
    pub data_dir: String,
    pub engine: EngineState,
}

// ---- command arguments --------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ListFilter {
    All,
    Unread,
    Archived,
    /// The snoozed chats (hidden from the other filters until their time).
    Snoozed,
}

/// The cursor of the conversation list: the last row of the previous page
/// (pinned rows come first, so the cursor says whether it was pinned).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, TS)]
pub struct ConversationCursor {
    pub last_activity_at: i64,
    pub id: i64,
    #[ts(optional)]
    pub pinned: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct ListConversationsArgs {
    #[ts(optional)]
    pub account_id: Option<i64>,
    pub filter: ListFilter,
    /// Only conversations with this label.
    #[ts(optional)]
    pub label: Option<String>,
    #[ts(optional)]
    pub before: Option<ConversationCursor>,
    #[ts(optional)]
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct ListMessagesArgs {
    pub conversation_id: i64,
    /// The oldest message id already shown: returns the page before it.
    #[ts(optional)]
    pub before: Option<i64>,
    /// The newest message id shown: returns the page after it (scrolling down from a search result).
    #[ts(optional)]
    #[serde(default)]
    pub after: Option<i64>,
    /// Opens the conversation at this message: the page around it.
    #[ts(optional)]
    #[serde(default)]
    pub around: Option<i64>,
    pub limit: u32,
}

/// `search_conversation`: matches of `query` in one conversation.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct SearchConversationArgs {
    pub conversation_id: i64,
    pub query: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct IdArgs {
    pub id: i64,
}

/// To a conversation (`conversation_id`), or to a number on an account
/// (`account_id` + `to`).
#[derive(Debug, Clone, Deserialize, TS)]
pub struct SendTextArgs {
    #[ts(optional)]
    pub conversation_id: Option<i64>,
    #[ts(optional)]
    pub account_id: Option<i64>,
    #[ts(optional)]
    pub to: Option<String>,
    pub text: String,
    /// The id of the message being answered.
    #[ts(optional)]
    pub reply_to: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct AccountArgs {
    pub account_id: i64,
}

/// A file the owner attached (picked or dropped): the window has its
/// contents, not a path. The contents are the raw IPC body, not a field
/// (`ipc_bytes.rs`).
#[derive(Clone, Deserialize, TS)]
pub struct SendMediaArgs {
    pub conversation_id: i64,
    pub file_name: String,
    /// As the browser reports it; sent as a document when unknown.
    pub mime: String,
    #[ts(optional)]
    pub caption: Option<String>,
    #[ts(optional)]
    pub reply_to: Option<i64>,
}

/// One template parameter: `name` for named templates.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct TemplateParamArg {
    #[ts(optional)]
    pub name: Option<String>,
    pub value: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct ButtonParamArg {
    pub index: u32,
    pub value: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct SendTemplateArgs {
    pub conversation_id: i64,
    pub name: String,
    pub language: String,
    pub header_params: Vec<TemplateParamArg>,
    pub body_params: Vec<TemplateParamArg>,
    pub button_params: Vec<ButtonParamArg>,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct SearchArgs {
    pub query: String,
    /// Filters (all optional): one account, one label, a provider-time range in Unix ms, media only.
    #[ts(optional)]
    pub account_id: Option<i64>,
    #[ts(optional)]
    pub label: Option<String>,
    #[ts(optional)]
    pub since: Option<i64>,
    #[ts(optional)]
    pub until: Option<i64>,
    #[ts(optional)]
    pub has_media: Option<bool>,
    /// How many results (50 when absent; more are asked for as the list scrolls, up to 500).
    #[ts(optional)]
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct SaveDraftArgs {
    pub conversation_id: i64,
    /// Empty or null clears the draft.
    pub text: Option<String>,
}

// ---- The setup wizard (`wizard.rs`). Secrets typed into its forms arrive in
// these args and go straight into the secret store: the args types are never
// logged (no `Debug`) and no result carries a secret, except the verify token
// Wicket generated, shown once so the owner can paste it into Meta's dashboard.

/// A Meta Cloud API number, as typed into the wizard.
#[derive(Clone, Deserialize, TS)]
pub struct WizardMetaArgs {
    /// The account's name in Wicket; the provider's verified name when empty.
    #[ts(optional)]
    pub name: Option<String>,
    pub phone_number_id: String,
    pub business_account_id: String,
    pub token: String,
    pub app_secret: String,
    /// Generated when empty.
    #[ts(optional)]
    pub verify_token: Option<String>,
    /// Replaces `https://graph.facebook.com` (tests, proxies).
    #[ts(optional)]
    pub base_url: Option<String>,
    #[ts(optional)]
    pub api_version: Option<String>,
}

/// A WASender session, as typed into the wizard.
#[derive(Clone, Deserialize, TS)]
pub struct WizardWasenderArgs {
    #[ts(optional)]
    pub name: Option<String>,
    pub api_key: String,
    #[ts(optional)]
    pub webhook_secret: Option<String>,
    #[ts(optional)]
    pub personal_access_token: Option<String>,
    #[ts(optional)]
    pub session_id: Option<String>,
    #[ts(optional)]
    pub base_url: Option<String>,
}

/// UniPile's DSN and API key (listing the accounts behind them).
#[derive(Clone, Deserialize, TS)]
pub struct WizardUnipileArgs {
    pub dsn: String,
    pub api_key: String,
}

/// The UniPile accounts to import.
#[derive(Clone, Deserialize, TS)]
pub struct WizardAddUnipileArgs {
    pub dsn: String,
    pub api_key: String,
    pub account_ids: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct WizardPathArgs {
    pub path: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct WizardSyncArgs {
    pub account_id: i64,
}

/// What the provider answered to "test connection".
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ConnectionInfoDto {
    pub verified_name: Option<String>,
    /// E.164 when it parses, else as the provider wrote it.
    pub display_number: Option<String>,
    /// Meta's GREEN, YELLOW, RED (others report none).
    pub quality_rating: Option<String>,
}

impl From<&wicket_core::providers::ConnectionInfo> for ConnectionInfoDto {
    fn from(c: &wicket_core::providers::ConnectionInfo) -> ConnectionInfoDto {
        ConnectionInfoDto { verified_name: c.verified_name.clone(), display_number: c.display_number.clone(), quality_rating: c.quality_rating.clone() }
    }
}

/// A newly created account, as the wizard shows it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct WizardAddedDto {
    pub account: AccountDto,
    /// The verify token Wicket generated (Meta, when none was typed): shown
    /// this once, never again.
    pub verify_token: Option<String>,
    /// Where the provider must deliver webhooks, below the public address
    /// (`/webhooks/meta/{id}`); none for providers that are polled.
    pub webhook_path: Option<String>,
    /// The connection test after saving: the provider's answer…
    pub connection: Option<ConnectionInfoDto>,
    /// …or why it could not be verified (the account is kept, "not yet verified").
    pub warning: Option<CommandError>,
}

/// One WhatsApp account behind a UniPile API key.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct UnipileAccountDto {
    pub id: String,
    pub name: String,
    pub phone: Option<String>,
    /// UniPile's source status: OK, CONNECTING, CREDENTIALS, …
    pub status: Option<String>,
}

/// What a `.env` file describes (no values, no secrets).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct EnvImportDto {
    /// The Meta phone number id, when a complete Meta setup was found.
    pub meta_phone_number_id: Option<String>,
    pub wasender: bool,
    /// The UniPile DSN, when a DSN and an API key were found.
    pub unipile_dsn: Option<String>,
    /// Variables not understood, by name (never guessed).
    pub unknown: Vec<String>,
    /// Providers mentioned but incomplete, and what is missing.
    pub problems: Vec<String>,
}

/// Payload of `wizard-progress`: the first sync's current step.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct WizardProgress {
    /// `templates`, `contacts`, `messages`, or `done`.
    pub step: String,
    pub done: u32,
    pub total: u32,
}

/// One step of the first sync and what came of it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct FirstSyncStepDto {
    pub step: String,
    /// How many templates, contacts or messages arrived.
    pub count: Option<u32>,
    /// Why the step failed (the account works regardless).
    pub error: Option<CommandError>,
}

/// Switch an account on or off (account settings).
#[derive(Debug, Clone, Deserialize, TS)]
pub struct AccountEnabledArgs {
    pub account_id: i64,
    pub enabled: bool,
}

/// The text of a file the owner picked (a `.env` file, an export), with its
/// name for messages: the window reads the file, no path is typed.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct WizardTextArgs {
    pub name: String,
    pub text: String,
}

/// Another machine's export, and optionally the secrets vault written with
/// it and the vault's passphrase.
#[derive(Clone, Deserialize, TS)]
pub struct WizardExportArgs {
    pub name: String,
    pub text: String,
    #[ts(optional)]
    pub vault_text: Option<String>,
    #[ts(optional)]
    pub passphrase: Option<String>,
}

/// A hosted authentication link for a new UniPile account, and the
/// accounts that existed before it (to tell the new one apart).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct UnipileLinkDto {
    pub url: String,
    pub known: Vec<String>,
}

/// Wait (up to `seconds`) for a WhatsApp account not in `known`.
#[derive(Clone, Deserialize, TS)]
pub struct WizardUnipileWaitArgs {
    pub dsn: String,
    pub api_key: String,
    pub known: Vec<String>,
    pub seconds: u32,
}

/// A tunnel tool the public-address step can start, and whether it is here.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct TunnelToolDto {
    /// `cloudflared`, `ngrok`, `funnel` (what `wizard_start_tunnel` takes).
    pub kind: String,
    pub label: String,
    pub installed: bool,
    /// Whether its address stays the same across starts.
    pub stable: bool,
    /// Where to get it when it is missing.
    pub hint: String,
}

/// Everything the public-address step shows for one account.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct PublicAddressDto {
    pub account_id: i64,
    #[ts(type = "Provider")]
    pub provider: Provider,
    /// The `webhook_listen` setting, or the default 127.0.0.1:8765.
    pub listen: String,
    /// Where a listener of this window answers now, if one does.
    pub listening: Option<String>,
    /// Said when the listener binds beyond loopback.
    pub listen_warning: Option<String>,
    /// `/webhooks/{provider}/{id}`, after the public address.
    pub callback_path: String,
    /// The public address last used (the `public_url` setting).
    pub public_url: Option<String>,
    /// Meta's verify token, to paste into Meta's dashboard.
    pub verify_token: Option<String>,
    pub tools: Vec<TunnelToolDto>,
    /// Exactly what to paste where in the provider's dashboard, with the
    /// public address when known (else a placeholder for it).
    pub manual_step: Option<String>,
    pub stable_note: String,
    pub changing_note: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct WizardListenArgs {
    pub listen: String,
}

/// The listener answering for the step.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ListenerDto {
    pub listening: String,
    pub warning: Option<String>,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct WizardTunnelArgs {
    pub account_id: i64,
    pub kind: String,
}

/// One account's webhook registration with its provider.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct RegistrationDto {
    pub account_id: i64,
    pub account_name: String,
    #[ts(type = "Provider")]
    pub provider: Provider,
    pub webhook_url: String,
    /// `registered`, `manual_step_needed` or `failed`.
    pub outcome: String,
    /// Why it was not registered.
    pub detail: Option<String>,
    /// Exactly what to paste where, when the owner must do it.
    pub what_to_paste_where: Option<String>,
}

/// A started tunnel and what registering its address did.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct TunnelStartedDto {
    pub public_url: String,
    pub stable: bool,
    /// What a stable or changing address means for deliveries.
    pub note: String,
    pub registrations: Vec<RegistrationDto>,
}

/// Payload of `public-address-changed` (wizard.rs).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct PublicAddressChanged {
    /// The new address, registered again; null when the tunnel stopped.
    pub public_url: Option<String>,
    pub registrations: Vec<RegistrationDto>,
    /// The tunnel tool's exit code, when it stopped.
    pub exit_code: Option<i32>,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct WizardCheckArgs {
    pub account_id: i64,
    pub public_url: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct CheckStepDto {
    /// `health`, `handshake` or `signed_event`.
    pub name: String,
    /// `passed`, `failed` or `skipped`.
    pub status: String,
    pub detail: String,
}

/// The end-to-end check of a public address.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct SelfCheckDto {
    pub public_base: String,
    pub passed: bool,
    pub steps: Vec<CheckStepDto>,
}
