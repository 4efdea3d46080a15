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

/// The report's own handle on stdout: a duplicate of fd 1 taken before any test runs.
/// Tests' buffered `print!` output never shares a buffer with it, so a test's partial line
/// cannot be glued to a result line. Optionally, while alive, fd 1 points at stderr, so
/// that uncaptured test output cannot corrupt a machine-readable report.
#[derive(Debug)]
pub(crate) struct ReportStdout {
    original: OwnedFd,
    diverted: bool,
}

impl ReportStdout {
    /// Duplicates fd 1; with `divert_tests`, points fd 1 at stderr until dropped.
    pub(crate) fn open(divert_tests: bool) -> io::Result<Self> {
        flush_std();
        let original = dup(1)?;
        if divert_tests {
            dup2(2, 1)?;
        }
        Ok(ReportStdout {
            original,
            diverted: divert_tests,
        })
    }

    /// A writer to the original stdout.
    pub(crate) fn writer(&self) -> io::Result<File> {
        Ok(File::from(self.original.try_clone()?))
    }
}

impl Drop for ReportStdout {
    fn drop(&mut self) {
        if self.diverted {
            flush_std();
            let _ = dup2(self.original.as_raw_fd(), 1);
        }
    }
}

/// A duplicate of the process's stderr as it is now, kept open for the whole run (for
/// crash reports written while a test has fds 1 and 2 redirected).
pub(crate) fn original_stderr() -> Option<RawFd> {
    dup(2).ok().map(std::os::fd::IntoRawFd::into_raw_fd)
}
