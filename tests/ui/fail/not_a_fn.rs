#[partest::test]
struct NotATest;
partest::main!();
