//! The worker pool (`gw0`…). Workers take their next test from the shared [`Queue`] and
//! hand each event to the reporter themselves, so a test costs two uncontended lock
//! round trips and no thread hand-off. The calling thread only waits for the workers.
//! Nothing polls: a worker with nothing to run exits.

use super::execute::{self, Capture, CaptureMode};
use crate::event::{Completed, Event};
use crate::filter::{Disposition, Planned};
use crate::fixtures;
use crate::outcome::Outcome;
use crate::registry::Test;
use std::io;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::Duration;

/// How to run a plan.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RunConfig {
    /// Number of worker threads (at least 1).
    pub(crate) threads: usize,
    /// Output capture.
    pub(crate) capture: CaptureMode,
    /// Start no test after the first failure.
    pub(crate) fail_fast: bool,
    /// Run on the calling thread (one test per process under nextest).
    pub(crate) inline: bool,
}

/// Receives every event of the run.
pub(crate) type EventSink<'a> = dyn FnMut(Event) -> io::Result<()> + Send + 'a;

fn ignored(test: Test, reason: Option<&'static str>) -> Completed {
    Completed {
        test,
        outcome: Outcome::Ignored { reason },
        duration: Duration::ZERO,
        output: Vec::new(),
    }
}

/// The plan in run order, plus whether to stop early.
struct Queue<'a> {
    plan: std::slice::Iter<'a, Planned>,
    stopped: bool,
}

/// What the workers share. Lock order: `queue` before `sink`.
struct Shared<'p, 's> {
    queue: Mutex<Queue<'p>>,
    sink: Mutex<Reporting<'s>>,
    config: RunConfig,
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
    /// Sends `event` on; after an error, stops the run and drops further events.
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

    /// The next test to run, reporting ignored tests passed over on the way.
    fn next_runnable(&self) -> Option<Test> {
        let mut queue = lock(&self.queue);
        while !queue.stopped {
            let Some(planned) = queue.plan.next() else {
                break;
            };
            let reported = self.emit(Event::Started(planned.test))
                && match planned.disposition {
                    Disposition::Run => return Some(planned.test),
                    Disposition::Ignore(reason) => {
                        self.emit(Event::Finished(ignored(planned.test, reason)))
                    }
                };
            queue.stopped |= !reported;
        }
        None
    }

    fn finished(&self, done: Completed) {
        let failed = matches!(done.outcome, Outcome::Failed { .. });
        let reported = self.emit(Event::Finished(done));
        if !reported || (failed && self.config.fail_fast) {
            lock(&self.queue).stopped = true;
        }
    }

    fn work(&self, capture: &mut Capture) {
        while let Some(test) = self.next_runnable() {
            self.finished(execute::run(test, capture));
        }
    }
}

/// Runs `plan`, handing every event to `events` (from whichever thread produced it).
pub(crate) fn run<'s>(
    plan: &[Planned],
    config: &RunConfig,
    events: &'s mut EventSink<'s>,
) -> io::Result<()> {
    let shared = Shared {
        queue: Mutex::new(Queue {
            plan: plan.iter(),
            stopped: false,
        }),
        sink: Mutex::new(Reporting {
            events,
            error: None,
        }),
        config: *config,
    };
    if config.inline {
        shared.work(&mut Capture::new(config.capture));
    } else {
        let runnable = plan
            .iter()
            .filter(|p| p.disposition == Disposition::Run)
            .count();
        let threads = config.threads.clamp(1, runnable.max(1));
        thread::scope(|scope| -> io::Result<()> {
            for index in 0..threads {
                let shared = &shared;
                thread::Builder::new()
                    .name(format!("gw{index}"))
                    .spawn_scoped(scope, move || {
                        fixtures::enter_worker(index);
                        shared.work(&mut Capture::new(shared.config.capture));
                    })?;
            }
            Ok(())
        })?;
    }
    let reporting = shared
        .sink
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner);
    reporting.error.map_or(Ok(()), Err)
}
