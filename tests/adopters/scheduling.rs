//! The scheduler's invariants, checked from what really happened: the stress fixture's
//! tests record their own start/end instants, worker and leased slots; nothing here
//! trusts partest's bookkeeping.

use crate::common::run_with_env;
use std::collections::HashMap;

#[derive(Debug, Clone)]
struct Record {
    name: String,
    start: u128,
    end: u128,
    worker: String,
    redis: Option<u32>,
    pg: Option<u32>,
}

impl Record {
    fn module(&self) -> &str {
        self.name.split("::").next().unwrap()
    }
    fn overlaps(&self, other: &Record) -> bool {
        self.name != other.name && self.start < other.end && other.start < self.end
    }
}

fn stress_run(args: &[&str], seed: u64) -> Vec<Record> {
    let dir = tempfile::tempdir().unwrap();
    let seed = seed.to_string();
    let history = tempfile::tempdir().unwrap();
    let env = [
        ("FIXTURE_RECORD_DIR", dir.path().to_str().unwrap()),
        ("FIXTURE_STRESS_SEED", seed.as_str()),
        ("PARTEST_HISTORY_DIR", history.path().to_str().unwrap()),
    ];
    let out = run_with_env("stress", args, &env);
    assert_eq!(out.code, 0, "{args:?}\n{}{}", out.stdout, out.stderr);
    let slot = |s: &str| (s != "-").then(|| s.parse().unwrap());
    std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| {
            let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
            let f: Vec<&str> = text.split_whitespace().collect();
            Record {
                name: f[0].into(),
                start: f[1].parse().unwrap(),
                end: f[2].parse().unwrap(),
                worker: f[3].into(),
                redis: slot(f[4]),
                pg: slot(f[5]),
            }
        })
        .collect()
}

fn peak(records: &[&Record]) -> usize {
    crate::common::peak_overlap(records.iter().map(|r| (r.start, r.end)))
}

fn keys(r: &Record) -> &'static [&'static str] {
    match r.module() {
        "key_db" | "group_c" => &["db"],
        "key_db_cache" => &["db", "cache"],
        "key_cache" => &["cache"],
        _ => &[],
    }
}

/// Checks every constraint; with `full_width` (tests of one module or file may spread over
/// workers) also that the limits were reached and plain tests overlapped.
fn check_invariants(
    recs: &[Record],
    (threads, heavy_limit, cap): (usize, usize, usize),
    full_width: bool,
    what: &str,
) {
    let listed = crate::common::run("stress", &["--list", "--format", "terse"])
        .stdout
        .lines()
        .count();
    assert_eq!(recs.len(), listed, "{what}: every test ran exactly once");
    let workers: Vec<String> = (0..threads).map(|i| format!("gw{i}")).collect();
    for r in recs {
        assert!(r.start < r.end);
        if threads == 1 {
            assert_eq!(r.worker, "master", "{what}");
        } else {
            assert!(
                workers.contains(&r.worker),
                "{what}: worker {} with {threads} threads",
                r.worker
            );
        }
    }
    for a in recs {
        for b in recs.iter().filter(|b| a.overlaps(b)) {
            assert_ne!(
                a.worker, b.worker,
                "{what}: {} and {} overlap on one worker",
                a.name, b.name
            );
            let serial = |r: &Record| r.module() == "serial" || r.module() == "group_serial";
            assert!(!serial(a), "{what}: serial {} overlaps {}", a.name, b.name);
            for k in keys(a) {
                assert!(
                    !keys(b).contains(k),
                    "{what}: {} and {} share key {k}",
                    a.name,
                    b.name
                );
            }
            if let (Some(x), Some(y)) = (a.redis, b.redis) {
                assert_ne!(x, y, "{what}: {} and {} share redis db {x}", a.name, b.name);
            }
            if let (Some(x), Some(y)) = (a.pg, b.pg) {
                assert_ne!(x, y, "{what}: {} and {} share pg slot {x}", a.name, b.name);
            }
        }
        assert!(
            a.redis.is_none_or(|d| d < 16) && a.pg.is_none_or(|s| s < 3),
            "{what}: {a:?}"
        );
    }
    let heavy: Vec<&Record> = recs
        .iter()
        .filter(|r| ["heavy", "heavy_redis", "group_b"].contains(&r.module()))
        .collect();
    assert!(
        peak(&heavy) <= heavy_limit,
        "{what}: heavy peak {} > {heavy_limit}",
        peak(&heavy)
    );
    let capped: Vec<&Record> = recs.iter().filter(|r| r.module() == "capped").collect();
    assert!(
        peak(&capped) <= cap,
        "{what}: integration peak {} > {cap}",
        peak(&capped)
    );
    // Not more serialised than the markers ask: with room for it, the limits are reached
    // and unconstrained tests run side by side.
    if full_width && threads >= 4 {
        assert_eq!(
            peak(&heavy),
            heavy_limit,
            "{what}: heavy tests never reached their limit"
        );
        assert_eq!(
            peak(&capped),
            cap,
            "{what}: capped tests never reached their cap"
        );
    }
    let plain: Vec<&Record> = recs.iter().filter(|r| r.module() == "plain").collect();
    if full_width && threads >= 2 {
        assert!(
            peak(&plain) >= 2,
            "{what}: unconstrained tests never overlapped"
        );
    }
    let mut group_workers: HashMap<&str, Vec<&Record>> = HashMap::new();
    for r in recs {
        let group = match r.module() {
            "group_a" | "group_serial" => "a",
            "group_b" => "b",
            "group_c" => "c",
            _ => continue,
        };
        group_workers.entry(group).or_default().push(r);
    }
    for (group, members) in group_workers {
        assert!(
            members.iter().all(|m| m.worker == members[0].worker),
            "{what}: group {group} on several workers"
        );
        assert_eq!(peak(&members), 1, "{what}: group {group} overlaps itself");
    }
}

