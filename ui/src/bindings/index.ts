// Generated from the Rust types of src-tauri/app (bindings.rs): do not edit.
// Regenerate: WICKET_UPDATE_GOLDEN=1 cargo test -p wicket-desktop bindings

export type Provider = "meta" | "wasender" | "unipile" | "demo";

export type AccountStatus = "ok" | "unverified" | "needs_token" | "retrying" | "disconnected" | "disabled";

export type Direction = "in" | "out";

export type Origin = "app" | "phone" | "automatic";

export type MessageKind = "text" | "image" | "audio" | "voice" | "video" | "document" | "sticker" | "location" | "contacts" | "template" | "interactive" | "reaction" | "unsupported" | "order" | "notice";

export type MessageStatus = "pending" | "sending" | "sent" | "delivered" | "read" | "played" | "failed" | "received" | "unknown";

export type MediaState = "pending" | "downloaded" | "failed" | "evicted";

export type ErrorKind = "rate_limited" | "outside_window" | "invalid_recipient" | "auth" | "template" | "media" | "session_disconnected" | "unavailable" | "unknown" | "outcome_unknown";

export type CommandError = { 
/**
 * `wicket_core::Error::code()`: `not_found`, `invalid`, `provider_refused`, …
 */
code: string, message: string, 
/**
 * For `provider_refused`: what Wicket makes of the provider's answer
 * (`outside_window`, `auth`, …).
 */
kind: ErrorKind | null, };

export type AccountDto = { id: number, provider: Provider, name: string, 
/**
 * Formatted for display.
 */
phone: string | null, status: AccountStatus, status_reason: string | null, enabled: boolean, 
/**
 * Meta's 24-hour customer-service window applies to this account.
 */
has_service_window: boolean, 
/**
 * Since when the account has had this status (e.g. "retrying since").
 */
status_since: number | null, 
/**
 * When the last contact sync finished, and what came of it in a line.
 */
last_sync_at: number | null, last_sync_result: string | null, };

export type ConversationDto = { id: number, account_id: number, 
/**
 * By the priority rules of `contacts::display_name`.
 */
display_name: string, 
/**
 * The number formatted for display, when the contact has one.
 */
phone: string | null, 
/**
 * Stable per contact: the UI derives the avatar colour from it.
 */
avatar_key: string, is_business: boolean, verified: boolean, is_group: boolean, unread_count: number, pinned: boolean, archived: boolean, muted: boolean, labels: Array<string>, last_activity_at: number | null, 
/**
 * Text (or caption) of the last message, or its kind for media.
 */
last_text: string | null, window_expires_at: number | null, draft: string | null, 
/**
 * For the contact panel: the contact's id (its cached picture is served
 * at `wicket-media://localhost/contact/{contact_id}` when `has_picture`).
 */
contact_id: number, has_picture: boolean, status_text: string | null, company: string | null, 
/**
 * The contact's labels on the provider (the conversation's are `labels`).
 */
contact_labels: Array<string>, 
/**
 * The name WhatsApp verified for a business.
 */
verified_name: string | null, 
/**
 * When the customer opted out of messages (wrote STOP or another
 * opt-out keyword): the composer asks before sending, the contact panel says so.
 */
opted_out_at: number | null, 
/**
 * While the chat is snoozed: when it comes back (Unix ms).
 */
snoozed_until: number | null, };

export type MediaDto = { id: number, file_name: string | null, mime: string | null, size: number | null, state: MediaState, error: string | null, };

export type LocationDto = { latitude: number, longitude: number, name: string | null, address: string | null, };

export type SharedContactDto = { name: string, phones: Array<string>, };

export type OrderDto = { catalog_id: string | null, 
/**
 * The customer's note with the order.
 */
note: string | null, items: Array<OrderItemDto>, 
/**
 * "GBP 28.48" (one per currency), when the items have prices.
 */
total: string | null, };

export type OrderItemDto = { 
/**
 * The catalog's product id (SKU).
 */
product_retailer_id: string | null, quantity: number, 
/**
 * "GBP 7.99": the unit price with its currency, when given.
 */
price: string | null, };

export type ReferralDto = { headline: string | null, body: string | null, 
/**
 * "ad" or "post".
 */
source_type: string | null, source_url: string | null, };

export type ReactionDto = { emoji: string, reactor: string, };

export type QuoteDto = { id: number, direction: Direction, kind: MessageKind, text: string | null, };

export type MessageErrorDto = { code: string | null, kind: ErrorKind, message: string, 
/**
 * The provider's longer explanation (why an inbound message has no content).
 */
details: string | null, };

export type MessageDto = { id: number, conversation_id: number, account_id: number, direction: Direction, origin: Origin | null, kind: MessageKind, text: string | null, caption: string | null, media: MediaDto | null, location: LocationDto | null, contacts: Array<SharedContactDto>, order: OrderDto | null, referral: ReferralDto | null, 
/**
 * The quoted message when this one is a reply; `None` also when the
 * quoted message is not stored (the UI then says so).
 */
reply_to: QuoteDto | null, is_reply: boolean, sender_name: string | null, reactions: Array<ReactionDto>, status: MessageStatus, error: MessageErrorDto | null, timestamp: number, 
/**
 * When the sender edited it (the text is the edited one).
 */
edited_at: number | null, 
/**
 * When the sender deleted it for everyone (the UI shows only that).
 */
deleted_at: number | null, 
/**
 * A failed send, or one that may have been sent (`unknown`), the
 * owner may send again (`retry_message`).
 */
can_retry: boolean, };

