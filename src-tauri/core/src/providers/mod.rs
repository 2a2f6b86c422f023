//! Provider clients behind one closed set of implementations.
//!
//! Every provider (Meta's Cloud API now; WASender and UniPile next) turns
//! its wire format into the same normalized events ([`ProviderEvent`]) and
//! sends the same [`OutgoingMessage`]. Adding a provider touches its own
//! folder plus one arm of each `match` in [`ProviderClient`].

pub mod demo;
pub mod http;
pub mod meta;
pub mod unipile;
pub mod wasender;

use crate::error::{ProviderError, Result};
use crate::model::{AccountStatus, Direction, MessageKind, MessageStatus, Origin};
use crate::secrets::SecretStore;
use crate::store::contacts::{ContactKey, ContactUpdate};
use crate::store::templates::NewTemplate;
use crate::store::Account;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::PathBuf;

/// One thing a provider told us, in Wicket's terms. (Events live only
/// between parsing and applying, so the size of `Message` does not matter.)
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum ProviderEvent {
    Message(InboundMessage),
    Status(StatusReport),
    Contact {
        key: ContactKey,
        update: ContactUpdate,
    },
    AccountState {
        status: AccountStatus,
        reason: Option<String>,
    },
    /// The sender edited a message (gateways report it): new text, kept
    /// visible as edited.
    MessageEdited {
        provider_message_id: String,
        text: Option<String>,
        timestamp: i64,
    },
    /// The sender deleted a message for everyone: shown as deleted.
    MessageDeleted {
        provider_message_id: String,
        timestamp: i64,
    },
    /// A customer changed number (or business-scoped id): `new` is the
    /// contact known as `old` (one contact, one conversation).
    NumberChanged {
        old: ContactKey,
        new: ContactKey,
    },
    /// A group's subject (its name) as of `timestamp`: an older one never
    /// replaces a newer one, and a name the owner typed stays.
    GroupSubject {
        group: ContactKey,
        subject: String,
        timestamp: i64,
    },
    /// Meta's word on a message template: its status (approved, rejected
    /// with a reason, paused…), its category or its quality.
    TemplateChanged(crate::store::account_health::TemplateChange),
    /// Meta's word on the account or its number: quality rating, messaging
    /// limit, restrictions, a ban, disconnection, verification, capabilities.
    AccountChanged(crate::store::account_health::AccountChange),
    /// How far Meta's import of the WhatsApp Business app's chats got (one
    /// `history` chunk), or that the owner declined it.
    HistoryProgress(HistoryChunk),
    /// A name the owner saved for a contact in the WhatsApp Business app's
    /// address book (Meta's `smb_app_state_sync`), as of `timestamp`; `None`:
    /// the entry was removed. A name typed in Wicket still wins.
    SavedName {
        key: ContactKey,
        name: Option<String>,
        timestamp: i64,
    },
    /// One group participant's receipt of one of our messages (WASender's
    /// `message-receipt.update`, a Meta group status naming its participant).
    Receipt(ParticipantReceipt),
    /// A chat the provider lists (WASender's `chats.upsert`): its
    /// conversation exists even before a message.
    Conversation {
        key: ContactKey,
        update: ContactUpdate,
    },
}

/// One chunk of Meta's history import (`history[].metadata`), or its error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryChunk {
    /// 0: day 0–1 of onboarding, 1: days 1–90, 2: days 90–180.
    pub phase: i64,
    pub chunk_order: i64,
    /// 0–100 over the whole import; 100 is done.
    pub progress: i64,
    /// `history[].errors[0]`: 2593109 when the owner declined to share.
    pub error: Option<InboundError>,
}

/// A participant's receipt: `participant` is their number (E.164) or id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParticipantReceipt {
    pub provider_message_id: String,
    pub participant: String,
    /// `delivered`, `read` or `played`.
    pub status: MessageStatus,
    pub timestamp: i64,
}

