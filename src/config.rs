//! Optional configuration: `partest.toml` beside the adopting crate's `Cargo.toml`, or the
//! `[package.metadata.partest]` table in it (not both). Unknown keys and wrong types are
//! errors naming the key and the file. Everything here is a default that the environment
//! and the command line override. The main type is [`Config`].
//!
//! ```toml
//! markers = ["integration", "slow"]        # or { integration = "talks to services" }
//! strict_markers = true                    # an undeclared custom marker is an error
//! heavy_limit = 2
//! redis_dbs = 16
//! dist = "loadscope"
//! timeout = "60s"                          # for tests without their own
//! quarantine = ["known_broken"]            # these markers' failures never fail the run
//! trace = "target/partest/trace.json"      # relative to this file's directory
//! html = "target/partest/report.html"
//! [max_concurrency]
//! integration = 4
//! [pools]
//! postgres = 3
//! ```

use crate::cli::{ReportArgs, SchedulingArgs};
use crate::constraints::MAX_POOL_SIZE;
use crate::dist::{Dist, DIST_NAMES};
use crate::isolation::{Isolation, ISOLATION_NAMES};
use std::fmt;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};

/// The settings a config file can give.
#[derive(Clone, Debug, Default)]
pub(crate) struct Config {
    /// Where they came from.
    pub(crate) source: Option<PathBuf>,
    /// Declared custom markers.
    pub(crate) markers: Vec<String>,
    /// Undeclared custom markers are errors.
    pub(crate) strict_markers: bool,
    pub(crate) heavy_limit: Option<NonZeroUsize>,
    pub(crate) redis_dbs: Option<crate::constraints::RedisDbs>,
    pub(crate) dist: Option<Dist>,
    pub(crate) isolate: Option<Isolation>,
    /// Caps per custom marker.
    pub(crate) max_concurrency: Vec<(String, NonZeroUsize)>,
    /// Pool sizes.
    pub(crate) pools: Vec<(String, NonZeroUsize)>,
    /// Time limit of tests without their own `timeout`.
    pub(crate) timeout: Option<std::time::Duration>,
    /// Markers whose tests run and report but never fail the run.
    pub(crate) quarantine: Vec<String>,
    /// Where to write the run's trace (resolved against the file's directory).
    pub(crate) trace: Option<PathBuf>,
    /// Where to write the run's HTML report (resolved against the file's directory).
    pub(crate) html: Option<PathBuf>,
}

impl Config {
    /// Fills what the command line and environment left open in `args` from this file.
    pub(crate) fn fill(&self, args: &mut SchedulingArgs) {
        args.timeout = args.timeout.or(self.timeout);
        args.dist = args.dist.or(self.dist);
        args.isolate = args.isolate.or(self.isolate);
        args.heavy_limit = args.heavy_limit.or(self.heavy_limit);
        args.redis_dbs = args.redis_dbs.or(self.redis_dbs);
        for (list, from_config) in [
            (&mut args.caps, &self.max_concurrency),
            (&mut args.pools, &self.pools),
        ] {
            for (name, n) in from_config {
                if !list.iter().any(|(given, _)| given == name) {
                    list.push((name.clone(), *n));
                }
            }
        }
    }

    /// Fills the output files the command line and environment left open in `reports`,
    /// creating their directories.
    pub(crate) fn fill_reports(&self, reports: &mut ReportArgs) {
        for (given, from_config) in [
            (&mut reports.trace, &self.trace),
            (&mut reports.html, &self.html),
        ] {
            if given.is_none() {
                if let Some(path) = from_config {
                    crate::output_files::create_parent(path);
                    *given = Some(path.clone());
                }
            }
        }
    }
}

