//! The doctests of a `cargo partest` run: after the binaries, as `cargo test` runs them
//! (last, and only when no target option narrows the run), through `cargo test --doc`
//! with the libtest options among the harness options.

use super::libtest_args;
use crate::cli::{Arguments, Format};
use std::io::Write;
use std::process::Command;

/// `cargo test`'s target options: with any of them it runs no doctests.
const TARGET_OPTIONS: [&str; 11] = [
    "--lib",
    "--bins",
    "--bin",
    "--tests",
    "--test",
    "--examples",
    "--example",
    "--benches",
    "--bench",
    "--all-targets",
    "--doc",
];

/// Whether `cargo test` with `cargo_args` would run doctests.
fn wanted(cargo_args: &[String]) -> bool {
    !cargo_args.iter().any(|a| {
        let name = a.split('=').next().unwrap_or(a);
        TARGET_OPTIONS.contains(&name)
    })
}

/// Runs the doctests of the packages `cargo_args` select, if `cargo test` would; false
/// when one failed or they could not run. `harness` are the options after `--`.
pub fn doctests(cargo_args: &[String], harness: &[String]) -> bool {
    if !wanted(cargo_args) {
        return true;
    }
    // The harness options were checked by the run before this one.
    let Ok(args) = Arguments::from_args(harness.iter().cloned()) else {
        return false;
    };
    if !super::shards::runs_doctests(args.selection.partition) {
        eprintln!("note: the doctests run in shard 1 of a partitioned run");
        return true;
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(&cargo);
    command
        .args(["test", "--doc"])
        .args(cargo_args)
        .arg("--")
        .args(libtest_args(&args));
    let out = match command.output() {
        Ok(out) => out,
        Err(e) => {
            eprintln!("error: could not run {cargo} test --doc: {e}");
            return false;
        }
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    // A package without a library has no doctests; cargo says so and stops.
    if !out.status.success() && stderr.contains("no library targets found") {
        eprintln!("note: no doctests: {}", stderr.trim_end());
        return true;
    }
    let _ = std::io::stderr().write_all(&out.stderr);
    // A JSON or JUnit stream on stdout stays valid: the doctests' text goes to stderr.
    let machine = matches!(args.format, Format::Json | Format::Junit);
    let _ = match machine {
        true => std::io::stderr().write_all(&out.stdout),
        false => std::io::stdout().write_all(&out.stdout),
    };
    out.status.success()
}

#[cfg(test)]
mod tests {
    use super::wanted;

    #[test]
    fn doctests_run_unless_a_target_option_narrows_the_run() {
        let a = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert!(wanted(&a(&["-p", "multi", "--release"])));
        assert!(!wanted(&a(&["--test", "alpha"])));
        assert!(!wanted(&a(&["--bin=x"])));
        assert!(!wanted(&a(&["--lib"])));
    }
}
