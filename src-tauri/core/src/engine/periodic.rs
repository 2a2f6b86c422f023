//! An account's periodic work: state checks, polls, status re-checks,
//! profile pictures and starting contact syncs. It runs in the account's own
//! task, so a provider that hangs or throttles one account holds up nothing
//! else; every wait it takes from the provider is bounded (`wait`).

use super::client::NoClient;
use super::schedule::Schedule;
use super::wait;
use super::worker::Ctx;
use super::{EngineEvent, DEFAULT_CONTACT_SYNC_HOURS, IN_USE_UNTIL, PICTURE_PAUSE, STATE_CHECK, STATUS_RECHECK, SYNC_RETRY};
use crate::datadir::DataDir;
use crate::error::{Error, ErrorKind, Result};
use crate::model::{AccountStatus, Provider};
use crate::providers::ProviderClient;
use crate::store::Store;
use crate::time::now_ms;
use std::time::Duration;

/// How often a Meta account asks whether its template sync is due (two
/// indexed reads; the job itself runs every 6 hours, or right after a
/// template webhook). A failed fetch waits [`TEMPLATE_RETRY`].
const TEMPLATE_CHECK: Duration = Duration::from_secs(1);
const TEMPLATE_RETRY: Duration = Duration::from_secs(60);

/// Back-off of failing polls: the in-use interval doubled per failure, at most this.
const POLL_BACKOFF_MAX: Duration = Duration::from_secs(300);

/// Writes the account's state as the schedule's rule decides, and tells the
/// window when it changed.
fn publish_state(ctx: &Ctx, store: &mut Store, schedule: &mut Schedule, current: super::schedule::State) -> Result<()> {
    let state = schedule.state(current.clone());
    if state != current {
        store.set_account_status(ctx.account.id, state.0, state.1.as_deref())?;
        let _ = ctx.events.send(EngineEvent::AccountState { account_id: ctx.account.id, status: state.0, reason: state.1.clone() });
    }
    schedule.written = Some(state);
    Ok(())
}

