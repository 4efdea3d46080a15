//! `--isolate process`, checked from the outside: tests that abort, segfault, exit and
//! hang among healthy and serial ones at 3 workers; every crash its own failure with its
//! output, the rest passing, serial alone (recorded instants), no process left behind —
//! also when the coordinator itself is killed.

use crate::common::{binary, block, run_with_env};
use std::collections::HashSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug)]
struct Span {
    name: String,
    start: u128,
    /// 0 for a test that crashed (it recorded only its start).
    end: u128,
    worker: String,
    pid: u32,
}

fn spans(dir: &Path) -> Vec<Span> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| !e.file_name().to_string_lossy().ends_with(".child"))
        .map(|e| {
            let text = std::fs::read_to_string(e.path()).unwrap();
            let f: Vec<&str> = text.split_whitespace().collect();
            Span {
                name: f[0].into(),
                start: f[1].parse().unwrap(),
                end: f[2].parse().unwrap(),
                worker: f[3].into(),
                pid: f[4].parse().unwrap(),
            }
        })
        .collect()
}

/// Live (non-zombie) processes running `exe`.
fn processes_of(exe: &Path) -> Vec<u32> {
    let exe = std::fs::canonicalize(exe).unwrap();
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|p| p == exe))
        .filter(|pid| alive(*pid))
        .collect()
}

/// Whether `pid` runs (exists and is not a zombie).
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit(") ")
            .next()
            .is_some_and(|s| !s.starts_with('Z'))
    })
}

#[test]
fn crashes_are_their_own_failures_and_the_run_goes_on_at_3_workers() {
    let exe = binary("isolation");
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let out = run_with_env(
        "isolation",
        &["--test-threads", "3", "--isolate", "process"],
        &[("FIXTURE_RECORD_DIR", dir.path().to_str().unwrap())],
    );
    let wall = started.elapsed();
    assert_eq!(out.code, 101, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("test result: FAILED. 26 passed; 5 failed; 0 ignored"),
        "{}",
        out.stdout
    );
    // The hang is cut at its 1 s timeout; everything else is short.
    assert!(wall < Duration::from_secs(5), "the run took {wall:?}");
    for (name, output, cause) in [
        (
            "crash::aborts",
            "about to abort\n",
            "crashed while running crash::aborts: signal 6 (SIGABRT)",
        ),
        (
            "crash::segfaults",
            "about to segfault, mid-line\n",
            "crashed while running crash::segfaults: signal 11 (SIGSEGV)",
        ),
        (
            "crash::exits",
            "about to exit(3)\n",
            "crashed while running crash::exits: exit code 3",
        ),
        (
            "crash::hangs",
            "hanging with child ",
            "test timed out after 1.00s; partest killed its worker process",
        ),
        (
            "crash::prints_from_a_thread",
            "from a spawned thread\nfrom a child process\n",
            "panicked at",
        ),
    ] {
        assert!(
            out.stdout.contains(&format!("test {name} ... FAILED")),
            "{}",
            out.stdout
        );
        let text = block(&out.stdout, name);
        assert!(text.starts_with(output), "{name}: {text:?}");
        assert!(text.contains(cause), "{name}: {text:?}");
    }
    // Passing tests' output stays hidden; nothing reached the terminal's stderr.
    assert!(!out.stdout.contains("hidden output"), "{}", out.stdout);
    assert!(!out.stderr.contains("hidden output"), "{}", out.stderr);

    let spans = spans(dir.path());
    assert_eq!(spans.len(), 31, "every test started once: {spans:?}");
    let workers: HashSet<&str> = spans.iter().map(|s| s.worker.as_str()).collect();
    assert!(
        workers.iter().all(|w| ["gw0", "gw1", "gw2"].contains(w)),
        "{workers:?}"
    );
    // A crashed (or killed) worker ran nothing after its crash: it was replaced.
    let crashed = [
        "crash::aborts",
        "crash::segfaults",
        "crash::exits",
        "crash::hangs",
    ];
    for crash in spans.iter().filter(|s| crashed.contains(&s.name.as_str())) {
        let later: Vec<&str> = spans
            .iter()
            .filter(|o| o.pid == crash.pid && o.start > crash.start)
            .map(|o| o.name.as_str())
            .collect();
        assert!(
            later.is_empty(),
            "{}'s dead worker ran {later:?}",
            crash.name
        );
    }
    assert!(!spans.iter().any(|s| s.pid == std::process::id()));
    for serial in spans.iter().filter(|s| s.name.starts_with("healthy::s")) {
        for other in spans.iter().filter(|o| o.name != serial.name) {
            let other_end = if other.end == 0 {
                other.start
            } else {
                other.end
            };
            assert!(
                other_end <= serial.start || other.start >= serial.end,
                "{} overlapped the serial {}",
                other.name,
                serial.name
            );
        }
    }
    // The hung test's child process died with its worker's process group.
    let child: u32 = std::fs::read_to_string(dir.path().join("hangs.child"))
        .unwrap()
        .parse()
        .unwrap();
    assert!(!alive(child), "the hung test's child {child} outlived it");
    assert_eq!(
        processes_of(&exe),
        Vec::<u32>::new(),
        "worker processes left"
    );
}

