//! Settings that were only on the command line, thin like the other commands:
//! the webhook listener (the `webhook_listen` setting `wicket serve` reads),
//! a UniPile account's poll intervals (`wicket account set ID
//! --poll-interval S --idle-poll-interval S`), and `wicket export` /
//! `wicket import` as buttons. The rules stay in the core
//! (`tunnel::parse_listen`, `engine::set_poll_intervals`, `export`).

use crate::dto::{CommandError, EngineState};
use crate::state::AppState;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use tauri::{AppHandle, Runtime, State};
use ts_rs::TS;
use wicket_core::webhook::LISTEN_SETTING;
use wicket_core::Error;

type Res<T> = Result<T, CommandError>;

/// The webhook listener as Settings → Webhooks shows it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct WebhookListenerDto {
    /// Whether the `webhook_listen` setting asks for a listener.
    pub enabled: bool,
    /// The address and port it names (the default ones while it is off).
    pub address: String,
    pub port: u16,
    /// Where a listener of this window answers now, e.g. "127.0.0.1:8765".
    pub listening: Option<String>,
    /// Said for an address other machines can reach (not loopback).
    pub warning: Option<String>,
    /// Where a change takes effect: `here` (at once: this window runs the
    /// engine), `serve` (`wicket serve` runs it: at its next start) or
    /// `start` (no engine runs: when one starts).
    pub applies: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct SetWebhookListenerArgs {
    pub enabled: bool,
    pub address: String,
    pub port: u16,
}

/// A polling account's intervals, in seconds.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct PollingDto {
    pub account_id: i64,
    /// While the owner uses the window (or `wicket serve` was told so).
    pub active_seconds: u64,
    /// Otherwise; never shorter than `active_seconds`.
    pub idle_seconds: u64,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct SetPollingArgs {
    pub account_id: i64,
    pub active_seconds: u64,
    pub idle_seconds: u64,
}

/// `json` or `csv`, as `wicket export --format`.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct DataExportArgs {
    pub format: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct DataExportDto {
    /// The file written (owner-only), in the data folder's `exports/`.
    pub path: String,
    pub format: String,
    /// Demo accounts never go into an export: their names, when there are some.
    pub left_out: Vec<String>,
}