/// One pass over the account's due periodic work. `sync` is the account's
/// contact sync in flight, if any.
pub(super) async fn pass(ctx: &Ctx, store: &mut Store, schedule: &mut Schedule, sync: &mut Option<tokio::task::JoinHandle<()>>) -> Result<()> {
    if sync.as_ref().is_some_and(|t| t.is_finished()) {
        *sync = None;
    }
    let client = match ctx.client.get().await {
        Ok(client) => client,
        // A locked keychain: the account says why it waits (sends wait too).
        Err(NoClient::Unavailable(why)) => return super::secrets_wait::waiting(ctx, store, &why),
        Err(NoClient::Unusable(_)) => return Ok(()),
    };
    super::secrets_wait::answered(ctx, store)?;
    // Read after `answered`, which may have put the account's state back.
    let account = store.account(ctx.account.id)?;
    let current = (account.status, account.status_reason.clone());
    let client: &ProviderClient = &client;
    let sync_hours = store.setting("contact_sync_hours")?.and_then(|v| v.as_f64()).unwrap_or(DEFAULT_CONTACT_SYNC_HOURS);
    let in_use = ctx.activity.is_active() || store.setting(IN_USE_UNTIL)?.and_then(|v| v.as_i64()).is_some_and(|until| until > now_ms());
    let now = tokio::time::Instant::now();
    if schedule.written.as_ref().is_some_and(|w| *w != current) {
        // A webhook (or the owner) changed the state: ask the provider now.
        schedule.provider_state = Some(current.clone());
        schedule.next_state_check = now;
    }
    if now >= schedule.next_state_check {
        schedule.next_state_check = wait::after(now, STATE_CHECK);
        match state_check(store, client, &account).await {
            Ok(state) => schedule.provider_state = Some(state),
            Err(e) => tracing::debug!(account = account.id, "state check failed: {e}"),
        }
    }
    let (active_every, idle_every) = super::poll_intervals(&account);
    let interval = if in_use { active_every } else { idle_every };
    if client.can_poll() && schedule.poll_due(now, interval) {
        schedule.last_poll = Some(now);
        if account.provider == Provider::Unipile && !schedule.chats_imported {
            // Chats without new messages appear too (once per run).
            match crate::sync::import_chats(store, client, account.id).await {
                Ok(_) => schedule.chats_imported = true,
                Err(e) => tracing::debug!(account = account.id, "chat list not imported: {e}"),
            }
        }
        match crate::sync::poll_messages(store, client, account.id).await {
            Ok(applied) => {
                schedule.poll_failures = 0;
                schedule.retry_at = None;
                schedule.poll_problem = None;
                schedule.polled_ok = true;
                if applied != crate::ingest::Applied::default() {
                    let _ = ctx.events.send(EngineEvent::Polled { account_id: account.id, applied });
                }
            }
            Err(e) => {
                schedule.poll_failures = schedule.poll_failures.saturating_add(1);
                schedule.polled_ok = false;
                let backoff = wait::backoff(active_every, schedule.poll_failures.min(6), POLL_BACKOFF_MAX);
                let retry_after = e.provider_error().and_then(|p| p.retry_after).map(wait::bounded_wait).unwrap_or_default();
                let pause = wait::clamp_wait(backoff.max(retry_after));
                schedule.retry_at = Some(wait::after(now, pause));
                schedule.poll_problem = Some(match e.provider_error().map(|p| p.kind) {
                    Some(ErrorKind::Auth) => (AccountStatus::NeedsToken, format!("needs re-authentication: {e}")),
                    Some(ErrorKind::SessionDisconnected) => (AccountStatus::Disconnected, e.to_string()),
                    _ => (AccountStatus::Retrying, format!("{e}; retrying in {} s", pause.as_secs())),
                });
                tracing::warn!(account = account.id, "poll failed: {e}");
            }
        }
    }
    publish_state(ctx, store, schedule, current.clone())?;
    if now >= schedule.next_status_recheck {
        schedule.next_status_recheck = wait::after(now, STATUS_RECHECK);
        for (message_id, send_id) in store.sends_to_recheck(account.id, now_ms() - 24 * 3600 * 1000, 10)? {
            let report = match client.message_status(&send_id).await {
                Ok(Some(report)) => report,
                Ok(None) => continue,
                Err(e) => {
                    // A throttled provider: no more re-checks until it says (at most an hour).
                    if let Some(ra) = e.provider_error().and_then(|p| p.retry_after) {
                        schedule.next_status_recheck = wait::after(now, STATUS_RECHECK.max(wait::bounded_wait(ra)));
                        break;
                    }
                    continue;
                }
            };
            let report = crate::providers::StatusReport { wicket_id: Some(message_id), ..report };
            let applied = store.write(|tx| crate::ingest::apply(tx, account.id, &[crate::providers::ProviderEvent::Status(report.clone())]))?;
            if !applied.status_changed.is_empty() {
                let _ = ctx.events.send(EngineEvent::Polled { account_id: account.id, applied });
            }
        }
        // Sends whose outcome is unknown: the provider's own record settles them.
        match crate::outbox::settle_unknown(store, client, account.id).await {
            Ok(settled) => {
                for (message_id, status) in settled {
                    let _ = ctx.events.send(EngineEvent::MessageSettled { message_id, status });
                }
            }
            Err(e) => tracing::debug!(account = account.id, "unknown sends not settled: {e}"),
        }
    }
    if account.provider == Provider::Wasender && schedule.pictures_paused_until.is_none_or(|t| now >= t) {
        schedule.pictures_paused_until = background_pictures(store, &ctx.dir, client, account.id).await?.map(|d| wait::after(now, d));
    }
    let sync_due = sync_hours > 0.0
        && now >= schedule.next_sync_check
        && sync.is_none()
        && account.last_sync_at.is_none_or(|t| now_ms() - t > (sync_hours * 3_600_000.0) as i64);
    if sync_due {
        schedule.next_sync_check = wait::after(now, SYNC_RETRY);
        *sync = Some(spawn_contact_sync(ctx, account.id));
    }
    Ok(())
}

/// A Meta account's periodic work: only its template sync (Meta delivers
/// messages and states by webhook, so there is nothing to poll or check).
/// A locked keychain waits here quietly: the account's sends report it.
pub(super) async fn meta_pass(ctx: &Ctx, store: &mut Store, schedule: &mut Schedule) -> Result<()> {
    let now = tokio::time::Instant::now();
    if now < schedule.next_template_check {
        return Ok(());
    }
    schedule.next_template_check = wait::after(now, TEMPLATE_CHECK);
    let Ok(client) = ctx.client.get().await else { return Ok(()) };
    if let Err(e) = crate::jobs::templates::sync_if_due(store, &client, ctx.account.id).await {
        let pause = e.provider_error().and_then(|p| p.retry_after).map(wait::bounded_wait).unwrap_or(TEMPLATE_RETRY).max(TEMPLATE_RETRY);
        schedule.next_template_check = wait::after(now, pause);
        tracing::warn!(account = ctx.account.id, "templates not fetched: {e}; trying again in {} s", pause.as_secs());
    }
    Ok(())
}

