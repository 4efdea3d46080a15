#[partest::test]
fn t<T: Default>() { let _ = T::default(); }
partest::main!();
