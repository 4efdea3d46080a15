//! libtest's `-q` output: a character per result, a progress count every 88 results,
//! failed tests on their own line (`name --- FAILED`), then pretty's summary.

use super::pretty::{run_header, write_run_end, write_slow_line};
use super::{Color, Out, OutputFormatter, Style, Tally};
use crate::event::Completed;
use crate::outcome::Outcome;
use crate::plan::Test;
use std::fmt::Write as _;
use std::io::{self, Write};

/// Results per line before a progress count (leaves room for ` 11704/12853`).
const MAX_COLUMN: usize = 88;

/// The terse formatter.
pub(crate) struct Terse {
    out: Out,
    style: Style,
    total: usize,
    count: usize,
    column: usize,
    /// Results not written yet: on a terminal each is written as it comes (progress you
    /// watch); into a pipe or file they go a line at a time, as std's stdout would, instead
    /// of a write per test.
    pending: String,
    live: bool,
}

impl Terse {
    pub(crate) fn new(out: Out, style: Style) -> Self {
        use std::io::IsTerminal;
        Terse {
            out,
            style,
            total: 0,
            count: 0,
            column: 0,
            pending: String::new(),
            live: io::stdout().is_terminal(),
        }
    }

    /// Writes the results held back.
    fn write_pending(&mut self) -> io::Result<()> {
        if !self.pending.is_empty() {
            self.out.write_all(self.pending.as_bytes())?;
            self.pending.clear();
        }
        self.out.flush()
    }

    fn progress(&mut self) -> String {
        self.column = 0;
        format!(" {}/{}\n", self.count, self.total)
    }
}

impl OutputFormatter for Terse {
    fn write_run_start(&mut self, total: usize, shuffle_seed: Option<u64>) -> io::Result<()> {
        self.total = total;
        self.out
            .write_all(run_header(total, shuffle_seed).as_bytes())?;
        self.out.flush()
    }

    fn write_test_start(&mut self, _: &Test) -> io::Result<()> {
        Ok(())
    }

    fn write_result(&mut self, done: &Completed, _: &Tally) -> io::Result<()> {
        let mut text = std::mem::take(&mut self.pending);
        let short = match done.outcome {
            _ if done.is_flaky() => Some(("f", Color::Yellow)),
            Outcome::Passed => Some((".", Color::Green)),
            Outcome::Ignored { .. } => Some(("i", Color::Yellow)),
            Outcome::Failed { .. } => None,
        };
        match short {
            Some((mark, color)) => {
                text.push_str(&self.style.paint(mark, color));
                self.count += 1;
                self.column += 1;
                if self.column % MAX_COLUMN == MAX_COLUMN - 1 {
                    text.push_str(&self.progress());
                }
            }
            None => {
                if self.column != 0 {
                    text.push_str(&self.progress());
                }
                self.count += 1;
                let _ = writeln!(
                    text,
                    "{} --- {}",
                    done.test.name,
                    self.style.paint("FAILED", Color::Red)
                );
            }
        }
        self.pending = text;
        if self.live || self.pending.ends_with('\n') {
            self.write_pending()?;
        }
        Ok(())
    }

    fn write_slow(
        &mut self,
        test: &Test,
        worker: &str,
        elapsed: std::time::Duration,
    ) -> io::Result<()> {
        self.write_pending()?;
        write_slow_line(&mut self.out, test, worker, elapsed)
    }

    fn write_run_finish(&mut self, state: &Tally) -> io::Result<()> {
        self.write_pending()?;
        write_run_end(&mut self.out, &self.style, state)?;
        if let (1, Some((name, why))) = (self.total, state.last_ignore_reason) {
            if state.ignored == 1 {
                writeln!(self.out, "test: {name}, ignore_message: {why}\n")?;
            }
        }
        self.out.flush()
    }
}
