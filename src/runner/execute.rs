//! Running one test body: capture set up, `catch_unwind`, the `should_panic` verdict.

use super::async_rt::{self, AsyncEnd};
use super::cwd;
use super::panic_hook::{self, Sink};
use crate::duration;
use crate::event::Completed;
use crate::fixtures::{self, temp};
use crate::outcome::Outcome;
use crate::plan::Test;
use crate::registry::{ShouldPanic, TestFn};
use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

/// How a test's output is captured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CaptureMode {
    /// `--nocapture`: everything, panic reports included, goes straight to the terminal.
    Off,
    /// One test at a time: fds 1 and 2 are redirected into the test's output.
    FileDescriptors,
    /// Parallel, where std's writes can be intercepted (Linux): what the test's thread
    /// writes to stdout and stderr, panic reports included, is kept per test, in order.
    Writes,
    /// Parallel elsewhere: panic reports and `Err` texts are kept per test; prints pass
    /// through.
    PanicsOnly,
}

impl CaptureMode {
    /// The mode for a run: `Off` with `--nocapture`; fd capture with one thread or in
    /// worker processes (their fds 1 and 2 are their capture files); else per-thread
    /// write capture where it works, else panics only.
    pub(crate) fn for_run(nocapture: bool, threads: usize, in_processes: bool) -> Self {
        match (nocapture, threads) {
            (true, _) => CaptureMode::Off,
            (false, 1) => CaptureMode::FileDescriptors,
            (false, _) if in_processes => CaptureMode::FileDescriptors,
            #[cfg(target_os = "linux")]
            (false, _) if super::write_capture::available() => CaptureMode::Writes,
            (false, _) => CaptureMode::PanicsOnly,
        }
    }

    /// One line for `--help`: which capture a parallel run gets in this binary.
    pub(crate) fn describe_parallel() -> &'static str {
        #[cfg(target_os = "linux")]
        if super::write_capture::available() {
            return "per test: what each test's thread, and the threads created while it runs, write to stdout/stderr";
        }
        "panic reports only: tests' prints pass through (use --test-threads 1 to capture them)"
    }
}

/// Per-worker capture state.
#[derive(Debug)]
pub(crate) struct Capture {
    mode: CaptureMode,
    #[cfg(unix)]
    fds: Option<super::capture::FdCapture>,
}

impl Capture {
    /// Prepares capture for `mode`; fd capture falls back to panics-only where unavailable.
    pub(crate) fn new(mode: CaptureMode) -> Self {
        #[cfg(unix)]
        {
            let fds = match mode {
                CaptureMode::FileDescriptors => super::capture::FdCapture::new().ok(),
                _ => None,
            };
            let mode = if mode == CaptureMode::FileDescriptors && fds.is_none() {
                CaptureMode::PanicsOnly
            } else {
                mode
            };
            Capture { mode, fds }
        }
        #[cfg(not(unix))]
        {
            let mode = if mode == CaptureMode::FileDescriptors {
                CaptureMode::PanicsOnly
            } else {
                mode
            };
            Capture { mode }
        }
    }

    fn sink(&self) -> Sink {
        // With fd capture the report is appended after the captured output rather than
        // written into it: writing would first need std's stdout buffer flushed, which can
        // deadlock-panic when the panic came from inside a `print!`.
        // With write capture, a report written to stderr lands in the test's buffer, in
        // order with what it printed.
        match self.mode {
            CaptureMode::PanicsOnly | CaptureMode::FileDescriptors => Sink::Buffer,
            CaptureMode::Off | CaptureMode::Writes => Sink::Stderr,
        }
    }

    fn start(&mut self) {
        #[cfg(target_os = "linux")]
        if self.mode == CaptureMode::Writes {
            super::write_capture::start();
        }
        #[cfg(unix)]
        if let Some(fds) = &mut self.fds {
            if fds.start().is_err() {
                self.fds = None;
            }
        }
    }

    fn finish(&mut self) -> Vec<u8> {
        #[cfg(target_os = "linux")]
        if self.mode == CaptureMode::Writes {
            return super::write_capture::finish();
        }
        #[cfg(unix)]
        if let Some(fds) = &mut self.fds {
            return fds.finish().unwrap_or_else(|e| {
                format!("partest: could not read captured output: {e}\n").into_bytes()
            });
        }
        Vec::new()
    }
}

