//! What Meta says about an account and its templates outside of messages
//! (account-level webhooks): a template's status, category and quality, the
//! number's quality rating and messaging limit, restrictions, bans,
//! disconnection, verification and capabilities.
//!
//! Rules kept here: each aspect keeps only Meta's latest word (by the
//! webhook's time; equal times are settled by the value, so any order of
//! delivery ends in the same state and a second delivery changes nothing);
//! a template sync newer than a webhook wins over it; and what needs the
//! owner is derived, never stored: [`AccountHealth::attention`] is computed
//! from the current state, so a later "all is well" clears it by itself.
//! (The alerts of issue 11 can take `attention` over as it is.)

use super::Store;
use crate::error::Result;
use crate::time::now_ms;
use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What a template webhook is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateAspect {
    /// `message_template_status_update`: `{status, reason?, title?, description?, recommendation?, disable_date?}`.
    Status,
    /// `template_category_update`: `{category, previous_category?, correct_category?, effective_at?}`.
    Category,
    /// `message_template_quality_update`: `{quality, previous_quality?}`.
    Quality,
}

impl TemplateAspect {
    pub fn as_str(self) -> &'static str {
        match self {
            TemplateAspect::Status => "status",
            TemplateAspect::Category => "category",
            TemplateAspect::Quality => "quality",
        }
    }
}

/// What an account webhook is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountAspect {
    /// `{rating: GREEN|RED, event}` (Meta's FLAGGED / UNFLAGGED).
    Quality,
    /// `{tier, previous?, event?}`.
    MessagingLimit,
    /// `{restrictions: [{restriction_type, expiration?}]}`: empty when lifted.
    Restriction,
    /// `{violation_type}`.
    Violation,
    /// `{state: DISABLE|SCHEDULE_FOR_DISABLE|REINSTATE, date?}`.
    Ban,
    /// `{event: PARTNER_REMOVED|ACCOUNT_DELETED|ACCOUNT_OFFBOARDED|ACCOUNT_RECONNECTED, reason?}`.
    Connection,
    /// `{event, phone_number?}`.
    Verification,
    /// `business_capability_update` as Meta sent it.
    Capabilities,
}

impl AccountAspect {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountAspect::Quality => "quality",
            AccountAspect::MessagingLimit => "messaging_limit",
            AccountAspect::Restriction => "restriction",
            AccountAspect::Violation => "violation",
            AccountAspect::Ban => "ban",
            AccountAspect::Connection => "connection",
            AccountAspect::Verification => "verification",
            AccountAspect::Capabilities => "capabilities",
        }
    }
}

/// A template webhook, for the template named by `name` and `language`
/// (Meta writes `en-US` in webhooks and `en_US` in the API: both are one).
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateChange {
    pub provider_template_id: Option<String>,
    pub name: String,
    pub language: String,
    pub aspect: TemplateAspect,
    pub value: Value,
    /// Meta's time for it (the entry's `time`), Unix ms.
    pub at: i64,
}

/// An account webhook. `display_phone`: the number a number-level change
/// is for (digits), so that it never lands on another number of the same
/// business account.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountChange {
    pub aspect: AccountAspect,
    pub value: Value,
    pub at: i64,
    pub display_phone: Option<String>,
}

/// Something about the account that needs the owner, with what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attention {
    /// `template_paused`, `template_rejected`, `template_disabled`,
    /// `template_flagged`, `template_quality`, `quality`, `restricted`,
    /// `banned`, `ban_scheduled`, `disconnected`.
    pub kind: String,
    /// The template (`name (language)`) it is about, if any.
    pub subject: Option<String>,
    pub message: String,
    pub action: String,
    /// Meta's time for it, Unix ms.
    pub since: i64,
}

/// An account's state as Meta's account-level webhooks last described it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AccountHealth {
    /// `GREEN`, `RED` (flagged), or none yet.
    pub quality_rating: Option<String>,
    /// `TIER_250`, `TIER_2K`, `TIER_UNLIMITED`, a number… as Meta gave it.
    pub messaging_limit: Option<String>,
    /// Restrictions in force (`restriction_type`, `expiration`), or none.
    pub restriction: Option<Value>,
    pub ban: Option<Value>,
    pub violation: Option<Value>,
    pub connection: Option<Value>,
    pub verification: Option<Value>,
    pub capabilities: Option<Value>,
    /// What needs the owner now; empty when all is well.
    pub attention: Vec<Attention>,
    /// The latest webhook time of any aspect.
    pub updated_at: Option<i64>,
}

/// The stored state of one template from its webhooks.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct TemplateState {
    pub status: Option<(Value, i64)>,
    pub category: Option<(Value, i64)>,
    pub quality: Option<(Value, i64)>,
}

pub(crate) fn normalize_language(language: &str) -> String {
    language.trim().replace('-', "_")
}

