//! Settings → About: the app's version and the store's schema (the same
//! figures as `wicket --version`), where the data and the logs are, and the
//! buttons that open those folders in the file manager.

use crate::dto::CommandError;
use crate::state::AppState;
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Runtime, State};
use ts_rs::TS;
use wicket_core::Error;

type Res<T> = Result<T, CommandError>;

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct AboutDto {
    /// The version of the app, the `wicket` command and the package (one, from the workspace).
    pub version: String,
    /// The store schema this build writes, and the one the open store has.
    pub schema_version: i64,
    pub store_schema_version: i64,
    pub data_dir: String,
    pub logs_dir: String,
}

/// Which folder `open_folder` opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Folder {
    Data,
    Logs,
    /// Where Settings → Export and import writes (`exports/` in the data folder).
    Exports,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct FolderArgs {
    pub folder: Folder,
}

#[tauri::command]
pub fn app_about(state: State<'_, AppState>) -> Res<AboutDto> {
    let store_schema_version = state.store()?.schema_version()?;
    Ok(AboutDto {
        version: wicket_core::VERSION.to_string(),
        schema_version: wicket_core::store::migrations::latest_version(),
        store_schema_version,
        data_dir: state.dir.root().display().to_string(),
        logs_dir: state.dir.logs_dir().display().to_string(),
    })
}

/// Opens the data folder or the logs folder in the desktop's file manager.
#[tauri::command]
pub async fn open_folder<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>, args: FolderArgs) -> Res<()> {
    use tauri_plugin_opener::OpenerExt;
    // The data folder holds the database and the media: not while locked.
    state.ensure_unlocked()?;
    let path = match args.folder {
        Folder::Data => state.dir.root().to_path_buf(),
        Folder::Logs => state.dir.logs_dir(),
        Folder::Exports => {
            let dir = crate::owner_settings::exports_dir(&state.dir);
            wicket_core::datadir::create_private_dir(&dir).map_err(|e| Error::io(format!("cannot create {}", dir.display()), e))?;
            dir
        }
    };
    app.opener()
        .open_path(path.display().to_string(), None::<&str>)
        .map_err(|e| Error::Invalid(format!("no file manager opened {}: {e}", path.display())).into())
}
