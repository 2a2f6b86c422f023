//! `wicket snooze|unsnooze|remind|reminders` as processes on a real data dir
//! (each command a new process, so everything here survives a restart):
//! a snoozed chat leaves `wicket conversations` (listed by `--snoozed`, with
//! `snoozed_until` in the JSON), times read as `wicket send --at` reads them,
//! reminders listed soonest first and cancelled by id, usage errors exit 2
//! and unknown ids 3.

#[path = "support/cli.rs"]
mod support;

use serde_json::Value;
use support::{last_line, now_s, ok_json, stderr, Wicket};

const WICKET: Wicket = Wicket::vault("snooze and reminders passphrase");

fn ids(v: &Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_string()).collect()
}

fn rfc3339_in(secs: i64) -> String {
    wicket_core::time::to_rfc3339((now_s() + secs) * 1000)
}

#[test]
fn snooze_and_unsnooze_from_the_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    assert!(WICKET.run(&dir, &["account", "add", "demo"]).status.success());
    assert!(WICKET.run(&dir, &["settings", "set", "time_zone", "UTC"]).status.success());
    let all = ids(&ok_json(&WICKET.run(&dir, &["conversations", "--json"])));
    let conv = all[0].clone();

    let out = WICKET.run(&dir, &["snooze", &conv, "--until", "2099-01-02 09:30"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(last_line(&out).contains("snoozed until 2099-01-02T09:30:00"), "a local time in the owner's zone: {}", last_line(&out));
    let list = ok_json(&WICKET.run(&dir, &["conversations", "--json"]));
    assert!(!ids(&list).contains(&conv), "a snoozed chat leaves the list");
    assert!(list.as_array().unwrap().iter().all(|c| c["snoozed_until"].is_null()), "the others are not snoozed: {list}");
    let snoozed = ok_json(&WICKET.run(&dir, &["conversations", "--snoozed", "--json"]));
    assert_eq!(ids(&snoozed), vec![conv.clone()]);
    assert_eq!(snoozed[0]["snoozed_until"], "2099-01-02T09:30:00Z");
    assert!(String::from_utf8_lossy(&WICKET.run(&dir, &["conversations", "--snoozed"]).stdout).contains("SNOOZED UNTIL"));

    let past = WICKET.run(&dir, &["snooze", &all[1], "--until", &rfc3339_in(-60)]);
    assert_eq!(past.status.code(), Some(2), "a time that has passed is a usage error");
    assert!(stderr(&past).contains("has passed"), "{}", stderr(&past));
    let bad = WICKET.run(&dir, &["snooze", &all[1], "--until", "tomorrow-ish"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("cannot read the time"), "{}", stderr(&bad));
    assert_eq!(WICKET.run(&dir, &["snooze", "99999", "--until", "2099-01-02 09:30"]).status.code(), Some(3), "no such conversation");

    let back = ok_json(&WICKET.run(&dir, &["--json", "unsnooze", &conv]));
    assert!(back["snoozed_until"].is_null(), "{back}");
    assert_eq!(ids(&ok_json(&WICKET.run(&dir, &["conversations", "--json"]))), all, "back in its place");
    assert!(last_line(&WICKET.run(&dir, &["unsnooze", &conv])).contains("was not snoozed"));
}

#[test]
fn reminders_from_the_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    assert!(WICKET.run(&dir, &["account", "add", "demo"]).status.success());
    let convs = ids(&ok_json(&WICKET.run(&dir, &["conversations", "--json"])));
    let conv = convs[0].as_str();
    // A message of each of two chats.
    let msgs: Vec<String> =
        convs[..2].iter().map(|c| ok_json(&WICKET.run(&dir, &["messages", "--conversation", c, "--json"]))[0]["id"].as_str().unwrap().to_string()).collect();

    let later = ok_json(&WICKET.run(&dir, &["--json", "remind", &msgs[0], "--at", &rfc3339_in(7200), "--note", "ask about the invoice"]));
    let out = WICKET.run(&dir, &["remind", &msgs[1], "--at", &rfc3339_in(3600)]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(last_line(&out).starts_with("reminder "), "{}", last_line(&out));
    assert_eq!((later["note"].as_str(), later["conversation_id"].as_str(), later["due"].as_bool()), (Some("ask about the invoice"), Some(conv), Some(false)));

    let list = ok_json(&WICKET.run(&dir, &["reminders", "--json"]));
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!((list[0]["message_id"].as_str(), list[1]["id"].clone()), (Some(msgs[1].as_str()), later["id"].clone()), "the soonest first");
    assert!(list[0]["fired_at"].is_null() && list[0]["contact"].is_string());

    assert_eq!(WICKET.run(&dir, &["remind", &msgs[0], "--at", &rfc3339_in(-5)]).status.code(), Some(2), "a past time is refused");
    assert_eq!(WICKET.run(&dir, &["remind", "99999", "--at", &rfc3339_in(60)]).status.code(), Some(3), "no such message");

    let id = later["id"].as_str().unwrap();
    assert!(WICKET.run(&dir, &["reminders", "cancel", id]).status.success());
    assert_eq!(ids(&ok_json(&WICKET.run(&dir, &["reminders", "--json"]))).len(), 1);
    assert_eq!(WICKET.run(&dir, &["reminders", "cancel", id]).status.code(), Some(3), "a cancelled reminder is gone");
    let table = String::from_utf8_lossy(&WICKET.run(&dir, &["reminders"]).stdout).to_string();
    assert!(table.contains(&msgs[1]) && !table.contains("ask about the invoice"), "{table}");
}
