//! [`Hold`]: why a free worker waits — the constraint that keeps the next pending test
//! from starting. Asked only when a run is being recorded (`--trace`, `--html`).

use super::admission::Admission;
use super::requirements::{Capacities, Requirements};
use std::fmt;

/// The constraint that keeps a pending test from starting on a free worker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Hold {
    /// A `serial` test runs (test position); nothing else starts beside it.
    SerialRunning(usize),
    /// The waiting test is `serial`: it starts once the running tests have finished.
    SerialDrain,
    /// `serial(key)`: another running test holds the key.
    Key(&'static str),
    /// Every slot of the pool is leased (`redis` for `redis_isolated`).
    PoolFull(&'static str),
    /// The heavy limit is reached.
    Heavy,
    /// The marker's `--max-concurrency` cap is reached.
    Cap(String),
    /// The test's group runs on another worker.
    Group(String),
}

impl Hold {
    /// A short name of the kind of constraint: `serial`, `key`, `pool`, `heavy`, `cap`,
    /// `group`.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Hold::SerialRunning(_) | Hold::SerialDrain => "serial",
            Hold::Key(_) => "key",
            Hold::PoolFull(_) => "pool",
            Hold::Heavy => "heavy",
            Hold::Cap(_) => "cap",
            Hold::Group(_) => "group",
        }
    }
}

impl fmt::Display for Hold {
    /// What a person reads: `serial test running`, `serial(db) held`, `pool gpu full`, ….
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Hold::SerialRunning(_) => f.write_str("a serial test runs alone"),
            Hold::SerialDrain => f.write_str("serial: waits for the running tests to finish"),
            Hold::Key(key) => write!(f, "serial({key}) held by another test"),
            Hold::PoolFull(pool) => write!(f, "pool {pool} full"),
            Hold::Heavy => f.write_str("heavy_resource limit reached"),
            Hold::Cap(marker) => write!(f, "max-concurrency of {marker} reached"),
            Hold::Group(group) => write!(f, "group {group} runs on another worker"),
        }
    }
}

/// The first constraint of `req` that keeps it from starting on `worker` (serial aside),
/// or `None` when it could start.
pub(super) fn blocker(
    admission: &Admission,
    req: &Requirements,
    worker: usize,
    names: &Capacities,
) -> Option<Hold> {
    if req.serial && admission.running_count() > 0 {
        return Some(Hold::SerialDrain);
    }
    if let Some(&k) = req.keys.iter().find(|&&k| admission.key_held(k)) {
        return Some(Hold::Key(names.keys[k as usize]));
    }
    if let Some(&p) = req.pools.iter().find(|&&p| admission.pool_full(p)) {
        return Some(Hold::PoolFull(names.pools[p as usize].name));
    }
    if req.heavy && admission.heavy_full() {
        return Some(Hold::Heavy);
    }
    if let Some(&c) = req.caps.iter().find(|&&c| admission.cap_full(c)) {
        return Some(Hold::Cap(names.caps[c as usize].0.clone()));
    }
    match req.group {
        Some(g) if !admission.group_free_for(g, worker) => {
            Some(Hold::Group(names.groups[g as usize].clone()))
        }
        _ => None,
    }
}
