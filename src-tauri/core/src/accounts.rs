//! Account-level actions shared by the CLI, the desktop app and the wizard:
//! recording what a connection test said, generating verify tokens.

use crate::error::{Error, ErrorKind, Result};
use crate::model::AccountStatus;
use crate::providers::ConnectionInfo;
use crate::store::Store;

/// A random token (128 bits, hex) from the OS's CSPRNG, e.g. a webhook
/// verify token generated when the owner gives none.
pub fn random_token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Records the outcome of a connection test on the account: `ok` (and the
/// number the provider reports), `needs_token` for a bad token, or the
/// reason it could not be checked.
pub fn record_connection_test(store: &mut Store, account_id: i64, result: &Result<ConnectionInfo>) -> Result<()> {
    match result {
        Ok(info) => {
            if let Some(display) = &info.display_number {
                // The provider's own number is canonical: keep it even where the
                // metadata is stricter (e.g. fictional 555-01xx test numbers).
                if let Ok(n) = crate::phone::from_wa_id(display) {
                    store.set_account_phone(account_id, Some(n.as_str()))?;
                }
            }
            store.set_account_status(account_id, AccountStatus::Ok, None)
        }
        Err(Error::Provider(pe)) | Err(Error::RetriesExhausted(pe)) => {
            let (status, reason) = match pe.kind {
                ErrorKind::Auth => (AccountStatus::NeedsToken, format!("needs a new token: {}", pe.message)),
                ErrorKind::Unavailable | ErrorKind::RateLimited => (AccountStatus::Retrying, pe.message.clone()),
                ErrorKind::SessionDisconnected => (AccountStatus::Disconnected, pe.message.clone()),
                _ => (AccountStatus::Unverified, pe.message.clone()),
            };
            store.set_account_status(account_id, status, Some(&reason))
        }
        Err(other) => store.set_account_status(account_id, AccountStatus::Unverified, Some(&format!("not yet verified: {other}"))),
    }
}
