//! Naming the culprit when a test takes the whole process down. Each worker publishes the
//! test it runs in a fixed table of atomics; handlers for SIGABRT, SIGSEGV, SIGBUS, SIGILL
//! and SIGFPE, and an `atexit` hook (a test calling `std::process::exit`), print the
//! in-flight tests with their workers to the original stderr and append their names to
//! the history's crash file (read back by the next `--lf`; failures are appended there as
//! they happen too), using only `write(2)`: no allocation, no locks. Then the signal is
//! re-raised with its default action; after an `exit` the run ends with code 101 (a
//! process a test forked keeps its own exit).
//!
//! However many threads crash or exit at once, exactly one report is written: the first
//! to arrive builds it in a static buffer and writes it with one `write`; the others wait
//! for the process to end.

use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicPtr, AtomicUsize, Ordering};

/// Worker positions tracked (tests on later positions are not named).
const SLOTS: usize = 256;

#[allow(clippy::declare_interior_mutable_const)] // array initialisers only
const NO_NAME: AtomicPtr<u8> = AtomicPtr::new(std::ptr::null_mut());
#[allow(clippy::declare_interior_mutable_const)]
const NO_LEN: AtomicUsize = AtomicUsize::new(0);

static NAMES: [AtomicPtr<u8>; SLOTS] = [NO_NAME; SLOTS];
static LENGTHS: [AtomicUsize; SLOTS] = [NO_LEN; SLOTS];
static REPORT_FD: AtomicI32 = AtomicI32::new(2);
static RECORD_FD: AtomicI32 = AtomicI32::new(-1);
static SEQUENTIAL: AtomicBool = AtomicBool::new(false);
static FINISHED: AtomicBool = AtomicBool::new(false);
/// The process the handlers were installed in (the run's).
static RUN_PID: AtomicI32 = AtomicI32::new(0);
/// Taken by the one thread that writes the report.
static REPORTING: AtomicBool = AtomicBool::new(false);

/// Room for a report: a headline and a line per in-flight test.
const REPORT_BYTES: usize = 64 * 1024;

/// The report being built; only the thread that took [`REPORTING`] touches it.
struct ReportBuffer(std::cell::UnsafeCell<[u8; REPORT_BYTES]>);

// SAFETY: accessed by one thread only, the one that won `REPORTING`.
unsafe impl Sync for ReportBuffer {}

static BUFFER: ReportBuffer = ReportBuffer(std::cell::UnsafeCell::new([0; REPORT_BYTES]));

