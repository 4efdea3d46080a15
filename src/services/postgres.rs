//! [`postgres()`]: one PostgreSQL cluster per run (or `PARTEST_POSTGRES_URL`'s server), and
//! databases cloned from a migrated template: [`worker_database`] (one per worker) and
//! [`test_database`] (one per test). A cluster starts from a cached `initdb` result
//! (`<target>/partest/services/`), so only the first run pays for `initdb`. Admin SQL goes
//! through `psql`.

use super::process::{self, free_port, Server};
use super::{binary, ServiceError};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

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
        let bin = binary::postgres_dir().ok_or(missing("postgres"))?;
        let psql = binary::postgres_tool(Some(&bin), "psql").ok_or(missing("psql"))?;
        let owner = run_as()?;
        let template = cached_cluster(&bin, owner)?;
        let mut last_error = None;
        for _ in 0..3 {
            let dir = process::data_dir("pg")?;
            let data = dir.path().join("data");
            copy_tree(&template, &data).map_err(|source| ServiceError::DataDir {
                path: data.clone(),
                source,
            })?;
            give_to(&data, owner)?;
            let port = free_port()?;
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
                        psql,
                        version: 0,
                        server: Some(server),
                    };
                    pg.version = pg.server_version()?;
                    return Ok(pg);
                }
                Err(e) if server.log_tail().contains("already in use") => last_error = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last_error.unwrap_or(ServiceError::Start {
            program: "postgres".into(),
            reason: "no free port".into(),
            log: String::new(),
        }))
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

/// Whether the cluster in `data` accepts connections: PostgreSQL writes `ready` as the
/// status line (the 8th) of `postmaster.pid`.
fn ready(data: &Path) -> bool {
    std::fs::read_to_string(data.join("postmaster.pid"))
        .is_ok_and(|text| text.lines().nth(7).is_some_and(|l| l.trim() == "ready"))
}

/// The user and group PostgreSQL runs as: `None` (ourselves) unless we are root, which
/// PostgreSQL refuses; then `$PARTEST_POSTGRES_USER`, else `postgres`, else `nobody`.
fn run_as() -> Result<Option<(u32, u32)>, ServiceError> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Ok(None);
    }
    let asked = std::env::var("PARTEST_POSTGRES_USER")
        .ok()
        .filter(|u| !u.is_empty());
    let names = match &asked {
        Some(user) => vec![user.clone()],
        None => vec!["postgres".to_owned(), "nobody".to_owned()],
    };
    for name in &names {
        let Ok(c_name) = std::ffi::CString::new(name.as_str()) else {
            continue;
        };
        // SAFETY: getpwnam reads the user database; the record is copied out at once.
        let entry = unsafe { libc::getpwnam(c_name.as_ptr()) };
        if !entry.is_null() {
            // SAFETY: non-null records returned by getpwnam are valid until the next call.
            let (uid, gid) = unsafe { ((*entry).pw_uid, (*entry).pw_gid) };
            if uid != 0 {
                return Ok(Some((uid, gid)));
            }
        }
    }
    Err(ServiceError::NoUser {
        user: names.join(" or "),
    })
}

fn as_user(cmd: &mut Command, owner: Option<(u32, u32)>) {
    use std::os::unix::process::CommandExt;
    if let Some((uid, gid)) = owner {
        cmd.uid(uid).gid(gid);
    }
}

/// Makes `path` (recursively) belong to `owner`, and its top 0700 as PostgreSQL requires.
fn give_to(path: &Path, owner: Option<(u32, u32)>) -> Result<(), ServiceError> {
    use std::os::unix::fs::PermissionsExt;
    let err = |source| ServiceError::DataDir {
        path: path.to_owned(),
        source,
    };
    if let Some((uid, gid)) = owner {
        chown_tree(path, uid, gid).map_err(err)?;
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700)).map_err(err)
}

