//! Registering the public webhook URL with WASender: the session's webhook
//! settings (needs the personal access token and session id), or the exact
//! manual step in WASender's dashboard.

use crate::secrets::SecretStore;
use crate::store::Account;
use crate::tunnel::Registration;

pub(crate) async fn register_at(secrets: SecretStore, account: Account, url: String) -> Registration {
    let manual = |why: String| Registration::ManualStepNeeded {
        why,
        what_to_paste_where: format!(
            "In WASender's dashboard → your session → Webhook, set the URL to {url}, enable it with the message events, \
then copy the session's webhook secret into Wicket (account settings)."
        ),
    };
    let id = account.id;
    let client = tokio::task::spawn_blocking(move || crate::providers::wasender::WasenderClient::for_account(&account, &secrets)).await;
    let client = match client {
        Ok(Ok(c)) => c,
        Ok(Err(e)) => return manual(format!("Wicket cannot call WASender for account {id}: {e}")),
        Err(e) => return Registration::Failed(format!("could not read account {id}'s secrets: {e}")),
    };
    if !client.can_manage_webhook() {
        return manual("Wicket has no personal access token and session id for this account".into());
    }
    match client.register_webhook(&url).await {
        Ok(()) => Registration::Registered,
        Err(e) if e.provider_error().is_some_and(|p| p.kind.is_retryable()) => Registration::Failed(format!("WASender could not be reached: {e}")),
        Err(e) => manual(format!("WASender did not accept the webhook URL: {e}")),
    }
}
