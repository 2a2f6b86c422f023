//! Registering the public address with the providers: the webhook URL of
//! each account, the outcome of registering it, and the [`Registrar`] that
//! calls each provider's own registration (in `providers/<name>/registration.rs`).

use crate::model::Provider;
use crate::secrets::SecretStore;
use crate::store::Account;
use serde::Serialize;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// `{base}/webhooks/{provider}/{account_id}`: the listener's route.
pub fn webhook_url(public_base: &str, provider: &str, account_id: i64) -> String {
    format!("{}/webhooks/{provider}/{account_id}", public_base.trim().trim_end_matches('/'))
}

/// How registering one account's webhook URL ended.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Registration {
    /// The provider now delivers to the URL.
    Registered,
    /// The provider's API did not take it: the owner pastes it by hand.
    /// `what_to_paste_where` may hold a verify token (shown to the owner,
    /// never logged: `Debug` withholds it).
    ManualStepNeeded { why: String, what_to_paste_where: String },
    /// Could not be done now (network, missing settings): the reason.
    Failed(String),
}

impl fmt::Debug for Registration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Registration::Registered => f.write_str("Registered"),
            Registration::ManualStepNeeded { why, .. } => {
                f.debug_struct("ManualStepNeeded").field("why", why).field("what_to_paste_where", &"<withheld>").finish()
            }
            Registration::Failed(reason) => f.debug_tuple("Failed").field(reason).finish(),
        }
    }
}

impl Registration {
    pub fn is_registered(&self) -> bool {
        matches!(self, Registration::Registered)
    }

    fn label(&self) -> &'static str {
        match self {
            Registration::Registered => "registered",
            Registration::ManualStepNeeded { .. } => "manual_step_needed",
            Registration::Failed(_) => "failed",
        }
    }
}

/// One account's registration outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountRegistration {
    pub account_id: i64,
    pub account_name: String,
    pub provider: Provider,
    pub webhook_url: String,
    pub outcome: Registration,
}

/// A registration step's future.
pub type RegisterFuture = Pin<Box<dyn Future<Output = Registration> + Send + 'static>>;

/// Registers one account's webhook URL (the account, the full webhook URL).
/// Compose per provider, e.g.
/// `Arc::new(move |a, url| match a.provider { Provider::Meta => meta(a, url), _ => … })`.
pub type Registrar = Arc<dyn Fn(Account, String) -> RegisterFuture + Send + Sync>;

/// Registers every account's webhook URL under `public_base`, one after the
/// other, and says how each went. Filter out disabled accounts first.
pub async fn register_all(accounts: &[Account], public_base: &str, register: &Registrar) -> Vec<AccountRegistration> {
    let mut out = Vec::with_capacity(accounts.len());
    for account in accounts {
        let url = webhook_url(public_base, account.provider.as_str(), account.id);
        let outcome = register(account.clone(), url.clone()).await;
        tracing::info!(account = account.id, provider = %account.provider, outcome = outcome.label(), "webhook URL registration");
        out.push(AccountRegistration { account_id: account.id, account_name: account.name.clone(), provider: account.provider, webhook_url: url, outcome });
    }
    out
}
/// The [`Registrar`] for every provider: Meta through its callback
/// override, WASender through its session webhook settings (needs the
/// personal access token and session id), UniPile by creating webhooks with
/// the account's own secret header. Where that is impossible, the exact
/// manual step.
pub fn provider_registrar(secrets: SecretStore) -> Registrar {
    Arc::new(move |account: Account, url: String| -> RegisterFuture {
        let secrets = secrets.clone();
        Box::pin(async move {
            match account.provider {
                Provider::Meta => crate::providers::meta::registration::register_at(secrets, account, url).await,
                Provider::Wasender => crate::providers::wasender::registration::register_at(secrets, account, url).await,
                Provider::Unipile => crate::providers::unipile::registration::register_at(secrets, account, url).await,
                Provider::Demo => Registration::Registered,
            }
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::meta::registration::meta_manual_step;
    use crate::secrets::Secret;

    #[test]
    fn webhook_urls() {
        assert_eq!(webhook_url("https://a.trycloudflare.com/", "meta", 3), "https://a.trycloudflare.com/webhooks/meta/3");
        assert_eq!(webhook_url("https://a.example.com", "wasender", 12), "https://a.example.com/webhooks/wasender/12");
    }

    #[test]
    fn registration_debug_withholds_the_paste_text() {
        let r = Registration::ManualStepNeeded {
            why: "refused".into(),
            what_to_paste_where: meta_manual_step("https://x/webhooks/meta/1", &Secret::new("vt-secret-123".into())),
        };
        let d = format!("{r:?}");
        assert!(!d.contains("vt-secret-123") && d.contains("refused"), "{d}");
    }
}
