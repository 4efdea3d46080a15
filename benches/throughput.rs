//! Throughput and compile-cost benchmark (`cargo bench --bench throughput`).
//!
//! Generates one suite of trivial tests three times — under partest, under libtest
//! (`#[test]`) and under libtest-mimic (a bare thread pool: the floor for a harness that
//! does more) — builds them in a workspace of their own, then:
//! - runs the three binaries alternately at the same `--test-threads` and prints medians
//!   and ratios (run and `--list`);
//! - rebuilds each suite after touching it (dependencies already built) and prints medians;
//! - prints the test binaries' sizes;
//! - runs an output-heavy suite (`BENCH_NOISY_TESTS` tests, default 1000, writing 2,000
//!   stderr lines each, all captured) under partest and libtest, and counts its
//!   instructions per captured line with callgrind: partest's, its `write`'s, libtest's.
//!
//! Every run is with pretty output and with `-q`. Environment: `BENCH_TESTS` (default
//! 10000), `BENCH_THREADS` (2), `BENCH_RUNS` (11), `BENCH_REBUILDS` (3).

mod common;

use common::{
    bench_root, benchmarking, build, cargo, env_num, median, ms, partest_path, time, time_build,
    write,
};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const KINDS: [&str; 3] = ["partest", "libtest", "mimic"];
/// The output-heavy suite: each test writes this many lines to stderr.
const NOISY_LINES: usize = 2000;

/// The output-heavy suite under partest or libtest: `tests` tests of
/// [`NOISY_LINES`] `eprintln!`s each (captured, all passing).
fn noisy_source(kind: &str, tests: usize) -> String {
    let attr = if kind == "partest" {
        "#[partest::test]"
    } else {
        "#[test]"
    };
    let mut s = String::new();
    for i in 0..tests {
        let _ = writeln!(
            s,
            "{attr} fn t{i:05}() {{ for n in 0..{NOISY_LINES} {{ eprintln!(\"t{i:05} log line {{n}}\"); }} }}"
        );
    }
    if kind == "partest" {
        s.push_str("partest::main!();\n");
    }
    s
}

fn suite_source(kind: &str, tests: usize) -> String {
    let mut s = String::new();
    match kind {
        "partest" => {
            for i in 0..tests {
                let _ = writeln!(
                    s,
                    "#[partest::test] fn t{i:05}() {{ assert!(std::hint::black_box(true)); }}"
                );
            }
            s.push_str("partest::main!();\n");
        }
        "libtest" => {
            for i in 0..tests {
                let _ = writeln!(
                    s,
                    "#[test] fn t{i:05}() {{ assert!(std::hint::black_box(true)); }}"
                );
            }
        }
        _ => {
            for i in 0..tests {
                let _ = writeln!(s, "fn t{i:05}() {{ assert!(std::hint::black_box(true)); }}");
            }
            s.push_str("static TESTS: &[(&str, fn())] = &[\n");
            for i in 0..tests {
                let _ = writeln!(s, "    (\"t{i:05}\", t{i:05}),");
            }
            s.push_str("];\nfn main() {\n    let args = libtest_mimic::Arguments::from_args();\n");
            s.push_str("    let trials = TESTS.iter().map(|&(name, f)| libtest_mimic::Trial::test(name, move || { f(); Ok(()) })).collect();\n");
            s.push_str("    libtest_mimic::run(&args, trials).exit();\n}\n");
        }
    }
    s
}

