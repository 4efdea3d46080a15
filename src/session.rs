//! One run session for the partest binary and `cargo partest`: schedule → set up → run →
//! tear down → notes. The front ends bring the plan (one binary's selection, or every
//! binary's tests) and the report (one [`Reporter`], or one per binary), and record the
//! history afterwards; the steps between are here, once.

use crate::claims;
use crate::cli::Arguments;
use crate::duration;
use crate::error::Error;
use crate::event::{Event, EventHandler};
use crate::filter::{Disposition, Planned};
use crate::fixtures::{self, rate_limit, resources, temp};
use crate::report::plural::plural;
use crate::report::{self, Reporter, Tally};
use crate::runner::{self, panic_hook, CaptureMode, PoolStats, RunConfig};
use crate::scheduler::{self, Scheduler};
use crate::timeline::{self, bound::Capacity};
use std::io;
use std::time::{Duration, Instant};

/// The report a session feeds: the events of the run, its start, its notes.
pub(crate) trait Report: EventHandler {
    /// Before the first test (after the plan is known to be schedulable).
    fn start(&mut self) -> io::Result<()>;
    /// Whether it needs `Started` events.
    fn uses_start_events(&self) -> bool;
    /// The counts so far: one, or one per binary.
    fn tallies(&self) -> Vec<&Tally>;
    /// A line for the end of the report (rate limiter, `--durations`, `--measure`, …).
    fn note(&mut self, line: String);
}

/// The tests of a session and what orders them.
pub(crate) struct Plan<'a> {
    /// Every test, with whether it runs.
    pub(crate) tests: &'a [Planned],
    /// Recorded durations by test position (empty without history).
    pub(crate) estimates: Vec<Option<Duration>>,
    /// Keep the given order (shuffled, `--failed-first`) instead of longest first.
    pub(crate) keep_order: bool,
    /// The binaries by index under `cargo partest` (empty for one binary's own run).
    pub(crate) binaries: Vec<String>,
}

/// A run's configuration from the command line, tests on this process's threads; the
/// front end sets how tests execute (capture, worker processes, nextest's slots).
pub(crate) fn run_config(args: &Arguments, threads: usize) -> RunConfig {
    RunConfig {
        threads,
        capture: CaptureMode::for_run(args.nocapture, threads, false),
        inline: false,
        pool_names: Vec::new(),
        outer_slots: Vec::new(),
        default_timeout: args.scheduling.timeout,
        slow_after: args.scheduling.slow_timeout,
        run_timeout: args.scheduling.run_timeout,
        reruns: args.scheduling.reruns,
        reruns_delay: args.scheduling.reruns_delay,
        report_starts: false,
        #[cfg(unix)]
        processes: Vec::new(),
        max_worker_restart: args.scheduling.max_worker_restart(threads),
    }
}

/// Runs `plan` on `config.threads` workers into `report`: schedules it (an impossible
/// constraint is an error before anything starts), sets up the run's fixtures, runs,
/// tears the run's resources down and adds the notes. The report comes back unfinished.
pub(crate) fn run<R: Report>(
    args: &Arguments,
    plan: Plan<'_>,
    mut config: RunConfig,
    mut report: R,
) -> Result<R, Error> {
    let workers = config.threads;
    let (scheduler, pool_names, capacity) =
        schedule(plan.tests, args, workers, plan.keep_order, &plan.estimates)?;
    let recording = (args.reports.trace.is_some() || args.reports.html.is_some())
        && std::env::var_os("NEXTEST_RUN_ID").is_none();
    if recording {
        for path in [&args.reports.trace, &args.reports.html]
            .into_iter()
            .flatten()
        {
            crate::output_files::check_writable(path).map_err(|e| {
                Error::Cli(crate::cli::CliError::Invalid(format!(
                    "cannot write {}: {e}",
                    path.display()
                )))
            })?;
        }
        timeline::start();
    }
    fixtures::init_run(workers, workers == 1);
    fixtures::set_redis_dbs(args.scheduling.redis_dbs());
    panic_hook::install();
    runner::cwd::remember();
    report.start()?;
    let runnable = plan
        .tests
        .iter()
        .filter(|p| p.disposition == Disposition::Run)
        .count();
    config.threads = workers.min(runnable).max(1);
    config.pool_names = pool_names;
    config.report_starts = report.uses_start_events();
    let started = Instant::now();
    // The workers own the report while tests run and hand it back at the end (a stuck
    // test's abandoned thread may outlive the run; it then reports nothing).
    let (mut report, stats) = runner::run(plan.tests, scheduler, &config, report);
    let stats = stats?;
    for (what, text) in panic_hook::tear_down(resources::take_run()) {
        report.on_event(Event::TeardownFailed { what, report: text })?;
    }
    temp::finish_run();
    let wall = started.elapsed();
    if recording {
        let isolation = if config.processes.is_empty() {
            "threads"
        } else {
            "process"
        };
        let facts = (config.threads, isolation, wall, capacity);
        write_timeline(args, &plan, facts, &mut report)?;
    }
    let notes = run_notes(args, &report.tallies(), wall, stats, workers);
    notes.into_iter().for_each(|line| report.note(line));
    Ok(report)
}

