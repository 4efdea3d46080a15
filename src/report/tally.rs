//! [`Tally`]: the counts and kept outputs of a run, the only place that counts.

use super::plural::plural;
use crate::event::Completed;
use crate::outcome::Outcome;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

/// What the run has produced so far.
#[derive(Debug)]
pub(crate) struct Tally {
    /// Tests in the run (ignored included).
    pub(crate) total: usize,
    /// Passed tests.
    pub(crate) passed: usize,
    /// Failed tests.
    pub(crate) failed: usize,
    /// Ignored tests.
    pub(crate) ignored: usize,
    /// Registered tests left out by the selection.
    pub(crate) filtered_out: usize,
    /// Tests that never started because the run stopped early.
    pub(crate) not_run_names: Vec<&'static str>,
    /// Time each worker spent running tests, by worker index (with `track_busy`).
    pub(crate) busy: Vec<Duration>,
    track_busy: bool,
    /// Resource teardowns that panicked: (what, panic report). They fail the run.
    pub(crate) teardown_failures: Vec<(String, String)>,
    /// Lines printed before the summary.
    pub(crate) notes: Vec<String>,
    /// Report files (`--junit PATH`) that could not be written: they fail the run.
    pub(crate) write_errors: Vec<String>,
    /// Warnings the runner sent (`Event::Warning`), in order.
    pub(crate) warnings: Vec<String>,
    /// Durations for the history: of every test that ran, or (when `long_only`) of those
    /// that took at least the history's recording threshold.
    pub(crate) durations: Vec<(&'static str, Duration)>,
    long_only: Option<Duration>,
    /// Failing tests with what libtest shows under their name, in completion order.
    pub(crate) failures: Vec<(&'static str, Vec<u8>)>,
    /// Tests that passed only on a rerun, with their failed attempts' output.
    pub(crate) flaky: Vec<(&'static str, Vec<u8>)>,
    /// Failures of quarantined tests (reported, never failing the run).
    pub(crate) quarantined: Vec<(&'static str, Vec<u8>)>,
    /// A flaky test fails the run.
    fail_on_flaky: bool,
    /// Markers whose tests are quarantined.
    quarantine: Vec<String>,
    /// Passing tests with their output, kept only for `--show-output`.
    pub(crate) successes: Vec<(&'static str, Vec<u8>)>,
    /// The reason of the last ignored test, if it had one (for the one-ignored-test note).
    pub(crate) last_ignore_reason: Option<(&'static str, &'static str)>,
    /// Keep passing tests' output.
    show_output: bool,
    started: Instant,
    /// Wall time of the run, set when it ends.
    pub(crate) exec_time: Option<Duration>,
}

impl Tally {
    /// A fresh state for `total` tests.
    pub(crate) fn new(total: usize, filtered_out: usize, show_output: bool) -> Self {
        Tally {
            total,
            passed: 0,
            failed: 0,
            ignored: 0,
            filtered_out,
            not_run_names: Vec::new(),
            busy: Vec::new(),
            track_busy: false,
            teardown_failures: Vec::new(),
            notes: Vec::new(),
            write_errors: Vec::new(),
            warnings: Vec::new(),
            durations: Vec::new(),
            long_only: None,
            failures: Vec::new(),
            flaky: Vec::new(),
            quarantined: Vec::new(),
            fail_on_flaky: false,
            quarantine: Vec::new(),
            successes: Vec::new(),
            last_ignore_reason: None,
            show_output,
            started: Instant::now(),
            exec_time: None,
        }
    }

    /// Keeps only durations of at least `threshold` (when the history has nothing to forget).
    pub(crate) fn keep_durations_from(mut self, threshold: Option<Duration>) -> Self {
        self.long_only = threshold;
        self
    }

    /// Also adds up each worker's busy time (for `--measure`).
    pub(crate) fn track_busy(mut self, on: bool) -> Self {
        self.track_busy = on;
        self
    }

    /// `--fail-on-flaky` and the config's quarantine markers.
    pub(crate) fn with_flaky_policy(
        mut self,
        fail_on_flaky: bool,
        quarantine: Vec<String>,
    ) -> Self {
        self.fail_on_flaky = fail_on_flaky;
        self.quarantine = quarantine;
        self
    }

    /// Whether `done`'s test carries a quarantine marker.
    pub(crate) fn is_quarantined(&self, done: &Completed) -> bool {
        !self.quarantine.is_empty()
            && done
                .test
                .markers()
                .iter()
                .any(|m| self.quarantine.iter().any(|q| q == m))
    }

    /// Whether `done` counts as a failure of the run.
    pub(crate) fn counts_as_failure(&self, done: &Completed) -> bool {
        let failed = matches!(done.outcome, Outcome::Failed { .. })
            || (self.fail_on_flaky && done.is_flaky());
        failed && !self.is_quarantined(done)
    }

    /// Counts a finished test.
    pub(crate) fn record(&mut self, done: &Completed) {
        if let Some(w) = done.worker.filter(|_| self.track_busy) {
            if self.busy.len() <= w {
                self.busy.resize(w + 1, Duration::ZERO);
            }
            self.busy[w] += done.duration;
        }
        let ran = !matches!(done.outcome, Outcome::Ignored { .. });
        if ran && self.long_only.is_none_or(|t| done.duration >= t) {
            self.durations.push((done.test.name, done.duration));
        }
        match &done.outcome {
            _ if self.counts_as_failure(done) => self.failed += 1,
            Outcome::Passed | Outcome::Failed { .. } => {
                self.passed += usize::from(matches!(done.outcome, Outcome::Passed))
            }
            Outcome::Ignored { reason } => {
                self.ignored += 1;
                self.last_ignore_reason = reason.map(|r| (done.test.name, r));
            }
        }
    }

    /// Keeps the output a failing (or, with `--show-output`, passing) test leaves for the summary.
    pub(crate) fn keep_output(&mut self, done: Completed) {
        // The common case, kept cheap: a test that passed at once.
        if matches!(done.outcome, Outcome::Passed) && done.earlier.is_empty() {
            if self.show_output {
                self.successes.push((done.test.name, done.output));
            }
            return;
        }
        let counts = self.counts_as_failure(&done);
        let quarantined =
            self.is_quarantined(&done) && matches!(done.outcome, Outcome::Failed { .. });
        let mut history = earlier_attempts(&done);
        if done.is_flaky() {
            let entry = (done.test.name, history.clone());
            if counts {
                self.failures.push(entry.clone());
            }
            self.flaky.push(entry);
            if self.show_output {
                self.successes.push((done.test.name, done.output));
            }
            return;
        }
        if !history.is_empty() {
            let n = done.attempt();
            history.extend_from_slice(format!("---- attempt {n} of {n} ----\n").as_bytes());
        }
        let done = if history.is_empty() {
            done
        } else {
            Completed {
                output: [history, done.output].concat(),
                ..done
            }
        };
        if quarantined {
            let mut output = done.output;
            if let Outcome::Failed {
                message: Some(message),
            } = &done.outcome
            {
                output.extend_from_slice(format!("note: {message}").as_bytes());
            }
            self.quarantined.push((done.test.name, output));
            return;
        }
        match done.outcome {
            Outcome::Failed { message } => {
                let mut output = done.output;
                if let Some(message) = message {
                    output.extend_from_slice(format!("note: {message}").as_bytes());
                }
                self.failures.push((done.test.name, output));
            }
            Outcome::Passed if self.show_output => {
                self.successes.push((done.test.name, done.output))
            }
            _ => {}
        }
    }

    /// Records the run's wall time.
    pub(crate) fn stop_clock(&mut self) {
        self.exec_time = Some(self.started.elapsed());
    }

    /// Whether nothing failed (tests or teardowns).
    pub(crate) fn success(&self) -> bool {
        self.failed == 0 && self.teardown_failures.is_empty()
    }

    /// How many tests never started because the run stopped early.
    pub(crate) fn not_run(&self) -> usize {
        self.not_run_names.len()
    }

    /// The line saying how many tests never started, if any did not.
    pub(crate) fn not_run_note(&self) -> Option<String> {
        (self.not_run() > 0).then(|| {
            // Named (the first ten): an interrupted run's user wants to know what is left.
            let mut names: Vec<&str> = self.not_run_names.iter().take(10).copied().collect();
            if self.not_run() > names.len() {
                names.push("…");
            }
            format!(
                "stopped after {}: {} not run: {}",
                plural(self.failed, "failure"),
                plural(self.not_run(), "test"),
                names.join(", ")
            )
        })
    }

    /// libtest's `. N passed; N failed; …; finished in Ts` tail of the summary line.
    pub(crate) fn summary_counts(&self) -> String {
        let mut s = format!(
            ". {} passed; {} failed; {} ignored; 0 measured; {} filtered out",
            self.passed, self.failed, self.ignored, self.filtered_out
        );
        if let Some(t) = self.exec_time {
            let _ = write!(s, "; finished in {:.2}s", t.as_secs_f64());
        }
        s
    }
}

/// The output of a rerun test's failed attempts, each under an `attempt N of M` header
/// with its failure note.
fn earlier_attempts(done: &Completed) -> Vec<u8> {
    let mut history = Vec::new();
    for (n, attempt) in done.earlier.iter().enumerate() {
        history.extend_from_slice(
            format!("---- attempt {} of {} ----\n", n + 1, done.attempt()).as_bytes(),
        );
        history.extend_from_slice(&attempt.output);
        if let Some(message) = &attempt.message {
            history.extend_from_slice(format!("note: {message}\n").as_bytes());
        }
    }
    history
}
