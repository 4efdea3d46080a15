//! The working directory is process-wide: a test that calls `std::env::set_current_dir`
//! changes it under every other test. After each test (one `getcwd` into a stack buffer),
//! the directory is compared with the one the run started in; if it moved it is put back,
//! and the run says so before its summary.

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
}

/// Whether the working directory is still `start`, asked without allocating (this runs
/// after every test).
#[cfg(unix)]
fn unchanged(start: &std::path::Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    // Not zeroed: getcwd writes the NUL-terminated path; nothing past it is read.
    let mut buffer = std::mem::MaybeUninit::<[u8; 4096]>::uninit();
    let ptr = buffer.as_mut_ptr().cast::<libc::c_char>();
    // SAFETY: getcwd writes at most 4096 bytes, NUL-terminated, into the buffer.
    if unsafe { libc::getcwd(ptr, 4096) }.is_null() {
        return false;
    }
    // SAFETY: getcwd succeeded: the buffer starts with an initialised NUL-terminated string.
    let now = unsafe { std::ffi::CStr::from_ptr(ptr) };
    now.to_bytes() == start.as_os_str().as_bytes()
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
    let Ok(now) = std::env::current_dir() else {
        return;
    };
    if now != *start {
        let restored = std::env::set_current_dir(start).is_ok();
        let what = if restored {
            "partest changed it back"
        } else {
            "partest could not change it back"
        };
        NOTES.lock().unwrap_or_else(PoisonError::into_inner).push(format!(
            "note: when `{test}` ended the working directory was {} instead of {} (a test called set_current_dir); {what}",
            now.display(),
            start.display()
        ));
    }
}
