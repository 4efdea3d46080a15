//! [`redis()`]: one `redis-server` per run (or `PARTEST_REDIS_URL`), and [`redis_url()`]:
//! the flushed database a `redis_isolated` test leased. Talks to the server with a few
//! RESP commands of its own (`PING`, `SELECT`, `FLUSHDB`, `AUTH`); tests bring a client.

use super::process::{self, Server};
use super::{binary, ServiceError};
use crate::fixtures::identity;
use std::cell::Cell;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

/// A Redis server for this run: started by partest, or the one `PARTEST_REDIS_URL` names.
#[derive(Debug)]
pub struct Redis {
    host: String,
    port: u16,
    /// `user:password@` or `:password@`, as given in the URL.
    credentials: String,
    password: Option<(Option<String>, String)>,
    server: Option<Server>,
}

impl Redis {
    /// The server's host (`127.0.0.1` for one partest started).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The server's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL of database 0: `redis://127.0.0.1:PORT/0`.
    pub fn url(&self) -> String {
        self.db_url(0)
    }

    /// The URL of database `db`.
    pub fn db_url(&self, db: u32) -> String {
        format!(
            "redis://{}{}:{}/{db}",
            self.credentials, self.host, self.port
        )
    }

    /// The process id of the server partest started (`None` for `PARTEST_REDIS_URL`).
    pub fn pid(&self) -> Option<u32> {
        self.server.as_ref().map(Server::pid)
    }

    /// Removes every key of database `db` (`FLUSHDB`).
    pub fn flush_db(&self, db: u32) -> Result<(), ServiceError> {
        let db = db.to_string();
        self.commands(&[&["SELECT", &db], &["FLUSHDB"]]).map(drop)
    }

    /// Whether the server has every database the run may lease (asked once per run, of a
    /// server partest did not start: `SELECT` of the highest index).
    fn holds_the_leased_range(&self) -> Result<(), String> {
        static CHECKED: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
        if self.server.is_some() {
            return Ok(()); // started with `--databases` covering the range
        }
        let leased = identity::redis_dbs();
        let highest = (leased.end() - 1).to_string();
        let select = || self.commands(&[&["SELECT", &highest]]).map(drop);
        CHECKED
            .get_or_init(|| {
                select().map_err(|e| {
                    format!(
                        "the Redis server at {}:{} has no database {highest}, and the run \
                         leases databases {leased} ({e}); set redis_dbs in partest.toml or \
                         --redis-dbs within the server's `databases`, or raise that setting",
                        self.host, self.port
                    )
                })
            })
            .clone()
    }

    /// Sends `commands` on one connection (after `AUTH` when the URL has a password) and
    /// returns their replies as text; an error reply is an error.
    fn commands(&self, commands: &[&[&str]]) -> Result<Vec<String>, ServiceError> {
        let doing = |what: &str| format!("{what} the Redis server at {}:{}", self.host, self.port);
        let io = |what: &str| {
            let doing = doing(what);
            move |source| ServiceError::Io { doing, source }
        };
        let stream =
            TcpStream::connect((self.host.as_str(), self.port)).map_err(io("connecting to"))?;
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .map_err(io("connecting to"))?;
        let mut all: Vec<Vec<&str>> = Vec::new();
        if let Some((user, password)) = &self.password {
            let mut auth = vec!["AUTH"];
            auth.extend(user.as_deref());
            auth.push(password);
            all.push(auth);
        }
        all.extend(commands.iter().map(|c| c.to_vec()));
        let mut request = Vec::new();
        for command in &all {
            request.extend(format!("*{}\r\n", command.len()).into_bytes());
            for arg in command {
                request.extend(format!("${}\r\n{arg}\r\n", arg.len()).into_bytes());
            }
        }
        (&stream).write_all(&request).map_err(io("writing to"))?;
        let mut reader = BufReader::new(&stream);
        let mut replies = Vec::new();
        for command in &all {
            let mut line = String::new();
            reader.read_line(&mut line).map_err(io("reading from"))?;
            let line = line.trim_end().to_owned();
            if line.is_empty()
                || line.starts_with('-')
                || line.starts_with('$')
                || line.starts_with('*')
            {
                // Only status and integer replies are expected from these commands.
                return Err(ServiceError::Command {
                    command: command.first().copied().unwrap_or_default().to_owned(),
                    output: if line.is_empty() {
                        "the connection closed".into()
                    } else {
                        line
                    },
                });
            }
            replies.push(line[1..].to_owned());
        }
        Ok(replies.split_off(replies.len() - commands.len()))
    }

