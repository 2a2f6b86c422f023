//! Fetching a Meta account's templates again after a template webhook
//! (status, category or quality: `ingest` leaves the marker
//! [`crate::ingest::TEMPLATES_STALE`]), so the picker shows Meta's list as it
//! is now: a newly approved template with its body, a new category. Meta
//! accounts have no periodic task (they are told everything by webhook), so
//! this small task of their own looks for the marker; the marker is removed
//! only if no newer webhook set it again meanwhile.

use super::client::NoClient;
use super::wait;
use super::worker::Ctx;
use crate::ingest::TEMPLATES_STALE;
use crate::store::Store;
use std::time::Duration;

/// How often the marker is looked for (one indexed read).
pub(super) const LOOK_EVERY: Duration = Duration::from_secs(1);
/// How soon a fetch that failed is tried again.
const RETRY: Duration = Duration::from_secs(60);

/// One look: fetches the templates when a webhook asked for it. Returns how
/// long to wait before the next look.
pub(super) async fn refresh_if_asked(ctx: &Ctx, store: &mut Store) -> crate::error::Result<Duration> {
    let Some(marker) = store.cursor(ctx.account.id, TEMPLATES_STALE)? else { return Ok(LOOK_EVERY) };
    let client = match ctx.client.get().await {
        Ok(client) => client,
        Err(NoClient::Unavailable(_) | NoClient::Unusable(_)) => return Ok(RETRY),
    };
    match client.templates().await {
        Ok(list) => {
            store.replace_templates(ctx.account.id, &list)?;
            store.clear_cursor_if(ctx.account.id, TEMPLATES_STALE, &marker)?;
            tracing::debug!(account = ctx.account.id, templates = list.len(), "templates fetched again after Meta's webhook");
            Ok(LOOK_EVERY)
        }
        Err(e) => {
            tracing::warn!(account = ctx.account.id, "templates not fetched again after Meta's webhook: {e}; trying again in a minute");
            Ok(e.provider_error().and_then(|p| p.retry_after).map(wait::bounded_wait).unwrap_or(RETRY).max(RETRY))
        }
    }
}