export type TemplateDto = { name: string, language: string, category: string | null, 
/**
 * `{{name}}` placeholders (send each parameter with its name).
 */
named: boolean, header_text: string | null, 
/**
 * `IMAGE`, `VIDEO`, `DOCUMENT`, `LOCATION`: a media header Wicket cannot fill yet.
 */
header_media: string | null, body_text: string, footer_text: string | null, 
/**
 * Button labels, in order.
 */
buttons: Array<string>, header_params: Array<string>, body_params: Array<string>, 
/**
 * Indexes of the URL buttons that take a parameter.
 */
url_buttons: Array<number>, 
/**
 * `APPROVED`, `PAUSED`, `REJECTED`, … and why (Meta's webhook); only
 * a sendable (approved) one can be picked.
 */
status: string, status_reason: string | null, sendable: boolean, };

export type SearchHitDto = { message_id: number, conversation_id: number, account_id: number, display_name: string, snippet: string, timestamp: number, 
/**
 * A message, or one of the owner's private notes (then `message_id` is 0).
 */
kind: "message" | "note", note_id: number | null, };

export type EngineState = { "state": "running", listen: string | null, } | { "state": "elsewhere", holder: string, } | { "state": "stopped", reason: string, } | { "state": "needs_passphrase", vault_exists: boolean, };

export type AppInfo = { version: string, data_dir: string, engine: EngineState, };

export type ListFilter = "all" | "unread" | "archived" | "snoozed";

export type ConversationCursor = { last_activity_at: number, id: number, pinned?: boolean, };

export type ListConversationsArgs = { account_id?: number, filter: ListFilter, 
/**
 * Only conversations with this label.
 */
label?: string, before?: ConversationCursor, limit?: number, };

export type ListMessagesArgs = { conversation_id: number, 
/**
 * The oldest message id already shown: returns the page before it.
 */
before?: number, 
/**
 * The newest message id shown: returns the page after it (scrolling down from a search result).
 */
after?: number, 
/**
 * Opens the conversation at this message: the page around it.
 */
around?: number, limit: number, };

export type IdArgs = { id: number, };

export type SendTextArgs = { conversation_id?: number, account_id?: number, to?: string, text: string, 
/**
 * The id of the message being answered.
 */
reply_to?: number, };

export type SearchArgs = { query: string, 
/**
 * Filters (all optional): one account, one label, a provider-time range in Unix ms, media only.
 */
account_id?: number, label?: string, since?: number, until?: number, has_media?: boolean, 
/**
 * How many results (50 when absent; more are asked for as the list scrolls, up to 500).
 */
limit?: number, };

export type AccountArgs = { account_id: number, };

export type SendMediaArgs = { conversation_id: number, file_name: string, 
/**
 * As the browser reports it; sent as a document when unknown.
 */
mime: string, caption?: string, reply_to?: number, };

export type TemplateParamArg = { name?: string, value: string, };

export type ButtonParamArg = { index: number, value: string, };

export type SendTemplateArgs = { conversation_id: number, name: string, language: string, header_params: Array<TemplateParamArg>, body_params: Array<TemplateParamArg>, button_params: Array<ButtonParamArg>, };

export type SaveDraftArgs = { conversation_id: number, 
/**
 * Empty or null clears the draft.
 */
text: string | null, };

export type WizardMetaArgs = { 
/**
 * The account's name in Wicket; the provider's verified name when empty.
 */
name?: string, phone_number_id: string, business_account_id: string, token: string, app_secret: string, 
/**
 * Generated when empty.
 */
verify_token?: string, 
/**
 * Replaces `https://graph.facebook.com` (tests, proxies).
 */
base_url?: string, api_version?: string, };

export type WizardWasenderArgs = { name?: string, api_key: string, webhook_secret?: string, personal_access_token?: string, session_id?: string, base_url?: string, };

export type WizardUnipileArgs = { dsn: string, api_key: string, };

export type WizardAddUnipileArgs = { dsn: string, api_key: string, account_ids: Array<string>, };

export type WizardPathArgs = { path: string, };

export type WizardSyncArgs = { account_id: number, };

export type ConnectionInfoDto = { verified_name: string | null, 
/**
 * E.164 when it parses, else as the provider wrote it.
 */
display_number: string | null, 
/**
 * Meta's GREEN, YELLOW, RED (others report none).
 */
quality_rating: string | null, };

export type WizardAddedDto = { account: AccountDto, 
/**
 * The verify token Wicket generated (Meta, when none was typed): shown
 * this once, never again.
 */
verify_token: string | null, 
/**
 * Where the provider must deliver webhooks, below the public address
 * (`/webhooks/meta/{id}`); none for providers that are polled.
 */
webhook_path: string | null, 
/**
 * The connection test after saving: the provider's answer…
 */
connection: ConnectionInfoDto | null, 
/**
 * …or why it could not be verified (the account is kept, "not yet verified").
 */
warning: CommandError | null, };

export type UnipileAccountDto = { id: string, name: string, phone: string | null, 
/**
 * UniPile's source status: OK, CONNECTING, CREDENTIALS, …
 */
status: string | null, };

export type EnvImportDto = { 
/**
 * The Meta phone number id, when a complete Meta setup was found.
 */
meta_phone_number_id: string | null, wasender: boolean, 
/**
 * The UniPile DSN, when a DSN and an API key were found.
 */
unipile_dsn: string | null, 
/**
 * Variables not understood, by name (never guessed).
 */
unknown: Array<string>, 
/**
 * Providers mentioned but incomplete, and what is missing.
 */
problems: Array<string>, };

