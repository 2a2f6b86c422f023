//! An account whose secrets cannot be read right now (a locked keychain, a
//! Secret Service that does not answer) says so: its state becomes
//! `retrying` "waiting for the secret store: …" while its sends stay pending,
//! and the state it had before comes back once the store answers. Both the
//! senders and the periodic task report here, so a Meta account (which has
//! no periodic task) shows it too.

use super::worker::Ctx;
use super::EngineEvent;
use crate::error::Result;
use crate::model::AccountStatus;
use crate::store::Store;

/// The start of the reason, which tells this state from any other.
pub(super) const REASON: &str = "waiting for the secret store";

fn publish(ctx: &Ctx, store: &mut Store, status: AccountStatus, reason: Option<String>) -> Result<()> {
    store.set_account_status(ctx.account.id, status, reason.as_deref())?;
    let _ = ctx.events.send(EngineEvent::AccountState { account_id: ctx.account.id, status, reason });
    Ok(())
}

/// The store did not answer: remember the account's state and show why it waits.
pub(super) fn waiting(ctx: &Ctx, store: &mut Store, why: &str) -> Result<()> {
    let account = store.account(ctx.account.id)?;
    if account.status == AccountStatus::Retrying && account.status_reason.as_deref().is_some_and(|r| r.starts_with(REASON)) {
        return Ok(());
    }
    if let Ok(mut saved) = ctx.secrets_wait.lock() {
        saved.get_or_insert((account.status, account.status_reason.clone()));
    }
    tracing::warn!(account = ctx.account.id, "{REASON}: {why}");
    publish(ctx, store, AccountStatus::Retrying, Some(format!("{REASON}: {why}")))
}

/// The store answered: put back the state the account had, if this waited.
pub(super) fn answered(ctx: &Ctx, store: &mut Store) -> Result<()> {
    let Some(before) = ctx.secrets_wait.lock().ok().and_then(|mut saved| saved.take()) else { return Ok(()) };
    let account = store.account(ctx.account.id)?;
    // Someone else (a webhook, the owner) changed it meanwhile: theirs stands.
    if account.status_reason.as_deref().is_some_and(|r| r.starts_with(REASON)) {
        tracing::info!(account = ctx.account.id, "the secret store answers again");
        publish(ctx, store, before.0, before.1)?;
    }
    Ok(())
}
