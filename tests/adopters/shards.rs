//! `cargo partest --partition` over a workspace: the `multi` fixture's three partest
//! binaries (23 tests each) and its plain libtest binaries (run whole, in one shard each),
//! for `count` and `duration` partitions of 2 and 3 shards. Every test runs in exactly one
//! shard (recorded by the tests themselves); duration shards, balanced by the durations
//! a first run recorded, stay within one longest test of each other.

use crate::common::copy_dir;
use crate::workspace::{cargo_partest_packages, spans};
use std::collections::BTreeMap;
use std::path::Path;

/// Runs shard `k` of `n` of `kind`; (binary::test → nanoseconds it took) and how many
/// times the plain binary's tests ran.
/// Every shard starts from the history of the first run (`history`), as CI shards restore
/// the same cache.
fn shard(kind: &str, k: usize, n: usize, history: &Path) -> (BTreeMap<String, u128>, usize) {
    let dir = tempfile::tempdir().unwrap();
    let own_history = tempfile::tempdir().unwrap();
    copy_dir(history, own_history.path());
    let partition = format!("{kind}:{k}/{n}");
    let harness = ["--test-threads", "4", "--partition", &partition];
    let env = [("PARTEST_HISTORY_DIR", own_history.path().to_str().unwrap())];
    let (out, _) = cargo_partest_packages(&["multi"], &harness, dir.path(), &env);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{partition}: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ran = spans(dir.path())
        .into_iter()
        .map(|s| (format!("{}::{}", s.binary, s.name), s.end - s.start))
        .collect();
    (ran, stdout.matches("test adds ... ok").count())
}

#[test]
fn every_test_of_a_workspace_runs_in_exactly_one_shard() {
    // A first run records the durations `duration` balances by.
    let warm = tempfile::tempdir().unwrap();
    let history = tempfile::tempdir().unwrap();
    let env = [("PARTEST_HISTORY_DIR", history.path().to_str().unwrap())];
    let (out, _) = cargo_partest_packages(&["multi"], &["--test-threads", "4"], warm.path(), &env);
    assert!(out.status.success());
    let longest: u128 = spans(warm.path())
        .iter()
        .map(|s| s.end - s.start)
        .max()
        .unwrap();
    for kind in ["count", "duration"] {
        for n in [2, 3] {
            let mut seen: BTreeMap<String, usize> = BTreeMap::new();
            let mut plain = 0;
            let mut loads = Vec::new();
            for k in 1..=n {
                let (ran, plain_here) = shard(kind, k, n, history.path());
                plain += plain_here;
                loads.push(ran.values().sum::<u128>());
                for name in ran.keys() {
                    *seen.entry(name.clone()).or_default() += 1;
                }
            }
            assert_eq!(seen.len(), 69, "{kind} {n}: {seen:?}");
            assert!(seen.values().all(|&c| c == 1), "{kind} {n}: {seen:?}");
            assert_eq!(plain, 1, "{kind} {n}: the plain binary ran in one shard");
            if kind == "duration" {
                let (max, min) = (loads.iter().max().unwrap(), loads.iter().min().unwrap());
                assert!(
                    max - min <= longest + longest / 10,
                    "{n} shards: loads {loads:?} ns differ by more than the longest test ({longest} ns)"
                );
            }
        }
    }
}
