//! The statistics view's command through the real handler (`tests.rs`'
//! harness) on the sample inbox, recorded as the browser tests' fixture
//! (`tests/ui/fixtures/stats.json`). The sample is pinned to `SAMPLE_NOW`,
//! months before the test runs, so the figures are asked for 400 days and
//! the recorded days are the three weeks up to the sample's "now".

use crate::tests::{golden, Harness, SAMPLE_NOW};
use serde_json::{json, Value};

/// The commands this file records fixtures for.
pub const STATS_COMMANDS: &[&str] = &["get_stats"];

#[test]
fn statistics_answer_through_ipc_and_record_the_ui_fixture() {
    let h = Harness::new();
    wicket_core::Store::open(&h.data_dir().join("wicket.db")).unwrap().set_setting("time_zone", &json!("Europe/London")).unwrap();
    let mut all = h.ok("get_stats", json!({ "account_id": null, "days": 400 }));
    assert!(all["received"].as_i64().unwrap() > 10, "the sample's customer messages: {all:#}");
    assert!(all["sent"].as_i64().unwrap() > 0 && all["delivery_rate"].is_number(), "{all:#}");
    assert!(all["median_first_reply_seconds"].is_number(), "the sample's owner answers customers: {all:#}");
    assert_eq!(all["time_zone"], json!("Europe/London"));
    assert_eq!(all["received_by_hour"].as_array().unwrap().len(), 24);
    let per_account = h.ok("get_stats", json!({ "account_id": 2, "days": 400 }));
    assert!(per_account["received"].as_i64() < all["received"].as_i64(), "one account is part of all");
    let refused = h.call("get_stats", json!({ "account_id": null, "days": 0 })).unwrap_err();
    assert_eq!(refused["code"], "invalid", "{refused}");

    // The three weeks up to the sample's "now", so the fixture does not change as days pass.
    let last = chrono::DateTime::from_timestamp_millis(SAMPLE_NOW).unwrap().date_naive();
    let first = last - chrono::Days::new(20);
    let days: Vec<Value> = all["per_day"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["day"].as_str().and_then(|s| s.parse::<chrono::NaiveDate>().ok()).is_some_and(|d| d >= first && d <= last))
        .cloned()
        .collect();
    assert_eq!(days.len(), 21);
    assert_eq!(days.iter().map(|d| d["received"].as_i64().unwrap()).sum::<i64>(), all["received"].as_i64().unwrap(), "every sample message falls in it");
    all["per_day"] = Value::Array(days);
    all["since"] = json!(format!("{first}T00:00:00.000Z"));
    all["until"] = json!(wicket_core::time::to_rfc3339(SAMPLE_NOW));
    let mut fx = serde_json::Map::new();
    fx.insert("get_stats".into(), all);
    fx.insert("get_stats_invalid".into(), refused);
    golden("tests/ui/fixtures/stats.json", &(serde_json::to_string_pretty(&Value::Object(fx)).unwrap() + "\n"));
}
