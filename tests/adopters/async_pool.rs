//! A real pool crate across async tests that each run on a runtime of their own: the
//! `pool` fixture's 200 tests share their worker's deadpool-postgres pool (2 connections at
//! most, opened on demand through `partest::on_worker_runtime`) against the PostgreSQL the
//! run starts. From what the server said to each test: never more connections to a
//! worker's database than its pool holds, and the same few backends serve all of its
//! tests (connections outlive the test that opened them) — in threads and process mode.

use crate::common::run_with_env;
use std::collections::{BTreeMap, BTreeSet};

#[test]
fn a_lazily_growing_per_worker_pool_serves_200_tests_on_4_workers() {
    let modes: [&[&str]; 2] = [
        &["--test-threads", "4"],
        &["--test-threads", "4", "--isolate", "process"],
    ];
    for mode in modes {
        let dir = tempfile::tempdir().unwrap();
        let out = run_with_env(
            "queries",
            mode,
            &[("FIXTURE_RECORD_DIR", dir.path().to_str().unwrap())],
        );
        assert_eq!(out.code, 0, "{mode:?}: {}{}", out.stdout, out.stderr);
        assert!(
            out.stdout.contains("200 passed; 0 failed"),
            "{}",
            out.stdout
        );
        let text = std::fs::read_to_string(dir.path().join("queries")).unwrap();
        let mut backends: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut lines = 0;
        for line in text.lines() {
            let f: Vec<&str> = line.split(' ').collect();
            let connections: usize = f[3].parse().unwrap();
            assert!(connections <= 2, "{mode:?}: {line}");
            backends
                .entry(f[1].to_owned())
                .or_default()
                .insert(f[2].to_owned());
            lines += 1;
        }
        assert_eq!(lines, 200, "{mode:?}");
        assert!((1..=4).contains(&backends.len()), "{mode:?}: {backends:?}");
        for (db, served_by) in &backends {
            assert!(
                served_by.len() <= 2,
                "{mode:?}: {db} was served by {served_by:?}"
            );
        }
    }
}
