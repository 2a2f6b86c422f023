//! `wicket serve`: runs the engine until SIGINT or SIGTERM, then exits 0
//! after a clean shutdown.
//!
//! With `--tunnel` or `--public-url` (saved as the public-address setup),
//! or with a setup saved earlier (by this command or the desktop app), the
//! public-address keeper runs beside the engine exactly as in the desktop
//! app: a tunnel left by a crashed run is stopped, the address is
//! registered with the providers and checked at the start, every 15 minutes
//! and after a wake-up; each outcome is printed and kept for `wicket monitor`.

use crate::context::Context;
use crate::ServeArgs;
use std::net::SocketAddr;
use wicket_core::engine::Engine;
use wicket_core::error::{Error, ErrorKind, ProviderError, Result};
use wicket_core::tunnel::{self, saved, KeeperConfig, KeeperReport, PublicAddress, PublicAddressKeeper, Reachability, SavedSetup};

pub fn serve(ctx: &mut Context, args: ServeArgs) -> Result<()> {
    // What the flags ask for replaces the saved setup once it started.
    let chosen = match (&args.tunnel, &args.public_url) {
        (Some(kind), _) => Some(PublicAddress::Tunnel(tunnel_spec(kind, &args)?)),
        (None, Some(url)) => Some(PublicAddress::FixedUrl(url.trim().trim_end_matches('/').to_string())),
        (None, None) => None,
    };
    let setup = match &chosen {
        Some(address) => Some(SavedSetup { address: address.clone(), active: true }),
        None => match saved::load(&ctx.store) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("Warning: {e}");
                None
            }
        },
    };
    let saved_tunnel = matches!(&setup, Some(SavedSetup { address: PublicAddress::Tunnel(_), active: true }));
    let listen: Option<SocketAddr> = match &args.listen {
        Some(a) => Some(a.parse().map_err(|_| Error::Invalid(format!("--listen takes ADDR:PORT such as 127.0.0.1:8765, got {a:?}")))?),
        None => {
            let configured = wicket_core::webhook::configured_listen(&ctx.store)?;
            // --webhooks and a tunnel turn the listener on even when the setting does not.
            let wanted = args.webhooks || saved_tunnel;
            configured.or(wanted.then_some(wicket_core::webhook::DEFAULT_ADDR))
        }
    };
    if let Some(addr) = listen {
        if !addr.ip().is_loopback() {
            eprintln!("Warning: the webhook listener binds {addr}, reachable from other machines; only signed requests are accepted, but prefer 127.0.0.1 behind a tunnel");
        }
    }
    if let Some(PublicAddress::Tunnel(spec)) = &chosen {
        // Said before anything starts, as the owner typed the tool's name.
        if tunnel::detect::resolve_program(&spec.program).is_none() {
            return Err(tunnel::detect::not_installed(spec));
        }
    }
    let secrets = match ctx.secrets() {
        Ok(s) => s,
        // With no account there is no secret to read yet: run anyway, and say
        // what adding an account will need.
        Err(e) if ctx.store.accounts()?.is_empty() => {
            eprintln!("Warning: {e}. No account needs a secret yet; restart `wicket serve` after adding one.");
            let id = ctx.store.data_dir_id()?;
            std::sync::Arc::new(wicket_core::secrets::SecretStore::in_memory(&id))
        }
        Err(e) => return Err(e),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| Error::io("cannot start the async runtime", e))?;
    runtime.block_on(async {
        let engine = Engine::start(ctx.dir.clone(), secrets.clone(), listen)?;
        engine.activity().set_active(args.in_use);
        match engine.listen_addr() {
            Some(addr) => println!("listening on http://{addr}"),
            None => println!("engine running (webhook listener off)"),
        }
        let mut keeper = None;
        let mut printer = None;
        if let Some(setup) = setup {
            let port = engine.listen_addr().map(|a| a.port()).unwrap_or(0);
            let config = KeeperConfig::new(ctx.dir.clone(), port, (*secrets).clone());
            let (k, mut reports) = PublicAddressKeeper::start(config, setup.clone())?;
            keeper = Some(k);
            if chosen.is_some() {
                // A tunnel the owner just asked for that cannot start is an error, as before.
                loop {
                    match reports.recv().await {
                        Ok(KeeperReport::StartFailed(why)) => {
                            if let Some(k) = keeper.take() {
                                k.shutdown().await;
                            }
                            return Err(Error::Provider(ProviderError {
                                code: Some("tunnel_start_failed".into()),
                                kind: ErrorKind::Unavailable,
                                message: why,
                                retry_after: None,
                            }));
                        }
                        Ok(report @ KeeperReport::Started { .. }) => {
                            print_report(&report);
                            saved::save(&mut ctx.store, &setup)?;
                            break;
                        }
                        Ok(other) => print_report(&other),
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                    }
                }
            }
            printer = Some(tokio::spawn(async move {
                loop {
                    match reports.recv().await {
                        Ok(report) => print_report(&report),
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                    }
                }
            }));
        }
        let result = engine.run(shutdown_signal()).await;
        if let Some(k) = keeper {
            k.shutdown().await;
        }
        if let Some(p) = printer {
            p.abort();
        }
        result
    })
}

