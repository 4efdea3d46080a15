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

/// libtest's hint after the first panic of a process: which test panics first varies.
const BACKTRACE_NOTE: &str =
    "note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace";

/// A parallel run's human output, in the parts whose order does not depend on timing.
#[derive(Debug, PartialEq)]
struct Parallel {
    /// `test NAME ... RESULT` lines, sorted.
    results: Vec<String>,
    /// Terse progress: how many of each mark (in parallel, libtest writes a failure as a
    /// `NAME --- FAILED` line, counted in `results`).
    marks: Vec<(char, usize)>,
    /// `---- NAME stdout ----` blocks by name, the backtrace hint left out.
    blocks: std::collections::BTreeMap<String, String>,
    /// The name lists under `successes:` / `failures:`, and the summary line.
    lists: Vec<String>,
}

/// How many times the hint was printed: once at most (none when the first panic was a
/// passing `should_panic` test's, whose output is hidden).
fn notes(text: &str) -> usize {
    text.lines().filter(|l| *l == BACKTRACE_NOTE).count()
}

fn parallel(text: &str) -> Parallel {
    let text = normalize(text);
    let mut blocks = std::collections::BTreeMap::new();
    let mut lists = Vec::new();
    let mut current: Option<(String, String)> = None;
    let mut marks = std::collections::BTreeMap::new();
    for line in text.lines() {
        if let Some(name) = line
            .strip_prefix("---- ")
            .and_then(|l| l.strip_suffix(" stdout ----"))
        {
            blocks.extend(current.take());
            current = Some((name.to_owned(), String::new()));
        } else if matches!(line, "successes:" | "failures:") || line.starts_with("test result:") {
            blocks.extend(current.take());
            lists.push(line.to_owned());
        } else if line.starts_with("    ") && current.is_none() {
            lists.push(line.to_owned());
        } else if let Some((_, body)) = &mut current {
            if line != BACKTRACE_NOTE {
                body.push_str(line);
                body.push('\n');
            }
        } else {
            // Terse progress: marks, then ` k/n` at every break (where depends on timing).
            let progress = line.split(' ').next().unwrap_or_default();
            if !progress.is_empty() && progress.chars().all(|c| ".Fi".contains(c)) {
                for c in progress.chars() {
                    *marks.entry(c).or_insert(0) += 1;
                }
            }
        }
    }
    blocks.extend(current.take());
    for body in blocks.values_mut() {
        *body = body.trim_end().to_owned();
    }
    Parallel {
        results: {
            let mut r = sorted_lines(&text, "test ");
            r.extend(
                text.lines()
                    .filter(|l| l.ends_with(" --- FAILED"))
                    .map(str::to_owned),
            );
            r.sort();
            r
        },
        marks: marks.into_iter().collect(),
        blocks,
        lists,
    }
}

/// JSON events, normalised and sorted (their order follows completion).
fn json_events(text: &str) -> Vec<String> {
    let escaped_note = format!("{BACKTRACE_NOTE}\\n");
    let mut lines: Vec<String> = normalize(text)
        .lines()
        .map(|l| l.replace(&escaped_note, ""))
        .collect();
    lines.sort();
    lines
}

/// Runs every output mode at `threads` under partest (with `extra` options) and libtest,
/// and compares them.
fn compare_parallel(threads: &str, extra: &[&str]) {
    let human: &[&[&str]] = &[&[], &["--show-output"], &["-q"], &["-q", "--show-output"]];
    let json: &[&[&str]] = &[
        &["--format", "json", "-Zunstable-options"],
        &["--format", "json", "-Zunstable-options", "--show-output"],
    ];
    for case in human.iter().chain(json) {
        let args: Vec<&str> = ["--test-threads", threads]
            .iter()
            .chain(case.iter())
            .copied()
            .collect();
        let ours_args: Vec<&str> = args.iter().chain(extra).copied().collect();
        let (ours, theirs) = (run(PARTEST, &ours_args), run(LIBTEST, &args));
        assert_eq!((ours.code, theirs.code), (101, 101), "{ours_args:?}");
        if json.contains(case) {
            assert_eq!(
                json_events(&ours.stdout),
                json_events(&theirs.stdout),
                "{ours_args:?}"
            );
        } else {
            let (o, t) = (parallel(&ours.stdout), parallel(&theirs.stdout));
            assert_eq!(o, t, "{ours_args:?}");
            assert!(notes(&ours.stdout) <= 1 && notes(&theirs.stdout) <= 1);
        }
    }
}

#[test]
fn parallel_output_matches_libtest_at_2_4_and_16_threads() {
    for threads in ["2", "4", "16"] {
        compare_parallel(threads, &[]);
    }
}

#[test]
fn process_mode_output_matches_libtest_at_2_and_4_workers() {
    for threads in ["2", "4"] {
        compare_parallel(threads, &["--isolate", "process"]);
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