fn template_subject(name: &str, language: &str) -> String {
    format!("template:{}/{}", name.trim(), normalize_language(language))
}

const ACCOUNT_SUBJECT: &str = "account";

/// Keeps `value` for the aspect unless a later one is stored. Equal times:
/// the greater value wins, so the order of delivery never matters.
fn record(conn: &Connection, account_id: i64, subject: &str, aspect: &str, value: &Value, at: i64) -> Result<bool> {
    let n = conn.execute(
        "INSERT INTO account_health (account_id, subject, aspect, value, at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (account_id, subject, aspect) DO UPDATE SET value = excluded.value, at = excluded.at
         WHERE excluded.at > account_health.at OR (excluded.at = account_health.at AND excluded.value > account_health.value)",
        params![account_id, subject, aspect, value.to_string(), at],
    )?;
    Ok(n > 0)
}

/// Applies a template webhook; true when it changed what is stored.
pub fn apply_template_change(conn: &Connection, account_id: i64, change: &TemplateChange) -> Result<bool> {
    record(conn, account_id, &template_subject(&change.name, &change.language), change.aspect.as_str(), &change.value, change.at)
}

/// Applies an account webhook; true when it changed what is stored. A
/// number-level change for another number of the business account is skipped.
pub fn apply_account_change(conn: &Connection, account_id: i64, change: &AccountChange) -> Result<bool> {
    if let Some(display) = &change.display_phone {
        let phone: Option<String> = conn.query_row("SELECT phone FROM accounts WHERE id = ?1", [account_id], |r| r.get(0))?;
        let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
        if phone.as_deref().is_some_and(|p| !digits(p).is_empty() && digits(p) != digits(display)) {
            tracing::debug!(account = account_id, "a number-level change for another number of the business account: skipped");
            return Ok(false);
        }
    }
    record(conn, account_id, ACCOUNT_SUBJECT, change.aspect.as_str(), &change.value, change.at)
}

/// Every template's webhook state, by `(name, language)`.
pub(crate) fn template_states(conn: &Connection, account_id: i64) -> Result<Vec<((String, String), TemplateState)>> {
    let mut stmt =
        conn.prepare("SELECT subject, aspect, value, at FROM account_health WHERE account_id = ?1 AND subject LIKE 'template:%' ORDER BY subject")?;
    let rows = stmt.query_map([account_id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, i64>(3)?)))?;
    let mut out: Vec<((String, String), TemplateState)> = vec![];
    for row in rows {
        let (subject, aspect, value, at) = row?;
        let Some((name, language)) = subject.trim_start_matches("template:").rsplit_once('/') else { continue };
        let key = (name.to_string(), language.to_string());
        if out.last().is_none_or(|(k, _)| *k != key) {
            out.push((key, TemplateState::default()));
        }
        let Some((_, state)) = out.last_mut() else { continue };
        let v = (serde_json::from_str(&value).unwrap_or(Value::Null), at);
        match aspect.as_str() {
            "status" => state.status = Some(v),
            "category" => state.category = Some(v),
            "quality" => state.quality = Some(v),
            _ => {}
        }
    }
    Ok(out)
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

