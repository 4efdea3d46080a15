//! What happened when, for `--trace` and `--html`: each test attempt on its worker, each
//! time a free worker waited on a constraint (and which), set-ups, teardowns, server and
//! worker-process start-ups, crashes. Nothing is recorded unless a run asks for one of
//! the files (`start`); the check on the hot path is one relaxed atomic load.
//! After the run, `take` hands the recording to the writers: `trace` (Chrome
//! trace-event JSON) and `html` (a self-contained report), both reading [`bound`]'s
//! lower bound of the makespan, the one public part.

pub mod bound;
pub(crate) mod html;
mod svg;
pub(crate) mod trace;

use crate::outcome::Outcome;
use crate::plan::Test;
use crate::scheduler::Hold;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

static ON: AtomicBool = AtomicBool::new(false);
static RECORDING: Mutex<Option<Recording>> = Mutex::new(None);

/// Failure output kept per attempt for the report (the rest is counted, not kept).
const KEEP_OUTPUT: usize = 64 * 1024;

/// One attempt of a test on a worker.
#[derive(Clone, Debug)]
pub(crate) struct Slice {
    pub(crate) worker: usize,
    pub(crate) test: Test,
    pub(crate) start: Instant,
    pub(crate) end: Instant,
    /// `passed`, `failed` or `timed out`.
    pub(crate) outcome: &'static str,
    /// 1 for the first attempt.
    pub(crate) attempt: u32,
    /// Leased slots: (pool, slot), the Redis database index for `redis`.
    pub(crate) leases: Vec<(&'static str, u32)>,
    /// A failed attempt's output and note (at most [`KEEP_OUTPUT`] bytes of output).
    pub(crate) failure: Option<String>,
}

/// A free worker waiting while `test` could not start because of `hold`.
#[derive(Clone, Debug)]
pub(crate) struct Wait {
    pub(crate) worker: usize,
    pub(crate) start: Instant,
    pub(crate) end: Instant,
    pub(crate) test: Test,
    pub(crate) hold: Hold,
    /// The test holding it back, where one test does (a running serial test).
    pub(crate) holder: Option<Test>,
}

/// Work that is not a test: a set-up, a teardown, a server or worker process starting.
#[derive(Clone, Debug)]
pub(crate) struct Span {
    /// The worker it ran on; `None` for the run's own (the coordinator).
    pub(crate) worker: Option<usize>,
    pub(crate) what: String,
    pub(crate) start: Instant,
    pub(crate) end: Instant,
}

/// A moment: a crash, a restart, a timeout, an interrupt.
#[derive(Clone, Debug)]
pub(crate) struct Mark {
    pub(crate) worker: Option<usize>,
    pub(crate) what: String,
    pub(crate) at: Instant,
}

/// Everything recorded in one run.
#[derive(Clone, Debug)]
pub(crate) struct Recording {
    pub(crate) epoch: Instant,
    pub(crate) slices: Vec<Slice>,
    pub(crate) waits: Vec<Wait>,
    pub(crate) spans: Vec<Span>,
    pub(crate) marks: Vec<Mark>,
}

/// Starts recording (a run that writes a trace or a report).
pub(crate) fn start() {
    *lock() = Some(Recording {
        epoch: Instant::now(),
        slices: Vec::new(),
        waits: Vec::new(),
        spans: Vec::new(),
        marks: Vec::new(),
    });
    ON.store(true, Ordering::Release);
}

/// Whether this run records.
#[inline]
pub(crate) fn on() -> bool {
    ON.load(Ordering::Relaxed)
}

/// Stops recording and hands over what was recorded.
pub(crate) fn take() -> Option<Recording> {
    ON.store(false, Ordering::Release);
    lock().take()
}

fn lock() -> std::sync::MutexGuard<'static, Option<Recording>> {
    RECORDING.lock().unwrap_or_else(PoisonError::into_inner)
}

fn with(f: impl FnOnce(&mut Recording)) {
    if let Some(recording) = lock().as_mut() {
        f(recording);
    }
}

