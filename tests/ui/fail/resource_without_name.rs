#[partest::test(resource(count = 2))]
fn t() {}
partest::main!();