fn tunnel_spec(kind: &str, args: &ServeArgs) -> Result<tunnel::TunnelSpec> {
    let spec = match kind {
        "cloudflared" => tunnel::TunnelSpec::cloudflared_quick(),
        "ngrok" => tunnel::TunnelSpec::ngrok(None)?,
        "funnel" | "tailscale" => tunnel::TunnelSpec::tailscale_funnel(),
        "auto" => tunnel::suggested_spec(&tunnel::detect())
            .ok_or_else(|| Error::NotFound("no tunnel tool is installed: install cloudflared, ngrok or Tailscale, or pass --public-url".into()))?,
        "custom" => {
            let program = args.tunnel_program.clone().ok_or_else(|| Error::Invalid("--tunnel custom needs --tunnel-program PATH".into()))?;
            return Ok(tunnel::TunnelSpec::custom(program, args.tunnel_args.clone(), false));
        }
        other => return Err(Error::Invalid(format!("unknown tunnel {other:?}: use cloudflared, ngrok, funnel, auto or custom"))),
    };
    Ok(match &args.tunnel_program {
        Some(p) => spec.with_program(p),
        None => spec,
    })
}

/// Prints what the keeper did: the address, each account's registration,
/// each check. Manual steps go to stderr for the owner; they may hold a
/// verify token, never logged.
fn print_report(report: &KeeperReport) {
    match report {
        KeeperReport::Started { public_url, stable, pid } => {
            println!("public URL {public_url}");
            if pid.is_some() {
                eprintln!("{}", tunnel::url_explanation(*stable));
            }
        }
        KeeperReport::StaleKilled { pid } => println!("stopped the tunnel an earlier run left running (pid {pid})"),
        KeeperReport::StartFailed(why) => eprintln!("The tunnel could not start: {why}"),
        KeeperReport::TunnelExited(code) => println!("tunnel: TunnelExited({code:?})"),
        KeeperReport::Registered { public_base, results } => {
            println!("registered {public_base}");
            for r in results {
                match &r.outcome {
                    tunnel::Registration::Registered => println!("account {} ({}): registered {}", r.account_id, r.provider, r.webhook_url),
                    tunnel::Registration::ManualStepNeeded { why, what_to_paste_where } => {
                        println!("account {} ({}): manual step needed", r.account_id, r.provider);
                        eprintln!("Account {}: {why}. {what_to_paste_where}", r.account_id);
                    }
                    tunnel::Registration::Failed(reason) => println!("account {} ({}): failed: {reason}", r.account_id, r.provider),
                }
            }
        }
        KeeperReport::Health(h) => {
            let url = h.public_url.as_deref().unwrap_or("-");
            match h.state {
                Reachability::Reachable => println!("public address reachable: {url} ({})", h.trigger),
                Reachability::Starting => println!("public address starting: {}", h.via),
                Reachability::Unreachable | Reachability::Stopped => {
                    println!("public address {}: {url} ({})", h.state.as_str(), h.trigger);
                    if let Some(reason) = &h.reason {
                        eprintln!("{reason}");
                    }
                    if let Some(detail) = &h.detail {
                        eprintln!("  {detail}");
                    }
                }
            }
        }
    }
}

#[cfg(unix)]
async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(not(unix))]
async fn shutdown_signal() {
    let _ = tokio::signal::ctrl_c().await;
}
