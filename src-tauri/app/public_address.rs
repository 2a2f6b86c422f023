//! The public address in the window: the core's public-address keeper
//! (`wicket_core::tunnel::keeper`) runs beside the engine from every start
//! of the app, not only inside the wizard. It brings back the saved setup
//! (the tunnel tool, or a fixed URL), stops a tunnel a crashed run left,
//! registers the address with the providers and checks it at the start,
//! every 15 minutes and after the computer wakes.
//!
//! What it finds is announced as `public-address-health`
//! ([`PublicAddressStatusDto`]: the UI's banner with Stop and Restart) and,
//! when customers' messages stop reaching this computer, as a desktop
//! notification in plain words with a Restart button (as `notifications.rs`
//! shows message notifications: notify-rust, on a thread of its own). The
//! wizard's "Start tunnel" goes through the same keeper and saves the setup.

use crate::dto::{CommandError, EngineState, PublicAddressChanged, RegistrationDto};
use crate::state::AppState;
use serde::Serialize;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;
use tauri::{AppHandle, Emitter, Manager, Runtime, State};
use ts_rs::TS;
use wicket_core::secrets::SecretStore;
use wicket_core::tunnel::{self, health, saved, KeeperConfig, KeeperReport, PublicAddress, PublicAddressHealth, PublicAddressKeeper, SavedSetup};
use wicket_core::{DataDir, Error, Result, Store};

type Res<T> = std::result::Result<T, CommandError>;

/// Event: the public address's state changed ([`PublicAddressStatusDto`]).
pub const PUBLIC_ADDRESS_HEALTH: &str = "public-address-health";

/// What the window shows about the public address.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct PublicAddressStatusDto {
    /// `unconfigured` (no public address chosen yet), `starting`,
    /// `reachable`, `unreachable` or `stopped`.
    pub state: String,
    pub public_url: Option<String>,
    /// "the cloudflared tunnel", or the fixed address.
    pub via: Option<String>,
    /// The tunnel tool's name; null for a fixed address.
    pub tool: Option<String>,
    /// When it was last checked (ms since the epoch).
    pub checked_at: Option<i64>,
    /// In plain words, for the banner: what is wrong and what fixes it.
    pub reason: Option<String>,
    /// What exactly failed.
    pub detail: Option<String>,
    /// `restart` when the Restart button fixes it.
    pub fix: Option<String>,
    /// The accounts it concerns: switched on and delivered to by webhook.
    pub account_ids: Vec<i64>,
    /// Whether this window keeps the address (Stop and Restart work here);
    /// false when `wicket serve` runs the engine, or no listener runs.
    pub managed_here: bool,
    /// Whether a tunnel runs that Stop would stop.
    pub can_stop: bool,
}

/// The keeper this window runs, with the listener port it forwards to.
struct Kept {
    keeper: PublicAddressKeeper,
    port: u16,
}

static KEPT: Mutex<Option<Kept>> = Mutex::new(None);

fn kept() -> MutexGuard<'static, Option<Kept>> {
    KEPT.lock().unwrap_or_else(|p| p.into_inner())
}

/// The status from the store (the keeper persists every change there).
fn status(store: &Store) -> Result<PublicAddressStatusDto> {
    let setup = saved::load(store).unwrap_or_else(|e| {
        tracing::warn!("{e}");
        None
    });
    let h = health::load(store)?;
    let account_ids = health::webhook_accounts(&store.accounts()?).into_iter().map(|a| a.id).collect();
    let managed_here = kept().is_some();
    let Some(setup) = setup else {
        return Ok(PublicAddressStatusDto {
            state: "unconfigured".into(),
            public_url: store.setting_str("public_url")?,
            via: None,
            tool: None,
            checked_at: None,
            reason: None,
            detail: None,
            fix: None,
            account_ids,
            managed_here,
            can_stop: false,
        });
    };
    let can_stop = managed_here && setup.active && matches!(setup.address, PublicAddress::Tunnel(_));
    Ok(match h {
        Some(h) => PublicAddressStatusDto {
            state: h.state.as_str().into(),
            public_url: h.public_url,
            via: Some(h.via),
            tool: h.tool,
            checked_at: h.checked_at,
            reason: h.reason,
            detail: h.detail,
            fix: h.fix,
            account_ids,
            managed_here,
            can_stop,
        },
        None => PublicAddressStatusDto {
            state: "starting".into(),
            public_url: None,
            via: Some(setup.address.describe()),
            tool: setup.address.tool(),
            checked_at: None,
            reason: None,
            detail: None,
            fix: None,
            account_ids,
            managed_here,
            can_stop,
        },
    })
}

