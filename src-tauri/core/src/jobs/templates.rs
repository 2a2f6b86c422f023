//! The template sync job: a Meta account's message templates, fetched again
//! every [`super::TEMPLATE_SYNC_EVERY`], and soon after a template webhook
//! that changed something (status, category or quality: `ingest` leaves the
//! marker [`crate::ingest::TEMPLATES_STALE`]), so the picker and the send
//! checks see Meta's list as it is now (a newly approved template with its
//! body). The marker is removed only if no newer webhook set it meanwhile.

use crate::error::Result;
use crate::ingest::TEMPLATES_STALE;
use crate::providers::ProviderClient;
use crate::store::Store;

/// Fetches `account_id`'s templates and replaces the stored list. Returns
/// how many there are.
pub async fn sync(store: &mut Store, client: &ProviderClient, account_id: i64) -> Result<usize> {
    let list = client.templates().await?;
    store.replace_templates(account_id, &list)
}

/// Runs [`sync`] when it is due for the account (its time came, or a
/// template webhook asked) and records the run. Returns whether it ran.
pub async fn sync_if_due(store: &mut Store, client: &ProviderClient, account_id: i64) -> Result<bool> {
    let marker = store.cursor(account_id, TEMPLATES_STALE)?;
    if marker.is_none() && !super::due(store, super::TEMPLATE_SYNC, Some(account_id), super::TEMPLATE_SYNC_EVERY, crate::time::now_ms())? {
        return Ok(false);
    }
    let timer = super::RunTimer::start(super::TEMPLATE_SYNC, Some(account_id));
    let outcome = sync(store, client, account_id).await;
    timer.finish(store, &outcome, |n| format!("{n} template(s)"));
    outcome?;
    if let Some(marker) = marker {
        store.clear_cursor_if(account_id, TEMPLATES_STALE, &marker)?;
    }
    Ok(true)
}
