//! Snooze and reminders in the window. Commands of a few lines over the
//! core (`store::snooze`, `store::reminders`), and a thread that every
//! [`CHECK_EVERY`] wakes the snoozes whose time came (a desktop notification
//! "Snoozed chat is back: NAME"; the list reloads through `store-changed`,
//! since the thread writes on its own connection) and fires due reminders:
//! a notification whose click opens the chat at that message
//! (`open-conversation` with `message_id`). The claim is the core's, so a
//! reminder that fell due while the app was closed fires once, at start.

use crate::dto::{CommandError, IdArgs};
use crate::notifications::{OpenConversationEvent, OPEN_CONVERSATION};
use crate::state::AppState;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use tauri::{AppHandle, Emitter, Runtime, State};
use ts_rs::TS;
use wicket_core::prefs::Preferences;
use wicket_core::scheduled::parse_send_at;
use wicket_core::store::contacts::display_name;
use wicket_core::store::reminders::Reminder;
use wicket_core::Store;

type Res<T> = Result<T, CommandError>;

/// The commands of this file (their fixtures are recorded by `snooze_tests.rs`).
#[cfg(test)]
pub const SNOOZE_COMMANDS: &[&str] = &["snooze_conversation", "unsnooze_conversation", "add_reminder", "list_reminders", "cancel_reminder"];

const CHECK_EVERY: Duration = Duration::from_secs(15);

#[derive(Debug, Clone, Deserialize, TS)]
pub struct SnoozeArgs {
    pub conversation_id: i64,
    /// RFC 3339, or a date-time input's local value in the owner's time zone (as `wicket send --at`).
    pub until: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct AddReminderArgs {
    pub message_id: i64,
    /// RFC 3339, or a date-time input's local value in the owner's time zone.
    pub at: String,
    #[ts(optional)]
    pub note: Option<String>,
}

/// Every pending reminder, or one chat's (`conversation_id`).
#[derive(Debug, Clone, Deserialize, TS)]
pub struct ListRemindersArgs {
    #[ts(optional)]
    pub conversation_id: Option<i64>,
}

/// A reminder on a message (`wicket_core::store::reminders::Reminder`).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ReminderDto {
    pub id: i64,
    pub message_id: i64,
    pub conversation_id: i64,
    /// The chat's contact, as the list names it.
    pub display_name: String,
    pub remind_at: i64,
    pub note: String,
    /// The message's text or caption, else its kind.
    pub preview: Option<String>,
    pub fired_at: Option<i64>,
}

fn dto(store: &Store, r: &Reminder) -> wicket_core::Result<ReminderDto> {
    let contact = store.conversation(r.conversation_id)?.contact;
    Ok(ReminderDto {
        id: r.id,
        message_id: r.message_id,
        conversation_id: r.conversation_id,
        display_name: display_name(&contact, &store.default_country()?),
        remind_at: r.remind_at,
        note: r.note.clone(),
        preview: r.preview.clone(),
        fired_at: r.fired_at,
    })
}

/// Snoozes a chat; answers it as the list shows it (with `snoozed_until`).
#[tauri::command]
pub async fn snooze_conversation(state: State<'_, AppState>, args: SnoozeArgs) -> Res<crate::dto::ConversationDto> {
    let mut store = state.store()?;
    let until = parse_send_at(&store, &args.until)?;
    store.snooze_conversation(args.conversation_id, until)?;
    Ok(crate::dto::ConversationDto::new(&store.conversation(args.conversation_id)?, &store.default_country()?))
}

#[tauri::command]
pub async fn unsnooze_conversation(state: State<'_, AppState>, args: IdArgs) -> Res<crate::dto::ConversationDto> {
    let mut store = state.store()?;
    store.unsnooze_conversation(args.id)?;
    Ok(crate::dto::ConversationDto::new(&store.conversation(args.id)?, &store.default_country()?))
}

#[tauri::command]
pub async fn add_reminder(state: State<'_, AppState>, args: AddReminderArgs) -> Res<ReminderDto> {
    let mut store = state.store()?;
    let at = parse_send_at(&store, &args.at)?;
    let r = store.add_reminder(args.message_id, at, args.note.as_deref().unwrap_or(""))?;
    Ok(dto(&store, &r)?)
}

/// Pending reminders, the soonest first.
#[tauri::command]
pub async fn list_reminders(state: State<'_, AppState>, args: ListRemindersArgs) -> Res<Vec<ReminderDto>> {
    let store = state.store()?;
    let list = store.pending_reminders(args.conversation_id)?;
    Ok(list.iter().map(|r| dto(&store, r)).collect::<wicket_core::Result<_>>()?)
}