/// A picked file's name and text (the page reads it; no path crosses).
#[derive(Debug, Clone, Deserialize, TS)]
pub struct DataImportArgs {
    pub name: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ImportedTableDto {
    pub table: String,
    pub rows: u64,
}

fn split_listen(addr: std::net::SocketAddr) -> (String, u16) {
    (addr.ip().to_string(), addr.port())
}

fn listener_dto(state: &AppState) -> Res<WebhookListenerDto> {
    let configured = wicket_core::webhook::configured_listen(&*state.store()?)?;
    let default: std::net::SocketAddr = wicket_core::tunnel::DEFAULT_LISTEN.parse().map_err(|_| Error::Internal("the default listen address".into()))?;
    let (address, port) = split_listen(configured.unwrap_or(default));
    let warning = configured.and_then(|a| wicket_core::tunnel::parse_listen(&a.to_string()).ok().and_then(|(_, w)| w));
    let engine = state.info().engine;
    let listening = match &engine {
        EngineState::Running { listen } => listen.clone(),
        _ => crate::wizard::step_listener(),
    };
    let applies = match engine {
        EngineState::Running { .. } => "here",
        EngineState::Elsewhere { .. } => "serve",
        _ => "start",
    };
    Ok(WebhookListenerDto { enabled: configured.is_some(), address, port, listening, warning, applies: applies.into() })
}

#[tauri::command]
pub fn webhook_listener(state: State<'_, AppState>) -> Res<WebhookListenerDto> {
    listener_dto(&state)
}

/// Saves the `webhook_listen` setting (checked by the core) and, when this
/// window runs the engine, starts it again so it listens there at once (the
/// public address follows the new port).
#[tauri::command]
pub async fn set_webhook_listener<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>, args: SetWebhookListenerArgs) -> Res<WebhookListenerDto> {
    // An IPv6 address is written in brackets before its port.
    let host = args.address.trim();
    let host = if host.contains(':') && !host.starts_with('[') { format!("[{host}]") } else { host.to_string() };
    let (addr, _warning) = wicket_core::tunnel::parse_listen(&format!("{host}:{}", args.port))?;
    let value = if args.enabled { serde_json::json!(addr.to_string()) } else { serde_json::json!(false) };
    let before = state.store()?.setting(LISTEN_SETTING)?;
    state.store()?.set_setting(LISTEN_SETTING, &value)?;
    let running_here = matches!(state.info().engine, EngineState::Running { .. });
    if running_here && before.as_ref() != Some(&value) {
        let handle = app.clone();
        tauri::async_runtime::spawn_blocking(move || crate::engine::restart_because(&handle, "starting again on the new webhook listener"))
            .await
            .map_err(|e| Error::Internal(format!("the engine's restart stopped: {e}")))?;
        // Answer with where it listens now: wait for the engine's report.
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        loop {
            let engine = state.info().engine;
            match engine {
                EngineState::Running { .. } => break,
                EngineState::Stopped { reason } if !reason.starts_with("starting again") => {
                    return Err(Error::Invalid(format!("{reason}: choose another address or port")).into());
                }
                _ if std::time::Instant::now() > deadline => break,
                _ => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }
    listener_dto(&state)
}

fn polling(account: &wicket_core::store::Account) -> PollingDto {
    let (active, idle) = wicket_core::engine::poll_intervals(account);
    PollingDto { account_id: account.id, active_seconds: active.as_secs(), idle_seconds: idle.as_secs() }
}

#[tauri::command]
pub fn account_polling(state: State<'_, AppState>, args: crate::dto::AccountArgs) -> Res<PollingDto> {
    Ok(polling(&state.store()?.account(args.account_id)?))
}

/// The engine picks the change up at its next pass, here or in `wicket serve`.
#[tauri::command]
pub fn set_account_polling(state: State<'_, AppState>, args: SetPollingArgs) -> Res<PollingDto> {
    let account = wicket_core::engine::set_poll_intervals(&mut *state.store()?, args.account_id, Some(args.active_seconds), Some(args.idle_seconds))?;
    Ok(polling(&account))
}

/// The folder the window's exports go to (no file dialog in this app).
pub fn exports_dir(dir: &wicket_core::DataDir) -> std::path::PathBuf {
    dir.root().join("exports")
}

/// `wicket export --format F --out <data folder>/exports/wicket-export-<time>.F`.
#[tauri::command]
pub async fn data_export(state: State<'_, AppState>, args: DataExportArgs) -> Res<DataExportDto> {
    let format = wicket_core::export::Format::parse(&args.format)?;
    let folder = exports_dir(&state.dir);
    wicket_core::datadir::create_private_dir(&folder).map_err(|e| Error::io(format!("cannot create {}", folder.display()), e))?;
    let stamp = wicket_core::time::to_rfc3339(wicket_core::time::now_ms()).replace(':', "-");
    let path = folder.join(format!("wicket-export-{stamp}.{}", args.format));
    let store = state.store()?;
    store.export_to(format, &path, None)?;
    let left_out = store.accounts()?.into_iter().filter(|a| a.provider == wicket_core::model::Provider::Demo).map(|a| a.name).collect();
    Ok(DataExportDto { path: path.display().to_string(), format: args.format, left_out })
}

/// `wicket import FILE` on a picked file's text: into a data folder without
/// accounts only (the core refuses otherwise; the wizard's "Import from
/// another computer" brings another computer's accounts into this one).
#[tauri::command]
pub async fn data_import<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>, args: DataImportArgs) -> Res<Vec<ImportedTableDto>> {
    let summary = state.store()?.import_bytes(args.text.as_bytes(), &args.name)?;
    crate::events::store_changed(&app);
    Ok(summary.tables.into_iter().map(|(table, rows)| ImportedTableDto { table, rows: rows as u64 }).collect())
}

/// The commands whose answers `owner_settings_tests` records.
#[cfg(test)]
pub const OWNER_SETTINGS_COMMANDS: &[&str] =
    &["webhook_listener", "set_webhook_listener", "account_polling", "set_account_polling", "data_export", "data_import"];
