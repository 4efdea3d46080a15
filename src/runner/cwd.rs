//! The working directory is process-wide: a test that calls `std::env::set_current_dir`
//! changes it under every other test. After each test the directory is compared with the
//! one the run started in (on Linux only when `chdir`/`fchdir` were called since the last
//! check: cwd_watch.c counts them; else one `stat(".")`); if it moved it is put back, and
//! the run says so before its summary — also when the test deleted the directory it moved
//! into.

use std::path::PathBuf;
use std::sync::{Mutex, OnceLock, PoisonError};

static START: OnceLock<Option<PathBuf>> = OnceLock::new();
static NOTES: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// What was found and put back during the run.
pub(crate) fn take_notes() -> Vec<String> {
    std::mem::take(&mut *NOTES.lock().unwrap_or_else(PoisonError::into_inner))
}

/// Records the run's working directory.
pub(crate) fn remember() {
    START.get_or_init(|| std::env::current_dir().ok());
    #[cfg(unix)]
    START_ID.get_or_init(cwd_id);
    #[cfg(target_os = "linux")]
    watch::probe();
}

/// The count of `chdir`/`fchdir` calls (cwd_watch.c), where it works.
#[cfg(target_os = "linux")]
mod watch {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::OnceLock;

    extern "C" {
        fn partest_cwd_changes() -> libc::c_ulong;
    }

    /// The count at the last check, when the probe found the count working.
    static SEEN: OnceLock<Option<AtomicU64>> = OnceLock::new();

    fn changes() -> u64 {
        // SAFETY: reads an atomic counter; no arguments.
        unsafe { partest_cwd_changes() as u64 }
    }

    /// Whether std's `set_current_dir` reaches the counter in this binary: `chdir(".")`,
    /// which changes nothing, must count.
    pub(super) fn probe() {
        SEEN.get_or_init(|| {
            let before = changes();
            let counted = std::env::set_current_dir(".").is_ok() && changes() > before;
            counted.then(|| AtomicU64::new(changes()))
        });
    }

    /// True when no `chdir`/`fchdir` was called since the last call that returned false
    /// or since the probe; false when one was, or the count cannot be trusted.
    pub(super) fn nothing_called() -> bool {
        let Some(Some(seen)) = SEEN.get() else {
            return false;
        };
        let now = changes();
        seen.swap(now, Ordering::Relaxed) == now
    }
}

/// (device, inode) of the run's working directory, for a check without path building.
#[cfg(unix)]
static START_ID: OnceLock<Option<(u64, u64)>> = OnceLock::new();

#[cfg(unix)]
fn cwd_id() -> Option<(u64, u64)> {
    let mut stat = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: stat writes a `struct stat` into the buffer when it returns 0.
    if unsafe { libc::stat(c".".as_ptr(), stat.as_mut_ptr()) } != 0 {
        return None;
    }
    // SAFETY: stat succeeded.
    let stat = unsafe { stat.assume_init() };
    // dev_t and ino_t are not u64 on every unix.
    #[allow(clippy::unnecessary_cast)]
    Some((stat.st_dev as u64, stat.st_ino as u64))
}

/// Whether the working directory is still the run's: one `stat(".")` (no path building;
/// this runs after every test).
#[cfg(unix)]
fn unchanged(_start: &std::path::Path) -> bool {
    #[cfg(target_os = "linux")]
    if watch::nothing_called() {
        return true;
    }
    match START_ID.get_or_init(cwd_id) {
        Some(start) => cwd_id().as_ref() == Some(start),
        None => true,
    }
}

#[cfg(not(unix))]
fn unchanged(start: &std::path::Path) -> bool {
    std::env::current_dir().is_ok_and(|now| now == start)
}

/// Restores the run's working directory if the test that just ran (`test`) moved it.
pub(crate) fn check_after(test: &str) {
    let Some(Some(start)) = START.get() else {
        return;
    };
    if unchanged(start) {
        return;
    }
    // A directory the test deleted has no path any more: it is put back all the same.
    let now = match std::env::current_dir() {
        Ok(now) if now == *start => return,
        Ok(now) => now.display().to_string(),
        Err(_) => "a directory that no longer exists".to_owned(),
    };
    let what = match std::env::set_current_dir(start) {
        Ok(()) => "partest changed it back".to_owned(),
        Err(e) => format!("partest could not change it back: {e}"),
    };
    NOTES.lock().unwrap_or_else(PoisonError::into_inner).push(format!(
        "note: when `{test}` ended the working directory was {now} instead of {} (a test called set_current_dir); {what}",
        start.display()
    ));
}
