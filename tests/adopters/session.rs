//! One run session serves a partest binary and `cargo partest`: the end-of-run notes
//! (`--durations`, `--measure`) and `--logfile` come out of both, and under `cargo partest`
//! they cover every binary's tests.

use crate::common;
use crate::workspace::cargo_partest_packages;

/// The `--durations` block's test lines (`    12.3ms  name`): the names listed.
fn slowest(stdout: &str) -> Vec<String> {
    let after = stdout.split("slowest ").nth(1).unwrap_or_default();
    after
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with("    "))
        .map(|l| l.split_whitespace().last().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn cargo_partest_gives_the_notes_and_the_log_a_binary_gives() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("run.log");
    let record = tempfile::tempdir().unwrap();
    let harness = [
        "--test-threads",
        "4",
        "s0",
        "a_long",
        "--durations",
        "3",
        "--measure",
        "--logfile",
        log.to_str().unwrap(),
    ];
    let (out, _) = cargo_partest_packages(&["multi"], &harness, record.path(), &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    // The three binaries' 2 s tests are the slowest of the run (the others take 100 ms).
    assert_eq!(slowest(&stdout), ["a_long"; 3], "{stdout}");
    let measure = stdout.lines().find(|l| l.starts_with("measure: wall "));
    let measure = measure.unwrap_or_else(|| panic!("no --measure note:\n{stdout}"));
    for worker in ["gw0", "gw1", "gw2", "gw3"] {
        assert!(measure.contains(worker), "{measure}");
    }
    // The log holds each binary's 11 results once.
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 33, "{text}");
    assert!(lines.iter().all(|l| l.starts_with("ok ")), "{text}");
    let mut unique = lines.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), 11, "the binaries' tests share names: {text}");
    assert!(
        !stderr.contains("not written under cargo partest"),
        "{stderr}"
    );
}

#[test]
fn a_binary_alone_gives_the_same_notes() {
    let record = tempfile::tempdir().unwrap();
    let dir = record.path().to_str().unwrap();
    let out = common::run_with_env(
        "alpha",
        &[
            "--test-threads",
            "4",
            "s0",
            "a_long",
            "--durations",
            "1",
            "--measure",
        ],
        &[("FIXTURE_RECORD_DIR", dir)],
    );
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(slowest(&out.stdout), ["a_long"], "{}", out.stdout);
    assert!(out.stdout.contains("\nmeasure: wall "), "{}", out.stdout);
}

#[test]
fn under_cargo_partest_a_warning_reaches_the_json_summary() {
    let record = tempfile::tempdir().unwrap();
    let harness = [
        "--test-threads",
        "2",
        "s0",
        "a_long",
        "--run-timeout",
        "1s",
        "-Zunstable-options",
        "--format",
        "json",
    ];
    let (out, _) = cargo_partest_packages(&["multi"], &harness, record.path(), &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(101), "{stdout}");
    let summaries: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .filter(|e: &serde_json::Value| e["type"] == "suite" && e["event"] != "started")
        .collect();
    assert_eq!(summaries.len(), 3, "{stdout}");
    let warned: Vec<&serde_json::Value> = summaries
        .iter()
        .filter_map(|s| s["warnings"].as_array())
        .flatten()
        .collect();
    assert_eq!(warned.len(), 1, "{stdout}");
    assert!(
        warned[0].as_str().unwrap().contains("run-timeout"),
        "{warned:?}"
    );
}
