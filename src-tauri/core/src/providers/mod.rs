//! Provider clients behind one closed set of implementations.
//!
//! Every provider (Meta's Cloud API now; WASender and UniPile next) turns
//! its wire format into the same normalized events ([`ProviderEvent`]) and
//! sends the same [`OutgoingMessage`]. Adding a provider touches its own
//! folder plus one arm of each `match` in [`ProviderClient`].

pub mod http;
pub mod meta;

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
    Contact { key: ContactKey, update: ContactUpdate },
    AccountState { status: AccountStatus, reason: Option<String> },
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
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct InboundMedia {
    pub provider_media_id: Option<String>,
    pub url: Option<String>,
    pub mime: Option<String>,
    pub sha256: Option<String>,
    pub file_name: Option<String>,
    pub size: Option<i64>,
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplateParam {
    Positional(String),
    Named { name: String, value: String },
}

/// What to send. Stored as the message's `send_request`, so the outbox can
/// send it again after a restart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OutgoingContent {
    Text { body: String, preview_url: bool },
    Media { kind: MessageKind, source: MediaSource, caption: Option<String>, filename: Option<String>, mime: Option<String> },
    Location { latitude: f64, longitude: f64, name: Option<String>, address: Option<String> },
    /// vCard-like contact objects in Meta's shape.
    Contacts { contacts: Value },
    Reaction { target_provider_id: String, emoji: String },
    /// Interactive buttons or list, in Meta's `interactive` shape.
    Interactive { interactive: Value },
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
}

/// What the provider said when it accepted a send.
#[derive(Debug, Clone, PartialEq)]
pub struct SendReceipt {
    pub provider_message_id: String,
    /// The canonical id the provider reports for the recipient (Meta `wa_id`).
    pub recipient_id: Option<String>,
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

/// The clients, one variant per provider.
pub enum ProviderClient {
    Meta(meta::MetaClient),
}

impl ProviderClient {
    /// The client for `account`, with its secrets read from the secret store.
    pub fn for_account(account: &Account, secrets: &SecretStore) -> Result<ProviderClient> {
        match account.provider {
            crate::model::Provider::Meta => Ok(ProviderClient::Meta(meta::MetaClient::for_account(account, secrets)?)),
            other => Err(crate::error::Error::Invalid(format!("the {other} provider is not supported by this build yet"))),
        }
    }

    pub async fn test_connection(&self) -> Result<ConnectionInfo> {
        match self {
            ProviderClient::Meta(c) => c.test_connection().await,
        }
    }

    /// Sends `msg`; for a template, `template` is the synced template
    /// (it decides button sub-types and is checked once more).
    pub async fn send(&self, msg: &OutgoingMessage, template: Option<&crate::store::templates::Template>) -> Result<SendReceipt> {
        match self {
            ProviderClient::Meta(c) => c.send_with_template(msg, template).await,
        }
    }

    pub async fn mark_read(&self, provider_message_id: &str) -> Result<()> {
        match self {
            ProviderClient::Meta(c) => c.mark_read(provider_message_id).await,
        }
    }

    pub async fn templates(&self) -> Result<Vec<NewTemplate>> {
        match self {
            ProviderClient::Meta(c) => c.templates().await,
        }
    }

    pub async fn download_media(&self, provider_media_id: &str, max_bytes: u64) -> Result<MediaBytes> {
        match self {
            ProviderClient::Meta(c) => c.download_media(provider_media_id, max_bytes).await,
        }
    }

    /// Whether free-form messages need an open customer-service window.
    pub fn has_service_window(&self) -> bool {
        matches!(self, ProviderClient::Meta(_))
    }
}
