//! Building the fixture workspace once and running its binaries.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The fixture workspace.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
}

/// The fixtures' own target dir: never the outer `cargo test`'s, whose lock is held.
pub fn fixtures_target() -> PathBuf {
    fixtures_dir().join("target")
}

/// A `cargo` command for the fixture workspace.
pub fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(fixtures_dir())
        .env("CARGO_TARGET_DIR", fixtures_target());
    for (key, _) in std::env::vars() {
        if key.starts_with("NEXTEST") || key.starts_with("RUST_TEST") {
            cmd.env_remove(key);
        }
    }
    cmd
}

/// Runs `cmd` (a `cargo build --message-format=json`) and maps each built target's name
/// to its executable.
pub fn build_executables(mut cmd: Command) -> HashMap<String, PathBuf> {
    let out = cmd.stderr(Stdio::inherit()).output().expect("cargo runs");
    assert!(out.status.success(), "building {cmd:?} failed");
    let mut map = HashMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if let (Some(exe), Some(target)) =
            (msg["executable"].as_str(), msg["target"]["name"].as_str())
        {
            map.insert(target.to_owned(), PathBuf::from(exe));
        }
    }
    map
}

/// Path of the fixture test binary `name` (a `[[test]]` target), building all once. A
/// package's lib unit tests carry the package's name: a test target of that name would
/// collide with them here, so the fixtures give theirs other names.
pub fn binary(name: &str) -> PathBuf {
    static BINARIES: OnceLock<HashMap<String, PathBuf>> = OnceLock::new();
    let map = BINARIES.get_or_init(|| {
        let mut cmd = cargo();
        cmd.args(["build", "--tests", "--message-format=json"]);
        build_executables(cmd)
    });
    map.get(name)
        .unwrap_or_else(|| panic!("no fixture test binary named {name}"))
        .clone()
}

/// What a run printed and how it exited.
#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs fixture binary `name` with `args` and extra `env`, in a clean test environment.
pub fn run_with_env(name: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(binary(name));
    cmd.args(args)
        .current_dir(fixtures_dir())
        .env("RUST_BACKTRACE", "0")
        .env("RUSTC_BOOTSTRAP", "1");
    for (key, _) in std::env::vars() {
        if key.starts_with("NEXTEST")
            || key.starts_with("RUST_TEST")
            || key == "PARTEST_TESTRUN_UID"
        {
            cmd.env_remove(key);
        }
    }
    cmd.envs(env.iter().copied());
    let out = cmd.output().expect("fixture binary runs");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs fixture binary `name` with `args`.
pub fn run(name: &str, args: &[&str]) -> Output {
    run_with_env(name, args, &[])
}

/// Removes what legitimately differs between runs and between the two harnesses:
/// timings, OS thread ids, source locations.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let mut line = line.to_owned();
        if let Some(i) = line.find("; finished in ") {
            line.truncate(i + "; finished in".len());
        }
        line = replace_runs(&line, "' (", ')', "' (TID)");
        line = replace_locations(&line);
        if let Some(i) = line.find("\"exec_time\": ") {
            let rest = &line[i + 13..];
            let stop = rest.find([',', ' ']).unwrap_or(rest.len());
            line = format!("{}\"exec_time\": T{}", &line[..i], &rest[stop..]);
        }
        out.push_str(&strip_partest_json_fields(&line));
        out.push('\n');
    }
    out
}

/// Removes the fields partest adds to libtest's JSON events (`worker`, `markers`).
fn strip_partest_json_fields(line: &str) -> String {
    let mut line = line.to_owned();
    for (key, close) in [(", \"worker\": \"", '"'), (", \"markers\": [", ']')] {
        if let Some(start) = line.find(key) {
            let value_start = start + key.len();
            if let Some(len) = line[value_start..].find(close) {
                line.replace_range(start..value_start + len + 1, "");
            }
        }
    }
    line
}

