//! Records when each test of an example suite ran, so partest's own tests can check the
//! scheduling promises (serial alone, caps, groups) from what happened: with
//! `EXAMPLE_RECORD=FILE` set, [`span`] appends `name<TAB>worker<TAB>start<TAB>end` (unix
//! nanoseconds), then the server URLs the test was given (`PARTEST_REDIS_URL`,
//! `PARTEST_POSTGRES_URL`, empty when unset) per test. Unset, it only runs the body.

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

fn now() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

/// Runs `body`, recording its start and end under the running test's name. The line is
/// written only when `body` returns (a failing test records nothing).
pub fn span<R>(body: impl FnOnce() -> R) -> R {
    let start = now();
    let result = body();
    record(start);
    result
}

/// [`span`] for an async body.
pub async fn span_async<R>(body: impl std::future::Future<Output = R>) -> R {
    let start = now();
    let result = body.await;
    record(start);
    result
}

fn record(start: u128) {
    let Some(path) = std::env::var_os("EXAMPLE_RECORD") else {
        return;
    };
    let url = |var: &str| std::env::var(var).unwrap_or_default();
    let line = format!(
        "{}\t{}\t{start}\t{}\t{}\t{}\n",
        partest::current_test_name().unwrap_or("?"),
        partest::worker_id(),
        now(),
        url("PARTEST_REDIS_URL"),
        url("PARTEST_POSTGRES_URL"),
    );
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .unwrap_or_else(|e| panic!("cannot open EXAMPLE_RECORD {path:?}: {e}"));
    // One write per line: appends from several threads do not interleave.
    file.write_all(line.as_bytes())
        .unwrap_or_else(|e| panic!("cannot write EXAMPLE_RECORD {path:?}: {e}"));
}

/// Prints what a test did, with its worker, the way the suites show their markers.
pub fn say(what: &str) {
    println!("[{}] {what}", partest::worker_id());
}