fn chown_tree(path: &Path, uid: u32, gid: u32) -> std::io::Result<()> {
    std::os::unix::fs::lchown(path, Some(uid), Some(gid))?;
    if path.symlink_metadata()?.is_dir() {
        for entry in std::fs::read_dir(path)? {
            chown_tree(&entry?.path(), uid, gid)?;
        }
    }
    Ok(())
}

/// Copies the directory tree `from` to `to` (files, directories, their modes).
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// An `initdb`-made cluster for this install, made once and kept in the cache dir
/// (`$PARTEST_SERVICES_CACHE`, else `<target>/partest/services`, else the temp dir).
fn cached_cluster(bin: &Path, owner: Option<(u32, u32)>) -> Result<PathBuf, ServiceError> {
    let version = Command::new(bin.join("initdb"))
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    // "initdb (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)": the first number.
    let version: String = version
        .split_whitespace()
        .find(|w| w.starts_with(|c: char| c.is_ascii_digit()))
        .unwrap_or("unknown")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
        .collect();
    let cache = std::env::var_os("PARTEST_SERVICES_CACHE")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| crate::history::target_dir().map(|t| t.join("partest").join("services")))
        .unwrap_or_else(|| std::env::temp_dir().join("partest-services"));
    let cached = cache.join(format!("postgres-{version}-initdb-wal1"));
    if cached.join("PG_VERSION").is_file() {
        return Ok(cached);
    }
    let fresh = process::data_dir("initdb")?;
    let data = fresh.path().join("data");
    std::fs::create_dir(&data).map_err(|source| ServiceError::DataDir {
        path: data.clone(),
        source,
    })?;
    give_to(&data, owner)?;
    let mut cmd = Command::new(bin.join("initdb"));
    cmd.arg("-D").arg(&data).args([
        "-U",
        "postgres",
        "--auth=trust",
        "-E",
        "UTF8",
        "--locale=C",
        "--no-sync",
        // 1 MB WAL segments instead of 16: a smaller cluster to copy at every start.
        "--wal-segsize=1",
    ]);
    as_user(&mut cmd, owner);
    let out = cmd.output().map_err(|source| ServiceError::Io {
        doing: format!("running {}", bin.join("initdb").display()),
        source,
    })?;
    if !out.status.success() {
        return Err(ServiceError::Start {
            program: "initdb".into(),
            reason: out.status.to_string(),
            log: String::from_utf8_lossy(&out.stderr).into_owned(),
        });
    }
    // Copy next to the cache entry, then rename: a concurrent run sees all of it or none.
    let io = |source| ServiceError::DataDir {
        path: cached.clone(),
        source,
    };
    std::fs::create_dir_all(&cache).map_err(io)?;
    let staging = tempfile::Builder::new()
        .prefix(".initdb-")
        .tempdir_in(&cache)
        .map_err(io)?;
    let staged = staging.path().join("data");
    copy_tree(&data, &staged).map_err(io)?;
    if std::fs::rename(&staged, &cached).is_err() && !cached.join("PG_VERSION").is_file() {
        return Err(io(std::io::Error::other(
            "could not move the cluster into place",
        )));
    }
    Ok(cached)
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
        let url = std::env::var("PARTEST_POSTGRES_URL")
            .ok()
            .filter(|u| !u.is_empty());
        let found = match url {
            Some(url) => Postgres::connect(&url),
            None => Postgres::start(),
        };
        found.unwrap_or_else(|e| panic!("partest::services::postgres(): {e}"))
    })
}

/// A database on the run's server that is dropped when this handle is.
#[derive(Debug)]
pub struct Database {
    name: String,
    server: Arc<Postgres>,
}

impl Database {
    /// The database's name (`partest_<run>_<pid>_gw3`, …).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its URL, for your client.
    pub fn url(&self) -> String {
        self.server.url_for(&self.name)
    }

    /// Runs `sql` (one or more statements) in this database with `psql`; what it printed
    /// (rows unaligned, one per line, fields separated by `|`).
    pub fn execute(&self, sql: &str) -> Result<String, ServiceError> {
        psql(&self.server.psql, &self.url(), sql)
    }

