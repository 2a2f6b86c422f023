//! One error type for the core. Each variant carries what the owner needs to
//! act; `kind()` gives the stable machine-readable kind that the CLI's exit
//! codes and JSON, and the desktop UI, switch on (never the message text).

use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Provider error kinds of the CLI conventions (`error.kind` in JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    RateLimited,
    OutsideWindow,
    InvalidRecipient,
    Auth,
    Template,
    Media,
    SessionDisconnected,
    Unavailable,
    Unknown,
    /// The request may have reached the provider but no answer came (the
    /// connection broke after it was written, or the answer was unreadable):
    /// the message may have been sent. Never retried blindly.
    OutcomeUnknown,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::OutsideWindow => "outside_window",
            ErrorKind::InvalidRecipient => "invalid_recipient",
            ErrorKind::Auth => "auth",
            ErrorKind::Template => "template",
            ErrorKind::Media => "media",
            ErrorKind::SessionDisconnected => "session_disconnected",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::Unknown => "unknown",
            ErrorKind::OutcomeUnknown => "outcome_unknown",
        }
    }

    pub fn parse(s: &str) -> ErrorKind {
        match s {
            "rate_limited" => ErrorKind::RateLimited,
            "outside_window" => ErrorKind::OutsideWindow,
            "invalid_recipient" => ErrorKind::InvalidRecipient,
            "auth" => ErrorKind::Auth,
            "template" => ErrorKind::Template,
            "media" => ErrorKind::Media,
            "session_disconnected" => ErrorKind::SessionDisconnected,
            "unavailable" => ErrorKind::Unavailable,
            "outcome_unknown" => ErrorKind::OutcomeUnknown,
            _ => ErrorKind::Unknown,
        }
    }

    /// Whether a later attempt may succeed without the owner doing anything.
    pub fn is_retryable(self) -> bool {
        matches!(self, ErrorKind::RateLimited | ErrorKind::Unavailable)
    }
}

/// An error a provider reported, normalised: `code` is the provider's own code
/// as a string, `kind` what Wicket makes of it, `message` what to do.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ProviderError {
    pub code: Option<String>,
    pub kind: ErrorKind,
    pub message: String,
    /// Seconds the provider asked us to wait, when it said.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub retry_after: Option<u64>,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}", store_failure(.0))]
    Sqlite(#[from] rusqlite::Error),

    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },

    #[error("the store at {path} has schema version {found}, newer than this Wicket understands ({supported}): install a newer Wicket")]
    SchemaTooNew { path: PathBuf, found: i64, supported: i64 },

    #[error("{0}")]
    NotFound(String),

    #[error("{0}")]
    Invalid(String),

    #[error("invalid phone number {input:?}: {reason}")]
    InvalidPhone { input: String, reason: String },

    #[error("{0}")]
    Secrets(String),

    /// The secret store did not answer a read (a locked keychain, no Secret
    /// Service on the bus, an unreadable vault): unlike a missing secret,
    /// trying again later may work, so a send waits instead of failing.
    #[error("{0}")]
    SecretsUnavailable(String),

    /// No OS keychain answered and no vault passphrase is at hand: the owner
    /// must give one (the window asks; the CLI prompts in a terminal).
    /// `vault_exists` tells "unlock the vault" from "create one".
    #[error("{message}")]
    PassphraseNeeded { vault_exists: bool, message: String },

    /// The passphrase does not open the vault (its key check failed).
    #[error("the vault passphrase is wrong: set WICKET_VAULT_PASSPHRASE to the passphrase used when the vault was created")]
    PassphraseWrong,

    #[error("another Wicket engine already runs on this data dir ({holder}); stop it first or use it as the engine")]
    EngineLockHeld { holder: String },

    #[error("{}", .0.message)]
    Provider(ProviderError),

    #[error("retries exhausted: {}", .0.message)]
    RetriesExhausted(ProviderError),

    /// The send may have gone out but Wicket cannot know: the message is
    /// `unknown` until the provider settles it or the owner resends it.
    #[error("{}", .0.message)]
    OutcomeUnknown(ProviderError),

    /// The app lock is on (`applock`): content stays hidden until unlocked.
    #[error("Wicket is locked: unlock to see messages (in the window, or `wicket unlock --passphrase-env VAR`)")]
    Locked,

    /// The app lock's passphrase was wrong; after a few in a row, the next try waits.
    #[error("{}", lock_wrong(*.wait_seconds))]
    LockPassphraseWrong { wait_seconds: Option<u64> },

    /// Too many wrong passphrases in a row: no passphrase is checked until the wait is over.
    #[error("too many wrong passphrases: wait {seconds} s, then try again")]
    LockWait { seconds: u64 },

    #[error("{0}")]
    Internal(String),
}

