//! File-descriptor capture of stdout and stderr into one anonymous temp file, for runs
//! where exactly one test executes at a time. Everything written to fds 1 and 2 while a
//! test runs — `print!`, C code, threads it spawned — lands in that test's output, in order,
//! its middle left out past the cap while it is written (capture_file.rs).

use super::capture_file::CaptureFile;
use std::fs::File;
use std::io::{self, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// Whether fds 1 and 2 point at a test's capture file right now.
static REDIRECTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Writes `text` to the process's stderr even while a test's output is being captured
/// (for panics of threads no test owns, which would land in the wrong test's output).
pub(crate) fn write_to_real_stderr(text: &str) -> bool {
    if !REDIRECTED.load(std::sync::atomic::Ordering::Acquire) {
        return false;
    }
    let fd = super::crash::report_fd();
    let mut file = std::mem::ManuallyDrop::new(borrowed_file(fd));
    file.write_all(text.as_bytes()).is_ok()
}

fn borrowed_file(fd: RawFd) -> File {
    // SAFETY: `fd` is the duplicate of stderr the crash module keeps open for the whole
    // process; the File is never dropped (ManuallyDrop), so the fd is not closed.
    unsafe { File::from_raw_fd(fd) }
}

/// One reusable capture file plus the original stdout/stderr.
#[derive(Debug)]
pub(crate) struct FdCapture {
    file: CaptureFile,
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
            file: CaptureFile::new()?,
            saved_out: dup(1)?,
            saved_err: dup(2)?,
        })
    }

    /// Points fds 1 and 2 at the capture file.
    pub(crate) fn start(&mut self) -> io::Result<()> {
        flush_std();
        dup2(self.file.file().as_raw_fd(), 1)?;
        dup2(self.file.file().as_raw_fd(), 2)?;
        REDIRECTED.store(true, std::sync::atomic::Ordering::Release);
        Ok(())
    }

    /// Restores fds 1 and 2 and returns (and forgets) what was written since `start`.
    pub(crate) fn finish(&mut self) -> io::Result<Vec<u8>> {
        flush_std();
        dup2(self.saved_out.as_raw_fd(), 1)?;
        dup2(self.saved_err.as_raw_fd(), 2)?;
        REDIRECTED.store(false, std::sync::atomic::Ordering::Release);
        let out = self.file.take()?;
        self.file.empty()?;
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
