//! Output capture: exact (fd-level) with one thread; with several, what each test's own
//! thread writes is kept under its name, and nothing lands under another test's name.

use crate::common::{block, run};

#[test]
fn one_thread_captures_everything_at_the_fd_level() {
    let out = run("capture", &["--test-threads", "1", "--skip", "bulk"]);
    assert_eq!(out.code, 101);
    let all = format!("{}{}", out.stdout, out.stderr);
    assert!(
        !all.contains("NOISY-PASS"),
        "a passing test's output leaked:\n{all}"
    );
    let noisy = block(&out.stdout, "noisy_fail");
    assert!(
        noisy.starts_with("NOISY-FAIL-OUT\nNOISY-FAIL-ERR\n\nthread 'noisy_fail'"),
        "{noisy}"
    );
    assert!(noisy.contains("noisy failure"));
    // Threads a test spawns are captured too, and partial lines are not lost.
    assert!(block(&out.stdout, "spawned_thread_prints").contains("FROM-SPAWNED-THREAD"));
    assert!(
        block(&out.stdout, "partial_line").starts_with("PARTIAL-NO-NEWLINE\nthread 'partial_line'")
    );
    assert!(out.stderr.is_empty(), "stderr: {}", out.stderr);
}

#[test]
fn show_output_prints_passing_tests_output_when_captured() {
    let out = run(
        "capture",
        &["--test-threads", "1", "--show-output", "noisy_pass"],
    );
    assert_eq!(out.code, 0);
    assert!(out
        .stdout
        .contains("successes:\n\n---- noisy_pass stdout ----\nNOISY-PASS-OUT\nNOISY-PASS-ERR\n"));
}

#[test]
fn many_simultaneous_failures_are_each_attributed_to_their_test() {
    for threads in ["4", "16", "32"] {
        let out = run("capture", &["--test-threads", threads, "bulk"]);
        assert_eq!(out.code, 101);
        for i in 0..32 {
            let name = format!("bulk::f{i:02}");
            let text = block(&out.stdout, &name);
            assert!(text.contains(&format!("thread '{name}'")), "{name}: {text}");
            assert!(
                text.contains(&format!("bulk failure from f{i:02}\n")),
                "{name}: {text}"
            );
            assert_eq!(
                text.matches("panicked at").count(),
                1,
                "{name} holds another test's panic: {text}"
            );
        }
        assert!(out.stdout.contains("32 failed"), "{}", out.stdout);
    }
}

#[test]
fn parallel_runs_capture_what_each_test_writes() {
    for threads in ["2", "4", "16"] {
        let out = run(
            "capture",
            &[
                "--test-threads",
                threads,
                "--skip",
                "bulk",
                "--skip",
                "threads::",
            ],
        );
        assert_eq!(out.code, 101);
        // A passing test's output is hidden ...
        assert!(
            !out.stdout.contains("NOISY-PASS") && !out.stderr.contains("NOISY-PASS"),
            "{threads}: {}{}",
            out.stdout,
            out.stderr
        );
        // ... a failing test's is shown under its name, in the order written, panic last.
        let noisy = block(&out.stdout, "noisy_fail");
        assert!(
            noisy.starts_with("NOISY-FAIL-OUT\nNOISY-FAIL-ERR\n\nthread 'noisy_fail'")
                && noisy.contains("noisy failure"),
            "{threads}: {noisy}"
        );
        // A `print!` without newline is flushed into its test's block when the test ends
        // (after its panic report, which went to stderr first). The test is serial: run
        // beside others, another test's line could flush std's shared buffer first — the
        // documented mis-attribution.
        let partial = block(&out.stdout, "partial_line");
        assert!(
            partial.contains("PARTIAL-NO-NEWLINE") && partial.contains("partial"),
            "{partial}"
        );
        assert_eq!(
            out.stdout.matches("PARTIAL-NO-NEWLINE").count(),
            1,
            "{}",
            out.stdout
        );
        // A thread the test spawned writes into the test's block, as under libtest.
        let spawned = block(&out.stdout, "spawned_thread_prints");
        assert!(
            spawned.starts_with("FROM-SPAWNED-THREAD\n") && spawned.contains("after spawn"),
            "{spawned}"
        );
        assert_eq!(
            out.stdout.matches("FROM-SPAWNED-THREAD").count(),
            1,
            "{}",
            out.stdout
        );
        // Nothing of another test in any block.
        for (test, others) in [
            ("noisy_fail", &["NOISY-PASS", "FROM-SPAWNED"][..]),
            ("partial_line", &["NOISY", "FROM-SPAWNED"]),
            ("spawned_thread_prints", &["NOISY"]),
        ] {
            let text = block(&out.stdout, test);
            assert!(!others.iter().any(|o| text.contains(o)), "{test}: {text}");
        }
        // Result lines stay whole.
        for line in out.stdout.lines().filter(|l| l.contains(" ... ")) {
            assert!(
                line.starts_with("test ") && (line.ends_with(" ok") || line.ends_with(" FAILED")),
                "torn: {line:?}"
            );
        }
    }
    let shown = run(
        "capture",
        &["--test-threads", "4", "--show-output", "noisy_pass"],
    );
    assert!(
        block(&shown.stdout, "noisy_pass").starts_with("NOISY-PASS-OUT\nNOISY-PASS-ERR"),
        "{}",
        shown.stdout
    );
}

