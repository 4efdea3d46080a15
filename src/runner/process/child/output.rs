//! What a worker process wrote: std's backtrace note kept once per run, and what leftover
//! threads wrote between tests passed on to the real stderr.

use crate::runner::capture_file::CaptureFile;
use crate::runner::panic_hook::BACKTRACE_NOTE;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether a test's output already carried std's backtrace note: a run shows it once, as
/// libtest's one process does, however many worker processes printed it.
static NOTE_SHOWN: AtomicBool = AtomicBool::new(false);

/// `output` with std's backtrace note removed unless it is the run's first.
pub(super) fn once_per_run(mut output: Vec<u8>) -> Vec<u8> {
    let note = BACKTRACE_NOTE.as_bytes();
    if let Some(at) = output.windows(note.len()).position(|w| w == note) {
        if NOTE_SHOWN.swap(true, Ordering::Relaxed) {
            output.drain(at..at + note.len());
        }
    }
    output
}

/// Writes what the worker wrote since the last test ended (a thread left running, a
/// teardown) to the real stderr, and empties the capture file for the next test.
pub(super) fn forward_leftovers(file: &CaptureFile) {
    if let Ok(text) = file.take() {
        if !text.is_empty() {
            let _ = io::stderr().lock().write_all(&text);
        }
    }
    // The worker is idle: nothing writes to the file now.
    let _ = file.empty();
}
