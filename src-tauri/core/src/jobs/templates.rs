//! The template sync job: a Meta account's message templates, fetched again
//! every [`super::TEMPLATE_SYNC_EVERY`] and soon after Meta reports a
//! template change by webhook, so the picker and the send checks see what
//! Meta will accept.

use crate::error::Result;
use crate::providers::ProviderClient;
use crate::store::Store;

/// Fetches `account_id`'s templates and replaces the stored list. Returns
/// how many there are.
pub async fn sync(store: &mut Store, client: &ProviderClient, account_id: i64) -> Result<usize> {
    let list = client.templates().await?;
    store.replace_templates(account_id, &list)
}

/// Runs [`sync`] when it is due for the account and records the run.
/// Returns whether it ran.
pub async fn sync_if_due(store: &mut Store, client: &ProviderClient, account_id: i64) -> Result<bool> {
    if !super::due(store, super::TEMPLATE_SYNC, Some(account_id), super::TEMPLATE_SYNC_EVERY, crate::time::now_ms())? {
        return Ok(false);
    }
    let timer = super::RunTimer::start(super::TEMPLATE_SYNC, Some(account_id));
    let outcome = sync(store, client, account_id).await;
    timer.finish(store, &outcome, |n| format!("{n} template(s)"));
    outcome.map(|_| true)
}
