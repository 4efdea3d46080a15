//! libtest's default output: `test name ... ok`, then failures and the summary line.
//! Sequential runs print the name when a test starts (so a hang shows which test);
//! parallel runs print name and result together.

use super::{exec_time, Color, Out, OutputFormatter, Style, Tally};
use crate::event::Completed;
use crate::outcome::Outcome;
use crate::plan::Test;
use crate::registry::ShouldPanic;
use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Write};

/// The pretty formatter.
pub(crate) struct Pretty {
    out: Out,
    style: Style,
}

impl Pretty {
    pub(crate) fn new(out: Out, style: Style) -> Self {
        Pretty { out, style }
    }
}

/// The ` - should panic` libtest puts after a should_panic test's name.
fn mode(test: &Test) -> &'static str {
    if test.should_panic() == ShouldPanic::No {
        ""
    } else {
        " - should panic"
    }
}

/// The `running N tests` header.
pub(crate) fn run_header(total: usize, shuffle_seed: Option<u64>) -> String {
    let noun = if total == 1 { "test" } else { "tests" };
    let seed = shuffle_seed
        .map(|s| format!(" (shuffle seed: {s})"))
        .unwrap_or_default();
    format!("\nrunning {total} {noun}{seed}\n")
}

fn write_section(
    out: &mut Out,
    title: &str,
    entries: &[(&'static str, Vec<u8>)],
) -> io::Result<()> {
    // Written block by block: a block may hold megabytes of output, never copied whole.
    write!(out, "\n{title}:\n")?;
    let mut blocks = entries.iter().filter(|(_, output)| !output.is_empty());
    if let Some(first) = blocks.next() {
        out.write_all(b"\n")?;
        for (name, output) in std::iter::once(first).chain(blocks) {
            writeln!(out, "---- {name} stdout ----")?;
            out.write_all(String::from_utf8_lossy(output).as_bytes())?;
            out.write_all(b"\n")?;
        }
    }
    let mut text = format!("\n{title}:\n");
    let mut names: Vec<&str> = entries.iter().map(|(n, _)| *n).collect();
    names.sort_unstable();
    for name in names {
        let _ = writeln!(text, "    {name}");
    }
    out.write_all(text.as_bytes())
}

/// libtest's slow-test line, plus the worker (shared by pretty and terse, as in libtest).
pub(crate) fn write_slow_line(
    out: &mut Out,
    test: &Test,
    worker: &str,
    elapsed: std::time::Duration,
) -> io::Result<()> {
    let seconds = super::whole_seconds(elapsed);
    writeln!(
        out,
        "test {} has been running for over {seconds} seconds [{worker}]",
        test.name
    )?;
    out.flush()
}

/// The successes (with `--show-output`) and failures sections and the summary line,
/// shared by pretty and terse as in libtest.
pub(crate) fn write_run_end(out: &mut Out, style: &Style, state: &Tally) -> io::Result<()> {
    if !state.successes.is_empty() {
        write_section(out, "successes", &state.successes)?;
    }
    if !state.flaky.is_empty() {
        write_section(out, "flaky (passed on a rerun)", &state.flaky)?;
    }
    if !state.quarantined.is_empty() {
        write_section(
            out,
            "quarantined failures (not failing the run)",
            &state.quarantined,
        )?;
    }
    if !state.failures.is_empty() {
        write_section(out, "failures", &state.failures)?;
    }
    if !state.teardown_failures.is_empty() {
        let mut text = String::from("\nteardown failures:\n");
        for (what, report) in &state.teardown_failures {
            let _ = write!(text, "\n---- {what} ----\n{report}");
        }
        out.write_all(text.as_bytes())?;
    }
    if let Some(note) = state.not_run_note() {
        writeln!(out, "\n{note}")?;
    }
    for note in &state.notes {
        writeln!(out, "\n{note}")?;
    }
    let verdict = if state.success() {
        style.paint("ok", Color::Green)
    } else {
        style.paint("FAILED", Color::Red)
    };
    writeln!(out, "\ntest result: {verdict}{}\n", state.summary_counts())?;
    out.flush()
}

impl OutputFormatter for Pretty {
    fn write_run_start(&mut self, total: usize, shuffle_seed: Option<u64>) -> io::Result<()> {
        self.out
            .write_all(run_header(total, shuffle_seed).as_bytes())?;
        self.out.flush()
    }

    fn uses_start_events(&self) -> bool {
        !self.style.multithreaded
    }

    fn write_test_start(&mut self, test: &Test) -> io::Result<()> {
        if !self.style.multithreaded {
            write!(self.out, "test {}{} ... ", test.name, mode(test))?;
            self.out.flush()?;
        }
        Ok(())
    }

    fn write_result(&mut self, done: &Completed, state: &Tally) -> io::Result<()> {
        let (word, color) = match done.outcome {
            _ if done.is_flaky() => (Cow::Borrowed("FLAKY"), Color::Yellow),
            Outcome::Passed => (Cow::Borrowed("ok"), Color::Green),
            Outcome::Failed { .. } if state.is_quarantined(done) => {
                (Cow::Borrowed("FAILED (quarantined)"), Color::Yellow)
            }
            Outcome::Failed { .. } => (Cow::Borrowed("FAILED"), Color::Red),
            Outcome::Ignored { reason: None } => (Cow::Borrowed("ignored"), Color::Yellow),
            Outcome::Ignored { reason: Some(why) } => {
                (Cow::Owned(format!("ignored, {why}")), Color::Yellow)
            }
        };
        let (on, off) = self.style.color_codes(color);
        let time = match self.style.report_time && !matches!(done.outcome, Outcome::Ignored { .. })
        {
            true => format!(" <{}>", exec_time(done.duration)),
            false => String::new(),
        };
        let worker = if self.style.verbose {
            // The worker, then the markers the test carries: `[gw3 serial, redis_isolated]`.
            self.style.worker_label(done.worker).map(|w| {
                let markers = done.test.marker_names();
                match markers.is_empty() {
                    true => w,
                    false => format!("{w} {}", markers.join(", ")),
                }
            })
        } else {
            None
        };
        let time = match worker {
            Some(worker) => format!("{time} [{worker}]"),
            None => time,
        };
        // One write per line (one formatting call: cheap in debug builds), so output passing
        // through from other threads cannot split it.
        let line = match (
            self.style.multithreaded,
            self.style.color || !time.is_empty(),
        ) {
            (true, false) => format!("test {}{} ... {word}\n", done.test.name, mode(&done.test)),
            (true, true) => format!(
                "test {}{} ... {on}{word}{off}{time}\n",
                done.test.name,
                mode(&done.test)
            ),
            (false, _) => format!("{on}{word}{off}{time}\n"),
        };
        self.out.write_all(line.as_bytes())?;
        self.out.flush()
    }

    fn write_slow(
        &mut self,
        test: &Test,
        worker: &str,
        elapsed: std::time::Duration,
    ) -> io::Result<()> {
        // With one worker the running test's line is open and names it already; libtest
        // prints no slow-test line there either.
        if !self.style.multithreaded {
            return Ok(());
        }
        write_slow_line(&mut self.out, test, worker, elapsed)
    }

    fn write_run_finish(&mut self, state: &Tally) -> io::Result<()> {
        write_run_end(&mut self.out, &self.style, state)
    }
}
