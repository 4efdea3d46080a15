//! A small integration suite the way an adopter writes one: a schema migration that must
//! run alone, cache tests that each need their own Redis database, memory-hungry tests,
//! a group sharing one worker, and labelled integration tests. Each test prints the worker
//! it ran on. Run it with `cargo test --test showcase`.

use std::time::Duration;

/// Stand-in for I/O against a service.
fn io(ms: u64) {
    std::thread::sleep(Duration::from_millis(ms));
}

fn say(what: &str) {
    println!("[{}] {what}", partest::worker_id());
}

#[partest::test(serial)]
fn migrates_schema() {
    say("migrates_schema (serial)");
    io(60);
}

mod cache {
    use super::{io, say};

    #[partest::test(redis_isolated, markers(integration))]
    fn stores_sessions() {
        say(&format!(
            "cache::stores_sessions (redis_isolated, Redis db {})",
            partest::redis_db()
        ));
        io(40);
    }

    #[partest::test(redis_isolated, markers(integration))]
    fn expires_keys() {
        say(&format!(
            "cache::expires_keys (redis_isolated, Redis db {})",
            partest::redis_db()
        ));
        io(40);
    }
}

mod reports {
    use super::{io, say};

    #[partest::test(heavy_resource)]
    fn renders_large_pdf() {
        say("reports::renders_large_pdf (heavy_resource)");
        let pages: Vec<Vec<u8>> = (0..64).map(|i| vec![i as u8; 64 * 1024]).collect();
        assert_eq!(pages.len(), 64);
        io(50);
    }

    #[partest::test(heavy_resource)]
    fn exports_spreadsheet() {
        say("reports::exports_spreadsheet (heavy_resource)");
        io(50);
    }
}

mod billing {
    use super::{io, say};

    #[partest::test(group = "billing", serial(ledger))]
    fn opens_account() {
        say("billing::opens_account (group billing, serial(ledger))");
        io(30);
    }

    #[partest::test(group = "billing", serial(ledger))]
    fn charges_account() {
        say("billing::charges_account (group billing, serial(ledger))");
        io(30);
    }
}

mod api {
    use super::{io, say};

    #[partest::test(markers(unit))]
    fn parses_request() {
        say("api::parses_request (unit)");
        assert_eq!("GET /health".split(' ').count(), 2);
    }

    #[partest::test(markers(unit))]
    fn unique_names_do_not_collide() {
        let a = format!("{}-{}", partest::testrun_uid(), partest::worker_id());
        say(&format!("api::unique_names_do_not_collide uid={a}"));
        assert!(a.contains("gw") || a.contains("master"));
    }

    #[partest::test(markers(integration), timeout = "5s")]
    fn answers_health_check() {
        say("api::answers_health_check (integration)");
        io(20);
    }

    #[partest::test(ignore = "needs the staging environment")]
    fn talks_to_staging() {}
}

partest::main!();
