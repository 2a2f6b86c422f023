//! Checking a bulk send before anything is queued: the recipients (a CSV's
//! rows or a label's conversations), their numbers, the template's
//! parameters per row, Meta's 24-hour window for free text, opt-outs and
//! duplicates. Reads the store only: a dry run writes nothing.

use super::{BulkMessage, Recipients, Spec};
use crate::error::{Error, Result};
use crate::model::Provider;
use crate::phone;
use crate::providers::meta::templates::{self, ParamSlots};
use crate::providers::{OutgoingContent, TemplateParam};
use crate::store::bulk::NewRow;
use crate::store::contacts::ContactKey;
use crate::store::templates::Template;
use crate::store::{Account, Store};
use crate::time::{now_ms, to_rfc3339};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};

/// The most recipients one job takes.
pub const MAX_ROWS: usize = 50_000;

/// Rows of the report that carry a rendered preview.
const PREVIEW_ROWS: usize = 5;

/// What the check says of one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// It will be sent.
    Ok,
    /// It is left out, with the reason (opted out, a duplicate, a closed window).
    Skipped,
    /// It cannot be sent as written (a bad number, a missing parameter): fix the file.
    Invalid,
}

/// One row of the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportRow {
    /// The CSV line (the header is line 1, as a spreadsheet numbers it), or the label's recipient number.
    pub row: i64,
    /// The number as written (a label's: as stored).
    pub phone: String,
    pub outcome: Outcome,
    pub reason: Option<String>,
    /// The message as this recipient would see it (the first rows only).
    pub preview: Option<String>,
}

/// The whole check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub rows: Vec<ReportRow>,
    pub ok: usize,
    pub skipped: usize,
    pub invalid: usize,
    /// The parameters the template needs, by the column names that fill them.
    pub parameters: Vec<String>,
    /// The CSV's columns (none for a label).
    pub columns: Vec<String>,
}

/// One recipient read from the source, before the checks.
struct Candidate {
    row: i64,
    raw_phone: String,
    conversation_id: Option<i64>,
    values: HashMap<String, String>,
}

/// Checks `spec` and builds the rows a job would store.
pub(super) fn check(store: &Store, account: &Account, spec: &Spec) -> Result<(Report, Vec<NewRow>)> {
    let (columns, candidates) = match &spec.recipients {
        Recipients::Csv { text, .. } => read_csv(text)?,
        Recipients::Label(label) => (vec![], from_label(store, account, label)?),
    };
    if candidates.is_empty() {
        return Err(Error::Invalid(match &spec.recipients {
            Recipients::Csv { .. } => "the CSV has no recipients: add one row per number under a `phone` header".into(),
            Recipients::Label(l) => format!("no conversation on account {} has the label {l:?}", account.id),
        }));
    }
    let template = match &spec.message {
        BulkMessage::Template { name, language } => Some(approved_template(store, account, name, language)?),
        BulkMessage::Text { body } if body.trim().is_empty() => return Err(Error::Invalid("the message is empty: give the text to send".into())),
        BulkMessage::Text { .. } => None,
    };
    let parameters = template.as_ref().map(parameter_columns).unwrap_or_default();
    let country = store.default_country()?;
    let now = now_ms();
    let mut seen: HashMap<String, i64> = HashMap::new();
    let mut report = Report { rows: vec![], ok: 0, skipped: 0, invalid: 0, parameters: parameters.clone(), columns };
    let mut rows = vec![];
    for c in candidates {
        let mut out = ReportRow { row: c.row, phone: c.raw_phone.clone(), outcome: Outcome::Ok, reason: None, preview: None };
        let mut new = NewRow { row_no: c.row, phone: None, conversation_id: c.conversation_id, content: None, skipped: None };
        match check_row(store, account, spec, template.as_ref(), &country, now, &c, &mut seen) {
            Ok(Checked::Send { phone, content, preview }) => {
                if report.ok < PREVIEW_ROWS {
                    out.preview = Some(preview);
                }
                new.phone = phone;
                new.content = Some(serde_json::to_value(&content).map_err(|e| Error::Internal(e.to_string()))?);
                report.ok += 1;
                rows.push(new);
            }
            Ok(Checked::Skip { phone, why }) => {
                (out.outcome, out.reason) = (Outcome::Skipped, Some(why.clone()));
                (new.phone, new.skipped) = (phone, Some(why));
                report.skipped += 1;
                rows.push(new);
            }
            Err(e) if matches!(e, Error::Invalid(_) | Error::InvalidPhone { .. }) => {
                (out.outcome, out.reason) = (Outcome::Invalid, Some(e.to_string()));
                report.invalid += 1;
            }
            Err(e) => return Err(e),
        }
        report.rows.push(out);
    }
    Ok((report, rows))
}