/// The scheduler for `plan` (constraints, priorities from the recorded durations in
/// `estimates`, empty without history), its pool names and its capacities for the
/// makespan's lower bound.
pub(crate) fn schedule(
    plan: &[Planned],
    args: &Arguments,
    workers: usize,
    shuffled: bool,
    estimates: &[Option<Duration>],
) -> Result<(Scheduler, Vec<&'static str>, Capacity), Error> {
    let tests: Vec<_> = plan.iter().map(|p| p.test).collect();
    let (capacities, needs) = scheduler::requirements(&tests, &args.scheduling, workers)?;
    let runs: Vec<bool> = plan
        .iter()
        .map(|p| p.disposition == Disposition::Run)
        .collect();
    let order = scheduler::order(&needs, &runs, &capacities, estimates, workers, shuffled);
    let maxfail = args.scheduling.maxfail.map(|n| n.get());
    let pool_names = capacities.pools.iter().map(|p| p.name).collect();
    let capacity = Capacity {
        workers,
        heavy_limit: capacities.heavy_limit,
        pools: capacities
            .pools
            .iter()
            .map(|p| (p.name.to_owned(), p.size))
            .collect(),
        caps: capacities.caps.clone(),
    };
    Ok((
        Scheduler::new(needs, runs, order, &capacities, maxfail),
        pool_names,
        capacity,
    ))
}

