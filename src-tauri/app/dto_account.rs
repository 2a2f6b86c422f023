//! What Meta's account-level webhooks said of an account, for its details in
//! the account settings and its banner, and the composer's typing
//! indicator. The rules live in the core (`store::account_health`,
//! `typing`); these commands only read them out or pass a keystroke on.

use crate::dto::CommandError;
use crate::state::AppState;
use serde::{Deserialize, Serialize};
use tauri::State;
use ts_rs::TS;
use wicket_core::store::account_health::{AccountHealth, Attention};
use wicket_core::store::history::HistoryImport;

/// Something about the account that needs the owner, and what to do
/// (issue 11's alerts may take these over).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct AttentionDto {
    /// `template_paused`, `template_rejected`, `quality`, `restricted`, `banned`, …
    pub kind: String,
    /// The template it is about (`name (language)`), if any.
    pub subject: Option<String>,
    pub message: String,
    pub action: String,
    pub since: i64,
}

/// An account's health as Meta last described it; all empty for the gateways.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct AccountHealthDto {
    pub account_id: i64,
    /// `GREEN`, `RED` (flagged), or none reported yet.
    pub quality_rating: Option<String>,
    /// As Meta gave it: `TIER_1K`, `TIER_UNLIMITED`, `2000`…
    pub messaging_limit: Option<String>,
    /// The restrictions in force, in a line.
    pub restriction: Option<String>,
    /// Verification news (`VERIFIED_ACCOUNT`), in a line.
    pub verification: Option<String>,
    /// Empty when all is well.
    pub attention: Vec<AttentionDto>,
    pub updated_at: Option<i64>,
    /// Meta's import of the chats the owner had in the WhatsApp Business app, if any.
    pub history_import: Option<HistoryImportDto>,
}

/// How far Meta's import of the WhatsApp Business app's chats got.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct HistoryImportDto {
    /// `importing`, `done`, `declined` or `failed`.
    pub state: String,
    /// 0–100.
    pub progress: i64,
    pub phase: i64,
    /// Messages imported so far.
    pub messages: i64,
    /// Why it stopped, in the owner's words (declined, failed).
    pub error_message: Option<String>,
}

impl From<&HistoryImport> for HistoryImportDto {
    fn from(h: &HistoryImport) -> HistoryImportDto {
        HistoryImportDto { state: h.state.clone(), progress: h.progress, phase: h.phase, messages: h.messages, error_message: h.error_message.clone() }
    }
}

impl AccountHealthDto {
    pub fn new(account_id: i64, h: &AccountHealth, history: Option<&HistoryImport>) -> AccountHealthDto {
        let restriction = h.restriction.as_ref().and_then(|r| r.as_array()).map(|list| {
            list.iter()
                .map(|r| {
                    let kind = r.get("restriction_type").and_then(|v| v.as_str()).unwrap_or("restricted");
                    match r.get("expiration").and_then(|v| v.as_i64()) {
                        Some(until) => format!("{kind} until {}", wicket_core::time::to_rfc3339(until * 1000)),
                        None => kind.to_string(),
                    }
                })
                .collect::<Vec<_>>()
                .join(", ")
        });
        let verification = h.verification.as_ref().and_then(|v| v.get("event")).and_then(|v| v.as_str()).map(|e| e.replace('_', " ").to_lowercase());
        AccountHealthDto {
            account_id,
            quality_rating: h.quality_rating.clone(),
            messaging_limit: h.messaging_limit.clone(),
            restriction,
            verification,
            attention: h.attention.iter().map(AttentionDto::from).collect(),
            updated_at: h.updated_at,
            history_import: history.map(HistoryImportDto::from),
        }
    }
}

impl From<&Attention> for AttentionDto {
    fn from(a: &Attention) -> AttentionDto {
        AttentionDto { kind: a.kind.clone(), subject: a.subject.clone(), message: a.message.clone(), action: a.action.clone(), since: a.since }
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct TypingArgs {
    pub conversation_id: i64,
}

/// The account's health from Meta's account-level webhooks.
#[tauri::command]
pub async fn account_health(state: State<'_, AppState>, args: crate::dto::AccountArgs) -> Result<AccountHealthDto, CommandError> {
    let store = state.store()?;
    store.account(args.account_id)?;
    Ok(AccountHealthDto::new(args.account_id, &store.account_health(args.account_id)?, store.history_import(args.account_id)?.as_ref()))
}

/// The owner typed in the composer: the core sends Meta's typing indicator
/// when it is due (at most once per 20 s per conversation, per the
/// `typing_indicator` setting). Answers what it did: `sent`, `too_soon`,
/// `off`, `nothing_to_answer`, `not_supported`.
#[tauri::command]
pub async fn owner_typing(state: State<'_, AppState>, args: TypingArgs) -> Result<String, CommandError> {
    use wicket_core::typing::{self, Due};
    let data_dir_id = state.store()?.data_dir_id()?;
    let secrets = state.secrets.open_or_memory(&data_dir_id);
    // Decided and claimed under the shared connection's lock, sent without it.
    let now = wicket_core::time::now_ms();
    let due = typing::claim(&mut *state.store()?, &secrets, args.conversation_id, now)?;
    let outcome = match due {
        Due::Done(t) => t,
        Due::Send(send) => match send.send().await {
            Ok(()) => typing::Typing::Sent,
            Err(e) => {
                send.release(&mut *state.store()?)?;
                return Err(e.into());
            }
        },
    };
    Ok(serde_json::to_value(outcome).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default())
}