#[test]
fn past_max_worker_restart_no_new_test_starts() {
    let out = run_with_env(
        "isolation",
        &[
            "--test-threads",
            "1",
            "--isolate",
            "process",
            "--max-worker-restart",
            "1",
            "crash::",
            "--skip",
            "hangs",
        ],
        &[],
    );
    assert_eq!(out.code, 101, "{}", out.stdout);
    let crashed = out.stdout.matches("crashed while running").count();
    assert_eq!(crashed, 2, "{}", out.stdout);
    assert!(
        out.stdout.contains("2 worker processes crashed, more than --max-worker-restart 1 allows; no new test starts")
            || out.stderr.contains("2 worker processes crashed, more than --max-worker-restart 1 allows; no new test starts"),
        "{}\n{}",
        out.stdout,
        out.stderr
    );
    let results = out.stdout.matches("\ntest crash::").count();
    assert!(results < 4, "tests kept starting: {}", out.stdout);
}

#[test]
fn a_killed_coordinator_takes_its_workers_and_their_children_along() {
    let exe = binary("isolation");
    let dir = tempfile::tempdir().unwrap();
    let mut coordinator = Command::new(&exe)
        .args([
            "--test-threads",
            "2",
            "--isolate",
            "process",
            "--timeout",
            "60s",
            "crash::hangs",
            "healthy::h0",
        ])
        .env("FIXTURE_RECORD_DIR", dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The hung test has started its child: the run is in full swing.
    let child_file = dir.path().join("hangs.child");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !child_file.exists() || std::fs::read_to_string(&child_file).unwrap().is_empty() {
        assert!(Instant::now() < deadline, "the hung test never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    let child: u32 = std::fs::read_to_string(&child_file)
        .unwrap()
        .parse()
        .unwrap();
    let workers: Vec<u32> = processes_of(&exe)
        .into_iter()
        .filter(|p| *p != coordinator.id())
        .collect();
    assert!(!workers.is_empty(), "no worker process seen");
    coordinator.kill().unwrap();
    coordinator.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !processes_of(&exe).is_empty() || alive(child) {
        assert!(
            Instant::now() < deadline,
            "left after the coordinator died: workers {:?}, child alive: {}",
            processes_of(&exe),
            alive(child)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_isolate_setting_is_checked() {
    let out = run_with_env("isolation", &["--isolate", "forks"], &[]);
    assert_eq!(out.code, 101);
    assert!(
        out.stderr
            .contains("argument for --isolate must be threads or process (was forks)"),
        "{}",
        out.stderr
    );
    let out = run_with_env(
        "isolation",
        &["healthy::h00"],
        &[("PARTEST_ISOLATE", "fork")],
    );
    assert_eq!(out.code, 101);
    assert!(
        out.stderr
            .contains("error: PARTEST_ISOLATE must be threads or process (was fork)"),
        "{}",
        out.stderr
    );
    let out = run_with_env("isolation", &["--max-worker-restart", "many"], &[]);
    assert_eq!(out.code, 101);
    assert!(
        out.stderr.contains("--max-worker-restart must be a number"),
        "{}",
        out.stderr
    );
}