enum Checked {
    Send { phone: Option<String>, content: OutgoingContent, preview: String },
    Skip { phone: Option<String>, why: String },
}

#[allow(clippy::too_many_arguments)]
fn check_row(
    store: &Store,
    account: &Account,
    spec: &Spec,
    template: Option<&Template>,
    country: &str,
    now: i64,
    c: &Candidate,
    seen: &mut HashMap<String, i64>,
) -> Result<Checked> {
    // The recipient: a number (CSV, or a labelled contact's), else a labelled conversation.
    let phone = match (c.conversation_id, c.raw_phone.trim()) {
        (Some(_), "") => None,
        (None, "") => return Err(Error::Invalid("no phone number in this row".into())),
        (_, raw) => Some(phone::parse(raw, country)?),
    };
    let key = phone.as_ref().map(|p| p.as_str().to_string()).unwrap_or_else(|| format!("conversation {}", c.conversation_id.unwrap_or_default()));
    let content = content_for(spec, template, &c.values)?;
    let preview = match (&content, template) {
        (OutgoingContent::Template { header_params, body_params, button_params, .. }, Some(t)) => {
            templates::render_preview(t, header_params, body_params, button_params)
        }
        (OutgoingContent::Text { body, .. }, _) => body.clone(),
        _ => String::new(),
    };
    let e164 = phone.as_ref().map(|p| p.as_str().to_string());
    if let Some(first) = seen.get(&key) {
        return Ok(Checked::Skip { phone: e164, why: format!("duplicate: {key} is already in row {first}") });
    }
    seen.insert(key, c.row);
    let contact = match (&phone, c.conversation_id) {
        (_, Some(conversation)) => Some(store.conversation(conversation)?.contact),
        (Some(p), None) => store.find_contact(account.id, &ContactKey::phone(p.as_str()))?,
        (None, None) => None,
    };
    if let Some(at) = contact.as_ref().and_then(|k| k.opted_out_at) {
        return Ok(Checked::Skip { phone: e164, why: format!("opted out on {} (they wrote an opt-out keyword such as STOP)", to_rfc3339(at)) });
    }
    if account.provider == Provider::Meta && template.is_none() {
        let conversation = match (c.conversation_id, &contact) {
            (Some(id), _) => Some(id),
            (None, Some(k)) => store.conversation_for_contact(account.id, k.id)?,
            (None, None) => None,
        };
        let closes = match conversation {
            Some(id) => store.conversation(id)?.window_expires_at,
            None => None,
        };
        match closes {
            Some(at) if at > now => {}
            Some(at) => {
                let why = format!(
                    "24-hour window closed at {} (free text can only answer a customer who wrote in the last 24 hours): send a template",
                    to_rfc3339(at)
                );
                return Ok(Checked::Skip { phone: e164, why });
            }
            None => {
                let why = "no 24-hour window: this customer has not written to you, so only a template can reach them".to_string();
                return Ok(Checked::Skip { phone: e164, why });
            }
        }
    }
    Ok(Checked::Send { phone: e164, content, preview })
}

/// The content one row sends: the text, or the template with this row's values
/// (a column wins over the common `--param` value), checked against the template.
fn content_for(spec: &Spec, template: Option<&Template>, values: &HashMap<String, String>) -> Result<OutgoingContent> {
    let (BulkMessage::Template { name, language }, Some(t)) = (&spec.message, template) else {
        let BulkMessage::Text { body } = &spec.message else { return Err(Error::Internal("a template job without its template".into())) };
        return Ok(OutgoingContent::Text { body: body.clone(), preview_url: body.contains("https://") || body.contains("http://") });
    };
    let value = |column: &str| -> Result<String> {
        let from = spec.columns.get(column).map(String::as_str).unwrap_or(column);
        let v = values.get(from).or_else(|| spec.params.get(column)).map(|v| v.trim()).unwrap_or_default();
        if v.is_empty() {
            return Err(Error::Invalid(format!("missing parameter {column:?}: add a column {column:?} or give --param {column}=VALUE")));
        }
        Ok(v.to_string())
    };
    let need = templates::required_params(t);
    let fill = |slots: &ParamSlots, prefix: &str| -> Result<Vec<TemplateParam>> {
        match slots {
            ParamSlots::Named(names) => {
                names.iter().map(|n| Ok(TemplateParam::Named { name: n.clone(), value: value(&format!("{prefix}{n}"))? })).collect::<Result<Vec<_>>>()
            }
            ParamSlots::Positional(n) => (1..=*n).map(|i| Ok(TemplateParam::Positional(value(&format!("{prefix}{i}"))?))).collect::<Result<Vec<_>>>(),
        }
    };
    let header = match need.header_media.as_deref() {
        Some(_) => vec![TemplateParam::Positional(value("header")?)],
        None => fill(&need.header, "header.")?,
    };
    let body = fill(&need.body, "")?;
    let buttons = need.buttons.iter().map(|(i, _)| Ok((*i, value(&format!("button.{i}"))?))).collect::<Result<Vec<_>>>()?;
    let (header, body) = templates::fit_params(t, header, body);
    templates::check_params(t, &header, &body, &buttons)?;
    Ok(OutgoingContent::Template { name: name.clone(), language: language.clone(), header_params: header, body_params: body, button_params: buttons })
}

