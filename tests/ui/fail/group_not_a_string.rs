#[partest::test(group = db)]
fn t() {}
partest::main!();
