#[partest::test]
fn t() -> u32 { 7 }
partest::main!();
