//! The watchdog (the thread that called [`pool::run`](super::pool::run)): it sleeps until
//! the next deadline of a running test — its timeout, its next slow warning — or of the
//! whole run, and acts: a test past its timeout is reported failed at once, its
//! constraints are released and its worker position gets a fresh thread (the stuck one is
//! abandoned); a slow test is reported at each multiple of `--slow-timeout`; past
//! `--run-timeout` every running test is reported timed out, the in-flight list goes to
//! stderr and the run ends. It never polls: with no deadline ahead it sleeps until a worker
//! retires or a test with an earlier deadline starts.

use super::pool::{lock, Shared};
use crate::duration::show;
use crate::event::{Completed, Event};
use crate::outcome::Outcome;
use crate::registry::{Test, TestFn};
use crate::scheduler::Lease;
use std::fmt::Write as _;
use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};

/// Extra time an async test gets past its timeout before the watchdog steps in: its own
/// runtime cancels it at the timeout, unless sync code blocks that runtime.
const ASYNC_GRACE: Duration = Duration::from_secs(1);

/// A test running on a worker position.
pub(crate) struct Running {
    pub(crate) index: usize,
    pub(crate) test: Test,
    pub(crate) lease: Lease,
    started: Instant,
    limit: Option<Duration>,
    deadline: Option<Instant>,
    slow_after: Option<Duration>,
    next_warning: Option<Instant>,
}

impl Running {
    /// A test starting now, with its deadlines from its own timeout or the run's defaults.
    pub(crate) fn new(
        index: usize,
        test: Test,
        lease: Lease,
        config: &super::pool::RunConfig,
    ) -> Self {
        let started = Instant::now();
        let limit = test.def.timeout.or(config.default_timeout);
        let grace = if matches!(test.def.run, TestFn::Async(_)) {
            ASYNC_GRACE
        } else {
            Duration::ZERO
        };
        Running {
            index,
            test,
            lease,
            started,
            limit,
            deadline: limit.map(|l| started + l + grace),
            slow_after: config.slow_after,
            next_warning: config.slow_after.map(|s| started + s),
        }
    }

    fn next_event(&self) -> Option<Instant> {
        match (self.deadline, self.next_warning) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Whether the watchdog must wake earlier than `planned` for this test.
    pub(crate) fn wakes_watchdog_before(&self, planned: Option<Instant>) -> bool {
        match (self.next_event(), planned) {
            (Some(event), Some(planned)) => event < planned,
            (Some(_), None) => true,
            (None, _) => false,
        }
    }
}

/// What the watchdog decided under the lock, carried out after it.
enum Action {
    TimedOut {
        slot: usize,
        generation: u64,
        running: Running,
    },
    Slow {
        slot: usize,
        test: Test,
        elapsed: Duration,
    },
}

fn timed_out(slot: usize, running: &Running, message: String) -> Event {
    Event::Finished(Completed {
        test: running.test,
        outcome: Outcome::Failed {
            message: Some(message),
        },
        duration: running.started.elapsed(),
        output: Vec::new(),
        worker: Some(slot),
        earlier: Vec::new(),
    })
}

/// Runs until every worker retired or the run timed out.
pub(crate) fn watch(shared: &Arc<Shared>) {
    let run_deadline = shared.config.run_timeout.map(|t| Instant::now() + t);
    loop {
        let mut state = lock(&shared.state);
        if state.live == 0 {
            return;
        }
        let now = Instant::now();
        if run_deadline.is_some_and(|d| d <= now) {
            end_run(shared, state, now);
            return;
        }
        let mut actions = Vec::new();
        for (slot, position) in state.slots.iter_mut().enumerate() {
            let Some(running) = &mut position.running else {
                continue;
            };
            if running.deadline.is_some_and(|d| d <= now) {
                position.generation += 1;
                let running = position.running.take().expect("checked above");
                actions.push(Action::TimedOut {
                    slot,
                    generation: position.generation,
                    running,
                });
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
        if actions.is_empty() {
            let next = state
                .slots
                .iter()
                .filter_map(|s| s.running.as_ref()?.next_event())
                .chain(run_deadline)
                .min();
            state.watchdog_wake = next;
            state = match next {
                Some(at) => {
                    shared
                        .watchdog
                        .wait_timeout(state, at.saturating_duration_since(now))
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
                None => shared
                    .watchdog
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner),
            };
            drop(state);
            continue;
        }
        for action in &actions {
            if let Action::TimedOut { running, .. } = action {
                state
                    .scheduler
                    .finish(running.index, running.lease.clone(), true);
            }
        }
        shared.wake_waiting(&state);
        drop(state);
        for action in actions {
            match action {
                Action::Slow {
                    slot,
                    test,
                    elapsed,
                } => {
                    shared.emit(Event::Slow {
                        test,
                        worker: slot,
                        elapsed,
                    });
                }
                Action::TimedOut {
                    slot,
                    generation,
                    running,
                } => {
                    let limit = running.limit.map_or_else(String::new, show);
                    shared.emit(timed_out(
                        slot,
                        &running,
                        format!("test timed out after {limit}"),
                    ));
                    if !shared.spawn_worker(slot, generation) {
                        lock(&shared.state).live -= 1;
                    }
                }
            }
        }
    }
}

/// `--run-timeout` passed: report the running tests as timed out, list them, stop.
fn end_run(
    shared: &Arc<Shared>,
    mut state: std::sync::MutexGuard<'_, super::pool::State>,
    now: Instant,
) {
    let limit = shared.config.run_timeout.map_or_else(String::new, show);
    state.scheduler.stop();
    let mut stuck = Vec::new();
    for (slot, position) in state.slots.iter_mut().enumerate() {
        position.generation += 1;
        if let Some(running) = position.running.take() {
            stuck.push((slot, running));
        }
    }
    state.live = 0;
    drop(state);
    let mut text =
        format!("partest: the run timed out after {limit} (--run-timeout); still running:\n");
    for (slot, running) in &stuck {
        let _ = writeln!(
            text,
            "    {} on gw{slot} for {}",
            running.test.name,
            show(now - running.started)
        );
    }
    eprint!("{text}");
    for (slot, running) in &stuck {
        shared.emit(timed_out(
            *slot,
            running,
            format!("still running when the run timed out after {limit}"),
        ));
    }
}
