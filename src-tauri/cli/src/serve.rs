//! `wicket serve`: runs the engine until SIGINT or SIGTERM, then exits 0
//! after a clean shutdown.

use crate::context::Context;
use crate::ServeArgs;
use std::net::SocketAddr;
use wicket_core::engine::Engine;
use wicket_core::error::{Error, Result};
use wicket_core::tunnel;

pub fn serve(ctx: &mut Context, args: ServeArgs) -> Result<()> {
    let listen: Option<SocketAddr> = match &args.listen {
        Some(a) => Some(a.parse().map_err(|_| Error::Invalid(format!("--listen takes ADDR:PORT such as 127.0.0.1:8765, got {a:?}")))?),
        None => {
            let configured = wicket_core::webhook::configured_listen(&ctx.store)?;
            // --webhooks and --tunnel turn the listener on even when the setting does not.
            let wanted = args.webhooks || args.tunnel.is_some();
            configured.or(wanted.then_some(wicket_core::webhook::DEFAULT_ADDR))
        }
    };
    if let Some(addr) = listen {
        if !addr.ip().is_loopback() {
            eprintln!("Warning: the webhook listener binds {addr}, reachable from other machines; only signed requests are accepted, but prefer 127.0.0.1 behind a tunnel");
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
    let accounts: Vec<_> = ctx.store.accounts()?.into_iter().filter(|a| a.enabled && a.provider != wicket_core::model::Provider::Demo).collect();
    runtime.block_on(async {
        let engine = Engine::start(ctx.dir.clone(), secrets.clone(), listen)?;
        engine.activity().set_active(args.in_use);
        match engine.listen_addr() {
            Some(addr) => println!("listening on http://{addr}"),
            None => println!("engine running (webhook listener off)"),
        }
        let registrar = tunnel::provider_registrar((*secrets).clone());
        // Kept alive for as long as the engine runs; dropping it stops the tunnel.
        let mut supervisor = None;
        if let (Some(kind), Some(addr)) = (&args.tunnel, engine.listen_addr()) {
            let spec = tunnel_spec(kind, &args)?;
            let started = tunnel::Tunnel::start_async(spec, addr.port(), std::time::Duration::from_secs(60)).await?;
            let url = started.public_url();
            println!("public URL {url}");
            eprintln!("{}", tunnel::url_explanation(started.is_stable()));
            ctx.store.set_setting("public_url", &serde_json::json!(url))?;
            let mut s = tunnel::TunnelSupervisor::start(started, accounts.clone(), registrar.clone())?;
            let reports = async move {
                while let Some(report) = s.next_report().await {
                    print_report(&report);
                }
            };
            supervisor = Some(tokio::spawn(reports));
        } else if let Some(url) = &args.public_url {
            let url = url.trim_end_matches('/').to_string();
            ctx.store.set_setting("public_url", &serde_json::json!(url))?;
            let results = tunnel::register_all(&accounts, &url, &registrar).await;
            print_report(&tunnel::SupervisorReport::Registered { public_base: url, results });
        }
        let result = engine.run(shutdown_signal()).await;
        if let Some(task) = supervisor {
            task.abort();
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

/// Prints what registering the public URL did, per account. Manual steps
/// go to stderr for the owner; they may hold a verify token, never logged.
fn print_report(report: &tunnel::SupervisorReport) {
    match report {
        tunnel::SupervisorReport::Registered { public_base, results } => {
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
        other => println!("tunnel: {other:?}"),
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
