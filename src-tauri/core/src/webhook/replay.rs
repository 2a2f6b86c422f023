//! Replaying stored webhook bodies: an event kept raw because no account
//! had its number yet (`unrouted`), or because the parser could not read it
//! (`unparseable`, which a newer Wicket may read), is parsed and routed
//! again and its effects applied, in one transaction per event.
//!
//! Replaying is always safe: applying an event is idempotent (a provider
//! message id never makes two rows, statuses only move forward), so an
//! event replayed twice, or one already applied, changes nothing more.

use super::routes::Source;
use crate::error::{Error, Result};
use crate::ingest;
use crate::secrets::SecretStore;
use crate::store::webhook_events::{self, EventState, WebhookEvent};
use crate::store::Store;

/// What a replay did with one stored event.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Replayed {
    pub event_id: i64,
    pub provider: String,
    /// The event's state afterwards: applied, unrouted or unparseable.
    pub state: &'static str,
    /// New messages and status changes the replay applied.
    pub new_messages: usize,
    pub status_changes: usize,
    /// Why it is still not applied.
    pub error: Option<String>,
}

/// Replays `event_ids`, or every stored event not yet applied, without the
/// secret store: a Meta change goes only to the account it was posted for.
pub fn replay(store: &mut Store, event_ids: &[i64]) -> Result<Vec<Replayed>> {
    replay_with(store, None, event_ids)
}

/// Replays with the secret store at hand: a Meta change also reaches another
/// account of the same number's routing key when both accounts share the app
/// secret that signed it (the listener's rule), never an account of another app.
pub fn replay_with(store: &mut Store, secrets: Option<&SecretStore>, event_ids: &[i64]) -> Result<Vec<Replayed>> {
    let events: Vec<WebhookEvent> = if event_ids.is_empty() {
        let mut pending = store.webhook_events_in(Some(EventState::Unrouted.as_str()), usize::MAX >> 1)?;
        pending.extend(store.webhook_events_in(Some(EventState::Unparseable.as_str()), usize::MAX >> 1)?);
        pending.sort_by_key(|e| e.id);
        pending
    } else {
        event_ids.iter().map(|id| store.webhook_event(*id)).collect::<Result<_>>()?
    };
    events.iter().map(|e| replay_one(store, secrets, e)).collect()
}

fn replay_one(store: &mut Store, secrets: Option<&SecretStore>, event: &WebhookEvent) -> Result<Replayed> {
    let source = Source::from_segment(&event.provider)
        .ok_or_else(|| Error::Invalid(format!("webhook event {} is from {:?}, which Wicket cannot replay", event.id, event.provider)))?;
    let mut out = Replayed { event_id: event.id, provider: event.provider.clone(), state: "applied", new_messages: 0, status_changes: 0, error: None };
    let changes = match source.parse(&event.body) {
        Ok(c) => c,
        Err(e) => {
            let why = format!("still unparseable: {e}");
            store.write(|tx| webhook_events::set_state(tx, event.id, EventState::Unparseable, Some(&why)))?;
            out.state = EventState::Unparseable.as_str();
            out.error = Some(why);
            return Ok(out);
        }
    };
    // Gateways route by the account in the URL; if that account was removed
    // since, its events have nowhere to go (Meta routes by number instead).
    let Some(path_account) = event.account_id.or((source == Source::Meta).then_some(-1)) else {
        let why = "the account this event was posted for was removed".to_string();
        store.write(|tx| webhook_events::set_state(tx, event.id, EventState::Unrouted, Some(&why)))?;
        out.state = EventState::Unrouted.as_str();
        out.error = Some(why);
        return Ok(out);
    };
    let (routed, unrouted) = super::routes::route_by_store(store, secrets, source, path_account, changes)?;
    let (state, error) =
        if unrouted.is_empty() { (EventState::Applied, None) } else { (EventState::Unrouted, Some(format!("no account for {}", unrouted.join(", ")))) };
    let applied = store.write(|tx| {
        let mut all = vec![];
        for (account, events) in &routed {
            // Meta's changes route by number; -1 only stands for "no URL account".
            if *account >= 0 {
                all.push(ingest::apply(tx, *account, events)?);
            }
        }
        webhook_events::set_state(tx, event.id, state, error.as_deref())?;
        Ok(all)
    })?;
    out.new_messages = applied.iter().map(|a| a.new_messages.len()).sum();
    out.status_changes = applied.iter().map(|a| a.status_changed.len()).sum();
    out.state = state.as_str();
    out.error = error;
    Ok(out)
}
