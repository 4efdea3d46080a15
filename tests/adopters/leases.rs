//! A Redis lease means one database in every binary of a run. Two packages of the fixture
//! workspace keep different ranges: `keeper` leases 1-15 and keeps database 0 for what its
//! tests share, `multi` has the default 0-15. Run together under `cargo partest` and under
//! a plain `cargo nextest run` (one server for the run from partest's setup script), no
//! database may be held twice at once — each leased test claims its database on the real
//! server with `SETNX` — none lies outside either range, and database 0 is never leased:
//! keeper's value in it survives the run.

use crate::common::{cargo, nextest_available};
use crate::workspace::{
    cargo_partest, cargo_partest_packages, no_database_held_twice, spans, Span,
};
use std::path::Path;

/// Every leased test of both packages recorded a database in 1..=15, never two at once.
fn check_leases(spans: &[Span], what: &str) {
    let leased: Vec<&Span> = spans.iter().filter(|s| s.redis.is_some()).collect();
    // 4 in each of multi's three binaries, 4 in keeper.
    assert_eq!(leased.len(), 16, "{what}: {spans:?}");
    for s in &leased {
        let db = s.redis.unwrap();
        assert!(
            (1..=15).contains(&db),
            "{what}: {}::{} leased database {db}, outside keeper's range 1-15",
            s.binary,
            s.name
        );
    }
    no_database_held_twice(&leased, what);
    assert!(
        spans
            .iter()
            .any(|s| s.binary == "keeper" && s.name == "shared"),
        "{what}: keeper's shared-database test did not finish"
    );
}

#[test]
fn under_cargo_partest_a_lease_is_one_database_in_every_binary() {
    for threads in ["4", "8"] {
        let dir = tempfile::tempdir().unwrap();
        let (out, _) = cargo_partest_packages(
            &["multi", "keeper"],
            &["--test-threads", threads],
            dir.path(),
            &[("MULTI_REDIS_CHECK", "1")],
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stdout}\n{stderr}");
        check_leases(
            &spans(dir.path()),
            &format!("cargo partest, {threads} threads"),
        );
    }
}

#[test]
fn a_range_given_on_the_command_line_holds_in_every_binary() {
    let dir = tempfile::tempdir().unwrap();
    // Given to every binary, the range overrides keeper's config as well.
    let (out, _) = cargo_partest_packages(
        &["multi", "keeper"],
        &["--test-threads", "2", "--redis-dbs", "3-4", "r0", "k0"],
        dir.path(),
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dbs: Vec<u32> = spans(dir.path()).iter().filter_map(|s| s.redis).collect();
    assert!(dbs.iter().all(|d| (3..=4).contains(d)), "{dbs:?}");
}

#[test]
fn under_plain_nextest_a_lease_is_one_database_in_every_binary() {
    if !nextest_available() {
        return;
    }
    cargo_partest(); // builds the fixture
    let dir = tempfile::tempdir().unwrap();
    let config = crate::common::nextest_services_config(dir.path(), "");
    let record = dir.path().join("record");
    std::fs::create_dir(&record).unwrap();
    let out = cargo()
        .args(["nextest", "run", "-p", "multi", "-p", "keeper"])
        .args(["--test-threads", "8", "--no-fail-fast", "--config-file"])
        .arg(&config)
        .env("FIXTURE_RECORD_DIR", &record)
        .env("MULTI_REDIS_CHECK", "1")
        .env_remove("PARTEST_REDIS_URL")
        .env_remove("PARTEST_POSTGRES_URL")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    check_leases(&spans(Path::new(&record)), "cargo nextest run");
}

/// A redis-server of the test's own with `databases` databases, on a free port; killed
/// when dropped.
struct OwnRedis(std::process::Child, u16);

impl OwnRedis {
    fn start(databases: u32) -> OwnRedis {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = std::process::Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
            ])
            .args(["--appendonly", "no", "--databases", &databases.to_string()])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server is installed");
        let started = std::time::Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed().as_secs() < 10,
                "redis-server never listened"
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        OwnRedis(child, port)
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_server_with_fewer_databases_than_the_range_fails_the_leased_tests_clearly() {
    let server = OwnRedis::start(8);
    let url = format!("redis://127.0.0.1:{}", server.1);
    let env = [
        ("PARTEST_REDIS_URL", url.as_str()),
        ("MULTI_REDIS_CHECK", "1"),
    ];
    let tests = ["r0", "r1", "r2", "r3", "serial_one"];
    let out = crate::common::run_with_env("alpha", &tests, &env);
    assert_eq!(out.code, 101, "{}", out.stdout);
    // alpha leases the default 0-15: database 15 is beyond the server's 8.
    let why = format!(
        "the Redis server at 127.0.0.1:{} has no database 15, and the run leases databases \
         0-15 (",
        server.1
    );
    for r in &tests[..4] {
        let block = crate::common::block(&out.stdout, r);
        assert!(block.contains(&why), "{r}: {block}");
    }
    // A test that leases nothing is not held to the range.
    assert!(
        out.stdout.contains("test serial_one ... ok"),
        "{}",
        out.stdout
    );
}
