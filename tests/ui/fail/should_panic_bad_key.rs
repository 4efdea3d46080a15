#[partest::test(should_panic(message = "boom"))]
fn t() {}
partest::main!();
