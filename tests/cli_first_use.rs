//! What a new user tripped over on the command line, each fixed and checked
//! with the real binary on a real data dir: every setting listed with its
//! default, unknown keys refused with the known ones, `send` answering in one
//! human line (JSON with `--json`), a local number's error naming the
//! default-country setting, the export saying it left the demo out, and a
//! new data dir announced.

#[path = "support/cli.rs"]
mod support;

use serde_json::json;
use support::{ok_json, stderr, Wicket};

const WICKET: Wicket = Wicket::vault("first use passphrase");

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn settings_list_every_setting_with_its_default_and_set_refuses_unknown_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let list = WICKET.run(dir, &["settings", "list"]);
    assert!(list.status.success(), "{}", stderr(&list));
    let text = stdout(&list);
    for key in ["default_country", "time_zone", "webhook_listen", "theme", "backup_keep", "opt_out_keywords"] {
        assert!(text.lines().any(|l| l.split_whitespace().take(2).eq([key, "default"])), "{key} listed with its default:\n{text}");
    }
    let json = ok_json(&WICKET.run(dir, &["settings", "list", "--json"]));
    assert_eq!(json["default_country"], json!("US"));
    assert_eq!(json["webhook_retention_days"], json!(30));

    let refused = WICKET.run(dir, &["settings", "set", "defualt_country", "GB"]);
    assert_eq!(refused.status.code(), Some(2));
    let said = stderr(&refused);
    assert!(said.contains("not a setting") && said.contains("default_country") && said.contains("time_zone"), "{said}");
    let refused = WICKET.run(dir, &["settings", "set", "theme", "blue"]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));

    assert!(WICKET.run(dir, &["settings", "set", "default_country", "GB"]).status.success());
    let text = stdout(&WICKET.run(dir, &["settings", "list"]));
    let line = text.lines().find(|l| l.starts_with("default_country")).unwrap();
    assert!(line.contains("\"GB\"") && line.split_whitespace().nth(1) == Some("set"), "{line}");
}

#[test]
fn send_prints_one_human_line_and_json_when_asked() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    assert!(WICKET.run(dir, &["account", "add", "demo"]).status.success());

    // A local number read with the default country (US) is refused, naming the setting to change.
    let refused = WICKET.run(dir, &["send", "--account", "1", "--to", "07911123456", "--text", "hi"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(stderr(&refused).contains("wicket settings set default_country"), "{}", stderr(&refused));

    assert!(WICKET.run(dir, &["settings", "set", "default_country", "GB"]).status.success());
    let human = WICKET.run(dir, &["send", "--account", "1", "--to", "07911123456", "--text", "Your order is ready", "--no-wait"]);
    assert!(human.status.success(), "{}", stderr(&human));
    let line = stdout(&human);
    assert_eq!(line.lines().count(), 1, "{line}");
    assert!(line.starts_with("Message ") && line.contains("queued"), "{line}");
    assert!(serde_json::from_str::<serde_json::Value>(&line).is_err(), "not JSON without --json: {line}");

    let sent = ok_json(&WICKET.run(dir, &["send", "--json", "--account", "1", "--to", "07911123456", "--text", "And the receipt", "--no-wait"]));
    assert_eq!(sent["status"], json!("pending"));
    assert_eq!(sent["text"], json!("And the receipt"));
}

#[test]
fn export_says_it_left_the_demo_out_and_a_new_data_dir_is_announced() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("not-yet");
    let first = WICKET.run(&dir, &["account", "add", "demo"]);
    assert!(first.status.success());
    assert!(stderr(&first).contains(&format!("created a new data dir at {}", dir.display())), "{}", stderr(&first));
    let again = WICKET.run(&dir, &["conversations"]);
    assert!(!stderr(&again).contains("created a new data dir"), "said once: {}", stderr(&again));

    let out = tmp.path().join("export.json");
    let export = WICKET.run(&dir, &["export", "--format", "json", "--out", out.to_str().unwrap()]);
    assert!(export.status.success(), "{}", stderr(&export));
    assert!(stderr(&export).contains("Not exported: the demo account"), "{}", stderr(&export));
    let json = ok_json(&WICKET.run(&dir, &["export", "--format", "json", "--out", out.to_str().unwrap(), "--json"]));
    assert_eq!(json["demo_left_out"], json!(true));
}
