//! [`Database`]s on the run's PostgreSQL: cloned from a template a user migration builds
//! once per run — one per worker ([`worker_database`]) or per test ([`test_database`]) —
//! and dropped when their handle is.

use super::postgres::{postgres, Postgres};
use super::ServiceError;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

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
        self.server.execute_in(&self.name, sql)
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
        let force = if self.server.version() >= 130_000 {
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
