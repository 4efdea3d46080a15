//! The process runner's calls into libc, each with what makes it sound: file-descriptor
//! flags of the control channel, the worker's process group, signals to a group, the
//! coordinator-death watch, and C's stdio. The rest of the process runner is safe code.

use std::io;
use std::os::fd::{FromRawFd, RawFd};
use std::os::unix::net::UnixStream;

/// In the forked child before exec: puts `fd` at `target` open across exec, and makes the
/// child lead its own process group (a timeout kills the test's children with it).
pub(super) fn prepare_worker(command: &mut std::process::Command, fd: RawFd, target: RawFd) {
    use std::os::unix::process::CommandExt;
    // SAFETY: the closure runs in the forked child before exec and calls only
    // async-signal-safe functions (fcntl, dup2, setpgid) on descriptor numbers.
    unsafe {
        command.pre_exec(move || {
            if fd == target {
                let flags = libc::fcntl(fd, libc::F_GETFD);
                libc::fcntl(fd, libc::F_SETFD, flags & !libc::FD_CLOEXEC);
            } else if libc::dup2(fd, target) < 0 {
                return Err(io::Error::last_os_error());
            }
            libc::setpgid(0, 0);
            Ok(())
        });
    }
}

/// Takes ownership of the control channel the coordinator left on `fd`, closed in the
/// processes tests start; an error when nothing is open there.
pub(super) fn adopt_channel(fd: RawFd) -> io::Result<UnixStream> {
    // SAFETY: fcntl on a descriptor number has no memory-safety preconditions.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
    if flags < 0 {
        return Err(io::Error::other(format!(
            "the worker role needs the control channel on fd {fd}"
        )));
    }
    // SAFETY: as above.
    unsafe { libc::fcntl(fd, libc::F_SETFD, flags | libc::FD_CLOEXEC) };
    // SAFETY: the coordinator opened `fd` for this process and nothing else owns it.
    Ok(unsafe { UnixStream::from_raw_fd(fd) })
}

/// Blocks until the other end of `fd` hangs up (or it fails), then kills this process's
/// group: the worker and the processes its tests started end with the coordinator.
pub(super) fn kill_own_group_on_hang_up(fd: RawFd) {
    let mut poll = libc::pollfd {
        fd,
        events: 0,
        revents: 0,
    };
    // SAFETY: one valid pollfd, for the duration of the call.
    while unsafe { libc::poll(&mut poll, 1, -1) } <= 0 || poll.revents == 0 {}
    // SAFETY: kill has no memory-safety preconditions.
    unsafe { libc::kill(0, libc::SIGKILL) };
}

/// Sends `signal` to the process group `pid` leads; a group that is gone is no error.
pub(crate) fn signal_group(pid: u32, signal: i32) {
    // SAFETY: kill has no memory-safety preconditions; a group that is gone gives ESRCH.
    unsafe { libc::kill(-(pid as i32), signal) };
}

/// Flushes every C stdio stream (`fflush(NULL)`).
pub(super) fn flush_c_stdio() {
    // SAFETY: fflush(NULL) flushes every C stream; no preconditions.
    unsafe { libc::fflush(std::ptr::null_mut()) };
}