#[tauri::command]
pub async fn cancel_reminder(state: State<'_, AppState>, args: IdArgs) -> Res<ReminderDto> {
    let mut store = state.store()?;
    let r = store.cancel_reminder(args.id)?;
    Ok(dto(&store, &r)?)
}

/// What one check found: chats back from a snooze and reminders due, each
/// with its notification's title and body.
pub struct Due {
    pub back: Vec<(i64, String)>,
    pub reminders: Vec<(ReminderDto, String, String)>,
}

/// Wakes the snoozes and claims the reminders due at `now` (the thread's
/// step, public for the tests).
pub fn check(store: &mut Store, now: i64) -> wicket_core::Result<Due> {
    let country = store.default_country()?;
    let mut back = vec![];
    for id in store.wake_snoozed(now)? {
        back.push((id, format!("Snoozed chat is back: {}", display_name(&store.conversation(id)?.contact, &country))));
    }
    let mut reminders = vec![];
    for r in store.claim_due_reminders(now)? {
        let d = dto(store, &r)?;
        let title = format!("Reminder: {}", d.display_name);
        let body = if d.note.is_empty() { d.preview.clone().unwrap_or_default() } else { d.note.clone() };
        reminders.push((d, title, body));
    }
    Ok(Due { back, reminders })
}

/// Starts the snooze and reminder thread over the store at `db_path`.
pub fn start<R: Runtime>(app: AppHandle<R>, db_path: std::path::PathBuf) {
    let spawned = std::thread::Builder::new().name("snooze".into()).spawn(move || {
        let mut store = match Store::open(&db_path) {
            Ok(s) => s,
            Err(e) => return tracing::error!("snooze and reminders are off: cannot open the store: {e}"),
        };
        loop {
            match check(&mut store, wicket_core::time::now_ms()) {
                Ok(due) => {
                    // The owner asked for these, but "notifications off" still means off.
                    let show = Preferences::load(&store).map(|p| p.notifications).unwrap_or(true);
                    // While the app lock is on: that something is due, never whose or what.
                    let locked = wicket_core::applock::is_locked(&store).unwrap_or(true);
                    let redact = |title: String, body: String, what: &str| if locked { (what.to_string(), String::new()) } else { (title, body) };
                    for (id, title) in due.back {
                        let (title, _) = redact(title, String::new(), "A snoozed chat is back");
                        tracing::info!(conversation = id, "a snoozed chat is back");
                        if show {
                            notify(&app, title, String::new(), OpenConversationEvent { conversation_id: Some(id), message_id: None });
                        }
                    }
                    for (r, title, body) in due.reminders {
                        tracing::info!(reminder = r.id, "a reminder went off");
                        let (title, body) = redact(title, body, "Reminder");
                        if show {
                            notify(&app, title, body, OpenConversationEvent { conversation_id: Some(r.conversation_id), message_id: Some(r.message_id) });
                        }
                    }
                }
                Err(e) => tracing::warn!("cannot check snoozes and reminders: {e}"),
            }
            std::thread::sleep(CHECK_EVERY);
        }
    });
    if let Err(e) = spawned {
        tracing::error!("cannot start the snooze thread: {e}");
    }
}

fn notify<R: Runtime>(app: &AppHandle<R>, title: String, body: String, open: OpenConversationEvent) {
    let app = app.clone();
    let body = body.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let spawned = std::thread::Builder::new().name("notification-snooze".into()).spawn(move || {
        let mut note = notify_rust::Notification::new();
        note.appname("Wicket")
            .summary(&title)
            .body(&body)
            .icon("app.wicket.inbox")
            .hint(notify_rust::Hint::DesktopEntry("app.wicket.inbox".into()))
            .action("default", "Open");
        match note.show() {
            Ok(handle) => handle.wait_for_action(|action| {
                if action == "default" {
                    crate::window::bring_to_front(&app);
                    if let Err(e) = app.emit(OPEN_CONVERSATION, open.clone()) {
                        tracing::warn!("cannot emit {OPEN_CONVERSATION}: {e}");
                    }
                }
            }),
            Err(e) => tracing::warn!("cannot show a notification: {e}"),
        }
    });
    if let Err(e) = spawned {
        tracing::warn!("cannot show the notification: {e}");
    }
}