/// Writes the generated workspace; returns its directory.
fn generate(ws: &Path, tests: usize, noisy_tests: usize) -> PathBuf {
    write(
        &ws.join("Cargo.toml"),
        "[workspace]\nmembers = [\"partest\", \"libtest\", \"mimic\"]\nresolver = \"2\"\n[profile.dev]\ndebug = 0\n",
    );
    for kind in ["partest", "libtest"] {
        write(
            &ws.join(kind).join("tests/noisy.rs"),
            &noisy_source(kind, noisy_tests),
        );
    }
    for kind in KINDS {
        let dep = match kind {
            "partest" => format!("partest = {{ path = {} }}", partest_path()),
            "mimic" => "libtest-mimic = \"0.8\"".to_owned(),
            _ => String::new(),
        };
        let harness = if kind == "libtest" {
            ""
        } else {
            "harness = false\n"
        };
        let noisy = if kind == "mimic" {
            String::new()
        } else {
            format!("\n[[test]]\nname = \"noisy\"\n{harness}")
        };
        let manifest = format!(
            "[package]\nname = \"bench-{kind}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
             [dev-dependencies]\n{dep}\n\n[[test]]\nname = \"suite\"\n{harness}{noisy}"
        );
        write(&ws.join(kind).join("Cargo.toml"), &manifest);
        write(&ws.join(kind).join("src/lib.rs"), "");
        write(
            &ws.join(kind).join("tests/suite.rs"),
            &suite_source(kind, tests),
        );
    }
    // The partest suite with `fn main` instead of `main!()`: no module-tree scan.
    let unscanned = suite_source("partest", tests).replace(
        "partest::main!();\n",
        "fn main() -> std::process::ExitCode { partest::main() }\n",
    );
    write(&ws.join("partest/tests/unscanned.rs"), &unscanned);
    let manifest = ws.join("partest/Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    write(
        &manifest,
        &format!("{text}\n[[test]]\nname = \"unscanned\"\nharness = false\n"),
    );
    ws.to_owned()
}

/// Median rebuild times of the partest suite with `main!()` and with `fn main` (the
/// module-tree scan's cost), alternating.
fn measure_scan_cost(ws: &Path, target: &Path, rebuilds: usize) -> (Duration, Duration) {
    let mut samples = [Vec::new(), Vec::new()];
    for round in 0..rebuilds {
        for (i, name) in ["suite", "unscanned"].iter().enumerate() {
            let file = ws.join("partest/tests").join(format!("{name}.rs"));
            let text = std::fs::read_to_string(&file).unwrap();
            std::fs::write(&file, format!("{text}// rebuild {round}\n")).unwrap();
            let mut cmd = cargo(ws, target);
            cmd.args(["build", "-p", "bench-partest", "--test", name]);
            samples[i].push(time_build(&mut cmd));
            std::fs::write(&file, text).unwrap();
        }
    }
    let [scanned, unscanned] = samples;
    (median(scanned), median(unscanned))
}

fn measure_runs(bins: &[PathBuf], extra: &[&str], threads: usize, runs: usize) -> Vec<Duration> {
    let mut samples = vec![Vec::new(); bins.len()];
    for _ in 0..runs {
        for (i, bin) in bins.iter().enumerate() {
            let mut cmd = Command::new(bin);
            cmd.args(["--test-threads", &threads.to_string()])
                .args(extra)
                .env_remove("RUST_TEST_THREADS");
            samples[i].push(time(&mut cmd));
        }
    }
    samples.into_iter().map(median).collect()
}

fn measure_rebuilds(ws: &Path, target: &Path, rebuilds: usize) -> Vec<Duration> {
    let mut samples = vec![Vec::new(); KINDS.len()];
    for round in 0..rebuilds {
        for (i, kind) in KINDS.iter().enumerate() {
            let file = ws.join(kind).join("tests/suite.rs");
            let text = std::fs::read_to_string(&file).unwrap();
            std::fs::write(&file, format!("{text}// rebuild {round}\n")).unwrap();
            let mut cmd = cargo(ws, target);
            cmd.args(["build", "--tests", "-p", &format!("bench-{kind}")]);
            samples[i].push(time_build(&mut cmd));
            std::fs::write(&file, text).unwrap();
        }
    }
    samples.into_iter().map(median).collect()
}