/// A message in a chat, inbound or (for gateways) sent from the owner's phone.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundMessage {
    pub provider_message_id: String,
    /// The chat's contact (or group): the conversation key.
    pub chat: ContactKey,
    pub chat_update: ContactUpdate,
    pub provider_chat_id: Option<String>,
    pub direction: Direction,
    pub origin: Option<Origin>,
    pub kind: MessageKind,
    pub text: Option<String>,
    pub caption: Option<String>,
    pub media: Option<InboundMedia>,
    pub location: Option<Value>,
    pub contacts: Option<Value>,
    pub interactive: Option<Value>,
    pub template: Option<Value>,
    pub reply_to_provider_id: Option<String>,
    /// In groups: who wrote it.
    pub sender_id: Option<String>,
    pub sender_name: Option<String>,
    /// For `kind == Reaction`: the reacted message and the emoji ("" removes).
    pub reaction: Option<(String, String)>,
    /// Provider timestamp, Unix ms.
    pub timestamp: i64,
    pub raw: Value,
    /// What the provider could not deliver of it (Meta's `messages[].errors[]`
    /// on a message without usable content): shown instead of an empty bubble.
    pub error: Option<InboundError>,
    /// A catalog order (kind `Order`): catalog id, items, the customer's note.
    pub order: Option<Value>,
    /// The ad the customer came from (Meta's `referral`), on any kind.
    pub referral: Option<Value>,
    /// The status the provider reports with the message itself (an imported
    /// history message's `history_context.status`); `None`: the usual one.
    pub status: Option<MessageStatus>,
    /// Imported from the chats the owner had in the WhatsApp Business app
    /// (Meta's `history`): never unread, never notified.
    pub history: bool,
}

impl InboundMessage {
    /// A message with only what every message has: the parsers set the rest
    /// (`InboundMessage { text: …, ..InboundMessage::new(…) }`), so a new
    /// optional field is added here once, not at every parser.
    pub fn new(provider_message_id: String, chat: ContactKey, direction: Direction, kind: MessageKind, timestamp: i64, raw: Value) -> InboundMessage {
        InboundMessage {
            provider_message_id,
            chat,
            chat_update: ContactUpdate::default(),
            provider_chat_id: None,
            direction,
            origin: None,
            kind,
            text: None,
            caption: None,
            media: None,
            location: None,
            contacts: None,
            interactive: None,
            template: None,
            reply_to_provider_id: None,
            sender_id: None,
            sender_name: None,
            reaction: None,
            timestamp,
            raw,
            error: None,
            order: None,
            referral: None,
            status: None,
            history: false,
        }
    }
}

/// A provider's reason for an inbound message it could not deliver whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundError {
    pub code: Option<String>,
    /// The short reason ("Message type unknown").
    pub title: String,
    /// The longer explanation, when given (`error_data.details`).
    pub details: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct InboundMedia {
    pub provider_media_id: Option<String>,
    pub url: Option<String>,
    pub mime: Option<String>,
    pub sha256: Option<String>,
    pub file_name: Option<String>,
    pub size: Option<i64>,
    /// What the provider needs to fetch the bytes beyond an id (WASender's
    /// decrypt request, UniPile's message and attachment ids).
    pub fetch_info: Option<Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StatusReport {
    pub provider_message_id: String,
    pub wicket_id: Option<i64>,
    pub status: MessageStatus,
    pub timestamp: i64,
    pub error: Option<ProviderError>,
    pub recipient: Option<ContactKey>,
}

/// Where outgoing media comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaSource {
    /// A local file, uploaded before sending.
    Path(PathBuf),
    /// A public HTTPS URL the provider fetches.
    Link(String),
}

