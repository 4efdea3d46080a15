//! `--format junit`: one JUnit XML document on stdout, written when the run ends.
//! A test `a::b::c` becomes `classname="a::b"`, `name="c"`. Reruns follow Maven
//! Surefire: a flaky test's failed attempts are `flakyFailure` elements of a passing
//! testcase, a test that failed every attempt has `rerunFailure`s beside its `failure`.

use super::escape::Xml;
use super::{Out, OutputFormatter, Tally};
use crate::event::Completed;
use crate::outcome::Outcome;
use crate::plan::Test;
use std::fmt::Write as _;
use std::io::{self, Write};

/// The JUnit formatter: collects test cases, prints the document at the end.
pub(crate) struct Junit {
    out: Out,
    cases: String,
}

impl Junit {
    pub(crate) fn new(out: Out) -> Self {
        Junit {
            out,
            cases: String::new(),
        }
    }
}

impl OutputFormatter for Junit {
    fn write_run_start(&mut self, _: usize, _: Option<u64>) -> io::Result<()> {
        Ok(())
    }

    fn write_test_start(&mut self, _: &Test) -> io::Result<()> {
        Ok(())
    }

    fn write_result(&mut self, done: &Completed, _: &Tally) -> io::Result<()> {
        let (class, name) = done
            .test
            .name
            .rsplit_once("::")
            .unwrap_or(("", done.test.name));
        let _ = write!(
            self.cases,
            r#"<testcase classname="{}" name="{}" time="{:.3}""#,
            Xml(class),
            Xml(name),
            done.duration.as_secs_f64()
        );
        let earlier = |kind: &str| -> String {
            done.earlier
                .iter()
                .map(|a| {
                    let message = a.message.as_deref().unwrap_or("failed");
                    let output = String::from_utf8_lossy(&a.output);
                    format!(r#"<{kind} message="{}" type="assert"><system-out>{}</system-out></{kind}>"#, Xml(message), Xml(&output))
                })
                .collect()
        };
        match &done.outcome {
            Outcome::Passed if done.is_flaky() => {
                let _ = write!(self.cases, ">{}</testcase>", earlier("flakyFailure"));
            }
            Outcome::Passed => self.cases.push_str("/>"),
            Outcome::Ignored { .. } => self.cases.push_str("><skipped/></testcase>"),
            Outcome::Failed { message } => {
                self.cases.push('>');
                match message {
                    Some(m) => {
                        let _ = write!(
                            self.cases,
                            r#"<failure type="assert" message="{}"/>"#,
                            Xml(m)
                        );
                    }
                    None => self.cases.push_str(r#"<failure type="assert"/>"#),
                }
                let output = String::from_utf8_lossy(&done.output);
                let reruns = earlier("rerunFailure");
                let _ = write!(
                    self.cases,
                    "{reruns}<system-out>{}</system-out></testcase>",
                    Xml(&output)
                );
            }
        }
        Ok(())
    }

    fn write_not_run(&mut self, test: &Test) -> io::Result<()> {
        let (class, name) = test.name.rsplit_once("::").unwrap_or(("", test.name));
        let _ = write!(
            self.cases,
            r#"<testcase classname="{}" name="{}" time="0"><skipped message="not run: the run stopped early"/></testcase>"#,
            Xml(class),
            Xml(name)
        );
        Ok(())
    }

    fn write_run_finish(&mut self, state: &Tally) -> io::Result<()> {
        let secs = state.exec_time.unwrap_or_default().as_secs_f64();
        // The runner's warnings (a run timeout, workers that did not start) as the
        // suite's stderr.
        let warnings = if state.warnings.is_empty() {
            String::new()
        } else {
            format!(
                "<system-err>{}</system-err>",
                Xml(&state.warnings.join("\n"))
            )
        };
        write!(
            self.out,
            r#"<?xml version="1.0" encoding="UTF-8"?><testsuites><testsuite name="test" package="test" id="0" errors="0" failures="{}" tests="{}" skipped="{}" time="{secs:.3}">{}{warnings}</testsuite></testsuites>"#,
            state.failed,
            state.total,
            state.ignored + state.not_run(),
            self.cases
        )?;
        writeln!(self.out)?;
        self.out.flush()
    }
}

/// A report file written whole when the report flushes at the end of the run (through a
/// temp file renamed over it, so it is never left half-written).
pub(crate) struct ReportFile {
    path: std::path::PathBuf,
    buffer: Vec<u8>,
}

impl ReportFile {
    /// A file at `path`, written on flush.
    pub(crate) fn new(path: std::path::PathBuf) -> Self {
        ReportFile {
            path,
            buffer: Vec::new(),
        }
    }
}

impl Write for ReportFile {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                let what = format!("could not create {}: {e}", dir.display());
                io::Error::new(e.kind(), what)
            })?;
        }
        crate::output_files::write_whole(&self.path, &self.buffer).map_err(|e| {
            let what = format!(
                "could not write the JUnit report {}: {e}",
                self.path.display()
            );
            io::Error::new(e.kind(), what)
        })
    }
}

/// One document of several runs' documents (`cargo partest`: one per test binary), each
/// run a `testsuite` named after it (`name`, `package`, its index as `id`).
pub(crate) fn combine(documents: &[(String, Vec<u8>)]) -> Vec<u8> {
    const PREFIX: &str = r#"<?xml version="1.0" encoding="UTF-8"?><testsuites>"#;
    const SUITE: &str = r#"<testsuite name="test" package="test" id="0""#;
    let mut out = String::from(PREFIX);
    for (id, (name, document)) in documents.iter().enumerate() {
        let text = String::from_utf8_lossy(document);
        let body = text
            .trim_end()
            .strip_prefix(PREFIX)
            .and_then(|t| t.strip_suffix("</testsuites>"))
            .unwrap_or_default();
        let named = format!(
            r#"<testsuite name="{}" package="{}" id="{id}""#,
            Xml(name),
            Xml(name)
        );
        out.push_str(&body.replacen(SUITE, &named, 1));
    }
    out.push_str("</testsuites>\n");
    out.into_bytes()
}