export type WizardProgress = { 
/**
 * `templates`, `contacts`, `messages`, or `done`.
 */
step: string, done: number, total: number, };

export type FirstSyncStepDto = { step: string, 
/**
 * How many templates, contacts or messages arrived.
 */
count: number | null, 
/**
 * Why the step failed (the account works regardless).
 */
error: CommandError | null, };

export type AccountEnabledArgs = { account_id: number, enabled: boolean, };

export type WizardTextArgs = { name: string, text: string, };

export type WizardExportArgs = { name: string, text: string, vault_text?: string, passphrase?: string, };

export type UnipileLinkDto = { url: string, known: Array<string>, };

export type WizardUnipileWaitArgs = { dsn: string, api_key: string, known: Array<string>, seconds: number, };

export type TunnelToolDto = { 
/**
 * `cloudflared`, `ngrok`, `funnel` (what `wizard_start_tunnel` takes).
 */
kind: string, label: string, installed: boolean, 
/**
 * Whether its address stays the same across starts.
 */
stable: boolean, 
/**
 * Where to get it when it is missing.
 */
hint: string, };

export type PublicAddressDto = { account_id: number, provider: Provider, 
/**
 * The `webhook_listen` setting, or the default 127.0.0.1:8765.
 */
listen: string, 
/**
 * Where a listener of this window answers now, if one does.
 */
listening: string | null, 
/**
 * Said when the listener binds beyond loopback.
 */
listen_warning: string | null, 
/**
 * `/webhooks/{provider}/{id}`, after the public address.
 */
callback_path: string, 
/**
 * The public address last used (the `public_url` setting).
 */
public_url: string | null, 
/**
 * Meta's verify token, to paste into Meta's dashboard.
 */
verify_token: string | null, tools: Array<TunnelToolDto>, 
/**
 * Exactly what to paste where in the provider's dashboard, with the
 * public address when known (else a placeholder for it).
 */
manual_step: string | null, stable_note: string, changing_note: string, };

export type WizardListenArgs = { listen: string, };

export type ListenerDto = { listening: string, warning: string | null, };

export type WizardTunnelArgs = { account_id: number, kind: string, };

export type RegistrationDto = { account_id: number, account_name: string, provider: Provider, webhook_url: string, 
/**
 * `registered`, `manual_step_needed` or `failed`.
 */
outcome: string, 
/**
 * Why it was not registered.
 */
detail: string | null, 
/**
 * Exactly what to paste where, when the owner must do it.
 */
what_to_paste_where: string | null, };

export type TunnelStartedDto = { public_url: string, stable: boolean, 
/**
 * What a stable or changing address means for deliveries.
 */
note: string, registrations: Array<RegistrationDto>, };

export type WizardCheckArgs = { account_id: number, public_url: string, };

export type CheckStepDto = { 
/**
 * `health`, `handshake` or `signed_event`.
 */
name: string, 
/**
 * `passed`, `failed` or `skipped`.
 */
status: string, detail: string, };

export type SelfCheckDto = { public_base: string, passed: boolean, steps: Array<CheckStepDto>, };

export type PublicAddressChanged = { 
/**
 * The new address, registered again; null when the tunnel stopped.
 */
public_url: string | null, registrations: Array<RegistrationDto>, 
/**
 * The tunnel tool's exit code, when it stopped.
 */
exit_code: number | null, };

export type PublicAddressStatusDto = { 
/**
 * `unconfigured` (no public address chosen yet), `starting`,
 * `reachable`, `unreachable` or `stopped`.
 */
state: string, public_url: string | null, 
/**
 * "the cloudflared tunnel", or the fixed address.
 */
via: string | null, 
/**
 * The tunnel tool's name; null for a fixed address.
 */
tool: string | null, 
/**
 * When it was last checked (ms since the epoch).
 */
checked_at: number | null, 
/**
 * In plain words, for the banner: what is wrong and what fixes it.
 */
reason: string | null, 
/**
 * What exactly failed.
 */
detail: string | null, 
/**
 * `restart` when the Restart button fixes it.
 */
fix: string | null, 
/**
 * The accounts it concerns: switched on and delivered to by webhook.
 */
account_ids: Array<number>, 
/**
 * Whether this window keeps the address (Stop and Restart work here);
 * false when `wicket serve` runs the engine, or no listener runs.
 */
managed_here: boolean, 
/**
 * Whether a tunnel runs that Stop would stop.
 */
can_stop: boolean, };

export type AboutDto = { 
/**
 * The version of the app, the `wicket` command and the package (one, from the workspace).
 */
version: string, 
/**
 * The store schema this build writes, and the one the open store has.
 */
schema_version: number, store_schema_version: number, data_dir: string, logs_dir: string, };

export type JobDto = { 
/**
 * Stable name: `maintenance`, `retry_failed`, `template_sync`, `contact_sync`, `media_downloads`.
 */
name: string, title: string, account_id: number | null, account_name: string | null, 
/**
 * How often it runs; null when it runs whenever work is due.
 */
every_seconds: number | null, enabled: boolean, 
/**
 * `ok`, `failed` or `never`.
 */
result: string, 
/**
 * RFC 3339.
 */
last_run_at: string | null, duration_ms: number | null, summary: string | null, error: string | null, 
/**
 * RFC 3339.
 */
next_run_at: string | null, runs: number, failures: number, };

