//! partest's selection on top of libtest's filters: `--strict-markers`, `-m EXPR`,
//! `--lf` / `--ff`, and `--partition` (or Bazel's sharding variables). Tests it leaves out
//! count as filtered out, as libtest counts its own.

use crate::cli::{Partition, SelectionArgs};
use crate::config::Config;
use crate::filter::Selection;
use crate::markers::{self, MarkerExpr};
use crate::plan::Test;
use std::collections::HashSet;
use std::fmt;
use std::fmt::Write as _;
use std::time::Duration;

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
    /// With `--strict-markers`, `-m` names a marker that is neither declared nor built in.
    UnknownMarker {
        /// The name in `-m`.
        name: String,
        /// The markers that are known (declared, or carried by a test).
        known: Vec<String>,
        /// A known marker close to `name`.
        suggestion: Option<String>,
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
            SelectError::UnknownMarker {
                name,
                known,
                suggestion,
            } => {
                write!(
                    f,
                    "-m names marker `{name}`, which no config declares and no test carries \
                     (--strict-markers); known markers: {}, and the built-in serial, \
                     heavy_resource, redis_isolated, serial_KEY, group_NAME, resource_NAME",
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                )?;
                match suggestion {
                    Some(s) => write!(f, "; did you mean `{s}`?"),
                    None => Ok(()),
                }
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
        for marker in test.markers() {
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

/// The custom markers a binary knows: those its config declares and those its tests carry.
pub(crate) fn known_markers(tests: &[Test], config: &Config) -> Vec<String> {
    let mut known: Vec<String> = config.markers.clone();
    for test in tests {
        known.extend(test.markers().iter().map(|m| (*m).to_owned()));
    }
    known.sort();
    known.dedup();
    known
}

/// With strictness, every marker `-m` names must be known or built in.
pub(crate) fn check_expression(
    expr: &MarkerExpr,
    known: &[String],
    strict: bool,
) -> Result<(), SelectError> {
    if !strict {
        return Ok(());
    }
    for name in expr.names() {
        if !known.iter().any(|k| k == name) && !markers::is_builtin(name) {
            return Err(SelectError::UnknownMarker {
                name: name.to_owned(),
                known: known.to_vec(),
                suggestion: markers::closest(name, known.iter().map(String::as_str))
                    .map(str::to_owned),
            });
        }
    }
    Ok(())
}

/// The note for a `-m` that selected no test: what the tests carry, and the marker a name
/// may have meant.
pub(crate) fn nothing_selected_note(
    expr_text: &str,
    expr: &MarkerExpr,
    known: &[String],
) -> String {
    let mut note = format!(
        "-m `{expr_text}` selected no test; the tests carry {}",
        if known.is_empty() {
            "no custom marker".to_owned()
        } else {
            known.join(", ")
        }
    );
    for name in expr.names() {
        if known.iter().any(|k| k == name) || markers::is_builtin(name) {
            continue;
        }
        if let Some(s) = markers::closest(name, known.iter().map(String::as_str)) {
            let _ = write!(note, " (did you mean `{s}` for `{name}`?)");
        }
    }
    note
}

/// A stable 64-bit FNV-1a hash: a test's shard depends on its name only.
fn name_hash(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// Whether the test at `position` (in name order) named `name` belongs to a `count` or
/// `hash` partition (`duration` partitions are decided for all tests at once:
/// [`duration_shards`]).
pub(crate) fn in_partition(partition: Partition, position: usize, name: &str) -> bool {
    match partition {
        Partition::Count { shard, total } => position % total == shard - 1,
        Partition::Hash { shard, total } | Partition::Duration { shard, total } => {
            name_hash(name) % total as u64 == (shard - 1) as u64
        }
    }
}

/// The 0-based shard of each of `names` for `total` shards balanced by `estimate`: the
/// tests with a recorded duration, longest first (then by name), each onto the shard with
/// the least recorded time so far (the lowest on ties); the others by name hash. Depends
/// only on the names and the durations, so every machine with the same history agrees.
pub(crate) fn duration_shards(
    names: &[&str],
    total: usize,
    estimate: impl Fn(&str) -> Option<Duration>,
) -> Vec<usize> {
    let mut shard_of = vec![0; names.len()];
    let mut known: Vec<(Duration, &str, usize)> = Vec::new();
    for (i, name) in names.iter().enumerate() {
        match estimate(name) {
            Some(d) => known.push((d, name, i)),
            None => shard_of[i] = (name_hash(name) % total as u64) as usize,
        }
    }
    known.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    let mut load = vec![Duration::ZERO; total];
    for (d, _, i) in known {
        let lightest = (0..total).min_by_key(|&s| (load[s], s)).unwrap_or(0);
        load[lightest] += d;
        shard_of[i] = lightest;
    }
    shard_of
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
/// note for stderr when `--lf` found nothing to rerun. `estimate` gives the recorded
/// durations `--partition duration:K/N` balances by.
pub(crate) fn apply(
    selection: &mut Selection,
    args: &SelectionArgs,
    last_failed: &HashSet<String>,
    estimate: impl Fn(&str) -> Option<Duration>,
) -> Option<String> {
    if let Some(expr) = &args.markers {
        retain(selection, |_, t| {
            MarkerExpr::matches(expr, &t.marker_names())
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
    match args.partition {
        Some(Partition::Duration { shard, total }) => {
            let names: Vec<&str> = selection.tests.iter().map(|p| p.test.name).collect();
            let shards = duration_shards(&names, total, estimate);
            retain(selection, |position, _| shards[position] == shard - 1);
        }
        Some(partition) => retain(selection, |position, t| {
            in_partition(partition, position, t.name)
        }),
        None => {}
    }
    note
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duration_shards_are_disjoint_complete_and_balanced() {
        let names: Vec<String> = (0..301).map(|i| format!("m{}::t{i}", i % 5)).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        // Every third test has no recorded duration; the others 1..=97 ms.
        let estimate = |name: &str| {
            let i: u64 = name.rsplit('t').next()?.parse().ok()?;
            (!i.is_multiple_of(3)).then(|| Duration::from_millis(1 + (i * 37) % 97))
        };
        for total in 1..=9 {
            let shards = duration_shards(&names, total, estimate);
            assert!(
                shards.iter().all(|&s| s < total),
                "{total}: a shard out of range"
            );
            let mut load = vec![Duration::ZERO; total];
            for (name, &s) in names.iter().zip(&shards) {
                load[s] += estimate(name).unwrap_or_default();
            }
            // Longest first onto the lightest shard: no shard exceeds another by more
            // than the longest test.
            let (max, min) = (load.iter().max().unwrap(), load.iter().min().unwrap());
            assert!(
                *max - *min <= Duration::from_millis(97),
                "{total}: {load:?}"
            );
            // The same inputs give the same shards (every machine agrees).
            assert_eq!(shards, duration_shards(&names, total, estimate));
        }
    }

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
