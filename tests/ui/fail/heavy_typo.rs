#[partest::test(heavy)]
fn t() {}
partest::main!();
