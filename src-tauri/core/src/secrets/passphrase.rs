//! How hard a vault passphrase is to guess, for the owner choosing one.
//!
//! The vault file can be copied and attacked offline, so the bar is zxcvbn's
//! score 3 ("safely unguessable") under Argon2id's slow hashing. The hint
//! says why a passphrase falls short, or about how long guessing would take.

use serde::Serialize;

/// The lowest zxcvbn score (0–4) a new vault passphrase may have.
pub const MIN_SCORE: u8 = 3;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PassphraseStrength {
    /// zxcvbn's score, 0 (guessed at once) to 4 (very hard).
    pub score: u8,
    /// At least [`MIN_SCORE`]: a vault may be created with it.
    pub acceptable: bool,
    /// One line for the owner: what to improve, or how strong it is.
    pub hint: String,
}

pub fn strength(passphrase: &str) -> PassphraseStrength {
    if passphrase.is_empty() {
        return PassphraseStrength { score: 0, acceptable: false, hint: "Choose a passphrase: a few unrelated words work well.".into() };
    }
    let estimate = zxcvbn::zxcvbn(passphrase, &["wicket", "whatsapp", "inbox"]);
    let score = u8::from(estimate.score());
    let acceptable = score >= MIN_SCORE;
    let hint = if acceptable {
        format!("Strong: guessing it would take {} at 10,000 tries a second.", estimate.crack_times().offline_slow_hashing_1e4_per_second())
    } else {
        let feedback = estimate.feedback();
        let warning = feedback.and_then(|f| f.warning()).map(|w| w.to_string());
        let suggestion = feedback.and_then(|f| f.suggestions().first()).map(|s| s.to_string());
        match (warning, suggestion) {
            (Some(w), Some(s)) => format!("{w} {s}"),
            (Some(w), None) => format!("{w} Add another word or two."),
            (None, Some(s)) => s,
            (None, None) => "Too easy to guess: add another word or two.".into(),
        }
    };
    PassphraseStrength { score, acceptable, hint }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_and_short_passphrases_are_refused_with_a_reason() {
        for weak in ["", "password", "wicket123", "qwerty", "abc"] {
            let s = strength(weak);
            assert!(!s.acceptable, "{weak:?} must be refused: {s:?}");
            assert!(!s.hint.is_empty(), "the owner is told why: {s:?}");
        }
    }

    #[test]
    fn a_few_unrelated_words_are_accepted() {
        let s = strength("copper lantern orbit meadow");
        assert!(s.acceptable && s.score >= MIN_SCORE, "{s:?}");
        assert!(s.hint.starts_with("Strong: guessing it would take"), "{s:?}");
    }
}
