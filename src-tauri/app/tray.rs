//! The tray icon: the unread count in its title and tooltip, a menu with
//! "Open Wicket" and "Quit", and whether this desktop has a tray host at all
//! (without one, closing the window quits: see `window.rs`).
//!
//! On Linux the icon is a StatusNotifierItem (libayatana-appindicator); a
//! tray host is a process owning `org.kde.StatusNotifierWatcher` on the
//! session bus (GNOME with the AppIndicator extension, KDE, XFCE, …).

use std::sync::atomic::{AtomicBool, Ordering};
use tauri::menu::{Menu, MenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Manager, Runtime};

const TRAY_ID: &str = "main";
const MENU_OPEN: &str = "open";
const MENU_QUIT: &str = "quit";

/// Whether a tray host answered when the app started.
pub struct TrayHost(pub AtomicBool);

impl TrayHost {
    pub fn available(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Asks the session bus whether a StatusNotifier host runs. `WICKET_TRAY_HOST`
/// (`0`/`1`) overrides the probe (tests, odd desktops).
pub fn host_available() -> bool {
    match std::env::var("WICKET_TRAY_HOST").as_deref() {
        Ok("1") => return true,
        Ok("0") => return false,
        _ => {}
    }
    #[cfg(target_os = "linux")]
    {
        tauri::async_runtime::block_on(async {
            let Ok(conn) = zbus::Connection::session().await else { return false };
            let Ok(proxy) = zbus::fdo::DBusProxy::new(&conn).await else { return false };
            let Ok(name) = zbus::names::BusName::try_from("org.kde.StatusNotifierWatcher") else { return false };
            proxy.name_has_owner(name).await.unwrap_or(false)
        })
    }
    #[cfg(not(target_os = "linux"))]
    {
        true
    }
}

/// Builds the tray icon (where there is a host) and notes whether there is one.
pub fn install<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let host = host_available();
    app.manage(TrayHost(AtomicBool::new(host)));
    if !host {
        tracing::info!("no tray host on this desktop: closing the window quits Wicket");
        return Ok(());
    }
    let open = MenuItem::with_id(app, MENU_OPEN, "Open Wicket", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, MENU_QUIT, "Quit", true, None::<&str>)?;
    let menu = Menu::with_items(app, &[&open, &quit])?;
    let mut builder = TrayIconBuilder::with_id(TRAY_ID)
        .tooltip("Wicket")
        .menu(&menu)
        .show_menu_on_left_click(false)
        .on_menu_event(|app, event| match event.id().as_ref() {
            MENU_OPEN => crate::window::bring_to_front(app),
            MENU_QUIT => {
                tracing::info!("quit from the tray");
                app.exit(0)
            }
            _ => {}
        })
        .on_tray_icon_event(|tray, event| {
            if let TrayIconEvent::Click { button: MouseButton::Left, button_state: MouseButtonState::Up, .. } = event {
                crate::window::bring_to_front(tray.app_handle());
            }
        });
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    // libappindicator is loaded at run time and panics when it is missing:
    // then the app goes on without a tray (closing quits).
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| builder.build(app))) {
        Ok(built) => {
            built?;
        }
        Err(_) => {
            app.state::<TrayHost>().0.store(false, Ordering::Relaxed);
            tracing::warn!("no tray icon: libayatana-appindicator3 is not installed");
            return Ok(());
        }
    }
    tracing::info!("tray icon installed");
    update_unread(app);
    Ok(())
}

/// What the tray says for `unread` messages.
pub fn label(unread: i64) -> String {
    match unread {
        0 => "Wicket: no unread messages".into(),
        1 => "Wicket: 1 unread message".into(),
        n => format!("Wicket: {n} unread messages"),
    }
}

/// Recounts unread messages and shows the count on the tray icon.
pub fn update_unread<R: Runtime>(app: &AppHandle<R>) {
    let Some(tray) = app.tray_by_id(TRAY_ID) else { return };
    let unread = app.state::<crate::state::AppState>().store_while_locked().ok().and_then(|s| s.unread_total().ok());
    let Some(unread) = unread else { return };
    let text = label(unread);
    let _ = tray.set_tooltip(Some(&text));
    // Linux shows the title beside the icon (tooltips are not supported there).
    let _ = tray.set_title(Some(if unread > 0 { unread.to_string() } else { String::new() }));
    tracing::debug!(unread, "tray updated");
}
