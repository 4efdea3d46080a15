//! The same suite under partest (`integration`) and real libtest (`libtest_twin`):
//! same lists, same selections, same output shape, same exit codes.

use crate::common::{normalize, run, sorted_lines};

const PARTEST: &str = "integration";
const LIBTEST: &str = "libtest_twin";

/// Selection flags, each compared through `--list` (and both list formats).
const SELECTIONS: &[&[&str]] = &[
    &[],
    &["math"],
    &["math", "adds"],
    &["adds", "--exact"],
    &["math::mul", "--exact"],
    &["math::", "--exact"],
    &["--skip", "math"],
    &["--skip", "a", "--skip", "p"],
    &["--skip", "adds", "--exact"],
    &["--ignored"],
    &["--include-ignored"],
    &["--exclude-should-panic", "-Zunstable-options"],
    &["rejects", "--exclude-should-panic", "-Zunstable-options"],
    &["nothing-matches"],
    &["--", "--exact"],
];

#[test]
fn list_matches_libtest_for_every_selection() {
    for selection in SELECTIONS {
        for format in [&[][..], &["--format", "terse"], &["-q"]] {
            let args: Vec<&str> = ["--list"]
                .iter()
                .chain(format.iter())
                .chain(selection.iter())
                .copied()
                .collect();
            let (ours, theirs) = (run(PARTEST, &args), run(LIBTEST, &args));
            assert_eq!(ours.stdout, theirs.stdout, "--list differs for {args:?}");
            assert_eq!(ours.code, theirs.code, "exit code differs for {args:?}");
        }
    }
}

#[test]
fn sequential_output_is_libtest_s_byte_for_byte() {
    let cases: &[&[&str]] = &[
        &[],
        &["-q"],
        &["--format", "json", "-Zunstable-options"],
        &["--show-output"],
        &["--format", "json", "-Zunstable-options", "--show-output"],
        &["--include-ignored", "-q"],
        &["--ignored"],
        &["math"],
        &["gpu"],
        &["gpu", "-q"],
        &["--bench"],
        &[
            "--format",
            "json",
            "-Zunstable-options",
            "--report-time",
            "math",
        ],
    ];
    for case in cases {
        let args: Vec<&str> = ["--test-threads", "1"]
            .iter()
            .chain(case.iter())
            .copied()
            .collect();
        let (ours, theirs) = (run(PARTEST, &args), run(LIBTEST, &args));
        assert_eq!(
            normalize(&ours.stdout),
            normalize(&theirs.stdout),
            "stdout differs for {args:?}"
        );
        assert_eq!(ours.code, theirs.code, "exit code differs for {args:?}");
    }
}

#[test]
fn parallel_results_match_libtest() {
    for threads in ["2", "4", "16"] {
        let args = ["--test-threads", threads];
        let (ours, theirs) = (run(PARTEST, &args), run(LIBTEST, &args));
        // Normalised: the summary line's run time differs.
        let (ours_text, theirs_text) = (normalize(&ours.stdout), normalize(&theirs.stdout));
        assert_eq!(
            sorted_lines(&ours_text, "test "),
            sorted_lines(&theirs_text, "test "),
            "ours:\n{}\ntheirs:\n{}",
            ours.stdout,
            theirs.stdout
        );
        assert_eq!(
            sorted_lines(&ours.stdout, "    "),
            sorted_lines(&theirs.stdout, "    ")
        );
        assert_eq!(
            sorted_lines(&ours.stdout, "running"),
            sorted_lines(&theirs.stdout, "running")
        );
        assert_eq!(
            normalize(&ours.stdout).lines().last(),
            normalize(&theirs.stdout).lines().last()
        );
        assert_eq!((ours.code, theirs.code), (101, 101));
        // The panic text of each failing test sits under that test's own header.
        let block = ours
            .stdout
            .split("---- fails stdout ----")
            .nth(1)
            .expect("a block for `fails`");
        let block = block.split("----").next().unwrap_or_default();
        assert!(
            block.contains("thread 'fails'") && block.contains("custom msg"),
            "{block}"
        );
    }
}

#[test]
fn exit_code_zero_when_everything_selected_passes() {
    for args in [
        &["math"][..],
        &["adds", "--test-threads", "1"],
        &["nothing-matches"],
    ] {
        let (ours, theirs) = (run(PARTEST, args), run(LIBTEST, args));
        assert_eq!(
            (ours.code, theirs.code),
            (0, 0),
            "{args:?}: {}",
            ours.stdout
        );
    }
}

