//! Durations recorded by earlier runs of the same test binary, used to start the longest
//! tests first. Stored in `<target>/partest/<binary>/durations.tsv` (or
//! `$PARTEST_HISTORY_DIR/durations.tsv`), written atomically (a temp file renamed over the
//! old one). A missing file is a fresh start; a corrupt one is a warning and a fresh start.

use std::collections::HashMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

const HEADER: &str = "# partest durations v1 (microseconds<TAB>test name)";
const FILE: &str = "durations.tsv";

/// Known durations, by test name.
#[derive(Debug, Default)]
pub(crate) struct History {
    dir: Option<PathBuf>,
    durations: HashMap<String, Duration>,
}

/// The directory for this binary's history: `$PARTEST_HISTORY_DIR`, else
/// `<target>/partest/<binary file name>` when the binary sits in a cargo `deps` dir.
fn history_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("PARTEST_HISTORY_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    let exe = std::env::current_exe().ok()?;
    let deps = exe
        .ancestors()
        .find(|a| a.file_name().is_some_and(|n| n == "deps"))?;
    let target = deps.parent()?.parent()?;
    Some(target.join("partest").join(exe.file_stem()?))
}

fn parse(text: &str) -> Result<HashMap<String, Duration>, String> {
    let mut lines = text.lines();
    if lines.next() != Some(HEADER) {
        return Err("unknown header".into());
    }
    let mut map = HashMap::new();
    for (n, line) in lines.enumerate() {
        let (micros, name) = line
            .split_once('\t')
            .ok_or_else(|| format!("line {} has no tab", n + 2))?;
        let micros: u64 = micros
            .parse()
            .map_err(|_| format!("line {}: `{micros}` is not a number", n + 2))?;
        map.insert(name.to_owned(), Duration::from_micros(micros));
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

    fn load_from(dir: PathBuf) -> (Self, Option<String>) {
        let path = dir.join(FILE);
        let (durations, warning) = match fs::read_to_string(&path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => (HashMap::new(), None),
            Err(e) => (
                HashMap::new(),
                Some(format!("cannot read {}: {e}", path.display())),
            ),
            Ok(text) => match parse(&text) {
                Ok(map) => (map, None),
                Err(why) => (
                    HashMap::new(),
                    Some(format!(
                        "ignoring corrupt {} ({why}); starting afresh",
                        path.display()
                    )),
                ),
            },
        };
        (
            History {
                dir: Some(dir),
                durations,
            },
            warning,
        )
    }

    /// The last recorded duration of `name`.
    pub(crate) fn estimate(&self, name: &str) -> Option<Duration> {
        self.durations.get(name).copied()
    }

    /// Records the duration of a test that ran.
    pub(crate) fn record(&mut self, name: &str, duration: Duration) {
        self.durations.insert(name.to_owned(), duration);
    }

    /// Writes the history atomically; nothing to do without a history directory.
    pub(crate) fn save(&self) -> io::Result<()> {
        let Some(dir) = &self.dir else { return Ok(()) };
        fs::create_dir_all(dir)?;
        let mut entries: Vec<(&String, &Duration)> = self.durations.iter().collect();
        entries.sort();
        let mut text = String::with_capacity(entries.len() * 40);
        text.push_str(HEADER);
        text.push('\n');
        for (name, d) in entries {
            text.push_str(&d.as_micros().to_string());
            text.push('\t');
            text.push_str(name);
            text.push('\n');
        }
        write_atomically(&dir.join(FILE), text.as_bytes())
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
    let mut file = fs::File::create(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    fs::rename(&tmp, path)
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
        h.record("weird name\twith tab?", Duration::from_micros(5));
        h.save().unwrap();
        let (h, warning) = History::load_from(dir.path().to_owned());
        assert!(warning.is_none());
        assert_eq!(h.estimate("a::b"), Some(Duration::from_millis(12)));
        fs::write(dir.path().join(FILE), "garbage").unwrap();
        let (h, warning) = History::load_from(dir.path().to_owned());
        assert!(warning.unwrap().contains("corrupt"));
        assert!(h.estimate("a::b").is_none());
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
