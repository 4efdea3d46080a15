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

use std::cell::{Cell, UnsafeCell};
use std::sync::OnceLock;

/// One thread's capture state, in one thread-local: the write path is on every `print!`
/// of every test, and in debug builds (what `cargo test` makes) each thread-local access
/// and each checked slice operation costs.
struct State {
    /// Whether this thread's writes to fds 1 and 2 go to `buffer` now.
    on: Cell<bool>,
    /// Set while `buffer` is being appended to: a write re-entering then (from a signal
    /// handler) goes to the kernel instead.
    busy: Cell<bool>,
    /// Set by [`write`] while [`available`] probes for it.
    probed: Cell<bool>,
    /// What the running test wrote.
    buffer: UnsafeCell<Vec<u8>>,
}

thread_local! {
    static STATE: State = const {
        State {
            on: Cell::new(false),
            busy: Cell::new(false),
            probed: Cell::new(false),
            buffer: UnsafeCell::new(Vec::new()),
        }
    };
}

/// Appends `count` bytes at `bytes` to this thread's buffer if it is capturing.
///
/// # Safety
/// `bytes` points at `count` readable bytes.
#[inline(always)]
unsafe fn capture(bytes: *const u8, count: usize) -> bool {
    STATE
        .try_with(|state| {
            if !state.on.get() || state.busy.replace(true) {
                return false;
            }
            // SAFETY: `busy` makes this the only reference to the buffer; the copy stays
            // within the capacity just reserved (raw memcpy: no debug-build checks).
            unsafe {
                let buffer = &mut *state.buffer.get();
                buffer.reserve(count);
                let len = buffer.len();
                libc::memcpy(
                    buffer.as_mut_ptr().wrapping_add(len).cast(),
                    bytes.cast(),
                    count,
                );
                buffer.set_len(len + count);
            }
            state.busy.set(false);
            true
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
        if count == 0 {
            let _ = STATE.try_with(|s| s.probed.set(true));
            return 0;
        }
        // SAFETY: the caller passes `count` readable bytes at `buf`.
        if unsafe { capture(buf.cast(), count) } {
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
    let capturing = STATE.try_with(|s| s.on.get()).unwrap_or(false);
    if (fd == 1 || fd == 2) && iovcnt > 0 && capturing {
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
        // SAFETY: `all` holds `all.len()` bytes.
        if unsafe { capture(all.as_ptr(), all.len()) } {
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
        STATE.with(|s| s.probed.set(false));
        // A zero-length write through the same symbol std calls.
        // SAFETY: writing zero bytes from a valid pointer.
        let _ = unsafe { libc::write(2, b"".as_ptr().cast(), 0) };
        STATE.with(|s| s.probed.replace(false))
    })
}

/// Starts capturing this thread's writes to fds 1 and 2.
pub(crate) fn start() {
    STATE.with(|s| s.on.set(true));
}

/// Flushes std's stdout buffer into the capture, stops capturing and returns what the
/// thread wrote since [`start`].
pub(crate) fn finish() -> Vec<u8> {
    use std::io::Write as _;
    let _ = std::io::stdout().flush();
    let mut out = STATE.with(|s| {
        s.on.set(false);
        // SAFETY: not capturing any more, so no write holds the buffer.
        std::mem::take(unsafe { &mut *s.buffer.get() })
    });
    let keep = super::capture::KEEP_AT_MOST as usize;
    if out.len() > keep {
        // A test that printed gigabytes: keep its beginning and its end.
        let half = keep / 2;
        let note = super::capture::left_out_note((out.len() - keep) as u64);
        out.splice(half..out.len() - half, note.into_bytes());
    }
    out
}
