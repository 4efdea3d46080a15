#[partest::test(serial, heavy_resource, serial)]
fn t() {}
partest::main!();
