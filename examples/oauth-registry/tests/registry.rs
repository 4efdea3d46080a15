//! The registry's suite, the way its pytest-xdist set-up had it: clients registered under
//! unique names on the shared database 0, a `serial` test that changes global state,
//! `redis_isolated` tests on databases 1–15, and a `heavy_resource` bulk import.

use example_support::{say, span};
use oauth_registry::{RegisterError, Registry, DEFAULT_TOKEN_TTL};
use partest::services;

/// The shared registry (database 0 of the run's Redis).
fn registry() -> Registry {
    Registry::connect(&services::redis().url()).expect("connects to the shared Redis")
}

mod registration {
    use super::*;

    #[partest::test(markers(integration))]
    fn registers_a_uniquely_named_client() {
        span(|| {
            let mut reg = registry();
            let name = partest::unique_name("TEST");
            let id = reg
                .register(&name, "https://example.com/cb")
                .expect("registers");
            assert_eq!(
                reg.client_name(&id).unwrap().as_deref(),
                Some(name.as_str())
            );
            say(&format!("registration: {name} -> {id}"));
            reg.unregister(&id).unwrap();
        })
    }

    #[partest::test(markers(integration))]
    fn a_taken_name_is_a_409_conflict() {
        span(|| {
            let mut reg = registry();
            let name = partest::unique_name("TEST");
            let id = reg.register(&name, "https://example.com/cb").unwrap();
            let again = reg.register(&name, "https://example.com/other");
            assert!(matches!(&again, Err(RegisterError::Conflict)), "{again:?}");
            assert_eq!(again.unwrap_err().status(), 409);
            reg.unregister(&id).unwrap();
        })
    }

    #[partest::test(markers(integration))]
    fn racing_registrations_of_one_name_have_one_winner() {
        span(|| {
            let name = partest::unique_name("TEST");
            let results: Vec<Result<String, RegisterError>> = std::thread::scope(|s| {
                let racers: Vec<_> = (0..8)
                    .map(|_| s.spawn(|| registry().register(&name, "https://example.com/cb")))
                    .collect();
                racers.into_iter().map(|r| r.join().unwrap()).collect()
            });
            let winners: Vec<&String> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
            assert_eq!(winners.len(), 1, "{results:?}");
            assert!(results
                .iter()
                .all(|r| r.as_ref().map_or_else(|e| e.status() == 409, |_| true)));
            registry().unregister(winners[0]).unwrap();
        })
    }
}

mod tokens {
    use super::*;

    /// Issues a token and checks it got the default lifetime: if the serial test's
    /// changed lifetime were in force now, this would see it.
    fn issue_with_default_ttl(n: usize) {
        span(|| {
            let mut reg = registry();
            let name = partest::unique_name("TEST");
            let id = reg.register(&name, "https://example.com/cb").unwrap();
            for i in 0..50 {
                let token = format!("{}-{i}-{n}", partest::unique_test_id());
                let ttl = reg.issue_token(&id, &token).unwrap();
                assert!(
                    ttl > DEFAULT_TOKEN_TTL - 60 && ttl <= DEFAULT_TOKEN_TTL,
                    "token lived {ttl}s: another test's global change was visible"
                );
            }
            reg.unregister(&id).unwrap();
        })
    }

    #[partest::test(markers(integration))]
    fn issues_tokens_with_the_default_lifetime_1() {
        issue_with_default_ttl(1)
    }

    #[partest::test(markers(integration))]
    fn issues_tokens_with_the_default_lifetime_2() {
        issue_with_default_ttl(2)
    }

    #[partest::test(markers(integration))]
    fn issues_tokens_with_the_default_lifetime_3() {
        issue_with_default_ttl(3)
    }

    #[partest::test(markers(integration))]
    fn issues_tokens_with_the_default_lifetime_4() {
        issue_with_default_ttl(4)
    }

    /// Changes the global token lifetime: marked serial, so no other test sees it.
    #[partest::test(serial, markers(integration))]
    fn a_shorter_lifetime_applies_to_new_tokens() {
        span(|| {
            let mut reg = registry();
            let id = reg
                .register(&partest::unique_name("TEST"), "https://example.com/cb")
                .unwrap();
            reg.set_token_ttl(5).unwrap();
            let ttl = reg.issue_token(&id, &partest::unique_test_id());
            // Put the setting back before asserting, so a failure leaves no global change.
            reg.set_token_ttl(DEFAULT_TOKEN_TTL).unwrap();
            assert!(ttl.unwrap() <= 5);
            say("tokens: token lifetime changed and restored (serial)");
            reg.unregister(&id).unwrap();
        })
    }
}

mod isolated {
    use super::*;
    use redis::Commands;

    /// Fills this test's leased database and checks it holds exactly this test's keys.
    fn own_database_only(tag: &str) {
        span(|| {
            let url = services::redis_url();
            let db = partest::redis_db();
            assert!(
                (1..16).contains(&db),
                "leased database {db} is outside 1-15"
            );
            let mut con = redis::Client::open(url.as_str())
                .unwrap()
                .get_connection()
                .unwrap();
            let size: u64 = redis::cmd("DBSIZE").query(&mut con).unwrap();
            assert_eq!(size, 0, "database {db} was not flushed for this test");
            let mut pipe = redis::pipe();
            for i in 0..500 {
                pipe.set(format!("session:{tag}:{i}"), i).ignore();
            }
            let _: () = pipe.query(&mut con).unwrap();
            let keys: Vec<String> = con.keys("*").unwrap();
            assert_eq!(keys.len(), 500, "database {db} holds another test's keys");
            assert!(keys
                .iter()
                .all(|k| k.starts_with(&format!("session:{tag}:"))));
            say(&format!(
                "isolated: {tag} on Redis database {db} (redis_isolated)"
            ));
        })
    }

    #[partest::test(redis_isolated)]
    fn sessions_in_a_private_database_a() {
        own_database_only("a")
    }

    #[partest::test(redis_isolated)]
    fn sessions_in_a_private_database_b() {
        own_database_only("b")
    }

    #[partest::test(redis_isolated)]
    fn sessions_in_a_private_database_c() {
        own_database_only("c")
    }

    #[partest::test(redis_isolated)]
    fn sessions_in_a_private_database_d() {
        own_database_only("d")
    }
}

mod bulk {
    use super::*;

    /// Imports many clients at once: memory- and server-hungry, so heavy_resource.
    fn import(batch: &str) {
        span(|| {
            let mut reg = registry();
            let ids: Vec<String> = (0..300)
                .map(|i| {
                    let name = format!("{} {batch} {i}", partest::unique_name("BULK"));
                    reg.register(&name, "https://example.com/cb").unwrap()
                })
                .collect();
            for id in &ids {
                reg.unregister(id).unwrap();
            }
            say(&format!(
                "bulk: imported and removed {} clients (heavy_resource)",
                ids.len()
            ));
        })
    }

    #[partest::test(heavy_resource)]
    fn imports_a_partner_batch() {
        import("partner")
    }

    #[partest::test(heavy_resource)]
    fn imports_a_migration_batch() {
        import("migration")
    }
}

partest::main!();
