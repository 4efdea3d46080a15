/* The write path of per-test capture in parallel runs (Linux), see write_capture.rs.
 *
 * The test binary's `write`, `writev` and `pthread_create`. A thread running a test writes
 * into that test's sink; a thread created while a test runs (by the test or by a thread it
 * created) writes into the same sink, in the order written, until the test ends; after
 * that its writes go to the kernel. Every other write goes to the kernel unchanged.
 * It is C, compiled optimised, because it runs for every piece of every `print!` and
 * `eprint!` while std's global stdout/stderr lock is held: in the unoptimised builds
 * that `cargo test` makes, the same code in Rust held that lock several times longer. */

#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

/* One test's captured bytes, shared with the threads the test created. */
struct sink {
    atomic_int refs;      /* the test thread's reference and one per thread it created */
    int shared;           /* set once a thread inherited it: writers take `lock` */
    int open;             /* the test still runs (read and written under `lock` when shared) */
    pthread_mutex_t lock;
    unsigned char *data;
    size_t len;
    size_t cap;
    /* Past KEEP bytes: data[HALF..KEEP] is a ring holding the latest HALF bytes, its
     * oldest at `ring`; `dropped` counts the bytes left out between head and tail. */
    size_t ring;
    unsigned long long dropped;
};

/* What a test's capture keeps (capture_file.rs's KEEP_AT_MOST): its first HALF bytes and its
 * last HALF, so a test printing gigabytes costs KEEP bytes of memory, not gigabytes. */
#define KEEP ((size_t)8 << 20)
#define HALF (KEEP / 2)

/* initial-exec: the object is linked into the test executable, so each access is one
 * thread-pointer-relative load instead of a call to __tls_get_addr (cc builds PIC). */
#define TLS static __thread __attribute__((tls_model("initial-exec")))
TLS struct sink *current;   /* where this thread's writes to fds 1 and 2 go, if anywhere */
TLS struct sink *own;       /* the sink of the test this thread runs (kept for the next) */
TLS int busy;               /* appending now: a write re-entering (a signal handler) goes out */
TLS int probed;             /* set by a zero-length write, for partest_capture_probe */
TLS int no_inherit;         /* threads created now do not inherit (shared resources) */

static void release(struct sink *s) {
    if (atomic_fetch_sub(&s->refs, 1) == 1) {
        pthread_mutex_destroy(&s->lock);
        free(s->data);
        free(s);
    }
}

/* Past KEEP: writes `count` bytes into the tail ring, dropping its oldest bytes. */
static void append_to_ring(struct sink *s, const unsigned char *bytes, size_t count) {
    s->dropped += count;
    if (count > HALF) {
        bytes += count - HALF; /* only the last HALF bytes can stay */
        count = HALF;
    }
    unsigned char *ring = s->data + HALF;
    size_t first = HALF - s->ring < count ? HALF - s->ring : count;
    memcpy(ring + s->ring, bytes, first);
    memcpy(ring, bytes + first, count - first);
    s->ring = (s->ring + count) % HALF;
}

/* Appends `count` bytes to `s` (its lock held, or unshared); 0 when out of memory. */
static int append(struct sink *s, const void *bytes, size_t count) {
    if (s->len + count > KEEP) {
        /* Fill up to KEEP, then the ring takes the rest. */
        size_t room = KEEP - s->len;
        if (room && !append(s, bytes, room))
            return 0;
        append_to_ring(s, (const unsigned char *)bytes + room, count - room);
        return 1;
    }
    if (s->len + count > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < s->len + count)
            cap *= 2;
        if (cap > KEEP)
            cap = KEEP;
        unsigned char *grown = realloc(s->data, cap);
        if (!grown)
            return 0;
        s->data = grown;
        s->cap = cap;
    }
    memcpy(s->data + s->len, bytes, count);
    s->len += count;
    return 1;
}

/* Appends the `iovcnt` pieces to this thread's sink; how many bytes it took (a piece
 * that does not fit in memory, and the rest, are left: the caller writes them out),
 * or -1 when the sink is closed or busy (everything goes out). */
static ssize_t capture(const struct iovec *iov, int iovcnt) {
    struct sink *s = current;
    if (busy)
        return -1;
    busy = 1;
    int locked = s->shared;
    if (locked)
        pthread_mutex_lock(&s->lock);
    ssize_t taken = -1;
    if (s->open) {
        taken = 0;
        for (int i = 0; i < iovcnt && append(s, iov[i].iov_base, iov[i].iov_len); i++)
            taken += (ssize_t)iov[i].iov_len;
    }
    if (locked)
        pthread_mutex_unlock(&s->lock);
    busy = 0;
    return taken;
}

/* Everything `write` does beyond the fast path: a shared or full sink, the probe, and
 * writes that go to the kernel. Kept out of line so the fast path saves no registers. */
static __attribute__((noinline)) ssize_t write_slow(int fd, const void *buf, size_t count) {
    if (current && (fd == 1 || fd == 2) && count > 0) {
        struct iovec one = {(void *)buf, count};
        if (capture(&one, 1) == (ssize_t)count)
            return (ssize_t)count;
    }
    if ((fd == 1 || fd == 2) && count == 0) {
        probed = 1;
        return 0;
    }
    return syscall(SYS_write, fd, buf, count);
}

