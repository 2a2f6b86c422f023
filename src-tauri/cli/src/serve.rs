//! `wicket serve`: runs the engine until SIGINT or SIGTERM, then exits 0
//! after a clean shutdown.

use crate::context::Context;
use crate::ServeArgs;
use std::net::SocketAddr;
use wicket_core::engine::Engine;
use wicket_core::error::{Error, Result};

pub fn serve(ctx: &mut Context, args: ServeArgs) -> Result<()> {
    let listen: Option<SocketAddr> = match &args.listen {
        Some(a) => Some(a.parse().map_err(|_| Error::Invalid(format!("--listen takes ADDR:PORT such as 127.0.0.1:8765, got {a:?}")))?),
        None => match ctx.store.setting("webhook_listen")? {
            Some(serde_json::Value::String(a)) => Some(a.parse().map_err(|_| Error::Invalid(format!("the webhook_listen setting is not ADDR:PORT: {a:?}")))?),
            _ => None,
        },
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
    runtime.block_on(async {
        let engine = Engine::start(ctx.dir.clone(), secrets, listen)?;
        match engine.listen_addr() {
            Some(addr) => println!("listening on http://{addr}"),
            None => println!("engine running (webhook listener off)"),
        }
        engine.run(shutdown_signal()).await
    })
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
