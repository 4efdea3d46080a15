//! The run's worker process groups: which are alive, killing them (one at a time or all
//! at the end of the run), and how a worker's end reads in a report. The signals sent here
//! go through sys.rs, as every libc call of the process runner does.

pub(crate) use super::sys::signal_group;
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};

/// Process ids of the run's live workers (their group ids too), for [`kill_all`].
pub(crate) static LIVE: Mutex<Vec<u32>> = Mutex::new(Vec::new());
/// Set by [`kill_all`]: no worker starts any more.
pub(crate) static CLOSED: AtomicBool = AtomicBool::new(false);

pub(crate) fn live_pids() -> std::sync::MutexGuard<'static, Vec<u32>> {
    LIVE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Kills every worker process still alive, with its group (the run is over, e.g. past
/// `--run-timeout`); no worker starts afterwards.
pub(crate) fn kill_all() {
    CLOSED.store(true, Ordering::SeqCst);
    for pid in live_pids().drain(..) {
        signal_group(pid, libc::SIGKILL);
    }
}

/// The name of signal `n` (`SIGSEGV`), for crash reports.
pub(crate) fn signal_name(n: i32) -> String {
    let name = match n {
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGILL => "SIGILL",
        libc::SIGKILL => "SIGKILL",
        libc::SIGTERM => "SIGTERM",
        libc::SIGINT => "SIGINT",
        libc::SIGHUP => "SIGHUP",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGTRAP => "SIGTRAP",
        libc::SIGSYS => "SIGSYS",
        libc::SIGUSR1 => "SIGUSR1",
        libc::SIGUSR2 => "SIGUSR2",
        libc::SIGALRM => "SIGALRM",
        _ => return format!("signal {n}"),
    };
    format!("signal {n} ({name})")
}

/// How a worker's end reads in a report: `signal 11 (SIGSEGV)`, `exit code 3`.
pub(crate) fn describe(status: Option<ExitStatus>) -> String {
    match status {
        Some(s) if s.signal().is_some() => signal_name(s.signal().unwrap_or_default()),
        Some(s) => match s.code() {
            Some(code) => format!("exit code {code}"),
            None => s.to_string(),
        },
        None => "it stopped answering".to_owned(),
    }
}
