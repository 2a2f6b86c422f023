//! Scheduled sending in the window: the composer's "Send later" and the
//! conversation's scheduled messages above it, with Cancel. The rules (the
//! window at the send time, the late limit, the owner's time zone) are the
//! core's (`wicket_core::scheduled`); these commands parse, call, map.
//! The engine's release of a due message reaches the window as
//! `store-changed`, and the chat reads its list again.

use crate::dto::{CommandError, IdArgs, SendTemplateArgs};
use crate::state::AppState;
use serde::{Deserialize, Serialize};
use tauri::State;
use ts_rs::TS;
use wicket_core::providers::OutgoingContent;
use wicket_core::scheduled;
use wicket_core::store::scheduled::{Scheduled, ScheduledFilter};
use wicket_core::Error;

/// A message scheduled for later.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ScheduledDto {
    pub id: i64,
    pub account_id: i64,
    pub conversation_id: i64,
    /// What it sends, in a line.
    pub summary: String,
    pub send_at: i64,
    pub created_at: i64,
    #[ts(type = "\"scheduled\" | \"queued\" | \"failed\" | \"cancelled\"")]
    pub state: String,
    /// The outbox message it became once its time came.
    pub message_id: Option<i64>,
    /// Why it was not sent (too late, or refused at its time).
    pub error: Option<String>,
}

impl From<&Scheduled> for ScheduledDto {
    fn from(s: &Scheduled) -> ScheduledDto {
        ScheduledDto {
            id: s.id,
            account_id: s.account_id,
            conversation_id: s.conversation_id,
            summary: s.summary.clone(),
            send_at: s.send_at,
            created_at: s.created_at,
            state: s.state.as_str().to_string(),
            message_id: s.message_id,
            error: s.error.clone(),
        }
    }
}

/// A text to send later in a conversation.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct ScheduleTextArgs {
    pub conversation_id: i64,
    pub text: String,
    /// RFC 3339 (`2026-03-11T09:00:00.000Z`), or the date-time input's local
    /// `YYYY-MM-DDTHH:MM`, read in the owner's time zone.
    pub send_at: String,
    #[ts(optional)]
    pub reply_to: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct ScheduledListArgs {
    pub conversation_id: i64,
}

/// Schedules a text; refused as a send would be (free text past Meta's
/// 24-hour window at its time: `outside_window`, a template instead).
#[tauri::command]
pub async fn schedule_text(state: State<'_, AppState>, args: ScheduleTextArgs) -> Result<ScheduledDto, CommandError> {
    let mut store = state.store()?;
    if args.text.trim().is_empty() {
        return Err(Error::Invalid("the message is empty".into()).into());
    }
    let send_at = scheduled::parse_send_at(&store, &args.send_at)?;
    let content = OutgoingContent::Text { body: args.text, preview_url: false };
    Ok(ScheduledDto::from(&scheduled::schedule(&mut store, args.conversation_id, content, args.reply_to, None, send_at)?))
}

/// An approved template to send later (the window's template form).
#[derive(Debug, Clone, Deserialize, TS)]
pub struct ScheduleTemplateArgs {
    pub template: SendTemplateArgs,
    /// As for [`ScheduleTextArgs::send_at`].
    pub send_at: String,
}

/// Schedules a template with its parameters, checked now against the synced
/// template (and again at its time). A template may go whatever the window.
#[tauri::command]
pub async fn schedule_template(state: State<'_, AppState>, args: ScheduleTemplateArgs) -> Result<ScheduledDto, CommandError> {
    let conversation_id = args.template.conversation_id;
    let content = crate::commands::template_content(&state, args.template)?;
    let mut store = state.store()?;
    let send_at = scheduled::parse_send_at(&store, &args.send_at)?;
    Ok(ScheduledDto::from(&scheduled::schedule(&mut store, conversation_id, content, None, None, send_at)?))
}

/// The conversation's messages still waiting for their time, soonest first.
#[tauri::command]
pub async fn list_scheduled(state: State<'_, AppState>, args: ScheduledListArgs) -> Result<Vec<ScheduledDto>, CommandError> {
    let store = state.store()?;
    let filter = ScheduledFilter { conversation_id: Some(args.conversation_id), waiting_only: true, limit: 100, ..Default::default() };
    Ok(scheduled::list(&store, &filter)?.iter().map(ScheduledDto::from).collect())
}

/// Cancels a scheduled message still waiting (one already sent says so).
#[tauri::command]
pub async fn cancel_scheduled(state: State<'_, AppState>, args: IdArgs) -> Result<ScheduledDto, CommandError> {
    let mut store = state.store()?;
    Ok(ScheduledDto::from(&scheduled::cancel(&mut store, args.id)?))
}
