//! Several test binaries under one scheduler and one worker budget (`cargo partest`).
//! Each partest binary is asked for its selected tests and their constraints
//! (`--partest-manifest`, see [`manifest`](crate::manifest)); all of them go into one
//! plan, so `serial` keeps every other test of the run away, leases are unique across
//! binaries and the heavy limit and caps count every binary's tests. The tests run in
//! process mode, in worker processes of their own binary. Binaries that are not partest
//! (plain libtest) run whole, one worker each. Reports come per binary, like
//! `cargo test`'s, each printed once its binary is done, in the binaries' order.

use crate::cli::{Arguments, CliError, Format, Partition, RunIgnored};
use crate::entry;
use crate::error::Error;
use crate::filter::{Disposition, Planned, Selection};
use crate::history::History;
use crate::manifest::{self, Manifest};
use crate::plan::{Entry, Source, Test};
use crate::registry::Ignore;
use crate::runner::process::child::Settings;
use crate::runner::CaptureMode;
use crate::session;
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

mod doctests;
mod fanout;
mod settings;
mod shards;

use fanout::{parts, Fanout};

pub use doctests::doctests;

/// One test binary of a workspace, as cargo built it.
#[derive(Clone, Debug)]
pub struct Binary {
    /// How reports name it, like cargo: `tests/api.rs (target/debug/deps/api-1f2e…)`.
    pub label: String,
    /// The executable.
    pub path: PathBuf,
    /// Its package's directory: cargo runs test binaries there.
    pub dir: PathBuf,
    /// The variables cargo sets for it (`CARGO_MANIFEST_DIR`, `CARGO_PKG_NAME`, …).
    pub env: Vec<(OsString, OsString)>,
}

impl Binary {
    /// A command running this binary as cargo test would: in its package directory, with
    /// cargo's variables.
    fn command(&self) -> Command {
        let mut command = Command::new(&self.path);
        command
            .current_dir(&self.dir)
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        // `PARTEST_HISTORY_DIR` holds a directory per binary under cargo partest.
        if let Some(dir) = crate::history::dir_for_binary(&self.path) {
            if std::env::var_os("PARTEST_HISTORY_DIR").is_some_and(|d| !d.is_empty()) {
                command.env("PARTEST_HISTORY_DIR", dir);
            }
        }
        command
    }
}

/// Runs the tests of `binaries` with the harness options `harness` (what follows `--`),
/// reporting per binary; false if anything failed or could not run.
pub fn run(binaries: &[Binary], harness: &[String]) -> bool {
    match try_run(binaries, harness) {
        Ok(passed) => passed,
        Err(e) => {
            eprintln!("error: {e}");
            false
        }
    }
}

/// A binary's part of the run.
enum Kind {
    /// A partest binary: its manifest.
    Partest(Manifest),
    /// A plain libtest binary, run whole.
    Whole,
}

/// Asks `binary` for its manifest; `Whole` when it is not a partest binary.
fn inspect(binary: &Binary, harness: &[String], index: usize) -> Result<Kind, Error> {
    let mut command = binary.command();
    // A sharded run picks its share of every binary's tests itself.
    for var in shards::SHARD_VARIABLES {
        command.env_remove(var);
    }
    let out = command
        .arg("--partest-manifest")
        .args(harness)
        .output()
        .map_err(|e| Error::Binary(format!("could not run {}: {e}", binary.label)))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.success() && stdout.starts_with("partest-manifest ") {
        let manifest = manifest::parse(&stdout, &format!("binary{index}/"))
            .map_err(|e| Error::Binary(format!("{}: unreadable test list: {e}", binary.label)))?;
        return Ok(Kind::Partest(manifest));
    }
    // libtest rejects the option it does not know: a plain test binary.
    if stderr.contains("Unrecognized option: 'partest-manifest'") {
        return Ok(Kind::Whole);
    }
    Err(Error::Binary(format!(
        "{}: {}",
        binary.label,
        stderr.trim_end()
    )))
}

/// The harness options a plain libtest binary understands, from `args`.
pub(crate) fn libtest_args(args: &Arguments) -> Vec<OsString> {
    let mut out: Vec<OsString> = vec!["--test-threads".into(), "1".into()];
    out.extend(args.filters.iter().map(OsString::from));
    for skip in &args.skip {
        out.extend(["--skip".into(), skip.into()]);
    }
    if args.exact {
        out.push("--exact".into());
    }
    match args.run_ignored {
        RunIgnored::Yes => out.push("--include-ignored".into()),
        RunIgnored::Only => out.push("--ignored".into()),
        RunIgnored::No => {}
    }
    if args.nocapture {
        out.push("--nocapture".into());
    }
    if args.show_output {
        out.push("--show-output".into());
    }
    if args.format == Format::Terse {
        out.push("-q".into());
    }
    out
}