fn status_of<R: Runtime>(app: &AppHandle<R>) -> Result<PublicAddressStatusDto> {
    let state = app.state::<AppState>();
    let store = state.store().map_err(|e| Error::Internal(e.message))?;
    status(&store)
}

fn secrets(dir: &DataDir, window_secrets: &crate::vault::WindowSecrets) -> Result<SecretStore> {
    let mut store = Store::open(&dir.db_path())?;
    let id = store.data_dir_id()?;
    match window_secrets.open(&id) {
        Ok(s) => Ok(s),
        // No account needs a secret yet (a fresh data dir): checks need none.
        Err(_) if store.accounts()?.is_empty() => Ok(SecretStore::in_memory(&id)),
        Err(e) => Err(e),
    }
}

/// Starts a keeper for `setup` on the listener's `port` (replacing one that
/// runs), on the app's async runtime; its reports go to the window.
async fn start_keeper<R: Runtime>(app: &AppHandle<R>, dir: DataDir, port: u16, setup: SavedSetup) -> Result<tokio::sync::broadcast::Receiver<KeeperReport>> {
    let old = kept().take();
    if let Some(old) = old {
        old.keeper.shutdown().await;
    }
    let secrets = {
        let (dir, window_secrets) = (dir.clone(), app.state::<AppState>().secrets.clone());
        tauri::async_runtime::spawn_blocking(move || secrets(&dir, &window_secrets))
            .await
            .map_err(|e| Error::Internal(format!("the secret store could not open: {e}")))??
    };
    let (keeper, reports) = PublicAddressKeeper::start(KeeperConfig::new(dir, port, secrets), setup)?;
    let mine = keeper.subscribe();
    *kept() = Some(Kept { keeper, port });
    forward(app.clone(), reports);
    Ok(mine)
}

/// The engine started in this window (`engine.rs`): the saved setup comes
/// back on the engine's listener.
pub fn engine_started<R: Runtime>(app: &AppHandle<R>, listen: Option<std::net::SocketAddr>) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let dir = app.state::<AppState>().dir.clone();
        let setup = match Store::open(&dir.db_path()).and_then(|s| saved::load(&s)) {
            Ok(Some(s)) => s,
            Ok(None) => return,
            Err(e) => return tracing::warn!("the public address is not started: {e}"),
        };
        let port = match (&setup.address, listen) {
            (_, Some(addr)) => addr.port(),
            (PublicAddress::FixedUrl(_), None) => 0,
            (PublicAddress::Tunnel(_), None) => {
                return tracing::warn!("a tunnel is set up but the webhook listener is off: the tunnel is not started");
            }
        };
        if let Err(e) = start_keeper(&app, dir, port, setup).await {
            tracing::warn!("the public address could not start: {e}");
        }
    });
}

/// The app quits: the tunnel stops (its setup stays saved for the next start).
pub fn shutdown() {
    let taken = kept().take();
    if let Some(k) = taken {
        k.keeper.shutdown_blocking(Duration::from_secs(10));
    }
}

fn registration_dto(r: tunnel::AccountRegistration) -> RegistrationDto {
    crate::wizard::registration_dto(r)
}

/// Sends the keeper's reports to the window: the state as
/// `public-address-health` (and a notification when messages stop reaching
/// this computer), a new address as `public-address-changed`.
fn forward<R: Runtime>(app: AppHandle<R>, mut reports: tokio::sync::broadcast::Receiver<KeeperReport>) {
    tauri::async_runtime::spawn(async move {
        let mut first_registration = true;
        let mut was_unreachable = false;
        loop {
            let report = match reports.recv().await {
                Ok(r) => r,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            };
            match report {
                KeeperReport::Registered { public_base, results } => {
                    // The first one is the wizard's answer; later ones are new addresses.
                    if !std::mem::replace(&mut first_registration, false) {
                        let event = PublicAddressChanged {
                            public_url: Some(public_base),
                            registrations: results.into_iter().map(registration_dto).collect(),
                            exit_code: None,
                        };
                        emit(&app, crate::wizard::PUBLIC_ADDRESS_CHANGED, event);
                    }
                }
                KeeperReport::Started { .. } => first_registration = true,
                KeeperReport::TunnelExited(code) => {
                    emit(&app, crate::wizard::PUBLIC_ADDRESS_CHANGED, PublicAddressChanged { public_url: None, registrations: vec![], exit_code: code });
                }
                KeeperReport::Health(h) => {
                    let unreachable = h.is_unreachable();
                    if unreachable && !was_unreachable {
                        notify_unreachable(&app, &h);
                    }
                    was_unreachable = unreachable;
                    match status_of(&app) {
                        Ok(s) => emit(&app, PUBLIC_ADDRESS_HEALTH, s),
                        Err(e) => tracing::warn!("cannot read the public address's state: {e}"),
                    }
                }
                KeeperReport::StaleKilled { pid } => tracing::info!(pid, "stopped a tunnel an earlier run left running"),
                KeeperReport::StartFailed(_) => {}
            }
        }
    });
}

