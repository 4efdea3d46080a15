#[partest::test(ignore = 5)]
fn t() {}
partest::main!();
