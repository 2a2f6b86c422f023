//! Phone numbers: parsed and validated with `phonenumber` against the owner's
//! default country, stored as E.164 (`+447911123456`), shown in national
//! format for the default country and international format otherwise.
//!
//! Ids that are not phone numbers (WhatsApp LIDs, group JIDs, business-scoped
//! user ids) never pass through here: they stay opaque provider ids.

use crate::error::{Error, Result};
use phonenumber::{country, Mode, PhoneNumber};
use std::collections::HashMap;
use std::sync::Mutex;

/// A validated number in E.164 form, with the `+`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct E164(String);

impl E164 {
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The digits without `+`: what Meta calls a `wa_id` and what `to` takes.
    pub fn digits(&self) -> &str {
        &self.0[1..]
    }
}

impl std::fmt::Display for E164 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Parses an ISO 3166 country code such as `GB` or `de`.
pub fn parse_country(code: &str) -> Result<country::Id> {
    code.trim()
        .to_ascii_uppercase()
        .parse::<country::Id>()
        .map_err(|_| Error::Invalid(format!("unknown country code {code:?}: use a two-letter ISO code such as GB or US")))
}

fn parse_number(input: &str, default_country: Option<country::Id>) -> Result<PhoneNumber> {
    let trimmed = input.trim();
    let invalid = |reason: &str| Error::InvalidPhone { input: input.to_string(), reason: reason.to_string() };
    if trimmed.is_empty() {
        return Err(invalid("it is empty"));
    }
    if trimmed.chars().any(|c| c.is_alphabetic()) {
        return Err(invalid("it contains letters"));
    }
    // "00" is the international prefix in most of the world; treat it as "+".
    let normalised = match trimmed.strip_prefix("00") {
        Some(rest) if !trimmed.starts_with("000") => format!("+{rest}"),
        _ => trimmed.to_string(),
    };
    // A number with its country code is parsed without a default country:
    // phonenumber would otherwise strip the default country's national
    // prefix from it ("+49 1511…" with US as default lost its "1").
    let country = if normalised.starts_with('+') { None } else { default_country };
    let number = phonenumber::parse(country, &normalised).map_err(|e| invalid(&format!("{e}; type it with its country code, e.g. +44 7911 123456")))?;
    if !phonenumber::is_valid(&number) {
        return Err(invalid("it is not a valid number for its country"));
    }
    Ok(number)
}

/// Digits typed without a country code (not "+44…", not "0044…").
fn is_local(input: &str) -> bool {
    let t = input.trim();
    !t.is_empty() && !t.starts_with('+') && !t.starts_with("00") && !t.chars().any(char::is_alphabetic)
}

/// Parses a number typed in any common format into E.164, refusing invalid ones.
pub fn parse(input: &str, default_country: &str) -> Result<E164> {
    let country = parse_country(default_country).ok();
    let number = parse_number(input, country).map_err(|e| match e {
        // A local number read with the wrong country: say how to set the right one.
        Error::InvalidPhone { input, reason } if is_local(&input) => Error::InvalidPhone {
            reason: format!(
                "{reason} (read as a number of {}, the default country: set yours with `wicket settings set default_country GB` or in Settings → Messages and contacts, or type the number with its country code)",
                default_country.trim().to_ascii_uppercase()
            ),
            input,
        },
        other => other,
    })?;
    Ok(E164(number.format().mode(Mode::E164).to_string()))
}

/// Accepts a provider's wa_id (digits, no `+`) or an E.164 string.
/// Provider ids are trusted to be international; no default country applies.
pub fn from_wa_id(wa_id: &str) -> Result<E164> {
    let digits: String = wa_id.chars().filter(|c| c.is_ascii_digit()).collect();
    if digits.is_empty() || digits.len() > 15 {
        return Err(Error::InvalidPhone { input: wa_id.to_string(), reason: "not a phone number id".into() });
    }
    if let Some(known) = WA_IDS.lock().ok().and_then(|cache| cache.as_ref().and_then(|c| c.get(&digits).cloned())) {
        return Ok(E164(known));
    }
    // Provider-reported ids are canonical: keep them even where the metadata
    // is stricter than WhatsApp (e.g. Brazil's old 8-digit mobiles).
    let e164 = match parse_number(&format!("+{digits}"), None) {
        Ok(n) => n.format().mode(Mode::E164).to_string(),
        Err(_) => format!("+{digits}"),
    };
    if let Ok(mut cache) = WA_IDS.lock() {
        let cache = cache.get_or_insert_with(HashMap::new);
        if cache.len() >= WA_ID_CACHE {
            cache.clear();
        }
        cache.insert(digits, e164.clone());
    }
    Ok(E164(e164))
}

