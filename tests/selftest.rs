//! partest testing itself through its real entry point: `#[partest::test]` items in a
//! `harness = false` target, run by `cargo test`.

#[partest::test]
fn plain_test_runs() {
    assert_eq!(partest::current_test_name(), Some("plain_test_runs"));
}

#[partest::test]
fn fallible_test_runs() -> Result<(), String> {
    "12".parse::<u32>().map_err(|e| e.to_string())?;
    Ok(())
}

#[partest::test(should_panic(expected = "boom"))]
fn should_panic_matches() {
    panic!("a boom happened");
}

#[partest::test(ignore = "shows ignore with a reason")]
fn ignored_with_reason() {
    unreachable!("ignored tests do not run");
}

mod nested {
    #[partest::test(markers(unit), serial)]
    fn worker_identity_is_consistent() {
        let id = partest::worker_id();
        let count = partest::worker_count();
        if id == "master" {
            assert_eq!(partest::worker_index(), 0);
        } else {
            assert_eq!(id, format!("gw{}", partest::worker_index()));
            assert!(partest::worker_index() < count);
        }
        assert_eq!(
            partest::current_test_name(),
            Some("nested::worker_identity_is_consistent")
        );
        assert_eq!(partest::testrun_uid(), partest::testrun_uid());
        assert_eq!(partest::testrun_uid().len(), 32);
    }
}

partest::main!();
