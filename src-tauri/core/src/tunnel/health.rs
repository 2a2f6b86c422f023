//! Whether customers' messages can reach this computer, as last checked:
//! kept as the `public_address_health` setting so that the window, `wicket
//! monitor` and the next start all read the same answer, and said in plain
//! words with the one action that fixes it.
//!
//! A check posts, through the public address, the same signed test event as
//! the wizard's "Check" for every switched-on account that receives
//! webhooks (Meta, WASender); with none, `/health` alone.

use super::self_check::{self_check_health, self_check_meta, self_check_wasender, SelfCheck, StepStatus};
use crate::error::{Error, Result};
use crate::model::Provider;
use crate::secrets::{SecretName, SecretStore};
use crate::store::{Account, Store};
use serde::{Deserialize, Serialize};

/// The setting's key.
pub const HEALTH_SETTING: &str = "public_address_health";

/// The public address's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reachability {
    /// The tunnel is starting; no answer yet.
    Starting,
    /// The last check went through.
    Reachable,
    /// The last check failed, or the tunnel stopped by itself.
    Unreachable,
    /// The owner stopped it.
    Stopped,
}

impl Reachability {
    pub fn as_str(self) -> &'static str {
        match self {
            Reachability::Starting => "starting",
            Reachability::Reachable => "reachable",
            Reachability::Unreachable => "unreachable",
            Reachability::Stopped => "stopped",
        }
    }
}

/// One account's part of a check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountReach {
    pub account_id: i64,
    /// `reachable`, `unreachable`, or `unchecked` (its secrets could not be read).
    pub state: String,
    pub reason: Option<String>,
}

/// The setting's value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicAddressHealth {
    pub state: Reachability,
    /// The address checked (the tunnel's current one).
    pub public_url: Option<String>,
    /// "the cloudflared tunnel", or the fixed URL.
    pub via: String,
    /// The tunnel tool's name; `None` for a fixed URL.
    pub tool: Option<String>,
    /// When the last check ran (ms since the epoch).
    pub checked_at: Option<i64>,
    /// In plain words, for the banner and the notification.
    pub reason: Option<String>,
    /// What exactly failed, for the curious.
    pub detail: Option<String>,
    /// The action that fixes it: `restart`; `None` when nothing is wrong.
    pub fix: Option<String>,
    /// What ran the check: `start`, `schedule`, `wake`, `url_changed`, `owner`, or what changed the state.
    pub trigger: String,
    pub accounts: Vec<AccountReach>,
}

impl PublicAddressHealth {
    pub fn is_unreachable(&self) -> bool {
        self.state == Reachability::Unreachable
    }
}

/// "Customers' messages cannot reach this computer: {why}. {fix}"
pub fn cannot_reach(why: &str, fix: &str) -> String {
    format!("Customers' messages cannot reach this computer: {why}. {fix}")
}

/// The last state, if a check or a start ever ran on this data dir.
pub fn load(store: &Store) -> Result<Option<PublicAddressHealth>> {
    match store.setting(HEALTH_SETTING)? {
        None | Some(serde_json::Value::Null) => Ok(None),
        // An unreadable value (an older or newer shape) is as good as none.
        Some(v) => Ok(serde_json::from_value(v).ok()),
    }
}

pub fn save(store: &mut Store, health: &PublicAddressHealth) -> Result<()> {
    let value = serde_json::to_value(health).map_err(|e| Error::Internal(format!("the public-address state: {e}")))?;
    store.set_setting(HEALTH_SETTING, &value)
}

/// The accounts a check covers: switched on, and delivered to by webhook.
pub fn webhook_accounts(accounts: &[Account]) -> Vec<Account> {
    accounts.iter().filter(|a| a.enabled && matches!(a.provider, Provider::Meta | Provider::Wasender)).cloned().collect()
}

/// The first failed step's detail.
fn failure(check: &SelfCheck) -> Option<String> {
    check.steps.iter().find(|s| s.status == StepStatus::Failed).map(|s| s.detail.clone())
}

/// Checks `public_base` for each account (see the module's doc); returns
/// each account's outcome and, when anything failed, its first reason.
pub async fn check_accounts(public_base: &str, accounts: &[Account], secrets: &SecretStore) -> (Vec<AccountReach>, Option<String>) {
    let accounts = webhook_accounts(accounts);
    if accounts.is_empty() {
        return match self_check_health(public_base).await {
            Ok(check) if check.passed() => (vec![], None),
            Ok(check) => (vec![], failure(&check).or_else(|| Some("the check did not pass".into()))),
            Err(e) => (vec![], Some(e.to_string())),
        };
    }
    let mut out = Vec::with_capacity(accounts.len());
    let mut first_failure = None;
    for account in accounts {
        let id = account.id;
        let store = secrets.clone();
        let provider = account.provider;
        // The secret store blocks (keychain, vault): off the runtime.
        let loaded = tokio::task::spawn_blocking(move || match provider {
            Provider::Meta => Ok((store.get(id, SecretName::AppSecret)?, Some(store.get(id, SecretName::VerifyToken)?))),
            _ => Ok((store.get(id, SecretName::WebhookSecret)?, None)),
        })
        .await
        .unwrap_or_else(|e| Err(Error::Internal(format!("the secret reader stopped: {e}"))));
        let (secret, verify) = match loaded {
            Ok(x) => x,
            Err(e) => {
                out.push(AccountReach { account_id: id, state: "unchecked".into(), reason: Some(format!("its secrets could not be read: {e}")) });
                continue;
            }
        };
        let checked = match verify {
            Some(verify) => self_check_meta(public_base, id, &secret, &verify).await,
            None => self_check_wasender(public_base, id, &secret).await,
        };
        let reason = match checked {
            Ok(check) if check.passed() => None,
            Ok(check) => Some(failure(&check).unwrap_or_else(|| "the check did not pass".into())),
            Err(e) => Some(e.to_string()),
        };
        if first_failure.is_none() {
            first_failure.clone_from(&reason);
        }
        let state = if reason.is_none() { "reachable" } else { "unreachable" };
        out.push(AccountReach { account_id: id, state: state.into(), reason });
    }
    (out, first_failure)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_is_kept_and_an_unreadable_one_is_none() {
        let tmp = tempfile::tempdir().unwrap();
        let mut store = Store::open(&tmp.path().join("wicket.db")).unwrap();
        assert_eq!(load(&store).unwrap(), None);
        let h = PublicAddressHealth {
            state: Reachability::Unreachable,
            public_url: Some("https://a.trycloudflare.com".into()),
            via: "the cloudflared tunnel".into(),
            tool: Some("cloudflared".into()),
            checked_at: Some(1_800_000_000_000),
            reason: Some(cannot_reach("the cloudflared tunnel stopped", "Restart it")),
            detail: None,
            fix: Some("restart".into()),
            trigger: "tunnel_exited".into(),
            accounts: vec![],
        };
        save(&mut store, &h).unwrap();
        assert_eq!(load(&store).unwrap(), Some(h.clone()));
        assert_eq!(h.reason.as_deref(), Some("Customers' messages cannot reach this computer: the cloudflared tunnel stopped. Restart it"));
        let raw = store.setting(HEALTH_SETTING).unwrap().unwrap();
        assert_eq!(raw["state"], "unreachable", "the state is a plain word in the setting");
        store.set_setting(HEALTH_SETTING, &serde_json::json!({"state": 1})).unwrap();
        assert_eq!(load(&store).unwrap(), None);
    }
}
