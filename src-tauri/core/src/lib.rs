//! Wicket's core: everything the desktop shell and the `wicket` program share.
//!
//! The core owns the local store (SQLite), the secret store (OS keychain or an
//! encrypted vault), the provider clients, the embedded webhook listener and
//! the background engine. It has no GUI dependency: the desktop shell and the
//! CLI are thin layers that parse input, call into here and present results.

pub mod accounts;
pub mod alerts;
pub mod applock;
pub mod away;
pub mod backup;
pub mod bulk;
pub mod contact_data;
pub mod contact_merge;
pub mod datadir;
pub mod devseed;
pub mod engine;
pub mod engine_lock;
pub mod env_import;
pub mod error;
pub mod export;
pub mod inbox;
pub mod ingest;
pub mod jobs;
pub mod logs;
pub mod maintenance;
pub mod media;
pub mod media_cache;
pub mod media_fetch;
pub mod model;
pub mod notify;
pub mod optout;
pub mod outbox;
pub mod phone;
pub mod prefs;
pub mod providers;
pub mod quick_replies;
pub mod ratelimit;
pub mod scheduled;
pub mod search;
pub mod secrets;
pub mod settings_catalog;
pub mod stats;
pub mod store;
pub mod sync;
pub mod time;
pub mod tunnel;
pub mod typing;
pub mod webhook;

pub use datadir::DataDir;
pub use error::{Error, ErrorKind, Result};
pub use store::Store;

/// The application identifier: fixed in `tauri.conf.json`, and the name of
/// the platform data folder that both the desktop app and `wicket` use.
pub const APP_IDENTIFIER: &str = "app.wicket.inbox";

/// The version of this build, reported by `wicket --version` and `/health`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
