//! partest's own scheduling options ([`SchedulingArgs`]), with pytest-xdist's names where
//! one exists. Each falls back to an environment variable: command line > env > default.

use super::{env_var, parse_threads, Matches};
use crate::constraints::MAX_POOL_SIZE;
use crate::dist::{Dist, DIST_NAMES};
use crate::isolation::{Isolation, ISOLATION_NAMES};
use std::num::NonZeroUsize;
use std::time::Duration;

/// Options of the constraint-aware scheduler.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct SchedulingArgs {
    /// `--dist` / `PARTEST_DIST` (then the config; default `load`).
    pub dist: Option<Dist>,
    /// `--isolate` / `PARTEST_ISOLATE` (then the config; default `threads`).
    pub isolate: Option<Isolation>,
    /// `--max-worker-restart N` / `PARTEST_MAX_WORKER_RESTART`: crashed worker processes
    /// replaced before no new test starts (default 4 per worker).
    pub max_worker_restart: Option<usize>,
    /// `--timeout-grace D` / `PARTEST_TIMEOUT_GRACE`: SIGTERM to SIGKILL for a timed-out
    /// test's worker process (default 1 s).
    pub timeout_grace: Option<Duration>,
    /// `--maxfail N` / `-x` (= 1) / `--fail-fast` (= 1): start no test after N failures.
    pub maxfail: Option<NonZeroUsize>,
    /// `--heavy-limit N` / `PARTEST_HEAVY_LIMIT`: heavy_resource tests at once
    /// (default: a quarter of the workers, at least 1).
    pub heavy_limit: Option<NonZeroUsize>,
    /// `--redis-dbs N|A-B` / `PARTEST_REDIS_DBS`: the database indexes redis_isolated
    /// tests lease (default `0-15`).
    pub redis_dbs: Option<crate::constraints::RedisDbs>,
    /// `--max-concurrency MARKER=N` (repeatable) / `PARTEST_MAX_CONCURRENCY=a=1,b=2`:
    /// at most N tests carrying the marker at once.
    pub caps: Vec<(String, NonZeroUsize)>,
    /// `--resource-pool NAME=K` (repeatable) / `PARTEST_RESOURCE_POOLS=a=1,b=2`: pool sizes
    /// for `resource(NAME)` that do not state `count`.
    pub pools: Vec<(String, NonZeroUsize)>,
    /// `--timeout D` / `PARTEST_TIMEOUT`: time limit of tests without their own.
    pub timeout: Option<Duration>,
    /// `--slow-timeout D` / `PARTEST_SLOW_TIMEOUT` (default 60s, `0` turns it off): warn
    /// about tests running longer, again at each multiple.
    pub slow_timeout: Option<Duration>,
    /// `--run-timeout D` / `PARTEST_RUN_TIMEOUT`: end the run after this long.
    pub run_timeout: Option<Duration>,
    /// `--reruns N` / `PARTEST_RERUNS`: run a failing test up to N more times (a test's own
    /// `retries = N` wins).
    pub reruns: u32,
    /// `--reruns-delay D`: wait this long before each rerun.
    pub reruns_delay: Duration,
    /// `--fail-on-flaky`: a test that passed only on a rerun fails the run.
    pub fail_on_flaky: bool,
}

/// libtest's slow-test warning interval.
const DEFAULT_SLOW_TIMEOUT: Duration = Duration::from_secs(60);

/// The environment variable the settings table gives option `flag`.
fn env_name(flag: &str) -> &'static str {
    super::options::env_of(flag).unwrap_or_default()
}

/// The value of option `flag`'s environment variable, if set.
fn flag_env(flag: &str) -> Option<String> {
    super::options::env_of(flag).and_then(env_var)
}

/// Option `flag`'s text, from the command line or else its environment variable, with
/// how errors name where it came from (`argument for --flag`, or the variable).
fn given(m: &Matches, flag: &str) -> Option<(String, String)> {
    match m.value(flag) {
        Some(text) => Some((text.to_owned(), format!("argument for --{flag}"))),
        None => flag_env(flag).map(|text| (text, env_name(flag).to_owned())),
    }
}

fn duration_option(m: &Matches, flag: &str) -> Result<Option<Duration>, String> {
    given(m, flag)
        .map(|(text, what)| {
            crate::duration::parse_duration(&text).map_err(|e| format!("{what}: {e}"))
        })
        .transpose()
}

fn number(m: &Matches, flag: &str) -> Result<Option<NonZeroUsize>, String> {
    given(m, flag)
        .map(|(text, what)| parse_threads(&text, &what))
        .transpose()
}

