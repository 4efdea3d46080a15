//! std's `#[ignore]` and `#[should_panic]` after `#[partest::test]` mean what they mean
//! under libtest: the ignored tests would fail if they ran, the should_panic ones panic.

#[partest::test]
#[ignore]
fn ignored() {
    panic!("an ignored test ran");
}

#[partest::test]
#[ignore = "needs a GPU"]
fn ignored_with_reason() {
    panic!("an ignored test ran");
}

#[partest::test]
#[should_panic]
fn panics() {
    panic!("boom");
}

#[partest::test]
#[should_panic = "out of range"]
fn panics_with_message() {
    panic!("index out of range");
}

#[partest::test]
#[should_panic(expected = "out of range")]
fn panics_with_expected() {
    panic!("index out of range");
}

#[partest::test(serial)]
#[should_panic(expected = "serial")]
fn with_markers_too() {
    panic!("serial and panicking");
}

/// A generator written for `#[test]`, given partest's attribute instead.
macro_rules! panicking_cases {
    ($($name:ident: $text:expr;)*) => { $(
        #[partest::test]
        #[should_panic(expected = "case")]
        fn $name() {
            panic!("{} case", $text);
        }
    )* };
}

panicking_cases! {
    first: "first";
    second: "second";
}

partest::main!();