/// The pseudo-test that stands for a whole plain binary: no claims, no limit of its own.
fn whole_binary_test(binary: &Binary) -> Test {
    let name: &'static str = Box::leak(binary.label.clone().into_boxed_str());
    let entry: &'static Entry = Box::leak(Box::new(Entry {
        claims: Vec::new(),
        markers: &[],
        timeout: None,
        retries: 0,
        is_async: false,
        ignore: Ignore::No,
        module_path: name,
        location: (name, 0, 0),
    }));
    Test {
        name,
        source: Source::Elsewhere(entry),
        binary: 0,
    }
}

/// Every binary's tests in one plan (a whole plain binary is one pseudo-test), each
/// marked with its binary, and each binary's own selection for its report.
fn plan(binaries: &[Binary], kinds: &[Kind]) -> (Vec<Planned>, Vec<Selection>) {
    let mut plan: Vec<Planned> = Vec::new();
    let mut selections: Vec<Selection> = Vec::new();
    for (i, (binary, kind)) in binaries.iter().zip(kinds).enumerate() {
        let (tests, filtered_out) = match kind {
            Kind::Partest(m) => (m.tests.clone(), m.filtered_out),
            Kind::Whole => {
                let whole = Planned {
                    test: whole_binary_test(binary),
                    disposition: Disposition::Run,
                };
                (vec![whole], 0)
            }
        };
        let tests: Vec<Planned> = tests
            .into_iter()
            .map(|p| Planned {
                test: Test {
                    binary: i as u32,
                    ..p.test
                },
                ..p
            })
            .collect();
        plan.extend(tests.iter().copied());
        selections.push(Selection {
            tests,
            filtered_out,
        });
    }
    (plan, selections)
}

/// `--list`: each binary lists its own tests, in cargo's order, as under `cargo test`.
fn list(binaries: &[Binary], harness: &[String]) -> Result<bool, Error> {
    let mut ok = true;
    for binary in binaries {
        eprintln!("     Running {}", binary.label);
        let status = binary
            .command()
            .args(harness)
            .status()
            .map_err(|e| Error::Binary(format!("could not run {}: {e}", binary.label)))?;
        ok &= status.success();
    }
    Ok(ok)
}

fn try_run(binaries: &[Binary], harness: &[String]) -> Result<bool, Error> {
    let Some(mut args) = parse_args(harness)? else {
        return Ok(true);
    };
    crate::cli::check_environment(true).map_err(Error::Cli)?;
    if args.list {
        return list(binaries, harness);
    }
    let harness = &shards::without_partition(harness);
    let (binaries, kinds) = this_shard(binaries, harness, args.selection.partition)?;
    let binaries = &binaries[..];
    settle_settings(&mut args, binaries, &kinds)?;
    let threads = entry::thread_count(&args);

    let (plan, selections) = plan(binaries, &kinds);
    let mut histories = load_histories(binaries);
    let estimates: Vec<_> = match histories.iter().all(History::is_empty) {
        true => Vec::new(),
        false => plan
            .iter()
            .map(|p| histories[p.test.binary as usize].estimate(p.test.name))
            .collect(),
    };
    let mut config = session::run_config(&args, threads);
    config.capture = CaptureMode::for_run(args.nocapture, threads, true);
    // Each test's time limit (its own, else its binary's `--timeout`) is in its manifest.
    config.default_timeout = None;
    config.processes = worker_processes(binaries, &kinds, harness, &args, threads);
    let fanout = Fanout {
        parts: parts(binaries, &kinds, &selections, &histories, &args, threads)?,
        printed: 0,
        teardown_failed: false,
        format: args.format,
        notes: Vec::new(),
    };
    let planned = session::Plan {
        tests: &plan,
        estimates,
        keep_order: false,
        binaries: binaries
            .iter()
            .map(|b| b.label.split(" (").next().unwrap_or(&b.label).to_owned())
            .collect(),
    };
    let mut fanout = session::run(&args, planned, config, fanout)?;
    conclude(&mut fanout, &mut histories, &selections, &args)
}

