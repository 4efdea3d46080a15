//! The worker role of a test binary (`--isolate process`): it runs the tests the
//! coordinator names, one at a time on its main thread, and answers with each result over
//! the control channel (fd 3). Its stdout and stderr are the coordinator's capture file.
//! It exits when told to, and at once when the coordinator dies (the channel hangs up),
//! taking its process group — the processes its tests started — with it.

use super::protocol::{self, FrameReader, FromWorker, NoFrame, ToWorker, CONTROL_FD};
use super::WORKER_ENV;
use crate::fixtures::{self, coordinator, resources, temp};
use crate::plan::Test;
use crate::runner::execute::{self, Capture, CaptureMode};
use crate::runner::{cwd, panic_hook};
use std::collections::HashMap;
use std::io::{self, Write};
use std::os::unix::net::UnixStream;
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

/// This process's place in the run, from the coordinator.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Role {
    /// Its position: `gw{slot}`.
    pub(crate) slot: usize,
    /// Workers in the run.
    pub(crate) workers: usize,
}

/// The worker role, if the coordinator started this process as a worker. The variable is
/// removed, so test binaries a test starts are not workers.
pub(crate) fn role() -> Option<Role> {
    let value = std::env::var(WORKER_ENV).ok()?;
    std::env::remove_var(WORKER_ENV);
    let (slot, workers) = value.split_once('/')?;
    Some(Role {
        slot: slot.parse().ok()?,
        workers: workers.parse().ok()?,
    })
}

/// The channel, shared by the main loop and tests that ask for per-run values.
struct Channel {
    stream: UnixStream,
    reader: FrameReader,
}

static CHANNEL: OnceLock<Mutex<Channel>> = OnceLock::new();

fn channel() -> MutexGuard<'static, Channel> {
    CHANNEL
        .get()
        .expect("the channel is opened before any test runs")
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
}

fn no_timeout(_: &mut UnixStream, _: Option<Duration>) -> io::Result<()> {
    Ok(())
}

impl Channel {
    fn receive(&mut self) -> Result<ToWorker, NoFrame> {
        let payload = self.reader.next(&mut self.stream, None, no_timeout)?;
        ToWorker::decode(&payload).map_err(NoFrame::Failed)
    }

    fn send(&mut self, message: &FromWorker) -> io::Result<()> {
        protocol::send(&mut self.stream, &message.encode())
    }
}

/// A test asks for a per-run value: the coordinator builds it once for the run.
fn ask_coordinator(name: &str) -> Result<String, String> {
    let mut channel = channel();
    let lost = |e: &dyn std::fmt::Display| format!("partest: lost the coordinator ({e})");
    channel
        .send(&FromWorker::Service(name.to_owned()))
        .map_err(|e| lost(&e))?;
    loop {
        match channel.receive() {
            Ok(ToWorker::Service(reply)) => return reply,
            Ok(_) => continue,
            Err(e) => return Err(lost(&format!("{e:?}"))),
        }
    }
}

/// Opens fd 3 (closed in the processes tests start) and kills the worker's process group as
/// soon as the coordinator hangs up (it died), even while a test hangs.
fn open_channel() -> io::Result<()> {
    let stream = super::sys::adopt_channel(CONTROL_FD)?;
    let _ = CHANNEL.set(Mutex::new(Channel {
        stream,
        reader: FrameReader::default(),
    }));
    std::thread::Builder::new()
        .name("partest-parent-watch".into())
        .spawn(|| super::sys::kill_own_group_on_hang_up(CONTROL_FD))?;
    Ok(())
}

/// Names are interned: leases hold `&'static str` pool names.
fn intern(name: String) -> &'static str {
    static NAMES: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());
    let mut names = NAMES.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(known) = names.iter().find(|n| **n == name) {
        return known;
    }
    let leaked: &'static str = Box::leak(name.into_boxed_str());
    names.push(leaked);
    leaked
}

/// Serves the coordinator until told to exit: runs each named test of `tests` with
/// `default_timeout` for async tests, then tears down this worker's resources.
pub(crate) fn serve(
    role: Role,
    tests: &[Test],
    default_timeout: Option<Duration>,
) -> io::Result<()> {
    open_channel()?;
    fixtures::enter_worker(role.slot);
    coordinator::connect(ask_coordinator);
    let by_name: HashMap<&str, Test> = tests.iter().map(|t| (t.name, *t)).collect();
    let mut capture = Capture::new(CaptureMode::Off);
    loop {
        let message = channel().receive();
        match message {
            Ok(ToWorker::Run { test, leases }) => {
                let finished = match by_name.get(test.as_str()) {
                    Some(test) => {
                        fixtures::set_leases(
                            leases.into_iter().map(|(p, s)| (intern(p), s)).collect(),
                        );
                        let done = execute::run(*test, &mut capture, default_timeout);
                        fixtures::set_leases(Vec::new());
                        flush_stdio();
                        FromWorker::Finished {
                            outcome: done.outcome,
                            duration: done.duration,
                            output: done.output,
                        }
                    }
                    None => FromWorker::Finished {
                        outcome: crate::outcome::Outcome::Failed {
                            message: Some(format!("partest: this binary has no test named {test}")),
                        },
                        duration: Duration::ZERO,
                        output: Vec::new(),
                    },
                };
                channel().send(&finished)?;
            }
            Ok(ToWorker::Exit) => break,
            Ok(ToWorker::Service(_)) => {}
            Err(NoFrame::Failed(e)) => return Err(e),
            Err(_) => return Ok(()),
        }
    }
    let mut failures = panic_hook::tear_down(resources::take_worker());
    failures.extend(panic_hook::tear_down(resources::take_run()));
    temp::finish_run();
    for note in cwd::take_notes() {
        eprintln!("partest: gw{}: {note}", role.slot);
    }
    flush_stdio();
    let mut channel = channel();
    for (what, report) in failures {
        channel.send(&FromWorker::TeardownFailed { what, report })?;
    }
    Ok(())
}

/// Flushes std's and C's stdio buffers, so a test's unfinished lines land in its output.
fn flush_stdio() {
    let _ = io::stdout().flush();
    let _ = io::stderr().flush();
    super::sys::flush_c_stdio();
}
