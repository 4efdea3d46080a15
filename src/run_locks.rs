//! Cross-process locks for a test process under `cargo nextest run` ([`acquire`]): nextest
//! runs a process per test, so partest's scheduler cannot keep markers apart there. Each
//! process takes `flock(2)` locks in a directory named after `NEXTEST_RUN_ID` before its
//! test runs — shared on the run's lock for every test, exclusive for a `serial` test, one
//! exclusive lock per `serial(key)`, one of the Redis database locks (the database is what
//! `redis_db()` returns), one of K slot locks for a pool of K (the slot is what
//! `resource_slot()` returns), for the heavy limit and for each capped marker, one
//! exclusive lock per `group` (its tests run one at a time) — always in the order of the
//! test's claims (`claims.rs`), so no two processes can wait on each other in a cycle.
//! The kernel releases them when the process ends, however it ends. The generated
//! `--nextest-config` stays the efficient way: with it no process sits in a slot waiting.
//!
//! A Redis lease is keyed by the database index, so it means one database in every binary.
//! nextest lists every binary before it runs a test (with `NEXTEST_RUN_ID` set since
//! nextest 0.9.138): listing, a binary records its Redis range in the run's directory
//! ([`record_redis_range`]), and a test leases only from the databases every recorded range
//! holds, so a database one binary keeps for sharing is never leased by another.

use crate::claims::Claim;
use crate::cli::SchedulingArgs;
use crate::constraints::RedisDbs;
use crate::filter::{Disposition, Selection};
use crate::plan::Test;
use crate::scheduler::{pool_size, REDIS_POOL};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The locks a test process holds (released when dropped or when the process ends), and
/// the pool slots they lease.
#[derive(Debug, Default)]
pub(crate) struct Held {
    _files: Vec<File>,
    /// (pool name, slot) for each pool the test leases from.
    pub(crate) slots: Vec<(String, u32)>,
}

/// Elsewhere than on unix the locks are not taken (use `--nextest-config`).
#[cfg(not(unix))]
fn lock(_file: &File, _exclusive: bool, _wait: bool) -> std::io::Result<bool> {
    Ok(true)
}

/// Whether the lock on `file` was taken (without waiting unless `wait`).
#[cfg(unix)]
fn lock(file: &File, exclusive: bool, wait: bool) -> std::io::Result<bool> {
    use std::os::fd::AsRawFd;
    let mode = if exclusive {
        libc::LOCK_EX
    } else {
        libc::LOCK_SH
    };
    let flags = if wait { mode } else { mode | libc::LOCK_NB };
    loop {
        // SAFETY: flock on a descriptor we own.
        if unsafe { libc::flock(file.as_raw_fd(), flags) } == 0 {
            return Ok(true);
        }
        let e = std::io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::EWOULDBLOCK) if !wait => return Ok(false),
            _ => return Err(e),
        }
    }
}

fn open(dir: &Path, name: &str) -> std::io::Result<File> {
    File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(name))
}

/// File names stay plain whatever a marker or key is called.
fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// Takes locks one after another, saying once that the test waits.
struct Taker<'a> {
    dir: PathBuf,
    test: &'a str,
    said: bool,
    held: Held,
}

impl Taker<'_> {
    fn say_waiting(&mut self, what: &str) {
        if !self.said {
            self.said = true;
            eprintln!(
                "partest: {} waits for {what} held by another test process of this nextest run \
                 (cross-process locks; `--nextest-config` makes nextest schedule around it)",
                self.test
            );
        }
    }

    /// Takes lock `name` (shared or exclusive), waiting if need be.
    fn one(&mut self, name: &str, exclusive: bool, what: &str) -> std::io::Result<()> {
        let file = open(&self.dir, name)?;
        if !lock(&file, exclusive, false)? {
            self.say_waiting(what);
            lock(&file, exclusive, true)?;
        }
        self.held._files.push(file);
        Ok(())
    }

    /// Takes one of `count` slot locks `prefix-0` … ; the slot taken.
    fn slot(&mut self, prefix: &str, count: usize, what: &str) -> std::io::Result<u32> {
        self.slot_among(prefix, 0..count as u32, what)
    }

    /// Takes one of the slot locks `prefix-I` for I in `indexes`; the index taken.
    fn slot_among(
        &mut self,
        prefix: &str,
        indexes: std::ops::Range<u32>,
        what: &str,
    ) -> std::io::Result<u32> {
        let first = indexes.start;
        let files: Vec<File> = indexes
            .map(|i| open(&self.dir, &format!("{prefix}-{i}.lock")))
            .collect::<Result<_, _>>()?;
        let mut pause = Duration::from_millis(1);
        loop {
            for (i, file) in files.iter().enumerate() {
                if lock(file, true, false)? {
                    let file = files.into_iter().nth(i).expect("index in range");
                    self.held._files.push(file);
                    return Ok(first + i as u32);
                }
            }
            self.say_waiting(what);
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(50));
        }
    }

    /// Takes the lock(s) of one claim. Pools the test's nextest group already keeps
    /// (`covered`) are left to nextest.
    fn take(
        &mut self,
        claim: Claim,
        args: &SchedulingArgs,
        covered: Option<&str>,
    ) -> std::io::Result<()> {
        match claim {
            Claim::Serial => {}
            Claim::Key(key) => {
                let what = format!("serial key `{key}`");
                self.one(&format!("key-{}.lock", sanitize(key)), true, &what)?;
            }
            Claim::Redis => {
                let range = run_redis_range(&self.dir, args.redis_dbs())?;
                let what = "a Redis database";
                let index = self.slot_among("redis-db", range.first..range.end(), what)?;
                self.held.slots.push((REDIS_POOL.to_owned(), index));
            }
            Claim::Pool { name, .. } if covered == Some(name) => {}
            Claim::Pool { name, count } => {
                let size = pool_size(args, name, count.map(|c| c as usize));
                let what = format!("a slot of pool `{name}`");
                let slot = self.slot(&format!("pool-{}", sanitize(name)), size, &what)?;
                self.held.slots.push((name.to_owned(), slot));
            }
            Claim::Heavy => {
                let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
                let limit = args.heavy_limit.map_or_else(
                    || crate::scheduler::default_heavy_limit(threads),
                    |n| n.get(),
                );
                self.slot("heavy", limit, "a heavy_resource slot")?;
            }
            Claim::Cap(marker) => {
                let cap = args.caps.iter().find(|(m, _)| m == marker);
                let cap = cap.map_or(1, |(_, n)| n.get());
                let what = format!("a slot of marker `{marker}`'s cap");
                self.slot(&format!("cap-{}", sanitize(marker)), cap, &what)?;
            }
            // A group's tests share one worker under partest's scheduler: one at a time.
            Claim::Group(group) => {
                let what = format!("group `{group}`");
                self.one(&format!("group-{}.lock", sanitize(group)), true, &what)?;
            }
        }
        Ok(())
    }
}

