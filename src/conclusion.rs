//! [`Conclusion`]: how a run ended, and its exit code (libtest's 0 or 101).

use crate::error::Error;
use crate::report::Tally;
use std::process::ExitCode;

/// libtest's exit code for failed tests and invalid invocations.
pub(crate) const FAILURE_EXIT_CODE: u8 = 101;

/// How a run ended.
#[derive(Debug)]
#[must_use = "a Conclusion carries the run's exit code"]
pub struct Conclusion {
    /// Tests that passed.
    pub passed: usize,
    /// Tests that failed.
    pub failed: usize,
    /// Tests reported as ignored.
    pub ignored: usize,
    /// Registered tests left out by filters.
    pub filtered_out: usize,
    /// What stopped the run, if something did.
    pub error: Option<Error>,
}

impl Conclusion {
    /// For `--list` and `--nextest-config`: nothing ran.
    pub(crate) fn nothing_run(filtered_out: usize) -> Self {
        Conclusion {
            passed: 0,
            failed: 0,
            ignored: 0,
            filtered_out,
            error: None,
        }
    }

    pub(crate) fn from_error(error: Error) -> Self {
        Conclusion {
            passed: 0,
            failed: 0,
            ignored: 0,
            filtered_out: 0,
            error: Some(error),
        }
    }

    /// 0 when nothing failed and nothing went wrong, otherwise 101 (libtest's code).
    pub fn exit_code(&self) -> ExitCode {
        if self.failed == 0 && self.error.is_none() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(FAILURE_EXIT_CODE)
        }
    }
}

impl Conclusion {
    /// The counts of a finished run (teardown failures count as failures).
    pub(crate) fn from_state(state: &Tally) -> Self {
        Conclusion {
            passed: state.passed,
            failed: state.failed + state.teardown_failures.len(),
            ignored: state.ignored,
            filtered_out: state.filtered_out,
            error: (!state.write_errors.is_empty())
                .then(|| Error::Io(std::io::Error::other(state.write_errors.join("; ")))),
        }
    }
}
