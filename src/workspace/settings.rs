//! The settings of a workspace run, merged from every binary's manifest: the smallest
//! heavy limit and cap, one size per pool, the Redis databases every binary's range holds,
//! `-m` judged against the markers of every binary, and the one trace and report file
//! their configs name.

use crate::cli::{ReportArgs, SchedulingArgs, SelectionArgs};
use crate::config::Config;
use crate::constraints::RedisDbs;
use crate::error::Error;
use crate::manifest::Manifest;
use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::path::PathBuf;

/// The settings the binaries' manifests give, merged: the smallest heavy limit and cap,
/// one size per pool and one Redis range (a disagreement is an error naming both).
pub(super) fn merge(
    scheduling: &mut SchedulingArgs,
    parts: &[(&str, &Manifest)],
) -> Result<(), Error> {
    let min = |a: Option<NonZeroUsize>, b: Option<NonZeroUsize>| match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let mut pools: HashMap<String, (NonZeroUsize, &str)> = HashMap::new();
    for (binary, m) in parts {
        scheduling.heavy_limit = min(scheduling.heavy_limit, m.heavy_limit);
        for (marker, n) in &m.caps {
            match scheduling.caps.iter_mut().find(|(name, _)| name == marker) {
                Some((_, cap)) => *cap = (*cap).min(*n),
                None => scheduling.caps.push((marker.clone(), *n)),
            }
        }
        for (pool, n) in &m.pools {
            match pools.get(pool) {
                Some((other, there)) if other != n => {
                    return Err(Error::Binary(format!(
                        "pool `{pool}` has {other} slots in {there} but {n} in {}; give it one size (--resource-pool {pool}=N)",
                        binary
                    )))
                }
                _ => {
                    pools.insert(pool.clone(), (*n, binary));
                }
            }
        }
    }
    scheduling.redis_dbs = Some(run_redis_range(parts)?);
    for (pool, (n, _)) in pools {
        if !scheduling.pools.iter().any(|(name, _)| *name == pool) {
            scheduling.pools.push((pool, n));
        }
    }
    Ok(())
}

/// The trace and report files of a run whose command line names none: the one each
/// that the binaries' configs name (binaries whose configs name none do not count);
/// different files are an error naming the binaries and the files. Their directories are
/// created.
pub(super) fn report_files(
    reports: &mut ReportArgs,
    configs: &[(&str, Config)],
) -> Result<(), Error> {
    let trace = match reports.trace {
        None => one_file("trace", configs, |c| c.trace.clone())?,
        Some(_) => None,
    };
    let html = match reports.html {
        None => one_file("html", configs, |c| c.html.clone())?,
        Some(_) => None,
    };
    let run = Config {
        trace,
        html,
        ..Config::default()
    };
    run.fill_reports(reports);
    Ok(())
}

fn one_file(
    key: &str,
    configs: &[(&str, Config)],
    file_of: impl Fn(&Config) -> Option<PathBuf>,
) -> Result<Option<PathBuf>, Error> {
    let named: Vec<(&str, PathBuf)> = configs
        .iter()
        .filter_map(|(binary, c)| Some((*binary, file_of(c)?)))
        .collect();
    let Some((first, path)) = named.first() else {
        return Ok(None);
    };
    match named.iter().find(|(_, other)| other != path) {
        Some((binary, other)) => Err(Error::Binary(format!(
            "the binaries' configs name different `{key}` files: {} for {first}, {} for \
             {binary}; give them one, or pass --{key} PATH after `cargo partest --`",
            path.display(),
            other.display()
        ))),
        None => Ok(Some(path.clone())),
    }
}

/// The Redis databases the run leases: those every binary's range holds (a binary counts
/// when it sets a range or leases a database; the default range is 0-15), so a database
/// that one binary keeps for sharing is never leased by another. None in common is an error
/// naming the binaries and their ranges.
fn run_redis_range(parts: &[(&str, &Manifest)]) -> Result<RedisDbs, Error> {
    let mut run: Option<RedisDbs> = None;
    let mut seen: Vec<String> = Vec::new();
    for (binary, m) in parts {
        let leases = m
            .tests
            .iter()
            .any(|p| p.test.holds(crate::claims::Claim::Redis));
        let Some(range) = m.redis_dbs.or(leases.then(RedisDbs::default)) else {
            continue;
        };
        seen.push(format!("{binary} leases {range}"));
        run = match run {
            None => Some(range),
            Some(other) => Some(other.intersect(&range).ok_or_else(|| {
                Error::Binary(format!(
                    "the binaries keep no Redis database in common: {}; give them overlapping \
                     ranges (config redis_dbs, --redis-dbs A-B)",
                    seen.join(", ")
                ))
            })?),
        };
    }
    Ok(run.unwrap_or_default())
}

