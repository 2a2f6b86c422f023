//! The floor for the window's memory (issue 12; `tests/desktop/bench.sh`):
//! a Tauri app built from Wicket's own config (the same `generate_context!`,
//! window size, incognito WebKit context and CSP) and the same WebKit
//! setting as `main.rs` (no DMA-BUF renderer), showing an empty page.
//! Nothing else: no store, no engine, no tray, no plugins, no commands.
//!
//!   cargo build --release -p wicket-desktop --features tauri/custom-protocol --example minimal_window

fn main() {
    if std::env::var_os("WEBKIT_DISABLE_DMABUF_RENDERER").is_none() {
        std::env::set_var("WEBKIT_DISABLE_DMABUF_RENDERER", "1");
    }
    let context = tauri::generate_context!();
    let built = tauri::Builder::default()
        .setup(|app| {
            let Some(config) = app.config().app.windows.iter().find(|w| w.label == "main").cloned() else {
                return Err("tauri.conf.json has no main window".into());
            };
            let blank = tauri::WebviewUrl::External("about:blank".parse()?);
            let config = tauri::utils::config::WindowConfig { url: blank, title: "Wicket minimal".into(), ..config };
            tauri::WebviewWindowBuilder::from_config(app.handle(), &config)?.build()?;
            Ok(())
        })
        .build(context);
    match built {
        Ok(app) => app.run(|_, _| {}),
        Err(e) => {
            eprintln!("minimal_window: {e}");
            std::process::exit(1);
        }
    }
}
