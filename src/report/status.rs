//! The live status line: on a terminal, once a parallel run has lasted 0.3 seconds,
//! stderr's last line shows progress (done/total, failures so far, how many run, the
//! slowest test in flight), redrawn ten times a second and erased before every result
//! line and at the end. Not shown when stderr is not a terminal, nor with json/junit/terse
//! output, `--nocapture` or one thread (whose result lines start with the running test's
//! name). `PARTEST_LIVE_STATUS=never` turns it off; `always` shows it from the start even
//! without a terminal; `auto` (the default) as described.

use crate::event::Event;
use crate::outcome::Outcome;
use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

const REFRESH: Duration = Duration::from_millis(100);
const SHOW_AFTER: Duration = Duration::from_millis(300);
const ERASE: &[u8] = b"\r\x1b[2K";

#[derive(Default)]
struct Progress {
    total: usize,
    done: usize,
    failed: usize,
    running: Vec<(&'static str, Instant)>,
    /// Whether a status line is on screen now.
    shown: bool,
    stopped: bool,
}

/// A running status line.
pub(crate) struct LiveStatus {
    progress: Arc<(Mutex<Progress>, Condvar)>,
    painter: Option<JoinHandle<()>>,
}

/// When to start drawing for this run, if at all.
pub(crate) fn wanted(eligible: bool) -> Option<Duration> {
    match std::env::var("PARTEST_LIVE_STATUS").as_deref() {
        Ok("never") => None,
        Ok("always") => eligible.then_some(Duration::ZERO),
        _ => (eligible && std::io::stderr().is_terminal()).then_some(SHOW_AFTER),
    }
}

fn line(p: &Progress, now: Instant) -> String {
    let mut text = format!(
        "partest: {}/{} done, {} failed, {} running",
        p.done,
        p.total,
        p.failed,
        p.running.len()
    );
    if let Some((name, since)) = p.running.iter().min_by_key(|(_, since)| *since) {
        let mut name = (*name).to_owned();
        if name.len() > 60 {
            name = format!("…{}", &name[name.len() - 59..]);
        }
        let _ = write!(
            text,
            "; slowest: {name} ({})",
            crate::duration::show(now - *since)
        );
    }
    text
}

impl LiveStatus {
    /// Starts painting, after `delay`, for a run of `total` tests.
    pub(crate) fn start(total: usize, delay: Duration) -> Self {
        let progress = Arc::new((
            Mutex::new(Progress {
                total,
                ..Progress::default()
            }),
            Condvar::new(),
        ));
        let shared = Arc::clone(&progress);
        let began = Instant::now();
        let painter = std::thread::Builder::new()
            .name("partest-status".into())
            .spawn(move || {
                let (lock, wake) = &*shared;
                let mut p = lock.lock().unwrap_or_else(PoisonError::into_inner);
                while !p.stopped {
                    p = wake
                        .wait_timeout(p, REFRESH)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0;
                    if !p.stopped && began.elapsed() >= delay {
                        let text = line(&p, Instant::now());
                        let mut err = std::io::stderr().lock();
                        let _ = err
                            .write_all(ERASE)
                            .and_then(|()| err.write_all(text.as_bytes()))
                            .and_then(|()| err.flush());
                        p.shown = true;
                    }
                }
            })
            .ok();
        LiveStatus { progress, painter }
    }

    /// Updates the counts; erases the line before a result line is printed.
    pub(crate) fn observe(&self, event: &Event) {
        let mut p = self
            .progress
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match event {
            Event::Started(test) => p.running.push((test.name, Instant::now())),
            Event::Finished(done) => {
                p.running.retain(|(name, _)| *name != done.test.name);
                p.done += 1;
                p.failed += usize::from(matches!(done.outcome, Outcome::Failed { .. }));
            }
            Event::NotRun(_)
            | Event::TeardownFailed { .. }
            | Event::Slow { .. }
            | Event::Warning(_) => {}
        }
        if p.shown {
            let _ = std::io::stderr().lock().write_all(ERASE);
            p.shown = false;
        }
    }

    /// Stops painting and erases the line.
    pub(crate) fn finish(mut self) {
        let mut p = self
            .progress
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        p.stopped = true;
        if p.shown {
            let _ = std::io::stderr().lock().write_all(ERASE);
        }
        drop(p);
        self.progress.1.notify_all();
        if let Some(painter) = self.painter.take() {
            let _ = painter.join();
        }
    }
}
