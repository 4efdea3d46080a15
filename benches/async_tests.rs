//! Async tests benchmark (`cargo bench --bench async_tests`): `BENCH_TESTS` (default 1000)
//! trivial async tests under partest (a runtime per test, a clean one kept for the
//! worker's next test) against the same suite with `#[tokio::test]` under libtest, at
//! `--test-threads` `BENCH_THREADS` (default 2), `BENCH_RUNS` (11) alternating runs;
//! prints medians and the ratio, with pretty output and with `-q`. Then 200 short tests
//! that each connect to a real PostgreSQL (started here) and run one query, at 2 and 4
//! threads, 5 alternating runs.

mod common;

use common::{bench_root, benchmarking, build, env_num, median, ms, partest_path, time, write};
use std::fmt::Write as _;
use std::path::Path;
use std::path::PathBuf;
use std::process::Command;

/// The suite: each test spawns a task and awaits it, so it needs a tokio runtime (no
/// timer: tokio's timer rounds even a zero sleep up to its next millisecond tick, which
/// would time the clock, not the harness).
fn suite(kind: &str, tests: usize) -> String {
    let attr = match kind {
        "partest" => "#[partest::test]",
        _ => "#[tokio::test]",
    };
    let mut s = String::new();
    for i in 0..tests {
        let _ = writeln!(
            s,
            "{attr} async fn t{i:05}() {{ tokio::spawn(async {{ {i} }}).await.unwrap(); }}"
        );
    }
    if kind == "partest" {
        s.push_str("partest::main!();\n");
    }
    s
}

/// 200 tests that each open a connection, run one query and drop it.
fn connect_suite(kind: &str) -> String {
    let attr = match kind {
        "partest" => "#[partest::test]",
        _ => "#[tokio::test]",
    };
    let mut s = String::from(
        "async fn one_query(n: i32) {\n    let url = std::env::var(\"BENCH_POSTGRES_URL\").unwrap();\n    \
         let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();\n    \
         tokio::spawn(connection);\n    let row = client.query_one(\"SELECT $1::int + 1\", &[&n]).await.unwrap();\n    \
         assert_eq!(row.get::<_, i32>(0), n + 1);\n}\n",
    );
    for i in 0..200 {
        let _ = writeln!(s, "{attr} async fn c{i:03}() {{ one_query({i}).await; }}");
    }
    if kind == "partest" {
        s.push_str("partest::main!();\n");
    }
    s
}

/// Median wall times of the two binaries, alternating.
fn alternate(
    bins: &[PathBuf],
    args: &[&str],
    runs: usize,
    env: &[(&str, String)],
) -> [std::time::Duration; 2] {
    let mut samples = [Vec::new(), Vec::new()];
    for _ in 0..runs {
        for (i, bin) in bins.iter().enumerate() {
            let mut cmd = Command::new(bin);
            cmd.args(args).env_remove("RUST_TEST_THREADS");
            for (k, v) in env {
                cmd.env(k, v);
            }
            samples[i].push(time(&mut cmd));
        }
    }
    samples.map(median)
}

/// The connect-and-query comparison against a PostgreSQL started here.
fn connect_and_query(ws: &Path, target: &Path) {
    let server = partest::services::Postgres::start().expect("PostgreSQL starts");
    let bins: Vec<PathBuf> = ["partest", "libtest"]
        .iter()
        .map(|k| build(ws, target, &format!("async-{k}"), "connect"))
        .collect();
    let env = [("BENCH_POSTGRES_URL", server.url())];
    for threads in ["2", "4"] {
        let [ours, theirs] = alternate(&bins, &["--test-threads", threads, "-q"], 5, &env);
        println!(
            "connect {threads} threads: 200 connect-and-query tests: partest {} libtest {}: partest / libtest = {:.2}x (target <= 1.0)",
            ms(ours).trim(),
            ms(theirs).trim(),
            ours.as_secs_f64() / theirs.as_secs_f64()
        );
    }
}

fn main() {
    if !benchmarking() {
        return;
    }
    let tests = env_num("BENCH_TESTS", 1000);
    let threads = env_num("BENCH_THREADS", 2).to_string();
    let runs = env_num("BENCH_RUNS", 11);
    let (ws, target) = bench_root("async_tests");
    write(
        &ws.join("Cargo.toml"),
        "[workspace]\nmembers = [\"partest\", \"libtest\"]\nresolver = \"2\"\n[profile.dev]\ndebug = 0\n",
    );
    for kind in ["partest", "libtest"] {
        let (dep, harness) = match kind {
            "partest" => (
                format!(
                    "partest = {{ path = {}, features = [\"tokio\"] }}\n",
                    partest_path()
                ),
                "harness = false\n",
            ),
            _ => (String::new(), ""),
        };
        let manifest = format!(
            "[package]\nname = \"async-{kind}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
             [dev-dependencies]\n{dep}tokio = {{ version = \"1\", features = [\"rt\", \"macros\", \"time\"] }}\n\
             tokio-postgres = \"0.7\"\n\n\
             [[test]]\nname = \"suite\"\n{harness}\n[[test]]\nname = \"connect\"\n{harness}"
        );
        write(&ws.join(kind).join("Cargo.toml"), &manifest);
        write(&ws.join(kind).join("src/lib.rs"), "");
        write(&ws.join(kind).join("tests/suite.rs"), &suite(kind, tests));
        write(
            &ws.join(kind).join("tests/connect.rs"),
            &connect_suite(kind),
        );
    }
    let bins: Vec<PathBuf> = ["partest", "libtest"]
        .iter()
        .map(|k| build(&ws, &target, &format!("async-{k}"), "suite"))
        .collect();
    println!(
        "suite: {tests} trivial async tests; --test-threads {threads}; {runs} alternating runs"
    );
    for extra in [&[][..], &["-q"]] {
        let args: Vec<&str> = ["--test-threads", threads.as_str()]
            .into_iter()
            .chain(extra.iter().copied())
            .collect();
        let [ours, theirs] = alternate(&bins, &args, runs, &[]);
        let mode = if extra.is_empty() { "pretty" } else { "-q" };
        println!(
            "{mode:<7} partest {} #[tokio::test] under libtest {}: libtest / partest = {:.2}x (target >= 5)",
            ms(ours).trim(),
            ms(theirs).trim(),
            theirs.as_secs_f64() / ours.as_secs_f64()
        );
    }
    connect_and_query(&ws, &target);
}
