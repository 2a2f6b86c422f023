//! Per-account activity figures for `wicket monitor` and the account
//! screens: unread, queued, last activity. Each figure is served by an index
//! (conversations by account, the partial outbox index), so monitoring a
//! busy store stays cheap.

use super::Store;
use crate::error::Result;
use rusqlite::params;

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct AccountActivity {
    /// Conversations with unread messages, and the unread messages in them.
    pub unread_conversations: i64,
    pub unread_messages: i64,
    /// Outgoing messages waiting to be sent (pending or being sent).
    pub queued_messages: i64,
    /// The newest activity in any of the account's conversations.
    pub last_activity_at: Option<i64>,
}

pub(crate) const UNREAD_SQL: &str =
    "SELECT count(*), coalesce(sum(unread_count), 0), max(last_activity_at) FROM conversations WHERE account_id = ?1 AND unread_count > 0";
pub(crate) const LAST_ACTIVITY_SQL: &str = "SELECT max(last_activity_at) FROM conversations WHERE account_id = ?1";
/// Forced onto the small partial outbox index: by account alone the planner
/// could walk every message of a busy account.
pub(crate) const QUEUED_SQL: &str = "SELECT count(*) FROM messages INDEXED BY messages_outbox WHERE status IN ('pending', 'sending') AND account_id = ?1";

impl Store {
    pub fn account_activity(&self, account_id: i64) -> Result<AccountActivity> {
        let (unread_conversations, unread_messages, _): (i64, i64, Option<i64>) =
            self.conn.query_row(UNREAD_SQL, [account_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        let last_activity_at: Option<i64> = self.conn.query_row(LAST_ACTIVITY_SQL, [account_id], |r| r.get(0))?;
        let queued_messages: i64 = self.conn.query_row(QUEUED_SQL, params![account_id], |r| r.get(0))?;
        Ok(AccountActivity { unread_conversations, unread_messages, queued_messages, last_activity_at })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_figure_is_served_by_an_index() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("wicket.db")).unwrap();
        for sql in [UNREAD_SQL, LAST_ACTIVITY_SQL, QUEUED_SQL] {
            let plan = store.explain(sql, [1]).unwrap();
            assert!(plan.iter().all(|l| !l.starts_with("SCAN") || l.contains("USING")), "{sql}: {plan:?}");
        }
        assert_eq!(store.account_activity(1).unwrap(), AccountActivity::default());
    }
}
