//! What partest does when pointed at odd paths and odd input, checked from the files, exit
//! codes and output after the fact: report files go to what their path is (a symlink's
//! target, a FIFO's reader, a device) and are never replaced by a regular file.

use crate::common::{run_with_env, Output};
use std::ffi::CString;
use std::os::unix::fs::{symlink, FileTypeExt};
use std::path::Path;

/// The partest suite (16 tests, 6 failing) with its history kept in `dir`.
fn suite(args: &[&str], dir: &Path) -> Output {
    let history = dir.join("history");
    run_with_env(
        "integration",
        args,
        &[("PARTEST_HISTORY_DIR", history.to_str().unwrap())],
    )
}

fn mkfifo(path: &Path) {
    let c = CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo with a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}

/// Reads `fifo` to its end on a thread; the bytes read.
fn read_fifo(fifo: &Path) -> std::thread::JoinHandle<Vec<u8>> {
    let fifo = fifo.to_owned();
    std::thread::spawn(move || std::fs::read(fifo).unwrap())
}

fn testcases(xml: &str) -> usize {
    let doc = roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("{e}: {xml}"));
    doc.descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .count()
}

#[test]
fn junit_through_a_symlink_lands_in_its_target_and_the_link_stays() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("reports")).unwrap();
    let target = dir.path().join("reports/junit.xml");
    std::fs::write(&target, "old report").unwrap();
    let link = dir.path().join("junit.xml");
    symlink("reports/junit.xml", &link).unwrap();
    let out = suite(&["--junit", link.to_str().unwrap()], dir.path());
    assert_eq!(out.code, 101, "{}", out.stderr);
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(testcases(&std::fs::read_to_string(&target).unwrap()), 16);
    let left: Vec<_> = std::fs::read_dir(dir.path().join("reports"))
        .unwrap()
        .collect();
    assert_eq!(left.len(), 1, "a temporary file was left: {left:?}");
}

#[test]
fn junit_and_logfile_into_fifos_reach_their_readers() {
    let dir = tempfile::tempdir().unwrap();
    let (junit, log) = (dir.path().join("junit"), dir.path().join("log"));
    mkfifo(&junit);
    mkfifo(&log);
    let (junit_reader, log_reader) = (read_fifo(&junit), read_fifo(&log));
    let args = [
        "--junit",
        junit.to_str().unwrap(),
        "--logfile",
        log.to_str().unwrap(),
    ];
    let out = suite(&args, dir.path());
    assert_eq!(out.code, 101, "{}", out.stderr);
    let xml = String::from_utf8(junit_reader.join().unwrap()).unwrap();
    assert_eq!(testcases(&xml), 16);
    let log_text = String::from_utf8(log_reader.join().unwrap()).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    for case in doc.descendants().filter(|n| n.has_tag_name("testcase")) {
        let name = case.attribute("name").unwrap();
        assert!(
            log_text.contains(name),
            "{name} missing from the log:\n{log_text}"
        );
    }
    for fifo in [&junit, &log] {
        assert!(std::fs::symlink_metadata(fifo)
            .unwrap()
            .file_type()
            .is_fifo());
    }
}

#[test]
fn a_fifo_nobody_reads_is_an_error_after_a_complete_report() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("junit");
    mkfifo(&fifo);
    let out = suite(&["--junit", fifo.to_str().unwrap(), "passes"], dir.path());
    assert_eq!(out.code, 101, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("test result: ok."), "{}", out.stdout);
    assert!(
        out.stderr.contains("is a FIFO that no process reads"),
        "{}",
        out.stderr
    );
    assert!(std::fs::symlink_metadata(&fifo)
        .unwrap()
        .file_type()
        .is_fifo());
}

/// A character device of the test's own: a null device made with `mknod` where allowed,
/// else a symlink it owns to `/dev/null` (never a system node itself).
fn own_null_device(dir: &Path) -> std::path::PathBuf {
    let node = dir.join("null");
    let c = CString::new(node.to_str().unwrap()).unwrap();
    // SAFETY: mknod with a valid NUL-terminated path; (1, 3) is the null device.
    let made = unsafe { libc::mknod(c.as_ptr(), libc::S_IFCHR | 0o666, libc::makedev(1, 3)) };
    if made != 0 {
        symlink("/dev/null", &node).unwrap();
    }
    node
}

#[test]
fn a_character_device_is_written_through_and_stays_a_device() {
    let dir = tempfile::tempdir().unwrap();
    let node = own_null_device(dir.path());
    let out = suite(&["--junit", node.to_str().unwrap(), "passes"], dir.path());
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(std::fs::metadata(&node)
        .unwrap()
        .file_type()
        .is_char_device());
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.contains(".tmp."))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_bad_partest_value_is_an_error_and_an_unknown_name_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history");
    let history = ("PARTEST_HISTORY_DIR", history.to_str().unwrap());
    let out = run_with_env(
        "integration",
        &["passes"],
        &[history, ("PARTEST_LIVE_STATUS", "sometimes")],
    );
    assert_eq!(out.code, 101, "{}", out.stdout);
    assert!(out.stdout.is_empty(), "nothing runs: {}", out.stdout);
    assert!(
        out.stderr
            .contains("PARTEST_LIVE_STATUS is `sometimes`; it must be one of never, always, auto"),
        "{}",
        out.stderr
    );
    let out = run_with_env(
        "integration",
        &["passes"],
        &[history, ("PARTEST_HEAVY_LIMT", "1")],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "warning: PARTEST_HEAVY_LIMT is not a variable partest reads; did you mean PARTEST_HEAVY_LIMIT?"
        ),
        "{}",
        out.stderr
    );
}

