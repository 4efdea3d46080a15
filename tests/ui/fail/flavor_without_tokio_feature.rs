// Expects partest without its `tokio` feature, as `cargo test --workspace` builds it.
#[partest::test(flavor = "multi_thread")]
async fn t() {}
partest::main!();
