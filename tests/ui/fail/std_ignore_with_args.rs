#[partest::test]
#[ignore(slow)]
fn t() {}
partest::main!();
