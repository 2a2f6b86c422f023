//! The Tauri commands: each takes the state, makes one call into the core and
//! converts the result to the DTOs of `dto.rs` (errors to `{code, message}`).
//! No rules live here; what a command changes is announced with an event
//! (`events.rs`) so every view updates without polling.
//!
//! Commands are `async` so they run on Tauri's thread pool, never on the
//! main (GTK) thread; the store calls themselves are short and synchronous.

use crate::dto::*;
use crate::events;
use crate::state::AppState;
use tauri::{AppHandle, Runtime, State};
use wicket_core::outbox;
use wicket_core::providers::OutgoingContent;
use wicket_core::store::ConversationFilter;
use wicket_core::Error;

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
        label: None,
        limit: args.limit.unwrap_or(100) as usize,
        before: args.before.map(|c| (c.last_activity_at, c.id)),
    };
    let country = store.default_country()?;
    Ok(store.conversations(&filter)?.iter().map(|c| ConversationDto::new(c, &country)).collect())
}

#[tauri::command]
pub async fn list_messages(state: State<'_, AppState>, args: ListMessagesArgs) -> Res<Vec<MessageDto>> {
    let store = state.store()?;
    let page = store.messages_page(args.conversation_id, args.before, args.limit.clamp(1, 500) as usize)?;
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

/// The owner opened the conversation: it is read now.
#[tauri::command]
pub async fn open_conversation<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>, args: IdArgs) -> Res<ConversationDto> {
    let conv = {
        let mut store = state.store()?;
        store.mark_conversation_read(args.id)?;
        ConversationDto::new(&store.conversation(args.id)?, &store.default_country()?)
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
        let quote = m.reply_to_id.map(|id| store.message(id)).transpose()?;
        let conv = ConversationDto::new(&store.conversation(m.conversation_id)?, &store.default_country()?);
        (MessageDto::new(&m, quote.as_ref()), conv)
    };
    events::message_changed(&app, &message);
    events::conversation_changed(&app, &conv);
    Ok(message)
}

#[tauri::command]
pub async fn search(state: State<'_, AppState>, args: SearchArgs) -> Res<Vec<SearchHitDto>> {
    let store = state.store()?;
    Ok(store.search(&args.query, 50)?.into_iter().map(SearchHitDto::from).collect())
}

#[tauri::command]
pub async fn save_draft(state: State<'_, AppState>, args: SaveDraftArgs) -> Res<()> {
    let mut store = state.store()?;
    Ok(store.set_draft(args.conversation_id, args.text.as_deref())?)
}
