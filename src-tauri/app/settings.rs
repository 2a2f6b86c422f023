//! The Settings panel's commands and the focus report, thin like the others:
//! preferences are read and checked by the core (`wicket_core::prefs`); the
//! shell only applies what is its own (start at login through
//! tauri-plugin-autostart) and remembers which chat is in front.

use crate::dto::CommandError;
use crate::notifications::Notifier;
use crate::state::AppState;
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager, Runtime, State};
use ts_rs::TS;
use wicket_core::prefs::{Preferences, QuietHours};

type Res<T> = Result<T, CommandError>;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct QuietHoursDto {
    /// "HH:MM", local time.
    pub from: String,
    /// "HH:MM"; earlier than `from` means the next morning.
    pub to: String,
}

/// The preferences (`set_preferences` takes the same, `tray_available` ignored).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct PreferencesDto {
    pub notifications: bool,
    pub do_not_disturb: bool,
    pub quiet_hours: Option<QuietHoursDto>,
    pub close_to_tray: bool,
    pub start_at_login: bool,
    /// Meta's "typing…" while the owner writes an answer (setting `typing_indicator`).
    #[serde(default = "on")]
    pub typing_indicator: bool,
    /// Notifications show what the customer wrote (off: only who wrote).
    #[serde(default = "on")]
    pub notification_previews: bool,
    /// `system`, `light` or `dark`.
    #[serde(default = "system")]
    pub theme: String,
    /// ISO code of the country a number without a country code is read in.
    pub default_country: String,
    /// IANA name; null: the system's.
    pub time_zone: Option<String>,
    /// Hours between contact syncs of a gateway account; 0: off.
    pub contact_sync_hours: f64,
    /// Whether this desktop has a tray host (without one, closing quits).
    #[serde(default)]
    pub tray_available: bool,
}

impl PreferencesDto {
    fn new(p: Preferences, tray_available: bool) -> PreferencesDto {
        PreferencesDto {
            notifications: p.notifications,
            do_not_disturb: p.do_not_disturb,
            quiet_hours: p.quiet_hours.map(|q| QuietHoursDto { from: q.from, to: q.to }),
            close_to_tray: p.close_to_tray,
            start_at_login: p.start_at_login,
            typing_indicator: p.typing_indicator,
            notification_previews: p.notification_previews,
            theme: p.theme,
            default_country: p.default_country,
            time_zone: p.time_zone,
            contact_sync_hours: p.contact_sync_hours,
            tray_available,
        }
    }

    fn prefs(self) -> Preferences {
        Preferences {
            notifications: self.notifications,
            do_not_disturb: self.do_not_disturb,
            quiet_hours: self.quiet_hours.map(|q| QuietHours { from: q.from, to: q.to }),
            close_to_tray: self.close_to_tray,
            start_at_login: self.start_at_login,
            typing_indicator: self.typing_indicator,
            notification_previews: self.notification_previews,
            theme: self.theme,
            default_country: self.default_country,
            time_zone: self.time_zone,
            contact_sync_hours: self.contact_sync_hours,
        }
    }
}

fn on() -> bool {
    true
}

fn system() -> String {
    "system".into()
}

/// `set_focused_conversation`: the conversation open in a focused window, or null.
#[derive(Debug, Clone, PartialEq, Deserialize, TS)]
pub struct FocusArgs {
    pub conversation_id: Option<i64>,
}

fn tray_available<R: Runtime>(app: &AppHandle<R>) -> bool {
    app.try_state::<crate::tray::TrayHost>().map(|h| h.available()).unwrap_or(false)
}

#[tauri::command]
pub async fn get_preferences<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>) -> Res<PreferencesDto> {
    let prefs = Preferences::load(&*state.store_while_locked()?)?;
    Ok(PreferencesDto::new(prefs, tray_available(&app)))
}

/// Saves the preferences; start at login is applied at once.
#[tauri::command]
pub async fn set_preferences<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>, args: PreferencesDto) -> Res<PreferencesDto> {
    let prefs = args.prefs();
    prefs.save(&mut *state.store()?)?;
    // Only the real app has the plugin (the tests' mock one does not).
    if let Some(autostart) = app.try_state::<tauri_plugin_autostart::AutoLaunchManager>() {
        let applied = if prefs.start_at_login { autostart.enable() } else { autostart.disable() };
        if let Err(e) = applied {
            return Err(wicket_core::Error::Internal(format!("cannot change start at login ({e}): check that ~/.config/autostart is writable")).into());
        }
    }
    Ok(PreferencesDto::new(prefs, tray_available(&app)))
}

/// The UI reports the conversation in front (on open, focus and blur): no
/// notification for it while it stays there.
#[tauri::command]
pub async fn set_focused_conversation<R: Runtime>(app: AppHandle<R>, notifier: State<'_, Notifier>, args: FocusArgs) -> Res<()> {
    tracing::debug!(conversation = ?args.conversation_id, "focused conversation");
    notifier.set_focused(args.conversation_id);
    if args.conversation_id.is_some() {
        app.state::<AppState>().mark_in_use();
    }
    // Opening a chat reads it (on the commands' connection, which the store
    // watcher does not see): the tray's count follows here.
    crate::tray::update_unread(&app);
    Ok(())
}
