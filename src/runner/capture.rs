//! File-descriptor capture of stdout and stderr into one anonymous temp file, for runs
//! where exactly one test executes at a time. Everything written to fds 1 and 2 while a
//! test runs — `print!`, C code, threads it spawned — lands in that test's output, in order.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// One reusable capture file plus the original stdout/stderr.
#[derive(Debug)]
pub(crate) struct FdCapture {
    file: File,
    saved_out: OwnedFd,
    saved_err: OwnedFd,
}

fn dup(fd: RawFd) -> io::Result<OwnedFd> {
    // SAFETY: dup has no memory-safety preconditions; the result is checked.
    let new = unsafe { libc::dup(fd) };
    if new < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `new` is a fresh descriptor we own.
    Ok(unsafe { OwnedFd::from_raw_fd(new) })
}

fn dup2(from: RawFd, to: RawFd) -> io::Result<()> {
    // SAFETY: dup2 has no memory-safety preconditions; the result is checked.
    if unsafe { libc::dup2(from, to) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

fn flush_std() {
    let _ = io::stdout().flush();
    let _ = io::stderr().flush();
}

impl FdCapture {
    /// Creates the capture file and keeps copies of the current fds 1 and 2.
    pub(crate) fn new() -> io::Result<Self> {
        Ok(FdCapture {
            file: tempfile::tempfile()?,
            saved_out: dup(1)?,
            saved_err: dup(2)?,
        })
    }

    /// Points fds 1 and 2 at the capture file.
    pub(crate) fn start(&mut self) -> io::Result<()> {
        flush_std();
        dup2(self.file.as_raw_fd(), 1)?;
        dup2(self.file.as_raw_fd(), 2)
    }

    /// Restores fds 1 and 2 and returns (and forgets) what was written since `start`.
    pub(crate) fn finish(&mut self) -> io::Result<Vec<u8>> {
        flush_std();
        dup2(self.saved_out.as_raw_fd(), 1)?;
        dup2(self.saved_err.as_raw_fd(), 2)?;
        let mut out = Vec::new();
        self.file.seek(SeekFrom::Start(0))?;
        self.file.read_to_end(&mut out)?;
        self.file.set_len(0)?;
        self.file.seek(SeekFrom::Start(0))?;
        Ok(out)
    }
}

/// While alive, fd 1 points at stderr so that what tests print cannot corrupt a
/// machine-readable report; the report goes to [`StdoutDiversion::report_out`].
#[derive(Debug)]
pub(crate) struct StdoutDiversion {
    saved_out: OwnedFd,
}

impl StdoutDiversion {
    /// Sends fd 1 to stderr and keeps the original stdout for the report.
    pub(crate) fn start() -> io::Result<Self> {
        flush_std();
        let saved_out = dup(1)?;
        dup2(2, 1)?;
        Ok(StdoutDiversion { saved_out })
    }

    /// A writer to the original stdout.
    pub(crate) fn report_out(&self) -> io::Result<File> {
        Ok(File::from(self.saved_out.try_clone()?))
    }
}

impl Drop for StdoutDiversion {
    fn drop(&mut self) {
        flush_std();
        let _ = dup2(self.saved_out.as_raw_fd(), 1);
    }
}
