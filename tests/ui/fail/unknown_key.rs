#[partest::test(flaky)]
fn t() {}
partest::main!();
