//! A process-wide panic hook that writes each panic report (libtest's text: thread named
//! after the test, location, message, backtrace note) to the sink of the test that
//! panicked, so reports are never attributed to the wrong test and never printed on
//! their own in captured mode. Panics outside tests go to the previous hook.

use std::backtrace::{Backtrace, BacktraceStatus};
use std::cell::{Cell, RefCell};
use std::fmt::Write as _;
use std::io::Write;
use std::panic::{self, PanicHookInfo};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Once;

/// Where a test's panic reports (and `Err` return texts) go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Sink {
    /// Written to stderr at once (`--nocapture`).
    Stderr,
    /// Kept in the test's buffer and shown under its name.
    Buffer,
}

thread_local! {
    /// Where the running test's reports go; `None` outside tests.
    static SINK: Cell<Option<Sink>> = const { Cell::new(None) };
    /// Reports kept for the running test (`Sink::Buffer`).
    static KEPT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    /// Whether `KEPT` holds anything (checked without borrowing on the hot path).
    static HAS_KEPT: Cell<bool> = const { Cell::new(false) };
    /// Set by partest's hook; a panic that leaves it unset bypassed the hook.
    static REPORTED: Cell<bool> = const { Cell::new(false) };
}

static INSTALL: Once = Once::new();
static FIRST_PANIC: AtomicBool = AtomicBool::new(true);

/// What std (and so libtest) adds to the first panic report of a process without
/// `RUST_BACKTRACE`.
pub(crate) const BACKTRACE_NOTE: &str =
    "note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n";

/// Installs the hook once per process, chaining to whatever hook was there before.
pub(crate) fn install() {
    INSTALL.call_once(chain_in);
}

/// Puts partest's hook in front of the current one.
fn chain_in() {
    let previous = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        REPORTED.with(|r| r.set(true));
        if !report(info) {
            previous(info);
        }
    }));
}

/// After a test panicked: if partest's hook did not see the panic, the test replaced the
/// hook; put partest's back in front (the test's hook stays, behind it) so later tests'
/// panics are attributed again. Returns whether the hook had been replaced.
pub(crate) fn reclaim_after_panic() -> bool {
    let seen = REPORTED.with(|r| r.replace(false));
    if !seen {
        chain_in();
    }
    !seen
}

/// Starts attributing this thread's panics to the running test (see
/// [`current_test_name`](crate::current_test_name)).
pub(crate) fn begin(sink: Sink) {
    SINK.with(|s| s.set(Some(sink)));
}

/// Appends `text` to the kept reports, or writes it to stderr; `false` outside a test.
fn deliver(text: &str) -> bool {
    match SINK.with(Cell::get) {
        Some(Sink::Buffer) => {
            let kept = KEPT.with(|k| {
                k.try_borrow_mut()
                    .map(|mut k| k.extend_from_slice(text.as_bytes()))
                    .is_ok()
            });
            HAS_KEPT.with(|h| h.set(h.get() | kept));
            kept
        }
        Some(Sink::Stderr) => {
            let _ = std::io::stderr().lock().write_all(text.as_bytes());
            true
        }
        None => false,
    }
}

/// Writes `text` (plus a newline) where the current test's panic reports go.
pub(crate) fn emit(text: &str) {
    let line = format!("{text}\n");
    if !deliver(&line) {
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }
}

/// Stops attributing and returns what was kept.
pub(crate) fn end() -> Vec<u8> {
    SINK.with(|s| s.set(None));
    if !HAS_KEPT.with(Cell::get) {
        return Vec::new();
    }
    HAS_KEPT.with(|h| h.set(false));
    KEPT.with(|k| std::mem::take(&mut *k.borrow_mut()))
}

/// Runs `f` with its panics reported under `label` and kept (not printed); returns the
/// report when `f` panicked. For code that runs outside tests, e.g. teardowns.
pub(crate) fn capture(label: &str, f: impl FnOnce()) -> Result<(), String> {
    let label: &'static str = Box::leak(label.to_owned().into_boxed_str());
    let outer = crate::fixtures::identity::current_test_name();
    crate::fixtures::set_current_test(Some(label));
    begin(Sink::Buffer);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    let kept = end();
    crate::fixtures::set_current_test(outer);
    match result {
        Ok(()) => Ok(()),
        Err(_) => Err(String::from_utf8_lossy(&kept).into_owned()),
    }
}

pub(crate) use crate::outcome::payload_text;

/// Drops each resource in `teardowns` (in the order given) with its panics reported;
/// returns (what, panic report) for each drop that panicked.
pub(crate) fn tear_down(
    teardowns: Vec<crate::fixtures::resources::Teardown>,
) -> Vec<(String, String)> {
    let mut failures = Vec::new();
    for teardown in teardowns {
        let what = teardown.what.clone();
        let worker = crate::fixtures::identity::current_worker();
        let released =
            crate::timeline::timed(worker, &what, || capture(&what, move || teardown.release()));
        if let Err(report) = released {
            failures.push((what, report));
        }
    }
    failures
}

#[cfg(target_os = "linux")]
fn thread_label() -> String {
    // SAFETY: gettid has no preconditions.
    format!(" ({})", unsafe { libc::gettid() })
}

#[cfg(not(target_os = "linux"))]
fn thread_label() -> String {
    String::new()
}

fn format_report(test: &str, info: &PanicHookInfo<'_>) -> String {
    let msg = payload_text(info.payload()).unwrap_or("Box<dyn Any>");
    let location = info
        .location()
        .map(|l| format!(" at {}:{}:{}", l.file(), l.line(), l.column()));
    let mut text = format!(
        "\nthread '{test}'{} panicked{}:\n{msg}\n",
        thread_label(),
        location.unwrap_or_default()
    );
    let backtrace = Backtrace::capture();
    if backtrace.status() == BacktraceStatus::Captured {
        let _ = write!(text, "stack backtrace:\n{backtrace}");
    } else if FIRST_PANIC.swap(false, Ordering::Relaxed) {
        text.push_str(BACKTRACE_NOTE);
    }
    text
}

/// Handles a panic on a test thread; `false` when the thread runs no test.
fn report(info: &PanicHookInfo<'_>) -> bool {
    let Some(test) = crate::fixtures::identity::current_test_name() else {
        // A thread no test owns (e.g. one a finished test left behind): while a test's
        // output is captured, stderr is that test's, so report on the real stderr.
        #[cfg(unix)]
        {
            let name = std::thread::current()
                .name()
                .unwrap_or("<unnamed>")
                .to_owned();
            let text = format!(
                "partest: a thread outside any test panicked:{}",
                format_report(&name, info)
            );
            return super::capture::write_to_real_stderr(&text);
        }
        #[cfg(not(unix))]
        return false;
    };
    SINK.with(Cell::get).is_some() && deliver(&format_report(test, info))
}
