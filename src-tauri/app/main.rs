//! `wicket-desktop`: Wicket's window (Tauri 2). It opens the same data dir as
//! `wicket` (`WICKET_DATA_DIR`, else the platform data dir for
//! `app.wicket.inbox`), serves the bundled UI from `ui/dist`, and answers the
//! UI's commands with one call into `wicket-core` each. All rules live in the
//! core; this crate only translates (`dto.rs`) and announces (`events.rs`).
//!
//! Around the window: one instance per user (a second launch focuses the
//! first), the window's size and position remembered, optional start at
//! login, a tray icon with the unread count (`tray.rs`, `window.rs`) and
//! desktop notifications (`notifications.rs`). The public address (the
//! tunnel) comes back at every start and is checked (`public_address.rs`).

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod about;
mod alerts;
mod applock;
#[cfg(test)]
mod applock_tests;
mod away;
#[cfg(test)]
mod away_tests;
mod backups;
#[cfg(test)]
mod backups_tests;
#[cfg(test)]
mod bindings;
mod bulk;
#[cfg(test)]
mod bulk_tests;
#[cfg(test)]
mod command_names;
mod commands;
mod contact_merge;
#[cfg(test)]
mod contact_merge_tests;
mod conversation_actions;
mod craft;
#[cfg(test)]
mod craft_tests;
mod dto;
mod dto_account;
mod engine;
mod events;
mod ipc_bytes;
mod jobs;
#[cfg(test)]
mod light_tests;
mod limits;
mod media_cache;
#[cfg(test)]
mod media_cache_tests;
mod media_protocol;
mod notifications;
mod owner_settings;
#[cfg(test)]
mod owner_settings_tests;
mod public_address;
#[cfg(test)]
mod sample;
mod scheduled;
#[cfg(test)]
mod scheduled_tests;
mod settings;
mod snooze;
#[cfg(test)]
mod snooze_tests;
mod state;
mod stats;
#[cfg(test)]
mod stats_tests;
#[cfg(test)]
mod tests;
mod tray;
mod vault;
#[cfg(test)]
mod vault_tests;
mod window;
mod wizard;

use state::AppState;
use tauri::Manager;
use tauri_plugin_window_state::StateFlags;

/// `builder` with Wicket's commands: the real builder, or the mock one of
/// `tauri::test`.
pub fn builder_on<R: tauri::Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    let builder = media_protocol::register(builder.plugin(tauri_plugin_opener::init()));
    builder.manage(notifications::Notifier::new()).manage(engine::EngineSlot::default()).invoke_handler(tauri::generate_handler![
        commands::app_info,
        commands::list_accounts,
        commands::list_conversations,
        commands::list_messages,
        commands::open_conversation,
        commands::send_text,
        commands::search,
        commands::save_draft,
        commands::list_labels,
        commands::retry_message,
        commands::retry_media,
        commands::open_media,
        commands::send_media,
        commands::list_templates,
        commands::send_template,
        wizard::wizard_test_meta,
        wizard::wizard_add_meta,
        wizard::wizard_add_wasender,
        wizard::wizard_unipile_accounts,
        wizard::wizard_add_unipile,
        wizard::wizard_import_env,
        wizard::wizard_create_from_env,
        wizard::wizard_add_demo,
        wizard::wizard_first_sync,
        wizard::wizard_test_wasender,
        wizard::wizard_import_env_text,
        wizard::wizard_create_from_env_text,
        wizard::wizard_unipile_connect,
        wizard::wizard_unipile_wait,
        wizard::wizard_import_export,
        wizard::accounts_set_enabled,
        wizard::accounts_remove,
        wizard::wizard_public_address,
        wizard::wizard_start_listener,
        wizard::wizard_start_tunnel,
        wizard::wizard_check_public,
        about::app_about,
        about::open_folder,
        jobs::list_jobs,
        alerts::list_alerts,
        stats::get_stats,
        commands::search_conversation,
        conversation_actions::set_conversation_flags,
        conversation_actions::set_conversation_labels,
        conversation_actions::mark_unread,
        limits::account_limits,
        limits::set_account_limits,
        vault::vault_status,
        vault::unlock_vault,
        vault::passphrase_strength,
        public_address::public_address_status,
        public_address::public_address_stop,
        public_address::public_address_restart,
        settings::get_preferences,
        settings::set_preferences,
        settings::set_focused_conversation,
        dto_account::account_health,
        dto_account::owner_typing,
        scheduled::schedule_text,
        scheduled::schedule_template,
        scheduled::list_scheduled,
        scheduled::cancel_scheduled,
        bulk::bulk_check,
        bulk::bulk_start,
        bulk::bulk_jobs,
        bulk::bulk_job,
        bulk::bulk_pause,
        bulk::bulk_resume,
        bulk::bulk_cancel,
        craft::list_quick_replies,
        craft::save_quick_reply,
        craft::remove_quick_reply,
        craft::fill_quick_reply,
        craft::list_notes,
        craft::add_note,
        craft::edit_note,
        craft::delete_note,
        snooze::snooze_conversation,
        snooze::unsnooze_conversation,
        snooze::add_reminder,
        snooze::list_reminders,
        snooze::cancel_reminder,
        backups::backup_status,
        backups::backup_set_schedule,
        backups::backup_create,
        backups::backup_restore,
        backups::contact_export,
        backups::contact_erase,
        contact_merge::contact_merge_candidates,
        contact_merge::contact_merge,
        contact_merge::contact_merge_undo,
        contact_merge::contact_merge_undo_offer,
        contact_merge::contact_suggestions,
        contact_merge::contact_suggestion_dismiss,
        owner_settings::webhook_listener,
        owner_settings::set_webhook_listener,
        owner_settings::account_polling,
        owner_settings::set_account_polling,
        owner_settings::data_export,
        owner_settings::data_import,
        away::get_auto_replies,
        away::set_auto_replies,
        applock::lock_status,
        applock::lock_now,
        applock::unlock_app,
        applock::lock_set_passphrase,
        applock::lock_turn_off,
        applock::lock_set_idle,
        media_cache::media_usage,
        media_cache::set_media_limit,
        media_cache::media_prune,
        media_cache::redownload_media,
    ])
}

