//! `--list`: a `name: test` line per selected test; pretty adds libtest's count line;
//! `--format json` writes libtest's discovery events.

use super::escape::Json;
use super::plural::plural;
use crate::filter::{Disposition, Planned};
use crate::registry::Ignore;
use std::fmt::Write as _;
use std::io::{self, Write};

/// Writes the list of `tests`; `terse` leaves out the count line (nextest reads this form).
pub(crate) fn write_list(out: &mut dyn Write, tests: &[Planned], terse: bool) -> io::Result<()> {
    let mut text = String::with_capacity(tests.len() * 32);
    for planned in tests {
        text.push_str(planned.test.name);
        text.push_str(": test\n");
    }
    if !terse {
        if !tests.is_empty() {
            text.push('\n');
        }
        let _ = writeln!(
            text,
            "{}, {}",
            plural(tests.len(), "test"),
            plural(0, "benchmark")
        );
    }
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// Writes libtest's JSON discovery events for `tests`: `suite discovery`, one
/// `test discovered` per test (with its `ignore` setting and the position of the
/// function's name in its source file), then `suite completed` with the counts.
pub(crate) fn write_list_json(out: &mut dyn Write, tests: &[Planned]) -> io::Result<()> {
    let mut text = String::with_capacity(tests.len() * 200 + 100);
    text.push_str("{ \"type\": \"suite\", \"event\": \"discovery\" }\n");
    let mut ignored = 0;
    for planned in tests {
        let test = planned.test;
        let (file, line, column) = test.location();
        // Like libtest: `ignore` says whether this run would skip it (not under
        // `--ignored`); the message is the attribute's either way.
        let ignore = matches!(planned.disposition, Disposition::Ignore(_));
        let message = match test.ignore() {
            Ignore::WithReason(reason) => reason,
            Ignore::No | Ignore::Yes => "",
        };
        ignored += usize::from(ignore);
        let fn_name = test.name.rsplit("::").next().unwrap_or(test.name);
        let end_col = column as usize + fn_name.chars().count();
        let _ = writeln!(
            text,
            "{{ \"type\": \"test\", \"event\": \"discovered\", \"name\": \"{}\", \"ignore\": {ignore}, \
             \"ignore_message\": \"{}\", \"source_path\": \"{}\", \"start_line\": {line}, \
             \"start_col\": {}, \"end_line\": {line}, \"end_col\": {end_col} }}",
            Json(planned.test.name),
            Json(message),
            Json(file),
            column,
            line = line,
        );
    }
    let _ = writeln!(
        text,
        "{{ \"type\": \"suite\", \"event\": \"completed\", \"tests\": {n}, \"benchmarks\": 0, \
         \"total\": {n}, \"ignored\": {ignored} }}",
        n = tests.len()
    );
    out.write_all(text.as_bytes())?;
    out.flush()
}
