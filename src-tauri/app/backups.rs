//! Settings → Backups (create now, the schedule, the list, restore with a
//! confirmation) and the contact panel's customer data requests (export,
//! erase). The work is the core's (`wicket_core::backup`,
//! `wicket_core::contact_data`); these commands parse, call, map.

use crate::dto::CommandError;
use crate::state::AppState;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use tauri::{AppHandle, Manager, Runtime, State};
use ts_rs::TS;
use wicket_core::backup::{self, schedule};
use wicket_core::secrets::Secret;
use wicket_core::{contact_data, Error};

type Res<T> = Result<T, CommandError>;

/// What a backup holds or a restore brought back (`wicket_core::backup::Counts`).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct BackupCountsDto {
    pub accounts: i64,
    pub conversations: i64,
    pub messages: i64,
    pub media_files: i64,
    pub secrets: i64,
}

impl From<&backup::Counts> for BackupCountsDto {
    fn from(c: &backup::Counts) -> BackupCountsDto {
        BackupCountsDto { accounts: c.accounts, conversations: c.conversations, messages: c.messages, media_files: c.media_files, secrets: c.secrets }
    }
}

/// One scheduled backup in the folder.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct BackupFileDto {
    pub name: String,
    pub path: String,
    pub size: u64,
    /// RFC 3339.
    pub created_at: String,
}

