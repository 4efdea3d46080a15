#[partest::test(flavor = "multi_thread")]
fn t() {}
partest::main!();
