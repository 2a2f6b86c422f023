//! The Tauri commands: each takes the state, makes one call into the core and
//! converts the result to the DTOs of `dto.rs` (errors to `{code, message}`).
//! No rules live here; what a command changes is announced with an event
//! (`events.rs`) so every view updates without polling.
//!
//! Commands are `async` so they run on Tauri's thread pool, never on the
//! main (GTK) thread; the store calls themselves are short and synchronous.

use crate::dto::*;
use crate::events;
use crate::ipc_bytes;
use crate::state::AppState;
use tauri::{AppHandle, Runtime, State};
use wicket_core::providers::meta::templates::required_params;
use wicket_core::providers::{MediaSource, OutgoingContent, TemplateParam};
use wicket_core::store::ConversationFilter;
use wicket_core::{inbox, media, outbox, Error};

type Res<T> = Result<T, CommandError>;

#[tauri::command]
pub async fn app_info(state: State<'_, AppState>) -> Res<AppInfo> {
    Ok(state.info())
}

#[tauri::command]
pub async fn list_accounts(state: State<'_, AppState>) -> Res<Vec<AccountDto>> {
    let store = state.store()?;
    let country = store.default_country()?;
    Ok(store.accounts()?.iter().map(|a| AccountDto::new(a, &country)).collect())
}

#[tauri::command]
pub async fn list_conversations(state: State<'_, AppState>, args: ListConversationsArgs) -> Res<Vec<ConversationDto>> {
    let store = state.store()?;
    let filter = ConversationFilter {
        account_id: args.account_id,
        unread_only: args.filter == ListFilter::Unread,
        archived: args.filter == ListFilter::Archived,
        snoozed: args.filter == ListFilter::Snoozed,
        label: args.label.filter(|l| !l.trim().is_empty()),
        limit: args.limit.unwrap_or(100) as usize,
        before: args.before.map(|c| (c.pinned.unwrap_or(false), c.last_activity_at, c.id)),
    };
    let country = store.default_country()?;
    Ok(store.conversations(&filter)?.iter().map(|c| ConversationDto::new(c, &country)).collect())
}

/// The in-conversation search (Ctrl+F in a chat): matching message ids, newest first.
#[tauri::command]
pub fn search_conversation(state: State<'_, AppState>, args: SearchConversationArgs) -> Res<Vec<i64>> {
    Ok(state.store()?.search_in_conversation(args.conversation_id, &args.query, 1000)?)
}

#[tauri::command]
pub async fn list_messages(state: State<'_, AppState>, args: ListMessagesArgs) -> Res<Vec<MessageDto>> {
    let store = state.store()?;
    let limit = args.limit.clamp(1, 500) as usize;
    let page = match (args.around, args.after) {
        (Some(id), _) => store.messages_around(args.conversation_id, id, limit)?,
        (None, Some(id)) => store.messages_after(args.conversation_id, id, limit)?,
        (None, None) => store.messages_page(args.conversation_id, args.before, limit)?,
    };
    page.iter()
        .map(|m| {
            // The quoted message: from this page when it is there, else the store.
            let quote = match m.reply_to_id {
                Some(id) => match page.iter().find(|q| q.id == id) {
                    Some(q) => Some(q.clone()),
                    None => Some(store.message(id)?),
                },
                None => None,
            };
            Ok(MessageDto::new(m, quote.as_ref()))
        })
        .collect()
}

/// The owner opened the conversation: `inbox::open_locally` reads it under
/// the shared connection's lock, then (per the `mark_read_on_provider`
/// setting) the provider is told and a nameless contact looked up without
/// holding it, so a slow provider never holds up the window's other reads.
/// No connection and no secret store is opened here: the app keeps one of each.
#[tauri::command]
pub async fn open_conversation<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>, args: IdArgs) -> Res<ConversationDto> {
    let id = args.id;
    let data_dir_id = state.store()?.data_dir_id()?;
    // Without a secret store the conversation is still read here; the
    // provider is not told (inbox says why in a warning).
    let secrets = state.secrets.open_or_memory(&data_dir_id);
    let (mut opened, provider) = inbox::open_locally(&mut *state.store()?, &secrets, id)?;
    if let Some(provider) = provider {
        let found = provider.call(&mut opened.warnings).await;
        opened.enriched = provider.save(&mut *state.store()?, found, &mut opened.warnings)?;
    }
    for w in &opened.warnings {
        tracing::info!(conversation = id, "{w}");
    }
    let conv = {
        let store = state.store()?;
        ConversationDto::new(&store.conversation(id)?, &store.default_country()?)
    };
    events::conversation_changed(&app, &conv);
    Ok(conv)
}

