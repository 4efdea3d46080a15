//! When a running test is due: its timeout (with a grace period for async tests, which
//! cancel themselves) and its slow warnings. Read by the worker board and by the process
//! runner, which times its worker processes out itself.

use std::time::{Duration, Instant};

/// Extra time an async test gets past its timeout before the watchdog steps in: its own
/// runtime cancels it at the timeout, unless sync code blocks that runtime.
const ASYNC_GRACE: Duration = Duration::from_secs(1);

/// When a test started at `started` must be timed out, and when it is first slow:
/// `limit` (plus a grace period for async tests, which cancel themselves) and
/// `slow_after` after the start.
pub(crate) fn deadlines(
    started: Instant,
    limit: Option<Duration>,
    is_async: bool,
    slow_after: Option<Duration>,
) -> (Option<Instant>, Option<Instant>) {
    let grace = if is_async {
        ASYNC_GRACE
    } else {
        Duration::ZERO
    };
    (
        limit.map(|l| started + l + grace),
        slow_after.map(|s| started + s),
    )
}

/// The earlier of two optional instants.
pub(crate) fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}
