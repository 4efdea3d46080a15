//! The entry point: parse → collect → select → list | run → report → exit code.
//! Glue only; each step is a call into its module.

use crate::cli::{self, Arguments, CliError, ColorConfig, Format};
use crate::conclusion::{Conclusion, FAILURE_EXIT_CODE};
use crate::dist::Dist;
use crate::error::Error;
use crate::filter::{self, Disposition, Planned, Selection};
use crate::history::{self, History};
use crate::isolation::Isolation;
use crate::report::{self, list, Reporter, Style, Tally};
use crate::runner::{self, panic_hook, CaptureMode};
use crate::{config, fixtures, nextest, order, run_locks, select, session};
use std::collections::HashSet;
use std::fs::File;
use std::io::{self, IsTerminal};
use std::process::ExitCode;

mod reporting;

use reporting::build_reporter;
pub(crate) use reporting::{reporter, update_history};

/// The whole `main` of a partest test binary: parses the command line, runs, exits.
pub fn main() -> ExitCode {
    #[cfg(unix)]
    let worker = runner::process::serve::role();
    let args = match Arguments::from_env() {
        Ok(args) => args,
        Err(CliError::Help) => {
            let program = std::env::args()
                .next()
                .unwrap_or_else(|| "test-binary".into());
            print!("{}", cli::help(&program));
            println!(
                "  In this binary, parallel runs capture {}.",
                CaptureMode::describe_parallel()
            );
            if cfg!(any(target_os = "linux", target_os = "macos")) {
                println!("  With --isolate process, every run captures exactly: each worker process's fds 1 and 2.");
            }
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(FAILURE_EXIT_CODE);
        }
    };
    #[cfg(unix)]
    if let Some(role) = worker {
        return serve_as_worker(role, &args);
    }
    let conclusion = run(&args);
    if let Some(error) = &conclusion.error {
        eprintln!("error: {error}");
    }
    conclusion.exit_code()
}

/// The worker role (`--isolate process`): the coordinator checked the arguments and the
/// config already; an error here ends the worker, and the coordinator reports its tests.
#[cfg(unix)]
fn serve_as_worker(role: runner::process::serve::Role, args: &Arguments) -> ExitCode {
    let served = (|| -> Result<(), Error> {
        let settings = config::load()?;
        let mut args = args.clone();
        settings.fill(&mut args.scheduling);
        let tests = crate::plan::collect()?;
        fixtures::init_run(role.workers, role.workers == 1);
        fixtures::set_redis_dbs(args.scheduling.redis_dbs());
        panic_hook::install();
        runner::cwd::remember();
        runner::process::serve::serve(role, &tests, args.scheduling.timeout)?;
        Ok(())
    })();
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: partest worker gw{}: {e}", role.slot);
            ExitCode::from(FAILURE_EXIT_CODE)
        }
    }
}

/// How this run starts worker processes of `program` (`--isolate process`, and each
/// binary's under `cargo partest`): with `worker_args`, for `workers` workers, capture and
/// the timeout grace as `args` say; in the current directory, with no extra variables.
#[cfg(unix)]
pub(crate) fn worker_settings(
    program: std::path::PathBuf,
    worker_args: Vec<std::ffi::OsString>,
    workers: usize,
    args: &Arguments,
) -> runner::process::child::Settings {
    runner::process::child::Settings {
        program,
        dir: None,
        env: Vec::new(),
        args: worker_args,
        whole: false,
        workers,
        capture: !args.nocapture,
        grace: args.scheduling.timeout_grace(),
        uid: crate::testrun_uid(),
        service: provide_service,
    }
}

/// Builds partest's per-run servers in the coordinator, for worker processes: the URL, or
/// the error text the tests that asked fail with.
#[cfg(unix)]
fn provide_service(name: &str) -> Result<String, String> {
    use crate::services;
    // The failure is the answer: its panic report is not printed here.
    panic_hook::begin(panic_hook::Sink::Buffer);
    let built = std::panic::catch_unwind(|| match name {
        "redis" => Ok(services::redis().url()),
        "postgres" => Ok(services::postgres().url()),
        other => Err(format!("partest: no per-run service named {other}")),
    });
    let _ = panic_hook::end();
    match built {
        Ok(answer) => answer,
        Err(payload) => Err(crate::outcome::payload_text(&*payload)
            .unwrap_or("partest: the service could not be started")
            .to_owned()),
    }
}

