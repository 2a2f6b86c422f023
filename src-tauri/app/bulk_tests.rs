//! The bulk screen's commands through the real handlers (`tests.rs`'
//! harness) on the sample inbox: a CSV checked row by row (a bad number, a
//! missing parameter, a duplicate), refused while a row is invalid, started
//! once fixed, released by the engine's step, followed (pause, resume, the
//! final report), a label's job cancelled. What they answer is recorded as
//! the browser tests' fixtures (`tests/ui/fixtures/bulk.json`), its times
//! moved to the sample's "now".

use crate::tests::{golden, Harness, SAMPLE_NOW};
use serde_json::{json, Value};
use wicket_core::error::{ErrorKind, ProviderError};
use wicket_core::model::MessageStatus;

/// The commands this file records fixtures for.
pub const BULK_COMMANDS: &[&str] = &["bulk_check", "bulk_start", "bulk_jobs", "bulk_job", "bulk_pause", "bulk_resume", "bulk_cancel"];

/// The CSV the browser test picks (tests/ui/fixtures/customers.csv): one bad number, one duplicate, one missing topic.
pub const CSV_WITH_ERRORS: &str = "phone,first_name,topic\n\
    +447911123101,Priya,the birthday cake\n\
    07911 123102,Tom,rye bread\n\
    not-a-number,Sam,croissants\n\
    +447911123103,Ann,gluten-free loaves\n\
    +44 7911 123101,Priya,the birthday cake\n\
    +447911123104,Li,\n";

/// The same once fixed (tests/ui/fixtures/customers-fixed.csv).
pub const CSV_FIXED: &str = "phone,first_name,topic\n\
    +447911123101,Priya,the birthday cake\n\
    07911 123102,Tom,rye bread\n\
    +447911123103,Ann,gluten-free loaves\n\
    +44 7911 123101,Priya,the birthday cake\n\
    +447911123104,Li,sourdough starter\n";

/// Pins the recorded times to the sample's clock: created five minutes before its "now", finished at it.
fn rebase(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, field) in map.iter_mut() {
                match (k.as_str(), field.as_i64()) {
                    ("created_at", Some(_)) => *field = json!(SAMPLE_NOW - 300_000),
                    ("finished_at", Some(_)) => *field = json!(SAMPLE_NOW),
                    _ => rebase(field),
                }
            }
        }
        Value::Array(list) => list.iter_mut().for_each(rebase),
        _ => {}
    }
}

