//! `wicket`: the headless Wicket program. Parses arguments, calls the core,
//! prints the result (a table, or JSON with `--json`) and exits with the
//! code of the CLI conventions: 0 ok, 1 internal, 2 usage, 3 not found,
//! 4 refused by the provider, 5 retries exhausted, 6 secrets unavailable,
//! 7 engine lock held, 8 the send may have gone out (status `unknown`), 9 Wicket is locked (`wicket unlock`),
//! 10 the app lock's passphrase was wrong (or the wait after wrong ones is not over). Errors are one line on stderr saying what to do.

mod accounts;
mod alerts;
mod backup;
mod bulk;
mod commands;
mod contact_merge;
mod context;
mod dev;
mod gateways;
mod jobs;
mod lock;
mod media;
mod monitor;
mod notes;
mod output;
mod quick_replies;
mod scheduled;
mod serve;
mod snooze;
mod stats;
mod webhooks;

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(name = "wicket", about = "Wicket: a local-first inbox for WhatsApp Business", disable_version_flag = true)]
pub struct Cli {
    /// The data folder (default: WICKET_DATA_DIR, else the platform data dir).
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Print machine-readable JSON.
    #[arg(long, global = true)]
    pub json: bool,
    /// Print the version and the store's schema version.
    #[arg(long = "version", short = 'V')]
    pub version: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Accounts: list, add, test, remove.
    #[command(subcommand)]
    Account(AccountCommand),
    /// Conversations, most recent activity first.
    Conversations(ConversationsArgs),
    /// Contacts with the names and details providers report.
    Contacts(ContactsArgs),
    /// Messages of one conversation, oldest first.
    Messages(MessagesArgs),
    /// Full-text search over messages and contact names.
    Search(SearchArgs),
    /// Export everything (or one account) as JSON or CSV.
    Export(ExportArgs),
    /// Import an export into an empty data dir.
    Import(ImportArgs),
    /// Message templates of an account.
    Templates(TemplatesArgs),
    /// Send a message (queued in the store first).
    Send(Box<SendArgs>),
    /// Messages scheduled with `wicket send --at` (waiting, and failed ones);
    /// `wicket scheduled cancel ID` cancels one.
    Scheduled(ScheduledArgs),
    /// Bulk sending: one message to many recipients (a CSV or a label),
    /// checked row by row first, then sent through the outbox within the
    /// account's limits; list, show, pause, resume or cancel a job.
    #[command(subcommand)]
    Bulk(BulkCommand),
    /// Send a failed message again, or one that may have been sent
    /// (status `unknown`: check the chat on the phone first).
    Resend(ResendArgs),
    /// Run the engine (webhook listener, outbox, media downloads) until stopped.
    Serve(ServeArgs),
    /// Read or change settings.
    #[command(subcommand)]
    Settings(SettingsCommand),
    /// Sync contacts, templates or messages with the providers.
    Sync(SyncArgs),
    /// Check every account's connection and activity (one object per account).
    Monitor(MonitorArgs),
    /// Stored webhook bodies: list them, replay the ones not yet applied.
    #[command(subcommand)]
    Webhook(WebhookCommand),
    /// Background jobs (template and contact syncs, retries of failed sends,
    /// media downloads, daily maintenance): their last run and the next.
    Jobs,
    /// Statistics of a time window: messages in and out, delivery and read
    /// rates, failures by error, median first reply, webhooks, waits, queue.
    Stats(StatsArgs),
    /// What needs you now: an expired token, a logged-out session, a paused
    /// template, the number's quality, signature failures, a stuck outbox,
    /// the public address. Each clears itself once fixed.
    Alerts,
    /// Quick replies: saved answers typed as /SHORTCUT in the composer, with
    /// {name}, {first_name} and {phone} filled from the contact.
    #[command(subcommand, name = "quick-replies")]
    QuickReplies(QuickRepliesCommand),
    /// Private notes on a contact or a conversation (only you see them; never sent).
    #[command(subcommand)]
    Notes(NotesCommand),
    /// Snooze a conversation until a time: it leaves the lists (see
    /// `wicket conversations --snoozed`) and comes back then, or at once
    /// when the customer writes.
    Snooze(SnoozeArgs),
    /// End a conversation's snooze now.
    Unsnooze {
        /// The conversation's id (from `wicket conversations`).
        #[arg(value_name = "CONVERSATION")]
        conversation: String,
    },
    /// Remind me about a message at a time (a desktop notification that
    /// opens the chat at that message).
    Remind(RemindArgs),
    /// Reminders still waiting, the soonest first; `wicket reminders cancel ID` cancels one.
    Reminders(RemindersArgs),
    /// Encrypted backups of the store and media: create, list the scheduled ones, restore.
    #[command(subcommand)]
    Backup(backup::BackupCommand),
    /// One customer's data: export it as a zip, or erase it completely.
    #[command(subcommand)]
    Contact(backup::ContactCommand),
    /// The app lock: `wicket lock` locks now (content commands refuse until
    /// unlocked); `lock set`, `lock off` and `lock status` manage it. It hides
    /// content on screen; it is not disk encryption.
    Lock(lock::LockArgs),
    /// Unlock with the app lock's passphrase (read from an environment variable).
    Unlock(lock::UnlockArgs),
    /// The media cache: space used against `media_cache_limit_mb`, freeing
    /// space now, downloading a removed file again.
    #[command(subcommand)]
    Media(media::MediaCommand),
    /// Developer tools: `wicket dev seed` fills a data dir with made-up
    /// messages (for benchmarks and trying Wicket at scale).
    #[command(subcommand)]
    Dev(dev::DevCommand),
}

