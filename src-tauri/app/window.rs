//! The main window's life: brought to the front (a notification click, the
//! tray, a second launch), and what closing it means: hide to the tray when
//! `close_to_tray` is on and the desktop has a tray host; otherwise quit, and
//! when the owner asked for the tray but there is none, say so first.

use tauri::{AppHandle, Manager, Runtime, Window, WindowEvent};
use wicket_core::prefs::Preferences;

pub const MAIN: &str = "main";

/// Creates the main window from `tauri.conf.json` (where `create` is false).
/// It is incognito: WebKit keeps nothing on disk. Under WebDriver
/// (tauri-driver sets `TAURI_WEBVIEW_AUTOMATION=true`) it is not, because
/// WebKit allows automation only in the app's persistent web context.
pub fn create_main<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let automation = std::env::var("TAURI_WEBVIEW_AUTOMATION").as_deref() == Ok("true");
    let Some(config) = app.config().app.windows.iter().find(|w| w.label == MAIN).cloned() else {
        return Err(tauri::Error::WindowNotFound);
    };
    let config = tauri::utils::config::WindowConfig { incognito: config.incognito && !automation, ..config };
    tauri::WebviewWindowBuilder::from_config(app, &config)?.build()?;
    Ok(())
}

/// Shows, unminimizes and focuses the main window.
pub fn bring_to_front<R: Runtime>(app: &AppHandle<R>) {
    let Some(w) = app.get_webview_window(MAIN) else { return };
    let _ = w.show();
    let _ = w.unminimize();
    if let Err(e) = w.set_focus() {
        tracing::warn!("cannot focus the window: {e}");
    }
}

/// The main window's events: focus (the owner is using Wicket: the engine
/// polls faster) and closing it.
pub fn on_event<R: Runtime>(window: &Window<R>, event: &WindowEvent) {
    if let WindowEvent::Focused(true) = event {
        window.app_handle().state::<crate::state::AppState>().mark_in_use();
        return;
    }
    let WindowEvent::CloseRequested { api, .. } = event else { return };
    if window.label() != MAIN {
        return;
    }
    let app = window.app_handle();
    let close_to_tray =
        app.state::<crate::state::AppState>().store_while_locked().ok().and_then(|s| Preferences::load(&s).ok()).map(|p| p.close_to_tray).unwrap_or(true);
    let host = app.try_state::<crate::tray::TrayHost>().map(|h| h.available()).unwrap_or(false);
    if close_to_tray && host {
        api.prevent_close();
        let _ = window.hide();
        tracing::info!("window hidden: Wicket keeps running in the tray");
        return;
    }
    if close_to_tray {
        // The owner expects the tray; there is none: say that Wicket stops.
        tracing::info!("no tray host: closing the window quits Wicket");
        say_quitting();
    }
}

/// A notification saying Wicket quits, sent off the main thread; closing
/// waits for it a moment so it goes out before the process ends.
fn say_quitting() {
    let (done, said) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new().name("quit-notice".into()).spawn(move || {
        let shown = notify_rust::Notification::new()
            .appname("Wicket")
            .summary("Wicket has quit")
            .body("This desktop has no tray, so Wicket stops when its window closes. Start it again to receive messages (or run `wicket serve`).")
            .icon("app.wicket.inbox")
            .show();
        if let Err(e) = shown {
            tracing::warn!("cannot say that Wicket quits: {e}");
        }
        let _ = done.send(());
    });
    if spawned.is_ok() {
        let _ = said.recv_timeout(std::time::Duration::from_secs(2));
    }
}