fn lock_wrong(wait: Option<u64>) -> String {
    match wait {
        Some(s) => format!("that passphrase does not unlock Wicket: too many wrong tries, wait {s} s before the next"),
        None => "that passphrase does not unlock Wicket: check it and try again".into(),
    }
}

/// What a store failure means for the owner and what to do about it: a full
/// disk, a data dir that cannot be written and a damaged file each need a
/// different action. Nothing of the failed change was saved in any case
/// (SQLite rolls the transaction back), and what was saved before stays.
fn store_failure(e: &rusqlite::Error) -> String {
    use rusqlite::ErrorCode;
    let code = match e {
        rusqlite::Error::SqliteFailure(f, _) => Some(f.code),
        _ => None,
    };
    match code {
        Some(ErrorCode::DiskFull) => format!(
            "the disk is full ({e}): the last change was not saved, everything saved before is safe. Free some space on the disk that holds the data dir, then retry"
        ),
        Some(ErrorCode::ReadOnly) | Some(ErrorCode::CannotOpen) | Some(ErrorCode::PermissionDenied) => format!(
            "the data dir cannot be written ({e}): nothing was changed. Check that its disk is mounted read-write and that the data dir and wicket.db are yours and writable, then retry"
        ),
        Some(ErrorCode::DatabaseCorrupt) | Some(ErrorCode::NotADatabase) => format!(
            "the database file wicket.db is damaged ({e}): stop Wicket, keep a copy of the data dir, then restore wicket.db from a backup (or move it away and import an export with `wicket import`)"
        ),
        Some(ErrorCode::SystemIoFailure) => {
            format!("the disk failed to read or write the store ({e}): nothing more was changed. Check the disk (and its free space), then retry")
        }
        _ => format!("the local store failed: {e}; retry, and if it persists check the disk space and the data dir's permissions"),
    }
}

impl Error {
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Error {
        Error::Io { context: context.into(), source }
    }

    /// A short stable code for the UI and for logs.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Sqlite(_) => "store",
            Error::Io { .. } => "io",
            Error::SchemaTooNew { .. } => "schema_too_new",
            Error::NotFound(_) => "not_found",
            Error::Invalid(_) | Error::InvalidPhone { .. } => "invalid",
            Error::Secrets(_) | Error::SecretsUnavailable(_) | Error::PassphraseNeeded { .. } | Error::PassphraseWrong => "secrets_unavailable",
            Error::EngineLockHeld { .. } => "engine_lock_held",
            Error::Provider(_) => "provider_refused",
            Error::RetriesExhausted(_) => "retries_exhausted",
            Error::OutcomeUnknown(_) => "outcome_unknown",
            Error::Locked => "locked",
            Error::LockPassphraseWrong { .. } => "lock_passphrase_wrong",
            Error::LockWait { .. } => "lock_wait",
            Error::Internal(_) => "internal",
        }
    }

    /// The process exit code of the CLI conventions.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Invalid(_) | Error::InvalidPhone { .. } => 2,
            Error::NotFound(_) => 3,
            Error::Provider(_) => 4,
            Error::RetriesExhausted(_) => 5,
            Error::Secrets(_) | Error::SecretsUnavailable(_) | Error::PassphraseNeeded { .. } | Error::PassphraseWrong => 6,
            Error::EngineLockHeld { .. } => 7,
            Error::OutcomeUnknown(_) => 8,
            Error::Locked => 9,
            Error::LockPassphraseWrong { .. } | Error::LockWait { .. } => 10,
            _ => 1,
        }
    }

    /// Whether the store was busy (another writer held it past the busy
    /// timeout): the same write may succeed a moment later.
    pub fn is_busy(&self) -> bool {
        matches!(self, Error::Sqlite(rusqlite::Error::SqliteFailure(e, _))
            if matches!(e.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked))
    }

    pub fn provider_error(&self) -> Option<&ProviderError> {
        match self {
            Error::Provider(e) | Error::RetriesExhausted(e) | Error::OutcomeUnknown(e) => Some(e),
            _ => None,
        }
    }
}