/// An unreadable or invalid config file.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file exists but cannot be read.
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The file is not TOML.
    NotToml {
        /// The file.
        path: PathBuf,
        /// The parser's message.
        reason: String,
    },
    /// `[package.metadata.partest]` is not a table.
    MetadataNotATable {
        /// The manifest.
        manifest: PathBuf,
    },
    /// Both `partest.toml` and `[package.metadata.partest]` configure partest.
    TwoSources {
        /// The `partest.toml`.
        file: PathBuf,
        /// The manifest.
        manifest: PathBuf,
    },
    /// A key is unknown or its value invalid.
    BadKey {
        /// The key as written (`package.metadata.partest.heavy_limit`).
        key: String,
        /// The file.
        source: PathBuf,
        /// What is wrong (`must be a whole number > 0`).
        problem: String,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Unreadable { path, reason } => {
                write!(f, "cannot read {}: {reason}", path.display())
            }
            ConfigError::NotToml { path, reason } => {
                write!(f, "{} is not valid TOML: {reason}", path.display())
            }
            ConfigError::MetadataNotATable { manifest } => write!(
                f,
                "[package.metadata.partest] in {} must be a table",
                manifest.display()
            ),
            ConfigError::TwoSources { file, manifest } => write!(
                f,
                "partest is configured in both {} and [package.metadata.partest] of {}; keep one",
                file.display(),
                manifest.display()
            ),
            ConfigError::BadKey {
                key,
                source,
                problem,
            } => write!(f, "`{key}` in {} {problem}", source.display()),
        }
    }
}

impl std::error::Error for ConfigError {}

/// The directory of the crate under test: cargo sets `CARGO_MANIFEST_DIR` when it runs a
/// test binary; otherwise the current directory.
fn crate_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Loads the crate's configuration (none is fine).
pub(crate) fn load() -> Result<Config, ConfigError> {
    load_from(&crate_dir())
}

fn read(path: &Path) -> Result<Option<toml::Table>, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => text
            .parse::<toml::Table>()
            .map(Some)
            .map_err(|e| ConfigError::NotToml {
                path: path.to_owned(),
                reason: e.to_string().trim().to_owned(),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(ConfigError::Unreadable {
            path: path.to_owned(),
            reason: e.to_string(),
        }),
    }
}

pub(crate) fn load_from(dir: &Path) -> Result<Config, ConfigError> {
    let file = dir.join("partest.toml");
    let manifest = dir.join("Cargo.toml");
    let own = read(&file)?;
    let metadata = read(&manifest)?
        .and_then(|t| t.get("package")?.get("metadata")?.get("partest").cloned())
        .map(|v| match v {
            toml::Value::Table(t) => Ok(t),
            _ => Err(ConfigError::MetadataNotATable {
                manifest: manifest.clone(),
            }),
        })
        .transpose()?;
    let (table, source, prefix) = match (own, metadata) {
        (Some(_), Some(_)) => return Err(ConfigError::TwoSources { file, manifest }),
        (Some(t), None) => (t, file, ""),
        (None, Some(t)) => (t, manifest, "package.metadata.partest."),
        (None, None) => return Ok(Config::default()),
    };
    parse(&table, &source, prefix).map(|mut c| {
        c.source = Some(source);
        c
    })
}

/// One key's value, with what an error about it must name.
struct Key<'a> {
    name: &'a str,
    value: &'a toml::Value,
    source: &'a Path,
    prefix: &'a str,
}

