//! Keeping a running tunnel's URL registered: every account at the start,
//! and again whenever the tunnel reports a new URL.

use super::process::{Tunnel, TunnelEvent};
use super::register::{register_all, AccountRegistration, Registrar};
use crate::error::{Error, Result};
use crate::store::Account;
use serde::Serialize;
use std::fmt;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SupervisorReport {
    /// The accounts were registered (at the start, then after each URL change).
    Registered { public_base: String, results: Vec<AccountRegistration> },
    /// The tool exited by itself: the address is gone until it is started again.
    TunnelExited(Option<i32>),
}

/// Keeps a tunnel's URL registered: registers every account at the start
/// and again whenever the tunnel reports a new URL. Stops the tunnel when
/// stopped or dropped.
pub struct TunnelSupervisor {
    tunnel: Tunnel,
    task: Option<tokio::task::JoinHandle<()>>,
    reports: UnboundedReceiver<SupervisorReport>,
}

impl fmt::Debug for TunnelSupervisor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TunnelSupervisor").field("tunnel", &self.tunnel).finish()
    }
}

impl TunnelSupervisor {
    /// Takes over `tunnel` (and its events) and starts registering on the
    /// current Tokio runtime.
    pub fn start(mut tunnel: Tunnel, accounts: Vec<Account>, register: Registrar) -> Result<TunnelSupervisor> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| Error::Internal("the tunnel supervisor needs a Tokio runtime".into()))?;
        let events = tunnel.take_events();
        let first = tunnel.public_url();
        let (tx, reports) = unbounded_channel();
        let task = runtime.spawn(async move {
            let mut current = first;
            let results = register_all(&accounts, &current, &register).await;
            if tx.send(SupervisorReport::Registered { public_base: current.clone(), results }).is_err() {
                return;
            }
            let Some(mut events) = events else { return };
            while let Some(event) = events.recv().await {
                let mut latest = None;
                let mut exited = None;
                let mut handle = |e: TunnelEvent| match e {
                    TunnelEvent::UrlChanged(u) => latest = Some(u),
                    TunnelEvent::Exited(code) => exited = Some(code),
                };
                handle(event);
                // Several changes in a row: register only the last URL.
                while let Ok(more) = events.try_recv() {
                    handle(more);
                }
                if let Some(u) = latest.filter(|u| *u != current) {
                    current = u;
                    let results = register_all(&accounts, &current, &register).await;
                    if tx.send(SupervisorReport::Registered { public_base: current.clone(), results }).is_err() {
                        return;
                    }
                }
                if let Some(code) = exited {
                    let _ = tx.send(SupervisorReport::TunnelExited(code));
                    return;
                }
            }
        });
        Ok(TunnelSupervisor { tunnel, task: Some(task), reports })
    }

    /// The next report; `None` once the supervisor has nothing more to say.
    pub async fn next_report(&mut self) -> Option<SupervisorReport> {
        self.reports.recv().await
    }

    /// Hands the reports still to come to someone else (the window forwards
    /// them as they arrive) while this value keeps owning the tunnel;
    /// `next_report` answers `None` afterwards.
    pub fn take_reports(&mut self) -> UnboundedReceiver<SupervisorReport> {
        let (_, empty) = unbounded_channel();
        std::mem::replace(&mut self.reports, empty)
    }

    pub fn tunnel(&self) -> &Tunnel {
        &self.tunnel
    }

    pub fn public_url(&self) -> String {
        self.tunnel.public_url()
    }

    /// Stops registering and stops the tunnel.
    pub fn stop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
        self.tunnel.stop();
    }
}

impl Drop for TunnelSupervisor {
    fn drop(&mut self) {
        self.stop();
    }
}