fn emit<R: Runtime, P: Serialize + Clone>(app: &AppHandle<R>, name: &str, payload: P) {
    if let Err(e) = app.emit(name, payload) {
        tracing::warn!("cannot emit {name}: {e}");
    }
}

/// The notification's title and body: the plain sentence split at its colon.
pub fn notification_text(h: &PublicAddressHealth) -> (String, String) {
    let reason = h.reason.clone().unwrap_or_else(|| health::cannot_reach(&format!("{} is unreachable", h.via), "Restart it"));
    match reason.split_once(": ") {
        Some((title, body)) => (title.to_string(), body.to_string()),
        None => ("Wicket".into(), reason),
    }
}

/// "Customers' messages cannot reach this computer" with a Restart button
/// (and a click that brings the window). Off when the owner turned
/// notifications off; never blocks the caller.
fn notify_unreachable<R: Runtime>(app: &AppHandle<R>, h: &PublicAddressHealth) {
    let wanted = app.state::<AppState>().store_while_locked().ok().and_then(|s| wicket_core::prefs::Preferences::load(&s).ok()).is_none_or(|p| p.notifications);
    if !wanted {
        return;
    }
    let (title, body) = notification_text(h);
    let app = app.clone();
    let spawned = std::thread::Builder::new().name("notification-public-address".into()).spawn(move || {
        let mut note = notify_rust::Notification::new();
        note.appname("Wicket")
            .summary(&title)
            .body(&body.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;"))
            .icon("app.wicket.inbox")
            .hint(notify_rust::Hint::Category("network.error".into()))
            .hint(notify_rust::Hint::DesktopEntry("app.wicket.inbox".into()))
            .action("restart", "Restart")
            .action("default", "Open");
        let handle = match note.show() {
            Ok(h) => h,
            Err(e) => return tracing::warn!("cannot show a notification: {e}"),
        };
        tracing::info!(id = handle.id(), "public-address notification shown");
        handle.wait_for_action(|action| match action {
            "restart" => restart_now(&app),
            "default" => crate::window::bring_to_front(&app),
            _ => {}
        });
    });
    if let Err(e) = spawned {
        tracing::warn!("cannot show the public-address notification: {e}");
    }
}

fn restart_now<R: Runtime>(app: &AppHandle<R>) {
    tracing::info!("notification: restarting the public address");
    match kept().as_ref() {
        Some(k) => k.keeper.restart(None),
        None => crate::window::bring_to_front(app),
    }
}

/// Waits (bounded) for the keeper's next state after an owner's action.
async fn settled(mut rx: tokio::sync::broadcast::Receiver<KeeperReport>, within: Duration) {
    let wait = async {
        loop {
            match rx.recv().await {
                Ok(KeeperReport::Health(h)) if h.trigger == "owner" && h.state != tunnel::Reachability::Starting => return,
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            }
        }
    };
    let _ = tokio::time::timeout(within, wait).await;
}

fn not_here(state: &AppState) -> CommandError {
    match state.info().engine {
        EngineState::Elsewhere { holder } => {
            Error::Invalid(format!("the public address is kept by the Wicket engine running elsewhere ({holder}): stop or restart it there")).into()
        }
        _ => Error::NotFound("no public address runs in this window: choose one in the account's setup (Add account → public address)".into()).into(),
    }
}

/// The public address's state as last checked (the banner).
#[tauri::command]
pub async fn public_address_status(state: State<'_, AppState>) -> Res<PublicAddressStatusDto> {
    Ok(status(&*state.store()?)?)
}

/// Stop: the tunnel stops and stays stopped, at the next starts too, until Restart.
#[tauri::command]
pub async fn public_address_stop(state: State<'_, AppState>) -> Res<PublicAddressStatusDto> {
    state.ensure_unlocked()?;
    let rx = match kept().as_ref() {
        Some(k) => {
            let rx = k.keeper.subscribe();
            k.keeper.stop();
            rx
        }
        None => return Err(not_here(&state)),
    };
    settled(rx, Duration::from_secs(20)).await;
    Ok(status(&*state.store()?)?)
}

/// Restart: the saved setup starts again (a stopped one too), is
/// registered and checked; answers with the state the check found.
#[tauri::command]
pub async fn public_address_restart<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>) -> Res<PublicAddressStatusDto> {
    let rx = match kept().as_ref() {
        Some(k) => {
            let rx = k.keeper.subscribe();
            k.keeper.restart(None);
            Some(rx)
        }
        None => None,
    };
    let rx = match rx {
        Some(rx) => rx,
        None => {
            // Not kept here yet (the engine's listener came up without a setup): start it now.
            let setup = saved::load(&*state.store()?)?.ok_or_else(|| not_here(&state))?;
            let port = match state.info().engine {
                EngineState::Running { listen: Some(a) } => a.parse::<std::net::SocketAddr>().map(|a| a.port()).unwrap_or(0),
                _ => return Err(not_here(&state)),
            };
            saved::set_active(&mut *state.store()?, true)?;
            let setup = SavedSetup { active: true, ..setup };
            start_keeper(&app, state.dir.clone(), port, setup).await?
        }
    };
    settled(rx, Duration::from_secs(90)).await;
    Ok(status(&*state.store()?)?)
}

