//! Every accepted attribute form compiles, registers and runs (all tests pass or are ignored).

#[partest::test]
fn plain() {}

#[partest::test(serial)]
fn serial_all() {}

#[partest::test(serial(db, cache))]
fn serial_keys() {}

#[partest::test(heavy_resource, redis_isolated)]
fn heavy_and_redis() {}

#[partest::test(group = "db")]
fn grouped() {}

#[partest::test(markers(unit, slow))]
fn marked() {}

#[partest::test(ignore)]
fn ignored() {}

#[partest::test(ignore = "needs a GPU")]
fn ignored_with_reason() {}

#[partest::test(should_panic)]
fn panics() {
    panic!("any message");
}

#[partest::test(should_panic(expected = "range"))]
fn panics_with_message() {
    panic!("out of range");
}

#[partest::test(timeout = "250ms", retries = 2)]
fn timed() {}

#[partest::test(resource(postgres), resource(browser, count = 4))]
fn resources() {}

#[partest::test(
    serial(db),
    heavy_resource,
    group = "g",
    markers(integration),
    timeout = "1m",
    retries = 1,
    resource(pool, count = 2),
)]
fn everything_at_once() {}

#[partest::test]
fn returns_result() -> Result<(), std::num::ParseIntError> {
    "1".parse::<u8>().map(drop)
}

#[partest::test]
fn r#type() {}

#[partest::test(timeout = "5s")]
async fn asynchronous() {}

#[partest::test]
async fn asynchronous_result() -> Result<(), String> {
    Ok(())
}

mod nested {
    #[partest::test]
    fn inner() {
        assert_eq!(partest::current_test_name(), Some("nested::inner"));
    }
}

partest::main!();
