//! Fixtures checked from what the fixture suite's tests recorded and what the binary
//! printed, after the process exited.

use crate::common::run_with_env;
use std::collections::HashSet;
use std::path::Path;
use std::time::{Duration, Instant};

struct Recorded {
    dir: tempfile::TempDir,
    out: crate::common::Output,
}

impl Recorded {
    fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default()
    }
}

fn run(args: &[&str], env: &[(&str, &str)]) -> Recorded {
    let dir = tempfile::tempdir().unwrap();
    let mut all = vec![("FIXTURE_RECORD_DIR", dir.path().to_str().unwrap())];
    all.extend_from_slice(env);
    let out = run_with_env("fixtures", args, &all);
    Recorded { dir, out }
}

#[test]
fn a_million_ids_from_sixteen_workers_never_collide() {
    let r = run(&["--test-threads", "16", "ids::"], &[]);
    assert_eq!(r.out.code, 0, "{}", r.out.stdout);
    let mut seen = HashSet::with_capacity(1_000_000);
    for i in 0..16 {
        let text = r.log(&format!("g{i:02}"));
        for id in text.lines() {
            let worker = id.split('_').next().unwrap();
            assert!(
                worker
                    .strip_prefix("gw")
                    .and_then(|n| n.parse::<usize>().ok())
                    .is_some_and(|n| n < 16),
                "{id}"
            );
            assert!(seen.insert(id.to_owned()), "collision: {id}");
        }
    }
    assert_eq!(seen.len(), 1_000_000);
}

#[test]
fn temp_dirs_are_removed_on_pass_and_kept_on_failure() {
    let r = run(&["--test-threads", "2", "temp::"], &[]);
    assert_eq!(r.out.code, 101);
    let log = r.log("temp_dirs");
    let path = |kind: &str| {
        log.lines()
            .find_map(|l| l.strip_prefix(kind))
            .map(|p| p.trim().to_owned())
            .unwrap()
    };
    let (passed, failed) = (path("pass "), path("fail "));
    assert_ne!(passed, failed);
    assert!(
        !Path::new(&passed).exists(),
        "a passing test's temp dir was kept"
    );
    assert!(
        Path::new(&failed).join("evidence.txt").exists(),
        "a failing test's temp dir was removed"
    );
    assert!(
        r.out.stdout.contains(&format!(
            "note: temp dir kept at {failed} (removed after 3 later runs)"
        )),
        "{}",
        r.out.stdout
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let parent = Path::new(&failed).parent().unwrap();
        assert_eq!(
            std::fs::metadata(parent).unwrap().permissions().mode() & 0o777,
            0o700
        );
    }
    std::fs::remove_dir_all(Path::new(&failed).parent().unwrap()).unwrap();
}

/// The partest directories in `temp` and what each holds (names, sorted).
fn partest_dirs(temp: &Path) -> Vec<(String, Vec<String>)> {
    let names = |dir: &Path| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    };
    names(temp)
        .into_iter()
        .filter(|n| n.starts_with("partest-"))
        .map(|n| (n.clone(), names(&temp.join(&n))))
        .collect()
}

