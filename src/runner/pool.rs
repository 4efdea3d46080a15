//! The worker pool (`gw0`…). Each worker asks the shared [`Scheduler`] for its next test,
//! runs it, hands the events to the reporter itself and tells the scheduler it finished.
//! A worker with nothing admissible sleeps on a condition variable until a test finishes
//! (never polls); the calling thread only waits for the workers.

use super::execute::{self, Capture, CaptureMode};
use crate::event::{Completed, Event};
use crate::filter::{Disposition, Planned};
use crate::fixtures::{self, resources};
use crate::outcome::Outcome;
use crate::scheduler::{Lease, Next, Scheduler};
use std::io;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

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
    /// A slot an outer runner leased for one pool: nextest's test-group slot.
    pub(crate) outer_slot: Option<(String, u32)>,
    /// The time limit of tests without their own (config `timeout`).
    pub(crate) default_timeout: Option<Duration>,
}

/// Receives every event of the run.
pub(crate) type EventSink<'a> = dyn FnMut(Event) -> io::Result<()> + Send + 'a;

struct State {
    scheduler: Scheduler,
    /// Workers asleep waiting for a test to finish.
    waiting: usize,
    /// Total time workers slept waiting for a constraint while tests were pending.
    waited: Duration,
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

    /// The next thing for `worker` to do, after recording (when given) the test it just
    /// finished: one lock round trip per test.
    fn finish_and_next(&self, worker: usize, finished: Option<(usize, Lease, bool)>) -> Next {
        let mut state = lock(&self.state);
        if let Some((index, lease, failed)) = finished {
            state.scheduler.finish(index, lease, failed);
            if state.waiting > 0 {
                self.wake.notify_all();
            }
        }
        loop {
            match state.scheduler.next_for(worker) {
                Next::Wait => {
                    state.waiting += 1;
                    let asleep = Instant::now();
                    state = self
                        .wake
                        .wait(state)
                        .unwrap_or_else(PoisonError::into_inner);
                    state.waited += asleep.elapsed();
                    state.waiting -= 1;
                }
                next => return next,
            }
        }
    }

    fn stop(&self) {
        let mut state = lock(&self.state);
        state.scheduler.stop();
        if state.waiting > 0 {
            self.wake.notify_all();
        }
    }

    fn work(&self, worker: usize, capture: &mut Capture) {
        let mut finished = None;
        loop {
            match self.finish_and_next(worker, finished.take()) {
                Next::Run(index, lease) => {
                    let test = self.plan[index].test;
                    let started = self.emit(Event::Started(test));
                    let leased = !lease.slots.is_empty();
                    if leased {
                        let pool = |p: u32| self.config.pool_names[p as usize];
                        let outer = self.config.outer_slot.as_ref();
                        // Under nextest the slot comes from the pool's test group.
                        let slot = |p: u32, s: u32| match outer {
                            Some((name, slot)) if name == pool(p) => *slot,
                            _ => s,
                        };
                        fixtures::set_leases(
                            lease
                                .slots
                                .iter()
                                .map(|&(p, s)| (pool(p), slot(p, s)))
                                .collect(),
                        );
                    }
                    let mut done = execute::run(test, capture, self.config.default_timeout);
                    done.worker = Some(worker);
                    if leased {
                        fixtures::set_leases(Vec::new());
                    }
                    let failed = matches!(done.outcome, Outcome::Failed { .. });
                    if !(started && self.emit(Event::Finished(done))) {
                        self.stop();
                    }
                    finished = Some((index, lease, failed));
                }
                Next::Skip(index) => {
                    let planned = self.plan[index];
                    let reason = match planned.disposition {
                        Disposition::Ignore(reason) => reason,
                        Disposition::Run => None,
                    };
                    let outcome = Outcome::Ignored { reason };
                    let done = Completed {
                        test: planned.test,
                        outcome,
                        duration: Duration::ZERO,
                        output: Vec::new(),
                        worker: None,
                    };
                    if !(self.emit(Event::Started(planned.test))
                        && self.emit(Event::Finished(done)))
                    {
                        self.stop();
                    }
                }
                Next::Wait | Next::Done => break,
            }
        }
        for (what, report) in resources::tear_down_worker() {
            self.emit(Event::TeardownFailed { what, report });
        }
    }
}

/// What the pool observed about itself.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct PoolStats {
    /// Total time workers waited for a constraint while tests were pending.
    pub(crate) waited: Duration,
}

/// Runs `plan` under `scheduler`, handing every event to `events` (from whichever thread
/// produced it), then reports the tests that never started as not run.
pub(crate) fn run<'s>(
    plan: &[Planned],
    scheduler: Scheduler,
    config: &RunConfig,
    events: &'s mut EventSink<'s>,
) -> io::Result<PoolStats> {
    let shared = Shared {
        plan,
        state: Mutex::new(State {
            scheduler,
            waiting: 0,
            waited: Duration::ZERO,
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
    let (not_run, waited) = {
        let state = lock(&shared.state);
        (state.scheduler.not_run(), state.waited)
    };
    for index in not_run {
        if !shared.emit(Event::NotRun(plan[index].test)) {
            break;
        }
    }
    let reporting = shared
        .sink
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner);
    reporting.error.map_or(Ok(PoolStats { waited }), Err)
}
