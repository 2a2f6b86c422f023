//! Meta message templates: reading a page of the template list, counting the
//! parameters a template needs, checking a send's parameters against them and
//! rendering a filled-in preview.
//!
//! The rule it keeps: a template send that Meta would refuse for its
//! parameters (132000) or status (132001, 132015, 132016) is refused here
//! first, with a message naming what was expected and what was given. Only
//! `APPROVED` templates may be sent; statuses Wicket doesn't know are kept as
//! Meta's raw strings. Placeholders are `{{1}}`..`{{n}}` (a positional
//! template needs the highest index) or `{{name}}` for a `NAMED` template,
//! in a TEXT header, the body and URL buttons. Media headers cannot be filled
//! yet. Building the request body is the client's job.

use crate::error::{Error, ErrorKind, ProviderError, Result};
use crate::providers::TemplateParam;
use crate::store::templates::{NewTemplate, Template};
use serde_json::Value;
use std::collections::BTreeSet;

/// The parameters of one component: a count for positional templates, the
/// names (in order of first use) for named ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamSlots {
    Positional(usize),
    Named(Vec<String>),
}

impl ParamSlots {
    pub fn len(&self) -> usize {
        match self {
            ParamSlots::Positional(n) => *n,
            ParamSlots::Named(names) => names.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What a template needs to be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequiredParams {
    pub header: ParamSlots,
    pub body: ParamSlots,
    /// (button index, number of parameters) for URL buttons with a placeholder.
    pub buttons: Vec<(u32, usize)>,
    /// `IMAGE`, `VIDEO`, `DOCUMENT` or `LOCATION` when the header is media:
    /// the first three take one [`TemplateParam::Media`]; LOCATION headers
    /// cannot be filled yet.
    pub header_media: Option<String>,
}

/// Whether the template uses `{{name}}` placeholders.
pub fn is_named(template: &Template) -> bool {
    template.parameter_format.eq_ignore_ascii_case("NAMED")
}

fn components(template: &Template) -> impl Iterator<Item = &Value> {
    template.components.as_array().into_iter().flatten()
}

fn component<'a>(template: &'a Template, kind: &str) -> Option<&'a Value> {
    components(template).find(|c| c.get("type").and_then(Value::as_str).is_some_and(|t| t.eq_ignore_ascii_case(kind)))
}

fn text_of<'a>(c: &'a Value, key: &str) -> Option<&'a str> {
    c.get(key).and_then(Value::as_str)
}

/// The buttons of the BUTTONS component, in index order.
pub(crate) fn buttons(template: &Template) -> Vec<&Value> {
    component(template, "BUTTONS").and_then(|c| c.get("buttons")).and_then(Value::as_array).map(|b| b.iter().collect()).unwrap_or_default()
}

/// The button's `type` (`QUICK_REPLY`, `URL`, ...), upper-cased.
pub(crate) fn button_type(button: &Value) -> String {
    text_of(button, "type").unwrap_or_default().to_ascii_uppercase()
}

/// The header's format, upper-cased (`TEXT` when absent but text is present).
fn header_format(header: &Value) -> Option<String> {
    match text_of(header, "format") {
        Some(f) => Some(f.to_ascii_uppercase()),
        None => text_of(header, "text").map(|_| "TEXT".to_string()),
    }
}

/// A placeholder found in a text.
enum Placeholder {
    Index(usize),
    Name(String),
}

/// Every `{{...}}` in `text`, in order.
fn placeholders(text: &str) -> Vec<Placeholder> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        let inner = after[..end].trim();
        if !inner.is_empty() && inner.bytes().all(|b| b.is_ascii_digit()) {
            if let Ok(i) = inner.parse::<usize>() {
                found.push(Placeholder::Index(i));
            }
        } else if !inner.is_empty() && inner.chars().all(|c| c.is_alphanumeric() || c == '_') {
            found.push(Placeholder::Name(inner.to_string()));
        }
        rest = &after[end + 2..];
    }
    found
}

fn slots(text: &str, named: bool) -> ParamSlots {
    let ps = placeholders(text);
    if named {
        let mut names: Vec<String> = Vec::new();
        for p in ps {
            if let Placeholder::Name(n) = p {
                if !names.contains(&n) {
                    names.push(n);
                }
            }
        }
        ParamSlots::Named(names)
    } else {
        let max = ps.iter().filter_map(|p| if let Placeholder::Index(i) = p { Some(*i) } else { None }).max();
        ParamSlots::Positional(max.unwrap_or(0))
    }
}

fn empty(named: bool) -> ParamSlots {
    if named {
        ParamSlots::Named(Vec::new())
    } else {
        ParamSlots::Positional(0)
    }
}

