//! Meta's account-level webhooks (`entry[].id` is the business account's
//! id, the WABA id, not a number's): template status, category and quality,
//! the number's quality and messaging limit, account updates (restrictions,
//! bans, disconnection, verification) and business capabilities. Shapes and
//! sources: docs/payloads.md. What is unknown is skipped, never guessed.

use super::{array, string};
use crate::providers::ProviderEvent;
use crate::store::account_health::{AccountAspect, AccountChange, TemplateAspect, TemplateChange};
use serde_json::{json, Value};

/// The `changes[].field`s handled here.
pub(super) const FIELDS: &[&str] = &[
    "message_template_status_update",
    "template_category_update",
    "message_template_quality_update",
    "phone_number_quality_update",
    "account_update",
    "business_capability_update",
];

/// The events of one change; `at` is the entry's `time` (Unix ms).
pub(super) fn parse(field: &str, value: &Value, at: i64) -> Vec<ProviderEvent> {
    match field {
        "message_template_status_update" => template(value, TemplateAspect::Status, at, || {
            let rejection = value.get("rejection_info").unwrap_or(&Value::Null);
            let other = value.get("other_info").unwrap_or(&Value::Null);
            json!({
                "status": string(value.get("event")),
                "reason": string(rejection.get("reason")).or_else(|| string(value.get("reason"))),
                "recommendation": string(rejection.get("recommendation")),
                "title": string(other.get("title")),
                "description": string(other.get("description")),
                "disable_date": string(value.get("disable_info").and_then(|d| d.get("disable_date"))),
            })
        }),
        "template_category_update" => template(value, TemplateAspect::Category, at, || {
            json!({
                "category": string(value.get("new_category")),
                "previous_category": string(value.get("previous_category")),
                "correct_category": string(value.get("correct_category")),
                "effective_at": string(value.get("category_update_timestamp")),
            })
        }),
        "message_template_quality_update" => template(
            value,
            TemplateAspect::Quality,
            at,
            || json!({"quality": string(value.get("new_quality_score")), "previous_quality": string(value.get("previous_quality_score"))}),
        ),
        "phone_number_quality_update" => phone_quality(value, at),
        "account_update" => account_update(value, at).into_iter().collect(),
        "business_capability_update" => {
            let mut out = vec![account(AccountAspect::Capabilities, value.clone(), at, None)];
            if let Some(tier) = string(value.get("max_daily_conversations_per_business")) {
                out.push(account(AccountAspect::MessagingLimit, json!({"tier": tier}), at, None));
            }
            out
        }
        _ => vec![],
    }
}

fn account(aspect: AccountAspect, value: Value, at: i64, display_phone: Option<String>) -> ProviderEvent {
    ProviderEvent::AccountChanged(AccountChange { aspect, value, at, display_phone })
}

/// A template change names its template by name and language (and id);
/// one without them cannot be matched to anything and is skipped.
fn template(value: &Value, aspect: TemplateAspect, at: i64, body: impl FnOnce() -> Value) -> Vec<ProviderEvent> {
    let (Some(name), Some(language)) = (string(value.get("message_template_name")), string(value.get("message_template_language"))) else {
        tracing::warn!(aspect = aspect.as_str(), "a Meta template webhook without the template's name or language: skipped");
        return vec![];
    };
    let body = body();
    // A status or quality update that does not say what it is now says nothing.
    let key = match aspect {
        TemplateAspect::Status => "status",
        TemplateAspect::Category => "category",
        TemplateAspect::Quality => "quality",
    };
    if body.get(key).is_none_or(Value::is_null) {
        tracing::warn!(aspect = key, "a Meta template webhook without its new value: skipped");
        return vec![];
    }
    vec![ProviderEvent::TemplateChanged(TemplateChange {
        provider_template_id: string(value.get("message_template_id")),
        name,
        language,
        aspect,
        value: body,
        at,
    })]
}

/// The number's quality (FLAGGED = low, UNFLAGGED = back to normal) and
/// messaging limit (`max_daily_conversations_per_business`, or the older
/// `current_limit`). The number is named by its display number.
fn phone_quality(value: &Value, at: i64) -> Vec<ProviderEvent> {
    let phone = string(value.get("display_phone_number"));
    let event = string(value.get("event"));
    let mut out = vec![];
    let rating = match event.as_deref() {
        Some("FLAGGED") => Some("RED"),
        Some("UNFLAGGED") => Some("GREEN"),
        _ => None,
    };
    if let Some(rating) = rating {
        out.push(account(AccountAspect::Quality, json!({"rating": rating, "event": event}), at, phone.clone()));
    }
    if let Some(tier) = string(value.get("max_daily_conversations_per_business")).or_else(|| string(value.get("current_limit"))) {
        out.push(account(AccountAspect::MessagingLimit, json!({"tier": tier, "previous": string(value.get("old_limit")), "event": event}), at, phone));
    }
    out
}

fn account_update(value: &Value, at: i64) -> Option<ProviderEvent> {
    let event = string(value.get("event"))?;
    let (aspect, body) = match event.as_str() {
        "ACCOUNT_RESTRICTION" => (AccountAspect::Restriction, json!({"restrictions": array(value.get("restriction_info"))})),
        "ACCOUNT_VIOLATION" => (AccountAspect::Violation, json!({"violation_type": string(value.get("violation_info").and_then(|v| v.get("violation_type")))})),
        "DISABLED_UPDATE" => {
            let ban = value.get("ban_info").unwrap_or(&Value::Null);
            (AccountAspect::Ban, json!({"state": string(ban.get("waba_ban_state")), "date": string(ban.get("waba_ban_date"))}))
        }
        "PARTNER_REMOVED" | "ACCOUNT_DELETED" | "ACCOUNT_OFFBOARDED" | "ACCOUNT_RECONNECTED" => {
            let info = value.get("disconnection_info").unwrap_or(&Value::Null);
            (AccountAspect::Connection, json!({"event": event, "reason": string(info.get("reason")), "initiated_by": string(info.get("initiated_by"))}))
        }
        "VERIFIED_ACCOUNT" => (AccountAspect::Verification, json!({"event": event, "phone_number": string(value.get("phone_number"))})),
        other => {
            tracing::debug!(event = other, "ignoring a Meta account_update event Wicket does not track");
            return None;
        }
    };
    Some(account(aspect, body, at, None))
}