impl MediaSource {
    /// A command-line or form value: an http(s) URL is a link, anything
    /// else a local path.
    pub fn from_arg(arg: &str) -> MediaSource {
        if arg.starts_with("https://") || arg.starts_with("http://") {
            MediaSource::Link(arg.to_string())
        } else {
            MediaSource::Path(PathBuf::from(arg))
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplateParam {
    Positional(String),
    Named {
        name: String,
        value: String,
    },
    /// The file of an IMAGE, VIDEO or DOCUMENT header (`format` is the
    /// lower-case header format): a link, or a local file uploaded first.
    Media {
        format: String,
        source: MediaSource,
        filename: Option<String>,
    },
}

/// What to send. Stored as the message's `send_request`, so the outbox can
/// send it again after a restart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OutgoingContent {
    Text {
        body: String,
        preview_url: bool,
    },
    Media {
        kind: MessageKind,
        source: MediaSource,
        caption: Option<String>,
        filename: Option<String>,
        mime: Option<String>,
    },
    Location {
        latitude: f64,
        longitude: f64,
        name: Option<String>,
        address: Option<String>,
    },
    /// vCard-like contact objects in Meta's shape.
    Contacts {
        contacts: Value,
    },
    Reaction {
        target_provider_id: String,
        emoji: String,
    },
    /// Interactive buttons or list, in Meta's `interactive` shape.
    Interactive {
        interactive: Value,
    },
    Template {
        name: String,
        language: String,
        header_params: Vec<TemplateParam>,
        body_params: Vec<TemplateParam>,
        /// (button index, value)
        button_params: Vec<(u32, String)>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutgoingMessage {
    /// E.164 phone, or an opaque provider id / chat id for gateways.
    pub to: String,
    pub content: OutgoingContent,
    pub reply_to_provider_id: Option<String>,
    /// Our own message id, echoed back by providers that allow it.
    pub wicket_id: i64,
    /// The provider's chat id when the conversation has one (UniPile sends
    /// into a chat; without one it starts a new chat with `to`).
    #[serde(default)]
    pub chat_id: Option<String>,
    /// True when `to` is a group (gateways answer groups by their JID).
    #[serde(default)]
    pub to_group: bool,
}

/// What the provider said when it accepted a send.
#[derive(Debug, Clone, PartialEq)]
pub struct SendReceipt {
    pub provider_message_id: String,
    /// The canonical id the provider reports for the recipient (Meta `wa_id`).
    pub recipient_id: Option<String>,
    /// The provider's own id for the send when it differs from the message
    /// id (WASender's integer `msgId`), for polling its status later.
    pub provider_send_id: Option<String>,
    /// The chat the message went into, when the send started one (UniPile).
    pub chat_id: Option<String>,
}

/// A send whose outcome is unknown, as [`ProviderClient::find_send`] looks for it.
#[derive(Debug, Clone, Copy)]
pub struct UnknownSend<'a> {
    pub request: &'a OutgoingMessage,
    /// The provider's id for the send when one was recorded (WASender msgId).
    pub provider_send_id: Option<&'a str>,
    /// When the send was queued (Unix ms): nothing older can be it.
    pub since: i64,
}

/// What the provider shows of a send whose outcome was unknown.
#[derive(Debug, Clone, PartialEq)]
pub struct SendFinding {
    pub provider_message_id: String,
    pub status: MessageStatus,
    /// The chat it went into, when the provider has chats (UniPile).
    pub chat_id: Option<String>,
    pub error: Option<ProviderError>,
}

/// The answer to "test connection".
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConnectionInfo {
    pub verified_name: Option<String>,
    pub display_number: Option<String>,
    pub quality_rating: Option<String>,
    pub raw: Value,
}

/// Downloaded media bytes.
#[derive(Debug, Clone)]
pub struct MediaBytes {
    pub bytes: Vec<u8>,
    pub mime: Option<String>,
    /// The SHA-256 the provider promised, hex, if it gave one.
    pub expected_sha256: Option<String>,
}

/// One page of polled messages (UniPile): the events and the new
/// high-water mark (Unix ms of the newest message seen).
#[derive(Debug, Clone, Default)]
pub struct PollPage {
    pub events: Vec<ProviderEvent>,
    pub high_water: Option<i64>,
}

/// A contact as a gateway's contact list reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncedContact {
    pub key: ContactKey,
    pub update: ContactUpdate,
}

/// One chat a gateway lists (UniPile): who it is with and its chat id.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatListing {
    pub chat_id: String,
    pub key: ContactKey,
    pub update: ContactUpdate,
    /// The chat's last activity, Unix ms.
    pub last_activity: Option<i64>,
}

/// A provider's whole contact list: the contacts, and the entries that name
/// no usable contact (no usable JID), by what the provider called them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ContactList {
    pub contacts: Vec<SyncedContact>,
    pub unusable: Vec<String>,
}

/// The clients, one variant per provider.
pub enum ProviderClient {
    Meta(meta::MetaClient),
    Wasender(wasender::WasenderClient),
    Unipile(unipile::UnipileClient),
    Demo(demo::DemoClient),
}

fn unsupported<T>(what: &str, provider: &str) -> Result<T> {
    Err(crate::error::Error::Invalid(format!("{provider} does not support {what}")))
}

impl ProviderClient {
    /// The client for `account`, with its secrets read from the secret store.
    pub fn for_account(account: &Account, secrets: &SecretStore) -> Result<ProviderClient> {
        match account.provider {
            crate::model::Provider::Meta => Ok(ProviderClient::Meta(meta::MetaClient::for_account(account, secrets)?)),
            crate::model::Provider::Wasender => Ok(ProviderClient::Wasender(wasender::WasenderClient::for_account(account, secrets)?)),
            crate::model::Provider::Unipile => Ok(ProviderClient::Unipile(unipile::UnipileClient::for_account(account, secrets)?)),
            crate::model::Provider::Demo => Ok(ProviderClient::Demo(demo::DemoClient::for_account(account))),
        }
    }

