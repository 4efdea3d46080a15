//! Durations recorded by earlier runs of the same test binary, used to start the longest
//! tests first. Only tests of at least [`RECORD_THRESHOLD`] are kept: below that, order
//! does not matter, and a 10,000-test suite of quick tests keeps a tiny file. Stored in `<target>/partest/<binary>/durations.tsv` (or
//! `$PARTEST_HISTORY_DIR/durations.tsv`), written atomically (a temp file renamed over the
//! old one). A missing file is a fresh start; a corrupt one is a warning and a fresh start.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::{self};
use std::path::{Path, PathBuf};
use std::time::Duration;

const HEADER: &str = "# partest durations v1 (microseconds<TAB>test name)";
const FILE: &str = "durations.tsv";
const FAILED_HEADER: &str = "# partest last failed v1 (one test name per line)";
const FAILED_FILE: &str = "lastfailed.txt";
/// Names of the tests a crash took down, appended by the signal handler.
const CRASH_FILE: &str = "crashed.txt";
/// Shorter tests are not recorded; a history that exists but lacks a test means "quick".
pub(crate) const RECORD_THRESHOLD: Duration = Duration::from_millis(1);

type Map = HashMap<&'static str, Duration>;

/// Known durations, by test name (names and the loaded file live for the whole run).
#[derive(Debug, Default)]
pub(crate) struct History {
    dir: Option<PathBuf>,
    /// Whether an earlier run left a readable history.
    known: bool,
    durations: Map,
    /// Tests that failed the last time they ran.
    failed: HashSet<String>,
}

/// The directory for this binary's history: `$PARTEST_HISTORY_DIR`, else
/// `<target>/partest/<binary file name>` when the binary sits in a cargo `deps` dir.
fn history_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("PARTEST_HISTORY_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    dir_of(&std::env::current_exe().ok()?)
}

/// The history directory of test binary `binary` run by `cargo partest`:
/// `$PARTEST_HISTORY_DIR/<file name>` (a directory per binary), else as for the binary
/// itself.
pub(crate) fn dir_for_binary(binary: &Path) -> Option<PathBuf> {
    match std::env::var_os("PARTEST_HISTORY_DIR").filter(|d| !d.is_empty()) {
        Some(dir) => Some(PathBuf::from(dir).join(binary.file_stem()?)),
        None => dir_of(binary),
    }
}

/// `<target>/partest/<file name>` for the binary `exe` in `<target>/debug/deps/`.
fn dir_of(exe: &Path) -> Option<PathBuf> {
    Some(target_of(exe)?.join("partest").join(exe.file_stem()?))
}

/// The cargo target dir `exe` was built in (`<target>` of `<target>/debug/deps/BIN`), if
/// it sits in a `deps` dir.
fn target_of(exe: &Path) -> Option<PathBuf> {
    let deps = exe
        .ancestors()
        .find(|a| a.file_name().is_some_and(|n| n == "deps"))?;
    Some(deps.parent()?.parent()?.to_owned())
}

/// The cargo target dir this binary was built in, if it sits in a `deps` dir.
pub(crate) fn target_dir() -> Option<PathBuf> {
    target_of(&std::env::current_exe().ok()?)
}

fn parse(text: &'static str) -> Result<Map, String> {
    let mut lines = text.lines();
    if lines.next() != Some(HEADER) {
        return Err("unknown header".into());
    }
    let mut map = Map::default();
    for (n, line) in lines.enumerate() {
        let (micros, name) = line
            .split_once('\t')
            .ok_or_else(|| format!("line {} has no tab", n + 2))?;
        let micros: u64 = micros
            .parse()
            .map_err(|_| format!("line {}: `{micros}` is not a number", n + 2))?;
        map.insert(name, Duration::from_micros(micros));
    }
    Ok(map)
}

impl History {
    /// Loads this binary's history; a warning comes back when the file was unreadable.
    pub(crate) fn load() -> (Self, Option<String>) {
        let Some(dir) = history_dir() else {
            return (History::default(), None);
        };
        Self::load_from(dir)
    }

    /// Loads the history of the test binary at `binary` (`<target>/partest/<file name>`),
    /// as that binary itself does; empty when it sits in no cargo `deps` dir.
    pub(crate) fn load_for_binary(binary: &Path) -> (Self, Option<String>) {
        match dir_for_binary(binary) {
            Some(dir) => Self::load_from(dir),
            None => (History::default(), None),
        }
    }

    fn load_from(dir: PathBuf) -> (Self, Option<String>) {
        let path = dir.join(FILE);
        let (durations, warning) = match fs::read_to_string(&path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => (None, None),
            Err(e) => (None, Some(format!("cannot read {}: {e}", path.display()))),
            Ok(text) => match parse(Box::leak(text.into_boxed_str())) {
                Ok(map) => (Some(map), None),
                Err(why) => (
                    None,
                    Some(format!(
                        "ignoring corrupt {} ({why}); starting afresh",
                        path.display()
                    )),
                ),
            },
        };
        let known = durations.is_some();
        let durations = durations.unwrap_or_default();
        let failed_path = dir.join(FAILED_FILE);
        let (failed, failed_warning) = match fs::read_to_string(&failed_path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => (HashSet::new(), None),
            Err(e) => (
                HashSet::new(),
                Some(format!("cannot read {}: {e}", failed_path.display())),
            ),
            Ok(text) => match text.lines().next() {
                Some(FAILED_HEADER) => (text.lines().skip(1).map(str::to_owned).collect(), None),
                _ => (
                    HashSet::new(),
                    Some(format!(
                        "ignoring corrupt {}; starting afresh",
                        failed_path.display()
                    )),
                ),
            },
        };
        // Tests a crash took down last time (written by the crash handler) failed too.
        let mut failed = failed;
        if let Ok(text) = fs::read_to_string(dir.join(CRASH_FILE)) {
            failed.extend(text.lines().filter(|l| !l.is_empty()).map(str::to_owned));
        }
        let warning = match (warning, failed_warning) {
            (Some(a), Some(b)) => Some(format!("{a}; {b}")),
            (a, b) => a.or(b),
        };
        (
            History {
                dir: Some(dir),
                known,
                durations,
                failed,
            },
            warning,
        )
    }