#[test]
fn nocapture_prints_panics_live_and_keeps_the_summary() {
    let out = run("capture", &["--nocapture", "--test-threads", "1", "noisy"]);
    assert_eq!(out.code, 101);
    assert!(out.stdout.contains("NOISY-FAIL-OUT") && out.stderr.contains("thread 'noisy_fail'"));
    assert!(
        out.stdout.contains("\nfailures:\n    noisy_fail\n"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("---- noisy_fail stdout ----"));
}

#[test]
fn json_stays_parseable_when_tests_print_in_parallel() {
    let out = run(
        "capture",
        &["--format", "json", "--test-threads", "4", "--skip", "bulk"],
    );
    let mut failed_stdout = std::collections::HashMap::new();
    for line in out.stdout.lines() {
        let event = serde_json::from_str::<serde_json::Value>(line)
            .unwrap_or_else(|e| panic!("{e}: {line:?}"));
        if event["type"] == "test" && event["event"] == "failed" {
            failed_stdout.insert(
                event["name"].as_str().unwrap().to_owned(),
                event["stdout"].as_str().unwrap_or_default().to_owned(),
            );
        }
    }
    assert!(
        failed_stdout["noisy_fail"].starts_with("NOISY-FAIL-OUT\nNOISY-FAIL-ERR\n"),
        "{failed_stdout:?}"
    );
    assert!(!out.stdout.contains("NOISY-PASS") && !out.stderr.contains("NOISY-PASS"));
    assert!(
        failed_stdout["spawned_thread_prints"].starts_with("FROM-SPAWNED-THREAD\n"),
        "a spawned thread's output is its test's: {failed_stdout:?}"
    );
    // Only inside its test's event.
    assert_eq!(
        out.stdout.matches("FROM-SPAWNED").count(),
        1,
        "{}",
        out.stdout
    );
    assert!(!out.stderr.contains("FROM-SPAWNED"), "{}", out.stderr);
}

#[test]
fn threads_that_outlive_their_test_or_belong_to_a_resource_write_to_the_terminal() {
    for threads in ["2", "4"] {
        let out = run("capture", &["--test-threads", threads, "threads::"]);
        assert_eq!(out.code, 101);
        let early = block(&out.stdout, "threads::outlives_its_test");
        assert!(
            early.starts_with("EARLY-OUTPUT\n") && !early.contains("LATE"),
            "{early}"
        );
        // Written after its test ended: on the real stdout, in no block (libtest drops it).
        assert_eq!(
            out.stdout.matches("LATE-OUTPUT").count(),
            1,
            "{}",
            out.stdout
        );
        for test in [
            "threads::outlives_its_test",
            "threads::uses_the_background_resource",
            "threads::slow_sibling",
        ] {
            let text = block(&out.stdout, test);
            assert!(
                !text.contains("LATE") && !text.contains("BACKGROUND"),
                "{test}: {text}"
            );
        }
        // The shared resource's thread belongs to no test: its lines reach the terminal.
        assert!(out.stdout.contains("BACKGROUND-THREAD\n"), "{}", out.stdout);
    }
}

#[test]
fn huge_output_keeps_its_first_and_last_4_mib_in_every_mode() {
    const MIB: usize = 1 << 20;
    let modes: [&[&str]; 3] = [
        &["--test-threads", "1"],
        &["--test-threads", "2"],
        &["--test-threads", "2", "--isolate", "process"],
    ];
    for mode in modes {
        let args = [mode, &["--exact", "safety::c_prints_a_lot"]].concat();
        let out = run("reliability", &args);
        assert_eq!(out.code, 101, "{mode:?}: {}", out.stderr);
        // 20 MiB of 1024-byte lines, then the panic report.
        let big = block(&out.stdout, "safety::c_prints_a_lot");
        let (head, rest) = big.split_once("\n[partest: ").expect("a note");
        let (left_out, tail) = rest.split_once(" bytes of output left out]\n").unwrap();
        let left_out: usize = left_out.parse().unwrap();
        assert_eq!(head.len(), 4 * MIB, "{mode:?}");
        assert!(head.bytes().all(|b| b == b'x' || b == b'\n'), "{mode:?}");
        // The block is the output and the newline the report puts after it; the panic
        // report is in the kept tail, or (fd-level capture) appended after it.
        let report = tail.len() - 1 - tail.find("\nthread '").unwrap();
        assert!(tail.contains("after 20 MiB"), "{mode:?}");
        assert!(
            (4 * MIB..=4 * MIB + report).contains(&(tail.len() - 1)),
            "{mode:?}: {} bytes",
            tail.len()
        );
        assert_eq!(head.len() + left_out + tail.len() - 1, 20 * MIB + report);
    }
}
