//! partest: a test harness for `harness = false` test targets that speaks libtest's
//! command line and output, runs tests on an in-process pool of worker threads, and
//! understands xdist-style markers (`serial`, `heavy_resource`, `redis_isolated`, groups,
//! custom markers).
//!
//! ```toml
//! [dev-dependencies]
//! partest = "0.1"
//!
//! [[test]]
//! name = "integration"
//! harness = false
//! ```
//!
//! ```no_run
//! #[partest::test]
//! fn adds() {
//!     assert_eq!(1 + 1, 2);
//! }
//!
//! #[partest::test(should_panic(expected = "out of range"))]
//! fn rejects() {
//!     panic!("index out of range");
//! }
//!
//! partest::main!();
//! ```
//!
//! # Output capture
//! A failing test's output is shown under its name and a passing test's is hidden, as
//! libtest does. With `--test-threads 1` capture is at the file-descriptor level (threads a
//! test spawns and C code included); with several threads on Linux it covers what the
//! test's thread and the threads created while it runs write (partest defines the binary's
//! `write`, `writev` and `pthread_create`); elsewhere only panic reports are captured per
//! test. See the README's "Differences from libtest".
//!
//! # Real servers
//! [`services`] starts `redis-server` and PostgreSQL for a run and hands out per-test and
//! per-worker databases.
//!
//! # Modules, one job each
//! A run flows through them in this order (no two sibling modules depend on each other;
//! `tests/module_deps.rs` checks it):
//! - `registry`: the tests the macro put in the linker section, named as libtest names them;
//! - `cli` (with `cli/options.rs`, the one table of settings), `config`, `dist`, `duration`:
//!   what the user asked for — command line, then environment, then config file;
//! - `filter`, `markers`, `select`, `history`: which tests run, in which order to prefer;
//! - `scheduler`: the pure admission rules of the markers (see its README);
//! - `runner`: worker threads, the worker board they share with the watchdog
//!   (`runner/board.rs`), one test's execution, capture, crash naming;
//! - `event`: the only interface from the runner to the reporter;
//! - `report`: every output format, the counts, the live status line;
//! - `fixtures`, `services`: what a running test can ask for;
//! - `nextest`: the bridge to cargo-nextest; `entry`, `conclusion`: the glue and the exit code.

mod claims;
mod cli;
mod conclusion;
mod config;
mod constraints;
mod dist;
mod duration;
mod entry;
mod error;
mod event;
mod filter;
mod fixtures;
mod history;
mod isolation;
mod manifest;
mod markers;
mod nextest;
mod order;
mod outcome;
mod output_files;
mod plan;
mod registry;
mod report;
mod run_locks;
mod runner;
mod scheduler;
mod select;
#[cfg(unix)]
pub mod services;
mod session;
pub mod timeline;
#[cfg(unix)]
mod workspace;

pub use cli::{
    help, Arguments, CliError, ColorConfig, Format, Partition, ReportArgs, RunIgnored,
    SchedulingArgs, SelectionArgs,
};
pub use conclusion::Conclusion;
pub use config::ConfigError;
pub use dist::Dist;
pub use entry::{main, run};
pub use error::Error;
pub use fixtures::env;
pub use fixtures::identity::{
    current_test_name, redis_db, resource_slot, testrun_uid, worker_count, worker_id, worker_index,
};
pub use fixtures::rate_limit::{rate_limiter, Attempt, Permit, RateLimiter, RetryPolicy};
pub use fixtures::resources::{per_run, per_worker, per_worker_async};
pub use fixtures::temp::temp_dir;
pub use fixtures::unique::{unique_name, unique_test_id};
pub use fixtures::worker_runtime::on_worker_runtime;
pub use isolation::Isolation;
pub use markers::{MarkerExpr, MarkerExprError};
pub use outcome::IntoTestResult;
pub use registry::RegistryError;
pub use scheduler::ConstraintError;
pub use select::SelectError;

