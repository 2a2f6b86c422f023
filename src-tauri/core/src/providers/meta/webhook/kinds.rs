//! The message kinds that carry more than a body: a catalog order (kept
//! structured, with a plain-text summary for the list and search), the ad a
//! customer came from (`referral`, on any kind) and Meta's `system`
//! messages (a number change, an identity change), which become notices.

use super::{array, integer, string};
use crate::store::contacts::ContactKey;
use serde_json::{json, Map, Value};

/// An `order` object normalised: `{catalog_id, text, product_items[{product_retailer_id,
/// quantity, item_price, currency}]}` (prices as numbers, whatever Meta sent),
/// and its summary: "Order: 2 × SKU-42 (GBP 7.99 each) · total GBP 15.98 · “Two please”".
pub(super) fn order(body: &Value) -> (Value, String) {
    let mut items = vec![];
    let mut parts = vec![];
    // Totals per currency: a cart is one currency, but nothing promises it.
    let mut totals: Vec<(String, f64)> = vec![];
    for item in array(body.get("product_items")) {
        let sku = string(item.get("product_retailer_id"));
        let quantity = integer(item.get("quantity")).unwrap_or(1);
        let price = number(item.get("item_price"));
        let currency = string(item.get("currency"));
        items.push(json!({ "product_retailer_id": sku, "quantity": quantity, "item_price": price, "currency": currency }));
        let name = sku.clone().unwrap_or_else(|| "an item".into());
        parts.push(match (price, &currency) {
            (Some(p), Some(c)) => {
                match totals.iter_mut().find(|(cur, _)| cur == c) {
                    Some(t) => t.1 += p * quantity as f64,
                    None => totals.push((c.clone(), p * quantity as f64)),
                }
                format!("{quantity} × {name} ({c} {p:.2} each)")
            }
            _ => format!("{quantity} × {name}"),
        });
    }
    let note = string(body.get("text"));
    let mut summary = format!("Order: {}", if parts.is_empty() { "no items".to_string() } else { parts.join(", ") });
    if !totals.is_empty() {
        let t: Vec<String> = totals.iter().map(|(c, v)| format!("{c} {v:.2}")).collect();
        summary.push_str(&format!(" · total {}", t.join(" + ")));
    }
    if let Some(n) = &note {
        summary.push_str(&format!(" · “{n}”"));
    }
    (json!({ "catalog_id": string(body.get("catalog_id")), "text": note, "product_items": items }), summary)
}

/// A price as a number: Meta documents a number, its SDKs a string.
fn number(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The fields of a `referral` worth keeping (the ad, where it ran, the click id).
const REFERRAL_FIELDS: &[&str] =
    &["headline", "body", "source_type", "source_id", "source_url", "media_type", "image_url", "video_url", "thumbnail_url", "ctwa_clid"];

/// A message's `referral` (click-to-WhatsApp ad), its known fields only.
pub(super) fn referral(msg: &Value) -> Option<Value> {
    let r = msg.get("referral")?.as_object()?;
    let mut out = Map::new();
    for key in REFERRAL_FIELDS {
        if let Some(v) = string(r.get(*key)) {
            out.insert((*key).to_string(), Value::String(v));
        }
    }
    if let Some(w) = string(r.get("welcome_message").and_then(|w| w.get("text"))) {
        out.insert("welcome_message".into(), Value::String(w));
    }
    (!out.is_empty()).then_some(Value::Object(out))
}

/// What a `system` message says: the notice's text, and for a number (or
/// business-scoped id) change the contact's new key.
pub(super) struct System {
    pub text: String,
    pub new_key: Option<ContactKey>,
}

/// Reads `system` (`user_changed_number` with the new number in `wa_id`,
/// the legacy `customer_changed_number` with `new_wa_id` or `wa_id`,
/// `user_changed_user_id` with `user_id`, and `customer_identity_changed`).
pub(super) fn system(body: &Value) -> System {
    let kind = string(body.get("type")).unwrap_or_default();
    let said = string(body.get("body"));
    match kind.as_str() {
        "user_changed_number" | "customer_changed_number" => {
            let new = string(body.get("wa_id")).or_else(|| string(body.get("new_wa_id")));
            let new_key = new.as_deref().and_then(|w| crate::phone::from_wa_id(w).ok()).map(|e| ContactKey::phone(e.as_str()));
            let text = said.unwrap_or_else(|| match &new_key {
                Some(k) => format!("Changed their number to {}", k.phone.as_deref().unwrap_or_default()),
                None => "Changed their number".into(),
            });
            System { text, new_key }
        }
        "user_changed_user_id" => {
            let new_key = string(body.get("user_id")).map(ContactKey::user_id);
            System { text: said.unwrap_or_else(|| "Changed their WhatsApp account".into()), new_key }
        }
        "customer_identity_changed" | "user_identity_changed" => {
            System { text: said.unwrap_or_else(|| "Their security code changed: they may have reinstalled WhatsApp or changed phone".into()), new_key: None }
        }
        _ => System { text: said.unwrap_or_else(|| "WhatsApp sent a system message about this chat".into()), new_key: None },
    }
}
