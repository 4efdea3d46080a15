//! The crate's [`Error`]: everything that stops a run before or outside the tests.

use crate::cli::CliError;
use crate::config::ConfigError;
use crate::registry::RegistryError;
use crate::scheduler::ConstraintError;
use crate::select::SelectError;
use std::fmt;
use std::io;

/// Why a run could not be carried out.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// Invalid command line.
    Cli(CliError),
    /// Invalid set of registered tests.
    Registry(RegistryError),
    /// Constraints that cannot hold (e.g. one pool declared with two sizes).
    Constraint(ConstraintError),
    /// An invalid config file.
    Config(ConfigError),
    /// A selection that cannot be made (e.g. an undeclared marker with --strict-markers).
    Select(SelectError),
    /// Writing the report or running the pool failed.
    Io(io::Error),
    /// Under `cargo partest`: a test binary could not be run or read, or binaries
    /// disagree on a setting.
    Binary(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Cli(e) => e.fmt(f),
            Error::Registry(e) => e.fmt(f),
            Error::Constraint(e) => e.fmt(f),
            Error::Config(e) => e.fmt(f),
            Error::Select(e) => e.fmt(f),
            Error::Io(e) => write!(f, "i/o error while running tests: {e}"),
            Error::Binary(text) => f.write_str(text),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Cli(e) => Some(e),
            Error::Registry(e) => Some(e),
            Error::Constraint(e) => Some(e),
            Error::Config(e) => Some(e),
            Error::Select(e) => Some(e),
            Error::Io(e) => Some(e),
            Error::Binary(_) => None,
        }
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Error::Io(e)
    }
}

impl From<RegistryError> for Error {
    fn from(e: RegistryError) -> Self {
        Error::Registry(e)
    }
}

impl From<ConstraintError> for Error {
    fn from(e: ConstraintError) -> Self {
        Error::Constraint(e)
    }
}

impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Self {
        Error::Config(e)
    }
}

impl From<SelectError> for Error {
    fn from(e: SelectError) -> Self {
        Error::Select(e)
    }
}
