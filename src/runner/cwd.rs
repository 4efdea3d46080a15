//! The working directory is process-wide: a test that calls `std::env::set_current_dir`
//! changes it under every other test. After each test the worker compares it with the
//! directory the run started in (one `getcwd`), and if it moved, puts it back; the run
//! says so before its summary.

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

/// Restores the run's working directory if the test that just ran (`test`) moved it.
pub(crate) fn check_after(test: &str) {
    let Some(Some(start)) = START.get() else {
        return;
    };
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
