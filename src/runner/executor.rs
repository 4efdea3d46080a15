//! Where a pool thread runs its tests ([`Executor`]): on the thread itself, or on worker
//! processes of the test's binary (`--isolate process`, `cargo partest`). The pool's
//! worker loop, reruns and leases are the same for both.

use super::execute::{self, Capture, CaptureMode};
#[cfg(unix)]
use super::process::child::{Settings, WorkerProcess};
use crate::event::Completed;
use crate::plan::Test;
#[cfg(unix)]
use std::sync::Arc;
use std::time::Duration;

/// The slots a test holds: (pool name, slot).
pub(crate) type Leases = [(&'static str, u32)];

/// What a pool thread runs a test on.
pub(crate) trait Executor {
    /// One attempt of `test` holding `leases` (pool name, slot), under its own time
    /// limit, else `default_timeout`; with whether a worker process died during it (not
    /// killed by partest).
    fn attempt(
        &mut self,
        test: Test,
        leases: &Leases,
        default_timeout: Option<Duration>,
    ) -> (Completed, bool);

    /// Ends what the executor started (worker processes) before its thread retires: the
    /// teardowns that failed, as (what, report).
    fn shut_down(&mut self) -> Vec<(String, String)>;
}

/// Tests run on the pool thread itself, their output captured per test.
pub(crate) struct ThisThread(Capture);

impl ThisThread {
    /// An executor capturing in `mode`.
    pub(crate) fn new(mode: CaptureMode) -> Self {
        ThisThread(Capture::new(mode))
    }
}

impl Executor for ThisThread {
    /// The leases are the pool thread's own (`fixtures::set_leases`).
    fn attempt(
        &mut self,
        test: Test,
        _: &Leases,
        default_timeout: Option<Duration>,
    ) -> (Completed, bool) {
        (execute::run(test, &mut self.0, default_timeout), false)
    }

    fn shut_down(&mut self) -> Vec<(String, String)> {
        Vec::new()
    }
}

/// Tests run on this position's worker process of their binary (one per binary, each
/// started when first needed; with a single binary, at once).
#[cfg(unix)]
pub(crate) struct WorkerProcesses(Vec<WorkerProcess>);

#[cfg(unix)]
impl WorkerProcesses {
    /// The worker processes of position `slot`, one per binary in `settings`. With one
    /// binary its worker starts now, in parallel with the other positions' (a failure to
    /// start shows in the first test's result); several start on demand.
    pub(crate) fn new(slot: usize, settings: &[Arc<Settings>]) -> Self {
        let mut workers: Vec<WorkerProcess> = settings
            .iter()
            .map(|settings| WorkerProcess::new(slot, Arc::clone(settings)))
            .collect();
        if let [only] = &mut workers[..] {
            let _ = only.start();
        }
        WorkerProcesses(workers)
    }
}

#[cfg(unix)]
impl Executor for WorkerProcesses {
    fn attempt(
        &mut self,
        test: Test,
        leases: &Leases,
        default_timeout: Option<Duration>,
    ) -> (Completed, bool) {
        let limit = test.timeout().or(default_timeout);
        let attempt = self.0[test.binary as usize].run(test, leases, limit);
        (attempt.done, attempt.crashed)
    }

    fn shut_down(&mut self) -> Vec<(String, String)> {
        self.0.iter_mut().flat_map(|w| w.shut_down()).collect()
    }
}
