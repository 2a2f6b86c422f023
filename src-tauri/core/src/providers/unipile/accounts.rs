//! UniPile accounts: the `Account` object (what an API key and DSN can see),
//! its connection status and what it means for Wicket.
//!
//! Rules kept here: the status is `sources[0].status`, not a top-level field;
//! the phone number comes from `connection_params.im.phone_number` (E.164,
//! with or without `+`), falling back to digits in the account's name; the
//! raw object is kept whole so the store can show what UniPile said. The
//! HTTP calls that list accounts and create hosted-auth links live in the
//! client; this module only reads JSON and maps statuses.

use super::mapping::{phone_from_digits, string};
use crate::model::AccountStatus;
use serde::Serialize;
use serde_json::Value;

/// What the owner is told when UniPile needs the account authenticated again.
pub const REAUTH_REASON: &str =
    "needs re-authentication (UniPile CREDENTIALS): reconnect it with `wicket account reconnect ID` or from the account's settings, then scan the QR code";

/// One account behind a UniPile API key.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnipileAccount {
    pub id: String,
    pub name: String,
    /// `WHATSAPP`, `LINKEDIN`, ...
    pub account_type: String,
    /// E.164 with `+`.
    pub phone: Option<String>,
    /// `sources[0].status`: OK, CONNECTING, CREDENTIALS, STOPPED, ERROR, PERMISSIONS.
    pub status: Option<String>,
    pub sources: Value,
    /// ISO-8601 as UniPile reports it.
    pub created_at: Option<String>,
    pub groups: Value,
    pub raw: Value,
}

impl UnipileAccount {
    /// Reads an `Account` object; `None` without an id.
    pub fn from_value(v: &Value) -> Option<UnipileAccount> {
        let id = string(v.get("id"))?;
        let name = string(v.get("name")).unwrap_or_default();
        let phone = string(v.pointer("/connection_params/im/phone_number")).and_then(|p| phone_from_digits(&p)).or_else(|| name_digits(&name));
        let sources = v.get("sources").cloned().unwrap_or(Value::Array(vec![]));
        let status = string(sources.get(0).and_then(|s| s.get("status"))).map(|s| s.to_ascii_uppercase());
        Some(UnipileAccount {
            id,
            name,
            account_type: string(v.get("type")).map(|t| t.to_ascii_uppercase()).unwrap_or_default(),
            phone,
            status,
            sources,
            created_at: string(v.get("created_at")),
            groups: v.get("groups").cloned().unwrap_or(Value::Array(vec![])),
            raw: v.clone(),
        })
    }

    pub fn is_whatsapp(&self) -> bool {
        self.account_type == "WHATSAPP"
    }

    /// Whether UniPile reports the account connected (`OK`).
    pub fn is_ok(&self) -> bool {
        self.status.as_deref() == Some("OK")
    }

    /// Wicket's status for this account, with the reason to show.
    pub fn account_status(&self) -> (AccountStatus, Option<String>) {
        match &self.status {
            Some(s) => status_from_unipile(s).unwrap_or((AccountStatus::Disconnected, Some(format!("UniPile reports an unknown status {s}")))),
            None => (AccountStatus::Retrying, Some("UniPile reports no status for this account yet".into())),
        }
    }

    /// The details Wicket keeps in the account's config (`details`): type,
    /// messaging status, sources, creation date, groups and the raw answer.
    pub fn details(&self) -> Value {
        serde_json::json!({
            "type": self.account_type,
            "status": self.status,
            "sources": self.sources,
            "created_at": self.created_at,
            "groups": self.groups,
            "raw": self.raw,
        })
    }

    /// `created_at` as Unix ms.
    pub fn created_at_ms(&self) -> Option<i64> {
        self.created_at.as_deref().and_then(crate::time::parse_rfc3339)
    }
}

/// The digits of a name like "+1 555 010 2030" (some integrations name the
/// account after its number).
fn name_digits(name: &str) -> Option<String> {
    let only_phone_chars = !name.is_empty() && name.chars().all(|c| c.is_ascii_digit() || " +-.()".contains(c));
    if only_phone_chars {
        phone_from_digits(name)
    } else {
        None
    }
}

