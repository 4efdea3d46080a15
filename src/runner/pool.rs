//! The worker pool (`gw0`…). Each worker asks the shared [`Scheduler`] for its next test,
//! runs it, hands the events to the reporter itself and tells the scheduler it finished.
//! A worker with nothing admissible sleeps on a condition variable until a test finishes
//! (never polls); the calling thread only waits for the workers.

use super::execute::{self, Capture, CaptureMode};
use crate::event::{Completed, Event};
use crate::filter::Planned;
use crate::fixtures;
use crate::outcome::Outcome;
use crate::scheduler::{Next, Scheduler};
use std::io;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::Duration;

/// How to run a plan.
#[derive(Clone, Debug)]
pub(crate) struct RunConfig {
    /// Number of worker threads (at least 1).
    pub(crate) threads: usize,
    /// Output capture.
    pub(crate) capture: CaptureMode,
    /// Run on the calling thread (one test per process under nextest).
    pub(crate) inline: bool,
    /// Names of the scheduler's pools, by pool id (for `redis_db()` / `resource_slot()`).
    pub(crate) pool_names: Vec<&'static str>,
}

/// Receives every event of the run.
pub(crate) type EventSink<'a> = dyn FnMut(Event) -> io::Result<()> + Send + 'a;

struct State {
    scheduler: Scheduler,
    /// Workers asleep waiting for a test to finish.
    waiting: usize,
}

/// What the workers share. Lock order: `state` is never held while taking `sink`.
struct Shared<'p, 's> {
    plan: &'p [Planned],
    state: Mutex<State>,
    wake: Condvar,
    sink: Mutex<Reporting<'s>>,
    config: &'p RunConfig,
}

/// The event sink and the first error it returned.
struct Reporting<'s> {
    events: &'s mut EventSink<'s>,
    error: Option<io::Error>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding these locks is a partest bug; the state is still consistent.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared<'_, '_> {
    /// Sends `event` on; false once the sink has failed (the run then stops).
    fn emit(&self, event: Event) -> bool {
        let mut reporting = lock(&self.sink);
        if reporting.error.is_some() {
            return false;
        }
        match (reporting.events)(event) {
            Ok(()) => true,
            Err(e) => {
                reporting.error = Some(e);
                false
            }
        }
    }

    fn next_for(&self, worker: usize) -> Next {
        let mut state = lock(&self.state);
        loop {
            match state.scheduler.next_for(worker) {
                Next::Wait => {
                    state.waiting += 1;
                    state = self
                        .wake
                        .wait(state)
                        .unwrap_or_else(PoisonError::into_inner);
                    state.waiting -= 1;
                }
                next => return next,
            }
        }
    }

    fn finish(&self, index: usize, lease: crate::scheduler::Lease, failed: bool, reported: bool) {
        let mut state = lock(&self.state);
        state.scheduler.finish(index, lease, failed);
        if !reported {
            state.scheduler.stop();
        }
        if state.waiting > 0 {
            self.wake.notify_all();
        }
    }

    fn work(&self, worker: usize, capture: &mut Capture) {
        loop {
            match self.next_for(worker) {
                Next::Run(index, lease) => {
                    let test = self.plan[index].test;
                    let started = self.emit(Event::Started(test));
                    let names = lease
                        .slots
                        .iter()
                        .map(|&(p, s)| (self.config.pool_names[p as usize], s))
                        .collect();
                    fixtures::set_leases(names);
                    let done = execute::run(test, capture);
                    fixtures::set_leases(Vec::new());
                    let failed = matches!(done.outcome, Outcome::Failed { .. });
                    let reported = started && self.emit(Event::Finished(done));
                    self.finish(index, lease, failed, reported);
                }
                Next::Skip(index) => {
                    let test = self.plan[index].test;
                    let reason = match self.plan[index].disposition {
                        crate::filter::Disposition::Ignore(reason) => reason,
                        crate::filter::Disposition::Run => None,
                    };
                    let outcome = Outcome::Ignored { reason };
                    let done = Completed {
                        test,
                        outcome,
                        duration: Duration::ZERO,
                        output: Vec::new(),
                    };
                    if !(self.emit(Event::Started(test)) && self.emit(Event::Finished(done))) {
                        lock(&self.state).scheduler.stop();
                    }
                }
                Next::Wait | Next::Done => return,
            }
        }
    }
}

/// Runs `plan` under `scheduler`, handing every event to `events` (from whichever thread
/// produced it), then reports the tests that never started as not run.
pub(crate) fn run<'s>(
    plan: &[Planned],
    scheduler: Scheduler,
    config: &RunConfig,
    events: &'s mut EventSink<'s>,
) -> io::Result<()> {
    let shared = Shared {
        plan,
        state: Mutex::new(State {
            scheduler,
            waiting: 0,
        }),
        wake: Condvar::new(),
        sink: Mutex::new(Reporting {
            events,
            error: None,
        }),
        config,
    };
    if config.inline {
        shared.work(0, &mut Capture::new(config.capture));
    } else {
        thread::scope(|scope| -> io::Result<()> {
            for index in 0..config.threads.max(1) {
                let shared = &shared;
                thread::Builder::new()
                    .name(format!("gw{index}"))
                    .spawn_scoped(scope, move || {
                        fixtures::enter_worker(index);
                        shared.work(index, &mut Capture::new(shared.config.capture));
                    })?;
            }
            Ok(())
        })?;
    }
    let not_run = lock(&shared.state).scheduler.not_run();
    for index in not_run {
        if !shared.emit(Event::NotRun(plan[index].test)) {
            break;
        }
    }
    let reporting = shared
        .sink
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner);
    reporting.error.map_or(Ok(()), Err)
}
