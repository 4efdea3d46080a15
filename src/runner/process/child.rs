//! The coordinator's handle on one worker process ([`WorkerProcess`]): started lazily (the
//! same binary, in the worker role), told which test to run, timed out by killing its
//! process group, replaced after it died. Its stdout and stderr are one capture file the
//! coordinator owns: a test's output is what the file holds when it ends, also when the
//! worker crashed; what leftover threads write between tests goes to the real stderr.

use super::groups::{describe, live_pids, signal_group, CLOSED};
use super::protocol::{self, FrameReader, FromWorker, NoFrame, ToWorker, CONTROL_FD};
use super::WORKER_ENV;
use std::os::unix::process::ExitStatusExt;

mod output;
mod whole;

use crate::duration::show;
use crate::event::Completed;
use crate::outcome::Outcome;
use crate::plan::Test;
use crate::runner::capture_file::CaptureFile;
use crate::runner::deadline::deadlines;
use output::{forward_leftovers, once_per_run};
use std::ffi::OsString;
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What every worker process of a run is started with.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    /// The test binary.
    pub(crate) program: PathBuf,
    /// Its working directory (the coordinator's when `None`).
    pub(crate) dir: Option<PathBuf>,
    /// Variables set for it (cargo's `CARGO_MANIFEST_DIR`, … under `cargo partest`).
    pub(crate) env: Vec<(OsString, OsString)>,
    /// The harness arguments (the worker reads the same options).
    pub(crate) args: Vec<OsString>,
    /// A plain libtest binary, run whole as one test (under `cargo partest`).
    pub(crate) whole: bool,
    /// Workers in the run (`worker_count()` in the workers).
    pub(crate) workers: usize,
    /// Capture the workers' stdout and stderr (not with `--nocapture`).
    pub(crate) capture: bool,
    /// SIGTERM to SIGKILL for a timed-out test (`--timeout-grace`).
    pub(crate) grace: Duration,
    /// The run's id, the same in every worker.
    pub(crate) uid: String,
    /// Builds a per-run value in the coordinator (`redis`, `postgres`): its text or why not.
    pub(crate) service: fn(&str) -> Result<String, String>,
}

impl Settings {
    /// The test binary with its directory, variables and arguments, stdin closed.
    fn command(&self) -> Command {
        let mut command = Command::new(&self.program);
        if let Some(dir) = &self.dir {
            command.current_dir(dir);
        }
        command
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .args(&self.args)
            .stdin(Stdio::null());
        command
    }
}

/// One attempt of a test on a worker process.
pub(crate) struct WorkerAttempt {
    pub(crate) done: Completed,
    /// The worker died during the attempt (not killed by partest).
    pub(crate) crashed: bool,
}

/// A running worker process.
struct Live {
    child: Child,
    control: UnixStream,
    reader: FrameReader,
    /// The capture file (also the worker's fds 1 and 2).
    output: Option<CaptureFile>,
}

/// The worker process of one position (`gwN`), started when first needed.
pub(crate) struct WorkerProcess {
    slot: usize,
    settings: Arc<Settings>,
    live: Option<Live>,
}

fn set_timeout(stream: &mut UnixStream, wait: Option<Duration>) -> io::Result<()> {
    stream.set_read_timeout(wait)
}

impl WorkerProcess {
    /// The position `slot`'s worker; no process yet.
    pub(crate) fn new(slot: usize, settings: Arc<Settings>) -> Self {
        WorkerProcess {
            slot,
            settings,
            live: None,
        }
    }

    /// Starts the worker process now unless it runs.
    pub(crate) fn start(&mut self) -> io::Result<()> {
        if self.live.is_none() {
            let live =
                crate::timeline::timed(Some(self.slot), "worker process start", || self.spawn());
            self.live = Some(live?);
        }
        Ok(())
    }