export type AlertDto = { 
/**
 * Stable: `token_expired`, `session_logged_out`, `template_paused`, `quality`, `outbox_stuck`, `webhook_signatures`, …
 */
kind: string, 
/**
 * `critical` or `warning`.
 */
severity: string, account_id: number | null, account_name: string | null, subject: string | null, message: string, 
/**
 * What fixes it.
 */
action: string, 
/**
 * RFC 3339.
 */
since: string | null, };

export type StatsArgs = { 
/**
 * null: every account.
 */
account_id: number | null, 
/**
 * The last N days (1–400).
 */
days: number, };

export type FailureCountDto = { code: string | null, kind: string | null, message: string | null, count: number, };

export type DayCountDto = { 
/**
 * `YYYY-MM-DD`, the owner's time zone.
 */
day: string, received: number, sent: number, };

export type WebhookCountsDto = { accepted: number, duplicate: number, rejected: number, failed: number, };

export type StatsDto = { account_id: number | null, since: string, until: string, time_zone: string, received: number, sent: number, delivered: number, read: number, failed: number, pending: number, delivery_rate: number | null, read_rate: number | null, failures: Array<FailureCountDto>, median_first_reply_seconds: number | null, replies_measured: number, webhooks: WebhookCountsDto, rate_limit_waits: number, queue_depth: number, per_day: Array<DayCountDto>, received_by_hour: Array<number>, };

export type SearchConversationArgs = { conversation_id: number, query: string, };

export type ConversationFlagsArgs = { id: number, 
/**
 * null: unchanged.
 */
pinned: boolean | null, archived: boolean | null, muted: boolean | null, };

export type ConversationLabelsArgs = { id: number, 
/**
 * The whole set (empty clears it); blank names are dropped.
 */
labels: Array<string>, };

export type LimitsDto = { max_per_second: number, max_per_hour: number, 
/**
 * Seconds between two messages to the same customer (0: none).
 */
recipient_gap_seconds: number, };

export type AccountLimitsArgs = { account_id: number, };

export type SetLimitsArgs = { account_id: number, limits: LimitsDto, };

export type Folder = "data" | "logs" | "exports";

export type FolderArgs = { folder: Folder, };

export type VaultStatusDto = { 
/**
 * No keychain answered and the vault is not open: ask for the passphrase.
 */
needs_passphrase: boolean, 
/**
 * The vault file exists (unlock it) or not (create it).
 */
vault_exists: boolean, 
/**
 * "keychain", "vault" or "memory" once open.
 */
backend: string | null, 
/**
 * Why the store cannot open for another reason (e.g. a damaged vault).
 */
problem: string | null, };

export type PassphraseStrengthDto = { 
/**
 * 0 (guessed at once) to 4 (very hard).
 */
score: number, 
/**
 * Strong enough to create the vault with.
 */
acceptable: boolean, hint: string, };

export type PassphraseArgs = { passphrase: string, };

export type UnlockVaultArgs = { passphrase: string, create: boolean, };

export type QuietHoursDto = { 
/**
 * "HH:MM", local time.
 */
from: string, 
/**
 * "HH:MM"; earlier than `from` means the next morning.
 */
to: string, };

export type PreferencesDto = { notifications: boolean, do_not_disturb: boolean, quiet_hours: QuietHoursDto | null, close_to_tray: boolean, start_at_login: boolean, 
/**
 * Meta's "typing…" while the owner writes an answer (setting `typing_indicator`).
 */
typing_indicator: boolean, 
/**
 * Notifications show what the customer wrote (off: only who wrote).
 */
notification_previews: boolean, 
/**
 * `system`, `light` or `dark`.
 */
theme: string, 
/**
 * ISO code of the country a number without a country code is read in.
 */
default_country: string, 
/**
 * IANA name; null: the system's.
 */
time_zone: string | null, 
/**
 * Hours between contact syncs of a gateway account; 0: off.
 */
contact_sync_hours: number, 
/**
 * Whether this desktop has a tray host (without one, closing quits).
 */
tray_available: boolean, };

export type FocusArgs = { conversation_id: number | null, };

export type AttentionDto = { 
/**
 * `template_paused`, `template_rejected`, `quality`, `restricted`, `banned`, …
 */
kind: string, 
/**
 * The template it is about (`name (language)`), if any.
 */
subject: string | null, message: string, action: string, since: number, };

export type HistoryImportDto = { 
/**
 * `importing`, `done`, `declined` or `failed`.
 */
state: string, 
/**
 * 0–100.
 */
progress: number, phase: number, 
/**
 * Messages imported so far.
 */
messages: number, 
/**
 * Why it stopped, in the owner's words (declined, failed).
 */
error_message: string | null, };

export type AccountHealthDto = { account_id: number, 
/**
 * `GREEN`, `RED` (flagged), or none reported yet.
 */
quality_rating: string | null, 
/**
 * As Meta gave it: `TIER_1K`, `TIER_UNLIMITED`, `2000`…
 */
messaging_limit: string | null, 
/**
 * The restrictions in force, in a line.
 */
restriction: string | null, 
/**
 * Verification news (`VERIFIED_ACCOUNT`), in a line.
 */
verification: string | null, 
/**
 * Empty when all is well.
 */
attention: Array<AttentionDto>, updated_at: number | null, 
/**
 * Meta's import of the chats the owner had in the WhatsApp Business app, if any.
 */
history_import: HistoryImportDto | null, };

export type TypingArgs = { conversation_id: number, };

