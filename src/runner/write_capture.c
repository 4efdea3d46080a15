/* The write path of per-test capture in parallel runs (Linux), see write_capture.rs.
 *
 * The test binary's `write` and `writev`: a write to fd 1 or 2 by a thread that is
 * capturing is appended to that thread's buffer; every other write goes to the kernel.
 * It is C, compiled optimised, because it runs for every piece of every `print!` and
 * `eprint!` while std's global stdout/stderr lock is held: in the unoptimised builds
 * that `cargo test` makes, the same code in Rust held that lock several times longer. */

#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

struct capture {
    int on;       /* this thread's writes to fds 1 and 2 go to `data` now */
    int busy;     /* appending now: a write re-entering (a signal handler) goes out */
    int probed;   /* set by a zero-length write, for partest_capture_probe */
    unsigned char *data;
    size_t len;
    size_t cap;
};

/* initial-exec: the object is linked into the test executable, so each access is one
 * thread-pointer-relative load instead of a call to __tls_get_addr (cc builds PIC). */
static __thread struct capture state __attribute__((tls_model("initial-exec")));

/* Appends `count` bytes; 0 when this thread does not capture (or memory ran out). */
static int append(const void *bytes, size_t count) {
    if (!state.on || state.busy)
        return 0;
    state.busy = 1;
    if (state.len + count > state.cap) {
        size_t cap = state.cap ? state.cap : 4096;
        while (cap < state.len + count)
            cap *= 2;
        unsigned char *grown = realloc(state.data, cap);
        if (!grown) {
            state.busy = 0;
            return 0;
        }
        state.data = grown;
        state.cap = cap;
    }
    memcpy(state.data + state.len, bytes, count);
    state.len += count;
    state.busy = 0;
    return 1;
}

ssize_t write(int fd, const void *buf, size_t count) {
    if (state.on && (fd == 1 || fd == 2) && count > 0 && !state.busy) {
        /* The fast path, taken by nearly every piece of a print: room in the buffer.
         * No re-entrancy guard here: a signal handler printing on this very thread in
         * the middle of these few instructions could garble that one piece, nothing
         * more (the capacity check keeps every write in bounds). */
        size_t len = state.len;
        if (count <= state.cap - len) {
            memcpy(state.data + len, buf, count);
            state.len = len + count;
            return (ssize_t)count;
        }
        if (append(buf, count))
            return (ssize_t)count;
    }
    if ((fd == 1 || fd == 2) && count == 0) {
        state.probed = 1;
        return 0;
    }
    return syscall(SYS_write, fd, buf, count);
}

ssize_t writev(int fd, const struct iovec *iov, int iovcnt) {
    if ((fd == 1 || fd == 2) && iovcnt > 0 && state.on && !state.busy) {
        size_t total = 0;
        int i;
        for (i = 0; i < iovcnt; i++) {
            if (!append(iov[i].iov_base, iov[i].iov_len)) {
                /* Out of memory: the rest goes out, as written. */
                ssize_t rest = syscall(SYS_writev, fd, iov + i, iovcnt - i);
                return rest < 0 ? (total ? (ssize_t)total : rest) : (ssize_t)total + rest;
            }
            total += iov[i].iov_len;
        }
        return (ssize_t)total;
    }
    return syscall(SYS_writev, fd, iov, iovcnt);
}

/* Starts (1) or stops (0) capturing this thread's writes. */
void partest_capture_set(int on) { state.on = on; }

/* This thread's captured bytes; `*len` receives their count. */
const unsigned char *partest_capture_data(size_t *len) {
    *len = state.len;
    return state.data;
}

/* Forgets this thread's captured bytes (the memory is kept for the next test). */
void partest_capture_clear(void) { state.len = 0; }

/* Whether a zero-length write reached this `write` since the last call. */
int partest_capture_probed(void) {
    int probed = state.probed;
    state.probed = 0;
    return probed;
}
