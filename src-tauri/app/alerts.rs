//! Alerts in the window: the core's list (`wicket_core::alerts`, the same
//! as `wicket alerts`) as banners, and a desktop notification once for each
//! new one. A thread checks every [`CHECK_EVERY`] on its own connection; when
//! the list changes it emits `alerts-changed` and the UI asks again.
//!
//! The public address has its own notification, with a Restart button
//! (`public_address.rs`): its alert is shown but never notified twice.

use crate::dto::CommandError;
use crate::state::AppState;
use serde::Serialize;
use std::time::Duration;
use tauri::{AppHandle, Emitter, Runtime, State};
use ts_rs::TS;
use wicket_core::alerts::Alert;
use wicket_core::Store;

/// Emitted (no payload) when the current alerts changed.
pub const ALERTS_CHANGED: &str = "alerts-changed";
const CHECK_EVERY: Duration = Duration::from_secs(30);

/// One alert (`wicket_core::alerts::Alert`).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct AlertDto {
    /// Stable: `token_expired`, `session_logged_out`, `template_paused`, `quality`, `outbox_stuck`, `webhook_signatures`, …
    pub kind: String,
    /// `critical` or `warning`.
    pub severity: String,
    pub account_id: Option<i64>,
    pub account_name: Option<String>,
    pub subject: Option<String>,
    pub message: String,
    /// What fixes it.
    pub action: String,
    /// RFC 3339.
    pub since: Option<String>,
}

impl From<Alert> for AlertDto {
    fn from(a: Alert) -> AlertDto {
        AlertDto {
            kind: a.kind,
            severity: a.severity.into(),
            account_id: a.account_id,
            account_name: a.account_name,
            subject: a.subject,
            message: a.message,
            action: a.action,
            since: wicket_core::time::opt_rfc3339(a.since),
        }
    }
}

#[tauri::command]
pub fn list_alerts(state: State<'_, AppState>) -> Result<Vec<AlertDto>, CommandError> {
    let store = state.store()?;
    Ok(wicket_core::alerts::current(&store, wicket_core::time::now_ms())?.into_iter().map(AlertDto::from).collect())
}

/// Starts the alert thread over the store at `db_path`.
pub fn start<R: Runtime>(app: AppHandle<R>, db_path: std::path::PathBuf) {
    let spawned = std::thread::Builder::new().name("alerts".into()).spawn(move || {
        let mut store = match Store::open(&db_path) {
            Ok(s) => s,
            Err(e) => return tracing::error!("alerts are off: cannot open the store: {e}"),
        };
        let mut last: Option<Vec<String>> = None;
        loop {
            match check(&mut store) {
                Ok((keys, fresh)) => {
                    for alert in fresh {
                        notify(&app, &store, alert);
                    }
                    if last.as_ref() != Some(&keys) {
                        if let Err(e) = app.emit(ALERTS_CHANGED, ()) {
                            tracing::warn!("cannot emit {ALERTS_CHANGED}: {e}");
                        }
                        last = Some(keys);
                    }
                }
                Err(e) => tracing::warn!("cannot check the alerts: {e}"),
            }
            std::thread::sleep(CHECK_EVERY);
        }
    });
    if let Err(e) = spawned {
        tracing::error!("cannot start the alert thread: {e}");
    }
}

/// The current alerts' keys, and the alerts that are new since the last check.
pub fn check(store: &mut Store) -> wicket_core::Result<(Vec<String>, Vec<Alert>)> {
    let now = wicket_core::time::now_ms();
    let keys = wicket_core::alerts::current(store, now)?.iter().map(Alert::key).collect();
    Ok((keys, wicket_core::alerts::refresh(store, now)?))
}

/// Whether a new alert becomes a desktop notification: not the public
/// address's (it has its own), and not when the owner turned notifications off.
pub fn notifies(store: &Store, alert: &Alert) -> bool {
    alert.kind != "public_address_unreachable" && wicket_core::prefs::Preferences::load(store).map(|p| p.notifications).unwrap_or(true)
}

fn notify<R: Runtime>(app: &AppHandle<R>, store: &Store, alert: Alert) {
    if !notifies(store, &alert) {
        return;
    }
    let title = match &alert.account_name {
        Some(name) => format!("Wicket: {name} needs you"),
        None => "Wicket needs you".into(),
    };
    let body = format!("{}. {}", alert.message, alert.action).replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let app = app.clone();
    let spawned = std::thread::Builder::new().name("notification-alert".into()).spawn(move || {
        let mut note = notify_rust::Notification::new();
        note.appname("Wicket")
            .summary(&title)
            .body(&body)
            .icon("app.wicket.inbox")
            .hint(notify_rust::Hint::DesktopEntry("app.wicket.inbox".into()))
            .action("default", "Open");
        match note.show() {
            Ok(handle) => {
                tracing::info!(id = handle.id(), kind = alert.kind, "alert notification shown");
                handle.wait_for_action(|action| {
                    if action == "default" {
                        crate::window::bring_to_front(&app);
                    }
                });
            }
            Err(e) => tracing::warn!("cannot show a notification: {e}"),
        }
    });
    if let Err(e) = spawned {
        tracing::warn!("cannot show the alert notification: {e}");
    }
}