/// A count that may be zero (`--reruns`, `--max-worker-restart`).
fn count<T: std::str::FromStr<Err = std::num::ParseIntError>>(
    m: &Matches,
    flag: &str,
) -> Result<Option<T>, String> {
    given(m, flag)
        .map(|(text, what)| {
            text.trim()
                .parse()
                .map_err(|e| format!("{what} must be a number (error: {e})"))
        })
        .transpose()
}

/// Option `flag`'s value as one of `names`' modes (`parse` knows them).
fn mode<T>(
    m: &Matches,
    flag: &str,
    parse: fn(&str) -> Option<T>,
    names: &str,
) -> Result<Option<T>, String> {
    given(m, flag)
        .map(|(text, what)| {
            parse(&text).ok_or_else(|| format!("{what} must be {names} (was {text})"))
        })
        .transpose()
}

fn redis_dbs(m: &Matches) -> Result<Option<crate::constraints::RedisDbs>, String> {
    given(m, "redis-dbs")
        .map(|(text, what)| {
            crate::constraints::RedisDbs::parse(&text)
                .map_err(|e| format!("{what} must be a number N or a range A-B (error: {e})"))
        })
        .transpose()
}

/// `NAME=N` pairs from a repeatable flag, or else from a comma-separated env variable.
fn pairs(m: &Matches, flag: &str) -> Result<Vec<(String, NonZeroUsize)>, String> {
    let env = env_name(flag);
    let given = m.values(flag);
    let (items, what) = if given.is_empty() {
        let text = env_var(env).unwrap_or_default();
        (
            text.split(',')
                .filter(|s| !s.trim().is_empty())
                .map(str::to_owned)
                .collect(),
            env.to_owned(),
        )
    } else {
        (given, format!("argument for --{flag}"))
    };
    items
        .iter()
        .map(|item| {
            let (name, n) = item
                .split_once('=')
                .ok_or_else(|| format!("{what} must look like NAME=N (was {item})"))?;
            let name = name.trim();
            if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
                return Err(format!(
                    "{what}: `{name}` is not a marker or pool name (was {item})"
                ));
            }
            let n = parse_threads(n.trim(), &format!("{what} ({name})"))?;
            if flag == "resource-pool" && n.get() > MAX_POOL_SIZE as usize {
                return Err(format!(
                    "{what}: pool `{name}` has {n} slots; a pool holds at most {MAX_POOL_SIZE}"
                ));
            }
            Ok((name.to_owned(), n))
        })
        .collect()
}

impl SchedulingArgs {
    /// The Redis database indexes in force (default `0-15`).
    pub fn redis_dbs(&self) -> crate::constraints::RedisDbs {
        self.redis_dbs.unwrap_or_default()
    }

    /// The `--isolate` mode in force.
    pub fn isolate(&self) -> Isolation {
        self.isolate.unwrap_or_default()
    }

    /// The `--timeout-grace` in force (default 1 s).
    pub fn timeout_grace(&self) -> Duration {
        self.timeout_grace.unwrap_or(Duration::from_secs(1))
    }

    /// The `--max-worker-restart` in force for `workers` workers (default 4 per worker).
    pub fn max_worker_restart(&self, workers: usize) -> usize {
        self.max_worker_restart.unwrap_or(4 * workers)
    }

    /// The `--dist` mode in force.
    pub fn dist(&self) -> Dist {
        self.dist.unwrap_or_default()
    }

    pub(super) fn from_matches(m: &Matches) -> Result<Self, String> {
        let dist = mode(m, "dist", Dist::parse, DIST_NAMES)?;
        let isolate = mode(m, "isolate", Isolation::parse, ISOLATION_NAMES)?;
        let maxfail = match m.value("maxfail") {
            Some(text) => Some(parse_threads(text, "argument for --maxfail")?),
            None if m.flag("exitfirst") || m.flag("fail-fast") => Some(NonZeroUsize::MIN),
            None => None,
        };
        Ok(SchedulingArgs {
            dist,
            isolate,
            max_worker_restart: count(m, "max-worker-restart")?,
            timeout_grace: duration_option(m, "timeout-grace")?,
            maxfail,
            heavy_limit: number(m, "heavy-limit")?,
            redis_dbs: redis_dbs(m)?,
            caps: pairs(m, "max-concurrency")?,
            pools: pairs(m, "resource-pool")?,
            timeout: duration_option(m, "timeout")?.filter(|d| !d.is_zero()),
            slow_timeout: match duration_option(m, "slow-timeout")? {
                Some(d) if d.is_zero() => None,
                Some(d) => Some(d),
                None => Some(DEFAULT_SLOW_TIMEOUT),
            },
            run_timeout: duration_option(m, "run-timeout")?.filter(|d| !d.is_zero()),
            reruns: count(m, "reruns")?.unwrap_or(0),
            reruns_delay: duration_option(m, "reruns-delay")?.unwrap_or_default(),
            fail_on_flaky: m.flag("fail-on-flaky"),
        })
    }
}
