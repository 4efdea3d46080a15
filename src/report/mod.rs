//! Reporting: the [`Reporter`] folds [`Event`]s into a [`Tally`] and hands each one to
//! the chosen [`OutputFormatter`] (pretty, terse, json, junit). Formatters never count.

pub(crate) mod escape;
mod json;
pub(crate) mod junit;
pub(crate) mod list;
pub(crate) mod plural;
mod pretty;
pub(crate) mod status;
mod tally;
mod terse;
#[cfg(test)]
mod tests;

pub(crate) use tally::Tally;

use crate::cli::Format;
use crate::event::{Completed, Event};
use crate::outcome::Outcome;
use crate::plan::Test;
use std::fs::File;
use std::io::{self, Write};
use std::time::Duration;

/// A destination for report text.
pub(crate) type Out = Box<dyn Write + Send>;

/// One output format.
pub(crate) trait OutputFormatter {
    /// Before the first test: the number of tests and the shuffle seed if any.
    fn write_run_start(&mut self, total: usize, shuffle_seed: Option<u64>) -> io::Result<()>;
    /// A test was handed to a worker.
    fn write_test_start(&mut self, test: &Test) -> io::Result<()>;
    /// Whether `write_test_start` writes anything (workers skip the event otherwise).
    fn uses_start_events(&self) -> bool {
        false
    }
    /// A test finished (`state` already counts it).
    fn write_result(&mut self, done: &Completed, state: &Tally) -> io::Result<()>;
    /// A test that never started because the run stopped early.
    fn write_not_run(&mut self, _test: &Test) -> io::Result<()> {
        Ok(())
    }
    /// A test has been running for `elapsed` on `worker`.
    fn write_slow(&mut self, _test: &Test, _worker: &str, _elapsed: Duration) -> io::Result<()> {
        Ok(())
    }
    /// After the last test.
    fn write_run_finish(&mut self, state: &Tally) -> io::Result<()>;
}

/// Presentation options shared by the formatters.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Style {
    /// Emit ANSI colours.
    pub(crate) color: bool,
    /// More than one test may run at once (results then carry their test's name).
    pub(crate) multithreaded: bool,
    /// `--report-time`.
    pub(crate) report_time: bool,
    /// `--show-output`.
    pub(crate) show_output: bool,
    /// `-v`: the worker beside each result line.
    pub(crate) verbose: bool,
}

/// How worker `index` is named in reports: `gwN`, or `master` for a sequential run.
pub(crate) fn worker_name(multithreaded: bool, index: usize) -> String {
    if multithreaded {
        format!("gw{index}")
    } else {
        "master".to_owned()
    }
}

impl Style {
    /// How a test's worker is named in reports (`None` for tests that did not run).
    pub(crate) fn worker_label(&self, worker: Option<usize>) -> Option<String> {
        worker.map(|w| worker_name(self.multithreaded, w))
    }
}

/// Colours libtest uses for result words.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Color {
    Green,
    Red,
    Yellow,
}

impl Style {
    /// The escape codes around a word of `color`: empty when colour is off.
    pub(crate) fn color_codes(&self, color: Color) -> (&'static str, &'static str) {
        if !self.color {
            return ("", "");
        }
        let on = match color {
            Color::Green => "\x1b[32m",
            Color::Red => "\x1b[31m",
            Color::Yellow => "\x1b[33m",
        };
        (on, "\x1b[0m")
    }

    /// `word`, coloured when colour is on.
    pub(crate) fn paint(&self, word: &str, color: Color) -> String {
        let (on, off) = self.color_codes(color);
        format!("{on}{word}{off}")
    }
}

/// Seconds to a tenth, without a trailing `.0` (`60`, `0.3`), as in "over 60 seconds".
pub(crate) fn whole_seconds(d: Duration) -> String {
    let tenths = (d.as_millis() as f64 / 100.0).round() / 10.0;
    format!("{tenths}")
}

