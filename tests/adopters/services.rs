//! The five example suites (examples/) against real servers: each passes at 1, 4 and 16
//! workers; the promises their markers make are checked from the instants the tests
//! recorded; no server process, data dir or database is left after a run, also when the
//! test process is killed.

use crate::common::{build_executables, fixtures_target, nextest_available, peak_overlap};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The example crates: (package, test target, tests in it).
const SUITES: [(&str, &str, usize); 5] = [
    ("oauth-registry", "registry", 14),
    ("rate-limited-api", "api", 21),
    ("auth-service", "auth", 10),
    ("llm-gateway", "gateway", 10),
    ("platform", "ledger", 6),
];

fn workspace() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The examples' test binaries, built once into the fixtures' target dir.
fn binary(target: &str) -> PathBuf {
    static BINARIES: OnceLock<HashMap<String, PathBuf>> = OnceLock::new();
    let map = BINARIES.get_or_init(|| {
        let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        cmd.current_dir(workspace())
            .env("CARGO_TARGET_DIR", fixtures_target())
            .args(["build", "--tests", "--message-format=json"]);
        for (package, _, _) in SUITES {
            cmd.args(["-p", package]);
        }
        build_executables(cmd)
    });
    map[target].clone()
}

fn package_dir(package: &str) -> PathBuf {
    workspace().join("examples").join(package)
}

/// One recorded test: name, worker, start, end (unix ns).
struct Span {
    name: String,
    worker: String,
    start: u128,
    end: u128,
    /// The PARTEST_REDIS_URL and PARTEST_POSTGRES_URL the test process had.
    urls: (String, String),
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    spans: Vec<Span>,
    pid: u32,
}

/// Runs an example suite as cargo would (in its package dir), recording instants.
fn run(package: &str, target: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
    let record = tempfile::NamedTempFile::new().unwrap();
    let mut cmd = Command::new(binary(target));
    cmd.args(args)
        .current_dir(package_dir(package))
        .env("CARGO_MANIFEST_DIR", package_dir(package))
        .env("CARGO_PKG_NAME", package)
        .env("EXAMPLE_RECORD", record.path())
        .env("RUST_BACKTRACE", "0")
        .env_remove("PARTEST_REDIS_URL")
        .env_remove("PARTEST_POSTGRES_URL")
        .envs(env.iter().copied());
    for (key, _) in std::env::vars() {
        if key.starts_with("NEXTEST") || key.starts_with("RUST_TEST") {
            cmd.env_remove(key);
        }
    }
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let out = child.wait_with_output().unwrap();
    let spans = read_spans(record.path());
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        spans,
        pid,
    }
}

fn read_spans(path: &Path) -> Vec<Span> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            Span {
                name: f[0].to_owned(),
                worker: f[1].to_owned(),
                start: f[2].parse().unwrap(),
                end: f[3].parse().unwrap(),
                urls: (f[4].to_owned(), f[5].to_owned()),
            }
        })
        .collect()
}

/// Server processes and data dirs of the test process `pid` (named after it).
fn leftovers(pid: u32) -> Vec<String> {
    let marks = [
        format!("partest-redis-{pid}-"),
        format!("partest-pg-{pid}-"),
    ];
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().filter_map(Result::ok) {
        if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) {
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            if marks.iter().any(|m| cmdline.contains(m.as_str())) {
                found.push(format!("process {cmdline}"));
            }
        }
    }
    for entry in std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .filter_map(Result::ok)
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        if marks.iter().any(|m| name.starts_with(m.as_str())) {
            found.push(format!("directory {name}"));
        }
    }
    found
}

fn spans_of<'a>(run: &'a Run, prefix: &str) -> Vec<&'a Span> {
    run.spans
        .iter()
        .filter(|s| s.name.starts_with(prefix))
        .collect()
}

fn assert_alone(run: &Run, name: &str) {
    let me = run
        .spans
        .iter()
        .find(|s| s.name == name)
        .expect("the serial test ran");
    for other in run.spans.iter().filter(|s| s.name != name) {
        assert!(
            other.end <= me.start || other.start >= me.end,
            "{} overlapped the serial {name}",
            other.name
        );
    }
}