/// Writes `--trace` and `--html` from the run's recording; `(workers, isolation, wall,
/// capacity)` describe the run. Paths were checked before the run; a file that still
/// cannot be written (a full disk) is a warning in the report, the results stand.
fn write_timeline<R: Report>(
    args: &Arguments,
    plan: &Plan<'_>,
    (workers, isolation, wall, capacity): (usize, &'static str, Duration, Capacity),
    report: &mut R,
) -> Result<(), Error> {
    let Some(mut rec) = timeline::take() else {
        return Ok(());
    };
    timeline::merge_waits(&mut rec.waits);
    let caps: Vec<_> = args.scheduling.caps.clone();
    let measured: Vec<(Duration, Vec<claims::Claim>)> = rec
        .slices
        .iter()
        .map(|s| (s.end - s.start, s.test.claims(&caps)))
        .collect();
    let last_end = rec
        .slices
        .iter()
        .map(|s| s.end)
        .chain(rec.spans.iter().map(|s| s.end))
        .max();
    let facts = timeline::Facts {
        workers,
        binaries: plan.binaries.clone(),
        makespan: last_end.map_or(wall, |end| wall.max(end - rec.epoch)),
        isolation,
        bound: timeline::bound::of(&measured, &capacity),
        quarantined: report
            .tallies()
            .iter()
            .flat_map(|t| t.quarantined.iter().map(|(name, _)| *name))
            .collect(),
        jobs: rec
            .slices
            .iter()
            .map(|s| (s.test.name, s.end - s.start))
            .collect(),
    };
    let files = [
        (&args.reports.trace, "trace"),
        (&args.reports.html, "HTML report"),
    ];
    for (path, what) in files {
        let Some(path) = path else { continue };
        let text = match what {
            "trace" => timeline::trace::write(&rec, &facts),
            _ => timeline::html::write(plan.tests, &rec, &facts),
        };
        if let Err(e) = crate::output_files::write_whole(path, text.as_bytes()) {
            let message = format!(
                "partest: cannot write the {what} to {}: {e}",
                path.display()
            );
            report.on_event(Event::Warning(message))?;
        }
    }
    Ok(())
}

/// Lines printed before the summary: rate limiter counters, the working directory put
/// back, flaky and quarantined counts, `--durations`, `--measure` — over every tally.
fn run_notes(
    args: &Arguments,
    tallies: &[&Tally],
    wall: Duration,
    stats: PoolStats,
    threads: usize,
) -> Vec<String> {
    let mut notes: Vec<String> = rate_limit::summary().into_iter().collect();
    notes.extend(runner::cwd::take_notes());
    let flaky: usize = tallies.iter().map(|t| t.flaky.len()).sum();
    if flaky > 0 {
        let fails = match args.scheduling.fail_on_flaky {
            true => " (--fail-on-flaky: they fail the run)",
            false => "",
        };
        notes.push(format!(
            "flaky: {} passed only on a rerun{fails}",
            plural(flaky, "test")
        ));
    }
    let quarantined: usize = tallies.iter().map(|t| t.quarantined.len()).sum();
    if quarantined > 0 {
        notes.push(format!(
            "quarantined: {} failed without failing the run",
            plural(quarantined, "test")
        ));
    }
    if let Some(n) = args.reports.durations {
        let mut slowest: Vec<(&str, Duration)> = tallies
            .iter()
            .flat_map(|t| t.durations.iter().copied())
            .collect();
        slowest.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let lines: Vec<String> = slowest
            .iter()
            .take(n)
            .map(|(name, d)| format!("    {:>9}  {name}", duration::show(*d)))
            .collect();
        let title = format!("slowest {}:", plural(lines.len(), "test"));
        notes.push(format!("{title}\n{}", lines.join("\n")));
    }
    if args.reports.measure {
        notes.push(measure_note(tallies, wall, stats, threads));
    }
    notes
}

/// `--measure`: wall time, summed test time, time waited on constraints, each worker's
/// busy share (a worker's time summed over every binary's tally).
fn measure_note(tallies: &[&Tally], wall: Duration, stats: PoolStats, threads: usize) -> String {
    let mut busy: Vec<Duration> = Vec::new();
    for tally in tallies {
        busy.resize(busy.len().max(tally.busy.len()), Duration::ZERO);
        busy.iter_mut().zip(&tally.busy).for_each(|(b, t)| *b += *t);
    }
    let total: Duration = busy.iter().sum();
    let wall_secs = wall.as_secs_f64().max(1e-9);
    let workers: Vec<String> = busy
        .iter()
        .enumerate()
        .map(|(w, b)| {
            let share = (b.as_secs_f64() / wall_secs * 100.0).round();
            format!("{} {share}%", report::worker_name(threads > 1, w))
        })
        .collect();
    format!(
        "measure: wall {}, test time {} ({:.2}x the wall time), workers waited {} on constraints; busy: {}",
        duration::show(wall),
        duration::show(total),
        total.as_secs_f64() / wall_secs,
        duration::show(stats.waited),
        workers.join(", ")
    )
}

impl Report for Reporter {
    fn start(&mut self) -> io::Result<()> {
        Reporter::start(self)
    }

    fn uses_start_events(&self) -> bool {
        Reporter::uses_start_events(self)
    }

    fn tallies(&self) -> Vec<&Tally> {
        vec![self.state()]
    }

    fn note(&mut self, line: String) {
        Reporter::note(self, line)
    }
}
