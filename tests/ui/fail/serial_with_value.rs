#[partest::test(serial = "db")]
fn t() {}
partest::main!();