    pub async fn test_connection(&self) -> Result<ConnectionInfo> {
        match self {
            ProviderClient::Meta(c) => c.test_connection().await,
            ProviderClient::Wasender(c) => c.test_connection().await,
            ProviderClient::Unipile(c) => c.test_connection().await,
            ProviderClient::Demo(c) => c.test_connection().await,
        }
    }

    /// Sends `msg`; for a template, `template` is the synced template
    /// (it decides button sub-types and is checked once more).
    pub async fn send(&self, msg: &OutgoingMessage, template: Option<&crate::store::templates::Template>) -> Result<SendReceipt> {
        match self {
            ProviderClient::Meta(c) => c.send_with_template(msg, template).await,
            ProviderClient::Wasender(c) => c.send(msg).await,
            ProviderClient::Unipile(c) => c.send(msg).await,
            ProviderClient::Demo(c) => c.send(msg).await,
        }
    }

    /// Sends `msg` and returns as soon as the provider accepted it, without
    /// follow-up lookups (WASender's WhatsApp id: [`ProviderClient::confirm`]),
    /// so the outbox records the accepted send first.
    pub async fn send_unconfirmed(&self, msg: &OutgoingMessage, template: Option<&crate::store::templates::Template>) -> Result<SendReceipt> {
        match self {
            ProviderClient::Wasender(c) => c.send_unconfirmed(msg).await,
            other => other.send(msg, template).await,
        }
    }

    /// The provider's final id for a send [`ProviderClient::send_unconfirmed`]
    /// accepted, when it differs from the receipt's and is known already.
    pub async fn confirm(&self, receipt: &SendReceipt) -> Option<String> {
        match self {
            ProviderClient::Wasender(c) => c.confirm(receipt).await,
            _ => None,
        }
    }

    /// Looks for a send whose outcome Wicket could not know: WASender by its
    /// msgId when one was recorded (message info), UniPile in its message
    /// list (our text in the chat since the send). `None` when the provider
    /// shows nothing (yet), or cannot be asked (Meta settles by its status
    /// webhook, which carries our id).
    pub async fn find_send(&self, send: &UnknownSend<'_>) -> Result<Option<SendFinding>> {
        match self {
            ProviderClient::Wasender(c) => {
                let Some(msg_id) = send.provider_send_id else { return Ok(None) };
                Ok(c.message_status(msg_id).await?.map(|r| SendFinding {
                    provider_message_id: r.provider_message_id,
                    // WASender holding it (PENDING) means it accepted it.
                    status: if r.status == MessageStatus::Sending { MessageStatus::Sent } else { r.status },
                    chat_id: None,
                    error: r.error,
                }))
            }
            ProviderClient::Unipile(c) => {
                let found = c.find_sent(send.request, send.since).await?;
                Ok(found.map(|(provider_message_id, chat_id)| SendFinding {
                    provider_message_id,
                    status: MessageStatus::Sent,
                    chat_id: Some(chat_id),
                    error: None,
                }))
            }
            ProviderClient::Meta(_) | ProviderClient::Demo(_) => Ok(None),
        }
    }

    /// Tells the provider the owner read `provider_message_id`; `chat_jid` is
    /// the chat's JID where the provider needs it (WASender).
    pub async fn mark_read(&self, provider_message_id: &str, chat_jid: Option<&str>) -> Result<()> {
        match self {
            ProviderClient::Meta(c) => c.mark_read(provider_message_id).await,
            ProviderClient::Wasender(c) => match chat_jid {
                Some(jid) => c.mark_read_in_chat(provider_message_id, jid, None).await,
                None => c.mark_read(provider_message_id).await,
            },
            ProviderClient::Unipile(c) => c.mark_read(provider_message_id).await,
            ProviderClient::Demo(c) => c.mark_read(provider_message_id).await,
        }
    }

    pub async fn templates(&self) -> Result<Vec<NewTemplate>> {
        match self {
            ProviderClient::Meta(c) => c.templates().await,
            ProviderClient::Wasender(_) => unsupported("message templates", "WASender"),
            ProviderClient::Unipile(_) => unsupported("message templates", "UniPile"),
            ProviderClient::Demo(_) => Ok(vec![]),
        }
    }

