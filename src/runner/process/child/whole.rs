//! A plain libtest binary run whole, as one unit of a `cargo partest` run: its exit status
//! is the verdict, its output (captured unless `--nocapture`) the block.

use super::{WorkerAttempt, WorkerProcess};
use crate::event::Completed;
use crate::outcome::Outcome;
use crate::plan::Test;
use crate::runner::capture_file::CaptureFile;
use crate::runner::process::groups::describe;
use std::io;
use std::process::ExitStatus;
use std::time::Instant;

impl WorkerProcess {
    /// Runs a plain libtest binary whole (its own report is the output); it fails when
    /// the binary does.
    pub(super) fn run_whole(&self, test: Test, started: Instant) -> WorkerAttempt {
        let settings = &self.settings;
        let ran = (|| -> io::Result<(ExitStatus, Vec<u8>)> {
            let mut command = settings.command();
            let file = CaptureFile::new()?;
            if settings.capture {
                let fd = file.file();
                command.stdout(fd.try_clone()?).stderr(fd.try_clone()?);
            }
            let status = command.status()?;
            Ok((status, file.take()?))
        })();
        let (outcome, output) = match ran {
            Ok((status, output)) if status.success() => (Outcome::Passed, output),
            Ok((status, output)) => (
                Outcome::Failed {
                    message: Some(format!(
                        "the test binary ended with {}",
                        describe(Some(status))
                    )),
                },
                output,
            ),
            Err(e) => (
                Outcome::Failed {
                    message: Some(format!("could not run the test binary: {e}")),
                },
                Vec::new(),
            ),
        };
        WorkerAttempt {
            done: Completed::new(test, outcome, started.elapsed(), output),
            crashed: false,
        }
    }
}