/// Callgrind's instruction counts per captured line of the noisy suite, fixed costs
/// left out (the first 100 tests' count less the first 10's): partest's, the part spent
/// in partest's own `write`, and libtest's. `None` without valgrind.
fn noisy_instructions(noisy_bins: &[PathBuf], threads: usize) -> Option<[f64; 3]> {
    let count = |line: &str| -> Option<f64> {
        let n = line.split_whitespace().next()?;
        n.replace(',', "").parse().ok()
    };
    // (total, in `write`) of one run of the tests whose names start with `filter`.
    let measure = |bin: &Path, filter: &str| -> Option<(f64, f64)> {
        let file = bin.with_extension("callgrind");
        let ran = Command::new("valgrind")
            .args(["--tool=callgrind", "-q"])
            .arg(format!("--callgrind-out-file={}", file.display()))
            .arg(bin)
            .args(["--test-threads", &threads.to_string(), "-q", filter])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .ok()?;
        let annotated = Command::new("callgrind_annotate")
            .arg("--inclusive=no")
            .arg(&file)
            .output()
            .ok()?;
        let _ = std::fs::remove_file(&file);
        let text = String::from_utf8_lossy(&annotated.stdout);
        let total = text.lines().find(|l| l.contains("PROGRAM TOTALS"));
        let write = text.lines().find(|l| l.contains(":write ["));
        ran.success()
            .then_some((count(total?)?, write.and_then(count).unwrap_or(0.0)))
    };
    let lines = (90 * NOISY_LINES) as f64;
    let per_line = |bin: &Path| -> Option<(f64, f64)> {
        let (few, many) = (measure(bin, "t0000")?, measure(bin, "t000")?);
        Some(((many.0 - few.0) / lines, (many.1 - few.1) / lines))
    };
    let (partest, write) = per_line(&noisy_bins[0])?;
    Some([partest, write, per_line(&noisy_bins[1])?.0])
}