export type ScheduledDto = { id: number, account_id: number, conversation_id: number, 
/**
 * What it sends, in a line.
 */
summary: string, send_at: number, created_at: number, state: "scheduled" | "queued" | "failed" | "cancelled", 
/**
 * The outbox message it became once its time came.
 */
message_id: number | null, 
/**
 * Why it was not sent (too late, or refused at its time).
 */
error: string | null, };

export type ScheduleTextArgs = { conversation_id: number, text: string, 
/**
 * RFC 3339 (`2026-03-11T09:00:00.000Z`), or the date-time input's local
 * `YYYY-MM-DDTHH:MM`, read in the owner's time zone.
 */
send_at: string, reply_to?: number, };

export type ScheduleTemplateArgs = { template: SendTemplateArgs, 
/**
 * As for [`ScheduleTextArgs::send_at`].
 */
send_at: string, };

export type ScheduledListArgs = { conversation_id: number, };

export type BulkArgs = { account_id: number, 
/**
 * The CSV's text (a `phone` column, one column per parameter), or…
 */
csv?: string, 
/**
 * …its file name, for the job's description.
 */
file_name?: string, 
/**
 * …every conversation of the account with this label.
 */
label?: string, 
/**
 * An approved template (with `language`), or…
 */
template?: string, language?: string, 
/**
 * …free text.
 */
text?: string, 
/**
 * Fixed values by parameter (`1`, `first_name`, `header.1`, `button.1`).
 */
values?: { [key in string]: string }, 
/**
 * Parameters filled from a CSV column: parameter → column.
 */
columns?: { [key in string]: string }, };

export type BulkRowDto = { 
/**
 * The CSV line (the header is line 1), or the label's recipient number.
 */
row: number, phone: string, outcome: "ok" | "skipped" | "invalid", reason: string | null, 
/**
 * The message as this recipient sees it (the first rows only).
 */
preview: string | null, };

export type BulkReportDto = { rows: Array<BulkRowDto>, ok: number, skipped: number, invalid: number, 
/**
 * The template's parameters (column names that fill them by default).
 */
parameters: Array<string>, 
/**
 * The CSV's columns.
 */
columns: Array<string>, };

export type BulkReasonDto = { reason: string, count: number, };

export type BulkJobDto = { id: number, account_id: number, state: "running" | "paused" | "cancelled" | "done", 
/**
 * What it sends, in a line.
 */
message: string, 
/**
 * Where the recipients came from.
 */
source: string, created_at: number, finished_at: number | null, total: number, 
/**
 * Not yet sent: waiting in the job or in the outbox.
 */
queued: number, sent: number, delivered: number, read: number, failed: number, 
/**
 * May have been sent (the send was cut off): see the chat.
 */
unknown: number, skipped: number, failed_reasons: Array<BulkReasonDto>, skipped_reasons: Array<BulkReasonDto>, };

export type BulkStartDto = { report: BulkReportDto, job: BulkJobDto | null, 
/**
 * Why it did not start.
 */
refused: string | null, };

export type BulkListArgs = { account_id?: number, };

export type QuickReplyDto = { id: number, shortcut: string, text: string, 
/**
 * The attached file's name, when it has one.
 */
file_name: string | null, mime_type: string | null, };

export type FileArg = { file_name: string, };

export type SaveQuickReplyArgs = { id?: number, shortcut: string, text: string, 
/**
 * A new file (replaces the old one).
 */
file?: FileArg, 
/**
 * Remove the file it has (when no new one is given).
 */
remove_file?: boolean, };

export type ShortcutArgs = { shortcut: string, };

export type FillQuickReplyArgs = { shortcut: string, conversation_id: number, };

export type FilledQuickReplyDto = { text: string, file_name: string | null, mime_type: string | null, 
/**
 * The reply's file, when it has one: the composer fetches its bytes from
 * `wicket-media://localhost/quick-reply/{id}` and attaches them like a
 * picked file (bytes as bytes: never base64 through the IPC).
 */
file_quick_reply_id: number | null, };

export type NoteDto = { id: number, contact_id: number | null, conversation_id: number | null, text: string, created_at: number, updated_at: number, };

export type NotesArgs = { conversation_id: number, };

export type AddNoteArgs = { conversation_id: number, on_contact?: boolean, text: string, };

export type EditNoteArgs = { id: number, text: string, };

export type BackupCountsDto = { accounts: number, conversations: number, messages: number, media_files: number, secrets: number, };

export type BackupFileDto = { name: string, path: string, size: number, 
/**
 * RFC 3339.
 */
created_at: string, };

export type BackupStatusDto = { enabled: boolean, folder: string, keep: number, every_hours: number, with_secrets: boolean, 
/**
 * A passphrase for scheduled backups is in the secret store.
 */
passphrase_set: boolean, backups: Array<BackupFileDto>, };

export type BackupScheduleArgs = { enabled: boolean, 
/**
 * Empty: `backups/` in the data dir.
 */
folder: string, keep: number, every_hours: number, with_secrets: boolean, 
/**
 * A new passphrase for scheduled backups; null keeps the stored one.
 */
passphrase?: string, };

export type BackupCreateArgs = { 
/**
 * Where to write it; empty: a dated file in the backup folder.
 */
out: string, passphrase: string, with_secrets: boolean, };

export type BackupCreatedDto = { path: string, size: number, created_at: string, counts: BackupCountsDto, };

export type BackupRestoreArgs = { file: string, passphrase: string, 
/**
 * The owner confirmed replacing a store that has messages.
 */
force: boolean, };

export type BackupRestoredDto = { backup_created_at: string, replaced_messages: number, restored: BackupCountsDto, };

