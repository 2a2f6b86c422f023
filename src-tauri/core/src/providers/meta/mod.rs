//! Meta's WhatsApp Business Cloud API (Graph API).
//!
//! `client` sends, uploads, downloads media, syncs templates and tests the
//! connection; `errors` maps Graph errors to Wicket's error kinds;
//! `templates` counts and checks template parameters and renders previews;
//! `webhook` parses webhook payloads into normalized events.

mod client;
pub mod errors;
pub mod registration;
pub mod templates;
pub mod webhook;

pub use client::MetaClient;

/// The Graph API base URL; an account's `base_url` replaces it (tests point
/// it at a local fake). It replaces everything before `/{version}`.
pub const DEFAULT_BASE_URL: &str = "https://graph.facebook.com";
/// The Graph API version used unless the account says otherwise.
pub const DEFAULT_API_VERSION: &str = "v23.0";
