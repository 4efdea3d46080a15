//! Parallelism as it really happened: each fixture test records its start/end instants
//! and worker id; overlap is computed from those records, not from partest's bookkeeping.

use crate::common::run_with_env;

/// One recorded test run.
#[derive(Debug)]
struct Record {
    name: String,
    start: u128,
    end: u128,
    worker: String,
    workers: usize,
    uid: String,
}

fn records(args: &[&str]) -> Vec<Record> {
    let dir = tempfile::tempdir().unwrap();
    let out = run_with_env(
        "timing",
        args,
        &[("FIXTURE_RECORD_DIR", dir.path().to_str().unwrap())],
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let mut all = Vec::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let f: Vec<&str> = text.split_whitespace().collect();
        all.push(Record {
            name: f[0].into(),
            start: f[1].parse().unwrap(),
            end: f[2].parse().unwrap(),
            worker: f[3].into(),
            workers: f[4].parse().unwrap(),
            uid: f[5].into(),
        });
    }
    all.sort_by(|a, b| a.name.cmp(&b.name));
    all
}

/// The largest number of tests running at one instant.
fn peak_overlap(records: &[Record]) -> usize {
    crate::common::peak_overlap(records.iter().map(|r| (r.start, r.end)))
}

#[test]
fn tests_really_overlap_with_several_threads() {
    let recs = records(&["--test-threads", "3"]);
    assert_eq!(recs.len(), 6, "every test ran once: {recs:?}");
    let peak = peak_overlap(&recs);
    assert!(
        (2..=3).contains(&peak),
        "peak overlap {peak} with 3 threads"
    );
    for r in &recs {
        assert!(["gw0", "gw1", "gw2"].contains(&r.worker.as_str()), "{r:?}");
        assert_eq!(r.workers, 3);
    }
    // Tests running at the same time run on different workers.
    for a in &recs {
        for b in &recs {
            if a.name != b.name && a.start < b.end && b.start < a.end {
                assert_ne!(a.worker, b.worker, "{a:?} overlaps {b:?} on one worker");
            }
        }
    }
    let uid = &recs[0].uid;
    assert!(
        recs.iter().all(|r| &r.uid == uid),
        "one testrun_uid per run"
    );
}

#[test]
fn one_thread_really_serialises() {
    let recs = records(&["--test-threads", "1"]);
    assert_eq!(recs.len(), 6);
    assert_eq!(peak_overlap(&recs), 1, "{recs:?}");
    assert!(
        recs.iter().all(|r| r.worker == "master" && r.workers == 1),
        "{recs:?}"
    );
}

#[test]
fn rust_test_threads_env_is_honoured() {
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("FIXTURE_RECORD_DIR", dir.path().to_str().unwrap()),
        ("RUST_TEST_THREADS", "1"),
    ];
    let out = run_with_env("timing", &[], &env);
    assert_eq!(out.code, 0);
    // Sequential runs print the name before the result is known, on one line.
    assert!(
        out.stdout
            .contains("test sleep_0 ... ok\ntest sleep_1 ... ok\n"),
        "{}",
        out.stdout
    );
}

#[test]
fn testrun_uid_differs_between_runs() {
    let a = records(&["--test-threads", "2", "sleep_0"]);
    let b = records(&["--test-threads", "2", "sleep_0"]);
    assert_ne!(a[0].uid, b[0].uid);
}
