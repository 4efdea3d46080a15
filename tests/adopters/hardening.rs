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