/// Provider ids already parsed: parsing with the phone metadata costs tens of
/// microseconds, and every webhook of a busy number names the same customers.
static WA_IDS: Mutex<Option<HashMap<String, String>>> = Mutex::new(None);
const WA_ID_CACHE: usize = 4096;

/// Formats a stored E.164 number for display: national format for numbers of
/// the owner's default country, international format for all others.
pub fn format_for_display(e164: &str, default_country: &str) -> String {
    // Compare calling codes: regions that share one (GB, GG, IM, JE) all
    // dial each other nationally, and the crate names only the first.
    let home_code = phonenumber::metadata::DATABASE.by_id(default_country.trim().to_ascii_uppercase().as_str()).map(|m| m.country_code());
    match phonenumber::parse(None, e164) {
        Ok(n) => {
            let same_country = home_code == Some(n.code().value());
            let mode = if same_country { Mode::National } else { Mode::International };
            n.format().mode(mode).to_string()
        }
        Err(_) => e164.to_string(),
    }
}

/// Whether two typed numbers are the same number.
pub fn same_number(a: &str, b: &str, default_country: &str) -> bool {
    matches!((parse(a, default_country), parse(b, default_country)), (Ok(x), Ok(y)) if x == y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_formats_of_one_number_compare_equal() {
        let forms = ["+44 7911 123456", "07911 123456", "0044 7911 123456", "+44 (0)7911-123456", "447911123456"];
        for f in &forms[..4] {
            assert_eq!(parse(f, "GB").unwrap().as_str(), "+447911123456", "form {f:?} must parse to E.164");
        }
        assert!(same_number("+44 7911 123456", "07911123456", "GB"));
    }

    #[test]
    fn numbers_from_several_countries() {
        assert_eq!(parse("(202) 555-0143", "US").unwrap().as_str(), "+12025550143");
        assert_eq!(parse("030 1234567", "DE").unwrap().as_str(), "+49301234567");
        assert_eq!(parse("+55 11 91234-5678", "GB").unwrap().as_str(), "+5511912345678");
        assert_eq!(parse("06 12 34 56 78", "FR").unwrap().as_str(), "+33612345678");
        assert_eq!(parse("+91 98765 43210", "US").unwrap().as_str(), "+919876543210");
        assert_eq!(parse("+49 1511 2345678", "US").unwrap().as_str(), "+4915112345678", "a + number ignores the default country's prefix rules");
    }

    #[test]
    fn a_local_number_read_with_the_wrong_country_says_how_to_set_it() {
        let err = parse("07911123456", "US").unwrap_err().to_string();
        assert!(err.contains("wicket settings set default_country") && err.contains("US"), "{err}");
        let err = parse("+44 12", "US").unwrap_err().to_string();
        assert!(!err.contains("default_country"), "an international number is not about the country: {err}");
    }

    #[test]
    fn invalid_numbers_are_refused_with_a_reason() {
        for bad in ["", "hello", "123", "+44 12", "+999 1234567"] {
            let err = parse(bad, "GB").unwrap_err();
            assert!(matches!(err, Error::InvalidPhone { .. }), "{bad:?} must be refused, got {err:?}");
        }
    }

    #[test]
    fn display_is_national_at_home_and_international_abroad() {
        assert_eq!(format_for_display("+447911123456", "GB"), "07911 123456");
        assert_eq!(format_for_display("+447911123456", "US"), "+44 7911 123456");
    }

    #[test]
    fn wa_ids_become_e164() {
        assert_eq!(from_wa_id("447911123456").unwrap().as_str(), "+447911123456");
        assert!(from_wa_id("abc").is_err());
    }
}
