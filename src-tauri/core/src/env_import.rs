//! Reads a `.env` file with the variable names WhatsApp integrations
//! commonly use and turns it into account setups. Unknown variables are
//! listed, never guessed; an incomplete provider is reported with what is
//! missing and not imported.

use crate::accounts::{MetaSetup, WasenderSetup};
use crate::error::{Error, Result};
use crate::secrets::Secret;
use std::collections::BTreeMap;
use std::path::Path;

/// Every variable this importer understands.
pub const KNOWN: &[&str] = &[
    "WHATSAPP_PHONE_NUMBER_ID",
    "WHATSAPP_BUSINESS_ACCOUNT_ID",
    "WHATSAPP_API_TOKEN",
    "WHATSAPP_ACCESS_TOKEN",
    "WHATSAPP_APP_SECRET",
    "WHATSAPP_WEBHOOK_VERIFY_TOKEN",
    "WHATSAPP_API_VERSION",
    // Not common, but Wicket's own: a proxy or a self-hosted gateway.
    "WHATSAPP_BASE_URL",
    "WASENDER_API_TOKEN",
    "WASENDER_API_KEY",
    "WASENDER_WEBHOOK_SECRET",
    "WASENDER_PERSONAL_ACCESS_TOKEN",
    "WASENDER_BASE_URL",
    "UNIPILE_DSN",
    "UNIPILE_API_KEY",
];

/// What a `.env` file describes.
#[derive(Debug, Default)]
pub struct EnvImport {
    pub meta: Option<MetaSetup>,
    pub wasender: Option<WasenderSetup>,
    /// UniPile's DSN and API key: the accounts behind them are listed online.
    pub unipile: Option<(String, Secret)>,
    /// Variables this importer does not know, by name (values never shown).
    pub unknown: Vec<String>,
    /// Providers that were mentioned but are missing something.
    pub problems: Vec<String>,
}

/// Reads `path` (KEY=VALUE lines, `export`, quotes and comments allowed).
pub fn read(path: &Path) -> Result<EnvImport> {
    let iter = dotenvy::from_path_iter(path).map_err(|e| Error::Invalid(format!("cannot read {}: {e}", path.display())))?;
    let mut vars = BTreeMap::new();
    for item in iter {
        let (k, v) = item.map_err(|e| Error::Invalid(format!("{} is not a valid .env file: {e}", path.display())))?;
        vars.insert(k, v);
    }
    Ok(from_vars(vars))
}

/// Reads the text of a `.env` file (the window reads the file the owner
/// picked and passes its text, so no path is typed). `source` names it in
/// error messages.
pub fn parse(text: &str, source: &str) -> Result<EnvImport> {
    let mut vars = BTreeMap::new();
    for item in dotenvy::from_read_iter(text.as_bytes()) {
        let (k, v) = item.map_err(|e| Error::Invalid(format!("{source} is not a valid .env file: {e}")))?;
        vars.insert(k, v);
    }
    Ok(from_vars(vars))
}

