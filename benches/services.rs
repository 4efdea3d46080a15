//! Real-server benchmark (`cargo bench --bench services`).
//!
//! Prints, from one run: the start-up of the servers `partest::services` manages (Redis;
//! PostgreSQL cold, i.e. with `initdb`, and from the cached `initdb` result), the cost of a
//! per-worker database (`CREATE DATABASE … TEMPLATE` through `psql`), and the wall time of
//! each of the five example suites (examples/) at 1 worker and at `BENCH_THREADS` workers,
//! servers included, with the speedup.
//!
//! Environment: `BENCH_RUNS` (5), `BENCH_THREADS` (4).

mod common;

use common::{benchmarking, build, env_num, median, ms, time};
use partest::services::{Postgres, Redis};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const SUITES: [(&str, &str); 5] = [
    ("oauth-registry", "registry"),
    ("rate-limited-api", "api"),
    ("auth-service", "auth"),
    ("llm-gateway", "gateway"),
    ("platform", "ledger"),
];

fn timed<T>(f: impl FnOnce() -> T) -> (Duration, T) {
    let start = Instant::now();
    let value = f();
    (start.elapsed(), value)
}

fn startup(runs: usize) {
    let redis: Vec<Duration> = (0..runs)
        .map(|_| {
            let (took, server) = timed(|| Redis::start().expect("redis-server starts"));
            drop(server);
            took
        })
        .collect();
    println!(
        "Redis start (ready for PING)          {}",
        ms(median(redis))
    );
    let cold: Vec<Duration> = (0..runs.min(3))
        .map(|_| {
            let cache = tempfile::tempdir().unwrap();
            std::env::set_var("PARTEST_SERVICES_CACHE", cache.path());
            let (took, server) = timed(|| Postgres::start().expect("PostgreSQL starts"));
            drop(server);
            took
        })
        .collect();
    println!("PostgreSQL start, cold (initdb)       {}", ms(median(cold)));
    let cache = tempfile::tempdir().unwrap();
    std::env::set_var("PARTEST_SERVICES_CACHE", cache.path());
    drop(Postgres::start().expect("PostgreSQL starts"));
    let warm: Vec<Duration> = (0..runs)
        .map(|_| {
            let (took, server) = timed(|| Postgres::start().expect("PostgreSQL starts"));
            drop(server);
            took
        })
        .collect();
    println!("PostgreSQL start, cached initdb       {}", ms(median(warm)));
    let server = Postgres::start().expect("PostgreSQL starts");
    server
        .execute("CREATE DATABASE bench_template")
        .expect("creates the template");
    let mut creates = Vec::new();
    for i in 0..runs.max(5) {
        let (took, done) = timed(|| {
            server.execute(&format!(
                "CREATE DATABASE bench_{i} TEMPLATE bench_template"
            ))
        });
        done.expect("creates a database");
        creates.push(took);
    }
    println!(
        "per-worker database (CREATE … TEMPLATE) {}",
        ms(median(creates))
    );
    std::env::remove_var("PARTEST_SERVICES_CACHE");
}

fn suites(runs: usize, threads: usize) {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target = workspace
        .join("target")
        .join("partest-bench")
        .join("target");
    println!();
    println!("suite               1 worker     {threads} workers   speedup");
    let mut total = (Duration::ZERO, Duration::ZERO);
    for (package, test) in SUITES {
        let exe = build(workspace, &target, package, test);
        let dir = workspace.join("examples").join(package);
        let run = |n: usize| {
            let times: Vec<Duration> = (0..runs)
                .map(|_| {
                    time(
                        Command::new(&exe)
                            .args(["--test-threads", &n.to_string(), "-q"])
                            .current_dir(&dir)
                            .env("CARGO_MANIFEST_DIR", &dir),
                    )
                })
                .collect();
            median(times)
        };
        let (one, many) = (run(1), run(threads));
        total = (total.0 + one, total.1 + many);
        println!(
            "{package:<18}{}{}   {:.2}×",
            ms(one),
            ms(many),
            one.as_secs_f64() / many.as_secs_f64()
        );
    }
    println!(
        "{:<18}{}{}   {:.2}×",
        "all five",
        ms(total.0),
        ms(total.1),
        total.0.as_secs_f64() / total.1.as_secs_f64()
    );
}

fn main() {
    if !benchmarking() {
        return;
    }
    let runs = env_num("BENCH_RUNS", 5);
    let threads = env_num("BENCH_THREADS", 4);
    println!(
        "services benchmark: medians of {runs} runs, {} cores",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    startup(runs);
    suites(runs, threads);
}
