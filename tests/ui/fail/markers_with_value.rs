#[partest::test(markers(slow = 1))]
fn t() {}
partest::main!();
