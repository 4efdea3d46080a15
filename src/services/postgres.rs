//! [`postgres()`]: one PostgreSQL server per run (or `PARTEST_POSTGRES_URL`'s), started
//! from a cached `initdb` result (see `cluster`), so only the first run pays for `initdb`.
//! Admin SQL goes through `psql`.

use super::cluster::{as_user, cached_cluster, copy_tree, give_to, ready, run_as};
use super::process::{self, Server};
use super::{binary, ServiceError};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

/// A PostgreSQL server for this run: started by partest, or `PARTEST_POSTGRES_URL`'s.
#[derive(Debug)]
pub struct Postgres {
    /// `postgresql://user@host:port` (with any password), without a database.
    base: String,
    /// `?…` from the URL, kept on every database's URL.
    query: String,
    psql: PathBuf,
    /// `server_version_num`, e.g. 150018.
    version: u32,
    server: Option<Server>,
}

impl Postgres {
    /// The URL of the maintenance database (`postgres`, or the one the URL named).
    pub fn url(&self) -> String {
        self.url_for("postgres")
    }

    /// The URL of database `database` on this server.
    pub fn url_for(&self, database: &str) -> String {
        format!("{}/{database}{}", self.base, self.query)
    }

    /// The process id of the server partest started (`None` for `PARTEST_POSTGRES_URL`).
    pub fn pid(&self) -> Option<u32> {
        self.server.as_ref().map(Server::pid)
    }

    /// The server's version as `server_version_num` (e.g. `150018` for 15.18).
    pub fn version(&self) -> u32 {
        self.version
    }

    /// Runs `sql` in the maintenance database with `psql` and returns what it printed
    /// (rows unaligned, one per line, fields separated by `|`).
    pub fn execute(&self, sql: &str) -> Result<String, ServiceError> {
        psql(&self.psql, &self.url(), sql)
    }

    /// [`execute`](Postgres::execute) in database `database`.
    pub(super) fn execute_in(&self, database: &str, sql: &str) -> Result<String, ServiceError> {
        psql(&self.psql, &self.url_for(database), sql)
    }

    /// The existing server at `url` (what `PARTEST_POSTGRES_URL` gives the fixture).
    pub fn connect(url: &str) -> Result<Postgres, ServiceError> {
        let bad = |reason| ServiceError::BadUrl {
            var: "PARTEST_POSTGRES_URL",
            url: url.to_owned(),
            reason,
        };
        let (scheme, rest) = url
            .split_once("://")
            .filter(|(s, _)| *s == "postgres" || *s == "postgresql")
            .ok_or_else(|| bad("it must start with postgres:// or postgresql://"))?;
        let (rest, query) = match rest.split_once('?') {
            Some((r, q)) => (r, format!("?{q}")),
            None => (rest, String::new()),
        };
        let authority = rest.split('/').next().unwrap_or_default();
        if authority.is_empty() {
            return Err(bad("it names no host"));
        }
        let psql = binary::postgres_tool(None, "psql").ok_or(missing("psql"))?;
        let mut found = Postgres {
            base: format!("{scheme}://{authority}"),
            query,
            psql,
            version: 0,
            server: None,
        };
        found.version = found.server_version()?;
        Ok(found)
    }

    fn server_version(&self) -> Result<u32, ServiceError> {
        let text = self.execute("SHOW server_version_num")?;
        text.trim().parse().map_err(|_| ServiceError::Command {
            command: "SHOW server_version_num".into(),
            output: text,
        })
    }

    /// Starts a PostgreSQL server of your own, stopped (and its data removed) when the
    /// handle is dropped. Tests should use the run's shared one instead.
    pub fn start() -> Result<Postgres, ServiceError> {
        let worker = crate::fixtures::identity::current_worker();
        crate::timeline::timed(worker, "postgres start-up", Self::start_server)
    }

    fn start_server() -> Result<Postgres, ServiceError> {
        let bin = binary::postgres_dir().ok_or(missing("postgres"))?;
        let psql = binary::postgres_tool(Some(&bin), "psql").ok_or(missing("psql"))?;
        let owner = run_as()?;
        let template = cached_cluster(&bin, owner)?;
        process::on_a_free_port("postgres", |port| {
            let dir = process::data_dir("pg")?;
            let data = dir.path().join("data");
            copy_tree(&template, &data).map_err(|source| ServiceError::DataDir {
                path: data.clone(),
                source,
            })?;
            give_to(&data, owner)?;
            let mut cmd = Command::new(bin.join("postgres"));
            cmd.arg("-D").arg(&data);
            cmd.args(["-p", &port.to_string(), "-h", "127.0.0.1", "-k", ""])
                .args([
                    "-F",
                    "-c",
                    "synchronous_commit=off",
                    "-c",
                    "full_page_writes=off",
                ])
                .args(["-c", "max_connections=300", "-c", "shared_buffers=32MB"]);
            as_user(&mut cmd, owner);
            let log = dir.path().join("postgres.log");
            let mut server = Server::start(cmd, libc::SIGINT, log, Some(dir))?;
            match server.wait_ready(|| ready(&data)) {
                Ok(()) => {
                    let mut pg = Postgres {
                        base: format!("postgresql://postgres@127.0.0.1:{port}"),
                        query: String::new(),
                        psql: psql.clone(),
                        version: 0,
                        server: Some(server),
                    };
                    pg.version = pg.server_version()?;
                    Ok(pg)
                }
                Err(e) if server.log_tail().contains("already in use") => {
                    Err(process::PortAttempt::Taken(e))
                }
                Err(e) => Err(e.into()),
            }
        })
    }
}

fn missing(program: &'static str) -> ServiceError {
    ServiceError::MissingBinary {
        program,
        searched: "on PATH, in $PARTEST_POSTGRES_BIN or in the usual install directories",
        debian: "postgresql",
        homebrew: "postgresql",
        url_var: "PARTEST_POSTGRES_URL",
    }
}

/// Runs `sql` against `url` with `psql`; its output, or its error text.
fn psql(psql: &Path, url: &str, sql: &str) -> Result<String, ServiceError> {
    let out = Command::new(psql)
        .args([
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            url,
            "-c",
            sql,
        ])
        .env("PGCONNECT_TIMEOUT", "10")
        .output()
        .map_err(|source| ServiceError::Io {
            doing: format!("running {}", psql.display()),
            source,
        })?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(ServiceError::Command {
            command: sql.to_owned(),
            output: String::from_utf8_lossy(&out.stderr).into_owned(),
        })
    }
}

/// The run's PostgreSQL server, started on first use (or `PARTEST_POSTGRES_URL`'s, whose
/// user must be allowed to create databases). One per run; stopped and its data removed
/// at the end of the run.
///
/// # Panics
/// When PostgreSQL is not installed (the message names the package), fails to start, or
/// `PARTEST_POSTGRES_URL` cannot be used. Every later caller fails with the same text.
#[track_caller]
pub fn postgres() -> Arc<Postgres> {
    crate::per_run(|| {
        let found = match super::given_url("PARTEST_POSTGRES_URL", "postgres") {
            Some(Ok(url)) => Postgres::connect(&url),
            Some(Err(why)) => panic!("{why}"),
            None => Postgres::start(),
        };
        found.unwrap_or_else(|e| panic!("partest::services::postgres(): {e}"))
    })
}
