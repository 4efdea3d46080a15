//! The reports of a partest binary's run: where the report goes, the reporter with its
//! extras (JUnit, `--logfile`, live status), the notes after the summary and the history.

use super::*;

#[cfg(unix)]
pub(super) type ReportStdout = runner::capture::ReportStdout;
#[cfg(not(unix))]
pub(super) type ReportStdout = ();

/// Where the report goes: its own duplicate of stdout (unix). Machine-readable reports own
/// stdout: when tests' output is not captured, it goes to stderr for the run.
pub(super) fn report_out(
    format: Format,
    capture: CaptureMode,
) -> io::Result<(report::Out, ReportStdout)> {
    #[cfg(unix)]
    {
        let machine_readable = matches!(format, Format::Json | Format::Junit);
        let stdout =
            ReportStdout::open(machine_readable && capture != CaptureMode::FileDescriptors)?;
        Ok((Box::new(stdout.writer()?), stdout))
    }
    #[cfg(not(unix))]
    {
        let _ = (format, capture);
        Ok((Box::new(io::stdout()), ()))
    }
}

/// The reporter for this run: the chosen format on stdout (its own handle), the log file,
/// a JUnit file, the live status line. The second value must live as long as the report.
pub(super) fn build_reporter(
    args: &Arguments,
    selection: &filter::Selection,
    history: &History,
    settings: &config::Config,
    capture: CaptureMode,
    threads: usize,
) -> Result<(Reporter, ReportStdout), Error> {
    let (out, stdout) = report_out(args.format, capture)?;
    let mut reporter = reporter(args, selection, history, &settings.quarantine, threads, out)?;
    if let Some(delay) =
        report::status::wanted(args.format == Format::Pretty && !args.nocapture && threads > 1)
    {
        reporter = reporter.with_live_status(delay);
    }
    Ok((reporter, stdout))
}

/// A reporter of `selection` in the chosen format on `out`, with the log file and the
/// JUnit file `args` ask for; `quarantine` lists the markers whose failures do not count.
pub(crate) fn reporter(
    args: &Arguments,
    selection: &filter::Selection,
    history: &History,
    quarantine: &[String],
    threads: usize,
    out: report::Out,
) -> Result<Reporter, Error> {
    let logfile = match &args.logfile {
        Some(path) => {
            eprintln!("warning: `--logfile` is deprecated");
            Some(crate::output_files::open_in_place(path)?)
        }
        None => None,
    };
    // A history with nothing recorded has nothing to forget: only long tests matter.
    let threshold = (history.is_empty() && args.reports.durations.is_none())
        .then_some(history::RECORD_THRESHOLD);
    let state = Tally::new(
        selection.tests.len(),
        selection.filtered_out,
        args.show_output,
    )
    .keep_durations_from(threshold)
    .track_busy(args.reports.measure)
    .with_flaky_policy(args.scheduling.fail_on_flaky, quarantine.to_vec());
    let formatter = report::formatter_for(args.format, out, style(args, threads));
    let mut reporter = Reporter::new(formatter, state, logfile).multithreaded(threads > 1);
    if let Some(path) = &args.reports.junit {
        reporter = reporter.with_extra(report::junit_file(path.clone()));
    }
    Ok(reporter)
}

/// Records durations and which tests failed, for ordering and `--lf`/`--ff` next time.
pub(crate) fn update_history(history: &mut History, plan: &[Planned], state: &Tally) {
    state
        .durations
        .iter()
        .for_each(|(name, d)| history.record(name, *d));
    if !history.last_failed().is_empty() || !state.failures.is_empty() {
        let not_run: HashSet<&str> = state.not_run_names.iter().copied().collect();
        let ran: HashSet<&str> = plan
            .iter()
            .filter(|p| p.disposition == Disposition::Run && !not_run.contains(p.test.name))
            .map(|p| p.test.name)
            .collect();
        let failed: Vec<&str> = state.failures.iter().map(|(name, _)| *name).collect();
        history.record_outcomes(|name| ran.contains(name), &failed);
    }
    if let Err(e) = history.save() {
        eprintln!("warning: could not save partest's history: {e}");
    }
}

pub(crate) fn style(args: &Arguments, threads: usize) -> Style {
    Style {
        color: match args.color {
            ColorConfig::Always => true,
            ColorConfig::Never => false,
            ColorConfig::Auto => !args.nocapture && io::stdout().is_terminal(),
        },
        multithreaded: threads > 1,
        report_time: args.report_time,
        show_output: args.show_output,
        verbose: args.reports.verbose,
    }
}
