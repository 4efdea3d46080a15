//! [`ServiceError`]: why a service fixture could not give its server.

use std::fmt;
use std::path::PathBuf;

/// A server binary is missing, a server did not start, or an admin command failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum ServiceError {
    /// A program the service needs is not installed.
    MissingBinary {
        /// The program, e.g. `redis-server`.
        program: &'static str,
        /// Where partest looked.
        searched: &'static str,
        /// The Debian/Ubuntu package that brings it.
        debian: &'static str,
        /// The Homebrew formula that brings it.
        homebrew: &'static str,
        /// The variable that points partest at a running server instead.
        url_var: &'static str,
    },
    /// The server process could not be started or did not become ready.
    Start {
        /// The program.
        program: String,
        /// What went wrong.
        reason: String,
        /// The last lines of its log.
        log: String,
    },
    /// An I/O error while preparing or talking to a server.
    Io {
        /// What partest was doing.
        doing: String,
        /// The error.
        source: std::io::Error,
    },
    /// An admin command (e.g. `CREATE DATABASE`) failed.
    Command {
        /// The command.
        command: String,
        /// What the server or client said.
        output: String,
    },
    /// A URL given in the environment cannot be used.
    BadUrl {
        /// The variable.
        var: &'static str,
        /// Its value.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// No unprivileged user to run PostgreSQL as (it refuses to run as root).
    NoUser {
        /// The user asked for.
        user: String,
    },
    /// The data directory could not be prepared.
    DataDir {
        /// The directory.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServiceError::MissingBinary {
                program,
                searched,
                debian,
                homebrew,
                url_var,
            } => write!(
                f,
                "`{program}` was not found {searched}: install it (Debian/Ubuntu: \
                 `sudo apt-get install {debian}`; Homebrew: `brew install {homebrew}`), \
                 or set {url_var} to use a running server"
            ),
            ServiceError::Start {
                program,
                reason,
                log,
            } => {
                write!(f, "could not start {program}: {reason}")?;
                if !log.trim().is_empty() {
                    write!(f, "\nits log ends with:\n{}", log.trim_end())?;
                }
                Ok(())
            }
            ServiceError::Io { doing, source } => write!(f, "{doing}: {source}"),
            ServiceError::Command { command, output } => {
                write!(f, "`{command}` failed: {}", output.trim_end())
            }
            ServiceError::BadUrl { var, url, reason } => {
                write!(f, "{var}={url} cannot be used: {reason}")
            }
            ServiceError::NoUser { user } => write!(
                f,
                "PostgreSQL refuses to run as root and there is no user `{user}` to run it as \
                 (set PARTEST_POSTGRES_USER to an unprivileged user)"
            ),
            ServiceError::DataDir { path, source } => {
                write!(f, "could not prepare {}: {source}", path.display())
            }
        }
    }
}

impl std::error::Error for ServiceError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ServiceError::Io { source, .. } | ServiceError::DataDir { source, .. } => Some(source),
            _ => None,
        }
    }
}
