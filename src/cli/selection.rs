//! partest's selection and reporting options ([`SelectionArgs`], [`ReportArgs`]): marker
//! expressions, last-failed reruns, partitions (and Bazel's sharding variables), JUnit,
//! durations, measurements, verbosity.

use super::{env_var, parse_threads, Matches};
use crate::markers::MarkerExpr;
use std::num::NonZeroUsize;
use std::path::PathBuf;

/// How the selected tests are split across machines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Partition {
    /// `count:K/N`: every N-th test of the name-sorted selection, starting with the K-th.
    Count {
        /// This shard, 1-based.
        shard: usize,
        /// Number of shards.
        total: usize,
    },
    /// `hash:K/N`: tests whose name hashes to K (a test's shard never depends on others).
    Hash {
        /// This shard, 1-based.
        shard: usize,
        /// Number of shards.
        total: usize,
    },
    /// `duration:K/N`: shards balanced by the durations recorded by earlier runs (longest
    /// first onto the lightest shard); tests without a recorded duration go by `hash`.
    Duration {
        /// This shard, 1-based.
        shard: usize,
        /// Number of shards.
        total: usize,
    },
}

/// Which tests run.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct SelectionArgs {
    /// `-m EXPR`.
    pub markers: Option<MarkerExpr>,
    /// `--strict-markers`: a custom marker the config does not declare is an error.
    pub strict_markers: bool,
    /// `--lf` / `--last-failed`: only the tests that failed last time (all if none did).
    pub last_failed: bool,
    /// `--ff` / `--failed-first`: the tests that failed last time first, then the rest.
    pub failed_first: bool,
    /// `--partition` / Bazel's `TEST_TOTAL_SHARDS` + `TEST_SHARD_INDEX`.
    pub partition: Option<Partition>,
    /// Bazel's `TEST_SHARD_STATUS_FILE`, touched to say sharding is supported.
    pub shard_status_file: Option<PathBuf>,
}

/// Extra reports.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct ReportArgs {
    /// `--junit PATH` (or Bazel's `XML_OUTPUT_FILE`): a JUnit XML file, written at the end.
    pub junit: Option<PathBuf>,
    /// `--durations N`: list the N slowest tests after the summary.
    pub durations: Option<usize>,
    /// `--measure`: wall time against test time, waiting, each worker's busy share.
    pub measure: bool,
    /// `--trace PATH` (env `PARTEST_TRACE`): a Chrome trace-event timeline of the run.
    pub trace: Option<PathBuf>,
    /// `--html PATH` (env `PARTEST_HTML`): a self-contained HTML report of the run.
    pub html: Option<PathBuf>,
    /// `-v` / `--verbose`: the worker beside each result line.
    pub verbose: bool,
}

fn parse_partition(text: &str, what: &str) -> Result<Partition, String> {
    let bad = || {
        format!("{what} must be count:K/N, hash:K/N or duration:K/N with 1 <= K <= N (was {text})")
    };
    let (kind, rest) = text.split_once(':').ok_or_else(bad)?;
    let (k, n) = rest.split_once('/').ok_or_else(bad)?;
    let (shard, total): (usize, usize) =
        (k.parse().map_err(|_| bad())?, n.parse().map_err(|_| bad())?);
    if shard == 0 || shard > total {
        return Err(bad());
    }
    match kind {
        "count" => Ok(Partition::Count { shard, total }),
        "hash" => Ok(Partition::Hash { shard, total }),
        "duration" => Ok(Partition::Duration { shard, total }),
        _ => Err(bad()),
    }
}

/// Bazel's test sharding protocol: `TEST_TOTAL_SHARDS` and 0-based `TEST_SHARD_INDEX`.
fn bazel_partition() -> Result<Option<Partition>, String> {
    let (Some(total), Some(index)) = (env_var("TEST_TOTAL_SHARDS"), env_var("TEST_SHARD_INDEX"))
    else {
        return Ok(None);
    };
    let total = parse_threads(&total, "TEST_TOTAL_SHARDS")?.get();
    let index: usize = index
        .parse()
        .map_err(|_| format!("TEST_SHARD_INDEX must be a number (was {index})"))?;
    if index >= total {
        return Err(format!(
            "TEST_SHARD_INDEX ({index}) must be below TEST_TOTAL_SHARDS ({total})"
        ));
    }
    Ok(Some(Partition::Count {
        shard: index + 1,
        total,
    }))
}

impl SelectionArgs {
    pub(super) fn from_matches(m: &Matches) -> Result<Self, String> {
        let markers = match m.value("m") {
            Some(text) => Some(MarkerExpr::parse(text).map_err(|e| e.to_string())?),
            None => None,
        };
        let partition = match m.value("partition") {
            Some(text) => Some(parse_partition(text, "argument for --partition")?),
            None => bazel_partition()?,
        };
        Ok(SelectionArgs {
            markers,
            strict_markers: m.flag("strict-markers"),
            last_failed: m.flag("lf") || m.flag("last-failed"),
            failed_first: m.flag("ff") || m.flag("failed-first"),
            partition,
            shard_status_file: env_var("TEST_SHARD_STATUS_FILE").map(PathBuf::from),
        })
    }
}

impl ReportArgs {
    pub(super) fn from_matches(m: &Matches) -> Result<Self, String> {
        let durations =
            match m.value("durations") {
                Some(text) => Some(text.parse::<usize>().map_err(|e| {
                    format!("argument for --durations must be a number (error: {e})")
                })?),
                None => None,
            };
        Ok(ReportArgs {
            junit: m
                .value("junit")
                .map(PathBuf::from)
                .or_else(|| env_var("XML_OUTPUT_FILE").map(PathBuf::from)),
            durations,
            measure: m.flag("measure"),
            trace: m
                .value("trace")
                .map(PathBuf::from)
                .or_else(|| env_var("PARTEST_TRACE").map(PathBuf::from)),
            html: m
                .value("html")
                .map(PathBuf::from)
                .or_else(|| env_var("PARTEST_HTML").map(PathBuf::from)),
            verbose: m.flag("verbose"),
        })
    }
}

/// Workers from partest's environment knobs: `PARTEST_DISABLE_PARALLEL=1` means one,
/// `PARTEST_WORKERS` is a number or `auto`. `None` when neither says.
pub(super) fn env_workers() -> Result<Option<Option<NonZeroUsize>>, String> {
    if env_var("PARTEST_DISABLE_PARALLEL").is_some_and(|v| !v.is_empty() && v != "0") {
        return Ok(Some(Some(NonZeroUsize::MIN)));
    }
    match env_var("PARTEST_WORKERS").as_deref() {
        None | Some("") => Ok(None),
        Some("auto") => Ok(Some(None)),
        Some(text) => {
            parse_threads(text, "PARTEST_WORKERS (a number or auto)").map(|n| Some(Some(n)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_parse_and_reject() {
        assert_eq!(
            parse_partition("count:2/3", "x"),
            Ok(Partition::Count { shard: 2, total: 3 })
        );
        assert_eq!(
            parse_partition("hash:1/1", "x"),
            Ok(Partition::Hash { shard: 1, total: 1 })
        );
        for bad in [
            "count:0/3",
            "count:4/3",
            "hash:1",
            "round:1/2",
            "count:a/2",
            "",
        ] {
            assert!(parse_partition(bad, "x").is_err(), "{bad}");
        }
    }
}