/// Queues a text message (the engine sends it) and returns it as stored.
#[tauri::command]
pub async fn send_text<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>, args: SendTextArgs) -> Res<MessageDto> {
    let (message, conv) = {
        let mut store = state.store()?;
        if args.text.trim().is_empty() {
            return Err(Error::Invalid("the message is empty".into()).into());
        }
        let content = OutgoingContent::Text { body: args.text, preview_url: false };
        let m = match (args.conversation_id, args.account_id, args.to.as_deref()) {
            (Some(id), _, _) => outbox::queue_in_conversation(&mut store, id, content, args.reply_to)?,
            (None, Some(account), Some(to)) => {
                let account = store.account(account)?;
                outbox::queue(&mut store, &account, to, content, args.reply_to)?
            }
            _ => return Err(Error::Invalid("send_text needs conversation_id, or account_id and to".into()).into()),
        };
        queued(&store, &m)?
    };
    Ok(announce_queued(&app, message, conv))
}

#[tauri::command]
pub async fn search(state: State<'_, AppState>, args: SearchArgs) -> Res<Vec<SearchHitDto>> {
    let store = state.store()?;
    // The window searches as the owner types: the last word is a prefix until a space.
    let filter = wicket_core::search::SearchFilter {
        account_id: args.account_id,
        label: args.label.filter(|l| !l.trim().is_empty()),
        since: args.since,
        until: args.until,
        has_media: args.has_media.unwrap_or(false),
    };
    let limit = args.limit.unwrap_or(50).clamp(1, 500) as usize;
    Ok(store.search_filtered(&args.query, limit, wicket_core::search::Matching::AsYouType, &filter)?.into_iter().map(SearchHitDto::from).collect())
}

#[tauri::command]
pub async fn save_draft(state: State<'_, AppState>, args: SaveDraftArgs) -> Res<()> {
    let mut store = state.store()?;
    Ok(store.set_draft(args.conversation_id, args.text.as_deref())?)
}

/// The labels in use, for the list's label filter.
#[tauri::command]
pub async fn list_labels(state: State<'_, AppState>) -> Res<Vec<String>> {
    Ok(state.store()?.conversation_labels()?)
}

/// Sends a failed message again, at the owner's request (the outbox checks
/// it may be: a closed Meta window still refuses free text).
#[tauri::command]
pub async fn retry_message<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>, args: IdArgs) -> Res<MessageDto> {
    let message = {
        let mut store = state.store()?;
        let m = outbox::retry(&mut store, args.id)?;
        let quote = m.reply_to_id.map(|id| store.message(id)).transpose()?;
        MessageDto::new(&m, quote.as_ref())
    };
    events::message_changed(&app, &message);
    Ok(message)
}

/// Downloads a failed media file again (the engine's next media tick).
#[tauri::command]
pub async fn retry_media(state: State<'_, AppState>, args: IdArgs) -> Res<MediaDto> {
    let mut store = state.store()?;
    Ok(MediaDto::from(&media::retry_download(&mut store, args.id)?))
}

/// Opens a downloaded file with the desktop's app for it. Only files of the
/// media folder, by media id: the window never names a path.
#[tauri::command]
pub async fn open_media<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>, args: IdArgs) -> Res<()> {
    use tauri_plugin_opener::OpenerExt;
    let file = media::local_file(&*state.store()?, &state.dir, args.id)?;
    app.opener()
        .open_path(file.path.display().to_string(), None::<&str>)
        .map_err(|e| Error::Invalid(format!("no app opened {}: {e}", file.file_name.as_deref().unwrap_or("the file"))).into())
}