/// Builds the setups from variables already read.
pub fn from_vars(mut vars: BTreeMap<String, String>) -> EnvImport {
    vars.retain(|_, v| !v.trim().is_empty());
    let mut out = EnvImport { unknown: vars.keys().filter(|k| !KNOWN.contains(&k.as_str())).cloned().collect(), ..Default::default() };
    let get = |k: &str| vars.get(k).map(|v| v.trim().to_string());
    let secret = |k: &str| get(k).map(Secret::new);

    let meta_vars = KNOWN.iter().filter(|k| k.starts_with("WHATSAPP_")).any(|k| vars.contains_key(*k));
    if meta_vars {
        let token = secret("WHATSAPP_API_TOKEN").or_else(|| secret("WHATSAPP_ACCESS_TOKEN"));
        let missing: Vec<&str> = [
            ("WHATSAPP_PHONE_NUMBER_ID", get("WHATSAPP_PHONE_NUMBER_ID").is_some()),
            ("WHATSAPP_BUSINESS_ACCOUNT_ID", get("WHATSAPP_BUSINESS_ACCOUNT_ID").is_some()),
            ("WHATSAPP_API_TOKEN (or WHATSAPP_ACCESS_TOKEN)", token.is_some()),
            ("WHATSAPP_APP_SECRET", get("WHATSAPP_APP_SECRET").is_some()),
        ]
        .into_iter()
        .filter(|(_, present)| !present)
        .map(|(name, _)| name)
        .collect();
        match (missing.is_empty(), token) {
            (true, Some(token)) => {
                out.meta = Some(MetaSetup {
                    name: "WhatsApp (Meta)".into(),
                    phone_number_id: get("WHATSAPP_PHONE_NUMBER_ID").unwrap_or_default(),
                    business_account_id: get("WHATSAPP_BUSINESS_ACCOUNT_ID").unwrap_or_default(),
                    token,
                    app_secret: secret("WHATSAPP_APP_SECRET").unwrap_or_else(|| Secret::new(String::new())),
                    verify_token: secret("WHATSAPP_WEBHOOK_VERIFY_TOKEN"),
                    base_url: get("WHATSAPP_BASE_URL"),
                    api_version: get("WHATSAPP_API_VERSION"),
                })
            }
            _ => out.problems.push(format!("Meta account not imported: missing {}", missing.join(", "))),
        }
    }

    let wasender_vars = KNOWN.iter().filter(|k| k.starts_with("WASENDER_")).any(|k| vars.contains_key(*k));
    if wasender_vars {
        match secret("WASENDER_API_TOKEN").or_else(|| secret("WASENDER_API_KEY")) {
            Some(api_key) => {
                out.wasender = Some(WasenderSetup {
                    name: "WhatsApp (WASender)".into(),
                    api_key,
                    webhook_secret: secret("WASENDER_WEBHOOK_SECRET"),
                    // A PAT without a session id cannot manage the webhook: kept
                    // anyway, the session id can be added in settings.
                    personal_access_token: secret("WASENDER_PERSONAL_ACCESS_TOKEN"),
                    session_id: None,
                    base_url: get("WASENDER_BASE_URL"),
                })
            }
            None => out.problems.push("WASender account not imported: missing WASENDER_API_TOKEN (or WASENDER_API_KEY)".into()),
        }
    }

    match (get("UNIPILE_DSN"), secret("UNIPILE_API_KEY")) {
        (Some(dsn), Some(key)) => out.unipile = Some((dsn, key)),
        (None, None) => {}
        (None, Some(_)) => out.problems.push("UniPile not imported: missing UNIPILE_DSN".into()),
        (Some(_), None) => out.problems.push("UniPile not imported: missing UNIPILE_API_KEY".into()),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn a_complete_meta_block_becomes_a_setup_and_unknowns_are_listed() {
        let out = from_vars(vars(&[
            ("WHATSAPP_PHONE_NUMBER_ID", "1"),
            ("WHATSAPP_BUSINESS_ACCOUNT_ID", "2"),
            ("WHATSAPP_ACCESS_TOKEN", "tok"),
            ("WHATSAPP_APP_SECRET", "sec"),
            ("WHATSAPP_API_VERSION", "v22.0"),
            ("DATABASE_URL", "postgres://x"),
        ]));
        let meta = out.meta.expect("meta imported");
        assert_eq!(meta.token.expose(), "tok", "WHATSAPP_ACCESS_TOKEN is an alias");
        assert_eq!(meta.api_version.as_deref(), Some("v22.0"));
        assert_eq!(out.unknown, ["DATABASE_URL"]);
        assert!(out.problems.is_empty());
    }

    #[test]
    fn text_is_read_like_a_file() {
        let out = parse("# shop\nexport WASENDER_API_KEY='k1'\nWASENDER_WEBHOOK_SECRET=\"s\"\nOTHER=1\n", "shop.env").unwrap();
        assert_eq!(out.wasender.expect("wasender").api_key.expose(), "k1");
        assert_eq!(out.unknown, ["OTHER"]);
        assert!(matches!(parse("NOT A LINE\n", "x.env"), Err(Error::Invalid(m)) if m.contains("x.env")));
    }

    #[test]
    fn an_incomplete_provider_says_what_is_missing() {
        let out = from_vars(vars(&[("WHATSAPP_PHONE_NUMBER_ID", "1"), ("UNIPILE_API_KEY", "k"), ("WASENDER_WEBHOOK_SECRET", "s")]));
        assert!(out.meta.is_none() && out.wasender.is_none() && out.unipile.is_none());
        assert!(out.problems.iter().any(|p| p.contains("WHATSAPP_APP_SECRET")));
        assert!(out.problems.iter().any(|p| p.contains("UNIPILE_DSN")));
        assert!(out.problems.iter().any(|p| p.contains("WASENDER_API_TOKEN")));
    }
}
