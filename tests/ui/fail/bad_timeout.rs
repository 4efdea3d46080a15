#[partest::test(timeout = "soon")]
fn t() {}
partest::main!();
