//! Webhook authentication: Meta's `X-Hub-Signature-256` and the GET
//! handshake's verify token.
//!
//! The rules kept here: the HMAC is computed over the raw body bytes exactly
//! as received (never a re-serialized body), keyed by the App Secret, and
//! every comparison with a secret is constant-time (`subtle`). Nothing here
//! logs or returns a secret.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// The header Meta signs its POSTs with.
pub const META_SIGNATURE_HEADER: &str = "X-Hub-Signature-256";

fn hmac_sha256(key: &[u8], body: &[u8]) -> Option<[u8; 32]> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).ok()?;
    mac.update(body);
    let out = mac.finalize().into_bytes();
    let mut bytes = [0u8; 32];
    bytes.copy_from_slice(&out);
    Some(bytes)
}

/// The `X-Hub-Signature-256` value Meta sends for `body`: `sha256=<hex>`.
/// For tests and tools (a fake Meta, `wicket webhook replay`).
pub fn meta_signature(app_secret: &[u8], body: &[u8]) -> String {
    // HMAC takes keys of any length, so this cannot fail.
    let mac = hmac_sha256(app_secret, body).unwrap_or([0; 32]);
    format!("sha256={}", hex::encode(mac))
}

/// Whether `header` (the `X-Hub-Signature-256` value, if any) signs `body`
/// with `app_secret`. Hex case and surrounding spaces are tolerated; anything
/// else (no header, another algorithm, bad hex, wrong length) is a mismatch.
pub fn verify_meta_signature(app_secret: &[u8], body: &[u8], header: Option<&str>) -> bool {
    let Some(header) = header else { return false };
    let Some(hex_part) = header.trim().strip_prefix("sha256=") else { return false };
    let Ok(given) = hex::decode(hex_part.trim()) else { return false };
    let Some(expected) = hmac_sha256(app_secret, body) else { return false };
    given.len() == expected.len() && bool::from(given.as_slice().ct_eq(&expected[..]))
}

/// Constant-time equality for the handshake's verify token.
pub fn tokens_match(given: &str, expected: &str) -> bool {
    !expected.is_empty() && bool::from(given.as_bytes().ct_eq(expected.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"test_app_secret";

    #[test]
    fn the_documented_test_vector() {
        let body = br#"{"object":"whatsapp_business_account","entry":[]}"#;
        let sig = meta_signature(SECRET, body);
        assert_eq!(sig, "sha256=dec6a680679a968e7e0319355b23599cbfc54502c0784668e9618baa0c633756");
        assert!(verify_meta_signature(SECRET, body, Some(&sig)));
        assert!(verify_meta_signature(SECRET, body, Some(&sig.to_uppercase().replace("SHA256=", "sha256="))), "hex case does not matter");
    }

    #[test]
    fn every_fixture_signature_matches_its_exact_bytes() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/meta_webhooks");
        let table: serde_json::Value = serde_json::from_slice(&std::fs::read(format!("{dir}/meta_webhook_signatures.json")).unwrap()).unwrap();
        let secret = table["app_secret"].as_str().unwrap().as_bytes().to_vec();
        let sigs = table["signatures"].as_object().unwrap();
        assert_eq!(sigs.len(), 7);
        for (file, sig) in sigs {
            let body = std::fs::read(format!("{dir}/{file}")).unwrap();
            let sig = sig.as_str().unwrap();
            assert_eq!(meta_signature(&secret, &body), sig, "signature of {file}");
            assert!(verify_meta_signature(&secret, &body, Some(sig)), "{file} verifies");
            // Re-serializing the JSON changes the bytes: it must not verify.
            let reserialized = serde_json::to_vec(&serde_json::from_slice::<serde_json::Value>(&body).unwrap()).unwrap();
            assert!(!verify_meta_signature(&secret, &reserialized, Some(sig)), "{file}: only the raw bytes verify");
        }
    }

    #[test]
    fn mismatches_are_refused() {
        let body = b"{}";
        let good = meta_signature(SECRET, body);
        assert!(!verify_meta_signature(SECRET, body, None), "no header");
        assert!(!verify_meta_signature(SECRET, body, Some("")), "empty header");
        assert!(!verify_meta_signature(SECRET, body, Some(good.trim_start_matches("sha256="))), "no prefix");
        assert!(!verify_meta_signature(SECRET, body, Some(&good.replace("sha256=", "sha1="))), "other algorithm");
        assert!(!verify_meta_signature(SECRET, body, Some("sha256=zz")), "bad hex");
        assert!(!verify_meta_signature(SECRET, body, Some(&good[..good.len() - 2])), "truncated");
        assert!(!verify_meta_signature(b"other_secret", body, Some(&good)), "other secret");
        assert!(!verify_meta_signature(SECRET, b"{} ", Some(&good)), "one byte more");
    }

    #[test]
    fn verify_tokens_compare_exactly() {
        assert!(tokens_match("tok", "tok"));
        assert!(!tokens_match("tok", "tok2"));
        assert!(!tokens_match("", ""), "an empty stored token never matches");
    }
}
