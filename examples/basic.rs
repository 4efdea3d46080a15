//! The smallest complete partest binary. Run it with `cargo run --example basic`
//! (add `-- --help` for the options).

#[partest::test]
fn adds() {
    assert_eq!("partest".len(), 7);
}

#[partest::test(ignore = "needs a GPU")]
fn gpu() {}

#[partest::test(should_panic(expected = "out of range"))]
fn rejects() {
    let v: Vec<u8> = Vec::new();
    if v.get(3).is_none() {
        panic!("index out of range");
    }
}

#[partest::test]
fn parses() -> Result<(), std::num::ParseIntError> {
    "7".parse::<u8>()?;
    Ok(())
}

#[partest::test(serial)]
fn knows_its_worker() {
    println!("running on {}", partest::worker_id());
}

partest::main!();
