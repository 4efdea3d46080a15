//! The interface between the runner and the reporter: an [`Event`] stream, handed to an
//! [`EventHandler`]. The runner never prints; whatever a run has to say — results, slow
//! tests, warnings — reaches the reporter as an event.

use crate::outcome::Outcome;
use crate::plan::Test;
use std::io;
use std::time::Duration;

/// Receives every event of a run.
///
/// The contract the runner keeps: events come from whichever thread produced them (a
/// worker, the watchdog, the calling thread), one at a time — the runner holds a lock
/// around the handler, so `on_event` never runs twice at once — and in the order each
/// thread produced them (a test's `Started` before its `Finished`). The first error
/// stops the run; after the run the runner hands the handler back.
pub(crate) trait EventHandler: Send + 'static {
    /// Handles one event; an error stops the run.
    fn on_event(&mut self, event: Event) -> io::Result<()>;
}

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
    /// Something about the run itself the user should know (a worker that could not
    /// start, the run going sequential, a run timeout): one or more lines, no newline.
    Warning(String),
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
    /// A first attempt of `test` with no worker yet (the runner fills it in).
    pub(crate) fn new(test: Test, outcome: Outcome, duration: Duration, output: Vec<u8>) -> Self {
        Completed {
            test,
            outcome,
            duration,
            output,
            worker: None,
            earlier: Vec::new(),
        }
    }

    /// Passed only after failing: a flaky test.
    pub(crate) fn is_flaky(&self) -> bool {
        !self.earlier.is_empty() && matches!(self.outcome, Outcome::Passed)
    }

    /// Which attempt this is (1 for a test that was not rerun).
    pub(crate) fn attempt(&self) -> usize {
        self.earlier.len() + 1
    }
}