    pub async fn download_media(&self, media: &crate::store::media::MediaFile, max_bytes: u64) -> Result<MediaBytes> {
        match self {
            ProviderClient::Meta(c) => {
                let id = media.provider_media_id.as_deref().ok_or_else(|| crate::error::Error::Invalid(format!("media {} has no Meta media id", media.id)))?;
                c.download_media(id, max_bytes).await
            }
            ProviderClient::Wasender(c) => c.download_media(media, max_bytes).await,
            ProviderClient::Unipile(c) => c.download_media(media, max_bytes).await,
            ProviderClient::Demo(c) => c.download_media(media, max_bytes).await,
        }
    }

    /// Every contact the provider knows (all pages).
    pub async fn contacts(&self) -> Result<Vec<SyncedContact>> {
        match self {
            ProviderClient::Meta(_) => unsupported("a contact list", "Meta's Cloud API"),
            ProviderClient::Wasender(c) => c.contacts().await,
            ProviderClient::Unipile(c) => c.contacts().await,
            ProviderClient::Demo(c) => c.contacts().await,
        }
    }

    /// Every contact the provider lists, with the entries it could not use.
    pub async fn contact_list(&self) -> Result<ContactList> {
        match self {
            ProviderClient::Wasender(c) => c.contact_list().await,
            other => Ok(ContactList { contacts: other.contacts().await?, unusable: vec![] }),
        }
    }

    /// Every chat, for providers that list them (UniPile); empty otherwise.
    pub async fn chats(&self) -> Result<Vec<ChatListing>> {
        match self {
            ProviderClient::Unipile(c) => c.chats().await,
            _ => Ok(vec![]),
        }
    }

    /// Whether [`ProviderClient::contact`] can look a number up.
    pub fn can_lookup_contact(&self) -> bool {
        matches!(self, ProviderClient::Wasender(_))
    }

    /// One contact by phone number (E.164), when the provider can look it up.
    pub async fn contact(&self, phone: &str) -> Result<Option<SyncedContact>> {
        match self {
            ProviderClient::Meta(_) => unsupported("contact lookups", "Meta's Cloud API"),
            ProviderClient::Wasender(c) => c.contact(phone).await,
            ProviderClient::Unipile(_) => unsupported("contact lookups by number", "UniPile"),
            ProviderClient::Demo(_) => Ok(None),
        }
    }

    /// A contact's profile picture bytes, if it has one.
    pub async fn profile_picture(&self, phone: &str, max_bytes: u64) -> Result<Option<MediaBytes>> {
        match self {
            ProviderClient::Meta(_) => Ok(None),
            ProviderClient::Wasender(c) => c.profile_picture(phone, max_bytes).await,
            ProviderClient::Unipile(_) | ProviderClient::Demo(_) => Ok(None),
        }
    }

    /// The account's connection state as the provider reports it now.
    pub async fn account_state(&self) -> Result<(AccountStatus, Option<String>)> {
        match self {
            ProviderClient::Meta(c) => c.test_connection().await.map(|_| (AccountStatus::Ok, None)),
            ProviderClient::Wasender(c) => c.session_state().await,
            ProviderClient::Unipile(c) => c.account_state().await,
            ProviderClient::Demo(c) => c.account_state().await,
        }
    }

    /// The status of one of our sends by the provider's send id (WASender).
    pub async fn message_status(&self, provider_send_id: &str) -> Result<Option<StatusReport>> {
        match self {
            ProviderClient::Wasender(c) => c.message_status(provider_send_id).await,
            _ => Ok(None),
        }
    }

    /// New messages since `high_water` (Unix ms), for providers that can be
    /// polled (UniPile). The caller persists the returned high-water mark.
    pub async fn poll(&self, high_water: Option<i64>) -> Result<PollPage> {
        match self {
            ProviderClient::Unipile(c) => c.poll(high_water).await,
            ProviderClient::Demo(c) => c.poll(high_water).await,
            ProviderClient::Meta(_) => unsupported("polling (it delivers by webhook only)", "Meta"),
            ProviderClient::Wasender(_) => unsupported("polling inbound messages (it delivers by webhook only)", "WASender"),
        }
    }

    /// Whether inbound messages can be polled (no public address needed).
    pub fn can_poll(&self) -> bool {
        matches!(self, ProviderClient::Unipile(_) | ProviderClient::Demo(_))
    }

    /// Whether free-form messages need an open customer-service window.
    pub fn has_service_window(&self) -> bool {
        matches!(self, ProviderClient::Meta(_))
    }
}
