//! `--list`: a `name: test` line per selected test; pretty adds libtest's count line.

use super::plural::plural;
use crate::filter::Planned;
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
