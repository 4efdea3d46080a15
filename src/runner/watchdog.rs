//! The watchdog (the thread that called [`pool::run`](super::pool::run)): it sleeps until
//! the next deadline of a running test — its timeout, its next slow warning — or of the
//! whole run ([`WorkerBoard::next_due`]), and reports what came due: a test past its timeout
//! is reported failed at once (the worker board has released its constraints) and its
//! worker position gets a fresh worker from `start_worker`; a slow test is reported at
//! each multiple of `--slow-timeout`; past `--run-timeout`, or the grace period after an
//! interruption (SIGINT, SIGTERM), every running test is reported failed, the in-flight
//! list goes to stderr and the run ends.

use super::board::{Action, Due, Running, WorkerBoard};
use crate::duration::show;
use crate::event::{Completed, Event};
use crate::outcome::Outcome;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

fn timed_out(slot: usize, running: &Running, message: String) -> Event {
    let outcome = Outcome::Failed {
        message: Some(message),
    };
    if crate::timeline::on() {
        let slice =
            crate::timeline::attempt(slot, running.test, running.started, 1, &[], &outcome, &[]);
        crate::timeline::record([slice]);
    }
    Event::Finished(Completed {
        worker: Some(slot),
        ..Completed::new(running.test, outcome, running.started.elapsed(), Vec::new())
    })
}

/// Runs until every worker retired or the run timed out. `emit` reports an event;
/// `start_worker(slot, generation)` gives a position a new worker (false if it could not).
pub(crate) fn watch(
    state: &WorkerBoard,
    run_timeout: Option<Duration>,
    emit: impl Fn(Event) -> bool,
    start_worker: impl Fn(usize, u64) -> bool,
) {
    let run_deadline = run_timeout.map(|t| Instant::now() + t);
    loop {
        match state.next_due(run_deadline) {
            Due::Ended => return,
            Due::RunTimedOut(stuck) => {
                let limit = show(run_timeout.unwrap_or_default());
                let why = format!("the run timed out after {limit} (--run-timeout)");
                let message = format!("still running when the run timed out after {limit}");
                report_stuck(&why, &message, &stuck, &emit);
                return;
            }
            Due::Interrupted(stuck) => {
                #[cfg(unix)]
                let signal =
                    super::interrupt::received().map_or("a signal", super::interrupt::name);
                #[cfg(not(unix))]
                let signal = "a signal";
                let why = format!("the run was interrupted ({signal})");
                let message = format!("interrupted: still running when {signal} came");
                report_stuck(&why, &message, &stuck, &emit);
                return;
            }
            Due::Actions(actions) => {
                for action in actions {
                    match action {
                        Action::Slow {
                            slot,
                            test,
                            elapsed,
                        } => {
                            emit(Event::Slow {
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
                            emit(timed_out(
                                slot,
                                &running,
                                format!("test timed out after {limit}"),
                            ));
                            if !start_worker(slot, generation) {
                                state.lose_workers(1);
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The run ended early (`why`): list the running tests on stderr and report each one
/// failed with `message`.
fn report_stuck(
    why: &str,
    message: &str,
    stuck: &[(usize, Running)],
    emit: &impl Fn(Event) -> bool,
) {
    let now = Instant::now();
    let mut text = format!("partest: {why}; still running:\n");
    for (slot, running) in stuck {
        let _ = writeln!(
            text,
            "    {} on gw{slot} for {}",
            running.test.name,
            show(now - running.started)
        );
    }
    emit(Event::Warning(text.trim_end().to_owned()));
    for (slot, running) in stuck {
        emit(timed_out(*slot, running, message.to_owned()));
    }
}
