//! A process-wide panic hook that writes each panic report (libtest's text: thread named
//! after the test, location, message, backtrace note) to the sink of the test that
//! panicked, so reports are never attributed to the wrong test and never printed on
//! their own in captured mode. Panics outside tests go to the previous hook.

use std::any::Any;
use std::backtrace::{Backtrace, BacktraceStatus};
use std::cell::RefCell;
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

struct Scope {
    test: &'static str,
    sink: Sink,
    buffer: Vec<u8>,
}

thread_local! {
    static SCOPE: RefCell<Option<Scope>> = const { RefCell::new(None) };
}

static INSTALL: Once = Once::new();
static FIRST_PANIC: AtomicBool = AtomicBool::new(true);

/// Installs the hook once per process, chaining to whatever hook was there before.
pub(crate) fn install() {
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !report(info) {
                previous(info);
            }
        }));
    });
}

/// Starts attributing this thread's panics to `test`.
pub(crate) fn begin(test: &'static str, sink: Sink) {
    SCOPE.with(|s| {
        *s.borrow_mut() = Some(Scope {
            test,
            sink,
            buffer: Vec::new(),
        })
    });
}

/// Writes `text` (plus a newline) where the current test's panic reports go.
pub(crate) fn emit(text: &str) {
    let line = format!("{text}\n");
    let kept = SCOPE.with(|s| match s.try_borrow_mut().ok().as_deref_mut() {
        Some(Some(scope)) if scope.sink == Sink::Buffer => {
            scope.buffer.extend_from_slice(line.as_bytes());
            true
        }
        _ => false,
    });
    if !kept {
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }
}

/// Stops attributing and returns what was buffered.
pub(crate) fn end() -> Vec<u8> {
    SCOPE.with(|s| {
        s.borrow_mut()
            .take()
            .map(|scope| scope.buffer)
            .unwrap_or_default()
    })
}

/// The panic payload as text, the way std's hook shows it.
pub(crate) fn payload_text(payload: &(dyn Any + Send)) -> Option<&str> {
    payload
        .downcast_ref::<&'static str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
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
        text.push_str(
            "note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n",
        );
    }
    text
}

/// Handles a panic on a test thread; `false` when the thread runs no test.
fn report(info: &PanicHookInfo<'_>) -> bool {
    SCOPE.with(|s| {
        let Ok(mut guard) = s.try_borrow_mut() else {
            return false;
        };
        let Some(scope) = guard.as_mut() else {
            return false;
        };
        let text = format_report(scope.test, info);
        match scope.sink {
            Sink::Buffer => scope.buffer.extend_from_slice(text.as_bytes()),
            Sink::Stderr => {
                let _ = std::io::stderr().lock().write_all(text.as_bytes());
            }
        }
        true
    })
}
