//! Async tests benchmark (`cargo bench --bench async_tests`): `BENCH_TESTS` (default 1000)
//! trivial async tests under partest (a runtime per test, a clean one kept for the
//! worker's next test) against the same suite with `#[tokio::test]` under libtest, at
//! `--test-threads` `BENCH_THREADS` (default 2), `BENCH_RUNS` (11) alternating runs;
//! prints medians and the ratio, with pretty output and with `-q`.

mod common;

use common::{bench_root, benchmarking, build, env_num, median, ms, partest_path, time, write};
use std::fmt::Write as _;
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
             [dev-dependencies]\n{dep}tokio = {{ version = \"1\", features = [\"rt\", \"macros\", \"time\"] }}\n\n\
             [[test]]\nname = \"suite\"\n{harness}"
        );
        write(&ws.join(kind).join("Cargo.toml"), &manifest);
        write(&ws.join(kind).join("src/lib.rs"), "");
        write(&ws.join(kind).join("tests/suite.rs"), &suite(kind, tests));
    }
    let bins: Vec<PathBuf> = ["partest", "libtest"]
        .iter()
        .map(|k| build(&ws, &target, &format!("async-{k}"), "suite"))
        .collect();
    println!(
        "suite: {tests} trivial async tests; --test-threads {threads}; {runs} alternating runs"
    );
    for extra in [&[][..], &["-q"]] {
        let mut samples = [Vec::new(), Vec::new()];
        for _ in 0..runs {
            for (i, bin) in bins.iter().enumerate() {
                let mut cmd = Command::new(bin);
                cmd.args(["--test-threads", &threads])
                    .args(extra)
                    .env_remove("RUST_TEST_THREADS");
                samples[i].push(time(&mut cmd));
            }
        }
        let [ours, theirs] = samples.map(median);
        let mode = if extra.is_empty() { "pretty" } else { "-q" };
        println!(
            "{mode:<7} partest {} #[tokio::test] under libtest {}: libtest / partest = {:.2}x (target >= 5)",
            ms(ours).trim(),
            ms(theirs).trim(),
            theirs.as_secs_f64() / ours.as_secs_f64()
        );
    }
}
