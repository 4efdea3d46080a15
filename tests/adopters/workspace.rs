//! `cargo partest` on a workspace fixture with three partest binaries (each with one 2 s
//! test, short ones, a serial one and redis_isolated ones) and a plain libtest binary,
//! checked from the instants the tests record: one budget for all binaries, no serial
//! test overlapping any test of any binary, no leased index held twice at once, a
//! failure named with its binary — and the same invariants under a plain
//! `cargo nextest run`.

use crate::common::{cargo, fixtures_dir, fixtures_target, nextest_available};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// One test's recorded span (see the fixture's `common::work`).
#[derive(Debug)]
pub struct Span {
    pub binary: String,
    pub name: String,
    pub start: u128,
    pub end: u128,
    pub redis: Option<u32>,
}

/// The spans the tests recorded in `dir`.
pub fn spans(dir: &Path) -> Vec<Span> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
            let f: Vec<&str> = text.split_whitespace().collect();
            Span {
                binary: f[0].into(),
                name: f[1].into(),
                start: f[2].parse().unwrap(),
                end: f[3].parse().unwrap(),
                redis: f[5].parse().ok(),
            }
        })
        .collect()
}

/// The `cargo-partest` binary, built into the fixtures' target dir.
pub fn cargo_partest() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let status = cargo()
            .args(["build", "-p", "cargo-partest", "--manifest-path"])
            .arg(root.join("Cargo.toml"))
            .status()
            .unwrap();
        assert!(status.success(), "cargo-partest did not build");
        // The fixture's test binaries too, so that runs below time the run, not the build.
        let status = cargo()
            .args(["test", "-p", "multi", "-p", "keeper", "--no-run"])
            .status()
            .unwrap();
        assert!(status.success(), "the fixture did not build");
        fixtures_target().join("debug").join("cargo-partest")
    })
}

/// `cargo partest -p multi -- HARNESS` in the fixture workspace, recording into `dir`.
fn cargo_partest_run(harness: &[&str], dir: &Path, env: &[(&str, &str)]) -> (Output, Duration) {
    cargo_partest_packages(&["multi"], harness, dir, env)
}

/// `cargo partest -p P… -- HARNESS` in the fixture workspace, recording into `dir`.
pub fn cargo_partest_packages(
    packages: &[&str],
    harness: &[&str],
    dir: &Path,
    env: &[(&str, &str)],
) -> (Output, Duration) {
    let bin = cargo_partest();
    let mut cmd = Command::new(bin);
    cmd.arg("partest");
    for package in packages {
        cmd.args(["-p", package]);
    }
    cmd.arg("--")
        .args(harness)
        .current_dir(fixtures_dir())
        .env("CARGO_TARGET_DIR", fixtures_target())
        .env("FIXTURE_RECORD_DIR", dir)
        .env("RUST_BACKTRACE", "0")
        .envs(env.iter().copied());
    for (key, _) in std::env::vars() {
        if key.starts_with("NEXTEST") || key.starts_with("RUST_TEST") {
            cmd.env_remove(key);
        }
    }
    let started = Instant::now();
    let out = cmd.output().unwrap();
    (out, started.elapsed())
}

/// Whether two spans overlap in time.
pub fn overlap(a: &Span, b: &Span) -> bool {
    a.start < b.end && b.start < a.end
}

/// No serial test overlaps any other test; no index is leased twice at once.
fn check_run_wide(spans: &[Span], what: &str) {
    for serial in spans.iter().filter(|s| s.name == "serial_one") {
        for other in spans.iter().filter(|o| !std::ptr::eq(*o, serial)) {
            assert!(
                !overlap(serial, other),
                "{what}: {}::{} overlapped the serial test of {}",
                other.binary,
                other.name,
                serial.binary
            );
        }
    }
    let leased: Vec<&Span> = spans.iter().filter(|s| s.redis.is_some()).collect();
    assert_eq!(leased.len(), 12, "{what}: {leased:?}");
    no_database_held_twice(&leased, what);
}

/// No two of `leased` held one database at once.
pub fn no_database_held_twice(leased: &[&Span], what: &str) {
    for (i, a) in leased.iter().enumerate() {
        for b in &leased[i + 1..] {
            assert!(
                a.redis != b.redis || !overlap(a, b),
                "{what}: {}::{} and {}::{} held database {:?} at once",
                a.binary,
                a.name,
                b.binary,
                b.name,
                a.redis
            );
        }
    }
}