/// libtest's duration text: seconds with three decimals.
pub(crate) fn exec_time(d: Duration) -> String {
    format!("{:.3}s", d.as_secs_f64())
}

/// A JUnit report written to `path` at the end of the run.
pub(crate) fn junit_file(path: std::path::PathBuf) -> Box<dyn OutputFormatter + Send> {
    Box::new(junit::Junit::new(Box::new(junit::ReportFile::new(path))))
}

/// A report written into memory, shared by its clones: one writes, another takes the
/// bytes (`cargo partest` keeps each binary's report until the binary is done).
#[derive(Clone, Default)]
pub(crate) struct SharedBuffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl SharedBuffer {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<u8>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The bytes written so far; the buffer is empty afterwards.
    pub(crate) fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.lock())
    }
}

impl Write for SharedBuffer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.lock().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A JUnit report on `out`, written at the end of the run.
pub(crate) fn junit_to(out: Out) -> Box<dyn OutputFormatter + Send> {
    Box::new(junit::Junit::new(out))
}

/// One JUnit document of several (see [`junit::combine`]).
pub(crate) fn combine_junit(documents: &[(String, Vec<u8>)]) -> Vec<u8> {
    junit::combine(documents)
}

/// Chooses the formatter for `format`, writing to `out`.
pub(crate) fn formatter_for(
    format: Format,
    out: Out,
    style: Style,
) -> Box<dyn OutputFormatter + Send> {
    match format {
        Format::Pretty => Box::new(pretty::Pretty::new(out, style)),
        Format::Terse => Box::new(terse::Terse::new(out, style)),
        Format::Json => Box::new(json::Json::new(out, style)),
        Format::Junit => Box::new(junit::Junit::new(out)),
    }
}

impl crate::event::EventHandler for Reporter {
    fn on_event(&mut self, event: Event) -> io::Result<()> {
        Reporter::on_event(self, event)
    }
}

/// Folds events into the run's tally and forwards them to the formatters and the log file.
pub(crate) struct Reporter {
    formatter: Box<dyn OutputFormatter + Send>,
    /// Further reports written alongside (e.g. `--junit PATH`).
    extras: Vec<Box<dyn OutputFormatter + Send>>,
    state: Tally,
    logfile: Option<File>,
    status: Option<status::LiveStatus>,
    /// Whether several workers run (names workers `gwN`, else `master`).
    multithreaded: bool,
    /// The seed the tests were shuffled with, for the header.
    shuffle_seed: Option<u64>,
}

impl Reporter {
    /// A reporter for a run that left `filtered_out` tests out.
    pub(crate) fn new(
        formatter: Box<dyn OutputFormatter + Send>,
        state: Tally,
        logfile: Option<File>,
    ) -> Self {
        Reporter {
            formatter,
            extras: Vec::new(),
            state,
            logfile,
            status: None,
            multithreaded: false,
            shuffle_seed: None,
        }
    }

    /// Names workers `gwN` (several workers) rather than `master`.
    pub(crate) fn multithreaded(mut self, on: bool) -> Self {
        self.multithreaded = on;
        self
    }

    /// Writes each result to `file` too (`--logfile`; under `cargo partest` every
    /// binary's reporter appends to one file).
    pub(crate) fn with_logfile(mut self, file: File) -> Self {
        self.logfile = Some(file);
        self
    }

    /// Names the seed the tests were shuffled with in the header.
    pub(crate) fn shuffled(mut self, seed: Option<u64>) -> Self {
        self.shuffle_seed = seed;
        self
    }

    /// Adds a report written alongside the main one.
    pub(crate) fn with_extra(mut self, formatter: Box<dyn OutputFormatter + Send>) -> Self {
        self.extras.push(formatter);
        self
    }

    /// Shows the live status line while the run goes on.
    pub(crate) fn with_live_status(mut self, delay: std::time::Duration) -> Self {
        self.status = Some(status::LiveStatus::start(self.state.total, delay));
        self
    }

