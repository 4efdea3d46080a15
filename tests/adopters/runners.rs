//! Other drivers of test binaries: nextest and rust-analyzer's single-test command.

use crate::common::{cargo, run, run_with_env};

#[test]
fn rust_analyzer_single_test_command_runs_exactly_that_test() {
    // What rust-analyzer's "Run Test" passes after `--`.
    let out = run(
        "integration",
        &["math::mul", "--exact", "--nocapture", "--include-ignored"],
    );
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(
        out.stdout
            .contains("running 1 test\ntest math::mul ... ok\n"),
        "{}",
        out.stdout
    );
    assert!(out
        .stdout
        .contains("1 passed; 0 failed; 0 ignored; 0 measured; 15 filtered out"));
    // An ignored test runs too.
    let out = run(
        "integration",
        &["gpu", "--exact", "--nocapture", "--include-ignored"],
    );
    assert!(out.stdout.contains("test gpu ... ok"), "{}", out.stdout);
}

#[test]
fn nextest_style_single_test_process_takes_identity_from_nextest() {
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("FIXTURE_RECORD_DIR", dir.path().to_str().unwrap()),
        ("NEXTEST_RUN_ID", "3f1e5c1a-run"),
        ("NEXTEST_TEST_GLOBAL_SLOT", "5"),
        ("NEXTEST_EXECUTION_MODE", "process-per-test"),
    ];
    let out = run_with_env("timing", &["--exact", "sleep_3", "--nocapture"], &env);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let line = std::fs::read_to_string(dir.path().join("sleep_3")).unwrap();
    let fields: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(fields[3], "gw5");
    assert_eq!(fields[5], "3f1e5c1a-run");
}

#[test]
fn cargo_nextest_lists_and_runs_the_suite() {
    if !crate::common::nextest_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = cargo()
        .args([
            "nextest",
            "run",
            "--no-fail-fast",
            "-p",
            "adopter-suite",
            "--test",
            "timing",
            "--test",
            "integration",
        ])
        .env("FIXTURE_RECORD_DIR", dir.path())
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The fixture suite fails on purpose: 6 failing tests, the rest pass, 2 skipped (ignored).
    assert!(
        stderr.contains("20 tests run: 14 passed, 6 failed, 2 skipped"),
        "{stderr}"
    );
    for name in [
        "integration fails",
        "integration nopanic",
        "integration parses_bad",
        "integration rejects_wrong",
    ] {
        assert!(
            stderr.contains(name),
            "nextest did not report {name}: {stderr}"
        );
    }
    let mut slots = Vec::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let line = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let fields: Vec<String> = line.split_whitespace().map(str::to_owned).collect();
        assert!(
            fields[3].starts_with("gw"),
            "worker id under nextest: {line}"
        );
        slots.push(fields[5].clone());
    }
    assert_eq!(slots.len(), 6);
    assert!(
        slots.windows(2).all(|w| w[0] == w[1]),
        "one run id for the whole nextest run"
    );
}