fn replace_runs(line: &str, open: &str, close: char, with: &str) -> String {
    match line.find(open) {
        Some(i) => match line[i + open.len()..].find(close) {
            Some(j)
                if line[i + open.len()..i + open.len() + j]
                    .chars()
                    .all(|c| c.is_ascii_digit()) =>
            {
                format!("{}{with}{}", &line[..i], &line[i + open.len() + j + 1..])
            }
            _ => line.to_owned(),
        },
        None => line.to_owned(),
    }
}

/// `suite/tests/x.rs:12:34` → `LOC` (the twins put a test on the same line, not column).
fn replace_locations(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(i) = rest.find(".rs:") {
        let start = rest[..i].rfind([' ', '"']).map_or(0, |s| s + 1);
        let tail = &rest[i + 4..];
        let end = tail
            .find(|c: char| !(c.is_ascii_digit() || c == ':'))
            .unwrap_or(tail.len());
        let digits = tail[..end].trim_end_matches(':');
        out.push_str(&rest[..start]);
        out.push_str("LOC");
        rest = &tail[digits.len()..];
    }
    out.push_str(rest);
    out
}

/// The lines starting with `prefix`, sorted (for multithreaded runs, whose order varies),
/// leaving out the summary line (its run time varies between runs).
pub fn sorted_lines(text: &str, prefix: &str) -> Vec<String> {
    let mut lines: Vec<String> = text
        .lines()
        .filter(|l| l.starts_with(prefix) && !l.starts_with("test result:"))
        .map(str::to_owned)
        .collect();
    lines.sort();
    lines
}

/// The largest number of `(start, end)` intervals open at one instant (an end at the same
/// instant as a start counts first).
pub fn peak_overlap(intervals: impl IntoIterator<Item = (u128, u128)>) -> usize {
    let mut edges: Vec<(u128, i32)> = intervals
        .into_iter()
        .flat_map(|(start, end)| [(start, 1), (end, -1)])
        .collect();
    edges.sort();
    let (mut now, mut peak) = (0i32, 0i32);
    for (_, delta) in edges {
        now += delta;
        peak = peak.max(now);
    }
    peak as usize
}

/// Whether cargo-nextest is installed. `.ci/run` installs it, so in CI a missing one is a
/// failure, not a skip.
pub fn nextest_available() -> bool {
    let has = cargo()
        .args(["nextest", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        has || std::env::var_os("CI").is_none(),
        "cargo-nextest is missing in CI"
    );
    if !has {
        eprintln!("cargo-nextest is not installed: skipped");
    }
    has
}

/// The failure block of `test` in a pretty report: what follows its
/// `---- name stdout ----` line, up to the next block or the list of failures.
pub fn block<'a>(stdout: &'a str, test: &str) -> &'a str {
    let header = format!("---- {test} stdout ----\n");
    let start = stdout
        .find(&header)
        .unwrap_or_else(|| panic!("no block for {test} in:\n{stdout}"))
        + header.len();
    let rest = &stdout[start..];
    let end = [rest.find("\n---- "), rest.find("\nfailures:\n")]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(rest.len());
    &rest[..end]
}

/// Copies the directory `from` to `to`, recursively.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        match entry.file_type().unwrap().is_dir() {
            true => copy_dir(&entry.path(), &target),
            false => drop(std::fs::copy(entry.path(), &target).unwrap()),
        }
    }
}

/// A nextest config file in `dir` that starts one Redis and one PostgreSQL for the run with
/// partest's setup script, followed by `extra`.
pub fn nextest_services_config(dir: &Path, extra: &str) -> PathBuf {
    let config = dir.join("nextest.toml");
    let script = env!("CARGO_BIN_EXE_partest-services");
    std::fs::write(
        &config,
        format!(
            "experimental = [\"setup-scripts\"]\n\n\
             [scripts.setup.partest-services]\ncommand = [{script:?}, \"nextest-setup\"]\n\n\
             [[profile.default.scripts]]\nfilter = 'all()'\nsetup = 'partest-services'\n\n{extra}"
        ),
    )
    .unwrap();
    config
}
