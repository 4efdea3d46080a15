//! [`Server`]: a server process the run owns. It is spawned from one long-lived thread
//! with a parent-death signal (Linux), so it stops when the test process dies however it
//! dies; dropping the handle stops it (its own shutdown signal, then `SIGKILL` after a
//! grace period) and removes its directory.

use super::ServiceError;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

/// How long a server may take to become ready.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a server may take to stop before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// A running server: its process, its directory (removed after it stopped), its log.
pub(crate) struct Server {
    program: String,
    child: Child,
    stop_signal: i32,
    log: PathBuf,
    dir: Option<tempfile::TempDir>,
}

type Job = Box<dyn FnOnce() + Send>;

/// Runs `job` on the keeper thread: a thread that lives as long as the process, so a
/// parent-death signal set by a child it spawns fires only when the process ends (Linux
/// sends it when the spawning *thread* exits, and workers exit before the run ends).
fn on_keeper<R: Send + 'static>(job: impl FnOnce() -> R + Send + 'static) -> R {
    static KEEPER: OnceLock<Mutex<mpsc::Sender<Job>>> = OnceLock::new();
    let sender = KEEPER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        // It belongs to the run, not to the test that starts the first server.
        let started = crate::fixtures::worker_runtime::not_inherited(|| {
            std::thread::Builder::new()
                .name("partest-services".into())
                .spawn(move || {
                    for job in rx {
                        job();
                    }
                })
        });
        if let Err(e) = started {
            panic!("partest could not start its services thread: {e}");
        }
        Mutex::new(tx)
    });
    let (tx, rx) = mpsc::channel();
    let job: Job = Box::new(move || {
        let _ = tx.send(job());
    });
    let sent = sender
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .send(job);
    match (sent, rx.recv()) {
        (Ok(()), Ok(result)) => result,
        _ => panic!("partest's services thread is gone"),
    }
}

/// A free TCP port on 127.0.0.1 (free now; the server binds it a moment later).
fn free_port() -> Result<u16, ServiceError> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|source| ServiceError::Io {
            doing: "finding a free loopback port".into(),
            source,
        })
}

/// How one attempt to start a server on a port ended without a server.
pub(crate) enum PortAttempt {
    /// Someone else bound the port between our finding it free and the server binding it.
    Taken(ServiceError),
    /// Any other failure: no retry.
    Failed(ServiceError),
}

impl From<ServiceError> for PortAttempt {
    fn from(e: ServiceError) -> Self {
        PortAttempt::Failed(e)
    }
}

/// Runs `start` on a free port, and on another when that one was taken first (three
/// tries in all); `program` names the server in the error when every port was taken.
pub(crate) fn on_a_free_port<T>(
    program: &str,
    mut start: impl FnMut(u16) -> Result<T, PortAttempt>,
) -> Result<T, ServiceError> {
    let mut last = None;
    for _ in 0..3 {
        match start(free_port()?) {
            Ok(server) => return Ok(server),
            Err(PortAttempt::Taken(e)) => last = Some(e),
            Err(PortAttempt::Failed(e)) => return Err(e),
        }
    }
    Err(last.unwrap_or(ServiceError::Start {
        program: program.into(),
        reason: "no free port".into(),
        log: String::new(),
    }))
}

/// The last `max` bytes of the file at `path`, as text.
pub(crate) fn tail(path: &Path, max: u64) -> String {
    let Ok(mut file) = File::open(path) else {
        return String::new();
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = file.seek(SeekFrom::Start(len.saturating_sub(max)));
    let mut bytes = Vec::new();
    let _ = file.read_to_end(&mut bytes);
    String::from_utf8_lossy(&bytes).into_owned()
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (pid {})", self.program, self.child.id())
    }
}

/// Where servers keep their data: `$PARTEST_SERVICES_DIR`, else `/dev/shm` when it is a
/// memory file system with 1 GiB free (a server's writes then never wait for the disk),
/// else the temp dir.
pub(crate) fn base_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("PARTEST_SERVICES_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let shm = Path::new("/dev/shm");
    if free_bytes(shm).is_some_and(|free| free >= 1 << 30) {
        return shm.to_owned();
    }
    std::env::temp_dir()
}

#[cfg(target_os = "linux")]
fn free_bytes(dir: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    // SAFETY: statvfs fills the zeroed struct we pass for a valid C path.
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::statvfs(path.as_ptr(), &mut stat) } == 0;
    // SAFETY: access(2) on a valid C path.
    let writable = unsafe { libc::access(path.as_ptr(), libc::W_OK) } == 0;
    (ok && writable).then(|| stat.f_bavail as u64 * stat.f_frsize as u64)
}

#[cfg(not(target_os = "linux"))]
fn free_bytes(_dir: &Path) -> Option<u64> {
    None
}