export type ContactExportArgs = { contact_id: number, 
/**
 * The zip to write; empty: `exports/customer-{id}-{time}.zip` in the data dir.
 */
out: string, };

export type ContactExportDto = { path: string, conversations: number, messages: number, media_files: number, notes: number, };

export type ContactEraseArgs = { contact_id: number, };

export type ContactErasedDto = { contacts: number, conversations: number, messages: number, media_files: number, webhook_events: number, notes: number, wal_cleared: boolean, };

export type ContactIdArgs = { contact_id: number, };

export type ContactMergeArgs = { 
/**
 * The contact kept (the panel's).
 */
keep_id: number, 
/**
 * The contact merged into it and removed.
 */
other_id: number, };

export type ContactMergeUndoArgs = { 
/**
 * The merge the toast offers to undo: refused once a later merge replaced it.
 */
merge_id?: number, };

export type SuggestionDismissArgs = { contact_id: number, other_id: number, };

export type MergeCandidateDto = { contact_id: number, display_name: string, 
/**
 * E.164, or null for a contact known only by an id.
 */
phone: string | null, provider_user_id: string | null, };

export type ContactMergedDto = { merge_id: number, kept_id: number, kept_name: string, removed_id: number, removed_name: string, conversation_id: number | null, messages_moved: number, notes_moved: number, };

export type ContactMergeUndoneDto = { merge_id: number, kept_id: number, restored_id: number, restored_conversation_id: number | null, messages_moved_back: number, };

export type MergeUndoOfferDto = { merge_id: number, 
/**
 * The contact merged into this one, named as it was.
 */
removed_name: string, };

export type MergeSuggestionDto = { 
/**
 * The other contact (not the one asked about).
 */
other_id: number, other_name: string, 
/**
 * `meta_user_id`, `meta_username`, `wasender_lid`, `unipile_attendee`, `formatting` or `brazil_ninth_digit`.
 */
kind: string, reason: string, };

export type WebhookListenerDto = { 
/**
 * Whether the `webhook_listen` setting asks for a listener.
 */
enabled: boolean, 
/**
 * The address and port it names (the default ones while it is off).
 */
address: string, port: number, 
/**
 * Where a listener of this window answers now, e.g. "127.0.0.1:8765".
 */
listening: string | null, 
/**
 * Said for an address other machines can reach (not loopback).
 */
warning: string | null, 
/**
 * Where a change takes effect: `here` (at once: this window runs the
 * engine), `serve` (`wicket serve` runs it: at its next start) or
 * `start` (no engine runs: when one starts).
 */
applies: string, };

export type SetWebhookListenerArgs = { enabled: boolean, address: string, port: number, };

export type PollingDto = { account_id: number, 
/**
 * While the owner uses the window (or `wicket serve` was told so).
 */
active_seconds: number, 
/**
 * Otherwise; never shorter than `active_seconds`.
 */
idle_seconds: number, };

export type SetPollingArgs = { account_id: number, active_seconds: number, idle_seconds: number, };

export type DataExportArgs = { format: string, };

export type DataExportDto = { 
/**
 * The file written (owner-only), in the data folder's `exports/`.
 */
path: string, format: string, 
/**
 * Demo accounts never go into an export: their names, when there are some.
 */
left_out: Array<string>, };

export type DataImportArgs = { name: string, text: string, };

export type ImportedTableDto = { table: string, rows: number, };

export type HoursRangeDto = { from: string, to: string, };

export type DayHoursDto = { 
/**
 * `mon` … `sun`.
 */
day: string, ranges: Array<HoursRangeDto>, };

export type AutoRepliesDto = { 
/**
 * Seven days, Monday first.
 */
days: Array<DayHoursDto>, 
/**
 * No opening hours set: open around the clock (only holidays close).
 */
around_the_clock: boolean, 
/**
 * The hours as `wicket settings set opening_hours` takes them.
 */
opening_hours: string, 
/**
 * `YYYY-MM-DD`, sorted.
 */
holidays: Array<string>, 
/**
 * Empty: off.
 */
away_message: string, 
/**
 * Empty: off.
 */
greeting_message: string, 
/**
 * The time zone the hours are in (IANA name).
 */
time_zone: string, 
/**
 * It is the system's (no `time_zone` setting).
 */
time_zone_is_system: boolean, open_now: boolean, 
/**
 * Closed now: since and until when (Unix ms), where known.
 */
closed_since: number | null, closed_until: number | null, };

export type SetAutoRepliesArgs = { days: Array<DayHoursDto>, holidays: Array<string>, away_message: string, greeting_message: string, };

export type LockStatusDto = { 
/**
 * A passphrase is set.
 */
enabled: boolean, locked: boolean, 
/**
 * Minutes without input before the window locks; 0: only on demand.
 */
lock_after_minutes: number, 
/**
 * Wrong passphrases in a row.
 */
failures: number, 
/**
 * Seconds before the next passphrase is checked (0: now).
 */
wait_seconds: number, 
/**
 * The sentence the lock screen and Settings show: not disk encryption.
 */
not_encryption: string, };

export type UnlockAppArgs = { passphrase: string, };

export type LockSetPassphraseArgs = { passphrase: string, 
/**
 * The passphrase in use, to change it (null to turn the lock on).
 */
current: string | null, };

export type LockIdleArgs = { minutes: number, };

export type MediaUsageDto = { 
/**
 * Media files on disk: downloads and your attachments.
 */
media_bytes: number, media_files: number, 
/**
 * 0: no limit.
 */
limit_mb: number, 
/**
 * What "Free up space now" could remove (attachments not sent yet stay).
 */
evictable_bytes: number, evictable_files: number, database_bytes: number, };

