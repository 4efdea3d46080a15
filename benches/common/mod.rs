//! Shared by the benchmarks: generated workspaces, builds, timing.

#![allow(dead_code)] // each bench uses a different subset

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A numeric setting from the environment.
pub fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Writes `text` to `path` unless it already holds it (keeps cargo's fingerprints).
pub fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    if std::fs::read_to_string(path).ok().as_deref() != Some(text) {
        std::fs::write(path, text).unwrap();
    }
}

/// Where generated workspaces live: `target/partest-bench/<name>`, built into
/// `target/partest-bench/target` (never the outer cargo's target dir).
pub fn bench_root(name: &str) -> (PathBuf, PathBuf) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("partest-bench");
    (root.join(name), root.join("target"))
}

/// The path of the partest crate, for generated manifests.
pub fn partest_path() -> String {
    format!("{:?}", env!("CARGO_MANIFEST_DIR"))
}

/// A cargo command in workspace `ws` with target dir `target`.
pub fn cargo(ws: &Path, target: &Path) -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(ws).env("CARGO_TARGET_DIR", target);
    cmd
}

/// Builds test target `test` of package `package` and returns its executable.
pub fn build(ws: &Path, target: &Path, package: &str, test: &str) -> PathBuf {
    let out = cargo(ws, target)
        .args(["build", "--tests", "--message-format=json", "-p", package])
        .stderr(Stdio::inherit())
        .output()
        .unwrap();
    assert!(out.status.success(), "building {package} failed");
    let name = format!("\"name\":\"{test}\"");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains("\"executable\":\"") && l.contains(&name))
        .find_map(|l| {
            let start = l.find("\"executable\":\"")? + 14;
            Some(PathBuf::from(&l[start..start + l[start..].find('"')?]))
        })
        .unwrap_or_else(|| panic!("no executable for {package}/{test}"))
}

/// Runs `cmd` with stdout read through a pipe (as CI logs and `cargo test` under a
/// wrapper do; /dev/null would make output free) and returns its wall time.
pub fn time(cmd: &mut Command) -> Duration {
    let start = Instant::now();
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut sink = Vec::new();
    std::io::Read::read_to_end(&mut child.stdout.take().unwrap(), &mut sink).unwrap();
    let status = child.wait().unwrap();
    let elapsed = start.elapsed();
    assert!(
        status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&sink)
    );
    elapsed
}

/// Times a build (its output is not interesting).
pub fn time_build(cmd: &mut Command) -> Duration {
    let start = Instant::now();
    let status = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "{cmd:?} failed");
    start.elapsed()
}

/// The median of `v`.
pub fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Milliseconds, right-aligned.
pub fn ms(d: Duration) -> String {
    format!("{:9.1} ms", d.as_secs_f64() * 1000.0)
}

/// Whether cargo invoked this bench binary to benchmark (`cargo bench`), as opposed to
/// `cargo test --benches` or a `--list` probe.
pub fn benchmarking() -> bool {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list") {
        return false;
    }
    args.iter().any(|a| a == "--bench")
}