/// Settings → Backups: the schedule and the backups in the folder.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct BackupStatusDto {
    pub enabled: bool,
    pub folder: String,
    pub keep: i64,
    pub every_hours: f64,
    pub with_secrets: bool,
    /// A passphrase for scheduled backups is in the secret store.
    pub passphrase_set: bool,
    pub backups: Vec<BackupFileDto>,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct BackupScheduleArgs {
    pub enabled: bool,
    /// Empty: `backups/` in the data dir.
    pub folder: String,
    pub keep: i64,
    pub every_hours: f64,
    pub with_secrets: bool,
    /// A new passphrase for scheduled backups; null keeps the stored one.
    #[ts(optional)]
    pub passphrase: Option<String>,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct BackupCreateArgs {
    /// Where to write it; empty: a dated file in the backup folder.
    pub out: String,
    pub passphrase: String,
    pub with_secrets: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct BackupCreatedDto {
    pub path: String,
    pub size: u64,
    pub created_at: String,
    pub counts: BackupCountsDto,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct BackupRestoreArgs {
    pub file: String,
    pub passphrase: String,
    /// The owner confirmed replacing a store that has messages.
    pub force: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct BackupRestoredDto {
    pub backup_created_at: String,
    pub replaced_messages: i64,
    pub restored: BackupCountsDto,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct ContactExportArgs {
    pub contact_id: i64,
    /// The zip to write; empty: `exports/customer-{id}-{time}.zip` in the data dir.
    pub out: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ContactExportDto {
    pub path: String,
    pub conversations: i64,
    pub messages: i64,
    pub media_files: i64,
    pub notes: i64,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct ContactEraseArgs {
    pub contact_id: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ContactErasedDto {
    pub contacts: i64,
    pub conversations: i64,
    pub messages: i64,
    pub media_files: i64,
    pub webhook_events: i64,
    pub notes: i64,
    pub wal_cleared: bool,
}

fn status(state: &AppState) -> Res<BackupStatusDto> {
    let mut store = state.store()?;
    let s = schedule::schedule(&store, &state.dir)?;
    let id = store.data_dir_id()?;
    drop(store);
    // A secret store that cannot open (locked vault) simply has no passphrase to show.
    let passphrase_set = state.secrets.open(&id).ok().and_then(|s| s.get_app(schedule::PASSPHRASE_SECRET).ok().flatten()).is_some();
    let backups = schedule::list(std::path::Path::new(&s.folder))?
        .into_iter()
        .map(|b| BackupFileDto { name: b.name, path: b.path, size: b.size, created_at: b.created_at })
        .collect();
    Ok(BackupStatusDto {
        enabled: s.enabled,
        folder: s.folder,
        keep: s.keep,
        every_hours: s.every_hours,
        with_secrets: s.with_secrets,
        passphrase_set,
        backups,
    })
}

#[tauri::command]
pub fn backup_status(state: State<'_, AppState>) -> Res<BackupStatusDto> {
    status(&state)
}

#[tauri::command]
pub fn backup_set_schedule(state: State<'_, AppState>, args: BackupScheduleArgs) -> Res<BackupStatusDto> {
    // NaN is refused too: it is not finite.
    if args.keep < 1 || !args.every_hours.is_finite() || args.every_hours <= 0.0 {
        return Err(Error::Invalid("keep at least one backup, and back up at least every few hours (more than 0)".into()).into());
    }
    let id = {
        let mut store = state.store()?;
        let id = store.data_dir_id()?;
        if let Some(p) = args.passphrase.as_deref().filter(|p| !p.is_empty()) {
            let p = Secret::new(p.to_string());
            backup::check_passphrase(&p)?;
            state.secrets.open(&id)?.set_app(schedule::PASSPHRASE_SECRET, &p)?;
        }
        store.set_setting(schedule::ENABLED, &serde_json::json!(args.enabled))?;
        store.set_setting(schedule::FOLDER, &serde_json::json!(args.folder.trim()))?;
        store.set_setting(schedule::KEEP, &serde_json::json!(args.keep))?;
        store.set_setting(schedule::EVERY_HOURS, &serde_json::json!(args.every_hours))?;
        store.set_setting(schedule::WITH_SECRETS, &serde_json::json!(args.with_secrets))?;
        id
    };
    let st = status(&state)?;
    if st.enabled && !st.passphrase_set {
        tracing::info!(data_dir_id = id, "scheduled backups are on without a passphrase yet");
    }
    Ok(st)
}

#[tauri::command]
pub fn backup_create(state: State<'_, AppState>, args: BackupCreateArgs) -> Res<BackupCreatedDto> {
    let pass = Secret::new(args.passphrase);
    let mut store = state.store()?;
    let secrets = if args.with_secrets { Some(state.secrets.open(&store.data_dir_id()?)?) } else { None };
    let created = if args.out.trim().is_empty() {
        schedule::run_now(&store, &state.dir, &pass, secrets.as_ref(), wicket_core::time::now_ms())?
    } else {
        backup::create(&store, &state.dir, &PathBuf::from(args.out.trim()), &pass, secrets.as_ref())?
    };
    Ok(BackupCreatedDto { path: created.path, size: created.size, created_at: created.manifest.created_at, counts: (&created.manifest.counts).into() })
}

/// Stops this window's engine for the restore (a restore refuses a running
/// engine) and starts it again afterwards, whatever the outcome.
#[tauri::command]
pub async fn backup_restore<R: Runtime>(app: AppHandle<R>, args: BackupRestoreArgs) -> Res<BackupRestoredDto> {
    // A restore replaces the whole store: never from behind the lock.
    app.state::<AppState>().ensure_unlocked()?;
    let handle = app.clone();
    let outcome = tauri::async_runtime::spawn_blocking(move || -> Res<BackupRestoredDto> {
        let slot = handle.state::<crate::engine::EngineSlot>();
        let had_engine = match slot.take() {
            Some(engine) => {
                engine.stop();
                true
            }
            None => false,
        };
        let state = handle.state::<AppState>();
        let secrets = state.secrets.clone();
        let dir = state.dir.clone();
        let mut open = || {
            let id = wicket_core::Store::open(&dir.db_path())?.data_dir_id()?;
            secrets.open(&id)
        };
        let result = backup::restore(&state.dir, &PathBuf::from(&args.file), &Secret::new(args.passphrase), args.force, Some(&mut open));
        if had_engine {
            crate::engine::restart(&handle);
        }
        let r = result?;
        crate::events::store_changed(&handle);
        Ok(BackupRestoredDto { backup_created_at: r.backup_created_at, replaced_messages: r.replaced_messages, restored: (&r.restored).into() })
    })
    .await;
    outcome.map_err(|e| CommandError::from(Error::Internal(format!("the restore's worker stopped: {e}"))))?
}

#[tauri::command]
pub fn contact_export(state: State<'_, AppState>, args: ContactExportArgs) -> Res<ContactExportDto> {
    let store = state.store()?;
    let out = if args.out.trim().is_empty() {
        // The window has no file dialog: a dated zip in the data dir's `exports/`.
        let folder = state.dir.root().join("exports");
        wicket_core::datadir::create_private_dir(&folder).map_err(|e| Error::io(format!("cannot create {}", folder.display()), e))?;
        let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S");
        folder.join(format!("customer-{}-{stamp}.zip", args.contact_id))
    } else {
        PathBuf::from(args.out.trim())
    };
    let done = contact_data::export_contacts(&store, &state.dir, &[args.contact_id], &out)?;
    Ok(ContactExportDto {
        path: done.path,
        conversations: done.conversations as i64,
        messages: done.messages as i64,
        media_files: done.media_files as i64,
        notes: done.notes as i64,
    })
}

/// Erases the customer; the lists reload on `store-changed`.
#[tauri::command]
pub fn contact_erase<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>, args: ContactEraseArgs) -> Res<ContactErasedDto> {
    let mut store = state.store()?;
    let done = contact_data::erase_contacts(&mut store, &state.dir, &[args.contact_id])?;
    drop(store);
    crate::events::store_changed(&app);
    Ok(ContactErasedDto {
        contacts: done.contacts as i64,
        conversations: done.conversations as i64,
        messages: done.messages as i64,
        media_files: done.media_files as i64,
        webhook_events: done.webhook_events as i64,
        notes: done.notes as i64,
        wal_cleared: done.wal_cleared,
    })
}
