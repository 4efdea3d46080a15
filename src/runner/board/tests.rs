use super::{deadlines, earliest};
use std::time::{Duration, Instant};

#[test]
fn deadlines_follow_the_limit_the_grace_and_the_slow_warning() {
    let t0 = Instant::now();
    let s = Duration::from_secs;
    assert_eq!(deadlines(t0, None, false, None), (None, None));
    assert_eq!(
        deadlines(t0, Some(s(2)), false, None),
        (Some(t0 + s(2)), None)
    );
    // Async tests cancel themselves at the limit; the watchdog waits a second more.
    assert_eq!(
        deadlines(t0, Some(s(2)), true, None),
        (Some(t0 + s(3)), None)
    );
    assert_eq!(
        deadlines(t0, Some(s(2)), false, Some(s(60))),
        (Some(t0 + s(2)), Some(t0 + s(60)))
    );
    assert_eq!(
        deadlines(t0, None, true, Some(s(1))),
        (None, Some(t0 + s(1)))
    );
}

#[test]
fn the_earliest_of_two_instants() {
    let t0 = Instant::now();
    let later = t0 + Duration::from_millis(5);
    assert_eq!(earliest(Some(t0), Some(later)), Some(t0));
    assert_eq!(earliest(None, Some(later)), Some(later));
    assert_eq!(earliest(Some(t0), None), Some(t0));
    assert_eq!(earliest(None, None), None);
}