export type MediaPruneDto = { freed_bytes: number, removed_files: number, 
/**
 * Still over the limit: only attachments not sent yet are left.
 */
still_over: boolean, usage: MediaUsageDto, };

export type SetMediaLimitArgs = { 
/**
 * Megabytes; 0: no limit.
 */
limit_mb: number, };

export type MessageReceivedEvent = { message: MessageDto, conversation: ConversationDto, };

export type SyncProgressEvent = { account_id: number, 
/**
 * `contacts` (a contact sync) or `messages` (a poll or status check).
 */
kind: string, 
/**
 * Contacts fetched, or messages stored.
 */
fetched: number, 
/**
 * Contacts updated, or message statuses changed.
 */
updated: number, failed: number, };

export type OpenConversationEvent = { conversation_id: number | null, 
/**
 * Open the chat at this message (a reminder), else at its end.
 */
message_id: number | null, };

export type SnoozeArgs = { conversation_id: number, 
/**
 * RFC 3339, or a date-time input's local value in the owner's time zone (as `wicket send --at`).
 */
until: string, };

export type AddReminderArgs = { message_id: number, 
/**
 * RFC 3339, or a date-time input's local value in the owner's time zone.
 */
at: string, note?: string, };

export type ListRemindersArgs = { conversation_id?: number, };

export type ReminderDto = { id: number, message_id: number, conversation_id: number, 
/**
 * The chat's contact, as the list names it.
 */
display_name: string, remind_at: number, note: string, 
/**
 * The message's text or caption, else its kind.
 */
preview: string | null, fired_at: number | null, };

