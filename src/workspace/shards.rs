//! `cargo partest --partition K/N`: the shards of a whole workspace run. Every binary lists
//! all its selected tests (its own `--partition` and Bazel's variables left out), and the
//! run picks this shard's share of every binary's tests together: `count` by position in
//! the workspace's (source, name) order, `hash` by the hash of source and name, `duration`
//! balanced by the recorded durations of every binary (unknown tests by hash). A plain
//! libtest binary is one unit, run whole in exactly one shard; the doctests run in shard 1.

use super::{Binary, Kind};
use crate::cli::Partition;
use crate::history::History;
use crate::select::{duration_shards, in_partition};
use std::time::Duration;

/// The harness options without `--partition` (`--partition X` or `--partition=X`).
pub(super) fn without_partition(harness: &[String]) -> Vec<String> {
    let mut out = Vec::with_capacity(harness.len());
    let mut skip_value = false;
    for arg in harness {
        if skip_value {
            skip_value = false;
        } else if arg == "--partition" {
            skip_value = true;
        } else if arg == "--" {
            // Filters follow: nothing more to take out.
            out.push(arg.clone());
            skip_value = false;
        } else if !arg.starts_with("--partition=") {
            out.push(arg.clone());
        }
    }
    out
}

/// Bazel's sharding variables: a binary listing its tests for a sharded workspace run
/// must not shard itself.
pub(super) const SHARD_VARIABLES: [&str; 2] = ["TEST_TOTAL_SHARDS", "TEST_SHARD_INDEX"];

/// One thing a shard may run: a test (`source::name`) or a whole plain binary (`source`),
/// with its recorded duration if any.
pub(super) struct Unit {
    pub(super) key: String,
    pub(super) recorded: Option<Duration>,
}

/// Whether each of `units` belongs to this shard.
pub(super) fn in_this_shard(partition: Partition, units: &[Unit]) -> Vec<bool> {
    let mut order: Vec<usize> = (0..units.len()).collect();
    order.sort_by(|&a, &b| units[a].key.cmp(&units[b].key));
    let mut keep = vec![false; units.len()];
    match partition {
        Partition::Duration { shard, total } => {
            let keys: Vec<&str> = order.iter().map(|&i| units[i].key.as_str()).collect();
            let by_key: std::collections::HashMap<&str, Option<Duration>> =
                units.iter().map(|u| (u.key.as_str(), u.recorded)).collect();
            let recorded = |key: &str| by_key.get(key).copied().flatten();
            let shards = duration_shards(&keys, total, recorded);
            for (at, &i) in order.iter().enumerate() {
                keep[i] = shards[at] == shard - 1;
            }
        }
        _ => {
            for (position, &i) in order.iter().enumerate() {
                keep[i] = in_partition(partition, position, &units[i].key);
            }
        }
    }
    keep
}

/// The source part of a binary's label (`tests/api.rs` of `tests/api.rs (target/…)`),
/// the same in every shard.
pub(super) fn source_of(label: &str) -> &str {
    label.split(" (").next().unwrap_or(label)
}

/// This shard's share of every binary's tests: the other tests count as filtered out, a
/// plain binary of another shard is left out.
pub(super) fn this_shard(
    binaries: &[Binary],
    kinds: Vec<Kind>,
    partition: Partition,
) -> (Vec<Binary>, Vec<Kind>) {
    let mut units: Vec<Unit> = Vec::new();
    for (binary, kind) in binaries.iter().zip(&kinds) {
        let source = source_of(&binary.label);
        let (history, _) = History::load_for_binary(&binary.path);
        match kind {
            Kind::Partest(m) => units.extend(m.tests.iter().map(|p| Unit {
                key: format!("{source}::{}", p.test.name),
                recorded: history.estimate(p.test.name),
            })),
            Kind::Whole => units.push(Unit {
                key: source.to_owned(),
                recorded: None,
            }),
        }
    }
    let mut keep = in_this_shard(partition, &units).into_iter();
    let mut out = (Vec::new(), Vec::new());
    for (binary, mut kind) in binaries.iter().zip(kinds) {
        let kept = match &mut kind {
            Kind::Partest(m) => {
                let before = m.tests.len();
                m.tests.retain(|_| keep.next().unwrap_or(false));
                m.filtered_out += before - m.tests.len();
                true
            }
            Kind::Whole => keep.next().unwrap_or(false),
        };
        if kept {
            out.0.push(binary.clone());
            out.1.push(kind);
        }
    }
    out
}

/// Whether this shard runs the doctests: shard 1 does.
pub(crate) fn runs_doctests(partition: Option<Partition>) -> bool {
    match partition {
        Some(Partition::Count { shard, .. })
        | Some(Partition::Hash { shard, .. })
        | Some(Partition::Duration { shard, .. }) => shard == 1,
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_partition_option_is_taken_out_and_nothing_else() {
        let h = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            without_partition(&h(&[
                "--partition",
                "count:1/2",
                "-v",
                "--partition=hash:2/3",
                "x"
            ])),
            h(&["-v", "x"])
        );
    }

    #[test]
    fn every_unit_lands_in_exactly_one_shard() {
        let units: Vec<Unit> = (0..50)
            .map(|i| Unit {
                key: format!("tests/b{}.rs::t{i}", i % 3),
                recorded: (i % 4 != 0).then(|| Duration::from_millis(10 + i * 7)),
            })
            .collect();
        for total in 1..=4 {
            let kinds = [
                |shard, total| Partition::Count { shard, total },
                |shard, total| Partition::Hash { shard, total },
                |shard, total| Partition::Duration { shard, total },
            ];
            for kind in kinds {
                let mut seen = vec![0; units.len()];
                for shard in 1..=total {
                    for (i, kept) in in_this_shard(kind(shard, total), &units)
                        .into_iter()
                        .enumerate()
                    {
                        seen[i] += usize::from(kept);
                    }
                }
                assert!(seen.iter().all(|&n| n == 1), "{total}: {seen:?}");
            }
        }
    }
}
