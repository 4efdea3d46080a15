//! The platform's suite, as its pytest-xdist set-up had it: the ledger's integration
//! tests share one connection (the worker's), each in a transaction of its own that is
//! rolled back, with the ledger's transfers nested inside it (savepoints), so they must
//! stay on one worker, one after another: `group = "ledger"`. Reporting tests get a
//! fresh database each.

use example_support::{say, span};
use partest::services::{self, Database};
use platform::{balance, open, transfer, SCHEMA};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

fn migrate(template: &Database) {
    template.execute(SCHEMA).expect("the schema applies");
}

/// The ledger group's connection: one per worker.
struct Shared {
    client: Mutex<postgres::Client>,
    _db: Arc<Database>,
}

fn shared() -> Arc<Shared> {
    partest::per_worker(|| {
        let db = services::worker_database(migrate);
        let client = postgres::Client::connect(&db.url(), postgres::NoTls).expect("connects");
        Shared {
            client: Mutex::new(client),
            _db: db,
        }
    })
}

/// Runs `body` in a transaction on the group's shared connection, then rolls it back.
/// Checks that every test of the group is on the same backend (one connection).
fn nested(body: impl FnOnce(&mut postgres::Transaction<'_>)) {
    static BACKEND: OnceLock<i32> = OnceLock::new();
    span(|| {
        let shared = shared();
        let mut client = shared.client.lock().unwrap_or_else(PoisonError::into_inner);
        let mut tx = client.transaction().unwrap();
        let pid: i32 = tx.query_one("SELECT pg_backend_pid()", &[]).unwrap().get(0);
        assert_eq!(
            *BACKEND.get_or_init(|| pid),
            pid,
            "the group is on two connections"
        );
        let accounts: i64 = tx
            .query_one("SELECT count(*) FROM accounts", &[])
            .unwrap()
            .get(0);
        assert_eq!(accounts, 0, "an earlier ledger test's rows are still there");
        body(&mut tx);
        tx.rollback().unwrap();
    })
}

mod ledger {
    use super::*;

    #[partest::test(group = "ledger", markers(integration))]
    fn opens_accounts() {
        nested(|db| {
            let a = open(db, "ada", 100).unwrap();
            assert_eq!(balance(db, a).unwrap(), 100);
            say("ledger: opened an account (group ledger)");
        })
    }

    #[partest::test(group = "ledger", markers(integration))]
    fn transfers_move_money() {
        nested(|db| {
            let (a, b) = (open(db, "ada", 100).unwrap(), open(db, "bob", 0).unwrap());
            transfer(db, a, b, 40).unwrap();
            assert_eq!((balance(db, a).unwrap(), balance(db, b).unwrap()), (60, 40));
            say("ledger: transferred 40 (group ledger)");
        })
    }

    #[partest::test(group = "ledger", markers(integration))]
    fn an_overdraft_changes_nothing() {
        nested(|db| {
            let (a, b) = (open(db, "ada", 10).unwrap(), open(db, "bob", 0).unwrap());
            let refused = transfer(db, a, b, 50);
            assert!(refused.is_err(), "an overdraft went through");
            assert_eq!((balance(db, a).unwrap(), balance(db, b).unwrap()), (10, 0));
            let transfers: i64 = db
                .query_one("SELECT count(*) FROM transfers", &[])
                .unwrap()
                .get(0);
            assert_eq!(transfers, 0);
        })
    }

    #[partest::test(group = "ledger", markers(integration))]
    fn nested_transfers_roll_back_alone() {
        nested(|db| {
            let (a, b) = (open(db, "ada", 100).unwrap(), open(db, "bob", 0).unwrap());
            transfer(db, a, b, 30).unwrap();
            assert!(transfer(db, a, b, 500).is_err());
            // The refused transfer's savepoint rolled back; the first one stands.
            assert_eq!((balance(db, a).unwrap(), balance(db, b).unwrap()), (70, 30));
            let pid: i32 = db.query_one("SELECT pg_backend_pid()", &[]).unwrap().get(0);
            say(&format!(
                "ledger: nested transfers on backend {pid} (group ledger)"
            ));
        })
    }
}

mod reports {
    use super::*;

    fn fresh_report(deposits: &[i64]) {
        span(|| {
            let db = services::test_database(migrate);
            let mut client = postgres::Client::connect(&db.url(), postgres::NoTls).unwrap();
            let bank = open(&mut client, "bank", 1_000_000).unwrap();
            for (i, d) in deposits.iter().enumerate() {
                let to = open(&mut client, &format!("customer {i}"), 0).unwrap();
                transfer(&mut client, bank, to, *d).unwrap();
            }
            let total: i64 = client
                .query_one("SELECT sum(amount)::bigint FROM transfers", &[])
                .unwrap()
                .get(0);
            assert_eq!(
                total,
                deposits.iter().sum::<i64>(),
                "the database holds only this test's transfers"
            );
            say(&format!(
                "reports: {} transfers in {}",
                deposits.len(),
                db.name()
            ));
        })
    }

    #[partest::test(markers(integration))]
    fn daily_report() {
        fresh_report(&[10, 20, 30])
    }

    #[partest::test(markers(integration))]
    fn monthly_report() {
        fresh_report(&[100; 12])
    }
}

partest::main!();
