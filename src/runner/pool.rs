//! The worker pool (`gw0`…) and its watchdog. Each worker claims its next test from the
//! [`WorkerBoard`] (which finishes its last one in the same lock round trip), runs it and
//! hands the events to the reporter itself. A worker with nothing admissible
//! sleeps until a test finishes (never polls). The calling thread is the watchdog
//! (watchdog.rs): it sleeps until the next deadline and times out stuck tests, replacing
//! their worker so the run goes on at full width. Worker threads are not joined: a stuck
//! test's thread is abandoned and dies with the process. In process mode each worker
//! thread drives a worker process instead of running the test itself (process/), and
//! kills it at the test's timeout; the watchdog then only warns about slow tests and
//! ends the run at `--run-timeout`.

use super::board::{TimeLimits, WorkerBoard};
use super::execute::CaptureMode;
#[cfg(unix)]
use super::executor::WorkerProcesses;
use super::executor::{Executor, ThisThread};
#[cfg(unix)]
use super::process::child;
use super::watchdog;

mod attempts;
use crate::event::{Completed, Event, EventHandler};
use crate::filter::{Disposition, Planned};
use crate::fixtures::{self, resources};
use crate::outcome::Outcome;
use crate::scheduler::{Lease, Next, Scheduler};
use std::io;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
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
    /// Slots leased outside the pool, by pool name: nextest's test-group slot, and the
    /// slots of the cross-process locks a test process took under nextest.
    pub(crate) outer_slots: Vec<(String, u32)>,
    /// The time limit of tests without their own (`--timeout`, config `timeout`).
    pub(crate) default_timeout: Option<Duration>,
    /// Warn about a test running longer than this, and at each multiple (`--slow-timeout`).
    pub(crate) slow_after: Option<Duration>,
    /// Stop the whole run after this long (`--run-timeout`).
    pub(crate) run_timeout: Option<Duration>,
    /// Extra attempts for a failing test without its own `retries` (`--reruns`).
    pub(crate) reruns: u32,
    /// Pause before each rerun (`--reruns-delay`).
    pub(crate) reruns_delay: Duration,
    /// Whether the reports use `Started` events (JSON, sequential pretty, the status line).
    pub(crate) report_starts: bool,
    /// `--isolate process`: how worker processes of each binary are started (empty: tests
    /// run on the pool's threads). One binary, or several under `cargo partest`, indexed
    /// by a test's `binary`.
    #[cfg(unix)]
    pub(crate) processes: Vec<Arc<child::Settings>>,
    /// Crashed worker processes replaced before no new test starts.
    pub(crate) max_worker_restart: usize,
}

/// What the workers and the watchdog share. The board's lock is never held while
/// taking `sink`.
struct Shared<H> {
    plan: Vec<Planned>,
    state: WorkerBoard,
    sink: Mutex<Reporting<H>>,
    config: RunConfig,
    /// Worker processes that crashed so far.
    crashes: AtomicUsize,
}

