//! Word forms for counts, in one place.

/// `"1 test"`, `"2 tests"`, `"0 tests"`.
pub(crate) fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}
