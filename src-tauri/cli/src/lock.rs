//! `wicket lock [set|off|status]` and `wicket unlock`: the app lock
//! (`wicket_core::applock`). Passphrases come from environment variables,
//! never from arguments (as `wicket backup` takes its own).

use crate::context::Context;
use crate::output::print_json;
use clap::{Args, Subcommand};
use serde_json::json;
use wicket_core::applock;
use wicket_core::error::{Error, Result};
use wicket_core::secrets::Secret;
use wicket_core::time::now_ms;

#[derive(Args, Debug)]
pub struct LockArgs {
    #[command(subcommand)]
    pub command: Option<LockCommand>,
}

#[derive(Subcommand, Debug)]
pub enum LockCommand {
    /// Turn the lock on with a passphrase, or change it (with --current-passphrase-env).
    Set {
        /// The environment variable that holds the new passphrase (never the passphrase itself).
        #[arg(long, value_name = "VAR")]
        passphrase_env: String,
        /// The environment variable that holds the passphrase in use (to change it).
        #[arg(long, value_name = "VAR")]
        current_passphrase_env: Option<String>,
    },
    /// Turn the lock off (needs its passphrase): unlocks and forgets the passphrase.
    Off {
        #[arg(long, value_name = "VAR")]
        passphrase_env: String,
    },
    /// Whether the lock is on, locked now, the idle time and any wait after wrong passphrases.
    Status,
}

#[derive(Args, Debug)]
pub struct UnlockArgs {
    /// The environment variable that holds the lock's passphrase.
    #[arg(long, value_name = "VAR")]
    pub passphrase_env: String,
}

fn passphrase(var: &str) -> Result<Secret> {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => Ok(Secret::new(v)),
        Ok(_) => Err(Error::Invalid(format!("the environment variable {var} is empty: put the app lock's passphrase in it"))),
        Err(_) => Err(Error::Invalid(format!("the environment variable {var} is not set: put the app lock's passphrase in it (never on the command line)"))),
    }
}

pub fn lock(ctx: &mut Context, args: LockArgs) -> Result<()> {
    match args.command {
        None => {
            applock::lock(&mut ctx.store)?;
            done(ctx, "locked: content stays hidden until `wicket unlock` (or the window) is given the passphrase")
        }
        Some(LockCommand::Set { passphrase_env, current_passphrase_env }) => {
            let new = passphrase(&passphrase_env)?;
            let current = current_passphrase_env.as_deref().map(passphrase).transpose()?;
            let was_on = applock::enabled(&ctx.store)?;
            applock::set_passphrase(&mut ctx.store, &new, current.as_ref(), now_ms())?;
            done(ctx, if was_on { "the app lock's passphrase was changed" } else { "the app lock is on: `wicket lock` locks now" })
        }
        Some(LockCommand::Off { passphrase_env }) => {
            applock::turn_off(&mut ctx.store, &passphrase(&passphrase_env)?, now_ms())?;
            done(ctx, "the app lock is off")
        }
        Some(LockCommand::Status) => status(ctx),
    }
}

pub fn unlock(ctx: &mut Context, args: UnlockArgs) -> Result<()> {
    applock::unlock(&mut ctx.store, &passphrase(&args.passphrase_env)?, now_ms())?;
    done(ctx, "unlocked")
}

fn done(ctx: &Context, line: &str) -> Result<()> {
    if ctx.json {
        status(ctx)
    } else {
        println!("{line}");
        Ok(())
    }
}

fn status(ctx: &Context) -> Result<()> {
    let s = applock::status(&ctx.store, now_ms())?;
    if ctx.json {
        print_json(&json!({
            "enabled": s.enabled,
            "locked": s.locked,
            "lock_after_minutes": s.lock_after_minutes,
            "failures": s.failures,
            "wait_seconds": s.wait_seconds,
        }));
    } else if !s.enabled {
        println!("the app lock is off (turn it on with `wicket lock set --passphrase-env VAR`)");
    } else {
        let idle = match s.lock_after_minutes {
            0 => "only on demand".to_string(),
            m => format!("after {m} min without input in the window"),
        };
        println!("{}; locks {idle}", if s.locked { "locked" } else { "unlocked" });
        if s.wait_seconds > 0 {
            println!("{} wrong passphrases in a row: the next is checked in {} s", s.failures, s.wait_seconds);
        }
    }
    Ok(())
}
