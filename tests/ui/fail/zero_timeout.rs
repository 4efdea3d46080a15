#[partest::test(timeout = "0s")]
fn t() {}
partest::main!();
