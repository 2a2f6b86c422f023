//! `wicket-desktop`: Wicket's window (Tauri 2). It opens the same data dir as
//! `wicket` (`WICKET_DATA_DIR`, else the platform data dir for
//! `app.wicket.inbox`), serves the bundled UI from `ui/dist`, and answers the
//! UI's commands with one call into `wicket-core` each. All rules live in the
//! core; this crate only translates (`dto.rs`) and announces (`events.rs`).

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

#[cfg(test)]
mod bindings;
#[cfg(test)]
mod command_names;
mod commands;
mod dto;
mod engine;
mod events;
mod media_protocol;
#[cfg(test)]
mod sample;
mod state;
mod wizard;
#[cfg(test)]
mod tests;

use state::AppState;

/// `builder` with Wicket's commands: the real builder, or the mock one of
/// `tauri::test`.
pub fn builder_on<R: tauri::Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    let builder = media_protocol::register(builder.plugin(tauri_plugin_opener::init()));
    builder.invoke_handler(tauri::generate_handler![
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
    let app = builder_on(tauri::Builder::default())
        .manage(state)
        .setup(|app| {
            events::watch_store(app.handle().clone());
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
    let mut engine = match engine::start(app.handle().clone(), dir) {
        Ok(handle) => Some(handle),
        Err(e) => {
            tracing::error!("cannot start the engine thread: {e}");
            None
        }
    };
    app.run(move |_, event| {
        if let tauri::RunEvent::Exit = event {
            if let Some(handle) = engine.take() {
                handle.stop();
            }
        }
    });
}

/// Logs go to `logs/desktop.log.*` in the data dir (RUST_LOG sets the level),
/// beside the CLI's; never secrets.
fn init_logging(dir: &wicket_core::DataDir) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let appender = tracing_appender::rolling::daily(dir.logs_dir(), "desktop.log");
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let ok = tracing_subscriber::fmt().with_env_filter(filter).with_writer(writer).with_ansi(false).try_init().is_ok();
    ok.then_some(guard)
}