/** Every command: its `args` (passed as `{ args }`) and its result. */
export type Commands = {
  app_info: { args: null; result: AppInfo };
  list_accounts: { args: null; result: Array<AccountDto> };
  list_conversations: { args: ListConversationsArgs; result: Array<ConversationDto> };
  list_messages: { args: ListMessagesArgs; result: Array<MessageDto> };
  open_conversation: { args: IdArgs; result: ConversationDto };
  send_text: { args: SendTextArgs; result: MessageDto };
  search: { args: SearchArgs; result: Array<SearchHitDto> };
  save_draft: { args: SaveDraftArgs; result: null };
  list_labels: { args: null; result: Array<string> };
  retry_message: { args: IdArgs; result: MessageDto };
  retry_media: { args: IdArgs; result: MediaDto };
  open_media: { args: IdArgs; result: null };
  send_media: { args: SendMediaArgs; result: MessageDto };
  list_templates: { args: AccountArgs; result: Array<TemplateDto> };
  send_template: { args: SendTemplateArgs; result: MessageDto };
  wizard_test_meta: { args: WizardMetaArgs; result: ConnectionInfoDto };
  wizard_add_meta: { args: WizardMetaArgs; result: WizardAddedDto };
  wizard_add_wasender: { args: WizardWasenderArgs; result: WizardAddedDto };
  wizard_unipile_accounts: { args: WizardUnipileArgs; result: Array<UnipileAccountDto> };
  wizard_add_unipile: { args: WizardAddUnipileArgs; result: Array<WizardAddedDto> };
  wizard_import_env: { args: WizardPathArgs; result: EnvImportDto };
  wizard_create_from_env: { args: WizardPathArgs; result: Array<WizardAddedDto> };
  wizard_add_demo: { args: null; result: AccountDto };
  wizard_first_sync: { args: WizardSyncArgs; result: Array<FirstSyncStepDto> };
  wizard_test_wasender: { args: WizardWasenderArgs; result: ConnectionInfoDto };
  wizard_import_env_text: { args: WizardTextArgs; result: EnvImportDto };
  wizard_create_from_env_text: { args: WizardTextArgs; result: Array<WizardAddedDto> };
  wizard_unipile_connect: { args: WizardUnipileArgs; result: UnipileLinkDto };
  wizard_unipile_wait: { args: WizardUnipileWaitArgs; result: UnipileAccountDto };
  wizard_import_export: { args: WizardExportArgs; result: Array<WizardAddedDto> };
  accounts_set_enabled: { args: AccountEnabledArgs; result: AccountDto };
  accounts_remove: { args: WizardSyncArgs; result: null };
  wizard_public_address: { args: WizardSyncArgs; result: PublicAddressDto };
  wizard_start_listener: { args: WizardListenArgs; result: ListenerDto };
  wizard_start_tunnel: { args: WizardTunnelArgs; result: TunnelStartedDto };
  wizard_check_public: { args: WizardCheckArgs; result: SelfCheckDto };
  app_about: { args: null; result: AboutDto };
  list_jobs: { args: null; result: Array<JobDto> };
  list_alerts: { args: null; result: Array<AlertDto> };
  get_stats: { args: StatsArgs; result: StatsDto };
  search_conversation: { args: SearchConversationArgs; result: Array<number> };
  set_conversation_flags: { args: ConversationFlagsArgs; result: ConversationDto };
  set_conversation_labels: { args: ConversationLabelsArgs; result: ConversationDto };
  mark_unread: { args: IdArgs; result: ConversationDto };
  account_limits: { args: AccountLimitsArgs; result: LimitsDto };
  set_account_limits: { args: SetLimitsArgs; result: LimitsDto };
  open_folder: { args: FolderArgs; result: null };
  vault_status: { args: null; result: VaultStatusDto };
  unlock_vault: { args: UnlockVaultArgs; result: VaultStatusDto };
  passphrase_strength: { args: PassphraseArgs; result: PassphraseStrengthDto };
  public_address_status: { args: null; result: PublicAddressStatusDto };
  public_address_stop: { args: null; result: PublicAddressStatusDto };
  public_address_restart: { args: null; result: PublicAddressStatusDto };
  get_preferences: { args: null; result: PreferencesDto };
  set_preferences: { args: PreferencesDto; result: PreferencesDto };
  set_focused_conversation: { args: FocusArgs; result: null };
  account_health: { args: AccountArgs; result: AccountHealthDto };
  owner_typing: { args: TypingArgs; result: "sent" | "too_soon" | "off" | "nothing_to_answer" | "not_supported" };
  schedule_text: { args: ScheduleTextArgs; result: ScheduledDto };
  schedule_template: { args: ScheduleTemplateArgs; result: ScheduledDto };
  list_scheduled: { args: ScheduledListArgs; result: Array<ScheduledDto> };
  cancel_scheduled: { args: IdArgs; result: ScheduledDto };
  bulk_check: { args: BulkArgs; result: BulkReportDto };
  bulk_start: { args: BulkArgs; result: BulkStartDto };
  bulk_jobs: { args: BulkListArgs; result: Array<BulkJobDto> };
  bulk_job: { args: IdArgs; result: BulkJobDto };
  bulk_pause: { args: IdArgs; result: BulkJobDto };
  bulk_resume: { args: IdArgs; result: BulkJobDto };
  bulk_cancel: { args: IdArgs; result: BulkJobDto };
  list_quick_replies: { args: null; result: Array<QuickReplyDto> };
  save_quick_reply: { args: SaveQuickReplyArgs; result: QuickReplyDto };
  remove_quick_reply: { args: ShortcutArgs; result: QuickReplyDto };
  fill_quick_reply: { args: FillQuickReplyArgs; result: FilledQuickReplyDto };
  list_notes: { args: NotesArgs; result: Array<NoteDto> };
  add_note: { args: AddNoteArgs; result: NoteDto };
  edit_note: { args: EditNoteArgs; result: NoteDto };
  delete_note: { args: IdArgs; result: NoteDto };
  snooze_conversation: { args: SnoozeArgs; result: ConversationDto };
  unsnooze_conversation: { args: IdArgs; result: ConversationDto };
  add_reminder: { args: AddReminderArgs; result: ReminderDto };
  list_reminders: { args: ListRemindersArgs; result: Array<ReminderDto> };
  cancel_reminder: { args: IdArgs; result: ReminderDto };
  backup_status: { args: null; result: BackupStatusDto };
  backup_set_schedule: { args: BackupScheduleArgs; result: BackupStatusDto };
  backup_create: { args: BackupCreateArgs; result: BackupCreatedDto };
  backup_restore: { args: BackupRestoreArgs; result: BackupRestoredDto };
  contact_export: { args: ContactExportArgs; result: ContactExportDto };
  contact_erase: { args: ContactEraseArgs; result: ContactErasedDto };
  contact_merge_candidates: { args: ContactIdArgs; result: Array<MergeCandidateDto> };
  contact_merge: { args: ContactMergeArgs; result: ContactMergedDto };
  contact_merge_undo: { args: ContactMergeUndoArgs; result: ContactMergeUndoneDto };
  contact_merge_undo_offer: { args: ContactIdArgs; result: MergeUndoOfferDto | null };
  contact_suggestions: { args: ContactIdArgs; result: Array<MergeSuggestionDto> };
  contact_suggestion_dismiss: { args: SuggestionDismissArgs; result: null };
  webhook_listener: { args: null; result: WebhookListenerDto };
  set_webhook_listener: { args: SetWebhookListenerArgs; result: WebhookListenerDto };
  account_polling: { args: AccountArgs; result: PollingDto };
  set_account_polling: { args: SetPollingArgs; result: PollingDto };
  data_export: { args: DataExportArgs; result: DataExportDto };
  data_import: { args: DataImportArgs; result: Array<ImportedTableDto> };
  get_auto_replies: { args: null; result: AutoRepliesDto };
  set_auto_replies: { args: SetAutoRepliesArgs; result: AutoRepliesDto };
  lock_status: { args: null; result: LockStatusDto };
  lock_now: { args: null; result: LockStatusDto };
  unlock_app: { args: UnlockAppArgs; result: LockStatusDto };
  lock_set_passphrase: { args: LockSetPassphraseArgs; result: LockStatusDto };
  lock_turn_off: { args: UnlockAppArgs; result: LockStatusDto };
  lock_set_idle: { args: LockIdleArgs; result: LockStatusDto };
  media_usage: { args: null; result: MediaUsageDto };
  set_media_limit: { args: SetMediaLimitArgs; result: MediaPruneDto };
  media_prune: { args: null; result: MediaPruneDto };
  redownload_media: { args: IdArgs; result: MediaDto };
};

/** Every event the shell emits, with its payload. */
export type Events = {
  "message-changed": MessageDto;
  "conversation-changed": ConversationDto;
  "store-changed": null;
  "engine-changed": EngineState;
  "wizard-progress": WizardProgress;
  "message-received": MessageReceivedEvent;
  "status-changed": MessageDto;
  "conversation-updated": ConversationDto;
  "sync-progress": SyncProgressEvent;
  "account-state": AccountDto;
  "open-conversation": OpenConversationEvent;
  "public-address-changed": PublicAddressChanged;
  "public-address-health": PublicAddressStatusDto;
  "alerts-changed": null;
};
