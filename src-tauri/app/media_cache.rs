//! Settings → Storage (the space used, the media limit, "Free up space now")
//! and the chat's "Download again" on a file removed to save space. The work
//! is the core's (`wicket_core::media_cache`); these commands parse, call, map.

use crate::dto::{CommandError, IdArgs, MediaDto};
use crate::state::AppState;
use serde::{Deserialize, Serialize};
use tauri::State;
use ts_rs::TS;
use wicket_core::media_cache::{self, PruneReport, Usage};

type Res<T> = Result<T, CommandError>;

/// The space Wicket uses (`wicket media usage`).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct MediaUsageDto {
    /// Media files on disk: downloads and your attachments.
    pub media_bytes: i64,
    pub media_files: i64,
    /// 0: no limit.
    pub limit_mb: i64,
    /// What "Free up space now" could remove (attachments not sent yet stay).
    pub evictable_bytes: i64,
    pub evictable_files: i64,
    pub database_bytes: i64,
}

impl From<&Usage> for MediaUsageDto {
    fn from(u: &Usage) -> MediaUsageDto {
        MediaUsageDto {
            media_bytes: u.media_bytes,
            media_files: u.media_files,
            limit_mb: u.limit_mb,
            evictable_bytes: u.evictable_bytes,
            evictable_files: u.evictable_files,
            database_bytes: u.database_bytes,
        }
    }
}

/// What a pass removed, and the space used afterwards.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct MediaPruneDto {
    pub freed_bytes: i64,
    pub removed_files: i64,
    /// Still over the limit: only attachments not sent yet are left.
    pub still_over: bool,
    pub usage: MediaUsageDto,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct SetMediaLimitArgs {
    /// Megabytes; 0: no limit.
    pub limit_mb: i64,
}

fn usage(state: &AppState) -> Res<MediaUsageDto> {
    let store = state.store()?;
    Ok((&media_cache::usage(&store, &state.dir)?).into())
}

fn pruned(state: &AppState, report: &PruneReport) -> Res<MediaPruneDto> {
    Ok(MediaPruneDto { freed_bytes: report.freed_bytes, removed_files: report.evicted.len() as i64, still_over: report.still_over, usage: usage(state)? })
}

#[tauri::command]
pub async fn media_usage(state: State<'_, AppState>) -> Res<MediaUsageDto> {
    usage(&state)
}

/// The same setting as `wicket settings set media_cache_limit_mb N`; a
/// lower limit applies at once.
#[tauri::command]
pub async fn set_media_limit(state: State<'_, AppState>, args: SetMediaLimitArgs) -> Res<MediaPruneDto> {
    let value = serde_json::json!(args.limit_mb);
    wicket_core::settings_catalog::check(media_cache::LIMIT_SETTING, &value)?;
    let report = {
        let mut store = state.store()?;
        store.set_setting(media_cache::LIMIT_SETTING, &value)?;
        media_cache::enforce(&mut store, &state.dir, None)?
    };
    pruned(&state, &report)
}

/// "Free up space now" (`wicket media prune`).
#[tauri::command]
pub async fn media_prune(state: State<'_, AppState>) -> Res<MediaPruneDto> {
    let report = media_cache::enforce(&mut *state.store()?, &state.dir, None)?;
    pruned(&state, &report)
}

/// "Download again": queued for the engine's media worker (hash checked as
/// every download); a file WhatsApp no longer has is refused with why.
#[tauri::command]
pub async fn redownload_media(state: State<'_, AppState>, args: IdArgs) -> Res<MediaDto> {
    let mut store = state.store()?;
    media_cache::request_again(&mut store, args.id)?;
    Ok(MediaDto::from(&store.media_file(args.id)?))
}
