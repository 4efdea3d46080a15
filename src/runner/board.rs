//! [`WorkerBoard`]: what the workers and the watchdog share, and the one protocol that keeps
//! it consistent: a worker claims its next test (and finishes its last one) in one lock
//! round trip; the watchdog times out a test past its deadline. Either way a test is
//! finished exactly once: a timeout bumps the position's generation, so the abandoned
//! thread's late finish is refused, and a new thread (a fresh generation) takes the
//! position. Neither side touches the fields directly.

use super::deadline::{deadlines, earliest};
use crate::plan::Test;
use crate::scheduler::{Hold, Lease, Next, Scheduler};
use crate::timeline::Slice;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// The time limits tests run under.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct TimeLimits {
    /// The limit of tests without their own `timeout`.
    pub(crate) default_timeout: Option<Duration>,
    /// Warn about a test running longer than this, and at each multiple.
    pub(crate) slow_after: Option<Duration>,
    /// Whether the watchdog times tests out (not when a worker process's thread does).
    pub(crate) watchdog_times_out: bool,
}

/// A test running on a worker position.
pub(crate) struct Running {
    pub(crate) index: usize,
    pub(crate) test: Test,
    pub(crate) lease: Lease,
    pub(crate) started: Instant,
    /// Its time limit, if any.
    pub(crate) limit: Option<Duration>,
    deadline: Option<Instant>,
    slow_after: Option<Duration>,
    next_warning: Option<Instant>,
}

impl Running {
    fn new(index: usize, test: Test, lease: Lease, limits: TimeLimits) -> Self {
        let started = Instant::now();
        let limit = test.timeout().or(limits.default_timeout);
        let is_async = test.is_async();
        let (deadline, next_warning) = deadlines(started, limit, is_async, limits.slow_after);
        let deadline = deadline.filter(|_| limits.watchdog_times_out);
        Running {
            index,
            test,
            lease,
            started,
            limit,
            deadline,
            slow_after: limits.slow_after,
            next_warning,
        }
    }

    fn next_event(&self) -> Option<Instant> {
        earliest(self.deadline, self.next_warning)
    }
}

/// What the watchdog must do now.
pub(crate) enum Due {
    /// Every worker retired.
    Ended,
    /// The run's own deadline passed: these were still running (now abandoned).
    RunTimedOut(Vec<(usize, Running)>),
    /// The run was interrupted and its grace period passed: these were still running
    /// (now abandoned).
    Interrupted(Vec<(usize, Running)>),
    /// Tests that passed their deadline (abandoned, constraints released) or their next
    /// slow warning.
    Actions(Vec<Action>),
}

/// One thing the watchdog reports.
pub(crate) enum Action {
    /// `running` on position `slot` timed out; a thread of `generation` takes the position.
    TimedOut {
        slot: usize,
        generation: u64,
        running: Running,
    },
    /// `test` on `slot` has been running for `elapsed`.
    Slow {
        slot: usize,
        test: Test,
        elapsed: Duration,
    },
}

/// One worker position (`gwN`).
struct Slot {
    /// Bumped when the watchdog abandons the position's thread; the old thread then exits.
    generation: u64,
    running: Option<Running>,
}

struct State {
    scheduler: Scheduler,
    /// Workers asleep waiting for a test to finish.
    waiting: usize,
    /// Total time workers slept waiting for a constraint while tests were pending.
    waited: Duration,
    slots: Vec<Slot>,
    /// Worker threads still working for the run (abandoned ones not counted).
    live: usize,
    /// When the watchdog plans to wake; starts of tests with earlier deadlines wake it.
    watchdog_wake: Option<Instant>,
    /// Set by [`WorkerBoard::interrupt`]: when the tests still running are abandoned.
    interrupted_until: Option<Instant>,
    /// Attempts recorded (`--trace`, `--html`), handed in with the workers' claims.
    recorded: Vec<Slice>,
}

