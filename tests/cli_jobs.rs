//! `wicket jobs` as a process: every background job listed before any ran,
//! a manual template sync recorded as a run of the template sync job, and
//! `wicket serve` running the template sync, the retry job and the daily
//! maintenance by itself (each with its outcome), in JSON and as a table.

#[path = "support/cli.rs"]
mod support;

use serde_json::Value;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use support::{last_line, ok_json, stderr, wait_until, Wicket};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const PNID: &str = "318273645501234";
const WICKET: Wicket = Wicket::vault("jobs passphrase").vars(&[
    ("T_TOKEN", "EAAG-test-access-token-0123456789abcdef"),
    ("T_SECRET", "app-secret-5f1e2d3c4b5a69788796a5b4"),
    ("T_VERIFY", "verify-token-abc123xyz"),
]);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wicket_jobs_lists_every_job_and_each_run() {
    let graph = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/v23.0/{PNID}")))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"display_phone_number": "+1 555-010-2030", "verified_name": "Camden", "id": PNID})),
        )
        .mount(&graph)
        .await;
    let templates = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/meta/meta_templates_page2.json")).unwrap();
    Mock::given(method("GET"))
        .and(path("/v23.0/WABA1/message_templates"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(templates))
        .mount(&graph)
        .await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let uri = graph.uri();
    tokio::task::spawn_blocking(move || jobs_round_trip(&dir, &uri)).await.unwrap();
}

fn jobs(dir: &Path) -> Vec<Value> {
    ok_json(&WICKET.run(dir, &["jobs", "--json"])).as_array().unwrap().clone()
}

fn job(list: &[Value], name: &str) -> Value {
    list.iter().find(|j| j["name"] == name).unwrap_or_else(|| panic!("{name} in {list:?}")).clone()
}

fn jobs_round_trip(dir: &Path, graph: &str) {
    let out = WICKET.add_meta(dir, "Camden", PNID, "WABA1", graph);
    assert!(out.status.success(), "account add failed: {}", stderr(&out));
    let account = last_line(&out);
    assert!(WICKET.run(dir, &["account", "add", "demo"]).status.success());

    let list = jobs(dir);
    let names: Vec<&str> = list.iter().map(|j| j["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["maintenance", "retry_failed", "backup", "template_sync", "media_downloads", "contact_sync", "media_downloads"]);
    assert_eq!(
        (job(&list, "backup")["enabled"].as_bool(), job(&list, "backup")["every_seconds"].as_i64()),
        (Some(false), Some(86_400)),
        "off until turned on, daily"
    );
    assert!(list.iter().all(|j| j["result"] == "never" && j["last_run_at"].is_null()), "{list:?}");
    assert_eq!(job(&list, "template_sync")["every_seconds"], 6 * 3600);
    assert_eq!(job(&list, "retry_failed")["every_seconds"], 30 * 60);
    assert_eq!(job(&list, "template_sync")["account_name"], "Camden");

    // A manual sync is a run of the job too.
    let synced = ok_json(&WICKET.run(dir, &["templates", "--account", &account, "--sync", "--json"]));
    let count = synced.as_array().unwrap().len();
    let sync = job(&jobs(dir), "template_sync");
    assert_eq!(sync["result"], "ok");
    assert_eq!(sync["summary"], format!("{count} template(s)"));
    assert_eq!(sync["runs"], 1);
    assert!(sync["next_run_at"].is_string() && sync["duration_ms"].is_i64());

    // The engine runs the due jobs by itself.
    let serve = WICKET.serve(dir, &[], Stdio::null()).drained();
    wait_until("the retry job and the maintenance ran", Duration::from_secs(30), || {
        let list = jobs(dir);
        job(&list, "retry_failed")["result"] == "ok" && job(&list, "maintenance")["result"] == "ok"
    });
    drop(serve);
    let list = jobs(dir);
    assert_eq!(job(&list, "retry_failed")["summary"], "nothing to retry");
    assert!(job(&list, "maintenance")["summary"].as_str().unwrap().contains("raw webhook bodies past 30 days pruned"));
    assert_eq!(job(&list, "template_sync")["runs"], 1, "synced moments ago: not due again");

    let table = String::from_utf8_lossy(&WICKET.run(dir, &["jobs"]).stdout).to_string();
    for needle in ["JOB", "LAST RUN", "template_sync", "30 min", "6 h", "ok: nothing to retry", "Camden"] {
        assert!(table.contains(needle), "{needle:?} in\n{table}");
    }
}
