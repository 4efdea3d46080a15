#[partest::test]
unsafe fn t() {}
partest::main!();
