//! [`Admission`]: the pure state of what is running and what it holds. It answers "may
//! this test start on this worker now?" and records starts and ends. No threads, no time.

use super::requirements::{Capacities, Requirements};

/// Slots a running test holds: (pool id, slot index).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Lease {
    /// One slot per pool the test uses.
    pub(crate) slots: Vec<(u32, u32)>,
}

/// What is held right now.
#[derive(Debug)]
pub(crate) struct Admission {
    running: usize,
    serial_running: bool,
    keys_held: Vec<bool>,
    heavy_running: usize,
    heavy_limit: usize,
    /// Free slots per pool, highest first so `pop` leases the lowest index.
    pool_free: Vec<Vec<u32>>,
    cap_running: Vec<usize>,
    cap_limit: Vec<usize>,
    group_owner: Vec<Option<usize>>,
}

impl Admission {
    /// Nothing running, everything free.
    pub(crate) fn new(limits: &Capacities) -> Self {
        Admission {
            running: 0,
            serial_running: false,
            keys_held: vec![false; limits.keys.len()],
            heavy_running: 0,
            heavy_limit: limits.heavy_limit,
            pool_free: limits
                .pools
                .iter()
                .map(|p| (0..p.size as u32).rev().collect())
                .collect(),
            cap_running: vec![0; limits.caps.len()],
            cap_limit: limits.caps.iter().map(|(_, n)| *n).collect(),
            group_owner: vec![None; limits.groups.len()],
        }
    }

    /// Number of running tests (any kind).
    pub(crate) fn running_count(&self) -> usize {
        self.running
    }

    /// Whether serial key `k` is held.
    pub(crate) fn key_held(&self, k: u32) -> bool {
        self.keys_held[k as usize]
    }

    /// Whether pool `p` has no free slot.
    pub(crate) fn pool_full(&self, p: u32) -> bool {
        self.pool_free[p as usize].is_empty()
    }

    /// Whether the heavy limit is reached.
    pub(crate) fn heavy_full(&self) -> bool {
        self.heavy_running >= self.heavy_limit
    }

    /// Whether capped marker `c` is at its limit.
    pub(crate) fn cap_full(&self, c: u32) -> bool {
        self.cap_running[c as usize] >= self.cap_limit[c as usize]
    }

    /// Whether group `g` may run on `worker` (it is free or already there).
    pub(crate) fn group_free_for(&self, g: u32, worker: usize) -> bool {
        self.group_owner[g as usize].is_none_or(|w| w == worker)
    }

    /// Whether a test needing `req` may start on `worker` now.
    pub(crate) fn admissible(&self, req: &Requirements, worker: usize) -> bool {
        let serial_ok = !self.serial_running && (!req.serial || self.running == 0);
        serial_ok
            && (!req.heavy || !self.heavy_full())
            && !req.keys.iter().any(|&k| self.key_held(k))
            && !req.pools.iter().any(|&p| self.pool_full(p))
            && !req.caps.iter().any(|&c| self.cap_full(c))
            && req.group.is_none_or(|g| self.group_free_for(g, worker))
    }

    /// Starts a test that needs nothing, if no serial test runs; returns whether it started.
    pub(crate) fn admit_plain(&mut self) -> bool {
        if self.serial_running {
            return false;
        }
        self.running += 1;
        true
    }

    /// Records the end of a test that needed nothing.
    pub(crate) fn release_plain(&mut self) {
        self.running -= 1;
    }

    /// Records the start of a test needing `req` on `worker`; call only when admissible.
    pub(crate) fn admit(&mut self, req: &Requirements, worker: usize) -> Lease {
        debug_assert!(self.admissible(req, worker));
        self.running += 1;
        self.serial_running |= req.serial;
        for &k in req.keys.iter() {
            self.keys_held[k as usize] = true;
        }
        self.heavy_running += usize::from(req.heavy);
        for &c in req.caps.iter() {
            self.cap_running[c as usize] += 1;
        }
        if let Some(g) = req.group {
            self.group_owner[g as usize] = Some(worker);
        }
        let slots = req
            .pools
            .iter()
            .filter_map(|&p| Some((p, self.pool_free[p as usize].pop()?)))
            .collect();
        Lease { slots }
    }

    /// Records the end of a test admitted with `req` and `lease`.
    pub(crate) fn release(&mut self, req: &Requirements, lease: Lease) {
        self.running -= 1;
        if req.serial {
            self.serial_running = false;
        }
        for &k in req.keys.iter() {
            self.keys_held[k as usize] = false;
        }
        self.heavy_running -= usize::from(req.heavy);
        for &c in req.caps.iter() {
            self.cap_running[c as usize] -= 1;
        }
        for (p, slot) in lease.slots {
            let free = &mut self.pool_free[p as usize];
            let at = free.partition_point(|&s| s > slot);
            free.insert(at, slot);
        }
    }
}
