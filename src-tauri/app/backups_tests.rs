//! Settings → Backups and the contact panel's customer data requests through
//! the real handlers (`tests.rs`' harness) on the sample inbox: the schedule
//! saved, a backup made now and listed, a restore refused without the
//! confirmation and with a wrong passphrase, then confirmed; one customer
//! exported and erased. What they answer is recorded as the browser tests'
//! fixtures (`tests/ui/fixtures/backups.json`), with this run's folder and
//! times replaced by fixed ones.

use crate::tests::{golden, Harness, SAMPLE_NOW};
use serde_json::{json, Value};

/// The commands this file records fixtures for.
pub const BACKUP_COMMANDS: &[&str] = &["backup_status", "backup_set_schedule", "backup_create", "backup_restore", "contact_export", "contact_erase"];

const PASS: &str = "copper lantern orbit meadow";
const FIXED_ROOT: &str = "/home/sam/.local/share/app.wicket.inbox";

/// This run's data dir and clock out of an answer, so the fixture is the same on every run.
fn fixed(v: &Value, root: &str) -> Value {
    let text = v.to_string().replace(root, FIXED_ROOT);
    let mut v: Value = serde_json::from_str(&text).unwrap();
    pin_times(&mut v);
    v
}

fn pin_times(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, field) in map.iter_mut() {
                if (k == "created_at" || k == "backup_created_at") && field.is_string() {
                    *field = json!(wicket_core::time::to_rfc3339(SAMPLE_NOW));
                } else if k == "name" && field.as_str().is_some_and(|n| n.starts_with("wicket-backup-")) {
                    *field = json!("wicket-backup-20260311-091500.wbk");
                } else if k == "path" && field.as_str().is_some_and(|n| n.contains("/backups/wicket-backup-")) {
                    *field = json!(format!("{FIXED_ROOT}/backups/wicket-backup-20260311-091500.wbk"));
                } else if k == "size" {
                    *field = json!(48213);
                } else {
                    pin_times(field);
                }
            }
        }
        Value::Array(list) => list.iter_mut().for_each(pin_times),
        _ => {}
    }
}

#[test]
fn backups_and_customer_data_requests_answer_through_ipc_and_record_the_ui_fixtures() {
    let h = Harness::new();
    let root = h.data_dir().display().to_string();
    let mut fx = serde_json::Map::new();

    let first = h.ok("backup_status", Value::Null);
    assert_eq!((first["enabled"].as_bool(), first["backups"].as_array().map(Vec::len)), (Some(false), Some(0)), "{first:#}");
    assert_eq!(first["folder"].as_str(), Some(format!("{root}/backups").as_str()));
    fx.insert("backup_status_off".into(), fixed(&first, &root));
    let bad = h.call("backup_set_schedule", json!({ "enabled": true, "folder": "", "keep": 0, "every_hours": 24, "with_secrets": false })).unwrap_err();
    assert_eq!(bad["code"], "invalid", "{bad}");
    let on = h.ok("backup_set_schedule", json!({ "enabled": true, "folder": "", "keep": 7, "every_hours": 24, "with_secrets": false }));
    assert_eq!((on["enabled"].as_bool(), on["keep"].as_i64()), (Some(true), Some(7)));
    fx.insert("backup_set_schedule".into(), fixed(&on, &root));

    let conversations = h.ok("list_conversations", json!({ "filter": "all" })).as_array().unwrap().len();
    let created = h.ok("backup_create", json!({ "out": "", "passphrase": PASS, "with_secrets": false }));
    let messages = created["counts"]["messages"].as_i64().unwrap();
    assert!(messages > 10 && created["counts"]["secrets"] == json!(0), "{created:#}");
    fx.insert("backup_create".into(), fixed(&created, &root));
    let listed = h.ok("backup_status", Value::Null);
    assert_eq!(listed["backups"][0]["path"], created["path"], "{listed:#}");
    fx.insert("backup_status".into(), fixed(&listed, &root));

    let file = created["path"].as_str().unwrap();
    let unconfirmed = h.call("backup_restore", json!({ "file": file, "passphrase": PASS, "force": false })).unwrap_err();
    assert_eq!(unconfirmed["code"], "invalid", "{unconfirmed}");
    assert!(unconfirmed["message"].as_str().unwrap().contains(&format!("already has {messages} messages")), "{unconfirmed}");
    fx.insert("backup_restore_needs_confirmation".into(), fixed(&unconfirmed, &root));
    let wrong = h.call("backup_restore", json!({ "file": file, "passphrase": "not it", "force": true })).unwrap_err();
    assert!(wrong["message"].as_str().unwrap().contains("passphrase does not open this backup"), "{wrong}");
    fx.insert("backup_restore_wrong_passphrase".into(), fixed(&wrong, &root));

    // Erase one customer, then bring them back from the backup.
    let all = h.ok("list_conversations", json!({ "filter": "all" }));
    let customer = all.as_array().unwrap().iter().find(|c| c["is_group"] == json!(false)).unwrap().clone();
    let zip = format!("{root}/customer.zip");
    let exported = h.ok("contact_export", json!({ "contact_id": customer["contact_id"], "out": zip }));
    assert!(exported["messages"].as_i64().unwrap() > 0, "{exported:#}");
    assert!(std::fs::read(&zip).unwrap().starts_with(b"PK\x03\x04"));
    fx.insert("contact_export".into(), fixed(&exported, &root));
    let erased = h.ok("contact_erase", json!({ "contact_id": customer["contact_id"] }));
    assert_eq!(
        (erased["contacts"].as_i64(), erased["messages"].clone(), erased["wal_cleared"].as_bool()),
        (Some(1), exported["messages"].clone(), Some(true)),
        "{erased:#}"
    );
    fx.insert("contact_erase".into(), fixed(&erased, &root));
    assert_eq!(h.ok("list_conversations", json!({ "filter": "all" })).as_array().unwrap().len(), conversations - 1);
    let gone = h.call("contact_export", json!({ "contact_id": customer["contact_id"], "out": zip })).unwrap_err();
    assert_eq!(gone["code"], "not_found", "{gone}");

    let restored = h.ok("backup_restore", json!({ "file": file, "passphrase": PASS, "force": true }));
    assert_eq!(restored["restored"]["messages"].as_i64(), Some(messages), "{restored:#}");
    assert_eq!(restored["replaced_messages"].as_i64(), Some(messages - exported["messages"].as_i64().unwrap()));
    assert_eq!(h.ok("list_conversations", json!({ "filter": "all" })).as_array().unwrap().len(), conversations, "the customer is back");
    fx.insert("backup_restore".into(), fixed(&restored, &root));

    golden("tests/ui/fixtures/backups.json", &(serde_json::to_string_pretty(&Value::Object(fx)).unwrap() + "\n"));
}
