//! Ctrl-C (SIGINT) and SIGTERM (a CI cancel) during a run. The first signal stops the
//! run in order: no test starts any more, the running ones get [`GRACE`] to finish and
//! are then reported as interrupted, and the run ends as usual — summary, JUnit, history
//! (failed and interrupted tests are what `--lf` runs next), servers and worker processes
//! stopped — before the signal is raised again with its default action, so the caller
//! sees the process end by it. A second signal ends the process at once.
//!
//! The handler only stores the signal and writes a byte to a pipe; a thread reading the
//! pipe does the rest outside the handler.

use std::io::Write as _;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Duration;

/// How long running tests get to finish after the first signal.
pub(crate) const GRACE: Duration = Duration::from_secs(2);

/// The first signal received (0: none).
static SIGNAL: AtomicI32 = AtomicI32::new(0);
/// The pipe's write end (-1 until installed).
static PIPE: AtomicI32 = AtomicI32::new(-1);
/// What stops the current run.
type Stop = Box<dyn Fn() + Send>;
static ON_SIGNAL: Mutex<Option<Stop>> = Mutex::new(None);

extern "C" fn on_signal(signal: libc::c_int) {
    if SIGNAL
        .compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst)
        .is_err()
    {
        // The second signal: end now, by that signal.
        // SAFETY: restoring the default action and raising are async-signal-safe.
        unsafe {
            libc::signal(signal, libc::SIG_DFL);
            libc::raise(signal);
        }
        return;
    }
    let fd = PIPE.load(Ordering::SeqCst);
    if fd >= 0 {
        // SAFETY: write(2) of one byte from a valid buffer is async-signal-safe.
        unsafe { libc::write(fd, [1u8].as_ptr().cast(), 1) };
    }
}

/// A worker process ended by SIGINT or SIGTERM: the run is interrupted as if this process
/// had received `signal` (once; never counted as a second signal).
pub(crate) fn forwarded(signal: i32) {
    let first = SIGNAL.compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst);
    if first.is_ok() {
        // Here, before the calling worker claims another test.
        act();
    }
}

/// The signal's name for messages.
pub(crate) fn name(signal: i32) -> &'static str {
    match signal {
        libc::SIGINT => "SIGINT",
        libc::SIGTERM => "SIGTERM",
        _ => "a signal",
    }
}

/// Installs the handlers for SIGINT and SIGTERM (once per process) and the thread that
/// acts on them.
fn install() {
    static INSTALLED: OnceLock<bool> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let mut fds = [-1; 2];
        // SAFETY: pipe2 writes two descriptors into the array.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
            return false; // signals keep their default action
        }
        let reader = fds[0];
        let spawned = std::thread::Builder::new()
            .name("partest-interrupt".into())
            .spawn(move || read_signals(reader));
        if spawned.is_err() {
            return false;
        }
        PIPE.store(fds[1], Ordering::SeqCst);
        // on_signal only writes to the self-pipe: async-signal-safe.
        super::crash::set_handler(&[libc::SIGINT, libc::SIGTERM], on_signal, libc::SA_RESTART);
        true
    });
}

/// The thread behind the handler: says what happens and stops the current run.
fn read_signals(reader: libc::c_int) {
    let mut byte = [0u8; 1];
    // SAFETY: read(2) into a one-byte buffer from the pipe this thread owns.
    while unsafe { libc::read(reader, byte.as_mut_ptr().cast(), 1) } == 1 {
        act();
    }
}

/// Says what happens and stops the current run.
fn act() {
    let signal = name(SIGNAL.load(Ordering::SeqCst));
    let _ = writeln!(
        std::io::stderr(),
        "\npartest: {signal} received: no new test starts; running tests get {}s to \
         finish, then the run reports and ends ({signal} again ends it at once)",
        GRACE.as_secs()
    );
    if let Some(stop) = ON_SIGNAL
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .as_ref()
    {
        stop();
    }
}

/// While the guard lives, SIGINT and SIGTERM call `stop` (at once if one already came).
pub(crate) fn while_running(stop: Stop) -> Guard {
    install();
    if SIGNAL.load(Ordering::SeqCst) != 0 {
        stop();
    }
    *ON_SIGNAL.lock().unwrap_or_else(PoisonError::into_inner) = Some(stop);
    Guard
}

/// Removes the run's `stop` when dropped.
pub(crate) struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        *ON_SIGNAL.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }
}

/// The signal that interrupted the run, if one did.
pub(crate) fn received() -> Option<i32> {
    Some(SIGNAL.load(Ordering::SeqCst)).filter(|s| *s != 0)
}

/// At the very end of an interrupted run (reports and history written): ends the process
/// by the signal that interrupted it, with its default action.
pub(crate) fn reraise() {
    if let Some(signal) = received() {
        let _ = std::io::stdout().flush();
        // SAFETY: restoring the default action and raising a signal.
        unsafe {
            libc::signal(signal, libc::SIG_DFL);
            libc::raise(signal);
        }
    }
}