/// Counts the parameters the template needs.
pub fn required_params(template: &Template) -> RequiredParams {
    let named = is_named(template);
    let mut header = empty(named);
    let mut header_media = None;
    if let Some(h) = component(template, "HEADER") {
        match header_format(h).as_deref() {
            Some("TEXT") => header = slots(text_of(h, "text").unwrap_or_default(), named),
            Some(other) => header_media = Some(other.to_string()),
            None => {}
        }
    }
    let body = component(template, "BODY").map_or_else(|| empty(named), |b| slots(text_of(b, "text").unwrap_or_default(), named));
    let mut button_slots = Vec::new();
    for (i, b) in buttons(template).into_iter().enumerate() {
        if button_type(b) != "URL" {
            continue;
        }
        // URL buttons take one positional suffix, whatever the template's format.
        let n = placeholders(text_of(b, "url").unwrap_or_default()).len().min(1);
        if n > 0 {
            button_slots.push((i as u32, n));
        }
    }
    RequiredParams { header, body, buttons: button_slots, header_media }
}

fn invalid(template: &Template, what: String) -> Error {
    Error::Invalid(format!("template {:?} ({}): {what}", template.name, template.language))
}

fn check_component(template: &Template, part: &str, need: &ParamSlots, given: &[TemplateParam]) -> Result<()> {
    match need {
        ParamSlots::Positional(n) => {
            if given.iter().any(|p| matches!(p, TemplateParam::Named { .. })) {
                return Err(invalid(template, format!("its {part} takes positional parameters, named ones were given")));
            }
            if given.len() != *n {
                let plural = if *n == 1 { "" } else { "s" };
                return Err(invalid(template, format!("its {part} needs {n} parameter{plural}, {} given", given.len())));
            }
        }
        ParamSlots::Named(names) => {
            if given.iter().any(|p| matches!(p, TemplateParam::Positional(_))) {
                return Err(invalid(template, format!("its {part} takes named parameters ({}), positional ones were given", names.join(", "))));
            }
            let given_names: Vec<&str> =
                given.iter().filter_map(|p| if let TemplateParam::Named { name, .. } = p { Some(name.as_str()) } else { None }).collect();
            let missing: Vec<&str> = names.iter().map(String::as_str).filter(|n| !given_names.contains(n)).collect();
            if !missing.is_empty() {
                return Err(invalid(template, format!("its {part} needs the parameter(s) {} and is missing {}", names.join(", "), missing.join(", "))));
            }
            let unknown: Vec<&str> = given_names.iter().copied().filter(|g| !names.iter().any(|n| n == g)).collect();
            if !unknown.is_empty() {
                let expected = if names.is_empty() { "none".to_string() } else { names.join(", ") };
                return Err(invalid(template, format!("its {part} has no parameter {} (expected: {expected})", unknown.join(", "))));
            }
            let distinct: BTreeSet<&str> = given_names.iter().copied().collect();
            if distinct.len() != given_names.len() {
                return Err(invalid(template, format!("a {part} parameter was given twice")));
            }
        }
    }
    Ok(())
}

/// Checks that the template may be sent with these parameters: it is
/// APPROVED, has no media header, and every component gets exactly the
/// parameters it needs. Quick-reply and copy-code buttons may take an
/// optional value (a payload, a code).
pub fn check_params(template: &Template, header: &[TemplateParam], body: &[TemplateParam], buttons_given: &[(u32, String)]) -> Result<()> {
    if !template.status.eq_ignore_ascii_case("APPROVED") {
        return Err(Error::Provider(ProviderError {
            code: None,
            kind: ErrorKind::Template,
            message: format!(
                "template {:?} ({}) is {}{}, not APPROVED: only approved templates can be sent; sync the templates or pick another",
                template.name,
                template.language,
                template.status,
                template.status_reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default()
            ),
            retry_after: None,
        }));
    }
    let need = required_params(template);
    match need.header_media.as_deref() {
        Some(format @ ("IMAGE" | "VIDEO" | "DOCUMENT")) => {
            let lower = format.to_ascii_lowercase();
            match header {
                [TemplateParam::Media { format: f, .. }] if *f == lower => {}
                _ => return Err(invalid(template, format!("its header is {lower}: give exactly one header parameter, the {lower}'s link or local file"))),
            }
        }
        Some(format) => {
            return Err(invalid(template, format!("it has a {format} header, which Wicket cannot fill yet: pick a template with a text or media header")));
        }
        None => check_component(template, "header", &need.header, header)?,
    }
    check_component(template, "body", &need.body, body)?;

    let all_buttons = buttons(template);
    let mut seen = BTreeSet::new();
    for (index, _) in buttons_given {
        if !seen.insert(*index) {
            return Err(invalid(template, format!("button {index} was given twice")));
        }
        let Some(b) = all_buttons.get(*index as usize) else {
            return Err(invalid(template, format!("it has no button {index} (it has {})", all_buttons.len())));
        };
        let takes_value = match button_type(b).as_str() {
            "URL" => need.buttons.iter().any(|(i, _)| i == index),
            "QUICK_REPLY" | "COPY_CODE" | "OTP" => true,
            _ => false,
        };
        if !takes_value {
            return Err(invalid(template, format!("button {index} ({}) takes no parameter", button_type(b).to_ascii_lowercase())));
        }
    }
    let missing: Vec<String> = need.buttons.iter().filter(|(i, _)| !seen.contains(i)).map(|(i, _)| i.to_string()).collect();
    if !missing.is_empty() {
        return Err(invalid(template, format!("URL button(s) {} need a parameter, none given", missing.join(", "))));
    }
    Ok(())
}

