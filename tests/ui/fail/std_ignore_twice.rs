#[partest::test(ignore = "slow")]
#[ignore]
fn t() {}
partest::main!();
