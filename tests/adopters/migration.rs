//! Moving a libtest suite to partest loses no test (the `forms` fixture: one target per
//! libtest test form, each with a passing and a deliberately failing test). Forms rustc
//! would drop in a `harness = false` target fail the build naming file, line, form and
//! fix; partest's own forms (`#[partest::test_case]`, `#[rstest]` over `#[partest::test]`,
//! `#[partest::test]` in `proptest!`) run with the names and outcomes that test-case,
//! rstest and proptest give under real libtest; a target or lib that kept libtest's
//! harness fails naming `harness = false`; the `[lib] harness = false` recipe runs.

use crate::common::fixtures_target;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

fn forms_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/forms")
}

/// `cargo ARGS` in the forms package, into the fixtures' target dir.
fn cargo(args: &[&str]) -> Output {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(forms_dir())
        .env("CARGO_TARGET_DIR", fixtures_target())
        .env("RUST_BACKTRACE", "0")
        .args(args);
    for (key, _) in std::env::vars() {
        if key.starts_with("NEXTEST") || key.starts_with("RUST_TEST") || key.starts_with("PARTEST")
        {
            cmd.env_remove(key);
        }
    }
    cmd.output().unwrap()
}

/// Builds the targets that compile (once), so the tests below time runs, not builds.
fn built() {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let mut args = vec!["build", "-p", "forms"];
        for t in RUNNING.iter().chain(TWINS.iter()) {
            args.extend(["--test", t]);
        }
        for args in [&args[..], &["build", "--tests", "-p", "forms-unit"]] {
            let out = cargo(args);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "{stderr}");
        }
    });
}

const RUNNING: [&str; 4] = [
    "partest_test_case",
    "rstest_marked",
    "proptest_partest",
    "forgot_harness",
];
const TWINS: [&str; 3] = ["test_case_twin", "rstest_twin", "proptest_twin"];

/// `(name, outcome)` of every `test NAME ... OUTCOME` line.
fn results(stdout: &str) -> BTreeSet<(String, String)> {
    stdout
        .lines()
        .filter_map(|l| l.strip_prefix("test "))
        .filter_map(|l| l.split_once(" ... "))
        .map(|(name, rest)| {
            let outcome = rest.split_whitespace().next().unwrap_or("");
            (name.to_owned(), outcome.to_owned())
        })
        .collect()
}

#[test]
fn forms_rustc_would_drop_fail_the_build_naming_them() {
    // (target, tests listed, what each line names)
    let cases: [(&str, usize, &[&str]); 7] = [
        (
            "std_test",
            2,
            &[
                "tests/std_test.rs:1: `passes`: #[test]",
                "tests/std_test.rs:4: `fails`",
            ],
        ),
        (
            "tokio_test",
            2,
            &[
                "tests/tokio_test.rs:1: `passes`: #[tokio::test]",
                "tests/tokio_test.rs:4: `fails`: #[tokio::test]",
                "write #[partest::test] on the async fn",
            ],
        ),
        (
            "test_case",
            1,
            &[
                "tests/test_case.rs:3: `tc`: #[test_case]",
                "#[partest::test_case(…)]",
            ],
        ),
        (
            "rstest_bare",
            1,
            &[
                "tests/rstest_bare.rs:3: `sums`: #[rstest]",
                "#[partest::test] (the path form)",
            ],
        ),
        (
            "proptest_std",
            2,
            &[
                "tests/proptest_std.rs:4: `passes`: #[test]",
                "tests/proptest_std.rs:9: `fails`",
            ],
        ),
        (
            "serial_std",
            2,
            &[
                "`passes`: #[test]",
                "#[partest::test(serial(serial_test))]",
                "#[partest::test(serial(db))]",
            ],
        ),
        (
            "generator",
            1,
            &["tests/generator/generated.rs:3: a generated fn: #[test]"],
        ),
    ];
    for (target, count, names) in cases {
        let out = cargo(&["build", "--test", target]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{target} built:\n{stderr}");
        let plural = if count == 1 { "test" } else { "tests" };
        let head = format!("partest::main!(): {count} {plural} in this target would never run");
        assert!(stderr.contains(&head), "{target}:\n{stderr}");
        for name in names {
            assert!(stderr.contains(name), "{target}: no `{name}` in\n{stderr}");
        }
        assert_eq!(
            stderr.matches("error: partest::main!()").count(),
            1,
            "{stderr}"
        );
    }
}

#[test]
fn partest_forms_run_with_libtest_names_and_outcomes() {
    built();
    let pairs = [
        ("partest_test_case", "test_case_twin", 4),
        ("rstest_marked", "rstest_twin", 2),
        ("proptest_partest", "proptest_twin", 2),
    ];
    for (partest, twin, count) in pairs {
        for threads in ["1", "4"] {
            let run = |target: &str| {
                let out = cargo(&["test", "--test", target, "--", "--test-threads", threads]);
                assert_eq!(out.status.code(), Some(101), "{target} has a failing test");
                results(&String::from_utf8_lossy(&out.stdout))
            };
            let (ours, libtest) = (run(partest), run(twin));
            assert_eq!(ours.len(), count, "{partest}: {ours:?}");
            assert_eq!(
                ours, libtest,
                "{partest} against {twin} at {threads} threads"
            );
            assert!(ours.iter().any(|(_, o)| o == "FAILED") && ours.iter().any(|(_, o)| o == "ok"));
        }
    }
}

#[test]
fn a_target_that_kept_libtests_harness_fails_naming_harness_false() {
    built();
    let out = cargo(&["test", "--test", "forgot_harness"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(101), "{stdout}");
    let failed: Vec<String> = results(&stdout)
        .into_iter()
        .filter(|(_, o)| o == "FAILED")
        .map(|(n, _)| n)
        .collect();
    assert_eq!(
        failed,
        [
            "__partest_needs_harness_false_fails::fails",
            "__partest_needs_harness_false_passes::passes",
            "partest_target_needs_harness_false"
        ],
        "{stdout}"
    );
    assert!(stdout.contains("set `harness = false`"), "{stdout}");

    // partest tests in src/ of a library that kept the default harness.
    let out = cargo(&["test", "-p", "forms-unit-default"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(101), "{stdout}");
    assert!(
        stdout.contains("test tests::__partest_needs_harness_false_passes::passes ... FAILED"),
        "{stdout}"
    );
    assert!(
        stdout.contains("`[lib] harness = false` for unit tests in src/"),
        "{stdout}"
    );
}

#[test]
fn unit_tests_in_src_run_under_the_lib_recipe() {
    built();
    let out = cargo(&["test", "-p", "forms-unit", "--", "--test-threads", "2"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(101), "{stdout}");
    let expected: BTreeSet<(String, String)> =
        [("tests::fails", "FAILED"), ("tests::passes", "ok")]
            .iter()
            .map(|(n, o)| ((*n).to_owned(), (*o).to_owned()))
            .collect();
    assert_eq!(results(&stdout), expected, "{stdout}");
}