#[derive(Subcommand, Debug)]
pub enum QuickRepliesCommand {
    /// Save a quick reply.
    Add {
        /// What you type after / in the composer (letters, digits, - and _).
        #[arg(long)]
        shortcut: String,
        /// The answer; {name}, {first_name} and {phone} are filled from the contact.
        #[arg(long, default_value = "")]
        text: String,
        /// A file attached when the reply is inserted (copied into the data dir).
        #[arg(long, value_name = "PATH")]
        file: Option<PathBuf>,
    },
    /// Every quick reply, by shortcut.
    List,
    /// Remove a quick reply and its file.
    Remove {
        #[arg(value_name = "SHORTCUT")]
        shortcut: String,
    },
    /// Write every quick reply to FILE (.json or .csv).
    Export {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Add the quick replies of FILE (.json or .csv), reporting each bad row.
    Import {
        #[arg(value_name = "FILE")]
        path: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
pub enum NotesCommand {
    /// Add a private note to a contact (id or phone number) or a conversation.
    Add {
        #[arg(long, value_name = "ID|PHONE", conflicts_with = "conversation", required_unless_present = "conversation")]
        contact: Option<String>,
        #[arg(long, value_name = "ID")]
        conversation: Option<String>,
        #[arg(long)]
        text: String,
    },
    /// Notes of a contact, of a conversation, or all of them.
    List {
        #[arg(long, value_name = "ID|PHONE", conflicts_with = "conversation")]
        contact: Option<String>,
        #[arg(long, value_name = "ID")]
        conversation: Option<String>,
    },
    /// Change a note's text.
    Edit {
        #[arg(value_name = "ID")]
        id: String,
        #[arg(long)]
        text: String,
    },
    /// Delete a note.
    Remove {
        #[arg(value_name = "ID")]
        id: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum WebhookCommand {
    /// Stored webhook events, newest first.
    Events {
        /// applied, unrouted or unparseable.
        #[arg(long, value_parser = ["applied", "unrouted", "unparseable"])]
        state: Option<String>,
        #[arg(long, value_name = "N", default_value_t = 50)]
        limit: usize,
    },
    /// Parse, route and apply stored events again (default: every event not
    /// yet applied, e.g. for a number added since). Safe to repeat.
    Replay {
        /// Only these event ids.
        #[arg(value_name = "EVENT_ID")]
        ids: Vec<String>,
    },
}

#[derive(Args, Debug)]
pub struct MonitorArgs {
    #[arg(long)]
    pub account: Option<String>,
    /// Check again every SECONDS until stopped (one report per round).
    #[arg(long, value_name = "SECONDS")]
    pub watch: Option<u64>,
    /// Add each account's statistics of the last N hours (`stats`, as `wicket stats`).
    #[arg(long, value_name = "N")]
    pub hours: Option<u32>,
    /// json (as --json) or text.
    #[arg(long, value_parser = ["json", "text"])]
    pub format: Option<String>,
}

#[derive(Args, Debug)]
pub struct StatsArgs {
    /// One account (default: all together).
    #[arg(long)]
    pub account: Option<String>,
    /// The last N hours.
    #[arg(long, value_name = "N", conflicts_with = "days")]
    pub hours: Option<u32>,
    /// The last N days (default 7).
    #[arg(long, value_name = "N")]
    pub days: Option<u32>,
}

#[derive(Args, Debug)]
pub struct SyncArgs {
    #[arg(long)]
    pub account: Option<String>,
    /// Every contact (the default when nothing else is asked).
    #[arg(long)]
    pub contacts: bool,
    /// One contact by number.
    #[arg(long, value_name = "PHONE")]
    pub contact: Option<String>,
    /// Message templates (Meta).
    #[arg(long)]
    pub templates: bool,
    /// New messages (polling providers).
    #[arg(long)]
    pub messages: bool,
    /// The contacts of these conversations (repeatable).
    #[arg(long = "conversation", value_name = "ID", num_args = 1..)]
    pub conversations: Vec<String>,
}

#[derive(Args, Debug)]
pub struct AccountSetArgs {
    pub id: String,
    /// Seconds between polls while the app is in use.
    #[arg(long, value_name = "SECONDS")]
    pub poll_interval: Option<u64>,
    /// Seconds between polls while the app is idle (headless `wicket serve`
    /// counts as idle; default four times --poll-interval, at most 60).
    #[arg(long, value_name = "SECONDS")]
    pub idle_poll_interval: Option<u64>,
    /// At most N messages in any one second (default 10 for Meta, 4 for
    /// WASender, 2 for UniPile; Meta allows up to 80 per number).
    #[arg(long, value_name = "N")]
    pub max_per_second: Option<u32>,
    /// At most N messages in any one hour (default 1000).
    #[arg(long, value_name = "N")]
    pub max_per_hour: Option<u32>,
    /// Seconds between two messages to the same recipient (default 6 for
    /// Meta, its pair rate; 5 for WASender and UniPile; 0 = no gap).
    #[arg(long = "recipient-gap", value_name = "SECONDS")]
    pub recipient_gap: Option<u32>,
}

#[derive(Subcommand, Debug)]
pub enum AccountCommand {
    /// List accounts.
    List,
    /// Add an account.
    #[command(subcommand)]
    Add(AccountAdd),
    /// Test an account's connection with its provider.
    Test { id: String },
    /// Remove an account, its data and its secrets.
    Remove { id: String },
    /// Create accounts from a .env file or another machine's Wicket export
    /// (secrets are re-entered for exported accounts, or restored from the
    /// export's secrets vault with --vault).
    Import {
        path: PathBuf,
        /// Do not test the connections (the accounts stay "not yet verified").
        #[arg(long)]
        no_test: bool,
        /// The secrets vault written by `wicket export --vault` on the other machine.
        #[arg(long, value_name = "FILE", requires = "passphrase_env")]
        vault: Option<PathBuf>,
        /// Environment variable holding the vault's passphrase.
        #[arg(long, value_name = "VAR", requires = "vault")]
        passphrase_env: Option<String>,
    },
    /// Switch an account on (Wicket sends and receives for it again).
    Enable { id: String },
    /// Switch an account off (kept with its data and secrets, but idle).
    Disable { id: String },
    /// Change an account's settings (poll intervals of polling accounts, rate limits).
    Set(AccountSetArgs),
    /// Reconnect a UniPile account whose WhatsApp session was lost: prints a
    /// hosted authentication link and waits for the account to be connected.
    Reconnect {
        id: String,
        /// How long to wait for the reconnection.
        #[arg(long, value_name = "SECONDS", default_value_t = 600)]
        wait: u64,
    },
    /// Refresh UniPile account details (number, status, sources, groups).
    SyncDetails {
        id: Option<String>,
        /// Show what would change without saving it.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum AccountAdd {
    /// A Meta WhatsApp Cloud API number. Secrets are read from the named
    /// environment variables, never from arguments.
    Meta(AddMetaArgs),
    /// A WASender session (QR-linked WhatsApp through the WASender gateway).
    Wasender(AddWasenderArgs),
    /// The WhatsApp accounts behind a UniPile API key.
    Unipile(AddUnipileArgs),
    /// A demo account with simulated customers (nothing is sent anywhere).
    Demo,
}

#[derive(Args, Debug)]
pub struct AddWasenderArgs {
    #[arg(long)]
    pub name: String,
    /// Environment variable holding the session's API key.
    #[arg(long, value_name = "VAR")]
    pub api_key_env: String,
    /// Environment variable holding the session's webhook secret.
    #[arg(long, value_name = "VAR")]
    pub webhook_secret_env: Option<String>,
    /// Environment variable holding the personal access token (with --session-id:
    /// Wicket reads the webhook secret and registers its webhook itself).
    #[arg(long, value_name = "VAR", requires = "session_id")]
    pub pat_env: Option<String>,
    #[arg(long, value_name = "ID", requires = "pat_env")]
    pub session_id: Option<String>,
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
}

#[derive(Args, Debug)]
pub struct AddUnipileArgs {
    /// The DSN from UniPile's dashboard (host:port or a URL).
    #[arg(long)]
    pub dsn: String,
    /// Environment variable holding the API key.
    #[arg(long, value_name = "VAR")]
    pub api_key_env: String,
    /// Which WhatsApp accounts to import: `all` or UniPile account ids.
    #[arg(long, value_name = "all|ID,...", default_value = "all")]
    pub import: String,
    /// Seconds between polls while the app is in use.
    #[arg(long, value_name = "SECONDS")]
    pub poll_interval: Option<u64>,
    /// Connect a new WhatsApp account first: prints UniPile's hosted
    /// authentication link (and opens it when a browser is available), waits
    /// for the account to appear, then imports it.
    #[arg(long)]
    pub connect_new: bool,
    /// How long --connect-new waits for the new account.
    #[arg(long, value_name = "SECONDS", default_value_t = 600)]
    pub wait: u64,
}

#[derive(Args, Debug)]
pub struct AddMetaArgs {
    #[arg(long)]
    pub name: String,
    #[arg(long)]
    pub phone_number_id: String,
    #[arg(long)]
    pub business_account_id: String,
    /// Environment variable holding the access token.
    #[arg(long, value_name = "VAR")]
    pub token_env: String,
    /// Environment variable holding the app secret.
    #[arg(long, value_name = "VAR")]
    pub app_secret_env: String,
    /// Environment variable holding the webhook verify token (generated when absent).
    #[arg(long, value_name = "VAR")]
    pub verify_token_env: Option<String>,
    /// Graph API base URL (replaces https://graph.facebook.com).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    #[arg(long, value_name = "vXX.X")]
    pub api_version: Option<String>,
}

#[derive(Args, Debug)]
pub struct SnoozeArgs {
    /// The conversation's id (from `wicket conversations`).
    #[arg(value_name = "CONVERSATION")]
    pub conversation: String,
    /// When it comes back: RFC 3339, or YYYY-MM-DD HH:MM in your time zone (as `wicket send --at`).
    #[arg(long, value_name = "TIME")]
    pub until: String,
}

#[derive(Args, Debug)]
pub struct RemindArgs {
    /// The message's id (from `wicket messages`).
    #[arg(value_name = "MESSAGE")]
    pub message: String,
    /// When: RFC 3339, or YYYY-MM-DD HH:MM in your time zone (as `wicket send --at`).
    #[arg(long, value_name = "TIME")]
    pub at: String,
    /// A few words to show with the reminder.
    #[arg(long, value_name = "TEXT", default_value = "")]
    pub note: String,
}

#[derive(Args, Debug)]
pub struct RemindersArgs {
    #[command(subcommand)]
    pub command: Option<RemindersCommand>,
}

#[derive(Subcommand, Debug)]
pub enum RemindersCommand {
    /// Cancel a reminder that has not gone off.
    Cancel {
        /// Its id (from `wicket reminders`).
        #[arg(value_name = "ID")]
        id: String,
    },
}

#[derive(Args, Debug)]
pub struct ConversationsArgs {
    #[arg(long)]
    pub account: Option<String>,
    #[arg(long)]
    pub unread: bool,
    #[arg(long)]
    pub archived: bool,
    #[arg(long, value_name = "L")]
    pub label: Option<String>,
    /// Only the snoozed conversations (hidden from the other lists until their time).
    #[arg(long)]
    pub snoozed: bool,
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub limit: usize,
}

#[derive(Args, Debug)]
pub struct ContactsArgs {
    #[arg(long)]
    pub account: Option<String>,
}

#[derive(Args, Debug)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["with", "conversation"])))]
pub struct MessagesArgs {
    #[arg(long, requires = "with")]
    pub account: Option<String>,
    /// The contact's phone number (with --account).
    #[arg(long, value_name = "PHONE", requires = "account")]
    pub with: Option<String>,
    #[arg(long, value_name = "ID")]
    pub conversation: Option<String>,
    /// Only messages older than this message id.
    #[arg(long, value_name = "ID")]
    pub before: Option<String>,
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub limit: usize,
    /// Also mark the conversation read (reading never does by itself).
    #[arg(long)]
    pub mark_read: bool,
}

#[derive(Args, Debug)]
pub struct SearchArgs {
    pub query: String,
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub limit: usize,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    #[arg(long, value_parser = ["json", "csv"])]
    pub format: String,
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
    #[arg(long)]
    pub account: Option<String>,
    /// Also write the exported accounts' secrets into this new encrypted
    /// vault file (AES-256-GCM, Argon2id), for `wicket account import --vault`.
    #[arg(long, value_name = "FILE", requires = "passphrase_env")]
    pub vault: Option<PathBuf>,
    /// Environment variable holding the vault's passphrase (never an argument).
    #[arg(long, value_name = "VAR", requires = "vault")]
    pub passphrase_env: Option<String>,
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    pub path: PathBuf,
}

#[derive(Args, Debug)]
pub struct TemplatesArgs {
    #[arg(long)]
    pub account: String,
    /// Fetch the templates from the provider first.
    #[arg(long)]
    pub sync: bool,
}

#[derive(Args, Debug)]
#[command(group(clap::ArgGroup::new("content").required(true)
    .args(["text", "image", "document", "audio", "video", "sticker", "location", "template"])))]
#[command(group(clap::ArgGroup::new("recipient").required(true).args(["to", "conversation"])))]
pub struct SendArgs {
    #[arg(long, required_unless_present = "conversation")]
    pub account: Option<String>,
    #[arg(long, value_name = "PHONE")]
    pub to: Option<String>,
    /// Send into this conversation (a group, or a contact without a number).
    #[arg(long, value_name = "ID", conflicts_with = "to")]
    pub conversation: Option<String>,
    #[arg(long, value_name = "T")]
    pub text: Option<String>,
    #[arg(long, value_name = "PATH|URL")]
    pub image: Option<String>,
    #[arg(long, value_name = "C")]
    pub caption: Option<String>,
    #[arg(long, value_name = "PATH")]
    pub document: Option<String>,
    #[arg(long, value_name = "F", requires = "document")]
    pub filename: Option<String>,
    #[arg(long, value_name = "PATH")]
    pub audio: Option<String>,
    #[arg(long, value_name = "PATH")]
    pub video: Option<String>,
    #[arg(long, value_name = "PATH")]
    pub sticker: Option<String>,
    /// LAT,LON (negative coordinates work).
    #[arg(long, value_name = "LAT,LON", allow_hyphen_values = true)]
    pub location: Option<String>,
    #[arg(long, value_name = "N", requires = "location")]
    pub name: Option<String>,
    #[arg(long, value_name = "NAME")]
    pub template: Option<String>,
    #[arg(long, value_name = "CODE", requires = "template")]
    pub lang: Option<String>,
    /// A body parameter, in order; `name=value` for named templates.
    #[arg(long = "param", value_name = "V", requires = "template", allow_hyphen_values = true)]
    pub params: Vec<String>,
    #[arg(long = "header-param", value_name = "V", requires = "template", allow_hyphen_values = true)]
    pub header_params: Vec<String>,
    /// INDEX=VALUE for a button parameter.
    #[arg(long = "button-param", value_name = "INDEX=V", requires = "template")]
    pub button_params: Vec<String>,
    /// Quote this Wicket message id.
    #[arg(long, value_name = "ID")]
    pub reply_to: Option<String>,
    /// Only queue the message; the engine sends it.
    #[arg(long)]
    pub no_wait: bool,
    /// Send even though the customer opted out of messages (wrote STOP).
    #[arg(long)]
    pub to_opted_out: bool,
    /// Send later, at this time: RFC 3339 (2026-03-01T09:00:00+01:00) or
    /// local `YYYY-MM-DD HH:MM` in the owner's time zone (the `time_zone`
    /// setting, else the system's). The engine sends it then.
    #[arg(long, value_name = "TIME", conflicts_with = "no_wait")]
    pub at: Option<String>,
}

#[derive(Args, Debug)]
pub struct ScheduledArgs {
    #[command(subcommand)]
    pub command: Option<ScheduledCommand>,
    #[arg(long)]
    pub account: Option<String>,
    #[arg(long, value_name = "ID")]
    pub conversation: Option<String>,
    /// Also those already queued for sending and the cancelled ones.
    #[arg(long)]
    pub all: bool,
}

#[derive(Subcommand, Debug)]
pub enum ScheduledCommand {
    /// Cancel a scheduled message that is still waiting.
    Cancel {
        /// Its id (from `wicket scheduled`).
        #[arg(value_name = "ID")]
        id: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum BulkCommand {
    /// Check a bulk send (a report per row) and start it as a job.
    Send(Box<BulkSendArgs>),
    /// Bulk jobs, newest first.
    List {
        #[arg(long)]
        account: Option<String>,
    },
    /// One job's state and counts (queued, sent, delivered, read, failed and skipped with reasons).
    Show {
        #[arg(value_name = "ID")]
        id: String,
    },
    /// Release nothing more until resumed (messages already in the outbox still go).
    Pause {
        #[arg(value_name = "ID")]
        id: String,
    },
    /// Go on with a paused job.
    Resume {
        #[arg(value_name = "ID")]
        id: String,
    },
    /// Stop a job: recipients not yet reached are skipped (messages already in the outbox still go).
    Cancel {
        #[arg(value_name = "ID")]
        id: String,
    },
}

#[derive(Args, Debug)]
#[command(group(clap::ArgGroup::new("recipients").required(true).args(["to_file", "label"])))]
#[command(group(clap::ArgGroup::new("message").required(true).args(["template", "text"])))]
pub struct BulkSendArgs {
    #[arg(long)]
    pub account: String,
    /// A CSV with a `phone` column and one column per template parameter
    /// (named, or `1`, `2`, … for positional; `header.1`, `button.0`).
    #[arg(long, value_name = "CSV")]
    pub to_file: Option<PathBuf>,
    /// Every conversation of the account with this label.
    #[arg(long, value_name = "NAME")]
    pub label: Option<String>,
    #[arg(long, value_name = "NAME", requires = "lang")]
    pub template: Option<String>,
    #[arg(long, value_name = "CODE", requires = "template")]
    pub lang: Option<String>,
    /// Free text (Meta: only customers whose 24-hour window is open).
    #[arg(long, value_name = "T")]
    pub text: Option<String>,
    /// A value common to every row: NAME=VALUE (a column name), or a bare
    /// value for the next numbered parameter. A row's column wins.
    #[arg(long = "param", value_name = "V", allow_hyphen_values = true)]
    pub params: Vec<String>,
    /// Only check and report: queue nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Turn the webhook listener on, bound where this says (port 0 picks one).
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: Option<String>,
    /// Turn the webhook listener on at its default address, 127.0.0.1:8765
    /// (or the `webhook_listen` setting).
    #[arg(long)]
    pub webhooks: bool,
    /// Start a tunnel for the listener (turning it on) and register its public
    /// URL with the providers: cloudflared, ngrok, funnel (Tailscale), auto, or custom.
    #[arg(long, value_name = "TOOL")]
    pub tunnel: Option<String>,
    /// The tunnel program to run instead of the tool's usual one.
    #[arg(long, value_name = "PATH", requires = "tunnel")]
    pub tunnel_program: Option<std::path::PathBuf>,
    /// Arguments for a custom tunnel (`{port}` and `{local_url}` are filled in).
    #[arg(long = "tunnel-arg", value_name = "ARG", requires = "tunnel", allow_hyphen_values = true)]
    pub tunnel_args: Vec<String>,
    /// A public HTTPS address that already reaches the listener (your own
    /// proxy or named tunnel): registered with the providers.
    #[arg(long, value_name = "URL", conflicts_with = "tunnel")]
    pub public_url: Option<String>,
    /// Poll at the in-use intervals (headless, the engine counts as idle and
    /// polls at each account's idle interval).
    #[arg(long)]
    pub in_use: bool,
}

#[derive(Args, Debug)]
pub struct ResendArgs {
    /// The message's id (from `wicket messages`).
    #[arg(value_name = "MESSAGE_ID")]
    pub id: String,
    /// Only queue it again; the engine sends it.
    #[arg(long)]
    pub no_wait: bool,
    /// Send again even though the customer has opted out of messages since.
    #[arg(long)]
    pub to_opted_out: bool,
}

#[derive(Subcommand, Debug)]
pub enum SettingsCommand {
    /// Print every setting.
    List,
    /// Set KEY to a JSON value (or a plain string).
    Set { key: String, value: String },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("wicket: {}", e.to_string().replace('\n', " "));
            ExitCode::from(e.exit_code() as u8)
        }
    }
}
