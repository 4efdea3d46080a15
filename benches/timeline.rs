//! What `--trace` and `--html` cost (`cargo bench --bench timeline`).
//!
//! Generates two partest suites and builds them in a workspace of their own: the
//! throughput benchmark's 10,000 trivial tests, and `BENCH_TESTS` mixed ones (default
//! 100,000; one in 50 `serial`, one in 2,000 `serial(db)`, one in 100 failing, so that
//! workers wait and the report has failures). Then:
//! - counts instructions with callgrind (`-q`, 2 threads) on the trivial suite: the run
//!   without either flag; recording during the run (the run path's recording functions
//!   with both flags, inclusive); writing the files afterwards (target: recording under
//!   2% of the run without the flags); and the writing per test on the mixed suite;
//! - times the mixed suite's `-q` runs with and without each flag (medians) per test,
//!   and prints the files' sizes (targets: trace under ~50 MB, report under ~10 MB at
//!   100,000 tests);
//! - times headless Chromium opening the report (`--dump-dom`) against an empty page.

mod common;

use common::{bench_root, benchmarking, build, env_num, median, ms, partest_path, time, write};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn suite_source(tests: usize, mixed: bool) -> String {
    let mut s = String::new();
    for i in 0..tests {
        let attr = match i {
            i if mixed && i % 50 == 0 => "(serial)",
            i if mixed && i % 2000 == 1 => "(serial(db))",
            _ => "",
        };
        let body = if mixed && i % 100 == 7 {
            "panic!(\"failing on purpose\")"
        } else {
            "assert!(std::hint::black_box(true))"
        };
        let _ = writeln!(s, "#[partest::test{attr}] fn t{i:06}() {{ {body}; }}");
    }
    s.push_str("partest::main!();\n");
    s
}

fn generate(ws: &Path, tests: usize) {
    write(
        &ws.join("Cargo.toml"),
        "[workspace]\nmembers = [\"suite\"]\nresolver = \"2\"\n[profile.dev]\ndebug = 0\n",
    );
    let manifest = format!(
        "[package]\nname = \"bench-timeline\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
         [dev-dependencies]\npartest = {{ path = {} }}\n\n[[test]]\nname = \"suite\"\nharness = false\n\n\
         [[test]]\nname = \"trivial\"\nharness = false\n",
        partest_path()
    );
    write(&ws.join("suite/Cargo.toml"), &manifest);
    write(&ws.join("suite/src/lib.rs"), "");
    write(&ws.join("suite/tests/suite.rs"), &suite_source(tests, true));
    write(
        &ws.join("suite/tests/trivial.rs"),
        &suite_source(10_000, false),
    );
}

/// The function that writes the files after the run.
const WRITING: &str = ":partest::session::write_timeline [";
/// The run's own path, where recording happens: a worker's test (its attempts), its claim
/// on the worker board (where a passing attempt is recorded, and the waits), and the end
/// of the pool (where the records are handed over). Their inclusive counts do not depend
/// on how callgrind interleaves the threads, unlike the program's total.
const RUN_PATH: [&str; 3] = [
    ":partest::runner::pool::Shared<H>::run_claimed [",
    ":partest::runner::board::WorkerBoard::claim_next [",
    ":partest::runner::pool::run [",
];

/// Callgrind's program total and the summed inclusive counts of the functions named in
/// `inside`, for one `-q` run of `bin` with `args` (exit 0 or, for the failing suite,
/// 101). `None` without valgrind.
fn instructions(bin: &Path, args: &[&str], inside: &[&str]) -> Option<(f64, f64)> {
    let file = bin.with_extension("callgrind");
    let ran = Command::new("valgrind")
        .args(["--tool=callgrind", "-q"])
        .arg(format!("--callgrind-out-file={}", file.display()))
        .arg(bin)
        .args(["--test-threads", "2", "-q"])
        .args(args)
        .env_remove("RUST_BACKTRACE")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .ok()?;
    let annotated = Command::new("callgrind_annotate")
        .args(["--inclusive=yes", "--threshold=100"])
        .arg(&file)
        .output()
        .ok()?;
    let _ = std::fs::remove_file(&file);
    let text = String::from_utf8_lossy(&annotated.stdout);
    let count = |line: &str| -> Option<f64> {
        line.split_whitespace()
            .next()?
            .replace(',', "")
            .parse()
            .ok()
    };
    let total = count(text.lines().find(|l| l.contains("PROGRAM TOTALS"))?)?;
    let part = inside
        .iter()
        .filter_map(|name| text.lines().find(|l| l.contains(name)).and_then(count))
        .sum();
    matches!(ran.code(), Some(0 | 101)).then_some((total, part))
}

