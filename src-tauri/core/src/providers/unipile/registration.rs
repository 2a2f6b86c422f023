//! Registering the public webhook URL with UniPile: webhooks created with the
//! account's own secret header (polling keeps working without them).

use crate::secrets::{SecretName, SecretStore};
use crate::store::Account;
use crate::tunnel::Registration;

pub(crate) async fn register_at(secrets: SecretStore, account: Account, url: String) -> Registration {
    let id = account.id;
    let loaded = tokio::task::spawn_blocking(move || {
        let client = crate::providers::unipile::UnipileClient::for_account(&account, &secrets);
        let secret = secrets.get_opt(account.id, SecretName::WebhookSecret);
        (client, secret)
    })
    .await;
    let (client, secret) = match loaded {
        Ok(x) => x,
        Err(e) => return Registration::Failed(format!("could not read account {id}'s secrets: {e}")),
    };
    let client = match client {
        Ok(c) => c,
        Err(e) => return Registration::Failed(format!("Wicket cannot call UniPile for account {id}: {e}")),
    };
    let secret = match secret {
        Ok(Some(s)) => s,
        _ => return Registration::Failed(format!("account {id} has no webhook secret: add the account again")),
    };
    match client.register_webhooks(&url, &secret).await {
        Ok(_) => Registration::Registered,
        Err(e) => Registration::Failed(format!("UniPile did not create the webhooks (polling keeps working): {e}")),
    }
}
