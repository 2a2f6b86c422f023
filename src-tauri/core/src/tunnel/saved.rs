//! The public-address setup the owner chose, kept as the
//! `public_address_setup` setting so that every start of the desktop app
//! (and of `wicket serve`) brings it back: the tunnel tool with how it is
//! started, or a fixed public URL (the owner's own proxy or named tunnel).
//! `active` is false once the owner pressed Stop: the next start leaves it
//! stopped until Restart.

use super::spec::TunnelSpec;
use crate::error::{Error, Result};
use crate::store::Store;
use serde::{Deserialize, Serialize};

/// The setting's key.
pub const SETUP_SETTING: &str = "public_address_setup";

/// How this computer gets a public address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PublicAddress {
    /// A tunnel tool started for the listener's port.
    Tunnel(TunnelSpec),
    /// An address that already reaches the listener (no process to run).
    FixedUrl(String),
}

impl PublicAddress {
    /// How the owner knows it: "the cloudflared tunnel", "https://inbox.example.com".
    pub fn describe(&self) -> String {
        match self {
            PublicAddress::Tunnel(spec) => format!("the {} tunnel", spec.name()),
            PublicAddress::FixedUrl(url) => url.clone(),
        }
    }

    /// The tool's short name ("cloudflared"), or `None` for a fixed URL.
    pub fn tool(&self) -> Option<String> {
        match self {
            PublicAddress::Tunnel(spec) => Some(spec.name()),
            PublicAddress::FixedUrl(_) => None,
        }
    }
}

/// The setting's value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedSetup {
    pub address: PublicAddress,
    /// False after Stop: the setup is kept but not started.
    pub active: bool,
}

/// The saved setup, if any. A value this version cannot read is reported,
/// never silently replaced.
pub fn load(store: &Store) -> Result<Option<SavedSetup>> {
    match store.setting(SETUP_SETTING)? {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(v) => serde_json::from_value(v).map(Some).map_err(|e| {
            Error::Invalid(format!("the saved public-address setup cannot be read ({e}): choose the public address again in the account's setup"))
        }),
    }
}

pub fn save(store: &mut Store, setup: &SavedSetup) -> Result<()> {
    let value = serde_json::to_value(setup).map_err(|e| Error::Internal(format!("the public-address setup: {e}")))?;
    store.set_setting(SETUP_SETTING, &value)
}

/// Marks the saved setup started or stopped (Restart / Stop); no-op without one.
pub fn set_active(store: &mut Store, active: bool) -> Result<Option<SavedSetup>> {
    let Some(mut setup) = load(store)? else { return Ok(None) };
    setup.active = active;
    save(store, &setup)?;
    Ok(Some(setup))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_setup_is_kept_across_store_connections() {
        let tmp = tempfile::tempdir().unwrap();
        let db = tmp.path().join("wicket.db");
        let mut store = Store::open(&db).unwrap();
        assert_eq!(load(&store).unwrap(), None);
        let spec = TunnelSpec::cloudflared_quick().with_program("/opt/cf/cloudflared");
        save(&mut store, &SavedSetup { address: PublicAddress::Tunnel(spec.clone()), active: true }).unwrap();
        drop(store);
        let mut store = Store::open(&db).unwrap();
        let back = load(&store).unwrap().unwrap();
        assert_eq!(back.address, PublicAddress::Tunnel(spec));
        assert!(back.active);
        assert_eq!(back.address.describe(), "the cloudflared tunnel");
        assert!(!set_active(&mut store, false).unwrap().unwrap().active);
        assert!(!load(&store).unwrap().unwrap().active);
        store.set_setting(SETUP_SETTING, &serde_json::json!({"address": 3})).unwrap();
        assert!(matches!(load(&store), Err(Error::Invalid(m)) if m.contains("choose the public address again")));
    }
}
