//! partest's own scheduling options ([`SchedulingArgs`]), with pytest-xdist's names where
//! one exists. Each falls back to an environment variable: command line > env > default.

use super::{env_var, parse_threads, Matches};
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

fn duration_option(m: &Matches, flag: &str) -> Result<Option<Duration>, String> {
    let env = env_name(flag);
    let (text, what) = match m.value(flag) {
        Some(text) => (text.to_owned(), format!("argument for --{flag}")),
        None => match env_var(env) {
            Some(text) => (text, env.to_owned()),
            None => return Ok(None),
        },
    };
    crate::duration::parse_duration(&text)
        .map(Some)
        .map_err(|e| format!("{what}: {e}"))
}

fn number(m: &Matches, flag: &str) -> Result<Option<NonZeroUsize>, String> {
    let env = env_name(flag);
    match m.value(flag) {
        Some(text) => parse_threads(text, &format!("argument for --{flag}")).map(Some),
        None => match env_var(env) {
            Some(text) => parse_threads(&text, env).map(Some),
            None => Ok(None),
        },
    }
}

fn redis_dbs(m: &Matches) -> Result<Option<crate::constraints::RedisDbs>, String> {
    let (text, what) = match m.value("redis-dbs") {
        Some(text) => (text.to_owned(), "argument for --redis-dbs".to_owned()),
        None => match flag_env("redis-dbs") {
            Some(text) => (text, env_name("redis-dbs").to_owned()),
            None => return Ok(None),
        },
    };
    crate::constraints::RedisDbs::parse(&text)
        .map(Some)
        .map_err(|e| format!("{what} must be a number N or a range A-B (error: {e})"))
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
            Ok((
                name.to_owned(),
                parse_threads(n.trim(), &format!("{what} ({name})"))?,
            ))
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
        let dist_text = m
            .value("dist")
            .map(str::to_owned)
            .or_else(|| flag_env("dist"));
        let dist =
            match dist_text.as_deref() {
                None => None,
                Some(name) => Some(Dist::parse(name).ok_or_else(|| {
                    format!("argument for --dist must be {DIST_NAMES} (was {name})")
                })?),
            };
        let isolate = match m
            .value("isolate")
            .map(str::to_owned)
            .or_else(|| flag_env("isolate"))
        {
            None => None,
            Some(name) => Some(Isolation::parse(&name).ok_or_else(|| {
                format!("argument for --isolate must be {ISOLATION_NAMES} (was {name})")
            })?),
        };
        let max_worker_restart = match m
            .value("max-worker-restart")
            .map(|t| (t.to_owned(), "argument for --max-worker-restart".to_owned()))
            .or_else(|| {
                flag_env("max-worker-restart")
                    .map(|t| (t, env_name("max-worker-restart").to_owned()))
            }) {
            None => None,
            Some((text, what)) => Some(
                text.trim()
                    .parse()
                    .map_err(|e| format!("{what} must be a number (error: {e})"))?,
            ),
        };
        let maxfail = match m.value("maxfail") {
            Some(text) => Some(parse_threads(text, "argument for --maxfail")?),
            None if m.flag("exitfirst") || m.flag("fail-fast") => Some(NonZeroUsize::MIN),
            None => None,
        };
        Ok(SchedulingArgs {
            dist,
            isolate,
            max_worker_restart,
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
            reruns: match m
                .value("reruns")
                .map(str::to_owned)
                .or_else(|| flag_env("reruns"))
            {
                Some(text) => text
                    .trim()
                    .parse()
                    .map_err(|e| format!("argument for --reruns must be a number (error: {e})"))?,
                None => 0,
            },
            reruns_delay: duration_option(m, "reruns-delay")?.unwrap_or_default(),
            fail_on_flaky: m.flag("fail-on-flaky"),
        })
    }
}