/// The median wall time of `n` runs (the suite fails on purpose: exit 101 is expected).
fn runs(bin: &Path, args: &[&str], n: usize) -> Duration {
    let samples = (0..n)
        .map(|_| {
            let started = Instant::now();
            let status = Command::new(bin)
                .args(["--test-threads", "2", "-q"])
                .args(args)
                .env_remove("RUST_BACKTRACE")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .unwrap();
            assert!(matches!(status.code(), Some(0 | 101)), "{bin:?} {args:?}");
            started.elapsed()
        })
        .collect();
    median(samples)
}

fn chromium_opens(page: &Path) -> Option<Duration> {
    let profile = tempfile::tempdir().ok()?;
    let mut cmd = Command::new("chromium");
    cmd.args(["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("file://{}", page.display()));
    Command::new("chromium").arg("--version").output().ok()?;
    Some(time(&mut cmd))
}

fn main() {
    if !benchmarking() {
        return;
    }
    let tests = env_num("BENCH_TESTS", 100_000);
    let n = env_num("BENCH_RUNS", 5);
    let (root, target) = bench_root("timeline");
    generate(&root, tests);
    println!("suites: 10,000 trivial tests; {tests} tests (2% serial, 0.05% serial(db), 1% failing); --test-threads 2 -q");
    let bin: PathBuf = build(&root, &target, "bench-timeline", "suite");
    let trivial: PathBuf = build(&root, &target, "bench-timeline", "trivial");
    let out = tempfile::tempdir().unwrap();
    let trace = out.path().join("run.json");
    let html = out.path().join("run.html");
    let (trace_arg, html_arg) = (trace.to_str().unwrap(), html.to_str().unwrap());
    let both = ["--trace", trace_arg, "--html", html_arg];

    // Recording during the run: the run path's instructions with both flags against
    // without, as a share of the whole run without.
    let plain = instructions(&trivial, &[], &RUN_PATH);
    let recorded = instructions(&trivial, &both, &RUN_PATH);
    let writing = instructions(&trivial, &both, &[WRITING]);
    let large = instructions(&bin, &both, &[WRITING]);
    match (plain, recorded, writing, large) {
        (
            Some((whole, path)),
            Some((_, recorded_path)),
            Some((_, writing)),
            Some((_, writing_large)),
        ) => {
            let recording = recorded_path - path;
            println!(
                "callgrind, 10,000 trivial tests: {:.1} M instructions without the flags; recording during the run {:.2} M = {:.2}% of that (target < 2%; {:.0} per test); writing the files {:.0} per test",
                whole / 1e6,
                recording / 1e6,
                recording / whole * 100.0,
                recording / 10_000.0,
                writing / 10_000.0
            );
            println!(
                "callgrind, {tests} tests: writing both files {:.0} instructions per test",
                writing_large / tests as f64
            );
        }
        _ => println!("callgrind: not measured (valgrind is not installed)"),
    }
    let without = runs(&bin, &[], n);
    let with_trace = runs(&bin, &["--trace", trace_arg], n);
    let with_html = runs(&bin, &["--html", html_arg], n);
    let per_test = |d: Duration| d.saturating_sub(without).as_secs_f64() * 1e6 / tests as f64;
    println!(
        "wall ({n} runs, medians): {} without, {} with --trace ({:.2} us per test), {} with --html ({:.2} us per test)",
        ms(without).trim(),
        ms(with_trace).trim(),
        per_test(with_trace),
        ms(with_html).trim(),
        per_test(with_html)
    );
    let size = |p: &Path| std::fs::metadata(p).map_or(0.0, |m| m.len() as f64 / 1e6);
    println!(
        "files: trace {:.1} MB (target < ~50 MB at 100,000 tests), report {:.1} MB (target < ~10 MB)",
        size(&trace),
        size(&html)
    );
    let empty = out.path().join("empty.html");
    std::fs::write(&empty, "<!DOCTYPE html><title>empty</title>").unwrap();
    match (chromium_opens(&html), chromium_opens(&empty)) {
        (Some(report), Some(blank)) => println!(
            "chromium: the report opens and renders in {} (an empty page: {})",
            ms(report).trim(),
            ms(blank).trim()
        ),
        _ => println!("chromium: not measured (chromium is not installed)"),
    }
}
