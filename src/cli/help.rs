//! The `--help` text: libtest's options, then partest's, then how capture works.

/// The `--help` text for a binary called `program`.
pub fn help(program: &str) -> String {
    format!(
        "Usage: {program} [OPTIONS] [FILTERS...]

A partest test binary. It takes libtest's options, so `cargo test`, `cargo nextest`
and IDE run buttons drive it as they drive any test binary.

Options:
        --include-ignored   Run ignored tests as well as the others
        --ignored           Run only ignored tests
        --exclude-should-panic
                            Leave out tests marked should_panic
        --test              Run tests (the default)
        --bench             Run benchmarks (partest has none: tests show as ignored)
        --list              List the selected tests instead of running them
        --fail-fast         Start no new test after the first failure
    -h, --help              Print this text
        --logfile PATH      Also write one line per result to PATH
        --no-capture, --nocapture
                            Let tests print straight to the terminal
        --test-threads N    Number of worker threads (default: the machine's
                            available parallelism; env RUST_TEST_THREADS)
        --skip FILTER       Leave out tests whose names contain FILTER (repeatable)
    -q, --quiet             Same as --format terse
        --exact             Filters and --skip match whole test names
        --color auto|always|never
                            Colour the results (auto: when stdout is a terminal)
        --format pretty|terse|json|junit
                            pretty: a line per test; terse: a character per test;
                            json: libtest's JSON lines (no -Z needed);
                            junit: a JUnit XML document
        --show-output       Also print the captured output of passing tests
    -Z unstable-options     Accepted for libtest compatibility; not required
        --report-time       Print each test's duration
        --ensure-time       Accepted for libtest compatibility (no effect)
        --shuffle           Run tests in a random order (env RUST_TEST_SHUFFLE)
        --shuffle-seed SEED Run tests in the random order that SEED gives
        --force-run-in-process
                            Accepted for libtest compatibility (tests always run
                            in this process)

Scheduling (partest):
        --dist MODE         load (default; loadgroup and worksteal are the same
                            algorithm here), loadscope (a module's tests on one
                            worker), loadfile (a file's tests on one worker), no
                            (sequential); env PARTEST_DIST
    -x, --exitfirst         Same as --maxfail 1 (and libtest's --fail-fast)
        --maxfail N         Start no test after N failures; the rest are reported
                            as not run
        --heavy-limit N     heavy_resource tests at once (default: a quarter of
                            the workers, at least 1); env PARTEST_HEAVY_LIMIT
        --redis-dbs N|A-B   Databases redis_isolated tests lease: 0 to N-1, or A
                            to B (default 16 = 0-15); env PARTEST_REDIS_DBS
        --max-concurrency MARKER=N
                            At most N tests with MARKER at once (repeatable); env
                            PARTEST_MAX_CONCURRENCY=a=1,b=2
        --resource-pool NAME=K
                            Size of pool NAME for resource(NAME) (repeatable); env
                            PARTEST_RESOURCE_POOLS=a=1,b=2
        --timeout D         Time limit of tests without their own timeout (e.g. 30s;
                            env PARTEST_TIMEOUT). A test past it is reported failed at
                            once and its worker replaced; its thread is abandoned
        --slow-timeout D    Report tests running longer than D, again at each
                            multiple (default 60s, 0 turns it off)
        --run-timeout D     End the run after D: list the running tests, report them
                            timed out, exit 101 (env PARTEST_RUN_TIMEOUT)
        --reruns N          Run a failing test up to N more times (a test's own
                            retries = N wins; env PARTEST_RERUNS); one that then
                            passes is reported FLAKY and does not fail the run
        --reruns-delay D    Wait D before each rerun
        --fail-on-flaky     A FLAKY test fails the run

Selection and reports (partest):
    -m EXPR                 Only tests whose markers match EXPR: marker names, and,
                            or, not, parentheses (pytest's grammar). Built-in
                            markers: serial, serial_KEY, heavy_resource,
                            redis_isolated, group_NAME, resource_NAME
        --strict-markers    A custom marker not declared in the config is an error
        --lf, --last-failed Only the tests that failed last time (all if none did)
        --ff, --failed-first
                            The tests that failed last time first, then the rest
        --partition count:K/N|hash:K/N
                            Run shard K of N (also Bazel's TEST_TOTAL_SHARDS and
                            TEST_SHARD_INDEX)
        --junit PATH        Also write a JUnit XML report (also XML_OUTPUT_FILE)
        --durations N       List the N slowest tests after the summary
        --measure           After the summary: wall time against test time, time
                            workers waited on constraints, each worker's busy share
    -v, --verbose           Show the worker beside each result (test a ... ok [gw3])
        --nextest-config    Print the .config/nextest.toml fragment that makes the
                            markers hold under cargo nextest, and exit

Workers: --test-threads N, else PARTEST_DISABLE_PARALLEL=1 (one worker,
worker_id() = master), else PARTEST_WORKERS (a number or auto), else
RUST_TEST_THREADS, else the available parallelism. Options also come from
partest.toml or [package.metadata.partest] beside the crate's Cargo.toml:
command line > environment > config > defaults.

FILTERS select the tests whose names contain any of them; without filters every
test is selected. Tests run on a pool of worker threads (gw0, gw1, ...): serial
tests first, one at a time, then the rest, longest expected first (durations
recorded by earlier runs of this binary under target/partest/), falling back to
name order; every marker's constraint holds without holding a worker idle.

Output capture:
  With --test-threads 1 a test's stdout and stderr are captured at the file
  descriptor level (threads it spawns and C code included) and shown only if it
  fails, as libtest does. With several threads on Linux, what the test's own
  thread writes to stdout/stderr (print!, eprint!, its panic report) is captured
  per test; threads it spawns and C stdio write to the terminal, never under
  another test's name. Elsewhere only panic reports are captured per test.
"
    )
}
