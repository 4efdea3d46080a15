//! Real servers for tests: [`redis()`] starts a `redis-server`, [`postgres()`] a PostgreSQL
//! cluster, each once per run (a [`per_run`](crate::per_run) resource), lazily, from the
//! machine's binaries, on a free loopback port, with its data in a fresh directory (in
//! memory where `/dev/shm` allows) and tuned for tests (no fsync, no persistence). They stop, and their data is removed, at the end of the
//! run — also when tests failed or timed out — and on Linux they shut themselves down when
//! the test process dies (parent-death signal), so no server outlives its run.
//!
//! `PARTEST_REDIS_URL` / `PARTEST_POSTGRES_URL` point the fixtures at running servers
//! instead. partest depends on no client crate: handles give URLs; bring `redis`,
//! `postgres`, `sqlx`, … yourself.
//!
//! Isolation: [`redis_url()`] is the URL of the database a `redis_isolated` test leased,
//! flushed before the test gets it; [`worker_database`] is a PostgreSQL database per
//! worker, cloned from a template that your migration builds once per run;
//! [`test_database`] is a fresh one per test.
//!
//! Under `cargo nextest run` (a process per test), [`nextest_setup`] starts one set of
//! servers for the whole run as a nextest setup script.

mod binary;
mod cluster;
mod database;
mod error;
pub mod nextest_setup;
mod postgres;
mod process;
mod redis;

pub use database::{test_database, worker_database, Database};
pub use error::ServiceError;
pub use postgres::{postgres, Postgres};
pub use redis::{redis, redis_url, Redis};

/// Where the run's `kind` server is when this process is not to start one: the URL in
/// `var` (an existing server), or in a worker process the coordinator's answer (it starts
/// the run's one server). `None`: start it here.
fn given_url(var: &str, kind: &str) -> Option<Result<String, String>> {
    let url = std::env::var(var).ok().filter(|u| !u.is_empty());
    url.map(Ok)
        .or_else(|| crate::fixtures::coordinator::ask(kind))
}
