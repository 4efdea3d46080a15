//! Several binaries under one budget (`cargo bench --bench workspace`).
//!
//! Runs the `multi` fixture (tests/fixtures/multi: three partest binaries, each with one
//! 2 s test, sixteen 100 ms tests, four 100 ms `redis_isolated` tests and a 200 ms `serial`
//! one, plus a plain libtest binary) at 4 workers under `cargo test`, `cargo nextest run`
//! (when installed) and `cargo partest`, alternately, and prints the medians against the
//! lower bound LB = Σserial + max(Σrest / 4, longest test), taken from the durations the
//! tests record. Each command includes cargo's no-op build check, printed too.
//!
//! Environment: `BENCH_RUNS` (3).

mod common;

use common::{benchmarking, env_num, median, ms, time};
use partest::timeline::bound::{lower_bound as lower_bound_of, Capacity, Job};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
}

/// `program` in the fixture workspace, with its target dir.
fn in_fixtures(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut cmd = Command::new(program);
    cmd.current_dir(fixtures())
        .env("CARGO_TARGET_DIR", fixtures().join("target"));
    cmd
}

fn cargo() -> Command {
    in_fixtures(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

/// One command of the comparison.
struct Case {
    name: &'static str,
    program: std::ffi::OsString,
    args: Vec<&'static str>,
}

impl Case {
    fn new(
        name: &'static str,
        program: impl AsRef<std::ffi::OsStr>,
        args: &[&'static str],
    ) -> Self {
        Case {
            name,
            program: program.as_ref().to_owned(),
            args: args.to_vec(),
        }
    }
}

/// The lower bound of the spans recorded in `dir` on 4 workers, in nanoseconds, from
/// partest's own function (the one the run report uses).
fn lower_bound(dir: &Path) -> u128 {
    let mut jobs = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let f: Vec<&str> = text.split_whitespace().collect();
        let length = f[3].parse::<u64>().unwrap() - f[2].parse::<u64>().unwrap();
        let claims = match f[1] {
            "serial_one" => vec!["serial".to_owned()],
            _ => Vec::new(),
        };
        jobs.push(Job {
            duration: Duration::from_nanos(length),
            claims,
        });
    }
    let capacity = Capacity {
        workers: 4,
        heavy_limit: 1,
        ..Capacity::default()
    };
    lower_bound_of(&jobs, &capacity).unwrap().total.as_nanos()
}

fn main() {
    if !benchmarking() {
        return;
    }
    let runs = env_num("BENCH_RUNS", 3);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let built = cargo()
        .args(["build", "-p", "cargo-partest", "--manifest-path"])
        .arg(root.join("Cargo.toml"))
        .status()
        .unwrap();
    assert!(built.success());
    assert!(cargo()
        .args(["test", "-p", "multi", "--no-run"])
        .status()
        .unwrap()
        .success());
    let cargo_partest = fixtures().join("target/debug/cargo-partest");
    let nextest = cargo()
        .args(["nextest", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    let record = tempfile::tempdir().unwrap();
    let cargo_program = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cases: Vec<Case> = vec![
        Case::new(
            "no-op build",
            &cargo_program,
            &["test", "-p", "multi", "--no-run"],
        ),
        Case::new(
            "cargo test",
            &cargo_program,
            &["test", "-p", "multi", "--", "--test-threads", "4"],
        ),
    ];
    if nextest {
        cases.push(Case::new(
            "cargo nextest run",
            &cargo_program,
            &["nextest", "run", "-p", "multi", "--test-threads", "4"],
        ));
    }
    cases.push(Case::new(
        "cargo partest",
        cargo_partest.as_os_str(),
        &["partest", "-p", "multi", "--", "--test-threads", "4"],
    ));
    let command = |case: &Case| {
        let mut c = in_fixtures(&case.program);
        c.args(&case.args).env("FIXTURE_RECORD_DIR", record.path());
        c
    };
    // A first run of each records the durations partest schedules by.
    for case in &cases {
        time(&mut command(case));
    }
    let mut samples: Vec<Vec<Duration>> = vec![Vec::new(); cases.len()];
    for _ in 0..runs {
        for (i, case) in cases.iter().enumerate() {
            samples[i].push(time(&mut command(case)));
        }
    }
    let bound = Duration::from_nanos(lower_bound(record.path()) as u64);
    println!("multi fixture: 3 partest binaries + 1 plain, 4 workers, {runs} alternating runs");
    println!("lower bound (recorded durations): {}", ms(bound).trim());
    for (case, samples) in cases.iter().zip(samples) {
        let name = case.name;
        let wall = median(samples);
        println!(
            "{name:<18} {}  {:.2}x the lower bound",
            ms(wall),
            wall.as_secs_f64() / bound.as_secs_f64()
        );
    }
}