/// The harness options; `None` when they asked for help, which is printed.
fn parse_args(harness: &[String]) -> Result<Option<Arguments>, Error> {
    match Arguments::from_args(harness.iter().cloned()) {
        Ok(args) => Ok(Some(args)),
        Err(CliError::Help) => {
            print!("{}", crate::cli::help("cargo partest --"));
            Ok(None)
        }
        Err(e) => Err(Error::Cli(e)),
    }
}

/// The binaries of this shard (all of them without `--partition`), each with its kind.
fn this_shard(
    binaries: &[Binary],
    harness: &[String],
    partition: Option<Partition>,
) -> Result<(Vec<Binary>, Vec<Kind>), Error> {
    let kinds: Vec<Kind> = binaries
        .iter()
        .enumerate()
        .map(|(i, b)| inspect(b, harness, i))
        .collect::<Result<_, _>>()?;
    Ok(match partition {
        Some(p) => shards::this_shard(binaries, kinds, p),
        None => (binaries.to_vec(), kinds),
    })
}

/// Merges the binaries' scheduling settings and their configs' report files into `args`
/// and prints the notes on markers that a marker expression names.
fn settle_settings(args: &mut Arguments, binaries: &[Binary], kinds: &[Kind]) -> Result<(), Error> {
    let labelled: Vec<(&str, &Manifest)> = binaries
        .iter()
        .zip(kinds)
        .filter_map(|(b, k)| match k {
            Kind::Partest(m) => Some((b.label.as_str(), m)),
            Kind::Whole => None,
        })
        .collect();
    settings::merge(&mut args.scheduling, &labelled)?;
    let plain: Vec<&str> = binaries
        .iter()
        .zip(kinds)
        .filter(|(_, k)| matches!(k, Kind::Whole))
        .map(|(b, _)| b.label.as_str())
        .collect();
    for note in settings::check_markers(&args.selection, &labelled, &plain)? {
        eprintln!("note: {note}");
    }
    // A binary's config was read (and checked) when it wrote its manifest.
    let configs: Vec<(&str, crate::config::Config)> = binaries
        .iter()
        .zip(kinds)
        .filter(|(_, k)| matches!(k, Kind::Partest(_)))
        .map(|(b, _)| Ok((b.label.as_str(), crate::config::load_from(&b.dir)?)))
        .collect::<Result<_, crate::config::ConfigError>>()?;
    settings::report_files(&mut args.reports, &configs)
}

/// Each binary's recorded history; an unreadable one is a warning and starts empty.
fn load_histories(binaries: &[Binary]) -> Vec<History> {
    binaries
        .iter()
        .map(|b| {
            let (history, warning) = History::load_for_binary(&b.path);
            if let Some(warning) = warning {
                eprintln!("warning: {}: {warning}", b.label);
            }
            history
        })
        .collect()
}

/// How each binary's worker processes are started: a partest binary with the harness
/// options, a plain one whole with the libtest options it understands.
fn worker_processes(
    binaries: &[Binary],
    kinds: &[Kind],
    harness: &[String],
    args: &Arguments,
    threads: usize,
) -> Vec<Arc<Settings>> {
    let harness_os: Vec<OsString> = harness.iter().map(OsString::from).collect();
    binaries
        .iter()
        .zip(kinds)
        .map(|(b, kind)| {
            let worker_args = match kind {
                Kind::Partest(_) => harness_os.clone(),
                Kind::Whole => libtest_args(args),
            };
            Arc::new(Settings {
                dir: Some(b.dir.clone()),
                env: b.env.clone(),
                whole: matches!(kind, Kind::Whole),
                ..entry::worker_settings(b.path.clone(), worker_args, threads, args)
            })
        })
        .collect()
}

/// After the run: the reports written, the histories updated, the failed binaries named;
/// true if everything passed.
fn conclude(
    fanout: &mut Fanout,
    histories: &mut [History],
    selections: &[Selection],
    args: &Arguments,
) -> Result<bool, Error> {
    // The history is recorded even when a report file cannot be written.
    let finished = fanout.finish_all(args.reports.junit.as_deref());
    for (i, part) in fanout.parts.iter().enumerate() {
        if let Some(state) = &part.state {
            entry::update_history(&mut histories[i], &selections[i].tests, state);
        }
    }
    finished?;
    let failed: Vec<&str> = fanout
        .parts
        .iter()
        .filter(|p| p.failed())
        .map(|p| p.label.as_str())
        .collect();
    if !failed.is_empty() {
        eprintln!("error: test failed in {}", failed.join(", "));
    }
    crate::runner::interrupt::reraise();
    Ok(failed.is_empty() && !fanout.teardown_failed)
}