/// `--lf --list` with the history in `history`: the names `--lf` would run.
fn last_failed(history: &Path, filter: &str) -> Vec<String> {
    let env = [("PARTEST_HISTORY_DIR", history.to_str().unwrap())];
    let args = ["--lf", "--ignored", "--list", "--format", "terse", filter];
    let out = run_with_env("reliability", &args, &env);
    let mut names: Vec<String> = out
        .stdout
        .lines()
        .filter_map(|l| l.strip_suffix(": test"))
        .map(str::to_owned)
        .collect();
    names.sort();
    names
}

#[test]
fn a_test_calling_exit_fails_the_run_and_the_earlier_failure_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let env = [("PARTEST_HISTORY_DIR", dir.path().to_str().unwrap())];
    let args = ["--ignored", "--test-threads", "2", "exit_paths::"];
    let out = run_with_env("reliability", &args, &env);
    assert_eq!(out.code, 101, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("    exit_paths::b_exits_zero on gw")
            && out
                .stderr
                .contains("the run ends here and fails (exit code 101)"),
        "{}",
        out.stderr
    );
    // The forked child's exit was its own: its test passed.
    assert!(
        out.stdout
            .contains("test exit_paths::c_forks_a_child_that_exits ... ok"),
        "{}",
        out.stdout
    );
    // The failure before the exit, the test that exited and the one it took down.
    assert_eq!(
        last_failed(dir.path(), "exit_paths::"),
        [
            "exit_paths::a_fails",
            "exit_paths::b_exits_zero",
            "exit_paths::d_in_flight_at_the_exit"
        ]
    );
}

/// Runs the `interrupted::` tests, sends `signal` once two tests are running (one holding
/// the run's Redis server), and checks what the run left: its exit by that signal, the
/// summary, the JUnit file, the history, the server stopped.
fn interrupt_with(signal: i32, mode: &str) {
    use std::os::unix::process::ExitStatusExt;
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().unwrap();
    let (history, record) = (dir.path().join("history"), dir.path().join("record"));
    std::fs::create_dir(&record).unwrap();
    let junit = dir.path().join("junit.xml");
    let child = std::process::Command::new(crate::common::binary("reliability"))
        .args(["--ignored", "--test-threads", "2", "--isolate", mode])
        .args(["interrupted::", "--junit"])
        .arg(&junit)
        .env("PARTEST_HISTORY_DIR", &history)
        .env("FIXTURE_RECORD_DIR", &record)
        .current_dir(crate::common::fixtures_dir())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !(record.join("redis-url").exists()
        && record.join("interrupted-c_waits-started").exists())
    {
        assert!(Instant::now() < deadline, "the waiting tests never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    let url = std::fs::read_to_string(record.join("redis-url")).unwrap();
    let sent = Instant::now();
    // SAFETY: kill with a valid pid and signal.
    assert_eq!(unsafe { libc::kill(child.id() as i32, signal) }, 0);
    let out = child.wait_with_output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(
        sent.elapsed() < Duration::from_secs(10),
        "{:?}",
        sent.elapsed()
    );
    assert_eq!(out.status.signal(), Some(signal), "{stdout}\n{stderr}");
    assert!(stderr.contains("received: no new test starts"), "{stderr}");
    assert!(
        stdout.contains("test result: FAILED. 1 passed; 3 failed;"),
        "{stdout}"
    );
    assert!(
        stdout.contains("interrupted: still running when SIG"),
        "{stdout}"
    );
    assert!(
        stdout.contains("interrupted::e_never_starts"),
        "not run: {stdout}"
    );
    // The JUnit file holds every test: the two that never started as skipped.
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert_eq!(testcases(&xml), 6, "{xml}");
    assert!(
        xml.contains(r#"failures="3" tests="6" skipped="2""#),
        "{xml}"
    );
    // The run's Redis server is gone.
    let port = url
        .trim_start_matches("redis://")
        .split(['/', ':'])
        .nth(1)
        .unwrap();
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port.parse::<u16>().unwrap())).is_err(),
        "the server of {url} still listens"
    );
    assert_eq!(
        last_failed(&history, "interrupted::"),
        [
            "interrupted::a_fails",
            "interrupted::c_waits",
            "interrupted::d_waits_holding_redis"
        ]
    );
}

#[test]
fn sigint_ends_the_run_in_order_and_lf_runs_the_failed_and_interrupted() {
    interrupt_with(libc::SIGINT, "threads");
}

#[test]
fn sigterm_does_the_same() {
    interrupt_with(libc::SIGTERM, "threads");
}

/// The terminal's Ctrl-C reaches the coordinator only (workers run in groups of their
/// own): it stops the workers as part of ending the run.
#[test]
fn sigint_in_process_mode_ends_the_run_the_same_way() {
    interrupt_with(libc::SIGINT, "process");
}