impl Store {
    /// The account's state from Meta's account-level webhooks, with what needs the owner.
    pub fn account_health(&self, account_id: i64) -> Result<AccountHealth> {
        let mut h = AccountHealth::default();
        let mut stmt = self.conn.prepare("SELECT aspect, value, at FROM account_health WHERE account_id = ?1 AND subject = ?2")?;
        let rows = stmt.query_map(params![account_id, ACCOUNT_SUBJECT], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?)))?;
        let now = now_ms();
        for row in rows {
            let (aspect, value, at) = row?;
            let v: Value = serde_json::from_str(&value).unwrap_or(Value::Null);
            h.updated_at = Some(h.updated_at.unwrap_or(at).max(at));
            match aspect.as_str() {
                "quality" => {
                    h.quality_rating = text(&v, "rating");
                    if h.quality_rating.as_deref() == Some("RED") {
                        h.attention.push(Attention {
                            kind: "quality".into(),
                            subject: None,
                            message: "Meta flagged this number's quality as low: customers blocked or reported recent messages.".into(),
                            action: "Send fewer marketing messages and only to customers who asked for them; check the quality in WhatsApp Manager > Phone numbers. Meta lowers the messaging limit if it stays low.".into(),
                            since: at,
                        });
                    }
                }
                "messaging_limit" => h.messaging_limit = text(&v, "tier"),
                "restriction" => {
                    // Only restrictions still in force count (Meta gives their end in seconds).
                    let active: Vec<Value> = v
                        .get("restrictions")
                        .and_then(Value::as_array)
                        .map(|l| l.iter().filter(|r| r.get("expiration").and_then(Value::as_i64).is_none_or(|e| e * 1000 > now)).cloned().collect())
                        .unwrap_or_default();
                    if let Some(first) = active.first() {
                        let kind = text(first, "restriction_type").unwrap_or_else(|| "a restriction".into());
                        h.attention.push(Attention {
                            kind: "restricted".into(),
                            subject: None,
                            message: format!("Meta restricted this account ({kind}): it cannot start conversations with customers for now."),
                            action:
                                "Customers who write first can still be answered. See the reason and request a review in WhatsApp Manager > Account quality."
                                    .into(),
                            since: at,
                        });
                        h.restriction = Some(Value::Array(active));
                    }
                }
                "ban" => {
                    let state = text(&v, "state").unwrap_or_default();
                    let date = text(&v, "date");
                    match state.as_str() {
                        "DISABLE" => h.attention.push(Attention {
                            kind: "banned".into(),
                            subject: None,
                            message: "Meta disabled this WhatsApp Business account: nothing can be sent from it.".into(),
                            action: "Open WhatsApp Manager > Account quality to see the policy it broke and request a review.".into(),
                            since: at,
                        }),
                        "SCHEDULE_FOR_DISABLE" => h.attention.push(Attention {
                            kind: "ban_scheduled".into(),
                            subject: None,
                            message: format!(
                                "Meta will disable this WhatsApp Business account{}.",
                                date.as_deref().map(|d| format!(" on {d}")).unwrap_or_default()
                            ),
                            action: "Open WhatsApp Manager > Account quality to see why and appeal before that date.".into(),
                            since: at,
                        }),
                        _ => {}
                    }
                    h.ban = (state != "REINSTATE").then_some(v);
                }
                "connection" => {
                    let event = text(&v, "event").unwrap_or_default();
                    if event != "ACCOUNT_RECONNECTED" {
                        h.attention.push(Attention {
                            kind: "disconnected".into(),
                            subject: None,
                            message: format!(
                                "Meta disconnected this number from Wicket's app ({}{}).",
                                event,
                                text(&v, "reason").map(|r| format!(": {r}")).unwrap_or_default()
                            ),
                            action: "Connect the number again in Meta's Business Manager (or the WhatsApp Business app), then run `wicket account test`."
                                .into(),
                            since: at,
                        });
                        h.connection = Some(v);
                    }
                }
                "violation" => h.violation = Some(v),
                "verification" => h.verification = Some(v),
                "capabilities" => h.capabilities = Some(v),
                _ => {}
            }
        }
        for t in self.templates(account_id)? {
            if let Some(a) = template_attention(&t) {
                h.attention.push(a);
            }
        }
        h.attention.sort_by(|a, b| (a.since, &a.kind, &a.subject).cmp(&(b.since, &b.kind, &b.subject)));
        Ok(h)
    }
}

/// What a template's state asks of the owner, if anything.
fn template_attention(t: &super::templates::Template) -> Option<Attention> {
    let subject = format!("{} ({})", t.name, t.language);
    let mut since = t.status_at.unwrap_or(t.synced_at);
    let why = t.status_reason.as_deref().map(|r| format!(" ({})", r.trim_end_matches('.'))).unwrap_or_default();
    // Only what a webhook reported asks for the owner: a template that was
    // already rejected at the last sync is shown as such in the picker, not
    // raised again and again.
    let reported = if t.status_at.is_some() { t.status.to_ascii_uppercase() } else { String::new() };
    let (kind, message, action) = match reported.as_str() {
        "PAUSED" => (
            "template_paused",
            format!("Template {subject} is paused by Meta{why}: it cannot be sent."),
            "Customers gave it poor feedback. Edit it in WhatsApp Manager > Message templates, or wait for Meta to unpause it; send another template meanwhile.",
        ),
        "REJECTED" => (
            "template_rejected",
            format!("Template {subject} was rejected{why}."),
            "Edit it to follow Meta's template guidelines and submit it again in WhatsApp Manager > Message templates, or appeal there.",
        ),
        "DISABLED" => (
            "template_disabled",
            format!("Template {subject} is disabled{why}: it cannot be sent."),
            "Create a new template in WhatsApp Manager > Message templates; a disabled one cannot be edited.",
        ),
        "FLAGGED" => (
            "template_flagged",
            format!("Template {subject} is flagged for low quality{why}."),
            "Improve it or send it less: Meta disables a flagged template whose quality does not recover.",
        ),
        _ => match t.quality.as_deref() {
            Some(q @ ("RED" | "YELLOW")) => {
                since = t.quality_at.unwrap_or(since);
                (
                    "template_quality",
                    format!("Template {subject}'s quality dropped to {q}."),
                    "Customers are blocking or reporting it: review its content and send it only to customers who expect it.",
                )
            }
            _ => return None,
        },
    };
    Some(Attention { kind: kind.into(), subject: Some(subject), message, action: action.into(), since })
}
