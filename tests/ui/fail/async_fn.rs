#[partest::test]
async fn t() {}
partest::main!();
