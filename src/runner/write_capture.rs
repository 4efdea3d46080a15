//! Per-test capture in parallel runs (Linux): partest defines the `write`, `writev` and
//! `pthread_create` symbols of the test binary, so the writes std makes for fds 1 and 2
//! (`print!`, `eprint!`, panic reports) come here first. A write made by a thread that is
//! running a test with capture on — or by a thread created while a test ran, until that
//! test ends — is appended to the test's buffer; every other write — other fds (the
//! report has its own duplicate of stdout, the crash handler its own of stderr), threads
//! that belong to no running test — goes to the kernel unchanged.
//!
//! What it cannot see: C code writing through glibc's stdio (it calls glibc's internal
//! write), child processes, and a `print!` without a newline that another thread's line
//! flushes out of std's shared stdout buffer first. `--test-threads 1` captures all of it
//! at the fd level.

use std::sync::OnceLock;

// The write path itself is C (write_capture.c, compiled optimised by build.rs): it runs
// for every piece of every print while std's stdout/stderr lock is held.
// Calling any of these links write_capture.c's object, and with it its `write`/`writev`.
extern "C" {
    fn partest_capture_set(on: libc::c_int);
    fn partest_capture_data(len: *mut libc::size_t, dropped: *mut u64) -> *const u8;
    fn partest_capture_clear();
    fn partest_capture_probed() -> libc::c_int;
}

/// Whether std's writes reach partest's `write` in this binary (they do unless the binary
/// or a library linked before partest defines `write` itself). Probed once.
pub(crate) fn available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        // SAFETY: the C functions touch only this thread's state.
        unsafe { partest_capture_probed() };
        // A zero-length write through the symbol std calls.
        // SAFETY: writing zero bytes from a valid pointer.
        let _ = unsafe { libc::write(2, b"".as_ptr().cast(), 0) };
        // SAFETY: as above.
        unsafe { partest_capture_probed() != 0 }
    })
}

/// Starts capturing this thread's writes to fds 1 and 2.
pub(crate) fn start() {
    // SAFETY: touches only this thread's state.
    unsafe { partest_capture_set(1) };
}

/// Flushes std's stdout buffer into the capture, stops capturing and returns what the
/// thread wrote since [`start`].
pub(crate) fn finish() -> Vec<u8> {
    use std::io::Write as _;
    let _ = std::io::stdout().flush();
    // SAFETY: this thread's buffer, read while no write of this thread appends to it
    // (capture is off), then cleared.
    unsafe {
        partest_capture_set(0);
        let (mut len, mut dropped) = (0, 0);
        let data = partest_capture_data(&mut len, &mut dropped);
        let mut out = if len == 0 {
            Vec::new()
        } else {
            std::slice::from_raw_parts(data, len).to_vec()
        };
        partest_capture_clear();
        if dropped > 0 {
            // A test that printed gigabytes: the C side kept its beginning and its end.
            let half = out.len() / 2;
            let note = super::capture_file::left_out_note(dropped);
            out.splice(half..half, note.into_bytes());
        }
        out
    }
}