/// The locks of a test process under nextest (one test, `NEXTEST_RUN_ID` set); none
/// otherwise. `covered` is the pool the test's nextest group already keeps, if any.
pub(crate) fn for_process(
    args: &SchedulingArgs,
    selection: &Selection,
    (under_nextest, runnable): (bool, usize),
    covered: Option<&str>,
) -> std::io::Result<Held> {
    let run_id = std::env::var("NEXTEST_RUN_ID").unwrap_or_default();
    let test = selection
        .tests
        .iter()
        .find(|p| p.disposition == Disposition::Run);
    match test {
        Some(planned) if under_nextest && runnable == 1 && !run_id.is_empty() => {
            acquire(&planned.test, args, &run_id, covered)
        }
        _ => Ok(Held::default()),
    }
}

/// Takes the locks `test`'s markers need in this nextest run (`run_id`). Pools the test's
/// nextest group already covers (`covered`, from `--nextest-config`) are left to nextest.
pub(crate) fn acquire(
    test: &Test,
    args: &SchedulingArgs,
    run_id: &str,
    covered: Option<&str>,
) -> std::io::Result<Held> {
    let dir = run_dir(run_id);
    std::fs::create_dir_all(&dir)?;
    let mut taker = Taker {
        dir,
        test: test.name,
        said: false,
        held: Held::default(),
    };
    let claims = test.claims(&args.caps);
    let serial = claims.first() == Some(&Claim::Serial);
    taker.one("run.lock", serial, "the serial tests")?;
    // Claims come sorted, so every test process takes its locks in one order.
    for claim in claims {
        taker.take(claim, args, covered)?;
    }
    Ok(taker.held)
}

/// The run's lock directory.
fn run_dir(run_id: &str) -> PathBuf {
    std::env::temp_dir().join(format!("partest-locks-{}", sanitize(run_id)))
}

/// Under nextest's listing of a binary whose tests lease Redis databases (or that sets a
/// range), records its range in the run's directory for the run's tests to intersect.
pub(crate) fn record_redis_range(args: &SchedulingArgs, tests: &[Test]) -> std::io::Result<()> {
    let run_id = std::env::var("NEXTEST_RUN_ID").unwrap_or_default();
    let leases = tests.iter().any(|t| t.holds(Claim::Redis));
    if run_id.is_empty() || !(leases || args.redis_dbs.is_some()) {
        return Ok(());
    }
    let dir = run_dir(&run_id).join("redis-ranges");
    std::fs::create_dir_all(&dir)?;
    let binary = std::env::var("NEXTEST_BINARY_ID").unwrap_or_else(|_| {
        let exe = std::env::current_exe().unwrap_or_default();
        exe.file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned()
    });
    let range = args.redis_dbs().to_string();
    // Written whole, then renamed: a reader never sees half a range.
    let temp = dir.join(format!(".{}.{}", sanitize(&binary), std::process::id()));
    std::fs::write(&temp, format!("{binary}\t{range}\n"))?;
    std::fs::rename(&temp, dir.join(sanitize(&binary)))
}

/// The databases every binary of the run may lease: `own` intersected with each range the
/// run's binaries recorded when nextest listed them. None in common is an error naming them.
fn run_redis_range(dir: &Path, own: RedisDbs) -> std::io::Result<RedisDbs> {
    let mut range = own;
    let mut seen = vec![format!("this binary: {own}")];
    let entries = match std::fs::read_dir(dir.join("redis-ranges")) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(own),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let path = entry?.path();
        if path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        {
            continue; // a record being written
        }
        let text = std::fs::read_to_string(&path)?;
        let Some((binary, other)) = text.trim_end().split_once('\t') else {
            continue;
        };
        let other = RedisDbs::parse(other).map_err(std::io::Error::other)?;
        seen.push(format!("{binary}: {other}"));
        range = range.intersect(&other).ok_or_else(|| {
            std::io::Error::other(format!(
                "the binaries of this run keep no Redis database in common ({}); give them \
                 overlapping ranges (--redis-dbs A-B, config redis_dbs)",
                seen.join(", ")
            ))
        })?;
    }
    Ok(range)
}