fn main() {
    if !benchmarking() {
        return; // `cargo test --benches` or a `--list` probe: nothing to check here.
    }
    let tests = env_num("BENCH_TESTS", 10_000);
    let threads = env_num("BENCH_THREADS", 2);
    let runs = env_num("BENCH_RUNS", 11);
    let rebuilds = env_num("BENCH_REBUILDS", 3);
    let noisy_tests = env_num("BENCH_NOISY_TESTS", 1000);
    let (root, target) = bench_root("throughput");
    let ws = generate(&root, tests, noisy_tests);
    println!("suite: {tests} trivial tests; --test-threads {threads}; {runs} alternating runs; {rebuilds} rebuilds");
    let bins: Vec<PathBuf> = KINDS
        .iter()
        .map(|k| build(&ws, &target, &format!("bench-{k}"), "suite"))
        .collect();

    let run = measure_runs(&bins, &[], threads, runs);
    let quiet = measure_runs(&bins, &["-q"], threads, runs);
    let list = measure_runs(&bins, &["--list"], threads, runs);
    let noisy_bins: Vec<PathBuf> = ["partest", "libtest"]
        .iter()
        .map(|k| build(&ws, &target, &format!("bench-{k}"), "noisy"))
        .collect();
    let noisy = measure_runs(&noisy_bins, &[], threads, runs.min(5));
    let noisy_cost = noisy_instructions(&noisy_bins, threads);
    // Process mode: the same partest binaries with --isolate process.
    let process = ["--isolate", "process"];
    let process_run = measure_runs(&bins[..1], &process, threads, runs)[0];
    let process_quiet =
        measure_runs(&bins[..1], &[&process[..], &["-q"]].concat(), threads, runs)[0];
    let process_noisy = measure_runs(&noisy_bins[..1], &process, threads, runs.min(5))[0];
    // Start-up: one test per worker, against the same in threads mode.
    let few: Vec<String> = (0..threads).map(|i| format!("t{i:05}")).collect();
    let few: Vec<&str> = few.iter().map(String::as_str).collect();
    let startup_args = [&["--exact"][..], &few].concat();
    let startup_threads = measure_runs(&bins[..1], &startup_args, threads, runs)[0];
    let startup_process = measure_runs(
        &bins[..1],
        &[&startup_args[..], &process[..]].concat(),
        threads,
        runs,
    )[0];
    let rebuild = measure_rebuilds(&ws, &target, rebuilds);
    build(&ws, &target, "bench-partest", "unscanned");
    let (scanned, unscanned) = measure_scan_cost(&ws, &target, rebuilds);
    let sizes: Vec<u64> = bins
        .iter()
        .map(|b| std::fs::metadata(b).unwrap().len())
        .collect();

    println!(
        "\n{:<10} {:>12} {:>12} {:>12} {:>12} {:>12}",
        "harness", "run", "run -q", "--list", "rebuild", "binary"
    );
    for (i, kind) in KINDS.iter().enumerate() {
        println!(
            "{kind:<10} {} {} {} {} {:>9.1} MB",
            ms(run[i]),
            ms(quiet[i]),
            ms(list[i]),
            ms(rebuild[i]),
            sizes[i] as f64 / 1e6
        );
    }
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
    println!(
        "\nrun:     libtest / partest = {:.2}x pretty, {:.2}x -q (target >= 10)",
        ratio(run[1], run[0]),
        ratio(quiet[1], quiet[0])
    );
    println!(
        "run:     partest / mimic   = {:.2}x pretty, {:.2}x -q (target <= 1.5)",
        ratio(run[0], run[2]),
        ratio(quiet[0], quiet[2])
    );
    println!(
        "noisy:   {noisy_tests} tests x {NOISY_LINES} stderr lines: partest {}, libtest {}; partest / libtest = {:.2}x (target <= 1.25)",
        ms(noisy[0]).trim(),
        ms(noisy[1]).trim(),
        ratio(noisy[0], noisy[1])
    );
    match noisy_cost {
        Some([partest, write, libtest]) => println!(
            "noisy:   callgrind, instructions per captured line: partest {partest:.0} (its own write {write:.0}), libtest {libtest:.0}; partest / libtest = {:.2}x, {:.2}x without partest's write (std's unbuffered stderr path)",
            partest / libtest,
            (partest - write) / libtest
        ),
        None => println!("noisy:   callgrind not measured (valgrind is not installed)"),
    }
    println!(
        "process: --isolate process run {}, -q {}, noisy {}; libtest / partest = {:.2}x pretty, {:.2}x -q (target >= 2); noisy partest / libtest = {:.2}x",
        ms(process_run).trim(),
        ms(process_quiet).trim(),
        ms(process_noisy).trim(),
        ratio(run[1], process_run),
        ratio(quiet[1], process_quiet),
        ratio(process_noisy, noisy[1])
    );
    let per_test = (process_quiet.saturating_sub(startup_process)).as_secs_f64() * threads as f64
        / tests as f64;
    println!(
        "process: worker start-up {} ({threads} workers, one test each, against {} in threads mode); per-test round trip {:.1} us per worker",
        ms(startup_process.saturating_sub(startup_threads)).trim(),
        ms(startup_threads).trim(),
        per_test * 1e6
    );
    println!(
        "--list:  partest / libtest = {:.2}x (target <= 1.0)",
        ratio(list[0], list[1])
    );
    println!(
        "rebuild: partest / libtest = {:.2}x (target <= 1.5)",
        ratio(rebuild[0], rebuild[1])
    );
    println!(
        "rebuild: main!()'s module-tree scan: {} against {} with fn main, {:+.1}% (target <= 5%)",
        ms(scanned).trim(),
        ms(unscanned).trim(),
        (ratio(scanned, unscanned) - 1.0) * 100.0
    );
    println!(
        "binary:  partest / libtest = {:.2}x (target <= 2.0)",
        sizes[0] as f64 / sizes[1] as f64
    );
}