#[test]
fn bad_command_lines_fail_like_libtest() {
    let cases: &[&[&str]] = &[
        &["--foo"],
        &["-y"],
        &["--test-threads", "0"],
        &["--test-threads", "many"],
        &["--test-threads"],
        &["--format", "xml"],
        &["--color", "sometimes"],
        &["--exact", "--exact"],
        &["--exact=yes"],
        &["--ignored", "--include-ignored"],
        &["-Z", "nonsense"],
    ];
    for args in cases {
        let (ours, theirs) = (run(PARTEST, args), run(LIBTEST, args));
        assert_eq!(ours.code, 101, "{args:?}");
        assert_eq!(ours.code, theirs.code, "{args:?}");
        assert_eq!(ours.stderr, theirs.stderr, "stderr differs for {args:?}");
        assert!(
            ours.stdout.is_empty(),
            "{args:?} printed to stdout: {}",
            ours.stdout
        );
    }
}

#[test]
fn bad_environment_is_an_error_not_a_panic() {
    let out = crate::common::run_with_env(PARTEST, &[], &[("RUST_TEST_THREADS", "lots")]);
    assert_eq!(out.code, 101);
    assert_eq!(
        out.stderr,
        "error: RUST_TEST_THREADS is `lots`, should be a positive integer.\n"
    );
}

#[test]
fn help_lists_options_and_exits_zero() {
    let out = run(PARTEST, &["--help"]);
    assert_eq!(out.code, 0);
    for flag in [
        "--test-threads",
        "--exact",
        "--skip",
        "--format",
        "--nocapture",
        "--show-output",
        "Output capture",
    ] {
        assert!(out.stdout.contains(flag), "--help lacks {flag}");
    }
}

#[test]
fn logfile_lists_every_result() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.txt");
    let path_arg = path.to_str().unwrap();
    let ours = run(PARTEST, &["--logfile", path_arg, "--test-threads", "1"]);
    let ours_log = std::fs::read_to_string(&path).unwrap();
    let theirs = run(LIBTEST, &["--logfile", path_arg, "--test-threads", "1"]);
    let theirs_log = std::fs::read_to_string(&path).unwrap();
    assert_eq!(normalize(&ours_log), normalize(&theirs_log));
    assert_eq!(ours.stderr.lines().next(), theirs.stderr.lines().next());
}

/// `--list --format json` with the twin's file name and columns made alike (the twins
/// share lines, not columns).
fn discovery_normalized(text: &str) -> String {
    text.replace("libtest_twin.rs", "integration.rs")
        .split(", ")
        .map(|field| {
            if field.starts_with("\"start_col\": ") || field.starts_with("\"end_col\": ") {
                field.split(':').next().unwrap_or_default().to_owned() + ": C"
            } else {
                field.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[test]
fn json_discovery_matches_libtest_for_every_selection() {
    for selection in SELECTIONS {
        let args: Vec<&str> = ["--list", "--format", "json", "-Zunstable-options"]
            .iter()
            .chain(selection.iter())
            .copied()
            .collect();
        let (ours, theirs) = (run(PARTEST, &args), run(LIBTEST, &args));
        assert_eq!(ours.code, theirs.code, "exit code differs for {args:?}");
        assert_eq!(
            discovery_normalized(&ours.stdout),
            discovery_normalized(&theirs.stdout),
            "--list --format json differs for {args:?}"
        );
    }
    // The positions are those of the function's name in the source file.
    let listed = run(
        PARTEST,
        &["--list", "--format", "json", "-Zunstable-options"],
    );
    let source =
        std::fs::read_to_string(crate::common::fixtures_dir().join("suite/tests/integration.rs"))
            .unwrap();
    let lines: Vec<&str> = source.lines().collect();
    let mut checked = 0;
    for line in listed
        .stdout
        .lines()
        .filter(|l| l.contains("\"discovered\""))
    {
        let event: serde_json::Value = serde_json::from_str(line).unwrap();
        let name = event["name"].as_str().unwrap().rsplit("::").next().unwrap();
        let row = lines[event["start_line"].as_u64().unwrap() as usize - 1];
        let (start, end) = (
            event["start_col"].as_u64().unwrap() as usize - 1,
            event["end_col"].as_u64().unwrap() as usize - 1,
        );
        assert_eq!(&row[start..end], name, "{line}");
        checked += 1;
    }
    assert!(checked >= 10, "{}", listed.stdout);
}
