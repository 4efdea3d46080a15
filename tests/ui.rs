//! Macro misuse is a compile error at the offending tokens (`tests/ui/fail`, one misuse per
//! file, expected errors checked in as `.stderr`); every accepted form compiles and runs
//! (`tests/ui/pass`). After changing an error message: `TRYBUILD=overwrite cargo test --test ui`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/fail/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
