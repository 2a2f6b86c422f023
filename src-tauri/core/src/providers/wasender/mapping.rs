//! What the WASender client and webhook parser share: WhatsApp JIDs turned
//! into Wicket's contact keys, tolerant JSON readers and the contact mapping.
//!
//! The rule kept here is providers.md §E: only `…@s.whatsapp.net` / `…@c.us`
//! JIDs and bare digit strings are phone numbers (a `:device` suffix is
//! dropped); LIDs (`…@lid`), groups (`…@g.us`), broadcast lists and
//! newsletters stay opaque ids, never guessed into numbers. Readers accept
//! numbers as strings and strings as numbers (§0), and never fail: a value
//! they cannot read is `None`.

use crate::phone;
use crate::providers::SyncedContact;
use crate::store::contacts::{ContactKey, ContactUpdate};
use serde_json::Value;

/// A JID or number as WASender reports it, classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Address {
    /// A phone number: E.164 with `+`, and its digits (a wa_id).
    Phone { e164: String, digits: String, jid: String },
    /// A group JID (`…@g.us`).
    Group(String),
    /// Anything else: a LID, a broadcast list, a newsletter, an unknown
    /// domain or a string that is not a number. Kept as given (without a
    /// `:device` suffix).
    Opaque(String),
}

impl Address {
    /// The JID to record for the contact (`jid` column).
    pub(crate) fn jid(&self) -> &str {
        match self {
            Address::Phone { jid, .. } => jid,
            Address::Group(g) => g,
            Address::Opaque(o) => o,
        }
    }

    /// The contact key: a phone number, or the opaque id.
    pub(crate) fn key(&self) -> ContactKey {
        match self {
            Address::Phone { e164, .. } => ContactKey::phone(e164.clone()),
            Address::Group(g) => ContactKey::user_id(g.clone()),
            Address::Opaque(o) => ContactKey::user_id(o.clone()),
        }
    }

    pub(crate) fn digits(&self) -> Option<&str> {
        match self {
            Address::Phone { digits, .. } => Some(digits),
            _ => None,
        }
    }

    /// Status posts, broadcast lists and newsletters: not conversations.
    pub(crate) fn is_broadcast(&self) -> bool {
        match self {
            Address::Opaque(o) => o.ends_with("@broadcast") || o.ends_with("@newsletter"),
            _ => false,
        }
    }
}

/// The digits of a phone-number string (`+44 7700 900123`, `0044…`,
/// `447700900123`), or `None` when it is not one: letters, too short or
/// longer than E.164's 15 digits.
pub(crate) fn phone_digits(s: &str) -> Option<String> {
    let t = s.trim();
    let t = t.strip_prefix('+').or_else(|| t.strip_prefix("00")).unwrap_or(t);
    let digits: String = t.chars().filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')')).collect();
    let ok = (7..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
    ok.then_some(digits)
}

fn phone_address(digits: String) -> Option<Address> {
    // The E.164 key goes through the phone module; the digits WhatsApp
    // reported stay the wa_id (they can differ, e.g. Mexico's `1`).
    let e164 = phone::from_wa_id(&digits).ok()?.as_str().to_string();
    let jid = format!("{digits}@s.whatsapp.net");
    Some(Address::Phone { e164, digits, jid })
}

/// Classifies a JID or a bare number (providers.md §E).
pub(crate) fn parse_address(raw: &str) -> Option<Address> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    let Some((local, domain)) = raw.rsplit_once('@') else {
        return match phone_digits(raw) {
            Some(d) => phone_address(d),
            None => Some(Address::Opaque(raw.to_string())),
        };
    };
    let domain = domain.to_ascii_lowercase();
    // `447700900123:12@s.whatsapp.net`: the part after `:` names a device.
    let user = local.split(':').next().unwrap_or(local);
    match domain.as_str() {
        "s.whatsapp.net" | "c.us" => match phone_digits(user).filter(|d| d == user) {
            Some(d) => phone_address(d),
            None => Some(Address::Opaque(format!("{user}@{domain}"))),
        },
        "g.us" => Some(Address::Group(format!("{local}@g.us"))),
        _ => Some(Address::Opaque(format!("{user}@{domain}"))),
    }
}