/// Asks the provider for the account's state. For UniPile the same answer
/// refreshes the stored account details when they changed.
async fn state_check(store: &mut Store, client: &ProviderClient, account: &crate::store::Account) -> Result<(AccountStatus, Option<String>)> {
    if let (ProviderClient::Unipile(c), Some(remote)) = (client, account.config_str("unipile_account_id")) {
        return match c.account(remote).await {
            Ok(fresh) => {
                crate::sync::apply_unipile_details(store, account.id, &fresh)?;
                Ok(fresh.account_status())
            }
            // A disconnected-account answer is a state, not a failure.
            Err(Error::Provider(pe)) if pe.kind == ErrorKind::SessionDisconnected => Ok((AccountStatus::Disconnected, Some(pe.message))),
            Err(e) => Err(e),
        };
    }
    client.account_state().await
}

/// Fetches a couple of missing profile pictures within the picture rate
/// limit. The cursor moves past a contact only once it is settled (stored,
/// none, or a permanent failure): a rate-limited or unreachable provider
/// leaves it for the next try. Returns how long to pause, if at all.
async fn background_pictures(store: &mut Store, dir: &DataDir, client: &ProviderClient, account_id: i64) -> Result<Option<Duration>> {
    let after: i64 = store.cursor(account_id, crate::sync::PICTURES_CURSOR)?.and_then(|c| c.parse().ok()).unwrap_or(0);
    for contact_id in store.contacts_without_picture(account_id, after, 2)? {
        match crate::sync::fetch_profile_picture(store, dir, client, contact_id, false).await {
            Ok(crate::sync::Picture::Later) => return Ok(None),
            Ok(_) => {}
            Err(e) => match e.provider_error() {
                Some(pe) if pe.kind.is_retryable() => {
                    tracing::debug!(contact = contact_id, "profile picture postponed: {e}");
                    return Ok(Some(pe.retry_after.map(wait::bounded_wait).unwrap_or(PICTURE_PAUSE)));
                }
                _ => tracing::debug!(contact = contact_id, "profile picture not fetched: {e}"),
            },
        }
        store.set_cursor(account_id, crate::sync::PICTURES_CURSOR, &contact_id.to_string())?;
    }
    Ok(None)
}

/// Runs a full contact sync on its own connection and client, so a long
/// sync never holds up sends or polls. The summary (or the error) is kept on
/// the account; a failed sync is tried again at the next interval.
fn spawn_contact_sync(ctx: &Ctx, account_id: i64) -> tokio::task::JoinHandle<()> {
    let (dir, client, events) = (ctx.dir.clone(), ctx.client.clone(), ctx.events.clone());
    tokio::spawn(async move {
        let run = async {
            let mut store = Store::open(&dir.db_path())?;
            let timer = crate::jobs::RunTimer::start(crate::jobs::CONTACT_SYNC, Some(account_id));
            // No client (a locked keychain): not a sync that failed, so the account's sync record stays.
            let client = client.get().await.map_err(|no| Error::Secrets(no.to_string()))?;
            let outcome = crate::sync::sync_contacts(&mut store, &client, account_id, crate::sync::ContactSyncMode::Full).await;
            timer.finish(&mut store, &outcome, |s| {
                format!("{} contact(s) fetched, {} updated, {} failed", s.total_fetched, s.successful_updates, s.failed_updates)
            });
            match outcome {
                Ok(summary) => Ok(summary),
                Err(e) => {
                    store.record_sync(account_id, &serde_json::json!({ "error": e.to_string(), "finished_at": now_ms() }))?;
                    Err(e)
                }
            }
        };
        match run.await {
            Ok(summary) => {
                let _ = events.send(EngineEvent::ContactsSynced { account_id, summary });
            }
            Err(e) => tracing::warn!(account = account_id, "contact sync failed: {e}"),
        }
    })
}