#[test]
fn no_empty_partest_directory_is_left_after_passing_failing_and_killed_runs() {
    let temp = tempfile::tempdir().unwrap();
    let tmpdir = ("TMPDIR", temp.path().to_str().unwrap());
    let r = run(&["--test-threads", "2", "temp::passes"], &[tmpdir]);
    assert_eq!(r.out.code, 0, "{}", r.out.stdout);
    assert_eq!(partest_dirs(temp.path()), [], "after a passing run");

    let r = run(&["--test-threads", "2", "temp::"], &[tmpdir]);
    assert_eq!(r.out.code, 101);
    let after_failure = partest_dirs(temp.path());
    assert_eq!(after_failure.len(), 1, "{after_failure:?}");
    let failed_dir = after_failure[0]
        .1
        .iter()
        .find(|n| n.starts_with("temp__fails"));
    assert!(
        failed_dir.is_some(),
        "the failed test's directory is kept: {after_failure:?}"
    );

    // A killed run leaves its directory; the next run finds nobody holds it.
    let record = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(crate::common::binary("fixtures"))
        .args(["--ignored", "temp::waits_in_its_dir"])
        .env("FIXTURE_RECORD_DIR", record.path())
        .env("TMPDIR", temp.path())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let log = record.path().join("temp_dirs");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !std::fs::read_to_string(&log).is_ok_and(|t| t.contains("waits ")) {
        assert!(Instant::now() < deadline, "the waiting test never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(partest_dirs(temp.path()).len(), 2);
    for later in 1..=3 {
        let r = run(&["--test-threads", "2", "temp::passes"], &[tmpdir]);
        assert_eq!(r.out.code, 0, "{}", r.out.stdout);
        let left = partest_dirs(temp.path());
        // No empty directory, ever; the kept ones go with the 3rd later run.
        for (name, inside) in &left {
            assert!(
                inside.iter().any(|n| !n.starts_with('.')),
                "{name} is empty: {left:?}"
            );
        }
        let expected = if later < 3 { 2 } else { 0 };
        assert_eq!(left.len(), expected, "after {later} later runs: {left:?}");
    }
}

#[test]
fn per_worker_and_per_run_are_built_once_and_torn_down_once_in_reverse() {
    let r = run(&["--test-threads", "4", "resources::"], &[]);
    assert_eq!(r.out.code, 0, "{}", r.out.stdout);
    let log = r.log("resources");
    let lines: Vec<&str> = log.lines().collect();
    let count = |prefix: &str| lines.iter().filter(|l| l.starts_with(prefix)).count();
    let position = |line: &str| {
        lines
            .iter()
            .position(|l| *l == line)
            .unwrap_or_else(|| panic!("no `{line}` in\n{log}"))
    };
    assert_eq!(count("used "), 12);
    assert_eq!(
        (count("built run a"), count("built run b")),
        (1, 1),
        "{log}"
    );
    assert_eq!(
        (count("dropped run a"), count("dropped run b")),
        (1, 1),
        "{log}"
    );
    let workers: HashSet<&str> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("used "))
        .map(|l| l.split(" by ").next().unwrap().rsplit(' ').next().unwrap())
        .collect();
    for w in &workers {
        assert_eq!(count(&format!("built worker {w}")), 1, "{w}: {log}");
        assert_eq!(count(&format!("dropped worker {w}")), 1, "{w}: {log}");
        assert!(
            position(&format!("dropped worker {w}")) < position("dropped run b"),
            "workers end before the run"
        );
    }
    assert_eq!(
        count("built worker"),
        workers.len(),
        "built only on workers that used it"
    );
    assert!(
        position("dropped run b") < position("dropped run a"),
        "LIFO: b was built after a"
    );
    let last_use = lines.iter().rposition(|l| l.starts_with("used ")).unwrap();
    assert!(last_use < position("dropped run b"));
}

#[test]
fn a_failed_setup_fails_each_test_that_needs_it_with_its_message() {
    let started = Instant::now();
    let r = run(&["--test-threads", "3", "setup_fails::"], &[]);
    assert!(started.elapsed() < Duration::from_secs(20), "no hang");
    assert_eq!(r.out.code, 101);
    assert!(
        r.out.stdout.contains("0 passed; 3 failed"),
        "{}",
        r.out.stdout
    );
    let reports: Vec<&str> = r.out.stdout.split("---- setup_fails::").skip(1).collect();
    assert_eq!(reports.len(), 3);
    let original = reports
        .iter()
        .filter(|b| b.contains("\ndatabase unreachable at 127.0.0.1:1\n"))
        .count();
    let later = reports
        .iter()
        .filter(|b| b.contains("failed earlier: database unreachable at 127.0.0.1:1"))
        .count();
    assert_eq!((original, later), (1, 2), "{}", r.out.stdout);
    assert!(
        reports
            .iter()
            .all(|b| b.contains("panicked at suite/tests/fixtures.rs:")),
        "points at the user's code"
    );
}

#[test]
fn a_panicking_teardown_is_reported_and_fails_the_run() {
    let r = run(&["--test-threads", "2", "teardown_panics::"], &[]);
    assert_eq!(r.out.code, 101);
    let out = &r.out.stdout;
    assert!(out.contains("\nteardown failures:\n\n---- teardown of the per_run resource set up at suite/tests/fixtures.rs:"), "{out}");
    assert!(out.contains("\ncannot close the connection\n"), "{out}");
    assert!(
        out.contains("test result: FAILED. 1 passed; 0 failed;"),
        "{out}"
    );
    assert!(
        r.out.stderr.is_empty(),
        "the panic report is not printed on its own: {}",
        r.out.stderr
    );
    let json = run(&["--format", "json", "teardown_panics::"], &[]);
    let suite: serde_json::Value =
        serde_json::from_str(json.out.stdout.lines().last().unwrap()).unwrap();
    assert_eq!(
        (suite["event"].as_str(), suite["teardown_failures"].as_u64()),
        (Some("failed"), Some(1))
    );
}

#[test]
fn env_guards_never_leak_between_concurrent_tests() {
    for threads in ["4", "16"] {
        let r = run(
            &["--test-threads", threads, "env::"],
            &[("FIXTURE_GONE", "present")],
        );
        assert_eq!(r.out.code, 0, "{}", r.out.stdout);
        assert!(r.out.stdout.contains("24 passed"));
    }
}

#[test]
fn the_rate_limiter_retries_429s_from_a_real_server_and_reports_its_counters() {
    let env = [
        ("PARTEST_MAX_CONCURRENT_REQUESTS", "2"),
        ("PARTEST_RATE_LIMIT_DELAY", "2ms"),
        ("PARTEST_MAX_RETRIES", "60"),
        ("PARTEST_BASE_BACKOFF", "5ms"),
        ("PARTEST_MAX_BACKOFF", "40ms"),
    ];
    let r = run(&["--test-threads", "8", "api::"], &env);
    assert_eq!(r.out.code, 0, "{}", r.out.stdout);
    let line = r
        .out
        .stdout
        .lines()
        .find(|l| l.starts_with("rate limiter: "))
        .expect("counters printed");
    let numbers: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    let (requests, retries) = (numbers[0], numbers[1]);
    let throttled: u64 = r
        .log("api")
        .trim()
        .strip_prefix("stopped throttled=")
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(requests, 50 + retries, "{line}");
    assert_eq!(retries, throttled, "every 429 was retried once: {line}");
    assert!(
        throttled > 0,
        "the server never throttled: the test proves nothing"
    );
}

/// `name nanos [worker]` lines of a log.
fn instants(text: &str) -> Vec<(String, u128, String)> {
    text.lines()
        .map(|l| l.split(' ').collect::<Vec<_>>())
        .map(|f| {
            (
                f[0].to_owned(),
                f[1].parse().unwrap(),
                f.get(2).unwrap_or(&"").to_string(),
            )
        })
        .collect()
}

#[test]
fn a_tests_tasks_end_with_it_and_never_run_in_another_test() {
    let modes: [&[&str]; 3] = [
        &["--test-threads", "1"],
        &["--test-threads", "3"],
        &["--test-threads", "2", "--isolate", "process"],
    ];
    for mode in modes {
        let r = run(&[mode, &["leftovers::"]].concat(), &[]);
        // passes, multi_thread_passes, paused_clock…, z0–z4 pass; panics and times_out fail.
        assert!(
            r.out.stdout.contains("8 passed; 2 failed"),
            "{}",
            r.out.stdout
        );
        assert!(
            r.out
                .stdout
                .contains("test leftovers::multi_thread_passes ... ok")
                && r.out
                    .stdout
                    .contains("test leftovers::paused_clock_advances_at_once ... ok"),
            "{}",
            r.out.stdout
        );
        let (starts, ends) = (instants(&r.log("starts")), instants(&r.log("ends")));
        assert_eq!((starts.len(), ends.len()), (10, 10), "{starts:?} {ends:?}");
        let ticks = instants(&r.log("ticks"));
        for (name, end, worker) in &ends {
            let own: Vec<u128> = ticks.iter().filter(|t| t.0 == *name).map(|t| t.1).collect();
            // On a current-thread runtime the test's own thread polls its tasks: none after
            // its end. A multi-thread runtime's threads may tick until partest shuts it down
            // right after: none once a later test started on the same worker.
            let limit = match name.as_str() {
                "multi_thread_passes" => starts
                    .iter()
                    .filter(|(_, s, w)| w == worker && s > end)
                    .map(|s| s.1)
                    .min()
                    .unwrap_or(u128::MAX),
                _ => *end,
            };
            let late = own.iter().filter(|t| **t > limit).count();
            assert_eq!(
                late, 0,
                "{name}'s task ran {late} times after its test ended"
            );
            if name != "paused_clock_advances_at_once" && !name.starts_with('z') {
                assert!(!own.is_empty(), "{name} never ticked");
            }
        }
        // The leftover tasks' panics (80 ms in, after every test's end) never happen.
        let everything = format!("{}{}", r.out.stdout, r.out.stderr);
        assert!(!everything.contains("leftover task of"), "{everything}");
    }
}

#[test]
fn a_per_worker_async_task_outlives_its_test_and_timeouts_cancel_cleanly() {
    let r = run(&["--test-threads", "4", "asynchronous::"], &[]);
    assert_eq!(r.out.code, 0, "{}", r.out.stdout);
    assert_eq!(r.log("async").lines().count(), 8);
    let started = Instant::now();
    let r = run(&["--test-threads", "2", "async_timeout::"], &[]);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the 30 s sleep was cancelled"
    );
    assert_eq!(r.out.code, 101);
    assert!(
        r.out
            .stdout
            .contains("---- async_timeout::hangs stdout ----\nnote: test timed out after 100ms\n"),
        "{}",
        r.out.stdout
    );
    assert_eq!(
        r.log("cancelled").trim(),
        "dropped",
        "the future was dropped"
    );
}

#[test]
fn the_config_timeout_applies_to_tests_without_their_own() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("partest.toml"), "timeout = \"5ms\"\n").unwrap();
    let env = [("CARGO_MANIFEST_DIR", dir.path().to_str().unwrap())];
    let r = run(&["--test-threads", "2", "asynchronous::a0"], &env);
    assert_eq!(r.out.code, 101, "{}", r.out.stdout);
    assert!(
        r.out.stdout.contains("0 passed; 8 failed"),
        "the 15 ms sleepers exceed 5 ms: {}",
        r.out.stdout
    );
    assert!(
        r.out.stdout.contains("note: test timed out after 5ms"),
        "{}",
        r.out.stdout
    );
    let r = run(&["--test-threads", "2", "async_timeout::"], &env);
    assert!(
        r.out.stdout.contains("note: test timed out after 100ms"),
        "the test's own timeout wins: {}",
        r.out.stdout
    );
}