impl Key<'_> {
    fn err(&self, problem: &str) -> ConfigError {
        self.err_at(self.name, problem)
    }

    fn err_at(&self, name: &str, problem: &str) -> ConfigError {
        ConfigError::BadKey {
            key: format!("{}{name}", self.prefix),
            source: self.source.to_owned(),
            problem: problem.to_owned(),
        }
    }

    fn positive(&self) -> Result<NonZeroUsize, ConfigError> {
        positive(self.value).ok_or_else(|| self.err("must be a whole number > 0"))
    }

    /// A table of `name = number`.
    fn named_numbers(&self) -> Result<Vec<(String, NonZeroUsize)>, ConfigError> {
        let t = self
            .value
            .as_table()
            .ok_or_else(|| self.err("must be a table of name = number"))?;
        t.iter()
            .map(|(name, n)| {
                let n = positive(n).ok_or_else(|| {
                    self.err_at(
                        &format!("{}.{name}", self.name),
                        "must be a whole number > 0",
                    )
                })?;
                Ok((name.clone(), n))
            })
            .collect()
    }

    /// A table of pool sizes, each at most [`MAX_POOL_SIZE`].
    fn pool_sizes(&self) -> Result<Vec<(String, NonZeroUsize)>, ConfigError> {
        let pools = self.named_numbers()?;
        match pools.iter().find(|(_, n)| n.get() > MAX_POOL_SIZE as usize) {
            Some((name, n)) => Err(self.err_at(
                &format!("{}.{name}", self.name),
                &format!("is {n}; a pool holds at most {MAX_POOL_SIZE} slots"),
            )),
            None => Ok(pools),
        }
    }

    /// An array of marker names.
    fn names(&self, items: &[toml::Value]) -> Result<Vec<String>, ConfigError> {
        items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| self.err("must list marker names as strings"))
            })
            .collect()
    }

    fn markers(&self) -> Result<Vec<String>, ConfigError> {
        match self.value {
            toml::Value::Array(items) => self.names(items),
            toml::Value::Table(t) => Ok(t.keys().cloned().collect()),
            _ => Err(self.err("must be an array of names or a table of name = \"description\"")),
        }
    }

    fn redis_dbs(&self) -> Result<crate::constraints::RedisDbs, ConfigError> {
        match self.value {
            toml::Value::Integer(_) => self
                .positive()
                .map(|count| crate::constraints::RedisDbs { first: 0, count }),
            toml::Value::String(text) => crate::constraints::RedisDbs::parse(text)
                .map_err(|e| self.err(&format!("is invalid: {e}"))),
            _ => Err(self.err("must be a number like 16 or a range like \"1-15\"")),
        }
    }

    /// A file to write: a path relative to the config file's directory, or absolute.
    fn output_path(&self) -> Result<PathBuf, ConfigError> {
        let text = self
            .value
            .as_str()
            .filter(|t| !t.is_empty())
            .ok_or_else(|| self.err("must be a file path like \"target/partest/trace.json\""))?;
        let dir = self.source.parent().unwrap_or(Path::new("."));
        Ok(dir.join(text))
    }

    fn timeout(&self) -> Result<std::time::Duration, ConfigError> {
        let text = self
            .value
            .as_str()
            .ok_or_else(|| self.err("must be a duration like \"30s\""))?;
        let limit = crate::duration::parse_duration(text)
            .map_err(|e| self.err(&format!("is invalid: {e}")))?;
        if limit.is_zero() {
            return Err(self.err("must be greater than zero"));
        }
        Ok(limit)
    }
}

fn positive(value: &toml::Value) -> Option<NonZeroUsize> {
    value
        .as_integer()
        .and_then(|n| usize::try_from(n).ok())
        .and_then(NonZeroUsize::new)
}

fn parse(table: &toml::Table, source: &Path, prefix: &str) -> Result<Config, ConfigError> {
    let mut config = Config::default();
    for (name, value) in table {
        let key = Key {
            name,
            value,
            source,
            prefix,
        };
        match name.as_str() {
            "markers" => config.markers = key.markers()?,
            "strict_markers" => {
                config.strict_markers = value
                    .as_bool()
                    .ok_or_else(|| key.err("must be true or false"))?
            }
            "heavy_limit" => config.heavy_limit = Some(key.positive()?),
            "redis_dbs" => config.redis_dbs = Some(key.redis_dbs()?),
            "dist" => {
                let dist = value.as_str().and_then(Dist::parse);
                config.dist = Some(dist.ok_or_else(|| key.err(&format!("must be {DIST_NAMES}")))?)
            }
            "isolate" => {
                let isolate = value.as_str().and_then(Isolation::parse);
                config.isolate =
                    Some(isolate.ok_or_else(|| key.err(&format!("must be {ISOLATION_NAMES}")))?)
            }
            "timeout" => config.timeout = Some(key.timeout()?),
            "quarantine" => {
                let items = value
                    .as_array()
                    .ok_or_else(|| key.err("must be an array of marker names"))?;
                config.quarantine = key.names(items)?;
            }
            "trace" => config.trace = Some(key.output_path()?),
            "html" => config.html = Some(key.output_path()?),
            "max_concurrency" => config.max_concurrency = key.named_numbers()?,
            "pools" => config.pools = key.pool_sizes()?,
            _ => {
                let known = crate::cli::options::config_keys().join(", ");
                return Err(key.err(&format!("is not a partest setting (known: {known})")));
            }
        }
    }
    Ok(config)
}

#[cfg(test)]
mod tests;
