//! [`Scheduler`]: pending tests in priority order plus the [`Admission`] state. A free
//! worker asks [`Scheduler::next_for`] and gets a test to run, a test to report ignored,
//! "wait" (something pending cannot start yet; a finishing test will wake it) or "done".

use super::admission::{Admission, Lease};
use super::hold::{self, Hold};
use super::requirements::{Capacities, Needs};

/// The scheduler's answer to a free worker.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Next {
    /// Run test `index` holding `lease`.
    Run(usize, Lease),
    /// Report test `index` as ignored.
    Skip(usize),
    /// Nothing can start now; ask again after a test finishes.
    Wait,
    /// Nothing more for any worker.
    Done,
}

/// Pending tests and what running ones hold.
#[derive(Debug)]
pub(crate) struct Scheduler {
    needs: Needs,
    runs: Vec<bool>,
    order: Vec<usize>,
    taken: Vec<bool>,
    /// First position in `order` not yet taken.
    cursor: usize,
    pending: usize,
    serial_pending: usize,
    admission: Admission,
    /// The serial test running, if one is.
    serial_running: Option<usize>,
    /// Positions in `order` of the serial tests that run, and the first not yet taken.
    serial_positions: Vec<usize>,
    serial_cursor: usize,
    /// The run's constraint names, for [`Scheduler::why_waiting`].
    names: Capacities,
    failures: usize,
    maxfail: Option<usize>,
    stopped: bool,
}

impl Scheduler {
    /// A scheduler over tests with `needs` (and `runs[i]` false for ignored ones), considered in `order`.
    pub(crate) fn new(
        needs: Needs,
        runs: Vec<bool>,
        order: Vec<usize>,
        limits: &Capacities,
        maxfail: Option<usize>,
    ) -> Self {
        let serial = |i: usize| runs[i] && needs.get(i).is_some_and(|r| r.serial);
        let serial_pending = if needs.all_plain() {
            0
        } else {
            (0..needs.len()).filter(|&i| serial(i)).count()
        };
        Scheduler {
            pending: needs.len(),
            taken: vec![false; needs.len()],
            admission: Admission::new(limits),
            serial_running: None,
            serial_positions: match serial_pending {
                0 => Vec::new(),
                _ => (0..order.len()).filter(|&p| serial(order[p])).collect(),
            },
            serial_cursor: 0,
            names: limits.clone(),
            needs,
            runs,
            order,
            cursor: 0,
            serial_pending,
            failures: 0,
            maxfail,
            stopped: false,
        }
    }

    /// The next thing `worker` should do.
    pub(crate) fn next_for(&mut self, worker: usize) -> Next {
        if self.stopped || self.pending == 0 {
            return Next::Done;
        }
        while self.cursor < self.order.len() && self.taken[self.order[self.cursor]] {
            self.cursor += 1;
        }
        // The common case, kept short: the next test in order needs nothing.
        if let Some(&i) = self.order.get(self.cursor) {
            if self.serial_pending == 0
                && self.runs[i]
                && self.needs.get(i).is_none()
                && self.admission.admit_plain()
            {
                self.take(i);
                return Next::Run(i, Lease::default());
            }
        }
        for pos in self.cursor..self.order.len() {
            let i = self.order[pos];
            if self.taken[i] {
                continue;
            }
            if !self.runs[i] {
                self.take(i);
                return Next::Skip(i);
            }
            let Some(req) = self.needs.get(i) else {
                // A plain test: only a pending or running serial test holds it back.
                if self.serial_pending > 0 || !self.admission.admit_plain() {
                    continue;
                }
                self.take(i);
                return Next::Run(i, Lease::default());
            };
            // Serial tests go first: nothing else starts while one is pending.
            if self.serial_pending > 0 && !req.serial {
                continue;
            }
            if self.admission.admissible(req, worker) {
                let lease = self.admission.admit(req, worker);
                self.serial_pending -= usize::from(req.serial);
                if req.serial {
                    self.serial_running = Some(i);
                }
                self.take(i);
                return Next::Run(i, lease);
            }
        }
        Next::Wait
    }

    /// After [`Next::Wait`]: the pending test that would start next and the constraint
    /// that keeps it from starting on `worker` (`None` when nothing is pending). O(1)
    /// amortised: the first pending test is at the cursor, the first pending serial one
    /// at its own cursor.
    pub(crate) fn why_waiting(&mut self, worker: usize) -> Option<(usize, Hold)> {
        let first = if self.serial_pending > 0 {
            let positions = &self.serial_positions;
            while self.serial_cursor < positions.len()
                && self.taken[self.order[positions[self.serial_cursor]]]
            {
                self.serial_cursor += 1;
            }
            self.order[*positions.get(self.serial_cursor)?]
        } else {
            *self.order[self.cursor..]
                .iter()
                .find(|&&i| !self.taken[i])?
        };
        if let Some(running) = self.serial_running {
            return Some((first, Hold::SerialRunning(running)));
        }
        let req = self.needs.get(first)?;
        let hold = hold::blocker(&self.admission, req, worker, &self.names)?;
        Some((first, hold))
    }

    /// Number of tests in the plan.
    pub(crate) fn test_count(&self) -> usize {
        self.needs.len()
    }

    fn take(&mut self, i: usize) {
        self.taken[i] = true;
        self.pending -= 1;
    }

    /// Records that test `index` finished; returns whether the run must stop (max failures).
    pub(crate) fn finish(&mut self, index: usize, lease: Lease, failed: bool) -> bool {
        if self.serial_running == Some(index) {
            self.serial_running = None;
        }
        match self.needs.get(index) {
            Some(req) => self.admission.release(req, lease),
            None => self.admission.release_plain(),
        }
        if failed {
            self.failures += 1;
            if self.maxfail.is_some_and(|m| self.failures >= m) {
                self.stop();
            }
        }
        self.stopped
    }

    /// Starts no further test.
    pub(crate) fn stop(&mut self) {
        self.stopped = true;
    }

    /// Number of running tests.
    #[cfg(test)]
    pub(crate) fn running(&self) -> usize {
        self.admission.running_count()
    }

    /// Tests that will never start because the run stopped (in priority order).
    pub(crate) fn not_run(&self) -> Vec<usize> {
        if !self.stopped {
            return Vec::new();
        }
        self.order
            .iter()
            .copied()
            .filter(|&i| !self.taken[i])
            .collect()
    }
}
