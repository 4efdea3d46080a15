//! The reports of a workspace run, one per binary ([`Fanout`]): each partest binary's in
//! the chosen format into a buffer, printed once its binary is done, in the binaries'
//! order; a whole plain binary's own output is its report.

use super::{Binary, Kind};
use crate::cli::{Arguments, Format};
use crate::entry;
use crate::error::Error;
use crate::event::{Event, EventHandler};
use crate::filter::Selection;
use crate::history::History;
use crate::plan::Test;
use crate::report::{self, Reporter, SharedBuffer, Tally};
use crate::session;
use std::io::{self, Write};

/// Each binary's report, started: a partest binary's in the chosen format (into a buffer,
/// printed when the binary is done), a plain binary's own output.
pub(super) fn parts(
    binaries: &[Binary],
    kinds: &[Kind],
    selections: &[Selection],
    histories: &[History],
    args: &Arguments,
    threads: usize,
) -> Result<Vec<Part>, Error> {
    // One log for the run: every binary's results, in the order they finish.
    let logfile = match &args.logfile {
        Some(path) => {
            eprintln!("warning: `--logfile` is deprecated");
            Some(crate::output_files::open_in_place(path)?)
        }
        None => None,
    };
    let mut parts = Vec::new();
    for (i, (binary, selection)) in binaries.iter().zip(selections).enumerate() {
        let buffer = SharedBuffer::default();
        let junit = SharedBuffer::default();
        let reporter = match kinds[i] {
            Kind::Partest(_) => {
                let mut per_binary = args.clone();
                per_binary.logfile = None;
                // One JUnit file for the run: the binaries' documents combined at the end.
                per_binary.reports.junit = None;
                let quarantine = match &kinds[i] {
                    Kind::Partest(m) => m.markers.quarantine.as_slice(),
                    Kind::Whole => &[],
                };
                let mut reporter = entry::reporter(
                    &per_binary,
                    selection,
                    &histories[i],
                    quarantine,
                    threads,
                    Box::new(buffer.clone()),
                )?;
                if args.reports.junit.is_some() {
                    reporter = reporter.with_extra(report::junit_to(Box::new(junit.clone())));
                }
                if let Some(log) = &logfile {
                    reporter = reporter.with_logfile(log.try_clone()?);
                }
                reporter.start()?;
                Some(reporter)
            }
            Kind::Whole => None,
        };
        parts.push(Part {
            label: binary.label.clone(),
            reporter,
            buffer,
            remaining: selection.tests.len(),
            state: None,
            whole_failed: false,
            junit,
        });
    }
    Ok(parts)
}

/// One binary's report.
pub(super) struct Part {
    pub(super) label: String,
    /// `None` for a whole plain binary (its own output is its report).
    pub(super) reporter: Option<Reporter>,
    pub(super) buffer: SharedBuffer,
    /// Tests not yet finished.
    pub(super) remaining: usize,
    /// The finished report's state.
    pub(super) state: Option<Tally>,
    /// A whole binary that failed.
    pub(super) whole_failed: bool,
    /// Its JUnit document (`--junit`).
    pub(super) junit: SharedBuffer,
}

impl Part {
    fn done(&self) -> bool {
        self.remaining == 0 && self.reporter.is_none()
    }

    pub(super) fn failed(&self) -> bool {
        match &self.state {
            Some(state) => crate::conclusion::Conclusion::from_state(state).failed > 0,
            None => self.whole_failed,
        }
    }

    /// Finishes the report once every test is done.
    fn finish_if_done(&mut self) -> io::Result<()> {
        if self.remaining == 0 {
            if let Some(reporter) = self.reporter.take() {
                self.state = Some(reporter.finish()?);
            }
        }
        Ok(())
    }
}

/// Routes each event to its binary's report and prints finished reports in order.
pub(super) struct Fanout {
    pub(super) parts: Vec<Part>,
    /// Reports printed so far (a prefix of `parts`).
    pub(super) printed: usize,
    /// A resource's teardown panicked (in the coordinator or a worker): the run fails.
    pub(super) teardown_failed: bool,
    /// The report format: with `junit` the reports are one document printed at the end;
    /// with `json` stdout is one stream of events.
    pub(super) format: Format,
    /// The run's notes (rate limiter, `--durations`, `--measure`, …), printed after every
    /// binary's report.
    pub(super) notes: Vec<String>,
}

impl Fanout {
    fn binary(&self, test: &Test) -> usize {
        test.binary as usize
    }