    /// The existing server at `url` (what `PARTEST_REDIS_URL` gives the fixture).
    pub fn connect(url: &str) -> Result<Redis, ServiceError> {
        let bad = |reason| ServiceError::BadUrl {
            var: "PARTEST_REDIS_URL",
            url: url.to_owned(),
            reason,
        };
        let rest = url
            .strip_prefix("redis://")
            .ok_or_else(|| bad("it must start with redis://"))?;
        let authority = rest.split('/').next().unwrap_or_default();
        let (credentials, hostport) = match authority.rsplit_once('@') {
            Some((c, h)) => (format!("{c}@"), h),
            None => (String::new(), authority),
        };
        let password = credentials.strip_suffix('@').and_then(|c| {
            let (user, password) = c.split_once(':')?;
            Some((
                (!user.is_empty()).then(|| user.to_owned()),
                password.to_owned(),
            ))
        });
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) => (h, p.parse().map_err(|_| bad("its port is not a number"))?),
            None => (hostport, 6379),
        };
        if host.is_empty() {
            return Err(bad("it names no host"));
        }
        Ok(Redis {
            host: host.to_owned(),
            port,
            credentials,
            password,
            server: None,
        })
    }

    /// Starts a Redis server of your own, stopped (and its data removed) when the
    /// handle is dropped. Tests should use the run's shared one instead.
    pub fn start() -> Result<Redis, ServiceError> {
        let worker = crate::fixtures::identity::current_worker();
        crate::timeline::timed(worker, "redis-server start-up", Self::start_server)
    }

    fn start_server() -> Result<Redis, ServiceError> {
        let program = binary::on_path("redis-server").ok_or(ServiceError::MissingBinary {
            program: "redis-server",
            searched: "on PATH",
            debian: "redis-server",
            homebrew: "redis",
            url_var: "PARTEST_REDIS_URL",
        })?;
        let databases = identity::redis_dbs().end().max(16).to_string();
        process::on_a_free_port("redis-server", |port| {
            let dir = process::data_dir("redis")?;
            let mut cmd = std::process::Command::new(&program);
            cmd.args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
                .args(["--databases", &databases, "--protected-mode", "no"])
                .arg("--dir")
                .arg(dir.path());
            let log = dir.path().join("redis.log");
            let mut server = Server::start(cmd, libc::SIGTERM, log, Some(dir))?;
            let mut redis = Redis {
                host: "127.0.0.1".into(),
                port,
                credentials: String::new(),
                password: None,
                server: None,
            };
            match server.wait_ready(|| redis.commands(&[&["PING"]]).is_ok()) {
                Ok(()) => {
                    redis.server = Some(server);
                    Ok(redis)
                }
                Err(e) if server.log_tail().contains("in use") => {
                    Err(process::PortAttempt::Taken(e))
                }
                Err(e) => Err(e.into()),
            }
        })
    }
}

/// The run's Redis server, started on first use (or `PARTEST_REDIS_URL`'s). One per run
/// ([`per_run`](crate::per_run)); stopped and its data dir removed at the end of the run.
///
/// # Panics
/// When `redis-server` is not installed (the message names the package), fails to
/// start, or `PARTEST_REDIS_URL` is malformed. Every later caller fails with the same text.
#[track_caller]
pub fn redis() -> Arc<Redis> {
    crate::per_run(|| {
        let found = match super::given_url("PARTEST_REDIS_URL", "redis") {
            Some(Ok(url)) => Redis::connect(&url),
            Some(Err(why)) => panic!("{why}"),
            None => Redis::start(),
        };
        found.unwrap_or_else(|e| panic!("partest::services::redis(): {e}"))
    })
}

thread_local! {
    /// The execution (test, counter) whose database was flushed last on this thread.
    static FLUSHED: Cell<(Option<&'static str>, u64)> = const { Cell::new((None, 0)) };
}

/// The URL of the Redis database this `redis_isolated` test leased
/// (`redis://127.0.0.1:PORT/N` with `N` = [`redis_db()`](crate::redis_db)). The first call
/// in each test (and each rerun) flushes the database, so the test starts from an empty one.
///
/// # Panics
/// When the test is not marked `redis_isolated`, or the server cannot be had (see [`redis()`]).
#[track_caller]
pub fn redis_url() -> String {
    let db = crate::redis_db();
    let server = redis();
    if let Err(why) = server.holds_the_leased_range() {
        panic!("partest::services::redis_url(): {why}");
    }
    let execution = identity::execution();
    if FLUSHED.with(Cell::get) != execution {
        if let Err(e) = server.flush_db(db) {
            panic!("partest::services::redis_url(): could not flush database {db}: {e}");
        }
        FLUSHED.with(|f| f.set(execution));
    }
    server.db_url(db)
}