    /// Every formatter, the main one first.
    fn all(&mut self) -> impl Iterator<Item = &mut Box<dyn OutputFormatter + Send>> {
        std::iter::once(&mut self.formatter).chain(self.extras.iter_mut())
    }

    /// Writes the run header.
    pub(crate) fn start(&mut self) -> io::Result<()> {
        let (total, shuffle_seed) = (self.state.total, self.shuffle_seed);
        self.all()
            .try_for_each(|f| f.write_run_start(total, shuffle_seed))
    }

    /// Handles one event.
    pub(crate) fn on_event(&mut self, event: Event) -> io::Result<()> {
        if let Some(status) = &self.status {
            status.observe(&event);
        }
        match event {
            Event::Started(test) => {
                // Plain loops: this runs for every test, and iterator chains are slow in debug.
                self.formatter.write_test_start(&test)?;
                for extra in &mut self.extras {
                    extra.write_test_start(&test)?;
                }
                Ok(())
            }
            Event::NotRun(test) => {
                self.state.not_run_names.push(test.name);
                self.all().try_for_each(|f| f.write_not_run(&test))
            }
            Event::Slow {
                test,
                worker,
                elapsed,
            } => {
                let worker = worker_name(self.multithreaded, worker);
                self.all()
                    .try_for_each(|f| f.write_slow(&test, &worker, elapsed))
            }
            Event::TeardownFailed { what, report } => {
                self.state.teardown_failures.push((what, report));
                Ok(())
            }
            Event::Warning(text) => {
                // On the terminal at once (stderr: the report's stdout stays clean), and
                // kept for the machine-readable reports' summaries.
                warn(&format!("{text}\n"));
                self.state.warnings.push(text);
                Ok(())
            }
            Event::Finished(done) => {
                self.state.record(&done);
                if let Some(log) = &mut self.logfile {
                    writeln!(log, "{} {}", log_word(&done.outcome), done.test.name)?;
                }
                self.formatter.write_result(&done, &self.state)?;
                for extra in &mut self.extras {
                    extra.write_result(&done, &self.state)?;
                }
                self.state.keep_output(done);
                Ok(())
            }
        }
    }

    /// Whether any report does something with `Started` events: JSON prints them, a
    /// sequential pretty run prints the test's name, the status line counts them.
    pub(crate) fn uses_start_events(&self) -> bool {
        self.status.is_some()
            || self.formatter.uses_start_events()
            || self.extras.iter().any(|f| f.uses_start_events())
    }

    /// The tally so far.
    pub(crate) fn state(&self) -> &Tally {
        &self.state
    }

    /// Adds a line printed before the summary (e.g. the rate limiter's counters).
    pub(crate) fn note(&mut self, line: String) {
        self.state.notes.push(line);
    }

    /// Writes the summary and returns the final state.
    pub(crate) fn finish(mut self) -> io::Result<Tally> {
        if let Some(status) = self.status.take() {
            status.finish();
        }
        self.state.stop_clock();
        self.formatter.write_run_finish(&self.state)?;
        // A report file that cannot be written fails the run, after the main report is
        // complete and with the tally kept (the history is still recorded).
        let mut errors = Vec::new();
        for extra in &mut self.extras {
            if let Err(e) = extra.write_run_finish(&self.state) {
                errors.push(e.to_string());
            }
        }
        self.state.write_errors = errors;
        Ok(self.state)
    }
}

/// Writes `text` to the process's stderr, also while a test's output is being captured at
/// the fd level (it would land in that test's output).
fn warn(text: &str) {
    #[cfg(unix)]
    if crate::runner::capture::write_to_real_stderr(text) {
        return;
    }
    eprint!("{text}");
}

fn log_word(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Passed => "ok".into(),
        Outcome::Failed { message: None } => "failed".into(),
        Outcome::Failed { message: Some(why) } => format!("failed: {why}"),
        Outcome::Ignored { reason: None } => "ignored".into(),
        Outcome::Ignored { reason: Some(why) } => format!("ignored: {why}"),
    }
}