/// The event sink and the first error it returned.
struct Reporting<H> {
    /// `None` once the run ended (an abandoned thread finishing late reports nothing).
    events: Option<H>,
    error: Option<io::Error>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding these locks is a partest bug; the state is still consistent.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<H: EventHandler> Shared<H> {
    /// Sends `event` on; false once the sink has failed (the run then stops).
    fn emit(&self, event: Event) -> bool {
        // A failure is in the history's crash file the moment it is known: a crash, an
        // `exit` or a kill later in the run cannot make the next `--lf` forget it.
        #[cfg(unix)]
        if let Event::Finished(done) = &event {
            if is_failure(done) {
                super::crash::record_failure(done.test.name);
            }
        }
        let mut reporting = lock(&self.sink);
        if reporting.error.is_some() {
            return false;
        }
        let Some(events) = reporting.events.as_mut() else {
            return false;
        };
        match events.on_event(event) {
            Ok(()) => true,
            Err(e) => {
                reporting.error = Some(e);
                false
            }
        }
    }

    /// `lease` as (pool name, slot) pairs. The Redis pool's slot is the database index
    /// itself (the run's first index plus the slot), so that a lease means one database
    /// in every binary and every worker process of the run.
    fn leases(&self, lease: &Lease) -> Vec<(&'static str, u32)> {
        let pool = |p: u32| self.config.pool_names[p as usize];
        let redis_first = crate::fixtures::redis_dbs().first;
        // Under nextest the slot comes from the pool's test group or a cross-process lock
        // (already a database index for Redis).
        let number = |p: u32, s: u32| {
            let outer = self
                .config
                .outer_slots
                .iter()
                .find(|(name, _)| name == pool(p));
            match outer {
                Some((_, slot)) => *slot,
                None if pool(p) == crate::scheduler::REDIS_POOL => redis_first + s,
                None => s,
            }
        };
        lease
            .slots
            .iter()
            .map(|&(p, s)| (pool(p), number(p, s)))
            .collect()
    }

    /// The worker loop of position `slot` for thread `generation`.
    fn work(&self, slot: usize, generation: u64, executor: &mut dyn Executor) {
        let mut finished: Option<(Completed, bool, bool)> = None;
        loop {
            // Claiming the finished test and taking the next is one lock round trip; the
            // result is reported only if the watchdog did not time the test out meanwhile.
            let failed = finished.as_ref().map(|(done, ..)| is_failure(done));
            let record_pass = finished.as_ref().is_some_and(|f| f.2);
            let plan = &self.plan;
            let Some(next) = self
                .state
                .claim_next(slot, generation, (failed, record_pass), |i| plan[i].test)
            else {
                return;
            };
            if let Some((done, started, _)) = finished.take() {
                if !(started && self.emit(Event::Finished(done))) {
                    self.state.stop();
                }
            }
            match next {
                Next::Run(index, lease) => {
                    finished = Some(self.run_claimed(slot, index, &lease, executor));
                }
                Next::Skip(index) => self.report_skipped(index),
                Next::Wait | Next::Done => break,
            }
        }
        // Tear down before retiring: the run (and its per_run teardown) ends with the last
        // retirement, and this worker's resources go first.
        if self.state.owns(slot, generation) {
            let mut teardowns = super::panic_hook::tear_down(resources::take_worker());
            teardowns.extend(executor.shut_down());
            for (what, report) in teardowns {
                self.emit(Event::TeardownFailed { what, report });
            }
            self.state.retire(slot, generation);
        }
    }

    /// Runs the claimed test `index` on position `slot` with its `lease`; the result,
    /// whether its start was reported, and whether the board records its attempt.
    fn run_claimed(
        &self,
        slot: usize,
        index: usize,
        lease: &Lease,
        executor: &mut dyn Executor,
    ) -> (Completed, bool, bool) {
        let test = self.plan[index].test;
        // Start events cost a reporter lock per test; sent only when a report uses them.
        let started = !self.config.report_starts || self.emit(Event::Started(test));
        let leases = self.leases(lease);
        let leased = !leases.is_empty();
        if leased {
            fixtures::set_leases(leases.clone());
        }
        #[cfg(unix)]
        super::crash::enter(slot, test.name);
        let (mut done, on_board) = self.run_with_reruns((slot, index), &leases, executor);
        #[cfg(unix)]
        super::crash::leave(slot);
        done.worker = Some(slot);
        if leased {
            fixtures::set_leases(Vec::new());
        }
        (done, started, on_board)
    }

    /// Reports test `index` ignored without running it.
    fn report_skipped(&self, index: usize) {
        let planned = self.plan[index];
        let reason = match planned.disposition {
            Disposition::Ignore(reason) => reason,
            Disposition::Run => None,
        };
        let done = Completed::new(
            planned.test,
            Outcome::Ignored { reason },
            Duration::ZERO,
            Vec::new(),
        );
        if !(self.emit(Event::Started(planned.test)) && self.emit(Event::Finished(done))) {
            self.state.stop();
        }
    }

    /// The executor of a new thread on position `slot`: a worker process (started now, so
    /// workers start in parallel) or the thread itself.
    fn executor(&self, slot: usize) -> Box<dyn Executor> {
        #[cfg(unix)]
        if !self.config.processes.is_empty() {
            return Box::new(WorkerProcesses::new(slot, &self.config.processes));
        }
        let _ = slot;
        Box::new(ThisThread::new(self.config.capture))
    }

    /// Starts the thread for position `slot`; false (and a warning) if it cannot start.
    fn spawn_worker(self: &Arc<Self>, slot: usize, generation: u64) -> bool {
        let shared = Arc::clone(self);
        let spawned = thread::Builder::new()
            .name(format!("gw{slot}"))
            .spawn(move || {
                fixtures::enter_worker(slot);
                let mut executor = shared.executor(slot);
                shared.work(slot, generation, executor.as_mut());
            });
        match spawned {
            Ok(_) => true,
            Err(e) => {
                self.emit(Event::Warning(format!(
                    "partest could not start worker gw{slot} ({e}); going on with fewer workers"
                )));
                false
            }
        }
    }
}

fn is_failure(done: &Completed) -> bool {
    matches!(done.outcome, Outcome::Failed { .. })
}

/// What the pool observed about itself.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct PoolStats {
    /// Total time workers waited for a constraint while tests were pending.
    pub(crate) waited: Duration,
}