/// Registers a function as a test.
///
/// Arguments (all optional, any order): `serial`, `serial(key, ...)`, `heavy_resource`,
/// `redis_isolated`, `group = "name"`, `markers(name, ...)`, `ignore`, `ignore = "reason"`,
/// `should_panic`, `should_panic(expected = "...")`, `timeout = "30s"`, `retries = N`,
/// `resource(name)`, `resource(name, count = K)`. The function takes no arguments and returns
/// `()` or `Result<(), E>` with `E: Debug`. Misuse is a compile error at the offending token.
pub use partest_macros::test;

/// test-case's `#[test_case(...)]` as partest tests, with test-case's names
/// (`tc::test_case_1_one`): one attribute per case, `args` or `args ; "description"`.
/// Every case calls the function with its arguments; a `#[partest::test(...)]` on the
/// function gives each case its markers. test-case's `=>` expectations are a compile error
/// (assert in the body).
///
/// ```ignore
/// #[partest::test_case(1 ; "one")]
/// #[partest::test_case(2 ; "two")]
/// #[partest::test(markers(unit))]
/// fn doubles(x: u32) { assert_eq!(x * 2 / 2, x); }
/// ```
pub use partest_macros::test_case;

/// Defines `fn main()` as [`main()`](crate::main()): the whole entry point of a test binary.
///
/// It also makes sure no test of the target vanishes: the build fails, listing file, line,
/// form and fix, for every item in the target's module tree that rustc would drop without
/// libtest's harness (std's `#[test]`, `#[tokio::test]`, test-case's cases, a bare
/// `#[rstest]`, `#[test]` in `proptest!` or a `macro_rules!` generator), and a target built
/// with libtest's harness by mistake fails with a test that names `harness = false`.
pub use partest_macros::main;

/// Expands to nothing with the `tokio` feature, else to an error saying to turn it on
/// (what `flavor` and `worker_threads` need). Not a public API.
#[cfg(feature = "tokio")]
#[doc(hidden)]
#[macro_export]
macro_rules! __partest_require_tokio {
    () => {};
}

/// Expands to nothing with the `tokio` feature, else to an error saying to turn it on
/// (what `flavor` and `worker_threads` need). Not a public API.
#[cfg(not(feature = "tokio"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __partest_require_tokio {
    () => {
        ::core::compile_error!(
            "tokio's runtime arguments need partest's `tokio` feature: \
             partest = { version = \"…\", features = [\"tokio\"] } in [dev-dependencies]"
        );
    };
}

/// Expands to nothing with the `tokio-test-util` feature, else to an error saying to turn
/// it on (what `start_paused` needs). Not a public API.
#[cfg(feature = "tokio-test-util")]
#[doc(hidden)]
#[macro_export]
macro_rules! __partest_require_tokio_test_util {
    () => {};
}

/// Expands to nothing with the `tokio-test-util` feature, else to an error saying to turn
/// it on (what `start_paused` needs). Not a public API.
#[cfg(not(feature = "tokio-test-util"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __partest_require_tokio_test_util {
    () => {
        ::core::compile_error!(
            "`start_paused` needs partest's `tokio-test-util` feature (tokio's test-util): \
             partest = { version = \"…\", features = [\"tokio-test-util\"] } in [dev-dependencies]"
        );
    };
}

/// What `cargo partest` drives: several test binaries under one scheduler. Not a stable
/// API: the `cargo-partest` binary is its one user.
#[cfg(unix)]
#[doc(hidden)]
pub mod __workspace {
    pub use crate::workspace::{doctests, run, Binary};
}

/// Support for the macros' generated code. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::constraints::{Concurrency, ResourceUse};
    pub use crate::outcome::IntoTestResult;
    pub use crate::registry::{
        boxed_test, AsyncRuntime, Ignore, ShouldPanic, TestDef, TestFn, TestFuture,
    };
    pub use crate::{
        __partest_require_tokio as require_tokio,
        __partest_require_tokio_test_util as require_tokio_test_util,
    };
    pub use std::process::ExitCode;
}
