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
            Span {
                start: f[1].parse().unwrap(),
                end: f[2].parse().unwrap(),
                worker: f[3].into(),
            }
        })
        .collect()
}

#[test]
fn per_worker_resources_belong_to_the_position_not_the_thread() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_with_env(
        "reliability",
        &["--test-threads", "1", "position::"],
        &[("FIXTURE_RECORD_DIR", dir.path().to_str().unwrap())],
    );
    assert_eq!(out.code, 101, "{}", out.stdout);
    assert!(out
        .stdout
        .contains("test position::a_builds_then_hangs ... FAILED"));
    assert!(out
        .stdout
        .contains("test position::b_runs_on_the_new_thread ... ok"));
    // The replacement thread got the instance the timed-out one built; none was rebuilt.
    let seen = std::fs::read_to_string(dir.path().join("position")).unwrap();
    assert_eq!(seen, "0 1 master\n");
}

#[test]
fn a_hung_test_times_out_on_time_and_the_run_goes_on_at_full_width() {
    let dir = tempfile::tempdir().unwrap();
    crate::common::binary("reliability"); // built before the clock starts
    let started = Instant::now();
    let out = run_with_env(
        "reliability",
        &["--test-threads", "2", "hang::"],
        &[("FIXTURE_RECORD_DIR", dir.path().to_str().unwrap())],
    );
    let wall = started.elapsed();
    assert_eq!(out.code, 101);
    // 10 × 100 ms on 2 workers plus a 300 ms timeout: about 0.8 s, far from the hour it sleeps.
    assert!(
        wall < Duration::from_secs(5),
        "the run waited for the stuck thread: {wall:?}"
    );
    assert!(
        out.stdout.contains("test hang::forever ... FAILED"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("---- hang::forever stdout ----\nnote: test timed out after 300ms\n"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("10 passed; 1 failed"), "{}", out.stdout);
    let quick = spans(dir.path());
    assert_eq!(quick.len(), 10, "every other test completed");
    // Once the hang was cut off, two quick tests ran at once again: full width.
    let overlapping = quick.iter().any(|a| {
        quick
            .iter()
            .any(|b| a.worker != b.worker && a.start < b.end && b.start < a.end)
    });
    assert!(
        overlapping,
        "after the timeout the run went on at full width: {quick:?}"
    );
    assert!(
        quick
            .iter()
            .map(|s| s.worker.as_str())
            .collect::<std::collections::HashSet<_>>()
            .len()
            == 2
    );
}

#[test]
fn slow_tests_are_reported_at_each_multiple_with_their_worker() {
    let out = run_with_env(
        "reliability",
        &["--test-threads", "2", "--slow-timeout", "200ms", "slow::"],
        &[],
    );
    assert_eq!(out.code, 0, "{}", out.stdout);
    let warnings: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.contains("has been running for over"))
        .collect();
    assert!(warnings.len() >= 2, "{}", out.stdout);
    assert!(
        warnings[0].starts_with("test slow::sleeper has been running for over 0.2 seconds [gw"),
        "{warnings:?}"
    );
    assert!(warnings[1].contains("for over 0.4 seconds"), "{warnings:?}");
    let json = run_with_env(
        "reliability",
        &["--format", "json", "--slow-timeout", "200ms", "slow::"],
        &[],
    );
    let event = json
        .stdout
        .lines()
        .find(|l| l.contains(r#""event": "timeout""#))
        .expect("libtest's timeout event");
    let v: serde_json::Value = serde_json::from_str(event).unwrap();
    assert_eq!(v["name"], "slow::sleeper");
    // One worker: the open `test NAME ... ` line stays whole, as under libtest.
    let one = run_with_env(
        "reliability",
        &["--test-threads", "1", "--slow-timeout", "200ms", "slow::"],
        &[],
    );
    assert_eq!(one.code, 0, "{}", one.stdout);
    assert!(
        one.stdout.contains("test slow::sleeper ... ok\n")
            && !one.stdout.contains("has been running"),
        "{}",
        one.stdout
    );
}

#[test]
fn a_run_timeout_names_what_was_running_writes_the_reports_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    crate::common::binary("reliability"); // built before the clock starts
    let started = Instant::now();
    let out = run_with_env(
        "reliability",
        &[
            "--test-threads",
            "2",
            "--run-timeout",
            "500ms",
            "--junit",
            junit.to_str().unwrap(),
            "--format",
            "json",
            "stuck::",
        ],
        &[],
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the watchdog fired"
    );
    assert_eq!(out.code, 101);
    assert!(out.stderr.contains("partest: the run timed out after 500ms (--run-timeout); still running:\n    stuck::without_timeout on gw"), "{}", out.stderr);
    let failed = out
        .stdout
        .lines()
        .find(|l| l.contains(r#""event": "failed""#))
        .expect("the stuck test is reported");
    assert!(
        failed.contains("stuck::without_timeout")
            && failed.contains("still running when the run timed out after 500ms"),
        "{failed}"
    );
    let doc_text = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&doc_text).unwrap();
    let suite = doc
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .unwrap();
    assert_eq!(
        (suite.attribute("tests"), suite.attribute("failures")),
        (Some("2"), Some("1"))
    );
    // The warning reaches the machine-readable reports too.
    let system_err = suite
        .children()
        .find(|n| n.has_tag_name("system-err"))
        .and_then(|n| n.text())
        .unwrap_or_default();
    assert!(
        system_err.contains("the run timed out after 500ms (--run-timeout); still running:"),
        "{doc_text}"
    );
    let summary: serde_json::Value = out
        .stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .find(|e: &serde_json::Value| e["type"] == "suite" && e["event"] == "failed")
        .expect("a suite summary");
    assert!(
        summary["warnings"][0]
            .as_str()
            .is_some_and(|w| w.contains("stuck::without_timeout on gw")),
        "{summary}"
    );
}

fn records() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn a_test_that_passes_on_a_rerun_is_flaky_and_does_not_fail_the_run_unless_asked() {
    let dir = records();
    let env = [("FIXTURE_RECORD_DIR", dir.path().to_str().unwrap())];
    let out = run_with_env("reliability", &["--test-threads", "1", "flaky::once"], &env);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(
        out.stdout.contains("test flaky::once ... FLAKY\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("\n---- flaky::once stdout ----\n---- attempt 1 of 2 ----\nattempt 1\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("the first attempt fails"),
        "the failed attempt's message is kept: {}",
        out.stdout
    );
    assert!(
        out.stdout.contains("flaky: 1 test passed only on a rerun"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("test result: ok. 1 passed; 0 failed;"),
        "{}",
        out.stdout
    );
    let dir = records();
    let env = [("FIXTURE_RECORD_DIR", dir.path().to_str().unwrap())];
    let out = run_with_env("reliability", &["--fail-on-flaky", "flaky::once"], &env);
    assert_eq!(out.code, 101, "{}", out.stdout);
    assert!(out.stdout.contains("0 passed; 1 failed"), "{}", out.stdout);
    let dir = records();
    let env = [("FIXTURE_RECORD_DIR", dir.path().to_str().unwrap())];
    let json = run_with_env("reliability", &["--format", "json", "flaky::once"], &env);
    let ok = json
        .stdout
        .lines()
        .find(|l| l.contains(r#""event": "ok""#))
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(ok).unwrap();
    assert_eq!(
        (v["flaky"].as_bool(), v["attempt"].as_u64()),
        (Some(true), Some(2)),
        "{ok}"
    );
    assert!(v["earlier"][0]["stdout"]
        .as_str()
        .unwrap()
        .contains("the first attempt fails"));
}

#[test]
fn reruns_apply_to_every_test_and_failures_keep_every_attempt() {
    let dir = records();
    let junit = dir.path().join("junit.xml");
    let env = [("FIXTURE_RECORD_DIR", dir.path().to_str().unwrap())];
    let args = [
        "--reruns",
        "3",
        "--reruns-delay",
        "10ms",
        "--junit",
        junit.to_str().unwrap(),
        "--test-threads",
        "2",
        "flaky::t",
        "flaky::a",
    ];
    let out = run_with_env("reliability", &args, &env);
    assert_eq!(out.code, 101, "{}", out.stdout);
    assert!(
        out.stdout.contains("test flaky::twice ... FLAKY"),
        "--reruns 3 gives it the attempts it needs: {}",
        out.stdout
    );
    let block = out
        .stdout
        .split("---- flaky::always stdout ----\n")
        .nth(1)
        .unwrap();
    assert!(
        block.starts_with("---- attempt 1 of 2 ----\n"),
        "its own retries = 1 wins over --reruns 3: {block}"
    );
    assert_eq!(
        block.matches("broken for good").count(),
        2,
        "both attempts' panics are kept: {block}"
    );
    let text = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    let case = |name: &str| {
        doc.descendants()
            .find(|n| n.has_tag_name("testcase") && n.attribute("name") == Some(name))
            .unwrap()
    };
    assert_eq!(
        case("twice")
            .children()
            .filter(|c| c.has_tag_name("flakyFailure"))
            .count(),
        2
    );
    assert_eq!(
        case("always")
            .children()
            .filter(|c| c.has_tag_name("rerunFailure"))
            .count(),
        1
    );
    assert_eq!(
        case("always")
            .children()
            .filter(|c| c.has_tag_name("failure"))
            .count(),
        1
    );
}

#[test]
fn quarantined_tests_run_and_report_but_never_fail_the_run() {
    let config = tempfile::tempdir().unwrap();
    std::fs::write(
        config.path().join("partest.toml"),
        "quarantine = [\"known_broken\"]\n",
    )
    .unwrap();
    let env = [("CARGO_MANIFEST_DIR", config.path().to_str().unwrap())];
    let out = run_with_env("reliability", &["flaky::quarantined"], &env);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(
        out.stdout
            .contains("test flaky::quarantined ... FAILED (quarantined)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("known bug #123"),
        "its output is still shown: {}",
        out.stdout
    );
    assert!(out
        .stdout
        .contains("quarantined: 1 test failed without failing the run"));
    let out = run_with_env("reliability", &["flaky::quarantined"], &[]);
    assert_eq!(out.code, 101, "without the config it fails as usual");
}

#[test]
fn tests_crashing_at_once_on_three_workers_give_one_whole_report() {
    for round in 0..5 {
        let out = run_with_env(
            "reliability",
            &["--test-threads", "3", "crash_together::"],
            &[],
        );
        assert_ne!(out.code, 0);
        let headlines: Vec<&str> = out
            .stderr
            .lines()
            .filter(|l| l.starts_with("partest: the process "))
            .collect();
        assert_eq!(headlines.len(), 1, "round {round}: {}", out.stderr);
        let at = out.stderr.find(headlines[0]).unwrap() + headlines[0].len() + 1;
        let named: Vec<&str> = out.stderr[at..]
            .lines()
            .take_while(|l| l.starts_with("    "))
            .collect();
        // Each in-flight test once, on a line of its own, with a worker of the run.
        for test in ["aborts", "segfaults", "exits"] {
            let lines: Vec<&&str> = named
                .iter()
                .filter(|l| l.contains(&format!("crash_together::{test} ")))
                .collect();
            assert_eq!(lines.len(), 1, "round {round}: {test} in {named:?}");
            let worker = lines[0]
                .strip_prefix(&format!("    crash_together::{test} on gw"))
                .unwrap_or_else(|| panic!("round {round}: torn line {:?}", lines[0]));
            assert!(
                ["0", "1", "2"].contains(&worker),
                "round {round}: {worker:?}"
            );
        }
    }
}

#[test]
fn a_crashing_test_is_named_before_the_process_dies_and_rerun_first_by_lf() {
    for (culprit, headline) in [
        (
            "crash::aborts",
            "partest: the process aborted (SIGABRT) while running:\n",
        ),
        (
            "crash::segfaults",
            "partest: the process crashed (SIGSEGV) while running:\n",
        ),
        (
            "crash::exits",
            "partest: the process exited (std::process::exit?) while running:\n",
        ),
    ] {
        let history = tempfile::tempdir().unwrap();
        let env = [("PARTEST_HISTORY_DIR", history.path().to_str().unwrap())];
        let out = run_with_env(
            "reliability",
            &[
                "--test-threads",
                "2",
                "--exact",
                culprit,
                "crash::bystander",
            ],
            &env,
        );
        assert_ne!(out.code, 0, "{culprit}");
        let at = out
            .stderr
            .find(headline)
            .unwrap_or_else(|| panic!("{culprit}: {}", out.stderr));
        let named: Vec<&str> = out.stderr[at + headline.len()..]
            .lines()
            .take_while(|l| l.starts_with("    "))
            .collect();
        assert!(
            named
                .iter()
                .any(|l| l.starts_with(&format!("    {culprit} on gw"))),
            "{culprit}: {named:?}"
        );
        let listed = run_with_env(
            "reliability",
            &["--lf", "--list", "--format", "terse"],
            &env,
        );
        assert!(
            listed
                .stdout
                .lines()
                .any(|l| l == format!("{culprit}: test")),
            "{culprit} is rerun first by --lf: {}",
            listed.stdout
        );
    }
}

#[test]
fn misbehaving_tests_do_not_corrupt_other_results_or_the_summary() {
    let out = run_with_env("reliability", &["--test-threads", "1", "safety::"], &[]);
    assert_eq!(out.code, 101);
    let stdout = &out.stdout;
    // A test that replaced the panic hook: partest's goes back in front.
    let later = stdout
        .split("---- safety::b_panics_later stdout ----\n")
        .nth(1)
        .unwrap();
    assert!(
        later.starts_with("\nthread 'safety::b_panics_later'")
            && later.contains("attributed again"),
        "{later}"
    );
    assert!(
        stdout.contains("note: this test replaced the panic hook"),
        "{stdout}"
    );
    // 20 MiB of output: the block keeps its ends only.
    let big = stdout
        .split("---- safety::c_prints_a_lot stdout ----\n")
        .nth(1)
        .unwrap();
    let big = &big[..big.find("\n---- ").unwrap_or(big.len())];
    assert!(
        big.contains("bytes of output left out]") && big.len() < 9 << 20,
        "{} bytes",
        big.len()
    );
    assert!(
        big.contains("after 20 MiB"),
        "the panic report survives the cut"
    );
    // A thread panicking after its test returned: reported on stderr, nobody's failure.
    assert!(out.stderr.contains("LATE PANIC"), "{}", out.stderr);
    assert!(stdout.contains("test safety::d_leaves_a_panicking_thread ... ok"));
    assert!(stdout.contains("test safety::e_outlives_the_late_panic ... ok"));
    // A test that changed directory: put back (the next test sees the original) and said so.
    assert!(
        stdout.contains("test safety::g_sees_the_original_directory ... ok"),
        "{stdout}"
    );
    assert!(stdout.contains(
        "note: when `safety::f_changes_directory` ended the working directory was / instead of"
    ));
    // Also when the test deleted the directory it moved into.
    assert!(
        stdout.contains(
            "note: when `safety::f_moves_into_a_directory_and_deletes_it` ended the working \
             directory was a directory that no longer exists instead of"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("test result: FAILED. 5 passed; 3 failed;"),
        "{stdout}"
    );
}

#[test]
fn an_unwritable_history_is_one_warning_not_a_failure() {
    let file = tempfile::NamedTempFile::new().unwrap();
    // A regular file where the history directory should be: nothing can be created under it.
    let dir = file.path().join("history");
    let out = run_with_env(
        "reliability",
        &["--test-threads", "2", "hang::q"],
        &[("PARTEST_HISTORY_DIR", dir.to_str().unwrap())],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stderr
            .matches("warning: could not save partest's history")
            .count(),
        1,
        "{}",
        out.stderr
    );
    assert!(out.stdout.contains("10 passed"));
}
