//! Identity of the run and of the worker running a test, like pytest-xdist's
//! `worker_id` / `testrun_uid`: [`worker_id`], [`worker_index`], [`worker_count`],
//! [`testrun_uid`], [`current_test_name`].

use std::cell::Cell;
use std::sync::OnceLock;

/// Facts fixed for the whole run.
#[derive(Debug)]
pub(crate) struct RunInfo {
    /// One id per run, the same in every worker.
    pub(crate) uid: String,
    /// Number of workers.
    pub(crate) workers: usize,
    /// Sequential run: `worker_id()` is `"master"`.
    pub(crate) sequential: bool,
    /// Worker index given by an outer runner (nextest's global slot).
    pub(crate) outer_slot: Option<usize>,
}

static RUN: OnceLock<RunInfo> = OnceLock::new();

thread_local! {
    static WORKER: Cell<Option<usize>> = const { Cell::new(None) };
    static TEST: Cell<Option<&'static str>> = const { Cell::new(None) };
}

/// Records the run's facts; the first call wins (a process runs one suite).
pub(crate) fn init_run(workers: usize, sequential: bool) -> &'static RunInfo {
    RUN.get_or_init(|| {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let uid = env("NEXTEST_RUN_ID")
            .or_else(|| env("PARTEST_TESTRUN_UID"))
            .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
        let outer_slot = env("NEXTEST_TEST_GLOBAL_SLOT").and_then(|s| s.parse().ok());
        RunInfo {
            uid,
            workers,
            sequential: sequential && outer_slot.is_none(),
            outer_slot,
        }
    })
}

/// Marks the current thread as worker `index` for the rest of its life.
pub(crate) fn enter_worker(index: usize) {
    WORKER.with(|w| w.set(Some(index)));
}

/// Sets (or clears) the test the current thread is running.
pub(crate) fn set_current_test(name: Option<&'static str>) {
    TEST.with(|t| t.set(name));
}

/// The worker running the current test: `"gw0"`, `"gw1"`, … or `"master"` when the run is
/// sequential (`--test-threads 1`) or when called outside a worker. Under nextest it is
/// `gw{NEXTEST_TEST_GLOBAL_SLOT}`.
pub fn worker_id() -> String {
    let run = RUN.get();
    if let Some(slot) = run.and_then(|r| r.outer_slot) {
        return format!("gw{slot}");
    }
    match (WORKER.with(Cell::get), run) {
        (Some(index), Some(run)) if !run.sequential => format!("gw{index}"),
        _ => "master".to_owned(),
    }
}

/// The index behind [`worker_id`]: `N` for `gwN`, `0` for `master`.
pub fn worker_index() -> usize {
    let run = RUN.get();
    run.and_then(|r| r.outer_slot)
        .or_else(|| WORKER.with(Cell::get))
        .unwrap_or(0)
}

/// Number of workers in this run (1 when sequential or before the run starts).
pub fn worker_count() -> usize {
    RUN.get().map_or(1, |r| r.workers)
}

/// An id for the whole run, the same in every worker: `NEXTEST_RUN_ID` under nextest,
/// `PARTEST_TESTRUN_UID` when set, otherwise a fresh UUID v4 as 32 hex digits.
pub fn testrun_uid() -> String {
    match RUN.get() {
        Some(run) => run.uid.clone(),
        None => init_run(1, true).uid.clone(),
    }
}

/// The name of the test running on this thread (libtest's name, e.g. `db::migrates`),
/// or `None` outside a test.
pub fn current_test_name() -> Option<&'static str> {
    TEST.with(Cell::get)
}

thread_local! {
    static LEASES: std::cell::RefCell<Vec<(&'static str, u32)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Records the pool slots the current test holds (pool name, slot index).
pub(crate) fn set_leases(slots: Vec<(&'static str, u32)>) {
    LEASES.with(|l| *l.borrow_mut() = slots);
}

fn leased(pool: &str) -> Option<u32> {
    LEASES.with(|l| l.borrow().iter().find(|(p, _)| *p == pool).map(|(_, s)| *s))
}

/// The Redis database index this test leased (`0..16` by default, see `--redis-dbs`).
/// No two running tests hold the same index.
///
/// # Panics
/// When the running test is not marked `redis_isolated`, or outside a test.
pub fn redis_db() -> u32 {
    leased(crate::scheduler::REDIS_POOL).unwrap_or_else(|| match current_test_name() {
        Some(test) => panic!(
            "partest::redis_db() was called by `{test}`, which is not marked redis_isolated; \
             write #[partest::test(redis_isolated)] to lease a Redis database"
        ),
        None => panic!("partest::redis_db() was called outside a partest test"),
    })
}

/// The slot of pool `name` this test leased (`0..K` for `resource(name, count = K)`).
/// No two running tests hold the same slot of a pool.
///
/// # Panics
/// When the running test did not declare `resource(name)`, or outside a test.
pub fn resource_slot(name: &str) -> u32 {
    leased(name).unwrap_or_else(|| match current_test_name() {
        Some(test) => panic!(
            "partest::resource_slot({name:?}) was called by `{test}`, which does not declare \
             resource({name}); write #[partest::test(resource({name}))] to lease a slot"
        ),
        None => panic!("partest::resource_slot({name:?}) was called outside a partest test"),
    })
}