/// An attempt of `test` on `worker` that ran from `start` to now, for [`record`]. (A
/// first attempt that passed holding no lease is recorded by the worker board instead,
/// through [`passed`], from the start instant it keeps.)
pub(crate) fn attempt(
    worker: usize,
    test: Test,
    start: Instant,
    attempt: u32,
    leases: &[(&'static str, u32)],
    outcome: &Outcome,
    output: &[u8],
) -> Slice {
    let end = Instant::now();
    let (outcome, failure) = match outcome {
        Outcome::Passed => ("passed", None),
        Outcome::Ignored { .. } => ("ignored", None),
        Outcome::Failed { message } => {
            let kept = &output[..output.len().min(KEEP_OUTPUT)];
            let mut text = String::from_utf8_lossy(kept).into_owned();
            if kept.len() < output.len() {
                let more = output.len() - kept.len();
                let _ = write!(text, "\n[{more} more bytes]\n");
            }
            if let Some(m) = message {
                text.push_str(m);
            }
            let timed_out = message.as_deref().is_some_and(|m| m.contains("timed out"));
            (if timed_out { "timed out" } else { "failed" }, Some(text))
        }
    };
    Slice {
        worker,
        test,
        start,
        end,
        outcome,
        attempt,
        leases: match leases {
            [] => Vec::new(),
            some => some.to_vec(),
        },
        failure,
    }
}

/// A first attempt of `test` on `worker` that passed holding no lease, from `start` to now.
pub(crate) fn passed(worker: usize, test: Test, start: Instant) -> Slice {
    Slice {
        worker,
        test,
        start,
        end: Instant::now(),
        outcome: "passed",
        attempt: 1,
        leases: Vec::new(),
        failure: None,
    }
}

/// Stores recorded attempts.
pub(crate) fn record(slices: impl IntoIterator<Item = Slice>) {
    if let Some(recording) = lock().as_mut() {
        recording.slices.extend(slices);
    }
}

/// Stores the attempts the worker board collected (moved in whole when nothing else was
/// stored yet).
pub(crate) fn record_all(slices: Vec<Slice>) {
    if let Some(recording) = lock().as_mut() {
        match recording.slices.is_empty() {
            true => recording.slices = slices,
            false => recording.slices.extend(slices),
        }
    }
}

/// Records that `worker` waited from `start` to now while `test` was held by `hold`.
pub(crate) fn wait(worker: usize, start: Instant, test: Test, hold: Hold, holder: Option<Test>) {
    let wait = Wait {
        worker,
        start,
        end: Instant::now(),
        test,
        hold,
        holder,
    };
    with(|r| r.waits.push(wait));
}

/// Records work that is not a test, from `start` to now.
fn span(worker: Option<usize>, what: &str, start: Instant) {
    if !on() {
        return;
    }
    let span = Span {
        worker,
        what: what.into(),
        start,
        end: Instant::now(),
    };
    with(|r| r.spans.push(span));
}

/// Runs `work`, recorded as a span named `what` on `worker` when the run records.
pub(crate) fn timed<T>(worker: Option<usize>, what: &str, work: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let result = work();
    span(worker, what, started);
    result
}

/// Records a moment (a crash, a restart, a timeout).
pub(crate) fn mark(worker: Option<usize>, what: impl Into<String>) {
    if !on() {
        return;
    }
    let mark = Mark {
        worker,
        what: what.into(),
        at: Instant::now(),
    };
    with(|r| r.marks.push(mark));
}

/// A duration as a person reads it; under 10 ms with two decimals (`0.42ms`).
pub(crate) fn show(d: std::time::Duration) -> String {
    if d < std::time::Duration::from_millis(10) {
        format!("{:.2}ms", d.as_secs_f64() * 1e3)
    } else {
        crate::duration::show(d)
    }
}

/// What the writers know of the run besides the recording.
#[derive(Clone, Debug)]
pub(crate) struct Facts {
    /// Worker positions.
    pub(crate) workers: usize,
    /// The binaries by index under `cargo partest` (empty for one binary's own run).
    pub(crate) binaries: Vec<String>,
    /// From the first test's start to the last one's end (the run's wall time).
    pub(crate) makespan: std::time::Duration,
    /// `threads` or `process`.
    pub(crate) isolation: &'static str,
    /// The lower bound of the makespan from the measured attempts.
    pub(crate) bound: bound::LowerBound,
    /// Tests whose failure was quarantined (a marker the config quarantines).
    pub(crate) quarantined: std::collections::HashSet<&'static str>,
    /// The jobs the bound was computed from: (test name, duration), by index.
    pub(crate) jobs: Vec<(&'static str, std::time::Duration)>,
}

impl Facts {
    /// `gwN`, or `master` in a one-worker run (libtest's and xdist's names).
    pub(crate) fn worker_name(&self, worker: usize) -> String {
        crate::report::worker_name(self.workers > 1, worker)
    }

    /// The name of binary `index` (empty in one binary's own run).
    pub(crate) fn binary_of(&self, index: u32) -> &str {
        self.binaries.get(index as usize).map_or("", String::as_str)
    }
}

/// Joins the wait spans of one worker that follow each other for the same test and
/// constraint (a worker woken by an unrelated finish waits again at once).
pub(crate) fn merge_waits(waits: &mut Vec<Wait>) {
    waits.sort_by_key(|w| (w.worker, w.start));
    let mut merged: Vec<Wait> = Vec::with_capacity(waits.len());
    for w in waits.drain(..) {
        if let Some(last) = merged.last_mut() {
            let same = last.worker == w.worker
                && last.test.name == w.test.name
                && last.test.binary == w.test.binary
                && last.hold == w.hold;
            let gap = w.start.saturating_duration_since(last.end);
            if same && gap < std::time::Duration::from_millis(1) {
                last.end = last.end.max(w.end);
                continue;
            }
        }
        merged.push(w);
    }
    *waits = merged;
}
