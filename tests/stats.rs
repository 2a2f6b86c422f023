//! Statistics against a store with known contents: every figure of
//! `wicket_core::stats::compute` (and `wicket stats` / `wicket monitor
//! --hours` as processes) equals what was put in.

#[path = "support/core.rs"]
mod support;

use serde_json::json;
use support::data_dir;
use wicket_core::error::{ErrorKind, ProviderError};
use wicket_core::model::{Direction, MessageKind, MessageStatus, Origin, Provider};
use wicket_core::stats::{compute, StatsQuery};
use wicket_core::store::contacts::{ContactKey, ContactUpdate};
use wicket_core::store::messages::NewMessage;
use wicket_core::store::{NewAccount, Store};

const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;
/// 2026-12-01T00:00:00Z, a Tuesday.
const T0: i64 = 1_796_083_200_000;

struct Shop {
    store: Store,
    account: i64,
    n: i64,
}

impl Shop {
    fn conversation(&mut self, phone: &str) -> i64 {
        let c = self.store.upsert_contact(self.account, &ContactKey::phone(phone), &ContactUpdate::default()).unwrap();
        self.store.get_or_create_conversation(self.account, c.id).unwrap()
    }

    fn message(&mut self, conversation: i64, direction: Direction, at: i64, status: MessageStatus, origin: Option<Origin>, error: Option<(&str, ErrorKind)>) {
        self.n += 1;
        self.store
            .insert_message(&NewMessage {
                account_id: self.account,
                conversation_id: conversation,
                provider_message_id: Some(format!("wamid.S{}", self.n)),
                direction: Some(direction),
                origin,
                kind: Some(MessageKind::Text),
                text: Some("hello".into()),
                status: Some(status),
                timestamp: Some(at),
                error: error.map(|(code, kind)| ProviderError { code: Some(code.into()), kind, message: format!("error {code}"), retry_after: None }),
                ..Default::default()
            })
            .unwrap();
    }
}

fn shop() -> (tempfile::TempDir, Shop) {
    let (tmp, _dir, mut store) = data_dir();
    store.set_setting("time_zone", &json!("UTC")).unwrap();
    let account =
        store.add_account(&NewAccount { provider: Provider::Meta, name: "Camden".into(), phone: None, config: json!({"phone_number_id": "PN1"}) }).unwrap().id;
    (tmp, Shop { store, account, n: 0 })
}

