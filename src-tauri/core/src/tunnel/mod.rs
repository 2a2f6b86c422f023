//! A public address for the webhook listener: finds an installed tunnel tool
//! (cloudflared, ngrok, Tailscale Funnel), starts it for the listener's
//! local port, reads the public URL it reports, registers the webhook URL
//! with the provider where the provider's API allows it (or says exactly
//! what to paste where), and checks the whole path end to end.
//!
//! Meta and WASender deliver inbound messages only to a public HTTPS
//! address, which a desktop behind a home router does not have. A tunnel
//! tool gives it one: [`detect`] looks the tools up on `PATH` (no network),
//! a [`TunnelSpec`] says how to start one (its executable can be overridden),
//! and [`Tunnel::start`] runs it with its output piped and read on threads,
//! returns once the first public URL appears, and keeps watching: a new URL
//! or the tool's exit is reported as a [`TunnelEvent`]. Stopping (or
//! dropping) a [`Tunnel`] kills the process and waits for it.
//! [`TunnelSupervisor`] registers every account's webhook URL
//! ([`webhook_url`]) through a per-account [`Registrar`] (Meta's is
//! [`meta_registrar`]) and registers again whenever the URL changes.
//! [`self_check_meta`] proves the public URL reaches this listener: `/health`,
//! the verification handshake, and a signed test event that stores nothing
//! but a webhook log row.
//!
//! Rules kept here: no secret and no URL with a query string is logged; the
//! tool's output kept for error messages is scrubbed of query strings and
//! `token=`-like values; a verify token appears only in the text the owner
//! must paste ([`Registration::ManualStepNeeded`], whose `Debug` withholds it).
//!
//! The concerns, one module each: [`spec`] (how each tool is started),
//! [`detect`] (finding it), [`output`] (reading its URL), [`process`]
//! (running it), [`register`] (the webhook URL with each provider; the
//! provider-specific calls live with each provider), [`supervisor`]
//! (registering again when the URL changes), [`self_check`] and [`setup`]
//! (the public-address step's helpers). What survives restarts: [`saved`]
//! (the chosen setup, a setting), [`pidfile`] (the running tool, killed at
//! the next start after a crash), [`health`] (the last check, a setting),
//! [`wake`] (noticing a sleep) and [`keeper`], which runs them all.

pub mod detect;
pub mod health;
pub mod keeper;
pub mod output;
pub mod pidfile;
pub mod process;
pub mod register;
pub mod saved;
pub mod self_check;
pub mod setup;
pub mod spec;
pub mod supervisor;
pub mod wake;

pub use crate::providers::meta::registration::{meta_manual_step, meta_registrar, register_meta};
pub use detect::{detect, detect_in, suggested_spec, InstalledTool};
pub use health::{PublicAddressHealth, Reachability};
pub use keeper::{KeeperConfig, KeeperReport, PublicAddressKeeper};
pub use process::{Tunnel, TunnelEvent};
pub use register::{provider_registrar, register_all, webhook_url, AccountRegistration, RegisterFuture, Registrar, Registration};
pub use saved::{PublicAddress, SavedSetup};
pub use self_check::{
    self_check_health, self_check_meta, self_check_wasender, CheckStep, SelfCheck, StepStatus, STEP_HANDSHAKE, STEP_HEALTH, STEP_SIGNED_EVENT,
};
pub use setup::{manual_step, parse_listen, spec_for, DEFAULT_LISTEN};
pub use spec::{TunnelKind, TunnelSpec};
pub use supervisor::{SupervisorReport, TunnelSupervisor};

use std::sync::{Mutex, MutexGuard};

/// What the wizard says about a URL that stays the same.
pub const STABLE_URL_NOTE: &str = "This address stays the same every time the tunnel starts, so the provider keeps \
delivering to it: messages that arrive while this computer is off or offline are delivered once it is back \
(Meta keeps retrying for up to 7 days).";

/// What the wizard says about a URL that changes at every start.
pub const CHANGING_URL_NOTE: &str = "This address changes every time the tunnel starts. Wicket registers the new \
address with the provider where it can, but whatever the provider is still retrying goes to the old address and \
is lost (Meta retries for up to 7 days, always to the address it first tried). Prefer a stable address: a named \
Cloudflare tunnel, an ngrok reserved domain or Tailscale Funnel.";

/// The plain explanation for the UI of what a stable or changing URL means.
pub fn url_explanation(stable: bool) -> &'static str {
    if stable {
        STABLE_URL_NOTE
    } else {
        CHANGING_URL_NOTE
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
