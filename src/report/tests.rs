//! The formatters from events to text, without a fixture workspace: a list of events in,
//! the report out, compared with what libtest prints for the same run.

use super::{formatter_for, Reporter, SharedBuffer, Style, Tally};
use crate::cli::Format;
use crate::event::{Completed, Event};
use crate::outcome::Outcome;
use crate::plan::Test;
use crate::registry::{TestDef, TestFn};
use std::time::Duration;

static ADDS: TestDef = TestDef {
    name: "adds",
    module_path: "suite",
    file: "tests/suite.rs",
    line: 1,
    column: 4,
    run: TestFn::Plain(|| {}),
    ..TestDef::DEFAULT
};

static FAILS: TestDef = TestDef {
    name: "fails",
    module_path: "suite::math",
    file: "tests/suite.rs",
    line: 2,
    column: 4,
    run: TestFn::Plain(|| {}),
    ..TestDef::DEFAULT
};

fn test(def: &'static TestDef, name: &'static str) -> Test {
    Test::here(name, def)
}

fn style(multithreaded: bool) -> Style {
    Style {
        color: false,
        multithreaded,
        report_time: false,
        show_output: false,
        verbose: false,
    }
}

fn done(test: Test, outcome: Outcome, output: &str) -> Completed {
    Completed {
        test,
        outcome,
        duration: Duration::from_millis(3),
        output: output.as_bytes().to_vec(),
        worker: Some(1),
        earlier: Vec::new(),
    }
}

/// Feeds the events of a two-test run (one passes, one fails with output) to `format`.
fn report(format: Format, multithreaded: bool) -> String {
    let out = SharedBuffer::default();
    let formatter = formatter_for(format, Box::new(out.clone()), style(multithreaded));
    let mut reporter =
        Reporter::new(formatter, Tally::new(2, 1, false), None).multithreaded(multithreaded);
    let (adds, fails) = (test(&ADDS, "adds"), test(&FAILS, "math::fails"));
    reporter.start().unwrap();
    let failed = Outcome::Failed { message: None };
    for event in [
        Event::Started(adds),
        Event::Finished(done(adds, Outcome::Passed, "hidden\n")),
        Event::Started(fails),
        Event::Finished(done(fails, failed, "some output\n")),
    ] {
        reporter.on_event(event).unwrap();
    }
    reporter.finish().unwrap();
    let text = String::from_utf8(out.take()).unwrap();
    // The run time is the one thing that differs between runs.
    match text.find("finished in ") {
        Some(i) => {
            let rest = &text[i + "finished in ".len()..];
            let end = rest.find('s').map_or(rest.len(), |e| e + 1);
            format!("{}finished in T{}", &text[..i], &rest[end..])
        }
        None => text,
    }
}

#[test]
fn pretty_is_libtest_s_text() {
    let expected = "
running 2 tests
test adds ... ok
test math::fails ... FAILED

failures:

---- math::fails stdout ----
some output


failures:
    math::fails

test result: FAILED. 1 passed; 1 failed; 0 ignored; 0 measured; 1 filtered out; finished in T

";
    assert_eq!(report(Format::Pretty, false), expected);
    // With several workers the result line carries the name and comes at the end.
    assert_eq!(report(Format::Pretty, true), expected);
}

#[test]
fn terse_is_libtest_s_text() {
    assert_eq!(
        report(Format::Terse, false),
        "
running 2 tests
. 1/2
math::fails --- FAILED

failures:

---- math::fails stdout ----
some output


failures:
    math::fails

test result: FAILED. 1 passed; 1 failed; 0 ignored; 0 measured; 1 filtered out; finished in T

"
    );
}

#[test]
fn json_is_libtest_s_events_plus_the_worker() {
    let text = report(Format::Json, true);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        r#"{ "type": "suite", "event": "started", "test_count": 2 }"#
    );
    assert_eq!(
        lines[1],
        r#"{ "type": "test", "event": "started", "name": "adds" }"#
    );
    assert_eq!(
        lines[2],
        r#"{ "type": "test", "name": "adds", "event": "ok", "worker": "gw1" }"#
    );
    assert_eq!(
        lines[4],
        r#"{ "type": "test", "name": "math::fails", "event": "failed", "stdout": "some output\n", "worker": "gw1" }"#
    );
    assert!(
        lines[5].starts_with(r#"{ "type": "suite", "event": "failed", "passed": 1, "failed": 1, "ignored": 0, "measured": 0, "filtered_out": 1, "exec_time": "#),
        "{}",
        lines[5]
    );
}

#[test]
fn warnings_reach_the_json_summary() {
    let out = SharedBuffer::default();
    let formatter = formatter_for(Format::Json, Box::new(out.clone()), style(true));
    let mut reporter = Reporter::new(formatter, Tally::new(0, 0, false), None);
    reporter.start().unwrap();
    reporter
        .on_event(Event::Warning("partest could not start worker gw1".into()))
        .unwrap();
    reporter.finish().unwrap();
    let text = String::from_utf8(out.take()).unwrap();
    assert!(
        text.contains(r#""warnings": ["partest could not start worker gw1"]"#),
        "{text}"
    );
}