    /// The duration recorded for `name` (tests of 1 ms or more), if any.
    pub(crate) fn recorded(&self, name: &str) -> Option<Duration> {
        self.durations.get(name).copied()
    }

    /// The expected duration of `name`: its recorded one, zero when the history is known
    /// and does not list it (tests under 1 ms are not recorded), `None` without history.
    pub(crate) fn estimate(&self, name: &str) -> Option<Duration> {
        match self.durations.get(name) {
            Some(d) => Some(*d),
            None => self.known.then_some(Duration::ZERO),
        }
    }

    /// Opens the file failures and crashes are appended to during the run; `None` without
    /// a history dir. Not emptied: names an earlier crashed run left there stay until a
    /// run records its outcomes (they were read into the failed set at load).
    pub(crate) fn open_crash_file(&self) -> Option<fs::File> {
        let dir = self.dir.as_ref()?;
        fs::create_dir_all(dir).ok()?;
        let mut options = fs::OpenOptions::new();
        options
            .append(true)
            .create(true)
            .open(dir.join(CRASH_FILE))
            .ok()
    }

    /// Removes the crash file after a run that did not crash.
    pub(crate) fn forget_crash_file(&self) {
        if let Some(dir) = &self.dir {
            let _ = fs::remove_file(dir.join(CRASH_FILE));
        }
    }

    /// The tests that failed the last time they ran.
    pub(crate) fn last_failed(&self) -> &HashSet<String> {
        &self.failed
    }

    /// Records this run's outcomes: tests in `ran` leave the failed set unless in `failed`.
    pub(crate) fn record_outcomes(&mut self, ran: impl Fn(&str) -> bool, failed: &[&str]) {
        self.failed.retain(|name| !ran(name));
        self.failed.extend(failed.iter().map(|n| (*n).to_owned()));
    }

    /// Whether no test has a recorded duration (every estimate is then the same).
    pub(crate) fn is_empty(&self) -> bool {
        self.durations.is_empty()
    }

    /// Records the duration of a test that ran.
    pub(crate) fn record(&mut self, name: &'static str, duration: Duration) {
        if duration >= RECORD_THRESHOLD {
            self.durations.insert(name, duration);
        } else if !self.durations.is_empty() {
            self.durations.remove(name);
        }
    }

    /// Writes the history atomically; nothing to do without a history directory.
    pub(crate) fn save(&self) -> io::Result<()> {
        let Some(dir) = &self.dir else { return Ok(()) };
        fs::create_dir_all(dir)?;
        let mut text = String::with_capacity(self.durations.len() * 40);
        text.push_str(HEADER);
        text.push('\n');
        for (name, d) in &self.durations {
            text.push_str(&d.as_micros().to_string());
            text.push('\t');
            text.push_str(name);
            text.push('\n');
        }
        crate::output_files::write_whole(&dir.join(FILE), text.as_bytes())?;
        let mut failed: Vec<&String> = self.failed.iter().collect();
        failed.sort();
        let mut text = String::from(FAILED_HEADER);
        for name in failed {
            text.push('\n');
            text.push_str(name);
        }
        text.push('\n');
        crate::output_files::write_whole(&dir.join(FAILED_FILE), text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_survives_corruption() {
        let dir = tempfile::tempdir().unwrap();
        let (mut h, warning) = History::load_from(dir.path().to_owned());
        assert!(warning.is_none() && h.estimate("a").is_none());
        h.record("a::b", Duration::from_millis(12));
        h.record("weird name\twith tab?", Duration::from_millis(5));
        h.record("quick", Duration::from_micros(5));
        h.save().unwrap();
        let (h, warning) = History::load_from(dir.path().to_owned());
        assert!(warning.is_none());
        assert_eq!(h.estimate("a::b"), Some(Duration::from_millis(12)));
        assert_eq!(
            h.estimate("weird name\twith tab?"),
            Some(Duration::from_millis(5))
        );
        assert_eq!(
            h.estimate("quick"),
            Some(Duration::ZERO),
            "known to be quick"
        );
        fs::write(dir.path().join(FILE), "garbage").unwrap();
        let (h, warning) = History::load_from(dir.path().to_owned());
        assert!(warning.unwrap().contains("corrupt"));
        assert!(
            h.estimate("a::b").is_none(),
            "a corrupt history knows nothing"
        );
        fs::write(
            dir.path().join(FILE),
            format!("{HEADER}\nnot-a-number\tx\n"),
        )
        .unwrap();
        assert!(History::load_from(dir.path().to_owned())
            .1
            .unwrap()
            .contains("line 2"));
    }
}
