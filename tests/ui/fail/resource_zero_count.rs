#[partest::test(resource(postgres, count = 0))]
fn t() {}
partest::main!();