/// A UniPile status (`sources[].status`, or an account_status webhook's
/// `message`) as Wicket's status and reason. `None` for a status Wicket does
/// not know.
pub fn status_from_unipile(status: &str) -> Option<(AccountStatus, Option<String>)> {
    let s = status.trim().to_ascii_uppercase();
    Some(match s.as_str() {
        "OK" | "CREATION_SUCCESS" | "RECONNECTED" | "SYNC_SUCCESS" => (AccountStatus::Ok, None),
        "CONNECTING" => (AccountStatus::Retrying, Some("UniPile is connecting to WhatsApp".into())),
        // The WhatsApp session needs new credentials (a new QR scan):
        // the same "needs re-authentication" state as an expired token.
        "CREDENTIALS" => (AccountStatus::NeedsToken, Some(REAUTH_REASON.into())),
        "PERMISSIONS" => {
            (AccountStatus::Disconnected, Some("UniPile lacks permissions on this account (PERMISSIONS): reconnect it through UniPile's hosted link".into()))
        }
        "STOPPED" => {
            (AccountStatus::Disconnected, Some("UniPile stopped syncing this account (STOPPED): restart it in the UniPile dashboard or reconnect it".into()))
        }
        "ERROR" => {
            (AccountStatus::Disconnected, Some("UniPile's sync of this account failed (ERROR): restart it in the UniPile dashboard or reconnect it".into()))
        }
        "DELETED" => (AccountStatus::Disconnected, Some("the account was deleted in UniPile: add it again".into())),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_the_documented_account() {
        let v = json!({"object":"Account","type":"WHATSAPP","id":"kX3p","name":"Camden Parcel Co",
            "created_at":"2026-01-01T09:30:00.000Z","connection_params":{"im":{"phone_number":"+15550102030"}},
            "sources":[{"id":"kX3p_MESSAGING","status":"OK"}],"groups":[]});
        let a = UnipileAccount::from_value(&v).unwrap();
        assert_eq!(a.phone.as_deref(), Some("+15550102030"));
        assert_eq!(a.status.as_deref(), Some("OK"));
        assert!(a.is_whatsapp() && a.is_ok());
        assert_eq!(a.account_status(), (AccountStatus::Ok, None));
        assert_eq!(a.created_at_ms(), Some(1_767_259_800_000));
    }

    #[test]
    fn phone_falls_back_to_the_name() {
        let a = UnipileAccount::from_value(&json!({"id": "x", "type": "WHATSAPP", "name": "+44 7700 900123"})).unwrap();
        assert_eq!(a.phone.as_deref(), Some("+447700900123"));
        let b = UnipileAccount::from_value(&json!({"id": "x", "type": "WHATSAPP", "name": "Shop 24"})).unwrap();
        assert_eq!(b.phone, None);
        assert_eq!(b.account_status().0, AccountStatus::Retrying, "no sources yet");
        let c = UnipileAccount::from_value(&json!({"id": "x", "connection_params": {"im": {"phone_number": "447700900123"}}})).unwrap();
        assert_eq!(c.phone.as_deref(), Some("+447700900123"), "digits without +");
    }

    #[test]
    fn statuses() {
        assert_eq!(status_from_unipile("CREDENTIALS"), Some((AccountStatus::NeedsToken, Some(REAUTH_REASON.into()))));
        assert_eq!(status_from_unipile("connecting").unwrap().0, AccountStatus::Retrying);
        assert_eq!(status_from_unipile("RECONNECTED").unwrap().0, AccountStatus::Ok);
        assert_eq!(status_from_unipile("STOPPED").unwrap().0, AccountStatus::Disconnected);
        assert_eq!(status_from_unipile("ERROR").unwrap().0, AccountStatus::Disconnected);
        assert_eq!(status_from_unipile("PERMISSIONS").unwrap().0, AccountStatus::Disconnected);
        assert_eq!(status_from_unipile("WHATEVER"), None);
    }
}
