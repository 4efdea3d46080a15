//! Scheduling-quality benchmark (`cargo bench --bench makespan`).
//!
//! Generates a sleep-based mixed suite (default 400 tests of 5–60 ms: 5% `serial`, 5% one
//! `serial(db)` key, 6% `heavy_resource`, 13% `redis_isolated`, 8% in three groups, the
//! rest plain) twice: under partest, and under libtest with the `serial_test` crate
//! (`#[serial]`, `#[serial(key)]`, `#[parallel]`) plus hand-written semaphores for heavy
//! tests and a 16-slot Redis pool. Runs both at 16 and 64 threads and prints each
//! makespan divided by the lower bound
//! LB = Σserial + max(Σrest / threads, Σkeyed, longest group, Σheavy / heavy_limit,
//!                    Σredis / 16, longest test),
//! from `partest::timeline::bound::lower_bound` (the function the run report uses).
//! partest is measured cold (no recorded durations) and warm (durations of a previous run).
//!
//! Environment: `BENCH_TESTS` (400), `BENCH_RUNS` (3), `BENCH_SEED` (1), `BENCH_HEAVY_LIMIT` (4).

mod common;

use common::{bench_root, benchmarking, build, env_num, median, partest_path, time, write};
use partest::timeline::bound::{lower_bound as lower_bound_of, Capacity, Job};
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Class {
    Serial,
    Keyed,
    Heavy,
    Redis,
    Group(u8),
    Plain,
}

struct Case {
    class: Class,
    ms: u64,
}

fn suite(tests: usize, seed: u64) -> Vec<Case> {
    let mut state = seed;
    let mut next = move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let share = |pct: usize| tests * pct / 100;
    let mut classes = Vec::new();
    classes.extend(std::iter::repeat_n(Class::Serial, share(5)));
    classes.extend(std::iter::repeat_n(Class::Keyed, share(5)));
    classes.extend(std::iter::repeat_n(Class::Heavy, share(6)));
    classes.extend(std::iter::repeat_n(Class::Redis, share(13)));
    classes.extend((0..share(8)).map(|i| Class::Group((i % 3) as u8)));
    classes.resize(tests, Class::Plain);
    // Interleave classes the way a real suite's names would.
    for i in (1..classes.len()).rev() {
        classes.swap(i, (next() % (i as u64 + 1)) as usize);
    }
    classes
        .into_iter()
        .map(|class| Case {
            class,
            ms: 5 + next() % 56,
        })
        .collect()
}

/// The lower bound of `cases` from partest's own function (the one the run report uses).
fn lower_bound(cases: &[Case], threads: usize, heavy_limit: usize) -> Duration {
    let jobs: Vec<Job> = cases
        .iter()
        .map(|c| Job {
            duration: Duration::from_millis(c.ms),
            claims: match c.class {
                Class::Serial => vec!["serial".to_owned()],
                Class::Keyed => vec!["key=db".to_owned()],
                Class::Heavy => vec!["heavy".to_owned()],
                Class::Redis => vec!["redis".to_owned()],
                Class::Group(g) => vec![format!("group=g{g}")],
                Class::Plain => Vec::new(),
            },
        })
        .collect();
    let capacity = Capacity {
        workers: threads,
        heavy_limit,
        pools: vec![("redis".to_owned(), 16)],
        caps: Vec::new(),
    };
    lower_bound_of(&jobs, &capacity).unwrap().total
}

fn partest_source(cases: &[Case]) -> String {
    let mut s = String::from(
        "fn io(ms: u64) { std::thread::sleep(std::time::Duration::from_millis(ms)); }\n",
    );
    for (i, c) in cases.iter().enumerate() {
        let attr = match c.class {
            Class::Serial => "(serial)".to_owned(),
            Class::Keyed => "(serial(db))".to_owned(),
            Class::Heavy => "(heavy_resource)".to_owned(),
            Class::Redis => "(redis_isolated)".to_owned(),
            Class::Group(g) => format!("(group = \"g{g}\")"),
            Class::Plain => String::new(),
        };
        let _ = writeln!(s, "#[partest::test{attr}] fn t{i:04}() {{ io({}); }}", c.ms);
    }
    s.push_str("partest::main!();\n");
    s
}