/// How a test body ended without panicking.
enum End {
    Returned(Result<(), String>),
    TimedOut(Duration),
}

fn call(test: Test, default_timeout: Option<Duration>) -> End {
    // Another binary's test runs in that binary's worker process, never here.
    let Some(def) = test.def() else {
        let note = "partest: this test belongs to another binary and runs in its worker process";
        return End::Returned(Err(note.to_owned()));
    };
    match def.run {
        TestFn::Plain(f) => {
            f();
            End::Returned(Ok(()))
        }
        TestFn::Fallible(f) => End::Returned(f()),
        TestFn::Async(f) => {
            let limit = def.timeout.or(default_timeout);
            let (end, note) = async_rt::block_on(f(), limit, def.runtime);
            if let Some(note) = note {
                panic_hook::emit(&note);
            }
            match end {
                AsyncEnd::Completed(result) => End::Returned(result),
                AsyncEnd::TimedOut(limit) => End::TimedOut(limit),
            }
        }
    }
}

/// Runs `test` on the current thread and reports how it went. `default_timeout` applies to
/// tests without a `timeout` of their own: async tests are cancelled at it (the watchdog
/// handles sync ones).
pub(crate) fn run(
    test: Test,
    capture: &mut Capture,
    default_timeout: Option<Duration>,
) -> Completed {
    fixtures::set_current_test(Some(test.name));
    panic_hook::begin(capture.sink());
    capture.start();
    let start = Instant::now();
    let result = catch_unwind(AssertUnwindSafe(|| call(test, default_timeout)));
    let duration = start.elapsed();
    if let (Err(payload), true) = (&result, test.is_async()) {
        let hint = panic_hook::payload_text(&**payload).and_then(async_rt::missing_tokio_hint);
        if let Some(hint) = hint {
            panic_hook::emit(hint);
        }
    }
    if result.is_err() && panic_hook::reclaim_after_panic() {
        panic_hook::emit(
            "note: this test replaced the panic hook; partest put its own back in front",
        );
    }
    cwd::check_after(test.name);
    if let Ok(End::Returned(Err(text))) = &result {
        panic_hook::emit(text);
    }
    let mut output = capture.finish();
    let end = panic_hook::end();
    // Exactly: the output may be megabytes, which a doubling would double.
    output.reserve_exact(end.len() + 512);
    output.extend(end);
    let outcome = verdict(test, result);
    if let Some(note) = temp::finish(matches!(outcome, Outcome::Passed)) {
        output.extend_from_slice(note.as_bytes());
    }
    fixtures::set_current_test(None);
    Completed::new(test, outcome, duration, output)
}

fn failed(message: String) -> Outcome {
    Outcome::Failed {
        message: Some(message),
    }
}

/// libtest's rules for combining the body's result with `should_panic`.
fn verdict(test: Test, result: Result<End, Box<dyn Any + Send>>) -> Outcome {
    match (test.should_panic(), result) {
        (_, Ok(End::TimedOut(limit))) => failed(format!("test timed out after {}", duration::show(limit))),
        (ShouldPanic::No, Ok(End::Returned(Ok(())))) | (ShouldPanic::Yes, Err(_)) => Outcome::Passed,
        (ShouldPanic::No, _) | (_, Ok(End::Returned(Err(_)))) => Outcome::Failed { message: None },
        (ShouldPanic::Yes | ShouldPanic::WithMessage(_), Ok(End::Returned(Ok(())))) => {
            let (file, line, column) = test.location();
            failed(format!("test did not panic as expected at {file}:{line}:{column}"))
        }
        (ShouldPanic::WithMessage(expected), Err(payload)) => match panic_hook::payload_text(&*payload) {
            Some(text) if text.contains(expected) => Outcome::Passed,
            Some(text) => failed(format!(
                "panic did not contain expected string\n      panic message: {text:?}\n expected substring: {expected:?}"
            )),
            None => failed(format!(
                "expected panic with string value,\n found non-string value: `{:?}`\n     expected substring: {expected:?}",
                (*payload).type_id()
            )),
        },
    }
}
