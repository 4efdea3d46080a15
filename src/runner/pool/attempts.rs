//! One test's attempts on a worker: the executor runs it (this thread, or the worker's
//! process), again after each failure while reruns remain; crashed worker processes count
//! toward `--max-worker-restart`.

use super::Shared;
#[cfg(unix)]
use crate::event::Event;
use crate::event::{Completed, EventHandler, FailedAttempt};
use crate::outcome::Outcome;
use crate::runner::executor::Executor;
use crate::timeline;
#[cfg(unix)]
use std::sync::atomic::Ordering;
use std::thread;
use std::time::Instant;

impl<H: EventHandler> Shared<H> {
    /// Runs `test`, again after each failure while attempts remain, keeping every failed
    /// attempt's output and note. When the run records, the common case — a first attempt
    /// that passed holding no lease — is left to the worker board, which knows when the
    /// test started (the `true` returned); every other attempt is recorded here.
    pub(super) fn run_with_reruns(
        &self,
        (slot, index): (usize, usize),
        leases: &[(&'static str, u32)],
        executor: &mut dyn Executor,
    ) -> (Completed, bool) {
        let test = self.plan[index].test;
        let retries = if test.retries() > 0 {
            test.retries()
        } else {
            self.config.reruns
        };
        let mut earlier = Vec::new();
        loop {
            let started = crate::timeline::on().then(Instant::now);
            let done = self.attempt((slot, index), leases, executor);
            let number = earlier.len() as u32 + 1;
            let failed = matches!(done.outcome, Outcome::Failed { .. });
            let on_board = !failed && number == 1 && leases.is_empty();
            if let Some(started) = started.filter(|_| !on_board) {
                let outcome = &done.outcome;
                let slice =
                    timeline::attempt(slot, test, started, number, leases, outcome, &done.output);
                timeline::record([slice]);
            }
            if !failed || earlier.len() >= retries as usize {
                return (Completed { earlier, ..done }, on_board && started.is_some());
            }
            if let Outcome::Failed { message } = done.outcome {
                earlier.push(FailedAttempt {
                    output: done.output,
                    message,
                });
            }
            if !self.config.reruns_delay.is_zero() {
                thread::sleep(self.config.reruns_delay);
            }
        }
    }

    /// One attempt of `test` on `executor`. A crashed worker process counts toward
    /// `--max-worker-restart`; past it, no new test starts.
    fn attempt(
        &self,
        (slot, index): (usize, usize),
        leases: &[(&'static str, u32)],
        executor: &mut dyn Executor,
    ) -> Completed {
        let test = self.plan[index].test;
        let (done, crashed) = executor.attempt(test, leases, self.config.default_timeout);
        if crashed {
            let what = format!("worker process crashed running {}; replaced", test.name);
            crate::timeline::mark(Some(slot), what);
            let crashes = self.crashes.fetch_add(1, Ordering::SeqCst) + 1;
            if crashes == self.config.max_worker_restart + 1 {
                self.emit(Event::Warning(format!(
                    "partest: {crashes} worker processes crashed, more than --max-worker-restart {} allows; no new test starts",
                    self.config.max_worker_restart
                )));
                self.state.stop();
            }
        }
        done
    }
}