/// Reads loosely given parameters the way the template expects them: a
/// value such as `code=A1` is one positional value when the section is
/// positional (the CLI cannot know), and a media header's one value (a link
/// or a local path) becomes its [`TemplateParam::Media`].
pub fn fit_params(template: &Template, header: Vec<TemplateParam>, body: Vec<TemplateParam>) -> (Vec<TemplateParam>, Vec<TemplateParam>) {
    let need = required_params(template);
    let positional = |list: Vec<TemplateParam>, slots: &ParamSlots| -> Vec<TemplateParam> {
        match slots {
            ParamSlots::Named(_) => list,
            ParamSlots::Positional(_) => list
                .into_iter()
                .map(|p| match p {
                    TemplateParam::Named { name, value } => TemplateParam::Positional(format!("{name}={value}")),
                    other => other,
                })
                .collect(),
        }
    };
    let header = match need.header_media.as_deref() {
        Some(format @ ("IMAGE" | "VIDEO" | "DOCUMENT")) => header
            .into_iter()
            .map(|p| {
                let value = match p {
                    TemplateParam::Positional(v) => v,
                    TemplateParam::Named { name, value } => format!("{name}={value}"),
                    media @ TemplateParam::Media { .. } => return media,
                };
                let source = crate::providers::MediaSource::from_arg(&value);
                let filename = match &source {
                    crate::providers::MediaSource::Path(p) if format == "DOCUMENT" => p.file_name().map(|n| n.to_string_lossy().into_owned()),
                    _ => None,
                };
                TemplateParam::Media { format: format.to_ascii_lowercase(), source, filename }
            })
            .collect(),
        _ => positional(header, &need.header),
    };
    (header, positional(body, &need.body))
}

