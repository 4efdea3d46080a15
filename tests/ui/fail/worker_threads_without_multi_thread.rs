#[partest::test(worker_threads = 2)]
async fn t() {}
partest::main!();
