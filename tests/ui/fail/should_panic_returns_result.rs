#[partest::test(should_panic)]
fn t() -> Result<(), String> { Err("no".into()) }
partest::main!();