ssize_t write(int fd, const void *buf, size_t count) {
    struct sink *s = current;
    /* The fast path, taken by nearly every piece of a print of a test that created no
     * thread: room in its own buffer. The bytes are reserved before they are copied, so a
     * signal handler printing on this very thread in between appends after them; there is
     * no other re-entrancy guard (the capacity check keeps every write in bounds). */
    if (s && (unsigned)(fd - 1) <= 1u && count - 1 < s->cap - s->len && !s->shared && !busy) {
        size_t len = s->len;
        s->len = len + count;
        memcpy(s->data + len, buf, count);
        return (ssize_t)count;
    }
    return write_slow(fd, buf, count);
}

ssize_t writev(int fd, const struct iovec *iov, int iovcnt) {
    if (current && (fd == 1 || fd == 2) && iovcnt > 0) {
        ssize_t taken = capture(iov, iovcnt);
        if (taken >= 0) {
            size_t total = 0;
            int i;
            for (i = 0; i < iovcnt && total < (size_t)taken; i++)
                total += iov[i].iov_len;
            if (i == iovcnt)
                return taken;
            /* Out of memory: the rest goes out, as written. */
            ssize_t rest = syscall(SYS_writev, fd, iov + i, iovcnt - i);
            return rest < 0 ? (taken ? taken : rest) : taken + rest;
        }
    }
    return syscall(SYS_writev, fd, iov, iovcnt);
}

/* A thread created while a test ran: what it runs, and the sink it inherits. */
struct start {
    void *(*routine)(void *);
    void *arg;
    struct sink *sink;
};

static void *start_with_sink(void *p) {
    struct start start = *(struct start *)p;
    free(p);
    current = start.sink;
    void *result = start.routine(start.arg);
    current = NULL;
    release(start.sink);
    return result;
}

#ifdef __GLIBC__
typedef int (*create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

int pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*routine)(void *),
                   void *arg) {
    static _Atomic(create_fn) real;
    create_fn create = atomic_load(&real);
    if (!create) {
        create = (create_fn)dlsym(RTLD_NEXT, "pthread_create");
        atomic_store(&real, create);
    }
    struct sink *s = current;
    struct start *start = s && !no_inherit ? malloc(sizeof *start) : NULL;
    if (!start)
        return create(thread, attr, routine, arg);
    start->routine = routine;
    start->arg = arg;
    start->sink = s;
    atomic_fetch_add(&s->refs, 1);
    if (!s->shared) {
        /* From now on the creator appends under the lock too. */
        pthread_mutex_lock(&s->lock);
        s->shared = 1;
        pthread_mutex_unlock(&s->lock);
    }
    int failed = create(thread, attr, start_with_sink, start);
    if (failed) {
        release(s);
        free(start);
    }
    return failed;
}
#endif

/* A child forked without exec keeps nothing of its parent's capture. */
static void forget_after_fork(void) {
    current = NULL;
    own = NULL;
}

static struct sink *new_sink(void) {
    struct sink *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    atomic_init(&s->refs, 1);
    pthread_mutex_init(&s->lock, NULL);
    return s;
}

static pthread_once_t at_fork_once = PTHREAD_ONCE_INIT;
static void register_at_fork(void) { pthread_atfork(NULL, NULL, forget_after_fork); }

/* Starts (1) or stops (0) capturing this thread's writes, and with them the writes of
 * the threads it creates meanwhile. */
void partest_capture_set(int on) {
    if (!on) {
        struct sink *s = current;
        if (s && s->shared) {
            pthread_mutex_lock(&s->lock);
            s->open = 0;
            pthread_mutex_unlock(&s->lock);
        } else if (s) {
            s->open = 0;
        }
        current = NULL;
        return;
    }
    pthread_once(&at_fork_once, register_at_fork);
    if (!own) {
        own = new_sink();
        if (!own)
            return; /* out of memory: the test's writes go out */
    }
    own->len = 0;
    own->ring = 0;
    own->dropped = 0;
    own->open = 1;
    current = own;
}

/* Reverses `n` bytes at `p` in place. */
static void reverse(unsigned char *p, size_t n) {
    for (size_t i = 0; i < n / 2; i++) {
        unsigned char t = p[i];
        p[i] = p[n - 1 - i];
        p[n - 1 - i] = t;
    }
}

/* This thread's captured bytes (of the test that just ended), in the order written;
 * `*len` receives their count and `*dropped` how many bytes were left out between the
 * first and the last HALF (0 when nothing was). */
const unsigned char *partest_capture_data(size_t *len, unsigned long long *dropped) {
    *len = own ? own->len : 0;
    *dropped = own ? own->dropped : 0;
    if (own && own->dropped && own->ring) {
        unsigned char *ring = own->data + HALF;
        reverse(ring, own->ring);
        reverse(ring + own->ring, HALF - own->ring);
        reverse(ring, HALF);
        own->ring = 0;
    }
    return own ? own->data : NULL;
}

/* Forgets this thread's captured bytes. The sink is kept for the next test unless a
 * thread the test created still holds it: then that thread keeps it, closed. */
void partest_capture_clear(void) {
    if (!own)
        return;
    own->len = 0;
    own->ring = 0;
    own->dropped = 0;
    if (own->shared) {
        release(own);
        own = NULL;
    } else if (own->cap > ((size_t)1 << 20)) {
        /* A test printed megabytes: give them back rather than keep them per thread. */
        free(own->data);
        own->data = NULL;
        own->cap = 0;
    }
}

/* Whether a zero-length write reached this `write` since the last call. */
int partest_capture_probed(void) {
    int was = probed;
    probed = 0;
    return was;
}

/* Stops (0) or resumes (1) handing this thread's capture to the threads it creates:
 * threads of resources shared beyond the test (per_worker, per_run) belong to no test. */
void partest_capture_inherit(int on) { no_inherit = !on; }