/// The shared state of a run, with its protocol as methods.
pub(crate) struct WorkerBoard {
    state: Mutex<State>,
    /// Wakes workers waiting for a constraint.
    wake: Condvar,
    /// Wakes the watchdog.
    watchdog: Condvar,
    limits: TimeLimits,
}

impl WorkerBoard {
    /// A run of `positions` workers under `scheduler`, all counted live.
    pub(crate) fn new(scheduler: Scheduler, positions: usize, limits: TimeLimits) -> Self {
        // Room for every test's attempt when the run records (none otherwise).
        let recorded = match crate::timeline::on() {
            true => Vec::with_capacity(scheduler.test_count()),
            false => Vec::new(),
        };
        let slots = (0..positions)
            .map(|_| Slot {
                generation: 0,
                running: None,
            })
            .collect();
        WorkerBoard {
            state: Mutex::new(State {
                scheduler,
                waiting: 0,
                waited: Duration::ZERO,
                slots,
                live: positions,
                watchdog_wake: None,
                interrupted_until: None,
                recorded,
            }),
            wake: Condvar::new(),
            watchdog: Condvar::new(),
            limits,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock is a partest bug; the state is still consistent.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn wake_waiting(&self, state: &State) {
        if state.waiting > 0 {
            self.wake.notify_all();
        }
    }

    /// Finishes the test position `slot` ran (when `failed` is given; `record_pass`: the
    /// run records and the test passed at its first attempt holding no lease, so the
    /// board records it from its start) and claims the next thing to do; `None` when the
    /// watchdog abandoned this thread (its test timed out and was reported, and
    /// recorded). `test_of` names the plan's tests. One lock round trip per test.
    pub(crate) fn claim_next(
        &self,
        slot: usize,
        generation: u64,
        (failed, record_pass): (Option<bool>, bool),
        test_of: impl Fn(usize) -> Test,
    ) -> Option<Next> {
        let mut state = self.lock();
        if state.slots[slot].generation != generation {
            return None;
        }
        if let (Some(failed), Some(running)) = (failed, state.slots[slot].running.take()) {
            if record_pass {
                let slice = crate::timeline::passed(slot, running.test, running.started);
                state.recorded.push(slice);
            }
            state.scheduler.finish(running.index, running.lease, failed);
            self.wake_waiting(&state);
        }
        loop {
            match state.scheduler.next_for(slot) {
                Next::Wait => {
                    state.waiting += 1;
                    let asleep = Instant::now();
                    let why = crate::timeline::on()
                        .then(|| state.scheduler.why_waiting(slot))
                        .flatten();
                    state = self
                        .wake
                        .wait(state)
                        .unwrap_or_else(PoisonError::into_inner);
                    state.waited += asleep.elapsed();
                    state.waiting -= 1;
                    if let Some((index, hold)) = why {
                        let holder = match hold {
                            Hold::SerialRunning(running) => Some(test_of(running)),
                            _ => None,
                        };
                        crate::timeline::wait(slot, asleep, test_of(index), hold, holder);
                    }
                    if state.slots[slot].generation != generation {
                        return None;
                    }
                }
                Next::Run(index, lease) => {
                    let running = Running::new(index, test_of(index), lease.clone(), self.limits);
                    let event = running.next_event();
                    if event.is_some_and(|e| state.watchdog_wake.is_none_or(|w| e < w)) {
                        self.watchdog.notify_one();
                    }
                    state.slots[slot].running = Some(running);
                    return Some(Next::Run(index, lease));
                }
                next => return Some(next),
            }
        }
    }

    /// Stops scheduling: no test starts any more; waiting workers learn it.
    pub(crate) fn stop(&self) {
        let mut state = self.lock();
        state.scheduler.stop();
        self.wake_waiting(&state);
    }

    /// The run was interrupted: no test starts any more, and the tests still running get
    /// `grace` to finish before the watchdog abandons them.
    pub(crate) fn interrupt(&self, grace: Duration) {
        let mut state = self.lock();
        state.scheduler.stop();
        state.interrupted_until = Some(Instant::now() + grace);
        self.wake_waiting(&state);
        self.watchdog.notify_one();
    }

    /// Whether the thread of `generation` still owns position `slot`.
    pub(crate) fn owns(&self, slot: usize, generation: u64) -> bool {
        self.lock().slots[slot].generation == generation
    }

    /// The thread of `generation` on `slot` is done; false when it had been abandoned.
    pub(crate) fn retire(&self, slot: usize, generation: u64) -> bool {
        let mut state = self.lock();
        if state.slots[slot].generation != generation {
            return false;
        }
        state.live -= 1;
        self.watchdog.notify_one();
        true
    }

    /// `count` worker threads will not work for the run (they did not start).
    pub(crate) fn lose_workers(&self, count: usize) {
        let mut state = self.lock();
        state.live -= count;
        self.watchdog.notify_one();
    }

    /// Sets how many worker threads work for the run.
    pub(crate) fn set_live(&self, live: usize) {
        self.lock().live = live;
    }

    /// Waits until something is due for the watchdog (never polls: it sleeps until the
    /// next deadline, a retirement or a start with an earlier deadline), then takes it.
    pub(crate) fn next_due(&self, run_deadline: Option<Instant>) -> Due {
        let mut state = self.lock();
        loop {
            if state.live == 0 {
                return Due::Ended;
            }
            let now = Instant::now();
            if state.interrupted_until.is_some_and(|d| d <= now) {
                return Due::Interrupted(self.abandon_all(state));
            }
            if run_deadline.is_some_and(|d| d <= now) {
                return Due::RunTimedOut(self.abandon_all(state));
            }
            let actions = take_due(&mut state, now);
            if !actions.is_empty() {
                for action in &actions {
                    if let Action::TimedOut { running, .. } = action {
                        state
                            .scheduler
                            .finish(running.index, running.lease.clone(), true);
                    }
                }
                self.wake_waiting(&state);
                return Due::Actions(actions);
            }
            let next = state
                .slots
                .iter()
                .filter_map(|s| s.running.as_ref()?.next_event())
                .chain(run_deadline)
                .chain(state.interrupted_until)
                .min();
            state.watchdog_wake = next;
            state = match next {
                Some(at) => {
                    self.watchdog
                        .wait_timeout(state, at.saturating_duration_since(now))
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
                None => self
                    .watchdog
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner),
            };
        }
    }

    /// The run timed out: stop, abandon every position, return what was running.
    fn abandon_all(&self, mut state: MutexGuard<'_, State>) -> Vec<(usize, Running)> {
        state.scheduler.stop();
        let mut stuck = Vec::new();
        for (slot, position) in state.slots.iter_mut().enumerate() {
            position.generation += 1;
            if let Some(running) = position.running.take() {
                stuck.push((slot, running));
            }
        }
        state.live = 0;
        self.wake_waiting(&state);
        stuck
    }

    /// Tests that never started (after a stop), the time workers waited on constraints,
    /// and the attempts recorded.
    pub(crate) fn finish(&self) -> (Vec<usize>, Duration, Vec<Slice>) {
        let mut state = self.lock();
        let recorded = std::mem::take(&mut state.recorded);
        (state.scheduler.not_run(), state.waited, recorded)
    }
}

/// Abandons the positions whose test passed its deadline and advances slow warnings.
fn take_due(state: &mut State, now: Instant) -> Vec<Action> {
    let mut actions = Vec::new();
    for (slot, position) in state.slots.iter_mut().enumerate() {
        let Some(running) = &mut position.running else {
            continue;
        };
        if running.deadline.is_some_and(|d| d <= now) {
            position.generation += 1;
            if let Some(running) = position.running.take() {
                actions.push(Action::TimedOut {
                    slot,
                    generation: position.generation,
                    running,
                });
            }
        } else if let (Some(at), Some(every)) = (running.next_warning, running.slow_after) {
            if at <= now {
                running.next_warning = Some(at + every);
                actions.push(Action::Slow {
                    slot,
                    test: running.test,
                    elapsed: now - running.started,
                });
            }
        }
    }
    actions
}

#[cfg(test)]
mod tests;
