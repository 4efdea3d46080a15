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

/// The lower bound of the spans recorded in `dir`, in nanoseconds.
fn lower_bound(dir: &Path) -> u128 {
    let mut serial = 0;
    let mut rest = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let f: Vec<&str> = text.split_whitespace().collect();
        let length = f[3].parse::<u128>().unwrap() - f[2].parse::<u128>().unwrap();
        if f[1] == "serial_one" {
            serial += length;
        } else {
            rest.push(length);
        }
    }
    serial + (rest.iter().sum::<u128>() / 4).max(rest.iter().copied().max().unwrap_or(0))
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
    let commands: Vec<(&str, Box<dyn Fn() -> Command>)> = {
        let mut list: Vec<(&str, Box<dyn Fn() -> Command>)> = vec![
            (
                "no-op build",
                Box::new(|| {
                    let mut c = cargo();
                    c.args(["test", "-p", "multi", "--no-run"]);
                    c
                }),
            ),
            (
                "cargo test",
                Box::new(|| {
                    let mut c = cargo();
                    c.args(["test", "-p", "multi", "--", "--test-threads", "4"]);
                    c
                }),
            ),
        ];
        if nextest {
            list.push((
                "cargo nextest run",
                Box::new(|| {
                    let mut c = cargo();
                    c.args(["nextest", "run", "-p", "multi", "--test-threads", "4"]);
                    c
                }),
            ));
        }
        let bin = cargo_partest.clone();
        let dir = record.path().to_owned();
        list.push((
            "cargo partest",
            Box::new(move || {
                let mut c = in_fixtures(&bin);
                c.env("PARTEST_RECORD_DIR", &dir).args([
                    "partest",
                    "-p",
                    "multi",
                    "--",
                    "--test-threads",
                    "4",
                ]);
                c
            }),
        ));
        list
    };
    // A first run of each records the durations partest schedules by.
    for (_, command) in &commands {
        time(&mut command());
    }
    let mut samples: Vec<Vec<Duration>> = vec![Vec::new(); commands.len()];
    for _ in 0..runs {
        for (i, (_, command)) in commands.iter().enumerate() {
            samples[i].push(time(&mut command()));
        }
    }
    let bound = Duration::from_nanos(lower_bound(record.path()) as u64);
    println!("multi fixture: 3 partest binaries + 1 plain, 4 workers, {runs} alternating runs");
    println!("lower bound (recorded durations): {}", ms(bound).trim());
    for ((name, _), samples) in commands.iter().zip(samples) {
        let wall = median(samples);
        println!(
            "{name:<18} {}  {:.2}x the lower bound",
            ms(wall),
            wall.as_secs_f64() / bound.as_secs_f64()
        );
    }
}
