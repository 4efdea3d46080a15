//! A test of a run's plan ([`Test`]): its libtest name, its binary, and what partest knows
//! of it — the descriptor registered in this binary (body included), or, under `cargo
//! partest`, an [`Entry`] read from another binary's manifest (no body: it runs in its own
//! binary's worker process). Everything the scheduler, the runner and the reports read
//! of a test goes through the accessors here, so both kinds are read one way.

use crate::claims::{self, Claim};
use crate::registry::{self, Ignore, RegistryError, ShouldPanic, TestDef, TestFn};
use std::num::NonZeroUsize;
use std::time::Duration;

/// One test of this run.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Test {
    /// Module path without the crate name, `::`-joined with the function name.
    pub(crate) name: &'static str,
    /// Where its description comes from.
    pub(crate) source: Source,
    /// Its binary under `cargo partest` (an index into the run's binaries); 0 in a
    /// binary's own run.
    pub(crate) binary: u32,
}

/// Where a test's description comes from.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Source {
    /// Registered in this binary.
    Here(&'static TestDef),
    /// Another binary's test, from its manifest (`cargo partest`).
    Elsewhere(&'static Entry),
}

/// A test of another binary as its manifest describes it: what a run schedules and
/// reports it by. Lives for the run (leaked, like a registered descriptor).
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    /// Its claims (the run's caps not included).
    pub(crate) claims: Vec<Claim>,
    /// Its custom markers.
    pub(crate) markers: &'static [&'static str],
    /// Its time limit (its own, else its binary's `--timeout`).
    pub(crate) timeout: Option<Duration>,
    /// Extra attempts after a failure.
    pub(crate) retries: u32,
    /// Whether it is an `async fn`.
    pub(crate) is_async: bool,
    /// `ignore` / `ignore = "reason"`.
    pub(crate) ignore: Ignore,
    /// `module_path!()` at the function.
    pub(crate) module_path: &'static str,
    /// Where the function is: file, line, column.
    pub(crate) location: (&'static str, u32, u32),
}

impl Test {
    /// A test registered in this binary under `name`.
    pub(crate) fn here(name: &'static str, def: &'static TestDef) -> Test {
        Test {
            name,
            source: Source::Here(def),
            binary: 0,
        }
    }

    /// The registered descriptor; `None` for another binary's test.
    pub(crate) fn def(&self) -> Option<&'static TestDef> {
        match self.source {
            Source::Here(def) => Some(def),
            Source::Elsewhere(_) => None,
        }
    }

    /// Its claims in a run capping `caps`, sorted, without repeats.
    pub(crate) fn claims(&self, caps: &[(String, NonZeroUsize)]) -> Vec<Claim> {
        match self.source {
            Source::Here(def) => claims::of(def, caps),
            Source::Elsewhere(e) => claims::capped(e.claims.clone(), e.markers, caps),
        }
    }

    /// Whether it holds `claim` (caps aside).
    pub(crate) fn holds(&self, claim: Claim) -> bool {
        self.claims(&[]).contains(&claim)
    }

    /// Its custom markers.
    pub(crate) fn markers(&self) -> &'static [&'static str] {
        match self.source {
            Source::Here(def) => def.markers,
            Source::Elsewhere(e) => e.markers,
        }
    }

    /// Every marker it carries, built-in ones included (what `-m` matches).
    pub(crate) fn marker_names(&self) -> Vec<String> {
        crate::markers::markers_of(self.markers(), &self.claims(&[]))
    }

    /// Its own time limit (`timeout = "…"`, or its binary's under `cargo partest`).
    pub(crate) fn timeout(&self) -> Option<Duration> {
        match self.source {
            Source::Here(def) => def.timeout,
            Source::Elsewhere(e) => e.timeout,
        }
    }

    /// Extra attempts after a failure (`retries = N`).
    pub(crate) fn retries(&self) -> u32 {
        match self.source {
            Source::Here(def) => def.retries,
            Source::Elsewhere(e) => e.retries,
        }
    }

    /// Whether it is an `async fn`.
    pub(crate) fn is_async(&self) -> bool {
        match self.source {
            Source::Here(def) => matches!(def.run, TestFn::Async(_)),
            Source::Elsewhere(e) => e.is_async,
        }
    }

    /// `ignore` / `ignore = "reason"`.
    pub(crate) fn ignore(&self) -> Ignore {
        match self.source {
            Source::Here(def) => def.ignore,
            Source::Elsewhere(e) => e.ignore,
        }
    }

    /// Whether the test is marked to be ignored.
    pub(crate) fn is_ignored(&self) -> bool {
        self.ignore() != Ignore::No
    }

    /// `should_panic` (another binary's tests judge their own).
    pub(crate) fn should_panic(&self) -> ShouldPanic {
        self.def().map_or(ShouldPanic::No, |def| def.should_panic)
    }

    /// `module_path!()` at the function.
    pub(crate) fn module_path(&self) -> &'static str {
        match self.source {
            Source::Here(def) => def.module_path,
            Source::Elsewhere(e) => e.module_path,
        }
    }

    /// Where the function's name is: file, line, column.
    pub(crate) fn location(&self) -> (&'static str, u32, u32) {
        match self.source {
            Source::Here(def) => (def.file, def.line, def.column),
            Source::Elsewhere(e) => e.location,
        }
    }
}

/// Every test registered in this binary, sorted by name. Names are leaked: they live for
/// the whole run.
pub(crate) fn collect() -> Result<Vec<Test>, RegistryError> {
    let mut tests: Vec<Test> = registry::registered()
        .iter()
        .map(|def| Test::here(leak(registry::test_name(def.module_path, def.name)), def))
        .collect();
    tests.sort_unstable_by(|a, b| a.name.cmp(b.name));
    for pair in tests.windows(2) {
        if pair[0].name == pair[1].name {
            let at = |t: &Test| {
                let (file, line, column) = t.location();
                format!("{file}:{line}:{column}")
            };
            return Err(RegistryError::duplicate(
                pair[0].name,
                at(&pair[0]),
                at(&pair[1]),
            ));
        }
    }
    Ok(tests)
}

fn leak(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}