#[test]
fn bulk_jobs_are_checked_started_followed_and_record_the_ui_fixtures() {
    let h = Harness::new();
    let mut fx = serde_json::Map::new();
    let now = wicket_core::time::now_ms();
    let args = |csv: &str| json!({ "account_id": 1, "csv": csv, "file_name": "customers.csv", "template": "follow_up", "language": "en_GB" });

    // The check: a row per recipient, the template's parameters by column.
    let report = h.ok("bulk_check", args(CSV_WITH_ERRORS));
    let outcomes: Vec<(i64, &str)> = report["rows"].as_array().unwrap().iter().map(|r| (r["row"].as_i64().unwrap(), r["outcome"].as_str().unwrap())).collect();
    assert_eq!(outcomes, [(2, "ok"), (3, "ok"), (4, "invalid"), (5, "ok"), (6, "skipped"), (7, "invalid")], "{report}");
    assert_eq!(report["parameters"], json!(["first_name", "topic"]));
    assert_eq!(report["columns"], json!(["phone", "first_name", "topic"]));
    assert_eq!(report["rows"][0]["preview"], "Hi Priya! We still have your question about the birthday cake. Reply here and we'll help.\n[Yes please]");
    assert!(report["rows"][5]["reason"].as_str().unwrap().contains("missing parameter \"topic\""), "{report}");
    fx.insert("bulk_check".into(), report);

    // A fixed value for a parameter, and a parameter read from a column of another name.
    let mapped = h.ok(
        "bulk_check",
        json!({ "account_id": 1, "csv": "phone,name\n+447911123101,Priya\n", "template": "follow_up", "language": "en_GB", "values": { "topic": "Easter orders" }, "columns": { "first_name": "name" } }),
    );
    assert_eq!(mapped["rows"][0]["preview"], "Hi Priya! We still have your question about Easter orders. Reply here and we'll help.\n[Yes please]");

    // Start with invalid rows: nothing is queued, the report says why.
    let refused = h.ok("bulk_start", args(CSV_WITH_ERRORS));
    assert!(refused["job"].is_null());
    assert!(refused["refused"].as_str().unwrap().contains("2 of 6 rows are invalid"), "{refused}");
    assert_eq!(h.ok("bulk_jobs", json!({})), json!([]), "no job stored");
    fx.insert("bulk_start_refused".into(), refused);

    // Fixed: it starts, and waits for the engine.
    let checked = h.ok("bulk_check", args(CSV_FIXED));
    assert_eq!((checked["ok"].as_i64(), checked["skipped"].as_i64(), checked["invalid"].as_i64()), (Some(4), Some(1), Some(0)));
    fx.insert("bulk_check_fixed".into(), checked);
    let mut started = h.ok("bulk_start", args(CSV_FIXED));
    let job = started["job"]["id"].as_i64().unwrap();
    assert_eq!((started["job"]["state"].as_str(), started["job"]["queued"].as_i64(), started["job"]["skipped"].as_i64()), (Some("running"), Some(4), Some(1)));
    assert_eq!(started["job"]["message"], "[template follow_up (en_GB)]");
    assert_eq!(started["job"]["source"], "file customers.csv");

    // The engine's step releases the rows into the outbox; the provider answers.
    let mut store = wicket_core::Store::open(&h.data_dir().join("wicket.db")).unwrap();
    assert_eq!(wicket_core::bulk::release_due(&mut store, 1, now).unwrap(), 4);
    let ids: Vec<i64> = {
        let mut stmt = store.conn().prepare("SELECT message_id FROM bulk_rows WHERE job_id = ?1 AND message_id IS NOT NULL ORDER BY row_no").unwrap();
        stmt.query_map([job], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    };
    assert_eq!(ids.len(), 4);
    store.set_message_status(ids[0], MessageStatus::Sent, None).unwrap();
    store.set_message_status(ids[1], MessageStatus::Sent, None).unwrap();
    let mut progress = vec![h.ok("bulk_job", json!({ "id": job }))];
    assert_eq!((progress[0]["sent"].as_i64(), progress[0]["queued"].as_i64()), (Some(2), Some(2)));

    let mut paused = h.ok("bulk_pause", json!({ "id": job }));
    assert_eq!(paused["state"], "paused");
    let twice = h.call("bulk_pause", json!({ "id": job })).unwrap_err();
    assert!(twice["message"].as_str().unwrap().contains("cannot be paused"), "{twice}");
    let mut resumed = h.ok("bulk_resume", json!({ "id": job }));
    assert_eq!(resumed["state"], "running");

    store.set_message_status(ids[0], MessageStatus::Read, None).unwrap();
    store.set_message_status(ids[1], MessageStatus::Delivered, None).unwrap();
    store.set_message_status(ids[2], MessageStatus::Sent, None).unwrap();
    let refusal =
        ProviderError { code: Some("131026".into()), kind: ErrorKind::InvalidRecipient, message: "this number is not on WhatsApp".into(), retry_after: None };
    store.set_message_status(ids[3], MessageStatus::Failed, Some(&refusal)).unwrap();
    wicket_core::bulk::release_due(&mut store, 1, now).unwrap();
    let done = h.ok("bulk_job", json!({ "id": job }));
    assert_eq!(done["state"], "done");
    assert_eq!(
        [done["sent"].as_i64(), done["delivered"].as_i64(), done["read"].as_i64(), done["failed"].as_i64(), done["skipped"].as_i64(), done["queued"].as_i64()],
        [Some(3), Some(2), Some(1), Some(1), Some(1), Some(0)]
    );
    assert_eq!(done["failed_reasons"], json!([{ "reason": "131026: this number is not on WhatsApp", "count": 1 }]));
    assert!(done["skipped_reasons"][0]["reason"].as_str().unwrap().starts_with("duplicate"), "{done}");
    assert!(done["finished_at"].is_i64());
    progress.push(done);

    // A label's job on the market stall's account, cancelled before the engine took any.
    let label = h.ok("bulk_check", json!({ "account_id": 2, "label": "market", "text": "The stall is closed this Saturday" }));
    assert_eq!(label["ok"], 1, "{label}");
    fx.insert("bulk_check_label".into(), label);
    let other = h.ok("bulk_start", json!({ "account_id": 2, "label": "market", "text": "The stall is closed this Saturday" }))["job"]["id"].as_i64().unwrap();
    let mut cancelled = h.ok("bulk_cancel", json!({ "id": other }));
    assert_eq!((cancelled["state"].as_str(), cancelled["skipped_reasons"][0]["reason"].as_str()), (Some("cancelled"), Some("cancelled")));
    assert_eq!(h.call("bulk_resume", json!({ "id": other })).unwrap_err()["code"], "invalid");
    assert_eq!(h.call("bulk_job", json!({ "id": 999 })).unwrap_err()["code"], "not_found");
    let mut jobs = h.ok("bulk_jobs", json!({}));
    assert_eq!(jobs.as_array().unwrap().iter().map(|j| j["id"].as_i64().unwrap()).collect::<Vec<_>>(), [other, job], "newest first");

    for v in [&mut started, &mut paused, &mut resumed, &mut cancelled, &mut jobs] {
        rebase(v);
    }
    progress.iter_mut().for_each(rebase);
    fx.insert("bulk_start".into(), started);
    fx.insert("bulk_job".into(), Value::Array(progress));
    fx.insert("bulk_pause".into(), paused);
    fx.insert("bulk_pause_twice".into(), twice);
    fx.insert("bulk_resume".into(), resumed);
    fx.insert("bulk_cancel".into(), cancelled);
    fx.insert("bulk_jobs".into(), jobs);
    golden("tests/ui/fixtures/bulk.json", &(serde_json::to_string_pretty(&Value::Object(fx)).unwrap() + "\n"));
    golden("tests/ui/fixtures/customers.csv", CSV_WITH_ERRORS);
    golden("tests/ui/fixtures/customers-fixed.csv", CSV_FIXED);
}
