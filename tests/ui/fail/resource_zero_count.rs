#[partest::test(resource(postgres, count = 0))]
fn t() {}

#[partest::test(resource(postgres, count = 70000))]
fn u() {}
partest::main!();
