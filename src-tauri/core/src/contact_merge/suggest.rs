//! Merge suggestions: two people's contacts of one account that look like
//! the same person, each with why.
//!
//! Two kinds of evidence. A payload that names both keys of one person
//! while the store holds them as two contacts (the second key arrived when
//! the first already had a contact of its own): Meta's message with `from`
//! and `from_user_id` (the business-scoped user id), WASender's message or
//! contact record with a LID (`…@lid`) and the phone (`senderPn`,
//! `cleanedSenderPn`, `remoteJidAlt`, `phoneNumber`), UniPile's attendee with
//! its provider id and `attendee_specifics.phone_number`; Meta's contact
//! entry (`contacts[]`, kept on the contact) with `wa_id` and `user_id`, and
//! one WhatsApp username on two contacts (a user who hid their number, seen
//! before and after, or under a new user id). And numbers that
//! are one number: written differently, or a Brazilian mobile with and
//! without the ninth digit (+55 DD 9XXXX-XXXX, +55 DD XXXX-XXXX). Groups are
//! never suggested, nor a pair the owner dismissed. Read only.

use crate::error::Result;
use crate::store::contact_merge as sql;
use crate::store::contacts;
use crate::store::Store;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// How many of an account's newest inbound payloads are read for evidence.
const PAYLOADS: usize = 20_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SuggestionKind {
    /// Meta named a business-scoped user id (BSUID) with a number.
    MetaUserId,
    /// Meta named the same WhatsApp username for both contacts.
    MetaUsername,
    /// WASender's LID record carries the number.
    WasenderLid,
    /// UniPile's attendee record carries the number.
    UnipileAttendee,
    /// The same number written differently.
    Formatting,
    /// A Brazilian mobile with and without the ninth digit.
    BrazilNinthDigit,
}

/// Two contacts that look like one person. `contact_id` < `other_id`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Suggestion {
    pub account_id: i64,
    pub contact_id: i64,
    pub contact_name: String,
    pub other_id: i64,
    pub other_name: String,
    pub kind: SuggestionKind,
    /// Why, in words ("same phone in WASender's LID record: …").
    pub reason: String,
}

/// A payload's word that one phone and one opaque id are one person.
#[derive(Debug, Clone, PartialEq)]
struct Link {
    phone: String,
    user_id: String,
    kind: SuggestionKind,
}

fn s(v: Option<&Value>) -> Option<&str> {
    v.and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty())
}

/// A JID or id as compared: no `:device` suffix, the domain in lower case.
fn norm_id(id: &str) -> String {
    match id.trim().split_once('@') {
        Some((local, domain)) => format!("{}@{}", local.split(':').next().unwrap_or(local), domain.to_ascii_lowercase()),
        None => id.trim().to_string(),
    }
}