/// A fresh directory for a `kind` server's data, named after this process
/// (`partest-KIND-PID-…` in [`base_dir`]). Directories of earlier processes that died
/// without removing theirs (killed) are removed first.
pub(crate) fn data_dir(kind: &str) -> Result<tempfile::TempDir, ServiceError> {
    let prefix = format!("partest-{kind}-");
    let base = base_dir();
    sweep_stale(&base, &prefix);
    tempfile::Builder::new()
        .prefix(&format!("{prefix}{}-", std::process::id()))
        .tempdir_in(&base)
        .map_err(|source| ServiceError::Io {
            doing: format!("creating a data dir for {kind}"),
            source,
        })
}

/// Removes `PREFIX{pid}-…` directories in `base` whose process is gone.
fn sweep_stale(base: &Path, prefix: &str) {
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(prefix))
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if !alive(pid) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

#[cfg(unix)]
fn alive(pid: u32) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    let r = unsafe { libc::kill(pid as libc::pid_t, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

#[cfg(not(unix))]
fn alive(_pid: u32) -> bool {
    true
}

impl Server {
    /// Starts `cmd` with stdout and stderr appended to `log`; `stop_signal` is what asks
    /// it to shut down (and what it gets if the test process dies). `dir` is removed
    /// after the server stopped.
    pub(crate) fn start(
        mut cmd: Command,
        stop_signal: i32,
        log: PathBuf,
        dir: Option<tempfile::TempDir>,
    ) -> Result<Server, ServiceError> {
        let program = cmd.get_program().to_string_lossy().into_owned();
        let io_err = |source| ServiceError::Io {
            doing: format!("opening the log {}", log.display()),
            source,
        };
        let out = File::options()
            .create(true)
            .append(true)
            .open(&log)
            .map_err(io_err)?;
        let err = out.try_clone().map_err(io_err)?;
        cmd.stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err));
        die_with_parent(&mut cmd, stop_signal);
        let child = on_keeper(move || cmd.spawn()).map_err(|e| ServiceError::Start {
            program: program.clone(),
            reason: e.to_string(),
            log: String::new(),
        })?;
        Ok(Server {
            program,
            child,
            stop_signal,
            log,
            dir,
        })
    }

    /// Waits until `ready()` says yes; fails if the process exits or takes too long.
    pub(crate) fn wait_ready(
        &mut self,
        mut ready: impl FnMut() -> bool,
    ) -> Result<(), ServiceError> {
        let started = Instant::now();
        let mut pause = Duration::from_millis(2);
        loop {
            if ready() {
                return Ok(());
            }
            let reason = match self.child.try_wait() {
                Ok(Some(status)) => Some(format!("it exited ({status}) before it was ready")),
                Ok(None) if started.elapsed() > READY_TIMEOUT => {
                    Some(format!("it was not ready after {READY_TIMEOUT:?}"))
                }
                Ok(None) => None,
                Err(e) => Some(e.to_string()),
            };
            if let Some(reason) = reason {
                return Err(ServiceError::Start {
                    program: self.program.clone(),
                    reason,
                    log: tail(&self.log, 2000),
                });
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(50));
        }
    }

    /// The server's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The server's log so far (its end).
    pub(crate) fn log_tail(&self) -> String {
        tail(&self.log, 2000)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        signal(self.child.id(), self.stop_signal);
        let deadline = Instant::now() + STOP_GRACE;
        while Instant::now() < deadline {
            match self.child.try_wait() {
                Ok(Some(_)) | Err(_) => break,
                Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            }
        }
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        if let Some(dir) = self.dir.take() {
            let path = dir.path().to_owned();
            if let Err(e) = dir.close() {
                eprintln!("partest: could not remove {}: {e}", path.display());
            }
        }
    }
}

#[cfg(unix)]
fn signal(pid: u32, sig: i32) {
    // SAFETY: kill(2) with a pid of our own child and a valid signal number.
    unsafe {
        libc::kill(pid as libc::pid_t, sig);
    }
}

#[cfg(not(unix))]
fn signal(_pid: u32, _sig: i32) {}

/// Asks the kernel to send `sig` to the server when its parent (this process) dies.
#[cfg(target_os = "linux")]
fn die_with_parent(cmd: &mut Command, sig: i32) {
    use std::os::unix::process::CommandExt;
    let parent = std::process::id() as libc::pid_t;
    // SAFETY: the closure runs between fork and exec and calls only async-signal-safe
    // functions (prctl, getppid, _exit).
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, sig as libc::c_ulong) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent may have died before prctl took effect.
            if libc::getppid() != parent {
                libc::_exit(1);
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn die_with_parent(_cmd: &mut Command, _sig: i32) {}
