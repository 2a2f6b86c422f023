//! Registering the public webhook URL with Meta: the phone number's
//! callback override, or the exact manual step in the App Dashboard.

use super::MetaClient;
use crate::model::Provider;
use crate::secrets::{Secret, SecretName, SecretStore};
use crate::store::Account;
use crate::tunnel::{webhook_url, RegisterFuture, Registrar, Registration};
use std::sync::Arc;

/// Where a Meta callback URL is set by hand, word for word.
pub fn meta_manual_step(callback_url: &str, verify_token: &Secret) -> String {
    format!(
        "In Meta's App Dashboard → WhatsApp → Configuration, set Callback URL to {callback_url} and Verify token to {}, \
press \"Verify and save\", then subscribe to the \"messages\" webhook field.",
        verify_token.expose()
    )
}

/// Registers `{public_base}/webhooks/meta/{id}` as the account's phone
/// number callback override (see [`MetaClient::register_callback_override`]).
pub async fn register_meta(secrets: &SecretStore, account: &Account, public_base: &str) -> Registration {
    let url = webhook_url(public_base, Provider::Meta.as_str(), account.id);
    register_at(secrets.clone(), account.clone(), url).await
}

/// The [`Registrar`] for Meta accounts (any other provider: `Failed`).
pub fn meta_registrar(secrets: SecretStore) -> Registrar {
    Arc::new(move |account: Account, url: String| -> RegisterFuture { Box::pin(register_at(secrets.clone(), account, url)) })
}

pub(crate) async fn register_at(secrets: SecretStore, account: Account, callback_url: String) -> Registration {
    if account.provider != Provider::Meta {
        return Registration::Failed(format!("account {} is a {} account, not a Meta one", account.id, account.provider));
    }
    let id = account.id;
    // The secret store blocks (keychain, vault): off the runtime.
    let loaded = tokio::task::spawn_blocking(move || {
        let token = secrets.get_opt(account.id, SecretName::VerifyToken);
        let client = MetaClient::for_account(&account, &secrets);
        (token, client)
    })
    .await;
    let (token, client) = match loaded {
        Ok(x) => x,
        Err(e) => return Registration::Failed(format!("could not read account {id}'s secrets: {e}")),
    };
    let token = match token {
        Ok(Some(t)) if !t.is_empty() => t,
        Ok(_) => {
            return Registration::Failed(format!(
                "no verify token is stored for account {id}: set one in the account's settings (any long random text), then register again"
            ))
        }
        Err(e) => return Registration::Failed(format!("could not read account {id}'s verify token: {e}")),
    };
    let manual = |why: String| Registration::ManualStepNeeded { why, what_to_paste_where: meta_manual_step(&callback_url, &token) };
    let client = match client {
        Ok(c) => c,
        Err(e) => return manual(format!("Wicket cannot call Meta's API for account {id}: {e}")),
    };
    match client.register_callback_override(&callback_url, &token).await {
        Ok(()) => Registration::Registered,
        Err(e) => match e.provider_error() {
            Some(pe) if pe.kind.is_retryable() => Registration::Failed(format!("Meta could not be reached: {}", pe.message)),
            _ => manual(format!("Meta did not accept the callback URL through its API: {e}")),
        },
    }
}
