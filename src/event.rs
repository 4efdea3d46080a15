//! The interface between the runner and the reporter: an [`Event`] stream.

use crate::outcome::Outcome;
use crate::registry::Test;
use std::time::Duration;

/// One thing that happened during a run, in the order the coordinator saw it.
#[derive(Debug)]
pub(crate) enum Event {
    /// A test was handed to a worker (or is about to be reported ignored).
    Started(Test),
    /// A test finished.
    Finished(Completed),
    /// A test that never started because the run stopped early (`--maxfail`).
    NotRun(Test),
    /// Dropping a `per_worker` / `per_run` resource panicked: `report` is the panic report.
    TeardownFailed { what: String, report: String },
    /// A test has been running for `elapsed` (a multiple of `--slow-timeout`).
    Slow {
        test: Test,
        worker: usize,
        elapsed: Duration,
    },
}

/// A finished test.
#[derive(Debug)]
pub(crate) struct Completed {
    /// Which test.
    pub(crate) test: Test,
    /// How it went.
    pub(crate) outcome: Outcome,
    /// Wall time of the body.
    pub(crate) duration: Duration,
    /// Captured stdout/stderr and panic text, in libtest's order.
    pub(crate) output: Vec<u8>,
    /// The worker that ran it (`None` for tests reported without running).
    pub(crate) worker: Option<usize>,
    /// Failed attempts before this one (reruns), oldest first.
    pub(crate) earlier: Vec<FailedAttempt>,
}

/// One failed attempt of a test that was run again.
#[derive(Debug, Clone)]
pub(crate) struct FailedAttempt {
    /// What the attempt printed (and its panic report).
    pub(crate) output: Vec<u8>,
    /// Its failure note, if any.
    pub(crate) message: Option<String>,
}

impl Completed {
    /// Passed only after failing: a flaky test.
    pub(crate) fn is_flaky(&self) -> bool {
        !self.earlier.is_empty() && matches!(self.outcome, Outcome::Passed)
    }

    /// Which attempt this is (1 for a test that was not rerun).
    pub(crate) fn attempt(&self) -> usize {
        self.earlier.len() + 1
    }
}
