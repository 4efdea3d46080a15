//! Running tests: a coordinator and a pool of worker threads ([`pool`]), one test at a
//! time per worker ([`execute`]), panic reports attributed to their test ([`panic_hook`]),
//! file-descriptor capture for sequential runs ([`capture`]) and per-thread capture of
//! std's writes for parallel ones (`write_capture`, Linux).

pub(crate) mod async_rt;
pub(crate) mod board;
#[cfg(unix)]
pub(crate) mod capture;
pub(crate) mod capture_file;
#[cfg(unix)]
pub(crate) mod crash;
pub(crate) mod cwd;
pub(crate) mod deadline;
pub(crate) mod execute;
pub(crate) mod executor;
#[cfg(unix)]
pub(crate) mod interrupt;
pub(crate) mod panic_hook;
pub(crate) mod pool;
#[cfg(unix)]
pub(crate) mod process;
pub(crate) mod watchdog;
#[cfg(target_os = "linux")]
pub(crate) mod write_capture;

pub(crate) use execute::CaptureMode;
pub(crate) use pool::{run, PoolStats, RunConfig};