fn libtest_source(cases: &[Case], heavy_limit: usize) -> String {
    let mut s = format!(
        "use serial_test::{{parallel, serial}};
use std::sync::{{Condvar, Mutex}};
fn io(ms: u64) {{ std::thread::sleep(std::time::Duration::from_millis(ms)); }}
struct Pool {{ free: Mutex<Vec<u32>>, cv: Condvar }}
struct Lease<'a>(&'a Pool, u32);
impl Pool {{
    fn take(&self) -> Lease<'_> {{
        let mut free = self.free.lock().unwrap();
        loop {{
            if let Some(slot) = free.pop() {{ return Lease(self, slot); }}
            free = self.cv.wait(free).unwrap();
        }}
    }}
}}
impl Drop for Lease<'_> {{
    fn drop(&mut self) {{ self.0.free.lock().unwrap().push(self.1); self.0.cv.notify_one(); }}
}}
static HEAVY: std::sync::LazyLock<Pool> = std::sync::LazyLock::new(|| Pool {{ free: Mutex::new((0..{heavy_limit}).collect()), cv: Condvar::new() }});
static REDIS: std::sync::LazyLock<Pool> = std::sync::LazyLock::new(|| Pool {{ free: Mutex::new((0..16).collect()), cv: Condvar::new() }});
"
    );
    for (i, c) in cases.iter().enumerate() {
        let (attrs, body) = match c.class {
            Class::Serial => ("#[serial]".to_owned(), String::new()),
            Class::Keyed => ("#[serial(db)] #[parallel]".to_owned(), String::new()),
            Class::Heavy => (
                "#[parallel]".to_owned(),
                "let _lease = HEAVY.take(); ".to_owned(),
            ),
            Class::Redis => (
                "#[parallel]".to_owned(),
                "let _lease = REDIS.take(); ".to_owned(),
            ),
            Class::Group(g) => (format!("#[serial(g{g})] #[parallel]"), String::new()),
            Class::Plain => ("#[parallel]".to_owned(), String::new()),
        };
        let _ = writeln!(s, "#[test] {attrs} fn t{i:04}() {{ {body}io({}); }}", c.ms);
    }
    s
}

fn generate(root: &Path, cases: &[Case], heavy_limit: usize) {
    write(
        &root.join("Cargo.toml"),
        "[workspace]\nmembers = [\"partest\", \"libtest\"]\nresolver = \"2\"\n",
    );
    for (kind, dep, harness, source) in [
        (
            "partest",
            format!("partest = {{ path = {} }}", partest_path()),
            "harness = false\n",
            partest_source(cases),
        ),
        (
            "libtest",
            "serial_test = \"3\"".to_owned(),
            "",
            libtest_source(cases, heavy_limit),
        ),
    ] {
        let manifest = format!(
            "[package]\nname = \"sched-{kind}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
             [dev-dependencies]\n{dep}\n\n[[test]]\nname = \"mixed\"\n{harness}"
        );
        write(&root.join(kind).join("Cargo.toml"), &manifest);
        write(&root.join(kind).join("src/lib.rs"), "");
        write(&root.join(kind).join("tests/mixed.rs"), &source);
    }
}

fn main() {
    if !benchmarking() {
        return;
    }
    let tests = env_num("BENCH_TESTS", 400);
    let runs = env_num("BENCH_RUNS", 3);
    let heavy_limit = env_num("BENCH_HEAVY_LIMIT", 4);
    let cases = suite(tests, env_num("BENCH_SEED", 1) as u64);
    let (root, target) = bench_root("makespan");
    generate(&root, &cases, heavy_limit);
    let partest = build(&root, &target, "sched-partest", "mixed");
    let libtest = build(&root, &target, "sched-libtest", "mixed");
    let total: u64 = cases.iter().map(|c| c.ms).sum();
    println!("suite: {tests} tests, {:.1} s of sleeping in all; heavy limit {heavy_limit}; median of {runs} runs", total as f64 / 1000.0);
    println!(
        "\n{:>7} {:>9} {:>15} {:>15} {:>22}",
        "threads", "LB", "partest cold", "partest warm", "libtest+serial_test"
    );
    for threads in [16usize, 64] {
        let t = threads.to_string();
        let h = heavy_limit.to_string();
        let lb = lower_bound(&cases, threads, heavy_limit);
        let warm_dir = tempfile_dir(&root, &format!("history-{threads}"));
        let partest_run = |history: &Path| {
            let mut cmd = Command::new(&partest);
            cmd.args(["--test-threads", &t, "--heavy-limit", &h])
                .env("PARTEST_HISTORY_DIR", history);
            time(&mut cmd)
        };
        partest_run(&warm_dir); // records durations for the warm runs
        let mut cold = Vec::new();
        let mut warm = Vec::new();
        let mut lib = Vec::new();
        for round in 0..runs {
            cold.push(partest_run(&tempfile_dir(
                &root,
                &format!("cold-{threads}-{round}"),
            )));
            warm.push(partest_run(&warm_dir));
            lib.push(time(Command::new(&libtest).args(["--test-threads", &t])));
        }
        let ratio = |d: Duration| d.as_secs_f64() / lb.as_secs_f64();
        let (cold, warm, lib) = (median(cold), median(warm), median(lib));
        println!(
            "{threads:>7} {:>7.0}ms {:>8.0}ms {:>4.2}x {:>8.0}ms {:>4.2}x {:>14.0}ms {:>4.2}x",
            lb.as_secs_f64() * 1e3,
            cold.as_secs_f64() * 1e3,
            ratio(cold),
            warm.as_secs_f64() * 1e3,
            ratio(warm),
            lib.as_secs_f64() * 1e3,
            ratio(lib)
        );
    }
    println!("\ntargets: partest <= 1.10x LB at 16 threads, <= 1.20x at 64, and faster than libtest+serial_test");
}

/// A fresh, empty directory under the bench root.
fn tempfile_dir(root: &Path, name: &str) -> std::path::PathBuf {
    let dir = root.join("tmp").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
