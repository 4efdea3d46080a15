//! partest's selection on top of libtest's filters: `--strict-markers`, `-m EXPR`,
//! `--lf` / `--ff`, and `--partition` (or Bazel's sharding variables). Tests it leaves out
//! count as filtered out, as libtest counts its own.

use crate::cli::{Partition, SelectionArgs};
use crate::config::Config;
use crate::filter::Selection;
use crate::markers::{self, MarkerExpr};
use crate::registry::Test;
use std::collections::HashSet;
use std::fmt;

/// A selection that cannot be made.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SelectError {
    /// With `--strict-markers`, a test carries a marker the config does not declare.
    UndeclaredMarker {
        /// The test.
        test: String,
        /// The marker.
        marker: String,
        /// The config file (or `partest.toml` when there is none).
        config: String,
        /// The declared markers.
        declared: Vec<String>,
    },
}

impl fmt::Display for SelectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SelectError::UndeclaredMarker {
                test,
                marker,
                config,
                declared,
            } => {
                let declared = if declared.is_empty() {
                    "none".to_owned()
                } else {
                    declared.join(", ")
                };
                write!(
                    f,
                    "`{test}` carries marker `{marker}`, which {config} does not declare (declared: {declared}; --strict-markers)"
                )
            }
        }
    }
}

impl std::error::Error for SelectError {}

/// With `--strict-markers` (or `strict_markers = true`), every custom marker a test carries
/// must be declared in the config.
pub(crate) fn check_markers(
    tests: &[Test],
    args: &SelectionArgs,
    config: &Config,
) -> Result<(), SelectError> {
    if !(args.strict_markers || config.strict_markers) {
        return Ok(());
    }
    for test in tests {
        for marker in test.def.markers {
            if !config.markers.iter().any(|m| m == marker) && !markers::is_builtin(marker) {
                return Err(SelectError::UndeclaredMarker {
                    test: test.name.to_owned(),
                    marker: (*marker).to_owned(),
                    config: config
                        .source
                        .as_ref()
                        .map_or("partest.toml".to_owned(), |p| p.display().to_string()),
                    declared: config.markers.clone(),
                });
            }
        }
    }
    Ok(())
}

/// A stable 64-bit FNV-1a hash: a test's shard depends on its name only.
fn name_hash(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// Whether the test at `position` (in name order) named `name` belongs to the partition.
pub(crate) fn in_partition(partition: Partition, position: usize, name: &str) -> bool {
    match partition {
        Partition::Count { shard, total } => position % total == shard - 1,
        Partition::Hash { shard, total } => name_hash(name) % total as u64 == (shard - 1) as u64,
    }
}

fn retain(selection: &mut Selection, mut keep: impl FnMut(usize, &Test) -> bool) {
    let before = selection.tests.len();
    let mut position = 0;
    selection.tests.retain(|p| {
        let kept = keep(position, &p.test);
        position += 1;
        kept
    });
    selection.filtered_out += before - selection.tests.len();
}

/// Applies `-m`, `--lf`/`--ff` and `--partition` to `selection` (in name order). Returns a
/// note for stderr when `--lf` found nothing to rerun.
pub(crate) fn apply(
    selection: &mut Selection,
    args: &SelectionArgs,
    last_failed: &HashSet<String>,
) -> Option<String> {
    if let Some(expr) = &args.markers {
        retain(selection, |_, t| {
            MarkerExpr::matches(expr, &markers::markers_of(t.def))
        });
    }
    let mut note = None;
    let failed_here = selection
        .tests
        .iter()
        .filter(|p| last_failed.contains(p.test.name))
        .count();
    if args.last_failed {
        if failed_here == 0 {
            note = Some(
                "--lf: no previously failed tests among the selected ones; running them all"
                    .to_owned(),
            );
        } else {
            retain(selection, |_, t| last_failed.contains(t.name));
        }
    } else if args.failed_first && failed_here > 0 {
        // A stable partition: failed tests first, each part in name order.
        selection
            .tests
            .sort_by_key(|p| !last_failed.contains(p.test.name));
    }
    if let Some(partition) = args.partition {
        retain(selection, |position, t| {
            in_partition(partition, position, t.name)
        });
    }
    note
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_are_disjoint_and_complete_for_many_counts() {
        let names: Vec<String> = (0..997)
            .map(|i| format!("mod{}::test_{i}", i % 7))
            .collect();
        for total in 1..=13 {
            for kind in ["count", "hash"] {
                let mut owner = vec![0usize; names.len()];
                for shard in 1..=total {
                    let p = match kind {
                        "count" => Partition::Count { shard, total },
                        _ => Partition::Hash { shard, total },
                    };
                    for (i, name) in names.iter().enumerate() {
                        if in_partition(p, i, name) {
                            owner[i] += 1;
                        }
                    }
                }
                assert!(
                    owner.iter().all(|&n| n == 1),
                    "{kind} {total}: every test in exactly one shard"
                );
            }
        }
    }

    #[test]
    fn hash_shards_do_not_move_when_tests_are_added() {
        let p = Partition::Hash { shard: 2, total: 5 };
        let before: Vec<bool> = (0..100)
            .map(|i| in_partition(p, i, &format!("t{i}")))
            .collect();
        let after: Vec<bool> = (0..100)
            .map(|i| in_partition(p, i + 37, &format!("t{i}")))
            .collect();
        assert_eq!(before, after);
    }
}