fn assert_passed(run: &Run, package: &str, threads: &str, tests: usize) {
    assert_eq!(
        run.code, 0,
        "{package} at {threads} threads failed:\n{}\n{}",
        run.stdout, run.stderr
    );
    assert!(
        run.stdout
            .contains(&format!("test result: ok. {tests} passed")),
        "{package} at {threads}: {}",
        run.stdout
    );
    assert_eq!(
        leftovers(run.pid),
        Vec::<String>::new(),
        "{package} left servers behind"
    );
}

#[test]
fn the_five_suites_pass_at_1_4_and_16_workers_and_keep_their_promises() {
    for threads in ["1", "4", "16"] {
        for (package, target, tests) in SUITES {
            let run = run(package, target, &["--test-threads", threads], &[]);
            // The quarantined test records nothing (it fails) and the flaky one records once.
            let recorded = tests - usize::from(package == "llm-gateway");
            assert_passed(
                &run,
                package,
                threads,
                tests - usize::from(package == "llm-gateway"),
            );
            assert_eq!(run.spans.len(), recorded, "{package} at {threads}");
            match package {
                "oauth-registry" => {
                    assert_alone(&run, "tokens::a_shorter_lifetime_applies_to_new_tokens");
                    let heavy = spans_of(&run, "bulk::");
                    assert_eq!(peak_overlap(heavy.iter().map(|s| (s.start, s.end))), 1);
                }
                "rate-limited-api" => {
                    for (category, cap) in [("unit::", 8), ("integration::", 4), ("e2e::", 10)] {
                        let spans = spans_of(&run, category);
                        let peak = peak_overlap(spans.iter().map(|s| (s.start, s.end)));
                        assert!(peak <= cap, "{category} peaked at {peak} > {cap}");
                    }
                    assert!(run.stdout.contains("rate limiter: "), "{}", run.stdout);
                }
                "llm-gateway" => {
                    let env = spans_of(&run, "config::");
                    assert_eq!(peak_overlap(env.iter().map(|s| (s.start, s.end))), 1);
                    assert!(run
                        .stdout
                        .contains("upstream::a_cold_upstream_is_retried ... FLAKY"));
                    assert!(run
                        .stdout
                        .contains("upstream::streams_tokens ... FAILED (quarantined)"));
                }
                "platform" => {
                    let group = spans_of(&run, "ledger::");
                    assert_eq!(group.len(), 4);
                    assert!(
                        group.iter().all(|s| s.worker == group[0].worker),
                        "the group split"
                    );
                    assert_eq!(peak_overlap(group.iter().map(|s| (s.start, s.end))), 1);
                }
                _ => {}
            }
            if threads == "16" && package == "auth-service" {
                // Databases per worker: every test ran on a worker whose database it saw.
                let workers: std::collections::HashSet<&str> =
                    run.spans.iter().map(|s| s.worker.as_str()).collect();
                assert!(workers.len() > 1, "16 workers, one used: {workers:?}");
            }
        }
    }
}

#[test]
fn in_process_mode_the_suites_pass_on_one_set_of_servers() {
    for (package, target, tests) in SUITES {
        let run = run(
            package,
            target,
            &["--test-threads", "4", "--isolate", "process"],
            &[],
        );
        let recorded = tests - usize::from(package == "llm-gateway");
        assert_passed(&run, package, "4 (process mode)", recorded);
        assert_eq!(run.spans.len(), recorded, "{package}");
        // The coordinator started the servers once; every worker process got their URLs.
        let servers: std::collections::HashSet<&(String, String)> =
            run.spans.iter().map(|s| &s.urls).collect();
        assert_eq!(servers.len(), 1, "{package}: {servers:?}");
        match package {
            "oauth-registry" => {
                assert_alone(&run, "tokens::a_shorter_lifetime_applies_to_new_tokens")
            }
            "platform" => {
                let group = spans_of(&run, "ledger::");
                assert!(group.iter().all(|s| s.worker == group[0].worker));
            }
            _ => {}
        }
    }
}