/// Replaces placeholders with the given values; unknown ones stay visible.
fn fill(text: &str, params: &[TemplateParam]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        let inner = after[..end].trim();
        let value = if let Ok(i) = inner.parse::<usize>() {
            i.checked_sub(1).and_then(|i| params.get(i)).map(|p| match p {
                TemplateParam::Positional(v) => v.as_str(),
                TemplateParam::Named { value, .. } => value.as_str(),
                TemplateParam::Media { .. } => "",
            })
        } else {
            params.iter().find_map(|p| match p {
                TemplateParam::Named { name, value } if name == inner => Some(value.as_str()),
                _ => None,
            })
        };
        match value {
            Some(v) => out.push_str(v),
            None => out.push_str(&rest[start..start + 2 + end + 2]),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// The template as the recipient will see it, one part per line: header,
/// body, footer, then each button as `[text]` (URL buttons add the filled URL).
pub fn render_preview(template: &Template, header: &[TemplateParam], body: &[TemplateParam], buttons_given: &[(u32, String)]) -> String {
    let mut lines = Vec::new();
    if let Some(h) = component(template, "HEADER") {
        match header_format(h).as_deref() {
            Some("TEXT") => lines.push(fill(text_of(h, "text").unwrap_or_default(), header)),
            Some(other) => lines.push(format!("[{}]", other.to_ascii_lowercase())),
            None => {}
        }
    }
    if let Some(text) = component(template, "BODY").and_then(|b| text_of(b, "text")) {
        lines.push(fill(text, body));
    }
    if let Some(text) = component(template, "FOOTER").and_then(|f| text_of(f, "text")) {
        lines.push(text.to_string());
    }
    for (i, b) in buttons(template).into_iter().enumerate() {
        let label = text_of(b, "text").unwrap_or_default();
        let value: Vec<TemplateParam> = buttons_given.iter().filter(|(idx, _)| *idx as usize == i).map(|(_, v)| TemplateParam::Positional(v.clone())).collect();
        match (button_type(b).as_str(), text_of(b, "url")) {
            ("URL", Some(url)) => lines.push(format!("[{label}] {}", fill(url, &value))),
            _ => lines.push(format!("[{label}]")),
        }
    }
    lines.join("\n")
}

/// One page of `GET /{waba-id}/message_templates`: the templates and the
/// `paging.next` URL, absent on the last page. Entries without a name are
/// skipped; missing fields get Meta's defaults.
pub fn parse_templates_page(json: &Value) -> (Vec<NewTemplate>, Option<String>) {
    let list = json
        .get("data")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| {
            let name = t.get("name").and_then(Value::as_str).filter(|n| !n.is_empty())?;
            let s = |k: &str| t.get(k).and_then(Value::as_str).map(str::to_string);
            Some(NewTemplate {
                provider_template_id: s("id").or_else(|| t.get("id").and_then(Value::as_i64).map(|i| i.to_string())),
                name: name.to_string(),
                language: s("language").unwrap_or_default(),
                status: s("status").unwrap_or_else(|| "UNKNOWN".into()),
                category: s("category"),
                parameter_format: s("parameter_format").unwrap_or_else(|| "POSITIONAL".into()),
                components: t.get("components").cloned().unwrap_or_else(|| Value::Array(Vec::new())),
            })
        })
        .collect();
    let next = json.get("paging").and_then(|p| p.get("next")).and_then(Value::as_str).filter(|n| !n.is_empty()).map(str::to_string);
    (list, next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn template(format: &str, status: &str, components: Value) -> Template {
        Template {
            id: 1,
            account_id: 1,
            provider_template_id: None,
            name: "t".into(),
            language: "en_US".into(),
            status: status.into(),
            category: None,
            parameter_format: format.into(),
            components,
            synced_at: 0,
            status_reason: None,
            status_at: None,
            quality: None,
            quality_at: None,
        }
    }

    #[test]
    fn counts_the_highest_index_not_the_occurrences() {
        let t = template("POSITIONAL", "APPROVED", json!([{"type": "BODY", "text": "{{1}} and {{1}} then {{3}}"}]));
        assert_eq!(required_params(&t).body, ParamSlots::Positional(3));
    }

    #[test]
    fn named_placeholders_are_distinct_in_order() {
        let t = template("NAMED", "APPROVED", json!([{"type": "BODY", "text": "{{b}} {{ a }} {{b}}"}]));
        assert_eq!(required_params(&t).body, ParamSlots::Named(vec!["b".into(), "a".into()]));
    }

    #[test]
    fn unclosed_braces_are_text() {
        let t = template("POSITIONAL", "APPROVED", json!([{"type": "BODY", "text": "a {{1}} {{2"}]));
        assert_eq!(required_params(&t).body, ParamSlots::Positional(1));
        assert_eq!(fill("a {{1}} {{2", &[TemplateParam::Positional("x".into())]), "a x {{2");
    }

    #[test]
    fn media_headers_take_one_file_and_location_headers_are_refused() {
        let t = template("POSITIONAL", "APPROVED", json!([{"type": "HEADER", "format": "IMAGE"}, {"type": "BODY", "text": "hi {{1}}"}]));
        assert_eq!(required_params(&t).header_media.as_deref(), Some("IMAGE"));
        let err = check_params(&t, &[], &[TemplateParam::Positional("x".into())], &[]).unwrap_err();
        assert!(err.to_string().contains("its header is image"), "a media header needs its file: {err}");
        let (header, body) = fit_params(
            &t,
            vec![TemplateParam::Positional("https://cdn.example/p.jpg".into())],
            vec![TemplateParam::Named { name: "code".into(), value: "A1".into() }],
        );
        assert_eq!(
            header,
            vec![TemplateParam::Media {
                format: "image".into(),
                source: crate::providers::MediaSource::Link("https://cdn.example/p.jpg".into()),
                filename: None
            }]
        );
        assert_eq!(body, vec![TemplateParam::Positional("code=A1".into())], "a positional value may contain '='");
        check_params(&t, &header, &body, &[]).expect("a fitted media header passes");

        let loc = template("POSITIONAL", "APPROVED", json!([{"type": "HEADER", "format": "LOCATION"}, {"type": "BODY", "text": "hi"}]));
        let err = check_params(&loc, &[], &[], &[]).unwrap_err();
        assert!(err.to_string().contains("LOCATION header"), "{err}");
    }

    #[test]
    fn page_parsing_keeps_unknown_statuses() {
        let (list, next) = parse_templates_page(&json!({"data": [{"name": "x", "status": "IN_APPEAL"}, {"status": "APPROVED"}]}));
        assert_eq!(list.len(), 1, "entries without a name are skipped");
        assert_eq!(list[0].status, "IN_APPEAL");
        assert_eq!(list[0].parameter_format, "POSITIONAL");
        assert!(next.is_none());
    }
}
