//! The coordinator and its worker threads (`gw0`…). The coordinator owns the queue and
//! decides who runs what; workers run one test at a time and send back a [`Completed`].
//! It blocks on a channel while tests run: no polling, no busy-waiting.

use super::execute::{self, Capture, CaptureMode};
use crate::event::{Completed, Event};
use crate::filter::{Disposition, Planned};
use crate::fixtures;
use crate::outcome::Outcome;
use crate::registry::Test;
use std::io;
use std::sync::mpsc;
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

fn ignored(test: Test, reason: Option<&'static str>) -> Completed {
    Completed {
        test,
        outcome: Outcome::Ignored { reason },
        duration: Duration::ZERO,
        output: Vec::new(),
    }
}

/// Hands out the plan in order, reporting ignored tests as it passes them.
struct Queue<'a> {
    plan: std::slice::Iter<'a, Planned>,
    stopped: bool,
}

impl Queue<'_> {
    fn next_runnable(
        &mut self,
        events: &mut dyn FnMut(Event) -> io::Result<()>,
    ) -> io::Result<Option<Test>> {
        if self.stopped {
            return Ok(None);
        }
        for planned in self.plan.by_ref() {
            events(Event::Started(planned.test))?;
            match planned.disposition {
                Disposition::Run => return Ok(Some(planned.test)),
                Disposition::Ignore(reason) => {
                    events(Event::Finished(ignored(planned.test, reason)))?
                }
            }
        }
        Ok(None)
    }

    fn record(&mut self, done: &Completed, config: &RunConfig) {
        if config.fail_fast && matches!(done.outcome, Outcome::Failed { .. }) {
            self.stopped = true;
        }
    }
}

/// Runs `plan`, sending every event to `events` from the calling thread.
pub(crate) fn run(
    plan: &[Planned],
    config: &RunConfig,
    events: &mut dyn FnMut(Event) -> io::Result<()>,
) -> io::Result<()> {
    let mut queue = Queue {
        plan: plan.iter(),
        stopped: false,
    };
    if config.inline {
        let mut capture = Capture::new(config.capture);
        while let Some(test) = queue.next_runnable(events)? {
            let done = execute::run(test, &mut capture);
            queue.record(&done, config);
            events(Event::Finished(done))?;
        }
        return Ok(());
    }
    let runnable = plan
        .iter()
        .filter(|p| p.disposition == Disposition::Run)
        .count();
    let threads = config.threads.clamp(1, runnable.max(1));
    thread::scope(|scope| {
        let (done_tx, done_rx) = mpsc::channel::<(usize, Completed)>();
        let mut workers = Vec::with_capacity(threads);
        for index in 0..threads {
            let (job_tx, job_rx) = mpsc::channel::<Test>();
            let done_tx = done_tx.clone();
            let capture_mode = config.capture;
            thread::Builder::new()
                .name(format!("gw{index}"))
                .spawn_scoped(scope, move || {
                    fixtures::enter_worker(index);
                    let mut capture = Capture::new(capture_mode);
                    for test in job_rx {
                        if done_tx
                            .send((index, execute::run(test, &mut capture)))
                            .is_err()
                        {
                            break;
                        }
                    }
                })?;
            workers.push(job_tx);
        }
        drop(done_tx);
        let mut busy = 0;
        for worker in &workers {
            let Some(test) = queue.next_runnable(events)? else {
                break;
            };
            send(worker, test)?;
            busy += 1;
        }
        while busy > 0 {
            let Ok((index, done)) = done_rx.recv() else {
                return Err(io::Error::other("a partest worker thread died"));
            };
            busy -= 1;
            queue.record(&done, config);
            events(Event::Finished(done))?;
            if let Some(test) = queue.next_runnable(events)? {
                send(&workers[index], test)?;
                busy += 1;
            }
        }
        Ok(())
    })
}

fn send(worker: &mpsc::Sender<Test>, test: Test) -> io::Result<()> {
    worker
        .send(test)
        .map_err(|_| io::Error::other("a partest worker thread died"))
}
