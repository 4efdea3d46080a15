#[partest::test]
fn t(x: u32) { let _ = x; }
partest::main!();
