//! The app lock's commands (`wicket_core::applock`): its status, lock now,
//! unlock, turn on or change the passphrase, turn off, the idle time. They
//! use the store's separate door (`AppState::store_while_locked`): every
//! other command is refused while locked. The window tracks input and calls
//! `lock_now` once `lock_after_minutes` pass without any.

use crate::dto::CommandError;
use crate::state::AppState;
use serde::{Deserialize, Serialize};
use tauri::State;
use ts_rs::TS;
use wicket_core::applock;
use wicket_core::secrets::Secret;
use wicket_core::time::now_ms;

type Res<T> = Result<T, CommandError>;

/// The commands of this file (their fixtures: `applock_tests.rs`).
#[cfg(test)]
pub const APPLOCK_COMMANDS: &[&str] = &["lock_status", "lock_now", "unlock_app", "lock_set_passphrase", "lock_turn_off", "lock_set_idle"];

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct LockStatusDto {
    /// A passphrase is set.
    pub enabled: bool,
    pub locked: bool,
    /// Minutes without input before the window locks; 0: only on demand.
    pub lock_after_minutes: i64,
    /// Wrong passphrases in a row.
    pub failures: i64,
    /// Seconds before the next passphrase is checked (0: now).
    pub wait_seconds: i64,
    /// The sentence the lock screen and Settings show: not disk encryption.
    pub not_encryption: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct UnlockAppArgs {
    pub passphrase: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct LockSetPassphraseArgs {
    pub passphrase: String,
    /// The passphrase in use, to change it (null to turn the lock on).
    pub current: Option<String>,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct LockIdleArgs {
    pub minutes: i64,
}

fn status(state: &AppState) -> Res<LockStatusDto> {
    let s = applock::status(&*state.store_while_locked()?, now_ms())?;
    Ok(LockStatusDto {
        enabled: s.enabled,
        locked: s.locked,
        lock_after_minutes: s.lock_after_minutes,
        failures: s.failures,
        wait_seconds: s.wait_seconds,
        not_encryption: applock::NOT_ENCRYPTION.into(),
    })
}

#[tauri::command]
pub fn lock_status(state: State<'_, AppState>) -> Res<LockStatusDto> {
    status(&state)
}

/// Locks now (the lock button, Ctrl+L, the palette, or the idle time).
#[tauri::command]
pub fn lock_now(state: State<'_, AppState>) -> Res<LockStatusDto> {
    applock::lock(&mut *state.store_while_locked()?)?;
    tracing::info!("the app was locked");
    status(&state)
}

/// Unlocks with the passphrase; a wrong one is `lock_passphrase_wrong`, and
/// after five in a row `lock_wait` until the wait is over.
#[tauri::command]
pub async fn unlock_app(state: State<'_, AppState>, args: UnlockAppArgs) -> Res<LockStatusDto> {
    applock::unlock(&mut *state.store_while_locked()?, &Secret::new(args.passphrase), now_ms())?;
    tracing::info!("the app was unlocked");
    status(&state)
}

/// Turns the lock on, or changes its passphrase (with the current one).
/// Only while unlocked: a locked window shows nothing else to change it from.
#[tauri::command]
pub async fn lock_set_passphrase(state: State<'_, AppState>, args: LockSetPassphraseArgs) -> Res<LockStatusDto> {
    let current = args.current.filter(|c| !c.is_empty()).map(Secret::new);
    applock::set_passphrase(&mut *state.store()?, &Secret::new(args.passphrase), current.as_ref(), now_ms())?;
    status(&state)
}

/// Turns the lock off (needs the passphrase).
#[tauri::command]
pub async fn lock_turn_off(state: State<'_, AppState>, args: UnlockAppArgs) -> Res<LockStatusDto> {
    applock::turn_off(&mut *state.store()?, &Secret::new(args.passphrase), now_ms())?;
    status(&state)
}

/// Sets the idle time (0: only on demand).
#[tauri::command]
pub fn lock_set_idle(state: State<'_, AppState>, args: LockIdleArgs) -> Res<LockStatusDto> {
    applock::set_lock_after_minutes(&mut *state.store()?, args.minutes)?;
    status(&state)
}