/// The wizard's "Start tunnel": saves `address` as the setup and starts it
/// through the keeper (replacing what ran) on the listener's `port`;
/// answers once the address is registered, or with why it did not start.
pub async fn start_from_wizard<R: Runtime>(
    app: &AppHandle<R>,
    dir: DataDir,
    port: u16,
    address: PublicAddress,
) -> Result<(String, bool, Vec<tunnel::AccountRegistration>)> {
    let setup = SavedSetup { address: address.clone(), active: true };
    let same_port = kept().as_ref().is_some_and(|k| k.port == port);
    let mut rx = if same_port {
        let guard = kept();
        let k = guard.as_ref().ok_or_else(|| Error::Internal("the public-address keeper stopped".into()))?;
        let rx = k.keeper.subscribe();
        k.keeper.restart(Some(address));
        rx
    } else {
        saved::save(&mut Store::open(&dir.db_path())?, &setup)?;
        start_keeper(app, dir, port, setup).await?
    };
    let wait = async {
        let mut started = None;
        loop {
            match rx.recv().await {
                Ok(KeeperReport::Started { public_url, stable, .. }) => started = Some((public_url, stable)),
                Ok(KeeperReport::StartFailed(why)) => return Err(Error::NotFound(why)),
                Ok(KeeperReport::Registered { results, .. }) => {
                    if let Some((url, stable)) = started.take() {
                        return Ok((url, stable, results));
                    }
                }
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return Err(Error::Internal("the public-address keeper stopped".into())),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(120), wait).await.map_err(|_| Error::Internal("the tunnel took too long to start: try again".into()))?
}

/// A fixed address the owner checked in the wizard becomes the setup when
/// none was chosen, and is kept from now on (registered, checked).
pub fn adopt_fixed_url<R: Runtime>(app: &AppHandle<R>, dir: DataDir, port: u16, url: String) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let adopted = (|| {
            let mut store = Store::open(&dir.db_path())?;
            if saved::load(&store)?.is_some() {
                return Ok(None);
            }
            let setup = SavedSetup { address: PublicAddress::FixedUrl(url), active: true };
            saved::save(&mut store, &setup)?;
            Ok::<_, Error>(Some(setup))
        })();
        match adopted {
            Ok(Some(setup)) if kept().is_none() => {
                if let Err(e) = start_keeper(&app, dir, port, setup).await {
                    tracing::warn!("the public address could not start: {e}");
                }
            }
            Ok(_) => {}
            Err(e) => tracing::warn!("cannot save the public address: {e}"),
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use wicket_core::tunnel::Reachability;

    #[test]
    fn the_notification_says_it_in_plain_words() {
        let h = PublicAddressHealth {
            state: Reachability::Unreachable,
            public_url: None,
            via: "the cloudflared tunnel".into(),
            tool: Some("cloudflared".into()),
            checked_at: Some(1),
            reason: Some(health::cannot_reach("the cloudflared tunnel stopped", "Restart it")),
            detail: Some("exit code 1".into()),
            fix: Some("restart".into()),
            trigger: "tunnel_exited".into(),
            accounts: vec![],
        };
        let (title, body) = notification_text(&h);
        assert_eq!(title, "Customers' messages cannot reach this computer");
        assert_eq!(body, "the cloudflared tunnel stopped. Restart it");
    }
}
