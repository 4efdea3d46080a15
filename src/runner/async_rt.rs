//! Running an async test's future to completion on the current worker, with its timeout.
//! With the `tokio` feature every async test runs on a runtime of its own, as under
//! `#[tokio::test]`: what it spawned is dropped when it ends (passed, failed or timed out)
//! and never runs during another test. A current-thread runtime with no task left alive
//! is kept for the worker's next test (building one costs more than the trivial test);
//! any other is shut down, waiting at most [`SHUTDOWN_WAIT`] for `spawn_blocking` work.
//! `flavor`, `worker_threads` and `start_paused` choose the runtime. Without the feature, a
//! minimal executor parks the thread between wake-ups (no tokio reactor). A runtime whose
//! clock a test paused or advanced is never kept.

use crate::registry::{AsyncRuntime, TestFuture};
use std::time::Duration;

/// How long shutting a test's runtime down waits for its `spawn_blocking` work.
#[cfg(feature = "tokio")]
pub(crate) const SHUTDOWN_WAIT: Duration = Duration::from_secs(1);

/// How an async test ended, short of panicking.
pub(crate) enum AsyncEnd {
    /// The future completed with this result.
    Completed(Result<(), String>),
    /// The timeout passed first; the future was dropped.
    TimedOut(Duration),
}

#[cfg(feature = "tokio")]
fn build(spec: AsyncRuntime) -> tokio::runtime::Runtime {
    let mut builder = match spec.multi_thread {
        true => tokio::runtime::Builder::new_multi_thread(),
        false => tokio::runtime::Builder::new_current_thread(),
    };
    if spec.worker_threads > 0 {
        builder.worker_threads(usize::from(spec.worker_threads));
    }
    builder.enable_all();
    #[cfg(feature = "tokio-test-util")]
    if spec.start_paused {
        builder.start_paused(true);
    }
    builder
        .build()
        .unwrap_or_else(|e| panic!("partest could not start the test's tokio runtime: {e}"))
}

/// Shuts `runtime` down, cancelling its tasks; a note when `spawn_blocking` work was still
/// running after [`SHUTDOWN_WAIT`] (it is left running, on its own thread).
#[cfg(feature = "tokio")]
fn shut_down(runtime: tokio::runtime::Runtime) -> Option<String> {
    let started = std::time::Instant::now();
    runtime.shutdown_timeout(SHUTDOWN_WAIT);
    (started.elapsed() >= SHUTDOWN_WAIT).then(|| {
        format!(
            "partest: this test's spawn_blocking work was still running {:?} after the test \
             ended; it was left running",
            SHUTDOWN_WAIT
        )
    })
}

/// Whether `runtime`'s clock is the real one: a test that paused or advanced it
/// (`tokio::time::pause`, with tokio's test-util) leaves a runtime the next test must not get.
#[cfg(feature = "tokio")]
fn clock_is_real(runtime: &tokio::runtime::Runtime) -> bool {
    let _entered = runtime.enter();
    let tokio_now = tokio::time::Instant::now().into_std();
    let real_now = std::time::Instant::now();
    let apart = real_now
        .saturating_duration_since(tokio_now)
        .max(tokio_now.saturating_duration_since(real_now));
    apart < Duration::from_millis(1)
}

/// Runs `future` on a runtime `spec` describes; how it ended and a note for the test's
/// output, if any. A panic in the test propagates after its runtime is shut down.
#[cfg(feature = "tokio")]
pub(crate) fn block_on(
    future: TestFuture,
    timeout: Option<Duration>,
    spec: AsyncRuntime,
) -> (AsyncEnd, Option<String>) {
    use std::cell::RefCell;
    use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
    thread_local! {
        static KEPT: RefCell<Option<tokio::runtime::Runtime>> = const { RefCell::new(None) };
    }
    let reusable = spec == AsyncRuntime::DEFAULT;
    let runtime = match reusable {
        true => KEPT
            .with(|k| k.borrow_mut().take())
            .unwrap_or_else(|| build(spec)),
        false => build(spec),
    };
    let ran = catch_unwind(AssertUnwindSafe(|| match timeout {
        None => AsyncEnd::Completed(runtime.block_on(future)),
        // The timer must be created inside the runtime.
        Some(limit) => {
            match runtime.block_on(async move { tokio::time::timeout(limit, future).await }) {
                Ok(result) => AsyncEnd::Completed(result),
                Err(_) => AsyncEnd::TimedOut(limit),
            }
        }
    }));
    let clean = ran.is_ok() && runtime.metrics().num_alive_tasks() == 0 && clock_is_real(&runtime);
    let note = match reusable && clean {
        true => {
            KEPT.with(|k| *k.borrow_mut() = Some(runtime));
            None
        }
        false => shut_down(runtime),
    };
    match ran {
        Ok(end) => (end, note),
        Err(payload) => resume_unwind(payload),
    }
}

/// Runs `future` to completion on this thread (no tokio: `spec` is always the default,
/// the macros refuse runtime arguments without the feature).
#[cfg(not(feature = "tokio"))]
pub(crate) fn block_on(
    mut future: TestFuture,
    timeout: Option<Duration>,
    _spec: AsyncRuntime,
) -> (AsyncEnd, Option<String>) {
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake, Waker};
    use std::time::Instant;

    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let deadline = timeout.map(|t| Instant::now() + t);
    loop {
        if let Poll::Ready(result) = future.as_mut().poll(&mut cx) {
            return (AsyncEnd::Completed(result), None);
        }
        match deadline {
            None => std::thread::park(),
            Some(at) => {
                let now = Instant::now();
                if now >= at {
                    return (AsyncEnd::TimedOut(timeout.unwrap_or_default()), None);
                }
                std::thread::park_timeout(at - now);
            }
        }
    }
}

/// The hint added to an async test's panic when it needed tokio and partest's `tokio`
/// feature is off.
pub(crate) fn missing_tokio_hint(message: &str) -> Option<&'static str> {
    let needs_tokio = message.contains("no reactor running")
        || message.contains("must be called from the context of a Tokio");
    (cfg!(not(feature = "tokio")) && needs_tokio).then_some(
        "note: partest runs async tests on tokio only with its `tokio` feature: \
         partest = { version = \"…\", features = [\"tokio\"] } in [dev-dependencies]",
    )
}
