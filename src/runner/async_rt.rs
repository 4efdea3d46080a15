//! Running an async test's future to completion on the current worker, with its timeout.
//! With the `tokio` feature each worker thread owns one current-thread tokio runtime for
//! the whole run, reused by every async test it runs (so `per_worker` connection pools stay
//! on the runtime that drives them); a timed-out test's future is dropped (cancelled).
//! Without it, a minimal executor parks the thread between wake-ups (no tokio reactor).

use crate::registry::TestFuture;
use std::time::Duration;

/// How an async test ended, short of panicking.
pub(crate) enum AsyncEnd {
    /// The future completed with this result.
    Completed(Result<(), String>),
    /// The timeout passed first; the future was dropped.
    TimedOut(Duration),
}

#[cfg(feature = "tokio")]
pub(crate) fn block_on(future: TestFuture, timeout: Option<Duration>) -> AsyncEnd {
    use std::cell::OnceCell;
    thread_local! {
        static RUNTIME: OnceCell<tokio::runtime::Runtime> = const { OnceCell::new() };
    }
    RUNTIME.with(|cell| {
        let runtime = cell.get_or_init(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap_or_else(|e| {
                    panic!("partest could not start this worker's tokio runtime: {e}")
                })
        });
        match timeout {
            None => AsyncEnd::Completed(runtime.block_on(future)),
            // The timer must be created inside the runtime.
            Some(limit) => {
                match runtime.block_on(async move { tokio::time::timeout(limit, future).await }) {
                    Ok(result) => AsyncEnd::Completed(result),
                    Err(_) => AsyncEnd::TimedOut(limit),
                }
            }
        }
    })
}

#[cfg(not(feature = "tokio"))]
pub(crate) fn block_on(mut future: TestFuture, timeout: Option<Duration>) -> AsyncEnd {
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
            return AsyncEnd::Completed(result);
        }
        match deadline {
            None => std::thread::park(),
            Some(at) => {
                let now = Instant::now();
                if now >= at {
                    return AsyncEnd::TimedOut(timeout.unwrap_or_default());
                }
                std::thread::park_timeout(at - now);
            }
        }
    }
}
