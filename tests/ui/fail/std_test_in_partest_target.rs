#[test]
fn forgotten() {}

#[partest::test]
fn kept() {}
partest::main!();