/// The column names that fill a template's parameters: the body's by name or
/// number (`first_name`, `1`), the header's as `header.1` (a media header's
/// link as `header`), a URL button's as `button.INDEX`.
pub fn parameter_columns(t: &Template) -> Vec<String> {
    let need = templates::required_params(t);
    let mut out = vec![];
    let names = |slots: &ParamSlots, prefix: &str| -> Vec<String> {
        match slots {
            ParamSlots::Named(n) => n.iter().map(|n| format!("{prefix}{n}")).collect(),
            ParamSlots::Positional(n) => (1..=*n).map(|i| format!("{prefix}{i}")).collect(),
        }
    };
    match need.header_media {
        Some(_) => out.push("header".to_string()),
        None => out.extend(names(&need.header, "header.")),
    }
    out.extend(names(&need.body, ""));
    out.extend(need.buttons.iter().map(|(i, _)| format!("button.{i}")));
    out
}

/// The template `name` (`language`) as synced, refused unless approved.
fn approved_template(store: &Store, account: &Account, name: &str, language: &str) -> Result<Template> {
    if account.provider != Provider::Meta {
        return Err(Error::Invalid("templates are a Meta Cloud API feature; a gateway account sends free text (--text) at any time".into()));
    }
    let t = store.template(account.id, name, language)?;
    if !t.status.eq_ignore_ascii_case("APPROVED") {
        return Err(Error::Invalid(format!(
            "template {name:?} ({language}) is {}, not APPROVED: only approved templates can be sent; sync the templates or pick another",
            t.status
        )));
    }
    Ok(t)
}

/// The rows of a CSV with a `phone` column; every other column is a parameter.
fn read_csv(text: &str) -> Result<(Vec<String>, Vec<Candidate>)> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers: Vec<String> =
        reader.headers().map_err(|e| Error::Invalid(format!("cannot read the CSV's header line: {e}")))?.iter().map(str::to_string).collect();
    let phone_at = headers
        .iter()
        .position(|h| h.eq_ignore_ascii_case("phone"))
        .ok_or_else(|| Error::Invalid(format!("the CSV has no `phone` column (its columns: {}): name the column of numbers `phone`", headers.join(", "))))?;
    let mut dup = BTreeSet::new();
    if let Some(h) = headers.iter().find(|h| !h.is_empty() && !dup.insert(h.to_ascii_lowercase())) {
        return Err(Error::Invalid(format!("the CSV has two columns named {h:?}: rename one")));
    }
    let mut out = vec![];
    for record in reader.records() {
        let record = record.map_err(|e| Error::Invalid(format!("cannot read the CSV: {e}")))?;
        if out.len() >= MAX_ROWS {
            return Err(Error::Invalid(format!("the CSV has more than {MAX_ROWS} recipients: split it into several jobs")));
        }
        let row = record.position().map(|p| p.line() as i64).unwrap_or(out.len() as i64 + 2);
        let mut values = HashMap::new();
        for (i, v) in record.iter().enumerate() {
            if let Some(h) = headers.get(i).filter(|_| i != phone_at) {
                values.insert(h.clone(), v.to_string());
            }
        }
        out.push(Candidate { row, raw_phone: record.get(phone_at).unwrap_or_default().to_string(), conversation_id: None, values });
    }
    Ok((headers, out))
}

/// The conversations labelled `label` on the account, numbered from 1.
fn from_label(store: &Store, account: &Account, label: &str) -> Result<Vec<Candidate>> {
    if label.trim().is_empty() {
        return Err(Error::Invalid("give the label's name".into()));
    }
    let list = store.labelled_conversations(account.id, label)?;
    Ok(list
        .into_iter()
        .enumerate()
        .map(|(i, (conversation_id, phone))| Candidate {
            row: i as i64 + 1,
            raw_phone: phone.unwrap_or_default(),
            conversation_id: Some(conversation_id),
            values: HashMap::new(),
        })
        .collect())
}