    /// Creates `name` as a copy of `template` (`CREATE DATABASE … TEMPLATE …`). Retries
    /// while the template still has connections (a migration's client closing).
    fn create(server: Arc<Postgres>, name: String, template: Option<&str>) -> Database {
        let sql = match template {
            Some(t) => format!("CREATE DATABASE \"{name}\" TEMPLATE \"{t}\""),
            None => format!("CREATE DATABASE \"{name}\""),
        };
        let mut attempts = 0;
        loop {
            match server.execute(&sql) {
                Ok(_) => return Database { name, server },
                Err(ServiceError::Command { output, .. })
                    if output.contains("being accessed by other users") && attempts < 100 =>
                {
                    attempts += 1;
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(e) => panic!("partest could not create database {name}: {e}"),
            }
        }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let force = if self.server.version >= 130_000 {
            " WITH (FORCE)"
        } else {
            ""
        };
        let sql = format!("DROP DATABASE IF EXISTS \"{}\"{force}", self.name);
        if let Err(e) = self.server.execute(&sql) {
            eprintln!("partest: could not drop database {}: {e}", self.name);
        }
    }
}

/// `partest_<8 hex of the run id>_<process id>`: the prefix of every database this process
/// creates (under nextest the processes of one run share the run id).
fn run_prefix() -> String {
    let uid: String = crate::testrun_uid()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(8)
        .collect();
    format!(
        "partest_{}_{}",
        uid.to_ascii_lowercase(),
        std::process::id()
    )
}

/// The template `migrate` built: once per run and per migration function.
fn template<F>(migrate: F) -> Arc<Database>
where
    F: FnOnce(&Database) + Send + 'static,
{
    crate::per_run(move || {
        static TEMPLATES: AtomicUsize = AtomicUsize::new(0);
        let n = TEMPLATES.fetch_add(1, Ordering::Relaxed);
        let name = format!("{}_template{n}", run_prefix());
        let database = Database::create(postgres(), name, None);
        migrate(&database);
        database
    })
}

/// This worker's own database: created on the worker's first call as a copy of a
/// template that `migrate` built once per run (it gets the template database: run your
/// migrations with [`Database::execute`], or with your client on [`Database::url`],
/// closing its connections when done), and dropped when the
/// worker finishes. Named `partest_<run>_<pid>_<worker id>`. Each distinct `migrate` function
/// (closure type) has its own template: call this from one helper of yours.
///
/// ```no_run
/// fn db() -> std::sync::Arc<partest::services::Database> {
///     partest::services::worker_database(|template| {
///         template
///             .execute("CREATE TABLE users (id serial PRIMARY KEY, email text UNIQUE)")
///             .expect("migrates");
///     })
/// }
/// ```
///
/// # Panics
/// When the server cannot be had, or creating the database fails.
#[track_caller]
pub fn worker_database<F>(migrate: F) -> Arc<Database>
where
    F: FnOnce(&Database) + Send + 'static,
{
    crate::per_worker(move || {
        let template = template(migrate);
        let name = format!("{}_{}", run_prefix(), crate::worker_id());
        Database::create(Arc::clone(&template.server), name, Some(&template.name))
    })
}

/// A fresh database for this test alone, a copy of `migrate`'s template (see
/// [`worker_database`]); dropped when the returned handle is (keep it for the test).
///
/// # Panics
/// When the server cannot be had, or creating the database fails.
#[track_caller]
pub fn test_database<F>(migrate: F) -> Database
where
    F: FnOnce(&Database) + Send + 'static,
{
    static DATABASES: AtomicUsize = AtomicUsize::new(0);
    let template = template(migrate);
    let n = DATABASES.fetch_add(1, Ordering::Relaxed);
    let name = format!("{}_{}_t{n}", run_prefix(), crate::worker_id());
    Database::create(Arc::clone(&template.server), name, Some(&template.name))
}
