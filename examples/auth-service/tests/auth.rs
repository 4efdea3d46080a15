//! The auth service's suite, as its pytest-xdist set-up had it: one PostgreSQL database
//! per worker (`partest_<run>_<pid>_gwN`, cloned from a template migrated once per run), an
//! async connection pool per worker built on the worker's runtime, a transaction per test
//! that is rolled back, and log lines naming the worker.

use auth_service::{login, register, valid_email, whoami, AuthError, SCHEMA};
use example_support::{say, span, span_async};
use partest::services::{self, Database};
use std::sync::Arc;
use tokio::sync::Mutex;
use tokio_postgres::{Client, NoTls};

/// This worker's database, a copy of the migrated template.
fn worker_db() -> Arc<Database> {
    services::worker_database(|template| {
        template.execute(SCHEMA).expect("the schema applies");
    })
}

/// A worker's connections; it keeps the database alive until the connections are gone.
struct Pool {
    clients: Mutex<Vec<Client>>,
    db: Arc<Database>,
}

/// This worker's pool: connected once, on the worker's runtime, shared by its tests.
async fn pool() -> Arc<Pool> {
    partest::per_worker_async(|| async {
        let db = worker_db();
        let mut clients = Vec::new();
        for _ in 0..2 {
            let (client, connection) = tokio_postgres::connect(&db.url(), NoTls)
                .await
                .expect("connects to the worker's database");
            tokio::spawn(connection);
            clients.push(client);
        }
        say(&format!("pool: 2 connections to {}", db.name()));
        Pool {
            clients: Mutex::new(clients),
            db,
        }
    })
    .await
}

/// Runs `body` in a transaction on one of the worker's connections, then rolls it back.
async fn in_transaction<F>(body: F)
where
    F: for<'t> AsyncFnOnce(&'t tokio_postgres::Transaction<'t>),
{
    let pool = pool().await;
    let mut client = pool.clients.lock().await.pop().expect("a free connection");
    let tx = client.transaction().await.expect("begins");
    let database: String = tx
        .query_one("SELECT current_database()", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        database,
        pool.db.name(),
        "the test runs in its worker's database"
    );
    assert!(database.ends_with(&partest::worker_id()), "{database}");
    let users: i64 = tx
        .query_one("SELECT count(*) FROM users", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        users, 0,
        "an earlier test's rows are visible: not rolled back or not isolated"
    );
    body(&tx).await;
    tx.rollback().await.expect("rolls back");
    pool.clients.lock().await.push(client);
}

mod unit {
    use super::*;

    #[partest::test(markers(unit))]
    fn accepts_plain_addresses() {
        span(|| assert!(valid_email("ada@example.com")))
    }

    #[partest::test(markers(unit))]
    fn rejects_malformed_addresses() {
        span(|| {
            for bad in [
                "",
                "ada",
                "@example.com",
                "ada@",
                "ada@example",
                "a@b@c.d",
                "ada@.com",
            ] {
                assert!(!valid_email(bad), "{bad}");
            }
        })
    }
}

mod users {
    use super::*;

    #[partest::test(markers(integration))]
    async fn registers_a_user() {
        span_async(in_transaction(async |tx| {
            let id = register(tx, "ada@example.com", "s3cret").await.unwrap();
            assert!(id > 0);
            say(&format!("users: registered ada as {id}"));
        }))
        .await
    }

    #[partest::test(markers(integration))]
    async fn a_second_registration_of_an_email_is_refused() {
        span_async(in_transaction(async |tx| {
            register(tx, "grace@example.com", "one").await.unwrap();
            tx.batch_execute("SAVEPOINT again").await.unwrap();
            let again = register(tx, "grace@example.com", "two").await;
            assert_eq!(again, Err(AuthError::DuplicateEmail));
            tx.batch_execute("ROLLBACK TO SAVEPOINT again")
                .await
                .unwrap();
            let users: i64 = tx
                .query_one("SELECT count(*) FROM users", &[])
                .await
                .unwrap()
                .get(0);
            assert_eq!(users, 1);
        }))
        .await
    }

    #[partest::test(markers(integration))]
    async fn the_same_email_in_every_test_never_collides_1() {
        span_async(in_transaction(async |tx| {
            register(tx, "shared@example.com", "x").await.unwrap();
        }))
        .await
    }

    #[partest::test(markers(integration))]
    async fn the_same_email_in_every_test_never_collides_2() {
        span_async(in_transaction(async |tx| {
            register(tx, "shared@example.com", "x").await.unwrap();
        }))
        .await
    }

    #[partest::test(markers(integration))]
    async fn the_same_email_in_every_test_never_collides_3() {
        span_async(in_transaction(async |tx| {
            register(tx, "shared@example.com", "x").await.unwrap();
        }))
        .await
    }
}

mod sessions {
    use super::*;

    #[partest::test(markers(integration))]
    async fn logs_in_with_the_right_password() {
        span_async(in_transaction(async |tx| {
            let id = register(tx, "linus@example.com", "penguin").await.unwrap();
            let token = login(tx, "linus@example.com", "penguin", 30).await.unwrap();
            assert_eq!(whoami(tx, &token).await, Ok(id));
        }))
        .await
    }

    #[partest::test(markers(integration))]
    async fn refuses_a_wrong_password() {
        span_async(in_transaction(async |tx| {
            register(tx, "linus@example.com", "penguin").await.unwrap();
            let wrong = login(tx, "linus@example.com", "walrus", 30).await;
            assert_eq!(wrong, Err(AuthError::BadCredentials));
        }))
        .await
    }

    #[partest::test(markers(integration))]
    async fn an_expired_session_is_gone() {
        span_async(in_transaction(async |tx| {
            register(tx, "old@example.com", "pw").await.unwrap();
            let token = login(tx, "old@example.com", "pw", -1).await.unwrap();
            assert_eq!(whoami(tx, &token).await, Err(AuthError::NoSession));
        }))
        .await
    }
}

partest::main!();