/// Judges `-m`'s marker names against every binary's markers (a marker declared in a
/// sibling binary is known) and returns the notes to print: `-m` selected nothing, or
/// plain libtest binaries run whole whatever `-m` says.
pub(super) fn check_markers(
    selection: &SelectionArgs,
    parts: &[(&str, &Manifest)],
    plain: &[&str],
) -> Result<Vec<String>, Error> {
    let Some(expr) = &selection.markers else {
        return Ok(Vec::new());
    };
    let mut known: Vec<String> = parts
        .iter()
        .flat_map(|(_, m)| m.markers.known.iter().cloned())
        .collect();
    known.sort();
    known.dedup();
    let strict = parts.iter().any(|(_, m)| m.markers.strict);
    crate::select::check_expression(expr, &known, strict)?;
    let mut notes = Vec::new();
    if !parts.is_empty() && parts.iter().all(|(_, m)| m.tests.is_empty()) {
        notes.push(crate::select::nothing_selected_note(
            &expr.to_string(),
            expr,
            &known,
        ));
    }
    if !plain.is_empty() {
        notes.push(format!(
            "-m applies to partest binaries only; plain libtest binaries run all their tests: {}",
            plain.join(", ")
        ));
    }
    Ok(notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(settings: &str, redis_test: bool) -> Manifest {
        let test = "test\tleases\trun\t-\t0\t0\tredis\t-\tm\tt.rs\t1\t1\n";
        let text = format!(
            "partest-manifest 2\n{settings}filtered_out\t0\n{}",
            if redis_test { test } else { "" }
        );
        crate::manifest::parse(&text, "b").unwrap()
    }

    fn merged(parts: &[(&str, &Manifest)]) -> Result<String, String> {
        let mut args = SchedulingArgs::default();
        merge(&mut args, parts).map_err(|e| e.to_string())?;
        Ok(args.redis_dbs().to_string())
    }

    #[test]
    fn the_run_leases_the_databases_every_binary_holds() {
        let keeper = manifest("setting\tredis_dbs\t1-15\n", false);
        let leaser = manifest("", true);
        let bystander = manifest("", false);
        let parts = [
            ("keeper", &keeper),
            ("leaser", &leaser),
            ("other", &bystander),
        ];
        assert_eq!(merged(&parts), Ok("1-15".into()));
        // A binary with the default range and no lease keeps nothing.
        let wide = manifest("setting\tredis_dbs\t0-31\n", true);
        assert_eq!(
            merged(&[("wide", &wide), ("other", &bystander)]),
            Ok("0-31".into())
        );
        assert_eq!(
            merged(&[("wide", &wide), ("leaser", &leaser)]),
            Ok("0-15".into())
        );
    }

    #[test]
    fn ranges_with_no_database_in_common_are_an_error_naming_them() {
        let zero = manifest("setting\tredis_dbs\t0-0\n", true);
        let keeper = manifest("setting\tredis_dbs\t1-15\n", false);
        let error = merged(&[("tests/a.rs", &zero), ("tests/b.rs", &keeper)]).unwrap_err();
        assert!(
            error.contains("tests/a.rs leases 0-0, tests/b.rs leases 1-15"),
            "{error}"
        );
    }

    #[test]
    fn the_configs_report_files_are_the_runs_when_they_agree() {
        let dir = tempfile::tempdir().unwrap();
        let w = dir.path().join("w");
        let config = |trace: Option<&str>| Config {
            trace: trace.map(|t| w.join(t)),
            ..Config::default()
        };
        let files = |configs: &[(&str, Config)], given: Option<&str>| {
            let mut reports = ReportArgs {
                trace: given.map(PathBuf::from),
                ..ReportArgs::default()
            };
            report_files(&mut reports, configs).map(|()| reports.trace)
        };
        let agreeing = [
            ("tests/a.rs", config(Some("t.json"))),
            ("tests/b.rs", config(None)),
            ("tests/c.rs", config(Some("t.json"))),
        ];
        assert_eq!(files(&agreeing, None).unwrap(), Some(w.join("t.json")));
        assert!(w.is_dir(), "the file's directory is created");
        assert_eq!(
            files(&agreeing, Some("x.json")).unwrap(),
            Some("x.json".into())
        );
        assert_eq!(files(&[("a", config(None))], None).unwrap(), None);
        let differing = [
            ("tests/a.rs", config(Some("a.json"))),
            ("tests/b.rs", config(Some("b.json"))),
        ];
        let error = files(&differing, None).unwrap_err().to_string();
        assert!(
            error.contains(&format!(
                "{} for tests/a.rs, {} for tests/b.rs",
                w.join("a.json").display(),
                w.join("b.json").display()
            )) && error.contains("--trace PATH"),
            "{error}"
        );
        // The command line settles it.
        assert!(files(&differing, Some("x.json")).is_ok());
    }
}
