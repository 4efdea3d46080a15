#[partest::test(retries = "3")]
fn t() {}
partest::main!();