/// Σserial + max(Σrest / workers, longest): no schedule of these spans is shorter.
fn lower_bound(spans: &[Span], workers: u128) -> u128 {
    let length = |s: &Span| s.end - s.start;
    let serial: u128 = spans
        .iter()
        .filter(|s| s.name == "serial_one")
        .map(length)
        .sum();
    let rest: Vec<u128> = spans
        .iter()
        .filter(|s| s.name != "serial_one")
        .map(length)
        .collect();
    serial + (rest.iter().sum::<u128>() / workers).max(rest.iter().copied().max().unwrap_or(0))
}

#[test]
fn one_budget_and_run_wide_constraints_across_three_binaries() {
    // A first run records the durations the second one schedules by (longest first).
    let warm = tempfile::tempdir().unwrap();
    let (out, _) = cargo_partest_run(&["--test-threads", "4"], warm.path(), &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let dir = tempfile::tempdir().unwrap();
    let (out, wall) = cargo_partest_run(&["--test-threads", "4"], dir.path(), &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    // Per binary, like cargo test: each binary's block in cargo's order.
    let order: Vec<usize> = [
        "tests/alpha.rs",
        "tests/beta.rs",
        "tests/gamma.rs",
        "tests/plain.rs",
    ]
    .iter()
    .map(|b| {
        stderr
            .find(&format!("Running {b} ("))
            .unwrap_or_else(|| panic!("{b}: {stderr}"))
    })
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{stderr}");
    assert_eq!(
        stdout
            .matches("test result: ok. 23 passed; 0 failed")
            .count(),
        3,
        "{stdout}"
    );
    // The plain libtest binary ran whole; its own report is its block.
    assert!(
        stdout.contains("test adds ... ok") && stdout.contains("test result: ok. 2 passed"),
        "{stdout}"
    );

    let spans = spans(dir.path());
    assert_eq!(spans.len(), 69, "every test of the three binaries ran once");
    check_run_wide(&spans, "cargo partest");
    let bound = lower_bound(&spans, 4);
    let first = spans.iter().map(|s| s.start).min().unwrap();
    let last = spans.iter().map(|s| s.end).max().unwrap();
    // The tests' own span is the schedule; the command adds process start-ups and
    // cargo's no-op build check.
    let makespan = last - first;
    assert!(
        makespan * 100 <= bound * 120,
        "makespan {makespan} ns against the lower bound {bound} ns"
    );
    assert!(
        wall.as_nanos() * 100 <= bound * 150,
        "the command took {wall:?} against the lower bound {bound} ns"
    );
}

#[test]
fn a_failure_in_one_binary_fails_the_run_and_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let (out, _) = cargo_partest_run(
        &["--test-threads", "4", "fails_on_request"],
        dir.path(),
        &[("MULTI_FAIL", "beta")],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(101), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("test fails_on_request ... FAILED"),
        "{stdout}"
    );
    assert!(stdout.contains("failing as MULTI_FAIL asks"), "{stdout}");
    let verdict = stderr
        .lines()
        .find(|l| l.starts_with("error: test failed in "))
        .unwrap_or_else(|| panic!("no verdict line: {stderr}"));
    assert!(verdict.contains("tests/beta.rs ("), "{verdict}");
    assert!(
        !verdict.contains("alpha") && !verdict.contains("gamma"),
        "{verdict}"
    );
    assert_eq!(
        stdout.matches("test result: ok. 1 passed").count(),
        2,
        "{stdout}"
    );
}

#[test]
fn bad_harness_options_are_an_error_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let (out, _) = cargo_partest_run(&["-m", "serial and ("], dir.path(), &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(101), "{stderr}");
    assert!(
        stderr.contains("error: invalid -m expression `serial and (`"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "tests ran"
    );
}

#[test]
fn under_plain_nextest_the_constraints_still_hold_across_binaries() {
    if !nextest_available() {
        return;
    }
    cargo_partest(); // builds the fixture
    let dir = tempfile::tempdir().unwrap();
    let out = cargo()
        .args([
            "nextest",
            "run",
            "-p",
            "multi",
            "--test-threads",
            "4",
            "--no-fail-fast",
        ])
        .env("FIXTURE_RECORD_DIR", dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let spans = spans(dir.path());
    assert_eq!(spans.len(), 69);
    check_run_wide(&spans, "cargo nextest run");
}

#[test]
fn junit_is_one_document_with_a_testsuite_per_binary_and_json_one_stream() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("report.xml");
    let record = tempfile::tempdir().unwrap();
    let harness = [
        "--test-threads",
        "4",
        "s0",
        "--junit",
        junit.to_str().unwrap(),
    ];
    let (out, _) = cargo_partest_run(&harness, record.path(), &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    let suites: Vec<(String, usize)> = doc
        .root_element()
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .map(|s| {
            let name = s
                .attribute("name")
                .unwrap()
                .split(' ')
                .next()
                .unwrap()
                .to_owned();
            (
                name,
                s.children().filter(|c| c.has_tag_name("testcase")).count(),
            )
        })
        .collect();
    let expected: Vec<(String, usize)> = ["tests/alpha.rs", "tests/beta.rs", "tests/gamma.rs"]
        .iter()
        .map(|b| ((*b).to_owned(), 10))
        .collect();
    assert_eq!(suites, expected, "{text}");

    let (out, _) = cargo_partest_run(
        &["--test-threads", "4", "s0", "--format", "json"],
        record.path(),
        &[],
    );
    assert!(out.status.success());
    let events: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let passed = events
        .iter()
        .filter(|e| e["type"] == "test" && e["event"] == "ok")
        .count();
    assert_eq!(passed, 30, "{events:?}");
}

#[test]
fn under_cargo_partest_m_is_judged_run_wide_and_says_what_plain_binaries_do() {
    let dir = tempfile::tempdir().unwrap();
    let (out, _) = cargo_partest_packages(
        &["multi"],
        &["--test-threads", "2", "-m", "redis_isolated and not serial"],
        dir.path(),
        &[],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("note: -m applies to partest binaries only; plain libtest binaries run all their tests: ")
            && stderr.contains("tests/plain.rs ("),
        "{stderr}"
    );
    let ran: Vec<Span> = spans(dir.path());
    assert_eq!(ran.len(), 12, "{ran:?}");
    assert!(ran.iter().all(|s| s.redis.is_some()));

    let (out, _) = cargo_partest_packages(&["multi"], &["-m", "slw"], dir.path(), &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("note: -m `slw` selected no test; the tests carry no custom marker"),
        "{stderr}"
    );
}

#[test]
fn partest_args_reach_partest_binaries_where_libtest_targets_refuse_the_flags() {
    cargo_partest(); // builds the fixture
    let dir = tempfile::tempdir().unwrap();
    // multi has a default-harness lib and a plain libtest target beside its partest ones:
    // `cargo test -p multi -- -m …` would hand `-m` to libtest, which refuses it.
    let out = cargo()
        .args([
            "test",
            "-p",
            "multi",
            "--no-fail-fast",
            "--",
            "--test-threads",
            "4",
        ])
        .env("PARTEST_ARGS", r#"-m "redis_isolated and not serial" -v"#)
        .env("FIXTURE_RECORD_DIR", dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ran = spans(dir.path());
    assert_eq!(ran.len(), 12, "{ran:?}");
    assert!(ran.iter().all(|s| s.redis.is_some()), "{ran:?}");
    assert_eq!(stdout.matches("test r0 ... ok [gw").count(), 3, "{stdout}");
    assert!(
        stdout.contains("test adds ... ok"),
        "the plain target ran: {stdout}"
    );

    // A malformed value is a clear error.
    let out = cargo()
        .args(["test", "-p", "multi", "--test", "alpha"])
        .env("PARTEST_ARGS", "-m 'redis_isolated")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("error: PARTEST_ARGS: a ' is not closed in `-m 'redis_isolated`"),
        "{stderr}"
    );
}

#[test]
fn cargo_partest_runs_the_doctests_last_as_cargo_test_does() {
    let dir = tempfile::tempdir().unwrap();
    let (out, _) = cargo_partest_packages(&["keeper"], &["--test-threads", "2"], dir.path(), &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stderr.contains("Doc-tests keeper"), "{stderr}");
    let doc = stdout.find("test keeper/src/lib.rs - shared_database (line 6) ... ok");
    let binary = stdout.find("test shared_database_keeps_its_value ... ok");
    assert!(
        doc.is_some() && binary < doc,
        "the doctest ran last:\n{stdout}"
    );

    for args in [
        &["--no-doc", "-p", "keeper"][..],
        &["-p", "keeper", "--test", "keeper"],
    ] {
        let out = Command::new(cargo_partest())
            .arg("partest")
            .args(args)
            .current_dir(fixtures_dir())
            .env("CARGO_TARGET_DIR", fixtures_target())
            .env("FIXTURE_RECORD_DIR", dir.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        assert!(!stderr.contains("Doc-tests"), "{args:?}: {stderr}");
    }
}