#[test]
fn marker_selections_split_the_registry_suite() {
    let serial = run("oauth-registry", "registry", &["-m", "serial"], &[]);
    assert_passed(&serial, "oauth-registry", "-m serial", 1);
    let rest = run(
        "oauth-registry",
        "registry",
        &["-m", "not serial", "--dist", "loadfile"],
        &[],
    );
    assert_passed(&rest, "oauth-registry", "-m 'not serial'", 13);
    let scoped = run(
        "oauth-registry",
        "registry",
        &["--dist", "loadscope", "--test-threads", "4"],
        &[],
    );
    assert_passed(&scoped, "oauth-registry", "loadscope", 14);
    // loadscope: one module's tests on one worker.
    for module in ["registration::", "tokens::", "isolated::", "bulk::"] {
        let spans = spans_of(&scoped, module);
        assert!(
            spans.iter().all(|s| s.worker == spans[0].worker),
            "{module} split"
        );
    }
}

#[test]
fn databases_are_dropped_on_an_existing_server() {
    // A server of this test's own, given to the suites as an existing one.
    let server = partest_server();
    let url = server.url();
    for (package, target, tests) in [("auth-service", "auth", 10), ("platform", "ledger", 6)] {
        let run = run(
            package,
            target,
            &["--test-threads", "4"],
            &[("PARTEST_POSTGRES_URL", &url)],
        );
        assert_passed(&run, package, "4", tests);
        let left = server
            .execute("SELECT datname FROM pg_database WHERE datname LIKE 'partest_%'")
            .unwrap();
        assert_eq!(left.trim(), "", "{package} left databases behind");
    }
}

/// A PostgreSQL server of this test's own, stopped when dropped.
fn partest_server() -> partest::services::Postgres {
    partest::services::Postgres::start().expect("PostgreSQL starts")
}

