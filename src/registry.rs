//! The static test descriptors the macro registers ([`TestDef`], one per test, in a linker
//! section: see [`section`]) and their collection into
//! their libtest names (the run's list of tests is built in `plan.rs`).

use crate::constraints::{Concurrency, ResourceUse};
use std::fmt;
use std::time::Duration;

/// How a test body is called.
#[derive(Clone, Copy, Debug)]
pub enum TestFn {
    /// `fn() -> ()`.
    Plain(fn()),
    /// `fn() -> Result<(), E>`, wrapped so that `Err(e)` becomes `Err("Error: {e:?}")`.
    Fallible(fn() -> Result<(), String>),
    /// `async fn`: builds the test's future, run on the worker's runtime.
    Async(fn() -> TestFuture),
}

/// An async test's future, boxed, its output converted like a sync test's.
pub type TestFuture = std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), String>>>>;

/// Boxes an async test's future (generated code calls this).
pub fn boxed_test<F>(future: F) -> TestFuture
where
    F: std::future::Future + 'static,
    F::Output: crate::IntoTestResult,
{
    Box::pin(async move { crate::IntoTestResult::into_test_result(future.await) })
}

/// The tokio runtime an async test runs on, from `#[partest::test(flavor = …,
/// worker_threads = …, start_paused = …)]` (tokio's `#[tokio::test]` arguments).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AsyncRuntime {
    /// `flavor = "multi_thread"`.
    pub multi_thread: bool,
    /// `worker_threads = N`; 0 for tokio's default.
    pub worker_threads: u16,
    /// `start_paused = true`.
    pub start_paused: bool,
}

impl AsyncRuntime {
    /// A current-thread runtime whose clock runs: `#[tokio::test]`'s default.
    pub const DEFAULT: AsyncRuntime = AsyncRuntime {
        multi_thread: false,
        worker_threads: 0,
        start_paused: false,
    };
}

/// Whether and why a test is ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ignore {
    /// Not ignored.
    No,
    /// `ignore`.
    Yes,
    /// `ignore = "reason"`.
    WithReason(&'static str),
}

/// What a test expects of a panic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShouldPanic {
    /// It must not panic.
    No,
    /// `should_panic`: it must panic.
    Yes,
    /// `should_panic(expected = "...")`: its panic message must contain this text.
    WithMessage(&'static str),
}

/// A test as the `#[partest::test]` macro registers it: const-constructed, one static per test.
#[derive(Debug)]
pub struct TestDef {
    /// The function's name.
    pub name: &'static str,
    /// `module_path!()` at the function, crate name included.
    pub module_path: &'static str,
    /// `file!()` at the function.
    pub file: &'static str,
    /// Line of the function's name.
    pub line: u32,
    /// Column of the function's name.
    pub column: u32,
    /// The body.
    pub run: TestFn,
    /// `ignore` / `ignore = "reason"`.
    pub ignore: Ignore,
    /// `should_panic` / `should_panic(expected = "...")`.
    pub should_panic: ShouldPanic,
    /// `serial` / `serial(key, ...)`.
    pub concurrency: Concurrency,
    /// `heavy_resource`.
    pub heavy_resource: bool,
    /// `redis_isolated`.
    pub redis_isolated: bool,
    /// `group = "name"`.
    pub group: Option<&'static str>,
    /// `markers(name, ...)`: custom labels.
    pub markers: &'static [&'static str],
    /// `resource(name)` / `resource(name, count = K)`.
    pub resources: &'static [ResourceUse],
    /// `timeout = "30s"`.
    pub timeout: Option<Duration>,
    /// `retries = N`: extra attempts for a failing test.
    pub retries: u32,
    /// An async test's runtime.
    pub runtime: AsyncRuntime,
}

fn unset_body() {
    panic!("partest: a TestDef was registered without a body");
}

impl TestDef {
    /// Every optional field at its default; the macro fills in the rest with `..DEFAULT`.
    pub const DEFAULT: TestDef = TestDef {
        name: "",
        module_path: "",
        file: "",
        line: 0,
        column: 0,
        run: TestFn::Plain(unset_body),
        ignore: Ignore::No,
        should_panic: ShouldPanic::No,
        concurrency: Concurrency::Parallel,
        heavy_resource: false,
        redis_isolated: false,
        group: None,
        markers: &[],
        resources: &[],
        timeout: None,
        retries: 0,
        runtime: AsyncRuntime::DEFAULT,
    };
}

mod section;

/// Two tests registered under one name.
#[derive(Debug)]
pub struct RegistryError {
    name: String,
    first: String,
    second: String,
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "two tests are named `{}` (at {} and {}); rename one of them",
            self.name, self.first, self.second
        )
    }
}

impl std::error::Error for RegistryError {}

/// libtest's name: the module path without its first segment (the crate), then the fn name.
pub(crate) fn test_name(module_path: &str, fn_name: &str) -> String {
    match module_path.split_once("::") {
        Some((_, rest)) => format!("{rest}::{fn_name}"),
        None => fn_name.to_owned(),
    }
}

/// Every descriptor the macro registered in this binary.
pub(crate) fn registered() -> &'static [TestDef] {
    section::registered()
}

impl RegistryError {
    /// Two tests named `name`, at `first` and `second` (`file:line:col`).
    pub(crate) fn duplicate(name: &str, first: String, second: String) -> Self {
        RegistryError {
            name: name.to_owned(),
            first,
            second,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_name;

    #[test]
    fn strips_the_crate_segment() {
        assert_eq!(test_name("integration", "adds"), "adds");
        assert_eq!(
            test_name("integration::db::pool", "leases"),
            "db::pool::leases"
        );
    }
}