/// Workers of the run: `--test-threads` (or `RUST_TEST_THREADS`), else the machine's
/// available parallelism.
pub(crate) fn thread_count(args: &Arguments) -> usize {
    args.test_threads
        .map(|n| n.get())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Runs (or lists) the registered tests that `args` selects, printing to stdout.
pub fn run(args: &Arguments) -> Conclusion {
    match try_run(args) {
        Ok(c) => c,
        Err(e) => Conclusion::from_error(e),
    }
}

fn try_run(args: &Arguments) -> Result<Conclusion, Error> {
    // Under cargo partest the coordinator warned already; under nextest every test
    // process would repeat it.
    let once = !args.partest_manifest && std::env::var_os("NEXTEST_RUN_ID").is_none();
    cli::check_environment(once).map_err(Error::Cli)?;
    let settings = config::load()?;
    let mut args = args.clone();
    settings.fill(&mut args.scheduling);
    settings.fill_reports(&mut args.reports);
    let args = &args;
    let (history, mut selection, known) = select_tests(args, &settings)?;
    let threads = if args.scheduling.dist() == Dist::No {
        1
    } else {
        thread_count(args)
    };
    if args.nextest_config {
        let tests: Vec<_> = selection.tests.iter().map(|p| p.test).collect();
        print!("{}", nextest::config(&tests, &args.scheduling, threads));
        return Ok(Conclusion::nothing_run(0));
    }
    if args.partest_manifest {
        print!(
            "{}",
            crate::manifest::write(
                &selection.tests,
                selection.filtered_out,
                &args.scheduling,
                &crate::manifest::MarkerFacts {
                    quarantine: settings.quarantine.clone(),
                    known,
                    strict: args.selection.strict_markers || settings.strict_markers,
                }
            )
        );
        return Ok(Conclusion::nothing_run(0));
    }
    if args.list {
        let tests: Vec<_> = selection.tests.iter().map(|p| p.test).collect();
        run_locks::record_redis_range(&args.scheduling, &tests)?;
        if args.format == Format::Json {
            list::write_list_json(&mut io::stdout(), &selection.tests)?;
        } else {
            list::write_list(
                &mut io::stdout(),
                &selection.tests,
                args.format == Format::Terse,
            )?;
        }
        return Ok(Conclusion::nothing_run(selection.filtered_out));
    }
    let shuffle_seed = args
        .shuffle_seed
        .or_else(|| args.shuffle.then(order::fresh_seed));
    if let Some(seed) = shuffle_seed {
        order::shuffle(&mut selection.tests, seed);
    }
    run_selection(args, &settings, history, &selection, threads, shuffle_seed)
}

/// Collects the tests and selects what runs: filters, markers, `--lf`, partitions.
/// Also the custom markers the binary knows (declared or carried).
fn select_tests(
    args: &Arguments,
    settings: &config::Config,
) -> Result<(History, Selection, Vec<String>), Error> {
    let tests = crate::plan::collect()?;
    select::check_markers(&tests, &args.selection, settings)?;
    let known = select::known_markers(&tests, settings);
    // Under cargo partest the names are judged run-wide, by the coordinator.
    let judged_here = !args.partest_manifest;
    if let (Some(expr), true) = (&args.selection.markers, judged_here) {
        let strict = args.selection.strict_markers || settings.strict_markers;
        select::check_expression(expr, &known, strict)?;
    }
    let (history, warning) = History::load();
    if let Some(warning) = warning {
        eprintln!("warning: {warning}");
    }
    let mut selection = filter::select(&tests, args);
    let recorded = |name: &str| history.recorded(name);
    if let Some(note) = select::apply(
        &mut selection,
        &args.selection,
        history.last_failed(),
        recorded,
    ) {
        eprintln!("note: {note}");
    }
    if let (Some(expr), true) = (&args.selection.markers, judged_here) {
        if selection.tests.is_empty() && !tests.is_empty() {
            let note = select::nothing_selected_note(&expr.to_string(), expr, &known);
            eprintln!("note: {note}");
        }
    }
    if let Some(path) = &args.selection.shard_status_file {
        File::create(path)?; // tells Bazel that this binary shards
    }
    Ok((history, selection, known))
}

/// Runs the selection on `threads` workers in one session and reports it.
fn run_selection(
    args: &Arguments,
    settings: &config::Config,
    mut history: History,
    selection: &Selection,
    threads: usize,
    shuffle_seed: Option<u64>,
) -> Result<Conclusion, Error> {
    let runnable = selection
        .tests
        .iter()
        .filter(|p| p.disposition == Disposition::Run)
        .count();
    // Under nextest each process runs one test, on the main thread, and records no history.
    let under_nextest = std::env::var_os("NEXTEST_RUN_ID").is_some();
    // Without recorded durations every estimate is the same: skip the look-ups.
    let estimates: Vec<_> = match history.is_empty() {
        true => Vec::new(),
        false => selection
            .tests
            .iter()
            .map(|p| history.estimate(p.test.name))
            .collect(),
    };
    let plan = session::Plan {
        tests: &selection.tests,
        estimates,
        keep_order: shuffle_seed.is_some() || args.selection.failed_first,
        binaries: Vec::new(),
    };
    let (config, _locks) = configure(args, selection, threads, (under_nextest, runnable))?;
    // Kept open for the whole run: the crash handler writes to it.
    let _crash_file = install_crash_reporting(&history, under_nextest, threads);
    let (reporter, _stdout) =
        build_reporter(args, selection, &history, settings, config.capture, threads)?;
    let reporter = session::run(args, plan, config, reporter.shuffled(shuffle_seed))?;
    let state = reporter.finish()?;
    #[cfg(unix)]
    runner::crash::finished();
    if !under_nextest {
        update_history(&mut history, &selection.tests, &state);
        history.forget_crash_file();
    }
    // Interrupted: everything is written; end by the signal, as the caller expects.
    #[cfg(unix)]
    runner::interrupt::reraise();
    Ok(Conclusion::from_state(&state))
}

/// How the selection runs: capture, isolation and the outer slots and cross-process locks
/// (returned: they are held for the run) that a `cargo nextest` run needs.
fn configure(
    args: &Arguments,
    selection: &Selection,
    threads: usize,
    (under_nextest, runnable): (bool, usize),
) -> Result<(runner::RunConfig, run_locks::Held), Error> {
    let isolation = args.scheduling.isolate();
    isolation
        .check_platform()
        .map_err(|e| Error::Cli(CliError::Invalid(e)))?;
    // Under nextest each process runs one test: isolation is nextest's.
    let processes = isolation == Isolation::Process && !under_nextest;
    let mut config = session::run_config(args, threads);
    config.capture = CaptureMode::for_run(args.nocapture, threads, processes);
    config.inline = under_nextest && runnable <= 1;
    config.outer_slots = nextest::group_slot().into_iter().collect();
    let covered = config.outer_slots.first().map(|(pool, _)| pool.clone());
    let locks = run_locks::for_process(
        &args.scheduling,
        selection,
        (under_nextest, runnable),
        covered.as_deref(),
    )?;
    config.outer_slots.extend(locks.slots.iter().cloned());
    #[cfg(unix)]
    if processes {
        let program = std::env::current_exe()?;
        let args_os = std::env::args_os().skip(1).collect();
        let worker = worker_settings(program, args_os, threads, args);
        config.processes = vec![std::sync::Arc::new(worker)];
    }
    Ok((config, locks))
}

/// Names the in-flight tests if the process crashes, recording them in the history's
/// crash file (returned: it must stay open for the run). Nothing to do off unix.
fn install_crash_reporting(history: &History, under_nextest: bool, threads: usize) -> Option<File> {
    #[cfg(unix)]
    {
        let file = if under_nextest {
            None
        } else {
            history.open_crash_file()
        };
        let fd = file.as_ref().map(std::os::fd::AsRawFd::as_raw_fd);
        runner::crash::install(runner::capture::original_stderr(), fd, threads == 1);
        file
    }
    #[cfg(not(unix))]
    {
        let _ = (history, under_nextest, threads);
        None
    }
}
