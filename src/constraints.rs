//! Scheduling constraints a test declares through its markers: [`Concurrency`] and
//! [`ResourceUse`]. The harness core records them; the scheduler enforces them.

/// Whether a test may overlap other tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Concurrency {
    /// Runs alongside any other test (the default).
    Parallel,
    /// `serial`: no other test of the binary overlaps it.
    Serial,
    /// `serial(key, ...)`: excludes every other test holding one of these keys.
    SerialKeys(&'static [&'static str]),
}

/// One `resource(name)` / `resource(name, count = K)` declaration: the test leases one
/// slot of pool `pool` for its whole run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResourceUse {
    /// The pool's name.
    pub pool: &'static str,
    /// The pool's size when this declaration states it (`count = K`).
    pub count: Option<u32>,
}
