//! The in-memory form of a secret and the closed set of secret names.
//!
//! [`Secret`] keeps one rule: its value leaves the type only through
//! [`Secret::expose`]. It prints as `<redacted>` in `Debug` and `Display`, it
//! does not implement `Serialize` (so it cannot slip into JSON, exports or
//! logs by accident) and its bytes are zeroized when it is dropped.
//! [`SecretName`] fixes which secrets an account can have and the stable
//! names they are stored under.

use std::fmt;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// A secret value: an access token, app secret, API key, passphrase...
///
/// Deliberately not `Serialize`, not `PartialEq` (comparisons of secrets
/// belong in constant-time code that says so) and never printed.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Secret {
        Secret(value)
    }

    /// The value itself. Call it only where the value is handed to the one
    /// place that needs it (an HTTP header, the keychain, the vault cipher).
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Every secret an account can hold. Closed on purpose: a new kind of secret
/// is a code change, so `delete_account` always knows what to remove.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SecretName {
    AccessToken,
    AppSecret,
    VerifyToken,
    ApiKey,
    WebhookSecret,
    PersonalAccessToken,
}

impl SecretName {
    pub const ALL: [SecretName; 6] = [
        SecretName::AccessToken,
        SecretName::AppSecret,
        SecretName::VerifyToken,
        SecretName::ApiKey,
        SecretName::WebhookSecret,
        SecretName::PersonalAccessToken,
    ];

    /// The stable name inside the storage key. Never change one: entries
    /// stored under the old name would silently go missing.
    pub fn as_str(self) -> &'static str {
        match self {
            SecretName::AccessToken => "access_token",
            SecretName::AppSecret => "app_secret",
            SecretName::VerifyToken => "verify_token",
            SecretName::ApiKey => "api_key",
            SecretName::WebhookSecret => "webhook_secret",
            SecretName::PersonalAccessToken => "personal_access_token",
        }
    }

    /// How messages name it ("no access token stored for account 3 ...").
    pub fn label(self) -> &'static str {
        match self {
            SecretName::AccessToken => "access token",
            SecretName::AppSecret => "app secret",
            SecretName::VerifyToken => "verify token",
            SecretName::ApiKey => "API key",
            SecretName::WebhookSecret => "webhook secret",
            SecretName::PersonalAccessToken => "personal access token",
        }
    }

    /// The inverse of [`SecretName::as_str`].
    pub fn parse(s: &str) -> Option<SecretName> {
        SecretName::ALL.into_iter().find(|n| n.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    #[allow(dead_code)] // only read through Debug
    struct Holder {
        name: &'static str,
        token: Secret,
    }

    #[test]
    fn secret_never_prints_its_value() {
        let s = Secret::new("EAAG-very-secret".into());
        assert_eq!(format!("{s:?}"), "<redacted>", "Debug must redact");
        assert_eq!(format!("{s}"), "<redacted>", "Display must redact");
        let h = Holder { name: "meta", token: s.clone() };
        let printed = format!("{h:?} {h:#?}");
        assert!(!printed.contains("very-secret"), "a struct holding a Secret must not leak it: {printed}");
        assert!(printed.contains("<redacted>"));
        assert_eq!(s.expose(), "EAAG-very-secret", "expose is the one way out");
    }

    #[test]
    fn names_are_stable_snake_case_and_round_trip() {
        let names: Vec<&str> = SecretName::ALL.iter().map(|n| n.as_str()).collect();
        assert_eq!(
            names,
            ["access_token", "app_secret", "verify_token", "api_key", "webhook_secret", "personal_access_token"],
            "storage names are part of the on-disk/keychain format"
        );
        for n in SecretName::ALL {
            assert_eq!(SecretName::parse(n.as_str()), Some(n));
            assert!(!n.label().is_empty());
        }
        assert_eq!(SecretName::AccessToken.label(), "access token");
        assert_eq!(SecretName::parse("password"), None);
    }
}
