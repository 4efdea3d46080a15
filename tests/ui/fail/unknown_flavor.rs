#[partest::test(flavor = "multi")]
async fn t() {}
partest::main!();
