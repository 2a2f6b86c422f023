//! The retry job: every 30 minutes, a failed send whose error may pass by
//! itself (the provider was down, or kept throttling the account) goes back
//! to the outbox, through the same checks as the owner's resend
//! (`outbox::retry`: the customer-service window, the template, the file).
//!
//! Caps: only messages created in the last [`MAX_AGE`], at most
//! [`MAX_RETRIES`] automatic retries each. A message the checks refuse also
//! uses up a retry, so one that cannot go is not looked at for ever. Only a
//! `failed` message is retried, never an `unknown` one: that one may have
//! been sent, and only the owner may risk sending it twice.

use crate::error::{ErrorKind, Result};
use crate::store::Store;
use std::time::Duration;

/// How often the job runs.
pub const EVERY: Duration = Duration::from_secs(30 * 60);
/// Automatic retries per message, at most.
pub const MAX_RETRIES: i64 = 3;
/// Messages older than this are left failed (the owner may still resend).
pub const MAX_AGE: Duration = Duration::from_secs(24 * 3600);
/// Messages looked at per run.
const BATCH: usize = 500;

/// What a run did.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RetrySummary {
    /// Back in the outbox, as `pending`.
    pub requeued: Vec<i64>,
    /// Refused by the checks, with the reason (the message stays failed).
    pub refused: Vec<(i64, String)>,
}

impl RetrySummary {
    pub fn describe(&self) -> String {
        match (self.requeued.len(), self.refused.len()) {
            (0, 0) => "nothing to retry".into(),
            (n, 0) => format!("{n} failed message(s) sent again"),
            (n, r) => format!("{n} failed message(s) sent again, {r} could not be (the reason is on each)"),
        }
    }
}

/// The error kinds a later attempt may get past without the owner.
fn retryable_kinds() -> Vec<&'static str> {
    [ErrorKind::RateLimited, ErrorKind::Unavailable].into_iter().filter(|k| k.is_retryable()).map(ErrorKind::as_str).collect()
}

/// One run at `now` (Unix ms): requeues what may go again.
pub fn run(store: &mut Store, now: i64) -> Result<RetrySummary> {
    let since = now.saturating_sub(MAX_AGE.as_millis() as i64);
    let mut summary = RetrySummary::default();
    for id in store.failed_sends_to_retry(since, &retryable_kinds(), MAX_RETRIES, BATCH)? {
        store.count_auto_retry(id, now)?;
        match crate::outbox::retry(store, id) {
            Ok(_) => summary.requeued.push(id),
            Err(e) => {
                tracing::info!(message = id, "a failed message was not retried: {e}");
                summary.refused.push((id, e.to_string()));
            }
        }
    }
    Ok(summary)
}
