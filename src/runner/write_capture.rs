//! Per-test capture in parallel runs (Linux): partest defines the `write` and `writev`
//! symbols of the test binary, so the writes std makes for fds 1 and 2 (`print!`,
//! `eprint!`, panic reports) come here first. A write made by a thread that is running a
//! test with capture on is appended to that thread's buffer; every other write — other
//! fds (the report has its own duplicate of stdout, the crash handler its own of
//! stderr), threads that run no test — goes to the kernel unchanged.
//!
//! What it cannot see: threads a test spawns (they run no test: their writes go to the
//! real stream), C code writing through glibc's stdio (it calls glibc's internal write),
//! and a `print!` without a newline that another thread's line flushes out of std's
//! shared stdout buffer first. `--test-threads 1` captures all of it at the fd level.

use std::cell::{Cell, RefCell};
use std::sync::OnceLock;

thread_local! {
    /// Whether this thread's writes to fds 1 and 2 go to [`BUFFER`] now.
    static CAPTURING: Cell<bool> = const { Cell::new(false) };
    /// Set by [`write`] while [`available`] probes for it.
    static PROBED: Cell<bool> = const { Cell::new(false) };
    /// What the running test wrote.
    static BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Appends `bytes` to this thread's buffer if it is capturing; `false` otherwise.
fn capture(bytes: &[u8]) -> bool {
    if !CAPTURING.try_with(Cell::get).unwrap_or(false) {
        return false;
    }
    BUFFER
        .try_with(|b| match b.try_borrow_mut() {
            Ok(mut buffer) => {
                buffer.extend_from_slice(bytes);
                true
            }
            Err(_) => false,
        })
        .unwrap_or(false)
}

/// The binary's `write(2)`: fds 1 and 2 of a capturing thread go to its buffer.
///
/// # Safety
/// As `write(2)`: `buf` points at `count` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn write(
    fd: libc::c_int,
    buf: *const libc::c_void,
    count: libc::size_t,
) -> libc::ssize_t {
    if fd == 1 || fd == 2 {
        if count == 0 && PROBED.try_with(|p| p.replace(true)).is_ok() {
            return 0;
        }
        // SAFETY: the caller passes `count` readable bytes at `buf`.
        let bytes = unsafe { std::slice::from_raw_parts(buf.cast::<u8>(), count) };
        if count > 0 && capture(bytes) {
            return count as libc::ssize_t;
        }
    }
    // SAFETY: the raw system call with the caller's arguments.
    unsafe { libc::syscall(libc::SYS_write, fd, buf, count) as libc::ssize_t }
}

/// The binary's `writev(2)`: fds 1 and 2 of a capturing thread go to its buffer.
///
/// # Safety
/// As `writev(2)`: `iov` points at `iovcnt` valid `iovec`s.
#[no_mangle]
pub unsafe extern "C" fn writev(
    fd: libc::c_int,
    iov: *const libc::iovec,
    iovcnt: libc::c_int,
) -> libc::ssize_t {
    if (fd == 1 || fd == 2) && iovcnt > 0 && CAPTURING.try_with(Cell::get).unwrap_or(false) {
        // SAFETY: the caller passes `iovcnt` valid iovecs.
        let parts = unsafe { std::slice::from_raw_parts(iov, iovcnt as usize) };
        let mut total = 0usize;
        let mut all = Vec::new();
        for part in parts {
            // SAFETY: each iovec describes `iov_len` readable bytes.
            let bytes =
                unsafe { std::slice::from_raw_parts(part.iov_base.cast::<u8>(), part.iov_len) };
            all.extend_from_slice(bytes);
            total += part.iov_len;
        }
        if capture(&all) {
            return total as libc::ssize_t;
        }
    }
    // SAFETY: the raw system call with the caller's arguments.
    unsafe { libc::syscall(libc::SYS_writev, fd, iov, iovcnt) as libc::ssize_t }
}

/// Whether std's writes reach [`write`] in this binary (they do unless the binary or a
/// library linked before partest defines `write` itself). Probed once.
pub(crate) fn available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        // Naming our `write` makes sure the object defining it is linked in.
        std::hint::black_box(write as unsafe extern "C" fn(_, _, _) -> _);
        PROBED.with(|p| p.set(false));
        // A zero-length write through the same symbol std calls.
        // SAFETY: writing zero bytes from a valid pointer.
        let _ = unsafe { libc::write(2, b"".as_ptr().cast(), 0) };
        PROBED.with(|p| p.replace(false))
    })
}

/// Starts capturing this thread's writes to fds 1 and 2.
pub(crate) fn start() {
    CAPTURING.with(|c| c.set(true));
}

/// Flushes std's stdout buffer into the capture, stops capturing and returns what the
/// thread wrote since [`start`].
pub(crate) fn finish() -> Vec<u8> {
    use std::io::Write as _;
    let _ = std::io::stdout().flush();
    CAPTURING.with(|c| c.set(false));
    let mut out = BUFFER.with(|b| std::mem::take(&mut *b.borrow_mut()));
    let keep = super::capture::KEEP_AT_MOST as usize;
    if out.len() > keep {
        // A test that printed gigabytes: keep its beginning and its end.
        let half = keep / 2;
        let note = super::capture::left_out_note((out.len() - keep) as u64);
        out.splice(half..out.len() - half, note.into_bytes());
    }
    out
}