fn main() {
    // WebKitGTK's DMA-BUF renderer costs about 70 MB of PSS in the web process
    // for nothing we draw (toolchain.md); the owner's own setting wins.
    if std::env::var_os("WEBKIT_DISABLE_DMABUF_RENDERER").is_none() {
        std::env::set_var("WEBKIT_DISABLE_DMABUF_RENDERER", "1");
    }
    let state = match AppState::open() {
        Ok(s) => s,
        Err(e) => {
            // Nothing to show a window with: say why on stderr and stop.
            eprintln!("wicket-desktop: {e}");
            std::process::exit(1);
        }
    };
    let _log_guard = init_logging(&state.dir);
    let dir = state.dir.clone();
    let db_path = dir.db_path();
    // The single-instance plugin comes first: a second launch stops there.
    let builder = tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            tracing::info!("a second launch: focusing this window");
            window::bring_to_front(app);
        }))
        // Size, position and maximized state; never "hidden" (closing to the tray hides it).
        .plugin(tauri_plugin_window_state::Builder::default().with_state_flags(StateFlags::all() & !StateFlags::VISIBLE).build())
        .plugin(tauri_plugin_autostart::init(tauri_plugin_autostart::MacosLauncher::LaunchAgent, None));
    let app = builder_on(builder)
        .manage(state)
        .on_window_event(window::on_event)
        .setup(move |app| {
            window::create_main(app.handle())?;
            events::watch_store(app.handle().clone());
            alerts::start(app.handle().clone(), db_path.clone());
            snooze::start(app.handle().clone(), db_path.clone());
            notifications::start(app.handle().clone(), db_path);
            // A desktop without a tray still gets the window.
            if let Err(e) = tray::install(app.handle()) {
                tracing::warn!("no tray icon: {e}");
            }
            Ok(())
        })
        .build(tauri::generate_context!());
    let app = match app {
        Ok(app) => app,
        Err(e) => {
            tracing::error!("the window failed: {e}");
            eprintln!("wicket-desktop: {e}");
            std::process::exit(1);
        }
    };
    match engine::start(app.handle().clone(), dir) {
        Ok(handle) => app.state::<engine::EngineSlot>().put(handle),
        Err(e) => tracing::error!("cannot start the engine thread: {e}"),
    }
    app.run(move |app, event| {
        if let tauri::RunEvent::Exit = event {
            if let Some(handle) = app.state::<engine::EngineSlot>().take() {
                handle.stop();
            }
            wizard::stop_public_address();
        }
    });
}

/// Logs go to `logs/desktop.log.YYYY-MM-DD` in the data dir, beside the
/// CLI's: owner-only, rotated daily and pruned ([`wicket_core::logs`];
/// RUST_LOG sets the level); never secrets or message text.
fn init_logging(dir: &wicket_core::DataDir) -> Option<wicket_core::logs::WorkerGuard> {
    wicket_core::logs::init(dir, "desktop")
}