#[test]
fn every_figure_matches_a_store_with_known_contents() {
    let (_tmp, mut s) = shop();
    let (a, b) = (s.conversation("+447911123456"), s.conversation("+447911123457"));
    use Direction::{In, Out};
    use MessageStatus as St;
    // Day 1, 09:00: A writes twice, answered 10 min after the first (a reply from the phone counts).
    s.message(a, In, T0 + 9 * HOUR, St::Received, None, None);
    s.message(a, In, T0 + 9 * HOUR + 2 * MIN, St::Received, None, None);
    s.message(a, Out, T0 + 9 * HOUR + 10 * MIN, St::Read, Some(Origin::Phone), None);
    // 14:00: A again; an automatic away message does not end the wait; the owner answers after 30 min.
    s.message(a, In, T0 + 14 * HOUR, St::Received, None, None);
    s.message(a, Out, T0 + 14 * HOUR + MIN, St::Delivered, Some(Origin::Automatic), None);
    s.message(a, Out, T0 + 14 * HOUR + 30 * MIN, St::Read, Some(Origin::App), None);
    // Day 2, 14:00: B writes, answered after 2 min; then sends that did not all go.
    s.message(b, In, T0 + 24 * HOUR + 14 * HOUR, St::Received, None, None);
    s.message(b, Out, T0 + 24 * HOUR + 14 * HOUR + 2 * MIN, St::Delivered, Some(Origin::App), None);
    s.message(b, Out, T0 + 24 * HOUR + 15 * HOUR, St::Sent, Some(Origin::App), None);
    s.message(b, Out, T0 + 24 * HOUR + 16 * HOUR, St::Failed, Some(Origin::App), Some(("131026", ErrorKind::InvalidRecipient)));
    s.message(b, Out, T0 + 24 * HOUR + 16 * HOUR + MIN, St::Failed, Some(Origin::App), Some(("131026", ErrorKind::InvalidRecipient)));
    s.message(b, Out, T0 + 24 * HOUR + 17 * HOUR, St::Failed, Some(Origin::App), Some(("131047", ErrorKind::OutsideWindow)));
    // Outside the window (day 4): not counted.
    s.message(b, In, T0 + 3 * 24 * HOUR, St::Received, None, None);

    let st = compute(&s.store, StatsQuery { account_id: Some(s.account), since: T0, until: T0 + 3 * 24 * HOUR }).unwrap();
    assert_eq!((st.received, st.sent, st.delivered, st.read, st.failed, st.pending), (4, 4, 3, 1, 3, 0), "{st:#?}");
    assert_eq!(st.delivery_rate, Some(0.75));
    assert_eq!(st.read_rate, Some(0.25));
    // Waits: 10 min, 30 min, 2 min → median 10 min.
    assert_eq!((st.median_first_reply_seconds, st.replies_measured), (Some(600), 3));
    let failures: Vec<(Option<&str>, i64)> = st.failures.iter().map(|f| (f.code.as_deref(), f.count)).collect();
    assert_eq!(failures, [(Some("131026"), 2), (Some("131047"), 1)]);
    assert_eq!(st.failures[0].kind.as_deref(), Some("invalid_recipient"));
    let days: Vec<(&str, i64, i64)> = st.per_day.iter().map(|d| (d.day.as_str(), d.received, d.sent)).collect();
    assert_eq!(days, [("2026-12-01", 3, 2), ("2026-12-02", 1, 5), ("2026-12-03", 0, 0)], "every day, the quiet one too; the phone's reply is not ours");
    let mut hours = vec![0; 24];
    hours[9] = 2;
    hours[14] = 2;
    assert_eq!(st.received_by_hour, hours);
    assert_eq!(st.time_zone, "UTC");

    // In the owner's time zone, the days and hours move with it.
    s.store.set_setting("time_zone", &json!("America/New_York")).unwrap();
    let ny = compute(&s.store, StatsQuery { account_id: Some(s.account), since: T0, until: T0 + 3 * 24 * HOUR }).unwrap();
    assert_eq!(ny.received_by_hour[4], 2, "09:00 UTC is 04:00 in New York in December");
    assert_eq!(ny.per_day[0].day, "2026-11-30", "the window starts the evening before there");
    assert_eq!(ny.received, st.received);

    // Another account's messages are not this one's; all accounts together add up.
    let other = s.store.add_account(&NewAccount { provider: Provider::Demo, name: "Demo".into(), phone: None, config: json!({}) }).unwrap().id;
    let c = s.store.upsert_contact(other, &ContactKey::phone("+447911000000"), &ContactUpdate::default()).unwrap();
    let conv = s.store.get_or_create_conversation(other, c.id).unwrap();
    let (account, n) = (s.account, s.n);
    s.account = other;
    s.message(conv, In, T0 + HOUR, St::Received, None, None);
    s.account = account;
    s.n = n + 1;
    let mine = compute(&s.store, StatsQuery { account_id: Some(account), since: T0, until: T0 + 3 * 24 * HOUR }).unwrap();
    let all = compute(&s.store, StatsQuery { account_id: None, since: T0, until: T0 + 3 * 24 * HOUR }).unwrap();
    assert_eq!((mine.received, all.received), (4, 5));

    // Nothing in the window: no rates, no median, never a division by zero.
    s.store.set_setting("time_zone", &json!("UTC")).unwrap();
    let empty = compute(&s.store, StatsQuery { account_id: Some(account), since: T0 + 10 * 24 * HOUR, until: T0 + 11 * 24 * HOUR }).unwrap();
    assert_eq!((empty.received, empty.sent, empty.delivery_rate, empty.median_first_reply_seconds), (0, 0, None, None));
    assert_eq!(empty.per_day.len(), 1);
}

#[test]
fn webhook_counts_waits_and_the_queue_are_counted_per_account() {
    let (_tmp, mut s) = shop();
    let now = wicket_core::time::now_ms();
    let conn = rusqlite::Connection::open(s.store.path()).unwrap();
    use wicket_core::store::hourly::{bump, RATELIMIT_WAITS, WEBHOOK_ACCEPTED, WEBHOOK_DUPLICATE, WEBHOOK_FAILED, WEBHOOK_REJECTED};
    bump(&conn, WEBHOOK_ACCEPTED, Some(s.account), 7, now).unwrap();
    bump(&conn, WEBHOOK_ACCEPTED, Some(s.account + 1), 100, now).unwrap();
    bump(&conn, WEBHOOK_DUPLICATE, Some(s.account), 2, now).unwrap();
    bump(&conn, WEBHOOK_REJECTED, None, 3, now).unwrap();
    bump(&conn, WEBHOOK_FAILED, Some(s.account), 1, now).unwrap();
    bump(&conn, RATELIMIT_WAITS, Some(s.account), 4, now).unwrap();
    bump(&conn, WEBHOOK_ACCEPTED, Some(s.account), 50, now - 3 * 24 * HOUR).unwrap();
    let a = s.conversation("+447911123456");
    s.message(a, Direction::Out, now, MessageStatus::Pending, Some(Origin::App), None);
    let st = compute(&s.store, StatsQuery { account_id: Some(s.account), since: now - 24 * HOUR, until: now + 1 }).unwrap();
    assert_eq!((st.webhooks.accepted, st.webhooks.duplicate, st.webhooks.rejected, st.webhooks.failed), (7, 2, 3, 1), "{:?}", st.webhooks);
    assert_eq!((st.rate_limit_waits, st.queue_depth, st.pending), (4, 1, 1));
    let all = compute(&s.store, StatsQuery { account_id: None, since: now - 24 * HOUR, until: now + 1 }).unwrap();
    assert_eq!(all.webhooks.accepted, 107);
    // The daily maintenance keeps a year of hourly counters, no more.
    assert_eq!(wicket_core::store::hourly::prune(&conn, now - 2 * 24 * HOUR).unwrap(), 1, "the 3-day-old counter");
}
