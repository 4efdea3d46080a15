//! Process isolation (`--isolate process`): the coordinator's pool threads each drive one
//! persistent worker process ([`child`]), the same binary re-run in the worker role
//! ([`serve`]); they talk over a socket on the worker's fd 3 ([`protocol`]). The
//! scheduler, the reports and the history stay in the coordinator.

pub(crate) mod child;
pub(crate) mod groups;
pub(crate) mod protocol;
pub(crate) mod serve;
pub(crate) mod sys;

/// The variable that puts a test binary in the worker role: `SLOT/WORKERS`.
const WORKER_ENV: &str = "PARTEST_WORKER";
