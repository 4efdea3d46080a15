#[partest::test(should_panic)]
#[should_panic(expected = "boom")]
fn t() {
    panic!("boom");
}
partest::main!();
