//! Quick replies and private notes in the window. Quick replies: managed in
//! Settings, offered by the composer on `/`, filled for the conversation's
//! contact (`fill_quick_reply`: the text, and the file as bytes the composer
//! attaches like a picked one). Notes: on the contact and on the
//! conversation, shown in the contact panel and the chat as private. The
//! rules are the core's (`wicket_core::quick_replies`, `store::notes`).

use crate::dto::{CommandError, IdArgs};
use crate::ipc_bytes;
use crate::state::AppState;
use serde::{Deserialize, Serialize};
use tauri::State;
use ts_rs::TS;
use wicket_core::quick_replies::{self as qr, FileChange, FileSource};
use wicket_core::store::notes::{Note, NoteTarget};
use wicket_core::store::quick_replies::QuickReply;

type Res<T> = Result<T, CommandError>;

/// A saved answer (its text with the placeholders unfilled).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct QuickReplyDto {
    pub id: i64,
    pub shortcut: String,
    pub text: String,
    /// The attached file's name, when it has one.
    pub file_name: Option<String>,
    pub mime_type: Option<String>,
}

impl From<&QuickReply> for QuickReplyDto {
    fn from(q: &QuickReply) -> QuickReplyDto {
        QuickReplyDto { id: q.id, shortcut: q.shortcut.clone(), text: q.text.clone(), file_name: q.file_name.clone(), mime_type: q.mime_type.clone() }
    }
}

/// A file picked in the window: its name; its bytes are the raw IPC body
/// (`ipc_bytes.rs`).
#[derive(Debug, Clone, Deserialize, TS)]
pub struct FileArg {
    pub file_name: String,
}

/// A quick reply to add (no `id`) or to change.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct SaveQuickReplyArgs {
    #[ts(optional)]
    pub id: Option<i64>,
    pub shortcut: String,
    pub text: String,
    /// A new file (replaces the old one).
    #[ts(optional)]
    pub file: Option<FileArg>,
    /// Remove the file it has (when no new one is given).
    #[ts(optional)]
    pub remove_file: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct ShortcutArgs {
    pub shortcut: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct FillQuickReplyArgs {
    pub shortcut: String,
    pub conversation_id: i64,
}

/// A quick reply filled for a conversation's contact: what the composer inserts.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct FilledQuickReplyDto {
    pub text: String,
    pub file_name: Option<String>,
    pub mime_type: Option<String>,
    /// The reply's file, when it has one: the composer fetches its bytes from
    /// `wicket-media://localhost/quick-reply/{id}` and attaches them like a
    /// picked file (bytes as bytes: never base64 through the IPC).
    pub file_quick_reply_id: Option<i64>,
}

#[tauri::command]
pub async fn list_quick_replies(state: State<'_, AppState>) -> Res<Vec<QuickReplyDto>> {
    Ok(state.store()?.quick_replies()?.iter().map(QuickReplyDto::from).collect())
}

/// Adds or edits a quick reply (Settings). The arguments come in the
/// header and a new file's bytes as the raw body (`ipc_bytes.rs`).
#[tauri::command]
pub async fn save_quick_reply(state: State<'_, AppState>, request: tauri::ipc::Request<'_>) -> Res<QuickReplyDto> {
    let args: SaveQuickReplyArgs = ipc_bytes::args(&request, "save_quick_reply")?;
    let source = match &args.file {
        Some(f) => Some(FileSource::Bytes { name: &f.file_name, bytes: ipc_bytes::bytes(&request, &f.file_name)? }),
        None => None,
    };
    let mut store = state.store()?;
    let q = match args.id {
        None => qr::add(&mut store, &state.dir, &args.shortcut, &args.text, source)?,
        Some(id) => {
            let change = match (source, args.remove_file.unwrap_or(false)) {
                (Some(s), _) => FileChange::Replace(s),
                (None, true) => FileChange::Remove,
                (None, false) => FileChange::Keep,
            };
            qr::edit(&mut store, &state.dir, id, &args.shortcut, &args.text, change)?
        }
    };
    Ok(QuickReplyDto::from(&q))
}

#[tauri::command]
pub async fn remove_quick_reply(state: State<'_, AppState>, args: ShortcutArgs) -> Res<QuickReplyDto> {
    let mut store = state.store()?;
    Ok(QuickReplyDto::from(&qr::remove(&mut store, &state.dir, &args.shortcut)?))
}

/// The quick reply filled for the conversation's contact, with its file.
#[tauri::command]
pub async fn fill_quick_reply(state: State<'_, AppState>, args: FillQuickReplyArgs) -> Res<FilledQuickReplyDto> {
    let store = state.store()?;
    let q = store.quick_reply(args.shortcut.trim_start_matches('/'))?;
    let conversation = store.conversation(args.conversation_id)?;
    let text = qr::fill_for(&q, &conversation.contact, &store.default_country()?);
    // A missing file is said now, while the owner is choosing the reply.
    let file = match q.file_path {
        Some(_) => {
            wicket_core::media::quick_reply_file(&store, &state.dir, q.id)?;
            Some(q.id)
        }
        None => None,
    };
    Ok(FilledQuickReplyDto { text, file_name: q.file_name.clone(), mime_type: q.mime_type.clone(), file_quick_reply_id: file })
}

/// A private note, on a contact (`contact_id`) or a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct NoteDto {
    pub id: i64,
    pub contact_id: Option<i64>,
    pub conversation_id: Option<i64>,
    pub text: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<&Note> for NoteDto {
    fn from(n: &Note) -> NoteDto {
        NoteDto {
            id: n.id,
            contact_id: n.contact_id,
            conversation_id: n.conversation_id,
            text: n.text.clone(),
            created_at: n.created_at,
            updated_at: n.updated_at,
        }
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct NotesArgs {
    pub conversation_id: i64,
}

/// A note on the conversation, or on its contact (`on_contact`).
#[derive(Debug, Clone, Deserialize, TS)]
pub struct AddNoteArgs {
    pub conversation_id: i64,
    #[ts(optional)]
    pub on_contact: Option<bool>,
    pub text: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct EditNoteArgs {
    pub id: i64,
    pub text: String,
}

/// The conversation's notes and its contact's, oldest first.
#[tauri::command]
pub async fn list_notes(state: State<'_, AppState>, args: NotesArgs) -> Res<Vec<NoteDto>> {
    Ok(state.store()?.notes_for_chat(args.conversation_id)?.iter().map(NoteDto::from).collect())
}

#[tauri::command]
pub async fn add_note(state: State<'_, AppState>, args: AddNoteArgs) -> Res<NoteDto> {
    let mut store = state.store()?;
    let target = if args.on_contact.unwrap_or(false) {
        NoteTarget::Contact(store.conversation(args.conversation_id)?.contact.id)
    } else {
        NoteTarget::Conversation(args.conversation_id)
    };
    Ok(NoteDto::from(&store.add_note(target, &args.text)?))
}

#[tauri::command]
pub async fn edit_note(state: State<'_, AppState>, args: EditNoteArgs) -> Res<NoteDto> {
    Ok(NoteDto::from(&state.store()?.edit_note(args.id, &args.text)?))
}

#[tauri::command]
pub async fn delete_note(state: State<'_, AppState>, args: IdArgs) -> Res<NoteDto> {
    Ok(NoteDto::from(&state.store()?.delete_note(args.id)?))
}