    /// Prints every finished report that follows the printed ones.
    pub(super) fn print_ready(&mut self) -> io::Result<()> {
        while self.printed < self.parts.len() {
            let part = &mut self.parts[self.printed];
            part.finish_if_done()?;
            if !part.done() {
                break;
            }
            if self.format != Format::Junit {
                eprintln!("     Running {}", part.label);
                // A plain binary's own report is text: beside a JSON stream it goes to stderr.
                if self.format == Format::Json && part.state.is_none() {
                    io::stderr().lock().write_all(&part.buffer.take())?;
                } else {
                    let mut stdout = io::stdout().lock();
                    stdout.write_all(&part.buffer.take())?;
                    stdout.flush()?;
                }
            }
            self.printed += 1;
        }
        Ok(())
    }

    /// Ends the reports of tests that never finished (a stopped run) and prints the rest.
    pub(super) fn finish_all(&mut self, junit: Option<&std::path::Path>) -> io::Result<()> {
        for part in &mut self.parts {
            part.remaining = 0;
        }
        self.print_ready()?;
        let documents = |take: fn(&Part) -> Vec<u8>| -> Vec<(String, Vec<u8>)> {
            self.parts
                .iter()
                .filter(|p| p.state.is_some())
                .map(|p| (p.label.clone(), take(p)))
                .collect()
        };
        if self.format == Format::Junit {
            let mut stdout = io::stdout().lock();
            stdout.write_all(&report::combine_junit(&documents(|p| p.buffer.take())))?;
            stdout.flush()?;
        }
        if let Some(path) = junit {
            let text = report::combine_junit(&documents(|p| p.junit.take()));
            crate::output_files::write_whole(path, &text)?;
        }
        self.print_notes()
    }

    /// The run's notes, after the reports: on stdout beside text reports, on stderr
    /// beside a machine-readable stdout.
    fn print_notes(&mut self) -> io::Result<()> {
        let text: String = self.notes.drain(..).map(|n| format!("\n{n}\n")).collect();
        match self.format {
            Format::Json | Format::Junit => io::stderr().lock().write_all(text.as_bytes()),
            Format::Pretty | Format::Terse => {
                let mut stdout = io::stdout().lock();
                stdout.write_all(text.as_bytes())?;
                stdout.flush()
            }
        }
    }
}

impl session::Report for Fanout {
    fn start(&mut self) -> io::Result<()> {
        self.print_ready()
    }

    fn uses_start_events(&self) -> bool {
        self.parts
            .iter()
            .filter_map(|p| p.reporter.as_ref())
            .any(Reporter::uses_start_events)
    }

    fn tallies(&self) -> Vec<&Tally> {
        self.parts
            .iter()
            .filter_map(|p| {
                p.state
                    .as_ref()
                    .or(p.reporter.as_ref().map(Reporter::state))
            })
            .collect()
    }

    fn note(&mut self, line: String) {
        self.notes.push(line);
    }
}

impl EventHandler for Fanout {
    fn on_event(&mut self, event: Event) -> io::Result<()> {
        let (binary, ends) = match &event {
            Event::Started(test) => (self.binary(test), false),
            Event::NotRun(test) => (self.binary(test), true),
            Event::Finished(done) => (self.binary(&done.test), true),
            Event::Slow { test, .. } => (self.binary(test), false),
            Event::Warning(text) => {
                // The first report still open keeps it (JSON's and JUnit's summaries too).
                match self.parts.iter_mut().find_map(|p| p.reporter.as_mut()) {
                    Some(reporter) => reporter.on_event(Event::Warning(text.clone()))?,
                    None => eprintln!("{text}"),
                }
                return Ok(());
            }
            Event::TeardownFailed { what, report } => {
                self.teardown_failed = true;
                eprintln!("partest: dropping {what} panicked:\n{report}");
                return Ok(());
            }
        };
        let part = &mut self.parts[binary];
        match &mut part.reporter {
            Some(reporter) => reporter.on_event(event)?,
            None => {
                if let Event::Finished(done) = &event {
                    part.buffer.write_all(&done.output)?;
                    part.whole_failed = !matches!(done.outcome, crate::outcome::Outcome::Passed);
                    if let crate::outcome::Outcome::Failed { message: Some(m) } = &done.outcome {
                        writeln!(part.buffer, "note: {m}")?;
                    }
                }
                if let Event::NotRun(_) = &event {
                    writeln!(part.buffer, "note: not run (the run stopped first)")?;
                    part.whole_failed = true;
                }
            }
        }
        if ends {
            part.remaining = part.remaining.saturating_sub(1);
            self.print_ready()?;
        }
        Ok(())
    }
}