#[test]
fn every_constraint_holds_at_every_width_and_seed() {
    for threads in [1usize, 2, 4, 16, 64] {
        for seed in 0..3u64 {
            let t = threads.to_string();
            let heavy = if threads >= 16 { 3 } else { 1 };
            let h = heavy.to_string();
            let args = [
                "--test-threads",
                &t,
                "--heavy-limit",
                &h,
                "--max-concurrency",
                "integration=2",
            ];
            let recs = stress_run(&args, seed);
            check_invariants(
                &recs,
                (threads, heavy, 2),
                true,
                &format!("{threads} threads, seed {seed}"),
            );
        }
    }
}

#[test]
fn constraints_hold_in_shuffled_and_scoped_modes() {
    let cases: [&[&str]; 3] = [
        &[
            "--test-threads",
            "8",
            "--shuffle-seed",
            "7",
            "--max-concurrency",
            "integration=2",
        ],
        &[
            "--test-threads",
            "8",
            "--dist",
            "loadfile",
            "--max-concurrency",
            "integration=2",
        ],
        &[
            "--test-threads",
            "8",
            "--dist",
            "loadscope",
            "--max-concurrency",
            "integration=2",
        ],
    ];
    for args in cases {
        let recs = stress_run(args, 11);
        let scoped = args.contains(&"loadfile") || args.contains(&"loadscope");
        check_invariants(&recs, (8, 2, 2), !scoped, &format!("{args:?}"));
        if args.contains(&"loadscope") {
            let mut by_module: HashMap<&str, &str> = HashMap::new();
            for r in &recs {
                let w = by_module.entry(r.module()).or_insert(&r.worker);
                assert_eq!(
                    *w,
                    r.worker,
                    "loadscope: module {} on several workers",
                    r.module()
                );
            }
        }
        if args.contains(&"loadfile") {
            assert!(
                recs.iter().all(|r| r.worker == recs[0].worker),
                "loadfile: one file, one worker"
            );
        }
    }
}

#[test]
fn every_constraint_holds_in_process_mode() {
    for threads in [2usize, 4] {
        let t = threads.to_string();
        let args = [
            "--isolate",
            "process",
            "--test-threads",
            &t,
            "--heavy-limit",
            "1",
            "--max-concurrency",
            "integration=2",
        ];
        let recs = stress_run(&args, 5);
        check_invariants(
            &recs,
            (threads, 1, 2),
            true,
            &format!("process mode, {threads} workers"),
        );
    }
}

#[test]
fn dist_no_runs_sequentially_as_master() {
    let recs = stress_run(&["--dist", "no", "--test-threads", "8", "serial::"], 0);
    assert!(recs.iter().all(|r| r.worker == "master"));
    assert_eq!(peak(&recs.iter().collect::<Vec<_>>()), 1);
}

#[test]
fn maxfail_reports_the_rest_as_not_run() {
    let out = crate::common::run(
        "capture",
        &["--maxfail", "2", "--test-threads", "1", "bulk"],
    );
    assert_eq!(out.code, 101);
    assert!(
        out.stdout
            .contains("\nstopped after 2 failures: 30 tests not run: "),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("0 passed; 2 failed;"), "{}", out.stdout);
    let out = crate::common::run(
        "capture",
        &["-x", "--format", "json", "--test-threads", "1", "bulk"],
    );
    let last = out.stdout.lines().last().unwrap();
    let suite: serde_json::Value = serde_json::from_str(last).unwrap();
    assert_eq!(
        (suite["failed"].as_u64(), suite["not_run"].as_u64()),
        (Some(1), Some(31))
    );
}

