//! UniPile (v1): a unified messaging API whose WhatsApp accounts are linked
//! through hosted authentication, used as a gateway provider.
//!
//! `client` talks to `https://{dsn}/api/v1` over the shared
//! `providers::http` client, split by concern into `session` (accounts,
//! hosted-auth links), `polling`, `sending`, `media` (attachments),
//! `contacts` and `webhooks`; `accounts` reads the
//! Account object and maps its status; `errors` maps problem-details errors
//! to Wicket's error kinds; `webhook` parses webhook payloads; `mapping`
//! holds what polling and webhooks share, above all the rule that both use
//! UniPile's own message id, so a message they both deliver is stored once.
//! Inbound messages can be polled, so no public address is needed.

pub mod accounts;
mod client;
mod contacts;
pub mod errors;
pub mod mapping;
mod media;
mod polling;
pub mod registration;
mod sending;
mod session;
pub mod webhook;
mod webhooks;

pub use accounts::UnipileAccount;
pub use client::{normalize_dsn, UnipileClient};
pub use polling::POLL_OVERLAP_MS;
pub use webhooks::RegisteredWebhooks;
