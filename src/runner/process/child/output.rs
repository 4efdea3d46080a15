//! What a worker process wrote: std's backtrace note kept once per run, and what leftover
//! threads wrote between tests passed on to the real stderr.

use crate::runner::capture::kept_output;
use crate::runner::panic_hook::BACKTRACE_NOTE;
use std::fs::File;
use std::io::{self, Seek, SeekFrom, Write};
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
pub(super) fn forward_leftovers(file: &mut File, read: &mut u64) {
    let size = file.metadata().map_or(*read, |m| m.len());
    if size == 0 {
        // Nothing written since the file was last emptied.
        *read = 0;
        return;
    }
    if size > *read {
        if let Ok(text) = kept_output(file, *read, size) {
            let _ = io::stderr().lock().write_all(&text);
        }
    }
    // The worker is idle: moving the shared offset back to 0 is safe.
    if file.set_len(0).is_ok() && file.seek(SeekFrom::Start(0)).is_ok() {
        *read = 0;
    } else {
        *read = size;
    }
}
