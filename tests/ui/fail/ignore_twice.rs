#[partest::test(ignore, ignore = "flaky")]
fn t() {}
partest::main!();
