//! The gateway's suite, as its pytest-xdist set-up had it: a Redis database per test
//! (`redis_isolated`, flushed first), a clean environment (`env::lock()`), temp dirs,
//! strict markers, a flaky upstream retried (`retries`), a quarantined known failure and
//! a time limit for every test (config `timeout`).

use example_support::{say, span};
use llm_gateway::{append_transcript, cache_key, Gateway};
use partest::services;
use std::sync::atomic::{AtomicUsize, Ordering};

/// An upstream model that echoes, counting its calls.
fn echo(calls: &AtomicUsize) -> impl FnMut(&str) -> Result<String, u16> + '_ {
    move |prompt| {
        calls.fetch_add(1, Ordering::SeqCst);
        Ok(format!("echo: {prompt}"))
    }
}

mod unit {
    use super::*;

    #[partest::test(markers(unit))]
    fn prompts_differing_in_case_and_spacing_share_a_key() {
        span(|| {
            assert_eq!(
                cache_key("m", "Hello   World"),
                cache_key("m", "hello world")
            );
            assert_ne!(cache_key("m", "hello"), cache_key("n", "hello"));
        })
    }
}

mod cache {
    use super::*;

    /// Asks `prompts` and checks the hit/miss counts in this test's own database: any other
    /// test writing into it would change them.
    fn exact_counts(prompts: &[&str], distinct: u64) {
        span(|| {
            let calls = AtomicUsize::new(0);
            let mut gw = Gateway::new(&services::redis_url(), "tiny", echo(&calls)).unwrap();
            for p in prompts {
                assert_eq!(gw.complete(p).unwrap(), format!("echo: {p}"));
            }
            let (hits, misses) = gw.stats().unwrap();
            assert_eq!(
                misses,
                distinct,
                "misses in database {}",
                partest::redis_db()
            );
            assert_eq!(hits, prompts.len() as u64 - distinct);
            assert_eq!(calls.load(Ordering::SeqCst) as u64, distinct);
            say(&format!(
                "cache: {hits} hits, {misses} misses on Redis db {} (redis_isolated)",
                partest::redis_db()
            ));
        })
    }

    #[partest::test(redis_isolated, markers(integration))]
    fn repeats_are_served_from_the_cache() {
        exact_counts(&["a", "b", "a", "a", "c", "b"], 3)
    }

    #[partest::test(redis_isolated, markers(integration))]
    fn a_fresh_database_has_no_hits() {
        exact_counts(&["x", "y", "z"], 3)
    }

    #[partest::test(redis_isolated, markers(integration))]
    fn one_prompt_many_times() {
        exact_counts(&["same"; 20], 1)
    }

    #[partest::test(redis_isolated, markers(integration))]
    fn upstream_errors_are_not_cached() {
        span(|| {
            let mut fail = true;
            let mut gw = Gateway::new(&services::redis_url(), "tiny", |p: &str| {
                if std::mem::take(&mut fail) {
                    Err(503)
                } else {
                    Ok(p.to_owned())
                }
            })
            .unwrap();
            assert_eq!(gw.complete("hi"), Err(503));
            assert_eq!(gw.complete("hi"), Ok("hi".into()));
            assert_eq!(gw.stats().unwrap(), (0, 1));
        })
    }
}

mod config {
    use super::*;

    /// Sets the cache lifetime through the environment, which is process-wide: the guard
    /// serialises with other env users and restores it; `serial(env)` keeps the scheduler
    /// from running two such tests at once.
    #[partest::test(redis_isolated, serial(env), markers(integration))]
    fn the_cache_lifetime_comes_from_the_environment() {
        span(|| {
            let mut env = partest::env::lock();
            env.set("GATEWAY_CACHE_TTL", "7");
            let calls = AtomicUsize::new(0);
            let mut gw = Gateway::new(&services::redis_url(), "tiny", echo(&calls)).unwrap();
            gw.complete("short lived").unwrap();
            let ttl = gw.expires_in("short lived").unwrap();
            assert!((1..=7).contains(&ttl), "expires in {ttl}s");
        })
    }

    #[partest::test(redis_isolated, serial(env), markers(integration))]
    fn without_the_variable_the_default_lifetime_applies() {
        span(|| {
            let mut env = partest::env::lock();
            env.remove("GATEWAY_CACHE_TTL");
            let calls = AtomicUsize::new(0);
            let mut gw = Gateway::new(&services::redis_url(), "tiny", echo(&calls)).unwrap();
            gw.complete("long lived").unwrap();
            let ttl = gw.expires_in("long lived").unwrap();
            assert!(ttl > 200 && ttl <= 300, "expires in {ttl}s");
        })
    }
}

mod transcripts {
    use super::*;

    #[partest::test(markers(unit))]
    fn transcripts_go_to_the_tests_own_directory() {
        span(|| {
            let dir = partest::temp_dir();
            append_transcript(&dir, "one", "1").unwrap();
            let path = append_transcript(&dir, "two", "2").unwrap();
            assert_eq!(
                std::fs::read_to_string(path).unwrap(),
                "> one\n1\n> two\n2\n"
            );
            assert_eq!(
                std::fs::read_dir(&dir).unwrap().count(),
                1,
                "a fresh directory"
            );
        })
    }
}

mod upstream {
    use super::*;

    /// The upstream's first answer in this run is a 503 (as a cold model's often is): the
    /// test fails once and passes on its rerun, and is reported FLAKY.
    #[partest::test(redis_isolated, retries = 2, markers(integration, flaky))]
    fn a_cold_upstream_is_retried() {
        static COLD: AtomicUsize = AtomicUsize::new(0);
        span(|| {
            let mut gw = Gateway::new(&services::redis_url(), "tiny", |p: &str| {
                if COLD.fetch_add(1, Ordering::SeqCst) == 0 {
                    Err(503)
                } else {
                    Ok(p.to_owned())
                }
            })
            .unwrap();
            assert_eq!(gw.complete("warm up"), Ok("warm up".to_owned()));
        })
    }

    /// Streaming is not implemented yet: a known failure, quarantined by config, so it
    /// runs and reports but does not fail the run.
    #[partest::test(markers(quarantine))]
    fn streams_tokens() {
        let chunks: Vec<&str> = Vec::new();
        assert_eq!(chunks.len(), 3, "streaming is not implemented");
    }
}

partest::main!();