    fn spawn(&self) -> io::Result<Live> {
        if CLOSED.load(Ordering::SeqCst) {
            return Err(io::Error::other("the run is over"));
        }
        let (ours, theirs) = UnixStream::pair()?;
        let mut command = self.settings.command();
        command
            .env(
                WORKER_ENV,
                format!("{}/{}", self.slot, self.settings.workers),
            )
            .env("PARTEST_TESTRUN_UID", &self.settings.uid);
        let output = if self.settings.capture {
            let file = CaptureFile::new()?;
            let fd = file.file();
            command.stdout(fd.try_clone()?).stderr(fd.try_clone()?);
            Some(file)
        } else {
            None
        };
        // Its own process group: a timeout kills the test's children with it, and so does
        // the worker itself when the coordinator dies (its channel hangs up).
        super::sys::prepare_worker(&mut command, theirs.as_raw_fd(), CONTROL_FD);
        let child = command.spawn()?;
        drop(theirs);
        live_pids().push(child.id());
        Ok(Live {
            child,
            control: ours,
            reader: FrameReader::default(),
            output,
        })
    }

    /// Runs `test` holding `leases` on this position's worker process, starting one if
    /// needed; `limit` is its time limit. A worker that dies is reported in the result and
    /// replaced at the next test.
    pub(crate) fn run(
        &mut self,
        test: Test,
        leases: &[(&'static str, u32)],
        limit: Option<Duration>,
    ) -> WorkerAttempt {
        let mut started = Instant::now();
        if self.settings.whole {
            return self.run_whole(test, started);
        }
        if let Err(e) = self.start() {
            let message = format!(
                "partest could not start worker process gw{} for this test: {e}",
                self.slot
            );
            return WorkerAttempt {
                done: failed(test, started, message, Vec::new()),
                crashed: true,
            };
        }
        // The time limit counts from here, not from a worker's start-up.
        started = Instant::now();
        let live = self.live.as_mut().expect("started above");
        if let Some(file) = &live.output {
            forward_leftovers(file);
        }
        let run = ToWorker::Run {
            test: test.name.to_owned(),
            leases: leases.iter().map(|(p, s)| ((*p).to_owned(), *s)).collect(),
        };
        let is_async = test.is_async();
        let deadline = deadlines(started, limit, is_async, None).0;
        let sent = protocol::send(&mut live.control, &run.encode());
        let reply = match sent {
            Ok(()) => self.wait_for_result(deadline),
            Err(_) => Err(NoFrame::Closed),
        };
        match reply {
            Ok((outcome, duration, extra)) => {
                let mut output = self.take_output();
                output.extend(extra);
                let output = once_per_run(output);
                WorkerAttempt {
                    done: Completed::new(test, outcome, duration, output),
                    crashed: false,
                }
            }
            Err(NoFrame::TimedOut) => self.timed_out(test, started, limit),
            Err(end) => self.died(test, started, end),
        }
    }

    /// The attempt of a test that ran past its time limit: its worker process group is
    /// killed, what the test wrote kept.
    fn timed_out(
        &mut self,
        test: Test,
        started: Instant,
        limit: Option<Duration>,
    ) -> WorkerAttempt {
        self.kill_timed_out();
        let output = self.take_output();
        let limit = limit.map_or_else(String::new, show);
        let message = format!(
            "test timed out after {limit}; partest killed its worker process gw{} and the processes it started",
            self.slot
        );
        self.reap();
        WorkerAttempt {
            done: failed(test, started, message, output),
            crashed: false,
        }
    }

    /// The attempt of a test whose worker process ended (or whose control channel failed)
    /// before its result: a crash, or an interruption that the coordinator takes on.
    fn died(&mut self, test: Test, started: Instant, end: NoFrame) -> WorkerAttempt {
        if let (NoFrame::Failed(_), Some(live)) = (&end, &self.live) {
            signal_group(live.child.id(), libc::SIGKILL);
        }
        let status = self.wait_for_exit();
        let mut output = self.take_output();
        if output.last().is_some_and(|b| *b != b'\n') {
            output.push(b'\n');
        }
        let why = match end {
            NoFrame::Failed(e) => format!("its control channel failed ({e})"),
            _ => describe(status),
        };
        // SIGINT or SIGTERM (a Ctrl-C or a cancel that reached the workers too)
        // interrupts the run: no crash, and the coordinator stops as if it got it.
        let interrupting = status
            .and_then(|s| ExitStatusExt::signal(&s))
            .filter(|s| matches!(*s, libc::SIGINT | libc::SIGTERM));
        let message = match interrupting {
            Some(signal) => {
                crate::runner::interrupt::forwarded(signal);
                format!("interrupted: worker gw{} got {why}", self.slot)
            }
            None => format!(
                "worker gw{} crashed while running {}: {why}",
                self.slot, test.name
            ),
        };
        self.reap();
        WorkerAttempt {
            done: failed(test, started, message, output),
            crashed: interrupting.is_none(),
        }
    }

    /// Reads messages until the test's result, answering service requests.
    fn wait_for_result(
        &mut self,
        deadline: Option<Instant>,
    ) -> Result<(Outcome, Duration, Vec<u8>), NoFrame> {
        let service = self.settings.service;
        let live = self.live.as_mut().expect("running");
        loop {
            let payload = live.reader.next(&mut live.control, deadline, set_timeout)?;
            match FromWorker::decode(&payload).map_err(NoFrame::Failed)? {
                FromWorker::Finished {
                    outcome,
                    duration,
                    output,
                } => return Ok((outcome, duration, output)),
                FromWorker::Service(name) => {
                    let reply = ToWorker::Service(service(&name)).encode();
                    protocol::send(&mut live.control, &reply).map_err(|_| NoFrame::Closed)?;
                }
                FromWorker::TeardownFailed { .. } => {}
            }
        }
    }

    /// The output the current test left in the capture file (all of it, read without
    /// moving the shared offset).
    fn take_output(&mut self) -> Vec<u8> {
        let Some(live) = &mut self.live else {
            return Vec::new();
        };
        let Some(file) = &live.output else {
            return Vec::new();
        };
        file.take().unwrap_or_else(|e| {
            format!("partest: could not read the captured output: {e}\n").into_bytes()
        })
    }

    /// SIGTERM to the worker's group, SIGKILL after the grace period if it still runs.
    fn kill_timed_out(&mut self) {
        let grace = self.settings.grace;
        let Some(live) = &mut self.live else { return };
        let pid = live.child.id();
        signal_group(pid, libc::SIGTERM);
        // The channel closes when the worker is gone (its children do not hold it).
        let until = Instant::now() + grace;
        loop {
            match live
                .reader
                .next(&mut live.control, Some(until), set_timeout)
            {
                Ok(_) => continue,
                Err(NoFrame::TimedOut) => {
                    signal_group(pid, libc::SIGKILL);
                    break;
                }
                Err(_) => break,
            }
        }
    }

    /// The worker's exit status once it closed the channel (it never closes it before
    /// exiting, and the processes a test starts do not inherit it).
    fn wait_for_exit(&mut self) -> Option<ExitStatus> {
        self.live.as_mut()?.child.wait().ok()
    }

    /// Forgets the dead (or stuck) worker: kills its group, reaps it.
    fn reap(&mut self) {
        let Some(mut live) = self.live.take() else {
            return;
        };
        let pid = live.child.id();
        signal_group(pid, libc::SIGKILL);
        let _ = live.child.wait();
        // What the test's leftover children wrote after the test ended is not shown.
        live_pids().retain(|p| *p != pid);
    }

    /// Asks the worker to tear down and exit; the teardown failures it reported.
    pub(crate) fn shut_down(&mut self) -> Vec<(String, String)> {
        let mut failures = Vec::new();
        let Some(live) = &mut self.live else {
            return failures;
        };
        if let Some(file) = &live.output {
            forward_leftovers(file);
        }
        if protocol::send(&mut live.control, &ToWorker::Exit.encode()).is_ok() {
            let until = Instant::now() + Duration::from_secs(60);
            while let Ok(payload) = live
                .reader
                .next(&mut live.control, Some(until), set_timeout)
            {
                if let Ok(FromWorker::TeardownFailed { what, report }) =
                    FromWorker::decode(&payload)
                {
                    failures.push((what, report));
                }
            }
        }
        let _ = live.child.wait();
        if let Some(file) = &live.output {
            forward_leftovers(file);
        }
        self.reap();
        failures
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        self.reap();
    }
}

/// A failed attempt of `test` that started at `started`, with partest's `message`.
fn failed(test: Test, started: Instant, message: String, output: Vec<u8>) -> Completed {
    let outcome = Outcome::Failed {
        message: Some(message),
    };
    Completed::new(test, outcome, started.elapsed(), output)
}
