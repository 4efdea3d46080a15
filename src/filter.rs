//! Test selection with libtest's rules: positional filters (any may match), `--exact`,
//! `--skip`, `--ignored` / `--include-ignored`, `--exclude-should-panic`. The result is a
//! [`Selection`]: the tests to report, each with whether it runs, and how many were left out.

use crate::cli::{Arguments, RunIgnored};
use crate::plan::Test;
use crate::registry::{Ignore, ShouldPanic};

/// Whether a selected test runs or is reported as ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Disposition {
    /// The test body runs.
    Run,
    /// Reported as ignored, with the reason if one was given.
    Ignore(Option<&'static str>),
}

/// A selected test.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Planned {
    /// The test.
    pub(crate) test: Test,
    /// Run or report ignored.
    pub(crate) disposition: Disposition,
}

/// The outcome of selection.
#[derive(Debug)]
pub(crate) struct Selection {
    /// Selected tests, in name order.
    pub(crate) tests: Vec<Planned>,
    /// How many registered tests were left out.
    pub(crate) filtered_out: usize,
}

fn matches(name: &str, pattern: &str, exact: bool) -> bool {
    if exact {
        name == pattern
    } else {
        name.contains(pattern)
    }
}

/// Whether `test` passes the name filters and the flags.
fn is_selected(test: &Test, args: &Arguments) -> bool {
    let name = test.name;
    (args.filters.is_empty() || args.filters.iter().any(|f| matches(name, f, args.exact)))
        && !args.skip.iter().any(|s| matches(name, s, args.exact))
        && (args.run_ignored != RunIgnored::Only || test.is_ignored())
        && !(args.exclude_should_panic && test.should_panic() != ShouldPanic::No)
}

fn disposition(test: &Test, args: &Arguments) -> Disposition {
    match (test.ignore(), args.run_ignored) {
        (Ignore::WithReason(why), RunIgnored::No) => Disposition::Ignore(Some(why)),
        (Ignore::Yes, RunIgnored::No) => Disposition::Ignore(None),
        // libtest's --bench runs benchmarks only: tests are reported ignored.
        _ if args.bench => Disposition::Ignore(None),
        _ => Disposition::Run,
    }
}

/// Applies the filters of `args` to `tests` (already in name order).
pub(crate) fn select(tests: &[Test], args: &Arguments) -> Selection {
    let selected: Vec<Planned> = tests
        .iter()
        .filter(|t| is_selected(t, args))
        .map(|t| Planned {
            test: *t,
            disposition: disposition(t, args),
        })
        .collect();
    Selection {
        filtered_out: tests.len() - selected.len(),
        tests: selected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::TestDef;

    static PLAIN: TestDef = TestDef {
        name: "p",
        ..TestDef::DEFAULT
    };
    static IGNORED: TestDef = TestDef {
        name: "i",
        ignore: Ignore::WithReason("slow"),
        ..TestDef::DEFAULT
    };
    static PANICS: TestDef = TestDef {
        name: "s",
        should_panic: ShouldPanic::Yes,
        ..TestDef::DEFAULT
    };

    fn suite() -> Vec<Test> {
        vec![
            Test::here("a::fast", &PLAIN),
            Test::here("a::slow", &IGNORED),
            Test::here("b::panics", &PANICS),
            Test::here("b::fast", &PLAIN),
        ]
    }

    fn names(args: &[&str]) -> Vec<&'static str> {
        let args = Arguments::from_args(args.iter().copied()).unwrap();
        select(&suite(), &args)
            .tests
            .iter()
            .map(|p| p.test.name)
            .collect()
    }

    #[test]
    fn substring_exact_and_skip() {
        assert_eq!(names(&["fast"]), ["a::fast", "b::fast"]);
        assert_eq!(
            names(&["fast", "panics"]),
            ["a::fast", "b::panics", "b::fast"]
        );
        assert_eq!(names(&["fast", "--exact"]), Vec::<&str>::new());
        assert_eq!(names(&["a::fast", "--exact"]), ["a::fast"]);
        assert_eq!(names(&["--skip", "a::"]), ["b::panics", "b::fast"]);
        assert_eq!(names(&["--skip", "a", "--exact"]).len(), 4);
    }

    #[test]
    fn ignored_modes_and_should_panic() {
        assert_eq!(names(&["--ignored"]), ["a::slow"]);
        assert_eq!(
            names(&["--exclude-should-panic"]),
            ["a::fast", "a::slow", "b::fast"]
        );
        let args = Arguments::from_args(["slow"]).unwrap();
        assert_eq!(
            select(&suite(), &args).tests[0].disposition,
            Disposition::Ignore(Some("slow"))
        );
        assert_eq!(select(&suite(), &args).filtered_out, 3);
        let args = Arguments::from_args(["slow", "--include-ignored"]).unwrap();
        assert_eq!(
            select(&suite(), &args).tests[0].disposition,
            Disposition::Run
        );
    }
}
