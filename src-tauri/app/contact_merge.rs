//! One contact across identities in the window: the contact panel's "Merge
//! with…" (the people it can merge with, then the merge), the suggestion
//! shown for its contact ("Looks like the same person as X: why"), "Not the
//! same", and the undo the toast offers. Commands of a few lines over
//! `wicket_core::contact_merge`; the lists reload on `store-changed`.

use crate::dto::CommandError;
use crate::state::AppState;
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Runtime, State};
use ts_rs::TS;
use wicket_core::contact_merge::{self, suggest};
use wicket_core::store::contacts::display_name;

type Res<T> = Result<T, CommandError>;

/// The commands of this file (their fixtures are recorded by `contact_merge_tests.rs`).
#[cfg(test)]
pub const MERGE_COMMANDS: &[&str] =
    &["contact_merge_candidates", "contact_merge", "contact_merge_undo", "contact_merge_undo_offer", "contact_suggestions", "contact_suggestion_dismiss"];

#[derive(Debug, Clone, Deserialize, TS)]
pub struct ContactIdArgs {
    pub contact_id: i64,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct ContactMergeArgs {
    /// The contact kept (the panel's).
    pub keep_id: i64,
    /// The contact merged into it and removed.
    pub other_id: i64,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct ContactMergeUndoArgs {
    /// The merge the toast offers to undo: refused once a later merge replaced it.
    #[ts(optional)]
    pub merge_id: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct SuggestionDismissArgs {
    pub contact_id: i64,
    pub other_id: i64,
}

/// A person of the same account the panel's contact can be merged with.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct MergeCandidateDto {
    pub contact_id: i64,
    pub display_name: String,
    /// E.164, or null for a contact known only by an id.
    pub phone: Option<String>,
    pub provider_user_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ContactMergedDto {
    pub merge_id: i64,
    pub kept_id: i64,
    pub kept_name: String,
    pub removed_id: i64,
    pub removed_name: String,
    pub conversation_id: Option<i64>,
    pub messages_moved: i64,
    pub notes_moved: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ContactMergeUndoneDto {
    pub merge_id: i64,
    pub kept_id: i64,
    pub restored_id: i64,
    pub restored_conversation_id: Option<i64>,
    pub messages_moved_back: i64,
}

/// Two contacts that look like one person, with why.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct MergeSuggestionDto {
    /// The other contact (not the one asked about).
    pub other_id: i64,
    pub other_name: String,
    /// `meta_user_id`, `meta_username`, `wasender_lid`, `unipile_attendee`, `formatting` or `brazil_ninth_digit`.
    pub kind: String,
    pub reason: String,
}

/// The people of the contact's account it can be merged with (not itself, no groups), by name.
#[tauri::command]
pub fn contact_merge_candidates(state: State<'_, AppState>, args: ContactIdArgs) -> Res<Vec<MergeCandidateDto>> {
    let store = state.store()?;
    let me = store.contact(args.contact_id)?;
    let country = store.default_country()?;
    let mut out: Vec<MergeCandidateDto> = store
        .contacts(Some(me.account_id))?
        .iter()
        .filter(|c| c.id != me.id && !c.is_group && !me.is_group)
        .map(|c| MergeCandidateDto {
            contact_id: c.id,
            display_name: display_name(c, &country),
            phone: c.phone.clone(),
            provider_user_id: c.provider_user_id.clone(),
        })
        .collect();
    out.sort_by(|a, b| a.display_name.to_lowercase().cmp(&b.display_name.to_lowercase()).then(a.contact_id.cmp(&b.contact_id)));
    Ok(out)
}

#[tauri::command]
pub fn contact_merge<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>, args: ContactMergeArgs) -> Res<ContactMergedDto> {
    let mut store = state.store()?;
    let done = contact_merge::merge(&mut store, args.keep_id, args.other_id)?;
    drop(store);
    crate::events::store_changed(&app);
    Ok(ContactMergedDto {
        merge_id: done.merged.merge_id,
        kept_id: done.merged.kept_id,
        kept_name: done.kept_name,
        removed_id: done.merged.removed_id,
        removed_name: done.removed_name,
        conversation_id: done.merged.conversation_id,
        messages_moved: done.merged.messages_moved as i64,
        notes_moved: done.merged.notes_moved as i64,
    })
}

#[tauri::command]
pub fn contact_merge_undo<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>, args: ContactMergeUndoArgs) -> Res<ContactMergeUndoneDto> {
    let mut store = state.store()?;
    let done = contact_merge::undo(&mut store, args.merge_id)?;
    drop(store);
    crate::events::store_changed(&app);
    Ok(ContactMergeUndoneDto {
        merge_id: done.merge_id,
        kept_id: done.kept_id,
        restored_id: done.restored_id,
        restored_conversation_id: done.restored_conversation_id,
        messages_moved_back: done.messages_moved_back as i64,
    })
}

/// The merge the contact panel can still undo: the latest, when it kept this contact.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct MergeUndoOfferDto {
    pub merge_id: i64,
    /// The contact merged into this one, named as it was.
    pub removed_name: String,
}

/// Undo stays on offer until the next merge, also after the panel was closed.
#[tauri::command]
pub fn contact_merge_undo_offer(state: State<'_, AppState>, args: ContactIdArgs) -> Res<Option<MergeUndoOfferDto>> {
    let store = state.store()?;
    Ok(contact_merge::undo_offer(&store, args.contact_id)?.map(|(merge_id, removed_name)| MergeUndoOfferDto { merge_id, removed_name }))
}

/// The suggestions that involve this contact.
#[tauri::command]
pub fn contact_suggestions(state: State<'_, AppState>, args: ContactIdArgs) -> Res<Vec<MergeSuggestionDto>> {
    let store = state.store()?;
    let list = suggest::suggestions_for(&store, args.contact_id)?;
    Ok(list
        .into_iter()
        .map(|s| {
            let (other_id, other_name) = if s.contact_id == args.contact_id { (s.other_id, s.other_name) } else { (s.contact_id, s.contact_name) };
            let kind = serde_json::to_value(s.kind).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
            MergeSuggestionDto { other_id, other_name, kind, reason: s.reason }
        })
        .collect())
}

/// "Not the same": never suggested again.
#[tauri::command]
pub fn contact_suggestion_dismiss(state: State<'_, AppState>, args: SuggestionDismissArgs) -> Res<()> {
    let mut store = state.store()?;
    contact_merge::dismiss(&mut store, args.contact_id, args.other_id)?;
    Ok(())
}
