//! Each account's provider client, shared by that account's workers (the
//! demo's client holds state: what it sent decides what a poll returns).
//!
//! Building a client reads secrets, which are blocking calls (D-Bus, Argon2id):
//! they run on the blocking pool with a deadline, so a keychain that hangs
//! stalls no runtime thread and no other account. A secret store that cannot
//! answer now (a locked keychain) is told apart from a secret that is missing:
//! the first only delays the account's work, the second fails its sends with
//! what to do.

use super::wait;
use crate::error::Error;
use crate::providers::ProviderClient;
use crate::secrets::SecretStore;
use crate::store::Account;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// How long one client build (its secret reads) may take.
const BUILD_DEADLINE: Duration = Duration::from_secs(30);
/// How soon an unusable account (a missing secret) is tried again, so a
/// secret re-entered meanwhile is picked up.
const UNUSABLE_RETRY: Duration = Duration::from_secs(5);
/// The first and the longest pause after the secret store did not answer.
const UNAVAILABLE_FIRST: Duration = Duration::from_secs(2);
const UNAVAILABLE_MAX: Duration = Duration::from_secs(60);

/// Why an account has no client right now.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum NoClient {
    /// The secret store did not answer (locked keychain, no Secret Service):
    /// work waits and is tried again with back-off; sends stay pending.
    Unavailable(String),
    /// The account cannot have a client as it is (a secret is missing, the
    /// config is incomplete): its sends fail with this reason.
    Unusable(String),
}

impl std::fmt::Display for NoClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NoClient::Unavailable(why) | NoClient::Unusable(why) => f.write_str(why),
        }
    }
}

struct Slot {
    client: Option<Arc<ProviderClient>>,
    /// Set after a failed build: no new try before then.
    next_try: Option<Instant>,
    failures: u32,
    last: Option<NoClient>,
}

/// The client of one account, built on first use and kept for the life of
/// the account's workers (they are rebuilt when the account changes).
pub(super) struct AccountClient {
    account: Account,
    secrets: Arc<SecretStore>,
    slot: tokio::sync::Mutex<Slot>,
}

impl AccountClient {
    pub fn new(account: Account, secrets: Arc<SecretStore>) -> AccountClient {
        AccountClient { account, secrets, slot: tokio::sync::Mutex::new(Slot { client: None, next_try: None, failures: 0, last: None }) }
    }

    /// The client, building it if needed. While a failed build waits out its
    /// pause, the last reason is returned at once without touching secrets.
    pub async fn get(&self) -> Result<Arc<ProviderClient>, NoClient> {
        let mut slot = self.slot.lock().await;
        if let Some(client) = &slot.client {
            return Ok(client.clone());
        }
        let now = Instant::now();
        if let (Some(at), Some(last)) = (slot.next_try, &slot.last) {
            if now < at {
                return Err(last.clone());
            }
        }
        match self.build().await {
            Ok(client) => {
                let client = Arc::new(client);
                slot.client = Some(client.clone());
                (slot.failures, slot.next_try, slot.last) = (0, None, None);
                Ok(client)
            }
            Err(no) => {
                slot.failures = slot.failures.saturating_add(1);
                let pause = match &no {
                    NoClient::Unavailable(_) => wait::backoff(UNAVAILABLE_FIRST, slot.failures - 1, UNAVAILABLE_MAX),
                    NoClient::Unusable(_) => UNUSABLE_RETRY,
                };
                // Said once per run of failures, not every few seconds.
                if slot.failures == 1 {
                    tracing::warn!(account = self.account.id, "no provider client for now: {no}");
                } else {
                    tracing::debug!(account = self.account.id, failures = slot.failures, "still no provider client: {no}");
                }
                slot.next_try = Some(wait::after(now, pause));
                slot.last = Some(no.clone());
                Err(no)
            }
        }
    }

    async fn build(&self) -> Result<ProviderClient, NoClient> {
        let (account, secrets) = (self.account.clone(), self.secrets.clone());
        let task = tokio::task::spawn_blocking(move || ProviderClient::for_account(&account, &secrets));
        match tokio::time::timeout(BUILD_DEADLINE, task).await {
            Ok(Ok(Ok(client))) => Ok(client),
            Ok(Ok(Err(Error::SecretsUnavailable(why)))) => Err(NoClient::Unavailable(why)),
            Ok(Ok(Err(e))) => Err(NoClient::Unusable(e.to_string())),
            Ok(Err(join)) => Err(NoClient::Unavailable(format!("reading the account's secrets failed: {join}"))),
            Err(_) => {
                Err(NoClient::Unavailable(format!("the secret store did not answer in {} s: make sure the keychain is unlocked", BUILD_DEADLINE.as_secs())))
            }
        }
    }
}
