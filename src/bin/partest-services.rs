//! `partest-services nextest-setup`: one Redis and one PostgreSQL for a whole
//! `cargo nextest run`, as a nextest setup script (see `partest::services::nextest_setup`).

fn main() -> std::process::ExitCode {
    partest::services::nextest_setup::main()
}
