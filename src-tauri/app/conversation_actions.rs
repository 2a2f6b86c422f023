//! What the owner does to a conversation from the window (the chat header,
//! the command palette, the keyboard): archive, pin, mute, mark unread,
//! label. Each answers the conversation as it now is, and tells other views.

use crate::dto::{CommandError, ConversationDto, IdArgs};
use crate::state::AppState;
use serde::Deserialize;
use tauri::{AppHandle, Runtime, State};
use ts_rs::TS;

type Res<T> = Result<T, CommandError>;

#[derive(Debug, Clone, Deserialize, TS)]
pub struct ConversationFlagsArgs {
    pub id: i64,
    /// null: unchanged.
    pub pinned: Option<bool>,
    pub archived: Option<bool>,
    pub muted: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct ConversationLabelsArgs {
    pub id: i64,
    /// The whole set (empty clears it); blank names are dropped.
    pub labels: Vec<String>,
}

fn answer<R: Runtime>(app: &AppHandle<R>, state: &AppState, id: i64) -> Res<ConversationDto> {
    let dto = {
        let store = state.store()?;
        ConversationDto::new(&store.conversation(id)?, &store.default_country()?)
    };
    crate::events::conversation_changed(app, &dto);
    crate::tray::update_unread(app);
    Ok(dto)
}

#[tauri::command]
pub fn set_conversation_flags<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>, args: ConversationFlagsArgs) -> Res<ConversationDto> {
    state.store()?.set_conversation_flags(args.id, args.pinned, args.archived, args.muted)?;
    answer(&app, &state, args.id)
}

#[tauri::command]
pub fn set_conversation_labels<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>, args: ConversationLabelsArgs) -> Res<ConversationDto> {
    state.store()?.set_conversation_labels(args.id, &args.labels)?;
    answer(&app, &state, args.id)
}

#[tauri::command]
pub fn mark_unread<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>, args: IdArgs) -> Res<ConversationDto> {
    state.store()?.mark_conversation_unread(args.id)?;
    answer(&app, &state, args.id)
}

/// The commands whose answers `tests` records.
#[cfg(test)]
pub const ACTION_COMMANDS: &[&str] = &["set_conversation_flags", "set_conversation_labels", "mark_unread"];

#[cfg(test)]
mod tests {
    use crate::tests::{golden, Harness};
    use serde_json::{json, Value};

    /// Through the real handlers on the sample inbox; recorded as `tests/ui/fixtures/actions.json`.
    #[test]
    fn conversation_actions_answer_through_ipc_and_record_the_ui_fixture() {
        let h = Harness::new();
        let list = h.ok("list_conversations", json!({ "filter": "all" }));
        let c = list.as_array().unwrap().iter().find(|c| c["unread_count"] == 0 && c["archived"] == false).unwrap().clone();
        let id = c["id"].clone();
        let mut fx = serde_json::Map::new();

        let archived = h.ok("set_conversation_flags", json!({ "id": id, "pinned": null, "archived": true, "muted": null }));
        assert_eq!((archived["archived"].as_bool(), archived["pinned"].clone()), (Some(true), c["pinned"].clone()), "only what was asked changes");
        let all = h.ok("list_conversations", json!({ "filter": "all" }));
        assert!(!all.as_array().unwrap().iter().any(|x| x["id"] == id), "an archived conversation leaves the inbox");
        let shelf = h.ok("list_conversations", json!({ "filter": "archived" }));
        assert!(shelf.as_array().unwrap().iter().any(|x| x["id"] == id), "and is in Archived");
        fx.insert("archived".into(), archived);
        let back = h.ok("set_conversation_flags", json!({ "id": id, "pinned": true, "archived": false, "muted": true }));
        assert_eq!((back["archived"].as_bool(), back["pinned"].as_bool(), back["muted"].as_bool()), (Some(false), Some(true), Some(true)));
        fx.insert("pinned_muted".into(), back);

        let unread = h.ok("mark_unread", json!({ "id": id }));
        assert_eq!(unread["unread_count"], 1, "marked unread: one, until opened");
        let opened = h.ok("open_conversation", json!({ "id": id }));
        assert_eq!(opened["unread_count"], 0, "opening it reads it again");
        fx.insert("mark_unread".into(), unread);

        let labelled = h.ok("set_conversation_labels", json!({ "id": id, "labels": ["vip", " ", "order"] }));
        let mut labels: Vec<String> = labelled["labels"].as_array().unwrap().iter().map(|l| l.as_str().unwrap().to_string()).collect();
        labels.sort();
        assert_eq!(labels, ["order", "vip"], "blank names are dropped");
        assert!(h.ok("list_labels", Value::Null).as_array().unwrap().iter().any(|l| l == "vip"), "a new label is offered everywhere");
        fx.insert("labelled".into(), labelled);

        let missing = h.call("mark_unread", json!({ "id": 999_999 })).unwrap_err();
        assert_eq!(missing["code"], "not_found", "{missing}");
        fx.insert("missing".into(), missing);
        golden("tests/ui/fixtures/actions.json", &(serde_json::to_string_pretty(&Value::Object(fx)).unwrap() + "\n"));
    }
}