/// Appends to a fixed buffer, dropping what does not fit (no allocation).
struct Writer<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl Writer<'_> {
    fn push(&mut self, bytes: &[u8]) {
        let room = self.buf.len() - self.len;
        let n = bytes.len().min(room);
        self.buf[self.len..self.len + n].copy_from_slice(&bytes[..n]);
        self.len += n;
    }

    /// Appends `n` in decimal.
    fn number(&mut self, mut n: usize) {
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        loop {
            at -= 1;
            digits[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.push(&digits[at..]);
    }
}

/// The duplicate of the original stderr crash reports go to.
pub(crate) fn report_fd() -> RawFd {
    REPORT_FD.load(Ordering::Relaxed)
}

/// Publishes that worker `slot` runs `name` (names live for the whole process).
pub(crate) fn enter(slot: usize, name: &'static str) {
    if slot < SLOTS {
        LENGTHS[slot].store(name.len(), Ordering::Relaxed);
        NAMES[slot].store(name.as_ptr().cast_mut(), Ordering::Release);
    }
}

/// Worker `slot` runs nothing.
pub(crate) fn leave(slot: usize) {
    if slot < SLOTS {
        NAMES[slot].store(std::ptr::null_mut(), Ordering::Release);
    }
}

/// The run ended normally: the exit hook has nothing to say.
pub(crate) fn finished() {
    FINISHED.store(true, Ordering::Release);
    // The crash file closes with the run; an abandoned thread crashing later must not
    // write into whatever reuses its descriptor.
    RECORD_FD.store(-1, Ordering::Relaxed);
}

/// Appends a failed test's name to the history's crash file (read back by the next
/// `--lf` if the run does not get to write its history).
pub(crate) fn record_failure(name: &str) {
    let record = RECORD_FD.load(Ordering::Relaxed);
    if record >= 0 {
        let mut line = Vec::with_capacity(name.len() + 1);
        line.extend_from_slice(name.as_bytes());
        line.push(b'\n');
        write_all(record, &line);
    }
}

fn write_all(fd: RawFd, mut bytes: &[u8]) {
    while !bytes.is_empty() {
        // SAFETY: writing a valid buffer to a file descriptor; async-signal-safe.
        let n = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
        if n <= 0 {
            return;
        }
        bytes = &bytes[n as usize..];
    }
}

/// Builds the report of the in-flight tests after `headline`, writes it with one `write`
/// and records the names in the crash file; false if nothing was in flight, or if another
/// thread is writing the report (then this one waits for the process to end).
fn report(headline: &[u8]) -> bool {
    if REPORTING.swap(true, Ordering::AcqRel) {
        // Another thread crashed or exited first and reports for everyone; it ends the
        // process when done.
        loop {
            // SAFETY: pause(2) is async-signal-safe.
            unsafe {
                libc::pause();
            }
        }
    }
    let (out, record) = (
        REPORT_FD.load(Ordering::Relaxed),
        RECORD_FD.load(Ordering::Relaxed),
    );
    // SAFETY: only the thread that took `REPORTING` gets here, once.
    let buf = unsafe { &mut *BUFFER.0.get() };
    let mut report = Writer { buf, len: 0 };
    report.push(headline);
    let start = report.len;
    for slot in 0..SLOTS {
        let name = NAMES[slot].load(Ordering::Acquire);
        if name.is_null() {
            continue;
        }
        // SAFETY: `enter` stored a pointer and length of a `&'static str`.
        let bytes =
            unsafe { std::slice::from_raw_parts(name, LENGTHS[slot].load(Ordering::Relaxed)) };
        report.push(b"    ");
        report.push(bytes);
        if SEQUENTIAL.load(Ordering::Relaxed) {
            report.push(b" on master\n");
        } else {
            report.push(b" on gw");
            report.number(slot);
            report.push(b"\n");
        }
        if record >= 0 {
            write_all(record, bytes);
            write_all(record, b"\n");
        }
    }
    let any = report.len > start;
    if any {
        let len = report.len;
        write_all(out, &report.buf[..len]);
    }
    any
}

extern "C" fn on_signal(signal: libc::c_int) {
    let headline: &[u8] = match signal {
        libc::SIGABRT => b"partest: the process aborted (SIGABRT) while running:\n",
        libc::SIGSEGV => b"partest: the process crashed (SIGSEGV) while running:\n",
        libc::SIGBUS => b"partest: the process crashed (SIGBUS) while running:\n",
        libc::SIGILL => b"partest: the process crashed (SIGILL) while running:\n",
        _ => b"partest: the process crashed (SIGFPE) while running:\n",
    };
    report(headline);
    // SAFETY: restoring the default action and re-raising are async-signal-safe.
    unsafe {
        libc::signal(signal, libc::SIG_DFL);
        libc::raise(signal);
    }
}

extern "C" fn on_exit() {
    // A process a test forked (without exec) inherits this hook; its exit is not the run's.
    // SAFETY: getpid has no preconditions.
    let here = unsafe { libc::getpid() };
    if FINISHED.load(Ordering::Acquire) || here != RUN_PID.load(Ordering::Relaxed) {
        return;
    }
    report(b"partest: the process exited (std::process::exit?) while running:\n");
    write_all(
        REPORT_FD.load(Ordering::Relaxed),
        b"partest: the run ends here and fails (exit code 101); the tests not yet finished did not run\n",
    );
    // SAFETY: _exit ends the process without running further exit hooks.
    unsafe { libc::_exit(101) };
}

/// Points `signals` at `handler` with `flags`. The handler must make only
/// async-signal-safe calls.
pub(super) fn set_handler(
    signals: &[libc::c_int],
    handler: extern "C" fn(libc::c_int),
    flags: i32,
) {
    for &signal in signals {
        // SAFETY: a zeroed sigaction is valid; the caller's handler makes only
        // async-signal-safe calls.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = handler as libc::sighandler_t;
            action.sa_flags = flags;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(signal, &action, std::ptr::null_mut());
        }
    }
}

/// Installs the handlers; `report_fd` is the original stderr, `record_fd` the crash file.
pub(crate) fn install(report_fd: Option<RawFd>, record_fd: Option<RawFd>, sequential: bool) {
    REPORT_FD.store(report_fd.unwrap_or(2), Ordering::Relaxed);
    RECORD_FD.store(record_fd.unwrap_or(-1), Ordering::Relaxed);
    SEQUENTIAL.store(sequential, Ordering::Relaxed);
    // SAFETY: getpid has no preconditions.
    RUN_PID.store(unsafe { libc::getpid() }, Ordering::Relaxed);
    // SA_ONSTACK: a stack overflow still reaches the handler on Rust's alternate stack.
    let fatal = [
        libc::SIGABRT,
        libc::SIGSEGV,
        libc::SIGBUS,
        libc::SIGILL,
        libc::SIGFPE,
    ];
    set_handler(&fatal, on_signal, libc::SA_ONSTACK);
    // SAFETY: registering a plain extern "C" function.
    unsafe {
        libc::atexit(on_exit);
    }
}