/// Queues an attachment: the window sends its bytes as the raw IPC body
/// (its arguments in a header: `ipc_bytes.rs`), the core keeps them under
/// `media/` and queues the send.
#[tauri::command]
pub async fn send_media<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>, request: tauri::ipc::Request<'_>) -> Res<MessageDto> {
    let args: SendMediaArgs = ipc_bytes::args(&request, "send_media")?;
    let bytes = ipc_bytes::bytes(&request, &args.file_name)?;
    let (message, conv) = {
        let mut store = state.store()?;
        let attachment = media::Attachment { file_name: &args.file_name, mime: &args.mime, bytes, caption: args.caption };
        let m = media::queue_attachment(&mut store, &state.dir, args.conversation_id, attachment, args.reply_to)?;
        queued(&store, &m)?
    };
    Ok(announce_queued(&app, message, conv))
}

/// The account's templates (Meta), what the composer offers when the
/// customer-service window is closed: the approved ones to pick, and those
/// Meta paused, rejected or disabled marked with why (never sendable).
/// Ones still in review or deleted are left out.
#[tauri::command]
pub async fn list_templates(state: State<'_, AppState>, args: AccountArgs) -> Res<Vec<TemplateDto>> {
    let store = state.store()?;
    let shown = |s: &str| matches!(s.to_ascii_uppercase().as_str(), "APPROVED" | "PAUSED" | "REJECTED" | "DISABLED" | "FLAGGED" | "LIMIT_EXCEEDED" | "LOCKED");
    let mut list: Vec<TemplateDto> = store.templates(args.account_id)?.iter().filter(|t| shown(&t.status)).map(TemplateDto::new).collect();
    // The ones that can be sent first.
    list.sort_by_key(|t| !t.sendable);
    Ok(list)
}

/// Queues an approved template with its parameters (checked by the outbox
/// against the synced template).
#[tauri::command]
pub async fn send_template<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>, args: SendTemplateArgs) -> Res<MessageDto> {
    let conversation_id = args.conversation_id;
    let content = template_content(&state, args)?;
    let (message, conv) = {
        let mut store = state.store()?;
        let m = outbox::queue_in_conversation(&mut store, conversation_id, content, None)?;
        queued(&store, &m)?
    };
    Ok(announce_queued(&app, message, conv))
}

/// The template's content from the window's fields. A media header (image,
/// video, document) comes as an https:// link only: the window never names
/// a local file to upload.
pub(crate) fn template_content(state: &AppState, args: SendTemplateArgs) -> Res<OutgoingContent> {
    let param = |p: TemplateParamArg| match p.name {
        Some(name) => TemplateParam::Named { name, value: p.value },
        None => TemplateParam::Positional(p.value),
    };
    let header_media = {
        let store = state.store()?;
        let account = store.conversation(args.conversation_id)?.account_id;
        store.template(account, &args.name, &args.language).ok().and_then(|t| required_params(&t).header_media)
    };
    let header_params: Vec<TemplateParam> = match header_media.as_deref() {
        Some(format @ ("IMAGE" | "VIDEO" | "DOCUMENT")) => args
            .header_params
            .into_iter()
            .map(|p| match p.value.trim() {
                link if link.starts_with("https://") => {
                    Ok(TemplateParam::Media { format: format.to_ascii_lowercase(), source: MediaSource::Link(link.to_string()), filename: None })
                }
                _ => Err(Error::Invalid(format!("the template's {} header needs an https:// link to the file", format.to_ascii_lowercase()))),
            })
            .collect::<Result<_, Error>>()?,
        _ => args.header_params.into_iter().map(param).collect(),
    };
    Ok(OutgoingContent::Template {
        name: args.name,
        language: args.language,
        header_params,
        body_params: args.body_params.into_iter().map(param).collect(),
        button_params: args.button_params.into_iter().map(|b| (b.index, b.value)).collect(),
    })
}

/// A message just queued, as the UI shows it (with the message it quotes),
/// and its conversation as it is now.
fn queued(store: &wicket_core::Store, m: &wicket_core::store::messages::Message) -> Result<(MessageDto, ConversationDto), Error> {
    let quote = m.reply_to_id.map(|id| store.message(id)).transpose()?;
    let conv = ConversationDto::new(&store.conversation(m.conversation_id)?, &store.default_country()?);
    Ok((MessageDto::new(m, quote.as_ref()), conv))
}

/// Tells every view about a queued message (the engine settles it later).
fn announce_queued<R: Runtime>(app: &AppHandle<R>, message: MessageDto, conv: ConversationDto) -> MessageDto {
    events::message_changed(app, &message);
    events::conversation_changed(app, &conv);
    message
}