/// The E.164 number of digits, a `+` number or a phone JID; `None` for a
/// LID, a group or anything that is not a number.
fn phone_of(v: &str) -> Option<String> {
    let v = v.trim();
    let local = match v.split_once('@') {
        Some((local, "s.whatsapp.net" | "c.us")) => local.split(':').next().unwrap_or(local),
        Some(_) => return None,
        None => v,
    };
    let digits: String = local.chars().filter(|c| !matches!(c, '+' | ' ' | '-' | '(' | ')' | '.')).collect();
    if !(7..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    crate::phone::from_wa_id(&digits).ok().map(|e| e.as_str().to_string())
}

fn is_lid(v: &str) -> bool {
    v.trim().to_ascii_lowercase().ends_with("@lid")
}

fn pair(out: &mut Vec<Link>, phones: &[Option<String>], ids: &[&str], kind: SuggestionKind) {
    for p in phones.iter().flatten() {
        for id in ids {
            let link = Link { phone: p.clone(), user_id: norm_id(id), kind };
            if !out.contains(&link) {
                out.push(link);
            }
        }
    }
}

/// The (phone, id) pairs one stored payload names for one person.
fn links(v: &Value) -> Vec<Link> {
    let mut out = vec![];
    // Meta: a message (or echo) with the number and the user id.
    if let Some(uid) = s(v.get("from_user_id")).or_else(|| s(v.get("user_id"))) {
        pair(&mut out, &[s(v.get("from")).or_else(|| s(v.get("wa_id"))).and_then(phone_of)], &[uid], SuggestionKind::MetaUserId);
    }
    if let Some(uid) = s(v.get("to_user_id")) {
        pair(&mut out, &[s(v.get("to")).and_then(phone_of)], &[uid], SuggestionKind::MetaUserId);
    }
    // WASender: a message's key (as stored, or inside a whole webhook body).
    if let Some(key) = v.get("key").or_else(|| v.pointer("/data/messages/key")).filter(|k| k.is_object()) {
        let remote = s(key.get("remoteJid")).unwrap_or_default();
        if !remote.ends_with("@g.us") {
            let from_me = key.get("fromMe").and_then(Value::as_bool).unwrap_or(false);
            let mut ids: Vec<&str> =
                [s(key.get("senderLid")).filter(|_| !from_me), Some(remote), s(key.get("remoteJidAlt"))].into_iter().flatten().filter(|i| is_lid(i)).collect();
            ids.dedup();
            let mut phones = vec![phone_of(remote), s(key.get("remoteJidAlt")).and_then(phone_of)];
            if !from_me {
                phones.push(s(key.get("cleanedSenderPn")).and_then(phone_of));
                phones.push(s(key.get("senderPn")).and_then(phone_of));
            }
            pair(&mut out, &phones, &ids, SuggestionKind::WasenderLid);
        }
    }
    // WASender: a contact-list record (the raw kept on the contact).
    let jid = s(v.get("jid")).or_else(|| s(v.get("id")));
    if v.get("key").is_none() && v.get("sender").is_none() {
        let lid = s(v.get("lid")).or(jid.filter(|j| is_lid(j)));
        let phone = s(v.get("phoneNumber")).or_else(|| s(v.get("pn"))).or(jid.filter(|j| !is_lid(j))).and_then(phone_of);
        if let Some(lid) = lid.filter(|l| is_lid(l)) {
            pair(&mut out, &[phone], &[lid], SuggestionKind::WasenderLid);
        }
    }
    // UniPile: the sender of an inbound message, by attendee provider id
    // and phone, in a chat that may be keyed by LID.
    let is_group = v.get("is_group").and_then(Value::as_bool).unwrap_or(false);
    let is_sender = v.get("is_sender").and_then(Value::as_bool).unwrap_or(false);
    if let (Some(sender), false, false) = (v.get("sender").filter(|x| x.is_object()), is_group, is_sender) {
        let provider_id = s(sender.get("attendee_provider_id"));
        let phones = [s(sender.pointer("/attendee_specifics/phone_number")).and_then(phone_of), provider_id.and_then(phone_of)];
        let ids: Vec<&str> =
            [provider_id, s(v.get("provider_chat_id"))].into_iter().flatten().filter(|i| phone_of(i).is_none() && !i.ends_with("@g.us")).collect();
        pair(&mut out, &phones, &ids, SuggestionKind::UnipileAttendee);
    }
    out
}

fn link_reason(kind: SuggestionKind, phone: &str, id: &str, country: &str) -> String {
    let p = crate::phone::format_for_display(phone, country);
    match kind {
        SuggestionKind::MetaUserId => format!("Meta sent the business-scoped user id {id} together with the number {p}"),
        SuggestionKind::WasenderLid => format!("same phone in WASender's LID record: {id} is {p}"),
        SuggestionKind::UnipileAttendee => format!("same phone in UniPile's attendee record: {id} is {p}"),
        _ => format!("{id} and {p} name the same person"),
    }
}

/// The WhatsApp username in Meta's contact entry (`profile.username`), as
/// compared: without `@`, in lower case.
fn username(v: &Value) -> Option<String> {
    s(v.pointer("/profile/username")).map(|u| u.trim_start_matches('@').to_lowercase()).filter(|u| !u.is_empty())
}

/// A number in one spelling: E.164 when the numbering plan knows it, else
/// `+` and its digits.
fn canonical(phone: &str, country: &str) -> Option<String> {
    crate::phone::parse(phone, country).ok().map(|e| e.as_str().to_string()).or_else(|| phone_of(phone))
}

/// The same Brazilian mobile without its ninth digit (+55 DD 9XXXX-XXXX →
/// +55 DD XXXX-XXXX), when `e164` is such a mobile.
fn without_ninth_digit(e164: &str) -> Option<String> {
    let rest = e164.strip_prefix("+55")?;
    let b = rest.as_bytes();
    (b.len() == 11 && b[2] == b'9' && (b'6'..=b'9').contains(&b[3]) && b.iter().all(u8::is_ascii_digit)).then(|| format!("+55{}{}", &rest[..2], &rest[3..]))
}

/// Every suggestion of one account (or all), in a stable order.
pub fn suggestions(store: &Store, account_id: Option<i64>) -> Result<Vec<Suggestion>> {
    let accounts: Vec<i64> = match account_id {
        Some(a) => vec![store.account(a)?.id],
        None => store.accounts()?.into_iter().map(|a| a.id).collect(),
    };
    let country = store.default_country()?;
    let dismissed: Vec<(i64, i64)> = sql::dismissed(store.conn())?;
    let mut out = vec![];
    for account in accounts {
        out.extend(for_account(store, account, &country, &dismissed)?);
    }
    Ok(out)
}

/// The suggestions that involve contact `contact_id` (the contact panel's).
pub fn suggestions_for(store: &Store, contact_id: i64) -> Result<Vec<Suggestion>> {
    let c = store.contact(contact_id)?;
    if c.is_group {
        return Ok(vec![]);
    }
    Ok(suggestions(store, Some(c.account_id))?.into_iter().filter(|s| s.contact_id == contact_id || s.other_id == contact_id).collect())
}

fn for_account(store: &Store, account: i64, country: &str, dismissed: &[(i64, i64)]) -> Result<Vec<Suggestion>> {
    let conn = store.conn();
    let people = sql::candidates(conn, account)?;
    let mut by_phone: HashMap<String, i64> = HashMap::new();
    let mut by_id: HashMap<String, i64> = HashMap::new();
    for p in &people {
        if let Some(ph) = &p.phone {
            by_phone.insert(ph.clone(), p.id);
        }
        if let Some(u) = &p.provider_user_id {
            by_id.insert(norm_id(u), p.id);
        }
    }
    let person = |id: i64| people.iter().any(|p| p.id == id);
    for (ph, id) in sql::phone_aliases(conn, account)? {
        if person(id) {
            by_phone.entry(ph).or_insert(id);
        }
    }
    for (u, id) in sql::user_aliases(conn, account)? {
        if person(id) {
            by_id.entry(norm_id(&u)).or_insert(id);
        }
    }

    // Pair → (kind, reason); the first reason found wins.
    let mut found: BTreeMap<(i64, i64), (SuggestionKind, String)> = BTreeMap::new();
    let mut add = |a: i64, b: i64, kind: SuggestionKind, reason: String| {
        if a == b {
            return;
        }
        let key = if a < b { (a, b) } else { (b, a) };
        if !dismissed.contains(&key) {
            found.entry(key).or_insert((kind, reason));
        }
    };

    let payloads = sql::identity_payloads(conn, account, PAYLOADS)?;
    let raws = people.iter().filter_map(|p| p.raw.as_deref()).chain(payloads.iter().map(String::as_str));
    for raw in raws {
        let Ok(v) = serde_json::from_str::<Value>(raw) else { continue };
        for l in links(&v) {
            if let (Some(&a), Some(&b)) = (by_phone.get(&l.phone), by_id.get(&l.user_id)) {
                add(a, b, l.kind, link_reason(l.kind, &l.phone, &l.user_id, country));
            }
        }
    }

    // One username, two contacts: Meta's entry is kept on each contact.
    let mut by_username: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for p in &people {
        if let Some(u) = p.raw.as_deref().and_then(|r| serde_json::from_str::<Value>(r).ok()).as_ref().and_then(username) {
            by_username.entry(u).or_default().push(p.id);
        }
    }
    for (u, ids) in &by_username {
        for w in ids.windows(2) {
            add(w[0], w[1], SuggestionKind::MetaUsername, format!("the same WhatsApp username @{u}"));
        }
    }

    // Numbers: one spelling per number, then Brazil's ninth digit.
    let mut by_canonical: BTreeMap<String, Vec<(i64, String)>> = BTreeMap::new();
    for p in &people {
        if let Some(ph) = &p.phone {
            if let Some(c) = canonical(ph, country) {
                by_canonical.entry(c).or_default().push((p.id, ph.clone()));
            }
        }
    }
    for group in by_canonical.values() {
        for w in group.windows(2) {
            add(w[0].0, w[1].0, SuggestionKind::Formatting, format!("the same number written differently ({} and {})", w[0].1, w[1].1));
        }
    }
    for (c, group) in &by_canonical {
        let Some(short) = without_ninth_digit(c) else { continue };
        if let Some(other) = by_canonical.get(&short) {
            for (a, pa) in group {
                for (b, pb) in other {
                    add(
                        *a,
                        *b,
                        SuggestionKind::BrazilNinthDigit,
                        format!("Brazil's ninth digit: {pa} and {pb} are one mobile number, with and without the 9 added in 2016"),
                    );
                }
            }
        }
    }

    let name = |id: i64| -> Result<String> { Ok(contacts::display_name(&store.contact(id)?, country)) };
    let mut out = vec![];
    for ((a, b), (kind, reason)) in found {
        out.push(Suggestion { account_id: account, contact_id: a, contact_name: name(a)?, other_id: b, other_name: name(b)?, kind, reason });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn brazil_mobiles_lose_their_ninth_digit_and_landlines_never_had_one() {
        assert_eq!(without_ninth_digit("+5511987654321").as_deref(), Some("+551187654321"));
        assert_eq!(without_ninth_digit("+551187654321"), None, "already short");
        assert_eq!(without_ninth_digit("+5511923456789"), None, "9 then 2: not a mobile that gained a 9");
        assert_eq!(without_ninth_digit("+4411987654321"), None, "not Brazil");
    }

    #[test]
    fn payload_shapes_name_their_pairs() {
        let meta = json!({"from": "447700900123", "from_user_id": "GB.1502576394655843", "id": "wamid.X", "type": "text"});
        assert_eq!(links(&meta), vec![Link { phone: "+447700900123".into(), user_id: "GB.1502576394655843".into(), kind: SuggestionKind::MetaUserId }]);
        let wasender = json!({"key": {"id": "1", "fromMe": false, "remoteJid": "447700900123@s.whatsapp.net", "senderLid": "118237465019283@lid"}});
        assert_eq!(links(&wasender)[0].user_id, "118237465019283@lid");
        let group = json!({"key": {"remoteJid": "1203630@g.us", "participant": "5@lid", "cleanedParticipantPn": "447700900123"}});
        assert!(links(&group).is_empty(), "a group's participant is not the chat's person");
        let unipile = json!({"sender": {"attendee_provider_id": "99887766@lid", "attendee_specifics": {"phone_number": "+447700900123"}}, "is_sender": false});
        assert_eq!(links(&unipile)[0].kind, SuggestionKind::UnipileAttendee);
        let entry = json!({"profile": {"name": "Ana", "username": "@Ana.Bakes"}, "user_id": "GB.4242"});
        assert_eq!(username(&entry).as_deref(), Some("ana.bakes"), "compared without @, in lower case");
        assert_eq!(username(&json!({"profile": {"name": "Ana", "username": " "}})), None);
        let plain = json!({"from": "447700900123", "id": "wamid.Y"});
        assert!(links(&plain).is_empty(), "one key alone links nothing");
    }
}
