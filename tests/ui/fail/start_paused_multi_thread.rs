#[partest::test(flavor = "multi_thread", start_paused = true)]
async fn t() {}
partest::main!();
