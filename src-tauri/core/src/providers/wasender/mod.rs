//! WASender (wasenderapi.com): a gateway to a QR-linked WhatsApp session,
//! with a REST API and webhooks (providers.md §B).
//!
//! `client` (split into `session`, `sending`, `media` and `contacts`)
//! sends, uploads, decrypts media, syncs contacts and pictures, polls the
//! session and our sends' statuses, and manages the webhook with the
//! personal access token, all over the shared `providers::http` client;
//! `chats` maps chat, group and receipt events; `errors` maps WASender's `{success:false, message}` answers to Wicket's
//! error kinds; `webhook` parses webhook
//! bodies into normalized events; `mapping` holds what both share (JIDs to
//! contact keys, tolerant JSON readers, the contact mapping). Inbound
//! messages arrive only by webhook: checking `X-Webhook-Signature` against
//! the session's webhook secret belongs to the listener (`crate::webhook`).

mod chats;
mod client;
mod contacts;
pub mod errors;
mod mapping;
mod media;
pub mod registration;
mod sending;
mod session;
pub mod webhook;

pub use client::WasenderClient;
pub use sending::{failed_error, is_placeholder_id, message_status_of, placeholder_id};
pub use session::{session_status, DISCONNECTED_REASON};

/// The API base URL; an account's `base_url` replaces it (tests point it at
/// a local fake).
pub const DEFAULT_BASE_URL: &str = "https://www.wasenderapi.com/api";

/// The prefix of the placeholder `provider_message_id` a send keeps while
/// WhatsApp's own id for it is unknown (see [`placeholder_id`]).
pub const PLACEHOLDER_PREFIX: &str = "wasender-msg-";

/// The events [`WasenderClient::register_webhook`] subscribes to.
pub const WEBHOOK_EVENTS: &[&str] =
    &["messages.received", "messages.upsert", "messages.update", "messages.delete", "messages.reaction", "session.status", "message.sent"];

/// The header carrying the webhook secret (compared as is, no HMAC).
pub const SIGNATURE_HEADER: &str = "X-Webhook-Signature";
