/* Counts changes of the working directory (Linux): partest defines `chdir` and `fchdir`
 * in the test binary, so std::env::set_current_dir (and C code calling them) passes here
 * first, then makes the system call. After each test cwd.rs compares the count with the
 * last one it saw and stats "." only when it moved — or after every test, when a probe at
 * the start of the run found these never called (a library linked first defines them).
 * A system call made directly (syscall(SYS_chdir, ...)) is not counted. */

#include <stdatomic.h>
#include <sys/syscall.h>
#include <unistd.h>

static atomic_ulong changes;

/* Counted after the call: a check that sees the new count also sees the new directory. */
int chdir(const char *path) {
    int done = (int)syscall(SYS_chdir, path);
    atomic_fetch_add_explicit(&changes, 1, memory_order_release);
    return done;
}

int fchdir(int fd) {
    int done = (int)syscall(SYS_fchdir, fd);
    atomic_fetch_add_explicit(&changes, 1, memory_order_release);
    return done;
}

/* How many times chdir or fchdir was called in this process. */
unsigned long partest_cwd_changes(void) {
    return atomic_load_explicit(&changes, memory_order_acquire);
}
