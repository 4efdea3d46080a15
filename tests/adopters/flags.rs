//! Flags whose behaviour is partest's own or cannot be diffed with libtest byte for byte.

use crate::common::{run, sorted_lines};

#[test]
fn fail_fast_starts_no_test_after_the_first_failure() {
    let out = run("capture", &["--fail-fast", "--test-threads", "1", "bulk"]);
    assert_eq!(out.code, 101);
    assert!(
        out.stdout.contains("test bulk::f00 ... FAILED\n"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("test bulk::f01"), "{}", out.stdout);
    assert!(
        out.stdout.contains("31 tests not run: bulk::f01, "),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("0 passed; 1 failed;"), "{}", out.stdout);
    // With four workers, at most the four tests already running finish.
    let out = run("capture", &["--fail-fast", "--test-threads", "4", "bulk"]);
    let results = sorted_lines(&out.stdout, "test bulk::");
    assert!((1..=4).contains(&results.len()), "{results:?}");
}

#[test]
fn shuffle_seed_gives_a_reproducible_permutation() {
    let args = ["--shuffle-seed", "42", "--test-threads", "1"];
    let a = run("integration", &args);
    let b = run("integration", &args);
    assert!(
        a.stdout.contains("running 16 tests (shuffle seed: 42)\n"),
        "{}",
        a.stdout
    );
    let order = |s: &str| {
        s.lines()
            .filter(|l| l.starts_with("test ") && !l.starts_with("test result:"))
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(order(&a.stdout), order(&b.stdout));
    let sorted = sorted_lines(&a.stdout, "test ");
    assert_eq!(
        sorted,
        sorted_lines(
            &run("integration", &["--test-threads", "1"]).stdout,
            "test "
        )
    );
    assert_ne!(
        order(&a.stdout),
        sorted,
        "seed 42 happens to keep name order"
    );
    let other = run(
        "integration",
        &["--shuffle-seed", "43", "--test-threads", "1"],
    );
    assert_ne!(order(&a.stdout), order(&other.stdout));
}

#[test]
fn color_always_paints_result_words_and_never_does_not() {
    let out = run(
        "integration",
        &["--color", "always", "--test-threads", "1", "math"],
    );
    assert!(
        out.stdout
            .contains("test math::mul ... \x1b[32mok\x1b[0m\n"),
        "{:?}",
        out.stdout
    );
    let out = run(
        "integration",
        &["--color", "never", "--test-threads", "1", "math"],
    );
    assert!(!out.stdout.contains('\x1b'));
}

#[test]
fn report_time_shows_each_duration() {
    let out = run(
        "integration",
        &[
            "--report-time",
            "-Zunstable-options",
            "--test-threads",
            "1",
            "math::mul",
        ],
    );
    let line = out
        .stdout
        .lines()
        .find(|l| l.starts_with("test math::mul ... ok <"))
        .expect("a timed line");
    assert!(line.ends_with("s>"), "{line}");
}

#[test]
fn junit_is_a_well_formed_document_with_the_right_counts() {
    let out = run("integration", &["--format", "junit", "--test-threads", "4"]);
    assert_eq!(out.code, 101);
    let doc = roxmltree::Document::parse(out.stdout.trim_end()).expect("well-formed XML");
    let suite = doc
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .unwrap();
    assert_eq!(suite.attribute("tests"), Some("16"));
    assert_eq!(suite.attribute("failures"), Some("6"));
    assert_eq!(suite.attribute("skipped"), Some("2"));
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 16);
    let fails = cases
        .iter()
        .find(|c| c.attribute("name") == Some("fails"))
        .unwrap();
    let system_out = fails
        .descendants()
        .find(|n| n.has_tag_name("system-out"))
        .unwrap();
    assert!(system_out.text().unwrap_or_default().contains("custom msg"));
    let nested = cases
        .iter()
        .find(|c| c.attribute("name") == Some("nested"))
        .unwrap();
    assert_eq!(nested.attribute("classname"), Some("math::deep"));
}

#[test]
fn list_ignored_and_terse_list_are_what_nextest_reads() {
    let out = run("integration", &["--list", "--format", "terse", "--ignored"]);
    assert_eq!(out.stdout, "gpu: test\nplain_ignored: test\n");
    assert!(out.stderr.is_empty());
}

#[test]
fn live_status_line_on_a_terminal_only_and_always_erased() {
    // Forced on without a terminal: progress lines on stderr, each erased; stdout untouched.
    let out = crate::common::run_with_env(
        "timing",
        &["--test-threads", "2"],
        &[("PARTEST_LIVE_STATUS", "always")],
    );
    assert_eq!(out.code, 0);
    assert!(
        out.stderr.contains("\r\x1b[2Kpartest: ") && out.stderr.contains(" done, 0 failed, "),
        "{:?}",
        out.stderr
    );
    assert!(
        out.stderr.ends_with("\r\x1b[2K"),
        "the line is erased at the end: {:?}",
        out.stderr
    );
    assert!(!out.stdout.contains("partest: "));
    // Piped (the default for every other test here): no status line at all.
    let out = run("timing", &["--test-threads", "2"]);
    assert!(out.stderr.is_empty(), "{:?}", out.stderr);
    // On a real terminal (a pty from `script`), after 0.3 s of a parallel run.
    let binary = crate::common::binary("timing");
    let script = std::process::Command::new("script")
        .args([
            "-qec",
            &format!("{} --test-threads 2", binary.display()),
            "/dev/null",
        ])
        .env_remove("PARTEST_LIVE_STATUS")
        .output();
    // Skipped only where util-linux's `script` is missing; if it runs, it must succeed.
    if let Ok(out) = script {
        assert!(
            out.status.success(),
            "script failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("\x1b[2Kpartest: "),
            "no status line on a terminal: {text:?}"
        );
        assert!(text.contains("test result: "));
    }
}
