//! The constraint-aware scheduler. Admission rules (see README.md beside this file):
//! a `serial` test runs alone; tests sharing a `serial(key)` never overlap; at most
//! `heavy_limit` `heavy_resource` tests run at once; each pool slot (`redis_isolated`,
//! `resource(name)`) is leased to one running test; at most N tests of a capped marker run
//! at once; a group's tests all run on the worker that ran its first test. The decisions
//! are made by a pure, thread-free core ([`Scheduler`]) that the thread pool drives.

mod admission;
mod hold;
mod priority;
mod queue;
mod requirements;

pub(crate) use admission::Lease;
pub(crate) use hold::Hold;
pub(crate) use priority::order;
pub(crate) use queue::{Next, Scheduler};
pub use requirements::ConstraintError;
pub(crate) use requirements::{build as requirements, default_heavy_limit, pool_size, REDIS_POOL};

#[cfg(test)]
mod tests;
