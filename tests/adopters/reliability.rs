//! Bad tests, checked from the outside: hangs are named and cut off on time while the
//! rest of the run goes on at full width, slow tests are reported, a run timeout ends a
//! stuck run with its reports written.

use crate::common::run_with_env;
use std::time::{Duration, Instant};

#[derive(Debug)]
struct Span {
    start: u128,
    end: u128,
    worker: String,
}

fn spans(dir: &std::path::Path) -> Vec<Span> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
            let f: Vec<&str> = text.split_whitespace().collect();
            Span { start: f[1].parse().unwrap(), end: f[2].parse().unwrap(), worker: f[3].into() }
        })
        .collect()
}

#[test]
fn a_hung_test_times_out_on_time_and_the_run_goes_on_at_full_width() {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let out = run_with_env("reliability", &["--test-threads", "2", "hang::"], &[("PARTEST_RECORD_DIR", dir.path().to_str().unwrap())]);
    let wall = started.elapsed();
    assert_eq!(out.code, 101);
    // 10 × 100 ms on 2 workers plus a 300 ms timeout: about 0.8 s, far from the hour it sleeps.
    assert!(wall < Duration::from_secs(5), "the run waited for the stuck thread: {wall:?}");
    assert!(out.stdout.contains("test hang::forever ... FAILED"), "{}", out.stdout);
    assert!(out.stdout.contains("---- hang::forever stdout ----\nnote: test timed out after 300ms\n"), "{}", out.stdout);
    assert!(out.stdout.contains("10 passed; 1 failed"), "{}", out.stdout);
    let quick = spans(dir.path());
    assert_eq!(quick.len(), 10, "every other test completed");
    // Once the hang was cut off, two quick tests ran at once again: full width.
    let overlapping = quick.iter().any(|a| quick.iter().any(|b| a.worker != b.worker && a.start < b.end && b.start < a.end));
    assert!(overlapping, "after the timeout the run went on at full width: {quick:?}");
    assert!(quick.iter().map(|s| s.worker.as_str()).collect::<std::collections::HashSet<_>>().len() == 2);
}

#[test]
fn slow_tests_are_reported_at_each_multiple_with_their_worker() {
    let out = run_with_env("reliability", &["--test-threads", "2", "--slow-timeout", "200ms", "slow::"], &[]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    let warnings: Vec<&str> = out.stdout.lines().filter(|l| l.contains("has been running for over")).collect();
    assert!(warnings.len() >= 2, "{}", out.stdout);
    assert!(warnings[0].starts_with("test slow::sleeper has been running for over 0.2 seconds [gw"), "{warnings:?}");
    assert!(warnings[1].contains("for over 0.4 seconds"), "{warnings:?}");
    let json = run_with_env("reliability", &["--format", "json", "--slow-timeout", "200ms", "slow::"], &[]);
    let event = json.stdout.lines().find(|l| l.contains(r#""event": "timeout""#)).expect("libtest's timeout event");
    let v: serde_json::Value = serde_json::from_str(event).unwrap();
    assert_eq!(v["name"], "slow::sleeper");
}

#[test]
fn a_run_timeout_names_what_was_running_writes_the_reports_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    let started = Instant::now();
    let out = run_with_env(
        "reliability",
        &["--test-threads", "2", "--run-timeout", "500ms", "--junit", junit.to_str().unwrap(), "--format", "json", "stuck::"],
        &[],
    );
    assert!(started.elapsed() < Duration::from_secs(5), "the watchdog fired");
    assert_eq!(out.code, 101);
    assert!(out.stderr.contains("partest: the run timed out after 500ms (--run-timeout); still running:\n    stuck::without_timeout on gw"), "{}", out.stderr);
    let failed = out.stdout.lines().find(|l| l.contains(r#""event": "failed""#)).expect("the stuck test is reported");
    assert!(failed.contains("stuck::without_timeout") && failed.contains("still running when the run timed out after 500ms"), "{failed}");
    let doc_text = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&doc_text).unwrap();
    let suite = doc.descendants().find(|n| n.has_tag_name("testsuite")).unwrap();
    assert_eq!((suite.attribute("tests"), suite.attribute("failures")), (Some("2"), Some("1")));
}
