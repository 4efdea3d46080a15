//! libtest's JSON lines (`--format json`), one object per line:
//!
//! - `{ "type": "suite", "event": "started", "test_count": N }` (plus `"shuffle_seed"` when shuffled)
//! - `{ "type": "test", "event": "started", "name": "..." }`
//! - `{ "type": "test", "name": "...", "event": "ok" | "failed" | "ignored" }`, with
//!   `"exec_time": seconds` under `--report-time`, `"stdout": "..."` for a failing test's
//!   output (every test's with `--show-output`), and `"message": "..."` for a failure note
//!   or an ignore reason; partest adds `"worker": "gw1"` (or `"master"`) and
//!   `"markers": [...]` (custom and built-in markers, when the test has any), and for a
//!   rerun test `"flaky": bool, "attempt": N, "earlier": [{ "stdout", "message" }]`
//! - `{ "type": "test", "event": "timeout", "name": "..." }` (libtest's slow-test warning),
//!   plus `"worker"` and `"elapsed"` seconds
//! - `{ "type": "suite", "event": "ok" | "failed", "passed": N, "failed": N, "ignored": N,
//!   "measured": 0, "filtered_out": N, "exec_time": seconds }`, plus `"not_run": N` when
//!   the run stopped early (`--maxfail`), `"teardown_failures": N` when resource
//!   teardowns panicked and `"warnings": ["..."]` for what the runner warned about (a run
//!   timeout, workers that could not start); libtest consumers ignore the extra fields

use super::escape::Json as Esc;
use super::{Out, OutputFormatter, Style, Tally};
use crate::event::Completed;
use crate::outcome::Outcome;
use crate::plan::Test;
use std::fmt::Write as _;
use std::io::{self, Write};

/// The JSON formatter.
pub(crate) struct Json {
    out: Out,
    style: Style,
}

impl Json {
    pub(crate) fn new(out: Out, style: Style) -> Self {
        Json { out, style }
    }

    fn line(&mut self, text: &str) -> io::Result<()> {
        self.out.write_all(text.as_bytes())?;
        self.out.write_all(b"\n")?;
        self.out.flush()
    }
}

impl OutputFormatter for Json {
    fn write_run_start(&mut self, total: usize, shuffle_seed: Option<u64>) -> io::Result<()> {
        let seed = shuffle_seed
            .map(|s| format!(", \"shuffle_seed\": {s}"))
            .unwrap_or_default();
        self.line(&format!(
            r#"{{ "type": "suite", "event": "started", "test_count": {total}{seed} }}"#
        ))
    }

    fn uses_start_events(&self) -> bool {
        true
    }

    fn write_test_start(&mut self, test: &Test) -> io::Result<()> {
        self.line(&format!(
            r#"{{ "type": "test", "event": "started", "name": "{}" }}"#,
            Esc(test.name)
        ))
    }

    fn write_result(&mut self, done: &Completed, _: &Tally) -> io::Result<()> {
        let (event, message) = match &done.outcome {
            Outcome::Passed => ("ok", None),
            Outcome::Failed { message } => ("failed", message.as_deref()),
            Outcome::Ignored { reason } => ("ignored", *reason),
        };
        let mut text = format!(
            r#"{{ "type": "test", "name": "{}", "event": "{event}""#,
            Esc(done.test.name)
        );
        if self.style.report_time && !matches!(done.outcome, Outcome::Ignored { .. }) {
            let _ = write!(text, r#", "exec_time": {}"#, done.duration.as_secs_f64());
        }
        let failed = matches!(done.outcome, Outcome::Failed { .. });
        if !done.output.is_empty() && (failed || self.style.show_output) {
            let _ = write!(
                text,
                r#", "stdout": "{}""#,
                Esc(&String::from_utf8_lossy(&done.output))
            );
        }
        if let Some(message) = message {
            let _ = write!(text, r#", "message": "{}""#, Esc(message));
        }
        // partest's extras (libtest consumers ignore unknown fields).
        if !done.earlier.is_empty() {
            let earlier: Vec<String> = done
                .earlier
                .iter()
                .map(|a| {
                    let message = a
                        .message
                        .as_deref()
                        .map(|m| format!(r#", "message": "{}""#, Esc(m)))
                        .unwrap_or_default();
                    format!(
                        r#"{{ "stdout": "{}"{message} }}"#,
                        Esc(&String::from_utf8_lossy(&a.output))
                    )
                })
                .collect();
            let _ = write!(
                text,
                r#", "flaky": {}, "attempt": {}, "earlier": [{}]"#,
                done.is_flaky(),
                done.attempt(),
                earlier.join(", ")
            );
        }
        if let Some(worker) = self.style.worker_label(done.worker) {
            let _ = write!(text, r#", "worker": "{worker}""#);
        }
        let markers = done.test.marker_names();
        if !markers.is_empty() {
            let list: Vec<String> = markers.iter().map(|m| format!("\"{}\"", Esc(m))).collect();
            let _ = write!(text, r#", "markers": [{}]"#, list.join(", "));
        }
        text.push_str(" }");
        self.line(&text)
    }

    fn write_slow(
        &mut self,
        test: &Test,
        worker: &str,
        elapsed: std::time::Duration,
    ) -> io::Result<()> {
        self.line(&format!(
            r#"{{ "type": "test", "event": "timeout", "name": "{}", "worker": "{worker}", "elapsed": {} }}"#,
            Esc(test.name),
            elapsed.as_secs_f64()
        ))
    }

    fn write_run_finish(&mut self, state: &Tally) -> io::Result<()> {
        let event = if state.success() { "ok" } else { "failed" };
        let secs = state.exec_time.unwrap_or_default().as_secs_f64();
        let mut extra = String::new();
        if state.not_run() > 0 {
            let _ = write!(extra, r#", "not_run": {}"#, state.not_run());
        }
        if !state.teardown_failures.is_empty() {
            let _ = write!(
                extra,
                r#", "teardown_failures": {}"#,
                state.teardown_failures.len()
            );
        }
        if !state.warnings.is_empty() {
            let list: Vec<String> = state
                .warnings
                .iter()
                .map(|w| format!("\"{}\"", Esc(w)))
                .collect();
            let _ = write!(extra, r#", "warnings": [{}]"#, list.join(", "));
        }
        self.line(&format!(
            r#"{{ "type": "suite", "event": "{event}", "passed": {}, "failed": {}, "ignored": {}, "measured": 0, "filtered_out": {}, "exec_time": {secs}{extra} }}"#,
            state.passed, state.failed, state.ignored, state.filtered_out
        ))
    }
}