#[test]
fn servers_die_with_a_killed_test_process() {
    let mut cmd = Command::new(binary("registry"));
    cmd.args(["--test-threads", "1"])
        .current_dir(package_dir("oauth-registry"))
        .env("CARGO_MANIFEST_DIR", package_dir("oauth-registry"))
        .env_remove("PARTEST_REDIS_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let pid = child.id();
    let started = Instant::now();
    while !leftovers(pid).iter().any(|l| l.starts_with("process")) {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "redis-server never started"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before redis was seen"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let killed = Instant::now();
    while leftovers(pid).iter().any(|l| l.starts_with("process")) {
        assert!(
            killed.elapsed() < Duration::from_secs(10),
            "redis-server outlived its run"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_missing_server_binary_is_a_clear_failure() {
    let empty = tempfile::tempdir().unwrap();
    let path = empty.path().to_str().unwrap();
    let redis = run("llm-gateway", "gateway", &["cache::"], &[("PATH", path)]);
    assert_eq!(redis.code, 101, "{}", redis.stdout);
    assert!(
        redis.stdout.contains(
            "`redis-server` was not found on PATH: install it (Debian/Ubuntu: \
             `sudo apt-get install redis-server`; Homebrew: `brew install redis`), \
             or set PARTEST_REDIS_URL to use a running server"
        ),
        "{}",
        redis.stdout
    );
    let pg = run(
        "platform",
        "ledger",
        &["reports::"],
        &[("PARTEST_POSTGRES_BIN", path)],
    );
    assert_eq!(pg.code, 101, "{}", pg.stdout);
    assert!(
        pg.stdout
            .contains("`postgres` was not found on PATH, in $PARTEST_POSTGRES_BIN")
            && pg.stdout.contains("`sudo apt-get install postgresql`"),
        "{}",
        pg.stdout
    );
}

/// Processes whose command line contains all of `parts`.
fn processes_with(parts: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().filter_map(Result::ok) {
        if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) {
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            if parts.iter().all(|p| cmdline.contains(p)) {
                found.push(cmdline);
            }
        }
    }
    found
}

/// Runs `cargo nextest run` on `packages` with the services setup script and `extra`
/// config; the spans the tests recorded, and nextest's stderr.
fn nextest_run(packages: &[&str], extra: &str) -> (Vec<Span>, String) {
    let dir = tempfile::tempdir().unwrap();
    let config = crate::common::nextest_services_config(dir.path(), extra);
    let record = dir.path().join("record.tsv");
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(workspace())
        .env("CARGO_TARGET_DIR", fixtures_target())
        .env("EXAMPLE_RECORD", &record)
        .env_remove("PARTEST_REDIS_URL")
        .env_remove("PARTEST_POSTGRES_URL")
        .args(["nextest", "run", "--no-fail-fast", "--config-file"])
        .arg(&config);
    for package in packages {
        cmd.args(["-p", package]);
    }
    for (key, _) in std::env::vars() {
        if key.starts_with("NEXTEST") || key.starts_with("RUST_TEST") {
            cmd.env_remove(key);
        }
    }
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "cargo nextest run failed:\n{stderr}");
    (read_spans(&record), stderr)
}

#[test]
fn under_nextest_a_setup_script_gives_the_run_one_set_of_servers() {
    if !nextest_available() {
        return;
    }
    binary("gateway"); // builds the examples into the fixtures' target dir
                       // As `cargo test -p llm-gateway --test gateway -- --nextest-config` runs it.
    let bridge = Command::new(binary("gateway"))
        .arg("--nextest-config")
        .current_dir(package_dir("llm-gateway"))
        .env("CARGO_MANIFEST_DIR", package_dir("llm-gateway"))
        .env("CARGO_PKG_NAME", "llm-gateway")
        .output()
        .unwrap();
    let bridge_text = String::from_utf8_lossy(&bridge.stdout);
    assert!(
        bridge_text.contains("package(=llm-gateway) & binary(=gateway)"),
        "{bridge_text}"
    );
    let (spans, stderr) = nextest_run(
        &["llm-gateway", "auth-service", "platform"],
        &String::from_utf8_lossy(&bridge.stdout),
    );
    // 10 + 10 + 6 tests; the quarantined one records nothing.
    assert_eq!(spans.len(), 25, "{stderr}");
    let (redis, postgres) = &spans[0].urls;
    assert!(redis.starts_with("redis://127.0.0.1:"), "{redis:?}");
    assert!(postgres.starts_with("postgresql://"), "{postgres:?}");
    assert!(
        spans.iter().all(|s| s.urls == spans[0].urls),
        "test processes were given different servers"
    );
    // The daemon and its servers end with the run.
    let ended = Instant::now();
    while !processes_with(&["partest-services", "--serve"]).is_empty() {
        assert!(
            ended.elapsed() < Duration::from_secs(10),
            "the services daemon outlived nextest"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let port = redis
        .trim_start_matches("redis://127.0.0.1:")
        .split('/')
        .next()
        .unwrap();
    assert!(processes_with(&["redis-server", &format!(":{port}")]).is_empty());
}

#[test]
fn a_bad_redis_range_is_an_error_before_anything_runs() {
    let bad = run("oauth-registry", "registry", &["--redis-dbs", "9-1"], &[]);
    assert_eq!(bad.code, 101);
    assert_eq!(
        bad.stderr.trim_end(),
        "error: argument for --redis-dbs must be a number N or a range A-B (error: the range 9-1 is empty)"
    );
    assert!(bad.stdout.is_empty() && bad.spans.is_empty());
}

#[test]
fn under_plain_nextest_cross_process_locks_keep_the_markers() {
    if !nextest_available() {
        return;
    }
    binary("registry"); // builds the examples into the fixtures' target dir
                        // No --nextest-config: only the locks each test process takes keep serial tests
                        // alone and Redis databases unshared (the suites' own assertions check the latter:
                        // exact key and hit/miss counts in each leased database).
    let (spans, stderr) = nextest_run(&["oauth-registry", "llm-gateway"], "");
    assert_eq!(spans.len(), 14 + 9, "{stderr}");
    for serial in ["tokens::a_shorter_lifetime_applies_to_new_tokens"] {
        let me = spans
            .iter()
            .find(|s| s.name == serial)
            .expect("the serial test ran");
        for other in spans.iter().filter(|s| s.name != serial) {
            assert!(
                other.end <= me.start || other.start >= me.end,
                "{} overlapped the serial test under nextest",
                other.name
            );
        }
    }
    let heavy: Vec<&Span> = spans
        .iter()
        .filter(|s| s.name.starts_with("bulk::"))
        .collect();
    assert_eq!(
        peak_overlap(heavy.iter().map(|s| (s.start, s.end))),
        1,
        "heavy_limit = 1"
    );
}
