//! The `--help` text: libtest's options, then partest's (both from the settings table),
//! then how workers, filters and capture work.

use super::options::{help_lines, Section};

/// The `--help` text for a binary called `program`.
pub fn help(program: &str) -> String {
    let libtest = help_lines(Section::Libtest);
    let scheduling = help_lines(Section::Scheduling);
    let selection = help_lines(Section::Selection);
    let config_only = help_lines(Section::ConfigOnly);
    format!(
        "Usage: {program} [OPTIONS] [FILTERS...]

A partest test binary. It takes libtest's options, so `cargo test`, `cargo nextest`
and IDE run buttons drive it as they drive any test binary.

Options:
{libtest}
Scheduling (partest):
{scheduling}
Selection and reports (partest):
{selection}
Config-file keys without a flag (partest.toml or [package.metadata.partest]):
{config_only}
Workers: --test-threads N, else PARTEST_DISABLE_PARALLEL=1 (one worker,
worker_id() = master), else PARTEST_WORKERS (a number or auto), else
RUST_TEST_THREADS, else the available parallelism. Options also come from
partest.toml or [package.metadata.partest] beside the crate's Cargo.toml:
command line > environment > config > defaults. PARTEST_ARGS holds any of
partest's options, split like shell words (PARTEST_ARGS='-m \"slow and not db\"'):
use it where `cargo test -- ...` would hand them to a libtest target too, which
refuses them; the command line wins where both set an option.

FILTERS select the tests whose names contain any of them; without filters every
test is selected. Tests run on a pool of worker threads (gw0, gw1, ...): serial
tests first, one at a time, then the rest, longest expected first (durations
recorded by earlier runs of this binary under target/partest/), falling back to
name order; every marker's constraint holds without holding a worker idle.

Output capture:
  With --test-threads 1 a test's stdout and stderr are captured at the file
  descriptor level (threads it spawns and C code included) and shown only if it
  fails, as libtest does. With several threads on Linux, what the test's thread
  and every thread created while it runs write to stdout/stderr (print!,
  eprint!, panic reports) is captured per test, as libtest does; what such a
  thread writes after its test ended, threads of per_worker/per_run resources,
  C stdio and child processes write to the terminal, never under another test's
  name. Elsewhere only panic reports are captured per test.
"
    )
}