/// Runs `plan` under `scheduler`, handing every event to `events` (from whichever thread
/// produced it), then reports the tests that never started as not run. Hands `events`
/// back, with the run's statistics or the first error the handler returned.
pub(crate) fn run<H: EventHandler>(
    plan: &[Planned],
    scheduler: Scheduler,
    config: &RunConfig,
    events: H,
) -> (H, io::Result<PoolStats>) {
    let threads = if config.inline {
        1
    } else {
        config.threads.max(1)
    };
    let limits = TimeLimits {
        default_timeout: config.default_timeout,
        slow_after: config.slow_after,
        // Worker processes are killed at their test's timeout by their pool thread.
        #[cfg(unix)]
        watchdog_times_out: config.processes.is_empty(),
        #[cfg(not(unix))]
        watchdog_times_out: true,
    };
    let shared = Arc::new(Shared {
        plan: plan.to_vec(),
        state: WorkerBoard::new(scheduler, threads, limits),
        sink: Mutex::new(Reporting {
            events: Some(events),
            error: None,
        }),
        config: config.clone(),
        crashes: AtomicUsize::new(0),
    });
    drive_workers(&shared, threads);
    let (not_run, waited, slices) = shared.state.finish();
    crate::timeline::record_all(slices);
    for index in not_run {
        if !shared.emit(Event::NotRun(plan[index].test)) {
            break;
        }
    }
    let mut reporting = lock(&shared.sink);
    let sink = reporting
        .events
        .take()
        .expect("the sink is taken once, here");
    let stats = reporting.error.take().map_or(Ok(PoolStats { waited }), Err);
    (sink, stats)
}

/// Starts `threads` workers and watches them until the run ends (on this thread alone,
/// inline or when no worker thread could start).
fn drive_workers<H: EventHandler>(shared: &Arc<Shared<H>>, threads: usize) {
    let config = &shared.config;
    let started = if config.inline {
        0
    } else {
        (0..threads)
            .take_while(|&slot| shared.spawn_worker(slot, 0))
            .count()
    };
    if started == 0 {
        if !config.inline {
            shared.emit(Event::Warning(
                "partest could not start worker threads; running the tests one by one on the main thread".to_owned(),
            ));
        }
        shared.state.set_live(1);
        let mut executor = shared.executor(0);
        shared.work(0, 0, executor.as_mut());
    } else {
        // Workers that started may already have retired: subtract only those that did not.
        shared.state.lose_workers(threads - started);
        #[cfg(unix)]
        let _interrupt = super::interrupt::while_running({
            let shared = Arc::clone(shared);
            Box::new(move || shared.state.interrupt(super::interrupt::GRACE))
        });
        watchdog::watch(
            &shared.state,
            config.run_timeout,
            |event| shared.emit(event),
            |slot, generation| shared.spawn_worker(slot, generation),
        );
        // Past --run-timeout or an interruption, worker processes of abandoned positions
        // are still running.
        #[cfg(unix)]
        if !config.processes.is_empty() {
            super::process::groups::kill_all();
        }
    }
}