/// A non-empty trimmed string, from a JSON string or number.
pub(crate) fn string(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.trim()).filter(|s| !s.is_empty()).map(str::to_string),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// An integer from a number, a numeric string, or a protobuf `Long`
/// (`{"low":…, "high":…}`, as Baileys sometimes serialises timestamps).
pub(crate) fn integer(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().filter(|f| f.is_finite() && f.fract() == 0.0).map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        Value::Object(o) => {
            let low = o.get("low")?.as_i64()?;
            let high = o.get("high").and_then(Value::as_i64).unwrap_or(0);
            Some((high << 32) | (low & 0xffff_ffff))
        }
        _ => None,
    }
}

pub(crate) fn boolean(v: Option<&Value>) -> Option<bool> {
    match v? {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_i64().map(|i| i != 0),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Some(true),
            "false" | "0" | "no" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// A Unix time in seconds or milliseconds, told apart by magnitude
/// (anything past year 2286 in seconds is taken as milliseconds), as ms.
pub(crate) fn unix_ms(v: Option<&Value>) -> Option<i64> {
    let n = integer(v).filter(|n| *n > 0)?;
    Some(if n >= 10_000_000_000 { n } else { n * 1000 })
}

/// The list under `v`: an array as is, a single object as a list of one.
pub(crate) fn one_or_many(v: Option<&Value>) -> Vec<&Value> {
    match v {
        Some(Value::Array(items)) => items.iter().filter(|i| i.is_object()).collect(),
        Some(o @ Value::Object(_)) => vec![o],
        _ => vec![],
    }
}

/// A contact of the contact list (`GET /contacts`, `contacts.upsert`) in
/// Wicket's terms. `fallback_jid` keys an item that carries no JID (the
/// answer to `GET /contacts/{phone}`). A contact-list sync (`synced`) is
/// authoritative: no verified name there means not a business account.
pub(crate) fn contact_from_item(item: &Value, fallback_jid: Option<&str>, synced: bool) -> Option<SyncedContact> {
    let raw_jid = string(item.get("jid")).or_else(|| string(item.get("id"))).or_else(|| fallback_jid.map(str::to_string))?;
    let address = parse_address(&raw_jid).filter(|a| !a.is_broadcast())?;
    let mut key = address.key();
    // A LID entry may name its phone number too.
    if let Address::Opaque(lid) = &address {
        let pn = string(item.get("phoneNumber")).or_else(|| string(item.get("pn"))).and_then(|p| parse_address(&p));
        if let Some(Address::Phone { e164, .. }) = pn {
            key = ContactKey { phone: Some(e164), provider_user_id: Some(lid.clone()) };
        }
    }
    let verified_name = string(item.get("verifiedName")).or_else(|| string(item.get("verified_name")));
    let flag = boolean(item.get("isBusiness")).or_else(|| boolean(item.get("is_business"))).or_else(|| boolean(item.get("business")));
    let is_business = match (flag, &verified_name) {
        (Some(f), _) => Some(f),
        (None, Some(_)) => Some(true),
        (None, None) if synced => Some(false),
        (None, None) => None,
    };
    let update = ContactUpdate {
        wa_id: address.digits().map(str::to_string).or_else(|| key.phone.as_deref().map(|p| p.trim_start_matches('+').to_string())),
        jid: Some(raw_jid),
        is_group: matches!(address, Address::Group(_)).then_some(true),
        saved_name: string(item.get("name")),
        profile_name: string(item.get("notify")),
        verified_name,
        company: None,
        profile_picture_url: string(item.get("imgUrl")).filter(|u| u != "changed"),
        is_business,
        status_text: string(item.get("status")),
        raw: Some(item.clone()),
        synced,
    };
    Some(SyncedContact { key, update })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn phone_jids_lose_domain_and_device() {
        let a = parse_address("447700900123:12@s.whatsapp.net").unwrap();
        assert_eq!(a.key(), ContactKey::phone("+447700900123"));
        assert_eq!(a.digits(), Some("447700900123"));
        assert_eq!(a.jid(), "447700900123@s.whatsapp.net");
        assert_eq!(parse_address("+44 7700 900123").unwrap().key(), ContactKey::phone("+447700900123"));
        assert_eq!(parse_address("447700900123@c.us").unwrap().digits(), Some("447700900123"));
    }

    #[test]
    fn lids_groups_and_broadcasts_stay_opaque() {
        assert_eq!(parse_address("118237465019283@lid"), Some(Address::Opaque("118237465019283@lid".into())), "a LID is not a number");
        assert_eq!(parse_address("118237465019283:3@lid"), Some(Address::Opaque("118237465019283@lid".into())));
        assert_eq!(parse_address("120363041234567890@g.us"), Some(Address::Group("120363041234567890@g.us".into())));
        assert!(parse_address("status@broadcast").unwrap().is_broadcast());
        assert!(parse_address("1203630@newsletter").unwrap().is_broadcast());
        assert_eq!(parse_address("alice"), Some(Address::Opaque("alice".into())));
        assert_eq!(parse_address("  "), None);
        assert_eq!(parse_address("12@s.whatsapp.net"), Some(Address::Opaque("12@s.whatsapp.net".into())), "too short for a number");
    }

    #[test]
    fn readers_are_tolerant() {
        assert_eq!(integer(Some(&json!("284512"))), Some(284_512));
        assert_eq!(integer(Some(&json!({"low": 1767268929, "high": 0, "unsigned": true}))), Some(1_767_268_929));
        assert_eq!(unix_ms(Some(&json!(1767268800))), Some(1_767_268_800_000), "seconds");
        assert_eq!(unix_ms(Some(&json!(1767269010123_i64))), Some(1_767_269_010_123), "milliseconds");
        assert_eq!(unix_ms(Some(&json!("1767268800"))), Some(1_767_268_800_000));
        assert_eq!(unix_ms(Some(&json!(0))), None);
        assert_eq!(boolean(Some(&json!("true"))), Some(true));
        assert_eq!(one_or_many(Some(&json!({"a": 1}))).len(), 1);
        assert_eq!(one_or_many(Some(&json!([{"a": 1}, 2, {"b": 2}]))).len(), 2);
    }

    #[test]
    fn contact_items_map_every_field() {
        let item = json!({"jid": "15550199887", "name": "Acme Supplies", "notify": "Acme", "verifiedName": "Acme Supplies Ltd",
                          "imgUrl": "https://pps.whatsapp.net/x.jpg", "status": "Wholesale"});
        let c = contact_from_item(&item, None, true).unwrap();
        assert_eq!(c.key, ContactKey::phone("+15550199887"));
        assert_eq!(c.update.saved_name.as_deref(), Some("Acme Supplies"));
        assert_eq!(c.update.profile_name.as_deref(), Some("Acme"));
        assert_eq!(c.update.verified_name.as_deref(), Some("Acme Supplies Ltd"));
        assert_eq!(c.update.is_business, Some(true), "a verified name means a business account");
        assert_eq!(c.update.jid.as_deref(), Some("15550199887"), "the original JID is kept");
        assert_eq!(c.update.wa_id.as_deref(), Some("15550199887"));
        assert!(c.update.synced);
        let lid = contact_from_item(&json!({"id": "99887766@lid", "phoneNumber": "447700900123@s.whatsapp.net"}), None, false).unwrap();
        assert_eq!(lid.key, ContactKey { phone: Some("+447700900123".into()), provider_user_id: Some("99887766@lid".into()) });
        assert_eq!(lid.update.is_business, None, "a webhook update says nothing about the business flag");
        assert!(contact_from_item(&json!({"name": "no jid"}), None, true).is_none());
        assert!(contact_from_item(&json!({"jid": "status@broadcast"}), None, true).is_none(), "not a contact");
    }
}