#[test]
fn redis_db_without_the_marker_is_a_clear_failure() {
    let out = crate::common::run("integration", &["--test-threads", "1", "misuses_redis_db"]);
    assert_eq!(out.code, 101);
    assert!(
        out.stdout
            .contains("not marked redis_isolated; write #[partest::test(redis_isolated)]"),
        "{}",
        out.stdout
    );
}

#[test]
fn bad_scheduling_options_are_errors() {
    for (args, message) in [
        (&["--heavy-limit", "0"][..], "error: argument for --heavy-limit must not be 0\n"),
        (&["--max-concurrency", "integration"], "error: argument for --max-concurrency must look like NAME=N (was integration)\n"),
        (&["--max-concurrency", "integration=0"], "error: argument for --max-concurrency (integration) must not be 0\n"),
        (&["--dist", "each"], "error: argument for --dist must be load, loadscope, loadfile, loadgroup, worksteal or no (was each)\n"),
        (&["--maxfail", "x"], "error: argument for --maxfail must be a number > 0 (error: invalid digit found in string)\n"),
    ] {
        let out = crate::common::run("stress", args);
        assert_eq!((out.code, out.stderr.as_str()), (101, message), "{args:?}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn contradictory_pool_sizes_are_an_error_before_the_run() {
    let out = crate::common::run("conflict", &[]);
    assert_eq!(out.code, 101);
    assert!(out.stdout.is_empty(), "nothing ran: {}", out.stdout);
    assert!(
        out.stderr
            .starts_with("error: pool `pg` is declared with count = ")
            && out
                .stderr
                .contains("give every `resource(pg, count = K)` the same K"),
        "{}",
        out.stderr
    );
}

const HISTORY_HEADER: &str = "# partest durations v1 (microseconds<TAB>test name)\n";

#[test]
fn recorded_durations_start_the_longest_test_first() {
    let history = tempfile::tempdir().unwrap();
    let text = format!("{HISTORY_HEADER}9000000\tplain::t79\n8000000\tplain::t41\n");
    std::fs::write(history.path().join("durations.tsv"), text).unwrap();
    let records = tempfile::tempdir().unwrap();
    let env = [
        ("FIXTURE_RECORD_DIR", records.path().to_str().unwrap()),
        ("PARTEST_HISTORY_DIR", history.path().to_str().unwrap()),
    ];
    let out = run_with_env("stress", &["--test-threads", "2", "plain::"], &env);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let start = |name: &str| {
        let text = std::fs::read_to_string(records.path().join(name)).unwrap();
        text.split_whitespace()
            .nth(1)
            .unwrap()
            .parse::<u128>()
            .unwrap()
    };
    let (t79, t41) = (start("plain::t79"), start("plain::t41"));
    for i in 0..80 {
        let name = format!("plain::t{i:02}");
        if i != 79 && i != 41 {
            assert!(
                start(&name) > t79.max(t41),
                "{name} started before the two long tests"
            );
        }
    }
    // The run recorded what it measured (1-6 ms), replacing the made-up 9 s.
    let saved = std::fs::read_to_string(history.path().join("durations.tsv")).unwrap();
    assert!(saved.starts_with(HISTORY_HEADER));
    let t79 = saved
        .lines()
        .find(|l| l.ends_with("\tplain::t79"))
        .expect("t79 recorded");
    let micros: u64 = t79.split('\t').next().unwrap().parse().unwrap();
    assert!((1_000..1_000_000).contains(&micros), "{t79}");
}

#[test]
fn a_corrupt_history_is_a_warning_and_a_fresh_start() {
    let history = tempfile::tempdir().unwrap();
    std::fs::write(
        history.path().join("durations.tsv"),
        "\u{0}garbage\u{ff}\n12\tx",
    )
    .unwrap();
    let env = [("PARTEST_HISTORY_DIR", history.path().to_str().unwrap())];
    let out = run_with_env("timing", &["--test-threads", "2"], &env);
    assert_eq!(out.code, 0);
    assert!(
        out.stderr.contains("warning: ignoring corrupt") && out.stderr.contains("starting afresh"),
        "{}",
        out.stderr
    );
    let saved = std::fs::read_to_string(history.path().join("durations.tsv")).unwrap();
    assert!(
        saved.starts_with(HISTORY_HEADER) && saved.contains("\tsleep_0\n"),
        "rewritten: {saved}"
    );
}
