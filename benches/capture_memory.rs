//! `cargo bench --bench capture_memory`: the peak memory of a run where one test prints
//! 200 MiB and fails (while seven quick tests pass), at 2 and 8 worker threads, at one
//! (file-descriptor capture) and in process mode. Sampled every millisecond over the run's
//! process tree: resident memory, and anonymous memory plus the capture files (unlinked
//! files in `/dev/shm` or the temp dir, seen through `/proc/PID/fd`). The report keeps
//! 8 MiB of the output.

mod common;

use common::{bench_root, benchmarking, build, partest_path, write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SUITE: &str = r#"
#[partest::test]
fn prints_200_mib() {
    let line = "y".repeat(1023);
    for _ in 0..200 * 1024 {
        println!("{line}");
    }
    panic!("after 200 MiB");
}

macro_rules! quick {
    ($($name:ident)*) => { $(
        #[partest::test]
        fn $name() {
            println!("a line");
        }
    )* };
}

quick!(q1 q2 q3 q4 q5 q6 q7);

partest::main!();
"#;

/// The process ids of `root` and its descendants.
fn tree(root: u32) -> Vec<u32> {
    let mut pids = vec![root];
    let mut at = 0;
    while at < pids.len() {
        let task = format!("/proc/{}/task", pids[at]);
        for thread in std::fs::read_dir(task).into_iter().flatten().flatten() {
            let children = thread.path().join("children");
            let text = std::fs::read_to_string(children).unwrap_or_default();
            pids.extend(
                text.split_whitespace()
                    .filter_map(|p| p.parse::<u32>().ok()),
            );
        }
        at += 1;
    }
    pids.sort_unstable();
    pids.dedup();
    pids
}

/// What the tree holds now: its resident memory (`VmRSS`, which includes the executable
/// and debug info mapped from disk to print a backtrace), and what the run itself costs —
/// its anonymous and shared-memory pages (`RssAnon`, `RssShmem`) plus the blocks
/// allocated to the deleted files its processes have open (capture files), each once.
fn held(root: u32) -> (u64, u64) {
    let (mut rss, mut own) = (0, 0);
    let mut files = std::collections::HashSet::new();
    for pid in tree(root) {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let kib = |field: &str| -> u64 {
            let line = status.lines().find_map(|l| l.strip_prefix(field));
            line.and_then(|v| v.split_whitespace().next()?.parse().ok())
                .unwrap_or(0)
        };
        rss += kib("VmRSS:") * 1024;
        own += (kib("RssAnon:") + kib("RssShmem:")) * 1024;
        for fd in std::fs::read_dir(format!("/proc/{pid}/fd"))
            .into_iter()
            .flatten()
            .flatten()
        {
            let target = std::fs::read_link(fd.path()).unwrap_or_default();
            let deleted = target.to_string_lossy().ends_with(" (deleted)");
            if let (true, Ok(meta)) = (deleted, std::fs::metadata(fd.path())) {
                use std::os::unix::fs::MetadataExt;
                if meta.is_file() && files.insert((meta.dev(), meta.ino())) {
                    own += meta.blocks() * 512;
                }
            }
        }
    }
    (rss, own)
}

/// The peaks of one run.
struct Peaks {
    /// Sampled [`held`]: VmRSS, and anonymous memory plus capture files, of the tree.
    sampled: (u64, u64),
    /// The kernel's maximum resident set of the test binary's own process.
    max_rss: u64,
    wall: Duration,
}

/// Waits for `pid` if it has ended: its maximum resident set in bytes.
fn reap(pid: u32) -> Option<u64> {
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid value for wait4 to fill.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: wait4 on our own child with valid pointers.
    let done = unsafe { libc::wait4(pid as i32, &mut status, libc::WNOHANG, &mut usage) };
    (done == pid as i32).then_some(usage.ru_maxrss as u64 * 1024)
}

/// Runs `exe ARGS` with stdout read through a pipe, sampling [`held`] every millisecond.
#[allow(clippy::zombie_processes)] // reaped by `reap` (wait4), which also reads its rusage
fn peak(exe: &Path, args: &[&str]) -> Peaks {
    let started = Instant::now();
    // A backtrace would map the binary's debug info: the default, none, is measured.
    let mut child = Command::new(exe)
        .args(args)
        .env_remove("RUST_BACKTRACE")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut sink = Vec::new();
        std::io::Read::read_to_end(&mut out, &mut sink).unwrap();
        sink
    });
    let mut most = (0, 0);
    let max_rss = loop {
        let now = held(child.id());
        most = (most.0.max(now.0), most.1.max(now.1));
        if let Some(max_rss) = reap(child.id()) {
            break max_rss;
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    let report = String::from_utf8_lossy(&reader.join().unwrap()).into_owned();
    assert!(
        report.contains("bytes of output left out]") && report.contains("7 passed; 1 failed"),
        "{report}"
    );
    Peaks {
        sampled: most,
        max_rss,
        wall: started.elapsed(),
    }
}

fn main() {
    if !benchmarking() {
        return;
    }
    let (ws, target) = bench_root("capture-memory");
    write(
        &ws.join("Cargo.toml"),
        &format!(
            "[package]\nname = \"capture-memory\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\
             [workspace]\n[dev-dependencies]\npartest = {{ path = {} }}\n\
             [[test]]\nname = \"loud\"\nharness = false\n",
            partest_path()
        ),
    );
    write(&ws.join("tests/loud.rs"), SUITE);
    let exe = build(&ws, &target, "capture-memory", "loud");
    println!("one test prints 200 MiB and fails, 7 quick tests pass; peaks over the run's");
    println!("processes of VmRSS and of anonymous memory plus capture files (target: < 64 MiB),");
    println!("and the kernel's maximum resident set of the test binary's own process");
    let head = ["VmRSS", "anon + files", "max RSS", "wall"];
    println!(
        "{:<32}{:>12}{:>16}{:>12}{:>10}",
        "", head[0], head[1], head[2], head[3]
    );
    for (what, args) in [
        ("threads, 2 workers", &["--test-threads", "2"][..]),
        ("threads, 8 workers", &["--test-threads", "8"]),
        ("threads, 1 worker (fd capture)", &["--test-threads", "1"]),
        (
            "process mode, 2 workers",
            &["--test-threads", "2", "--isolate", "process"],
        ),
    ] {
        let run = peak(&exe, args);
        let mib = |bytes: u64| bytes as f64 / (1 << 20) as f64;
        println!(
            "{what:<32}{:8.1} MiB{:12.1} MiB{:8.1} MiB{:7.0} ms",
            mib(run.sampled.0),
            mib(run.sampled.1),
            mib(run.max_rss),
            run.wall.as_secs_f64() * 1000.0
        );
    }
}
