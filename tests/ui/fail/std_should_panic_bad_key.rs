#[partest::test]
#[should_panic(reason = "boom")]
fn t() {
    panic!("boom");
}
partest::main!();
