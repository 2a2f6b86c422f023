//! Keeping an account's secrets out of the messages Wicket shows and logs.
//!
//! One rule for every provider: each secret the account's client holds (the
//! one it authenticates with and any other, e.g. WASender's personal access
//! token) is replaced by `<redacted>` wherever it appears in an error
//! message, once it is at least [`MIN_SCRUBBED_LEN`] characters long. A
//! shorter value is no real credential and replacing it would mangle
//! ordinary words of the message; providers' keys and tokens are far longer.

use crate::secrets::Secret;

/// The shortest secret that is scrubbed.
pub const MIN_SCRUBBED_LEN: usize = 8;

/// What a scrubbed secret reads as.
pub const REDACTED: &str = "<redacted>";

/// The secrets of one client, to be kept out of its messages.
#[derive(Clone, Default)]
pub struct Scrubber {
    /// Longest first, so a secret that contains another is replaced whole.
    secrets: Vec<Secret>,
}

impl Scrubber {
    pub fn new(secrets: impl IntoIterator<Item = Secret>) -> Scrubber {
        let mut secrets: Vec<Secret> = secrets.into_iter().filter(|s| s.expose().len() >= MIN_SCRUBBED_LEN).collect();
        secrets.sort_by_key(|s| std::cmp::Reverse(s.expose().len()));
        Scrubber { secrets }
    }

    /// `message` with every secret replaced by [`REDACTED`].
    pub fn scrub(&self, message: String) -> String {
        let mut out = message;
        for secret in &self.secrets {
            let s = secret.expose();
            if out.contains(s) {
                out = out.replace(s, REDACTED);
            }
        }
        out
    }
}

impl std::fmt::Debug for Scrubber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Scrubber({} secrets)", self.secrets.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Secret {
        Secret::new(v.to_string())
    }

    #[test]
    fn every_secret_is_redacted_wherever_it_appears() {
        let sc = Scrubber::new([s("supersecretapikey"), s("patsecret123")]);
        assert_eq!(sc.scrub("key supersecretapikey and patsecret123, again supersecretapikey".into()), "key <redacted> and <redacted>, again <redacted>");
        assert_eq!(sc.scrub("nothing secret here".into()), "nothing secret here");
    }

    #[test]
    fn one_threshold_for_every_provider() {
        // Eight characters is the line, whatever the provider: Meta used 16
        // before, the gateways 8; the stricter of the two now holds for all.
        let sc = Scrubber::new([s("1234567"), s("12345678")]);
        assert_eq!(sc.scrub("a 12345678 b".into()), "a <redacted> b");
        let short = Scrubber::new([s("t"), s("1234567")]);
        assert_eq!(short.scrub("the token 1234567 is too short to be a key".into()), "the token 1234567 is too short to be a key");
        let meta_length = Scrubber::new([s("EAAG0123456789")]);
        assert_eq!(meta_length.scrub("token EAAG0123456789".into()), "token <redacted>", "a 14-character token is scrubbed too");
    }

    #[test]
    fn a_secret_inside_another_is_replaced_whole() {
        let sc = Scrubber::new([s("abcdefgh"), s("abcdefgh-and-more")]);
        assert_eq!(sc.scrub("x abcdefgh-and-more y abcdefgh".into()), "x <redacted> y <redacted>");
        assert!(!format!("{sc:?}").contains("abcdefgh"), "Debug never shows a secret");
    }
}
